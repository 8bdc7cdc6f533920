import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { Signer } from "ethers";

import { Domain, Role, UnitStatus } from "../../sdk/enums.js";
import type { ICollaborationEngine, ISuspectProduct } from "../../types/ethers-contracts/index.js";
import {
  type CallerCase,
  itRejectsCallers,
  nonMemberCases,
  standingCases,
  wrongDomain,
  wrongRole,
} from "../helpers/callers.js";
import {
  HOSPITAL,
  LABORATORY,
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
  type BatchQualityCtx,
  CaseStatus,
  DAY,
  GTIN,
  QUANTITY,
  State,
  StateKind,
  UNITS,
  Actor,
  caseIdOf,
  custodyOf,
  destructionIdOf,
  distributedBatch,
  expectCustodyConserved,
  productSubject,
  recalledBatch,
  stoppedBatch,
  suspectsAt,
} from "../helpers/quality.js";
import { batchIdOf, eventsOf, expectEvents, inspect } from "../helpers/supply.js";

// ==== CONSTANTS ====

const { loadFixture, time } = networkHelpers;

/** ISuspectProduct.WHOLE_BATCH: type(uint48).max. */
const WHOLE_BATCH = 2n ** 48n - 1n;
/** ISuspectProduct.NOTIFICATION_PERIOD: 24 hours. */
const NOTIFICATION_PERIOD = DAY;
const EVIDENCE = ethers.id("photo of the broken seal");
const FINDING = ethers.id("laboratory report");
const NOTICE = ethers.id("notification to the regulator and trading partners");
const REASON = "seal broken";
/** A lot no fixture creates. */
const NO_LOT = "NO-SUCH-LOT";
/** A batch without a unit file. */
const LOT2 = "VAX-2026-002";
/** The case the fixtures open: the wholesaler quarantines 15 of its 40. */
const CASE_QUANTITY = 15n;

// ==== CONTEXTS ====

interface SuspectCtx extends BatchQualityCtx {
  /** The suspect-case functions, at the batch registry's address. */
  suspects: ISuspectProduct;
}

interface CaseCtx extends SuspectCtx {
  caseId: string;
  openedAt: bigint;
  /** The notification deadline (0 until an illegitimate finding). */
  notifyBy: bigint;
}

type Ctx = CaseCtx;

// ==== HELPERS ====

/** A case as a plain array: batchId, reporter, quantity, openedAt, notifyBy, status, no, unit, notifiedAt. */
async function caseOf(c: SuspectCtx, caseId: string): Promise<unknown[]> {
  return [...(await c.suspects.suspectCase(caseId))];
}

async function countOf(c: SuspectCtx, batchId: string = c.batchId): Promise<[bigint, bigint]> {
  const [cases, suspended] = await c.suspects.suspectCount(batchId);
  return [cases, suspended];
}

/** Sends `tx` and returns it with the timestamp of its block. */
async function minedAt<T>(tx: Promise<T>): Promise<[T, bigint]> {
  const sent = await tx;
  return [sent, BigInt(await time.latest())];
}

/**
 * The code objects' own addresses, as ISuspectProduct: the quality engine's and the
 * collaboration engine's (the BatchRegistry routes the suspect-case selectors to the latter).
 */
async function enginesAt(c: SuspectCtx): Promise<[ISuspectProduct, ISuspectProduct]> {
  const [, quality, collaboration] = await c.batchRegistry.modules();
  return [
    (await ethers.getContractAt("ISuspectProduct", quality)) as unknown as ISuspectProduct,
    (await ethers.getContractAt("ISuspectProduct", collaboration)) as unknown as ISuspectProduct,
  ];
}

/** A qa member of the regulator, enrolled now (others[9]). */
async function regulatorQaOf(c: SuspectCtx): Promise<HardhatEthersSigner> {
  const qa = c.others[9];
  await c.registry.connect(c.regulator).addMember(REGULATOR, qa.address, Role.QA);
  return qa;
}

/** A state of a configured graph (ICollaborationEngine.StateDef), its name as bytes16. */
function stateDef(
  name: string,
  kind: number,
  halts: boolean,
  actors: number,
  from: number,
  prerequisites: number,
): ICollaborationEngine.StateDefStruct {
  // Scope: batches and products for the plain states, batches alone for a recall or a disposal.
  const scope = kind === StateKind.Plain ? 3 : 1;
  return { name: ethers.encodeBytes32String(name).slice(0, 34), kind, halts, actors, scope, from, prerequisites };
}

const REG = 1 << Actor.Regulator;
const HOLD = 1 << Actor.Holder;
const RULE = 1 << Actor.Rule;
const WIT = 1 << Actor.Witness;
const bit = (state: number) => 1 << state;

/** The default graph's Marketed, EmergencyStop and Recall, as a configured graph starts. */
const STOP_AND_RECALL: ICollaborationEngine.StateDefStruct[] = [
  stateDef("Marketed", StateKind.Plain, false, REG, bit(State.EmergencyStop), 0),
  stateDef("EmergencyStop", StateKind.Plain, true, REG | HOLD | RULE, bit(State.Marketed), 0),
  stateDef("Recall", StateKind.Recall, true, REG | HOLD, bit(State.EmergencyStop), bit(State.EmergencyStop)),
];

/** A disposal state at id 3 (the default's Destroyed), entered by `actors`. */
function disposal(actors: number): ICollaborationEngine.StateDefStruct {
  return stateDef("Destroyed", StateKind.Disposal, true, actors, bit(State.Recall) | bit(State.Destroyed), bit(State.Recall));
}

/** A fixture of its own for a caller table (its describe restores the clock afterwards). */
function callerFixture<T>(name: string, base: () => Promise<T>): () => Promise<T> {
  const fixture = () => base();
  Object.defineProperty(fixture, "name", { value: name });
  return fixture;
}

// ==== FIXTURES ====

/** distributedBatch (maker 30, wholesaler 40, pharmacy 20, hospital 10) and the suspect-case functions. */
async function suspectBatch(): Promise<SuspectCtx> {
  const c = await distributedBatch();
  return { ...c, suspects: await suspectsAt(c) };
}

/** stoppedBatch (EmergencyStop by the regulator) and the suspect-case functions. */
async function stoppedSuspectBatch(): Promise<SuspectCtx> {
  const c = await stoppedBatch();
  return { ...c, suspects: await suspectsAt(c) };
}

/** recalledBatch (level I, opened by the regulator) and the suspect-case functions. */
async function recalledSuspectBatch(): Promise<SuspectCtx> {
  const c = await recalledBatch();
  return { ...c, suspects: await suspectsAt(c) };
}

/** + a second released batch of the product with no unit file (LOT2, 50 boxes held by the maker). */
async function unitlessBatch(): Promise<SuspectCtx & { batch2: string }> {
  const c = await suspectBatch();
  const now = BigInt(await time.latest());
  await c.batchRegistry.connect(c.maker).createBatch({
    gtin: GTIN,
    lot: LOT2,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity: 50n,
    unitsRoot: ethers.ZeroHash,
    unitCount: 0n,
  });
  const batch2 = batchIdOf(GTIN, LOT2);
  await inspect(c.batchRegistry, c.makerQa, batch2);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(batch2);
  return { ...c, batch2 };
}

/** suspectBatch + case 1: the wholesaler reports the whole batch and quarantines 15 of its 40. */
async function quarantinedCase(): Promise<CaseCtx> {
  const c = await suspectBatch();
  const [, openedAt] = await minedAt(
    c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, CASE_QUANTITY, EVIDENCE, REASON),
  );
  return { ...c, caseId: caseIdOf(c.batchId, 1n), openedAt, notifyBy: 0n };
}

/** + the reporter starts the investigation. */
async function investigatingCase(): Promise<CaseCtx> {
  const c = await quarantinedCase();
  await c.suspects.connect(c.wholesaler).investigateSuspect(c.caseId);
  return c;
}

/** + the regulator clears the case: the 15 go back to the wholesaler. */
async function clearedCase(): Promise<CaseCtx> {
  const c = await investigatingCase();
  await c.suspects.connect(c.regulator).concludeSuspect(c.caseId, false, FINDING);
  return c;
}

