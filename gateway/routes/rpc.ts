/**
 * `POST /v1/rpc`: a read-only JSON-RPC proxy, so that the page (or anyone) can ask the
 * chain itself without knowing a node's address. Only `eth_chainId`, `eth_blockNumber`
 * and `eth_call` to this deployment's own contracts pass; state overrides are refused and
 * a call's gas is capped. `eth_call` at `latest` is answered at the head the gateway last
 * saw, from the per-block cache when the same call was made at that block.
 */
import type { FastifyInstance } from "fastify";

import type { GatewayContext } from "../context.js";
import { ApiError, refusalHandler } from "../errors.js";

export const RPC_METHODS = ["eth_chainId", "eth_blockNumber", "eth_call"] as const;
/** Gas an `eth_call` may use: far above any MedState view, and within the per-transaction cap (2^24, EIP-7825) nodes apply to calls too. */
export const RPC_CALL_GAS = 16_777_216n;
const MAX_CALL_DATA = 65_536;
const BLOCK_TAGS = new Set(["latest", "safe", "finalized", "pending", "earliest"]);

interface RpcRequest {
  jsonrpc: "2.0";
  id?: string | number | null;
  method: string;
  params?: unknown[];
}

interface CallObject {
  to?: unknown;
  data?: unknown;
  input?: unknown;
  gas?: unknown;
  [field: string]: unknown;
}

const hex = (value: unknown): value is string => typeof value === "string" && /^0x[0-9a-fA-F]*$/.test(value);

/** The call object to forward, or a refusal. */
function checkedCall(ctx: GatewayContext, params: unknown[]): { call: CallObject; tag: string } {
  if (params.length > 2) throw new ApiError(400, "invalid_rpc", "eth_call takes a call and a block: state overrides are not allowed");
  const [call, tag = "latest"] = params as [CallObject, unknown];
  if (typeof call !== "object" || call === null || Array.isArray(call)) throw new ApiError(400, "invalid_rpc", "eth_call's first parameter must be a call object");
  if (typeof call.to !== "string" || !ctx.chain.addresses.has(call.to.toLowerCase())) {
    throw new ApiError(403, "target_not_allowed", `eth_call may only reach this deployment's contracts (${[...ctx.chain.addresses].join(", ")})`);
  }
  const data = call.data ?? call.input;
  if (data !== undefined && (!hex(data) || data.length > MAX_CALL_DATA * 2 + 2)) {
    throw new ApiError(400, "invalid_rpc", `eth_call data must be hex of at most ${MAX_CALL_DATA} bytes`);
  }
  if (typeof tag !== "string" || !(BLOCK_TAGS.has(tag) || /^0x[0-9a-fA-F]{1,16}$/.test(tag))) {
    throw new ApiError(400, "invalid_rpc", "eth_call's block must be a tag (latest, …) or a block number in hex");
  }
  let gas = RPC_CALL_GAS;
  if (call.gas !== undefined) {
    if (!hex(call.gas) || call.gas.length < 3) throw new ApiError(400, "invalid_rpc", "eth_call's gas must be a hex quantity");
    if (BigInt(call.gas) < gas) gas = BigInt(call.gas);
  }
  return { call: { ...call, gas: `0x${gas.toString(16)}` }, tag };
}

/** A node's refusal (a revert) as a JSON-RPC error object. */
function rpcError(error: unknown): { code: number; message: string; data?: unknown } | undefined {
  const e = error as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof e?.code !== "number" || typeof e.message !== "string") return undefined;
  return e.data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data: e.data };
}

export function rpcRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Body: RpcRequest }>(
    "/v1/rpc",
    {
      bodyLimit: MAX_CALL_DATA * 2 + 4096,
      // A body that is not one JSON-RPC 2.0 request is a malformed RPC, whatever layer saw it.
      errorHandler: refusalHandler({ invalid_body: "invalid_rpc" }),
      schema: {
        body: {
          type: "object",
          required: ["jsonrpc", "method"],
          properties: {
            jsonrpc: { const: "2.0" },
            id: { type: ["string", "number", "null"] },
            method: { type: "string", maxLength: 64 },
            params: { type: "array", maxItems: 3 },
          },
        },
      },
    },
    async (request) => {
      const { id = null, method, params = [] } = request.body;
      const reply = (result: unknown) => ({ jsonrpc: "2.0", id, result });
      switch (method) {
        case "eth_chainId":
          return reply(`0x${ctx.chainId.toString(16)}`);
        case "eth_blockNumber":
          return reply(`0x${(await ctx.head.current()).toString(16)}`);
        case "eth_call": {
          const { call, tag } = checkedCall(ctx, params);
          const block = tag === "latest" ? await ctx.head.current() : undefined;
          const forward = () => ctx.chain.rpc("eth_call", [call, block === undefined ? tag : `0x${block.toString(16)}`]);
          try {
            const result = block === undefined ? await forward() : await ctx.cache.get(`rpc:${JSON.stringify(call)}`, block, forward);
            return reply(result);
          } catch (error) {
            const refused = rpcError(error);
            if (refused === undefined) throw error;
            return { jsonrpc: "2.0", id, error: refused };
          }
        }
        default:
          throw new ApiError(403, "method_not_allowed", `${method} is not allowed here: this proxy answers only ${RPC_METHODS.join(", ")}`);
      }
    },
  );
}
