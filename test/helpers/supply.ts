import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { type ContractTransactionResponse, type Interface, type Log, type Signer, ZeroHash } from "ethers";

import { productApplicationHash } from "../../sdk/codes.js";
import { medstateInterface } from "../../sdk/contracts.js";
import { ShipmentStatus } from "../../sdk/enums.js";
import type { IBulkCustody, ISupplyLedger } from "../../types/ethers-contracts/contracts/interfaces/IBatchRegistry.js";
import type { BatchRegistry, IBatchRegistry, IQualityEngine, ISuspectProduct } from "../../types/ethers-contracts/index.js";
import { type Consortium, deployConsortium, ethers, standardConsortium } from "./fixtures.js";

// ==== ENUM MIRRORS (IBatchRegistry), checked against the compiler's AST in test/sdk/enums.test.ts ====

export { BatchStatus, ShipmentStatus, UnitStatus, UnitVerdict } from "../../sdk/enums.js";

/** The supply ledger's calldata structs (declared in ISupplyLedger). */
export type UnitProofStruct = ISupplyLedger.UnitProofStruct;
export type BasketGroupStruct = IBulkCustody.BasketGroupStruct;
export type BatchInputStruct = ISupplyLedger.BatchInputStruct;

// ==== IDS AND CODES ====

const coder = ethers.AbiCoder.defaultAbiCoder();

/** A batch's id, computed independently of the contract: keccak256(abi.encode(uint64 gtin, string lot)). */
export function batchIdOf(gtin: bigint, lot: string): string {
  return ethers.keccak256(coder.encode(["uint64", "string"], [gtin, lot]));
}

/** A shipment's id: keccak256(abi.encode(bytes32 batchId, uint64 from, uint32 seq)). */
export function shipmentIdOf(batchId: string, from: bigint, seq: bigint): string {
  return ethers.keccak256(coder.encode(["bytes32", "uint64", "uint32"], [batchId, from, seq]));
}

/** Reference GS1 check: 14 digits at most, not zero, mod-10 check digit with weights 3,1,3,… from the right of the body. */
export function gtinIsValid(gtin: bigint): boolean {
  if (gtin <= 0n || gtin >= 10n ** 14n) return false;
  const digits = gtin.toString().padStart(14, "0").split("").map(Number);
  const body = digits.slice(0, 13);
  const sum = body.reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === digits[13];
}

/** The hash of a unit's canonical code (GS1 element string with serial). */
export function unitHash(gtin: bigint, serial: string): string {
  return ethers.id(`(01)${gtin.toString().padStart(14, "0")}(21)${serial}`);
}

// ==== UNIT TREES ====

export type UnitLeaf = [bigint, string];

/** The units of a batch: an OpenZeppelin standard Merkle tree of [uint256 index, bytes32 unitHash]. */
export class UnitTree {
  readonly tree: StandardMerkleTree<UnitLeaf>;
  readonly values: UnitLeaf[];

  constructor(values: UnitLeaf[]) {
    this.values = values;
    this.tree = StandardMerkleTree.of(values, ["uint256", "bytes32"]);
  }

  /** `count` units with indices 0..count-1 and serials `${prefix}${index}`. */
  static sequential(gtin: bigint, count: number, prefix = "SN"): UnitTree {
    return new UnitTree(Array.from({ length: count }, (_, i): UnitLeaf => [BigInt(i), unitHash(gtin, `${prefix}${i}`)]));
  }

  get root(): string {
    return this.tree.root;
  }

  get count(): bigint {
    return BigInt(this.values.length);
  }

  /** The position in `values` of the unit with this index. */
  position(index: bigint): number {
    const at = this.values.findIndex(([i]) => i === index);
    if (at < 0) throw new Error(`no unit ${index} in the tree`);
    return at;
  }

  hashOf(index: bigint): string {
    return this.values[this.position(index)][1];
  }

  proofOf(index: bigint): string[] {
    return this.tree.getProof(this.position(index));
  }

  /**
   * A basket group of these units of `batchId` with OpenZeppelin's multiproof: the units in
   * the proof's leaf order (the order the contract answers in), each with `prescription`.
   */
  group(batchId: string, indices: bigint[], prescription = ZeroHash): BasketGroupStruct {
    const multi = this.tree.getMultiProof(indices.map((i) => this.position(i)));
    return {
      batchId,
      units: multi.leaves.map(([index, unitHash]) => ({ index, unitHash, prescription })),
      proof: multi.proof,
      proofFlags: multi.proofFlags,
    };
  }

