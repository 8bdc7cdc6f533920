import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import type { BatchRegistry, IBatchRegistry, ISuspectProduct } from "../../types/ethers-contracts/index.js";
import { basketCommitment, basketIdOf, palletIdOf } from "../../sdk/baskets.js";
import { productApplicationHash } from "../../sdk/codes.js";
import { Domain, LicenceKind, MemberStatus, PartyStatus, Role } from "../../sdk/enums.js";
import { DOC, LICENCE_EXPIRY, ethers, networkHelpers, restoreClockAfter } from "../helpers/fixtures.js";
import { erc7201, word } from "../helpers/storage.js";
import {
  BatchStatus,
  ShipmentStatus,
  type SupplyConsortium,
  UnitStatus,
  UnitTree,
  batchIdOf,
  deployBatchRegistryImplementation,
  deploySupplyConsortium,
  expectConserved,
  inspect,
  registerProduct,
  shipmentIdOf,
  standardSupplyConsortium,
} from "../helpers/supply.js";

// ==== LAYOUT ====

const coder = ethers.AbiCoder.defaultAbiCoder();

const NAMESPACE = "medstate.storage.BatchRegistry";
/** The value hard-coded in SupplyStorage._SLOT. */
const PINNED_SLOT = 0x86bc7cbe5ec90195b9613502253c8c9c8a16e394e7594184288f00da7de14b00n;
const BASE = erc7201(NAMESPACE);

const WINDOW = BASE; // dispenseUndoWindow (4 bytes); the registry is an immutable of the implementation
const PRODUCTS = BASE + 1n;
const NATIONAL_CODES = BASE + 2n;
const BATCHES = BASE + 3n;
const HOLDINGS = BASE + 4n;
const SHIPMENTS = BASE + 5n;
const UNITS = BASE + 6n;
const SUSPECT_REPORTS = BASE + 7n;
const APPLICATIONS = BASE + 8n;
const BASKET_UNITS = BASE + 9n;
const BASKETS = BASE + 10n;
const BULK_COUNTERS = BASE + 11n;
const PALLETS = BASE + 12n;
const BASKET_RESTORES = BASE + 13n;
const UNKNOWN_CODE_REPORTS = BASE + 14n;

const MIRROR_NAMESPACE = "medstate.storage.MembershipMirror";
/** The value hard-coded in MembershipMirror._MIRROR_SLOT. */
const PINNED_MIRROR_SLOT = 0xcb197f7cae46ee9fb574a151fc3804323c462cf52793e6bfe5debc3da0817b00n;
const MIRROR_BASE = erc7201(MIRROR_NAMESPACE);
const MIRRORED_MEMBERS = MIRROR_BASE;
const MIRRORED_PARTIES = MIRROR_BASE + 1n;

const IMPLEMENTATION_SLOT = BigInt(ethers.id("eip1967.proxy.implementation")) - 1n;
const INITIALIZABLE_SLOT = erc7201("openzeppelin.storage.Initializable");

const U8 = 2n ** 8n - 1n;
const U24 = 2n ** 24n - 1n;
const U32 = 2n ** 32n - 1n;
const U36 = 2n ** 36n - 1n;
const U40 = 2n ** 40n - 1n;
const U48 = 2n ** 48n - 1n;
const U64 = 2n ** 64n - 1n;
const U104 = 2n ** 104n - 1n;
const U160 = 2n ** 160n - 1n;

const MAKER = 2n;
const WHOLESALER = 3n;
const HOSPITAL = 4n;
const PHARMACY = 6n;
const GTIN = 6901234567892n;
const GTIN2 = 4006381333931n;
const NAME = "Amoxicillin Capsules";
const APPROVAL = "国药准字H20230001";
const NATIONAL = 8612345n;
const LOT = "LOT-2026-001";
const DAY = 24n * 3600n;
const MAX_UNDO_WINDOW = 30n * DAY;

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
const applicationSlot = (gtin: bigint, applicant: bigint) => mappingSlot("uint64", applicant, mappingSlot("uint64", gtin, APPLICATIONS));
const basketBitsSlot = (batchId: string, word: bigint) => mappingSlot("uint256", word, mappingSlot("bytes32", batchId, BASKET_UNITS));
const basketSlot = (basketId: string) => mappingSlot("bytes32", basketId, BASKETS);
const bulkCountersSlot = (party: bigint) => mappingSlot("uint64", party, BULK_COUNTERS);
const palletSlot = (palletId: string) => mappingSlot("bytes32", palletId, PALLETS);
const basketRestoreSlot = (batchId: string, index: bigint) => mappingSlot("uint256", index, mappingSlot("bytes32", batchId, BASKET_RESTORES));
const mirroredMemberSlot = (account: string) => mappingSlot("address", account, MIRRORED_MEMBERS);
const mirroredPartySlot = (partyId: bigint) => mappingSlot("uint64", partyId, MIRRORED_PARTIES);

function addressIn(value: bigint): string {
  return ethers.getAddress(ethers.toBeHex(value & U160, 20));
}

/** A string stored inline (shorter than 32 bytes): data left-aligned, length × 2 in the low byte. */
function shortString(w: bigint): string {
  expect(w & 1n, "stored inline (short string)").to.equal(0n);
  const length = Number((w & 0xffn) / 2n);
  return ethers.toUtf8String(ethers.getBytes(ethers.toBeHex(w, 32)).slice(0, length));
}

/** A short string as Solidity stores it inline. */
function inlineString(s: string): bigint {
  const bytes = ethers.toUtf8Bytes(s);
  expect(bytes.length < 32, "a short string").to.equal(true);
  return BigInt(ethers.hexlify(ethers.concat([bytes, new Uint8Array(32 - bytes.length)]))) | BigInt(bytes.length * 2);
}

// ---- Product (slot 1 and, for applications, slot 8): one packed slot, then name and approvalNo ----

interface RawProduct {
  holder: bigint;
  nationalCode: bigint;
  registeredAt: bigint;
  state: bigint;
  limits: bigint;
}

/** holder 0–63, nationalCode 64–95, registeredAt 96–143, state 144–151, limits 152–255. */
function productWord(w: bigint): RawProduct {
  return { holder: w & U64, nationalCode: (w >> 64n) & U32, registeredAt: (w >> 96n) & U48, state: (w >> 144n) & U8, limits: w >> 152n };
}

