/**
 * Unit files for a lot, generated rather than written by hand: one unit code a line, in
 * the syntax `batch create --units` (and {@link readUnitFile}) reads.
 *
 * - GS1 (default): `(01)<GTIN-14>(21)<serial>(10)<lot>(17)<YYMMDD>`. The serial is the
 *   prefix (by default the lot, so that serials stay unique across a product's lots: the
 *   canonical code `01<gtin>21<serial>` carries no lot) and the unit's index, zero-padded
 *   to 7 digits (fewer where the prefix leaves less room, more where the index needs
 *   them). GS1 allows at most 20 characters of set 82 in a serial.
 * - China's 20-digit drug traceability code: the 7-digit product identification code, a
 *   9-digit serial (the prefix's digits, then the index zero-padded to fill 9), and a
 *   4-digit verification code. Real verification codes come from the code issuer; the
 *   generated one is `(product code ‖ serial) mod 9973`, zero-padded, so that a trial file
 *   is reproducible.
 *
 * Codes are produced in chunks and written atomically ({@link writeAtomically}): a
 * million lines take well under a second and never sit in memory at once.
 */
import { stat } from "node:fs/promises";
import path from "node:path";

import { normaliseGtin, parseUnitCode } from "./codes.js";
import { UserError } from "./errors.js";
import { checkWritable, writeAtomically } from "./files.js";

export type UnitFileFormat = "gs1" | "china";
export const UNIT_FILE_FORMATS: readonly UnitFileFormat[] = ["gs1", "china"];

/** What to generate: every unit of `[first, first + count)` of one lot. */
export interface UnitFileSpec {
  /** GTIN-8/12/13/14 (check digit validated). */
  gtin: string;
  lot: string;
  /** YYYY-MM-DD. */
  expiry: string;
  count: number;
  /** Index of the first unit (default 0). */
  first?: number;
  /** Default: the lot for GS1, none for China's codes. */
  serialPrefix?: string;
  /** Default `gs1`. */
  format?: UnitFileFormat;
  /** China's 7-digit product identification code (needed for `china`). */
  productCode?: string;
}

/** A checked spec: every code it makes is valid and parses back to its fields. */
export interface UnitFilePlan {
  format: UnitFileFormat;
  /** GTIN-14. */
  gtin: string;
  lot: string;
  expiry: string;
  count: number;
  first: number;
  serialPrefix: string;
  /** Digits of the zero-padded index in each serial. */
  width: number;
  productCode?: string;
  /** The code of unit `index` (in `[first, first + count)`). */
  codeAt(index: number): string;
}

/** What {@link writeUnitFile} wrote. */
export interface UnitFileSummary {
  file: string;
  format: UnitFileFormat;
  gtin: string;
  lot: string;
  expiry: string;
  count: number;
  /** The first and the last unit code written. */
  firstCode: string;
  lastCode: string;
}

export interface WriteUnitFileOptions {
  /** Overwrite an existing file (default: refuse). */
  force?: boolean;
  /** Called after each chunk with the lines written so far. */
  onProgress?: (done: number, total: number) => void;
}

/** GS1's limit on a serial (21) or lot (10): 20 characters. */
export const GS1_SERIAL_MAX = 20;
/** GS1 AI encodable character set 82, which (21) and (10) use. */
const SET_82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$/;
const CHINA_SERIAL_DIGITS = 9;
const DEFAULT_WIDTH = 7;
/** Units a batch may commit (`unitCount` is a uint48). */
const MAX_COUNT = 2 ** 48 - 1;
const CHUNK_LINES = 16_384;
const VERIFICATION_MODULUS = 9973;

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function wholeNumber(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UserError(`invalid ${option} "${value}": expected a whole number of at least ${min}`);
  }
  return value;
}

/** How many decimal digits `n` has. */
function digitsOf(n: number): number {
  return String(n).length;
}

