/**
 * `npm test`: every step of the test suite, the independent ones at the same time.
 *
 * The contracts are built once, first (`hardhat build`); every later Hardhat step runs
 * with `--no-compile`, so nothing rebuilds while another step reads the artifacts. Then
 * the mocha suite (in-process EVM, one core) runs beside the type check, the linter, the
 * Solidity tests and the end-to-end suites (whose nodes, task workers and fresh `hardhat`
 * commands keep the second core busy): on a 2-core machine about 0.6 of the sequential
 * run's time. The end-to-end suites start with the build; the package's own (`package.e2e.ts`,
 * tagged `@pack`) runs last, once the type check and the others have ended: its `npm pack`
 * runs `hardhat build`, which rewrites the typechain sources `tsc` reads and tasks load.
 *
 * Each step's output is printed whole when the step ends, under its name, its result
 * and its duration; a line a minute says what is still running; a summary follows. The
 * exit code is non-zero when a step failed (or was skipped because a step it needs
 * failed); every other step still runs, so one run reports every failure. Processes a
 * step leaves behind are stopped (and named). Ctrl-C (or SIGTERM) stops every step's
 * whole process tree. `--sequential` runs the steps one at a time in the order below,
 * stopping at the first failure; `--only a,b` runs just those steps (not what they need).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * One step: a command; the steps that must have passed before it starts (`needs`: it is
 * skipped if one failed) and those that must merely have ended (`after`: for steps that
 * must not overlap, e.g. one that rewrites files the other reads).
 */
export interface Step {
  name: string;
  command: string[];
  needs: string[];
  after: string[];
  /** Lower CPU priority (`nice`): a step that only fills the cores the critical path leaves idle. */
  background?: boolean;
}

/** The steps of `npm test`, in the order `--sequential` runs them. */
export const STEPS: Step[] = [
  { name: "build", command: ["hardhat", "build", "--quiet"], needs: [], after: [] },
  { name: "lint", command: ["npm", "run", "lint"], needs: [], after: [] },
  // The verification page's own sources (DOM types): they need no contract build.
  { name: "typecheck:web", command: ["tsc", "--noEmit", "-p", "web"], needs: [], after: [] },
  { name: "typecheck", command: ["tsc", "--noEmit"], needs: ["build"], after: [] },
  // The end-to-end suites are the longest step: mocha and the Solidity tests yield the CPU to them.
  { name: "test:mocha", command: ["npm", "run", "test:mocha", "--", "--no-compile"], needs: ["build"], after: [], background: true },
  // Every end-to-end suite but the package's, from the build on: the longest step.
  { name: "test:e2e", command: ["npm", "run", "test:e2e", "--", "--grep-exclude", "@pack"], needs: ["build"], after: [] },
  // The package's: its `npm pack` runs `hardhat build`, which rewrites the typechain sources
  // the type check reads and the tasks of the other end-to-end suites load.
  { name: "test:pack", command: ["hardhat", "test", "mocha", "--no-compile", "--grep", "@pack"], needs: ["build"], after: ["typecheck", "test:e2e"] },
  // After the type check, which the end-to-end suites wait for: it keeps the second core to itself.
  { name: "test:sol", command: ["npm", "run", "test:sol", "--", "--no-compile"], needs: ["build"], after: ["typecheck"], background: true },
];

const ENDED: ReadonlySet<Status | undefined> = new Set(["passed", "failed", "skipped"]);

export type Status = "waiting" | "running" | "passed" | "failed" | "skipped";

/**
 * What to do next, given each step's status: the waiting steps whose needs have all
 * passed and whose `after` steps have all ended (to start, in list order, at most
 * `slots` of them) and the waiting steps one of whose needs failed or was skipped (to skip).
 */
export function nextMoves(steps: Step[], status: ReadonlyMap<string, Status>, slots: number): { start: string[]; skip: string[] } {
  const start: string[] = [];
  const skip: string[] = [];
  for (const step of steps) {
    if (status.get(step.name) !== "waiting") continue;
    const needs = step.needs.map((n) => status.get(n));
    if (needs.some((s) => s === "failed" || s === "skipped")) skip.push(step.name);
    else if (needs.every((s) => s === "passed") && step.after.every((n) => ENDED.has(status.get(n))) && start.length < slots) {
      start.push(step.name);
    }
  }
  return { start, skip };
}

