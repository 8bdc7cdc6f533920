/**
 * Issue 12, attacker: colluding voters — the regulator with friends, a clique that meets a
 * stale threshold, the majority dropping the regulator's say. Each test performs the
 * attack as the voters would, asserts that nothing executes (the exact
 * GovernorNotApproved or registry refusal), and reads the views before and after.
 * Attack 14 runs on the Ignition module's DEFAULT governance parameters.
 */
import { expect } from "chai";
import type { Signer } from "ethers";

import { PartyStatus, ProposalKind, mask } from "../../sdk/enums.js";
import { VOTING_PERIOD, ethers, networkHelpers, votersConsortium } from "../helpers/fixtures.js";
import {
  type Arena,
  LABORATORY,
  LOGISTICS,
  MAKER,
  PHARMACY,
  PHARMACY2,
  REGULATOR,
  WHOLESALER,
  arena,
  governorView,
  implementationOf,
  registryView,
  voteAll,
} from "./setup.js";

const { loadFixture } = networkHelpers;
const tenVoters = votersConsortium(10);

/** The regulator of ten voters has suspended three of them (parties 2, 3, 4) on its own. */
async function threeSuspended() {
  const c = await tenVoters();
  for (const party of [2n, 3n, 4n]) await c.registry.connect(c.admins[0]).suspendParty(party);
  return c;
}

/** Logistics, pharmacy and laboratory join the four founding voters, each through governance: seven voters (threshold 5). */
async function joinThree(c: Arena): Promise<Signer[]> {
  const { governor } = c;
  const founders = [c.regulator, c.maker, c.wholesaler, c.hospital];
  const joiners = [c.logistics, c.pharmacy, c.laboratory];
  const parties = [LOGISTICS, PHARMACY, LABORATORY];
  for (let i = 0; i < 3; ++i) {
    await governor.connect(c.regulator).proposeVoter(parties[i], true);
    const id = await governor.proposalCount();
    const needed = Number(await governor.currentThreshold());
    await voteAll(c, id, [...founders, ...joiners.slice(0, i)].slice(0, needed));
  }
  return joiners;
}

/** The standard four voters; the maker proposed suspending pharmacy two (threshold 3); then three more voters joined. */
async function grownVotingSet() {
  const c = await arena();
  await c.governor.connect(c.maker).proposePartyStatus(PHARMACY2, PartyStatus.Suspended);
  const stale = await c.governor.proposalCount();
  const joiners = await joinThree(c);
  return { ...c, stale, joiners };
}

/**
 * Seven voters (threshold 5): the regulator, logistics and laboratory are honest; the maker,
 * wholesaler, hospital and the hostile pharmacy form a clique, which proposed revoking its
 * competitor pharmacy two (`target`) and approved it: 4 of 5.
 */
async function cliqueApprovedRevocation() {
  const c = await arena();
  await joinThree(c);
  await c.governor.connect(c.pharmacy).proposePartyStatus(PHARMACY2, PartyStatus.Revoked);
  const target = await c.governor.proposalCount();
  await voteAll(c, target, [c.maker, c.wholesaler, c.hospital, c.pharmacy]);
  return { ...c, target };
}

