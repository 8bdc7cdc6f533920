import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type StateArgs, changeState, loadGraph } from "../lib/quality.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

/** Lifts a stop: the subject returns to the graph's first state (Marketed). Only the regulator. */
export async function run(args: StateArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const [initial] = await loadGraph(await openDeployment(hre));
  return changeState(hre, args, initial.name);
}

export default taskAction(run);
