/**
 * A batch's baskets and pallets read from the log, for the trace and the EPCIS export:
 * its basket dispenses (UnitsDispensed, indexed by batch) with their baskets'
 * BasketDispensed and BasketUndone (indexed by basket), and the pallets with a line of it
 * (PalletShipped) with their PalletClosed (indexed by pallet).
 *
 * PalletShipped does not index its lines' batches: finding a batch's pallets reads every
 * PalletShipped of the range and keeps those with a line of the batch.
 */
import type { Provider } from "ethers";

import { medstateInterface } from "../contracts.js";
import { type BulkEventName, bulkTopic, linesOf } from "./bulk-events.js";
import { type DecodedEvent, decodeLog } from "./dispensers.js";

export interface BulkHistoryOptions {
  provider: Pick<Provider, "getLogs">;
  /** The BatchRegistry proxy. */
  address: string;
  fromBlock: number;
  toBlock: number;
  /** Blocks per `eth_getLogs` call (default 50,000). */
  pageBlocks?: number;
}

/** Ids given to one `eth_getLogs` topic (an OR list). */
const IDS_PER_QUERY = 100;

async function logs(options: BulkHistoryOptions, topic0: string, topic1?: readonly string[]): Promise<DecodedEvent[]> {
  const page = options.pageBlocks ?? 50_000;
  const out: DecodedEvent[] = [];
  const groups = topic1 === undefined ? [undefined] : chunks(topic1, IDS_PER_QUERY);
  for (const ids of groups) {
    if (ids !== undefined && ids.length === 0) continue;
    for (let from = options.fromBlock; from <= options.toBlock; from += page) {
      const found = await options.provider.getLogs({
        address: options.address,
        fromBlock: from,
        toBlock: Math.min(options.toBlock, from + page - 1),
        topics: ids === undefined ? [topic0] : [topic0, [...ids]],
      });
      for (const log of found) {
        const e = decodeLog(log);
        if (e !== undefined) out.push(e);
      }
    }
  }
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const topic = (name: BulkEventName) => bulkTopic(name);

/** The bulk events that concern `batchId`, in chain order (without block times). */
export async function loadBulkEvents(options: BulkHistoryOptions, batchId: string): Promise<DecodedEvent[]> {
  const id = batchId.toLowerCase();
  const dispensed = await logs(options, topic("UnitsDispensed"), [id]);
  const basketIds = [...new Set(dispensed.map((e) => String(e.args.basketId).toLowerCase()))];
  const shipped = (await logs(options, topic("PalletShipped"))).filter((e) => linesOf(e.args.lines).some((l) => l.batchId === id));
  const palletIds = [...new Set(shipped.map((e) => String(e.args.palletId).toLowerCase()))];
  const events = [
    ...dispensed,
    ...(await logs(options, topic("BasketDispensed"), basketIds)),
    ...(await logs(options, topic("BasketUndone"), basketIds)).filter((e) =>
      [...(e.args.batchIds as readonly string[])].some((b) => String(b).toLowerCase() === id),
    ),
    ...shipped,
    ...(await logs(options, topic("PalletClosed"), palletIds)),
  ];
  return events.map(plainBulkArgs).sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

/** GTIN-14 and lot of each batch, from its BatchCreated (batches without one are left out). */
export async function batchLabels(
  options: BulkHistoryOptions,
  batchIds: readonly string[],
): Promise<Record<string, { gtin: string; lot: string }>> {
  const created = medstateInterface().getEvent("BatchCreated")!.topicHash;
  const out: Record<string, { gtin: string; lot: string }> = {};
  for (const e of await logs(options, created, [...new Set(batchIds.map((b) => b.toLowerCase()))])) {
    out[String(e.args.batchId).toLowerCase()] = { gtin: String(e.args.gtin).padStart(14, "0"), lot: String(e.args.lot) };
  }
  return out;
}

/** Pallet lines and the other arrays as plain values (the EPCIS builder and JSON take them so). */
export function plainBulkArgs(e: DecodedEvent): DecodedEvent {
  const a = e.args;
  switch (e.name) {
    case "PalletShipped":
      return { ...e, args: { ...a, lines: linesOf(a.lines) } };
    case "UnitsDispensed":
      return { ...e, args: { ...a, indices: [...(a.indices as bigint[])], prescriptions: [...(a.prescriptions as string[])] } };
    case "BasketUndone":
      return { ...e, args: { ...a, batchIds: [...(a.batchIds as string[])], indices: [...(a.indices as bigint[])] } };
    default:
      return e;
  }
}
