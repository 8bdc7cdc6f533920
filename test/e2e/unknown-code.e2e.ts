import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { basketIdOf } from "../../sdk/baskets.js";
import { batchIdOf, unitHashOf } from "../../sdk/codes.js";
import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

// Well-known accounts of `hardhat node` (deploy/parameters/localhost.json): 0 = regulator
// (party 1), 1 = manufacturer (party 2, the product's holder), 2 = wholesaler (party 3),
// 3 = logistics (party 4, a third party), 4 = hospital (party 5), 5 = pharmacy (party 6).
const WHOLESALER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const HOSPITAL = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const PHARMACY = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
/** Account 9, enrolled as the manufacturer's QA to release the batch. */
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const GTIN = "06901234567892";
const NATIONAL_CODE = "8123456";
const LOT = "U2026A";
/** A GTIN with a valid check digit that no party registered. */
const UNREGISTERED = "04006381333931";
const genuine = (i: number) => `(01)${GTIN}(21)G${i}(10)${LOT}(17)280630`;
/** An invented serial of the product, as printed (the lot is the real one). */
const fake = (serial: string) => `(01)${GTIN}(21)${serial}(10)${LOT}(17)280630`;
const canonical = (serial: string, gtin = GTIN) => `01${gtin}21${serial}`;
/** A China drug traceability code whose product code is the product's national code, with an invented serial. */
const CHINA_FAKE = `${NATIONAL_CODE}9999999991234`;

type Entry = Record<string, unknown>;

/** A 32-byte id as human output shortens it. */
const short = (id: string) => `${id.slice(0, 6)}…${id.slice(-4)}`;
type Reports = { scope: string; party: string; reports: Entry[] };

/** The report entry the regulator's list must carry for report `reportNo` (block and transaction checked apart). */
function entry(reportNo: number, code: string, gtin: string | null, holder: string | null, reporter: string, actor: string): Entry {
  return { status: "unknown-code", reportNo: String(reportNo), gtin, codeHash: unitHashOf(code), holder, reporter, actor };
}

/** The entries without their block and transaction, after checking those are a block number and a hash. */
function withoutPlace(reports: Entry[]): Entry[] {
  return reports.map(({ block, transaction, ...rest }) => {
    expect(block).to.be.a("number");
    expect(transaction).to.match(/^0x[0-9a-f]{64}$/);
    return rest;
  });
}

