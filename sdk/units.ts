/**
 * A batch's units commitment: the OpenZeppelin standard Merkle tree of
 * `[uint256 index, bytes32 unitHash]` (leaf encoding `["uint256", "bytes32"]`), where
 * `index` is the unit's 0-based position in the batch's unit file.
 *
 * `StandardMerkleTree.of` needs about 24 s per 100,000 units on a 2-core machine (some
 * 4 minutes a million, more with its hex strings and lookup table), so the tree is built
 * in the same standard format from flat byte arrays (nodes in OpenZeppelin's array
 * layout, leaves sorted by hash), hashing on worker threads for large batches.
 * `UnitTree.dump()` is exactly what `StandardMerkleTree.of(values, ["uint256",
 * "bytes32"]).dump()` gives for the same values (checked by the tests).
 *
 * Unit dumps are stored content-addressed as `<dir>/<root>.json`: a header line, then
 * one canonical code per line (valid JSON as a whole). A binary proof cache
 * `<root>.tree` beside it (positions, unit hashes, nodes) makes `findUnit` answer in
 * milliseconds; every proof read from it is checked against the root before use.
 */
import { open, readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

import { keccak_256 } from "@noble/hashes/sha3.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { StandardMerkleTreeData } from "@openzeppelin/merkle-tree/dist/standard.js";

import {
  type UnhashedUnit,
  type UnitFormat,
  batchIdOf,
  gtinCheckDigit,
  isHash32,
  normaliseGtin,
  parseUnitCode,
  parseUnitFields,
} from "./codes.js";
import { UserError } from "./errors.js";
import { writeAtomically } from "./files.js";

export const UNIT_LEAF_ENCODING = ["uint256", "bytes32"];
/** An OpenZeppelin tree value: `[index, unitHash]`. */
export type UnitValue = [number, string];
export type ProgressCallback = (done: number, total: number) => void;

export interface UnitProof {
  index: number;
  unitHash: string;
  proof: string[];
}

// ==== hashing kernels ====
// Plain functions over byte arrays, run both here and, through their source text, on
// worker threads: they must not refer to anything outside their parameters.

type Keccak = (data: Uint8Array) => Uint8Array;

/** unitHash (unless given) and leaf = keccak(keccak(abi.encode(index, unitHash))) for [from, to). */
export function hashLeavesKernel(
  keccak: Keccak,
  text: Uint8Array,
  offsets: Uint32Array,
  given: Uint8Array,
  hashes: Uint8Array,
  leaves: Uint8Array,
  from: number,
  to: number,
): void {
  const block = new Uint8Array(64);
  for (let i = from; i < to; i++) {
    if (given[i] === 0) hashes.set(keccak(text.subarray(offsets[i], offsets[i + 1])), i * 32);
    // abi.encode(uint256 index): big-endian in the first word; indices are below 2^53.
    let v = i;
    for (let b = 31; b >= 24; b--) {
      block[b] = v % 256;
      v = Math.floor(v / 256);
    }
    block.set(hashes.subarray(i * 32, i * 32 + 32), 32);
    leaves.set(keccak(keccak(block)), i * 32);
  }
}

/** Internal nodes [from, to) of the array-layout tree: node i = hash of the sorted pair (2i+1, 2i+2). */
export function hashNodesKernel(keccak: Keccak, nodes: Uint8Array, from: number, to: number): void {
  const pair = new Uint8Array(64);
  for (let i = from; i < to; i++) {
    const left = (2 * i + 1) * 32;
    const right = left + 32;
    let order = 0;
    for (let k = 0; k < 32 && order === 0; k++) order = nodes[left + k] - nodes[right + k];
    if (order <= 0) {
      // The children are adjacent: left ‖ right is already the sorted pair.
      nodes.set(keccak(nodes.subarray(left, left + 64)), i * 32);
    } else {
      pair.set(nodes.subarray(right, right + 32), 0);
      pair.set(nodes.subarray(left, left + 32), 32);
      nodes.set(keccak(pair), i * 32);
    }
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
${hashLeavesKernel.toString()}
${hashNodesKernel.toString()}
import(workerData.sha3).then(({ keccak_256 }) => {
  const d = workerData;
  const text = new Uint8Array(d.text), offsets = new Uint32Array(d.offsets), given = new Uint8Array(d.given);
  const hashes = new Uint8Array(d.hashes), leaves = new Uint8Array(d.leaves), nodes = new Uint8Array(d.nodes);
  parentPort.on("message", (task) => {
    try {
      if (task.op === "leaves") hashLeavesKernel(keccak_256, text, offsets, given, hashes, leaves, task.from, task.to);
      else hashNodesKernel(keccak_256, nodes, task.from, task.to);
      parentPort.postMessage({ done: task.to - task.from });
    } catch (error) {
      parentPort.postMessage({ error: String(error && error.stack || error) });
    }
  });
}, (error) => parentPort.postMessage({ error: String(error) }));
`;

interface Task {
  op: "leaves" | "nodes";
  from: number;
  to: number;
}

interface Buffers {
  text: Uint8Array;
  offsets: Uint32Array;
  given: Uint8Array;
  hashes: Uint8Array;
  leaves: Uint8Array;
  nodes: Uint8Array;
}

/** Worker threads sharing the build's byte arrays; `run` hashes a list of tasks in parallel. */
class HashPool {
  private readonly workers: Worker[];
  private settle: { next: (worker: Worker) => void; fail: (error: Error) => void } | undefined;

  constructor(threads: number, buffers: Buffers, progress: (n: number) => void) {
    const workerData = {
      sha3: pathToFileURL(createRequire(import.meta.url).resolve("@noble/hashes/sha3.js")).href,
      text: buffers.text.buffer,
      offsets: buffers.offsets.buffer,
      given: buffers.given.buffer,
      hashes: buffers.hashes.buffer,
      leaves: buffers.leaves.buffer,
      nodes: buffers.nodes.buffer,
    };
    this.workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true, workerData }));
    // Each worker answers every task with one message; a failure rejects the running list.
    for (const worker of this.workers) {
      worker.on("message", (message: { done?: number; error?: string }) => {
        if (message.error !== undefined) return this.settle?.fail(new Error(`unit hashing failed: ${message.error}`));
        progress(message.done ?? 0);
        this.settle?.next(worker);
      });
      worker.on("error", (error) => this.settle?.fail(error));
      worker.on("exit", (code) => this.settle?.fail(new Error(`a unit hashing worker stopped (exit code ${code})`)));
    }
  }

  run(tasks: readonly Task[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let next = 0;
      let running = 0;
      const dispatch = (worker: Worker) => {
        if (next >= tasks.length) return;
        worker.postMessage(tasks[next++]);
        running++;
      };
      this.settle = {
        next: (worker) => {
          running--;
          dispatch(worker);
          if (running === 0) resolve();
        },
        fail: reject,
      };
      for (const worker of this.workers) dispatch(worker);
      if (running === 0) resolve();
    });
  }

  async close(): Promise<void> {
    this.settle = undefined;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** Memory the workers write into directly. */
function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(bytes, 1));
}

// ==== sorting 32-byte entries ====

function compare32(bytes: Uint8Array, a: number, b: number): number {
  const x = a * 32;
  const y = b * 32;
  for (let k = 0; k < 32; k++) {
    const d = bytes[x + k] - bytes[y + k];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Indices 0..n-1 ordered by their 32-byte entries (ties by index). A native sort of
 * doubles `prefix · 2^bits + index` does the bulk; runs with equal prefixes are then
 * ordered by the full entry.
 */
function sortEntries(bytes: Uint8Array, n: number): Uint32Array {
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const prefixBits = Math.min(48, 53 - bits);
  const scale = 2 ** bits;
  const shrink = 2 ** (48 - prefixBits);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * 32;
    const top = bytes[o] * 2 ** 40 + bytes[o + 1] * 2 ** 32 + bytes[o + 2] * 2 ** 24;
    const low = bytes[o + 3] * 2 ** 16 + bytes[o + 4] * 2 ** 8 + bytes[o + 5];
    keys[i] = Math.floor((top + low) / shrink) * scale + i;
  }
  keys.sort();
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = keys[k] % scale;
  for (let start = 0; start < n;) {
    const prefix = Math.floor(keys[start] / scale);
    let end = start + 1;
    while (end < n && Math.floor(keys[end] / scale) === prefix) end++;
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end)).sort((a, b) => compare32(bytes, a, b) || a - b);
      order.set(run, start);
    }
    start = end;
  }
  return order;
}

function hex32(bytes: Uint8Array, index: number): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset + index * 32, 32).toString("hex")}`;
}

// ==== the tree ====

/** A units commitment in OpenZeppelin's standard-v1 layout, held as flat byte arrays. */
export class UnitTree {
  readonly root: string;

  /**
   * @param nodes (2n − 1) × 32 bytes: OpenZeppelin's `tree` array (root first; the leaves
   *   last, the smallest hash at the very end).
   * @param hashes n × 32 bytes: the unit hashes by index.
   * @param positions for each index, its leaf's position in `nodes`.
   */
  constructor(
    private readonly nodes: Uint8Array,
    private readonly hashes: Uint8Array,
    private readonly positions: Uint32Array,
  ) {
    this.root = hex32(nodes, 0);
  }

  get count(): number {
    return this.positions.length;
  }

  private check(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) {
      throw new UserError(`unit index ${index} is out of range: the batch has ${this.count} units`);
    }
  }

  unitHash(index: number): string {
    this.check(index);
    return hex32(this.hashes, index);
  }

  /** The leaf hash of unit `index` (what `unitLeaf(index, unitHash)` gives). */
  leaf(index: number): string {
    this.check(index);
    return hex32(this.nodes, this.positions[index]);
  }

  /** Sibling hashes from the leaf up, as MerkleProof.verifyCalldata takes them. */
  proof(index: number): string[] {
    this.check(index);
    const proof: string[] = [];
    for (let i = this.positions[index]; i > 0; i = Math.floor((i - 1) / 2)) {
      proof.push(hex32(this.nodes, i % 2 === 1 ? i + 1 : i - 1));
    }
    return proof;
  }

  /**
   * One multiproof for several units, exactly as OpenZeppelin's `getMultiProof` makes it
   * (and `MerkleProof.multiProofVerify` checks it): the units come back in the order of
   * the proof's leaves (deepest tree position first), which is the order to present them in.
   */
  multiProof(indices: readonly number[]): { indices: number[]; proof: string[]; proofFlags: boolean[] } {
    const byPosition = new Map<number, number>();
    for (const index of indices) {
      this.check(index);
      if (byPosition.has(this.positions[index])) throw new UserError(`unit index ${index} is listed twice`);
      byPosition.set(this.positions[index], index);
    }
    const stack = [...byPosition.keys()].sort((a, b) => b - a);
    const ordered = stack.map((position) => byPosition.get(position)!);
    const proof: string[] = [];
    const proofFlags: boolean[] = [];
    // A queue over `stack`: positions are consumed from `head` and parents appended.
    for (let head = 0; head < stack.length && stack[head] > 0; ) {
      const j = stack[head++];
      const sibling = j % 2 === 1 ? j + 1 : j - 1;
      if (head < stack.length && stack[head] === sibling) {
        proofFlags.push(true);
        head++;
      } else {
        proofFlags.push(false);
        proof.push(hex32(this.nodes, sibling));
      }
      stack.push(Math.floor((j - 1) / 2));
    }
    return { indices: ordered, proof, proofFlags };
  }

  /** The index of the unit with this hash, or undefined. */
  indexOf(unitHash: string): number | undefined {
    if (!isHash32(unitHash)) throw new UserError(`invalid unit hash "${unitHash}": expected 0x and 64 hex digits`);
    return indexOfHash(this.hashes, Buffer.from(unitHash.slice(2), "hex"));
  }

  /** Exactly `StandardMerkleTree.of(values, ["uint256", "bytes32"]).dump()`: about 250 MB at a million units. */
  dump(): StandardMerkleTreeData<UnitValue> {
    const tree: string[] = [];
    for (let i = 0; i < this.nodes.length / 32; i++) tree.push(hex32(this.nodes, i));
    const values = Array.from(this.positions, (treeIndex, i) => ({ value: [i, hex32(this.hashes, i)] as UnitValue, treeIndex }));
    return { format: "standard-v1", leafEncoding: [...UNIT_LEAF_ENCODING], tree, values };
  }

  /** The same tree as an OpenZeppelin object (it re-validates every node: small batches only). */
  toStandardMerkleTree(): StandardMerkleTree<UnitValue> {
    return StandardMerkleTree.load(this.dump());
  }

  /** Raw arrays, for the proof cache. */
  get raw(): { nodes: Uint8Array; hashes: Uint8Array; positions: Uint32Array } {
    return { nodes: this.nodes, hashes: this.hashes, positions: this.positions };
  }
}

function indexOfHash(hashes: Uint8Array, needle: Uint8Array, base = 0): number | undefined {
  const haystack = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    if (at % 32 === 0) return base + at / 32;
  }
  return undefined;
}

