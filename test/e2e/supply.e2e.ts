import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { productApplicationHash } from "../../sdk/codes.js";
import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

// Well-known accounts of `hardhat node`: 1 = manufacturer admin, 2 = wholesaler admin,
// 5 = pharmacy admin (party 6); 9 becomes the manufacturer's QA; 11 the admin of a
// second pharmacy admitted below (party 8).
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const SECOND_PHARMACY_ADMIN = "0x71bE63f3384f5fb98995898A86B02Fb2426c5788";
const GTIN = "06901234567892";
const LOT = "L2026A";
const code = (i: number) => `(01)${GTIN}(21)SN${String(i).padStart(7, "0")}(10)${LOT}(17)280630`;


describe("supply chain through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let unitsFile: string;
  let batchId: string;

  before(async function () {
    node = await startLocalNode();
    unitsFile = path.join(tmpdir(), `medstate-units-${process.pid}.txt`);
    await writeFile(unitsFile, `${Array.from({ length: 1000 }, (_, i) => code(i)).join("\n")}\n`);
    await node.json("system", "deploy");
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    // A second pharmacy, admitted by the consortium (regulator included).
    const { proposalId } = await node.json<{ proposalId: string }>(
      "party", "propose", "--name", "Anxin Pharmacy", "--domain", "pharmacy", "--admin", SECOND_PHARMACY_ADMIN, "--from", "1",
    );
    for (const from of ["1", "2", "4", "0"]) await node.json("party", "vote", "--proposal", proposalId, "--from", from);
  });

  after(async function () {
    await node?.stop();
  });


  it("applies for a product, which the regulator approves, and creates a batch of 1,000 units", async function () {
    expect(
      await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g",
        "--approval-no", "国药准字H20230001", "--national-code", "8123456", "--from", "1"),
    ).to.include({ gtin: GTIN, productId: GTIN, applicant: "2", nationalCode: "8123456", status: "applied" });
    // Not registered before the regulator's approval: no batch yet.
    await refusedWithoutChange(
      node,
      ["batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
        "--quantity", "1000", "--units", unitsFile, "--from", "1"],
      /^error: BatchRegistryUnknownProduct\(gtin=06901234567892\)$/,
    );
    // The regulator examines the pending application and approves exactly that one, by its hash.
    const [pending] = await node.json<{ applicant: string; applicationHash: string }[]>("product", "applications", "--gtin", GTIN);
    const examined = productApplicationHash({ nationalCode: 8123456, name: "Amoxicillin Capsules 0.25g", approvalNo: "国药准字H20230001" });
    expect(pending).to.include({ applicant: "2", applicationHash: examined });
    expect(
      await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--application", examined, "--from", "0"),
    ).to.include({
      gtin: GTIN,
      holder: "2",
      nationalCode: "8123456",
      applicationHash: examined,
      approvedBy: "1",
    });
    const created = await node.json<{ batchId: string; unitsRoot: string; unitCount: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
      "--quantity", "1000", "--units", unitsFile, "--from", "1",
    );
    expect(created.batchId).to.match(/^0x[0-9a-f]{64}$/);
    expect(created.unitsRoot).to.match(/^0x[0-9a-f]{64}$/);
    expect(created.unitCount).to.equal("1000");
    batchId = created.batchId;
  });

  it("refuses bad products and batches with one line, changing nothing", async function () {
    await refusedWithoutChange(
      node,
      ["product", "register", "--gtin", "06901234567893", "--name", "X", "--approval-no", "Y", "--from", "1"],
      /^error: invalid GTIN "06901234567893": .*check digit/i,
    );
    const lot2 = path.join(tmpdir(), `medstate-units-l2-${process.pid}.txt`);
    await writeFile(lot2, `(01)${GTIN}(21)X1(10)L2\n(01)${GTIN}(21)X2(10)L2\n`);
    await refusedWithoutChange(
      node,
      ["batch", "create", "--gtin", GTIN, "--lot", "L2", "--manufactured", "2026-10-01", "--expiry", "2026-09-01",
        "--quantity", "10", "--units", lot2, "--from", "1"],
      /^error: BatchRegistryInvalidDates\(manufacturedAt=2026-10-01T00:00:00\.000Z, expiresAt=2026-09-01T00:00:00\.000Z\): a batch expires after its manufacture date, and that date is not in the future$/,
    );
    await refusedWithoutChange(
      node,
      ["batch", "create", "--gtin", GTIN, "--lot", "L4", "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
        "--quantity", "10", "--units", unitsFile, "--from", "1"],
      /^error: .*line 1.*lot/i,
    );
    await refusedWithoutChange(
      node,
      ["batch", "create", "--gtin", GTIN, "--lot", "L3", "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
        "--quantity", "0", "--units", unitsFile, "--from", "1"],
      /^error: invalid --quantity "0": expected a positive integer$/,
    );
    await refusedWithoutChange(node, ["batch", "show", "--batch", `0x${"12".repeat(32)}`], /^error: unknown batch 0x(12){32}$/);
  });

  it("releases, ships, receives and ships on, with the holdings shown at each hop", async function () {
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "100", "--from", "1"],
      new RegExp(`^error: BatchRegistryNotReleased\\(batchId=${batchId}\\)$`),
    );
    // A release needs a normal inspection: the maker's QA records one first.
    await refusedWithoutChange(node, ["batch", "release", "--batch", batchId, "--from", "9"], /^error: BatchRegistryNotInspected\(batchId=0x[0-9a-f]{64}\): its latest inspection is not a normal one: a normal inspection is recorded before the batch is released$/);
    const inspected = await node.json<{ observationIds: string[] }>(
      "observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9",
    );
    expect(inspected.observationIds).to.deep.equal([`${batchId}/1`]);
    expect(await node.json("batch", "release", "--batch", batchId, "--from", "9")).to.deep.equal({ batchId, state: "released" });
    const first = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "100", "--from", "1");
    expect(await node.json("batch", "receive", "--shipment", first.shipmentId, "--from", "2")).to.include({
      shipmentId: first.shipmentId,
      batchId,
      quantity: "100",
    });
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "101", "--from", "2"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=3, available=100, requested=101\\): party 3 has 100 units of the batch available \\(held, less its locked units\\), fewer than the 101 requested$`),
    );
    const second = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "20", "--from", "2");
    await node.json("batch", "receive", "--shipment", second.shipmentId, "--from", "5");
    const shown = await node.json<{ holders: { partyId: string; quantity: string }[]; status: string }>("batch", "show", "--batch", batchId);
    expect(shown.status).to.equal("released");
    expect(shown.holders).to.deep.equal([
      { partyId: "2", quantity: "900" },
      { partyId: "3", quantity: "80" },
      { partyId: "6", quantity: "20" },
    ]);
    // A shipment in transit stays in the batch's custody, and the receiver may reject it.
    const third = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "5", "--from", "2");
    expect(await node.json("batch", "show", "--batch", batchId)).to.include({ held: "995", inTransit: "5", inCustody: "1000" });
    const human = await node.run("batch", "show", "--batch", batchId);
    expect(human.stdout).to.include(
      "quantity 1000 = 1000 in custody (995 held, 5 in transit) + 0 dispensed + 0 destroyed + 0 lost + 0 quarantined + 0 in suspect cases",
    );
    expect(human.stdout).to.include("party   3 holds 75, 5 in transit");
    await refusedWithoutChange(
      node,
      ["batch", "reject", "--shipment", third.shipmentId, "--from", "2"],
      new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${third.shipmentId}, party=3\\)$`),
    );
    expect(await node.json("batch", "reject", "--shipment", third.shipmentId, "--from", "5")).to.deep.equal({
      shipmentId: third.shipmentId,
      batchId,
      status: "rejected",
      quantity: "5",
      from: "3",
      to: "6",
      credited: "3",
    });
    expect(await node.json("batch", "show", "--batch", batchId)).to.include({ held: "1000", inTransit: "0", inCustody: "1000" });
  });

  it("verifies, dispenses, and catches the same code at a second pharmacy as suspect", async function () {
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "genuine", batchId, index: "7" });
    expect(await node.json("unit", "dispense", "--code", code(7), "--from", "5")).to.include({ status: "dispensed", batchId });
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "dispensed", party: "6" });

    const clone = await node.run("unit", "dispense", "--code", code(7), "--from", "11", "--json");
    expect(clone.code).to.equal(1);
    expect(JSON.parse(clone.stdout)).to.include({ status: "suspect", previous: "dispensed", recordedParty: "6", reportNo: "1" });
    expect(clone.stderr.trim().split("\n")).to.have.length(1);
    expect(clone.stderr.trim()).to.match(/^error: suspect unit 010690123456789221SN0000007: already dispensed by party 6; reported as suspect #1 of batch 0x[0-9a-f]{64}$/);

    // Verify is a query: an unknown code is said, not reported (`--report --from` reports it).
    const before = await node.rpc<string>("eth_blockNumber");
    expect(await node.json("unit", "verify", "--code", `(01)${GTIN}(21)NOTINBATCH(10)${LOT}(17)280630`)).to.deep.equal({
      status: "unknown",
      code: `(01)${GTIN}(21)NOTINBATCH(10)${LOT}(17)280630`,
      batchId: null,
      effectiveState: null,
    });
    expect(await node.rpc<string>("eth_blockNumber")).to.equal(before);
    const shown = await node.json<{
      dispensed: string;
      holders: { partyId: string; quantity: string }[];
      dispensers: { partyId: string; dispensed: string }[];
    }>("batch", "show", "--batch", batchId);
    expect(shown.dispensed).to.equal("1");
    expect(shown.holders.find((h) => h.partyId === "6")?.quantity).to.equal("19");
    expect(shown.dispensers).to.deep.equal([{ partyId: "6", dispensed: "1" }]);
  });

  it("undoes a dispense, locks, reactivates and destroys boxes, refusing what the rules forbid", async function () {
    expect(await node.json("unit", "dispense", "--code", code(8), "--from", "5")).to.include({ status: "dispensed" });
    expect(await node.json("unit", "undo", "--code", code(8), "--from", "5")).to.deep.equal({
      code: "010690123456789221SN0000008",
      batchId,
      index: "8",
      status: "active",
      previous: "dispensed",
      party: "6",
      held: "19",
      locked: "0",
      available: "19",
    });
    await refusedWithoutChange(
      node,
      ["unit", "undo", "--code", code(8), "--from", "5"],
      new RegExp(`^error: BatchRegistryInvalidUnitTransition\\(batchId=${batchId}, index=8, current=active, requested=active\\)$`),
    );
    expect(await node.json("unit", "decommission", "--code", code(9), "--status", "locked", "--from", "5")).to.include({
      status: "locked",
      previous: "active",
      held: "19",
      locked: "1",
      available: "18",
    });
    // A locked box cannot leave: the pharmacy ships at most its 18 available.
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "19", "--from", "5"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=6, available=18, requested=19\\): party 6 has 18 units of the batch available \\(held, less its locked units\\), fewer than the 19 requested$`),
    );
    // A party with no stock of the batch cannot mark its units (attack 2 of issue 12).
    await refusedWithoutChange(
      node,
      ["unit", "decommission", "--code", code(11), "--status", "destroyed", "--from", "4"],
      new RegExp(
        `^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=5, available=0, requested=1\\): ` +
          "party 5 has 0 units of the batch available \\(held, less its locked units\\), fewer than the 1 requested: " +
          "a party decommissions only units of its own available stock \\(held, less locked\\)$",
      ),
    );
    await refusedWithoutChange(
      node,
      ["unit", "dispense", "--code", code(11), "--from", "4"],
      new RegExp(
        `^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=5, available=0, requested=1\\): ` +
          "party 5 has 0 units of the batch available \\(held, less its locked units\\), fewer than the 1 requested: " +
          "a pharmacy or hospital dispenses only from its own available stock of the batch$",
      ),
    );
    await refusedWithoutChange(
      node,
      ["unit", "dispense", "--code", code(9), "--from", "5"],
      new RegExp(`^error: BatchRegistryUnitLocked\\(batchId=${batchId}, index=9\\): unit 9 is locked: it is dispensed only after it is reactivated$`),
    );
    await refusedWithoutChange(
      node,
      ["unit", "reactivate", "--code", code(9), "--from", "2"],
      new RegExp(
        `^error: BatchRegistryNotUnitParty\\(batchId=${batchId}, index=9, party=6\\): ` +
          "only the party that locked the unit reactivates it \\(a regulator restores it with `unit restore`\\)$",
      ),
    );
    expect(await node.json("unit", "reactivate", "--code", code(9), "--from", "5")).to.include({
      status: "active",
      previous: "locked",
      locked: "0",
      available: "19",
    });
    await refusedWithoutChange(
      node,
      ["unit", "decommission", "--code", code(10), "--status", "dispensed", "--from", "5"],
      /^error: invalid --status "dispensed": expected one of destroyed, stolen, locked$/,
    );
    expect(await node.json("unit", "decommission", "--code", code(10), "--status", "destroyed", "--from", "5")).to.include({
      status: "destroyed",
    });
    const shown = await node.json<{ destroyed: string; dispensed: string; inCustody: string; holders: { partyId: string; quantity: string }[] }>(
      "batch", "show", "--batch", batchId,
    );
    expect(shown).to.include({ destroyed: "1", dispensed: "1", inCustody: "998" });
    expect(shown.holders.find((h) => h.partyId === "6")?.quantity).to.equal("18");
  });

  it("lists the suspect report for the regulator and the batch's holders, and refuses anyone else", async function () {
    const expected = {
      batchId,
      reportNo: "1",
      index: "7",
      code: "010690123456789221SN0000007",
      status: "dispensed",
      recordedParty: "6",
      reporter: "8",
    };
    type Reports = { scope: string; party: string; reports: Record<string, unknown>[] };
    const regulator = await node.json<Reports>("unit", "reports", "--from", "0");
    expect(regulator).to.include({ scope: "all", party: "1" });
    expect(regulator.reports).to.have.length(1);
    expect(regulator.reports[0]).to.include(expected);
    // The pharmacy that dispensed it has held the batch; so has the manufacturer.
    for (const from of ["5", "1"]) {
      const holder = await node.json<Reports>("unit", "reports", "--batch", batchId, "--from", from);
      expect(holder.reports.map((r) => r.reportNo)).to.deep.equal(["1"]);
    }
    // The logistics party never held this batch: nothing without --batch, a refusal with it.
    expect((await node.json<Reports>("unit", "reports", "--from", "3")).reports).to.deep.equal([]);
    await refusedWithoutChange(
      node,
      ["unit", "reports", "--batch", batchId, "--from", "3"],
      /^error: party 4 neither regulates nor has held batch 0x[0-9a-f]{64}: only the regulator and the batch's holders list its reports$/,
    );
    await refusedWithoutChange(
      node,
      ["unit", "reports", "--from", "15"],
      /^error: account 0x[0-9a-fA-F]{40} is not an active member of an active party: it cannot list suspect reports$/,
    );
    await refusedWithoutChange(node, ["unit", "reports", "--batch", "0x1234"], /^error: invalid --batch "0x1234": a batch id is 0x and 64 hex digits \(or its short form 0xabcd…wxyz\)$/);
  });
});
