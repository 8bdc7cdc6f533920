/**
 * Issue 12, attacker: a hostile logistics party, and a thief holding one of its device
 * keys who submits through any relayer (attack 5, "a stranger stops your batch"). Each
 * test performs the attack as the attacker would, asserts the exact refusal (or that the
 * attack is harmless), and reads the views before and after to show that nothing changed.
 */
import { expect } from "chai";

import { ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  Actor,
  NO_HUMIDITY,
  NO_TEMPERATURE,
  Point,
  Result,
  RuleKind,
  State,
  observation,
  reading,
  signObservation,
  signReading,
} from "../helpers/quality.js";
import { expectEvents } from "../helpers/supply.js";
import { LOGISTICS, batchArena, carrierArena, ledgerView } from "./setup.js";

const { loadFixture, time } = networkHelpers;

/**
 * {@link ledgerView} `view` with the batch's observation count (in getBatch and in
 * subjectRecord) set to `count`: the view after observations that change nothing else.
 */
function withObservations(view: unknown, count: bigint): unknown {
  const v = view as { batch: unknown[]; subject: unknown[] };
  return { ...v, batch: v.batch.map((x, i) => (i === 6 ? count : x)), subject: v.subject.map((x, i) => (i === 3 ? count : x)) };
}

describe("Adversarial: a hostile logistics party and a stolen device key", function () {
  describe("attack 5: a stranger stops your batch", function () {
    it("a logistics party that never touched a batch cannot record an order, transport or storage observation on it", async function () {
      const c = await loadFixture(batchArena);
      const { quality, batchId } = c;
      expect(await c.batchRegistry.custody(batchId, LOGISTICS)).to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n]);
      const before = await ledgerView(c, batchId);
      for (const point of [Point.Order, Point.Transport, Point.Storage]) {
        await expect(quality.connect(c.logistics).observe(observation(batchId, point, Result.Critical)))
          .to.be.revertedWithCustomError(quality, "QualityEnginePointNotAllowed")
          .withArgs(batchId, point, LOGISTICS);
      }
      await expect(quality.connect(c.logistics).observeReadings(batchId, [reading(Point.Storage, 2500n)]))
        .to.be.revertedWithCustomError(quality, "QualityEnginePointNotAllowed")
        .withArgs(batchId, Point.Storage, LOGISTICS);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
    });

    it("a stolen logistics device key cannot stop a batch its party never touched, through any relayer", async function () {
      const c = await loadFixture(batchArena);
      const { quality, batchId } = c;
      const engine = await quality.getAddress();
      const deadline = BigInt(await time.latest()) + 3600n;
      const device = c.logisticsDevice;
      const before = await ledgerView(c, batchId);
      const signed = await signObservation(device, engine, observation(batchId, Point.Transport, Result.Critical), 0n, deadline);
      await expect(quality.connect(c.relayer).observeSigned([signed]))
        .to.be.revertedWithCustomError(quality, "QualityEnginePointNotAllowed")
        .withArgs(batchId, Point.Transport, LOGISTICS);
      const hot = await signReading(device, engine, batchId, reading(Point.Storage, 2500n), 0n, deadline);
      await expect(quality.connect(c.relayer).observeSignedReadings(batchId, device.address, [hot]))
        .to.be.revertedWithCustomError(quality, "QualityEnginePointNotAllowed")
        .withArgs(batchId, Point.Storage, LOGISTICS);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
      expect(await quality.nonces(device.address)).to.equal(0n);
    });

    it("a carrier holding the batch records the critical it declares, and that stops nothing", async function () {
      const c = await loadFixture(carrierArena);
      const { quality, collaboration, batchId, batchRegistry: br, tree } = c;
      const before = await collaboration.subjectRecord(batchId);
      // A declared critical with no measure, and one whose measure is within the product's 2–8 °C.
      const tx = await quality
        .connect(c.logistics)
        .observeMany([
          observation(batchId, Point.Storage, Result.Critical),
          observation(batchId, Point.Transport, Result.Critical, { temperature: 500n }),
        ]);
      await expectEvents(quality, tx, [
        ["Observed", [batchId, LOGISTICS, 2n, c.logistics.address, Point.Storage, Result.Critical, NO_TEMPERATURE, NO_HUMIDITY]],
        ["Observed", [batchId, LOGISTICS, 3n, c.logistics.address, Point.Transport, Result.Critical, 500n, NO_HUMIDITY]],
      ]);
      const after = await collaboration.subjectRecord(batchId);
      expect([after.state, after.effectiveState, after.reached]).to.deep.equal([before.state, before.effectiveState, before.reached]);
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n));
    });

    it("a stolen device key of a carrier holding the batch records a declared critical through a relayer, and that stops nothing", async function () {
      const c = await loadFixture(carrierArena);
      const { quality, collaboration, batchId } = c;
      const deadline = BigInt(await time.latest()) + 3600n;
      const signed = await signObservation(
        c.logisticsDevice,
        await quality.getAddress(),
        observation(batchId, Point.Transport, Result.Critical),
        0n,
        deadline,
      );
      const tx = await quality.connect(c.relayer).observeSigned([signed]);
      await expectEvents(quality, tx, [
        ["Observed", [batchId, LOGISTICS, 2n, c.logisticsDevice.address, Point.Transport, Result.Critical, NO_TEMPERATURE, NO_HUMIDITY]],
        ["SignedObservationsRelayed", [c.logisticsDevice.address, c.relayer.address, 0n, 1n]],
      ]);
      expect((await collaboration.subjectRecord(batchId)).effectiveState).to.equal(BigInt(State.Marketed));
    });

    it("a carrier's logger reading outside the product's limits still stops the batch (what a device measured, the chain may act on)", async function () {
      const c = await loadFixture(carrierArena);
      const { quality, collaboration, batchId } = c;
      const device = c.logisticsDevice;
      const hot = reading(Point.Storage, 1500n);
      const direct = await quality.connect(device).observeReadings(batchId, [hot]);
      await expectEvents(quality, direct, [
        ["Observed", [batchId, LOGISTICS, 2n, device.address, Point.Storage, Result.Critical, 1500n, NO_HUMIDITY]],
        ["RuleFired", [batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
        ["StateChanged", [batchId, State.EmergencyStop, State.Marketed, Actor.Rule, LOGISTICS, device.address, ""]],
      ]);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.EmergencyStop));
    });

    it("a carrier's logger reading outside the product's limits, signed and relayed by anyone, stops the batch", async function () {
      const c = await loadFixture(carrierArena);
      const { quality, collaboration, batchId } = c;
      const device = c.logisticsDevice;
      const engine = await quality.getAddress();
      const deadline = BigInt(await time.latest()) + 3600n;
      const hot = reading(Point.Transport, 1500n);
      const signed = await signReading(device, engine, batchId, hot, 0n, deadline);
      const tx = await quality.connect(c.relayer).observeSignedReadings(batchId, device.address, [signed]);
      await expectEvents(quality, tx, [
        ["Observed", [batchId, LOGISTICS, 2n, device.address, Point.Transport, Result.Critical, 1500n, NO_HUMIDITY]],
        ["RuleFired", [batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
        ["StateChanged", [batchId, State.EmergencyStop, State.Marketed, Actor.Rule, LOGISTICS, c.relayer.address, ""]],
        ["SignedObservationsRelayed", [device.address, c.relayer.address, 0n, 1n]],
      ]);
      expect((await collaboration.subjectRecord(batchId)).state).to.equal(BigInt(State.EmergencyStop));
    });

    it("a carrier's staff typing a reading outside the product's limits records it as critical, and that stops nothing", async function () {
      const c = await loadFixture(carrierArena);
      const { quality, batchId, batchRegistry: br, tree } = c;
      const before = await ledgerView(c, batchId);
      expect(withObservations(before, 1n)).to.deep.equal(before);
      const hot = reading(Point.Storage, 1500n);
      const cold = observation(batchId, Point.Transport, Result.Critical, { temperature: -2000n });
      const typed = await quality.connect(c.logistics).observeReadings(batchId, [hot]);
      await expectEvents(quality, typed, [
        ["Observed", [batchId, LOGISTICS, 2n, c.logistics.address, Point.Storage, Result.Critical, 1500n, NO_HUMIDITY]],
      ]);
      const declared = await quality.connect(c.logistics).observe(cold);
      await expectEvents(quality, declared, [
        ["Observed", [batchId, LOGISTICS, 3n, c.logistics.address, Point.Transport, Result.Critical, -2000n, NO_HUMIDITY]],
      ]);
      // Only the observation count moved (1 → 3): the batch's state, custody and units are as before.
      expect(await ledgerView(c, batchId)).to.deep.equal(withObservations(before, 3n));
      await br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n));
    });
  });
});
