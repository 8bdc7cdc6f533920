/**
 * Attacker: a hostile pallet receiver, a legitimate pharmacy at the receiving end of
 * pallets ({IBulkCustody-receivePallet}) that tries to be credited more than was shipped, to
 * take in or close pallets that are not its own, to close a pallet twice, or to take in a
 * line that trade has halted. The wholesaler ships pallet 0 (LOT 5, LOT-B 4) to the hostile
 * pharmacy and pallet 1 (LOT 3) to pharmacy two. Each test asserts the exact custom error,
 * reads the views before and after, and checks conservation of both batches (Σ held +
 * Σ in transit + dispensed + … = quantity, with open pallets' lines counted in transit).
 */
import { expect } from "chai";

import { ShipmentStatus } from "../../sdk/enums.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN, State, productSubject } from "../helpers/quality.js";
import { expectEvents, shipmentIdOf } from "../helpers/supply.js";
import { type PalletArena, bulkView, expectBulkConserved, palletArena, palletIdOf } from "./bulkSetup.js";
import { HOSPITAL, PHARMACY, PHARMACY2, WHOLESALER } from "./setup.js";

const { loadFixture } = networkHelpers;

type Line = { batchId: string; quantity: bigint };

/** Both pallets' records, the ledgers of both batches and every party's bulk state. */
const view = (c: PalletArena) => bulkView(c, [c.palletId, c.victimPalletId]);

/** Asserts conservation of both batches of the arena. */
async function conserved(c: PalletArena): Promise<void> {
  await expectBulkConserved(c, c.batchId);
  await expectBulkConserved(c, c.batchB);
}

/** A party's [held, inTransit] of a batch. */
async function stock(c: PalletArena, batchId: string, party: bigint): Promise<[bigint, bigint]> {
  const k = await c.batchRegistry.custody(batchId, party);
  return [k.held, k.inTransit];
}

/**
 * The calldata of `fn(palletId, lines)` with the high bits of line `line`'s quantity word set:
 * a quantity a careless decoder would read as 2^255 + the real one.
 */
function dirtyQuantity(c: PalletArena, fn: "receivePallet" | "rejectPallet", lines: Line[], line: number): string {
  const data =
    fn === "receivePallet"
      ? c.batchRegistry.interface.encodeFunctionData("receivePallet", [c.palletId, lines])
      : c.batchRegistry.interface.encodeFunctionData("rejectPallet", [c.palletId, lines]);
  const words = data.slice(10).match(/.{64}/g)!;
  // selector | palletId | offset | length | (batchId, quantity) per line
  const at = 3 + 2 * line + 1;
  words[at] = "80" + words[at].slice(2);
  return data.slice(0, 10) + words.join("");
}

