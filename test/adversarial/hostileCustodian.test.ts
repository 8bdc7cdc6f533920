/**
 * Issue 12, attacker: a hostile custodian — a pharmacy, hospital or wholesaler acting on
 * stock it holds (or does not). Each test performs the attack as that party would, asserts
 * the exact refusal (or that the attack is harmless), and reads the views before and after
 * to show that nothing changed; where the fix is a regulator's power, the victim is made
 * whole. test/adversarial/ on main before issue 12 has the same attacks succeeding.
 */
import { expect } from "chai";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import { Domain, PartyStatus, Role, UnitStatus } from "../../sdk/enums.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  Actor,
  GTIN,
  NO_HUMIDITY,
  NO_TEMPERATURE,
  Point,
  Result,
  RuleKind,
  State,
  destructionIdOf,
  observation,
  productSubject,
  reading,
  recallIdOf,
  signObservation,
  signReading,
} from "../helpers/quality.js";
import { ShipmentStatus, expectConserved, expectEvents, ledgerOf, shipmentIdOf } from "../helpers/supply.js";
import {
  HOSPITAL,
  MAKER,
  NOTARY,
  PHARMACY,
  PHARMACY2,
  REGULATOR,
  WHOLESALER,
  type BatchArena,
  batchArena,
  ledgerView,
  recalledArena,
} from "./setup.js";

const { loadFixture, time } = networkHelpers;

/** +99 °C, in hundredths of a degree: far outside the vaccine's 2–8 °C. */
const HOT = 9900n;

interface LoggerArena extends BatchArena {
  /** The pharmacy's cold-chain logger: a Device member of the pharmacy (which holds one box). */
  pharmacyLogger: HardhatEthersSigner;
  /** An operator of the maker, the product's holder. */
  makerOperator: HardhatEthersSigner;
}

/** + a device member of the pharmacy (its logger) and an operator of the maker. */
async function loggerArena(): Promise<LoggerArena> {
  const c = await batchArena();
  const [pharmacyLogger, makerOperator] = c.others;
  await c.registry.connect(c.pharmacy).addMember(PHARMACY, pharmacyLogger.address, Role.Device);
  await c.registry.connect(c.maker).addMember(MAKER, makerOperator.address, Role.Operator);
  return { ...c, pharmacyLogger, makerOperator };
}

/**
 * {@link ledgerView} `view` with the batch's observation count (in getBatch and in
 * subjectRecord) set to `count`: the view after observations that change nothing else.
 */
function withObservations(view: unknown, count: bigint): unknown {
  const v = view as { batch: unknown[]; subject: unknown[] };
  return { ...v, batch: v.batch.map((x, i) => (i === 6 ? count : x)), subject: v.subject.map((x, i) => (i === 3 ? count : x)) };
}

/** The pharmacy (one box) has locked unit 0, the only unit its stock covers. */
async function oneLockArena(): Promise<BatchArena> {
  const c = await batchArena();
  await c.batchRegistry.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, 0n), UnitStatus.Locked);
  return c;
}

