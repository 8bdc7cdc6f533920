/**
 * The gateway under load (`npm run bench`, after the task benchmarks): `GET /v1/verify/:code`
 * measured with autocannon against a real `hardhat node`, next to the node's own `eth_call`
 * of `verify` measured in the same run, on the same machine, with the same settings.
 *
 * - Starts `hardhat node` on a free 127.0.0.1 port (its log goes to a file, which tells how
 *   many calls each scenario made); deploys MedState, enrols the maker's QA and registers a
 *   product through the CLI (`run-ops`: one Hardhat start-up for all); starts the gateway as
 *   its own process, as an operator does (`hardhat gateway --network localhost --rate-limit 0
 *   --json`; Hardhat's CLI run by node directly, so that the PID measured is the gateway's and
 *   not an npx wrapper's); then creates a batch of UNITS units with `batch create --publish`
 *   to it, inspects and releases it (`run-ops` again).
 * - Three scenarios, each after a warm-up of WARMUP s (not counted), for SECONDS s with
 *   CONNECTIONS connections; every request is built by the same `setupRequest` hook, so that
 *   autocannon does the same work per request in all three:
 *   - RAW: the node's own `eth_call` of `verify` (JSON-RPC POST), rotating over the proofs
 *     of RAW_PROOFS different units, at the head's block number as the gateway asks it;
 *   - UNCACHED: `GET /v1/verify/:code`, every request a different unit of the batch: a code
 *     never repeats within a block (checked: the run fails if the batch runs out of codes);
 *   - CACHED: `GET /v1/verify/:code` of one code, over and over.
 *   One block is mined before every scenario (and the script waits past the gateway's head
 *   age), so each starts with an empty cache: UNCACHED never meets a code twice, CACHED pays
 *   its one miss in the warm-up.
 * - Two rounds in opposite orders (RAW, UNCACHED, CACHED; then CACHED, UNCACHED, RAW), so
 *   that a busier moment of the machine shows as a difference between the rounds.
 * - During each measured run: the CPU time of the three processes (this one, which is
 *   autocannon; the gateway; the node; from /proc/<pid>/stat, children included), the
 *   machine's total (/proc/stat, so that other work on the machine shows), and the node's
 *   calls by method (its log).
 *
 * Writes bench/gateway.json and bench/gateway.md. GATEWAY_BENCH_UNITS, GATEWAY_BENCH_SECONDS
 * and GATEWAY_BENCH_CONNECTIONS override the counts; GATEWAY_BENCH_PROFILE=DIR has the gateway
 * write a V8 CPU profile (`--cpu-prof`) there when it stops.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, open, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import autocannon from "autocannon";

import { medstateInterface } from "../sdk/contracts.js";
import { UNIT_VERDICTS } from "../sdk/enums.js";
import { buildUnitTree, proofFor } from "../sdk/units.js";
import { envCount } from "./lib/env.js";

// ==== CONFIGURATION ====

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");


const UNITS = envCount("GATEWAY_BENCH_UNITS", 20_000);
const SECONDS = envCount("GATEWAY_BENCH_SECONDS", 8);
const CONNECTIONS = envCount("GATEWAY_BENCH_CONNECTIONS", 10);
const WARMUP = 2;
/** GATEWAY_BENCH_PROFILE=DIR: the gateway writes a V8 CPU profile there when it stops. */
const PROFILE = process.env.GATEWAY_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.GATEWAY_BENCH_PROFILE)}`] : [];
/** Different units' calls the RAW scenario rotates over. */
const RAW_PROOFS = 4_096;
/** The gateway's default: how old its head may be before a request reads it again. */
const HEAD_MAX_AGE_MS = 500;
const GTIN = "06901234567892";
const LOT = "BENCH1";
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

type Scenario = "raw" | "uncached" | "cached";
const ROUNDS: Scenario[][] = [
  ["raw", "uncached", "cached"],
  ["cached", "uncached", "raw"],
];
const TITLE: Record<Scenario, string> = {
  raw: "node: eth_call of verify",
  uncached: "gateway: /v1/verify, a new code each request",
  cached: "gateway: /v1/verify, one code",
};

// ==== PROCESSES ====

/** A TCP port free on 127.0.0.1 now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** One line of a `run-ops` file: a MedState task and its options. */
interface Op {
  task: string[];
  args: Record<string, string | boolean>;
}

/**
 * Runs `ops` with `hardhat run-ops FILE --network localhost --json`, in one Hardhat process
 * (one start-up for all), and returns each operation's JSON result; throws unless all were done.
 */
async function runOps(env: NodeJS.ProcessEnv, file: string, ops: Op[]): Promise<Record<string, unknown>[]> {
  await writeFile(file, `${ops.map((op) => JSON.stringify(op)).join("\n")}\n`);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, "run-ops", file, "--network", "localhost", "--json"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const outcomes = code === 0 ? (JSON.parse(stdout) as { status: string; result: Record<string, unknown> }[]) : [];
  if (code !== 0 || outcomes.some((o) => o.status !== "done")) {
    throw new Error(`run-ops ${ops.map((o) => o.task.join(" ")).join(", ")} exited ${code}: ${stderr.trim()} ${stdout.trim()}`);
  }
  return outcomes.map((o) => o.result);
}

/** Sends SIGTERM to `child` and waits for its exit. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

let rpcId = 1;
/** One JSON-RPC call to the node. */
async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: rpcId++, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

// ==== CPU ACCOUNTING ====

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) of `pid` and its descendants, from /proc. */
async function cpuOfTree(pid: number): Promise<number> {
  const stats = new Map<number, { ppid: number; seconds: number }>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = await readFile(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may hold spaces: fields follow the last ")".
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { ppid: Number(fields[1]), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS });
    } catch {
      // The process ended meanwhile.
    }
  }
  let total = 0;
  const wanted = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, s] of stats) {
      if (!wanted.has(p) && wanted.has(s.ppid)) {
        wanted.add(p);
        grew = true;
      }
    }
  }
  for (const p of wanted) total += stats.get(p)?.seconds ?? 0;
  return total;
}

/** The machine's busy and total CPU seconds so far (/proc/stat, all cores). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0];
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = t[3] + t[4];
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}

interface CpuSnapshot {
  bench: number;
  gateway: number;
  node: number;
  machine: { busy: number; total: number };
}

async function cpuSnapshot(gatewayPid: number, nodePid: number): Promise<CpuSnapshot> {
  const own = process.cpuUsage();
  return {
    bench: (own.user + own.system) / 1e6,
    gateway: await cpuOfTree(gatewayPid),
    node: await cpuOfTree(nodePid),
    machine: await machineCpu(),
  };
}

// ==== THE NODE'S LOG ====

/** The node's log's size in bytes now. */
async function logSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** Calls by method in the node's log from byte `from` on (each call is one line: `eth_call`, `eth_blockNumber (2)`). */
async function callsInLog(file: string, from: number): Promise<Record<string, number>> {
  const handle = await open(file, "r");
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.max(0, size - from));
    await handle.read(buffer, 0, buffer.length, from);
    const calls: Record<string, number> = {};
    for (const raw of buffer.toString("utf8").split("\n")) {
      // Colour codes, should the node print them.
      const line = raw.replace(/\x1b\[[0-9;]*m/g, "").trim();
      const m = /^([a-z]+_[A-Za-z0-9]+)(?: \(\d+\))?$/.exec(line);
      if (m !== null) calls[m[1]] = (calls[m[1]] ?? 0) + 1;
    }
    return calls;
  } finally {
    await handle.close();
  }
}

// ==== MEASURING ====

interface Measured {
  scenario: Scenario;
  round: number;
  requests: number;
  seconds: number;
  rps: number;
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU seconds per wall second (cores) of each process, and of the rest of the machine. */
  cores: { autocannon: number; gateway: number; node: number; other: number; machine: number };
  /** CPU milliseconds per request of each process. */
  cpuMsPerRequest: { autocannon: number; gateway: number; node: number };
  /** Node calls per request, by method. */
  nodeCallsPerRequest: Record<string, number>;
  /** Codes used in the block (UNCACHED: warm-up and run; never more than the batch holds). */
  codesUsed?: number;
}

type RequestMaker = () => { method: "GET" | "POST"; path: string; body?: Buffer };

function cannon(url: string, seconds: number, next: RequestMaker): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        headers: { "content-type": "application/json" },
        requests: [
          {
            setupRequest: (request) => {
              const made = next();
              return { ...request, method: made.method, path: made.path, ...(made.body === undefined ? {} : { body: made.body }) };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

// ==== SET-UP ====

const started = performance.now();
const dir = await mkdtemp(path.join(os.tmpdir(), "medstate-bench-gateway-"));
const nodePort = await freePort();
const nodeUrl = `http://127.0.0.1:${nodePort}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  MEDSTATE_RPC_URL: nodeUrl,
  MEDSTATE_IGNITION_DIR: path.join(dir, "ignition"),
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};
delete env.MEDSTATE_FROM;
const nodeLog = path.join(dir, "node.log");
const loadAtStart = os.loadavg();

