/**
 * The capacity benchmark (`npm run bench:throughput`): how many units one block can
 * dispense, ship or observe, on the two EVM engines we run, with blocks we fill ourselves.
 *
 * - Starts two real nodes on 127.0.0.1, both Cancun (our Besu genesis), automine and
 *   interval mining off: Hardhat's JSON-RPC server (EDR) in its own process and anvil.
 *   `hardhat node` has no option for the hardfork (the project's `node` network runs
 *   Hardhat's default, Osaka), so that process is this script run again by Hardhat's CLI
 *   (`THROUGHPUT_SERVE_PORT` set): it opens the project's `node` network with
 *   `{ hardfork: "cancun", blockGasLimit, mining: { auto: false, interval: 0 } }` and serves
 *   it with `network.createServer`, the server `hardhat node` runs (logging off).
 * - Deploys MedState on each with its Ignition module (deploy/modules/MedState.ts, an
 *   in-memory journal: nothing is written under deploy/), and sets up the same consortium on
 *   both: a regulator, a manufacturer, a wholesaler, a hospital and N pharmacies, each
 *   pharmacy with one sender account (an operator) and a few loggers (device members); a
 *   1,000,000-unit batch (unit tree in index order), each pharmacy holding stock of its own
 *   range of it; 20 pallet batches in the wholesaler's stock.
 * - For each workload of the standard mix and each block gas limit: pre-signs more
 *   transactions than one block holds (one sender per pharmacy), sends them to anvil's
 *   mempool, mines exactly one block (`evm_mine`) and drops the rest; then sends the very
 *   transactions anvil included to the Hardhat node and mines one block there. Both engines
 *   execute the same block (checked: same transactions, same gas).
 * - Measures transactions and units per block; units per second at a 2-second block period;
 *   the time `evm_mine` took less a baseline of mining an empty block (median of 3, just
 *   before); and the storage written: the slots the block wrote are listed by anvil's
 *   state-diff trace (`trace_replayBlockTransactions`), then read with `eth_getStorageAt`
 *   before and after the block on each engine; a slot that was zero and is not any more is
 *   new (32 bytes).
 *
 * Writes bench/throughput.json and bench/throughput.md. THROUGHPUT_QUICK=1 runs a small
 * version (100,000 units, 4 pharmacies, 30M gas) and writes to the temp directory instead.
 * THROUGHPUT_UNITS, THROUGHPUT_PHARMACIES and THROUGHPUT_GAS_LIMITS (comma-separated)
 * override the counts; THROUGHPUT_REPEAT (default 3) is how many times anvil mines each
 * block (snapshot and revert between; its times are the minima).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import {
  type Artifact,
  type ArtifactResolver,
  type EIP1193Provider,
  DeploymentResultType,
  deploy,
} from "@nomicfoundation/ignition-core";
import { AbiCoder, Interface, type InterfaceAbi, Transaction, TypedDataEncoder, Wallet, ZeroHash, concat, id, keccak256, toBeHex } from "ethers";
import hre from "hardhat";

import MedStateModule from "../deploy/modules/MedState.js";
import { basketGroups } from "../sdk/baskets.js";
import { productApplicationHash } from "../sdk/codes.js";
import { Domain, LicenceKind, Point, Result, Role } from "../sdk/enums.js";
import { NO_HUMIDITY, NO_TEMPERATURE, READING_TYPES, observationDomain, rulesFromJson } from "../sdk/quality.js";
import { type UnitTree, buildUnitTree } from "../sdk/units.js";
import { freePort } from "../test/helpers/cli.js";
import { envCount } from "./lib/env.js";

// ==== CONFIGURATION ====

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SELF = fileURLToPath(import.meta.url);
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");


const QUICK = process.env.THROUGHPUT_QUICK === "1";

/** A block gas limit from THROUGHPUT_GAS_LIMITS. */
function gasLimitOf(text: string): number {
  if (!/^\d[\d_]*$/.test(text.trim()) || Number(text.replaceAll("_", "")) < 1_000_000) {
    throw new Error(`invalid THROUGHPUT_GAS_LIMITS entry "${text}": expected block gas limits of at least 1000000, comma-separated`);
  }
  return Number(text.replaceAll("_", ""));
}

function readConfig() {
  return {
    units: envCount("THROUGHPUT_UNITS", QUICK ? 100_000 : 1_000_000),
    pharmacies: envCount("THROUGHPUT_PHARMACIES", QUICK ? 4 : 20),
    gasLimits: (process.env.THROUGHPUT_GAS_LIMITS ?? (QUICK ? "30000000" : "30000000,100000000")).split(",").map(gasLimitOf),
    /** Loggers per pharmacy (each signs its own series; a series goes through its pharmacy's sender). */
    devicesPerPharmacy: 4,
    readingsPerTx: 100,
    /** Units per pallet line (a case): a line moves any quantity with the same writes. */
    lineQuantity: 100,
    palletBatches: 20,
    blockSeconds: 2,
    /** Times anvil mines each block (evm_snapshot / evm_revert between): its times are the minima. */
    anvilRuns: envCount("THROUGHPUT_REPEAT", 3),
  };
}

/** The configuration; a bad environment variable ends the run with one line. */
const CONFIG = (() => {
  try {
    return readConfig();
  } catch (error) {
    console.error(`bench:throughput: ${(error as Error).message}`);
    process.exit(1);
  }
})();

/** The national need: 60 M dispensed units a day. */
const NEED = {
  unitsPerDay: 60_000_000,
  averagePerSecond: 700,
  peakPerSecond: 1_400,
  goalPerSecond: 3_500,
  goalGasLimit: 100_000_000,
  goalExecMs: 1_000,
};

const CHAIN_ID = 31337n;
const GWEI = 1_000_000_000n;
const GTIN = 6901234567892n;
const MAKER = 2n;
const WHOLESALER = 3n;
/** Parties 1–4 are the regulator, the maker, the wholesaler and the hospital; pharmacies follow. */
const pharmacyId = (p: number) => BigInt(5 + p);

type Kind = "basket" | "pallet" | "readings";
interface Workload {
  name: string;
  kind: Kind;
  /** Units per basket, lines per pallet, readings per transaction. */
  size: number;
}
const MIX: Workload[] = [
  { name: "basket of 1 unit", kind: "basket", size: 1 },
  { name: "basket of 10 units", kind: "basket", size: 10 },
  { name: "basket of 100 units", kind: "basket", size: 100 },
  { name: "pallet of 1 line", kind: "pallet", size: 1 },
  { name: "pallet of 20 lines", kind: "pallet", size: 20 },
  { name: `${CONFIG.readingsPerTx} device-signed readings`, kind: "readings", size: CONFIG.readingsPerTx },
];

// ==== NODES ====

type Engine = "anvil" | "hardhat";

/** Child processes this script started: killed on every way out. */
const children = new Set<ChildProcess>();

function stopChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  }
}

interface RpcError extends Error {
  data?: unknown;
}

/** A JSON-RPC endpoint of one node, with batching. */
class Node {
  private nextId = 1;
  stderr = "";

