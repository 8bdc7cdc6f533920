import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";

import { basketIdOf, palletIdOf } from "../../sdk/baskets.js";
import { batchIdOf, unitHashOf } from "../../sdk/codes.js";
import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

// Well-known accounts of `hardhat node`: 1 = manufacturer admin (party 2), 2 = wholesaler
// admin (party 3), 5 = pharmacy admin (party 6); 9 becomes the manufacturer's QA.
const MANUFACTURER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const WHOLESALER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const PHARMACY = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const GTIN = "06901234567892";
/** Lot LB00 has 400 units; LB01 … LB19 have 10 each: 20 batches, one per pallet line. */
const LOTS = Array.from({ length: 20 }, (_, i) => `LB${String(i).padStart(2, "0")}`);
const UNITS = (lot: string) => (lot === "LB00" ? 400 : 10);
const serial = (lot: string, i: number) => `${lot}S${String(i).padStart(4, "0")}`;
const code = (lot: string, i: number) => `(01)${GTIN}(21)${serial(lot, i)}(10)${lot}(17)280630`;
const canonical = (lot: string, i: number) => `01${GTIN}21${serial(lot, i)}`;
const BATCH = Object.fromEntries(LOTS.map((lot) => [lot, batchIdOf(GTIN, lot)]));
const short = (id: string) => `${id.slice(0, 6)}…${id.slice(-4)}`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface Show {
  held: string;
  inTransit: string;
  dispensed: string;
  holders: { partyId: string; quantity: string }[];
}

