/**
 * What the `suspect` tasks share: sending through `deployed.suspects` as `--from`,
 * reading a case (a refusal for an unknown id), and one way of printing a case and a
 * status change, with status names and ISO dates.
 */
import type { ContractTransactionResponse, Signer } from "ethers";

import { CASE_STATUSES, CaseStatus, enumName } from "../../sdk/enums.js";
import { UserError, describeError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { WHOLE_BATCH } from "../../sdk/replay/state.js";
import type { ISuspectProduct } from "../../types/ethers-contracts/index.js";
import { NO_EVIDENCE } from "./evidence.js";
import { type Deployed, eventsNamed, send, sendAs } from "./runtime.js";

export type SuspectCaseView = ISuspectProduct.SuspectCaseStructOutput;

/** The options of the tasks that act on one case. */
export interface CaseArgs {
  case?: string;
  from?: string;
  json: boolean;
}

/** `"batch"` for a whole-batch case, else the unit's index. */
export function unitLabel(unit: bigint): string {
  return unit === WHOLE_BATCH ? "batch" : unit.toString();
}

/** A case, as the contract holds it; refuses an id no case has. */
export async function readCase(deployed: Deployed, caseId: string): Promise<SuspectCaseView> {
  const c = await deployed.suspects.suspectCase(caseId);
  if (Number(c.status) === CaseStatus.None) throw new UserError(`unknown suspect case ${caseId}`);
  return c;
}

/** A case in the CLI's terms: decimal strings, status names, ISO dates (null when unset). */
export function caseJson(caseId: string, c: SuspectCaseView, overdue: boolean): Record<string, string | boolean | null> {
  return {
    caseId,
    batchId: c.batchId,
    no: c.no.toString(),
    reporter: c.reporter.toString(),
    unit: unitLabel(c.unit),
    quantity: c.quantity.toString(),
    status: enumName(CASE_STATUSES, c.status),
    openedAt: isoDate(c.openedAt),
    notifyBy: isoDate(c.notifyBy),
    notifiedAt: isoDate(c.notifiedAt),
    overdue,
  };
}

/** One line for a case: what, where, how much, and where it stands. */
export function caseLine(json: Record<string, string | boolean | null>): string {
  const what = json.unit === "batch" ? "whole batch" : `unit ${String(json.unit)}`;
  const deadline =
    json.status === "illegitimate"
      ? json.notifiedAt === null
        ? `, notify by ${String(json.notifyBy)}${json.overdue === true ? " (OVERDUE)" : ""}`
        : `, notified ${String(json.notifiedAt)}`
      : "";
  const stock = json.status === "cleared" ? "put back" : json.status === "closed" ? "destroyed" : "quarantined";
  return (
    `case ${String(json.caseId)} (#${String(json.no)} of batch ${String(json.batchId)}): ${String(json.status)}${deadline} — ` +
    `${what}, ${String(json.quantity)} ${stock}, reported by party ${String(json.reporter)}`
  );
}

/**
 * Sends a status change of case `caseId` (signed by `from`) and reports it from the
 * SuspectCaseStatusChanged it emitted: `caseId`, `batchId`, `status`, `party`,
 * `quantity`, and `notifyBy` for an illegitimate finding.
 */
export async function advanceCase(
  deployed: Deployed,
  caseId: string,
  from: string | undefined,
  call: (s: Deployed["suspects"]) => Promise<ContractTransactionResponse>,
): Promise<{ json: Record<string, string>; human: string }> {
  const receipt = await sendAs(deployed, "suspects", from, call);
  const [changed] = eventsNamed(deployed.suspects, receipt, "SuspectCaseStatusChanged");
  const c = await deployed.suspects.suspectCase(caseId);
  const status = enumName(CASE_STATUSES, changed.args.status);
  const party = String(changed.args.party);
  const json: Record<string, string> = {
    caseId,
    batchId: String(changed.args.batchId),
    status,
    party,
    quantity: c.quantity.toString(),
  };
  let tail = "";
  if (Number(changed.args.status) === CaseStatus.Illegitimate) {
    json.notifyBy = isoDate(changed.args.notifyBy) ?? "";
    tail = `: notify the regulator and trading partners by ${json.notifyBy}`;
  } else if (Number(changed.args.status) === CaseStatus.Cleared) {
    tail = `: ${json.quantity} back in stock of party ${c.reporter}`;
  } else if (Number(changed.args.status) === CaseStatus.Closed) {
    tail = `: ${json.quantity} destroyed`;
  }
  return { json, human: `case ${caseId} (batch ${json.batchId}): ${status} by party ${party}${tail}` };
}

/**
 * After a dispense reported a clone (`SuspectUnitReported`), the same signer opens a
 * suspect case on the unit (no stock quarantined: a clone holds none). The report stands
 * whatever happens here, so a case that cannot be opened is said, not thrown.
 * @returns the case's id, or null and why it was not opened.
 */
export async function openCloneCase(
  deployed: Deployed,
  signer: Signer,
  batchId: string,
  index: bigint | number,
  reason: string,
): Promise<{ caseId: string | null; failure: string }> {
  try {
    const opened = await send(deployed.suspects.connect(signer).reportSuspect(batchId, index, 0, NO_EVIDENCE, reason));
    return { caseId: String(eventsNamed(deployed.suspects, opened, "SuspectCaseOpened")[0].args.caseId), failure: "" };
  } catch (error) {
    return { caseId: null, failure: `no suspect case opened: ${describeError(error)}` };
  }
}
