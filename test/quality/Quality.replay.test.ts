import { expect } from "chai";
import type { Log } from "ethers";

import { medstateInterface } from "../../sdk/contracts.js";
import { CaseStatus } from "../../sdk/enums.js";
import { compareState } from "../../sdk/replay/compare.js";
import { streamLogs } from "../../sdk/replay/logs.js";
import { type CustodyRecord, type ReplayState, StateReplayer, WHOLE_BATCH } from "../../sdk/replay/state.js";
import {
  HOSPITAL,
  LOGISTICS,
  MAKER,
  PHARMACY,
  WHOLESALER,
  ethers,
  networkHelpers,
} from "../helpers/fixtures.js";
import {
  type BatchQualityCtx,
  DAY,
  DestructionStatus,
  GTIN,
  Point,
  Result,
  State,
  caseIdOf,
  destructionIdOf,
  distributedBatch,
  observation,
  productSubject,
  reading,
  signObservation,
  signReading,
  suspectsAt,
  vaccineRules,
} from "../helpers/quality.js";
import { ShipmentStatus, UnitStatus, batchIdOf, registerProduct, shipmentIdOf } from "../helpers/supply.js";

const { loadFixture, time } = networkHelpers;

// ==== THE SDK'S REPLAY, FED FROM THE LOGS ====

const key = (id: string): string => id.toLowerCase();

/** The three addresses whose logs the state is built from. */
async function contractsOf(c: BatchQualityCtx): Promise<{ registry: string; governor: string; batchRegistry: string }> {
  return { registry: await c.registry.getAddress(), governor: await c.governor.getAddress(), batchRegistry: c.engineAddress };
}

/** Every log of the registry, the governor and the BatchRegistry (with its engines), in chain order. */
async function medstateLogs(c: BatchQualityCtx): Promise<Log[]> {
  const { registry, governor, batchRegistry } = await contractsOf(c);
  const logs: Log[] = [];
  for await (const page of streamLogs(ethers.provider, { addresses: [registry, governor, batchRegistry], fromBlock: 0 })) {
    logs.push(...page.logs);
  }
  return logs;
}

/** The SDK's replay of `logs`. */
async function replay(c: BatchQualityCtx, logs: readonly Log[]): Promise<ReplayState> {
  const replayer = new StateReplayer(await contractsOf(c));
  replayer.applyAll(logs);
  return replayer.state;
}

/** The anomalies' problems, in log order. */
const problems = (state: ReplayState): string[] => state.anomalies.map((a) => a.problem);

/**
 * Σ held + Σ in transit + dispensed + destroyed + lost + quarantined + suspended, per batch,
 * from the replay alone (checking on the way that Σ in transit is what the open shipments
 * carry, and that the parties' dispensed and suspended add up to the batch's).
 */
function replayedLedger(state: ReplayState, batchId: string): bigint {
  const b = state.batches.get(key(batchId))!;
  const custodies = [...b.custody.values()];
  const sum = (field: keyof CustodyRecord) => custodies.reduce((x, custody) => x + custody[field], 0n);
  const openShipments = [...state.shipments.values()]
    .filter((sh) => sh.batchId === key(batchId) && sh.status === ShipmentStatus.InTransit)
    .reduce((x, sh) => x + sh.quantity, 0n);
  expect(sum("inTransit"), `in transit of ${batchId}`).to.equal(openShipments);
  expect(sum("dispensed"), `dispensed of ${batchId}`).to.equal(b.dispensed);
  expect(sum("suspended"), `suspended of ${batchId}`).to.equal(b.suspended);
  return sum("held") + sum("inTransit") + b.dispensed + b.destroyed + b.lost + b.quarantined + b.suspended;
}

// ==== THE SCENARIO ====

const GTIN2 = 4006381333931n;
const LOT2 = "VAX-2026-002";

