/**
 * The replay catches a lie in every piece of state issue 12 added: a rebuilt state that
 * disagrees with the views (as if the logs had said otherwise) gives the exact mismatch,
 * and a log sequence the contracts could not have produced (an event left out, altered or
 * repeated) gives the exact anomaly.
 */
import { expect } from "chai";
import type { Log } from "ethers";

import { PartyStatus } from "../../sdk/enums.js";
import { canonicalJson, parseCanonical } from "../../sdk/replay/codec.js";
import { compareState } from "../../sdk/replay/compare.js";
import { type ReplayState, StateReplayer } from "../../sdk/replay/state.js";
import { LOGISTICS, REGULATOR, ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN, LOT, State } from "../helpers/quality.js";
import { batchIdOf } from "../helpers/supply.js";
import {
  type AuditedCtx,
  CODE2,
  CODE2_NEW,
  GTIN2,
  GTIN3,
  HOSPITAL,
  MAKER,
  MAKER_B,
  PHARMACY,
  WHOLESALER,
  allLogs,
  argsOf,
  auditedChain,
  nth,
  recordOf,
  replaced,
  replayerOf,
  whichOf,
  without,
} from "./replay.fixtures.js";

const { loadFixture } = networkHelpers;

interface Replayed {
  c: AuditedCtx;
  logs: Log[];
  /** Rebuilds from `logs` (the whole history by default). */
  replay(logs?: readonly Log[]): StateReplayer;
  /** The state rebuilt from the whole history, a fresh copy each time (to tamper with). */
  state(): ReplayState;
  id: string;
}

async function replayed(): Promise<Replayed> {
  const c = await loadFixture(auditedChain);
  const record = await recordOf(c);
  const logs = await allLogs(record);
  const replay = (from: readonly Log[] = logs) => replayerOf(record, from);
  const text = canonicalJson(replay().state);
  return { c, logs, replay, state: () => parseCanonical<ReplayState>(text), id: c.batchId.toLowerCase() };
}

/** Every mismatch between `state` and the views at the head, as `entity | field | replayed | view`. */
async function mismatches(state: ReplayState): Promise<string[]> {
  const found = await compareState(ethers.provider, state, { blockTag: await ethers.provider.getBlockNumber() });
  return found.map((m) => `${m.entity} | ${m.field} | ${m.replayed} | ${m.view}`);
}

/** The anomalies of a replay, as their problems. */
const problems = (replayer: StateReplayer): string[] => replayer.state.anomalies.map((a) => a.problem);

