import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { Signer } from "ethers";

import { Domain, LicenceKind, PartyStatus, Role, ShipmentStatus } from "../../sdk/enums.js";
import type { ICollaborationEngine } from "../../types/ethers-contracts/index.js";
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
  UNKNOWN,
  WHOLESALER,
  ethers,
  networkHelpers,
  restoreClockAfter,
} from "../helpers/fixtures.js";
import {
  Actor,
  type BatchQualityCtx,
  DAY,
  DestructionStatus,
  GTIN,
  Point,
  QUANTITY,
  Result,
  RuleKind,
  State,
  StateKind,
  NO_HUMIDITY,
  NO_TEMPERATURE,
  destructionIdOf,
  distributedBatch,
  observation,
  productSubject,
  caseIdOf,
  recallIdOf,
  recalledBatch,
  stoppedBatch,
  suspectsAt,
  vaccineBatch,
} from "../helpers/quality.js";
import { type Ledger, UnitStatus, batchIdOf, expectConserved, expectEvents, inspect, shipmentIdOf } from "../helpers/supply.js";

// ==== CONSTANTS ====

type StateDef = ICollaborationEngine.StateDefStruct;

const { loadFixture, time } = networkHelpers;

/** The product as a subject. */
const PRODUCT = productSubject(GTIN);
/** A valid GTIN no fixture registers. */
const OTHER_GTIN = 4006381333931n;
/** ISuspectProduct.WHOLE_BATCH: type(uint48).max. */
const WHOLE_BATCH = 2n ** 48n - 1n;
/** A second manufacturer, admitted by {quarantinedBatch}: not the vaccine's holder. */
const MAKER2 = 9n;
const LOT2 = "VAX-2026-002";

/** The default recall periods (levels I, II, III): 1, 3 and 7 days. */
const PERIODS = [DAY, 3n * DAY, 7n * DAY];
const MAX_RECALL_PERIOD = 365n * DAY;

/** Actor bits of StateDef.actors. */
const REG = 1 << Actor.Regulator;
const HOLD = 1 << Actor.Holder;
const RULE = 1 << Actor.Rule;
const WIT = 1 << Actor.Witness;
const bit = (state: number) => 1 << state;

/** A bytes16 state name. */
function name16(name: string): string {
  return ethers.encodeBytes32String(name).slice(0, 34);
}

function stateDef(
  name: string,
  kind: number,
  halts: boolean,
  actors: number,
  scope: number,
  from: number,
  prerequisites: number,
): StateDef {
  return { name: name16(name), kind, halts, actors, scope, from, prerequisites };
}

/** A StateDef as the views and events return it. */
function tuple(d: StateDef): unknown[] {
  return [d.name, BigInt(d.kind), d.halts, BigInt(d.actors), BigInt(d.scope), BigInt(d.from), BigInt(d.prerequisites)];
}

/** The pharmaceutical graph of the interface's NatSpec table. */
const DEFAULT_GRAPH: StateDef[] = [
  stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(State.EmergencyStop), 0),
  stateDef("EmergencyStop", StateKind.Plain, true, REG | HOLD | RULE, 3, bit(State.Marketed), 0),
  stateDef("Recall", StateKind.Recall, true, REG | HOLD, 1, bit(State.EmergencyStop), bit(State.EmergencyStop)),
  stateDef("Destroyed", StateKind.Disposal, true, WIT, 1, bit(State.Recall) | bit(State.Destroyed), bit(State.Recall)),
  stateDef("Deregistered", StateKind.Plain, true, REG | HOLD, 2, bit(State.EmergencyStop), bit(State.EmergencyStop)),
];

/** A food graph: Marketed → Hold → Withdrawal (recall) → Disposal (witnessed). */
const Food = { Marketed: 0, Hold: 1, Withdrawal: 2, Disposal: 3 } as const;
const FOOD_GRAPH: StateDef[] = [
  stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(Food.Hold), 0),
  stateDef("Hold", StateKind.Plain, true, REG | HOLD | RULE, 3, bit(Food.Marketed), 0),
  stateDef("Withdrawal", StateKind.Recall, true, REG | HOLD, 1, bit(Food.Hold), bit(Food.Hold)),
  stateDef("Disposal", StateKind.Disposal, true, WIT, 1, bit(Food.Withdrawal) | bit(Food.Disposal), bit(Food.Withdrawal)),
];

// ==== HELPERS ====

/**
 * Asserts Σ held + Σ in transit + dispensed + destroyed + lost + quarantined + suspended ==
 * quantity (and that the per-party counters agree with what they summarise); returns the book.
 */
async function expectBalanced(c: BatchQualityCtx, batchId: string = c.batchId): Promise<Ledger> {
  return expectConserved(c, batchId);
}

/** A subject record as a plain array: state, effective, reached, observations, recalls, level, openedAt, deadline, destructions. */
async function recordOf(c: BatchQualityCtx, subject: string): Promise<bigint[]> {
  const r = await c.collaboration.subjectRecord(subject);
  return [r.state, r.effectiveState, r.reached, r.observations, r.recalls, r.recallLevel, r.recallOpenedAt, r.recallDeadline, r.destructions];
}

/** A second batch of the vaccine (50 boxes, no unit tree), inspected and released, held by the maker. */
async function addReleasedBatch(c: BatchQualityCtx, lot: string): Promise<string> {
  const now = BigInt(await time.latest());
  await c.batchRegistry.connect(c.maker).createBatch({
    gtin: GTIN,
    lot,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity: 50n,
    unitsRoot: ethers.ZeroHash,
    unitCount: 0n,
  });
  const id = batchIdOf(GTIN, lot);
  await inspect(c.batchRegistry, c.makerQa, id);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(id);
  return id;
}

/** The collaboration engine at its own address (the BatchRegistry routes its selectors there). */
async function collaborationEngineAt(c: BatchQualityCtx): Promise<ICollaborationEngine> {
  const [, , collaboration] = await c.batchRegistry.modules();
  return (await ethers.getContractAt("ICollaborationEngine", collaboration)) as unknown as ICollaborationEngine;
}

/** Sends `tx` and returns it with the timestamp of its block. */
async function minedAt<T>(tx: Promise<T>): Promise<[T, bigint]> {
  const sent = await tx;
  return [sent, BigInt(await time.latest())];
}

// ==== FIXTURES ====

/** + a second released batch of the same product (LOT2, 50 boxes held by the maker). */
async function twoBatches(): Promise<BatchQualityCtx & { batch2: string }> {
  const c = await distributedBatch();
  return { ...c, batch2: await addReleasedBatch(c, LOT2) };
}

/**
 * distributedBatch, then: the pharmacy dispenses unit 0, the wholesaler ships 5 to the
 * pharmacy (its shipment 1) and the maker 5 to the hospital (its shipment 2), both left
 * open; then the regulator stops the batch.
 */
async function haltedWithOpenShipments(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const { batchRegistry: br, batchId } = c;
  await br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 0n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 5n);
  await br.connect(c.maker).ship(batchId, HOSPITAL, 5n);
  await c.collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "excursion");
  return c;
}

/** distributedBatch with two open shipments (wholesaler → pharmacy 10, maker → hospital 5), then stopped and recalled. */
async function recallWithOpenShipments(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const { batchRegistry: br, batchId } = c;
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 10n);
  await br.connect(c.maker).ship(batchId, HOSPITAL, 5n);
  await c.collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "excursion");
  await c.collaboration.connect(c.regulator).openRecall(batchId, 1, "cold chain broken");
  return c;
}

type QuarantineCtx = BatchQualityCtx & { maker2: HardhatEthersSigner; batch2: string };

/**
 * recalledBatch, then the wholesaler (40), the pharmacy (20) and the maker (30) return
 * their stock: 90 in quarantine, the hospital's 10 outstanding. A second manufacturer
 * (party 9) is admitted, and a second batch (LOT2) of the product exists.
 */
async function quarantinedBatch(): Promise<QuarantineCtx> {
  const c = await recalledBatch();
  const maker2 = c.others[8];
  await c.registry.connect(c.gov).admitParty({
    name: "Maker Two",
    domain: Domain.Manufacturer,
    admin: maker2.address,
    voter: false,
    licences: [{ kind: LicenceKind.Manufacturing, documentHash: DOC, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY }],
  });
  await c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 40n);
  await c.collaboration.connect(c.pharmacy).returnStock(c.batchId, 20n);
  await c.collaboration.connect(c.maker).returnStock(c.batchId, 30n);
  const batch2 = await addReleasedBatch(c, LOT2);
  return { ...c, maker2, batch2 };
}

/** quarantinedBatch + two proposals by the maker: 1 for 40, 2 for 50. */
async function proposedBatch(): Promise<QuarantineCtx> {
  const c = await quarantinedBatch();
  await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 40n);
  await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 50n);
  return c;
}

/**
 * quarantinedBatch, then the hospital returns its 10, the maker proposes to destroy all 100
 * and a notary witnesses it: every unit is accounted for, the batch is Destroyed.
 */
async function destroyedBatch(): Promise<QuarantineCtx> {
  const c = await quarantinedBatch();
  await c.collaboration.connect(c.hospital).returnStock(c.batchId, 10n);
  await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, QUANTITY);
  await c.collaboration.connect(c.notary).witnessDestruction(c.batchId, destructionIdOf(c.batchId, 1n));
  return c;
}

type StaffCtx = BatchQualityCtx & { regulatorOperator: HardhatEthersSigner; regulatorQa: HardhatEthersSigner };

/** recalledBatch, with an operator and a qa member of the regulator. */
async function recalledWithStaff(): Promise<StaffCtx> {
  const c = await recalledBatch();
  const [regulatorOperator, regulatorQa] = c.others.slice(8);
  await c.registry.connect(c.regulator).addMember(REGULATOR, regulatorOperator.address, Role.Operator);
  await c.registry.connect(c.regulator).addMember(REGULATOR, regulatorQa.address, Role.QA);
  return { ...c, regulatorOperator, regulatorQa };
}

/** distributedBatch, the pharmacy locks unit 3 (one of its 20 set aside), then stopped and recalled. */
async function lockedRecall(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  await c.batchRegistry.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, 3n), UnitStatus.Locked);
  await c.collaboration.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "excursion");
  await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "cold chain broken");
  return c;
}

/** recalledBatch, then the pharmacy reports 5 of its 20 as suspect (case 1, its stock in the case). */
async function suspectRecall(): Promise<BatchQualityCtx> {
  const c = await recalledBatch();
  await (await suspectsAt(c)).connect(c.pharmacy).reportSuspect(c.batchId, WHOLE_BATCH, 5n, ethers.id("seal photo"), "seal damaged");
  return c;
}

/** distributedBatch under the food graph (configured by the governor). */
async function foodGraph(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  await c.collaboration.connect(c.gov).configureGraph(FOOD_GRAPH);
  return c;
}

/** distributedBatch under a graph with no Recall and no Disposal state, the batch held. */
async function noRecallGraph(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  await c.collaboration.connect(c.gov).configureGraph(FOOD_GRAPH.slice(0, 2));
  await c.collaboration.connect(c.maker).transition(c.batchId, Food.Hold, "hold");
  return c;
}

/** A fixture of its own for a caller table (its describe restores the clock afterwards). */
function callerFixture<T>(name: string, base: () => Promise<T>): () => Promise<T> {
  const fixture = () => base();
  Object.defineProperty(fixture, "name", { value: name });
  return fixture;
}

// ==== CALLER TABLES ====

type Ctx = BatchQualityCtx;

/** A member of the right kind whose party the state does not let act. */
function notAllowedActor<C extends Ctx>(title: string, pick: (c: C) => Signer, party: bigint, state: number): CallerCase<C> {
  return {
    title,
    caller: async (c) => pick(c),
    error: "CollaborationActorNotAllowed",
    args: (c) => [c.batchId, state, party],
  };
}

/** Callers of transition(batch, EmergencyStop) and openRecall(batch): only the regulator and the holder. */
function stateActorCases<C extends Ctx>(state: number): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongRole<C>("a device of the regulator", (c) => c.regulatorDevice, Role.Device),
    wrongRole<C>("a device of the holder", (c) => c.makerDevice, Role.Device),
    wrongRole<C>("a device of the wholesaler", (c) => c.wholesalerDevice, Role.Device),
    notAllowedActor<C>("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, state),
    notAllowedActor<C>("the wholesaler's QA", (c) => c.wholesalerQa, WHOLESALER, state),
    notAllowedActor<C>("the hospital's admin", (c) => c.hospital, HOSPITAL, state),
    notAllowedActor<C>("the pharmacy's admin", (c) => c.pharmacy, PHARMACY, state),
    notAllowedActor<C>("the logistics party's admin", (c) => c.logistics, LOGISTICS, state),
    notAllowedActor<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY, state),
    notAllowedActor<C>("the notary's admin", (c) => c.notary, NOTARY, state),
    ...standingCases<C>(MAKER, "maker's admin", (c) => c.maker),
  ];
}

