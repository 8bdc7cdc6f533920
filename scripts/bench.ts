/**
 * Gas per operation for the standard scenario (`npm run bench`), measured on the
 * embedded network with the compiler settings we ship; prints a table and writes
 * bench/results.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import type { ContractTransactionResponse } from "ethers";
import hre from "hardhat";

import { Domain, LicenceKind, PartyStatus, Role, mask } from "../sdk/enums.js";
import { openDeployment } from "../tasks/lib/runtime.js";
import { run as deploy } from "../tasks/system/deploy.js";

const results: { operation: string; gas: number; note: string }[] = [];

async function measure(operation: string, tx: Promise<ContractTransactionResponse>, note = ""): Promise<void> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error(`${operation}: no receipt`);
  results.push({ operation, gas: Number(receipt.gasUsed), note });
}

await deploy({ reset: false, json: false }, hre);
const { ethers, registry, governor } = await openDeployment(hre);
const signers = await ethers.getSigners();
const [regulator, maker, wholesaler, , hospital] = signers;
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
  note: "one external call, cold registry; what each later write pays",
});
const estimated = await registry.requireMember.estimateGas(maker.address, mask(Role.Admin), mask(Domain.Manufacturer));
results.push({ operation: "registry.requireMember (eth_estimateGas)", gas: Number(estimated), note: "incl. 21,000 base" });

const width = Math.max(...results.map((r) => r.operation.length));
console.log(`${"operation".padEnd(width)}  ${"gas".padStart(9)}  note`);
console.log(`${"-".repeat(width)}  ${"-".repeat(9)}  ----`);
for (const r of results) console.log(`${r.operation.padEnd(width)}  ${r.gas.toLocaleString("en-US").padStart(9)}  ${r.note}`);

const file = path.join(hre.config.paths.root, "bench", "results.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(
  file,
  `${JSON.stringify({ network: "embedded (edr-simulated)", scenario: "consortium of 7, n = 4 voters", operations: results }, null, 2)}\n`,
);
console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
