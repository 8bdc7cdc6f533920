/**
 * End-to-end helpers: a real local node on 127.0.0.1 (free port) — `hardhat node` by
 * default, or anvil (Foundry's independent EVM engine) — and MedState tasks run against
 * it through Hardhat's CLI: in a fresh child process each, exactly as an operator runs
 * them (`cold`), or in one warm child process per node that runs each command through
 * the same CLI entry point (`task-worker.ts`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The EVM engines the end-to-end suites run against. */
export type Engine = "hardhat" | "anvil";

export interface LocalNodeOptions {
  /** `hardhat` (default): `hardhat node`; `anvil`: the anvil binary from npm `@foundry-rs/anvil`. */
  engine?: Engine;
  /**
   * `true`: every command is a fresh `hardhat` process, exactly as an operator types it
   * (the suites that prove the CLI surface and one lifecycle per engine). Otherwise
   * (default) commands go to one warm Hardhat process per node that runs each through
   * Hardhat's own CLI entry point (`test/helpers/task-worker.ts`): same parsing, output
   * and exit code, without paying Hardhat's start-up for every command.
   */
  cold?: boolean;
  /** Environment variables for every command (e.g. `MEDSTATE_FROM`); the runner's own `MEDSTATE_FROM` is never inherited. */
  env?: NodeJS.ProcessEnv;
}

export interface LocalNode {
  engine: Engine;
  url: string;
  /** Runs `npx hardhat <args> --network localhost` against this node. */
  run(...args: string[]): Promise<CliResult>;
  /** Runs a task with `--json` and parses stdout; fails the test on a non-zero exit. */
  json<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  /** JSON-RPC call against the node. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** The environment commands run with (the node's URL, its deployment directory): for commands run by other means. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const TASK_WORKER = path.join(ROOT, "test", "helpers", "task-worker.ts");

/** One warm Hardhat process that runs commands in turn (see `task-worker.ts`). */
interface TaskWorker {
  run(args: string[]): Promise<CliResult>;
  stop(): Promise<void>;
}

function startTaskWorker(env: NodeJS.ProcessEnv): TaskWorker {
  const child = spawn(process.execPath, ["--import", "tsx", TASK_WORKER], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  let childErr = "";
  child.stderr?.on("data", (d: Buffer) => (childErr += d.toString()));
  const pending = new Map<number, { resolve: (r: CliResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  child.on("message", (message: CliResult & { id: number }) => {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    waiting?.resolve({ code: message.code, stdout: message.stdout, stderr: message.stderr });
  });
  child.once("exit", (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`the task worker exited (${code}): ${childErr}`));
    pending.clear();
  });
  return {
    run(args) {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null || !child.connected) {
          reject(new Error(`the task worker is not running: ${childErr}`));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, args });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.disconnect();
      await exited;
    },
  };
}

function runProcess(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The block gas limit of `hardhat node` (EDR's default). With a base fee of 0, a
 * block using more than half of it would raise the base fee to 1 wei for good
 * (EIP-1559's minimum increase), so both engines get the same generous limit.
 */
const BLOCK_GAS_LIMIT = 60_000_000;

/**
 * The anvil binary of this platform, from the platform package that npm installed
 * beside `@foundry-rs/anvil` (its `bin.mjs` wrapper would be the PID we could not stop).
 */
export function anvilBinary(): string {
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
  if (arch === undefined) throw new Error(`anvil has no npm build for ${process.platform}-${process.arch}`);
  const executable = process.platform === "win32" ? "anvil.exe" : "anvil";
  const require = createRequire(path.join(ROOT, "package.json"));
  return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${executable}`);
}

/**
 * Anvil configured like the permissioned chain: the chain id and the 20 well-known
 * accounts (mnemonic "test … junk", 10,000 ether each) of `hardhat node`, Cancun
 * (the compiler's `evmVersion`), free gas (base fee 0, gas price 0), automine.
 */
export function anvilArguments(port: number): string[] {
  return [
    "--host", "127.0.0.1",
    "--port", String(port),
    "--accounts", "20",
    "--chain-id", "31337",
    "--hardfork", "cancun",
    "--base-fee", "0",
    "--gas-price", "0",
    // eth_gasPrice then answers 0 too, instead of a suggested 1 gwei tip.
    "--disable-min-priority-fee",
    "--gas-limit", String(BLOCK_GAS_LIMIT),
  ];
}

function spawnNode(engine: Engine, port: number, env: NodeJS.ProcessEnv): ChildProcess {
  if (engine === "anvil") {
    return spawn(anvilBinary(), anvilArguments(port), { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  }
  return spawn(
    process.execPath,
    [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] },
  );
}

/** Starts the engine's node (the process itself, not an npx wrapper) and waits until it answers. */
export async function startLocalNode(options: LocalNodeOptions = {}): Promise<LocalNode> {
  const engine = options.engine ?? "hardhat";
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ignitionDir = await mkdtemp(path.join(tmpdir(), "medstate-e2e-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MEDSTATE_RPC_URL: url,
    MEDSTATE_IGNITION_DIR: ignitionDir,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  delete env.MEDSTATE_FROM;
  Object.assign(env, options.env);
  const node = spawnNode(engine, port, env);
  let nodeErr = "";
  node.stderr?.on("data", (d: Buffer) => (nodeErr += d.toString()));

  let nextId = 1;
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await rpc("eth_chainId");
      break;
    } catch {
      if (node.exitCode !== null || Date.now() > deadline) {
        node.kill();
        throw new Error(`${engine === "anvil" ? "anvil" : "hardhat node"} did not start on ${url}: ${nodeErr}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const worker = options.cold === true ? undefined : startTaskWorker(env);
  const run = (...args: string[]) =>
    worker === undefined ? runProcess([...args, "--network", "localhost"], env) : worker.run([...args, "--network", "localhost"]);
  return {
    engine,
    url,
    env,
    run,
    rpc,
    async json<T>(...args: string[]): Promise<T> {
      const result = await run(...args, "--json");
      if (result.code !== 0) {
        throw new Error(`hardhat ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
      }
      return JSON.parse(result.stdout) as T;
    },
    async stop() {
      await worker?.stop();
      if (node.exitCode === null) {
        const exited = new Promise((r) => node.once("exit", r));
        node.kill("SIGTERM");
        await exited;
      }
      await rm(ignitionDir, { recursive: true, force: true });
    },
  };
}

/** A refusal: non-zero exit, nothing on stdout, exactly one line on stderr matching `pattern`. */
export function expectRefusal(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).to.not.equal(0);
  expect(result.stdout).to.equal("");
  const lines = result.stderr.trim().split("\n");
  expect(lines, result.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
}

/**
 * Runs a command that must be refused and checks that nothing changed: the node
 * mines every transaction at once (automine), so an unchanged block number means no
 * transaction was sent, and no state can have moved.
 */
export async function refusedWithoutChange(node: LocalNode, args: string[], pattern: RegExp): Promise<void> {
  const before = await node.rpc<string>("eth_blockNumber");
  expectRefusal(await node.run(...args), pattern);
  expect(await node.rpc<string>("eth_blockNumber")).to.equal(before);
}
