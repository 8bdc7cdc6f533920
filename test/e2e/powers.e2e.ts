import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { productApplicationHash } from "../../sdk/codes.js";
import { type LocalNode, expectRefusal, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import { QA } from "../helpers/lifecycle.js";

// The powers issue 12 gave the regulator and the consortium, through the CLI. Well-known
// accounts of `hardhat node` and the localhost founders: 0 the regulator's admin (party 1),
// 1 the manufacturer's (2), 2 the wholesaler's (3), 4 the hospital's (5) — the voters —
// and 5 the pharmacy's (6); 9 becomes the manufacturer's QA. Account 11 is the admin of
// "Jiangnan Generics", a manufacturer the consortium admits as a voter (party 8), which
// squats the maker's GTIN and is revoked in the end. Generic Calls need the regulator's
// approval (deploy/parameters/localhost.json: 450).
const GENERICS_ADMIN = "0x71bE63f3384f5fb98995898A86B02Fb2426c5788";
const STRANGER = "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec"; // account 13, never enrolled
const GTIN = "06901234567892";
const LOT = "PWR26A";
const code = (i: number) => `(01)${GTIN}(21)W${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;
const canonical = (i: number) => `0106901234567892${"21"}W${String(i).padStart(6, "0")}`;
const HEX = /^0x[0-9a-f]{64}$/;
/** The squatter's application as the regulator first examines it, and the maker's. */
const SQUATTER_APPLICATION = { nationalCode: 8123456, name: "Amoxicillin 0.25g", approvalNo: "国药准字H20260099" };
const MAKER_APPLICATION = { nationalCode: 8123456, name: "Amoxicillin Capsules 0.25g", approvalNo: "国药准字H20230001" };

describe("the regulator's and the consortium's powers of issue 12 through the CLI against a hardhat node @e2e", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let units: string;
  let batchId: string;
  let mirror: string;
  let detachProposal: string;

  before(async function () {
    node = await startLocalNode();
    units = path.join(tmpdir(), `medstate-powers-units-${process.pid}.txt`);
    await writeFile(units, `${Array.from({ length: 40 }, (_, i) => code(i)).join("\n")}\n`);
    const deployed = await node.json<{ contracts: Record<string, string> }>("system", "deploy");
    mirror = deployed.contracts.BatchRegistry;
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    const { proposalId } = await node.json<{ proposalId: string }>(
      "party", "propose", "--name", "Jiangnan Generics", "--domain", "manufacturer", "--admin", GENERICS_ADMIN, "--voter", "--from", "1",
    );
    for (const from of ["1", "2", "4", "0"]) await node.json("party", "vote", "--proposal", proposalId, "--from", from);
    expect(await node.json("system", "info")).to.include({ parties: "8", activeVoters: "5", thresholdVoters: "5", threshold: "4" });
  });

  after(async function () {
    await node?.stop();
  });

  it("records applications that reserve nothing, and lists them for the regulator", async function () {
    // The squatter applies first, with the maker's national code; the maker applies too.
    expect(
      await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin 0.25g", "--approval-no", "国药准字H20260099",
        "--national-code", "8123456", "--from", "11"),
    ).to.include({ gtin: GTIN, applicant: "8", nationalCode: "8123456", status: "applied" });
    const applied = await node.json<Record<string, string>>(
      "product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g", "--approval-no", "国药准字H20230001",
      "--national-code", "8123456", "--from", "1",
    );
    expect(applied).to.include({ gtin: GTIN, productId: GTIN, applicant: "2", name: "Amoxicillin Capsules 0.25g", status: "applied" });
    expect(applied.appliedAt).to.match(/^\d{4}-\d{2}-\d{2}T/);
    await refusedWithoutChange(
      node,
      ["product", "register", "--gtin", GTIN, "--name", "X", "--approval-no", "Y", "--rules", "rules.json", "--from", "1"],
      new RegExp(
        `^error: --rules needs a registered product: once the regulator approves the application, run \`product rules --gtin ${GTIN} --rules rules\\.json\`$`,
      ),
    );
    const pending = await node.json<Record<string, unknown>[]>("product", "applications");
    expect(pending.map((a) => [a.gtin, a.applicant, a.nationalCode, a.applicationHash, a.approvable, a.blockedBy])).to.deep.equal([
      [GTIN, "8", "8123456", productApplicationHash(SQUATTER_APPLICATION), true, null],
      [GTIN, "2", "8123456", productApplicationHash(MAKER_APPLICATION), true, null],
    ]);
    expect(await node.json("product", "applications", "--gtin", "06901234567885")).to.deep.equal([]);
  });

  it("lets only a regulator approve, only an application that exists, and only as the regulator examined it", async function () {
    await refusedWithoutChange(
      node,
      ["product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "1"],
      /^error: RegistryDomainNotAllowed\(partyId=2, domain=manufacturer\)$/,
    );
    await refusedWithoutChange(
      node,
      ["product", "approve", "--gtin", GTIN, "--applicant", "5", "--from", "0"],
      new RegExp(
        `^error: BatchRegistryUnknownApplication\\(gtin=${GTIN}, applicant=5\\): party 5 has no pending application for product ${GTIN} ` +
          "\\(it applies with `product register`\\)$",
      ),
    );
    await refusedWithoutChange(
      node,
      ["product", "approve", "--gtin", GTIN, "--applicant", "Acme", "--from", "0"],
      /^error: invalid --applicant "Acme": no party's id or name starts with it \(`party list` shows them\)$/,
    );
    // The regulator examines the squatter's application (its hash, from `product applications`) …
    const examined = productApplicationHash(SQUATTER_APPLICATION);
    await refusedWithoutChange(
      node,
      ["product", "approve", "--gtin", GTIN, "--applicant", "8", "--application", "0x1234", "--from", "0"],
      /^error: invalid --application "0x1234": expected the application's 0x-prefixed 32-byte hash, as `product applications` prints it$/,
    );
    // … and the squatter swaps another national code in before the approval is mined: refused, nothing approved.
    await node.json("product", "register", "--gtin", GTIN, "--name", SQUATTER_APPLICATION.name, "--approval-no", SQUATTER_APPLICATION.approvalNo,
      "--national-code", "8123457", "--from", "11");
    const swapped = productApplicationHash({ ...SQUATTER_APPLICATION, nationalCode: 8123457 });
    await refusedWithoutChange(
      node,
      ["product", "approve", "--gtin", GTIN, "--applicant", "8", "--application", examined, "--from", "0"],
      new RegExp(
        `^error: BatchRegistryApplicationChanged\\(gtin=${GTIN}, applicant=8, approved=${examined}, current=${swapped}\\): ` +
          "party 8 replaced its application for product 06901234567892 after it was examined: " +
          "examine it again \\(`product applications`\\) and approve the current one$",
      ),
    );
    const stale = await node.run("product", "approve", "--gtin", GTIN, "--applicant", "8", "--application", examined, "--from", "0", "--json");
    expect(stale.code).to.equal(1);
    const message =
      `BatchRegistryApplicationChanged(gtin=${GTIN}, applicant=8, approved=${examined}, current=${swapped}): ` +
      `party 8 replaced its application for product ${GTIN} after it was examined: ` +
      "examine it again (`product applications`) and approve the current one";
    expect(JSON.parse(stale.stdout)).to.deep.equal({
      error: { name: "BatchRegistryApplicationChanged", args: { gtin: GTIN, applicant: "8", approved: examined, current: swapped }, message },
    });
    expect(stale.stderr).to.equal(`error: ${message}\n`);
    const listed = await node.json<Record<string, unknown>[]>("product", "applications", "--gtin", GTIN);
    expect(listed.map((a) => [a.applicant, a.nationalCode, a.applicationHash])).to.deep.equal([
      ["8", "8123457", swapped],
      ["2", "8123456", productApplicationHash(MAKER_APPLICATION)],
    ]);
    // The squatter files its first application again (the same content: the same hash).
    await node.json("product", "register", "--gtin", GTIN, "--name", SQUATTER_APPLICATION.name, "--approval-no", SQUATTER_APPLICATION.approvalNo,
      "--national-code", "8123456", "--from", "11");
    // The regulator approves the squatter's application by mistake (the applicant named by its name).
    const approved = await node.json<Record<string, string>>("product", "approve", "--gtin", GTIN, "--applicant", "jiangnan", "--from", "0");
    expect(approved).to.include({ gtin: GTIN, holder: "8", nationalCode: "8123456", name: "Amoxicillin 0.25g", applicationHash: examined, approvedBy: "1" });
    // The maker's application can no longer be approved: the GTIN is taken.
    const refused = await node.run("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0", "--json");
    expect(refused.code).to.equal(1);
    expect(JSON.parse(refused.stdout)).to.deep.equal({
      error: { name: "BatchRegistryProductExists", args: { gtin: GTIN }, message: `BatchRegistryProductExists(gtin=${GTIN})` },
    });
    expect(refused.stderr).to.equal(`error: BatchRegistryProductExists(gtin=${GTIN})\n`);
    const left = await node.json<Record<string, unknown>[]>("product", "applications");
    expect(left).to.have.length(1);
    expect(left[0]).to.deep.include({
      gtin: GTIN,
      applicant: "2",
      name: "Amoxicillin Capsules 0.25g",
      approvalNo: "国药准字H20230001",
      nationalCode: "8123456",
      approvable: false,
      blockedBy: "product registered, held by party 8",
    });
    const human = await node.run("product", "applications");
    expect(human.stdout.trim()).to.match(
      new RegExp(
        `^${GTIN} "Amoxicillin Capsules 0\\.25g" \\(国药准字H20230001, national code 8123456\\) applied for by party 2 \\(Qiantang Pharmaceutical Co\\., Ltd\\.\\) at \\S+, ` +
          `application ${productApplicationHash(MAKER_APPLICATION)}: ` +
          "cannot be approved, product registered, held by party 8 \\(Jiangnan Generics\\)$",
      ),
    );
  });

  it("reassigns the wrongly approved product by a governance vote the regulator must join", async function () {
    await refusedWithoutChange(
      node,
      ["product", "reassign", "--gtin", GTIN, "--holder", "3", "--from", "1"],
      new RegExp(
        `^error: cannot propose to reassign product ${GTIN} from party 8 to party 3: GovernorCallWouldFail\\(target=${mirror}, ` +
          "reason=RegistryDomainNotAllowed\\(partyId=3, domain=wholesaler\\)\\): the call, run now as the governor, fails: nobody can vote it through$",
      ),
    );
    await refusedWithoutChange(
      node,
      ["product", "reassign", "--gtin", GTIN, "--holder", "2", "--from", "5"],
      new RegExp(`^error: cannot propose to reassign product ${GTIN} from party 8 to party 2: GovernorNotVoter\\(partyId=6\\)$`),
    );
    const proposed = await node.json<Record<string, unknown>>("product", "reassign", "--gtin", GTIN, "--holder", "qiantang", "--from", "1");
    expect(proposed).to.include({
      gtin: GTIN,
      holder: "2",
      previousHolder: "8",
      nationalCode: "8123456",
      previousNationalCode: "8123456",
      kind: "call",
      proposerParty: "2",
      approvals: "1",
      threshold: "4",
      voters: "5",
      regulatorRequired: true,
      regulatorApproved: false,
      executed: false,
      reassigned: false,
    });
    const proposalId = String(proposed.proposalId);
    expect(await node.json("party", "vote", "--proposal", proposalId, "--from", "2")).to.include({ approvals: "2", executed: false });
    const three = await node.run("party", "vote", "--proposal", proposalId, "--from", "4");
    expect(three.stdout.trim()).to.equal(
      `proposal ${proposalId}: 3 approvals, needs 4 now — needs 1 more approval, waiting for a regulator's approval` +
        " — signed by 0x15d3…6A65 (admin of party 5, Riverside People's Hospital)",
    );
    expect(await node.json("party", "vote", "--proposal", proposalId, "--from", "0")).to.include({
      proposalId,
      kind: "call",
      approvals: "4",
      threshold: "4",
      regulatorApproved: true,
      executed: true,
      gtin: GTIN,
      holder: "2",
      outcome: `product ${GTIN} reassigned from party 8 to party 2`,
    });
    const batch = ["batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30", "--quantity", "100", "--units", units];
    await refusedWithoutChange(node, [...batch, "--from", "11"], new RegExp(`^error: BatchRegistryNotProductHolder\\(gtin=${GTIN}, party=8\\)$`));
    ({ batchId } = await node.json<{ batchId: string }>(...batch, "--from", "1"));
    expect(batchId).to.match(HEX);
  });

  it("restores a wrongly locked and a wrongly destroyed box, crediting the party that marked it", async function () {
    await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
    await node.json("batch", "release", "--batch", batchId, "--from", "9");
    for (const [to, quantity, receiver] of [["6", "20", "5"], ["8", "10", "11"]]) {
      const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", to, "--quantity", quantity, "--from", "1");
      await node.json("batch", "receive", "--shipment", shipmentId, "--from", receiver);
    }
    await node.json("unit", "decommission", "--code", code(9), "--status", "locked", "--from", "5");
    expect(await node.json("unit", "restore", "--code", code(9), "--from", "0")).to.deep.equal({
      code: canonical(9),
      batchId,
      index: "9",
      status: "active",
      previous: "locked",
      credited: "6",
      party: "1",
      held: "20",
      locked: "0",
      available: "20",
    });
    expect(await node.json("unit", "decommission", "--code", code(10), "--status", "destroyed", "--from", "5")).to.include({ held: "19" });
    const restored = await node.run("unit", "restore", "--code", code(10), "--from", "0");
    expect(restored.code, restored.stderr).to.equal(0);
    expect(restored.stdout.trim()).to.equal(
      `${canonical(10)}: active (was destroyed), restored by the regulator (party 1); party 6 (Kangjian Pharmacy Chain) is credited: ` +
        "20 of the batch available (20 held, 0 locked) — signed by 0xf39F…2266 (admin of party 1, Zhejiang Medical Products Administration)",
    );
    await refusedWithoutChange(
      node,
      ["unit", "restore", "--code", code(10), "--from", "0"],
      new RegExp(`^error: BatchRegistryInvalidUnitTransition\\(batchId=${batchId}, index=10, current=active, requested=active\\)$`),
    );
    await refusedWithoutChange(node, ["unit", "restore", "--code", code(9), "--from", "5"], /^error: RegistryDomainNotAllowed\(partyId=6, domain=pharmacy\)$/);
    expect(await node.json("batch", "show", "--batch", batchId)).to.include({ quantity: "100", inCustody: "100", destroyed: "0", locked: "0" });
  });

  it("proposes detaching a mirror by vote, refusing an address that is not attached", async function () {
    await refusedWithoutChange(
      node,
      ["system", "detach-mirror", "--mirror", STRANGER, "--from", "1"],
      new RegExp(
        `^error: cannot propose to detach ${STRANGER} \\(attached: ${mirror}\\): GovernorCallWouldFail\\(target=0x[0-9a-fA-F]{40}, ` +
          `reason=RegistryUnknownMirror\\(mirror=${STRANGER}\\)\\): the call, run now as the governor, fails: nobody can vote it through$`,
      ),
    );
    const proposed = await node.json<Record<string, unknown>>("system", "detach-mirror", "--mirror", mirror, "--from", "1");
    expect(proposed).to.include({ mirror, kind: "call", approvals: "1", threshold: "4", regulatorRequired: true, executed: false, detached: false });
    detachProposal = String(proposed.proposalId);
    await node.json("party", "vote", "--proposal", detachProposal, "--from", "0");
    expect(await node.json("party", "vote", "--proposal", detachProposal, "--from", "2")).to.include({
      approvals: "3",
      threshold: "4",
      regulatorApproved: true,
      executed: false,
    });
    await refusedWithoutChange(
      node,
      ["party", "execute", "--proposal", detachProposal, "--from", "4"],
      new RegExp(
        `^error: GovernorNotApproved\\(proposalId=${detachProposal}, approvals=3, threshold=4, regulatorApproved=true\\): ` +
          `proposal ${detachProposal} has 3 of the 4 approvals the voter set in force now requires \\(approvals of parties no longer in the voter set do not count\\)$`,
      ),
    );
  });

  it("revokes the squatter by vote, and the regulator seizes its recalled stock into quarantine", async function () {
    const revoke = await node.json<Record<string, unknown>>("party", "revoke", "--party", "jiangnan", "--from", "1");
    expect(revoke).to.include({ kind: "revoke-party", partyId: "8", status: "active", voters: "5", threshold: "4", regulatorRequired: false });
    const proposalId = String(revoke.proposalId);
    for (const from of ["1", "2", "4"]) await node.json("party", "vote", "--proposal", proposalId, "--from", from);
    expect(await node.json("party", "vote", "--proposal", proposalId, "--from", "0")).to.include({
      executed: true,
      partyId: "8",
      outcome: "party 8 is now revoked",
    });
    expect(await node.json("system", "info")).to.include({ activeVoters: "4", thresholdVoters: "4", threshold: "3" });

    await refusedWithoutChange(
      node,
      ["state", "seize", "--batch", batchId, "--party", "8", "--quantity", "10", "--from", "0"],
      new RegExp(`^error: CollaborationNoOpenRecall\\(batchId=${batchId}\\)$`),
    );
    await node.json("state", "stop", "--batch", batchId, "--reason", "counterfeit packaging reported", "--from", "0");
    const { recallId } = await node.json<{ recallId: string }>(
      "state", "recall", "--batch", batchId, "--level", "2", "--reason", "counterfeit packaging", "--from", "0",
    );
    // The revoked party cannot return its stock itself.
    await refusedWithoutChange(
      node,
      ["state", "return", "--recall", recallId, "--quantity", "10", "--from", "11"],
      /^error: RegistryPartyNotActive\(partyId=8, status=revoked\)$/,
    );
    await refusedWithoutChange(
      node,
      ["state", "seize", "--batch", batchId, "--party", "8", "--quantity", "10", "--from", "5"],
      /^error: RegistryDomainNotAllowed\(partyId=6, domain=pharmacy\)$/,
    );
    await refusedWithoutChange(
      node,
      ["state", "seize", "--batch", batchId, "--party", "8", "--quantity", "11", "--from", "0"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=8, available=10, requested=11\\): party 8 has 10 units of the batch available \\(held, less its locked units\\), fewer than the 11 requested$`),
    );
    expect(await node.json("state", "seize", "--batch", batchId, "--party", "jiangnan", "--quantity", "10", "--from", "0")).to.deep.equal({
      recallId,
      batchId,
      party: "8",
      quantity: "10",
      outstanding: "0",
      regulator: "1",
    });
    const shown = await node.json<Record<string, unknown>>("batch", "show", "--batch", batchId);
    expect(shown).to.include({ quantity: "100", inCustody: "90", quarantined: "10", state: "Recall" });
    expect((shown.holders as { partyId: string }[]).map((h) => h.partyId)).to.deep.equal(["2", "6"]);
  });

  it("executes the detach proposal once the revocation lowered the threshold to its approvals", async function () {
    await refusedWithoutChange(node, ["party", "execute", "--proposal", detachProposal, "--from", "5"], /^error: GovernorNotVoter\(partyId=6\)$/);
    expect(await node.json("party", "execute", "--proposal", detachProposal, "--from", "4")).to.deep.equal({
      proposalId: detachProposal,
      kind: "call",
      approvals: "3",
      threshold: "3",
      thresholdAtCreation: "4",
      regulatorRequired: true,
      regulatorApproved: true,
      executed: true,
      mirror,
      outcome: `mirror ${mirror} detached`,
    });
    expect(await node.json("system", "info")).to.include({ mirrors: "" });
    expectRefusal(
      await node.run("party", "execute", "--proposal", detachProposal, "--from", "4"),
      new RegExp(`^error: GovernorProposalExecuted\\(proposalId=${detachProposal}\\)$`),
    );
  });
});
