import { readFile } from "node:fs/promises";

import { expect } from "chai";

import MedStateModule from "../../deploy/modules/MedState.js";
import { Domain, MemberStatus, PartyStatus, ProposalKind, Role, mask } from "../../sdk/enums.js";
import { ROOT } from "../helpers/cli.js";
import { connection, ethers, standardConsortium } from "../helpers/fixtures.js";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

describe("deploy/modules/MedState (Ignition)", function () {
  it("deploys the three contracts behind ERC-1967 proxies and binds the governor", async function () {
    const { registry, governor, batchRegistry } = await connection.networkHelpers.loadFixture(standardConsortium);
    expect(await registry.partyCount()).to.equal(8n);
    expect(await registry.activeVoterCount()).to.equal(4n);
    expect(await registry.governor()).to.equal(await governor.getAddress());
    expect(await governor.registry()).to.equal(await registry.getAddress());
    expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    for (const proxy of [registry, governor, batchRegistry]) {
      const word = await ethers.provider.getStorage(await proxy.getAddress(), IMPLEMENTATION_SLOT);
      expect(await ethers.provider.getCode(ethers.getAddress(`0x${word.slice(26)}`))).to.not.equal("0x");
    }
  });

  it("attaches the batch registry as a membership mirror while the deployer is bootstrapper, then binds the governor", async function () {
    const { registry, governor, batchRegistry, deployer, admins } = await connection.networkHelpers.loadFixture(standardConsortium);
    const registryAddress = await registry.getAddress();
    expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    // In the log: the attachment (by the deployer), then the governor's binding.
    const logs = await ethers.provider.getLogs({ address: registryAddress, fromBlock: 0 });
    const order = logs
      .map((log) => registry.interface.parseLog(log))
      .filter((parsed) => parsed !== null && (parsed.name === "MirrorAttached" || parsed.name === "GovernorSet"))
      .map((parsed) => `${parsed!.name}(${parsed!.args.join(", ")})`);
    expect(order).to.deep.equal([
      `MirrorAttached(${await batchRegistry.getAddress()}, ${deployer.address})`,
      `GovernorSet(${await governor.getAddress()})`,
    ]);
    // The founders were pushed at the attachment: every party and its primary admin.
    for (let partyId = 1n; partyId <= 8n; ++partyId) {
      const party = await registry.getParty(partyId);
      const gate = await batchRegistry.mirroredParty(partyId);
      expect([gate.domain, gate.status, gate.revokedLicences, gate.licencesValidUntil]).to.deep.equal([
        party.domain,
        party.status,
        party.revokedLicences,
        party.licencesValidUntil,
      ]);
      const member = await batchRegistry.mirroredMember(admins[Number(partyId) - 1].address);
      expect([member.partyId, member.role, member.status]).to.deep.equal([partyId, BigInt(Role.Admin), BigInt(MemberStatus.Active)]);
    }
  });

  it("deploys the batch registry with its four code objects, each built for the same registry", async function () {
    const { registry, batchRegistry } = await connection.networkHelpers.loadFixture(standardConsortium);
    const [products, quality, collaboration, bulk] = await batchRegistry.modules();
    expect(new Set([products, quality, collaboration, bulk, await batchRegistry.getAddress()]).size).to.equal(5);
    expect(await batchRegistry.engine()).to.equal(quality);
    for (const [name, address] of [
      ["ProductRegistry", products],
      ["QualityEngine", quality],
      ["CollaborationEngine", collaboration],
      ["BulkCustody", bulk],
    ] as const) {
      expect(await ethers.provider.getCode(address), name).to.not.equal("0x");
      const module = await ethers.getContractAt(name, address);
      expect(await module.registry(), name).to.equal(await registry.getAddress());
    }
    // The implementation behind the proxy names the same modules.
    const word = await ethers.provider.getStorage(await batchRegistry.getAddress(), IMPLEMENTATION_SLOT);
    const implementation = await ethers.getContractAt("BatchRegistry", ethers.getAddress(`0x${word.slice(26)}`));
    expect(await implementation.modules()).to.deep.equal([products, quality, collaboration, bulk]);
  });

  it("requires the regulator for admissions, parameter changes, upgrades and generic calls when no governance is given (450)", async function () {
    const [, admin] = await ethers.getSigners();
    const { governor } = await connection.ignition.deploy(MedStateModule, {
      parameters: { MedState: { founders: [{ name: "Regulator", domain: Domain.Regulator, admin: admin.address, voter: true, licences: [] }] } },
    });
    const governorAt = await ethers.getContractAt("ConsortiumGovernor", await governor.getAddress());
    const governance = await governorAt.parameters();
    expect(governance.votingPeriod).to.equal(7n * 24n * 3600n);
    expect(governance.regulatorApprovalKinds).to.equal(450n);
    expect(governance.regulatorApprovalKinds).to.equal(mask(ProposalKind.AdmitParty, ProposalKind.SetParameters, ProposalKind.Upgrade, ProposalKind.Call));
  });

  it("deploys the local parameters file: seven founders, four voters, admissions, parameter changes, upgrades and calls need the regulator", async function () {
    const parameters = JSON.parse(await readFile(`${ROOT}/deploy/parameters/localhost.json`, "utf8")) as {
      MedState: { founders: { admin: string }[] };
    };
    const { registry, governor, batchRegistry } = await connection.ignition.deploy(MedStateModule, { parameters: parameters as never });
    const registryAt = await ethers.getContractAt("ConsortiumRegistry", await registry.getAddress());
    const governorAt = await ethers.getContractAt("ConsortiumGovernor", await governor.getAddress());
    const batchRegistryAt = await ethers.getContractAt("BatchRegistry", await batchRegistry.getAddress());
    expect(await registryAt.partyCount()).to.equal(7n);
    expect(await registryAt.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    for (let partyId = 1n; partyId <= 7n; ++partyId) {
      expect((await batchRegistryAt.mirroredParty(partyId)).status).to.equal(BigInt(PartyStatus.Active));
      const admin = parameters.MedState.founders[Number(partyId) - 1].admin;
      expect((await batchRegistryAt.mirroredMember(admin)).partyId).to.equal(partyId);
    }
    expect(await registryAt.activeVoterCount()).to.equal(4n);
    expect((await registryAt.getParty(1n)).admin).to.equal(parameters.MedState.founders[0].admin);
    const governance = await governorAt.parameters();
    expect(governance.votingPeriod).to.equal(7n * 24n * 3600n);
    expect(governance.regulatorApprovalKinds).to.equal(mask(ProposalKind.AdmitParty, ProposalKind.SetParameters, ProposalKind.Upgrade, ProposalKind.Call));
  });
});
