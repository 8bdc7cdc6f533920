import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { Signer } from "ethers";

import { Domain, LicenceKind, Point, ProposalKind, Result, Role, mask } from "../../sdk/enums.js";
import { OBSERVATION_TYPES, READING_TYPES } from "../../sdk/quality.js";
import type { IQualityEngine, ISuspectProduct } from "../../types/ethers-contracts/index.js";
import {
  type Consortium,
  DOC,
  HOSPITAL,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  PHARMACY,
  REGULATOR,
  VOTING_PERIOD,
  WHOLESALER,
  deployConsortium,
  ethers,
  networkHelpers,
  standardConsortium,
} from "./fixtures.js";
import {
  type Ledger,
  NO_HUMIDITY,
  NO_TEMPERATURE,
  UnitTree,
  batchIdOf,
  inspect,
  ledgerOf,
  registerProduct,
  shipmentIdOf,
} from "./supply.js";

// ==== ENUM MIRRORS (IQualityEngine, ICollaborationEngine), checked against the AST in test/sdk/enums.test.ts ====

export { Actor, CaseStatus, DestructionStatus, Point, Result, RuleKind, StateKind } from "../../sdk/enums.js";
/** The pharmaceutical graph's state ids. */
export const State = { Marketed: 0, EmergencyStop: 1, Recall: 2, Destroyed: 3, Deregistered: 4 } as const;

/** Open bounds of a rules range (QualityLimits). */
export const NO_MIN = -32768n;
export const NO_MAX = 32767n;
export const NO_MAX_HUMIDITY = 255n;
export { NO_HUMIDITY, NO_TEMPERATURE };

export const DAY = 24n * 3600n;
export const GTIN = 6901234567892n;
export const LOT = "VAX-2026-001";
export const QUANTITY = 100n;
export const UNITS = 16;

/** A product as a subject: bytes32(uint256(gtin)). */
export function productSubject(gtin: bigint): string {
  return ethers.toBeHex(gtin, 32);
}

export function recallIdOf(batchId: string, no: bigint): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "string", "uint32"], [batchId, "recall", no]));
}

export function destructionIdOf(batchId: string, no: bigint): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "string", "uint32"], [batchId, "destruction", no]));
}

/** A suspect case's id: keccak256(abi.encode(bytes32 batchId, "suspect", uint32 n)), n counting the batch's cases. */
export function caseIdOf(batchId: string, no: bigint): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "string", "uint32"], [batchId, "suspect", no]));
}

/** An observation with no measures, no correction and no evidence, then `overrides`. */
export function observation(
  subject: string,
  point: number,
  result: number = Result.Normal,
  overrides: Partial<IQualityEngine.ObservationStruct> = {},
): IQualityEngine.ObservationStruct {
  return {
    subject,
    point,
    result,
    temperature: NO_TEMPERATURE,
    humidity: NO_HUMIDITY,
    corrects: 0n,
    evidenceHash: ethers.ZeroHash,
    evidenceUri: "",
    ...overrides,
  };
}

/** The 2–8 °C vaccine rules: storage and transport 2–8 °C, humidity ≤ 65 %, critical storage, transport and inspection stop. */
export function vaccineRules(overrides: Partial<IQualityEngine.RulesStruct> = {}): IQualityEngine.RulesStruct {
  return {
    storageRange: { minTemperature: 200n, maxTemperature: 800n, maxHumidity: 65n },
    transportRange: { minTemperature: 200n, maxTemperature: 800n, maxHumidity: NO_MAX_HUMIDITY },
    stopOnCritical: (1 << Point.Transport) | (1 << Point.Storage) | (1 << Point.Inspection),
    adverseCount: 0n,
    adverseWindow: 0n,
    ruleContract: ethers.ZeroAddress,
    ruleGas: 0n,
    ...overrides,
  };
}

/** EIP-712 signature of `o` by `device` with nonce `nonce` and `deadline`, for the engine at `verifyingContract`. */
export async function signObservation(
  device: Signer,
  verifyingContract: string,
  o: IQualityEngine.ObservationStruct,
  nonce: bigint,
  deadline: bigint,
): Promise<IQualityEngine.SignedObservationStruct> {
  const { chainId } = await ethers.provider.getNetwork();
  const signature = await device.signTypedData(
    { name: "MedState", version: "1", chainId, verifyingContract },
    OBSERVATION_TYPES,
    { ...o, nonce, deadline },
  );
  return { observation: o, device: await device.getAddress(), deadline, signature };
}

/** A plain reading (IQualityEngine.Reading). */
export function reading(
  point: number,
  temperature: bigint = NO_TEMPERATURE,
  humidity: bigint = NO_HUMIDITY,
  result: number = Result.Normal,
): IQualityEngine.ReadingStruct {
  return { point, result, temperature, humidity };
}