  constructor(
    readonly engine: Engine,
    readonly url: string,
    readonly child: ChildProcess,
  ) {
    child.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4_000);
    });
  }

  get label(): string {
    return this.engine === "anvil" ? "anvil" : "hardhat node";
  }

  /** The prefix of the node's own methods (`anvil_setBalance`, `hardhat_setBalance`). */
  get ns(): Engine {
    return this.engine;
  }

  private async post(body: unknown): Promise<unknown> {
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return await response.json();
    } catch (error) {
      const exited = this.child.exitCode !== null || this.child.signalCode !== null;
      const why = exited ? `it exited (${this.child.exitCode ?? this.child.signalCode})` : (error as Error).message;
      throw new Error(`the ${this.label} at ${this.url} did not answer: ${why}${this.stderr ? `: ${lastLine(this.stderr)}` : ""}`);
    }
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const body = (await this.post({ jsonrpc: "2.0", id: this.nextId++, method, params })) as {
      result?: T;
      error?: { message: string; data?: unknown };
    };
    if (body.error !== undefined) throw rpcError(`${method} on the ${this.label}: ${body.error.message}`, body.error.data);
    return body.result as T;
  }

  /** Many calls, in requests of at most 500 calls or ~1 MB; results in order; the first error throws. */
  async batch<T>(calls: readonly [string, unknown[]][]): Promise<T[]> {
    const results: T[] = [];
    let start = 0;
    while (start < calls.length) {
      let end = start;
      let bytes = 0;
      while (end < calls.length && end - start < 500 && (bytes < 1_000_000 || end === start)) {
        bytes += JSON.stringify(calls[end][1]).length;
        end++;
      }
      const first = this.nextId;
      this.nextId += end - start;
      const request = calls.slice(start, end).map(([method, params], i) => ({ jsonrpc: "2.0", id: first + i, method, params }));
      const answers = (await this.post(request)) as { id: number; result?: T; error?: { message: string; data?: unknown } }[];
      if (!Array.isArray(answers)) throw new Error(`the ${this.label} refused a batch request: ${JSON.stringify(answers).slice(0, 200)}`);
      answers.sort((a, b) => a.id - b.id);
      for (const [i, answer] of answers.entries()) {
        if (answer.error !== undefined) {
          throw rpcError(`${calls[start + i][0]} (${start + i + 1} of ${calls.length}) on the ${this.label}: ${answer.error.message}`, answer.error.data);
        }
        results.push(answer.result as T);
      }
      start = end;
    }
    return results;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }
}