describe("Adversarial: a hostile pallet receiver", function () {
  describe("attack 1: restating a pallet's lines to be credited more", function () {
    it("lines restated with more, fewer, reordered, repeated or other lines are refused, receiving or rejecting", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      const [lot, lotB] = c.lines;
      const forgeries: [string, Line[]][] = [
        ["a larger quantity", [{ ...lot, quantity: 50n }, lotB]],
        ["a line repeated", [lot, lotB, lot]],
        ["a line dropped", [lot]],
        ["the lines reordered", [lotB, lot]],
        ["a line's batch swapped", [lot, { ...lotB, batchId: c.batchId }]],
        ["another pallet's lines", c.victimLines],
        ["no lines", []],
      ];
      const before = await view(c);
      for (const [title, lines] of forgeries) {
        for (const fn of ["receivePallet", "rejectPallet"] as const) {
          await expect(br.connect(c.pharmacy)[fn](c.palletId, lines), `${fn}: ${title}`)
            .to.be.revertedWithCustomError(br, "BatchRegistryPalletMismatch")
            .withArgs(c.palletId);
        }
      }
      expect(await view(c)).to.deep.equal(before);
      await conserved(c);
    });

    it("a quantity with dirty high bits in the calldata is refused outright, not read as a larger number", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      const to = await br.getAddress();
      const before = await view(c);
      for (const fn of ["receivePallet", "rejectPallet"] as const) {
        for (const line of [0, 1]) {
          await expect(c.pharmacy.sendTransaction({ to, data: dirtyQuantity(c, fn, c.lines, line) })).to.be.revertedWithoutReason(ethers);
        }
      }
      expect(await view(c)).to.deep.equal(before);
      // The same calldata, clean, is received: the refusal was the dirty bits'.
      const clean = br.interface.encodeFunctionData("receivePallet", [c.palletId, c.lines]);
      await expect(c.pharmacy.sendTransaction({ to, data: clean }))
        .to.emit(br, "PalletClosed")
        .withArgs(c.palletId, PHARMACY, ShipmentStatus.Received, c.pharmacy.address);
      expect(await stock(c, c.batchId, PHARMACY)).to.deep.equal([6n, 0n]);
      await conserved(c);
    });

    it("the honest restatement credits exactly the shipped lines, once", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      const tx = await br.connect(c.pharmacy).receivePallet(c.palletId, c.lines);
      await expectEvents(br, tx, [["PalletClosed", [c.palletId, PHARMACY, ShipmentStatus.Received, c.pharmacy.address]]]);
      expect(await stock(c, c.batchId, PHARMACY)).to.deep.equal([6n, 0n]);
      expect(await stock(c, c.batchB, PHARMACY)).to.deep.equal([4n, 0n]);
      // The wholesaler still has pallet 1's 3 of LOT in transit, and nothing of LOT-B.
      expect(await stock(c, c.batchId, WHOLESALER)).to.deep.equal([41n, 3n]);
      expect(await stock(c, c.batchB, WHOLESALER)).to.deep.equal([11n, 0n]);
      await conserved(c);
    });
  });

  describe("attack 2: taking or closing what is not its own", function () {
    it("a pharmacy cannot receive or reject a pallet addressed to another, even restating its lines", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      const before = await view(c);
      for (const fn of ["receivePallet", "rejectPallet"] as const) {
        for (const [signer, party] of [
          [c.pharmacy, PHARMACY],
          [c.hospital, HOSPITAL],
          [c.wholesaler, WHOLESALER],
        ] as const) {
          await expect(br.connect(signer)[fn](c.victimPalletId, c.victimLines), `${fn} by party ${party}`)
            .to.be.revertedWithCustomError(br, "BatchRegistryNotShipmentParty")
            .withArgs(c.victimPalletId, party);
        }
        // Restated wrongly, the lines are checked first.
        await expect(br.connect(c.pharmacy)[fn](c.victimPalletId, c.lines))
          .to.be.revertedWithCustomError(br, "BatchRegistryPalletMismatch")
          .withArgs(c.victimPalletId);
      }
      expect(await view(c)).to.deep.equal(before);
      await conserved(c);
    });

    it("a receiver cannot cancel a pallet, its own or another's: cancelling is the sender's", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      const before = await view(c);
      for (const [palletId, lines] of [
        [c.palletId, c.lines],
        [c.victimPalletId, c.victimLines],
      ] as const) {
        for (const [signer, party] of [
          [c.pharmacy, PHARMACY],
          [c.pharmacy2, PHARMACY2],
        ] as const) {
          await expect(br.connect(signer).cancelPallet(palletId, lines))
            .to.be.revertedWithCustomError(br, "BatchRegistryNotShipmentParty")
            .withArgs(palletId, party);
        }
      }
      expect(await view(c)).to.deep.equal(before);
      await conserved(c);
    });

    it("a shipment's id is no pallet, a pallet's id no shipment, and a pallet not shipped is unknown", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      const before = await view(c);
      const shipment = shipmentIdOf(c.batchId, WHOLESALER, 0n); // wholesaler → the hostile pharmacy, 1 box
      for (const id of [shipment, palletIdOf(WHOLESALER, 2), palletIdOf(PHARMACY, 0), ethers.ZeroHash]) {
        await expect(br.connect(c.pharmacy).receivePallet(id, [{ batchId: c.batchId, quantity: 1n }]))
          .to.be.revertedWithCustomError(br, "BatchRegistryUnknownPallet")
          .withArgs(id);
      }
      for (const batchId of [c.batchId, c.batchB]) {
        await expect(br.connect(c.pharmacy).receiveShipment(batchId, c.palletId))
          .to.be.revertedWithCustomError(br, "BatchRegistryUnknownShipment")
          .withArgs(batchId, c.palletId);
      }
      expect(await view(c)).to.deep.equal(before);
      await conserved(c);
    });
  });

  describe("attack 3: closing a pallet twice", function () {
    it("a received pallet cannot be received, rejected or cancelled again: it was credited once", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      await br.connect(c.pharmacy).receivePallet(c.palletId, c.lines);
      const before = await view(c);
      for (const [signer, fn] of [
        [c.pharmacy, "receivePallet"],
        [c.pharmacy, "rejectPallet"],
        [c.wholesaler, "cancelPallet"],
      ] as const) {
        await expect(br.connect(signer)[fn](c.palletId, c.lines), fn)
          .to.be.revertedWithCustomError(br, "BatchRegistryShipmentClosed")
          .withArgs(c.palletId, ShipmentStatus.Received);
      }
      expect(await view(c)).to.deep.equal(before);
      expect(await stock(c, c.batchId, PHARMACY)).to.deep.equal([6n, 0n]);
      expect(await stock(c, c.batchB, PHARMACY)).to.deep.equal([4n, 0n]);
      await conserved(c);
    });

    it("a rejected pallet cannot then be received, nor a cancelled one", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      await br.connect(c.pharmacy).rejectPallet(c.palletId, c.lines);
      await br.connect(c.wholesaler).cancelPallet(c.victimPalletId, c.victimLines);
      const before = await view(c);
      await expect(br.connect(c.pharmacy).receivePallet(c.palletId, c.lines))
        .to.be.revertedWithCustomError(br, "BatchRegistryShipmentClosed")
        .withArgs(c.palletId, ShipmentStatus.Rejected);
      await expect(br.connect(c.pharmacy2).receivePallet(c.victimPalletId, c.victimLines))
        .to.be.revertedWithCustomError(br, "BatchRegistryShipmentClosed")
        .withArgs(c.victimPalletId, ShipmentStatus.Cancelled);
      expect(await view(c)).to.deep.equal(before);
      // Every line went back to the wholesaler, once.
      expect(await stock(c, c.batchId, WHOLESALER)).to.deep.equal([49n, 0n]);
      expect(await stock(c, c.batchB, WHOLESALER)).to.deep.equal([15n, 0n]);
      await conserved(c);
    });
  });

  describe("attack 4: taking in a line that trade has halted", function () {
    it("a pallet whose line was stopped in transit cannot be received; rejected, every line goes back to the sender", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      await c.collaboration.connect(c.regulator).transition(c.batchB, State.EmergencyStop, "excursion");
      const before = await view(c);
      await expect(br.connect(c.pharmacy).receivePallet(c.palletId, c.lines))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchB, State.EmergencyStop);
      expect(await view(c)).to.deep.equal(before);

      const tx = await br.connect(c.pharmacy).rejectPallet(c.palletId, c.lines);
      await expectEvents(br, tx, [["PalletClosed", [c.palletId, WHOLESALER, ShipmentStatus.Rejected, c.pharmacy.address]]]);
      expect(await stock(c, c.batchId, WHOLESALER)).to.deep.equal([46n, 3n]);
      expect(await stock(c, c.batchB, WHOLESALER)).to.deep.equal([15n, 0n]);
      expect(await stock(c, c.batchId, PHARMACY)).to.deep.equal([1n, 0n]);
      await conserved(c);
    });

    it("a stop of the product halts every line of the pallet", async function () {
      const c = await loadFixture(palletArena);
      const br = c.batchRegistry;
      await c.collaboration.connect(c.regulator).transition(productSubject(GTIN), State.EmergencyStop, "excursion");
      const before = await view(c);
      await expect(br.connect(c.pharmacy).receivePallet(c.palletId, c.lines))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchId, State.EmergencyStop);
      await expect(br.connect(c.pharmacy2).receivePallet(c.victimPalletId, c.victimLines))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchId, State.EmergencyStop);
      expect(await view(c)).to.deep.equal(before);
      await conserved(c);
    });
  });
});
