/**
 * How long an operator waits for a task (`npm run bench`, after the gas benchmarks): a real
 * `hardhat node` on a free 127.0.0.1 port, MedState deployed through the CLI, then each
 * command as a fresh process exactly as typed (`npx hardhat …`), once to warm the caches
 * and then RUNS times (in rounds), min and median, each as a ratio to `npx hardhat --version`
 * (Hardhat's own start-up):
 *
 * - `--version`: Node, npx and Hardhat's CLI, nothing of ours;
 * - `system` (the help of an empty task): Hardhat with tsx, our config, its plugins and the
 *   task definitions, without a network connection: the floor of any task;
 * - a read, `party list`; a write, `member add` of a fresh account (`--from 1`);
 * - the same read and write through Hardhat's CLI without npx (`node …/hardhat/dist/src/cli.js`),
 *   to show what npx adds;
 * - `run-ops` of OPS writes in one process: the time per operation.
 *
 * Writes bench/tasks.json and bench/tasks.md.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { ROOT, startLocalNode } from "../test/helpers/cli.js";

const RUNS = 5;
const OPS = 10;
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");

interface Sample {
  seconds: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` in the project, timed from spawn to exit. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ seconds: (performance.now() - started) / 1000, code: code ?? -1, stdout, stderr }));
  });
}

/** A fresh account to enrol: the write can be repeated. */
const freshAccount = () => `0x${randomBytes(20).toString("hex")}`;

interface Row {
  name: string;
  command: string;
  samples: number[];
  min: number;
  median: number;
  minRatio?: number;
  medianRatio?: number;
}

const node = await startLocalNode({ cold: true });
const ignitionDir = await mkdtemp(path.join(os.tmpdir(), "medstate-bench-tasks-"));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  // The project's Node and Hardhat first, as `npm run` and `npx` arrange it.
  PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  MEDSTATE_RPC_URL: node.url,
  MEDSTATE_IGNITION_DIR: ignitionDir,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};
delete env.MEDSTATE_FROM;

const rows: Row[] = [];
let runOps: { ops: number; seconds: number; perOp: number } | undefined;
try {
  const deployed = await timed("npx", ["hardhat", "system", "deploy", "--network", "localhost"], env);
  if (deployed.code !== 0) throw new Error(`system deploy failed: ${deployed.stderr}`);

  const npx = (...args: string[]) => () => ["npx", ["hardhat", ...args]] as const;
  const direct = (...args: string[]) => () => [process.execPath, [HARDHAT_CLI, ...args]] as const;
  const write = ["member", "add", "--party", "2", "--role", "operator", "--from", "1", "--network", "localhost"];
  const commands: { name: string; command: string; argv: () => readonly [string, readonly string[]] }[] = [
    { name: "Hardhat's start-up", command: "npx hardhat --version", argv: npx("--version") },
    { name: "config floor (no network)", command: "npx hardhat system", argv: npx("system") },
    { name: "warm read", command: "npx hardhat party list --network localhost", argv: npx("party", "list", "--network", "localhost") },
    {
      name: "warm write",
      command: "npx hardhat member add --party 2 --account <fresh> --role operator --from 1 --network localhost",
      argv: () => ["npx", ["hardhat", ...write, "--account", freshAccount()]],
    },
    { name: "Hardhat's start-up, without npx", command: "node hardhat/dist/src/cli.js --version", argv: direct("--version") },
    {
      name: "warm read, without npx",
      command: "node hardhat/dist/src/cli.js party list --network localhost",
      argv: direct("party", "list", "--network", "localhost"),
    },
    {
      name: "warm write, without npx",
      command: "node hardhat/dist/src/cli.js member add … --from 1 --network localhost",
      argv: () => [process.execPath, [HARDHAT_CLI, ...write, "--account", freshAccount()]],
    },
  ];
  // One run of each to warm the file system cache and tsx's transform cache (not counted);
  // then RUNS rounds, each command once per round, so that a busier moment of the machine
  // weighs on every command alike.
  const samples = commands.map(() => [] as number[]);
  for (let round = 0; round <= RUNS; round++) {
    for (const [i, { command, argv }] of commands.entries()) {
      const [file, args] = argv();
      const sample = await timed(file, [...args], env);
      if (sample.code !== 0) throw new Error(`${command} exited ${sample.code}: ${sample.stderr.trim()}`);
      if (round > 0) samples[i].push(sample.seconds);
    }
  }
  for (const [i, { name, command }] of commands.entries()) {
    const sorted = [...samples[i]].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    rows.push({ name, command, samples: samples[i], min: sorted[0], median });
    process.stderr.write(`${name}: min ${sorted[0].toFixed(2)} s, median ${median.toFixed(2)} s\n`);
  }
  for (const row of rows) {
    const base = rows.find((r) => r.name === (row.name.endsWith("without npx") ? "Hardhat's start-up, without npx" : "Hardhat's start-up"));
    if (base === undefined) continue;
    row.minRatio = row.min / base.min;
    row.medianRatio = row.median / base.median;
  }

  // Many operations in one process: OPS writes through `run-ops`.
  const opsFile = path.join(ignitionDir, "ops.jsonl");
  const lines = Array.from({ length: OPS }, () =>
    JSON.stringify({ task: ["member", "add"], args: { party: "2", account: freshAccount(), role: "operator", from: "1" } }),
  );
  await writeFile(opsFile, `${lines.join("\n")}\n`);
  const batch = await timed("npx", ["hardhat", "run-ops", opsFile, "--network", "localhost"], env);
  if (batch.code !== 0) throw new Error(`run-ops exited ${batch.code}: ${batch.stderr.trim()}`);
  runOps = { ops: OPS, seconds: batch.seconds, perOp: batch.seconds / OPS };
} finally {
  await node.stop();
  await rm(ignitionDir, { recursive: true, force: true });
}

