import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";

import type { DeploymentRecord } from "../../sdk/deployment.js";
import { canonicalJson, stateDigest } from "../../sdk/replay/codec.js";
import { replayChain } from "../../sdk/replay/chain.js";
import {
  SNAPSHOT_FORMAT,
  type Snapshot,
  type SnapshotDifference,
  diffPlain,
  readSnapshot,
  takeSnapshot,
  unitDumpDir,
  verifySnapshot,
  writeSnapshot,
} from "../../sdk/replay/snapshot.js";
import { saveUnitDump } from "../../sdk/units.js";
import { WHOLESALER, ethers, networkHelpers } from "../helpers/fixtures.js";
import { type BatchQualityCtx, GTIN, LOT, Point, Result, UNITS, distributedBatch, observation } from "../helpers/quality.js";
import { erc7201, word } from "../helpers/storage.js";
import { UnitTree } from "../helpers/supply.js";

const { loadFixture } = networkHelpers;

// The evidence files and where the chain says they are: a file: URI on this machine, an
// IPFS URI and a plain name with copies in the evidence directory, an https: URI nobody
// has a copy of (unverified), and a hash with no URI (found by its hash's name).
const WORK = await mkdtemp(path.join(tmpdir(), "medstate-snapshot-"));
const IGNITION = path.join(WORK, "ignition");
const EVIDENCE = path.join(WORK, "evidence");
const SITE = path.join(WORK, "site");
const CONTENT = {
  inspection: "inspection report: seals intact, 4.8 °C",
  photo: "JPEG… pallet photo",
  coa12: "certificate of analysis 12",
  coa77: "certificate of analysis 77",
  log: "time,temperature\n08:00,5.1\n",
};
const hashOf = (text: string) => ethers.keccak256(ethers.toUtf8Bytes(text));
const LOG_FILE = `${hashOf(CONTENT.log)}.csv`;
const URI = {
  inspection: pathToFileURL(path.join(SITE, "inspection.txt")).href,
  photo: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/photo.jpg",
  coa12: "coa-12.pdf",
  coa77: "https://lab.example/reports/coa-77.pdf",
};

/** The files as the snapshot finds them: the unit dump and every evidence copy. */
async function writeArtefacts(): Promise<{ dump: string }> {
  await rm(WORK, { recursive: true, force: true });
  await mkdir(EVIDENCE, { recursive: true });
  await mkdir(SITE, { recursive: true });
  await writeFile(path.join(SITE, "inspection.txt"), CONTENT.inspection);
  await writeFile(path.join(EVIDENCE, "photo.jpg"), CONTENT.photo);
  await writeFile(path.join(EVIDENCE, "coa-12.pdf"), CONTENT.coa12);
  await writeFile(path.join(EVIDENCE, LOG_FILE), CONTENT.log);
  const tree = UnitTree.sequential(GTIN, UNITS);
  const dir = unitDumpDir(IGNITION, (await ethers.provider.getNetwork()).chainId);
  await mkdir(dir, { recursive: true });
  const dump = await saveUnitDump(dir, { root: tree.root, gtin: GTIN, lot: LOT, codes: tree.values.map(([, hash]) => hash) });
  return { dump };
}

/** The distributed batch, with observations that carry evidence (seq 2–6) and a correction (seq 7). */
async function evidencedChain(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const qa = c.quality.connect(c.wholesalerQa);
  const annotated = (evidenceHash: string, evidenceUri: string) =>
    qa.observe(observation(c.batchId, Point.Inspection, Result.Normal, { evidenceHash, evidenceUri }));
  await annotated(hashOf(CONTENT.inspection), URI.inspection);
  await annotated(hashOf(CONTENT.photo), URI.photo);
  await annotated(hashOf(CONTENT.coa12), URI.coa12);
  await annotated(hashOf(CONTENT.coa77), URI.coa77);
  await annotated(hashOf(CONTENT.log), "");
  await qa.observe(observation(c.batchId, Point.Inspection, Result.Normal, { corrects: 6n }));
  return c;
}

async function recordOf(c: BatchQualityCtx): Promise<DeploymentRecord> {
  const names = { ConsortiumRegistry: c.registry, ConsortiumGovernor: c.governor, BatchRegistry: c.batchRegistry };
  const contracts = Object.fromEntries(
    await Promise.all(Object.entries(names).map(async ([n, contract]) => [n, await contract.getAddress()])),
  ) as DeploymentRecord["contracts"];
  const { chainId } = await ethers.provider.getNetwork();
  return { chainId: chainId.toString(), network: "default", block: "0", deployedAt: "", contracts, implementations: contracts };
}

