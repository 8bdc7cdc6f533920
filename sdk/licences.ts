/**
 * Licence specifications as operators write them on the command line:
 * `kind:hash-or-file:YYYY-MM-DD[:issuerPartyId]`, comma-separated. The document
 * itself stays off-chain; the chain keeps its keccak-256 hash (given as 0x-hex, or
 * computed here from a file).
 */
import { readFileSync } from "node:fs";

import { keccak256 } from "ethers";

import { LICENCE_KINDS, parseEnum } from "./enums.js";
import { UserError } from "./errors.js";

export interface LicenceGrantInput {
  kind: number;
  documentHash: string;
  issuer: bigint;
  expiresAt: bigint;
}

/** `2031-12-31` (or a full ISO-8601 time) → Unix seconds, UTC. */
export function parseDate(what: string, text: string): bigint {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    throw new UserError(`invalid ${what} "${text}": expected a date YYYY-MM-DD`);
  }
  return BigInt(Math.floor(ms / 1000));
}

/** Unix seconds → ISO-8601, or null for "never". */
export function isoDate(seconds: bigint | number): string | null {
  const s = BigInt(seconds);
  if (s === 0n || s >= 2n ** 48n - 1n) return null;
  return new Date(Number(s) * 1000).toISOString();
}

export function parseLicence(spec: string): LicenceGrantInput {
  const parts = spec.trim().split(":");
  if (parts.length < 3 || parts.length > 4) {
    throw new UserError(`invalid --license "${spec}": expected kind:hash-or-file:YYYY-MM-DD[:issuerPartyId]`);
  }
  const [kindText, document, expiry, issuerText = "0"] = parts;
  const kind = parseEnum(LICENCE_KINDS, "licence kind", kindText);
  let documentHash: string;
  if (/^0x[0-9a-fA-F]{64}$/.test(document)) {
    documentHash = document.toLowerCase();
  } else {
    try {
      documentHash = keccak256(readFileSync(document));
    } catch {
      throw new UserError(`invalid --license "${spec}": "${document}" is neither a 32-byte 0x-hash nor a readable file`);
    }
  }
  if (!/^\d+$/.test(issuerText)) throw new UserError(`invalid --license "${spec}": issuer must be a party id`);
  return { kind, documentHash, issuer: BigInt(issuerText), expiresAt: parseDate("licence expiry", expiry) };
}

export function parseLicences(text: string | undefined): LicenceGrantInput[] {
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map(parseLicence);
}
