/**
 * What the routes share: the chain reader, the store, the caches and the services built
 * on them. One per server.
 */
import type { BlockCache } from "./cache.js";
import type { ChainReader } from "./chain.js";
import type { Head } from "./head.js";
import type { Replicator } from "./replication.js";
import type { Store } from "./store.js";
import type { TreeCache } from "./trees.js";
import type { UnitIndex } from "./units.js";
import type { Verifier } from "./verification.js";

export interface GatewayContext {
  chain: ChainReader;
  chainId: bigint;
  store: Store;
  trees: TreeCache;
  cache: BlockCache;
  head: Head;
  units: UnitIndex;
  verifier: Verifier;
  replicator: Replicator;
  /** Most units a published list may have (and the body limit that follows from it). */
  maxUnits: number;
  /** How far from now a publication's `issuedAt` may be. */
  publicationMaxAgeSeconds: number;
}