/**
 * Checks a spec and fixes everything about the codes (serial width, verification codes),
 * so that writing cannot fail half-way on a code. Each refusal is one line.
 */
export function planUnitFile(spec: UnitFileSpec): UnitFilePlan {
  const format = spec.format ?? "gs1";
  if (!UNIT_FILE_FORMATS.includes(format)) {
    throw new UserError(`invalid --format "${String(format)}": expected gs1 or china`);
  }
  const gtin = normaliseGtin(spec.gtin);
  const lot = spec.lot;
  if (lot === "") throw new UserError("invalid --lot: it is empty");
  if (!isCalendarDate(spec.expiry)) throw new UserError(`invalid --expiry "${spec.expiry}": expected a date YYYY-MM-DD`);
  const count = wholeNumber("--count", spec.count, 1);
  if (count > MAX_COUNT) throw new UserError(`invalid --count ${count}: a batch commits at most ${MAX_COUNT} units`);
  const first = wholeNumber("--first", spec.first ?? 0, 0);
  const last = first + count - 1;
  if (!Number.isSafeInteger(last)) throw new UserError(`--first ${first} and --count ${count} go beyond ${Number.MAX_SAFE_INTEGER}`);

  const plan =
    format === "gs1"
      ? planGs1(gtin, lot, spec.expiry, spec.serialPrefix ?? lot, last)
      : planChina(spec.serialPrefix ?? "", spec.productCode, last);
  const full: UnitFilePlan = { ...plan, format, gtin, lot, expiry: spec.expiry, count, first };
  // Every code of the plan has the shape of these two: they must read back as written.
  for (const index of new Set([first, last])) checkReadsBack(full, index);
  return full;
}

type FormatPlan = Pick<UnitFilePlan, "serialPrefix" | "width" | "productCode" | "codeAt">;

function planGs1(gtin: string, lot: string, expiry: string, prefix: string, last: number): FormatPlan {
  if (lot.length > GS1_SERIAL_MAX) throw new UserError(`invalid --lot "${lot}": GS1 allows at most ${GS1_SERIAL_MAX} characters, it has ${lot.length}`);
  if (!SET_82.test(lot)) throw new UserError(`invalid --lot "${lot}": a GS1 lot (10) takes only letters, digits and !"%&'()*+,-./:;<=>?_`);
  if (prefix !== "" && !SET_82.test(prefix)) {
    throw new UserError(`invalid --serial-prefix "${prefix}": a GS1 serial (21) takes only letters, digits and !"%&'()*+,-./:;<=>?_`);
  }
  const needed = digitsOf(last);
  if (prefix.length + needed > GS1_SERIAL_MAX) {
    throw new UserError(
      `serials of "${prefix}" and up to ${needed} digits (the last index is ${last}) have ${prefix.length + needed} characters; ` +
        `GS1 allows at most ${GS1_SERIAL_MAX}: give a shorter --serial-prefix`,
    );
  }
  const width = Math.max(needed, Math.min(DEFAULT_WIDTH, GS1_SERIAL_MAX - prefix.length));
  const head = `(01)${gtin}(21)${prefix}`;
  const tail = `(10)${lot}(17)${expiry.slice(2, 4)}${expiry.slice(5, 7)}${expiry.slice(8, 10)}`;
  return { serialPrefix: prefix, width, codeAt: (index) => `${head}${String(index).padStart(width, "0")}${tail}` };
}

