import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { type VoterArgs, proposeVoterChange } from "../lib/voters.js";

/**
 * Proposes removing a party from the voting set (governance, kind set-voter); refused at
 * once when it would leave no active voter, or fewer than the threshold of those left.
 */
export async function run(args: VoterArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return proposeVoterChange(args, hre, false);
}

export default taskAction(run);
