import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { BATCH_STATUSES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { shortId } from "../../sdk/references.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { loadGraph, stateName } from "../lib/quality.js";
import { type Deployed, type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

interface Args {
  gtin?: string;
  holder?: string;
  state?: string;
  json: boolean;
}

/**
 * The batches a party may hold some of: those it made (`BatchCreated`, indexed by
 * manufacturer) and those a shipment or pallet credited to it (`ShipmentClosed`,
 * `PalletClosed`, indexed by the credited party). Nothing else puts stock in a party's
 * hands, so the `custody` view of these alone says what it holds.
 */
async function batchesNaming(deployed: Deployed, party: bigint): Promise<Set<string>> {
  const { batches, record } = deployed;
  const from = Number(record.block);
  const [made, shipped, pallets] = await Promise.all([
    batches.queryFilter(batches.filters.BatchCreated(undefined, undefined, party), from),
    batches.queryFilter(batches.filters.ShipmentClosed(undefined, undefined, party), from),
    batches.queryFilter(batches.filters.PalletClosed(undefined, party), from),
  ]);
  const ids = new Set([...made, ...shipped].map((e) => e.args.batchId.toLowerCase()));
  for (const closed of pallets) {
    const [sent] = await batches.queryFilter(batches.filters.PalletShipped(closed.args.palletId), from);
    for (const line of sent?.args.lines ?? []) ids.add(line.batchId.toLowerCase());
  }
  return ids;
}

/**
 * Batches, from the `BatchCreated` events (indexed by GTIN for `--gtin`) and the batch,
 * product, custody and collaborative-state views: GTIN, lot, product, manufacturer,
 * release status, effective state and quantity. `--holder` keeps the batches a party
 * holds some of now (with how many); `--state` those whose effective state it names.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = args.gtin === undefined ? undefined : BigInt(normaliseGtin(args.gtin));
  const deployed = await openDeployment(hre);
  const { batches, collaboration, record } = deployed;
  const graph = await loadGraph(deployed);
  let wantedState: string | undefined;
  if (args.state !== undefined) {
    wantedState = graph.find((s) => s.name.toLowerCase() === args.state?.trim().toLowerCase())?.name;
    if (wantedState === undefined) {
      throw new UserError(`invalid --state "${args.state}": expected one of ${graph.map((s) => s.name).join(", ")}`);
    }
  }
  const holder = args.holder === undefined ? undefined : await resolveParty(deployed, "--holder", args.holder);
  const candidates = holder === undefined ? undefined : await batchesNaming(deployed, holder);
  const [created, names] = await Promise.all([
    batches.queryFilter(batches.filters.BatchCreated(undefined, gtin), Number(record.block)),
    partyNames(deployed),
  ]);
  const productNames = new Map<bigint, string>();
  const list = [];
  for (const e of created) {
    const batchId = e.args.batchId.toLowerCase();
    if (candidates !== undefined && !candidates.has(batchId)) continue;
    const held = holder === undefined ? undefined : (await batches.custody(batchId, holder)).held;
    if (held === 0n) continue;
    const subject = await collaboration.subjectRecord(batchId);
    const state = stateName(graph, subject.effectiveState);
    if (wantedState !== undefined && state !== wantedState) continue;
    const b = await batches.getBatch(batchId);
    if (!productNames.has(b.gtin)) productNames.set(b.gtin, (await batches.getProduct(b.gtin)).name);
    list.push({
      batchId,
      gtin: b.gtin.toString().padStart(14, "0"),
      lot: e.args.lot,
      productName: productNames.get(b.gtin) ?? "",
      manufacturer: e.args.manufacturer.toString(),
      manufacturerName: names.find((p) => p.id === e.args.manufacturer)?.name ?? null,
      expiry: isoDate(b.expiresAt),
      status: enumName(BATCH_STATUSES, b.status),
      state,
      quantity: b.quantity.toString(),
      ...(held === undefined ? {} : { holder: holder?.toString(), held: held.toString() }),
    });
  }
  const human =
    list.length === 0
      ? "no batches"
      : list
          .map(
            (b) =>
              `${b.gtin}/${b.lot}  ${shortId(b.batchId)}  ${b.productName}  ${b.status}, ${b.state}  ` +
              (b.held === undefined ? `${b.quantity} made by ${partyLabel(names, b.manufacturer)}` : `${b.held} of ${b.quantity} held by ${partyLabel(names, holder ?? 0n)}`),
          )
          .join("\n");
  return { json: list, human };
}

export default taskAction(run);
