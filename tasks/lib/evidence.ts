/**
 * Evidence as operators name it on the command line: a document (whose keccak-256
 * hash the chain keeps; the document stays off-chain) or the 32-byte hash itself.
 */
import { readFile } from "node:fs/promises";

import { keccak256 } from "ethers";

import { UserError } from "../../sdk/errors.js";

/** The hash the contracts take for "no evidence". */
export const NO_EVIDENCE = `0x${"0".repeat(64)}`;

/**
 * `--evidence FILE-or-0xhash`: a 0x-prefixed 32-byte hex is taken as is (lower-cased),
 * anything else is a file whose bytes are hashed; absent, {@link NO_EVIDENCE}.
 */
export async function evidenceHashOf(option: string, value: string | undefined): Promise<string> {
  if (value === undefined) return NO_EVIDENCE;
  const text = value.trim();
  if (text === "") throw new UserError(`invalid ${option}: empty (give a file or a 0x-prefixed 32-byte hash)`);
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  try {
    return keccak256(await readFile(text));
  } catch {
    throw new UserError(`invalid ${option} "${text}": neither a 0x-prefixed 32-byte hash nor a readable file`);
  }
}