describe("Adversarial: colluding voters", function () {
  describe("attack 12: five of ten voters pass anything", function () {
    it("the regulator's own suspensions do not lower the threshold: the regulator and 4 friends (5 of 10) pass nothing", async function () {
      const c = await loadFixture(threeSuspended);
      const { registry, governor, admins } = c;
      expect([await registry.activeVoterCount(), await registry.thresholdVoterCount(), await registry.regulatorSuspendedVoterCount()]).to.deep.equal([
        7n,
        10n,
        3n,
      ]);
      expect(await governor.currentThreshold()).to.equal(7n);

      const anything = { votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: 0n };
      await governor.connect(admins[0]).proposeParameters(anything);
      const id = await governor.proposalCount();
      expect((await governor.getProposal(id)).threshold).to.equal(7n);
      for (const voter of [admins[0], admins[4], admins[5], admins[6]]) await governor.connect(voter).vote(id);
      expect(await governor.connect(admins[7]).vote.staticCall(id)).to.equal(false);
      await expect(governor.connect(admins[7]).vote(id)).not.to.emit(governor, "ProposalExecuted");
      const proposal = await governor.getProposal(id);
      expect([proposal.approvals, proposal.executed]).to.deep.equal([5n, false]);
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 5n, 7n, true);
      expect((await governor.parameters()).regulatorApprovalKinds).to.equal(mask(ProposalKind.AdmitParty));

      // The seven voters left can still reach the threshold: governance is not blocked.
      await governor.connect(admins[8]).vote(id);
      await expect(governor.connect(admins[9]).vote(id)).to.emit(governor, "ProposalExecuted").withArgs(id, "0x");
      expect((await governor.parameters()).regulatorApprovalKinds).to.equal(0n);
    });

    it("the regulator cannot suspend a fourth of ten voters on its own", async function () {
      const c = await loadFixture(threeSuspended);
      const { registry } = c;
      const before = await registryView(c);
      await expect(registry.connect(c.admins[0]).suspendParty(5n))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(5n, 3n, 3n);
      expect(await registryView(c)).to.deep.equal(before);
    });
  });

  describe("attack 13: a proposal keeps the threshold from its creation", function () {
    it("a proposal created with 4 voters (threshold 3) does not pass with 3 approvals once 7 vote", async function () {
      const c = await loadFixture(grownVotingSet);
      const { registry, governor, stale } = c;
      expect(await registry.activeVoterCount()).to.equal(7n);
      expect((await governor.getProposal(stale)).threshold).to.equal(3n);
      expect(await governor.currentThreshold()).to.equal(5n);
      await governor.connect(c.maker).vote(stale);
      await governor.connect(c.wholesaler).vote(stale);
      const before = await registryView(c);
      expect(await governor.connect(c.hospital).vote.staticCall(stale)).to.equal(false);
      await governor.connect(c.hospital).vote(stale);
      await expect(governor.connect(c.maker).execute(stale))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(stale, 3n, 5n, false);
      expect(await registryView(c)).to.deep.equal(before);
      expect((await registry.getParty(PHARMACY2)).status).to.equal(BigInt(PartyStatus.Active));
      // It passes with the threshold of the voters in force.
      await governor.connect(c.logistics).vote(stale);
      await expect(governor.connect(c.pharmacy).vote(stale)).to.emit(governor, "ProposalExecuted").withArgs(stale, "0x");
      expect((await registry.getParty(PHARMACY2)).status).to.equal(BigInt(PartyStatus.Suspended));
    });
  });

  describe("attack 13, reviewed: voters who step down take their approvals with them", function () {
    it("4 of 7 approve a revocation, two of them leave the voter set, and the 2 approvals in force cannot execute it under the lower threshold", async function () {
      const c = await loadFixture(cliqueApprovedRevocation);
      const { registry, governor, target } = c;
      expect([await registry.thresholdVoterCount(), await governor.currentThreshold()]).to.deep.equal([7n, 5n]);
      expect(await governor.approvalsInForce(target)).to.deep.equal([4n, false]);

      // Two of the clique step down as voters, each through a proposal the clique and an honest
      // voter (who sees no harm in a member stepping down) pass: n = 5, threshold 4 — the 4
      // approvals cast would now meet it.
      await governor.connect(c.maker).proposeVoter(MAKER, false);
      const first = await governor.proposalCount();
      await voteAll(c, first, [c.maker, c.wholesaler, c.hospital, c.pharmacy]);
      await expect(governor.connect(c.regulator).vote(first)).to.emit(registry, "VoterChanged").withArgs(MAKER, false, 6n);
      await governor.connect(c.wholesaler).proposeVoter(WHOLESALER, false);
      const second = await governor.proposalCount();
      await voteAll(c, second, [c.wholesaler, c.hospital, c.pharmacy, c.regulator]);
      await expect(governor.connect(c.logistics).vote(second)).to.emit(registry, "VoterChanged").withArgs(WHOLESALER, false, 5n);
      expect([await registry.thresholdVoterCount(), await governor.currentThreshold()]).to.deep.equal([5n, 4n]);

      // The revocation still shows 4 approvals cast, but only the hospital's and the pharmacy's are in force.
      expect((await governor.getProposal(target)).approvals).to.equal(4n);
      expect(await governor.approvalsInForce(target)).to.deep.equal([2n, false]);
      const before = await registryView(c);
      await expect(governor.connect(c.pharmacy).execute(target))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(target, 2n, 4n, false);
      expect(await registryView(c)).to.deep.equal(before);
      expect((await registry.getParty(PHARMACY2)).status).to.equal(BigInt(PartyStatus.Active));
      expect(await registry.isPartyActive(PHARMACY2)).to.equal(true);

      // An honest voter's approval makes 3 in force: still short of 4.
      expect(await governor.connect(c.laboratory).vote.staticCall(target)).to.equal(false);
      await expect(governor.connect(c.laboratory).vote(target)).not.to.emit(governor, "ProposalExecuted");
      expect(await governor.approvalsInForce(target)).to.deep.equal([3n, false]);
      await expect(governor.connect(c.hospital).execute(target))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(target, 3n, 4n, false);
      expect((await registry.getParty(PHARMACY2)).status).to.equal(BigInt(PartyStatus.Active));

      // Honest approvals do count: once those in force reach the threshold, the proposal passes.
      await expect(governor.connect(c.regulator).vote(target))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(PHARMACY2, PartyStatus.Active, PartyStatus.Revoked, await governor.getAddress());
      expect(await governor.approvalsInForce(target)).to.deep.equal([4n, true]);
    });

    it("the regulator cannot strike approvals out by suspending their voters on its own: they stay in n and in force", async function () {
      const c = await loadFixture(cliqueApprovedRevocation);
      const { registry, governor, target } = c;
      // Its limit for n = 7 is f = 2: the maker and the wholesaler.
      await registry.connect(c.regulator).suspendParty(MAKER);
      await registry.connect(c.regulator).suspendParty(WHOLESALER);
      expect([await registry.activeVoterCount(), await registry.thresholdVoterCount(), await governor.currentThreshold()]).to.deep.equal([
        5n,
        7n,
        5n,
      ]);
      expect(await governor.approvalsInForce(target)).to.deep.equal([4n, false]);
      // One more approval of the five active voters executes it.
      await expect(governor.connect(c.laboratory).vote(target))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(PHARMACY2, PartyStatus.Active, PartyStatus.Revoked, await governor.getAddress());
    });
  });

  describe("attack 14: the majority drops the regulator's say (deployed defaults)", function () {
    it("with the deployed defaults, the three other voters cannot suspend, revoke or unseat the regulator", async function () {
      const c = await loadFixture(arena);
      const { registry, governor } = c;
      expect((await governor.parameters()).regulatorApprovalKinds).to.equal(
        mask(ProposalKind.AdmitParty, ProposalKind.SetParameters, ProposalKind.Upgrade, ProposalKind.Call),
      );
      expect((await governor.parameters()).regulatorApprovalKinds).to.equal(450n);
      const proposals = [
        () => governor.connect(c.maker).proposePartyStatus(REGULATOR, PartyStatus.Suspended),
        () => governor.connect(c.maker).proposePartyStatus(REGULATOR, PartyStatus.Revoked),
        () => governor.connect(c.maker).proposeVoter(REGULATOR, false),
      ];
      for (const propose of proposals) {
        await propose();
        const id = await governor.proposalCount();
        expect((await governor.getProposal(id)).regulatorRequired).to.equal(true);
        const before = await registryView(c);
        await voteAll(c, id, [c.maker, c.wholesaler, c.hospital]);
        expect((await governor.getProposal(id)).executed).to.equal(false);
        await expect(governor.connect(c.maker).execute(id))
          .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
          .withArgs(id, 3n, 3n, false);
        expect(await registryView(c)).to.deep.equal(before);
      }
      const regulator = await registry.getParty(REGULATOR);
      expect([regulator.status, regulator.voter]).to.deep.equal([BigInt(PartyStatus.Active), true]);
    });

    it("with the deployed defaults, the three other voters cannot upgrade the governor, nor make a generic call, without the regulator", async function () {
      const c = await loadFixture(arena);
      const { governor, batchRegistry: br } = c;
      const captured = await ethers.deployContract("ConsortiumGovernor");
      const implementation = await implementationOf(governor);
      await governor.connect(c.maker).proposeUpgrade(await governor.getAddress(), await captured.getAddress());
      const upgrade = await governor.proposalCount();
      await governor
        .connect(c.maker)
        .proposeCall(await br.getAddress(), br.interface.encodeFunctionData("setDispenseUndoWindow", [0n]));
      const call = await governor.proposalCount();
      for (const id of [upgrade, call]) {
        expect((await governor.getProposal(id)).regulatorRequired).to.equal(true);
        await voteAll(c, id, [c.maker, c.wholesaler, c.hospital]);
      }
      const before = await governorView(c);
      for (const id of [upgrade, call]) {
        await expect(governor.connect(c.maker).execute(id))
          .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
          .withArgs(id, 3n, 3n, false);
      }
      expect(await governorView(c)).to.deep.equal(before);
      expect(await implementationOf(governor)).to.equal(implementation);
      expect(await br.dispenseUndoWindow()).to.equal(10n * 24n * 3600n);
    });
  });
});
