/**
 * What every MedState task shares: the network connection, the deployment record,
 * typed contracts, the signer picked by `--from`, and the uniform way a task ends
 * (one JSON document with `--json`, a short summary without; a refusal as one line
 * on stderr and a non-zero exit code, with nothing changed).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import {
  type ContractTransactionResponse,
  type Interface,
  type LogDescription,
  type TransactionReceipt,
  getAddress,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import { type DeploymentRecord, readRecord } from "../../sdk/deployment.js";
import { type DecodedError, type ErrorContext, UserError, explainError, namesStates } from "../../sdk/errors.js";
import { ROLES } from "../../sdk/enums.js";
import { graphFrom } from "../../sdk/quality.js";
import { shortenIds } from "../../sdk/references.js";
import type { DeploymentContracts } from "./contracts.js";

export type Connection = NetworkConnection<"l1">;
export type Ethers = Connection["ethers"];

/** Records of in-process (simulated) chains: they vanish with the process, so they are never written. */
const simulatedRecords = new Map<string, DeploymentRecord>();

/** An opened deployment: the connection, its record, and its typed contracts. */
export interface Deployed extends DeploymentContracts {
  connection: Connection;
  ethers: Ethers;
  chainId: bigint;
  record: DeploymentRecord;
}

export async function connect(hre: HardhatRuntimeEnvironment): Promise<Connection> {
  return (await hre.network.getOrCreate()) as unknown as Connection;
}

export function isSimulated(connection: Connection): boolean {
  return connection.networkConfig.type === "edr-simulated";
}

export async function loadRecord(
  hre: HardhatRuntimeEnvironment,
  connection: Connection,
  chainId: bigint,
): Promise<DeploymentRecord | undefined> {
  if (isSimulated(connection)) return simulatedRecords.get(chainId.toString());
  return readRecord(hre.config.paths.ignition, chainId);
}

export function rememberSimulated(record: DeploymentRecord): void {
  simulatedRecords.set(record.chainId, record);
}

export function forgetSimulated(chainId: bigint): void {
  simulatedRecords.delete(chainId.toString());
}

/** Connects and loads the deployment record; refuses when there is none or it is stale. */
export async function openDeployment(hre: HardhatRuntimeEnvironment): Promise<Deployed> {
  const connection = await connect(hre);
  const { ethers } = connection;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const record = await loadRecord(hre, connection, chainId);
  const deployHint = `npx hardhat system deploy --network ${connection.networkName}`;
  if (record === undefined) {
    throw new UserError(`no MedState deployment on chain ${chainId} (network ${connection.networkName}): run \`${deployHint}\``);
  }
  const registryAddress = record.contracts.ConsortiumRegistry;
  // The contracts run as `ethers.getContractAt` runs them (the first account, else the
  // provider); that account list is read while the record is checked against the chain.
  const signers = ethers.getSigners();
  signers.catch(() => undefined);
  if ((await ethers.provider.getCode(registryAddress)) === "0x") {
    throw new UserError(
      `the deployment record for chain ${chainId} points at ${registryAddress}, which has no code (a restarted dev node?): run \`${deployHint} --reset\``,
    );
  }
  const [first] = await signers;
  const { deploymentContracts } = await import("./contracts.js");
  opened = { connection, ethers, chainId, record, ...deploymentContracts(record, first ?? ethers.provider) };
  addressBookFile = process.env.MEDSTATE_ACCOUNTS ?? path.join(hre.config.paths.root, "deploy", "accounts.json");
  addressBookNetwork = connection.networkName;
  return opened;
}

/** The deployment this process opened last: a refusal's states are named from its graph. */
let opened: Deployed | undefined;

/** Where the operator's address book lives (`deploy/accounts.json`), and for which network, once a deployment is opened. */
let addressBookFile: string | undefined;
let addressBookNetwork: string | undefined;

/** The account the last write of this process was signed with: the task's output names it. */
let lastSigner: string | undefined;

/**
 * The address book: labels an operator gave its accounts, per network
 * (`{ "localhost": { "maker": "0x…" | index } }`), or one flat table for every network.
 */
