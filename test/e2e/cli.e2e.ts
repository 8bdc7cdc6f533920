import { expect } from "chai";

import { type LocalNode, expectRefusal, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

// Well-known accounts of `hardhat node` (mnemonic "test … junk").
const ACCOUNT = {
  newWholesalerAdmin: "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955", // 7
  person: "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", // 8
  device: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", // 9
  outsider: "0xBcd4042DE499D14e55001CcbB24a551F3b954096", // 10
  spare: "0x71bE63f3384f5fb98995898A86B02Fb2426c5788", // 11
  fresh: "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec", // 13
  secondAdmin: "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097", // 14
  newKey: "0xcd3B766CCDd6AE721141F452C550Ca635964ce71", // 15
};
const ISO = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

interface Party {
  partyId: string;
  name: string;
  domain: string;
  status: string;
  admin: string;
}


describe("CLI against a hardhat node @e2e", function () {
  this.timeout(180_000);
  let node: LocalNode;

  before(async function () {
    node = await startLocalNode({ cold: true });
  });

  after(async function () {
    await node?.stop();
  });


  it("refuses every task before MedState is deployed", async function () {
    expectRefusal(await node.run("party", "list"), /^error: no MedState deployment on chain 31337/);
  });

  it("system deploy deploys once and system info reports the same record", async function () {
    const deployed = await node.json<{ chainId: string; contracts: Record<string, string>; block: string }>(
      "system",
      "deploy",
    );
    expect(deployed.chainId).to.equal("31337");
    expect(deployed.contracts.ConsortiumRegistry).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(deployed.contracts.ConsortiumGovernor).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(BigInt(deployed.block)).to.be.greaterThan(0n);
    const code = await node.rpc<string>("eth_getCode", [deployed.contracts.ConsortiumRegistry, "latest"]);
    expect(code).to.not.equal("0x");

    const again = await node.json<typeof deployed>("system", "deploy");
    expect(again.contracts).to.deep.equal(deployed.contracts);
    const info = await node.json<typeof deployed & { parties: string; activeVoters: string; threshold: string; productRegistry: string }>(
      "system",
      "info",
    );
    expect(info.contracts).to.deep.equal(deployed.contracts);
    expect(info.block).to.equal(deployed.block);
    expect(info).to.include({ chainId: "31337", parties: "7", activeVoters: "4", thresholdVoters: "4", threshold: "3" });
    // The code objects behind the BatchRegistry's selector table, as deployed.
    const engines = (deployed as unknown as { engines: Record<string, string> }).engines;
    expect(Object.keys(engines)).to.deep.equal(["ProductRegistry", "QualityEngine", "CollaborationEngine", "BulkCustody"]);
    expect(info).to.include({
      productRegistry: engines.ProductRegistry,
      qualityEngine: engines.QualityEngine,
      collaborationEngine: engines.CollaborationEngine,
      bulkCustody: engines.BulkCustody,
    });
    // The batch registry is attached as the registry's one membership mirror.
    expect((info as unknown as { mirrors: string }).mirrors).to.equal(deployed.contracts.BatchRegistry);
  });

  it("party list shows the founding consortium", async function () {
    const parties = await node.json<Party[]>("party", "list");
    expect(parties.map((p) => [p.partyId, p.domain, p.status])).to.deep.equal([
      ["1", "regulator", "active"],
      ["2", "manufacturer", "active"],
      ["3", "wholesaler", "active"],
      ["4", "logistics", "active"],
      ["5", "hospital", "active"],
      ["6", "pharmacy", "active"],
      ["7", "laboratory", "active"],
    ]);
    expect(parties[0].admin).to.equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  });

  it("admits a wholesaler by a BFT supermajority that includes the regulator", async function () {
    const proposed = await node.json<{ proposalId: string; threshold: string; voters: string }>(
      "party", "propose", "--name", "Jiangnan Pharma Wholesale", "--domain", "wholesaler",
      "--admin", ACCOUNT.newWholesalerAdmin, "--voter",
      "--license", `gsp:0x${"ab".repeat(32)}:2030-06-30:1`, "--from", "1",
    );
    expect(proposed).to.include({ proposalId: "1", voters: "4", threshold: "3" });

    const votes = [];
    for (const from of ["1", "2", "4"]) {
      votes.push(await node.json<Record<string, unknown>>("party", "vote", "--proposal", "1", "--from", from));
    }
    expect(votes.map((v) => [v.approvals, v.threshold, v.executed])).to.deep.equal([
      ["1", "3", false],
      ["2", "3", false],
      ["3", "3", false], // threshold met, but admissions need the regulator
    ]);
    expect(votes[2]).to.not.have.property("partyId");

    const last = await node.json<Record<string, unknown>>("party", "vote", "--proposal", "1", "--from", "0");
    expect(last).to.include({ proposalId: "1", approvals: "4", threshold: "3", executed: true, partyId: "8" });

    const parties = await node.json<Party[]>("party", "list");
    expect(parties[7]).to.include({
      partyId: "8",
      name: "Jiangnan Pharma Wholesale",
      domain: "wholesaler",
      status: "active",
      admin: ACCOUNT.newWholesalerAdmin,
    });
  });

  it("refuses a second vote on an executed proposal and a vote by a non-member", async function () {
    await refusedWithoutChange(
      node,
      ["party", "vote", "--proposal", "1", "--from", "3"],
      /^error: GovernorProposalExecuted\(proposalId=1\)$/,
    );
    const proposal = await node.json<{ proposalId: string }>(
      "party", "propose", "--name", "Harbour Pharmacy", "--domain", "pharmacy", "--admin", ACCOUNT.outsider, "--from", "1",
    );
    await refusedWithoutChange(
      node,
      ["party", "vote", "--proposal", proposal.proposalId, "--from", "12"],
      /^error: RegistryNotMember\(account=0xFABB0ac9d68B0B445fB7357272Ff202C5651694a\)$/,
    );
    await refusedWithoutChange(
      node,
      ["party", "vote", "--proposal", proposal.proposalId, "--from", "3"], // logistics: not a voter
      /^error: GovernorNotVoter\(partyId=4\)$/,
    );
  });

  it("enrols, rotates and removes members of the new party", async function () {
    expect(
      await node.json("member", "add", "--party", "8", "--account", ACCOUNT.person, "--role", "qa", "--from", "7"),
    ).to.deep.equal({ partyId: "8", account: ACCOUNT.person, role: "qa" });
    expect(
      await node.json("member", "add", "--party", "8", "--account", ACCOUNT.device, "--role", "device", "--from", "7"),
    ).to.deep.equal({ partyId: "8", account: ACCOUNT.device, role: "device" });
    expect(
      await node.json("member", "rotate", "--party", "8", "--account", ACCOUNT.device, "--new-account", ACCOUNT.fresh, "--from", "7"),
    ).to.deep.equal({ partyId: "8", account: ACCOUNT.fresh, previous: ACCOUNT.device, role: "device" });
    expect(
      await node.json("member", "remove", "--party", "8", "--account", ACCOUNT.fresh, "--from", "7"),
    ).to.deep.equal({ partyId: "8", account: ACCOUNT.fresh, role: "device" });
  });

  it("refuses to enrol the admin a pending admission names, until the proposal expires", async function () {
    // The Harbour Pharmacy admission proposed above names the outsider as its admin.
    for (const args of [
      ["member", "add", "--party", "8", "--account", ACCOUNT.outsider, "--from", "7"],
      ["member", "rotate", "--party", "8", "--account", ACCOUNT.person, "--new-account", ACCOUNT.outsider, "--from", "7"],
    ]) {
      await refusedWithoutChange(
        node,
        args,
        new RegExp(
          `^error: RegistryAccountReserved\\(account=${ACCOUNT.outsider}, until=(${ISO})\\): ` +
            `${ACCOUNT.outsider} is the admin named by a pending admission: no party may enrol it before \\1$`,
        ),
      );
    }
    const refused = await node.run("member", "add", "--party", "8", "--account", ACCOUNT.outsider, "--from", "7", "--json");
    expect(refused.code).to.equal(1);
    const { error } = JSON.parse(refused.stdout) as { error: { name: string; args: Record<string, string>; message: string } };
    expect(error.name).to.equal("RegistryAccountReserved");
    expect(error.args.account).to.equal(ACCOUNT.outsider);
    expect(error.args.until).to.match(new RegExp(`^${ISO}$`));
    expect(refused.stderr.trim()).to.equal(`error: ${error.message}`);
  });

  it("turns a secondary admin's rotation of the primary admin into a governance proposal", async function () {
    await node.json("member", "add", "--party", "8", "--account", ACCOUNT.secondAdmin, "--role", "admin", "--from", "7");
    const result = await node.run(
      "member", "rotate", "--party", "8", "--account", ACCOUNT.newWholesalerAdmin, "--new-account", ACCOUNT.newKey, "--from", "14",
    );
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(
      new RegExp(
        `^RegistryPrimaryAdminRotation\\(partyId=8, caller=${ACCOUNT.secondAdmin}\\): party 8's primary admin key is rotated only ` +
          "by that key itself or by a governance proposal: proposed instead\nproposal \\d+ \\(call\\) to rotate party 8's primary admin",
      ),
    );
    // A rotated-away key is never fresh again: the governor's simulation refuses it before anyone votes.
    await refusedWithoutChange(
      node,
      ["member", "rotate", "--party", "8", "--account", ACCOUNT.newWholesalerAdmin, "--new-account", ACCOUNT.fresh, "--from", "14"],
      new RegExp(
        `^error: RegistryPrimaryAdminRotation\\(partyId=8, caller=${ACCOUNT.secondAdmin}\\): .*; a governance proposal to do it is refused too: ` +
          `GovernorCallWouldFail\\(target=0x[0-9a-fA-F]{40}, reason=RegistryAccountTaken\\(account=${ACCOUNT.fresh}, partyId=8\\)\\): ` +
          "the call, run now as the governor, fails: nobody can vote it through$",
      ),
    );
    const parties = await node.json<Party[]>("party", "list");
    expect(parties[7].admin).to.equal(ACCOUNT.newWholesalerAdmin);
  });

  it("refuses malformed input and unknown parties with one line, changing nothing", async function () {
    const partiesBefore = await node.json<Party[]>("party", "list");
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "8", "--account", "0x1234", "--from", "7"],
      /^error: invalid --account "0x1234": not a 0x-prefixed 20-byte address$/,
    );
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "99", "--account", ACCOUNT.outsider, "--from", "7"],
      /^error: RegistryUnknownParty\(partyId=99\)$/,
    );
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "8", "--account", ACCOUNT.outsider, "--role", "chef", "--from", "7"],
      /^error: invalid --role "chef": expected one of admin, operator, qa, device$/,
    );
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "8", "--account", ACCOUNT.device, "--from", "7"], // rotated away: never reused
      /^error: RegistryAccountTaken\(account=0xa0Ee7A142d267C1f36714E4a8F75612F20a79720, partyId=8\)$/,
    );
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "2", "--account", ACCOUNT.spare, "--from", "7"],
      /^error: RegistryNotPartyAdmin\(partyId=2, account=0x14dC79964da2C08b23698B3D3cc7Ca32193d9955\)$/,
    );
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "8", "--account", ACCOUNT.spare.replace("71bE", "71Be"), "--from", "7"],
      /^error: invalid --account "0x71Be63f3384f5fb98995898A86B02Fb2426c5788": bad EIP-55 checksum$/,
    );
    await refusedWithoutChange(node, ["party", "propose", "--domain", "pharmacy", "--admin", ACCOUNT.outsider], /^error: missing --name$/);
    await refusedWithoutChange(node, ["party", "vote", "--proposal", "abc"], /^error: invalid --proposal "abc"/);
    expect(await node.json<Party[]>("party", "list")).to.deep.equal(partiesBefore);
  });

  it("lets the regulator suspend a party at once and refuses that party's next action; the voter still counts in the threshold", async function () {
    expect(await node.json("party", "suspend", "--party", "8", "--from", "0")).to.include({
      partyId: "8",
      status: "suspended",
      voter: true,
      thresholdVoters: "5",
      threshold: "4",
    });
    expect(await node.json("system", "info")).to.include({ activeVoters: "4", thresholdVoters: "5", threshold: "4" });
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "8", "--account", ACCOUNT.spare, "--from", "7"],
      /^error: RegistryPartyNotActive\(partyId=8, status=suspended\)$/,
    );
    // Reinstatement goes through governance (no regulator approval needed for it), but the
    // regulator's suspension did not lower the threshold: 4 of 5, so three voters are not enough.
    const proposal = await node.json<{ proposalId: string; status: string; threshold: string; voters: string }>(
      "party", "reinstate", "--party", "8", "--from", "1",
    );
    expect(proposal).to.include({ status: "suspended", threshold: "4", voters: "5" });
    await node.json("party", "vote", "--proposal", proposal.proposalId, "--from", "1");
    await node.json("party", "vote", "--proposal", proposal.proposalId, "--from", "2");
    expect(await node.json("party", "vote", "--proposal", proposal.proposalId, "--from", "4")).to.include({
      approvals: "3",
      threshold: "4",
      executed: false,
    });
    const executed = await node.json<Record<string, unknown>>("party", "vote", "--proposal", proposal.proposalId, "--from", "0");
    expect(executed).to.include({ approvals: "4", threshold: "4", executed: true, partyId: "8", outcome: "party 8 is now active" });
    const parties = await node.json<Party[]>("party", "list");
    expect(parties[7].status).to.equal("active");
  });

  it("turns a regulator's suspend into a proposal once f voters are suspended", async function () {
    // 5 voters (f = 1): the regulator suspends one voting party at once, not a second.
    expect(await node.json("party", "suspend", "--party", "2", "--from", "0")).to.include({
      partyId: "2",
      status: "suspended",
      thresholdVoters: "5",
      threshold: "4",
    });
    const result = await node.run("party", "suspend", "--party", "3", "--from", "0");
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^RegistryVoterSuspensionLimit\(partyId=3, suspended=1, limit=1\): proposed instead\n/);
    const proposal = await node.json<Record<string, unknown>>("party", "suspend", "--party", "5", "--from", "0");
    expect(proposal).to.include({ kind: "suspend-party", partyId: "5", status: "active" });
  });

  it("turns a non-regulator's suspend into a proposal (the hospital proposes)", async function () {
    const proposal = await node.json<Record<string, unknown>>("party", "suspend", "--party", "6", "--from", "4");
    expect(proposal).to.include({ kind: "suspend-party", partyId: "6", status: "active" });
    expect(proposal.proposalId).to.be.a("string");
  });

  it("shows the approvals in force next to those cast once an approver left the voter set, and counts only those", async function () {
    // Voters: 1, 3, 5 and 8 active, 2 suspended by the regulator (n = 5, threshold 4).
    const revoke = await node.json<{ proposalId: string; threshold: string; voters: string }>("party", "revoke", "--party", "7", "--from", "2");
    expect(revoke).to.include({ threshold: "4", voters: "5" });
    const id = revoke.proposalId;
    await node.json("party", "vote", "--proposal", id, "--from", "2"); // party 3
    await node.json("party", "vote", "--proposal", id, "--from", "7"); // party 8
    // Governance suspends party 8, an approver: it leaves n (4, threshold 3) and takes its approval with it.
    const suspend = await node.json<{ proposalId: string }>("party", "suspend", "--party", "8", "--from", "4");
    for (const from of ["0", "2", "4"]) await node.json("party", "vote", "--proposal", suspend.proposalId, "--from", from);
    expect(await node.json("party", "vote", "--proposal", suspend.proposalId, "--from", "7")).to.include({
      executed: true,
      outcome: "party 8 is now suspended",
    });
    const third = await node.run("party", "vote", "--proposal", id, "--from", "4"); // party 5
    expect(third.code, third.stderr).to.equal(0);
    expect(third.stdout.trim()).to.equal(`proposal ${id}: 3 approvals cast, 2 in force, needs 3 now (4 when proposed) — needs 1 more approval — signed by 0x15d3…6A65 (admin of party 5, Riverside People's Hospital)`);
    await refusedWithoutChange(
      node,
      ["party", "execute", "--proposal", id, "--from", "0"],
      new RegExp(`^error: GovernorNotApproved\\(proposalId=${id}, approvals=2, threshold=3, regulatorApproved=false\\): `),
    );
    expect(await node.json("party", "vote", "--proposal", id, "--from", "0")).to.deep.equal({
      proposalId: id,
      kind: "revoke-party",
      partyVoting: "1",
      approvals: "4",
      approvalsInForce: "3",
      regulatorApprovedInForce: true,
      threshold: "3",
      thresholdAtCreation: "4",
      regulatorRequired: false,
      regulatorApproved: true,
      executed: true,
      partyId: "7",
      outcome: "party 7 is now revoked",
    });
  });
});
