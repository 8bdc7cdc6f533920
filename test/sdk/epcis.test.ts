import { createRequire } from "node:module";

import { expect } from "chai";

import {
  type BatchFacts,
  type ChainEvent,
  type EpcisDocument,
  type EpcisObjectEvent,
  EPCIS_CONTEXT,
  MEDSTATE_NAMESPACE,
  buildEpcisDocument,
  eventIdOf,
  gtinEpcParts,
  lgtinUri,
  partyUri,
  sgtinUri,
} from "../../sdk/epcis.js";
import { NO_HUMIDITY, NO_TEMPERATURE } from "../../sdk/quality.js";

/** epcis2.js (EVRYTHNG): its validator checks the GS1 EPCIS 2.0 JSON schema, field sets and extension prefixes. */
interface Epcis2 {
  validateEpcisDocument(document: object, throwError?: boolean): { success: boolean; errors: string[] };
  setup(settings: { checkExtensions?: boolean }): unknown;
}
const epcis2 = createRequire(import.meta.url)("epcis2.js") as Epcis2;
epcis2.setup({ checkExtensions: true });
const validate = (document: object) => epcis2.validateEpcisDocument(document, false);

const GTIN = "06901234567892";
const LOT = "VAX26A";
const BATCH = `0x${"ab".repeat(32)}`;
const PRODUCT_SUBJECT = `0x${BigInt(GTIN).toString(16).padStart(64, "0")}`;
const ZERO32 = `0x${"00".repeat(32)}`;
const ACTOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const SHIPMENT = `0x${"5a".repeat(32)}`;
const RECALL = `0x${"7e".repeat(32)}`;
const DESTRUCTION = `0x${"de".repeat(32)}`;
const T0 = 1_790_000_000; // 2026-09-21T…Z

const facts: BatchFacts = {
  batchId: BATCH,
  gtin: GTIN,
  lot: LOT,
  expiry: "2028-06-30T00:00:00.000Z",
  productName: "Influenza vaccine",
  parties: {
    "1": { name: "Zhejiang Medical Products Administration", domain: "regulator" },
    "2": { name: "Qiantang Pharmaceutical Co., Ltd.", domain: "manufacturer" },
    "3": { name: "Xihu Pharma Distribution Co., Ltd.", domain: "wholesaler" },
    "6": { name: "Kangjian Pharmacy Chain", domain: "pharmacy" },
    "8": { name: "Hangzhou Notary Office", domain: "notary" },
  },
  // Unit 0 is a GS1 code with a serial that needs escaping; unit 1 a China 20-digit code.
  unitCodes: [`01${GTIN}21A/7%`, "81234560000000011234"],
};