const cpu = os.cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? "CPU"}, Node ${process.version}`;
const byName = (name: string) => rows.find((r) => r.name === name);
const version = byName("Hardhat's start-up");
const floor = byName("config floor (no network)");
const read = byName("warm read");
const writeRow = byName("warm write");
const s = (x: number) => `${x.toFixed(2)} s`;
const r = (x: number | undefined) => (x === undefined ? "—" : `${x.toFixed(2)}×`);

const results = {
  generated: new Date().toISOString(),
  machine,
  runs: RUNS,
  target: "a warm task within 1.5× of `npx hardhat --version`",
  commands: rows.map((row) => ({
    ...row,
    samples: row.samples.map((x) => Number(x.toFixed(3))),
    min: Number(row.min.toFixed(3)),
    median: Number(row.median.toFixed(3)),
    minRatio: row.minRatio === undefined ? undefined : Number(row.minRatio.toFixed(2)),
    medianRatio: row.medianRatio === undefined ? undefined : Number(row.medianRatio.toFixed(2)),
  })),
  runOps:
    runOps === undefined
      ? undefined
      : {
          ops: runOps.ops,
          seconds: Number(runOps.seconds.toFixed(3)),
          perOp: Number(runOps.perOp.toFixed(3)),
          separateProcessesMedian: writeRow === undefined ? undefined : Number(writeRow.median.toFixed(3)),
        },
};
await writeFile(path.join(ROOT, "bench", "tasks.json"), `${JSON.stringify(results, null, 2)}\n`);

const table = [
  "| What | Command | min | median | min ÷ start-up | median ÷ start-up |",
  "|---|---|---:|---:|---:|---:|",
  ...rows.map((row) => `| ${row.name} | \`${row.command}\` | ${s(row.min)} | ${s(row.median)} | ${r(row.minRatio)} | ${r(row.medianRatio)} |`),
];
const met = read !== undefined && writeRow !== undefined && (read.medianRatio ?? Infinity) <= 1.5 && (writeRow.medianRatio ?? Infinity) <= 1.5;
const md = [
  "# Task start-up: how long an operator waits",
  "",
  `Generated by \`npm run bench\` (scripts/bench-tasks.ts) on ${results.generated.slice(0, 10)}: ${machine}. ` +
    `Each command is a fresh process against a real \`hardhat node\` on 127.0.0.1, run once to warm the caches, then ${RUNS} times; ` +
    "ratios are to Hardhat's own start-up (`--version`) launched the same way.",
  "",
  `Target: a warm task within **1.5×** of \`npx hardhat --version\`. ${met ? "**Met.**" : "**Not met.**"}` +
    (read !== undefined && writeRow !== undefined
      ? ` Read ${r(read.medianRatio)}, write ${r(writeRow.medianRatio)} (medians).`
      : ""),
  "",
  ...table,
  "",
  ...(runOps !== undefined && writeRow !== undefined
    ? [
        `**Many operations in one process:** \`npx hardhat run-ops\` of ${runOps.ops} writes (\`member add\`) took ${s(runOps.seconds)}, ` +
          `${s(runOps.perOp)} per operation, against ${s(writeRow.median)} for each as its own \`npx hardhat\` process ` +
          `(${(writeRow.median / runOps.perOp).toFixed(1)}× faster per operation).`,
        "",
      ]
    : []),
  ...(version !== undefined && floor !== undefined && read !== undefined
    ? [
        "## Where a task's time goes",
        "",
        `- \`--version\` (${s(version.median)}) is Node, npx and Hardhat's CLI; it reads no config.`,
        `- \`system\` (${s(floor.median)}, ${r(floor.medianRatio)}) adds what every task pays before it does anything: Hardhat ` +
          "registers tsx and loads `hardhat.config.ts`, its plugins and the task definitions, and resolves the config. " +
          `1.5× of \`--version\` is ${s(1.5 * version.median)}: the floor alone takes ${s(floor.median - version.median)} of the ` +
          `${s(0.5 * version.median)} a task may add.`,
        `- A read (${s(read.median)}) adds the network connection: Hardhat's HTTP provider, and hardhat-ethers, which loads ethers ` +
          "(about 130 modules, through tsx's loader hooks as every module is, which doubles their load time) and EDR's native " +
          "keccak; then the action's own modules (the SDK, the typechain factories of the six contracts) and its RPC calls.",
        "- Not loaded any more: viem (about 1,200 modules: hardhat-viem now builds `connection.viem` on first use, " +
          "plugins/viem-on-demand.ts), the unit lists' Merkle-tree code (only a code without its lot needs it), the typechain " +
          "factories of contracts a task does not use, and the six artifact files `getContractAt` read.",
        "",
      ]
    : []),
].join("\n");
await writeFile(path.join(ROOT, "bench", "tasks.md"), md);
console.log(table.join("\n"));
if (runOps !== undefined) console.log(`run-ops: ${runOps.ops} writes in ${s(runOps.seconds)}, ${s(runOps.perOp)} per operation`);
console.log("written bench/tasks.json, bench/tasks.md");