describe("compareState (sdk/replay): a rebuilt state that lies", function () {
  it("agrees with the views when nobody lies", async function () {
    const r = await replayed();
    expect(problems(r.replay())).to.deep.equal([]);
    expect(await mismatches(r.state())).to.deep.equal([]);
  });

  describe("products", function () {
    it("detects a pending application whose terms differ (productApplication)", async function () {
      const r = await replayed();
      const state = r.state();
      state.applications.get(GTIN3)!.get(MAKER_B)!.name = "Forged";
      expect(await mismatches(state)).to.deep.equal([`application ${GTIN3} by party ${MAKER_B} | name | Forged | Vaccine C`]);
    });

    it("detects an application the replay lost, and one it keeps that the registry removed", async function () {
      const r = await replayed();
      const lost = r.state();
      lost.applications.get(GTIN2)!.delete(MAKER_B);
      // GTIN2's holder is Maker B, whose pending application the view still shows.
      expect(await mismatches(lost)).to.deep.equal([`product ${GTIN2} | application of its holder | 0 | ${MAKER_B}`]);
      const kept = r.state();
      kept.applications.set(GTIN, new Map([[MAKER, { nationalCode: 0n, name: "Vaccine", approvalNo: "S20260001" }]]));
      expect(await mismatches(kept)).to.deep.equal([
        `application ${GTIN} by party ${MAKER} | applicant | ${MAKER} | 0`,
        `application ${GTIN} by party ${MAKER} | approvalNo | S20260001 | `,
        `application ${GTIN} by party ${MAKER} | name | Vaccine | `,
      ]);
    });

    it("detects a reassignment left out of the log (ProductReassigned): holder, code, and the code it freed", async function () {
      const r = await replayed();
      const replayer = r.replay(without(r.logs, "ProductReassigned"));
      expect(problems(replayer)).to.deep.equal([]);
      expect(await mismatches(replayer.state)).to.deep.equal([
        `national code ${CODE2} | productOfNationalCode | ${GTIN2} | 0`,
        `product ${GTIN2} | holder | ${MAKER} | ${MAKER_B}`,
        `product ${GTIN2} | nationalCode | ${CODE2} | ${CODE2_NEW}`,
      ]);
    });

    it("detects a freed national code the replay still gives its product", async function () {
      const r = await replayed();
      const state = r.state();
      state.nationalCodes.set(CODE2, GTIN2);
      expect(await mismatches(state)).to.deep.equal([`national code ${CODE2} | productOfNationalCode | ${GTIN2} | 0`]);
    });
  });

  describe("custody per party (custody(batch, party))", function () {
    it("detects stock in transit the views do not have: the party's, its outstanding, and the sums", async function () {
      const r = await replayed();
      const state = r.state();
      state.batches.get(r.id)!.custody.get(MAKER)!.inTransit += 1n;
      expect(await mismatches(state)).to.deep.equal([
        `batch ${r.id} | conservation (replayed sum vs quantity) | 101 | 100`,
        `batch ${r.id} | Σ in transit by party (replayed) vs open shipments (replayed) | 6 | 5`,
        `batch ${r.id} party ${MAKER} | inTransit | 6 | 5`,
        `batch ${r.id} party ${MAKER} | outstanding | 11 | 10`,
      ]);
    });

    it("detects a reporter's suspended stock that differs (suspect cases add to it)", async function () {
      const r = await replayed();
      const state = r.state();
      state.batches.get(r.id)!.custody.get(WHOLESALER)!.suspended += 1n;
      expect(await mismatches(state)).to.deep.equal([
        `batch ${r.id} | Σ suspended by party (replayed) vs suspended | 3 | 2`,
        `batch ${r.id} party ${WHOLESALER} | outstanding | 27 | 26`,
        `batch ${r.id} party ${WHOLESALER} | suspended | 3 | 2`,
      ]);
    });

    it("detects locked units that differ (a lock sets stock aside, held unchanged)", async function () {
      const r = await replayed();
      const state = r.state();
      state.batches.get(r.id)!.custody.get(WHOLESALER)!.locked = 2n;
      expect(await mismatches(state)).to.deep.equal([`batch ${r.id} party ${WHOLESALER} | locked | 2 | 1`]);
    });

    it("detects a party's dispensed count that differs, and the batch's", async function () {
      const r = await replayed();
      const party = r.state();
      party.batches.get(r.id)!.custody.get(PHARMACY)!.dispensed += 1n;
      expect(await mismatches(party)).to.deep.equal([
        `batch ${r.id} | Σ dispensed by party (replayed) vs dispensed | 2 | 1`,
        `batch ${r.id} party ${PHARMACY} | dispensed | 2 | 1`,
        `batch ${r.id} party ${PHARMACY} | dispensedBy | 2 | 1`,
      ]);
      const batch = r.state();
      batch.batches.get(r.id)!.dispensed += 1n;
      expect(await mismatches(batch)).to.deep.equal([
        `batch ${r.id} | conservation (replayed sum vs quantity) | 101 | 100`,
        `batch ${r.id} | dispensed | 2 | 1`,
      ]);
    });

    it("detects a shipment count that differs", async function () {
      const r = await replayed();
      const state = r.state();
      state.batches.get(r.id)!.custody.get(MAKER)!.shipments += 1n;
      expect(await mismatches(state)).to.deep.equal([`batch ${r.id} party ${MAKER} | shipments | 4 | 3`]);
    });

    it("detects a seizure left out of the log (StockSeized): the party's stock, outstanding and the quarantine", async function () {
      const r = await replayed();
      const replayer = r.replay(without(r.logs, "StockSeized"));
      expect(problems(replayer)).to.deep.equal([]);
      expect(await mismatches(replayer.state)).to.deep.equal([
        `batch ${r.id} | quarantined | 0 | 4`,
        `batch ${r.id} party ${HOSPITAL} | held | 10 | 6`,
        `batch ${r.id} party ${HOSPITAL} | holding | 10 | 6`,
        `batch ${r.id} party ${HOSPITAL} | outstanding | 10 | 6`,
      ]);
    });

    it("detects a restoration's credit that differs (UnitRestored credits the party that marked the unit)", async function () {
      const r = await replayed();
      // The hospital's destroyed unit restored: as if the replay had not put it back into its stock.
      const state = r.state();
      const batch = state.batches.get(r.id)!;
      batch.custody.get(HOSPITAL)!.held -= 1n;
      batch.destroyed += 1n;
      expect(await mismatches(state)).to.deep.equal([
        `batch ${r.id} | destroyed | 34 | 33`,
        `batch ${r.id} party ${HOSPITAL} | held | 5 | 6`,
        `batch ${r.id} party ${HOSPITAL} | holding | 5 | 6`,
        `batch ${r.id} party ${HOSPITAL} | outstanding | 5 | 6`,
      ]);
    });
  });

  describe("the batch record (getBatch)", function () {
    it("detects any field of the new layout that differs: manufacturer, status", async function () {
      const r = await replayed();
      const state = r.state();
      const batch = state.batches.get(r.id)!;
      batch.manufacturer = MAKER_B;
      batch.released = false;
      expect(await mismatches(state)).to.deep.equal([
        `batch ${r.id} | manufacturer | ${MAKER_B} | ${MAKER}`,
        `batch ${r.id} | status | 1 | 2`,
      ]);
    });

    it("detects a unit record that differs (a restored unit names the regulator)", async function () {
      const r = await replayed();
      const state = r.state();
      state.batches.get(r.id)!.units.get(3n)!.party = PHARMACY;
      expect(await mismatches(state)).to.deep.equal([`batch ${r.id} unit 3 | party | ${PHARMACY} | 1`]);
    });
  });

  describe("identity and governance", function () {
    it("detects a suspension whose actor lies (a regulator's counts in n, the governor's does not)", async function () {
      const r = await replayed();
      // The hospital's second suspension (right after its reinstatement), by the regulator, told as the governor's.
      const n = whichOf(r.logs, "PartyStatusChanged", (a) => a.partyId === HOSPITAL && a.previous === BigInt(PartyStatus.Suspended)) + 1;
      const replayer = r.replay(replaced(r.logs, "PartyStatusChanged", n, { actor: await r.c.governor.getAddress() }));
      expect(problems(replayer)).to.deep.equal([]);
      expect(await mismatches(replayer.state)).to.deep.equal([
        `party ${HOSPITAL} | countedVoter | false | true`,
        "registry | regulatorSuspendedVoterCount | 0 | 1",
        "registry | thresholdVoterCount | 3 | 4",
      ]);
    });

    it("detects a regulator-suspended voter the registry does not count, and the threshold it changes", async function () {
      const r = await replayed();
      const state = r.state();
      state.identity.parties.get(MAKER_B)!.regulatorSuspended = true;
      // It would also keep Maker B's approval of the open proposal 3 in force.
      expect(await mismatches(state)).to.deep.equal([
        "governor | currentThreshold | 4 | 3",
        `party ${MAKER_B} | countedVoter | true | false`,
        "proposal 3 | approvalsInForce | 2 | 1",
        "registry | regulatorSuspendedVoterCount | 2 | 1",
        "registry | thresholdVoterCount | 5 | 4",
      ]);
    });

    it("detects an open proposal's approval the replay counts in force, or drops, against approvalsInForce", async function () {
      const r = await replayed();
      // As if the log had said the maker never approved proposal 3: it has none in force.
      const state = r.state();
      state.governance.proposals.get(3n)!.voters.delete(MAKER);
      expect(await mismatches(state)).to.deep.equal(["proposal 3 | approvalsInForce | 0 | 1"]);
      // As if the regulator had approved it too: 2 in force, a regulator among them.
      const withRegulator = r.state();
      withRegulator.governance.proposals.get(3n)!.voters.add(REGULATOR);
      expect(await mismatches(withRegulator)).to.deep.equal([
        "proposal 3 | approvalsInForce | 2 | 1",
        "proposal 3 | regulatorApprovedInForce | true | false",
      ]);
    });

    it("detects Maker B's suspension told as the regulator's: it would stay in n, with its approval in force", async function () {
      const r = await replayed();
      const n = whichOf(r.logs, "PartyStatusChanged", (a) => a.partyId === MAKER_B);
      const replayer = r.replay(replaced(r.logs, "PartyStatusChanged", n, { actor: r.c.regulator.address }));
      expect(problems(replayer)).to.deep.equal([]);
      expect(await mismatches(replayer.state)).to.deep.equal([
        "governor | currentThreshold | 4 | 3",
        `party ${MAKER_B} | countedVoter | true | false`,
        "proposal 3 | approvalsInForce | 2 | 1",
        "registry | regulatorSuspendedVoterCount | 2 | 1",
        "registry | thresholdVoterCount | 5 | 4",
      ]);
    });

    it("detects a reservation that differs (reservedUntil)", async function () {
      const r = await replayed();
      const state = r.state();
      const account = r.c.makerB.address.toLowerCase();
      const until = state.identity.reserved.get(account)!;
      state.identity.reserved.set(account, until + 1n);
      expect(await mismatches(state)).to.deep.equal([`account ${account} | reservedUntil | ${until + 1n} | ${until}`]);
    });

    it("detects a detachment left out of the log (MirrorDetached)", async function () {
      const r = await replayed();
      const replayer = r.replay(without(r.logs, "MirrorDetached"));
      expect(problems(replayer)).to.deep.equal([]);
      const [br, broken, mirror] = await Promise.all([r.c.batchRegistry, r.c.brokenMirror, r.c.mirror].map((x) => x.getAddress()));
      expect(await mismatches(replayer.state)).to.deep.equal([`registry | mirrors | ${br},${broken},${mirror} | ${br},${mirror}`]);
    });
  });
});

