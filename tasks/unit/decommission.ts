import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UNIT_STATUSES, parseEnum } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { type TaskResult, required, taskAction } from "../lib/runtime.js";
import { changeUnit, type UnitArgs } from "../lib/supply.js";

interface Args extends UnitArgs {
  status?: string;
}

const ALLOWED = ["destroyed", "stolen", "locked"];

/**
 * Takes an active box out of use: destroyed or stolen (one less in the caller's
 * party's stock), or locked (kept in stock, not dispensable until reactivated).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const wanted = required("--status", args.status);
  if (!ALLOWED.includes(wanted.trim().toLowerCase())) {
    throw new UserError(`invalid --status "${wanted}": expected one of ${ALLOWED.join(", ")}`);
  }
  const status = parseEnum(UNIT_STATUSES, "--status", wanted);
  return changeUnit(hre, args, (batches, unit) => batches.decommission(unit, status));
}

export default taskAction(run);