/** A synthetic history, one transaction per step (several logs where the contracts emit several). */
function history(): ChainEvent[] {
  let block = 10;
  const out: ChainEvent[] = [];
  const tx = (...logs: [string, Record<string, unknown>][]) => {
    block++;
    const hash = `0x${block.toString(16).padStart(64, "0")}`;
    logs.forEach(([name, args], logIndex) =>
      out.push({ name, args, blockNumber: block, transactionHash: hash, logIndex, timestamp: T0 + block * 60 }),
    );
  };
  const observed = (seq: number, point: number, result: number, temperature: number, humidity: number, party = 3n) =>
    [
      "Observed",
      {
        subject: BATCH,
        party,
        seq: BigInt(seq),
        observer: ACTOR,
        point: BigInt(point),
        result: BigInt(result),
        temperature: BigInt(temperature),
        humidity: BigInt(humidity),
      },
    ] as [string, Record<string, unknown>];
  tx([
    "BatchCreated",
    {
      batchId: BATCH,
      gtin: BigInt(GTIN),
      manufacturer: 2n,
      lot: LOT,
      manufacturedAt: 0n,
      expiresAt: 0n,
      quantity: 100n,
      unitsRoot: ZERO32,
      unitCount: 2n,
      actor: ACTOR,
    },
  ]);
  tx(observed(1, 5, 0, NO_TEMPERATURE, NO_HUMIDITY, 2n));
  tx(["BatchReleased", { batchId: BATCH, manufacturer: 2n, actor: ACTOR }]);
  tx(["Shipped", { shipmentId: SHIPMENT, batchId: BATCH, from: 2n, to: 3n, quantity: 60n, actor: ACTOR }]);
  tx(["ShipmentClosed", { shipmentId: SHIPMENT, batchId: BATCH, creditedParty: 3n, status: 2n, quantity: 60n, actor: ACTOR }]);
  tx(observed(2, 4, 0, 520, 4000));
  tx(["UnitStatusChanged", { batchId: BATCH, index: 0n, party: 3n, unitHash: ZERO32, previous: 0n, status: 1n, actor: ACTOR }]);
  tx(["UnitStatusChanged", { batchId: BATCH, index: 1n, party: 3n, unitHash: ZERO32, previous: 0n, status: 1n, actor: ACTOR }]);
  // 9.5 °C: the rule fires and stops the batch in the same transaction.
  tx(
    observed(3, 4, 2, 950, NO_HUMIDITY),
    ["RuleFired", { subject: BATCH, seq: 3n, kind: 0n, rule: "0x0000000000000000000000000000000000000000", state: 1n }],
    [
      "StateChanged",
      { subject: BATCH, to: 1n, from: 0n, by: 2n, party: 3n, actor: ACTOR, reason: "critical storage observation" },
    ],
  );
  // The logger's reading #2 was wrong: #4 corrects it.
  tx(observed(4, 4, 0, 510, 4100), [
    "ObservationAnnotated",
    { subject: BATCH, seq: 4n, corrects: 2n, evidenceHash: `0x${"11".repeat(32)}`, evidenceUri: "ipfs://bafy-log" },
  ]);
  tx(
    ["StateChanged", { subject: BATCH, to: 2n, from: 1n, by: 0n, party: 1n, actor: ACTOR, reason: "storage excursion" }],
    [
      "RecallOpened",
      {
        recallId: RECALL,
        batchId: BATCH,
        level: 1n,
        openedAt: BigInt(T0),
        deadline: BigInt(T0 + 86400),
        party: 1n,
        actor: ACTOR,
      },
    ],
  );
  tx(["StockReturned", { recallId: RECALL, batchId: BATCH, party: 3n, quantity: 58n, outstanding: 0n, actor: ACTOR }]);
  tx([
    "DestructionProposed",
    { destructionId: DESTRUCTION, batchId: BATCH, party: 2n, quantity: 98n, proposedAt: BigInt(T0), actor: ACTOR },
  ]);
  tx(
    ["StateChanged", { subject: BATCH, to: 3n, from: 2n, by: 3n, party: 8n, actor: ACTOR, reason: "destruction witnessed" }],
    ["DestructionWitnessed", { destructionId: DESTRUCTION, batchId: BATCH, witness: 8n, quantity: 98n, actor: ACTOR }],
  );
  // A product-level stop (subject = bytes32(gtin)) affects the batch too.
  tx(["StateChanged", { subject: PRODUCT_SUBJECT, to: 1n, from: 0n, by: 0n, party: 1n, actor: ACTOR, reason: "product review" }]);
  return out;
}

const byEvent = (doc: EpcisDocument, name: string) =>
  doc.epcisBody.eventList.filter((e) => e["medstate:event"] === name && e.errorDeclaration === undefined);
const steps = (doc: EpcisDocument) => doc.epcisBody.eventList.map((e) => [e.bizStep, e.disposition ?? null]);

