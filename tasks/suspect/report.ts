import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CASE_STATUSES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { evidenceHashOf } from "../lib/evidence.js";
import { type TaskResult, eventsNamed, openDeployment, sendAs, taskAction } from "../lib/runtime.js";
import { WHOLE_BATCH } from "../../sdk/replay/state.js";
import { unitLabel } from "../lib/suspect.js";
import { locateUnit } from "../lib/supply.js";
import { batchIdFromText, resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  unit?: string;
  code?: string;
  quantity?: string;
  evidence?: string;
  reason?: string;
  from?: string;
  json: boolean;
}

/** `--quantity`: a whole number of sales units, 0 (a clone is not stock) by default. */
function parseCaseQuantity(value: string | undefined): bigint {
  if (value === undefined) return 0n;
  const text = value.trim();
  if (!/^\d+$/.test(text)) throw new UserError(`invalid --quantity "${text}": expected a whole number (0 quarantines no stock)`);
  if (BigInt(text) >= 2n ** 48n) throw new UserError(`invalid --quantity "${text}": at most ${2n ** 48n - 1n}`);
  return BigInt(text);
}

/** `--unit`: a unit's index in the batch's unit file. */
function parseUnitIndex(value: string): bigint {
  const text = value.trim();
  if (!/^\d+$/.test(text) || BigInt(text) >= WHOLE_BATCH) {
    throw new UserError(`invalid --unit "${text}": expected a unit's index in the batch (0, 1, …)`);
  }
  return BigInt(text);
}

/**
 * Opens a suspect-product case on a batch (no `--unit`/`--code`) or one of its units,
 * quarantining `--quantity` of the signer's party's own stock of it (DSCSA §582).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  batchIdFromText("--batch", args.batch);
  if (args.unit !== undefined && args.code !== undefined) throw new UserError("give --unit or --code, not both");
  const quantity = parseCaseQuantity(args.quantity);
  const evidenceHash = await evidenceHashOf("--evidence", args.evidence);
  const reason = args.reason?.trim() ?? "";
  let unit = args.unit === undefined ? WHOLE_BATCH : parseUnitIndex(args.unit);
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  let code: string | undefined;
  if (args.code !== undefined) {
    // In --batch first; anywhere else only to say where the code belongs.
    const located =
      (await locateUnit(hre, deployed, args.code, batchId)) ?? (await locateUnit(hre, deployed, args.code, undefined));
    if (located === undefined) throw new UserError(`unknown unit ${args.code.trim()}: no batch on this chain holds this code`);
    if (located.batchId !== batchId) {
      throw new UserError(`unit ${located.canonical} belongs to batch ${located.batchId}, not to --batch ${batchId}`);
    }
    unit = BigInt(located.index);
    code = located.canonical;
  }
  const receipt = await sendAs(deployed, "suspects", args.from, (s) => s.reportSuspect(batchId, unit, quantity, evidenceHash, reason));
  const [opened] = eventsNamed(deployed.suspects, receipt, "SuspectCaseOpened");
  const caseId = String(opened.args.caseId);
  const status = enumName(CASE_STATUSES, (await deployed.suspects.suspectCase(caseId)).status);
  const reporter = String(opened.args.reporter);
  const json = {
    caseId,
    batchId,
    unit: unitLabel(opened.args.unit),
    ...(code === undefined ? {} : { code }),
    quantity: String(opened.args.quantity),
    status,
    reporter,
    evidenceHash,
    reason,
  };
  const what = json.unit === "batch" ? "batch" : `unit ${json.unit}${code === undefined ? "" : ` (${code})`} of batch`;
  return {
    json,
    human: `case ${caseId}: party ${reporter} reported ${what} ${batchId} as suspect; ${json.quantity} of its stock ${status}`,
  };
}

export default taskAction(run);
