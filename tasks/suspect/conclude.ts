import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { evidenceHashOf } from "../lib/evidence.js";
import { openDeployment, required, taskAction, type TaskResult } from "../lib/runtime.js";
import { type CaseArgs, advanceCase } from "../lib/suspect.js";
import { parseBytes32 } from "../lib/supply.js";

interface Args extends CaseArgs {
  finding?: string;
  evidence?: string;
}

const FINDINGS = ["legitimate", "illegitimate"] as const;

/**
 * Concludes an investigation (the product's holder or the regulator): legitimate puts
 * the quarantined stock back with the reporter; illegitimate starts the 24-hour clock
 * for notifying the regulator and trading partners.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const caseId = parseBytes32("--case", args.case);
  const finding = required("--finding", args.finding).toLowerCase();
  if (!(FINDINGS as readonly string[]).includes(finding)) {
    throw new UserError(`invalid --finding "${args.finding?.trim()}": expected one of ${FINDINGS.join(", ")}`);
  }
  const evidenceHash = await evidenceHashOf("--evidence", args.evidence);
  const deployed = await openDeployment(hre);
  const result = await advanceCase(deployed, caseId, args.from, (s) =>
    s.concludeSuspect(caseId, finding === "illegitimate", evidenceHash),
  );
  return { json: { ...result.json, finding, evidenceHash }, human: result.human };
}

export default taskAction(run);
