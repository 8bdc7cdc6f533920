import { expect } from "chai";

import { connection, standardConsortium } from "./helpers/fixtures.js";

describe("smoke", function () {
  it("deploys the standard consortium", async function () {
    const { registry, governor } = await connection.networkHelpers.loadFixture(standardConsortium);
    expect(await registry.partyCount()).to.equal(8n);
    expect(await registry.activeVoterCount()).to.equal(4n);
    expect(await registry.governor()).to.equal(await governor.getAddress());
  });
});
