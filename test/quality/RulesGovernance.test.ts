import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";

import { Domain, LicenceKind, ProposalKind, ProposalState, Role } from "../../sdk/enums.js";
import type { IQualityEngine, QualityRuleMock } from "../../types/ethers-contracts/index.js";
import {
  DOC,
  HOSPITAL,
  LICENCE_EXPIRY,
  MAKER,
  PHARMACY,
  REGULATOR,
  VOTING_PERIOD,
  WHOLESALER,
  ethers,
  networkHelpers,
  restoreClockAfter,
} from "../helpers/fixtures.js";
import {
  Actor,
  type BatchQualityCtx,
  GTIN,
  NO_MAX,
  NO_MAX_HUMIDITY,
  NO_MIN,
  Point,
  Result,
  RuleKind,
  DEPLOYED_GOVERNANCE,
  State,
  observation,
  vaccineBatch,
  vaccineBatchUnderDeployedGovernance,
  vaccineRules,
} from "../helpers/quality.js";
import { eventsOf, expectEvents, registerProduct } from "../helpers/supply.js";

// Rules set through the consortium's own governance: a proposal of kind Call to
// IQualityEngine.setRules at the BatchRegistry proxy, approved by the standard
// consortium's voters (regulator, maker, wholesaler, hospital: n = 4, threshold 3),
// executed by the completing vote. No impersonated governor anywhere in this file.

type Rules = IQualityEngine.RulesStruct;

const { loadFixture, time } = networkHelpers;

/** A second product of the maker, registered without rules. */
const GTIN2 = 6901234567885n;
/** A valid GTIN no fixture registers. */
const UNKNOWN_GTIN = 6901234567878n;
/** A second manufacturer, admitted by the fixture through an AdmitParty proposal. */
const MAKER2 = 9n;
const THRESHOLD = 3n;
const VOTERS = 4n;
const RULE_GAS = 100_000n;

/** QualityRuleMock.Behaviour */
const Behaviour = { Pass: 0, Stop: 1 } as const;

/** The vaccine's storage range narrowed to 2–5 °C (the rest of the vaccine rules kept). */
const NARROW = vaccineRules({ storageRange: { minTemperature: 200n, maxTemperature: 500n, maxHumidity: 65n } });

// ==== FIXTURES ====

interface Ctx extends BatchQualityCtx {
  maker2: HardhatEthersSigner;
  /** The batch registry's address: the target of every rules proposal. */
  target: string;
  governorAddress: string;
}

/**
 * The vaccine batch in production (rules 2–8 °C set once by the maker), product GTIN2
 * without rules, and a second manufacturer (party 9) admitted by a real AdmitParty
 * proposal (regulator, maker, wholesaler).
 */
async function rulesGovernance(): Promise<Ctx> {
  return governanceOver(await vaccineBatch());
}

async function governanceOver(c: BatchQualityCtx): Promise<Ctx> {
  const [maker2] = c.others.slice(8);
  await registerProduct(c.batchRegistry, c.maker, c.regulator, GTIN2, "Plain tablets", "S20260002", 0n);
  await c.governor.connect(c.regulator).proposeAdmission({
    name: "Maker Two",
    domain: Domain.Manufacturer,
    admin: maker2.address,
    voter: false,
    licences: [{ kind: LicenceKind.Manufacturing, documentHash: DOC, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY }],
  });
  const admission = await c.governor.proposalCount();
  for (const voter of [c.regulator, c.maker, c.wholesaler]) await c.governor.connect(voter).vote(admission);
  return { ...c, maker2, target: await c.batchRegistry.getAddress(), governorAddress: await c.governor.getAddress() };
}

/** {@link rulesGovernance}, deployed with the deployment's own governance parameters (DEPLOYED_GOVERNANCE). */
async function deployedGovernance(): Promise<Ctx> {
  return governanceOver(await vaccineBatchUnderDeployedGovernance());
}