/** Callers of returnStock acting for the wholesaler. */
function returnCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongDomain<C>("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
    wrongDomain<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain<C>("the notary's admin", (c) => c.notary, NOTARY, Domain.Notary),
    wrongRole<C>("a device of the wholesaler", (c) => c.wholesalerDevice, Role.Device),
    wrongRole<C>("a device of the pharmacy", (c) => c.pharmacyDevice, Role.Device),
    ...standingCases<C>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
  ];
}

/** Callers of seizeStock: only an admin or operator of the regulator. */
function seizeCases<C extends StaffCtx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongDomain<C>("the holder's admin", (c) => c.maker, MAKER, Domain.Manufacturer),
    wrongDomain<C>("the wholesaler's admin (whose stock it is)", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain<C>("the logistics party's admin", (c) => c.logistics, LOGISTICS, Domain.Logistics),
    wrongDomain<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain<C>("the notary's admin", (c) => c.notary, NOTARY, Domain.Notary),
    wrongRole<C>("the regulator's qa member", (c) => c.regulatorQa, Role.QA),
    wrongRole<C>("a device of the regulator", (c) => c.regulatorDevice, Role.Device),
  ];
}

/** Callers of proposeDestruction: only the holder's admin, operator or qa. */
function proposerCases<C extends QuarantineCtx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongDomain<C>("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
    wrongDomain<C>("the notary's admin", (c) => c.notary, NOTARY, Domain.Notary),
    wrongDomain<C>("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongRole<C>("a device of the holder", (c) => c.makerDevice, Role.Device),
    {
      title: "another manufacturer's admin",
      caller: async (c) => c.maker2,
      error: "BatchRegistryNotProductHolder",
      args: () => [GTIN, MAKER2],
    },
    ...standingCases<C>(MAKER, "maker's admin", (c) => c.maker),
  ];
}

/** Callers of witnessDestruction: only the regulator's or a notary's admin, operator or qa. */
function witnessCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongDomain<C>("the holder's admin", (c) => c.maker, MAKER, Domain.Manufacturer),
    wrongDomain<C>("the holder's QA", (c) => c.makerQa, MAKER, Domain.Manufacturer),
    wrongDomain<C>("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain<C>("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongRole<C>("a device of the regulator", (c) => c.regulatorDevice, Role.Device),
    ...standingCases<C>(NOTARY, "notary's admin", (c) => c.notary),
  ];
}

/** Everyone but the governor. */
function notGovernorCases<C extends Ctx>(): CallerCase<C>[] {
  const notGovernor = (title: string, pick: (c: C) => HardhatEthersSigner): CallerCase<C> => ({
    title,
    caller: async (c) => pick(c),
    error: "CollaborationOnlyGovernor",
    args: (c) => [pick(c).address],
  });
  return [
    notGovernor("a non-member", (c) => c.stranger),
    notGovernor("the deployer", (c) => c.deployer),
    notGovernor("the regulator's admin", (c) => c.regulator),
    notGovernor("the holder's admin", (c) => c.maker),
    notGovernor("the holder's QA", (c) => c.makerQa),
    notGovernor("the notary's admin", (c) => c.notary),
    notGovernor("a device", (c) => c.regulatorDevice),
  ];
}

// ==== TESTS ====

