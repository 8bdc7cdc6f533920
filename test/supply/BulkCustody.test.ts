import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";

import {
  BASKET_OUTCOMES,
  type BasketItem,
  type BasketOutcomeName,
  MAX_BASKET_UNITS,
  MAX_PALLET_LINES,
  type PalletLine,
  basketCommitment,
  basketIdOf,
  palletIdOf,
} from "../../sdk/baskets.js";
import { Domain, LicenceKind, PartyStatus, Role } from "../../sdk/enums.js";
import { wrongRole } from "../helpers/callers.js";
import {
  HOSPITAL,
  LABORATORY,
  LOGISTICS,
  MAKER,
  NOTARY,
  PHARMACY,
  REGULATOR,
  UNKNOWN,
  WHOLESALER,
  ethers,
} from "../helpers/fixtures.js";
import { productSubject } from "../helpers/quality.js";
import {
  type BasketGroupStruct,
  ShipmentStatus,
  UnitStatus,
  UnitTree,
  UnitVerdict,
  batchIdOf,
  expectConserved,
  expectEvents,
  inspect,
  shipmentIdOf,
} from "../helpers/supply.js";
import {
  ACTIVE_RECORD,
  type BatchCtx,
  type Ctx,
  DAY,
  EMERGENCY_STOP,
  GTIN,
  GTIN2,
  LOT,
  type Signer,
  U64,
  UNDO_WINDOW,
  batchInput,
  batchOf,
  custodianCases,
  custody,
  custodyOf,
  dispensedBy,
  dispensedUnit,
  dispenserCases,
  distributedBatch,
  holdings,
  hospitalStocked,
  itRejectsCallers,
  ledgerAt,
  loadFixture,
  lockedUnit,
  markedUnits,
  move,
  productionBatch,
  regulatorActorCases,
  releasedBatch,
  stop,
  time,
  timestampOf,
  unitOf,
  verdictOf,
} from "./ledger.fixtures.js";

// ==== CONSTANTS ====

const coder = ethers.AbiCoder.defaultAbiCoder();

/** The second batch of `twoBatches`: 8 serialised units, 100 boxes. */
const LOT2 = "LOT-2026-002";
const UNITS2 = 8;

/** A basket unit's outcome, by name (IBulkCustody.BasketOutcome). */
const D = outcome("Dispensed");
const S = outcome("Suspect");

// ==== HELPERS ====

function outcome(name: BasketOutcomeName): number {
  return BASKET_OUTCOMES.indexOf(name);
}

/** A prescription reference for a unit, distinct per batch and index. */
function rx(batchId: string, index: bigint): string {
  return ethers.id(`rx ${batchId} ${index}`);
}

/** The group with each unit's own prescription reference (not part of the proof). */
function prescribed(group: BasketGroupStruct): BasketGroupStruct {
  const batchId = ethers.hexlify(group.batchId);
  return { ...group, units: group.units.map((u) => ({ ...u, prescription: rx(batchId, BigInt(u.index)) })) };
}

/** The group's unit indices, in the order it presents them (the proof's leaf order). */
function indicesOf(group: BasketGroupStruct): bigint[] {
  return group.units.map((u) => BigInt(u.index));
}

/** The group's units as a commitment lists them, in its order. */
function itemsOf(group: BasketGroupStruct): BasketItem[] {
  const batchId = ethers.hexlify(group.batchId);
  return group.units.map((u) => ({ batchId, index: BigInt(u.index), prescription: ethers.hexlify(u.prescription) }));
}

/** Each unit's expected outcome, in the group's order, from `of(index, position)`. */
function outcomesOf(group: BasketGroupStruct, of: (index: bigint, position: number) => BasketOutcomeName): number[] {
  return group.units.map((u, position) => outcome(of(BigInt(u.index), position)));
}

/** The commitment as a basket's record keeps it: its first 216 bits. */
function recorded(commitment: string): string {
  return ethers.toBeHex((BigInt(commitment) >> 40n) << 40n, 32);
}

/** `keccak256(abi.encode(lines))`, as a pallet stores it. */
function linesHashOf(lines: readonly PalletLine[]): string {
  return ethers.keccak256(coder.encode(["tuple(bytes32 batchId, uint48 quantity)[]"], [lines.map((l) => [l.batchId, l.quantity])]));
}

/** Pallet lines as PalletShipped decodes them. */
function linesArg(lines: readonly PalletLine[]): unknown[] {
  return lines.map((l) => [l.batchId, l.quantity]);
}

interface Presented {
  tx: ContractTransactionResponse;
  basketId: string;
  outcomes: number[];
  at: bigint;
}

/** Presents a basket: what it answers (by a static call first), then the transaction and its time. */
async function present(c: Ctx, signer: Signer, groups: BasketGroupStruct[]): Promise<Presented> {
  const [basketId, outcomes] = await c.batchRegistry.connect(signer).dispenseBasket.staticCall(groups);
  const tx = await c.batchRegistry.connect(signer).dispenseBasket(groups);
  return { tx, basketId, outcomes: outcomes.map(Number), at: await timestampOf(tx) };
}

interface RecordView {
  at: bigint;
  commitment: string;
}

const NO_RECORD: RecordView = { at: 0n, commitment: ethers.ZeroHash };

async function recordOf(c: Ctx, party: bigint, seq: bigint): Promise<RecordView> {
  const [at, commitment] = await c.batchRegistry.basketRecord(party, seq);
  return { at, commitment };
}

interface CountersView {
  baskets: bigint;
  oldestOpen: bigint;
  pallets: bigint;
}

async function countersOf(c: Ctx, party: bigint): Promise<CountersView> {
  const [baskets, oldestOpen, pallets] = await c.batchRegistry.bulkCounters(party);
  return { baskets, oldestOpen, pallets };
}

interface PalletView {
  from: bigint;
  to: bigint;
  seq: bigint;
  lineCount: bigint;
  shippedAt: bigint;
  status: number;
  linesHash: string;
}

const NO_PALLET: PalletView = { from: 0n, to: 0n, seq: 0n, lineCount: 0n, shippedAt: 0n, status: ShipmentStatus.None, linesHash: ethers.ZeroHash };

async function palletOf(c: Ctx, palletId: string): Promise<PalletView> {
  const p = await c.batchRegistry.getPallet(palletId);
  return { from: p.from, to: p.to, seq: p.seq, lineCount: p.lineCount, shippedAt: p.shippedAt, status: Number(p.status), linesHash: p.linesHash };
}

/**
 * Σ held + Σ in transit + Σ suspended + dispensed + destroyed + lost + quarantined ==
 * quantity, summed from the views. (expectConserved also matches Σ in transit against the
 * open single shipments, so it is used only when no pallet is open.)
 */
async function expectBalanced(c: Ctx, batchId: string): Promise<void> {
  const parties = await c.registry.partyCount();
  let total = 0n;
  for (let p = 0n; p <= parties + 1n; ++p) {
    const k = await c.batchRegistry.custody(batchId, p);
    total += k.held + k.inTransit + k.suspended;
  }
  const b = await c.batchRegistry.getBatch(batchId);
  expect(total + b.dispensed + b.destroyed + b.lost + b.quarantined, `batch ${batchId} balances`).to.equal(b.quantity);
}

// ==== FIXTURES ====

interface TwoBatchCtx extends BatchCtx {
  /** LOT2 of GTIN, released: the maker holds 95, the pharmacy 5. */
  batchId2: string;
  tree2: UnitTree;
  expiresAt2: bigint;
}

/** distributedBatch, and a second released batch (LOT2, 8 units) of which the pharmacy received 5. */
async function twoBatches(): Promise<TwoBatchCtx> {
  const c = await distributedBatch();
  const tree2 = UnitTree.sequential(GTIN, UNITS2, "B");
  const input = await batchInput({ lot: LOT2 }, tree2);
  await c.batchRegistry.connect(c.maker).createBatch(input);
  const batchId2 = batchIdOf(GTIN, LOT2);
  await inspect(c.batchRegistry, c.makerQa, batchId2);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(batchId2);
  await c.batchRegistry.connect(c.maker).ship(batchId2, PHARMACY, 5n);
  await c.batchRegistry.connect(c.pharmacy).receiveShipment(batchId2, shipmentIdOf(batchId2, MAKER, 0n));
  return { ...c, batchId2, tree2, expiresAt2: BigInt(input.expiresAt) };
}

interface BasketCtx extends TwoBatchCtx {
  /** The pharmacy's basket 0: units 0, 1, 2 of the first batch, then 3, 4 of the second, each with its prescription. */
  basketId: string;
  items: BasketItem[];
  at: bigint;
}

/** twoBatches, then the pharmacy's basket 0 (pharmacy: 17 of the first batch, 3 of the second). */
async function dispensedBasket(): Promise<BasketCtx> {
  const c = await twoBatches();
  const groups = [prescribed(c.tree.group(c.batchId, [0n, 1n, 2n])), prescribed(c.tree2.group(c.batchId2, [3n, 4n]))];
  const tx = await c.batchRegistry.connect(c.pharmacy).dispenseBasket(groups);
  return { ...c, basketId: basketIdOf(PHARMACY, 0), items: groups.flatMap(itemsOf), at: await timestampOf(tx) };
}

interface FirstBasketCtx extends BatchCtx {
  /** The pharmacy's basket 0: unit 0, at `at`. */
  items: BasketItem[];
  at: bigint;
}

/** distributedBatch, then the pharmacy's basket 0 of unit 0. */
async function firstBasket(): Promise<FirstBasketCtx> {
  const c = await distributedBatch();
  const group = c.tree.group(c.batchId, [0n]);
  const tx = await c.batchRegistry.connect(c.pharmacy).dispenseBasket([group]);
  return { ...c, items: itemsOf(group), at: await timestampOf(tx) };
}

interface PalletCtx extends TwoBatchCtx {
  /** The maker's pallet 0 to the wholesaler: 10 of the first batch, 25 of the second. */
  palletId: string;
  lines: PalletLine[];
  shippedAt: bigint;
}

/** twoBatches, then the maker ships pallet 0 to the wholesaler (maker: 30 and 70 held, 10 and 25 in transit). */
async function openPallet(): Promise<PalletCtx> {
  const c = await twoBatches();
  const lines = [
    { batchId: c.batchId, quantity: 10n },
    { batchId: c.batchId2, quantity: 25n },
  ];
  const tx = await c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, lines);
  return { ...c, palletId: palletIdOf(MAKER, 0), lines, shippedAt: await timestampOf(tx) };
}