function packProduct(p: RawProduct): bigint {
  return p.holder | (p.nationalCode << 64n) | (p.registeredAt << 96n) | (p.state << 144n) | (p.limits << 152n);
}

// ---- Batch (slot 3): three slots ----

interface RawBatch {
  gtin: bigint;
  expiresAt: bigint;
  status: number;
  quantity: bigint;
  state: bigint;
  flags: bigint;
  observations: bigint;
  dispensed: bigint;
  unitsRoot: string;
  manufacturedAt: bigint;
  unitCount: bigint;
  destroyed: bigint;
  lost: bigint;
  manufacturer: bigint;
  quarantined: bigint;
}

/**
 * The three slots of a Batch. First (read by every ship, receive, verify, dispense and
 * observation): gtin 0–63, expiresAt 64–103, status 104–111, quantity 112–159, state
 * 160–167, flags 168–175, observations 176–207, dispensed 208–255. Second: unitsRoot.
 * Third: manufacturedAt 0–39, unitCount 40–87, destroyed 88–135, lost 136–183,
 * manufacturer 184–207 (24 bits), quarantined 208–255.
 */
async function rawBatch(address: string, batchId: string): Promise<RawBatch> {
  const slot = batchSlot(batchId);
  const w0 = await word(address, slot);
  const w2 = await word(address, slot + 2n);
  return {
    gtin: w0 & U64,
    expiresAt: (w0 >> 64n) & U40,
    status: Number((w0 >> 104n) & U8),
    quantity: (w0 >> 112n) & U48,
    state: (w0 >> 160n) & U8,
    flags: (w0 >> 168n) & U8,
    observations: (w0 >> 176n) & U32,
    dispensed: w0 >> 208n,
    unitsRoot: await ethers.provider.getStorage(address, slot + 1n),
    manufacturedAt: w2 & U40,
    unitCount: (w2 >> 40n) & U48,
    destroyed: (w2 >> 88n) & U48,
    lost: (w2 >> 136n) & U48,
    manufacturer: (w2 >> 184n) & U24,
    quarantined: w2 >> 208n,
  };
}

function packBatch(b: RawBatch): [bigint, bigint, bigint] {
  return [
    b.gtin | (b.expiresAt << 64n) | (BigInt(b.status) << 104n) | (b.quantity << 112n) | (b.state << 160n) | (b.flags << 168n) | (b.observations << 176n) | (b.dispensed << 208n),
    BigInt(b.unitsRoot),
    b.manufacturedAt | (b.unitCount << 40n) | (b.destroyed << 88n) | (b.lost << 136n) | (b.manufacturer << 184n) | (b.quarantined << 208n),
  ];
}

async function viewBatch(br: IBatchRegistry, batchId: string): Promise<RawBatch> {
  const b = await br.getBatch(batchId);
  return {
    gtin: b.gtin,
    expiresAt: b.expiresAt,
    status: Number(b.status),
    quantity: b.quantity,
    state: b.state,
    flags: b.flags,
    observations: b.observations,
    dispensed: b.dispensed,
    unitsRoot: b.unitsRoot,
    manufacturedAt: b.manufacturedAt,
    unitCount: b.unitCount,
    destroyed: b.destroyed,
    lost: b.lost,
    manufacturer: b.manufacturer,
    quarantined: b.quarantined,
  };
}

// ---- Custody (slot 4): one slot ----

interface RawCustody {
  held: bigint;
  inTransit: bigint;
  dispensed: bigint;
  suspended: bigint;
  locked: bigint;
  shipments: bigint;
}

/** held 0–47, inTransit 48–95, dispensed 96–143, suspended 144–191, locked 192–223, shipments 224–255. */
function custodyWord(w: bigint): RawCustody {
  return {
    held: w & U48,
    inTransit: (w >> 48n) & U48,
    dispensed: (w >> 96n) & U48,
    suspended: (w >> 144n) & U48,
    locked: (w >> 192n) & U32,
    shipments: w >> 224n,
  };
}

function packCustody(k: RawCustody): bigint {
  return k.held | (k.inTransit << 48n) | (k.dispensed << 96n) | (k.suspended << 144n) | (k.locked << 192n) | (k.shipments << 224n);
}

function custody(fields: Partial<RawCustody>): RawCustody {
  return { held: 0n, inTransit: 0n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 0n, ...fields };
}

async function viewCustody(br: IBatchRegistry, batchId: string, party: bigint): Promise<RawCustody> {
  const k = await br.custody(batchId, party);
  return { held: k.held, inTransit: k.inTransit, dispensed: k.dispensed, suspended: k.suspended, locked: k.locked, shipments: k.shipments };
}

// ---- Units (slot 6) ----

/** The four 64-bit unit records of a word: status (4 bits), party (24), time (36). */
function lanes(w: bigint): { status: number; party: bigint; at: bigint }[] {
  return [0n, 1n, 2n, 3n].map((lane) => {
    const r = (w >> (lane * 64n)) & U64;
    return { status: Number(r & 0xfn), party: (r >> 4n) & U24, at: r >> 28n };
  });
}

