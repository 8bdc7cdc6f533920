/**
 * Attacker: a counterfeiter with a public gateway's address and a box or two in hand. It
 * wants valid serial numbers to print on fakes, or a gateway that says "genuine" for a code
 * it invented.
 *
 * What the design does: a gateway serves unit hashes, never codes, so reading every list
 * it holds yields no serial; a list is stored only if it rebuilds the batch's Merkle root
 * on chain, so invented units cannot be slipped in, not even under a maker's genuine
 * signature (which covers the root, and so every unit); and a verdict comes from the
 * chain's `verify` of a proof against that root, so an invented code is "unknown". A copy
 * of a real box's code is the one thing a counterfeiter can make: it says what the real box
 * says, and "dispensed" once the real one is sold.
 */
import { expect } from "chai";

import { unitHashOf } from "../../sdk/codes.js";
import { networkHelpers } from "../helpers/fixtures.js";
import {
  CHINA_CODES,
  GTIN14,
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

describe("adversarial: a counterfeiter reading and feeding a public gateway", function () {
  afterEach(closeGateways);

  it("reads every list a gateway serves and learns no serial: unit hashes only", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    expect((await publish(app, await publication(c, c.makerQa, listOf(c.released)))).statusCode).to.equal(201);
    const response = await get(app, `/v1/unit-lists/${c.released.root}`);
    const body = json(response);
    expect(Object.keys(body).sort()).to.deep.equal(["batchId", "root", "units"]);
    expect(body.units).to.deep.equal(c.released.codes.map(unitHashOf));
    for (const code of c.released.codes) {
      const serial = code.startsWith("01") ? code.slice(18) : code.slice(7, 16);
      expect(response.body.includes(serial), `serial ${serial} in ${response.body}`).to.equal(false);
    }
    expect(response.body.includes(GTIN14)).to.equal(false);
    // The unit lookup answers hashes and a proof for a code the asker already has, nothing more.
    const unit = json(await get(app, codeUrl("units", gs1("GW2"))));
    expect(Object.keys(unit).sort()).to.deep.equal(["batchId", "code", "index", "proof", "root", "unitHash"]);
    expect(JSON.stringify(unit.proof).includes("GW")).to.equal(false);
  });

  it("cannot slip invented units in under a maker's captured signature: 422 root_mismatch, nothing stored", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    // The maker's signed publication, seen on the wire before it reached this gateway.
    const captured = await publication(c, c.makerQa, listOf(c.released));
    const invented = c.released.codes.map((_, i) => unitHashOf(gs1(`FAKE${i}`)));
    expectRefusal(await publish(app, { ...captured, units: invented }), 422, "root_mismatch");
    // One invented unit among the real ones is no better.
    expectRefusal(await publish(app, { ...captured, units: [...captured.units.slice(0, 7), invented[7]] }), 422, "root_mismatch");
    await expectNothingStored(app, [c.released.root]);
    expect(app.gateway.store.findUnit(invented[0])).to.deep.equal([]);
  });

  it("cannot publish with a signature of its own: 403 not_maker_member, nothing stored", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    const invented = c.released.codes.map((_, i) => unitHashOf(gs1(`FAKE${i}`)));
    expectRefusal(await publish(app, await publication(c, c.stranger, { ...listOf(c.released), units: invented })), 403, "not_maker_member");
    await expectNothingStored(app, [c.released.root]);
  });

  it("gets unknown for a code it invented, even one that names a real batch's lot", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    expect((await publish(app, await publication(c, c.makerQa, listOf(c.released)))).statusCode).to.equal(201);
    for (const code of [gs1("GW6"), `(01)${GTIN14}(21)GW99(10)${c.released.lot}`, "81234560000000031234"]) {
      const answer = json(await get(app, codeUrl("verify", code)));
      expect([answer.status, answer.verdict, answer.batchId, answer.product]).to.deep.equal(["unknown", null, null, null]);
      expectRefusal(await get(app, codeUrl("units", code)), 404, "unknown_unit");
    }
  });

  it("copies a real box's code onto a fake: the copy says what the real box says, and dispensed once it is sold", async function () {
    const c = await loadFixture(gatewayArena);
    const app = await openGateway(c);
    expect((await publish(app, await publication(c, c.makerQa, listOf(c.released)))).statusCode).to.equal(201);
    expect(json(await get(app, codeUrl("verify", CHINA_CODES[1]))).status).to.equal("genuine");
    await c.batchRegistry.connect(c.pharmacy).dispense({ batchId: c.released.batchId, index: 7, unitHash: c.released.hashes[7], proof: c.released.tree.proof(7) });
    expect(json(await get(app, codeUrl("verify", CHINA_CODES[1]))).status).to.equal("dispensed");
  });
});
