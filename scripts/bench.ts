/**
 * Gas per operation for the standard scenario (`npm run bench`), measured on the
 * embedded network with the compiler settings we ship; prints a table and writes
 * bench/results.json.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { ContractTransactionResponse } from "ethers";
import hre from "hardhat";

import { productApplicationHash } from "../sdk/codes.js";
import { Domain, LicenceKind, PartyStatus, Point, Result, Role, UnitStatus, mask } from "../sdk/enums.js";
import {
  NO_HUMIDITY,
  NO_TEMPERATURE,
  OBSERVATION_TYPES,
  READING_TYPES,
  observationDomain,
  rulesFromJson,
} from "../sdk/quality.js";
import { buildUnitTree, proofFor } from "../sdk/units.js";
import { openDeployment } from "../tasks/lib/runtime.js";
import { run as deploy } from "../tasks/system/deploy.js";

const results: { operation: string; gas: number; note: string }[] = [];

async function measure(operation: string, tx: Promise<ContractTransactionResponse>, note = ""): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error(`${operation}: no receipt`);
  results.push({ operation, gas: Number(receipt.gasUsed), note });
}

await deploy({ reset: false, json: false }, hre);
const { ethers, registry, governor, batches, quality, collaboration, suspects } = await openDeployment(hre);
const signers = await ethers.getSigners();
const [regulator, maker, wholesaler, , hospital, pharmacy] = signers;
const [newAdmin, person, device, rotated] = signers.slice(7, 11);
const expiry = BigInt(Math.floor(Date.parse("2030-06-30") / 1000));
const licence = { kind: LicenceKind.GoodSupplyPractice, documentHash: ethers.id("GSP"), issuer: 1n, expiresAt: expiry };

// ==== governance: admitting a party (n = 4, threshold 3, regulator required) ====
await measure(
  "governor.proposeAdmission (1 licence)",
  governor.connect(maker).proposeAdmission({
    name: "Jiangnan Pharma Wholesale Co., Ltd.",
    domain: Domain.Wholesaler,
    admin: newAdmin.address,
    voter: false,
    licences: [licence],
  }),
);
await measure("governor.vote (approval)", governor.connect(maker).vote(1n), "first approval: new slots");
await governor.connect(wholesaler).vote(1n);
await measure("governor.vote (approval, later)", governor.connect(hospital).vote(1n), "threshold met, waits for the regulator");
await measure("governor.vote (executes admitParty)", governor.connect(regulator).vote(1n), "admits, enrols admin, grants licence");
const partyId = await registry.partyCount();

// ==== members ====
await measure("registry.addMember", registry.connect(newAdmin).addMember(partyId, person.address, Role.Operator));
await registry.connect(newAdmin).addMember(partyId, device.address, Role.Device);
await measure("registry.rotateMember", registry.connect(newAdmin).rotateMember(partyId, device.address, rotated.address));
await measure("registry.removeMember", registry.connect(newAdmin).removeMember(partyId, person.address));

// ==== licences and regulator powers ====
await measure(
  "registry.grantLicence (regulator)",
  registry.connect(regulator).grantLicence(partyId, { ...licence, kind: LicenceKind.Distribution }),
);
await measure("registry.revokeLicence (regulator)", registry.connect(regulator).revokeLicence(partyId, LicenceKind.Distribution));
await measure("registry.suspendParty (regulator)", registry.connect(regulator).suspendParty(partyId), "immediate");

// ==== reinstatement through governance ====
await measure("governor.proposePartyStatus", governor.connect(maker).proposePartyStatus(partyId, PartyStatus.Active));
const reinstate = await governor.proposalCount();
await governor.connect(maker).vote(reinstate);
await governor.connect(wholesaler).vote(reinstate);
await measure("governor.vote (executes setPartyStatus)", governor.connect(hospital).vote(reinstate));

// ==== the check every later contract makes ====
const probe = await ethers.deployContract("MembershipCheckProbe", [await registry.getAddress()]);
const inner = await probe.measure(maker.address, mask(Role.Operator, Role.Admin), mask(Domain.Manufacturer));
results.push({
  operation: "registry.requireMember (inside a contract)",
  gas: Number(inner),
  note: "one external call, cold registry; what a contract without a mirror pays",
});
const estimated = await registry.requireMember.estimateGas(maker.address, mask(Role.Admin), mask(Domain.Manufacturer));
results.push({ operation: "registry.requireMember (eth_estimateGas)", gas: Number(estimated), note: "incl. 21,000 base" });

// ==== products, batches, custody, units (issue 3) ====
const GTIN = 6901234567892n;
const unitCode = (lot: string, i: number) => `010${GTIN}21${lot}-${String(i).padStart(7, "0")}`;
const qa = signers[12];
await registry.connect(maker).addMember(2n, qa.address, Role.QA);
await measure(
  "batches.registerProduct (the holder applies)",
  batches.connect(maker).registerProduct(GTIN, "Amoxicillin Capsules 0.25g", "国药准字H20230001", 8123456),
  "stores the application",
);
await measure(
  "batches.approveProduct (regulator)",
  batches.connect(regulator).approveProduct(GTIN, 2n, productApplicationHash(await batches.productApplication(GTIN, 2n))),
  "registers it, binds the GTIN and code",
);
const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const trees = new Map<string, Awaited<ReturnType<typeof buildUnitTree>>>();
for (const [lot, count] of [
  ["S10", 10],
  ["K1", 1_000],
  ["M1M", 1_000_000],
] as const) {
  const started = Date.now();
  const tree = await buildUnitTree(Array.from({ length: count }, (_, i) => unitCode(lot, i)));
  trees.set(lot, tree);
  const label = `batches.createBatch (${count.toLocaleString("en-US")} units)`;
  await measure(
    label,
    batches.connect(maker).createBatch({
      gtin: GTIN,
      lot,
      manufacturedAt: now - 86_400n,
      expiresAt: now + 700n * 86_400n,
      quantity: count,
      unitsRoot: tree.root,
      unitCount: tree.count,
    }),
    `units tree built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // The standard scenario's 1,000-unit batch serves the verify row; its creation costs the same.
  if (count === 1_000) results.pop();
}
const batchId = await batches.batchIdOf(GTIN, "M1M");
const small = await batches.batchIdOf(GTIN, "S10");
const thousand = await batches.batchIdOf(GTIN, "K1");
/** An observation of `subject` without measures or evidence, then `extra`. */
const reading = (subject: string, point: number, extra: Record<string, unknown> = {}) => ({
  subject,
  point,
  result: Result.Normal,
  temperature: NO_TEMPERATURE,
  humidity: NO_HUMIDITY,
  corrects: 0,
  evidenceHash: ethers.ZeroHash,
  evidenceUri: "",
  ...extra,
});
// A release needs a normal inspection (issue 4).
await measure("quality.observe (inspection by the maker's QA)", quality.connect(qa).observe(reading(batchId, Point.Inspection)), "sets the batch's inspected flag");
await measure("batches.releaseBatch", batches.connect(qa).releaseBatch(batchId));
for (const id of [small, thousand]) {
  await quality.connect(qa).observe(reading(id, Point.Inspection));
  await batches.connect(qa).releaseBatch(id);
}
const shipped = async (tx: Promise<ContractTransactionResponse>) => {
  const receipt = (await (await tx).wait())!;
  return { receipt, id: String(receipt.logs.map((l) => batches.interface.parseLog(l)).find((e) => e?.name === "Shipped")!.args.shipmentId) };
};
const first = await shipped(batches.connect(maker).ship(batchId, 3n, 1_000n));
results.push({ operation: "batches.ship", gas: Number(first.receipt.gasUsed), note: "new one-slot shipment" });
await measure("batches.receiveShipment (first stock of the batch)", batches.connect(wholesaler).receiveShipment(batchId, first.id), "new holding slot");
const again = await shipped(batches.connect(maker).ship(batchId, 3n, 10n));
await measure("batches.receiveShipment (adds to stock)", batches.connect(wholesaler).receiveShipment(batchId, again.id));
const toPharmacy = await shipped(batches.connect(wholesaler).ship(batchId, 6n, 100n));
await batches.connect(pharmacy).receiveShipment(batchId, toPharmacy.id);
const tree = trees.get("M1M")!;
const unit = (i: number) => ({ batchId, ...proofFor(tree.tree, i) });
results.push({
  operation: "batches.verify (eth_estimateGas, 1,000,000 units)",
  gas: Number(await batches.verify.estimateGas(unit(0))),
  note: "20-level proof, 836 bytes of calldata",
});
for (const [lot, id, levels] of [
  ["S10", small, 4],
  ["K1", await batches.batchIdOf(GTIN, "K1"), 10],
] as const) {
  const t = trees.get(lot)!;
  results.push({
    operation: `batches.verify (eth_estimateGas, ${t.count.toLocaleString("en-US")} units)`,
    gas: Number(await batches.verify.estimateGas({ batchId: id, ...proofFor(t.tree, 0) })),
    note: `${levels}-level proof`,
  });
}
// A record word holds four units: the first dispense of a word creates it (a new
// storage slot), the other three update it. Over a batch's life every word is created
// exactly once, whatever the order of dispenses, so the mean of one word's four is
// the mean per dispense of the whole batch.
const word: number[] = [];
for (let i = 0; i < 4; i++) {
  word.push(Number((await (await batches.connect(pharmacy).dispense(unit(i))).wait())!.gasUsed));
}
results.push(
  { operation: "batches.dispense (1,000,000 units)", gas: Math.max(...word.slice(1)), note: "unit record word exists: 3 of 4 dispenses" },
  { operation: "batches.dispense (1,000,000 units, first of a word)", gas: word[0], note: "creates the unit-record word: 1 of 4" },
  { operation: "batches.dispense (1,000,000 units, mean per dispense)", gas: Math.round(word.reduce((a, b) => a + b) / 4), note: "over a batch's life" },
);
await measure("batches.dispense of a dispensed unit (suspect)", batches.connect(hospital).dispense(unit(0)), "report recorded");
await measure("batches.undoDispense", batches.connect(pharmacy).undoDispense(unit(1)));

