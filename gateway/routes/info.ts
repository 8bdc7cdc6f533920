/** `GET /v1/info`: which chain and deployment this gateway serves, its head, how many lists it holds. */
import type { FastifyInstance } from "fastify";

import type { GatewayContext } from "../context.js";

export function infoRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get("/v1/info", { schema: {} }, async () => ({
    chainId: ctx.chainId.toString(),
    block: (await ctx.head.current()).toString(),
    contracts: ctx.chain.record.contracts,
    lists: ctx.store.listCount(),
  }));
}
