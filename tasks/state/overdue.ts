import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { isoDate } from "../../sdk/licences.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { batchHistory, custodyParts } from "../lib/supply.js";

interface Args {
  json: boolean;
}

/**
 * Recalls past their deadline with stock still out: for each, what every party that
 * holds or held the batch still has outstanding (the contract's `outstanding` view), split
 * into what it holds, what it shipped that is still in transit (it comes back to it unless
 * received) and what its open suspect cases hold.
 */
export async function run(_args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const { batches, collaboration, record } = deployed;
  const overdue = [];
  for (const opened of await collaboration.queryFilter(collaboration.filters.RecallOpened(), Number(record.block))) {
    const { recallId, batchId } = opened.args;
    // Only the batch's latest recall can still be open.
    if ((await collaboration.recallIdOf(batchId)) !== recallId) continue;
    const parties = [];
    const total = { outstanding: 0n, held: 0n, inTransit: 0n, suspended: 0n };
    for (const partyId of (await batchHistory(deployed, batchId)).parties) {
      const [quantity, late] = await collaboration.outstanding(batchId, partyId);
      if (!late) continue;
      const c = await batches.custody(batchId, partyId);
      parties.push({
        partyId: partyId.toString(),
        outstanding: quantity.toString(),
        held: c.held.toString(),
        inTransit: c.inTransit.toString(),
        suspended: c.suspended.toString(),
      });
      total.outstanding += quantity;
      total.held += c.held;
      total.inTransit += c.inTransit;
      total.suspended += c.suspended;
    }
    if (parties.length === 0) continue;
    overdue.push({
      recallId,
      batchId,
      level: opened.args.level.toString(),
      deadline: isoDate(opened.args.deadline),
      outstanding: total.outstanding.toString(),
      held: total.held.toString(),
      inTransit: total.inTransit.toString(),
      suspended: total.suspended.toString(),
      parties,
    });
  }
  const human =
    overdue.length === 0
      ? "no overdue recalls"
      : overdue
          .map((o) =>
            [
              `recall ${o.recallId} (batch ${o.batchId}, level ${o.level}) was due ${o.deadline}: ${o.outstanding} still out (${custodyParts(o)})`,
              ...o.parties.map((p) => `  party ${p.partyId.padStart(3)} has ${p.outstanding} out: ${custodyParts(p)}`),
            ].join("\n"),
          )
          .join("\n");
  return { json: overdue, human };
}

export default taskAction(run);
