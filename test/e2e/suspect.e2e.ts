import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";

import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import { registerProduct } from "../helpers/lifecycle.js";

// Well-known accounts of `hardhat node` and the localhost founders: 0 regulator (party 1),
// 1 manufacturer admin (2, the product's holder), 2 wholesaler admin (3), 5 pharmacy
// admin (6). Below, 9 becomes the manufacturer's QA.
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const GTIN = "06901234567892";
const LOT = "SUS26A";
const code = (i: number) => `(01)${GTIN}(21)S${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;
const canonical = (i: number) => `0106901234567892${"21"}S${String(i).padStart(6, "0")}`;
const HEX = /^0x[0-9a-f]{64}$/;
const NOTICE = `0x${"ab".repeat(32)}`;

type Holders = { holders: { partyId: string; quantity: string }[]; destroyed: string; suspended: string; inCustody: string };

describe("suspect-product cases through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let batchId: string;
  let cloneCase: string;
  let clearedCase: string;
  let illegitimateCase: string;
  let evidenceFile: string;
  const evidenceText = "seal broken on 10 cartons; photos attached";

  const holdings = async () => {
    const shown = await node.json<Holders>("batch", "show", "--batch", batchId);
    return {
      holders: Object.fromEntries(shown.holders.map((h) => [h.partyId, h.quantity])),
      destroyed: shown.destroyed,
      suspended: shown.suspended,
      inCustody: shown.inCustody,
    };
  };

  before(async function () {
    node = await startLocalNode();
    const units = path.join(tmpdir(), `medstate-suspect-units-${process.pid}.txt`);
    await writeFile(units, `${Array.from({ length: 50 }, (_, i) => code(i)).join("\n")}\n`);
    evidenceFile = path.join(tmpdir(), `medstate-suspect-evidence-${process.pid}.txt`);
    await writeFile(evidenceFile, evidenceText);
    await node.json("system", "deploy");
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    await registerProduct(node, { gtin: GTIN, name: "Metformin 500 mg", approvalNo: "国药准字H20260002" });
    ({ batchId } = await node.json<{ batchId: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
      "--quantity", "100", "--units", units, "--from", "1",
    ));
    await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
    await node.json("batch", "release", "--batch", batchId, "--from", "9");
    const toWholesaler = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "60", "--from", "1");
    await node.json("batch", "receive", "--shipment", toWholesaler.shipmentId, "--from", "2");
    const toPharmacy = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "20", "--from", "2");
    await node.json("batch", "receive", "--shipment", toPharmacy.shipmentId, "--from", "5");
  });

  after(async function () {
    await node?.stop();
  });

  it("opens a case on the unit when dispensing catches a clone", async function () {
    expect(await node.json("unit", "dispense", "--code", code(3), "--from", "5")).to.include({ status: "dispensed", batchId });
    const clone = await node.run("unit", "dispense", "--code", code(3), "--from", "5", "--json");
    expect(clone.code).to.equal(1);
    const json = JSON.parse(clone.stdout) as Record<string, string>;
    expect(json).to.include({ status: "suspect", batchId, index: "3", previous: "dispensed", recordedParty: "6", reportNo: "1" });
    expect(json.caseId).to.match(HEX);
    cloneCase = json.caseId;
    expect(clone.stderr.trim().split("\n")).to.have.length(1);
    expect(clone.stderr.trim()).to.match(
      new RegExp(`^error: suspect unit ${canonical(3)}: already dispensed by party 6; reported as suspect #1 of batch ${batchId}$`),
    );
    const shown = await node.json<Record<string, unknown>>("suspect", "show", "--case", cloneCase);
    expect(shown).to.include({
      caseId: cloneCase,
      batchId,
      no: "1",
      reporter: "6",
      unit: "3",
      quantity: "0",
      status: "quarantined",
      notifyBy: null,
      notifiedAt: null,
      overdue: false,
      reason: "clone detected at dispensing: reported as suspect #1",
    });
    expect((shown.history as Record<string, string>[]).map((h) => [h.action, h.party])).to.deep.equal([["opened", "6"]]);
  });

  it("lets a wholesaler quarantine part of its stock, and refuses more than it holds", async function () {
    const whole = await node.json<Record<string, string>>(
      "suspect", "report", "--batch", batchId, "--quantity", "10", "--evidence", evidenceFile, "--reason", "seal damaged", "--from", "2",
    );
    expect(whole).to.include({
      batchId,
      unit: "batch",
      quantity: "10",
      status: "quarantined",
      reporter: "3",
      evidenceHash: keccak256(toUtf8Bytes(evidenceText)),
      reason: "seal damaged",
    });
    expect(whole.caseId).to.match(HEX);
    clearedCase = whole.caseId;
    const one = await node.json<Record<string, string>>(
      "suspect", "report", "--batch", batchId, "--code", code(40), "--quantity", "5", "--evidence", NOTICE, "--from", "2",
    );
    expect(one).to.include({ batchId, unit: "40", code: canonical(40), quantity: "5", status: "quarantined", evidenceHash: NOTICE });
    illegitimateCase = one.caseId;
    // 40 + 25 + 19 held, 1 dispensed, 15 in the wholesaler's cases: 100.
    expect(await holdings()).to.deep.equal({ holders: { "2": "40", "3": "25", "6": "19" }, destroyed: "0", suspended: "15", inCustody: "84" });
    const shown = await node.json<{ custody: Record<string, string>[] }>("batch", "show", "--batch", batchId);
    expect(shown.custody).to.deep.include({ partyId: "3", held: "25", inTransit: "0", suspended: "15", locked: "0", dispensed: "0" });

    await refusedWithoutChange(
      node,
      ["suspect", "report", "--batch", batchId, "--quantity", "26", "--from", "2"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=3, available=25, requested=26\\): party 3 has 25 units of the batch available \\(held, less its locked units\\), fewer than the 26 requested$`),
    );
    await refusedWithoutChange(
      node,
      ["suspect", "report", "--batch", batchId, "--unit", "50", "--from", "2"],
      new RegExp(
        `^error: SuspectInvalidUnit\\(batchId=${batchId}, unit=50, unitCount=50\\): ` +
          "the batch has 50 unit codes \\(indexes 0 to 49\\): report a unit of it, or the whole batch$",
      ),
    );
    await refusedWithoutChange(
      node,
      ["suspect", "report", "--batch", batchId, "--unit", "1", "--code", code(1), "--from", "2"],
      /^error: give --unit or --code, not both$/,
    );
  });

  it("refuses to conclude a case that is still quarantined", async function () {
    await refusedWithoutChange(
      node,
      ["suspect", "conclude", "--case", clearedCase, "--finding", "legitimate", "--from", "1"],
      new RegExp(`^error: SuspectWrongStatus\\(caseId=${clearedCase}, status=quarantined, expected=investigating\\)$`),
    );
    await refusedWithoutChange(
      node,
      ["suspect", "conclude", "--case", clearedCase, "--finding", "maybe", "--from", "1"],
      /^error: invalid --finding "maybe": expected one of legitimate, illegitimate$/,
    );
  });

  it("investigates, and the regulator's legitimate finding puts the stock back; the holder may not clear its own product", async function () {
    expect(await node.json("suspect", "investigate", "--case", clearedCase, "--from", "2")).to.deep.equal({
      caseId: clearedCase,
      batchId,
      status: "investigating",
      party: "3",
      quantity: "10",
    });
    expect(await node.json("suspect", "investigate", "--case", illegitimateCase, "--from", "0")).to.include({
      caseId: illegitimateCase,
      status: "investigating",
      party: "1",
    });
    await refusedWithoutChange(
      node,
      ["suspect", "conclude", "--case", clearedCase, "--finding", "legitimate", "--from", "1"],
      new RegExp(
        `^error: SuspectNotAllowed\\(caseId=${clearedCase}, party=2\\): only the regulator clears a case ` +
          "\\(the product's holder may conclude it illegitimate, not clear its own product\\)$",
      ),
    );
    expect(await node.json("suspect", "conclude", "--case", clearedCase, "--finding", "legitimate", "--from", "0")).to.include({
      caseId: clearedCase,
      batchId,
      status: "cleared",
      party: "1",
      quantity: "10",
    });
    expect(await holdings()).to.deep.equal({ holders: { "2": "40", "3": "35", "6": "19" }, destroyed: "0", suspended: "5", inCustody: "94" });
  });

  it("finds one illegitimate: notified (late), closed by the regulator only, its stock destroyed", async function () {
    const concluded = await node.json<Record<string, string>>(
      "suspect", "conclude", "--case", illegitimateCase, "--finding", "illegitimate", "--evidence", evidenceFile, "--from", "0",
    );
    expect(concluded).to.include({ caseId: illegitimateCase, batchId, status: "illegitimate", party: "1", quantity: "5" });
    const block = await node.rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
    expect(Date.parse(concluded.notifyBy) / 1000 - Number(block.timestamp)).to.equal(86_400);

    await refusedWithoutChange(
      node,
      ["suspect", "close", "--case", illegitimateCase, "--from", "1"],
      /^error: RegistryDomainNotAllowed\(partyId=2, domain=manufacturer\)$/,
    );
    expect(await node.json("suspect", "show", "--case", illegitimateCase)).to.include({ status: "illegitimate", overdue: false });
    await node.rpc("evm_increaseTime", [25 * 3600]);
    await node.rpc("evm_mine", []);
    expect(await node.json("suspect", "show", "--case", illegitimateCase)).to.include({ status: "illegitimate", overdue: true });

    const notified = await node.json<Record<string, unknown>>("suspect", "notify", "--case", illegitimateCase, "--notice", NOTICE, "--from", "2");
    expect(notified).to.include({
      caseId: illegitimateCase,
      batchId,
      status: "illegitimate",
      party: "3",
      notifyBy: concluded.notifyBy,
      late: true,
      noticeHash: NOTICE,
    });
    expect(notified.notifiedAt).to.be.a("string");
    await refusedWithoutChange(
      node,
      ["suspect", "notify", "--case", illegitimateCase, "--from", "1"],
      new RegExp(`^error: SuspectAlreadyNotified\\(caseId=${illegitimateCase}\\)$`),
    );

    expect(await node.json("suspect", "close", "--case", illegitimateCase, "--from", "0")).to.deep.equal({
      caseId: illegitimateCase,
      batchId,
      status: "closed",
      party: "1",
      quantity: "5",
    });
    expect(await holdings()).to.deep.equal({ holders: { "2": "40", "3": "35", "6": "19" }, destroyed: "5", suspended: "0", inCustody: "94" });
    const shown = await node.json<Record<string, unknown>>("suspect", "show", "--case", illegitimateCase);
    expect(shown).to.include({ status: "closed", unit: "40", overdue: false, notifyBy: concluded.notifyBy, notifiedAt: notified.notifiedAt });
    expect((shown.history as Record<string, string>[]).map((h) => [h.action, h.party])).to.deep.equal([
      ["opened", "3"],
      ["investigating", "1"],
      ["illegitimate", "1"],
      ["notified", "3"],
      ["closed", "1"],
    ]);
  });

  it("lists every case with its current status", async function () {
    const all = await node.json<Record<string, unknown>[]>("suspect", "list");
    expect(all.map((c) => [c.caseId, c.batchId, c.reporter, c.unit, c.quantity, c.status, c.overdue])).to.deep.equal([
      [cloneCase, batchId, "6", "3", "0", "quarantined", false],
      [clearedCase, batchId, "3", "batch", "10", "cleared", false],
      [illegitimateCase, batchId, "3", "40", "5", "closed", false],
    ]);
    expect(all[2].notifyBy).to.match(/^\d{4}-\d{2}-\d{2}T/);
    expect(all[0].notifyBy).to.equal(null);
    expect(await node.json("suspect", "list", "--batch", batchId)).to.deep.equal(all);
    expect(await node.json("suspect", "list", "--batch", `0x${"12".repeat(32)}`)).to.deep.equal([]);
  });

  it("refuses unknown cases and malformed ids with one line", async function () {
    const unknown = `0x${"34".repeat(32)}`;
    await refusedWithoutChange(node, ["suspect", "show", "--case", unknown], new RegExp(`^error: unknown suspect case ${unknown}$`));
    await refusedWithoutChange(
      node,
      ["suspect", "investigate", "--case", unknown, "--from", "0"],
      new RegExp(`^error: SuspectUnknownCase\\(caseId=${unknown}\\)$`),
    );
    await refusedWithoutChange(node, ["suspect", "close", "--case", "0x12", "--from", "0"], /^error: invalid --case "0x12": expected a 0x-prefixed 32-byte id, or its short form 0xabcd…wxyz$/);
  });
});
