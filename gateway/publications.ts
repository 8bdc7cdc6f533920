/**
 * Accepting a maker's publication of a unit list (`POST /v1/unit-lists`). In order, the
 * cheap checks first: the EIP-712 signature recovers an account; the publication is fresh
 * (signed within `maxAgeSeconds` of now) and was never accepted before (its digest is kept);
 * the batch exists; the signer is an active Admin, Operator or QA member of the batch's maker
 * party; and the list rebuilds the batch's root. Nothing is stored unless all hold.
 */
import { recoverAddress } from "ethers";

import { type PublicationReceipt, type UnitListPublication, publicationDigest, publicationDomain } from "../sdk/publication.js";
import type { ChainReader } from "./chain.js";
import { ApiError } from "./errors.js";
import { batchFacts, checkList } from "./lists.js";
import type { Store } from "./store.js";

/** Roles that may publish for their party: Admin, Operator, QA (bits of `IConsortiumRegistry.Role`); not a device key. */
const PUBLISHING_ROLES = (1n << 1n) | (1n << 2n) | (1n << 3n);
const ANY_DOMAIN = (1n << 256n) - 1n;

export interface PublicationOptions {
  chain: ChainReader;
  chainId: bigint;
  store: Store;
  /** How old (or how far in the future) a publication's `issuedAt` may be. */
  maxAgeSeconds: number;
  now?: () => number;
}

/** Checks and stores a publication; what the gateway answers. */
export async function acceptPublication(options: PublicationOptions, body: UnitListPublication): Promise<PublicationReceipt> {
  const { chain, store } = options;
  const domain = publicationDomain(options.chainId, chain.batches);
  const digest = publicationDigest(domain, body);
  let signer: string;
  try {
    signer = recoverAddress(digest, body.signature);
  } catch {
    throw new ApiError(401, "bad_signature", "the signature is not a valid EIP-712 signature of this publication");
  }
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(now - body.issuedAt) > options.maxAgeSeconds) {
    throw new ApiError(422, "stale_publication", `the publication was signed at ${body.issuedAt}, more than ${options.maxAgeSeconds} s from now (${now}): sign it again`);
  }
  if (store.hasPublication(digest, signer)) {
    throw new ApiError(409, "replayed_publication", "this signed publication was already accepted: sign a new one to publish again");
  }
  const batch = await batchFacts(chain, body.batchId);
  if (batch === undefined) throw new ApiError(404, "unknown_batch", `no batch ${body.batchId} on this chain`);
  const [allowed, party] = await chain.call("isAuthorized", [signer, PUBLISHING_ROLES, ANY_DOMAIN], { to: chain.registry });
  if (allowed !== true || BigInt(party) !== batch.manufacturer) {
    const who = BigInt(party) === 0n ? "not a member of any party" : `${allowed === true ? "a member" : "not an active admin, operator or QA member"} of party ${party}`;
    throw new ApiError(403, "not_maker_member", `${signer} is ${who}; batch ${batch.batchId} was made by party ${batch.manufacturer}`);
  }
  const list = await checkList(chain, body, batch);
  let stored: boolean;
  try {
    stored = store.putList({ ...list, signer, party: String(party), source: "publication" }, { digest, signer });
  } catch (error) {
    // Two copies of one publication at once: the second meets the first's digest.
    if (/UNIQUE|constraint/i.test((error as Error).message)) {
      throw new ApiError(409, "replayed_publication", "this signed publication was already accepted: sign a new one to publish again");
    }
    throw error;
  }
  return { root: list.root, batchId: list.batchId, units: list.count, party: String(party), signer, stored };
}
