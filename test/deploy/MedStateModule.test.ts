import { readFile } from "node:fs/promises";

import { expect } from "chai";

import MedStateModule from "../../deploy/modules/MedState.js";
import { ROOT } from "../helpers/cli.js";
import { connection, ethers, standardConsortium } from "../helpers/fixtures.js";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

describe("deploy/modules/MedState (Ignition)", function () {
  it("deploys both contracts behind ERC-1967 proxies and binds the governor", async function () {
    const { registry, governor } = await connection.networkHelpers.loadFixture(standardConsortium);
    expect(await registry.partyCount()).to.equal(8n);
    expect(await registry.activeVoterCount()).to.equal(4n);
    expect(await registry.governor()).to.equal(await governor.getAddress());
    expect(await governor.registry()).to.equal(await registry.getAddress());
    for (const proxy of [registry, governor]) {
      const word = await ethers.provider.getStorage(await proxy.getAddress(), IMPLEMENTATION_SLOT);
      expect(await ethers.provider.getCode(ethers.getAddress(`0x${word.slice(26)}`))).to.not.equal("0x");
    }
  });

  it("deploys the local parameters file: seven founders, four voters, admissions and parameter changes need the regulator", async function () {
    const parameters = JSON.parse(await readFile(`${ROOT}/deploy/parameters/localhost.json`, "utf8")) as {
      MedState: { founders: { admin: string }[] };
    };
    const { registry, governor } = await connection.ignition.deploy(MedStateModule, { parameters: parameters as never });
    const registryAt = await ethers.getContractAt("ConsortiumRegistry", await registry.getAddress());
    const governorAt = await ethers.getContractAt("ConsortiumGovernor", await governor.getAddress());
    expect(await registryAt.partyCount()).to.equal(7n);
    expect(await registryAt.activeVoterCount()).to.equal(4n);
    expect((await registryAt.getParty(1n)).admin).to.equal(parameters.MedState.founders[0].admin);
    const governance = await governorAt.parameters();
    expect(governance.votingPeriod).to.equal(7n * 24n * 3600n);
    expect(governance.regulatorApprovalKinds).to.equal((1n << 1n) | (1n << 6n));
  });
});
