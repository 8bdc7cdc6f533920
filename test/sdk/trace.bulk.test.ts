/**
 * `batch trace` words a batch's pallets and baskets (tasks/audit/bulk-timeline.ts over the
 * shared timeline): shipments and closings of its pallets, its basket dispenses with their
 * basket's totals, undos, and who dispensed a unit a suspect report says a basket holds.
 */
import { expect } from "chai";

import { DOMAINS, enumName } from "../../sdk/enums.js";
import type { ChainEvent, PartyInfo } from "../../sdk/epcis.js";
import { loadBulkEvents } from "../../sdk/replay/bulk-history.js";
import { decodeLog } from "../../sdk/replay/dispensers.js";
import { withBulkEntries } from "../../tasks/audit/bulk-timeline.js";
import { type BatchHistory, timeline } from "../../tasks/lib/history.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN, LOT } from "../supply/ledger.fixtures.js";
import { allLogs, bulkChain, recordOf } from "./replay.bulk.fixtures.js";

const { loadFixture } = networkHelpers;
const short = (id: string) => `${id.slice(0, 6)}…${id.slice(-4)}`;

describe("withBulkEntries (batch trace): pallets and baskets", function () {
  it("shows the batch's pallet shipments and closings, basket dispenses, undos and who dispensed a suspect unit", async function () {
    const c = await loadFixture(bulkChain);
    const record = await recordOf(c);
    const id = c.batchId.toLowerCase();
    const latest = await ethers.provider.getBlockNumber();
    const bulk = await loadBulkEvents({ provider: ethers.provider, address: record.contracts.BatchRegistry, fromBlock: 0, toBlock: latest }, id);
    // The batch's own events (as loadBatchHistory reads them: those naming it), then the bulk ones.
    const own = (await allLogs(record))
      .map(decodeLog)
      .filter((e) => e !== undefined && ["BatchCreated", "SuspectUnitReported", "UnitStatusChanged"].includes(e.name) && String(e.args.batchId).toLowerCase() === id);
    const events: ChainEvent[] = [...own.map((e) => e!), ...bulk]
      .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex)
      .map((e) => ({ ...e, timestamp: 1_790_000_000 }));
    const parties: Record<string, PartyInfo> = {};
    for (const p of [2n, 3n, 4n, 6n]) {
      const party = await c.registry.getParty(p);
      parties[p.toString()] = { name: party.name, domain: enumName(DOMAINS, party.domain) };
    }
    const history: BatchHistory = {
      batchId: id,
      gtin: GTIN.toString().padStart(14, "0"),
      lot: LOT,
      manufactured: null,
      expiry: null,
      manufacturer: "2",
      unitsRoot: c.tree.root,
      events,
      parties,
      states: [],
    };
    const name = (p: bigint) => parties[p.toString()].name;
    const entries = withBulkEntries(history, timeline(history));
    const { pallets, baskets } = c;
    const b0 = baskets[0].toLowerCase();
    expect(entries.map((e) => [e.event, e.party, e.what, e.result])).to.deep.equal([
      ["BatchCreated", "2", entries[0].what, "production"],
      ["PalletShipped", "2", `shipped 10 in pallet ${short(pallets.received)} (#0, 2 lines) to ${name(6n)}`, "in-transit"],
      ["PalletClosed", "6", `received 10 in pallet ${short(pallets.received)} from ${name(2n)}`, "received"],
      ["PalletShipped", "2", `shipped 5 in pallet ${short(pallets.cancelled)} (#1, 1 line) to ${name(3n)}`, "in-transit"],
      ["PalletClosed", "2", `pallet ${short(pallets.cancelled)} cancelled: 5 back to ${name(2n)}`, "cancelled"],
      ["PalletShipped", "3", `shipped 4 in pallet ${short(pallets.rejected)} (#0, 1 line) to ${name(6n)}`, "in-transit"],
      ["PalletClosed", "3", `pallet ${short(pallets.rejected)} rejected: 4 back to ${name(3n)}`, "rejected"],
      ["UnitStatusChanged", "6", "unit #3 active → dispensed", "dispensed"],
      ["SuspectUnitReported", "6", `SUSPECT unit #3 presented, already dispensed by ${name(6n)} (report 1)`, "suspect"],
      ["UnitsDispensed", "6", `dispensed 3 units in basket ${short(b0)} (#0): #2, #1, #0`, "dispensed"],
      ["SuspectUnitReported", "6", `SUSPECT unit #1 presented, already dispensed in basket ${short(b0)} by ${name(6n)} (block ${entries[10].details.dispenseBlock}, tx ${short(entries[10].details.dispenseTx)}; report 2)`, "suspect"],
      ["UnitsDispensed", "6", `dispensed 1 unit in basket ${short(baskets[1])} (#1): #5`, "dispensed"],
      ["BasketUndone", "6", `undid the dispense of 1 unit of basket ${short(b0)}, back in stock: #1`, "active"],
      ["SuspectUnitReported", "4", `SUSPECT unit #0 presented, already dispensed in basket ${short(b0)} by ${name(6n)} (block ${entries[13].details.dispenseBlock}, tx ${short(entries[13].details.dispenseTx)}; report 3)`, "suspect"],
      ["UnitsDispensed", "6", `dispensed 1 unit in basket ${short(baskets[2])} (#2): #7`, "dispensed"],
      ["UnitsDispensed", "6", `dispensed 1 unit in basket ${short(baskets[4])} (#4): #8`, "dispensed"],
      ["BasketUndone", "6", `undid the dispense of 1 unit of basket ${short(baskets[4])}, back in stock: #8`, "active"],
      ["UnitsDispensed", "6", `dispensed 1 unit in basket ${short(baskets[5])} (#5): #9`, "dispensed"],
    ]);
    // The basket's totals, and the dispense the suspect reports point at: basket 0's UnitsDispensed.
    expect(entries[9].details).to.deep.include({ basketId: b0, basketSeq: "0", indices: "2,1,0", basket: "5 dispensed, 1 suspect, 0 refused" });
    const dispensed = bulk.find((e) => e.name === "UnitsDispensed")!;
    expect([entries[10].details, entries[13].details].map((d) => [d.dispensedBy, d.dispensedInBasket, d.dispenseBlock, d.dispenseTx])).to.deep.equal([
      ["6", b0, String(dispensed.blockNumber), dispensed.transactionHash.toLowerCase()],
      ["6", b0, String(dispensed.blockNumber), dispensed.transactionHash.toLowerCase()],
    ]);
  });
});