describe("unknown codes reported on chain through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let dir: string;

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "medstate-unknown-"));
    node = await startLocalNode();
    await node.json("system", "deploy");
    await node.json(
      "product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g", "--approval-no", "国药准字H20230001",
      "--national-code", NATIONAL_CODE, "--from", "1",
    );
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
    const units = path.join(dir, "units.txt");
    await writeFile(units, `${[0, 1, 2].map(genuine).join("\n")}\n`);
    await node.json(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
      "--quantity", "3", "--units", units, "--from", "1",
    );
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("reports an invented serial presented at dispensing on chain, prints the report's number and exits 1", async function () {
    const result = await node.run("unit", "dispense", "--code", fake("FAKE001"), "--from", "5", "--json");
    expect(result.code, result.stderr).to.equal(1);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      status: "unknown",
      code: canonical("FAKE001"),
      codeHash: unitHashOf(canonical("FAKE001")),
      gtin: GTIN,
      reportNo: "1",
      reporter: "6",
      holder: "2",
    });
    expect(result.stderr).to.equal(
      `error: unknown unit ${canonical("FAKE001")}: no batch on this chain holds this code; not dispensed, reported as unknown-code report #1\n`,
    );
  });

  it("reports the same code presented again as a new report, in words for people", async function () {
    const result = await node.run("unit", "dispense", "--code", fake("FAKE001"), "--from", "5");
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stdout).to.equal(
      `${canonical("FAKE001")}: UNKNOWN — no batch on this chain holds this code; reported to the regulator and the holder of product ${GTIN} (party 2) ` +
        `as unknown-code report #2 — signed by 0x9965…A4dc (admin of party 6, Kangjian Pharmacy Chain)\n`,
    );
    expect(result.stderr).to.equal(
      `error: unknown unit ${canonical("FAKE001")}: no batch on this chain holds this code; not dispensed, reported as unknown-code report #2\n`,
    );
  });

  it("reports an unknown code at `unit verify --report`, which exits 0; without --report verify writes nothing", async function () {
    const reported = await node.run("unit", "verify", "--code", fake("FAKE002"), "--report", "--from", "2", "--json");
    expect(reported.code, reported.stderr).to.equal(0);
    expect(reported.stderr).to.equal("");
    expect(JSON.parse(reported.stdout)).to.deep.equal({
      status: "unknown",
      code: canonical("FAKE002"),
      codeHash: unitHashOf(canonical("FAKE002")),
      gtin: GTIN,
      reportNo: "3",
      reporter: "3",
      holder: "2",
      batchId: null,
      effectiveState: null,
    });
    const before = await node.rpc<string>("eth_blockNumber");
    expect(await node.json("unit", "verify", "--code", fake("FAKE003"))).to.deep.equal({
      status: "unknown",
      code: fake("FAKE003"),
      batchId: null,
      effectiveState: null,
    });
    // A code a batch holds is verified, not reported, --report or not.
    expect(await node.json("unit", "verify", "--code", genuine(1), "--report", "--from", "2")).to.deep.equal({
      status: "unreleased",
      verdict: "unreleased",
      code: canonical("G1"),
      batchId: batchIdOf(GTIN, LOT),
      index: "1",
      party: null,
      effectiveState: "Marketed",
    });
    expect(await node.rpc<string>("eth_blockNumber")).to.equal(before);
    await refusedWithoutChange(
      node,
      ["unit", "verify", "--code", fake("FAKE003"), "--report"],
      /^error: --report writes to the chain: say who reports with --from \(or set MEDSTATE_FROM\)$/,
    );
  });

  it("names the product of a China code by its national code, and no holder for a GTIN nobody registered", async function () {
    const china = await node.run("unit", "dispense", "--code", CHINA_FAKE, "--from", "4", "--json");
    expect(china.code, china.stderr).to.equal(1);
    expect(JSON.parse(china.stdout)).to.deep.equal({
      status: "unknown",
      code: CHINA_FAKE,
      codeHash: unitHashOf(CHINA_FAKE),
      gtin: GTIN,
      reportNo: "4",
      reporter: "5",
      holder: "2",
    });
    const stranger = await node.run("unit", "dispense", "--code", `(01)${UNREGISTERED}(21)X1`, "--from", "5");
    expect(stranger.code, stranger.stderr).to.equal(1);
    expect(stranger.stdout).to.equal(
      `${canonical("X1", UNREGISTERED)}: UNKNOWN — no batch on this chain holds this code; reported to the regulator ` +
        `(product ${UNREGISTERED} is not registered) as unknown-code report #5 — signed by 0x9965…A4dc (admin of party 6, Kangjian Pharmacy Chain)\n`,
    );
  });

  it("reports a basket's unknown codes in one transaction, sending no basket when no code is genuine", async function () {
    const file = path.join(dir, "basket.txt");
    await writeFile(file, `${fake("FAKE010")}\n# a comment\n${fake("FAKE011")}\n`);
    const result = await node.run("unit", "dispense", "--file", file, "--from", "5", "--json");
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr).to.equal(
      `error: 2 unknown codes, not dispensed, reported as unknown-code reports #6–#7: line 1 ${canonical("FAKE010")}, line 3 ${canonical("FAKE011")}\n`,
    );
    const doc = JSON.parse(result.stdout) as Entry;
    expect(doc.reportTransaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(doc.reportGasUsed).to.match(/^[1-9]\d+$/);
    const line = (n: string, serial: string, reportNo: string) => ({
      line: n,
      code: canonical(serial),
      status: "unknown",
      outcome: "unknown",
      message: `UNKNOWN: no batch on this chain holds this code; reported to the regulator and the holder of product ${GTIN} (party 2) as unknown-code report #${reportNo}`,
      batchId: null,
      index: null,
      codeHash: unitHashOf(canonical(serial)),
      gtin: GTIN,
      reportNo,
      holder: "2",
    });
    expect({ ...doc, reportTransaction: "tx", reportGasUsed: "gas" }).to.deep.equal({
      basketId: null,
      party: null,
      seq: null,
      signer: PHARMACY,
      dispensed: "0",
      suspect: "0",
      refused: "0",
      unknown: "2",
      gasUsed: null,
      transaction: null,
      reportTransaction: "tx",
      reportGasUsed: "gas",
      units: [line("1", "FAKE010", "6"), line("3", "FAKE011", "7")],
    });
  });

  it("lists every unknown-code report for the regulator, the product's for its holder, and none for a third party", async function () {
    const all = [
      entry(1, canonical("FAKE001"), GTIN, "2", "6", PHARMACY),
      entry(2, canonical("FAKE001"), GTIN, "2", "6", PHARMACY),
      entry(3, canonical("FAKE002"), GTIN, "2", "3", WHOLESALER),
      entry(4, CHINA_FAKE, GTIN, "2", "5", HOSPITAL),
      entry(5, canonical("X1", UNREGISTERED), UNREGISTERED, null, "6", PHARMACY),
      entry(6, canonical("FAKE010"), GTIN, "2", "6", PHARMACY),
      entry(7, canonical("FAKE011"), GTIN, "2", "6", PHARMACY),
    ];
    const regulator = await node.json<Reports>("unit", "reports", "--from", "0");
    expect(regulator).to.include({ scope: "all", party: "1" });
    expect(withoutPlace(regulator.reports)).to.deep.equal(all);
    // The holder: its product's reports, not the unregistered GTIN's.
    const holder = await node.json<Reports>("unit", "reports", "--from", "1");
    expect(holder).to.include({ scope: "held", party: "2" });
    expect(withoutPlace(holder.reports)).to.deep.equal(all.filter((e) => e.reportNo !== "5"));
    // A third party (logistics) sees none; the wholesaler sees the one it made.
    expect(await node.json<Reports>("unit", "reports", "--from", "3")).to.deep.equal({ scope: "held", party: "4", reports: [] });
    expect(withoutPlace((await node.json<Reports>("unit", "reports", "--from", "2")).reports)).to.deep.equal([all[2]]);
    // In words: one line per report.
    const human = await node.run("unit", "reports", "--from", "0");
    expect(human.code, human.stderr).to.equal(0);
    const lines = human.stdout.trim().split("\n");
    expect(lines[0]).to.equal("7 reports for every batch and product");
    expect(lines[5]).to.match(
      new RegExp(`^  unknown code #5 ${short(unitHashOf(canonical("X1", UNREGISTERED)))} \\(product ${UNREGISTERED}\\): presented by party 6 \\(Kangjian Pharmacy Chain\\), no batch holds it — block \\d+$`),
    );
    expect(lines[1]).to.match(/^ {2}unknown code #1 0x[0-9a-f]{4}…[0-9a-f]{4} \(product 06901234567892\): presented by party 6 \(Kangjian Pharmacy Chain\), no batch holds it; holder party 2 \(Qiantang Pharmaceutical Co\., Ltd\.\) — block \d+$/);
  });

  it("dispenses a basket's genuine codes and reports its unknown one in a second transaction, exiting 1", async function () {
    const batchId = batchIdOf(GTIN, LOT);
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
    await node.json("batch", "release", "--batch", batchId, "--from", "9");
    const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "3", "--from", "1");
    await node.json("batch", "receive", "--shipment", shipmentId, "--from", "5");
    const file = path.join(dir, "mixed.txt");
    await writeFile(file, `${[genuine(0), fake("FAKE020"), genuine(2)].join("\n")}\n`);
    const result = await node.run("unit", "dispense", "--file", file, "--from", "5", "--json");
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr).to.equal(`error: 1 unknown code, not dispensed, reported as unknown-code report #8: line 2 ${canonical("FAKE020")}\n`);
    const doc = JSON.parse(result.stdout) as Entry;
    expect(doc.transaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(doc.reportTransaction).to.match(/^0x[0-9a-f]{64}$/);
    expect(doc.reportTransaction).to.not.equal(doc.transaction);
    expect(doc.gasUsed).to.match(/^[1-9]\d+$/);
    expect(doc.reportGasUsed).to.match(/^[1-9]\d+$/);
    const dispensed = (line: string, index: number) => ({
      line,
      code: canonical(`G${index}`),
      status: "dispensed",
      outcome: "dispensed",
      message: `dispensed (batch ${short(batchId)}, unit ${index})`,
      batchId,
      index: String(index),
    });
    expect({ ...doc, transaction: "tx", reportTransaction: "rtx", gasUsed: "gas", reportGasUsed: "rgas" }).to.deep.equal({
      basketId: basketIdOf(6n, 0),
      party: "6",
      seq: "0",
      signer: PHARMACY,
      dispensed: "2",
      suspect: "0",
      refused: "0",
      unknown: "1",
      gasUsed: "gas",
      transaction: "tx",
      reportTransaction: "rtx",
      reportGasUsed: "rgas",
      units: [
        dispensed("1", 0),
        {
          line: "2",
          code: canonical("FAKE020"),
          status: "unknown",
          outcome: "unknown",
          message: `UNKNOWN: no batch on this chain holds this code; reported to the regulator and the holder of product ${GTIN} (party 2) as unknown-code report #8`,
          batchId: null,
          index: null,
          codeHash: unitHashOf(canonical("FAKE020")),
          gtin: GTIN,
          reportNo: "8",
          holder: "2",
        },
        dispensed("3", 2),
      ],
    });
    expect(withoutPlace((await node.json<Reports>("unit", "reports", "--from", "1")).reports).at(-1)).to.deep.equal(
      entry(8, canonical("FAKE020"), GTIN, "2", "6", PHARMACY),
    );
  });
});
