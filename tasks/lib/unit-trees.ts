/**
 * A batch's whole unit tree, from this machine's unit lists: what a basket's multiproof
 * needs (one unit's proof is not enough). Read from the proof cache `<root>.tree` that
 * `batch create` and `findUnit` write beside the dump, else rebuilt from the dump's codes
 * in either leaf order (`"hash"`, OpenZeppelin's default, or `"index"`, which `batch
 * create` uses for new batches). Every proof drawn from a tree is checked by the caller
 * against the root ({@link checkedProof}): a cache is only a shortcut.
 */
import path from "node:path";

import { UserError } from "../../sdk/errors.js";
import { type UnitTree, buildUnitTree, proofFor, readTreeCache, readUnitCodes, verifyUnitProof } from "../../sdk/units.js";

/**
 * The unit tree of the dump `<dir>/<root>.json`: from its proof cache, else rebuilt from
 * its codes (leaves by hash, then by index). Undefined when this machine has no such
 * dump; a refusal when neither order gives `root` (the dump was altered).
 */
export async function loadBatchTree(dir: string, root: string): Promise<UnitTree | undefined> {
  const key = root.toLowerCase();
  const cached = await readTreeCache(dir, key);
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
