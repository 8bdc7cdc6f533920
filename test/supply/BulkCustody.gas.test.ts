/**
 * Gas upper bounds for baskets and pallets (IBulkCustody) on a small batch: regression
 * guards, a little above what the code uses today. The figures at national scale (a
 * 1,000,000-unit batch) and the budgets they answer to are `npm run bench`'s
 * (bench/results.json, "bulk"). Skipped under coverage (instrumented code), as every gas bound.
 */
import { expect } from "chai";
import { type ContractTransactionResponse, type TransactionReceipt, ZeroHash } from "ethers";

import { type PalletLine, basketGroups } from "../../sdk/baskets.js";
import { type UnitTree, buildUnitTree } from "../../sdk/units.js";
import { gasBound } from "../helpers/coverage.js";
import { PHARMACY, WHOLESALER } from "../helpers/fixtures.js";
import { batchIdOf, inspect } from "../helpers/supply.js";
import { type Ctx, DAY, GTIN, UNDO_WINDOW, loadFixture, registeredProduct, time } from "./ledger.fixtures.js";

// ==== BOUNDS (gas per unit or per line, the whole transaction's gasUsed over its units or lines) ====

/** A 100-unit basket of consecutive units 0-99, within the undo window: today 7,726. */
const BASKET_100_PER_UNIT = 7_900n;
/** A 10-unit basket of consecutive units 0-9 (a basket record and a bitmap word created): today 19,654. */
const BASKET_10_PER_UNIT = 20_000n;
/** A 100-unit basket of units 100-199 once the undo window has passed (it deletes the oldest record): today 7,757. */
const BASKET_100_EXPIRING_PER_UNIT = 7_950n;
/** shipPallet of 20 lines: today 15,033. */
const SHIP_20_PER_LINE = 15_400n;
/** receivePallet of 20 lines to a receiver holding none of the batches (a new custody slot per line): today 33,616. */
const RECEIVE_20_FIRST_PER_LINE = 34_300n;
/** receivePallet of 20 lines to a receiver holding every batch already: today 16,516. */
const RECEIVE_20_RESTOCK_PER_LINE = 16_900n;

const UNITS = 1_024;
const LOT = "BASKET-1";
const LINES = 20;

// ==== FIXTURES ====

interface BasketCtx extends Ctx {
  batchId: string;
  tree: UnitTree;
}

interface PalletCtx extends Ctx {
  /** Twenty released batches, the maker holding 1,000 of each. */
  lines: PalletLine[];
}

/** Creates a released batch of GTIN, `count` units with the tree in unit order, the maker holding `quantity`. */
async function releasedBatch(c: Ctx, lot: string, count: number, quantity: bigint): Promise<{ batchId: string; tree: UnitTree }> {
  const codes = Array.from({ length: count }, (_, i) => `010${GTIN}21${lot}-${String(i).padStart(5, "0")}`);
  const { tree } = await buildUnitTree(codes, { order: "index" });
  const now = BigInt(await time.latest());
  await c.batchRegistry.connect(c.maker).createBatch({
    gtin: GTIN,
    lot,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity,
    unitsRoot: tree.root,
    unitCount: tree.count,
  });
  const batchId = batchIdOf(GTIN, lot);
  await inspect(c.batchRegistry, c.makerQa, batchId);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(batchId);
  return { batchId, tree };
}

/** A released 1,024-unit batch of which the pharmacy holds 1,000, and has presented one basket (its unit 1,023). */
async function pharmacyWithBaskets(): Promise<BasketCtx> {
  const c = await registeredProduct();
  const { batchId, tree } = await releasedBatch(c, LOT, UNITS, BigInt(UNITS));
  const lines = [{ batchId, quantity: 1_000n }];
  const palletId = await c.batchRegistry.connect(c.maker).shipPallet.staticCall(PHARMACY, lines);
  await c.batchRegistry.connect(c.maker).shipPallet(PHARMACY, lines);
  await c.batchRegistry.connect(c.pharmacy).receivePallet(palletId, lines);
  // The party's first basket creates its counters: the measured ones are later ones.
  await c.batchRegistry.connect(c.pharmacy).dispenseBasket(basketGroups([{ batchId, tree, index: UNITS - 1 }]).groups);
  return { ...c, batchId, tree };
}

/** Twenty released batches held by the maker, which has shipped one pallet before (its counters exist). */
async function makerWithTwentyBatches(): Promise<PalletCtx> {
  const c = await registeredProduct();
  const lines: PalletLine[] = [];
  for (let k = 0; k < LINES; k++) {
    const { batchId } = await releasedBatch(c, `PALLET-${k}`, 4, 1_000n);
    lines.push({ batchId, quantity: 10n });
  }
  await c.batchRegistry.connect(c.maker).shipPallet(PHARMACY, [lines[0]]);
  return { ...c, lines };
}

// ==== HELPERS ====

async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("no receipt");
  return receipt;
}

