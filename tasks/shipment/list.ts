import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { SHIPMENT_STATUSES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { shortId } from "../../sdk/references.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { resolveBatch } from "../lib/references.js";
import { type Deployed, type TaskResult, openDeployment, resolveSigner, takeLastSigner, taskAction } from "../lib/runtime.js";

interface Args {
  incoming: boolean;
  outgoing: boolean;
  open: boolean;
  party?: string;
  batch?: string;
  from?: string;
  json: boolean;
}

/** Which shipments of a party: sent to it, sent by it, or both. */
type Direction = "incoming" | "outgoing" | "both";

/**
 * Whose shipments: `--party`, else the signer's party when `--from` (or `MEDSTATE_FROM`)
 * names one, else nobody's in particular (every shipment).
 */
async function partyAsked(deployed: Deployed, args: Args): Promise<bigint | undefined> {
  if (args.party !== undefined) {
    if (args.from !== undefined) throw new UserError("give --party or --from (whose shipments), not both");
    return resolveParty(deployed, "--party", args.party);
  }
  if ((args.from ?? process.env.MEDSTATE_FROM ?? "").trim() === "") return undefined;
  const signer = await resolveSigner(deployed.ethers, args.from);
  // A read: nothing is signed, so the output names no signer.
  takeLastSigner();
  const member = await deployed.registry.getMember(signer.address);
  if (member.partyId === 0n) {
    throw new UserError(`account ${signer.address} is not a member of any party: give the party with --party`);
  }
  return member.partyId;
}

/**
 * Shipments and pallets, newest last: with `--incoming` those sent to the party (what
 * is coming), with `--outgoing` those it sent, else both; `--open` keeps those still in
 * transit, `--batch` those of one batch. Read from the `Shipped` and `PalletShipped`
 * events (the sender, and a pallet's receiver, are indexed; a shipment's receiver is
 * not, so incoming shipments are picked from the batch's or all `Shipped` events) and the
 * shipment and pallet views for their status.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  if (args.incoming && args.outgoing) throw new UserError("give --incoming or --outgoing, not both (neither lists both)");
  const deployed = await openDeployment(hre);
  const { batches, record } = deployed;
  const party = await partyAsked(deployed, args);
  const direction: Direction = args.incoming ? "incoming" : args.outgoing ? "outgoing" : "both";
  if (party === undefined && direction !== "both") {
    throw new UserError(`--${direction} needs a party: give --party, or --from (or MEDSTATE_FROM) for the signer's party`);
  }
  const batchId = args.batch === undefined ? undefined : await resolveBatch(hre, deployed, "--batch", args.batch);
  const from = Number(record.block);

  const shipped = await batches.queryFilter(
    batches.filters.Shipped(undefined, batchId, direction === "outgoing" ? party : undefined),
    from,
  );
  const shipments = shipped.filter(
    (e) =>
      party === undefined ||
      (direction !== "incoming" && e.args.from === party) ||
      (direction !== "outgoing" && e.args.to === party),
  );
  const palletQueries =
    party === undefined
      ? [batches.filters.PalletShipped()]
      : [
          ...(direction !== "incoming" ? [batches.filters.PalletShipped(undefined, party)] : []),
          ...(direction !== "outgoing" ? [batches.filters.PalletShipped(undefined, undefined, party)] : []),
        ];
  const pallets = (await Promise.all(palletQueries.map((f) => batches.queryFilter(f, from))))
    .flat()
    .filter((e) => batchId === undefined || e.args.lines.some((l) => l.batchId.toLowerCase() === batchId));

  const names = await partyNames(deployed);
  const nameOf = (id: bigint) => names.find((p) => p.id === id)?.name ?? null;
  const lots = new Map<string, { gtin: string; lot: string }>();
  const lotOf = async (id: string) => {
    const key = id.toLowerCase();
    if (!lots.has(key)) {
      const [created] = await batches.queryFilter(batches.filters.BatchCreated(key), from);
      lots.set(key, { gtin: created.args.gtin.toString().padStart(14, "0"), lot: created.args.lot });
    }
    return lots.get(key) ?? { gtin: "", lot: "" };
  };

  type Entry = { order: [number, number]; json: Record<string, unknown>; human: string };
  const entries: Entry[] = [];
  for (const e of shipments) {
    const s = await batches.getShipment(e.args.shipmentId);
    const status = enumName(SHIPMENT_STATUSES, s.status);
    if (args.open && status !== "in-transit") continue;
    const { gtin, lot } = await lotOf(e.args.batchId);
    const json = {
      shipmentId: e.args.shipmentId,
      batchId: e.args.batchId,
      gtin,
      lot,
      from: e.args.from.toString(),
      fromName: nameOf(e.args.from),
      to: e.args.to.toString(),
      toName: nameOf(e.args.to),
      quantity: e.args.quantity.toString(),
      status,
      shippedAt: isoDate(s.shippedAt),
    };
    entries.push({
      order: [e.blockNumber, e.index],
      json,
      human:
        `shipment ${shortId(json.shipmentId)}  ${gtin}/${lot}  ${json.quantity} from ${partyLabel(names, e.args.from)} ` +
        `to ${partyLabel(names, e.args.to)}  ${status}, shipped ${json.shippedAt}`,
    });
  }
  for (const e of pallets) {
    const p = await batches.getPallet(e.args.palletId);
    const status = enumName(SHIPMENT_STATUSES, p.status);
    if (args.open && status !== "in-transit") continue;
    const lines = [];
    for (const line of e.args.lines) lines.push({ batchId: line.batchId, ...(await lotOf(line.batchId)), quantity: line.quantity.toString() });
    const json = {
      palletId: e.args.palletId,
      from: e.args.from.toString(),
      fromName: nameOf(e.args.from),
      to: e.args.to.toString(),
      toName: nameOf(e.args.to),
      lines,
      quantity: lines.reduce((sum, l) => sum + BigInt(l.quantity), 0n).toString(),
      status,
      shippedAt: isoDate(p.shippedAt),
    };
    entries.push({
      order: [e.blockNumber, e.index],
      json,
      human:
        `pallet ${shortId(json.palletId)}  ${lines.map((l) => `${l.gtin}/${l.lot} ×${l.quantity}`).join(", ")}  from ${partyLabel(names, e.args.from)} ` +
        `to ${partyLabel(names, e.args.to)}  ${status}, shipped ${json.shippedAt}`,
    });
  }
  entries.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1]);
  const human = entries.length === 0 ? `no ${args.open ? "open " : ""}shipments` : entries.map((e) => e.human).join("\n");
  return { json: entries.map((e) => e.json), human };
}

export default taskAction(run);
