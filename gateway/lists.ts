/**
 * Checking a unit list against the chain before anything is stored: the batch exists,
 * the list has as many units as the batch committed, and the Merkle tree rebuilt from the
 * list (in unit order, as `batch create` commits it, or sorted by hash, as the SDK's
 * default) has exactly the batch's root. A list that passes is authentic whoever sent it:
 * a publishing maker, or any peer.
 */
import { isHash32 } from "../sdk/codes.js";
import type { ChainReader } from "./chain.js";
import { ApiError } from "./errors.js";
import type { StoredList } from "./store.js";
import { treeOf } from "./trees.js";

/** A batch as the gateway needs it. */
export interface BatchFacts {
  batchId: string;
  gtin: bigint;
  root: string;
  unitCount: number;
  manufacturer: bigint;
  expiresAt: number;
  manufacturedAt: number;
}

/** The batch `batchId` on chain, or undefined when there is none. */
export async function batchFacts(chain: ChainReader, batchId: string, block?: bigint): Promise<BatchFacts | undefined> {
  const result = await chain.tryCall("getBatch", [batchId], { block });
  if (result === undefined) return undefined;
  const batch = result[0];
  return {
    batchId: batchId.toLowerCase(),
    gtin: BigInt(batch.gtin),
    root: String(batch.unitsRoot).toLowerCase(),
    unitCount: Number(batch.unitCount),
    manufacturer: BigInt(batch.manufacturer),
    expiresAt: Number(batch.expiresAt),
    manufacturedAt: Number(batch.manufacturedAt),
  };
}

/** Packs unit hashes (already checked to be 0x + 64 hex) into n × 32 bytes. */
function pack(units: readonly string[]): Uint8Array {
  const out = new Uint8Array(units.length * 32);
  for (let i = 0; i < units.length; i++) out.set(Buffer.from(units[i].slice(2), "hex"), i * 32);
  return out;
}

/**
 * Checks `units` against the chain as the list of `batchId` with root `root`, and returns
 * it ready to store (signer, party and source left for the caller). Refuses with
 * `unknown_batch` or `root_mismatch`.
 */
export async function checkList(
  chain: ChainReader,
  list: { batchId: string; root: string; units: readonly string[] },
  batch?: BatchFacts,
): Promise<Omit<StoredList, "signer" | "party" | "source"> & { batch: BatchFacts }> {
  const facts = batch ?? (await batchFacts(chain, list.batchId));
  if (facts === undefined) throw new ApiError(404, "unknown_batch", `no batch ${list.batchId} on this chain`);
  const root = list.root.toLowerCase();
  if (facts.root !== root) {
    throw new ApiError(422, "root_mismatch", `batch ${facts.batchId} committed root ${facts.root}, not ${root}`);
  }
  if (list.units.length !== facts.unitCount) {
    throw new ApiError(422, "root_mismatch", `batch ${facts.batchId} committed ${facts.unitCount} units; the list has ${list.units.length}`);
  }
  const bad = list.units.findIndex((u) => !isHash32(u));
  if (bad !== -1) throw new ApiError(400, "invalid_body", `unit ${bad} is not a unit hash (0x and 64 hex digits)`);
  let order: "index" | "hash" | undefined;
  try {
    if ((await treeOf(list.units, "index")).root === root) order = "index";
    else if ((await treeOf(list.units, "hash")).root === root) order = "hash";
  } catch (error) {
    // A duplicate unit: no tree of the contract's could have it.
    throw new ApiError(422, "root_mismatch", `the list is not batch ${facts.batchId}'s: ${(error as Error).message}`);
  }
  if (order === undefined) {
    throw new ApiError(422, "root_mismatch", `the list's Merkle root is not batch ${facts.batchId}'s root ${facts.root}`);
  }
  return { root, batchId: facts.batchId, count: list.units.length, order, hashes: pack(list.units), batch: facts };
}
