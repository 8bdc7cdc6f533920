/**
 * Gas per operation for the standard scenario (`npm run bench`), measured on the
 * embedded network with the compiler settings we ship; prints a table and writes
 * bench/results.json.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import hre from "hardhat";

import { type PalletLine, basketGroups } from "../sdk/baskets.js";
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
import { type UnitTree, buildUnitTree, proofFor } from "../sdk/units.js";
import { openDeployment } from "../tasks/lib/runtime.js";
import { run as deploy } from "../tasks/system/deploy.js";

const results: { operation: string; gas: number; note: string }[] = [];

async function measure(operation: string, tx: Promise<ContractTransactionResponse>, note = ""): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error(`${operation}: no receipt`);
  results.push({ operation, gas: Number(receipt.gasUsed), note });
}

await deploy({ reset: false, json: false }, hre);
const { connection, ethers, registry, governor, batches, quality, collaboration, suspects } = await openDeployment(hre);
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
// Unknown codes (EU FMD's unknown pack): a report is an event and a counter, no stock moves.
const unknownHash = (serial: string) => ethers.keccak256(ethers.toUtf8Bytes(`01${GTIN.toString().padStart(14, "0")}21${serial}`));
await measure("suspects.reportUnknownCode (first report of the chain)", suspects.connect(pharmacy).reportUnknownCode(unknownHash("FAKE0"), GTIN), "counter slot from zero");
await measure("suspects.reportUnknownCode", suspects.connect(pharmacy).reportUnknownCode(unknownHash("FAKE1"), GTIN), "names the product's holder");
for (const count of [10, 256]) {
  const codes = Array.from({ length: count }, (_, i) => ({ codeHash: unknownHash(`FAKE-${count}-${i}`), gtin: GTIN }));
  await measure(`suspects.reportUnknownCodes (${count} codes)`, suspects.connect(pharmacy).reportUnknownCodes(codes), `one transaction of a basket's unknown codes`);
}

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

// ==== baskets and pallets (IBulkCustody) ====
// A product of its own (the first one's trade is halted above) with a 1,000,000-unit batch
// whose tree keeps its leaves in unit order (`order: "index"`: a case's serials are
// neighbours in the tree), the same size batch in OpenZeppelin's default hash order for
// comparison, and 21 small batches for pallets. The pharmacy dispenses; the maker ships
// pallets to the wholesaler. Gas per unit (per line) is the transaction's gasUsed, 21,000
// and calldata included, over its units (lines).
//
// New storage is measured, not estimated: `debug_traceTransaction` with the prestate tracer
// in diff mode (which the embedded network supports) lists every slot a transaction
// changed; each is then read with `eth_getStorageAt` at the block before and at the
// transaction's own block (automine: one transaction per block, checked), so a slot counts
// as created (zero → non-zero) or cleared (non-zero → zero) from the chain's state itself.
trees.clear(); // the first product's trees are no longer needed: room for two more of 1,000,000
const hardfork = "hardfork" in connection.networkConfig ? String(connection.networkConfig.hardfork) : "unknown";
const BULK_GTIN = 6901234567908n;
const PHARMACY = 6n;
const WHOLESALER = 3n;
await (await batches.connect(maker).registerProduct(BULK_GTIN, "Ibuprofen Tablets 0.2g", "国药准字H20230002", 8123460)).wait();
await (
  await batches.connect(regulator).approveProduct(BULK_GTIN, 2n, productApplicationHash(await batches.productApplication(BULK_GTIN, 2n)))
).wait();
const bulkNow = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);

interface BulkBatch {
  id: string;
  tree: UnitTree;
  seconds: number;
}

/** Creates, inspects and releases a batch of the bulk product, `count` units in `order`. */
async function releasedBulkBatch(lot: string, count: number, order: "hash" | "index"): Promise<BulkBatch> {
  const started = Date.now();
  const codes = Array.from({ length: count }, (_, i) => `010${BULK_GTIN}21${lot}-${String(i).padStart(7, "0")}`);
  const { tree } = await buildUnitTree(codes, { order });
  const seconds = (Date.now() - started) / 1000;
  const input = {
    gtin: BULK_GTIN,
    lot,
    manufacturedAt: bulkNow - 86_400n,
    expiresAt: bulkNow + 700n * 86_400n,
    quantity: count,
    unitsRoot: tree.root,
    unitCount: tree.count,
  };
  await (await batches.connect(maker).createBatch(input)).wait();
  const id = await batches.batchIdOf(BULK_GTIN, lot);
  await (await quality.connect(qa).observe(reading(id, Point.Inspection))).wait();
  await (await batches.connect(qa).releaseBatch(id)).wait();
  return { id, tree, seconds };
}

