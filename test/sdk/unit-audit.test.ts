import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { batchIdOf } from "../../sdk/codes.js";
import { type CommittedBatch, auditUnitLists, committedBatches } from "../../sdk/unit-audit.js";
import { buildUnitTree, saveUnitDump } from "../../sdk/units.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN as GTIN_NUMBER, LOT as LOT1, UNITS } from "../helpers/quality.js";
import { UnitTree } from "../helpers/supply.js";
import { LOT2, auditedChain } from "./replay.fixtures.js";

const GTIN = "06901234567892";
const sgtin = (serial: string) => `01${GTIN}21${serial}`;
const serials = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => sgtin(`${prefix}${i}`));
const ZERO = `0x${"0".repeat(64)}`;

/** A batch committing `codes`, with their dump saved in `dir` (under its root's name, or `name`). */
async function committed(dir: string, lot: string, codes: string[], name?: string): Promise<{ batch: CommittedBatch; file: string }> {
  const { root } = await buildUnitTree(codes);
  const saved = await saveUnitDump(dir, { root, gtin: GTIN, lot, codes });
  let file = saved;
  if (name !== undefined) {
    file = path.join(dir, name);
    await copyFile(saved, file);
    await rm(saved);
  }
  return { batch: { batchId: batchIdOf(GTIN, lot), gtin: GTIN, lot, unitsRoot: root, unitCount: BigInt(codes.length) }, file };
}

describe("sdk/unit-audit", function () {
  this.timeout(120_000);
  let work: string;

  beforeEach(async function () {
    work = await mkdtemp(path.join(tmpdir(), "medstate-unit-audit-"));
  });

  afterEach(async function () {
    await rm(work, { recursive: true, force: true });
  });

  describe("auditUnitLists", function () {
    it("flags a code two batches commit, from lists in several directories, whatever the files' names", async function () {
      const own = path.join(work, "units");
      const published = path.join(work, "published");
      await mkdir(own);
      await mkdir(published);
      const a = await committed(own, "A", serials(8, "S"));
      // B reuses A's unit 5 as its unit 2; its list was published under a name of the maker's choosing.
      const b = await committed(published, "B", [...serials(2, "T"), sgtin("S5"), sgtin("T9")], "maker-b.json");
      const clean = await committed(own, "C", serials(3, "U"));
      const audit = await auditUnitLists({ batches: [a.batch, b.batch, clean.batch], dirs: [own, published] });
      expect(audit).to.deep.equal({
        batches: 3,
        lists: 3,
        units: 15,
        duplicates: [
          {
            unitHash: ethers.id(sgtin("S5")),
            code: sgtin("S5"),
            batches: [
              { batchId: a.batch.batchId, gtin: GTIN, lot: "A", index: 5 },
              { batchId: b.batch.batchId, gtin: GTIN, lot: "B", index: 2 },
            ],
          },
        ],
        unmatched: [],
        unlisted: [],
      });
    });

    it("flags every unit of two batches that commit the same list (one root, one file)", async function () {
      const a = await committed(work, "A", serials(2, "S"));
      const twin = { ...a.batch, batchId: batchIdOf(GTIN, "A2"), lot: "A2" };
      const audit = await auditUnitLists({ batches: [a.batch, twin], dirs: [work] });
      expect(audit.lists).to.equal(1);
      expect(audit.units).to.equal(4);
      expect(audit.duplicates.map((d) => [d.code, d.batches.map((x) => `${x.lot}#${x.index}`)])).to.deep.equal([
        [sgtin("S0"), ["A#0", "A2#0"]],
        [sgtin("S1"), ["A#1", "A2#1"]],
      ]);
    });

    it("uses only lists whose rebuilt root a batch commits to; says why it left each other file out, and which batches it could not check", async function () {
      const a = await committed(work, "A", serials(4, "S"));
      // A copy of A's list, a list no batch commits to, an altered list, a JSON file that is not a list.
      const copy = path.join(work, "zz-copy.json");
      await copyFile(a.file, copy);
      const stray = await committed(work, "STRAY", serials(3, "V"));
      const altered = await committed(work, "D", [...serials(3, "W"), sgtin("S1")]);
      await writeFile(altered.file, (await readFile(altered.file, "utf8")).replace(sgtin("S1"), sgtin("W7")));
      const { root: rebuilt } = await buildUnitTree([...serials(3, "W"), sgtin("W7")]);
      const notes = path.join(work, "notes.json");
      await writeFile(notes, JSON.stringify({ note: "not a unit list" }));
      const noUnits: CommittedBatch = { batchId: batchIdOf(GTIN, "E"), gtin: GTIN, lot: "E", unitsRoot: ZERO, unitCount: 0n };
      const audit = await auditUnitLists({ batches: [a.batch, altered.batch, noUnits], dirs: [work, path.join(work, "absent")] });
      expect(audit.duplicates).to.deep.equal([]);
      expect(audit).to.deep.include({ batches: 3, lists: 1, units: 4 });
      const byFile = new Map(audit.unmatched.map((u) => [u.file, u]));
      expect(audit.unmatched).to.have.length(4);
      expect(byFile.get(copy)).to.deep.equal({ file: copy, root: a.batch.unitsRoot, gtin: GTIN, lot: "A", reason: `the same root as ${a.file}, checked already` });
      expect(byFile.get(stray.file)).to.deep.equal({
        file: stray.file,
        root: stray.batch.unitsRoot,
        gtin: GTIN,
        lot: "STRAY",
        reason: "no batch on chain commits to its root",
      });
      expect(byFile.get(altered.file)).to.deep.equal({
        file: altered.file,
        root: altered.batch.unitsRoot,
        gtin: GTIN,
        lot: "D",
        reason: `unit list ${altered.file} was altered: its units give root ${rebuilt}, not ${altered.batch.unitsRoot}`,
      });
      expect(byFile.get(notes)).to.deep.equal({ file: notes, root: null, gtin: null, lot: null, reason: "not a unit list (medstate-units-v1)" });
      // The altered list's batch could not be checked; the batch with no units needs no list.
      expect(audit.unlisted).to.deep.equal([altered.batch]);
    });
  });

  describe("committedBatches", function () {
    it("lists every batch created on chain, in order, with its units commitment", async function () {
      const c = await networkHelpers.loadFixture(auditedChain);
      const batches = await committedBatches(ethers.provider, await c.batchRegistry.getAddress(), 0);
      expect(batches).to.deep.equal([
        {
          batchId: c.batchId.toLowerCase(),
          gtin: GTIN_NUMBER.toString().padStart(14, "0"),
          lot: LOT1,
          unitsRoot: UnitTree.sequential(GTIN_NUMBER, UNITS).root,
          unitCount: BigInt(UNITS),
        },
        { batchId: c.batch2.toLowerCase(), gtin: GTIN_NUMBER.toString().padStart(14, "0"), lot: LOT2, unitsRoot: ZERO, unitCount: 0n },
      ]);
    });
  });
});