export interface BuildOptions {
  /** Line number of each index in its file, for error messages (default: index + 1). */
  lines?: ArrayLike<number> | ((index: number) => number);
  /** Worker threads for hashing: default up to 4 from 50,000 units, none below. */
  threads?: number;
  /** Called as hashing progresses; `total` is 2n − 1 (n leaves, then n − 1 nodes). */
  onProgress?: ProgressCallback;
  /**
   * Where each unit's leaf goes: `"hash"` (OpenZeppelin's default, leaves sorted by hash:
   * `StandardMerkleTree.of(values, encoding)`) or `"index"` (leaves in unit order:
   * `StandardMerkleTree.of(values, encoding, { sortLeaves: false })`), which keeps units
   * packed together (a case, a carton) side by side in the tree, so that a basket of them
   * has a short multiproof. Both verify with the same contract. Default `"hash"`.
   */
  order?: "hash" | "index";
}

const PARALLEL_FROM = 50_000;
const CHUNK = 16_384;
/** Smaller runs of hashing are not worth a round trip to the workers. */
const INLINE_BELOW = 1_024;
const CANONICAL_GS1 = /^01(\d{14})21[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;

/** Why `code` is not a canonical unit code (undefined if it is one). */
function canonicalProblem(code: string): string | undefined {
  if (/^\d{20}$/.test(code)) return undefined;
  const gs1 = CANONICAL_GS1.exec(code);
  if (gs1 !== null && gtinCheckDigit(gs1[1].slice(0, 13)) === Number(gs1[1][13])) return undefined;
  try {
    const { canonical } = parseUnitFields(code);
    return `"${code}" is not in canonical form; write it as "${canonical}"`;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Builds the units commitment of `codes` (canonical unit codes or 0x unit hashes, in
 * index order). Refuses an empty batch and duplicate units.
 */
export async function buildUnitTree(
  codes: Iterable<string>,
  options: BuildOptions = {},
): Promise<{ root: string; count: number; tree: UnitTree }> {
  const list = Array.isArray(codes) ? (codes as string[]) : Array.from(codes);
  const n = list.length;
  if (n === 0) throw new UserError("a batch needs at least one unit");
  const lines = options.lines;
  const lineOf = (i: number) => (typeof lines === "function" ? lines(i) : lines?.[i]) ?? i + 1;

  // Codes as one UTF-8 byte array with offsets; 0x unit hashes go straight in.
  const hashes = new Uint8Array(shared(n * 32));
  const given = new Uint8Array(shared(n));
  const offsets = new Uint32Array(shared((n + 1) * 4));
  let size = 0;
  for (let i = 0; i < n; i++) {
    const code = list[i];
    if (typeof code !== "string") throw new UserError(`line ${lineOf(i)}: expected a unit code, got ${typeof code}`);
    if (isHash32(code)) {
      hashes.set(Buffer.from(code.slice(2), "hex"), i * 32);
      given[i] = 1;
    } else {
      const problem = canonicalProblem(code);
      if (problem !== undefined) throw new UserError(`line ${lineOf(i)}: ${problem}`);
      size += Buffer.byteLength(code);
    }
  }
  const text = new Uint8Array(shared(size));
  const encoder = new TextEncoder();
  for (let i = 0, at = 0; i < n; i++) {
    offsets[i] = at;
    if (given[i] === 0) at += encoder.encodeInto(list[i], text.subarray(at)).written;
    offsets[i + 1] = at;
  }

  const leaves = new Uint8Array(shared(n * 32));
  const nodes = new Uint8Array(shared((2 * n - 1) * 32));
  const total = 2 * n - 1;
  let done = 0;
  const progress = (step: number) => {
    done += step;
    options.onProgress?.(done, total);
  };
  const threads = options.threads ?? (n >= PARALLEL_FROM ? Math.min(4, availableParallelism()) : 0);

  const buffers = { text, offsets, given, hashes, leaves, nodes };
  const pool = threads > 0 ? new HashPool(threads, buffers, progress) : undefined;
  const split = (op: Task["op"], from: number, to: number, size: number): Task[] => {
    const tasks: Task[] = [];
    for (let at = from; at < to; at += size) tasks.push({ op, from: at, to: Math.min(to, at + size) });
    return tasks;
  };
  const hash = async (op: Task["op"], from: number, to: number): Promise<void> => {
    if (pool !== undefined && to - from >= INLINE_BELOW) {
      return pool.run(split(op, from, to, Math.max(256, Math.min(CHUNK, Math.ceil((to - from) / (4 * threads))))));
    }
    for (const task of split(op, from, to, CHUNK)) {
      if (op === "leaves") hashLeavesKernel(keccak_256, text, offsets, given, hashes, leaves, task.from, task.to);
      else hashNodesKernel(keccak_256, nodes, task.from, task.to);
      progress(task.to - task.from);
    }
  };

  const positions = new Uint32Array(n);
  try {
    // 1. unit hashes and leaves
    await hash("leaves", 0, n);

    // 2. no unit twice
    refuseDuplicates(hashes, n, list, lineOf);

    // 3. leaves sorted by hash (or in unit order), placed last in the array and in reverse
    //    (OpenZeppelin's layout)
    const order = options.order === "index" ? Uint32Array.from({ length: n }, (_, i) => i) : sortEntries(leaves, n);
    for (let k = 0; k < n; k++) {
      const position = 2 * n - 2 - k;
      nodes.set(leaves.subarray(order[k] * 32, order[k] * 32 + 32), position * 32);
      positions[order[k]] = position;
    }

    // 4. internal nodes, in generations whose children are all done: [lo, hi) with 2·lo + 1 ≥ hi
    for (let hi = n - 1; hi > 0;) {
      const lo = Math.ceil((hi - 1) / 2);
      await hash("nodes", lo, hi);
      hi = lo;
    }
  } finally {
    await pool?.close();
  }

  const tree = new UnitTree(nodes, hashes, positions);
  return { root: tree.root, count: n, tree };
}

function refuseDuplicates(hashes: Uint8Array, n: number, codes: string[], lineOf: (i: number) => number): void {
  // Equal hashes are adjacent in `order`, each run by ascending index: its start is the first occurrence.
  const order = sortEntries(hashes, n);
  let found: [number, number] | undefined;
  for (let k = 1, start = 0; k < n; k++) {
    if (compare32(hashes, order[k - 1], order[k]) !== 0) {
      start = k;
    } else if (found === undefined || order[k] < found[1]) {
      found = [order[start], order[k]];
    }
  }
  if (found !== undefined) {
    const [first, again] = found;
    throw new UserError(`duplicate unit "${codes[again]}" on lines ${lineOf(first)} and ${lineOf(again)}`);
  }
}

/** The proof that unit `index` is in `tree`, as the contract takes it. */
export function proofFor(tree: UnitTree, index: number): UnitProof {
  return { index, unitHash: tree.unitHash(index), proof: tree.proof(index) };
}

/** Checks a proof against a root exactly as MerkleProof.verifyCalldata does with the standard leaf. */
export function verifyUnitProof(root: string, unit: UnitProof): boolean {
  return StandardMerkleTree.verify(root, UNIT_LEAF_ENCODING, [unit.index, unit.unitHash], unit.proof);
}

// ==== unit files ====

export interface BatchCheck {
  /** Every GS1 code's GTIN must be this one. */
  gtin?: string | bigint;
  /** Every GS1 code that carries a lot (10) must carry this one. */
  lot?: string;
  /** Every GS1 code that carries an expiry (17) must carry this one (YYYY-MM-DD). */
  expiry?: string;
  /** Every 20-digit code's product identification code must be this one. */
  productCode?: string;
}

export interface ReadOptions {
  /** Checks each code against the batch. */
  batch?: BatchCheck;
  /** Reads every line as this format (20 digits alone are otherwise read as a drug traceability code). */
  format?: UnitFormat;
  onProgress?: ProgressCallback;
}

export interface UnitFile {
  /** Canonical codes in index order. */
  codes: string[];
  /** The line number of each index. */
  lines: Uint32Array;
}

/**
 * Reads a unit file: one code per line in any accepted syntax; blank lines and `#`
 * comments are ignored. Errors name the line.
 */
export async function readUnitFile(file: string, options: ReadOptions = {}): Promise<UnitFile> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch {
    throw new UserError(`cannot read unit file "${file}"`);
  }
  return parseUnitLines(content, options, file);
}

/** As `readUnitFile`, for text already in memory. */
export function parseUnitLines(content: string, options: ReadOptions = {}, name = "unit file"): UnitFile {
  const batch = options.batch ?? {};
  const gtin = batch.gtin === undefined ? undefined : normaliseGtin(batch.gtin);
  let total = 1;
  for (let at = content.indexOf("\n"); at !== -1; at = content.indexOf("\n", at + 1)) total++;
  const codes: string[] = [];
  const lines: number[] = [];
  const every = 10_000;
  for (let line = 1, start = 0; line <= total; line++) {
    let end = content.indexOf("\n", start);
    if (end === -1) end = content.length;
    const row = content.slice(start, end);
    const hash = row.indexOf("#");
    const text = (hash === -1 ? row : row.slice(0, hash)).trim();
    start = end + 1;
    if (text !== "") {
      let unit: UnhashedUnit;
      try {
        unit = parseUnitFields(text, options.format);
      } catch (error) {
        throw new UserError(`${name} line ${line}: ${(error as Error).message}`);
      }
      const mismatch = batchMismatch(unit, gtin, batch);
      if (mismatch !== undefined) throw new UserError(`${name} line ${line}: ${mismatch}`);
      codes.push(unit.canonical);
      lines.push(line);
    }
    if (line % every === 0) options.onProgress?.(line, total);
  }
  options.onProgress?.(total, total);
  return { codes, lines: Uint32Array.from(lines) };
}

function batchMismatch(unit: UnhashedUnit, gtin: string | undefined, batch: BatchCheck): string | undefined {
  if (unit.kind === "gs1") {
    if (gtin !== undefined && unit.gtin !== gtin) return `GTIN ${unit.gtin} is not the batch's GTIN ${gtin}`;
    if (batch.lot !== undefined && unit.lot !== undefined && unit.lot !== batch.lot) {
      return `lot "${unit.lot}" is not the batch's lot "${batch.lot}"`;
    }
    if (batch.expiry !== undefined && unit.expiry !== undefined && unit.expiry !== batch.expiry) {
      return `expiry ${unit.expiry} is not the batch's expiry ${batch.expiry}`;
    }
  } else if (batch.productCode !== undefined && unit.productCode !== batch.productCode) {
    return `product code ${unit.productCode} is not the batch's ${batch.productCode}`;
  }
  return undefined;
}

// ==== unit dumps, content-addressed by root ====

export const UNIT_DUMP_FORMAT = "medstate-units-v1";

export interface UnitDumpHeader {
  format: typeof UNIT_DUMP_FORMAT;
  root: string;
  gtin: string;
  lot: string;
  count: number;
  /** `"index"`: the tree's leaves are in unit order ({@link BuildOptions.order}); absent: sorted by hash. */
  order?: "index";
}

/** Whether `tree` has its leaves in unit order (what `buildUnitTree(…, { order: "index" })` builds). */
function inIndexOrder(tree: UnitTree): boolean {
  const { positions } = tree.raw;
  const last = 2 * positions.length - 2;
  for (let i = 0; i < positions.length; i++) if (positions[i] !== last - i) return false;
  return true;
}

export interface UnitDump extends UnitDumpHeader {
  codes: string[];
  tree: UnitTree;
}

export interface FoundUnit extends UnitProof {
  root: string;
  gtin: string;
  lot: string;
  batchId: string;
}

function checkRoot(root: string): string {
  if (!isHash32(root)) throw new UserError(`invalid units root "${root}": expected 0x and 64 hex digits`);
  return root.toLowerCase();
}

const dumpPath = (dir: string, root: string) => path.join(dir, `${root}.json`);
const cachePath = (dir: string, root: string) => path.join(dir, `${root}.tree`);

/**
 * Writes `<dir>/<root>.json` (header line, then one canonical code per line) and,
 * given the built tree, the proof cache `<dir>/<root>.tree`. Returns the dump's path.
 */
export async function saveUnitDump(
  dir: string,
  dump: { root: string; gtin: string | bigint; lot: string; codes: readonly string[]; tree?: UnitTree; order?: "hash" | "index" },
): Promise<string> {
  const root = checkRoot(dump.root);
  if (dump.tree !== undefined && (dump.tree.root !== root || dump.tree.count !== dump.codes.length)) {
    throw new UserError(`unit dump ${root}: the tree given has root ${dump.tree.root} and ${dump.tree.count} units`);
  }
  const header: UnitDumpHeader = {
    format: UNIT_DUMP_FORMAT,
    root,
    gtin: normaliseGtin(dump.gtin),
    lot: dump.lot,
    count: dump.codes.length,
  };
  // Recorded only for unit order, so that a dump sorted by hash is written as before.
  if ((dump.order ?? (dump.tree !== undefined && inIndexOrder(dump.tree) ? "index" : "hash")) === "index") header.order = "index";
  const lines = [`${JSON.stringify(header).slice(0, -1)},"codes":[`];
  for (let i = 0; i < dump.codes.length; i++) lines.push(JSON.stringify(dump.codes[i]) + (i + 1 < dump.codes.length ? "," : ""));
  lines.push("]}\n");
  const file = dumpPath(dir, root);
  await writeAtomically(file, lines.join("\n"));
  if (dump.tree !== undefined) await writeProofCache(dir, dump.tree);
  return file;
}

async function readHeader(file: string): Promise<UnitDumpHeader | undefined> {
  const handle = await open(file, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const end = text.indexOf("\n");
    if (end === -1) return undefined;
    const header = JSON.parse(`${text.slice(0, end)}]}`) as UnitDumpHeader & { codes?: unknown };
    if (header.format !== UNIT_DUMP_FORMAT) return undefined;
    delete header.codes;
    return header;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Reads `<dir>/<root>.json` and rebuilds its tree; refuses it unless the rebuilt
 * root is `root` (the file name and the on-chain commitment).
 */
export async function loadUnitDump(
  dir: string,
  root: string,
  options: { onProgress?: ProgressCallback; threads?: number } = {},
): Promise<UnitDump> {
  root = checkRoot(root);
  const file = dumpPath(dir, root);
  let parsed: UnitDumpHeader & { codes: string[] };
  try {
    parsed = JSON.parse(await readFile(file, "utf8")) as UnitDumpHeader & { codes: string[] };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON";
    throw new UserError(`cannot load unit dump ${file}: ${reason}`);
  }
  if (parsed.format !== UNIT_DUMP_FORMAT || !Array.isArray(parsed.codes)) {
    throw new UserError(`cannot load unit dump ${file}: not a ${UNIT_DUMP_FORMAT} file`);
  }
  if (parsed.count !== parsed.codes.length) {
    throw new UserError(`unit dump ${file} was altered: it says ${parsed.count} units but lists ${parsed.codes.length}`);
  }
  let built: { root: string; tree: UnitTree };
  try {
    // Code i is on line i + 2 of the dump, after the header line.
    built = await buildUnitTree(parsed.codes, { ...options, order: parsed.order === "index" ? "index" : "hash", lines: (i) => i + 2 });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`unit dump ${file} was altered: ${error.message}`);
  }
  if (built.root !== root || parsed.root?.toLowerCase() !== root) {
    throw new UserError(`unit dump ${file} was altered: its units give root ${built.root}`);
  }
  return {
    format: UNIT_DUMP_FORMAT,
    root,
    gtin: parsed.gtin,
    lot: parsed.lot,
    count: parsed.count,
    codes: parsed.codes,
    tree: built.tree,
  };
}

// ==== the proof cache ====
// `<root>.tree`: "MSUTREE1", u32 count, u32 0, root (32), then positions (count × u32 LE),
// unit hashes (count × 32) and nodes ((2·count − 1) × 32).

const CACHE_MAGIC = Buffer.from("MSUTREE1");
const CACHE_HEADER = 48;

async function writeProofCache(dir: string, tree: UnitTree): Promise<void> {
  const { nodes, hashes, positions } = tree.raw;
  const header = Buffer.alloc(CACHE_HEADER);
  CACHE_MAGIC.copy(header, 0);
  header.writeUInt32LE(tree.count, 8);
  Buffer.from(tree.root.slice(2), "hex").copy(header, 16);
  const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  if (!littleEndian) throw new Error("the proof cache needs a little-endian machine");
  const view = (bytes: ArrayBufferView) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await writeAtomically(cachePath(dir, tree.root), [header, view(positions), view(hashes), view(nodes)]);
}

/**
 * The whole tree in the proof cache `<dir>/<root>.tree` (what a basket's multiproof needs),
 * or undefined when there is none or it does not hold together (its root is recomputed
 * from nothing but checked: the caller still checks every proof it draws against the root).
 */
export async function readTreeCache(dir: string, root: string): Promise<UnitTree | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(cachePath(dir, root));
  } catch {
    return undefined;
  }
  if (bytes.length < CACHE_HEADER || !bytes.subarray(0, 8).equals(CACHE_MAGIC)) return undefined;
  const count = bytes.readUInt32LE(8);
  if (count === 0 || `0x${bytes.subarray(16, CACHE_HEADER).toString("hex")}` !== root.toLowerCase()) return undefined;
  const hashesAt = CACHE_HEADER + count * 4;
  const nodesAt = hashesAt + count * 32;
  if (bytes.length !== nodesAt + (2 * count - 1) * 32) return undefined;
  const positions = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const position = bytes.readUInt32LE(CACHE_HEADER + i * 4);
    // A leaf sits in the last `count` places of the node array.
    if (position < count - 1 || position > 2 * count - 2) return undefined;
    positions[i] = position;
  }
  const tree = new UnitTree(new Uint8Array(bytes.subarray(nodesAt)), new Uint8Array(bytes.subarray(hashesAt, nodesAt)), positions);
  return tree.root === root.toLowerCase() ? tree : undefined;
}

