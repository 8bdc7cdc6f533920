/**
 * Timeline entries for a batch's baskets and pallets (not a task): `batch trace` runs the
 * shared `timeline` over the history with the bulk events merged in, then words those
 * here. A basket's BasketDispensed is folded into the entry of its units (its totals), and
 * a suspect report of a unit a basket dispensed (recorded party 0) names who dispensed it.
 */
import { SHIPMENT_STATUSES, enumName } from "../../sdk/enums.js";
import type { ChainEvent } from "../../sdk/epcis.js";
import { linesOf } from "../../sdk/replay/bulk-events.js";
import { type BasketSuspectReport, basketSuspectReports } from "../../sdk/replay/dispensers.js";
import type { BatchHistory, TimelineEntry } from "../lib/history.js";

/** `0xff16…8c18`: a 32-byte id shortened for people. */
function short(id: unknown): string {
  const s = String(id);
  return `${s.slice(0, 6)}…${s.slice(-4)}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * Rewords the bulk entries of `entries` (the shared timeline of `history`, whose events
 * include the bulk ones, in the same order) and drops the BasketDispensed ones.
 */
export function withBulkEntries(history: BatchHistory, entries: readonly TimelineEntry[]): TimelineEntry[] {
  const batchId = history.batchId.toLowerCase();
  const partyName = (id: unknown) => history.parties[String(id)]?.name ?? `party ${String(id)}`;
  const unit = (index: unknown) => {
    const code = history.unitCodes?.[Number(index)];
    return `#${String(index)}${code === undefined ? "" : ` (${code})`}`;
  };
  const baskets = new Map<string, ChainEvent>();
  const pallets = new Map<string, ChainEvent>();
  for (const e of history.events) {
    if (e.name === "BasketDispensed") baskets.set(String(e.args.basketId).toLowerCase(), e);
    if (e.name === "PalletShipped") pallets.set(String(e.args.palletId).toLowerCase(), e);
  }
  const suspects = new Map<string, BasketSuspectReport>(
    basketSuspectReports(history.events).map((r) => [`${r.transactionHash}:${r.logIndex}`, r]),
  );
  const quantityOf = (lines: unknown) =>
    linesOf(lines)
      .filter((l) => l.batchId === batchId)
      .reduce((sum, l) => sum + l.quantity, 0n);

  const out: TimelineEntry[] = [];
  history.events.forEach((e, i) => {
    const entry = { ...entries[i], details: { ...entries[i].details } };
    const a = e.args;
    const as = (party: unknown) => {
      entry.party = String(party);
      entry.partyName = partyName(party);
      entry.domain = history.parties[String(party)]?.domain ?? null;
      entry.where = partyName(party);
    };
    switch (e.name) {
      case "BasketDispensed":
      case "BasketExpired":
        return;
      case "UnitsDispensed": {
        const indices = [...(a.indices as readonly unknown[])];
        const basketId = String(a.basketId).toLowerCase();
        const summary = baskets.get(basketId);
        as(a.party);
        entry.what =
          `dispensed ${plural(indices.length, "unit")} in basket ${short(basketId)}` +
          `${summary === undefined ? "" : ` (#${String(summary.args.seq)})`}: ${indices.map(unit).join(", ")}`;
        entry.result = "dispensed";
        entry.details.basketId = basketId;
        entry.details.indices = indices.map(String).join(",");
        if (summary !== undefined) {
          entry.actor = typeof summary.args.actor === "string" ? summary.args.actor : entry.actor;
          entry.details.basketSeq = String(summary.args.seq);
          entry.details.basket = `${String(summary.args.dispensed)} dispensed, ${String(summary.args.suspect)} suspect, ${String(summary.args.refused)} refused`;
        }
        const prescriptions = [...(a.prescriptions as readonly unknown[])].map(String);
        if (prescriptions.some((p) => !/^0x0*$/.test(p))) entry.details.prescriptions = prescriptions.join(",");
        break;
      }
      case "BasketUndone": {
        const batchIds = [...(a.batchIds as readonly unknown[])];
        const indices = [...(a.indices as readonly unknown[])].filter((_, k) => String(batchIds[k]).toLowerCase() === batchId);
        as(a.party);
        entry.what = `undid the dispense of ${plural(indices.length, "unit")} of basket ${short(a.basketId)}, back in stock: ${indices.map(unit).join(", ")}`;
        entry.result = "active";
        entry.details.basketId = String(a.basketId).toLowerCase();
        entry.details.indices = indices.map(String).join(",");
        break;
      }
      case "PalletShipped": {
        const quantity = quantityOf(a.lines);
        const lines = linesOf(a.lines).length;
        as(a.from);
        entry.what = `shipped ${quantity} in pallet ${short(a.palletId)} (#${String(a.seq)}, ${plural(lines, "line")}) to ${partyName(a.to)}`;
        entry.result = "in-transit";
        entry.details.palletId = String(a.palletId).toLowerCase();
        entry.details.to = String(a.to);
        entry.details.quantity = String(quantity);
        entry.details.lines = String(lines);
        break;
      }
      case "PalletClosed": {
        const status = enumName(SHIPMENT_STATUSES, a.status as bigint);
        const shipped = pallets.get(String(a.palletId).toLowerCase());
        const quantity = shipped === undefined ? "?" : String(quantityOf(shipped.args.lines));
        as(a.creditedParty);
        entry.what =
          status === "received"
            ? `received ${quantity} in pallet ${short(a.palletId)}${shipped === undefined ? "" : ` from ${partyName(shipped.args.from)}`}`
            : `pallet ${short(a.palletId)} ${status}: ${quantity} back to ${partyName(a.creditedParty)}`;
        entry.result = status;
        entry.details.palletId = String(a.palletId).toLowerCase();
        entry.details.quantity = quantity;
        break;
      }
      case "SuspectUnitReported": {
        const by = suspects.get(`${e.transactionHash.toLowerCase()}:${e.logIndex}`)?.dispensedBy;
        if (by === undefined) break;
        entry.what =
          `SUSPECT unit ${unit(a.index)} presented, already dispensed in basket ${short(by.basketId)} by ${partyName(by.party)} ` +
          `(block ${by.blockNumber}, tx ${short(by.transactionHash)}; report ${String(a.reportNo)})`;
        entry.details.dispensedBy = by.party.toString();
        entry.details.dispensedInBasket = by.basketId;
        entry.details.dispenseBlock = String(by.blockNumber);
        entry.details.dispenseTx = by.transactionHash;
        break;
      }
    }
    out.push(entry);
  });
  return out;
}
