/**
 * Units commitment at scale (`npx hardhat run scripts/bench-units.ts`): writes a
 * unit file of UNITS (default 1,000,000) GS1 codes, reads and checks it, builds the
 * tree, makes 1,000 proofs and checks them, saves the dump with its proof cache,
 * reloads and re-verifies it, and looks units up; prints seconds per step and the
 * peak resident memory. The target is under 60 s and 2 GB for building and proving.
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";

import { describeError } from "../sdk/errors.js";
import { batchIdOf } from "../sdk/codes.js";
import { buildUnitTree, findUnit, loadUnitDump, proofFor, readUnitFile, saveUnitDump, verifyUnitProof } from "../sdk/units.js";

const UNITS = Number(process.env.UNITS ?? 1_000_000);
const PROOFS = 1_000;
const GTIN = "06901234567892";
const LOT = "B2026-0412";

const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
/** CPU seconds of this process, worker threads included: what the work costs on an idle machine. */
const cpuSeconds = () => {
  const { userCPUTime, systemCPUTime } = process.resourceUsage();
  return (userCPUTime + systemCPUTime) / 1e6;
};
let started = performance.now();
let startedCpu = cpuSeconds();
function lap(step: string, note = ""): void {
  const now = performance.now();
  const cpu = cpuSeconds();
  const wall = ((now - started) / 1000).toFixed(2).padStart(7);
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
  console.log(`${step.padEnd(34)} ${wall} s  (cpu ${(cpu - startedCpu).toFixed(2).padStart(6)} s, rss ${rss} MB)  ${note}`);
  started = now;
  startedCpu = cpu;
}

/** Non-sequential 12-character serials, unique by their base-36 prefix. */
function serial(i: number, random: () => number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
  let tail = "";
  for (let k = 0; k < 7; k++) tail += alphabet[Math.floor(random() * alphabet.length)];
  return i.toString(36).toUpperCase().padStart(5, "0") + tail;
}

const dir = await mkdtemp(path.join(tmpdir(), "medstate-bench-units-"));
try {
  console.log(`${UNITS.toLocaleString("en")} units, ${PROOFS} proofs, in ${dir} (load average ${loadavg()[0].toFixed(2)})\n`);
  let seed = 0x2f6b1d3;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const lines = ["# bench batch"];
  for (let i = 0; i < UNITS; i++) lines.push(`(01)${GTIN}(21)${serial(i, random)}(10)${LOT}(17)281231`);
  const unitFile = path.join(dir, "units.txt");
  await writeFile(unitFile, lines.join("\n") + "\n");
  lines.length = 0;
  lap("generate unit file", `${((await stat(unitFile)).size / 2 ** 20).toFixed(0)} MiB`);

  const total = performance.now();
  const totalCpu = cpuSeconds();
  const { codes, lines: lineNumbers } = await readUnitFile(unitFile, { batch: { gtin: GTIN, lot: LOT, expiry: "2028-12-31" } });
  lap("read + parse + check unit file");

  const { root, tree } = await buildUnitTree(codes, { lines: lineNumbers });
  lap("build tree", root);

  const step = Math.floor(UNITS / PROOFS);
  for (let k = 0; k < PROOFS; k++) {
    const unit = proofFor(tree, k * step);
    if (!verifyUnitProof(root, unit)) throw new Error(`proof ${k * step} does not verify`);
  }
  lap(`${PROOFS} proofs (made and verified)`);
  const buildSeconds = (performance.now() - total) / 1000;
  const buildCpu = cpuSeconds() - totalCpu;
  const buildPeak = peakMb();

  const file = await saveUnitDump(dir, { root, gtin: GTIN, lot: LOT, codes, tree });
  lap(
    "save dump + proof cache",
    `${((await stat(file)).size / 2 ** 20).toFixed(0)} MiB + ${((await stat(file.replace(/\.json$/, ".tree"))).size / 2 ** 20).toFixed(0)} MiB`,
  );

  const loaded = await loadUnitDump(dir, root);
  if (loaded.tree.root !== root) throw new Error("reloaded root differs");
  lap("reload + re-verify dump");

  const batchId = batchIdOf(GTIN, LOT);
  for (const index of [0, UNITS >> 1, UNITS - 1]) {
    const found = await findUnit(dir, codes[index], { batchId });
    if (found?.index !== index || !verifyUnitProof(root, found)) throw new Error(`findUnit missed unit ${index}`);
  }
  lap("findUnit x3 (proof cache)");

  console.log(
    `\nread + build + ${PROOFS} proofs: ${buildSeconds.toFixed(2)} s (cpu ${buildCpu.toFixed(2)} s), peak RSS then ${buildPeak} MB`,
  );
  console.log(`peak RSS overall: ${peakMb()} MB (load average ${loadavg()[0].toFixed(2)})`);
} catch (error) {
  console.error(describeError(error));
  process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
