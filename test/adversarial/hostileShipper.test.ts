/**
 * Attacker: a hostile pallet sender, a legitimate custodian shipping pallets
 * ({IBulkCustody-shipPallet}) that tries to ship more than it holds by repeating lines, to
 * ship stock that may not be traded (halted, unreleased, expired), to ship where stock may
 * not go, and to take back a pallet after it was received. Holdings at the start: LOT maker
 * 40, wholesaler 49, the hostile pharmacy 1, pharmacy two 10; LOT-B maker 20, wholesaler 15,
 * pharmacy two 5. Each test asserts the exact custom error, reads the views before and
 * after, and checks conservation of every batch involved (open pallets counted in transit).
 */
import { expect } from "chai";

import { Domain, PartyStatus, ShipmentStatus, UnitStatus } from "../../sdk/enums.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { DAY, GTIN, State, productSubject } from "../helpers/quality.js";
import { UnitTree, batchIdOf, expectEvents, inspect } from "../helpers/supply.js";
import { type BulkArena, bulkArena, bulkView, expectBulkConserved, palletIdOf } from "./bulkSetup.js";
import { LABORATORY, MAKER, PHARMACY, PHARMACY2, REGULATOR, WHOLESALER, createBatch } from "./setup.js";

const { loadFixture, time } = networkHelpers;

type Line = { batchId: string; quantity: bigint };

/** Asserts conservation of the arena's two batches and of `others`. */
async function conserved(c: BulkArena, ...others: string[]): Promise<void> {
  for (const batchId of [c.batchId, c.batchB, ...others]) await expectBulkConserved(c, batchId);
}

/** A party's [held, inTransit] of a batch. */
async function stock(c: BulkArena, batchId: string, party: bigint): Promise<[bigint, bigint]> {
  const k = await c.batchRegistry.custody(batchId, party);
  return [k.held, k.inTransit];
}