/** + the regulator finds the stock illegitimate: the notification is due 24 hours on. */
async function illegitimateCase(): Promise<CaseCtx> {
  const c = await investigatingCase();
  const [, at] = await minedAt(c.suspects.connect(c.regulator).concludeSuspect(c.caseId, true, FINDING));
  return { ...c, notifyBy: at + NOTIFICATION_PERIOD };
}

/** + the reporter records the notification, in time. */
async function notifiedCase(): Promise<CaseCtx> {
  const c = await illegitimateCase();
  await c.suspects.connect(c.wholesaler).notifyIllegitimate(c.caseId, NOTICE);
  return c;
}

/** + the regulator closes the case: the 15 leave the ledger as destroyed. */
async function closedCase(): Promise<CaseCtx> {
  const c = await notifiedCase();
  await c.suspects.connect(c.regulator).closeSuspect(c.caseId);
  return c;
}

/** suspectBatch + case 1: the pharmacy reports a clone of unit 3 (no stock quarantined). */
async function cloneCase(): Promise<CaseCtx> {
  const c = await suspectBatch();
  const [, openedAt] = await minedAt(c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, 3n, 0n, EVIDENCE, "clone"));
  return { ...c, caseId: caseIdOf(c.batchId, 1n), openedAt, notifyBy: 0n };
}

/** Every status a case reaches, with the fixture that leaves case 1 in it. */
const STATUS_FIXTURES: [status: number, name: string, fixture: () => Promise<CaseCtx>][] = [
  [CaseStatus.Quarantined, "quarantined", quarantinedCase],
  [CaseStatus.Investigating, "under investigation", investigatingCase],
  [CaseStatus.Cleared, "cleared", clearedCase],
  [CaseStatus.Illegitimate, "found illegitimate", illegitimateCase],
  [CaseStatus.Closed, "closed", closedCase],
];

// ==== CALLER TABLES ====

/** A member of an active party that may not take this action on case 1. */
function notAllowed<C extends Ctx>(title: string, pick: (c: C) => Signer, party: bigint): CallerCase<C> {
  return {
    title,
    caller: async (c) => pick(c),
    error: "SuspectNotAllowed",
    args: (c) => [c.caseId, party],
  };
}

/** Devices of several parties: they observe, never act on a case. */
function deviceCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    wrongRole<C>("a device of the regulator", (c) => c.regulatorDevice, Role.Device),
    wrongRole<C>("a device of the holder", (c) => c.makerDevice, Role.Device),
    wrongRole<C>("a device of the wholesaler (the reporter)", (c) => c.wholesalerDevice, Role.Device),
    wrongRole<C>("a device of the pharmacy", (c) => c.pharmacyDevice, Role.Device),
  ];
}

/** Callers of reportSuspect: any active party's admin, operator or qa. */
function reporterCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    ...deviceCases<C>(),
    ...standingCases<C>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
  ];
}

/** Callers of investigateSuspect on the wholesaler's case: the reporter, the holder or the regulator. */
function investigatorCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    ...deviceCases<C>(),
    notAllowed<C>("the pharmacy's admin", (c) => c.pharmacy, PHARMACY),
    notAllowed<C>("the hospital's admin", (c) => c.hospital, HOSPITAL),
    notAllowed<C>("the logistics party's admin", (c) => c.logistics, LOGISTICS),
    notAllowed<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY),
    notAllowed<C>("the notary's admin", (c) => c.notary, NOTARY),
    ...standingCases<C>(WHOLESALER, "reporter's admin", (c) => c.wholesaler),
    ...standingCases<C>(MAKER, "holder's admin", (c) => c.maker),
  ];
}

/** Callers of concludeSuspect as Illegitimate: the holder or the regulator, not the reporter. */
function concluderCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    ...deviceCases<C>(),
    notAllowed<C>("the reporter's admin", (c) => c.wholesaler, WHOLESALER),
    notAllowed<C>("the reporter's QA", (c) => c.wholesalerQa, WHOLESALER),
    notAllowed<C>("the pharmacy's admin", (c) => c.pharmacy, PHARMACY),
    notAllowed<C>("the hospital's admin", (c) => c.hospital, HOSPITAL),
    notAllowed<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY),
    notAllowed<C>("the notary's admin", (c) => c.notary, NOTARY),
    ...standingCases<C>(MAKER, "holder's admin", (c) => c.maker),
  ];
}

/** Callers of concludeSuspect as Cleared: the regulator only; not the holder (its own product), nor the reporter. */
function clearerCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...concluderCases<C>(),
    notAllowed<C>("the holder's admin", (c) => c.maker, MAKER),
    notAllowed<C>("the holder's QA", (c) => c.makerQa, MAKER),
  ];
}

/** Callers of notifyIllegitimate: the reporter or the holder, not the regulator. */
function notifierCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    ...deviceCases<C>(),
    notAllowed<C>("the regulator's admin", (c) => c.regulator, REGULATOR),
    notAllowed<C>("the pharmacy's admin", (c) => c.pharmacy, PHARMACY),
    notAllowed<C>("the hospital's admin", (c) => c.hospital, HOSPITAL),
    notAllowed<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY),
    notAllowed<C>("the notary's admin", (c) => c.notary, NOTARY),
    ...standingCases<C>(WHOLESALER, "reporter's admin", (c) => c.wholesaler),
    ...standingCases<C>(MAKER, "holder's admin", (c) => c.maker),
  ];
}

/** Callers of closeSuspect: only the regulator's admin, operator or qa. */
function closerCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongRole<C>("a device of the regulator", (c) => c.regulatorDevice, Role.Device),
    wrongDomain<C>("the holder's admin", (c) => c.maker, MAKER, Domain.Manufacturer),
    wrongDomain<C>("the holder's QA", (c) => c.makerQa, MAKER, Domain.Manufacturer),
    wrongDomain<C>("the reporter's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain<C>("a device of the reporter", (c) => c.wholesalerDevice, WHOLESALER, Domain.Wholesaler),
    wrongDomain<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain<C>("the notary's admin", (c) => c.notary, NOTARY, Domain.Notary),
  ];
}

// ==== TESTS ====