/**
 * A reading of `subject` signed by `device` (EIP-712 type Reading, EIP-2098 compact
 * signature) with nonce `nonce` and `deadline`, for the engine at `verifyingContract`.
 */
export async function signReading(
  device: Signer,
  verifyingContract: string,
  subject: string,
  r: IQualityEngine.ReadingStruct,
  nonce: bigint,
  deadline: bigint,
): Promise<IQualityEngine.SignedReadingStruct> {
  const { chainId } = await ethers.provider.getNetwork();
  const signature = ethers.Signature.from(
    await device.signTypedData({ name: "MedState", version: "1", chainId, verifyingContract }, READING_TYPES, {
      subject,
      ...r,
      nonce,
      deadline,
    }),
  );
  return { reading: r, deadline, r: signature.r, vs: signature.yParityAndS };
}

// ==== FIXTURES ====

export interface QualityCtx extends Consortium {
  gov: HardhatEthersSigner;
  regulator: HardhatEthersSigner;
  maker: HardhatEthersSigner;
  wholesaler: HardhatEthersSigner;
  hospital: HardhatEthersSigner;
  logistics: HardhatEthersSigner;
  pharmacy: HardhatEthersSigner;
  laboratory: HardhatEthersSigner;
  notary: HardhatEthersSigner;
  makerQa: HardhatEthersSigner;
  makerDevice: HardhatEthersSigner;
  wholesalerQa: HardhatEthersSigner;
  wholesalerDevice: HardhatEthersSigner;
  logisticsDevice: HardhatEthersSigner;
  pharmacyDevice: HardhatEthersSigner;
  regulatorDevice: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** The batch registry's address: where the engines are called and what devices sign for. */
  engineAddress: string;
}

export interface BatchQualityCtx extends QualityCtx {
  batchId: string;
  tree: UnitTree;
}

async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

/**
 * The governance parameters a deployment gets when it names none (deploy/modules/MedState.ts,
 * deploy/parameters/localhost.json): admissions, parameter changes, upgrades and generic
 * calls need the regulator among the approvers. (The test fixtures' own default needs it for
 * admissions only.)
 */
export const DEPLOYED_GOVERNANCE = {
  votingPeriod: VOTING_PERIOD,
  regulatorApprovalKinds: mask(ProposalKind.AdmitParty, ProposalKind.SetParameters, ProposalKind.Upgrade, ProposalKind.Call),
};

/** The standard consortium's founders (as {@link standardConsortium} admits them), under `governance`. */
function standardConsortiumUnder(governance: typeof DEPLOYED_GOVERNANCE): Promise<Consortium> {
  const lic = (kind: number) => [{ kind, documentHash: DOC, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY }];
  return deployConsortium(
    [
      { name: "Regulator", domain: Domain.Regulator, voter: true },
      { name: "Maker", domain: Domain.Manufacturer, voter: true, licences: lic(LicenceKind.Manufacturing) },
      { name: "Wholesaler", domain: Domain.Wholesaler, voter: true, licences: lic(LicenceKind.Distribution) },
      { name: "Hospital", domain: Domain.Hospital, voter: true, licences: lic(LicenceKind.MedicalInstitution) },
      { name: "Logistics", domain: Domain.Logistics, voter: false, licences: lic(LicenceKind.GoodSupplyPractice) },
      { name: "Pharmacy", domain: Domain.Pharmacy, voter: false, licences: lic(LicenceKind.Distribution) },
      { name: "Laboratory", domain: Domain.Laboratory, voter: false, licences: lic(LicenceKind.LaboratoryAccreditation) },
      { name: "Notary", domain: Domain.Notary, voter: false, licences: lic(LicenceKind.Notarial) },
    ],
    governance,
  );
}

/** The standard consortium, the governor as a signer, and qa and device members. */
export async function qualityParties(): Promise<QualityCtx> {
  return withQualityMembers(await standardConsortium());
}

/** {@link qualityParties} deployed with {@link DEPLOYED_GOVERNANCE}: a Call needs the regulator's approval. */
export async function qualityPartiesUnderDeployedGovernance(): Promise<QualityCtx> {
  return withQualityMembers(await standardConsortiumUnder(DEPLOYED_GOVERNANCE));
}

