import { expect } from "chai";
import type { Signer } from "ethers";

import { unitHashOf } from "../../sdk/codes.js";
import { Role } from "../../sdk/enums.js";
import type { ISuspectProduct } from "../../types/ethers-contracts/index.js";
import { type CallerCase, itRejectsCallers, nonMemberCases, standingCases, wrongRole } from "../helpers/callers.js";
import { HOSPITAL, LABORATORY, MAKER, NOTARY, PHARMACY, REGULATOR, WHOLESALER, ethers, networkHelpers, restoreClockAfter } from "../helpers/fixtures.js";
import { type BatchQualityCtx, GTIN, custodyOf, distributedBatch, productSubject, suspectsAt } from "../helpers/quality.js";
import { expectEvents } from "../helpers/supply.js";

// ==== CONSTANTS ====

const { loadFixture } = networkHelpers;

/** ISuspectProduct.MAX_UNKNOWN_CODES. */
const MAX_CODES = 256n;
/** An invented serial of the vaccine: no batch holds it. */
const INVENTED = unitHashOf(`01${GTIN.toString().padStart(14, "0")}21FAKE-0001`);
const INVENTED2 = unitHashOf(`01${GTIN.toString().padStart(14, "0")}21FAKE-0002`);
/** A valid GTIN-14 no party registered. */
const UNREGISTERED = 4006381333931n;
/** A China 20-digit code whose product code names no product. */
const CN_CODE = unitHashOf("81234560000000011234");

// ==== CONTEXT ====

interface Ctx extends BatchQualityCtx {
  suspects: ISuspectProduct;
}

/** distributedBatch (the vaccine, held by maker 30, wholesaler 40, pharmacy 20, hospital 10) and the suspect functions. */
async function unknownCodeBatch(): Promise<Ctx> {
  const c = await distributedBatch();
  return { ...c, suspects: await suspectsAt(c) };
}

/** + the pharmacy reported one invented code of the vaccine (report 1). */
async function oneReport(): Promise<Ctx> {
  const c = await unknownCodeBatch();
  await c.suspects.connect(c.pharmacy).reportUnknownCode(INVENTED, GTIN);
  return c;
}

/** A fixture of its own for a caller table (its describe restores the clock afterwards). */
function callerFixture(name: string): () => Promise<Ctx> {
  const fixture = () => unknownCodeBatch();
  Object.defineProperty(fixture, "name", { value: name });
  return fixture;
}

/** Callers that may not report: no member, a device (devices only observe), the pharmacy without standing. */
function reporterCases(): CallerCase<Ctx>[] {
  return [
    ...nonMemberCases<Ctx>(),
    wrongRole<Ctx>("a device of the pharmacy", (c) => c.pharmacyDevice, Role.Device),
    wrongRole<Ctx>("a device of the regulator", (c) => c.regulatorDevice, Role.Device),
    ...standingCases<Ctx>(PHARMACY, "pharmacy's admin", (c) => c.pharmacy),
  ];
}

/** What a report must leave alone: the batch's ledger, the product's and the batch's state records. */
async function untouched(c: Ctx): Promise<unknown[]> {
  return [
    await custodyOf(c, c.batchId),
    [...(await c.collaboration.subjectRecord(productSubject(GTIN)))],
    [...(await c.collaboration.subjectRecord(c.batchId))],
  ];
}

// ==== TESTS ====