// ==== unit administration and the regulator's corrections (issue 12) ====
await measure("batches.decommission (locked)", batches.connect(pharmacy).decommission(unit(10), UnitStatus.Locked), "sets one unit of own stock aside");
await measure("batches.reactivate", batches.connect(pharmacy).reactivate(unit(10)));
await measure("batches.decommission (destroyed)", batches.connect(pharmacy).decommission(unit(11), UnitStatus.Destroyed), "one unit of own stock");
await measure("batches.restoreUnit (destroyed, regulator)", batches.connect(regulator).restoreUnit(unit(11)), "credits the marking party");
await measure("batches.restoreUnit (dispensed, regulator)", batches.connect(regulator).restoreUnit(unit(2)), "undoes another party's dispense");

// ==== observations, rules, states, recall (issue 4) ====
const logger = signers[13];
const gateway = signers[14];
await registry.connect(wholesaler).addMember(3n, logger.address, Role.Device);
await measure(
  "quality.setRules (by the holder, once)",
  quality.connect(maker).setRules(GTIN, rulesFromJson({ storage: { temperature: { min: 2, max: 25 }, humidity: { max: 65 } }, transport: { temperature: { min: 2, max: 25 } }, inspection: { criticalStops: true } })),
);
const storage = (celsius: number) => reading(batchId, Point.Storage, { temperature: Math.round(celsius * 100), humidity: 4500 });
await quality.connect(logger).observe(storage(5));
await measure("quality.observe (storage reading, a holder's logger)", quality.connect(logger).observe(storage(5.5)), "target ≤ 45,000; peer: 104,803");
/** Gas per reading of a transaction that records `count`, with the whole transaction in the note. */
const perReading = async (operation: string, tx: Promise<ContractTransactionResponse>, count: number, note: string) => {
  const gas = Number((await (await tx).wait())!.gasUsed);
  results.push({ operation, gas: Math.round(gas / count), note: `${note}; ${gas.toLocaleString("en-US")} for the transaction` });
};
const series = Array.from({ length: 100 }, (_, i) => storage(4 + (i % 30) / 10));
await perReading("quality.observeMany (100 observations, per observation)", quality.connect(logger).observeMany(series), 100, "full records");
await perReading(
  "quality.observeReadings (100 readings of a batch, per reading)",
  quality.connect(logger).observeReadings(batchId, series.map(({ point, result, temperature, humidity }) => ({ point, result, temperature, humidity }))),
  100,
  "target ≤ 8,000",
);
const { chainId } = await ethers.provider.getNetwork();
const domain = observationDomain(chainId, await batches.getAddress());
const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3600n;
let nonce = await quality.nonces(logger.address);
const signedReadings = [];
for (const { point, result, temperature, humidity } of series) {
  const reading = { point, result, temperature, humidity };
  const signature = ethers.Signature.from(
    await logger.signTypedData(domain, READING_TYPES, { subject: batchId, ...reading, nonce: nonce++, deadline }),
  );
  signedReadings.push({ reading, deadline, r: signature.r, vs: signature.yParityAndS });
}
await perReading(
  "quality.observeSignedReadings (100 device-signed, per reading)",
  quality.connect(gateway).observeSignedReadings(batchId, logger.address, signedReadings),
  100,
  "target ≤ 15,000; one EIP-712 signature per reading, submitted by a gateway",
);
const signed = [];
for (const o of series) {
  const signature = await logger.signTypedData(domain, OBSERVATION_TYPES, { ...o, nonce: nonce++, deadline });
  signed.push({ observation: o, device: logger.address, deadline, signature });
}
await perReading(
  "quality.observeSigned (100 device-signed full records, per observation)",
  quality.connect(gateway).observeSigned(signed),
  100,
  "with corrections/evidence fields",
);
for (const [label, subject] of [["2 observations", small], ["403 observations", batchId]] as const) {
  results.push({
    operation: `collaboration.subjectRecord (eth_estimateGas, ${label})`,
    gas: Number(await collaboration.subjectRecord.estimateGas(subject)),
    note: "a state read: independent of history length",
  });
}

