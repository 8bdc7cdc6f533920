/**
 * The gateway's refusals: every 4xx (and the 5xx it can explain) is
 * `{"error": "<stable code>", "message": "<one line>"}`, whatever the route or the layer
 * (a schema, the body parser, the rate limiter, a route's own check) that refused.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** A refusal with an HTTP status and a stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The JSON body of a refusal. */
export interface ErrorBody {
  error: string;
  message: string;
}

/** Fastify's own errors, by their `code`, as ours. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, "body_too_large"],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, "unsupported_media_type"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, "invalid_body"],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, "invalid_body"],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, "invalid_body"],
  // The router's own refusals (a path that does not decode, a code past the router's limit).
  FST_ERR_BAD_URL: [400, "invalid_code"],
  FST_ERR_MAX_PARAM_LENGTH: [414, "code_too_long"],
};

/** Which code a failed schema stands for, by route: the unit code of a path, or a body. */
function validationCode(error: FastifyError): [number, string] {
  if (error.validationContext === "params") {
    const tooLong = error.validation?.some((v) => v.keyword === "maxLength") === true;
    return tooLong ? [414, "code_too_long"] : [400, "invalid_code"];
  }
  if (error.validationContext === "body" && error.validation?.some((v) => v.keyword === "maxItems") === true) {
    return [413, "list_too_large"];
  }
  return [400, "invalid_body"];
}

/** Whether `error` says the node could not be reached (rather than that it refused). */
export function isUnreachable(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: { code?: string } })?.cause?.code ?? "")}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|fetch failed|socket hang up|UND_ERR/i.test(text);
}

/** The status and body for any error a route throws. */
export function refusalOf(error: unknown): [number, ErrorBody] {
  if (error instanceof ApiError) return [error.status, { error: error.code, message: error.message }];
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const [status, code] = validationCode(fastifyError);
    const where = fastifyError.validationContext === "params" ? "the code" : (fastifyError.validationContext ?? "the request");
    return [status, { error: code, message: `${where} ${fastifyError.message.replace(/^(params|body|querystring)\/?\S* ?/, "")}`.trim() }];
  }
  const known = typeof fastifyError.code === "string" ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known !== undefined) return [known[0], { error: known[1], message: fastifyError.message }];
  if (fastifyError.statusCode === 429) return [429, { error: "rate_limited", message: fastifyError.message }];
  if (isUnreachable(error)) return [502, { error: "node_unreachable", message: "the gateway cannot reach its node; try again shortly" }];
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return [fastifyError.statusCode, { error: "invalid_request", message: fastifyError.message }];
  }
  return [500, { error: "internal", message: "the gateway failed to answer; its log says why" }];
}

/** A Fastify error handler: every refusal in the one shape, with a route's own names for some codes (`renamed`). */
export function refusalHandler(renamed: Record<string, string> = {}) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const [status, body] = refusalOf(error);
    body.error = renamed[body.error] ?? body.error;
    if (status >= 500) request.log.error(error);
    void reply.code(status).type("application/json").send(body);
  };
}

/** The server's error handler. */
export const errorHandler = refusalHandler();

/** Fastify's not-found handler. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({ error: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` });
}
