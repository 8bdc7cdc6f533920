import { expect } from "chai";

import { type Engine, type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import {
  HEX32,
  type LifecycleFiles,
  admitNotary,
  advanceTime,
  gasSummary,
  produceAndDistribute,
  unitCode,
  writeLifecycleFiles,
} from "../helpers/lifecycle.js";

const ENGINES: readonly Engine[] = ["hardhat", "anvil"];
/** What every well-known account starts with on both engines: 10,000 ether. */
const START_BALANCE = 10_000n * 10n ** 18n;
const ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

for (const engine of ENGINES) {
  describe(`a batch's whole life through the CLI on ${engine}, with free gas @e2e`, function () {
    this.timeout(300_000);
    let node: LocalNode;
    let files: LifecycleFiles;
    let notary: string;
    let batchId: string;
    let recallId: string;

    before(async function () {
      node = await startLocalNode({ engine, cold: true });
      files = await writeLifecycleFiles(`engines-${engine}`);
    });

    after(async function () {
      await node?.stop();
    });

    it("runs the chain like a permissioned one: chain 31337, 20 accounts, base fee 0", async function () {
      expect(node.engine).to.equal(engine);
      expect(await node.rpc("eth_chainId")).to.equal("0x7a69");
      expect(await node.rpc<string[]>("eth_accounts")).to.have.length(20);
      const genesis = await node.rpc<{ baseFeePerGas: string }>("eth_getBlockByNumber", ["latest", false]);
      expect(BigInt(genesis.baseFeePerGas)).to.equal(0n);
    });

    it("deploys, and the consortium admits a notary by proposal and votes", async function () {
      notary = await admitNotary(node);
      expect(notary).to.equal("8");
      const parties = await node.json<Record<string, string>[]>("party", "list");
      expect(parties.find((p) => p.partyId === notary)).to.include({ name: "Hangzhou Notary Office", domain: "notary", status: "active" });
    });

    it("registers a 2–8 °C product, creates, releases and distributes a batch", async function () {
      batchId = await produceAndDistribute(node, files);
      expect(batchId).to.match(new RegExp(`^${HEX32}$`));
      expect(await node.json("batch", "show", "--batch", batchId)).to.deep.include({
        state: "Marketed",
        holders: [
          { partyId: "2", quantity: "40" },
          { partyId: "3", quantity: "40" },
          { partyId: "6", quantity: "20" },
        ],
      });
    });

    it("stops the batch when the wholesaler's logger reads 9.5 °C, and refuses shipping", async function () {
      const normal = await node.json<{ triggered: unknown[] }>(
        "observe", "--batch", batchId, "--point", "storage", "--measure", "temperature=5.2,humidity=40", "--from", "10",
      );
      expect(normal.triggered).to.deep.equal([]);
      const excursion = await node.json<{ triggered: Record<string, string>[] }>(
        "observe", "--batch", batchId, "--point", "storage", "--measure", "temperature=9.5", "--from", "10",
      );
      expect(excursion.triggered).to.deep.equal([
        { subject: batchId, seq: "3", rule: "critical-observation", ruleContract: "0x0000000000000000000000000000000000000000", action: "EmergencyStop", applied: "yes" },
      ]);
      expect(await node.json("state", "show", "--batch", batchId)).to.include({ state: "EmergencyStop", effectiveState: "EmergencyStop" });
      await refusedWithoutChange(
        node,
        ["batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "1", "--from", "2"],
        new RegExp(`^error: BatchRegistryHalted\\(batchId=${batchId}, state=EmergencyStop\\)$`),
      );
      expect(await node.json("unit", "verify", "--code", unitCode(7))).to.include({ status: "stopped" });
    });

    it("recalls at level I; the holders return their stock, one of them after the deadline", async function () {
      const recall = await node.json<{ recallId: string; level: string }>(
        "state", "recall", "--batch", batchId, "--level", "1", "--reason", "storage excursion 9.5 °C", "--from", "0",
      );
      expect(recall.level).to.equal("1");
      recallId = recall.recallId;
      expect(await node.json("state", "return", "--recall", recallId, "--quantity", "40", "--from", "2")).to.include({ outstanding: "0", party: "3" });
      await refusedWithoutChange(
        node,
        ["state", "return", "--recall", recallId, "--quantity", "1", "--from", "2"],
        new RegExp(`^error: BatchRegistryInsufficientStock\\(batchId=${batchId}, party=3, available=0, requested=1\\): party 3 has 0 units of the batch available \\(held, less its locked units\\), fewer than the 1 requested$`),
      );
      expect(await node.json("state", "overdue")).to.deep.equal([]);
      await advanceTime(node, 2 * 86400);
      const overdue = await node.json<Record<string, unknown>[]>("state", "overdue");
      expect(overdue).to.have.length(1);
      expect(overdue[0]).to.include({ recallId, batchId, level: "1", outstanding: "60" });
      await node.json("state", "return", "--recall", recallId, "--quantity", "20", "--from", "5");
      expect(await node.json("state", "return", "--recall", recallId, "--quantity", "40", "--from", "1")).to.include({ outstanding: "0" });
      expect(await node.json("state", "overdue")).to.deep.equal([]);
    });

    it("destroys the returned stock under the notary's witness: Destroyed", async function () {
      const { destructionId } = await node.json<{ destructionId: string }>("state", "destroy", "--batch", batchId, "--quantity", "100", "--from", "1");
      await refusedWithoutChange(node, ["state", "witness", "--destruction", destructionId, "--from", "1"], /^error: RegistryDomainNotAllowed\(partyId=2, domain=manufacturer\)$/);
      expect(await node.json("state", "witness", "--destruction", destructionId, "--from", "12")).to.deep.include({
        destructionId,
        batchId,
        quantity: "100",
        witness: notary,
        state: "Destroyed",
        enteredDisposal: true,
        unaccounted: "0",
      });
      const shown = await node.json<Record<string, unknown>>("state", "show", "--batch", batchId);
      expect(shown).to.include({ state: "Destroyed", effectiveState: "Destroyed", destroyed: "100" });
      expect((shown.history as Record<string, string>[]).map((h) => h.to)).to.deep.equal(["EmergencyStop", "Recall", "Destroyed"]);
      expect(await node.json("unit", "verify", "--code", unitCode(7))).to.include({ status: "destroyed" });
    });

    it("an auditor's replay rebuilds the same state from the events: no mismatch, no anomaly", async function () {
      const replay = await node.json<Record<string, unknown>>("audit", "replay");
      expect(replay).to.deep.include({ mismatches: [], anomalies: [], parties: "8", products: "1", batches: "1", shipments: "2" });
      expect(replay.toBlock).to.equal(String(BigInt(await node.rpc<string>("eth_blockNumber"))));
      expect(BigInt(replay.events as string)).to.be.greaterThan(50n);
    });

    it("cost no gas: every block's base fee and every receipt's effective gas price is 0", async function () {
      const gas = await gasSummary(node);
      expect(gas.transactions).to.be.greaterThan(30);
      expect(gas.gasUsed).to.be.greaterThan(0n);
      expect(gas.baseFees.map((f) => BigInt(f))).to.deep.equal([0n]);
      expect(gas.effectiveGasPrices.map((p) => BigInt(p))).to.deep.equal([0n]);
      // The deployer sent dozens of transactions and still holds every wei it started with.
      expect(BigInt(await node.rpc<string>("eth_getBalance", [ACCOUNT_0, "latest"]))).to.equal(START_BALANCE);
    });
  });
}
