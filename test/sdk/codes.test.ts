import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, concat, hexlify, keccak256, toBeHex, toUtf8Bytes, zeroPadBytes } from "ethers";

import {
  batchIdOf,
  gtinCheckDigit,
  isValidGtin,
  normaliseGtin,
  parseChinaCode,
  parseGs1,
  parseUnitCode,
  productApplicationHash,
  unitLeaf,
} from "../../sdk/codes.js";
import { productApplicationHash as exported } from "../../sdk/index.js";
import { UserError } from "../../sdk/errors.js";

const GTIN = "06901234567892";
const hashOf = (text: string) => keccak256(toUtf8Bytes(text));

describe("sdk/codes", function () {
  describe("GTIN check digits", function () {
    it("computes GS1 mod-10 check digits", function () {
      expect(gtinCheckDigit("400638133393")).to.equal(1); // EAN-13 4006381333931
      expect(gtinCheckDigit("950110153000")).to.equal(3); // GS1's example 9501101530003
      expect(gtinCheckDigit("0690123456789")).to.equal(2);
    });

    it("accepts valid GTIN-8, -12, -13 and -14", function () {
      for (const gtin of ["96385074", "036000291452", "4006381333931", "9501101530003", GTIN]) {
        expect(isValidGtin(gtin), gtin).to.equal(true);
      }
      expect(isValidGtin("4006381333932")).to.equal(false);
      expect(isValidGtin("400638133393")).to.equal(false);
      expect(isValidGtin("40063813339A1")).to.equal(false);
    });

    it("normalises to GTIN-14 with leading zeros", function () {
      expect(normaliseGtin("4006381333931")).to.equal("04006381333931");
      expect(normaliseGtin("96385074")).to.equal("00000096385074");
      expect(normaliseGtin("036000291452")).to.equal("00036000291452");
      expect(normaliseGtin(9501101530003n)).to.equal("09501101530003");
    });

    it("names what is wrong with a GTIN", function () {
      expect(() => normaliseGtin("40063813339A1")).to.throw(UserError, 'invalid GTIN "40063813339A1": contains a non-digit "A"');
      expect(() => normaliseGtin("4006381333")).to.throw(
        UserError,
        'invalid GTIN "4006381333": expected 8, 12, 13 or 14 digits, got 10',
      );
      expect(() => normaliseGtin("4006381333932")).to.throw(
        UserError,
        'invalid GTIN "4006381333932": check digit is 2, expected 1',
      );
      expect(() => normaliseGtin(10n ** 14n)).to.throw(UserError, "invalid GTIN 100000000000000: expected a number below 10^14");
    });
  });

  describe("parseGs1", function () {
    const unit = {
      kind: "gs1",
      gtin: GTIN,
      serial: "ABC123",
      canonical: "010690123456789221ABC123",
      // keccak256("010690123456789221ABC123"), computed with js-sha3
      unitHash: "0x29f455c6014b32775004221e29f28e92d88dff950f8819198ebad295a9504642",
    };

    it("parses the parenthesised form, AIs in any order", function () {
      expect(parseGs1("(01)06901234567892(21)ABC123")).to.deep.equal(unit);
      expect(parseGs1(" (17)261231(10)LOT-7(21)ABC123(01)06901234567892 ")).to.deep.equal({
        ...unit,
        lot: "LOT-7",
        expiry: "2026-12-31",
      });
    });

    it("parses FNC1-separated strings (GS, <GS>, ]d2 / ]C1 prefixes)", function () {
      const expected = { ...unit, lot: "12A", expiry: "2026-12-31" };
      expect(parseGs1("]d2010690123456789217261231\x1d21ABC123\x1d1012A")).to.deep.equal(expected);
      expect(parseGs1("]C10106901234567892172612311012A\x1d21ABC123")).to.deep.equal(expected);
      expect(parseGs1("\x1d010690123456789221ABC123<GS>1012A<GS>17261231")).to.deep.equal(expected);
    });

    it("parses raw strings with the fixed-length AIs first", function () {
      expect(parseGs1("010690123456789221ABC123")).to.deep.equal(unit);
      expect(parseGs1("01069012345678921726063021ABC123")).to.deep.equal({ ...unit, expiry: "2026-06-30" });
    });

    it("reads expiry day 00 as the month's last day and tolerates a production date (11)", function () {
      expect(parseGs1("(01)06901234567892(11)250115(17)280200(21)ABC123")).to.deep.equal({
        ...unit,
        production: "2025-01-15",
        expiry: "2028-02-29",
      });
    });

    it("hashes the canonical SGTIN, not lot or expiry", function () {
      const parsed = parseGs1("(01)06901234567892(21)ABC123(10)L1(17)270101");
      expect(parsed.canonical).to.equal("010690123456789221ABC123");
      expect(parsed.unitHash).to.equal(hashOf("010690123456789221ABC123"));
    });

    const refusals: [string, string][] = [
      ["(01)06901234567893(21)ABC123", "GTIN check digit is 3, expected 2"],
      ["(01)0690123456789(21)ABC123", "GTIN (01) must be 14 digits, got 13"],
      ["(01)069012345678921(21)ABC123", "GTIN (01) must be 14 digits, got 15"],
      ["(01)0690123456789X(21)ABC123", 'GTIN (01) "0690123456789X" contains a non-digit "X"'],
      ["(01)06901234567892(21)ABC123(17)261301", 'expiry date (17) "261301" has month 13'],
      ["(01)06901234567892(21)ABC123(17)270229", 'expiry date (17) "270229" is not a date (2027-02 has 28 days)'],
      ["(01)06901234567892(21)ABC123(17)2612", 'expiry date (17) expected YYMMDD, got "2612"'],
      ["(01)06901234567892(10)LOT1", "missing serial (21)"],
      ["(21)ABC123", "missing GTIN (01)"],
      ["(01)06901234567892(21)ABC123(240)X", "unknown AI (240); expected (01), (21), (10), (17) or (11)"],
      ["010690123456789299ABC", "unknown AI (99) at position 17; expected (01), (21), (10), (17) or (11)"],
      ["(01)06901234567892(21)", "serial (21) is empty"],
      ["(01)06901234567892(21)ABCDEFGHIJKLMNOPQRSTU", "serial (21) has 21 characters, at most 20"],
      ["(01)06901234567892(21)AB C", 'serial (21) contains " ", which is not in the GS1 character set'],
      ["(01)06901234567892(21)A(21)B", "AI (21) appears twice"],
    ];
    for (const [input, problem] of refusals) {
      it(`refuses "${input}": ${problem}`, function () {
        expect(() => parseGs1(input)).to.throw(UserError, `invalid GS1 code "${input}": ${problem}`);
      });
    }

    it("shows the GS character as <GS> in errors", function () {
      expect(() => parseGs1("0106901234567893\x1d21A")).to.throw(
        'invalid GS1 code "0106901234567893<GS>21A": GTIN check digit is 3',
      );
    });
  });

  describe("parseChinaCode", function () {
    const unit = {
      kind: "cn20",
      productCode: "8123456",
      serial: "123456789",
      verification: "0123",
      canonical: "81234561234567890123",
      // keccak256("81234561234567890123"), computed with js-sha3
      unitHash: "0x55255859f8a4942602b82ca60a51868ea5739adaeff4020436ddbf7e9aab4365",
    };

    it("splits the 20 digits, ignoring spaces and dashes", function () {
      expect(parseChinaCode("81234561234567890123")).to.deep.equal(unit);
      expect(parseChinaCode(" 8123456 123456789-0123 ")).to.deep.equal(unit);
    });

    it("refuses a wrong length", function () {
      expect(() => parseChinaCode("8123456123456789012")).to.throw(
        UserError,
        'invalid drug traceability code "8123456123456789012": expected 20 digits, got 19',
      );
      expect(() => parseChinaCode("812345612345678901234")).to.throw("expected 20 digits, got 21");
    });

    it("refuses letters", function () {
      expect(() => parseChinaCode("8123456123456789012A")).to.throw(
        UserError,
        'invalid drug traceability code "8123456123456789012A": contains a non-digit "A"',
      );
    });
  });

  describe("parseUnitCode", function () {
    it("detects the format", function () {
      expect(parseUnitCode("(01)06901234567892(21)ABC123").kind).to.equal("gs1");
      expect(parseUnitCode("]d2010690123456789221ABC123").kind).to.equal("gs1");
      expect(parseUnitCode("010690123456789221ABC123").kind).to.equal("gs1");
      expect(parseUnitCode("0106901234567892211234").kind).to.equal("gs1");
      expect(parseUnitCode("8123456-123456789-0123").kind).to.equal("cn20");
    });

    it("reads 20 digits alone as a traceability code unless told it is GS1, with the same hash", function () {
      const cn = parseUnitCode("01069012345678922112");
      const gs1 = parseUnitCode("01069012345678922112", "gs1");
      expect(cn.kind).to.equal("cn20");
      expect(gs1).to.include({ kind: "gs1", gtin: GTIN, serial: "12" });
      expect(gs1.unitHash).to.equal(cn.unitHash);
    });

    it("says what it expected", function () {
      expect(() => parseUnitCode("hello")).to.throw(
        UserError,
        'unrecognised unit code "hello": expected a GS1 element string such as (01)<GTIN-14>(21)<serial> or a 20-digit drug traceability code',
      );
      expect(() => parseUnitCode("812345612345678901")).to.throw("expected 20 digits, got 18");
    });
  });

  describe("batchIdOf", function () {
    it("is keccak256(abi.encode(uint64 gtin, string lot))", function () {
      const expected = keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "string"], [6901234567892n, "LOT-7"]));
      expect(batchIdOf(GTIN, "LOT-7")).to.equal(expected);
      expect(batchIdOf("6901234567892", "LOT-7")).to.equal(expected);
      expect(batchIdOf(6901234567892n, "LOT-7")).to.equal(expected);
    });

    it("refuses an invalid GTIN or an empty lot", function () {
      expect(() => batchIdOf("06901234567893", "L")).to.throw(UserError, "check digit is 3, expected 2");
      expect(() => batchIdOf(GTIN, "")).to.throw(UserError, "invalid lot: it is empty");
    });
  });

  describe("productApplicationHash", function () {
    /** ABI encoding by hand: a word per head (the uint32, two offsets), then each string's length and padded bytes. */
    function encodedByHand(nationalCode: bigint, name: string, approvalNo: string): string {
      const word = (n: bigint | number) => toBeHex(n, 32);
      const tail = (text: string) => {
        const bytes = toUtf8Bytes(text);
        const padded = Math.ceil(bytes.length / 32) * 32;
        return concat([word(bytes.length), zeroPadBytes(bytes, padded)]);
      };
      const first = tail(name);
      return hexlify(concat([word(nationalCode), word(96), word(96 + (first.length - 2) / 2), first, tail(approvalNo)]));
    }

    it("is keccak256(abi.encode(uint32 nationalCode, string name, string approvalNo)), as the contract derives it", function () {
      const cases: [bigint, string, string][] = [
        [8612345n, "Amoxicillin Capsules 0.25 g × 24", "国药准字H20230001"],
        [0n, "N", "A"],
        [9999999n, "A name longer than thirty-two bytes, stored out of line", ""],
      ];
      for (const [nationalCode, name, approvalNo] of cases) {
        const expected = keccak256(encodedByHand(nationalCode, name, approvalNo));
        expect(AbiCoder.defaultAbiCoder().encode(["uint32", "string", "string"], [nationalCode, name, approvalNo])).to.equal(
          encodedByHand(nationalCode, name, approvalNo),
        );
        expect(productApplicationHash({ nationalCode, name, approvalNo }), name).to.equal(expected);
        expect(productApplicationHash({ nationalCode: Number(nationalCode), name, approvalNo }), `${name} (number)`).to.equal(expected);
      }
      expect(exported).to.equal(productApplicationHash);
    });

    it("changes with every field, and keeps the fields apart (abi.encode, not a concatenation)", function () {
      const base = { nationalCode: 8612345n, name: "Insulin", approvalNo: "H20260002" };
      const hash = productApplicationHash(base);
      for (const changed of [
        { ...base, nationalCode: 7654321n },
        { ...base, nationalCode: 0n },
        { ...base, name: "Insulin " },
        { ...base, approvalNo: "H20260003" },
        { ...base, name: "InsulinH", approvalNo: "20260002" },
        { ...base, name: "H20260002", approvalNo: "Insulin" },
      ]) {
        expect(productApplicationHash(changed), JSON.stringify(changed, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).to.not.equal(hash);
      }
      // Only what the regulator examines counts: extra fields (the applicant, the time) do not.
      expect(productApplicationHash({ ...base, holder: 2n, registeredAt: 1_700_000_000n } as typeof base)).to.equal(hash);
    });
  });

  describe("unitLeaf", function () {
    it("is OpenZeppelin's standard leaf of [index, unitHash]", function () {
      const unitHash = hashOf("010690123456789221ABC123");
      const manual = keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32"], [7n, unitHash])));
      const tree = StandardMerkleTree.of(
        [
          [7, unitHash],
          [8, unitHash],
        ],
        ["uint256", "bytes32"],
      );
      expect(unitLeaf(7, unitHash)).to.equal(manual);
      expect(unitLeaf(7n, unitHash)).to.equal(tree.leafHash([7, unitHash]));
    });
  });
});