describe("CollaborationEngine", function () {
  describe("transition", function () {
    describe("batch level", function () {
      for (const [title, who, party, by] of [
        ["the regulator's admin", "regulator", REGULATOR, Actor.Regulator],
        ["the holder's admin", "maker", MAKER, Actor.Holder],
        ["the holder's QA", "makerQa", MAKER, Actor.Holder],
      ] as const) {
        it(`stops a marketed batch when asked by ${title}`, async function () {
          const c = await loadFixture(distributedBatch);
          const signer = c[who];
          const tx = await c.collaboration.connect(signer).transition(c.batchId, State.EmergencyStop, "excursion");
          await expectEvents(c.batchRegistry, tx, [
            ["StateChanged", [c.batchId, State.EmergencyStop, State.Marketed, by, party, signer.address, "excursion"]],
          ]);
          expect(await recordOf(c, c.batchId)).to.deep.equal([1n, 1n, 3n, 1n, 0n, 0n, 0n, 0n, 0n]);
        });
      }

      it("resumes a stopped batch when asked by the regulator", async function () {
        const c = await loadFixture(stoppedBatch);
        const tx = await c.collaboration.connect(c.regulator).transition(c.batchId, State.Marketed, "cleared");
        await expectEvents(c.batchRegistry, tx, [
          ["StateChanged", [c.batchId, State.Marketed, State.EmergencyStop, Actor.Regulator, REGULATOR, c.regulator.address, "cleared"]],
        ]);
        // Marketed again; both states stay reached.
        expect(await recordOf(c, c.batchId)).to.deep.equal([0n, 0n, 3n, 1n, 0n, 0n, 0n, 0n, 0n]);
      });

      it("stops a batch again after it was resumed", async function () {
        const c = await loadFixture(stoppedBatch);
        await c.collaboration.connect(c.regulator).transition(c.batchId, State.Marketed, "cleared");
        const tx = await c.collaboration.connect(c.maker).transition(c.batchId, State.EmergencyStop, "again");
        await expectEvents(c.batchRegistry, tx, [
          ["StateChanged", [c.batchId, State.EmergencyStop, State.Marketed, Actor.Holder, MAKER, c.maker.address, "again"]],
        ]);
      });

      it("reverts when the holder resumes a stopped batch", async function () {
        const c = await loadFixture(stoppedBatch);
        await expect(c.collaboration.connect(c.maker).transition(c.batchId, State.Marketed, "mine"))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationActorNotAllowed")
          .withArgs(c.batchId, State.Marketed, MAKER);
      });

      it("reverts when a marketed batch is resumed", async function () {
        const c = await loadFixture(distributedBatch);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Marketed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(c.batchId, State.Marketed, State.Marketed);
      });

      it("reverts when a stopped batch is stopped again", async function () {
        const c = await loadFixture(stoppedBatch);
        await expect(c.collaboration.connect(c.maker).transition(c.batchId, State.EmergencyStop, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(c.batchId, State.EmergencyStop, State.EmergencyStop);
      });

      it("reverts when a recalled batch is resumed or stopped", async function () {
        const c = await loadFixture(recalledBatch);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Marketed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(c.batchId, State.Recall, State.Marketed);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.EmergencyStop, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(c.batchId, State.Recall, State.EmergencyStop);
      });

      it("reverts when a destroyed batch is resumed", async function () {
        const c = await loadFixture(destroyedBatch);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Marketed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(c.batchId, State.Destroyed, State.Marketed);
      });

      it("reverts when a batch is deregistered (a product-only state)", async function () {
        const c = await loadFixture(stoppedBatch);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Deregistered, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongScope")
          .withArgs(c.batchId, State.Deregistered);
      });

      it("reverts when the state is entered by a recall (Recall)", async function () {
        const c = await loadFixture(stoppedBatch);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Recall, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongKind")
          .withArgs(State.Recall, StateKind.Recall);
      });

      it("reverts when the state is entered by a witnessed destruction (Destroyed)", async function () {
        const c = await loadFixture(recalledBatch);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Destroyed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongKind")
          .withArgs(State.Destroyed, StateKind.Disposal);
      });

      it("reverts when the state is not in the graph", async function () {
        const c = await loadFixture(distributedBatch);
        for (const state of [5, 16, 255]) {
          await expect(c.collaboration.connect(c.regulator).transition(c.batchId, state, ""))
            .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownState")
            .withArgs(state);
        }
      });

      it("reverts when the batch does not exist", async function () {
        const c = await loadFixture(distributedBatch);
        const unknown = batchIdOf(GTIN, "NO-SUCH-LOT");
        await expect(c.collaboration.connect(c.regulator).transition(unknown, State.EmergencyStop, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(unknown);
      });

      it("reverts when a party other than the regulator and the holder stops the batch", async function () {
        const c = await loadFixture(distributedBatch);
        for (const [signer, party] of [
          [c.wholesaler, WHOLESALER],
          [c.pharmacy, PHARMACY],
          [c.hospital, HOSPITAL],
          [c.logistics, LOGISTICS],
          [c.laboratory, LABORATORY],
          [c.notary, NOTARY],
        ] as const) {
          await expect(c.collaboration.connect(signer).transition(c.batchId, State.EmergencyStop, ""))
            .to.be.revertedWithCustomError(c.collaboration, "CollaborationActorNotAllowed")
            .withArgs(c.batchId, State.EmergencyStop, party);
        }
      });

      it("reverts when a device stops the batch", async function () {
        const c = await loadFixture(distributedBatch);
        for (const device of [c.regulatorDevice, c.makerDevice]) {
          await expect(c.collaboration.connect(device).transition(c.batchId, State.EmergencyStop, ""))
            .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
            .withArgs(device.address, Role.Device);
        }
      });

      it("lets a rule stop a marketed batch (a device's critical storage reading)", async function () {
        const c = await loadFixture(distributedBatch);
        const tx = await c.quality
          .connect(c.wholesalerDevice)
          .observe(observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n }));
        await expectEvents(c.batchRegistry, tx, [
          ["Observed", [c.batchId, WHOLESALER, 2n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
          ["RuleFired", [c.batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
          ["StateChanged", [c.batchId, State.EmergencyStop, State.Marketed, Actor.Rule, WHOLESALER, c.wholesalerDevice.address, ""]],
        ]);
      });

      it("leaves a recalled batch where it is when a rule fires", async function () {
        const c = await loadFixture(recalledBatch);
        const tx = await c.quality
          .connect(c.wholesalerDevice)
          .observe(observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n }));
        await expectEvents(c.batchRegistry, tx, [
          ["Observed", [c.batchId, WHOLESALER, 2n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
          ["RuleFired", [c.batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Recall);
      });
    });

    describe("product level", function () {
      for (const [title, who, party, by] of [
        ["the regulator's admin", "regulator", REGULATOR, Actor.Regulator],
        ["the holder's admin", "maker", MAKER, Actor.Holder],
        ["the holder's QA", "makerQa", MAKER, Actor.Holder],
      ] as const) {
        it(`stops and deregisters the product when asked by ${title}`, async function () {
          const c = await loadFixture(distributedBatch);
          const signer = c[who];
          const stop = await c.collaboration.connect(signer).transition(PRODUCT, State.EmergencyStop, "signal");
          await expectEvents(c.batchRegistry, stop, [
            ["StateChanged", [PRODUCT, State.EmergencyStop, State.Marketed, by, party, signer.address, "signal"]],
          ]);
          expect(await recordOf(c, PRODUCT)).to.deep.equal([1n, 1n, 3n, 0n, 0n, 0n, 0n, 0n, 0n]);
          const deregister = await c.collaboration.connect(signer).transition(PRODUCT, State.Deregistered, "withdrawn");
          await expectEvents(c.batchRegistry, deregister, [
            ["StateChanged", [PRODUCT, State.Deregistered, State.EmergencyStop, by, party, signer.address, "withdrawn"]],
          ]);
          expect(await recordOf(c, PRODUCT)).to.deep.equal([4n, 4n, 0b10011n, 0n, 0n, 0n, 0n, 0n, 0n]);
        });
      }

      it("resumes a stopped product when asked by the regulator", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
        const tx = await c.collaboration.connect(c.regulator).transition(PRODUCT, State.Marketed, "cleared");
        await expectEvents(c.batchRegistry, tx, [
          ["StateChanged", [PRODUCT, State.Marketed, State.EmergencyStop, Actor.Regulator, REGULATOR, c.regulator.address, "cleared"]],
        ]);
        expect(await recordOf(c, PRODUCT)).to.deep.equal([0n, 0n, 3n, 0n, 0n, 0n, 0n, 0n, 0n]);
      });

      it("reverts when the holder resumes a stopped product", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
        await expect(c.collaboration.connect(c.maker).transition(PRODUCT, State.Marketed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationActorNotAllowed")
          .withArgs(PRODUCT, State.Marketed, MAKER);
      });

      it("reverts when a marketed product is deregistered without a stop first", async function () {
        const c = await loadFixture(distributedBatch);
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.Deregistered, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnmetPrerequisite")
          .withArgs(PRODUCT, State.Deregistered, bit(State.EmergencyStop));
      });

      it("reverts when a product stopped then resumed is deregistered", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
        await c.collaboration.connect(c.regulator).transition(PRODUCT, State.Marketed, "cleared");
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.Deregistered, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(PRODUCT, State.Marketed, State.Deregistered);
      });

      it("reverts when a deregistered product is resumed or stopped", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.Deregistered, "withdrawn");
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.Marketed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(PRODUCT, State.Deregistered, State.Marketed);
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.EmergencyStop, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(PRODUCT, State.Deregistered, State.EmergencyStop);
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.Deregistered, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
          .withArgs(PRODUCT, State.Deregistered, State.Deregistered);
      });

      it("reverts when the product is sent to Recall or Destroyed by transition", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.Recall, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongKind")
          .withArgs(State.Recall, StateKind.Recall);
        await expect(c.collaboration.connect(c.regulator).transition(PRODUCT, State.Destroyed, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongKind")
          .withArgs(State.Destroyed, StateKind.Disposal);
      });

      it("reverts when the product is not registered", async function () {
        const c = await loadFixture(distributedBatch);
        for (const subject of [productSubject(OTHER_GTIN), ethers.ZeroHash]) {
          await expect(c.collaboration.connect(c.regulator).transition(subject, State.EmergencyStop, ""))
            .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
            .withArgs(subject);
        }
      });

      it("reverts when a party other than the regulator and the holder stops the product", async function () {
        const c = await loadFixture(distributedBatch);
        for (const [signer, party] of [
          [c.wholesaler, WHOLESALER],
          [c.laboratory, LABORATORY],
          [c.notary, NOTARY],
        ] as const) {
          await expect(c.collaboration.connect(signer).transition(PRODUCT, State.EmergencyStop, ""))
            .to.be.revertedWithCustomError(c.collaboration, "CollaborationActorNotAllowed")
            .withArgs(PRODUCT, State.EmergencyStop, party);
        }
      });

      it("reverts when a party other than the regulator and the holder deregisters the product", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
        await expect(c.collaboration.connect(c.wholesaler).transition(PRODUCT, State.Deregistered, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationActorNotAllowed")
          .withArgs(PRODUCT, State.Deregistered, WHOLESALER);
      });

      it("reverts when a device stops the product", async function () {
        const c = await loadFixture(distributedBatch);
        await expect(c.collaboration.connect(c.makerDevice).transition(PRODUCT, State.EmergencyStop, ""))
          .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
          .withArgs(c.makerDevice.address, Role.Device);
      });

      it("lets a rule stop the product (a laboratory's critical inspection)", async function () {
        const c = await loadFixture(distributedBatch);
        const tx = await c.quality.connect(c.laboratory).observe(observation(PRODUCT, Point.Inspection, Result.Critical));
        await expectEvents(c.batchRegistry, tx, [
          ["Observed", [PRODUCT, LABORATORY, 1n, c.laboratory.address, Point.Inspection, Result.Critical, NO_TEMPERATURE, NO_HUMIDITY]],
          ["RuleFired", [PRODUCT, 1n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
          ["StateChanged", [PRODUCT, State.EmergencyStop, State.Marketed, Actor.Rule, LABORATORY, c.laboratory.address, ""]],
        ]);
        expect(await recordOf(c, PRODUCT)).to.deep.equal([1n, 1n, 3n, 1n, 0n, 0n, 0n, 0n, 0n]);
      });
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("transitionCallers", distributedBatch),
        stateActorCases<Ctx>(State.EmergencyStop),
        (c, s) => c.collaboration.connect(s).transition(c.batchId, State.EmergencyStop, "stop"),
        (c) => c.collaboration,
      );
    });
  });

  describe("openRecall", function () {
    for (const level of [1, 2, 3]) {
      it(`opens a level ${level} recall due in ${PERIODS[level - 1] / DAY} day(s), from the regulator`, async function () {
        const c = await loadFixture(stoppedBatch);
        expect(await c.collaboration.recallIdOf(c.batchId)).to.equal(ethers.ZeroHash);
        const recallId = recallIdOf(c.batchId, 1n);
        expect(await c.collaboration.connect(c.regulator).openRecall.staticCall(c.batchId, level, "r")).to.equal(recallId);
        const [tx, at] = await minedAt(c.collaboration.connect(c.regulator).openRecall(c.batchId, level, "cold chain"));
        const deadline = at + PERIODS[level - 1];
        await expectEvents(c.batchRegistry, tx, [
          ["StateChanged", [c.batchId, State.Recall, State.EmergencyStop, Actor.Regulator, REGULATOR, c.regulator.address, "cold chain"]],
          ["RecallOpened", [recallId, c.batchId, level, at, deadline, REGULATOR, c.regulator.address]],
        ]);
        expect(await c.collaboration.recallIdOf(c.batchId)).to.equal(recallId);
        expect(await recordOf(c, c.batchId)).to.deep.equal([2n, 2n, 7n, 1n, 1n, BigInt(level), at, deadline, 0n]);
      });
    }

    for (const [title, who] of [
      ["the holder's admin", "maker"],
      ["the holder's QA", "makerQa"],
    ] as const) {
      it(`opens a recall asked by ${title}`, async function () {
        const c = await loadFixture(stoppedBatch);
        const signer = c[who];
        const [tx, at] = await minedAt(c.collaboration.connect(signer).openRecall(c.batchId, 3, "voluntary"));
        await expectEvents(c.batchRegistry, tx, [
          ["StateChanged", [c.batchId, State.Recall, State.EmergencyStop, Actor.Holder, MAKER, signer.address, "voluntary"]],
          ["RecallOpened", [recallIdOf(c.batchId, 1n), c.batchId, 3n, at, at + 7n * DAY, MAKER, signer.address]],
        ]);
      });
    }

    it("uses the periods governance set", async function () {
      const c = await loadFixture(distributedBatch);
      const periods = [3600n, 2n * 3600n, 30n * DAY];
      await c.collaboration.connect(c.gov).setRecallPeriods([periods[0], periods[1], periods[2]]);
      for (const [i, lot] of ["P1", "P2", "P3"].entries()) {
        const id = await addReleasedBatch(c, lot);
        await c.collaboration.connect(c.regulator).transition(id, State.EmergencyStop, "");
        const [tx, at] = await minedAt(c.collaboration.connect(c.regulator).openRecall(id, i + 1, ""));
        await expectEvents(c.batchRegistry, tx, [
          ["StateChanged", [id, State.Recall, State.EmergencyStop, Actor.Regulator, REGULATOR, c.regulator.address, ""]],
          ["RecallOpened", [recallIdOf(id, 1n), id, i + 1, at, at + periods[i], REGULATOR, c.regulator.address]],
        ]);
        expect((await c.collaboration.subjectRecord(id)).recallDeadline).to.equal(at + periods[i]);
      }
    });

    it("reverts when the level is not 1, 2 or 3", async function () {
      const c = await loadFixture(stoppedBatch);
      for (const level of [0, 4, 255]) {
        await expect(c.collaboration.connect(c.regulator).openRecall(c.batchId, level, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationInvalidLevel")
          .withArgs(level);
      }
    });

    it("reverts when the batch was never stopped", async function () {
      const c = await loadFixture(distributedBatch);
      await expect(c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnmetPrerequisite")
        .withArgs(c.batchId, State.Recall, bit(State.EmergencyStop));
    });

    it("reverts when only the product is stopped", async function () {
      const c = await loadFixture(distributedBatch);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      await expect(c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnmetPrerequisite")
        .withArgs(c.batchId, State.Recall, bit(State.EmergencyStop));
    });

    it("reverts when the batch was stopped, then resumed", async function () {
      const c = await loadFixture(stoppedBatch);
      await c.collaboration.connect(c.regulator).transition(c.batchId, State.Marketed, "cleared");
      await expect(c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
        .withArgs(c.batchId, State.Marketed, State.Recall);
    });

    it("reverts when the batch is already recalled", async function () {
      const c = await loadFixture(recalledBatch);
      await expect(c.collaboration.connect(c.maker).openRecall(c.batchId, 2, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationTransitionNotAllowed")
        .withArgs(c.batchId, State.Recall, State.Recall);
      expect(await c.collaboration.recallIdOf(c.batchId)).to.equal(recallIdOf(c.batchId, 1n));
    });

    it("reverts when the batch does not exist", async function () {
      const c = await loadFixture(stoppedBatch);
      const unknown = batchIdOf(GTIN, "NO-SUCH-LOT");
      await expect(c.collaboration.connect(c.regulator).openRecall(unknown, 1, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
        .withArgs(unknown);
    });

    it("reverts when the subject is a product (Recall applies to batches)", async function () {
      const c = await loadFixture(stoppedBatch);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      await expect(c.collaboration.connect(c.regulator).openRecall(PRODUCT, 1, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongScope")
        .withArgs(PRODUCT, State.Recall);
    });

    it("reverts when the graph has no Recall state", async function () {
      const c = await loadFixture(noRecallGraph);
      await expect(c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, ""))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationNoStateOfKind")
        .withArgs(StateKind.Recall);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("openRecallCallers", stoppedBatch),
        stateActorCases<Ctx>(State.Recall),
        (c, s) => c.collaboration.connect(s).openRecall(c.batchId, 1, "recall"),
        (c) => c.collaboration,
      );
    });
  });

  describe("returnStock", function () {
    it("moves the party's stock into quarantine and reports what it still holds", async function () {
      const c = await loadFixture(recalledBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      expect(await collaboration.connect(c.wholesaler).returnStock.staticCall(batchId, 15n)).to.equal(25n);
      const tx = await collaboration.connect(c.wholesaler).returnStock(batchId, 15n);
      await expectEvents(br, tx, [["StockReturned", [recallIdOf(batchId, 1n), batchId, WHOLESALER, 15n, 25n, c.wholesaler.address]]]);
      expect(await br.holding(batchId, WHOLESALER)).to.equal(25n);
      expect((await br.getBatch(batchId)).quarantined).to.equal(15n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([25n, false]);
      await expectBalanced(c);
    });

    it("takes every holder's stock back, the ledger balanced after every step", async function () {
      const c = await loadFixture(recalledBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      const recallId = recallIdOf(batchId, 1n);
      let quarantined = 0n;
      for (const [signer, party, quantity, left] of [
        [c.wholesalerQa, WHOLESALER, 25n, 15n],
        [c.wholesaler, WHOLESALER, 15n, 0n],
        [c.pharmacy, PHARMACY, 20n, 0n],
        [c.hospital, HOSPITAL, 4n, 6n],
        [c.maker, MAKER, 30n, 0n],
        [c.hospital, HOSPITAL, 6n, 0n],
      ] as const) {
        const tx = await collaboration.connect(signer).returnStock(batchId, quantity);
        await expectEvents(br, tx, [["StockReturned", [recallId, batchId, party, quantity, left, signer.address]]]);
        quarantined += quantity;
        expect(await collaboration.outstanding(batchId, party)).to.deep.equal([left, false]);
        expect(await expectBalanced(c)).to.deep.include({ quarantined, held: QUANTITY - quarantined });
      }
      expect(quarantined).to.equal(QUANTITY);
    });

    it("reports a party overdue once the deadline has passed, and not once it returned everything", async function () {
      const c = await loadFixture(recalledBatch);
      const { collaboration, batchId } = c;
      const { recallDeadline } = await collaboration.subjectRecord(batchId);
      expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([10n, false]);
      await time.increaseTo(recallDeadline - 60n);
      expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([10n, false]);
      await time.increaseTo(recallDeadline + 1n);
      expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([10n, true]);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([40n, true]);
      expect(await collaboration.outstanding(batchId, LOGISTICS)).to.deep.equal([0n, false]);
      // Late returns are still taken.
      await collaboration.connect(c.hospital).returnStock(batchId, 10n);
      expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([0n, false]);
      await expectBalanced(c);
    });

    it("reports nothing outstanding before a recall", async function () {
      const c = await loadFixture(stoppedBatch);
      expect(await c.collaboration.outstanding(c.batchId, MAKER)).to.deep.equal([0n, false]);
      expect(await c.collaboration.outstanding(c.batchId, WHOLESALER)).to.deep.equal([0n, false]);
    });

    it("lets a party return stock whose open shipment it cancelled, or that was rejected back to it, during the recall", async function () {
      const c = await loadFixture(recallWithOpenShipments);
      const { collaboration, batchRegistry: br, batchId } = c;
      expect(await expectBalanced(c)).to.deep.include({ inTransit: 15n, quarantined: 0n });
      // Held and in transit from it: 30 + 10, and 25 + 5.
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([40n, false]);
      expect(await collaboration.outstanding(batchId, MAKER)).to.deep.equal([30n, false]);
      // Only what was shipped to it and is still on its way is not yet the pharmacy's.
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([20n, false]);

      const toPharmacy = shipmentIdOf(batchId, WHOLESALER, 1n);
      const cancel = await br.connect(c.wholesaler).cancelShipment(batchId, toPharmacy);
      await expectEvents(br, cancel, [
        ["ShipmentClosed", [toPharmacy, batchId, WHOLESALER, ShipmentStatus.Cancelled, 10n, c.wholesaler.address]],
      ]);
      expect(await expectBalanced(c)).to.deep.include({ inTransit: 5n });
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([40n, false]);
      await collaboration.connect(c.wholesaler).returnStock(batchId, 40n);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 40n });

      const toHospital = shipmentIdOf(batchId, MAKER, 2n);
      const reject = await br.connect(c.hospital).rejectShipment(batchId, toHospital);
      await expectEvents(br, reject, [
        ["ShipmentClosed", [toHospital, batchId, MAKER, ShipmentStatus.Rejected, 5n, c.hospital.address]],
      ]);
      expect(await collaboration.outstanding(batchId, MAKER)).to.deep.equal([30n, false]);
      await collaboration.connect(c.maker).returnStock(batchId, 30n);
      expect(await expectBalanced(c)).to.deep.include({ inTransit: 0n, quarantined: 70n });
    });

    it("returns only available stock: a locked unit stays held and outstanding until the regulator restores it", async function () {
      const c = await loadFixture(lockedRecall);
      const { collaboration, batchRegistry: br, batchId } = c;
      expect([...(await br.custody(batchId, PHARMACY))]).to.deep.equal([20n, 0n, 0n, 0n, 1n, 0n]);
      await expect(collaboration.connect(c.pharmacy).returnStock(batchId, 20n))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 19n, 20n);
      const tx = await collaboration.connect(c.pharmacy).returnStock(batchId, 19n);
      await expectEvents(br, tx, [["StockReturned", [recallIdOf(batchId, 1n), batchId, PHARMACY, 19n, 1n, c.pharmacy.address]]]);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([1n, false]);
      await expect(collaboration.connect(c.pharmacy).returnStock(batchId, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      // The regulator restores the locked unit (allowed while halted: no stock moves), then it returns.
      await br.connect(c.regulator).restoreUnit(c.tree.unit(batchId, 3n));
      await collaboration.connect(c.pharmacy).returnStock(batchId, 1n);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([0n, false]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 20n });
    });

    it("reverts when the party's stock is in its suspect case, which stays outstanding", async function () {
      const c = await loadFixture(suspectRecall);
      const { collaboration, batchRegistry: br, batchId } = c;
      expect([...(await br.custody(batchId, PHARMACY))]).to.deep.equal([15n, 0n, 0n, 5n, 0n, 0n]);
      await expect(collaboration.connect(c.pharmacy).returnStock(batchId, 20n))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 15n, 20n);
      const tx = await collaboration.connect(c.pharmacy).returnStock(batchId, 15n);
      await expectEvents(br, tx, [["StockReturned", [recallIdOf(batchId, 1n), batchId, PHARMACY, 15n, 5n, c.pharmacy.address]]]);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([5n, false]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 15n, suspended: 5n });
    });

    it("reverts when the batch is not under recall", async function () {
      for (const fixture of [distributedBatch, stoppedBatch]) {
        const c = await loadFixture(fixture);
        await expect(c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 1n))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationNoOpenRecall")
          .withArgs(c.batchId);
      }
    });

    it("reverts when the quantity is zero", async function () {
      const c = await loadFixture(recalledBatch);
      await expect(c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 0n)).to.be.revertedWithCustomError(
        c.batchRegistry,
        "BatchRegistryZeroQuantity",
      );
    });

    it("reverts when the party holds less than it returns", async function () {
      const c = await loadFixture(recalledBatch);
      await expect(c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 41n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, WHOLESALER, 40n, 41n);
      await expect(c.collaboration.connect(c.logistics).returnStock(c.batchId, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, LOGISTICS, 0n, 1n);
      await c.collaboration.connect(c.pharmacy).returnStock(c.batchId, 20n);
      await expect(c.collaboration.connect(c.pharmacy).returnStock(c.batchId, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 0n, 1n);
    });

    it("reverts when the batch does not exist", async function () {
      const c = await loadFixture(recalledBatch);
      const unknown = batchIdOf(GTIN, "NO-SUCH-LOT");
      await expect(c.collaboration.connect(c.wholesaler).returnStock(unknown, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
        .withArgs(unknown);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("returnStockCallers", recalledBatch),
        returnCases<Ctx>(),
        (c, s) => c.collaboration.connect(s).returnStock(c.batchId, 1n),
        (c) => c.collaboration,
      );
    });
  });

  describe("seizeStock", function () {
    for (const [title, pick] of [
      ["the regulator's admin", (c: StaffCtx) => c.regulator],
      ["the regulator's operator", (c: StaffCtx) => c.regulatorOperator],
    ] as const) {
      it(`moves a party's stock into quarantine when ${title} seizes it, and reports what the party still has`, async function () {
        const c = await loadFixture(recalledWithStaff);
        const { collaboration, batchRegistry: br, batchId } = c;
        const signer = pick(c);
        expect(await collaboration.connect(signer).seizeStock.staticCall(batchId, WHOLESALER, 15n)).to.equal(25n);
        const tx = await collaboration.connect(signer).seizeStock(batchId, WHOLESALER, 15n);
        await expectEvents(br, tx, [
          ["StockSeized", [recallIdOf(batchId, 1n), batchId, WHOLESALER, 15n, 25n, REGULATOR, signer.address]],
        ]);
        expect([...(await br.custody(batchId, WHOLESALER))]).to.deep.equal([25n, 0n, 0n, 0n, 0n, 1n]);
        expect((await br.getBatch(batchId)).quarantined).to.equal(15n);
        expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([25n, false]);
        expect(await expectBalanced(c)).to.deep.include({ quarantined: 15n, held: 85n });
      });
    }

    it("takes the stock of a revoked party, which can no longer return it", async function () {
      const c = await loadFixture(recalledBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      await c.registry.connect(c.gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      await expect(collaboration.connect(c.pharmacy).returnStock(batchId, 20n))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Revoked);
      const { recallDeadline } = await collaboration.subjectRecord(batchId);
      await time.increaseTo(recallDeadline + 1n);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([20n, true]);
      const tx = await collaboration.connect(c.regulator).seizeStock(batchId, PHARMACY, 20n);
      await expectEvents(br, tx, [["StockSeized", [recallIdOf(batchId, 1n), batchId, PHARMACY, 20n, 0n, REGULATOR, c.regulator.address]]]);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([0n, false]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 20n });
    });

    it("reports the party's stock in transit and in its suspect cases as still outstanding", async function () {
      const c = await loadFixture(recallWithOpenShipments);
      const { collaboration, batchRegistry: br, batchId } = c;
      await (await suspectsAt(c)).connect(c.wholesaler).reportSuspect(batchId, WHOLE_BATCH, 3n, ethers.ZeroHash, "seal damaged");
      // The wholesaler: 27 held, 10 in transit to the pharmacy, 3 in its case.
      expect([...(await br.custody(batchId, WHOLESALER))]).to.deep.equal([27n, 10n, 0n, 3n, 0n, 2n]);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([40n, false]);
      const tx = await collaboration.connect(c.regulator).seizeStock(batchId, WHOLESALER, 27n);
      await expectEvents(br, tx, [["StockSeized", [recallIdOf(batchId, 1n), batchId, WHOLESALER, 27n, 13n, REGULATOR, c.regulator.address]]]);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([13n, false]);
      await expect(collaboration.connect(c.regulator).seizeStock(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, WHOLESALER, 0n, 1n);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 27n, inTransit: 15n, suspended: 3n });
    });

    it("seizes stock under a recall of the graph's own Recall state, and its destruction ends the batch", async function () {
      const c = await loadFixture(foodGraph);
      const { collaboration, batchRegistry: br, batchId } = c;
      await collaboration.connect(c.regulator).transition(batchId, Food.Hold, "hold");
      await collaboration.connect(c.regulator).openRecall(batchId, 1, "withdraw");
      for (const [party, quantity] of [
        [MAKER, 30n],
        [WHOLESALER, 40n],
        [PHARMACY, 20n],
        [HOSPITAL, 10n],
      ] as const) {
        const tx = await collaboration.connect(c.regulator).seizeStock(batchId, party, quantity);
        await expectEvents(br, tx, [["StockSeized", [recallIdOf(batchId, 1n), batchId, party, quantity, 0n, REGULATOR, c.regulator.address]]]);
      }
      await collaboration.connect(c.maker).proposeDestruction(batchId, QUANTITY);
      const id = destructionIdOf(batchId, 1n);
      const tx = await collaboration.connect(c.notary).witnessDestruction(batchId, id);
      await expectEvents(br, tx, [
        ["DestructionWitnessed", [id, batchId, NOTARY, QUANTITY, c.notary.address]],
        ["StateChanged", [batchId, Food.Disposal, Food.Withdrawal, Actor.Witness, NOTARY, c.notary.address, "destruction witnessed"]],
      ]);
    });

    it("reverts when the batch is not under recall", async function () {
      for (const fixture of [distributedBatch, stoppedBatch]) {
        const c = await loadFixture(fixture);
        await expect(c.collaboration.connect(c.regulator).seizeStock(c.batchId, WHOLESALER, 1n))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationNoOpenRecall")
          .withArgs(c.batchId);
      }
    });

    it("reverts when the batch is held by a graph state that is not its recall", async function () {
      const c = await loadFixture(foodGraph);
      await c.collaboration.connect(c.regulator).transition(c.batchId, Food.Hold, "hold");
      await expect(c.collaboration.connect(c.regulator).seizeStock(c.batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationNoOpenRecall")
        .withArgs(c.batchId);
    });

    it("reverts when the quantity is zero", async function () {
      const c = await loadFixture(recalledBatch);
      await expect(c.collaboration.connect(c.regulator).seizeStock(c.batchId, WHOLESALER, 0n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryZeroQuantity")
        .withArgs();
    });

    it("reverts when the party has less available stock than is seized", async function () {
      const c = await loadFixture(recalledBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      for (const [party, available, quantity] of [
        [WHOLESALER, 40n, 41n],
        [LOGISTICS, 0n, 1n],
        [REGULATOR, 0n, 1n],
        [UNKNOWN, 0n, 1n],
      ] as const) {
        await expect(collaboration.connect(c.regulator).seizeStock(batchId, party, quantity))
          .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
          .withArgs(batchId, party, available, quantity);
      }
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 0n });
    });

    it("reverts when the seizure would take a locked unit", async function () {
      const c = await loadFixture(lockedRecall);
      await expect(c.collaboration.connect(c.regulator).seizeStock(c.batchId, PHARMACY, 20n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 19n, 20n);
      await c.collaboration.connect(c.regulator).seizeStock(c.batchId, PHARMACY, 19n);
      expect(await c.collaboration.outstanding(c.batchId, PHARMACY)).to.deep.equal([1n, false]);
    });

    it("reverts when the batch does not exist", async function () {
      const c = await loadFixture(recalledBatch);
      const unknown = batchIdOf(GTIN, "NO-SUCH-LOT");
      await expect(c.collaboration.connect(c.regulator).seizeStock(unknown, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
        .withArgs(unknown);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("seizeStockCallers", recalledWithStaff),
        seizeCases<StaffCtx>(),
        (c, s) => c.collaboration.connect(s).seizeStock(c.batchId, WHOLESALER, 1n),
        (c) => c.collaboration,
      );
    });
  });

  describe("outstanding", function () {
    it("reports each party's held stock, and nothing for a party that holds none", async function () {
      const c = await loadFixture(recalledBatch);
      const { collaboration, batchId } = c;
      for (const [party, quantity] of [
        [MAKER, 30n],
        [WHOLESALER, 40n],
        [PHARMACY, 20n],
        [HOSPITAL, 10n],
        [LOGISTICS, 0n],
        [UNKNOWN, 0n],
      ] as const) {
        expect(await collaboration.outstanding(batchId, party), String(party)).to.deep.equal([quantity, false]);
      }
    });

    it("counts the stock a party shipped that is still in transit, not the addressee's", async function () {
      const c = await loadFixture(recallWithOpenShipments);
      const { collaboration, batchId } = c;
      // Wholesaler 30 + 10 to the pharmacy; maker 25 + 5 to the hospital.
      for (const [party, quantity] of [
        [WHOLESALER, 40n],
        [MAKER, 30n],
        [PHARMACY, 20n],
        [HOSPITAL, 10n],
      ] as const) {
        expect(await collaboration.outstanding(batchId, party), String(party)).to.deep.equal([quantity, false]);
      }
      // Held stock all returned, what is in transit is still out, and overdue after the deadline.
      await collaboration.connect(c.wholesaler).returnStock(batchId, 30n);
      const { recallDeadline } = await collaboration.subjectRecord(batchId);
      await time.increaseTo(recallDeadline + 1n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([10n, true]);
      // Receiving is halted: the shipment can only come back to its sender.
      await expect(c.batchRegistry.connect(c.pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(batchId, State.Recall);
      await c.batchRegistry.connect(c.pharmacy).rejectShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([10n, true]);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([20n, true]);
      await collaboration.connect(c.wholesaler).returnStock(batchId, 10n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([0n, false]);
    });

    it("counts the stock in a party's open suspect cases until the case ends", async function () {
      const c = await loadFixture(suspectRecall);
      const { collaboration, batchId } = c;
      const suspects = await suspectsAt(c);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([20n, false]);
      await collaboration.connect(c.pharmacy).returnStock(batchId, 15n);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([5n, false]);
      const { recallDeadline } = await collaboration.subjectRecord(batchId);
      await time.increaseTo(recallDeadline + 1n);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([5n, true]);
      // Found illegitimate and closed: the case's stock leaves the ledger as destroyed.
      await suspects.connect(c.regulator).investigateSuspect(caseIdOf(batchId, 1n));
      await suspects.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 1n), true, ethers.ZeroHash);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([5n, true]);
      await suspects.connect(c.regulator).closeSuspect(caseIdOf(batchId, 1n));
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([0n, false]);
      expect(await expectBalanced(c)).to.deep.include({ destroyed: 5n, suspended: 0n, quarantined: 15n });
    });

    it("reports nothing outstanding before a recall, even for stock in transit or in a case", async function () {
      const c = await loadFixture(haltedWithOpenShipments);
      await (await suspectsAt(c)).connect(c.wholesaler).reportSuspect(c.batchId, WHOLE_BATCH, 1n, ethers.ZeroHash, "dent");
      for (const party of [MAKER, WHOLESALER, PHARMACY, HOSPITAL]) {
        expect(await c.collaboration.outstanding(c.batchId, party)).to.deep.equal([0n, false]);
      }
    });

    it("reports nothing outstanding once the batch is destroyed", async function () {
      const c = await loadFixture(destroyedBatch);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Destroyed);
      await time.increase(30n * DAY);
      for (const party of [MAKER, WHOLESALER, PHARMACY, HOSPITAL]) {
        expect(await c.collaboration.outstanding(c.batchId, party)).to.deep.equal([0n, false]);
      }
    });

    it("reverts when the batch does not exist", async function () {
      const c = await loadFixture(recalledBatch);
      for (const subject of [batchIdOf(GTIN, "NO-SUCH-LOT"), ethers.ZeroHash]) {
        await expect(c.collaboration.outstanding(subject, WHOLESALER))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(subject);
      }
    });
  });

  describe("proposeDestruction", function () {
    for (const [title, who] of [
      ["the holder's admin", "maker"],
      ["the holder's QA", "makerQa"],
    ] as const) {
      it(`records a proposal by ${title}, leaving the quarantine as it is`, async function () {
        const c = await loadFixture(quarantinedBatch);
        const signer = c[who];
        const id = destructionIdOf(c.batchId, 1n);
        expect(await c.collaboration.connect(signer).proposeDestruction.staticCall(c.batchId, 50n)).to.equal(id);
        const [tx, at] = await minedAt(c.collaboration.connect(signer).proposeDestruction(c.batchId, 50n));
        await expectEvents(c.batchRegistry, tx, [["DestructionProposed", [id, c.batchId, MAKER, 50n, at, signer.address]]]);
        expect(await c.collaboration.destruction(id)).to.deep.equal([50n, MAKER, 1n, at, BigInt(DestructionStatus.Proposed)]);
        expect((await c.collaboration.subjectRecord(c.batchId)).destructions).to.equal(1n);
        expect(await expectBalanced(c)).to.deep.include({ quarantined: 90n, destroyed: 0n });
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(State.Recall);
      });
    }

    it("numbers successive proposals, each up to the whole quarantine", async function () {
      const c = await loadFixture(quarantinedBatch);
      await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 90n);
      const [tx, at] = await minedAt(c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 90n));
      await expectEvents(c.batchRegistry, tx, [
        ["DestructionProposed", [destructionIdOf(c.batchId, 2n), c.batchId, MAKER, 90n, at, c.maker.address]],
      ]);
      expect((await c.collaboration.destruction(destructionIdOf(c.batchId, 2n))).no).to.equal(2n);
    });

    it("reverts when the quantity exceeds the quarantine", async function () {
      const c = await loadFixture(quarantinedBatch);
      await expect(c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 91n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationInsufficientQuarantine")
        .withArgs(c.batchId, 90n, 91n);
    });

    it("reverts when nothing was returned yet", async function () {
      const c = await loadFixture(recalledBatch);
      await expect(c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationInsufficientQuarantine")
        .withArgs(c.batchId, 0n, 1n);
    });

    it("reverts when the quantity is zero", async function () {
      const c = await loadFixture(quarantinedBatch);
      await expect(c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 0n)).to.be.revertedWithCustomError(
        c.batchRegistry,
        "BatchRegistryZeroQuantity",
      );
    });

    it("reverts when the batch was never recalled", async function () {
      for (const fixture of [distributedBatch, stoppedBatch]) {
        const c = await loadFixture(fixture);
        await expect(c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 1n))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnmetPrerequisite")
          .withArgs(c.batchId, State.Destroyed, bit(State.Recall));
      }
    });

    it("reverts when a manufacturer that does not hold the product proposes", async function () {
      const c = await loadFixture(quarantinedBatch);
      await expect(c.collaboration.connect(c.maker2).proposeDestruction(c.batchId, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN, MAKER2);
    });

    it("reverts when the batch does not exist", async function () {
      const c = await loadFixture(quarantinedBatch);
      const unknown = batchIdOf(GTIN, "NO-SUCH-LOT");
      await expect(c.collaboration.connect(c.maker).proposeDestruction(unknown, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
        .withArgs(unknown);
    });

    it("reverts when the subject is a product (Destroyed applies to batches)", async function () {
      const c = await loadFixture(quarantinedBatch);
      await expect(c.collaboration.connect(c.maker).proposeDestruction(PRODUCT, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationWrongScope")
        .withArgs(PRODUCT, State.Destroyed);
    });

    it("reverts when the graph has no Disposal state", async function () {
      const c = await loadFixture(noRecallGraph);
      await expect(c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 1n))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationNoStateOfKind")
        .withArgs(StateKind.Disposal);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("proposeDestructionCallers", quarantinedBatch),
        proposerCases<QuarantineCtx>(),
        (c, s) => c.collaboration.connect(s).proposeDestruction(c.batchId, 1n),
        (c) => c.batchRegistry,
      );
    });
  });

  describe("witnessDestruction", function () {
    it("executes a proposal witnessed by a notary: the stock leaves quarantine and the ledger, the batch stays under recall while some is out", async function () {
      const c = await loadFixture(proposedBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      const id = destructionIdOf(batchId, 1n);
      const { proposedAt } = await collaboration.destruction(id);
      const tx = await collaboration.connect(c.notary).witnessDestruction(batchId, id);
      await expectEvents(br, tx, [["DestructionWitnessed", [id, batchId, NOTARY, 40n, c.notary.address]]]);
      expect(await collaboration.destruction(id)).to.deep.equal([40n, MAKER, 1n, proposedAt, BigInt(DestructionStatus.Witnessed)]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 50n, destroyed: 40n, held: 10n });
      const record = await collaboration.subjectRecord(batchId);
      expect([record.state, record.effectiveState, record.reached, record.destructions]).to.deep.equal([2n, 2n, 7n, 2n]);
      // Trade stays halted under the recall.
      await expect(br.connect(c.hospital).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.Recall);
    });

    it("enters Destroyed only with the destruction that accounts for every unit", async function () {
      const c = await loadFixture(proposedBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      const [first, second] = [destructionIdOf(batchId, 1n), destructionIdOf(batchId, 2n)];
      // The second first, by the regulator (a witness): 50 destroyed, the batch stays under recall.
      const tx2 = await collaboration.connect(c.regulator).witnessDestruction(batchId, second);
      await expectEvents(br, tx2, [["DestructionWitnessed", [second, batchId, REGULATOR, 50n, c.regulator.address]]]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 40n, destroyed: 50n });
      const tx1 = await collaboration.connect(c.notary).witnessDestruction(batchId, first);
      await expectEvents(br, tx1, [["DestructionWitnessed", [first, batchId, NOTARY, 40n, c.notary.address]]]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 0n, destroyed: 90n, held: 10n });
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(State.Recall);
      expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([10n, false]);

      // The hospital's late return, proposed and witnessed: the whole batch has left the ledger.
      await collaboration.connect(c.hospital).returnStock(batchId, 10n);
      await collaboration.connect(c.maker).proposeDestruction(batchId, 10n);
      const last = destructionIdOf(batchId, 3n);
      const tx3 = await collaboration.connect(c.notary).witnessDestruction(batchId, last);
      await expectEvents(br, tx3, [
        ["DestructionWitnessed", [last, batchId, NOTARY, 10n, c.notary.address]],
        ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, NOTARY, c.notary.address, "destruction witnessed"]],
      ]);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 0n, destroyed: QUANTITY, held: 0n });
      const record = await collaboration.subjectRecord(batchId);
      expect([record.state, record.effectiveState, record.reached, record.destructions]).to.deep.equal([3n, 3n, 15n, 3n]);
      expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([0n, false]);
    });

    it("counts units dispensed before the recall as accounted for", async function () {
      const c = await loadFixture(distributedBatch);
      const { collaboration, batchRegistry: br, batchId } = c;
      await br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 0n));
      await br.connect(c.hospital).dispense(c.tree.unit(batchId, 1n));
      await collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "excursion");
      await collaboration.connect(c.regulator).openRecall(batchId, 1, "cold chain broken");
      for (const [signer, quantity] of [
        [c.maker, 30n],
        [c.wholesaler, 40n],
        [c.pharmacy, 19n],
        [c.hospital, 9n],
      ] as const) {
        await collaboration.connect(signer).returnStock(batchId, quantity);
      }
      await collaboration.connect(c.maker).proposeDestruction(batchId, 98n);
      const id = destructionIdOf(batchId, 1n);
      const tx = await collaboration.connect(c.regulator).witnessDestruction(batchId, id);
      await expectEvents(br, tx, [
        ["DestructionWitnessed", [id, batchId, REGULATOR, 98n, c.regulator.address]],
        ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, REGULATOR, c.regulator.address, "destruction witnessed"]],
      ]);
      expect(await expectBalanced(c)).to.deep.include({ dispensed: 2n, destroyed: 98n, held: 0n });
    });

    it("keeps the batch under recall while stock is in transit, until the shipments come back and are destroyed", async function () {
      const c = await loadFixture(recallWithOpenShipments);
      const { collaboration, batchRegistry: br, batchId } = c;
      // Everything held is returned: 30 + 20 + 10 + 25; 15 are on their way.
      for (const [signer, quantity] of [
        [c.wholesaler, 30n],
        [c.pharmacy, 20n],
        [c.hospital, 10n],
        [c.maker, 25n],
      ] as const) {
        await collaboration.connect(signer).returnStock(batchId, quantity);
      }
      await collaboration.connect(c.maker).proposeDestruction(batchId, 85n);
      const first = destructionIdOf(batchId, 1n);
      const tx = await collaboration.connect(c.notary).witnessDestruction(batchId, first);
      await expectEvents(br, tx, [["DestructionWitnessed", [first, batchId, NOTARY, 85n, c.notary.address]]]);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(State.Recall);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([10n, false]);
      expect(await collaboration.outstanding(batchId, MAKER)).to.deep.equal([5n, false]);
      expect(await expectBalanced(c)).to.deep.include({ inTransit: 15n, destroyed: 85n });

      await br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));
      await br.connect(c.hospital).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 2n));
      await collaboration.connect(c.wholesaler).returnStock(batchId, 10n);
      await collaboration.connect(c.maker).returnStock(batchId, 5n);
      await collaboration.connect(c.maker).proposeDestruction(batchId, 15n);
      const second = destructionIdOf(batchId, 2n);
      const last = await collaboration.connect(c.notary).witnessDestruction(batchId, second);
      await expectEvents(br, last, [
        ["DestructionWitnessed", [second, batchId, NOTARY, 15n, c.notary.address]],
        ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, NOTARY, c.notary.address, "destruction witnessed"]],
      ]);
    });

    it("keeps the batch under recall while stock is in a suspect case, until the case is cleared and its stock destroyed", async function () {
      const c = await loadFixture(suspectRecall);
      const { collaboration, batchRegistry: br, batchId } = c;
      const suspects = await suspectsAt(c);
      for (const [signer, quantity] of [
        [c.wholesaler, 40n],
        [c.pharmacy, 15n],
        [c.hospital, 10n],
        [c.maker, 30n],
      ] as const) {
        await collaboration.connect(signer).returnStock(batchId, quantity);
      }
      await collaboration.connect(c.maker).proposeDestruction(batchId, 95n);
      const first = destructionIdOf(batchId, 1n);
      const tx = await collaboration.connect(c.notary).witnessDestruction(batchId, first);
      await expectEvents(br, tx, [["DestructionWitnessed", [first, batchId, NOTARY, 95n, c.notary.address]]]);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(State.Recall);
      expect(await collaboration.outstanding(batchId, PHARMACY)).to.deep.equal([5n, false]);

      await suspects.connect(c.regulator).investigateSuspect(caseIdOf(batchId, 1n));
      await suspects.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 1n), false, ethers.ZeroHash);
      await collaboration.connect(c.pharmacy).returnStock(batchId, 5n);
      await collaboration.connect(c.maker).proposeDestruction(batchId, 5n);
      const second = destructionIdOf(batchId, 2n);
      const last = await collaboration.connect(c.regulator).witnessDestruction(batchId, second);
      await expectEvents(br, last, [
        ["DestructionWitnessed", [second, batchId, REGULATOR, 5n, c.regulator.address]],
        ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, REGULATOR, c.regulator.address, "destruction witnessed"]],
      ]);
      expect(await expectBalanced(c)).to.deep.include({ destroyed: QUANTITY, suspended: 0n });
    });

    it("reverts when the witness is not one the disposal state allows (the graph's Disposal needs the regulator)", async function () {
      const c = await loadFixture(foodGraph);
      const { collaboration, batchId } = c;
      const graph = FOOD_GRAPH.map((d, i) => (i === Food.Disposal ? { ...d, actors: REG } : d));
      await collaboration.connect(c.gov).configureGraph(graph);
      await collaboration.connect(c.regulator).transition(batchId, Food.Hold, "hold");
      await collaboration.connect(c.regulator).openRecall(batchId, 1, "withdraw");
      for (const [signer, quantity] of [
        [c.wholesaler, 40n],
        [c.pharmacy, 20n],
        [c.hospital, 10n],
        [c.maker, 30n],
      ] as const) {
        await collaboration.connect(signer).returnStock(batchId, quantity);
      }
      await collaboration.connect(c.maker).proposeDestruction(batchId, QUANTITY);
      const id = destructionIdOf(batchId, 1n);
      await expect(collaboration.connect(c.notary).witnessDestruction(batchId, id))
        .to.be.revertedWithCustomError(collaboration, "CollaborationActorNotAllowed")
        .withArgs(batchId, Food.Disposal, NOTARY);
      expect((await collaboration.destruction(id)).status).to.equal(DestructionStatus.Proposed);
      const tx = await collaboration.connect(c.regulator).witnessDestruction(batchId, id);
      await expectEvents(c.batchRegistry, tx, [
        ["DestructionWitnessed", [id, batchId, REGULATOR, QUANTITY, c.regulator.address]],
        ["StateChanged", [batchId, Food.Disposal, Food.Withdrawal, Actor.Regulator, REGULATOR, c.regulator.address, "destruction witnessed"]],
      ]);
    });

    it("executes a destruction of a batch already in the disposal state without entering it again or asking the graph", async function () {
      const c = await loadFixture(twoBatches);
      const { collaboration, batchRegistry: br, batch2 } = c;
      // State 3 is first a plain halting state after the recall ("Sealed"): batch 2 (the maker's 50)
      // is recalled, its stock returned, then sealed. Governance then makes state 3 the disposal
      // state, which the graph lets a batch enter from the recall only — not from itself.
      const sealed = stateDef("Sealed", StateKind.Plain, true, REG, 1, bit(State.Recall), bit(State.Recall));
      await collaboration.connect(c.gov).configureGraph([...DEFAULT_GRAPH.slice(0, 3), sealed]);
      await collaboration.connect(c.regulator).transition(batch2, State.EmergencyStop, "excursion");
      await collaboration.connect(c.regulator).openRecall(batch2, 1, "cold chain broken");
      await collaboration.connect(c.maker).returnStock(batch2, 50n);
      await collaboration.connect(c.regulator).transition(batch2, 3, "sealed");
      const disposal = stateDef("Disposal", StateKind.Disposal, true, WIT, 1, bit(State.Recall), bit(State.Recall));
      await collaboration.connect(c.gov).configureGraph([...DEFAULT_GRAPH.slice(0, 3), disposal]);
      await collaboration.connect(c.maker).proposeDestruction(batch2, 50n);
      const id = destructionIdOf(batch2, 1n);
      // The destruction accounts for every unit, and the batch is already where that leads.
      const tx = await collaboration.connect(c.notary).witnessDestruction(batch2, id);
      await expectEvents(br, tx, [["DestructionWitnessed", [id, batch2, NOTARY, 50n, c.notary.address]]]);
      expect((await collaboration.destruction(id)).status).to.equal(BigInt(DestructionStatus.Witnessed));
      expect(await expectBalanced(c, batch2)).to.deep.equal({
        quantity: 50n,
        held: 0n,
        inTransit: 0n,
        dispensed: 0n,
        destroyed: 50n,
        lost: 0n,
        quarantined: 0n,
        suspended: 0n,
      });
      const record = await collaboration.subjectRecord(batch2);
      expect([record.state, record.effectiveState, record.reached, record.destructions]).to.deep.equal([3n, 3n, 15n, 1n]);
    });

    it("reverts when the proposal was already witnessed", async function () {
      const c = await loadFixture(proposedBatch);
      const id = destructionIdOf(c.batchId, 1n);
      await c.collaboration.connect(c.notary).witnessDestruction(c.batchId, id);
      await expect(c.collaboration.connect(c.regulator).witnessDestruction(c.batchId, id))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationDestructionClosed")
        .withArgs(id);
    });

    it("reverts when the proposal does not exist", async function () {
      const c = await loadFixture(proposedBatch);
      for (const id of [destructionIdOf(c.batchId, 3n), destructionIdOf(c.batchId, 0n), ethers.ZeroHash, ethers.id("x")]) {
        await expect(c.collaboration.connect(c.notary).witnessDestruction(c.batchId, id))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownDestruction")
          .withArgs(c.batchId, id);
      }
    });

    it("reverts when the proposal belongs to another batch", async function () {
      const c = await loadFixture(proposedBatch);
      const id = destructionIdOf(c.batchId, 1n);
      for (const other of [c.batch2, PRODUCT]) {
        await expect(c.collaboration.connect(c.notary).witnessDestruction(other, id))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownDestruction")
          .withArgs(other, id);
      }
    });

    it("reverts when the quarantine no longer holds the proposed quantity", async function () {
      const c = await loadFixture(quarantinedBatch);
      await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 90n);
      await c.collaboration.connect(c.maker).proposeDestruction(c.batchId, 90n);
      await c.collaboration.connect(c.notary).witnessDestruction(c.batchId, destructionIdOf(c.batchId, 1n));
      await expect(c.collaboration.connect(c.notary).witnessDestruction(c.batchId, destructionIdOf(c.batchId, 2n)))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationInsufficientQuarantine")
        .withArgs(c.batchId, 0n, 90n);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("witnessDestructionCallers", proposedBatch),
        witnessCases<QuarantineCtx>(),
        (c, s) => c.collaboration.connect(s).witnessDestruction(c.batchId, destructionIdOf(c.batchId, 1n)),
        (c) => c.collaboration,
      );
    });
  });

  describe("configureGraph", function () {
    it("replaces the graph and emits StateGraphConfigured", async function () {
      const c = await loadFixture(distributedBatch);
      expect((await c.collaboration.stateGraph()).map((s) => [...s])).to.deep.equal(DEFAULT_GRAPH.map(tuple));
      const tx = await c.collaboration.connect(c.gov).configureGraph(FOOD_GRAPH);
      await expectEvents(c.batchRegistry, tx, [["StateGraphConfigured", [FOOD_GRAPH.map(tuple)]]]);
      expect((await c.collaboration.stateGraph()).map((s) => [...s])).to.deep.equal(FOOD_GRAPH.map(tuple));
    });

    it("accepts 1 and 16 states", async function () {
      const c = await loadFixture(distributedBatch);
      const one = [stateDef("Marketed", StateKind.Plain, false, REG, 3, 0, 0)];
      await c.collaboration.connect(c.gov).configureGraph(one);
      expect((await c.collaboration.stateGraph()).map((s) => [...s])).to.deep.equal(one.map(tuple));
      const sixteen = Array.from({ length: 16 }, (_, i) =>
        stateDef(`S${i}`, StateKind.Plain, i !== 0, REG, 3, i === 0 ? 0 : bit(i - 1), 0),
      );
      await c.collaboration.connect(c.gov).configureGraph(sixteen);
      expect((await c.collaboration.stateGraph()).map((s) => [...s])).to.deep.equal(sixteen.map(tuple));
    });

    it("accepts states that do not halt before the first that does, and a graph in which none halts", async function () {
      const c = await loadFixture(distributedBatch);
      const graded = [
        stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(1), 0),
        stateDef("Watch", StateKind.Plain, false, REG | HOLD, 3, bit(0), 0),
        stateDef("Review", StateKind.Plain, false, REG, 3, bit(1), 0),
        stateDef("Hold", StateKind.Plain, true, REG | RULE, 3, bit(2), 0),
        stateDef("Withdrawal", StateKind.Recall, true, REG, 1, bit(3), 0),
      ];
      await c.collaboration.connect(c.gov).configureGraph(graded);
      expect((await c.collaboration.stateGraph()).map((s) => [...s])).to.deep.equal(graded.map(tuple));
      const open = graded.slice(0, 3);
      const tx = await c.collaboration.connect(c.gov).configureGraph(open);
      await expectEvents(c.batchRegistry, tx, [["StateGraphConfigured", [open.map(tuple)]]]);
    });

    /** FOOD_GRAPH with state `index` changed by `patch`. */
    const patched = (index: number, patch: Partial<StateDef>): StateDef[] =>
      FOOD_GRAPH.map((d, i) => (i === index ? { ...d, ...patch } : d));

    for (const [title, states, index, field] of [
      ["it has no state", [], 0, "count"],
      ["it has 17 states", Array.from({ length: 17 }, (_, i) => stateDef(`S${i}`, StateKind.Plain, false, REG, 3, 0, 0)), 17, "count"],
      ["a state has no name", patched(2, { name: name16("") }), 2, "name"],
      ["a state has no scope", patched(1, { scope: 0 }), 1, "scope"],
      ["a state has an unknown scope bit", patched(1, { scope: 4 }), 1, "scope"],
      ["a state is entered from a state outside the graph", patched(1, { from: bit(4) }), 1, "mask"],
      ["a state needs a state outside the graph", patched(3, { prerequisites: bit(15) }), 3, "mask"],
      ["a state has no actor", patched(1, { actors: 0 }), 1, "actors"],
      ["a state has an unknown actor bit", patched(1, { actors: REG | 16 }), 1, "actors"],
      ["state 0 halts", patched(0, { halts: true }), 0, "initial"],
      ["state 0 is a recall", patched(0, { kind: StateKind.Recall }), 0, "initial"],
      ["state 0 is a disposal", patched(0, { kind: StateKind.Disposal }), 0, "initial"],
      ["two states are recalls", patched(1, { kind: StateKind.Recall, actors: REG | HOLD }), 2, "recall"],
      ["the recall state does not apply to batches", patched(2, { scope: 2 }), 2, "recall"],
      ["two states are disposals", [...FOOD_GRAPH, stateDef("Incinerated", StateKind.Disposal, true, WIT, 1, bit(3), 0)], 4, "disposal"],
      ["the disposal state does not apply to batches", patched(3, { scope: 2 }), 3, "disposal"],
      [
        "a state that does not halt follows one that halts",
        [...FOOD_GRAPH, stateDef("Watch", StateKind.Plain, false, REG, 3, bit(0), 0)],
        4,
        "severity",
      ],
      ["a state after the first halting one does not halt", patched(3, { halts: false, kind: StateKind.Plain }), 3, "severity"],
      [
        "the recall state does not halt (after states that do not)",
        FOOD_GRAPH.map((d, i) => (i === Food.Hold || i === Food.Withdrawal ? { ...d, halts: false } : d)),
        2,
        "halts",
      ],
      [
        "the disposal state does not halt (after states that do not)",
        [FOOD_GRAPH[0], stateDef("Disposal", StateKind.Disposal, false, WIT, 1, bit(0), 0)],
        1,
        "halts",
      ],
      ["the recall state lets a rule act", patched(2, { actors: REG | HOLD | RULE }), 2, "rule"],
      ["the disposal state lets a rule act", patched(3, { actors: WIT | RULE }), 3, "rule"],
      ["the disposal state lets only a rule act", patched(3, { actors: RULE }), 3, "rule"],
      ["a plain state turned recall lets a rule act (before the second recall is seen)", patched(1, { kind: StateKind.Recall }), 1, "rule"],
      [
        "a second recall state lets a rule act",
        [...FOOD_GRAPH, stateDef("Seizure", StateKind.Recall, true, REG | RULE, 1, bit(2), 0)],
        4,
        "rule",
      ],
      ["the recall state lets a rule act and does not apply to batches", patched(2, { actors: REG | RULE, scope: 2 }), 2, "rule"],
      [
        "the recall state lets a rule act and does not halt (after states that do not)",
        FOOD_GRAPH.map((d, i) => (i === Food.Hold || i === Food.Withdrawal ? { ...d, halts: false, actors: REG | HOLD | RULE } : d)),
        2,
        "halts",
      ],
    ] as const) {
      it(`reverts when ${title}`, async function () {
        const c = await loadFixture(distributedBatch);
        await expect(c.collaboration.connect(c.gov).configureGraph(states as StateDef[]))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationInvalidGraph")
          .withArgs(index, field);
        expect((await c.collaboration.stateGraph()).map((s) => [...s])).to.deep.equal(DEFAULT_GRAPH.map(tuple));
      });
    }

    describe("a food graph (Marketed → Hold → Withdrawal → Disposal)", function () {
      it("holds and releases a batch by transition", async function () {
        const c = await loadFixture(foodGraph);
        const { collaboration, batchRegistry: br, batchId } = c;
        const hold = await collaboration.connect(c.maker).transition(batchId, Food.Hold, "supplier audit");
        await expectEvents(br, hold, [
          ["StateChanged", [batchId, Food.Hold, Food.Marketed, Actor.Holder, MAKER, c.maker.address, "supplier audit"]],
        ]);
        await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n))
          .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
          .withArgs(batchId, Food.Hold);
        await expect(collaboration.connect(c.maker).transition(batchId, Food.Marketed, ""))
          .to.be.revertedWithCustomError(collaboration, "CollaborationActorNotAllowed")
          .withArgs(batchId, Food.Marketed, MAKER);
        await collaboration.connect(c.regulator).transition(batchId, Food.Marketed, "audit passed");
        await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n)).to.emit(br, "Shipped");
        await expect(collaboration.connect(c.regulator).transition(batchId, Food.Withdrawal, ""))
          .to.be.revertedWithCustomError(collaboration, "CollaborationWrongKind")
          .withArgs(Food.Withdrawal, StateKind.Recall);
      });

      it("holds a batch by rule, withdraws it, takes the stock back and disposes of it under witness", async function () {
        const c = await loadFixture(foodGraph);
        const { collaboration, batchRegistry: br, quality, batchId } = c;

        // A logger's critical storage reading: the rule holds the batch.
        const reading = await quality
          .connect(c.wholesalerDevice)
          .observe(observation(batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n }));
        await expectEvents(br, reading, [
          ["Observed", [batchId, WHOLESALER, 2n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
          ["RuleFired", [batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, Food.Hold]],
          ["StateChanged", [batchId, Food.Hold, Food.Marketed, Actor.Rule, WHOLESALER, c.wholesalerDevice.address, ""]],
        ]);
        expect(await recordOf(c, batchId)).to.deep.equal([1n, 1n, 3n, 2n, 0n, 0n, 0n, 0n, 0n]);

        // Withdrawal: the graph's Recall state, by openRecall.
        const recallId = recallIdOf(batchId, 1n);
        const [opened, at] = await minedAt(collaboration.connect(c.maker).openRecall(batchId, 2, "listeria"));
        await expectEvents(br, opened, [
          ["StateChanged", [batchId, Food.Withdrawal, Food.Hold, Actor.Holder, MAKER, c.maker.address, "listeria"]],
          ["RecallOpened", [recallId, batchId, 2n, at, at + 3n * DAY, MAKER, c.maker.address]],
        ]);
        await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n))
          .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
          .withArgs(batchId, Food.Withdrawal);

        // Returns.
        for (const [signer, party, quantity] of [
          [c.wholesaler, WHOLESALER, 40n],
          [c.pharmacy, PHARMACY, 20n],
          [c.hospital, HOSPITAL, 10n],
          [c.maker, MAKER, 30n],
        ] as const) {
          const tx = await collaboration.connect(signer).returnStock(batchId, quantity);
          await expectEvents(br, tx, [["StockReturned", [recallId, batchId, party, quantity, 0n, signer.address]]]);
          await expectBalanced(c);
        }

        // Disposal: proposed by the holder, witnessed by the regulator.
        await collaboration.connect(c.maker).proposeDestruction(batchId, QUANTITY);
        const id = destructionIdOf(batchId, 1n);
        const witnessed = await collaboration.connect(c.regulator).witnessDestruction(batchId, id);
        await expectEvents(br, witnessed, [
          ["DestructionWitnessed", [id, batchId, REGULATOR, QUANTITY, c.regulator.address]],
          ["StateChanged", [batchId, Food.Disposal, Food.Withdrawal, Actor.Witness, REGULATOR, c.regulator.address, "destruction witnessed"]],
        ]);
        expect(await expectBalanced(c)).to.deep.include({ destroyed: QUANTITY, quarantined: 0n, held: 0n });
        expect(await recordOf(c, batchId)).to.deep.equal([3n, 3n, 15n, 2n, 1n, 2n, at, at + 3n * DAY, 1n]);
      });

      it("holds a product, which halts each of its batches", async function () {
        const c = await loadFixture(foodGraph);
        await c.collaboration.connect(c.regulator).transition(PRODUCT, Food.Hold, "import alert");
        expect(await recordOf(c, c.batchId)).to.deep.equal([0n, 1n, 1n, 1n, 0n, 0n, 0n, 0n, 0n]);
        await expect(c.batchRegistry.connect(c.maker).ship(c.batchId, PHARMACY, 1n))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(c.batchId, Food.Hold);
      });

      it("reverts when a transition names a state beyond the configured graph", async function () {
        const c = await loadFixture(foodGraph);
        await expect(c.collaboration.connect(c.regulator).transition(c.batchId, State.Deregistered, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownState")
          .withArgs(State.Deregistered);
      });

      it("lets a rule act only on subjects its state applies to, once its prerequisites are reached", async function () {
        const c = await loadFixture(distributedBatch);
        // Watch (1): no halt. Hold (2): batches only, and only after a Watch was reached.
        const graph = [
          stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(1) | bit(2), 0),
          stateDef("Watch", StateKind.Plain, false, REG, 3, bit(0), 0),
          stateDef("Hold", StateKind.Plain, true, REG | RULE, 1, bit(0) | bit(1), bit(1)),
        ];
        await c.collaboration.connect(c.gov).configureGraph(graph);
        const storage = observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n });
        const early = await c.quality.connect(c.wholesalerDevice).observe(storage);
        await expectEvents(c.batchRegistry, early, [
          ["Observed", [c.batchId, WHOLESALER, 2n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
          ["RuleFired", [c.batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, 2n]],
        ]);
        const product = await c.quality.connect(c.laboratory).observe(observation(PRODUCT, Point.Inspection, Result.Critical));
        await expectEvents(c.batchRegistry, product, [
          ["Observed", [PRODUCT, LABORATORY, 1n, c.laboratory.address, Point.Inspection, Result.Critical, NO_TEMPERATURE, NO_HUMIDITY]],
          ["RuleFired", [PRODUCT, 1n, RuleKind.CriticalObservation, ethers.ZeroAddress, 2n]],
        ]);
        expect((await recordOf(c, c.batchId)).slice(0, 3)).to.deep.equal([0n, 0n, 1n]);
        expect((await recordOf(c, PRODUCT)).slice(0, 3)).to.deep.equal([0n, 0n, 1n]);

        await c.collaboration.connect(c.regulator).transition(c.batchId, 1, "watch");
        // Watch does not halt: trade goes on.
        await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n)).to.emit(c.batchRegistry, "Shipped");
        const late = await c.quality.connect(c.wholesalerDevice).observe(storage);
        await expectEvents(c.batchRegistry, late, [
          ["Observed", [c.batchId, WHOLESALER, 3n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
          ["RuleFired", [c.batchId, 3n, RuleKind.CriticalObservation, ethers.ZeroAddress, 2n]],
          ["StateChanged", [c.batchId, 2n, 1n, Actor.Rule, WHOLESALER, c.wholesalerDevice.address, ""]],
        ]);
        expect((await recordOf(c, c.batchId)).slice(0, 3)).to.deep.equal([2n, 2n, 7n]);
      });

      it("reports a rule's firing without a state change when no state lets rules act", async function () {
        const c = await loadFixture(distributedBatch);
        await c.collaboration.connect(c.gov).configureGraph([
          stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(1), 0),
          stateDef("Hold", StateKind.Plain, true, REG | HOLD, 3, bit(0), 0),
        ]);
        const tx = await c.quality
          .connect(c.wholesalerDevice)
          .observe(observation(c.batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n }));
        await expectEvents(c.batchRegistry, tx, [
          ["Observed", [c.batchId, WHOLESALER, 2n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
          ["RuleFired", [c.batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, 255n]],
        ]);
        expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(0n);
      });

      it("reverts when openRecall is asked of a graph with no Recall state", async function () {
        const c = await loadFixture(noRecallGraph);
        await expect(c.collaboration.connect(c.maker).openRecall(c.batchId, 1, ""))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationNoStateOfKind")
          .withArgs(StateKind.Recall);
      });
    });

    describe("callers", function () {
      itRejectsCallers(
        callerFixture("configureGraphCallers", distributedBatch),
        notGovernorCases<Ctx>(),
        (c, s) => c.collaboration.connect(s).configureGraph(FOOD_GRAPH),
        (c) => c.collaboration,
      );
    });
  });

  describe("setRecallPeriods", function () {
    it("sets the periods and emits RecallPeriodsSet", async function () {
      const c = await loadFixture(distributedBatch);
      expect(await c.collaboration.recallPeriods()).to.deep.equal(PERIODS);
      const periods: [bigint, bigint, bigint] = [1n, 12n * 3600n, MAX_RECALL_PERIOD];
      const tx = await c.collaboration.connect(c.gov).setRecallPeriods(periods);
      await expectEvents(c.batchRegistry, tx, [["RecallPeriodsSet", [periods]]]);
      expect(await c.collaboration.recallPeriods()).to.deep.equal(periods);
    });

    for (const [title, periods, level, period] of [
      ["level I's period is zero", [0n, DAY, DAY], 1, 0n],
      ["level II's period is zero", [DAY, 0n, DAY], 2, 0n],
      ["level III's period is zero", [DAY, DAY, 0n], 3, 0n],
      ["level I's period exceeds 365 days", [MAX_RECALL_PERIOD + 1n, DAY, DAY], 1, MAX_RECALL_PERIOD + 1n],
      ["level III's period exceeds 365 days", [DAY, DAY, 2n ** 32n - 1n], 3, 2n ** 32n - 1n],
    ] as const) {
      it(`reverts when ${title}`, async function () {
        const c = await loadFixture(distributedBatch);
        await expect(c.collaboration.connect(c.gov).setRecallPeriods([periods[0], periods[1], periods[2]]))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationInvalidRecallPeriod")
          .withArgs(level, period);
        expect(await c.collaboration.recallPeriods()).to.deep.equal(PERIODS);
      });
    }

    describe("callers", function () {
      itRejectsCallers(
        callerFixture("setRecallPeriodsCallers", distributedBatch),
        notGovernorCases<Ctx>(),
        (c, s) => c.collaboration.connect(s).setRecallPeriods([DAY, DAY, DAY]),
        (c) => c.collaboration,
      );
    });
  });

  describe("subjectRecord", function () {
    it("reports a marketed batch and its product (bit 0 of reached always set)", async function () {
      const c = await loadFixture(distributedBatch);
      expect(await recordOf(c, c.batchId)).to.deep.equal([0n, 0n, 1n, 1n, 0n, 0n, 0n, 0n, 0n]);
      expect(await recordOf(c, PRODUCT)).to.deep.equal([0n, 0n, 1n, 0n, 0n, 0n, 0n, 0n, 0n]);
    });

    it("reports the more severe of the batch's and its product's states as the batch's effective state", async function () {
      const c = await loadFixture(recalledBatch);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      // Recall (2) is more severe than the product's stop (1).
      expect((await recordOf(c, c.batchId)).slice(0, 3)).to.deep.equal([2n, 2n, 7n]);
      expect((await recordOf(c, PRODUCT)).slice(0, 3)).to.deep.equal([1n, 1n, 3n]);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.Deregistered, "withdrawn");
      expect((await recordOf(c, c.batchId)).slice(0, 3)).to.deep.equal([2n, 4n, 7n]);
    });

    it("counts the product's observations", async function () {
      const c = await loadFixture(distributedBatch);
      await c.quality.connect(c.laboratory).observe(observation(PRODUCT, Point.Inspection, Result.Normal));
      await c.quality.connect(c.laboratory).observe(observation(PRODUCT, Point.Inspection, Result.Normal));
      expect((await c.collaboration.subjectRecord(PRODUCT)).observations).to.equal(2n);
    });

    it("reverts when the subject is unknown", async function () {
      const c = await loadFixture(distributedBatch);
      for (const subject of [batchIdOf(GTIN, "NO-SUCH-LOT"), productSubject(OTHER_GTIN), ethers.ZeroHash]) {
        await expect(c.collaboration.subjectRecord(subject))
          .to.be.revertedWithCustomError(c.collaboration, "CollaborationUnknownSubject")
          .withArgs(subject);
      }
    });
  });

  describe("destruction", function () {
    it("returns zeroes for an unknown id", async function () {
      const c = await loadFixture(recalledBatch);
      expect(await c.collaboration.destruction(destructionIdOf(c.batchId, 1n))).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
    });
  });

  describe("direct calls", function () {
    it("reverts every function at the engine's own address, where registry() still answers", async function () {
      const c = await loadFixture(proposedBatch);
      const engine = await collaborationEngineAt(c);
      expect(await engine.getAddress()).to.not.equal(await c.batchRegistry.getAddress());
      expect(await engine.registry()).to.equal(await c.registry.getAddress());
      expect(await c.collaboration.registry()).to.equal(await c.registry.getAddress());
      const id = destructionIdOf(c.batchId, 1n);
      for (const call of [
        () => engine.connect(c.regulator).transition(c.batchId, State.EmergencyStop, ""),
        () => engine.connect(c.regulator).openRecall(c.batchId, 1, ""),
        () => engine.connect(c.wholesaler).returnStock(c.batchId, 1n),
        () => engine.connect(c.regulator).seizeStock(c.batchId, HOSPITAL, 1n),
        () => engine.connect(c.maker).proposeDestruction(c.batchId, 1n),
        () => engine.connect(c.notary).witnessDestruction(c.batchId, id),
        () => engine.connect(c.gov).configureGraph(FOOD_GRAPH),
        () => engine.connect(c.gov).setRecallPeriods([DAY, DAY, DAY]),
        () => engine.subjectRecord(c.batchId),
        () => engine.stateGraph(),
        () => engine.recallIdOf(c.batchId),
        () => engine.outstanding(c.batchId, HOSPITAL),
        () => engine.destruction(id),
        () => engine.recallPeriods(),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(engine, "CollaborationDirectCall").withArgs();
      }
    });
  });
});

