/**
 * EPCIS 2.0 export of baskets and pallets (sdk/epcis.ts): a pallet is one shipping and one
 * closing ObjectEvent with a quantity per line; a basket's units of the batch are one
 * dispensing event with their SGTINs; an undo puts them back; a suspect report of a
 * basket-dispensed unit names who dispensed it. Checked on a synthetic history and on the
 * bulk chain's own logs (sdk/replay/bulk-history.ts), each document against the GS1 schema.
 */
import { createRequire } from "node:module";

import { expect } from "chai";

import { type BatchFacts, type ChainEvent, type EpcisDocument, buildEpcisDocument, lgtinUri, sgtinUri } from "../../sdk/epcis.js";
import { batchLabels, loadBulkEvents } from "../../sdk/replay/bulk-history.js";
import { decodeLog } from "../../sdk/replay/dispensers.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN as CHAIN_GTIN, LOT as CHAIN_LOT } from "../supply/ledger.fixtures.js";
import { LOT2, PHARMACY, allLogs, bulkChain, recordOf } from "./replay.bulk.fixtures.js";

interface Epcis2 {
  validateEpcisDocument(document: object, throwError?: boolean): { success: boolean; errors: string[] };
  setup(settings: { checkExtensions?: boolean }): unknown;
}
const epcis2 = createRequire(import.meta.url)("epcis2.js") as Epcis2;
epcis2.setup({ checkExtensions: true });
const validate = (document: object) => epcis2.validateEpcisDocument(document, false);

const { loadFixture } = networkHelpers;

const GTIN = "06901234567892";
const LOT = "VAX26A";
const BATCH = `0x${"ab".repeat(32)}`;
const OTHER = `0x${"cd".repeat(32)}`;
const UNKNOWN_BATCH = `0x${"ef".repeat(32)}`;
const PALLET = `0x${"a1".repeat(32)}`;
const PALLET2 = `0x${"b2".repeat(32)}`;
const BASKET = `0x${"ba".repeat(32)}`;
const ZERO32 = `0x${"00".repeat(32)}`;
const RX = `0x${"77".repeat(32)}`;
const ACTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const T0 = 1_790_000_000;
const LGTIN = "urn:epc:class:lgtin:6901234.056789.VAX26A";

const facts: BatchFacts = {
  batchId: BATCH,
  gtin: GTIN,
  lot: LOT,
  parties: {
    "2": { name: "Maker", domain: "manufacturer" },
    "3": { name: "Wholesaler", domain: "wholesaler" },
    "6": { name: "Pharmacy", domain: "pharmacy" },
  },
  // Unit 0 has a GS1 code, unit 1 a China 20-digit code (no SGTIN), unit 2 none known.
  unitCodes: [`01${GTIN}21S0`, "81234560000000011234"],
  lineBatches: { [OTHER]: { gtin: "04006381333931", lot: "L-7" } },
};

