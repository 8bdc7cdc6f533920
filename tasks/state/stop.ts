import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { stopStateOf } from "../../sdk/quality.js";
import { type StateArgs, changeState } from "../lib/quality.js";
import { type TaskResult, taskAction } from "../lib/runtime.js";

/** Stops a batch or a product at once (EmergencyStop): by the regulator, or voluntarily by its holder. */
export async function run(args: StateArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return changeState(hre, args, (graph) => stopStateOf(graph).name);
}

export default taskAction(run);
