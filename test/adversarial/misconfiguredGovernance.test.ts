/**
 * Issue 12, attacker: misconfigured or careless governance — a state graph that lets a
 * recalled batch trade (attack 10), a broken membership mirror (attack 15), parameters
 * that would drop the regulator's say over its own suspension (attack 14), a reservation
 * made by a generic call, and a generic call that cannot succeed. Each test performs the
 * misstep as the voters would (through proposals), asserts the exact refusal or that the
 * harm is contained, and reads the views before and after.
 */
import { expect } from "chai";

import { LicenceKind, PartyStatus, Role } from "../../sdk/enums.js";
import type { ICollaborationEngine } from "../../types/ethers-contracts/index.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { State, StateKind } from "../helpers/quality.js";
import { expectEvents } from "../helpers/supply.js";
import {
  MAKER,
  PHARMACY,
  PHARMACY2,
  REGULATOR,
  type Arena,
  type BatchArena,
  arena,
  batchArena,
  deployBrokenMirror,
  governorView,
  recalledArena,
  registryView,
  voteAll,
} from "./setup.js";

const { loadFixture, time } = networkHelpers;
const DAY = 24n * 3600n;

type StateDef = ICollaborationEngine.StateDefStruct;

/** The graph in force, as configureGraph takes it. */
async function graphOf(c: Arena): Promise<StateDef[]> {
  return (await c.collaboration.stateGraph()).map((s) => ({
    name: s.name,
    kind: s.kind,
    halts: s.halts,
    actors: s.actors,
    scope: s.scope,
    from: s.from,
    prerequisites: s.prerequisites,
  }));
}

/** "Relabelled": a product state after Disposal that does not halt, entered by the holder from Marketed. */
const RELABELLED: StateDef = {
  name: ethers.encodeBytes32String("Relabelled").slice(0, 34),
  kind: StateKind.Plain,
  halts: false,
  actors: 2n, // the holder
  scope: 2n, // products
  from: 1n, // from Marketed
  prerequisites: 0n,
};

/** Everything the state graph and governance say. */
async function graphView(c: Arena): Promise<unknown> {
  return { graph: (await graphOf(c)).map((s) => Object.values(s)), governance: await governorView(c) };
}

/** The selector of a membership-mirror push, from IMembershipMirror's ABI. */
async function pushSelector(name: "mirrorParty" | "mirrorMember"): Promise<string> {
  const mirror = await ethers.getContractAt("IMembershipMirror", ethers.ZeroAddress);
  const fragment = mirror.interface.getFunction(name);
  if (fragment === null) throw new Error(`no ${name} in IMembershipMirror`);
  return fragment.selector;
}

/** A mirror that reverts on every push, attached by governance (the regulator approved the Call). */
async function brokenMirrorArena(): Promise<BatchArena & { mirror: string }> {
  const c = await batchArena();
  const { registry, governor } = c;
  const mirror = await deployBrokenMirror(c.stranger, await registry.getAddress());
  await governor.connect(c.maker).proposeCall(await registry.getAddress(), registry.interface.encodeFunctionData("attachMirror", [mirror]));
  await voteAll(c, await governor.proposalCount(), [c.maker, c.wholesaler, c.regulator]);
  return { ...c, mirror };
}

/** A mirror that burns all the gas it is given, attached by the governor. */
async function burningMirrorArena(): Promise<BatchArena & { mirror: string }> {
  const c = await batchArena();
  const mirror = await deployBrokenMirror(c.stranger, await c.registry.getAddress(), true);
  await c.registry.connect(c.gov).attachMirror(mirror);
  return { ...c, mirror };
}