export async function readAddressBook(file = addressBookFile, network = addressBookNetwork): Promise<Record<string, string>> {
  if (file === undefined || !existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new UserError(`cannot read the address book ${file}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UserError(`the address book ${file} must be one JSON object of label → address or account index`);
  }
  const all = parsed as Record<string, unknown>;
  const sectioned = Object.values(all).some((v) => v !== null && typeof v === "object");
  const section = sectioned ? all[network ?? ""] : all;
  if (section === undefined) return {};
  if (section === null || typeof section !== "object" || Array.isArray(section)) {
    throw new UserError(`the address book ${file}: "${network}" must be an object of label → address or account index`);
  }
  const book: Record<string, string> = {};
  for (const [label, value] of Object.entries(section as Record<string, unknown>)) {
    if (typeof value !== "string" && typeof value !== "number") {
      throw new UserError(`the address book ${file}: "${label}" must be an address or an account index`);
    }
    book[label.toLowerCase()] = String(value);
  }
  return book;
}

/**
 * The signer `--from` names: an account index, one of the network's addresses, or a
 * label of the address book (`deploy/accounts.json`). Without `--from`, the default the
 * operator set in `MEDSTATE_FROM`; there is no silent default.
 */
export async function resolveSigner(ethers: Ethers, from: string | undefined): Promise<HardhatEthersSigner> {
  const given = from?.trim() ?? "";
  const fromEnv = process.env.MEDSTATE_FROM?.trim() ?? "";
  const option = given !== "" ? "--from" : "MEDSTATE_FROM";
  let wanted = given !== "" ? given : fromEnv;
  if (wanted === "") {
    throw new UserError(
      "missing --from: say who signs (an account index, an address, or a label from deploy/accounts.json), or set MEDSTATE_FROM",
    );
  }
  const signers = await ethers.getSigners();
  if (signers.length === 0) throw new UserError("this network has no accounts to sign with");
  if (!/^\d+$/.test(wanted) && !/^0x/i.test(wanted)) {
    const book = await readAddressBook();
    const entry = book[wanted.toLowerCase()];
    if (entry === undefined) {
      const labels = Object.keys(book);
      throw new UserError(
        `invalid ${option} "${wanted}": not an account index, an address, or a label of the address book` +
          (labels.length === 0
            ? ` (${addressBookFile ?? "deploy/accounts.json"} has none for network ${addressBookNetwork ?? "?"})`
            : ` (labels: ${labels.join(", ")})`),
      );
    }
    wanted = entry;
  }
  let signer: HardhatEthersSigner | undefined;
  if (/^\d+$/.test(wanted)) {
    const index = Number(wanted);
    if (index >= signers.length) {
      throw new UserError(`invalid ${option} ${wanted}: this network has accounts 0 to ${signers.length - 1}`);
    }
    signer = signers[index];
  } else {
    const address = parseAddress(option, wanted);
    signer = signers.find((s) => s.address.toLowerCase() === address.toLowerCase());
    if (signer === undefined) throw new UserError(`invalid ${option} ${wanted}: not one of this network's accounts`);
  }
  lastSigner = signer.address;
  return signer;
}

/** The account the last {@link resolveSigner} of this process returned (then forgotten). */
export function takeLastSigner(): string | undefined {
  const account = lastSigner;
  lastSigner = undefined;
  return account;
}

// ==== argument parsing (one clear line per mistake) ====

export function required(option: string, value: string | undefined): string {
  if (value === undefined || value.trim() === "") throw new UserError(`missing ${option}`);
  return value.trim();
}

/** A 0x-address, all lower case or with a valid EIP-55 checksum; returned checksummed. */
export function parseAddress(option: string, value: string | undefined): string {
  const text = required(option, value);
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) throw new UserError(`invalid ${option} "${text}": not a 0x-prefixed 20-byte address`);
  try {
    return getAddress(text);
  } catch {
    throw new UserError(`invalid ${option} "${text}": bad EIP-55 checksum`);
  }
}

export function parseId(option: string, value: string | undefined, max = 2n ** 64n - 1n): bigint {
  const text = required(option, value);
  if (!/^\d+$/.test(text) || BigInt(text) === 0n || BigInt(text) > max) {
    throw new UserError(`invalid ${option} "${text}": expected a positive integer id`);
  }
  return BigInt(text);
}

// ==== sending ====