describe("sdk/epcis", function () {
  describe("identifiers", function () {
    it("splits a GTIN at the company prefix length (default 7)", function () {
      expect(gtinEpcParts(GTIN)).to.equal("6901234.056789");
      expect(gtinEpcParts(GTIN, 9)).to.equal("690123456.0789");
      expect(gtinEpcParts("10614141007346", 7)).to.equal("0614141.100734"); // indicator digit 1
      expect(() => gtinEpcParts(GTIN, 5)).to.throw(/company prefix length 5/);
      expect(() => gtinEpcParts("123")).to.throw(/invalid GTIN-14/);
    });

    it("builds LGTIN, SGTIN, party and event URIs, escaping what TDS requires", function () {
      expect(lgtinUri(GTIN, LOT)).to.equal("urn:epc:class:lgtin:6901234.056789.VAX26A");
      expect(sgtinUri(GTIN, "A/7%")).to.equal("urn:epc:id:sgtin:6901234.056789.A%2F7%25");
      expect(partyUri(3n)).to.equal("urn:medstate:party:3");
      expect(partyUri("3", { name: "X", domain: "wholesaler", gln: "6901234000017" })).to.equal(
        "urn:epc:id:sgln:6901234.00001.0",
      );
      expect(eventIdOf({ transactionHash: "0xABC", logIndex: 2 })).to.equal("urn:medstate:event:0xabc:2");
    });
  });

  describe("buildEpcisDocument", function () {
    const doc = buildEpcisDocument(history(), facts);
    const lgtin = "urn:epc:class:lgtin:6901234.056789.VAX26A";

    it("is an EPCIS 2.0 JSON-LD EPCISDocument with the GS1 context and a medstate: prefix", function () {
      expect(doc["@context"]).to.deep.equal([EPCIS_CONTEXT, { medstate: MEDSTATE_NAMESPACE }]);
      expect(doc).to.include({ type: "EPCISDocument", schemaVersion: "2.0" });
      // Pure: the creation date defaults to the last event's time.
      expect(doc.creationDate).to.equal(new Date((T0 + 25 * 60) * 1000).toISOString());
      expect(buildEpcisDocument(history(), facts)).to.deep.equal(doc);
      expect(doc.epcisBody.eventList.every((e) => e.type === "ObjectEvent" && e.eventTimeZoneOffset === "+00:00")).to.equal(true);
    });

    it("maps the history to CBV 2.0 business steps and dispositions, in chain order", function () {
      expect(steps(doc)).to.deep.equal([
        ["commissioning", "active"],
        ["inspecting", "conformant"],
        ["urn:medstate:bizstep:releasing", "active"],
        ["shipping", "in_transit"],
        ["receiving", "in_progress"],
        ["storing", null],
        ["dispensing", "dispensed"],
        ["dispensing", "dispensed"],
        ["storing", "non_conformant"],
        ["holding", "non_sellable_other"],
        ["storing", null],
        ["storing", null], // the error declaration of reading #2
        ["holding", "recalled"],
        ["holding", "recalled"],
        ["destroying", "destroyed"],
        ["holding", "non_sellable_other"],
      ]);
      expect(doc.epcisBody.eventList.map((e) => e.action)).to.deep.equal([
        "ADD",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "OBSERVE",
        "DELETE",
        "OBSERVE",
      ]);
    });

    it("commissions the lot as an LGTIN quantity with lot and expiry in its ILMD, at the manufacturer", function () {
      const [commissioning] = byEvent(doc, "BatchCreated");
      expect(commissioning.quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 100 }]);
      expect(commissioning.ilmd).to.deep.equal({ "cbvmda:lotNumber": LOT, "cbvmda:itemExpirationDate": "2028-06-30" });
      expect(commissioning.readPoint).to.deep.equal({ id: "urn:medstate:party:2" });
      expect(commissioning.bizLocation).to.deep.equal({ id: "urn:medstate:party:2" });
      expect(commissioning).to.include({ "medstate:logIndex": 0, "medstate:blockNumber": "11", "medstate:batchId": BATCH });
      expect(commissioning["medstate:transactionHash"]).to.match(/^0x0{62}0b$/);
    });

    it("ships and receives with source and destination parties and the shipment as a business transaction", function () {
      const [shipping] = byEvent(doc, "Shipped");
      const [receiving] = byEvent(doc, "ShipmentClosed");
      for (const e of [shipping, receiving]) {
        expect(e.quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 60 }]);
        expect(e.sourceList).to.deep.include({ type: "owning_party", source: "urn:medstate:party:2" });
        expect(e.destinationList).to.deep.include({ type: "possessing_party", destination: "urn:medstate:party:3" });
        expect(e.bizTransactionList).to.deep.equal([{ bizTransaction: `urn:medstate:shipment:${SHIPMENT}` }]);
      }
      expect(shipping.readPoint?.id).to.equal("urn:medstate:party:2");
      expect(receiving.readPoint?.id).to.equal("urn:medstate:party:3");
    });

    it("carries temperature (CEL) and humidity (P1) readings as sensor elements, a critical one as an alarm", function () {
      const [inspection, normal, critical] = byEvent(doc, "Observed");
      expect(inspection.sensorElementList).to.equal(undefined);
      expect(normal.sensorElementList).to.deep.equal([
        {
          sensorMetadata: { time: normal.eventTime },
          sensorReport: [
            { type: "Temperature", value: 5.2, uom: "CEL" },
            { type: "RelativeHumidity", value: 40, uom: "P1" },
          ],
        },
      ]);
      expect(critical.sensorElementList?.[0].sensorReport).to.deep.equal([
        { type: "Temperature", value: 9.5, uom: "CEL", exception: "ALARM_CONDITION" },
      ]);
      expect(critical).to.deep.include({
        "medstate:seq": "3",
        "medstate:point": "storage",
        "medstate:result": "critical",
        "medstate:rulesFired": ["critical-observation→EmergencyStop"],
      });
    });

    it("declares a corrected observation in error, pointing at its correction", function () {
      const [, normal, , correction] = byEvent(doc, "Observed");
      expect(correction).to.include({ "medstate:corrects": "2", "medstate:evidenceUri": "ipfs://bafy-log" });
      const declared = doc.epcisBody.eventList.find((e) => e.errorDeclaration !== undefined) as EpcisObjectEvent;
      expect(declared.eventID).to.equal(normal.eventID);
      expect(declared.errorDeclaration).to.deep.equal({
        declarationTime: correction.eventTime,
        reason: "incorrect_data",
        correctiveEventIDs: [correction.eventID],
      });
    });

    it("dispenses a unit as its SGTIN when its GS1 code is known, else as one of the lot", function () {
      const [gs1, china] = byEvent(doc, "UnitStatusChanged");
      expect(gs1.epcList).to.deep.equal(["urn:epc:id:sgtin:6901234.056789.A%2F7%25"]);
      expect(gs1.quantityList).to.equal(undefined);
      expect(china.epcList).to.equal(undefined);
      expect(china.quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 1 }]);
      expect(china["medstate:unitCode"]).to.equal("81234560000000011234");
    });

    it("tells stop, recall (with its level and deadline), return and witnessed destruction", function () {
      const [stop, recall, productStop] = byEvent(doc, "StateChanged");
      expect(stop).to.include({ "medstate:state": "EmergencyStop", "medstate:by": "rule", "medstate:subjectKind": "batch" });
      expect(stop.readPoint).to.deep.equal({ id: "urn:medstate:party:3" });
      expect(stop.bizLocation).to.equal(undefined);
      expect(recall).to.include({
        disposition: "recalled",
        "medstate:recallId": RECALL,
        "medstate:recallLevel": "1",
        "medstate:state": "Recall",
      });
      expect(productStop).to.include({ "medstate:subjectKind": "product", "medstate:state": "EmergencyStop" });
      // The state change of the destruction is told by the destruction itself.
      expect(byEvent(doc, "StateChanged")).to.have.length(3);
      const [returned] = byEvent(doc, "StockReturned");
      expect(returned.quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 58 }]);
      expect(returned.destinationList).to.deep.equal([{ type: "possessing_party", destination: "urn:medstate:party:2" }]);
      const [destroyed] = byEvent(doc, "DestructionWitnessed");
      expect(destroyed).to.deep.include({
        action: "DELETE",
        readPoint: { id: "urn:medstate:party:2" },
        "medstate:witness": "8",
        "medstate:state": "Destroyed",
      });
    });

    it("names every party it locates events at in the master data (a witness is named in an extension)", function () {
      const [classes, locations] = doc.epcisHeader.epcisMasterData.vocabularyList;
      expect(classes.vocabularyElementList[0].id).to.equal(lgtin);
      expect(locations.vocabularyElementList.map((l) => l.id)).to.deep.equal(
        ["1", "2", "3"].map((id) => `urn:medstate:party:${id}`),
      );
      expect(locations.vocabularyElementList[1].attributes).to.deep.include({
        id: "urn:epcglobal:cbv:mda#name",
        attribute: "Qiantang Pharmaceutical Co., Ltd.",
      });
    });

    it("uses the company prefix length it is given for every identifier", function () {
      const nine = buildEpcisDocument(history(), facts, { companyPrefixLength: 9, creationDate: "2027-01-01T00:00:00Z" });
      expect(nine.creationDate).to.equal("2027-01-01T00:00:00.000Z");
      expect(nine.epcisBody.eventList[0].quantityList?.[0].epcClass).to.equal("urn:epc:class:lgtin:690123456.0789.VAX26A");
      expect(byEvent(nine, "UnitStatusChanged")[0].epcList).to.deep.equal(["urn:epc:id:sgtin:690123456.0789.A%2F7%25"]);
      expect(() => buildEpcisDocument(history(), facts, { companyPrefixLength: 13 })).to.throw(/company prefix length 13/);
    });
  });

  describe("buildEpcisDocument: issue 12's events (seizures, restorations, holders, partial destructions)", function () {
    /** Registered for party 2, reassigned to party 9; a seizure, a restoration, a destruction that leaves units. */
    function issue12History(): ChainEvent[] {
      const out: ChainEvent[] = [];
      let block = 100;
      const tx = (...logs: [string, Record<string, unknown>][]) => {
        block++;
        const hash = `0x${block.toString(16).padStart(64, "0")}`;
        logs.forEach(([name, args], logIndex) =>
          out.push({ name, args, blockNumber: block, transactionHash: hash, logIndex, timestamp: T0 + block * 60 }),
        );
      };
      tx(["ProductRegistered", { gtin: BigInt(GTIN), holder: 2n, nationalCode: 0n, name: "Influenza vaccine", approvalNo: "S1", actor: ACTOR }]);
      tx([
        "BatchCreated",
        { batchId: BATCH, gtin: BigInt(GTIN), manufacturer: 2n, lot: LOT, manufacturedAt: 0n, expiresAt: 0n, quantity: 100n, unitsRoot: ZERO32, unitCount: 2n, actor: ACTOR },
      ]);
      tx(["UnitStatusChanged", { batchId: BATCH, index: 0n, party: 6n, unitHash: ZERO32, previous: 0n, status: 2n, actor: ACTOR }]);
      // The regulator (party 1) restores the unit the pharmacy (6) marked destroyed: back into the pharmacy's stock.
      tx(
        ["UnitStatusChanged", { batchId: BATCH, index: 0n, party: 1n, unitHash: ZERO32, previous: 2n, status: 0n, actor: ACTOR }],
        ["UnitRestored", { batchId: BATCH, index: 0n, creditedParty: 6n, previous: 2n, regulator: 1n, actor: ACTOR }],
      );
      tx(["ProductReassigned", { gtin: BigInt(GTIN), previousHolder: 2n, holder: 9n, previousNationalCode: 0n, nationalCode: 0n, actor: ACTOR }]);
      tx(["StockReturned", { recallId: RECALL, batchId: BATCH, party: 3n, quantity: 10n, outstanding: 0n, actor: ACTOR }]);
      tx(["StockSeized", { recallId: RECALL, batchId: BATCH, party: 6n, quantity: 4n, outstanding: 16n, regulator: 1n, actor: ACTOR }]);
      tx(["DestructionProposed", { destructionId: DESTRUCTION, batchId: BATCH, party: 9n, quantity: 14n, proposedAt: BigInt(T0), actor: ACTOR }]);
      // Units are left elsewhere: the batch stays recalled (no StateChanged in the transaction).
      tx(["DestructionWitnessed", { destructionId: DESTRUCTION, batchId: BATCH, witness: 8n, quantity: 14n, actor: ACTOR }]);
      return out;
    }
    const doc = buildEpcisDocument(issue12History(), facts);

    it("is valid EPCIS 2.0, with no event for a product's registration or reassignment", function () {
      expect(validate(doc)).to.deep.equal({ success: true, errors: [] });
      expect(steps(doc)).to.deep.equal([
        ["commissioning", "active"],
        ["destroying", "destroyed"],
        ["other", "active"],
        ["holding", "recalled"],
        ["holding", "recalled"],
        ["destroying", "destroyed"],
      ]);
    });

    it("tells a restoration as recorded by the regulator for the stock of the party credited", function () {
      const [, restoration] = byEvent(doc, "UnitStatusChanged");
      expect(restoration).to.deep.include({
        readPoint: { id: "urn:medstate:party:1" },
        bizLocation: { id: "urn:medstate:party:6" },
        "medstate:status": "active",
        "medstate:previousStatus": "destroyed",
        "medstate:restoredBy": "1",
        "medstate:creditedParty": "6",
      });
    });

    it("sends returned and seized stock to the quarantine of the product's holder at the time", function () {
      const [returned] = byEvent(doc, "StockReturned");
      const [seized] = byEvent(doc, "StockSeized");
      expect(returned.destinationList).to.deep.equal([{ type: "possessing_party", destination: "urn:medstate:party:9" }]);
      expect(returned["medstate:seizedBy"]).to.equal(undefined);
      expect(seized).to.deep.include({
        quantityList: [{ epcClass: "urn:epc:class:lgtin:6901234.056789.VAX26A", quantity: 4 }],
        readPoint: { id: "urn:medstate:party:1" },
        bizLocation: { id: "urn:medstate:party:6" },
        sourceList: [{ type: "possessing_party", source: "urn:medstate:party:6" }],
        destinationList: [{ type: "possessing_party", destination: "urn:medstate:party:9" }],
        "medstate:seizedBy": "1",
        "medstate:outstanding": "16",
      });
    });

    it("tells a destruction that leaves units unaccounted for with no state", function () {
      const [destroyed] = byEvent(doc, "DestructionWitnessed");
      expect(destroyed).to.deep.include({ action: "DELETE", readPoint: { id: "urn:medstate:party:9" }, "medstate:witness": "8" });
      expect(destroyed["medstate:state"]).to.equal(undefined);
    });
  });

  describe("validation with epcis2.js (GS1 EPCIS 2.0 JSON schema)", function () {
    const doc = buildEpcisDocument(history(), facts);
    const broken = (mutate: (copy: EpcisDocument & Record<string, unknown>) => void) => {
      const copy = structuredClone(doc) as EpcisDocument & Record<string, unknown>;
      mutate(copy);
      return validate(copy);
    };

    it("accepts the document, and an empty history's", function () {
      expect(validate(doc)).to.deep.equal({ success: true, errors: [] });
      expect(validate(buildEpcisDocument([], facts))).to.deep.equal({ success: true, errors: [] });
    });

    it("rejects a stop written with a holding disposition (a bizStep, not a CBV disposition)", function () {
      const result = broken((d) => {
        d.epcisBody.eventList[9].disposition = "holding";
      });
      expect(result.success).to.equal(false);
      expect(result.errors.join()).to.match(/eventList\/9\/disposition/);
    });

    it("rejects a missing time zone offset, an unknown action, an unknown measurement type, a bad unit of measure, a non-URI location and no schema version", function () {
      for (const mutate of [
        (d: EpcisDocument) => delete (d.epcisBody.eventList[0] as Partial<EpcisObjectEvent>).eventTimeZoneOffset,
        (d: EpcisDocument) => ((d.epcisBody.eventList[0] as { action: string }).action = "CREATE"),
        (d: EpcisDocument) =>
          ((d.epcisBody.eventList[5].sensorElementList?.[0].sensorReport[0] as { type: string }).type = "Temperatur"),
        (d: EpcisDocument) => ((d.epcisBody.eventList[0].quantityList?.[0] as { uom?: string }).uom = "°C"),
        (d: EpcisDocument) => ((d.epcisBody.eventList[3].readPoint as { id: string }).id = "party 2"),
        (d: EpcisDocument) => ((d as { schemaVersion?: string }).schemaVersion = undefined),
      ]) {
        expect(broken(mutate).success, mutate.toString()).to.equal(false);
      }
    });

    it("rejects an extension whose prefix the @context does not declare", function () {
      const result = broken((d) => {
        (d.epcisBody.eventList[0] as Record<string, unknown>)["acme:note"] = "x";
      });
      expect(result).to.deep.equal({ success: false, errors: ["Event contains unknown extension: acme"] });
      // …and one without any prefix.
      expect(broken((d) => ((d.epcisBody.eventList[0] as Record<string, unknown>).note = "x")).success).to.equal(false);
    });
  });
});