/** Finds `unitHash` through the proof cache; undefined if there is no usable cache or no such unit. */
async function findInCache(dir: string, root: string, unitHash: string): Promise<UnitProof | "absent" | undefined> {
  let handle;
  try {
    handle = await open(cachePath(dir, root), "r");
  } catch {
    return undefined;
  }
  try {
    const read = async (bytes: number, at: number): Promise<Buffer> => {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(bytes), 0, bytes, at);
      if (bytesRead !== bytes) throw new Error("short read");
      return buffer;
    };
    const header = await read(CACHE_HEADER, 0);
    const count = header.readUInt32LE(8);
    if (!header.subarray(0, 8).equals(CACHE_MAGIC) || `0x${header.subarray(16, 48).toString("hex")}` !== root) return undefined;
    const hashesAt = CACHE_HEADER + count * 4;
    const nodesAt = hashesAt + count * 32;
    const needle = Buffer.from(unitHash.slice(2), "hex");
    let index: number | undefined;
    const step = 1 << 17; // units per read: 4 MiB
    for (let from = 0; from < count && index === undefined; from += step) {
      const units = Math.min(step, count - from);
      index = indexOfHash(await read(units * 32, hashesAt + from * 32), needle, from);
    }
    if (index === undefined) return "absent";
    const proof: string[] = [];
    for (let i = (await read(4, CACHE_HEADER + index * 4)).readUInt32LE(0); i > 0; i = Math.floor((i - 1) / 2)) {
      proof.push(`0x${(await read(32, nodesAt + (i % 2 === 1 ? i + 1 : i - 1) * 32)).toString("hex")}`);
    }
    const found = { index, unitHash, proof };
    // A cache is only a shortcut: its answer must prove itself against the root.
    return verifyUnitProof(root, found) ? found : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Finds a unit (by canonical code, any accepted syntax, or 0x unit hash) in the dumps
 * in `dir` and proves it. `hint` narrows the dumps searched; a GS1 code narrows them
 * to its GTIN (and lot, if it carries one). Without a proof cache the dump is rebuilt
 * and verified first, and the cache written. Returns undefined if no dump holds it.
 */
export async function findUnit(
  dir: string,
  unit: string,
  hint: { batchId?: string; gtin?: string | bigint; lot?: string } = {},
): Promise<FoundUnit | undefined> {
  let unitHash: string;
  let canonical: string | undefined;
  let gtin = hint.gtin === undefined ? undefined : normaliseGtin(hint.gtin);
  let lot = hint.lot;
  if (isHash32(unit)) {
    unitHash = unit.toLowerCase();
  } else {
    const parsed = parseUnitCode(unit);
    ({ unitHash, canonical } = parsed);
    if (parsed.kind === "gs1") {
      gtin ??= parsed.gtin;
      lot ??= parsed.lot;
    }
  }
  // A code is looked for as its JSON line first: a byte search, no hashing.
  const needle = canonical === undefined ? undefined : Buffer.from(JSON.stringify(canonical));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new UserError(`cannot read unit dump directory "${dir}"`);
  }
  for (const name of names.filter((n) => /^0x[0-9a-f]{64}\.json$/.test(n)).sort()) {
    const file = path.join(dir, name);
    const header = await readHeader(file);
    if (header === undefined || `${header.root}.json` !== name) continue;
    if (gtin !== undefined && header.gtin !== gtin) continue;
    if (lot !== undefined && header.lot !== lot) continue;
    const batchId = batchIdOf(header.gtin, header.lot);
    if (hint.batchId !== undefined && hint.batchId.toLowerCase() !== batchId) continue;
    if (needle !== undefined && (await readFile(file)).indexOf(needle) === -1) continue;
    const base = { root: header.root, gtin: header.gtin, lot: header.lot, batchId };

    const cached = await findInCache(dir, header.root, unitHash);
    if (cached !== undefined && cached !== "absent") return { ...base, ...cached };
    // A hash alone can only be looked for in the cache; a code the dump lists but
    // the cache lacks means the cache is stale, and it is rebuilt.
    if (cached === "absent" && needle === undefined) continue;

    const { tree } = await loadUnitDump(dir, header.root);
    await writeProofCache(dir, tree);
    const index = tree.indexOf(unitHash);
    if (index !== undefined) return { ...base, ...proofFor(tree, index) };
  }
  return undefined;
}

