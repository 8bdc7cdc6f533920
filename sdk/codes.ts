/**
 * Unit codes as printed on drug packs, and the identifiers the chain derives from them.
 *
 * - GS1 element strings: (01) GTIN, (21) serial, (10) lot, (17) expiry, (11) production
 *   date, written with parentheses `(01)…(21)…`, with FNC1 separators (ASCII 29, the
 *   literal `<GS>`, an optional `]d2` / `]C1` / `]Q3` symbology prefix), or raw with
 *   the fixed-length AIs first. The canonical unit code is the SGTIN `01<gtin>21<serial>`:
 *   lot and expiry belong to the batch.
 * - China's 20-digit drug traceability code (药品追溯码): 7-digit product identification
 *   code, 9-digit serial, 4-digit verification code, canonical as the 20 digits.
 *
 * unitHash = keccak256(utf8(canonical)); batchId = keccak256(abi.encode(uint64 gtin,
 * string lot)); the units commitment's leaf for a unit is OpenZeppelin's standard leaf
 * of `[uint256 index, bytes32 unitHash]`.
 */
import { AbiCoder, id, keccak256 } from "ethers";

import { UserError } from "./errors.js";

export interface Gs1Unit {
  kind: "gs1";
  /** GTIN-14. */
  gtin: string;
  serial: string;
  lot?: string;
  /** YYYY-MM-DD; GS1's day 00 is the month's last day. */
  expiry?: string;
  /** (11) production date, YYYY-MM-DD, when present. */
  production?: string;
  /** `01` + GTIN-14 + `21` + serial. */
  canonical: string;
  unitHash: string;
}

export interface ChinaUnit {
  kind: "cn20";
  /** 7-digit product identification code (药品标识码). */
  productCode: string;
  /** 9-digit serial. */
  serial: string;
  /** 4-digit verification code; only its issuer can check it. */
  verification: string;
  canonical: string;
  unitHash: string;
}

export type UnitCode = Gs1Unit | ChinaUnit;
export type UnitFormat = UnitCode["kind"];

/** A parsed code before hashing (hashing a million codes is the slow part). */
export type UnhashedUnit = Omit<Gs1Unit, "unitHash"> | Omit<ChinaUnit, "unitHash">;

// ==== GTIN ====

const DIGITS = /^\d+$/;

