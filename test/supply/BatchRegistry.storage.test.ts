import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import type { BatchRegistry } from "../../types/ethers-contracts/index.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  BatchStatus,
  ShipmentStatus,
  type SupplyConsortium,
  UnitStatus,
  UnitTree,
  batchIdOf,
  shipmentIdOf,
  standardSupplyConsortium,
} from "../helpers/supply.js";

// ==== LAYOUT ====

const coder = ethers.AbiCoder.defaultAbiCoder();

/** ERC-7201: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff. */
function erc7201(id: string): bigint {
  const inner = BigInt(ethers.id(id)) - 1n;
  return BigInt(ethers.keccak256(coder.encode(["uint256"], [inner]))) & ~0xffn;
}

const NAMESPACE = "medstate.storage.BatchRegistry";
/** The value hard-coded in BatchRegistry._STORAGE_SLOT. */
const PINNED_SLOT = 0x86bc7cbe5ec90195b9613502253c8c9c8a16e394e7594184288f00da7de14b00n;
const BASE = erc7201(NAMESPACE);

const REGISTRY_AND_WINDOW = BASE; // registry (20 bytes) | dispenseUndoWindow (4 bytes)
const PRODUCTS = BASE + 1n;
const NATIONAL_CODES = BASE + 2n;
const BATCHES = BASE + 3n;
const HOLDINGS = BASE + 4n;
const SHIPMENTS = BASE + 5n;
const UNITS = BASE + 6n;
const SUSPECT_REPORTS = BASE + 7n;

const IMPLEMENTATION_SLOT = BigInt(ethers.id("eip1967.proxy.implementation")) - 1n;
const INITIALIZABLE_SLOT = erc7201("openzeppelin.storage.Initializable");

const U24 = 2n ** 24n - 1n;
const U32 = 2n ** 32n - 1n;
const U40 = 2n ** 40n - 1n;
const U48 = 2n ** 48n - 1n;
const U64 = 2n ** 64n - 1n;
const U128 = 2n ** 128n - 1n;
const U160 = 2n ** 160n - 1n;

const MAKER = 2n;
const WHOLESALER = 3n;
const HOSPITAL = 4n;
const PHARMACY = 6n;
const GTIN = 6901234567892n;
const NAME = "Amoxicillin Capsules";
const APPROVAL = "国药准字H20230001";
const NATIONAL = 8612345n;
const LOT = "LOT-2026-001";
const DAY = 24n * 3600n;

function mappingSlot(keyType: string, key: unknown, slot: bigint): bigint {
  return BigInt(ethers.keccak256(coder.encode([keyType, "uint256"], [key, slot])));
}

const productSlot = (gtin: bigint) => mappingSlot("uint64", gtin, PRODUCTS);
const nationalCodeSlot = (code: bigint) => mappingSlot("uint32", code, NATIONAL_CODES);
const batchSlot = (batchId: string) => mappingSlot("bytes32", batchId, BATCHES);
const holdingSlot = (batchId: string, party: bigint) => mappingSlot("uint64", party, mappingSlot("bytes32", batchId, HOLDINGS));
const shipmentSlot = (shipmentId: string) => mappingSlot("bytes32", shipmentId, SHIPMENTS);
const unitWordSlot = (batchId: string, word: bigint) => mappingSlot("uint256", word, mappingSlot("bytes32", batchId, UNITS));
const suspectSlot = (batchId: string) => mappingSlot("bytes32", batchId, SUSPECT_REPORTS);

async function word(address: string, slot: bigint): Promise<bigint> {
  return BigInt(await ethers.provider.getStorage(address, slot));
}

function addressIn(value: bigint): string {
  return ethers.getAddress(ethers.toBeHex(value & U160, 20));
}

/** A string stored inline (shorter than 32 bytes): data left-aligned, length × 2 in the low byte. */
function shortString(w: bigint): string {
  expect(w & 1n, "stored inline (short string)").to.equal(0n);
  const length = Number((w & 0xffn) / 2n);
  return ethers.toUtf8String(ethers.getBytes(ethers.toBeHex(w, 32)).slice(0, length));
}

interface RawBatch {
  gtin: bigint;
  manufacturedAt: bigint;
  expiresAt: bigint;
  status: number;
  quantity: bigint;
  dispensed: bigint;
  unused0: bigint;
  unitsRoot: string;
  unitCount: bigint;
  destroyed: bigint;
  lost: bigint;
  manufacturer: bigint;
  unused2: bigint;
}

