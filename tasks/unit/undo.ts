import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { changeUnit, type UnitArgs } from "../lib/supply.js";

/** Undoes a dispense: by the party that dispensed the box, within the undo window; the box is back in its stock. */
export async function run(args: UnitArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const change = await changeUnit(hre, args, (batches, unit) => batches.undoDispense(unit));
  return { json: change.json, human: change.human };
}

export default taskAction(run);