/** The pharmacy dispenses `count` consecutive units from `from`; asserts every one dispensed; gas per unit. */
async function basketGasPerUnit(c: BasketCtx, from: number, count: number): Promise<bigint> {
  const entries = Array.from({ length: count }, (_, i) => ({ batchId: c.batchId, tree: c.tree, index: from + i }));
  const receipt = await mined(c.batchRegistry.connect(c.pharmacy).dispenseBasket(basketGroups(entries).groups));
  const events = receipt.logs.map((log) => c.batchRegistry.interface.parseLog(log)).filter((e) => e !== null);
  const done = events.find((e) => e.name === "BasketDispensed");
  expect([done?.args.dispensed, done?.args.suspect, done?.args.refused]).to.deep.equal([BigInt(count), 0n, 0n]);
  return receipt.gasUsed / BigInt(count);
}

/** The maker ships `lines` to the wholesaler: the pallet's id and the gas per line. */
async function shipGasPerLine(c: PalletCtx, lines: PalletLine[]): Promise<{ palletId: string; perLine: bigint }> {
  const palletId = await c.batchRegistry.connect(c.maker).shipPallet.staticCall(WHOLESALER, lines);
  const receipt = await mined(c.batchRegistry.connect(c.maker).shipPallet(WHOLESALER, lines));
  return { palletId, perLine: receipt.gasUsed / BigInt(lines.length) };
}

async function receiveGasPerLine(c: PalletCtx, palletId: string, lines: PalletLine[]): Promise<bigint> {
  const receipt = await mined(c.batchRegistry.connect(c.wholesaler).receivePallet(palletId, lines));
  return receipt.gasUsed / BigInt(lines.length);
}

// ==== TESTS ====

describe("BulkCustody gas (a 1,024-unit batch, its tree in unit order)", function () {
  describe("dispenseBasket", function () {
    it("dispenses 100 consecutive units within the gas bound per unit", async function () {
      const c = await loadFixture(pharmacyWithBaskets);
      const perUnit = await basketGasPerUnit(c, 0, 100);
      gasBound(`100-unit basket ≤ ${BASKET_100_PER_UNIT} gas/unit`, () => expect(perUnit).to.be.at.most(BASKET_100_PER_UNIT));
    });

    it("dispenses 10 consecutive units within the gas bound per unit", async function () {
      const c = await loadFixture(pharmacyWithBaskets);
      const perUnit = await basketGasPerUnit(c, 0, 10);
      gasBound(`10-unit basket ≤ ${BASKET_10_PER_UNIT} gas/unit`, () => expect(perUnit).to.be.at.most(BASKET_10_PER_UNIT));
    });

    it("stays within the gas bound once the undo window has passed and it deletes the oldest record", async function () {
      const c = await loadFixture(pharmacyWithBaskets);
      await time.increase(UNDO_WINDOW + 1n);
      const perUnit = await basketGasPerUnit(c, 100, 100);
      // The party's first basket's record is gone: only this one's remains.
      expect(await c.batchRegistry.bulkCounters(PHARMACY)).to.deep.equal([2n, 1n, 0n]);
      expect(await c.batchRegistry.basketRecord(PHARMACY, 0)).to.deep.equal([0n, ZeroHash]);
      gasBound(`100-unit basket after the window ≤ ${BASKET_100_EXPIRING_PER_UNIT} gas/unit`, () =>
        expect(perUnit).to.be.at.most(BASKET_100_EXPIRING_PER_UNIT),
      );
    });
  });

  describe("shipPallet and receivePallet", function () {
    it("ships 20 lines within the gas bound per line", async function () {
      const c = await loadFixture(makerWithTwentyBatches);
      const { perLine } = await shipGasPerLine(c, c.lines);
      gasBound(`shipPallet of 20 lines ≤ ${SHIP_20_PER_LINE} gas/line`, () => expect(perLine).to.be.at.most(SHIP_20_PER_LINE));
    });

    it("receives 20 lines of batches the receiver holds none of within the gas bound per line", async function () {
      const c = await loadFixture(makerWithTwentyBatches);
      const { palletId } = await shipGasPerLine(c, c.lines);
      const perLine = await receiveGasPerLine(c, palletId, c.lines);
      gasBound(`receivePallet of 20 lines, first receipt ≤ ${RECEIVE_20_FIRST_PER_LINE} gas/line`, () =>
        expect(perLine).to.be.at.most(RECEIVE_20_FIRST_PER_LINE),
      );
    });

    it("receives 20 lines of batches the receiver already holds within the gas bound per line", async function () {
      const c = await loadFixture(makerWithTwentyBatches);
      const first = await shipGasPerLine(c, c.lines);
      await receiveGasPerLine(c, first.palletId, c.lines);
      const { palletId } = await shipGasPerLine(c, c.lines);
      const perLine = await receiveGasPerLine(c, palletId, c.lines);
      gasBound(`receivePallet of 20 lines, restock ≤ ${RECEIVE_20_RESTOCK_PER_LINE} gas/line`, () =>
        expect(perLine).to.be.at.most(RECEIVE_20_RESTOCK_PER_LINE),
      );
    });
  });
});
