import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";

import { batchIdOf, unitLeaf } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import {
  UNIT_LEAF_ENCODING,
  buildUnitTree,
  findDuplicateUnits,
  findUnit,
  loadUnitDump,
  parseUnitLines,
  proofFor,
  readUnitCodes,
  readUnitFile,
  readUnitList,
  saveUnitDump,
  verifyUnitProof,
} from "../../sdk/units.js";

const GTIN = "06901234567892";
const LOT = "LOT-7";
const sgtin = (serial: string) => `01${GTIN}21${serial}`;
const serials = (n: number, prefix = "S") => Array.from({ length: n }, (_, i) => sgtin(`${prefix}${i}`));
const hashOf = (text: string) => keccak256(toUtf8Bytes(text));

/** What OpenZeppelin's own library builds from the same values. */
function reference(codes: string[]): StandardMerkleTree<[number, string]> {
  return StandardMerkleTree.of(
    codes.map((code, i) => [i, code.startsWith("0x") ? code : hashOf(code)] as [number, string]),
    ["uint256", "bytes32"],
  );
}

async function expectUserError(promise: Promise<unknown>, message: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(UserError);
    expect((error as Error).message).to.equal(message);
    return;
  }
  expect.fail(`expected a UserError: ${message}`);
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "medstate-units-"));
}

