/**
 * A walkthrough on the embedded Hardhat network (`npm run demo`): the consortium
 * forms, a new wholesaler is admitted by a BFT supermajority, its members (a person
 * and a device) are enrolled, and the regulator suspends it, after which its next
 * action is refused. It drives the same task code operators run from the CLI.
 */
import hre from "hardhat";

import { faultTolerance, threshold } from "../sdk/bft.js";
import { describeError } from "../sdk/errors.js";
import { run as vote } from "../tasks/party/vote.js";
import { run as propose } from "../tasks/party/propose.js";
import { run as listParties } from "../tasks/party/list.js";
import { run as suspend } from "../tasks/party/suspend.js";
import { run as addMember } from "../tasks/member/add.js";
import { openDeployment } from "../tasks/lib/runtime.js";
import { run as deploy } from "../tasks/system/deploy.js";

const { ethers } = await hre.network.getOrCreate();
const accounts = (await ethers.getSigners()).map((s) => s.address);
const say = (text = "") => console.log(text);
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
    from: "1",
    json: false,
  },
  hre,
);
say(indent(`Qiantang Pharmaceutical proposes it: ${proposal.human}`));
const proposalId = String((proposal.json as { proposalId: string }).proposalId);
let partyId = "";
for (const [from, who] of [
  ["1", "Qiantang Pharmaceutical (manufacturer)"],
  ["2", "Xihu Pharma Distribution (wholesaler)"],
  ["4", "Riverside People's Hospital"],
  ["0", "Zhejiang MPA (regulator)"],
] as const) {
  const result = await vote({ proposal: proposalId, from, json: false }, hre);
  partyId = String((result.json as { partyId?: string }).partyId ?? "");
  say(indent(`${who.padEnd(40)} votes → ${result.human}`));
}

step(3, "The wholesaler enrols its people and devices");
const person = accounts[8];
const device = accounts[9];
say(indent((await addMember({ party: partyId, account: person, role: "operator", from: "7", json: false }, hre)).human));
say(indent((await addMember({ party: partyId, account: device, role: "device", from: "7", json: false }, hre)).human));

step(4, "The regulator suspends the wholesaler, with immediate effect");
say(indent((await suspend({ party: partyId, from: "0", json: false }, hre)).human));
try {
  await addMember({ party: partyId, account: accounts[10], role: "qa", from: "7", json: false }, hre);
  throw new Error("the suspended party was able to act");
} catch (error) {
  say(indent(`The wholesaler's admin tries to enrol one more member → refused:\n  ${describeError(error)}`));
}
say(indent("Reinstatement needs a governance proposal (`npx hardhat party reinstate`)."));

step(5, "Where everyone stands");
say(indent((await listParties({ json: false }, hre)).human));
say();