function planChina(prefix: string, productCode: string | undefined, last: number): FormatPlan {
  if (productCode === undefined || !/^\d{7}$/.test(productCode)) {
    throw new UserError(
      `China's codes need the product's 7-digit identification code${productCode === undefined ? "" : `, not "${productCode}"`} (--product-code)`,
    );
  }
  if (!/^\d*$/.test(prefix) || prefix.length >= CHINA_SERIAL_DIGITS) {
    throw new UserError(`invalid --serial-prefix "${prefix}": China's 9-digit serials take a prefix of at most 8 digits`);
  }
  const width = CHINA_SERIAL_DIGITS - prefix.length;
  if (digitsOf(last) > width) {
    throw new UserError(
      `the last index ${last} does not fit the ${width} digits that --serial-prefix "${prefix}" leaves of China's 9-digit serial`,
    );
  }
  // (P·10^9 + S) mod m, in safe integers: P < 10^7, S < 10^9.
  const base = (Number(productCode) % VERIFICATION_MODULUS) * (10 ** CHINA_SERIAL_DIGITS % VERIFICATION_MODULUS);
  return {
    serialPrefix: prefix,
    width,
    productCode,
    codeAt(index) {
      const serial = `${prefix}${String(index).padStart(width, "0")}`;
      const verification = (base + Number(serial)) % VERIFICATION_MODULUS;
      return `${productCode}${serial}${String(verification).padStart(4, "0")}`;
    },
  };
}

/** Parses unit `index`'s code as `batch create` will, and checks it carries the plan's fields. */
function checkReadsBack(plan: UnitFilePlan, index: number): void {
  const code = plan.codeAt(index);
  const unit = parseUnitCode(code, plan.format === "gs1" ? "gs1" : "cn20");
  const serial = `${plan.serialPrefix}${String(index).padStart(plan.width, "0")}`;
  const problem =
    unit.kind === "gs1"
      ? unit.gtin !== plan.gtin
        ? `GTIN ${unit.gtin}`
        : unit.serial !== serial
          ? `serial ${unit.serial}`
          : unit.lot !== plan.lot
            ? `lot ${unit.lot ?? "none"}`
            : unit.expiry !== plan.expiry
              ? `expiry ${unit.expiry ?? "none"}`
              : undefined
      : unit.productCode !== plan.productCode || unit.serial !== serial
        ? `product code ${unit.productCode}, serial ${unit.serial}`
        : undefined;
  if (unit.kind === "gs1" && unit.gtin === plan.gtin && unit.serial === serial && unit.lot === plan.lot && unit.expiry !== plan.expiry) {
    throw new UserError(
      `invalid --expiry "${plan.expiry}": GS1 writes the year in two digits, and this one reads back as ${unit.expiry ?? "none"} ` +
        "(years are read within 49 ahead of this one and 50 behind)",
    );
  }
  if (problem !== undefined) throw new UserError(`unit code "${code}" would read back with ${problem}, not as generated`);
}

/** The file's bytes, a chunk of lines at a time, in index order. */
export function* unitFileChunks(plan: UnitFilePlan, onProgress?: (done: number, total: number) => void): Generator<Uint8Array> {
  const end = plan.first + plan.count;
  for (let from = plan.first; from < end; from += CHUNK_LINES) {
    const to = Math.min(end, from + CHUNK_LINES);
    let text = "";
    for (let index = from; index < to; index++) text += `${plan.codeAt(index)}\n`;
    yield Buffer.from(text, "utf8");
    onProgress?.(to - plan.first, plan.count);
  }
}

/**
 * Writes the unit file `spec` describes to `file`, atomically. Refused, before any work,
 * for a bad spec, a path that cannot be written, or an existing file without `force`.
 */
export async function writeUnitFile(file: string, spec: UnitFileSpec, options: WriteUnitFileOptions = {}): Promise<UnitFileSummary> {
  const plan = planUnitFile(spec);
  const target = path.resolve(file);
  await checkWritable(target);
  if (options.force !== true && (await exists(target))) {
    throw new UserError(`${target} exists: give --force to overwrite it`);
  }
  await writeAtomically(target, unitFileChunks(plan, options.onProgress));
  return {
    file: target,
    format: plan.format,
    gtin: plan.gtin,
    lot: plan.lot,
    expiry: plan.expiry,
    count: plan.count,
    firstCode: plan.codeAt(plan.first),
    lastCode: plan.codeAt(plan.first + plan.count - 1),
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return false;
    throw error;
  }
}
