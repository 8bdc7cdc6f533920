/**
 * Issue 12, attacker: a hostile manufacturer — a rival squatting another company's codes,
 * a maker committing one unit code to two batches, anyone using the implementation as a
 * shadow registry, and a holder clearing suspicions about its own product. Each test
 * performs the attack as the attacker would, asserts the exact refusal (or shows the
 * limit the chain has and where it is handled), and reads the views before and after.
 */
import { expect } from "chai";

import { CaseStatus, Domain, Role } from "../../sdk/enums.js";
import { type BatchUnits, findDuplicateUnits, productApplicationHash } from "../../sdk/index.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN, caseIdOf, observation, Point } from "../helpers/quality.js";
import { BatchStatus, UnitTree, UnitVerdict, batchIdOf, expectConserved, inspect, unitHash } from "../helpers/supply.js";
import type { IBatchRegistry } from "../../types/ethers-contracts/index.js";
import {
  MAKER,
  PHARMACY2,
  REGULATOR,
  RIVAL,
  type Arena,
  arena,
  batchArena,
  createBatch,
  governorView,
  gtinOf,
  implementationOf,
  ledgerView,
  productArena,
  registryView,
  voteAll,
} from "./setup.js";

const { loadFixture, time } = networkHelpers;

/** The maker's insulin: its GTIN and national code, which the rival goes after. */
const THEIRS = gtinOf(690123456780n);
const THEIR_CODE = 7654321n;
/** The rival's own product and the national code it applies with at first. */
const OURS = gtinOf(690123456781n);
const OUR_CODE = 1111111n;

/** The hash the regulator approves: of the application's national code, name and approval number. */
const hashOf = (nationalCode: bigint, name: string, approvalNo: string) => productApplicationHash({ nationalCode, name, approvalNo });

/** Everything the product registry says about THEIRS and THEIR_CODE. */
async function productView(c: Arena): Promise<unknown> {
  const br = c.batchRegistry;
  const registered = await br.getProduct(THEIRS).then(
    (p) => [p.holder, p.nationalCode, p.name, p.approvalNo],
    () => "unregistered",
  );
  return {
    registered,
    byCode: await br.productOfNationalCode(THEIR_CODE),
    maker: [...(await br.productApplication(THEIRS, MAKER))],
    rival: [...(await br.productApplication(THEIRS, RIVAL))],
  };
}

/** The regulator, careless, approved the rival's application for the maker's insulin. */
async function squattedArena(): Promise<Arena> {
  const c = await arena();
  await c.batchRegistry.connect(c.rival).registerProduct(THEIRS, "Maker's insulin", "H20260002", THEIR_CODE);
  await c.batchRegistry.connect(c.regulator).approveProduct(THEIRS, RIVAL, hashOf(THEIR_CODE, "Maker's insulin", "H20260002"));
  return c;
}