/** Storage slots a mined transaction created (zero → non-zero) and cleared (non-zero → zero). */
async function slotChanges(receipt: TransactionReceipt): Promise<{ created: number; cleared: number }> {
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block?.transactions.length !== 1) throw new Error(`block ${receipt.blockNumber} holds more than the measured transaction`);
  type Accounts = Record<string, { storage?: Record<string, string> }>;
  const diff = (await ethers.provider.send("debug_traceTransaction", [
    receipt.hash,
    { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
  ])) as { pre: Accounts; post: Accounts };
  const touched = new Set<string>();
  for (const side of [diff.pre, diff.post]) {
    for (const [address, account] of Object.entries(side)) {
      for (const key of Object.keys(account.storage ?? {})) touched.add(`${address.toLowerCase()} ${key}`);
    }
  }
  const value = async (address: string, key: string, blockNumber: number) =>
    BigInt(await ethers.provider.send("eth_getStorageAt", [address, key, ethers.toQuantity(blockNumber)]));
  let created = 0;
  let cleared = 0;
  for (const entry of touched) {
    const [address, key] = entry.split(" ");
    const before = await value(address, key, receipt.blockNumber - 1);
    const after = await value(address, key, receipt.blockNumber);
    if (before === 0n && after !== 0n) created++;
    if (before !== 0n && after === 0n) cleared++;
  }
  return { created, cleared };
}

/**
 * EIP-7623's calldata floor (Prague on): a transaction pays at least 21,000 + 10 per calldata
 * token (a zero byte is 1 token, another byte 4). Where it does not bind, gasUsed is what
 * Cancun charges too: no later fork reprices the opcodes these functions run.
 */
function calldataFloor(data: string): number {
  let tokens = 0;
  for (const byte of ethers.getBytes(data)) tokens += byte === 0 ? 1 : 4;
  return 21_000 + 10 * tokens;
}

interface Sample {
  gas: number;
  units: number;
  calldata: number;
  floorBinds: boolean;
  created: number;
  cleared: number;
  expired: number;
}

/** The gas and storage of one mined transaction. */
async function sample(tx: ContractTransactionResponse, units: number): Promise<Sample & { receipt: TransactionReceipt }> {
  const receipt = (await tx.wait())!;
  const gas = Number(receipt.gasUsed);
  const expired = receipt.logs.filter((l) => batches.interface.parseLog(l)?.name === "BasketExpired").length;
  return {
    receipt,
    gas,
    units,
    calldata: ethers.dataLength(tx.data),
    floorBinds: gas <= calldataFloor(tx.data),
    ...(await slotChanges(receipt)),
    expired,
  };
}

/** The pharmacy dispenses units `indices` of `batch` in one basket; every one must be dispensed. */
async function basket(batch: BulkBatch, indices: readonly number[]): Promise<Sample> {
  const { groups } = basketGroups(indices.map((index) => ({ batchId: batch.id, tree: batch.tree, index })));
  const measured = await sample(await batches.connect(pharmacy).dispenseBasket(groups), indices.length);
  const done = measured.receipt.logs.map((l) => batches.interface.parseLog(l)).find((e) => e?.name === "BasketDispensed");
  if (done === undefined || done === null || Number(done.args.dispensed) !== indices.length) {
    throw new Error(`a basket of ${indices.length} units dispensed ${done?.args.dispensed ?? "none"}`);
  }
  return measured;
}

const indexed = await releasedBulkBatch("B1M", 1_000_000, "index");
const hashed = await releasedBulkBatch("H1M", 1_000_000, "hash");
const lineBatches: BulkBatch[] = [];
for (let k = 0; k <= 20; k++) lineBatches.push(await releasedBulkBatch(`P${String(k).padStart(2, "0")}`, 1_000, "index"));

