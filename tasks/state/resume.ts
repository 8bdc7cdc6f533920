import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type StateArgs, changeState } from "../lib/quality.js";
import { type TaskResult, taskAction } from "../lib/runtime.js";

/** Lifts a stop: the subject returns to the graph's first state (Marketed). Only the regulator. */
export async function run(args: StateArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return changeState(hre, args, (graph) => graph[0].name);
}

export default taskAction(run);
