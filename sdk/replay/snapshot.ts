/**
 * Snapshots: a backup an auditor can check anywhere. {@link takeSnapshot} replays the
 * chain to its head, refuses unless the rebuilt state equals the contracts' views, and
 * writes one canonical JSON document: the block (number and hash) it stands on, the
 * rebuilt state in its canonical plain form and its digest, and the off-chain
 * artefacts the chain commits to (each batch's unit dump, every observation's
 * evidence reference). {@link verifySnapshot} checks such a document against any node:
 * the node has that block with that hash, a replay from the deployment block to it
 * gives the same digest (else every differing path), the snapshot's state equals the
 * views at that block, and the unit dumps and evidence files still hash and rebuild to
 * what the chain says.
 */
import { access, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { type Log, type Provider, keccak256 } from "ethers";

import { medstateInterface, parseMedstateLog } from "../contracts.js";
import { type DeploymentRecord, deploymentId } from "../deployment.js";
import { UserError } from "../errors.js";
import { writeAtomically } from "../files.js";
import { loadUnitDump } from "../units.js";
import { type ReplayChainOptions, replayChain } from "./chain.js";
import { canonicalJson, parseCanonical, stateDigest } from "./codec.js";
import { compareState } from "./compare.js";
import { type LogProvider, streamLogs } from "./logs.js";
import type { ReplayState } from "./state.js";

// ==== TYPES ====

export const SNAPSHOT_FORMAT = "medstate-snapshot/1";

/** A batch's unit dump: the off-chain Merkle tree behind its on-chain `unitsRoot`. */
export interface UnitDumpArtefact {
  batchId: string;
  unitsRoot: string;
  unitCount: string;
  /** The dump's path relative to the Ignition directory (`deployments/chain-<id>/units/<root>.json`); null when missing. */
  file: string | null;
  /** keccak-256 of the dump's bytes; null when missing. */
  keccak256: string | null;
}

/** An observation's evidence reference, as its ObservationAnnotated event carries it. */
export interface EvidenceArtefact {
  subject: string;
  seq: string;
  evidenceHash: string;
  evidenceUri: string;
}

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  chainId: string;
  /** The deployment record's contracts (name → address). */
  contracts: Record<string, string>;
  /** The block the replay starts from (the deployment record's). */
  deploymentBlock: string;
  block: string;
  blockHash: string;
  /** The block's timestamp, ISO-8601. */
  blockTime: string;
  /** keccak-256 of the state's canonical JSON ({@link stateDigest}). */
  digest: string;
  /** The rebuilt state in canonical plain form (bigints and Maps tagged, see ./codec.ts). */
  state: unknown;
  artefacts: { units: UnitDumpArtefact[]; evidence: EvidenceArtefact[] };
}

export interface SnapshotDifference {
  /** What differs: block hash, digest, state, view, unit dump missing, evidence altered, … */
  what: string;
  /** A path in the state, a view's field, or a file. */
  path?: string;
  /** The batch, observation (`subject/seq`) or view entity concerned. */
  entity?: string;
  snapshot: string | null;
  actual: string | null;
}

/** Evidence that could not be checked here (a remote URI without a local copy, no hash): not a failure. */
export interface UnverifiedEvidence extends EvidenceArtefact {
  reason: string;
}

type Progress = ReplayChainOptions["onProgress"];

const ZERO_HASH = `0x${"0".repeat(64)}`;
const HASH = /^0x[0-9a-fA-F]{64}$/;

// ==== TAKING A SNAPSHOT ====

export interface TakeSnapshotOptions {
  provider: Provider;
  record: DeploymentRecord;
  /** The Ignition directory: unit dumps are looked for under `deployments/chain-<id>/units/`. */
  ignitionDir: string;
  /** The block to stand on (default: the head when the replay starts). */
  toBlock?: number;
  onProgress?: Progress;
}

/** Where a chain's unit dumps live under an Ignition directory. */
export function unitDumpDir(ignitionDir: string, chainId: bigint | string): string {
  return path.join(ignitionDir, "deployments", deploymentId(chainId), "units");
}

/**
 * Replays to the head (or `toBlock`) with the comparison, and builds the snapshot. Refuses
 * (a {@link UserError}) when the views disagree with the events or the log has anomalies:
 * a snapshot of a state that disagrees with the views is not a backup.
 */
