import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { batchOfEvent } from "../lib/quality.js";
import { eventsNamed, openDeployment, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { parseBytes32, parseQuantity } from "../lib/supply.js";

interface Args {
  recall?: string;
  quantity?: string;
  from?: string;
  json: boolean;
}

/** Returns recalled stock from the caller's party to the holder's quarantine. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const recallId = parseBytes32("--recall", args.recall);
  const quantity = parseQuantity("--quantity", args.quantity);
  const deployed = await openDeployment(hre);
  const batchId = await batchOfEvent(deployed, "RecallOpened", recallId, "recall");
  const receipt = await sendAs(deployed, "collaboration", args.from, (c) => c.returnStock(batchId, quantity));
  const [returned] = eventsNamed(deployed.collaboration, receipt, "StockReturned");
  const outstanding = String(returned.args.outstanding);
  const party = String(returned.args.party);
  return {
    json: { recallId, batchId, party, quantity: quantity.toString(), outstanding },
    human: `party ${party} returned ${quantity} of batch ${batchId} to quarantine; it still holds ${outstanding}`,
  };
}

export default taskAction(run);
