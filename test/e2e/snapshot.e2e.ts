import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { keccak256 } from "ethers";

import { type CliResult, type LocalNode, startLocalNode } from "../helpers/cli.js";

// Well-known accounts of `hardhat node` and the localhost founders: 1 is the manufacturer's
// admin (party 2); below, 9 becomes the manufacturer's QA.
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const GTIN = "06901234567892";
const LOT = "SNAP26C";
const code = (i: number) => `(01)${GTIN}(21)S${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;
const HEX = /^0x[0-9a-f]{64}$/;

interface Difference {
  what: string;
  path?: string;
  entity?: string;
  snapshot: string | null;
  actual: string | null;
}

interface Verified {
  ok: boolean;
  differences: Difference[];
  unverified: string;
}

/** A verification that must fail: exit 1, its JSON on stdout, one line on stderr. */
function failed(result: CliResult): Verified {
  expect(result.code, result.stderr).to.equal(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: snapshot .+ does not match this node: \d+ differences \(first: .+\)$/);
  const verified = JSON.parse(result.stdout) as Verified;
  expect(verified.ok).to.equal(false);
  return verified;
}

describe("audit snapshot and verify-snapshot through the CLI against a hardhat node @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  let dir: string;
  let evidenceDir: string;
  let batchId: string;
  let dump: string;
  let file: string;

  before(async function () {
    node = await startLocalNode();
    dir = await mkdtemp(path.join(tmpdir(), "medstate-snapshot-e2e-"));
    evidenceDir = path.join(dir, "evidence");
    const units = path.join(dir, "units.txt");
    await writeFile(units, `${Array.from({ length: 50 }, (_, i) => code(i)).join("\n")}\n`);
    await node.json("system", "deploy");
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin 500 mg", "--approval-no", "国药准字H20260003", "--from", "1");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
    const created = await node.json<{ batchId: string; dump: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-11-01", "--expiry", "2028-06-30",
      "--quantity", "50", "--units", units, "--from", "1",
    );
    ({ batchId, dump } = created);
    await mkdir(evidenceDir, { recursive: true });
    await writeFile(path.join(evidenceDir, "qc-report.txt"), "QC release report: assay 99.8 %\n");
    await node.json(
      "observe", "--batch", batchId, "--point", "inspection", "--result", "normal",
      "--evidence", path.join(evidenceDir, "qc-report.txt"), "--evidence-uri", "qc-report.txt", "--from", "9",
    );
    await node.json("batch", "release", "--batch", batchId, "--from", "9");
    file = path.join(dir, "snapshot.json");
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("writes a snapshot of the head with its digest and artefacts", async function () {
    const head = await node.rpc<{ number: string; hash: string }>("eth_getBlockByNumber", ["latest", false]);
    const taken = await node.json<Record<string, string>>("audit", "snapshot", "--out", file);
    expect(taken).to.include({ file, block: String(Number(head.number)), blockHash: head.hash, unitDumps: "1", evidence: "1", missing: "0" });
    expect(taken.digest).to.match(HEX);
    const written = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown> & {
      artefacts: { units: Record<string, string>[]; evidence: Record<string, string>[] };
    };
    expect(written).to.include({ format: "medstate-snapshot/1", digest: taken.digest, blockHash: head.hash });
    expect(written.artefacts.units).to.deep.equal([
      {
        batchId,
        unitsRoot: path.basename(dump, ".json"),
        unitCount: "50",
        file: `deployments/chain-31337/units/${path.basename(dump)}`,
        keccak256: keccak256(await readFile(dump)),
      },
    ]);
    expect(written.artefacts.evidence).to.deep.equal([
      { subject: batchId, seq: "1", evidenceHash: keccak256(await readFile(path.join(evidenceDir, "qc-report.txt"))), evidenceUri: "qc-report.txt" },
    ]);
  });

  it("verifies the snapshot against the node", async function () {
    const verified = await node.json<Verified>("audit", "verify-snapshot", "--file", file, "--evidence-dir", evidenceDir);
    expect(verified).to.deep.include({ ok: true, differences: [], unverified: "0" });
    const human = await node.run("audit", "verify-snapshot", "--file", file, "--evidence-dir", evidenceDir);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/^snapshot .+ verified: block \d+ has hash 0x[0-9a-f]{4}…[0-9a-f]{4} on this node/);
  });

  it("reports an edited value in the snapshot with its path, and exits 1", async function () {
    const original = await readFile(file, "utf8");
    try {
      const edited = JSON.parse(original) as { state: { batches: { $map: [string, { quantity: unknown }][] } } };
      edited.state.batches.$map[0][1].quantity = { $bigint: "5000" };
      await writeFile(file, JSON.stringify(edited));
      const verified = failed(await node.run("audit", "verify-snapshot", "--file", file, "--evidence-dir", evidenceDir, "--json"));
      expect(verified.differences).to.deep.include({ what: "state", path: `batches[${batchId}].quantity`, snapshot: "5000", actual: "50" });
      expect(verified.differences.map((d) => d.what)).to.include.members(["snapshot digest", "view"]);
    } finally {
      await writeFile(file, original);
    }
  });

  it("reports a deleted unit dump and an altered evidence file, and exits 1", async function () {
    const units = await readFile(dump);
    const evidence = path.join(evidenceDir, "qc-report.txt");
    const report = await readFile(evidence);
    try {
      await rm(dump);
      await writeFile(evidence, "QC release report: assay 89.8 %\n");
      const verified = failed(await node.run("audit", "verify-snapshot", "--file", file, "--evidence-dir", evidenceDir, "--json"));
      expect(verified.differences.map((d) => [d.what, d.entity])).to.deep.equal([
        ["unit dump missing", batchId],
        ["evidence altered", `${batchId}/1`],
      ]);
    } finally {
      await writeFile(dump, units);
      await writeFile(evidence, report);
    }
    expect(await node.json<Verified>("audit", "verify-snapshot", "--file", file, "--evidence-dir", evidenceDir)).to.include({ ok: true });
  });

  it("refuses a file that is not a snapshot with one line", async function () {
    const bogus = path.join(dir, "bogus.json");
    await writeFile(bogus, "{}");
    const result = await node.run("audit", "verify-snapshot", "--file", bogus);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal("");
    expect(result.stderr.trim()).to.match(/^error: invalid snapshot .+: format must be "medstate-snapshot\/1"$/);
  });
});
