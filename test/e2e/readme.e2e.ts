/**
 * The README's Getting started, run as written: every `$ ` command of its console
 * blocks, in order, through a shell, against a fresh `hardhat node`, from an empty
 * directory inside the project (as a newcomer's working directory). Each command's
 * output must be the one the README shows, line for line, and its exit code 0 — or 1
 * when the README shows a refusal (`error: …`). So the README cannot drift from the CLI.
 *
 * Rules for the README's blocks: a line `$ cmd` is a command (a trailing `\` continues
 * it on the next line; a `  # comment` after it is dropped); the lines after it, up to
 * the next command, are its output. A shown line ending in ` …` matches any line that
 * starts with what precedes it; timestamps with a time of day stand for any time.
 * `npm install` and `npm run node` are not run: the test installed and started those.
 * A service the README starts in a second terminal (`npx hardhat gateway`) runs in the
 * background from there on: its shown lines are what it prints when it has started, and
 * it is stopped at the end. Port 8080 of the README is a free port here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { type LocalNode, ROOT, freePort, startLocalNode } from "../helpers/cli.js";

export interface ReadmeCommand {
  command: string;
  output: string[];
}

/** The commands and shown outputs of the README section `title`. */
export function commandsOf(readme: string, title: string): ReadmeCommand[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const end = readme.indexOf("\n## ", start + 4);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: ReadmeCommand[] = [];
  for (const block of section.matchAll(/```console\n([\s\S]*?)```/g)) {
    const lines = block[1].split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.startsWith("$ ")) {
        let command = line.slice(2);
        while (command.endsWith("\\") && i + 1 < lines.length) command = `${command.slice(0, -1).trimEnd()} ${lines[++i].trim()}`;
        commands.push({ command: command.replace(/\s+#\s.*$/, "").trim(), output: [] });
      } else if (line !== "" && commands.length > 0) {
        commands[commands.length - 1].output.push(line);
      }
    }
  }
  return commands;
}

const TIME_OF_DAY = /\d{4}-\d\d-\d\dT(?!00:00:00\.000Z)\d\d:\d\d:\d\d\.\d{3}Z/g;

/** Whether an actual output line is what the README shows. */
export function matchesShown(shown: string, actual: string): boolean {
  const normal = (s: string) => s.replace(TIME_OF_DAY, "<time>").trimEnd();
  if (shown.endsWith(" …")) return normal(actual).startsWith(normal(shown.slice(0, -2)));
  return normal(actual) === normal(shown);
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
      resolve({ code: code ?? 1, out: [...lines(stdout), ...lines(stderr)] });
    });
  });
}

/** Whether a README command starts a service that runs until stopped. */
const isService = (command: string) => /\bhardhat gateway\b/.test(command);

/** Starts a service through a shell and waits until it has printed `lines` lines (or exited). */
function background(command: string, cwd: string, env: NodeJS.ProcessEnv, lines: number): Promise<{ child: ChildProcess; out: string[] }> {
  // A process group of its own: stopping it stops npx's child too, which would otherwise
  // outlive the test holding mocha's output open.
  const child = spawn("sh", ["-c", `exec ${command}`], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let text = "";
  const out = () => text.split("\n").filter((l) => l.trim() !== "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`$ ${command}\nprinted only:\n${text}`)), 60_000);
    const check = () => {
      if (out().length >= lines) {
        clearTimeout(timer);
        resolve({ child, out: out() });
      }
    };
    child.stdout!.on("data", (d: Buffer) => ((text += d.toString()), check()));
    child.stderr!.on("data", (d: Buffer) => ((text += d.toString()), check()));
    child.once("exit", () => {
      clearTimeout(timer);
      resolve({ child, out: out() });
    });
  });
}

describe("the README's Getting started, run as written @e2e", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let cwd: string;
  let commands: ReadmeCommand[];

  before(async function () {
    commands = commandsOf(await readFile(path.join(ROOT, "README.md"), "utf8"), "Getting started");
    node = await startLocalNode({ cold: true });
    cwd = await mkdtemp(path.join(ROOT, ".getting-started-"));
  });

  const services: ChildProcess[] = [];

  after(async function () {
    for (const child of services) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("close", r));
        process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
    }
    await node?.stop();
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  });

  it("has commands to run, and starts from npm install and a local node", function () {
    expect(commands.length).to.be.greaterThan(10);
    expect(commands.map((c) => c.command)).to.include.members(["npm install", "npm run node"]);
  });

  it("runs every command with the output the README shows", async function () {
    const env: NodeJS.ProcessEnv = { ...node.env, PATH: `${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}` };
    const port = String(await freePort());
    const local = (text: string) => text.replaceAll("127.0.0.1:8080", `127.0.0.1:${port}`);
    for (const readme of commands) {
      const command = local(readme.command);
      const output = readme.output.map(local);
      if (command === "npm install" || command === "npm run node") continue;
      let result: { code: number; out: string[] };
      if (isService(command)) {
        const started = await background(`${command} --port ${port}`, cwd, env, output.length);
        services.push(started.child);
        result = { code: started.child.exitCode ?? 0, out: started.out };
      } else {
        result = await shell(command, cwd, env);
      }
      const refusal = output.some((line) => line.startsWith("error: "));
      const shown = `$ ${command}\n${result.out.join("\n")}`;
      expect(result.code, shown).to.equal(refusal ? 1 : 0);
      expect(result.out.length, `${shown}\n--- README shows ---\n${output.join("\n")}`).to.equal(output.length);
      output.forEach((line, i) => expect(matchesShown(line, result.out[i]), `${shown}\n--- README line ${i + 1} ---\n${line}`).to.equal(true));
    }
  });
});
