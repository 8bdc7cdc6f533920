/**
 * A batch's baskets and pallets for `batch trace` and `audit export` (not a task): the
 * bulk events of the batch (sdk/replay/bulk-history.ts) with block times, merged into
 * the history `loadBatchHistory` read, the parties they name, and the GTIN and lot of the
 * other batches its pallets carry.
 */
import { DOMAINS, enumName } from "../../sdk/enums.js";
import type { ChainEvent } from "../../sdk/epcis.js";
import { batchLabels, loadBulkEvents } from "../../sdk/replay/bulk-history.js";
import { linesOf } from "../../sdk/replay/bulk-events.js";
import type { BatchHistory } from "../lib/history.js";
import type { Deployed } from "../lib/runtime.js";

/** Arguments that hold a party id, per bulk event. */
const BULK_PARTY_ARGS: Record<string, string[]> = {
  UnitsDispensed: ["party"],
  BasketDispensed: ["party"],
  BasketUndone: ["party"],
  PalletShipped: ["from", "to"],
  PalletClosed: ["creditedParty"],
};

export interface BulkHistory extends BatchHistory {
  /** GTIN-14 and lot of the other batches on the batch's pallets. */
  lineBatches: Record<string, { gtin: string; lot: string }>;
}

/** `history` with the batch's basket and pallet events merged in (in chain order). */
export async function withBulkEvents(deployed: Deployed, history: BatchHistory): Promise<BulkHistory> {
  const provider = deployed.ethers.provider;
  const options = {
    provider,
    address: deployed.record.contracts.BatchRegistry,
    fromBlock: Number(deployed.record.block),
    toBlock: await provider.getBlockNumber(),
  };
  const bulk = await loadBulkEvents(options, history.batchId);
  const known = new Map(history.events.map((e) => [Number(e.blockNumber), e.timestamp]));
  const times = new Map<number, number | bigint>();
  for (const n of new Set(bulk.map((e) => e.blockNumber))) {
    times.set(n, known.get(n) ?? (await provider.getBlock(n))?.timestamp ?? 0);
  }
  const events: ChainEvent[] = [
    ...history.events,
    ...bulk.map((e) => ({ ...e, timestamp: times.get(e.blockNumber) ?? 0 })),
  ].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);

  const parties = { ...history.parties };
  for (const e of bulk) {
    for (const key of BULK_PARTY_ARGS[e.name] ?? []) {
      const id = String(e.args[key]);
      if (id === "0" || parties[id] !== undefined) continue;
      const party = await deployed.registry.getParty(BigInt(id));
      parties[id] = { name: party.name, domain: enumName(DOMAINS, party.domain) };
    }
  }
  const others = bulk
    .filter((e) => e.name === "PalletShipped")
    .flatMap((e) => linesOf(e.args.lines).map((l) => l.batchId))
    .filter((id) => id !== history.batchId.toLowerCase());
  const lineBatches = others.length === 0 ? {} : await batchLabels(options, others);
  return { ...history, events, parties, lineBatches };
}
