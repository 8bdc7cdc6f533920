import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role } from "../../sdk/enums.js";
import type { BatchRegistry, IBatchRegistry } from "../../types/ethers-contracts/index.js";
import {
  type CallerCase,
  itRejectsCallers as itRejects,
  nonMemberCases,
  standingCases as sharedStandingCases,
  wrongDomain,
  wrongRole,
} from "../helpers/callers.js";
import {
  DOC,
  HOSPITAL,
  LABORATORY,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  NOTARY,
  PHARMACY,
  REGULATOR,
  UNKNOWN,
  WHOLESALER,
  ethers,
  networkHelpers,
  restoreClockAfter,
} from "../helpers/fixtures.js";
import {
  BatchStatus,
  ShipmentStatus,
  type SupplyConsortium,
  UnitStatus,
  UnitTree,
  UnitVerdict,
  NO_HUMIDITY,
  NO_TEMPERATURE,
  batchIdOf,
  deployBatchRegistryImplementation,
  deploySupplyConsortium,
  eventsOf,
  expectConserved,
  expectEvents,
  gtinIsValid,
  inspect,
  leafOf,
  ledgerOf,
  shipmentIdOf,
  standardSupplyConsortium,
  unitHash,
} from "../helpers/supply.js";

// ==== CONSTANTS ====

type Signer = HardhatEthersSigner;
type BatchInput = IBatchRegistry.BatchInputStruct;
type UnitProof = IBatchRegistry.UnitProofStruct;

const { loadFixture, time } = networkHelpers;

/** A second manufacturer, admitted by the fixture after the standard consortium. */
const MAKER2 = 9n;

/** The licence each party holds (issued by party 1, expiring at LICENCE_EXPIRY). */
const LICENCE_OF: Record<string, number> = {
  [MAKER.toString()]: LicenceKind.Manufacturing,
  [WHOLESALER.toString()]: LicenceKind.Distribution,
  [HOSPITAL.toString()]: LicenceKind.MedicalInstitution,
  [LOGISTICS.toString()]: LicenceKind.GoodSupplyPractice,
  [PHARMACY.toString()]: LicenceKind.Distribution,
  [MAKER2.toString()]: LicenceKind.Manufacturing,
};

const GTIN = 6901234567892n;
const GTIN2 = 4006381333931n;
const NAME = "Amoxicillin Capsules 0.25 g × 24";
const APPROVAL = "国药准字H20230001";
const NATIONAL = 8612345n;
const LOT = "LOT-2026-001";
const QUANTITY = 100n;
const UNITS = 16;
const DAY = 24n * 3600n;
const UNDO_WINDOW = 10n * DAY;
/** The longest undo window setDispenseUndoWindow accepts: 30 days. */
const MAX_UNDO_WINDOW = 30n * DAY;
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const U32 = 2n ** 32n - 1n;
const U48 = 2n ** 48n - 1n;
const U64 = 2n ** 64n - 1n;

// ==== FIXTURES ====

interface Ctx extends SupplyConsortium {
  /** The governor proxy, impersonated and funded. */
  gov: Signer;
  regulator: Signer;
  maker: Signer;
  wholesaler: Signer;
  hospital: Signer;
  logistics: Signer;
  pharmacy: Signer;
  laboratory: Signer;
  notary: Signer;
  /** Primary admin of party 9, a second manufacturer. */
  maker2: Signer;
  makerOperator: Signer;
  makerQa: Signer;
  makerDevice: Signer;
  maker2Qa: Signer;
  wholesalerQa: Signer;
  pharmacyOperator: Signer;
  pharmacyQa: Signer;
  pharmacyDevice: Signer;
  /** A signer that never becomes a member. */
  stranger: Signer;
}

interface BatchCtx extends Ctx {
  batchId: string;
  tree: UnitTree;
  input: BatchInput;
  manufacturedAt: bigint;
  expiresAt: bigint;
}

interface ShipmentCtx extends BatchCtx {
  /** Maker → wholesaler, 30, in transit. */
  shipmentId: string;
}

interface DispensedCtx extends BatchCtx {
  /** Unit 3, dispensed by the pharmacy's admin at `dispensedAt`. */
  dispensedAt: bigint;
}

async function impersonate(address: string): Promise<Signer> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

async function timestampOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error("no block");
  return BigInt(block.timestamp);
}

/** The standard consortium with its BatchRegistry, a second manufacturer (party 9) and extra members. */
async function supplyParties(): Promise<Ctx> {
  const base = await standardSupplyConsortium();
  const { registry, governor, admins, others } = base;
  const gov = await impersonate(await governor.getAddress());
  const [maker2, makerOperator, makerQa, makerDevice, wholesalerQa, pharmacyOperator, pharmacyQa, pharmacyDevice, maker2Qa, stranger] =
    others;
  await registry.connect(gov).admitParty({
    name: "Maker Two",
    domain: Domain.Manufacturer,
    admin: maker2.address,
    voter: false,
    licences: [{ kind: LicenceKind.Manufacturing, documentHash: DOC, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY }],
  });
  await registry.connect(admins[1]).addMember(MAKER, makerOperator.address, Role.Operator);
  await registry.connect(admins[1]).addMember(MAKER, makerQa.address, Role.QA);
  await registry.connect(admins[1]).addMember(MAKER, makerDevice.address, Role.Device);
  await registry.connect(admins[2]).addMember(WHOLESALER, wholesalerQa.address, Role.QA);
  await registry.connect(admins[5]).addMember(PHARMACY, pharmacyOperator.address, Role.Operator);
  await registry.connect(admins[5]).addMember(PHARMACY, pharmacyQa.address, Role.QA);
  await registry.connect(admins[5]).addMember(PHARMACY, pharmacyDevice.address, Role.Device);
  await registry.connect(maker2).addMember(MAKER2, maker2Qa.address, Role.QA);
  return {
    ...base,
    gov,
    regulator: admins[0],
    maker: admins[1],
    wholesaler: admins[2],
    hospital: admins[3],
    logistics: admins[4],
    pharmacy: admins[5],
    laboratory: admins[6],
    notary: admins[7],
    maker2,
    makerOperator,
    makerQa,
    makerDevice,
    maker2Qa,
    wholesalerQa,
    pharmacyOperator,
    pharmacyQa,
    pharmacyDevice,
    stranger,
  };
}

/** + product GTIN registered by the maker, national code NATIONAL. */
async function registeredProduct(): Promise<Ctx> {
  const c = await supplyParties();
  await c.batchRegistry.connect(c.maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
  return c;
}

async function batchInput(overrides: Partial<BatchInput> = {}, tree = UnitTree.sequential(GTIN, UNITS)): Promise<BatchInput> {
  const now = BigInt(await time.latest());
  return {
    gtin: GTIN,
    lot: LOT,
    manufacturedAt: now - 30n * DAY,
    expiresAt: now + 180n * DAY,
    quantity: QUANTITY,
    unitsRoot: tree.root,
    unitCount: tree.count,
    ...overrides,
  };
}

/** + batch LOT of GTIN (100 boxes, 16 serialised units), in production, held by the maker. */
async function productionBatch(): Promise<BatchCtx> {
  const c = await registeredProduct();
  const tree = UnitTree.sequential(GTIN, UNITS);
  const input = await batchInput({}, tree);
  await c.batchRegistry.connect(c.maker).createBatch(input);
  return {
    ...c,
    batchId: batchIdOf(GTIN, LOT),
    tree,
    input,
    manufacturedAt: BigInt(input.manufacturedAt),
    expiresAt: BigInt(input.expiresAt),
  };
}

/** + released by the maker's QA. */
async function releasedBatch(): Promise<BatchCtx> {
  const c = await productionBatch();
  await inspect(c.batchRegistry, c.makerQa, c.batchId);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(c.batchId);
  return c;
}

/** + maker ships 30 to the wholesaler, in transit. */
async function openShipment(): Promise<ShipmentCtx> {
  const c = await releasedBatch();
  await c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, 30n);
  return { ...c, shipmentId: shipmentIdOf(c.batchId, MAKER, 0n) };
}

/** Released; maker → wholesaler 60 received, wholesaler → pharmacy 20 received: maker 40, wholesaler 40, pharmacy 20. */
async function distributedBatch(): Promise<BatchCtx> {
  const c = await releasedBatch();
  await move(c, c.maker, WHOLESALER, c.wholesaler, 60n);
  await move(c, c.wholesaler, PHARMACY, c.pharmacy, 20n);
  return c;
}

/** + the pharmacy dispensed unit 3. */
async function dispensedUnit(): Promise<DispensedCtx> {
  const c = await distributedBatch();
  const tx = await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 3n));
  return { ...c, dispensedAt: await timestampOf(tx) };
}

/** + the wholesaler locked unit 5. */
async function lockedUnit(): Promise<BatchCtx> {
  const c = await distributedBatch();
  await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 5n), UnitStatus.Locked);
  return c;
}

/** + the hospital received 10 from the wholesaler (wholesaler 30, hospital 10). */
async function hospitalStocked(): Promise<BatchCtx> {
  const c = await distributedBatch();
  await move(c, c.wholesaler, HOSPITAL, c.hospital, 10n);
  return c;
}

interface StubCtx {
  batchRegistry: BatchRegistry;
  stub: string;
  maker: Signer;
  wideMaker: Signer;
  pharmacy: Signer;
  widePharmacy: Signer;
  batchId: string;
  wideBatchId: string;
  tree: UnitTree;
}

/**
 * A BatchRegistry over ConsortiumRegistryStub (contracts/mocks), which hands out party ids
 * the real registry never reaches: maker 2, a manufacturer 2^48, pharmacies 2^24 − 1 and
 * 2^24. Each manufacturer has a released batch; each pharmacy holds 5 of the maker's.
 */
async function stubbedRegistry(): Promise<StubCtx> {
  const [, maker, wideMaker, pharmacy, widePharmacy] = await ethers.getSigners();
  const stub = await ethers.deployContract("ConsortiumRegistryStub");
  await stub.seat(maker.address, 2n, Domain.Manufacturer);
  await stub.seat(wideMaker.address, 2n ** 48n, Domain.Manufacturer);
  await stub.seat(pharmacy.address, 2n ** 24n - 1n, Domain.Pharmacy);
  await stub.seat(widePharmacy.address, 2n ** 24n, Domain.Pharmacy);
  const implementation = await deployBatchRegistryImplementation(await stub.getAddress());
  const proxy = await ethers.deployContract("ERC1967Proxy", [
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData("initialize"),
  ]);
  const br = (await ethers.getContractAt("BatchRegistry", await proxy.getAddress())) as unknown as BatchRegistry;
  const tree = UnitTree.sequential(GTIN, UNITS);
  await br.connect(maker).registerProduct(GTIN, NAME, APPROVAL, 0n);
  await br.connect(wideMaker).registerProduct(GTIN2, NAME, APPROVAL, 0n);
  await br.connect(maker).createBatch(await batchInput({}, tree));
  await br.connect(wideMaker).createBatch(await batchInput({ gtin: GTIN2 }, tree));
  const batchId = batchIdOf(GTIN, LOT);
  const wideBatchId = batchIdOf(GTIN2, LOT);
  await inspect(br, maker, batchId);
  await br.connect(maker).releaseBatch(batchId);
  await inspect(br, wideMaker, wideBatchId);
  await br.connect(wideMaker).releaseBatch(wideBatchId);
  for (const [seq, [signer, party]] of ([[pharmacy, 2n ** 24n - 1n], [widePharmacy, 2n ** 24n]] as const).entries()) {
    await br.connect(maker).ship(batchId, party, 5n);
    await br.connect(signer).receiveShipment(batchId, shipmentIdOf(batchId, 2n, BigInt(seq)));
  }
  return { batchRegistry: br, stub: await stub.getAddress(), maker, wideMaker, pharmacy, widePharmacy, batchId, wideBatchId, tree };
}

/** Licences of the far-future consortium: valid until 2^40 seconds (year 36812). */
const FAR_LICENCE_EXPIRY = 2n ** 40n;
/** When the far-future consortium is deployed: past 2^32 seconds (year 2106), where 32 bits of time end. */
const FAR_NOW = 2n ** 32n + DAY;

