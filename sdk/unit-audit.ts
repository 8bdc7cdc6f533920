/**
 * The auditor's unit check (issue 12, attack 9): nothing on chain stops a maker from
 * committing the same unit code to two batches, which defeats clone detection (a clone of
 * one is a genuine unit of the other). {@link auditUnitLists} takes the batches on chain
 * ({@link committedBatches}: their BatchCreated events) and every unit list it can see,
 * keeps the lists whose root, rebuilt from their codes, is the `unitsRoot` of a batch, and
 * reports every unit hash committed to more than one batch ({@link findDuplicateUnits}).
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

import type { Log, Provider } from "ethers";

import { medstateInterface, parseMedstateLog } from "./contracts.js";
import { UserError } from "./errors.js";
import { type LogProvider, streamLogs } from "./replay/logs.js";
import { type BatchUnits, type DuplicateUnit, findDuplicateUnits, readUnitList, unitDumpHeader } from "./units.js";

const ZERO_HASH = `0x${"0".repeat(64)}`;

/** A batch as its BatchCreated event commits it. */
export interface CommittedBatch {
  batchId: string;
  /** GTIN-14. */
  gtin: string;
  lot: string;
  unitsRoot: string;
  unitCount: bigint;
}

/** A unit list the check did not use, and why. */
export interface UnmatchedList {
  file: string;
  /** The root its header names (null: not a unit list). */
  root: string | null;
  gtin: string | null;
  lot: string | null;
  reason: string;
}

export interface UnitAudit {
  /** Batches on chain. */
  batches: number;
  /** Unit lists matched to a batch and checked (one per root). */
  lists: number;
  /** Units checked (of the batches with a list). */
  units: number;
  duplicates: DuplicateUnit[];
  unmatched: UnmatchedList[];
  /** Batches with units whose list this machine does not have: not checked. */
  unlisted: CommittedBatch[];
}

/** Every batch created on chain from `fromBlock` to `toBlock` (default: the head), in chain order. */
export async function committedBatches(
  provider: Provider,
  batchRegistry: string,
  fromBlock: number,
  toBlock?: number,
): Promise<CommittedBatch[]> {
  const event = medstateInterface().getEvent("BatchCreated");
  if (event === null) throw new Error("the MedState ABI has no BatchCreated event");
  const topic = event.topicHash;
  const filtered: LogProvider = {
    getBlockNumber: () => provider.getBlockNumber(),
    getLogs: (filter) => provider.getLogs({ ...filter, topics: [topic] }),
  };
  const out: CommittedBatch[] = [];
  for await (const page of streamLogs(filtered, { addresses: [batchRegistry], fromBlock, toBlock })) {
    for (const log of page.logs as Log[]) {
      if (log.topics[0] !== topic) continue;
      const parsed = parseMedstateLog(log);
      if (parsed === null) continue;
      const a = parsed.args;
      out.push({
        batchId: String(a.batchId).toLowerCase(),
        gtin: String(a.gtin).padStart(14, "0"),
        lot: String(a.lot),
        unitsRoot: String(a.unitsRoot).toLowerCase(),
        unitCount: a.unitCount as bigint,
      });
    }
  }
  return out;
}

/** The codes of a unit list already checked (parsed, not rebuilt). */
async function codesOf(file: string): Promise<readonly string[]> {
  const parsed = JSON.parse(await readFile(file, "utf8")) as { codes?: unknown };
  return Array.isArray(parsed.codes) ? (parsed.codes as string[]) : [];
}

/** The `.json` files of the directories, each once, in order (a directory that does not exist has none). */
async function jsonFiles(dirs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new UserError(`cannot read unit list directory "${dir}"`);
    }
    for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
      const file = path.resolve(dir, name);
      if (!seen.has(file)) files.push(file);
      seen.add(file);
    }
  }
  return files;
}

/**
 * Checks the unit lists in `dirs` (`.json` unit dumps, any name) against the batches on
 * chain: a list is used when its root, rebuilt from its codes, is some batch's
 * `unitsRoot` (two lists of one root are one list); every unit hash of the batches with a
 * list is then compared across batches. Lists that match no batch, or that do not rebuild
 * to the root they name, are `unmatched`; batches with units and no list are `unlisted`.
 */
export async function auditUnitLists(options: {
  batches: readonly CommittedBatch[];
  dirs: readonly string[];
  onProgress?(done: number, total: number): void;
}): Promise<UnitAudit> {
  const committed = new Set(options.batches.filter((b) => b.unitsRoot !== ZERO_HASH).map((b) => b.unitsRoot));
  const files = await jsonFiles(options.dirs);
  const unmatched: UnmatchedList[] = [];
  /** Roots with a verified list → that list's file (to name codes later) and unit hashes. */
  const listed = new Map<string, string>();
  const hashesOf = new Map<string, Uint8Array>();
  let done = 0;
  for (const file of files) {
    options.onProgress?.(done++, files.length);
    const header = await unitDumpHeader(file);
    if (header === undefined || typeof header.root !== "string") {
      unmatched.push({ file, root: null, gtin: null, lot: null, reason: "not a unit list (medstate-units-v1)" });
      continue;
    }
    const root = header.root.toLowerCase();
    const named = { file, root, gtin: String(header.gtin), lot: String(header.lot) };
    if (listed.has(root)) {
      unmatched.push({ ...named, reason: `the same root as ${listed.get(root)}, checked already` });
      continue;
    }
    if (!committed.has(root)) {
      unmatched.push({ ...named, reason: "no batch on chain commits to its root" });
      continue;
    }
    let list;
    try {
      list = await readUnitList(file);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      unmatched.push({ ...named, reason: error.message });
      continue;
    }
    listed.set(root, file);
    // Its hashes, copied out of the tree (the tree and the codes are let go).
    hashesOf.set(root, Uint8Array.from(list.tree.raw.hashes));
  }
  options.onProgress?.(files.length, files.length);

  // The batches with a list, in chain order.
  const units: BatchUnits[] = [];
  for (const b of options.batches) {
    const hashes = hashesOf.get(b.unitsRoot);
    if (hashes !== undefined) units.push({ batchId: b.batchId, gtin: b.gtin, lot: b.lot, hashes });
  }

  const duplicates = findDuplicateUnits(units);
  // Name the duplicates' codes from their lists (read again, only for batches that have one).
  const rootOf = new Map(options.batches.map((b) => [b.batchId, b.unitsRoot]));
  const codes = new Map<string, readonly string[]>();
  for (const d of duplicates) {
    for (const b of d.batches) {
      if (d.code !== null) break;
      const root = rootOf.get(b.batchId) as string;
      if (!codes.has(root)) codes.set(root, await codesOf(listed.get(root) as string));
      const code = codes.get(root)?.[b.index];
      if (code !== undefined) d.code = code;
    }
  }
  return {
    batches: options.batches.length,
    lists: listed.size,
    units: units.reduce((sum, b) => sum + (b.hashes?.length ?? 0) / 32, 0),
    duplicates,
    unmatched,
    unlisted: options.batches.filter((b) => b.unitsRoot !== ZERO_HASH && !listed.has(b.unitsRoot)),
  };
}