function rpcError(message: string, data: unknown): RpcError {
  const error: RpcError = new Error(message);
  error.data = data;
  return error;
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

/** The anvil binary npm installed beside `@foundry-rs/anvil` (the process itself, not its wrapper). */
function anvilBinary(): string {
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
  if (arch === undefined) throw new Error(`anvil has no npm build for ${process.platform}-${process.arch}`);
  const require = createRequire(path.join(ROOT, "package.json"));
  return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${process.platform === "win32" ? "anvil.exe" : "anvil"}`);
}

/** Starts a node with `gasLimit` blocks and no mining of its own, and waits until it answers. */
async function startNode(engine: Engine, gasLimit: number): Promise<Node> {
  const port = await freePort();
  const child =
    engine === "anvil"
      ? spawn(
          anvilBinary(),
          [
            "--host", "127.0.0.1",
            "--port", String(port),
            "--chain-id", String(CHAIN_ID),
            "--accounts", "20",
            "--hardfork", "cancun",
            "--gas-limit", String(gasLimit),
            "--no-mining",
            "--base-fee", "0",
            "--gas-price", "0",
            "--disable-min-priority-fee",
            "--quiet",
          ],
          { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
        )
      : spawn(process.execPath, [HARDHAT_CLI, "run", "--no-compile", SELF], {
          cwd: ROOT,
          env: { ...process.env, THROUGHPUT_SERVE_PORT: String(port), THROUGHPUT_SERVE_GAS_LIMIT: String(gasLimit) },
          stdio: ["ignore", "ignore", "pipe", "ipc"],
        });
  children.add(child);
  child.once("error", () => undefined);
  const node = new Node(engine, `http://127.0.0.1:${port}`, child);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
      throw new Error(`the ${node.label} did not start: ${lastLine(node.stderr) || `exit ${child.exitCode ?? child.signalCode}`}`);
    }
    try {
      await node.call("eth_chainId");
      return node;
    } catch {
      if (Date.now() > deadline) throw new Error(`the ${node.label} did not answer on ${node.url} within 90 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Server mode (the child process of {@link startNode}): Hardhat's node, Cancun, no mining of its own. */
async function serveHardhatNode(port: number, gasLimit: number): Promise<void> {
  const server = await hre.network.createServer(
    {
      network: "node",
      override: { hardfork: "cancun", blockGasLimit: BigInt(gasLimit), mining: { auto: false, interval: 0 } },
    },
    "127.0.0.1",
    port,
  );
  // The benchmark talks to us over IPC: when it goes, for whatever reason, we go too.
  process.once("disconnect", () => process.exit(0));
  await server.listen();
  await server.afterClosed();
}

// ==== CONTRACTS ====

interface Abis {
  registry: Interface;
  supply: Interface;
  quality: Interface;
  /** Every custom error, to explain a refusal in one line. */
  errors: Interface;
}

async function loadAbis(): Promise<Abis> {
  const abi = async (name: string) => (await hre.artifacts.readArtifact(name)).abi as InterfaceAbi;
  const [registry, supply, quality, collaboration] = await Promise.all(
    ["ConsortiumRegistry", "IBatchRegistry", "IQualityEngine", "ICollaborationEngine"].map(abi),
  );
  const errors = new Map<string, string>();
  for (const abi of [registry, supply, quality, collaboration]) {
    for (const fragment of new Interface(abi).fragments) {
      if (fragment.type === "error") errors.set(fragment.format("sighash"), fragment.format("full"));
    }
  }
  return {
    registry: new Interface(registry),
    supply: new Interface(supply),
    quality: new Interface(quality),
    errors: new Interface([...errors.values()]),
  };
}

/** A refusal in one line: the decoded custom error if the node gave its data. */
function explainRevert(error: unknown, abis: Abis): string {
  const data = (error as RpcError).data;
  const hex = typeof data === "string" ? data : typeof (data as { data?: unknown })?.data === "string" ? (data as { data: string }).data : undefined;
  if (hex !== undefined && /^0x[0-9a-fA-F]{8}/.test(hex)) {
    try {
      const parsed = abis.errors.parseError(hex);
      if (parsed !== null) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    } catch {
      // not one of ours: the node's message says what it can
    }
  }
  return (error as Error).message;
}

// ==== THE CONSORTIUM ====

/** Deterministic keys: the same accounts, transactions and addresses on both chains. */
const wallet = (label: string) => new Wallet(id(`medstate throughput: ${label}`));

interface Pharmacy {
  party: bigint;
  admin: Wallet;
  /** The one account that sends this pharmacy's transactions (an operator). */
  sender: Wallet;
  devices: Wallet[];
  /** The wholesaler's dispatch account that ships this pharmacy's pallets (an operator). */
  dispatcher: Wallet;
  /** Its range of the big batch's units: [first, end), and the next one to dispense. */
  first: number;
  end: number;
  cursor: number;
}

interface Plan {
  regulator: Wallet;
  maker: Wallet;
  qa: Wallet;
  wholesaler: Wallet;
  hospital: Wallet;
  pharmacies: Pharmacy[];
  tree: UnitTree;
  batchId: string;
  palletBatchIds: string[];
  manufacturedAt: bigint;
  expiresAt: bigint;
  deadline: bigint;
}

const LOT = "TP-1M";
const unitCode = (i: number) => `010${GTIN}21TP-${String(i).padStart(7, "0")}`;
/** `keccak256(abi.encode(gtin, lot))`, as the contract names a batch. */
const batchIdOf = (lot: string) => keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "string"], [GTIN, lot]));

async function makePlan(now: bigint): Promise<Plan> {
  const started = Date.now();
  const { tree } = await buildUnitTree(
    Array.from({ length: CONFIG.units }, (_, i) => unitCode(i)),
    { order: "index" },
  );
  console.log(`unit tree of ${CONFIG.units.toLocaleString("en-US")} units (index order) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // Each pharmacy dispenses from its own range, whole 256-unit bitmap words apart.
  const range = Math.floor(CONFIG.units / CONFIG.pharmacies / 256) * 256;
  if (range < 256) throw new Error(`${CONFIG.units} units are too few for ${CONFIG.pharmacies} pharmacies: raise THROUGHPUT_UNITS`);
  return {
    regulator: wallet("regulator admin"),
    maker: wallet("maker admin"),
    qa: wallet("maker qa"),
    wholesaler: wallet("wholesaler admin"),
    hospital: wallet("hospital admin"),
    pharmacies: Array.from({ length: CONFIG.pharmacies }, (_, p) => ({
      party: pharmacyId(p),
      admin: wallet(`pharmacy ${p} admin`),
      sender: wallet(`pharmacy ${p} sender`),
      devices: Array.from({ length: CONFIG.devicesPerPharmacy }, (_, d) => wallet(`pharmacy ${p} logger ${d}`)),
      dispatcher: wallet(`wholesaler dispatch ${p}`),
      first: p * range,
      end: (p + 1) * range,
      cursor: p * range,
    })),
    tree,
    batchId: batchIdOf(LOT),
    palletBatchIds: Array.from({ length: CONFIG.palletBatches }, (_, b) => batchIdOf(`PAL-${b}`)),
    manufacturedAt: now - 86_400n,
    expiresAt: now + 700n * 86_400n,
    deadline: now + 30n * 86_400n,
  };
}

interface Receipt {
  status: string;
  gasUsed: string;
  transactionHash: string;
  logs: { address: string; topics: string[]; data: string }[];
}

/** One chain being set up: local nonces, and a send that explains a refusal in one line. */
class Chain {
  private readonly nonces = new Map<string, number>();
  registry = "";
  batches = "";

  constructor(
    readonly node: Node,
    private readonly abis: Abis,
  ) {}

  async transact(from: Wallet, to: string, data: string, what: string): Promise<Receipt> {
    let nonce = this.nonces.get(from.address);
    if (nonce === undefined) nonce = Number(await this.node.call<string>("eth_getTransactionCount", [from.address, "latest"]));
    let gas: bigint;
    try {
      gas = BigInt(await this.node.call<string>("eth_estimateGas", [{ from: from.address, to, data }]));
    } catch (error) {
      throw new Error(`setup on the ${this.node.label}: ${what} was refused: ${explainRevert(error, this.abis)}`);
    }
    const raw = sign(from, { nonce, to, data, gasLimit: (gas * 12n) / 10n });
    const hash = await this.node.call<string>("eth_sendRawTransaction", [raw]);
    this.nonces.set(from.address, nonce + 1);
    for (let tries = 0; ; tries++) {
      const receipt = await this.node.call<Receipt | null>("eth_getTransactionReceipt", [hash]);
      if (receipt !== null) {
        if (receipt.status !== "0x1") throw new Error(`setup on the ${this.node.label}: ${what} reverted (${hash})`);
        return receipt;
      }
      if (tries > 200) throw new Error(`setup on the ${this.node.label}: ${what} was not mined (automine off?)`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** A signed EIP-1559 transaction, zero tip (the chain's base fee is 0: gas is free). */
function sign(from: Wallet, tx: { nonce: number; to: string; data: string; gasLimit: bigint }): string {
  const unsigned = Transaction.from({
    type: 2,
    chainId: CHAIN_ID,
    nonce: tx.nonce,
    to: tx.to,
    data: tx.data,
    gasLimit: tx.gasLimit,
    maxFeePerGas: GWEI,
    maxPriorityFeePerGas: 0n,
  });
  unsigned.signature = from.signingKey.sign(unsigned.unsignedHash);
  return unsigned.serialized;
}

/** Deploys MedState through its Ignition module (in-memory journal) with the plan's founders. */
async function deployMedState(chain: Chain, plan: Plan): Promise<void> {
  const node = chain.node;
  const provider: EIP1193Provider = {
    request: async ({ method, params }) => node.call(method, (params as unknown[] | undefined) ?? []),
  };
  const artifactResolver: ArtifactResolver = {
    loadArtifact: async (name) => (await hre.artifacts.readArtifact(name)) as unknown as Artifact,
    getBuildInfo: async () => undefined,
  };
  const licence = (kind: number) => [{ kind, documentHash: id("throughput licence"), issuer: 1n, expiresAt: 1956441600n }];
  const founders = [
    { name: "Regulator", domain: Domain.Regulator, admin: plan.regulator.address, voter: true, licences: [] },
    { name: "Maker", domain: Domain.Manufacturer, admin: plan.maker.address, voter: true, licences: licence(LicenceKind.Manufacturing) },
    { name: "Wholesaler", domain: Domain.Wholesaler, admin: plan.wholesaler.address, voter: true, licences: licence(LicenceKind.Distribution) },
    { name: "Hospital", domain: Domain.Hospital, admin: plan.hospital.address, voter: true, licences: licence(LicenceKind.MedicalInstitution) },
    ...plan.pharmacies.map((p, i) => ({
      name: `Pharmacy ${i + 1}`,
      domain: Domain.Pharmacy,
      admin: p.admin.address,
      voter: false,
      licences: licence(LicenceKind.Distribution),
    })),
  ];
  const accounts = await node.call<string[]>("eth_accounts");
  const result = await deploy({
    config: { requiredConfirmations: 1, blockPollingInterval: 20 },
    artifactResolver,
    provider,
    ignitionModule: MedStateModule,
    deploymentParameters: { MedState: { founders, governance: { votingPeriod: 7 * 24 * 3600, regulatorApprovalKinds: 450 } } },
    accounts,
    defaultSender: accounts[0],
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new Error(`the Ignition deployment on the ${node.label} failed: ${JSON.stringify(result).slice(0, 300)}`);
  }
  chain.registry = result.contracts["MedState#ConsortiumRegistry"].address;
  chain.batches = result.contracts["MedState#BatchRegistry"].address;
}

/** Every account the benchmark signs with. */
function accountsOf(plan: Plan): Wallet[] {
  return [
    plan.regulator,
    plan.maker,
    plan.qa,
    plan.wholesaler,
    plan.hospital,
    ...plan.pharmacies.flatMap((p) => [p.admin, p.sender, p.dispatcher, ...p.devices]),
  ];
}

/** Deploys and sets up the consortium, stock and rules; identical on both chains. */
async function setUp(chain: Chain, plan: Plan, abis: Abis): Promise<void> {
  const { node } = chain;
  const { registry: R, supply: S, quality: Q } = abis;
  await node.batch(accountsOf(plan).map((w) => [`${node.ns}_setBalance`, [w.address, toBeHex(10n ** 24n)]]));
  await node.call(`${node.ns}_setNextBlockBaseFeePerGas`, ["0x0"]);
  await node.call("evm_setAutomine", [true]);
  await deployMedState(chain, plan);
  const reg = chain.registry;
  const sup = chain.batches;

  // Members: each pharmacy's sender and loggers; the wholesaler's dispatchers; the maker's QA.
  for (const p of plan.pharmacies) {
    await chain.transact(p.admin, reg, R.encodeFunctionData("addMember", [p.party, p.sender.address, Role.Operator]), "addMember (pharmacy sender)");
    for (const device of p.devices) {
      await chain.transact(p.admin, reg, R.encodeFunctionData("addMember", [p.party, device.address, Role.Device]), "addMember (logger)");
    }
    await chain.transact(plan.wholesaler, reg, R.encodeFunctionData("addMember", [WHOLESALER, p.dispatcher.address, Role.Operator]), "addMember (dispatcher)");
  }
  await chain.transact(plan.maker, reg, R.encodeFunctionData("addMember", [MAKER, plan.qa.address, Role.QA]), "addMember (QA)");

  // The product, its rules, the batches (inspected, released).
  const application = { nationalCode: 8123456, name: "Amoxicillin Capsules 0.25g", approvalNo: "国药准字H20230001" };
  await chain.transact(plan.maker, sup, S.encodeFunctionData("registerProduct", [GTIN, application.name, application.approvalNo, application.nationalCode]), "registerProduct");
  await chain.transact(plan.regulator, sup, S.encodeFunctionData("approveProduct", [GTIN, MAKER, productApplicationHash(application)]), "approveProduct");
  const rules = rulesFromJson({ storage: { temperature: { min: 2, max: 25 }, humidity: { max: 65 } }, transport: { temperature: { min: 2, max: 25 } }, inspection: { criticalStops: true } });
  await chain.transact(plan.maker, sup, Q.encodeFunctionData("setRules", [GTIN, rules]), "setRules");
  const batches = [
    { lot: LOT, quantity: BigInt(CONFIG.units), unitsRoot: plan.tree.root, unitCount: BigInt(CONFIG.units) },
    ...plan.palletBatchIds.map((_, b) => ({ lot: `PAL-${b}`, quantity: 10n ** 12n, unitsRoot: ZeroHash, unitCount: 0n })),
  ];
  for (const b of batches) {
    const input = { gtin: GTIN, lot: b.lot, manufacturedAt: plan.manufacturedAt, expiresAt: plan.expiresAt, quantity: b.quantity, unitsRoot: b.unitsRoot, unitCount: b.unitCount };
    await chain.transact(plan.maker, sup, S.encodeFunctionData("createBatch", [input]), `createBatch ${b.lot}`);
    const inspection = { subject: batchIdOf(b.lot), point: Point.Inspection, result: Result.Normal, temperature: NO_TEMPERATURE, humidity: NO_HUMIDITY, corrects: 0, evidenceHash: ZeroHash, evidenceUri: "" };
    await chain.transact(plan.qa, sup, Q.encodeFunctionData("observe", [inspection]), `inspection of ${b.lot}`);
    await chain.transact(plan.qa, sup, S.encodeFunctionData("releaseBatch", [batchIdOf(b.lot)]), `releaseBatch ${b.lot}`);
  }

  // Stock: each pharmacy its range of the big batch; the wholesaler the pallet batches.
  const shipAndReceive = async (batchId: string, to: bigint, quantity: bigint, receiver: Wallet) => {
    const shipped = await chain.transact(plan.maker, sup, S.encodeFunctionData("ship", [batchId, to, quantity]), `ship to party ${to}`);
    const event = shipped.logs.map((l) => S.parseLog(l)).find((e) => e?.name === "Shipped");
    if (event == null) throw new Error(`setup on the ${node.label}: ship to party ${to} emitted no Shipped event`);
    await chain.transact(receiver, sup, S.encodeFunctionData("receiveShipment", [batchId, event.args.shipmentId]), `receiveShipment by party ${to}`);
  };
  for (const p of plan.pharmacies) await shipAndReceive(plan.batchId, p.party, BigInt(p.end - p.first), p.admin);
  for (const batchId of plan.palletBatchIds) await shipAndReceive(batchId, WHOLESALER, 10n ** 12n, plan.wholesaler);

  await node.call("evm_setAutomine", [false]);
}

// ==== ONE BLOCK ====

interface Prepared {
  raws: string[];
  hashes: string[];
  /** The pharmacy of each transaction. */
  pharmacy: number[];
  gasLimit: number;
  estimate: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Pre-signs `count` transactions of `w` (round robin over the pharmacies' senders). */
async function prepare(w: Workload, gasLimitOfBlock: number, plan: Plan, anvil: Chain, abis: Abis): Promise<Prepared> {
  const node = anvil.node;
  const P = plan.pharmacies.length;
  const senderOf = (p: number) => (w.kind === "pallet" ? plan.pharmacies[p].dispatcher : plan.pharmacies[p].sender);
  const nonces = (await node.batch<string>(plan.pharmacies.map((_, p) => ["eth_getTransactionCount", [senderOf(p).address, "latest"]]))).map(Number);
  const deviceNonces =
    w.kind === "readings"
      ? await node.batch<string>(
          plan.pharmacies.flatMap((ph) =>
            ph.devices.map((d) => ["eth_call", [{ to: anvil.batches, data: abis.quality.encodeFunctionData("nonces", [d.address]) }, "latest"]] as [string, unknown[]]),
          ),
        )
      : [];
  const nextDeviceNonce = deviceNonces.map((hex) => BigInt(hex));
  const domain = observationDomain(CHAIN_ID, anvil.batches);
  const domainSeparator = TypedDataEncoder.hashDomain(domain);
  const readingEncoder = TypedDataEncoder.from(READING_TYPES);

  /** The calldata of transaction `i` (k-th of pharmacy `p`). */
  const dataOf = (i: number): string => {
    const p = i % P;
    const k = Math.floor(i / P);
    const ph = plan.pharmacies[p];
    if (w.kind === "basket") {
      const start = ph.cursor + k * w.size;
      if (start + w.size > ph.end) throw new Error(`pharmacy ${p + 1} has no units left to dispense: raise THROUGHPUT_UNITS`);
      const { groups } = basketGroups(Array.from({ length: w.size }, (_, u) => ({ batchId: plan.batchId, tree: plan.tree, index: start + u })));
      return abis.supply.encodeFunctionData("dispenseBasket", [groups]);
    }
    if (w.kind === "pallet") {
      const lines = Array.from({ length: w.size }, (_, l) => ({
        batchId: plan.palletBatchIds[(i + l) % plan.palletBatchIds.length],
        quantity: CONFIG.lineQuantity,
      }));
      return abis.supply.encodeFunctionData("shipPallet", [ph.party, lines]);
    }
    const d = k % ph.devices.length;
    const device = ph.devices[d];
    const slot = p * ph.devices.length + d;
    const signed = Array.from({ length: w.size }, (_, r) => {
      const reading = { point: Point.Storage, result: Result.Normal, temperature: 400 + ((i + r) % 30) * 10, humidity: 4_500 };
      const nonce = nextDeviceNonce[slot]++;
      const digest = keccak256(concat(["0x1901", domainSeparator, readingEncoder.hash({ subject: plan.batchId, ...reading, nonce, deadline: plan.deadline })]));
      const signature = device.signingKey.sign(digest);
      return { reading, deadline: plan.deadline, r: signature.r, vs: signature.yParityAndS };
    });
    return abis.quality.encodeFunctionData("observeSignedReadings", [plan.batchId, device.address, signed]);
  };

  // The first transaction's gas sets every transaction's limit (with room for the slots a
  // later one may create first) and how many to sign: more than the block holds.
  const first = dataOf(0);
  let estimate: number;
  try {
    estimate = Number(await node.call<string>("eth_estimateGas", [{ from: senderOf(0).address, to: anvil.batches, data: first }]));
  } catch (error) {
    throw new Error(`${w.name}: the first transaction would be refused: ${explainRevert(error, abis)}`);
  }
  if (w.kind === "readings") nextDeviceNonce.splice(0, nextDeviceNonce.length, ...deviceNonces.map((hex) => BigInt(hex)));
  const gasLimit = Math.ceil(estimate * 1.1) + (w.kind === "basket" ? 60_000 : 30_000);
  // Readings cost the same each (and are slow to sign); a basket or pallet that creates a
  // slot first costs more than the rest.
  const surplus = w.kind === "readings" ? 0.95 : 0.7;
  const count = Math.ceil(gasLimitOfBlock / (estimate * surplus)) + P;

  const raws: string[] = [];
  const pharmacy: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = i % P;
    raws.push(sign(senderOf(p), { nonce: nonces[p]++, to: anvil.batches, data: dataOf(i), gasLimit: BigInt(gasLimit) }));
    pharmacy.push(p);
  }
  return { raws, hashes: raws.map((raw) => keccak256(raw)), pharmacy, gasLimit, estimate };
}

interface Block {
  number: string;
  hash: string;
  gasUsed: string;
  gasLimit: string;
  transactions: string[];
}

interface Mined {
  block: Block;
  mineMs: number;
  baselineMs: number;
  sendMs: number;
  /** Each run's evm_mine time, when the block was mined more than once. */
  runsMs: number[];
}

/**
 * Mines 3 empty blocks (the baseline), sends `raws` to the mempool, mines exactly one block,
 * all with `gasLimit` blocks (set every time: anvil's `evm_revert` resets it).
 */
async function mineOne(node: Node, raws: readonly string[], gasLimit: number): Promise<Mined> {
  await node.call("evm_setBlockGasLimit", [toBeHex(gasLimit)]);
  const baselines: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await node.call("evm_mine");
    baselines.push(performance.now() - t);
  }
  // EIP-1559 lifts a zero base fee to 1 wei after a full block: keep gas free.
  await node.call(`${node.ns}_setNextBlockBaseFeePerGas`, ["0x0"]);
  const sent = performance.now();
  await node.batch(raws.map((raw) => ["eth_sendRawTransaction", [raw]]));
  const sendMs = performance.now() - sent;
  const t = performance.now();
  await node.call("evm_mine");
  const mineMs = performance.now() - t;
  const block = await node.call<Block>("eth_getBlockByNumber", ["latest", false]);
  return { block, mineMs, baselineMs: median(baselines), sendMs, runsMs: [mineMs] };
}

/**
 * {@link mineOne} `runs` times, reverting to a snapshot between runs (and emptying the
 * mempool): the block of the last run stays. Times are the minima over the runs, the least
 * disturbed by whatever else the machine is doing.
 */
async function mineRepeated(node: Node, raws: readonly string[], gasLimit: number, runs: number): Promise<Mined> {
  const mines: number[] = [];
  const baselines: number[] = [];
  for (let run = 1; ; run++) {
    const snapshot = run < runs ? await node.call<string>("evm_snapshot") : undefined;
    const mined = await mineOne(node, raws, gasLimit);
    mines.push(mined.mineMs);
    baselines.push(mined.baselineMs);
    if (snapshot === undefined) {
      return { ...mined, mineMs: Math.min(...mines), baselineMs: Math.min(...baselines), runsMs: mines.map((ms) => round(ms)) };
    }
    if (!(await node.call<boolean>("evm_revert", [snapshot]))) throw new Error(`the ${node.label} could not revert to its snapshot`);
    await node.call("anvil_dropAllTransactions");
  }
}

async function receiptsOf(node: Node, block: Block): Promise<Receipt[]> {
  try {
    return await node.call<Receipt[]>("eth_getBlockReceipts", [block.number]);
  } catch {
    return node.batch<Receipt>(block.transactions.map((hash) => ["eth_getTransactionReceipt", [hash]]));
  }
}

interface Work {
  failed: number;
  /** Units dispensed, pallet lines shipped, or readings recorded. */
  items: number;
  /** Units dispensed, or moved by pallets; 0 for readings. */
  units: number;
  /** Basket units not dispensed (suspect or refused): 0 in a sound run. */
  notDispensed: number;
}

function workOf(receipts: readonly Receipt[], abis: Abis): Work {
  const work: Work = { failed: 0, items: 0, units: 0, notDispensed: 0 };
  for (const receipt of receipts) {
    if (receipt.status !== "0x1") work.failed++;
    for (const log of receipt.logs) {
      const event = abis.supply.parseLog(log) ?? abis.quality.parseLog(log);
      if (event?.name === "BasketDispensed") {
        work.items += Number(event.args.dispensed);
        work.units += Number(event.args.dispensed);
        work.notDispensed += Number(event.args.suspect) + Number(event.args.refused);
      } else if (event?.name === "PalletShipped") {
        const lines = event.args.lines as { quantity: bigint }[];
        work.items += lines.length;
        work.units += lines.reduce((sum, line) => sum + Number(line.quantity), 0);
      } else if (event?.name === "SignedObservationsRelayed") {
        work.items += Number(event.args.count);
      }
    }
  }
  return work;
}

interface StorageKey {
  address: string;
  slot: string;
}

/**
 * The storage slots a block wrote, from anvil's state-diff trace of the block
 * (`trace_replayBlockTransactions` with `stateDiff`, tens of milliseconds a block; geth's
 * `debug_traceBlockByNumber` with the prestate tracer took seconds here, growing with the
 * square of the block's transactions).
 */
async function writtenSlots(anvil: Node, block: Block): Promise<StorageKey[]> {
  const traces = await anvil.call<{ stateDiff: Record<string, { storage?: Record<string, unknown> }> | null }[]>(
    "trace_replayBlockTransactions",
    [block.number, ["stateDiff"]],
  );
  const keys = new Map<string, StorageKey>();
  for (const { stateDiff } of traces) {
    for (const [address, account] of Object.entries(stateDiff ?? {})) {
      for (const slot of Object.keys(account.storage ?? {})) keys.set(`${address}:${slot}`, { address, slot });
    }
  }
  return [...keys.values()];
}

interface StorageDiff {
  slots: number;
  created: number;
  updated: number;
  cleared: number;
}

/** Classifies `keys` by their values before and after `block` (eth_getStorageAt). */
async function storageDiff(node: Node, block: Block, keys: readonly StorageKey[]): Promise<StorageDiff> {
  const parent = toBeHex(BigInt(block.number) - 1n);
  const read = (tag: string) => node.batch<string>(keys.map((k) => ["eth_getStorageAt", [k.address, k.slot, tag]]));
  const before = await read(parent);
  const after = await read(block.number);
  const diff: StorageDiff = { slots: keys.length, created: 0, updated: 0, cleared: 0 };
  for (let i = 0; i < keys.length; i++) {
    const [b, a] = [BigInt(before[i]), BigInt(after[i])];
    if (b === 0n && a !== 0n) diff.created++;
    else if (b !== 0n && a === 0n) diff.cleared++;
    else if (a !== b) diff.updated++;
  }
  return diff;
}

// ==== MEASURING ====

interface EngineResult {
  blockGasUsed: number;
  txs: number;
  mineMs: number;
  baselineMs: number;
  execMs: number;
  sendMs: number;
  runsMs: number[];
  storage: StorageDiff;
}

interface Row {
  workload: string;
  kind: Kind;
  size: number;
  gasLimit: number;
  txs: number;
  gasUsed: number;
  fill: number;
  gasPerTx: number;
  estimatePerTx: number;
  txGasLimit: number;
  /** Units dispensed, pallet lines shipped or readings recorded per block. */
  items: number;
  units: number;
  itemsPerSecond: number;
  unitsPerSecond: number;
  gasPerItem: number;
  newSlots: number;
  stateBytes: number;
  updatedSlots: number;
  clearedSlots: number;
  full: boolean;
  identical: boolean;
  anvil: EngineResult;
  hardhat: EngineResult;
  /** The benchmark's own time for the row: signing, sending and mining on both, checking. */
  benchMs: { sign: number; mine: number; check: number };
  problems: string[];
}

async function measure(w: Workload, gasLimit: number, plan: Plan, anvil: Chain, hardhat: Chain, abis: Abis): Promise<Row> {
  const started = performance.now();
  const prepared = await prepare(w, gasLimit, plan, anvil, abis);
  const signedMs = performance.now() - started;
  const problems: string[] = [];

  // anvil builds the block from the surplus; the rest is dropped.
  const a = await mineRepeated(anvil.node, prepared.raws, gasLimit, CONFIG.anvilRuns);
  await anvil.node.call("anvil_dropAllTransactions");
  const index = new Map(prepared.hashes.map((hash, i) => [hash, i]));
  const included = a.block.transactions.map((hash) => {
    const i = index.get(hash);
    if (i === undefined) throw new Error(`${w.name}: anvil's block holds a transaction the benchmark did not send (${hash})`);
    return i;
  });
  const full = included.length < prepared.raws.length;
  if (!full) problems.push("every signed transaction fitted: the block is not full");

  // The Hardhat node gets exactly anvil's block.
  const h = await mineOne(hardhat.node, included.map((i) => prepared.raws[i]), gasLimit);
  const left = included.map((i) => prepared.hashes[i]).filter((hash) => !h.block.transactions.includes(hash));
  for (const hash of left) await hardhat.node.call("hardhat_dropTransaction", [hash]);
  for (const [label, block] of [["anvil", a.block], ["Hardhat node", h.block]] as const) {
    if (Number(block.gasLimit) !== gasLimit) problems.push(`the ${label}'s block has a gas limit of ${Number(block.gasLimit)}, not ${gasLimit}`);
  }
  const identical = left.length === 0 && h.block.transactions.length === included.length && h.block.gasUsed === a.block.gasUsed;
  if (!identical) {
    // The chains have diverged: every later row would compare different things.
    throw new Error(
      `${w.name}, ${mgas(gasLimit)} gas: the Hardhat node's block differs from anvil's: ${h.block.transactions.length} transactions, ` +
        `gas ${Number(h.block.gasUsed)} (anvil: ${included.length}, ${Number(a.block.gasUsed)})`,
    );
  }

  const minedMs = performance.now() - started - signedMs;
  const [aReceipts, hReceipts] = await Promise.all([receiptsOf(anvil.node, a.block), receiptsOf(hardhat.node, h.block)]);
  const work = workOf(aReceipts, abis);
  const hWork = workOf(hReceipts, abis);
  if (work.failed > 0 || hWork.failed > 0) problems.push(`failed transactions: anvil ${work.failed}, hardhat ${hWork.failed}`);
  if (work.notDispensed > 0) problems.push(`${work.notDispensed} basket units were not dispensed (suspect or refused)`);
  if (hWork.items !== work.items) problems.push(`work differs: anvil ${work.items}, hardhat ${hWork.items}`);

  const keys = await writtenSlots(anvil.node, a.block);
  const [aStorage, hStorage] = await Promise.all([storageDiff(anvil.node, a.block, keys), storageDiff(hardhat.node, h.block, keys)]);
  if (aStorage.created !== hStorage.created) problems.push(`new slots differ: anvil ${aStorage.created}, hardhat ${hStorage.created}`);

  // Baskets: each pharmacy's cursor moves past the units its included baskets dispensed.
  if (w.kind === "basket") {
    for (const i of included) plan.pharmacies[prepared.pharmacy[i]].cursor += w.size;
  }

  const engine = (m: Mined, storage: StorageDiff): EngineResult => ({
    blockGasUsed: Number(m.block.gasUsed),
    txs: m.block.transactions.length,
    mineMs: round(m.mineMs),
    baselineMs: round(m.baselineMs),
    execMs: round(Math.max(0, m.mineMs - m.baselineMs)),
    sendMs: round(m.sendMs),
    runsMs: m.runsMs,
    storage,
  });
  const gasUsed = Number(a.block.gasUsed);
  const txs = included.length;
  return {
    workload: w.name,
    kind: w.kind,
    size: w.size,
    gasLimit,
    txs,
    gasUsed,
    fill: round(gasUsed / gasLimit, 4),
    gasPerTx: Math.round(gasUsed / txs),
    estimatePerTx: prepared.estimate,
    txGasLimit: prepared.gasLimit,
    items: work.items,
    units: work.units,
    itemsPerSecond: round(work.items / CONFIG.blockSeconds),
    unitsPerSecond: round(work.units / CONFIG.blockSeconds),
    gasPerItem: Math.round(gasUsed / Math.max(1, work.items)),
    newSlots: aStorage.created,
    stateBytes: aStorage.created * 32,
    updatedSlots: aStorage.updated,
    clearedSlots: aStorage.cleared,
    full,
    identical,
    anvil: engine(a, aStorage),
    hardhat: engine(h, hStorage),
    benchMs: { sign: round(signedMs), mine: round(minedMs), check: round(performance.now() - started - signedMs - minedMs) },
    problems,
  };
}

function round(x: number, places = 1): number {
  const f = 10 ** places;
  return Math.round(x * f) / f;
}

// ==== REPORT ====

const n = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 1 });
const mgas = (gas: number) => `${gas / 1_000_000}M`;

function workCell(r: Row): string {
  if (r.kind === "basket") return `${n(r.items)} units`;
  if (r.kind === "pallet") return `${n(r.items)} lines`;
  return `${n(r.items)} readings`;
}

function perSecondCell(r: Row): string {
  if (r.kind === "basket") return `**${n(r.unitsPerSecond)}** units/s`;
  if (r.kind === "pallet") return `${n(r.itemsPerSecond)} lines/s (${n(r.unitsPerSecond)} units/s at ${CONFIG.lineQuantity}/line)`;
  return `${n(r.itemsPerSecond)} readings/s`;
}

function needCell(r: Row, need: number): string {
  return r.kind === "basket" ? `${(r.unitsPerSecond / need).toFixed(1)}×` : "—";
}

interface Goal {
  gasLimit: number;
  unitsPerSecond: number;
  workload: string;
  anvilExecMs: number;
  hardhatExecMs: number;
  met: boolean;
  rows: { workload: string; unitsPerSecond: number; anvilExecMs: number; meetsRate: boolean; meetsTime: boolean }[];
}

function goalOf(rows: readonly Row[]): Goal | undefined {
  const at = rows.filter((r) => r.kind === "basket" && r.gasLimit === NEED.goalGasLimit);
  if (at.length === 0) return undefined;
  const best = at.reduce((a, b) => (b.unitsPerSecond > a.unitsPerSecond ? b : a));
  return {
    gasLimit: NEED.goalGasLimit,
    unitsPerSecond: best.unitsPerSecond,
    workload: best.workload,
    anvilExecMs: best.anvil.execMs,
    hardhatExecMs: best.hardhat.execMs,
    met: best.unitsPerSecond >= NEED.goalPerSecond && best.anvil.execMs < NEED.goalExecMs,
    rows: at.map((r) => ({
      workload: r.workload,
      unitsPerSecond: r.unitsPerSecond,
      anvilExecMs: r.anvil.execMs,
      meetsRate: r.unitsPerSecond >= NEED.goalPerSecond,
      meetsTime: r.anvil.execMs < NEED.goalExecMs,
    })),
  };
}

function markdown(report: Report): string {
  const lines = [
    "# Throughput: one block's capacity",
    "",
    `Generated by \`npm run bench:throughput\` (scripts/bench-throughput.ts) on ${report.generatedAt.slice(0, 10)}: ` +
      `${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}; ${report.engines.anvil} and ${report.engines.hardhat}, both Cancun. ` +
      `Run time ${n(report.runSeconds)} s.`,
    "",
    `National need: ${n(NEED.unitsPerDay / 1e6)} M dispensed units a day = **${n(NEED.averagePerSecond)}/s** on average over 24 hours, ` +
      `**${n(NEED.peakPerSecond)}/s** at the 12-hour peak. Goal: **≥ ${n(NEED.goalPerSecond)} dispensed units/s** (5× the average) on ` +
      `${mgas(NEED.goalGasLimit)}-gas, ${CONFIG.blockSeconds}-second blocks, each block executed in **< ${n(NEED.goalExecMs / 1000)} s** on anvil.`,
    "",
  ];
  if (report.goal !== undefined) {
    const g = report.goal;
    lines.push(
      `**Goal ${g.met ? "met" : "NOT met"}:** ${g.workload} at ${mgas(g.gasLimit)} gas dispenses ${n(g.unitsPerSecond)} units/s ` +
        `(${(g.unitsPerSecond / NEED.averagePerSecond).toFixed(1)}× the average, ${(g.unitsPerSecond / NEED.peakPerSecond).toFixed(1)}× the peak); ` +
        `anvil executes the block in ${n(g.anvilExecMs)} ms (Hardhat/EDR: ${n(g.hardhatExecMs)} ms).`,
      "",
    );
  }
  lines.push(
    `| Workload | Block gas | Txs/block | Work/block | Per second (${CONFIG.blockSeconds} s blocks) | vs ${n(NEED.averagePerSecond)}/s avg | vs ${n(NEED.peakPerSecond)}/s peak | Gas/tx | Gas/item | New slots (bytes) | Exec anvil | Exec Hardhat |`,
    "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const r of report.results) {
    lines.push(
      `| ${r.workload} | ${mgas(r.gasLimit)} | ${n(r.txs)} | ${workCell(r)} | ${perSecondCell(r)} | ${needCell(r, NEED.averagePerSecond)} | ${needCell(r, NEED.peakPerSecond)} | ` +
        `${n(r.gasPerTx)} | ${n(r.gasPerItem)} | ${n(r.newSlots)} (${n(r.stateBytes)} B) | ${n(r.anvil.execMs)} ms | ${n(r.hardhat.execMs)} ms |`,
    );
  }
  const problems = report.results.flatMap((r) => r.problems.map((p) => `- ${r.workload}, ${mgas(r.gasLimit)}: ${p}`));
  lines.push(
    "",
    "Work per block: units dispensed (baskets), pallet lines shipped, readings recorded. Only dispensing is compared with the need; " +
      `a pallet line moves any quantity of a batch with the same writes (units shown at ${CONFIG.lineQuantity} per line), and readings are not units. ` +
      "Gas/item: block gas per unit dispensed, line shipped or reading recorded.",
    "",
    "## How it was measured",
    "",
    `- Two real nodes on 127.0.0.1, hardfork Cancun, automine and interval mining off, block gas limit set per row (\`evm_setBlockGasLimit\`): ` +
      "anvil (`--no-mining --hardfork cancun --gas-limit … --base-fee 0`) and Hardhat's JSON-RPC server (EDR) in its own process — the server " +
      "`hardhat node` runs, opened with `{ hardfork: \"cancun\", blockGasLimit, mining: { auto: false, interval: 0 } }` because `hardhat node` " +
      "has no hardfork option (logging off).",
    `- MedState deployed on each with its Ignition module; founders: a regulator, a manufacturer, a wholesaler, a hospital and ${CONFIG.pharmacies} pharmacies. ` +
      `Each pharmacy has one sender account (an operator member) and ${CONFIG.devicesPerPharmacy} loggers (device members), and holds stock of its own ` +
      `range of a ${n(CONFIG.units)}-unit batch whose unit tree is built in index order. The wholesaler holds ${CONFIG.palletBatches} batches and ships ` +
      "pallets through one dispatcher account per pharmacy. Product rules are set (storage 2–25 °C).",
    "- Baskets: one batch group of contiguous units of the pharmacy's range, one OpenZeppelin multiproof. Pallets: wholesaler → pharmacy, " +
      `lines of distinct batches, ${CONFIG.lineQuantity} units each. Readings: \`observeSignedReadings\` of ${CONFIG.readingsPerTx} storage readings of the batch, ` +
      "each EIP-712-signed by a pharmacy's logger (EIP-2098 signatures), submitted by the pharmacy's sender.",
    "- Per row: transactions pre-signed with more than one block's worth of gas (every transaction's gas limit: the first one's estimate + 10% and " +
      "room for new slots); sent to anvil's mempool; exactly one block mined with `evm_mine`; the rest dropped. The very transactions anvil included " +
      "are then sent to the Hardhat node and one block mined there: both engines execute the same block (same transactions and gas, checked).",
    "- Exec time: the wall time of the `evm_mine` call less the median of 3 empty-block `evm_mine` calls made just before it (RPC and block overhead). " +
      `anvil mines each block ${CONFIG.anvilRuns} times (\`evm_snapshot\`/\`evm_revert\` between, the same transactions resent) and the minima count; ` +
      "the Hardhat node mines it once (its times are seconds). The machine's load when the run started is in the JSON (`machine.loadAverage`).",
    "- New slots: anvil's state-diff trace of the block (`trace_replayBlockTransactions` with `stateDiff`) lists every storage slot its transactions wrote; each is read with `eth_getStorageAt` " +
      "at the parent block and at the block, on each engine: a slot that was zero and is not any more is new (32 bytes of state). Both engines agree " +
      "unless listed below.",
    `- Units per second = units per block / ${CONFIG.blockSeconds} s.`,
    "",
    problems.length === 0 ? "No problems: every transaction succeeded, every block was full, both engines executed identical blocks." : "## Problems\n",
    ...problems,
    "",
  );
  return lines.join("\n");
}

interface Report {
  generatedAt: string;
  mode: "full" | "quick";
  runSeconds: number;
  machine: { cpus: number; cpuModel: string; node: string; loadAverage: number[] };
  engines: { anvil: string; hardhat: string };
  config: typeof CONFIG;
  need: typeof NEED;
  goal: Goal | undefined;
  results: Row[];
}

function printRow(r: Row): void {
  console.log(
    `  ${r.workload.padEnd(26)} ${mgas(r.gasLimit).padStart(5)}  ${String(r.txs).padStart(5)} txs  ${workCell(r).padStart(16)}  ` +
      `${n(r.itemsPerSecond).padStart(9)}/s  fill ${(r.fill * 100).toFixed(1)}%  new slots ${n(r.newSlots).padStart(6)}  ` +
      `exec anvil ${n(r.anvil.execMs)} ms, hardhat ${n(r.hardhat.execMs)} ms  (row: sign ${n(r.benchMs.sign / 1000)} s, mine ${n(r.benchMs.mine / 1000)} s, check ${n(r.benchMs.check / 1000)} s)${r.problems.length ? `  [${r.problems.join("; ")}]` : ""}`,
  );
}

// ==== MAIN ====

async function main(): Promise<void> {
  const started = Date.now();
  const loadAverage = os.loadavg().map((x) => round(x, 2));
  const abis = await loadAbis();
  const maxGas = Math.max(...CONFIG.gasLimits);
  console.log(`bench:throughput (${QUICK ? "quick" : "full"}): ${CONFIG.pharmacies} pharmacies, ${n(CONFIG.units)} units, gas limits ${CONFIG.gasLimits.map(mgas).join(", ")}`);
  const [anvilNode, hardhatNode] = await Promise.all([startNode("anvil", maxGas), startNode("hardhat", maxGas)]);
  try {
    const versions = await Promise.all([anvilNode.call<string>("web3_clientVersion"), hardhatNode.call<string>("web3_clientVersion")]);
    console.log(`nodes: ${versions[0]} at ${anvilNode.url}; ${versions[1]} at ${hardhatNode.url}`);
    const genesis = await anvilNode.call<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
    const plan = await makePlan(BigInt(genesis.timestamp));
    const anvil = new Chain(anvilNode, abis);
    const hardhat = new Chain(hardhatNode, abis);
    const setupStarted = Date.now();
    await Promise.all([setUp(anvil, plan, abis), setUp(hardhat, plan, abis)]);
    if (anvil.batches !== hardhat.batches || anvil.registry !== hardhat.registry) {
      throw new Error(`the two deployments differ (anvil ${anvil.batches}, hardhat ${hardhat.batches}): the same transactions cannot run on both`);
    }
    console.log(`deployed and set up on both in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s (BatchRegistry ${anvil.batches})`);

    const results: Row[] = [];
    for (const w of MIX) {
      for (const gasLimit of CONFIG.gasLimits) {
        const row = await measure(w, gasLimit, plan, anvil, hardhat, abis);
        printRow(row);
        results.push(row);
      }
    }

    const report: Report = {
      generatedAt: new Date().toISOString(),
      mode: QUICK ? "quick" : "full",
      runSeconds: round((Date.now() - started) / 1000),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? "unknown", node: process.version, loadAverage },
      engines: { anvil: versions[0], hardhat: versions[1] },
      config: CONFIG,
      need: NEED,
      goal: goalOf(results),
      results,
    };
    const dir = QUICK ? path.join(os.tmpdir(), "medstate-bench-throughput") : path.join(ROOT, "bench");
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "throughput.json"), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(path.join(dir, "throughput.md"), markdown(report));
    if (report.goal !== undefined) {
      const g = report.goal;
      console.log(`goal ${g.met ? "met" : "NOT met"}: ${n(g.unitsPerSecond)} units/s (${g.workload}, ${mgas(g.gasLimit)}), anvil exec ${n(g.anvilExecMs)} ms`);
    }
    console.log(`written ${path.relative(process.cwd(), path.join(dir, "throughput.json"))} and throughput.md in ${n(report.runSeconds)} s`);
  } finally {
    await Promise.all([anvilNode.stop(), hardhatNode.stop()]);
  }
}

const servePort = process.env.THROUGHPUT_SERVE_PORT;
if (servePort !== undefined) {
  await serveHardhatNode(Number(servePort), Number(process.env.THROUGHPUT_SERVE_GAS_LIMIT ?? 30_000_000));
} else {
  process.once("exit", stopChildren);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      stopChildren();
      console.error(`bench:throughput: stopped by ${signal}; both nodes stopped`);
      process.exit(130);
    });
  }
  try {
    await main();
  } catch (error) {
    stopChildren();
    console.error(`bench:throughput: ${(error as Error).message.split("\n")[0]}`);
    process.exitCode = 1;
  }
}
