/**
 * The replay rebuilds baskets and pallets (IBulkCustody) from the logs alone, exactly as
 * the views report them, and catches an event left out or altered: the exact anomaly
 * and the exact mismatches with the views.
 */
import { expect } from "chai";
import type { Log } from "ethers";

import { ShipmentStatus, UnitStatus } from "../../sdk/enums.js";
import { canonicalJson, parseCanonical } from "../../sdk/replay/codec.js";
import { compareState } from "../../sdk/replay/compare.js";
import { basketDispenserOf, basketSuspectReportsOf } from "../../sdk/replay/dispensers.js";
import { replayChain } from "../../sdk/replay/chain.js";
import { type ReplayState, StateReplayer } from "../../sdk/replay/state.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  type BulkCtx,
  HOSPITAL,
  MAKER,
  PHARMACY,
  WHOLESALER,
  allLogs,
  argsOf,
  bulkChain,
  logOf,
  recordOf,
  replaced,
  replayerOf,
  rx,
  without,
} from "./replay.bulk.fixtures.js";

const { loadFixture } = networkHelpers;
const ZERO = ethers.ZeroHash;

interface Replayed {
  c: BulkCtx;
  logs: Log[];
  replay(logs?: readonly Log[]): StateReplayer;
  /** The state rebuilt from the whole history, a fresh copy each time (to tamper with). */
  state(): ReplayState;
  b1: string;
  b2: string;
}

async function replayed(): Promise<Replayed> {
  const c = await loadFixture(bulkChain);
  const record = await recordOf(c);
  const logs = await allLogs(record);
  const replay = (from: readonly Log[] = logs) => replayerOf(record, from);
  const text = canonicalJson(replay().state);
  return { c, logs, replay, state: () => parseCanonical<ReplayState>(text), b1: c.batchId.toLowerCase(), b2: c.batch2.toLowerCase() };
}

/** Every mismatch between `state` and the views at the head, as `entity | field | replayed | view`. */
async function mismatches(state: ReplayState): Promise<string[]> {
  const found = await compareState(ethers.provider, state, { blockTag: await ethers.provider.getBlockNumber() });
  return found.map((m) => `${m.entity} | ${m.field} | ${m.replayed} | ${m.view}`);
}

const problems = (replayer: StateReplayer): string[] => replayer.state.anomalies.map((a) => a.problem);

/** The contract's own commitment of these items (basketCommitment is pure). */
async function commitment(c: BulkCtx, items: { batchId: string; index: bigint; prescription: string }[]): Promise<string> {
  return c.batchRegistry.basketCommitment(items);
}