export async function takeSnapshot(options: TakeSnapshotOptions): Promise<Snapshot> {
  const { provider, record, ignitionDir } = options;
  const result = await replayChain({ provider, record, toBlock: options.toBlock, onProgress: options.onProgress });
  if (result.mismatches.length + result.anomalies.length > 0) {
    const first = result.anomalies[0]?.problem ?? (result.mismatches[0] && `${result.mismatches[0].entity} ${result.mismatches[0].field}`);
    throw new UserError(
      `refusing to snapshot block ${result.toBlock}: ${result.mismatches.length} mismatches and ${result.anomalies.length} log anomalies ` +
        `between the events and the views (first: ${first}); run \`audit replay\``,
    );
  }
  const dir = unitDumpDir(ignitionDir, record.chainId);
  const units: UnitDumpArtefact[] = [];
  for (const [batchId, batch] of [...result.state.batches.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const artefact: UnitDumpArtefact = {
      batchId,
      unitsRoot: batch.unitsRoot.toLowerCase(),
      unitCount: batch.unitCount.toString(),
      file: null,
      keccak256: null,
    };
    if (batch.unitCount > 0n) {
      const file = path.join(dir, `${artefact.unitsRoot}.json`);
      const bytes = await readIfPresent(file);
      if (bytes !== undefined) {
        artefact.file = path.relative(ignitionDir, file).split(path.sep).join("/");
        artefact.keccak256 = keccak256(bytes);
      }
    }
    units.push(artefact);
  }
  const evidence = await evidenceReferences(provider, record.contracts.BatchRegistry, Number(record.block), result.toBlock);
  const block = await provider.getBlock(result.toBlock);
  if (block === null) throw new Error(`no block ${result.toBlock} on this node`);
  return {
    format: SNAPSHOT_FORMAT,
    chainId: record.chainId,
    contracts: { ...record.contracts },
    deploymentBlock: String(record.block),
    block: String(result.toBlock),
    blockHash: result.blockHash,
    blockTime: new Date(block.timestamp * 1000).toISOString(),
    digest: result.digest,
    state: JSON.parse(canonicalJson(result.state)) as unknown,
    artefacts: { units, evidence },
  };
}

/** Unit dumps a snapshot lists as missing (batches with units but no dump on this machine). */
export function missingUnitDumps(snapshot: Snapshot): UnitDumpArtefact[] {
  return snapshot.artefacts.units.filter((u) => u.unitCount !== "0" && u.keccak256 === null);
}

/**
 * Every evidence reference (ObservationAnnotated with a hash or a URI) of the BatchRegistry
 * from `fromBlock` to `toBlock`: a separate streaming pass, filtered by the event's topic.
 */
export async function evidenceReferences(
  provider: Provider,
  batchRegistry: string,
  fromBlock: number,
  toBlock: number,
): Promise<EvidenceArtefact[]> {
  const iface = medstateInterface();
  const event = iface.getEvent("ObservationAnnotated");
  if (event === null) throw new Error("the MedState ABI has no ObservationAnnotated event");
  const topic = event.topicHash;
  const filtered: LogProvider = {
    getBlockNumber: () => provider.getBlockNumber(),
    getLogs: (filter) => provider.getLogs({ ...filter, topics: [topic] }),
  };
  const out: EvidenceArtefact[] = [];
  if (fromBlock > toBlock) return out;
  for await (const page of streamLogs(filtered, { addresses: [batchRegistry], fromBlock, toBlock })) {
    for (const log of page.logs as Log[]) {
      if (log.topics[0] !== topic) continue;
      const parsed = parseMedstateLog(log);
      if (parsed === null) continue;
      const evidenceHash = String(parsed.args.evidenceHash).toLowerCase();
      const evidenceUri = String(parsed.args.evidenceUri);
      if (evidenceHash === ZERO_HASH && evidenceUri === "") continue; // a correction alone
      out.push({ subject: String(parsed.args.subject).toLowerCase(), seq: String(parsed.args.seq), evidenceHash, evidenceUri });
    }
  }
  return out;
}

// ==== FILES ====

/** The snapshot as it is written: canonical JSON (sorted keys, no whitespace) and a newline. */
export function snapshotText(snapshot: Snapshot): string {
  return `${canonicalJson(snapshot)}\n`;
}

/** Writes the snapshot atomically (a temporary file in the same directory, synced, then renamed). */
export async function writeSnapshot(file: string, snapshot: Snapshot): Promise<void> {
  await writeAtomically(file, snapshotText(snapshot));
}

/** Reads and checks the shape of a snapshot file; a malformed one is a {@link UserError} naming the file. */
export async function readSnapshot(file: string): Promise<Snapshot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UserError(`cannot read snapshot ${file}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`invalid snapshot ${file}: not JSON`);
  }
  const bad = (what: string): never => {
    throw new UserError(`invalid snapshot ${file}: ${what}`);
  };
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) bad("expected a JSON object");
  const s = parsed as Record<string, unknown>;
  if (s.format !== SNAPSHOT_FORMAT) bad(`format must be "${SNAPSHOT_FORMAT}"`);
  for (const key of ["chainId", "deploymentBlock", "block"]) {
    if (typeof s[key] !== "string" || !/^\d+$/.test(s[key] as string)) bad(`${key} must be a decimal string`);
  }
  for (const key of ["blockHash", "digest"]) {
    if (typeof s[key] !== "string" || !HASH.test(s[key] as string)) bad(`${key} must be 0x and 64 hex digits`);
  }
  const contracts = s.contracts as Record<string, unknown> | undefined;
  for (const name of ["ConsortiumRegistry", "ConsortiumGovernor", "BatchRegistry"]) {
    if (typeof contracts?.[name] !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(contracts[name] as string)) {
      bad(`contracts.${name} must be an address`);
    }
  }
  if (s.state === null || typeof s.state !== "object") bad("state must be an object");
  const artefacts = s.artefacts as Record<string, unknown> | undefined;
  if (!Array.isArray(artefacts?.units) || !Array.isArray(artefacts?.evidence)) bad("artefacts.units and artefacts.evidence must be arrays");
  return parsed as Snapshot;
}

async function readIfPresent(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

// ==== VERIFYING A SNAPSHOT ====

export interface VerifySnapshotOptions {
  provider: Provider;
  snapshot: Snapshot;
  /** The Ignition directory whose `deployments/chain-<id>/units/` holds the dumps (default: the current directory). */
  ignitionDir?: string;
  /** Look for unit dumps (`<root>.json`) here instead of under the Ignition directory. */
  unitsDir?: string;
  /** Local copies of evidence files, by the URI's file name (or named by the evidence hash). */
  evidenceDir?: string;
  /** State paths listed at most (default 100); `stateDifferences` counts them all. */
  maxDifferences?: number;
  onProgress?: Progress;
}

export interface VerifySnapshotResult {
  ok: boolean;
  /** Every difference found (state paths capped at `maxDifferences`). */
  differences: SnapshotDifference[];
  /** All differences, including the state paths left off. */
  differenceCount: number;
  /** Differing state paths, including those left off. */
  stateDifferences: number;
  /** The digest of the state rebuilt on this node (undefined when the block is not there). */
  rebuiltDigest?: string;
  /** Unit dumps and evidence files checked (present and compared). */
  checked: { units: number; evidence: number };
  unverified: UnverifiedEvidence[];
}

/**
 * Checks a snapshot against a node: its block and hash, the digest of a replay from the
 * deployment block to that block (with every differing state path when it differs), the
 * snapshot's state against the views at that block, then the unit dumps (present, same
 * bytes, Merkle root = unitsRoot) and the evidence files (present, same keccak-256).
 */
export async function verifySnapshot(options: VerifySnapshotOptions): Promise<VerifySnapshotResult> {
  const { provider, snapshot } = options;
  const cap = options.maxDifferences ?? 100;
  const differences: SnapshotDifference[] = [];
  const unverified: UnverifiedEvidence[] = [];
  const checked = { units: 0, evidence: 0 };
  let stateDifferences = 0;
  let leftOff = 0;
  const done = (rebuiltDigest?: string): VerifySnapshotResult => ({
    ok: differences.length === 0 && leftOff === 0,
    differences,
    differenceCount: differences.length + leftOff,
    stateDifferences,
    rebuiltDigest,
    checked,
    unverified,
  });

  const chainId = (await provider.getNetwork()).chainId.toString();
  if (chainId !== snapshot.chainId) {
    differences.push({ what: "chain id", snapshot: snapshot.chainId, actual: chainId });
    return done();
  }
  const blockNumber = Number(snapshot.block);
  const block = await provider.getBlock(blockNumber);
  if (block?.hash?.toLowerCase() !== snapshot.blockHash.toLowerCase()) {
    differences.push({ what: "block hash", entity: `block ${snapshot.block}`, snapshot: snapshot.blockHash, actual: block?.hash ?? null });
  }
  if (block === null) return done(); // nothing to replay to

  // ---- the snapshot's own state: it must still be the state its digest names ----
  let saved: ReplayState | undefined;
  try {
    saved = parseCanonical<ReplayState>(JSON.stringify(snapshot.state));
    const own = stateDigest(saved);
    if (own !== snapshot.digest.toLowerCase()) {
      differences.push({ what: "snapshot digest", path: "digest", snapshot: snapshot.digest, actual: own });
    }
  } catch (error) {
    differences.push({ what: "snapshot state", path: "state", snapshot: null, actual: `not a replay state: ${(error as Error).message}` });
  }

  // ---- replay on this node, from the deployment block to the snapshot's ----
  const contracts = snapshot.contracts as DeploymentRecord["contracts"];
  const record: DeploymentRecord = {
    chainId: snapshot.chainId,
    network: "snapshot",
    block: snapshot.deploymentBlock,
    deployedAt: "",
    contracts,
    implementations: contracts,
  };
  const rebuilt = await replayChain({ provider, record, toBlock: blockNumber, compare: false, onProgress: options.onProgress });
  if (rebuilt.digest !== snapshot.digest.toLowerCase()) {
    differences.push({ what: "digest", path: "digest", snapshot: snapshot.digest, actual: rebuilt.digest });
  }
  const rebuiltPlain = JSON.parse(canonicalJson(rebuilt.state)) as unknown;
  if (canonicalJson(snapshot.state) !== canonicalJson(rebuiltPlain)) {
    diffPlain(snapshot.state, rebuiltPlain, "", (what) => {
      if (++stateDifferences <= cap) differences.push({ what: "state", ...what });
      else leftOff++;
    });
  }

  // ---- the snapshot's state against the views at its block ----
  if (saved !== undefined) {
    try {
      const mismatches = await compareState(provider, saved, { blockTag: blockNumber });
      for (const m of mismatches) differences.push({ what: "view", entity: m.entity, path: m.field, snapshot: m.replayed, actual: m.view });
    } catch (error) {
      differences.push({ what: "view", path: "state", snapshot: null, actual: `the views could not be compared: ${firstLine(error)}` });
    }
  }

  // ---- unit dumps: the chain's batches, and each dump's bytes and Merkle root ----
  const listed = new Map(snapshot.artefacts.units.map((u) => [u.batchId.toLowerCase(), u]));
  for (const [batchId, batch] of rebuilt.state.batches) {
    const u = listed.get(batchId);
    const actual = `${batch.unitsRoot.toLowerCase()}/${batch.unitCount}`;
    if (u === undefined || `${u.unitsRoot.toLowerCase()}/${u.unitCount}` !== actual) {
      differences.push({ what: "unit dump reference", entity: batchId, snapshot: u === undefined ? null : `${u.unitsRoot}/${u.unitCount}`, actual });
    }
  }
  for (const u of snapshot.artefacts.units) {
    if (!rebuilt.state.batches.has(u.batchId.toLowerCase())) {
      differences.push({ what: "unit dump reference", entity: u.batchId, snapshot: `${u.unitsRoot}/${u.unitCount}`, actual: null });
    }
    if (u.unitCount === "0") continue;
    await checkUnitDump(u, options, differences, checked);
  }

  // ---- evidence: the chain's references, and each file's hash ----
  const onChain = await evidenceReferences(provider, contracts.BatchRegistry, Number(snapshot.deploymentBlock), blockNumber);
  const refKey = (e: EvidenceArtefact) => `${e.subject.toLowerCase()}/${e.seq}`;
  const refValue = (e: EvidenceArtefact) => `${e.evidenceHash.toLowerCase()} ${e.evidenceUri}`;
  const saidOnChain = new Map(onChain.map((e) => [refKey(e), e]));
  const saidInSnapshot = new Map(snapshot.artefacts.evidence.map((e) => [refKey(e), e]));
  for (const [k, e] of saidOnChain) {
    const s = saidInSnapshot.get(k);
    if (s === undefined || refValue(s) !== refValue(e)) {
      differences.push({ what: "evidence reference", entity: k, snapshot: s === undefined ? null : refValue(s), actual: refValue(e) });
    }
  }
  for (const [k, s] of saidInSnapshot) {
    if (!saidOnChain.has(k)) differences.push({ what: "evidence reference", entity: k, snapshot: refValue(s), actual: null });
  }
  for (const e of snapshot.artefacts.evidence) await checkEvidence(e, options.evidenceDir, differences, unverified, checked);

  return done(rebuilt.digest);
}

async function checkUnitDump(
  u: UnitDumpArtefact,
  options: VerifySnapshotOptions,
  differences: SnapshotDifference[],
  checked: { units: number },
): Promise<void> {
  const root = u.unitsRoot.toLowerCase();
  const ignitionDir = options.ignitionDir ?? ".";
  // Dumps are content-addressed: `<root>.json` in the chain's units directory (what `file` records).
  const where = path.join(options.unitsDir ?? unitDumpDir(ignitionDir, options.snapshot.chainId), `${root}.json`);
  const bytes = await readIfPresent(where);
  if (bytes === undefined) {
    differences.push({ what: "unit dump missing", entity: u.batchId, path: where, snapshot: u.keccak256, actual: null });
    return;
  }
  checked.units++;
  const hash = keccak256(bytes);
  if (u.keccak256 !== null && hash !== u.keccak256.toLowerCase()) {
    differences.push({ what: "unit dump altered", entity: u.batchId, path: where, snapshot: u.keccak256, actual: hash });
  }
  try {
    const dump = await loadUnitDump(path.dirname(where), root);
    if (String(dump.count) !== u.unitCount) {
      differences.push({ what: "unit dump count", entity: u.batchId, path: where, snapshot: u.unitCount, actual: String(dump.count) });
    }
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    differences.push({ what: "unit dump root", entity: u.batchId, path: where, snapshot: root, actual: error.message });
  }
}

/** Whether a URI names a remote resource (a scheme other than file:). */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

async function checkEvidence(
  e: EvidenceArtefact,
  evidenceDir: string | undefined,
  differences: SnapshotDifference[],
  unverified: UnverifiedEvidence[],
  checked: { evidence: number },
): Promise<void> {
  const entity = `${e.subject}/${e.seq}`;
  const skip = (reason: string) => void unverified.push({ ...e, reason });
  if (e.evidenceHash.toLowerCase() === ZERO_HASH) return skip("no evidence hash to compare with");
  const uri = e.evidenceUri.trim();

  // Where a local copy would be, and whether its absence is a loss (a local reference) or not (a remote one).
  const candidates: string[] = [];
  let local = false;
  if (uri === "") {
    if (evidenceDir === undefined) return skip("no evidence URI and no --evidence-dir");
    const hash = e.evidenceHash.toLowerCase();
    const names = await readdir(evidenceDir).catch(() => [] as string[]);
    for (const name of names.sort()) if (name.toLowerCase() === hash || name.toLowerCase().startsWith(`${hash}.`)) candidates.push(path.join(evidenceDir, name));
    if (candidates.length === 0) return skip(`no evidence URI, and no file named by its hash in ${evidenceDir}`);
  } else if (uri.startsWith("file:")) {
    local = true;
    let file: string | undefined;
    try {
      file = fileURLToPath(uri);
    } catch {
      file = undefined;
    }
    if (file !== undefined) candidates.push(file);
    const name = path.basename(file ?? uri.slice("file:".length));
    if (evidenceDir !== undefined && name !== "") candidates.push(path.join(evidenceDir, name));
  } else if (SCHEME.test(uri)) {
    let name = "";
    try {
      name = decodeURIComponent(path.posix.basename(new URL(uri).pathname));
    } catch {
      name = path.posix.basename(uri);
    }
    if (evidenceDir === undefined || name === "") return skip(`remote evidence ${uri}: no local copy`);
    candidates.push(path.join(evidenceDir, name));
  } else {
    if (evidenceDir === undefined) return skip(`evidence "${uri}": no --evidence-dir to look in`);
    local = true;
    candidates.push(path.join(evidenceDir, path.basename(uri)));
  }

  let found: string | undefined;
  for (const candidate of candidates) {
    if (await exists(candidate)) {
      found = candidate;
      break;
    }
  }
  if (found === undefined) {
    if (!local) return skip(`remote evidence ${uri}: no local copy in ${evidenceDir}`);
    differences.push({ what: "evidence missing", entity, path: candidates[0], snapshot: e.evidenceHash, actual: null });
    return;
  }
  checked.evidence++;
  const hash = keccak256(await readFile(found));
  if (hash !== e.evidenceHash.toLowerCase()) {
    differences.push({ what: "evidence altered", entity, path: found, snapshot: e.evidenceHash, actual: hash });
  }
}

// ==== DIFFERENCES BETWEEN TWO PLAIN STATES ====

const BIGINT = "$bigint";
const MAP = "$map";

type Plain = unknown;

function isTagged(value: Plain, tag: string): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && tag in value && Object.keys(value).length === 1;
}

/** A plain value as one short string: a bigint's digits, a string itself, else compact JSON. */
export function renderPlain(value: Plain): string | null {
  if (value === undefined) return null;
  if (isTagged(value, BIGINT)) return String(value[BIGINT]);
  if (typeof value === "string") return value;
  const text = JSON.stringify(value, (_k, v: unknown) => (isTagged(v, BIGINT) ? String((v as Record<string, unknown>)[BIGINT]) : v));
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** A Map key as a path segment: `[3]`, `[0xab…]`. */
function keySegment(key: Plain): string {
  return `[${renderPlain(key) ?? ""}]`;
}

/**
 * Walks two plain (canonical) states and reports every leaf that differs: its path
 * (`batches[0x…].held[3]`), the snapshot's value and the rebuilt value (null: absent).
 */
export function diffPlain(
  snapshot: Plain,
  actual: Plain,
  at: string,
  report: (d: { path: string; snapshot: string | null; actual: string | null }) => void,
): void {
  const leaf = () => report({ path: at === "" ? "(state)" : at, snapshot: renderPlain(snapshot), actual: renderPlain(actual) });
  if (snapshot === undefined || actual === undefined) return leaf();
  if (isTagged(snapshot, BIGINT) || isTagged(actual, BIGINT)) {
    if (renderPlain(snapshot) !== renderPlain(actual) || !isTagged(snapshot, BIGINT) || !isTagged(actual, BIGINT)) leaf();
    return;
  }
  if (isTagged(snapshot, MAP) && isTagged(actual, MAP) && Array.isArray(snapshot[MAP]) && Array.isArray(actual[MAP])) {
    const entries = (m: unknown[]) => new Map((m as [Plain, Plain][]).map(([k, v]) => [canonicalJson(k), { k, v }]));
    const a = entries(snapshot[MAP] as unknown[]);
    const b = entries(actual[MAP] as unknown[]);
    const keys = [...new Set([...a.keys(), ...b.keys()])];
    for (const k of keys) {
      const key = (a.get(k) ?? b.get(k))!.k;
      diffPlain(a.get(k)?.v, b.get(k)?.v, `${at}${keySegment(key)}`, report);
    }
    return;
  }
  if (Array.isArray(snapshot) && Array.isArray(actual)) {
    for (let i = 0; i < Math.max(snapshot.length, actual.length); i++) diffPlain(snapshot[i], actual[i], `${at}[${i}]`, report);
    return;
  }
  const isObject = (v: Plain): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(snapshot) && isObject(actual) && !isTagged(snapshot, MAP) && !isTagged(actual, MAP)) {
    const keys = [...new Set([...Object.keys(snapshot), ...Object.keys(actual)])].sort();
    for (const k of keys) diffPlain(snapshot[k], actual[k], at === "" ? k : `${at}.${k}`, report);
    return;
  }
  if (canonicalJson(snapshot) !== canonicalJson(actual)) leaf();
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0];
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
