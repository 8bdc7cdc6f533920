/**
 * What the supply-ledger suites share (test/supply/BatchRegistry.test.ts,
 * ProductRegistry.test.ts, Routing.test.ts): constants, the named fixtures, view helpers,
 * caller tables and shared behaviours. No tests of its own.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role } from "../../sdk/enums.js";
import type { BatchRegistry, IBatchRegistry, ICollaborationEngine } from "../../types/ethers-contracts/index.js";
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
  WHOLESALER,
  ethers,
  networkHelpers,
} from "../helpers/fixtures.js";
import {
  type BatchInputStruct,
  ShipmentStatus,
  type SupplyConsortium,
  UnitStatus,
  UnitTree,
  type UnitProofStruct,
  batchIdOf,
  deployBatchRegistryImplementation,
  deploySupplyConsortium,
  inspect,
  leafOf,
  registerProduct,
  shipmentIdOf,
  standardSupplyConsortium,
} from "../helpers/supply.js";

// ==== CONSTANTS ====

export type Signer = HardhatEthersSigner;
export type BatchInput = BatchInputStruct;
export type UnitProof = UnitProofStruct;

export const { loadFixture, time } = networkHelpers;

/** A second manufacturer, admitted by the fixture after the standard consortium. */
export const MAKER2 = 9n;

/** The licence each party holds (issued by party 1, expiring at LICENCE_EXPIRY). */
export const LICENCE_OF: Record<string, number> = {
  [MAKER.toString()]: LicenceKind.Manufacturing,
  [WHOLESALER.toString()]: LicenceKind.Distribution,
  [HOSPITAL.toString()]: LicenceKind.MedicalInstitution,
  [LOGISTICS.toString()]: LicenceKind.GoodSupplyPractice,
  [PHARMACY.toString()]: LicenceKind.Distribution,
  [MAKER2.toString()]: LicenceKind.Manufacturing,
};

export const GTIN = 6901234567892n;
export const GTIN2 = 4006381333931n;
export const NAME = "Amoxicillin Capsules 0.25 g × 24";
export const APPROVAL = "国药准字H20230001";
export const NATIONAL = 8612345n;
export const LOT = "LOT-2026-001";
export const QUANTITY = 100n;
export const UNITS = 16;
export const DAY = 24n * 3600n;
export const UNDO_WINDOW = 10n * DAY;
/** The longest undo window setDispenseUndoWindow accepts: 30 days. */
export const MAX_UNDO_WINDOW = 30n * DAY;
export const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
export const U24 = 2n ** 24n - 1n;
export const U32 = 2n ** 32n - 1n;
export const U48 = 2n ** 48n - 1n;
export const U64 = 2n ** 64n - 1n;

/** The pharmaceutical graph's halting state a regulator enters by `transition`. */
export const EMERGENCY_STOP = 1;

// ==== FIXTURES ====

export interface Ctx extends SupplyConsortium {
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
  /** An operator of the regulator. */
  regOperator: Signer;
  /** A device of the regulator. */
  regDevice: Signer;
  /** A signer that never becomes a member. */
  stranger: Signer;
}

export interface BatchCtx extends Ctx {
  batchId: string;
  tree: UnitTree;
  input: BatchInput;
  manufacturedAt: bigint;
  expiresAt: bigint;
}

export interface ShipmentCtx extends BatchCtx {
  /** Maker → wholesaler, 30, in transit. */
  shipmentId: string;
}

export interface DispensedCtx extends BatchCtx {
  /** Unit 3, dispensed by the pharmacy's admin at `dispensedAt`. */
  dispensedAt: bigint;
}

export async function impersonate(address: string): Promise<Signer> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

export async function timestampOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error("no block");
  return BigInt(block.timestamp);
}

