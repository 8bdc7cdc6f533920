/**
 * The Merkle trees of stored lists, rebuilt from their unit hashes when a proof is first
 * asked for and kept while they are used: at most `maxUnits` units' worth (a tree costs
 * about 100 bytes a unit), the least recently used going first.
 */
import { type UnitTree, buildUnitTree } from "../sdk/units.js";
import type { ListFacts, StoredList } from "./store.js";

/** The unit hashes of a stored list, as 0x strings in index order. */
export function hashesOf(list: Pick<StoredList, "hashes" | "count">): string[] {
  const out = new Array<string>(list.count);
  for (let i = 0; i < list.count; i++) out[i] = `0x${Buffer.from(list.hashes.buffer, list.hashes.byteOffset + i * 32, 32).toString("hex")}`;
  return out;
}

/** The tree of `units` (unit hashes in index order) laid out as `order` says. */
export async function treeOf(units: readonly string[], order: "index" | "hash"): Promise<UnitTree> {
  return (await buildUnitTree(units, { order })).tree;
}

export class TreeCache {
  private readonly trees = new Map<string, { tree: Promise<UnitTree>; count: number }>();
  private units = 0;

  constructor(private readonly maxUnits = 4_000_000) {}

  /** The tree of the list `list`, built from its hashes (read by `load` only then) once while it stays in the cache. */
  of(list: ListFacts, load: () => StoredList): Promise<UnitTree> {
    const found = this.trees.get(list.root);
    if (found !== undefined) {
      // Most recently used last.
      this.trees.delete(list.root);
      this.trees.set(list.root, found);
      return found.tree;
    }
    const entry = { tree: Promise.resolve().then(() => treeOf(hashesOf(load()), list.order)), count: list.count };
    this.trees.set(list.root, entry);
    this.units += list.count;
    entry.tree.catch(() => this.forget(list.root));
    for (const root of this.trees.keys()) {
      if (this.units <= this.maxUnits || root === list.root) break;
      this.forget(root);
    }
    return entry.tree;
  }

  private forget(root: string): void {
    const entry = this.trees.get(root);
    if (entry !== undefined && this.trees.delete(root)) this.units -= entry.count;
  }
}