/** GS1 mod-10 check digit of a key's body (for a GTIN-14: its first 13 digits). */
export function gtinCheckDigit(body13: string): number {
  if (!DIGITS.test(body13)) throw new UserError(`invalid GTIN body "${body13}": expected digits only`);
  let sum = 0;
  // From the rightmost body digit, weights alternate 3, 1, 3, …
  for (let i = 0; i < body13.length; i++) {
    sum += (body13.charCodeAt(body13.length - 1 - i) - 48) * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

function gtinProblem(digits: string): string | undefined {
  const nonDigit = /\D/.exec(digits);
  if (nonDigit !== null) return `contains a non-digit "${nonDigit[0]}"`;
  if (![8, 12, 13, 14].includes(digits.length)) return `expected 8, 12, 13 or 14 digits, got ${digits.length}`;
  const expected = gtinCheckDigit(digits.slice(0, -1));
  const actual = Number(digits.at(-1));
  if (actual !== expected) return `check digit is ${actual}, expected ${expected}`;
  return undefined;
}

/** Whether `gtin` is a GTIN-8, -12, -13 or -14 with a valid check digit. */
export function isValidGtin(gtin14: string): boolean {
  return gtinProblem(gtin14) === undefined;
}

/** A GTIN-8/12/13/14 (or its number) as a validated GTIN-14, left-padded with zeros. */
export function normaliseGtin(input: string | bigint): string {
  if (typeof input === "bigint") {
    if (input <= 0n || input >= 10n ** 14n) throw new UserError(`invalid GTIN ${input}: expected a number below 10^14`);
    input = input.toString().padStart(14, "0");
  }
  input = input.trim();
  const problem = gtinProblem(input);
  if (problem !== undefined) throw new UserError(`invalid GTIN "${input}": ${problem}`);
  return input.padStart(14, "0");
}

// ==== GS1 element strings ====

const GS = "\x1d";
/** A character outside GS1 AI encodable character set 82, which (21) and (10) use. */
const AI82_CHAR = /[^!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]/u;
const SYMBOLOGY_PREFIXES = ["]d2", "]C1", "]Q3"];
const KNOWN_AIS = "expected (01), (21), (10), (17) or (11)";

/** Fixed data lengths; (21) and (10) are variable, up to 20 characters. */
const AI_LENGTH: Record<string, number | undefined> = { "01": 14, "11": 6, "17": 6, "10": undefined, "21": undefined };
const VARIABLE_MAX = 20;

/** Shows the GS control character as `<GS>` so that an error stays one readable line. */
function shown(input: string): string {
  return input.replaceAll(GS, "<GS>");
}

function gs1Error(input: string, problem: string): UserError {
  return new UserError(`invalid GS1 code "${shown(input)}": ${problem}`);
}

/**
 * A GS1 YYMMDD date as YYYY-MM-DD, or a problem. The century follows GS1 General
 * Specifications §7.12 (within 49 years ahead, or 50 behind, the current year); DD = 00
 * is the last day of the month.
 */
function gs1Date(yymmdd: string, now: Date): string | { problem: string } {
  // A unit file repeats its batch's dates on every line.
  const key = `${now.getUTCFullYear()}:${yymmdd}`;
  let date = dateMemo.get(key);
  if (date === undefined) {
    if (dateMemo.size > 1_000) dateMemo.clear();
    date = computeGs1Date(yymmdd, now);
    dateMemo.set(key, date);
  }
  return date;
}

const dateMemo = new Map<string, string | { problem: string }>();

function computeGs1Date(yymmdd: string, now: Date): string | { problem: string } {
  if (!/^\d{6}$/.test(yymmdd)) return { problem: `expected YYMMDD, got "${yymmdd}"` };
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  let day = Number(yymmdd.slice(4, 6));
  const currentYear = now.getUTCFullYear();
  const century = Math.floor(currentYear / 100) * 100;
  const difference = yy - (currentYear % 100);
  const year = century + yy + (difference >= 51 ? -100 : difference <= -50 ? 100 : 0);
  if (month < 1 || month > 12) return { problem: `"${yymmdd}" has month ${yymmdd.slice(2, 4)}` };
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day === 0) day = lastDay;
  if (day > lastDay) return { problem: `"${yymmdd}" is not a date (${year}-${yymmdd.slice(2, 4)} has ${lastDay} days)` };
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** Splits `(01)…(21)…` into [AI, data] pairs: every `(` + 2–4 digits + `)` starts an AI. */
function splitParenthesised(input: string, text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let ai: string | undefined;
  let dataFrom = 0;
  for (let at = text.indexOf("("); at !== -1; at = text.indexOf("(", at + 1)) {
    const close = text.indexOf(")", at + 3);
    if (close === -1 || close > at + 5) continue;
    const candidate = text.slice(at + 1, close);
    if (!/^\d{2,4}$/.test(candidate)) continue;
    if (ai === undefined && at !== 0) break;
    if (ai !== undefined) pairs.push([ai, text.slice(dataFrom, at).replaceAll(GS, "")]);
    ai = candidate;
    dataFrom = close + 1;
    at = close;
  }
  if (ai === undefined) throw gs1Error(input, "expected it to start with an AI such as (01)");
  pairs.push([ai, text.slice(dataFrom).replaceAll(GS, "")]);
  return pairs;
}

/** Splits a raw element string (variable-length fields ended by GS or the end). */
function splitRaw(input: string, text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let at = 0;
  while (at < text.length) {
    if (text[at] === GS) {
      at++;
      continue;
    }
    const ai = text.slice(at, at + 2);
    if (!(ai in AI_LENGTH)) {
      throw gs1Error(input, `unknown AI (${ai}) at position ${at + 1}; ${KNOWN_AIS}`);
    }
    at += 2;
    const fixed = AI_LENGTH[ai];
    let end: number;
    if (fixed === undefined) {
      const gs = text.indexOf(GS, at);
      end = gs === -1 ? text.length : gs;
    } else {
      end = Math.min(at + fixed, text.length);
      // A GS after a fixed-length field is tolerated; one inside it means it is short.
      const gs = text.indexOf(GS, at);
      if (gs !== -1 && gs < end) end = gs;
    }
    pairs.push([ai, text.slice(at, end)]);
    at = end;
  }
  return pairs;
}

function checkVariable(input: string, name: string, value: string): void {
  if (value.length === 0) throw gs1Error(input, `${name} is empty`);
  if (value.length > VARIABLE_MAX) throw gs1Error(input, `${name} has ${value.length} characters, at most ${VARIABLE_MAX}`);
  const bad = AI82_CHAR.exec(value);
  if (bad !== null) throw gs1Error(input, `${name} contains "${bad[0]}", which is not in the GS1 character set`);
}

function parseGs1Fields(input: string, now = new Date()): Omit<Gs1Unit, "unitHash"> {
  let text = input.trim();
  if (text.includes("<GS>")) text = text.replaceAll("<GS>", GS);
  const prefix = SYMBOLOGY_PREFIXES.find((p) => text.startsWith(p));
  if (prefix !== undefined) text = text.slice(prefix.length);
  while (text.startsWith(GS)) text = text.slice(1);
  if (text === "") throw gs1Error(input, "it is empty");
  const pairs = text.startsWith("(") ? splitParenthesised(input, text) : splitRaw(input, text);

  const seen = new Map<string, string>();
  for (const [ai, data] of pairs) {
    if (!(ai in AI_LENGTH)) throw gs1Error(input, `unknown AI (${ai}); ${KNOWN_AIS}`);
    if (seen.has(ai)) throw gs1Error(input, `AI (${ai}) appears twice`);
    seen.set(ai, data);
  }

  const gtin = seen.get("01");
  if (gtin === undefined) throw gs1Error(input, "missing GTIN (01)");
  const nonDigit = /\D/.exec(gtin);
  if (nonDigit !== null) throw gs1Error(input, `GTIN (01) "${gtin}" contains a non-digit "${shown(nonDigit[0])}"`);
  if (gtin.length !== 14) throw gs1Error(input, `GTIN (01) must be 14 digits, got ${gtin.length}`);
  const check = gtinCheckDigit(gtin.slice(0, 13));
  if (Number(gtin[13]) !== check) throw gs1Error(input, `GTIN check digit is ${gtin[13]}, expected ${check}`);

  const serial = seen.get("21");
  if (serial === undefined) throw gs1Error(input, "missing serial (21)");
  checkVariable(input, "serial (21)", serial);

  const unit: Omit<Gs1Unit, "unitHash" | "canonical"> = { kind: "gs1", gtin, serial };
  const lot = seen.get("10");
  if (lot !== undefined) {
    checkVariable(input, "lot (10)", lot);
    unit.lot = lot;
  }
  for (const [ai, key, name] of [
    ["17", "expiry", "expiry date (17)"],
    ["11", "production", "production date (11)"],
  ] as const) {
    const raw = seen.get(ai);
    if (raw === undefined) continue;
    const date = gs1Date(raw, now);
    if (typeof date !== "string") throw gs1Error(input, `${name} ${date.problem}`);
    unit[key] = date;
  }
  return { ...unit, canonical: `01${gtin}21${serial}` };
}

/** Parses a GS1 element string (parentheses, FNC1/`<GS>`, or raw with fixed-length AIs first). */
export function parseGs1(input: string): Gs1Unit {
  const unit = parseGs1Fields(input);
  return { ...unit, unitHash: unitHashOf(unit.canonical) };
}

// ==== China's 20-digit drug traceability code ====

function parseChinaFields(input: string): Omit<ChinaUnit, "unitHash"> {
  const digits = input.trim().replace(/[\s-]/g, "");
  const nonDigit = /[^0-9]/u.exec(digits);
  if (nonDigit !== null) {
    throw new UserError(`invalid drug traceability code "${input}": contains a non-digit "${nonDigit[0]}"`);
  }
  if (digits.length !== 20) {
    throw new UserError(`invalid drug traceability code "${input}": expected 20 digits, got ${digits.length}`);
  }
  return {
    kind: "cn20",
    productCode: digits.slice(0, 7),
    serial: digits.slice(7, 16),
    verification: digits.slice(16),
    canonical: digits,
  };
}

/** Parses China's 20-digit drug traceability code; spaces and dashes are ignored. */
export function parseChinaCode(input: string): ChinaUnit {
  const unit = parseChinaFields(input);
  return { ...unit, unitHash: unitHashOf(unit.canonical) };
}

// ==== Either ====

/**
 * Which format `input` is written in. Twenty digits alone are read as a drug
 * traceability code: a raw GS1 string of exactly 20 digits (a 2-digit serial) needs
 * parentheses or `format: "gs1"`. Both give the same canonical code and unitHash.
 */
function detectFormat(input: string): UnitFormat | undefined {
  const text = input.trim();
  if (/^[\d\s-]+$/.test(text)) {
    const digits = text.replace(/[\s-]/g, "");
    return digits.length !== 20 && /^01\d{17,}$/.test(text) ? "gs1" : "cn20";
  }
  if (/^(\(|\]|<GS>|\x1d)/.test(text) || text.includes(GS) || text.includes("<GS>")) return "gs1";
  if (/^(01|10|11|17|21)/.test(text)) return "gs1";
  return undefined;
}

/** Parses a unit code without hashing it; `format` forces one format. */
export function parseUnitFields(input: string, format?: UnitFormat): UnhashedUnit {
  const kind = format ?? detectFormat(input);
  if (kind === "gs1") return parseGs1Fields(input);
  if (kind === "cn20") return parseChinaFields(input);
  throw new UserError(
    `unrecognised unit code "${shown(input)}": expected a GS1 element string such as (01)<GTIN-14>(21)<serial> or a 20-digit drug traceability code`,
  );
}

/** Parses a unit code in either format; `format` forces one. */
export function parseUnitCode(input: string, format?: UnitFormat): UnitCode {
  const unit = parseUnitFields(input, format);
  return { ...unit, unitHash: unitHashOf(unit.canonical) } as UnitCode;
}

// ==== Identifiers ====

/** keccak256 of a canonical unit code's UTF-8 bytes. */
export function unitHashOf(canonical: string): string {
  return id(canonical);
}

/** The batch id the contract derives: keccak256(abi.encode(uint64 gtin, string lot)). */
export function batchIdOf(gtin: string | bigint, lot: string): string {
  const gtin14 = normaliseGtin(gtin);
  if (lot.length === 0) throw new UserError("invalid lot: it is empty");
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "string"], [BigInt(gtin14), lot]));
}

/** What a product application says, as the regulator examines it. */
export interface ProductApplicationContent {
  nationalCode: bigint | number;
  name: string;
  approvalNo: string;
}

/**
 * The hash `approveProduct` checks, as the contract derives it:
 * keccak256(abi.encode(uint32 nationalCode, string name, string approvalNo)). The
 * regulator approves the application it examined, not whatever replaced it since.
 */
export function productApplicationHash(application: ProductApplicationContent): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint32", "string", "string"],
      [BigInt(application.nationalCode), application.name, application.approvalNo],
    ),
  );
}

/** OpenZeppelin's standard leaf for `[index, unitHash]`: keccak256(keccak256(abi.encode(uint256, bytes32))). */
export function unitLeaf(index: number | bigint, unitHash: string): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32"], [index, unitHash])));
}

/** Whether `text` is a 0x-prefixed 32-byte hash. */
export function isHash32(text: string): boolean {
  return /^0x[0-9a-fA-F]{64}$/.test(text);
}
