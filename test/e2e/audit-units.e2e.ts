import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { id } from "ethers";

import { type LocalNode, expectRefusal, startLocalNode } from "../helpers/cli.js";

// Localhost founders: account 0 is the regulator's admin (party 1), account 1 the manufacturer's (party 2).
const GTIN = "06901234567892";
const code = (lot: string, serial: string) => `(01)${GTIN}(21)${serial}(10)${lot}(17)280630`;
const canonical = (serial: string) => `01${GTIN}21${serial}`;
const serial = (i: number) => `V${String(i).padStart(6, "0")}`;

interface Audit {
  chainId: string;
  batches: string;
  lists: string;
  units: string;
  duplicates: { unitHash: string; code: string | null; batches: { batchId: string; gtin: string; lot: string; index: string }[] }[];
  unmatched: { file: string; root: string | null; reason: string }[];
  unlisted: { batchId: string; lot: string; unitCount: string }[];
}

describe("audit units: a unit code committed to two batches, through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let dir: string;
  const batchIds: Record<string, string> = {};

  /** Creates lot `lot` of 20 with these serials; returns its dump's path. */
  async function create(lot: string, serials: string[]): Promise<string> {
    const units = path.join(dir, `${lot}.txt`);
    await writeFile(units, `${serials.map((s) => code(lot, s)).join("\n")}\n`);
    const created = await node.json<{ batchId: string; dump: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", lot, "--manufactured", "2026-11-01", "--expiry", "2028-06-30",
      "--quantity", "20", "--units", units, "--from", "1",
    );
    batchIds[lot] = created.batchId;
    return created.dump;
  }

  before(async function () {
    node = await startLocalNode();
    dir = await mkdtemp(path.join(tmpdir(), "medstate-audit-units-"));
    await node.json("system", "deploy");
    await node.json("product", "register", "--gtin", GTIN, "--name", "Influenza vaccine", "--approval-no", "国药准字S20260009", "--from", "1");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
    await create("LOTA", Array.from({ length: 10 }, (_, i) => serial(i)));
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 on a chain where no unit is committed twice", async function () {
    const audit = await node.json<Audit>("audit", "units");
    expect(audit).to.deep.equal({ chainId: "31337", batches: "1", lists: "1", units: "10", duplicates: [], unmatched: [], unlisted: [] });
    const human = await node.run("audit", "units");
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stderr).to.equal("");
    expect(human.stdout).to.equal("checked 10 units of 1 unit list against 1 batch on chain 31337: no unit is committed to more than one batch\n");
  });

  it("flags a code a maker committed to a second batch: the unit, its code, both batches with their index; exit 1 and one line on stderr", async function () {
    // Lot B's second unit is lot A's unit 3 (the SGTIN carries no lot: it is the same unit hash).
    await create("LOTB", ["B000000", serial(3), "B000002"]);
    const result = await node.run("audit", "units", "--json");
    expect(result.code).to.equal(1);
    const audit = JSON.parse(result.stdout) as Audit;
    const duplicate = {
      unitHash: id(canonical(serial(3))),
      code: canonical(serial(3)),
      batches: [
        { batchId: batchIds.LOTA, gtin: GTIN, lot: "LOTA", index: "3" },
        { batchId: batchIds.LOTB, gtin: GTIN, lot: "LOTB", index: "1" },
      ],
    };
    expect(audit).to.deep.equal({ chainId: "31337", batches: "2", lists: "2", units: "13", duplicates: [duplicate], unmatched: [], unlisted: [] });
    expect(result.stderr).to.equal(
      `error: 1 unit committed to more than one batch (first: ${duplicate.unitHash} in ${GTIN}/LOTA #3 and ${GTIN}/LOTB #1)\n`,
    );

    const human = await node.run("audit", "units");
    expect(human.code).to.equal(1);
    expect(human.stdout).to.equal(
      "checked 13 units of 2 unit lists against 2 batches on chain 31337: 1 unit committed to more than one batch\n" +
        `unit ${duplicate.unitHash.slice(0, 6)}…${duplicate.unitHash.slice(-4)} (${duplicate.code}) committed to 2 batches: ` +
        `${GTIN}/LOTA (${batchIds.LOTA.slice(0, 6)}…${batchIds.LOTA.slice(-4)}) #3, ${GTIN}/LOTB (${batchIds.LOTB.slice(0, 6)}…${batchIds.LOTB.slice(-4)}) #1\n`,
    );
    expect(human.stderr.trim().split("\n")).to.have.length(1);
  });

  it("checks the lists published in --units-dir too, and says which batches it could not check without them", async function () {
    // Lot C reuses lot A's unit 7; its list is only in a directory the maker published (under its own name).
    const dump = await create("LOTC", [serial(7), "C000001"]);
    const published = path.join(dir, "published");
    await mkdir(published);
    await rename(dump, path.join(published, "lot-c.json"));

    const without = await node.run("audit", "units", "--json");
    expect(without.code).to.equal(1);
    const partial = JSON.parse(without.stdout) as Audit;
    expect(partial.duplicates.map((d) => d.code)).to.deep.equal([canonical(serial(3))]);
    expect(partial.unlisted.map((b) => [b.batchId, b.lot, b.unitCount])).to.deep.equal([[batchIds.LOTC, "LOTC", "2"]]);

    const withDir = await node.run("audit", "units", "--units-dir", published, "--json");
    expect(withDir.code).to.equal(1);
    const full = JSON.parse(withDir.stdout) as Audit;
    expect(full).to.deep.include({ batches: "3", lists: "3", units: "15", unmatched: [], unlisted: [] });
    expect(full.duplicates.map((d) => [d.code, d.batches.map((b) => `${b.lot}#${b.index}`)])).to.deep.equal([
      [canonical(serial(3)), ["LOTA#3", "LOTB#1"]],
      [canonical(serial(7)), ["LOTA#7", "LOTC#0"]],
    ]);
    expect(withDir.stderr).to.match(/^error: 2 units committed to more than one batch \(first: 0x[0-9a-f]{64} in \d{14}\/LOTA #3 and \d{14}\/LOTB #1\)\n$/);
  });

  it("refuses a --units-dir that is not a directory, in one line", async function () {
    const missing = path.join(dir, "nowhere");
    expectRefusal(await node.run("audit", "units", "--units-dir", missing), new RegExp(`^error: invalid --units-dir "${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}": not a directory$`));
  });
});
