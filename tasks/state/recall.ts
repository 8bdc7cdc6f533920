import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { eventsNamed, openDeployment, required, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { batchIdFromText, resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  level?: string;
  reason?: string;
  from?: string;
  json: boolean;
}

/** Opens a level I, II or III recall of a stopped batch (regulator or the product's holder). */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  batchIdFromText("--batch", args.batch);
  const level = required("--level", args.level);
  if (!/^[123]$/.test(level)) throw new UserError(`invalid --level "${level}": expected 1, 2 or 3`);
  const reason = required("--reason", args.reason);
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const receipt = await sendAs(deployed, "collaboration", args.from, (c) => c.openRecall(batchId, Number(level), reason));
  const [opened] = eventsNamed(deployed.collaboration, receipt, "RecallOpened");
  const recallId = String(opened.args.recallId);
  const deadline = isoDate(opened.args.deadline);
  return {
    json: { recallId, batchId, level, deadline },
    human: `recall ${recallId} of batch ${batchId}: level ${level}, stock due back by ${deadline}`,
  };
}

export default taskAction(run);
