/**
 * Issue 12, attacker: a hostile party admin — a secondary admin taking its party over
 * (attack 16), an admin burning the account a pending admission names (attack 17). Each
 * test performs the attack as the admin would, asserts the exact refusal, and reads the
 * registry's views before and after.
 */
import { expect } from "chai";

import { Domain, LicenceKind, MemberStatus, Role } from "../../sdk/enums.js";
import { DOC, LICENCE_EXPIRY, networkHelpers } from "../helpers/fixtures.js";
import { HOSPITAL, MAKER, type Arena, arena, registryView, voteAll } from "./setup.js";

const { loadFixture } = networkHelpers;

/** The regulator proposed admitting a new wholesaler whose admin is `others[0]` (proposal 1). */
async function pendingAdmission(): Promise<Arena & { newcomer: string; id: bigint }> {
  const c = await arena();
  const newcomer = c.others[0].address;
  await c.governor.connect(c.regulator).proposeAdmission({
    name: "New Wholesaler",
    domain: Domain.Wholesaler,
    admin: newcomer,
    voter: false,
    licences: [{ kind: LicenceKind.Distribution, documentHash: DOC, issuer: 1n, expiresAt: LICENCE_EXPIRY }],
  });
  return { ...c, newcomer, id: await c.governor.proposalCount() };
}

describe("Adversarial: a hostile party admin", function () {
  describe("attack 16: a secondary admin takes over the party", function () {
    it("a secondary admin cannot rotate the primary admin away to its own key, nor remove it", async function () {
      const c = await loadFixture(arena);
      const { registry } = c;
      const accounts = [c.maker.address, c.makerAdmin2.address, c.stranger.address];
      const before = await registryView(c, accounts);
      await expect(registry.connect(c.makerAdmin2).rotateMember(MAKER, c.maker.address, c.stranger.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRotation")
        .withArgs(MAKER, c.makerAdmin2.address);
      await expect(registry.connect(c.makerAdmin2).removeMember(MAKER, c.maker.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRemoval")
        .withArgs(MAKER, c.maker.address);
      expect(await registryView(c, accounts)).to.deep.equal(before);
      expect((await registry.getParty(MAKER)).admin).to.equal(c.maker.address);
    });

    it("the primary admin's lost key is replaced by governance, not by a peer", async function () {
      const c = await loadFixture(arena);
      const { registry, governor } = c;
      const fresh = c.others[1].address;
      const data = registry.interface.encodeFunctionData("rotateMember", [MAKER, c.maker.address, fresh]);
      await governor.connect(c.makerAdmin2).proposeCall(await registry.getAddress(), data);
      const id = await governor.proposalCount();
      await voteAll(c, id, [c.makerAdmin2, c.wholesaler]);
      await expect(governor.connect(c.regulator).vote(id))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, c.maker.address, fresh, await governor.getAddress());
      expect((await registry.getParty(MAKER)).admin).to.equal(fresh);
      expect((await registry.getMember(c.maker.address)).status).to.equal(BigInt(MemberStatus.Rotated));
      const member = await registry.getMember(fresh);
      expect([member.partyId, member.role, member.status]).to.deep.equal([MAKER, BigInt(Role.Admin), BigInt(MemberStatus.Active)]);
    });
  });

  describe("attack 17: burning another party's address", function () {
    it("a party admin cannot enrol, or rotate a key to, the admin a pending admission names; the admission executes", async function () {
      const c = await loadFixture(pendingAdmission);
      const { registry, governor, newcomer, id } = c;
      const until = (await governor.getProposal(id)).expiresAt;
      expect(await registry.reservedUntil(newcomer)).to.equal(until);
      const operator = c.others[2].address;
      await registry.connect(c.hospital).addMember(HOSPITAL, operator, Role.Operator);

      const before = await registryView(c, [newcomer, operator]);
      await expect(registry.connect(c.hospital).addMember(HOSPITAL, newcomer, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(newcomer, until);
      await expect(registry.connect(c.hospital).rotateMember(HOSPITAL, operator, newcomer))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(newcomer, until);
      await expect(registry.connect(c.hospital).rotateMember(HOSPITAL, c.hospital.address, newcomer))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(newcomer, until);
      expect(await registryView(c, [newcomer, operator])).to.deep.equal(before);
      expect((await registry.getMember(newcomer)).status).to.equal(BigInt(MemberStatus.None));

      await voteAll(c, id, [c.regulator, c.maker]);
      await expect(governor.connect(c.wholesaler).vote(id))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(11n, Domain.Wholesaler, newcomer, false, "New Wholesaler");
      expect((await registry.getParty(11n)).admin).to.equal(newcomer);
    });

    it("proposing an admission reserves its admin until the proposal expires", async function () {
      const c = await loadFixture(arena);
      const { registry, governor } = c;
      const newcomer = c.others[0].address;
      const admission = {
        name: "New Pharmacy",
        domain: Domain.Pharmacy,
        admin: newcomer,
        voter: false,
        licences: [{ kind: LicenceKind.Distribution, documentHash: DOC, issuer: 1n, expiresAt: LICENCE_EXPIRY }],
      };
      const tx = await governor.connect(c.regulator).proposeAdmission(admission);
      const until = (await governor.getProposal(await governor.proposalCount())).expiresAt;
      await expect(tx).to.emit(registry, "AccountReserved").withArgs(newcomer, until);
    });
  });
});
