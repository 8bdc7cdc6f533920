/**
 * The gateway's HTTP API, as the page uses it (same origin). The gateway only says where a
 * code sits in a batch and describes the product; the verdict itself is read from the chain.
 */

/** GET /v1/info: the chain and the deployment the gateway serves. */
export interface GatewayInfo {
  chainId: string;
  block: string;
  contracts: { BatchRegistry: `0x${string}` } & Record<string, string>;
}

/** GET /v1/units/:code: where the unit sits in its batch, with its Merkle proof. */
export interface UnitLocation {
  code: string;
  batchId: `0x${string}`;
  root: `0x${string}`;
  index: number;
  unitHash: `0x${string}`;
  proof: `0x${string}`[];
}

/** One entry of a batch's history, as GET /v1/verify/:code gives it. */
export interface HistoryEntry {
  /** ISO time of the block, when the gateway knows it. */
  at: string | null;
  block: string;
  event: "created" | "released" | "state" | "recall";
  /** Whether the step concerned the batch or its whole product. */
  scope?: "batch" | "product" | null;
  state?: string | null;
  from?: string | null;
  reason?: string | null;
  /** A recall's level (1–3) and return deadline (ISO). */
  level?: number | null;
  deadline?: string | null;
}

/** GET /v1/verify/:code: the descriptive part the page shows (its status is not used). */
export interface UnitDescription {
  status: string;
  code: string;
  product: { gtin: string; name: string; holder: string; holderName: string } | null;
  lot: string | null;
  manufactured: string | null;
  expiry: string | null;
  recall: { level: number; openedAt: string | null; deadline: string | null } | null;
  history: HistoryEntry[] | null;
}

/** A refusal the visitor can act on (the code is malformed or too long). */
export class InvalidCodeError extends Error {}

async function getJson(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // A body that is not JSON counts as no answer below.
  }
  return { status: response.status, body };
}

function errorCode(body: unknown): string | undefined {
  return typeof body === "object" && body !== null && "error" in body ? String((body as { error: unknown }).error) : undefined;
}

let info: Promise<GatewayInfo> | undefined;

/** The gateway's chain and deployment (asked once per page load). */
export function gatewayInfo(): Promise<GatewayInfo> {
  info ??= getJson("/v1/info").then(({ status, body }) => {
    if (status !== 200) {
      info = undefined;
      throw new Error(`/v1/info answered ${status}`);
    }
    return body as GatewayInfo;
  });
  return info;
}

/** The unit's place in its batch, or `null` when no published unit list holds the code. */
export async function locateUnit(code: string): Promise<UnitLocation | null> {
  const { status, body } = await getJson(`/v1/units/${encodeURIComponent(code)}`);
  if (status === 200) return body as UnitLocation;
  const error = errorCode(body);
  if (status === 404 && error === "unknown_unit") return null;
  if (status === 400 && (error === "invalid_code" || error === "code_too_long")) throw new InvalidCodeError(error);
  throw new Error(`/v1/units answered ${status}${error === undefined ? "" : ` ${error}`}`);
}

/** Product, lot, expiry and history of the unit's batch, or `null` if the gateway cannot say. */
export async function describeUnit(code: string): Promise<UnitDescription | null> {
  try {
    const { status, body } = await getJson(`/v1/verify/${encodeURIComponent(code)}`);
    return status === 200 ? (body as UnitDescription) : null;
  } catch {
    return null;
  }
}
