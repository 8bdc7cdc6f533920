import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { withBulkEvents } from "../audit/bulk-history.js";
import { withBulkEntries } from "../audit/bulk-timeline.js";
import { loadBatchHistory, timeline } from "../lib/history.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  json: boolean;
}

/**
 * A batch's timeline from the log: when, who (party name), what, where, result and
 * state changes — its own events and its product's observations and states, its pallet
 * shipments and closings, and its basket dispenses and their undos.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const history = await withBulkEvents(deployed, await loadBatchHistory(hre, deployed, batchId));
  const events = withBulkEntries(history, timeline(history));
  const human = [
    `batch ${batchId}: GTIN ${history.gtin}${history.productName === undefined ? "" : ` (${history.productName})`} lot ${history.lot}, ${events.length} events`,
    ...events.map((e) => {
      const who = e.partyName === null ? "" : `${e.partyName} (party ${e.party})`;
      const at = e.where !== null && e.where !== e.partyName ? ` at ${e.where}` : "";
      const result = e.result === null || e.stateChange !== null ? "" : ` [${e.result}]`;
      return `  ${e.at.replace(".000Z", "Z")}  ${who}${who === "" ? "" : ": "}${e.subject === "product" && e.event !== "ProductRegistered" ? "product: " : ""}${e.what}${at}${result}`;
    }),
  ].join("\n");
  return { json: { batchId, gtin: history.gtin, lot: history.lot, events }, human };
}

export default taskAction(run);
