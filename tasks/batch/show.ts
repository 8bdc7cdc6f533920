import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { isoDate } from "../../sdk/licences.js";
import { BATCH_STATUSES, enumName } from "../../sdk/enums.js";
import { subjectFromId } from "../../sdk/quality.js";
import { loadGraph, productStateOf, subjectState } from "../lib/quality.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { batchHistory, parseBytes32 } from "../lib/supply.js";

interface Args {
  batch?: string;
  json: boolean;
}

/**
 * A batch: product, lot, dates, release status, collaborative state (its own, its
 * product's, the effective one), units commitment, and who holds how much.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const batchId = parseBytes32("--batch", args.batch);
  const deployed = await openDeployment(hre);
  const { batches } = deployed;
  const { lot, parties } = await batchHistory(deployed, batchId);
  const b = await batches.getBatch(batchId);
  const graph = await loadGraph(deployed);
  const { state, effectiveState } = await subjectState(deployed, graph, subjectFromId(batchId));
  const productState = await productStateOf(deployed, graph, b.gtin);
  const holders = [];
  const dispensers = [];
  let dispensed = 0n;
  for (const partyId of parties) {
    const [quantity, byParty] = await Promise.all([batches.holding(batchId, partyId), batches.dispensedBy(batchId, partyId)]);
    dispensed += byParty;
    if (quantity > 0n) holders.push({ partyId: partyId.toString(), quantity: quantity.toString() });
    if (byParty > 0n) dispensers.push({ partyId: partyId.toString(), dispensed: byParty.toString() });
  }
  const json = {
    batchId,
    gtin: b.gtin.toString().padStart(14, "0"),
    lot,
    manufactured: isoDate(b.manufacturedAt),
    expiry: isoDate(b.expiresAt),
    status: enumName(BATCH_STATUSES, b.status),
    state,
    productState,
    effectiveState,
    quantity: b.quantity.toString(),
    dispensed: dispensed.toString(),
    destroyed: b.destroyed.toString(),
    lost: b.lost.toString(),
    quarantined: b.quarantined.toString(),
    observations: b.observations.toString(),
    unitsRoot: b.unitsRoot,
    unitCount: b.unitCount.toString(),
    manufacturer: b.manufacturer.toString(),
    holders,
    dispensers,
  };
  const human = [
    `batch ${batchId}: GTIN ${json.gtin} lot ${lot}, ${json.status}, expires ${json.expiry}`,
    `  state ${state} (product ${productState}, effective ${effectiveState}), ${json.observations} observations`,
    `  quantity ${json.quantity}: dispensed ${json.dispensed}, destroyed ${json.destroyed}, lost ${json.lost}, quarantined ${json.quarantined}; ${json.unitCount} serialised units`,
    ...holders.map((h) => `  party ${h.partyId.padStart(3)} holds ${h.quantity}`),
    ...dispensers.map((d) => `  party ${d.partyId.padStart(3)} dispensed ${d.dispensed}`),
  ].join("\n");
  return { json, human };
}

export default taskAction(run);
