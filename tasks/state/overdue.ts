import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { isoDate } from "../../sdk/licences.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { batchHistory } from "../lib/supply.js";

interface Args {
  json: boolean;
}

/**
 * Recalls past their deadline with stock still out: for each, what every party that
 * holds or held the batch still holds (the contract's `outstanding` view).
 */
export async function run(_args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const { collaboration, record } = deployed;
  const overdue = [];
  for (const opened of await collaboration.queryFilter(collaboration.filters.RecallOpened(), Number(record.block))) {
    const { recallId, batchId } = opened.args;
    // Only the batch's latest recall can still be open.
    if ((await collaboration.recallIdOf(batchId)) !== recallId) continue;
    const parties = [];
    let total = 0n;
    for (const partyId of (await batchHistory(deployed, batchId)).parties) {
      const [quantity, late] = await collaboration.outstanding(batchId, partyId);
      if (!late) continue;
      parties.push({ partyId: partyId.toString(), outstanding: quantity.toString() });
      total += quantity;
    }
    if (parties.length === 0) continue;
    overdue.push({ recallId, batchId, level: opened.args.level.toString(), deadline: isoDate(opened.args.deadline), outstanding: total.toString(), parties });
  }
  const human =
    overdue.length === 0
      ? "no overdue recalls"
      : overdue
          .map((o) => [
            `recall ${o.recallId} (batch ${o.batchId}, level ${o.level}) was due ${o.deadline}: ${o.outstanding} still out`,
            ...o.parties.map((p) => `  party ${p.partyId.padStart(3)} holds ${p.outstanding}`),
          ].join("\n"))
          .join("\n");
  return { json: overdue, human };
}

export default taskAction(run);
