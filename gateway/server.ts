/**
 * The MedState gateway as a Fastify server: `buildServer(options)` wires the store, the
 * chain reader, the caches and the routes; the `gateway` task (or a test, or an operator's
 * own process) listens with it. Every route validates its input with a JSON schema, every
 * refusal is `{"error", "message"}` with a stable code, and a rate limit per client address
 * guards them all.
 */
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";

import type { DeploymentRecord } from "../sdk/deployment.js";
import { BlockCache } from "./cache.js";
import { ChainReader, type Rpc } from "./chain.js";
import type { GatewayContext } from "./context.js";
import { errorHandler, notFoundHandler } from "./errors.js";
import { Head } from "./head.js";
import { Replicator } from "./replication.js";
import { infoRoutes } from "./routes/info.js";
import { pageRoutes } from "./routes/page.js";
import { rpcRoutes } from "./routes/rpc.js";
import { unitListRoutes } from "./routes/unit-lists.js";
import { unitRoutes } from "./routes/units.js";
import { verifyRoutes } from "./routes/verify.js";
import { Store } from "./store.js";
import { TreeCache } from "./trees.js";
import { MAX_CODE_LENGTH, UnitIndex } from "./units.js";
import { Verifier } from "./verification.js";

export interface GatewayOptions {
  /** JSON-RPC to the node. */
  rpc: Rpc;
  /** The deployment served (its contracts are what `/v1/rpc` may call). */
  record: DeploymentRecord;
  chainId: bigint;
  /** The store's directory, or `":memory:"`. */
  data: string;
  /** Peer gateways to pull unit lists from. */
  peers?: readonly string[];
  /** The built page (`web/dist`), or null for none. */
  staticDir?: string | null;
  /** Requests per minute per client address, or false for no limit. Default 600. */
  rateLimit?: number | false;
  /** How old the head may be before a request reads it again. Default 500 ms. */
  headMaxAgeMs?: number;
  /** Most units a published list may have. Default 1,000,000. */
  maxUnits?: number;
  /** How far from now a publication's signing time may be. Default 600 s. */
  publicationMaxAgeSeconds?: number;
  /** How often the lists of new batches are pulled from the peers. Default 5,000 ms (0: never in the background). */
  syncIntervalMs?: number;
  /** Fastify's logger option. Default off. */
  logger?: FastifyServerOptions["logger"];
}

export type GatewayServer = FastifyInstance & { gateway: GatewayContext };

/** The gateway, ready to `listen` (or to `inject` into, in tests); closing it closes its store. */
export async function buildServer(options: GatewayOptions): Promise<GatewayServer> {
  const app = Fastify({
    logger: options.logger ?? false,
    // A printed code is short, but its FNC1 and parentheses arrive percent-encoded.
    routerOptions: { maxParamLength: MAX_CODE_LENGTH * 3 },
    // The router's refusals (a malformed path) in the same shape as everything else.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    // Schemas say exactly what is allowed: nothing is coerced or silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true } },
  });
  const store = await Store.open(options.data);
  const chain = new ChainReader(options.rpc, options.record);
  const head = new Head(() => chain.blockNumber(), options.headMaxAgeMs ?? 500);
  const cache = new BlockCache();
  // Answers kept for this block may say a code is unknown that a list just stored knows.
  store.onStored = () => cache.clear();
  const trees = new TreeCache();
  const replicator = new Replicator(options.peers ?? [], chain, store, app.log);
  const units = new UnitIndex(store, trees, replicator);
  const ctx: GatewayContext = {
    chain,
    chainId: options.chainId,
    store,
    trees,
    cache,
    head,
    units,
    verifier: new Verifier(chain, units, head, cache),
    replicator,
    maxUnits: options.maxUnits ?? 1_000_000,
    publicationMaxAgeSeconds: options.publicationMaxAgeSeconds ?? 600,
  };
  app.decorate("gateway", ctx);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  if (options.rateLimit !== false) {
    await app.register(rateLimit, {
      max: options.rateLimit ?? 600,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        error: "rate_limited",
        message: `more than ${context.max} requests a minute from this address: try again in ${Math.ceil(context.ttl / 1000)} s`,
      }),
    });
  }
  infoRoutes(app, ctx);
  unitListRoutes(app, ctx);
  unitRoutes(app, ctx);
  verifyRoutes(app, ctx);
  rpcRoutes(app, ctx);
  await pageRoutes(app, options.staticDir ?? null);

  const interval = options.syncIntervalMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  if (replicator.peers.length > 0 && interval > 0) {
    const tick = () => {
      replicator
        .sync()
        .catch((error: Error) => app.log.warn({ reason: error.message }, "unit list replication pass failed"))
        .finally(() => {
          if (timer !== undefined) timer = setTimeout(tick, interval).unref();
        });
    };
    timer = setTimeout(tick, 0).unref();
  }
  app.addHook("onClose", async () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    store.close();
  });
  return app as unknown as GatewayServer;
}