/** Closes the open pallet of `openPallet` in each of the three ways: who, what status, who is credited. */
function palletClosings(): [string, (c: PalletCtx) => Promise<ContractTransactionResponse>, number][] {
  return [
    ["received", (c) => c.batchRegistry.connect(c.wholesaler).receivePallet(c.palletId, c.lines), ShipmentStatus.Received],
    ["cancelled", (c) => c.batchRegistry.connect(c.maker).cancelPallet(c.palletId, c.lines), ShipmentStatus.Cancelled],
    ["rejected", (c) => c.batchRegistry.connect(c.wholesaler).rejectPallet(c.palletId, c.lines), ShipmentStatus.Rejected],
  ];
}

/** The closing call's checks before its caller's side: an unknown pallet, restated lines that differ, a closed pallet. */
function itChecksThePallet(
  close: (c: PalletCtx, s: Signer, palletId: string, lines: PalletLine[]) => Promise<ContractTransactionResponse>,
  caller: (c: PalletCtx) => Signer,
): void {
  it("reverts on an unknown pallet", async function () {
    const c = await loadFixture(openPallet);
    for (const id of [ethers.id("no such pallet"), ethers.ZeroHash, palletIdOf(MAKER, 1), palletIdOf(WHOLESALER, 0), basketIdOf(MAKER, 0)]) {
      await expect(close(c, caller(c), id, c.lines))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownPallet")
        .withArgs(id);
    }
  });

  it("reverts when the restated lines are not the pallet's", async function () {
    const c = await loadFixture(openPallet);
    const [a, b] = c.lines;
    for (const lines of [
      [{ ...a, quantity: 11n }, b],
      [a, { ...b, quantity: 24n }],
      [b, a],
      [a],
      [a, b, a],
      [a, { ...b, batchId: batchIdOf(GTIN2, LOT) }],
      [],
    ]) {
      await expect(close(c, caller(c), c.palletId, lines))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryPalletMismatch")
        .withArgs(c.palletId);
    }
    expect((await palletOf(c, c.palletId)).status).to.equal(ShipmentStatus.InTransit);
  });

  for (const [title, closeFirst, status] of palletClosings()) {
    it(`reverts once the pallet was ${title}, whatever lines are restated`, async function () {
      const c = await loadFixture(openPallet);
      await closeFirst(c);
      for (const lines of [c.lines, [c.lines[0]]]) {
        await expect(close(c, caller(c), c.palletId, lines))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.palletId, status);
      }
    });
  }
}

// ==== TESTS ====

/**
 * BulkCustody, run at the BatchRegistry proxy: baskets (dispenseBasket, undoBasket, their
 * records and views) and pallets (shipPallet, receivePallet, cancelPallet, rejectPallet).
 */