/** One transaction per call, its logs in order. */
function history(): ChainEvent[] {
  let block = 10;
  const out: ChainEvent[] = [];
  const tx = (...logs: [string, Record<string, unknown>][]) => {
    block++;
    const hash = `0x${block.toString(16).padStart(64, "0")}`;
    logs.forEach(([name, args], logIndex) => out.push({ name, args, blockNumber: block, transactionHash: hash, logIndex, timestamp: T0 + block * 60 }));
  };
  tx(["BatchCreated", { batchId: BATCH, gtin: BigInt(GTIN), manufacturer: 2n, lot: LOT, manufacturedAt: 0n, expiresAt: 0n, quantity: 100n, unitsRoot: ZERO32, unitCount: 3n, actor: ACTOR }]);
  tx(["PalletShipped", { palletId: PALLET, from: 2n, to: 6n, seq: 0n, lines: [{ batchId: BATCH, quantity: 10n }, { batchId: OTHER, quantity: 5n }, { batchId: UNKNOWN_BATCH, quantity: 2n }], actor: ACTOR }]);
  tx(["PalletClosed", { palletId: PALLET, creditedParty: 6n, status: 2n, actor: ACTOR }]);
  tx(["PalletShipped", { palletId: PALLET2, from: 2n, to: 3n, seq: 1n, lines: [{ batchId: BATCH, quantity: 4n }], actor: ACTOR }]);
  tx(["PalletClosed", { palletId: PALLET2, creditedParty: 2n, status: 4n, actor: ACTOR }]);
  tx(
    ["SuspectUnitReported", { batchId: BATCH, index: 1n, reporter: 6n, unitHash: ZERO32, status: 1n, recordedParty: 6n, reportNo: 1n, actor: ACTOR }],
    ["UnitsDispensed", { batchId: BATCH, basketId: BASKET, party: 6n, indices: [0n, 2n], prescriptions: [RX, ZERO32] }],
    ["UnitsDispensed", { batchId: OTHER, basketId: BASKET, party: 6n, indices: [5n], prescriptions: [ZERO32] }],
    ["BasketDispensed", { basketId: BASKET, party: 6n, seq: 0n, dispensed: 3n, suspect: 1n, refused: 0n, commitment: `0x${"c0".repeat(32)}`, actor: ACTOR }],
  );
  tx(["BasketUndone", { basketId: BASKET, party: 6n, batchIds: [BATCH, OTHER], indices: [2n, 5n], commitment: `0x${"c1".repeat(32)}`, actor: ACTOR }]);
  tx(["SuspectUnitReported", { batchId: BATCH, index: 0n, reporter: 3n, unitHash: ZERO32, status: 1n, recordedParty: 0n, reportNo: 2n, actor: ACTOR }]);
  return out;
}

const events = (doc: EpcisDocument) => doc.epcisBody.eventList;
const hashOf = (block: number) => `0x${block.toString(16).padStart(64, "0")}`;
const timeOf = (block: number) => new Date((T0 + block * 60) * 1000).toISOString();
const base = (block: number, logIndex: number) => ({
  type: "ObjectEvent",
  eventTime: timeOf(block),
  eventTimeZoneOffset: "+00:00",
  eventID: `urn:medstate:event:${hashOf(block)}:${logIndex}`,
});
const ext = (block: number, logIndex: number, name: string) => ({
  "medstate:event": name,
  "medstate:transactionHash": hashOf(block),
  "medstate:logIndex": logIndex,
  "medstate:blockNumber": String(block),
});
const at = (party: string) => ({ readPoint: { id: `urn:medstate:party:${party}` }, bizLocation: { id: `urn:medstate:party:${party}` } });
const parties = (from: string, to: string) => ({
  sourceList: [
    { type: "owning_party", source: `urn:medstate:party:${from}` },
    { type: "possessing_party", source: `urn:medstate:party:${from}` },
  ],
  destinationList: [
    { type: "owning_party", destination: `urn:medstate:party:${to}` },
    { type: "possessing_party", destination: `urn:medstate:party:${to}` },
  ],
});

