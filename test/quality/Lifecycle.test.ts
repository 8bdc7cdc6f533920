import { expect } from "chai";

import { PartyStatus } from "../../sdk/enums.js";
import { HOSPITAL, MAKER, NOTARY, PHARMACY, REGULATOR, WHOLESALER, ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  Actor,
  DestructionStatus,
  Point,
  QUANTITY,
  Result,
  RuleKind,
  State,
  caseIdOf,
  destructionIdOf,
  distributedBatch,
  expectCustodyConserved,
  observation,
  recallIdOf,
  signObservation,
  suspectsAt,
  vaccineBatch,
} from "../helpers/quality.js";
import { expectEvents, shipmentIdOf } from "../helpers/supply.js";

/** ISuspectProduct.WHOLE_BATCH: type(uint48).max. */
const WHOLE_BATCH = 2n ** 48n - 1n;

const { loadFixture, time } = networkHelpers;

/**
 * The vaccine story of issue 4 at the contract level: a 2–8 °C rule, a device records
 * storage at 9.5 °C, the batch stops by itself, shipping is refused, the regulator opens
 * a level I recall, holders return their stock, a notary witnesses the destruction; the
 * batch is Destroyed once every unit of it is accounted for.
 */
describe("Quality lifecycle (vaccine, 2–8 °C)", function () {
  it("stops on an excursion, recalls, takes stock back and destroys it under witness", async function () {
    const c = await loadFixture(distributedBatch);
    const { batchRegistry: br, quality, collaboration, batchId } = c;

    // A wholesaler's cold-chain logger, through a gateway (any account), reads 9.5 °C.
    const reading = observation(batchId, Point.Storage, Result.Normal, { temperature: 950n, humidity: 4000n });
    const signed = await signObservation(c.wholesalerDevice, c.engineAddress, reading, 0n, BigInt(await time.latest()) + 3600n);
    const tx = await quality.connect(c.stranger).observeSigned([signed]);
    // The batch's second observation (the first was the inspection its release needed).
    const record = await collaboration.subjectRecord(batchId);
    expect([record.state, record.effectiveState, record.observations]).to.deep.equal([
      BigInt(State.EmergencyStop),
      BigInt(State.EmergencyStop),
      2n,
    ]);
    await expectEvents(br, tx, [
      ["Observed", [batchId, WHOLESALER, 2n, c.wholesalerDevice.address, Point.Storage, Result.Critical, 950n, 4000n]],
      ["RuleFired", [batchId, 2n, RuleKind.CriticalObservation, ethers.ZeroAddress, State.EmergencyStop]],
      ["StateChanged", [batchId, State.EmergencyStop, State.Marketed, Actor.Rule, WHOLESALER, c.stranger.address, ""]],
      ["SignedObservationsRelayed", [c.wholesalerDevice.address, c.stranger.address, 0n, 1n]],
    ]);

    // Trade stops everywhere at once.
    await expect(br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n))
      .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
      .withArgs(batchId, State.EmergencyStop);

    // A device cannot recall; the regulator opens a level I recall.
    await expect(collaboration.connect(c.makerDevice).openRecall(batchId, 1, "no")).to.be.revertedWithCustomError(
      c.registry,
      "RegistryRoleNotAllowed",
    );
    const opened = await collaboration.connect(c.regulator).openRecall(batchId, 1, "storage excursion 9.5 °C");
    const openedAt = BigInt(await time.latest());
    const recallId = recallIdOf(batchId, 1n);
    expect(await collaboration.recallIdOf(batchId)).to.equal(recallId);
    await expectEvents(br, opened, [
      ["StateChanged", [batchId, State.Recall, State.EmergencyStop, Actor.Regulator, REGULATOR, c.regulator.address, "storage excursion 9.5 °C"]],
      ["RecallOpened", [recallId, batchId, 1n, openedAt, openedAt + 86400n, REGULATOR, c.regulator.address]],
    ]);

    // Destruction needs returned stock first; holders return.
    await expect(collaboration.connect(c.maker).proposeDestruction(batchId, 1n))
      .to.be.revertedWithCustomError(collaboration, "CollaborationInsufficientQuarantine")
      .withArgs(batchId, 0n, 1n);
    expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([40n, false]);
    await collaboration.connect(c.wholesaler).returnStock(batchId, 40n);
    await collaboration.connect(c.pharmacy).returnStock(batchId, 20n);
    await collaboration.connect(c.maker).returnStock(batchId, 30n);
    await time.increase(2n * 86400n);
    expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([10n, true]);
    expect(await collaboration.outstanding(batchId, WHOLESALER)).to.deep.equal([0n, false]);
    expect((await br.getBatch(batchId)).quarantined).to.equal(90n);

    // The holder proposes, a notary witnesses: 90 leave the ledger. The hospital's 10 are
    // still out, so the batch stays under recall.
    await collaboration.connect(c.maker).proposeDestruction(batchId, 90n);
    const destructionId = destructionIdOf(batchId, 1n);
    const witnessed = await collaboration.connect(c.notary).witnessDestruction(batchId, destructionId);
    await expectEvents(br, witnessed, [["DestructionWitnessed", [destructionId, batchId, NOTARY, 90n, c.notary.address]]]);
    const batch = await br.getBatch(batchId);
    expect([batch.quarantined, batch.destroyed]).to.deep.equal([0n, 90n]);
    expect((await collaboration.destruction(destructionId)).status).to.equal(DestructionStatus.Witnessed);
    expect((await collaboration.subjectRecord(batchId)).state).to.equal(State.Recall);

    // The hospital's late return is still accepted; its destruction accounts for the last
    // unit, and the batch enters Destroyed.
    await collaboration.connect(c.hospital).returnStock(batchId, 10n);
    expect(await collaboration.outstanding(batchId, HOSPITAL)).to.deep.equal([0n, false]);
    await collaboration.connect(c.maker).proposeDestruction(batchId, 10n);
    const second = await collaboration.connect(c.regulator).witnessDestruction(batchId, destructionIdOf(batchId, 2n));
    await expectEvents(br, second, [
      ["DestructionWitnessed", [destructionIdOf(batchId, 2n), batchId, REGULATOR, 10n, c.regulator.address]],
      ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, REGULATOR, c.regulator.address, "destruction witnessed"]],
    ]);
    const end = await br.getBatch(batchId);
    expect([end.destroyed, end.quarantined, end.quantity]).to.deep.equal([QUANTITY, 0n, QUANTITY]);
    expect((await collaboration.subjectRecord(batchId)).state).to.equal(State.Destroyed);
  });

  it("takes back the stock of a holder revoked during the recall by seizure, in transit and in a case too", async function () {
    const c = await loadFixture(distributedBatch);
    const { batchRegistry: br, collaboration, batchId } = c;
    const suspects = await suspectsAt(c);
    // Before the stop: the pharmacy suspects 5 of its boxes; the wholesaler ships 10 to it.
    await suspects.connect(c.pharmacy).reportSuspect(batchId, WHOLE_BATCH, 5n, ethers.id("seal photo"), "seal damaged");
    await br.connect(c.wholesaler).ship(batchId, PHARMACY, 10n);
    await collaboration.connect(c.regulator).transition(batchId, State.EmergencyStop, "potency loss");
    await collaboration.connect(c.regulator).openRecall(batchId, 1, "potency loss");
    // Every unit out is someone's outstanding: held, in transit from it, in its case.
    const outstanding = async () =>
      Promise.all([MAKER, WHOLESALER, HOSPITAL, PHARMACY].map(async (p) => (await collaboration.outstanding(batchId, p))[0]));
    expect(await outstanding()).to.deep.equal([30n, 40n, 10n, 20n]);

    // The hospital is revoked: it can no longer return its stock; the regulator seizes it.
    await c.registry.connect(c.gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked);
    await expect(collaboration.connect(c.hospital).returnStock(batchId, 10n))
      .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
      .withArgs(HOSPITAL, PartyStatus.Revoked);
    const seized = await collaboration.connect(c.regulator).seizeStock(batchId, HOSPITAL, 10n);
    await expectEvents(br, seized, [
      ["StockSeized", [recallIdOf(batchId, 1n), batchId, HOSPITAL, 10n, 0n, REGULATOR, c.regulator.address]],
    ]);

    // The others return; the open shipment comes back to its sender; the case is cleared by the regulator.
    await collaboration.connect(c.maker).returnStock(batchId, 30n);
    await br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));
    await collaboration.connect(c.wholesaler).returnStock(batchId, 40n);
    await suspects.connect(c.regulator).investigateSuspect(caseIdOf(batchId, 1n));
    await suspects.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 1n), false, ethers.id("seal intact under UV"));
    await collaboration.connect(c.pharmacy).returnStock(batchId, 20n);
    expect(await outstanding()).to.deep.equal([0n, 0n, 0n, 0n]);
    await expectCustodyConserved(c, batchId);

    // One destruction of all 100, witnessed: the batch is Destroyed.
    await collaboration.connect(c.maker).proposeDestruction(batchId, QUANTITY);
    const witnessed = await collaboration.connect(c.notary).witnessDestruction(batchId, destructionIdOf(batchId, 1n));
    await expectEvents(br, witnessed, [
      ["DestructionWitnessed", [destructionIdOf(batchId, 1n), batchId, NOTARY, QUANTITY, c.notary.address]],
      ["StateChanged", [batchId, State.Destroyed, State.Recall, Actor.Witness, NOTARY, c.notary.address, "destruction witnessed"]],
    ]);
    expect(await expectCustodyConserved(c, batchId)).to.deep.include({ destroyed: QUANTITY, held: 0n, quarantined: 0n });
  });

  it("refuses use observations from a party the batch never reached, and from non-users", async function () {
    const c = await loadFixture(vaccineBatch);
    await expect(c.quality.connect(c.hospital).observe(observation(c.batchId, Point.Adverse)))
      .to.be.revertedWithCustomError(c.quality, "QualityEngineNotDelivered")
      .withArgs(c.batchId, HOSPITAL);
    await expect(c.quality.connect(c.maker).observe(observation(c.batchId, Point.Adverse)))
      .to.be.revertedWithCustomError(c.quality, "QualityEnginePointNotAllowed")
      .withArgs(c.batchId, Point.Adverse, MAKER);
  });
});