/** The standard consortium with its BatchRegistry, a second manufacturer (party 9) and extra members. */
export async function supplyParties(): Promise<Ctx> {
  const base = await standardSupplyConsortium();
  const { registry, governor, admins, others } = base;
  const gov = await impersonate(await governor.getAddress());
  const [maker2, makerOperator, makerQa, makerDevice, wholesalerQa, pharmacyOperator, pharmacyQa, pharmacyDevice, maker2Qa, stranger, regOperator] =
    others;
  // The signers run out: the regulator's device is an impersonated account.
  const regDevice = await impersonate(ethers.getAddress(ethers.zeroPadValue("0xdec1ce", 20)));
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
  await registry.connect(admins[0]).addMember(REGULATOR, regOperator.address, Role.Operator);
  await registry.connect(admins[0]).addMember(REGULATOR, regDevice.address, Role.Device);
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
    regOperator,
    regDevice,
    stranger,
  };
}

/** + product GTIN registered by the maker (applied, approved by the regulator), national code NATIONAL. */
export async function registeredProduct(): Promise<Ctx> {
  const c = await supplyParties();
  await registerProduct(c.batchRegistry, c.maker, c.regulator, GTIN, NAME, APPROVAL, NATIONAL);
  return c;
}

export async function batchInput(overrides: Partial<BatchInput> = {}, tree = UnitTree.sequential(GTIN, UNITS)): Promise<BatchInput> {
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
export async function productionBatch(): Promise<BatchCtx> {
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
export async function releasedBatch(): Promise<BatchCtx> {
  const c = await productionBatch();
  await inspect(c.batchRegistry, c.makerQa, c.batchId);
  await c.batchRegistry.connect(c.makerQa).releaseBatch(c.batchId);
  return c;
}

/** + maker ships 30 to the wholesaler, in transit. */
export async function openShipment(): Promise<ShipmentCtx> {
  const c = await releasedBatch();
  await c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, 30n);
  return { ...c, shipmentId: shipmentIdOf(c.batchId, MAKER, 0n) };
}

/** Released; maker → wholesaler 60 received, wholesaler → pharmacy 20 received: maker 40, wholesaler 40, pharmacy 20. */
export async function distributedBatch(): Promise<BatchCtx> {
  const c = await releasedBatch();
  await move(c, c.maker, WHOLESALER, c.wholesaler, 60n);
  await move(c, c.wholesaler, PHARMACY, c.pharmacy, 20n);
  return c;
}

/** + the pharmacy dispensed unit 3. */
export async function dispensedUnit(): Promise<DispensedCtx> {
  const c = await distributedBatch();
  const tx = await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 3n));
  return { ...c, dispensedAt: await timestampOf(tx) };
}

/** + the wholesaler locked unit 5 (one of its 40 set aside: 39 available). */
export async function lockedUnit(): Promise<BatchCtx> {
  const c = await distributedBatch();
  await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 5n), UnitStatus.Locked);
  return c;
}

/** + the hospital received 10 from the wholesaler (wholesaler 30, hospital 10). */
export async function hospitalStocked(): Promise<BatchCtx> {
  const c = await distributedBatch();
  await move(c, c.wholesaler, HOSPITAL, c.hospital, 10n);
  return c;
}

/**
 * distributedBatch, then the wholesaler destroyed unit 6, the maker reported unit 7 stolen
 * and the pharmacy locked unit 8 (unit 3 dispensed by the pharmacy, too): one unit in each
 * status the regulator can restore. Maker 39, wholesaler 39, pharmacy 19 held (1 locked).
 */
export async function markedUnits(): Promise<DispensedCtx> {
  const c = await dispensedUnit();
  await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 6n), UnitStatus.Destroyed);
  await c.batchRegistry.connect(c.maker).decommission(c.tree.unit(c.batchId, 7n), UnitStatus.Stolen);
  await c.batchRegistry.connect(c.pharmacy).decommission(c.tree.unit(c.batchId, 8n), UnitStatus.Locked);
  return c;
}

