/** `GET /v1/verify/:code`: what a box is, as `unit verify --json` says it, with its product, lot, dates and history. */
import type { FastifyInstance } from "fastify";

import type { GatewayContext } from "../context.js";
import { CODE_PARAMS } from "../schemas.js";
import { parseCode } from "../units.js";

export function verifyRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get<{ Params: { code: string } }>("/v1/verify/:code", { schema: { params: CODE_PARAMS } }, async (request) =>
    ctx.verifier.verify(parseCode(request.params.code)),
  );
}