/**
 * The steps to run: all of them, or those named in `only` (unknown names are an error);
 * `sequential` makes each step need the one before it, so they run one at a time in order
 * and stop at the first failure (as a chain of `&&`). A step's needs outside the selection
 * are dropped (`--only` assumes they are done).
 */
export function plan(steps: Step[], options: { only?: string[]; sequential?: boolean }): Step[] {
  const unknown = (options.only ?? []).filter((n) => !steps.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown step ${unknown.join(", ")} (steps: ${steps.map((s) => s.name).join(", ")})`);
  const chosen = options.only === undefined ? steps : steps.filter((s) => options.only?.includes(s.name));
  const names = new Set(chosen.map((s) => s.name));
  return chosen.map((step, i) =>
    options.sequential === true
      ? { ...step, needs: i > 0 ? [chosen[i - 1].name] : [], after: [] }
      : { ...step, needs: step.needs.filter((n) => names.has(n)), after: step.after.filter((n) => names.has(n)) },
  );
}

/** `12.3 s`, or `3 min 04.5 s` from a minute on. */
export function formatSeconds(ms: number): string {
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const minutes = Math.floor(tenths / 600);
  return `${minutes} min ${((tenths - minutes * 600) / 10).toFixed(1).padStart(4, "0")} s`;
}

/** The command line's options: `--sequential`, `--only a,b`. */
export function parseArguments(argv: string[]): { only?: string[]; sequential: boolean } {
  let only: string[] | undefined;
  let sequential = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--sequential") sequential = true;
    else if (arg === "--only" && i + 1 < argv.length) only = argv[++i].split(",").filter((n) => n !== "");
    else if (arg.startsWith("--only=")) only = arg.slice("--only=".length).split(",").filter((n) => n !== "");
    else throw new Error(`unknown argument ${arg} (usage: run-tests.ts [--sequential] [--only step,step])`);
  }
  return { only, sequential };
}

/** A step's command line: under `nice` when it runs in the background (where there is `nice`). */
export function commandLine(step: Step, platform: NodeJS.Platform = process.platform): string[] {
  return step.background === true && platform !== "win32" ? ["nice", "-n", "10", ...step.command] : step.command;
}

/** The processes (pid and command line) of process group `pgid`, from /proc (Linux; elsewhere none). */
function groupMembers(pgid: number | undefined): string[] {
  if (pgid === undefined || process.platform !== "linux") return [];
  const members: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      members.push(`${entry} ${command.length > 160 ? `${command.slice(0, 159)}…` : command}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return members;
}

interface Running {
  child: ChildProcess;
  started: number;
  chunks: Buffer[];
}

/** The last non-empty line a step printed, shortened, for the progress line. */
export function lastLine(chunks: Buffer[], width = 100): string {
  const tail = Buffer.concat(chunks.slice(-4)).toString("utf8");
  const line = tail.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1) ?? "";
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/**
 * Runs `steps` (each as soon as what it waits for allows), prints each one's output when it
 * ends and a summary, and exits: 0 when all passed, 1 otherwise, 130 when interrupted.
 */
export async function runSteps(steps: Step[]): Promise<never> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
  };
  const status = new Map<string, Status>(steps.map((s) => [s.name, "waiting"]));
  const took = new Map<string, number>();
  const running = new Map<string, Running>();
  const cleanups: Promise<void>[] = [];
  const began = performance.now();
  let stopping = false;

  /** Kills a step's whole process tree: each step leads its own process group. */
  const killTree = (child: ChildProcess, signal: NodeJS.Signals, evenIfExited = false) => {
    if (child.pid === undefined) return;
    if (!evenIfExited && (child.exitCode !== null || child.signalCode !== null)) return;
    try {
      if (process.platform === "win32") child.kill(signal);
      else process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping ${[...running.keys()].join(", ") || "nothing"}\n`);
    for (const { child } of running.values()) killTree(child, "SIGTERM");
    // Whatever ignores SIGTERM for 5 s is killed outright.
    setTimeout(() => {
      for (const { child } of running.values()) killTree(child, "SIGKILL");
      process.exit(130);
    }, 5_000).unref();
  };
  process.on("SIGINT", () => stopAll("SIGINT"));
  process.on("SIGTERM", () => stopAll("SIGTERM"));
  process.on("exit", () => {
    for (const { child } of running.values()) killTree(child, "SIGKILL");
  });

  // A line a minute on what is still running (output is shown only when a step ends).
  const progress = setInterval(() => {
    const now = performance.now();
    for (const [name, r] of running) {
      process.stderr.write(`… ${name} running for ${formatSeconds(now - r.started)}: ${lastLine(r.chunks)}\n`);
    }
  }, 60_000);
  progress.unref();

  await new Promise<void>((finished) => {
    const start = (step: Step) => {
      status.set(step.name, "running");
      process.stderr.write(`▶ ${step.name}: ${commandLine(step).join(" ")}  (at ${formatSeconds(performance.now() - began)})\n`);
      const [command, ...args] = commandLine(step);
      const child = spawn(command, args, {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: process.platform !== "win32",
        shell: process.platform === "win32",
      });
      const chunks: Buffer[] = [];
      child.stdout?.on("data", (d: Buffer) => chunks.push(d));
      child.stderr?.on("data", (d: Buffer) => chunks.push(d));
      running.set(step.name, { child, started: performance.now(), chunks });
      let done = false;
      const end = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        if (done) return;
        done = true;
        const ms = performance.now() - (running.get(step.name)?.started ?? began);
        running.delete(step.name);
        took.set(step.name, ms);
        const passed = code === 0 && error === undefined;
        status.set(step.name, passed ? "passed" : "failed");
        const why = error !== undefined ? error.message : signal !== null ? `killed by ${signal}` : `exit ${code}`;
        const title = `${step.name}: ${passed ? "passed" : stopping ? "stopped" : `FAILED (${why})`} in ${formatSeconds(ms)}`;
        process.stdout.write(`\n━━━ ${title} ━━━\n`);
        process.stdout.write(Buffer.concat(chunks));
        process.stdout.write(`━━━ end of ${title} ━━━\n`);
        // A process the step started and did not stop is still in the step's process group
        // (helpers such as esbuild's service take a moment to notice their parent is gone).
        cleanups.push(
          new Promise((resolve) =>
            setTimeout(() => {
              const left = groupMembers(child.pid);
              if (left.length > 0) {
                process.stderr.write(`warning: ${step.name} left ${left.length} process(es) running; stopping them:\n${left.map((l) => `  ${l}\n`).join("")}`);
                killTree(child, "SIGTERM", true);
              }
              resolve();
            }, 2_000),
          ),
        );
        advance();
      };
      child.once("error", (error) => end(null, null, error));
      child.once("close", (code, signal) => end(code, signal));
      // A leftover grandchild holding the output pipes open would delay `close` for ever.
      child.once("exit", (code, signal) => setTimeout(() => end(code, signal), 5_000).unref());
    };

    const advance = () => {
      if (stopping) {
        if (running.size === 0) finished();
        return;
      }
      for (;;) {
        const { start: ready, skip } = nextMoves(steps, status, Number.POSITIVE_INFINITY);
        for (const name of skip) status.set(name, "skipped");
        for (const name of ready) start(steps.find((s) => s.name === name) as Step);
        if (skip.length === 0) break;
      }
      if (running.size === 0) finished();
    };
    advance();
  });

  clearInterval(progress);
  const total = performance.now() - began;
  await Promise.all(cleanups);
  process.stdout.write("\n");
  for (const step of steps) {
    const s = status.get(step.name) as Status;
    const ms = took.get(step.name);
    process.stdout.write(`${step.name.padEnd(12)} ${(s === "passed" ? "ok" : s === "failed" && stopping ? "STOPPED" : s.toUpperCase()).padEnd(8)} ${ms === undefined ? "" : formatSeconds(ms)}\n`);
  }
  process.stdout.write(`${"total".padEnd(12)} ${"".padEnd(8)} ${formatSeconds(total)} (wall)\n`);
  if (stopping) process.exit(130);
  const named = (which: Status) => steps.filter((s) => status.get(s.name) === which).map((s) => s.name);
  const failed = named("failed");
  const skipped = named("skipped");
  if (failed.length > 0 || skipped.length > 0) {
    const skips = skipped.length > 0 ? `; skipped (a step they need failed): ${skipped.join(", ")}` : "";
    process.stderr.write(`error: failed: ${failed.join(", ")}${skips}\n`);
    process.exit(1);
  }
  process.exit(0);
}

async function main(): Promise<never> {
  let steps: Step[];
  try {
    steps = plan(STEPS, parseArguments(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(2);
  }
  return runSteps(steps);
}

if (import.meta.filename === path.resolve(process.argv[1] ?? "")) await main();
