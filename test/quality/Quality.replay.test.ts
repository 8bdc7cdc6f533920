import { expect } from "chai";
import type { Log } from "ethers";

import { medstateInterface } from "../../sdk/contracts.js";
import { fetchLogs } from "../../sdk/replay/identity.js";
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
  NO_MAX,
  NO_MAX_HUMIDITY,
  NO_MIN,
  Point,
  Result,
  State,
  destructionIdOf,
  distributedBatch,
  observation,
  productSubject,
  recallIdOf,
  signObservation,
  vaccineRules,
} from "../helpers/quality.js";
import { ShipmentStatus, UnitStatus, shipmentIdOf } from "../helpers/supply.js";

const { loadFixture, time } = networkHelpers;

// ==== REPLAY (to move to sdk/replay/quality.ts) ====

/** The pharmaceutical graph's recall and disposal states (no StateGraphConfigured in these logs). */
const DEFAULT_RECALL_STATE = 2;
const DEFAULT_DISPOSAL_STATE = 3;
const DEFAULT_RECALL_PERIODS = [1n * DAY, 3n * DAY, 7n * DAY];

interface ReplayedSubject {
  isProduct: boolean;
  /** The product's GTIN (for a batch, its product's). */
  gtin: bigint;
  state: number;
  /** Bit 0 always set: every subject starts in state 0. */
  reached: number;
  observations: bigint;
  lastSeq: bigint;
  /** seq → the seq it corrects (only annotated observations with a correction). */
  corrections: Map<bigint, bigint>;
  /** seq → evidence hash (only annotated observations with evidence). */
  evidence: Map<bigint, { hash: string; uri: string }>;
  rulesFired: bigint[];
  recalls: bigint;
  recallId: string;
  recallLevel: bigint;
  recallOpenedAt: bigint;
  recallDeadline: bigint;
  destructions: bigint;
}

interface ReplayedBatch {
  gtin: bigint;
  manufacturer: bigint;
  quantity: bigint;
  released: boolean;
  destroyed: bigint;
  lost: bigint;
  quarantined: bigint;
  held: Map<bigint, bigint>;
  dispensed: Map<bigint, bigint>;
}

interface ReplayedShipment {
  batchId: string;
  from: bigint;
  to: bigint;
  quantity: bigint;
  status: number;
}

interface ReplayedDestruction {
  batchId: string;
  quantity: bigint;
  proposer: bigint;
  no: bigint;
  status: number;
}

interface ReplayedRules {
  storage: [bigint, bigint, bigint];
  transport: [bigint, bigint, bigint];
  stopOnCritical: bigint;
  adverseCount: bigint;
  adverseWindow: bigint;
  ruleContract: string;
  ruleGas: bigint;
}

interface QualityState {
  subjects: Map<string, ReplayedSubject>;
  batches: Map<string, ReplayedBatch>;
  shipments: Map<string, ReplayedShipment>;
  destructions: Map<string, ReplayedDestruction>;
  rules: Map<bigint, ReplayedRules>;
  recallPeriods: bigint[];
  /** Every party a log names (holders, receivers, returners), to compare per-party views over. */
  parties: Set<bigint>;
  /** Events applied, by name. */
  counts: Map<string, number>;
}

const key = (id: string): string => id.toLowerCase();