let node: ChildProcess | undefined;
let gateway: ChildProcess | undefined;
const measured: Measured[] = [];
let gatewayUrl = "";
let checks: Record<string, unknown> = {};
try {
  const logFd = openSync(nodeLog, "w");
  node = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(nodePort)], {
    cwd: ROOT,
    env,
    stdio: ["ignore", logFd, "pipe"],
  });
  closeSync(logFd);
  let nodeErr = "";
  node.stderr?.on("data", (d: Buffer) => (nodeErr += d.toString()));
  for (const deadline = Date.now() + 60_000; ;) {
    try {
      await rpc(nodeUrl, "eth_chainId");
      break;
    } catch {
      if (node.exitCode !== null || Date.now() > deadline) throw new Error(`hardhat node did not start on ${nodeUrl}: ${nodeErr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  process.stderr.write(`node on ${nodeUrl}; deploying\n`);
  await runOps(env, path.join(dir, "deploy.jsonl"), [
    { task: ["system", "deploy"], args: {} },
    { task: ["member", "add"], args: { party: "2", account: QA, role: "qa", from: "1" } },
    { task: ["product", "register"], args: { gtin: GTIN, name: "Amoxicillin Capsules 0.25g", approvalNo: "国药准字H20230001", from: "1" } },
    { task: ["product", "approve"], args: { gtin: GTIN, applicant: "2", from: "0" } },
  ]);

  // The gateway, in its own process, as an operator starts it.
  gateway = spawn(
    process.execPath,
    [...PROFILE, HARDHAT_CLI, "gateway", "--network", "localhost", "--port", "0", "--data", path.join(dir, "gateway"), "--rate-limit", "0", "--json"],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let gatewayOut = "";
  gateway.stdout!.on("data", (d: Buffer) => (gatewayOut += d.toString()));
  gateway.stderr!.on("data", (d: Buffer) => (gatewayOut += d.toString()));
  const running = gateway;
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start in 60 s: ${gatewayOut}`)), 60_000);
    const onData = () => {
      const line = gatewayOut.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      clearTimeout(timer);
      running.stdout!.off("data", onData);
      resolve(String((JSON.parse(line) as { listening: string }).listening));
    };
    running.stdout!.on("data", onData);
    running.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited ${code}: ${gatewayOut}`));
    });
  });

  // Meanwhile, the batch's UNITS codes as printed on the boxes, and their tree (leaves in unit
  // order, as `batch create` commits them) for the node's own calls.
  const now = new Date();
  const manufactured = new Date(now.getTime() - 30 * 86_400_000).toISOString().slice(0, 10);
  const expiry = new Date(Date.UTC(now.getUTCFullYear() + 2, now.getUTCMonth(), 1) - 86_400_000).toISOString().slice(0, 10);
  const yymmdd = expiry.slice(2).replaceAll("-", "");
  const serial = (i: number) => `B${String(i).padStart(7, "0")}`;
  const printed = (i: number) => `(01)${GTIN}(21)${serial(i)}(10)${LOT}(17)${yymmdd}`;
  const canonical = (i: number) => `01${GTIN}21${serial(i)}`;
  const unitsFile = path.join(dir, "units.txt");
  await writeFile(unitsFile, `${Array.from({ length: UNITS }, (_, i) => printed(i)).join("\n")}\n`);
  const { tree, root } = await buildUnitTree(Array.from({ length: UNITS }, (_, i) => canonical(i)), { order: "index" });
  gatewayUrl = await listening;
  process.stderr.write(`gateway on ${gatewayUrl}; creating a batch of ${UNITS.toLocaleString("en-US")} units\n`);

  // The batch, published to the gateway as it is created, then inspected and released.
  const [created] = (await runOps(env, path.join(dir, "batch.jsonl"), [
    {
      task: ["batch", "create"],
      args: { gtin: GTIN, lot: LOT, manufactured, expiry, quantity: String(UNITS), units: unitsFile, publish: gatewayUrl, from: "1" },
    },
    { task: ["observe"], args: { batch: `${GTIN}/${LOT}`, point: "inspection", result: "normal", from: "9" } },
    { task: ["batch", "release"], args: { batch: `${GTIN}/${LOT}`, from: "9" } },
  ])) as unknown as { batchId: string; unitsRoot: string; published: { units: number } | null }[];
  if (created.published?.units !== UNITS) throw new Error(`the unit list was not published: ${JSON.stringify(created.published)}`);

  if (root !== created.unitsRoot) throw new Error(`rebuilt root ${root} is not the batch's ${created.unitsRoot}`);
  const iface = medstateInterface();
  const info = (await (await fetch(`${gatewayUrl}/v1/info`)).json()) as { contracts: Record<string, string> };
  const batchRegistry = info.contracts.BatchRegistry;
  const rawCall = (i: number) => ({ to: batchRegistry, data: iface.encodeFunctionData("verify", [{ batchId: created.batchId, ...proofFor(tree, i) }]) });

  // Both answer the same: the unit is genuine.
  const head = BigInt(await rpc<string>(nodeUrl, "eth_blockNumber"));
  const [verdict] = iface.decodeFunctionResult("verify", await rpc<string>(nodeUrl, "eth_call", [rawCall(1), `0x${head.toString(16)}`]));
  const answer = (await (await fetch(`${gatewayUrl}/v1/verify/${encodeURIComponent(printed(1))}`)).json()) as { status: string; verdict: string; index: string };
  checks = { nodeVerdict: UNIT_VERDICTS[Number(verdict)], gatewayStatus: answer.status, gatewayVerdict: answer.verdict, index: answer.index };
  if (answer.verdict !== UNIT_VERDICTS[Number(verdict)] || answer.status !== "genuine" || answer.index !== "1") {
    throw new Error(`the node and the gateway disagree on unit 1: ${JSON.stringify(checks)}`);
  }
  process.stderr.write(`set up in ${((performance.now() - started) / 1000).toFixed(1)} s: unit 1 is ${answer.status} on both\n`);

  // ==== THE RUNS ====

  const nodePid = node.pid!;
  const gatewayPid = gateway.pid!;
  for (const [r, order] of ROUNDS.entries()) {
    for (const scenario of order) {
      // A fresh block: the gateway's cache starts empty once it sees it.
      await rpc(nodeUrl, "evm_mine");
      await new Promise((resolve) => setTimeout(resolve, HEAD_MAX_AGE_MS + 100));
      const block = `0x${BigInt(await rpc<string>(nodeUrl, "eth_blockNumber")).toString(16)}`;
      let next: RequestMaker;
      let codes = 0;
      if (scenario === "raw") {
        const bodies = Array.from({ length: RAW_PROOFS }, (_, i) =>
          Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [rawCall((i * 7) % UNITS), block] })),
        );
        let k = 0;
        next = () => ({ method: "POST", path: "/", body: bodies[k++ % bodies.length] });
      } else if (scenario === "uncached") {
        const paths = Array.from({ length: UNITS }, (_, i) => `/v1/verify/${encodeURIComponent(printed(i))}`);
        // Past the last unit the codes would repeat: the run is then refused below.
        next = () => ({ method: "GET", path: paths[codes++ % UNITS] });
      } else {
        const one = `/v1/verify/${encodeURIComponent(printed(0))}`;
        next = () => ({ method: "GET", path: one });
      }
      const target = scenario === "raw" ? nodeUrl : gatewayUrl;
      await cannon(target, WARMUP, next);
      const logBefore = await logSize(nodeLog);
      const before = await cpuSnapshot(gatewayPid, nodePid);
      const result = await cannon(target, SECONDS, next);
      const after = await cpuSnapshot(gatewayPid, nodePid);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const calls = await callsInLog(nodeLog, logBefore);
      const wall = result.duration;
      const total = result.requests.total;
      const cpu = {
        autocannon: after.bench - before.bench,
        gateway: after.gateway - before.gateway,
        node: after.node - before.node,
      };
      const machineBusy = after.machine.busy - before.machine.busy;
      const cores = {
        autocannon: cpu.autocannon / wall,
        gateway: cpu.gateway / wall,
        node: cpu.node / wall,
        machine: machineBusy / wall,
        other: Math.max(0, machineBusy - cpu.autocannon - cpu.gateway - cpu.node) / wall,
      };
      const row: Measured = {
        scenario,
        round: r + 1,
        requests: total,
        seconds: wall,
        rps: total / wall,
        latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        cores,
        cpuMsPerRequest: {
          autocannon: (cpu.autocannon * 1000) / total,
          gateway: (cpu.gateway * 1000) / total,
          node: (cpu.node * 1000) / total,
        },
        nodeCallsPerRequest: Object.fromEntries(Object.entries(calls).map(([m, n]) => [m, n / total])),
        ...(scenario === "uncached" ? { codesUsed: codes } : {}),
      };
      if (codes > UNITS) throw new Error(`UNCACHED used ${codes} codes, more than the batch's ${UNITS}: raise GATEWAY_BENCH_UNITS`);
      if (row.non2xx !== 0 || row.errors !== 0 || row.timeouts !== 0) {
        throw new Error(`${scenario}: ${row.non2xx} non-2xx answers, ${row.errors} errors, ${row.timeouts} timeouts`);
      }
      measured.push(row);
      process.stderr.write(
        `round ${r + 1} ${scenario}: ${row.rps.toFixed(0)} req/s, p50 ${row.latency.p50} ms, p99 ${row.latency.p99} ms; ` +
          `cores autocannon ${cores.autocannon.toFixed(2)}, gateway ${cores.gateway.toFixed(2)}, node ${cores.node.toFixed(2)}, other ${cores.other.toFixed(2)}; ` +
          `node calls/request ${JSON.stringify(row.nodeCallsPerRequest)}\n`,
      );
    }
  }
} finally {
  await stop(gateway);
  await stop(node);
  await rm(dir, { recursive: true, force: true });
}

