/**
 * The events of baskets and pallets ({IBulkCustody}, emitted at the BatchRegistry proxy by
 * its BulkCustody code object), decoded for the replay, the trace and the EPCIS export,
 * and the hashes the contracts keep of them.
 *
 * {@link parseReplayLog} decodes any MedState log: the combined interface's events first,
 * then the bulk events, so that the replay knows them whether or not the combined ABI
 * carries the BulkCustody fragments.
 */
import { AbiCoder, type EventFragment, Interface, type LogDescription, keccak256 } from "ethers";

import { parseMedstateLog } from "../contracts.js";
import { IBulkCustody__factory } from "../../types/ethers-contracts/index.js";

/** The events only the BulkCustody code object emits. */
export const BULK_EVENTS = ["UnitsDispensed", "BasketDispensed", "BasketUndone", "BasketExpired", "PalletShipped", "PalletClosed"] as const;
export type BulkEventName = (typeof BULK_EVENTS)[number];

/** One line of a pallet, as its events carry it. */
export interface PalletLineRecord {
  batchId: string;
  quantity: bigint;
}

/** A basket's dispensed unit, as its commitment chains it. */
export interface BasketItemRecord {
  batchId: string;
  index: bigint;
  prescription: string;
}

const coder = AbiCoder.defaultAbiCoder();
const ZERO_HASH = `0x${"0".repeat(64)}`;
/** The bits of a basket record that hold its time: the commitment keeps the other 216. */
const TIME_MASK = (1n << 40n) - 1n;

let bulk: Interface | undefined;
let byTopic: Map<string, EventFragment> | undefined;

/** An Interface with the bulk events (and, through ISupplyLedger, the ledger's). */
export function bulkInterface(): Interface {
  bulk ??= new Interface(IBulkCustody__factory.abi);
  return bulk;
}

/** The decoded bulk event of a log, or null. */
export function parseBulkLog(log: { topics: readonly string[]; data: string }): LogDescription | null {
  const iface = bulkInterface();
  byTopic ??= new Map(
    iface.fragments
      .filter((f): f is EventFragment => f.type === "event")
      .filter((f) => (BULK_EVENTS as readonly string[]).includes(f.name))
      .map((f) => [f.topicHash, f]),
  );
  const topic = log.topics[0];
  const fragment = topic === undefined ? undefined : byTopic.get(topic.toLowerCase());
  if (fragment === undefined) return null;
  try {
    return iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
}

/** Any MedState log decoded: {@link parseMedstateLog}, else {@link parseBulkLog}. */
export function parseReplayLog(log: { topics: readonly string[]; data: string }): LogDescription | null {
  return parseMedstateLog(log) ?? parseBulkLog(log);
}

/** The topic hash of a bulk event. */
export function bulkTopic(name: BulkEventName): string {
  return bulkInterface().getEvent(name)!.topicHash;
}

/** A pallet's lines from a decoded PalletShipped (ethers Results) as plain records. */
export function linesOf(value: unknown): PalletLineRecord[] {
  return [...(value as readonly { batchId: string; quantity: bigint }[])].map((line) => ({
    batchId: String(line.batchId).toLowerCase(),
    quantity: BigInt(line.quantity),
  }));
}

/** `keccak256(abi.encode(lines))`: the hash a pallet stores of its lines. */
export function palletLinesHash(lines: readonly PalletLineRecord[]): string {
  return keccak256(coder.encode(["tuple(bytes32 batchId, uint48 quantity)[]"], [lines.map((l) => [l.batchId, l.quantity])]));
}

/** One step of a basket's commitment chain: `keccak256(abi.encode(c, batchId, index, prescription))`. */
export function chainCommitment(commitment: string, item: BasketItemRecord): string {
  return keccak256(coder.encode(["bytes32", "bytes32", "uint256", "bytes32"], [commitment, item.batchId, item.index, item.prescription]));
}

/** The commitment of a basket's dispensed units (0 for none). */
export function commitmentOf(items: readonly BasketItemRecord[]): string {
  return items.reduce(chainCommitment, ZERO_HASH);
}

/** A commitment as a basket record keeps it: its first 216 bits. */
export function storedCommitment(commitment: string): string {
  return `0x${(BigInt(commitment) & ~TIME_MASK).toString(16).padStart(64, "0")}`;
}

/** A basket's id, `keccak256(abi.encode(uint64 party, uint32 seq))`. */
export function basketIdFor(party: bigint, seq: bigint): string {
  return keccak256(coder.encode(["uint64", "uint32"], [party, seq]));
}

/** A pallet's id, `keccak256(abi.encode("pallet", uint64 from, uint32 seq))`. */
export function palletIdFor(from: bigint, seq: bigint): string {
  return keccak256(coder.encode(["string", "uint64", "uint32"], ["pallet", from, seq]));
}
