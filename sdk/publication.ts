/**
 * Publishing a batch's unit list to a MedState gateway: what a maker signs (EIP-712) and
 * the request that carries it. A list is the unit hashes of the batch in index order —
 * never the codes themselves, so that a public gateway hands no valid serial numbers to a
 * counterfeiter — and the gateway accepts it only if it rebuilds the batch's Merkle root on
 * chain and the signer is a member of the batch's maker party.
 */
import { type Signer, type TypedDataDomain, type TypedDataField, TypedDataEncoder } from "ethers";

import { UserError } from "./errors.js";

/** The EIP-712 domain of a publication: the chain and its BatchRegistry proxy. */
export function publicationDomain(chainId: bigint | number | string, batchRegistry: string): TypedDataDomain {
  return { name: "MedState gateway", version: "1", chainId: BigInt(chainId), verifyingContract: batchRegistry };
}

/** What the maker signs: the batch, its root and unit count, and when (gateways refuse stale and replayed publications). */
export const PUBLICATION_TYPES: Record<string, TypedDataField[]> = {
  UnitList: [
    { name: "batchId", type: "bytes32" },
    { name: "root", type: "bytes32" },
    { name: "units", type: "uint256" },
    { name: "issuedAt", type: "uint256" },
  ],
};

/** The body of `POST /v1/unit-lists`. */
export interface UnitListPublication {
  batchId: string;
  root: string;
  /** Unit hashes (`keccak256` of each canonical code), in index order. */
  units: string[];
  /** Unix seconds. */
  issuedAt: number;
  signature: string;
}

/** The EIP-712 message of a publication. */
export function publicationMessage(p: Pick<UnitListPublication, "batchId" | "root" | "units" | "issuedAt">): Record<string, unknown> {
  return { batchId: p.batchId, root: p.root, units: BigInt(p.units.length), issuedAt: BigInt(p.issuedAt) };
}

/** The digest a publication's signature signs (gateways record it to refuse a replay). */
export function publicationDigest(domain: TypedDataDomain, p: Pick<UnitListPublication, "batchId" | "root" | "units" | "issuedAt">): string {
  return TypedDataEncoder.hash(domain, PUBLICATION_TYPES, publicationMessage(p));
}

/** Signs a publication of `units` (unit hashes in index order) for the batch `batchId` with root `root`. */
export async function signPublication(
  signer: Signer,
  domain: TypedDataDomain,
  list: { batchId: string; root: string; units: string[] },
  issuedAt = Math.floor(Date.now() / 1000),
): Promise<UnitListPublication> {
  const unsigned = { batchId: list.batchId.toLowerCase(), root: list.root.toLowerCase(), units: list.units, issuedAt };
  const signature = await signer.signTypedData(domain, PUBLICATION_TYPES, publicationMessage(unsigned));
  return { ...unsigned, signature };
}

/** What a gateway answers to a publication it accepted. */
export interface PublicationReceipt {
  root: string;
  batchId: string;
  units: number;
  /** The publishing member's party and account (null when nothing was sent: the gateway already held the list). */
  party: string | null;
  signer: string | null;
  /** False when the gateway already held this list. */
  stored: boolean;
}

/** The origin of a gateway URL, or a one-line refusal. */
export function gatewayUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`invalid gateway URL "${url}": expected e.g. http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UserError(`invalid gateway URL "${url}": expected http:// or https://`);
  return new URL(parsed.origin);
}

/** A gateway's JSON answer to `init` (a GET by default), or a one-line refusal when it cannot be reached or is not JSON. */
async function gatewayJson(url: URL, timeoutMs: number, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new UserError(`cannot reach the gateway at ${url.origin} (${cause}): is \`npx hardhat gateway\` running there?`);
  }
  try {
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    throw new UserError(`${url.origin} answered ${response.status} with something that is not JSON: is it a MedState gateway?`);
  }
}

/**
 * Checks that the gateway at `url` answers and serves this chain and deployment, before
 * anything is signed or sent (a maker learns of a wrong URL before it creates a batch).
 */
export async function checkGateway(url: string, chainId: bigint, batchRegistry: string, timeoutMs = 10_000): Promise<URL> {
  const origin = gatewayUrl(url);
  const { status, body } = await gatewayJson(new URL("/v1/info", origin), timeoutMs);
  const contracts = body.contracts as Record<string, string> | undefined;
  if (status !== 200 || typeof body.chainId !== "string" || contracts === undefined) {
    throw new UserError(`${origin.origin} is not a MedState gateway (GET /v1/info answered ${status})`);
  }
  if (BigInt(body.chainId) !== chainId || contracts.BatchRegistry?.toLowerCase() !== batchRegistry.toLowerCase()) {
    throw new UserError(
      `the gateway at ${origin.origin} serves chain ${body.chainId} (BatchRegistry ${contracts.BatchRegistry}), not this deployment (chain ${chainId}, BatchRegistry ${batchRegistry})`,
    );
  }
  return origin;
}

/** The list with root `root` the gateway at `url` holds, or undefined when it holds none. */
export async function heldList(url: URL | string, root: string, timeoutMs = 30_000): Promise<{ root: string; batchId: string; units: string[] } | undefined> {
  const origin = gatewayUrl(String(url));
  const { status, body } = await gatewayJson(new URL(`/v1/unit-lists/${root.toLowerCase()}`, origin), timeoutMs);
  if (status === 404) return undefined;
  if (status !== 200 || !Array.isArray(body.units)) throw new UserError(`the gateway at ${origin.origin} answered ${status} for the list ${root}`);
  return body as unknown as { root: string; batchId: string; units: string[] };
}

/**
 * Sends a signed publication to the gateway at `url` (its origin, e.g. `http://127.0.0.1:8080`).
 * Refuses in one line with the gateway's error code and message, or when it cannot be reached.
 */
export async function publishUnitList(url: string, publication: UnitListPublication, timeoutMs = 120_000): Promise<PublicationReceipt> {
  const endpoint = new URL("/v1/unit-lists", gatewayUrl(url));
  const { status, body } = await gatewayJson(endpoint, timeoutMs, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(publication),
  });
  if (status < 200 || status > 299) {
    throw new UserError(`the gateway at ${endpoint.origin} refused the unit list (${status} ${String(body.error)}): ${String(body.message)}`);
  }
  return body as unknown as PublicationReceipt;
}
