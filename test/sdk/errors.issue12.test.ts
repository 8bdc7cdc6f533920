import { expect } from "chai";
import { AbiCoder, getAddress, id } from "ethers";

import { medstateInterface } from "../../sdk/contracts.js";
import {
  UserError,
  decodeErrorData,
  decodeRevertData,
  describeError,
  errorName,
  explainError,
  namesStates,
} from "../../sdk/errors.js";
import { PartyStatus, UnitStatus } from "../../sdk/enums.js";

const iface = medstateInterface();
const ACCOUNT = getAddress("0x" + "ab".repeat(20));
const TARGET = getAddress("0x" + "cd".repeat(20));
const BATCH = `0x${"12".repeat(32)}`;
/** 2026-11-29T00:12:24Z, in seconds. */
const DATE = 1_795_911_144n;
const GTIN = 6901234567892n;

/** The revert data of `name(args)`. */
const data = (name: string, args: unknown[] = []) => iface.encodeErrorResult(name, args);

describe("sdk/errors (issue 12: the new contract errors, read as a person reads them)", function () {
  describe("decodeRevertData", function () {
    it("explains a call at a code object's own address", function () {
      expect(decodeRevertData(data("BatchRegistryDirectCall"))).to.equal(
        "BatchRegistryDirectCall(): this code runs only behind the BatchRegistry proxy and was called at its own address: call the BatchRegistry proxy",
      );
    });

    it("prints the GTIN of an unknown application as 14 digits and says who has none", function () {
      expect(decodeRevertData(data("BatchRegistryUnknownApplication", [GTIN, 5n]))).to.equal(
        "BatchRegistryUnknownApplication(gtin=06901234567892, applicant=5): " +
          "party 5 has no pending application for product 06901234567892 (it applies with `product register`)",
      );
    });

    it("says an application was replaced after the regulator examined it, and what to do", function () {
      const approved = `0x${"11".repeat(32)}`;
      const current = `0x${"22".repeat(32)}`;
      expect(decodeRevertData(data("BatchRegistryApplicationChanged", [GTIN, 5n, approved, current]))).to.equal(
        `BatchRegistryApplicationChanged(gtin=06901234567892, applicant=5, approved=${approved}, current=${current}): ` +
          "party 5 replaced its application for product 06901234567892 after it was examined: " +
          "examine it again (`product applications`) and approve the current one",
      );
    });

    it("prints every GTIN as 14 digits, in the old errors too", function () {
      expect(decodeRevertData(data("BatchRegistryUnknownProduct", [GTIN]))).to.equal("BatchRegistryUnknownProduct(gtin=06901234567892)");
      expect(decodeRevertData(data("BatchRegistryNationalCodeTaken", [8123456n, GTIN]))).to.equal(
        "BatchRegistryNationalCodeTaken(nationalCode=8123456, gtin=06901234567892)",
      );
    });

    it("explains a secondary admin's rotation of the primary admin", function () {
      expect(decodeRevertData(data("RegistryPrimaryAdminRotation", [8n, ACCOUNT]))).to.equal(
        `RegistryPrimaryAdminRotation(partyId=8, caller=${ACCOUNT}): ` +
          "party 8's primary admin key is rotated only by that key itself or by a governance proposal",
      );
    });

    it("prints a reservation's end as a date", function () {
      expect(decodeRevertData(data("RegistryAccountReserved", [ACCOUNT, DATE]))).to.equal(
        `RegistryAccountReserved(account=${ACCOUNT}, until=2026-11-29T00:12:24.000Z): ` +
          `${ACCOUNT} is the admin named by a pending admission: no party may enrol it before 2026-11-29T00:12:24.000Z`,
      );
    });

    it("prints the dates of the old errors as dates, and a zero date as none", function () {
      expect(decodeRevertData(data("BatchRegistryInvalidDates", [DATE, DATE - 86_400n]))).to.equal(
        "BatchRegistryInvalidDates(manufacturedAt=2026-11-29T00:12:24.000Z, expiresAt=2026-11-28T00:12:24.000Z): " +
          "a batch expires after its manufacture date, and that date is not in the future",
      );
      expect(decodeRevertData(data("GovernorProposalExpired", [3n, DATE]))).to.equal(
        "GovernorProposalExpired(proposalId=3, expiresAt=2026-11-29T00:12:24.000Z)",
      );
      expect(decodeRevertData(data("BatchRegistryUndoWindowClosed", [BATCH, 7n, 0n]))).to.equal(
        `BatchRegistryUndoWindowClosed(batchId=${BATCH}, index=7, deadline=none): undoing a dispense is disabled (an undo window of 0)`,
      );
    });

    it("says how much gas the mirrors need", function () {
      expect(decodeRevertData(data("RegistryInsufficientGas", [213_175n]))).to.equal(
        "RegistryInsufficientGas(needed=213175): too little gas was left for the membership mirrors (213175 before each push): send it with a higher gas limit",
      );
    });

    it("decodes the reason inside GovernorCallWouldFail, enums by name", function () {
      const inner = data("RegistryDomainNotAllowed", [3n, 2]);
      expect(decodeRevertData(data("GovernorCallWouldFail", [TARGET, inner]))).to.equal(
        `GovernorCallWouldFail(target=${TARGET}, reason=RegistryDomainNotAllowed(partyId=3, domain=wholesaler)): ` +
          "the call, run now as the governor, fails: nobody can vote it through",
      );
      const unknownMirror = data("RegistryUnknownMirror", [ACCOUNT]);
      expect(decodeErrorData(data("GovernorCallWouldFail", [TARGET, unknownMirror])).args).to.deep.equal({
        target: TARGET,
        reason: `RegistryUnknownMirror(mirror=${ACCOUNT})`,
      });
    });

    it("decodes an empty or foreign reason inside GovernorCallWouldFail", function () {
      expect(decodeErrorData(data("GovernorCallWouldFail", [TARGET, "0x"])).args.reason).to.equal("a revert without a reason");
      const text = id("Error(string)").slice(0, 10) + AbiCoder.defaultAbiCoder().encode(["string"], ["nope"]).slice(2);
      expect(decodeErrorData(data("GovernorCallWouldFail", [TARGET, text])).args.reason).to.equal("reverted: nope");
      expect(decodeErrorData(data("GovernorCallWouldFail", [TARGET, "0xdeadbeef"])).args.reason).to.equal(
        "reverted with unknown error 0xdeadbeef",
      );
    });

    it("says what an unapproved proposal lacks: approvals against the current threshold, or the regulator", function () {
      expect(decodeRevertData(data("GovernorNotApproved", [4n, 3n, 4n, true]))).to.equal(
        "GovernorNotApproved(proposalId=4, approvals=3, threshold=4, regulatorApproved=true): " +
          "proposal 4 has 3 of the 4 approvals the voter set in force now requires (approvals of parties no longer in the voter set do not count)",
      );
      expect(decodeRevertData(data("GovernorNotApproved", [4n, 3n, 3n, false]))).to.equal(
        "GovernorNotApproved(proposalId=4, approvals=3, threshold=3, regulatorApproved=false): proposal 4 still needs a regulator's approval",
      );
    });

    it("explains GovernorCallSimulated, which only a simulation sees", function () {
      const call = `0x${"34".repeat(32)}`;
      expect(decodeRevertData(data("GovernorCallSimulated", [call]))).to.equal(
        `GovernorCallSimulated(call=${call}): the simulated call succeeded (only the governor simulates calls, and the simulation always reverts)`,
      );
    });

    it("explains a voter's removal that would leave governance unable to reach its threshold", function () {
      expect(decodeRevertData(data("RegistryThresholdUnreachable", [5n, 2n, 3n]))).to.equal(
        "RegistryThresholdUnreachable(partyId=5, active=2, threshold=3): without party 5 only 2 active voters would remain, " +
          "fewer than the 3 approvals governance needs: reinstate a suspended voter first",
      );
    });

    it("names a typed proposal's selector", function () {
      const selector = iface.getFunction("reserveAccount")!.selector;
      expect(decodeRevertData(data("GovernorUseTypedProposal", [selector]))).to.equal(
        `GovernorUseTypedProposal(selector=${selector} (reserveAccount))`,
      );
      expect(decodeRevertData(data("GovernorUseTypedProposal", ["0x01020304"]))).to.equal("GovernorUseTypedProposal(selector=0x01020304)");
    });

    it("names collaborative states from the pharmaceutical graph, or from the deployment's", function () {
      expect(decodeRevertData(data("BatchRegistryHalted", [BATCH, 2]))).to.equal(`BatchRegistryHalted(batchId=${BATCH}, state=Recall)`);
      expect(decodeRevertData(data("CollaborationUnmetPrerequisite", [BATCH, 3, 4]))).to.equal(
        `CollaborationUnmetPrerequisite(subject=${BATCH}, state=Destroyed, missing=Recall)`,
      );
      expect(decodeRevertData(data("CollaborationUnmetPrerequisite", [BATCH, 3, 6]))).to.equal(
        `CollaborationUnmetPrerequisite(subject=${BATCH}, state=Destroyed, missing=EmergencyStop+Recall)`,
      );
      expect(decodeRevertData(data("CollaborationTransitionNotAllowed", [BATCH, 3, 0]))).to.equal(
        `CollaborationTransitionNotAllowed(subject=${BATCH}, from=Destroyed, state=Marketed)`,
      );
      const custom = { stateNames: ["Open", "Held", "Pulled"] };
      expect(decodeRevertData(data("BatchRegistryHalted", [BATCH, 2]), iface, custom)).to.equal(`BatchRegistryHalted(batchId=${BATCH}, state=Pulled)`);
      // A state the graph lacks keeps its number.
      expect(decodeRevertData(data("CollaborationUnknownState", [9]), iface, custom)).to.equal("CollaborationUnknownState(state=9)");
    });

    it("names the new arguments of the changed errors: available stock, unit statuses, points", function () {
      expect(decodeRevertData(data("BatchRegistryInsufficientStock", [BATCH, 6n, 0n, 1n]))).to.equal(
        `BatchRegistryInsufficientStock(batchId=${BATCH}, party=6, available=0, requested=1): ` +
          "party 6 has 0 units of the batch available (held, less its locked units), fewer than the 1 requested",
      );
      expect(decodeRevertData(data("BatchRegistryInvalidUnitTransition", [BATCH, 9n, UnitStatus.Active, UnitStatus.Active]))).to.equal(
        `BatchRegistryInvalidUnitTransition(batchId=${BATCH}, index=9, current=active, requested=active)`,
      );
      expect(decodeRevertData(data("QualityEnginePointNotAllowed", [BATCH, 7, 6n]))).to.equal(
        `QualityEnginePointNotAllowed(subject=${BATCH}, point=adverse, party=6)`,
      );
      expect(decodeRevertData(data("RegistryVoterSuspensionLimit", [3n, 1n, 1n]))).to.equal(
        "RegistryVoterSuspensionLimit(partyId=3, suspended=1, limit=1)",
      );
    });
  });

  describe("explainError", function () {
    it("gives the name, the formatted arguments and the line, for the CLI's --json refusal", function () {
      const nested = { message: "x", info: { error: { data: data("RegistryAccountReserved", [ACCOUNT, DATE]) } } };
      const decoded = explainError(nested);
      expect(decoded.name).to.equal("RegistryAccountReserved");
      expect(decoded.args).to.deep.equal({ account: ACCOUNT, until: "2026-11-29T00:12:24.000Z" });
      expect(decoded.message).to.equal(describeError(nested));
    });

    it("gives a UserError and any other error a name and its first line", function () {
      expect(explainError(new UserError("missing --gtin"))).to.deep.equal({ name: "UserError", args: {}, message: "missing --gtin" });
      expect(explainError(new TypeError("bad\nworse"))).to.deep.equal({ name: "TypeError", args: {}, message: "bad" });
    });
  });

  describe("errorName and namesStates", function () {
    it("name the custom error inside a thrown value", function () {
      expect(errorName({ data: data("RegistryPartyNotActive", [3n, PartyStatus.Suspended]) })).to.equal("RegistryPartyNotActive");
      expect(errorName(new Error("no data"))).to.equal(undefined);
    });

    it("say which errors print collaborative states", function () {
      expect(namesStates({ data: data("BatchRegistryHalted", [BATCH, 1]) })).to.equal(true);
      expect(namesStates({ data: data("CollaborationNoOpenRecall", [BATCH]) })).to.equal(true);
      expect(namesStates({ data: data("GovernorCallWouldFail", [TARGET, "0x"]) })).to.equal(true);
      expect(namesStates({ data: data("BatchRegistryZeroQuantity") })).to.equal(false);
      expect(namesStates(new UserError("x"))).to.equal(false);
    });
  });
});
