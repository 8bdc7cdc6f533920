import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import type { EpcisDocument } from "../../sdk/epcis.js";
import { type LocalNode, expectRefusal, startLocalNode } from "../helpers/cli.js";
import { admitNotary } from "../helpers/lifecycle.js";

/** epcis2.js (EVRYTHNG): its validator checks the GS1 EPCIS 2.0 JSON schema, field sets and extension prefixes. */
interface Epcis2 {
  validateEpcisDocument(document: object, throwError?: boolean): { success: boolean; errors: string[] };
  setup(settings: { checkExtensions?: boolean }): unknown;
}
const epcis2 = createRequire(import.meta.url)("epcis2.js") as Epcis2;

// The accounts of test/helpers/lifecycle.ts (admitNotary enrols them): 9 the manufacturer's
// QA, 10 the wholesaler's cold-chain logger, 12 the admin of the notary (party 8).
const GTIN = "06901234567892";
const LOT = "AUD26B";
const code = (i: number) => `(01)${GTIN}(21)A${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;
const FROM_OF_PARTY: Record<string, string> = { "2": "1", "3": "2", "6": "5" };

interface TraceEntry {
  at: string;
  event: string;
  party: string | null;
  partyName: string | null;
  what: string;
  where: string | null;
  result: string | null;
  stateChange: { from: string; to: string; by: string } | null;
}

describe("audit: a batch's trace and EPCIS 2.0 export through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let dir: string;
  let batchId: string;

  before(async function () {
    node = await startLocalNode();
    dir = await mkdtemp(path.join(tmpdir(), "medstate-audit-"));
    const units = path.join(dir, "units.txt");
    await writeFile(units, `${Array.from({ length: 100 }, (_, i) => code(i)).join("\n")}\n`);
    const rules = path.join(dir, "rules.json");
    await writeFile(rules, JSON.stringify({ storage: { temperature: { min: 2, max: 8 }, humidity: { max: 65 } } }));
    expect(await admitNotary(node)).to.equal("8");
    await node.json("product", "register", "--gtin", GTIN, "--name", "Influenza vaccine", "--approval-no", "国药准字S20260002", "--from", "1");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
    await node.json("product", "rules", "--gtin", GTIN, "--rules", rules, "--from", "1");

    // create → inspect → release → ship → receive → ship on → receive → storage reading → dispense → stop → recall → return → destroy
    ({ batchId } = await node.json<{ batchId: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-11-01", "--expiry", "2028-06-30",
      "--quantity", "100", "--units", units, "--from", "1",
    ));
    await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
    await node.json("batch", "release", "--batch", batchId, "--from", "9");
    const toWholesaler = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "60", "--from", "1");
    await node.json("batch", "receive", "--shipment", toWholesaler.shipmentId, "--from", "2");
    await node.json("observe", "--batch", batchId, "--point", "storage", "--measure", "temperature=5.2,humidity=40", "--from", "10");
    const toPharmacy = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "20", "--from", "2");
    await node.json("batch", "receive", "--shipment", toPharmacy.shipmentId, "--from", "5");
    await node.json("unit", "dispense", "--code", code(7), "--from", "5");
    await node.json("state", "stop", "--batch", batchId, "--reason", "suspected cold-chain break", "--from", "0");
    const { recallId } = await node.json<{ recallId: string }>("state", "recall", "--batch", batchId, "--level", "2", "--reason", "cold-chain break confirmed", "--from", "0");
    const shown = await node.json<{ holders: { partyId: string; quantity: string }[] }>("batch", "show", "--batch", batchId);
    let returned = 0;
    for (const h of shown.holders) {
      await node.json("state", "return", "--recall", recallId, "--quantity", h.quantity, "--from", FROM_OF_PARTY[h.partyId]);
      returned += Number(h.quantity);
    }
    const { destructionId } = await node.json<{ destructionId: string }>("state", "destroy", "--batch", batchId, "--quantity", String(returned), "--from", "1");
    await node.json("state", "witness", "--destruction", destructionId, "--from", "12");
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("traces the batch: who, what, where, result and its state changes, in order", async function () {
    const trace = await node.json<{ batchId: string; events: TraceEntry[] }>("batch", "trace", "--batch", batchId);
    expect(trace.batchId).to.equal(batchId);
    const names = trace.events.map((e) => e.event);
    expect(names.slice(0, 2)).to.deep.equal(["ProductRegistered", "BatchCreated"]);
    for (const name of ["BatchReleased", "Shipped", "ShipmentClosed", "Observed", "UnitStatusChanged", "RecallOpened", "StockReturned", "DestructionProposed", "DestructionWitnessed"]) {
      expect(names, name).to.include(name);
    }
    const times = trace.events.map((e) => Date.parse(e.at));
    expect(times.every((t, i) => !Number.isNaN(t) && (i === 0 || t >= times[i - 1]))).to.equal(true);

    const created = trace.events.find((e) => e.event === "BatchCreated") as TraceEntry;
    expect(created).to.include({ party: "2", partyName: "Qiantang Pharmaceutical Co., Ltd.", where: "Qiantang Pharmaceutical Co., Ltd." });
    expect(created.what).to.match(/^batch created: lot AUD26B, quantity 100, 100 serialised units, expires 2028-06-30$/);
    const shipped = trace.events.find((e) => e.event === "Shipped") as TraceEntry;
    expect(shipped).to.include({ what: "shipped 60 to Xihu Pharma Distribution Co., Ltd.", result: "in-transit" });
    const received = trace.events.find((e) => e.event === "ShipmentClosed") as TraceEntry;
    expect(received).to.include({ what: "received 60 from Qiantang Pharmaceutical Co., Ltd.", result: "received", party: "3" });
    const [inspection, reading] = trace.events.filter((e) => e.event === "Observed");
    expect(inspection).to.include({ what: "inspection observation #1", result: "normal", partyName: "Qiantang Pharmaceutical Co., Ltd." });
    expect(reading).to.include({ what: "storage observation #2: 5.2 °C, 40 % RH", result: "normal", partyName: "Xihu Pharma Distribution Co., Ltd." });
    const dispensed = trace.events.find((e) => e.event === "UnitStatusChanged") as TraceEntry;
    expect(dispensed).to.include({ result: "dispensed", partyName: "Kangjian Pharmacy Chain" });
    expect(dispensed.what).to.equal(`unit #7 (01${GTIN}21A000007) active → dispensed`);
    const witnessed = trace.events.find((e) => e.event === "DestructionWitnessed") as TraceEntry;
    expect(witnessed).to.include({ partyName: "Hangzhou Notary Office", where: "Qiantang Pharmaceutical Co., Ltd.", result: "destroyed" });
    expect(trace.events.filter((e) => e.stateChange !== null).map((e) => e.stateChange)).to.deep.equal([
      { from: "Marketed", to: "EmergencyStop", by: "regulator" },
      { from: "EmergencyStop", to: "Recall", by: "regulator" },
      { from: "Recall", to: "Destroyed", by: "witness" },
    ]);

    const human = await node.run("batch", "trace", "--batch", batchId);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^batch ${batchId.slice(0, 6)}…${batchId.slice(-4)}: GTIN ${GTIN} \\(Influenza vaccine\\) lot ${LOT}, ${trace.events.length} events\n`));
    expect(human.stdout).to.match(/Xihu Pharma Distribution Co\., Ltd\. \(party 3\): storage observation #2: 5\.2 °C, 40 % RH \[normal\]/);
    expect(human.stdout).to.match(/Zhejiang Medical Products Administration \(party 1\): state Marketed → EmergencyStop by regulator: suspected cold-chain break/);
  });

  it("exports an EPCIS 2.0 document that the GS1 schema accepts, with the journey's steps and dispositions", async function () {
    const out = path.join(dir, "export", "batch.epcis.json");
    const result = await node.json<{ file: string; events: string }>("audit", "export", "--batch", batchId, "--format", "epcis", "--out", out);
    expect(result.file).to.equal(out);
    const document = JSON.parse(await readFile(out, "utf8")) as EpcisDocument;
    expect(result.events).to.equal(String(document.epcisBody.eventList.length));
    epcis2.setup({ checkExtensions: true });
    expect(epcis2.validateEpcisDocument(document, false)).to.deep.equal({ success: true, errors: [] });

    const events = document.epcisBody.eventList;
    const pairs = events.map((e) => `${e.bizStep}/${e.disposition ?? "-"}`);
    expect(pairs).to.deep.equal([
      "commissioning/active",
      "inspecting/conformant",
      "urn:medstate:bizstep:releasing/active",
      "shipping/in_transit",
      "receiving/in_progress",
      "storing/-",
      "shipping/in_transit",
      "receiving/in_progress",
      "dispensing/dispensed",
      "holding/non_sellable_other",
      "holding/recalled",
      ...events.filter((e) => e["medstate:event"] === "StockReturned").map(() => "holding/recalled"),
      "destroying/destroyed",
    ]);
    const lgtin = "urn:epc:class:lgtin:6901234.056789.AUD26B";
    expect(events[0].quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 100 }]);
    expect(events[0].ilmd).to.deep.equal({ "cbvmda:lotNumber": LOT, "cbvmda:itemExpirationDate": "2028-06-30" });
    expect(events[5].sensorElementList?.[0].sensorReport).to.deep.equal([
      { type: "Temperature", value: 5.2, uom: "CEL" },
      { type: "RelativeHumidity", value: 40, uom: "P1" },
    ]);
    expect(events[8].epcList).to.deep.equal(["urn:epc:id:sgtin:6901234.056789.A000007"]);
    expect(events[3].destinationList).to.deep.include({ type: "owning_party", destination: "urn:medstate:party:3" });
    expect(events.at(-1)).to.deep.include({ action: "DELETE", "medstate:witness": "8", "medstate:state": "Destroyed" });
    for (const e of events) {
      expect(e["medstate:transactionHash"]).to.match(/^0x[0-9a-f]{64}$/);
      expect(e.eventID).to.equal(`urn:medstate:event:${String(e["medstate:transactionHash"])}:${String(e["medstate:logIndex"])}`);
    }

    // The validator can fail: the same file with a stop written as a "holding" disposition is rejected.
    events[9].disposition = "holding";
    expect(epcis2.validateEpcisDocument(document, false).success).to.equal(false);
  });

  it("refuses bad input in one line, exit 1", async function () {
    expectRefusal(await node.run("batch", "trace", "--batch", "0x1234"), /^error: invalid --batch "0x1234": a batch id is 0x and 64 hex digits \(or its short form 0xabcd…wxyz\)$/);
    const unknown = `0x${"42".repeat(32)}`;
    expectRefusal(await node.run("batch", "trace", "--batch", unknown), new RegExp(`^error: unknown batch ${unknown}$`));
    const out = path.join(dir, "never.json");
    expectRefusal(await node.run("audit", "export", "--batch", batchId, "--format", "csv", "--out", out), /^error: invalid --format "csv": expected epcis$/);
    expectRefusal(await node.run("audit", "export", "--batch", batchId, "--format", "epcis"), /^error: missing --out$/);
    expectRefusal(
      await node.run("audit", "export", "--batch", batchId, "--format", "epcis", "--out", out, "--company-prefix-length", "13"),
      /^error: invalid --company-prefix-length "13": expected 6…12 digits$/,
    );
    expectRefusal(await node.run("audit", "export", "--batch", unknown, "--format", "epcis", "--out", out), new RegExp(`^error: unknown batch ${unknown}$`));
  });
});
