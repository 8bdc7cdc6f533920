import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { changeUnit, type UnitArgs } from "../lib/supply.js";

/** Reactivates a locked box: by the party that locked it. */
export async function run(args: UnitArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return changeUnit(hre, args, (batches, unit) => batches.reactivate(unit));
}

export default taskAction(run);