/** + a QualityRuleMock deployed (Pass), not yet admitted. */
async function withRuleMock(): Promise<Ctx & { rule: QualityRuleMock; ruleAddress: string }> {
  const c = await rulesGovernance();
  const rule = (await ethers.deployContract("QualityRuleMock")) as unknown as QualityRuleMock;
  return { ...c, rule, ruleAddress: await rule.getAddress() };
}

/** The expiry tests' own fixture: first loaded inside a describe whose clock restoreClockAfter puts back. */
async function expiringProposal(): Promise<Ctx & { proposalId: bigint; expiresAt: bigint }> {
  const c = await rulesGovernance();
  const proposalId = await propose(c, c.maker, GTIN, NARROW);
  await c.governor.connect(c.maker).vote(proposalId);
  const { expiresAt } = await c.governor.getProposal(proposalId);
  return { ...c, proposalId, expiresAt };
}

// ==== HELPERS ====

function setRulesCall(c: Ctx, gtin: bigint, rules: Rules): string {
  return c.quality.interface.encodeFunctionData("setRules", [gtin, rules]);
}

/** Proposes `setRules(gtin, rules)` as a Call by `proposer`; returns the proposal id. */
async function propose(c: Ctx, proposer: HardhatEthersSigner, gtin: bigint, rules: Rules): Promise<bigint> {
  await c.governor.connect(proposer).proposeCall(c.target, setRulesCall(c, gtin, rules));
  return c.governor.proposalCount();
}

/** Approvals by the maker and the wholesaler: one short of the threshold. */
async function approveAllButOne(c: Ctx, proposalId: bigint): Promise<void> {
  await c.governor.connect(c.maker).vote(proposalId);
  await c.governor.connect(c.wholesaler).vote(proposalId);
}

/** A Rules struct as the nested tuple events and views decode to, numbers as bigints, addresses lower case. */
function rulesTuple(r: Rules): unknown[] {
  const range = (x: IQualityEngine.RangeStruct) => [x.minTemperature, x.maxTemperature, x.maxHumidity].map(BigInt);
  return [
    range(r.storageRange),
    range(r.transportRange),
    BigInt(r.stopOnCritical),
    BigInt(r.adverseCount),
    BigInt(r.adverseWindow),
    String(r.ruleContract).toLowerCase(),
    BigInt(r.ruleGas),
  ];
}

async function expectRules(c: Ctx, gtin: bigint, expected: Rules, set: boolean): Promise<void> {
  const [rules, isSet] = await c.quality.rulesOf(gtin);
  expect(rulesTuple(rules)).to.deep.equal(rulesTuple(expected));
  expect(isSet).to.equal(set);
}

/** The rules rulesOf reports for a product whose rules were never set. */
const UNSET: Rules = {
  storageRange: { minTemperature: NO_MIN, maxTemperature: NO_MAX, maxHumidity: NO_MAX_HUMIDITY },
  transportRange: { minTemperature: NO_MIN, maxTemperature: NO_MAX, maxHumidity: NO_MAX_HUMIDITY },
  stopOnCritical: 0n,
  adverseCount: 0n,
  adverseWindow: 0n,
  ruleContract: ethers.ZeroAddress,
  ruleGas: 0n,
};

/** A storage reading of the vaccine batch by the maker's logger at `centiDegrees`. */
function storageAt(c: Ctx, centiDegrees: bigint): IQualityEngine.ObservationStruct {
  return observation(c.batchId, Point.Storage, Result.Normal, { temperature: centiDegrees, humidity: 4000n });
}

/** The Observed event's result and the names of the engine events a transaction emitted. */
async function outcome(c: Ctx, tx: ContractTransactionResponse): Promise<{ result: bigint; events: string[] }> {
  const events = await eventsOf(c.batchRegistry, tx);
  const observed = events.find(([name]) => name === "Observed");
  if (observed === undefined) throw new Error("no Observed event");
  return { result: observed[1][5] as bigint, events: events.map(([name]) => name) };
}

// ==== TESTS ====

