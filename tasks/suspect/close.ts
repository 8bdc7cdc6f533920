import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { openDeployment, taskAction, type TaskResult } from "../lib/runtime.js";
import { type CaseArgs, advanceCase } from "../lib/suspect.js";
import { parseIdText, resolveId } from "../lib/references.js";

/** Closes an illegitimate case (the regulator): the stock it quarantined leaves the ledger as destroyed. */
export async function run(args: CaseArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const caseIdText = parseIdText("--case", args.case);
  const deployed = await openDeployment(hre);
  const caseId = await resolveId(deployed, "--case", caseIdText, "case");
  return advanceCase(deployed, caseId, args.from, (s) => s.closeSuspect(caseId));
}

export default taskAction(run);