describe("StateReplayer (sdk/replay): sequences the contracts could not have produced", function () {
  it("reports a regulator's restoration with no UnitRestored after it", async function () {
    const r = await replayed();
    const replayer = r.replay(without(r.logs, "UnitRestored"));
    expect(problems(replayer)).to.deep.equal([`unit 3 of ${r.id} made active by party 1, not by party ${PHARMACY} that marked it, with no restoration`]);
  });

  it("reports a UnitRestored with no status change before it, or crediting another party", async function () {
    const r = await replayed();
    const n = whichOf(r.logs, "UnitStatusChanged", (a) => a.index === 3n && a.status === 0n);
    expect(problems(r.replay(without(r.logs, "UnitStatusChanged", n)))).to.deep.equal([
      `restoration of unit 3 of ${r.id} with no change of its status to active before it`,
    ]);
    expect(problems(r.replay(replaced(r.logs, "UnitRestored", 0, { creditedParty: WHOLESALER })))).to.deep.equal([
      `unit 3 of ${r.id} restored crediting party ${WHOLESALER}, not ${PHARMACY} that marked it`,
    ]);
    expect(problems(r.replay(replaced(r.logs, "UnitRestored", 0, { regulator: MAKER })))).to.deep.equal([
      `unit 3 of ${r.id} restored by party ${MAKER}, its status changed by 1`,
      `unit 3 of ${r.id} restored by party ${MAKER}, not a regulator`,
    ]);
  });

  it("reports a lock by a party with no available stock", async function () {
    const r = await replayed();
    const replayer = r.replay();
    const lock = whichOf(r.logs, "UnitStatusChanged", (a) => a.index === 7n);
    replayer.apply(nth(r.logs, "UnitStatusChanged", lock, { index: 8n, party: LOGISTICS }));
    expect(problems(replayer)).to.deep.equal([`party ${LOGISTICS} locks a unit of ${r.id} with 0 available`]);
    expect(replayer.state.batches.get(r.id)!.units.get(8n)).to.deep.equal({ status: 4, party: LOGISTICS });
  });

  it("reports a destruction that accounted for its batch with no entry into disposal", async function () {
    const r = await replayed();
    const id2 = r.c.batch2.toLowerCase();
    const n = whichOf(r.logs, "StateChanged", (a) => String(a.subject).toLowerCase() === id2 && a.to === BigInt(State.Destroyed));
    expect(problems(r.replay(without(r.logs, "StateChanged", n)))).to.deep.equal([
      `batch ${id2} accounted for by its destruction, but did not enter disposal`,
    ]);
  });

  it("reports a batch entering disposal with units not accounted for, or with no destruction before it", async function () {
    const r = await replayed();
    const replayer = r.replay();
    const id2 = r.c.batch2.toLowerCase();
    const n = whichOf(r.logs, "StateChanged", (a) => String(a.subject).toLowerCase() === id2 && a.to === BigInt(State.Destroyed));
    // The main batch (recalled, 35 of 100 dispensed, destroyed or lost) told as entering disposal.
    replayer.apply(nth(r.logs, "StateChanged", n, { subject: r.c.batchId, from: State.Recall }));
    expect(problems(replayer)).to.deep.equal([
      `batch ${r.id} entered disposal with no witnessed destruction before it`,
      `batch ${r.id} entered disposal with 65 units not accounted for`,
    ]);
  });

  it("reports a seizure by a party that is not a regulator", async function () {
    const r = await replayed();
    const replayer = r.replay();
    const { outstanding } = argsOf(r.logs, "StockSeized");
    replayer.apply(nth(r.logs, "StockSeized", 0, { regulator: MAKER }));
    expect(problems(replayer)).to.deep.equal([
      `stock of ${r.id} seized by party ${MAKER}, not a regulator`,
      // The hospital's 6 less 4 again.
      `seizure by ${HOSPITAL}: outstanding ${outstanding as bigint}, replayed 2`,
    ]);
  });

  it("reports applications and registrations the registry would refuse", async function () {
    const r = await replayed();
    const replayer = r.replay();
    const makers = whichOf(r.logs, "ProductApplied", (a) => a.gtin === GTIN2 && a.applicant === MAKER);
    const makerB3 = whichOf(r.logs, "ProductApplied", (a) => a.gtin === GTIN3);
    const registered2 = whichOf(r.logs, "ProductRegistered", (a) => a.gtin === GTIN2);
    for (const log of [
      nth(r.logs, "ProductApplied", makers), // for a registered product
      nth(r.logs, "ProductApplied", makerB3, { nationalCode: CODE2_NEW }), // with a code another product holds
      nth(r.logs, "ProductRegistered", registered2, { name: "Other" }), // twice, and not on the applied terms
      nth(r.logs, "ProductRegistered", 0), // twice, with no application
    ]) {
      replayer.apply(log);
    }
    expect(problems(replayer)).to.deep.equal([
      `application for product ${GTIN2}, already registered`,
      `application for product ${GTIN3} with national code ${CODE2_NEW}, taken by product ${GTIN2}`,
      `product ${GTIN2} registered twice`,
      `product ${GTIN2} registered on other terms than party ${MAKER}'s application`,
      `product ${GTIN} registered twice`,
      `product ${GTIN} registered for party ${MAKER}, which has no application`,
    ]);
  });

  it("reports a reassignment from a holder or code the product does not have", async function () {
    const r = await replayed();
    const replayer = r.replay();
    replayer.apply(nth(r.logs, "ProductReassigned"));
    expect(problems(replayer)).to.deep.equal([
      `product ${GTIN2} reassigned from party ${MAKER}, held by ${MAKER_B}`,
      `product ${GTIN2} reassigned from national code ${CODE2}, replayed ${CODE2_NEW}`,
    ]);
  });

  it("reports a batch created by a party that does not hold its product", async function () {
    const r = await replayed();
    const replayer = r.replay();
    const id = batchIdOf(GTIN2, LOT);
    replayer.apply(nth(r.logs, "BatchCreated", 0, { batchId: id, gtin: GTIN2 }));
    expect(problems(replayer)).to.deep.equal([`batch ${id} created by party ${MAKER}, not the holder (${MAKER_B}) of product ${GTIN2}`]);
  });

  it("reports the detachment of a mirror that is not attached", async function () {
    const r = await replayed();
    const replayer = r.replay();
    replayer.apply(nth(r.logs, "MirrorDetached"));
    expect(problems(replayer)).to.deep.equal([`replay: detach of mirror ${await r.c.brokenMirror.getAddress()}, never attached`]);
  });

  it("records the pushes a mirror refused, by subject", async function () {
    const r = await replayed();
    const { identity } = r.replay().state;
    const broken = (await r.c.brokenMirror.getAddress()).toLowerCase();
    expect(identity.pushFailures).to.deep.equal(new Map([[broken, new Map([[ethers.toBeHex(HOSPITAL, 32), 1n]])]]));
  });
});