describe("Adversarial: a hostile custodian", function () {
  describe("attack 1: one box locks a whole batch", function () {
    it("a pharmacy with one box cannot lock a competitor's units beyond that box", async function () {
      const c = await loadFixture(batchArena);
      const { batchRegistry: br, batchId, tree } = c;
      expect((await br.custody(batchId, PHARMACY)).held).to.equal(1n);
      // Its one box covers one lock: the unit it names is set aside from its own stock.
      await expect(br.connect(c.pharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked))
        .to.emit(br, "UnitStatusChanged")
        .withArgs(batchId, 0n, PHARMACY, tree.hashOf(0n), UnitStatus.Active, UnitStatus.Locked, c.pharmacy.address);
      expect((await br.custody(batchId, PHARMACY)).locked).to.equal(1n);

      const before = await ledgerView(c, batchId);
      for (let i = 1n; i < tree.count; ++i) {
        await expect(br.connect(c.pharmacy).decommission(tree.unit(batchId, i), UnitStatus.Locked))
          .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
          .withArgs(batchId, PHARMACY, 0n, 1n);
      }
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
      // The competitor sells every other unit on its shelf.
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 3n));
      expect((await br.unitRecord(batchId, 3n))[0]).to.equal(BigInt(UnitStatus.Dispensed));
    });

    it("a pharmacy cannot ship, return or quarantine the box it locked, so its lock never outlives its stock", async function () {
      const c = await loadFixture(oneLockArena);
      const { batchRegistry: br, suspects, batchId } = c;
      const before = await ledgerView(c, batchId);
      await expect(br.connect(c.pharmacy).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      await expect(suspects.connect(c.pharmacy).reportSuspect(batchId, 1n, 1n, ethers.ZeroHash, "seal"))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      await expect(br.connect(c.pharmacy).dispense(c.tree.unit(batchId, 1n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
    });

    it("a competitor cannot lift the lock, but the regulator lifts it after the locking party is suspended", async function () {
      const c = await loadFixture(oneLockArena);
      const { batchRegistry: br, registry, batchId, tree } = c;
      await registry.connect(c.regulator).suspendParty(PHARMACY);
      const before = await ledgerView(c, batchId);
      await expect(br.connect(c.pharmacy).reactivate(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
      await expect(br.connect(c.pharmacy2).reactivate(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotUnitParty")
        .withArgs(batchId, 0n, PHARMACY);
      await expect(br.connect(c.pharmacy2).restoreUnit(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
        .withArgs(PHARMACY2, Domain.Pharmacy);
      await expect(br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryUnitLocked")
        .withArgs(batchId, 0n);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);

      // The victim made whole: the regulator lifts the lock, crediting the party that set it.
      const tx = await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 0n));
      await expectEvents(br, tx, [
        ["UnitStatusChanged", [batchId, 0n, REGULATOR, tree.hashOf(0n), UnitStatus.Locked, UnitStatus.Active, c.regulator.address]],
        ["UnitRestored", [batchId, 0n, PHARMACY, UnitStatus.Locked, REGULATOR, c.regulator.address]],
      ]);
      expect((await br.custody(batchId, PHARMACY)).locked).to.equal(0n);
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n));
      expect(plainRecord(await br.unitRecord(batchId, 0n))).to.deep.equal([BigInt(UnitStatus.Dispensed), PHARMACY2]);
      await expectConserved(c, batchId);
    });
  });

  describe("attack 2: acting on someone else's units", function () {
    it("a pharmacy cannot dispense more of a competitor's codes than the one box it holds, and the regulator restores the one it took", async function () {
      const c = await loadFixture(batchArena);
      const { batchRegistry: br, batchId, tree } = c;
      // The chain cannot tell whose shelf unit 4 is on: the dispense takes the pharmacy's own box.
      await br.connect(c.pharmacy).dispense(tree.unit(batchId, 4n));
      expect(plain4(await br.custody(batchId, PHARMACY))).to.deep.equal([0n, 0n, 1n, 0n]);

      const before = await ledgerView(c, batchId);
      await expect(br.connect(c.pharmacy).dispense(tree.unit(batchId, 5n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      await expect(br.connect(c.pharmacy).decommission(tree.unit(batchId, 5n), UnitStatus.Destroyed))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);

      // The one it took comes back at the competitor's counter as a clone, naming the pharmacy ...
      await expect(br.connect(c.pharmacy2).dispense(tree.unit(batchId, 4n)))
        .to.emit(br, "SuspectUnitReported")
        .withArgs(batchId, 4n, PHARMACY2, tree.hashOf(4n), UnitStatus.Dispensed, PHARMACY, 1n, c.pharmacy2.address);
      // ... and the regulator restores it: the dispense is undone in the pharmacy's books.
      const tx = await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 4n));
      await expectEvents(br, tx, [
        ["UnitStatusChanged", [batchId, 4n, REGULATOR, tree.hashOf(4n), UnitStatus.Dispensed, UnitStatus.Active, c.regulator.address]],
        ["UnitRestored", [batchId, 4n, PHARMACY, UnitStatus.Dispensed, REGULATOR, c.regulator.address]],
      ]);
      expect(plain4(await br.custody(batchId, PHARMACY))).to.deep.equal([1n, 0n, 0n, 0n]);
      expect((await br.getBatch(batchId)).dispensed).to.equal(0n);
      // The victim made whole: its genuine pack sells.
      expect(await br.connect(c.pharmacy2).dispense.staticCall(tree.unit(batchId, 4n))).to.equal(false);
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 4n));
      expect(plainRecord(await br.unitRecord(batchId, 4n))).to.deep.equal([BigInt(UnitStatus.Dispensed), PHARMACY2]);
      await expectConserved(c, batchId);
    });

    it("a custodian cannot mark more of a competitor's units destroyed or stolen than it holds, and the regulator restores them", async function () {
      const c = await loadFixture(batchArena);
      const { batchRegistry: br, batchId, tree } = c;
      // Each mark costs the marker one unit of its own stock: the pharmacy has one ...
      await br.connect(c.pharmacy).decommission(tree.unit(batchId, 5n), UnitStatus.Destroyed);
      const before = await ledgerView(c, batchId);
      await expect(br.connect(c.pharmacy).decommission(tree.unit(batchId, 6n), UnitStatus.Stolen))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
      // ... and the wholesaler pays a box of its 49 for its mark.
      await br.connect(c.wholesaler).decommission(tree.unit(batchId, 6n), UnitStatus.Stolen);
      expect((await br.custody(batchId, WHOLESALER)).held).to.equal(48n);
      expect([(await br.getBatch(batchId)).destroyed, (await br.getBatch(batchId)).lost]).to.deep.equal([1n, 1n]);

      // The regulator restores both, crediting the stock back to the parties that marked them.
      await expectEvents(br, await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 5n)), [
        ["UnitStatusChanged", [batchId, 5n, REGULATOR, tree.hashOf(5n), UnitStatus.Destroyed, UnitStatus.Active, c.regulator.address]],
        ["UnitRestored", [batchId, 5n, PHARMACY, UnitStatus.Destroyed, REGULATOR, c.regulator.address]],
      ]);
      await expectEvents(br, await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 6n)), [
        ["UnitStatusChanged", [batchId, 6n, REGULATOR, tree.hashOf(6n), UnitStatus.Stolen, UnitStatus.Active, c.regulator.address]],
        ["UnitRestored", [batchId, 6n, WHOLESALER, UnitStatus.Stolen, REGULATOR, c.regulator.address]],
      ]);
      expect([(await br.custody(batchId, PHARMACY)).held, (await br.custody(batchId, WHOLESALER)).held]).to.deep.equal([1n, 49n]);
      expect([(await br.getBatch(batchId)).destroyed, (await br.getBatch(batchId)).lost]).to.deep.equal([0n, 0n]);
      // The victim made whole: both genuine packs sell.
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 5n));
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 6n));
      expect((await br.custody(batchId, PHARMACY2)).dispensed).to.equal(2n);
      await expectConserved(c, batchId);
    });

    it("restoring an active unit is refused", async function () {
      const c = await loadFixture(batchArena);
      const { batchRegistry: br, batchId, tree } = c;
      const before = await ledgerView(c, batchId);
      await expect(br.connect(c.regulator).restoreUnit(tree.unit(batchId, 7n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidUnitTransition")
        .withArgs(batchId, 7n, UnitStatus.Active, UnitStatus.Active);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
    });
  });

  describe("attack 3: escaping a recall", function () {
    it("a holder under recall cannot write its stock off as destroyed, stolen or locked", async function () {
      const c = await loadFixture(recalledArena);
      const { batchRegistry: br, collaboration, batchId, tree } = c;
      const before = await ledgerView(c, batchId);
      for (const [i, status] of [
        [0n, UnitStatus.Destroyed],
        [1n, UnitStatus.Stolen],
        [2n, UnitStatus.Locked],
      ] as const) {
        await expect(br.connect(c.wholesaler).decommission(tree.unit(batchId, i), status))
          .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
          .withArgs(batchId, State.Recall);
      }
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
      // Its 49 are still outstanding: the way out is the return to quarantine.
      expect((await collaboration.outstanding(batchId, WHOLESALER))[0]).to.equal(49n);
    });

    it("the regulator cannot restore a destroyed unit into stock while the batch is recalled", async function () {
      const c = await loadFixture(batchArena);
      const { batchRegistry: br, collaboration, batchId, tree } = c;
      await br.connect(c.wholesaler).decommission(tree.unit(batchId, 0n), UnitStatus.Destroyed);
      await collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "excursion");
      await collaboration.connect(c.regulator).openRecall(batchId, 1, "cold chain broken");
      const before = await ledgerView(c, batchId);
      await expect(br.connect(c.regulator).restoreUnit(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.Recall);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
    });
  });

  describe("attack 4: stock in transit and in suspect cases is invisible to recalls", function () {
    it("stock on a truck keeps its sender outstanding and the batch out of Destroyed until it is back", async function () {
      const c = await loadFixture(batchArena);
      const { batchRegistry: br, collaboration, batchId } = c;
      await br.connect(c.wholesaler).ship(batchId, PHARMACY2, 5n);
      const truck = shipmentIdOf(batchId, WHOLESALER, 2n);
      await collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "excursion");
      await collaboration.connect(c.regulator).openRecall(batchId, 1, "cold chain broken");
      await collaboration.connect(c.maker).returnStock(batchId, 40n);
      await collaboration.connect(c.wholesaler).returnStock(batchId, 44n);
      await collaboration.connect(c.pharmacy).returnStock(batchId, 1n);
      await collaboration.connect(c.pharmacy2).returnStock(batchId, 10n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([5n, false]);
      expect((await ledgerOf(c, batchId)).inTransit).to.equal(5n);

      // Everything in quarantine is destroyed, witnessed — and the batch stays in Recall.
      await collaboration.connect(c.maker).proposeDestruction(batchId, 95n);
      const tx = await collaboration.connect(c.notary).witnessDestruction(batchId, destructionIdOf(batchId, 1n));
      await expectEvents(collaboration, tx, [["DestructionWitnessed", [destructionIdOf(batchId, 1n), batchId, NOTARY, 95n, c.notary.address]]]);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.Recall));
      await expectConserved(c, batchId);
      await time.increase(2n * 24n * 3600n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([5n, true]);

      // The truck cannot deliver into a recall; rejected, its stock comes back, is returned and destroyed.
      await expect(br.connect(c.pharmacy2).receiveShipment(batchId, truck))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(batchId, State.Recall);
      await br.connect(c.pharmacy2).rejectShipment(batchId, truck);
      expect((await br.getShipment(truck)).status).to.equal(BigInt(ShipmentStatus.Rejected));
      await collaboration.connect(c.wholesaler).returnStock(batchId, 5n);
      await collaboration.connect(c.maker).proposeDestruction(batchId, 5n);
      await expectEvents(collaboration, await collaboration.connect(c.notary).witnessDestruction(batchId, destructionIdOf(batchId, 2n)), [
        ["DestructionWitnessed", [destructionIdOf(batchId, 2n), batchId, NOTARY, 5n, c.notary.address]],
        ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, NOTARY, c.notary.address, "destruction witnessed"]],
      ]);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.Destroyed));
      const ledger = await expectConserved(c, batchId);
      expect([ledger.destroyed, ledger.inTransit, ledger.held]).to.deep.equal([100n, 0n, 0n]);
    });

    it("a holder that reports its own recalled stock suspect still has it outstanding", async function () {
      const c = await loadFixture(recalledArena);
      const { collaboration, suspects, batchId, batchRegistry: br } = c;
      await suspects.connect(c.wholesaler).reportSuspect(batchId, await suspects.WHOLE_BATCH(), 49n, ethers.ZeroHash, "seal damaged");
      expect((await br.custody(batchId, WHOLESALER)).suspended).to.equal(49n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([49n, false]);
      await time.increase(30n * 24n * 3600n);
      expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([49n, true]);
      await expectConserved(c, batchId);
    });

    it("a revoked party's recalled stock is seized into quarantine by the regulator, and by nobody else", async function () {
      const c = await loadFixture(recalledArena);
      const { collaboration, registry, batchId } = c;
      await registry.connect(c.gov).setPartyStatus(PHARMACY2, PartyStatus.Revoked);
      const before = await ledgerView(c, batchId);
      await expect(collaboration.connect(c.pharmacy2).returnStock(batchId, 10n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY2, PartyStatus.Revoked);
      await expect(collaboration.connect(c.wholesaler).seizeStock(batchId, PHARMACY2, 10n))
        .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
        .withArgs(WHOLESALER, Domain.Wholesaler);
      await expect(collaboration.connect(c.maker).seizeStock(batchId, PHARMACY2, 10n))
        .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
        .withArgs(MAKER, Domain.Manufacturer);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);

      // The regulator's forced transfer, recorded as such.
      await expect(collaboration.connect(c.regulator).seizeStock(batchId, PHARMACY2, 10n))
        .to.emit(collaboration, "StockSeized")
        .withArgs(recallIdOf(batchId, 1n), batchId, PHARMACY2, 10n, 0n, REGULATOR, c.regulator.address);
      expect(await collaboration.outstanding(batchId, PHARMACY2)).to.deep.equal([0n, false]);
      expect((await c.batchRegistry.getBatch(batchId)).quarantined).to.equal(10n);
      await expect(collaboration.connect(c.regulator).seizeStock(batchId, PHARMACY2, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY2, 0n, 1n);
      await expectConserved(c, batchId);
    });
  });

  describe("attack 5: one box stops the whole batch with a typed reading", function () {
    // The vaccine stops on critical storage readings. The pharmacy holds one box of the
    // batch (a linked party): it may record storage readings, but a number its people type
    // stops nothing; only a device's measure (or the holder, a laboratory, the regulator) does.
    const typedWays: [string, (c: LoggerArena) => Promise<ContractTransactionResponse>][] = [
      ["observe", (c) => c.quality.connect(c.pharmacy).observe(observation(c.batchId, Point.Storage, Result.Normal, { temperature: HOT }))],
      [
        "observeMany",
        (c) => c.quality.connect(c.pharmacy).observeMany([observation(c.batchId, Point.Storage, Result.Critical, { temperature: HOT })]),
      ],
      ["observeReadings", (c) => c.quality.connect(c.pharmacy).observeReadings(c.batchId, [reading(Point.Storage, HOT)])],
    ];
    for (const [way, send] of typedWays) {
      it(`a pharmacy holding one box types a +99 °C storage reading (${way}): recorded as critical, stops nothing`, async function () {
        const c = await loadFixture(loggerArena);
        const { batchId, batchRegistry: br, tree } = c;
        expect(await br.holding(batchId, PHARMACY)).to.equal(1n);
        const before = await ledgerView(c, batchId);
        expect(withObservations(before, 1n)).to.deep.equal(before);
        const tx = await send(c);
        await expectEvents(c.quality, tx, [
          ["Observed", [batchId, PHARMACY, 2n, c.pharmacy.address, Point.Storage, Result.Critical, HOT, NO_HUMIDITY]],
        ]);
        // Only the observation count moved: the batch stays marketed, everyone's stock as it was.
        expect(await ledgerView(c, batchId)).to.deep.equal(withObservations(before, 2n));
        await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n));
      });
    }

    type Events = [string, unknown[]][];
    const relayed = (c: LoggerArena): Events => [["SignedObservationsRelayed", [c.pharmacyLogger.address, c.relayer.address, 0n, 1n]]];
    // [how, send, the StateChanged actor, the events after the stop]
    const loggerWays: [string, (c: LoggerArena) => Promise<ContractTransactionResponse>, (c: LoggerArena) => string, (c: LoggerArena) => Events][] = [
      [
        "sent by the logger itself (observe)",
        (c) => c.quality.connect(c.pharmacyLogger).observe(observation(c.batchId, Point.Storage, Result.Normal, { temperature: HOT })),
        (c) => c.pharmacyLogger.address,
        () => [],
      ],
      [
        "sent by the logger itself (observeReadings)",
        (c) => c.quality.connect(c.pharmacyLogger).observeReadings(c.batchId, [reading(Point.Storage, HOT)]),
        (c) => c.pharmacyLogger.address,
        () => [],
      ],
      [
        "signed by the logger and relayed (observeSigned)",
        async (c) => {
          const deadline = BigInt(await time.latest()) + 3600n;
          const o = observation(c.batchId, Point.Storage, Result.Normal, { temperature: HOT });
          const signed = await signObservation(c.pharmacyLogger, await c.quality.getAddress(), o, 0n, deadline);
          return c.quality.connect(c.relayer).observeSigned([signed]);
        },
        (c) => c.relayer.address,
        relayed,
      ],
      [
        "signed by the logger and relayed (observeSignedReadings)",
        async (c) => {
          const deadline = BigInt(await time.latest()) + 3600n;
          const signed = await signReading(c.pharmacyLogger, await c.quality.getAddress(), c.batchId, reading(Point.Storage, HOT), 0n, deadline);
          return c.quality.connect(c.relayer).observeSignedReadings(c.batchId, c.pharmacyLogger.address, [signed]);
        },
        (c) => c.relayer.address,
        relayed,
      ],
    ];
    for (const [way, send, actor, trailing] of loggerWays) {
      it(`the same pharmacy's logger (a device key) reading +99 °C does stop the batch, ${way}`, async function () {
        const c = await loadFixture(loggerArena);
        const { batchId, batchRegistry: br, tree } = c;
        const tx = await send(c);
        await expectEvents(c.quality, tx, [
          ["Observed", [batchId, PHARMACY, 2n, c.pharmacyLogger.address, Point.Storage, Result.Critical, HOT, NO_HUMIDITY]],
          ["RuleFired", [batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
          ["StateChanged", [batchId, State.EmergencyStop, State.Marketed, Actor.Rule, PHARMACY, actor(c), ""]],
          ...trailing(c),
        ]);
        const record = await c.collaboration.subjectRecord(batchId);
        expect([record.state, record.effectiveState]).to.deep.equal([BigInt(State.EmergencyStop), BigInt(State.EmergencyStop)]);
        await expect(br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n)))
          .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
          .withArgs(batchId, State.EmergencyStop);
      });
    }

    it("the holder's own operator typing a +99 °C storage reading still stops the batch (the holder speaks for its product)", async function () {
      const c = await loadFixture(loggerArena);
      const { batchId } = c;
      const tx = await c.quality.connect(c.makerOperator).observeReadings(batchId, [reading(Point.Storage, HOT)]);
      await expectEvents(c.quality, tx, [
        ["Observed", [batchId, MAKER, 2n, c.makerOperator.address, Point.Storage, Result.Critical, HOT, NO_HUMIDITY]],
        ["RuleFired", [batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
        ["StateChanged", [batchId, State.EmergencyStop, State.Marketed, Actor.Rule, MAKER, c.makerOperator.address, ""]],
      ]);
      expect((await c.collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.EmergencyStop));
    });
  });

  describe("attack 6: adverse reports on products never received", function () {
    it("a hospital that never received the product cannot stop it with a product-level adverse report", async function () {
      const c = await loadFixture(batchArena);
      const { quality, batchId } = c;
      expect(await c.batchRegistry.holding(batchId, HOSPITAL)).to.equal(0n);
      const before = await ledgerView(c, batchId);
      for (const point of [Point.Adverse, Point.Efficacy]) {
        await expect(quality.connect(c.hospital).observe(observation(productSubject(GTIN), point, Result.Critical)))
          .to.be.revertedWithCustomError(quality, "QualityEnginePointNotAllowed")
          .withArgs(productSubject(GTIN), point, HOSPITAL);
      }
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
    });

    it("a pharmacy that received a batch reports on that batch, not on the product, and its declared critical stops nothing", async function () {
      const c = await loadFixture(batchArena);
      const { quality, collaboration, batchId, batchRegistry: br, tree } = c;
      const before = await ledgerView(c, batchId);
      await expect(quality.connect(c.pharmacy2).observe(observation(productSubject(GTIN), Point.Adverse, Result.Critical)))
        .to.be.revertedWithCustomError(quality, "QualityEnginePointNotAllowed")
        .withArgs(productSubject(GTIN), Point.Adverse, PHARMACY2);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
      // Recorded, as declared; no rule fires, nothing stops.
      const tx = await quality.connect(c.pharmacy2).observe(observation(batchId, Point.Adverse, Result.Critical));
      await expectEvents(quality, tx, [
        ["Observed", [batchId, PHARMACY2, 2n, c.pharmacy2.address, Point.Adverse, Result.Critical, NO_TEMPERATURE, NO_HUMIDITY]],
      ]);
      expect((await collaboration.subjectRecord(batchId)).effectiveState).to.equal(BigInt(State.Marketed));
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n));
    });
  });

  describe("attack 7: one reporter trips \"N adverse reactions\"", function () {
    it("one pharmacy with one box cannot trip the 3-adverse-reports rule alone, even with 5 reports in one observeMany", async function () {
      const c = await loadFixture(batchArena);
      const { quality, collaboration, batchRegistry: br, batchId, tree } = c;
      const reports = Array.from({ length: 5 }, () => observation(batchId, Point.Adverse, Result.Deviation));
      // Five reports recorded; no rule fires.
      const tx = await quality.connect(c.pharmacy).observeMany(reports);
      await expectEvents(
        quality,
        tx,
        [2n, 3n, 4n, 5n, 6n].map((seq) => [
          "Observed",
          [batchId, PHARMACY, seq, c.pharmacy.address, Point.Adverse, Result.Deviation, NO_TEMPERATURE, NO_HUMIDITY],
        ]),
      );
      const record = await collaboration.subjectRecord(batchId);
      expect([record.state, record.effectiveState, record.observations]).to.deep.equal([0n, 0n, 6n]);
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n));

      // Three distinct reporters still trip it.
      await br.connect(c.wholesaler).ship(batchId, HOSPITAL, 1n);
      await br.connect(c.hospital).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 2n));
      await expectEvents(quality, await quality.connect(c.pharmacy2).observe(observation(batchId, Point.Adverse, Result.Deviation)), [
        ["Observed", [batchId, PHARMACY2, 7n, c.pharmacy2.address, Point.Adverse, Result.Deviation, NO_TEMPERATURE, NO_HUMIDITY]],
      ]);
      await expect(quality.connect(c.hospital).observe(observation(batchId, Point.Adverse, Result.Deviation)))
        .to.emit(quality, "RuleFired")
        .withArgs(batchId, 8n, RuleKind.AdverseCount, ethers.ZeroAddress, State.EmergencyStop);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.EmergencyStop));
    });
  });
});

/** A unit record's status and party (its time left out). */
function plainRecord(record: readonly [bigint, bigint, bigint]): bigint[] {
  return [record[0], record[1]];
}

/** held, inTransit, dispensed, locked of a custody record. */
function plain4(custody: { held: bigint; inTransit: bigint; dispensed: bigint; locked: bigint }): bigint[] {
  return [custody.held, custody.inTransit, custody.dispensed, custody.locked];
}
