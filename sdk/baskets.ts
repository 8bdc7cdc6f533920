/**
 * Baskets and pallets ({IBulkCustody}): what `dispenseBasket`, `undoBasket` and the pallet
 * functions take, built from unit trees and lines, and what they give back, in words.
 */
import { AbiCoder, ZeroHash, keccak256 } from "ethers";

import { UserError } from "./errors.js";
import type { UnitTree } from "./units.js";

/** `IBulkCustody.BasketOutcome`, by number. */
export const BASKET_OUTCOMES = [
  "Dispensed",
  "Suspect",
  "InvalidProof",
  "UnknownBatch",
  "NotReleased",
  "Expired",
  "Halted",
  "NoStock",
] as const;
export type BasketOutcomeName = (typeof BASKET_OUTCOMES)[number];

/** What each outcome means, for people. */
export const BASKET_OUTCOME_TEXT: Record<BasketOutcomeName, string> = {
  Dispensed: "dispensed",
  Suspect: "SUSPECT: not active (already dispensed, destroyed, stolen or locked); reported to the regulator",
  InvalidProof: "refused: the proof does not show the unit belongs to the batch",
  UnknownBatch: "refused: no such batch",
  NotReleased: "refused: the batch is not released for sale",
  Expired: "refused: the batch has expired",
  Halted: "refused: the batch is stopped or recalled (trade halted)",
  NoStock: "refused: your party holds no more available stock of the batch",
};

/** The most units in a basket, and lines in a pallet (the contract's bounds). */
export const MAX_BASKET_UNITS = 256;
export const MAX_PALLET_LINES = 256;

/** A unit to put in a basket: its batch, that batch's unit tree, its index. */
export interface BasketEntry {
  batchId: string;
  tree: UnitTree;
  index: number;
  /** A prescription reference (bytes32; default none). */
  prescription?: string;
}

export interface BasketUnit {
  index: bigint;
  unitHash: string;
  prescription: string;
}

export interface BasketGroup {
  batchId: string;
  units: BasketUnit[];
  proof: string[];
  proofFlags: boolean[];
}

/** A dispensed unit as a basket's commitment lists it (`IBulkCustody.BasketItem`). */
export interface BasketItem {
  batchId: string;
  index: bigint;
  prescription: string;
}

export interface PalletLine {
  batchId: string;
  quantity: bigint;
}

/**
 * The groups of a basket, one per batch with its multiproof, and for each outcome the
 * entry it answers: `entryOf[k]` is the position in `entries` of the k-th unit presented
 * (the contract answers in the groups' order, each group in its proof's leaf order).
 */
export function basketGroups(entries: readonly BasketEntry[]): { groups: BasketGroup[]; entryOf: number[] } {
  if (entries.length === 0 || entries.length > MAX_BASKET_UNITS) {
    throw new UserError(`a basket holds 1 to ${MAX_BASKET_UNITS} units, not ${entries.length}`);
  }
  const byBatch = new Map<string, { tree: UnitTree; at: Map<number, number> }>();
  entries.forEach((entry, position) => {
    const key = entry.batchId.toLowerCase();
    let batch = byBatch.get(key);
    if (batch === undefined) byBatch.set(key, (batch = { tree: entry.tree, at: new Map() }));
    if (batch.at.has(entry.index)) throw new UserError(`unit ${entry.index} of batch ${entry.batchId} is in the basket twice`);
    batch.at.set(entry.index, position);
  });
  const groups: BasketGroup[] = [];
  const entryOf: number[] = [];
  for (const [batchId, { tree, at }] of byBatch) {
    const { indices, proof, proofFlags } = tree.multiProof([...at.keys()]);
    groups.push({
      batchId,
      units: indices.map((index) => {
        const position = at.get(index)!;
        entryOf.push(position);
        return { index: BigInt(index), unitHash: tree.unitHash(index), prescription: entries[position].prescription ?? ZeroHash };
      }),
      proof,
      proofFlags,
    });
  }
  return { groups, entryOf };
}

/** `IBulkCustody.basketCommitment`: the chain hash of a basket's dispensed units. */
export function basketCommitment(items: readonly BasketItem[]): string {
  const coder = AbiCoder.defaultAbiCoder();
  let commitment = ZeroHash;
  for (const item of items) {
    commitment = keccak256(coder.encode(["bytes32", "bytes32", "uint256", "bytes32"], [commitment, item.batchId, item.index, item.prescription]));
  }
  return commitment;
}

/** A basket's id, `keccak256(abi.encode(party, seq))`. */
export function basketIdOf(party: bigint, seq: bigint | number): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "uint32"], [party, seq]));
}

/** A pallet's id, `keccak256(abi.encode("pallet", from, seq))`. */
export function palletIdOf(from: bigint, seq: bigint | number): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint64", "uint32"], ["pallet", from, seq]));
}

/** Pallet lines, checked as the contract checks them (1 to 256, each a positive quantity). */
export function palletLines(lines: readonly PalletLine[]): PalletLine[] {
  if (lines.length === 0 || lines.length > MAX_PALLET_LINES) {
    throw new UserError(`a pallet holds 1 to ${MAX_PALLET_LINES} lines, not ${lines.length}`);
  }
  for (const [i, line] of lines.entries()) {
    if (line.quantity <= 0n) throw new UserError(`pallet line ${i + 1}: the quantity must be a positive whole number`);
  }
  return lines.map((line) => ({ batchId: line.batchId, quantity: line.quantity }));
}
