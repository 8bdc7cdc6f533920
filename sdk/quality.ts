/**
 * Observations, rules and collaborative states as integrators and tasks write them:
 * subjects, measures in their units, the rules file of `product register --rules`,
 * state names, and the EIP-712 type a device signs.
 */
import { type TypedDataDomain, type TypedDataField, decodeBytes32String, toBeHex } from "ethers";

import { normaliseGtin } from "./codes.js";
import { POINTS, Point, RESULTS, STATE_KINDS, parseName } from "./enums.js";
import { UserError } from "./errors.js";
import { batchIdFromText } from "./references.js";

/** No temperature / humidity in an observation (the contract's sentinels). */
export const NO_TEMPERATURE = -32768;
export const NO_HUMIDITY = 65535;
/** Open bounds of a rules range. */
export const NO_MIN = -32768;
export const NO_MAX = 32767;
export const NO_MAX_HUMIDITY = 255;

/** A subject: a batch id, or a product as `bytes32(uint256(gtin))`. */
export interface Subject {
  id: string;
  kind: "batch" | "product";
  /** "batch 0x…" or "product 0690…": for messages. */
  label: string;
}

/** The subject named by `--batch` or `--gtin` (exactly one). */
export function subjectOf(batch: string | undefined, gtin: string | undefined): Subject {
  const hasBatch = batch !== undefined && batch.trim() !== "";
  const hasGtin = gtin !== undefined && gtin.trim() !== "";
  if (hasBatch === hasGtin) throw new UserError("give exactly one of --batch and --gtin");
  if (hasBatch) {
    const text = batch.trim();
    const id = batchIdFromText("--batch", text);
    if (id === undefined) throw new UserError(`invalid --batch "${text}": this code does not carry its lot; give the batch as GTIN/LOT`);
    if (BigInt(id) < 2n ** 64n) throw new UserError(`invalid --batch "${text}": that is a product subject; use --gtin`);
    return { id, kind: "batch", label: `batch ${id}` };
  }
  const normalised = normaliseGtin((gtin ?? "").trim());
  return { id: toBeHex(BigInt(normalised), 32), kind: "product", label: `product ${normalised}` };
}

/** The subject of an id read from the chain. */
export function subjectFromId(id: string): Subject {
  if (BigInt(id) < 2n ** 64n) {
    const gtin = BigInt(id).toString().padStart(14, "0");
    return { id: id.toLowerCase(), kind: "product", label: `product ${gtin}` };
  }
  return { id: id.toLowerCase(), kind: "batch", label: `batch ${id.toLowerCase()}` };
}

/** A decimal with at most two places, scaled by 100 (°C → 0.01 °C, % → 0.01 %). */
function centi(what: string, text: string): number {
  const t = text.trim();
  if (!/^-?\d+(\.\d{1,2})?$/.test(t)) throw new UserError(`invalid ${what} "${text}": expected a decimal with at most 2 places`);
  const [whole, fraction = ""] = t.replace("-", "").split(".");
  const value = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return t.startsWith("-") ? -value : value;
}

/** Temperature (0.01 °C) and humidity (0.01 %) of an observation; absent ones are the sentinels. */
export interface Measures {
  temperature: number;
  humidity: number;
}

/** Reads measures from `{temperature: 9.5, humidity: 40}`-like pairs (values in °C and %). */
export function measuresFrom(pairs: Record<string, string | number>): Measures {
  const out: Measures = { temperature: NO_TEMPERATURE, humidity: NO_HUMIDITY };
  for (const [key, raw] of Object.entries(pairs)) {
    const k = key.trim().toLowerCase();
    if (k === "temperature" || k === "temp" || k === "t") {
      const value = centi(`measure ${key}`, String(raw));
      if (value <= NO_TEMPERATURE || value > 32767) throw new UserError(`invalid measure ${key} ${raw}: outside −327.67…327.67 °C`);
      out.temperature = value;
    } else if (k === "humidity" || k === "rh" || k === "h") {
      const value = centi(`measure ${key}`, String(raw));
      if (value < 0 || value > 10000) throw new UserError(`invalid measure ${key} ${raw}: humidity is 0…100 %`);
      out.humidity = value;
    } else {
      throw new UserError(`invalid measure "${key}": expected temperature or humidity`);
    }
  }
  return out;
}