// ==== suspect-product cases (DSCSA) ====
/** The case id a report returns, from its event. */
const opened = async (tx: Promise<ContractTransactionResponse>, operation: string, note: string) => {
  const receipt = (await (await tx).wait())!;
  results.push({ operation, gas: Number(receipt.gasUsed), note });
  return String(receipt.logs.map((l) => suspects.interface.parseLog(l)).find((e) => e?.name === "SuspectCaseOpened")!.args.caseId);
};
const WHOLE_BATCH = await suspects.WHOLE_BATCH();
const cleared = await opened(
  suspects.connect(wholesaler).reportSuspect(batchId, WHOLE_BATCH, 50n, ethers.id("seal"), "broken seals"),
  "suspects.reportSuspect (whole batch, quarantines 50)",
  "held → case",
);
await opened(
  suspects.connect(pharmacy).reportSuspect(batchId, 0n, 0n, ethers.ZeroHash, "clone detected at dispensing"),
  "suspects.reportSuspect (one unit, a clone)",
  "no stock moves",
);
await measure("suspects.investigateSuspect", suspects.connect(wholesaler).investigateSuspect(cleared));
await measure("suspects.concludeSuspect (cleared, regulator)", suspects.connect(regulator).concludeSuspect(cleared, false, ethers.id("lab")), "case → held");
const fake = await opened(
  suspects.connect(wholesaler).reportSuspect(batchId, WHOLE_BATCH, 20n, ethers.id("price"), "offered below cost"),
  "suspects.reportSuspect (whole batch, quarantines 20)",
  "second case of the batch",
);
await suspects.connect(maker).investigateSuspect(fake);
await measure("suspects.concludeSuspect (illegitimate)", suspects.connect(regulator).concludeSuspect(fake, true, ethers.id("lab")), "24-hour notice starts");
await measure("suspects.notifyIllegitimate", suspects.connect(wholesaler).notifyIllegitimate(fake, ethers.id("notice")));
await measure("suspects.closeSuspect (regulator)", suspects.connect(regulator).closeSuspect(fake), "case → destroyed");

