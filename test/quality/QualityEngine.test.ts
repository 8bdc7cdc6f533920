import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { Signer } from "ethers";

import { Domain, LicenceKind, Role } from "../../sdk/enums.js";
import { READING_TYPES } from "../../sdk/quality.js";
import type {
  CollaborationEngine,
  ICollaborationEngine,
  IQualityEngine,
  QualityEngine,
  QualityRuleMock,
} from "../../types/ethers-contracts/index.js";
import {
  type CallerCase,
  itRejectsCallers,
  nonMemberCases,
  standingCases,
  wrongDomain,
  wrongRole,
} from "../helpers/callers.js";
import {
  DOC,
  HOSPITAL,
  LABORATORY,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  NOTARY,
  PHARMACY,
  REGULATOR,
  WHOLESALER,
  ethers,
  networkHelpers,
  restoreClockAfter,
} from "../helpers/fixtures.js";
import {
  Actor,
  type BatchQualityCtx,
  DAY,
  GTIN,
  NO_HUMIDITY,
  NO_MAX,
  NO_MAX_HUMIDITY,
  NO_MIN,
  NO_TEMPERATURE,
  Point,
  Result,
  RuleKind,
  State,
  StateKind,
  UNITS,
  distributedBatch,
  observation,
  productSubject,
  reading,
  signObservation,
  signReading,
  stoppedBatch,
  suspectsAt,
  vaccineBatch,
  vaccineRules,
} from "../helpers/quality.js";
import { UnitTree, batchIdOf, eventsOf, expectEvents, registerProduct, shipmentIdOf } from "../helpers/supply.js";

// ==== CONSTANTS ====

type Observation = IQualityEngine.ObservationStruct;
type Rules = IQualityEngine.RulesStruct;
type SignedObservation = IQualityEngine.SignedObservationStruct;
type Reading = IQualityEngine.ReadingStruct;
type SignedReading = IQualityEngine.SignedReadingStruct;

const { loadFixture, time } = networkHelpers;

/** A second product of the maker, registered without rules, and a batch of it in production. */
const GTIN2 = 6901234567885n;
const LOT2 = "PLAIN-2026-001";
/** A valid GTIN no fixture registers. */
const UNKNOWN_GTIN = 6901234567878n;
/** A second manufacturer, admitted by the fixture after the standard consortium. */
const MAKER2 = 9n;

/** QualityRuleMock.Behaviour */
const Behaviour = { Pass: 0, Stop: 1, Revert: 2, BurnGas: 3, ReturnNothing: 4, ReturnBomb: 5, ReturnTwo: 6 } as const;

/** The state rules stop into when the graph lets no rule act (QualityStates._NONE). */
const NO_STATE = 255;

const RULE_GAS = 100_000n;
const MAX_RULE_GAS = 1_000_000n;
const RULE_CALL_RESERVE = 10_000n;

const ADVERSE_COUNT = 3n;
const ADVERSE_WINDOW = 3600n;

/** ISuspectProduct.WHOLE_BATCH: type(uint48).max. */
const WHOLE_BATCH = 2n ** 48n - 1n;

/** The EIP-712 type devices sign (IQualityEngine.OBSERVATION_TYPEHASH). */
const OBSERVATION_TYPES = {
  Observation: [
    { name: "subject", type: "bytes32" },
    { name: "point", type: "uint8" },
    { name: "result", type: "uint8" },
    { name: "temperature", type: "int16" },
    { name: "humidity", type: "uint16" },
    { name: "corrects", type: "uint32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "evidenceUri", type: "string" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
};

const POINT_NAMES = Object.keys(Point) as (keyof typeof Point)[];

// ==== FIXTURES ====

interface Ctx extends BatchQualityCtx {
  makerOperator: HardhatEthersSigner;
  maker2: HardhatEthersSigner;
  /** A batch of GTIN2 (no rules ever set), in production, held by the maker. */
  plainBatchId: string;
}

interface RuleCtx extends Ctx {
  rule: QualityRuleMock;
  ruleAddress: string;
}

/**
 * The distributed vaccine batch (maker 30, wholesaler 40, pharmacy 20, hospital 10; one
 * inspection recorded), + a maker operator, a second manufacturer (party 9), and product
 * GTIN2 without rules with a batch of it in production.
 */
async function engineParties(): Promise<Ctx> {
  const c = await distributedBatch();
  const [maker2, makerOperator] = c.others.slice(8);
  await c.registry.connect(c.gov).admitParty({
    name: "Maker Two",
    domain: Domain.Manufacturer,
    admin: maker2.address,
    voter: false,
    licences: [{ kind: LicenceKind.Manufacturing, documentHash: DOC, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY }],
  });
  await c.registry.connect(c.maker).addMember(MAKER, makerOperator.address, Role.Operator);
  await registerProduct(c.batchRegistry, c.maker, c.regulator, GTIN2, "Plain tablets", "S20260002", 0n);
  const tree = UnitTree.sequential(GTIN2, UNITS);
  const now = BigInt(await time.latest());
  await c.batchRegistry.connect(c.maker).createBatch({
    gtin: GTIN2,
    lot: LOT2,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity: 50n,
    unitsRoot: tree.root,
    unitCount: tree.count,
  });
  return { ...c, maker2, makerOperator, plainBatchId: batchIdOf(GTIN2, LOT2) };
}

/**
 * + every party but the wholesaler without stock of the vaccine batch, and none in transit:
 * the maker shipped its 30 to the wholesaler, the hospital dispensed one unit and shipped 9
 * to the wholesaler, the pharmacy shipped its 20 to the wholesaler, and the wholesaler
 * received all three. The maker (the product's holder) holds none; the hospital has only
 * dispensed some; the pharmacy has nothing left of it.
 */
async function drainedBatch(): Promise<Ctx> {
  const c = await inTransitBatch();
  const { batchRegistry: br, batchId } = c;
  await br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 2n));
  await br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, HOSPITAL, 0n));
  await br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, PHARMACY, 0n));
  return c;
}

/**
 * + the same shipments as {@link drainedBatch}, left in transit: the maker (30), the hospital
 * (9, after dispensing one) and the pharmacy (20) hold none, and each has stock in transit.
 */
async function inTransitBatch(): Promise<Ctx> {
  const c = await engineParties();
  const { batchRegistry: br, batchId } = c;
  await br.connect(c.maker).ship(batchId, WHOLESALER, 30n);
  await br.connect(c.hospital).dispense(c.tree.unit(batchId, 0n));
  await br.connect(c.hospital).ship(batchId, WHOLESALER, 9n);
  await br.connect(c.pharmacy).ship(batchId, WHOLESALER, 20n);
  return c;
}

/**
 * + the logistics party linked to the vaccine batch: the wholesaler shipped it 5, which it
 * received (a carrier's or a warehouse's custody). In {@link engineParties} the logistics
 * party has no link to the batch.
 */
async function carrierBatch(): Promise<Ctx> {
  const c = await toCarrierBatch();
  await c.batchRegistry.connect(c.logistics).receiveShipment(c.batchId, shipmentIdOf(c.batchId, WHOLESALER, 1n));
  return c;
}

/** + the wholesaler's shipment of 5 to the logistics party, still in transit (not received). */
async function toCarrierBatch(): Promise<Ctx> {
  const c = await engineParties();
  await c.batchRegistry.connect(c.wholesaler).ship(c.batchId, LOGISTICS, 5n);
  return c;
}

/** + the pharmacy's 20 in an open suspect case of its own: it holds none, and has stock in a case. */
async function suspectBatch(): Promise<Ctx> {
  const c = await engineParties();
  const suspects = await suspectsAt(c);
  await suspects.connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 20n, ethers.ZeroHash, "seal broken");
  return c;
}

/** The extra pharmacies {@link userParties} admits: parties 10 to 15. */
const EXTRA_PHARMACIES = [10n, 11n, 12n, 13n, 14n, 15n];

interface UsersCtx extends Ctx {
  /** The admins of the extra pharmacies (EXTRA_PHARMACIES), each holding 1 of the vaccine batch. */
  extra: HardhatEthersSigner[];
}

/**
 * + six more pharmacies (parties 10 to 15), each received 1 of the vaccine batch from the
 * wholesaler: with the hospital and the pharmacy, eight users that may report on it.
 */
async function userParties(): Promise<UsersCtx> {
  const c = await engineParties();
  const { batchRegistry: br, batchId } = c;
  const extra: HardhatEthersSigner[] = [];
  for (let i = 0; i < EXTRA_PHARMACIES.length; ++i) {
    const admin = ethers.getAddress(`0x00000000000000000000000000000000a11ce${i.toString(16).padStart(3, "0")}`);
    await networkHelpers.impersonateAccount(admin);
    await networkHelpers.setBalance(admin, 10n ** 21n);
    await c.registry.connect(c.gov).admitParty({
      name: `Pharmacy ${EXTRA_PHARMACIES[i]}`,
      domain: Domain.Pharmacy,
      admin,
      voter: false,
      licences: [{ kind: LicenceKind.Distribution, documentHash: DOC, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY }],
    });
    const signer = await ethers.getSigner(admin);
    await br.connect(c.wholesaler).ship(batchId, EXTRA_PHARMACIES[i], 1n);
    await br.connect(signer).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, BigInt(i + 1)));
    extra.push(signer);
  }
  return { ...c, extra };
}

/** + the vaccine's ranges kept, but no point stops on a critical observation (pure classification). */
async function classifyingRules(): Promise<Ctx> {
  const c = await engineParties();
  await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ stopOnCritical: 0n }));
  return c;
}

/** + the vaccine rules with "3 adverse reactions within an hour" (3 distinct reporting parties; set by the governor). */
async function adverseRules(): Promise<UsersCtx> {
  const c = await userParties();
  await c.quality
    .connect(c.gov)
    .setRules(GTIN, vaccineRules({ adverseCount: ADVERSE_COUNT, adverseWindow: ADVERSE_WINDOW }));
  return c;
}

/** + a rule contract (QualityRuleMock, Pass) on the vaccine with RULE_GAS gas (set by the governor). */
async function ruleContract(): Promise<RuleCtx> {
  const c = await engineParties();
  const rule = (await ethers.deployContract("QualityRuleMock")) as unknown as QualityRuleMock;
  const ruleAddress = await rule.getAddress();
  await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ ruleContract: ruleAddress, ruleGas: RULE_GAS }));
  return { ...c, rule, ruleAddress };
}

/** The caller tables' own fixtures: first loaded inside their describe, whose clock restoreClockAfter puts back. */
async function observeCallerParties(): Promise<Ctx> {
  return engineParties();
}

async function observeManyCallerParties(): Promise<Ctx> {
  return engineParties();
}

async function signerParties(): Promise<Ctx> {
  return engineParties();
}

async function setRulesCallerParties(): Promise<Ctx> {
  return engineParties();
}

async function observeReadingsCallerParties(): Promise<Ctx> {
  return engineParties();
}

async function readingSignerParties(): Promise<Ctx> {
  return engineParties();
}

// ==== HELPERS ====

/** Numbers to bigints and hex strings to lower case, deeply (as expectEvents compares). */
function norm(value: unknown): unknown {
  if (typeof value === "number") return BigInt(value);
  if (typeof value === "string" && /^0x[0-9a-fA-F]*$/.test(value)) return value.toLowerCase();
  if (Array.isArray(value)) return value.map(norm);
  return value;
}

/** A Rules struct as the nested tuple events and views decode to. */
function rulesTuple(r: Rules): unknown[] {
  const range = (x: IQualityEngine.RangeStruct) => [x.minTemperature, x.maxTemperature, x.maxHumidity];
  return [
    range(r.storageRange),
    range(r.transportRange),
    r.stopOnCritical,
    r.adverseCount,
    r.adverseWindow,
    r.ruleContract,
    r.ruleGas,
  ];
}

/** The rules rulesOf reports for a product whose rules were never set. */
const UNSET_RULES: Rules = {
  storageRange: { minTemperature: NO_MIN, maxTemperature: NO_MAX, maxHumidity: NO_MAX_HUMIDITY },
  transportRange: { minTemperature: NO_MIN, maxTemperature: NO_MAX, maxHumidity: NO_MAX_HUMIDITY },
  stopOnCritical: 0n,
  adverseCount: 0n,
  adverseWindow: 0n,
  ruleContract: ethers.ZeroAddress,
  ruleGas: 0n,
};

async function expectRules(c: Ctx, gtin: bigint, expected: Rules, set: boolean): Promise<void> {
  const [rules, isSet] = await c.quality.rulesOf(gtin);
  expect(norm(rulesTuple(rules))).to.deep.equal(norm(rulesTuple(expected)));
  expect(isSet).to.equal(set);
}

/** The Observed event of `o` recorded as observation `seq` by `observer` of `party`, classified `result`. */
function observed(
  o: Observation,
  party: bigint,
  seq: bigint,
  observer: string,
  result: number = Number(o.result),
): [string, unknown[]] {
  return ["Observed", [o.subject, party, seq, observer, o.point, result, o.temperature, o.humidity]];
}

function ruleFired(subject: string, seq: bigint, kind: number, rule = ethers.ZeroAddress, state: number = State.EmergencyStop): [string, unknown[]] {
  return ["RuleFired", [subject, seq, kind, rule, state]];
}

/** The SignedObservationsRelayed of a run of `count` observations signed by `device` from nonce `firstNonce`, submitted by `relayer`. */
function relayed(device: string, relayer: string, firstNonce: bigint, count: bigint): [string, unknown[]] {
  return ["SignedObservationsRelayed", [device, relayer, firstNonce, count]];
}

/** The StateChanged a rule's stop emits: Marketed → EmergencyStop by Actor.Rule. */
function ruleStopped(subject: string, party: bigint, actor: string): [string, unknown[]] {
  return ["StateChanged", [subject, State.EmergencyStop, State.Marketed, Actor.Rule, party, actor, ""]];
}

async function observationsOf(c: Ctx | BatchQualityCtx, subject: string): Promise<bigint> {
  return (await c.collaboration.subjectRecord(subject)).observations;
}

/**
 * Sends a transaction that reverts when mined (an explicit gas limit skips estimation),
 * without awaiting it: `sent` for the revert matcher, `receipt` for the status and the
 * number of logs of the one transaction in the block it was mined in.
 */
async function minedFailure(
  send: () => Promise<unknown>,
): Promise<{ sent: Promise<unknown>; receipt: () => Promise<{ status: number | null; logs: number }> }> {
  const before = await ethers.provider.getBlockNumber();
  return {
    sent: send(),
    receipt: async () => {
      const block = await ethers.provider.getBlock(before + 1);
      if (block === null || block.transactions.length !== 1) throw new Error(`block ${before + 1}: not the one failed transaction`);
      const receipt = await ethers.provider.getTransactionReceipt(block.transactions[0]);
      if (receipt === null) throw new Error("no receipt");
      return { status: receipt.status, logs: receipt.logs.length };
    },
  };
}

async function deadlineIn(seconds: bigint = 3600n): Promise<bigint> {
  return BigInt(await time.latest()) + seconds;
}

/** The EIP-712 digest a device signs for `o` with `nonce` and `deadline`, for the proxy at `verifyingContract`. */
async function digestOf(o: Observation, nonce: bigint, deadline: bigint, verifyingContract: string): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  return ethers.TypedDataEncoder.hash(
    { name: "MedState", version: "1", chainId, verifyingContract },
    OBSERVATION_TYPES,
    { ...o, nonce, deadline },
  );
}

/** Who recovers from `signed`'s signature over `o` with `nonce` (what the engine sees for a stale or tampered one). */
async function recoveredFrom(signed: SignedObservation, o: Observation, nonce: bigint, verifyingContract: string): Promise<string> {
  const digest = await digestOf(o, nonce, BigInt(signed.deadline), verifyingContract);
  return ethers.recoverAddress(digest, ethers.hexlify(signed.signature));
}

/** A storage reading of the vaccine batch in range (5 °C, 40 %). */
function goodReading(c: Ctx): Observation {
  return observation(c.batchId, Point.Storage, Result.Normal, { temperature: 500n, humidity: 4000n });
}

/** A storage reading in the vaccine's range (5 °C, 40 %), as a Reading. */
const GOOD: Reading = reading(Point.Storage, 500n, 4000n);

/** The Observation that records exactly what reading `r` of `subject` records (no correction, no evidence). */
function asObservation(subject: string, r: Reading): Observation {
  return observation(subject, Number(r.point), Number(r.result), { temperature: r.temperature, humidity: r.humidity });
}

/** The Observed event of reading `r` of `subject`, recorded as `seq` by `observer` of `party`, classified `result`. */
function observedReading(
  subject: string,
  r: Reading,
  party: bigint,
  seq: bigint,
  observer: string,
  result: number = Number(r.result),
): [string, unknown[]] {
  return observed(asObservation(subject, r), party, seq, observer, result);
}

/** The EIP-712 digest a device signs for reading `r` of `subject` with `nonce` and `deadline` (type Reading). */
async function readingDigestOf(subject: string, r: Reading, nonce: bigint, deadline: bigint, verifyingContract: string): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  return ethers.TypedDataEncoder.hash({ name: "MedState", version: "1", chainId, verifyingContract }, READING_TYPES, {
    subject,
    ...r,
    nonce,
    deadline,
  });
}

/** Who recovers from `signed`'s compact signature over reading `r` of `subject` with `nonce` (what the engine sees). */
async function recoveredFromReading(
  signed: SignedReading,
  subject: string,
  r: Reading,
  nonce: bigint,
  verifyingContract: string,
): Promise<string> {
  const digest = await readingDigestOf(subject, r, nonce, BigInt(signed.deadline), verifyingContract);
  return ethers.recoverAddress(digest, { r: ethers.hexlify(signed.r), yParityAndS: ethers.hexlify(signed.vs) });
}

/** `readings` of `subject` signed by `device` with nonces `first`, `first + 1`, … */
async function signSeries(
  device: Signer,
  verifyingContract: string,
  subject: string,
  readings: Reading[],
  first: bigint,
  deadline: bigint,
): Promise<SignedReading[]> {
  const signed: SignedReading[] = [];
  for (let i = 0; i < readings.length; ++i) {
    signed.push(await signReading(device, verifyingContract, subject, readings[i], first + BigInt(i), deadline));
  }
  return signed;
}

/** A series of readings recorded both ways, and what to compare after. */
interface Series {
  title: string;
  fixture: () => Promise<Ctx>;
  setup?: (c: Ctx) => Promise<unknown>;
  pick: (c: Ctx) => HardhatEthersSigner;
  subject: (c: Ctx) => string;
  readings: Reading[];
  /** Events besides Observed the series must emit (so that equality is not vacuous). */
  emits: string[];
  /** More state to compare (the rule contract's). */
  extra?: (c: Ctx) => Promise<unknown>;
}

/** The state a series may touch: the subject's and the batch's records, the batch, the observer's nonce, `extra`. */
async function seriesState(c: Ctx, s: Series): Promise<unknown> {
  return norm([
    [...(await c.collaboration.subjectRecord(s.subject(c)))],
    [...(await c.collaboration.subjectRecord(c.batchId))],
    [...(await c.batchRegistry.getBatch(c.batchId))],
    await c.quality.nonces(s.pick(c).address),
    s.extra === undefined ? null : await s.extra(c),
  ]);
}

const ruleState = async (c: Ctx): Promise<unknown> => {
  const { rule } = c as RuleCtx;
  return [await rule.calls(), await rule.lastSeq(), await rule.lastTemperature()];
};

const SERIES: Series[] = [
  {
    title: "the holder's device's series over every point it may record, through a critical stop",
    fixture: engineParties,
    pick: (c) => c.makerDevice,
    subject: (c) => c.batchId,
    readings: [
      reading(Point.Process),
      reading(Point.Production, 2100n, 3000n, Result.Deviation),
      reading(Point.Order, 2000n, 9000n),
      reading(Point.Storage, 500n, 4000n),
      reading(Point.Transport, NO_TEMPERATURE, NO_HUMIDITY),
      reading(Point.Inspection, NO_TEMPERATURE, NO_HUMIDITY, Result.Deviation),
      reading(Point.Inspection),
      reading(Point.Storage, 950n, 4000n),
      reading(Point.Transport, 150n),
      reading(Point.Storage, -32767n, NO_HUMIDITY, Result.Deviation),
    ],
    emits: ["RuleFired", "StateChanged"],
  },
  {
    title: "a pharmacy device's use readings under the adverse-count rule (one reporter, counted once), through a humidity excursion",
    fixture: adverseRules,
    pick: (c) => c.pharmacyDevice,
    subject: (c) => c.batchId,
    readings: [
      reading(Point.Adverse),
      reading(Point.Efficacy, NO_TEMPERATURE, NO_HUMIDITY, Result.Critical),
      reading(Point.Adverse, 3700n, 5000n, Result.Deviation),
      reading(Point.Adverse),
      reading(Point.Inspection, NO_TEMPERATURE, NO_HUMIDITY, Result.Critical),
      reading(Point.Storage, 500n, 6501n),
    ],
    emits: ["RuleFired", "StateChanged"],
  },
  {
    title: "a pharmacy device's series with a rule contract that stops",
    fixture: ruleContract,
    setup: (c) => (c as RuleCtx).rule.setBehaviour(Behaviour.Stop),
    pick: (c) => c.pharmacyDevice,
    subject: (c) => c.batchId,
    readings: [reading(Point.Transport, 500n), reading(Point.Transport, -100n), reading(Point.Order), reading(Point.Storage, 432n, 100n)],
    emits: ["RuleFired", "StateChanged"],
    extra: ruleState,
  },
  {
    title: "a wholesaler device's series with a rule contract that reverts",
    fixture: ruleContract,
    setup: (c) => (c as RuleCtx).rule.setBehaviour(Behaviour.Revert),
    pick: (c) => c.wholesalerDevice,
    subject: (c) => c.batchId,
    readings: [GOOD, reading(Point.Storage, 950n, 4000n), GOOD],
    emits: ["RuleFailed", "RuleFired", "StateChanged"],
    extra: ruleState,
  },
  {
    title: "the holder's qa member's series on the product, through a critical inspection",
    fixture: engineParties,
    pick: (c) => c.makerQa,
    subject: () => productSubject(GTIN),
    readings: [
      reading(Point.Process),
      reading(Point.Production, 1800n),
      reading(Point.Inspection, NO_TEMPERATURE, NO_HUMIDITY, Result.Critical),
      reading(Point.Inspection),
    ],
    emits: ["RuleFired", "StateChanged"],
  },
  {
    title: "the excursions a wholesaler's admin types, recorded as critical without a stop",
    fixture: engineParties,
    pick: (c) => c.wholesaler,
    subject: (c) => c.batchId,
    readings: [GOOD, reading(Point.Storage, 950n, 4000n), reading(Point.Transport, -150n, NO_HUMIDITY, Result.Critical), GOOD],
    emits: [],
  },
  {
    title: "a wholesaler's series classified against the limits without stops",
    fixture: classifyingRules,
    pick: (c) => c.wholesaler,
    subject: (c) => c.batchId,
    readings: [
      reading(Point.Storage, 200n, 6500n),
      reading(Point.Storage, 199n, 4000n),
      reading(Point.Storage, 801n, 0n),
      reading(Point.Storage, NO_TEMPERATURE, 6501n),
      reading(Point.Storage, 32767n, NO_HUMIDITY),
      reading(Point.Transport, 800n, 10000n),
      reading(Point.Transport, -32767n, 0n),
      reading(Point.Storage, 900n, 4000n, Result.Deviation),
      reading(Point.Order, 2000n, 9000n, Result.Critical),
    ],
    emits: [],
  },
];

