import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UNIT_STATUSES, enumName } from "../../sdk/enums.js";
import { errorName } from "../../sdk/errors.js";
import { type TaskResult, eventsNamed, taskAction } from "../lib/runtime.js";
import { changeUnit, type UnitArgs } from "../lib/supply.js";

/**
 * The regulator (an admin or operator of a regulator party) restores a dispensed,
 * destroyed, stolen or locked unit to active, crediting the stock back to the party named
 * in the unit's record (the owner of the mistake): a dispense is undone, a destroyed or
 * stolen unit returns to its held stock, a lock is lifted. Refused while the batch is
 * halted, except for a lock (which moves no stock).
 */
export async function run(args: UnitArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const change = await changeUnit(
    hre,
    args,
    (batches, unit) => batches.restoreUnit(unit),
    (error) =>
      errorName(error) === "BatchRegistryHalted"
        ? "only a lock is lifted while the batch is halted: restoring any other mark moves stock back into custody"
        : undefined,
  );
  const { deployed, receipt, json } = change;
  const [restored] = eventsNamed(deployed.batches, receipt, "UnitRestored");
  const credited = String(restored.args.creditedParty);
  const previous = enumName(UNIT_STATUSES, restored.args.previous);
  const stock = await deployed.batches.custody(json.batchId, credited);
  const available = stock.held - stock.locked;
  return {
    json: {
      code: json.code,
      batchId: json.batchId,
      index: json.index,
      status: "active",
      previous,
      credited,
      party: json.party,
      held: stock.held.toString(),
      locked: stock.locked.toString(),
      available: available.toString(),
    },
    human:
      `${json.code}: active (was ${previous}), restored by the regulator (party ${json.party}); party ${credited} is credited: ` +
      `${available} of the batch available (${stock.held} held, ${stock.locked} locked)`,
  };
}

export default taskAction(run);
