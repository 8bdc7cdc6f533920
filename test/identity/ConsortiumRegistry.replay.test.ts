import { expect } from "chai";

import { Domain, LicenceKind, PartyStatus, ProposalKind, Role } from "../../sdk/enums.js";
import { compareIdentity, fetchLogs, replayIdentity } from "../../sdk/replay/identity.js";
import { DOC, LICENCE_EXPIRY, connection, ethers, standardConsortium } from "../helpers/fixtures.js";

const { networkHelpers } = connection;

/**
 * A history touching every registry event: admissions (and the reservation of their admin),
 * statuses (by the regulator alone and by governance), voters, licences, members, mirrors
 * attached and detached, and a failed push.
 */
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
  await registry.connect(others[0]).rotateMember(newParty, others[0].address, others[5].address); // primary admin rotates itself
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
  // Party 3, suspended by the regulator alone, still counts: n = 5, threshold 4.
  await passWith(governor.connect(maker).proposePartyStatus(3n, PartyStatus.Active), [maker, hospital, regulator, others[5]]);
  await passWith(governor.connect(maker).proposeVoter(newParty, false));
  await registry.connect(regulator).suspendParty(6n);
  await passWith(governor.connect(maker).proposePartyStatus(6n, PartyStatus.Revoked));
  // mirrors: one that reverts on every push (a QualityEngine code object: its registry() is this
  // registry), attached through a Call; a regulator's suspension that stays (a failed push); the detach
  const hostile = await (await ethers.deployContract("QualityEngine", [await registry.getAddress()])).getAddress();
  await passWith(governor.connect(maker).proposeCall(registry, registry.interface.encodeFunctionData("attachMirror", [hostile])));
  await registry.connect(regulator).suspendParty(4n); // counted in n from now on
  await passWith(
    governor.connect(maker).proposeCall(registry, registry.interface.encodeFunctionData("detachMirror", [hostile])),
    [maker, wholesaler, regulator],
  );
  await registry.connect(regulator).revokeLicence(2n, LicenceKind.Manufacturing); // blocks party 2 from now on
  expect(await governor.proposalCount()).to.equal(6n);
  expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
  expect(await registry.queryFilter(registry.filters.MirrorPushFailed(hostile))).to.have.length(1);
  for (let id = 1n; id <= 6n; ++id) expect(await governor.proposalState(id), `proposal ${id}`).to.equal(2n);
  expect(ProposalKind.AdmitParty).to.equal(1);
  return c;
}

/**
 * Two admission proposals naming the same admin, the second under a shorter voting period
 * (its reservation ends earlier, so the first one's stands), and three more mirrors attached
 * by governance, the first of them then detached (the last takes its place).
 */
async function keptReservationAndMovedMirror() {
  const c = await standardConsortium();
  const { registry, governor, admins } = c;
  const [regulator, maker, wholesaler, hospital] = admins;
  const admin = ethers.getAddress(ethers.zeroPadValue("0x5ea1", 20));
  const clinic = { name: "Clinic", domain: Domain.Hospital, admin, voter: false, licences: [] };
  await governor.connect(maker).proposeAdmission(clinic);
  const first = (await governor.getProposal(1n)).expiresAt;
  await governor.connect(maker).proposeParameters({ votingPeriod: 3600n, regulatorApprovalKinds: 0n });
  for (const v of [maker, wholesaler, hospital]) await governor.connect(v).vote(2n);
  await governor.connect(maker).proposeAdmission({ ...clinic, name: "Clinic bis" });
  const second = (await governor.getProposal(3n)).expiresAt;
  expect(second < first).to.equal(true);
  const probes: string[] = [];
  for (let i = 0; i < 3; i++) {
    probes.push(await (await ethers.deployContract("MembershipMirrorProbe", [await registry.getAddress()])).getAddress());
  }
  let id = 3n;
  for (const data of [
    ...probes.map((p) => registry.interface.encodeFunctionData("attachMirror", [p])),
    registry.interface.encodeFunctionData("detachMirror", [probes[0]]),
  ]) {
    await governor.connect(maker).proposeCall(registry, data);
    id += 1n;
    for (const v of [maker, wholesaler, regulator]) await governor.connect(v).vote(id);
  }
  return { ...c, admin, first, second, probes };
}

describe("ConsortiumRegistry replay", function () {
  it("rebuilds a reservation that a later, shorter admission proposal kept, and the mirrors in the registry's order", async function () {
    const { registry, batchRegistry, admin, first, probes } = await networkHelpers.loadFixture(keptReservationAndMovedMirror);
    const logs = await fetchLogs(ethers.provider, await registry.getAddress(), 0);
    const reservations = logs.map((l) => registry.interface.parseLog(l)).filter((p) => p?.name === "AccountReserved");
    // Both proposals reserved the account; the second event carries the date in force (the first's).
    expect(reservations.map((p) => [p!.args.account, p!.args.until])).to.deep.equal([
      [admin, first],
      [admin, first],
    ]);
    const state = replayIdentity(logs);
    expect(state.reserved.get(admin.toLowerCase())).to.equal(first);
    expect(await registry.reservedUntil(admin)).to.equal(first);
    // The detach moved the last mirror into the detached one's place.
    expect(state.mirrors).to.deep.equal([await batchRegistry.getAddress(), probes[2], probes[1]]);
    expect(state.mirrors).to.deep.equal(await registry.mirrors());
    expect(await compareIdentity(state, registry)).to.deep.equal([]);
  });

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
    // Party 4 stays suspended by the regulator alone: n = 3 active + 1.
    expect(await compareIdentity(state, registry)).to.deep.equal([
      { entity: "registry", field: "activeVoterCount", replayed: "2", view: "3" },
      { entity: "registry", field: "suspendedVoterCount", replayed: "2", view: "1" },
      { entity: "registry", field: "thresholdVoterCount", replayed: "3", view: "4" },
      { entity: "party 3", field: "status", replayed: String(PartyStatus.Suspended), view: String(PartyStatus.Active) },
      // Suspended (by governance, as far as the replay knows), it would have left n.
      { entity: "party 3", field: "countedVoter", replayed: "false", view: "true" },
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
    // The registry's own views, but two of them lie (every other view answers truthfully).
    const lying = new Proxy(registry, {
      get(target, property, receiver) {
        if (property === "mirrors") return async () => [...(await registry.mirrors()), "0x000000000000000000000000000000000000dEaD"];
        if (property === "getParty") {
          return async (id: bigint) => {
            const p = await registry.getParty(id);
            if (id !== 2n) return p;
            const { domain, status, voter, licencesValidUntil, admin, name } = p;
            return { domain, status, voter, licencesValidUntil, revokedLicences: 0n, admin, name };
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const attached = (await registry.mirrors()).join(",");
    expect(await compareIdentity(state, lying)).to.deep.equal([
      { entity: "registry", field: "mirrors", replayed: attached, view: `${attached},0x000000000000000000000000000000000000dEaD` },
      { entity: "party 2", field: "revokedLicences", replayed: "1", view: "0" },
    ]);
  });
});
