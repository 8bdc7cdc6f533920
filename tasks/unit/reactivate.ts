import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { errorName } from "../../sdk/errors.js";
import { type TaskResult, taskAction } from "../lib/runtime.js";
import { changeUnit, type UnitArgs } from "../lib/supply.js";

/** Reactivates a locked box: by the party that locked it, whose locked unit is available again. */
export async function run(args: UnitArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const change = await changeUnit(
    hre,
    args,
    (batches, unit) => batches.reactivate(unit),
    (error) =>
      errorName(error) === "BatchRegistryNotUnitParty"
        ? "only the party that locked the unit reactivates it (a regulator restores it with `unit restore`)"
        : undefined,
  );
  return { json: change.json, human: change.human };
}

export default taskAction(run);