describe("StateReplayer (sdk/replay): baskets and pallets", function () {
  it("follows the regulator's restoreBasketUnit: the unit leaves its basket, the named dispenser gets the box back", async function () {
    const { c, b1 } = await replayed();
    // Basket 0's unit 2, long after its window: the regulator names the pharmacy from the log.
    const before = basketDispenserOf(await allLogs(await recordOf(c)), c.batchId, 2n);
    expect(before?.party).to.equal(PHARMACY);
    await c.batchRegistry.connect(c.regulator).restoreBasketUnit(c.tree.unit(c.batchId, 2n), PHARMACY);
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    expect(result.anomalies).to.deep.equal([]);
    expect(result.mismatches).to.deep.equal([]);
    const batch1 = result.state.batches.get(b1)!;
    expect(batch1.basketUnits.has(2n)).to.equal(false);
    expect(batch1.units.get(2n)).to.deep.equal({ status: UnitStatus.Active, party: 1n });
    expect(batch1.custody.get(PHARMACY)).to.include({ held: 25n, dispensed: 5n });
    expect(basketDispenserOf(await allLogs(await recordOf(c)), c.batchId, 2n)).to.equal(undefined);
  });

  it("flags a regulator's restoration of a basket unit crediting a party that dispensed none of the batch", async function () {
    const { c, replay } = await replayed();
    await c.batchRegistry.connect(c.regulator).restoreBasketUnit(c.tree.unit(c.batchId, 2n), PHARMACY);
    const logs = await allLogs(await recordOf(c));
    const lied = replaced(logs, "UnitRestored", logs.filter((l) => l.topics[0] === c.batchRegistry.interface.getEvent("UnitRestored")!.topicHash).length - 1, {
      creditedParty: WHOLESALER,
    });
    expect(problems(replay(lied))).to.include(`basket unit 2 of ${c.batchId.toLowerCase()} restored crediting party ${WHOLESALER}, which dispensed none of it`);
  });

  it("rebuilds custody, units, basket records, bulk counters and pallets exactly as the views say", async function () {
    const { c, b1, b2 } = await replayed();
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    expect(result.anomalies).to.deep.equal([]);
    expect(result.mismatches).to.deep.equal([]);
    const { state } = result;
    const batch1 = state.batches.get(b1)!;
    const batch2 = state.batches.get(b2)!;
    // Pharmacy, batch 1: 20 + 10 by pallet; 1 dispensed alone; baskets 0 (3), 1 (1), 2 (1), 5 (1); 1 undone.
    expect(batch1.custody.get(PHARMACY)).to.deep.equal({ held: 24n, inTransit: 0n, dispensed: 6n, suspended: 0n, locked: 0n, shipments: 0n });
    // Maker, batch 1: 40, 10 on the received pallet, 5 on the cancelled one (back).
    expect(batch1.custody.get(MAKER)).to.deep.equal({ held: 30n, inTransit: 0n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 1n });
    // Wholesaler, batch 1: 40, its 4 rejected back.
    expect(batch1.custody.get(WHOLESALER)).to.deep.equal({ held: 40n, inTransit: 0n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 1n });
    // Batch 2: the pharmacy received 12, dispensed 3, one undone; 3 in transit to the hospital.
    expect(batch2.custody.get(PHARMACY)).to.deep.equal({ held: 10n, inTransit: 0n, dispensed: 2n, suspended: 0n, locked: 0n, shipments: 0n });
    expect(batch2.custody.get(MAKER)).to.deep.equal({ held: 35n, inTransit: 3n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 0n });
    expect(batch1.dispensed).to.equal(6n);
    expect(batch2.dispensed).to.equal(2n);
    // Units a basket holds: read Dispensed by party 0; unit 1, undone, has an Active record.
    expect([...batch1.basketUnits.keys()].sort()).to.deep.equal([0n, 2n, 5n, 7n, 9n]);
    expect([...batch2.basketUnits.keys()].sort()).to.deep.equal([1n, 2n]);
    expect(batch1.units.get(1n)).to.deep.equal({ status: UnitStatus.Active, party: 0n });
    expect(batch1.units.get(3n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY });
    expect(await c.batchRegistry.unitRecord(b1, 0n)).to.deep.equal([BigInt(UnitStatus.Dispensed), 0n, 0n]);
    // Counters: the pharmacy's baskets 0 and 1 expired; 2, 3 and 5 open, 4 wholly undone.
    expect(state.bulkCounters.get(PHARMACY)).to.deep.equal({ baskets: 6n, oldestOpen: 2n, pallets: 0n });
    expect(state.bulkCounters.get(HOSPITAL)).to.deep.equal({ baskets: 1n, oldestOpen: 0n, pallets: 0n });
    expect(state.bulkCounters.get(MAKER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 3n });
    expect(state.bulkCounters.get(WHOLESALER)).to.deep.equal({ baskets: 0n, oldestOpen: 0n, pallets: 1n });
    expect([...state.baskets.keys()]).to.deep.equal([c.baskets[2], c.baskets[3], c.baskets[5]].map((id) => id.toLowerCase()));
    const basket5 = state.baskets.get(c.baskets[5].toLowerCase())!;
    expect(basket5.items).to.deep.equal([{ batchId: b1, index: 9n, prescription: ZERO }]);
    const [at, stored] = await c.batchRegistry.basketRecord(PHARMACY, 5);
    expect(BigInt((await ethers.provider.getBlock(basket5.block))!.timestamp)).to.equal(at);
    expect(BigInt(basket5.commitment) >> 40n).to.equal(BigInt(stored) >> 40n);
    // Pallets: received, cancelled, rejected, and the open one with its lines.
    const { pallets } = c;
    expect([pallets.received, pallets.cancelled, pallets.rejected, pallets.open].map((id) => state.pallets.get(id.toLowerCase())!.status)).to.deep.equal([
      ShipmentStatus.Received,
      ShipmentStatus.Cancelled,
      ShipmentStatus.Rejected,
      ShipmentStatus.InTransit,
    ]);
    expect(state.pallets.get(pallets.open.toLowerCase())!.lines).to.deep.equal([{ batchId: b2, quantity: 3n }]);
    expect(state.pallets.get(pallets.received.toLowerCase())!.lines).to.equal(undefined);
  });

  it("keeps the bulk state through a checkpoint (canonical JSON) and still agrees with the views", async function () {
    const r = await replayed();
    const state = r.state();
    expect(canonicalJson(state)).to.equal(canonicalJson(r.replay().state));
    expect(await mismatches(state)).to.deep.equal([]);
  });
});