/** Applies the BatchRegistry address's events (its own and its engines'), in log order, to an empty state. */
function replayQuality(logs: readonly Log[]): QualityState {
  const iface = medstateInterface();
  const s: QualityState = {
    subjects: new Map(),
    batches: new Map(),
    shipments: new Map(),
    destructions: new Map(),
    rules: new Map(),
    recallPeriods: [...DEFAULT_RECALL_PERIODS],
    parties: new Set([0n]),
    counts: new Map(),
  };
  const fail = (what: string): never => {
    throw new Error(`replay: ${what}`);
  };
  const subject = (id: string): ReplayedSubject => s.subjects.get(key(id)) ?? fail(`event for unknown subject ${id}`);
  const batch = (id: string): ReplayedBatch => s.batches.get(key(id)) ?? fail(`event for unknown batch ${id}`);
  const add = (m: Map<bigint, bigint>, party: bigint, by: bigint): void => {
    const next = (m.get(party) ?? 0n) + by;
    if (next < 0n) fail(`party ${party} would hold ${next}`);
    m.set(party, next);
    s.parties.add(party);
  };
  const newSubject = (isProduct: boolean, gtin: bigint): ReplayedSubject => ({
    isProduct,
    gtin,
    state: 0,
    reached: 1,
    observations: 0n,
    lastSeq: 0n,
    corrections: new Map(),
    evidence: new Map(),
    rulesFired: [],
    recalls: 0n,
    recallId: ethers.ZeroHash,
    recallLevel: 0n,
    recallOpenedAt: 0n,
    recallDeadline: 0n,
    destructions: 0n,
  });

  for (const log of logs) {
    const parsed = iface.parseLog(log);
    if (parsed === null) continue; // proxy events (Upgraded, Initialized) carry no quality state
    const a = parsed.args;
    s.counts.set(parsed.name, (s.counts.get(parsed.name) ?? 0) + 1);
    switch (parsed.name) {
      case "ProductRegistered":
        s.subjects.set(key(productSubject(a.gtin)), newSubject(true, a.gtin));
        s.parties.add(a.holder);
        break;
      case "BatchCreated": {
        s.subjects.set(key(a.batchId), newSubject(false, a.gtin));
        const b: ReplayedBatch = {
          gtin: a.gtin,
          manufacturer: a.manufacturer,
          quantity: a.quantity,
          released: false,
          destroyed: 0n,
          lost: 0n,
          quarantined: 0n,
          held: new Map(),
          dispensed: new Map(),
        };
        add(b.held, a.manufacturer, a.quantity);
        s.batches.set(key(a.batchId), b);
        break;
      }
      case "BatchReleased":
        batch(a.batchId).released = true;
        break;
      case "Shipped":
        add(batch(a.batchId).held, a.from, -(a.quantity as bigint));
        s.parties.add(a.to);
        s.shipments.set(key(a.shipmentId), {
          batchId: a.batchId,
          from: a.from,
          to: a.to,
          quantity: a.quantity,
          status: ShipmentStatus.InTransit,
        });
        break;
      case "ShipmentClosed": {
        const sh = s.shipments.get(key(a.shipmentId)) ?? fail(`close of unknown shipment ${a.shipmentId}`);
        if (sh.status !== ShipmentStatus.InTransit) fail(`shipment ${a.shipmentId} closed twice`);
        if (sh.quantity !== a.quantity) fail(`shipment ${a.shipmentId} closed with ${a.quantity}, shipped ${sh.quantity}`);
        sh.status = Number(a.status);
        add(batch(a.batchId).held, a.creditedParty, a.quantity);
        break;
      }
      case "UnitStatusChanged": {
        const b = batch(a.batchId);
        const [from, to] = [Number(a.previous), Number(a.status)];
        const takesStock = (st: number) => st === UnitStatus.Dispensed || st === UnitStatus.Destroyed || st === UnitStatus.Stolen;
        if (from === UnitStatus.Active && takesStock(to)) add(b.held, a.party, -1n);
        if (to === UnitStatus.Active && from === UnitStatus.Dispensed) add(b.held, a.party, 1n);
        if (to === UnitStatus.Dispensed) add(b.dispensed, a.party, 1n);
        if (from === UnitStatus.Dispensed) add(b.dispensed, a.party, -1n);
        if (to === UnitStatus.Destroyed) b.destroyed += 1n;
        if (to === UnitStatus.Stolen) b.lost += 1n;
        break;
      }
      case "Observed": {
        const sub = subject(a.subject);
        sub.observations += 1n;
        if (a.seq !== sub.observations) fail(`observation ${a.seq} of ${a.subject} out of order (expected ${sub.observations})`);
        sub.lastSeq = a.seq;
        break;
      }
      case "ObservationAnnotated": {
        const sub = subject(a.subject);
        if (a.seq !== sub.lastSeq) fail(`annotation of ${a.seq} not right after its observation`);
        if (a.corrects >= a.seq) fail(`observation ${a.seq} corrects a later one (${a.corrects})`);
        if (a.corrects !== 0n) sub.corrections.set(a.seq, a.corrects);
        if (a.evidenceHash !== ethers.ZeroHash || a.evidenceUri !== "") {
          sub.evidence.set(a.seq, { hash: a.evidenceHash, uri: a.evidenceUri });
        }
        break;
      }
      case "RuleFired":
        subject(a.subject).rulesFired.push(a.seq);
        break;
      case "StateChanged": {
        const sub = subject(a.subject);
        if (Number(a.from) !== sub.state) fail(`${a.subject} left state ${a.from}, replayed ${sub.state}`);
        sub.state = Number(a.to);
        sub.reached |= 1 << sub.state;
        break;
      }
      case "RecallOpened": {
        const sub = subject(a.batchId);
        sub.recalls += 1n;
        sub.recallId = a.recallId;
        if (key(a.recallId) !== key(recallIdOf(a.batchId, sub.recalls))) fail(`recall id ${a.recallId} is not recall ${sub.recalls}`);
        sub.recallLevel = a.level;
        sub.recallDeadline = a.deadline;
        // The event carries the deadline; the opening time is the deadline less the level's period.
        sub.recallOpenedAt = a.deadline - s.recallPeriods[Number(a.level) - 1];
        break;
      }
      case "RecallPeriodsSet":
        s.recallPeriods = [...(a.periods as bigint[])];
        break;
      case "StockReturned": {
        const b = batch(a.batchId);
        add(b.held, a.party, -(a.quantity as bigint));
        b.quarantined += a.quantity;
        if ((b.held.get(a.party) ?? 0n) !== a.outstanding) fail(`${a.party} returned, outstanding ${a.outstanding}`);
        if (key(a.recallId) !== key(subject(a.batchId).recallId)) fail(`return under recall ${a.recallId}, not the latest`);
        break;
      }
      case "DestructionProposed": {
        const sub = subject(a.batchId);
        sub.destructions += 1n;
        if (key(a.destructionId) !== key(destructionIdOf(a.batchId, sub.destructions))) fail(`destruction id ${a.destructionId}`);
        s.destructions.set(key(a.destructionId), {
          batchId: a.batchId,
          quantity: a.quantity,
          proposer: a.party,
          no: sub.destructions,
          status: DestructionStatus.Proposed,
        });
        break;
      }
      case "DestructionWitnessed": {
        const d = s.destructions.get(key(a.destructionId)) ?? fail(`witness of unknown destruction ${a.destructionId}`);
        if (d.status !== DestructionStatus.Proposed) fail(`destruction ${a.destructionId} witnessed twice`);
        if (d.quantity !== a.quantity) fail(`destruction ${a.destructionId} witnessed for ${a.quantity}, proposed ${d.quantity}`);
        d.status = DestructionStatus.Witnessed;
        const b = batch(a.batchId);
        b.quarantined -= a.quantity;
        if (b.quarantined < 0n) fail(`quarantine of ${a.batchId} below 0`);
        b.destroyed += a.quantity;
        break;
      }
      case "RulesSet": {
        const r = a.rules;
        s.rules.set(a.gtin, {
          storage: [r.storageRange.minTemperature, r.storageRange.maxTemperature, r.storageRange.maxHumidity],
          transport: [r.transportRange.minTemperature, r.transportRange.maxTemperature, r.transportRange.maxHumidity],
          stopOnCritical: r.stopOnCritical,
          adverseCount: r.adverseCount,
          adverseWindow: r.adverseWindow,
          ruleContract: r.ruleContract,
          ruleGas: r.ruleGas,
        });
        break;
      }
      case "StateGraphConfigured":
        fail("a configured graph: this replay knows the pharmaceutical one only");
        break;
      default:
        break; // membership mirror pushes, undo window, suspect reports: no quality state
    }
  }
  return s;
}

