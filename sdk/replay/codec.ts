/**
 * Canonical JSON for replayed state: what a checkpoint saves, what a snapshot's digest
 * is taken over. Object keys are sorted, Maps and Sets become sorted lists, bigints keep
 * every digit. The same state always encodes to the same bytes, and decodes back to
 * an equal state.
 */
import { keccak256, toUtf8Bytes } from "ethers";

const BIGINT = "$bigint";
const MAP = "$map";
const SET = "$set";

function sortKey(key: unknown): string {
  return typeof key === "bigint" ? key.toString().padStart(80, "0") : String(key);
}

/** The value with bigints and Maps turned into tagged plain JSON, keys sorted. */
function toPlain(value: unknown): unknown {
  if (typeof value === "bigint") return { [BIGINT]: value.toString() };
  if (value instanceof Map) {
    const entries = [...value.entries()].sort(([a], [b]) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    return { [MAP]: entries.map(([k, v]) => [toPlain(k), toPlain(v)]) };
  }
  if (value instanceof Set) {
    return { [SET]: [...value].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0)).map(toPlain) };
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = toPlain(v);
    }
    return out;
  }
  return value;
}

function fromPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (typeof record[BIGINT] === "string" && Object.keys(record).length === 1) return BigInt(record[BIGINT]);
    if (Array.isArray(record[MAP]) && Object.keys(record).length === 1) {
      return new Map((record[MAP] as [unknown, unknown][]).map(([k, v]) => [fromPlain(k), fromPlain(v)]));
    }
    if (Array.isArray(record[SET]) && Object.keys(record).length === 1) return new Set((record[SET] as unknown[]).map(fromPlain));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = fromPlain(v);
    return out;
  }
  return value;
}

/** Canonical JSON text of a value (no whitespace). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(toPlain(value));
}

/** The value back from {@link canonicalJson} (or from the same JSON pretty-printed). */
export function parseCanonical<T>(text: string): T {
  return fromPlain(JSON.parse(text)) as T;
}

/** keccak-256 of the canonical JSON: a state's fingerprint. */
export function stateDigest(value: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(value)));
}
