import { expect } from "chai";

import { batchIdOf } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { batchIdFromText, shortId, shortenIds } from "../../sdk/references.js";

const ID = "0xff16666e4f7d7d30a363a1d74d4c7148ac306837a2d9b155e884adb5314e8c18";

describe("sdk/references", function () {
  describe("shortId", function () {
    it("shortens a 32-byte id and an address to their first and last four hex digits", function () {
      expect(shortId(ID)).to.equal("0xff16…8c18");
      expect(shortId("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")).to.equal("0x7099…79C8");
    });

    it("leaves anything else alone", function () {
      expect(shortId("0x1234")).to.equal("0x1234");
      expect(shortId("L2026A")).to.equal("L2026A");
    });
  });

  describe("shortenIds", function () {
    it("shortens every 32-byte id in a text, and nothing else", function () {
      expect(shortenIds(`batch ${ID}: shipped by 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, see ${ID}.`)).to.equal(
        "batch 0xff16…8c18: shipped by 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, see 0xff16…8c18.",
      );
    });

    it("keeps an id whole inside a file path, and a longer hex string whole", function () {
      expect(shortenIds(`dump /x/units/${ID}.json`)).to.equal(`dump /x/units/${ID}.json`);
      expect(shortenIds(`data ${ID}ab`)).to.equal(`data ${ID}ab`);
    });
  });

  describe("batchIdFromText", function () {
    const id = batchIdOf("06901234567892", "L2026A");

    it("takes a 0x id, in any case", function () {
      expect(batchIdFromText("--batch", ID.toUpperCase().replace("0X", "0x"))).to.equal(ID);
    });

    it("takes GTIN/LOT, with a GTIN-13 or GTIN-14", function () {
      expect(batchIdFromText("--batch", "06901234567892/L2026A")).to.equal(id);
      expect(batchIdFromText("--batch", "6901234567892/L2026A")).to.equal(id);
    });

    it("takes a GS1 code that carries its lot, with or without parentheses", function () {
      expect(batchIdFromText("--batch", "(01)06901234567892(21)SN1(10)L2026A(17)280630")).to.equal(id);
      expect(batchIdFromText("--batch", "010690123456789221SN1\u001d10L2026A")).to.equal(id);
    });

    it("answers undefined for what needs a lookup: a code without its lot, a short id", function () {
      expect(batchIdFromText("--batch", "(01)06901234567892(21)SN1")).to.equal(undefined);
      expect(batchIdFromText("--batch", "0xff16…8c18")).to.equal(undefined);
      expect(batchIdFromText("--batch", "0xff16...8c18")).to.equal(undefined);
    });

    it("refuses each malformed form with one line naming the option", function () {
      const refusal = (text: string) => {
        try {
          batchIdFromText("--batch", text);
        } catch (error) {
          expect(error).to.be.instanceOf(UserError);
          return (error as Error).message;
        }
        throw new Error("not refused");
      };
      expect(refusal("")).to.equal("missing --batch");
      expect(refusal("0x1234")).to.equal('invalid --batch "0x1234": a batch id is 0x and 64 hex digits (or its short form 0xabcd…wxyz)');
      expect(refusal("06901234567893/L1")).to.equal('invalid --batch "06901234567893/L1": 06901234567893 is not a valid GTIN (check digit)');
      expect(refusal("06901234567892/")).to.equal('invalid --batch "06901234567892/": the lot after the slash must be 1 to 20 characters');
      expect(refusal(`06901234567892/${"L".repeat(21)}`)).to.equal(
        `invalid --batch "06901234567892/${"L".repeat(21)}": the lot after the slash must be 1 to 20 characters`,
      );
      expect(refusal("lot-7")).to.equal('invalid --batch "lot-7": expected a batch id (0x…), GTIN/LOT, or a unit code of the batch');
    });
  });
});
