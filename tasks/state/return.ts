import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { batchOfEvent } from "../lib/quality.js";
import { eventsNamed, openDeployment, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { custodyParts, parseQuantity } from "../lib/supply.js";
import { parseIdText, resolveId } from "../lib/references.js";

interface Args {
  recall?: string;
  quantity?: string;
  from?: string;
  json: boolean;
}

/**
 * Returns recalled stock from the caller's party to the holder's quarantine. What it still
 * has outstanding counts what it holds, what it shipped that is in transit and what its
 * open suspect cases hold.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const recallIdText = parseIdText("--recall", args.recall);
  const quantity = parseQuantity("--quantity", args.quantity);
  const deployed = await openDeployment(hre);
  const recallId = await resolveId(deployed, "--recall", recallIdText, "recall");
  const batchId = await batchOfEvent(deployed, "RecallOpened", recallId, "recall");
  const receipt = await sendAs(deployed, "collaboration", args.from, (c) => c.returnStock(batchId, quantity));
  const [returned] = eventsNamed(deployed.collaboration, receipt, "StockReturned");
  const outstanding = String(returned.args.outstanding);
  const party = String(returned.args.party);
  return {
    json: { recallId, batchId, party, quantity: quantity.toString(), outstanding },
    human: `party ${party} returned ${quantity} of batch ${batchId} to quarantine; it still has ${outstanding} outstanding (${custodyParts(await deployed.batches.custody(batchId, party))})`,
  };
}

export default taskAction(run);
