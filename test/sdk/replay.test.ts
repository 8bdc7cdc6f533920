import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { medstateInterface, parseMedstateLog } from "../../sdk/contracts.js";
import { PHARMACEUTICAL_GRAPH, graphFrom } from "../../sdk/quality.js";
import { canonicalJson, parseCanonical, stateDigest } from "../../sdk/replay/codec.js";
import { replayChain } from "../../sdk/replay/chain.js";
import { compareState } from "../../sdk/replay/compare.js";
import { streamLogs } from "../../sdk/replay/logs.js";
import { CaseStatus, ShipmentStatus } from "../../sdk/enums.js";
import { REPLAY_STATE_VERSION, type ReplayState, StateReplayer, WHOLE_BATCH } from "../../sdk/replay/state.js";
import { HOSPITAL, MAKER, PHARMACY, REGULATOR, WHOLESALER, ethers, networkHelpers } from "../helpers/fixtures.js";
import { DAY, GTIN, LOT, State, caseIdOf, distributedBatch } from "../helpers/quality.js";
import { CODE2, CODE2_NEW, GTIN2, GTIN3, MAKER_B, allLogs, auditedChain, nth, recordOf, replayerOf } from "./replay.fixtures.js";

const { loadFixture } = networkHelpers;

describe("parseMedstateLog (sdk/contracts)", function () {
  it("decodes every MedState log exactly as the combined Interface's parseLog does, and nothing else", async function () {
    const c = await loadFixture(auditedChain);
    const record = await recordOf(c);
    const iface = medstateInterface();
    let count = 0;
    for await (const page of streamLogs(ethers.provider, { addresses: Object.values(record.contracts), fromBlock: 0 })) {
      for (const log of page.logs) {
        const fast = parseMedstateLog(log);
        const slow = iface.parseLog(log);
        expect(fast?.name).to.equal(slow?.name);
        expect(fast?.signature).to.equal(slow?.signature);
        expect(fast?.args.toArray()).to.deep.equal(slow?.args.toArray());
        count++;
      }
    }
    expect(count).to.be.greaterThan(100);
    expect(parseMedstateLog({ topics: [ethers.id("Nothing(uint256)")], data: "0x" })).to.equal(null);
    expect(parseMedstateLog({ topics: [], data: "0x" })).to.equal(null);
  });
});

describe("PHARMACEUTICAL_GRAPH (sdk/quality)", function () {
  it("is the graph the contracts apply until governance configures one", async function () {
    const c = await loadFixture(distributedBatch);
    expect(graphFrom(await c.collaboration.stateGraph())).to.deep.equal(PHARMACEUTICAL_GRAPH);
  });
});