describe("compareState (sdk/replay): baskets and pallets that lie", function () {
  it("detects a basket's units left out (UnitsDispensed): counts, commitment, undo, custody", async function () {
    const r = await replayed();
    const { c, b1, b2 } = r;
    const basket0 = c.baskets[0].toLowerCase();
    const kept = argsOf(r.logs, "UnitsDispensed", 1);
    const keptItems = [...(kept.indices as bigint[])].map((index, i) => ({ batchId: b2, index, prescription: (kept.prescriptions as string[])[i] }));
    const undone = argsOf(r.logs, "BasketUndone", 0);
    const replayer = r.replay(without(r.logs, "UnitsDispensed", 0));
    expect(problems(replayer)).to.deep.equal([
      `basket ${basket0}: 5 dispensed, its UnitsDispensed list 2`,
      `basket ${basket0}: commitment ${argsOf(r.logs, "BasketDispensed", 0).commitment}, replayed ${await commitment(c, keptItems)}`,
      // Basket 1's report of unit 1 (recorded: in a basket), which the replay never saw dispensed.
      `unit 1 of ${b1} reported dispensed in a basket, and no basket dispensed it`,
      `basket ${basket0} undid unit 1 of ${b1}, which it does not hold (in this order)`,
      `basket ${basket0} undone to commitment ${undone.commitment}, replayed ${await commitment(c, keptItems.filter((i) => i.index !== 0n))}`,
      // The hospital's single dispense of unit 0.
      `unit 0 of ${b1} reported dispensed in a basket, and no basket dispensed it`,
    ]);
    expect(await mismatches(replayer.state)).to.deep.equal([
      `batch ${b1} | dispensed | 4 | 6`,
      `batch ${b1} | Σ dispensed by party (replayed) vs dispensed | 4 | 6`,
      `batch ${b1} party ${PHARMACY} | dispensed | 4 | 6`,
      `batch ${b1} party ${PHARMACY} | dispensedBy | 4 | 6`,
      `batch ${b1} party ${PHARMACY} | held | 26 | 24`,
      `batch ${b1} party ${PHARMACY} | holding | 26 | 24`,
    ]);
  });

  it("detects a whole basket left out (BasketDispensed): its units unclosed, the counters behind", async function () {
    const r = await replayed();
    const basket5 = r.c.baskets[5].toLowerCase();
    // Basket 5, the chain's last transaction, is the seventh BasketDispensed (the hospital's is the third).
    expect(argsOf(r.logs, "BasketDispensed", 6).basketId).to.equal(basket5);
    const replayer = r.replay(without(r.logs, "BasketDispensed", 6));
    expect(problems(replayer)).to.deep.equal([`units dispensed in basket ${basket5} with no BasketDispensed`]);
    expect(await mismatches(replayer.state)).to.deep.equal([`bulk counters of party ${PHARMACY} | baskets | 5 | 6`]);
  });

  it("detects an altered basket commitment (BasketDispensed) as an anomaly", async function () {
    const r = await replayed();
    const real = argsOf(r.logs, "BasketDispensed", 0).commitment;
    const replayer = r.replay(replaced(r.logs, "BasketDispensed", 0, { commitment: ethers.id("forged") }));
    expect(problems(replayer)).to.deep.equal([`basket ${r.c.baskets[0].toLowerCase()}: commitment ${ethers.id("forged")}, replayed ${real}`]);
    expect(await mismatches(replayer.state)).to.deep.equal([]);
  });

  it("detects an altered unit of a basket (UnitsDispensed): the commitment and the unit's status", async function () {
    const r = await replayed();
    const { c, b1 } = r;
    const args = argsOf(r.logs, "UnitsDispensed", 0);
    const indices = [...(args.indices as bigint[])];
    expect(indices).to.deep.equal([2n, 1n, 0n]);
    const forged = [2n, 1n, 4n];
    const replayer = r.replay(replaced(r.logs, "UnitsDispensed", 0, { indices: forged }));
    const items = forged.map((index) => ({ batchId: b1, index, prescription: rx(0) }));
    const b2 = argsOf(r.logs, "UnitsDispensed", 1);
    const items2 = [...(b2.indices as bigint[])].map((index) => ({ batchId: r.b2, index, prescription: ZERO }));
    const undone = argsOf(r.logs, "BasketUndone", 0);
    const left = [...items.filter((i) => i.index !== 1n), ...items2.filter((i) => i.index !== 0n)];
    expect(problems(replayer)).to.deep.equal([
      `basket ${c.baskets[0].toLowerCase()}: commitment ${argsOf(r.logs, "BasketDispensed", 0).commitment}, replayed ${await commitment(c, [...items, ...items2])}`,
      `basket ${c.baskets[0].toLowerCase()} undone to commitment ${undone.commitment}, replayed ${await commitment(c, left)}`,
      // The hospital's single dispense of unit 0 says a basket dispensed it; the altered log says none did.
      `unit 0 of ${b1} reported dispensed in a basket, and no basket dispensed it`,
    ]);
    expect(await mismatches(replayer.state)).to.deep.equal([`batch ${b1} unit 4 | status | ${UnitStatus.Dispensed} | ${UnitStatus.Active}`]);
  });

  it("detects a lying suspect report of a basket unit (recordedParty not 0)", async function () {
    const r = await replayed();
    const n = 1; // basket 1's report of unit 1, dispensed in basket 0
    expect(argsOf(r.logs, "SuspectUnitReported", n)).to.deep.include({ index: 1n, status: BigInt(UnitStatus.Dispensed), recordedParty: 0n, reportNo: 2n });
    const replayer = r.replay(replaced(r.logs, "SuspectUnitReported", n, { recordedParty: PHARMACY }));
    expect(problems(replayer)).to.deep.equal([`suspect report 2 of ${r.b1}: unit 1 recorded ${UnitStatus.Dispensed} by party ${PHARMACY}, replayed ${UnitStatus.Dispensed} by party 0`]);
  });

  it("detects an undo left out (BasketUndone): the units still dispensed, the stock not back", async function () {
    const r = await replayed();
    const { b1, b2 } = r;
    const replayer = r.replay(without(r.logs, "BasketUndone", 0));
    expect(problems(replayer)).to.deep.equal([]);
    expect(await mismatches(replayer.state)).to.deep.equal([
      `batch ${b1} | dispensed | 7 | 6`,
      `batch ${b1} | Σ dispensed by party (replayed) vs dispensed | 7 | 6`,
      `batch ${b1} party ${PHARMACY} | dispensed | 7 | 6`,
      `batch ${b1} party ${PHARMACY} | dispensedBy | 7 | 6`,
      `batch ${b1} party ${PHARMACY} | held | 23 | 24`,
      `batch ${b1} party ${PHARMACY} | holding | 23 | 24`,
      `batch ${b1} unit 1 | status | ${UnitStatus.Dispensed} | ${UnitStatus.Active}`,
      `batch ${b2} | dispensed | 3 | 2`,
      `batch ${b2} | Σ dispensed by party (replayed) vs dispensed | 3 | 2`,
      `batch ${b2} party ${PHARMACY} | dispensed | 3 | 2`,
      `batch ${b2} party ${PHARMACY} | dispensedBy | 3 | 2`,
      `batch ${b2} party ${PHARMACY} | held | 9 | 10`,
      `batch ${b2} party ${PHARMACY} | holding | 9 | 10`,
      `batch ${b2} unit 0 | status | ${UnitStatus.Dispensed} | ${UnitStatus.Active}`,
    ]);
  });

  it("detects an expiry left out (BasketExpired): the record kept, the oldest basket behind", async function () {
    const r = await replayed();
    const state = r.state();
    const replayer = r.replay(without(r.logs, "BasketExpired", 0));
    const basket0 = r.c.baskets[0].toLowerCase();
    const basket1 = r.c.baskets[1].toLowerCase();
    // Without basket 0's expiry, basket 1's is not the oldest's.
    expect(problems(replayer)).to.deep.equal([`basket ${basket1} expired: not party ${PHARMACY}'s oldest (0)`]);
    const kept = replayer.state.baskets.get(basket0)!;
    const at = (await ethers.provider.getBlock(kept.block))!.timestamp;
    const stored = `0x${((BigInt(kept.commitment) >> 40n) << 40n).toString(16).padStart(64, "0")}`;
    expect(await mismatches(replayer.state)).to.deep.equal([
      `basket 0 of party ${PHARMACY} | at | ${at} | 0`,
      `basket 0 of party ${PHARMACY} | commitment | ${stored} | ${ZERO}`,
      `bulk counters of party ${PHARMACY} | oldestOpen | 0 | 2`,
    ]);
    expect(state.baskets.has(basket0)).to.equal(false);
  });

  it("detects a pallet line's quantity altered (PalletShipped): its lines hash and both parties' stock", async function () {
    const r = await replayed();
    const { b1, b2, c } = r;
    const replayer = r.replay(replaced(r.logs, "PalletShipped", 0, { lines: [[b1, 11n], [b2, 12n]] }));
    expect(problems(replayer)).to.deep.equal([]);
    expect(await mismatches(replayer.state)).to.deep.equal([
      `batch ${b1} party ${MAKER} | held | 29 | 30`,
      `batch ${b1} party ${MAKER} | holding | 29 | 30`,
      `batch ${b1} party ${PHARMACY} | held | 25 | 24`,
      `batch ${b1} party ${PHARMACY} | holding | 25 | 24`,
      `pallet ${c.pallets.received.toLowerCase()} | linesHash | ${ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(["tuple(bytes32,uint48)[]"], [[[b1, 11n], [b2, 12n]]]),
      )} | ${(await c.batchRegistry.getPallet(c.pallets.received)).linesHash}`,
    ]);
  });

  it("detects a pallet closing left out (PalletClosed): its status, the stock still in transit", async function () {
    const r = await replayed();
    const { b1, b2, c } = r;
    const replayer = r.replay(without(r.logs, "PalletClosed", 0));
    // The pharmacy then dispenses batch 2 units it never received.
    expect(problems(replayer)).to.deep.equal([
      `party ${PHARMACY} takes 2 of ${b2} with 0 available`,
      `party ${PHARMACY} takes 1 of ${b2} with -1 available`,
    ]);
    expect(await mismatches(replayer.state)).to.deep.equal([
      `batch ${b1} party ${MAKER} | inTransit | 10 | 0`,
      `batch ${b1} party ${PHARMACY} | held | 14 | 24`,
      `batch ${b1} party ${PHARMACY} | holding | 14 | 24`,
      `batch ${b2} party ${MAKER} | inTransit | 15 | 3`,
      `batch ${b2} party ${PHARMACY} | held | -2 | 10`,
      `batch ${b2} party ${PHARMACY} | holding | -2 | 10`,
      `pallet ${c.pallets.received.toLowerCase()} | status | ${ShipmentStatus.InTransit} | ${ShipmentStatus.Received}`,
    ]);
  });

  it("detects a pallet credited to the wrong party (PalletClosed) as an anomaly", async function () {
    const r = await replayed();
    const replayer = r.replay(replaced(r.logs, "PalletClosed", 1, { creditedParty: WHOLESALER }));
    expect(problems(replayer)).to.deep.equal([
      `pallet ${r.c.pallets.cancelled.toLowerCase()} closed (${ShipmentStatus.Cancelled}) crediting ${WHOLESALER}, not ${MAKER}`,
    ]);
  });

  it("detects a tampered basket record, pallet and counters (basketRecord, getPallet, bulkCounters)", async function () {
    const r = await replayed();
    const { c } = r;
    const state = r.state();
    const basket3 = state.baskets.get(c.baskets[3].toLowerCase())!;
    const real = basket3.commitment;
    basket3.commitment = ethers.id("other");
    const open = state.pallets.get(c.pallets.open.toLowerCase())!;
    open.block -= 1;
    state.bulkCounters.get(MAKER)!.pallets = 4n;
    const view = await c.batchRegistry.getPallet(c.pallets.open);
    const earlier = (await ethers.provider.getBlock(open.block))!.timestamp;
    const stored = (x: string) => `0x${((BigInt(x) >> 40n) << 40n).toString(16).padStart(64, "0")}`;
    expect(await mismatches(state)).to.deep.equal([
      `basket 3 of party ${PHARMACY} | commitment | ${stored(ethers.id("other"))} | ${stored(real)}`,
      `bulk counters of party ${MAKER} | pallets | 4 | 3`,
      `pallet ${c.pallets.open.toLowerCase()} | shippedAt | ${earlier} | ${view.shippedAt}`,
    ]);
  });
});