/** Decodes the three slots of a Batch: slot 0 packs gtin, dates, status, quantity and dispensed. */
async function rawBatch(address: string, batchId: string): Promise<RawBatch> {
  const slot = batchSlot(batchId);
  const w0 = await word(address, slot);
  const w2 = await word(address, slot + 2n);
  return {
    gtin: w0 & U64,
    manufacturedAt: (w0 >> 64n) & U40,
    expiresAt: (w0 >> 104n) & U40,
    status: Number((w0 >> 144n) & 0xffn),
    quantity: (w0 >> 152n) & U48,
    dispensed: (w0 >> 200n) & U48,
    unused0: w0 >> 248n,
    unitsRoot: await ethers.provider.getStorage(address, slot + 1n),
    unitCount: w2 & U48,
    destroyed: (w2 >> 48n) & U48,
    lost: (w2 >> 96n) & U48,
    manufacturer: (w2 >> 144n) & U64,
    unused2: w2 >> 208n,
  };
}

async function viewBatch(br: BatchRegistry, batchId: string): Promise<RawBatch> {
  const b = await br.getBatch(batchId);
  return {
    gtin: b.gtin,
    manufacturedAt: b.manufacturedAt,
    expiresAt: b.expiresAt,
    status: Number(b.status),
    quantity: b.quantity,
    dispensed: b.dispensed,
    unused0: 0n,
    unitsRoot: b.unitsRoot,
    unitCount: b.unitCount,
    destroyed: b.destroyed,
    lost: b.lost,
    manufacturer: b.manufacturer,
    unused2: 0n,
  };
}

/** The four 64-bit unit records of a word: status (8 bits), party (24), time (32). */
function lanes(w: bigint): { status: number; party: bigint; at: bigint }[] {
  return [0n, 1n, 2n, 3n].map((lane) => {
    const r = (w >> (lane * 64n)) & U64;
    return { status: Number(r & 0xffn), party: (r >> 8n) & U24, at: r >> 32n };
  });
}

// ==== FIXTURES ====

interface Layout extends SupplyConsortium {
  proxy: string;
  gov: HardhatEthersSigner;
  batchId: string;
  tree: UnitTree;
  manufacturedAt: bigint;
  expiresAt: bigint;
}