/**
 * The canonical codes of a unit dump, by index, without rebuilding its tree; undefined
 * when this machine has no (readable) dump for `root`. For naming units in reports.
 */
export async function readUnitCodes(dir: string, root: string): Promise<readonly string[] | undefined> {
  try {
    const parsed = JSON.parse(await readFile(dumpPath(dir, checkRoot(root)), "utf8")) as { format?: string; codes?: unknown };
    if (parsed.format !== UNIT_DUMP_FORMAT || !Array.isArray(parsed.codes)) return undefined;
    return parsed.codes as string[];
  } catch {
    return undefined;
  }
}

// ==== units committed to more than one batch (issue 12, attack 9) ====
// The chain cannot check a million codes per batch; an auditor with the published unit
// lists can: a unit hash committed to two batches defeats clone detection, since a
// clone of one is a genuine unit of the other.

/** A batch's committed units, as an auditor sees them: the chain's batch and its unit list. */
export interface BatchUnits {
  batchId: string;
  /** GTIN-14. */
  gtin: string;
  lot: string;
  /** The unit codes (canonical) or 0x unit hashes, by index; optional when `hashes` is given. */
  units?: readonly string[];
  /** The unit hashes by index, 32 bytes each (a built tree's `raw.hashes`): spares hashing the codes again. */
  hashes?: Uint8Array;
}

