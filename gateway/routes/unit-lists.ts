/**
 * `POST /v1/unit-lists` (a maker publishes a batch's unit list, signed with EIP-712) and
 * `GET /v1/unit-lists/:root` (any gateway or integrator reads a list; peers pull from here).
 */
import type { FastifyInstance } from "fastify";

import type { UnitListPublication } from "../../sdk/publication.js";
import type { GatewayContext } from "../context.js";
import { ApiError } from "../errors.js";
import { acceptPublication } from "../publications.js";
import { HASH32, ROOT_PARAMS } from "../schemas.js";
import { hashesOf } from "../trees.js";

/** Bytes of JSON a list of `units` unit hashes takes, with room for the rest of the body. */
export function bodyLimitFor(units: number): number {
  return units * 68 + 4096;
}

export function unitListRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Body: UnitListPublication }>(
    "/v1/unit-lists",
    {
      bodyLimit: bodyLimitFor(ctx.maxUnits),
      schema: {
        body: {
          type: "object",
          required: ["batchId", "root", "units", "issuedAt", "signature"],
          additionalProperties: false,
          properties: {
            batchId: HASH32,
            root: HASH32,
            units: { type: "array", minItems: 1, maxItems: ctx.maxUnits, items: HASH32 },
            issuedAt: { type: "integer", minimum: 0, maximum: 2 ** 40 },
            signature: { type: "string", pattern: "^0x[0-9a-fA-F]{130}$" },
          },
        },
      },
    },
    async (request, reply) => {
      const receipt = await acceptPublication(
        { chain: ctx.chain, chainId: ctx.chainId, store: ctx.store, maxAgeSeconds: ctx.publicationMaxAgeSeconds },
        request.body,
      );
      request.log.info({ root: receipt.root, batchId: receipt.batchId, signer: receipt.signer, stored: receipt.stored }, "unit list published");
      return reply.code(receipt.stored ? 201 : 200).send(receipt);
    },
  );

  app.get<{ Params: { root: string } }>("/v1/unit-lists/:root", { schema: { params: ROOT_PARAMS } }, async (request) => {
    const list = ctx.store.getList(request.params.root);
    if (list === undefined) throw new ApiError(404, "unknown_list", `this gateway holds no unit list with root ${request.params.root.toLowerCase()}`);
    return { root: list.root, batchId: list.batchId, units: hashesOf(list) };
  });
}
