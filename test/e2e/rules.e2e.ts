import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import { registerProduct } from "../helpers/lifecycle.js";

// Well-known accounts of `hardhat node` and the localhost founders: 0 regulator (party 1),
// 1 manufacturer admin (2), 2 wholesaler admin (3), 4 hospital admin (5) are the voters
// (n = 4, threshold 3); 5 is the pharmacy's admin (party 6, not a voter). A generic Call
// needs a regulator among its approvers (deploy/parameters/localhost.json: 450).
const PHARMACY_ADMIN = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
const GTIN = "06901234567892";
/** A second product of the maker, registered without rules. */
const GTIN2 = "06901234567885";
const LOT = "VAX26R";
const ZERO = "0x0000000000000000000000000000000000000000";
const code = (i: number) => `(01)${GTIN}(21)R${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;

interface Observed {
  observations: { result: string }[];
  triggered: Record<string, string>[];
}

describe("a product's rules changed by the consortium through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let batchId: string;
  const file = (name: string) => path.join(tmpdir(), `medstate-rules-${process.pid}-${name}`);
  const OLD = file("old.json");
  const NEW = file("new.json");
  const INVERTED = file("inverted.json");
  const NO_CODE = file("no-code.json");

  /** A storage reading of the batch at `degrees` by the manufacturer, which holds it. */
  const storageAt = (degrees: string) =>
    node.json<Observed>("observe", "--batch", batchId, "--point", "storage", "--measure", `temperature=${degrees}`, "--from", "1");

  before(async function () {
    node = await startLocalNode();
    const units = file("units.txt");
    await writeFile(units, `${Array.from({ length: 10 }, (_, i) => code(i)).join("\n")}\n`);
    await writeFile(OLD, JSON.stringify({ storage: { temperature: { min: 2, max: 8 } }, inspection: { criticalStops: true } }));
    await writeFile(NEW, JSON.stringify({ storage: { temperature: { min: 2, max: 5 } }, inspection: { criticalStops: true } }));
    await writeFile(INVERTED, JSON.stringify({ storage: { temperature: { min: 8, max: 2 } } }));
    await writeFile(NO_CODE, JSON.stringify({ storage: { temperature: { min: 2, max: 5 } }, ruleContract: PHARMACY_ADMIN, ruleGas: 50000 }));
    await node.json("system", "deploy");
    await registerProduct(node, { gtin: GTIN, name: "Influenza vaccine", approvalNo: "国药准字S20260001", rules: OLD });
    await registerProduct(node, { gtin: GTIN2, name: "Plain tablets", approvalNo: "国药准字H20260002" });
    ({ batchId } = await node.json<{ batchId: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-11-01", "--expiry", "2028-06-30",
      "--quantity", "10", "--units", units, "--from", "1",
    ));
  });

  after(async function () {
    await node?.stop();
  });

  it("lets the holder set a product's rules once, directly", async function () {
    const set = await node.json<Record<string, unknown>>("product", "rules", "--gtin", GTIN2, "--rules", OLD, "--from", "1");
    expect(set).to.deep.include({ gtin: GTIN2, set: true, by: "holder", party: "2" });
    expect(set.rules).to.deep.include({
      storageRange: { minTemperature: "200", maxTemperature: "800", maxHumidity: "255" },
      ruleContract: ZERO,
    });
  });

  it("turns the holder's second setting into a Call proposal, which the other voters and the regulator execute: 7 °C becomes critical", async function () {
    expect((await storageAt("7")).observations[0].result).to.equal("normal");

    const proposed = await node.json<Record<string, unknown>>("product", "rules", "--gtin", GTIN, "--rules", NEW, "--from", "1");
    expect(proposed).to.include({
      gtin: GTIN,
      kind: "call",
      proposerParty: "2",
      approvals: "1",
      threshold: "3",
      regulatorRequired: true,
      regulatorApproved: false,
      executed: false,
      set: false,
    });
    expect(proposed.proposalId).to.match(/^\d+$/);
    expect((proposed.rules as Record<string, unknown>).storageRange).to.deep.equal({ minTemperature: "200", maxTemperature: "500", maxHumidity: "255" });
    expect((proposed.previous as Record<string, unknown>).storageRange).to.deep.equal({ minTemperature: "200", maxTemperature: "800", maxHumidity: "255" });
    const proposalId = String(proposed.proposalId);

    // Not in effect before the completing vote.
    expect(await node.json("party", "vote", "--proposal", proposalId, "--from", "2")).to.include({ proposalId, approvals: "2", executed: false });
    expect((await storageAt("7")).observations[0].result).to.equal("normal");
    // Three of four approve: the threshold is met, but a Call needs the regulator too.
    expect(await node.json("party", "vote", "--proposal", proposalId, "--from", "4")).to.include({
      proposalId,
      kind: "call",
      approvals: "3",
      threshold: "3",
      regulatorApproved: false,
      executed: false,
    });
    expect((await storageAt("7")).observations[0].result).to.equal("normal");
    expect(await node.json("party", "vote", "--proposal", proposalId, "--from", "0")).to.include({
      proposalId,
      kind: "call",
      approvals: "4",
      threshold: "3",
      regulatorApproved: true,
      executed: true,
      gtin: GTIN,
      outcome: `rules of product ${GTIN} set`,
    });

    const excursion = await storageAt("7");
    expect(excursion.observations[0].result).to.equal("critical");
    expect(excursion.triggered).to.deep.equal([
      { subject: batchId, seq: "4", rule: "critical-observation", ruleContract: ZERO, action: "EmergencyStop", applied: "yes" },
    ]);
    expect(await node.json("batch", "show", "--batch", batchId)).to.include({
      batchId,
      state: "EmergencyStop",
      productState: "Marketed",
      effectiveState: "EmergencyStop",
    });
  });

  it("refuses a signer who may neither set the rules nor propose, in one line, sending nothing", async function () {
    await refusedWithoutChange(
      node,
      ["product", "rules", "--gtin", GTIN, "--rules", NEW, "--from", "5"],
      new RegExp(
        `^error: cannot set the rules of product ${GTIN}: its rules are already set \\(changes need a governance proposal\\), ` +
          `and ${PHARMACY_ADMIN} may not propose one: GovernorNotVoter\\(partyId=6\\)$`,
      ),
    );
  });

  it("refuses rules the engine would refuse at execution, before anything is proposed", async function () {
    await refusedWithoutChange(
      node,
      ["product", "rules", "--gtin", GTIN, "--rules", INVERTED, "--from", "1"],
      new RegExp(`^error: invalid --rules ${INVERTED.replace(/[.\\]/g, "\\$&")}: storage.temperature.min is above its max$`),
    );
    await refusedWithoutChange(
      node,
      ["product", "rules", "--gtin", GTIN, "--rules", NO_CODE, "--from", "1"],
      /^error: invalid --rules .*no-code\.json: the quality engine refuses them: QualityEngineInvalidRules\(field=ruleContract\)$/,
    );
    await refusedWithoutChange(
      node,
      ["product", "rules", "--gtin", "06901234567878", "--rules", NEW, "--from", "1"],
      /^error: BatchRegistryUnknownProduct\(gtin=06901234567878\)$/,
    );
  });
});
