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

    it("decodes the errors of every code object behind the proxy and the registry's new ones, by name and arguments", function () {
      const account = getAddress("0x" + "cd".repeat(20));
      const batch = `0x${"ab".repeat(32)}`;
      // The text after the decoded call (an explanation, when the SDK has one) is not pinned here.
      const cases: [string, unknown[], string][] = [
        ["BatchRegistryUnknownApplication", [6901234567892n, 9n], "BatchRegistryUnknownApplication(gtin=06901234567892, applicant=9)"],
        ["BatchRegistryInsufficientStock", [batch, 3n, 0n, 1n], `BatchRegistryInsufficientStock(batchId=${batch}, party=3, available=0, requested=1)`],
        ["BatchRegistryDirectCall", [], "BatchRegistryDirectCall()"],
        ["RegistryAccountReserved", [account, 1956441600n], `RegistryAccountReserved(account=${account}, until=2031-12-31T00:00:00.000Z)`],
        ["GovernorNotApproved", [1n, 2n, 3n, false], "GovernorNotApproved(proposalId=1, approvals=2, threshold=3, regulatorApproved=false)"],
      ];
      for (const [name, args, decoded] of cases) {
        const text = decodeRevertData(iface.encodeErrorResult(name, args));
        expect(text.startsWith(decoded), text).to.equal(true);
        expect(text.slice(decoded.length)).to.match(/^(: .+)?$/);
      }
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
