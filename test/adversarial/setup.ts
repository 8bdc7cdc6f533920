/**
 * The arena of the adversarial suite (issue 12: a hostile member can't hurt the others):
 * MedState deployed through its Ignition module with the module's DEFAULT governance
 * parameters, ten founders (the standard eight, a rival manufacturer and a second
 * pharmacy), a product with cold-chain and adverse-count rules, and a released batch
 * spread over several custodians. Each attack test starts from one of these fixtures, and
 * reads the views below before and after the attack to show that nothing changed.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { Signer } from "ethers";

import MedStateModule from "../../deploy/modules/MedState.js";
import { Domain, LicenceKind, Point, Role } from "../../sdk/enums.js";
import type {
  ConsortiumGovernor,
  ConsortiumRegistry,
  IBatchRegistry,
  ICollaborationEngine,
  IQualityEngine,
  ISuspectProduct,
} from "../../types/ethers-contracts/index.js";
import { DOC, LICENCE_EXPIRY, LOGISTICS, MAKER, PHARMACY, WHOLESALER, connection, ethers, networkHelpers } from "../helpers/fixtures.js";
import { DAY, GTIN, LOT, UNITS, vaccineRules } from "../helpers/quality.js";
import { UnitTree, batchIdOf, inspect, registerProduct as applyAndApprove, shipmentIdOf } from "../helpers/supply.js";

export { HOSPITAL, LABORATORY, LOGISTICS, MAKER, NOTARY, PHARMACY, REGULATOR, WHOLESALER } from "../helpers/fixtures.js";
/** The rival manufacturer (not a voter). */
export const RIVAL = 9n;
/** A second pharmacy: the competitor whose shelf the hostile pharmacy aims at. */
export const PHARMACY2 = 10n;

/** ERC-1967 implementation slot: keccak256("eip1967.proxy.implementation") − 1. */
export const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

export interface Arena {
  registry: ConsortiumRegistry;
  governor: ConsortiumGovernor;
  /** The supply ledger at the BatchRegistry proxy: its whole ABI. */
  batchRegistry: IBatchRegistry;
  quality: IQualityEngine;
  collaboration: ICollaborationEngine;
  suspects: ISuspectProduct;
  deployer: HardhatEthersSigner;
  /** admins[i] is the primary admin of party i + 1 (as in test/helpers/fixtures.ts). */
  admins: HardhatEthersSigner[];
  /** The governor's address as a signer (impersonated): what an executed proposal does. */
  gov: HardhatEthersSigner;
  regulator: HardhatEthersSigner;
  maker: HardhatEthersSigner;
  wholesaler: HardhatEthersSigner;
  hospital: HardhatEthersSigner;
  logistics: HardhatEthersSigner;
  pharmacy: HardhatEthersSigner;
  laboratory: HardhatEthersSigner;
  notary: HardhatEthersSigner;
  rival: HardhatEthersSigner;
  pharmacy2: HardhatEthersSigner;
  /** The maker's QA member. */
  makerQa: HardhatEthersSigner;
  /** A second (not primary) admin of the maker. */
  makerAdmin2: HardhatEthersSigner;
  /** A device of the logistics party: its key is the one stolen. */
  logisticsDevice: HardhatEthersSigner;
  /** Anyone who relays signed observations (no member). */
  relayer: HardhatEthersSigner;
  /** No member, used where an attacker needs a fresh account of its own. */
  stranger: HardhatEthersSigner;
  others: HardhatEthersSigner[];
}

export interface BatchArena extends Arena {
  batchId: string;
  tree: UnitTree;
}

const lic = (kind: number) => [{ kind, documentHash: DOC, issuer: 1n, expiresAt: LICENCE_EXPIRY }];

/** The founders: party i + 1 is founders[i], with signer i + 1 as primary admin. */
export const FOUNDERS = [
  { name: "Regulator", domain: Domain.Regulator, voter: true, licences: [] },
  { name: "Maker", domain: Domain.Manufacturer, voter: true, licences: lic(LicenceKind.Manufacturing) },
  { name: "Wholesaler", domain: Domain.Wholesaler, voter: true, licences: lic(LicenceKind.Distribution) },
  { name: "Hospital", domain: Domain.Hospital, voter: true, licences: lic(LicenceKind.MedicalInstitution) },
  { name: "Logistics", domain: Domain.Logistics, voter: false, licences: lic(LicenceKind.GoodSupplyPractice) },
  { name: "Pharmacy", domain: Domain.Pharmacy, voter: false, licences: lic(LicenceKind.Distribution) },
  { name: "Laboratory", domain: Domain.Laboratory, voter: false, licences: lic(LicenceKind.LaboratoryAccreditation) },
  { name: "Notary", domain: Domain.Notary, voter: false, licences: lic(LicenceKind.Notarial) },
  { name: "Rival Maker", domain: Domain.Manufacturer, voter: false, licences: lic(LicenceKind.Manufacturing) },
  { name: "Pharmacy Two", domain: Domain.Pharmacy, voter: false, licences: lic(LicenceKind.Distribution) },
];

export async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

