import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";

import { encodeVerify } from "../../gateway/chain.js";
import { medstateInterface } from "../../sdk/contracts.js";

describe("gateway/chain: the verify calldata written out directly", function () {
  const iface = medstateInterface();
  const selector = iface.getFunction("verify")!.selector;
  const hash = () => hexlify(randomBytes(32));

  for (const siblings of [0, 1, 20]) {
    it(`is byte for byte ethers' encoding, with ${siblings} proof hashes`, function () {
      const unit = { batchId: hash(), index: 123_456n, unitHash: hash(), proof: Array.from({ length: siblings }, hash) };
      expect(encodeVerify(selector, unit)).to.equal(iface.encodeFunctionData("verify", [unit]));
    });
  }

  it("encodes upper-case hex as ethers does, and refuses what is not a 32-byte hash", function () {
    const unit = { batchId: hash().toUpperCase().replace("0X", "0x"), index: 0, unitHash: hash(), proof: [hash()] };
    expect(encodeVerify(selector, unit)).to.equal(iface.encodeFunctionData("verify", [unit]));
    expect(() => encodeVerify(selector, { ...unit, unitHash: "0x1234" })).to.throw("not a 32-byte hash: 0x1234");
  });
});