// ==== OBSERVERS ====

interface Observer {
  title: string;
  pick: (c: Ctx) => HardhatEthersSigner;
  party: bigint;
}

const O = {
  makerAdmin: { title: "the holder's admin", pick: (c: Ctx) => c.maker, party: MAKER },
  makerOperator: { title: "the holder's operator", pick: (c: Ctx) => c.makerOperator, party: MAKER },
  makerQa: { title: "the holder's qa member", pick: (c: Ctx) => c.makerQa, party: MAKER },
  makerDevice: { title: "the holder's device", pick: (c: Ctx) => c.makerDevice, party: MAKER },
  maker2: { title: "another manufacturer's admin", pick: (c: Ctx) => c.maker2, party: MAKER2 },
  wholesalerAdmin: { title: "the wholesaler's admin", pick: (c: Ctx) => c.wholesaler, party: WHOLESALER },
  wholesalerQa: { title: "the wholesaler's qa member", pick: (c: Ctx) => c.wholesalerQa, party: WHOLESALER },
  wholesalerDevice: { title: "the wholesaler's device", pick: (c: Ctx) => c.wholesalerDevice, party: WHOLESALER },
  hospitalAdmin: { title: "the hospital's admin", pick: (c: Ctx) => c.hospital, party: HOSPITAL },
  pharmacyAdmin: { title: "the pharmacy's admin", pick: (c: Ctx) => c.pharmacy, party: PHARMACY },
  pharmacyDevice: { title: "the pharmacy's device", pick: (c: Ctx) => c.pharmacyDevice, party: PHARMACY },
  logisticsAdmin: { title: "the logistics party's admin", pick: (c: Ctx) => c.logistics, party: LOGISTICS },
  logisticsDevice: { title: "the logistics party's device", pick: (c: Ctx) => c.logisticsDevice, party: LOGISTICS },
  regulatorAdmin: { title: "the regulator's admin", pick: (c: Ctx) => c.regulator, party: REGULATOR },
  regulatorDevice: { title: "the regulator's device", pick: (c: Ctx) => c.regulatorDevice, party: REGULATOR },
  laboratoryAdmin: { title: "the laboratory's admin", pick: (c: Ctx) => c.laboratory, party: LABORATORY },
  notaryAdmin: { title: "the notary's admin", pick: (c: Ctx) => c.notary, party: NOTARY },
} satisfies Record<string, Observer>;

interface Rights {
  points: number[];
  allowed: Observer[];
  refused: Observer[];
}

/**
 * Who may record each point on the distributed vaccine batch: the maker (its holder), the
 * wholesaler, the hospital and the pharmacy hold some; the logistics party, the second
 * manufacturer and the notary have no link to it; the laboratory and the regulator need none.
 */
const BATCH_RIGHTS: Rights[] = [
  {
    points: [Point.Process, Point.Production],
    allowed: [O.makerAdmin, O.makerOperator, O.makerQa, O.makerDevice],
    refused: [O.maker2, O.wholesalerAdmin, O.wholesalerQa, O.hospitalAdmin, O.pharmacyAdmin, O.logisticsAdmin, O.regulatorAdmin, O.laboratoryAdmin, O.notaryAdmin],
  },
  {
    points: [Point.Order, Point.Transport, Point.Storage],
    allowed: [
      O.makerAdmin,
      O.makerDevice,
      O.wholesalerAdmin,
      O.wholesalerDevice,
      O.hospitalAdmin,
      O.pharmacyAdmin,
      O.pharmacyDevice,
      O.regulatorAdmin,
      O.regulatorDevice,
      O.laboratoryAdmin,
    ],
    refused: [O.maker2, O.logisticsAdmin, O.logisticsDevice, O.notaryAdmin],
  },
  {
    points: [Point.Inspection],
    allowed: [
      O.regulatorAdmin,
      O.regulatorDevice,
      O.laboratoryAdmin,
      O.makerQa,
      O.makerDevice,
      O.wholesalerQa,
      O.wholesalerDevice,
      O.pharmacyDevice,
    ],
    refused: [O.makerAdmin, O.makerOperator, O.wholesalerAdmin, O.hospitalAdmin, O.pharmacyAdmin, O.logisticsAdmin, O.logisticsDevice, O.maker2, O.notaryAdmin],
  },
  {
    points: [Point.Efficacy, Point.Adverse],
    allowed: [O.hospitalAdmin, O.pharmacyAdmin, O.pharmacyDevice],
    refused: [O.makerAdmin, O.makerQa, O.wholesalerAdmin, O.logisticsAdmin, O.regulatorAdmin, O.laboratoryAdmin, O.notaryAdmin],
  },
];

/** Who may record each point on the vaccine product: use reports only by its holder or the regulator. */
const PRODUCT_RIGHTS: Rights[] = [
  {
    points: [Point.Process, Point.Production],
    allowed: [O.makerAdmin, O.makerOperator, O.makerQa, O.makerDevice],
    refused: [O.maker2, O.wholesalerAdmin, O.hospitalAdmin, O.regulatorAdmin, O.laboratoryAdmin],
  },
  {
    points: [Point.Order, Point.Transport, Point.Storage],
    allowed: [],
    refused: [O.makerAdmin, O.makerDevice, O.wholesalerAdmin, O.logisticsAdmin, O.logisticsDevice, O.pharmacyAdmin, O.regulatorAdmin],
  },
  {
    points: [Point.Inspection],
    allowed: [O.regulatorAdmin, O.regulatorDevice, O.laboratoryAdmin, O.makerQa, O.makerDevice],
    refused: [O.makerAdmin, O.makerOperator, O.wholesalerQa, O.wholesalerDevice, O.pharmacyDevice, O.logisticsDevice, O.notaryAdmin],
  },
  {
    points: [Point.Efficacy, Point.Adverse],
    allowed: [O.makerAdmin, O.makerOperator, O.makerQa, O.makerDevice, O.regulatorAdmin, O.regulatorDevice],
    refused: [
      O.hospitalAdmin,
      O.pharmacyAdmin,
      O.pharmacyDevice,
      O.wholesalerAdmin,
      O.logisticsAdmin,
      O.laboratoryAdmin,
      O.maker2,
      O.notaryAdmin,
    ],
  },
];

// ==== CALLER TABLES ====

/** Who may not record a storage reading of the vaccine batch, and why. */
function observeCallerCases(): CallerCase<Ctx>[] {
  const pointNotAllowed = (title: string, pick: (c: Ctx) => Signer, party: bigint): CallerCase<Ctx> => ({
    title,
    caller: async (c) => pick(c),
    error: "QualityEnginePointNotAllowed",
    args: (c) => [c.batchId, Point.Storage, party],
  });
  return [
    ...nonMemberCases<Ctx>(),
    {
      title: "a removed member of a holder",
      caller: async (c) => {
        await c.registry.connect(c.wholesaler).removeMember(WHOLESALER, c.wholesalerQa.address);
        return c.wholesalerQa;
      },
      error: "RegistryNotMember",
      args: (c) => [c.wholesalerQa.address],
    },
    pointNotAllowed("the logistics party's admin (no link to the batch)", (c) => c.logistics, LOGISTICS),
    pointNotAllowed("the logistics party's device (no link to the batch)", (c) => c.logisticsDevice, LOGISTICS),
    pointNotAllowed("the notary's admin (no link to the batch)", (c) => c.notary, NOTARY),
    pointNotAllowed("another manufacturer's admin (no link to the batch)", (c) => c.maker2, MAKER2),
    ...standingCases<Ctx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
    ...standingCases<Ctx>(LOGISTICS, "logistics party's device", (c) => c.logisticsDevice),
  ];
}

