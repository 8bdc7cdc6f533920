/**
 * The operations file `run-ops` reads: JSON Lines, one MedState task invocation per line,
 *
 *   {"task": ["batch", "ship"], "args": {"batch": "06901234567892/L2026A", "to": "Jiangnan", "quantity": "10", "from": "maker"}}
 *
 * `task` is the task's words (an array, or one string: "batch ship"); `args` holds its
 * options as on the command line, kebab-case (`approval-no`) or camelCase (`approvalNo`):
 * values are strings (an integer up to 2^53 is taken as its decimal string), flags `true`
 * or `false`. `--json` and `--network` belong to the whole run. Blank lines and lines
 * starting with `#` are skipped. Every line is checked before anything runs.
 */
import { readFile } from "node:fs/promises";

import { ArgumentType } from "hardhat/types/arguments";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";

/** One line of an operations file, checked against its task's options. */
export interface Op {
  /** The line's number in the file (1-based). */
  line: number;
  task: string[];
  /** The task's arguments by option name (camelCase), as `hre.tasks.getTask(task).run` takes them. */
  args: Record<string, string | boolean>;
}

/** `approvalNo` → `approval-no`: an option as the command line spells it. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `approval-no` → `approvalNo`. */
function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The line's task and arguments, or a one-line reason it cannot run. */
function parseOp(hre: HardhatRuntimeEnvironment, runnable: ReadonlySet<string>, text: string, line: number): Op {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`not JSON (${(error as Error).message.split("\n")[0]})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UserError(`expected an object {"task": …, "args": {…}}`);
  }
  const { task: rawTask, args: rawArgs = {}, ...rest } = parsed as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new UserError(`unknown key "${extra[0]}" (a line has "task" and "args")`);
  const task =
    typeof rawTask === "string"
      ? rawTask.trim().split(/\s+/)
      : Array.isArray(rawTask) && rawTask.every((w) => typeof w === "string")
        ? (rawTask as string[])
        : undefined;
  if (task === undefined || task.join("") === "") throw new UserError(`"task" must be the task's words, e.g. ["batch", "ship"]`);
  const name = task.join(" ");
  if (name === "run-ops") throw new UserError("run-ops cannot run itself: put the other file's lines in this one");
  if (!runnable.has(name)) throw new UserError(`unknown task "${name}" (run-ops runs MedState tasks: npx hardhat --help lists them)`);
  if (rawArgs === null || typeof rawArgs !== "object" || Array.isArray(rawArgs)) {
    throw new UserError(`"args" must be an object of option → value`);
  }
  const options = hre.tasks.getTask(task).options;
  const args: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(rawArgs as Record<string, unknown>)) {
    const option = camel(key);
    if (option === "json") throw new UserError(`"${key}" belongs to the whole run: run-ops --json`);
    const definition = options.get(option);
    if (definition === undefined || option === "help") {
      const known = [...options.keys()].filter((o) => o !== "json" && o !== "help").map(kebab);
      throw new UserError(`${name} has no option "${key}" (its options: ${known.join(", ")})`);
    }
    if (option in args) throw new UserError(`--${kebab(option)} is given twice`);
    if (definition.type === ArgumentType.FLAG || definition.type === ArgumentType.BOOLEAN) {
      if (typeof value !== "boolean") throw new UserError(`--${kebab(option)} is a flag: true or false`);
      args[option] = value;
    } else if (typeof value === "string") {
      args[option] = value;
    } else if (typeof value === "number" && Number.isSafeInteger(value)) {
      args[option] = String(value);
    } else {
      throw new UserError(`--${kebab(option)} must be a string${typeof value === "number" ? " (this number is past 2^53: quote it)" : ""}`);
    }
  }
  return { line, task, args };
}

/**
 * Reads and checks every line of `file`; refuses, naming the first bad line (and how many
 * more there are), before anything runs. `runnable` holds the task names a line may use.
 */
export async function readOpsFile(hre: HardhatRuntimeEnvironment, file: string, runnable: ReadonlySet<string>): Promise<Op[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UserError(`cannot read the operations file ${file}: ${(error as Error).message.split("\n")[0]}`);
  }
  const ops: Op[] = [];
  const bad: { line: number; reason: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    try {
      ops.push(parseOp(hre, runnable, trimmed, i + 1));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      bad.push({ line: i + 1, reason: error.message });
    }
  });
  if (bad.length > 0) {
    const [first, ...more] = bad;
    const others = more.length === 0 ? "" : ` (${more.length} more bad line${more.length === 1 ? "" : "s"}: ${more.map((b) => b.line).join(", ")})`;
    throw new UserError(`${file} line ${first.line}: ${first.reason}; nothing was run${others}`);
  }
  if (ops.length === 0) throw new UserError(`${file} holds no operations (one JSON object per line)`);
  return ops;
}