// ==== REPORT ====

const runSeconds = (performance.now() - started) / 1000;
const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, Node ${process.version}`;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const rowOf = (r: number, s: Scenario) => measured.find((m) => m.round === r && m.scenario === s)!;
const stackMs = (m: Measured) => m.cpuMsPerRequest.autocannon + m.cpuMsPerRequest.gateway + m.cpuMsPerRequest.node;
const rounds = ROUNDS.map((order, i) => {
  const raw = rowOf(i + 1, "raw");
  const ratio = (s: Scenario) => {
    const m = rowOf(i + 1, s);
    return {
      rps: round(m.rps / raw.rps),
      // Under 1 ms (autocannon's whole milliseconds show 0): no ratio.
      p50: m.latency.p50 === 0 ? null : round(m.latency.p50 / raw.latency.p50),
      p99: round(m.latency.p99 / raw.latency.p99),
      mean: round(m.latency.mean / raw.latency.mean),
      /** Requests per CPU second of the three processes, to the raw node's: the rate ratio at equal CPU. */
      perCpu: round(stackMs(raw) / stackMs(m)),
    };
  };
  const uncached = ratio("uncached");
  const cached = ratio("cached");
  return { round: i + 1, order, uncached, cached, uncachedMet: uncached.rps >= 0.8, cachedMet: cached.rps >= 10 };
});
const results = {
  generated: new Date().toISOString(),
  runSeconds: round(runSeconds, 1),
  machine: { cpus: cpus.length, cpuModel: cpus[0]?.model.trim(), node: process.version, loadAverageAtStart: loadAtStart.map((x) => round(x)) },
  settings: {
    units: UNITS,
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    rawProofs: RAW_PROOFS,
    headMaxAgeMs: HEAD_MAX_AGE_MS,
    pipelining: 1,
    rateLimit: "none (--rate-limit 0)",
    blocks: "one block mined before every scenario; UNCACHED never repeats a code within a block",
  },
  goals: { uncached: "≥ 0.8× the raw node's requests/s", cached: "≥ 10× the raw node's requests/s" },
  checks,
  rounds,
  runs: measured.map((m) => ({
    ...m,
    seconds: round(m.seconds, 2),
    rps: round(m.rps, 1),
    latency: { ...m.latency, mean: round(m.latency.mean) },
    cores: Object.fromEntries(Object.entries(m.cores).map(([k, v]) => [k, round(v)])),
    cpuMsPerRequest: Object.fromEntries(Object.entries(m.cpuMsPerRequest).map(([k, v]) => [k, round(v, 3)])),
    nodeCallsPerRequest: Object.fromEntries(Object.entries(m.nodeCallsPerRequest).map(([k, v]) => [k, round(v, 3)])),
  })),
};
await writeFile(path.join(ROOT, "bench", "gateway.json"), `${JSON.stringify(results, null, 2)}\n`);

const f0 = (x: number) => Math.round(x).toLocaleString("en-US");
// autocannon's histogram has whole milliseconds: 0 means under 1 ms.
const ms = (x: number) => (x === 0 ? "< 1 ms" : `${x} ms`);
const x2 = (x: number) => `${x.toFixed(2)}×`;
const latencyRatio = (x: number, raw: number) => (raw === 0 ? "—" : x === 0 ? `< ${x2(1 / raw)}` : x2(x / raw));
const table = [
  "| Round | Scenario | req/s | p50 | p99 | mean | req/s ÷ raw | p50 ÷ raw | p99 ÷ raw | mean ÷ raw | req/s per CPU ÷ raw |",
  "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...measured.map((m) => {
    const raw = rowOf(m.round, "raw");
    return (
      `| ${m.round} | ${TITLE[m.scenario]} | ${f0(m.rps)} | ${ms(m.latency.p50)} | ${ms(m.latency.p99)} | ${m.latency.mean.toFixed(2)} ms | ${x2(m.rps / raw.rps)} | ` +
      `${latencyRatio(m.latency.p50, raw.latency.p50)} | ${latencyRatio(m.latency.p99, raw.latency.p99)} | ${x2(m.latency.mean / raw.latency.mean)} | ${x2(stackMs(raw) / stackMs(m))} |`
    );
  }),
];
const cores = [
  "| Round | Scenario | cores: autocannon · gateway · node | rest of the machine | CPU ms per request: autocannon · gateway · node | node calls per request |",
  "|---:|---|---|---:|---|---|",
  ...measured.map((m) => {
    const c = m.cpuMsPerRequest;
    const calls = Object.entries(m.nodeCallsPerRequest)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(", ");
    return (
      `| ${m.round} | ${m.scenario} | ${m.cores.autocannon.toFixed(2)} · ${m.cores.gateway.toFixed(2)} · ${m.cores.node.toFixed(2)} | ${m.cores.other.toFixed(2)} | ` +
      `${c.autocannon.toFixed(3)} · ${c.gateway.toFixed(3)} · ${c.node.toFixed(3)} | ${calls || "—"} |`
    );
  }),
];
/** The mean over the rounds of `f` for `scenario`. */
const meanOf = (scenario: Scenario, f: (m: Measured) => number) => {
  const rows = measured.filter((m) => m.scenario === scenario);
  return rows.reduce((sum, m) => sum + f(m), 0) / rows.length;
};
const cost = (scenario: Scenario) => ({
  autocannon: meanOf(scenario, (m) => m.cpuMsPerRequest.autocannon),
  gateway: meanOf(scenario, (m) => m.cpuMsPerRequest.gateway),
  node: meanOf(scenario, (m) => m.cpuMsPerRequest.node),
  total: meanOf(scenario, stackMs),
});
const [rawCost, uncachedCost, cachedCost] = (["raw", "uncached", "cached"] as const).map(cost);
const ms3 = (x: number) => `${x.toFixed(3)} ms`;
const budget = rawCost.total / 0.8 - uncachedCost.autocannon - uncachedCost.node;
const machineBusy = meanOf("raw", (m) => m.cores.machine);
const verdict = (met: boolean[]) => (met.every(Boolean) ? "**met** in both rounds" : met.some(Boolean) ? "met in one round of two" : "**not met**");
const md = [
  "# The gateway under load",
  "",
  `Generated by \`npm run bench\` (scripts/bench-gateway.ts) on ${results.generated.slice(0, 10)}: ${machine}; load average ${loadAtStart.map((x) => x.toFixed(2)).join(", ")} at the start. Run time ${results.runSeconds} s.`,
  `A real \`hardhat node\` and the gateway (\`hardhat gateway --rate-limit 0\`) each in its own process, autocannon in a third, all on 127.0.0.1; ` +
    `${CONNECTIONS} connections, ${SECONDS} s per scenario after a ${WARMUP} s warm-up, a batch of ${UNITS.toLocaleString("en-US")} units. ` +
    "Ratios are to the node's own `eth_call` of `verify` measured in the same round; the two rounds ran in opposite orders.",
  "",
  `Goals: uncached ≥ 0.8× the raw node rate — ${verdict(rounds.map((r) => r.uncachedMet))} (${rounds.map((r) => x2(r.uncached.rps)).join(", ")}); ` +
    `cached ≥ 10× — ${verdict(rounds.map((r) => r.cachedMet))} (${rounds.map((r) => x2(r.cached.rps)).join(", ")}).`,
  "",
  ...table,
  "",
  "\"req/s per CPU\": requests per CPU second of the three processes together, so the ratio does not depend on how much of the machine other work took at that moment.",
  "",
  `CPU during each measured run, in cores (CPU seconds per second; the machine has ${cpus.length}), and per request:`,
  "",
  ...cores,
  "",
  "## Where the time goes",
  "",
  `- The machine's cores were busy during the runs (${machineBusy.toFixed(2)} of ${cpus.length} on average during RAW, other work included), ` +
    "so each scenario's rate is the CPU its processes got divided by the CPU a request costs them.",
  `- CPU per request, mean of the rounds: RAW ${ms3(rawCost.total)} (autocannon ${ms3(rawCost.autocannon)}, node ${ms3(rawCost.node)}); ` +
    `UNCACHED ${ms3(uncachedCost.total)} (autocannon ${ms3(uncachedCost.autocannon)}, gateway ${ms3(uncachedCost.gateway)}, node ${ms3(uncachedCost.node)}); ` +
    `CACHED ${ms3(cachedCost.total)} (autocannon ${ms3(cachedCost.autocannon)}, gateway ${ms3(cachedCost.gateway)}).`,
  `- At equal CPU, UNCACHED runs at ${ms3(rawCost.total)} ÷ ${ms3(uncachedCost.total)} = ${x2(rawCost.total / uncachedCost.total)} the raw rate and CACHED at ` +
    `${x2(rawCost.total / cachedCost.total)}. For 0.8×, a request may cost the three processes ${ms3(rawCost.total / 0.8)}; autocannon and the node take ` +
    `${ms3(uncachedCost.autocannon + uncachedCost.node)} of it, which leaves the gateway ${budget > 0 ? ms3(budget) : "nothing"} per uncached request ` +
    `(it spends ${ms3(uncachedCost.gateway)}, ${x2(uncachedCost.gateway / rawCost.node)} the node's own cost of the call).`,
  "",
  "## How it was measured",
  "",
  "- RAW: JSON-RPC `eth_call` of `BatchRegistry.verify(UnitProof)` posted to the node, at the head's block number as the gateway asks it, " +
    `rotating over ${RAW_PROOFS.toLocaleString("en-US")} different units' proofs.`,
  "- UNCACHED: `GET /v1/verify/:code` with the code as printed (GS1 with parentheses, URL-encoded), a different unit every request; " +
    "the batch has more units than the warm-up and the run use, so no code repeats within a block (checked). The batch's own record, " +
    "state graph, product and history are read once per block by the gateway; each request pays one `eth_call` of `verify`.",
  "- CACHED: `GET /v1/verify/:code` of one code: the answer is computed once per block; the gateway reads the head at most every " +
    `${HEAD_MAX_AGE_MS} ms.`,
  "- One block is mined before every scenario, so each starts on a block the gateway has no cache for. Every request is built by the same " +
    "autocannon `setupRequest` hook. CPU from /proc/<pid>/stat (children included) and /proc/stat; node calls from the node's own log " +
    "(`hardhat node` prints one line per call).",
  "",
].join("\n");
await writeFile(path.join(ROOT, "bench", "gateway.md"), md);
console.log(table.join("\n"));
console.log(cores.join("\n"));
console.log(`written bench/gateway.json, bench/gateway.md (${results.runSeconds} s)`);
