/**
 * A batch's whole unit tree, from this machine's unit lists: what a basket's multiproof
 * needs (one unit's proof is not enough). Read from the proof cache `<root>.tree` that
 * `batch create` and `findUnit` write beside the dump, else rebuilt from the dump's codes
 * in either leaf order (`"hash"`, OpenZeppelin's default, or `"index"`, which `batch
 * create` uses for new batches). Every proof drawn from a tree is checked by the caller
 * against the root ({@link checkedProof}): a cache is only a shortcut.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { UserError } from "../../sdk/errors.js";
import { UnitTree, buildUnitTree, proofFor, readUnitCodes, verifyUnitProof } from "../../sdk/units.js";

// The proof cache's layout (sdk/units.ts): "MSUTREE1", u32 count, u32 0, root (32 bytes),
// then positions (count × u32 LE), unit hashes (count × 32) and nodes ((2·count − 1) × 32).
const CACHE_MAGIC = "MSUTREE1";
const CACHE_HEADER = 48;

/** The tree in `<dir>/<root>.tree`, or undefined when there is none or it does not hold together. */
async function treeFromCache(dir: string, root: string): Promise<UnitTree | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, `${root}.tree`));
  } catch {
    return undefined;
  }
  if (bytes.length < CACHE_HEADER || bytes.subarray(0, 8).toString("latin1") !== CACHE_MAGIC) return undefined;
  const count = bytes.readUInt32LE(8);
  if (count === 0 || `0x${bytes.subarray(16, CACHE_HEADER).toString("hex")}` !== root) return undefined;
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
  return tree.root === root ? tree : undefined;
}

/**
 * The unit tree of the dump `<dir>/<root>.json`: from its proof cache, else rebuilt from
 * its codes (leaves by hash, then by index). Undefined when this machine has no such
 * dump; a refusal when neither order gives `root` (the dump was altered).
 */
export async function loadBatchTree(dir: string, root: string): Promise<UnitTree | undefined> {
  const key = root.toLowerCase();
  const cached = await treeFromCache(dir, key);
  if (cached !== undefined) return cached;
  const codes = await readUnitCodes(dir, key);
  if (codes === undefined) return undefined;
  const file = path.join(dir, `${key}.json`);
  for (const order of ["hash", "index"] as const) {
    let built: { root: string; tree: UnitTree };
    try {
      built = await buildUnitTree([...codes], { order, lines: (i) => i + 2 });
    } catch (error) {
      if (error instanceof UserError) throw new UserError(`unit list ${file} was altered: ${error.message}`);
      throw error;
    }
    if (built.root === key) return built.tree;
  }
  throw new UserError(`unit list ${file} was altered: its units do not give root ${key}`);
}

/** Unit `index`'s proof from `tree`, refused unless it proves the unit against `root`. */
export function checkedProof(tree: UnitTree, root: string, index: number): { index: number; unitHash: string; proof: string[] } {
  const proof = proofFor(tree, index);
  if (!verifyUnitProof(root, proof)) throw new UserError(`the local unit list of root ${root} does not prove its unit ${index}: rebuild it`);
  return proof;
}
