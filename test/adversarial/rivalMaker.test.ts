/**
 * Attacker: a rival manufacturer (party 9), a legitimate member of the consortium, that
 * wants to publish, overwrite or disrupt the unit list of another maker's batch on a
 * gateway: to plant a list of its own, to replay the maker's publication, or to relay a
 * captured one under its own name.
 *
 * What the design does: only an active Admin, Operator or QA member of the batch's own
 * maker party may publish its list (checked on chain at the signer's recovered address);
 * a list is checked against the batch's root, so even a relayed genuine publication stores
 * exactly the maker's list, attributed to the maker's signer; the digest of every accepted
 * publication is kept, so a replay is refused; and nothing a refusal touched is stored.
 */
import { expect } from "chai";

import { Role } from "../../sdk/enums.js";
import { networkHelpers } from "../helpers/fixtures.js";
import {
  closeGateways,
  expectNothingStored,
  expectRefusal,
  gatewayArena,
  listOf,
  openGateway,
  publication,
  publish,
  randomHash,
} from "../gateway/fixture.js";
import { RIVAL } from "./setup.js";

const { loadFixture } = networkHelpers;
const json = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe("adversarial: a rival maker publishing for another maker's batch", function () {
  afterEach(closeGateways);

  it("cannot publish the maker's batch list, right or wrong, with its admin's or its QA member's key: 403 not_maker_member", async function () {
    const c = await loadFixture(gatewayArena);
    const rivalQa = c.others[2];
    await c.registry.connect(c.rival).addMember(RIVAL, rivalQa.address, Role.QA);
    const app = await openGateway(c);
    const wrong = { ...listOf(c.released), units: c.released.hashes.map(() => randomHash()) };
    for (const [signer, list] of [
      [c.rival, listOf(c.released)],
      [rivalQa, listOf(c.released)],
      [c.rival, wrong],
      [c.rival, listOf(c.unreleased)],
    ] as const) {
      const response = await publish(app, await publication(c, signer, list));
      expectRefusal(response, 403, "not_maker_member");
      expect(json(response).message).to.match(new RegExp(`^${signer.address} is a member of party 9; batch 0x[0-9a-f]{64} was made by party 2$`));
    }
    await expectNothingStored(app, [c.released.root, c.unreleased.root]);
  });

  it("cannot replay the maker's publication once accepted: 409 replayed_publication, the list unchanged", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    const maker = await publication(c, c.makerQa, listOf(c.released));
    expect((await publish(app, maker)).statusCode).to.equal(201);
    const before = app.gateway.store.getList(c.released.root);
    expectRefusal(await publish(app, maker), 409, "replayed_publication");
    expectRefusal(await publish(app, { ...maker, units: c.released.hashes.map(() => randomHash()) }), 409, "replayed_publication");
    expect(app.gateway.store.getList(c.released.root)).to.deep.equal(before);
    expect(app.gateway.store.listCount()).to.equal(1);
  });

  it("gains nothing by relaying a captured publication first: the maker's list is stored under the maker's signer", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    const maker = await publication(c, c.makerQa, listOf(c.released));
    const relayed = await publish(app, maker);
    expect(json(relayed)).to.deep.equal({ root: c.released.root, batchId: c.released.batchId, units: 8, party: "2", signer: c.makerQa.address, stored: true });
    expect(app.gateway.store.getList(c.released.root)).to.include({ signer: c.makerQa.address, party: "2" });
    // Redirected to another of the maker's batches, the signature no longer recovers the maker.
    expectRefusal(await publish(app, { ...maker, batchId: c.unreleased.batchId, root: c.unreleased.root, units: c.unreleased.hashes }), 403, "not_maker_member");
    expect(app.gateway.store.hasList(c.unreleased.root)).to.equal(false);
  });

  it("cannot replay the maker's publication to another gateway with a shifted time: the signature no longer recovers the maker", async function () {
    const c = await loadFixture(gatewayArena);
    const first = await openGateway(c);
    const second = await openGateway(c);
    const maker = await publication(c, c.makerQa, listOf(c.released), Math.floor(Date.now() / 1000) - 500);
    expect((await publish(first, maker)).statusCode).to.equal(201);
    expectRefusal(await publish(second, { ...maker, issuedAt: maker.issuedAt + 400 }), 403, "not_maker_member");
    await expectNothingStored(second, [c.released.root]);
  });
});