  /** A UnitProof for the unit with this index; `overrides` forge a wrong one. */
  unit(batchId: string, index: bigint, overrides: Partial<UnitProofStruct> = {}): UnitProofStruct {
    return { batchId, index, unitHash: this.hashOf(index), proof: this.proofOf(index), ...overrides };
  }
}

/** The leaf the contract computes: keccak256(bytes.concat(keccak256(abi.encode(index, unitHash)))). */
export function leafOf(index: bigint, hash: string): string {
  return ethers.keccak256(ethers.keccak256(coder.encode(["uint256", "bytes32"], [index, hash])));
}

// ==== DEPLOYMENT ====

/** The fixtures of test/helpers/fixtures.ts deploy the BatchRegistry too. */
export type SupplyConsortium = Consortium;
export const deploySupplyConsortium = deployConsortium;
export const standardSupplyConsortium = standardConsortium;

/**
 * A BatchRegistry implementation over `registry` with the code objects it routes to
 * (product registry, quality engine, collaboration engine, baskets and pallets), each built for the same
 * registry, as the Ignition module deploys them.
 */
export async function deployBatchRegistryImplementation(registry: string): Promise<BatchRegistry> {
  const products = await ethers.deployContract("ProductRegistry", [registry]);
  const collaboration = await ethers.deployContract("CollaborationEngine", [registry]);
  const quality = await ethers.deployContract("QualityEngine", [registry]);
  const bulk = await ethers.deployContract("BulkCustody", [registry]);
  return (await ethers.deployContract("BatchRegistry", [
    registry,
    await products.getAddress(),
    await quality.getAddress(),
    await collaboration.getAddress(),
    await bulk.getAddress(),
  ])) as unknown as BatchRegistry;
}

/**
 * Registers a product the way the chain now wants it: `applicant` (an admin or operator
 * of a manufacturer) applies, `regulator` (an admin or operator of a regulator) approves.
 * Returns the approval's transaction.
 */
export async function registerProduct(
  batchRegistry: IBatchRegistry,
  applicant: Signer,
  regulator: Signer,
  gtin: bigint,
  name: string,
  approvalNo: string,
  nationalCode: bigint = 0n,
): Promise<ContractTransactionResponse> {
  const receipt = await (await batchRegistry.connect(applicant).registerProduct(gtin, name, approvalNo, nationalCode)).wait();
  const applied = receipt!.logs.map((l) => batchRegistry.interface.parseLog(l)).find((e) => e?.name === "ProductApplied");
  if (applied === undefined || applied === null) throw new Error("no ProductApplied event");
  const applicantId = applied.args.applicant as bigint;
  // The regulator approves the application it examined: the one it reads now, hashed as the contract does.
  const examined = productApplicationHash(await batchRegistry.productApplication(gtin, applicantId));
  return batchRegistry.connect(regulator).approveProduct(gtin, applicantId, examined);
}

/** No temperature / humidity in an observation (IQualityEngine: type(int16).min, type(uint16).max). */
export const NO_TEMPERATURE = -32768n;
export const NO_HUMIDITY = 65535n;

/**
 * A normal inspection of `batchId` by `signer` (a qa member of the maker, a laboratory or
 * the regulator), recorded through the quality engine at `batchRegistry`'s address:
 * what a release needs.
 */
export async function inspect(batchRegistry: IBatchRegistry, signer: Signer, batchId: string): Promise<void> {
  const quality = (await ethers.getContractAt("IQualityEngine", await batchRegistry.getAddress())) as unknown as IQualityEngine;
  await quality.connect(signer).observe({
    subject: batchId,
    point: 5n, // Point.Inspection
    result: 0n, // Result.Normal
    temperature: NO_TEMPERATURE,
    humidity: NO_HUMIDITY,
    corrects: 0n,
    evidenceHash: ethers.ZeroHash,
    evidenceUri: "",
  });
}

// ==== EVENTS ====

export type ExpectedEvent = [name: string, args: unknown[]];

function normalise(value: unknown): unknown {
  if (typeof value === "number") return BigInt(value);
  if (typeof value === "string" && /^0x[0-9a-fA-F]*$/.test(value)) return value.toLowerCase();
  if (Array.isArray(value)) return value.map(normalise);
  return value;
}

/** A contract whose logs a test decodes: its address and its interface (the engines' events are decoded too). */
interface LogSource {
  getAddress(): Promise<string>;
  interface: Interface;
}