/** One 64-bit unit record: status in bits 0–3, party in 4–27, time in 28–63. */
function unitRecord(status: bigint, party: bigint, at: bigint): bigint {
  return status | (party << 4n) | (at << 28n);
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
  const [regulator, maker, wholesaler, hospital, , pharmacy] = admins;
  const gov = await ethers.getSigner(await c.governor.getAddress());
  await networkHelpers.impersonateAccount(gov.address);
  await networkHelpers.setBalance(gov.address, 10n ** 21n);
  const [qa] = c.others;
  await registry.connect(maker).addMember(MAKER, qa.address, Role.QA);
  await registerProduct(br, maker, regulator, GTIN, NAME, APPROVAL, NATIONAL);
  const tree = UnitTree.sequential(GTIN, 16);
  const now = BigInt(await networkHelpers.time.latest());
  const manufacturedAt = now - 30n * DAY;
  const expiresAt = now + 180n * DAY;
  await br.connect(maker).createBatch({ gtin: GTIN, lot: LOT, manufacturedAt, expiresAt, quantity: 1000n, unitsRoot: tree.root, unitCount: 16n });
  const batchId = batchIdOf(GTIN, LOT);
  await inspect(br, qa, batchId);
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

/** When the far-future consortium is deployed: past 2^32 seconds (year 2106), where 32 bits of time end. */
const FAR_NOW = 2n ** 32n + DAY;

interface FarLayout {
  proxy: string;
  batchRegistry: IBatchRegistry;
  pharmacy: HardhatEthersSigner;
  batchId: string;
  tree: UnitTree;
}

/**
 * At FAR_NOW, a regulator (1), a manufacturer (2) and a pharmacy (3) licensed until
 * 2^40 seconds; a released batch of which the pharmacy holds 10.
 */
async function farLayout(): Promise<FarLayout> {
  await networkHelpers.time.increaseTo(FAR_NOW);
  const licence = (kind: number) => [{ kind, documentHash: DOC, issuer: 1n, expiresAt: 2n ** 40n }];
  const c = await deploySupplyConsortium([
    { name: "Regulator", domain: Domain.Regulator, voter: true },
    { name: "Maker", domain: Domain.Manufacturer, voter: true, licences: licence(LicenceKind.Manufacturing) },
    { name: "Pharmacy", domain: Domain.Pharmacy, voter: true, licences: licence(LicenceKind.Distribution) },
  ]);
  const { batchRegistry: br, registry } = c;
  const [regulator, maker, pharmacy] = c.admins;
  const [qa] = c.others;
  await registry.connect(maker).addMember(2n, qa.address, Role.QA);
  await registerProduct(br, maker, regulator, GTIN, NAME, APPROVAL, 0n);
  const tree = UnitTree.sequential(GTIN, 16);
  await br.connect(maker).createBatch({
    gtin: GTIN,
    lot: LOT,
    manufacturedAt: FAR_NOW - DAY,
    expiresAt: FAR_NOW + 180n * DAY,
    quantity: 100n,
    unitsRoot: tree.root,
    unitCount: 16n,
  });
  const batchId = batchIdOf(GTIN, LOT);
  await inspect(br, qa, batchId);
  await br.connect(qa).releaseBatch(batchId);
  const id = await br.connect(maker).ship.staticCall(batchId, 3n, 10n);
  await br.connect(maker).ship(batchId, 3n, 10n);
  await br.connect(pharmacy).receiveShipment(batchId, id);
  return { proxy: await br.getAddress(), batchRegistry: br, pharmacy, batchId, tree };
}

async function uupsOf(c: SupplyConsortium): Promise<BatchRegistry> {
  return (await ethers.getContractAt("BatchRegistry", await c.batchRegistry.getAddress())) as unknown as BatchRegistry;
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
      for (let slot = 0n; slot < 10n; ++slot) expect(await word(proxy, slot)).to.equal(0n);
    });

    it("uses fifteen slots: nothing past slot 14 (unknown-code reports) holds a value, and the mappings keep their own slots empty", async function () {
      const { proxy, batchRegistry, admins } = await networkHelpers.loadFixture(layoutBatch);
      await batchRegistry.connect(admins[1]).registerProduct(GTIN2, NAME, APPROVAL, 0n);
      const suspects = (await ethers.getContractAt("ISuspectProduct", proxy)) as unknown as ISuspectProduct;
      await suspects.connect(admins[5]).reportUnknownCode(ethers.id("01069012345678922199"), GTIN);
      // Mappings keep their own slot empty; the undo window sits alone in slot 0, the report count in slot 14.
      for (let slot = BASE + 1n; slot < BASE + 18n; ++slot) {
        expect(await word(proxy, slot), `slot ${slot - BASE}`).to.equal(slot === UNKNOWN_CODE_REPORTS ? 1n : 0n);
      }
    });
  });

  describe("slot 0: dispenseUndoWindow", function () {
    it("holds the undo window in the low 4 bytes and nothing else", async function () {
      const { proxy, batchRegistry, gov } = await networkHelpers.loadFixture(layoutBatch);
      expect(await word(proxy, WINDOW)).to.equal(10n * DAY);
      await batchRegistry.connect(gov).setDispenseUndoWindow(MAX_UNDO_WINDOW);
      expect(await word(proxy, WINDOW)).to.equal(MAX_UNDO_WINDOW);
      await batchRegistry.connect(gov).setDispenseUndoWindow(0n);
      expect(await word(proxy, WINDOW)).to.equal(0n);
    });

    it("is what dispenseUndoWindow reads (written raw, read back); registry() reads no storage", async function () {
      const { proxy, batchRegistry, registry } = await networkHelpers.loadFixture(layoutBatch);
      await networkHelpers.setStorageAt(proxy, WINDOW, U32);
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(U32);
      await networkHelpers.setStorageAt(proxy, WINDOW, 12345n);
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(12345n);
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    });

    it("keeps the registry out of storage: an immutable in the implementation's code", async function () {
      const { proxy, registry } = await networkHelpers.loadFixture(layoutBatch);
      const implementation = addressIn(await word(proxy, IMPLEMENTATION_SLOT));
      const code = (await ethers.provider.getCode(implementation)).toLowerCase();
      const registryWord = ethers.zeroPadValue(await registry.getAddress(), 32).slice(2).toLowerCase();
      expect(code.includes(registryWord), "the registry, as a 32-byte word, in the runtime code").to.equal(true);
      expect((await ethers.provider.getCode(proxy)).toLowerCase().includes(registryWord)).to.equal(false);
    });
  });

  describe("slot 1: products, slot 2: national codes", function () {
    it("packs holder (8 bytes), nationalCode (4), registeredAt (6), state (1) and limits (13) in one slot, then name and approvalNo", async function () {
      const { proxy, batchRegistry } = await networkHelpers.loadFixture(layoutBatch);
      const slot = productSlot(GTIN);
      const p = await batchRegistry.getProduct(GTIN);
      expect({
        ...productWord(await word(proxy, slot)),
        name: shortString(await word(proxy, slot + 1n)),
        approvalNo: shortString(await word(proxy, slot + 2n)),
      }).to.deep.equal({
        holder: MAKER,
        nationalCode: NATIONAL,
        registeredAt: p.registeredAt,
        state: p.state,
        limits: p.limits,
        name: NAME,
        approvalNo: APPROVAL,
      });
      expect([p.state, p.limits]).to.deep.equal([0n, 0n]);
      expect(await word(proxy, nationalCodeSlot(NATIONAL))).to.equal(GTIN);
      expect(await word(proxy, productSlot(GTIN + 1n))).to.equal(0n);
    });

    it("is what getProduct and productOfNationalCode read (written raw, read back, every field at its extremes)", async function () {
      const { proxy, batchRegistry } = await networkHelpers.loadFixture(layoutBatch);
      const slot = productSlot(GTIN);
      for (const raw of [
        { holder: U64, nationalCode: U32, registeredAt: U48, state: U8, limits: U104 },
        { holder: 0x0102030405060708n, nationalCode: 0x0a0b0c0dn, registeredAt: 0x111213141516n, state: 0x81n, limits: 0x2122232425262728292a2b2c2dn },
      ]) {
        await networkHelpers.setStorageAt(proxy, slot, packProduct(raw));
        await networkHelpers.setStorageAt(proxy, slot + 1n, inlineString("Raw name"));
        await networkHelpers.setStorageAt(proxy, slot + 2n, inlineString("Raw approval"));
        const p = await batchRegistry.getProduct(GTIN);
        expect({ holder: p.holder, nationalCode: p.nationalCode, registeredAt: p.registeredAt, state: p.state, limits: p.limits, name: p.name, approvalNo: p.approvalNo }).to.deep.equal({
          ...raw,
          name: "Raw name",
          approvalNo: "Raw approval",
        });
      }
      await networkHelpers.setStorageAt(proxy, nationalCodeSlot(1234567n), U64);
      expect(await batchRegistry.productOfNationalCode(1234567n)).to.equal(U64);
    });

    it("moves the national code on a reassignment, freeing the old code's slot", async function () {
      const { proxy, batchRegistry, gov } = await networkHelpers.loadFixture(layoutBatch);
      const before = productWord(await word(proxy, productSlot(GTIN)));
      await batchRegistry.connect(gov).reassignProduct(GTIN, MAKER, 7654321n);
      expect(productWord(await word(proxy, productSlot(GTIN)))).to.deep.equal({ ...before, nationalCode: 7654321n });
      expect(await word(proxy, nationalCodeSlot(NATIONAL))).to.equal(0n);
      expect(await word(proxy, nationalCodeSlot(7654321n))).to.equal(GTIN);
    });
  });

  describe("slot 8: applications", function () {
    it("keeps an application as a Product under [gtin][applicant]: the packed slot, then name and approvalNo", async function () {
      const { proxy, batchRegistry, admins } = await networkHelpers.loadFixture(layoutBatch);
      const tx = await batchRegistry.connect(admins[1]).registerProduct(GTIN2, "Applied", "H-APP", 1234567n);
      const at = BigInt((await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp);
      const slot = applicationSlot(GTIN2, MAKER);
      expect({
        ...productWord(await word(proxy, slot)),
        name: shortString(await word(proxy, slot + 1n)),
        approvalNo: shortString(await word(proxy, slot + 2n)),
      }).to.deep.equal({ holder: MAKER, nationalCode: 1234567n, registeredAt: at, state: 0n, limits: 0n, name: "Applied", approvalNo: "H-APP" });
      // Nothing in the products or national codes.
      expect(await word(proxy, productSlot(GTIN2))).to.equal(0n);
      expect(await word(proxy, nationalCodeSlot(1234567n))).to.equal(0n);
      // Another applicant's application is another slot.
      expect(await word(proxy, applicationSlot(GTIN2, 3n))).to.equal(0n);
      expect(await word(proxy, applicationSlot(GTIN, MAKER))).to.equal(0n);
    });

    it("is what productApplication reads (written raw, read back)", async function () {
      const { proxy, batchRegistry } = await networkHelpers.loadFixture(layoutBatch);
      const raw = { holder: U64, nationalCode: U32, registeredAt: U48, state: U8, limits: U104 };
      const slot = applicationSlot(GTIN2, 77n);
      await networkHelpers.setStorageAt(proxy, slot, packProduct(raw));
      await networkHelpers.setStorageAt(proxy, slot + 1n, inlineString("N"));
      await networkHelpers.setStorageAt(proxy, slot + 2n, inlineString("A"));
      const p = await batchRegistry.productApplication(GTIN2, 77n);
      expect({ holder: p.holder, nationalCode: p.nationalCode, registeredAt: p.registeredAt, state: p.state, limits: p.limits, name: p.name, approvalNo: p.approvalNo }).to.deep.equal({
        ...raw,
        name: "N",
        approvalNo: "A",
      });
    });

    it("is cleared by the approval, long strings included, and the product written to slot 1", async function () {
      const { proxy, batchRegistry, admins } = await networkHelpers.loadFixture(layoutBatch);
      const longName = "A name longer than thirty-two bytes, stored out of line";
      await batchRegistry.connect(admins[1]).registerProduct(GTIN2, longName, "H-LONG", 0n);
      const slot = applicationSlot(GTIN2, MAKER);
      const data = BigInt(ethers.keccak256(ethers.toBeHex(slot + 1n, 32)));
      expect(await word(proxy, slot + 1n)).to.equal(BigInt(ethers.toUtf8Bytes(longName).length * 2 + 1));
      expect(await word(proxy, data)).to.not.equal(0n);
      await batchRegistry
        .connect(admins[0])
        .approveProduct(GTIN2, MAKER, productApplicationHash({ nationalCode: 0n, name: longName, approvalNo: "H-LONG" }));
      for (const s of [slot, slot + 1n, slot + 2n, data, data + 1n]) expect(await word(proxy, s), `slot ${s}`).to.equal(0n);
      expect(productWord(await word(proxy, productSlot(GTIN2))).holder).to.equal(MAKER);
      expect((await batchRegistry.getProduct(GTIN2)).name).to.equal(longName);
    });
  });

  describe("slot 3: batches", function () {
    it("packs gtin, expiresAt, status, quantity, state, flags, observations and dispensed in the first slot; the root in the second; the rest in the third", async function () {
      const { proxy, batchRegistry, batchId, tree, manufacturedAt, expiresAt } = await networkHelpers.loadFixture(layoutBatch);
      const expected: RawBatch = {
        gtin: GTIN,
        expiresAt,
        status: BatchStatus.Released,
        quantity: 1000n,
        state: 0n,
        flags: 1n, // inspected: the release needed it
        observations: 1n,
        dispensed: 0n,
        unitsRoot: tree.root,
        manufacturedAt,
        unitCount: 16n,
        destroyed: 0n,
        lost: 0n,
        manufacturer: MAKER,
        quarantined: 0n,
      };
      expect(await rawBatch(proxy, batchId)).to.deep.equal(expected);
      expect(await viewBatch(batchRegistry, batchId)).to.deep.equal(expected);
      expect(packBatch(expected)).to.deep.equal([
        await word(proxy, batchSlot(batchId)),
        await word(proxy, batchSlot(batchId) + 1n),
        await word(proxy, batchSlot(batchId) + 2n),
      ]);
      expect(await word(proxy, batchSlot(batchId) + 3n)).to.equal(0n);
    });

    it("counts dispenses in the first slot (dispensed) and destructions and thefts in the third", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      const before = await rawBatch(proxy, batchId);
      await batchRegistry.connect(admins[5]).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(admins[3]).dispense(tree.unit(batchId, 1n));
      await batchRegistry.connect(admins[2]).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed);
      await batchRegistry.connect(admins[1]).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen);
      await batchRegistry.connect(admins[1]).decommission(tree.unit(batchId, 4n), UnitStatus.Stolen);
      await batchRegistry.connect(admins[1]).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      expect(await rawBatch(proxy, batchId)).to.deep.equal({ ...before, dispensed: 2n, destroyed: 1n, lost: 2n });
      expect(await viewBatch(batchRegistry, batchId)).to.deep.equal(await rawBatch(proxy, batchId));
      await batchRegistry.connect(admins[0]).restoreUnit(tree.unit(batchId, 1n));
      await batchRegistry.connect(admins[0]).restoreUnit(tree.unit(batchId, 3n));
      expect(await rawBatch(proxy, batchId)).to.deep.equal({ ...before, dispensed: 1n, destroyed: 1n, lost: 1n });
    });

    it("keeps the collaborative state byte and the quarantine where the engines write them", async function () {
      const c = await networkHelpers.loadFixture(layoutBatch);
      const { proxy, batchRegistry, collaboration, admins, batchId } = c;
      const before = await rawBatch(proxy, batchId);
      await collaboration.connect(admins[0]).transition(batchId, 1, "stop");
      expect(await rawBatch(proxy, batchId)).to.deep.equal({ ...before, state: 0x81n });
      await collaboration.connect(admins[0]).openRecall(batchId, 1, "recall");
      await collaboration.connect(admins[2]).returnStock(batchId, 30n);
      expect(await rawBatch(proxy, batchId)).to.deep.equal({ ...before, state: 0x82n, quarantined: 30n });
      expect(await viewBatch(batchRegistry, batchId)).to.deep.equal(await rawBatch(proxy, batchId));
      await expectConserved(c, batchId);
    });

    it("keeps every field within its bits at the extremes (uint64 GTIN, uint40 dates, uint48 quantity)", async function () {
      const { proxy, batchRegistry, admins } = await networkHelpers.loadFixture(layoutBatch);
      const gtin = 99999999999997n;
      await registerProduct(batchRegistry, admins[1], admins[0], gtin, "Max", "H-MAX", 0n);
      const now = BigInt(await networkHelpers.time.latest());
      const root = ethers.MaxUint256 >> 1n;
      await batchRegistry.connect(admins[1]).createBatch({ gtin, lot: "MAX", manufacturedAt: now, expiresAt: U40, quantity: U48, unitsRoot: ethers.toBeHex(root, 32), unitCount: U48 });
      const id = batchIdOf(gtin, "MAX");
      const expected: RawBatch = {
        gtin,
        expiresAt: U40,
        status: BatchStatus.Production,
        quantity: U48,
        state: 0n,
        flags: 0n,
        observations: 0n,
        dispensed: 0n,
        unitsRoot: ethers.toBeHex(root, 32),
        manufacturedAt: now,
        unitCount: U48,
        destroyed: 0n,
        lost: 0n,
        manufacturer: MAKER,
        quarantined: 0n,
      };
      expect(await rawBatch(proxy, id)).to.deep.equal(expected);
      expect(await viewBatch(batchRegistry, id)).to.deep.equal(expected);
      expect(custodyWord(await word(proxy, holdingSlot(id, MAKER)))).to.deep.equal(custody({ held: U48 }));
    });

    it("is what getBatch reads (all three slots written raw, every field at its extremes, read back)", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const slot = batchSlot(batchId);
      const patterns: RawBatch[] = [
        {
          gtin: U64,
          expiresAt: U40,
          status: 2,
          quantity: U48,
          state: U8,
          flags: U8,
          observations: U32,
          dispensed: U48,
          unitsRoot: ethers.toBeHex(ethers.MaxUint256, 32),
          manufacturedAt: U40,
          unitCount: U48,
          destroyed: U48,
          lost: U48,
          manufacturer: U24,
          quarantined: U48,
        },
        {
          gtin: 0x1111111111111111n,
          expiresAt: 0x2222222222n,
          status: 1,
          quantity: 0x333333333333n,
          state: 0x44n,
          flags: 0x55n,
          observations: 0x66666666n,
          dispensed: 0x777777777777n,
          unitsRoot: ethers.id("root"),
          manufacturedAt: 0x8888888888n,
          unitCount: 0x999999999999n,
          destroyed: 0xaaaaaaaaaaaan,
          lost: 0xbbbbbbbbbbbbn,
          manufacturer: 0xccccccn,
          quarantined: 0xddddddddddddn,
        },
      ];
      for (const raw of patterns) {
        const [w0, w1, w2] = packBatch(raw);
        await networkHelpers.setStorageAt(proxy, slot, w0);
        await networkHelpers.setStorageAt(proxy, slot + 1n, w1);
        await networkHelpers.setStorageAt(proxy, slot + 2n, w2);
        expect(await viewBatch(batchRegistry, batchId)).to.deep.equal(raw);
        expect(await rawBatch(proxy, batchId)).to.deep.equal(raw);
      }
    });
  });

  describe("slot 4: custody, slot 5: shipments", function () {
    it("packs held, inTransit, dispensed, suspended (6 bytes each), locked and shipments (4 bytes each) in one slot", async function () {
      const c = await networkHelpers.loadFixture(layoutBatch);
      const { proxy, batchRegistry, admins, batchId, tree } = c;
      expect(custodyWord(await word(proxy, holdingSlot(batchId, MAKER)))).to.deep.equal(custody({ held: 630n, shipments: 3n }));
      for (const [party, held] of [
        [WHOLESALER, 300n],
        [PHARMACY, 50n],
        [HOSPITAL, 20n],
      ] as const) {
        expect(await word(proxy, holdingSlot(batchId, party))).to.equal(held);
      }
      const pharmacy = admins[5];
      for (const i of [0n, 1n, 2n]) await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, i));
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 1n));
      await batchRegistry.connect(pharmacy).ship(batchId, WHOLESALER, 4n);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 6n), UnitStatus.Locked);
      const suspects = (await ethers.getContractAt("ISuspectProduct", c.proxy)) as unknown as ISuspectProduct;
      await suspects.connect(pharmacy).reportSuspect(batchId, 7n, 3n, ethers.ZeroHash, "damaged");
      const expected = custody({ held: 41n, inTransit: 4n, dispensed: 2n, suspended: 3n, locked: 2n, shipments: 1n });
      expect(custodyWord(await word(proxy, holdingSlot(batchId, PHARMACY)))).to.deep.equal(expected);
      expect(await word(proxy, holdingSlot(batchId, PHARMACY))).to.equal(packCustody(expected));
      expect(await viewCustody(batchRegistry, batchId, PHARMACY)).to.deep.equal(expected);
      expect([await batchRegistry.holding(batchId, PHARMACY), await batchRegistry.dispensedBy(batchId, PHARMACY)]).to.deep.equal([41n, 2n]);
      await expectConserved(c, batchId);
    });

    it("is what custody, holding and dispensedBy read (written raw, every field at its extremes, read back)", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      for (const raw of [
        { held: U48, inTransit: U48, dispensed: U48, suspended: U48, locked: U32, shipments: U32 },
        { held: 0x111111111111n, inTransit: 0x222222222222n, dispensed: 0x333333333333n, suspended: 0x444444444444n, locked: 0x55555555n, shipments: 0x66666666n },
        custody({ held: 7n, shipments: 1n }),
      ]) {
        await networkHelpers.setStorageAt(proxy, holdingSlot(batchId, PHARMACY), packCustody(raw));
        expect(await viewCustody(batchRegistry, batchId, PHARMACY)).to.deep.equal(raw);
        expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(raw.held);
        expect(await batchRegistry.dispensedBy(batchId, PHARMACY)).to.equal(raw.dispensed);
      }
    });

    it("packs from, to, quantity, seq, shippedAt and status of a shipment in one slot; the sender counts it in transit", async function () {
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
      expect(custodyWord(await word(proxy, holdingSlot(batchId, WHOLESALER)))).to.deep.equal(custody({ held: 293n, inTransit: 7n, shipments: 1n }));
      await batchRegistry.connect(admins[5]).rejectShipment(batchId, open);
      expect(custodyWord(await word(proxy, holdingSlot(batchId, WHOLESALER)))).to.deep.equal(custody({ held: 300n, shipments: 1n }));
    });
  });

  describe("slot 6: units, slot 7: suspect reports", function () {
    it("stores unit i in bits 64·(i mod 4) of word i / 4: status (4 bits), party (24), time (36)", async function () {
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
      const w = await word(proxy, unitWordSlot(batchId, 1n));
      expect(lanes(w)).to.deep.equal([
        { status: UnitStatus.Destroyed, party: WHOLESALER, at: base + 1n },
        { status: UnitStatus.Stolen, party: MAKER, at: base + 3n },
        { status: UnitStatus.Dispensed, party: PHARMACY, at: base },
        { status: UnitStatus.Locked, party: HOSPITAL, at: base + 2n },
      ]);
      expect(w).to.equal(
        unitRecord(BigInt(UnitStatus.Destroyed), WHOLESALER, base + 1n) |
          (unitRecord(BigInt(UnitStatus.Stolen), MAKER, base + 3n) << 64n) |
          (unitRecord(BigInt(UnitStatus.Dispensed), PHARMACY, base) << 128n) |
          (unitRecord(BigInt(UnitStatus.Locked), HOSPITAL, base + 2n) << 192n),
      );
    });

    it("is what unitRecord reads (a word written raw, read back lane by lane)", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const w =
        unitRecord(1n, U24, U36) |
        (unitRecord(4n, 1n, 2n) << 64n) |
        (unitRecord(2n, 0xabcdefn, 0x923456789n) << 128n) |
        (unitRecord(3n, 0n, 1n) << 192n);
      await networkHelpers.setStorageAt(proxy, unitWordSlot(batchId, 9n), w);
      const read = async (i: bigint) => {
        const [status, party, at] = await batchRegistry.unitRecord(batchId, i);
        return { status: Number(status), party, at };
      };
      expect(await Promise.all([36n, 37n, 38n, 39n].map(read))).to.deep.equal([
        { status: 1, party: U24, at: U36 },
        { status: 4, party: 1n, at: 2n },
        { status: 2, party: 0xabcdefn, at: 0x923456789n },
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

    describe("past 2^32 seconds (the year 2106)", function () {
      // farLayout moves the clock past 2^32 seconds: fixtures first loaded after these
      // tests must not start there, so the clock is put back afterwards.
      restoreClockAfter();

      it("stores the whole time in bits 28–63 of the record, and an undo reads it back", async function () {
        const { proxy, batchRegistry, pharmacy, batchId, tree } = await networkHelpers.loadFixture(farLayout);
        const t = FAR_NOW + 1000n;
        expect(t >> 32n, "a time 32 bits cannot hold").to.equal(1n);
        await networkHelpers.time.setNextBlockTimestamp(t);
        await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 5n));
        const w = await word(proxy, unitWordSlot(batchId, 1n));
        expect(w).to.equal(unitRecord(BigInt(UnitStatus.Dispensed), 3n, t) << 64n);
        expect(lanes(w)[1]).to.deep.equal({ status: UnitStatus.Dispensed, party: 3n, at: t });
        const [status, party, at] = await batchRegistry.unitRecord(batchId, 5n);
        expect([Number(status), party, at]).to.deep.equal([UnitStatus.Dispensed, 3n, t]);
        // The undo window is measured from the full time: the deadline is t + 10 days.
        await networkHelpers.time.setNextBlockTimestamp(t + 10n * DAY);
        await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 5n));
        expect(await word(proxy, unitWordSlot(batchId, 1n))).to.equal(unitRecord(BigInt(UnitStatus.Active), 3n, t + 10n * DAY) << 64n);
        expect(custodyWord(await word(proxy, holdingSlot(batchId, 3n)))).to.deep.equal(custody({ held: 10n }));
      });
    });
  });

  describe("slots 9 to 13: baskets and pallets", function () {
    it("slot 9 marks a basket-dispensed unit i by bit i mod 256 of word i / 256, and leaves its unit record at zero", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      await batchRegistry.connect(admins[5]).dispenseBasket([tree.group(batchId, [1n, 4n, 15n])]);
      expect(await word(proxy, basketBitsSlot(batchId, 0n))).to.equal((1n << 1n) | (1n << 4n) | (1n << 15n));
      expect(await word(proxy, basketBitsSlot(batchId, 1n))).to.equal(0n);
      for (const w of [0n, 1n, 3n]) expect(await word(proxy, unitWordSlot(batchId, w)), `unit word ${w}`).to.equal(0n);
      // A bit written raw reads as Dispensed by party 0 at time 0.
      await networkHelpers.setStorageAt(proxy, basketBitsSlot(batchId, 3n), 1n << 255n);
      expect([...(await batchRegistry.unitRecord(batchId, 3n * 256n + 255n))]).to.deep.equal([BigInt(UnitStatus.Dispensed), 0n, 0n]);
      expect([...(await batchRegistry.unitRecord(batchId, 3n * 256n + 254n))]).to.deep.equal([0n, 0n, 0n]);
    });

    it("slot 10 keeps an open basket as its commitment's first 216 bits above its time (40 bits); slot 11 the party's counters", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      const group = tree.group(batchId, [2n, 3n]);
      await batchRegistry.connect(admins[5]).dispenseBasket([group]);
      const tx = await batchRegistry.connect(admins[5]).dispenseBasket([tree.group(batchId, [5n])]);
      const at = BigInt((await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp);
      const commitment = BigInt(basketCommitment([{ batchId, index: 5n, prescription: ethers.ZeroHash }]));
      expect(await word(proxy, basketSlot(basketIdOf(PHARMACY, 1n)))).to.equal((commitment & ~U40) | at);
      expect(await batchRegistry.basketRecord(PHARMACY, 1n)).to.deep.equal([at, ethers.toBeHex(commitment & ~U40, 32)]);
      // baskets presented (bits 0-31), oldest open (32-63), pallets (64-95).
      expect(await word(proxy, bulkCountersSlot(PHARMACY))).to.equal(2n);
      await networkHelpers.setStorageAt(proxy, bulkCountersSlot(PHARMACY), 7n | (5n << 32n) | (9n << 64n));
      expect([...(await batchRegistry.bulkCounters(PHARMACY))]).to.deep.equal([7n, 5n, 9n]);
    });

    it("slot 13 keeps the time the regulator last restored a basket unit, by batch and index", async function () {
      const { proxy, batchRegistry, admins, batchId, tree } = await networkHelpers.loadFixture(layoutBatch);
      await batchRegistry.connect(admins[5]).dispenseBasket([tree.group(batchId, [9n])]);
      const tx = await batchRegistry.connect(admins[0]).restoreBasketUnit(tree.unit(batchId, 9n), PHARMACY);
      const at = BigInt((await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp);
      expect(await word(proxy, basketRestoreSlot(batchId, 9n))).to.equal(at);
      expect(await word(proxy, basketRestoreSlot(batchId, 8n))).to.equal(0n);
    });

    it("slot 12 keeps a pallet in two slots: from, to, seq, lineCount, shippedAt, status packed, then the lines' hash", async function () {
      const { proxy, batchRegistry, admins, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const lines = [{ batchId, quantity: 7n }, { batchId, quantity: 3n }];
      const tx = await batchRegistry.connect(admins[1]).shipPallet(PHARMACY, lines);
      const at = BigInt((await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp);
      const slot = palletSlot(palletIdOf(MAKER, 0n));
      expect(await word(proxy, slot)).to.equal(
        MAKER | (PHARMACY << 48n) | (0n << 96n) | (2n << 128n) | (at << 144n) | (BigInt(ShipmentStatus.InTransit) << 184n),
      );
      expect(ethers.toBeHex(await word(proxy, slot + 1n), 32)).to.equal(
        ethers.keccak256(coder.encode(["tuple(bytes32 batchId, uint48 quantity)[]"], [lines])),
      );
      expect(await word(proxy, bulkCountersSlot(MAKER))).to.equal(1n << 64n);
    });
  });

  describe("slot 14: unknown-code reports", function () {
    it("holds the chain's unknown-code report count as a whole word, which the next report's number follows", async function () {
      const { proxy, admins } = await networkHelpers.loadFixture(layoutBatch);
      const suspects = (await ethers.getContractAt("ISuspectProduct", proxy)) as unknown as ISuspectProduct;
      const pharmacy = admins[5];
      await suspects.connect(pharmacy).reportUnknownCodes([
        { codeHash: ethers.id("fake 1"), gtin: GTIN },
        { codeHash: ethers.id("fake 2"), gtin: 0n },
      ]);
      expect(await word(proxy, UNKNOWN_CODE_REPORTS)).to.equal(2n);
      expect(await suspects.unknownCodeReportCount()).to.equal(2n);
      // Written raw, read back; the next report is numbered after it.
      const raw = 2n ** 255n + 7n;
      await networkHelpers.setStorageAt(proxy, UNKNOWN_CODE_REPORTS, raw);
      expect(await suspects.unknownCodeReportCount()).to.equal(raw);
      await expect(suspects.connect(pharmacy).reportUnknownCode(ethers.id("fake 3"), GTIN))
        .to.emit(suspects, "UnknownCodeReported")
        .withArgs(ethers.id("fake 3"), GTIN, PHARMACY, MAKER, raw + 1n, pharmacy.address);
      expect(await word(proxy, UNKNOWN_CODE_REPORTS)).to.equal(raw + 1n);
    });
  });

  describe("MembershipMirror namespace", function () {
    it("is the ERC-7201 slot of medstate.storage.MembershipMirror, apart from the BatchRegistry's", function () {
      expect(MIRROR_BASE).to.equal(PINNED_MIRROR_SLOT);
      expect(MIRROR_BASE & 0xffn).to.equal(0n);
      expect(MIRROR_BASE).to.not.equal(BASE);
    });

    it("packs a mirrored member in one slot: partyId (8 bytes), role (1), status (1)", async function () {
      const { proxy, batchRegistry, admins, others } = await networkHelpers.loadFixture(layoutBatch);
      const w = await word(proxy, mirroredMemberSlot(admins[1].address));
      expect({ partyId: w & U64, role: Number((w >> 64n) & 0xffn), status: Number((w >> 72n) & 0xffn), unused: w >> 80n }).to.deep.equal({
        partyId: MAKER,
        role: Role.Admin,
        status: MemberStatus.Active,
        unused: 0n,
      });
      // The QA member the fixture added after the deployment.
      expect(await word(proxy, mirroredMemberSlot(others[0].address))).to.equal(MAKER | (BigInt(Role.QA) << 64n) | (BigInt(MemberStatus.Active) << 72n));
      expect(await word(proxy, mirroredMemberSlot(others[1].address))).to.equal(0n);
      const m = await batchRegistry.mirroredMember(admins[1].address);
      expect([m.partyId, Number(m.role), Number(m.status)]).to.deep.equal([MAKER, Role.Admin, MemberStatus.Active]);
    });

    it("packs a mirrored party in one slot: domain, status, revokedLicences (1 byte each), licencesValidUntil (6)", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutBatch);
      const w = await word(proxy, mirroredPartySlot(MAKER));
      expect({
        domain: Number(w & 0xffn),
        status: Number((w >> 8n) & 0xffn),
        revokedLicences: (w >> 16n) & 0xffn,
        licencesValidUntil: (w >> 24n) & U48,
        unused: w >> 72n,
      }).to.deep.equal({ domain: Domain.Manufacturer, status: PartyStatus.Active, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY, unused: 0n });
      expect(await word(proxy, mirroredPartySlot(1n))).to.equal(BigInt(Domain.Regulator) | (BigInt(PartyStatus.Active) << 8n) | (U48 << 24n));
      expect(await word(proxy, mirroredPartySlot(99n))).to.equal(0n);
    });

    it("is what mirroredMember and mirroredParty read (written raw, read back)", async function () {
      const { proxy, batchRegistry, others } = await networkHelpers.loadFixture(layoutBatch);
      const account = others[5].address;
      await networkHelpers.setStorageAt(proxy, mirroredMemberSlot(account), U64 | (4n << 64n) | (3n << 72n));
      const m = await batchRegistry.mirroredMember(account);
      expect([m.partyId, Number(m.role), Number(m.status)]).to.deep.equal([U64, 4, 3]);
      await networkHelpers.setStorageAt(proxy, mirroredPartySlot(77n), 9n | (2n << 8n) | (0xffn << 16n) | (0x123456789abcn << 24n));
      const g = await batchRegistry.mirroredParty(77n);
      expect([Number(g.domain), Number(g.status), g.revokedLicences, g.licencesValidUntil]).to.deep.equal([9, 2, 0xffn, 0x123456789abcn]);
    });
  });

  describe("ERC-1967 and Initializable", function () {
    it("follows an upgrade by the governor, leaving both namespaces untouched", async function () {
      const c = await networkHelpers.loadFixture(layoutBatch);
      const { proxy, batchRegistry, registry, gov, admins, batchId, tree } = c;
      await batchRegistry.connect(admins[2]).decommission(tree.unit(batchId, 1n), UnitStatus.Locked);
      await batchRegistry.connect(admins[2]).ship(batchId, PHARMACY, 5n);
      await batchRegistry.connect(admins[1]).registerProduct(GTIN2, "Applied", "H-APP", 0n);
      const slots = [
        WINDOW,
        productSlot(GTIN),
        productSlot(GTIN) + 1n,
        productSlot(GTIN) + 2n,
        nationalCodeSlot(NATIONAL),
        batchSlot(batchId),
        batchSlot(batchId) + 1n,
        batchSlot(batchId) + 2n,
        holdingSlot(batchId, MAKER),
        holdingSlot(batchId, WHOLESALER),
        shipmentSlot(shipmentIdOf(batchId, WHOLESALER, 0n)),
        unitWordSlot(batchId, 0n),
        applicationSlot(GTIN2, MAKER),
        mirroredMemberSlot(admins[1].address),
        mirroredPartySlot(MAKER),
      ];
      const before = await Promise.all(slots.map((s) => word(proxy, s)));
      expect(before.filter((w) => w === 0n)).to.deep.equal([]);
      const next = await deployBatchRegistryImplementation(await registry.getAddress());
      await (await uupsOf(c)).connect(gov).upgradeToAndCall(await next.getAddress(), "0x");
      expect(addressIn(await word(proxy, IMPLEMENTATION_SLOT))).to.equal(await next.getAddress());
      expect(await Promise.all(slots.map((s) => word(proxy, s)))).to.deep.equal(before);
    });

    it("records version 1 in the proxy and disables the implementation", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutBatch);
      expect(await word(proxy, INITIALIZABLE_SLOT)).to.equal(1n);
      const implementation = addressIn(await word(proxy, IMPLEMENTATION_SLOT));
      expect(await word(implementation, INITIALIZABLE_SLOT)).to.equal(U64);
      expect(await word(implementation, WINDOW)).to.equal(0n);
    });

    it("keeps no ledger in the implementation or the product registry at their own addresses", async function () {
      const { proxy, batchRegistry, batchId } = await networkHelpers.loadFixture(layoutBatch);
      const implementation = addressIn(await word(proxy, IMPLEMENTATION_SLOT));
      const [products] = await batchRegistry.modules();
      for (const address of [implementation, products]) {
        for (const slot of [WINDOW, productSlot(GTIN), batchSlot(batchId), holdingSlot(batchId, MAKER), nationalCodeSlot(NATIONAL)]) {
          expect(await word(address, slot), `${address} slot ${slot}`).to.equal(0n);
        }
      }
    });
  });
});