interface FarCtx {
  batchRegistry: BatchRegistry;
  pharmacy: Signer;
  batchId: string;
  tree: UnitTree;
}

/**
 * At FAR_NOW, a consortium of a regulator (1), a manufacturer (2) and a pharmacy (3)
 * licensed until FAR_LICENCE_EXPIRY; a released batch of which the pharmacy holds 10.
 */
async function farFutureBatch(): Promise<FarCtx> {
  await time.increaseTo(FAR_NOW);
  const licence = (kind: number) => [{ kind, documentHash: DOC, issuer: 1n, expiresAt: FAR_LICENCE_EXPIRY }];
  const c = await deploySupplyConsortium([
    { name: "Regulator", domain: Domain.Regulator, voter: true },
    { name: "Maker", domain: Domain.Manufacturer, voter: true, licences: licence(LicenceKind.Manufacturing) },
    { name: "Pharmacy", domain: Domain.Pharmacy, voter: true, licences: licence(LicenceKind.Distribution) },
  ]);
  const [, maker, pharmacy] = c.admins;
  const [qa] = c.others;
  await c.registry.connect(maker).addMember(2n, qa.address, Role.QA);
  const br = c.batchRegistry;
  const tree = UnitTree.sequential(GTIN, UNITS);
  await br.connect(maker).registerProduct(GTIN, NAME, APPROVAL, 0n);
  await br.connect(maker).createBatch(await batchInput({}, tree));
  const batchId = batchIdOf(GTIN, LOT);
  await inspect(br, qa, batchId);
  await br.connect(qa).releaseBatch(batchId);
  const id = await br.connect(maker).ship.staticCall(batchId, 3n, 10n);
  await br.connect(maker).ship(batchId, 3n, 10n);
  await br.connect(pharmacy).receiveShipment(batchId, id);
  return { batchRegistry: br, pharmacy, batchId, tree };
}

// ==== HELPERS ====

/** A new BatchRegistry implementation over the context's registry (for upgrades). */
async function newImplementation(c: Ctx): Promise<BatchRegistry> {
  return await deployBatchRegistryImplementation(await c.registry.getAddress());
}

/** Ships `quantity` from `sender`'s party to `to`, received by `receiver`; returns the shipment id. */
async function move(c: BatchCtx, sender: Signer, to: bigint, receiver: Signer, quantity: bigint): Promise<string> {
  const id = await c.batchRegistry.connect(sender).ship.staticCall(c.batchId, to, quantity);
  await c.batchRegistry.connect(sender).ship(c.batchId, to, quantity);
  await c.batchRegistry.connect(receiver).receiveShipment(c.batchId, id);
  return id;
}

/**
 * Sends the transactions into a single block mined at `timestamp` (automine is off
 * meanwhile; each send needs an explicit gas limit, as nothing is estimated against a
 * pending block); returns their receipts, in order.
 */
async function inOneBlock(
  timestamp: bigint,
  sends: (() => Promise<ContractTransactionResponse>)[],
): Promise<TransactionReceipt[]> {
  const hashes: string[] = [];
  await ethers.provider.send("evm_setAutomine", [false]);
  try {
    for (const send of sends) hashes.push((await send()).hash);
    await time.setNextBlockTimestamp(timestamp);
    await ethers.provider.send("evm_mine", []);
  } finally {
    await ethers.provider.send("evm_setAutomine", [true]);
  }
  return Promise.all(
    hashes.map(async (hash) => {
      const receipt = await ethers.provider.getTransactionReceipt(hash);
      if (receipt === null) throw new Error(`no receipt for ${hash}`);
      return receipt;
    }),
  );
}

