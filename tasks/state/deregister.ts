import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { type StateArgs, changeState } from "../lib/quality.js";
import { type TaskResult, taskAction } from "../lib/runtime.js";

/** Ends a product's registration (it must be stopped first): every batch becomes effectively Deregistered. */
export async function run(args: StateArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  if (args.batch !== undefined) throw new UserError("deregistration applies to a product: use --gtin");
  return changeState(hre, args, () => "Deregistered");
}

export default taskAction(run);
