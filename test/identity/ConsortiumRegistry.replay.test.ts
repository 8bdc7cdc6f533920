import { expect } from "chai";

import { Domain, LicenceKind, PartyStatus, ProposalKind, Role } from "../../sdk/enums.js";
import { compareIdentity, fetchLogs, replayIdentity } from "../../sdk/replay/identity.js";
import { DOC, LICENCE_EXPIRY, connection, ethers, standardConsortium } from "../helpers/fixtures.js";

const { networkHelpers } = connection;

/** A history touching every registry event: admissions, statuses, voters, licences, members. */
async function busyHistory() {
  const c = await standardConsortium();
  const { registry, governor, admins, others } = c;
  const [regulator, maker, wholesaler, hospital] = admins;
  const passWith = async (proposal: Promise<unknown>, voters = [maker, wholesaler, hospital, regulator]) => {
    await proposal;
    const id = await governor.proposalCount();
    for (const v of voters) {
      if ((await governor.proposalState(id)) !== 1n) break;
      await governor.connect(v).vote(id);
    }
  };
  // admission through governance
  await passWith(
    governor.connect(maker).proposeAdmission({
      name: "New Wholesaler 新批发",
      domain: Domain.Wholesaler,
      admin: others[0].address,
      voter: true,
      licences: [{ kind: LicenceKind.GoodSupplyPractice, documentHash: DOC, issuer: 1n, expiresAt: LICENCE_EXPIRY }],
    }),
  );
  const newParty = await registry.partyCount();
  // members
  await registry.connect(others[0]).addMember(newParty, others[1].address, Role.Operator);
  await registry.connect(others[0]).addMember(newParty, others[2].address, Role.Device);
  await registry.connect(others[0]).addMember(newParty, others[3].address, Role.Admin);
  await registry.connect(others[0]).rotateMember(newParty, others[2].address, others[4].address);
  await registry.connect(others[3]).rotateMember(newParty, others[0].address, others[5].address); // primary admin rotates
  await registry.connect(others[5]).removeMember(newParty, others[1].address);
  // licences
  await registry.connect(regulator).grantLicence(newParty, {
    kind: LicenceKind.Distribution,
    documentHash: ethers.id("distribution"),
    issuer: 0n,
    expiresAt: LICENCE_EXPIRY - 1000n,
  });
  // statuses and voters
  await registry.connect(regulator).suspendParty(3n);
  await passWith(governor.connect(maker).proposePartyStatus(3n, PartyStatus.Active), [maker, hospital, regulator]);
  await passWith(governor.connect(maker).proposeVoter(newParty, false));
  await registry.connect(regulator).suspendParty(6n);
  await passWith(governor.connect(maker).proposePartyStatus(6n, PartyStatus.Revoked));
  await registry.connect(regulator).revokeLicence(2n, LicenceKind.Manufacturing); // blocks party 2 from now on
  expect(await governor.proposalCount()).to.equal(4n);
  expect(ProposalKind.AdmitParty).to.equal(1);
  return c;
}

describe("ConsortiumRegistry replay", function () {
  it("rebuilds parties, licences, members and the voter count from the logs alone", async function () {
    const { registry } = await networkHelpers.loadFixture(busyHistory);
    const logs = await fetchLogs(ethers.provider, await registry.getAddress(), 0);
    const state = replayIdentity(logs);
    expect(state.parties.size).to.equal(9);
    expect(state.members.size).to.be.greaterThan(9);
    expect(state.mirrors).to.deep.equal(await registry.mirrors());
    expect(state.mirrors).to.have.length(1);
    expect(await compareIdentity(state, registry)).to.deep.equal([]);
  });

  it("detects a replayed state that differs from the views", async function () {
    const { registry } = await networkHelpers.loadFixture(busyHistory);
    const state = replayIdentity(await fetchLogs(ethers.provider, await registry.getAddress(), 0));
    state.parties.get(3n)!.status = PartyStatus.Suspended;
    state.members.get((await registry.getParty(9n)).admin.toLowerCase())!.role = Role.Operator;
    expect(await compareIdentity(state, registry)).to.deep.equal([
      { entity: "registry", field: "activeVoterCount", replayed: "3", view: "4" },
      { entity: "registry", field: "suspendedVoterCount", replayed: "1", view: "0" },
      { entity: "party 3", field: "status", replayed: String(PartyStatus.Suspended), view: String(PartyStatus.Active) },
      {
        entity: `member ${(await registry.getParty(9n)).admin.toLowerCase()}`,
        field: "role",
        replayed: String(Role.Operator),
        view: String(Role.Admin),
      },
    ]);
  });

  it("detects views that lie", async function () {
    const { registry } = await networkHelpers.loadFixture(busyHistory);
    const state = replayIdentity(await fetchLogs(ethers.provider, await registry.getAddress(), 0));
    const lying = {
      governor: () => registry.governor(),
      mirrors: async () => [...(await registry.mirrors()), "0x000000000000000000000000000000000000dEaD"],
      partyCount: () => registry.partyCount(),
      activeVoterCount: () => registry.activeVoterCount(),
      suspendedVoterCount: () => registry.suspendedVoterCount(),
      getMember: (a: string) => registry.getMember(a),
      getLicence: (p: bigint, k: number) => registry.getLicence(p, k),
      getParty: async (id: bigint) => {
        const p = await registry.getParty(id);
        if (id !== 2n) return p;
        const { domain, status, voter, licencesValidUntil, admin, name } = p;
        return { domain, status, voter, licencesValidUntil, revokedLicences: 0n, admin, name };
      },
    };
    const attached = (await registry.mirrors()).join(",");
    expect(await compareIdentity(state, lying)).to.deep.equal([
      { entity: "registry", field: "mirrors", replayed: attached, view: `${attached},0x000000000000000000000000000000000000dEaD` },
      { entity: "party 2", field: "revokedLicences", replayed: "1", view: "0" },
    ]);
  });
});