/** The maker ships a pallet of `lines` to `to`: the sample and the pallet's id. */
async function shipPallet(to: bigint, lines: PalletLine[]): Promise<{ measured: Sample; id: string }> {
  const measured = await sample(await batches.connect(maker).shipPallet(to, lines), lines.length);
  const event = measured.receipt.logs.map((l) => batches.interface.parseLog(l)).find((e) => e?.name === "PalletShipped");
  return { measured, id: String(event!.args.palletId) };
}

// The pharmacy's stock, on the maker's first pallet (its pallet counter's first write: not measured).
const stocking = [
  { batchId: indexed.id, quantity: 10_000n },
  { batchId: hashed.id, quantity: 1_000n },
];
const stocked = await shipPallet(PHARMACY, stocking);
await (await batches.connect(pharmacy).receivePallet(stocked.id, stocking)).wait();

// Pallets to the wholesaler: each size twice, first to a receiver holding none of its
// batches (a new custody slot per line), then again (restock).
const palletRows: { operation: "shipPallet" | "receivePallet"; lines: number; receiver: string; gas: number; perLine: number; newSlots: number }[] = [];
for (const lines of [
  [{ batchId: lineBatches[0].id, quantity: 10n }],
  lineBatches.slice(1).map((b) => ({ batchId: b.id, quantity: 10n })),
]) {
  for (const receiver of ["holds none of the batches (first receipt)", "holds every batch (restock)"]) {
    const shipped = await shipPallet(WHOLESALER, lines);
    const received = await sample(await batches.connect(wholesaler).receivePallet(shipped.id, lines), lines.length);
    for (const [operation, s] of [["shipPallet", shipped.measured], ["receivePallet", received]] as const) {
      palletRows.push({ operation, lines: lines.length, receiver, gas: s.gas, perLine: Math.round(s.gas / lines.length), newSlots: s.created });
    }
  }
}

// Baskets. Units are dispensed as a pharmacy works through a case: consecutive indices,
// from index 0 up. Two unmeasured baskets come first (the party's first basket creates its
// counters), then each size in turn, within the undo window (every basket leaves a record)
// and again once the window has passed (each new basket also deletes the party's oldest,
// expired, record: exactly one, checked). The unmeasured baskets make the records made
// within the window as many as the baskets after it.
const undoWindow = Number(await batches.dispenseUndoWindow());
let cursor = 0;
const serials = (count: number) => Array.from({ length: count }, () => cursor++);
await basket(indexed, [999_999]);
await basket(indexed, [999_998]);

interface BasketSeries {
  units: number;
  phase: "within the undo window" | "after the undo window";
  samples: Sample[];
}
const basketSeries: BasketSeries[] = [];
const phases = ["within the undo window", "after the undo window"] as const;
for (const phase of phases) {
  if (phase === "after the undo window") {
    await ethers.provider.send("evm_increaseTime", [undoWindow + 1]);
    await ethers.provider.send("evm_mine", []);
  }
  // 1,000 units of each of the two larger sizes, so that their new slots are counted per 1,000.
  for (const [units, count] of [
    [100, 10],
    [10, 100],
    [1, 10],
  ] as const) {
    const samples: Sample[] = [];
    for (let k = 0; k < count; k++) samples.push(await basket(indexed, serials(units)));
    basketSeries.push({ units, phase, samples });
  }
}
// Two 100-unit baskets for comparison, after the window too: units scattered at random over
// the batch (a fixed seed), and 100 consecutive serials of the hash-ordered batch, whose
// leaves are scattered over its tree.
let seed = 0x5eed;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
  return ((seed ^ (seed >>> 13)) >>> 0) / 2 ** 32;
};
const scattered = new Set<number>();
while (scattered.size < 100) scattered.add(100_000 + Math.floor(random() * 899_000));
const comparisons = [
  { label: "100 random units, unit-order tree", sample: await basket(indexed, [...scattered]) },
  { label: "100 consecutive serials, hash-order tree", sample: await basket(hashed, Array.from({ length: 100 }, (_, i) => i)) },
];
for (const s of [...basketSeries.filter((x) => x.phase === "after the undo window").flatMap((x) => x.samples), ...comparisons.map((c) => c.sample)]) {
  if (s.expired !== 1) throw new Error(`a basket after the undo window deleted ${s.expired} expired records, not 1`);
}