/** A unit hash committed to more than one batch. */
export interface DuplicateUnit {
  unitHash: string;
  /** Its canonical code, when a list gives the code (not only the hash). */
  code: string | null;
  /** Every batch that commits it, in the order the batches were given, with its index there. */
  batches: { batchId: string; gtin: string; lot: string; index: number }[];
}

/**
 * Every unit hash that more than one batch commits to, ordered by where it first appears
 * (the first batch given, then the unit's index). A batch given twice (the same id) counts
 * once. Sorts the hashes of all batches at once: 32 bytes and a few more per unit.
 */
export function findDuplicateUnits(batches: readonly BatchUnits[]): DuplicateUnit[] {
  const seen = new Set<string>();
  const distinct = batches.filter((b) => {
    const id = b.batchId.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const counts = distinct.map((b) => {
    if (b.hashes !== undefined) {
      if (b.hashes.length % 32 !== 0) throw new UserError(`batch ${b.batchId}: unit hashes must be 32 bytes each`);
      if (b.units !== undefined && b.units.length !== b.hashes.length / 32) {
        throw new UserError(`batch ${b.batchId}: ${b.units.length} units but ${b.hashes.length / 32} hashes`);
      }
      return b.hashes.length / 32;
    }
    if (b.units === undefined) throw new UserError(`batch ${b.batchId}: no units and no unit hashes`);
    return b.units.length;
  });
  const total = counts.reduce((x, y) => x + y, 0);
  if (total > 0xffffffff) throw new UserError(`too many units to compare at once: ${total}`);
  const starts: number[] = [];
  const all = new Uint8Array(total * 32);
  const owner = new Uint32Array(total);
  let at = 0;
  distinct.forEach((b, k) => {
    starts.push(at);
    if (b.hashes !== undefined) {
      all.set(b.hashes, at * 32);
    } else {
      (b.units as readonly string[]).forEach((unit, i) => {
        const hash = isHash32(unit) ? unit : unitHashOfCode(unit);
        all.set(Buffer.from(hash.slice(2), "hex"), (at + i) * 32);
      });
    }
    owner.fill(k, at, at + counts[k]);
    at += counts[k];
  });

  const order = sortEntries(all, total);
  const found: { first: number; run: number[] }[] = [];
  for (let start = 0; start < total;) {
    let end = start + 1;
    while (end < total && compare32(all, order[start], order[end]) === 0) end++;
    if (end - start > 1) {
      const run = Array.from(order.subarray(start, end)); // by ascending position: batch order, then index
      if (new Set(run.map((p) => owner[p])).size > 1) found.push({ first: run[0], run });
    }
    start = end;
  }
  found.sort((x, y) => x.first - y.first);
  return found.map(({ run }) => {
    let code: string | null = null;
    for (const p of run) {
      const unit = distinct[owner[p]].units?.[p - starts[owner[p]]];
      if (unit !== undefined && !isHash32(unit)) {
        code = unit;
        break;
      }
    }
    return {
      unitHash: hex32(all, run[0]),
      code,
      batches: run.map((p) => {
        const b = distinct[owner[p]];
        return { batchId: b.batchId.toLowerCase(), gtin: b.gtin, lot: b.lot, index: p - starts[owner[p]] };
      }),
    };
  });
}

/** keccak256 of a canonical unit code (the hashing the tree uses), without parsing it again. */
function unitHashOfCode(code: string): string {
  return `0x${Buffer.from(keccak_256(new TextEncoder().encode(code))).toString("hex")}`;
}

/** A published unit list read from any file: its header, codes, and the tree rebuilt from them. */
export interface UnitList extends UnitDump {
  file: string;
}

/** The header of a unit dump file (`medstate-units-v1`), or undefined when the file is not one. */
export async function unitDumpHeader(file: string): Promise<UnitDumpHeader | undefined> {
  try {
    return await readHeader(file);
  } catch {
    return undefined;
  }
}

/**
 * Reads a unit list (a unit dump, at any path) and rebuilds its tree; refuses it (a
 * {@link UserError}) unless the rebuilt root is the root its header names.
 */
export async function readUnitList(file: string, options: { onProgress?: ProgressCallback; threads?: number } = {}): Promise<UnitList> {
  let parsed: UnitDumpHeader & { codes: string[] };
  try {
    parsed = JSON.parse(await readFile(file, "utf8")) as UnitDumpHeader & { codes: string[] };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not valid JSON";
    throw new UserError(`cannot load unit list ${file}: ${reason}`);
  }
  if (parsed.format !== UNIT_DUMP_FORMAT || !Array.isArray(parsed.codes) || !isHash32(String(parsed.root))) {
    throw new UserError(`cannot load unit list ${file}: not a ${UNIT_DUMP_FORMAT} file`);
  }
  if (parsed.count !== parsed.codes.length) {
    throw new UserError(`unit list ${file} was altered: it says ${parsed.count} units but lists ${parsed.codes.length}`);
  }
  let built: { root: string; tree: UnitTree };
  try {
    built = await buildUnitTree(parsed.codes, { ...options, order: parsed.order === "index" ? "index" : "hash", lines: (i) => i + 2 });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`unit list ${file} was altered: ${error.message}`);
  }
  const root = parsed.root.toLowerCase();
  if (built.root !== root) throw new UserError(`unit list ${file} was altered: its units give root ${built.root}, not ${root}`);
  return { file, format: UNIT_DUMP_FORMAT, root, gtin: parsed.gtin, lot: parsed.lot, count: parsed.count, codes: parsed.codes, tree: built.tree };
}
