import { expect } from "chai";
import { getAddress } from "viem";

import { Domain, PartyStatus } from "../../sdk/enums.js";
import { connection, standardConsortium } from "../helpers/fixtures.js";

/** Integrators on viem read the same state through the typed `as const` ABIs. */
describe("ConsortiumRegistry through viem", function () {
  it("reads parties and the membership check with typed viem bindings", async function () {
    const { registry, admins } = await connection.networkHelpers.loadFixture(standardConsortium);
    const viemRegistry = await connection.viem.getContractAt("ConsortiumRegistry", getAddress(await registry.getAddress()));
    const party = await viemRegistry.read.getParty([3n]);
    expect(party.domain).to.equal(Domain.Wholesaler);
    expect(party.status).to.equal(PartyStatus.Active);
    expect(party.name).to.equal("Wholesaler");
    const [allowed, partyId] = await viemRegistry.read.isAuthorized([getAddress(admins[2].address), 1n << 1n, 1n << 2n]);
    expect(allowed).to.equal(true);
    expect(partyId).to.equal(3n);
  });
});