describe("basketSuspectReports (sdk/replay/dispensers)", function () {
  it("names who dispensed, in which basket, each unit a suspect report says a basket dispensed", async function () {
    const r = await replayed();
    const { b1, c } = r;
    const dispensed = logOf(r.logs, "UnitsDispensed", 0);
    const by = {
      batchId: b1,
      party: PHARMACY,
      basketId: c.baskets[0].toLowerCase(),
      prescription: rx(0),
      blockNumber: dispensed.blockNumber,
      transactionHash: dispensed.transactionHash.toLowerCase(),
      logIndex: dispensed.index,
    };
    // Report 1 is basket 0's of unit 3 (dispensed alone, by the pharmacy: not a basket's); 2 is
    // basket 1's of unit 1, 3 the hospital's single dispense of unit 0.
    expect(argsOf(r.logs, "SuspectUnitReported", 0)).to.deep.include({ index: 3n, recordedParty: PHARMACY });
    expect(basketSuspectReportsOf(r.logs)).to.deep.equal([
      { batchId: b1, index: 1n, reporter: PHARMACY, reportNo: 2n, ...where(logOf(r.logs, "SuspectUnitReported", 1)), dispensedBy: { ...by, index: 1n } },
      { batchId: b1, index: 0n, reporter: HOSPITAL, reportNo: 3n, ...where(logOf(r.logs, "SuspectUnitReported", 2)), dispensedBy: { ...by, index: 0n } },
    ]);
    // After the undo, no basket holds unit 1; unit 0 is still basket 0's.
    expect(basketDispenserOf(r.logs, b1, 1n)).to.equal(undefined);
    expect(basketDispenserOf(r.logs, b1, 0n)).to.deep.equal({ ...by, index: 0n });
  });
});

/** Where a log is, as a report names it. */
function where(log: Log): { blockNumber: number; transactionHash: string; logIndex: number } {
  return { blockNumber: log.blockNumber, transactionHash: log.transactionHash.toLowerCase(), logIndex: log.index };
}