interface Mismatch {
  entity: string;
  field: string;
  replayed: string;
  view: string;
}

/** Compares the replayed state with the views, field by field; returns every difference. */
async function compareQuality(state: QualityState, c: BatchQualityCtx, partyCount: bigint): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  const check = (entity: string, field: string, replayed: unknown, view: unknown): void => {
    const [r, v] = [String(replayed), String(view)];
    if (r !== v) out.push({ entity, field, replayed: r, view: v });
  };
  const { batchRegistry: br, quality, collaboration } = c;
  const now = BigInt(await time.latest());
  const parties = new Set(state.parties);
  for (let p = 0n; p <= partyCount + 1n; ++p) parties.add(p);

  for (const [id, sub] of state.subjects) {
    const entity = sub.isProduct ? `product ${sub.gtin}` : `batch ${id}`;
    const rec = await collaboration.subjectRecord(id);
    const productState = state.subjects.get(key(productSubject(sub.gtin)))!.state;
    check(entity, "state", sub.state, rec.state);
    check(entity, "effectiveState", sub.isProduct ? sub.state : Math.max(sub.state, productState), rec.effectiveState);
    check(entity, "reached", sub.reached, rec.reached);
    check(entity, "observations", sub.observations, rec.observations);
    check(entity, "lastSeq", sub.lastSeq, rec.observations);
    check(entity, "recalls", sub.recalls, rec.recalls);
    check(entity, "recallLevel", sub.recallLevel, rec.recallLevel);
    check(entity, "recallOpenedAt", sub.recallOpenedAt, rec.recallOpenedAt);
    check(entity, "recallDeadline", sub.recallDeadline, rec.recallDeadline);
    check(entity, "destructions", sub.destructions, rec.destructions);
    if (!sub.isProduct) check(entity, "recallIdOf", sub.recallId.toLowerCase(), (await collaboration.recallIdOf(id)).toLowerCase());
  }

  for (const [id, b] of state.batches) {
    const entity = `batch ${id}`;
    const view = await br.getBatch(id);
    const sub = state.subjects.get(id)!;
    check(entity, "gtin", b.gtin, view.gtin);
    check(entity, "manufacturer", b.manufacturer, view.manufacturer);
    check(entity, "quantity", b.quantity, view.quantity);
    check(entity, "released", b.released, Number(view.status) === 2);
    check(entity, "destroyed", b.destroyed, view.destroyed);
    check(entity, "lost", b.lost, view.lost);
    check(entity, "quarantined", b.quarantined, view.quarantined);
    check(entity, "observations", sub.observations, view.observations);
    check(entity, "state byte", sub.state === 0 ? 0 : sub.state | 0x80, view.state);
    const underRecall = sub.recalls > 0n && (sub.state === DEFAULT_RECALL_STATE || sub.state === DEFAULT_DISPOSAL_STATE);
    for (const p of [...parties].sort((x, y) => (x < y ? -1 : 1))) {
      const held = b.held.get(p) ?? 0n;
      check(`${entity} party ${p}`, "holding", held, await br.holding(id, p));
      check(`${entity} party ${p}`, "dispensedBy", b.dispensed.get(p) ?? 0n, await br.dispensedBy(id, p));
      const [owed, overdue] = await collaboration.outstanding(id, p);
      check(`${entity} party ${p}`, "outstanding", underRecall ? held : 0n, owed);
      check(`${entity} party ${p}`, "overdue", underRecall && held !== 0n && now > sub.recallDeadline, overdue);
    }
  }

  for (const [id, sh] of state.shipments) {
    const view = await br.getShipment(id);
    check(`shipment ${id}`, "status", sh.status, view.status);
    check(`shipment ${id}`, "quantity", sh.quantity, view.quantity);
    check(`shipment ${id}`, "from", sh.from, view.from);
    check(`shipment ${id}`, "to", sh.to, view.to);
  }

  for (const [id, d] of state.destructions) {
    const view = await collaboration.destruction(id);
    check(`destruction ${id}`, "status", d.status, view.status);
    check(`destruction ${id}`, "quantity", d.quantity, view.quantity);
    check(`destruction ${id}`, "proposer", d.proposer, view.proposer);
    check(`destruction ${id}`, "no", d.no, view.no);
  }

  for (const sub of state.subjects.values()) {
    if (!sub.isProduct) continue;
    const [rules, set] = await quality.rulesOf(sub.gtin);
    const r = state.rules.get(sub.gtin);
    const entity = `rules of ${sub.gtin}`;
    check(entity, "set", r !== undefined, set);
    const open = [NO_MIN, NO_MAX, NO_MAX_HUMIDITY];
    const range = (x: { minTemperature: bigint; maxTemperature: bigint; maxHumidity: bigint }) =>
      [x.minTemperature, x.maxTemperature, x.maxHumidity].join(",");
    check(entity, "storageRange", (r?.storage ?? open).join(","), range(rules.storageRange));
    check(entity, "transportRange", (r?.transport ?? open).join(","), range(rules.transportRange));
    check(entity, "stopOnCritical", r?.stopOnCritical ?? 0n, rules.stopOnCritical);
    check(entity, "adverseCount", r?.adverseCount ?? 0n, rules.adverseCount);
    check(entity, "adverseWindow", r?.adverseWindow ?? 0n, rules.adverseWindow);
    check(entity, "ruleContract", r?.ruleContract ?? ethers.ZeroAddress, rules.ruleContract);
    check(entity, "ruleGas", r?.ruleGas ?? 0n, rules.ruleGas);
  }
  return out;
}

