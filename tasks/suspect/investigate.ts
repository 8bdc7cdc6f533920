import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { openDeployment, taskAction, type TaskResult } from "../lib/runtime.js";
import { type CaseArgs, advanceCase } from "../lib/suspect.js";
import { parseIdText, resolveId } from "../lib/references.js";

/** Starts the investigation of a quarantined case: by its reporter, the product's holder or the regulator. */
export async function run(args: CaseArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const caseIdText = parseIdText("--case", args.case);
  const deployed = await openDeployment(hre);
  const caseId = await resolveId(deployed, "--case", caseIdText, "case");
  return advanceCase(deployed, caseId, args.from, (s) => s.investigateSuspect(caseId));
}

export default taskAction(run);
