import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { TaskDefinitionType } from "hardhat/types/tasks";

import { type DecodedError, explainError } from "../../sdk/errors.js";
import { medstateTasks } from "../index.js";
import { type Op, readOpsFile } from "../lib/ops-file.js";
import { type TaskResult, required, taskAction, takeLastSigner } from "../lib/runtime.js";

interface Args {
  file?: string;
  continue: boolean;
  json: boolean;
}

/** What became of one line: with `--json`, the document it would print alone is its `result` or `error`. */
interface Outcome {
  line: number;
  task: string;
  status: "done" | "refused" | "alarm" | "not run";
  result?: unknown;
  error?: DecodedError;
  alarm?: string;
}

/** The MedState tasks a line may name (not run-ops itself). */
function runnableTasks(): Set<string> {
  return new Set(
    medstateTasks
      .filter((definition) => definition.type === TaskDefinitionType.NEW_TASK)
      .map((definition) => definition.id.join(" "))
      .filter((name) => name !== "run-ops"),
  );
}

/**
 * Runs one line's task as `npx hardhat <task> <options>` would, in this process: its human
 * output goes to stdout as printed; with `--json` its one document is taken from stdout
 * into the run's array. A refusal's line on stderr names the line it came from.
 */
async function runOp(hre: HardhatRuntimeEnvironment, op: Op, json: boolean): Promise<Outcome> {
  const task = op.task.join(" ");
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  let captured = "";
  if (json) {
    process.stdout.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  }
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    (stderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean).call(
      process.stderr,
      typeof chunk === "string" && chunk.startsWith("error: ") ? `error: line ${op.line} (${task}): ${chunk.slice(7)}` : chunk,
      ...rest,
    )) as typeof process.stderr.write;
  process.exitCode = undefined;
  let value: TaskResult | undefined;
  let thrown: { error: unknown } | undefined;
  try {
    value = (await hre.tasks.getTask(op.task).run({ ...op.args, json })) as TaskResult | undefined;
  } catch (error) {
    thrown = { error };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  const failed = process.exitCode !== undefined && process.exitCode !== 0;
  process.exitCode = undefined;
  if (thrown !== undefined) {
    // Not through taskAction (a task that failed to load): said the same way.
    const error = explainError(thrown.error);
    process.stderr.write(`error: line ${op.line} (${task}): ${error.message}\n`);
    return { line: op.line, task, status: "refused", error };
  }
  const document: unknown = json && captured.trim() !== "" ? JSON.parse(captured) : undefined;
  if (value === undefined || (failed && value.alarm === undefined)) {
    const error = (document as { error?: DecodedError } | undefined)?.error;
    return { line: op.line, task, status: "refused", ...(error !== undefined ? { error } : {}) };
  }
  const result = json ? document : undefined;
  if (value.alarm !== undefined) return { line: op.line, task, status: "alarm", ...(json ? { result } : {}), alarm: value.alarm };
  return { line: op.line, task, status: "done", ...(json ? { result } : {}) };
}

/** `4 done, 1 refused (line 3)`, and what was left. */
function summary(outcomes: Outcome[], keptGoing: boolean): string {
  const count = (status: Outcome["status"]) => outcomes.filter((o) => o.status === status);
  const lines = (list: Outcome[]) => ` (line${list.length === 1 ? "" : "s"} ${list.map((o) => o.line).join(", ")})`;
  const refused = count("refused");
  const alarms = count("alarm");
  const notRun = count("not run");
  const parts = [`${count("done").length} done`];
  if (alarms.length > 0) parts.push(`${alarms.length} with an alarm${lines(alarms)}`);
  if (refused.length > 0) parts.push(`${refused.length} refused${lines(refused)}`);
  let text = `run-ops: ${outcomes.length} operation${outcomes.length === 1 ? "" : "s"}, ${parts.join(", ")}`;
  if (notRun.length > 0 && !keptGoing) {
    text += `; stopped there, ${notRun.length} not run (--continue runs past a refusal)`;
  }
  return text;
}

/**
 * Runs the operations of a JSON Lines file in order, in this one process (one Hardhat
 * start-up and one connection for all). Stops at the first refusal unless `--continue`;
 * exits 1 when any line was refused. A bad line refuses the whole file before anything runs.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const file = required("FILE (the operations file, one JSON object per line)", args.file);
  const ops = await readOpsFile(hre, file, runnableTasks());
  const outcomes: Outcome[] = [];
  let stopped = false;
  for (const op of ops) {
    if (stopped) {
      outcomes.push({ line: op.line, task: op.task.join(" "), status: "not run" });
      continue;
    }
    const outcome = await runOp(hre, op, args.json);
    outcomes.push(outcome);
    if (outcome.status !== "done" && !args.continue) stopped = true;
  }
  // The lines said who signed them; the summary signs nothing.
  takeLastSigner();
  if (outcomes.some((o) => o.status === "refused" || o.status === "alarm")) process.exitCode = 1;
  return { json: outcomes, human: summary(outcomes, args.continue) };
}

export default taskAction(run);