describe("Rules through governance (ConsortiumGovernor Call → IQualityEngine.setRules)", function () {
  describe("proposeCall", function () {
    it("creates a Call proposal to the batch registry's setRules, with the consortium's threshold", async function () {
      const c = await loadFixture(rulesGovernance);
      const data = setRulesCall(c, GTIN, NARROW);
      const tx = await c.governor.connect(c.maker).proposeCall(c.target, data);
      const id = await c.governor.proposalCount();
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      await expectEvents(c.governor, tx, [
        ["ProposalCreated", [id, ProposalKind.Call, MAKER, c.maker.address, c.target, data, VOTERS, THRESHOLD, false, expiresAt]],
      ]);
      expect(await c.governor.proposalState(id)).to.equal(BigInt(ProposalState.Active));
      await expectRules(c, GTIN, vaccineRules(), true);
    });

    it("reverts when the rules are invalid: the call is run and undone first, and no proposal is made", async function () {
      const c = await loadFixture(rulesGovernance);
      const before = await c.governor.proposalCount();
      const bad = vaccineRules({ storageRange: { minTemperature: 801n, maxTemperature: 800n, maxHumidity: 65n } });
      await expect(c.governor.connect(c.maker).proposeCall(c.target, setRulesCall(c, GTIN, bad)))
        .to.be.revertedWithCustomError(c.governor, "GovernorCallWouldFail")
        .withArgs(c.target, c.quality.interface.encodeErrorResult("QualityEngineInvalidRules", ["storageRange"]));
      expect(await c.governor.proposalCount()).to.equal(before);
      await expectRules(c, GTIN, vaccineRules(), true);
    });

    it("reverts when the rule contract has no code", async function () {
      const c = await loadFixture(rulesGovernance);
      const data = setRulesCall(c, GTIN, vaccineRules({ ruleContract: c.stranger.address, ruleGas: RULE_GAS }));
      await expect(c.governor.connect(c.maker).proposeCall(c.target, data))
        .to.be.revertedWithCustomError(c.governor, "GovernorCallWouldFail")
        .withArgs(c.target, c.quality.interface.encodeErrorResult("QualityEngineInvalidRules", ["ruleContract"]));
      await expectRules(c, GTIN, vaccineRules(), true);
    });

    it("reverts for an unknown product", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.governor.connect(c.maker).proposeCall(c.target, setRulesCall(c, UNKNOWN_GTIN, NARROW)))
        .to.be.revertedWithCustomError(c.governor, "GovernorCallWouldFail")
        .withArgs(c.target, c.batchRegistry.interface.encodeErrorResult("BatchRegistryUnknownProduct", [UNKNOWN_GTIN]));
    });

    it("leaves the rules as they were after the simulation of a valid call", async function () {
      const c = await loadFixture(rulesGovernance);
      const tx = await c.governor.connect(c.maker).proposeCall(c.target, setRulesCall(c, GTIN2, NARROW));
      await expectEvents(c.batchRegistry, tx, []);
      await expectRules(c, GTIN2, UNSET, false);
      // The holder may still set them once.
      await c.quality.connect(c.maker).setRules(GTIN2, vaccineRules());
      await expectRules(c, GTIN2, vaccineRules(), true);
    });

    it("reverts when a party outside the voting set proposes", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.governor.connect(c.pharmacy).proposeCall(c.target, setRulesCall(c, GTIN, NARROW)))
        .to.be.revertedWithCustomError(c.governor, "GovernorNotVoter")
        .withArgs(PHARMACY);
    });

    it("reverts when a voter's member who is not an admin proposes", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.governor.connect(c.makerQa).proposeCall(c.target, setRulesCall(c, GTIN, NARROW)))
        .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
        .withArgs(c.makerQa.address, Role.QA);
    });

    it("reverts when a non-member proposes", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.governor.connect(c.stranger).proposeCall(c.target, setRulesCall(c, GTIN, NARROW)))
        .to.be.revertedWithCustomError(c.registry, "RegistryNotMember")
        .withArgs(c.stranger.address);
    });
  });

  describe("vote", function () {
    it("executes setRules on the completing vote: rulesOf shows the new rules, RulesSet's actor is the governor", async function () {
      const c = await loadFixture(rulesGovernance);
      const id = await propose(c, c.maker, GTIN, NARROW);
      await approveAllButOne(c, id);
      await expectRules(c, GTIN, vaccineRules(), true);
      expect(await c.governor.proposalState(id)).to.equal(BigInt(ProposalState.Active));

      const tx = await c.governor.connect(c.hospital).vote(id);
      await expectEvents(c.governor, tx, [
        ["VoteCast", [id, HOSPITAL, c.hospital.address, THRESHOLD]],
        ["ProposalExecuted", [id, "0x"]],
      ]);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN, rulesTuple(NARROW), c.governorAddress]]]);
      await expectRules(c, GTIN, NARROW, true);
      expect(await c.governor.proposalState(id)).to.equal(BigInt(ProposalState.Executed));
      const proposal = await c.governor.getProposal(id);
      expect([proposal.kind, proposal.approvals, proposal.executed]).to.deep.equal([BigInt(ProposalKind.Call), THRESHOLD, true]);
    });

    it("puts the new limit in effect: 7 °C, normal under 2–8 °C, is critical under 2–5 °C and stops the batch", async function () {
      const c = await loadFixture(rulesGovernance);
      const before = await outcome(c, await c.quality.connect(c.makerDevice).observe(storageAt(c, 700n)));
      expect(before).to.deep.equal({ result: BigInt(Result.Normal), events: ["Observed"] });

      const id = await propose(c, c.maker, GTIN, NARROW);
      await approveAllButOne(c, id);
      await c.governor.connect(c.regulator).vote(id);

      const after = await outcome(c, await c.quality.connect(c.makerDevice).observe(storageAt(c, 700n)));
      expect(after).to.deep.equal({ result: BigInt(Result.Critical), events: ["Observed", "RuleFired", "StateChanged"] });
      const record = await c.collaboration.subjectRecord(c.batchId);
      expect(record.state).to.equal(BigInt(State.EmergencyStop));
      const [changed] = await c.collaboration.queryFilter(c.collaboration.filters.StateChanged(c.batchId));
      expect(changed.args.by).to.equal(BigInt(Actor.Rule));
    });

    it("sets the rules of a product its holder never set, after which the holder may not set them", async function () {
      const c = await loadFixture(rulesGovernance);
      const id = await propose(c, c.wholesaler, GTIN2, NARROW);
      await approveAllButOne(c, id);
      const tx = await c.governor.connect(c.hospital).vote(id);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN2, rulesTuple(NARROW), c.governorAddress]]]);
      await expectRules(c, GTIN2, NARROW, true);
      await expect(c.quality.connect(c.maker).setRules(GTIN2, vaccineRules()))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineRulesLocked")
        .withArgs(GTIN2);
    });

    it("admits a rule contract, which is then consulted on every observation and can stop the batch", async function () {
      const c = await loadFixture(withRuleMock);
      const rules = vaccineRules({ ruleContract: c.ruleAddress, ruleGas: RULE_GAS });
      const id = await propose(c, c.maker, GTIN, rules);
      await approveAllButOne(c, id);
      const tx = await c.governor.connect(c.hospital).vote(id);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN, rulesTuple(rules), c.governorAddress]]]);
      await expectRules(c, GTIN, rules, true);

      const pass = await outcome(c, await c.quality.connect(c.makerDevice).observe(storageAt(c, 500n)));
      expect(pass).to.deep.equal({ result: BigInt(Result.Normal), events: ["Observed"] });
      expect(await c.rule.calls()).to.equal(1n);
      await c.rule.setBehaviour(Behaviour.Stop);
      const tx2 = await c.quality.connect(c.makerDevice).observe(storageAt(c, 500n));
      const fired = (await eventsOf(c.batchRegistry, tx2)).find(([name]) => name === "RuleFired");
      expect(fired?.[1]).to.deep.equal([c.batchId, 2n, BigInt(RuleKind.Contract), c.ruleAddress.toLowerCase(), BigInt(State.EmergencyStop)]);
      expect((await c.collaboration.subjectRecord(c.batchId)).state).to.equal(BigInt(State.EmergencyStop));
    });

    it("reverts when a party approves twice", async function () {
      const c = await loadFixture(rulesGovernance);
      const id = await propose(c, c.maker, GTIN, NARROW);
      await c.governor.connect(c.maker).vote(id);
      await expect(c.governor.connect(c.maker).vote(id))
        .to.be.revertedWithCustomError(c.governor, "GovernorAlreadyVoted")
        .withArgs(id, MAKER);
    });

    it("reverts a vote on an executed proposal, and the rules are set once", async function () {
      const c = await loadFixture(rulesGovernance);
      const id = await propose(c, c.maker, GTIN, NARROW);
      await approveAllButOne(c, id);
      await c.governor.connect(c.hospital).vote(id);
      await expect(c.governor.connect(c.regulator).vote(id))
        .to.be.revertedWithCustomError(c.governor, "GovernorProposalExecuted")
        .withArgs(id);
      expect(await c.quality.queryFilter(c.quality.filters.RulesSet(GTIN))).to.have.length(2);
    });

    it("reverts when a party outside the voting set approves", async function () {
      const c = await loadFixture(rulesGovernance);
      const id = await propose(c, c.maker, GTIN, NARROW);
      await expect(c.governor.connect(c.pharmacy).vote(id))
        .to.be.revertedWithCustomError(c.governor, "GovernorNotVoter")
        .withArgs(PHARMACY);
    });

    describe("after the voting period", function () {
      restoreClockAfter();

      it("reverts a vote at expiresAt; the proposal is Expired and the rules unchanged", async function () {
        const c = await loadFixture(expiringProposal);
        await c.governor.connect(c.wholesaler).vote(c.proposalId);
        await time.setNextBlockTimestamp(c.expiresAt);
        await expect(c.governor.connect(c.hospital).vote(c.proposalId))
          .to.be.revertedWithCustomError(c.governor, "GovernorProposalExpired")
          .withArgs(c.proposalId, c.expiresAt);
        await time.increaseTo(c.expiresAt);
        expect(await c.governor.proposalState(c.proposalId)).to.equal(BigInt(ProposalState.Expired));
        await expectRules(c, GTIN, vaccineRules(), true);
      });

      it("lets a new proposal set the rules after one expired", async function () {
        const c = await loadFixture(expiringProposal);
        await time.increaseTo(c.expiresAt);
        const id = await propose(c, c.maker, GTIN, NARROW);
        await approveAllButOne(c, id);
        await c.governor.connect(c.hospital).vote(id);
        await expectRules(c, GTIN, NARROW, true);
        expect(await c.governor.proposalState(c.proposalId)).to.equal(BigInt(ProposalState.Expired));
      });
    });
  });

  describe("under the deployed governance parameters (a Call needs the regulator's approval)", function () {
    it("are those of the deployment module", async function () {
      expect(DEPLOYED_GOVERNANCE.regulatorApprovalKinds).to.equal(450n);
      const c = await loadFixture(deployedGovernance);
      const { regulatorApprovalKinds, votingPeriod } = await c.governor.parameters();
      expect([regulatorApprovalKinds, votingPeriod]).to.deep.equal([450n, VOTING_PERIOD]);
    });

    it("does not execute on the threshold's approvals without the regulator, and executes on the regulator's", async function () {
      const c = await loadFixture(deployedGovernance);
      const data = setRulesCall(c, GTIN, NARROW);
      const created = await c.governor.connect(c.maker).proposeCall(c.target, data);
      const id = await c.governor.proposalCount();
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      await expectEvents(c.governor, created, [
        ["ProposalCreated", [id, ProposalKind.Call, MAKER, c.maker.address, c.target, data, VOTERS, THRESHOLD, true, expiresAt]],
      ]);
      await approveAllButOne(c, id);
      const third = await c.governor.connect(c.hospital).vote(id);
      await expectEvents(c.governor, third, [["VoteCast", [id, HOSPITAL, c.hospital.address, THRESHOLD]]]);
      await expectRules(c, GTIN, vaccineRules(), true);
      expect(await c.governor.proposalState(id)).to.equal(BigInt(ProposalState.Active));
      await expect(c.governor.connect(c.maker).execute(id))
        .to.be.revertedWithCustomError(c.governor, "GovernorNotApproved")
        .withArgs(id, THRESHOLD, THRESHOLD, false);

      const tx = await c.governor.connect(c.regulator).vote(id);
      await expectEvents(c.governor, tx, [
        ["VoteCast", [id, REGULATOR, c.regulator.address, THRESHOLD + 1n]],
        ["ProposalExecuted", [id, "0x"]],
      ]);
      await expectEvents(c.batchRegistry, tx, [["RulesSet", [GTIN, rulesTuple(NARROW), c.governorAddress]]]);
      await expectRules(c, GTIN, NARROW, true);
    });

    it("executes on the threshold's approval when the regulator approved first", async function () {
      const c = await loadFixture(deployedGovernance);
      const id = await propose(c, c.maker, GTIN2, NARROW);
      await c.governor.connect(c.regulator).vote(id);
      await c.governor.connect(c.maker).vote(id);
      const tx = await c.governor.connect(c.wholesaler).vote(id);
      await expectEvents(c.governor, tx, [
        ["VoteCast", [id, WHOLESALER, c.wholesaler.address, THRESHOLD]],
        ["ProposalExecuted", [id, "0x"]],
      ]);
      await expectRules(c, GTIN2, NARROW, true);
    });
  });

  describe("setRules by the holder (no governor)", function () {
    it("reverts when the holder sets its rules a second time", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.quality.connect(c.maker).setRules(GTIN, NARROW))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineRulesLocked")
        .withArgs(GTIN);
    });

    it("reverts when the holder sets them again after governance changed them", async function () {
      const c = await loadFixture(rulesGovernance);
      const id = await propose(c, c.maker, GTIN, NARROW);
      await approveAllButOne(c, id);
      await c.governor.connect(c.hospital).vote(id);
      await expect(c.quality.connect(c.maker).setRules(GTIN, vaccineRules()))
        .to.be.revertedWithCustomError(c.quality, "QualityEngineRulesLocked")
        .withArgs(GTIN);
      await expectRules(c, GTIN, NARROW, true);
    });

    it("reverts when the holder names a rule contract, even the first time", async function () {
      const c = await loadFixture(withRuleMock);
      await expect(c.quality.connect(c.maker).setRules(GTIN2, vaccineRules({ ruleContract: c.ruleAddress, ruleGas: RULE_GAS })))
        .to.be.revertedWithCustomError(c.collaboration, "CollaborationOnlyGovernor")
        .withArgs(c.maker.address);
      await expectRules(c, GTIN2, UNSET, false);
    });

    it("reverts when another manufacturer sets the rules", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.quality.connect(c.maker2).setRules(GTIN2, NARROW))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN2, MAKER2);
      await expectRules(c, GTIN2, UNSET, false);
    });

    it("reverts when a voter that is not a manufacturer sets the rules directly", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.quality.connect(c.wholesaler).setRules(GTIN2, NARROW))
        .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
        .withArgs(WHOLESALER, Domain.Wholesaler);
    });

    it("reverts when a non-member sets the rules", async function () {
      const c = await loadFixture(rulesGovernance);
      await expect(c.quality.connect(c.stranger).setRules(GTIN2, NARROW))
        .to.be.revertedWithCustomError(c.registry, "RegistryNotMember")
        .withArgs(c.stranger.address);
    });
  });
});