describe("SuspectCases", function () {
  describe("reportSuspect", function () {
    it("opens a whole-batch case, quarantines the reporter's stock and emits SuspectCaseOpened", async function () {
      const c = await loadFixture(suspectBatch);
      const caseId = caseIdOf(c.batchId, 1n);
      const call = c.suspects.connect(c.wholesaler);
      expect(await call.reportSuspect.staticCall(c.batchId, WHOLE_BATCH, CASE_QUANTITY, EVIDENCE, REASON)).to.equal(caseId);
      const [tx, at] = await minedAt(call.reportSuspect(c.batchId, WHOLE_BATCH, CASE_QUANTITY, EVIDENCE, REASON));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseOpened", [caseId, c.batchId, WHOLESALER, WHOLE_BATCH, CASE_QUANTITY, at, EVIDENCE, REASON, c.wholesaler.address]],
      ]);
      expect(await caseOf(c, caseId)).to.deep.equal([
        c.batchId,
        WHOLESALER,
        CASE_QUANTITY,
        at,
        0n,
        BigInt(CaseStatus.Quarantined),
        1n,
        WHOLE_BATCH,
        0n,
      ]);
      expect(await countOf(c)).to.deep.equal([1n, CASE_QUANTITY]);
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(40n - CASE_QUANTITY);
      // The quantity is in the reporter's custody, as suspended: held 25, in transit 0, dispensed 0, suspended 15.
      expect([...(await c.batchRegistry.custody(c.batchId, WHOLESALER))]).to.deep.equal([25n, 0n, 0n, CASE_QUANTITY, 0n, 1n]);
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ held: QUANTITY - CASE_QUANTITY, suspended: CASE_QUANTITY });
    });

    it("opens a unit case for a clone (quantity 0) without moving stock", async function () {
      const c = await loadFixture(suspectBatch);
      const caseId = caseIdOf(c.batchId, 1n);
      const [tx, at] = await minedAt(c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, 3n, 0n, EVIDENCE, "clone"));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseOpened", [caseId, c.batchId, PHARMACY, 3n, 0n, at, EVIDENCE, "clone", c.pharmacy.address]],
      ]);
      expect(await caseOf(c, caseId)).to.deep.equal([c.batchId, PHARMACY, 0n, at, 0n, BigInt(CaseStatus.Quarantined), 1n, 3n, 0n]);
      expect(await countOf(c)).to.deep.equal([1n, 0n]);
      expect(await c.batchRegistry.holding(c.batchId, PHARMACY)).to.equal(20n);
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ held: QUANTITY, suspended: 0n });
    });

    it("opens a unit case that quarantines stock, and accepts the last unit (unitCount − 1)", async function () {
      const c = await loadFixture(suspectBatch);
      const last = BigInt(UNITS - 1);
      const [tx, at] = await minedAt(c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, last, 1n, EVIDENCE, ""));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseOpened", [caseIdOf(c.batchId, 1n), c.batchId, PHARMACY, last, 1n, at, EVIDENCE, "", c.pharmacy.address]],
      ]);
      expect((await c.suspects.suspectCase(caseIdOf(c.batchId, 1n))).unit).to.equal(last);
      expect(await c.batchRegistry.holding(c.batchId, PHARMACY)).to.equal(19n);
      await expectCustodyConserved(c, c.batchId);
    });

    it("numbers each batch's cases on its own and adds up what they hold", async function () {
      const c = await loadFixture(unitlessBatch);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 10n, EVIDENCE, "a");
      await c.suspects.connect(c.maker).reportSuspect(c.batch2, WHOLE_BATCH, 7n, EVIDENCE, "b");
      const [tx, at] = await minedAt(c.suspects.connect(c.makerQa).reportSuspect(c.batchId, WHOLE_BATCH, 5n, EVIDENCE, "c"));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseOpened", [caseIdOf(c.batchId, 2n), c.batchId, MAKER, WHOLE_BATCH, 5n, at, EVIDENCE, "c", c.makerQa.address]],
      ]);
      expect((await c.suspects.suspectCase(caseIdOf(c.batchId, 2n))).no).to.equal(2n);
      expect((await caseOf(c, caseIdOf(c.batch2, 1n))).slice(0, 3)).to.deep.equal([c.batch2, MAKER, 7n]);
      expect(await countOf(c)).to.deep.equal([2n, 15n]);
      expect(await countOf(c, c.batch2)).to.deep.equal([1n, 7n]);
      expect(await c.batchRegistry.holding(c.batchId, MAKER)).to.equal(25n);
      expect(await c.batchRegistry.holding(c.batch2, MAKER)).to.equal(43n);
      await expectCustodyConserved(c, c.batchId);
      await expectCustodyConserved(c, c.batch2);
    });

    it("quarantines all of the reporter's stock, and a second case may take none of it", async function () {
      const c = await loadFixture(suspectBatch);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 40n, EVIDENCE, "");
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(0n);
      await expect(c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 1n, EVIDENCE, ""))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 0n, 1n);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, 0n, 0n, EVIDENCE, "clone seen too");
      expect(await countOf(c)).to.deep.equal([2n, 40n]);
      await expectCustodyConserved(c, c.batchId);
    });

    it("lets any active party's actor report a clone, stock or none: regulator, laboratory, notary, an operator", async function () {
      const c = await loadFixture(suspectBatch);
      const operator = c.others[9];
      await c.registry.connect(c.hospital).addMember(HOSPITAL, operator.address, Role.Operator);
      const reporters: [HardhatEthersSigner, bigint, bigint][] = [
        [c.regulator, REGULATOR, 0n],
        [c.laboratory, LABORATORY, 0n],
        [c.notary, NOTARY, 0n],
        [operator, HOSPITAL, 4n],
      ];
      for (const [i, [signer, party, quantity]] of reporters.entries()) {
        const no = BigInt(i + 1);
        const [tx, at] = await minedAt(c.suspects.connect(signer).reportSuspect(c.batchId, 1n, quantity, EVIDENCE, ""));
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectCaseOpened", [caseIdOf(c.batchId, no), c.batchId, party, 1n, quantity, at, EVIDENCE, "", signer.address]],
        ]);
      }
      expect(await countOf(c)).to.deep.equal([4n, 4n]);
      expect(await c.batchRegistry.holding(c.batchId, HOSPITAL)).to.equal(6n);
    });

    it("opens a case while the batch is stopped, and leaves the batch's state alone", async function () {
      const c = await loadFixture(stoppedSuspectBatch);
      const before = await c.collaboration.subjectRecord(c.batchId);
      const [tx, at] = await minedAt(c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 10n, EVIDENCE, REASON));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseOpened", [caseIdOf(c.batchId, 1n), c.batchId, WHOLESALER, WHOLE_BATCH, 10n, at, EVIDENCE, REASON, c.wholesaler.address]],
      ]);
      expect([...(await c.collaboration.subjectRecord(c.batchId))]).to.deep.equal([...before]);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.EmergencyStop));
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(30n);
      await expectCustodyConserved(c, c.batchId);
    });

    it("does not halt a marketed batch: the reporter ships what is left", async function () {
      const c = await loadFixture(quarantinedCase);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.Marketed));
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 25n)).to.emit(c.batchRegistry, "Shipped");
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ inTransit: 25n, suspended: CASE_QUANTITY });
    });

    it("reverts when the unit index equals the batch's unit count, or lies above it", async function () {
      const c = await loadFixture(suspectBatch);
      for (const unit of [BigInt(UNITS), WHOLE_BATCH - 1n, WHOLE_BATCH + 1n, ethers.MaxUint256]) {
        await expect(c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, unit, 0n, EVIDENCE, ""))
          .to.be.revertedWithCustomError(c.suspects, "SuspectInvalidUnit")
          .withArgs(c.batchId, unit, BigInt(UNITS));
      }
      expect(await countOf(c)).to.deep.equal([0n, 0n]);
    });

    it("reverts when a unit of a batch without a unit file is named, which WHOLE_BATCH is not", async function () {
      const c = await loadFixture(unitlessBatch);
      await expect(c.suspects.connect(c.maker).reportSuspect(c.batch2, 0n, 1n, EVIDENCE, ""))
        .to.be.revertedWithCustomError(c.suspects, "SuspectInvalidUnit")
        .withArgs(c.batch2, 0n, 0n);
      await expect(c.suspects.connect(c.maker).reportSuspect(c.batch2, WHOLE_BATCH, 1n, EVIDENCE, "")).to.emit(
        c.suspects,
        "SuspectCaseOpened",
      );
    });

    it("reverts when the quantity exceeds the reporter's stock", async function () {
      const c = await loadFixture(suspectBatch);
      await expect(c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 41n, EVIDENCE, ""))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 40n, 41n);
      await expect(c.suspects.connect(c.laboratory).reportSuspect(c.batchId, WHOLE_BATCH, 1n, EVIDENCE, ""))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, LABORATORY, 0n, 1n);
      expect(await countOf(c)).to.deep.equal([0n, 0n]);
    });

    it("reverts when the quantity would take a locked unit (only available stock goes into a case)", async function () {
      const c = await loadFixture(suspectBatch);
      await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 5n), UnitStatus.Locked);
      await expect(c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 40n, EVIDENCE, ""))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 39n, 40n);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, 5n, 39n, EVIDENCE, "");
      expect([...(await c.batchRegistry.custody(c.batchId, WHOLESALER))]).to.deep.equal([1n, 0n, 0n, 39n, 1n, 1n]);
      await expectCustodyConserved(c, c.batchId);
    });

    it("reverts when the reporter's stock is in transit (only held stock goes into a case)", async function () {
      const c = await loadFixture(suspectBatch);
      await c.batchRegistry.connect(c.pharmacy).ship(c.batchId, HOSPITAL, 20n);
      await expect(c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 1n, EVIDENCE, ""))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 0n, 1n);
    });

    it("reverts when the batch is unknown (or the id is a product's)", async function () {
      const c = await loadFixture(suspectBatch);
      for (const subject of [batchIdOf(GTIN, NO_LOT), productSubject(GTIN), ethers.ZeroHash]) {
        await expect(c.suspects.connect(c.wholesaler).reportSuspect(subject, WHOLE_BATCH, 0n, EVIDENCE, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(subject);
      }
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("reportSuspectCallers", quarantinedCase),
        reporterCases<Ctx>(),
        (c, s) => c.suspects.connect(s).reportSuspect(c.batchId, WHOLE_BATCH, 1n, EVIDENCE, ""),
        (c) => c.suspects,
      );
    });
  });

  describe("quarantined stock", function () {
    it("cannot be shipped", async function () {
      const c = await loadFixture(quarantinedCase);
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 26n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 25n, 26n);
    });

    it("cannot be dispensed", async function () {
      const c = await loadFixture(suspectBatch);
      await c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 20n, EVIDENCE, "");
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 0n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 0n, 1n);
    });

    it("cannot be returned under a recall, and stays outstanding in the reporter's name", async function () {
      const c = await loadFixture(recalledSuspectBatch);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, CASE_QUANTITY, EVIDENCE, "");
      expect(await c.collaboration.outstanding(c.batchId, WHOLESALER)).to.deep.equal([40n, false]);
      await expect(c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 26n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 25n, 26n);
      await c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 25n);
      expect(await c.collaboration.outstanding(c.batchId, WHOLESALER)).to.deep.equal([CASE_QUANTITY, false]);
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ quarantined: 25n, suspended: CASE_QUANTITY });
    });

    it("does not hide the reporter's recalled stock: reporting all of it leaves all of it outstanding", async function () {
      const c = await loadFixture(recalledSuspectBatch);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 40n, EVIDENCE, "");
      const { recallDeadline } = await c.collaboration.subjectRecord(c.batchId);
      await time.increaseTo(recallDeadline + 1n);
      expect(await c.collaboration.outstanding(c.batchId, WHOLESALER)).to.deep.equal([40n, true]);
      // Cleared by the regulator: back in its stock, still outstanding, and now it can be returned.
      await c.suspects.connect(c.regulator).investigateSuspect(caseIdOf(c.batchId, 1n));
      await c.suspects.connect(c.regulator).concludeSuspect(caseIdOf(c.batchId, 1n), false, FINDING);
      expect(await c.collaboration.outstanding(c.batchId, WHOLESALER)).to.deep.equal([40n, true]);
      await c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 40n);
      expect(await c.collaboration.outstanding(c.batchId, WHOLESALER)).to.deep.equal([0n, false]);
    });
  });

  describe("investigateSuspect", function () {
    for (const [title, who, party] of [
      ["the reporter's admin", "wholesaler", WHOLESALER],
      ["the reporter's QA", "wholesalerQa", WHOLESALER],
      ["the holder's admin", "maker", MAKER],
      ["the holder's QA", "makerQa", MAKER],
      ["the regulator's admin", "regulator", REGULATOR],
    ] as const) {
      it(`starts the investigation when asked by ${title}`, async function () {
        const c = await loadFixture(quarantinedCase);
        const signer = c[who];
        const tx = await c.suspects.connect(signer).investigateSuspect(c.caseId);
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectCaseStatusChanged", [c.caseId, c.batchId, party, CaseStatus.Investigating, 0n, ethers.ZeroHash, signer.address]],
        ]);
        expect(await caseOf(c, c.caseId)).to.deep.equal([
          c.batchId,
          WHOLESALER,
          CASE_QUANTITY,
          c.openedAt,
          0n,
          BigInt(CaseStatus.Investigating),
          1n,
          WHOLE_BATCH,
          0n,
        ]);
        // The stock stays in the case.
        expect(await countOf(c)).to.deep.equal([1n, CASE_QUANTITY]);
        expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(25n);
        await expectCustodyConserved(c, c.batchId);
      });
    }

    it("lets a reporter that is neither holder nor regulator investigate its clone report", async function () {
      const c = await loadFixture(cloneCase);
      const tx = await c.suspects.connect(c.pharmacy).investigateSuspect(c.caseId);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [c.caseId, c.batchId, PHARMACY, CaseStatus.Investigating, 0n, ethers.ZeroHash, c.pharmacy.address]],
      ]);
    });

    it("reverts when the case is unknown", async function () {
      const c = await loadFixture(quarantinedCase);
      for (const id of [caseIdOf(c.batchId, 2n), caseIdOf(batchIdOf(GTIN, NO_LOT), 1n), ethers.ZeroHash]) {
        await expect(c.suspects.connect(c.regulator).investigateSuspect(id))
          .to.be.revertedWithCustomError(c.suspects, "SuspectUnknownCase")
          .withArgs(id);
      }
    });

    for (const [status, name, fixture] of STATUS_FIXTURES.filter(([s]) => s !== CaseStatus.Quarantined)) {
      it(`reverts when the case is ${name}`, async function () {
        const c = await loadFixture(fixture);
        await expect(c.suspects.connect(c.regulator).investigateSuspect(c.caseId))
          .to.be.revertedWithCustomError(c.suspects, "SuspectWrongStatus")
          .withArgs(c.caseId, status, CaseStatus.Quarantined);
      });
    }

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("investigateSuspectCallers", quarantinedCase),
        investigatorCases<Ctx>(),
        (c, s) => c.suspects.connect(s).investigateSuspect(c.caseId),
        (c) => c.suspects,
      );
    });
  });

  describe("concludeSuspect", function () {
    for (const [title, who, party] of [
      ["the regulator's admin", "regulator", REGULATOR],
      ["the regulator's QA", "regulatorQa", REGULATOR],
    ] as const) {
      it(`clears the case when asked by ${title}: the stock goes back to the reporter`, async function () {
        const c = await loadFixture(investigatingCase);
        const signer = who === "regulatorQa" ? await regulatorQaOf(c) : c[who];
        const tx = await c.suspects.connect(signer).concludeSuspect(c.caseId, false, FINDING);
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectCaseStatusChanged", [c.caseId, c.batchId, party, CaseStatus.Cleared, 0n, FINDING, await signer.getAddress()]],
        ]);
        expect(await caseOf(c, c.caseId)).to.deep.equal([
          c.batchId,
          WHOLESALER,
          CASE_QUANTITY,
          c.openedAt,
          0n,
          BigInt(CaseStatus.Cleared),
          1n,
          WHOLE_BATCH,
          0n,
        ]);
        expect(await countOf(c)).to.deep.equal([1n, 0n]);
        expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(40n);
        expect([...(await c.batchRegistry.custody(c.batchId, WHOLESALER))]).to.deep.equal([40n, 0n, 0n, 0n, 0n, 1n]);
        expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ held: QUANTITY, destroyed: 0n, suspended: 0n });
        expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
        // The stock is the reporter's again: it ships.
        await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 40n)).to.emit(c.batchRegistry, "Shipped");
      });
    }

    for (const [title, who, party] of [
      ["the holder's admin", "maker", MAKER],
      ["the holder's QA", "makerQa", MAKER],
      ["the regulator's admin", "regulator", REGULATOR],
    ] as const) {
      it(`finds the stock illegitimate when asked by ${title}: the notification is due in 24 hours`, async function () {
        const c = await loadFixture(investigatingCase);
        const signer = c[who];
        const [tx, at] = await minedAt(c.suspects.connect(signer).concludeSuspect(c.caseId, true, FINDING));
        const notifyBy = at + NOTIFICATION_PERIOD;
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectCaseStatusChanged", [c.caseId, c.batchId, party, CaseStatus.Illegitimate, notifyBy, FINDING, signer.address]],
        ]);
        expect(await caseOf(c, c.caseId)).to.deep.equal([
          c.batchId,
          WHOLESALER,
          CASE_QUANTITY,
          c.openedAt,
          notifyBy,
          BigInt(CaseStatus.Illegitimate),
          1n,
          WHOLE_BATCH,
          0n,
        ]);
        // The stock stays in the case until the regulator closes it.
        expect(await countOf(c)).to.deep.equal([1n, CASE_QUANTITY]);
        expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(25n);
        expect([...(await c.batchRegistry.custody(c.batchId, WHOLESALER))]).to.deep.equal([25n, 0n, 0n, CASE_QUANTITY, 0n, 1n]);
        await expectCustodyConserved(c, c.batchId);
        expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
      });
    }

    for (const [title, who] of [
      ["the holder's admin", "maker"],
      ["the holder's QA", "makerQa"],
    ] as const) {
      it(`reverts when ${title} clears a suspicion about its own product`, async function () {
        const c = await loadFixture(investigatingCase);
        await expect(c.suspects.connect(c[who]).concludeSuspect(c.caseId, false, FINDING))
          .to.be.revertedWithCustomError(c.suspects, "SuspectNotAllowed")
          .withArgs(c.caseId, MAKER);
        expect((await c.suspects.suspectCase(c.caseId)).status).to.equal(BigInt(CaseStatus.Investigating));
        expect(await countOf(c)).to.deep.equal([1n, CASE_QUANTITY]);
      });
    }

    it("reverts when the holder clears a case on its own stock, which it may find illegitimate", async function () {
      const c = await loadFixture(suspectBatch);
      const caseId = caseIdOf(c.batchId, 1n);
      await c.suspects.connect(c.maker).reportSuspect(c.batchId, WHOLE_BATCH, 6n, EVIDENCE, "label misprint");
      await c.suspects.connect(c.maker).investigateSuspect(caseId);
      await expect(c.suspects.connect(c.maker).concludeSuspect(caseId, false, FINDING))
        .to.be.revertedWithCustomError(c.suspects, "SuspectNotAllowed")
        .withArgs(caseId, MAKER);
      const [tx, at] = await minedAt(c.suspects.connect(c.maker).concludeSuspect(caseId, true, FINDING));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [caseId, c.batchId, MAKER, CaseStatus.Illegitimate, at + NOTIFICATION_PERIOD, FINDING, c.maker.address]],
      ]);
    });

    it("clears a clone report without moving stock", async function () {
      const c = await loadFixture(cloneCase);
      await c.suspects.connect(c.pharmacy).investigateSuspect(c.caseId);
      const tx = await c.suspects.connect(c.regulator).concludeSuspect(c.caseId, false, ethers.ZeroHash);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [c.caseId, c.batchId, REGULATOR, CaseStatus.Cleared, 0n, ethers.ZeroHash, c.regulator.address]],
      ]);
      expect(await countOf(c)).to.deep.equal([1n, 0n]);
      expect(await c.batchRegistry.holding(c.batchId, PHARMACY)).to.equal(20n);
      await expectCustodyConserved(c, c.batchId);
    });

    it("clears a case while the batch is stopped, and the batch stays stopped", async function () {
      const c = await loadFixture(stoppedSuspectBatch);
      const caseId = caseIdOf(c.batchId, 1n);
      await c.suspects.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 10n, EVIDENCE, "");
      await c.suspects.connect(c.wholesaler).investigateSuspect(caseId);
      const tx = await c.suspects.connect(c.regulator).concludeSuspect(caseId, false, FINDING);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [caseId, c.batchId, REGULATOR, CaseStatus.Cleared, 0n, FINDING, c.regulator.address]],
      ]);
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(40n);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.EmergencyStop));
      await expectCustodyConserved(c, c.batchId);
      // Back in the reporter's stock, but the batch is still halted.
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.EmergencyStop);
    });

    it("reverts when the case is unknown", async function () {
      const c = await loadFixture(investigatingCase);
      for (const id of [caseIdOf(c.batchId, 2n), ethers.ZeroHash]) {
        for (const illegitimate of [false, true]) {
          await expect(c.suspects.connect(c.regulator).concludeSuspect(id, illegitimate, FINDING))
            .to.be.revertedWithCustomError(c.suspects, "SuspectUnknownCase")
            .withArgs(id);
        }
      }
    });

    for (const [status, name, fixture] of STATUS_FIXTURES.filter(([s]) => s !== CaseStatus.Investigating)) {
      it(`reverts when the case is ${name}`, async function () {
        const c = await loadFixture(fixture);
        for (const illegitimate of [false, true]) {
          await expect(c.suspects.connect(c.regulator).concludeSuspect(c.caseId, illegitimate, FINDING))
            .to.be.revertedWithCustomError(c.suspects, "SuspectWrongStatus")
            .withArgs(c.caseId, status, CaseStatus.Investigating);
        }
      });
    }

    describe("callers (cleared)", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("concludeSuspectCallers", investigatingCase),
        clearerCases<Ctx>(),
        (c, s) => c.suspects.connect(s).concludeSuspect(c.caseId, false, FINDING),
        (c) => c.suspects,
      );
    });

    describe("callers (illegitimate)", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("concludeSuspectIllegitimateCallers", investigatingCase),
        concluderCases<Ctx>(),
        (c, s) => c.suspects.connect(s).concludeSuspect(c.caseId, true, FINDING),
        (c) => c.suspects,
      );
    });
  });

  describe("notifyIllegitimate", function () {
    for (const [title, who, party] of [
      ["the reporter's admin", "wholesaler", WHOLESALER],
      ["the reporter's QA", "wholesalerQa", WHOLESALER],
      ["the holder's admin", "maker", MAKER],
      ["the holder's QA", "makerQa", MAKER],
    ] as const) {
      it(`records the notification in time when made by ${title}`, async function () {
        const c = await loadFixture(illegitimateCase);
        const signer = c[who];
        const [tx, at] = await minedAt(c.suspects.connect(signer).notifyIllegitimate(c.caseId, NOTICE));
        expect(at <= c.notifyBy).to.equal(true);
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectNotified", [c.caseId, c.batchId, party, at, c.notifyBy, NOTICE, signer.address]],
        ]);
        expect(await caseOf(c, c.caseId)).to.deep.equal([
          c.batchId,
          WHOLESALER,
          CASE_QUANTITY,
          c.openedAt,
          c.notifyBy,
          BigInt(CaseStatus.Illegitimate),
          1n,
          WHOLE_BATCH,
          at,
        ]);
        expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
        // Nothing moves: the stock stays in the case.
        expect(await countOf(c)).to.deep.equal([1n, CASE_QUANTITY]);
        await expectCustodyConserved(c, c.batchId);
        // After the deadline a notified case is not overdue.
        await time.increaseTo(c.notifyBy + DAY);
        expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
      });
    }

    it("records a late notification: overdue after the 24 hours, notifiedAt > notifyBy in SuspectNotified", async function () {
      const c = await loadFixture(illegitimateCase);
      await time.increaseTo(c.notifyBy);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
      await time.increaseTo(c.notifyBy + 1n);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(true);
      await time.increase(3600);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(true);
      const [tx, at] = await minedAt(c.suspects.connect(c.maker).notifyIllegitimate(c.caseId, NOTICE));
      expect(at > c.notifyBy).to.equal(true);
      await expectEvents(c.batchRegistry, tx, [["SuspectNotified", [c.caseId, c.batchId, MAKER, at, c.notifyBy, NOTICE, c.maker.address]]]);
      expect((await c.suspects.suspectCase(c.caseId)).notifiedAt).to.equal(at);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
    });

    it("reverts when the finding was already notified, by anyone allowed", async function () {
      const c = await loadFixture(notifiedCase);
      for (const signer of [c.wholesaler, c.maker]) {
        await expect(c.suspects.connect(signer).notifyIllegitimate(c.caseId, NOTICE))
          .to.be.revertedWithCustomError(c.suspects, "SuspectAlreadyNotified")
          .withArgs(c.caseId);
      }
    });

    it("reverts when the case is unknown", async function () {
      const c = await loadFixture(illegitimateCase);
      for (const id of [caseIdOf(c.batchId, 2n), ethers.ZeroHash]) {
        await expect(c.suspects.connect(c.wholesaler).notifyIllegitimate(id, NOTICE))
          .to.be.revertedWithCustomError(c.suspects, "SuspectUnknownCase")
          .withArgs(id);
      }
    });

    for (const [status, name, fixture] of STATUS_FIXTURES.filter(([s]) => s !== CaseStatus.Illegitimate)) {
      it(`reverts when the case is ${name}`, async function () {
        const c = await loadFixture(fixture);
        await expect(c.suspects.connect(c.wholesaler).notifyIllegitimate(c.caseId, NOTICE))
          .to.be.revertedWithCustomError(c.suspects, "SuspectWrongStatus")
          .withArgs(c.caseId, status, CaseStatus.Illegitimate);
      });
    }

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("notifyIllegitimateCallers", illegitimateCase),
        notifierCases<Ctx>(),
        (c, s) => c.suspects.connect(s).notifyIllegitimate(c.caseId, NOTICE),
        (c) => c.suspects,
      );
    });
  });

  describe("closeSuspect", function () {
    it("closes a notified case: its stock leaves the ledger as destroyed", async function () {
      const c = await loadFixture(notifiedCase);
      const notifiedAt = (await c.suspects.suspectCase(c.caseId)).notifiedAt;
      const tx = await c.suspects.connect(c.regulator).closeSuspect(c.caseId);
      // The event carries the case's deadline, as the view keeps it.
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [c.caseId, c.batchId, REGULATOR, CaseStatus.Closed, c.notifyBy, ethers.ZeroHash, c.regulator.address]],
      ]);
      expect(await caseOf(c, c.caseId)).to.deep.equal([
        c.batchId,
        WHOLESALER,
        CASE_QUANTITY,
        c.openedAt,
        c.notifyBy,
        BigInt(CaseStatus.Closed),
        1n,
        WHOLE_BATCH,
        notifiedAt,
      ]);
      expect(await countOf(c)).to.deep.equal([1n, 0n]);
      // Not back to the reporter: out of its custody altogether.
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(25n);
      expect([...(await c.batchRegistry.custody(c.batchId, WHOLESALER))]).to.deep.equal([25n, 0n, 0n, 0n, 0n, 1n]);
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({
        held: QUANTITY - CASE_QUANTITY,
        destroyed: CASE_QUANTITY,
        suspended: 0n,
      });
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
    });

    /**
     * A recalled batch whose last units not accounted for sit in a pharmacy's suspect case:
     * the others return everything (80), the holder's proposal is witnessed by the notary,
     * and the case is found illegitimate — only its closing is left.
     */
    async function lastUnitsInACase(): Promise<BatchQualityCtx & { suspects: ISuspectProduct; caseId: string }> {
      const c = await recalledBatch();
      const suspects = await suspectsAt(c);
      await suspects.connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 20n, EVIDENCE, REASON);
      const caseId = caseIdOf(c.batchId, 1n);
      for (const [signer, quantity] of [[c.maker, 30n], [c.wholesaler, 40n], [c.hospital, 10n]] as const) {
        await c.collaboration.connect(signer).returnStock(c.batchId, quantity);
      }
      await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 80n);
      await c.collaboration.connect(c.notary).witnessDestruction(c.batchId, destructionIdOf(c.batchId, 1n));
      await suspects.connect(c.regulator).investigateSuspect(caseId);
      await suspects.connect(c.regulator).concludeSuspect(caseId, true, FINDING);
      return { ...c, suspects, caseId };
    }

    it("closing the case that held a recalled batch's last units enters Destroyed, the regulator as witness", async function () {
      const c = await loadFixture(lastUnitsInACase);
      // Every other unit is destroyed: the batch waits under recall for this case alone.
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.Recall));
      expect((await c.collaboration.outstanding(c.batchId, PHARMACY))[0]).to.equal(20n);
      const tx = await c.suspects.connect(c.regulator).closeSuspect(c.caseId);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [c.caseId, c.batchId, REGULATOR, CaseStatus.Closed, (await c.suspects.suspectCase(c.caseId)).notifyBy, ethers.ZeroHash, c.regulator.address]],
        ["StateChanged", [c.batchId, State.Destroyed, State.Recall, Actor.Witness, REGULATOR, c.regulator.address, "suspect case closed"]],
      ]);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.Destroyed));
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ held: 0n, inTransit: 0n, quarantined: 0n, suspended: 0n, destroyed: QUANTITY });
    });

    it("closing a case while other stock is still out leaves the batch under recall", async function () {
      const c = await loadFixture(recalledBatch);
      const suspects = await suspectsAt(c);
      await suspects.connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 20n, EVIDENCE, REASON);
      const caseId = caseIdOf(c.batchId, 1n);
      await suspects.connect(c.regulator).investigateSuspect(caseId);
      await suspects.connect(c.regulator).concludeSuspect(caseId, true, FINDING);
      const tx = await suspects.connect(c.regulator).closeSuspect(caseId);
      const names = (await eventsOf(c.batchRegistry, tx)).map(([name]) => name);
      expect(names).to.deep.equal(["SuspectCaseStatusChanged"]);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.Recall));
      expect((await c.collaboration.outstanding(c.batchId, MAKER))[0]).to.equal(30n);
    });

    it("closing the last case of a batch that is not under recall changes no state", async function () {
      const c = await loadFixture(distributedBatch);
      const suspects = await suspectsAt(c);
      // Everything but the pharmacy's 20 leaves the ledger some other way is not possible
      // outside a recall: the batch stays Marketed whatever the case holds.
      await suspects.connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 20n, EVIDENCE, REASON);
      const caseId = caseIdOf(c.batchId, 1n);
      await suspects.connect(c.regulator).investigateSuspect(caseId);
      await suspects.connect(c.regulator).concludeSuspect(caseId, true, FINDING);
      await suspects.connect(c.regulator).closeSuspect(caseId);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.Marketed));
    });

    it("closes when asked by the regulator's QA", async function () {
      const c = await loadFixture(illegitimateCase);
      const regulatorQa = c.others[9];
      await c.registry.connect(c.regulator).addMember(REGULATOR, regulatorQa.address, Role.QA);
      const tx = await c.suspects.connect(regulatorQa).closeSuspect(c.caseId);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [c.caseId, c.batchId, REGULATOR, CaseStatus.Closed, c.notifyBy, ethers.ZeroHash, regulatorQa.address]],
      ]);
    });

    it("closes an illegitimate case that was never notified; a notification can then no longer be recorded", async function () {
      const c = await loadFixture(illegitimateCase);
      await c.suspects.connect(c.regulator).closeSuspect(c.caseId);
      expect((await c.suspects.suspectCase(c.caseId)).notifiedAt).to.equal(0n);
      expect((await c.batchRegistry.getBatch(c.batchId)).destroyed).to.equal(CASE_QUANTITY);
      await expect(c.suspects.connect(c.wholesaler).notifyIllegitimate(c.caseId, NOTICE))
        .to.be.revertedWithCustomError(c.suspects, "SuspectWrongStatus")
        .withArgs(c.caseId, CaseStatus.Closed, CaseStatus.Illegitimate);
    });

    it("closes an illegitimate clone report without destroying stock", async function () {
      const c = await loadFixture(cloneCase);
      await c.suspects.connect(c.pharmacy).investigateSuspect(c.caseId);
      const [, at] = await minedAt(c.suspects.connect(c.regulator).concludeSuspect(c.caseId, true, FINDING));
      const tx = await c.suspects.connect(c.regulator).closeSuspect(c.caseId);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [c.caseId, c.batchId, REGULATOR, CaseStatus.Closed, at + DAY, ethers.ZeroHash, c.regulator.address]],
      ]);
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ held: QUANTITY, destroyed: 0n, suspended: 0n });
    });

    it("runs a whole case while the batch is stopped, and the batch stays stopped", async function () {
      const c = await loadFixture(stoppedSuspectBatch);
      const caseId = caseIdOf(c.batchId, 1n);
      await c.suspects.connect(c.pharmacy).reportSuspect(c.batchId, 2n, 5n, EVIDENCE, "");
      await c.suspects.connect(c.maker).investigateSuspect(caseId);
      await c.suspects.connect(c.regulator).concludeSuspect(caseId, true, FINDING);
      await c.suspects.connect(c.pharmacy).notifyIllegitimate(caseId, NOTICE);
      const tx = await c.suspects.connect(c.regulator).closeSuspect(caseId);
      const { notifyBy } = await c.suspects.suspectCase(caseId);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [caseId, c.batchId, REGULATOR, CaseStatus.Closed, notifyBy, ethers.ZeroHash, c.regulator.address]],
      ]);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.EmergencyStop));
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ destroyed: 5n, suspended: 0n });
      expect(await c.batchRegistry.holding(c.batchId, PHARMACY)).to.equal(15n);
    });

    /**
     * The maker reports all 50 boxes of the second batch (LOT2, held by it alone) in one case,
     * which the regulator investigates and finds illegitimate: closing it accounts for every
     * unit of the batch. Returns the case's id.
     */
    async function wholeBatchFoundIllegitimate(c: SuspectCtx & { batch2: string }): Promise<string> {
      await c.suspects.connect(c.maker).reportSuspect(c.batch2, WHOLE_BATCH, 50n, EVIDENCE, REASON);
      const caseId = caseIdOf(c.batch2, 1n);
      await c.suspects.connect(c.regulator).investigateSuspect(caseId);
      await c.suspects.connect(c.regulator).concludeSuspect(caseId, true, FINDING);
      return caseId;
    }

    /** Closes `caseId` and asserts that the one event is the case's, and every unit of batch 2 is destroyed. */
    async function expectClosedWithoutStateChange(c: SuspectCtx & { batch2: string }, caseId: string): Promise<void> {
      const { notifyBy } = await c.suspects.suspectCase(caseId);
      const tx = await c.suspects.connect(c.regulator).closeSuspect(caseId);
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectCaseStatusChanged", [caseId, c.batch2, REGULATOR, CaseStatus.Closed, notifyBy, ethers.ZeroHash, c.regulator.address]],
      ]);
      expect(await expectCustodyConserved(c, c.batch2)).to.deep.equal({
        quantity: 50n,
        held: 0n,
        inTransit: 0n,
        dispensed: 0n,
        destroyed: 50n,
        lost: 0n,
        quarantined: 0n,
        suspended: 0n,
      });
    }

    it("closing the case that accounts for a marketed batch's every unit changes no state: Destroyed is entered from a recall only", async function () {
      const c = await loadFixture(unitlessBatch);
      const caseId = await wholeBatchFoundIllegitimate(c);
      await expectClosedWithoutStateChange(c, caseId);
      const record = await c.collaboration.subjectRecord(c.batch2);
      expect([record.state, record.effectiveState, record.reached]).to.deep.equal([0n, 0n, 1n]);
    });

    it("closing the case that accounts for a recalled batch's every unit changes no state when the graph has no disposal state", async function () {
      const c = await loadFixture(unitlessBatch);
      await c.collaboration.connect(c.gov).configureGraph(STOP_AND_RECALL);
      await c.collaboration.connect(c.maker).transition(c.batch2, State.EmergencyStop, "excursion");
      await c.collaboration.connect(c.maker).openRecall(c.batch2, 1, "cold chain broken");
      const caseId = await wholeBatchFoundIllegitimate(c);
      await expectClosedWithoutStateChange(c, caseId);
      const record = await c.collaboration.subjectRecord(c.batch2);
      expect([record.state, record.reached]).to.deep.equal([BigInt(State.Recall), 7n]);
      expect(await c.collaboration.outstanding(c.batch2, MAKER)).to.deep.equal([0n, false]);
    });

    it("closing the case that accounts for a recalled batch's every unit changes no state when the disposal state admits neither the regulator nor a witness", async function () {
      const c = await loadFixture(unitlessBatch);
      // Only the holder may enter the graph's disposal state: the regulator closing a case may not.
      await c.collaboration.connect(c.gov).configureGraph([...STOP_AND_RECALL, disposal(HOLD)]);
      await c.collaboration.connect(c.maker).transition(c.batch2, State.EmergencyStop, "excursion");
      await c.collaboration.connect(c.maker).openRecall(c.batch2, 1, "cold chain broken");
      const caseId = await wholeBatchFoundIllegitimate(c);
      await expectClosedWithoutStateChange(c, caseId);
      const record = await c.collaboration.subjectRecord(c.batch2);
      expect([record.state, record.reached]).to.deep.equal([BigInt(State.Recall), 7n]);
    });

    it("closing the case that accounts for every unit of a batch already in the disposal state does not enter it again", async function () {
      const c = await loadFixture(unitlessBatch);
      // State 3 is first a plain halting state after the recall ("Sealed"), the batch is put in it
      // with its stock still held; governance then makes state 3 the disposal state, which may be
      // entered from itself.
      const sealed = stateDef("Sealed", StateKind.Plain, true, REG, bit(State.Recall), bit(State.Recall));
      await c.collaboration.connect(c.gov).configureGraph([...STOP_AND_RECALL, sealed]);
      await c.collaboration.connect(c.maker).transition(c.batch2, State.EmergencyStop, "excursion");
      await c.collaboration.connect(c.maker).openRecall(c.batch2, 1, "cold chain broken");
      await c.collaboration.connect(c.regulator).transition(c.batch2, 3, "sealed");
      const caseId = await wholeBatchFoundIllegitimate(c);
      await c.collaboration.connect(c.gov).configureGraph([...STOP_AND_RECALL, disposal(WIT)]);
      expect((await c.collaboration.subjectRecord(c.batch2)).state).to.equal(BigInt(State.Destroyed));
      await expectClosedWithoutStateChange(c, caseId);
      const record = await c.collaboration.subjectRecord(c.batch2);
      expect([record.state, record.reached]).to.deep.equal([BigInt(State.Destroyed), 15n]);
    });

    it("reverts when the case is unknown", async function () {
      const c = await loadFixture(illegitimateCase);
      for (const id of [caseIdOf(c.batchId, 2n), ethers.ZeroHash]) {
        await expect(c.suspects.connect(c.regulator).closeSuspect(id))
          .to.be.revertedWithCustomError(c.suspects, "SuspectUnknownCase")
          .withArgs(id);
      }
    });

    for (const [status, name, fixture] of STATUS_FIXTURES.filter(([s]) => s !== CaseStatus.Illegitimate)) {
      it(`reverts when the case is ${name}`, async function () {
        const c = await loadFixture(fixture);
        const before = await custodyOf(c, c.batchId);
        await expect(c.suspects.connect(c.regulator).closeSuspect(c.caseId))
          .to.be.revertedWithCustomError(c.suspects, "SuspectWrongStatus")
          .withArgs(c.caseId, status, CaseStatus.Illegitimate);
        expect(await custodyOf(c, c.batchId)).to.deep.equal(before);
      });
    }

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("closeSuspectCallers", illegitimateCase),
        closerCases<Ctx>(),
        (c, s) => c.suspects.connect(s).closeSuspect(c.caseId),
        (c) => c.suspects,
      );
    });
  });

  describe("suspectCase", function () {
    it("returns zeroes for an unknown id", async function () {
      const c = await loadFixture(quarantinedCase);
      for (const id of [caseIdOf(c.batchId, 2n), ethers.ZeroHash]) {
        expect(await caseOf(c, id)).to.deep.equal([ethers.ZeroHash, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
      }
    });
  });

  describe("suspectCount", function () {
    it("returns zeroes for a batch without cases, or unknown", async function () {
      const c = await loadFixture(suspectBatch);
      expect(await countOf(c)).to.deep.equal([0n, 0n]);
      expect(await countOf(c, batchIdOf(GTIN, NO_LOT))).to.deep.equal([0n, 0n]);
    });

    it("counts every case opened and holds only what open cases hold", async function () {
      const c = await loadFixture(suspectBatch);
      const s = c.suspects;
      // Case 1 (wholesaler, 10): cleared. Case 2 (maker, 6): closed. Case 3 (pharmacy, 4): open.
      await s.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 10n, EVIDENCE, "");
      await s.connect(c.maker).reportSuspect(c.batchId, WHOLE_BATCH, 6n, EVIDENCE, "");
      await s.connect(c.pharmacy).reportSuspect(c.batchId, 4n, 4n, EVIDENCE, "");
      expect(await countOf(c)).to.deep.equal([3n, 20n]);
      for (const no of [1n, 2n]) await s.connect(c.regulator).investigateSuspect(caseIdOf(c.batchId, no));
      await s.connect(c.regulator).concludeSuspect(caseIdOf(c.batchId, 1n), false, FINDING);
      expect(await countOf(c)).to.deep.equal([3n, 10n]);
      await s.connect(c.maker).concludeSuspect(caseIdOf(c.batchId, 2n), true, FINDING);
      expect(await countOf(c)).to.deep.equal([3n, 10n]);
      await s.connect(c.regulator).closeSuspect(caseIdOf(c.batchId, 2n));
      expect(await countOf(c)).to.deep.equal([3n, 4n]);
      expect(await expectCustodyConserved(c, c.batchId)).to.deep.include({ destroyed: 6n, suspended: 4n });
    });
  });

  describe("notificationOverdue", function () {
    it("is false for an unknown case and for every status but an unnotified illegitimate finding past its deadline", async function () {
      const c = await loadFixture(quarantinedCase);
      expect(await c.suspects.notificationOverdue(caseIdOf(c.batchId, 2n))).to.equal(false);
      expect(await c.suspects.notificationOverdue(ethers.ZeroHash)).to.equal(false);
      for (const [, , fixture] of STATUS_FIXTURES.filter(([s]) => s !== CaseStatus.Illegitimate)) {
        const k = await loadFixture(fixture);
        await time.increase(2n * DAY);
        expect(await k.suspects.notificationOverdue(k.caseId)).to.equal(false);
      }
      const k = await loadFixture(illegitimateCase);
      await time.increase(2n * DAY);
      expect(await k.suspects.notificationOverdue(k.caseId)).to.equal(true);
    });

    it("turns true one second after notifyBy, not at it", async function () {
      const c = await loadFixture(illegitimateCase);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
      await time.increaseTo(c.notifyBy - 1n);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
      await time.increaseTo(c.notifyBy);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
      await time.increaseTo(c.notifyBy + 1n);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(true);
    });

    it("reports only open findings: false once the case is closed, notified or not", async function () {
      const c = await loadFixture(illegitimateCase);
      await time.increaseTo(c.notifyBy + 1n);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(true);
      await c.suspects.connect(c.regulator).closeSuspect(c.caseId);
      expect(await c.suspects.notificationOverdue(c.caseId)).to.equal(false);
    });
  });

  describe("WHOLE_BATCH", function () {
    it("is type(uint48).max, the largest unit a case stores", async function () {
      const c = await loadFixture(suspectBatch);
      expect(await c.suspects.WHOLE_BATCH()).to.equal(WHOLE_BATCH);
    });
  });

  describe("NOTIFICATION_PERIOD", function () {
    it("is 24 hours", async function () {
      const c = await loadFixture(suspectBatch);
      expect(await c.suspects.NOTIFICATION_PERIOD()).to.equal(24n * 3600n);
    });
  });

  describe("conservation", function () {
    it("holds Σ held + open shipments + Σ dispensed + destroyed + lost + quarantined + suspended == quantity after every step", async function () {
      const c = await loadFixture(suspectBatch);
      const { batchRegistry: br, batchId, suspects: s } = c;
      const steps: [string, () => Promise<unknown>][] = [
        ["dispense", () => br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 0n))],
        ["stolen", () => br.connect(c.pharmacy).decommission(c.tree.unit(batchId, 1n), UnitStatus.Stolen)],
        ["ship", () => br.connect(c.wholesaler).ship(batchId, HOSPITAL, 5n)],
        ["report 1", () => s.connect(c.wholesaler).reportSuspect(batchId, WHOLE_BATCH, 15n, EVIDENCE, "")],
        ["report 2", () => s.connect(c.pharmacy).reportSuspect(batchId, 7n, 3n, EVIDENCE, "")],
        ["report 3 (clone)", () => s.connect(c.hospital).reportSuspect(batchId, 9n, 0n, EVIDENCE, "")],
        ["investigate 1", () => s.connect(c.wholesaler).investigateSuspect(caseIdOf(batchId, 1n))],
        ["investigate 2", () => s.connect(c.maker).investigateSuspect(caseIdOf(batchId, 2n))],
        ["illegitimate 1", () => s.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 1n), true, FINDING)],
        ["clear 2", () => s.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 2n), false, FINDING)],
        ["notify 1", () => s.connect(c.maker).notifyIllegitimate(caseIdOf(batchId, 1n), NOTICE)],
        ["close 1", () => s.connect(c.regulator).closeSuspect(caseIdOf(batchId, 1n))],
        ["stop", () => c.collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "")],
        ["recall", () => c.collaboration.connect(c.regulator).openRecall(batchId, 1, "")],
        ["return", () => c.collaboration.connect(c.maker).returnStock(batchId, 10n)],
        ["report 4 under recall", () => s.connect(c.maker).reportSuspect(batchId, WHOLE_BATCH, 4n, EVIDENCE, "")],
      ];
      await expectCustodyConserved(c, batchId);
      for (const [, step] of steps) {
        await step();
        await expectCustodyConserved(c, batchId);
      }
      // Every term is in play: pharmacy 20 − 1 − 1 − 3 + 3, wholesaler 40 − 5 − 15, maker 30 − 10 − 4, hospital 10.
      expect(await custodyOf(c, batchId)).to.deep.equal({
        quantity: QUANTITY,
        held: 18n + 20n + 16n + 10n,
        inTransit: 5n,
        dispensed: 1n,
        destroyed: 15n,
        lost: 1n,
        quarantined: 10n,
        suspended: 4n,
      });
      expect(await countOf(c)).to.deep.equal([4n, 4n]);
    });
  });

  describe("direct calls", function () {
    it("revert at the collaboration engine's own address, where the constants still answer", async function () {
      const c = await loadFixture(illegitimateCase);
      const [, collaboration] = await enginesAt(c);
      expect(await collaboration.getAddress()).to.not.equal(await c.batchRegistry.getAddress());
      for (const call of [
        () => collaboration.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 1n, EVIDENCE, ""),
        () => collaboration.connect(c.regulator).investigateSuspect(c.caseId),
        () => collaboration.connect(c.regulator).concludeSuspect(c.caseId, false, FINDING),
        () => collaboration.connect(c.wholesaler).notifyIllegitimate(c.caseId, NOTICE),
        () => collaboration.connect(c.regulator).closeSuspect(c.caseId),
        () => collaboration.suspectCase(c.caseId),
        () => collaboration.suspectCount(c.batchId),
        () => collaboration.notificationOverdue(c.caseId),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(c.collaboration, "CollaborationDirectCall").withArgs();
      }
      expect(await collaboration.WHOLE_BATCH()).to.equal(WHOLE_BATCH);
      expect(await collaboration.NOTIFICATION_PERIOD()).to.equal(NOTIFICATION_PERIOD);
    });

    it("revert without a reason at the quality engine's own address, which has no suspect-case functions", async function () {
      const c = await loadFixture(illegitimateCase);
      const [quality] = await enginesAt(c);
      for (const call of [
        () => quality.connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 1n, EVIDENCE, ""),
        () => quality.connect(c.regulator).closeSuspect(c.caseId),
        () => quality.suspectCase(c.caseId),
        () => quality.WHOLE_BATCH(),
      ]) {
        await expect(call()).to.be.revertedWithoutReason(ethers);
      }
      // Nothing moved at the BatchRegistry.
      expect((await c.suspects.suspectCase(c.caseId)).status).to.equal(BigInt(CaseStatus.Illegitimate));
    });

    it("are routed by the BatchRegistry to the collaboration engine", async function () {
      const c = await loadFixture(suspectBatch);
      const [, collaboration] = await enginesAt(c);
      const selectors: string[] = [];
      c.suspects.interface.forEachFunction((f) => selectors.push(f.selector));
      // The cases' ten, and the unknown codes' four (reportUnknownCode, reportUnknownCodes, MAX_UNKNOWN_CODES, unknownCodeReportCount).
      expect(selectors).to.have.length(14);
      for (const selector of selectors) {
        expect(await c.batchRegistry.moduleOf(selector), selector).to.equal(await collaboration.getAddress());
      }
    });
  });
});
