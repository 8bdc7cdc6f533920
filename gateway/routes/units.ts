/** `GET /v1/units/:code`: a box's unit and its Merkle proof, for anyone to check against the chain. */
import type { FastifyInstance } from "fastify";

import type { GatewayContext } from "../context.js";
import { ApiError } from "../errors.js";
import { CODE_PARAMS } from "../schemas.js";
import { parseCode } from "../units.js";

export function unitRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get<{ Params: { code: string } }>("/v1/units/:code", { schema: { params: CODE_PARAMS } }, async (request) => {
    const unit = parseCode(request.params.code);
    const located = await ctx.verifier.locate(unit, await ctx.head.current());
    if (located === undefined) throw new ApiError(404, "unknown_unit", `no unit list this gateway holds or can pull has the unit ${unit.canonical}`);
    return located;
  });
}
