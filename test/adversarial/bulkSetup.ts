/**
 * The arena of the bulk-custody attacks (baskets and pallets, {IBulkCustody}): the
 * adversarial {@link batchArena} with a second released batch, LOT-B, a basket that the
 * victim pharmacy dispensed and can still undo, and views that read, before and after an
 * attack, what baskets and pallets change: the ledger of both batches, the parties' bulk
 * counters and basket records, and every pallet. Pallets move stock into `inTransit`
 * without a `Shipped` event, so their conservation check is this file's
 * {@link expectBulkConserved}, which counts open pallets' lines with open shipments.
 */
import { expect } from "chai";
import type { HardhatEthersSigner as Signer } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import { BASKET_OUTCOMES, type BasketItem, type BasketOutcomeName, basketIdOf, palletIdOf } from "../../sdk/baskets.js";
import { ShipmentStatus } from "../../sdk/enums.js";
import type { ISuspectProduct } from "../../types/ethers-contracts/index.js";
import { ethers } from "../helpers/fixtures.js";
import { GTIN, UNITS } from "../helpers/quality.js";
import { type BasketGroupStruct, UnitTree, inspect } from "../helpers/supply.js";
import {
  HOSPITAL,
  MAKER,
  PHARMACY,
  PHARMACY2,
  WHOLESALER,
  type BatchArena,
  batchArena,
  createBatch,
  ledgerView,
  plain,
} from "./setup.js";

/** The prescription references the victim and the attacker dispense against. */
export const RX_VICTIM = ethers.id("prescription of pharmacy two's patient");
export const RX_ATTACKER = ethers.id("prescription of the hostile pharmacy's patient");

/** `IBulkCustody.BasketOutcome` by name, as the contract answers it (bigint). */
export const Outcome = Object.fromEntries(BASKET_OUTCOMES.map((name, i) => [name, BigInt(i)])) as Record<BasketOutcomeName, bigint>;

/** The default undo window (BatchRegistry.initialize): 10 days. */
export const UNDO_WINDOW = 10n * 24n * 3600n;

/** The items a basket group dispenses, in the order its commitment lists them. */
export function itemsOf(group: BasketGroupStruct): BasketItem[] {
  return group.units.map((u) => ({
    batchId: group.batchId as string,
    index: BigInt(u.index),
    prescription: u.prescription as string,
  }));
}

/** The unit indices of a group, in the group's (the proof's leaf) order. */
export function indicesOf(group: BasketGroupStruct): bigint[] {
  return group.units.map((u) => BigInt(u.index));
}

export interface BulkArena extends BatchArena {
  /** LOT-B of the same product: released; maker 20, wholesaler 15, pharmacy two 5; the hostile pharmacy none. */
  batchB: string;
  treeB: UnitTree;
}

/** Ships `quantity` of `batchId` from `sender` to party `to`, received by `receiver`. */
async function move(c: BatchArena, batchId: string, sender: Signer, to: bigint, receiver: Signer, quantity: bigint): Promise<void> {
  const br = c.batchRegistry;
  const id = await br.connect(sender).ship.staticCall(batchId, to, quantity);
  await br.connect(sender).ship(batchId, to, quantity);
  await br.connect(receiver).receiveShipment(batchId, id);
}

/**
 * + LOT-B (40 boxes, 16 units with serials B0..B15), released; maker → wholesaler 20,
 * wholesaler → pharmacy two 5: maker 20, wholesaler 15, pharmacy two 5. Holdings of LOT: maker 40, wholesaler 49, pharmacy 1,
 * pharmacy two 10.
 */
export async function bulkArena(): Promise<BulkArena> {
  const c = await batchArena();
  const treeB = UnitTree.sequential(GTIN, UNITS, "B");
  const batchB = await createBatch(c, "LOT-B", treeB, 40n);
  await inspect(c.batchRegistry, c.makerQa, batchB);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(batchB);
  await move(c, batchB, c.maker, WHOLESALER, c.wholesaler, 20n);
  await move(c, batchB, c.wholesaler, PHARMACY2, c.pharmacy2, 5n);
  return { ...c, batchB, treeB };
}

export interface BasketArena extends BulkArena {
  /** Pharmacy two's basket 0: units 4 and 5 of LOT, against RX_VICTIM, open to undo. */
  victimGroup: BasketGroupStruct;
  victimItems: BasketItem[];
  victimBasket: string;
}

/**
 * + the wholesaler ships 2 more boxes of LOT to the hostile pharmacy (it holds 3), and
 * pharmacy two dispenses units 4 and 5 of LOT in its basket 0 (it holds 8 and has
 * dispensed 2).
 */
export async function basketArena(): Promise<BasketArena> {
  const c = await bulkArena();
  await move(c, c.batchId, c.wholesaler, PHARMACY, c.pharmacy, 2n);
  const victimGroup = c.tree.group(c.batchId, [4n, 5n], RX_VICTIM);
  await c.batchRegistry.connect(c.pharmacy2).dispenseBasket([victimGroup]);
  return { ...c, victimGroup, victimItems: itemsOf(victimGroup), victimBasket: basketIdOf(PHARMACY2, 0) };
}

export interface PalletArena extends BulkArena {
  /** The wholesaler's pallet 0 to the hostile pharmacy: LOT 5, LOT-B 4, in transit. */
  palletId: string;
  lines: { batchId: string; quantity: bigint }[];
  /** The wholesaler's pallet 1 to pharmacy two: LOT 3, in transit. */
  victimPalletId: string;
  victimLines: { batchId: string; quantity: bigint }[];
}