// 100 holders of the 1,000-unit batch: pharmacies admitted by the governor (impersonated:
// the bench measures the recall, not 100 admissions), each receiving one box.
const gov = await ethers.getImpersonatedSigner(await governor.getAddress());
await ethers.provider.send("hardhat_setBalance", [await gov.getAddress(), "0x3635C9ADC5DEA00000"]);
const holders = [];
for (let i = 0; i < 99; i++) {
  const admin = ethers.Wallet.createRandom().connect(ethers.provider);
  await ethers.provider.send("hardhat_setBalance", [admin.address, "0x3635C9ADC5DEA00000"]);
  await registry.connect(gov).admitParty({
    name: `Pharmacy ${i + 1}`,
    domain: Domain.Pharmacy,
    admin: admin.address,
    voter: false,
    licences: [{ ...licence, kind: LicenceKind.Distribution }],
  });
  holders.push({ admin, partyId: await registry.partyCount() });
}
for (const h of holders) {
  const sent = await shipped(batches.connect(maker).ship(thousand, h.partyId, 1n));
  await (await batches.connect(h.admin).receiveShipment(thousand, sent.id)).wait();
}
await measure("collaboration.transition (EmergencyStop, by the regulator)", collaboration.connect(regulator).transition(thousand, 1, "excursion"));
await collaboration.connect(regulator).transition(small, 1, "excursion");
await measure("collaboration.openRecall (1 holder)", collaboration.connect(regulator).openRecall(small, 1, "storage excursion"), "target ≤ 80,000");
await measure(
  "collaboration.openRecall (100 holders)",
  collaboration.connect(regulator).openRecall(thousand, 1, "storage excursion"),
  "target ≤ 80,000; reads no holding",
);
await measure("collaboration.returnStock", collaboration.connect(holders[0].admin).returnStock(thousand, 1n), "holding → quarantine");
await measure("collaboration.seizeStock (regulator)", collaboration.connect(regulator).seizeStock(thousand, holders[1].partyId, 1n), "a holder's stock → quarantine, without it");
await collaboration.connect(maker).returnStock(thousand, 10n);
await measure("collaboration.proposeDestruction", collaboration.connect(maker).proposeDestruction(thousand, 12n));
const proposal = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "string", "uint32"], [thousand, "destruction", 1n]));
await measure(
  "collaboration.witnessDestruction (regulator, stock still out)",
  collaboration.connect(regulator).witnessDestruction(thousand, proposal),
  "quarantine → destroyed; the batch stays under recall",
);
// The small batch: its maker returns everything, and the last witnessed destruction accounts for every unit.
await collaboration.connect(maker).returnStock(small, 10n);
await collaboration.connect(maker).proposeDestruction(small, 10n);
const last = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "string", "uint32"], [small, "destruction", 1n]));
await measure("collaboration.witnessDestruction (regulator, enters Destroyed)", collaboration.connect(regulator).witnessDestruction(small, last), "every unit accounted for");
await collaboration.connect(regulator).transition(ethers.toBeHex(GTIN, 32), 1, "product stop");
await measure("collaboration.transition (product: Deregistered)", collaboration.connect(maker).transition(ethers.toBeHex(GTIN, 32), 4, "withdrawn"));