/** The standard consortium with its BatchRegistry: a product, and a released batch spread over four parties. */
async function layoutBatch(): Promise<Layout> {
  const c = await standardSupplyConsortium();
  const { batchRegistry: br, admins, registry } = c;
  const [, maker, wholesaler, hospital, , pharmacy] = admins;
  const gov = await ethers.getSigner(await c.governor.getAddress());
  await networkHelpers.impersonateAccount(gov.address);
  await networkHelpers.setBalance(gov.address, 10n ** 21n);
  const [qa] = c.others;
  await registry.connect(maker).addMember(MAKER, qa.address, 3);
  await br.connect(maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
  const tree = UnitTree.sequential(GTIN, 16);
  const now = BigInt(await networkHelpers.time.latest());
  const manufacturedAt = now - 30n * DAY;
  const expiresAt = now + 180n * DAY;
  await br.connect(maker).createBatch({ gtin: GTIN, lot: LOT, manufacturedAt, expiresAt, quantity: 1000n, unitsRoot: tree.root, unitCount: 16n });
  const batchId = batchIdOf(GTIN, LOT);
  await br.connect(qa).releaseBatch(batchId);
  for (const [to, receiver, quantity] of [
    [WHOLESALER, wholesaler, 300n],
    [PHARMACY, pharmacy, 50n],
    [HOSPITAL, hospital, 20n],
  ] as const) {
    const id = await br.connect(maker).ship.staticCall(batchId, to, quantity);
    await br.connect(maker).ship(batchId, to, quantity);
    await br.connect(receiver).receiveShipment(batchId, id);
  }
  return { ...c, proxy: await br.getAddress(), gov, batchId, tree, manufacturedAt, expiresAt };
}

// ==== TESTS ====

describe("BatchRegistry storage layout", function () {
  describe("namespace", function () {
    it("is the ERC-7201 slot of medstate.storage.BatchRegistry", function () {
      expect(BASE).to.equal(PINNED_SLOT);
      expect(BASE & 0xffn).to.equal(0n);
    });

    it("leaves the proxy's sequential slots empty", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutBatch);
      for (let slot = 0n; slot < 8n; ++slot) expect(await word(proxy, slot)).to.equal(0n);
    });
  });

  describe("slot 0: registry and dispenseUndoWindow", function () {
    it("packs the registry in the low 20 bytes and the undo window in the next 4", async function () {
      const { proxy, registry, batchRegistry, gov } = await networkHelpers.loadFixture(layoutBatch);
      const w = await word(proxy, REGISTRY_AND_WINDOW);
      expect(addressIn(w)).to.equal(await registry.getAddress());
      expect((w >> 160n) & U32).to.equal(10n * DAY);
      expect(w >> 192n).to.equal(0n);

      await batchRegistry.connect(gov).setDispenseUndoWindow(U32);
      const w1 = await word(proxy, REGISTRY_AND_WINDOW);
      expect(addressIn(w1)).to.equal(await registry.getAddress());
      expect((w1 >> 160n) & U32).to.equal(U32);
      expect(w1 >> 192n).to.equal(0n);
      await batchRegistry.connect(gov).setDispenseUndoWindow(0n);
      expect(await word(proxy, REGISTRY_AND_WINDOW)).to.equal(BigInt(await registry.getAddress()));
    });

    it("is what the views read (written raw, read back)", async function () {
      const { proxy, batchRegistry } = await networkHelpers.loadFixture(layoutBatch);
      const fake = "0x00000000000000000000000000000000000000AB";
      await networkHelpers.setStorageAt(proxy, REGISTRY_AND_WINDOW, (12345n << 160n) | BigInt(fake));
      expect(await batchRegistry.registry()).to.equal(ethers.getAddress(fake));
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(12345n);
    });
  });

  describe("slot 1: products, slot 2: national codes", function () {
    it("packs holder (8 bytes), nationalCode (4) and registeredAt (6) in one slot, then name and approvalNo", async function () {
      const { proxy, batchRegistry } = await networkHelpers.loadFixture(layoutBatch);
      const slot = productSlot(GTIN);
      const w = await word(proxy, slot);
      const p = await batchRegistry.getProduct(GTIN);
      expect({
        holder: w & U64,
        nationalCode: (w >> 64n) & U32,
        registeredAt: (w >> 96n) & U48,
        unused: w >> 144n,
        name: shortString(await word(proxy, slot + 1n)),
        approvalNo: shortString(await word(proxy, slot + 2n)),
      }).to.deep.equal({ holder: MAKER, nationalCode: NATIONAL, registeredAt: p.registeredAt, unused: 0n, name: NAME, approvalNo: APPROVAL });
      expect(await word(proxy, nationalCodeSlot(NATIONAL))).to.equal(GTIN);
      expect(await word(proxy, productSlot(GTIN + 1n))).to.equal(0n);
    });
  });

  describe("slot 3: batches", function () {
    it("packs gtin, manufacturedAt, expiresAt, status, quantity and dispensed in the batch's first slot", async function () {
      const { proxy, batchRegistry, batchId, tree, manufacturedAt, expiresAt } = await networkHelpers.loadFixture(layoutBatch);
      const expected: RawBatch = {
        gtin: GTIN,
        manufacturedAt,
        expiresAt,
        status: BatchStatus.Released,
        quantity: 1000n,
        dispensed: 0n,
        unused0: 0n,
        unitsRoot: tree.root,
        unitCount: 16n,
        destroyed: 0n,
        lost: 0n,
        manufacturer: MAKER,
        unused2: 0n,
      };
      expect(await rawBatch(proxy, batchId)).to.deep.equal(expected);
      expect(await viewBatch(batchRegistry, batchId)).to.deep.equal(expected);
    });

    it("moves only the dispensed, destroyed and lost fields on unit writes", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      const before = await rawBatch(proxy, batchId);
      await batchRegistry.connect(admins[5]).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(admins[3]).dispense(tree.unit(batchId, 1n));
      await batchRegistry.connect(admins[2]).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed);
      await batchRegistry.connect(admins[1]).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen);
      await batchRegistry.connect(admins[1]).decommission(tree.unit(batchId, 4n), UnitStatus.Stolen);
      expect(await rawBatch(proxy, batchId)).to.deep.equal({ ...before, dispensed: 2n, destroyed: 1n, lost: 2n });
      expect(await viewBatch(batchRegistry, batchId)).to.deep.equal(await rawBatch(proxy, batchId));
    });

    it("keeps every field within its bits at the extremes (uint64 GTIN, uint40 dates, uint48 quantity)", async function () {
      const { proxy, batchRegistry, admins } = await networkHelpers.loadFixture(layoutBatch);
      const gtin = 99999999999997n;
      await batchRegistry.connect(admins[1]).registerProduct(gtin, "Max", "H-MAX", 0n);
      const now = BigInt(await networkHelpers.time.latest());
      const root = ethers.MaxUint256 >> 1n;
      await batchRegistry.connect(admins[1]).createBatch({ gtin, lot: "MAX", manufacturedAt: now, expiresAt: U40, quantity: U48, unitsRoot: ethers.toBeHex(root, 32), unitCount: U48 });
      const id = batchIdOf(gtin, "MAX");
      const expected: RawBatch = {
        gtin,
        manufacturedAt: now,
        expiresAt: U40,
        status: BatchStatus.Production,
        quantity: U48,
        dispensed: 0n,
        unused0: 0n,
        unitsRoot: ethers.toBeHex(root, 32),
        unitCount: U48,
        destroyed: 0n,
        lost: 0n,
        manufacturer: MAKER,
        unused2: 0n,
      };
      expect(await rawBatch(proxy, id)).to.deep.equal(expected);
      expect(await viewBatch(batchRegistry, id)).to.deep.equal(expected);
      expect(await word(proxy, holdingSlot(id, MAKER))).to.equal(U48);
    });

    it("is what getBatch reads (slot 0 written raw, read back)", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const slot = batchSlot(batchId);
      const w =
        0x1111111111111111n |
        (0x2222222222n << 64n) |
        (0x3333333333n << 104n) |
        (2n << 144n) |
        (0x444444444444n << 152n) |
        (0x555555555555n << 200n);
      await networkHelpers.setStorageAt(proxy, slot, w);
      const b = await viewBatch(batchRegistry, batchId);
      expect([b.gtin, b.manufacturedAt, b.expiresAt, b.status, b.quantity, b.dispensed]).to.deep.equal([
        0x1111111111111111n,
        0x2222222222n,
        0x3333333333n,
        2,
        0x444444444444n,
        0x555555555555n,
      ]);
    });
  });

  describe("slot 4: holdings, slot 5: shipments", function () {
    it("packs held (16 bytes) and the sender's shipment counter (4 bytes) in one slot", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const w = await word(proxy, holdingSlot(batchId, MAKER));
      expect({ held: w & U128, shipments: (w >> 128n) & U32, unused: w >> 160n }).to.deep.equal({ held: 630n, shipments: 3n, unused: 0n });
      expect(await batchRegistry.holding(batchId, MAKER)).to.equal(630n);
      for (const [party, held] of [
        [WHOLESALER, 300n],
        [PHARMACY, 50n],
        [HOSPITAL, 20n],
      ] as const) {
        expect(await word(proxy, holdingSlot(batchId, party))).to.equal(held);
      }
    });

    it("packs from, to, quantity, seq, shippedAt and status of a shipment in one slot", async function () {
      const { proxy, batchRegistry, admins, batchId } = await networkHelpers.loadFixture(layoutBatch);
      await batchRegistry.connect(admins[2]).ship(batchId, PHARMACY, 7n);
      const open = shipmentIdOf(batchId, WHOLESALER, 0n);
      const closed = shipmentIdOf(batchId, MAKER, 2n);
      for (const [id, expected] of [
        [open, { from: WHOLESALER, to: PHARMACY, quantity: 7n, seq: 0n, status: ShipmentStatus.InTransit }],
        [closed, { from: MAKER, to: HOSPITAL, quantity: 20n, seq: 2n, status: ShipmentStatus.Received }],
      ] as const) {
        const w = await word(proxy, shipmentSlot(id));
        const s = await batchRegistry.getShipment(id);
        expect({
          from: w & U48,
          to: (w >> 48n) & U48,
          quantity: (w >> 96n) & U48,
          seq: (w >> 144n) & U32,
          shippedAt: (w >> 176n) & U40,
          status: Number((w >> 216n) & 0xffn),
          unused: w >> 224n,
        }).to.deep.equal({ ...expected, shippedAt: s.shippedAt, unused: 0n });
      }
      expect((await word(proxy, holdingSlot(batchId, WHOLESALER))) >> 128n).to.equal(1n);
    });
  });

  describe("slot 6: units, slot 7: suspect reports", function () {
    it("stores unit i in bits 64·(i mod 4) of word i / 4: status (8 bits), party (24), time (32)", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      const base = BigInt(await networkHelpers.time.latest()) + 100n;
      const steps: [number, bigint, number][] = [
        [5, 6n, UnitStatus.Dispensed],
        [2, 4n, UnitStatus.Destroyed],
        [3, 7n, UnitStatus.Locked],
        [1, 5n, UnitStatus.Stolen],
      ];
      for (const [k, [admin, index, status]] of steps.entries()) {
        await networkHelpers.time.setNextBlockTimestamp(base + BigInt(k));
        if (status === UnitStatus.Dispensed) await batchRegistry.connect(admins[admin]).dispense(tree.unit(batchId, index));
        else await batchRegistry.connect(admins[admin]).decommission(tree.unit(batchId, index), status);
      }
      expect(await word(proxy, unitWordSlot(batchId, 0n))).to.equal(0n);
      expect(await word(proxy, unitWordSlot(batchId, 2n))).to.equal(0n);
      expect(lanes(await word(proxy, unitWordSlot(batchId, 1n)))).to.deep.equal([
        { status: UnitStatus.Destroyed, party: WHOLESALER, at: base + 1n },
        { status: UnitStatus.Stolen, party: MAKER, at: base + 3n },
        { status: UnitStatus.Dispensed, party: PHARMACY, at: base },
        { status: UnitStatus.Locked, party: HOSPITAL, at: base + 2n },
      ]);
    });

    it("is what unitRecord reads (a word written raw, read back lane by lane)", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const record = (status: bigint, party: bigint, at: bigint) => status | (party << 8n) | (at << 32n);
      const w =
        record(1n, U24, U32) |
        (record(4n, 1n, 2n) << 64n) |
        (record(2n, 0xabcdefn, 0x12345678n) << 128n) |
        (record(3n, 0n, 1n) << 192n);
      await networkHelpers.setStorageAt(proxy, unitWordSlot(batchId, 9n), w);
      const read = async (i: bigint) => {
        const [status, party, at] = await batchRegistry.unitRecord(batchId, i);
        return { status: Number(status), party, at };
      };
      expect(await Promise.all([36n, 37n, 38n, 39n].map(read))).to.deep.equal([
        { status: 1, party: U24, at: U32 },
        { status: 4, party: 1n, at: 2n },
        { status: 2, party: 0xabcdefn, at: 0x12345678n },
        { status: 3, party: 0n, at: 1n },
      ]);
      expect(await read(35n)).to.deep.equal({ status: 0, party: 0n, at: 0n });
      expect(await read(40n)).to.deep.equal({ status: 0, party: 0n, at: 0n });
    });

    it("counts suspect reports per batch in its own slot", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      await batchRegistry.connect(admins[5]).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(admins[5]).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(admins[3]).dispense(tree.unit(batchId, 0n));
      expect(await word(proxy, suspectSlot(batchId))).to.equal(2n);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(2n);
    });
  });

  describe("ERC-1967 and Initializable", function () {
    it("follows an upgrade by the governor, leaving the namespace untouched", async function () {
      const { proxy, batchRegistry, gov, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const slots = [REGISTRY_AND_WINDOW, productSlot(GTIN), batchSlot(batchId), batchSlot(batchId) + 1n, batchSlot(batchId) + 2n, holdingSlot(batchId, MAKER)];
      const before = await Promise.all(slots.map((s) => word(proxy, s)));
      const next = await ethers.deployContract("BatchRegistry");
      await batchRegistry.connect(gov).upgradeToAndCall(await next.getAddress(), "0x");
      expect(addressIn(await word(proxy, IMPLEMENTATION_SLOT))).to.equal(await next.getAddress());
      expect(await Promise.all(slots.map((s) => word(proxy, s)))).to.deep.equal(before);
    });

    it("records version 1 in the proxy and disables the implementation", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutBatch);
      expect(await word(proxy, INITIALIZABLE_SLOT)).to.equal(1n);
      const implementation = addressIn(await word(proxy, IMPLEMENTATION_SLOT));
      expect(await word(implementation, INITIALIZABLE_SLOT)).to.equal(U64);
      expect(await word(implementation, REGISTRY_AND_WINDOW)).to.equal(0n);
    });
  });
});
