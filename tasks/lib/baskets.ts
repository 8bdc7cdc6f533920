/**
 * Baskets for the CLI: reading a file of unit codes (one basket), finding each code in
 * this machine's unit lists, and saying what happened to each unit in words.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";

import { MAX_BASKET_UNITS } from "../../sdk/baskets.js";
import { type UnitCode, batchIdOf, parseUnitCode } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import type { UnitTree } from "../../sdk/units.js";
import { unitDumpHeader } from "../../sdk/units.js";
import { basketDispenserOf } from "../../sdk/replay/dispensers.js";
import type { Deployed } from "./runtime.js";
import { checkedProof, loadBatchTree } from "./unit-trees.js";

/** A code of a basket file, with the line it is on. */
export interface BasketCode {
  line: number;
  unit: UnitCode;
}

/** `0xff16…8c18`: a 32-byte id shortened for people. */
export function shortId(id: string): string {
  return `${id.slice(0, 6)}…${id.slice(-4)}`;
}

/**
 * Reads a basket file: one unit code per line in any accepted syntax; blank lines and `#`
 * comments are skipped. Refuses (one line, naming the line) a code that does not parse or
 * is there twice, and a file of no codes or more than a basket holds.
 */
export async function readBasketFile(file: string): Promise<BasketCode[]> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch {
    throw new UserError(`cannot read code file "${file}"`);
  }
  const codes: BasketCode[] = [];
  const seen = new Map<string, number>();
  content.split("\n").forEach((row, i) => {
    const hash = row.indexOf("#");
    const text = (hash === -1 ? row : row.slice(0, hash)).trim();
    if (text === "") return;
    const line = i + 1;
    let unit: UnitCode;
    try {
      unit = parseUnitCode(text);
    } catch (error) {
      throw new UserError(`${file} line ${line}: ${(error as Error).message}`);
    }
    const before = seen.get(unit.canonical);
    if (before !== undefined) throw new UserError(`${file} line ${line}: unit ${unit.canonical} is already on line ${before}`);
    seen.set(unit.canonical, line);
    codes.push({ line, unit });
  });
  if (codes.length === 0 || codes.length > MAX_BASKET_UNITS) {
    throw new UserError(`${file}: a basket holds 1 to ${MAX_BASKET_UNITS} units, and this file lists ${codes.length}`);
  }
  return codes;
}

/** A basket code found in a local unit list: its batch, that batch's tree and root, its index and proof. */
export interface FoundCode {
  batchId: string;
  root: string;
  tree: UnitTree;
  index: number;
  unitHash: string;
}

/**
 * Why a code was not found: no list holds it, or its batch exists but this machine lacks
 * its list (`unlisted`: the code may be genuine, so it is not an unknown code to report).
 */
export type Unknown = { unknown: string; unlisted?: true };

interface Dump {
  root: string;
  gtin: string;
  lot: string;
  batchId: string;
}

async function localDumps(dir: string): Promise<Dump[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const dumps: Dump[] = [];
  for (const name of names.filter((n) => /^0x[0-9a-f]{64}\.json$/.test(n)).sort()) {
    const header = await unitDumpHeader(path.join(dir, name));
    if (header === undefined || `${header.root}.json` !== name) continue;
    dumps.push({ root: header.root, gtin: header.gtin, lot: header.lot, batchId: batchIdOf(header.gtin, header.lot) });
  }
  return dumps;
}

/**
 * Finds each code in the unit lists of `dir` (a GS1 code only in its GTIN's lists, and
 * its lot's when it carries one), each list's tree loaded once. A code no list holds is
 * `unknown`, said more precisely when it names a batch of this chain whose list is missing.
 */
export async function findBasketCodes(deployed: Deployed, dir: string, codes: readonly BasketCode[]): Promise<(FoundCode | Unknown)[]> {
  const dumps = await localDumps(dir);
  const trees = new Map<string, UnitTree | undefined>();
  const treeOf = async (root: string): Promise<UnitTree | undefined> => {
    if (!trees.has(root)) trees.set(root, await loadBatchTree(dir, root));
    return trees.get(root);
  };
  const found: (FoundCode | Unknown)[] = [];
  for (const { unit } of codes) {
    let hit: FoundCode | undefined;
    for (const dump of dumps) {
      if (unit.kind === "gs1" && (dump.gtin !== unit.gtin || (unit.lot !== undefined && dump.lot !== unit.lot))) continue;
      const tree = await treeOf(dump.root);
      const index = tree?.indexOf(unit.unitHash);
      if (tree === undefined || index === undefined) continue;
      hit = { batchId: dump.batchId, root: dump.root, tree, index, unitHash: checkedProof(tree, dump.root, index).unitHash };
      break;
    }
    found.push(hit ?? (await whyUnknown(deployed, dumps, unit)));
  }
  return found;
}

async function whyUnknown(deployed: Deployed, dumps: readonly Dump[], unit: UnitCode): Promise<Unknown> {
  if (unit.kind === "gs1" && unit.lot !== undefined) {
    const batchId = batchIdOf(unit.gtin, unit.lot);
    if (!dumps.some((d) => d.batchId === batchId)) {
      const batch = await deployed.batches.getBatch(batchId).catch(() => undefined);
      if (batch !== undefined && batch.status !== 0n) {
        return { unknown: `unknown: batch ${shortId(batchId)} exists, but this machine has no unit list for it`, unlisted: true };
      }
    }
  }
  return { unknown: "unknown: no local unit list holds this code" };
}

/** Where a log sits in the chain: a report's position, to look for what came before it. */
export interface LogPosition {
  blockNumber: number;
  index: number;
}

/**
 * The party whose basket dispensed unit `index` of `batchId` as the chain stood just before
 * `before` (a suspect report's log), from the logs: a unit dispensed in a basket reads as
 * dispensed by party 0, and only its basket's events name the party. Undefined if no basket
 * held it then.
 */
export async function basketDispenserBefore(
  deployed: Deployed,
  batchId: string,
  index: bigint,
  before: LogPosition,
): Promise<bigint | undefined> {
  const { batches, record } = deployed;
  const from = Number(record.block);
  const logs = [
    ...(await batches.queryFilter(batches.filters.UnitsDispensed(batchId), from, before.blockNumber)),
    ...(await batches.queryFilter(batches.filters.BasketUndone(), from, before.blockNumber)),
    ...(await batches.queryFilter(batches.filters.UnitRestored(batchId), from, before.blockNumber)),
  ]
    .filter((log) => log.blockNumber < before.blockNumber || log.index < before.index)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  return basketDispenserOf(logs, batchId, index)?.party;
}
