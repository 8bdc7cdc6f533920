import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UNIT_STATUSES, parseEnum } from "../../sdk/enums.js";
import { UserError, errorName } from "../../sdk/errors.js";
import { type TaskResult, required, taskAction } from "../lib/runtime.js";
import { changeUnit, type UnitArgs } from "../lib/supply.js";

interface Args extends UnitArgs {
  status?: string;
}

const ALLOWED = ["destroyed", "stolen", "locked"];

/**
 * Takes an active box out of use, from the signer's party's own available stock (held,
 * less its locked units): destroyed or stolen (one unit leaves its stock) or locked (one
 * unit set aside, not shippable or dispensable until reactivated). Refused while the
 * batch is halted: recalled stock goes back through quarantine and a witnessed destruction.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const wanted = required("--status", args.status);
  if (!ALLOWED.includes(wanted.trim().toLowerCase())) {
    throw new UserError(`invalid --status "${wanted}": expected one of ${ALLOWED.join(", ")}`);
  }
  const status = parseEnum(UNIT_STATUSES, "--status", wanted);
  const change = await changeUnit(
    hre,
    args,
    (batches, unit) => batches.decommission(unit, status),
    (error) => {
      const name = errorName(error);
      if (name === "BatchRegistryHalted") {
        return "no unit of a halted batch is decommissioned; recalled stock goes back with `state return` and a witnessed destruction";
      }
      if (name === "BatchRegistryInsufficientStock") return "a party decommissions only units of its own available stock (held, less locked)";
      return undefined;
    },
  );
  return { json: change.json, human: change.human };
}

export default taskAction(run);
