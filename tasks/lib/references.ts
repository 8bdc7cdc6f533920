/**
 * Batches as people name them: the 0x id, `GTIN/LOT` (as printed on the pack), or any
 * unit code of the batch (a GS1 element string carrying its lot needs nothing local; a
 * code without its lot — China's 20-digit code — is found in this machine's unit lists).
 */
export { batchIdFromText, shortId };
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseUnitCode } from "../../sdk/codes.js";
import { medstateInterface } from "../../sdk/contracts.js";
import { UserError } from "../../sdk/errors.js";
import { SHORT_ID, batchIdFromText, shortId } from "../../sdk/references.js";
import { type Deployed, required } from "./runtime.js";
import { unitsDir } from "./supply.js";

/**
 * The batch `value` names (see the module's note), checked to exist on this chain when it
 * was named by GTIN/LOT or a code: a typo then says so instead of an unknown 0x id.
 */
export async function resolveBatch(
  hre: HardhatRuntimeEnvironment,
  deployed: Deployed,
  option: string,
  value: string | undefined,
): Promise<string> {
  const text = required(option, value);
  if (SHORT_ID.test(text)) return resolveId(deployed, option, text, "batch");
  let batchId = batchIdFromText(option, text);
  if (batchId === undefined) {
    // Loaded here: the unit lists (and their Merkle trees) are heavy, and a 0x id or GTIN/LOT never needs them.
    const { findUnit } = await import("../../sdk/units.js");
    const found = await findUnit(unitsDir(hre, deployed.chainId), parseUnitCode(text).canonical);
    if (found === undefined) {
      throw new UserError(`invalid ${option} "${text}": no unit list on this machine holds this code (give the batch as GTIN/LOT)`);
    }
    batchId = found.batchId;
  }
  if (/^0x/i.test(text)) return batchId;
  const exists = await deployed.batches.getBatch(batchId).then(
    () => true,
    () => false,
  );
  if (!exists) throw new UserError(`invalid ${option} "${text}": no such batch on this chain (its id would be ${shortId(batchId)})`);
  return batchId;
}

/** The event that opens each kind of id a task takes, its id the first indexed argument. */
const OPENING_EVENTS = {
  batch: "BatchCreated",
  shipment: "Shipped",
  pallet: "PalletShipped",
  case: "SuspectCaseOpened",
  recall: "RecallOpened",
  destruction: "DestructionProposed",
} as const;

export type IdKind = keyof typeof OPENING_EVENTS;

/**
 * A 32-byte id given in full, or shortened as human output prints it (`0xff16…8c18`),
 * which is looked up among the ids of that kind the chain has opened: one log query by
 * the opening event's topic, only when the short form is given.
 */
export async function resolveId(deployed: Deployed, option: string, value: string | undefined, kind: IdKind): Promise<string> {
  const text = required(option, value);
  if (/^0x[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  const short = SHORT_ID.exec(text);
  if (short === null) throw new UserError(`invalid ${option} "${text}": expected a 0x-prefixed 32-byte id, or its short form 0xabcd…wxyz`);
  const [, head, tail] = short;
  const { record } = deployed;
  const topic = medstateInterface().getEvent(OPENING_EVENTS[kind])?.topicHash;
  const logs = await deployed.ethers.provider.getLogs({ address: record.contracts.BatchRegistry, topics: [topic ?? null], fromBlock: Number(record.block) });
  const matches = [...new Set(logs.map((log) => log.topics[1].toLowerCase()))].filter(
    (id) => id.slice(2).startsWith(head.toLowerCase()) && id.endsWith(tail.toLowerCase()),
  );
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new UserError(`invalid ${option} "${text}": no ${kind} on this chain has an id like it`);
  throw new UserError(`invalid ${option} "${text}": ${matches.length} ${kind}s' ids look like it (${matches.join(", ")}): give the full id`);
}

/** Checks the form of an id option before connecting: a full 32-byte id or its short form. */
export function parseIdText(option: string, value: string | undefined): string {
  const text = required(option, value);
  if (!/^0x[0-9a-fA-F]{64}$/.test(text) && !SHORT_ID.test(text)) {
    throw new UserError(`invalid ${option} "${text}": expected a 0x-prefixed 32-byte id, or its short form 0xabcd…wxyz`);
  }
  return text;
}

/**
 * `06901234567892/L2026A Amoxicillin Capsules 0.25g (0xff16…8c18)`: a batch as human output
 * names it (its GTIN/LOT from its creation event, its product's name); the short id alone
 * when the batch is unknown.
 */
export async function batchLabel(deployed: Deployed, batchId: string): Promise<string> {
  const { batches, record } = deployed;
  try {
    const [created] = await batches.queryFilter(batches.filters.BatchCreated(batchId), Number(record.block));
    if (created === undefined) return shortId(batchId);
    const gtin = created.args.gtin.toString().padStart(14, "0");
    const name = (await batches.getProduct(created.args.gtin)).name;
    return `${gtin}/${created.args.lot} ${name} (${shortId(batchId)})`;
  } catch {
    return shortId(batchId);
  }
}

/**
 * `--batch` as {@link subjectOf} takes it: a form it reads without the chain as given, and
 * a short id or a code without its lot resolved to the batch's 0x id first.
 */
export async function batchForSubject(
  hre: HardhatRuntimeEnvironment,
  deployed: Deployed,
  value: string | undefined,
): Promise<string | undefined> {
  if (value === undefined || value.trim() === "" || batchIdFromText("--batch", value) !== undefined) return value;
  return resolveBatch(hre, deployed, "--batch", value);
}