/** A deep copy, for tampering. */
const copy = (s: Snapshot): Snapshot => JSON.parse(JSON.stringify(s)) as Snapshot;

/** Sets the plain value at `batches[batchId].<field>` (a bigint field) of a snapshot's state. */
function batchOf(s: Snapshot, batchId: string): Record<string, unknown> {
  const entries = (s.state as { batches: { $map: [string, Record<string, unknown>][] } }).batches.$map;
  const entry = entries.find(([id]) => id === batchId.toLowerCase());
  if (entry === undefined) throw new Error(`no batch ${batchId} in the snapshot`);
  return entry[1];
}

const verify = (snapshot: Snapshot) => verifySnapshot({ provider: ethers.provider, snapshot, ignitionDir: IGNITION, evidenceDir: EVIDENCE });
const whats = (differences: SnapshotDifference[]) => differences.map((d) => d.what);

describe("snapshots (sdk/replay/snapshot)", function () {
  let c: BatchQualityCtx;
  let snapshot: Snapshot;
  let dump: string;

  beforeEach(async function () {
    c = await loadFixture(evidencedChain);
    ({ dump } = await writeArtefacts());
    snapshot = await takeSnapshot({ provider: ethers.provider, record: await recordOf(c), ignitionDir: IGNITION });
  });

  after(async function () {
    await rm(WORK, { recursive: true, force: true });
  });

  describe("takeSnapshot", function () {
    it("stands on the head with the replay's digest, the canonical state and every artefact", async function () {
      const head = await ethers.provider.getBlock("latest");
      const replayed = await replayChain({ provider: ethers.provider, record: await recordOf(c), compare: false });
      expect(snapshot).to.include({
        format: SNAPSHOT_FORMAT,
        chainId: "31337",
        deploymentBlock: "0",
        block: String(head!.number),
        blockHash: head!.hash,
        digest: replayed.digest,
      });
      expect(snapshot.state).to.deep.equal(JSON.parse(canonicalJson(replayed.state)));
      const tree = UnitTree.sequential(GTIN, UNITS);
      expect(snapshot.artefacts.units).to.deep.equal([
        {
          batchId: c.batchId.toLowerCase(),
          unitsRoot: tree.root,
          unitCount: String(UNITS),
          file: `deployments/chain-31337/units/${tree.root}.json`,
          keccak256: ethers.keccak256(await readFile(dump)),
        },
      ]);
      const subject = c.batchId.toLowerCase();
      expect(snapshot.artefacts.evidence).to.deep.equal([
        { subject, seq: "2", evidenceHash: hashOf(CONTENT.inspection), evidenceUri: URI.inspection },
        { subject, seq: "3", evidenceHash: hashOf(CONTENT.photo), evidenceUri: URI.photo },
        { subject, seq: "4", evidenceHash: hashOf(CONTENT.coa12), evidenceUri: URI.coa12 },
        { subject, seq: "5", evidenceHash: hashOf(CONTENT.coa77), evidenceUri: URI.coa77 },
        { subject, seq: "6", evidenceHash: hashOf(CONTENT.log), evidenceUri: "" },
      ]);
    });

    it("refuses when a view disagrees with the events: such a state is not a backup", async function () {
      // A holding written straight into storage, with no event: the views now say 41, the events 40.
      const coder = ethers.AbiCoder.defaultAbiCoder();
      const slotOf = (type: string, key: unknown, slot: bigint) => BigInt(ethers.keccak256(coder.encode([type, "uint256"], [key, slot])));
      const proxy = await c.batchRegistry.getAddress();
      const slot = slotOf("uint64", WHOLESALER, slotOf("bytes32", c.batchId, erc7201("medstate.storage.BatchRegistry") + 4n));
      const held = await word(proxy, slot);
      await networkHelpers.setStorageAt(proxy, slot, held + 1n);
      await expectRejected(
        takeSnapshot({ provider: ethers.provider, record: await recordOf(c), ignitionDir: IGNITION }),
        /^refusing to snapshot block \d+: [1-9]\d* mismatches and 0 log anomalies between the events and the views \(first: .+\); run `audit replay`$/,
      );
    });

    it("records a missing unit dump as null", async function () {
      await rm(dump);
      const taken = await takeSnapshot({ provider: ethers.provider, record: await recordOf(c), ignitionDir: IGNITION });
      expect(taken.artefacts.units[0]).to.include({ file: null, keccak256: null });
    });

    it("writes canonical JSON atomically, and reads it back", async function () {
      const file = path.join(WORK, "out", "snapshot.json");
      await writeSnapshot(file, snapshot);
      expect(await readFile(file, "utf8")).to.equal(`${canonicalJson(snapshot)}\n`);
      expect(await readSnapshot(file)).to.deep.equal(snapshot);
      await writeFile(file, JSON.stringify({ ...snapshot, format: "other" }));
      await expectRejected(readSnapshot(file), /^invalid snapshot .*: format must be "medstate-snapshot\/1"$/);
    });
  });

  describe("verifySnapshot", function () {
    it("is ok on the unchanged chain; remote evidence without a copy is unverified", async function () {
      const result = await verify(snapshot);
      expect(result.differences).to.deep.equal([]);
      expect(result).to.include({ ok: true, differenceCount: 0, stateDifferences: 0, rebuiltDigest: snapshot.digest });
      expect(result.checked).to.deep.equal({ units: 1, evidence: 4 });
      expect(result.unverified.map((u) => [u.seq, u.evidenceUri])).to.deep.equal([["5", URI.coa77]]);
    });

    it("stays ok as the chain grows past the snapshot's block", async function () {
      await c.quality.connect(c.wholesalerQa).observe(observation(c.batchId, Point.Inspection, Result.Normal));
      expect((await verify(snapshot)).differences).to.deep.equal([]);
    });

    it("lists a tampered state's differences by exact path, and the views that disagree", async function () {
      const tampered = copy(snapshot);
      const batch = batchOf(tampered, c.batchId);
      batch.quantity = { $bigint: "99" };
      const custody = (batch.custody as { $map: [unknown, Record<string, unknown>][] }).$map;
      const entry = custody.find(([party]) => (party as { $bigint: string }).$bigint === String(WHOLESALER))!;
      entry[1].held = { $bigint: "41" };
      const result = await verify(tampered);
      expect(result.ok).to.equal(false);
      const id = c.batchId.toLowerCase();
      expect(result.differences.filter((d) => d.what === "state")).to.deep.equal([
        { what: "state", path: `batches[${id}].custody[3].held`, snapshot: "41", actual: "40" },
        { what: "state", path: `batches[${id}].quantity`, snapshot: "99", actual: "100" },
      ]);
      expect(result.stateDifferences).to.equal(2);
      // Its own digest no longer names its state; the replay's still equals the recorded one.
      expect(result.differences.find((d) => d.what === "snapshot digest")).to.deep.include({ snapshot: snapshot.digest });
      expect(whats(result.differences)).to.not.include("digest");
      const views = result.differences.filter((d) => d.what === "view");
      expect(views.map((v) => [v.path, v.snapshot, v.actual])).to.deep.include.members([["quantity", "99", "100"]]);
    });

    it("reports a forged digest as a digest difference", async function () {
      const forged = copy(snapshot);
      batchOf(forged, c.batchId).lot = "OTHER";
      forged.digest = stateDigest(JSON.parse(canonicalJson(forged.state)));
      // The plain form is its own canonical form: the digest of the parsed state is the same.
      const result = await verify(forged);
      expect(whats(result.differences)).to.include("digest").and.not.include("snapshot digest");
      expect(result.differences.find((d) => d.what === "digest")).to.deep.equal({
        what: "digest",
        path: "digest",
        snapshot: forged.digest,
        actual: snapshot.digest,
      });
      expect(result.differences.filter((d) => d.what === "state")).to.deep.equal([
        { what: "state", path: `batches[${c.batchId.toLowerCase()}].lot`, snapshot: "OTHER", actual: LOT },
      ]);
    });

    it("caps the listed state paths and counts them all", async function () {
      const tampered = copy(snapshot);
      const batch = batchOf(tampered, c.batchId);
      for (const field of ["quantity", "destroyed", "lost", "quarantined"]) batch[field] = { $bigint: "12345" };
      const result = await verifySnapshot({
        provider: ethers.provider,
        snapshot: tampered,
        ignitionDir: IGNITION,
        evidenceDir: EVIDENCE,
        maxDifferences: 2,
      });
      expect(result.differences.filter((d) => d.what === "state")).to.have.length(2);
      expect(result.stateDifferences).to.equal(4);
      expect(result.differenceCount).to.equal(result.differences.length + 2);
    });

    it("reports a block hash the node does not have, and a block it has not reached", async function () {
      const fake = ethers.id("another chain");
      const result = await verify({ ...copy(snapshot), blockHash: fake });
      expect(result.differences).to.deep.equal([
        { what: "block hash", entity: `block ${snapshot.block}`, snapshot: fake, actual: snapshot.blockHash },
      ]);
      const ahead = { ...copy(snapshot), block: String(Number(snapshot.block) + 1000) };
      const beyond = await verify(ahead);
      expect(beyond.differences).to.deep.equal([
        { what: "block hash", entity: `block ${ahead.block}`, snapshot: snapshot.blockHash, actual: null },
      ]);
      expect(beyond.ok).to.equal(false);
    });

    it("reports a missing unit dump", async function () {
      await rm(dump);
      const result = await verify(snapshot);
      expect(result.differences).to.deep.equal([
        { what: "unit dump missing", entity: c.batchId.toLowerCase(), path: dump, snapshot: snapshot.artefacts.units[0].keccak256, actual: null },
      ]);
    });

    it("reports an altered unit dump: other bytes, and a Merkle root that is not unitsRoot", async function () {
      const text = await readFile(dump, "utf8");
      const first = UnitTree.sequential(GTIN, UNITS).values[0][1];
      await writeFile(dump, text.replace(first, ethers.id("a unit that was never made")));
      const result = await verify(snapshot);
      expect(whats(result.differences)).to.deep.equal(["unit dump altered", "unit dump root"]);
      expect(result.differences[0]).to.deep.include({ entity: c.batchId.toLowerCase(), path: dump, snapshot: snapshot.artefacts.units[0].keccak256 });
      expect(result.differences[1].actual).to.match(/was altered: its units give root 0x[0-9a-f]{64}$/);
      // Bytes changed but the same units (a reformatted file): only the bytes differ.
      await writeFile(dump, `${text}\n`);
      expect(whats((await verify(snapshot)).differences)).to.deep.equal(["unit dump altered"]);
    });

    it("reports missing evidence files: a file: URI's and a plain name's", async function () {
      await rm(path.join(SITE, "inspection.txt"));
      await rm(path.join(EVIDENCE, "coa-12.pdf"));
      const subject = c.batchId.toLowerCase();
      const result = await verify(snapshot);
      expect(result.differences).to.deep.equal([
        { what: "evidence missing", entity: `${subject}/2`, path: path.join(SITE, "inspection.txt"), snapshot: hashOf(CONTENT.inspection), actual: null },
        { what: "evidence missing", entity: `${subject}/4`, path: path.join(EVIDENCE, "coa-12.pdf"), snapshot: hashOf(CONTENT.coa12), actual: null },
      ]);
      // Without the evidence directory, the plain name cannot be looked for: unverified, not missing.
      const alone = await verifySnapshot({ provider: ethers.provider, snapshot, ignitionDir: IGNITION });
      expect(whats(alone.differences)).to.deep.equal(["evidence missing"]);
      expect(alone.unverified.map((u) => u.seq)).to.deep.equal(["3", "4", "5", "6"]);
    });

    it("reports an altered evidence file", async function () {
      await writeFile(path.join(EVIDENCE, "photo.jpg"), `${CONTENT.photo} (retouched)`);
      const result = await verify(snapshot);
      expect(result.differences).to.deep.equal([
        {
          what: "evidence altered",
          entity: `${c.batchId.toLowerCase()}/3`,
          path: path.join(EVIDENCE, "photo.jpg"),
          snapshot: hashOf(CONTENT.photo),
          actual: hashOf(`${CONTENT.photo} (retouched)`),
        },
      ]);
    });

    it("reports evidence references the snapshot dropped or changed", async function () {
      const tampered = copy(snapshot);
      tampered.artefacts.evidence = tampered.artefacts.evidence.filter((e) => e.seq !== "5");
      tampered.artefacts.evidence[0].evidenceUri = "file:///elsewhere/inspection.txt";
      const result = await verify(tampered);
      const subject = c.batchId.toLowerCase();
      expect(result.differences.filter((d) => d.what === "evidence reference").map((d) => d.entity)).to.deep.equal([
        `${subject}/2`,
        `${subject}/5`,
      ]);
    });
  });

  describe("diffPlain", function () {
    it("names map keys, array indices and absent values", function () {
      const found: unknown[] = [];
      diffPlain(
        { a: { $map: [[{ $bigint: "1" }, { x: [1, 2] }]] }, b: "same" },
        { a: { $map: [[{ $bigint: "1" }, { x: [1, 3] }], ["k", true]] }, b: "same" },
        "",
        (d) => found.push(d),
      );
      expect(found).to.deep.equal([
        { path: "a[1].x[1]", snapshot: "2", actual: "3" },
        { path: "a[k]", snapshot: null, actual: "true" },
      ]);
    });
  });
});

async function expectRejected(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail("expected a rejection");
}