const perUnit = (s: Sample) => s.gas / s.units;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const basketRows = basketSeries.map(({ units, phase, samples }) => ({
  units,
  phase,
  baskets: samples.length,
  meanGasPerUnit: Math.round(mean(samples.map(perUnit))),
  maxGasPerUnit: Math.round(Math.max(...samples.map(perUnit))),
  meanGasPerBasket: Math.round(mean(samples.map((s) => s.gas))),
  calldataBytesPerUnit: Math.round(mean(samples.map((s) => s.calldata / s.units))),
  calldataFloorBinds: samples.some((s) => s.floorBinds),
}));
const comparisonRows = comparisons.map(({ label, sample: s }) => ({
  basket: label,
  phase: "after the undo window",
  gas: s.gas,
  gasPerUnit: Math.round(perUnit(s)),
  calldataBytes: s.calldata,
  newSlots: s.created,
  calldataFloorBinds: s.floorBinds,
}));
const stateRows = basketSeries.map(({ units, phase, samples }) => {
  const dispensed = samples.reduce((a, s) => a + s.units, 0);
  const created = samples.reduce((a, s) => a + s.created, 0);
  const cleared = samples.reduce((a, s) => a + s.cleared, 0);
  const net = created - cleared;
  return {
    basketUnits: units,
    phase,
    unitsDispensed: dispensed,
    newSlots: created,
    clearedSlots: cleared,
    netSlots: net,
    newSlotsPer1000Units: (created * 1000) / dispensed,
    netSlotsPer1000Units: (net * 1000) / dispensed,
    grossBytesPerUnit: (created * 32) / dispensed,
    netBytesPerUnit: (net * 32) / dispensed,
  };
});

const row = <T extends { units?: number; basketUnits?: number; phase: string }>(rows: T[], units: number, phase: string) =>
  rows.find((r) => (r.units ?? r.basketUnits) === units && r.phase === phase)!;
const pallet = (operation: string, lines: number, receiver?: string) =>
  palletRows.filter((r) => r.operation === operation && r.lines === lines && (receiver === undefined || r.receiver.includes(receiver)));
const worstMean = (units: number) => Math.max(...phases.map((p) => row(basketRows, units, p).meanGasPerUnit));
const budget = (name: string, limit: number, actual: number, unit: string) => ({
  budget: name,
  limit,
  actual: Math.round(actual * 1000) / 1000,
  unit,
  pass: actual <= limit,
});
const budgets = [
  budget("dispenseBasket, 100 consecutive units: mean gas per unit (worse of the two phases)", 12_000, worstMean(100), "gas/unit"),
  budget("dispenseBasket, 10 consecutive units: mean gas per unit (worse of the two phases)", 20_000, worstMean(10), "gas/unit"),
  budget("permanent state, 100-unit baskets, after the undo window: net new bytes per unit", 1, row(stateRows, 100, phases[1]).netBytesPerUnit, "bytes/unit"),
  budget("permanent state, 10-unit baskets, after the undo window: net new bytes per unit", 1, row(stateRows, 10, phases[1]).netBytesPerUnit, "bytes/unit"),
  budget("shipPallet, 20 lines: gas per line", 25_000, Math.max(...pallet("shipPallet", 20).map((r) => r.perLine)), "gas/line"),
  budget("receivePallet, 20 lines, restock: gas per line", 25_000, pallet("receivePallet", 20, "restock")[0].perLine, "gas/line"),
  budget("receivePallet, 20 lines, first receipt: gas per line", 25_000, pallet("receivePallet", 20, "first receipt")[0].perLine, "gas/line"),
];
const bulk = {
  network: `embedded (edr-simulated), hardfork ${hardfork}`,
  scenario:
    "a second product: a 1,000,000-unit batch with its tree in unit order, one in hash order, 21 batches of 1,000 for pallets; " +
    "the pharmacy holds 10,000 and 1,000 of the two large batches and dispenses in baskets, two unmeasured baskets first; " +
    "the maker ships pallets of 1 and 20 lines (10 each) to the wholesaler",
  method:
    "gas: the receipt's gasUsed (21,000 and calldata included) over units or lines. New slots: debug_traceTransaction with the " +
    "prestate tracer in diff mode lists the slots a transaction changed; eth_getStorageAt at the previous block and the " +
    "transaction's block gives each one's value before and after (zero → non-zero: new; non-zero → zero: cleared). " +
    "calldataFloorBinds: whether EIP-7623's calldata floor set the gas (where false, Cancun charges the same).",
  undoWindowSeconds: undoWindow,
  unitTreeBuildSeconds: { index: indexed.seconds, hash: hashed.seconds },
  baskets: basketRows,
  basketComparisons: comparisonRows,
  storagePerDispensedUnit: stateRows,
  pallets: palletRows,
  budgets,
};

