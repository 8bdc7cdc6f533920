import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { changeUnit } from "../lib/supply.js";

interface Args {
  code?: string;
  batch?: string;
  from?: string;
  json: boolean;
}

/** Undoes a dispense: by the party that dispensed the box, within the undo window; the box is back in its stock. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return changeUnit(hre, args, (batches, unit) => batches.undoDispense(unit));
}

export default taskAction(run);
