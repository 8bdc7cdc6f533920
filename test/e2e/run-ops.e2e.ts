import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

// Well-known accounts of `hardhat node`: 0 = the regulator's admin (party 1), 1 = the
// manufacturer's (party 2, Qiantang). Labels from deploy/accounts.json: "maker", "regulator".
const GTIN = "06901234567892";
const PRODUCT = { name: "Amoxicillin Capsules 0.25g", approvalNo: "H20230001" };
const MAKER = "0x7099…79C8 (admin of party 2, Qiantang Pharmaceutical Co., Ltd.)";
/** A fresh account to enrol, checksummed as the tasks print it (no letters: the checksum is the identity). */
const account = (n: number) => `0x${n.toString().padStart(40, "0")}`;

/** One line of an operations file. */
const op = (task: string[] | string, args: Record<string, string | number | boolean> = {}) => JSON.stringify({ task, args });
const enrol = (n: number, extra: Record<string, string> = {}) =>
  op(["member", "add"], { party: "2", account: account(n), from: "1", ...extra });

interface Outcome {
  line: number;
  task: string;
  status: string;
  result?: unknown;
  error?: { name: string; args: Record<string, string>; message: string };
}

describe("run-ops: many operations in one process against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let dir: string;
  let files = 0;

  /** Writes `lines` to a fresh operations file and returns its path. */
  async function opsFile(...lines: string[]): Promise<string> {
    const file = path.join(dir, `ops-${++files}.jsonl`);
    await writeFile(file, `${lines.join("\n")}\n`);
    return file;
  }

  const blockNumber = async () => BigInt(await node.rpc<string>("eth_blockNumber"));

  before(async function () {
    node = await startLocalNode({ cold: true });
    dir = await mkdtemp(path.join(tmpdir(), "medstate-run-ops-"));
    await node.json("system", "deploy");
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("runs five operations in order, each printing exactly what it prints alone", async function () {
    // Each line, and the same command as an operator types it.
    const ops: [string, string[]][] = [
      [
        op(["member", "add"], { party: "Qiantang", account: account(11), role: "qa", from: "maker" }),
        ["member", "add", "--party", "Qiantang", "--account", account(11), "--role", "qa", "--from", "maker"],
      ],
      [
        op("product register", { gtin: GTIN, name: PRODUCT.name, "approval-no": PRODUCT.approvalNo, nationalCode: "8123456", from: "maker" }),
        ["product", "register", "--gtin", GTIN, "--name", PRODUCT.name, "--approval-no", PRODUCT.approvalNo, "--national-code", "8123456", "--from", "maker"],
      ],
      [
        op(["product", "approve"], { gtin: GTIN, applicant: "Qiantang", from: "regulator" }),
        ["product", "approve", "--gtin", GTIN, "--applicant", "Qiantang", "--from", "regulator"],
      ],
      [op(["member", "add"], { party: 2, account: account(12), from: 1 }), ["member", "add", "--party", "2", "--account", account(12), "--from", "1"]],
      [op("party list"), ["party", "list"]],
    ];
    // Alone first, each in its own process; then the chain goes back to before them.
    const snapshot = await node.rpc<string>("evm_snapshot");
    let alone = "";
    for (const [, argv] of ops) {
      const result = await node.run(...argv);
      expect(result.code, result.stderr).to.equal(0);
      alone += result.stdout;
    }
    expect(await node.rpc<boolean>("evm_revert", [snapshot])).to.equal(true);

    const file = await opsFile(
      "# enrol a QA member, apply for a product, approve it, enrol an operator, list the parties",
      ...ops.slice(0, 2).map(([line]) => line),
      "",
      ...ops.slice(2).map(([line]) => line),
    );
    const before = await blockNumber();
    const result = await node.run("run-ops", file);
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal(`${alone}run-ops: 5 operations, 5 done\n`);
    // Four transactions, one block each (automine).
    expect(await blockNumber()).to.equal(before + 4n);
    // What the lines did: the product is registered to party 2, the accounts are taken.
    expect(alone).to.include(`product ${GTIN} "${PRODUCT.name}" (H20230001) registered, held by party 2 (Qiantang Pharmaceutical Co., Ltd.), national code 8123456`);
    const taken = await node.run("run-ops", await opsFile(enrol(11)), "--json");
    expect(JSON.parse(taken.stdout)).to.deep.equal([
      {
        line: 1,
        task: "member add",
        status: "refused",
        error: {
          name: "RegistryAccountTaken",
          args: { account: account(11), partyId: "2" },
          message: `RegistryAccountTaken(account=${account(11)}, partyId=2)`,
        },
      },
    ]);
  });

  it("prints one JSON document with --json: each line's result, as the task prints it alone", async function () {
    const file = await opsFile(enrol(21, { role: "device" }), enrol(22));
    const result = await node.run("run-ops", file, "--json");
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(JSON.parse(result.stdout)).to.deep.equal([
      { line: 1, task: "member add", status: "done", result: { partyId: "2", account: account(21), role: "device" } },
      { line: 2, task: "member add", status: "done", result: { partyId: "2", account: account(22), role: "operator" } },
    ]);
  });

  it("stops at the first refusal: the lines after it are not run, and it exits 1", async function () {
    // Line 2 enrols an account that line 1 has just enrolled.
    const file = await opsFile(enrol(31), enrol(31), enrol(32));
    const before = await blockNumber();
    const result = await node.run("run-ops", file);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal(
      `${account(31)} enrolled in party 2 (Qiantang Pharmaceutical Co., Ltd.) as operator — signed by ${MAKER}\n` +
        "run-ops: 3 operations, 1 done, 1 refused (line 2); stopped there, 1 not run (--continue runs past a refusal)\n",
    );
    expect(result.stderr).to.equal(`error: line 2 (member add): RegistryAccountTaken(account=${account(31)}, partyId=2)\n`);
    // Only line 1's transaction: line 3 was never sent.
    expect(await blockNumber()).to.equal(before + 1n);
    const again = await node.run("run-ops", await opsFile(enrol(32)), "--json");
    expect(JSON.parse(again.stdout)).to.deep.equal([
      { line: 1, task: "member add", status: "done", result: { partyId: "2", account: account(32), role: "operator" } },
    ]);
  });

  it("keeps going past a refusal with --continue, reporting it in the JSON document, and still exits 1", async function () {
    const file = await opsFile(enrol(41), enrol(41), enrol(42));
    const before = await blockNumber();
    const result = await node.run("run-ops", file, "--continue", "--json");
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`error: line 2 (member add): RegistryAccountTaken(account=${account(41)}, partyId=2)\n`);
    expect(JSON.parse(result.stdout) as Outcome[]).to.deep.equal([
      { line: 1, task: "member add", status: "done", result: { partyId: "2", account: account(41), role: "operator" } },
      {
        line: 2,
        task: "member add",
        status: "refused",
        error: {
          name: "RegistryAccountTaken",
          args: { account: account(41), partyId: "2" },
          message: `RegistryAccountTaken(account=${account(41)}, partyId=2)`,
        },
      },
      { line: 3, task: "member add", status: "done", result: { partyId: "2", account: account(42), role: "operator" } },
    ]);
    expect(await blockNumber()).to.equal(before + 2n);
  });

  it("lists the lines a stop left out as not run in the JSON document", async function () {
    const file = await opsFile(enrol(51), enrol(51), enrol(52), op("party list"));
    const result = await node.run("run-ops", file, "--json");
    expect(result.code).to.equal(1);
    const outcomes = JSON.parse(result.stdout) as Outcome[];
    expect(outcomes.map((o) => [o.line, o.task, o.status])).to.deep.equal([
      [1, "member add", "done"],
      [2, "member add", "refused"],
      [3, "member add", "not run"],
      [4, "party list", "not run"],
    ]);
  });

  it("refuses a file with a bad line before anything is sent, naming the line", async function () {
    const good = enrol(61);
    const cases: [string[], RegExp][] = [
      [[good, "{not json"], /^error: .*ops-\d+\.jsonl line 2: not JSON \(.+\); nothing was run$/],
      [[good, op("batch shipp", { batch: "x" })], /^error: .*ops-\d+\.jsonl line 2: unknown task "batch shipp" \(run-ops runs MedState tasks: npx hardhat --help lists them\); nothing was run$/],
      [
        [good, "", op("member add", { party: "2", qty: "1" })],
        /^error: .*ops-\d+\.jsonl line 3: member add has no option "qty" \(its options: party, account, role, from\); nothing was run$/,
      ],
      [[good, op("party list", { json: true })], /^error: .*ops-\d+\.jsonl line 2: "json" belongs to the whole run: run-ops --json; nothing was run$/],
      [[good, op("run-ops")], /^error: .*ops-\d+\.jsonl line 2: run-ops cannot run itself: put the other file's lines in this one; nothing was run$/],
      [[good, op("member add", { party: 2e30 })], /^error: .*ops-\d+\.jsonl line 2: --party must be a string \(this number is past 2\^53: quote it\); nothing was run$/],
      [
        [good, op("product register", { gtin: GTIN, "approval-no": "H1", approvalNo: "H2" }), "[]"],
        /^error: .*ops-\d+\.jsonl line 2: --approval-no is given twice; nothing was run \(1 more bad line: 3\)$/,
      ],
      [[JSON.stringify({ task: "party list", arg: {} })], /^error: .*ops-\d+\.jsonl line 1: unknown key "arg" \(a line has "task" and "args"\); nothing was run$/],
      [["# nothing but a comment", ""], /^error: .*ops-\d+\.jsonl holds no operations \(one JSON object per line\)$/],
    ];
    for (const [lines, message] of cases) {
      await refusedWithoutChange(node, ["run-ops", await opsFile(...lines)], message);
    }
    await refusedWithoutChange(node, ["run-ops"], /^error: missing FILE \(the operations file, one JSON object per line\)$/);
    await refusedWithoutChange(node, ["run-ops", path.join(dir, "absent.jsonl")], /^error: cannot read the operations file .*absent\.jsonl: ENOENT: .+$/);
    // Line 1 was good, yet nothing ran: the account can still be enrolled.
    expect(await node.json("member", "add", "--party", "2", "--account", account(61), "--from", "1")).to.deep.equal({
      partyId: "2",
      account: account(61),
      role: "operator",
    });
  });

  it("refuses a bad file with one JSON error document under --json", async function () {
    const result = await node.run("run-ops", await opsFile(op("party lst")), "--json");
    expect(result.code).to.equal(1);
    const message = `${path.join(dir, `ops-${files}.jsonl`)} line 1: unknown task "party lst" (run-ops runs MedState tasks: npx hardhat --help lists them); nothing was run`;
    expect(JSON.parse(result.stdout)).to.deep.equal({ error: { name: "UserError", args: {}, message } });
    expect(result.stderr).to.equal(`error: ${message}\n`);
  });
});
