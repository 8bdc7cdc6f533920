import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { type VoterArgs, proposeVoterChange } from "../lib/voters.js";

/** Proposes adding an active party to the voting set (governance, kind set-voter). */
export async function run(args: VoterArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return proposeVoterChange(args, hre, true);
}

export default taskAction(run);
