/**
 * The gateway's API in-process (issue 15, part 6): every route's allowed path with its
 * exact body, and every refusal with its exact status and stable `error` code, after which
 * nothing was stored: no list, no unit, no publication digest (a refused signature is
 * accepted once what was wrong is put right).
 */
import { expect } from "chai";
import { Signature, ZeroAddress, recoverAddress, toBeHex } from "ethers";

import { RPC_CALL_GAS } from "../../gateway/routes/rpc.js";
import { bodyLimitFor } from "../../gateway/routes/unit-lists.js";
import { PartyStatus, UNIT_VERDICTS, UnitStatus } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { publicationDigest } from "../../sdk/publication.js";
import { PHARMACEUTICAL_GRAPH } from "../../sdk/quality.js";
import { unitStatus } from "../../sdk/verdicts.js";
import { MAKER, PHARMACY } from "../adversarial/setup.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN, State } from "../helpers/quality.js";
import {
  type ArenaBatch,
  CHAIN_ID,
  CHINA_CODES,
  GTIN14,
  type GatewayArena,
  closeGateways,
  codeUrl,
  countingRpc,
  domainOf,
  expectNothingStored,
  expectRefusal,
  gatewayArena,
  get,
  gs1,
  listOf,
  openGateway,
  publication,
  publish,
  randomHash,
} from "./fixture.js";

const { loadFixture } = networkHelpers;
type Gateway = Awaited<ReturnType<typeof openGateway>>;

const now = () => Math.floor(Date.now() / 1000);
const json = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

/** The arena with GW-REL's list published (by the maker's QA member) to a fresh gateway. */
async function publishedGateway(c: GatewayArena, options = {}): Promise<Gateway> {
  const app = await openGateway(c, options);
  const response = await publish(app, await publication(c, c.makerQa, listOf(c.released)));
  expect(response.statusCode, response.body).to.equal(201);
  return app;
}

/** What `GET /v1/verify` must answer for unit `index` of `batch`, read from the chain here. */
async function expectedVerify(c: GatewayArena, batch: ArenaBatch, index: number) {
  const unit = { batchId: batch.batchId, index, unitHash: batch.hashes[index], proof: batch.tree.proof(index) };
  const [verdict, party] = await c.batchRegistry.verify(unit);
  const record = await c.collaboration.subjectRecord(batch.batchId);
  const state = PHARMACEUTICAL_GRAPH[Number(record.effectiveState)];
  const block = await ethers.provider.getBlockNumber();
  const at = async (n: number) => isoDate((await ethers.provider.getBlock(n))!.timestamp);
  const history: Record<string, unknown>[] = [{ at: await at(batch.createdBlock), block: String(batch.createdBlock), event: "created", scope: "batch" }];
  if (batch.releasedBlock !== null) history.push({ at: await at(batch.releasedBlock), block: String(batch.releasedBlock), event: "released", scope: "batch" });
  return {
    status: unitStatus(UNIT_VERDICTS[Number(verdict)], state),
    verdict: UNIT_VERDICTS[Number(verdict)],
    code: batch.codes[index],
    batchId: batch.batchId,
    index: String(index),
    party: party === 0n ? null : String(party),
    effectiveState: state.name,
    block: String(block),
    product: { gtin: GTIN14, name: "Vaccine", holder: "2", holderName: "Maker" },
    lot: batch.lot,
    manufactured: isoDate(batch.manufacturedAt)!.slice(0, 10),
    expiry: isoDate(batch.expiresAt)!.slice(0, 10),
    recall: null as null | Record<string, unknown>,
    history,
  };
}

/** Random signature bytes that happen to recover some account for `digest` (about half do). */
function recoverableForgery(digest: string): string {
  for (;;) {
    const signature = Signature.from({ r: randomHash().replace(/^0x./, "0x1"), s: randomHash().replace(/^0x./, "0x1"), v: 27 }).serialized;
    try {
      recoverAddress(digest, signature);
      return signature;
    } catch {
      // r is not an x on the curve: draw again.
    }
  }
}

/** The history entry of the state change `tx` made. */
async function stateEntry(tx: { wait(): Promise<{ blockNumber: number } | null> }, from: string, to: string, reason: string) {
  const { blockNumber } = (await tx.wait())!;
  const at = isoDate((await ethers.provider.getBlock(blockNumber))!.timestamp);
  return { at, block: String(blockNumber), event: "state", scope: "batch", state: to, from, reason };
}

