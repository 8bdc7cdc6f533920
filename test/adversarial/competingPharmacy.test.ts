/**
 * Attacker: a competing pharmacy, a legitimate member that dispenses in baskets
 * ({IBulkCustody-dispenseBasket}) and aims at a rival pharmacy's shelf and baskets. The
 * hostile pharmacy (party 6) holds 3 boxes of LOT and none of LOT-B; its competitor,
 * pharmacy two (party 10), holds 8 of LOT and 5 of LOT-B and has dispensed units 4 and 5 of
 * LOT in its basket 0, still open to undo. Each test performs the attack, asserts the exact
 * custom error (or, for a unit of a basket, its exact outcome), and reads the views before
 * and after to show that nothing else changed.
 *
 * Attack 8 succeeded when it was first written (a unit a rival dispenses in a basket could
 * not be restored by the regulator, as a singly dispensed one can): the regulator's
 * `restoreBasketUnit` now puts it right, at any time, crediting the dispenser its log names.
 */
import { expect } from "chai";

import type { BasketItem } from "../../sdk/baskets.js";
import { basketCommitment } from "../../sdk/baskets.js";
import { Domain, UnitStatus, UnitVerdict } from "../../sdk/enums.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { State } from "../helpers/quality.js";
import { type BasketGroupStruct, expectConserved, expectEvents } from "../helpers/supply.js";
import {
  Outcome,
  RX_ATTACKER,
  RX_VICTIM,
  UNDO_WINDOW,
  type BasketArena,
  basketArena,
  basketIdOf,
  bulkView,
  indicesOf,
  itemsOf,
  presentBasket,
  statusOf,
} from "./bulkSetup.js";
import { HOSPITAL, PHARMACY, PHARMACY2 } from "./setup.js";

const { loadFixture, time } = networkHelpers;
const { ZeroHash } = ethers;

/** The hostile pharmacy's basket `seq`. */
const ours = (seq: number) => basketIdOf(PHARMACY, seq);

/** A basket unit of the arena's LOT tree (`index`, its real code hash), against `prescription`. */
function unitOf(c: BasketArena, index: bigint, prescription = ZeroHash) {
  return { index, unitHash: c.tree.hashOf(index), prescription };
}

