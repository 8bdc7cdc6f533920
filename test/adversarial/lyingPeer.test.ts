/**
 * Attacker: a peer gateway that lies. A gateway pulls the lists it lacks from its peers
 * (`--peer URL`); a hostile or broken peer serves, under a batch's root, a list with one
 * unit swapped for an invented one, another batch's list, or something that is no list.
 *
 * What the design does: no peer is believed. Every pulled list is rebuilt into a Merkle
 * tree and compared with the batch's root on chain before anything is stored; a list that
 * fails is passed over for the next peer, and with no honest peer the unit stays unknown
 * (404) and the store stays empty.
 */
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import Fastify, { type FastifyInstance } from "fastify";

import { unitHashOf } from "../../sdk/codes.js";
import { networkHelpers } from "../helpers/fixtures.js";
import {
  type GatewayArena,
  closeGateways,
  codeUrl,
  expectNothingStored,
  expectRefusal,
  gatewayArena,
  get,
  gs1,
  listOf,
  openGateway,
  publication,
  publish,
} from "../gateway/fixture.js";

const { loadFixture } = networkHelpers;
const json = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

/** A lying peer on 127.0.0.1: every `GET /v1/unit-lists/:root` is answered with `lie(root)`; it counts the requests. */
async function lyingPeer(lie: (root: string) => { status: number; body: unknown }): Promise<{ url: string; asked: string[]; app: FastifyInstance }> {
  const app = Fastify();
  const asked: string[] = [];
  app.get<{ Params: { root: string } }>("/v1/unit-lists/:root", async (request, reply) => {
    asked.push(request.params.root);
    const { status, body } = lie(request.params.root);
    return reply.code(status).send(body);
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, asked, app };
}

/** An honest gateway holding GW-REL's list, listening on 127.0.0.1. */
async function honestPeer(c: GatewayArena): Promise<string> {
  const app = await openGateway(c);
  expect((await publish(app, await publication(c, c.makerQa, listOf(c.released)))).statusCode).to.equal(201);
  await app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** What each kind of liar serves under GW-REL's root. */
function lies(c: GatewayArena): Record<string, (root: string) => { status: number; body: unknown }> {
  const swapped = [...c.released.hashes];
  swapped[4] = unitHashOf(gs1("FAKE4"));
  return {
    "one unit swapped": (root) => ({ status: 200, body: { root, batchId: c.released.batchId, units: swapped } }),
    "another batch's list": () => ({ status: 200, body: { root: c.unreleased.root, batchId: c.unreleased.batchId, units: c.unreleased.hashes } }),
    "the units reordered": (root) => ({ status: 200, body: { root, batchId: c.released.batchId, units: [...c.released.hashes].reverse() } }),
    "a unit twice": (root) => ({ status: 200, body: { root, batchId: c.released.batchId, units: [...c.released.hashes.slice(0, 7), c.released.hashes[0]] } }),
    "no list at all": () => ({ status: 200, body: { units: "all of them" } }),
    "hashes that are no hashes": (root) => ({ status: 200, body: { root, units: c.released.hashes.map((h) => h.slice(0, 40)) } }),
    "an error": () => ({ status: 500, body: { error: "internal" } }),
  };
}

const CODE = () => `(01)${gs1("GW3").slice(2, 16)}(21)GW3(10)GW-REL`;

describe("adversarial: a lying peer gateway", function () {
  afterEach(closeGateways);
  const liars: FastifyInstance[] = [];
  afterEach(async function () {
    await Promise.all(liars.splice(0).map((l) => l.close()));
  });

  it("is passed over for the honest peer: only the honest list is stored, whatever the lie", async function () {
    const c = await loadFixture(gatewayArena);
    const honest = await honestPeer(c);
    for (const [kind, lie] of Object.entries(lies(c))) {
      const liar = await lyingPeer(lie);
      liars.push(liar.app);
      const app = await openGateway(c, { peers: [liar.url, honest] });
      const response = await get(app, codeUrl("units", CODE()));
      expect([kind, response.statusCode]).to.deep.equal([kind, 200]);
      expect(json(response)).to.deep.equal({
        code: gs1("GW3"),
        batchId: c.released.batchId,
        root: c.released.root,
        index: 3,
        unitHash: c.released.hashes[3],
        proof: c.released.tree.proof(3),
      });
      expect([kind, liar.asked]).to.deep.equal([kind, [c.released.root]]);
      expect(app.gateway.store.listCount()).to.equal(1);
      expect(app.gateway.store.getList(c.released.root)).to.include({ source: honest, signer: null, party: null, count: 8 });
      expect(json(await get(app, `/v1/unit-lists/${c.released.root}`)).units).to.deep.equal(c.released.hashes);
      // The swapped-in unit is nowhere.
      expect(app.gateway.store.findUnit(unitHashOf(gs1("FAKE4")))).to.deep.equal([]);
    }
  });

  it("alone, is not believed: the unit stays unknown (404) and nothing is stored, whatever the lie", async function () {
    const c = await loadFixture(gatewayArena);
    for (const [kind, lie] of Object.entries(lies(c))) {
      const liar = await lyingPeer(lie);
      liars.push(liar.app);
      const app = await openGateway(c, { peers: [liar.url] });
      const response = await get(app, codeUrl("units", CODE()));
      expect([kind, response.statusCode]).to.deep.equal([kind, 404]);
      expectRefusal(response, 404, "unknown_unit");
      expect(json(await get(app, codeUrl("verify", CODE()))).status).to.equal("unknown");
      expect(liar.asked.length, kind).to.be.greaterThan(0);
      await expectNothingStored(app, [c.released.root, c.unreleased.root]);
    }
  });

  it("cannot slip a lie in through the background sync either", async function () {
    const c = await loadFixture(gatewayArena);
    const honest = await honestPeer(c);
    const liar = await lyingPeer(lies(c)["one unit swapped"]);
    liars.push(liar.app);
    const app = await openGateway(c, { peers: [liar.url, honest] });
    await app.gateway.replicator.sync();
    // GW-REL from the honest peer; GW-NEW was published nowhere, and the liar's copy of it is refused.
    expect(app.gateway.store.listCount()).to.equal(1);
    expect(app.gateway.store.getList(c.released.root)).to.include({ source: honest });
    expect(liar.asked.sort()).to.deep.equal([c.released.root, c.unreleased.root].sort());
    expect(app.gateway.store.hasList(c.unreleased.root)).to.equal(false);
  });
});