/**
 * From the distributed vaccine batch (maker 30, wholesaler 40, pharmacy 20, hospital 10):
 * observations (with corrections and evidence, batched, device-signed one by one, in
 * series and in lists of several devices' runs), a second product stopped then
 * deregistered, a product-level stop and resume, dispenses, shipments closed every way,
 * suspect cases (one cleared, one illegitimate, notified and closed, one under
 * investigation, one quarantined on the second batch), a rule-fired stop, a recall at
 * level II, returns, a seizure, destructions (witnessed by a notary and the regulator, one
 * left proposed; the batch stays under recall, as some of it is still out), new rules set
 * by the governor.
 */
async function qualityHistory(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const { batchRegistry: br, quality, collaboration, batchId, tree } = c;
  const product = productSubject(GTIN);
  const deadline = async () => BigInt(await time.latest()) + 3600n;

  // The logistics party takes 5 into its custody (wholesaler #1): it may record the batch's transport.
  await br.connect(c.wholesaler).ship(batchId, LOGISTICS, 5n);
  await br.connect(c.logistics).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));

  // Observations on the batch and the product; a correction with evidence.
  await quality.connect(c.logistics).observe(observation(batchId, Point.Transport, Result.Normal, { temperature: 450n }));
  await quality.connect(c.wholesaler).observe(observation(batchId, Point.Storage, Result.Normal, { temperature: 520n, humidity: 5000n }));
  await quality.connect(c.wholesaler).observe(
    observation(batchId, Point.Storage, Result.Normal, {
      temperature: 530n,
      humidity: 5100n,
      corrects: 3n,
      evidenceHash: ethers.id("logger export"),
      evidenceUri: "ipfs://bafylogger",
    }),
  );
  await quality.connect(c.maker).observe(observation(product, Point.Process, Result.Normal, { evidenceHash: ethers.id("SOP-7") }));
  await quality.connect(c.laboratory).observe(observation(product, Point.Inspection, Result.Normal, { evidenceUri: "https://lab/report/1" }));
  await quality.connect(c.pharmacy).observeMany([
    observation(batchId, Point.Efficacy, Result.Normal),
    observation(batchId, Point.Adverse, Result.Deviation, { evidenceUri: "case 17" }),
    observation(batchId, Point.Adverse, Result.Normal, { corrects: 6n }),
  ]);
  // Device-signed readings through a gateway (the stranger), nonces 0 and 1.
  const s0 = await signObservation(c.logisticsDevice, c.engineAddress, observation(batchId, Point.Transport, Result.Normal, { temperature: 610n }), 0n, await deadline());
  const s1 = await signObservation(c.logisticsDevice, c.engineAddress, observation(batchId, Point.Transport, Result.Normal, { temperature: 640n, humidity: 9000n }), 1n, await deadline());
  await quality.connect(c.stranger).observeSigned([s0, s1]);
  // A wholesaler's logger series through the hospital's gateway (nonces 0–2); one list of three
  // runs (wholesaler 3–4, pharmacy 0, wholesaler 5); the holder's device on the product (0–1).
  const series = [reading(Point.Storage, 450n, 5000n), reading(Point.Storage, 470n, 5200n), reading(Point.Transport, 500n)];
  const seriesDeadline = await deadline();
  const signedSeries = await Promise.all(
    series.map((r, i) => signReading(c.wholesalerDevice, c.engineAddress, batchId, r, BigInt(i), seriesDeadline)),
  );
  await quality.connect(c.hospital).observeSignedReadings(batchId, c.wholesalerDevice.address, signedSeries);
  const stored = (temperature: bigint) => observation(batchId, Point.Storage, Result.Normal, { temperature, humidity: 5000n });
  await quality.connect(c.stranger).observeSigned([
    await signObservation(c.wholesalerDevice, c.engineAddress, stored(480n), 3n, await deadline()),
    await signObservation(c.wholesalerDevice, c.engineAddress, stored(490n), 4n, await deadline()),
    await signObservation(c.pharmacyDevice, c.engineAddress, stored(410n), 0n, await deadline()),
    await signObservation(c.wholesalerDevice, c.engineAddress, stored(500n), 5n, await deadline()),
  ]);
  await quality.connect(c.stranger).observeSignedReadings(product, c.makerDevice.address, [
    await signReading(c.makerDevice, c.engineAddress, product, reading(Point.Process), 0n, await deadline()),
    await signReading(c.makerDevice, c.engineAddress, product, reading(Point.Inspection), 1n, await deadline()),
  ]);

  // A second product: rules by its holder (with an adverse-count rule), stopped and deregistered.
  await registerProduct(br, c.maker, c.regulator, GTIN2, "Old vaccine", "S19990001", 0n);
  await quality.connect(c.maker).setRules(GTIN2, vaccineRules({ stopOnCritical: 0n, adverseCount: 2n, adverseWindow: 7n * DAY }));
  await collaboration.connect(c.maker).transition(productSubject(GTIN2), State.EmergencyStop, "withdrawn");
  await collaboration.connect(c.regulator).transition(productSubject(GTIN2), State.Deregistered, "licence lapsed");

  // A second batch of the first product, left in production.
  const now = BigInt(await time.latest());
  await br.connect(c.maker).createBatch({
    gtin: GTIN,
    lot: LOT2,
    manufacturedAt: now - DAY,
    expiresAt: now + 200n * DAY,
    quantity: 7n,
    unitsRoot: ethers.ZeroHash,
    unitCount: 0n,
  });
  const suspects = await suspectsAt(c);
  await suspects.connect(c.maker).reportSuspect(batchIdOf(GTIN, LOT2), WHOLE_BATCH, 0n, ethers.id("label proof"), "label misprint"); // left quarantined

  // Product-level stop by the holder, resume by the regulator.
  await collaboration.connect(c.maker).transition(product, State.EmergencyStop, "supplier audit");
  await collaboration.connect(c.regulator).transition(product, State.Marketed, "audit passed");

  // Trade: dispenses (one undone), shipments received, cancelled, rejected, one left open.
  await br.connect(c.pharmacy).dispense(tree.unit(batchId, 0n));
  await br.connect(c.pharmacy).dispense(tree.unit(batchId, 1n));
  await br.connect(c.pharmacy).undoDispense(tree.unit(batchId, 1n));
  await br.connect(c.hospital).dispense(tree.unit(batchId, 2n));
  await br.connect(c.hospital).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen);
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 4n); // #2, cancelled
  await br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 2n));
  await br.connect(c.maker).ship(batchId, HOSPITAL, 3n); // maker #2, rejected
  await br.connect(c.hospital).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 2n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 6n); // #3, open when the batch stops
  await br.connect(c.maker).ship(batchId, WHOLESALER, 2n); // maker #3, open when the batch stops

  // Suspect cases: a damaged seal at the wholesaler (4 boxes, cleared by the regulator); a clone of
  // unit 5 at the pharmacy (2 boxes, illegitimate, notified, closed by the regulator: destroyed);
  // an offer too cheap at the hospital (1 box, under investigation).
  await suspects.connect(c.wholesaler).reportSuspect(batchId, WHOLE_BATCH, 4n, ethers.id("seal photo"), "seal damaged");
  await suspects.connect(c.wholesaler).investigateSuspect(caseIdOf(batchId, 1n));
  await suspects.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 1n), false, ethers.id("seal intact under UV"));
  await suspects.connect(c.pharmacy).reportSuspect(batchId, 5n, 2n, ethers.id("scan log"), "unit 5 scanned twice");
  await suspects.connect(c.regulator).investigateSuspect(caseIdOf(batchId, 2n));
  await suspects.connect(c.maker).concludeSuspect(caseIdOf(batchId, 2n), true, ethers.id("lab: counterfeit"));
  await time.increase(3600n);
  await suspects.connect(c.pharmacy).notifyIllegitimate(caseIdOf(batchId, 2n), ethers.id("notice to regulator and partners"));
  await suspects.connect(c.regulator).closeSuspect(caseIdOf(batchId, 2n));
  await suspects.connect(c.hospital).reportSuspect(batchId, WHOLE_BATCH, 1n, ethers.ZeroHash, "offered below cost");
  await suspects.connect(c.maker).investigateSuspect(caseIdOf(batchId, 3n));

  // A logistics device reads 9.5 °C in storage: the rule stops the batch.
  const hot = await signObservation(c.logisticsDevice, c.engineAddress, observation(batchId, Point.Storage, Result.Normal, { temperature: 950n }), 2n, await deadline());
  await quality.connect(c.stranger).observeSigned([hot]);
  expect((await collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.EmergencyStop));
  // Open shipments can still come back: one cancelled, one rejected.
  await br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 3n));
  await br.connect(c.wholesaler).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 3n));

  // The holder opens a level II recall; holders return; destructions under two witnesses.
  await collaboration.connect(c.maker).openRecall(batchId, 2, "potency loss");
  await collaboration.connect(c.wholesaler).returnStock(batchId, 20n);
  await collaboration.connect(c.pharmacy).returnStock(batchId, 10n);
  await collaboration.connect(c.maker).returnStock(batchId, 30n);
  await collaboration.connect(c.maker).proposeDestruction(batchId, 40n);
  await collaboration.connect(c.notary).witnessDestruction(batchId, destructionIdOf(batchId, 1n));
  await collaboration.connect(c.maker).proposeDestruction(batchId, 15n); // left proposed
  await collaboration.connect(c.logistics).returnStock(batchId, 5n);
  await collaboration.connect(c.maker).proposeDestruction(batchId, 5n);
  await collaboration.connect(c.regulator).witnessDestruction(batchId, destructionIdOf(batchId, 3n));
  // The hospital has returned nothing: the regulator seizes 3 of its 7 into quarantine.
  await collaboration.connect(c.regulator).seizeStock(batchId, HOSPITAL, 3n);
  // Observations go on under recall.
  await quality.connect(c.regulator).observe(observation(batchId, Point.Inspection, Result.Critical, { evidenceUri: "recall sample" }));

  // The governor sets new rules for the first product (the holder's are locked).
  await quality.connect(c.gov).setRules(GTIN, vaccineRules({ storageRange: { minTemperature: 250n, maxTemperature: 750n, maxHumidity: 60n }, stopOnCritical: 1n << BigInt(Point.Storage) }));
  await time.increase(4n * DAY); // past the level II deadline: what is still held is overdue
  return c;
}

