import { expect } from "chai";

import { shortId as short } from "../../sdk/references.js";
import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import { HEX32 as HEX, admitNotary, produceAndDistribute, unitCode as code, writeLifecycleFiles } from "../helpers/lifecycle.js";

// The accounts of test/helpers/lifecycle.ts: 9 the manufacturer's QA, 10 the
// wholesaler's cold-chain logger (device), 12 the admin of the notary (party 8). Before the
// excursion the wholesaler (party 3) ships 5 boxes to the logistics party (4), which never
// receives them: stock in transit that the recall counts and the destruction waits for.

describe("a vaccine's cold chain through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let batchId: string;
  let recallId: string;
  let onTheTruck: string;

  before(async function () {
    node = await startLocalNode();
    const files = await writeLifecycleFiles("vax");
    expect(await admitNotary(node)).to.equal("8");
    batchId = await produceAndDistribute(node, files);
  });

  after(async function () {
    await node?.stop();
  });

  it("ships 5 boxes that stay in transit, and batch show accounts for every unit", async function () {
    ({ shipmentId: onTheTruck } = await node.json<{ shipmentId: string }>(
      "batch", "ship", "--batch", batchId, "--to", "4", "--quantity", "5", "--from", "2",
    ));
    const shown = await node.json<Record<string, unknown>>("batch", "show", "--batch", batchId);
    expect(shown).to.include({ quantity: "100", inCustody: "100", held: "95", inTransit: "5", dispensed: "0", quarantined: "0", suspended: "0" });
    expect(shown.holders).to.deep.equal([
      { partyId: "2", quantity: "40" },
      { partyId: "3", quantity: "35" },
      { partyId: "6", quantity: "20" },
    ]);
    expect(shown.custody).to.deep.include({ partyId: "3", held: "35", inTransit: "5", suspended: "0", locked: "0", dispensed: "0" });
    const human = await node.run("batch", "show", "--batch", batchId);
    expect(human.stdout).to.include(
      "quantity 100 = 100 in custody (95 held, 5 in transit) + 0 dispensed + 0 destroyed + 0 lost + 0 quarantined + 0 in suspect cases",
    );
    expect(human.stdout).to.include("party   3 holds 35, 5 in transit");
  });

  it("records a normal storage reading, and refuses what the rules and the DAG forbid", async function () {
    const normal = await node.json<{ observationIds: string[]; triggered: unknown[] }>(
      "observe", "--batch", batchId, "--point", "storage", "--measure", "temperature=5.2,humidity=40", "--from", "10",
    );
    expect(normal).to.deep.equal({
      observationIds: [`${batchId}/2`],
      observations: [{ id: `${batchId}/2`, subject: batchId, seq: "2", point: "storage", result: "normal" }],
      triggered: [],
    });
    // The hospital never received the batch: no adverse reaction can be recorded for it.
    await refusedWithoutChange(
      node,
      ["observe", "--batch", batchId, "--point", "adverse", "--from", "4"],
      new RegExp(`^error: QualityEngineNotDelivered\\(batchId=${batchId}, party=5\\)$`),
    );
    // Destruction needs a recall first.
    await refusedWithoutChange(
      node,
      ["state", "destroy", "--batch", batchId, "--quantity", "1", "--from", "1"],
      new RegExp(`^error: CollaborationUnmetPrerequisite\\(subject=${batchId}, state=Destroyed, missing=Recall\\)$`),
    );
    // A device only observes: it cannot recall.
    await refusedWithoutChange(
      node,
      ["state", "recall", "--batch", batchId, "--level", "1", "--reason", "test", "--from", "10"],
      /^error: RegistryRoleNotAllowed\(account=0x[0-9a-fA-F]{40}, role=device\)$/,
    );
    await refusedWithoutChange(node, ["observe", "--batch", batchId, "--point", "storage", "--measure", "temperature=warm", "--from", "10"], /^error: invalid measure temperature "warm"/);
    await refusedWithoutChange(node, ["observe", "--batch", batchId, "--point", "smell", "--from", "10"], /^error: invalid --point "smell": expected one of process, /);
  });

  it("stops the batch by itself when the logger reads 9.5 °C, and trade stops", async function () {
    const excursion = await node.json<{ observationIds: string[]; triggered: Record<string, string>[] }>(
      "observe", "--batch", batchId, "--point", "storage", "--measure", "temperature=9.5", "--from", "10",
    );
    expect(excursion.triggered).to.deep.equal([
      { subject: batchId, seq: "3", rule: "critical-observation", ruleContract: "0x0000000000000000000000000000000000000000", action: "EmergencyStop", applied: "yes" },
    ]);
    const shown = await node.json<Record<string, unknown>>("state", "show", "--batch", batchId);
    expect(shown).to.include({ subject: batchId, kind: "batch", state: "EmergencyStop", effectiveState: "EmergencyStop", productState: "Marketed" });
    expect((shown.history as Record<string, string>[]).map((h) => [h.from, h.to, h.by, h.party])).to.deep.equal([["Marketed", "EmergencyStop", "rule", "3"]]);
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "1", "--from", "2"],
      new RegExp(`^error: BatchRegistryHalted\\(batchId=${batchId}, state=EmergencyStop\\)$`),
    );
    // Nor can a holder write its stock off while the batch is halted (attack 3 of issue 12).
    await refusedWithoutChange(
      node,
      ["unit", "decommission", "--code", code(7), "--status", "destroyed", "--from", "5"],
      new RegExp(
        `^error: BatchRegistryHalted\\(batchId=${batchId}, state=EmergencyStop\\): no unit of a halted batch is decommissioned; ` +
          "recalled stock goes back with `state return` and a witnessed destruction$",
      ),
    );
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "stopped", effectiveState: "EmergencyStop" });
  });

  it("recalls at level I; holders return their stock; the overdue list names who is late, stock in transit included", async function () {
    const recall = await node.json<{ recallId: string; deadline: string; level: string }>(
      "state", "recall", "--batch", batchId, "--level", "1", "--reason", "storage excursion 9.5 °C", "--from", "0",
    );
    expect(recall.recallId).to.match(new RegExp(`^${HEX}$`));
    expect(recall.level).to.equal("1");
    recallId = recall.recallId;
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "recalled", effectiveState: "Recall" });
    // The wholesaler's 5 boxes in transit stay in its outstanding quantity.
    expect(await node.json("state", "return", "--recall", recallId, "--quantity", "20", "--from", "2")).to.include({ outstanding: "20", party: "3" });
    await refusedWithoutChange(
      node,
      ["state", "return", "--recall", recallId, "--quantity", "16", "--from", "2"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=3, available=15, requested=16\\): party 3 has 15 units of the batch available \\(held, less its locked units\\), fewer than the 16 requested$`),
    );
    expect(await node.json("state", "overdue")).to.deep.equal([]);
    await node.rpc("evm_increaseTime", [2 * 86400]);
    await node.rpc("evm_mine", []);
    const overdue = await node.json<Record<string, unknown>[]>("state", "overdue");
    expect(overdue).to.have.length(1);
    expect(overdue[0]).to.include({ recallId, batchId, level: "1", outstanding: "80", held: "75", inTransit: "5", suspended: "0" });
    expect(overdue[0].parties).to.deep.equal([
      { partyId: "2", outstanding: "40", held: "40", inTransit: "0", suspended: "0" },
      { partyId: "3", outstanding: "20", held: "15", inTransit: "5", suspended: "0" },
      { partyId: "6", outstanding: "20", held: "20", inTransit: "0", suspended: "0" },
    ]);
    const human = await node.run("state", "overdue");
    expect(human.stdout).to.include("80 still out (75 held, 5 in transit)");
    expect(human.stdout).to.include("party   3 has 20 out: 15 held, 5 in transit");
    await node.json("state", "return", "--recall", recallId, "--quantity", "15", "--from", "2");
    await node.json("state", "return", "--recall", recallId, "--quantity", "20", "--from", "5");
    expect(await node.json("state", "return", "--recall", recallId, "--quantity", "40", "--from", "1")).to.include({ outstanding: "0" });
    // Only the boxes on the truck are still out.
    const late = await node.json<Record<string, unknown>[]>("state", "overdue");
    expect(late).to.have.length(1);
    expect(late[0]).to.include({ outstanding: "5", held: "0", inTransit: "5" });
    expect(late[0].parties).to.deep.equal([{ partyId: "3", outstanding: "5", held: "0", inTransit: "5", suspended: "0" }]);
  });

  it("destroys the returned stock under a notary's witness: the batch stays under recall while 5 are in transit", async function () {
    await refusedWithoutChange(
      node,
      ["state", "destroy", "--batch", batchId, "--quantity", "96", "--from", "1"],
      new RegExp(
        `^error: CollaborationInsufficientQuarantine\\(batchId=${batchId}, quarantined=95, requested=96\\): ` +
          "the batch's quarantine holds 95 units, fewer than the 96 requested$",
      ),
    );
    const { destructionId } = await node.json<{ destructionId: string }>("state", "destroy", "--batch", batchId, "--quantity", "95", "--from", "1");
    // The proposer cannot witness its own destruction.
    await refusedWithoutChange(node, ["state", "witness", "--destruction", destructionId, "--from", "1"], /^error: RegistryDomainNotAllowed\(partyId=2, domain=manufacturer\)$/);
    expect(await node.json("state", "witness", "--destruction", destructionId, "--from", "12")).to.deep.equal({
      destructionId,
      batchId,
      quantity: "95",
      witness: "8",
      state: "Recall",
      enteredDisposal: false,
      unaccounted: "5",
      remaining: { held: "0", inTransit: "5", quarantined: "0", suspended: "0" },
    });
    const shown = await node.json<Record<string, unknown>>("batch", "show", "--batch", batchId);
    expect(shown).to.include({ state: "Recall", quantity: "100", inCustody: "5", inTransit: "5", destroyed: "95", quarantined: "0" });
  });

  it("takes the 5 back off the truck, and their witnessed destruction makes the batch Destroyed", async function () {
    expect(await node.json("batch", "cancel", "--shipment", onTheTruck, "--from", "2")).to.deep.equal({
      shipmentId: onTheTruck,
      batchId,
      status: "cancelled",
      quantity: "5",
      from: "3",
      to: "4",
      credited: "3",
    });
    expect(await node.json("state", "return", "--recall", recallId, "--quantity", "5", "--from", "2")).to.include({ outstanding: "0" });
    expect(await node.json("state", "overdue")).to.deep.equal([]);
    const { destructionId } = await node.json<{ destructionId: string }>("state", "destroy", "--batch", batchId, "--quantity", "5", "--from", "1");
    const witnessed = await node.run("state", "witness", "--destruction", destructionId, "--from", "12");
    expect(witnessed.code, witnessed.stderr).to.equal(0);
    expect(witnessed.stdout.trim()).to.equal(
      `destruction ${short(destructionId)} witnessed by party 8 (Hangzhou Notary Office): 5 of batch ${short(batchId)} destroyed; batch Destroyed: every unit is accounted for` +
        " — signed by 0xFABB…694a (admin of party 8, Hangzhou Notary Office)",
    );
    const shown = await node.json<Record<string, unknown>>("state", "show", "--batch", batchId);
    expect(shown).to.include({ state: "Destroyed", effectiveState: "Destroyed", quarantined: "0", destroyed: "100" });
    expect((shown.history as Record<string, string>[]).map((h) => h.to)).to.deep.equal(["EmergencyStop", "Recall", "Destroyed"]);
    expect(await node.json("batch", "show", "--batch", batchId)).to.deep.include({ state: "Destroyed", effectiveState: "Destroyed", holders: [], inCustody: "0" });
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "destroyed" });
  });

  it("an auditor's replay, from a separate process, rebuilds the same state from the events: 0 mismatches", async function () {
    const replay = await node.json<Record<string, unknown>>("audit", "replay");
    expect(replay).to.deep.include({ mismatches: [], anomalies: [], parties: "8", products: "1", batches: "1", shipments: "3" });
    expect(replay.toBlock).to.equal(String(BigInt(await node.rpc<string>("eth_blockNumber"))));
    expect(replay.digest).to.match(new RegExp(`^${HEX}$`));
    expect(BigInt(replay.events as string)).to.be.greaterThan(50n);
    const human = await node.run("audit", "replay");
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/0 mismatches: the contracts' views equal the state the events rebuild/);
    await refusedWithoutChange(node, ["audit", "replay", "--from-block", "later"], /^error: invalid --from-block "later": expected a block number$/);
  });
});