async function withQualityMembers(base: Consortium): Promise<QualityCtx> {
  const { registry, governor, admins, others } = base;
  const [makerQa, makerDevice, wholesalerQa, wholesalerDevice, logisticsDevice, pharmacyDevice, regulatorDevice, stranger] = others;
  await registry.connect(admins[1]).addMember(MAKER, makerQa.address, Role.QA);
  await registry.connect(admins[1]).addMember(MAKER, makerDevice.address, Role.Device);
  await registry.connect(admins[2]).addMember(WHOLESALER, wholesalerQa.address, Role.QA);
  await registry.connect(admins[2]).addMember(WHOLESALER, wholesalerDevice.address, Role.Device);
  await registry.connect(admins[4]).addMember(LOGISTICS, logisticsDevice.address, Role.Device);
  await registry.connect(admins[5]).addMember(PHARMACY, pharmacyDevice.address, Role.Device);
  await registry.connect(admins[0]).addMember(REGULATOR, regulatorDevice.address, Role.Device);
  return {
    ...base,
    gov: await impersonate(await governor.getAddress()),
    regulator: admins[0],
    maker: admins[1],
    wholesaler: admins[2],
    hospital: admins[3],
    logistics: admins[4],
    pharmacy: admins[5],
    laboratory: admins[6],
    notary: admins[7],
    makerQa,
    makerDevice,
    wholesalerQa,
    wholesalerDevice,
    logisticsDevice,
    pharmacyDevice,
    regulatorDevice,
    stranger,
    engineAddress: await base.batchRegistry.getAddress(),
  };
}

/** + the vaccine product (2–8 °C rules, set by its holder) and batch LOT in production (100 boxes, 16 units). */
export async function vaccineBatch(): Promise<BatchQualityCtx> {
  return withVaccineBatch(await qualityParties());
}

/** {@link vaccineBatch} under {@link DEPLOYED_GOVERNANCE}. */
export async function vaccineBatchUnderDeployedGovernance(): Promise<BatchQualityCtx> {
  return withVaccineBatch(await qualityPartiesUnderDeployedGovernance());
}

async function withVaccineBatch(c: QualityCtx): Promise<BatchQualityCtx> {
  await registerProduct(c.batchRegistry, c.maker, c.regulator, GTIN, "Vaccine", "S20260001", 0n);
  await c.quality.connect(c.maker).setRules(GTIN, vaccineRules());
  const tree = UnitTree.sequential(GTIN, UNITS);
  const now = BigInt(await networkHelpers.time.latest());
  await c.batchRegistry.connect(c.maker).createBatch({
    gtin: GTIN,
    lot: LOT,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity: QUANTITY,
    unitsRoot: tree.root,
    unitCount: tree.count,
  });
  return { ...c, batchId: batchIdOf(GTIN, LOT), tree };
}

/**
 * + inspected and released; maker → wholesaler 60, wholesaler → pharmacy 20, maker →
 * hospital 10 (all received): maker 30, wholesaler 40, pharmacy 20, hospital 10.
 */
export async function distributedBatch(): Promise<BatchQualityCtx> {
  const c = await vaccineBatch();
  const { batchRegistry: br, batchId } = c;
  await inspect(br, c.makerQa, batchId);
  await br.connect(c.makerQa).releaseBatch(batchId);
  await br.connect(c.maker).ship(batchId, WHOLESALER, 60n);
  await br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 0n));
  await br.connect(c.wholesaler).ship(batchId, PHARMACY, 20n);
  await br.connect(c.pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 0n));
  await br.connect(c.maker).ship(batchId, HOSPITAL, 10n);
  await br.connect(c.hospital).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 1n));
  return c;
}

/** + stopped by the regulator (EmergencyStop). */
export async function stoppedBatch(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  await c.collaboration.connect(c.regulator).transition(c.batchId, State.EmergencyStop, "excursion");
  return c;
}

/** + a level I recall opened by the regulator (recall 1). */
export async function recalledBatch(): Promise<BatchQualityCtx> {
  const c = await stoppedBatch();
  await c.collaboration.connect(c.regulator).openRecall(c.batchId, 1, "cold chain broken");
  return c;
}

// ==== SUSPECT CASES ====

/** The suspect-product cases' functions (ISuspectProduct), at the batch registry's address. */
export async function suspectsAt(c: Consortium): Promise<ISuspectProduct> {
  return (await ethers.getContractAt("ISuspectProduct", await c.batchRegistry.getAddress())) as unknown as ISuspectProduct;
}

/** The batch's ledger ({@link ledgerOf}), its recall quarantine and what its open suspect cases hold included. */
export type Custody = Ledger;

export async function custodyOf(c: Consortium, batchId: string): Promise<Custody> {
  return ledgerOf(c, batchId);
}

/**
 * Asserts Σ held + Σ open shipments + Σ dispensed + destroyed + lost + quarantined +
 * suspended == quantity (ISuspectProduct's conservation), and returns the custody.
 */
export async function expectCustodyConserved(c: Consortium, batchId: string): Promise<Custody> {
  const k = await custodyOf(c, batchId);
  expect(
    k.held + k.inTransit + k.dispensed + k.destroyed + k.lost + k.quarantined + k.suspended,
    `custody ${JSON.stringify(k, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
  ).to.equal(k.quantity);
  return k;
}
