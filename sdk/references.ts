/**
 * Ids as people write them: a batch as its 0x id, `GTIN/LOT` (as printed on the pack)
 * or a GS1 code that carries its lot; 32-byte ids shortened for reading.
 */
import { batchIdOf, isValidGtin, normaliseGtin, parseUnitCode } from "./codes.js";
import { UserError } from "./errors.js";

/** `0xff16…8c18` (or `0xff16...8c18`): an id as human output prints it, its head and tail captured. */
export const SHORT_ID = /^0x([0-9a-fA-F]{4,})(?:…|\.\.\.)([0-9a-fA-F]{4,})$/;

/** `0xff16…8c18`: a 32-byte id (or an address) shortened for people. */
export function shortId(id: string): string {
  return /^0x[0-9a-fA-F]{40,}$/.test(id) ? `${id.slice(0, 6)}…${id.slice(-4)}` : id;
}

/**
 * The batch id `value` names without reading anything: a 0x id, `GTIN/LOT`, or a GS1
 * code with its lot. Undefined for what needs a lookup — a code without its lot (the
 * local unit lists) or a short id `0xff16…8c18` (the chain's batches); a refusal for
 * text that is none of these.
 */
export function batchIdFromText(option: string, value: string | undefined): string | undefined {
  const text = (value ?? "").trim();
  if (text === "") throw new UserError(`missing ${option}`);
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  if (SHORT_ID.test(text)) return undefined;
  if (/^0x/i.test(text)) throw new UserError(`invalid ${option} "${text}": a batch id is 0x and 64 hex digits (or its short form 0xabcd…wxyz)`);
  const slash = text.indexOf("/");
  if (slash > 0 && /^\d{8,14}$/.test(text.slice(0, slash))) {
    const gtin = text.slice(0, slash);
    const lot = text.slice(slash + 1);
    if (!isValidGtin(gtin.padStart(14, "0"))) throw new UserError(`invalid ${option} "${text}": ${gtin} is not a valid GTIN (check digit)`);
    if (lot === "" || lot.length > 20) throw new UserError(`invalid ${option} "${text}": the lot after the slash must be 1 to 20 characters`);
    return batchIdOf(normaliseGtin(gtin), lot);
  }
  let parsed;
  try {
    parsed = parseUnitCode(text);
  } catch {
    throw new UserError(`invalid ${option} "${text}": expected a batch id (0x…), GTIN/LOT, or a unit code of the batch`);
  }
  if (parsed.kind === "gs1" && parsed.lot !== undefined) return batchIdOf(parsed.gtin, parsed.lot);
  return undefined;
}


/**
 * Human output with every 32-byte id shortened (`0xff16…8c18`; tasks take the short form
 * back). Ids inside a file path (`…/0x….json`) stay whole.
 */
export function shortenIds(text: string): string {
  return text.replace(/(?<![\w/])0x[0-9a-fA-F]{64}(?!\w|\.json)/g, (id) => shortId(id));
}
