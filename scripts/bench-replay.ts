/**
 * The auditor's replay at scale (`npm run bench:replay`): a real `hardhat node` on a free
 * 127.0.0.1 port, MedState deployed through the CLI, then 10,000 and 100,000 observation
 * events recorded (series of 100 readings per transaction); after each, `audit replay`
 * runs as its own process, as an auditor on another machine would, and its time and
 * peak memory are reported. Adds the figures to bench/results.json under "replay".
 */
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { JsonRpcProvider } from "ethers";

import { Point, Result } from "../sdk/enums.js";
import { IQualityEngine__factory } from "../types/ethers-contracts/index.js";
import { ROOT, startLocalNode } from "../test/helpers/cli.js";

const GTIN = "06901234567892";
const LOT = "BENCH1";
const PER_TX = 100;
const SIZES = [10_000, 100_000];

const node = await startLocalNode();
const rows: { events: string; observations: number; seconds: string; peakMemoryMB: string; mismatches: number }[] = [];
try {
  const units = path.join(tmpdir(), `medstate-bench-units-${process.pid}.txt`);
  await writeFile(units, `(01)${GTIN}(21)S1(10)${LOT}(17)300630\n`);
  await node.json("system", "deploy");
  await node.json("product", "register", "--gtin", GTIN, "--name", "Bench", "--approval-no", "H0", "--from", "1");
  await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
  const { batchId } = await node.json<{ batchId: string }>(
    "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-11-01", "--expiry", "2030-06-30",
    "--quantity", "1", "--units", units, "--from", "1",
  );
  const info = await node.json<{ contracts: Record<string, string> }>("system", "info");
  const provider = new JsonRpcProvider(node.url, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
  const maker = await provider.getSigner(1);
  const quality = IQualityEngine__factory.connect(info.contracts.BatchRegistry, maker);
  // Production-step readings by the product's holder: the checks of any observation, no custody needed.
  const series = Array.from({ length: PER_TX }, (_, i) => ({ point: Point.Production, result: Result.Normal, temperature: 2000 + i, humidity: 4000 }));

  let recorded = 0;
  let nonce = await provider.getTransactionCount(await maker.getAddress());
  for (const target of SIZES) {
    const started = performance.now();
    while (recorded < target) {
      // Sent one after another (each send returns once the node has it, before it is mined):
      // a node that automines refuses a nonce ahead of the next one, and concurrent sends
      // can arrive out of order.
      const sent = [];
      for (let i = 0; i < 50 && recorded < target; i++, recorded += PER_TX) {
        sent.push(await quality.observeReadings(batchId, series, { nonce: nonce++, gasLimit: 2_000_000 }));
      }
      await sent[sent.length - 1].wait();
      process.stderr.write(`\r${recorded.toLocaleString("en-US")} observations recorded`);
    }
    process.stderr.write(` (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    const replay = await node.json<{ events: string; seconds: string; peakMemoryMB: string; mismatches: unknown[]; anomalies: unknown[] }>(
      "audit", "replay",
    );
    if (replay.anomalies.length !== 0) throw new Error(`replay found ${replay.anomalies.length} anomalies`);
    rows.push({ events: replay.events, observations: recorded, seconds: replay.seconds, peakMemoryMB: replay.peakMemoryMB, mismatches: replay.mismatches.length });
    console.log(`audit replay: ${replay.events} events (${recorded.toLocaleString("en-US")} observations) in ${replay.seconds} s, peak memory ${replay.peakMemoryMB} MB, ${replay.mismatches.length} mismatches`);
  }
  provider.destroy();
} finally {
  await node.stop();
}

const file = path.join(ROOT, "bench", "results.json");
const results = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
results.replay = {
  network: "hardhat node on 127.0.0.1, audit replay in its own process",
  target: "100,000 events in ≤ 30 s; peak memory flat, ≤ 300 MB",
  runs: rows,
};
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`written ${path.relative(process.cwd(), file)}`);
