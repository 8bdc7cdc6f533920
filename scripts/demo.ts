/**
 * A walkthrough on the embedded Hardhat network (`npm run demo`): the consortium
 * forms, a new wholesaler is admitted by a BFT supermajority, its members (a person
 * and a device) are enrolled, and the regulator suspends it, after which its next
 * action is refused; then a product (applied for by its maker, approved by the
 * regulator), a batch of serialised units, its journey to a
 * pharmacy, a dispense, and a cloned code caught and reported; then a vaccine with a
 * 2–8 °C rule, whose batch stops by itself when a logger reads 9.5 °C, is recalled at
 * level I, returned and destroyed under a notary's witness; the clone's suspect case
 * runs to its close; an auditor replays the whole chain (0 mismatches) and exports the
 * recalled batch as EPCIS 2.0. It drives the same task code operators run from the CLI.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import hre from "hardhat";

import { faultTolerance, threshold } from "../sdk/bft.js";
import { describeError } from "../sdk/errors.js";
import { shortenIds } from "../sdk/references.js";
import { run as vote } from "../tasks/party/vote.js";
import { run as propose } from "../tasks/party/propose.js";
import { run as listParties } from "../tasks/party/list.js";
import { run as suspend } from "../tasks/party/suspend.js";
import { run as addMember } from "../tasks/member/add.js";
import { openDeployment } from "../tasks/lib/runtime.js";
import { run as deploy } from "../tasks/system/deploy.js";
import { run as createBatch } from "../tasks/batch/create.js";
import { run as writeUnits } from "../tasks/batch/units.js";
import { run as listBatches } from "../tasks/batch/list.js";
import { run as listShipments } from "../tasks/shipment/list.js";
import { run as showProposal } from "../tasks/proposal/show.js";
import { run as receiveShipment } from "../tasks/batch/receive.js";
import { run as releaseBatch } from "../tasks/batch/release.js";
import { run as shipBatch } from "../tasks/batch/ship.js";
import { run as showBatch } from "../tasks/batch/show.js";
import { run as applyForProduct } from "../tasks/product/register.js";
import { run as approveProduct } from "../tasks/product/approve.js";
import { run as listApplications } from "../tasks/product/applications.js";
import { run as setRules } from "../tasks/product/rules.js";
import { run as dispenseUnit } from "../tasks/unit/dispense.js";
import { run as listReports } from "../tasks/unit/reports.js";
import { run as verifyUnit } from "../tasks/unit/verify.js";
import { run as observe } from "../tasks/observe/observe.js";
import { run as destroy } from "../tasks/state/destroy.js";
import { run as overdue } from "../tasks/state/overdue.js";
import { run as recall } from "../tasks/state/recall.js";
import { run as returnStock } from "../tasks/state/return.js";
import { run as showState } from "../tasks/state/show.js";
import { run as witness } from "../tasks/state/witness.js";
import { run as investigateCase } from "../tasks/suspect/investigate.js";
import { run as concludeCase } from "../tasks/suspect/conclude.js";
import { run as notifyCase } from "../tasks/suspect/notify.js";
import { run as closeCase } from "../tasks/suspect/close.js";
import { run as showCase } from "../tasks/suspect/show.js";
import { run as replay } from "../tasks/audit/replay.js";
import { run as exportBatch } from "../tasks/audit/export.js";

const { ethers } = await hre.network.getOrCreate();
const accounts = (await ethers.getSigners()).map((s) => s.address);
const say = (text = "") => console.log(shortenIds(text));
const step = (n: number, title: string) => say(`\n── ${n}. ${title} ${"─".repeat(Math.max(0, 66 - title.length))}`);
const indent = (text: string) => text.split("\n").map((l) => `   ${l}`).join("\n");

step(1, "The consortium forms");
say(indent((await deploy({ reset: false, json: false }, hre)).human));
say(indent((await listParties({ json: false }, hre)).human));

step(2, "A new wholesaler asks to join");
const { registry } = await openDeployment(hre);
const voters = Number(await registry.activeVoterCount());
say(
  indent(
    `Voting parties: n = ${voters}. BFT tolerates f = ⌊(n−1)/3⌋ = ${faultTolerance(voters)} faulty voter,\n` +
      `so a proposal needs n − f = ${threshold(voters)} approvals (more than two thirds),\n` +
      "and an admission also needs the regulator among the approvers.",
  ),
);
const newAdmin = accounts[7];
const proposal = await propose(
  {
    name: "Jiangnan Pharma Wholesale Co., Ltd.",
    domain: "wholesaler",
    admin: newAdmin,
    license: `gsp:${ethers.id("GSP certificate A-ZJ-26-0042")}:2030-06-30:1,distribution:${ethers.id("药品经营许可证 浙AA5710042")}:2030-06-30:1`,
    voter: false,
    from: "maker",
    json: false,
  },
  hre,
);
say(indent(`Qiantang Pharmaceutical proposes it: ${proposal.human}`));
const proposalId = String((proposal.json as { proposalId: string }).proposalId);
say(indent("Every voter reads what it votes on (`proposal show`):"));
say(indent((await showProposal({ proposal: proposalId, json: false }, hre)).human));
let partyId = "";
for (const [from, who] of [
  ["maker", "Qiantang Pharmaceutical (manufacturer)"],
  ["wholesaler", "Xihu Pharma Distribution (wholesaler)"],
  ["hospital", "Riverside People's Hospital"],
  ["regulator", "Zhejiang MPA (regulator)"],
] as const) {
  const result = await vote({ proposal: proposalId, from, json: false }, hre);
  partyId = String((result.json as { partyId?: string }).partyId ?? "");
  say(indent(`${who.padEnd(40)} votes → ${result.human}`));
}

step(3, "The wholesaler enrols its people and devices");
const person = accounts[8];
const device = accounts[12];
say(indent((await addMember({ party: partyId, account: person, role: "operator", from: "7", json: false }, hre)).human));
say(indent((await addMember({ party: partyId, account: device, role: "device", from: "7", json: false }, hre)).human));

step(4, "The regulator suspends the wholesaler, with immediate effect");
say(indent((await suspend({ party: "Jiangnan", from: "regulator", json: false }, hre)).human));
try {
  await addMember({ party: "Jiangnan", account: accounts[16], role: "qa", from: "7", json: false }, hre);
  throw new Error("the suspended party was able to act");
} catch (error) {
  say(indent(`The wholesaler's admin tries to enrol one more member → refused:\n  ${describeError(error)}`));
}
say(indent("Reinstatement needs a governance proposal (`npx hardhat party reinstate`)."));

step(5, "Where everyone stands");
say(indent((await listParties({ json: false }, hre)).human));

step(6, "A product and a batch of 1,000 serialised units");
const qa = accounts[9];
say(indent((await addMember({ party: "Qiantang", account: qa, role: "qa", from: "maker", json: false }, hre)).human));
const gtin = "06901234567892";
say(indent("A product exists once the regulator approves its holder's application (no one can squat its codes):"));
say(
  indent(
    (
      await applyForProduct(
        { gtin, name: "Amoxicillin Capsules 0.25g", approvalNo: "国药准字H20230001", nationalCode: "8123456", from: "maker", json: false },
        hre,
      )
    ).human,
  ),
);
say(indent("The regulator examines the pending application (`product applications`) and approves exactly that one, by its hash:"));
const applications = await listApplications({ gtin, json: false }, hre);
say(indent(applications.human));
const [examined] = applications.json as { applicationHash: string }[];
say(indent((await approveProduct({ gtin, applicant: "Qiantang", application: examined.applicationHash, from: "regulator", json: false }, hre)).human));
const unitsFile = path.join(await mkdtemp(path.join(tmpdir(), "medstate-demo-")), "units.txt");
say(indent("The maker writes the lot's 1,000 serial codes (`batch units`) and commits them as one Merkle root (`batch create`):"));
say(indent((await writeUnits({ gtin, lot: "L2026A", expiry: "2028-06-30", count: "1000", out: unitsFile, force: false, json: false }, hre)).human));
const code = (i: number) => `(01)${gtin}(21)L2026A${String(i).padStart(7, "0")}(10)L2026A(17)280630`;
const created = await createBatch(
  { gtin, lot: "L2026A", manufactured: "2026-10-01", expiry: "2028-06-30", quantity: "1000", units: unitsFile, from: "maker", json: true },
  hre,
);
const lot = `${gtin}/L2026A`;
say(indent(created.human));
say(indent(`From here on the batch is named as people name it: ${lot}.`));
say(indent("A release needs a normal inspection; the QA records one, then releases:"));
say(indent((await observe({ batch: lot, point: "inspection", result: "normal", from: "maker-qa", json: false }, hre)).human));
say(indent((await releaseBatch({ batch: lot, from: "maker-qa", json: false }, hre)).human));

step(7, "Manufacturer → wholesaler → pharmacy");
const hop = async (to: string, quantity: string, from: string, receiver: string) => {
  const shipment = await shipBatch({ batch: lot, to, quantity, from, json: false }, hre);
  say(indent(shipment.human));
  say(indent("The receiver sees it coming (`shipment list --incoming --open`) and takes it in by the short id it shows:"));
  const incoming = await listShipments({ incoming: true, outgoing: false, open: true, from: receiver, json: false }, hre);
  say(indent(incoming.human));
  const shipmentId = String((shipment.json as { shipmentId: string }).shipmentId);
  const short = `${shipmentId.slice(0, 6)}…${shipmentId.slice(-4)}`;
  say(indent((await receiveShipment({ shipment: short, from: receiver, json: false }, hre)).human));
  say(indent((await showBatch({ batch: lot, json: false }, hre)).human));
};
await hop("Xihu", "200", "maker", "wholesaler");
await hop("Kangjian", "50", "wholesaler", "pharmacy");
say(indent((await listBatches({ json: false }, hre)).human));

step(8, "A box is dispensed; its code turns up again at another pharmacy");
say(indent(`A patient's box ${code(7)}:`));
say(indent(`  verify   → ${(await verifyUnit({ code: code(7), report: false, json: false }, hre)).human}`));
say(indent(`  dispense → ${(await dispenseUnit({ code: code(7), from: "pharmacy", json: false }, hre)).human}`));
const second = await propose(
  { name: "Anxin Pharmacy", domain: "pharmacy", admin: accounts[13], voter: false, from: "maker", json: false },
  hre,
);
const secondId = String((second.json as { proposalId: string }).proposalId);
for (const from of ["maker", "wholesaler", "hospital", "regulator"]) await vote({ proposal: secondId, from, json: false }, hre);
say(indent("Anxin Pharmacy joins the consortium (proposal voted through) and is offered a box with the same code:"));
const clone = await dispenseUnit({ code: code(7), from: "13", json: false }, hre);
say(indent(`  dispense → ${clone.human}`));
say(indent(`  the chain records it for the regulator and the holders: ${clone.alarm ?? ""}`));
say(indent("The regulator lists the reports (`unit reports`):"));
say(indent((await listReports({ from: "regulator", json: false }, hre)).human));
const caseId = String((clone.json as { caseId: string }).caseId);
say(indent(`The dispense opened suspect case ${caseId} by itself (DSCSA): the maker investigates, the regulator concludes.`));
say(indent((await investigateCase({ case: caseId, from: "maker", json: false }, hre)).human));
say(indent((await concludeCase({ case: caseId, finding: "illegitimate", from: "regulator", json: false }, hre)).human));
say(indent((await notifyCase({ case: caseId, from: "13", json: false }, hre)).human));
say(indent((await closeCase({ case: caseId, from: "regulator", json: false }, hre)).human));
say(indent((await showCase({ case: caseId, json: false }, hre)).human));

step(9, "A vaccine with a 2–8 °C rule goes out");
const vaccine = "06901234567885";
const rulesFile = path.join(path.dirname(unitsFile), "vaccine-rules.json");
await writeFile(
  rulesFile,
  JSON.stringify({ storage: { temperature: { min: 2, max: 8 }, humidity: { max: 65 } }, transport: { temperature: { min: 2, max: 8 } }, inspection: { criticalStops: true } }),
);
say(indent((await applyForProduct({ gtin: vaccine, name: "Influenza Vaccine (Split Virion)", approvalNo: "国药准字S20260001", from: "maker", json: false }, hre)).human));
say(indent((await approveProduct({ gtin: vaccine, applicant: "Qiantang", from: "regulator", json: false }, hre)).human));
say(indent((await setRules({ gtin: vaccine, rules: rulesFile, from: "maker", json: false }, hre)).human));
const vaxUnits = path.join(path.dirname(unitsFile), "vaccine-units.txt");
const vax = (i: number) => `(01)${vaccine}(21)V${String(i).padStart(6, "0")}(10)VAX26A(17)271130`;
await writeFile(vaxUnits, `${Array.from({ length: 200 }, (_, i) => vax(i)).join("\n")}\n`);
const vaxBatchId = String(
  ((await createBatch({ gtin: vaccine, lot: "VAX26A", manufactured: "2026-11-01", expiry: "2027-11-30", quantity: "200", units: vaxUnits, from: "maker", json: true }, hre)).json as { batchId: string }).batchId,
);
const vaxBatch = `${vaccine}/VAX26A`;
await observe({ batch: vaxBatch, point: "inspection", result: "normal", from: "maker-qa", json: false }, hre);
await releaseBatch({ batch: vaxBatch, from: "maker-qa", json: false }, hre);
for (const [to, quantity, from, receiver] of [["Xihu", "120", "maker", "wholesaler"], ["Kangjian", "40", "wholesaler", "pharmacy"]] as const) {
  const shipment = await shipBatch({ batch: vaxBatch, to, quantity, from, json: true }, hre);
  await receiveShipment({ shipment: String((shipment.json as { shipmentId: string }).shipmentId), from: receiver, json: false }, hre);
}
say(indent(`Batch ${vaxBatch} (${vaxBatchId}): inspected, released; maker 80, Xihu Pharma Distribution 120 → 80 after 40 went on to Kangjian Pharmacy.`));
const logger = accounts[10];
say(indent((await addMember({ party: "Xihu", account: logger, role: "device", from: "wholesaler", json: false }, hre)).human));

step(10, "The wholesaler's cold-chain logger reads 5.1 °C, then 9.5 °C");
say(indent((await observe({ batch: vaxBatch, point: "storage", measure: "temperature=5.1,humidity=42", from: "logger", json: false }, hre)).human));
say(indent((await observe({ batch: vaxBatch, point: "storage", measure: "temperature=9.5,humidity=44", from: "logger", json: false }, hre)).human));
say(indent("No one had to act: the product's rule made the reading critical and stopped the batch."));
say(indent((await showState({ batch: vaxBatch, json: false }, hre)).human));

step(11, "Every party sees the stop at once");
try {
  await shipBatch({ batch: vaxBatch, to: "Kangjian", quantity: "10", from: "wholesaler", json: false }, hre);
  throw new Error("a stopped batch was shipped");
} catch (error) {
  say(indent(`The wholesaler tries to ship 10 more boxes → refused:\n  ${describeError(error)}`));
}
say(indent(`A pharmacist checks a box: ${(await verifyUnit({ code: vax(3), report: false, json: false }, hre)).human}`));

step(12, "The regulator recalls the batch at level I; holders send their stock back");
const opened = await recall({ batch: vaxBatch, level: "1", reason: "storage excursion 9.5 °C at Xihu Pharma Distribution", from: "regulator", json: false }, hre);
say(indent(opened.human));
const recallId = String((opened.json as { recallId: string }).recallId);
for (const [quantity, from] of [["80", "wholesaler"], ["40", "pharmacy"], ["80", "maker"]] as const) {
  say(indent((await returnStock({ recall: recallId, quantity, from, json: false }, hre)).human));
}
say(indent(`Overdue recalls: ${(await overdue({ json: false }, hre)).human}`));

step(13, "A notary witnesses the destruction");
const notary = await propose({ name: "Hangzhou Notary Office", domain: "notary", admin: accounts[15], voter: false, from: "maker", json: false }, hre);
for (const from of ["maker", "wholesaler", "hospital", "regulator"]) await vote({ proposal: String((notary.json as { proposalId: string }).proposalId), from, json: false }, hre);
say(indent("Hangzhou Notary Office joins the consortium (proposal voted through)."));
const proposed = await destroy({ batch: vaxBatch, quantity: "200", from: "maker", json: false }, hre);
say(indent(proposed.human));
say(indent((await witness({ destruction: String((proposed.json as { destructionId: string }).destructionId), from: "15", json: false }, hre)).human));
say(indent((await showState({ batch: vaxBatch, json: false }, hre)).human));
say(indent(`The pharmacist checks the box again: ${(await verifyUnit({ code: vax(3), report: false, json: false }, hre)).human}`));

step(14, "An auditor replays the chain and exports the recalled batch");
say(indent("From the event log alone, the whole state is rebuilt and compared with every view:"));
say(indent((await replay({ json: false }, hre)).human));
const epcis = path.join(path.dirname(unitsFile), "vaccine-batch.epcis.json");
say(indent((await exportBatch({ batch: vaxBatch, format: "epcis", out: epcis, json: false }, hre)).human));
say();
say("Next: check a box on the verification page. The demo's chain ended with it; the page needs one that");
say("outlives a command: `npm run node`, the README's Getting started, then `npx hardhat gateway --network localhost`");
say("and open http://127.0.0.1:8080/ (README: Verifying a box).");