/** `logs` without the first one that decodes to `name` and satisfies `pick`. */
function without(logs: readonly Log[], name: string, pick: (args: Record<string, unknown>) => boolean = () => true): Log[] {
  const iface = medstateInterface();
  const at = logs.findIndex((log) => {
    const parsed = iface.parseLog(log);
    return parsed !== null && parsed.name === name && pick(parsed.args.toObject());
  });
  if (at < 0) throw new Error(`no ${name} log to leave out`);
  return [...logs.slice(0, at), ...logs.slice(at + 1)];
}

describe("Quality replay", function () {
  it("rebuilds subjects, custody, recalls, destructions, suspect cases, device nonces and rules from the logs alone", async function () {
    const c = await loadFixture(qualityHistory);
    const state = await replay(c, await medstateLogs(c));
    expect(problems(state)).to.deep.equal([]);

    // The scenario reached what the replay is meant to rebuild.
    for (const name of [
      "Observed",
      "ObservationAnnotated",
      "SignedObservationsRelayed",
      "RuleFired",
      "StateChanged",
      "RecallOpened",
      "StockReturned",
      "StockSeized",
      "DestructionProposed",
      "DestructionWitnessed",
      "SuspectCaseOpened",
      "SuspectCaseStatusChanged",
      "SuspectNotified",
      "RulesSet",
      "Shipped",
      "ShipmentClosed",
      "UnitStatusChanged",
    ]) {
      expect(state.counts.get(name) ?? 0n, name).to.be.greaterThan(0n);
    }
    const batch = state.subjects.get(key(c.batchId))!;
    // Held, in a case and in quarantine, some of the batch is still out: it stays under recall.
    expect([batch.state, batch.reached, batch.recalls, batch.recallLevel, batch.destructions]).to.deep.equal([
      State.Recall,
      0b0111,
      1n,
      2n,
      3n,
    ]);
    expect(batch.corrections).to.equal(2n); // 4 corrects 3, 7 corrects 6
    expect(state.counts.get("RuleFired")).to.equal(2n); // 9.5 °C in storage; the regulator's critical inspection (no state change)
    // Device-signed: 2 + 3 + 4 + the 9.5 °C reading on the batch, 2 on the product.
    expect([batch.signedObservations, state.subjects.get(key(productSubject(GTIN)))!.signedObservations]).to.deep.equal([10n, 2n]);
    expect(state.subjects.get(key(productSubject(GTIN2)))!.state).to.equal(State.Deregistered);
    expect(state.subjects.get(key(productSubject(GTIN)))!.reached).to.equal(0b11);
    const nonces = (...signers: { address: string }[]) => signers.map((d) => state.nonces.get(key(d.address)));
    expect(nonces(c.logisticsDevice, c.wholesalerDevice, c.pharmacyDevice, c.makerDevice, c.regulatorDevice)).to.deep.equal([
      3n,
      6n,
      1n,
      2n,
      undefined,
    ]);
    // Runs relayed: logistics 2, wholesaler 3, pharmacy 1, maker 1.
    expect(state.counts.get("SignedObservationsRelayed")).to.equal(7n);
    const cases = (batchId: string, n: bigint) =>
      Array.from({ length: Number(n) }, (_, i) => state.cases.get(key(caseIdOf(batchId, BigInt(i + 1))))!.status);
    expect(cases(c.batchId, 3n)).to.deep.equal([CaseStatus.Cleared, CaseStatus.Closed, CaseStatus.Investigating]);
    expect(cases(batchIdOf(GTIN, LOT2), 1n)).to.deep.equal([CaseStatus.Quarantined]);
    const b = state.batches.get(key(c.batchId))!;
    expect([b.cases, b.suspended, b.custody.get(HOSPITAL)?.held, b.custody.get(HOSPITAL)?.suspended, b.quarantined]).to.deep.equal([
      3n,
      1n,
      4n,
      1n,
      23n,
    ]);
    for (const id of state.batches.keys()) expect(replayedLedger(state, id), `ledger of ${id}`).to.equal(state.batches.get(id)!.quantity);

    const blockTag = await ethers.provider.getBlockNumber();
    expect(await compareState(ethers.provider, state, { blockTag })).to.deep.equal([]);
    expect(await compareState(ethers.provider, state, { blockTag, exhaustive: true })).to.deep.equal([]);
  });

  it("reports every field where the replay and the views differ", async function () {
    const c = await loadFixture(qualityHistory);
    const state = await replay(c, await medstateLogs(c));
    const blockTag = await ethers.provider.getBlockNumber();
    const batch = state.batches.get(key(c.batchId))!;
    batch.custody.get(HOSPITAL)!.held += 1n;
    batch.suspended += 1n;
    state.subjects.get(key(c.batchId))!.recallLevel = 1n;
    state.destructions.get(key(destructionIdOf(c.batchId, 2n)))!.status = DestructionStatus.Witnessed;
    const notified = state.cases.get(key(caseIdOf(c.batchId, 2n)))!;
    notified.notifiedAt += 1n;
    state.cases.get(key(caseIdOf(c.batchId, 3n)))!.status = CaseStatus.Cleared;
    // The cleared case as if found illegitimate a second ago and never notified: overdue.
    const cleared = state.cases.get(key(caseIdOf(c.batchId, 1n)))!;
    cleared.status = CaseStatus.Illegitimate;
    cleared.notifyBy = BigInt(await time.latest()) - 1n;
    state.nonces.set(key(c.logisticsDevice.address), state.nonces.get(key(c.logisticsDevice.address))! + 1n);
    state.products.get(GTIN)!.rules!.stopOnCritical = 0n;
    // With every party compared: the wholesaler's custody as if no log had named it.
    const wholesalerHeld = batch.custody.get(WHOLESALER)!.held;
    const wholesalerShipments = batch.custody.get(WHOLESALER)!.shipments;
    batch.custody.delete(WHOLESALER);

    const held = await c.batchRegistry.holding(c.batchId, HOSPITAL);
    const subjectOf = `batch ${key(c.batchId)}`;
    const quantity = (await c.batchRegistry.getBatch(c.batchId)).quantity;
    expect(await compareState(ethers.provider, state, { blockTag, exhaustive: true })).to.deep.equal(
      [
        // +1 held by the hospital, +1 suspended, the wholesaler's stock left out.
        { entity: subjectOf, field: "conservation (replayed sum vs quantity)", replayed: String(quantity + 2n - wholesalerHeld), view: String(quantity) },
        { entity: subjectOf, field: "recallLevel", replayed: "1", view: "2" },
        { entity: subjectOf, field: "suspended", replayed: "2", view: "1" },
        { entity: `${subjectOf} party ${HOSPITAL}`, field: "held", replayed: String(held + 1n), view: String(held) },
        { entity: `${subjectOf} party ${HOSPITAL}`, field: "holding", replayed: String(held + 1n), view: String(held) },
        // Held + in its open case (1).
        { entity: `${subjectOf} party ${HOSPITAL}`, field: "outstanding", replayed: String(held + 2n), view: String(held + 1n) },
        { entity: `${subjectOf} party ${WHOLESALER}`, field: "held", replayed: "0", view: String(wholesalerHeld) },
        { entity: `${subjectOf} party ${WHOLESALER}`, field: "holding", replayed: "0", view: String(wholesalerHeld) },
        { entity: `${subjectOf} party ${WHOLESALER}`, field: "outstanding", replayed: "0", view: String(wholesalerHeld) },
        { entity: `${subjectOf} party ${WHOLESALER}`, field: "overdue", replayed: "false", view: "true" },
        { entity: `${subjectOf} party ${WHOLESALER}`, field: "shipments", replayed: "0", view: String(wholesalerShipments) },
        {
          entity: `case ${key(caseIdOf(c.batchId, 1n))}`,
          field: "notificationOverdue",
          replayed: "true",
          view: "false",
        },
        { entity: `case ${key(caseIdOf(c.batchId, 1n))}`, field: "notifyBy", replayed: String(cleared.notifyBy), view: "0" },
        {
          entity: `case ${key(caseIdOf(c.batchId, 1n))}`,
          field: "status",
          replayed: String(CaseStatus.Illegitimate),
          view: String(CaseStatus.Cleared),
        },
        {
          entity: `case ${key(caseIdOf(c.batchId, 2n))}`,
          field: "notifiedAt",
          replayed: String(notified.notifiedAt),
          view: String(notified.notifiedAt - 1n),
        },
        {
          entity: `case ${key(caseIdOf(c.batchId, 3n))}`,
          field: "status",
          replayed: String(CaseStatus.Cleared),
          view: String(CaseStatus.Investigating),
        },
        {
          entity: `destruction ${key(destructionIdOf(c.batchId, 2n))}`,
          field: "status",
          replayed: String(DestructionStatus.Witnessed),
          view: String(DestructionStatus.Proposed),
        },
        { entity: `device ${key(c.logisticsDevice.address)}`, field: "nonce", replayed: "4", view: "3" },
        { entity: `product ${GTIN}`, field: "stopOnCritical", replayed: "0", view: String(1 << Point.Storage) },
      ].sort((x, y) => (x.entity < y.entity ? -1 : x.entity > y.entity ? 1 : x.field < y.field ? -1 : 1)),
    );
  });

  it("reports logs with an event left out as anomalies", async function () {
    const c = await loadFixture(qualityHistory);
    const logs = await medstateLogs(c);
    const device = c.logisticsDevice.address;

    // A relayed run missing: the device's next run starts at a nonce the replay has not reached.
    expect(problems(await replay(c, without(logs, "SignedObservationsRelayed", (a) => a.device === device)))).to.deep.equal([
      `device ${device} relayed from nonce 2, replayed 0`,
    ]);
    // A case's clearance missing: the replay keeps the 4 boxes in the wholesaler's case. Its
    // return's outstanding counts a case's stock as held stock, so the logs alone do not
    // show it; the comparison with the views does.
    const iface = medstateInterface();
    const noClearance = await replay(c, without(logs, "SuspectCaseStatusChanged", (a) => a.status === BigInt(CaseStatus.Cleared)));
    expect(problems(noClearance)).to.deep.equal([]);
    const blockTag = await ethers.provider.getBlockNumber();
    const batchOf = `batch ${key(c.batchId)}`;
    const wholesalerHeld = await c.batchRegistry.holding(c.batchId, WHOLESALER);
    expect(await compareState(ethers.provider, noClearance, { blockTag })).to.deep.equal(
      [
        { entity: batchOf, field: "suspended", replayed: "5", view: "1" },
        { entity: batchOf, field: "Σ suspended by party (replayed) vs suspended", replayed: "5", view: "1" },
        { entity: `${batchOf} party ${WHOLESALER}`, field: "held", replayed: String(wholesalerHeld - 4n), view: String(wholesalerHeld) },
        { entity: `${batchOf} party ${WHOLESALER}`, field: "suspended", replayed: "4", view: "0" },
        { entity: `${batchOf} party ${WHOLESALER}`, field: "holding", replayed: String(wholesalerHeld - 4n), view: String(wholesalerHeld) },
        {
          entity: `case ${key(caseIdOf(c.batchId, 1n))}`,
          field: "status",
          replayed: String(CaseStatus.Investigating),
          view: String(CaseStatus.Cleared),
        },
      ].sort((x, y) => (x.entity < y.entity ? -1 : x.entity > y.entity ? 1 : x.field < y.field ? -1 : 1)),
    );
    // One of a relayed run's observations missing: the batch's numbering skips one, and the run is one short.
    const wholesalerDevice = c.wholesalerDevice.address;
    const left = logs.map((log) => iface.parseLog(log)).find((p) => p?.name === "Observed" && p.args.observer === wholesalerDevice && p.args.temperature === 490n)!;
    const seq = left.args.seq as bigint;
    const skipped = without(logs, "Observed", (a) => a.observer === wholesalerDevice && a.temperature === 490n);
    expect(problems(await replay(c, skipped))).to.deep.equal([
      `device ${wholesalerDevice} relayed 2 observations, 1 by it precede in the transaction`,
      `observation ${seq + 1n} of ${key(c.batchId)} out of order (expected ${seq})`,
    ]);
  });

  it("reports an event it does not know, or one emitted at an address that does not emit it", async function () {
    const c = await loadFixture(qualityHistory);
    const logs = await medstateLogs(c);
    const contracts = await contractsOf(c);
    const iface = medstateInterface();
    const first = logs.find((l) => iface.parseLog(l)?.name === "BatchCreated")!;
    const unknown = ethers.id("Diverted(bytes32)");
    const replayer = new StateReplayer(contracts);
    replayer.applyAll(logs);
    // A log with a topic none of the contracts declares, at the BatchRegistry.
    replayer.apply(new ethers.Log({ ...first, topics: [unknown, ...first.topics.slice(1)] }, ethers.provider));
    // A BatchCreated at the governor's address.
    replayer.apply(new ethers.Log({ ...first, address: contracts.governor }, ethers.provider));
    expect(problems(replayer.state)).to.deep.equal([
      `log with topic ${unknown} not known to this replay`,
      "event BatchCreated not known to this replay at the governor",
    ]);
    expect(replayer.state.anomalies[0].event).to.equal(unknown);
  });
});