/** The events `contract` emitted in a transaction (its own, and the engines' at its address), decoded, in order. */
export async function eventsOf(contract: LogSource, tx: ContractTransactionResponse): Promise<ExpectedEvent[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const address = (await contract.getAddress()).toLowerCase();
  return receipt.logs
    .filter((log: Log) => log.address.toLowerCase() === address)
    .map((log: Log): ExpectedEvent => {
      const parsed = contract.interface.parseLog(log) ?? medstateInterface().parseLog(log);
      if (parsed === null) throw new Error(`undecodable log ${log.topics[0]}`);
      return [parsed.name, parsed.args.toArray(true).map(normalise)];
    });
}

/** Asserts that the transaction emitted exactly these events of `contract` (names and every argument), in order. */
export async function expectEvents(
  contract: LogSource,
  tx: ContractTransactionResponse,
  expected: ExpectedEvent[],
): Promise<void> {
  const actual = await eventsOf(contract, tx);
  expect(actual).to.deep.equal(expected.map(([name, args]) => [name, args.map(normalise)]));
}

// ==== CONSERVATION ====

export interface Ledger {
  quantity: bigint;
  held: bigint;
  inTransit: bigint;
  dispensed: bigint;
  destroyed: bigint;
  lost: bigint;
  quarantined: bigint;
  suspended: bigint;
}

/**
 * The batch's ledger from the views: Σ holdings and Σ in transit over every party (ids
 * 0..partyCount + 1), the batch's dispensed, destroyed, lost and quarantined, and what open
 * suspect cases hold. Checks on the way that the per-party counters agree with what they
 * summarise: Σ in transit with the open shipments and pallets (found through the Shipped
 * and PalletShipped events), Σ
 * dispensed by party with the batch's dispensed, Σ suspended by party with the cases'.
 */
export async function ledgerOf(c: SupplyConsortium, batchId: string): Promise<Ledger> {
  const { batchRegistry, registry } = c;
  const parties = await registry.partyCount();
  let held = 0n;
  let inTransit = 0n;
  let dispensedByParties = 0n;
  let suspendedByParties = 0n;
  for (let p = 0n; p <= parties + 1n; ++p) {
    const custody = await batchRegistry.custody(batchId, p);
    expect(custody.held).to.equal(await batchRegistry.holding(batchId, p));
    expect(custody.locked <= custody.held, `party ${p} locks more than it holds`).to.equal(true);
    held += custody.held;
    inTransit += custody.inTransit;
    dispensedByParties += custody.dispensed;
    suspendedByParties += custody.suspended;
  }
  let openShipments = 0n;
  for (const e of await batchRegistry.queryFilter(batchRegistry.filters.Shipped(undefined, batchId))) {
    const s = await batchRegistry.getShipment(e.args.shipmentId);
    if (Number(s.status) === ShipmentStatus.InTransit) openShipments += s.quantity;
  }
  // Open pallets' lines of this batch are in transit too.
  for (const e of await batchRegistry.queryFilter(batchRegistry.filters.PalletShipped())) {
    const pallet = await batchRegistry.getPallet(e.args.palletId);
    if (Number(pallet.status) !== ShipmentStatus.InTransit) continue;
    for (const line of e.args.lines) if (line.batchId === batchId) openShipments += line.quantity;
  }
  expect(inTransit, "Σ in transit against the open shipments and pallets").to.equal(openShipments);
  const b = await batchRegistry.getBatch(batchId);
  expect(dispensedByParties, "Σ dispensed by party against the batch's").to.equal(b.dispensed);
  const suspects = (await ethers.getContractAt("ISuspectProduct", await batchRegistry.getAddress())) as unknown as ISuspectProduct;
  const [, suspended] = await suspects.suspectCount(batchId);
  expect(suspendedByParties, "Σ suspended by party against the cases'").to.equal(suspended);
  return {
    quantity: b.quantity,
    held,
    inTransit,
    dispensed: b.dispensed,
    destroyed: b.destroyed,
    lost: b.lost,
    quarantined: b.quarantined,
    suspended,
  };
}

/**
 * Asserts Σ held + Σ in transit + dispensed + destroyed + lost + quarantined + suspended
 * == quantity, and returns the ledger.
 */
export async function expectConserved(c: SupplyConsortium, batchId: string): Promise<Ledger> {
  const l = await ledgerOf(c, batchId);
  expect(
    l.held + l.inTransit + l.dispensed + l.destroyed + l.lost + l.quarantined + l.suspended,
    `ledger ${JSON.stringify(l, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`,
  ).to.equal(l.quantity);
  return l;
}
