import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Log } from "ethers";

import { medstateInterface, parseMedstateLog } from "../../sdk/contracts.js";
import type { DeploymentRecord } from "../../sdk/deployment.js";
import { PHARMACEUTICAL_GRAPH, graphFrom } from "../../sdk/quality.js";
import { canonicalJson, parseCanonical, stateDigest } from "../../sdk/replay/codec.js";
import { replayChain } from "../../sdk/replay/chain.js";
import { compareState } from "../../sdk/replay/compare.js";
import { streamLogs } from "../../sdk/replay/logs.js";
import { CaseStatus, ShipmentStatus } from "../../sdk/enums.js";
import { type ReplayState, StateReplayer, WHOLE_BATCH } from "../../sdk/replay/state.js";
import { MAKER, PHARMACY, REGULATOR, WHOLESALER, ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  type BatchQualityCtx,
  DAY,
  GTIN,
  LOT,
  Point,
  Result,
  State,
  caseIdOf,
  destructionIdOf,
  distributedBatch,
  observation,
  reading,
  signReading,
  suspectsAt,
} from "../helpers/quality.js";

const { loadFixture, time } = networkHelpers;

/** The deployment record a fixture would have written. */
async function recordOf(c: BatchQualityCtx): Promise<DeploymentRecord> {
  const names = { ConsortiumRegistry: c.registry, ConsortiumGovernor: c.governor, BatchRegistry: c.batchRegistry };
  const contracts = Object.fromEntries(
    await Promise.all(Object.entries(names).map(async ([n, contract]) => [n, await contract.getAddress()])),
  ) as DeploymentRecord["contracts"];
  const { chainId } = await ethers.provider.getNetwork();
  return { chainId: chainId.toString(), network: "default", block: "0", deployedAt: "", contracts, implementations: contracts };
}

/**
 * Every kind of history: governance, custody, device-signed series, a rule's stop, a
 * recall with returns and a witnessed destruction, suspect cases in every status, a
 * dispense and a clone.
 */
async function auditedChain(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const { batchRegistry: br, batchId, quality, collaboration } = c;
  const suspects = await suspectsAt(c);
  // Governance: a Call proposal (recall periods) passed by three of four voters.
  const data = collaboration.interface.encodeFunctionData("setRecallPeriods", [[2n * DAY, 4n * DAY, 8n * DAY]]);
  await c.governor.connect(c.maker).proposeCall(c.engineAddress, data);
  for (const voter of [c.maker, c.wholesaler, c.regulator]) await c.governor.connect(voter).vote(1n);
  // A dispense, and its clone.
  const unit = c.tree.unit(batchId, 0n);
  await br.connect(c.pharmacy).dispense(unit);
  await br.connect(c.hospital).dispense(unit);
  // Device-signed readings through a gateway, then a direct observation with evidence.
  const deadline = BigInt(await time.latest()) + DAY;
  const signed = [];
  for (let i = 0n; i < 3n; i++) {
    signed.push(await signReading(c.wholesalerDevice, c.engineAddress, batchId, reading(Point.Storage, 500n), i, deadline));
  }
  await quality.connect(c.stranger).observeSignedReadings(batchId, c.wholesalerDevice.address, signed);
  await quality.connect(c.wholesalerQa).observe({ ...observation(batchId, Point.Inspection, Result.Normal), evidenceHash: ethers.id("report"), evidenceUri: "ipfs://report" });
  // Suspect cases: one cleared, one illegitimate, notified and closed, one still open.
  for (const [quantity, reason] of [[5n, "seal"], [3n, "price"], [2n, "label"]] as const) {
    await suspects.connect(c.wholesaler).reportSuspect(batchId, await suspects.WHOLE_BATCH(), quantity, ethers.id(reason), reason);
  }
  for (const no of [1n, 2n]) await suspects.connect(c.maker).investigateSuspect(caseIdOf(batchId, no));
  await suspects.connect(c.maker).concludeSuspect(caseIdOf(batchId, 1n), false, ethers.ZeroHash);
  await suspects.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 2n), true, ethers.id("lab"));
  await suspects.connect(c.wholesaler).notifyIllegitimate(caseIdOf(batchId, 2n), ethers.id("notice"));
  await suspects.connect(c.regulator).closeSuspect(caseIdOf(batchId, 2n));
  // An excursion stops the batch by rule; a recall; returns; a witnessed destruction.
  await quality.connect(c.wholesalerDevice).observe(observation(batchId, Point.Storage, Result.Normal, { temperature: 950n }));
  await collaboration.connect(c.regulator).openRecall(batchId, 1, "excursion");
  await collaboration.connect(c.wholesaler).returnStock(batchId, 10n);
  await collaboration.connect(c.maker).returnStock(batchId, 30n);
  await collaboration.connect(c.maker).proposeDestruction(batchId, 40n);
  await collaboration.connect(c.notary).witnessDestruction(batchId, destructionIdOf(batchId, 1n));
  return c;
}

/** Every log of the record's contracts, in chain order. */
async function allLogs(record: DeploymentRecord): Promise<Log[]> {
  const logs: Log[] = [];
  for await (const page of streamLogs(ethers.provider, { addresses: Object.values(record.contracts), fromBlock: 0 })) logs.push(...page.logs);
  return logs;
}