describe("gateway API", function () {
  afterEach(closeGateways);

  describe("GET /v1/info", function () {
    it("says which chain, head and contracts it serves and how many lists it holds", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      const response = await get(app, "/v1/info");
      expect(response.statusCode).to.equal(200);
      expect(json(response)).to.deep.equal({
        chainId: "31337",
        block: String(await ethers.provider.getBlockNumber()),
        contracts: c.record.contracts,
        lists: 1,
      });
    });
  });

  describe("POST /v1/unit-lists", function () {
    it("stores a list signed by the maker's QA member and answers 201 with the receipt", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const body = await publication(c, c.makerQa, listOf(c.released));
      const response = await publish(app, body);
      expect(response.statusCode).to.equal(201);
      expect(json(response)).to.deep.equal({
        root: c.released.root,
        batchId: c.released.batchId,
        units: 8,
        party: "2",
        signer: c.makerQa.address,
        stored: true,
      });
      expect(app.gateway.store.listCount()).to.equal(1);
      expect(app.gateway.store.hasPublication(publicationDigest(domainOf(c), body), c.makerQa.address)).to.equal(true);
      expect(app.gateway.store.getList(c.released.root)).to.include({ source: "publication", signer: c.makerQa.address, party: "2", order: "index", count: 8 });
    });

    it("takes the list from the maker's primary admin and a second admin alike", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      expect((await publish(app, await publication(c, c.maker, listOf(c.unreleased)))).statusCode).to.equal(201);
      expect((await publish(app, await publication(c, c.makerAdmin2, listOf(c.released)))).statusCode).to.equal(201);
      expect(app.gateway.store.listCount()).to.equal(2);
    });

    it("takes the same content signed in the same second by two members as two publications, not a replay", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const at = now();
      const first = await publication(c, c.makerQa, listOf(c.released), at);
      const second = await publication(c, c.maker, listOf(c.released), at);
      expect((await publish(app, first)).statusCode).to.equal(201);
      const response = await publish(app, second);
      expect(response.statusCode).to.equal(200);
      expect(json(response)).to.deep.equal({ root: c.released.root, batchId: c.released.batchId, units: 8, party: "2", signer: c.maker.address, stored: false });
      expectRefusal(await publish(app, second), 409, "replayed_publication");
    });

    it("answers 200 stored:false to a fresh signature of a list it already holds, and 409 to that signature again", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      const again = await publication(c, c.maker, listOf(c.released), now() - 5);
      const response = await publish(app, again);
      expect(response.statusCode).to.equal(200);
      expect(json(response)).to.deep.equal({ root: c.released.root, batchId: c.released.batchId, units: 8, party: "2", signer: c.maker.address, stored: false });
      expectRefusal(await publish(app, again), 409, "replayed_publication");
      expect(app.gateway.store.listCount()).to.equal(1);
    });

    it("refuses the malleated (high-s) twin of an accepted signature with 401 bad_signature", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const body = await publication(c, c.makerQa, listOf(c.released));
      expect((await publish(app, body)).statusCode).to.equal(201);
      const sig = Signature.from(body.signature);
      const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const twin = `${sig.r}${toBeHex(N - BigInt(sig.s), 32).slice(2)}${(sig.v === 27 ? 28 : 27).toString(16)}`;
      expectRefusal(await publish(app, { ...body, signature: twin }), 401, "bad_signature");
      expect(app.gateway.store.listCount()).to.equal(1);
    });

    it("refuses the same signed publication twice with 409 replayed_publication", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const body = await publication(c, c.makerQa, listOf(c.released));
      expect((await publish(app, body)).statusCode).to.equal(201);
      expectRefusal(await publish(app, body), 409, "replayed_publication");
      // The same signature with its hex in upper case is the same publication.
      expectRefusal(await publish(app, { ...body, signature: `0x${body.signature.slice(2).toUpperCase()}` }), 409, "replayed_publication");
      expect(app.gateway.store.listCount()).to.equal(1);
    });

    it("refuses two copies of one publication sent at once: one 201, one 409", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const body = await publication(c, c.makerQa, listOf(c.released));
      const answers = await Promise.all([publish(app, body), publish(app, body)]);
      expect(answers.map((a) => a.statusCode).sort()).to.deep.equal([201, 409]);
      expectRefusal(answers.find((a) => a.statusCode === 409)!, 409, "replayed_publication");
      expect(app.gateway.store.listCount()).to.equal(1);
    });

    describe("bodies", function () {
      it("refuses a body that is not JSON with 400 invalid_body", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const response = await app.inject({ method: "POST", url: "/v1/unit-lists", headers: { "content-type": "application/json" }, payload: "{\"batchId\": " });
        expectRefusal(response, 400, "invalid_body");
        expectRefusal(await app.inject({ method: "POST", url: "/v1/unit-lists", headers: { "content-type": "application/json" }, payload: "" }), 400, "invalid_body");
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a body of another content type with 415 unsupported_media_type", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = JSON.stringify(await publication(c, c.makerQa, listOf(c.released)));
        for (const type of ["application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
          expectRefusal(await app.inject({ method: "POST", url: "/v1/unit-lists", headers: { "content-type": type }, payload: body }), 415, "unsupported_media_type");
        }
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a JSON publication sent as text/plain (what a cross-site form can send) with 400 invalid_body", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = JSON.stringify(await publication(c, c.makerQa, listOf(c.released)));
        // Fastify reads text/plain as a string, which is never the object the schema wants.
        const response = await app.inject({ method: "POST", url: "/v1/unit-lists", headers: { "content-type": "text/plain" }, payload: body });
        expectRefusal(response, 400, "invalid_body");
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a body missing any field with 400 invalid_body, and takes the same signature once it is complete", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        for (const field of ["batchId", "root", "units", "issuedAt", "signature"] as const) {
          const partial: Record<string, unknown> = { ...body };
          delete partial[field];
          expectRefusal(await publish(app, partial), 400, "invalid_body");
        }
        await expectNothingStored(app, [c.released.root]);
        expect((await publish(app, body)).statusCode).to.equal(201);
      });

      it("refuses a body with an extra field with 400 invalid_body, and takes the same signature without it", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        expectRefusal(await publish(app, { ...body, codes: c.released.codes }), 400, "invalid_body");
        expectRefusal(await publish(app, { ...body, __proto__x: 1 }), 400, "invalid_body");
        await expectNothingStored(app, [c.released.root]);
        expect(app.gateway.store.hasPublication(publicationDigest(domainOf(c), body), c.makerQa.address)).to.equal(false);
        expect((await publish(app, body)).statusCode).to.equal(201);
      });

      it("refuses bad hex and wrong types in every field with 400 invalid_body", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        const bad: Record<string, unknown>[] = [
          { batchId: body.batchId.slice(0, 65) },
          { batchId: `0x${"zz".repeat(32)}` },
          { root: body.root.slice(2) },
          { units: [...body.units.slice(0, 7), `0x${"g".repeat(64)}`] },
          { units: [...body.units.slice(0, 7), 7] },
          { units: [] },
          { units: "0x" },
          { issuedAt: String(body.issuedAt) },
          { issuedAt: body.issuedAt + 0.5 },
          { issuedAt: -1 },
          { signature: body.signature.slice(0, 130) },
          { signature: `${body.signature}00` },
          { signature: body.signature.replace(/^0x/, "0X") },
        ];
        for (const change of bad) expectRefusal(await publish(app, { ...body, ...change }), 400, "invalid_body");
        await expectNothingStored(app, [c.released.root]);
        expect((await publish(app, body)).statusCode).to.equal(201);
      });

      it("refuses a body over the limit with 413 body_too_large, and a list over maxUnits with 413 list_too_large", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c, { maxUnits: 8 });
        const body = await publication(c, c.makerQa, listOf(c.released));
        const huge = { ...body, units: Array.from({ length: 80 }, randomHash) };
        expect(JSON.stringify(huge).length).to.be.greaterThan(bodyLimitFor(8));
        expectRefusal(await publish(app, huge), 413, "body_too_large");
        const nine = { ...body, units: [...body.units, randomHash()] };
        expect(JSON.stringify(nine).length).to.be.lessThan(bodyLimitFor(8));
        expectRefusal(await publish(app, nine), 413, "list_too_large");
        await expectNothingStored(app, [c.released.root]);
        expect((await publish(app, body)).statusCode).to.equal(201);
      });

      it("refuses a list of fewer or more units than the batch committed with 422 root_mismatch", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const list = listOf(c.released);
        expectRefusal(await publish(app, await publication(c, c.makerQa, { ...list, units: list.units.slice(0, 7) })), 422, "root_mismatch");
        expectRefusal(await publish(app, await publication(c, c.makerQa, { ...list, units: [...list.units, randomHash()] })), 422, "root_mismatch");
        await expectNothingStored(app, [c.released.root]);
      });
    });

    describe("signatures", function () {
      it("refuses a signature that recovers no account with 401 bad_signature", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        expectRefusal(await publish(app, { ...body, signature: `0x${"00".repeat(65)}` }), 401, "bad_signature");
        // v must be 27 or 28 (or 0, 1).
        expectRefusal(await publish(app, { ...body, signature: `${body.signature.slice(0, 130)}1d` }), 401, "bad_signature");
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses random signature bytes that recover a stranger with 403 not_maker_member", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        const forged = recoverableForgery(publicationDigest(domainOf(c), body));
        const response = await publish(app, { ...body, signature: forged });
        expectRefusal(response, 403, "not_maker_member");
        expect(json(response).message).to.match(/is not a member of any party; batch 0x[0-9a-f]{64} was made by party 2$/);
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a signature over other content (a field changed after signing) as a stranger's: 403 not_maker_member", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        expectRefusal(await publish(app, { ...body, issuedAt: body.issuedAt - 1 }), 403, "not_maker_member");
        expectRefusal(await publish(app, { ...body, root: c.unreleased.root, batchId: c.unreleased.batchId, units: c.unreleased.hashes }), 403, "not_maker_member");
        await expectNothingStored(app, [c.released.root, c.unreleased.root]);
      });

      it("refuses a signature over another chain's or another registry's domain with 403 not_maker_member", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const list = listOf(c.released);
        const unsigned = { ...list, issuedAt: now() };
        for (const domain of [
          { ...domainOf(c), chainId: 1n },
          { ...domainOf(c), verifyingContract: c.record.contracts.ConsortiumRegistry },
          { ...domainOf(c), name: "MedState" },
        ]) {
          const signature = await c.makerQa.signTypedData(domain, { UnitList: [
            { name: "batchId", type: "bytes32" },
            { name: "root", type: "bytes32" },
            { name: "units", type: "uint256" },
            { name: "issuedAt", type: "uint256" },
          ] }, { batchId: list.batchId, root: list.root, units: 8n, issuedAt: BigInt(unsigned.issuedAt) });
          expectRefusal(await publish(app, { ...unsigned, signature }), 403, "not_maker_member");
        }
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a member of another party (the rival maker's admin) with 403 not_maker_member", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const response = await publish(app, await publication(c, c.rival, listOf(c.released)));
        expectRefusal(response, 403, "not_maker_member");
        expect(json(response).message).to.equal(`${c.rival.address} is a member of party 9; batch ${c.released.batchId} was made by party 2`);
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a device key of the maker with 403 not_maker_member", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const response = await publish(app, await publication(c, c.makerDevice, listOf(c.released)));
        expectRefusal(response, 403, "not_maker_member");
        expect(json(response).message).to.equal(`${c.makerDevice.address} is not an active admin, operator or QA member of party 2; batch ${c.released.batchId} was made by party 2`);
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses every member of a suspended maker with 403, and takes the same signature once the party is reinstated", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        await c.registry.connect(c.regulator).suspendParty(MAKER);
        expectRefusal(await publish(app, body), 403, "not_maker_member");
        expectRefusal(await publish(app, await publication(c, c.maker, listOf(c.released))), 403, "not_maker_member");
        await expectNothingStored(app, [c.released.root]);
        await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Active);
        expect((await publish(app, body)).statusCode).to.equal(201);
      });

      it("refuses a newcomer until the maker makes it an operator, then takes its very same signature", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.newcomer, listOf(c.released));
        expectRefusal(await publish(app, body), 403, "not_maker_member");
        await expectNothingStored(app, [c.released.root]);
        await c.registry.connect(c.maker).addMember(MAKER, c.newcomer.address, 2);
        const response = await publish(app, body);
        expect(response.statusCode).to.equal(201);
        expect(json(response)).to.include({ signer: c.newcomer.address, party: "2", stored: true });
      });
    });

    describe("freshness", function () {
      it("refuses a publication signed more than 600 s ago or ahead with 422 stale_publication", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        for (const issuedAt of [now() - 700, now() + 700, 0]) {
          expectRefusal(await publish(app, await publication(c, c.makerQa, listOf(c.released), issuedAt)), 422, "stale_publication");
        }
        await expectNothingStored(app, [c.released.root]);
        expect((await publish(app, await publication(c, c.makerQa, listOf(c.released), now() - 590))).statusCode).to.equal(201);
      });

      it("uses the configured window", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c, { publicationMaxAgeSeconds: 30 });
        expectRefusal(await publish(app, await publication(c, c.makerQa, listOf(c.released), now() - 60)), 422, "stale_publication");
        expect((await publish(app, await publication(c, c.makerQa, listOf(c.released), now() - 10))).statusCode).to.equal(201);
      });
    });

    describe("the list against the chain", function () {
      it("refuses a list with one unit hash changed with 422 root_mismatch, and takes the same signature with the right list", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        const units = [...body.units];
        units[3] = randomHash();
        expectRefusal(await publish(app, { ...body, units }), 422, "root_mismatch");
        await expectNothingStored(app, [c.released.root]);
        expect(app.gateway.store.findUnit(units[3])).to.deep.equal([]);
        expect((await publish(app, body)).statusCode).to.equal(201);
      });

      it("refuses the right units in another order with 422 root_mismatch", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        const swapped = [...body.units];
        [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
        expectRefusal(await publish(app, { ...body, units: swapped }), 422, "root_mismatch");
        expectRefusal(await publish(app, { ...body, units: [...body.units].reverse() }), 422, "root_mismatch");
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses a list with a unit twice with 422 root_mismatch", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const body = await publication(c, c.makerQa, listOf(c.released));
        expectRefusal(await publish(app, { ...body, units: [...body.units.slice(0, 7), body.units[0]] }), 422, "root_mismatch");
        await expectNothingStored(app, [c.released.root]);
      });

      it("refuses the right units under another batch's root with 422 root_mismatch", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const response = await publish(app, await publication(c, c.makerQa, { ...listOf(c.released), root: c.unreleased.root }));
        expectRefusal(response, 422, "root_mismatch");
        expect(json(response).message).to.equal(`batch ${c.released.batchId} committed root ${c.released.root}, not ${c.unreleased.root}`);
        // Another batch's whole list under this batch's id is refused too.
        expectRefusal(await publish(app, await publication(c, c.makerQa, { ...listOf(c.unreleased), batchId: c.released.batchId })), 422, "root_mismatch");
        await expectNothingStored(app, [c.released.root, c.unreleased.root]);
      });

      it("refuses a batch the chain does not have with 404 unknown_batch", async function () {
        const c = await loadFixture(gatewayArena);
        const app = await openGateway(c);
        const batchId = randomHash();
        const response = await publish(app, await publication(c, c.makerQa, { ...listOf(c.released), batchId }));
        expectRefusal(response, 404, "unknown_batch");
        expect(json(response).message).to.equal(`no batch ${batchId} on this chain`);
        await expectNothingStored(app, [c.released.root]);
      });

      it("takes a list laid out by hash (the SDK's default) when that is what the batch committed", async function () {
        const c = await loadFixture(gatewayArena);
        const { buildUnitTree } = await import("../../sdk/units.js");
        const codes = Array.from({ length: 5 }, (_, i) => gs1(`HASH${i}`));
        const { root } = await buildUnitTree(codes, { order: "hash" });
        const t = await networkHelpers.time.latest();
        await c.batchRegistry.connect(c.maker).createBatch({ gtin: GTIN, lot: "GW-HASH", manufacturedAt: t - 10, expiresAt: t + 86_400 * 30, quantity: 5n, unitsRoot: root, unitCount: 5 });
        const { batchIdOf, unitHashOf } = await import("../../sdk/codes.js");
        const app = await openGateway(c);
        const list = { batchId: batchIdOf(GTIN, "GW-HASH").toLowerCase(), root: root.toLowerCase(), units: codes.map(unitHashOf) };
        expect((await publish(app, await publication(c, c.makerQa, list))).statusCode).to.equal(201);
        expect(app.gateway.store.getList(root)?.order).to.equal("hash");
        const located = json(await get(app, codeUrl("units", gs1("HASH2"))));
        const [verdict] = await c.batchRegistry.verify({ batchId: list.batchId, index: 2, unitHash: list.units[2], proof: located.proof as string[] });
        expect([located.index, UNIT_VERDICTS[Number(verdict)]]).to.deep.equal([2, "unreleased"]);
      });
    });
  });

  describe("GET /v1/unit-lists/:root", function () {
    it("serves a held list: its root, batch and unit hashes in index order, and no code", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      const response = await get(app, `/v1/unit-lists/${c.released.root.toUpperCase().replace(/^0X/, "0x")}`);
      expect(response.statusCode).to.equal(200);
      expect(json(response)).to.deep.equal({ root: c.released.root, batchId: c.released.batchId, units: c.released.hashes });
    });

    it("answers 404 unknown_list for a root it does not hold, and 400 invalid_code for a root that is no hash", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      expectRefusal(await get(app, `/v1/unit-lists/${c.unreleased.root}`), 404, "unknown_list");
      expectRefusal(await get(app, "/v1/unit-lists/0x1234"), 400, "invalid_code");
    });
  });

  describe("GET /v1/units/:code", function () {
    it("finds a unit in every printed form: canonical, parentheses, FNC1, symbology prefix, China 20 digits", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      const expected = (index: number) => ({
        code: c.released.codes[index],
        batchId: c.released.batchId,
        root: c.released.root,
        index,
        unitHash: c.released.hashes[index],
        proof: c.released.tree.proof(index),
      });
      const forms: [string, number][] = [
        [gs1("GW3"), 3],
        [`(01)${GTIN14}(21)GW3`, 3],
        [`(01)${GTIN14}(21)GW3(10)GW-REL`, 3],
        [`01${GTIN14}21GW4\u001d10GW-REL`, 4],
        [`\u001d01${GTIN14}21GW4\u001d10GW-REL`, 4],
        [`]d201${GTIN14}21GW5\u001d10GW-REL`, 5],
        [CHINA_CODES[0], 6],
        [`${CHINA_CODES[1].slice(0, 7)}-${CHINA_CODES[1].slice(7, 16)}-${CHINA_CODES[1].slice(16)}`, 7],
      ];
      for (const [code, index] of forms) {
        const response = await get(app, codeUrl("units", code));
        expect([code, response.statusCode, json(response)]).to.deep.equal([code, 200, expected(index)]);
      }
      // The proof is the chain's: `verify` says genuine.
      const [verdict] = await c.batchRegistry.verify({ batchId: c.released.batchId, index: 6, unitHash: c.released.hashes[6], proof: expected(6).proof });
      expect(UNIT_VERDICTS[Number(verdict)]).to.equal("genuine");
    });

    it("refuses garbage and a GTIN with a wrong check digit with 400 invalid_code", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      for (const code of ["hello", "0x1234", `(01)${GTIN14.slice(0, 13)}3(21)GW3`, `(01)${GTIN14}`, "1234567890123456789", " ", "(21)GW3", "01069012345678922"]) {
        expectRefusal(await get(app, codeUrl("units", code)), 400, "invalid_code");
      }
      // A broken percent-encoding is no code either.
      expectRefusal(await get(app, "/v1/units/%E0%A4%A"), 400, "invalid_code");
    });

    it("refuses a code over 128 characters with 414 code_too_long, however long", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      for (const length of [129, 300, 1000, 5000]) {
        const code = gs1("X".repeat(length - 18));
        expect(code.length).to.equal(length);
        expectRefusal(await get(app, codeUrl("units", code)), 414, "code_too_long");
        expectRefusal(await get(app, codeUrl("verify", code)), 414, "code_too_long");
      }
      // 128 characters is a code (too long a serial for GS1, so invalid, but not refused for its length).
      expectRefusal(await get(app, codeUrl("units", gs1("X".repeat(110)))), 400, "invalid_code");
    });

    it("answers 404 unknown_unit for a well-formed code no list holds", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      expectRefusal(await get(app, codeUrl("units", gs1("INVENTED1"))), 404, "unknown_unit");
      // A unit of a batch whose list was never published.
      expectRefusal(await get(app, codeUrl("units", gs1("NEW0"))), 404, "unknown_unit");
    });
  });

  describe("GET /v1/verify/:code", function () {
    it("says genuine for a unit of a released batch, with product, lot, dates and history", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      const response = await get(app, codeUrl("verify", `(01)${GTIN14}(21)GW2(10)GW-REL`));
      expect(response.statusCode).to.equal(200);
      const expected = await expectedVerify(c, c.released, 2);
      expect(json(response)).to.deep.equal(expected);
      expect([expected.status, expected.verdict, expected.effectiveState]).to.deep.equal(["genuine", "genuine", "Marketed"]);
    });

    it("says unreleased for a unit of a batch not yet released", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      expect((await publish(app, await publication(c, c.makerQa, listOf(c.unreleased)))).statusCode).to.equal(201);
      const expected = await expectedVerify(c, c.unreleased, 1);
      expect(json(await get(app, codeUrl("verify", gs1("NEW1"))))).to.deep.equal(expected);
      expect(expected.status).to.equal("unreleased");
    });

    it("says dispensed once the pharmacy dispensed the box", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      await c.batchRegistry.connect(c.pharmacy).dispense({ batchId: c.released.batchId, index: 6, unitHash: c.released.hashes[6], proof: c.released.tree.proof(6) });
      const expected = await expectedVerify(c, c.released, 6);
      expect(json(await get(app, codeUrl("verify", CHINA_CODES[0])))).to.deep.equal(expected);
      expect([expected.status, expected.party]).to.deep.equal(["dispensed", String(PHARMACY)]);
    });

    it("says suspect for a box reported stolen", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      await c.batchRegistry.connect(c.wholesaler).decommission({ batchId: c.released.batchId, index: 1, unitHash: c.released.hashes[1], proof: c.released.tree.proof(1) }, UnitStatus.Stolen);
      const expected = await expectedVerify(c, c.released, 1);
      expect(json(await get(app, codeUrl("verify", gs1("GW1"))))).to.deep.equal(expected);
      expect([expected.status, expected.verdict]).to.deep.equal(["suspect", "stolen"]);
    });

    it("says stopped as soon as a block with the stop passed, with the stop in the history", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      expect(json(await get(app, codeUrl("verify", gs1("GW0")))).status).to.equal("genuine");
      const tx = await c.collaboration.connect(c.regulator).transition(c.released.batchId, State.EmergencyStop, "excursion");
      const expected = await expectedVerify(c, c.released, 0);
      expected.history.push(await stateEntry(tx, "Marketed", "EmergencyStop", "excursion"));
      expect(json(await get(app, codeUrl("verify", gs1("GW0"))))).to.deep.equal(expected);
      expect([expected.status, expected.verdict, expected.effectiveState]).to.deep.equal(["stopped", "genuine", "EmergencyStop"]);
    });

    it("says recalled with the recall's level, opening and deadline, even for a dispensed box", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      await c.batchRegistry.connect(c.pharmacy).dispense({ batchId: c.released.batchId, index: 7, unitHash: c.released.hashes[7], proof: c.released.tree.proof(7) });
      const stop = await c.collaboration.connect(c.regulator).transition(c.released.batchId, State.EmergencyStop, "excursion");
      const recall = await c.collaboration.connect(c.regulator).openRecall(c.released.batchId, 1, "cold chain broken");
      const record = await c.collaboration.subjectRecord(c.released.batchId);
      const expected = await expectedVerify(c, c.released, 7);
      expected.recall = { level: 1, openedAt: isoDate(record.recallOpenedAt), deadline: isoDate(record.recallDeadline) };
      const opened = (await recall.wait())!;
      const events = opened.logs.map((l) => c.collaboration.interface.parseLog(l)).filter((e) => e !== null);
      const at = isoDate((await ethers.provider.getBlock(opened.blockNumber))!.timestamp);
      const entries: Record<string, unknown>[] = [await stateEntry(stop, "Marketed", "EmergencyStop", "excursion")];
      for (const e of events) {
        if (e.name === "StateChanged") entries.push({ at, block: String(opened.blockNumber), event: "state", scope: "batch", state: PHARMACEUTICAL_GRAPH[Number(e.args.to)].name, from: PHARMACEUTICAL_GRAPH[Number(e.args.from)].name, reason: e.args.reason });
        if (e.name === "RecallOpened") entries.push({ at, block: String(opened.blockNumber), event: "recall", scope: "batch", level: 1, deadline: isoDate(record.recallDeadline) });
      }
      expected.history.push(...entries);
      expect(json(await get(app, codeUrl("verify", CHINA_CODES[1])))).to.deep.equal(expected);
      expect([expected.status, expected.verdict, expected.effectiveState, record.recallLevel]).to.deep.equal(["recalled", "dispensed", "Recall", 1n]);
      expect(expected.recall.deadline).to.be.a("string");
    });

    it("says unknown, with nulls, for a code no list holds", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      const response = await get(app, codeUrl("verify", `(01)${GTIN14}(21)FAKE99`));
      expect(response.statusCode).to.equal(200);
      expect(json(response)).to.deep.equal({
        status: "unknown",
        verdict: null,
        code: gs1("FAKE99"),
        batchId: null,
        index: null,
        party: null,
        effectiveState: null,
        block: String(await ethers.provider.getBlockNumber()),
        product: null,
        lot: null,
        manufactured: null,
        expiry: null,
        recall: null,
        history: [],
      });
    });

    it("refuses malformed codes with 400 invalid_code", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c);
      expectRefusal(await get(app, codeUrl("verify", "not a code")), 400, "invalid_code");
      expectRefusal(await get(app, codeUrl("verify", `(01)${GTIN14.slice(0, 13)}0(21)GW1`)), 400, "invalid_code");
    });
  });

  describe("the per-block cache", function () {
    it("answers a second identical verify at the same block without an eth_call, and recomputes at the next block", async function () {
      const c = await loadFixture(gatewayArena);
      const counted = countingRpc();
      const app = await publishedGateway(c, { rpc: counted.rpc });
      const url = codeUrl("verify", gs1("GW2"));
      const first = await get(app, url);
      const calls = counted.calls.get("eth_call") ?? 0;
      const hits = app.gateway.cache.hits;
      expect(calls).to.be.greaterThan(0);
      const second = await get(app, url);
      expect(second.body).to.equal(first.body);
      expect([counted.calls.get("eth_call"), app.gateway.cache.hits]).to.deep.equal([calls, hits + 1]);
      await networkHelpers.mine();
      const third = await get(app, url);
      expect(json(third).block).to.equal(String(Number(json(first).block) + 1));
      expect(counted.calls.get("eth_call")).to.be.greaterThan(calls);
    });

    it("keeps answers for at most headMaxAgeMs behind the chain", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await publishedGateway(c, { headMaxAgeMs: 60_000 });
      const url = codeUrl("verify", gs1("GW0"));
      const before = json(await get(app, url));
      await c.collaboration.connect(c.regulator).transition(c.released.batchId, State.EmergencyStop, "excursion");
      // The head it last saw is younger than a minute: the same answer, for the same block.
      expect(json(await get(app, url))).to.deep.equal(before);
    });
  });

  describe("POST /v1/rpc", function () {
    const rpc = (app: Gateway, body: unknown) => app.inject({ method: "POST", url: "/v1/rpc", payload: body as Record<string, unknown> });

    it("answers eth_chainId and eth_blockNumber", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      expect(json(await rpc(app, { jsonrpc: "2.0", id: 1, method: "eth_chainId" }))).to.deep.equal({ jsonrpc: "2.0", id: 1, result: `0x${CHAIN_ID.toString(16)}` });
      const head = await ethers.provider.getBlockNumber();
      expect(json(await rpc(app, { jsonrpc: "2.0", id: "b", method: "eth_blockNumber", params: [] }))).to.deep.equal({ jsonrpc: "2.0", id: "b", result: `0x${head.toString(16)}` });
    });

    it("forwards eth_call to the BatchRegistry and answers what the node answers", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const to = c.record.contracts.BatchRegistry;
      const data = c.batchRegistry.interface.encodeFunctionData("getBatch", [c.released.batchId]);
      const direct = await ethers.provider.call({ to, data });
      for (const params of [[{ to, data }], [{ to, data }, "latest"], [{ to: to.toLowerCase(), input: data }, `0x${(await ethers.provider.getBlockNumber()).toString(16)}`]]) {
        const response = await rpc(app, { jsonrpc: "2.0", id: 7, method: "eth_call", params });
        expect([response.statusCode, json(response)]).to.deep.equal([200, { jsonrpc: "2.0", id: 7, result: direct }]);
      }
      // The registry and the governor are the deployment's too.
      const registryCall = { to: c.record.contracts.ConsortiumRegistry, data: c.registry.interface.encodeFunctionData("partyCount") };
      expect(json(await rpc(app, { jsonrpc: "2.0", id: 8, method: "eth_call", params: [registryCall] })).result).to.equal(await ethers.provider.call(registryCall));
    });

    it("answers a revert as a JSON-RPC error object with 200", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const unknown = randomHash();
      const data = c.batchRegistry.interface.encodeFunctionData("getBatch", [unknown]);
      const response = await rpc(app, { jsonrpc: "2.0", id: 9, method: "eth_call", params: [{ to: c.record.contracts.BatchRegistry, data }] });
      expect(response.statusCode).to.equal(200);
      const body = json(response) as { jsonrpc: string; id: number; error: { code: number; message: string; data: unknown } };
      expect([body.jsonrpc, body.id, Object.keys(body).sort()]).to.deep.equal(["2.0", 9, ["error", "id", "jsonrpc"]]);
      expect(body.error.code).to.be.a("number");
      const raw = typeof body.error.data === "string" ? body.error.data : (body.error.data as { data: string }).data;
      const decoded = c.batchRegistry.interface.parseError(raw);
      expect([decoded?.name, decoded?.args[0]]).to.deep.equal(["BatchRegistryUnknownBatch", unknown]);
    });

    it("refuses every method outside the allow-list with 403 method_not_allowed", async function () {
      const c = await loadFixture(gatewayArena);
      const counted = countingRpc();
      const app = await openGateway(c, { rpc: counted.rpc });
      const tx = await c.maker.populateTransaction({ to: c.stranger.address, value: 1n });
      const raw = await c.maker.signTransaction({ ...tx, chainId: CHAIN_ID, nonce: await c.maker.getNonce(), gasLimit: 21_000n, gasPrice: 10n ** 10n, type: 0 }).catch(() => "0x00");
      for (const [method, params] of [
        ["eth_sendRawTransaction", [raw]],
        ["eth_sendTransaction", [{ from: c.maker.address, to: c.stranger.address }]],
        ["eth_accounts", []],
        ["eth_getLogs", [{ address: c.record.contracts.BatchRegistry }]],
        ["eth_getBalance", [c.maker.address, "latest"]],
        ["eth_estimateGas", [{ to: c.record.contracts.BatchRegistry }]],
        ["debug_traceCall", [{ to: c.record.contracts.BatchRegistry }, "latest"]],
        ["hardhat_setBalance", [c.stranger.address, "0x1"]],
        ["evm_mine", []],
        ["eth_call ", [{ to: c.record.contracts.BatchRegistry }]],
      ] as [string, unknown[]][]) {
        expectRefusal(await rpc(app, { jsonrpc: "2.0", id: 1, method, params }), 403, "method_not_allowed");
      }
      expect([...counted.calls.keys()]).to.deep.equal([]);
    });

    it("refuses eth_call to any other address with 403 target_not_allowed", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const data = c.batchRegistry.interface.encodeFunctionData("getBatch", [c.released.batchId]);
      const implementation = await ethers.provider.getStorage(c.record.contracts.BatchRegistry, "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
      for (const to of [c.stranger.address, ZeroAddress, `0x${implementation.slice(26)}`, undefined, 42, `${c.record.contracts.BatchRegistry}00`]) {
        expectRefusal(await rpc(app, { jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to, data }] }), 403, "target_not_allowed");
      }
    });

    it("refuses state overrides and malformed calls with 400 invalid_rpc", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const to = c.record.contracts.BatchRegistry;
      const data = c.batchRegistry.interface.encodeFunctionData("getBatch", [c.released.batchId]);
      for (const params of [
        [{ to, data }, "latest", { [to]: { code: "0x00" } }],
        [{ to, data }, "latest", {}],
        ["0x1234"],
        [[{ to, data }]],
        [{ to, data: "0xzz" }],
        [{ to, data: "1234" }],
        [{ to, data }, "yesterday"],
        [{ to, data }, { blockHash: randomHash() }],
        [{ to, data, gas: "lots" }],
        [{ to, data: `0x${"00".repeat(65_537)}` }],
      ]) {
        expectRefusal(await rpc(app, { jsonrpc: "2.0", id: 1, method: "eth_call", params }), 400, "invalid_rpc");
      }
    });

    it("refuses a batch (array) request and requests that are not JSON-RPC 2.0 with 400 invalid_rpc", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const call = { jsonrpc: "2.0", id: 1, method: "eth_chainId" };
      for (const body of [[call, call], [], { ...call, jsonrpc: "1.0" }, { id: 1, method: "eth_chainId" }, { jsonrpc: "2.0", id: 1 }, { ...call, params: {} }, { ...call, id: { x: 1 } }]) {
        expectRefusal(await rpc(app, body), 400, "invalid_rpc");
      }
      const notJson = await app.inject({ method: "POST", url: "/v1/rpc", headers: { "content-type": "application/json" }, payload: "{\"jsonrpc\": \"2.0\"," });
      expectRefusal(notJson, 400, "invalid_rpc");
    });

    it("refuses a body over its limit with 413 body_too_large", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const data = `0x${"00".repeat(200_000)}`;
      expectRefusal(await rpc(app, { jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: c.record.contracts.BatchRegistry, data }] }), 413, "body_too_large");
    });

    it("caps a call's gas at what the node accepts (EIP-7825: 2^24), and the capped call still answers", async function () {
      const c = await loadFixture(gatewayArena);
      const counted = countingRpc();
      const seen: unknown[][] = [];
      const app = await openGateway(c, { rpc: (method, params) => (seen.push([method, ...params]), counted.rpc(method, params)) });
      const to = c.record.contracts.BatchRegistry;
      const data = c.batchRegistry.interface.encodeFunctionData("getBatch", [c.released.batchId]);
      const response = await rpc(app, { jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to, data, gas: "0xffffffffffff" }] });
      const forwarded = seen.find(([m]) => m === "eth_call")!;
      expect((forwarded[1] as { gas: string }).gas).to.equal(`0x${RPC_CALL_GAS.toString(16)}`);
      expect(RPC_CALL_GAS <= 1n << 24n, `RPC_CALL_GAS ${RPC_CALL_GAS} is over the node's cap of 16777216`).to.equal(true);
      expect(json(response)).to.deep.equal({ jsonrpc: "2.0", id: 1, result: await ethers.provider.call({ to, data }) });
      // A lower gas asked for is kept.
      await rpc(app, { jsonrpc: "2.0", id: 2, method: "eth_call", params: [{ to, data, gas: "0x100000" }] });
      expect((seen.filter(([m]) => m === "eth_call")[1][1] as { gas: string }).gas).to.equal("0x100000");
    });
  });

  describe("everything else", function () {
    it("answers the 6th request in a minute from one address with 429 rate_limited", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c, { rateLimit: 5 });
      for (let i = 0; i < 5; i++) expect((await get(app, "/v1/info")).statusCode).to.equal(200);
      const sixth = await get(app, codeUrl("verify", gs1("GW0")));
      expectRefusal(sixth, 429, "rate_limited");
      expect(json(sixth).message).to.match(/^more than 5 requests a minute from this address: try again in \d+ s$/);
      // Publications count too: a burst cannot push lists past the limit.
      expectRefusal(await publish(app, await publication(c, c.makerQa, listOf(c.released))), 429, "rate_limited");
      expect(app.gateway.store.listCount()).to.equal(0);
      // Another address has its own allowance.
      expect((await app.inject({ method: "GET", url: "/v1/info", remoteAddress: "10.0.0.2" })).statusCode).to.equal(200);
    });

    it("answers an unknown route with 404 not_found", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c);
      const response = await get(app, "/v2/verify/x?y=1");
      expectRefusal(response, 404, "not_found");
      expect(json(response).message).to.equal("no route GET /v2/verify/x");
      expectRefusal(await app.inject({ method: "DELETE", url: "/v1/unit-lists/" + c.released.root }), 404, "not_found");
      expectRefusal(await app.inject({ method: "GET", url: "/v1/rpc" }), 404, "not_found");
    });

    it("answers / with 503 page_not_built when there is no built page", async function () {
      const c = await loadFixture(gatewayArena);
      const app = await openGateway(c, { staticDir: null });
      expectRefusal(await get(app, "/"), 503, "page_not_built");
    });
  });
});