/** Σ held + Σ open shipments + Σ dispensed + destroyed + lost + quarantined, per batch, from the replay alone. */
function replayedLedger(state: QualityState, batchId: string): bigint {
  const b = state.batches.get(key(batchId))!;
  const sum = (m: Map<bigint, bigint>) => [...m.values()].reduce((x, y) => x + y, 0n);
  const inTransit = [...state.shipments.values()]
    .filter((sh) => key(sh.batchId) === key(batchId) && sh.status === ShipmentStatus.InTransit)
    .reduce((x, sh) => x + sh.quantity, 0n);
  return sum(b.held) + inTransit + sum(b.dispensed) + b.destroyed + b.lost + b.quarantined;
}

// ==== THE SCENARIO ====

const GTIN2 = 4006381333931n;
const LOT2 = "VAX-2026-002";

/**
 * From the distributed vaccine batch (maker 30, wholesaler 40, pharmacy 20, hospital 10):
 * observations (with corrections and evidence, batched, device-signed), a second product
 * stopped then deregistered, a product-level stop and resume, dispenses, shipments closed
 * every way, a rule-fired stop, a recall at level II, returns, destructions (witnessed by
 * a notary and the regulator, one left proposed), new rules set by the governor.
 */
async function qualityHistory(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const { batchRegistry: br, quality, collaboration, batchId, tree } = c;
  const product = productSubject(GTIN);
  const deadline = async () => BigInt(await time.latest()) + 3600n;

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

  // A second product: rules by its holder (with an adverse-count rule), stopped and deregistered.
  await br.connect(c.maker).registerProduct(GTIN2, "Old vaccine", "S19990001", 0n);
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

  // Product-level stop by the holder, resume by the regulator.
  await collaboration.connect(c.maker).transition(product, State.EmergencyStop, "supplier audit");
  await collaboration.connect(c.regulator).transition(product, State.Marketed, "audit passed");

  // Trade: dispenses (one undone), shipments received, cancelled, rejected, one left open.
  await br.connect(c.pharmacy).dispense(tree.unit(batchId, 0n));
  await br.connect(c.pharmacy).dispense(tree.unit(batchId, 1n));
  await br.connect(c.pharmacy).undoDispense(tree.unit(batchId, 1n));
  await br.connect(c.hospital).dispense(tree.unit(batchId, 2n));
  await br.connect(c.hospital).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen);
  await br.connect(c.wholesaler).ship(batchId, LOGISTICS, 5n); // wholesaler #1
  await br.connect(c.logistics).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 4n); // #2, cancelled
  await br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 2n));
  await br.connect(c.maker).ship(batchId, HOSPITAL, 3n); // maker #2, rejected
  await br.connect(c.hospital).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 2n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 6n); // #3, open when the batch stops
  await br.connect(c.maker).ship(batchId, WHOLESALER, 2n); // maker #3, open when the batch stops

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
  // Observations go on under recall.
  await quality.connect(c.regulator).observe(observation(batchId, Point.Inspection, Result.Critical, { evidenceUri: "recall sample" }));

  // The governor sets new rules for the first product (the holder's are locked).
  await quality.connect(c.gov).setRules(GTIN, vaccineRules({ storageRange: { minTemperature: 250n, maxTemperature: 750n, maxHumidity: 60n }, stopOnCritical: 1n << BigInt(Point.Storage) }));
  await time.increase(4n * DAY); // past the level II deadline: what is still held is overdue
  return c;
}