/** The revert data of a mined, failed transaction (from the node's trace). */
async function revertDataOf(hash: string): Promise<string> {
  const trace = (await ethers.provider.send("debug_traceTransaction", [hash])) as { failed: boolean; returnValue: string };
  expect(trace.failed, "the transaction failed").to.equal(true);
  return trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`;
}

interface BatchView {
  gtin: bigint;
  manufacturedAt: bigint;
  expiresAt: bigint;
  status: number;
  quantity: bigint;
  unitsRoot: string;
  unitCount: bigint;
  destroyed: bigint;
  lost: bigint;
  manufacturer: bigint;
}

async function batchOf(br: BatchRegistry, batchId: string): Promise<BatchView> {
  const b = await br.getBatch(batchId);
  return {
    gtin: b.gtin,
    manufacturedAt: b.manufacturedAt,
    expiresAt: b.expiresAt,
    status: Number(b.status),
    quantity: b.quantity,
    unitsRoot: b.unitsRoot,
    unitCount: b.unitCount,
    destroyed: b.destroyed,
    lost: b.lost,
    manufacturer: b.manufacturer,
  };
}

interface ShipmentView {
  from: bigint;
  to: bigint;
  quantity: bigint;
  seq: bigint;
  shippedAt: bigint;
  status: number;
}

async function shipmentOf(br: BatchRegistry, shipmentId: string): Promise<ShipmentView> {
  const s = await br.getShipment(shipmentId);
  return { from: s.from, to: s.to, quantity: s.quantity, seq: s.seq, shippedAt: s.shippedAt, status: Number(s.status) };
}

interface UnitView {
  status: number;
  party: bigint;
  at: bigint;
}

async function productOf(br: BatchRegistry, gtin: bigint): Promise<unknown[]> {
  const p = await br.getProduct(gtin);
  return [p.holder, p.nationalCode, p.registeredAt, p.name, p.approvalNo];
}

async function unitOf(br: BatchRegistry, batchId: string, index: bigint): Promise<UnitView> {
  const [status, party, at] = await br.unitRecord(batchId, index);
  return { status: Number(status), party, at };
}

async function verdictOf(br: BatchRegistry, unit: UnitProof): Promise<[number, bigint]> {
  const [verdict, party] = await br.verify(unit);
  return [Number(verdict), party];
}

async function holdings(c: BatchCtx, parties: bigint[]): Promise<bigint[]> {
  return Promise.all(parties.map((p) => c.batchRegistry.holding(c.batchId, p)));
}

/** What each party has dispensed of the context's batch (net of undos). */
async function dispensedBy(c: BatchCtx, parties: bigint[]): Promise<bigint[]> {
  return Promise.all(parties.map((p) => c.batchRegistry.dispensedBy(c.batchId, p)));
}

const ACTIVE_RECORD: UnitView = { status: UnitStatus.Active, party: 0n, at: 0n };

interface MemberView {
  partyId: bigint;
  role: number;
  status: number;
}

interface PartyGateView {
  domain: number;
  status: number;
  revokedLicences: bigint;
  licencesValidUntil: bigint;
}

const NO_MEMBER: MemberView = { partyId: 0n, role: Role.None, status: MemberStatus.None };
const NO_PARTY: PartyGateView = { domain: Domain.None, status: PartyStatus.None, revokedLicences: 0n, licencesValidUntil: 0n };

async function mirroredMemberOf(br: BatchRegistry, account: string): Promise<MemberView> {
  const m = await br.mirroredMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

async function mirroredPartyOf(br: BatchRegistry, partyId: bigint): Promise<PartyGateView> {
  const g = await br.mirroredParty(partyId);
  return { domain: Number(g.domain), status: Number(g.status), revokedLicences: g.revokedLicences, licencesValidUntil: g.licencesValidUntil };
}

/** The registry's own member record, in the mirror's shape. */
async function registryMemberOf(c: Ctx, account: string): Promise<MemberView> {
  const m = await c.registry.getMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

/** What the mirror's checks read of a party, from the registry's own record. */
async function registryGateOf(c: Ctx, partyId: bigint): Promise<PartyGateView> {
  const p = await c.registry.getParty(partyId);
  return { domain: Number(p.domain), status: Number(p.status), revokedLicences: p.revokedLicences, licencesValidUntil: p.licencesValidUntil };
}

// ==== CALLER TABLES (shared cases in test/helpers/callers.ts) ====

/** Non-registry errors come from the batch registry. */
function itRejectsCallers<C extends Ctx>(
  fixture: () => Promise<C>,
  cases: CallerCase<C>[],
  call: (c: C, caller: Signer) => Promise<ContractTransactionResponse>,
): void {
  // The tables' callers are this file's signers (HardhatEthersSigner).
  itRejects(fixture, cases, (c, caller) => call(c, caller as Signer), (c) => c.batchRegistry);
}

/** {standingCases} with this file's licences (party 9 is a second manufacturer). */
function standingCases<C extends Ctx>(party: bigint, name: string, pick: (c: C) => Signer): CallerCase<C>[] {
  return sharedStandingCases<C>(party, name, pick, LICENCE_OF[party.toString()]);
}

/** Callers of the manufacturer actor functions (registerProduct, createBatch). */
function manufacturerActorCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongRole("a QA member of the manufacturer", (c) => c.makerQa, Role.QA),
    wrongRole("a device of the manufacturer", (c) => c.makerDevice, Role.Device),
    wrongDomain("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain("the pharmacy's admin", (c) => c.pharmacy, PHARMACY, Domain.Pharmacy),
    wrongDomain("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
    ...standingCases<C>(MAKER, "maker's admin", (c) => c.maker),
  ];
}

/** Callers of the custody functions acting for party `party` (its admin `pick`). */
function custodianCases<C extends Ctx>(party: bigint, name: string, pick: (c: C) => Signer): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongDomain("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
    wrongDomain("the notary's admin", (c) => c.notary, NOTARY, Domain.Notary),
    wrongRole("a device of a custodian", (c) => c.makerDevice, Role.Device),
    ...standingCases<C>(party, name, pick),
  ];
}

/** Callers of the dispensing functions (dispense, undoDispense) acting for the pharmacy. */
function dispenserCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongDomain("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain("the maker's admin", (c) => c.maker, MAKER, Domain.Manufacturer),
    wrongDomain("the logistics party's admin", (c) => c.logistics, LOGISTICS, Domain.Logistics),
    wrongDomain("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain("the regulator's admin", (c) => c.regulator, REGULATOR, Domain.Regulator),
    wrongRole("a QA member of the pharmacy", (c) => c.pharmacyQa, Role.QA),
    wrongRole("a device of the pharmacy", (c) => c.pharmacyDevice, Role.Device),
    ...standingCases<C>(PHARMACY, "pharmacy's admin", (c) => c.pharmacy),
  ];
}

/** Callers of the governor-only functions: everyone but the governor. */
function notGovernorCases<C extends Ctx>(): CallerCase<C>[] {
  const notGovernor = (title: string, caller: (c: C) => Promise<Signer>): CallerCase<C> => ({
    title,
    caller,
    error: "BatchRegistryOnlyGovernor",
    args: async (_c, s) => [await s.getAddress()],
  });
  return [
    notGovernor("a non-member", async (c) => c.stranger),
    notGovernor("the deployer", async (c) => c.deployer),
    notGovernor("the regulator's admin", async (c) => c.regulator),
    notGovernor("the maker's admin", async (c) => c.maker),
    notGovernor("the maker's QA", async (c) => c.makerQa),
    notGovernor("the pharmacy's admin", async (c) => c.pharmacy),
    notGovernor("the registry proxy itself", async (c) => impersonate(await c.registry.getAddress())),
  ];
}

// ==== TESTS ====

describe("BatchRegistry", function () {
  describe("constructor", function () {
    it("binds the registry as an immutable of the implementation, which every proxy over it reads", async function () {
      const { registry, batchRegistry } = await loadFixture(supplyParties);
      const implementation = await deployBatchRegistryImplementation(await registry.getAddress());
      expect(await implementation.registry()).to.equal(await registry.getAddress());
      // The Ignition deployment's implementation and proxy answer the same.
      const deployed = ethers.getAddress(ethers.dataSlice(await ethers.provider.getStorage(await batchRegistry.getAddress(), IMPLEMENTATION_SLOT), 12));
      const deployedImplementation = (await ethers.getContractAt("BatchRegistry", deployed)) as unknown as BatchRegistry;
      expect(await deployedImplementation.registry()).to.equal(await registry.getAddress());
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    });

    it("reverts when the registry is the zero address", async function () {
      const { batchRegistry } = await loadFixture(supplyParties);
      await expect(ethers.deployContract("BatchRegistry", [ethers.ZeroAddress, await batchRegistry.engine()]))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorZeroRegistry")
        .withArgs();
    });
  });

  describe("initialize", function () {
    it("sets the 10-day undo window and emits DispenseUndoWindowSet", async function () {
      const { registry, batchRegistry } = await loadFixture(supplyParties);
      const implementation = await deployBatchRegistryImplementation(await registry.getAddress());
      const proxy = await ethers.deployContract("ERC1967Proxy", [
        await implementation.getAddress(),
        implementation.interface.encodeFunctionData("initialize"),
      ]);
      const fresh = (await ethers.getContractAt("BatchRegistry", await proxy.getAddress())) as unknown as BatchRegistry;
      const tx = proxy.deploymentTransaction();
      if (tx === null) throw new Error("no deployment transaction");
      expect(await eventsOf(fresh, tx)).to.deep.equal([
        ["Upgraded", [(await implementation.getAddress()).toLowerCase()]],
        ["DispenseUndoWindowSet", [UNDO_WINDOW]],
        ["Initialized", [1n]],
      ]);
      expect(await fresh.registry()).to.equal(await registry.getAddress());
      expect(await fresh.dispenseUndoWindow()).to.equal(UNDO_WINDOW);
      // The Ignition deployment did the same.
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(UNDO_WINDOW);
    });

    it("reverts when called again on the proxy", async function () {
      const { batchRegistry, deployer, gov } = await loadFixture(supplyParties);
      for (const caller of [deployer, gov]) {
        await expect(batchRegistry.connect(caller).initialize())
          .to.be.revertedWithCustomError(batchRegistry, "InvalidInitialization")
          .withArgs();
      }
    });

    it("reverts on the implementation (initializers disabled by the constructor)", async function () {
      const { registry } = await loadFixture(supplyParties);
      const implementation = await deployBatchRegistryImplementation(await registry.getAddress());
      await expect(implementation.initialize())
        .to.be.revertedWithCustomError(implementation, "InvalidInitialization")
        .withArgs();
    });
  });

  describe("registerProduct", function () {
    it("registers the product with the caller's party as holder and emits ProductRegistered", async function () {
      const { batchRegistry, maker } = await loadFixture(supplyParties);
      const tx = await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, NATIONAL);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN, MAKER, NATIONAL, NAME, APPROVAL, maker.address]]]);
      const p = await batchRegistry.getProduct(GTIN);
      expect([p.holder, p.nationalCode, p.registeredAt, p.name, p.approvalNo]).to.deep.equal([
        MAKER,
        NATIONAL,
        await timestampOf(tx),
        NAME,
        APPROVAL,
      ]);
      expect(await batchRegistry.productOfNationalCode(NATIONAL)).to.equal(GTIN);
    });

    it("lets an operator of the manufacturer register (the actor is the operator)", async function () {
      const { batchRegistry, makerOperator } = await loadFixture(supplyParties);
      const tx = await batchRegistry.connect(makerOperator).registerProduct(GTIN2, NAME, APPROVAL, 0n);
      await expectEvents(batchRegistry, tx, [["ProductRegistered", [GTIN2, MAKER, 0n, NAME, APPROVAL, makerOperator.address]]]);
      expect((await batchRegistry.getProduct(GTIN2)).holder).to.equal(MAKER);
    });

    it("registers without a national code (0), which never maps to a product", async function () {
      const { batchRegistry, maker, maker2 } = await loadFixture(supplyParties);
      await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, 0n);
      await batchRegistry.connect(maker2).registerProduct(GTIN2, NAME, APPROVAL, 0n);
      expect(await batchRegistry.productOfNationalCode(0n)).to.equal(0n);
      expect((await batchRegistry.getProduct(GTIN)).nationalCode).to.equal(0n);
      expect((await batchRegistry.getProduct(GTIN2)).holder).to.equal(MAKER2);
    });

    it("accepts the largest national code, 9999999", async function () {
      const { batchRegistry, maker } = await loadFixture(supplyParties);
      await batchRegistry.connect(maker).registerProduct(GTIN, NAME, APPROVAL, 9_999_999n);
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
          expect((await batchRegistry.getProduct(gtin)).holder).to.equal(MAKER);
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

    it("reverts when the GTIN is already registered, by the same or another manufacturer", async function () {
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

    it("reverts when the national code is taken, naming the product that holds it", async function () {
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
    });

    itRejectsCallers(supplyParties, manufacturerActorCases<Ctx>(), (c, s) =>
      c.batchRegistry.connect(s).registerProduct(GTIN, NAME, APPROVAL, NATIONAL),
    );
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

  describe("ship", function () {
    it("moves the quantity into an open shipment and emits Shipped", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, batchId } = c;
      const expectedId = shipmentIdOf(batchId, MAKER, 0n);
      expect(await batchRegistry.connect(maker).ship.staticCall(batchId, WHOLESALER, 30n)).to.equal(expectedId);
      const tx = await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 30n);
      await expectEvents(batchRegistry, tx, [["Shipped", [expectedId, batchId, MAKER, WHOLESALER, 30n, maker.address]]]);
      expect(await shipmentOf(batchRegistry, expectedId)).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        quantity: 30n,
        seq: 0n,
        shippedAt: await timestampOf(tx),
        status: ShipmentStatus.InTransit,
      });
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([70n, 0n]);
      expect(await expectConserved(c, batchId)).to.deep.include({ held: 70n, inTransit: 30n });
    });

    it("numbers each sender's shipments of the batch from 0", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, makerOperator, wholesaler, batchId } = c;
      await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 10n);
      const tx = await batchRegistry.connect(makerOperator).ship(batchId, PHARMACY, 5n);
      const second = shipmentIdOf(batchId, MAKER, 1n);
      await expectEvents(batchRegistry, tx, [["Shipped", [second, batchId, MAKER, PHARMACY, 5n, makerOperator.address]]]);
      await batchRegistry.connect(wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 0n));
      // The wholesaler's own numbering starts at 0.
      const tx3 = await batchRegistry.connect(wholesaler).ship(batchId, LOGISTICS, 4n);
      const third = shipmentIdOf(batchId, WHOLESALER, 0n);
      await expectEvents(batchRegistry, tx3, [["Shipped", [third, batchId, WHOLESALER, LOGISTICS, 4n, wholesaler.address]]]);
      expect(new Set([shipmentIdOf(batchId, MAKER, 0n), second, third]).size).to.equal(3);
      expect((await shipmentOf(batchRegistry, second)).seq).to.equal(1n);
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([85n, 6n]);
      await expectConserved(c, batchId);
    });

    it("ships to every custodian domain (wholesaler, retailer, logistics, hospital, pharmacy, manufacturer)", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, registry, gov, maker, batchId } = c;
      await registry.connect(gov).admitParty({ name: "Retail", domain: Domain.Retailer, admin: ethers.Wallet.createRandom().address, voter: false, licences: [] });
      const RETAILER = 10n;
      for (const to of [WHOLESALER, RETAILER, LOGISTICS, HOSPITAL, PHARMACY, MAKER2]) {
        await expect(batchRegistry.connect(maker).ship(batchId, to, 1n)).to.emit(batchRegistry, "Shipped");
      }
      expect(await batchRegistry.holding(batchId, MAKER)).to.equal(QUANTITY - 6n);
      expect(await expectConserved(c, batchId)).to.deep.include({ inTransit: 6n });
    });

    it("ships the whole holding, leaving zero", async function () {
      const c = await loadFixture(releasedBatch);
      await c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, QUANTITY);
      expect(await c.batchRegistry.holding(c.batchId, MAKER)).to.equal(0n);
      await expect(c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, MAKER, 0n, 1n);
      await expectConserved(c, c.batchId);
    });

    it("lets a pharmacy ship stock back to the wholesaler", async function () {
      const c = await loadFixture(distributedBatch);
      await move(c, c.pharmacy, WHOLESALER, c.wholesaler, 5n);
      expect(await holdings(c, [WHOLESALER, PHARMACY])).to.deep.equal([45n, 15n]);
      await expectConserved(c, c.batchId);
    });

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, maker } = await loadFixture(releasedBatch);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(maker).ship(unknown, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    it("reverts when the batch is not released", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(productionBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotReleased")
        .withArgs(batchId);
    });

    it("ships one second before expiry and reverts from the expiry on", async function () {
      const { batchRegistry, maker, batchId, expiresAt } = await loadFixture(releasedBatch);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      await time.increase(30n * DAY);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
    });

    it("reverts when the party ships to itself", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, MAKER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistrySelfShipment")
        .withArgs(MAKER);
    });

    for (const to of [UNKNOWN, 0n, 10n, U64]) {
      it(`reverts when the receiver ${to} is not a party`, async function () {
        const { batchRegistry, registry, maker, batchId } = await loadFixture(releasedBatch);
        await expect(batchRegistry.connect(maker).ship(batchId, to, 1n))
          .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
          .withArgs(to);
      });
    }

    for (const [name, to, domain] of [
      ["laboratory", LABORATORY, Domain.Laboratory],
      ["regulator", REGULATOR, Domain.Regulator],
      ["notary", NOTARY, Domain.Notary],
    ] as const) {
      it(`reverts when the receiver is the ${name} (not a custodian domain)`, async function () {
        const { batchRegistry, registry, maker, batchId } = await loadFixture(releasedBatch);
        await expect(batchRegistry.connect(maker).ship(batchId, to, 1n))
          .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
          .withArgs(to, domain);
      });
    }

    it("reverts when the receiver is suspended or revoked", async function () {
      const { batchRegistry, registry, regulator, gov, maker, batchId } = await loadFixture(releasedBatch);
      await registry.connect(regulator).suspendParty(PHARMACY);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
      await registry.connect(gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Revoked);
    });

    it("reverts when the receiver's licence is revoked or expired", async function () {
      const { batchRegistry, registry, regulator, maker, batchId } = await loadFixture(releasedBatch);
      await registry.connect(regulator).revokeLicence(PHARMACY, LicenceKind.Distribution);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceRevoked")
        .withArgs(PHARMACY, 1);
      const soon = BigInt(await time.latest()) + 10n * DAY;
      await registry.connect(regulator).grantLicence(LOGISTICS, { kind: LicenceKind.Distribution, documentHash: DOC, issuer: REGULATOR, expiresAt: soon });
      await time.increaseTo(soon);
      await expect(batchRegistry.connect(maker).ship(batchId, LOGISTICS, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpired")
        .withArgs(LOGISTICS, soon);
    });

    it("reverts when the quantity is zero", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 0n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryZeroQuantity")
        .withArgs();
    });

    it("reverts when the quantity exceeds the holding", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, QUANTITY + 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, QUANTITY, QUANTITY + 1n);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, U48))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, QUANTITY, U48);
    });

    it("reverts when the sender holds none of the batch", async function () {
      const { batchRegistry, logistics, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(logistics).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, LOGISTICS, 0n, 1n);
    });

    it("does not count stock in transit as held (the sender cannot ship it twice)", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 71n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, 70n, 71n);
    });

    itRejectsCallers(
      releasedBatch,
      [
        ...custodianCases<BatchCtx>(MAKER, "maker's admin", (c) => c.maker),
        wrongRole("the maker's QA", (c) => c.makerQa, Role.QA),
      ],
      (c, s) => c.batchRegistry.connect(s).ship(c.batchId, WHOLESALER, 1n),
    );
  });

  describe("receiveShipment", function () {
    it("credits the receiver, closes the shipment as Received and emits ShipmentClosed", async function () {
      const c = await loadFixture(openShipment);
      const { batchRegistry, wholesaler, batchId, shipmentId } = c;
      const shippedAt = (await shipmentOf(batchRegistry, shipmentId)).shippedAt;
      const tx = await batchRegistry.connect(wholesaler).receiveShipment(batchId, shipmentId);
      await expectEvents(batchRegistry, tx, [
        ["ShipmentClosed", [shipmentId, batchId, WHOLESALER, ShipmentStatus.Received, 30n, wholesaler.address]],
      ]);
      expect(await shipmentOf(batchRegistry, shipmentId)).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        quantity: 30n,
        seq: 0n,
        shippedAt,
        status: ShipmentStatus.Received,
      });
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([70n, 30n]);
      expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY, inTransit: 0n });
    });

    it("lets another admin or operator of the receiver receive", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, pharmacyOperator, batchId } = c;
      await batchRegistry.connect(maker).ship(batchId, PHARMACY, 7n);
      const id = shipmentIdOf(batchId, MAKER, 0n);
      const tx = await batchRegistry.connect(pharmacyOperator).receiveShipment(batchId, id);
      await expectEvents(batchRegistry, tx, [["ShipmentClosed", [id, batchId, PHARMACY, ShipmentStatus.Received, 7n, pharmacyOperator.address]]]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(7n);
    });

    it("credits a shipment whose batch expired in transit", async function () {
      const c = await loadFixture(openShipment);
      await time.increaseTo(c.expiresAt + DAY);
      await c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId);
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(30n);
      await expectConserved(c, c.batchId);
    });

    it("reverts when the sender tries to receive", async function () {
      const { batchRegistry, maker, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker).receiveShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, MAKER);
    });

    it("reverts when a third party tries to receive", async function () {
      const { batchRegistry, pharmacy, logistics, batchId, shipmentId } = await loadFixture(openShipment);
      for (const [s, party] of [
        [pharmacy, PHARMACY],
        [logistics, LOGISTICS],
      ] as const) {
        await expect(batchRegistry.connect(s).receiveShipment(batchId, shipmentId))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
          .withArgs(shipmentId, party);
      }
    });

    for (const [title, close, status] of closings()) {
      it(`reverts on a shipment already ${title}`, async function () {
        const c = await loadFixture(openShipment);
        await close(c);
        await expect(c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.shipmentId, status);
      });
    }

    itRejectsUnknownShipments((c, s, batchId, shipmentId) => c.batchRegistry.connect(s).receiveShipment(batchId, shipmentId), (c) => c.wholesaler);

    itRejectsCallers(
      openShipment,
      [
        ...custodianCases<ShipmentCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
        wrongRole("the wholesaler's QA", (c) => c.wholesalerQa, Role.QA),
      ],
      (c, s) => c.batchRegistry.connect(s).receiveShipment(c.batchId, c.shipmentId),
    );
  });

  describe("cancelShipment", function () {
    it("returns the stock to the sender, closes the shipment as Cancelled and emits ShipmentClosed", async function () {
      const c = await loadFixture(openShipment);
      const { batchRegistry, makerOperator, batchId, shipmentId } = c;
      const tx = await batchRegistry.connect(makerOperator).cancelShipment(batchId, shipmentId);
      await expectEvents(batchRegistry, tx, [
        ["ShipmentClosed", [shipmentId, batchId, MAKER, ShipmentStatus.Cancelled, 30n, makerOperator.address]],
      ]);
      expect((await shipmentOf(batchRegistry, shipmentId)).status).to.equal(ShipmentStatus.Cancelled);
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([QUANTITY, 0n]);
      expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY, inTransit: 0n });
    });

    it("cancels after the batch expired", async function () {
      const c = await loadFixture(openShipment);
      await time.increaseTo(c.expiresAt);
      await c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId);
      expect(await c.batchRegistry.holding(c.batchId, MAKER)).to.equal(QUANTITY);
    });

    it("reverts when the receiver tries to cancel", async function () {
      const { batchRegistry, wholesaler, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(wholesaler).cancelShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, WHOLESALER);
    });

    it("reverts when a third party tries to cancel", async function () {
      const { batchRegistry, maker2, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker2).cancelShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, MAKER2);
    });

    for (const [title, close, status] of closings()) {
      it(`reverts on a shipment already ${title}`, async function () {
        const c = await loadFixture(openShipment);
        await close(c);
        await expect(c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.shipmentId, status);
      });
    }

    itRejectsUnknownShipments((c, s, batchId, shipmentId) => c.batchRegistry.connect(s).cancelShipment(batchId, shipmentId), (c) => c.maker);

    itRejectsCallers(
      openShipment,
      [...custodianCases<ShipmentCtx>(MAKER, "maker's admin", (c) => c.maker), wrongRole("the maker's QA", (c) => c.makerQa, Role.QA)],
      (c, s) => c.batchRegistry.connect(s).cancelShipment(c.batchId, c.shipmentId),
    );
  });

  describe("rejectShipment", function () {
    it("returns the stock to the sender, closes the shipment as Rejected and emits ShipmentClosed", async function () {
      const c = await loadFixture(openShipment);
      const { batchRegistry, wholesaler, batchId, shipmentId } = c;
      const tx = await batchRegistry.connect(wholesaler).rejectShipment(batchId, shipmentId);
      await expectEvents(batchRegistry, tx, [
        ["ShipmentClosed", [shipmentId, batchId, MAKER, ShipmentStatus.Rejected, 30n, wholesaler.address]],
      ]);
      expect((await shipmentOf(batchRegistry, shipmentId)).status).to.equal(ShipmentStatus.Rejected);
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([QUANTITY, 0n]);
      expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY, inTransit: 0n });
    });

    it("reverts when the sender tries to reject", async function () {
      const { batchRegistry, maker, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker).rejectShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, MAKER);
    });

    it("reverts when a third party tries to reject", async function () {
      const { batchRegistry, hospital, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(hospital).rejectShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, HOSPITAL);
    });

    for (const [title, close, status] of closings()) {
      it(`reverts on a shipment already ${title}`, async function () {
        const c = await loadFixture(openShipment);
        await close(c);
        await expect(c.batchRegistry.connect(c.wholesaler).rejectShipment(c.batchId, c.shipmentId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.shipmentId, status);
      });
    }

    itRejectsUnknownShipments((c, s, batchId, shipmentId) => c.batchRegistry.connect(s).rejectShipment(batchId, shipmentId), (c) => c.wholesaler);

    itRejectsCallers(
      openShipment,
      [
        ...custodianCases<ShipmentCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
        wrongRole("the wholesaler's QA", (c) => c.wholesalerQa, Role.QA),
      ],
      (c, s) => c.batchRegistry.connect(s).rejectShipment(c.batchId, c.shipmentId),
    );
  });

  describe("dispense", function () {
    it("dispenses an active unit: one less in stock, the unit Dispensed, UnitStatusChanged", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      const unit = tree.unit(batchId, 3n);
      expect(await batchRegistry.connect(pharmacy).dispense.staticCall(unit)).to.equal(false);
      const tx = await batchRegistry.connect(pharmacy).dispense(unit);
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Active, UnitStatus.Dispensed, pharmacy.address]],
      ]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(19n);
      expect(await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 1n]);
      expect(await unitOf(batchRegistry, batchId, 3n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at: await timestampOf(tx) });
      expect(await verdictOf(batchRegistry, unit)).to.deep.equal([UnitVerdict.Dispensed, PHARMACY]);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
      expect(await expectConserved(c, batchId)).to.deep.include({ dispensed: 1n, held: QUANTITY - 1n });
    });

    it("lets a hospital and a pharmacy operator dispense", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, hospital, pharmacyOperator, batchId, tree } = c;
      const tx = await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 0n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 0n, HOSPITAL, tree.hashOf(0n), UnitStatus.Active, UnitStatus.Dispensed, hospital.address]],
      ]);
      const tx2 = await batchRegistry.connect(pharmacyOperator).dispense(tree.unit(batchId, 1n));
      await expectEvents(batchRegistry, tx2, [
        ["UnitStatusChanged", [batchId, 1n, PHARMACY, tree.hashOf(1n), UnitStatus.Active, UnitStatus.Dispensed, pharmacyOperator.address]],
      ]);
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([9n, 19n]);
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([1n, 1n]);
      await expectConserved(c, batchId);
    });

    it("dispenses until the stock runs out, then reverts", async function () {
      const c = await loadFixture(releasedBatch);
      await move(c, c.maker, PHARMACY, c.pharmacy, 2n);
      await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 0n));
      await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 1n));
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 2n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 0n, 1n);
      await expectConserved(c, c.batchId);
    });

    it("reverts when the dispenser holds none of the batch", async function () {
      const { batchRegistry, hospital, batchId, tree } = await loadFixture(distributedBatch);
      await expect(batchRegistry.connect(hospital).dispense(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, HOSPITAL, 0n, 1n);
    });

    describe("a unit that is no longer active (suspect)", function () {
      async function expectSuspect(
        c: BatchCtx,
        by: Signer,
        reporter: bigint,
        index: bigint,
        status: number,
        recordedParty: bigint,
        reportNo: bigint,
      ): Promise<void> {
        const { batchRegistry, batchId, tree } = c;
        const unit = tree.unit(batchId, index);
        const before = {
          batch: await batchOf(batchRegistry, batchId),
          held: await holdings(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          dispensed: await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          record: await unitOf(batchRegistry, batchId, index),
        };
        expect(await batchRegistry.connect(by).dispense.staticCall(unit)).to.equal(true);
        const tx = await batchRegistry.connect(by).dispense(unit);
        await expectEvents(batchRegistry, tx, [
          ["SuspectUnitReported", [batchId, index, reporter, tree.hashOf(index), status, recordedParty, reportNo, by.address]],
        ]);
        expect({
          batch: await batchOf(batchRegistry, batchId),
          held: await holdings(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          dispensed: await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          record: await unitOf(batchRegistry, batchId, index),
        }).to.deep.equal(before);
        expect(await batchRegistry.suspectReportCount(batchId)).to.equal(reportNo);
        await expectConserved(c, batchId);
      }

      it("reports a second dispense at the same pharmacy and changes nothing", async function () {
        const c = await loadFixture(dispensedUnit);
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        await expectSuspect(c, c.pharmacyOperator, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 2n);
      });

      it("reports it at another dispenser holding no stock of the batch, naming the first dispenser", async function () {
        const c = await loadFixture(dispensedUnit);
        expect(await c.batchRegistry.holding(c.batchId, HOSPITAL)).to.equal(0n);
        await expectSuspect(c, c.hospital, HOSPITAL, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 2n);
        await expectSuspect(c, c.hospital, HOSPITAL, 3n, UnitStatus.Dispensed, PHARMACY, 3n);
      });

      it("reports a destroyed unit, naming the party that destroyed it", async function () {
        const c = await loadFixture(distributedBatch);
        await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 7n), UnitStatus.Destroyed);
        await expectSuspect(c, c.pharmacy, PHARMACY, 7n, UnitStatus.Destroyed, WHOLESALER, 1n);
      });

      it("reports a stolen unit, naming the party that reported the theft", async function () {
        const c = await loadFixture(distributedBatch);
        await c.batchRegistry.connect(c.makerOperator).decommission(c.tree.unit(c.batchId, 9n), UnitStatus.Stolen);
        await expectSuspect(c, c.hospital, HOSPITAL, 9n, UnitStatus.Stolen, MAKER, 1n);
      });

      it("reports a unit already dispensed after the batch expired (a clone of an expired batch)", async function () {
        const c = await loadFixture(dispensedUnit);
        await time.increaseTo(c.expiresAt);
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        await time.increase(365n * DAY);
        await expectSuspect(c, c.hospital, HOSPITAL, 3n, UnitStatus.Dispensed, PHARMACY, 2n);
        expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 3n))).to.deep.equal([UnitVerdict.Dispensed, PHARMACY]);
      });

      it("reports a unit destroyed in a batch still in production (a clone of an unreleased batch)", async function () {
        const c = await loadFixture(productionBatch);
        await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Destroyed);
        expect(await c.batchRegistry.holding(c.batchId, PHARMACY)).to.equal(0n);
        await expectSuspect(c, c.pharmacy, PHARMACY, 2n, UnitStatus.Destroyed, MAKER, 1n);
        expect((await batchOf(c.batchRegistry, c.batchId)).status).to.equal(BatchStatus.Production);
      });

      it("reports a stolen unit of a batch in production after its expiry", async function () {
        const c = await loadFixture(productionBatch);
        await c.batchRegistry.connect(c.maker).decommission(c.tree.unit(c.batchId, 4n), UnitStatus.Stolen);
        await time.increaseTo(c.expiresAt + DAY);
        await expectSuspect(c, c.hospital, HOSPITAL, 4n, UnitStatus.Stolen, MAKER, 1n);
      });

      it("counts reports per batch", async function () {
        const c = await loadFixture(dispensedUnit);
        const other = UnitTree.sequential(GTIN, 4, "B");
        await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }, other));
        const otherId = batchIdOf(GTIN, "LOT-2");
        await inspect(c.batchRegistry, c.makerQa, otherId);
        await c.batchRegistry.connect(c.makerQa).releaseBatch(otherId);
        await c.batchRegistry.connect(c.maker).ship(otherId, PHARMACY, 1n);
        await c.batchRegistry.connect(c.pharmacy).receiveShipment(otherId, shipmentIdOf(otherId, MAKER, 0n));
        await c.batchRegistry.connect(c.pharmacy).dispense(other.unit(otherId, 3n));
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        const tx = await c.batchRegistry.connect(c.hospital).dispense(other.unit(otherId, 3n));
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectUnitReported", [otherId, 3n, HOSPITAL, other.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, c.hospital.address]],
        ]);
        expect(await c.batchRegistry.suspectReportCount(c.batchId)).to.equal(1n);
        expect(await c.batchRegistry.suspectReportCount(otherId)).to.equal(1n);
      });
    });

    it("reverts on a locked unit", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(lockedUnit);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 5n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnitLocked")
        .withArgs(batchId, 5n);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(20n);
    });

    itRejectsInvalidProofs(distributedBatch, (c, unit) => c.batchRegistry.connect(c.pharmacy).dispense(unit));

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(distributedBatch);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(pharmacy).dispense({ ...tree.unit(batchId, 3n), batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    it("reverts when the batch is not released", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(productionBatch);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotReleased")
        .withArgs(batchId);
    });

    it("dispenses an active unit one second before the batch's expiry and reverts from the expiry on", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, batchId, tree, expiresAt } = c;
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 5n));
      await time.setNextBlockTimestamp(expiresAt);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 4n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      await time.increase(30n * DAY);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 4n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      expect(await unitOf(batchRegistry, batchId, 4n)).to.deep.equal(ACTIVE_RECORD);
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([2n]);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
    });

    it("reports a unit already dispensed, rather than reverting, after the batch expired", async function () {
      const { batchRegistry, pharmacy, batchId, tree, expiresAt } = await loadFixture(dispensedUnit);
      await time.setNextBlockTimestamp(expiresAt);
      const tx = await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["SuspectUnitReported", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, pharmacy.address]],
      ]);
    });

    it("reverts on a locked unit before the batch checks (in production, or expired)", async function () {
      const c = await loadFixture(lockedUnit);
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }));
      const unreleased = batchIdOf(GTIN, "LOT-2");
      await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(unreleased, 1n), UnitStatus.Locked);
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(unreleased, 1n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnitLocked")
        .withArgs(unreleased, 1n);
      await time.increaseTo(c.expiresAt + DAY);
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 5n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnitLocked")
        .withArgs(c.batchId, 5n);
      expect(await c.batchRegistry.suspectReportCount(c.batchId)).to.equal(0n);
      expect(await c.batchRegistry.suspectReportCount(unreleased)).to.equal(0n);
    });

    it("reverts on the caller, an unknown batch or a bad proof before reading the unit's record", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, registry, wholesaler, pharmacy, batchId, tree, expiresAt } = c;
      await time.increaseTo(expiresAt);
      const unit = tree.unit(batchId, 3n);
      await expect(batchRegistry.connect(wholesaler).dispense(unit))
        .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
        .withArgs(WHOLESALER, Domain.Wholesaler);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(pharmacy).dispense({ ...unit, batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
      await expect(batchRegistry.connect(pharmacy).dispense({ ...unit, unitHash: ethers.id("counterfeit code") }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidProof")
        .withArgs(batchId, 3n);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
    });

    it("reverts on any proof for an unserialised batch", async function () {
      const c = await loadFixture(distributedBatch);
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "PLAIN", unitsRoot: ethers.ZeroHash, unitCount: 0n }));
      const plain = batchIdOf(GTIN, "PLAIN");
      await inspect(c.batchRegistry, c.makerQa, plain);
      await c.batchRegistry.connect(c.makerQa).releaseBatch(plain);
      await c.batchRegistry.connect(c.maker).ship(plain, PHARMACY, 5n);
      await c.batchRegistry.connect(c.pharmacy).receiveShipment(plain, shipmentIdOf(plain, MAKER, 0n));
      for (const proof of [[], c.tree.proofOf(0n)]) {
        await expect(c.batchRegistry.connect(c.pharmacy).dispense({ batchId: plain, index: 0n, unitHash: c.tree.hashOf(0n), proof }))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidProof")
          .withArgs(plain, 0n);
      }
    });

    itRejectsCallers(distributedBatch, dispenserCases<BatchCtx>(), (c, s) => c.batchRegistry.connect(s).dispense(c.tree.unit(c.batchId, 3n)));
  });

  describe("undoDispense", function () {
    it("restores the stock and the unit within the window and emits UnitStatusChanged", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      const unit = tree.unit(batchId, 3n);
      const tx = await batchRegistry.connect(pharmacy).undoDispense(unit);
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, UnitStatus.Active, pharmacy.address]],
      ]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(20n);
      expect(await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await unitOf(batchRegistry, batchId, 3n)).to.deep.equal({ status: UnitStatus.Active, party: PHARMACY, at: await timestampOf(tx) });
      expect(await verdictOf(batchRegistry, unit)).to.deep.equal([UnitVerdict.Genuine, PHARMACY]);
      expect(await expectConserved(c, batchId)).to.deep.include({ dispensed: 0n, held: QUANTITY });
      // The unit can be dispensed again, normally.
      expect(await batchRegistry.connect(pharmacy).dispense.staticCall(unit)).to.equal(false);
    });

    it("lets another admin or operator of the dispensing party undo", async function () {
      const { batchRegistry, pharmacyOperator, batchId, tree } = await loadFixture(dispensedUnit);
      const tx = await batchRegistry.connect(pharmacyOperator).undoDispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, UnitStatus.Active, pharmacyOperator.address]],
      ]);
    });

    it("undoes at the deadline exactly (dispensedAt + window)", async function () {
      const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await time.setNextBlockTimestamp(dispensedAt + UNDO_WINDOW);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      expect((await unitOf(batchRegistry, batchId, 3n)).status).to.equal(UnitStatus.Active);
    });

    it("reverts one second after the deadline, with the deadline", async function () {
      const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await time.setNextBlockTimestamp(dispensedAt + UNDO_WINDOW + 1n);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt + UNDO_WINDOW);
    });

    it("reverts long after the window closed, with the same deadline", async function () {
      const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await time.increase(30n * DAY);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt + UNDO_WINDOW);
    });

    it("measures the window set now, not the one at dispense time", async function () {
      const { batchRegistry, pharmacy, gov, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await batchRegistry.connect(gov).setDispenseUndoWindow(3600n);
      await time.setNextBlockTimestamp(dispensedAt + 3601n);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt + 3600n);
      await batchRegistry.connect(gov).setDispenseUndoWindow(2n * 3600n);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
    });

    it("reverts when the window is zero, a second after the dispense, with the dispense time as the deadline", async function () {
      const c = await loadFixture(distributedBatch);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(0n);
      const tx = await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 1n));
      const at = await timestampOf(tx);
      await time.setNextBlockTimestamp(at + 1n);
      await expect(c.batchRegistry.connect(c.pharmacy).undoDispense(c.tree.unit(c.batchId, 1n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(c.batchId, 1n, at);
    });

    it("reverts when the window is zero, even in the block of the dispense", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, gov, pharmacy, batchId, tree } = c;
      await batchRegistry.connect(gov).setDispenseUndoWindow(0n);
      const unit = tree.unit(batchId, 1n);
      const at = BigInt(await time.latest()) + 100n;
      // Both transactions in one block: block.timestamp is the dispense time itself.
      const [dispenseTx, undoTx] = await inOneBlock(at, [
        () => batchRegistry.connect(pharmacy).dispense(unit, { gasLimit: 500_000n }),
        () => batchRegistry.connect(pharmacy).undoDispense(unit, { gasLimit: 500_000n }),
      ]);
      expect(dispenseTx.status).to.equal(1);
      expect(undoTx.status).to.equal(0);
      expect(dispenseTx.blockNumber).to.equal(undoTx.blockNumber);
      const error = batchRegistry.interface.parseError(await revertDataOf(undoTx.hash));
      expect([error?.name, ...(error?.args.toArray() ?? [])]).to.deep.equal(["BatchRegistryUndoWindowClosed", batchId, 1n, at]);
      expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at });
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([1n]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(19n);
    });

    it("undoes again once a non-zero window is set (the window applies to past dispenses)", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, gov, pharmacy, batchId, tree, dispensedAt } = c;
      await batchRegistry.connect(gov).setDispenseUndoWindow(0n);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt);
      await batchRegistry.connect(gov).setDispenseUndoWindow(UNDO_WINDOW);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([0n]);
    });

    it("undoes on the last second of a 30-day window", async function () {
      const { batchRegistry, gov, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await batchRegistry.connect(gov).setDispenseUndoWindow(MAX_UNDO_WINDOW);
      await time.setNextBlockTimestamp(dispensedAt + MAX_UNDO_WINDOW);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      expect((await unitOf(batchRegistry, batchId, 3n)).status).to.equal(UnitStatus.Active);
    });

    it("takes each undo off its own party's count only", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, pharmacy, hospital, batchId, tree } = c;
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 1n));
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 2n));
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([1n, 2n]);
      await batchRegistry.connect(hospital).undoDispense(tree.unit(batchId, 2n));
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([0n, 2n]);
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([10n, 18n]);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 0n));
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([0n, 1n]);
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([10n, 19n]);
      await expectConserved(c, batchId);
    });

    it("reverts when another dispenser tries to undo, naming the dispensing party", async function () {
      const { batchRegistry, hospital, batchId, tree } = await loadFixture(dispensedUnit);
      await expect(batchRegistry.connect(hospital).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotUnitParty")
        .withArgs(batchId, 3n, PHARMACY);
    });

    it("reverts on a unit that is not dispensed (active, destroyed, stolen, locked, already undone)", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, wholesaler, batchId, tree } = c;
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 8n), UnitStatus.Destroyed);
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 9n), UnitStatus.Stolen);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 10n), UnitStatus.Locked);
      for (const [index, status] of [
        [0n, UnitStatus.Active],
        [8n, UnitStatus.Destroyed],
        [9n, UnitStatus.Stolen],
        [10n, UnitStatus.Locked],
      ] as const) {
        await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, index)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
          .withArgs(batchId, index, status, UnitStatus.Active);
      }
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
        .withArgs(batchId, 3n, UnitStatus.Active, UnitStatus.Active);
    });

    itRejectsInvalidProofs(dispensedUnit, (c, unit) => c.batchRegistry.connect(c.pharmacy).undoDispense(unit), 3n);

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(dispensedUnit);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(pharmacy).undoDispense({ ...tree.unit(batchId, 3n), batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    itRejectsCallers(dispensedUnit, dispenserCases<DispensedCtx>(), (c, s) => c.batchRegistry.connect(s).undoDispense(c.tree.unit(c.batchId, 3n)));
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
        expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY - 1n });
      });
    }

    it("locks an active unit, keeping the stock", async function () {
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
      await expectConserved(c, batchId);
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
      await expectConserved(c, batchId);
      expect(await batchRegistry.connect(c.pharmacy).dispense.staticCall(unit)).to.equal(false);
    });

    it("lets the locking party's QA reactivate, even after the party shipped all its stock", async function () {
      const c = await loadFixture(lockedUnit);
      await c.batchRegistry.connect(c.wholesaler).ship(c.batchId, PHARMACY, 40n);
      const tx = await c.batchRegistry.connect(c.wholesalerQa).reactivate(c.tree.unit(c.batchId, 5n));
      await expectEvents(c.batchRegistry, tx, [
        ["UnitStatusChanged", [c.batchId, 5n, WHOLESALER, c.tree.hashOf(5n), UnitStatus.Locked, UnitStatus.Active, c.wholesalerQa.address]],
      ]);
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

  describe("verify", function () {
    it("answers Unknown (party 0) for an unknown batch", async function () {
      const { batchRegistry, batchId, tree } = await loadFixture(dispensedUnit);
      expect(await verdictOf(batchRegistry, { ...tree.unit(batchId, 3n), batchId: batchIdOf(GTIN2, LOT) })).to.deep.equal([UnitVerdict.Unknown, 0n]);
      expect(await verdictOf(batchRegistry, { ...tree.unit(batchId, 3n), batchId: ethers.ZeroHash })).to.deep.equal([UnitVerdict.Unknown, 0n]);
    });

    it("answers Unknown (party 0) for a bad proof, even of a dispensed unit", async function () {
      const { batchRegistry, batchId, tree } = await loadFixture(dispensedUnit);
      const good = tree.unit(batchId, 3n);
      const other = UnitTree.sequential(GTIN, UNITS, "X");
      for (const bad of [
        { ...good, unitHash: ethers.id("forged") },
        { ...good, index: 4n },
        { ...good, proof: tree.proofOf(4n) },
        { ...good, proof: [] },
        { ...good, proof: [...good.proof as string[], ethers.ZeroHash] },
        other.unit(batchId, 3n),
      ]) {
        expect(await verdictOf(batchRegistry, bad)).to.deep.equal([UnitVerdict.Unknown, 0n]);
      }
    });

    it("answers Unreleased for a batch in production", async function () {
      const { batchRegistry, batchId, tree } = await loadFixture(productionBatch);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
    });

    it("answers Unreleased for a batch in production, even after its expiry", async function () {
      const { batchRegistry, batchId, tree, expiresAt } = await loadFixture(productionBatch);
      await time.increaseTo(expiresAt + DAY);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
    });

    it("answers Genuine for an active unit of a released batch, then Expired once it expired", async function () {
      const { batchRegistry, batchId, tree, expiresAt } = await loadFixture(releasedBatch);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 15n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      await time.increaseTo(expiresAt - 10n);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 15n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      await time.increaseTo(expiresAt);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 15n))).to.deep.equal([UnitVerdict.Expired, 0n]);
    });

    it("answers the unit's status and the party that set it: Dispensed, Destroyed, Stolen, Locked", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, hospital, maker, wholesalerQa, pharmacy, batchId, tree } = c;
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(maker).decommission(tree.unit(batchId, 1n), UnitStatus.Destroyed);
      await batchRegistry.connect(wholesalerQa).decommission(tree.unit(batchId, 2n), UnitStatus.Stolen);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 3n), UnitStatus.Locked);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Dispensed, HOSPITAL]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 1n))).to.deep.equal([UnitVerdict.Destroyed, MAKER]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 2n))).to.deep.equal([UnitVerdict.Stolen, WHOLESALER]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 3n))).to.deep.equal([UnitVerdict.Locked, PHARMACY]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 4n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      // The unit's own status wins over the batch's expiry.
      await time.increaseTo(c.expiresAt + DAY);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Dispensed, HOSPITAL]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 3n))).to.deep.equal([UnitVerdict.Locked, PHARMACY]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 4n))).to.deep.equal([UnitVerdict.Expired, 0n]);
    });

    it("answers the unit's status over the batch's production state", async function () {
      const c = await loadFixture(productionBatch);
      await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Locked);
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 2n))).to.deep.equal([UnitVerdict.Locked, MAKER]);
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 1n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
    });

    it("answers Genuine with the last party after an undo or a reactivation", async function () {
      const c = await loadFixture(dispensedUnit);
      await c.batchRegistry.connect(c.pharmacy).undoDispense(c.tree.unit(c.batchId, 3n));
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 3n))).to.deep.equal([UnitVerdict.Genuine, PHARMACY]);
    });

    it("answers for a unit whose proof is the root itself (a one-unit batch)", async function () {
      const c = await loadFixture(registeredProduct);
      const single = UnitTree.sequential(GTIN, 1, "ONE");
      expect(single.root).to.equal(leafOf(0n, single.hashOf(0n)));
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "ONE" }, single));
      const id = batchIdOf(GTIN, "ONE");
      expect(await verdictOf(c.batchRegistry, single.unit(id, 0n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
      expect(single.proofOf(0n)).to.deep.equal([]);
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

  describe("registry", function () {
    it("answers the consortium registry the implementation was built with", async function () {
      const { batchRegistry, registry } = await loadFixture(supplyParties);
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    });

    it("answers the stub registry for a BatchRegistry built over it", async function () {
      const { batchRegistry, stub } = await loadFixture(stubbedRegistry);
      expect(await batchRegistry.registry()).to.equal(stub);
    });
  });

  describe("mirroredMember", function () {
    it("holds every founder's primary admin after the deployment, as the registry records it", async function () {
      const c = await loadFixture(supplyParties);
      for (const [i, admin] of c.admins.entries()) {
        const expected = { partyId: BigInt(i + 1), role: Role.Admin, status: MemberStatus.Active };
        expect(await registryMemberOf(c, admin.address), `registry: admin of ${i + 1}`).to.deep.equal(expected);
        expect(await mirroredMemberOf(c.batchRegistry, admin.address), `mirror: admin of ${i + 1}`).to.deep.equal(expected);
      }
    });

    it("holds the members added after the deployment (pushed by the registry)", async function () {
      const c = await loadFixture(supplyParties);
      for (const [signer, partyId, role] of [
        [c.maker2, MAKER2, Role.Admin],
        [c.makerOperator, MAKER, Role.Operator],
        [c.makerQa, MAKER, Role.QA],
        [c.makerDevice, MAKER, Role.Device],
        [c.maker2Qa, MAKER2, Role.QA],
        [c.wholesalerQa, WHOLESALER, Role.QA],
        [c.pharmacyOperator, PHARMACY, Role.Operator],
        [c.pharmacyQa, PHARMACY, Role.QA],
        [c.pharmacyDevice, PHARMACY, Role.Device],
      ] as const) {
        const expected = { partyId, role, status: MemberStatus.Active };
        expect(await mirroredMemberOf(c.batchRegistry, signer.address), signer.address).to.deep.equal(expected);
        expect(await registryMemberOf(c, signer.address), signer.address).to.deep.equal(expected);
      }
    });

    it("answers an empty record for an account that is no member", async function () {
      const { batchRegistry, stranger, deployer, gov, registry } = await loadFixture(supplyParties);
      for (const account of [stranger.address, deployer.address, gov.address, await registry.getAddress(), ethers.ZeroAddress]) {
        expect(await mirroredMemberOf(batchRegistry, account), account).to.deep.equal(NO_MEMBER);
      }
    });

    it("follows a removal, and the BatchRegistry then refuses the account", async function () {
      const c = await loadFixture(supplyParties);
      await c.registry.connect(c.maker).removeMember(MAKER, c.makerOperator.address);
      expect(await mirroredMemberOf(c.batchRegistry, c.makerOperator.address)).to.deep.equal({
        partyId: MAKER,
        role: Role.Operator,
        status: MemberStatus.Removed,
      });
      await expect(c.batchRegistry.connect(c.makerOperator).registerProduct(GTIN, NAME, APPROVAL, 0n))
        .to.be.revertedWithCustomError(c.registry, "RegistryNotMember")
        .withArgs(c.makerOperator.address);
    });
  });

  describe("mirroredParty", function () {
    it("holds every founder party after the deployment, as the registry records it", async function () {
      const c = await loadFixture(supplyParties);
      expect(await mirroredPartyOf(c.batchRegistry, REGULATOR)).to.deep.equal({
        domain: Domain.Regulator,
        status: PartyStatus.Active,
        revokedLicences: 0n,
        licencesValidUntil: U48,
      });
      for (const [partyId, domain] of [
        [MAKER, Domain.Manufacturer],
        [WHOLESALER, Domain.Wholesaler],
        [HOSPITAL, Domain.Hospital],
        [LOGISTICS, Domain.Logistics],
        [PHARMACY, Domain.Pharmacy],
        [LABORATORY, Domain.Laboratory],
        [NOTARY, Domain.Notary],
        [MAKER2, Domain.Manufacturer],
      ] as const) {
        const expected = { domain, status: PartyStatus.Active, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY };
        expect(await mirroredPartyOf(c.batchRegistry, partyId), `party ${partyId}`).to.deep.equal(expected);
        expect(await registryGateOf(c, partyId), `party ${partyId}`).to.deep.equal(expected);
      }
    });

    it("answers an empty record for an unknown party", async function () {
      const { batchRegistry } = await loadFixture(supplyParties);
      for (const partyId of [0n, 10n, UNKNOWN, U64]) expect(await mirroredPartyOf(batchRegistry, partyId)).to.deep.equal(NO_PARTY);
    });

    it("follows a suspension and a licence revocation, as the registry records them", async function () {
      const c = await loadFixture(supplyParties);
      await c.registry.connect(c.regulator).suspendParty(PHARMACY);
      await c.registry.connect(c.regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution);
      for (const partyId of [PHARMACY, WHOLESALER]) {
        expect(await mirroredPartyOf(c.batchRegistry, partyId)).to.deep.equal(await registryGateOf(c, partyId));
      }
      expect((await mirroredPartyOf(c.batchRegistry, PHARMACY)).status).to.equal(PartyStatus.Suspended);
      expect((await mirroredPartyOf(c.batchRegistry, WHOLESALER)).revokedLicences).to.equal(1n);
    });
  });

  describe("mirrorMember", function () {
    it("stores the record the registry pushes and emits MemberMirrored; the checks read it", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, pharmacy, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      // The mirror, not the registry, answers: a QA record here makes the pharmacy's admin a QA member.
      const tx = await batchRegistry.connect(asRegistry).mirrorMember(pharmacy.address, { partyId: PHARMACY, role: Role.QA, status: MemberStatus.Active });
      await expectEvents(batchRegistry, tx, [["MemberMirrored", [pharmacy.address, PHARMACY, Role.QA, MemberStatus.Active]]]);
      expect(await mirroredMemberOf(batchRegistry, pharmacy.address)).to.deep.equal({ partyId: PHARMACY, role: Role.QA, status: MemberStatus.Active });
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(registry, "RegistryRoleNotAllowed")
        .withArgs(pharmacy.address, Role.QA);
    });

    it("falls back to the registry for an account the mirror holds no record of", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, pharmacy, stranger, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      await batchRegistry.connect(asRegistry).mirrorMember(pharmacy.address, { partyId: 0n, role: Role.None, status: MemberStatus.None });
      expect(await mirroredMemberOf(batchRegistry, pharmacy.address)).to.deep.equal(NO_MEMBER);
      const tx = await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Active, UnitStatus.Dispensed, pharmacy.address]],
      ]);
      // And the registry's own errors for an account it does not know either.
      await expect(batchRegistry.connect(stranger).dispense(tree.unit(batchId, 4n)))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(stranger.address);
    });

    for (const [title, pick] of [
      ["a non-member", (c: Ctx) => c.stranger],
      ["the deployer (the registry's bootstrapper)", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["the regulator's admin", (c: Ctx) => c.regulator],
      ["the member itself", (c: Ctx) => c.pharmacy],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(supplyParties);
        const caller = pick(c);
        await expect(c.batchRegistry.connect(caller).mirrorMember(c.pharmacy.address, { partyId: PHARMACY, role: Role.Admin, status: MemberStatus.Active }))
          .to.be.revertedWithCustomError(c.batchRegistry, "MirrorOnlyRegistry")
          .withArgs(caller.address);
      });
    }

    it("reverts when called by the BatchRegistry implementation, or by the proxy itself", async function () {
      const c = await loadFixture(supplyParties);
      for (const address of [await c.batchRegistry.getAddress(), await (await newImplementation(c)).getAddress()]) {
        const caller = await impersonate(address);
        await expect(c.batchRegistry.connect(caller).mirrorMember(c.stranger.address, { partyId: PHARMACY, role: Role.Admin, status: MemberStatus.Active }))
          .to.be.revertedWithCustomError(c.batchRegistry, "MirrorOnlyRegistry")
          .withArgs(address);
      }
      expect(await mirroredMemberOf(c.batchRegistry, c.stranger.address)).to.deep.equal(NO_MEMBER);
    });
  });

  describe("mirrorParty", function () {
    it("stores the gate the registry pushes and emits PartyMirrored; the checks read it", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, pharmacy, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      const gate = { domain: Domain.Pharmacy, status: PartyStatus.Suspended, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY };
      const tx = await batchRegistry.connect(asRegistry).mirrorParty(PHARMACY, gate);
      await expectEvents(batchRegistry, tx, [["PartyMirrored", [PHARMACY, Domain.Pharmacy, PartyStatus.Suspended, 0n, LICENCE_EXPIRY]]]);
      expect(await mirroredPartyOf(batchRegistry, PHARMACY)).to.deep.equal(gate);
      // The registry still says active; the mirror decides.
      expect((await registryGateOf(c, PHARMACY)).status).to.equal(PartyStatus.Active);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
      await expect(batchRegistry.connect(c.maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
    });

    it("falls back to the registry for a party the mirror holds no record of", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, maker, pharmacy, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      await batchRegistry.connect(asRegistry).mirrorParty(PHARMACY, NO_PARTY);
      expect(await mirroredPartyOf(batchRegistry, PHARMACY)).to.deep.equal(NO_PARTY);
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n);
      // The registry's own errors: an unknown receiver.
      await expect(batchRegistry.connect(maker).ship(batchId, UNKNOWN, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    for (const [title, pick] of [
      ["a non-member", (c: Ctx) => c.stranger],
      ["the deployer (the registry's bootstrapper)", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["the regulator's admin", (c: Ctx) => c.regulator],
      ["the party's own admin", (c: Ctx) => c.pharmacy],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(supplyParties);
        const caller = pick(c);
        await expect(
          c.batchRegistry
            .connect(caller)
            .mirrorParty(PHARMACY, { domain: Domain.Pharmacy, status: PartyStatus.Revoked, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY }),
        )
          .to.be.revertedWithCustomError(c.batchRegistry, "MirrorOnlyRegistry")
          .withArgs(caller.address);
        expect((await mirroredPartyOf(c.batchRegistry, PHARMACY)).status).to.equal(PartyStatus.Active);
      });
    }
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

  describe("upgradeToAndCall", function () {
    it("lets the governor upgrade, keeping every record", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, gov, batchId, tree } = c;
      await batchRegistry.connect(c.wholesaler).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      await batchRegistry.connect(c.maker).ship(batchId, LOGISTICS, 3n);
      const proxy = await batchRegistry.getAddress();
      const snapshot = async () => ({
        product: await productOf(batchRegistry, GTIN),
        national: await batchRegistry.productOfNationalCode(NATIONAL),
        batch: await batchOf(batchRegistry, batchId),
        held: await holdings(c, [MAKER, WHOLESALER, LOGISTICS, PHARMACY]),
        shipment: await shipmentOf(batchRegistry, shipmentIdOf(batchId, MAKER, 1n)),
        units: await Promise.all([3n, 4n, 5n].map((i) => unitOf(batchRegistry, batchId, i))),
        window: await batchRegistry.dispenseUndoWindow(),
        registry: await batchRegistry.registry(),
      });
      const before = await snapshot();
      const next = await newImplementation(c);
      const tx = await batchRegistry.connect(gov).upgradeToAndCall(await next.getAddress(), "0x");
      await expectEvents(batchRegistry, tx, [["Upgraded", [await next.getAddress()]]]);
      const word = await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT);
      expect(ethers.getAddress(ethers.dataSlice(word, 12))).to.equal(await next.getAddress());
      expect(await snapshot()).to.deep.equal(before);
      // And it still works.
      expect(await batchRegistry.connect(c.pharmacy).dispense.staticCall(tree.unit(batchId, 3n))).to.equal(true);
      await batchRegistry.connect(c.pharmacy).dispense(tree.unit(batchId, 4n));
    });

    it("runs the call data as the governor (e.g. setDispenseUndoWindow)", async function () {
      const c = await loadFixture(supplyParties);
      const { batchRegistry, gov } = c;
      const next = await newImplementation(c);
      const data = batchRegistry.interface.encodeFunctionData("setDispenseUndoWindow", [60n]);
      const tx = await batchRegistry.connect(gov).upgradeToAndCall(await next.getAddress(), data);
      await expectEvents(batchRegistry, tx, [
        ["Upgraded", [await next.getAddress()]],
        ["DispenseUndoWindowSet", [60n]],
      ]);
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(60n);
    });

    it("reverts when the new implementation is not UUPS", async function () {
      const { batchRegistry, gov, registry } = await loadFixture(supplyParties);
      // A mirror of the same registry (so it passes the registry check) without UUPS.
      const probe = await ethers.deployContract("MembershipMirrorProbe", [await registry.getAddress()]);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await probe.getAddress(), "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "ERC1967InvalidImplementation")
        .withArgs(await probe.getAddress());
    });

    it("reverts when the new implementation mirrors another registry", async function () {
      const { batchRegistry, gov, registry, stranger } = await loadFixture(supplyParties);
      const other = await deployBatchRegistryImplementation(stranger.address);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await other.getAddress(), "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
        .withArgs(await other.getAddress(), await registry.getAddress());
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    });

    it("reverts when the new implementation is no mirror at all", async function () {
      const { batchRegistry, gov, registry } = await loadFixture(supplyParties);
      const probe = await ethers.deployContract("MembershipCheckProbe", [await registry.getAddress()]);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await probe.getAddress(), "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
        .withArgs(await probe.getAddress(), await registry.getAddress());
    });

    it("reverts when the new implementation has no code", async function () {
      const { batchRegistry, gov, registry, stranger } = await loadFixture(supplyParties);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(stranger.address, "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
        .withArgs(stranger.address, await registry.getAddress());
    });

    it("reverts when value is sent without call data", async function () {
      const c = await loadFixture(supplyParties);
      const { batchRegistry, gov } = c;
      const next = await newImplementation(c);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await next.getAddress(), "0x", { value: 1n }))
        .to.be.revertedWithCustomError(batchRegistry, "ERC1967NonPayable")
        .withArgs();
    });

    it("reverts on the implementation (not through a proxy)", async function () {
      const c = await loadFixture(supplyParties);
      const implementation = await newImplementation(c);
      const { gov } = c;
      await expect(implementation.connect(gov).upgradeToAndCall(await implementation.getAddress(), "0x"))
        .to.be.revertedWithCustomError(implementation, "UUPSUnauthorizedCallContext")
        .withArgs();
    });

    itRejectsCallers(supplyParties, notGovernorCases<Ctx>(), async (c, s) => {
      const next = await newImplementation(c);
      return c.batchRegistry.connect(s).upgradeToAndCall(await next.getAddress(), "0x");
    });
  });

  describe("party id widths (SafeCast), reachable only through a stub registry", function () {
    it("reverts when a shipment's sender or receiver id does not fit in 48 bits, and accepts 2^48 − 1", async function () {
      const c = await loadFixture(stubbedRegistry);
      const { batchRegistry: br, maker, wideMaker, batchId, wideBatchId } = c;
      await expect(br.connect(maker).ship(batchId, 2n ** 48n, 1n))
        .to.be.revertedWithCustomError(br, "SafeCastOverflowedUintDowncast")
        .withArgs(48, 2n ** 48n);
      await expect(br.connect(wideMaker).ship(wideBatchId, 3n, 1n))
        .to.be.revertedWithCustomError(br, "SafeCastOverflowedUintDowncast")
        .withArgs(48, 2n ** 48n);
      await br.connect(maker).ship(batchId, U48, 1n);
      expect((await shipmentOf(br, shipmentIdOf(batchId, 2n, 2n))).to).to.equal(U48);
    });

    it("reverts when the party recorded on a unit does not fit in 24 bits, and accepts 2^24 − 1", async function () {
      const c = await loadFixture(stubbedRegistry);
      const { batchRegistry: br, widePharmacy, pharmacy, batchId, tree } = c;
      await expect(br.connect(widePharmacy).dispense(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(br, "SafeCastOverflowedUintDowncast")
        .withArgs(24, 2n ** 24n);
      await expect(br.connect(widePharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked))
        .to.be.revertedWithCustomError(br, "SafeCastOverflowedUintDowncast")
        .withArgs(24, 2n ** 24n);
      await br.connect(pharmacy).dispense(tree.unit(batchId, 0n));
      expect((await unitOf(br, batchId, 0n)).party).to.equal(2n ** 24n - 1n);
      expect(await br.holding(batchId, 2n ** 24n)).to.equal(5n);
    });

    it("checks membership through the stub (the registry fallback): it never pushes to the mirror", async function () {
      const { batchRegistry: br, pharmacy, widePharmacy, maker, batchId, tree } = await loadFixture(stubbedRegistry);
      for (const account of [maker.address, pharmacy.address, widePharmacy.address]) {
        expect(await mirroredMemberOf(br, account), account).to.deep.equal(NO_MEMBER);
      }
      for (const partyId of [2n, 2n ** 24n - 1n, 2n ** 24n]) expect(await mirroredPartyOf(br, partyId), `party ${partyId}`).to.deep.equal(NO_PARTY);
      const tx = await br.connect(pharmacy).dispense(tree.unit(batchId, 1n));
      await expectEvents(br, tx, [
        ["UnitStatusChanged", [batchId, 1n, 2n ** 24n - 1n, tree.hashOf(1n), UnitStatus.Active, UnitStatus.Dispensed, pharmacy.address]],
      ]);
      expect(await br.dispensedBy(batchId, 2n ** 24n - 1n)).to.equal(1n);
      expect((await mirroredMemberOf(br, pharmacy.address)).status).to.equal(MemberStatus.None);
    });
  });

  describe("proxiableUUID", function () {
    it("answers the ERC-1967 slot on the implementation and reverts through the proxy", async function () {
      const c = await loadFixture(supplyParties);
      const { batchRegistry } = c;
      const implementation = await newImplementation(c);
      expect(await implementation.proxiableUUID()).to.equal(IMPLEMENTATION_SLOT);
      await expect(batchRegistry.proxiableUUID()).to.be.revertedWithCustomError(batchRegistry, "UUPSUnauthorizedCallContext").withArgs();
      expect(await batchRegistry.UPGRADE_INTERFACE_VERSION()).to.equal("5.0.0");
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

  describe("quantity conservation", function () {
    it("holds after every step of a full custody story", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry: br, batchId, tree } = c;
      const steps: [string, () => Promise<unknown>][] = [
        ["maker ships 50 to wholesaler", () => br.connect(c.maker).ship(batchId, WHOLESALER, 50n)],
        ["maker ships 10 to logistics", () => br.connect(c.maker).ship(batchId, LOGISTICS, 10n)],
        ["wholesaler receives", () => br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 0n))],
        ["logistics rejects", () => br.connect(c.logistics).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 1n))],
        ["wholesaler ships 20 to pharmacy", () => br.connect(c.wholesaler).ship(batchId, PHARMACY, 20n)],
        ["wholesaler ships 5 to hospital", () => br.connect(c.wholesaler).ship(batchId, HOSPITAL, 5n)],
        ["wholesaler cancels the hospital shipment", () => br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n))],
        ["pharmacy receives", () => br.connect(c.pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 0n))],
        ["pharmacy dispenses unit 0", () => br.connect(c.pharmacy).dispense(tree.unit(batchId, 0n))],
        ["pharmacy dispenses unit 1", () => br.connect(c.pharmacy).dispense(tree.unit(batchId, 1n))],
        ["hospital presents unit 0 (suspect)", () => br.connect(c.hospital).dispense(tree.unit(batchId, 0n))],
        ["pharmacy undoes unit 1", () => br.connect(c.pharmacy).undoDispense(tree.unit(batchId, 1n))],
        ["wholesaler destroys unit 2", () => br.connect(c.wholesaler).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed)],
        ["maker reports unit 3 stolen", () => br.connect(c.maker).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen)],
        ["pharmacy locks unit 4", () => br.connect(c.pharmacy).decommission(tree.unit(batchId, 4n), UnitStatus.Locked)],
        ["pharmacy ships 3 back to wholesaler", () => br.connect(c.pharmacy).ship(batchId, WHOLESALER, 3n)],
        ["pharmacy reactivates unit 4", () => br.connect(c.pharmacy).reactivate(tree.unit(batchId, 4n))],
      ];
      const ledger = await expectConserved(c, batchId);
      expect(ledger).to.deep.equal({ quantity: QUANTITY, held: QUANTITY, inTransit: 0n, dispensed: 0n, destroyed: 0n, lost: 0n });
      for (const [title, step] of steps) {
        await step();
        const l = await ledgerOf(c, batchId);
        expect(l.held + l.inTransit + l.dispensed + l.destroyed + l.lost, title).to.equal(QUANTITY);
      }
      expect(await expectConserved(c, batchId)).to.deep.equal({ quantity: QUANTITY, held: 94n, inTransit: 3n, dispensed: 1n, destroyed: 1n, lost: 1n });
      expect(await holdings(c, [MAKER, WHOLESALER, LOGISTICS, HOSPITAL, PHARMACY])).to.deep.equal([49n, 29n, 0n, 0n, 16n]);
      expect(await dispensedBy(c, [MAKER, WHOLESALER, LOGISTICS, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 0n, 1n]);
    });
  });

  describe("replay", function () {
    it("rebuilds products, batches, holdings, dispensed counts, shipments, unit records and suspect counts from the log alone", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry: br, batchId, tree } = c;
      await br.connect(c.maker2).registerProduct(GTIN2, "Other", "H2", 42n);
      await br.connect(c.pharmacy).dispense(tree.unit(batchId, 0n));
      await br.connect(c.hospital).dispense(tree.unit(batchId, 1n));
      await br.connect(c.hospital).dispense(tree.unit(batchId, 0n));
      await br.connect(c.hospital).undoDispense(tree.unit(batchId, 1n));
      await br.connect(c.wholesaler).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed);
      await br.connect(c.maker).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen);
      await br.connect(c.pharmacy).decommission(tree.unit(batchId, 4n), UnitStatus.Locked);
      await br.connect(c.pharmacy).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      await br.connect(c.pharmacy).reactivate(tree.unit(batchId, 5n));
      await br.connect(c.wholesaler).ship(batchId, LOGISTICS, 4n);
      await br.connect(c.maker).ship(batchId, LOGISTICS, 6n);
      await br.connect(c.logistics).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 1n));
      await br.connect(c.maker).ship(batchId, HOSPITAL, 1n);
      await br.connect(c.maker).cancelShipment(batchId, shipmentIdOf(batchId, MAKER, 2n));
      await br.connect(c.gov).setDispenseUndoWindow(1234n);

      const logs = await br.queryFilter("*" as never);
      const blockTime = new Map<number, bigint>();
      const timeOf = async (n: number) => {
        if (!blockTime.has(n)) blockTime.set(n, BigInt((await ethers.provider.getBlock(n))!.timestamp));
        return blockTime.get(n)!;
      };
      const products = new Map<bigint, unknown[]>();
      const nationalCodes = new Map<bigint, bigint>();
      const batches = new Map<string, BatchView>();
      const held = new Map<string, bigint>();
      const dispensed = new Map<string, bigint>();
      /** Shipped events so far per (batch, sender): the next shipment's seq. */
      const shipped = new Map<string, bigint>();
      const shipments = new Map<string, ShipmentView>();
      const units = new Map<string, UnitView>();
      const suspects = new Map<string, bigint>();
      let window = 0n;
      const key = (...parts: unknown[]) => parts.map(String).join("/");
      const add = (b: string, p: bigint, d: bigint) => held.set(key(b, p), (held.get(key(b, p)) ?? 0n) + d);
      const count = (b: string, p: bigint, d: bigint) => dispensed.set(key(b, p), (dispensed.get(key(b, p)) ?? 0n) + d);
      for (const log of logs) {
        const parsed = br.interface.parseLog(log);
        if (parsed === null) continue;
        const a = parsed.args;
        const at = await timeOf(log.blockNumber);
        switch (parsed.name) {
          case "ProductRegistered":
            products.set(a.gtin, [a.holder, a.nationalCode, at, a.name, a.approvalNo]);
            if (a.nationalCode !== 0n) nationalCodes.set(a.nationalCode, a.gtin);
            break;
          case "BatchCreated":
            batches.set(a.batchId, {
              gtin: a.gtin,
              manufacturedAt: a.manufacturedAt,
              expiresAt: a.expiresAt,
              status: BatchStatus.Production,
              quantity: a.quantity,
              unitsRoot: a.unitsRoot,
              unitCount: a.unitCount,
              destroyed: 0n,
              lost: 0n,
              manufacturer: a.manufacturer,
            });
            add(a.batchId, a.manufacturer, a.quantity);
            break;
          case "BatchReleased":
            batches.get(a.batchId)!.status = BatchStatus.Released;
            break;
          case "Shipped": {
            // The event leaves out seq: it is the number of earlier Shipped events of the batch by the sender.
            const seq = shipped.get(key(a.batchId, a.from)) ?? 0n;
            shipped.set(key(a.batchId, a.from), seq + 1n);
            expect(shipmentIdOf(a.batchId, a.from, seq), "shipment id from the replayed seq").to.equal(a.shipmentId);
            shipments.set(a.shipmentId, { from: a.from, to: a.to, quantity: a.quantity, seq, shippedAt: at, status: ShipmentStatus.InTransit });
            add(a.batchId, a.from, 0n - (a.quantity as bigint));
            break;
          }
          case "ShipmentClosed":
            shipments.get(a.shipmentId)!.status = Number(a.status);
            add(a.batchId, a.creditedParty, a.quantity);
            break;
          case "UnitStatusChanged": {
            const b = batches.get(a.batchId)!;
            const [previous, status] = [Number(a.previous), Number(a.status)];
            units.set(key(a.batchId, a.index), { status, party: a.party, at });
            if (status === UnitStatus.Dispensed) count(a.batchId, a.party, 1n);
            if (previous === UnitStatus.Dispensed) count(a.batchId, a.party, -1n);
            if (status === UnitStatus.Destroyed) b.destroyed += 1n;
            if (status === UnitStatus.Stolen) b.lost += 1n;
            if (status === UnitStatus.Dispensed || status === UnitStatus.Destroyed || status === UnitStatus.Stolen) add(a.batchId, a.party, -1n);
            if (previous === UnitStatus.Dispensed) add(a.batchId, a.party, 1n);
            break;
          }
          case "SuspectUnitReported":
            suspects.set(a.batchId, a.reportNo);
            break;
          case "DispenseUndoWindowSet":
            window = a.window;
            break;
          default:
            break;
        }
      }
      for (const [gtin, p] of products) expect(await productOf(br, gtin), `product ${gtin}`).to.deep.equal(p);
      for (const [code, gtin] of nationalCodes) expect(await br.productOfNationalCode(code)).to.equal(gtin);
      for (const [id, b] of batches) expect(await batchOf(br, id), `batch ${id}`).to.deep.equal(b);
      for (const p of [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]) {
        expect(await br.holding(batchId, p), `holding of ${p}`).to.equal(held.get(key(batchId, p)) ?? 0n);
        expect(await br.dispensedBy(batchId, p), `dispensed by ${p}`).to.equal(dispensed.get(key(batchId, p)) ?? 0n);
      }
      for (const [id, s] of shipments) expect(await shipmentOf(br, id), `shipment ${id}`).to.deep.equal(s);
      for (let i = 0n; i < BigInt(UNITS); ++i) {
        expect(await unitOf(br, batchId, i), `unit ${i}`).to.deep.equal(units.get(key(batchId, i)) ?? ACTIVE_RECORD);
      }
      expect(await br.suspectReportCount(batchId)).to.equal(suspects.get(batchId) ?? 0n);
      expect(await br.dispenseUndoWindow()).to.equal(window);
      expect(products.size).to.equal(2);
      expect(shipments.size).to.equal(6);
      expect(units.size).to.equal(6);
      expect(suspects.get(batchId)).to.equal(1n);
      expect([dispensed.get(key(batchId, PHARMACY)), dispensed.get(key(batchId, HOSPITAL))]).to.deep.equal([1n, 0n]);
    });
  });
});

// ==== SHARED BEHAVIOURS ====

/** Closes the open shipment of `openShipment` in each of the three ways, with the status it ends in. */
function closings(): [string, (c: ShipmentCtx) => Promise<unknown>, number][] {
  return [
    ["received", (c) => c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId), ShipmentStatus.Received],
    ["cancelled", (c) => c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId), ShipmentStatus.Cancelled],
    ["rejected", (c) => c.batchRegistry.connect(c.wholesaler).rejectShipment(c.batchId, c.shipmentId), ShipmentStatus.Rejected],
  ];
}

/** An unknown shipment id, and a real one presented with another batch's id, are unknown shipments. */
function itRejectsUnknownShipments(
  call: (c: ShipmentCtx, s: Signer, batchId: string, shipmentId: string) => Promise<ContractTransactionResponse>,
  caller: (c: ShipmentCtx) => Signer,
): void {
  it("reverts on an unknown shipment id", async function () {
    const c = await loadFixture(openShipment);
    for (const id of [ethers.id("no such shipment"), ethers.ZeroHash, shipmentIdOf(c.batchId, MAKER, 1n)]) {
      await expect(call(c, caller(c), c.batchId, id))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownShipment")
        .withArgs(c.batchId, id);
    }
  });

  it("reverts when the shipment id is presented with another batch's id", async function () {
    const c = await loadFixture(openShipment);
    await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }));
    for (const other of [batchIdOf(GTIN, "LOT-2"), batchIdOf(GTIN2, LOT), ethers.ZeroHash]) {
      await expect(call(c, caller(c), other, c.shipmentId))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnknownShipment")
        .withArgs(other, c.shipmentId);
    }
    expect((await shipmentOf(c.batchRegistry, c.shipmentId)).status).to.equal(ShipmentStatus.InTransit);
  });
}

/** A unit presented with a proof that does not put it in the batch: wrong proof, index, hash or tree. */
function itRejectsInvalidProofs<C extends BatchCtx>(
  fixture: () => Promise<C>,
  call: (c: C, unit: UnitProof) => Promise<ContractTransactionResponse>,
  index = 2n,
): void {
  const forgeries: [string, (c: C) => UnitProof, bigint][] = [
    ["another unit's proof", (c) => ({ ...c.tree.unit(c.batchId, index), proof: c.tree.proofOf(index + 1n) }), index],
    ["the wrong index", (c) => ({ ...c.tree.unit(c.batchId, index), index: index + 1n }), index + 1n],
    ["an index beyond the tree", (c) => ({ ...c.tree.unit(c.batchId, index), index: index + 16n }), index + 16n],
    ["the wrong unit hash", (c) => ({ ...c.tree.unit(c.batchId, index), unitHash: ethers.id("counterfeit code") }), index],
    ["an empty proof", (c) => ({ ...c.tree.unit(c.batchId, index), proof: [] }), index],
    ["a truncated proof", (c) => ({ ...c.tree.unit(c.batchId, index), proof: c.tree.proofOf(index).slice(1) }), index],
    ["a proof from another batch's tree", (c) => UnitTree.sequential(GTIN, UNITS, "OTHER").unit(c.batchId, index), index],
    ["the leaf itself as the unit hash", (c) => ({ ...c.tree.unit(c.batchId, index), unitHash: leafOf(index, c.tree.hashOf(index)) }), index],
  ];
  for (const [title, forge, reportedIndex] of forgeries) {
    it(`reverts on ${title}`, async function () {
      const c = await loadFixture(fixture);
      await expect(call(c, forge(c)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidProof")
        .withArgs(c.batchId, reportedIndex);
    });
  }
}