const width = Math.max(...results.map((r) => r.operation.length));
console.log(`${"operation".padEnd(width)}  ${"gas".padStart(9)}  note`);
console.log(`${"-".repeat(width)}  ${"-".repeat(9)}  ----`);
for (const r of results) console.log(`${r.operation.padEnd(width)}  ${r.gas.toLocaleString("en-US").padStart(9)}  ${r.note}`);

/** Prints `rows` as a table with these columns (numbers right-aligned, with thousands separators). */
function table(rows: Record<string, string | number | boolean>[], columns: string[]): void {
  const text = (v: string | number | boolean) => (typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 3 }) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (cells: string[], numeric: boolean[]) => cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ").trimEnd();
  const numeric = columns.map((c) => rows.every((r) => typeof r[c] === "number"));
  console.log(line(columns, numeric));
  console.log(line(widths.map((w) => "-".repeat(w)), numeric));
  for (const r of rows) console.log(line(columns.map((c) => text(r[c])), numeric));
}
const gasText = (n: number) => n.toLocaleString("en-US");
console.log(`\nbaskets and pallets (${bulk.network}; undo window ${undoWindow / 86_400} days)\n`);
table(
  [
    ...basketRows.map((r) => ({
      operation: `bulk.dispenseBasket (${r.units} consecutive, ${r.phase})`,
      "gas/unit": r.meanGasPerUnit,
      note: `mean of ${r.baskets}; max ${gasText(r.maxGasPerUnit)}/unit; ${gasText(r.meanGasPerBasket)}/basket; ${r.calldataBytesPerUnit} calldata bytes/unit`,
    })),
    ...comparisonRows.map((r) => ({
      operation: `bulk.dispenseBasket (${r.basket})`,
      "gas/unit": r.gasPerUnit,
      note: `${gasText(r.gas)} for the basket; ${gasText(r.calldataBytes)} calldata bytes; ${r.newSlots} new slots`,
    })),
  ],
  ["operation", "gas/unit", "note"],
);
console.log("");
table(
  palletRows.map((r) => ({
    operation: `bulk.${r.operation} (${r.lines} line${r.lines === 1 ? "" : "s"})`,
    "gas/line": r.perLine,
    note: `receiver ${r.receiver}; ${gasText(r.gas)} for the pallet; ${r.newSlots} new slots`,
  })),
  ["operation", "gas/line", "note"],
);
console.log("\nnew storage per dispensed unit (consecutive units)\n");
table(
  stateRows.map((r) => ({
    basket: `${r.basketUnits} unit${r.basketUnits === 1 ? "" : "s"}`,
    phase: r.phase,
    units: r.unitsDispensed,
    "new slots": r.newSlots,
    cleared: r.clearedSlots,
    net: r.netSlots,
    "new/1,000": r.newSlotsPer1000Units,
    "net/1,000": r.netSlotsPer1000Units,
    "gross B/unit": r.grossBytesPerUnit,
    "net B/unit": r.netBytesPerUnit,
  })),
  ["basket", "phase", "units", "new slots", "cleared", "net", "new/1,000", "net/1,000", "gross B/unit", "net B/unit"],
);
console.log("\nbudgets\n");
table(
  budgets.map((b) => ({ budget: b.budget, limit: b.limit, actual: b.actual, unit: b.unit, result: b.pass ? "pass" : "FAIL" })),
  ["budget", "limit", "actual", "unit", "result"],
);

const file = path.join(hre.config.paths.root, "bench", "results.json");
await mkdir(path.dirname(file), { recursive: true });
// Other sections (the replay's belongs to scripts/bench-replay.ts, which `npm run bench` runs next): kept.
const previous = await readFile(file, "utf8").then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}) as Record<string, unknown>);
const written = {
  network: "embedded (edr-simulated)",
  scenario: "consortium of 7 (n = 4 voters); a product, batches of 10, 1,000 and 1,000,000 units, manufacturer → wholesaler → pharmacy; a wholesaler's logger and gateway; 100 holders of one batch",
  operations: results,
  bulk,
};
await writeFile(file, `${JSON.stringify({ ...previous, ...written }, null, 2)}\n`);
console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