describe("Adversarial: a hostile pallet sender", function () {
  describe("attack 1: shipping more than it holds", function () {
    it("repeated lines cannot ship more than the sender holds: the line that overdraws reverts the pallet", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const lot = (quantity: bigint): Line => ({ batchId: c.batchId, quantity });
      const before = await bulkView(c);
      for (const [lines, available, requested] of [
        [[lot(30n), lot(30n)], 19n, 30n],
        [[lot(49n), lot(1n)], 0n, 1n],
        [[{ batchId: c.batchB, quantity: 15n }, lot(40n), lot(10n)], 9n, 10n],
        [Array.from({ length: 50 }, () => lot(1n)), 0n, 1n],
      ] as [Line[], bigint, bigint][]) {
        await expect(br.connect(c.wholesaler).shipPallet(PHARMACY2, lines))
          .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
          .withArgs(c.batchId, WHOLESALER, available, requested);
      }
      expect(await bulkView(c)).to.deep.equal(before);
      await conserved(c);
    });

    it("repeated lines within its stock move exactly their sum, and come back exactly once", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const lines: Line[] = [
        { batchId: c.batchId, quantity: 20n },
        { batchId: c.batchId, quantity: 20n },
        { batchId: c.batchB, quantity: 5n },
        { batchId: c.batchId, quantity: 9n },
      ];
      await br.connect(c.wholesaler).shipPallet(PHARMACY2, lines);
      expect(await stock(c, c.batchId, WHOLESALER)).to.deep.equal([0n, 49n]);
      expect(await stock(c, c.batchB, WHOLESALER)).to.deep.equal([10n, 5n]);
      await conserved(c);
      const tx = await br.connect(c.pharmacy2).rejectPallet(palletIdOf(WHOLESALER, 0), lines);
      await expectEvents(br, tx, [["PalletClosed", [palletIdOf(WHOLESALER, 0), WHOLESALER, ShipmentStatus.Rejected, c.pharmacy2.address]]]);
      expect(await stock(c, c.batchId, WHOLESALER)).to.deep.equal([49n, 0n]);
      expect(await stock(c, c.batchB, WHOLESALER)).to.deep.equal([15n, 0n]);
      expect(await stock(c, c.batchId, PHARMACY2)).to.deep.equal([10n, 0n]);
      await conserved(c);
    });

    it("a line of a batch it does not hold, of no batch or of nothing, or a pallet of no or too many lines, is refused", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const noBatch = ethers.id("no such batch");
      const before = await bulkView(c);
      const one = { batchId: c.batchId, quantity: 1n };
      await expect(br.connect(c.pharmacy).shipPallet(PHARMACY2, [one, { batchId: c.batchB, quantity: 1n }]))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(c.batchB, PHARMACY, 0n, 1n);
      await expect(br.connect(c.pharmacy).shipPallet(PHARMACY2, [one, { batchId: noBatch, quantity: 1n }]))
        .to.be.revertedWithCustomError(br, "BatchRegistryUnknownBatch")
        .withArgs(noBatch);
      await expect(br.connect(c.pharmacy).shipPallet(PHARMACY2, [one, { batchId: c.batchId, quantity: 0n }])).to.be.revertedWithCustomError(
        br,
        "BatchRegistryZeroQuantity",
      );
      await expect(br.connect(c.pharmacy).shipPallet(PHARMACY2, []))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidLineCount")
        .withArgs(0n, 256n);
      await expect(br.connect(c.wholesaler).shipPallet(PHARMACY2, Array.from({ length: 257 }, () => one)))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidLineCount")
        .withArgs(257n, 256n);
      expect(await bulkView(c)).to.deep.equal(before);
      await conserved(c);
    });

    it("a unit set aside by a lock cannot leave on a pallet", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      await br.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, 0n), UnitStatus.Locked);
      const before = await bulkView(c);
      await expect(br.connect(c.pharmacy).shipPallet(PHARMACY2, [{ batchId: c.batchId, quantity: 1n }]))
        .to.be.revertedWithCustomError(br, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 0n, 1n);
      expect(await bulkView(c)).to.deep.equal(before);
      await conserved(c);
    });
  });

  describe("attack 2: shipping stock that may not be traded", function () {
    it("a pallet with a halted line does not ship at all, not even its tradable lines", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      await c.collaboration.connect(c.regulator).transition(c.batchB, State.EmergencyStop, "excursion");
      const before = await bulkView(c);
      await expect(
        br.connect(c.wholesaler).shipPallet(PHARMACY2, [
          { batchId: c.batchId, quantity: 5n },
          { batchId: c.batchB, quantity: 5n },
        ]),
      )
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchB, State.EmergencyStop);
      expect(await bulkView(c)).to.deep.equal(before);
      expect(await br.bulkCounters(WHOLESALER)).to.deep.equal([0n, 0n, 0n]);
      await conserved(c);
    });

    it("a stop of the product halts every line", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      await c.collaboration.connect(c.regulator).transition(productSubject(GTIN), State.EmergencyStop, "excursion");
      const before = await bulkView(c);
      await expect(br.connect(c.wholesaler).shipPallet(PHARMACY2, [{ batchId: c.batchB, quantity: 5n }]))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchB, State.EmergencyStop);
      expect(await bulkView(c)).to.deep.equal(before);
      await conserved(c);
    });

    it("a pallet with an unreleased line does not ship", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const batchC = await createBatch(c, "LOT-C", UnitTree.sequential(GTIN, 16, "C"), 20n);
      const before = await bulkView(c);
      await expect(
        br.connect(c.maker).shipPallet(WHOLESALER, [
          { batchId: c.batchId, quantity: 5n },
          { batchId: batchC, quantity: 5n },
        ]),
      )
        .to.be.revertedWithCustomError(br, "BatchRegistryNotReleased")
        .withArgs(batchC);
      expect(await bulkView(c)).to.deep.equal(before);
      expect(await stock(c, batchC, MAKER)).to.deep.equal([20n, 0n]);
      await conserved(c, batchC);
    });

    it("a pallet with an expired line does not ship", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const tree = UnitTree.sequential(GTIN, 16, "E");
      const now = BigInt(await time.latest());
      const expiresAt = now + 2n * DAY;
      await br.connect(c.maker).createBatch({
        gtin: GTIN,
        lot: "LOT-E",
        manufacturedAt: now - DAY,
        expiresAt,
        quantity: 20n,
        unitsRoot: tree.root,
        unitCount: tree.count,
      });
      const batchE = batchIdOf(GTIN, "LOT-E");
      await inspect(br, c.makerQa, batchE);
      await br.connect(c.makerQa).releaseBatch(batchE);
      await time.increaseTo(expiresAt);
      const before = await bulkView(c);
      await expect(
        br.connect(c.maker).shipPallet(WHOLESALER, [
          { batchId: c.batchId, quantity: 5n },
          { batchId: batchE, quantity: 5n },
        ]),
      )
        .to.be.revertedWithCustomError(br, "BatchRegistryBatchExpired")
        .withArgs(batchE, expiresAt);
      expect(await bulkView(c)).to.deep.equal(before);
      await conserved(c, batchE);
    });
  });

  describe("attack 3: shipping where stock may not go", function () {
    it("a pallet to itself, to a party outside distribution, to no party or to a suspended party is refused", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const lines = [{ batchId: c.batchId, quantity: 5n }];
      await c.registry.connect(c.regulator).suspendParty(PHARMACY2);
      const before = await bulkView(c);
      await expect(br.connect(c.wholesaler).shipPallet(WHOLESALER, lines))
        .to.be.revertedWithCustomError(br, "BatchRegistrySelfShipment")
        .withArgs(WHOLESALER);
      for (const [party, domain] of [
        [REGULATOR, Domain.Regulator],
        [LABORATORY, Domain.Laboratory],
      ] as const) {
        await expect(br.connect(c.wholesaler).shipPallet(party, lines))
          .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
          .withArgs(party, domain);
      }
      await expect(br.connect(c.wholesaler).shipPallet(99n, lines))
        .to.be.revertedWithCustomError(c.registry, "RegistryUnknownParty")
        .withArgs(99n);
      await expect(br.connect(c.wholesaler).shipPallet(PHARMACY2, lines))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY2, PartyStatus.Suspended);
      expect(await bulkView(c)).to.deep.equal(before);
      await conserved(c);
    });
  });

  describe("attack 4: taking back what it shipped", function () {
    it("a sender cannot cancel with more lines than it shipped, nor cancel once the pallet was received", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const lines = [{ batchId: c.batchId, quantity: 5n }];
      const palletId = palletIdOf(WHOLESALER, 0);
      await br.connect(c.wholesaler).shipPallet(PHARMACY2, lines);
      let before = await bulkView(c, [palletId]);
      for (const restated of [[{ ...lines[0], quantity: 50n }], [...lines, ...lines]]) {
        await expect(br.connect(c.wholesaler).cancelPallet(palletId, restated))
          .to.be.revertedWithCustomError(br, "BatchRegistryPalletMismatch")
          .withArgs(palletId);
      }
      expect(await bulkView(c, [palletId])).to.deep.equal(before);
      await conserved(c);

      await br.connect(c.pharmacy2).receivePallet(palletId, lines);
      before = await bulkView(c, [palletId]);
      await expect(br.connect(c.wholesaler).cancelPallet(palletId, lines))
        .to.be.revertedWithCustomError(br, "BatchRegistryShipmentClosed")
        .withArgs(palletId, ShipmentStatus.Received);
      expect(await bulkView(c, [palletId])).to.deep.equal(before);
      expect(await stock(c, c.batchId, WHOLESALER)).to.deep.equal([44n, 0n]);
      expect(await stock(c, c.batchId, PHARMACY2)).to.deep.equal([15n, 0n]);
      await conserved(c);
    });

    it("a sender cannot cancel another sender's pallet", async function () {
      const c = await loadFixture(bulkArena);
      const br = c.batchRegistry;
      const lines = [{ batchId: c.batchId, quantity: 5n }];
      const palletId = palletIdOf(WHOLESALER, 0);
      await br.connect(c.wholesaler).shipPallet(PHARMACY2, lines);
      const before = await bulkView(c, [palletId]);
      await expect(br.connect(c.maker).cancelPallet(palletId, lines))
        .to.be.revertedWithCustomError(br, "BatchRegistryNotShipmentParty")
        .withArgs(palletId, MAKER);
      expect(await bulkView(c, [palletId])).to.deep.equal(before);
      await conserved(c);
    });
  });
});
