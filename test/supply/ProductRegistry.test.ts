import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";

import { productApplicationHash } from "../../sdk/codes.js";
import { Domain, LicenceKind, PartyStatus, Role } from "../../sdk/enums.js";
import type { ISuspectProduct } from "../../types/ethers-contracts/index.js";
import { nonMemberCases, wrongDomain, wrongRole } from "../helpers/callers.js";
import {
  HOSPITAL,
  LABORATORY,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  PHARMACY,
  REGULATOR,
  UNKNOWN,
  WHOLESALER,
  ethers,
  restoreClockAfter,
} from "../helpers/fixtures.js";
import { productSubject } from "../helpers/quality.js";
import {
  BatchStatus,
  NO_HUMIDITY,
  NO_TEMPERATURE,
  ShipmentStatus,
  UnitStatus,
  UnitTree,
  UnitVerdict,
  batchIdOf,
  eventsOf,
  expectConserved,
  expectEvents,
  gtinIsValid,
  inspect,
  registerProduct,
  shipmentIdOf,
  unitHash,
} from "../helpers/supply.js";
import {
  ACTIVE_RECORD,
  APPROVAL,
  type BatchCtx,
  type Ctx,
  DAY,
  EMERGENCY_STOP,
  GTIN,
  GTIN2,
  LOT,
  MAKER2,
  MAX_UNDO_WINDOW,
  NAME,
  NATIONAL,
  NO_APPLICATION,
  QUANTITY,
  type Signer,
  U32,
  U48,
  U64,
  UNDO_WINDOW,
  UNITS,
  type UnitView,
  applicationOf,
  batchInput,
  batchOf,
  custody,
  custodianCases,
  custodyOf,
  dispensedBy,
  dispensedUnit,
  distributedBatch,
  farFutureBatch,
  FAR_NOW,
  fullProductOf,
  hospitalStocked,
  itRejectsCallers,
  itRejectsInvalidProofs,
  ledgerAt,
  loadFixture,
  lockedUnit,
  manufacturerActorCases,
  markedUnits,
  move,
  notGovernorCases,
  productionBatch,
  registeredProduct,
  regulatorActorCases,
  releasedBatch,
  shipmentOf,
  standingCases,
  stop,
  supplyParties,
  time,
  timestampOf,
  unitOf,
  verdictOf,
} from "./ledger.fixtures.js";

/** The pharmaceutical graph's recall state. */
const RECALL = 2;

/** The hash of the maker's application in {appliedProduct} (NATIONAL, NAME, APPROVAL): what the regulator examined. */
const APPLIED = productApplicationHash({ nationalCode: NATIONAL, name: NAME, approvalNo: APPROVAL });
/** The hash of maker 2's squatting application for GTIN ("Squatted", "H-SQUAT", NATIONAL). */
const SQUATTED = productApplicationHash({ nationalCode: NATIONAL, name: "Squatted", approvalNo: "H-SQUAT" });

// ==== FIXTURES ====