/** Sends a transaction and waits for its receipt; a revert surfaces as its decoded error. */
export async function send(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const response = await tx;
  const receipt = await response.wait();
  if (receipt === null) throw new UserError(`transaction ${response.hash} was dropped`);
  return receipt;
}

/** The contracts of a deployment a write task sends through. */
export type Writable = "registry" | "governor" | "batches" | "quality" | "collaboration" | "suspects";

/** Sends `call` on `deployed[contract]`, signed by the account `--from` names, and waits for its receipt. */
export async function sendAs<K extends Writable>(
  deployed: Deployed,
  contract: K,
  from: string | undefined,
  call: (c: Deployed[K]) => Promise<ContractTransactionResponse>,
): Promise<TransactionReceipt> {
  const signer = await resolveSigner(deployed.ethers, from);
  return send(call(deployed[contract].connect(signer) as Deployed[K]));
}

/** The decoded logs of `contract` in a receipt, by event name. */
export function eventsNamed(
  contract: { target: unknown; interface: Interface },
  receipt: TransactionReceipt,
  name: string,
): LogDescription[] {
  const address = String(contract.target).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed !== null && parsed.name === name);
}

// ==== output ====

export interface TaskResult {
  /** The JSON document printed with `--json`. */
  json: unknown;
  /** The human summary printed without it. */
  human: string;
  /**
   * A finding that must fail the command although the request itself went through
   * (a suspect unit): printed as one line on stderr after the result, exit code 1.
   */
  alarm?: string;
  /**
   * Print the human summary's ids whole: hashes an operator types back where a short
   * form would not do (an application hash is what `product approve --application`
   * checks, and 32 bits of it could be ground to match another application).
   */
  wholeIds?: boolean;
}

/** JSON with the CLI's conventions: integers as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** Each deployment's party names, read once (a party's name never changes). */
const partyNameCache = new WeakMap<object, Promise<Map<bigint, string>>>();

/**
 * Every party's name by id, from its `PartyAdmitted` event: one log query per opened
 * deployment, read again only when one of `ids` is not among them (admitted since).
 */
export async function partyNamesOf(deployed: Pick<Deployed, "registry" | "record">, ids: bigint[] = []): Promise<Map<bigint, string>> {
  const cached = partyNameCache.get(deployed);
  if (cached !== undefined) {
    const known = await cached.catch(() => undefined);
    if (known !== undefined && ids.every((id) => known.has(id))) return known;
  }
  const { registry, record } = deployed;
  const names = registry
    .queryFilter(registry.filters.PartyAdmitted(), Number(record.block))
    .then((admitted) => new Map(admitted.map((e) => [e.args.partyId, e.args.name] as const)));
  partyNameCache.set(deployed, names);
  return names;
}

/**
 * Human output with every party named where it is mentioned by number alone:
 * `party 3` becomes `party 3 (Xihu Pharma Distribution Co., Ltd.)`. A mention already
 * followed by its name — `party 3 (…)`, `party 3, <its name>`, `party 3 "…"` —, a possessive
 * (`party 3's pallet`) and one inside parentheses (`(party 3)`) are left as they are.
 */