// ==== governance's corrections (issue 12) ====
await measure(
  "governor.proposeCall (run and undone first)",
  governor.connect(maker).proposeCall(await batches.getAddress(), batches.interface.encodeFunctionData("setDispenseUndoWindow", [7 * 86_400])),
  "a call that would fail is refused",
);
await measure("batches.reassignProduct (governor)", batches.connect(gov).reassignProduct(GTIN, 2n, 8123457), "holder and national code");

const width = Math.max(...results.map((r) => r.operation.length));
console.log(`${"operation".padEnd(width)}  ${"gas".padStart(9)}  note`);
console.log(`${"-".repeat(width)}  ${"-".repeat(9)}  ----`);
for (const r of results) console.log(`${r.operation.padEnd(width)}  ${r.gas.toLocaleString("en-US").padStart(9)}  ${r.note}`);

const file = path.join(hre.config.paths.root, "bench", "results.json");
await mkdir(path.dirname(file), { recursive: true });
// The replay's section belongs to scripts/bench-replay.ts (`npm run bench` runs it next): keep it.
const previous = await readFile(file, "utf8").then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}) as Record<string, unknown>);
await writeFile(
  file,
  `${JSON.stringify({ network: "embedded (edr-simulated)", scenario: "consortium of 7 (n = 4 voters); a product, batches of 10, 1,000 and 1,000,000 units, manufacturer → wholesaler → pharmacy; a wholesaler's logger and gateway; 100 holders of one batch", operations: results, ...(previous.replay === undefined ? {} : { replay: previous.replay }) }, null, 2)}\n`,
);
console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