describe("baskets and pallets through the CLI against a hardhat node @e2e", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let dir: string;

  /** Writes `name` in this suite's temporary directory and returns its path. */
  async function file(name: string, lines: readonly string[]): Promise<string> {
    const where = path.join(dir, name);
    await writeFile(where, `${lines.join("\n")}\n`);
    return where;
  }

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "medstate-bulk-"));
    node = await startLocalNode();
    await node.json("system", "deploy");
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g", "--approval-no", "国药准字H20230001", "--from", "1");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("creates 20 batches whose unit trees keep the units in serial order, and releases them", async function () {
    for (const lot of LOTS) {
      const units = await file(`units-${lot}.txt`, Array.from({ length: UNITS(lot) }, (_, i) => code(lot, i)));
      const created = await node.json<{ batchId: string; unitsRoot: string; unitCount: string }>(
        "batch", "create", "--gtin", GTIN, "--lot", lot, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
        "--quantity", String(UNITS(lot)), "--units", units, "--from", "1",
      );
      const values = Array.from({ length: UNITS(lot) }, (_, i) => [i, unitHashOf(canonical(lot, i))]);
      const inOrder = StandardMerkleTree.of(values, ["uint256", "bytes32"], { sortLeaves: false });
      expect(created).to.include({ batchId: BATCH[lot], unitsRoot: inOrder.root, unitCount: String(UNITS(lot)) });
      await node.json("observe", "--batch", BATCH[lot], "--point", "inspection", "--result", "normal", "--from", "9");
      expect(await node.json("batch", "release", "--batch", BATCH[lot], "--from", "9")).to.deep.equal({ batchId: BATCH[lot], state: "released" });
    }
    // The proof cache beside the dump proves units of an index-ordered tree.
    expect(await node.json("unit", "verify", "--code", code("LB00", 123))).to.include({ status: "genuine", batchId: BATCH.LB00, index: "123" });
  });

  it("ships a 20-line pallet to the wholesaler, which receives it whole without retyping its lines", async function () {
    const lines = LOTS.map((lot, i) => ({ batchId: BATCH[lot], quantity: lot === "LB00" ? "300" : String(10 - ((i + 2) % 3)) }));
    const linesFile = await file("pallet.txt", [
      "# advance shipping notice 0001",
      ...lines.map((line, i) => (i % 2 === 0 ? `${line.batchId} ${line.quantity}` : `  ${line.batchId}:${line.quantity}  # carton ${i}`)),
      "",
    ]);
    const palletId = palletIdOf(2n, 0);
    expect(await node.json("batch", "ship", "--lines", linesFile, "--to", "3", "--from", "1")).to.deep.equal({
      palletId,
      from: "2",
      to: "3",
      seq: "0",
      signer: MANUFACTURER,
      lines,
    });
    expect(await node.json<Show>("batch", "show", "--batch", BATCH.LB00)).to.include({ held: "100", inTransit: "300" });

    expect(await node.json("batch", "receive", "--pallet", palletId, "--from", "2")).to.deep.equal({
      palletId,
      status: "received",
      from: "2",
      to: "3",
      seq: "0",
      credited: "3",
      signer: WHOLESALER,
      lines: lines.map((line) => ({ ...line, held: line.quantity })),
    });
    for (const [i, lot] of LOTS.entries()) {
      const shown = await node.json<Show>("batch", "show", "--batch", BATCH[lot]);
      const sent = Number(lines[i].quantity);
      expect(shown.inTransit, lot).to.equal("0");
      expect(shown.holders, lot).to.deep.equal(
        sent === UNITS(lot) ? [{ partyId: "3", quantity: String(sent) }] : [{ partyId: "2", quantity: String(UNITS(lot) - sent) }, { partyId: "3", quantity: String(sent) }],
      );
    }
    await refusedWithoutChange(
      node,
      ["batch", "receive", "--pallet", palletId, "--from", "2"],
      new RegExp(`^error: BatchRegistryShipmentClosed\\(shipmentId=${palletId}, status=received\\)$`),
    );
  });

  it("ships pallets on with --line: the sender cancels one, the receiver rejects another and receives a third", async function () {
    const line = `${BATCH.LB00}:250,${BATCH.LB01}:10`;
    const shipped = await node.run("batch", "ship", "--line", line, "--to", "6", "--from", "2");
    expect(shipped.code, shipped.stderr).to.equal(0);
    const first = palletIdOf(3n, 0);
    expect(shipped.stdout.trimEnd().split("\n")).to.deep.equal([
      `pallet ${short(first)} (party 3's pallet #0), signed by ${WHOLESALER}: 2 lines from party 3 (Xihu Pharma Distribution Co., Ltd.) to party 6 (Kangjian Pharmacy Chain), in transit`,
      `  line 1  ${short(BATCH.LB00)}  250`,
      `  line 2  ${short(BATCH.LB01)}   10`,
    ]);
    await refusedWithoutChange(
      node,
      ["batch", "cancel", "--pallet", first, "--from", "5"],
      new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${first}, party=6\\)$`),
    );
    const cancelled = await node.run("batch", "cancel", "--pallet", first, "--from", "2");
    expect(cancelled.code, cancelled.stderr).to.equal(0);
    expect(cancelled.stdout.trimEnd().split("\n")).to.deep.equal([
      `pallet ${short(first)} cancelled (party 3's pallet #0 to party 6 (Kangjian Pharmacy Chain)), signed by ${WHOLESALER}: 2 lines credited to party 3 (Xihu Pharma Distribution Co., Ltd.)`,
      `  line 1  ${short(BATCH.LB00)}  250  → party 3 (Xihu Pharma Distribution Co., Ltd.) holds 300`,
      `  line 2  ${short(BATCH.LB01)}   10  → party 3 (Xihu Pharma Distribution Co., Ltd.) holds 10`,
    ]);

    const second = (await node.json<{ palletId: string }>("batch", "ship", "--line", line, "--to", "6", "--from", "2")).palletId;
    expect(second).to.equal(palletIdOf(3n, 1));
    await refusedWithoutChange(
      node,
      ["batch", "reject", "--pallet", second, "--from", "2"],
      new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${second}, party=3\\)$`),
    );
    expect(await node.json("batch", "reject", "--pallet", second, "--from", "5")).to.deep.equal({
      palletId: second,
      status: "rejected",
      from: "3",
      to: "6",
      seq: "1",
      credited: "3",
      signer: PHARMACY,
      lines: [
        { batchId: BATCH.LB00, quantity: "250", held: "300" },
        { batchId: BATCH.LB01, quantity: "10", held: "10" },
      ],
    });

    const third = (await node.json<{ palletId: string }>("batch", "ship", "--line", line, "--to", "6", "--from", "2")).palletId;
    expect(await node.json("batch", "receive", "--pallet", third, "--from", "5")).to.include({ status: "received", credited: "6", seq: "2" });
    expect((await node.json<Show>("batch", "show", "--batch", BATCH.LB00)).holders).to.deep.equal([
      { partyId: "2", quantity: "100" },
      { partyId: "3", quantity: "50" },
      { partyId: "6", quantity: "250" },
    ]);
    expect((await node.json<Show>("batch", "show", "--batch", BATCH.LB01)).holders).to.deep.equal([{ partyId: "6", quantity: "10" }]);
  });

  it("dispenses a 100-unit basket with two clones: they come back SUSPECT, the other 98 are dispensed", async function () {
    for (const i of [5, 77]) {
      expect(await node.json("unit", "dispense", "--code", code("LB00", i), "--from", "5")).to.include({ status: "dispensed", index: String(i) });
    }
    const codes = await file("basket-1.txt", ["# counter 3, 14:02", ...Array.from({ length: 100 }, (_, i) => code("LB00", i)), ""]);
    const result = await node.run("unit", "dispense", "--file", codes, "--from", "5");
    // As for a single code, a suspect unit is an alarm: exit code 1 and a line on stderr,
    // though the basket's transaction went through.
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr).to.equal(
      `error: 2 suspect units in basket ${basketIdOf(6n, 0)}: line 7 ${canonical("LB00", 5)}, line 79 ${canonical("LB00", 77)}\n`,
    );
    const out = result.stdout.trimEnd().split("\n");
    expect(out).to.have.length(101);
    const basketId = basketIdOf(6n, 0);
    out.slice(0, 100).forEach((row, i) => {
      const head = `line ${String(i + 2).padStart(3)}  ${canonical("LB00", i)}  `;
      if (i === 5 || i === 77) {
        const reportNo = i === 5 ? 1 : 2;
        expect(row).to.match(
          new RegExp(
            `^${escape(`! ${head}SUSPECT: already dispensed by party 6 (Kangjian Pharmacy Chain); reported to the regulator as suspect #${reportNo} of batch ${short(BATCH.LB00)}; suspect case `)}\\S+ opened$`,
          ),
        );
      } else {
        expect(row).to.equal(`  ${head}dispensed (batch ${short(BATCH.LB00)}, unit ${i})`);
      }
    });
    expect(out[100]).to.match(
      new RegExp(
        `^basket ${short(basketId)} \\(party 6's basket #0\\), signed by ${PHARMACY}: 98 dispensed, 2 suspect, 0 refused, 0 unknown; gas [1-9]\\d+\\. ` +
          escape("The transaction went through, but 2 units are SUSPECT (not active: a clone or a diverted box), reported to the regulator, each with a suspect case: set them aside.") +
          "$",
      ),
    );
    const shown = await node.json<Show & { dispensers: { partyId: string; dispensed: string }[] }>("batch", "show", "--batch", BATCH.LB00);
    expect(shown).to.include({ dispensed: "100" });
    expect(shown.dispensers).to.deep.equal([{ partyId: "6", dispensed: "100" }]);
    expect(shown.holders.find((h) => h.partyId === "6")).to.deep.equal({ partyId: "6", quantity: "150" });
    expect(await node.json("unit", "verify", "--code", code("LB00", 50))).to.include({ status: "dispensed", index: "50" });
    // A single dispense of a basket unit's clone names the basket's party too, not party 0.
    const single = await node.run("unit", "dispense", "--code", code("LB00", 60), "--from", "5", "--json");
    expect(single.code, single.stderr).to.equal(1);
    expect(JSON.parse(single.stdout)).to.include({ status: "suspect", index: "60", previous: "dispensed", recordedParty: "6", reportNo: "3" });
  });

  it("prints a basket's results as one JSON document in the file's order, with a refusal and an unknown code", async function () {
    for (const i of [150, 160]) await node.json("unit", "dispense", "--code", code("LB00", i), "--from", "5");
    const unknown = `(01)${GTIN}(21)NOTINBATCH(10)LB00(17)280630`;
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => code("LB01", i)),
      unknown,
      ...Array.from({ length: 90 }, (_, i) => code("LB00", 100 + i)),
      code("LB02", 0),
      // Dispensed in basket 0: its record names party 0, the logs name party 6.
      code("LB00", 50),
    ];
    const codes = await file("basket-2.txt", rows);
    const result = await node.run("unit", "dispense", "--file", codes, "--from", "5", "--json");
    expect(result.code, result.stderr).to.equal(1);
    // The unknown code is not dispensed: it is reported on chain after the basket, in a transaction of its own.
    expect(result.stderr).to.equal(
      `error: 3 suspect units in basket ${basketIdOf(6n, 1)}: line 62 ${canonical("LB00", 150)}, line 72 ${canonical("LB00", 160)}, line 103 ${canonical("LB00", 50)}; ` +
        `1 unknown code, not dispensed, reported as unknown-code report #1: line 11 01${GTIN}21NOTINBATCH\n`,
    );
    const doc = JSON.parse(result.stdout) as Record<string, unknown> & { units: Record<string, unknown>[] };
    expect(doc).to.include({
      basketId: basketIdOf(6n, 1),
      party: "6",
      seq: "1",
      signer: PHARMACY,
      dispensed: "98",
      suspect: "3",
      refused: "1",
      unknown: "1",
    });
    expect(doc.gasUsed).to.match(/^[1-9]\d+$/);
    expect(doc.transaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(doc.reportTransaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(doc.reportTransaction).to.not.equal(doc.transaction);
    expect(doc.reportGasUsed).to.match(/^[1-9]\d+$/);
    expect(doc.units).to.have.length(103);
    expect(doc.units[0]).to.deep.equal({
      line: "1",
      code: canonical("LB01", 0),
      status: "dispensed",
      outcome: "dispensed",
      message: `dispensed (batch ${short(BATCH.LB01)}, unit 0)`,
      batchId: BATCH.LB01,
      index: "0",
    });
    expect(doc.units[10]).to.deep.equal({
      line: "11",
      code: `01${GTIN}21NOTINBATCH`,
      status: "unknown",
      outcome: "unknown",
      message: "UNKNOWN: no batch on this chain holds this code; reported to the regulator and the holder of product 06901234567892 (party 2) as unknown-code report #1",
      batchId: null,
      index: null,
      codeHash: unitHashOf(`01${GTIN}21NOTINBATCH`),
      gtin: GTIN,
      reportNo: "1",
      holder: "2",
    });
    const caseOf = (u: Record<string, unknown>) => String(u.caseId);
    expect(doc.units[11 + 50]).to.deep.equal({
      line: "62",
      code: canonical("LB00", 150),
      status: "suspect",
      outcome: "suspect",
      message: `SUSPECT: already dispensed by party 6; reported to the regulator as suspect #5 of batch ${short(BATCH.LB00)}; suspect case ${caseOf(doc.units[61])} opened`,
      batchId: BATCH.LB00,
      index: "150",
      previous: "dispensed",
      recordedParty: "6",
      reportNo: "5",
      caseId: caseOf(doc.units[61]),
    });
    expect(doc.units[61].caseId).to.be.a("string").and.not.equal(doc.units[71].caseId);
    // A clone of a basket-dispensed unit: the record says party 0; the task names the basket's
    // party. (Reports are numbered in the basket's order: unit 50 comes before 150 and 160.)
    expect(doc.units[102]).to.include({ index: "50", status: "suspect", previous: "dispensed", recordedParty: "6", reportNo: "4" });
    expect(doc.units[11 + 60]).to.include({ index: "160", status: "suspect", reportNo: "6" });
    expect(doc.units[101]).to.deep.equal({
      line: "102",
      code: canonical("LB02", 0),
      status: "refused",
      outcome: "no-stock",
      message: "refused: your party holds no more available stock of the batch",
      batchId: BATCH.LB02,
      index: "0",
    });
    const expected = rows.map((_, k) => (k === 10 ? "unknown" : k === 61 || k === 71 || k === 102 ? "suspect" : k === 101 ? "refused" : "dispensed"));
    expect(doc.units.map((u) => u.status)).to.deep.equal(expected);
    expect(doc.units.map((u) => u.line)).to.deep.equal(rows.map((_, k) => String(k + 1)));

    expect((await node.json<Show>("batch", "show", "--batch", BATCH.LB01)).dispensed).to.equal("10");
    const lb00 = await node.json<Show>("batch", "show", "--batch", BATCH.LB00);
    expect(lb00.dispensed).to.equal("190");
    expect(lb00.holders.find((h) => h.partyId === "6")).to.deep.equal({ partyId: "6", quantity: "60" });
  });

  it("refuses bad input with one line and exit code 1, sending nothing, but reports a file of unknown codes", async function () {
    const missing = path.join(dir, "no-such-file.txt");
    await refusedWithoutChange(node, ["unit", "dispense", "--file", missing, "--from", "5"], new RegExp(`^error: cannot read code file "${escape(missing)}"$`));
    const tooMany = await file("too-many.txt", Array.from({ length: 257 }, (_, i) => code("LB00", i)));
    await refusedWithoutChange(
      node,
      ["unit", "dispense", "--file", tooMany, "--from", "5"],
      new RegExp(`^error: ${escape(tooMany)}: a basket holds 1 to 256 units, and this file lists 257$`),
    );
    const malformed = await file("malformed.txt", [code("LB00", 300), "(01)06901234567893(21)X1", code("LB00", 301)]);
    await refusedWithoutChange(node, ["unit", "dispense", "--file", malformed, "--from", "5"], new RegExp(`^error: ${escape(malformed)} line 2: .*GTIN.*$`));
    const twice = await file("twice.txt", [code("LB00", 300), "", code("LB00", 300)]);
    await refusedWithoutChange(
      node,
      ["unit", "dispense", "--file", twice, "--from", "5"],
      new RegExp(`^error: ${escape(twice)} line 3: unit ${canonical("LB00", 300)} is already on line 1$`),
    );
    // Codes no batch holds are not refused: no basket is sent, and they are reported as unknown codes in one transaction.
    const strangers = await file("strangers.txt", [`(01)${GTIN}(21)NOPE1`, `(01)${GTIN}(21)NOPE2`]);
    const reported = await node.run("unit", "dispense", "--file", strangers, "--from", "5", "--json");
    expect(reported.code, reported.stderr).to.equal(1);
    expect(reported.stderr).to.equal(
      `error: 2 unknown codes, not dispensed, reported as unknown-code reports #2–#3: line 1 01${GTIN}21NOPE1, line 2 01${GTIN}21NOPE2\n`,
    );
    const strangerDoc = JSON.parse(reported.stdout) as Record<string, unknown> & { units: Record<string, unknown>[] };
    expect(strangerDoc).to.include({ basketId: null, transaction: null, dispensed: "0", unknown: "2" });
    expect(strangerDoc.reportTransaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(strangerDoc.units.map((u) => [u.line, u.status, u.outcome, u.reportNo, u.codeHash])).to.deep.equal([
      ["1", "unknown", "unknown", "2", unitHashOf(`01${GTIN}21NOPE1`)],
      ["2", "unknown", "unknown", "3", unitHashOf(`01${GTIN}21NOPE2`)],
    ]);
    await refusedWithoutChange(
      node,
      ["unit", "dispense", "--file", malformed, "--code", code("LB00", 300), "--from", "5"],
      /^error: give --code \(one box\) or --file \(a basket\), not both$/,
    );

    const badBatch = await file("bad-batch.txt", [`${BATCH.LB00} 5`, "0x12 5"]);
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--lines", badBatch, "--to", "6", "--from", "2"],
      new RegExp(`^error: ${escape(badBatch)} line 2: invalid batch "0x12": expected a 0x-prefixed 32-byte id or GTIN/LOT$`),
    );
    const badLine = await file("bad-line.txt", [`${BATCH.LB00} 5 pallets`]);
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--lines", badLine, "--to", "6", "--from", "2"],
      new RegExp(`^error: ${escape(badLine)} line 1: expected "BATCH QTY" or "BATCH:QTY", got "${BATCH.LB00} 5 pallets"$`),
    );
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--line", `${BATCH.LB00}:0`, "--to", "6", "--from", "2"],
      /^error: --line entry 1: invalid quantity "0": expected a positive integer below 281474976710656$/,
    );
    const tooLong = await file("too-long.txt", Array.from({ length: 257 }, () => `${BATCH.LB00}:1`));
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--lines", tooLong, "--to", "6", "--from", "2"],
      /^error: a pallet holds 1 to 256 lines, not 257$/,
    );
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--lines", path.join(dir, "no-lines.txt"), "--to", "6", "--from", "2"],
      /^error: cannot read lines file ".*no-lines\.txt"$/,
    );
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--line", `${BATCH.LB00}:1`, "--batch", BATCH.LB00, "--to", "6", "--from", "2"],
      /^error: give --batch and --quantity \(one shipment\) or --lines\/--line \(a pallet\), not both$/,
    );
    // The whole pallet is refused when one line cannot be shipped.
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--line", `${BATCH.LB00}:50,${BATCH.LB01}:1`, "--to", "6", "--from", "2"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${BATCH.LB01}, party=3, available=0, requested=1\\): party 3 has 0 units of the batch available \\(held, less its locked units\\), fewer than the 1 requested$`),
    );
    const nowhere = `0x${"ab".repeat(32)}`;
    await refusedWithoutChange(node, ["batch", "receive", "--pallet", nowhere, "--from", "5"], new RegExp(`^error: unknown pallet ${nowhere}$`));
    await refusedWithoutChange(
      node,
      ["batch", "cancel", "--pallet", nowhere, "--shipment", nowhere, "--from", "2"],
      /^error: give --shipment or --pallet, not both$/,
    );
  });
});