describe("Adversarial: misconfigured governance", function () {
  describe("attack 10: a higher state id is assumed more severe, never checked", function () {
    it("governance cannot configure a graph in which a non-halting state follows a halting one", async function () {
      const c = await loadFixture(recalledArena);
      const { collaboration, governor, batchRegistry: br } = c;
      const graph = [...(await graphOf(c)), RELABELLED];
      const data = collaboration.interface.encodeFunctionData("configureGraph", [graph]);
      const before = await graphView(c);
      await expect(governor.connect(c.maker).proposeCall(await br.getAddress(), data))
        .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
        .withArgs(await br.getAddress(), collaboration.interface.encodeErrorResult("CollaborationInvalidGraph", [5n, "severity"]));
      await expect(collaboration.connect(c.gov).configureGraph(graph))
        .to.be.revertedWithCustomError(collaboration, "CollaborationInvalidGraph")
        .withArgs(5n, "severity");
      expect(await graphView(c)).to.deep.equal(before);
      // The recalled batch does not trade.
      await expect(br.connect(c.wholesaler).ship(c.batchId, PHARMACY, 5n))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchId, State.Recall);
    });

    it("governance cannot configure a recall state that does not halt trade", async function () {
      const c = await loadFixture(recalledArena);
      const { collaboration } = c;
      const graph = await graphOf(c);
      graph[State.EmergencyStop] = { ...graph[State.EmergencyStop], halts: false };
      graph[State.Recall] = { ...graph[State.Recall], halts: false };
      const before = await graphView(c);
      await expect(collaboration.connect(c.gov).configureGraph(graph))
        .to.be.revertedWithCustomError(collaboration, "CollaborationInvalidGraph")
        .withArgs(State.Recall, "halts");
      expect(await graphView(c)).to.deep.equal(before);
    });
  });

  describe("attack 15: a broken mirror bricks the registry", function () {
    it("a mirror that reverts on every push cannot block the regulator's suspension, and governance detaches it", async function () {
      const c = await loadFixture(brokenMirrorArena);
      const { registry, governor, batchRegistry: br, mirror, batchId, tree } = c;
      expect(await registry.mirrors()).to.deep.equal([await br.getAddress(), mirror]);

      // The regulator's emergency power works; the failed push is recorded, the change stands.
      const tx = await registry.connect(c.regulator).suspendParty(PHARMACY2);
      await expectEvents(registry, tx, [
        ["PartyStatusChanged", [PHARMACY2, PartyStatus.Active, PartyStatus.Suspended, c.regulator.address]],
        ["MirrorPushFailed", [mirror, await pushSelector("mirrorParty"), ethers.toBeHex(PHARMACY2, 32)]],
      ]);
      expect((await registry.getParty(PHARMACY2)).status).to.equal(BigInt(PartyStatus.Suspended));
      // The healthy mirror (the batch registry) took it.
      await expect(br.connect(c.pharmacy2).dispense(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY2, PartyStatus.Suspended);
      // So does every other registry write.
      const operator = c.others[0].address;
      await expectEvents(registry, await registry.connect(c.maker).addMember(MAKER, operator, Role.Operator), [
        ["MemberAdded", [MAKER, operator, Role.Operator, c.maker.address]],
        ["MirrorPushFailed", [mirror, await pushSelector("mirrorMember"), ethers.zeroPadValue(operator, 32).toLowerCase()]],
      ]);

      // Nobody but the governor detaches a mirror.
      const before = await registryView(c);
      await expect(registry.connect(c.regulator).detachMirror(mirror))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyGovernor")
        .withArgs(c.regulator.address);
      await expect(registry.connect(c.gov).detachMirror(c.stranger.address))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownMirror")
        .withArgs(c.stranger.address);
      expect(await registryView(c)).to.deep.equal(before);

      // Governance detaches it; writes push to the healthy mirror only.
      await governor.connect(c.maker).proposeCall(await registry.getAddress(), registry.interface.encodeFunctionData("detachMirror", [mirror]));
      const id = await governor.proposalCount();
      await voteAll(c, id, [c.maker, c.wholesaler]);
      await expect(governor.connect(c.regulator).vote(id)).to.emit(registry, "MirrorDetached").withArgs(mirror, await governor.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await br.getAddress()]);
      await expectEvents(registry, await registry.connect(c.regulator).suspendParty(PHARMACY), [
        ["PartyStatusChanged", [PHARMACY, PartyStatus.Active, PartyStatus.Suspended, c.regulator.address]],
      ]);
    });

    it("a mirror that burns its gas cannot block the registry either, and a short-gassed call is refused whole", async function () {
      const c = await loadFixture(burningMirrorArena);
      const { registry, mirror } = c;
      const needed = (200_000n * 64n) / 63n + 10_000n;
      const before = await registryView(c);
      await expect(registry.connect(c.regulator).suspendParty(PHARMACY2, { gasLimit: 150_000n }))
        .to.be.revertedWithCustomError(registry, "RegistryInsufficientGas")
        .withArgs(needed);
      expect(await registryView(c)).to.deep.equal(before);
      const tx = await registry.connect(c.regulator).suspendParty(PHARMACY2, { gasLimit: 1_000_000n });
      await expectEvents(registry, tx, [
        ["PartyStatusChanged", [PHARMACY2, PartyStatus.Active, PartyStatus.Suspended, c.regulator.address]],
        ["MirrorPushFailed", [mirror, await pushSelector("mirrorParty"), ethers.toBeHex(PHARMACY2, 32)]],
      ]);
    });
  });

  describe("attack 14: parameters that drop the regulator's say", function () {
    it("no parameter change removes the regulator's approval of its own suspension", async function () {
      const c = await loadFixture(arena);
      const { registry, governor } = c;
      // Governance (the regulator among it) sets regulatorApprovalKinds to nothing.
      await governor.connect(c.maker).proposeParameters({ votingPeriod: 7n * DAY, regulatorApprovalKinds: 0n });
      await voteAll(c, await governor.proposalCount(), [c.maker, c.wholesaler, c.regulator]);
      expect((await governor.parameters()).regulatorApprovalKinds).to.equal(0n);

      await governor.connect(c.maker).proposePartyStatus(REGULATOR, PartyStatus.Suspended);
      const id = await governor.proposalCount();
      expect((await governor.getProposal(id)).regulatorRequired).to.equal(true);
      await governor.connect(c.maker).proposeVoter(REGULATOR, false);
      expect((await governor.getProposal(id + 1n)).regulatorRequired).to.equal(true);
      await voteAll(c, id, [c.maker, c.wholesaler, c.hospital]);
      await voteAll(c, id + 1n, [c.maker, c.wholesaler, c.hospital]);
      const before = await registryView(c);
      await expect(governor.connect(c.maker).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 3n, 3n, false);
      await expect(governor.connect(c.maker).execute(id + 1n))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id + 1n, 3n, 3n, false);
      expect(await registryView(c)).to.deep.equal(before);
      expect((await registry.getParty(REGULATOR)).status).to.equal(BigInt(PartyStatus.Active));
    });

    /** Governance (the regulator among it) sets regulatorApprovalKinds to nothing. */
    async function noRegulatorKinds(c: Arena): Promise<void> {
      await c.governor.connect(c.maker).proposeParameters({ votingPeriod: 7n * DAY, regulatorApprovalKinds: 0n });
      await voteAll(c, await c.governor.proposalCount(), [c.maker, c.wholesaler, c.regulator]);
    }

    it("no parameter change lets the other voters disable the regulator party with a short-lived or revoked licence", async function () {
      const c = await loadFixture(arena);
      const { registry, governor } = c;
      await noRegulatorKinds(c);
      const target = await registry.getAddress();
      const shortLived = registry.interface.encodeFunctionData("grantLicence", [
        REGULATOR,
        { kind: LicenceKind.Notarial, documentHash: ethers.id("forged"), issuer: 0n, expiresAt: BigInt(await time.latest()) + 3600n },
      ]);
      const revoke = registry.interface.encodeFunctionData("revokeLicence", [MAKER, LicenceKind.Manufacturing]);
      // The same call on another party needs no regulator (the parameters say so) …
      await governor.connect(c.maker).proposeCall(target, revoke);
      expect((await governor.getProposal(await governor.proposalCount())).regulatorRequired).to.equal(false);
      // … on the regulator party it does, whatever the parameters.
      await governor.connect(c.maker).proposeCall(target, shortLived);
      const id = await governor.proposalCount();
      expect((await governor.getProposal(id)).regulatorRequired).to.equal(true);
      await voteAll(c, id, [c.maker, c.wholesaler, c.hospital]);
      const before = await registryView(c);
      await expect(governor.connect(c.maker).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 3n, 3n, false);
      await time.increase(2n * 3600n);
      expect(await registryView(c)).to.deep.equal(before);
      // The regulator still acts: its licences were never touched.
      await expect(registry.connect(c.regulator).suspendParty(PHARMACY)).to.emit(registry, "PartyStatusChanged");
    });

    it("no parameter change lets the other voters rotate the regulator's primary admin key to their own", async function () {
      const c = await loadFixture(arena);
      const { registry, governor } = c;
      await noRegulatorKinds(c);
      const data = registry.interface.encodeFunctionData("rotateMember", [REGULATOR, c.regulator.address, c.stranger.address]);
      await governor.connect(c.maker).proposeCall(await registry.getAddress(), data);
      const id = await governor.proposalCount();
      expect((await governor.getProposal(id)).regulatorRequired).to.equal(true);
      await voteAll(c, id, [c.maker, c.wholesaler, c.hospital]);
      const before = await registryView(c);
      await expect(governor.connect(c.maker).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 3n, 3n, false);
      expect(await registryView(c)).to.deep.equal(before);
      expect((await registry.getParty(REGULATOR)).admin).to.equal(c.regulator.address);
    });
  });

  describe("also: what generic calls may do", function () {
    it("a Call that would fail is refused before anyone votes on it", async function () {
      const c = await loadFixture(arena);
      const { governor, batchRegistry: br } = c;
      const tooLong = 31n * DAY;
      const before = await governorView(c);
      await expect(governor.connect(c.maker).proposeCall(await br.getAddress(), br.interface.encodeFunctionData("setDispenseUndoWindow", [tooLong])))
        .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
        .withArgs(await br.getAddress(), br.interface.encodeErrorResult("BatchRegistryInvalidUndoWindow", [tooLong, 30n * DAY]));
      expect(await governorView(c)).to.deep.equal(before);
    });

    it("a Call cannot reserve an account (only a proposed admission does)", async function () {
      const c = await loadFixture(arena);
      const { governor, registry } = c;
      const data = registry.interface.encodeFunctionData("reserveAccount", [c.others[0].address, BigInt(await time.latest()) + 365n * DAY]);
      const before = await governorView(c);
      await expect(governor.connect(c.maker).proposeCall(await registry.getAddress(), data))
        .to.be.revertedWithCustomError(governor, "GovernorUseTypedProposal")
        .withArgs(data.slice(0, 10));
      expect(await governorView(c)).to.deep.equal(before);
      expect(await registry.reservedUntil(c.others[0].address)).to.equal(0n);
    });
  });
});
