import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { openDeployment, taskAction, type TaskResult } from "../lib/runtime.js";
import { caseJson, caseLine } from "../lib/suspect.js";
import { resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  json: boolean;
}

/**
 * Every suspect case (of one batch with `--batch`), oldest first: the cases are found
 * in the SuspectCaseOpened log since the deployment, their current status in the
 * contract's view.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const only = args.batch === undefined ? undefined : await resolveBatch(hre, deployed, "--batch", args.batch);
  const { suspects, record } = deployed;
  const cases = [];
  for (const opened of await suspects.queryFilter(suspects.filters.SuspectCaseOpened(undefined, only), Number(record.block))) {
    const caseId = opened.args.caseId;
    const [c, overdue] = await Promise.all([suspects.suspectCase(caseId), suspects.notificationOverdue(caseId)]);
    cases.push({ ...caseJson(caseId, c, overdue), reason: opened.args.reason });
  }
  const scope = only === undefined ? "" : ` of batch ${only}`;
  const human = [
    `${cases.length} suspect case${cases.length === 1 ? "" : "s"}${scope}`,
    ...cases.map((c) => `  ${caseLine(c)}`),
  ].join("\n");
  return { json: cases, human };
}

export default taskAction(run);