/** Deploys MedState through the Ignition module with ONLY the founders: governance takes the module's defaults. */
export async function arena(): Promise<Arena> {
  const [deployer, ...rest] = await ethers.getSigners();
  const admins = rest.slice(0, FOUNDERS.length);
  const [makerQa, makerAdmin2, logisticsDevice, relayer, stranger, ...others] = rest.slice(FOUNDERS.length);
  const deployed = await connection.ignition.deploy(MedStateModule, {
    parameters: { MedState: { founders: FOUNDERS.map((f, i) => ({ ...f, admin: admins[i].address })) } },
    defaultSender: deployer.address,
  });
  const proxy = await deployed.batchRegistry.getAddress();
  const registry = (await ethers.getContractAt("ConsortiumRegistry", await deployed.registry.getAddress())) as unknown as ConsortiumRegistry;
  const governor = (await ethers.getContractAt("ConsortiumGovernor", await deployed.governor.getAddress())) as unknown as ConsortiumGovernor;
  await registry.connect(admins[1]).addMember(MAKER, makerQa.address, Role.QA);
  await registry.connect(admins[1]).addMember(MAKER, makerAdmin2.address, Role.Admin);
  await registry.connect(admins[4]).addMember(5n, logisticsDevice.address, Role.Device);
  return {
    registry,
    governor,
    batchRegistry: (await ethers.getContractAt("IBatchRegistry", proxy)) as unknown as IBatchRegistry,
    quality: (await ethers.getContractAt("IQualityEngine", proxy)) as unknown as IQualityEngine,
    collaboration: (await ethers.getContractAt("ICollaborationEngine", proxy)) as unknown as ICollaborationEngine,
    suspects: (await ethers.getContractAt("ISuspectProduct", proxy)) as unknown as ISuspectProduct,
    deployer,
    admins,
    gov: await impersonate(await governor.getAddress()),
    regulator: admins[0],
    maker: admins[1],
    wholesaler: admins[2],
    hospital: admins[3],
    logistics: admins[4],
    pharmacy: admins[5],
    laboratory: admins[6],
    notary: admins[7],
    rival: admins[8],
    pharmacy2: admins[9],
    makerQa,
    makerAdmin2,
    logisticsDevice,
    relayer,
    stranger,
    others,
  };
}

/** Cold chain 2–8 °C; critical transport, storage, inspection and adverse reports stop; 3 adverse reports in 7 days stop. */
export const RULES = vaccineRules({
  stopOnCritical: (1 << Point.Transport) | (1 << Point.Storage) | (1 << Point.Inspection) | (1 << Point.Adverse),
  adverseCount: 3n,
  adverseWindow: 7n * DAY,
});

/** Registers a product for `holder`: it applies, the regulator approves. */
export async function registerProduct(c: Arena, holder: Signer, gtin: bigint, name: string, approvalNo: string, nationalCode = 0n): Promise<void> {
  await applyAndApprove(c.batchRegistry, holder, c.regulator, gtin, name, approvalNo, nationalCode);
}

/** + the maker's vaccine (GTIN, national code 1234567) with {@link RULES}. */
export async function productArena(): Promise<Arena> {
  const c = await arena();
  await registerProduct(c, c.maker, GTIN, "Vaccine", "S20260001", 1234567n);
  await c.quality.connect(c.maker).setRules(GTIN, RULES);
  return c;
}

/** Creates batch `lot` of GTIN (100 boxes, the units of `tree`) by the maker. */
export async function createBatch(c: Arena, lot: string, tree: UnitTree, quantity = 100n): Promise<string> {
  const now = BigInt(await networkHelpers.time.latest());
  await c.batchRegistry.connect(c.maker).createBatch({
    gtin: GTIN,
    lot,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity,
    unitsRoot: tree.root,
    unitCount: tree.count,
  });
  return batchIdOf(GTIN, lot);
}

/**
 * + batch LOT (100 boxes, 16 units) inspected, released and shipped: maker → wholesaler 60,
 * wholesaler → pharmacy 1 (the hostile pharmacy's one box), wholesaler → pharmacy two 10;
 * all received. Holdings: maker 40, wholesaler 49, pharmacy 1, pharmacy two 10 (the
 * hospital never receives any).
 */
export async function batchArena(): Promise<BatchArena> {
  const c = await productArena();
  const tree = UnitTree.sequential(GTIN, UNITS);
  const batchId = await createBatch(c, LOT, tree);
  const br = c.batchRegistry;
  await inspect(br, c.makerQa, batchId);
  await br.connect(c.makerQa).releaseBatch(batchId);
  await br.connect(c.maker).ship(batchId, WHOLESALER, 60n);
  await br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 0n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 1n);
  await br.connect(c.pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 0n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY2, 10n);
  await br.connect(c.pharmacy2).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));
  return { ...c, batchId, tree };
}

/** + stopped and a level I recall opened by the regulator. */
export async function recalledArena(): Promise<BatchArena> {
  const c = await batchArena();
  await c.collaboration.connect(c.regulator).transition(c.batchId, 1, "excursion");
  await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "cold chain broken");
  return c;
}

