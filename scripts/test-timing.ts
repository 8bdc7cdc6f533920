/**
 * `npm run test:timing`: runs what `npm test` runs — the steps of `scripts/run-tests.ts`,
 * one at a time, in order (as `npm test -- --sequential`) — and records how long each takes,
 * how long each top-level mocha suite's tests take, and the 10 slowest tests, in
 * bench/tests.json. Wall times on a shared machine vary from run to run: the figures are
 * for comparing suites with each other and a run with the one before it.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { STEPS } from "./run-tests.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SLOWEST = 10;

interface Step {
  name: string;
  seconds: number;
  passing?: number;
}

interface TestTime {
  step: string;
  suite: string;
  test: string;
  ms: number;
}

function run(command: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    };
    const child = spawn(command[0], command.slice(1), { cwd: ROOT, env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Mocha's spec output: a top-level suite is a title indented by two spaces; a passing
 * test is `✔ title (N ms)` when it took long enough for mocha to print its time.
 */
function mochaTimes(step: string, output: string): { tests: TestTime[]; passing?: number } {
  const tests: TestTime[] = [];
  let suite = "";
  let passing: number | undefined;
  for (const line of output.split("\n")) {
    const top = line.match(/^ {2}(\S.*)$/);
    if (top !== null && !/^\d+ (passing|failing|pending)/.test(top[1])) suite = top[1];
    const test = line.match(/^\s+✔ (.*) \((\d+)ms\)$/);
    if (test !== null) tests.push({ step, suite, test: test[1], ms: Number(test[2]) });
    const count = line.match(/^\s+(\d+) passing/);
    if (count !== null) passing = Number(count[1]);
  }
  return { tests, passing };
}

const steps: Step[] = [];
const tests: TestTime[] = [];
const started = performance.now();
for (const { name: script, command } of STEPS) {
  const t0 = performance.now();
  process.stderr.write(`${script} … `);
  const { code, output } = await run(command);
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write(`${seconds.toFixed(1)} s\n`);
  if (code !== 0) {
    process.stderr.write(output);
    process.stderr.write(`error: ${command.join(" ")} failed (exit ${code}); nothing recorded\n`);
    process.exit(1);
  }
  const times = mochaTimes(script, output);
  tests.push(...times.tests);
  steps.push({ name: script, seconds: Number(seconds.toFixed(1)), ...(times.passing === undefined ? {} : { passing: times.passing }) });
}
const total = Number(((performance.now() - started) / 1000).toFixed(1));

const suites = new Map<string, { step: string; suite: string; tests: number; ms: number }>();
for (const t of tests) {
  const key = `${t.step}\u0000${t.suite}`;
  const entry = suites.get(key) ?? { step: t.step, suite: t.suite, tests: 0, ms: 0 };
  entry.tests++;
  entry.ms += t.ms;
  suites.set(key, entry);
}
const slowest = [...tests].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
const result = {
  machine: { cpus: os.cpus().length, node: process.version },
  totalSeconds: total,
  steps,
  suites: [...suites.values()].sort((a, b) => b.ms - a.ms),
  slowest,
};
await writeFile(path.join(ROOT, "bench", "tests.json"), `${JSON.stringify(result, null, 2)}\n`);

for (const s of steps) console.log(`${s.name.padEnd(12)} ${s.seconds.toFixed(1).padStart(7)} s${s.passing === undefined ? "" : `  ${s.passing} passing`}`);
console.log(`${"total".padEnd(12)} ${total.toFixed(1).padStart(7)} s`);
console.log(`\nslowest tests:`);
for (const t of slowest) console.log(`${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.suite} › ${t.test}`);
console.log(`\nwritten bench/tests.json`);
