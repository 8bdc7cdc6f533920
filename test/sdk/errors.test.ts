import { expect } from "chai";
import { AbiCoder, getAddress, id } from "ethers";

import { combinedAbi, medstateInterface } from "../../sdk/contracts.js";
import { UserError, decodeRevertData, describeError, findRevertData } from "../../sdk/errors.js";
import { PartyStatus } from "../../sdk/enums.js";
import { connection, standardConsortium } from "../helpers/fixtures.js";

const iface = medstateInterface();

describe("sdk/errors", function () {
  describe("decodeRevertData", function () {
    it("names a custom error's arguments, enums by name", function () {
      const data = iface.encodeErrorResult("RegistryPartyNotActive", [3n, PartyStatus.Suspended]);
      expect(decodeRevertData(data)).to.equal("RegistryPartyNotActive(partyId=3, status=suspended)");
    });

    it("decodes Error(string) and Panic(uint256)", function () {
      const coder = AbiCoder.defaultAbiCoder();
      expect(decodeRevertData(id("Error(string)").slice(0, 10) + coder.encode(["string"], ["nope"]).slice(2))).to.equal(
        "reverted: nope",
      );
      expect(decodeRevertData(id("Panic(uint256)").slice(0, 10) + coder.encode(["uint256"], [0x21]).slice(2))).to.equal(
        "panic 0x21: enum value out of range",
      );
    });

    it("decodes the mirror's errors and the registry's errors a mirror raises", function () {
      const account = getAddress("0x" + "ab".repeat(20));
      expect(decodeRevertData(iface.encodeErrorResult("MirrorOnlyRegistry", [account]))).to.equal(
        `MirrorOnlyRegistry(caller=${account})`,
      );
      expect(decodeRevertData(iface.encodeErrorResult("RegistryMirrorAttached", [account]))).to.equal(
        `RegistryMirrorAttached(mirror=${account})`,
      );
    });

    it("combines the contracts' ABIs without their constructors (each contract has its own)", function () {
      const fragments = combinedAbi() as readonly { type: string }[];
      expect(fragments.filter((f) => f.type === "constructor")).to.deep.equal([]);
      expect(iface.deploy.inputs).to.deep.equal([]);
    });

    it("says so for an unknown selector", function () {
      expect(decodeRevertData("0xdeadbeef")).to.equal("reverted with unknown error 0xdeadbeef");
    });
  });

  describe("describeError", function () {
    it("finds revert data nested in provider errors", function () {
      const data = iface.encodeErrorResult("GovernorUnknownProposal", [9n]);
      const nested = { message: "x", info: { error: { data } } };
      expect(findRevertData(nested)).to.equal(data);
      expect(describeError(nested)).to.equal("GovernorUnknownProposal(proposalId=9)");
    });

    it("decodes a real revert from the embedded network", async function () {
      const { registry, others } = await connection.networkHelpers.loadFixture(standardConsortium);
      const error = await registry
        .connect(others[0])
        .addMember(1n, others[1].address, 2)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(describeError(error)).to.equal(`RegistryNotPartyAdmin(partyId=1, account=${others[0].address})`);
    });

    it("passes user errors through and keeps other messages to one line", function () {
      expect(describeError(new UserError("missing --name"))).to.equal("missing --name");
      expect(describeError(new Error("first line\nsecond line"))).to.equal("first line");
    });
  });
});