/** The implementation behind an ERC-1967 proxy. */
export async function implementationOf(proxy: { getAddress(): Promise<string> }): Promise<string> {
  const raw = await ethers.provider.getStorage(await proxy.getAddress(), IMPLEMENTATION_SLOT);
  return ethers.getAddress(ethers.dataSlice(raw, 12));
}

/**
 * A hostile membership mirror, hand-assembled: it answers `registry()` with `registry`
 * (so attachMirror takes it) and reverts on every other call (every push), or, with
 * `burn`, spins until its gas runs out.
 */
export async function deployBrokenMirror(from: Signer, registry: string, burn = false): Promise<string> {
  const selector = ethers.id("registry()").slice(2, 10);
  const otherwise = burn ? "5b600f5600" : "60006000fd"; // JUMPDEST PUSH1 0x0f JUMP STOP | PUSH1 0 PUSH1 0 REVERT
  const runtime =
    "60003560e01c63" + selector + "14601457" + otherwise + "5b73" + registry.slice(2).toLowerCase() + "60005260206000f3";
  const length = runtime.length / 2;
  const init = "60" + length.toString(16).padStart(2, "0") + "80600b6000396000f3";
  const receipt = await (await from.sendTransaction({ data: "0x" + init + runtime })).wait();
  if (receipt?.contractAddress == null) throw new Error("mirror not deployed");
  return receipt.contractAddress;
}

/** A GTIN-14 with the right GS1 check digit for `body` (13 digits). */
export function gtinOf(body: bigint): bigint {
  const digits = body.toString().padStart(13, "0").split("").map(Number);
  const sum = digits.reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 3 : 1), 0);
  return body * 10n + BigInt((10 - (sum % 10)) % 10);
}

/** Votes with each signer in order. */
export async function voteAll(c: Arena, id: bigint, voters: Signer[]): Promise<void> {
  for (const v of voters) await c.governor.connect(v).vote(id);
}

/**
 * + the wholesaler ships 5 to the logistics party, which receives them: a carrier linked
 * to the batch (holding 5).
 */
export async function carrierArena(): Promise<BatchArena> {
  const c = await batchArena();
  await c.batchRegistry.connect(c.wholesaler).ship(c.batchId, LOGISTICS, 5n);
  await c.batchRegistry.connect(c.logistics).receiveShipment(c.batchId, shipmentIdOf(c.batchId, WHOLESALER, 2n));
  return c;
}

// ==== VIEWS READ BEFORE AND AFTER AN ATTACK ====

/** An ethers Result (or anything) as plain nested arrays, for deep comparison. */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value as unknown[], plain);
  return value;
}

/** Everything the ledger and the engines say about a batch and its product. */
export async function ledgerView(
  c: Pick<Arena, "registry" | "batchRegistry" | "collaboration" | "suspects">,
  batchId: string,
): Promise<unknown> {
  const { batchRegistry: br, collaboration, suspects } = c;
  const batch = await br.getBatch(batchId);
  const parties = await c.registry.partyCount();
  const custody: unknown[] = [];
  for (let p = 1n; p <= parties; ++p) custody.push(plain(await br.custody(batchId, p)));
  const units: unknown[] = [];
  for (let i = 0n; i < batch.unitCount; ++i) units.push(plain(await br.unitRecord(batchId, i)));
  const outstanding: unknown[] = [];
  for (let p = 1n; p <= parties; ++p) outstanding.push(plain(await collaboration.outstanding(batchId, p)));
  return {
    batch: plain(batch),
    custody,
    units,
    outstanding,
    subject: plain(await collaboration.subjectRecord(batchId)),
    product: plain(await collaboration.subjectRecord(ethers.toBeHex(batch.gtin, 32))),
    suspects: plain(await suspects.suspectCount(batchId)),
    suspectReports: await br.suspectReportCount(batchId),
  };
}

/** Everything the registry says about parties, the given accounts, voters and mirrors. */
export async function registryView(c: Pick<Arena, "registry">, accounts: string[] = []): Promise<unknown> {
  const { registry } = c;
  const parties: unknown[] = [];
  for (let p = 1n; p <= (await registry.partyCount()); ++p) parties.push(plain(await registry.getParty(p)));
  const members: unknown[] = [];
  for (const a of accounts) members.push([a, plain(await registry.getMember(a)), await registry.reservedUntil(a)]);
  return {
    parties,
    members,
    activeVoters: await registry.activeVoterCount(),
    thresholdVoters: await registry.thresholdVoterCount(),
    regulatorSuspended: await registry.regulatorSuspendedVoterCount(),
    mirrors: plain(await registry.mirrors()),
  };
}

/** Every proposal, the parameters and the current threshold. */
export async function governorView(c: Pick<Arena, "governor">): Promise<unknown> {
  const { governor } = c;
  const proposals: unknown[] = [];
  for (let id = 1n; id <= (await governor.proposalCount()); ++id) proposals.push(plain(await governor.getProposal(id)));
  return {
    proposals,
    parameters: plain(await governor.parameters()),
    threshold: await governor.currentThreshold(),
    implementation: await implementationOf(governor),
  };
}