describe("Adversarial: a hostile manufacturer", function () {
  describe("attack 8: GTIN squatting", function () {
    it("a rival's application for another company's GTIN and national code registers and reserves nothing", async function () {
      const c = await loadFixture(arena);
      const br = c.batchRegistry;
      await expect(br.connect(c.rival).registerProduct(THEIRS, "Maker's insulin", "H20260002", THEIR_CODE))
        .to.emit(br, "ProductApplied")
        .withArgs(THEIRS, RIVAL, THEIR_CODE, "Maker's insulin", "H20260002", c.rival.address);
      await expect(br.getProduct(THEIRS)).to.be.revertedWithCustomError(br, "BatchRegistryUnknownProduct").withArgs(THEIRS);
      expect(await br.productOfNationalCode(THEIR_CODE)).to.equal(0n);
      await expect(br.connect(c.rival).createBatch(batchInput(THEIRS, "SQUAT", await time.latest())))
        .to.be.revertedWithCustomError(br, "BatchRegistryUnknownProduct")
        .withArgs(THEIRS);

      // The real owner applies and the regulator approves it: the codes are bound to it.
      await br.connect(c.maker).registerProduct(THEIRS, "Insulin", "H20260002", THEIR_CODE);
      await expect(br.connect(c.regulator).approveProduct(THEIRS, MAKER, hashOf(THEIR_CODE, "Insulin", "H20260002")))
        .to.emit(br, "ProductRegistered")
        .withArgs(THEIRS, MAKER, THEIR_CODE, "Insulin", "H20260002", c.regulator.address);
      // The rival's application can no longer be approved.
      const before = await productView(c);
      await expect(br.connect(c.regulator).approveProduct(THEIRS, RIVAL, hashOf(THEIR_CODE, "Maker's insulin", "H20260002")))
        .to.be.revertedWithCustomError(br, "BatchRegistryProductExists")
        .withArgs(THEIRS);
      await expect(br.connect(c.rival).createBatch(batchInput(THEIRS, "SQUAT", await time.latest())))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotProductHolder")
        .withArgs(THEIRS, RIVAL);
      expect(await productView(c)).to.deep.equal(before);
    });

    it("a rival cannot approve its own application, nor reassign a product to itself", async function () {
      const c = await loadFixture(squattedArena);
      const br = c.batchRegistry;
      await br.connect(c.rival).registerProduct(GTIN, "Vaccine", "S20260001", 0n);
      const before = await productView(c);
      await expect(br.connect(c.rival).approveProduct(GTIN, RIVAL, hashOf(0n, "Vaccine", "S20260001")))
        .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
        .withArgs(RIVAL, Domain.Manufacturer);
      await expect(br.connect(c.maker).reassignProduct(THEIRS, MAKER, THEIR_CODE))
        .to.be.revertedWithCustomError(br, "BatchRegistryOnlyGovernor")
        .withArgs(c.maker.address);
      await expect(br.connect(c.regulator).reassignProduct(THEIRS, MAKER, THEIR_CODE))
        .to.be.revertedWithCustomError(br, "BatchRegistryOnlyGovernor")
        .withArgs(c.regulator.address);
      expect(await productView(c)).to.deep.equal(before);
      await expect(br.getProduct(GTIN)).to.be.revertedWithCustomError(br, "BatchRegistryUnknownProduct").withArgs(GTIN);
    });

    it("governance reassigns a product the regulator approved to the wrong company, and the owner makes batches of it", async function () {
      const c = await loadFixture(squattedArena);
      const { batchRegistry: br, governor } = c;
      expect((await br.getProduct(THEIRS)).holder).to.equal(RIVAL);
      const data = br.interface.encodeFunctionData("reassignProduct", [THEIRS, MAKER, THEIR_CODE]);
      await governor.connect(c.maker).proposeCall(await br.getAddress(), data);
      const id = await governor.proposalCount();
      await voteAll(c, id, [c.maker, c.wholesaler]);
      await expect(governor.connect(c.regulator).vote(id))
        .to.emit(br, "ProductReassigned")
        .withArgs(THEIRS, RIVAL, MAKER, THEIR_CODE, THEIR_CODE, await governor.getAddress());
      const product = await br.getProduct(THEIRS);
      expect([product.holder, product.nationalCode]).to.deep.equal([MAKER, THEIR_CODE]);
      expect(await br.productOfNationalCode(THEIR_CODE)).to.equal(THEIRS);
      const now = await time.latest();
      await expect(br.connect(c.rival).createBatch(batchInput(THEIRS, "SQUAT", now)))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotProductHolder")
        .withArgs(THEIRS, RIVAL);
      await br.connect(c.maker).createBatch(batchInput(THEIRS, "INS-1", now));
      expect((await br.getBatch(batchIdOf(THEIRS, "INS-1"))).manufacturer).to.equal(MAKER);
    });

    it("a manufacturer cannot swap its application for a competitor's national code while the regulator examines it", async function () {
      const c = await loadFixture(arena);
      const br = c.batchRegistry;
      // The maker applies for its insulin with its national code; the rival applies for its own product.
      await br.connect(c.maker).registerProduct(THEIRS, "Insulin", "H20260002", THEIR_CODE);
      await br.connect(c.rival).registerProduct(OURS, "Rival tablets", "H20260009", OUR_CODE);
      // The regulator reads the rival's application, as `product applications` shows it, and checks it.
      const examined = await br.productApplicationHash(OURS, RIVAL);
      expect(examined).to.equal(hashOf(OUR_CODE, "Rival tablets", "H20260009"));
      // Meanwhile the rival swaps in the maker's pending national code (an application reserves nothing).
      await br.connect(c.rival).registerProduct(OURS, "Rival tablets", "H20260009", THEIR_CODE);
      const swapped = hashOf(THEIR_CODE, "Rival tablets", "H20260009");
      const before = await productView(c);
      const ours = await br.productApplication(OURS, RIVAL);
      // The regulator approves what it examined: refused, the code stays free.
      await expect(br.connect(c.regulator).approveProduct(OURS, RIVAL, examined))
        .to.be.revertedWithCustomError(br, "BatchRegistryApplicationChanged")
        .withArgs(OURS, RIVAL, examined, swapped);
      expect(await productView(c)).to.deep.equal(before);
      expect(await br.productOfNationalCode(THEIR_CODE)).to.equal(0n);
      await expect(br.getProduct(OURS)).to.be.revertedWithCustomError(br, "BatchRegistryUnknownProduct").withArgs(OURS);
      expect([...(await br.productApplication(OURS, RIVAL))]).to.deep.equal([...ours]);
      // The maker's own application, examined, binds its code; the swapped one then cannot have it.
      await br.connect(c.regulator).approveProduct(THEIRS, MAKER, hashOf(THEIR_CODE, "Insulin", "H20260002"));
      expect(await br.productOfNationalCode(THEIR_CODE)).to.equal(THEIRS);
      await expect(br.connect(c.regulator).approveProduct(OURS, RIVAL, swapped))
        .to.be.revertedWithCustomError(br, "BatchRegistryNationalCodeTaken")
        .withArgs(THEIR_CODE, THEIRS);
    });

    it("a squatter's batches of a product reassigned away stay in production", async function () {
      const c = await loadFixture(squattedArena);
      const { batchRegistry: br, governor } = c;
      // The squatter, holding the maker's insulin by the regulator's mistake, makes and inspects a batch of it.
      const [rivalQa] = c.others;
      await c.registry.connect(c.rival).addMember(RIVAL, rivalQa.address, Role.QA);
      await br.connect(c.rival).createBatch(batchInput(THEIRS, "SQUAT-1", await time.latest()));
      const squatBatch = batchIdOf(THEIRS, "SQUAT-1");
      await inspect(br, rivalQa, squatBatch);
      // Governance gives the product to its owner before the squatter releases the batch.
      const data = br.interface.encodeFunctionData("reassignProduct", [THEIRS, MAKER, THEIR_CODE]);
      await governor.connect(c.maker).proposeCall(await br.getAddress(), data);
      const id = await governor.proposalCount();
      await voteAll(c, id, [c.maker, c.wholesaler, c.regulator]);
      expect((await br.getProduct(THEIRS)).holder).to.equal(MAKER);
      const before = await ledgerView(c, squatBatch);
      await expect(br.connect(rivalQa).releaseBatch(squatBatch))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotProductHolder")
        .withArgs(THEIRS, RIVAL);
      // The owner did not make it, so it cannot release it either: the batch cannot reach the market.
      await expect(br.connect(c.makerQa).releaseBatch(squatBatch))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotManufacturer")
        .withArgs(squatBatch, MAKER);
      await expect(br.connect(c.rival).ship(squatBatch, 3n, 1n))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotReleased")
        .withArgs(squatBatch);
      expect(await ledgerView(c, squatBatch)).to.deep.equal(before);
      const batch = await br.getBatch(squatBatch);
      expect([batch.status, batch.manufacturer]).to.deep.equal([BigInt(BatchStatus.Production), RIVAL]);
    });
  });

  describe("attack 9: the same unit code in two batches", function () {
    /** The maker commits unit code SN0 to LOT-A and to LOT-B; the unit lists it publishes say so. */
    async function duplicateArena() {
      const c = await productArena();
      const code = (serial: string) => `(01)${GTIN.toString().padStart(14, "0")}(21)${serial}`;
      const lists = { "LOT-A": [code("SN0"), code("A1")], "LOT-B": [code("SN0"), code("B1")] };
      const treeOf = (codes: string[]) => new UnitTree(codes.map((k, i): [bigint, string] => [BigInt(i), ethers.id(k)]));
      const a = treeOf(lists["LOT-A"]);
      const b = treeOf(lists["LOT-B"]);
      const batchA = await createBatch(c, "LOT-A", a);
      const batchB = await createBatch(c, "LOT-B", b);
      return { ...c, a, b, batchA, batchB, lists, shared: unitHash(GTIN, "SN0"), sharedCode: code("SN0") };
    }

    it("the chain accepts one unit code committed to two batches (it cannot check a million codes: the audit does)", async function () {
      const c = await loadFixture(duplicateArena);
      const br = c.batchRegistry;
      expect(c.a.hashOf(0n)).to.equal(c.shared);
      expect(c.b.hashOf(0n)).to.equal(c.shared);
      expect([...(await br.verify(c.a.unit(c.batchA, 0n)))]).to.deep.equal([BigInt(UnitVerdict.Unreleased), 0n]);
      expect([...(await br.verify(c.b.unit(c.batchB, 0n)))]).to.deep.equal([BigInt(UnitVerdict.Unreleased), 0n]);
    });

    it("the auditor's duplicate check (sdk findDuplicateUnits, behind audit units) flags a unit hash committed to both batches", async function () {
      const c = await loadFixture(duplicateArena);
      const br = c.batchRegistry;
      // As the auditor: the batches the chain committed, each with the published list whose root is its unitsRoot.
      const published = new Map([
        [c.a.root, c.lists["LOT-A"]],
        [c.b.root, c.lists["LOT-B"]],
      ]);
      const batches: BatchUnits[] = (await br.queryFilter(br.filters.BatchCreated())).map((e) => ({
        batchId: e.args.batchId,
        gtin: e.args.gtin.toString().padStart(14, "0"),
        lot: e.args.lot,
        units: published.get(e.args.unitsRoot),
      }));
      const gtin = GTIN.toString().padStart(14, "0");
      expect(findDuplicateUnits(batches)).to.deep.equal([
        {
          unitHash: c.shared,
          code: c.sharedCode,
          batches: [
            { batchId: c.batchA, gtin, lot: "LOT-A", index: 0 },
            { batchId: c.batchB, gtin, lot: "LOT-B", index: 0 },
          ],
        },
      ]);
      expect(findDuplicateUnits(batches.slice(0, 1))).to.deep.equal([]);
    });
  });

  describe("attack 11: the implementation as a shadow registry", function () {
    it("the BatchRegistry implementation and its code objects, called at their own addresses, refuse every write", async function () {
      const c = await loadFixture(productArena);
      const { batchRegistry: br, quality, collaboration } = c;
      const implementation = (await ethers.getContractAt("IBatchRegistry", await implementationOf(br))) as unknown as IBatchRegistry;
      const [products, qualityCode, collaborationCode] = await br.modules();
      const productCode = (await ethers.getContractAt("IBatchRegistry", products)) as unknown as IBatchRegistry;
      const shadow = gtinOf(690123456782n);
      const before = await registryView(c);
      const governance = await governorView(c);

      for (const target of [implementation, productCode]) {
        await expect(target.connect(c.maker).registerProduct(shadow, "Shadow", "S1", 0n)).to.be.revertedWithCustomError(
          br,
          "BatchRegistryDirectCall",
        );
        await expect(target.connect(c.regulator).approveProduct(shadow, MAKER, ethers.ZeroHash)).to.be.revertedWithCustomError(
          br,
          "BatchRegistryDirectCall",
        );
      }
      // Reads: the implementation refuses them too; the product code answers from its own, empty, storage.
      await expect(implementation.getProduct(GTIN)).to.be.revertedWithCustomError(br, "BatchRegistryDirectCall");
      await expect(productCode.getProduct(GTIN)).to.be.revertedWithCustomError(br, "BatchRegistryUnknownProduct").withArgs(GTIN);
      await expect(implementation.connect(c.maker).ship(ethers.ZeroHash, 3n, 1n)).to.be.revertedWithCustomError(
        br,
        "BatchRegistryDirectCall",
      );
      const qualityAt = quality.attach(qualityCode) as typeof quality;
      await expect(qualityAt.connect(c.maker).observe(observation(ethers.toBeHex(GTIN, 32), Point.Production))).to.be.revertedWithCustomError(
        collaboration,
        "CollaborationDirectCall",
      );
      const collaborationAt = collaboration.attach(collaborationCode) as typeof collaboration;
      await expect(collaborationAt.connect(c.regulator).transition(ethers.toBeHex(GTIN, 32), 1, "shadow stop")).to.be.revertedWithCustomError(
        collaboration,
        "CollaborationDirectCall",
      );
      expect(await registryView(c)).to.deep.equal(before);
      expect(await governorView(c)).to.deep.equal(governance);
      // The real ledger is untouched.
      await expect(br.getProduct(shadow)).to.be.revertedWithCustomError(br, "BatchRegistryUnknownProduct").withArgs(shadow);
      expect((await br.getProduct(GTIN)).holder).to.equal(MAKER);
    });
  });

  describe("also: the holder clears suspicions about its own product", function () {
    async function investigatedArena() {
      const c = await batchArena();
      await c.suspects.connect(c.pharmacy2).reportSuspect(c.batchId, 2n, 1n, ethers.ZeroHash, "seal broken");
      await c.suspects.connect(c.maker).investigateSuspect(caseIdOf(c.batchId, 1n));
      return c;
    }

    it("the holder cannot clear a suspect case about its own product; only the regulator does", async function () {
      const c = await loadFixture(investigatedArena);
      const { suspects, batchId } = c;
      const caseId = caseIdOf(batchId, 1n);
      const before = await ledgerView(c, batchId);
      await expect(suspects.connect(c.maker).concludeSuspect(caseId, false, ethers.id("we looked")))
        .to.be.revertedWithCustomError(suspects, "SuspectNotAllowed")
        .withArgs(caseId, MAKER);
      await expect(suspects.connect(c.pharmacy2).concludeSuspect(caseId, false, ethers.id("mine is fine")))
        .to.be.revertedWithCustomError(suspects, "SuspectNotAllowed")
        .withArgs(caseId, PHARMACY2);
      expect(await ledgerView(c, batchId)).to.deep.equal(before);
      expect((await suspects.suspectCase(caseId)).status).to.equal(BigInt(CaseStatus.Investigating));
      expect((await c.batchRegistry.custody(batchId, PHARMACY2)).suspended).to.equal(1n);

      // The regulator clears it, and the stock goes back to the reporter.
      await expect(suspects.connect(c.regulator).concludeSuspect(caseId, false, ethers.id("genuine")))
        .to.emit(suspects, "SuspectCaseStatusChanged")
        .withArgs(caseId, batchId, REGULATOR, CaseStatus.Cleared, 0n, ethers.id("genuine"), c.regulator.address);
      expect((await c.batchRegistry.custody(batchId, PHARMACY2)).held).to.equal(10n);
      await expectConserved(c, batchId);
    });

    it("the holder may still find its own product illegitimate", async function () {
      const c = await loadFixture(investigatedArena);
      const caseId = caseIdOf(c.batchId, 1n);
      await c.suspects.connect(c.maker).concludeSuspect(caseId, true, ethers.id("counterfeit"));
      expect((await c.suspects.suspectCase(caseId)).status).to.equal(BigInt(CaseStatus.Illegitimate));
    });
  });
});

/** A batch of `gtin` (10 boxes, no units), made a day before `now`. */
function batchInput(gtin: bigint, lot: string, now: number) {
  const day = 24 * 3600;
  return {
    gtin,
    lot,
    manufacturedAt: now - day,
    expiresAt: now + 365 * day,
    quantity: 10n,
    unitsRoot: ethers.ZeroHash,
    unitCount: 0n,
  };
}