/** The block time of a mined transaction. */
async function timeOf(tx: { wait(): Promise<{ blockNumber: number } | null> }): Promise<bigint> {
  const receipt = await tx.wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** A ledger view (setup.ts) with its suspect report count set to `count`. */
function withReports(view: unknown, count: bigint): unknown {
  return { ...(view as Record<string, unknown>), suspectReports: count };
}

describe("Adversarial: a competing pharmacy (baskets)", function () {
  describe("attack 1: undoing or re-dispensing a competitor's basket", function () {
    it("cannot undo a competitor's basket: undo looks the basket up under the caller's own party, which has none", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const before = await bulkView(c);
      for (const positions of [[0n], [1n], [0n, 1n]]) {
        await expect(br.connect(c.pharmacy).undoBasket(0, c.victimItems, positions))
          .to.be.revertedWithCustomError(br, "BatchRegistryUnknownBasket")
          .withArgs(ours(0));
      }
      expect(await bulkView(c)).to.deep.equal(before);
      // The competitor's basket is intact: it alone undoes it.
      const tx = await br.connect(c.pharmacy2).undoBasket(0, c.victimItems, [1n]);
      const left: BasketItem[] = c.victimItems.slice(0, 1);
      await expectEvents(br, tx, [
        ["BasketUndone", [c.victimBasket, PHARMACY2, [c.batchId], [c.victimItems[1].index], basketCommitment(left), c.pharmacy2.address]],
      ]);
      await expectConserved(c, c.batchId);
    });

    it("cannot undo it through a basket of its own: its commitment holds only its own units", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const own = c.tree.group(c.batchId, [0n], RX_ATTACKER);
      await br.connect(c.pharmacy).dispenseBasket([own]);
      const before = await bulkView(c);
      for (const [items, positions] of [
        [c.victimItems, [0n, 1n]],
        [[...itemsOf(own), ...c.victimItems], [1n, 2n]],
        [[...c.victimItems, ...itemsOf(own)], [0n]],
      ] as [BasketItem[], bigint[]][]) {
        await expect(br.connect(c.pharmacy).undoBasket(0, items, positions))
          .to.be.revertedWithCustomError(br, "BatchRegistryBasketMismatch")
          .withArgs(ours(0));
      }
      expect(await bulkView(c)).to.deep.equal(before);
    });

    it("cannot take a competitor's basket unit back through the single-unit undo", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const before = await bulkView(c);
      for (const signer of [c.pharmacy, c.pharmacy2]) {
        await expect(br.connect(signer).undoDispense(c.tree.unit(c.batchId, 4n)))
          .to.be.revertedWithCustomError(br, "BatchRegistryDispensedInBasket")
          .withArgs(c.batchId, 4n);
      }
      expect(await bulkView(c)).to.deep.equal(before);
    });

    it("re-dispensing a competitor's basket units, in a basket or singly, only reports them suspect", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const before = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      const group = c.tree.group(c.batchId, [4n, 5n], RX_ATTACKER);
      const [first, second] = indicesOf(group);
      const { basketId, outcomes, tx } = await presentBasket(c, c.pharmacy, [group]);
      expect(basketId).to.equal(ours(0));
      expect(outcomes).to.deep.equal([Outcome.Suspect, Outcome.Suspect]);
      await expectEvents(br, tx, [
        ["SuspectUnitReported", [c.batchId, first, PHARMACY, c.tree.hashOf(first), UnitStatus.Dispensed, 0n, 1n, c.pharmacy.address]],
        ["SuspectUnitReported", [c.batchId, second, PHARMACY, c.tree.hashOf(second), UnitStatus.Dispensed, 0n, 2n, c.pharmacy.address]],
        ["BasketDispensed", [ours(0), PHARMACY, 0n, 0n, 2n, 0n, ZeroHash, c.pharmacy.address]],
      ]);
      expect(await br.connect(c.pharmacy).dispense.staticCall(c.tree.unit(c.batchId, 4n))).to.equal(true);

      // Nothing moved but the report count and the attacker's own basket counter (no record).
      const after = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      expect(after.lot).to.deep.equal(withReports(before.lot, 2n));
      expect(after.lotB).to.deep.equal(before.lotB);
      expect(await br.bulkCounters(PHARMACY)).to.deep.equal([1n, 0n, 0n]);
      expect(await br.basketRecord(PHARMACY, 0)).to.deep.equal([0n, ZeroHash]);
      expect((await br.basketRecord(PHARMACY2, 0))[1]).to.not.equal(ZeroHash);
      await expectConserved(c, c.batchId);
    });
  });

  describe("attack 2: forging or replaying a basket commitment", function () {
    /** + the hostile pharmacy's basket 0: units 0 and 1 of LOT, against RX_ATTACKER. */
    async function ownBasket(): Promise<BasketArena & { own: BasketGroupStruct; items: BasketItem[] }> {
      const c = await basketArena();
      const own = c.tree.group(c.batchId, [0n, 1n], RX_ATTACKER);
      await c.batchRegistry.connect(c.pharmacy).dispenseBasket([own]);
      return { ...c, own, items: itemsOf(own) };
    }

    it("a restatement with another prescription, unit or order, or an item more or less, is refused", async function () {
      const c = await loadFixture(ownBasket);
      const br = c.batchRegistry;
      const { items } = c;
      const forgeries: [string, BasketItem[]][] = [
        ["another prescription", items.map((i) => ({ ...i, prescription: RX_VICTIM }))],
        ["a competitor's unit in place of its own", [items[0], { ...items[1], index: 4n }]],
        ["another batch's id", [items[0], { ...items[1], batchId: c.batchB }]],
        ["the reverse order", [...items].reverse()],
        ["an item more", [...items, c.victimItems[0]]],
        ["an item less", items.slice(0, 1)],
        ["no items", []],
        ["the competitor's items", c.victimItems],
      ];
      const before = await bulkView(c);
      for (const [title, forged] of forgeries) {
        await expect(br.connect(c.pharmacy).undoBasket(0, forged, [0n]), title)
          .to.be.revertedWithCustomError(br, "BatchRegistryBasketMismatch")
          .withArgs(ours(0));
      }
      expect(await bulkView(c)).to.deep.equal(before);
    });

    it("a partial undo's restatement cannot be replayed, and an emptied basket is gone", async function () {
      const c = await loadFixture(ownBasket);
      const br = c.batchRegistry;
      const { items } = c;
      await br.connect(c.pharmacy).undoBasket(0, items, [0n]);
      expect(await statusOf(c, c.batchId, items[0].index)).to.deep.equal([BigInt(UnitStatus.Active), 0n]);
      let before = await bulkView(c);
      for (const positions of [[0n], [1n]]) {
        await expect(br.connect(c.pharmacy).undoBasket(0, items, positions))
          .to.be.revertedWithCustomError(br, "BatchRegistryBasketMismatch")
          .withArgs(ours(0));
      }
      expect(await bulkView(c)).to.deep.equal(before);

      const tx = await br.connect(c.pharmacy).undoBasket(0, items.slice(1), [0n]);
      await expectEvents(br, tx, [["BasketUndone", [ours(0), PHARMACY, [c.batchId], [items[1].index], ZeroHash, c.pharmacy.address]]]);
      before = await bulkView(c);
      for (const [restated, positions] of [
        [items.slice(1), [0n]],
        [items, [0n, 1n]],
      ] as [BasketItem[], bigint[]][]) {
        await expect(br.connect(c.pharmacy).undoBasket(0, restated, positions))
          .to.be.revertedWithCustomError(br, "BatchRegistryUnknownBasket")
          .withArgs(ours(0));
      }
      expect(await bulkView(c)).to.deep.equal(before);
      // Back exactly where it started: 3 held, nothing dispensed by it.
      const k = await br.custody(c.batchId, PHARMACY);
      expect([k.held, k.dispensed]).to.deep.equal([3n, 0n]);
      await expectConserved(c, c.batchId);
    });

    it("positions that repeat, go backwards, are missing or run past the items are refused", async function () {
      const c = await loadFixture(ownBasket);
      const br = c.batchRegistry;
      const before = await bulkView(c);
      for (const [positions, reported] of [
        [[], 0n],
        [[0n, 0n], 0n],
        [[1n, 0n], 0n],
        [[1n, 1n], 1n],
        [[2n], 2n],
        [[0n, 2n], 2n],
        [[0n, 1n, 2n], 2n],
      ] as [bigint[], bigint][]) {
        await expect(br.connect(c.pharmacy).undoBasket(0, c.items, positions), JSON.stringify(positions.map(Number)))
          .to.be.revertedWithCustomError(br, "BatchRegistryInvalidBasketPosition")
          .withArgs(reported, 2n);
      }
      expect(await bulkView(c)).to.deep.equal(before);
    });
  });

  describe("attack 3: malformed multiproofs and duplicate units", function () {
    it("a competitor's unit slipped into a group makes the whole group invalid, and the basket's other group is still served", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const genuine = c.tree.group(c.batchId, [0n, 1n], RX_ATTACKER);
      const forged = { ...genuine, units: [genuine.units[0], unitOf(c, 6n, RX_ATTACKER)] };
      const served = c.tree.group(c.batchId, [2n], RX_ATTACKER);
      const { outcomes, tx } = await presentBasket(c, c.pharmacy, [forged, served]);
      expect(outcomes).to.deep.equal([Outcome.InvalidProof, Outcome.InvalidProof, Outcome.Dispensed]);
      const commitment = basketCommitment(itemsOf(served));
      await expectEvents(br, tx, [
        ["UnitsDispensed", [c.batchId, ours(0), PHARMACY, [2n], [RX_ATTACKER]]],
        ["BasketDispensed", [ours(0), PHARMACY, 0n, 1n, 0n, 2n, commitment, c.pharmacy.address]],
      ]);
      // The competitor's unit 6 and the forged group's other unit are untouched, and no report was made.
      for (const i of [0n, 1n, 6n]) expect(await statusOf(c, c.batchId, i)).to.deep.equal([BigInt(UnitStatus.Active), 0n]);
      expect(await br.suspectReportCount(c.batchId)).to.equal(0n);
      expect((await br.custody(c.batchId, PHARMACY)).held).to.equal(2n);
      expect((await br.custody(c.batchId, PHARMACY2)).held).to.equal(8n);
      await expectConserved(c, c.batchId);
    });

    it("a proof OpenZeppelin's verifier would revert on refuses its group only: the basket does not revert", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const real = c.tree.group(c.batchId, [6n]);
      const flags = real.proofFlags as boolean[];
      const proof = real.proof as string[];
      const forgeries: [string, Partial<BasketGroupStruct>][] = [
        ["the root as the whole proof", { proof: [c.tree.root], proofFlags: [] }],
        ["no proof and no flags", { proof: [], proofFlags: [] }],
        ["a flag short", { proofFlags: flags.slice(1) }],
        ["a flag more", { proofFlags: [...flags, true] }],
        ["a proof element more", { proof: [...proof, c.tree.root] }],
        ["a proof element less", { proof: proof.slice(1) }],
        ["a flag flipped", { proofFlags: [!flags[0], ...flags.slice(1)] }],
        ["every flag set", { proofFlags: flags.map(() => true) }],
      ];
      const before = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      for (const [title, forgery] of forgeries) {
        const { outcomes } = await presentBasket(c, c.pharmacy, [{ ...real, ...forgery }]);
        expect(outcomes, title).to.deep.equal([Outcome.InvalidProof]);
      }
      const after = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      expect(after.lot).to.deep.equal(before.lot);
      expect(after.lotB).to.deep.equal(before.lotB);
      // Each basket moved the attacker's own counters only (none left a record to keep).
      expect(await br.bulkCounters(PHARMACY)).to.deep.equal([BigInt(forgeries.length), BigInt(forgeries.length - 1), 0n]);
    });

    it("a group of no units is refused whole, so no empty group proves the root", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const before = await bulkView(c);
      const empty = { batchId: c.batchId, units: [], proof: [c.tree.root], proofFlags: [] };
      await expect(br.connect(c.pharmacy).dispenseBasket([empty]))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidBasketSize")
        .withArgs(0n, 256n);
      await expect(br.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [6n]), empty]))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidBasketSize")
        .withArgs(0n, 256n);
      await expect(br.connect(c.pharmacy).dispenseBasket([]))
        .to.be.revertedWithCustomError(br, "BatchRegistryInvalidBasketSize")
        .withArgs(0n, 256n);
      expect(await bulkView(c)).to.deep.equal(before);
    });

    it("units out of the proof's leaf order are refused", async function () {
      const c = await loadFixture(basketArena);
      const group = c.tree.group(c.batchId, [0n, 9n]);
      const before = (await bulkView(c)) as { lot: unknown };
      const { outcomes } = await presentBasket(c, c.pharmacy, [{ ...group, units: [...group.units].reverse() }]);
      expect(outcomes).to.deep.equal([Outcome.InvalidProof, Outcome.InvalidProof]);
      expect(((await bulkView(c)) as { lot: unknown }).lot).to.deep.equal(before.lot);
    });

    it("the same unit twice in one group is an invalid proof, whatever proof comes with it", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const single = c.tree.group(c.batchId, [0n]);
      const pair = c.tree.group(c.batchId, [0n, 9n]);
      const twice = [unitOf(c, 0n), unitOf(c, 0n)];
      const forgeries: BasketGroupStruct[] = [
        // The one unit's proof, its unit repeated.
        { ...single, units: twice },
        // The one unit's proof with a flag that merges the two copies first.
        { ...single, units: twice, proofFlags: [true, ...(single.proofFlags as boolean[])] },
        // A genuine proof of two units, the second replaced by the first.
        { ...pair, units: twice },
        // The two copies hashed together as the root.
        { batchId: c.batchId, units: twice, proof: [], proofFlags: [true] },
      ];
      const before = (await bulkView(c)) as { lot: unknown };
      for (const [i, group] of forgeries.entries()) {
        const { outcomes } = await presentBasket(c, c.pharmacy, [group]);
        expect(outcomes, `forgery ${i}`).to.deep.equal([Outcome.InvalidProof, Outcome.InvalidProof]);
      }
      expect(((await bulkView(c)) as { lot: unknown }).lot).to.deep.equal(before.lot);
      expect((await br.custody(c.batchId, PHARMACY)).held).to.equal(3n);
    });

    it("the same unit in two groups is dispensed once, from its stock once, and reported the second time", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const group = c.tree.group(c.batchId, [0n], RX_ATTACKER);
      const { outcomes, tx } = await presentBasket(c, c.pharmacy, [group, group]);
      expect(outcomes).to.deep.equal([Outcome.Dispensed, Outcome.Suspect]);
      await expectEvents(br, tx, [
        ["UnitsDispensed", [c.batchId, ours(0), PHARMACY, [0n], [RX_ATTACKER]]],
        ["SuspectUnitReported", [c.batchId, 0n, PHARMACY, c.tree.hashOf(0n), UnitStatus.Dispensed, 0n, 1n, c.pharmacy.address]],
        ["BasketDispensed", [ours(0), PHARMACY, 0n, 1n, 1n, 0n, basketCommitment(itemsOf(group)), c.pharmacy.address]],
      ]);
      const k = await br.custody(c.batchId, PHARMACY);
      expect([k.held, k.dispensed]).to.deep.equal([2n, 1n]);
      expect((await br.getBatch(c.batchId)).dispensed).to.equal(3n);
      await expectConserved(c, c.batchId);
    });

    it("a group proved with another batch's tree, or naming no batch, is refused and reports nothing", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const noBatch = ethers.id("no such batch");
      const groups: BasketGroupStruct[] = [
        // LOT-B's units presented as LOT's.
        { ...c.treeB.group(c.batchB, [0n, 1n]), batchId: c.batchId },
        // LOT's units, among them the competitor's dispensed unit 4, presented as LOT-B's.
        { ...c.tree.group(c.batchId, [4n, 6n]), batchId: c.batchB },
        // A genuine group under an id no batch has.
        { ...c.tree.group(c.batchId, [4n]), batchId: noBatch },
      ];
      const before = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      const { outcomes, tx } = await presentBasket(c, c.pharmacy, groups);
      expect(outcomes).to.deep.equal([
        Outcome.InvalidProof,
        Outcome.InvalidProof,
        Outcome.InvalidProof,
        Outcome.InvalidProof,
        Outcome.UnknownBatch,
      ]);
      await expectEvents(br, tx, [["BasketDispensed", [ours(0), PHARMACY, 0n, 0n, 0n, 5n, ZeroHash, c.pharmacy.address]]]);
      const after = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      expect(after.lot).to.deep.equal(before.lot);
      expect(after.lotB).to.deep.equal(before.lotB);
    });
  });

  describe("attack 4: exhausting stock", function () {
    it("a pharmacy dispenses no more units than it holds: the rest are refused NoStock and stay genuine", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const victim = await br.custody(c.batchId, PHARMACY2);
      const group = c.tree.group(c.batchId, [0n, 1n, 2n, 3n, 6n, 7n], RX_ATTACKER);
      const order = indicesOf(group);
      const { outcomes, tx } = await presentBasket(c, c.pharmacy, [group]);
      expect(outcomes).to.deep.equal([...Array(3).fill(Outcome.Dispensed), ...Array(3).fill(Outcome.NoStock)]);
      await expectEvents(br, tx, [
        ["UnitsDispensed", [c.batchId, ours(0), PHARMACY, order.slice(0, 3), Array(3).fill(RX_ATTACKER)]],
        ["BasketDispensed", [ours(0), PHARMACY, 0n, 3n, 0n, 3n, basketCommitment(itemsOf(group).slice(0, 3)), c.pharmacy.address]],
      ]);
      const k = await br.custody(c.batchId, PHARMACY);
      expect([k.held, k.dispensed]).to.deep.equal([0n, 3n]);
      expect(await br.custody(c.batchId, PHARMACY2)).to.deep.equal(victim);
      for (const i of order.slice(3)) {
        expect(await br.verify(c.tree.unit(c.batchId, i))).to.deep.equal([BigInt(UnitVerdict.Genuine), 0n]);
      }

      // With nothing left, every further unit is refused and nothing is recorded.
      const before = await bulkView(c);
      const more = await presentBasket(c, c.pharmacy, [c.tree.group(c.batchId, [8n, 9n])]);
      expect(more.outcomes).to.deep.equal([Outcome.NoStock, Outcome.NoStock]);
      await expectEvents(br, more.tx, [["BasketDispensed", [ours(1), PHARMACY, 1n, 0n, 0n, 2n, ZeroHash, c.pharmacy.address]]]);
      const after = (await bulkView(c)) as { lot: unknown };
      expect(after.lot).to.deep.equal((before as { lot: unknown }).lot);
      expect(await br.basketRecord(PHARMACY, 1)).to.deep.equal([0n, ZeroHash]);
      await expectConserved(c, c.batchId);
    });

    it("a pharmacy cannot dispense units of a batch it holds none of, nor can a hospital that holds nothing", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const before = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      const group = c.treeB.group(c.batchB, [0n, 1n, 2n]);
      for (const [signer, party] of [
        [c.pharmacy, PHARMACY],
        [c.hospital, HOSPITAL],
      ] as const) {
        const { outcomes, tx } = await presentBasket(c, signer, [group]);
        expect(outcomes).to.deep.equal([Outcome.NoStock, Outcome.NoStock, Outcome.NoStock]);
        await expectEvents(br, tx, [["BasketDispensed", [basketIdOf(party, 0), party, 0n, 0n, 0n, 3n, ZeroHash, signer.address]]]);
        expect(await br.basketRecord(party, 0)).to.deep.equal([0n, ZeroHash]);
      }
      const after = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      expect(after.lot).to.deep.equal(before.lot);
      expect(after.lotB).to.deep.equal(before.lotB);
      await expectConserved(c, c.batchB);
    });

    it("units set aside by a lock are not available to a basket, and the locked unit itself is reported", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      await br.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, 10n), UnitStatus.Locked);
      const group = c.tree.group(c.batchId, [0n, 1n, 2n, 10n]);
      const order = indicesOf(group);
      const { outcomes } = await presentBasket(c, c.pharmacy, [group]);
      // 3 held, 1 locked: two dispensed, the third active unit refused, the locked one suspect.
      let dispensed = 0;
      const expected = order.map((i) => {
        if (i === 10n) return Outcome.Suspect;
        return dispensed++ < 2 ? Outcome.Dispensed : Outcome.NoStock;
      });
      expect(outcomes).to.deep.equal(expected);
      const k = await br.custody(c.batchId, PHARMACY);
      expect([k.held, k.locked, k.dispensed]).to.deep.equal([1n, 1n, 2n]);
      expect(await statusOf(c, c.batchId, 10n)).to.deep.equal([BigInt(UnitStatus.Locked), PHARMACY]);
      await expectConserved(c, c.batchId);
    });
  });

  describe("attack 5: undoing after the window to make a clone look genuine", function () {
    /** + the hostile pharmacy's basket 0 (unit 0 of LOT), and when it was dispensed. */
    async function soldUnit(): Promise<BasketArena & { items: BasketItem[]; at: bigint }> {
      const c = await basketArena();
      const group = c.tree.group(c.batchId, [0n], RX_ATTACKER);
      const tx = await c.batchRegistry.connect(c.pharmacy).dispenseBasket([group]);
      return { ...c, items: itemsOf(group), at: await timeOf(tx) };
    }

    it("the window is exactly as long as the governance set it: at its deadline the basket is still undone", async function () {
      const c = await loadFixture(soldUnit);
      await time.setNextBlockTimestamp(c.at + UNDO_WINDOW);
      await c.batchRegistry.connect(c.pharmacy).undoBasket(0, c.items, [0n]);
      expect(await statusOf(c, c.batchId, 0n)).to.deep.equal([BigInt(UnitStatus.Active), 0n]);
    });

    it("one second after the window the undo is refused, and the unit stays dispensed: a clone of it is suspect", async function () {
      const c = await loadFixture(soldUnit);
      const br = c.batchRegistry;
      await time.setNextBlockTimestamp(c.at + UNDO_WINDOW + 1n);
      await networkHelpers.mine();
      const before = await bulkView(c);
      await expect(br.connect(c.pharmacy).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryBasketUndoClosed")
        .withArgs(ours(0), c.at + UNDO_WINDOW);
      expect(await bulkView(c)).to.deep.equal(before);
      expect(await br.verify(c.tree.unit(c.batchId, 0n))).to.deep.equal([BigInt(UnitVerdict.Dispensed), 0n]);
      // The clone, presented anywhere, is reported.
      expect(await br.connect(c.pharmacy2).dispense.staticCall(c.tree.unit(c.batchId, 0n))).to.equal(true);
      const { outcomes } = await presentBasket(c, c.pharmacy, [c.tree.group(c.batchId, [0n])]);
      expect(outcomes).to.deep.equal([Outcome.Suspect]);
    });

    it("once its next basket has expired the record, the basket is unknown for good", async function () {
      const c = await loadFixture(soldUnit);
      const br = c.batchRegistry;
      await time.increaseTo(c.at + UNDO_WINDOW + 1n);
      const next = c.tree.group(c.batchId, [1n], RX_ATTACKER);
      const { tx } = await presentBasket(c, c.pharmacy, [next]);
      await expectEvents(br, tx, [
        ["BasketExpired", [ours(0), PHARMACY]],
        ["UnitsDispensed", [c.batchId, ours(1), PHARMACY, [1n], [RX_ATTACKER]]],
        ["BasketDispensed", [ours(1), PHARMACY, 1n, 1n, 0n, 0n, basketCommitment(itemsOf(next)), c.pharmacy.address]],
      ]);
      expect(await br.basketRecord(PHARMACY, 0)).to.deep.equal([0n, ZeroHash]);
      expect(await br.bulkCounters(PHARMACY)).to.deep.equal([2n, 1n, 0n]);
      const before = await bulkView(c);
      await expect(br.connect(c.pharmacy).undoBasket(0, c.items, [0n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryUnknownBasket")
        .withArgs(ours(0));
      expect(await bulkView(c)).to.deep.equal(before);
    });
  });

  describe("attack 6: griefing the expiry queue", function () {
    it("a competitor's baskets, however many and however late, never expire or touch another party's basket", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const victimRecord = await br.basketRecord(PHARMACY2, 0);
      const victimCounters = await br.bulkCounters(PHARMACY2);
      await br.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [0n])]);
      for (let i = 0; i < 4; ++i) await br.connect(c.pharmacy).dispenseBasket([c.treeB.group(c.batchB, [BigInt(i)])]);
      expect(await br.basketRecord(PHARMACY2, 0)).to.deep.equal(victimRecord);
      expect(await br.bulkCounters(PHARMACY2)).to.deep.equal(victimCounters);
      // Past the competitor's window, the attacker's baskets expire its own basket only.
      await time.increase(UNDO_WINDOW + 1n);
      const late = c.tree.group(c.batchId, [1n], RX_ATTACKER);
      const { tx } = await presentBasket(c, c.pharmacy, [late]);
      await expectEvents(br, tx, [
        ["BasketExpired", [ours(0), PHARMACY]],
        ["UnitsDispensed", [c.batchId, ours(5), PHARMACY, [1n], [RX_ATTACKER]]],
        ["BasketDispensed", [ours(5), PHARMACY, 5n, 1n, 0n, 0n, basketCommitment(itemsOf(late)), c.pharmacy.address]],
      ]);
      for (let i = 0; i < 3; ++i) await br.connect(c.pharmacy).dispenseBasket([c.treeB.group(c.batchB, [BigInt(i)])]);
      expect(await br.basketRecord(PHARMACY2, 0)).to.deep.equal(victimRecord);
      expect(await br.bulkCounters(PHARMACY2)).to.deep.equal(victimCounters);
      expect(await br.bulkCounters(PHARMACY)).to.deep.equal([9n, 4n, 0n]);
    });

    it("within its window the competitor still undoes its basket after the attacker's baskets", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      for (let i = 0; i < 3; ++i) await br.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [BigInt(i)])]);
      await time.increase(UNDO_WINDOW / 2n);
      // The competitor's own next basket keeps its basket 0, still open to undo.
      await br.connect(c.pharmacy2).dispenseBasket([c.tree.group(c.batchId, [12n], RX_VICTIM)]);
      expect(await br.bulkCounters(PHARMACY2)).to.deep.equal([2n, 0n, 0n]);
      const tx = await br.connect(c.pharmacy2).undoBasket(0, c.victimItems, [0n, 1n]);
      await expectEvents(br, tx, [
        ["BasketUndone", [c.victimBasket, PHARMACY2, [c.batchId, c.batchId], indicesOf(c.victimGroup), ZeroHash, c.pharmacy2.address]],
      ]);
      const k = await br.custody(c.batchId, PHARMACY2);
      expect([k.held, k.dispensed]).to.deep.equal([9n, 1n]);
      await expectConserved(c, c.batchId);
    });
  });

  describe("attack 7: selling or restocking through a stop", function () {
    it("units of a stopped batch are refused Halted, clones of it are still reported, and a basket of it cannot be undone into stock", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      const own = c.tree.group(c.batchId, [0n], RX_ATTACKER);
      await br.connect(c.pharmacy).dispenseBasket([own]);
      await c.collaboration.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "excursion");
      const before = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      const fresh = c.tree.group(c.batchId, [1n, 2n]);
      const { outcomes } = await presentBasket(c, c.pharmacy, [fresh, c.tree.group(c.batchId, [4n])]);
      expect(outcomes).to.deep.equal([Outcome.Halted, Outcome.Halted, Outcome.Suspect]);
      await expect(br.connect(c.pharmacy).undoBasket(0, itemsOf(own), [0n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryHalted")
        .withArgs(c.batchId, State.EmergencyStop);
      const after = (await bulkView(c)) as { lot: unknown; lotB: unknown };
      expect(after.lot).to.deep.equal(withReports(before.lot, 1n));
      expect(after.lotB).to.deep.equal(before.lotB);
      await expectConserved(c, c.batchId);
    });
  });

  describe("attack 8: dispensing a competitor's codes in a basket", function () {
    // This attack succeeded before restoreBasketUnit: restoreUnit refuses a basket unit
    // (BatchRegistryDispensedInBasket), only the dispensing party's undoBasket undoes it, and
    // after its window nobody could. The regulator now restores it at any time, naming the
    // dispenser from the UnitsDispensed log, and the attacker's own stock takes the box back.
    it("a rival's basket dispense of a competitor's code: nobody but the regulator can undo it, and the regulator can, even after the window", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      // Unit 6 is on pharmacy two's shelf; the hostile pharmacy spends one of its own boxes on it.
      const { outcomes, tx } = await presentBasket(c, c.pharmacy, [c.tree.group(c.batchId, [6n])]);
      expect(outcomes).to.deep.equal([Outcome.Dispensed]);
      await expect(tx).to.emit(br, "UnitsDispensed").withArgs(c.batchId, ours(0), PHARMACY, [6n], [ZeroHash]);
      expect(await br.verify(c.tree.unit(c.batchId, 6n))).to.deep.equal([BigInt(UnitVerdict.Dispensed), 0n]);
      // The victim's genuine pack is now a suspect at its own counter.
      expect(await br.connect(c.pharmacy2).dispense.staticCall(c.tree.unit(c.batchId, 6n))).to.equal(true);

      // The victim cannot undo it: it has no basket of it, and single undo refuses basket units.
      await expect(br.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 6n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryDispensedInBasket")
        .withArgs(c.batchId, 6n);
      await expect(br.connect(c.pharmacy2).undoBasket(1, [{ batchId: c.batchId, index: 6n, prescription: ZeroHash }], [0n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryUnknownBasket")
        .withArgs(basketIdOf(PHARMACY2, 1));
      await expect(br.connect(c.pharmacy2).undoDispense(c.tree.unit(c.batchId, 6n)))
        .to.be.revertedWithCustomError(br, "BatchRegistryDispensedInBasket")
        .withArgs(c.batchId, 6n);
      // Nor can the victim restore it, or credit the box to itself.
      await expect(br.connect(c.pharmacy2).restoreBasketUnit(c.tree.unit(c.batchId, 6n), PHARMACY2))
        .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
        .withArgs(PHARMACY2, Domain.Pharmacy);

      // After the window, not even the attacker can take it back; the regulator still can.
      await time.increase(UNDO_WINDOW + 1n);
      await br.connect(c.pharmacy).dispenseBasket([c.treeB.group(c.batchB, [0n])]);
      expect(await br.unitRecord(c.batchId, 6n)).to.deep.equal([BigInt(UnitStatus.Dispensed), 0n, 0n]);
      const heldBefore = (await br.custody(c.batchId, PHARMACY)).held;
      const victimBefore = await br.custody(c.batchId, PHARMACY2);
      await expect(br.connect(c.regulator).restoreBasketUnit(c.tree.unit(c.batchId, 6n), PHARMACY))
        .to.emit(br, "UnitRestored")
        .withArgs(c.batchId, 6n, PHARMACY, UnitStatus.Dispensed, 1n, await c.regulator.getAddress());
      expect(await br.verify(c.tree.unit(c.batchId, 6n))).to.deep.equal([BigInt(UnitVerdict.Genuine), 1n]);
      // The box goes back to the attacker's stock; the victim's stock is untouched and its pack sells.
      expect((await br.custody(c.batchId, PHARMACY)).held).to.equal(heldBefore + 1n);
      expect(await br.custody(c.batchId, PHARMACY2)).to.deep.equal(victimBefore);
      expect(await br.connect(c.pharmacy2).dispense.staticCall(c.tree.unit(c.batchId, 6n))).to.equal(false);
      await expectConserved(c, c.batchId);
    });

    it("cannot take the box back twice: once the regulator restored the unit, its basket's undo of it is refused", async function () {
      const c = await loadFixture(basketArena);
      const br = c.batchRegistry;
      await br.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [6n])]);
      await br.connect(c.regulator).restoreBasketUnit(c.tree.unit(c.batchId, 6n), PHARMACY);
      const before = await bulkView(c);
      // Within the window, the attacker restates its basket to be credited the restored unit again.
      await expect(br.connect(c.pharmacy).undoBasket(0, [{ batchId: c.batchId, index: 6n, prescription: ZeroHash }], [0n]))
        .to.be.revertedWithCustomError(br, "BatchRegistryBasketUnitChanged")
        .withArgs(ours(0), c.batchId, 6n);
      expect(await bulkView(c)).to.deep.equal(before);
      await expectConserved(c, c.batchId);
    });
  });
});