describe("sdk/units", function () {
  this.timeout(120_000);

  describe("buildUnitTree", function () {
    const codes = serials(3000);
    let oz: StandardMerkleTree<[number, string]>;
    let ozProofs: string[][];
    before(function () {
      oz = reference(codes);
      ozProofs = codes.map((_, i) => oz.getProof(i));
    });

    for (const threads of [0, 2]) {
      it(`equals StandardMerkleTree.of: root, dump and every proof (${threads} worker threads)`, async function () {
        const { root, count, tree } = await buildUnitTree(codes, { threads });
        expect(root).to.equal(oz.root);
        expect(count).to.equal(codes.length);
        expect(tree.dump()).to.deep.equal(oz.dump());
        for (let i = 0; i < codes.length; i++) {
          const unit = proofFor(tree, i);
          expect(unit.unitHash).to.equal(hashOf(codes[i]));
          expect(unit.proof).to.deep.equal(ozProofs[i]);
          expect(StandardMerkleTree.verify(root, UNIT_LEAF_ENCODING, [i, unit.unitHash], unit.proof), `unit ${i}`).to.equal(true);
        }
      });
    }

    it("matches for every size from 1 to 40, mixing codes and unit hashes", async function () {
      for (let n = 1; n <= 40; n++) {
        const mixed = serials(n, `N${n}-`).map((code, i) => (i % 3 === 0 ? hashOf(code) : code));
        const { root, tree } = await buildUnitTree(mixed);
        const expected = reference(mixed);
        expect(root, `n = ${n}`).to.equal(expected.root);
        for (let i = 0; i < n; i++) expect(tree.proof(i)).to.deep.equal(expected.getProof(i));
      }
    });

    it("gives the leaf unitLeaf computes and loads into OpenZeppelin's class", async function () {
      const { root, tree } = await buildUnitTree(serials(5));
      expect(tree.leaf(3)).to.equal(unitLeaf(3, hashOf(sgtin("S3"))));
      const standard = tree.toStandardMerkleTree();
      expect(standard.root).to.equal(root);
      expect(standard.getProof([4, hashOf(sgtin("S4"))])).to.deep.equal(tree.proof(4));
      expect(verifyUnitProof(root, proofFor(tree, 2))).to.equal(true);
      expect(verifyUnitProof(root, { ...proofFor(tree, 2), index: 1 })).to.equal(false);
    });

    it("reports progress up to 2n − 1 hashing steps", async function () {
      const calls: [number, number][] = [];
      await buildUnitTree(serials(100), { onProgress: (done, total) => calls.push([done, total]) });
      expect(calls.at(-1)).to.deep.equal([199, 199]);
    });

    it("refuses a duplicate unit, naming both lines", async function () {
      const dup = [...serials(10), sgtin("S3"), sgtin("S7")];
      await expectUserError(buildUnitTree(dup), `duplicate unit "${sgtin("S3")}" on lines 4 and 11`);
      await expectUserError(buildUnitTree(dup, { threads: 2 }), `duplicate unit "${sgtin("S3")}" on lines 4 and 11`);
      const lines = Uint32Array.from(dup, (_, i) => 100 + 2 * i);
      await expectUserError(buildUnitTree(dup, { lines }), `duplicate unit "${sgtin("S3")}" on lines 106 and 120`);
      // a code and its own hash are the same unit
      await expectUserError(
        buildUnitTree([sgtin("A"), hashOf(sgtin("A"))]),
        `duplicate unit "${hashOf(sgtin("A"))}" on lines 1 and 2`,
      );
    });

    it("refuses an empty batch and codes not in canonical form", async function () {
      await expectUserError(buildUnitTree([]), "a batch needs at least one unit");
      await expectUserError(
        buildUnitTree([sgtin("A"), "(01)06901234567892(21)B"]),
        `line 2: "(01)06901234567892(21)B" is not in canonical form; write it as "${sgtin("B")}"`,
      );
      await expectUserError(
        buildUnitTree(["0106901234567893" + "21A"]),
        'line 1: invalid GS1 code "010690123456789321A": GTIN check digit is 3, expected 2',
      );
    });

    it("refuses an index out of range", async function () {
      const { tree } = await buildUnitTree(serials(3));
      expect(() => proofFor(tree, 3)).to.throw(UserError, "unit index 3 is out of range: the batch has 3 units");
      expect(() => proofFor(tree, -1)).to.throw(UserError, "unit index -1 is out of range");
    });
  });

  describe("readUnitFile", function () {
    it("reads one code per line in any syntax, skipping blanks and comments", async function () {
      const dir = await tempDir();
      const file = path.join(dir, "units.txt");
      await writeFile(
        file,
        [
          "# batch LOT-7",
          `(01)${GTIN}(21)A1(10)${LOT}(17)261231`,
          "",
          `]d201${GTIN}21A2\x1d10${LOT}\x1d17261231  # scanned`,
          `01${GTIN}21A3`,
          "   ",
        ].join("\r\n"),
      );
      const progress: [number, number][] = [];
      const read = await readUnitFile(file, {
        batch: { gtin: GTIN, lot: LOT, expiry: "2026-12-31" },
        onProgress: (d, t) => progress.push([d, t]),
      });
      expect(read.codes).to.deep.equal([sgtin("A1"), sgtin("A2"), sgtin("A3")]);
      expect(Array.from(read.lines)).to.deep.equal([2, 4, 5]);
      expect(progress.at(-1)).to.deep.equal([6, 6]);
    });

    it("names the line of a bad code or one from another batch", function () {
      expect(() => parseUnitLines(`${sgtin("A")}\n(01)${GTIN}(21)B(17)261301`)).to.throw(
        UserError,
        `unit file line 2: invalid GS1 code "(01)${GTIN}(21)B(17)261301": expiry date (17) "261301" has month 13`,
      );
      expect(() => parseUnitLines(`${sgtin("A")}\n(01)04006381333931(21)B`, { batch: { gtin: GTIN } })).to.throw(
        UserError,
        `unit file line 2: GTIN 04006381333931 is not the batch's GTIN ${GTIN}`,
      );
      expect(() => parseUnitLines(`(01)${GTIN}(21)B(10)OTHER`, { batch: { lot: LOT } })).to.throw(
        UserError,
        `unit file line 1: lot "OTHER" is not the batch's lot "${LOT}"`,
      );
      expect(() => parseUnitLines(`(01)${GTIN}(21)B(17)270101`, { batch: { expiry: "2026-12-31" } })).to.throw(
        UserError,
        "unit file line 1: expiry 2027-01-01 is not the batch's expiry 2026-12-31",
      );
      expect(() => parseUnitLines("81234561234567890123\n71234561234567890123", { batch: { productCode: "8123456" } })).to.throw(
        UserError,
        "unit file line 2: product code 7123456 is not the batch's 8123456",
      );
    });

    it("feeds buildUnitTree line numbers for duplicates", async function () {
      const read = parseUnitLines(`# header\n${sgtin("A")}\n\n${sgtin("B")}\n(01)${GTIN}(21)A`);
      await expectUserError(buildUnitTree(read.codes, { lines: read.lines }), `duplicate unit "${sgtin("A")}" on lines 2 and 5`);
    });

    it("says so when the file cannot be read", async function () {
      await expectUserError(readUnitFile("/no/such/units.txt"), 'cannot read unit file "/no/such/units.txt"');
    });
  });

  describe("unit dumps", function () {
    const codes = [...serials(500), "81234561234567890123", sgtin('Q"uote')];

    async function saved(options: { withTree: boolean }) {
      const dir = await tempDir();
      const { root, tree } = await buildUnitTree(codes);
      const file = await saveUnitDump(dir, { root, gtin: GTIN, lot: LOT, codes, tree: options.withTree ? tree : undefined });
      return { dir, root, tree, file };
    }

    it("round-trips through <dir>/<root>.json, one code per line", async function () {
      const { dir, root, file } = await saved({ withTree: false });
      expect(path.basename(file)).to.equal(`${root}.json`);
      const text = await readFile(file, "utf8");
      expect(text.split("\n")[0]).to.equal(
        `{"format":"medstate-units-v1","root":"${root}","gtin":"${GTIN}","lot":"${LOT}","count":${codes.length},"codes":[`,
      );
      expect(JSON.parse(text).codes).to.deep.equal(codes);
      const loaded = await loadUnitDump(dir, root);
      expect(loaded).to.include({ root, gtin: GTIN, lot: LOT, count: codes.length });
      expect(loaded.codes).to.deep.equal(codes);
      expect(loaded.tree.root).to.equal(root);
    });

    it("detects an altered dump", async function () {
      const { dir, root, file } = await saved({ withTree: false });
      const text = await readFile(file, "utf8");
      await writeFile(file, text.replace(`"${sgtin("S42")}"`, `"${sgtin("S42X")}"`));
      await expectUserError(
        loadUnitDump(dir, root),
        `unit dump ${file} was altered: its units give root ${(await buildUnitTree(codes.map((c) => (c === sgtin("S42") ? sgtin("S42X") : c)))).root}`,
      );
      await writeFile(file, text.replace(`"count":${codes.length}`, `"count":${codes.length + 1}`));
      await expectUserError(
        loadUnitDump(dir, root),
        `unit dump ${file} was altered: it says ${codes.length + 1} units but lists ${codes.length}`,
      );
      await writeFile(file, text.replace(`"${sgtin("S42")}"`, `"${sgtin("S41")}"`));
      await expectUserError(
        loadUnitDump(dir, root),
        `unit dump ${file} was altered: duplicate unit "${sgtin("S41")}" on lines 43 and 44`,
      );
      await expectUserError(
        loadUnitDump(dir, `0x${"00".repeat(32)}`),
        `cannot load unit dump ${path.join(dir, `0x${"00".repeat(32)}.json`)}: no such file`,
      );
    });

    it("reads a dump's codes by index without rebuilding its tree (for naming units in reports)", async function () {
      const { dir, root, file } = await saved({ withTree: false });
      const read = await readUnitCodes(dir, root);
      expect(read).to.deep.equal(codes);
      expect(read?.[42]).to.equal(sgtin("S42"));
      // No dump, an invalid root, or a file that is not a dump: nothing to name units with.
      expect(await readUnitCodes(dir, `0x${"00".repeat(32)}`)).to.equal(undefined);
      expect(await readUnitCodes(dir, "not-a-root")).to.equal(undefined);
      await writeFile(file, "{}");
      expect(await readUnitCodes(dir, root)).to.equal(undefined);
    });

    it("refuses a tree that is not the dump's", async function () {
      const dir = await tempDir();
      const { tree } = await buildUnitTree(serials(3));
      const root = `0x${"ab".repeat(32)}`;
      await expectUserError(
        saveUnitDump(dir, { root, gtin: GTIN, lot: LOT, codes: serials(3), tree }),
        `unit dump ${root}: the tree given has root ${tree.root} and 3 units`,
      );
    });

    describe("findUnit", function () {
      it("finds a unit by code in any syntax, or by hash, and proves it", async function () {
        for (const withTree of [false, true]) {
          const { dir, root } = await saved({ withTree });
          const other = await buildUnitTree(serials(20, "T"));
          await saveUnitDump(dir, { root: other.root, gtin: GTIN, lot: "LOT-8", codes: serials(20, "T") });

          const found = await findUnit(dir, `(01)${GTIN}(21)S123(10)${LOT}`);
          expect(found).to.deep.include({
            root,
            gtin: GTIN,
            lot: LOT,
            batchId: batchIdOf(GTIN, LOT),
            index: 123,
            unitHash: hashOf(sgtin("S123")),
          });
          expect(verifyUnitProof(root, found!)).to.equal(true);
          // the cache now exists either way
          expect(await readdir(dir)).to.include(`${root}.tree`);

          const byHash = await findUnit(dir, hashOf("81234561234567890123"));
          expect(byHash).to.deep.include({ root, index: 500 });
          expect(verifyUnitProof(root, byHash!)).to.equal(true);
          expect(await findUnit(dir, sgtin("T7"), { batchId: batchIdOf(GTIN, "LOT-8") })).to.deep.include({
            root: other.root,
            index: 7,
          });
          expect(await findUnit(dir, sgtin('Q"uote'))).to.deep.include({ index: 501 });
        }
      });

      it("uses the hint to skip other batches and returns undefined when nothing holds the unit", async function () {
        const { dir } = await saved({ withTree: true });
        expect(await findUnit(dir, sgtin("S1"), { lot: "OTHER" })).to.equal(undefined);
        expect(await findUnit(dir, sgtin("S1"), { batchId: batchIdOf(GTIN, "OTHER") })).to.equal(undefined);
        expect(await findUnit(dir, sgtin("NOPE"))).to.equal(undefined);
        expect(await findUnit(dir, hashOf("nothing"))).to.equal(undefined);
      });

      it("does not trust a damaged proof cache", async function () {
        const { dir, root } = await saved({ withTree: true });
        const cache = path.join(dir, `${root}.tree`);
        const bytes = await readFile(cache);
        const nodesAt = 48 + codes.length * (4 + 32);
        await writeFile(cache, Buffer.concat([bytes.subarray(0, nodesAt), Buffer.alloc(bytes.length - nodesAt)]));
        const found = await findUnit(dir, sgtin("S9"));
        expect(found).to.deep.include({ root, index: 9 });
        expect(verifyUnitProof(root, found!)).to.equal(true);
        // rebuilt from the dump, and the cache rewritten
        expect(await readFile(cache)).to.deep.equal(bytes);
      });
    });
  });

  describe("findDuplicateUnits", function () {
    const A = { batchId: batchIdOf(GTIN, "A"), gtin: GTIN, lot: "A" };
    const B = { batchId: batchIdOf(GTIN, "B"), gtin: GTIN, lot: "B" };
    const C = { batchId: batchIdOf(GTIN, "C"), gtin: GTIN, lot: "C" };

    it("reports every unit hash committed to more than one batch, with each batch's index, in order of first appearance", function () {
      const a = serials(10);
      const b = [...serials(5, "T"), sgtin("S7"), sgtin("S3")];
      // C gives hashes only: its copy of S3 is still found, and named by the code another list gives.
      const c = [hashOf(sgtin("X0")), hashOf(sgtin("X1")), hashOf(sgtin("S3"))];
      expect(findDuplicateUnits([{ ...A, units: a }, { ...B, units: b }, { ...C, units: c }])).to.deep.equal([
        {
          unitHash: hashOf(sgtin("S3")),
          code: sgtin("S3"),
          batches: [
            { ...A, index: 3 },
            { ...B, index: 6 },
            { ...C, index: 2 },
          ],
        },
        { unitHash: hashOf(sgtin("S7")), code: sgtin("S7"), batches: [{ ...A, index: 7 }, { ...B, index: 5 }] },
      ]);
    });

    it("finds nothing in disjoint batches, or in one batch given twice", function () {
      expect(findDuplicateUnits([{ ...A, units: serials(50) }, { ...B, units: serials(50, "T") }])).to.deep.equal([]);
      expect(findDuplicateUnits([{ ...A, units: serials(50) }, { ...A, units: serials(50) }])).to.deep.equal([]);
      expect(findDuplicateUnits([])).to.deep.equal([]);
    });

    it("takes a built tree's hashes instead of codes; with hashes alone the code is unknown", async function () {
      const a = await buildUnitTree(serials(20));
      const b = await buildUnitTree([sgtin("S19"), ...serials(3, "T")]);
      expect(findDuplicateUnits([{ ...A, hashes: a.tree.raw.hashes }, { ...B, hashes: b.tree.raw.hashes }])).to.deep.equal([
        { unitHash: hashOf(sgtin("S19")), code: null, batches: [{ ...A, index: 19 }, { ...B, index: 0 }] },
      ]);
      const named = findDuplicateUnits([{ ...A, hashes: a.tree.raw.hashes, units: serials(20) }, { ...B, hashes: b.tree.raw.hashes }]);
      expect(named[0].code).to.equal(sgtin("S19"));
    });

    it("compares whole hashes: entries that share a long prefix are not duplicates", function () {
      const n = 60_000;
      const a = new Uint8Array(randomBytes(n * 32));
      const b = new Uint8Array(randomBytes(n * 32));
      // b[10] shares a's unit 5 but for its last byte; b[20] is a's unit 40 exactly.
      b.set(a.subarray(5 * 32, 6 * 32), 10 * 32);
      b[10 * 32 + 31] ^= 1;
      b.set(a.subarray(40 * 32, 41 * 32), 20 * 32);
      const found = findDuplicateUnits([{ ...A, hashes: a }, { ...B, hashes: b }]);
      expect(found.map((d) => d.batches.map((x) => x.index))).to.deep.equal([[40, 20]]);
      expect(found[0].unitHash).to.equal(`0x${Buffer.from(a.subarray(40 * 32, 41 * 32)).toString("hex")}`);
    });

    it("refuses hashes that are not 32 bytes each, and units that do not match their hashes", function () {
      expect(() => findDuplicateUnits([{ ...A, hashes: new Uint8Array(33) }])).to.throw(UserError, `batch ${A.batchId}: unit hashes must be 32 bytes each`);
      expect(() => findDuplicateUnits([{ ...A, hashes: new Uint8Array(64), units: serials(3) }])).to.throw(UserError, `batch ${A.batchId}: 3 units but 2 hashes`);
      expect(() => findDuplicateUnits([{ ...A }])).to.throw(UserError, `batch ${A.batchId}: no units and no unit hashes`);
    });
  });

  describe("readUnitList", function () {
    it("reads a unit dump under any name and rebuilds its tree", async function () {
      const dir = await tempDir();
      const codes = serials(40);
      const { root, tree } = await buildUnitTree(codes);
      const saved = await saveUnitDump(dir, { root, gtin: GTIN, lot: LOT, codes });
      const file = path.join(dir, "published by the maker.json");
      await writeFile(file, await readFile(saved));
      const list = await readUnitList(file);
      expect(list).to.deep.include({ file, root, gtin: GTIN, lot: LOT, count: 40, codes });
      expect(list.tree.raw.hashes).to.deep.equal(tree.raw.hashes);
    });

    it("refuses a list whose units do not give the root it names, and a file that is not a unit list", async function () {
      const dir = await tempDir();
      const codes = serials(10);
      const { root } = await buildUnitTree(codes);
      const file = await saveUnitDump(dir, { root, gtin: GTIN, lot: LOT, codes });
      await writeFile(file, (await readFile(file, "utf8")).replace(sgtin("S4"), sgtin("S44")));
      const { root: altered } = await buildUnitTree(codes.map((c) => (c === sgtin("S4") ? sgtin("S44") : c)));
      await expectUserError(readUnitList(file), `unit list ${file} was altered: its units give root ${altered}, not ${root}`);
      const other = path.join(dir, "other.json");
      await writeFile(other, JSON.stringify({ hello: "world" }));
      await expectUserError(readUnitList(other), `cannot load unit list ${other}: not a medstate-units-v1 file`);
      await expectUserError(readUnitList(path.join(dir, "none.json")), `cannot load unit list ${path.join(dir, "none.json")}: no such file`);
    });
  });
});