/** supplyParties + the maker applied for GTIN (NAME, APPROVAL, NATIONAL); nothing approved. */
async function appliedProduct(): Promise<Ctx> {
  const c = await supplyParties();
  await c.batchRegistry.connect(c.maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
  return c;
}

/** Maker 2's pending national code, which the maker swaps its own application to. */
const THEIR_CODE = 7654321n;
/** The maker's application after the swap: NAME, APPROVAL, THEIR_CODE. */
const SWAPPED = productApplicationHash({ nationalCode: THEIR_CODE, name: NAME, approvalNo: APPROVAL });
/** Maker 2's application for GTIN2 ("Other", "H2", THEIR_CODE). */
const THEIRS = productApplicationHash({ nationalCode: THEIR_CODE, name: "Other", approvalNo: "H2" });

/**
 * appliedProduct + maker 2 applied for GTIN2 with THEIR_CODE; the regulator read the
 * maker's application (APPLIED: national code NATIONAL), then the maker replaced it with
 * THEIR_CODE — squatting its competitor's pending code under cover of the examined one.
 */
async function swappedApplication(): Promise<Ctx & { swappedAt: bigint }> {
  const c = await appliedProduct();
  await c.batchRegistry.connect(c.maker2).registerProduct(GTIN2, "Other", "H2", THEIR_CODE);
  const tx = await c.batchRegistry.connect(c.maker).registerProduct(GTIN, NAME, APPROVAL, THEIR_CODE);
  return { ...c, swappedAt: await timestampOf(tx) };
}

/** registeredProduct + maker 2 registered GTIN2 without a national code. */
async function twoProducts(): Promise<Ctx> {
  const c = await registeredProduct();
  await registerProduct(c.batchRegistry, c.maker2, c.regulator, GTIN2, "Other", "H2", 0n);
  return c;
}

/** The ProductRegistry code object at its own address, with the ledger's ABI. */
async function productRegistryAtItsAddress(c: Ctx) {
  const [products] = await c.batchRegistry.modules();
  return { address: products, ledger: await ledgerAt(products) };
}

// ==== TESTS ====

/**
 * ProductRegistry, the code object the BatchRegistry proxy routes IProductRegistry's
 * selectors to: products (application, approval, reassignment), batches, unit
 * administration and the ledger's views, all called at the proxy.
 */
describe("ProductRegistry", function () {
  describe("constructor", function () {
    it("binds the registry (the BatchRegistry checks it) and keeps no state of its own", async function () {
      const c = await loadFixture(supplyParties);
      const { address } = await productRegistryAtItsAddress(c);
      const module = await ethers.getContractAt("ProductRegistry", address);
      expect(await module.registry()).to.equal(await c.registry.getAddress());
      const fresh = await ethers.deployContract("ProductRegistry", [c.stranger.address]);
      expect(await fresh.registry()).to.equal(c.stranger.address);
    });

    it("reverts when the registry is the zero address", async function () {
      const { batchRegistry } = await loadFixture(supplyParties);
      await expect(ethers.deployContract("ProductRegistry", [ethers.ZeroAddress]))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorZeroRegistry")
        .withArgs();
    });
  });

  describe("called at its own address (no ledger there)", function () {
    it("reverts every write with BatchRegistryDirectCall, before any membership or governor check", async function () {
      const c = await loadFixture(distributedBatch);
      const { ledger } = await productRegistryAtItsAddress(c);
      const unit = c.tree.unit(c.batchId, 2n);
      const writes: [string, (s: Signer) => Promise<unknown>][] = [
        ["registerProduct", (s) => ledger.connect(s).registerProduct(GTIN2, NAME, APPROVAL, 0n)],
        ["approveProduct", (s) => ledger.connect(s).approveProduct(GTIN2, MAKER, ethers.ZeroHash)],
        ["reassignProduct", (s) => ledger.connect(s).reassignProduct(GTIN, MAKER2, 0n)],
        ["createBatch", async (s) => ledger.connect(s).createBatch(await batchInput({ lot: "SHADOW" }))],
        ["releaseBatch", (s) => ledger.connect(s).releaseBatch(c.batchId)],
        ["decommission", (s) => ledger.connect(s).decommission(unit, UnitStatus.Locked)],
        ["reactivate", (s) => ledger.connect(s).reactivate(unit)],
        ["restoreUnit", (s) => ledger.connect(s).restoreUnit(unit)],
        ["setDispenseUndoWindow", (s) => ledger.connect(s).setDispenseUndoWindow(1n)],
      ];
      for (const [name, send] of writes) {
        for (const signer of [c.maker, c.makerQa, c.regulator, c.gov, c.stranger]) {
          await expect(send(signer), `${name} by ${signer.address}`).to.be.revertedWithCustomError(ledger, "BatchRegistryDirectCall").withArgs();
        }
      }
    });

    it("answers its views from its own, empty storage", async function () {
      const c = await loadFixture(dispensedUnit);
      const { ledger } = await productRegistryAtItsAddress(c);
      await expect(ledger.getProduct(GTIN)).to.be.revertedWithCustomError(ledger, "BatchRegistryUnknownProduct").withArgs(GTIN);
      await expect(ledger.getBatch(c.batchId)).to.be.revertedWithCustomError(ledger, "BatchRegistryUnknownBatch").withArgs(c.batchId);
      expect(await applicationOf(ledger, GTIN, MAKER)).to.deep.equal(NO_APPLICATION);
      expect(await ledger.productOfNationalCode(NATIONAL)).to.equal(0n);
      expect(await custodyOf(ledger, c.batchId, PHARMACY)).to.deep.equal(custody({}));
      expect(await unitOf(ledger, c.batchId, 3n)).to.deep.equal(ACTIVE_RECORD);
      expect(await ledger.dispenseUndoWindow()).to.equal(0n);
      expect(await ledger.batchIdOf(GTIN, LOT)).to.equal(c.batchId);
      // The proxy, meanwhile, holds the ledger.
      expect(await custodyOf(c.batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
    });
  });

  describe("registerProduct", function () {
    it("records the caller's party's application, registers and reserves nothing, and emits ProductApplied", async function () {
      const { batchRegistry, maker } = await loadFixture(supplyParties);
      const tx = await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
      await expectEvents(batchRegistry, tx, [["ProductApplied", [GTIN, MAKER, NATIONAL, NAME, APPROVAL, maker.address]]]);
      expect(await applicationOf(batchRegistry, GTIN, MAKER)).to.deep.equal({
        holder: MAKER,
        nationalCode: NATIONAL,
        registeredAt: await timestampOf(tx),
        state: 0n,
        limits: 0n,
        name: NAME,
        approvalNo: APPROVAL,
      });
      // Nothing is registered or reserved until the regulator approves.
      await expect(batchRegistry.getProduct(GTIN)).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct").withArgs(GTIN);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
      await expect(batchRegistry.connect(maker).createBatch(await batchInput()))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct")
        .withArgs(GTIN);
    });

    it("lets an operator of the manufacturer apply (the applicant is its party, the actor the operator)", async function () {
      const { batchRegistry, makerOperator } = await loadFixture(supplyParties);
      const tx = await batchRegistry.connect(makerOperator).registerProduct(GTIN2, NAME, APPROVAL, 0n);
      await expectEvents(batchRegistry, tx, [["ProductApplied", [GTIN2, MAKER, 0n, NAME, APPROVAL, makerOperator.address]]]);
      expect((await batchRegistry.productApplication(GTIN2, MAKER)).holder).to.equal(MAKER);
    });

    it("replaces the party's earlier application for the GTIN", async function () {
      const { batchRegistry, maker, makerOperator } = await loadFixture(supplyParties);
      await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
      const tx = await batchRegistry.connect(makerOperator).registerProduct(GTIN, "Renamed", "H2", 0n);
      await expectEvents(batchRegistry, tx, [["ProductApplied", [GTIN, MAKER, 0n, "Renamed", "H2", makerOperator.address]]]);
      expect(await applicationOf(batchRegistry, GTIN, MAKER)).to.deep.equal({
        holder: MAKER,
        nationalCode: 0n,
        registeredAt: await timestampOf(tx),
        state: 0n,
        limits: 0n,
        name: "Renamed",
        approvalNo: "H2",
      });
    });

    it("keeps applications of several manufacturers for the same GTIN and national code side by side (an application reserves nothing)", async function () {
      const { batchRegistry, maker, maker2 } = await loadFixture(supplyParties);
      await batchRegistry.connect(maker2).registerProduct(GTIN, "Squatted", "H-SQUAT", NATIONAL);
      await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
      expect([(await applicationOf(batchRegistry, GTIN, MAKER2)).name, (await applicationOf(batchRegistry, GTIN, MAKER)).name]).to.deep.equal([
        "Squatted",
        NAME,
      ]);
      // Another GTIN may apply with the same national code too.
      await batchRegistry.connect(maker2).registerProduct(GTIN2, NAME, APPROVAL, NATIONAL);
      expect((await batchRegistry.productApplication(GTIN2, MAKER2)).nationalCode).to.equal(NATIONAL);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
    });

    it("applies without a national code (0), which never maps to a product", async function () {
      const { batchRegistry, maker, maker2, regulator } = await loadFixture(supplyParties);
      await registerProduct(batchRegistry, maker, regulator, GTIN, NAME, APPROVAL, 0n);
      await registerProduct(batchRegistry, maker2, regulator, GTIN2, NAME, APPROVAL, 0n);
      expect(await batchRegistry.productOfNationalCode(0n)).to.equal(0n);
      expect((await batchRegistry.getProduct(GTIN)).nationalCode).to.equal(0n);
      expect((await batchRegistry.getProduct(GTIN2)).holder).to.equal(MAKER2);
    });

    it("accepts the largest national code, 9999999", async function () {
      const { batchRegistry, maker, regulator } = await loadFixture(supplyParties);
      await registerProduct(batchRegistry, maker, regulator, GTIN, NAME, APPROVAL, 9_999_999n);
      expect(await batchRegistry.productOfNationalCode(9_999_999n)).to.equal(GTIN);
    });

    describe("GTIN check digit", function () {
      const valid: [string, bigint][] = [
        ["06901234567892 (GTIN-13 6901234567892)", 6901234567892n],
        ["04006381333931 (EAN-13)", 4006381333931n],
        ["00036000291452 (UPC-A 036000291452)", 36000291452n],
        ["10012345678902 (GTIN-14 with indicator 1)", 10012345678902n],
        ["99999999999997 (largest valid GTIN-14)", 99999999999997n],
        ["00000000000017 (short code, left-padded)", 17n],
      ];
      for (const [title, gtin] of valid) {
        it(`accepts ${title}`, async function () {
          expect(gtinIsValid(gtin), "reference").to.equal(true);
          const { batchRegistry, maker } = await loadFixture(supplyParties);
          await batchRegistry.connect(maker).registerProduct(gtin, NAME, APPROVAL, 0n);
          expect((await batchRegistry.productApplication(gtin, MAKER)).holder).to.equal(MAKER);
        });
      }

      const invalid: [string, bigint][] = [
        ["0", 0n],
        ["a wrong check digit (…893)", 6901234567893n],
        ["a wrong check digit (…891)", 6901234567891n],
        ["swapped digits (transposition 69 → 96)", 9601234567892n],
        ["10^14 (15 digits)", 10n ** 14n],
        ["10^14 + 6901234567892 (valid digits behind a 15th)", 10n ** 14n + 6901234567892n],
        ["10^15 + 4006381333931", 10n ** 15n + 4006381333931n],
        ["type(uint64).max", U64],
      ];
      for (const [title, gtin] of invalid) {
        it(`reverts on ${title}`, async function () {
          expect(gtinIsValid(gtin), "reference").to.equal(false);
          const { batchRegistry, maker } = await loadFixture(supplyParties);
          await expect(batchRegistry.connect(maker).registerProduct(gtin, NAME, APPROVAL, 0n))
            .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidGtin")
            .withArgs(gtin);
        });
      }

      it("accepts exactly one check digit per body, as the reference computes it", async function () {
        const { batchRegistry, maker } = await loadFixture(supplyParties);
        for (const body of [690123456789n, 400638133393n, 1n, 0n, 9999999999999n, 1234567890123n, 5000000000000n]) {
          const accepted: bigint[] = [];
          for (let d = 0n; d < 10n; ++d) {
            const gtin = body * 10n + d;
            const ok = await batchRegistry
              .connect(maker)
              .registerProduct.staticCall(gtin, NAME, APPROVAL, 0n)
              .then(() => true)
              .catch((e: unknown) => {
                expect(batchRegistry.interface.parseError((e as { data: string }).data)?.name).to.equal("BatchRegistryInvalidGtin");
                return false;
              });
            expect(ok, `gtin ${gtin}`).to.equal(gtinIsValid(gtin));
            if (ok) accepted.push(d);
          }
          expect(accepted.length, `body ${body}`).to.equal(body === 0n ? 0 : 1);
        }
      });
    });

    it("reverts when the GTIN is already registered (approved), by the same or another manufacturer", async function () {
      const { batchRegistry, maker, makerOperator, maker2 } = await loadFixture(registeredProduct);
      for (const caller of [maker, makerOperator, maker2]) {
        await expect(batchRegistry.connect(caller).registerProduct(GTIN, "Other", "H2", 0n))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryProductExists")
          .withArgs(GTIN);
      }
    });

    it("reverts when the name is empty", async function () {
      const { batchRegistry, maker } = await loadFixture(supplyParties);
      await expect(batchRegistry.connect(maker).registerProduct(GTIN, "", APPROVAL, NATIONAL))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryEmptyField")
        .withArgs("name");
    });

    it("reverts when the approval number is empty", async function () {
      const { batchRegistry, maker } = await loadFixture(supplyParties);
      await expect(batchRegistry.connect(maker).registerProduct(GTIN, NAME, "", NATIONAL))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryEmptyField")
        .withArgs("approvalNo");
    });

    for (const code of [10_000_000n, 12_345_678n, U32]) {
      it(`reverts when the national code is ${code} (≥ 10^7)`, async function () {
        const { batchRegistry, maker } = await loadFixture(supplyParties);
        await expect(batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, code))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidNationalCode")
          .withArgs(code);
      });
    }

    it("reverts when the national code is taken by a registered product, naming it", async function () {
      const { batchRegistry, maker, maker2 } = await loadFixture(registeredProduct);
      for (const caller of [maker, maker2]) {
        await expect(batchRegistry.connect(caller).registerProduct(GTIN2, NAME, APPROVAL, NATIONAL))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNationalCodeTaken")
          .withArgs(NATIONAL, GTIN);
      }
    });

    it("leaves nothing behind when it reverts", async function () {
      const { batchRegistry, maker } = await loadFixture(supplyParties);
      await expect(batchRegistry.connect(maker).registerProduct(GTIN, NAME, "", NATIONAL)).to.be.revertedWithCustomError(
        batchRegistry,
        "BatchRegistryEmptyField",
      );
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
      await expect(batchRegistry.getProduct(GTIN)).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct").withArgs(GTIN);
      expect(await applicationOf(batchRegistry, GTIN, MAKER)).to.deep.equal(NO_APPLICATION);
    });

    itRejectsCallers(supplyParties, manufacturerActorCases<Ctx>(), (c, s) =>
      c.batchRegistry.connect(s).registerProduct(GTIN, NAME, APPROVAL, NATIONAL),
    );
  });
  describe("approveProduct", function () {
    it("registers the applicant's product, binds its GTIN and national code, deletes the application and emits ProductRegistered", async function () {
      const { batchRegistry, regulator } = await loadFixture(appliedProduct);
      const tx = await batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, APPLIED);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN, MAKER, NATIONAL, NAME, APPROVAL, regulator.address]]]);
      expect(await fullProductOf(batchRegistry, GTIN)).to.deep.equal({
        holder: MAKER,
        nationalCode: NATIONAL,
        registeredAt: await timestampOf(tx),
        state: 0n,
        limits: 0n,
        name: NAME,
        approvalNo: APPROVAL,
      });
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(GTIN);
      expect(await applicationOf(batchRegistry, GTIN, MAKER)).to.deep.equal(NO_APPLICATION);
    });

    it("lets an operator of the regulator approve (the actor is the operator); the holder can then create batches", async function () {
      const { batchRegistry, regOperator, maker } = await loadFixture(appliedProduct);
      const tx = await batchRegistry.connect(regOperator).approveProduct(GTIN, MAKER, APPLIED);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN, MAKER, NATIONAL, NAME, APPROVAL, regOperator.address]]]);
      await batchRegistry.connect(maker).createBatch(await batchInput());
      expect((await batchRegistry.getBatch(batchIdOf(GTIN, LOT))).manufacturer).to.equal(MAKER);
    });

    it("approves the applicant's latest application when the regulator examined that one (its hash)", async function () {
      const { batchRegistry, maker, regulator } = await loadFixture(appliedProduct);
      await batchRegistry.connect(maker).registerProduct(GTIN, "Renamed", "H-2", 0n);
      const latest = productApplicationHash({ nationalCode: 0n, name: "Renamed", approvalNo: "H-2" });
      const tx = await batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, latest);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN, MAKER, 0n, "Renamed", "H-2", regulator.address]]]);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
    });

    it("approves the owner although a squatter applied first; the squatter's application stays and can no longer be approved", async function () {
      const c = await loadFixture(supplyParties);
      const { batchRegistry, maker, maker2, regulator } = c;
      await batchRegistry.connect(maker2).registerProduct(GTIN, "Squatted", "H-SQUAT", NATIONAL);
      await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
      const tx = await batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, APPLIED);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN, MAKER, NATIONAL, NAME, APPROVAL, regulator.address]]]);
      expect((await batchRegistry.getProduct(GTIN)).holder).to.equal(MAKER);
      expect((await applicationOf(batchRegistry, GTIN, MAKER2)).name).to.equal("Squatted");
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER2, SQUATTED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryProductExists")
        .withArgs(GTIN);
      // The squatter cannot make batches of it.
      await expect(batchRegistry.connect(maker2).createBatch(await batchInput()))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN, MAKER2);
    });

    it("reverts when the applicant has no application for the GTIN", async function () {
      const { batchRegistry, maker2, regulator } = await loadFixture(appliedProduct);
      await batchRegistry.connect(maker2).registerProduct(GTIN2, NAME, APPROVAL, 0n);
      for (const [gtin, applicant] of [
        [GTIN, MAKER2],
        [GTIN2, MAKER],
        [GTIN, 0n],
        [GTIN, UNKNOWN],
        [0n, MAKER],
        [GTIN, WHOLESALER],
      ] as const) {
        await expect(batchRegistry.connect(regulator).approveProduct(gtin, applicant, ethers.ZeroHash))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownApplication")
          .withArgs(gtin, applicant);
      }
    });

    it("reverts when the application was already approved (it was deleted)", async function () {
      const { batchRegistry, regulator, regOperator } = await loadFixture(appliedProduct);
      await batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, APPLIED);
      // The same hash again: the application is gone, whatever the regulator examined.
      await expect(batchRegistry.connect(regOperator).approveProduct(GTIN, MAKER, APPLIED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownApplication")
        .withArgs(GTIN, MAKER);
    });

    it("checks the national code again: reverts when another product took it since the application, naming that product", async function () {
      const { batchRegistry, maker2, regulator, gov } = await loadFixture(appliedProduct);
      await registerProduct(batchRegistry, maker2, regulator, GTIN2, "Other", "H2", NATIONAL);
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, APPLIED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNationalCodeTaken")
        .withArgs(NATIONAL, GTIN2);
      // Once governance moves the other product off the code, the application goes through.
      await batchRegistry.connect(gov).reassignProduct(GTIN2, MAKER2, 0n);
      await batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, APPLIED);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(GTIN);
    });

    it("checks the GTIN before the national code (both taken since the application)", async function () {
      const { batchRegistry, maker, maker2, regulator } = await loadFixture(supplyParties);
      await batchRegistry.connect(maker2).registerProduct(GTIN, "Squatted", "H-SQUAT", NATIONAL);
      await registerProduct(batchRegistry, maker, regulator, GTIN, NAME, APPROVAL, NATIONAL);
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER2, SQUATTED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryProductExists")
        .withArgs(GTIN);
    });

    const standing: [string, (c: Ctx) => Promise<unknown>, string, unknown[]][] = [
      ["suspended", (c) => c.registry.connect(c.regulator).suspendParty(MAKER), "RegistryPartyNotActive", [MAKER, PartyStatus.Suspended]],
      ["revoked", (c) => c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Revoked), "RegistryPartyNotActive", [MAKER, PartyStatus.Revoked]],
      [
        "without its licence (revoked)",
        (c) => c.registry.connect(c.regulator).revokeLicence(MAKER, LicenceKind.Manufacturing),
        "RegistryLicenceRevoked",
        [MAKER, 1],
      ],
      ["without its licence (expired)", () => time.increaseTo(LICENCE_EXPIRY), "RegistryLicenceExpired", [MAKER, LICENCE_EXPIRY]],
    ];
    for (const [title, change, error, args] of standing) {
      it(`reverts when the applicant is no longer an active manufacturer: ${title}`, async function () {
        const c = await loadFixture(appliedProduct);
        await change(c);
        await expect(c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, APPLIED))
          .to.be.revertedWithCustomError(c.registry, error)
          .withArgs(...args);
        expect((await applicationOf(c.batchRegistry, GTIN, MAKER)).holder).to.equal(MAKER);
        await expect(c.batchRegistry.getProduct(GTIN)).to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownProduct").withArgs(GTIN);
        expect(await c.batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
      });
    }

    it("approves once the applicant's party is reinstated", async function () {
      const c = await loadFixture(appliedProduct);
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Active);
      await c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, APPLIED);
      expect((await c.batchRegistry.getProduct(GTIN)).holder).to.equal(MAKER);
    });

    it("reverts when the applicant replaced its application after the regulator read it (national code N1 → N2, a competitor's pending code), changing nothing", async function () {
      const c = await loadFixture(swappedApplication);
      const { batchRegistry, regulator } = c;
      // The regulator examined the application with NATIONAL (APPLIED); the chain now holds the one with THEIR_CODE.
      expect(await batchRegistry.productApplicationHash(GTIN, MAKER)).to.equal(SWAPPED);
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, APPLIED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryApplicationChanged")
        .withArgs(GTIN, MAKER, APPLIED, SWAPPED);
      // No product, the competitor's code free, both applications still pending as they were.
      await expect(batchRegistry.getProduct(GTIN)).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct").withArgs(GTIN);
      expect(await batchRegistry.productOfNationalCode(THEIR_CODE)).to.equal(0n);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
      expect(await applicationOf(batchRegistry, GTIN, MAKER)).to.deep.equal({
        holder: MAKER,
        nationalCode: THEIR_CODE,
        registeredAt: c.swappedAt,
        state: 0n,
        limits: 0n,
        name: NAME,
        approvalNo: APPROVAL,
      });
      expect(await batchRegistry.productApplicationHash(GTIN2, MAKER2)).to.equal(THEIRS);
      // The competitor's application, examined and approved, gets its code; the swapped one then cannot.
      await batchRegistry.connect(regulator).approveProduct(GTIN2, MAKER2, THEIRS);
      expect(await batchRegistry.productOfNationalCode(THEIR_CODE)).to.equal(GTIN2);
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, SWAPPED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNationalCodeTaken")
        .withArgs(THEIR_CODE, GTIN2);
    });

    it("approves the replacement once the regulator examined it: the hash of the application now pending", async function () {
      const { batchRegistry, regOperator } = await loadFixture(swappedApplication);
      const tx = await batchRegistry.connect(regOperator).approveProduct(GTIN, MAKER, SWAPPED);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN, MAKER, THEIR_CODE, NAME, APPROVAL, regOperator.address]]]);
      expect(await batchRegistry.productOfNationalCode(THEIR_CODE)).to.equal(GTIN);
      expect(await applicationOf(batchRegistry, GTIN, MAKER)).to.deep.equal(NO_APPLICATION);
    });

    it("reverts when the name or the approval number changed since the regulator read the application", async function () {
      const c = await loadFixture(appliedProduct);
      for (const [name, approvalNo] of [
        ["Amoxicillin Capsules 0.5 g × 24", APPROVAL],
        [NAME, "国药准字H20230002"],
      ] as const) {
        await c.batchRegistry.connect(c.makerOperator).registerProduct(GTIN, name, approvalNo, NATIONAL);
        const current = productApplicationHash({ nationalCode: NATIONAL, name, approvalNo });
        await expect(c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, APPLIED))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryApplicationChanged")
          .withArgs(GTIN, MAKER, APPLIED, current);
      }
      await expect(c.batchRegistry.getProduct(GTIN)).to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownProduct").withArgs(GTIN);
    });

    it("approves an application filed again with the same content (its time is not part of the hash)", async function () {
      const c = await loadFixture(appliedProduct);
      await time.increase(DAY);
      const tx = await c.batchRegistry.connect(c.makerOperator).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
      expect((await applicationOf(c.batchRegistry, GTIN, MAKER)).registeredAt).to.equal(await timestampOf(tx));
      await c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, APPLIED);
      expect((await c.batchRegistry.getProduct(GTIN)).holder).to.equal(MAKER);
    });

    it("reverts when the hash is not the pending application's: zero, another applicant's, another GTIN's", async function () {
      const c = await loadFixture(swappedApplication);
      for (const wrong of [ethers.ZeroHash, THEIRS, APPLIED, ethers.id("anything")]) {
        await expect(c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, wrong))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryApplicationChanged")
          .withArgs(GTIN, MAKER, wrong, SWAPPED);
      }
      // Maker 2's hash is right for maker 2's application only.
      await expect(c.batchRegistry.connect(c.regulator).approveProduct(GTIN2, MAKER2, SWAPPED))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryApplicationChanged")
        .withArgs(GTIN2, MAKER2, SWAPPED, THEIRS);
    });

    it("checks the application first, then the hash, then the GTIN, the national code and the applicant", async function () {
      const c = await loadFixture(supplyParties);
      const { batchRegistry, registry, maker, maker2, regulator } = c;
      await batchRegistry.connect(maker2).registerProduct(GTIN, "Squatted", "H-SQUAT", NATIONAL);
      await registerProduct(batchRegistry, maker, regulator, GTIN, NAME, APPROVAL, NATIONAL);
      await registry.connect(regulator).suspendParty(MAKER2);
      // No application of the maker any more (approved): that comes first, whatever the hash.
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER, SQUATTED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownApplication")
        .withArgs(GTIN, MAKER);
      // Maker 2's application: GTIN taken, code taken, maker 2 suspended; a stale hash is named first.
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER2, APPLIED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryApplicationChanged")
        .withArgs(GTIN, MAKER2, APPLIED, SQUATTED);
      await expect(batchRegistry.connect(regulator).approveProduct(GTIN, MAKER2, SQUATTED))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryProductExists")
        .withArgs(GTIN);
    });

    // With the right hash: the caller alone is wrong.
    itRejectsCallers(appliedProduct, regulatorActorCases<Ctx>(), (c, s) => c.batchRegistry.connect(s).approveProduct(GTIN, MAKER, APPLIED));
  });

  describe("productApplication", function () {
    it("answers an empty record for no application, and each applicant's own", async function () {
      const c = await loadFixture(appliedProduct);
      const { batchRegistry, maker2 } = c;
      const tx = await batchRegistry.connect(maker2).registerProduct(GTIN, "Other", "H2", 0n);
      expect(await applicationOf(batchRegistry, GTIN, MAKER2)).to.deep.equal({
        holder: MAKER2,
        nationalCode: 0n,
        registeredAt: await timestampOf(tx),
        state: 0n,
        limits: 0n,
        name: "Other",
        approvalNo: "H2",
      });
      expect((await applicationOf(batchRegistry, GTIN, MAKER)).name).to.equal(NAME);
      for (const [gtin, applicant] of [
        [GTIN2, MAKER],
        [GTIN, 0n],
        [GTIN, WHOLESALER],
        [0n, 0n],
        [U64, U64],
      ] as const) {
        expect(await applicationOf(batchRegistry, gtin, applicant), `${gtin} by ${applicant}`).to.deep.equal(NO_APPLICATION);
      }
    });

    it("is cleared by the approval, every field", async function () {
      const c = await loadFixture(appliedProduct);
      await c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, APPLIED);
      expect(await applicationOf(c.batchRegistry, GTIN, MAKER)).to.deep.equal(NO_APPLICATION);
    });
  });

  describe("productApplicationHash", function () {
    it("answers keccak256(abi.encode(uint32 nationalCode, string name, string approvalNo)) of the pending application, as the SDK computes it", async function () {
      const c = await loadFixture(swappedApplication);
      const { batchRegistry, maker } = c;
      const encode = (nationalCode: bigint, name: string, approvalNo: string) =>
        ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint32", "string", "string"], [nationalCode, name, approvalNo]));
      expect(await batchRegistry.productApplicationHash(GTIN, MAKER)).to.equal(SWAPPED);
      expect(SWAPPED).to.equal(encode(THEIR_CODE, NAME, APPROVAL));
      expect(await batchRegistry.productApplicationHash(GTIN2, MAKER2)).to.equal(encode(THEIR_CODE, "Other", "H2"));
      // Without a national code, with long and non-ASCII fields.
      const longName = "A name longer than thirty-two bytes, stored out of line — 阿莫西林胶囊";
      await batchRegistry.connect(maker).registerProduct(GTIN2, longName, APPROVAL, 0n);
      const hash = await batchRegistry.productApplicationHash(GTIN2, MAKER);
      expect(hash).to.equal(productApplicationHash({ nationalCode: 0, name: longName, approvalNo: APPROVAL }));
      expect(hash).to.equal(encode(0n, longName, APPROVAL));
    });

    it("follows the applicant's latest application", async function () {
      const { batchRegistry, maker } = await loadFixture(appliedProduct);
      expect(await batchRegistry.productApplicationHash(GTIN, MAKER)).to.equal(APPLIED);
      await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, THEIR_CODE);
      expect(await batchRegistry.productApplicationHash(GTIN, MAKER)).to.equal(SWAPPED);
    });

    it("reverts when there is no application: never filed, or approved (deleted)", async function () {
      const c = await loadFixture(appliedProduct);
      const { batchRegistry } = c;
      for (const [gtin, applicant] of [
        [GTIN, MAKER2],
        [GTIN2, MAKER],
        [GTIN, 0n],
        [0n, 0n],
        [U64, U64],
      ] as const) {
        await expect(batchRegistry.productApplicationHash(gtin, applicant))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownApplication")
          .withArgs(gtin, applicant);
      }
      await c.batchRegistry.connect(c.regulator).approveProduct(GTIN, MAKER, APPLIED);
      await expect(batchRegistry.productApplicationHash(GTIN, MAKER))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownApplication")
        .withArgs(GTIN, MAKER);
    });
  });

  describe("reassignProduct", function () {
    it("gives the product a new holder and national code, frees the old code and emits ProductReassigned", async function () {
      const { batchRegistry, gov } = await loadFixture(registeredProduct);
      const before = await fullProductOf(batchRegistry, GTIN);
      const tx = await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER2, 7654321n);
      await expectEvents(batchRegistry, tx, [["ProductReassigned", [GTIN, MAKER, MAKER2, NATIONAL, 7654321n, gov.address]]]);
      expect(await fullProductOf(batchRegistry, GTIN)).to.deep.equal({ ...before, holder: MAKER2, nationalCode: 7654321n });
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
      expect(await batchRegistry.productOfNationalCode(7654321n)).to.equal(GTIN);
    });

    it("keeps an unchanged national code bound", async function () {
      const { batchRegistry, gov } = await loadFixture(registeredProduct);
      const tx = await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER2, NATIONAL);
      await expectEvents(batchRegistry, tx, [["ProductReassigned", [GTIN, MAKER, MAKER2, NATIONAL, NATIONAL, gov.address]]]);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(GTIN);
      expect((await batchRegistry.getProduct(GTIN)).nationalCode).to.equal(NATIONAL);
    });

    it("changes only the national code (same holder), or drops it (0)", async function () {
      const { batchRegistry, gov } = await loadFixture(registeredProduct);
      let tx = await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER, 1234567n);
      await expectEvents(batchRegistry, tx, [["ProductReassigned", [GTIN, MAKER, MAKER, NATIONAL, 1234567n, gov.address]]]);
      expect([await batchRegistry.productOfNationalCode(NATIONAL), await batchRegistry.productOfNationalCode(1234567n)]).to.deep.equal([0n, GTIN]);
      tx = await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER, 0n);
      await expectEvents(batchRegistry, tx, [["ProductReassigned", [GTIN, MAKER, MAKER, 1234567n, 0n, gov.address]]]);
      expect(await batchRegistry.productOfNationalCode(1234567n)).to.equal(0n);
      expect(await batchRegistry.productOfNationalCode(0n)).to.equal(0n);
      expect((await batchRegistry.getProduct(GTIN)).nationalCode).to.equal(0n);
    });

    it("gives a national code to a product that had none, and accepts the largest code", async function () {
      const { batchRegistry, gov } = await loadFixture(twoProducts);
      const tx = await batchRegistry.connect(gov).reassignProduct(GTIN2, MAKER2, 9_999_999n);
      await expectEvents(batchRegistry, tx, [["ProductReassigned", [GTIN2, MAKER2, MAKER2, 0n, 9_999_999n, gov.address]]]);
      expect(await batchRegistry.productOfNationalCode(9_999_999n)).to.equal(GTIN2);
    });

    it("frees the old code for another product's approval", async function () {
      const { batchRegistry, gov, maker2, regulator } = await loadFixture(registeredProduct);
      await expect(batchRegistry.connect(maker2).registerProduct(GTIN2, "Other", "H2", NATIONAL))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNationalCodeTaken")
        .withArgs(NATIONAL, GTIN);
      await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER, 0n);
      await batchRegistry.connect(maker2).registerProduct(GTIN2, "Other", "H2", NATIONAL);
      await batchRegistry
        .connect(regulator)
        .approveProduct(GTIN2, MAKER2, productApplicationHash({ nationalCode: NATIONAL, name: "Other", approvalNo: "H2" }));
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(GTIN2);
    });

    it("lets the new holder make batches and stops the old one; existing batches keep their manufacturer and stay in production", async function () {
      const c = await loadFixture(productionBatch);
      await c.batchRegistry.connect(c.gov).reassignProduct(GTIN, MAKER2, NATIONAL);
      await expect(c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" })))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN, MAKER);
      await c.batchRegistry.connect(c.maker2).createBatch(await batchInput({ lot: "LOT-2" }));
      expect((await batchOf(c.batchRegistry, batchIdOf(GTIN, "LOT-2"))).manufacturer).to.equal(MAKER2);
      expect((await batchOf(c.batchRegistry, c.batchId)).manufacturer).to.equal(MAKER);
      await inspect(c.batchRegistry, c.makerQa, c.batchId);
      await expect(c.batchRegistry.connect(c.makerQa).releaseBatch(c.batchId))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN, MAKER);
      await expect(c.batchRegistry.connect(c.maker2Qa).releaseBatch(c.batchId))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotManufacturer")
        .withArgs(c.batchId, MAKER2);
      expect((await batchOf(c.batchRegistry, c.batchId)).status).to.equal(BatchStatus.Production);
    });

    it("works as an executed governance proposal (Call kind)", async function () {
      const { batchRegistry, governor, admins } = await loadFixture(registeredProduct);
      const data = batchRegistry.interface.encodeFunctionData("reassignProduct", [GTIN, MAKER2, 0n]);
      await governor.connect(admins[1]).proposeCall(await batchRegistry.getAddress(), data);
      const id = await governor.proposalCount();
      for (const voter of admins.slice(0, 4)) {
        if (Number(await governor.proposalState(id)) !== 1) break;
        await governor.connect(voter).vote(id);
      }
      expect((await batchRegistry.getProduct(GTIN)).holder).to.equal(MAKER2);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(0n);
    });

    it("reverts when no product has the GTIN (an application is not a product)", async function () {
      const { batchRegistry, gov, maker2 } = await loadFixture(registeredProduct);
      await batchRegistry.connect(maker2).registerProduct(GTIN2, NAME, APPROVAL, 0n);
      for (const gtin of [GTIN2, 0n, U64]) {
        await expect(batchRegistry.connect(gov).reassignProduct(gtin, MAKER2, 0n))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct")
          .withArgs(gtin);
      }
    });

    for (const holder of [UNKNOWN, 0n, U64]) {
      it(`reverts when the new holder ${holder} is not a party`, async function () {
        const { batchRegistry, registry, gov } = await loadFixture(registeredProduct);
        await expect(batchRegistry.connect(gov).reassignProduct(GTIN, holder, NATIONAL))
          .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
          .withArgs(holder);
      });
    }

    for (const [name, holder, domain] of [
      ["wholesaler", WHOLESALER, Domain.Wholesaler],
      ["regulator", REGULATOR, Domain.Regulator],
      ["pharmacy", PHARMACY, Domain.Pharmacy],
      ["laboratory", LABORATORY, Domain.Laboratory],
    ] as const) {
      it(`reverts when the new holder is the ${name} (not a manufacturer)`, async function () {
        const { batchRegistry, registry, gov } = await loadFixture(registeredProduct);
        await expect(batchRegistry.connect(gov).reassignProduct(GTIN, holder, NATIONAL))
          .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
          .withArgs(holder, domain);
      });
    }

    const standing: [string, (c: Ctx) => Promise<unknown>, string, unknown[]][] = [
      ["suspended", (c) => c.registry.connect(c.regulator).suspendParty(MAKER2), "RegistryPartyNotActive", [MAKER2, PartyStatus.Suspended]],
      ["revoked", (c) => c.registry.connect(c.gov).setPartyStatus(MAKER2, PartyStatus.Revoked), "RegistryPartyNotActive", [MAKER2, PartyStatus.Revoked]],
      [
        "without its licence",
        (c) => c.registry.connect(c.regulator).revokeLicence(MAKER2, LicenceKind.Manufacturing),
        "RegistryLicenceRevoked",
        [MAKER2, 1],
      ],
    ];
    for (const [title, change, error, args] of standing) {
      it(`reverts when the new holder is not an active manufacturer: ${title}`, async function () {
        const c = await loadFixture(registeredProduct);
        await change(c);
        await expect(c.batchRegistry.connect(c.gov).reassignProduct(GTIN, MAKER2, 0n))
          .to.be.revertedWithCustomError(c.registry, error)
          .withArgs(...args);
        expect(await fullProductOf(c.batchRegistry, GTIN)).to.deep.include({ holder: MAKER, nationalCode: NATIONAL });
      });
    }

    for (const code of [10_000_000n, U32]) {
      it(`reverts when the new national code is ${code} (≥ 10^7)`, async function () {
        const { batchRegistry, gov } = await loadFixture(registeredProduct);
        await expect(batchRegistry.connect(gov).reassignProduct(GTIN, MAKER2, code))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidNationalCode")
          .withArgs(code);
      });
    }

    it("reverts when the new national code is another product's, naming it; nothing changes", async function () {
      const { batchRegistry, gov } = await loadFixture(twoProducts);
      await expect(batchRegistry.connect(gov).reassignProduct(GTIN2, MAKER2, NATIONAL))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNationalCodeTaken")
        .withArgs(NATIONAL, GTIN);
      expect(await fullProductOf(batchRegistry, GTIN2)).to.deep.include({ holder: MAKER2, nationalCode: 0n });
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(GTIN);
    });

    it("checks the product, then the holder, then the national code", async function () {
      const { batchRegistry, registry, gov } = await loadFixture(registeredProduct);
      await expect(batchRegistry.connect(gov).reassignProduct(GTIN2, WHOLESALER, U32))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct")
        .withArgs(GTIN2);
      await expect(batchRegistry.connect(gov).reassignProduct(GTIN, WHOLESALER, U32))
        .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
        .withArgs(WHOLESALER, Domain.Wholesaler);
    });

    itRejectsCallers(registeredProduct, notGovernorCases<Ctx>(), (c, s) => c.batchRegistry.connect(s).reassignProduct(GTIN, MAKER2, 0n));
  });

  describe("createBatch", function () {
    it("creates the batch in production, held whole by the manufacturer, and emits BatchCreated", async function () {
      const c = await loadFixture(registeredProduct);
      const { batchRegistry, maker } = c;
      const tree = UnitTree.sequential(GTIN, UNITS);
      const input = await batchInput({}, tree);
      const expectedId = batchIdOf(GTIN, LOT);
      expect(await batchRegistry.connect(maker).createBatch.staticCall(input)).to.equal(expectedId);
      const tx = await batchRegistry.connect(maker).createBatch(input);
      await expectEvents(batchRegistry, tx, [
        [
          "BatchCreated",
          [expectedId, GTIN, MAKER, LOT, input.manufacturedAt, input.expiresAt, QUANTITY, tree.root, BigInt(UNITS), maker.address],
        ],
      ]);
      expect(await batchOf(batchRegistry, expectedId)).to.deep.equal({
        gtin: GTIN,
        manufacturedAt: BigInt(input.manufacturedAt),
        expiresAt: BigInt(input.expiresAt),
        status: BatchStatus.Production,
        quantity: QUANTITY,
        unitsRoot: tree.root,
        unitCount: BigInt(UNITS),
        dispensed: 0n,
        destroyed: 0n,
        lost: 0n,
        manufacturer: MAKER,
      });
      expect(await batchRegistry.holding(expectedId, MAKER)).to.equal(QUANTITY);
      expect(await batchRegistry.holding(expectedId, WHOLESALER)).to.equal(0n);
      await expectConserved({ ...c }, expectedId);
    });

    it("returns the id batchIdOf computes: keccak256(abi.encode(uint64 gtin, string lot))", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      for (const lot of [LOT, "A", "批号-2026/07 α", "x".repeat(100)]) {
        const input = await batchInput({ lot });
        const id = await batchRegistry.connect(maker).createBatch.staticCall(input);
        expect(id).to.equal(batchIdOf(GTIN, lot));
        expect(id).to.equal(await batchRegistry.batchIdOf(GTIN, lot));
        await batchRegistry.connect(maker).createBatch(input);
        expect((await batchRegistry.getBatch(id)).gtin).to.equal(GTIN);
      }
    });

    it("lets an operator create a batch; the manufacturer party holds it", async function () {
      const { batchRegistry, makerOperator } = await loadFixture(registeredProduct);
      const input = await batchInput();
      const tx = await batchRegistry.connect(makerOperator).createBatch(input);
      const [[name, args]] = await eventsOf(batchRegistry, tx);
      expect(name).to.equal("BatchCreated");
      expect(args[2]).to.equal(MAKER);
      expect(args[9]).to.equal(makerOperator.address.toLowerCase());
      expect(await batchRegistry.holding(batchIdOf(GTIN, LOT), MAKER)).to.equal(QUANTITY);
    });

    it("creates an unserialised batch (no root, no units)", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      await batchRegistry.connect(maker).createBatch(await batchInput({ unitsRoot: ethers.ZeroHash, unitCount: 0n }));
      const b = await batchOf(batchRegistry, batchIdOf(GTIN, LOT));
      expect([b.unitsRoot, b.unitCount]).to.deep.equal([ethers.ZeroHash, 0n]);
    });

    it("accepts as many units as the quantity, and the largest quantity", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      await batchRegistry.connect(maker).createBatch(await batchInput({ lot: "EQ", quantity: 16n }));
      expect((await batchRegistry.getBatch(batchIdOf(GTIN, "EQ"))).unitCount).to.equal(16n);
      await batchRegistry.connect(maker).createBatch(await batchInput({ lot: "MAX", quantity: U48, unitCount: U48 }));
      expect(await batchRegistry.holding(batchIdOf(GTIN, "MAX"), MAKER)).to.equal(U48);
    });

    it("accepts a manufacture date equal to the block time and an expiry one second later", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      const t = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await batchRegistry.connect(maker).createBatch(await batchInput({ manufacturedAt: t, expiresAt: t + 1n }));
      const b = await batchOf(batchRegistry, batchIdOf(GTIN, LOT));
      expect([b.manufacturedAt, b.expiresAt]).to.deep.equal([t, t + 1n]);
    });

    it("costs the same gas for 10 units as for 1,000,000 units (within 1%)", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      const small = UnitTree.sequential(GTIN, 10);
      const large = ethers.id("root of a 1,000,000-unit tree");
      const gasOf = async (lot: string, unitsRoot: string, unitCount: bigint) => {
        const tx = await batchRegistry.connect(maker).createBatch(await batchInput({ lot, quantity: 1_000_000n, unitsRoot, unitCount }));
        const receipt = await tx.wait();
        if (receipt === null) throw new Error("no receipt");
        return receipt.gasUsed;
      };
      const gas10 = await gasOf("LOT-A", small.root, 10n);
      const gas1m = await gasOf("LOT-B", large, 1_000_000n);
      const diff = gas10 > gas1m ? gas10 - gas1m : gas1m - gas10;
      expect(diff * 100n <= gas10, `10 units: ${gas10} gas, 1,000,000 units: ${gas1m} gas`).to.equal(true);
    });

    it("reverts when no product has the GTIN", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      await expect(batchRegistry.connect(maker).createBatch(await batchInput({ gtin: GTIN2 })))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct")
        .withArgs(GTIN2);
    });

    it("reverts when the caller's party does not hold the product", async function () {
      const { batchRegistry, maker2 } = await loadFixture(registeredProduct);
      await expect(batchRegistry.connect(maker2).createBatch(await batchInput()))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN, MAKER2);
    });

    it("reverts when the lot is empty", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      await expect(batchRegistry.connect(maker).createBatch(await batchInput({ lot: "" })))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryEmptyField")
        .withArgs("lot");
    });

    it("reverts when the batch (GTIN and lot) exists, whatever the other fields", async function () {
      const { batchRegistry, maker, makerOperator, batchId } = await loadFixture(productionBatch);
      for (const [caller, overrides] of [
        [maker, {}],
        [makerOperator, { quantity: 5n, unitsRoot: ethers.ZeroHash, unitCount: 0n }],
      ] as const) {
        await expect(batchRegistry.connect(caller).createBatch(await batchInput(overrides)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExists")
          .withArgs(batchId);
      }
    });

    describe("dates", function () {
      it("reverts when the expiry equals the manufacture date", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        const m = BigInt(await time.latest()) - DAY;
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ manufacturedAt: m, expiresAt: m })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidDates")
          .withArgs(m, m);
      });

      it("reverts when the expiry is before the manufacture date", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        const m = BigInt(await time.latest()) - DAY;
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ manufacturedAt: m, expiresAt: m - 1n })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidDates")
          .withArgs(m, m - 1n);
      });

      it("reverts when the manufacture date is in the future (one second after the block)", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        const t = BigInt(await time.latest()) + 100n;
        const e = t + 365n * DAY;
        await time.setNextBlockTimestamp(t);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ manufacturedAt: t + 1n, expiresAt: e })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidDates")
          .withArgs(t + 1n, e);
      });

      it("reverts when the expiry is the block time", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        const t = BigInt(await time.latest()) + 100n;
        await time.setNextBlockTimestamp(t);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ manufacturedAt: t - DAY, expiresAt: t })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryExpiryInPast")
          .withArgs(t, t);
      });

      it("reverts when the expiry is in the past", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        const t = BigInt(await time.latest()) + 100n;
        await time.setNextBlockTimestamp(t);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ manufacturedAt: t - 9n * DAY, expiresAt: t - DAY })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryExpiryInPast")
          .withArgs(t - DAY, t);
      });
    });

    it("reverts when the quantity is zero", async function () {
      const { batchRegistry, maker } = await loadFixture(registeredProduct);
      await expect(batchRegistry.connect(maker).createBatch(await batchInput({ quantity: 0n, unitsRoot: ethers.ZeroHash, unitCount: 0n })))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryZeroQuantity")
        .withArgs();
    });

    describe("units commitment", function () {
      const root = ethers.id("some root");
      it("reverts on a root without a unit count", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ unitsRoot: root, unitCount: 0n })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnits")
          .withArgs(root, 0n, QUANTITY);
      });

      it("reverts on a unit count without a root", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ unitsRoot: ethers.ZeroHash, unitCount: 16n })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnits")
          .withArgs(ethers.ZeroHash, 16n, QUANTITY);
      });

      it("reverts on more units than the quantity", async function () {
        const { batchRegistry, maker } = await loadFixture(registeredProduct);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ unitsRoot: root, unitCount: QUANTITY + 1n })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnits")
          .withArgs(root, QUANTITY + 1n, QUANTITY);
        await expect(batchRegistry.connect(maker).createBatch(await batchInput({ quantity: 1n, unitsRoot: root, unitCount: U48 })))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnits")
          .withArgs(root, U48, 1n);
      });
    });

    itRejectsCallers(registeredProduct, manufacturerActorCases<Ctx>(), async (c, s) =>
      c.batchRegistry.connect(s).createBatch(await batchInput()),
    );
  });
  describe("releaseBatch", function () {
    it("releases the batch (QA of its manufacturer) and emits BatchReleased", async function () {
      const { batchRegistry, makerQa, batchId } = await loadFixture(productionBatch);
      await inspect(batchRegistry, makerQa, batchId);
      const tx = await batchRegistry.connect(makerQa).releaseBatch(batchId);
      await expectEvents(batchRegistry, tx, [["BatchReleased", [batchId, MAKER, makerQa.address]]]);
      const b = await batchOf(batchRegistry, batchId);
      expect(b.status).to.equal(BatchStatus.Released);
      expect(b.quantity).to.equal(QUANTITY);
      expect(await batchRegistry.holding(batchId, MAKER)).to.equal(QUANTITY);
    });

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, makerQa } = await loadFixture(productionBatch);
      const unknown = batchIdOf(GTIN, "NO-SUCH-LOT");
      await expect(batchRegistry.connect(makerQa).releaseBatch(unknown))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    it("reverts when the QA belongs to another manufacturer", async function () {
      const { batchRegistry, maker2Qa, batchId } = await loadFixture(productionBatch);
      await expect(batchRegistry.connect(maker2Qa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotManufacturer")
        .withArgs(batchId, MAKER2);
    });

    it("reverts when governance reassigned the product to another maker: the former holder's batch stays in production", async function () {
      const c = await loadFixture(productionBatch);
      const { batchRegistry, makerQa, maker2Qa, gov, batchId } = c;
      await inspect(batchRegistry, makerQa, batchId);
      await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER2, NATIONAL);
      await expect(batchRegistry.connect(makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotProductHolder")
        .withArgs(GTIN, MAKER);
      // The new holder did not make it: it cannot release it either.
      await expect(batchRegistry.connect(maker2Qa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotManufacturer")
        .withArgs(batchId, MAKER2);
      expect(await batchOf(batchRegistry, batchId)).to.deep.include({ status: BatchStatus.Production, manufacturer: MAKER });
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: QUANTITY }));
      // Given back to the maker, the batch is released as before.
      await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER, NATIONAL);
      const tx = await batchRegistry.connect(makerQa).releaseBatch(batchId);
      await expectEvents(batchRegistry, tx, [["BatchReleased", [batchId, MAKER, makerQa.address]]]);
    });

    it("checks the product holder right after the manufacturer, before the status, the expiry and the inspection", async function () {
      const c = await loadFixture(productionBatch);
      // A second batch the maker released before the reassignment.
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }));
      const released = batchIdOf(GTIN, "LOT-2");
      await inspect(c.batchRegistry, c.makerQa, released);
      await c.batchRegistry.connect(c.makerQa).releaseBatch(released);
      await c.batchRegistry.connect(c.gov).reassignProduct(GTIN, MAKER2, 0n);
      await time.increaseTo(c.expiresAt + DAY);
      // Not inspected and expired, or already released: the holder check still comes first.
      for (const batchId of [c.batchId, released]) {
        await expect(c.batchRegistry.connect(c.makerQa).releaseBatch(batchId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotProductHolder")
          .withArgs(GTIN, MAKER);
      }
      await expect(c.batchRegistry.connect(c.maker2Qa).releaseBatch(c.batchId))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotManufacturer")
        .withArgs(c.batchId, MAKER2);
    });

    it("reverts when the batch has no inspection, or its latest is not normal", async function () {
      const { batchRegistry, quality, makerQa, batchId } = await loadFixture(productionBatch);
      await expect(batchRegistry.connect(makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotInspected")
        .withArgs(batchId);
      await inspect(batchRegistry, makerQa, batchId);
      const deviation = {
        subject: batchId,
        point: 5n,
        result: 1n,
        temperature: NO_TEMPERATURE,
        humidity: NO_HUMIDITY,
        corrects: 1n,
        evidenceHash: ethers.ZeroHash,
        evidenceUri: "",
      };
      await quality.connect(makerQa).observe(deviation);
      await expect(batchRegistry.connect(makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotInspected")
        .withArgs(batchId);
      expect((await batchOf(batchRegistry, batchId)).status).to.equal(BatchStatus.Production);
    });

    it("reverts when the batch was already released", async function () {
      const { batchRegistry, makerQa, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryAlreadyReleased")
        .withArgs(batchId);
    });

    it("releases one second before the batch's expiry", async function () {
      const { batchRegistry, makerQa, batchId, expiresAt } = await loadFixture(productionBatch);
      await inspect(batchRegistry, makerQa, batchId);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      const tx = await batchRegistry.connect(makerQa).releaseBatch(batchId);
      await expectEvents(batchRegistry, tx, [["BatchReleased", [batchId, MAKER, makerQa.address]]]);
      expect((await batchOf(batchRegistry, batchId)).status).to.equal(BatchStatus.Released);
    });

    it("reverts when the batch expired (at its expiry exactly, and long after), leaving it in production", async function () {
      const { batchRegistry, makerQa, batchId, expiresAt } = await loadFixture(productionBatch);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(batchRegistry.connect(makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      await time.increase(365n * DAY);
      await expect(batchRegistry.connect(makerQa).releaseBatch(batchId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      expect((await batchOf(batchRegistry, batchId)).status).to.equal(BatchStatus.Production);
    });

    it("reverts when the batch is already released or another manufacturer's, before looking at its expiry", async function () {
      const c = await loadFixture(releasedBatch);
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }));
      const unreleased = batchIdOf(GTIN, "LOT-2");
      await time.increaseTo(c.expiresAt + DAY);
      await expect(c.batchRegistry.connect(c.makerQa).releaseBatch(c.batchId))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryAlreadyReleased")
        .withArgs(c.batchId);
      await expect(c.batchRegistry.connect(c.maker2Qa).releaseBatch(unreleased))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryNotManufacturer")
        .withArgs(unreleased, MAKER2);
    });

    itRejectsCallers(
      productionBatch,
      [
        ...nonMemberCases<BatchCtx>(),
        wrongRole("the maker's admin", (c) => c.maker, Role.Admin),
        wrongRole("the maker's operator", (c) => c.makerOperator, Role.Operator),
        wrongRole("the maker's device", (c) => c.makerDevice, Role.Device),
        wrongDomain("the wholesaler's QA", (c) => c.wholesalerQa, WHOLESALER, Domain.Wholesaler),
        wrongDomain("the pharmacy's QA", (c) => c.pharmacyQa, PHARMACY, Domain.Pharmacy),
        wrongDomain("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
        wrongDomain("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
        ...standingCases<BatchCtx>(MAKER, "maker's QA", (c) => c.makerQa),
      ],
      (c, s) => c.batchRegistry.connect(s).releaseBatch(c.batchId),
    );
  });
  describe("decommission", function () {
    for (const [title, status, counter] of [
      ["Destroyed", UnitStatus.Destroyed, "destroyed"],
      ["Stolen", UnitStatus.Stolen, "lost"],
    ] as const) {
      it(`marks an active unit ${title}, taking one from the caller's stock`, async function () {
        const c = await loadFixture(distributedBatch);
        const { batchRegistry, wholesaler, batchId, tree } = c;
        const unit = tree.unit(batchId, 6n);
        const tx = await batchRegistry.connect(wholesaler).decommission(unit, status);
        await expectEvents(batchRegistry, tx, [
          ["UnitStatusChanged", [batchId, 6n, WHOLESALER, tree.hashOf(6n), UnitStatus.Active, status, wholesaler.address]],
        ]);
        expect(await batchRegistry.holding(batchId, WHOLESALER)).to.equal(39n);
        const b = await batchOf(batchRegistry, batchId);
        expect({ destroyed: b.destroyed, lost: b.lost, dispensed: await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]) }).to.deep.equal({
          destroyed: counter === "destroyed" ? 1n : 0n,
          lost: counter === "lost" ? 1n : 0n,
          dispensed: [0n, 0n, 0n, 0n],
        });
        expect(await unitOf(batchRegistry, batchId, 6n)).to.deep.equal({ status, party: WHOLESALER, at: await timestampOf(tx) });
        expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 39n, shipments: 1n }));
        expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY - 1n });
      });
    }

    it("locks an active unit, setting one unit of the caller's stock aside", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, wholesalerQa, batchId, tree } = c;
      const tx = await batchRegistry.connect(wholesalerQa).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 5n, WHOLESALER, tree.hashOf(5n), UnitStatus.Active, UnitStatus.Locked, wholesalerQa.address]],
      ]);
      expect(await batchRegistry.holding(batchId, WHOLESALER)).to.equal(40n);
      const b = await batchOf(batchRegistry, batchId);
      expect([b.destroyed, b.lost, ...(await dispensedBy(c, [WHOLESALER, PHARMACY]))]).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await unitOf(batchRegistry, batchId, 5n)).to.deep.equal({ status: UnitStatus.Locked, party: WHOLESALER, at: await timestampOf(tx) });
      // Held is unchanged (it includes the locked unit); one less is available.
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, locked: 1n, shipments: 1n }));
      await expectConserved(c, batchId);
    });

    it("counts each lock: a party may lock as many units as it has available", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, pharmacy, pharmacyQa, batchId, tree } = c;
      await move(c, c.maker, PHARMACY, pharmacy, 3n);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked);
      await batchRegistry.connect(pharmacyQa).decommission(tree.unit(batchId, 1n), UnitStatus.Locked);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 2n), UnitStatus.Locked);
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 3n, locked: 3n }));
      await expect(batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 3n), UnitStatus.Locked))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      await expectConserved(c, batchId);
    });

    it("takes from the available stock: a party whose stock is all locked cannot lock, destroy or report stolen another unit", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      await move(c, c.maker, PHARMACY, pharmacy, 1n);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked);
      for (const status of [UnitStatus.Locked, UnitStatus.Destroyed, UnitStatus.Stolen]) {
        await expect(batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 1n), status))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
          .withArgs(batchId, PHARMACY, 0n, 1n);
      }
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 1n, locked: 1n }));
      expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal(ACTIVE_RECORD);
      await expectConserved(c, batchId);
    });

    for (const [title, subject] of [
      ["its own state", (c: BatchCtx) => c.batchId],
      ["its product's state", () => productSubject(GTIN)],
    ] as const) {
      it(`reverts for every status while the batch is halted by ${title}`, async function () {
        const c = await loadFixture(distributedBatch);
        await stop(c, subject(c));
        for (const status of [UnitStatus.Destroyed, UnitStatus.Stolen, UnitStatus.Locked]) {
          await expect(c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 2n), status))
            .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
            .withArgs(c.batchId, EMERGENCY_STOP);
        }
        expect(await unitOf(c.batchRegistry, c.batchId, 2n)).to.deep.equal(ACTIVE_RECORD);
        expect(await custodyOf(c.batchRegistry, c.batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      });
    }

    it("reverts under a recall (recalled stock goes back through quarantine), naming the recall state", async function () {
      const c = await loadFixture(distributedBatch);
      await stop(c, c.batchId);
      await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "recall");
      for (const status of [UnitStatus.Destroyed, UnitStatus.Stolen, UnitStatus.Locked]) {
        await expect(c.batchRegistry.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, 2n), status))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(c.batchId, RECALL);
      }
      await expectConserved(c, c.batchId);
    });

    it("names the more severe state when the batch and its product both halt", async function () {
      const c = await loadFixture(distributedBatch);
      await stop(c, c.batchId);
      await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "recall");
      await stop(c, productSubject(GTIN));
      await expect(c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Destroyed))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, RECALL);
    });

    it("lets the manufacturer's QA destroy a unit of a batch still in production", async function () {
      const c = await loadFixture(productionBatch);
      await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(c.batchId, 0n), UnitStatus.Destroyed);
      expect(await c.batchRegistry.holding(c.batchId, MAKER)).to.equal(QUANTITY - 1n);
      expect((await batchOf(c.batchRegistry, c.batchId)).destroyed).to.equal(1n);
      await expectConserved(c, c.batchId);
    });

    it("lets a holder decommission after the batch expired", async function () {
      const c = await loadFixture(distributedBatch);
      await time.increaseTo(c.expiresAt + DAY);
      await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Destroyed);
      expect((await batchOf(c.batchRegistry, c.batchId)).destroyed).to.equal(1n);
    });

    it("reverts when the requested status is Active or Dispensed", async function () {
      const { batchRegistry, wholesaler, batchId, tree } = await loadFixture(distributedBatch);
      for (const status of [UnitStatus.Active, UnitStatus.Dispensed]) {
        await expect(batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 2n), status))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
          .withArgs(batchId, 2n, UnitStatus.Active, status);
      }
    });

    it("reverts on a status outside the enum (ABI decoding)", async function () {
      const { batchRegistry, wholesaler, batchId, tree } = await loadFixture(distributedBatch);
      await expect(batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 2n), 5)).to.be.revertedWithoutReason(ethers);
    });

    it("reverts on a unit that is not active, for every requested status", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, wholesaler, batchId, tree } = c;
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 8n), UnitStatus.Destroyed);
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 9n), UnitStatus.Stolen);
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 10n), UnitStatus.Locked);
      for (const [index, current] of [
        [3n, UnitStatus.Dispensed],
        [8n, UnitStatus.Destroyed],
        [9n, UnitStatus.Stolen],
        [10n, UnitStatus.Locked],
      ] as const) {
        for (const requested of [UnitStatus.Destroyed, UnitStatus.Stolen, UnitStatus.Locked, UnitStatus.Active]) {
          await expect(batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, index), requested))
            .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
            .withArgs(batchId, index, current, requested);
        }
      }
      await expectConserved(c, batchId);
    });

    it("reverts when the caller's party holds none of the batch", async function () {
      const { batchRegistry, logistics, hospital, batchId, tree } = await loadFixture(distributedBatch);
      for (const [s, party] of [
        [logistics, LOGISTICS],
        [hospital, HOSPITAL],
      ] as const) {
        for (const status of [UnitStatus.Destroyed, UnitStatus.Stolen, UnitStatus.Locked]) {
          await expect(batchRegistry.connect(s).decommission(tree.unit(batchId, 2n), status))
            .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
            .withArgs(batchId, party, 0n, 1n);
        }
      }
    });

    itRejectsInvalidProofs(distributedBatch, (c, unit) => c.batchRegistry.connect(c.wholesaler).decommission(unit, UnitStatus.Destroyed));

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, wholesaler, batchId, tree } = await loadFixture(distributedBatch);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(wholesaler).decommission({ ...tree.unit(batchId, 2n), batchId: unknown }, UnitStatus.Locked))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    itRejectsCallers(distributedBatch, custodianCases<BatchCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler), (c, s) =>
      c.batchRegistry.connect(s).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Destroyed),
    );
  });
  describe("reactivate", function () {
    it("reactivates a locked unit (the locking party) and emits UnitStatusChanged", async function () {
      const c = await loadFixture(lockedUnit);
      const { batchRegistry, wholesaler, batchId, tree } = c;
      const unit = tree.unit(batchId, 5n);
      const tx = await batchRegistry.connect(wholesaler).reactivate(unit);
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 5n, WHOLESALER, tree.hashOf(5n), UnitStatus.Locked, UnitStatus.Active, wholesaler.address]],
      ]);
      expect(await unitOf(batchRegistry, batchId, 5n)).to.deep.equal({ status: UnitStatus.Active, party: WHOLESALER, at: await timestampOf(tx) });
      expect(await verdictOf(batchRegistry, unit)).to.deep.equal([UnitVerdict.Genuine, WHOLESALER]);
      expect(await batchRegistry.holding(batchId, WHOLESALER)).to.equal(40n);
      // The locked unit is available again.
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
      await expectConserved(c, batchId);
      expect(await batchRegistry.connect(c.pharmacy).dispense.staticCall(unit)).to.equal(false);
    });

    it("lets the locking party's QA reactivate after the party shipped all its available stock; the unit is then available", async function () {
      const c = await loadFixture(lockedUnit);
      await c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 39n);
      const tx = await c.batchRegistry.connect(c.wholesalerQa).reactivate(c.tree.unit(c.batchId, 5n));
      await expectEvents(c.batchRegistry, tx, [
        ["UnitStatusChanged", [c.batchId, 5n, WHOLESALER, c.tree.hashOf(5n), UnitStatus.Locked, UnitStatus.Active, c.wholesalerQa.address]],
      ]);
      expect(await custodyOf(c.batchRegistry, c.batchId, WHOLESALER)).to.deep.equal(custody({ held: 1n, inTransit: 39n, shipments: 2n }));
      await c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 1n);
      await expectConserved(c, c.batchId);
    });

    it("reactivates while the batch is halted (a lock moves no stock)", async function () {
      const c = await loadFixture(lockedUnit);
      await stop(c, c.batchId);
      await c.batchRegistry.connect(c.wholesaler).reactivate(c.tree.unit(c.batchId, 5n));
      expect((await unitOf(c.batchRegistry, c.batchId, 5n)).status).to.equal(UnitStatus.Active);
      expect(await custodyOf(c.batchRegistry, c.batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
    });

    it("reverts for the locking party once the regulator lifted the lock", async function () {
      const c = await loadFixture(lockedUnit);
      await c.batchRegistry.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 5n));
      await expect(c.batchRegistry.connect(c.wholesaler).reactivate(c.tree.unit(c.batchId, 5n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidUnitTransition")
        .withArgs(c.batchId, 5n, UnitStatus.Active, UnitStatus.Active);
      expect(await custodyOf(c.batchRegistry, c.batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
    });

    it("reverts when another party tries, naming the locking party", async function () {
      const { batchRegistry, maker, pharmacy, batchId, tree } = await loadFixture(lockedUnit);
      for (const s of [maker, pharmacy]) {
        await expect(batchRegistry.connect(s).reactivate(tree.unit(batchId, 5n)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotUnitParty")
          .withArgs(batchId, 5n, WHOLESALER);
      }
    });

    it("reverts on a unit that is not locked", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, wholesaler, batchId, tree } = c;
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 8n), UnitStatus.Destroyed);
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 9n), UnitStatus.Stolen);
      for (const [s, index, status] of [
        [wholesaler, 0n, UnitStatus.Active],
        [pharmacy, 3n, UnitStatus.Dispensed],
        [wholesaler, 8n, UnitStatus.Destroyed],
        [wholesaler, 9n, UnitStatus.Stolen],
      ] as const) {
        await expect(batchRegistry.connect(s).reactivate(tree.unit(batchId, index)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
          .withArgs(batchId, index, status, UnitStatus.Active);
      }
    });

    itRejectsInvalidProofs(lockedUnit, (c, unit) => c.batchRegistry.connect(c.wholesaler).reactivate(unit), 5n);

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, wholesaler, batchId, tree } = await loadFixture(lockedUnit);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(wholesaler).reactivate({ ...tree.unit(batchId, 5n), batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    itRejectsCallers(lockedUnit, custodianCases<BatchCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler), (c, s) =>
      c.batchRegistry.connect(s).reactivate(c.tree.unit(c.batchId, 5n)),
    );
  });
  describe("restoreUnit", function () {
    const cases: [string, bigint, number, bigint, Partial<Record<"dispensed" | "destroyed" | "lost", bigint>>][] = [
      ["a dispensed unit: the dispense is undone for the pharmacy", 3n, UnitStatus.Dispensed, PHARMACY, { dispensed: 0n }],
      ["a destroyed unit: back in the wholesaler's stock", 6n, UnitStatus.Destroyed, WHOLESALER, { destroyed: 0n }],
      ["a stolen unit: back in the maker's stock", 7n, UnitStatus.Stolen, MAKER, { lost: 0n }],
      ["a locked unit: the pharmacy's lock is lifted", 8n, UnitStatus.Locked, PHARMACY, {}],
    ];
    /** Each party's custody after markedUnits. */
    const BEFORE = {
      [MAKER.toString()]: custody({ held: 39n, shipments: 1n }),
      [WHOLESALER.toString()]: custody({ held: 39n, shipments: 1n }),
      [PHARMACY.toString()]: custody({ held: 19n, dispensed: 1n, locked: 1n }),
      [REGULATOR.toString()]: custody({}),
    };
    /** The credited party's custody after the restoration. */
    const AFTER: Record<number, ReturnType<typeof custody>> = {
      [UnitStatus.Dispensed]: custody({ held: 20n, locked: 1n }),
      [UnitStatus.Destroyed]: custody({ held: 40n, shipments: 1n }),
      [UnitStatus.Stolen]: custody({ held: 40n, shipments: 1n }),
      [UnitStatus.Locked]: custody({ held: 19n, dispensed: 1n }),
    };
    const parties = [MAKER, WHOLESALER, PHARMACY, REGULATOR];

    for (const [title, index, previous, credited, counters] of cases) {
      it(`restores ${title}; emits UnitStatusChanged (by the regulator) then UnitRestored`, async function () {
        const c = await loadFixture(markedUnits);
        const { batchRegistry, regulator, batchId, tree } = c;
        const unit = tree.unit(batchId, index);
        expect((await unitOf(batchRegistry, batchId, index)).party).to.equal(credited);
        expect(await Promise.all(parties.map((p) => custodyOf(batchRegistry, batchId, p)))).to.deep.equal(parties.map((p) => BEFORE[p.toString()]));
        const batchBefore = await batchOf(batchRegistry, batchId);
        expect([batchBefore.dispensed, batchBefore.destroyed, batchBefore.lost]).to.deep.equal([1n, 1n, 1n]);
        const tx = await batchRegistry.connect(regulator).restoreUnit(unit);
        await expectEvents(batchRegistry, tx, [
          ["UnitStatusChanged", [batchId, index, REGULATOR, tree.hashOf(index), previous, UnitStatus.Active, regulator.address]],
          ["UnitRestored", [batchId, index, credited, previous, REGULATOR, regulator.address]],
        ]);
        expect(await unitOf(batchRegistry, batchId, index)).to.deep.equal({ status: UnitStatus.Active, party: REGULATOR, at: await timestampOf(tx) });
        expect(await verdictOf(batchRegistry, unit)).to.deep.equal([UnitVerdict.Genuine, REGULATOR]);
        // The credited party's stock changes, nobody else's (the regulator holds none).
        expect(await Promise.all(parties.map((p) => custodyOf(batchRegistry, batchId, p)))).to.deep.equal(
          parties.map((p) => (p === credited ? AFTER[previous] : BEFORE[p.toString()])),
        );
        const b = await batchOf(batchRegistry, batchId);
        expect({ dispensed: b.dispensed, destroyed: b.destroyed, lost: b.lost }).to.deep.equal({ dispensed: 1n, destroyed: 1n, lost: 1n, ...counters });
        await expectConserved(c, batchId);
      });
    }

    it("lets an operator of the regulator restore (the actor is the operator)", async function () {
      const c = await loadFixture(markedUnits);
      const tx = await c.batchRegistry.connect(c.regOperator).restoreUnit(c.tree.unit(c.batchId, 6n));
      await expectEvents(c.batchRegistry, tx, [
        ["UnitStatusChanged", [c.batchId, 6n, REGULATOR, c.tree.hashOf(6n), UnitStatus.Destroyed, UnitStatus.Active, c.regOperator.address]],
        ["UnitRestored", [c.batchId, 6n, WHOLESALER, UnitStatus.Destroyed, REGULATOR, c.regOperator.address]],
      ]);
    });

    it("credits the party in the unit's record, even after it shipped its stock away and was suspended", async function () {
      const c = await loadFixture(markedUnits);
      const { batchRegistry, registry, regulator, wholesaler, batchId, tree } = c;
      await batchRegistry.connect(wholesaler).ship(batchId, PHARMACY, 39n);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await batchRegistry.connect(regulator).restoreUnit(tree.unit(batchId, 6n));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 1n, inTransit: 39n, shipments: 2n }));
      await expectConserved(c, batchId);
    });

    it("restores a dispense long after the undo window closed, and after the batch expired", async function () {
      const c = await loadFixture(markedUnits);
      await time.increaseTo(c.expiresAt + DAY);
      await c.batchRegistry.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 3n));
      expect(await custodyOf(c.batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 20n, locked: 1n }));
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 3n))).to.deep.equal([UnitVerdict.Expired, REGULATOR]);
    });

    it("makes the unit active for everyone: a holder dispenses it normally, the marking party cannot undo or reactivate it", async function () {
      const c = await loadFixture(markedUnits);
      const { batchRegistry, regulator, pharmacy, hospital, batchId, tree } = c;
      await batchRegistry.connect(regulator).restoreUnit(tree.unit(batchId, 3n));
      await batchRegistry.connect(regulator).restoreUnit(tree.unit(batchId, 8n));
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
        .withArgs(batchId, 3n, UnitStatus.Active, UnitStatus.Active);
      await expect(batchRegistry.connect(pharmacy).reactivate(tree.unit(batchId, 8n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
        .withArgs(batchId, 8n, UnitStatus.Active, UnitStatus.Active);
      await move(c, c.wholesaler, HOSPITAL, hospital, 2n);
      const tx = await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, HOSPITAL, tree.hashOf(3n), UnitStatus.Active, UnitStatus.Dispensed, hospital.address]],
      ]);
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 8n));
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
      await expectConserved(c, batchId);
    });

    it("reverts on an active unit, never marked or already restored", async function () {
      const c = await loadFixture(markedUnits);
      const { batchRegistry, regulator, batchId, tree } = c;
      await batchRegistry.connect(regulator).restoreUnit(tree.unit(batchId, 6n));
      for (const index of [0n, 6n]) {
        await expect(batchRegistry.connect(regulator).restoreUnit(tree.unit(batchId, index)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
          .withArgs(batchId, index, UnitStatus.Active, UnitStatus.Active);
      }
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, shipments: 1n }));
    });

    for (const [title, subject, state] of [
      ["its own state", (c: BatchCtx) => c.batchId, EMERGENCY_STOP],
      ["its product's state", () => productSubject(GTIN), EMERGENCY_STOP],
    ] as const) {
      it(`reverts while the batch is halted by ${title}, except for a lock (which moves no stock)`, async function () {
        const c = await loadFixture(markedUnits);
        await stop(c, subject(c));
        for (const index of [3n, 6n, 7n]) {
          await expect(c.batchRegistry.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, index)))
            .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
            .withArgs(c.batchId, state);
        }
        await c.batchRegistry.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 8n));
        expect(await custodyOf(c.batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
        await expectConserved(c, c.batchId);
      });
    }

    it("reverts under a recall for a unit that would come back into stock, naming the recall state", async function () {
      const c = await loadFixture(markedUnits);
      await stop(c, c.batchId);
      await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "recall");
      await expect(c.batchRegistry.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 6n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, RECALL);
      await c.batchRegistry.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 8n));
      await expectConserved(c, c.batchId);
    });

    itRejectsInvalidProofs(markedUnits, (c, unit) => c.batchRegistry.connect(c.regulator).restoreUnit(unit), 3n);

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, regulator, batchId, tree } = await loadFixture(markedUnits);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(regulator).restoreUnit({ ...tree.unit(batchId, 3n), batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    itRejectsCallers(markedUnits, regulatorActorCases<BatchCtx>(), (c, s) => c.batchRegistry.connect(s).restoreUnit(c.tree.unit(c.batchId, 3n)));

    it("reverts when the marking party tries it (only the regulator restores)", async function () {
      const c = await loadFixture(markedUnits);
      for (const [signer, party, domain] of [
        [c.pharmacy, PHARMACY, Domain.Pharmacy],
        [c.wholesaler, WHOLESALER, Domain.Wholesaler],
        [c.maker, MAKER, Domain.Manufacturer],
      ] as const) {
        await expect(c.batchRegistry.connect(signer).restoreUnit(c.tree.unit(c.batchId, 3n)))
          .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
          .withArgs(party, domain);
      }
    });
  });

  describe("custody", function () {
    it("answers a party's whole custody of a batch: held (locked included), in transit, dispensed, in suspect cases, locked, shipments", async function () {
      const c = await loadFixture(markedUnits);
      const { batchRegistry, pharmacy, batchId } = c;
      await batchRegistry.connect(pharmacy).ship(batchId, WHOLESALER, 5n);
      const suspects = (await ethers.getContractAt("ISuspectProduct", await batchRegistry.getAddress())) as unknown as ISuspectProduct;
      await suspects.connect(pharmacy).reportSuspect(batchId, 0n, 2n, ethers.ZeroHash, "damaged seals");
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(
        custody({ held: 12n, inTransit: 5n, dispensed: 1n, suspended: 2n, locked: 1n, shipments: 1n }),
      );
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(12n);
      expect(await batchRegistry.dispensedBy(batchId, PHARMACY)).to.equal(1n);
      expect(await expectConserved(c, batchId)).to.deep.include({ inTransit: 5n, suspended: 2n });
    });

    it("answers zeroes for a party, batch or id never written", async function () {
      const c = await loadFixture(markedUnits);
      for (const [batchId, party] of [
        [c.batchId, HOSPITAL],
        [c.batchId, UNKNOWN],
        [c.batchId, 0n],
        [c.batchId, U64],
        [ethers.ZeroHash, MAKER],
        [batchIdOf(GTIN2, LOT), PHARMACY],
      ] as const) {
        expect(await custodyOf(c.batchRegistry, batchId, party), `${batchId} / ${party}`).to.deep.equal(custody({}));
      }
    });
  });

  describe("setDispenseUndoWindow", function () {
    for (const window of [3600n, 0n, MAX_UNDO_WINDOW - 1n, MAX_UNDO_WINDOW]) {
      it(`lets the governor set the window to ${window} and emits DispenseUndoWindowSet`, async function () {
        const { batchRegistry, gov } = await loadFixture(supplyParties);
        const tx = await batchRegistry.connect(gov).setDispenseUndoWindow(window);
        await expectEvents(batchRegistry, tx, [["DispenseUndoWindowSet", [window]]]);
        expect(await batchRegistry.dispenseUndoWindow()).to.equal(window);
      });
    }

    it("works as an executed governance proposal (Call kind)", async function () {
      const { batchRegistry, governor, admins } = await loadFixture(supplyParties);
      const data = batchRegistry.interface.encodeFunctionData("setDispenseUndoWindow", [7200n]);
      await governor.connect(admins[1]).proposeCall(await batchRegistry.getAddress(), data);
      const id = await governor.proposalCount();
      for (const voter of admins.slice(0, 4)) {
        if (Number(await governor.proposalState(id)) !== 1) break;
        await governor.connect(voter).vote(id);
      }
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(7200n);
    });

    for (const window of [MAX_UNDO_WINDOW + 1n, 31n * DAY, U32]) {
      it(`reverts when the window is ${window} (over 30 days), leaving the window as it was`, async function () {
        const { batchRegistry, gov } = await loadFixture(supplyParties);
        await expect(batchRegistry.connect(gov).setDispenseUndoWindow(window))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUndoWindow")
          .withArgs(window, MAX_UNDO_WINDOW);
        expect(await batchRegistry.dispenseUndoWindow()).to.equal(UNDO_WINDOW);
      });
    }

    itRejectsCallers(supplyParties, notGovernorCases<Ctx>(), (c, s) => c.batchRegistry.connect(s).setDispenseUndoWindow(1n));

    describe("with a window over 30 days (the caller is checked first)", function () {
      itRejectsCallers(supplyParties, notGovernorCases<Ctx>(), (c, s) => c.batchRegistry.connect(s).setDispenseUndoWindow(MAX_UNDO_WINDOW + 1n));
    });
  });
  describe("dispensedBy", function () {
    it("counts each party's dispenses of each batch", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, maker, makerQa, pharmacy, pharmacyOperator, hospital, batchId, tree } = c;
      const other = UnitTree.sequential(GTIN, 4, "B");
      await batchRegistry.connect(maker).createBatch(await batchInput({ lot: "LOT-2" }, other));
      const otherId = batchIdOf(GTIN, "LOT-2");
      await inspect(batchRegistry, makerQa, otherId);
      await batchRegistry.connect(makerQa).releaseBatch(otherId);
      await batchRegistry.connect(maker).ship(otherId, PHARMACY, 2n);
      await batchRegistry.connect(pharmacy).receiveShipment(otherId, shipmentIdOf(otherId, MAKER, 0n));
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(pharmacyOperator).dispense(tree.unit(batchId, 1n));
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 2n));
      await batchRegistry.connect(pharmacy).dispense(other.unit(otherId, 0n));
      expect(await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 1n, 2n]);
      expect(await batchRegistry.dispensedBy(otherId, PHARMACY)).to.equal(1n);
      expect(await batchRegistry.dispensedBy(otherId, HOSPITAL)).to.equal(0n);
      await expectConserved(c, batchId);
      await expectConserved(c, otherId);
    });

    it("goes down with an undo, for the undoing party only", async function () {
      const c = await loadFixture(dispensedUnit);
      await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 4n));
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([2n]);
      await c.batchRegistry.connect(c.pharmacy).undoDispense(c.tree.unit(c.batchId, 3n));
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([1n]);
      // Dispensed again after the undo: counted again.
      await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 3n));
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([2n]);
      await expectConserved(c, c.batchId);
    });

    it("does not count suspect reports, destructions, thefts or locks", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, hospital, batchId, tree } = c;
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 3n));
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 6n), UnitStatus.Destroyed);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 7n), UnitStatus.Stolen);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 8n), UnitStatus.Locked);
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([0n, 1n]);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(2n);
      expect(await expectConserved(c, batchId)).to.deep.include({ dispensed: 1n, destroyed: 1n, lost: 1n });
    });

    it("answers 0 for an unknown batch or a party that never dispensed", async function () {
      const c = await loadFixture(dispensedUnit);
      expect(await c.batchRegistry.dispensedBy(c.batchId, PHARMACY)).to.equal(1n);
      expect(await c.batchRegistry.dispensedBy(ethers.ZeroHash, PHARMACY)).to.equal(0n);
      expect(await c.batchRegistry.dispensedBy(batchIdOf(GTIN2, LOT), PHARMACY)).to.equal(0n);
      for (const partyId of [0n, MAKER, HOSPITAL, UNKNOWN, U64]) expect(await c.batchRegistry.dispensedBy(c.batchId, partyId)).to.equal(0n);
    });
  });
  describe("views", function () {
    it("getProduct reverts for an unknown GTIN", async function () {
      const { batchRegistry } = await loadFixture(registeredProduct);
      for (const gtin of [GTIN2, 0n]) {
        await expect(batchRegistry.getProduct(gtin)).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct").withArgs(gtin);
      }
    });

    it("getBatch reverts for an unknown id", async function () {
      const { batchRegistry } = await loadFixture(productionBatch);
      for (const id of [ethers.ZeroHash, batchIdOf(GTIN, "LOT-2026-002")]) {
        await expect(batchRegistry.getBatch(id)).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch").withArgs(id);
      }
    });

    it("answers zeroes for what was never written", async function () {
      const { batchRegistry, batchId } = await loadFixture(productionBatch);
      expect(await batchRegistry.productOfNationalCode(1n)).to.equal(0n);
      expect(await batchRegistry.holding(batchId, UNKNOWN)).to.equal(0n);
      expect(await batchRegistry.holding(ethers.ZeroHash, MAKER)).to.equal(0n);
      expect(await shipmentOf(batchRegistry, ethers.id("no shipment"))).to.deep.equal({ from: 0n, to: 0n, quantity: 0n, seq: 0n, shippedAt: 0n, status: ShipmentStatus.None });
      expect(await unitOf(batchRegistry, batchId, 0n)).to.deep.equal(ACTIVE_RECORD);
      expect(await unitOf(batchRegistry, batchId, ethers.MaxUint256)).to.deep.equal(ACTIVE_RECORD);
      expect(await unitOf(batchRegistry, ethers.ZeroHash, 7n)).to.deep.equal(ACTIVE_RECORD);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
    });

    it("batchIdOf is keccak256(abi.encode(uint64 gtin, string lot)), for any GTIN (not validated)", async function () {
      const { batchRegistry } = await loadFixture(supplyParties);
      for (const [gtin, lot] of [
        [GTIN, LOT],
        [GTIN2, ""],
        [0n, "x"],
        [U64, "批号"],
      ] as const) {
        expect(await batchRegistry.batchIdOf(gtin, lot)).to.equal(batchIdOf(gtin, lot));
      }
      // The encoding is abi.encode, not encodePacked: ("1", "23") and ("12", "3") differ.
      expect(batchIdOf(1n, "23")).to.not.equal(batchIdOf(12n, "3"));
    });
  });
  describe("unitRecord packing (four units per storage word)", function () {
    const orders: bigint[][] = [
      [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n],
      [7n, 6n, 5n, 4n, 3n, 2n, 1n, 0n],
      [5n, 0n, 7n, 2n, 4n, 1n, 6n, 3n],
      [3n, 4n, 0n, 7n, 1n, 6n, 2n, 5n],
    ];
    for (const order of orders) {
      it(`keeps independent records when units are dispensed in the order ${order.join(",")}`, async function () {
        const c = await loadFixture(hospitalStocked);
        const { batchRegistry, batchId, tree } = c;
        const expected = new Map<bigint, UnitView>();
        let t = BigInt(await time.latest()) + 1000n;
        for (const [k, index] of order.entries()) {
          const [signer, party] = k % 2 === 0 ? [c.pharmacy, PHARMACY] : [c.hospital, HOSPITAL];
          t += 17n + BigInt(k) * 1000n;
          await time.setNextBlockTimestamp(t);
          await batchRegistry.connect(signer).dispense(tree.unit(batchId, index));
          expected.set(index, { status: UnitStatus.Dispensed, party, at: t });
          for (let i = 0n; i < 12n; ++i) {
            expect(await unitOf(batchRegistry, batchId, i), `unit ${i} after dispensing ${index}`).to.deep.equal(expected.get(i) ?? ACTIVE_RECORD);
          }
        }
        expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([4n, 4n]);
        await expectConserved(c, batchId);
      });
    }

    it("keeps every status, party and time apart within one word through decommission, undo and reactivate", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, batchId, tree } = c;
      const base = BigInt(await time.latest()) + 500n;
      const steps: [Signer, () => Promise<ContractTransactionResponse>][] = [
        [c.wholesaler, () => batchRegistry.connect(c.wholesaler).decommission(tree.unit(batchId, 8n), UnitStatus.Destroyed)],
        [c.maker, () => batchRegistry.connect(c.maker).decommission(tree.unit(batchId, 9n), UnitStatus.Stolen)],
        [c.pharmacy, () => batchRegistry.connect(c.pharmacy).decommission(tree.unit(batchId, 10n), UnitStatus.Locked)],
        [c.hospital, () => batchRegistry.connect(c.hospital).dispense(tree.unit(batchId, 11n))],
      ];
      for (const [k, [, step]] of steps.entries()) {
        await time.setNextBlockTimestamp(base + BigInt(k) * 111n);
        await step();
      }
      const records = async () => Promise.all([8n, 9n, 10n, 11n].map((i) => unitOf(batchRegistry, batchId, i)));
      expect(await records()).to.deep.equal([
        { status: UnitStatus.Destroyed, party: WHOLESALER, at: base },
        { status: UnitStatus.Stolen, party: MAKER, at: base + 111n },
        { status: UnitStatus.Locked, party: PHARMACY, at: base + 222n },
        { status: UnitStatus.Dispensed, party: HOSPITAL, at: base + 333n },
      ]);
      await time.setNextBlockTimestamp(base + 1000n);
      await batchRegistry.connect(c.pharmacy).reactivate(tree.unit(batchId, 10n));
      await time.setNextBlockTimestamp(base + 2000n);
      await batchRegistry.connect(c.hospital).undoDispense(tree.unit(batchId, 11n));
      expect(await records()).to.deep.equal([
        { status: UnitStatus.Destroyed, party: WHOLESALER, at: base },
        { status: UnitStatus.Stolen, party: MAKER, at: base + 111n },
        { status: UnitStatus.Active, party: PHARMACY, at: base + 1000n },
        { status: UnitStatus.Active, party: HOSPITAL, at: base + 2000n },
      ]);
      // Neighbouring words are untouched.
      for (const i of [4n, 5n, 6n, 7n, 12n, 13n, 14n, 15n]) expect(await unitOf(batchRegistry, batchId, i)).to.deep.equal(ACTIVE_RECORD);
      await expectConserved(c, batchId);
    });

    it("packs units at the top of the index range (index 2^256 − 1) like any other", async function () {
      const c = await loadFixture(registeredProduct);
      const top = ethers.MaxUint256;
      const indices = [0n, 1n, top - 3n, top - 2n, top - 1n, top];
      const tree = new UnitTree(indices.map((i): [bigint, string] => [i, unitHash(GTIN, `TOP${i}`)]));
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "TOP", unitCount: BigInt(indices.length) }, tree));
      const id = batchIdOf(GTIN, "TOP");
      await inspect(c.batchRegistry, c.makerQa, id);
      await c.batchRegistry.connect(c.makerQa).releaseBatch(id);
      await c.batchRegistry.connect(c.maker).ship(id, PHARMACY, 10n);
      await c.batchRegistry.connect(c.pharmacy).receiveShipment(id, shipmentIdOf(id, MAKER, 0n));
      await c.batchRegistry.connect(c.pharmacy).dispense(tree.unit(id, top - 1n));
      await c.batchRegistry.connect(c.maker).decommission(tree.unit(id, top - 3n), UnitStatus.Locked);
      expect((await unitOf(c.batchRegistry, id, top - 1n)).status).to.equal(UnitStatus.Dispensed);
      expect((await unitOf(c.batchRegistry, id, top - 3n)).status).to.equal(UnitStatus.Locked);
      expect(await unitOf(c.batchRegistry, id, top)).to.deep.equal(ACTIVE_RECORD);
      expect(await unitOf(c.batchRegistry, id, top - 2n)).to.deep.equal(ACTIVE_RECORD);
      expect(await unitOf(c.batchRegistry, id, 0n)).to.deep.equal(ACTIVE_RECORD);
      expect(await unitOf(c.batchRegistry, id, 1n)).to.deep.equal(ACTIVE_RECORD);
      expect(await c.batchRegistry.connect(c.pharmacy).dispense.staticCall(tree.unit(id, top))).to.equal(false);
    });

    describe("past 2^32 seconds (the year 2106)", function () {
      // farFutureBatch moves the clock past 2^32 seconds: fixtures first loaded after
      // these tests must not start there, so the clock is put back afterwards.
      restoreClockAfter();

      it("records times past 2^32 seconds in full (36 bits), and measures the undo window against them", async function () {
        const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(farFutureBatch);
        const t = FAR_NOW + 1000n;
        expect(t > U32, "a time 32 bits cannot hold").to.equal(true);
        await time.setNextBlockTimestamp(t);
        await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 1n));
        await time.setNextBlockTimestamp(t + 1n);
        await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 2n));
        expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal({ status: UnitStatus.Dispensed, party: 3n, at: t });
        expect(await unitOf(batchRegistry, batchId, 2n)).to.deep.equal({ status: UnitStatus.Dispensed, party: 3n, at: t + 1n });
        expect(await verdictOf(batchRegistry, tree.unit(batchId, 1n))).to.deep.equal([UnitVerdict.Dispensed, 3n]);
        // Unit 1: undone on the deadline; unit 2: one second after its deadline.
        await time.setNextBlockTimestamp(t + UNDO_WINDOW);
        await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 1n));
        expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal({ status: UnitStatus.Active, party: 3n, at: t + UNDO_WINDOW });
        await time.setNextBlockTimestamp(t + 1n + UNDO_WINDOW + 1n);
        await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 2n)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
          .withArgs(batchId, 2n, t + 1n + UNDO_WINDOW);
        expect(await batchRegistry.dispensedBy(batchId, 3n)).to.equal(1n);
        expect(await batchRegistry.holding(batchId, 3n)).to.equal(9n);
      });
    });
  });
});