describe("SuspectCases: unknown codes", function () {
  describe("reportUnknownCode", function () {
    it("records a code of a registered product, naming its holder, as report 1 of the chain", async function () {
      const c = await loadFixture(unknownCodeBatch);
      expect(await c.suspects.connect(c.pharmacy).reportUnknownCode.staticCall(INVENTED, GTIN)).to.equal(1n);
      const tx = await c.suspects.connect(c.pharmacy).reportUnknownCode(INVENTED, GTIN);
      await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [INVENTED, GTIN, PHARMACY, MAKER, 1n, c.pharmacy.address]]]);
      expect(await c.suspects.unknownCodeReportCount()).to.equal(1n);
    });

    it("numbers the reports across the chain, whoever reports and whatever the code", async function () {
      const c = await loadFixture(oneReport);
      const tx = await c.suspects.connect(c.wholesaler).reportUnknownCode(INVENTED2, GTIN);
      await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [INVENTED2, GTIN, WHOLESALER, MAKER, 2n, c.wholesaler.address]]]);
      const tx3 = await c.suspects.connect(c.hospital).reportUnknownCode(CN_CODE, 0n);
      await expectEvents(c.batchRegistry, tx3, [["UnknownCodeReported", [CN_CODE, 0n, HOSPITAL, 0n, 3n, c.hospital.address]]]);
      expect(await c.suspects.unknownCodeReportCount()).to.equal(3n);
    });

    it("records the same code presented again as a new report: each presentation counts", async function () {
      const c = await loadFixture(oneReport);
      const tx = await c.suspects.connect(c.pharmacy).reportUnknownCode(INVENTED, GTIN);
      await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [INVENTED, GTIN, PHARMACY, MAKER, 2n, c.pharmacy.address]]]);
    });

    it("records a code that names no product (GTIN 0) with holder 0", async function () {
      const c = await loadFixture(unknownCodeBatch);
      const tx = await c.suspects.connect(c.pharmacy).reportUnknownCode(CN_CODE, 0n);
      await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [CN_CODE, 0n, PHARMACY, 0n, 1n, c.pharmacy.address]]]);
    });

    it("records a valid GTIN that no party registered, with holder 0 (the regulator's list has it)", async function () {
      const c = await loadFixture(unknownCodeBatch);
      const tx = await c.suspects.connect(c.pharmacy).reportUnknownCode(INVENTED, UNREGISTERED);
      await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [INVENTED, UNREGISTERED, PHARMACY, 0n, 1n, c.pharmacy.address]]]);
    });

    it("changes no stock and no state: the batch's ledger and the product's and batch's records stay as they were", async function () {
      const c = await loadFixture(unknownCodeBatch);
      const before = await untouched(c);
      await c.suspects.connect(c.pharmacy).reportUnknownCode(INVENTED, GTIN);
      expect(await untouched(c)).to.deep.equal(before);
      // The batch still trades: the pharmacy dispenses one of its genuine units.
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 0n))).to.emit(c.batchRegistry, "UnitStatusChanged");
    });

    it("lets any active party's admin, operator or qa report: regulator, laboratory, notary, a QA, an operator", async function () {
      const c = await loadFixture(unknownCodeBatch);
      const operator = c.others[9];
      await c.registry.connect(c.pharmacy).addMember(PHARMACY, operator.address, Role.Operator);
      const reporters: [Signer, bigint][] = [
        [c.regulator, REGULATOR],
        [c.laboratory, LABORATORY],
        [c.notary, NOTARY],
        [c.wholesalerQa, WHOLESALER],
        [operator, PHARMACY],
      ];
      let no = 0n;
      for (const [signer, party] of reporters) {
        no += 1n;
        const tx = await c.suspects.connect(signer).reportUnknownCode(INVENTED, GTIN);
        await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [INVENTED, GTIN, party, MAKER, no, await signer.getAddress()]]]);
      }
    });

    it("reverts when the code's hash is zero", async function () {
      const c = await loadFixture(unknownCodeBatch);
      await expect(c.suspects.connect(c.pharmacy).reportUnknownCode(ethers.ZeroHash, GTIN)).to.be.revertedWithCustomError(
        c.suspects,
        "SuspectZeroCodeHash",
      );
    });

    for (const [title, gtin] of [
      ["a wrong check digit", GTIN + 1n],
      ["more than 14 digits", 10n ** 14n + GTIN],
    ] as const) {
      it(`reverts when the GTIN has ${title}`, async function () {
        const c = await loadFixture(unknownCodeBatch);
        await expect(c.suspects.connect(c.pharmacy).reportUnknownCode(INVENTED, gtin))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidGtin")
          .withArgs(gtin);
        expect(await c.suspects.unknownCodeReportCount()).to.equal(0n);
      });
    }

    it("reverts when called at the collaboration engine's own address", async function () {
      const c = await loadFixture(unknownCodeBatch);
      const [, , collaboration] = await c.batchRegistry.modules();
      const direct = (await ethers.getContractAt("ISuspectProduct", collaboration)) as unknown as ISuspectProduct;
      await expect(direct.connect(c.pharmacy).reportUnknownCode(INVENTED, GTIN)).to.be.revertedWithCustomError(
        c.collaboration,
        "CollaborationDirectCall",
      );
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("reportUnknownCodeCallers"),
        reporterCases(),
        (c, s) => c.suspects.connect(s).reportUnknownCode(INVENTED, GTIN),
        (c) => c.suspects,
      );
    });
  });

  describe("reportUnknownCodes", function () {
    it("reports every code in order, numbered on from the chain's last report, and returns the first number", async function () {
      const c = await loadFixture(oneReport);
      const codes = [
        { codeHash: INVENTED2, gtin: GTIN },
        { codeHash: CN_CODE, gtin: 0n },
        { codeHash: INVENTED, gtin: UNREGISTERED },
      ];
      expect(await c.suspects.connect(c.pharmacy).reportUnknownCodes.staticCall(codes)).to.equal(2n);
      const tx = await c.suspects.connect(c.pharmacy).reportUnknownCodes(codes);
      await expectEvents(c.batchRegistry, tx, [
        ["UnknownCodeReported", [INVENTED2, GTIN, PHARMACY, MAKER, 2n, c.pharmacy.address]],
        ["UnknownCodeReported", [CN_CODE, 0n, PHARMACY, 0n, 3n, c.pharmacy.address]],
        ["UnknownCodeReported", [INVENTED, UNREGISTERED, PHARMACY, 0n, 4n, c.pharmacy.address]],
      ]);
      expect(await c.suspects.unknownCodeReportCount()).to.equal(4n);
    });

    it(`takes ${MAX_CODES} codes at once, a basket's most`, async function () {
      const c = await loadFixture(unknownCodeBatch);
      expect(await c.suspects.MAX_UNKNOWN_CODES()).to.equal(MAX_CODES);
      const codes = Array.from({ length: Number(MAX_CODES) }, (_, i) => ({ codeHash: ethers.id(`fake ${i}`), gtin: GTIN }));
      await c.suspects.connect(c.pharmacy).reportUnknownCodes(codes);
      expect(await c.suspects.unknownCodeReportCount()).to.equal(MAX_CODES);
    });

    for (const count of [0n, MAX_CODES + 1n]) {
      it(`reverts when given ${count} codes`, async function () {
        const c = await loadFixture(unknownCodeBatch);
        const codes = Array.from({ length: Number(count) }, (_, i) => ({ codeHash: ethers.id(`fake ${i}`), gtin: 0n }));
        await expect(c.suspects.connect(c.pharmacy).reportUnknownCodes(codes))
          .to.be.revertedWithCustomError(c.suspects, "SuspectInvalidCodeCount")
          .withArgs(count, MAX_CODES);
      });
    }

    it("reverts when any code's hash is zero, reporting none of them", async function () {
      const c = await loadFixture(oneReport);
      const codes = [
        { codeHash: INVENTED2, gtin: GTIN },
        { codeHash: ethers.ZeroHash, gtin: GTIN },
      ];
      await expect(c.suspects.connect(c.pharmacy).reportUnknownCodes(codes)).to.be.revertedWithCustomError(c.suspects, "SuspectZeroCodeHash");
      expect(await c.suspects.unknownCodeReportCount()).to.equal(1n);
    });

    it("reverts when any code's GTIN is invalid", async function () {
      const c = await loadFixture(unknownCodeBatch);
      const codes = [
        { codeHash: INVENTED, gtin: GTIN },
        { codeHash: INVENTED2, gtin: GTIN - 1n },
      ];
      await expect(c.suspects.connect(c.pharmacy).reportUnknownCodes(codes))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidGtin")
        .withArgs(GTIN - 1n);
    });

    describe("callers", function () {
      restoreClockAfter();
      itRejectsCallers(
        callerFixture("reportUnknownCodesCallers"),
        reporterCases(),
        (c, s) => c.suspects.connect(s).reportUnknownCodes([{ codeHash: INVENTED, gtin: GTIN }]),
        (c) => c.suspects,
      );
    });
  });
});
