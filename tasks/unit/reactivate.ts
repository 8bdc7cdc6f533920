import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { changeUnit } from "../lib/supply.js";

interface Args {
  code?: string;
  batch?: string;
  from?: string;
  json: boolean;
}

/** Reactivates a locked box: by the party that locked it. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return changeUnit(hre, args, (batches, unit) => batches.reactivate(unit));
}

export default taskAction(run);
