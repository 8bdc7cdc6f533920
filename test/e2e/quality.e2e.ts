import { expect } from "chai";

import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import { HEX32 as HEX, admitNotary, produceAndDistribute, unitCode as code, writeLifecycleFiles } from "../helpers/lifecycle.js";

// The accounts of test/helpers/lifecycle.ts: 9 the manufacturer's QA, 10 the
// wholesaler's cold-chain logger (device), 12 the admin of the notary (party 8).

describe("a vaccine's cold chain through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let batchId: string;
  let recallId: string;

  before(async function () {
    node = await startLocalNode();
    const files = await writeLifecycleFiles("vax");
    expect(await admitNotary(node)).to.equal("8");
    batchId = await produceAndDistribute(node, files);
  });

  after(async function () {
    await node?.stop();
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
      new RegExp(`^error: CollaborationUnmetPrerequisite\\(subject=${batchId}, state=3, missing=4\\)$`),
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
      new RegExp(`^error: BatchRegistryHalted\\(batchId=${batchId}, state=1\\)$`),
    );
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "stopped", effectiveState: "EmergencyStop" });
  });

  it("recalls at level I; holders return their stock; the overdue list names who is late", async function () {
    const recall = await node.json<{ recallId: string; deadline: string; level: string }>(
      "state", "recall", "--batch", batchId, "--level", "1", "--reason", "storage excursion 9.5 °C", "--from", "0",
    );
    expect(recall.recallId).to.match(new RegExp(`^${HEX}$`));
    expect(recall.level).to.equal("1");
    recallId = recall.recallId;
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "recalled", effectiveState: "Recall" });
    expect(await node.json("state", "return", "--recall", recallId, "--quantity", "20", "--from", "2")).to.include({ outstanding: "20", party: "3" });
    await refusedWithoutChange(
      node,
      ["state", "return", "--recall", recallId, "--quantity", "21", "--from", "2"],
      new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=3, held=20, requested=21\\)$`),
    );
    expect(await node.json("state", "overdue")).to.deep.equal([]);
    await node.rpc("evm_increaseTime", [2 * 86400]);
    await node.rpc("evm_mine", []);
    const overdue = await node.json<Record<string, unknown>[]>("state", "overdue");
    expect(overdue).to.have.length(1);
    expect(overdue[0]).to.include({ recallId, batchId, level: "1", outstanding: "80" });
    expect(overdue[0].parties).to.deep.equal([
      { partyId: "2", outstanding: "40" },
      { partyId: "3", outstanding: "20" },
      { partyId: "6", outstanding: "20" },
    ]);
    await node.json("state", "return", "--recall", recallId, "--quantity", "20", "--from", "2");
    await node.json("state", "return", "--recall", recallId, "--quantity", "20", "--from", "5");
    expect(await node.json("state", "return", "--recall", recallId, "--quantity", "40", "--from", "1")).to.include({ outstanding: "0" });
    expect(await node.json("state", "overdue")).to.deep.equal([]);
  });

  it("destroys the returned stock under a notary's witness: the batch is Destroyed", async function () {
    await refusedWithoutChange(
      node,
      ["state", "destroy", "--batch", batchId, "--quantity", "101", "--from", "1"],
      new RegExp(`^error: CollaborationInsufficientQuarantine\\(batchId=${batchId}, quarantined=100, requested=101\\)$`),
    );
    const { destructionId } = await node.json<{ destructionId: string }>("state", "destroy", "--batch", batchId, "--quantity", "100", "--from", "1");
    // The proposer cannot witness its own destruction.
    await refusedWithoutChange(node, ["state", "witness", "--destruction", destructionId, "--from", "1"], /^error: RegistryDomainNotAllowed\(partyId=2, domain=manufacturer\)$/);
    expect(await node.json("state", "witness", "--destruction", destructionId, "--from", "12")).to.deep.include({
      destructionId,
      batchId,
      quantity: "100",
      witness: "8",
      state: "Destroyed",
    });
    const shown = await node.json<Record<string, unknown>>("state", "show", "--batch", batchId);
    expect(shown).to.include({ state: "Destroyed", effectiveState: "Destroyed", quarantined: "0", destroyed: "100" });
    expect((shown.history as Record<string, string>[]).map((h) => h.to)).to.deep.equal(["EmergencyStop", "Recall", "Destroyed"]);
    expect(await node.json("batch", "show", "--batch", batchId)).to.deep.include({ state: "Destroyed", effectiveState: "Destroyed", holders: [] });
    expect(await node.json("unit", "verify", "--code", code(7))).to.include({ status: "destroyed" });
  });

  it("an auditor's replay, from a separate process, rebuilds the same state from the events: 0 mismatches", async function () {
    const replay = await node.json<Record<string, unknown>>("audit", "replay");
    expect(replay).to.deep.include({ mismatches: [], anomalies: [], parties: "8", products: "1", batches: "1", shipments: "2" });
    expect(replay.toBlock).to.equal(String(BigInt(await node.rpc<string>("eth_blockNumber"))));
    expect(replay.digest).to.match(new RegExp(`^${HEX}$`));
    expect(BigInt(replay.events as string)).to.be.greaterThan(50n);
    const human = await node.run("audit", "replay");
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/0 mismatches: the contracts' views equal the state the events rebuild/);
    await refusedWithoutChange(node, ["audit", "replay", "--from-block", "later"], /^error: invalid --from-block "later": expected a block number$/);
  });
});
