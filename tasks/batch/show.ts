import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { isoDate } from "../../sdk/licences.js";
import { BATCH_STATUSES, enumName } from "../../sdk/enums.js";
import { subjectFromId } from "../../sdk/quality.js";
import { loadGraph, productStateOf, subjectState } from "../lib/quality.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { batchAccount } from "../lib/supply.js";
import { partyNames } from "../lib/parties.js";
import { resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  json: boolean;
}

/**
 * A batch: product, lot, dates, release status, collaborative state (its own, its
 * product's, the effective one), units commitment, and where every unit of it is. Per
 * party: held (locked units included), in transit (shipped, not yet received), in its
 * open suspect cases, locked, dispensed. For the batch: in custody (held + in transit),
 * dispensed, destroyed, lost, quarantined (returned under a recall) and in suspect cases,
 * which add up to its quantity.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const { batches } = deployed;
  const account = await batchAccount(deployed, batchId);
  const b = await batches.getBatch(batchId);
  const graph = await loadGraph(deployed);
  const { state, effectiveState } = await subjectState(deployed, graph, subjectFromId(batchId));
  const productState = await productStateOf(deployed, graph, b.gtin);
  const holders = account.parties.filter((p) => BigInt(p.held) > 0n).map((p) => ({ partyId: p.partyId, quantity: p.held }));
  const dispensers = account.parties.filter((p) => BigInt(p.dispensed) > 0n).map((p) => ({ partyId: p.partyId, dispensed: p.dispensed }));
  const json = {
    batchId,
    gtin: b.gtin.toString().padStart(14, "0"),
    lot: account.lot,
    manufactured: isoDate(b.manufacturedAt),
    expiry: isoDate(b.expiresAt),
    status: enumName(BATCH_STATUSES, b.status),
    state,
    productState,
    effectiveState,
    quantity: account.quantity.toString(),
    dispensed: account.dispensed.toString(),
    destroyed: account.destroyed.toString(),
    lost: account.lost.toString(),
    quarantined: account.quarantined.toString(),
    suspended: account.suspended.toString(),
    inCustody: account.inCustody.toString(),
    held: account.held.toString(),
    inTransit: account.inTransit.toString(),
    locked: account.locked.toString(),
    observations: b.observations.toString(),
    unitsRoot: b.unitsRoot,
    unitCount: b.unitCount.toString(),
    manufacturer: b.manufacturer.toString(),
    holders,
    dispensers,
    custody: account.parties,
  };
  const partyLine = (p: (typeof account.parties)[number]): string => {
    const parts = [`holds ${p.held}${BigInt(p.locked) > 0n ? ` (${p.locked} locked)` : ""}`];
    if (BigInt(p.inTransit) > 0n) parts.push(`${p.inTransit} in transit`);
    if (BigInt(p.suspended) > 0n) parts.push(`${p.suspended} in suspect cases`);
    if (BigInt(p.dispensed) > 0n) parts.push(`dispensed ${p.dispensed}`);
    return `  party ${p.partyId.padStart(3)} ${parts.join(", ")}  (${names.find((n) => n.id === BigInt(p.partyId))?.name ?? "?"})`;
  };
  const names = await partyNames(deployed);
  const productName = (await batches.getProduct(b.gtin)).name;
  const human = [
    `batch ${batchId}: GTIN ${json.gtin} lot ${account.lot} (${productName}), ${json.status}, expires ${json.expiry}`,
    `  state ${state} (product ${productState}, effective ${effectiveState}), ${json.observations} observations; ${json.unitCount} serialised units`,
    `  quantity ${json.quantity} = ${json.inCustody} in custody (${json.held} held, ${json.inTransit} in transit) + ${json.dispensed} dispensed + ` +
      `${json.destroyed} destroyed + ${json.lost} lost + ${json.quarantined} quarantined + ${json.suspended} in suspect cases`,
    ...account.parties.map(partyLine),
  ].join("\n");
  return { json, human };
}

export default taskAction(run);