/** A replayer over the record's contracts that has applied `logs`. */
function replayerOf(record: DeploymentRecord, logs: readonly Log[]): StateReplayer {
  const replayer = new StateReplayer({
    registry: record.contracts.ConsortiumRegistry,
    governor: record.contracts.ConsortiumGovernor,
    batchRegistry: record.contracts.BatchRegistry,
  });
  replayer.applyAll(logs);
  return replayer;
}

/** The `n`th log (from 0) of event `name`, with its arguments changed by `changes` (re-encoded). */
function nth(logs: readonly Log[], name: string, n = 0, changes: Record<string, unknown> = {}): Log {
  const iface = medstateInterface();
  const matching = logs.filter((log) => iface.parseLog(log)?.name === name);
  const log = matching[n];
  if (log === undefined) throw new Error(`no ${name} log #${n}`);
  const parsed = iface.parseLog(log)!;
  const values = parsed.fragment.inputs.map((input, i) => (input.name in changes ? changes[input.name] : parsed.args[i]));
  const { data, topics } = iface.encodeEventLog(parsed.fragment, values);
  return new Log({ ...log, data, topics }, ethers.provider);
}

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
    const batch = state.batches.get(c.batchId.toLowerCase())!;
    expect(state.subjects.get(c.batchId.toLowerCase())!.state).to.equal(State.Destroyed);
    // 40 received; 5 + 3 + 2 reported; the 5 cleared came back; 10 returned to the recall.
    expect(batch.held.get(WHOLESALER)).to.equal(25n);
    expect(batch.suspended).to.equal(2n);
    expect(batch.destroyed).to.equal(40n + 3n);
    expect(batch.dispensed.get(PHARMACY)).to.equal(1n);
    expect(batch.suspectReports).to.equal(1n);
    expect(state.nonces.get(c.wholesalerDevice.address.toLowerCase())).to.equal(3n);
    expect(state.governance.proposals.get(1n)!.executed).to.equal(true);
    expect(state.recallPeriods).to.deep.equal([2n * DAY, 4n * DAY, 8n * DAY]);
    expect([...state.cases.values()].map((x) => x.status)).to.deep.equal([3, 5, 1]);
    expect(state.identity.parties.size).to.equal(8);
    expect(result.toBlock).to.equal(await ethers.provider.getBlockNumber());
    expect(result.digest).to.equal(stateDigest(state));
  });

  it("detects a view that disagrees with the events (the check can fail)", async function () {
    const c = await loadFixture(auditedChain);
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    const { state } = result;
    // Tamper with the rebuilt state: as if the logs had said otherwise.
    const batch = state.batches.get(c.batchId.toLowerCase())!;
    batch.held.set(PHARMACY, batch.held.get(PHARMACY)! + 1n);
    state.cases.values().next().value!.status = 4;
    state.nonces.set(c.wholesalerDevice.address.toLowerCase(), 2n);
    state.subjects.get(c.batchId.toLowerCase())!.recallOpenedAt += 1n;
    const mismatches = await compareState(ethers.provider, state, { blockTag: result.toBlock });
    const seen = mismatches.map((m) => `${m.entity} | ${m.field} | ${m.replayed} | ${m.view}`);
    const id = c.batchId.toLowerCase();
    const held = batch.held.get(PHARMACY)!;
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
      nth(logs, "Shipped", 0, { quantity: 0n }), // the maker's shipment 0 again: its next is 2
      nth(logs, "SuspectCaseOpened", 0, { caseId: caseIdOf(c.batchId, 9n), unit: unitCount, quantity: 0n }),
      nth(logs, "SuspectCaseOpened", 0, { caseId: caseIdOf(c.batchId, 5n), unit: WHOLE_BATCH, quantity: 0n }), // case 5: no anomaly
      nth(logs, "RecallOpened"), // a second recall of the destroyed batch, under the first one's id
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
    const destruction = nth(logs, "DestructionProposed").topics[1];
    const returned = iface.parseLog(nth(logs, "StockReturned"))!.args;
    const observations = replayer.state.subjects.get(id)!.observations;
    expect(replayer.state.anomalies.map((a) => a.problem)).to.deep.equal([
      `batch ${stranger} is not the id of product ${GTIN} lot ${LOT}`,
      `shipment ${shipment} closed twice`,
      `shipment ${shipment} closed (${ShipmentStatus.Received}) crediting 9, not ${WHOLESALER}`,
      `shipment ${shipment} is not shipment 2 of party ${MAKER}`,
      `suspect case ${caseIdOf(c.batchId, 9n).toLowerCase()} is not case 4 of ${id}`,
      `suspect case ${caseIdOf(c.batchId, 9n).toLowerCase()} on unit ${unitCount} of ${unitCount}`,
      `recall ${recall} is not recall 2 of ${id}`,
      `recall ${recall} opened in state ${State.Destroyed}`,
      `destruction ${destruction} is not destruction 2 of ${id}`,
      `destruction ${destruction} of 40, quarantined 0`,
      `destruction ${destruction} witnessed on ${stranger}, proposed on ${id}`,
      `quarantine of ${stranger} below 0`,
      `return of ${stranger} with no open recall`,
      `party ${WHOLESALER} would hold -${returned.quantity}`,
      `${WHOLESALER} returned, outstanding ${returned.outstanding}`,
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
});