/** Who may not set the rules of GTIN2 (never set), and why. */
function setRulesCallerCases(): CallerCase<Ctx>[] {
  return [
    ...nonMemberCases<Ctx>().filter((k) => k.title !== "the governor"),
    wrongDomain("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain("the wholesaler's qa member", (c) => c.wholesalerQa, WHOLESALER, Domain.Wholesaler),
    wrongDomain("the pharmacy's admin", (c) => c.pharmacy, PHARMACY, Domain.Pharmacy),
    wrongDomain("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
    wrongDomain("the logistics party's device", (c) => c.logisticsDevice, LOGISTICS, Domain.Logistics),
    wrongRole("the holder's qa member", (c) => c.makerQa, Role.QA),
    wrongRole("the holder's device", (c) => c.makerDevice, Role.Device),
    ...standingCases<Ctx>(MAKER, "holder's admin", (c) => c.maker),
  ];
}

/** Devices (or not) whose signature of a storage reading of the vaccine batch is refused. */
function signerCases(): CallerCase<Ctx>[] {
  return [
    { title: "a non-member", caller: async (c) => c.stranger, error: "RegistryNotMember", args: (c) => [c.stranger.address] },
    { title: "the deployer", caller: async (c) => c.deployer, error: "RegistryNotMember", args: (c) => [c.deployer.address] },
    wrongRole("the wholesaler's admin", (c) => c.wholesaler, Role.Admin),
    wrongRole("the wholesaler's qa member", (c) => c.wholesalerQa, Role.QA),
    wrongRole("the holder's operator", (c) => c.makerOperator, Role.Operator),
    {
      title: "the logistics party's device (no link to the batch)",
      caller: async (c) => c.logisticsDevice,
      error: "QualityEnginePointNotAllowed",
      args: (c) => [c.batchId, Point.Storage, LOGISTICS],
    },
    ...standingCases<Ctx>(WHOLESALER, "wholesaler's device", (c) => c.wholesalerDevice),
  ];
}

// ==== TESTS ====

describe("QualityEngine", function () {
  describe("constructor", function () {
    it("builds the engine over the registry, with no link to any other code object", async function () {
      const c = await loadFixture(engineParties);
      const registry = await c.registry.getAddress();
      const engine = (await ethers.deployContract("QualityEngine", [registry])) as unknown as QualityEngine;
      expect(await engine.registry()).to.equal(registry);
      // No fallback: a selector it does not declare reverts at its address, with no reason.
      const collab = (await ethers.getContractAt("ICollaborationEngine", await engine.getAddress())) as unknown as ICollaborationEngine;
      await expect(collab.stateGraph()).to.be.revertedWithoutReason(ethers);
    });

    it("reverts when a BatchRegistry is built over a quality engine of another registry", async function () {
      const c = await loadFixture(engineParties);
      const registry = await c.registry.getAddress();
      const [products, , collaboration, bulk] = await c.batchRegistry.modules();
      const other = await ethers.deployContract("QualityEngine", [c.stranger.address]);
      const otherAddress = await other.getAddress();
      await expect(ethers.deployContract("BatchRegistry", [registry, products, otherAddress, collaboration, bulk]))
        .to.be.revertedWithCustomError(c.batchRegistry, "MirrorRegistryChanged")
        .withArgs(otherAddress, registry);
    });
  });

  describe("observe", function () {
    describe("who may record each point on a batch", function () {
      for (const { points, allowed, refused } of BATCH_RIGHTS) {
        for (const point of points) {
          const name = POINT_NAMES[point];
          for (const who of allowed) {
            it(`records ${name} by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              const signer = who.pick(c);
              const o = observation(c.batchId, point);
              expect(await c.quality.connect(signer).observe.staticCall(o)).to.equal(2n);
              const tx = await c.quality.connect(signer).observe(o);
              await expectEvents(c.batchRegistry, tx, [observed(o, who.party, 2n, signer.address)]);
              expect((await c.batchRegistry.getBatch(c.batchId)).observations).to.equal(2n);
            });
          }
          for (const who of refused) {
            it(`reverts when ${name} is recorded by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              await expect(c.quality.connect(who.pick(c)).observe(observation(c.batchId, point)))
                .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
                .withArgs(c.batchId, point, who.party);
            });
          }
        }
      }

      describe("when the parties' stock is gone", function () {
        it("records an inspection by a qa member of the product's holder that holds none", async function () {
          const c = await loadFixture(drainedBatch);
          expect([...(await c.batchRegistry.custody(c.batchId, MAKER))]).to.deep.equal([0n, 0n, 0n, 0n, 0n, 3n]);
          const o = observation(c.batchId, Point.Inspection);
          const tx = await c.quality.connect(c.makerQa).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, MAKER, 2n, c.makerQa.address)]);
        });

        it("reverts when the holder's admin records an inspection", async function () {
          const c = await loadFixture(drainedBatch);
          await expect(c.quality.connect(c.maker).observe(observation(c.batchId, Point.Inspection)))
            .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
            .withArgs(c.batchId, Point.Inspection, MAKER);
        });

        for (const point of [Point.Order, Point.Transport, Point.Storage]) {
          it(`records ${POINT_NAMES[point]} by the product's holder, holding none`, async function () {
            const c = await loadFixture(drainedBatch);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.maker).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, MAKER, 2n, c.maker.address)]);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a pharmacy whose shipment of all it had was received`, async function () {
            const c = await loadFixture(drainedBatch);
            await expect(c.quality.connect(c.pharmacy).observe(observation(c.batchId, point)))
              .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
              .withArgs(c.batchId, point, PHARMACY);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a hospital that only has dispensed units left`, async function () {
            const c = await loadFixture(drainedBatch);
            expect([...(await c.batchRegistry.custody(c.batchId, HOSPITAL))]).to.deep.equal([0n, 0n, 1n, 0n, 0n, 1n]);
            await expect(c.quality.connect(c.hospital).observe(observation(c.batchId, point)))
              .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
              .withArgs(c.batchId, point, HOSPITAL);
          });
        }

        it("reverts when a device of a party that shipped all its stock records an inspection", async function () {
          const c = await loadFixture(drainedBatch);
          // The pharmacy's 20 reached the wholesaler: its device is no longer a linked party's.
          await expect(c.quality.connect(c.pharmacyDevice).observe(observation(c.batchId, Point.Inspection)))
            .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
            .withArgs(c.batchId, Point.Inspection, PHARMACY);
        });

        for (const point of [Point.Efficacy, Point.Adverse]) {
          it(`records ${POINT_NAMES[point]} by a hospital that dispensed some and holds none`, async function () {
            const c = await loadFixture(drainedBatch);
            expect(await c.batchRegistry.holding(c.batchId, HOSPITAL)).to.equal(0n);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.hospital).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, HOSPITAL, 2n, c.hospital.address)]);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a pharmacy that shipped all it received`, async function () {
            const c = await loadFixture(drainedBatch);
            await expect(c.quality.connect(c.pharmacy).observe(observation(c.batchId, point)))
              .to.be.revertedWithCustomError(c.quality, "QualityEngineNotDelivered")
              .withArgs(c.batchId, PHARMACY);
          });

          for (const [who, party] of [
            ["the hospital's admin", HOSPITAL],
            ["the pharmacy's admin", PHARMACY],
            ["the pharmacy's device", PHARMACY],
          ] as const) {
            it(`reverts when ${POINT_NAMES[point]} is recorded by ${who} before the batch reached it`, async function () {
              const c = await loadFixture(vaccineBatch);
              const signer = who === "the hospital's admin" ? c.hospital : who === "the pharmacy's admin" ? c.pharmacy : c.pharmacyDevice;
              await expect(c.quality.connect(signer).observe(observation(c.batchId, point)))
                .to.be.revertedWithCustomError(c.quality, "QualityEngineNotDelivered")
                .withArgs(c.batchId, party);
            });
          }
        }
      });

      describe("parties linked by stock in transit or in a suspect case", function () {
        for (const point of [Point.Order, Point.Transport, Point.Storage]) {
          it(`records ${POINT_NAMES[point]} by a sender whose whole stock is in transit`, async function () {
            const c = await loadFixture(inTransitBatch);
            expect([...(await c.batchRegistry.custody(c.batchId, PHARMACY))]).to.deep.equal([0n, 20n, 0n, 0n, 0n, 1n]);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.pharmacyDevice).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacyDevice.address)]);
          });

          it(`records ${POINT_NAMES[point]} by a party whose whole stock is in its open suspect case`, async function () {
            const c = await loadFixture(suspectBatch);
            expect([...(await c.batchRegistry.custody(c.batchId, PHARMACY))]).to.deep.equal([0n, 0n, 0n, 20n, 0n, 0n]);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.pharmacy).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacy.address)]);
          });

          it(`records ${POINT_NAMES[point]} by a logistics party that received a shipment of the batch`, async function () {
            const c = await loadFixture(carrierBatch);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.logisticsDevice).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, LOGISTICS, 2n, c.logisticsDevice.address)]);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by the addressee of a shipment still in transit to it`, async function () {
            const c = await loadFixture(toCarrierBatch);
            await expect(c.quality.connect(c.logisticsDevice).observe(observation(c.batchId, point)))
              .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
              .withArgs(c.batchId, point, LOGISTICS);
          });
        }

        it("records an inspection by a device of a sender whose whole stock is in transit", async function () {
          const c = await loadFixture(inTransitBatch);
          const o = observation(c.batchId, Point.Inspection);
          const tx = await c.quality.connect(c.pharmacyDevice).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacyDevice.address)]);
        });

        it("records an inspection by a device of a party whose stock is in its open suspect case", async function () {
          const c = await loadFixture(suspectBatch);
          const o = observation(c.batchId, Point.Inspection);
          const tx = await c.quality.connect(c.pharmacyDevice).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacyDevice.address)]);
        });

        it("records an inspection by a device of a logistics party that received a shipment of the batch", async function () {
          const c = await loadFixture(carrierBatch);
          const o = observation(c.batchId, Point.Inspection);
          const tx = await c.quality.connect(c.logisticsDevice).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, LOGISTICS, 2n, c.logisticsDevice.address)]);
        });

        for (const point of [Point.Efficacy, Point.Adverse]) {
          it(`records ${POINT_NAMES[point]} by a pharmacy whose whole stock is in transit`, async function () {
            const c = await loadFixture(inTransitBatch);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.pharmacy).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacy.address)]);
          });

          it(`records ${POINT_NAMES[point]} by a pharmacy whose whole stock is in its open suspect case`, async function () {
            const c = await loadFixture(suspectBatch);
            const o = observation(c.batchId, point);
            const tx = await c.quality.connect(c.pharmacy).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacy.address)]);
          });
        }
      });
    });

    describe("who may record each point on a product", function () {
      for (const { points, allowed, refused } of PRODUCT_RIGHTS) {
        for (const point of points) {
          const name = POINT_NAMES[point];
          for (const who of allowed) {
            it(`records ${name} by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              const signer = who.pick(c);
              const subject = productSubject(GTIN);
              const o = observation(subject, point);
              expect(await c.quality.connect(signer).observe.staticCall(o)).to.equal(1n);
              const tx = await c.quality.connect(signer).observe(o);
              await expectEvents(c.batchRegistry, tx, [observed(o, who.party, 1n, signer.address)]);
              expect(await observationsOf(c, subject)).to.equal(1n);
            });
          }
          for (const who of refused) {
            it(`reverts when ${name} is recorded by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              const subject = productSubject(GTIN);
              await expect(c.quality.connect(who.pick(c)).observe(observation(subject, point)))
                .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
                .withArgs(subject, point, who.party);
            });
          }
        }
      }
    });

    describe("numbering", function () {
      it("numbers a batch's observations from its count on, in getBatch and subjectRecord", async function () {
        const c = await loadFixture(engineParties);
        expect((await c.batchRegistry.getBatch(c.batchId)).observations).to.equal(1n);
        const o = goodReading(c);
        for (const seq of [2n, 3n, 4n]) {
          const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, seq, c.wholesalerDevice.address)]);
        }
        expect((await c.batchRegistry.getBatch(c.batchId)).observations).to.equal(4n);
        expect(await observationsOf(c, c.batchId)).to.equal(4n);
      });

      it("numbers each subject on its own: batches, other batches and products", async function () {
        const c = await loadFixture(engineParties);
        const product = productSubject(GTIN);
        await c.quality.connect(c.makerQa).observe(observation(product, Point.Process));
        await c.quality.connect(c.makerQa).observe(observation(c.plainBatchId, Point.Production));
        await c.quality.connect(c.makerQa).observe(observation(product, Point.Production));
        const o = observation(c.batchId, Point.Production);
        const tx = await c.quality.connect(c.makerQa).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, MAKER, 2n, c.makerQa.address)]);
        expect(await observationsOf(c, product)).to.equal(2n);
        expect(await observationsOf(c, c.plainBatchId)).to.equal(1n);
        expect((await c.batchRegistry.getBatch(c.plainBatchId)).observations).to.equal(1n);
        expect(await observationsOf(c, c.batchId)).to.equal(2n);
        expect(await observationsOf(c, productSubject(GTIN2))).to.equal(0n);
      });

      it("does not use a number for an observation that reverts", async function () {
        const c = await loadFixture(engineParties);
        await expect(c.quality.connect(c.logistics).observe(observation(c.batchId, Point.Storage)))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(c.batchId, Point.Storage, LOGISTICS);
        const o = goodReading(c);
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address)]);
      });
    });

    describe("annotations and corrections", function () {
      it("emits no ObservationAnnotated without correction or evidence", async function () {
        const c = await loadFixture(engineParties);
        const o = goodReading(c);
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address)]);
      });

      const annotations: [string, Partial<Observation>][] = [
        ["a correction", { corrects: 1n }],
        ["an evidence hash", { evidenceHash: ethers.id("logger export") }],
        ["an evidence uri", { evidenceUri: "ipfs://bafy-logger-export" }],
        ["all three", { corrects: 1n, evidenceHash: ethers.id("lab report"), evidenceUri: "https://lab.example/r/1" }],
      ];
      for (const [title, overrides] of annotations) {
        it(`emits ObservationAnnotated after Observed for ${title}`, async function () {
          const c = await loadFixture(engineParties);
          const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 500n, humidity: 4000n, ...overrides });
          const tx = await c.quality.connect(c.wholesaler).observe(o);
          await expectEvents(c.batchRegistry, tx, [
            observed(o, WHOLESALER, 2n, c.wholesaler.address),
            ["ObservationAnnotated", [c.batchId, 2n, o.corrects, o.evidenceHash, o.evidenceUri]],
          ]);
        });
      }

      it("accepts a correction of the latest observation", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.wholesaler).observe(goodReading(c));
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 450n, corrects: 2n });
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 3n, c.wholesaler.address),
          ["ObservationAnnotated", [c.batchId, 3n, 2n, ethers.ZeroHash, ""]],
        ]);
      });

      it("reverts when a batch observation corrects itself", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { corrects: 2n });
        await expect(c.quality.connect(c.wholesaler).observe(o))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidCorrection")
          .withArgs(c.batchId, 2n, 1n);
      });

      it("reverts when a batch observation corrects a later one", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { corrects: 7n });
        await expect(c.quality.connect(c.wholesaler).observe(o))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidCorrection")
          .withArgs(c.batchId, 7n, 1n);
      });

      it("reverts when a product's first observation corrects anything", async function () {
        const c = await loadFixture(engineParties);
        const subject = productSubject(GTIN);
        await expect(c.quality.connect(c.maker).observe(observation(subject, Point.Process, Result.Normal, { corrects: 1n })))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidCorrection")
          .withArgs(subject, 1n, 0n);
      });
    });

    describe("measures", function () {
      for (const humidity of [0n, 10000n, NO_HUMIDITY]) {
        it(`accepts a humidity of ${humidity}`, async function () {
          const c = await loadFixture(classifyingRules);
          const o = observation(c.batchId, Point.Order, Result.Normal, { humidity });
          const tx = await c.quality.connect(c.wholesaler).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address)]);
        });
      }

      for (const humidity of [10001n, 20000n, 65534n]) {
        it(`reverts when the humidity is ${humidity}`, async function () {
          const c = await loadFixture(engineParties);
          const o = observation(c.batchId, Point.Storage, Result.Normal, { humidity });
          await expect(c.quality.connect(c.wholesaler).observe(o))
            .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity")
            .withArgs(humidity);
        });
      }

      it("reverts when the batch subject is unknown", async function () {
        const c = await loadFixture(engineParties);
        const subject = batchIdOf(GTIN, "NO-SUCH-LOT");
        await expect(c.quality.connect(c.regulator).observe(observation(subject, Point.Inspection)))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(subject);
      });

      it("reverts when the product subject is unknown", async function () {
        const c = await loadFixture(engineParties);
        const subject = productSubject(UNKNOWN_GTIN);
        await expect(c.quality.connect(c.regulator).observe(observation(subject, Point.Inspection)))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(subject);
      });

      it("reverts when the subject is zero", async function () {
        const c = await loadFixture(engineParties);
        await expect(c.quality.connect(c.regulator).observe(observation(ethers.ZeroHash, Point.Inspection)))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(ethers.ZeroHash);
      });
    });

    describe("classification", function () {
      // Vaccine ranges: storage 2–8 °C, ≤ 65 %; transport 2–8 °C, no humidity bound. No stop.
      const cases: [point: number, temperature: bigint, humidity: bigint, submitted: number, expected: number][] = [
        [Point.Storage, 500n, 4000n, Result.Normal, Result.Normal],
        [Point.Storage, 200n, 6500n, Result.Normal, Result.Normal],
        [Point.Storage, 800n, 0n, Result.Normal, Result.Normal],
        [Point.Storage, 199n, 4000n, Result.Normal, Result.Critical],
        [Point.Storage, 801n, 4000n, Result.Normal, Result.Critical],
        [Point.Storage, -32767n, NO_HUMIDITY, Result.Normal, Result.Critical],
        [Point.Storage, 32767n, NO_HUMIDITY, Result.Normal, Result.Critical],
        [Point.Storage, 500n, 6501n, Result.Normal, Result.Critical],
        [Point.Storage, NO_TEMPERATURE, 6501n, Result.Normal, Result.Critical],
        [Point.Storage, NO_TEMPERATURE, 6500n, Result.Normal, Result.Normal],
        [Point.Storage, 500n, NO_HUMIDITY, Result.Normal, Result.Normal],
        [Point.Storage, NO_TEMPERATURE, NO_HUMIDITY, Result.Normal, Result.Normal],
        [Point.Storage, 500n, 4000n, Result.Deviation, Result.Deviation],
        [Point.Storage, 500n, 4000n, Result.Critical, Result.Critical],
        [Point.Storage, 900n, 4000n, Result.Deviation, Result.Critical],
        [Point.Transport, 200n, 10000n, Result.Normal, Result.Normal],
        [Point.Transport, 800n, 10000n, Result.Normal, Result.Normal],
        [Point.Transport, 199n, NO_HUMIDITY, Result.Normal, Result.Critical],
        [Point.Transport, 801n, 0n, Result.Normal, Result.Critical],
        [Point.Transport, NO_TEMPERATURE, 10000n, Result.Normal, Result.Normal],
        [Point.Order, 2000n, 9000n, Result.Normal, Result.Normal],
        [Point.Order, 2000n, 9000n, Result.Deviation, Result.Deviation],
      ];
      for (const [point, temperature, humidity, submitted, expected] of cases) {
        it(`classifies ${POINT_NAMES[point]} at ${temperature} / ${humidity} submitted ${submitted} as ${expected}`, async function () {
          const c = await loadFixture(classifyingRules);
          const o = observation(c.batchId, point, submitted, { temperature, humidity });
          const tx = await c.quality.connect(c.wholesaler).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address, expected)]);
        });
      }

      for (const point of [Point.Inspection, Point.Efficacy]) {
        it(`does not classify measures at ${POINT_NAMES[point]}`, async function () {
          const c = await loadFixture(classifyingRules);
          const o = observation(c.batchId, point, Result.Normal, { temperature: 3000n, humidity: 9000n });
          const tx = await c.quality.connect(c.pharmacyDevice).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, 2n, c.pharmacyDevice.address)]);
        });
      }

      it("never classifies observations of a product whose rules were never set", async function () {
        const c = await loadFixture(engineParties);
        for (const [point, seq] of [
          [Point.Storage, 1n],
          [Point.Transport, 2n],
        ] as const) {
          const o = observation(c.plainBatchId, point, Result.Normal, { temperature: -32767n, humidity: 10000n });
          const tx = await c.quality.connect(c.maker).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, MAKER, seq, c.maker.address)]);
        }
      });

      it("leaves open bounds open", async function () {
        const c = await loadFixture(engineParties);
        const open = { minTemperature: NO_MIN, maxTemperature: NO_MAX, maxHumidity: NO_MAX_HUMIDITY };
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ storageRange: open, transportRange: open }));
        let seq = 2n;
        for (const [temperature, humidity] of [
          [-32767n, 10000n],
          [32767n, 0n],
        ]) {
          for (const point of [Point.Storage, Point.Transport]) {
            const o = observation(c.batchId, point, Result.Normal, { temperature, humidity });
            const tx = await c.quality.connect(c.wholesaler).observe(o);
            await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, seq, c.wholesaler.address)]);
            seq += 1n;
          }
        }
      });

      const frozen: [temperature: bigint, humidity: bigint, expected: number][] = [
        [-2500n, 10000n, Result.Normal],
        [-1500n, 0n, Result.Normal],
        [-2000n, 10000n, Result.Normal],
        [-2501n, NO_HUMIDITY, Result.Critical],
        [-1499n, NO_HUMIDITY, Result.Critical],
        [500n, NO_HUMIDITY, Result.Critical],
      ];
      for (const [temperature, humidity, expected] of frozen) {
        it(`classifies storage at ${temperature} / ${humidity} against a negative range (−25 to −15 °C, ≤ 100 %) as ${expected}`, async function () {
          const c = await loadFixture(engineParties);
          await c.quality.connect(c.gov).setRules(
            GTIN,
            vaccineRules({ storageRange: { minTemperature: -2500n, maxTemperature: -1500n, maxHumidity: 100n }, stopOnCritical: 0n }),
          );
          const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature, humidity });
          const tx = await c.quality.connect(c.wholesaler).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address, expected)]);
        });
      }

      it("classifies each point against its own range", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.gov).setRules(
          GTIN,
          vaccineRules({
            storageRange: { minTemperature: 1500n, maxTemperature: 2500n, maxHumidity: 60n },
            transportRange: { minTemperature: 200n, maxTemperature: 800n, maxHumidity: 90n },
            stopOnCritical: 0n,
          }),
        );
        const storage = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 500n, humidity: 8000n });
        const transport = observation(c.batchId, Point.Transport, Result.Normal, { temperature: 500n, humidity: 8000n });
        const storage2 = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 2000n, humidity: 5000n });
        const transport2 = observation(c.batchId, Point.Transport, Result.Normal, { temperature: 2000n, humidity: 9001n });
        const tx = await c.quality.connect(c.wholesaler).observeMany([storage, transport, storage2, transport2]);
        await expectEvents(c.batchRegistry, tx, [
          observed(storage, WHOLESALER, 2n, c.wholesaler.address, Result.Critical),
          observed(transport, WHOLESALER, 3n, c.wholesaler.address, Result.Normal),
          observed(storage2, WHOLESALER, 4n, c.wholesaler.address, Result.Normal),
          observed(transport2, WHOLESALER, 5n, c.wholesaler.address, Result.Critical),
        ]);
      });
    });

    describe("inspection flag", function () {
      it("sets the batch's inspected flag on a normal inspection", async function () {
        const c = await loadFixture(vaccineBatch);
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
        await c.quality.connect(c.makerQa).observe(observation(c.batchId, Point.Inspection));
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
      });

      for (const result of [Result.Deviation, Result.Critical]) {
        it(`clears the batch's inspected flag on an inspection with result ${result}`, async function () {
          const c = await loadFixture(engineParties);
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
          await c.quality.connect(c.laboratory).observe(observation(c.batchId, Point.Inspection, result));
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
          await c.quality.connect(c.laboratory).observe(observation(c.batchId, Point.Inspection, Result.Normal));
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
        });
      }

      it("leaves the flag alone for other points", async function () {
        const c = await loadFixture(classifyingRules);
        for (const point of [Point.Process, Point.Production, Point.Order, Point.Storage, Point.Transport]) {
          await c.quality.connect(c.makerDevice).observe(observation(c.batchId, point, Result.Critical));
        }
        await c.quality.connect(c.pharmacy).observe(observation(c.batchId, Point.Adverse, Result.Critical));
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
      });

      it("leaves batches' flags alone for an inspection of their product", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.laboratory).observe(observation(productSubject(GTIN), Point.Inspection, Result.Deviation));
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
      });
    });

    describe("critical-observation rule", function () {
      it("stops a batch on a storage reading outside its range, recorded by the wholesaler's device", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, WHOLESALER, c.wholesalerDevice.address),
        ]);
        const record = await c.collaboration.subjectRecord(c.batchId);
        expect([record.state, record.effectiveState, record.reached]).to.deep.equal([
          BigInt(State.EmergencyStop),
          BigInt(State.EmergencyStop),
          BigInt((1 << State.Marketed) | (1 << State.EmergencyStop)),
        ]);
      });

      it("stops a batch on a transport reading outside its range, recorded by the device of a logistics party that holds some", async function () {
        const c = await loadFixture(carrierBatch);
        const o = observation(c.batchId, Point.Transport, Result.Normal, { temperature: 150n });
        const tx = await c.quality.connect(c.logisticsDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, LOGISTICS, 2n, c.logisticsDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, LOGISTICS, c.logisticsDevice.address),
        ]);
      });

      it("stops a batch on an inspection submitted as critical", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Inspection, Result.Critical);
        const tx = await c.quality.connect(c.laboratory).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, LABORATORY, 2n, c.laboratory.address),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, LABORATORY, c.laboratory.address),
        ]);
      });

      it("fires without a state change when the batch is already stopped", async function () {
        const c = await loadFixture(stoppedBatch);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
      });

      it("fires once per critical observation, stopping only on the first", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        await c.quality.connect(c.wholesalerDevice).observe(o);
        const tx = await c.quality.connect(c.pharmacyDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, PHARMACY, 3n, c.pharmacyDevice.address, Result.Critical),
          ruleFired(c.batchId, 3n, RuleKind.CriticalObservation),
        ]);
      });

      for (const point of [Point.Process, Point.Production, Point.Order, Point.Efficacy, Point.Adverse]) {
        it(`does nothing for a critical ${POINT_NAMES[point]} observation (not in the mask)`, async function () {
          const c = await loadFixture(engineParties);
          const signer = point >= Point.Efficacy ? c.pharmacy : c.maker;
          const party = point >= Point.Efficacy ? PHARMACY : MAKER;
          const o = observation(c.batchId, point, Result.Critical);
          const tx = await c.quality.connect(signer).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, party, 2n, signer.address)]);
          expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
        });
      }

      it("does nothing for a deviation at a point in the mask", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Deviation, { temperature: 500n });
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address)]);
      });

      it("does nothing when no point is in the mask", async function () {
        const c = await loadFixture(classifyingRules);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical)]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("stops on a point added to the mask by the governor, declared critical by the holder", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ stopOnCritical: 1n << BigInt(Point.Order) }));
        const o = observation(c.batchId, Point.Order, Result.Critical);
        const tx = await c.quality.connect(c.maker).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, MAKER, 2n, c.maker.address),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, MAKER, c.maker.address),
        ]);
      });

      it("stops the product on a critical adverse signal the regulator records on it, with Adverse in the mask", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ stopOnCritical: 1n << BigInt(Point.Adverse) }));
        const subject = productSubject(GTIN);
        const o = observation(subject, Point.Adverse, Result.Critical);
        const tx = await c.quality.connect(c.regulatorDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, REGULATOR, 1n, c.regulatorDevice.address),
          ruleFired(subject, 1n, RuleKind.CriticalObservation),
          ruleStopped(subject, REGULATOR, c.regulatorDevice.address),
        ]);
      });

      it("records, without firing, a critical adverse reaction a hospital declares, with Adverse in the mask", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ stopOnCritical: 1n << BigInt(Point.Adverse) }));
        const o = observation(c.batchId, Point.Adverse, Result.Critical);
        const tx = await c.quality.connect(c.hospital).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, HOSPITAL, 2n, c.hospital.address)]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("stops a product on a critical inspection of the product, and with it its batches", async function () {
        const c = await loadFixture(engineParties);
        const subject = productSubject(GTIN);
        const o = observation(subject, Point.Inspection, Result.Critical);
        const tx = await c.quality.connect(c.regulator).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, REGULATOR, 1n, c.regulator.address),
          ruleFired(subject, 1n, RuleKind.CriticalObservation),
          ruleStopped(subject, REGULATOR, c.regulator.address),
        ]);
        expect((await c.collaboration.subjectRecord(subject)).state).to.equal(State.EmergencyStop);
        const batch = await c.collaboration.subjectRecord(c.batchId);
        expect([batch.state, batch.effectiveState]).to.deep.equal([BigInt(State.Marketed), BigInt(State.EmergencyStop)]);
        await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(c.batchId, State.EmergencyStop);
      });

      it("stops into the graph's first state rules may enter", async function () {
        const c = await loadFixture(engineParties);
        const regulator = 1 << Actor.Regulator;
        const holder = 1 << Actor.Holder;
        const rule = 1 << Actor.Rule;
        const def = (name: string, actors: number, from: number, halts: boolean): ICollaborationEngine.StateDefStruct => ({
          name: ethers.encodeBytes32String(name).slice(0, 34),
          kind: StateKind.Plain,
          halts,
          actors,
          scope: 3,
          from,
          prerequisites: 0,
        });
        await c.collaboration.connect(c.gov).configureGraph([
          def("Open", regulator, 0b110, false),
          def("Hold", regulator | holder, 0b001, true),
          def("Quarantine", regulator | rule, 0b011, true),
        ]);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, 2),
          ["StateChanged", [c.batchId, 2n, 0n, Actor.Rule, WHOLESALER, c.wholesalerDevice.address, ""]],
        ]);
      });

      it("fires without a state change when the graph lets no rule act", async function () {
        const c = await loadFixture(engineParties);
        const regulator = 1 << Actor.Regulator;
        await c.collaboration.connect(c.gov).configureGraph([
          { name: ethers.encodeBytes32String("Open").slice(0, 34), kind: StateKind.Plain, halts: false, actors: regulator, scope: 3, from: 2, prerequisites: 0 },
          { name: ethers.encodeBytes32String("Hold").slice(0, 34), kind: StateKind.Plain, halts: true, actors: regulator, scope: 3, from: 1, prerequisites: 0 },
        ]);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, NO_STATE),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(0n);
      });
    });

    describe("declared critical results", function () {
      // The vaccine stops on critical storage, transport and inspection results. A critical
      // result stops the batch only when the product's holder, a laboratory or the regulator
      // records it, or when a device measured a value outside the limits. What another
      // party declares, or what a person of that party types, is recorded and stops nothing.
      const unmeasured: [string, Partial<Observation>][] = [
        ["no measures", {}],
        ["measures within the limits", { temperature: 500n, humidity: 4000n }],
      ];
      const others: [string, (c: Ctx) => HardhatEthersSigner, bigint, () => Promise<Ctx>][] = [
        ["the wholesaler's admin (a holder)", (c) => c.wholesaler, WHOLESALER, engineParties],
        ["the pharmacy's device (a holder)", (c) => c.pharmacyDevice, PHARMACY, engineParties],
        ["the device of a logistics party that holds some", (c) => c.logisticsDevice, LOGISTICS, carrierBatch],
        ["the pharmacy, whose stock is all in transit", (c) => c.pharmacy, PHARMACY, inTransitBatch],
      ];
      for (const point of [Point.Storage, Point.Transport]) {
        for (const [measures, overrides] of unmeasured) {
          for (const [who, pick, party, fixture] of others) {
            it(`records a critical ${POINT_NAMES[point]} result with ${measures} declared by ${who}, firing nothing`, async function () {
              const c = await loadFixture(fixture);
              const signer = pick(c);
              const o = observation(c.batchId, point, Result.Critical, overrides);
              const tx = await c.quality.connect(signer).observe(o);
              await expectEvents(c.batchRegistry, tx, [observed(o, party, 2n, signer.address)]);
              const record = await c.collaboration.subjectRecord(c.batchId);
              expect([record.state, record.effectiveState, record.observations]).to.deep.equal([
                BigInt(State.Marketed),
                BigInt(State.Marketed),
                2n,
              ]);
            });
          }
        }

        const people: [string, (c: Ctx) => HardhatEthersSigner, bigint, () => Promise<Ctx>][] = [
          ["the wholesaler's admin (a holder)", (c) => c.wholesaler, WHOLESALER, engineParties],
          ["the wholesaler's qa member (a holder)", (c) => c.wholesalerQa, WHOLESALER, engineParties],
          ["the pharmacy's admin (a holder)", (c) => c.pharmacy, PHARMACY, engineParties],
          ["the admin of a logistics party that holds some", (c) => c.logistics, LOGISTICS, carrierBatch],
          ["the pharmacy, whose stock is all in transit", (c) => c.pharmacy, PHARMACY, inTransitBatch],
        ];
        for (const [submittedName, submitted] of [["Normal", Result.Normal], ["Critical", Result.Critical]] as const) {
          for (const [who, pick, party, fixture] of people) {
            it(`records a ${POINT_NAMES[point]} measure outside the limits, submitted ${submittedName}, typed by ${who} as critical, firing nothing`, async function () {
              const c = await loadFixture(fixture);
              const signer = pick(c);
              const o = observation(c.batchId, point, submitted, { temperature: 150n });
              const tx = await c.quality.connect(signer).observe(o);
              await expectEvents(c.batchRegistry, tx, [observed(o, party, 2n, signer.address, Result.Critical)]);
              const record = await c.collaboration.subjectRecord(c.batchId);
              expect([record.state, record.effectiveState, record.observations]).to.deep.equal([
                BigInt(State.Marketed),
                BigInt(State.Marketed),
                2n,
              ]);
            });
          }
        }

        const devices: [string, (c: Ctx) => HardhatEthersSigner, bigint, () => Promise<Ctx>][] = [
          ["the wholesaler's device", (c) => c.wholesalerDevice, WHOLESALER, engineParties],
          ["the pharmacy's device", (c) => c.pharmacyDevice, PHARMACY, engineParties],
          ["the device of a logistics party that holds some", (c) => c.logisticsDevice, LOGISTICS, carrierBatch],
          ["the pharmacy's device, whose stock is all in transit", (c) => c.pharmacyDevice, PHARMACY, inTransitBatch],
        ];
        for (const [who, pick, party, fixture] of devices) {
          it(`stops the batch on a critical ${POINT_NAMES[point]} result with a measure outside the limits recorded by ${who}`, async function () {
            const c = await loadFixture(fixture);
            const signer = pick(c);
            const o = observation(c.batchId, point, Result.Critical, { temperature: 150n });
            const tx = await c.quality.connect(signer).observe(o);
            await expectEvents(c.batchRegistry, tx, [
              observed(o, party, 2n, signer.address),
              ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
              ruleStopped(c.batchId, party, signer.address),
            ]);
            expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
          });
        }

        it(`stops the batch on a ${POINT_NAMES[point]} measure outside the limits, signed by the wholesaler's device and relayed by a stranger`, async function () {
          const c = await loadFixture(engineParties);
          const o = observation(c.batchId, point, Result.Normal, { temperature: 150n });
          const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
          const tx = await c.quality.connect(c.stranger).observeSigned([signed]);
          await expectEvents(c.batchRegistry, tx, [
            observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
            ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
            ruleStopped(c.batchId, WHOLESALER, c.stranger.address),
            relayed(c.wholesalerDevice.address, c.stranger.address, 0n, 1n),
          ]);
        });

        for (const [who, pick, party] of [
          ["the holder's operator", (c: Ctx) => c.makerOperator, MAKER],
          ["the holder's qa member", (c: Ctx) => c.makerQa, MAKER],
        ] as const) {
          it(`stops the batch on a ${POINT_NAMES[point]} measure outside the limits typed by ${who}`, async function () {
            const c = await loadFixture(engineParties);
            const signer = pick(c);
            const o = observation(c.batchId, point, Result.Normal, { temperature: 150n });
            const tx = await c.quality.connect(signer).observe(o);
            await expectEvents(c.batchRegistry, tx, [
              observed(o, party, 2n, signer.address, Result.Critical),
              ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
              ruleStopped(c.batchId, party, signer.address),
            ]);
          });
        }

        for (const [who, pick, party] of [
          ["the holder's admin", (c: Ctx) => c.maker, MAKER],
          ["the holder's operator", (c: Ctx) => c.makerOperator, MAKER],
          ["the holder's device", (c: Ctx) => c.makerDevice, MAKER],
          ["the laboratory's admin", (c: Ctx) => c.laboratory, LABORATORY],
          ["the regulator's admin", (c: Ctx) => c.regulator, REGULATOR],
          ["the regulator's device", (c: Ctx) => c.regulatorDevice, REGULATOR],
        ] as const) {
          it(`stops the batch on a critical ${POINT_NAMES[point]} result with no measures declared by ${who}`, async function () {
            const c = await loadFixture(engineParties);
            const signer = pick(c);
            const o = observation(c.batchId, point, Result.Critical);
            const tx = await c.quality.connect(signer).observe(o);
            await expectEvents(c.batchRegistry, tx, [
              observed(o, party, 2n, signer.address),
              ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
              ruleStopped(c.batchId, party, signer.address),
            ]);
            expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
          });
        }
      }

      it("stops the batch on a storage humidity above the limit, declared normal by the pharmacy's device", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { humidity: 6501n });
        const tx = await c.quality.connect(c.pharmacyDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, PHARMACY, 2n, c.pharmacyDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, PHARMACY, c.pharmacyDevice.address),
        ]);
      });

      for (const [who, pick, party] of [
        ["the wholesaler's qa member", (c: Ctx) => c.wholesalerQa, WHOLESALER],
        ["the pharmacy's device", (c: Ctx) => c.pharmacyDevice, PHARMACY],
      ] as const) {
        it(`records a critical inspection declared by ${who}, firing nothing`, async function () {
          const c = await loadFixture(engineParties);
          const signer = pick(c);
          const o = observation(c.batchId, Point.Inspection, Result.Critical);
          const tx = await c.quality.connect(signer).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, party, 2n, signer.address)]);
          expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
          // The failed inspection still clears the release flag.
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
        });
      }

      for (const [who, pick, party] of [
        ["the holder's qa member", (c: Ctx) => c.makerQa, MAKER],
        ["the laboratory's admin", (c: Ctx) => c.laboratory, LABORATORY],
        ["the regulator's device", (c: Ctx) => c.regulatorDevice, REGULATOR],
      ] as const) {
        it(`stops the batch on a critical inspection declared by ${who}`, async function () {
          const c = await loadFixture(engineParties);
          const signer = pick(c);
          const o = observation(c.batchId, Point.Inspection, Result.Critical);
          const tx = await c.quality.connect(signer).observe(o);
          await expectEvents(c.batchRegistry, tx, [
            observed(o, party, 2n, signer.address),
            ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
            ruleStopped(c.batchId, party, signer.address),
          ]);
        });
      }

      it("records a signed critical storage result declared by the wholesaler's device, firing nothing", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Storage, Result.Critical);
        const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
        const tx = await c.quality.connect(c.stranger).observeSigned([signed]);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address),
          relayed(c.wholesalerDevice.address, c.stranger.address, 0n, 1n),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("reverts when a logistics device with no link to the batch declares a critical transport result, leaving it marketed", async function () {
        const c = await loadFixture(engineParties);
        const o = observation(c.batchId, Point.Transport, Result.Critical, { temperature: 150n });
        await expect(c.quality.connect(c.logisticsDevice).observe(o))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(c.batchId, Point.Transport, LOGISTICS);
        const signed = await signObservation(c.logisticsDevice, c.engineAddress, o, 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSigned([signed]))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(c.batchId, Point.Transport, LOGISTICS);
        const record = await c.collaboration.subjectRecord(c.batchId);
        expect([record.state, record.observations]).to.deep.equal([BigInt(State.Marketed), 1n]);
      });
    });

    describe("adverse-count rule", function () {
      // adverseRules: 3 distinct reporting parties within an hour stop the batch. Eight users
      // hold some: the pharmacy (6), the hospital (4) and the extra pharmacies (10..15).
      const adverse = (c: Ctx) => observation(c.batchId, Point.Adverse);

      /** Each of `signers` reports an adverse reaction of the batch, in order, each in its own transaction. */
      async function reportAll(c: Ctx, signers: Signer[]): Promise<void> {
        for (const signer of signers) await c.quality.connect(signer).observe(adverse(c));
      }

      it(`stops the batch on the report of the ${ADVERSE_COUNT}rd distinct party within the window`, async function () {
        const c = await loadFixture(adverseRules);
        await reportAll(c, [c.pharmacy, c.hospital]);
        const o = adverse(c);
        const tx = await c.quality.connect(c.extra[0]).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, EXTRA_PHARMACIES[0], 4n, c.extra[0].address),
          ruleFired(c.batchId, 4n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, EXTRA_PHARMACIES[0], c.extra[0].address),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
      });

      it("never fires on one party's reports, however many, within the window", async function () {
        const c = await loadFixture(adverseRules);
        for (let seq = 2n; seq < 12n; ++seq) {
          const o = adverse(c);
          const tx = await c.quality.connect(c.pharmacy).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, PHARMACY, seq, c.pharmacy.address)]);
        }
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("never fires on one party's reports sent in one observeMany", async function () {
        const c = await loadFixture(adverseRules);
        const o = adverse(c);
        const tx = await c.quality.connect(c.pharmacy).observeMany([o, o, o, o, o]);
        await expectEvents(
          c.batchRegistry,
          tx,
          [2n, 3n, 4n, 5n, 6n].map((seq) => observed(o, PHARMACY, seq, c.pharmacy.address)),
        );
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("counts a party's admin and device as one reporter", async function () {
        const c = await loadFixture(adverseRules);
        await reportAll(c, [c.pharmacy, c.pharmacyDevice]);
        const o = adverse(c);
        const tx = await c.quality.connect(c.hospital).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, HOSPITAL, 4n, c.hospital.address)]);
      });

      it("never fires on two parties' alternating reports", async function () {
        const c = await loadFixture(adverseRules);
        for (let seq = 2n; seq < 10n; ++seq) {
          const [signer, party] = seq % 2n === 0n ? [c.pharmacy, PHARMACY] : [c.hospital, HOSPITAL];
          const o = adverse(c);
          const tx = await c.quality.connect(signer).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, party, seq, signer.address)]);
        }
      });

      it("fires when the oldest counted party's report is exactly the window old", async function () {
        const c = await loadFixture(adverseRules);
        await c.quality.connect(c.pharmacy).observe(adverse(c));
        const first = BigInt(await time.latest());
        await c.quality.connect(c.hospital).observe(adverse(c));
        await time.setNextBlockTimestamp(first + ADVERSE_WINDOW);
        const o = adverse(c);
        const tx = await c.quality.connect(c.extra[0]).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, EXTRA_PHARMACIES[0], 4n, c.extra[0].address),
          ruleFired(c.batchId, 4n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, EXTRA_PHARMACIES[0], c.extra[0].address),
        ]);
      });

      it("does not fire when the oldest counted party reported more than the window ago, and fires once enough recent parties reported", async function () {
        const c = await loadFixture(adverseRules);
        await c.quality.connect(c.pharmacy).observe(adverse(c));
        const first = BigInt(await time.latest());
        await time.setNextBlockTimestamp(first + 100n);
        await c.quality.connect(c.hospital).observe(adverse(c));
        await time.setNextBlockTimestamp(first + ADVERSE_WINDOW + 1n);
        const late = adverse(c);
        const tx = await c.quality.connect(c.extra[0]).observe(late);
        await expectEvents(c.batchRegistry, tx, [observed(late, EXTRA_PHARMACIES[0], 4n, c.extra[0].address)]);
        // The hospital's, the first extra pharmacy's and this one fall within an hour.
        const fourth = adverse(c);
        const fired = await c.quality.connect(c.extra[1]).observe(fourth);
        await expectEvents(c.batchRegistry, fired, [
          observed(fourth, EXTRA_PHARMACIES[1], 5n, c.extra[1].address),
          ruleFired(c.batchId, 5n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, EXTRA_PHARMACIES[1], c.extra[1].address),
        ]);
      });

      it("counts a party that reports again once", async function () {
        const c = await loadFixture(adverseRules);
        await reportAll(c, [c.pharmacy, c.hospital]);
        const again = adverse(c);
        const tx = await c.quality.connect(c.pharmacy).observe(again);
        await expectEvents(c.batchRegistry, tx, [observed(again, PHARMACY, 4n, c.pharmacy.address)]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("counts a party at its latest report: its new report completes a count its first could not", async function () {
        const c = await loadFixture(adverseRules);
        await c.quality.connect(c.pharmacy).observe(adverse(c));
        const first = BigInt(await time.latest());
        await time.setNextBlockTimestamp(first + 100n);
        await c.quality.connect(c.hospital).observe(adverse(c));
        await time.setNextBlockTimestamp(first + ADVERSE_WINDOW + 1n);
        await c.quality.connect(c.extra[0]).observe(adverse(c));
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
        const o = adverse(c);
        const tx = await c.quality.connect(c.pharmacy).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, PHARMACY, 5n, c.pharmacy.address),
          ruleFired(c.batchId, 5n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, PHARMACY, c.pharmacy.address),
        ]);
      });

      it("does not fire when distinct parties' reports are spread over more than the window", async function () {
        const c = await loadFixture(adverseRules);
        const reporters: [Signer, bigint][] = [
          [c.pharmacy, PHARMACY],
          [c.hospital, HOSPITAL],
          ...c.extra.slice(0, 3).map((signer, i): [Signer, bigint] => [signer, EXTRA_PHARMACIES[i]]),
        ];
        let seq = 2n;
        for (const [signer, party] of reporters) {
          const o = adverse(c);
          const tx = await c.quality.connect(signer).observe(o);
          await expectEvents(c.batchRegistry, tx, [observed(o, party, seq, await signer.getAddress())]);
          seq += 1n;
          await time.increase(ADVERSE_WINDOW / 2n + 1n);
        }
      });

      it("counts adverse reactions only, not efficacy observations", async function () {
        const c = await loadFixture(adverseRules);
        await c.quality.connect(c.pharmacy).observe(adverse(c));
        await c.quality.connect(c.hospital).observe(observation(c.batchId, Point.Efficacy, Result.Critical));
        await c.quality.connect(c.hospital).observe(observation(c.batchId, Point.Efficacy));
        const o = adverse(c);
        const tx = await c.quality.connect(c.extra[0]).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, EXTRA_PHARMACIES[0], 5n, c.extra[0].address)]);
      });

      it("never counts the reactions the holder and the regulator record on the product", async function () {
        const c = await loadFixture(adverseRules);
        const product = productSubject(GTIN);
        for (const signer of [c.maker, c.regulator, c.makerQa]) await c.quality.connect(signer).observe(observation(product, Point.Adverse));
        await c.quality.connect(c.pharmacy).observe(adverse(c));
        const o = adverse(c);
        const tx = await c.quality.connect(c.hospital).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, HOSPITAL, 3n, c.hospital.address)]);
        expect((await c.collaboration.subjectRecord(product)).state).to.equal(State.Marketed);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("fires on the first reaction with a count of 1", async function () {
        const c = await loadFixture(engineParties);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ adverseCount: 1n, adverseWindow: 1n }));
        const o = adverse(c);
        const tx = await c.quality.connect(c.hospital).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, HOSPITAL, 2n, c.hospital.address),
          ruleFired(c.batchId, 2n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, HOSPITAL, c.hospital.address),
        ]);
      });

      it("fires on the 8th distinct party with a count of 8, not on the 7th, whatever the repeats", async function () {
        const c = await loadFixture(userParties);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ adverseCount: 8n, adverseWindow: 1000n }));
        // Seven parties, the pharmacy three times: seven reporters.
        await reportAll(c, [c.pharmacy, c.pharmacy, c.hospital, c.pharmacyDevice, ...c.extra.slice(0, 4)]);
        const seventh = adverse(c);
        const tx7 = await c.quality.connect(c.extra[4]).observe(seventh);
        await expectEvents(c.batchRegistry, tx7, [observed(seventh, EXTRA_PHARMACIES[4], 10n, c.extra[4].address)]);
        const eighth = adverse(c);
        const tx8 = await c.quality.connect(c.extra[5]).observe(eighth);
        await expectEvents(c.batchRegistry, tx8, [
          observed(eighth, EXTRA_PHARMACIES[5], 11n, c.extra[5].address),
          ruleFired(c.batchId, 11n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, EXTRA_PHARMACIES[5], c.extra[5].address),
        ]);
      });

      it("fires again, without a state change, on the next report of a stopped batch", async function () {
        const c = await loadFixture(adverseRules);
        await reportAll(c, [c.pharmacy, c.hospital, c.extra[0]]);
        const o = adverse(c);
        const tx = await c.quality.connect(c.pharmacy).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, PHARMACY, 5n, c.pharmacy.address),
          ruleFired(c.batchId, 5n, RuleKind.AdverseCount),
        ]);
      });
    });

    describe("rule contract", function () {
      it("consults the rule contract on every observation of the product's batches and the product", async function () {
        const c = await loadFixture(ruleContract);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 432n });
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address)]);
        expect([await c.rule.calls(), await c.rule.lastSeq(), await c.rule.lastTemperature()]).to.deep.equal([1n, 2n, 432n]);
        await c.quality.connect(c.regulator).observe(observation(productSubject(GTIN), Point.Inspection, Result.Normal, { temperature: -5n }));
        expect([await c.rule.calls(), await c.rule.lastSeq(), await c.rule.lastTemperature()]).to.deep.equal([2n, 1n, -5n]);
      });

      it("is not consulted for another product", async function () {
        const c = await loadFixture(ruleContract);
        await c.quality.connect(c.maker).observe(observation(c.plainBatchId, Point.Production));
        expect(await c.rule.calls()).to.equal(0n);
      });

      it("stops the batch when the rule contract says so", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Stop);
        const o = goodReading(c);
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesaler.address),
          ruleFired(c.batchId, 2n, RuleKind.Contract, c.ruleAddress),
          ruleStopped(c.batchId, WHOLESALER, c.wholesaler.address),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
      });

      it("stops the product when the rule contract says so on a product observation", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Stop);
        const subject = productSubject(GTIN);
        const o = observation(subject, Point.Process);
        const tx = await c.quality.connect(c.makerQa).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, MAKER, 1n, c.makerQa.address),
          ruleFired(subject, 1n, RuleKind.Contract, c.ruleAddress),
          ruleStopped(subject, MAKER, c.makerQa.address),
        ]);
        expect((await c.collaboration.subjectRecord(subject)).state).to.equal(State.EmergencyStop);
      });

      it("runs after the critical-observation rule: the second stop changes nothing", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Stop);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, WHOLESALER, c.wholesalerDevice.address),
          ruleFired(c.batchId, 2n, RuleKind.Contract, c.ruleAddress),
        ]);
      });

      it("runs after the adverse-count rule", async function () {
        const c = await loadFixture(engineParties);
        const rule = (await ethers.deployContract("QualityRuleMock")) as unknown as QualityRuleMock;
        const ruleAddress = await rule.getAddress();
        await rule.setBehaviour(Behaviour.Stop);
        await c.quality
          .connect(c.gov)
          .setRules(GTIN, vaccineRules({ adverseCount: 1n, adverseWindow: 60n, ruleContract: ruleAddress, ruleGas: RULE_GAS }));
        const o = observation(c.batchId, Point.Adverse);
        const tx = await c.quality.connect(c.hospital).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, HOSPITAL, 2n, c.hospital.address),
          ruleFired(c.batchId, 2n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, HOSPITAL, c.hospital.address),
          ruleFired(c.batchId, 2n, RuleKind.Contract, ruleAddress),
        ]);
      });

      const failures: [string, number][] = [
        ["reverts", Behaviour.Revert],
        ["burns all its gas", Behaviour.BurnGas],
        ["returns nothing", Behaviour.ReturnNothing],
        ["returns too much data", Behaviour.ReturnBomb],
        ["returns a word that is not a bool", Behaviour.ReturnTwo],
      ];
      for (const [title, behaviour] of failures) {
        it(`emits RuleFailed and keeps the observation when the rule contract ${title}`, async function () {
          const c = await loadFixture(ruleContract);
          await c.rule.setBehaviour(behaviour);
          const o = goodReading(c);
          const tx = await c.quality.connect(c.wholesaler).observe(o);
          await expectEvents(c.batchRegistry, tx, [
            observed(o, WHOLESALER, 2n, c.wholesaler.address),
            ["RuleFailed", [c.batchId, 2n, c.ruleAddress]],
          ]);
          expect(await observationsOf(c, c.batchId)).to.equal(2n);
          expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
          expect(await c.rule.calls()).to.equal(0n);
        });
      }

      it("keeps a critical stop when the rule contract fails", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Revert);
        const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
        const tx = await c.quality.connect(c.wholesalerDevice).observe(o);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesalerDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, WHOLESALER, c.wholesalerDevice.address),
          ["RuleFailed", [c.batchId, 2n, c.ruleAddress]],
        ]);
      });

      it("is no longer consulted once the governor removes it", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Stop);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules());
        const o = goodReading(c);
        const tx = await c.quality.connect(c.wholesaler).observe(o);
        await expectEvents(c.batchRegistry, tx, [observed(o, WHOLESALER, 2n, c.wholesaler.address)]);
      });

      it("reverts when the transaction leaves too little gas for the rule's allowance", async function () {
        const c = await loadFixture(ruleContract);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ ruleContract: c.ruleAddress, ruleGas: MAX_RULE_GAS }));
        const needed = (MAX_RULE_GAS * 64n) / 63n + RULE_CALL_RESERVE;
        await expect(c.quality.connect(c.wholesaler).observe(goodReading(c), { gasLimit: 500_000n }))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInsufficientGas")
          .withArgs(needed);
        expect(await observationsOf(c, c.batchId)).to.equal(1n);
      });

      it("gives a gas-burning rule its whole allowance when the transaction has enough", async function () {
        const c = await loadFixture(ruleContract);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ ruleContract: c.ruleAddress, ruleGas: MAX_RULE_GAS }));
        await c.rule.setBehaviour(Behaviour.BurnGas);
        const o = goodReading(c);
        const tx = await c.quality.connect(c.wholesaler).observe(o, { gasLimit: 2_000_000n });
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 2n, c.wholesaler.address),
          ["RuleFailed", [c.batchId, 2n, c.ruleAddress]],
        ]);
        // The rule burnt its allowance, and no more, out of the 2,000,000 sent.
        const receipt = await tx.wait();
        expect(receipt?.gasUsed).to.be.greaterThan(MAX_RULE_GAS);
        expect(receipt?.gasUsed).to.be.lessThan(MAX_RULE_GAS + 300_000n);
      });
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        observeCallerParties,
        observeCallerCases(),
        (c, s) => c.quality.connect(s).observe(goodReading(c)),
        (c) => c.quality,
      );
    });
  });

  describe("observeMany", function () {
    it("records every observation in order, with its annotations and rules", async function () {
      const c = await loadFixture(engineParties);
      const storage = goodReading(c);
      const order = observation(c.batchId, Point.Order, Result.Deviation, { evidenceUri: "erp://po/42" });
      const inspection = observation(c.batchId, Point.Inspection, Result.Normal, { corrects: 1n });
      const excursion = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 1200n });
      const after = observation(c.batchId, Point.Transport, Result.Normal, { temperature: 500n, corrects: 5n });
      const tx = await c.quality.connect(c.wholesalerDevice).observeMany([storage, order, inspection, excursion, after]);
      const device = c.wholesalerDevice.address;
      await expectEvents(c.batchRegistry, tx, [
        observed(storage, WHOLESALER, 2n, device),
        observed(order, WHOLESALER, 3n, device),
        ["ObservationAnnotated", [c.batchId, 3n, 0n, ethers.ZeroHash, "erp://po/42"]],
        observed(inspection, WHOLESALER, 4n, device),
        ["ObservationAnnotated", [c.batchId, 4n, 1n, ethers.ZeroHash, ""]],
        observed(excursion, WHOLESALER, 5n, device, Result.Critical),
        ruleFired(c.batchId, 5n, RuleKind.CriticalObservation),
        ruleStopped(c.batchId, WHOLESALER, device),
        observed(after, WHOLESALER, 6n, device),
        ["ObservationAnnotated", [c.batchId, 6n, 5n, ethers.ZeroHash, ""]],
      ]);
      expect(await observationsOf(c, c.batchId)).to.equal(6n);
    });

    it("records the excursions a qa member of a linked party types in a list as critical, firing nothing", async function () {
      const c = await loadFixture(engineParties);
      const storage = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 1200n });
      const transport = observation(c.batchId, Point.Transport, Result.Critical, { temperature: 150n });
      const tx = await c.quality.connect(c.wholesalerQa).observeMany([storage, transport, goodReading(c)]);
      const qa = c.wholesalerQa.address;
      await expectEvents(c.batchRegistry, tx, [
        observed(storage, WHOLESALER, 2n, qa, Result.Critical),
        observed(transport, WHOLESALER, 3n, qa),
        observed(goodReading(c), WHOLESALER, 4n, qa),
      ]);
      const record = await c.collaboration.subjectRecord(c.batchId);
      expect([record.state, record.effectiveState, record.observations]).to.deep.equal([
        BigInt(State.Marketed),
        BigInt(State.Marketed),
        4n,
      ]);
    });

    it("records observations of several subjects", async function () {
      const c = await loadFixture(engineParties);
      const product = observation(productSubject(GTIN), Point.Process);
      const batch = observation(c.batchId, Point.Production);
      const plain = observation(c.plainBatchId, Point.Storage, Result.Normal, { temperature: 9000n });
      const tx = await c.quality.connect(c.maker).observeMany([product, batch, plain]);
      await expectEvents(c.batchRegistry, tx, [
        observed(product, MAKER, 1n, c.maker.address),
        observed(batch, MAKER, 2n, c.maker.address),
        observed(plain, MAKER, 1n, c.maker.address),
      ]);
    });

    it("does nothing for an empty list", async function () {
      const c = await loadFixture(engineParties);
      const tx = await c.quality.connect(c.wholesaler).observeMany([]);
      await expectEvents(c.batchRegistry, tx, []);
    });

    it("reverts when one observation's humidity is invalid, recording none", async function () {
      const c = await loadFixture(engineParties);
      const bad = observation(c.batchId, Point.Storage, Result.Normal, { humidity: 10001n });
      await expect(c.quality.connect(c.wholesaler).observeMany([goodReading(c), goodReading(c), bad]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity")
        .withArgs(10001n);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    it("reverts when one observation is not allowed, recording none", async function () {
      const c = await loadFixture(engineParties);
      await expect(c.quality.connect(c.wholesaler).observeMany([goodReading(c), observation(c.batchId, Point.Production)]))
        .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
        .withArgs(c.batchId, Point.Production, WHOLESALER);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    it("reverts when a correction names a later observation of the same list", async function () {
      const c = await loadFixture(engineParties);
      const early = observation(c.batchId, Point.Storage, Result.Normal, { corrects: 3n });
      await expect(c.quality.connect(c.wholesaler).observeMany([early, goodReading(c)]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidCorrection")
        .withArgs(c.batchId, 3n, 1n);
    });

    it("reverts when a later observation fails after a rule stopped the batch, leaving it marketed", async function () {
      const c = await loadFixture(engineParties);
      const excursion = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
      await expect(c.quality.connect(c.wholesalerDevice).observeMany([excursion, observation(c.plainBatchId, Point.Adverse)]))
        .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
        .withArgs(c.plainBatchId, Point.Adverse, WHOLESALER);
      const record = await c.collaboration.subjectRecord(c.batchId);
      expect([record.state, record.observations]).to.deep.equal([BigInt(State.Marketed), 1n]);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        observeManyCallerParties,
        observeCallerCases(),
        (c, s) => c.quality.connect(s).observeMany([goodReading(c)]),
        (c) => c.quality,
      );
    });
  });

  describe("observeSigned", function () {
    it("records a device's signed observation, relayed by anyone, with the device as observer", async function () {
      const c = await loadFixture(engineParties);
      const o = observation(c.batchId, Point.Storage, Result.Normal, {
        temperature: 480n,
        humidity: 5100n,
        evidenceHash: ethers.id("logger frame 7"),
      });
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
      const tx = await c.quality.connect(c.stranger).observeSigned([signed]);
      await expectEvents(c.batchRegistry, tx, [
        observed(o, WHOLESALER, 2n, c.wholesalerDevice.address),
        ["ObservationAnnotated", [c.batchId, 2n, 0n, o.evidenceHash, ""]],
        relayed(c.wholesalerDevice.address, c.stranger.address, 0n, 1n),
      ]);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(1n);
      expect(await c.quality.nonces(c.stranger.address)).to.equal(0n);
    });

    it("records several signed observations of several devices in order, each with its own nonce", async function () {
      const c = await loadFixture(engineParties);
      const deadline = await deadlineIn();
      const a = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 500n });
      const b = observation(c.batchId, Point.Transport, Result.Normal, { temperature: 600n });
      const d = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 700n });
      const signed = [
        await signObservation(c.wholesalerDevice, c.engineAddress, a, 0n, deadline),
        await signObservation(c.pharmacyDevice, c.engineAddress, b, 0n, deadline),
        await signObservation(c.wholesalerDevice, c.engineAddress, d, 1n, deadline),
      ];
      const tx = await c.quality.connect(c.hospital).observeSigned(signed);
      await expectEvents(c.batchRegistry, tx, [
        observed(a, WHOLESALER, 2n, c.wholesalerDevice.address),
        relayed(c.wholesalerDevice.address, c.hospital.address, 0n, 1n),
        observed(b, PHARMACY, 3n, c.pharmacyDevice.address),
        relayed(c.pharmacyDevice.address, c.hospital.address, 0n, 1n),
        observed(d, WHOLESALER, 4n, c.wholesalerDevice.address),
        relayed(c.wholesalerDevice.address, c.hospital.address, 1n, 1n),
      ]);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(2n);
      expect(await c.quality.nonces(c.pharmacyDevice.address)).to.equal(1n);
    });

    it("emits SignedObservationsRelayed once per run of one device (A, A, B, A), each after its run's events, from the run's first nonce", async function () {
      const c = await loadFixture(engineParties);
      const deadline = await deadlineIn();
      const [A, B] = [c.wholesalerDevice, c.pharmacyDevice];
      // A has used nonce 0 already: its runs start at 1, then 3.
      await c.quality.connect(c.stranger).observeSigned([await signObservation(A, c.engineAddress, goodReading(c), 0n, deadline)]);
      const a1 = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 500n });
      const a2 = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n });
      const b = observation(c.batchId, Point.Transport, Result.Normal, { temperature: 600n });
      const a3 = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 700n });
      const signed = [
        await signObservation(A, c.engineAddress, a1, 1n, deadline),
        await signObservation(A, c.engineAddress, a2, 2n, deadline),
        await signObservation(B, c.engineAddress, b, 0n, deadline),
        await signObservation(A, c.engineAddress, a3, 3n, deadline),
      ];
      const tx = await c.quality.connect(c.hospital).observeSigned(signed);
      await expectEvents(c.batchRegistry, tx, [
        observed(a1, WHOLESALER, 3n, A.address),
        observed(a2, WHOLESALER, 4n, A.address, Result.Critical),
        ruleFired(c.batchId, 4n, RuleKind.CriticalObservation),
        ruleStopped(c.batchId, WHOLESALER, c.hospital.address),
        relayed(A.address, c.hospital.address, 1n, 2n),
        observed(b, PHARMACY, 5n, B.address),
        relayed(B.address, c.hospital.address, 0n, 1n),
        observed(a3, WHOLESALER, 6n, A.address),
        relayed(A.address, c.hospital.address, 3n, 1n),
      ]);
      expect(await c.quality.nonces(A.address)).to.equal(4n);
      expect(await c.quality.nonces(B.address)).to.equal(1n);
    });

    it("stops the batch on a signed excursion, the relayer being the actor", async function () {
      const c = await loadFixture(engineParties);
      const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n });
      const signed = await signObservation(c.pharmacyDevice, c.engineAddress, o, 0n, await deadlineIn());
      const tx = await c.quality.connect(c.stranger).observeSigned([signed]);
      await expectEvents(c.batchRegistry, tx, [
        observed(o, PHARMACY, 2n, c.pharmacyDevice.address, Result.Critical),
        ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
        ruleStopped(c.batchId, PHARMACY, c.stranger.address),
        relayed(c.pharmacyDevice.address, c.stranger.address, 0n, 1n),
      ]);
    });

    it("accepts a signature at its deadline", async function () {
      const c = await loadFixture(engineParties);
      const deadline = await deadlineIn(100n);
      const o = goodReading(c);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, deadline);
      await time.setNextBlockTimestamp(deadline);
      const tx = await c.quality.connect(c.stranger).observeSigned([signed]);
      await expectEvents(c.batchRegistry, tx, [
        observed(o, WHOLESALER, 2n, c.wholesalerDevice.address),
        relayed(c.wholesalerDevice.address, c.stranger.address, 0n, 1n),
      ]);
    });

    it("reverts when the signature expired", async function () {
      const c = await loadFixture(engineParties);
      const deadline = await deadlineIn(100n);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, goodReading(c), 0n, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(c.quality.connect(c.stranger).observeSigned([signed]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineSignatureExpired")
        .withArgs(c.wholesalerDevice.address, deadline);
    });

    it("reverts when a nonce is used again", async function () {
      const c = await loadFixture(engineParties);
      const o = goodReading(c);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
      await c.quality.connect(c.stranger).observeSigned([signed]);
      const recovered = await recoveredFrom(signed, o, 1n, c.engineAddress);
      expect(recovered).to.not.equal(c.wholesalerDevice.address);
      await expect(c.quality.connect(c.stranger).observeSigned([signed]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, recovered);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(1n);
    });

    it("reverts when the same signature appears twice in one list", async function () {
      const c = await loadFixture(engineParties);
      const o = goodReading(c);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
      const recovered = await recoveredFrom(signed, o, 1n, c.engineAddress);
      await expect(c.quality.connect(c.stranger).observeSigned([signed, signed]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, recovered);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(0n);
    });

    it("reverts when the signature is for a future nonce", async function () {
      const c = await loadFixture(engineParties);
      const o = goodReading(c);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 1n, await deadlineIn());
      const recovered = await recoveredFrom(signed, o, 0n, c.engineAddress);
      await expect(c.quality.connect(c.stranger).observeSigned([signed]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, recovered);
    });

    it("reverts when another account signed for the device", async function () {
      const c = await loadFixture(engineParties);
      const signed = await signObservation(c.logisticsDevice, c.engineAddress, goodReading(c), 0n, await deadlineIn());
      await expect(c.quality.connect(c.stranger).observeSigned([{ ...signed, device: c.wholesalerDevice.address }]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, c.logisticsDevice.address);
    });

    const tampering: [string, (o: Observation) => Observation][] = [
      ["the temperature", (o) => ({ ...o, temperature: 350n })],
      ["the humidity", (o) => ({ ...o, humidity: 3000n })],
      ["the point", (o) => ({ ...o, point: Point.Transport })],
      ["the result", (o) => ({ ...o, result: Result.Deviation })],
      ["the subject", (o) => ({ ...o, subject: productSubject(GTIN) })],
      ["the correction", (o) => ({ ...o, corrects: 1n })],
      ["the evidence hash", (o) => ({ ...o, evidenceHash: ethers.id("forged") })],
      ["the evidence uri", (o) => ({ ...o, evidenceUri: "ipfs://forged" })],
    ];
    for (const [field, tamper] of tampering) {
      it(`reverts when ${field} was changed after signing`, async function () {
        const c = await loadFixture(engineParties);
        const signed = await signObservation(c.wholesalerDevice, c.engineAddress, goodReading(c), 0n, await deadlineIn());
        const forged = tamper(goodReading(c));
        const recovered = await recoveredFrom(signed, forged, 0n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSigned([{ ...signed, observation: forged }]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.wholesalerDevice.address, recovered);
      });
    }

    it("reverts when the deadline was changed after signing", async function () {
      const c = await loadFixture(engineParties);
      const o = goodReading(c);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
      const forged = { ...signed, deadline: BigInt(signed.deadline) + 1000n };
      const recovered = await recoveredFrom(forged, o, 0n, c.engineAddress);
      await expect(c.quality.connect(c.stranger).observeSigned([forged]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, recovered);
    });

    it("reverts when the signature was made for another contract", async function () {
      const c = await loadFixture(engineParties);
      const o = goodReading(c);
      const other = await c.registry.getAddress();
      const signed = await signObservation(c.wholesalerDevice, other, o, 0n, await deadlineIn());
      const recovered = await recoveredFrom(signed, o, 0n, c.engineAddress);
      await expect(c.quality.connect(c.stranger).observeSigned([signed]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, recovered);
    });

    for (const [title, bytes] of [
      ["empty", "0x"],
      ["too short", "0x1234"],
      ["65 zero bytes", ethers.zeroPadBytes("0x", 65)],
    ] as const) {
      it(`reverts when the signature bytes are malformed (${title})`, async function () {
        const c = await loadFixture(engineParties);
        const signed = await signObservation(c.wholesalerDevice, c.engineAddress, goodReading(c), 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSigned([{ ...signed, signature: bytes }]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.wholesalerDevice.address, ethers.ZeroAddress);
      });
    }

    it("reverts when the signature is malleated to its high-s twin", async function () {
      const c = await loadFixture(engineParties);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, goodReading(c), 0n, await deadlineIn());
      const sig = ethers.Signature.from(ethers.hexlify(signed.signature));
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = ethers.concat([sig.r, ethers.toBeHex(n - BigInt(sig.s), 32), ethers.toBeHex(sig.v === 27 ? 28 : 27, 1)]);
      await expect(c.quality.connect(c.stranger).observeSigned([{ ...signed, signature: highS }]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(c.wholesalerDevice.address, ethers.ZeroAddress);
    });

    it("signs for the EIP-712 domain MedState / 1 at the BatchRegistry's address", async function () {
      const c = await loadFixture(engineParties);
      const atProxy = (await ethers.getContractAt("QualityEngine", c.engineAddress)) as unknown as QualityEngine;
      const domain = await atProxy.eip712Domain();
      const { chainId } = await ethers.provider.getNetwork();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal(["MedState", "1", chainId, c.engineAddress]);
      expect(await atProxy.OBSERVATION_TYPEHASH()).to.equal(
        ethers.id(
          "Observation(bytes32 subject,uint8 point,uint8 result,int16 temperature,uint16 humidity," +
            "uint32 corrects,bytes32 evidenceHash,string evidenceUri,uint256 nonce,uint48 deadline)",
        ),
      );
    });

    it("does nothing for an empty list", async function () {
      const c = await loadFixture(engineParties);
      const tx = await c.quality.connect(c.stranger).observeSigned([]);
      await expectEvents(c.batchRegistry, tx, []);
    });

    it("emits nothing and uses no nonce when a mined submission reverts after a device's run", async function () {
      const c = await loadFixture(engineParties);
      const deadline = await deadlineIn();
      const [A, B] = [c.wholesalerDevice, c.pharmacyDevice];
      const good = [
        await signObservation(A, c.engineAddress, goodReading(c), 0n, deadline),
        await signObservation(A, c.engineAddress, goodReading(c), 1n, deadline),
      ];
      const bad = await signObservation(B, c.engineAddress, observation(c.batchId, Point.Storage, Result.Normal, { humidity: 10001n }), 0n, deadline);
      // A's run is over when B's observation fails: its event would come first. A gas limit mines the failure.
      const failed = await minedFailure(() => c.quality.connect(c.stranger).observeSigned([...good, bad], { gasLimit: 1_000_000n }));
      await expect(failed.sent).to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity").withArgs(10001n);
      expect(await failed.receipt()).to.deep.equal({ status: 0, logs: 0 });
      expect([await c.quality.nonces(A.address), await c.quality.nonces(B.address)]).to.deep.equal([0n, 0n]);
      // The same signatures still hold.
      const tx = await c.quality.connect(c.stranger).observeSigned(good);
      await expectEvents(c.batchRegistry, tx, [
        observed(goodReading(c), WHOLESALER, 2n, A.address),
        observed(goodReading(c), WHOLESALER, 3n, A.address),
        relayed(A.address, c.stranger.address, 0n, 2n),
      ]);
    });

    it("reverts when one signed observation is invalid, recording none and using no nonce", async function () {
      const c = await loadFixture(engineParties);
      const deadline = await deadlineIn();
      const good = await signObservation(c.wholesalerDevice, c.engineAddress, goodReading(c), 0n, deadline);
      const bad = observation(c.batchId, Point.Storage, Result.Normal, { humidity: 10001n });
      const badSigned = await signObservation(c.pharmacyDevice, c.engineAddress, bad, 0n, deadline);
      await expect(c.quality.connect(c.stranger).observeSigned([good, badSigned]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity")
        .withArgs(10001n);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(0n);
      expect(await c.quality.nonces(c.pharmacyDevice.address)).to.equal(0n);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    it("reverts when the first signed observation names the zero address as its device, which no signature recovers to", async function () {
      const c = await loadFixture(engineParties);
      const o = goodReading(c);
      // Signed by a real device for the zero address's nonce (0): it recovers to that device.
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
      // First in the list, the zero address is no change of device from the empty relay: the
      // signature check is what stops it, before any observer is looked up.
      await expect(c.quality.connect(c.stranger).observeSigned([{ ...signed, device: ethers.ZeroAddress }]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(ethers.ZeroAddress, c.wholesalerDevice.address);
      // Signature bytes that recover to nobody are no signature of the zero address either.
      await expect(c.quality.connect(c.stranger).observeSigned([{ ...signed, device: ethers.ZeroAddress, signature: ethers.zeroPadBytes("0x", 65) }]))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
        .withArgs(ethers.ZeroAddress, ethers.ZeroAddress);
      expect(await c.quality.nonces(ethers.ZeroAddress)).to.equal(0n);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(0n);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    it("reverts when a signed observation is not allowed to its device's party", async function () {
      const c = await loadFixture(engineParties);
      const o = observation(c.batchId, Point.Adverse);
      const signed = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
      await expect(c.quality.connect(c.stranger).observeSigned([signed]))
        .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
        .withArgs(c.batchId, Point.Adverse, WHOLESALER);
    });

    describe("signers", function () {
      restoreClockAfter();
      itRejectsCallers(
        signerParties,
        signerCases(),
        async (c, s) => {
          const signed = await signObservation(s, c.engineAddress, goodReading(c), 0n, await deadlineIn());
          return c.quality.connect(c.stranger).observeSigned([signed]);
        },
        (c) => c.quality,
      );
    });
  });

  describe("observeReadings", function () {
    describe("equivalence with observeMany", function () {
      for (const s of SERIES) {
        it(`records ${s.title} exactly as observeMany records the same observations`, async function () {
          let c = await loadFixture(s.fixture);
          await s.setup?.(c);
          const before = await seriesState(c, s);
          const subject = s.subject(c);
          const viaMany = await c.quality.connect(s.pick(c)).observeMany(s.readings.map((r) => asObservation(subject, r)));
          const many = { events: await eventsOf(c.batchRegistry, viaMany), state: await seriesState(c, s) };

          c = await loadFixture(s.fixture);
          await s.setup?.(c);
          expect(await seriesState(c, s)).to.deep.equal(before);
          const viaReadings = await c.quality.connect(s.pick(c)).observeReadings(subject, s.readings);
          const readings = { events: await eventsOf(c.batchRegistry, viaReadings), state: await seriesState(c, s) };

          expect(readings.events).to.deep.equal(many.events);
          expect(readings.state).to.deep.equal(many.state);
          // Not vacuous: every reading was recorded, the state moved, the expected rules acted.
          const names = many.events.map(([name]) => name);
          expect(names.filter((n) => n === "Observed")).to.have.length(s.readings.length);
          expect(names).to.not.include("ObservationAnnotated");
          for (const name of s.emits) expect(names).to.include(name);
          expect(many.state).to.not.deep.equal(before);
        });
      }
    });

    it("records a series in order, numbered on from the subject's count, without annotations or nonce", async function () {
      const c = await loadFixture(engineParties);
      const series = [GOOD, reading(Point.Transport, 650n, NO_HUMIDITY), reading(Point.Order, NO_TEMPERATURE, 5000n, Result.Deviation)];
      const tx = await c.quality.connect(c.wholesalerDevice).observeReadings(c.batchId, series);
      const device = c.wholesalerDevice.address;
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, series[0], WHOLESALER, 2n, device),
        observedReading(c.batchId, series[1], WHOLESALER, 3n, device),
        observedReading(c.batchId, series[2], WHOLESALER, 4n, device),
      ]);
      expect(await observationsOf(c, c.batchId)).to.equal(4n);
      expect((await c.batchRegistry.getBatch(c.batchId)).observations).to.equal(4n);
      expect(await c.quality.nonces(device)).to.equal(0n);
      const next = await c.quality.connect(c.wholesaler).observe.staticCall(goodReading(c));
      expect(next).to.equal(5n);
    });

    it("numbers a product's readings on their own", async function () {
      const c = await loadFixture(engineParties);
      const subject = productSubject(GTIN);
      await c.quality.connect(c.makerQa).observe(observation(subject, Point.Process));
      const series = [reading(Point.Production), reading(Point.Inspection)];
      const tx = await c.quality.connect(c.makerQa).observeReadings(subject, series);
      await expectEvents(c.batchRegistry, tx, [
        observedReading(subject, series[0], MAKER, 2n, c.makerQa.address),
        observedReading(subject, series[1], MAKER, 3n, c.makerQa.address),
      ]);
      expect(await observationsOf(c, subject)).to.equal(3n);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    it("does nothing for an empty list", async function () {
      const c = await loadFixture(engineParties);
      const tx = await c.quality.connect(c.wholesaler).observeReadings(c.batchId, []);
      await expectEvents(c.batchRegistry, tx, []);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    describe("who may record each point on a batch", function () {
      for (const { points, allowed, refused } of BATCH_RIGHTS) {
        for (const point of points) {
          const name = POINT_NAMES[point];
          for (const who of allowed) {
            it(`records ${name} readings by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              const signer = who.pick(c);
              const r = reading(point);
              const tx = await c.quality.connect(signer).observeReadings(c.batchId, [r, r]);
              await expectEvents(c.batchRegistry, tx, [
                observedReading(c.batchId, r, who.party, 2n, signer.address),
                observedReading(c.batchId, r, who.party, 3n, signer.address),
              ]);
              expect((await c.batchRegistry.getBatch(c.batchId)).observations).to.equal(3n);
            });
          }
          for (const who of refused) {
            it(`reverts when a ${name} reading is recorded by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              await expect(c.quality.connect(who.pick(c)).observeReadings(c.batchId, [reading(point)]))
                .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
                .withArgs(c.batchId, point, who.party);
            });
          }
        }
      }

      describe("when the parties' stock is gone", function () {
        it("records an inspection by a qa member of the product's holder that holds none", async function () {
          const c = await loadFixture(drainedBatch);
          const r = reading(Point.Inspection);
          const tx = await c.quality.connect(c.makerQa).observeReadings(c.batchId, [r]);
          await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, MAKER, 2n, c.makerQa.address)]);
        });

        for (const point of [Point.Order, Point.Transport, Point.Storage]) {
          it(`records ${POINT_NAMES[point]} by the product's holder, holding none`, async function () {
            const c = await loadFixture(drainedBatch);
            const r = reading(point, 500n);
            const tx = await c.quality.connect(c.makerDevice).observeReadings(c.batchId, [r]);
            await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, MAKER, 2n, c.makerDevice.address)]);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a pharmacy whose shipment of all it had was received`, async function () {
            const c = await loadFixture(drainedBatch);
            await expect(c.quality.connect(c.pharmacyDevice).observeReadings(c.batchId, [reading(point)]))
              .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
              .withArgs(c.batchId, point, PHARMACY);
          });

          it(`records ${POINT_NAMES[point]} by a sender whose whole stock is in transit`, async function () {
            const c = await loadFixture(inTransitBatch);
            const r = reading(point, 500n);
            const tx = await c.quality.connect(c.pharmacyDevice).observeReadings(c.batchId, [r]);
            await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, PHARMACY, 2n, c.pharmacyDevice.address)]);
          });

          it(`records ${POINT_NAMES[point]} by a party whose whole stock is in its open suspect case`, async function () {
            const c = await loadFixture(suspectBatch);
            const r = reading(point, 500n);
            const tx = await c.quality.connect(c.pharmacyDevice).observeReadings(c.batchId, [r]);
            await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, PHARMACY, 2n, c.pharmacyDevice.address)]);
          });

          it(`records ${POINT_NAMES[point]} by the device of a logistics party that received a shipment of the batch`, async function () {
            const c = await loadFixture(carrierBatch);
            const r = reading(point, 500n);
            const tx = await c.quality.connect(c.logisticsDevice).observeReadings(c.batchId, [r]);
            await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, LOGISTICS, 2n, c.logisticsDevice.address)]);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a logistics party that never held any`, async function () {
            const c = await loadFixture(drainedBatch);
            await expect(c.quality.connect(c.logisticsDevice).observeReadings(c.batchId, [reading(point, 500n)]))
              .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
              .withArgs(c.batchId, point, LOGISTICS);
          });
        }

        it("reverts when a device of a party that shipped all its stock records an inspection", async function () {
          const c = await loadFixture(drainedBatch);
          await expect(c.quality.connect(c.pharmacyDevice).observeReadings(c.batchId, [reading(Point.Inspection)]))
            .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
            .withArgs(c.batchId, Point.Inspection, PHARMACY);
        });

        for (const point of [Point.Efficacy, Point.Adverse]) {
          it(`records ${POINT_NAMES[point]} by a hospital that dispensed some and holds none`, async function () {
            const c = await loadFixture(drainedBatch);
            const r = reading(point);
            const tx = await c.quality.connect(c.hospital).observeReadings(c.batchId, [r]);
            await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, HOSPITAL, 2n, c.hospital.address)]);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a pharmacy that shipped all it received`, async function () {
            const c = await loadFixture(drainedBatch);
            await expect(c.quality.connect(c.pharmacy).observeReadings(c.batchId, [reading(point)]))
              .to.be.revertedWithCustomError(c.quality, "QualityEngineNotDelivered")
              .withArgs(c.batchId, PHARMACY);
          });

          it(`reverts when ${POINT_NAMES[point]} is recorded by a pharmacy device before the batch reached it`, async function () {
            const c = await loadFixture(vaccineBatch);
            await expect(c.quality.connect(c.pharmacyDevice).observeReadings(c.batchId, [reading(point)]))
              .to.be.revertedWithCustomError(c.quality, "QualityEngineNotDelivered")
              .withArgs(c.batchId, PHARMACY);
          });
        }
      });
    });

    describe("who may record each point on a product", function () {
      for (const { points, allowed, refused } of PRODUCT_RIGHTS) {
        for (const point of points) {
          const name = POINT_NAMES[point];
          for (const who of allowed) {
            it(`records ${name} readings by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              const signer = who.pick(c);
              const subject = productSubject(GTIN);
              const r = reading(point);
              const tx = await c.quality.connect(signer).observeReadings(subject, [r]);
              await expectEvents(c.batchRegistry, tx, [observedReading(subject, r, who.party, 1n, signer.address)]);
              expect(await observationsOf(c, subject)).to.equal(1n);
            });
          }
          for (const who of refused) {
            it(`reverts when a ${name} reading is recorded by ${who.title}`, async function () {
              const c = await loadFixture(engineParties);
              const subject = productSubject(GTIN);
              await expect(c.quality.connect(who.pick(c)).observeReadings(subject, [reading(point)]))
                .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
                .withArgs(subject, point, who.party);
            });
          }
        }
      }
    });

    describe("all or nothing", function () {
      it("reverts when a reading in the middle is not allowed, recording none", async function () {
        const c = await loadFixture(engineParties);
        await expect(c.quality.connect(c.wholesaler).observeReadings(c.batchId, [GOOD, reading(Point.Production), GOOD]))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(c.batchId, Point.Production, WHOLESALER);
        expect(await observationsOf(c, c.batchId)).to.equal(1n);
      });

      it("reverts when a reading in the middle has an invalid humidity, recording none", async function () {
        const c = await loadFixture(engineParties);
        await expect(c.quality.connect(c.wholesaler).observeReadings(c.batchId, [GOOD, reading(Point.Storage, 500n, 10001n), GOOD]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity")
          .withArgs(10001n);
        expect(await observationsOf(c, c.batchId)).to.equal(1n);
      });

      it("reverts when a reading fails after a rule stopped the batch, leaving it marketed and its flag set", async function () {
        const c = await loadFixture(engineParties);
        const series = [reading(Point.Storage, 950n), reading(Point.Inspection, NO_TEMPERATURE, NO_HUMIDITY, Result.Deviation), reading(Point.Adverse)];
        await expect(c.quality.connect(c.wholesalerDevice).observeReadings(c.batchId, series))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(c.batchId, Point.Adverse, WHOLESALER);
        const record = await c.collaboration.subjectRecord(c.batchId);
        expect([record.state, record.observations]).to.deep.equal([BigInt(State.Marketed), 1n]);
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
      });
    });

    describe("measures", function () {
      for (const humidity of [0n, 10000n, NO_HUMIDITY]) {
        it(`accepts a humidity of ${humidity}`, async function () {
          const c = await loadFixture(classifyingRules);
          const r = reading(Point.Order, 500n, humidity);
          const tx = await c.quality.connect(c.wholesaler).observeReadings(c.batchId, [r]);
          await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, WHOLESALER, 2n, c.wholesaler.address)]);
        });
      }

      for (const humidity of [10001n, 20000n, 65534n]) {
        it(`reverts when the humidity is ${humidity}`, async function () {
          const c = await loadFixture(engineParties);
          await expect(c.quality.connect(c.wholesaler).observeReadings(c.batchId, [reading(Point.Storage, 500n, humidity)]))
            .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity")
            .withArgs(humidity);
        });
      }

      for (const [title, subject] of [
        ["an unknown batch", batchIdOf(GTIN, "NO-SUCH-LOT")],
        ["an unknown product", productSubject(UNKNOWN_GTIN)],
        ["zero", ethers.ZeroHash],
      ] as const) {
        it(`reverts when the subject is ${title}`, async function () {
          const c = await loadFixture(engineParties);
          await expect(c.quality.connect(c.regulator).observeReadings(subject, [reading(Point.Inspection)]))
            .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
            .withArgs(subject);
        });
      }
    });

    describe("inspection flag", function () {
      it("sets the batch's inspected flag on a normal inspection reading", async function () {
        const c = await loadFixture(vaccineBatch);
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
        await c.quality.connect(c.makerQa).observeReadings(c.batchId, [reading(Point.Inspection)]);
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
      });

      for (const result of [Result.Deviation, Result.Critical]) {
        it(`clears the batch's inspected flag on an inspection reading with result ${result}, and the last inspection wins`, async function () {
          const c = await loadFixture(engineParties);
          const failed = reading(Point.Inspection, NO_TEMPERATURE, NO_HUMIDITY, result);
          await c.quality.connect(c.laboratory).observeReadings(c.batchId, [failed]);
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
          await c.quality.connect(c.laboratory).observeReadings(c.batchId, [failed, reading(Point.Inspection)]);
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
          await c.quality.connect(c.laboratory).observeReadings(c.batchId, [reading(Point.Inspection), failed]);
          expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
        });
      }

      it("leaves the flag alone for other points and for the product's inspection", async function () {
        const c = await loadFixture(classifyingRules);
        const critical = (p: number) => reading(p, NO_TEMPERATURE, NO_HUMIDITY, Result.Critical);
        await c.quality
          .connect(c.makerDevice)
          .observeReadings(c.batchId, [Point.Process, Point.Production, Point.Order, Point.Storage, Point.Transport].map(critical));
        await c.quality.connect(c.laboratory).observeReadings(productSubject(GTIN), [critical(Point.Inspection)]);
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
      });
    });

    describe("rules", function () {
      it("stops the batch on a critical storage reading, then records the rest of the series", async function () {
        const c = await loadFixture(engineParties);
        const excursion = reading(Point.Storage, 950n, 4000n);
        const later = reading(Point.Storage, 1000n, 4000n);
        const tx = await c.quality.connect(c.wholesalerDevice).observeReadings(c.batchId, [GOOD, excursion, later, GOOD]);
        const device = c.wholesalerDevice.address;
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 2n, device),
          observedReading(c.batchId, excursion, WHOLESALER, 3n, device, Result.Critical),
          ruleFired(c.batchId, 3n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, WHOLESALER, device),
          observedReading(c.batchId, later, WHOLESALER, 4n, device, Result.Critical),
          ruleFired(c.batchId, 4n, RuleKind.CriticalObservation),
          observedReading(c.batchId, GOOD, WHOLESALER, 5n, device),
        ]);
        const record = await c.collaboration.subjectRecord(c.batchId);
        expect([record.state, record.effectiveState, record.observations]).to.deep.equal([
          BigInt(State.EmergencyStop),
          BigInt(State.EmergencyStop),
          5n,
        ]);
      });

      it("stops the batch on a transport reading below its range by the device of a logistics party that holds some", async function () {
        const c = await loadFixture(carrierBatch);
        const cold = reading(Point.Transport, -150n);
        const tx = await c.quality.connect(c.logisticsDevice).observeReadings(c.batchId, [cold]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, cold, LOGISTICS, 2n, c.logisticsDevice.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, LOGISTICS, c.logisticsDevice.address),
        ]);
      });

      for (const [who, pick, party, fixture] of [
        ["the wholesaler's admin", (c: Ctx) => c.wholesaler, WHOLESALER, engineParties],
        ["the wholesaler's qa member", (c: Ctx) => c.wholesalerQa, WHOLESALER, engineParties],
        ["the admin of a logistics party that holds some", (c: Ctx) => c.logistics, LOGISTICS, carrierBatch],
      ] as const) {
        it(`records the readings outside the limits ${who} types as critical, firing nothing`, async function () {
          const c = await loadFixture(fixture);
          const signer = pick(c);
          const hot = reading(Point.Storage, 950n, 4000n);
          const cold = reading(Point.Transport, -150n);
          const tx = await c.quality.connect(signer).observeReadings(c.batchId, [hot, cold]);
          await expectEvents(c.batchRegistry, tx, [
            observedReading(c.batchId, hot, party, 2n, signer.address, Result.Critical),
            observedReading(c.batchId, cold, party, 3n, signer.address, Result.Critical),
          ]);
          const record = await c.collaboration.subjectRecord(c.batchId);
          expect([record.state, record.effectiveState, record.observations]).to.deep.equal([
            BigInt(State.Marketed),
            BigInt(State.Marketed),
            3n,
          ]);
        });
      }

      it("stops the batch on a storage reading outside the limits the holder's operator types", async function () {
        const c = await loadFixture(engineParties);
        const hot = reading(Point.Storage, 950n, 4000n);
        const tx = await c.quality.connect(c.makerOperator).observeReadings(c.batchId, [hot]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, hot, MAKER, 2n, c.makerOperator.address, Result.Critical),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, MAKER, c.makerOperator.address),
        ]);
      });

      it("does not stop on a critical reading at a point outside the mask", async function () {
        const c = await loadFixture(engineParties);
        const r = reading(Point.Order, NO_TEMPERATURE, NO_HUMIDITY, Result.Critical);
        const tx = await c.quality.connect(c.wholesaler).observeReadings(c.batchId, [r]);
        await expectEvents(c.batchRegistry, tx, [observedReading(c.batchId, r, WHOLESALER, 2n, c.wholesaler.address)]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("never stops the batch on one party's series of adverse readings, however long", async function () {
        const c = await loadFixture(adverseRules);
        const adverse = reading(Point.Adverse);
        const tx = await c.quality.connect(c.pharmacy).observeReadings(c.batchId, [adverse, reading(Point.Efficacy), adverse, adverse, adverse]);
        const who = c.pharmacy.address;
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, adverse, PHARMACY, 2n, who),
          observedReading(c.batchId, reading(Point.Efficacy), PHARMACY, 3n, who),
          observedReading(c.batchId, adverse, PHARMACY, 4n, who),
          observedReading(c.batchId, adverse, PHARMACY, 5n, who),
          observedReading(c.batchId, adverse, PHARMACY, 6n, who),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it(`stops the batch on the adverse reading of the ${ADVERSE_COUNT}rd distinct party, counted with earlier adverse observations`, async function () {
        const c = await loadFixture(adverseRules);
        await c.quality.connect(c.hospital).observe(observation(c.batchId, Point.Adverse));
        await c.quality.connect(c.pharmacy).observeReadings(c.batchId, [reading(Point.Adverse), reading(Point.Adverse)]);
        const adverse = reading(Point.Adverse);
        // The hospital again: still two parties.
        const again = await c.quality.connect(c.hospital).observeReadings(c.batchId, [adverse]);
        await expectEvents(c.batchRegistry, again, [observedReading(c.batchId, adverse, HOSPITAL, 5n, c.hospital.address)]);
        const tx = await c.quality.connect(c.extra[0]).observeReadings(c.batchId, [adverse, adverse]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, adverse, EXTRA_PHARMACIES[0], 6n, c.extra[0].address),
          ruleFired(c.batchId, 6n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, EXTRA_PHARMACIES[0], c.extra[0].address),
          observedReading(c.batchId, adverse, EXTRA_PHARMACIES[0], 7n, c.extra[0].address),
          ruleFired(c.batchId, 7n, RuleKind.AdverseCount),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
      });

      it("records a critical storage reading the wholesaler's device declares with in-range measures, firing nothing", async function () {
        const c = await loadFixture(engineParties);
        const declared = reading(Point.Storage, 500n, 4000n, Result.Critical);
        const tx = await c.quality.connect(c.wholesalerDevice).observeReadings(c.batchId, [declared, GOOD]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, declared, WHOLESALER, 2n, c.wholesalerDevice.address),
          observedReading(c.batchId, GOOD, WHOLESALER, 3n, c.wholesalerDevice.address),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it("stops the batch on a critical transport reading the regulator's device declares without measures", async function () {
        const c = await loadFixture(engineParties);
        const declared = reading(Point.Transport, NO_TEMPERATURE, NO_HUMIDITY, Result.Critical);
        const tx = await c.quality.connect(c.regulatorDevice).observeReadings(c.batchId, [declared]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, declared, REGULATOR, 2n, c.regulatorDevice.address),
          ruleFired(c.batchId, 2n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, REGULATOR, c.regulatorDevice.address),
        ]);
      });

      it("consults the rule contract on every reading with its own number and measures", async function () {
        const c = await loadFixture(ruleContract);
        const tx = await c.quality
          .connect(c.wholesaler)
          .observeReadings(c.batchId, [reading(Point.Storage, 432n, 4000n), reading(Point.Order, -7n)]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, reading(Point.Storage, 432n, 4000n), WHOLESALER, 2n, c.wholesaler.address),
          observedReading(c.batchId, reading(Point.Order, -7n), WHOLESALER, 3n, c.wholesaler.address),
        ]);
        expect([await c.rule.calls(), await c.rule.lastSeq(), await c.rule.lastTemperature()]).to.deep.equal([2n, 3n, -7n]);
      });

      it("stops the batch when the rule contract says so on a reading", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Stop);
        const tx = await c.quality.connect(c.wholesaler).observeReadings(c.batchId, [GOOD, GOOD]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 2n, c.wholesaler.address),
          ruleFired(c.batchId, 2n, RuleKind.Contract, c.ruleAddress),
          ruleStopped(c.batchId, WHOLESALER, c.wholesaler.address),
          observedReading(c.batchId, GOOD, WHOLESALER, 3n, c.wholesaler.address),
          ruleFired(c.batchId, 3n, RuleKind.Contract, c.ruleAddress),
        ]);
      });

      it("emits RuleFailed and keeps the readings when the rule contract reverts", async function () {
        const c = await loadFixture(ruleContract);
        await c.rule.setBehaviour(Behaviour.Revert);
        const excursion = reading(Point.Storage, 950n);
        const device = c.wholesalerDevice.address;
        const tx = await c.quality.connect(c.wholesalerDevice).observeReadings(c.batchId, [GOOD, excursion]);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 2n, device),
          ["RuleFailed", [c.batchId, 2n, c.ruleAddress]],
          observedReading(c.batchId, excursion, WHOLESALER, 3n, device, Result.Critical),
          ruleFired(c.batchId, 3n, RuleKind.CriticalObservation),
          ruleStopped(c.batchId, WHOLESALER, device),
          ["RuleFailed", [c.batchId, 3n, c.ruleAddress]],
        ]);
        expect(await observationsOf(c, c.batchId)).to.equal(3n);
        expect(await c.rule.calls()).to.equal(0n);
      });

      it("reverts when the transaction leaves too little gas for the rule's allowance", async function () {
        const c = await loadFixture(ruleContract);
        await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ ruleContract: c.ruleAddress, ruleGas: MAX_RULE_GAS }));
        const needed = (MAX_RULE_GAS * 64n) / 63n + RULE_CALL_RESERVE;
        await expect(c.quality.connect(c.wholesaler).observeReadings(c.batchId, [GOOD], { gasLimit: 500_000n }))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInsufficientGas")
          .withArgs(needed);
        expect(await observationsOf(c, c.batchId)).to.equal(1n);
      });
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        observeReadingsCallerParties,
        observeCallerCases(),
        (c, s) => c.quality.connect(s).observeReadings(c.batchId, [GOOD]),
        (c) => c.quality,
      );
    });
  });

  describe("observeSignedReadings", function () {
    it("records a device's series relayed by a stranger, with the device as observer and one nonce per reading", async function () {
      const c = await loadFixture(engineParties);
      const device = c.wholesalerDevice;
      const series = [GOOD, reading(Point.Transport, 610n, 5500n), reading(Point.Order, -2000n, NO_HUMIDITY, Result.Deviation)];
      const signed = await signSeries(device, c.engineAddress, c.batchId, series, 0n, await deadlineIn());
      const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed);
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, series[0], WHOLESALER, 2n, device.address),
        observedReading(c.batchId, series[1], WHOLESALER, 3n, device.address),
        observedReading(c.batchId, series[2], WHOLESALER, 4n, device.address),
        relayed(device.address, c.stranger.address, 0n, 3n),
      ]);
      expect(await c.quality.nonces(device.address)).to.equal(3n);
      expect(await c.quality.nonces(c.stranger.address)).to.equal(0n);
      expect(await observationsOf(c, c.batchId)).to.equal(4n);
    });

    it("emits one SignedObservationsRelayed after the series, with the device, the relayer, the first nonce and the count", async function () {
      const c = await loadFixture(engineParties);
      const device = c.wholesalerDevice;
      const deadline = await deadlineIn();
      await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD], 0n, deadline));
      const series = [reading(Point.Storage, 950n), GOOD, reading(Point.Order)];
      const signed = await signSeries(device, c.engineAddress, c.batchId, series, 2n, deadline);
      const tx = await c.quality.connect(c.hospital).observeSignedReadings(c.batchId, device.address, signed);
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, series[0], WHOLESALER, 4n, device.address, Result.Critical),
        ruleFired(c.batchId, 4n, RuleKind.CriticalObservation),
        ruleStopped(c.batchId, WHOLESALER, c.hospital.address),
        observedReading(c.batchId, series[1], WHOLESALER, 5n, device.address),
        observedReading(c.batchId, series[2], WHOLESALER, 6n, device.address),
        relayed(device.address, c.hospital.address, 2n, 3n),
      ]);
      expect(await c.quality.nonces(device.address)).to.equal(5n);
    });

    it("emits nothing and uses no nonce when a mined series reverts", async function () {
      const c = await loadFixture(engineParties);
      const device = c.wholesalerDevice;
      const deadline = await deadlineIn();
      const signed = await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD, reading(Point.Storage, 500n, 10001n)], 0n, deadline);
      const failed = await minedFailure(() =>
        c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed, { gasLimit: 1_000_000n }),
      );
      await expect(failed.sent).to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity").withArgs(10001n);
      expect(await failed.receipt()).to.deep.equal({ status: 0, logs: 0 });
      expect(await c.quality.nonces(device.address)).to.equal(0n);
      const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed.slice(0, 2));
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, GOOD, WHOLESALER, 2n, device.address),
        observedReading(c.batchId, GOOD, WHOLESALER, 3n, device.address),
        relayed(device.address, c.stranger.address, 0n, 2n),
      ]);
    });

    it("continues from the device's current nonce", async function () {
      const c = await loadFixture(engineParties);
      const device = c.pharmacyDevice;
      const deadline = await deadlineIn();
      await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD], 0n, deadline));
      const r = reading(Point.Transport, 300n);
      const tx = await c.quality
        .connect(c.stranger)
        .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [r], 2n, deadline));
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, r, PHARMACY, 4n, device.address),
        relayed(device.address, c.stranger.address, 2n, 1n),
      ]);
      expect(await c.quality.nonces(device.address)).to.equal(3n);
    });

    const submitters: [string, (c: Ctx) => Signer][] = [
      ["a stranger", (c) => c.stranger],
      ["the deployer", (c) => c.deployer],
      ["the governor", (c) => c.gov],
      ["the device itself", (c) => c.wholesalerDevice],
      ["another party's admin", (c) => c.hospital],
      ["the regulator's device", (c) => c.regulatorDevice],
    ];
    for (const [title, pick] of submitters) {
      it(`accepts a series submitted by ${title}`, async function () {
        const c = await loadFixture(engineParties);
        const signed = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
        const tx = await c.quality.connect(pick(c)).observeSignedReadings(c.batchId, c.wholesalerDevice.address, signed);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 2n, c.wholesalerDevice.address),
          relayed(c.wholesalerDevice.address, await pick(c).getAddress(), 0n, 1n),
        ]);
      });
    }

    it("records a product's series by the holder's device", async function () {
      const c = await loadFixture(engineParties);
      const subject = productSubject(GTIN);
      const series = [reading(Point.Process), reading(Point.Inspection)];
      const signed = await signSeries(c.makerDevice, c.engineAddress, subject, series, 0n, await deadlineIn());
      const tx = await c.quality.connect(c.stranger).observeSignedReadings(subject, c.makerDevice.address, signed);
      await expectEvents(c.batchRegistry, tx, [
        observedReading(subject, series[0], MAKER, 1n, c.makerDevice.address),
        observedReading(subject, series[1], MAKER, 2n, c.makerDevice.address),
        relayed(c.makerDevice.address, c.stranger.address, 0n, 2n),
      ]);
    });

    it("records a series exactly as observeSigned records the same observations", async function () {
      const s = SERIES[0];
      let c = await loadFixture(s.fixture);
      const device = s.pick(c);
      const subject = s.subject(c);
      const deadline = await deadlineIn();
      const observations: SignedObservation[] = [];
      for (let i = 0; i < s.readings.length; ++i) {
        observations.push(await signObservation(device, c.engineAddress, asObservation(subject, s.readings[i]), BigInt(i), deadline));
      }
      const viaSigned = await c.quality.connect(c.stranger).observeSigned(observations);
      const signedOutcome = { events: await eventsOf(c.batchRegistry, viaSigned), state: await seriesState(c, s) };

      c = await loadFixture(s.fixture);
      const readings = await signSeries(device, c.engineAddress, subject, s.readings, 0n, deadline);
      const viaReadings = await c.quality.connect(c.stranger).observeSignedReadings(subject, device.address, readings);
      const readingsOutcome = { events: await eventsOf(c.batchRegistry, viaReadings), state: await seriesState(c, s) };

      expect(readingsOutcome.events).to.deep.equal(signedOutcome.events);
      expect(readingsOutcome.state).to.deep.equal(signedOutcome.state);
      const names = signedOutcome.events.map(([name]) => name);
      expect(names.filter((n) => n === "Observed")).to.have.length(s.readings.length);
      expect(names).to.include.members(["RuleFired", "StateChanged"]);
      expect(await c.quality.nonces(device.address)).to.equal(BigInt(s.readings.length));
    });

    it("stops the batch on a signed excursion, the relayer being the actor", async function () {
      const c = await loadFixture(engineParties);
      const excursion = reading(Point.Storage, 950n, 4000n);
      const signed = await signSeries(c.pharmacyDevice, c.engineAddress, c.batchId, [GOOD, excursion], 0n, await deadlineIn());
      const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.pharmacyDevice.address, signed);
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, GOOD, PHARMACY, 2n, c.pharmacyDevice.address),
        observedReading(c.batchId, excursion, PHARMACY, 3n, c.pharmacyDevice.address, Result.Critical),
        ruleFired(c.batchId, 3n, RuleKind.CriticalObservation),
        ruleStopped(c.batchId, PHARMACY, c.stranger.address),
        relayed(c.pharmacyDevice.address, c.stranger.address, 0n, 2n),
      ]);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.EmergencyStop);
    });

    it("verifies negative and absent measures exactly as signed", async function () {
      const c = await loadFixture(classifyingRules);
      const series = [
        reading(Point.Storage, -1n, 0n),
        reading(Point.Storage, -32767n, 10000n),
        reading(Point.Transport, NO_TEMPERATURE, NO_HUMIDITY),
        reading(Point.Order, 32767n, 65535n, Result.Critical),
      ];
      const signed = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, series, 0n, await deadlineIn());
      const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, signed);
      const device = c.wholesalerDevice.address;
      await expectEvents(c.batchRegistry, tx, [
        observedReading(c.batchId, series[0], WHOLESALER, 2n, device, Result.Critical),
        observedReading(c.batchId, series[1], WHOLESALER, 3n, device, Result.Critical),
        observedReading(c.batchId, series[2], WHOLESALER, 4n, device),
        observedReading(c.batchId, series[3], WHOLESALER, 5n, device),
        relayed(device, c.stranger.address, 0n, 4n),
      ]);
    });

    it("does nothing for an empty list, using no nonce", async function () {
      const c = await loadFixture(engineParties);
      const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, []);
      await expectEvents(c.batchRegistry, tx, []);
      expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(0n);
      expect(await observationsOf(c, c.batchId)).to.equal(1n);
    });

    it("signs type Reading for the EIP-712 domain MedState / 1 at the BatchRegistry's address", async function () {
      const c = await loadFixture(engineParties);
      const atProxy = (await ethers.getContractAt("QualityEngine", c.engineAddress)) as unknown as QualityEngine;
      const typehash = ethers.id(
        "Reading(bytes32 subject,uint8 point,uint8 result,int16 temperature,uint16 humidity,uint256 nonce,uint48 deadline)",
      );
      expect(await atProxy.READING_TYPEHASH()).to.equal(typehash);
      expect(ethers.id(ethers.TypedDataEncoder.from(READING_TYPES).encodeType("Reading"))).to.equal(typehash);
      const domain = await atProxy.eip712Domain();
      const { chainId } = await ethers.provider.getNetwork();
      expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal(["MedState", "1", chainId, c.engineAddress]);
    });

    describe("nonces shared with observeSigned", function () {
      it("takes an observeSigned signature with the nonce after two signed readings", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const deadline = await deadlineIn();
        const n = await c.quality.nonces(device.address);
        const readings = await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD], n, deadline);
        await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, readings);
        expect(await c.quality.nonces(device.address)).to.equal(n + 2n);
        const o = goodReading(c);
        const signed = await signObservation(device, c.engineAddress, o, n + 2n, deadline);
        const tx = await c.quality.connect(c.stranger).observeSigned([signed]);
        await expectEvents(c.batchRegistry, tx, [
          observed(o, WHOLESALER, 4n, device.address),
          relayed(device.address, c.stranger.address, n + 2n, 1n),
        ]);
        expect(await c.quality.nonces(device.address)).to.equal(n + 3n);
      });

      it("takes signed readings with the nonces after an observeSigned signature", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const deadline = await deadlineIn();
        await c.quality.connect(c.stranger).observeSigned([await signObservation(device, c.engineAddress, goodReading(c), 0n, deadline)]);
        const tx = await c.quality
          .connect(c.stranger)
          .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD], 1n, deadline));
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 3n, device.address),
          observedReading(c.batchId, GOOD, WHOLESALER, 4n, device.address),
          relayed(device.address, c.stranger.address, 1n, 2n),
        ]);
        expect(await c.quality.nonces(device.address)).to.equal(3n);
      });

      it("reverts when an observeSigned signature reuses a nonce a signed reading used", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const deadline = await deadlineIn();
        await c.quality
          .connect(c.stranger)
          .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [GOOD], 0n, deadline));
        const o = goodReading(c);
        const signed = await signObservation(device, c.engineAddress, o, 0n, deadline);
        const recovered = await recoveredFrom(signed, o, 1n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSigned([signed]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(device.address, recovered);
      });
    });

    describe("signatures", function () {
      it("accepts a signature at its deadline", async function () {
        const c = await loadFixture(engineParties);
        const deadline = await deadlineIn(100n);
        const signed = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, [GOOD], 0n, deadline);
        await time.setNextBlockTimestamp(deadline);
        const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, signed);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 2n, c.wholesalerDevice.address),
          relayed(c.wholesalerDevice.address, c.stranger.address, 0n, 1n),
        ]);
      });

      it("reverts when a signature in the series expired, recording none and using no nonce", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const soon = await deadlineIn(100n);
        const late = await deadlineIn(3600n);
        const signed = [
          await signReading(device, c.engineAddress, c.batchId, GOOD, 0n, late),
          await signReading(device, c.engineAddress, c.batchId, GOOD, 1n, soon),
          await signReading(device, c.engineAddress, c.batchId, GOOD, 2n, late),
        ];
        await time.setNextBlockTimestamp(soon + 1n);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineSignatureExpired")
          .withArgs(device.address, soon);
        expect(await c.quality.nonces(device.address)).to.equal(0n);
        expect(await observationsOf(c, c.batchId)).to.equal(1n);
      });

      it("reverts when a series is submitted again", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const signed = await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD], 0n, await deadlineIn());
        await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed);
        const recovered = await recoveredFromReading(signed[0], c.batchId, GOOD, 2n, c.engineAddress);
        expect(recovered).to.not.equal(device.address);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(device.address, recovered);
        expect(await c.quality.nonces(device.address)).to.equal(2n);
        expect(await observationsOf(c, c.batchId)).to.equal(3n);
      });

      it("reverts when the same signed reading appears twice in one series", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const [first] = await signSeries(device, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
        const recovered = await recoveredFromReading(first, c.batchId, GOOD, 1n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, [first, first]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(device.address, recovered);
        expect(await c.quality.nonces(device.address)).to.equal(0n);
      });

      it("reverts when the readings are out of nonce order", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const [first, second] = await signSeries(device, c.engineAddress, c.batchId, [GOOD, GOOD], 0n, await deadlineIn());
        const recovered = await recoveredFromReading(second, c.batchId, GOOD, 0n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, [second, first]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(device.address, recovered);
      });

      it("reverts when the signature is for a future nonce", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const signed = await signSeries(device, c.engineAddress, c.batchId, [GOOD], 1n, await deadlineIn());
        const recovered = await recoveredFromReading(signed[0], c.batchId, GOOD, 0n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(device.address, recovered);
      });

      it("reverts when another device signed the readings", async function () {
        const c = await loadFixture(engineParties);
        const signed = await signSeries(c.logisticsDevice, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.wholesalerDevice.address, c.logisticsDevice.address);
      });

      it("reverts when one reading of the device's series was signed by another account", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const deadline = await deadlineIn();
        const signed = [
          await signReading(device, c.engineAddress, c.batchId, GOOD, 0n, deadline),
          await signReading(c.wholesaler, c.engineAddress, c.batchId, GOOD, 1n, deadline),
        ];
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(device.address, c.wholesaler.address);
        expect(await c.quality.nonces(device.address)).to.equal(0n);
      });

      const tampering: [string, (r: Reading) => Reading][] = [
        ["the temperature", (r) => ({ ...r, temperature: 350n })],
        ["the temperature's sign", (r) => ({ ...r, temperature: -BigInt(r.temperature) })],
        ["the humidity", (r) => ({ ...r, humidity: 3000n })],
        ["the point", (r) => ({ ...r, point: Point.Transport })],
        ["the result", (r) => ({ ...r, result: Result.Deviation })],
      ];
      for (const [field, tamper] of tampering) {
        it(`reverts when ${field} was changed after signing`, async function () {
          const c = await loadFixture(engineParties);
          const [signed] = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
          const forged = tamper(GOOD);
          const recovered = await recoveredFromReading(signed, c.batchId, forged, 0n, c.engineAddress);
          expect(recovered).to.not.equal(c.wholesalerDevice.address);
          await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, [{ ...signed, reading: forged }]))
            .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
            .withArgs(c.wholesalerDevice.address, recovered);
        });
      }

      it("reverts when the deadline was changed after signing", async function () {
        const c = await loadFixture(engineParties);
        const [signed] = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
        const forged = { ...signed, deadline: BigInt(signed.deadline) + 1000n };
        const recovered = await recoveredFromReading(forged, c.batchId, GOOD, 0n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, [forged]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.wholesalerDevice.address, recovered);
      });

      it("reverts when the readings were signed for another subject", async function () {
        const c = await loadFixture(engineParties);
        // Signed for the maker's plain batch, submitted as readings of the vaccine batch.
        const signed = await signSeries(c.makerDevice, c.engineAddress, c.plainBatchId, [GOOD], 0n, await deadlineIn());
        const recovered = await recoveredFromReading(signed[0], c.batchId, GOOD, 0n, c.engineAddress);
        expect(recovered).to.not.equal(c.makerDevice.address);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.makerDevice.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.makerDevice.address, recovered);
        expect(await c.quality.nonces(c.makerDevice.address)).to.equal(0n);
      });

      it("reverts when the readings were signed for the product instead of the batch", async function () {
        const c = await loadFixture(engineParties);
        const r = reading(Point.Inspection);
        const signed = await signSeries(c.makerDevice, c.engineAddress, productSubject(GTIN), [r], 0n, await deadlineIn());
        const recovered = await recoveredFromReading(signed[0], c.batchId, r, 0n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.makerDevice.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.makerDevice.address, recovered);
      });

      for (const [title, target] of [
        ["the consortium registry", async (c: Ctx) => c.registry.getAddress()],
        ["the engine's own address", async (c: Ctx) => c.batchRegistry.engine()],
      ] as const) {
        it(`reverts when the readings were signed for ${title}`, async function () {
          const c = await loadFixture(engineParties);
          const signed = await signSeries(c.wholesalerDevice, await target(c), c.batchId, [GOOD], 0n, await deadlineIn());
          const recovered = await recoveredFromReading(signed[0], c.batchId, GOOD, 0n, c.engineAddress);
          await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, signed))
            .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
            .withArgs(c.wholesalerDevice.address, recovered);
        });
      }

      it("reverts when an Observation signature's r and vs are replayed as a reading's", async function () {
        const c = await loadFixture(engineParties);
        const o = goodReading(c);
        const observationSig = await signObservation(c.wholesalerDevice, c.engineAddress, o, 0n, await deadlineIn());
        const sig = ethers.Signature.from(ethers.hexlify(observationSig.signature));
        const replayed: SignedReading = { reading: GOOD, deadline: observationSig.deadline, r: sig.r, vs: sig.yParityAndS };
        const recovered = await recoveredFromReading(replayed, c.batchId, GOOD, 0n, c.engineAddress);
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, [replayed]))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
          .withArgs(c.wholesalerDevice.address, recovered);
      });

      for (const [title, malform] of [
        ["r is zero", (s: SignedReading): SignedReading => ({ ...s, r: ethers.ZeroHash })],
        ["vs is zero", (s: SignedReading): SignedReading => ({ ...s, vs: ethers.ZeroHash })],
        ["r and vs are zero", (s: SignedReading): SignedReading => ({ ...s, r: ethers.ZeroHash, vs: ethers.ZeroHash })],
        [
          "vs carries an s above n/2",
          // The malleated twin n − s needs bit 255, which EIP-2098 spends on the parity: the
          // only high s a compact signature can carry lies between n/2 and 2^255.
          (s: SignedReading): SignedReading => {
            const halfN = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
            const parity = BigInt(ethers.hexlify(s.vs)) >> 255n;
            return { ...s, vs: ethers.toBeHex((parity << 255n) | (halfN + 1n), 32) };
          },
        ],
      ] as const) {
        it(`reverts with a zero signer when ${title}`, async function () {
          const c = await loadFixture(engineParties);
          const [signed] = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
          await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, [malform(signed)]))
            .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidSignature")
            .withArgs(c.wholesalerDevice.address, ethers.ZeroAddress);
          expect(await c.quality.nonces(c.wholesalerDevice.address)).to.equal(0n);
        });
      }
    });

    describe("the device, checked once before any signature", function () {
      const refused: [string, (c: Ctx) => HardhatEthersSigner, string, (c: Ctx) => unknown[]][] = [
        ["a non-device member (the wholesaler's admin)", (c) => c.wholesaler, "RegistryRoleNotAllowed", (c) => [c.wholesaler.address, Role.Admin]],
        ["a non-device member (the wholesaler's qa member)", (c) => c.wholesalerQa, "RegistryRoleNotAllowed", (c) => [c.wholesalerQa.address, Role.QA]],
        ["a non-member", (c) => c.stranger, "RegistryNotMember", (c) => [c.stranger.address]],
      ];
      for (const [title, pick, error, args] of refused) {
        it(`reverts for ${title} even with its own valid signature`, async function () {
          const c = await loadFixture(engineParties);
          const signed = await signSeries(pick(c), c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
          await expect(c.quality.connect(c.hospital).observeSignedReadings(c.batchId, pick(c).address, signed))
            .to.be.revertedWithCustomError(c.registry, error)
            .withArgs(...args(c));
          expect(await c.quality.nonces(pick(c).address)).to.equal(0n);
        });

        it(`reverts for ${title} before looking at an expired or malformed signature`, async function () {
          const c = await loadFixture(engineParties);
          const [signed] = await signSeries(pick(c), c.engineAddress, c.batchId, [GOOD], 0n, BigInt(await time.latest()) - 1n);
          await expect(
            c.quality.connect(c.stranger).observeSignedReadings(c.batchId, pick(c).address, [signed, { ...signed, r: ethers.ZeroHash, vs: ethers.ZeroHash }]),
          )
            .to.be.revertedWithCustomError(c.registry, error)
            .withArgs(...args(c));
        });

        it(`reverts for ${title} with an empty series`, async function () {
          const c = await loadFixture(engineParties);
          await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, pick(c).address, []))
            .to.be.revertedWithCustomError(c.registry, error)
            .withArgs(...args(c));
        });
      }

      it("reverts for the zero address as device", async function () {
        const c = await loadFixture(engineParties);
        const [signed] = await signSeries(c.wholesalerDevice, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, ethers.ZeroAddress, [{ ...signed, r: ethers.ZeroHash }]))
          .to.be.revertedWithCustomError(c.registry, "RegistryNotMember")
          .withArgs(ethers.ZeroAddress);
      });
    });

    describe("authorization and validation", function () {
      const refusals: [string, (c: Ctx) => HardhatEthersSigner, number, bigint][] = [
        ["the logistics device records storage of a batch its party has no link to", (c) => c.logisticsDevice, Point.Storage, LOGISTICS],
        ["the wholesaler's device records an adverse reaction", (c) => c.wholesalerDevice, Point.Adverse, WHOLESALER],
        ["the wholesaler's device records production", (c) => c.wholesalerDevice, Point.Production, WHOLESALER],
        ["the logistics device records an inspection", (c) => c.logisticsDevice, Point.Inspection, LOGISTICS],
      ];
      for (const [title, pick, point, party] of refusals) {
        it(`reverts when ${title}, using no nonce`, async function () {
          const c = await loadFixture(engineParties);
          const device = pick(c);
          const signed = await signSeries(device, c.engineAddress, c.batchId, [reading(point)], 0n, await deadlineIn());
          await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
            .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
            .withArgs(c.batchId, point, party);
          expect(await c.quality.nonces(device.address)).to.equal(0n);
        });
      }

      it("reverts when the wholesaler's device records storage of the product", async function () {
        const c = await loadFixture(engineParties);
        const subject = productSubject(GTIN);
        const signed = await signSeries(c.wholesalerDevice, c.engineAddress, subject, [GOOD], 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSignedReadings(subject, c.wholesalerDevice.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(subject, Point.Storage, WHOLESALER);
      });

      it("reverts when a pharmacy device records an adverse reaction before the batch reached the pharmacy", async function () {
        const c = await loadFixture(vaccineBatch);
        const signed = await signSeries(c.pharmacyDevice, c.engineAddress, c.batchId, [reading(Point.Adverse)], 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, c.pharmacyDevice.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineNotDelivered")
          .withArgs(c.batchId, PHARMACY);
      });

      it("reverts when a reading in the middle has an invalid humidity, recording none and using no nonce", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const series = [GOOD, reading(Point.Storage, 500n, 10001n), GOOD];
        const signed = await signSeries(device, c.engineAddress, c.batchId, series, 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidHumidity")
          .withArgs(10001n);
        expect(await c.quality.nonces(device.address)).to.equal(0n);
        expect(await observationsOf(c, c.batchId)).to.equal(1n);
      });

      it("reverts when a reading in the middle is not allowed, after a stop, leaving the batch marketed and the nonce unchanged", async function () {
        const c = await loadFixture(engineParties);
        const device = c.wholesalerDevice;
        const series = [reading(Point.Storage, 950n), reading(Point.Adverse), GOOD];
        const signed = await signSeries(device, c.engineAddress, c.batchId, series, 0n, await deadlineIn());
        await expect(c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed))
          .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
          .withArgs(c.batchId, Point.Adverse, WHOLESALER);
        expect(await c.quality.nonces(device.address)).to.equal(0n);
        const record = await c.collaboration.subjectRecord(c.batchId);
        expect([record.state, record.observations]).to.deep.equal([BigInt(State.Marketed), 1n]);
      });

      for (const [title, subject] of [
        ["an unknown batch", batchIdOf(GTIN, "NO-SUCH-LOT")],
        ["an unknown product", productSubject(UNKNOWN_GTIN)],
      ] as const) {
        it(`reverts when the signed subject is ${title}`, async function () {
          const c = await loadFixture(engineParties);
          const signed = await signSeries(c.regulatorDevice, c.engineAddress, subject, [reading(Point.Inspection)], 0n, await deadlineIn());
          await expect(c.quality.connect(c.stranger).observeSignedReadings(subject, c.regulatorDevice.address, signed))
            .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
            .withArgs(subject);
          expect(await c.quality.nonces(c.regulatorDevice.address)).to.equal(0n);
        });
      }
    });

    describe("inspection flag and rules", function () {
      it("sets and clears the batch's inspected flag with signed inspection readings", async function () {
        const c = await loadFixture(vaccineBatch);
        const device = c.makerDevice;
        const deadline = await deadlineIn();
        await c.quality
          .connect(c.stranger)
          .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [reading(Point.Inspection)], 0n, deadline));
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(1n);
        const failed = reading(Point.Inspection, NO_TEMPERATURE, NO_HUMIDITY, Result.Deviation);
        await c.quality
          .connect(c.stranger)
          .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [failed], 1n, deadline));
        expect((await c.batchRegistry.getBatch(c.batchId)).flags).to.equal(0n);
      });

      it("never stops the batch on one device's signed adverse readings", async function () {
        const c = await loadFixture(adverseRules);
        const device = c.pharmacyDevice;
        const adverse = reading(Point.Adverse);
        const signed = await signSeries(device, c.engineAddress, c.batchId, [adverse, adverse, adverse, adverse], 0n, await deadlineIn());
        const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, adverse, PHARMACY, 2n, device.address),
          observedReading(c.batchId, adverse, PHARMACY, 3n, device.address),
          observedReading(c.batchId, adverse, PHARMACY, 4n, device.address),
          observedReading(c.batchId, adverse, PHARMACY, 5n, device.address),
          relayed(device.address, c.stranger.address, 0n, 4n),
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
      });

      it(`stops the batch on a signed adverse reading of the ${ADVERSE_COUNT}rd distinct party, the relayer being the actor`, async function () {
        const c = await loadFixture(adverseRules);
        await c.quality.connect(c.hospital).observe(observation(c.batchId, Point.Adverse));
        await c.quality.connect(c.extra[0]).observe(observation(c.batchId, Point.Adverse));
        const device = c.pharmacyDevice;
        const adverse = reading(Point.Adverse);
        const signed = await signSeries(device, c.engineAddress, c.batchId, [adverse], 0n, await deadlineIn());
        const tx = await c.quality.connect(c.stranger).observeSignedReadings(c.batchId, device.address, signed);
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, adverse, PHARMACY, 4n, device.address),
          ruleFired(c.batchId, 4n, RuleKind.AdverseCount),
          ruleStopped(c.batchId, PHARMACY, c.stranger.address),
          relayed(device.address, c.stranger.address, 0n, 1n),
        ]);
      });

      it("consults the rule contract, emitting RuleFailed when it reverts", async function () {
        const c = await loadFixture(ruleContract);
        const device = c.wholesalerDevice;
        const deadline = await deadlineIn();
        const r = reading(Point.Storage, 777n);
        await c.quality
          .connect(c.stranger)
          .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [r], 0n, deadline));
        expect([await c.rule.calls(), await c.rule.lastSeq(), await c.rule.lastTemperature()]).to.deep.equal([1n, 2n, 777n]);
        await c.rule.setBehaviour(Behaviour.Revert);
        const tx = await c.quality
          .connect(c.stranger)
          .observeSignedReadings(c.batchId, device.address, await signSeries(device, c.engineAddress, c.batchId, [GOOD], 1n, deadline));
        await expectEvents(c.batchRegistry, tx, [
          observedReading(c.batchId, GOOD, WHOLESALER, 3n, device.address),
          ["RuleFailed", [c.batchId, 3n, c.ruleAddress]],
          relayed(device.address, c.stranger.address, 1n, 1n),
        ]);
      });
    });

    describe("devices", function () {
      restoreClockAfter();
      itRejectsCallers(
        readingSignerParties,
        signerCases(),
        async (c, s) => {
          const signed = await signSeries(s, c.engineAddress, c.batchId, [GOOD], 0n, await deadlineIn());
          return c.quality.connect(c.stranger).observeSignedReadings(c.batchId, await s.getAddress(), signed);
        },
        (c) => c.quality,
      );
    });
  });

  describe("setRules", function () {
    it("lets the holder's admin set a product's rules once", async function () {
      const c = await loadFixture(engineParties);
      const rules = vaccineRules({ adverseCount: 2n, adverseWindow: 7n * 86400n });
      const tx = await c.quality.connect(c.maker).setRules(GTIN2, rules);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN2, rulesTuple(rules), c.maker.address]]]);
      await expectRules(c, GTIN2, rules, true);
      await expect(c.quality.connect(c.maker).setRules(GTIN2, rules))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineRulesLocked")
        .withArgs(GTIN2);
    });

    it("lets the holder's operator set a product's rules once", async function () {
      const c = await loadFixture(engineParties);
      const rules = vaccineRules();
      const tx = await c.quality.connect(c.makerOperator).setRules(GTIN2, rules);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN2, rulesTuple(rules), c.makerOperator.address]]]);
      await expect(c.quality.connect(c.maker).setRules(GTIN2, vaccineRules({ stopOnCritical: 0n })))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineRulesLocked")
        .withArgs(GTIN2);
    });

    it("reverts when the holder changes rules it set (the fixture set the vaccine's)", async function () {
      const c = await loadFixture(engineParties);
      await expect(c.quality.connect(c.makerOperator).setRules(GTIN, vaccineRules()))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineRulesLocked")
        .withArgs(GTIN);
    });

    it("lets the governor set rules before and after the holder", async function () {
      const c = await loadFixture(engineParties);
      const gov = await c.gov.getAddress();
      const first = vaccineRules({ stopOnCritical: 0xffn });
      const tx1 = await c.quality.connect(c.gov).setRules(GTIN2, first);
      await expectEvents(c.batchRegistry, tx1, [["RulesSet", [GTIN2, rulesTuple(first), gov]]]);
      await expectRules(c, GTIN2, first, true);
      const second = vaccineRules({ storageRange: { minTemperature: -100n, maxTemperature: 2500n, maxHumidity: 0n } });
      const tx2 = await c.quality.connect(c.gov).setRules(GTIN, second);
      await expectEvents(c.batchRegistry, tx2, [["RulesSet", [GTIN, rulesTuple(second), gov]]]);
      await expectRules(c, GTIN, second, true);
    });

    it("lets the governor set a rule contract", async function () {
      const c = await loadFixture(engineParties);
      const rule = await ethers.deployContract("QualityRuleMock");
      const rules = vaccineRules({ ruleContract: await rule.getAddress(), ruleGas: MAX_RULE_GAS });
      const tx = await c.quality.connect(c.gov).setRules(GTIN2, rules);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN2, rulesTuple(rules), await c.gov.getAddress()]]]);
      await expectRules(c, GTIN2, rules, true);
    });

    it("reverts when the holder sets a rule contract", async function () {
      const c = await loadFixture(engineParties);
      const rule = await ethers.deployContract("QualityRuleMock");
      await expect(c.quality.connect(c.maker).setRules(GTIN2, vaccineRules({ ruleContract: await rule.getAddress(), ruleGas: RULE_GAS })))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationOnlyGovernor")
        .withArgs(c.maker.address);
    });

    it("reverts when the product is unknown, even for the governor", async function () {
      const c = await loadFixture(engineParties);
      for (const signer of [c.maker, c.gov]) {
        await expect(c.quality.connect(signer).setRules(UNKNOWN_GTIN, vaccineRules()))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownProduct")
          .withArgs(UNKNOWN_GTIN);
      }
    });

    it("reverts when another manufacturer sets the rules", async function () {
      const c = await loadFixture(engineParties);
      await expect(c.quality.connect(c.maker2).setRules(GTIN2, vaccineRules()))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN2, MAKER2);
    });

    describe("validation", function () {
      const range = (minTemperature: bigint, maxTemperature: bigint, maxHumidity: bigint) => ({ minTemperature, maxTemperature, maxHumidity });
      const invalid: [string, string, Partial<Rules>, boolean][] = [
        ["the storage minimum is above its maximum", "storageRange", { storageRange: range(801n, 800n, 65n) }, false],
        ["the storage humidity is above 100 %", "storageRange", { storageRange: range(200n, 800n, 101n) }, false],
        ["the storage humidity is 254 %", "storageRange", { storageRange: range(200n, 800n, 254n) }, false],
        ["the transport minimum is above its maximum", "transportRange", { transportRange: range(NO_MAX, NO_MIN, 255n) }, false],
        ["the transport humidity is above 100 %", "transportRange", { transportRange: range(200n, 800n, 101n) }, false],
        ["the adverse count is above 8", "adverse", { adverseCount: 9n, adverseWindow: 3600n }, false],
        ["the adverse count has no window", "adverse", { adverseCount: 3n, adverseWindow: 0n }, false],
        ["the adverse window has no count", "adverse", { adverseCount: 0n, adverseWindow: 3600n }, false],
        ["there is rule gas but no rule contract", "ruleGas", { ruleGas: 1n }, false],
        ["the rule contract has no code", "ruleContract", { ruleContract: "0x000000000000000000000000000000000000dEaD", ruleGas: RULE_GAS }, true],
        ["the rule contract has no gas", "ruleGas", { ruleContract: "RULE", ruleGas: 0n }, true],
        ["the rule contract has more than 1,000,000 gas", "ruleGas", { ruleContract: "RULE", ruleGas: MAX_RULE_GAS + 1n }, true],
      ];
      for (const [title, field, overrides, byGovernor] of invalid) {
        it(`reverts when ${title}`, async function () {
          const c = await loadFixture(engineParties);
          const rule = await ethers.deployContract("QualityRuleMock");
          const resolved = overrides.ruleContract === "RULE" ? { ...overrides, ruleContract: await rule.getAddress() } : overrides;
          const signers = byGovernor ? [c.gov] : [c.gov, c.maker];
          for (const signer of signers) {
            await expect(c.quality.connect(signer).setRules(GTIN2, vaccineRules(resolved)))
              .to.be.revertedWithCustomError(c.quality, "QualityEngineInvalidRules")
              .withArgs(field);
          }
          await expectRules(c, GTIN2, UNSET_RULES, false);
        });
      }

      const valid: [string, Partial<Rules>][] = [
        ["a single-point range and 100 % humidity", { storageRange: range(500n, 500n, 100n), transportRange: range(-40n, -40n, 0n) }],
        ["open ranges", { storageRange: range(NO_MIN, NO_MAX, NO_MAX_HUMIDITY), transportRange: range(NO_MIN, 0n, NO_MAX_HUMIDITY) }],
        ["an adverse count of 8 and the largest window", { adverseCount: 8n, adverseWindow: 0xffffffffn }],
        ["every point in the stop mask", { stopOnCritical: 0xffn }],
      ];
      for (const [title, overrides] of valid) {
        it(`accepts ${title}`, async function () {
          const c = await loadFixture(engineParties);
          const rules = vaccineRules(overrides);
          const tx = await c.quality.connect(c.maker).setRules(GTIN2, rules);
          await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN2, rulesTuple(rules), c.maker.address]]]);
          await expectRules(c, GTIN2, rules, true);
        });
      }
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        setRulesCallerParties,
        setRulesCallerCases(),
        (c, s) => c.quality.connect(s).setRules(GTIN2, vaccineRules()),
        (c) => c.quality,
      );
    });
  });

  describe("rulesOf", function () {
    it("reports open ranges and zeroes for a product whose rules were never set", async function () {
      const c = await loadFixture(engineParties);
      await expectRules(c, GTIN2, UNSET_RULES, false);
    });

    it("reports the rules the holder set", async function () {
      const c = await loadFixture(engineParties);
      await expectRules(c, GTIN, vaccineRules(), true);
    });

    it("decodes negative temperatures, open bounds and every extension field exactly", async function () {
      const c = await loadFixture(engineParties);
      const rule = await ethers.deployContract("QualityRuleMock");
      const rules: Rules = {
        storageRange: { minTemperature: -2500n, maxTemperature: -1500n, maxHumidity: 100n },
        transportRange: { minTemperature: NO_MIN, maxTemperature: -1n, maxHumidity: NO_MAX_HUMIDITY },
        stopOnCritical: 0b10101010n,
        adverseCount: 8n,
        adverseWindow: 0xfffffffen,
        ruleContract: await rule.getAddress(),
        ruleGas: 999_999n,
      };
      await c.quality.connect(c.gov).setRules(GTIN2, rules);
      await expectRules(c, GTIN2, rules, true);
    });

    it("reports rules set to all zeroes as set", async function () {
      const c = await loadFixture(engineParties);
      const zero = { minTemperature: 0n, maxTemperature: 0n, maxHumidity: 0n };
      const rules = vaccineRules({ storageRange: zero, transportRange: zero, stopOnCritical: 0n });
      await c.quality.connect(c.maker).setRules(GTIN2, rules);
      await expectRules(c, GTIN2, rules, true);
    });

    it("reports the latest rules, with a removed extension cleared", async function () {
      const c = await loadFixture(ruleContract);
      await expectRules(c, GTIN, vaccineRules({ ruleContract: c.ruleAddress, ruleGas: RULE_GAS }), true);
      await c.quality.connect(c.gov).setRules(GTIN, vaccineRules({ stopOnCritical: 0n }));
      await expectRules(c, GTIN, vaccineRules({ stopOnCritical: 0n }), true);
    });

    it("reverts when the product is unknown", async function () {
      const c = await loadFixture(engineParties);
      await expect(c.quality.rulesOf(UNKNOWN_GTIN))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownProduct")
        .withArgs(UNKNOWN_GTIN);
    });
  });

  describe("nonces", function () {
    it("starts at zero and counts a device's signed observations", async function () {
      const c = await loadFixture(engineParties);
      expect(await c.quality.nonces(c.makerDevice.address)).to.equal(0n);
      for (const nonce of [0n, 1n, 2n]) {
        const signed = await signObservation(c.makerDevice, c.engineAddress, observation(c.batchId, Point.Production), nonce, await deadlineIn());
        await c.quality.connect(c.stranger).observeSigned([signed]);
        expect(await c.quality.nonces(c.makerDevice.address)).to.equal(nonce + 1n);
      }
    });

    it("is not used by direct observations of the device", async function () {
      const c = await loadFixture(engineParties);
      await c.quality.connect(c.makerDevice).observe(observation(c.batchId, Point.Production));
      expect(await c.quality.nonces(c.makerDevice.address)).to.equal(0n);
    });
  });

  describe("registry", function () {
    it("answers at the BatchRegistry's address and at the engine's own", async function () {
      const c = await loadFixture(engineParties);
      const registry = await c.registry.getAddress();
      const engine = (await ethers.getContractAt("QualityEngine", await c.batchRegistry.engine())) as unknown as QualityEngine;
      expect(await c.quality.registry()).to.equal(registry);
      expect(await engine.registry()).to.equal(registry);
    });
  });

  describe("routing at the BatchRegistry", function () {
    it("names the quality engine as the engine and as modules()'s quality, beside the collaboration engine", async function () {
      const c = await loadFixture(engineParties);
      const registry = await c.registry.getAddress();
      const [products, quality, collaboration] = await c.batchRegistry.modules();
      expect(await c.batchRegistry.engine()).to.equal(quality);
      expect(new Set([products, quality, collaboration]).size).to.equal(3);
      for (const [name, address] of [
        ["ProductRegistry", products],
        ["QualityEngine", quality],
        ["CollaborationEngine", collaboration],
      ] as const) {
        const module = (await ethers.getContractAt("IQualityEngine", address)) as unknown as IQualityEngine;
        expect(await module.registry(), name).to.equal(registry);
      }
    });

    it("routes every function of IQualityEngine but registry() to the quality engine", async function () {
      const c = await loadFixture(engineParties);
      const [, quality] = await c.batchRegistry.modules();
      const selectors: string[] = [];
      c.quality.interface.forEachFunction((f) => {
        if (f.name !== "registry") selectors.push(f.selector);
      });
      expect(selectors).to.have.length(8);
      for (const selector of selectors) expect(await c.batchRegistry.moduleOf(selector), selector).to.equal(quality);
      const atProxy = (await ethers.getContractAt("QualityEngine", c.engineAddress)) as unknown as QualityEngine;
      for (const f of ["OBSERVATION_TYPEHASH", "READING_TYPEHASH", "eip712Domain"] as const) {
        expect(await c.batchRegistry.moduleOf(atProxy.interface.getFunction(f).selector), f).to.equal(quality);
      }
    });

    it("routes the collaboration engine's and the suspect cases' functions to the collaboration engine", async function () {
      const c = await loadFixture(engineParties);
      const [, , collaboration] = await c.batchRegistry.modules();
      const suspects = await suspectsAt(c);
      const selectors: string[] = [];
      for (const iface of [c.collaboration.interface, suspects.interface]) {
        iface.forEachFunction((f) => {
          if (f.name !== "registry") selectors.push(f.selector);
        });
      }
      for (const selector of selectors) expect(await c.batchRegistry.moduleOf(selector), selector).to.equal(collaboration);
    });
  });

  describe("direct calls", function () {
    async function engineAt(c: Ctx): Promise<QualityEngine> {
      return (await ethers.getContractAt("QualityEngine", await c.batchRegistry.engine())) as unknown as QualityEngine;
    }

    const calls: [string, (e: QualityEngine, c: Ctx) => Promise<unknown>][] = [
      ["observe", (e, c) => e.connect(c.wholesaler).observe(goodReading(c))],
      ["observeMany", (e, c) => e.connect(c.wholesaler).observeMany([goodReading(c)])],
      [
        "observeSigned",
        async (e, c) => {
          const signed = await signObservation(c.wholesalerDevice, await e.getAddress(), goodReading(c), 0n, await deadlineIn());
          return e.connect(c.stranger).observeSigned([signed]);
        },
      ],
      ["observeReadings", (e, c) => e.connect(c.wholesaler).observeReadings(c.batchId, [GOOD])],
      [
        "observeSignedReadings",
        async (e, c) => {
          const signed = await signReading(c.wholesalerDevice, await e.getAddress(), c.batchId, GOOD, 0n, await deadlineIn());
          return e.connect(c.stranger).observeSignedReadings(c.batchId, c.wholesalerDevice.address, [signed]);
        },
      ],
      ["setRules by the governor", (e, c) => e.connect(c.gov).setRules(GTIN, vaccineRules())],
      ["setRules by the holder", (e, c) => e.connect(c.maker).setRules(GTIN2, vaccineRules())],
      ["rulesOf", (e) => e.rulesOf(GTIN)],
      ["nonces", (e, c) => e.nonces(c.wholesalerDevice.address)],
    ];
    for (const [name, call] of calls) {
      it(`reverts when ${name} is called at the engine's own address`, async function () {
        const c = await loadFixture(engineParties);
        const engine = await engineAt(c);
        await expect(call(engine, c)).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      });
    }

    it("reverts when a function of a freshly deployed engine is called at its address", async function () {
      const c = await loadFixture(engineParties);
      const registry = await c.registry.getAddress();
      const collaboration = (await ethers.deployContract("CollaborationEngine", [registry])) as unknown as CollaborationEngine;
      const engine = (await ethers.deployContract("QualityEngine", [registry])) as unknown as QualityEngine;
      await expect(engine.connect(c.regulator).observe(observation(c.batchId, Point.Inspection)))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall")
        .withArgs();
      await expect(engine.rulesOf(GTIN)).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      const collab = (await ethers.getContractAt(
        "ICollaborationEngine",
        await collaboration.getAddress(),
      )) as unknown as ICollaborationEngine;
      await expect(collab.subjectRecord(c.batchId)).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      await expect(collab.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "x"))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall")
        .withArgs();
      expect(await collab.registry()).to.equal(registry);
    });

    it("reverts without a reason when a collaboration function is called at the quality engine's own address (it has no fallback)", async function () {
      const c = await loadFixture(engineParties);
      const collab = (await ethers.getContractAt(
        "ICollaborationEngine",
        await c.batchRegistry.engine(),
      )) as unknown as ICollaborationEngine;
      await expect(collab.stateGraph()).to.be.revertedWithoutReason(ethers);
      await expect(collab.subjectRecord(c.batchId)).to.be.revertedWithoutReason(ethers);
      await expect(collab.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "direct")).to.be.revertedWithoutReason(ethers);
      await expect(collab.connect(c.regulator).openRecall(c.batchId, 1, "direct")).to.be.revertedWithoutReason(ethers);
      // The BatchRegistry's own record is untouched.
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
    });

    it("reverts when a collaboration function is called at the collaboration engine's own address", async function () {
      const c = await loadFixture(engineParties);
      const [, , address] = await c.batchRegistry.modules();
      const collab = (await ethers.getContractAt("ICollaborationEngine", address)) as unknown as ICollaborationEngine;
      await expect(collab.stateGraph()).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      await expect(collab.recallPeriods()).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      await expect(collab.subjectRecord(c.batchId)).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      // Not run on the engine's empty storage: a state change reverts instead of being recorded there.
      await expect(collab.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "direct"))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall")
        .withArgs();
      await expect(collab.connect(c.regulator).openRecall(c.batchId, 1, "direct"))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall")
        .withArgs();
      await expect(collab.connect(c.regulator).seizeStock(c.batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall")
        .withArgs();
      expect(await collab.registry()).to.equal(await c.registry.getAddress());
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Marketed);
    });

    it("answers READING_TYPEHASH at the engine's own address (a constant, not delegated)", async function () {
      const c = await loadFixture(engineParties);
      const engine = await engineAt(c);
      const atProxy = (await ethers.getContractAt("QualityEngine", c.engineAddress)) as unknown as QualityEngine;
      expect(await engine.READING_TYPEHASH()).to.equal(await atProxy.READING_TYPEHASH());
    });
  });
});