async function namePartiesIn(text: string): Promise<string> {
  const mention = /(?<!\()\bparty (\d+)(?!\d|'s| \(| ")/g;
  const ids = [...text.matchAll(mention)].map((m) => BigInt(m[1]));
  if (opened === undefined || ids.length === 0) return text;
  let names: Map<bigint, string>;
  try {
    names = await partyNamesOf(opened, ids);
  } catch {
    return text;
  }
  return text.replace(mention, (whole: string, id: string, offset: number) => {
    const name = names.get(BigInt(id));
    if (name === undefined || text.startsWith(`, ${name}`, offset + whole.length)) return whole;
    return `party ${id} (${name})`;
  });
}

/** `signed by 0xf39F…2266 (admin of party 1, Zhejiang MPA)`: who signed a write, as its output says. */
export async function signerLine(account: string): Promise<string> {
  const short = `${account.slice(0, 6)}…${account.slice(-4)}`;
  if (opened === undefined) return `signed by ${short}`;
  try {
    const member = await opened.registry.getMember(account);
    if (member.partyId === 0n) return `signed by ${short} (no member)`;
    const name = (await partyNamesOf(opened, [member.partyId])).get(member.partyId);
    return `signed by ${short} (${ROLES[Number(member.role)] ?? String(member.role)} of party ${member.partyId}, ${name})`;
  } catch {
    return `signed by ${short}`;
  }
}

/**
 * What a refusal is decoded with: the deployment's own state names when the error names
 * states and a deployment was opened (best effort: the pharmaceutical graph's otherwise).
 */
async function errorContext(error: unknown): Promise<ErrorContext> {
  if (opened === undefined || !namesStates(error)) return {};
  try {
    return { stateNames: graphFrom(await opened.collaboration.stateGraph()).map((s) => s.name) };
  } catch {
    return {};
  }
}

/** One line for `error`, its states named from the deployment's graph: for a task that wraps a refusal in its own words. */
export async function describeRefusal(error: unknown): Promise<string> {
  return explainError(error, await errorContext(error)).message;
}

/** Where each network's URL comes from, for the message of a node that does not answer. */
const URL_VARIABLES: Record<string, string> = { localhost: "MEDSTATE_RPC_URL", besu: "MEDSTATE_BESU_URL" };

/**
 * A node that does not answer, said as an operator can act on it: the network, its URL
 * and the variable that sets it (instead of a connection error code).
 */
async function unreachableNode(error: unknown, hre: HardhatRuntimeEnvironment): Promise<DecodedError | undefined> {
  // Our own refusals say what failed (a gateway, not the node, may be what did not answer).
  if (error instanceof UserError) return undefined;
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  const name = hre.globalOptions.network ?? "default";
  const missing = /Configuration Variable "([A-Z0-9_]+)" not found/.exec(text);
  if (missing !== null) {
    return {
      name: "MissingVariable",
      args: { network: name, variable: missing[1] },
      message: `network ${name} needs ${missing[1]}: set it in the environment, or \`npx hardhat keystore set ${missing[1]}\``,
    };
  }
  if (!/HHE703|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|fetch failed|Cannot connect to the network/i.test(text)) return undefined;
  const url = (await networkUrl(hre.config.networks[name]).catch(() => undefined)) ?? "its URL";
  const variable = URL_VARIABLES[name];
  return {
    name: "NodeUnreachable",
    args: { network: name, url },
    message:
      `no node answers for network ${name} at ${url}: start it (\`npm run node\` for localhost)` +
      (variable === undefined ? "" : ` or point ${variable} at a running node`),
  };
}

/** The node URL of an HTTP network's config (a string, or a configuration variable read now), or undefined for another kind. */
export async function networkUrl(config: unknown): Promise<string | undefined> {
  const raw = (config as { url?: { get?: () => Promise<string> } | string } | undefined)?.url;
  return typeof raw === "string" ? raw : raw?.get?.();
}

/**
 * Wraps a task body: prints its result, or prints the refusal as one line on stderr
 * and sets a non-zero exit code (never a stack trace, never a raw revert blob); with
 * `--json`, the refusal is also `{"error": {"name", "args", "message"}}` on stdout.
 */
export function taskAction<A extends { json?: boolean }>(
  body: (args: A, hre: HardhatRuntimeEnvironment) => Promise<TaskResult>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<TaskResult | undefined> {
  return async (args, hre) => {
    takeLastSigner();
    try {
      const result = await body(args, hre);
      const signer = takeLastSigner();
      if (signer !== undefined && !result.human.includes("signed by")) result.human += ` — ${await signerLine(signer)}`;
      if (args.json !== true) result.human = await namePartiesIn(result.human);
      if (args.json === true) process.stdout.write(`${toJson(result.json)}\n`);
      else process.stdout.write(`${result.wholeIds === true ? result.human : shortenIds(result.human)}\n`);
      if (result.alarm !== undefined) {
        process.stderr.write(`error: ${result.alarm}\n`);
        process.exitCode = 1;
      }
      return result;
    } catch (error) {
      const decoded = (await unreachableNode(error, hre)) ?? explainError(error, await errorContext(error));
      if (args.json === true) process.stdout.write(`${toJson({ error: decoded })}\n`);
      process.stderr.write(`error: ${decoded.message}\n`);
      process.exitCode = 1;
      return undefined;
    }
  };
}
