import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { UserError } from "../../sdk/errors.js";
import { type UnitFileSpec, isCalendarDate, planUnitFile, unitFileChunks, writeUnitFile } from "../../sdk/unit-files.js";
import { parseUnitLines, readUnitFile } from "../../sdk/units.js";

const GTIN = "06901234567892";
const LOT = "L2026A";
const EXPIRY = "2028-06-30";
const SPEC: UnitFileSpec = { gtin: GTIN, lot: LOT, expiry: EXPIRY, count: 10 };
const CHINA: UnitFileSpec = { ...SPEC, format: "china", productCode: "8123456" };

/** China's generated verification code, computed independently of the SDK: (product code ‖ serial) mod 9973. */
const verification = (productCode: string, serial: string) => (BigInt(`${productCode}${serial}`) % 9973n).toString().padStart(4, "0");

function refused(spec: UnitFileSpec, message: string): void {
  expect(() => planUnitFile(spec)).to.throw(UserError, message).with.property("message", message);
}

async function refusedAsync(promise: Promise<unknown>, message: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "expected a refusal").to.be.instanceOf(Error);
  expect((error as Error).message).to.equal(message);
}

describe("unit files (sdk/unit-files)", function () {
  describe("planUnitFile", function () {
    it("makes GS1 element strings whose serial is the lot and the index padded to 7 digits", function () {
      const plan = planUnitFile(SPEC);
      expect(plan).to.include({ format: "gs1", gtin: GTIN, lot: LOT, expiry: EXPIRY, count: 10, first: 0, serialPrefix: LOT, width: 7 });
      expect(plan.codeAt(0)).to.equal("(01)06901234567892(21)L2026A0000000(10)L2026A(17)280630");
      expect(plan.codeAt(7)).to.equal("(01)06901234567892(21)L2026A0000007(10)L2026A(17)280630");
    });

    it("takes a GTIN-13 and pads it to 14 digits", function () {
      expect(planUnitFile({ ...SPEC, gtin: "6901234567892" }).codeAt(0)).to.equal("(01)06901234567892(21)L2026A0000000(10)L2026A(17)280630");
    });

    it("uses the given serial prefix, an empty one included", function () {
      expect(planUnitFile({ ...SPEC, serialPrefix: "SN" }).codeAt(7)).to.equal("(01)06901234567892(21)SN0000007(10)L2026A(17)280630");
      expect(planUnitFile({ ...SPEC, serialPrefix: "" }).codeAt(7)).to.equal("(01)06901234567892(21)0000007(10)L2026A(17)280630");
    });

    it("widens the index where it needs more than 7 digits, and narrows it where the prefix leaves less room", function () {
      const wide = planUnitFile({ ...SPEC, serialPrefix: "SN", first: 9_999_999, count: 2 });
      expect(wide.width).to.equal(8);
      expect([wide.codeAt(9_999_999), wide.codeAt(10_000_000)]).to.deep.equal([
        "(01)06901234567892(21)SN09999999(10)L2026A(17)280630",
        "(01)06901234567892(21)SN10000000(10)L2026A(17)280630",
      ]);
      const narrow = planUnitFile({ ...SPEC, serialPrefix: "ABCDEFGHIJKLMNO", count: 100 });
      expect(narrow.width).to.equal(5);
      expect(narrow.codeAt(99)).to.equal("(01)06901234567892(21)ABCDEFGHIJKLMNO00099(10)L2026A(17)280630");
    });

    it("refuses a count whose serials would be longer than GS1's 20 characters", function () {
      refused(
        { ...SPEC, serialPrefix: "ABCDEFGHIJKLMNOP", count: 100_000 },
        'serials of "ABCDEFGHIJKLMNOP" and up to 5 digits (the last index is 99999) have 21 characters; ' +
          "GS1 allows at most 20: give a shorter --serial-prefix",
      );
      // Exactly 20 characters is allowed.
      expect(planUnitFile({ ...SPEC, serialPrefix: "ABCDEFGHIJKLMNOP", count: 10_000 }).codeAt(9_999)).to.equal(
        "(01)06901234567892(21)ABCDEFGHIJKLMNOP9999(10)L2026A(17)280630",
      );
    });

    it("refuses a GTIN with a wrong check digit", function () {
      refused({ ...SPEC, gtin: "06901234567893" }, 'invalid GTIN "06901234567893": check digit is 3, expected 2');
    });

    it("refuses dates that are not calendar dates YYYY-MM-DD", function () {
      refused({ ...SPEC, expiry: "2028-02-30" }, 'invalid --expiry "2028-02-30": expected a date YYYY-MM-DD');
      refused({ ...SPEC, expiry: "30/06/2028" }, 'invalid --expiry "30/06/2028": expected a date YYYY-MM-DD');
      expect(isCalendarDate("2028-02-29")).to.equal(true);
      expect(isCalendarDate("2027-02-29")).to.equal(false);
    });

    it("refuses an expiry GS1's two-digit year cannot carry", function () {
      refused(
        { ...SPEC, expiry: "2088-06-30" },
        'invalid --expiry "2088-06-30": GS1 writes the year in two digits, and this one reads back as 1988-06-30 ' +
          "(years are read within 49 ahead of this one and 50 behind)",
      );
    });

    it("refuses counts and first indices that are not whole numbers", function () {
      refused({ ...SPEC, count: 0 }, 'invalid --count "0": expected a whole number of at least 1');
      refused({ ...SPEC, count: 1.5 }, 'invalid --count "1.5": expected a whole number of at least 1');
      refused({ ...SPEC, first: -1 }, 'invalid --first "-1": expected a whole number of at least 0');
    });

    it("refuses lots and prefixes GS1 cannot encode", function () {
      refused({ ...SPEC, lot: "L 1" }, `invalid --lot "L 1": a GS1 lot (10) takes only letters, digits and !"%&'()*+,-./:;<=>?_`);
      refused({ ...SPEC, lot: "L".repeat(21) }, `invalid --lot "${"L".repeat(21)}": GS1 allows at most 20 characters, it has 21`);
      refused({ ...SPEC, serialPrefix: "S#" }, `invalid --serial-prefix "S#": a GS1 serial (21) takes only letters, digits and !"%&'()*+,-./:;<=>?_`);
    });

    it("makes China's codes: product code, 9-digit serial, the generated verification code", function () {
      const plan = planUnitFile({ ...CHINA, first: 41, count: 2 });
      expect(plan).to.include({ format: "china", productCode: "8123456", serialPrefix: "", width: 9 });
      expect(plan.codeAt(41)).to.equal(`8123456000000041${verification("8123456", "000000041")}`);
      const prefixed = planUnitFile({ ...CHINA, serialPrefix: "26" });
      expect(prefixed.codeAt(7)).to.equal(`8123456260000007${verification("8123456", "260000007")}`);
      expect(prefixed.codeAt(7)).to.have.length(20);
    });

    it("refuses China's codes without a 7-digit product code, with a prefix that is not digits, or past 9 digits", function () {
      refused({ ...CHINA, productCode: undefined }, "China's codes need the product's 7-digit identification code (--product-code)");
      refused({ ...CHINA, productCode: "812345" }, `China's codes need the product's 7-digit identification code, not "812345" (--product-code)`);
      refused({ ...CHINA, serialPrefix: "A1" }, `invalid --serial-prefix "A1": China's 9-digit serials take a prefix of at most 8 digits`);
      refused(
        { ...CHINA, serialPrefix: "2026", count: 100_001 },
        `the last index 100000 does not fit the 5 digits that --serial-prefix "2026" leaves of China's 9-digit serial`,
      );
    });
  });

  describe("writeUnitFile", function () {
    let dir: string;

    before(async function () {
      dir = await mkdtemp(path.join(tmpdir(), "medstate-unit-files-"));
    });

    after(async function () {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes one code a line that readUnitFile reads back, checked against the batch", async function () {
      const file = path.join(dir, "round-trip.txt");
      const written = await writeUnitFile(file, { ...SPEC, count: 1000, first: 5 });
      expect(written).to.deep.equal({
        file,
        format: "gs1",
        gtin: GTIN,
        lot: LOT,
        expiry: EXPIRY,
        count: 1000,
        firstCode: "(01)06901234567892(21)L2026A0000005(10)L2026A(17)280630",
        lastCode: "(01)06901234567892(21)L2026A0001004(10)L2026A(17)280630",
      });
      const read = await readUnitFile(file, { batch: { gtin: GTIN, lot: LOT, expiry: EXPIRY } });
      expect(read.codes).to.have.length(1000);
      expect(read.codes[0]).to.equal("0106901234567892" + "21L2026A0000005");
      expect(read.codes[999]).to.equal("0106901234567892" + "21L2026A0001004");
      expect(new Set(read.codes).size).to.equal(1000);
    });

    it("writes China's codes that read back with the product code batch create checks", async function () {
      const file = path.join(dir, "china.txt");
      await writeUnitFile(file, { ...CHINA, count: 3 });
      const text = await readFile(file, "utf8");
      expect(text).to.equal(
        ["000000000", "000000001", "000000002"].map((s) => `8123456${s}${verification("8123456", s)}\n`).join(""),
      );
      expect(parseUnitLines(text, { batch: { productCode: "8123456" } }).codes).to.have.length(3);
    });

    it("refuses an existing file unless forced, leaving it as it was", async function () {
      const file = path.join(dir, "existing.txt");
      await writeFile(file, "keep me\n");
      await refusedAsync(writeUnitFile(file, SPEC), `${file} exists: give --force to overwrite it`);
      expect(await readFile(file, "utf8")).to.equal("keep me\n");
      await writeUnitFile(file, { ...SPEC, count: 1 }, { force: true });
      expect(await readFile(file, "utf8")).to.equal("(01)06901234567892(21)L2026A0000000(10)L2026A(17)280630\n");
    });

    it("refuses a path that cannot be written at once", async function () {
      const started = Date.now();
      await refusedAsync(writeUnitFile("/proc/nope/units.txt", SPEC), "cannot create /proc/nope: no such directory");
      expect(Date.now() - started).to.be.below(1000);
      const sub = path.join(dir, "a-directory");
      await mkdir(sub);
      await refusedAsync(writeUnitFile(sub, SPEC), `cannot write ${sub}: it is a directory`);
    });

    it("refuses a bad spec before touching the file system", async function () {
      const file = path.join(dir, "never", "units.txt");
      await refusedAsync(writeUnitFile(file, { ...SPEC, count: 0 }), 'invalid --count "0": expected a whole number of at least 1');
      await refusedAsync(stat(path.dirname(file)), `ENOENT: no such file or directory, stat '${path.dirname(file)}'`);
    });

    it("streams a million units in chunks, in well under the time batch create takes to read them", async function () {
      this.timeout(30_000);
      const file = path.join(dir, "million.txt");
      const seen: number[] = [];
      const started = performance.now();
      const written = await writeUnitFile(file, { ...SPEC, count: 1_000_000 }, { onProgress: (done) => seen.push(done) });
      const elapsed = performance.now() - started;
      expect(elapsed, `${elapsed.toFixed(0)} ms`).to.be.below(3_000);
      expect(written.lastCode).to.equal("(01)06901234567892(21)L2026A0999999(10)L2026A(17)280630");
      // 56 bytes a line: nothing more, nothing less.
      expect((await stat(file)).size).to.equal(56_000_000);
      expect(seen.length).to.equal(Math.ceil(1_000_000 / 16_384));
      expect(seen.at(-1)).to.equal(1_000_000);
      expect(seen.every((done, i) => i === 0 || done > seen[i - 1])).to.equal(true);
    });

    it("yields chunks lazily: the first comes before the rest are made", function () {
      const chunks = unitFileChunks(planUnitFile({ ...SPEC, count: 1_000_000 }));
      const first = chunks.next();
      expect(first.done).to.equal(false);
      expect(Buffer.from(first.value as Uint8Array).toString("utf8").split("\n")).to.have.length(16_384 + 1);
      chunks.return(undefined);
    });
  });
});