/**
 * + the wholesaler ships pallet 0 (LOT 5, LOT-B 4) to the hostile pharmacy and pallet 1
 * (LOT 3) to pharmacy two; both in transit. Wholesaler holds LOT 41, LOT-B 11.
 */
export async function palletArena(): Promise<PalletArena> {
  const c = await bulkArena();
  const lines = [
    { batchId: c.batchId, quantity: 5n },
    { batchId: c.batchB, quantity: 4n },
  ];
  const victimLines = [{ batchId: c.batchId, quantity: 3n }];
  await c.batchRegistry.connect(c.wholesaler).shipPallet(PHARMACY, lines);
  await c.batchRegistry.connect(c.wholesaler).shipPallet(PHARMACY2, victimLines);
  return { ...c, palletId: palletIdOf(WHOLESALER, 0), lines, victimPalletId: palletIdOf(WHOLESALER, 1), victimLines };
}

// ==== VIEWS READ BEFORE AND AFTER AN ATTACK ====

/** The parties whose bulk state the views read: every custodian of the arenas. */
export const BULK_PARTIES = [MAKER, WHOLESALER, HOSPITAL, PHARMACY, PHARMACY2] as const;

/**
 * Everything the chain says about both batches (their {@link ledgerView}s), each party's
 * bulk counters and its first `seqs` basket records, and the given pallets.
 */
export async function bulkView(c: BulkArena, pallets: string[] = [], seqs = 4): Promise<unknown> {
  const br = c.batchRegistry;
  const parties: unknown[] = [];
  for (const p of BULK_PARTIES) {
    const records: unknown[] = [];
    for (let s = 0; s < seqs; ++s) records.push(plain(await br.basketRecord(p, s)));
    parties.push([p, plain(await br.bulkCounters(p)), records]);
  }
  const palletRecords: unknown[] = [];
  for (const id of pallets) palletRecords.push(plain(await br.getPallet(id)));
  return {
    lot: await ledgerView(c, c.batchId),
    lotB: await ledgerView(c, c.batchB),
    parties,
    pallets: palletRecords,
  };
}

/** A unit's record as [status, party] (its time left out). */
export async function statusOf(c: BatchArena, batchId: string, index: bigint): Promise<[bigint, bigint]> {
  const [status, party] = await c.batchRegistry.unitRecord(batchId, index);
  return [status, party];
}

/** What a basket answers, read with a static call, then sent: its id, outcomes and transaction. */
export async function presentBasket(
  c: BatchArena,
  signer: Signer,
  groups: BasketGroupStruct[],
): Promise<{ basketId: string; outcomes: bigint[]; tx: ContractTransactionResponse }> {
  const br = c.batchRegistry.connect(signer);
  const [basketId, outcomes] = await br.dispenseBasket.staticCall(groups);
  const tx = await br.dispenseBasket(groups);
  return { basketId, outcomes: Array.from(outcomes, BigInt), tx };
}

// ==== CONSERVATION WITH PALLETS ====

/**
 * Asserts, for `batchId`, that Σ in transit over every party equals the open single
 * shipments plus the open pallets' lines of the batch (both found through their events),
 * that Σ dispensed by party equals the batch's, and that Σ held + Σ in transit + dispensed
 * + destroyed + lost + quarantined + suspended == quantity. Returns [Σ held, Σ in transit].
 */
export async function expectBulkConserved(c: BatchArena, batchId: string): Promise<[bigint, bigint]> {
  const br = c.batchRegistry;
  const parties = await c.registry.partyCount();
  let held = 0n;
  let inTransit = 0n;
  let dispensedByParties = 0n;
  let suspendedByParties = 0n;
  for (let p = 0n; p <= parties + 1n; ++p) {
    const k = await br.custody(batchId, p);
    expect(k.locked <= k.held, `party ${p} locks more than it holds`).to.equal(true);
    held += k.held;
    inTransit += k.inTransit;
    dispensedByParties += k.dispensed;
    suspendedByParties += k.suspended;
  }
  let open = 0n;
  for (const e of await br.queryFilter(br.filters.Shipped(undefined, batchId))) {
    const s = await br.getShipment(e.args.shipmentId);
    if (Number(s.status) === ShipmentStatus.InTransit) open += s.quantity;
  }
  for (const e of await br.queryFilter(br.filters.PalletShipped())) {
    const pallet = await br.getPallet(e.args.palletId);
    if (Number(pallet.status) !== ShipmentStatus.InTransit) continue;
    for (const line of e.args.lines) if (line.batchId === batchId) open += line.quantity;
  }
  expect(inTransit, "Σ in transit against the open shipments and pallets").to.equal(open);
  const b = await br.getBatch(batchId);
  expect(dispensedByParties, "Σ dispensed by party against the batch's").to.equal(b.dispensed);
  const suspects = (await ethers.getContractAt("ISuspectProduct", await br.getAddress())) as unknown as ISuspectProduct;
  const [, suspended] = await suspects.suspectCount(batchId);
  expect(suspendedByParties, "Σ suspended by party against the cases'").to.equal(suspended);
  expect(held + inTransit + b.dispensed + b.destroyed + b.lost + b.quarantined + suspended, "conservation").to.equal(b.quantity);
  return [held, inTransit];
}

export { basketIdOf, palletIdOf };