/** Parses `--measure temperature=9.5,humidity=40`. */
export function parseMeasures(text: string | undefined): Measures {
  if (text === undefined || text.trim() === "") return { temperature: NO_TEMPERATURE, humidity: NO_HUMIDITY };
  const pairs: Record<string, string> = {};
  for (const part of text.split(",")) {
    const [key, value, ...rest] = part.split("=");
    if (value === undefined || rest.length > 0 || key.trim() === "") {
      throw new UserError(`invalid --measure "${part}": expected key=value, e.g. temperature=5.2`);
    }
    if (key.trim().toLowerCase() in pairs) throw new UserError(`invalid --measure: ${key.trim()} given twice`);
    pairs[key.trim().toLowerCase()] = value;
  }
  return measuresFrom(pairs);
}

export function parsePoint(text: string): number {
  try {
    return parseName(POINTS, "--point", text);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

export function parseResult(text: string): number {
  try {
    return parseName(RESULTS, "--result", text);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

/** A temperature display: 950 → "9.5 °C". */
export function formatTemperature(centiDegrees: number | bigint): string | null {
  const v = Number(centiDegrees);
  return v === NO_TEMPERATURE ? null : `${v / 100} °C`;
}

// ==== RULES FILE ====

export interface RangeStruct {
  minTemperature: number;
  maxTemperature: number;
  maxHumidity: number;
}

export interface RulesStruct {
  storageRange: RangeStruct;
  transportRange: RangeStruct;
  stopOnCritical: number;
  adverseCount: number;
  adverseWindow: number;
  ruleContract: string;
  ruleGas: number;
}

interface RangeJson {
  temperature?: { min?: number; max?: number };
  humidity?: { max?: number };
}

function rangeFrom(where: string, json: RangeJson | undefined): { range: RangeStruct; given: boolean } {
  const range = { minTemperature: NO_MIN, maxTemperature: NO_MAX, maxHumidity: NO_MAX_HUMIDITY };
  if (json === undefined) return { range, given: false };
  const t = json.temperature;
  if (t?.min !== undefined) range.minTemperature = centi(`${where}.temperature.min`, String(t.min));
  if (t?.max !== undefined) range.maxTemperature = centi(`${where}.temperature.max`, String(t.max));
  if (range.minTemperature > range.maxTemperature) throw new UserError(`invalid rules: ${where}.temperature.min is above its max`);
  for (const v of [range.minTemperature, range.maxTemperature]) {
    if (v < NO_MIN || v > NO_MAX) throw new UserError(`invalid rules: ${where}.temperature outside −327.68…327.67 °C`);
  }
  const h = json.humidity?.max;
  if (h !== undefined) {
    if (!Number.isInteger(h) || h < 0 || h > 100) throw new UserError(`invalid rules: ${where}.humidity.max must be a whole percent 0…100`);
    range.maxHumidity = h;
  }
  return { range, given: t !== undefined || h !== undefined };
}

/**
 * The rules file (`../shared/cli.md`): `storage` and `transport` ranges (a measure outside
 * makes the observation critical and stops the subject), `inspection.criticalStops`,
 * `adverse.count` within `adverse.windowDays`, and optionally `critical: [points]` to stop
 * on critical observations at more points, `ruleContract` and `ruleGas` (governance only).
 */
export function rulesFromJson(json: unknown): RulesStruct {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new UserError("invalid rules: expected a JSON object");
  const r = json as {
    storage?: RangeJson;
    transport?: RangeJson;
    inspection?: { criticalStops?: boolean };
    adverse?: { count?: number; windowDays?: number };
    critical?: string[];
    ruleContract?: string;
    ruleGas?: number;
  };
  const known = ["storage", "transport", "inspection", "adverse", "critical", "ruleContract", "ruleGas"];
  for (const key of Object.keys(r)) if (!known.includes(key)) throw new UserError(`invalid rules: unknown key "${key}"`);
  const storage = rangeFrom("storage", r.storage);
  const transport = rangeFrom("transport", r.transport);
  let stop = 0;
  if (storage.given) stop |= 1 << Point.Storage;
  if (transport.given) stop |= 1 << Point.Transport;
  if (r.inspection?.criticalStops === true) stop |= 1 << Point.Inspection;
  for (const name of r.critical ?? []) stop |= 1 << parseName(POINTS, "rules critical point", name);
  const count = r.adverse?.count ?? 0;
  const days = r.adverse?.windowDays ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 8) throw new UserError("invalid rules: adverse.count must be 0…8");
  if (!Number.isInteger(days) || days < 0 || (count === 0) !== (days === 0)) {
    throw new UserError("invalid rules: adverse needs both count and windowDays (whole days)");
  }
  return {
    storageRange: storage.range,
    transportRange: transport.range,
    stopOnCritical: stop,
    adverseCount: count,
    adverseWindow: days * 86400,
    ruleContract: r.ruleContract ?? "0x0000000000000000000000000000000000000000",
    ruleGas: r.ruleGas ?? 0,
  };
}

// ==== STATES ====

export interface StateDefView {
  id: number;
  name: string;
  kind: (typeof STATE_KINDS)[number];
  halts: boolean;
}

/** The pharmaceutical graph, the one the contracts apply until governance configures another. */
export const PHARMACEUTICAL_GRAPH: readonly StateDefView[] = [
  { id: 0, name: "Marketed", kind: "plain", halts: false },
  { id: 1, name: "EmergencyStop", kind: "plain", halts: true },
  { id: 2, name: "Recall", kind: "recall", halts: true },
  { id: 3, name: "Destroyed", kind: "disposal", halts: true },
  { id: 4, name: "Deregistered", kind: "plain", halts: true },
];

/** The state graph as the contract returns it, with names decoded. */
export function graphFrom(
  defs: readonly { name: string; kind: bigint | number; halts: boolean }[],
): StateDefView[] {
  return defs.map((d, id) => ({ id, name: decodeBytes32String(`${d.name}${"0".repeat(32)}`), kind: STATE_KINDS[Number(d.kind)], halts: d.halts }));
}

/** The id of the state called `name` (case-insensitive), or a refusal listing the graph's states. */
export function stateIdOf(graph: StateDefView[], name: string): number {
  const found = graph.find((s) => s.name.toLowerCase() === name.trim().toLowerCase());
  if (found === undefined) throw new UserError(`no state "${name}" in the state graph (${graph.map((s) => s.name).join(", ")})`);
  return found.id;
}

/** The state `state stop` enters: EmergencyStop, or else the graph's first halting plain state. */
export function stopStateOf(graph: StateDefView[]): StateDefView {
  const found = graph.find((s) => s.name === "EmergencyStop") ?? graph.find((s) => s.id > 0 && s.kind === "plain" && s.halts);
  if (found === undefined) throw new UserError("the state graph has no halting state to stop into");
  return found;
}

/** What `unit verify` says of a genuine unit whose batch is in a halting state. */
export { verifyStatusOf } from "./verdicts.js";

// ==== DEVICE SIGNING (EIP-712) ====

/** The domain a device signs for: the BatchRegistry proxy, where the engine runs. */
export function observationDomain(chainId: bigint, batchRegistry: string): TypedDataDomain {
  return { name: "MedState", version: "1", chainId, verifyingContract: batchRegistry };
}

/** The EIP-712 type of a device-signed observation (`QualityEngine.OBSERVATION_TYPEHASH`). */
export const OBSERVATION_TYPES: Record<string, TypedDataField[]> = {
  Observation: [
    { name: "subject", type: "bytes32" },
    { name: "point", type: "uint8" },
    { name: "result", type: "uint8" },
    { name: "temperature", type: "int16" },
    { name: "humidity", type: "uint16" },
    { name: "corrects", type: "uint32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "evidenceUri", type: "string" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
};

/** The EIP-712 type of a device-signed reading (`QualityEngine.READING_TYPEHASH`). */
export const READING_TYPES: Record<string, TypedDataField[]> = {
  Reading: [
    { name: "subject", type: "bytes32" },
    { name: "point", type: "uint8" },
    { name: "result", type: "uint8" },
    { name: "temperature", type: "int16" },
    { name: "humidity", type: "uint16" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
  ],
};
