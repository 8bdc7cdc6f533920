import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { isoDate } from "../../sdk/licences.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { loadGraph, productStateOf } from "../lib/quality.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { nationalCodeJson } from "./register.js";

interface Args {
  holder?: string;
  json: boolean;
}

/**
 * Every registered product (with `--holder`, those a party holds now), from the
 * `ProductRegistered` events (and, for `--holder`, the `ProductReassigned` events that
 * name it: both are indexed by holder) and the product view: GTIN, name, approval
 * number, national code, marketing-authorisation holder and collaborative state.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const { batches, record } = deployed;
  const holder = args.holder === undefined ? undefined : await resolveParty(deployed, "--holder", args.holder);
  const from = Number(record.block);
  const gtins = (await batches.queryFilter(batches.filters.ProductRegistered(undefined, holder), from)).map((e) => e.args.gtin);
  if (holder !== undefined) {
    for (const e of await batches.queryFilter(batches.filters.ProductReassigned(undefined, undefined, holder), from)) gtins.push(e.args.gtin);
  }
  const [names, graph] = await Promise.all([partyNames(deployed), loadGraph(deployed)]);
  const products = [];
  for (const gtin of [...new Set(gtins)]) {
    const p = await batches.getProduct(gtin);
    if (holder !== undefined && p.holder !== holder) continue;
    products.push({
      gtin: gtin.toString().padStart(14, "0"),
      name: p.name,
      approvalNo: p.approvalNo,
      nationalCode: nationalCodeJson(p.nationalCode),
      holder: p.holder.toString(),
      holderName: names.find((n) => n.id === p.holder)?.name ?? null,
      state: await productStateOf(deployed, graph, gtin),
      registeredAt: isoDate(p.registeredAt),
    });
  }
  const human =
    products.length === 0
      ? "no products"
      : products.map((p) => `${p.gtin}  ${p.name} (${p.approvalNo})  held by ${partyLabel(names, p.holder)}  ${p.state}`).join("\n");
  return { json: products, human };
}

export default taskAction(run);