describe("BatchRegistry (collaborative states)", function () {
  describe("ship, receiveShipment, dispense, undoDispense", function () {
    it("revert for a stopped batch, while cancelShipment and rejectShipment still work", async function () {
      const c = await loadFixture(haltedWithOpenShipments);
      const { batchRegistry: br, batchId } = c;
      const toPharmacy = shipmentIdOf(batchId, WHOLESALER, 1n);
      const toHospital = shipmentIdOf(batchId, MAKER, 2n);
      await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.EmergencyStop);
      await expect(br.connect(c.pharmacy).receiveShipment(batchId, toPharmacy))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.EmergencyStop);
      await expect(br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 1n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.EmergencyStop);
      await expect(br.connect(c.pharmacy).undoDispense(c.tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.EmergencyStop);
      expect(await expectBalanced(c)).to.deep.include({ inTransit: 10n, dispensed: 1n });

      const cancel = await br.connect(c.wholesaler).cancelShipment(batchId, toPharmacy);
      await expectEvents(br, cancel, [
        ["ShipmentClosed", [toPharmacy, batchId, WHOLESALER, ShipmentStatus.Cancelled, 5n, c.wholesaler.address]],
      ]);
      const reject = await br.connect(c.hospital).rejectShipment(batchId, toHospital);
      await expectEvents(br, reject, [
        ["ShipmentClosed", [toHospital, batchId, MAKER, ShipmentStatus.Rejected, 5n, c.hospital.address]],
      ]);
      expect([await br.holding(batchId, WHOLESALER), await br.holding(batchId, MAKER)]).to.deep.equal([40n, 30n]);
      expect(await expectBalanced(c)).to.deep.include({ inTransit: 0n });
    });

    it("work again once the regulator resumes the batch", async function () {
      const c = await loadFixture(haltedWithOpenShipments);
      const { batchRegistry: br, batchId } = c;
      await c.collaboration.connect(c.regulator).transition(batchId, State.Marketed, "cleared");
      await expect(br.connect(c.pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n))).to.emit(br, "ShipmentClosed");
      await expect(br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 1n))).to.emit(br, "UnitStatusChanged");
      await expect(br.connect(c.pharmacy).undoDispense(c.tree.unit(batchId, 0n))).to.emit(br, "UnitStatusChanged");
      await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n)).to.emit(br, "Shipped");
      await expectBalanced(c);
    });

    it("still work for another batch of the same product", async function () {
      const c = await loadFixture(twoBatches);
      await c.collaboration.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "excursion");
      await expect(c.batchRegistry.connect(c.maker).ship(c.batch2, WHOLESALER, 1n)).to.emit(c.batchRegistry, "Shipped");
    });

    it("revert for every batch of a stopped product, with the product's state, until it is resumed", async function () {
      const c = await loadFixture(twoBatches);
      const { batchRegistry: br, batchId, batch2 } = c;
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      expect((await recordOf(c, batch2)).slice(0, 2)).to.deep.equal([0n, 1n]);
      await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.EmergencyStop);
      await expect(br.connect(c.maker).ship(batch2, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batch2, State.EmergencyStop);
      await expect(br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.EmergencyStop);

      await c.collaboration.connect(c.regulator).transition(PRODUCT, State.Marketed, "cleared");
      await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n)).to.emit(br, "Shipped");
      await expect(br.connect(c.maker).ship(batch2, WHOLESALER, 1n)).to.emit(br, "Shipped");
      await expect(br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 0n))).to.emit(br, "UnitStatusChanged");
    });

    it("revert with the batch's own state when it is more severe than its product's", async function () {
      const c = await loadFixture(recalledBatch);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Recall);
    });

    it("revert with Deregistered for the batches of a deregistered product, whose returns go on", async function () {
      const c = await loadFixture(recalledBatch);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      await c.collaboration.connect(c.regulator).transition(PRODUCT, State.Deregistered, "withdrawn");
      expect((await recordOf(c, c.batchId)).slice(0, 2)).to.deep.equal([BigInt(State.Recall), BigInt(State.Deregistered)]);
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Deregistered);
      await c.collaboration.connect(c.wholesaler).returnStock(c.batchId, 40n);
      expect(await expectBalanced(c)).to.deep.include({ quarantined: 40n });
    });

    it("revert with the batch's own halting state when its product is in a higher state that does not halt", async function () {
      // The batch is recalled (Recall halts) under the default graph; governance then configures
      // a graph in which every state is open, and the product's holder moves the product to its
      // highest state. The batch's own halt still holds.
      const c = await loadFixture(recalledBatch);
      await c.collaboration.connect(c.gov).configureGraph([
        stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(3), 0),
        stateDef("Watch", StateKind.Plain, false, REG, 3, 0, 0),
        stateDef("Review", StateKind.Plain, false, REG, 3, 0, 0),
        stateDef("Advisory", StateKind.Plain, false, REG | HOLD, 3, bit(0), 0),
      ]);
      await c.collaboration.connect(c.maker).transition(PRODUCT, 3, "advisory");
      expect((await recordOf(c, c.batchId)).slice(0, 2)).to.deep.equal([BigInt(State.Recall), 3n]);
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Recall);
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 0n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Recall);
    });

    it("revert with the product's halting state when the batch is in a higher state that does not halt", async function () {
      const c = await loadFixture(twoBatches);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      await c.collaboration.connect(c.gov).configureGraph([
        stateDef("Marketed", StateKind.Plain, false, REG, 3, bit(1), 0),
        stateDef("Watch", StateKind.Plain, false, REG, 3, 0, 0),
        stateDef("Advisory", StateKind.Plain, false, REG | HOLD, 3, bit(0), 0),
      ]);
      await c.collaboration.connect(c.maker).transition(c.batch2, 2, "advisory");
      expect((await recordOf(c, c.batch2)).slice(0, 2)).to.deep.equal([2n, 2n]);
      await expect(c.batchRegistry.connect(c.maker).ship(c.batch2, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batch2, State.EmergencyStop);
      // The product resumed: the batch's own state does not halt, and it trades.
      await c.collaboration.connect(c.regulator).transition(PRODUCT, 0, "cleared");
      await expect(c.batchRegistry.connect(c.maker).ship(c.batch2, WHOLESALER, 1n)).to.emit(c.batchRegistry, "Shipped");
    });

    it("revert with the higher of the two states when both halt", async function () {
      const c = await loadFixture(stoppedBatch);
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.EmergencyStop, "signal");
      await c.collaboration.connect(c.maker).transition(PRODUCT, State.Deregistered, "withdrawn");
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Deregistered);
      await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "recall");
      await expect(c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Deregistered);
    });

    it("revert with Deregistered for a marketed batch of a deregistered product", async function () {
      const c = await loadFixture(twoBatches);
      await c.collaboration.connect(c.regulator).transition(PRODUCT, State.EmergencyStop, "signal");
      await c.collaboration.connect(c.regulator).transition(PRODUCT, State.Deregistered, "withdrawn");
      expect((await recordOf(c, c.batch2)).slice(0, 2)).to.deep.equal([0n, BigInt(State.Deregistered)]);
      await expect(c.batchRegistry.connect(c.maker).ship(c.batch2, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batch2, State.Deregistered);
    });
  });

  describe("releaseBatch", function () {
    it("reverts when the batch has no normal inspection", async function () {
      const c = await loadFixture(vaccineBatch);
      const { batchRegistry: br, batchId } = c;
      await expect(br.connect(c.makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotInspected")
        .withArgs(batchId);
      await c.quality.connect(c.makerQa).observe(observation(batchId, Point.Inspection, Result.Deviation));
      await expect(br.connect(c.makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotInspected")
        .withArgs(batchId);
      await c.quality.connect(c.makerQa).observe(observation(batchId, Point.Inspection, Result.Normal));
      await expect(br.connect(c.makerQa).releaseBatch(batchId)).to.emit(br, "BatchReleased").withArgs(batchId, MAKER, c.makerQa.address);
    });

    it("reverts when a later inspection found a deviation", async function () {
      const c = await loadFixture(vaccineBatch);
      const { batchRegistry: br, batchId } = c;
      await c.quality.connect(c.makerQa).observe(observation(batchId, Point.Inspection, Result.Normal));
      await c.quality.connect(c.laboratory).observe(observation(batchId, Point.Inspection, Result.Deviation));
      await expect(br.connect(c.makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotInspected")
        .withArgs(batchId);
    });
  });
});