export interface StubCtx {
  batchRegistry: IBatchRegistry;
  stub: string;
  regulator: Signer;
  maker: Signer;
  wideMaker: Signer;
  pharmacy: Signer;
  widePharmacy: Signer;
  /** A signer not seated yet (tests seat it as they need). */
  spare: Signer;
  batchId: string;
  tree: UnitTree;
}

/**
 * A BatchRegistry over ConsortiumRegistryStub (contracts/mocks), which hands out party ids
 * the real registry never reaches: a regulator 1, maker 2, a manufacturer 2^48, pharmacies
 * 2^24 − 1 and 2^24. The maker has a released batch, of which each pharmacy holds 5; the
 * wide manufacturer has a product (a product's holder is kept in 64 bits) and no batch.
 */
export async function stubbedRegistry(): Promise<StubCtx> {
  const [, maker, wideMaker, pharmacy, widePharmacy, regulator, spare] = await ethers.getSigners();
  const stub = await ethers.deployContract("ConsortiumRegistryStub");
  await stub.seat(regulator.address, 1n, Domain.Regulator);
  await stub.seat(maker.address, 2n, Domain.Manufacturer);
  await stub.seat(wideMaker.address, 2n ** 48n, Domain.Manufacturer);
  await stub.seat(pharmacy.address, 2n ** 24n - 1n, Domain.Pharmacy);
  await stub.seat(widePharmacy.address, 2n ** 24n, Domain.Pharmacy);
  const implementation = await deployBatchRegistryImplementation(await stub.getAddress());
  const proxy = await ethers.deployContract("ERC1967Proxy", [
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData("initialize"),
  ]);
  const br = (await ethers.getContractAt("IBatchRegistry", await proxy.getAddress())) as unknown as IBatchRegistry;
  const tree = UnitTree.sequential(GTIN, UNITS);
  await registerProduct(br, maker, regulator, GTIN, NAME, APPROVAL, 0n);
  await registerProduct(br, wideMaker, regulator, GTIN2, NAME, APPROVAL, 0n);
  await br.connect(maker).createBatch(await batchInput({}, tree));
  const batchId = batchIdOf(GTIN, LOT);
  await inspect(br, maker, batchId);
  await br.connect(maker).releaseBatch(batchId);
  for (const [seq, [signer, party]] of ([[pharmacy, 2n ** 24n - 1n], [widePharmacy, 2n ** 24n]] as const).entries()) {
    await br.connect(maker).ship(batchId, party, 5n);
    await br.connect(signer).receiveShipment(batchId, shipmentIdOf(batchId, 2n, BigInt(seq)));
  }
  return { batchRegistry: br, stub: await stub.getAddress(), regulator, maker, wideMaker, pharmacy, widePharmacy, spare, batchId, tree };
}

/** Licences of the far-future consortium: valid until 2^40 seconds (year 36812). */
export const FAR_LICENCE_EXPIRY = 2n ** 40n;
/** When the far-future consortium is deployed: past 2^32 seconds (year 2106), where 32 bits of time end. */
export const FAR_NOW = 2n ** 32n + DAY;

export interface FarCtx {
  batchRegistry: IBatchRegistry;
  pharmacy: Signer;
  batchId: string;
  tree: UnitTree;
}

/**
 * At FAR_NOW, a consortium of a regulator (1), a manufacturer (2) and a pharmacy (3)
 * licensed until FAR_LICENCE_EXPIRY; a released batch of which the pharmacy holds 10.
 */