describe("buildEpcisDocument (sdk/epcis): baskets and pallets", function () {
  const doc = buildEpcisDocument(history(), facts);

  it("validates against the GS1 EPCIS 2.0 schema, extensions included", function () {
    expect(validate(doc)).to.deep.equal({ success: true, errors: [] });
  });

  it("exports a pallet as one shipping event with a quantity per line (other lots by LGTIN or batch id)", function () {
    const lines = [
      { epcClass: LGTIN, quantity: 10 },
      { epcClass: lgtinUri("04006381333931", "L-7"), quantity: 5 },
      { epcClass: `urn:medstate:batch:${UNKNOWN_BATCH}`, quantity: 2 },
    ];
    expect(events(doc).filter((e) => e["medstate:event"] === "PalletShipped")[0]).to.deep.equal({
      ...base(12, 0),
      quantityList: lines,
      action: "OBSERVE",
      bizStep: "shipping",
      disposition: "in_transit",
      ...at("2"),
      bizTransactionList: [{ type: "desadv", bizTransaction: `urn:medstate:pallet:${PALLET}` }],
      ...parties("2", "6"),
      ...ext(12, 0, "PalletShipped"),
      "medstate:actor": ACTOR,
      "medstate:palletId": PALLET,
      "medstate:palletSeq": "0",
      "medstate:lineCount": 3,
      "medstate:party": "2",
      "medstate:to": "6",
    });
    expect(events(doc).filter((e) => e["medstate:event"] === "PalletClosed")[0]).to.deep.equal({
      ...base(13, 0),
      quantityList: lines,
      action: "OBSERVE",
      bizStep: "receiving",
      disposition: "in_progress",
      ...at("6"),
      bizTransactionList: [{ type: "desadv", bizTransaction: `urn:medstate:pallet:${PALLET}` }],
      ...parties("2", "6"),
      ...ext(13, 0, "PalletClosed"),
      "medstate:actor": ACTOR,
      "medstate:palletId": PALLET,
      "medstate:shipmentStatus": "received",
      "medstate:party": "6",
    });
  });

  it("exports a rejected pallet as a void shipping with the lines returned to the sender", function () {
    const closed = events(doc).filter((e) => e["medstate:event"] === "PalletClosed")[1];
    expect(closed).to.deep.include({ bizStep: "void_shipping", disposition: "returned", quantityList: [{ epcClass: LGTIN, quantity: 4 }], "medstate:shipmentStatus": "rejected", "medstate:party": "2" });
    expect(closed.readPoint).to.deep.equal({ id: "urn:medstate:party:2" });
  });

  it("exports a basket's units of the batch as one dispensing event: SGTINs where known, a quantity for the rest", function () {
    const dispensed = events(doc).filter((e) => e["medstate:event"] === "UnitsDispensed");
    // The other batch's group is not this batch's history.
    expect(dispensed).to.have.length(1);
    expect(dispensed[0]).to.deep.equal({
      ...base(16, 1),
      epcList: [sgtinUri(GTIN, "S0")],
      quantityList: [{ epcClass: LGTIN, quantity: 1 }],
      action: "OBSERVE",
      bizStep: "dispensing",
      disposition: "dispensed",
      ...at("6"),
      bizTransactionList: [{ bizTransaction: `urn:medstate:basket:${BASKET}` }],
      ...ext(16, 1, "UnitsDispensed"),
      "medstate:actor": ACTOR,
      "medstate:basketId": BASKET,
      "medstate:basketSeq": "0",
      "medstate:unitIndices": ["0", "2"],
      "medstate:prescriptions": [RX, ZERO32],
      "medstate:status": "dispensed",
      "medstate:party": "6",
    });
  });

  it("exports an undo as the batch's units made active again", function () {
    expect(events(doc).filter((e) => e["medstate:event"] === "BasketUndone")).to.deep.equal([
      {
        ...base(17, 0),
        quantityList: [{ epcClass: LGTIN, quantity: 1 }],
        action: "OBSERVE",
        bizStep: "other",
        disposition: "active",
        ...at("6"),
        bizTransactionList: [{ bizTransaction: `urn:medstate:basket:${BASKET}` }],
        ...ext(17, 0, "BasketUndone"),
        "medstate:actor": ACTOR,
        "medstate:basketId": BASKET,
        "medstate:unitIndices": ["2"],
        "medstate:previousStatus": "dispensed",
        "medstate:status": "active",
        "medstate:party": "6",
      },
    ]);
  });

  it("names who dispensed a basket unit in a suspect report of it (recorded party 0), and no one otherwise", function () {
    const reports = events(doc).filter((e) => e["medstate:event"] === "SuspectUnitReported");
    expect(reports[0]["medstate:dispensedBy"]).to.equal(undefined);
    expect(reports[1]).to.deep.include({
      "medstate:recordedParty": "0",
      "medstate:dispensedBy": "6",
      "medstate:dispensedInBasket": BASKET,
      "medstate:dispenseEventID": `urn:medstate:event:${hashOf(16)}:1`,
    });
  });

  it("leaves BasketDispensed (folded into its units' event) out, and keeps every event's order", function () {
    expect(events(doc).map((e) => e["medstate:event"])).to.deep.equal([
      "BatchCreated",
      "PalletShipped",
      "PalletClosed",
      "PalletShipped",
      "PalletClosed",
      "SuspectUnitReported",
      "UnitsDispensed",
      "BasketUndone",
      "SuspectUnitReported",
    ]);
  });
});

