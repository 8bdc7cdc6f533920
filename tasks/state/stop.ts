import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { stopStateOf } from "../../sdk/quality.js";
import { type StateArgs, changeState, loadGraph } from "../lib/quality.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

/** Stops a batch or a product at once (EmergencyStop): by the regulator, or voluntarily by its holder. */
export async function run(args: StateArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const target = stopStateOf(await loadGraph(await openDeployment(hre)));
  return changeState(hre, args, target.name);
}

export default taskAction(run);