describe("BulkCustody", function () {
  describe("dispenseBasket", function () {
    it("dispenses every active unit: outcomes, UnitsDispensed and BasketDispensed, stock, counters and unit reads", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      const group = prescribed(tree.group(batchId, [0n, 5n, 9n, 12n]));
      const items = itemsOf(group);
      const basketId = basketIdOf(PHARMACY, 0);
      const r = await present(c, pharmacy, [group]);
      expect(r.basketId).to.equal(basketId);
      expect(r.outcomes).to.deep.equal([D, D, D, D]);
      const commitment = basketCommitment(items);
      await expectEvents(batchRegistry, r.tx, [
        ["UnitsDispensed", [batchId, basketId, PHARMACY, indicesOf(group), items.map((i) => i.prescription)]],
        ["BasketDispensed", [basketId, PHARMACY, 0n, 4n, 0n, 0n, commitment, pharmacy.address]],
      ]);
      expect(await batchRegistry.basketCommitment(items)).to.equal(commitment);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at: r.at, commitment: recorded(commitment) });
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 16n, dispensed: 4n }));
      expect(await holdings(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([40n, 40n, 0n, 16n]);
      expect(await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 4n]);
      expect((await batchOf(batchRegistry, batchId)).dispensed).to.equal(4n);
      for (const index of [0n, 5n, 9n, 12n]) {
        expect(await verdictOf(batchRegistry, tree.unit(batchId, index)), `unit ${index}`).to.deep.equal([UnitVerdict.Dispensed, 0n]);
        expect(await unitOf(batchRegistry, batchId, index), `unit ${index}`).to.deep.equal({ status: UnitStatus.Dispensed, party: 0n, at: 0n });
      }
      // The others are untouched.
      expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal(ACTIVE_RECORD);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 1n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
      expect(await expectConserved(c, batchId)).to.deep.include({ dispensed: 4n, held: 96n });
    });

    it("numbers each party's baskets from 0, whichever admin or operator presents them", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, pharmacy, pharmacyOperator, hospital, batchId, tree } = c;
      const first = await present(c, pharmacy, [tree.group(batchId, [0n])]);
      const second = await present(c, pharmacyOperator, [tree.group(batchId, [1n, 2n])]);
      const third = await present(c, hospital, [tree.group(batchId, [3n])]);
      expect([first.basketId, second.basketId, third.basketId]).to.deep.equal([basketIdOf(PHARMACY, 0), basketIdOf(PHARMACY, 1), basketIdOf(HOSPITAL, 0)]);
      const g = tree.group(batchId, [1n, 2n]);
      await expectEvents(batchRegistry, second.tx, [
        ["UnitsDispensed", [batchId, basketIdOf(PHARMACY, 1), PHARMACY, indicesOf(g), [ethers.ZeroHash, ethers.ZeroHash]]],
        ["BasketDispensed", [basketIdOf(PHARMACY, 1), PHARMACY, 1n, 2n, 0n, 0n, basketCommitment(itemsOf(g)), pharmacyOperator.address]],
      ]);
      await expectEvents(batchRegistry, third.tx, [
        ["UnitsDispensed", [batchId, basketIdOf(HOSPITAL, 0), HOSPITAL, [3n], [ethers.ZeroHash]]],
        ["BasketDispensed", [basketIdOf(HOSPITAL, 0), HOSPITAL, 0n, 1n, 0n, 0n, basketCommitment(itemsOf(tree.group(batchId, [3n]))), hospital.address]],
      ]);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 2n, oldestOpen: 0n, pallets: 0n });
      expect(await countersOf(c, HOSPITAL)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([9n, 17n]);
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([1n, 3n]);
      expect(await recordOf(c, HOSPITAL, 0n)).to.deep.equal({ at: third.at, commitment: recorded(basketCommitment(itemsOf(tree.group(batchId, [3n])))) });
      await expectConserved(c, batchId);
    });

    it("dispenses the units of several batches in one basket, one UnitsDispensed per batch, one commitment across them", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, pharmacy, batchId, batchId2, tree, tree2 } = c;
      const groups = [prescribed(tree.group(batchId, [4n, 7n])), prescribed(tree2.group(batchId2, [0n, 1n, 6n]))];
      const items = groups.flatMap(itemsOf);
      const r = await present(c, pharmacy, groups);
      expect(r.outcomes).to.deep.equal([D, D, D, D, D]);
      await expectEvents(batchRegistry, r.tx, [
        ["UnitsDispensed", [batchId, r.basketId, PHARMACY, indicesOf(groups[0]), itemsOf(groups[0]).map((i) => i.prescription)]],
        ["UnitsDispensed", [batchId2, r.basketId, PHARMACY, indicesOf(groups[1]), itemsOf(groups[1]).map((i) => i.prescription)]],
        ["BasketDispensed", [r.basketId, PHARMACY, 0n, 5n, 0n, 0n, basketCommitment(items), pharmacy.address]],
      ]);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at: r.at, commitment: recorded(basketCommitment(items)) });
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 18n, dispensed: 2n }));
      expect(await custodyOf(batchRegistry, batchId2, PHARMACY)).to.deep.equal(custody({ held: 2n, dispensed: 3n }));
      expect((await batchOf(batchRegistry, batchId2)).dispensed).to.equal(3n);
      await expectConserved(c, batchId);
      await expectConserved(c, batchId2);
    });

    it("refuses one batch's group for a bad proof and dispenses the other batch's", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, pharmacy, batchId, batchId2, tree, tree2 } = c;
      const good = tree2.group(batchId2, [2n, 3n, 5n]);
      const bad = tree.group(batchId, [0n, 1n]);
      bad.units = bad.units.map((u, i) => (i === 1 ? { ...u, unitHash: ethers.id("counterfeit code") } : u));
      const r = await present(c, pharmacy, [bad, good]);
      expect(r.outcomes).to.deep.equal([outcome("InvalidProof"), outcome("InvalidProof"), D, D, D]);
      await expectEvents(batchRegistry, r.tx, [
        ["UnitsDispensed", [batchId2, r.basketId, PHARMACY, indicesOf(good), [ethers.ZeroHash, ethers.ZeroHash, ethers.ZeroHash]]],
        ["BasketDispensed", [r.basketId, PHARMACY, 0n, 3n, 0n, 2n, basketCommitment(itemsOf(good)), pharmacy.address]],
      ]);
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 20n }));
      expect(await custodyOf(batchRegistry, batchId2, PHARMACY)).to.deep.equal(custody({ held: 2n, dispensed: 3n }));
      expect(await unitOf(batchRegistry, batchId, 0n)).to.deep.equal(ACTIVE_RECORD);
      expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal(ACTIVE_RECORD);
    });

    it("dispenses a basket of 256 units, the most: a unit presented again in the same basket is suspect", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      const all = Array.from({ length: 16 }, (_, i) => BigInt(i));
      const group = tree.group(batchId, all);
      const groups = Array.from({ length: MAX_BASKET_UNITS / 16 }, () => group);
      const r = await present(c, pharmacy, groups);
      expect(r.outcomes).to.deep.equal([...Array(16).fill(D), ...Array(240).fill(S)]);
      let reportNo = 0n;
      const suspects = groups.slice(1).flatMap((g) =>
        indicesOf(g).map((index) => ["SuspectUnitReported", [batchId, index, PHARMACY, tree.hashOf(index), UnitStatus.Dispensed, 0n, ++reportNo, pharmacy.address]] as [string, unknown[]]),
      );
      await expectEvents(batchRegistry, r.tx, [
        ["UnitsDispensed", [batchId, r.basketId, PHARMACY, indicesOf(group), Array(16).fill(ethers.ZeroHash)]],
        ...suspects,
        ["BasketDispensed", [r.basketId, PHARMACY, 0n, 16n, 240n, 0n, basketCommitment(itemsOf(group)), pharmacy.address]],
      ]);
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 4n, dispensed: 16n }));
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(240n);
      await expectConserved(c, batchId);
    });

    describe("units that are not active (suspect)", function () {
      it("reports a unit dispensed singly, naming its dispenser, and dispenses the rest", async function () {
        const c = await loadFixture(dispensedUnit);
        const { batchRegistry, pharmacy, hospital, batchId, tree, dispensedAt } = c;
        const group = tree.group(batchId, [2n, 3n, 4n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (i) => (i === 3n ? "Suspect" : "Dispensed")));
        const dispensed = itemsOf(group).filter((i) => i.index !== 3n);
        await expectEvents(batchRegistry, r.tx, [
          ["SuspectUnitReported", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, pharmacy.address]],
          ["UnitsDispensed", [batchId, r.basketId, PHARMACY, dispensed.map((i) => i.index), [ethers.ZeroHash, ethers.ZeroHash]]],
          ["BasketDispensed", [r.basketId, PHARMACY, 0n, 2n, 1n, 0n, basketCommitment(dispensed), pharmacy.address]],
        ]);
        expect(await unitOf(batchRegistry, batchId, 3n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at: dispensedAt });
        expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 17n, dispensed: 3n }));
        // A dispenser holding no stock of the batch reports it too; the batch's count goes on.
        const h = await present(c, hospital, [tree.group(batchId, [3n])]);
        expect(h.outcomes).to.deep.equal([S]);
        await expectEvents(batchRegistry, h.tx, [
          ["SuspectUnitReported", [batchId, 3n, HOSPITAL, tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 2n, hospital.address]],
          ["BasketDispensed", [basketIdOf(HOSPITAL, 0), HOSPITAL, 0n, 0n, 1n, 0n, ethers.ZeroHash, hospital.address]],
        ]);
        expect(await recordOf(c, HOSPITAL, 0n)).to.deep.equal(NO_RECORD);
        expect(await batchRegistry.suspectReportCount(batchId)).to.equal(2n);
        await expectConserved(c, batchId);
      });

      it("reports a unit dispensed in a basket, naming party 0, in a later basket and in a single dispense", async function () {
        const c = await loadFixture(distributedBatch);
        const { batchRegistry, pharmacy, hospital, batchId, tree } = c;
        await present(c, pharmacy, [tree.group(batchId, [0n, 1n])]);
        const group = tree.group(batchId, [1n, 2n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (i) => (i === 1n ? "Suspect" : "Dispensed")));
        await expectEvents(batchRegistry, r.tx, [
          ["SuspectUnitReported", [batchId, 1n, PHARMACY, tree.hashOf(1n), UnitStatus.Dispensed, 0n, 1n, pharmacy.address]],
          ["UnitsDispensed", [batchId, basketIdOf(PHARMACY, 1), PHARMACY, [2n], [ethers.ZeroHash]]],
          ["BasketDispensed", [basketIdOf(PHARMACY, 1), PHARMACY, 1n, 1n, 1n, 0n, basketCommitment([{ batchId, index: 2n, prescription: ethers.ZeroHash }]), pharmacy.address]],
        ]);
        const unit = tree.unit(batchId, 0n);
        expect(await batchRegistry.connect(hospital).dispense.staticCall(unit)).to.equal(true);
        const tx = await batchRegistry.connect(hospital).dispense(unit);
        await expectEvents(batchRegistry, tx, [
          ["SuspectUnitReported", [batchId, 0n, HOSPITAL, tree.hashOf(0n), UnitStatus.Dispensed, 0n, 2n, hospital.address]],
        ]);
        expect(await unitOf(batchRegistry, batchId, 0n)).to.deep.equal({ status: UnitStatus.Dispensed, party: 0n, at: 0n });
        expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 17n, dispensed: 3n }));
        await expectConserved(c, batchId);
      });

      it("reports destroyed, stolen, locked and dispensed units, naming who marked them, numbering the reports in order", async function () {
        const c = await loadFixture(markedUnits);
        const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = c;
        const marked: Record<string, [number, bigint]> = {
          "3": [UnitStatus.Dispensed, PHARMACY],
          "6": [UnitStatus.Destroyed, WHOLESALER],
          "7": [UnitStatus.Stolen, MAKER],
          "8": [UnitStatus.Locked, PHARMACY],
        };
        const records = await Promise.all([3n, 6n, 7n, 8n].map((i) => unitOf(batchRegistry, batchId, i)));
        const before = await batchOf(batchRegistry, batchId);
        const group = tree.group(batchId, [3n, 6n, 7n, 8n, 9n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (i) => (i === 9n ? "Dispensed" : "Suspect")));
        let reportNo = 0n;
        const reports = indicesOf(group)
          .filter((i) => i !== 9n)
          .map((i) => ["SuspectUnitReported", [batchId, i, PHARMACY, tree.hashOf(i), marked[i.toString()][0], marked[i.toString()][1], ++reportNo, pharmacy.address]] as [string, unknown[]]);
        await expectEvents(batchRegistry, r.tx, [
          ...reports,
          ["UnitsDispensed", [batchId, r.basketId, PHARMACY, [9n], [ethers.ZeroHash]]],
          ["BasketDispensed", [r.basketId, PHARMACY, 0n, 1n, 4n, 0n, basketCommitment([{ batchId, index: 9n, prescription: ethers.ZeroHash }]), pharmacy.address]],
        ]);
        expect(await Promise.all([3n, 6n, 7n, 8n].map((i) => unitOf(batchRegistry, batchId, i)))).to.deep.equal(records);
        expect(records[0]).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at: dispensedAt });
        // The locked unit stays set aside: 19 held, 1 locked, 18 available before; 17 after.
        expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 18n, dispensed: 2n, locked: 1n }));
        expect(await batchOf(batchRegistry, batchId)).to.deep.equal({ ...before, dispensed: before.dispensed + 1n });
        expect(await batchRegistry.suspectReportCount(batchId)).to.equal(4n);
        await expectConserved(c, batchId);
      });

      it("reports suspect units whatever the batch's state, and refuses its active units for the batch's reason", async function () {
        const c = await loadFixture(dispensedUnit);
        const { batchRegistry, pharmacy, batchId, tree } = c;
        await stop(c, batchId);
        const group = tree.group(batchId, [3n, 4n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (i) => (i === 3n ? "Suspect" : "Halted")));
        await expectEvents(batchRegistry, r.tx, [
          ["SuspectUnitReported", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, pharmacy.address]],
          ["BasketDispensed", [r.basketId, PHARMACY, 0n, 0n, 1n, 1n, ethers.ZeroHash, pharmacy.address]],
        ]);
        expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal(NO_RECORD);
        expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
      });
    });

    describe("refusals (nothing reverts)", function () {
      /** Each forgery of the group of units 0, 1, 2 (and 3, dispensed) of the context's batch. */
      const forgeries: [string, (c: BatchCtx, g: BasketGroupStruct) => BasketGroupStruct][] = [
        ["a wrong unit hash", (_c, g) => ({ ...g, units: g.units.map((u, i) => (i === 1 ? { ...u, unitHash: ethers.id("counterfeit code") } : u)) })],
        ["a wrong index", (_c, g) => ({ ...g, units: g.units.map((u, i) => (i === 0 ? { ...u, index: 9n } : u)) })],
        ["another tree's multiproof", (c) => UnitTree.sequential(GTIN, 16, "OTHER").group(c.batchId, [0n, 1n, 2n, 3n])],
        ["the multiproof of other units", (c, g) => {
          const other = c.tree.group(c.batchId, [5n, 6n, 7n, 8n]);
          return { ...g, proof: other.proof, proofFlags: other.proofFlags };
        }],
        ["one flag too many", (_c, g) => ({ ...g, proofFlags: [...g.proofFlags, true] })],
        ["one flag too few", (_c, g) => ({ ...g, proofFlags: g.proofFlags.slice(1) })],
        ["one proof element too many", (_c, g) => ({ ...g, proof: [...g.proof, ethers.ZeroHash] })],
        ["one proof element too few", (_c, g) => ({ ...g, proof: g.proof.slice(1) })],
        ["a set flag unset (one unset flag more than proof elements)", (_c, g) => {
          const flags = [...g.proofFlags];
          flags[flags.indexOf(true)] = false;
          return { ...g, proofFlags: flags };
        }],
        ["an unset flag set (one unset flag fewer than proof elements)", (_c, g) => {
          const flags = [...g.proofFlags];
          flags[flags.indexOf(false)] = true;
          return { ...g, proofFlags: flags };
        }],
        ["a well-formed but wrong proof (an extra element, an extra unset flag)", (_c, g) => ({ ...g, proof: [...g.proof, ethers.ZeroHash], proofFlags: [...g.proofFlags, false] })],
        ["no proof at all", (_c, g) => ({ ...g, proof: [], proofFlags: [] })],
      ];
      for (const [title, forge] of forgeries) {
        it(`refuses the whole group as InvalidProof on ${title}, reporting none of its units`, async function () {
          const c = await loadFixture(dispensedUnit);
          const { batchRegistry, pharmacy, batchId, tree } = c;
          const good = tree.group(batchId, [0n, 1n, 2n, 3n]);
          expect(good.proof.length).to.be.greaterThan(0);
          expect(good.proofFlags).to.include(true);
          const r = await present(c, pharmacy, [forge(c, good)]);
          expect(r.outcomes).to.deep.equal(Array(4).fill(outcome("InvalidProof")));
          await expectEvents(batchRegistry, r.tx, [["BasketDispensed", [r.basketId, PHARMACY, 0n, 0n, 0n, 4n, ethers.ZeroHash, pharmacy.address]]]);
          expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
          expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
          expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal(NO_RECORD);
          expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
        });
      }

      it("refuses the units of an unknown batch as UnknownBatch, reporting none", async function () {
        const c = await loadFixture(dispensedUnit);
        const { batchRegistry, pharmacy, batchId, tree } = c;
        for (const [seq, unknown] of [batchIdOf(GTIN2, LOT), ethers.ZeroHash].entries()) {
          const r = await present(c, pharmacy, [tree.group(unknown, [2n, 3n])]);
          expect(r.outcomes).to.deep.equal([outcome("UnknownBatch"), outcome("UnknownBatch")]);
          await expectEvents(batchRegistry, r.tx, [["BasketDispensed", [basketIdOf(PHARMACY, seq), PHARMACY, BigInt(seq), 0n, 0n, 2n, ethers.ZeroHash, pharmacy.address]]]);
        }
        expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
      });

      it("refuses the active units of a batch in production as NotReleased, and reports its destroyed unit", async function () {
        const c = await loadFixture(productionBatch);
        const { batchRegistry, makerQa, pharmacy, batchId, tree } = c;
        await batchRegistry.connect(makerQa).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed);
        const group = tree.group(batchId, [1n, 2n, 5n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (i) => (i === 2n ? "Suspect" : "NotReleased")));
        await expectEvents(batchRegistry, r.tx, [
          ["SuspectUnitReported", [batchId, 2n, PHARMACY, tree.hashOf(2n), UnitStatus.Destroyed, MAKER, 1n, pharmacy.address]],
          ["BasketDispensed", [r.basketId, PHARMACY, 0n, 0n, 1n, 2n, ethers.ZeroHash, pharmacy.address]],
        ]);
      });

      it("checks the proof before the release: a bad proof of a batch in production is InvalidProof", async function () {
        const c = await loadFixture(productionBatch);
        const group = c.tree.group(c.batchId, [1n, 2n]);
        const r = await present(c, c.pharmacy, [{ ...group, proofFlags: [...group.proofFlags, true] }]);
        expect(r.outcomes).to.deep.equal([outcome("InvalidProof"), outcome("InvalidProof")]);
      });

      it("refuses the active units of an expired batch as Expired, and reports its dispensed unit", async function () {
        const c = await loadFixture(dispensedUnit);
        const { batchRegistry, pharmacy, batchId, tree, expiresAt } = c;
        await time.increaseTo(expiresAt);
        const group = tree.group(batchId, [3n, 4n, 5n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (i) => (i === 3n ? "Suspect" : "Expired")));
        await expectEvents(batchRegistry, r.tx, [
          ["SuspectUnitReported", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, pharmacy.address]],
          ["BasketDispensed", [r.basketId, PHARMACY, 0n, 0n, 1n, 2n, ethers.ZeroHash, pharmacy.address]],
        ]);
        expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
      });

      it("dispenses one second before the expiry and refuses from the expiry on", async function () {
        const c = await loadFixture(distributedBatch);
        const { batchRegistry, pharmacy, batchId, tree, expiresAt } = c;
        await time.setNextBlockTimestamp(expiresAt - 1n);
        const before = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [4n])]);
        await expectEvents(batchRegistry, before, [
          ["UnitsDispensed", [batchId, basketIdOf(PHARMACY, 0), PHARMACY, [4n], [ethers.ZeroHash]]],
          ["BasketDispensed", [basketIdOf(PHARMACY, 0), PHARMACY, 0n, 1n, 0n, 0n, basketCommitment([{ batchId, index: 4n, prescription: ethers.ZeroHash }]), pharmacy.address]],
        ]);
        await time.setNextBlockTimestamp(expiresAt);
        const at = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [5n])]);
        await expectEvents(batchRegistry, at, [["BasketDispensed", [basketIdOf(PHARMACY, 1), PHARMACY, 1n, 0n, 0n, 1n, ethers.ZeroHash, pharmacy.address]]]);
        expect(await unitOf(batchRegistry, batchId, 5n)).to.deep.equal(ACTIVE_RECORD);
        expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([1n]);
      });

      for (const [title, subject] of [
        ["its own state", (c: BatchCtx) => c.batchId],
        ["its product's state (bytes32(gtin))", () => productSubject(GTIN)],
      ] as const) {
        it(`refuses the active units of a batch halted by ${title} as Halted`, async function () {
          const c = await loadFixture(distributedBatch);
          const { batchRegistry, pharmacy, batchId, tree } = c;
          await stop(c, subject(c));
          const r = await present(c, pharmacy, [tree.group(batchId, [4n, 5n])]);
          expect(r.outcomes).to.deep.equal([outcome("Halted"), outcome("Halted")]);
          await expectEvents(batchRegistry, r.tx, [["BasketDispensed", [r.basketId, PHARMACY, 0n, 0n, 0n, 2n, ethers.ZeroHash, pharmacy.address]]]);
          expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 20n }));
          expect(await unitOf(batchRegistry, batchId, 4n)).to.deep.equal(ACTIVE_RECORD);
        });
      }

      it("refuses as NoStock the units beyond the party's available stock (held less locked)", async function () {
        const c = await loadFixture(releasedBatch);
        const { batchRegistry, maker, pharmacy, batchId, tree } = c;
        await move(c, maker, PHARMACY, pharmacy, 3n);
        await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked);
        const group = tree.group(batchId, [1n, 2n, 3n]);
        const r = await present(c, pharmacy, [group]);
        expect(r.outcomes).to.deep.equal(outcomesOf(group, (_i, position) => (position < 2 ? "Dispensed" : "NoStock")));
        const dispensed = itemsOf(group).slice(0, 2);
        await expectEvents(batchRegistry, r.tx, [
          ["UnitsDispensed", [batchId, r.basketId, PHARMACY, dispensed.map((i) => i.index), [ethers.ZeroHash, ethers.ZeroHash]]],
          ["BasketDispensed", [r.basketId, PHARMACY, 0n, 2n, 0n, 1n, basketCommitment(dispensed), pharmacy.address]],
        ]);
        expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 1n, dispensed: 2n, locked: 1n }));
        const refusedIndex = indicesOf(group)[2];
        expect(await unitOf(batchRegistry, batchId, refusedIndex)).to.deep.equal(ACTIVE_RECORD);
        // Nothing available is left.
        const again = await present(c, pharmacy, [tree.group(batchId, [refusedIndex])]);
        expect(again.outcomes).to.deep.equal([outcome("NoStock")]);
        await expectConserved(c, batchId);
      });

      it("refuses every unit as NoStock for a dispenser holding none of the batch", async function () {
        const c = await loadFixture(distributedBatch);
        const r = await present(c, c.hospital, [c.tree.group(c.batchId, [0n, 1n])]);
        expect(r.outcomes).to.deep.equal([outcome("NoStock"), outcome("NoStock")]);
        await expectEvents(c.batchRegistry, r.tx, [["BasketDispensed", [basketIdOf(HOSPITAL, 0), HOSPITAL, 0n, 0n, 0n, 2n, ethers.ZeroHash, c.hospital.address]]]);
        expect(await countersOf(c, HOSPITAL)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
      });
    });

    describe("basket size", function () {
      it("reverts on an empty basket", async function () {
        const c = await loadFixture(distributedBatch);
        await expect(c.batchRegistry.connect(c.pharmacy).dispenseBasket([]))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidBasketSize")
          .withArgs(0n, MAX_BASKET_UNITS);
      });

      it("reverts on an empty group, first or after a good one", async function () {
        const c = await loadFixture(distributedBatch);
        const empty = { batchId: c.batchId, units: [], proof: [], proofFlags: [] };
        const good = c.tree.group(c.batchId, [1n]);
        for (const groups of [[empty], [good, empty], [empty, good]]) {
          await expect(c.batchRegistry.connect(c.pharmacy).dispenseBasket(groups))
            .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidBasketSize")
            .withArgs(0n, MAX_BASKET_UNITS);
        }
        expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 0n });
      });

      it("reverts on 257 units, in one group or across groups", async function () {
        const c = await loadFixture(distributedBatch);
        const all = c.tree.group(c.batchId, Array.from({ length: 16 }, (_, i) => BigInt(i)));
        const one = c.tree.group(c.batchId, [0n]);
        const big = { ...one, units: Array(MAX_BASKET_UNITS + 1).fill(one.units[0]) };
        for (const groups of [[big], [...Array(16).fill(all), one]]) {
          await expect(c.batchRegistry.connect(c.pharmacy).dispenseBasket(groups))
            .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidBasketSize")
            .withArgs(BigInt(MAX_BASKET_UNITS + 1), MAX_BASKET_UNITS);
        }
        expect(await custodyOf(c.batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 20n }));
      });
    });

    itRejectsCallers(distributedBatch, dispenserCases<BatchCtx>(), (c, s) => c.batchRegistry.connect(s).dispenseBasket([c.tree.group(c.batchId, [3n])]));
  });

  describe("undoBasket", function () {
    it("undoes some units: active again, back in stock, the rest's commitment kept; then the rest, deleting the record", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacy, basketId, items, at, batchId, batchId2, tree } = c;
      expect(items.map((i) => i.batchId)).to.deep.equal([batchId, batchId, batchId, batchId2, batchId2]);
      const rest = [items[0], items[2], items[4]];
      const tx = await batchRegistry.connect(pharmacy).undoBasket(0, items, [1n, 3n]);
      await expectEvents(batchRegistry, tx, [
        ["BasketUndone", [basketId, PHARMACY, [batchId, batchId2], [items[1].index, items[3].index], basketCommitment(rest), pharmacy.address]],
      ]);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at, commitment: recorded(basketCommitment(rest)) });
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 18n, dispensed: 2n }));
      expect(await custodyOf(batchRegistry, batchId2, PHARMACY)).to.deep.equal(custody({ held: 4n, dispensed: 1n }));
      expect((await batchOf(batchRegistry, batchId)).dispensed).to.equal(2n);
      expect((await batchOf(batchRegistry, batchId2)).dispensed).to.equal(1n);
      expect(await unitOf(batchRegistry, batchId, items[1].index)).to.deep.equal(ACTIVE_RECORD);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, items[1].index))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      expect(await verdictOf(batchRegistry, c.tree2.unit(batchId2, items[3].index))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, items[0].index))).to.deep.equal([UnitVerdict.Dispensed, 0n]);
      await expectConserved(c, batchId);
      await expectConserved(c, batchId2);

      const tx2 = await batchRegistry.connect(pharmacy).undoBasket(0, rest, [0n, 1n, 2n]);
      await expectEvents(batchRegistry, tx2, [
        ["BasketUndone", [basketId, PHARMACY, [batchId, batchId, batchId2], rest.map((i) => i.index), ethers.ZeroHash, pharmacy.address]],
      ]);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal(NO_RECORD);
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 20n }));
      expect(await custodyOf(batchRegistry, batchId2, PHARMACY)).to.deep.equal(custody({ held: 5n }));
      for (const item of items) expect(await unitOf(batchRegistry, item.batchId, item.index)).to.deep.equal(ACTIVE_RECORD);
      await expectConserved(c, batchId);
      await expectConserved(c, batchId2);
      // The units can be dispensed again.
      const again = await present(c, pharmacy, [tree.group(batchId, [0n, 1n, 2n])]);
      expect(again.outcomes).to.deep.equal([D, D, D]);
    });

    it("undoes a whole basket at once, deleting its record", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacyOperator, basketId, items } = c;
      const tx = await batchRegistry.connect(pharmacyOperator).undoBasket(0, items, [0n, 1n, 2n, 3n, 4n]);
      await expectEvents(batchRegistry, tx, [
        ["BasketUndone", [basketId, PHARMACY, items.map((i) => i.batchId), items.map((i) => i.index), ethers.ZeroHash, pharmacyOperator.address]],
      ]);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal(NO_RECORD);
      expect(await holdings(c, [PHARMACY])).to.deep.equal([20n]);
      expect(await c.batchRegistry.holding(c.batchId2, PHARMACY)).to.equal(5n);
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([0n]);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
    });

    it("undoes at the deadline exactly (the basket's time + the window)", async function () {
      const c = await loadFixture(dispensedBasket);
      await time.setNextBlockTimestamp(c.at + UNDO_WINDOW);
      await c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [4n]);
      expect(await c.batchRegistry.holding(c.batchId2, PHARMACY)).to.equal(4n);
    });

    it("reverts one second after the deadline, and long after, with the deadline", async function () {
      const c = await loadFixture(dispensedBasket);
      await time.setNextBlockTimestamp(c.at + UNDO_WINDOW + 1n);
      await expect(c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryBasketUndoClosed")
        .withArgs(c.basketId, c.at + UNDO_WINDOW);
      await time.increase(30n * DAY);
      await expect(c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryBasketUndoClosed")
        .withArgs(c.basketId, c.at + UNDO_WINDOW);
    });

    it("measures the window set now, not the one at dispense time", async function () {
      const c = await loadFixture(dispensedBasket);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(3600n);
      await time.setNextBlockTimestamp(c.at + 3601n);
      await expect(c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryBasketUndoClosed")
        .withArgs(c.basketId, c.at + 3600n);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(7200n);
      await c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]);
    });

    it("reverts when the window is zero, with the basket's time as the deadline, and undoes once it is not", async function () {
      const c = await loadFixture(dispensedBasket);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(0n);
      await expect(c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryBasketUndoClosed")
        .withArgs(c.basketId, c.at);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(UNDO_WINDOW);
      await c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]);
      expect(await holdings(c, [PHARMACY])).to.deep.equal([18n]);
    });

    it("reverts on a basket the party never presented, or that dispensed nothing", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacy, items } = c;
      for (const seq of [1n, 2n, 2n ** 32n - 1n]) {
        await expect(batchRegistry.connect(pharmacy).undoBasket(seq, items, [0n]))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBasket")
          .withArgs(basketIdOf(PHARMACY, seq));
      }
      // Basket 1: every unit refused, no record.
      await present(c, pharmacy, [c.tree.group(batchIdOf(GTIN2, LOT), [5n])]);
      await expect(batchRegistry.connect(pharmacy).undoBasket(1, [], [0n]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBasket")
        .withArgs(basketIdOf(PHARMACY, 1));
    });

    it("reverts on another party's basket: the caller's own party's basket of that number is looked up", async function () {
      const c = await loadFixture(dispensedBasket);
      await expect(c.batchRegistry.connect(c.hospital).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownBasket")
        .withArgs(basketIdOf(HOSPITAL, 0));
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at: c.at, commitment: recorded(basketCommitment(c.items)) });
    });

    it("reverts when the restated items are not the basket's", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacy, basketId, items } = c;
      const [a, b, d, e, f] = items;
      for (const restated of [
        [{ ...a, prescription: ethers.ZeroHash }, b, d, e, f],
        [a, b, d, e, { ...f, index: f.index + 1n }],
        [a, b, d, { ...e, batchId: c.batchId }, f],
        [b, a, d, e, f],
        [a, b, d, e],
        [a, b, d, e, f, a],
        [],
      ]) {
        await expect(batchRegistry.connect(pharmacy).undoBasket(0, restated, [0n]))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBasketMismatch")
          .withArgs(basketId);
      }
      // The items are checked before the window.
      await time.increase(UNDO_WINDOW + 1n);
      await expect(batchRegistry.connect(pharmacy).undoBasket(0, [a], [0n]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBasketMismatch")
        .withArgs(basketId);
    });

    it("reverts on positions that are empty, not increasing or out of range", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacy, items } = c;
      const count = BigInt(items.length);
      for (const [positions, position] of [
        [[], 0n],
        [[1n, 1n], 1n],
        [[3n, 2n], 2n],
        [[0n, 2n, 2n], 2n],
        [[5n], 5n],
        [[0n, 7n], 7n],
        [[4n, 5n], 5n],
        [[2n ** 256n - 1n], 2n ** 256n - 1n],
      ] as [bigint[], bigint][]) {
        await expect(batchRegistry.connect(pharmacy).undoBasket(0, items, positions), `positions ${positions}`)
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidBasketPosition")
          .withArgs(position, count);
      }
      expect(await custodyOf(batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 17n, dispensed: 3n }));
    });

    it("refuses to put back a unit of a halted batch, and puts back the others", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacy, items, batchId2 } = c;
      await stop(c, batchId2);
      for (const positions of [[3n], [0n, 4n]]) {
        await expect(batchRegistry.connect(pharmacy).undoBasket(0, items, positions))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryHalted")
          .withArgs(batchId2, EMERGENCY_STOP);
      }
      await batchRegistry.connect(pharmacy).undoBasket(0, items, [0n]);
      expect(await custodyOf(batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 18n, dispensed: 2n }));
      expect(await custodyOf(batchRegistry, batchId2, PHARMACY)).to.deep.equal(custody({ held: 3n, dispensed: 2n }));
    });

    it("refuses while the product halts trade", async function () {
      const c = await loadFixture(dispensedBasket);
      await stop(c, productSubject(GTIN));
      await expect(c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [1n]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, EMERGENCY_STOP);
    });

    it("refuses stale items once part was undone, and the basket once all was", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry, pharmacy, basketId, items } = c;
      await batchRegistry.connect(pharmacy).undoBasket(0, items, [2n]);
      await expect(batchRegistry.connect(pharmacy).undoBasket(0, items, [2n]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBasketMismatch")
        .withArgs(basketId);
      const rest = items.filter((_, i) => i !== 2);
      await batchRegistry.connect(pharmacy).undoBasket(0, rest, [0n, 1n, 2n, 3n]);
      for (const restated of [rest, items, []]) {
        await expect(batchRegistry.connect(pharmacy).undoBasket(0, restated, [0n]))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBasket")
          .withArgs(basketId);
      }
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([0n]);
    });

    describe("a unit dispensed in a basket, outside its basket", function () {
      it("cannot be undone by undoDispense, by its party or another", async function () {
        const c = await loadFixture(dispensedBasket);
        const { index } = c.items[0];
        for (const signer of [c.pharmacy, c.hospital]) {
          await expect(c.batchRegistry.connect(signer).undoDispense(c.tree.unit(c.batchId, index)))
            .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryDispensedInBasket")
            .withArgs(c.batchId, index);
        }
      });

      it("cannot be restored by the regulator", async function () {
        const c = await loadFixture(dispensedBasket);
        const { index } = c.items[3];
        await expect(c.batchRegistry.connect(c.regulator).restoreUnit(c.tree2.unit(c.batchId2, index)))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryDispensedInBasket")
          .withArgs(c.batchId2, index);
      });

      it("cannot be decommissioned: it reads as Dispensed", async function () {
        const c = await loadFixture(dispensedBasket);
        const { index } = c.items[0];
        await expect(c.batchRegistry.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, index), UnitStatus.Destroyed))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidUnitTransition")
          .withArgs(c.batchId, index, UnitStatus.Dispensed, UnitStatus.Destroyed);
      });
    });

    itRejectsCallers(dispensedBasket, dispenserCases<BasketCtx>(), (c, s) => c.batchRegistry.connect(s).undoBasket(0, c.items, [0n]));
  });

  describe("restoreBasketUnit", function () {
    it("restores a basket unit to active in the named dispenser's stock, its record naming the regulator", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry: br, batchId, tree } = c;
      const { index } = c.items[1];
      const before = await custodyOf(br, batchId, PHARMACY);
      const batchBefore = await batchOf(br, batchId);
      const tx = await br.connect(c.regOperator).restoreBasketUnit(tree.unit(batchId, index), PHARMACY);
      const at = await timestampOf(tx);
      await expectEvents(br, tx, [
        ["UnitStatusChanged", [batchId, index, REGULATOR, tree.hashOf(index), UnitStatus.Dispensed, UnitStatus.Active, await c.regOperator.getAddress()]],
        ["UnitRestored", [batchId, index, PHARMACY, UnitStatus.Dispensed, REGULATOR, await c.regOperator.getAddress()]],
      ]);
      expect([...(await br.unitRecord(batchId, index))]).to.deep.equal([BigInt(UnitStatus.Active), REGULATOR, at]);
      expect(await br.verify(tree.unit(batchId, index))).to.deep.equal([BigInt(UnitVerdict.Genuine), REGULATOR]);
      expect(await custodyOf(br, batchId, PHARMACY)).to.deep.equal({ ...before, held: before.held + 1n, dispensed: before.dispensed - 1n });
      expect((await batchOf(br, batchId)).dispensed).to.equal(batchBefore.dispensed - 1n);
      // The basket's other units stay dispensed; the unit sells again.
      expect(await br.verify(tree.unit(batchId, c.items[0].index))).to.deep.equal([BigInt(UnitVerdict.Dispensed), 0n]);
      expect(await br.connect(c.pharmacy).dispense.staticCall(tree.unit(batchId, index))).to.equal(false);
      await expectConserved(c, batchId);
    });

    it("works after the basket's window has closed and its record is gone", async function () {
      const c = await loadFixture(firstBasket);
      await time.increase(UNDO_WINDOW + 1n);
      await c.batchRegistry.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [1n])]);
      expect((await c.batchRegistry.basketRecord(PHARMACY, 0))[0]).to.equal(0n);
      await c.batchRegistry.connect(c.regulator).restoreBasketUnit(c.tree.unit(c.batchId, 0n), PHARMACY);
      expect(await c.batchRegistry.verify(c.tree.unit(c.batchId, 0n))).to.deep.equal([BigInt(UnitVerdict.Genuine), REGULATOR]);
    });

    it("refuses a unit not dispensed in a basket: active, or dispensed singly (restoreUnit's), naming its status", async function () {
      const c = await loadFixture(dispensedUnit);
      const br = c.batchRegistry.connect(c.regulator);
      await expect(br.restoreBasketUnit(c.tree.unit(c.batchId, 0n), PHARMACY))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidUnitTransition")
        .withArgs(c.batchId, 0n, UnitStatus.Active, UnitStatus.Active);
      await expect(br.restoreBasketUnit(c.tree.unit(c.batchId, 3n), PHARMACY))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidUnitTransition")
        .withArgs(c.batchId, 3n, UnitStatus.Dispensed, UnitStatus.Active);
    });

    it("refuses a dispenser that counts no dispensed unit of the batch (BatchRegistryNotUnitParty)", async function () {
      const c = await loadFixture(dispensedBasket);
      const { index } = c.items[0];
      await expect(c.batchRegistry.connect(c.regulator).restoreBasketUnit(c.tree.unit(c.batchId, index), HOSPITAL))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotUnitParty")
        .withArgs(c.batchId, index, HOSPITAL);
    });

    it("refuses an unknown batch, a bad proof, and a halted batch", async function () {
      const c = await loadFixture(dispensedBasket);
      const br = c.batchRegistry.connect(c.regulator);
      const { index } = c.items[0];
      const unknown = ethers.id("no such batch");
      await expect(br.restoreBasketUnit(c.tree.unit(unknown, index), PHARMACY))
        .to.be.revertedWithCustomError(br, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
      await expect(br.restoreBasketUnit(c.tree.unit(c.batchId, index, { unitHash: ethers.ZeroHash }), PHARMACY))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidProof")
        .withArgs(c.batchId, index);
      await stop(c, c.batchId);
      await expect(br.restoreBasketUnit(c.tree.unit(c.batchId, index), PHARMACY))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchId, 1n);
    });

    it("takes the unit out of its basket's reach: the basket cannot undo it again, even once another basket dispensed it", async function () {
      const c = await loadFixture(dispensedBasket);
      const { batchRegistry: br, batchId, tree, basketId, items } = c;
      const restored = items[1];
      await br.connect(c.regulator).restoreBasketUnit(tree.unit(batchId, restored.index), PHARMACY);
      // Restored and active: the basket's undo of it is refused, and nothing moves.
      const before = await custodyOf(br, batchId, PHARMACY);
      await expect(br.connect(c.pharmacy).undoBasket(0, items, [1n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryBasketUnitChanged")
        .withArgs(basketId, batchId, restored.index);
      // Dispensed again, by the hospital's basket: still not the pharmacy's basket's to undo.
      await move(c, c.wholesaler, HOSPITAL, c.hospital, 5n);
      await br.connect(c.hospital).dispenseBasket([tree.group(batchId, [restored.index])]);
      await expect(br.connect(c.pharmacy).undoBasket(0, items, [0n, 1n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryBasketUnitChanged")
        .withArgs(basketId, batchId, restored.index);
      expect(await custodyOf(br, batchId, PHARMACY)).to.deep.equal(before);
      expect(await br.verify(tree.unit(batchId, restored.index))).to.deep.equal([BigInt(UnitVerdict.Dispensed), 0n]);
      // The basket's other units still undo, restating every unit its commitment holds.
      await br.connect(c.pharmacy).undoBasket(0, items, [0n]);
      expect((await custodyOf(br, batchId, PHARMACY)).held).to.equal(before.held + 1n);
      await expectConserved(c, batchId);
    });

    itRejectsCallers(dispensedBasket, regulatorActorCases<BasketCtx>(), (c, s) =>
      c.batchRegistry.connect(s).restoreBasketUnit(c.tree.unit(c.batchId, c.items[0].index), PHARMACY),
    );
  });

  describe("basket records (expiry)", function () {
    it("keeps the oldest record while its window is open, to the second", async function () {
      const c = await loadFixture(firstBasket);
      const { batchRegistry, pharmacy, batchId, tree, at } = c;
      await time.setNextBlockTimestamp(at + UNDO_WINDOW);
      const tx = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [1n])]);
      const items1 = itemsOf(tree.group(batchId, [1n]));
      await expectEvents(batchRegistry, tx, [
        ["UnitsDispensed", [batchId, basketIdOf(PHARMACY, 1), PHARMACY, [1n], [ethers.ZeroHash]]],
        ["BasketDispensed", [basketIdOf(PHARMACY, 1), PHARMACY, 1n, 1n, 0n, 0n, basketCommitment(items1), pharmacy.address]],
      ]);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at, commitment: recorded(basketCommitment(c.items)) });
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 2n, oldestOpen: 0n, pallets: 0n });
    });

    it("deletes the oldest record once its window passed: BasketExpired, oldestOpen advances, undo finds no basket", async function () {
      const c = await loadFixture(firstBasket);
      const { batchRegistry, pharmacy, batchId, tree, at, items } = c;
      await time.setNextBlockTimestamp(at + UNDO_WINDOW + 1n);
      const tx = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [1n])]);
      const at1 = await timestampOf(tx);
      const items1 = itemsOf(tree.group(batchId, [1n]));
      await expectEvents(batchRegistry, tx, [
        ["BasketExpired", [basketIdOf(PHARMACY, 0), PHARMACY]],
        ["UnitsDispensed", [batchId, basketIdOf(PHARMACY, 1), PHARMACY, [1n], [ethers.ZeroHash]]],
        ["BasketDispensed", [basketIdOf(PHARMACY, 1), PHARMACY, 1n, 1n, 0n, 0n, basketCommitment(items1), pharmacy.address]],
      ]);
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal(NO_RECORD);
      expect(await recordOf(c, PHARMACY, 1n)).to.deep.equal({ at: at1, commitment: recorded(basketCommitment(items1)) });
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 2n, oldestOpen: 1n, pallets: 0n });
      await expect(batchRegistry.connect(pharmacy).undoBasket(0, items, [0n]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBasket")
        .withArgs(basketIdOf(PHARMACY, 0));
      // The unit stays dispensed: only its basket's record is gone.
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Dispensed, 0n]);
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([2n]);
      await expectConserved(c, batchId);
    });

    it("deletes one record per new basket, oldest first", async function () {
      const c = await loadFixture(firstBasket);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [1n])]);
      await time.increase(UNDO_WINDOW + 1n);
      const tx2 = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [2n])]);
      expect((await eventNames(c, tx2))[0]).to.equal("BasketExpired");
      await expect(tx2).to.emit(batchRegistry, "BasketExpired").withArgs(basketIdOf(PHARMACY, 0), PHARMACY);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 3n, oldestOpen: 1n, pallets: 0n });
      expect((await recordOf(c, PHARMACY, 1n)).at).to.not.equal(0n);
      const tx3 = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [3n])]);
      await expect(tx3).to.emit(batchRegistry, "BasketExpired").withArgs(basketIdOf(PHARMACY, 1), PHARMACY);
      expect(await recordOf(c, PHARMACY, 1n)).to.deep.equal(NO_RECORD);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 4n, oldestOpen: 2n, pallets: 0n });
      // Basket 2 is within its window: kept.
      const tx4 = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [4n])]);
      expect(await eventNames(c, tx4)).to.deep.equal(["UnitsDispensed", "BasketDispensed"]);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 5n, oldestOpen: 2n, pallets: 0n });
      expect((await recordOf(c, PHARMACY, 2n)).at).to.not.equal(0n);
    });

    it("steps over baskets without a record (wholly undone, or nothing dispensed) without an event", async function () {
      const c = await loadFixture(firstBasket);
      const { batchRegistry, pharmacy, batchId, tree, items } = c;
      await batchRegistry.connect(pharmacy).undoBasket(0, items, [0n]);
      // Basket 1 dispenses nothing; basket 0 has no record any more.
      const tx1 = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchIdOf(GTIN2, LOT), [1n])]);
      expect(await eventNames(c, tx1)).to.deep.equal(["BasketDispensed"]);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 2n, oldestOpen: 1n, pallets: 0n });
      const tx2 = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [1n])]);
      expect(await eventNames(c, tx2)).to.deep.equal(["UnitsDispensed", "BasketDispensed"]);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 3n, oldestOpen: 2n, pallets: 0n });
      const tx3 = await batchRegistry.connect(pharmacy).dispenseBasket([tree.group(batchId, [2n])]);
      expect(await eventNames(c, tx3)).to.deep.equal(["UnitsDispensed", "BasketDispensed"]);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 4n, oldestOpen: 2n, pallets: 0n });
    });

    it("expires a record from the next block when the window is zero", async function () {
      const c = await loadFixture(firstBasket);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(0n);
      const tx = await c.batchRegistry.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [1n])]);
      await expect(tx).to.emit(c.batchRegistry, "BasketExpired").withArgs(basketIdOf(PHARMACY, 0), PHARMACY);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 2n, oldestOpen: 1n, pallets: 0n });
    });

    it("counts each party's baskets apart: another party's basket expires nothing of it", async function () {
      const c = await loadFixture(firstBasket);
      await time.increase(UNDO_WINDOW + 1n);
      const tx = await c.batchRegistry.connect(c.hospital).dispenseBasket([c.tree.group(c.batchId, [1n])]);
      expect(await eventNames(c, tx)).to.deep.equal(["BasketDispensed"]);
      expect(await countersOf(c, HOSPITAL)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at: c.at, commitment: recorded(basketCommitment(c.items)) });
    });
  });

  describe("basketCommitment", function () {
    it("chains keccak256(abi.encode(c, batchId, index, prescription)) from 0, as the SDK computes it", async function () {
      const c = await loadFixture(twoBatches);
      const a = { batchId: c.batchId, index: 3n, prescription: ethers.id("rx a") };
      const b = { batchId: c.batchId2, index: 2n ** 255n, prescription: ethers.ZeroHash };
      expect(await c.batchRegistry.basketCommitment([])).to.equal(ethers.ZeroHash);
      const one = ethers.keccak256(coder.encode(["bytes32", "bytes32", "uint256", "bytes32"], [ethers.ZeroHash, a.batchId, a.index, a.prescription]));
      expect(await c.batchRegistry.basketCommitment([a])).to.equal(one);
      const two = ethers.keccak256(coder.encode(["bytes32", "bytes32", "uint256", "bytes32"], [one, b.batchId, b.index, b.prescription]));
      expect(await c.batchRegistry.basketCommitment([a, b])).to.equal(two);
      expect(basketCommitment([a, b])).to.equal(two);
      // Order matters.
      expect(await c.batchRegistry.basketCommitment([b, a])).to.equal(basketCommitment([b, a]));
      expect(basketCommitment([b, a])).to.not.equal(two);
    });
  });

  describe("basketRecord", function () {
    it("answers zeros for a basket that is not open: never presented, another party's, an unknown party's", async function () {
      const c = await loadFixture(firstBasket);
      for (const [party, seq] of [[PHARMACY, 1n], [HOSPITAL, 0n], [UNKNOWN, 0n], [U64, 2n ** 32n - 1n]] as const) {
        expect(await recordOf(c, party, seq), `${party}/${seq}`).to.deep.equal(NO_RECORD);
      }
      expect(await recordOf(c, PHARMACY, 0n)).to.deep.equal({ at: c.at, commitment: recorded(basketCommitment(c.items)) });
      expect(BigInt(recorded(basketCommitment(c.items))) & ((1n << 40n) - 1n)).to.equal(0n);
    });
  });

  describe("bulkCounters", function () {
    it("answers zeros for a party that presented and shipped nothing", async function () {
      const c = await loadFixture(firstBasket);
      for (const party of [MAKER, WHOLESALER, HOSPITAL, UNKNOWN, 0n, U64]) {
        expect(await countersOf(c, party), `party ${party}`).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 0n });
      }
    });
  });

  describe("shipPallet", function () {
    it("moves every line into the sender's in-transit stock, stores the pallet and emits PalletShipped", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, maker, batchId, batchId2 } = c;
      const lines = [
        { batchId, quantity: 10n },
        { batchId: batchId2, quantity: 25n },
      ];
      const palletId = palletIdOf(MAKER, 0);
      expect(await batchRegistry.connect(maker).shipPallet.staticCall(WHOLESALER, lines)).to.equal(palletId);
      const tx = await batchRegistry.connect(maker).shipPallet(WHOLESALER, lines);
      await expectEvents(batchRegistry, tx, [["PalletShipped", [palletId, MAKER, WHOLESALER, 0n, linesArg(lines), maker.address]]]);
      expect(await palletOf(c, palletId)).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        seq: 0n,
        lineCount: 2n,
        shippedAt: await timestampOf(tx),
        status: ShipmentStatus.InTransit,
        linesHash: linesHashOf(lines),
      });
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 30n, inTransit: 10n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, MAKER)).to.deep.equal(custody({ held: 70n, inTransit: 25n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, WHOLESALER)).to.deep.equal(custody({}));
      expect(await countersOf(c, MAKER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 1n });
      await expectBalanced(c, batchId);
      await expectBalanced(c, batchId2);
    });

    it("numbers each sender's pallets from 0, apart from its baskets and single shipments", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, maker, makerOperator, pharmacy, batchId, batchId2, tree } = c;
      await batchRegistry.connect(maker).shipPallet(WHOLESALER, [{ batchId, quantity: 1n }]);
      const lines = [{ batchId: batchId2, quantity: 2n }];
      const tx = await batchRegistry.connect(makerOperator).shipPallet(HOSPITAL, lines);
      await expectEvents(batchRegistry, tx, [["PalletShipped", [palletIdOf(MAKER, 1), MAKER, HOSPITAL, 1n, linesArg(lines), makerOperator.address]]]);
      expect((await palletOf(c, palletIdOf(MAKER, 1))).seq).to.equal(1n);
      expect(await countersOf(c, MAKER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 2n });
      // A single shipment keeps its own numbering (the batch's second of the maker's).
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.emit(batchRegistry, "Shipped")
        .withArgs(shipmentIdOf(batchId, MAKER, 1n), batchId, MAKER, WHOLESALER, 1n, maker.address);
      // The pharmacy's basket and pallet are numbered apart.
      await present(c, pharmacy, [tree.group(batchId, [0n])]);
      const own = [{ batchId, quantity: 3n }];
      expect(await batchRegistry.connect(pharmacy).shipPallet.staticCall(WHOLESALER, own)).to.equal(palletIdOf(PHARMACY, 0));
      await batchRegistry.connect(pharmacy).shipPallet(WHOLESALER, own);
      expect(await countersOf(c, PHARMACY)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 1n });
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 16n, inTransit: 3n, dispensed: 1n }));
    });

    it("ships a batch on several lines, each from what the earlier lines left", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, maker, batchId } = c;
      await expect(batchRegistry.connect(maker).shipPallet(WHOLESALER, [{ batchId, quantity: 30n }, { batchId, quantity: 11n }]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, 10n, 11n);
      await batchRegistry.connect(maker).shipPallet(WHOLESALER, [{ batchId, quantity: 30n }, { batchId, quantity: 10n }]);
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ inTransit: 40n, shipments: 1n }));
      await expectBalanced(c, batchId);
    });

    it("ships 256 lines, the most, and they are received whole", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, makerQa, wholesaler } = c;
      await batchRegistry.connect(maker).createBatch(await batchInput({ lot: "BULK", quantity: 1000n }));
      const bulk = batchIdOf(GTIN, "BULK");
      await inspect(batchRegistry, makerQa, bulk);
      await batchRegistry.connect(makerQa).releaseBatch(bulk);
      const lines = Array.from({ length: MAX_PALLET_LINES }, (_, i) => ({ batchId: bulk, quantity: BigInt((i % 3) + 1) }));
      const total = lines.reduce((sum, l) => sum + l.quantity, 0n);
      const tx = await batchRegistry.connect(maker).shipPallet(WHOLESALER, lines);
      await expectEvents(batchRegistry, tx, [["PalletShipped", [palletIdOf(MAKER, 0), MAKER, WHOLESALER, 0n, linesArg(lines), maker.address]]]);
      expect((await palletOf(c, palletIdOf(MAKER, 0))).lineCount).to.equal(256n);
      expect(await custodyOf(batchRegistry, bulk, MAKER)).to.deep.equal(custody({ held: 1000n - total, inTransit: total }));
      await batchRegistry.connect(wholesaler).receivePallet(palletIdOf(MAKER, 0), lines);
      expect(await custodyOf(batchRegistry, bulk, WHOLESALER)).to.deep.equal(custody({ held: total }));
      expect(await custodyOf(batchRegistry, bulk, MAKER)).to.deep.equal(custody({ held: 1000n - total }));
      await expectConserved(c, bulk);
    });

    it("reverts on no line, and on 257 lines", async function () {
      const c = await loadFixture(twoBatches);
      const line = { batchId: c.batchId, quantity: 1n };
      for (const lines of [[], Array(MAX_PALLET_LINES + 1).fill(line)]) {
        await expect(c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, lines))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidLineCount")
          .withArgs(BigInt(lines.length), MAX_PALLET_LINES);
      }
    });

    it("reverts when the party ships to itself", async function () {
      const c = await loadFixture(twoBatches);
      await expect(c.batchRegistry.connect(c.maker).shipPallet(MAKER, [{ batchId: c.batchId, quantity: 1n }]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistrySelfShipment")
        .withArgs(MAKER);
    });

    for (const to of [UNKNOWN, 0n, 10n, U64]) {
      it(`reverts when the receiver ${to} is not a party`, async function () {
        const c = await loadFixture(twoBatches);
        await expect(c.batchRegistry.connect(c.maker).shipPallet(to, [{ batchId: c.batchId, quantity: 1n }]))
          .to.be.revertedWithCustomError(c.registry, "RegistryUnknownParty")
          .withArgs(to);
      });
    }

    for (const [name, to, domain] of [
      ["laboratory", LABORATORY, Domain.Laboratory],
      ["regulator", REGULATOR, Domain.Regulator],
      ["notary", NOTARY, Domain.Notary],
    ] as const) {
      it(`reverts when the receiver is the ${name} (not a custodian domain)`, async function () {
        const c = await loadFixture(twoBatches);
        await expect(c.batchRegistry.connect(c.maker).shipPallet(to, [{ batchId: c.batchId, quantity: 1n }]))
          .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
          .withArgs(to, domain);
      });
    }

    it("reverts when the receiver is suspended or revoked", async function () {
      const c = await loadFixture(twoBatches);
      const lines = [{ batchId: c.batchId, quantity: 1n }];
      await c.registry.connect(c.regulator).suspendParty(PHARMACY);
      await expect(c.batchRegistry.connect(c.maker).shipPallet(PHARMACY, lines))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
      await c.registry.connect(c.gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      await expect(c.batchRegistry.connect(c.maker).shipPallet(PHARMACY, lines))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Revoked);
    });

    it("reverts when the receiver's licence is revoked", async function () {
      const c = await loadFixture(twoBatches);
      await c.registry.connect(c.regulator).revokeLicence(PHARMACY, LicenceKind.Distribution);
      await expect(c.batchRegistry.connect(c.maker).shipPallet(PHARMACY, [{ batchId: c.batchId, quantity: 1n }]))
        .to.be.revertedWithCustomError(c.registry, "RegistryLicenceRevoked")
        .withArgs(PHARMACY, 1);
    });

    it("reverts when a line's batch is unknown", async function () {
      const c = await loadFixture(twoBatches);
      for (const unknown of [batchIdOf(GTIN2, LOT), ethers.ZeroHash]) {
        await expect(c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, [{ batchId: c.batchId, quantity: 1n }, { batchId: unknown, quantity: 1n }]))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownBatch")
          .withArgs(unknown);
      }
    });

    it("reverts when a line's quantity is zero", async function () {
      const c = await loadFixture(twoBatches);
      await expect(c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, [{ batchId: c.batchId, quantity: 1n }, { batchId: c.batchId2, quantity: 0n }]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryZeroQuantity")
        .withArgs();
    });

    it("reverts when a line's batch is not released", async function () {
      const c = await loadFixture(twoBatches);
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-3" }));
      const unreleased = batchIdOf(GTIN, "LOT-3");
      await expect(c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, [{ batchId: c.batchId, quantity: 1n }, { batchId: unreleased, quantity: 1n }]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotReleased")
        .withArgs(unreleased);
    });

    it("ships one second before a line's expiry and reverts from the expiry on", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, maker, batchId, batchId2, expiresAt } = c;
      const lines = [{ batchId: batchId2, quantity: 1n }, { batchId, quantity: 1n }];
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await batchRegistry.connect(maker).shipPallet(WHOLESALER, lines);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(batchRegistry.connect(maker).shipPallet(WHOLESALER, lines))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      expect(await countersOf(c, MAKER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 1n });
    });

    for (const [title, subject, halted] of [
      ["its own state", (c: TwoBatchCtx) => c.batchId2, (c: TwoBatchCtx) => c.batchId2],
      ["its product's state", () => productSubject(GTIN), (c: TwoBatchCtx) => c.batchId],
    ] as const) {
      it(`reverts when a line's batch is halted by ${title}, naming the halting state`, async function () {
        const c = await loadFixture(twoBatches);
        await stop(c, subject(c));
        await expect(c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, [{ batchId: c.batchId, quantity: 1n }, { batchId: c.batchId2, quantity: 1n }]))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(halted(c), EMERGENCY_STOP);
        expect(await custodyOf(c.batchRegistry, c.batchId, MAKER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      });
    }

    it("reverts when any line exceeds the sender's available stock, moving nothing", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry, maker, batchId, batchId2 } = c;
      await expect(batchRegistry.connect(maker).shipPallet(WHOLESALER, [{ batchId, quantity: 40n }, { batchId: batchId2, quantity: 96n }]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId2, MAKER, 95n, 96n);
      await expect(batchRegistry.connect(maker).shipPallet(WHOLESALER, [{ batchId, quantity: 41n }, { batchId: batchId2, quantity: 1n }]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, 40n, 41n);
      await expect(batchRegistry.connect(c.logistics).shipPallet(WHOLESALER, [{ batchId, quantity: 1n }]))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, LOGISTICS, 0n, 1n);
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      expect(await countersOf(c, MAKER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 0n });
    });

    it("reverts when a line takes locked units (they are not available)", async function () {
      const c = await loadFixture(lockedUnit);
      await expect(c.batchRegistry.connect(c.wholesaler).shipPallet(PHARMACY, [{ batchId: c.batchId, quantity: 40n }]))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 39n, 40n);
    });

    itRejectsCallers(
      twoBatches,
      [...custodianCases<TwoBatchCtx>(MAKER, "maker's admin", (c) => c.maker), wrongRole("the maker's QA", (c) => c.makerQa, Role.QA)],
      (c, s) => c.batchRegistry.connect(s).shipPallet(WHOLESALER, [{ batchId: c.batchId, quantity: 1n }]),
    );
  });

  describe("receivePallet", function () {
    it("credits every line to the receiver, closes the pallet and emits PalletClosed", async function () {
      const c = await loadFixture(openPallet);
      const { batchRegistry, wholesaler, palletId, lines, shippedAt, batchId, batchId2 } = c;
      const tx = await batchRegistry.connect(wholesaler).receivePallet(palletId, lines);
      await expectEvents(batchRegistry, tx, [["PalletClosed", [palletId, WHOLESALER, ShipmentStatus.Received, wholesaler.address]]]);
      expect(await palletOf(c, palletId)).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        seq: 0n,
        lineCount: 2n,
        shippedAt,
        status: ShipmentStatus.Received,
        linesHash: linesHashOf(lines),
      });
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 30n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, MAKER)).to.deep.equal(custody({ held: 70n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 50n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, WHOLESALER)).to.deep.equal(custody({ held: 25n }));
      await expectConserved(c, batchId);
      await expectConserved(c, batchId2);
    });

    for (const [title, subject, halted] of [
      ["its own state", (c: PalletCtx) => c.batchId2, (c: PalletCtx) => c.batchId2],
      ["its product's state", () => productSubject(GTIN), (c: PalletCtx) => c.batchId],
    ] as const) {
      it(`reverts while a line's batch is halted by ${title}, leaving the pallet open`, async function () {
        const c = await loadFixture(openPallet);
        await stop(c, subject(c));
        await expect(c.batchRegistry.connect(c.wholesaler).receivePallet(c.palletId, c.lines))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(halted(c), EMERGENCY_STOP);
        expect((await palletOf(c, c.palletId)).status).to.equal(ShipmentStatus.InTransit);
        expect(await custodyOf(c.batchRegistry, c.batchId, MAKER)).to.deep.equal(custody({ held: 30n, inTransit: 10n, shipments: 1n }));
      });
    }

    it("reverts when the caller's party is not the receiver", async function () {
      const c = await loadFixture(openPallet);
      for (const [signer, party] of [[c.maker, MAKER], [c.pharmacy, PHARMACY], [c.logistics, LOGISTICS]] as const) {
        await expect(c.batchRegistry.connect(signer).receivePallet(c.palletId, c.lines))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotShipmentParty")
          .withArgs(c.palletId, party);
      }
    });

    itChecksThePallet((c, s, id, lines) => c.batchRegistry.connect(s).receivePallet(id, lines), (c) => c.wholesaler);

    itRejectsCallers(
      openPallet,
      [...custodianCases<PalletCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler), wrongRole("the wholesaler's QA", (c) => c.wholesalerQa, Role.QA)],
      (c, s) => c.batchRegistry.connect(s).receivePallet(c.palletId, c.lines),
    );
  });

  describe("cancelPallet", function () {
    it("returns every line to the sender, closes the pallet and emits PalletClosed", async function () {
      const c = await loadFixture(openPallet);
      const { batchRegistry, makerOperator, palletId, lines, batchId, batchId2 } = c;
      const tx = await batchRegistry.connect(makerOperator).cancelPallet(palletId, lines);
      await expectEvents(batchRegistry, tx, [["PalletClosed", [palletId, MAKER, ShipmentStatus.Cancelled, makerOperator.address]]]);
      expect((await palletOf(c, palletId)).status).to.equal(ShipmentStatus.Cancelled);
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, MAKER)).to.deep.equal(custody({ held: 95n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      await expectConserved(c, batchId);
      await expectConserved(c, batchId2);
    });

    it("cancels while a line's batch is halted", async function () {
      const c = await loadFixture(openPallet);
      await stop(c, c.batchId2);
      await stop(c, productSubject(GTIN));
      await c.batchRegistry.connect(c.maker).cancelPallet(c.palletId, c.lines);
      expect(await custodyOf(c.batchRegistry, c.batchId2, MAKER)).to.deep.equal(custody({ held: 95n, shipments: 1n }));
    });

    it("reverts when the caller's party is not the sender", async function () {
      const c = await loadFixture(openPallet);
      for (const [signer, party] of [[c.wholesaler, WHOLESALER], [c.pharmacy, PHARMACY]] as const) {
        await expect(c.batchRegistry.connect(signer).cancelPallet(c.palletId, c.lines))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotShipmentParty")
          .withArgs(c.palletId, party);
      }
    });

    itChecksThePallet((c, s, id, lines) => c.batchRegistry.connect(s).cancelPallet(id, lines), (c) => c.maker);

    itRejectsCallers(
      openPallet,
      [...custodianCases<PalletCtx>(MAKER, "maker's admin", (c) => c.maker), wrongRole("the maker's QA", (c) => c.makerQa, Role.QA)],
      (c, s) => c.batchRegistry.connect(s).cancelPallet(c.palletId, c.lines),
    );
  });

  describe("rejectPallet", function () {
    it("returns every line to the sender, closes the pallet and emits PalletClosed", async function () {
      const c = await loadFixture(openPallet);
      const { batchRegistry, wholesaler, palletId, lines, batchId, batchId2 } = c;
      const tx = await batchRegistry.connect(wholesaler).rejectPallet(palletId, lines);
      await expectEvents(batchRegistry, tx, [["PalletClosed", [palletId, MAKER, ShipmentStatus.Rejected, wholesaler.address]]]);
      expect((await palletOf(c, palletId)).status).to.equal(ShipmentStatus.Rejected);
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, MAKER)).to.deep.equal(custody({ held: 95n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId2, WHOLESALER)).to.deep.equal(custody({}));
      await expectConserved(c, batchId);
      await expectConserved(c, batchId2);
    });

    it("rejects while a line's batch is halted", async function () {
      const c = await loadFixture(openPallet);
      await stop(c, c.batchId2);
      await stop(c, productSubject(GTIN));
      await c.batchRegistry.connect(c.wholesaler).rejectPallet(c.palletId, c.lines);
      expect(await custodyOf(c.batchRegistry, c.batchId2, MAKER)).to.deep.equal(custody({ held: 95n, shipments: 1n }));
    });

    it("reverts when the caller's party is not the receiver", async function () {
      const c = await loadFixture(openPallet);
      for (const [signer, party] of [[c.maker, MAKER], [c.pharmacy, PHARMACY]] as const) {
        await expect(c.batchRegistry.connect(signer).rejectPallet(c.palletId, c.lines))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotShipmentParty")
          .withArgs(c.palletId, party);
      }
    });

    itChecksThePallet((c, s, id, lines) => c.batchRegistry.connect(s).rejectPallet(id, lines), (c) => c.wholesaler);

    itRejectsCallers(
      openPallet,
      [...custodianCases<PalletCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler), wrongRole("the wholesaler's QA", (c) => c.wholesalerQa, Role.QA)],
      (c, s) => c.batchRegistry.connect(s).rejectPallet(c.palletId, c.lines),
    );
  });

  describe("getPallet", function () {
    it("answers zeros for an unknown pallet", async function () {
      const c = await loadFixture(openPallet);
      for (const id of [ethers.ZeroHash, palletIdOf(MAKER, 1), palletIdOf(WHOLESALER, 0)]) {
        expect(await palletOf(c, id)).to.deep.equal(NO_PALLET);
      }
      expect(await palletOf(c, palletIdOf(MAKER, 0))).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        seq: 0n,
        lineCount: 2n,
        shippedAt: c.shippedAt,
        status: ShipmentStatus.InTransit,
        linesHash: linesHashOf(c.lines),
      });
    });
  });

  describe("called at the BulkCustody's own address (no ledger there)", function () {
    async function bulkAt(c: Ctx) {
      const modules = await c.batchRegistry.modules();
      expect(modules.length).to.equal(4);
      return ledgerAt(modules[3]);
    }

    it("reverts every write with BatchRegistryDirectCall, before any membership check", async function () {
      const c = await loadFixture(openPallet);
      const bulk = await bulkAt(c);
      const writes: [string, (s: Signer) => Promise<unknown>][] = [
        ["dispenseBasket", (s) => bulk.connect(s).dispenseBasket([c.tree.group(c.batchId, [5n])])],
        ["undoBasket", (s) => bulk.connect(s).undoBasket(0, [], [0n])],
        ["shipPallet", (s) => bulk.connect(s).shipPallet(WHOLESALER, c.lines)],
        ["receivePallet", (s) => bulk.connect(s).receivePallet(c.palletId, c.lines)],
        ["cancelPallet", (s) => bulk.connect(s).cancelPallet(c.palletId, c.lines)],
        ["rejectPallet", (s) => bulk.connect(s).rejectPallet(c.palletId, c.lines)],
      ];
      for (const [name, send] of writes) {
        for (const signer of [c.maker, c.wholesaler, c.pharmacy, c.stranger]) {
          await expect(send(signer), `${name} by ${signer.address}`).to.be.revertedWithCustomError(bulk, "BatchRegistryDirectCall").withArgs();
        }
      }
    });

    it("answers its views there from its own empty storage", async function () {
      const c = await loadFixture(openPallet);
      await present(c, c.pharmacy, [c.tree.group(c.batchId, [5n])]);
      const bulk = await bulkAt(c);
      const items = [{ batchId: c.batchId, index: 5n, prescription: ethers.ZeroHash }];
      expect(await bulk.basketCommitment(items)).to.equal(basketCommitment(items));
      expect([...(await bulk.basketRecord(PHARMACY, 0))]).to.deep.equal([0n, ethers.ZeroHash]);
      expect([...(await bulk.bulkCounters(PHARMACY))]).to.deep.equal([0n, 0n, 0n]);
      expect([...(await bulk.bulkCounters(MAKER))]).to.deep.equal([0n, 0n, 0n]);
      expect((await bulk.getPallet(c.palletId)).status).to.equal(BigInt(ShipmentStatus.None));
      // At the proxy they are there.
      expect(await countersOf(c, MAKER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 1n });
    });
  });
});

/** The names of the events the batch registry emitted in a transaction, in order. */
async function eventNames(c: Ctx, tx: ContractTransactionResponse): Promise<string[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const address = (await c.batchRegistry.getAddress()).toLowerCase();
  return receipt.logs.filter((l) => l.address.toLowerCase() === address).map((l) => c.batchRegistry.interface.parseLog(l)?.name ?? "?");
}