describe("Quality replay", function () {
  it("rebuilds subjects, custody, recalls, destructions and rules from the BatchRegistry's logs alone", async function () {
    const c = await loadFixture(qualityHistory);
    const logs = await fetchLogs(ethers.provider, c.engineAddress, 0);
    const state = replayQuality(logs);

    // The scenario reached what the replay is meant to rebuild.
    for (const name of [
      "Observed",
      "ObservationAnnotated",
      "RuleFired",
      "StateChanged",
      "RecallOpened",
      "StockReturned",
      "DestructionProposed",
      "DestructionWitnessed",
      "RulesSet",
      "Shipped",
      "ShipmentClosed",
      "UnitStatusChanged",
    ]) {
      expect(state.counts.get(name) ?? 0, name).to.be.greaterThan(0);
    }
    const batch = state.subjects.get(key(c.batchId))!;
    expect([batch.state, batch.reached, batch.recalls, batch.recallLevel, batch.destructions]).to.deep.equal([
      State.Destroyed,
      0b1111,
      1n,
      2n,
      3n,
    ]);
    expect(batch.corrections).to.deep.equal(new Map([[4n, 3n], [7n, 6n]]));
    expect(batch.rulesFired).to.have.length(2); // 9.5 °C in storage; the regulator's critical inspection (no state change)
    expect(state.subjects.get(key(productSubject(GTIN2)))!.state).to.equal(State.Deregistered);
    expect(state.subjects.get(key(productSubject(GTIN)))!.reached).to.equal(0b11);
    for (const id of state.batches.keys()) expect(replayedLedger(state, id), `ledger of ${id}`).to.equal(state.batches.get(id)!.quantity);

    expect(await compareQuality(state, c, await c.registry.partyCount())).to.deep.equal([]);
  });

  it("reports every field where the replay and the views differ", async function () {
    const c = await loadFixture(qualityHistory);
    const state = replayQuality(await fetchLogs(ethers.provider, c.engineAddress, 0));
    const batch = state.batches.get(key(c.batchId))!;
    batch.held.set(HOSPITAL, batch.held.get(HOSPITAL)! + 1n);
    state.subjects.get(key(c.batchId))!.recallLevel = 1n;
    state.destructions.get(key(destructionIdOf(c.batchId, 2n)))!.status = DestructionStatus.Witnessed;
    state.rules.get(GTIN)!.stopOnCritical = 0n;
    const held = await c.batchRegistry.holding(c.batchId, HOSPITAL);
    const subjectOf = `batch ${key(c.batchId)}`;
    expect(await compareQuality(state, c, await c.registry.partyCount())).to.deep.equal([
      { entity: subjectOf, field: "recallLevel", replayed: "1", view: "2" },
      { entity: `${subjectOf} party ${HOSPITAL}`, field: "holding", replayed: String(held + 1n), view: String(held) },
      { entity: `${subjectOf} party ${HOSPITAL}`, field: "outstanding", replayed: String(held + 1n), view: String(held) },
      {
        entity: `destruction ${key(destructionIdOf(c.batchId, 2n))}`,
        field: "status",
        replayed: String(DestructionStatus.Witnessed),
        view: String(DestructionStatus.Proposed),
      },
      { entity: `rules of ${GTIN}`, field: "stopOnCritical", replayed: "0", view: String(1 << Point.Storage) },
    ]);
  });
});