export async function farFutureBatch(): Promise<FarCtx> {
  await time.increaseTo(FAR_NOW);
  const licence = (kind: number) => [{ kind, documentHash: DOC, issuer: 1n, expiresAt: FAR_LICENCE_EXPIRY }];
  const c = await deploySupplyConsortium([
    { name: "Regulator", domain: Domain.Regulator, voter: true },
    { name: "Maker", domain: Domain.Manufacturer, voter: true, licences: licence(LicenceKind.Manufacturing) },
    { name: "Pharmacy", domain: Domain.Pharmacy, voter: true, licences: licence(LicenceKind.Distribution) },
  ]);
  const [regulator, maker, pharmacy] = c.admins;
  const [qa] = c.others;
  await c.registry.connect(maker).addMember(2n, qa.address, Role.QA);
  const br = c.batchRegistry;
  const tree = UnitTree.sequential(GTIN, UNITS);
  await registerProduct(br, maker, regulator, GTIN, NAME, APPROVAL, 0n);
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
export async function newImplementation(c: Ctx): Promise<BatchRegistry> {
  return await deployBatchRegistryImplementation(await c.registry.getAddress());
}

/** The proxy as `BatchRegistry`: for its UUPS functions only (the ledger is `c.batchRegistry`). */
export async function uupsOf(c: SupplyConsortium): Promise<BatchRegistry> {
  return (await ethers.getContractAt("BatchRegistry", await c.batchRegistry.getAddress())) as unknown as BatchRegistry;
}

/** The supply ledger's ABI at another address (an implementation or a module at its own address). */
export async function ledgerAt(address: string): Promise<IBatchRegistry> {
  return (await ethers.getContractAt("IBatchRegistry", address)) as unknown as IBatchRegistry;
}

/** The regulator stops `subject` (a batch, or a product as bytes32(gtin)): EmergencyStop, which halts trade. */
export async function stop(c: Ctx, subject: string): Promise<void> {
  const collaboration: ICollaborationEngine = c.collaboration;
  await collaboration.connect(c.regulator).transition(subject, EMERGENCY_STOP, "stop");
}

/** Ships `quantity` from `sender`'s party to `to`, received by `receiver`; returns the shipment id. */
export async function move(c: BatchCtx, sender: Signer, to: bigint, receiver: Signer, quantity: bigint): Promise<string> {
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
export async function inOneBlock(
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
export async function revertDataOf(hash: string): Promise<string> {
  const trace = (await ethers.provider.send("debug_traceTransaction", [hash])) as { failed: boolean; returnValue: string };
  expect(trace.failed, "the transaction failed").to.equal(true);
  return trace.returnValue.startsWith("0x") ? trace.returnValue : `0x${trace.returnValue}`;
}

export interface BatchView {
  gtin: bigint;
  manufacturedAt: bigint;
  expiresAt: bigint;
  status: number;
  quantity: bigint;
  unitsRoot: string;
  unitCount: bigint;
  dispensed: bigint;
  destroyed: bigint;
  lost: bigint;
  manufacturer: bigint;
}

export async function batchOf(br: IBatchRegistry, batchId: string): Promise<BatchView> {
  const b = await br.getBatch(batchId);
  return {
    gtin: b.gtin,
    manufacturedAt: b.manufacturedAt,
    expiresAt: b.expiresAt,
    status: Number(b.status),
    quantity: b.quantity,
    unitsRoot: b.unitsRoot,
    unitCount: b.unitCount,
    dispensed: b.dispensed,
    destroyed: b.destroyed,
    lost: b.lost,
    manufacturer: b.manufacturer,
  };
}

export interface ShipmentView {
  from: bigint;
  to: bigint;
  quantity: bigint;
  seq: bigint;
  shippedAt: bigint;
  status: number;
}

export async function shipmentOf(br: IBatchRegistry, shipmentId: string): Promise<ShipmentView> {
  const s = await br.getShipment(shipmentId);
  return { from: s.from, to: s.to, quantity: s.quantity, seq: s.seq, shippedAt: s.shippedAt, status: Number(s.status) };
}

export interface UnitView {
  status: number;
  party: bigint;
  at: bigint;
}

/** A product as [holder, nationalCode, registeredAt, name, approvalNo]. */
export async function productOf(br: IBatchRegistry, gtin: bigint): Promise<unknown[]> {
  const p = await br.getProduct(gtin);
  return [p.holder, p.nationalCode, p.registeredAt, p.name, p.approvalNo];
}

export interface ProductView {
  holder: bigint;
  nationalCode: bigint;
  registeredAt: bigint;
  state: bigint;
  limits: bigint;
  name: string;
  approvalNo: string;
}

/** A pending application, every field. */
export async function applicationOf(br: IBatchRegistry, gtin: bigint, applicant: bigint): Promise<ProductView> {
  const p = await br.productApplication(gtin, applicant);
  return { holder: p.holder, nationalCode: p.nationalCode, registeredAt: p.registeredAt, state: p.state, limits: p.limits, name: p.name, approvalNo: p.approvalNo };
}

/** A registered product, every field. */
export async function fullProductOf(br: IBatchRegistry, gtin: bigint): Promise<ProductView> {
  const p = await br.getProduct(gtin);
  return { holder: p.holder, nationalCode: p.nationalCode, registeredAt: p.registeredAt, state: p.state, limits: p.limits, name: p.name, approvalNo: p.approvalNo };
}

/** What productApplication answers when there is no application. */
export const NO_APPLICATION: ProductView = { holder: 0n, nationalCode: 0n, registeredAt: 0n, state: 0n, limits: 0n, name: "", approvalNo: "" };

export async function unitOf(br: IBatchRegistry, batchId: string, index: bigint): Promise<UnitView> {
  const [status, party, at] = await br.unitRecord(batchId, index);
  return { status: Number(status), party, at };
}

export async function verdictOf(br: IBatchRegistry, unit: UnitProof): Promise<[number, bigint]> {
  const [verdict, party] = await br.verify(unit);
  return [Number(verdict), party];
}

export async function holdings(c: BatchCtx, parties: bigint[]): Promise<bigint[]> {
  return Promise.all(parties.map((p) => c.batchRegistry.holding(c.batchId, p)));
}

/** What each party has dispensed of the context's batch (net of undos). */
export async function dispensedBy(c: BatchCtx, parties: bigint[]): Promise<bigint[]> {
  return Promise.all(parties.map((p) => c.batchRegistry.dispensedBy(c.batchId, p)));
}

export interface CustodyView {
  held: bigint;
  inTransit: bigint;
  dispensed: bigint;
  suspended: bigint;
  locked: bigint;
  shipments: bigint;
}

/** A party's whole custody of a batch ({IProductRegistry-custody}). */
export async function custodyOf(br: IBatchRegistry, batchId: string, party: bigint): Promise<CustodyView> {
  const k = await br.custody(batchId, party);
  return { held: k.held, inTransit: k.inTransit, dispensed: k.dispensed, suspended: k.suspended, locked: k.locked, shipments: k.shipments };
}

/** A custody record: zeroes, then `fields`. */
export function custody(fields: Partial<CustodyView>): CustodyView {
  return { held: 0n, inTransit: 0n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 0n, ...fields };
}

export const ACTIVE_RECORD: UnitView = { status: UnitStatus.Active, party: 0n, at: 0n };

export interface MemberView {
  partyId: bigint;
  role: number;
  status: number;
}

export interface PartyGateView {
  domain: number;
  status: number;
  revokedLicences: bigint;
  licencesValidUntil: bigint;
}

export const NO_MEMBER: MemberView = { partyId: 0n, role: Role.None, status: MemberStatus.None };
export const NO_PARTY: PartyGateView = { domain: Domain.None, status: PartyStatus.None, revokedLicences: 0n, licencesValidUntil: 0n };

export async function mirroredMemberOf(br: IBatchRegistry, account: string): Promise<MemberView> {
  const m = await br.mirroredMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

export async function mirroredPartyOf(br: IBatchRegistry, partyId: bigint): Promise<PartyGateView> {
  const g = await br.mirroredParty(partyId);
  return { domain: Number(g.domain), status: Number(g.status), revokedLicences: g.revokedLicences, licencesValidUntil: g.licencesValidUntil };
}

/** The registry's own member record, in the mirror's shape. */
export async function registryMemberOf(c: Ctx, account: string): Promise<MemberView> {
  const m = await c.registry.getMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

/** What the mirror's checks read of a party, from the registry's own record. */
export async function registryGateOf(c: Ctx, partyId: bigint): Promise<PartyGateView> {
  const p = await c.registry.getParty(partyId);
  return { domain: Number(p.domain), status: Number(p.status), revokedLicences: p.revokedLicences, licencesValidUntil: p.licencesValidUntil };
}

// ==== CALLER TABLES (shared cases in test/helpers/callers.ts) ====

/** Non-registry errors come from the batch registry. */
export function itRejectsCallers<C extends Ctx>(
  fixture: () => Promise<C>,
  cases: CallerCase<C>[],
  call: (c: C, caller: Signer) => Promise<ContractTransactionResponse>,
): void {
  // The tables' callers are this file's signers (HardhatEthersSigner).
  itRejects(fixture, cases, (c, caller) => call(c, caller as Signer), (c) => c.batchRegistry);
}

/** {standingCases} with this file's licences (party 9 is a second manufacturer). */
export function standingCases<C extends Ctx>(party: bigint, name: string, pick: (c: C) => Signer): CallerCase<C>[] {
  return sharedStandingCases<C>(party, name, pick, LICENCE_OF[party.toString()]);
}

/** Callers of the manufacturer actor functions (registerProduct, createBatch). */
export function manufacturerActorCases<C extends Ctx>(): CallerCase<C>[] {
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

/** Callers of the regulator actor functions (approveProduct, restoreUnit): everyone but a regulator's admin or operator. */
export function regulatorActorCases<C extends Ctx>(): CallerCase<C>[] {
  return [
    ...nonMemberCases<C>(),
    wrongRole("a device of the regulator", (c) => c.regDevice, Role.Device),
    wrongDomain("the maker's admin", (c) => c.maker, MAKER, Domain.Manufacturer),
    wrongDomain("the maker's QA", (c) => c.makerQa, MAKER, Domain.Manufacturer),
    wrongDomain("the wholesaler's admin", (c) => c.wholesaler, WHOLESALER, Domain.Wholesaler),
    wrongDomain("the pharmacy's admin", (c) => c.pharmacy, PHARMACY, Domain.Pharmacy),
    wrongDomain("the laboratory's admin", (c) => c.laboratory, LABORATORY, Domain.Laboratory),
    wrongDomain("the notary's admin", (c) => c.notary, NOTARY, Domain.Notary),
  ];
}

/** Callers of the custody functions acting for party `party` (its admin `pick`). */
export function custodianCases<C extends Ctx>(party: bigint, name: string, pick: (c: C) => Signer): CallerCase<C>[] {
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
export function dispenserCases<C extends Ctx>(): CallerCase<C>[] {
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
export function notGovernorCases<C extends Ctx>(): CallerCase<C>[] {
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
    notGovernor("the regulator's operator", async (c) => c.regOperator),
    notGovernor("the maker's admin", async (c) => c.maker),
    notGovernor("the maker's QA", async (c) => c.makerQa),
    notGovernor("the pharmacy's admin", async (c) => c.pharmacy),
    notGovernor("the registry proxy itself", async (c) => impersonate(await c.registry.getAddress())),
  ];
}

// ==== SHARED BEHAVIOURS ====

/** Closes the open shipment of `openShipment` in each of the three ways, with the status it ends in. */
export function closings(): [string, (c: ShipmentCtx) => Promise<unknown>, number][] {
  return [
    ["received", (c) => c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId), ShipmentStatus.Received],
    ["cancelled", (c) => c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId), ShipmentStatus.Cancelled],
    ["rejected", (c) => c.batchRegistry.connect(c.wholesaler).rejectShipment(c.batchId, c.shipmentId), ShipmentStatus.Rejected],
  ];
}

/** An unknown shipment id, and a real one presented with another batch's id, are unknown shipments. */
export function itRejectsUnknownShipments(
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
export function itRejectsInvalidProofs<C extends BatchCtx>(
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