describe("loadBulkEvents (sdk/replay/bulk-history): a batch's baskets and pallets from the chain", function () {
  it("finds every basket and pallet event of the batch, and its EPCIS document validates", async function () {
    const c = await loadFixture(bulkChain);
    const record = await recordOf(c);
    const latest = await ethers.provider.getBlockNumber();
    const options = { provider: ethers.provider, address: record.contracts.BatchRegistry, fromBlock: 0, toBlock: latest, pageBlocks: 7 };
    const bulk = await loadBulkEvents(options, c.batchId);
    // Baskets 0, 1, 2, 4, 5 dispensed units of batch 1 (3 is batch 2's); the undos of 0 and 4; its three pallets.
    expect(bulk.map((e) => e.name)).to.deep.equal([
      "PalletShipped",
      "PalletClosed",
      "PalletShipped",
      "PalletClosed",
      "PalletShipped",
      "PalletClosed",
      "UnitsDispensed",
      "BasketDispensed",
      "UnitsDispensed",
      "BasketDispensed",
      "BasketUndone",
      "UnitsDispensed",
      "BasketDispensed",
      "UnitsDispensed",
      "BasketDispensed",
      "BasketUndone",
      "UnitsDispensed",
      "BasketDispensed",
    ]);
    expect(bulk[0].args.lines).to.deep.equal([
      { batchId: c.batchId.toLowerCase(), quantity: 10n },
      { batchId: c.batch2.toLowerCase(), quantity: 12n },
    ]);
    const labels = await batchLabels(options, [c.batch2]);
    expect(labels).to.deep.equal({ [c.batch2.toLowerCase()]: { gtin: CHAIN_GTIN.toString().padStart(14, "0"), lot: LOT2 } });

    // The batch's own suspect reports, from the whole log, with the bulk events.
    const reports = (await allLogs(record))
      .map(decodeLog)
      .filter((e) => e?.name === "SuspectUnitReported" && String(e.args.batchId).toLowerCase() === c.batchId.toLowerCase());
    const all = [...bulk, ...reports.map((e) => e!)].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    const timed: ChainEvent[] = all.map((e) => ({ ...e, timestamp: T0 }));
    const gtin = CHAIN_GTIN.toString().padStart(14, "0");
    const doc = buildEpcisDocument(timed, {
      batchId: c.batchId,
      gtin,
      lot: CHAIN_LOT,
      parties: {},
      unitCodes: c.tree.values.map((_, i) => `01${gtin}21SN${i}`),
      lineBatches: labels,
    });
    expect(validate(doc)).to.deep.equal({ success: true, errors: [] });
    const shipped = events(doc).find((e) => e["medstate:event"] === "PalletShipped")!;
    expect(shipped.quantityList).to.deep.equal([
      { epcClass: lgtinUri(gtin, CHAIN_LOT), quantity: 10 },
      { epcClass: lgtinUri(gtin, LOT2), quantity: 12 },
    ]);
    const basket0 = events(doc).find((e) => e["medstate:event"] === "UnitsDispensed")!;
    expect(basket0.epcList).to.deep.equal(["SN2", "SN1", "SN0"].map((s) => sgtinUri(gtin, s)));
    const suspects = events(doc).filter((e) => e["medstate:event"] === "SuspectUnitReported");
    expect(suspects.map((e) => e["medstate:dispensedBy"] ?? null)).to.deep.equal([null, String(PHARMACY), String(PHARMACY)]);
    expect(suspects.map((e) => e["medstate:dispensedInBasket"] ?? null)).to.deep.equal([null, c.baskets[0].toLowerCase(), c.baskets[0].toLowerCase()]);
  });
});