describe("replayChain (sdk/replay)", function () {
  it("rebuilds every contract's state from the logs alone and finds no mismatch", async function () {
    const c = await loadFixture(auditedChain);
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    expect(result.anomalies).to.deep.equal([]);
    expect(result.mismatches).to.deep.equal([]);
    const { state } = result;
    const id = c.batchId.toLowerCase();
    const batch = state.batches.get(id)!;
    // A partial destruction leaves the batch recalled; the second lot, wholly destroyed, is Destroyed.
    expect(state.subjects.get(id)!.state).to.equal(State.Recall);
    expect(state.subjects.get(c.batch2.toLowerCase())!.state).to.equal(State.Destroyed);
    // Wholesaler: 40 received, 1 stolen, 1 locked, 5 + 3 + 2 reported, 5 cleared back, 10 returned.
    expect(batch.custody.get(WHOLESALER)).to.deep.equal({ held: 24n, inTransit: 0n, dispensed: 0n, suspended: 2n, locked: 1n, shipments: 1n });
    // Pharmacy: 20, one dispensed (one undone, one restored), its lock restored.
    expect(batch.custody.get(PHARMACY)).to.deep.equal({ held: 19n, inTransit: 0n, dispensed: 1n, suspended: 0n, locked: 0n, shipments: 0n });
    // Hospital: 10, its destroyed unit restored, 4 seized.
    expect(batch.custody.get(HOSPITAL)).to.deep.equal({ held: 6n, inTransit: 0n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 0n });
    // Maker: 30, 5 still in transit to the wholesaler, 20 returned.
    expect(batch.custody.get(MAKER)).to.deep.equal({ held: 5n, inTransit: 5n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 3n });
    expect(batch).to.deep.include({ dispensed: 1n, destroyed: 30n + 3n, lost: 1n, quarantined: 4n, suspended: 2n, suspectReports: 1n });
    expect(state.nonces.get(c.wholesalerDevice.address.toLowerCase())).to.equal(3n);
    expect(state.governance.proposals.get(1n)!.executed).to.equal(true);
    expect(state.governance.proposals.get(2n)!.executed).to.equal(true);
    // Proposal 3 stays open: approved by the maker and Maker B, whose approval left with it (governance suspended it).
    expect(state.governance.proposals.get(3n)).to.deep.include({ approvals: 2n, executed: false, voters: new Set([MAKER, MAKER_B]) });
    expect(await c.governor.approvalsInForce(3n)).to.deep.equal([1n, false]);
    expect(state.recallPeriods).to.deep.equal([2n * DAY, 4n * DAY, 8n * DAY]);
    expect([...state.cases.values()].map((x) => x.status)).to.deep.equal([3, 5, 1]);
    expect(state.identity.parties.size).to.equal(9);
    // Products: GTIN2 reassigned to Maker B with a new code, its old code freed; two applications pending.
    expect(state.products.get(GTIN2)).to.deep.include({ holder: MAKER_B, nationalCode: CODE2_NEW });
    expect(state.nationalCodes).to.deep.equal(new Map([[CODE2, 0n], [CODE2_NEW, GTIN2]]));
    expect([...state.applications].map(([gtin, pending]) => [gtin, [...pending.keys()]])).to.deep.equal([
      [GTIN2, [MAKER_B]],
      [GTIN3, [MAKER_B]],
    ]);
    // Identity: the hospital suspended by the regulator alone (counted), Maker B by governance.
    expect(state.identity.parties.get(HOSPITAL)!.regulatorSuspended).to.equal(true);
    expect(state.identity.parties.get(MAKER_B)!.regulatorSuspended).to.equal(false);
    expect(state.identity.mirrors.map((m) => m.toLowerCase())).to.deep.equal(
      [await c.batchRegistry.getAddress(), await c.mirror.getAddress()].map((m) => m.toLowerCase()),
    );
    expect([...state.identity.pushFailures.keys()]).to.deep.equal([(await c.brokenMirror.getAddress()).toLowerCase()]);
    expect([...state.identity.reserved.keys()]).to.deep.equal([c.makerB.address.toLowerCase()]);
    expect(result.toBlock).to.equal(await ethers.provider.getBlockNumber());
    expect(result.digest).to.equal(stateDigest(state));
  });

  it("detects a view that disagrees with the events (the check can fail)", async function () {
    const c = await loadFixture(auditedChain);
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    const { state } = result;
    // Tamper with the rebuilt state: as if the logs had said otherwise.
    const batch = state.batches.get(c.batchId.toLowerCase())!;
    batch.custody.get(PHARMACY)!.held += 1n;
    state.cases.values().next().value!.status = 4;
    state.nonces.set(c.wholesalerDevice.address.toLowerCase(), 2n);
    state.subjects.get(c.batchId.toLowerCase())!.recallOpenedAt += 1n;
    const mismatches = await compareState(ethers.provider, state, { blockTag: result.toBlock });
    const seen = mismatches.map((m) => `${m.entity} | ${m.field} | ${m.replayed} | ${m.view}`);
    const id = c.batchId.toLowerCase();
    const { held } = batch.custody.get(PHARMACY)!;
    expect(seen).to.include(`batch ${id} party ${PHARMACY} | holding | ${held} | ${held - 1n}`);
    expect(seen).to.include(`batch ${id} | conservation (replayed sum vs quantity) | 101 | 100`);
    expect(seen).to.include(`case ${caseIdOf(c.batchId, 1n).toLowerCase()} | status | 4 | 3`);
    expect(seen).to.include(`device ${c.wholesalerDevice.address.toLowerCase()} | nonce | 2 | 3`);
    expect(seen.some((s) => s.startsWith(`batch ${id} | recallOpenedAt |`))).to.equal(true);
  });

  it("reports logs the contracts could not have produced as anomalies", async function () {
    const c = await loadFixture(auditedChain);
    const record = await recordOf(c);
    const replayer = new StateReplayer({ registry: record.contracts.ConsortiumRegistry, governor: record.contracts.ConsortiumGovernor, batchRegistry: record.contracts.BatchRegistry });
    for await (const page of streamLogs(ethers.provider, { addresses: Object.values(record.contracts), fromBlock: 0 })) {
      replayer.applyAll(page.logs);
      // Every observation applied twice: numbered out of order.
      replayer.applyAll(page.logs.filter((l) => c.quality.interface.parseLog(l)?.name === "Observed"));
    }
    const problems = replayer.state.anomalies.map((a) => a.problem);
    expect(problems.some((p) => /observation \d+ of 0x[0-9a-f]+ out of order/.test(p))).to.equal(true);
    expect(replayer.state.anomalyCount).to.equal(BigInt(replayer.state.anomalies.length));
  });

  it("reports ids that are not their numbering's, units outside the batch and impossible credits as anomalies", async function () {
    const c = await loadFixture(auditedChain);
    const record = await recordOf(c);
    const logs = await allLogs(record);
    const replayer = replayerOf(record, logs);
    expect(replayer.state.anomalies).to.deep.equal([]);
    const id = c.batchId.toLowerCase();
    const stranger = ethers.id("no such batch");
    const { unitCount } = replayer.state.batches.get(id)!;
    // Each log applied after the whole history, as if it had come next.
    for (const log of [
      nth(logs, "BatchCreated", 0, { batchId: stranger }),
      nth(logs, "ShipmentClosed", 0, { creditedParty: 9n }), // received by the wholesaler, closed again
      nth(logs, "Shipped", 0, { quantity: 0n }), // the maker's shipment 0 again: its next is 3
      nth(logs, "SuspectCaseOpened", 0, { caseId: caseIdOf(c.batchId, 9n), unit: unitCount, quantity: 0n }),
      nth(logs, "SuspectCaseOpened", 0, { caseId: caseIdOf(c.batchId, 5n), unit: WHOLE_BATCH, quantity: 0n }), // case 5: no anomaly
      nth(logs, "RecallOpened", 1), // a second recall of the destroyed second lot, under its first one's id
      nth(logs, "DestructionProposed"), // a second destruction, under the first one's id, of stock no longer quarantined
      nth(logs, "DestructionWitnessed", 0, { batchId: stranger }),
      nth(logs, "StockReturned", 0, { batchId: stranger }),
      nth(logs, "RuleFired", 0, { seq: 99n }),
    ]) {
      replayer.apply(log);
    }
    const iface = medstateInterface();
    const shipment = nth(logs, "Shipped").topics[1];
    const recall = nth(logs, "RecallOpened").topics[1];
    const recall2 = nth(logs, "RecallOpened", 1).topics[1];
    const id2 = c.batch2.toLowerCase();
    const destruction = nth(logs, "DestructionProposed").topics[1];
    const returned = iface.parseLog(nth(logs, "StockReturned"))!.args;
    const observations = replayer.state.subjects.get(id)!.observations;
    expect(replayer.state.anomalies.map((a) => a.problem)).to.deep.equal([
      `batch ${stranger} is not the id of product ${GTIN} lot ${LOT}`,
      `shipment ${shipment} closed twice`,
      `shipment ${shipment} closed (${ShipmentStatus.Received}) crediting 9, not ${WHOLESALER}`,
      // The 60 leave the maker's in-transit stock again, where only 5 are.
      `party ${MAKER} inTransit of ${id} would be -55`,
      `shipment ${shipment} is not shipment 3 of party ${MAKER}`,
      `suspect case ${caseIdOf(c.batchId, 9n).toLowerCase()} is not case 4 of ${id}`,
      `suspect case ${caseIdOf(c.batchId, 9n).toLowerCase()} on unit ${unitCount} of ${unitCount}`,
      `recall ${recall2} is not recall 2 of ${id2}`,
      `recall ${recall2} opened in state ${State.Destroyed}`,
      `destruction ${destruction} is not destruction 2 of ${id}`,
      `destruction ${destruction} of 30, quarantined 4`,
      `destruction ${destruction} witnessed on ${stranger}, proposed on ${id}`,
      `quarantine of ${stranger} below 0`,
      `return of ${stranger} with no open recall`,
      `party ${WHOLESALER} takes ${returned.quantity} of ${stranger} with 0 available`,
      `return by ${WHOLESALER}: outstanding ${returned.outstanding}, replayed -${returned.quantity}`,
      `return under recall ${recall}, not the latest`,
      `RuleFired on observation 99 of ${id}, replayed ${observations}`,
    ]);
    expect(replayer.state.anomalyCount).to.equal(BigInt(replayer.state.anomalies.length));
  });

  it("reports suspect cases moved against their deadline, batch or status as anomalies", async function () {
    const c = await loadFixture(auditedChain);
    const record = await recordOf(c);
    const logs = await allLogs(record);
    const replayer = replayerOf(record, logs);
    const id = c.batchId.toLowerCase();
    const stranger = ethers.id("no such batch");
    const [second, open] = [caseIdOf(c.batchId, 2n), caseIdOf(c.batchId, 3n)].map((x) => x.toLowerCase());
    // The history's changes: investigate 1, investigate 2, clear 1, find 2 illegitimate, close 2.
    for (const log of [
      nth(logs, "SuspectCaseStatusChanged", 0, { caseId: open, notifyBy: 5n }), // investigating, with a deadline never set
      nth(logs, "SuspectCaseStatusChanged", 3, { caseId: open, notifyBy: 0n }), // illegitimate, with no deadline
      nth(logs, "SuspectNotified"), // case 2 notified again, after its closing
      nth(logs, "SuspectCaseStatusChanged", 4, { caseId: open, batchId: stranger, notifyBy: 0n }), // closed, named on another batch
      nth(logs, "SuspectCaseStatusChanged", 4, { caseId: open, notifyBy: 0n }), // closed again: its stock released twice
    ]) {
      replayer.apply(log);
    }
    expect(replayer.state.anomalies.map((a) => a.problem)).to.deep.equal([
      `case ${open} notifyBy 5, replayed 0`,
      `case ${open} found illegitimate without a notification deadline`,
      `case ${second} notified in status ${CaseStatus.Closed}`,
      `case ${second} notified twice`,
      `case ${open} moved on ${stranger}, opened on ${id}`,
      `case ${open} moved from ${CaseStatus.Closed} to ${CaseStatus.Closed}`,
      `suspended stock of ${id} below 0`,
      `party ${WHOLESALER} suspended of ${id} would be -2`,
    ]);
  });

  it("round-trips its state through canonical JSON, and resumes from a checkpoint to the same state", async function () {
    const c = await loadFixture(auditedChain);
    const record = await recordOf(c);
    const full = await replayChain({ provider: ethers.provider, record });
    const text = canonicalJson(full.state);
    const back = parseCanonical<ReplayState>(text);
    expect(canonicalJson(back)).to.equal(text);
    // Sets survive too (who voted on a proposal): a resumed replay goes on counting votes.
    expect(back.governance.proposals.get(1n)!.voters).to.deep.equal(new Set([MAKER, WHOLESALER, REGULATOR]));
    const withoutVoter = parseCanonical<ReplayState>(text);
    withoutVoter.governance.proposals.get(1n)!.voters.delete(MAKER);
    expect(canonicalJson(withoutVoter)).to.not.equal(text);

    const dir = await mkdtemp(path.join(tmpdir(), "medstate-replay-"));
    try {
      const file = path.join(dir, "checkpoint.json");
      const half = Math.floor(full.toBlock / 2);
      const first = await replayChain({ provider: ethers.provider, record, toBlock: half, checkpointFile: file, compare: false });
      expect(first.resumedFrom).to.equal(undefined);
      const rest = await replayChain({ provider: ethers.provider, record, toBlock: full.toBlock, checkpointFile: file });
      expect(rest.resumedFrom).to.equal(half + 1);
      expect(rest.mismatches).to.deep.equal([]);
      expect(rest.digest).to.equal(full.digest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("replays from the start, not from a checkpoint whose state has another shape (an older replay's)", async function () {
    const c = await loadFixture(auditedChain);
    const record = await recordOf(c);
    const full = await replayChain({ provider: ethers.provider, record, compare: false });
    const dir = await mkdtemp(path.join(tmpdir(), "medstate-replay-"));
    try {
      const file = path.join(dir, "checkpoint.json");
      const half = Math.floor(full.toBlock / 2);
      await replayChain({ provider: ethers.provider, record, toBlock: half, checkpointFile: file, compare: false });
      const saved = JSON.parse(await readFile(file, "utf8")) as { state: { version: number } };
      expect(saved.state.version).to.equal(REPLAY_STATE_VERSION);
      saved.state.version = 1;
      await writeFile(file, JSON.stringify(saved));
      const rest = await replayChain({ provider: ethers.provider, record, toBlock: full.toBlock, checkpointFile: file, compare: false });
      expect(rest.resumedFrom).to.equal(undefined);
      expect(rest.fromBlock).to.equal(0);
      expect(rest.digest).to.equal(full.digest);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
