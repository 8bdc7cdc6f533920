/**
 * A real gateway for end-to-end tests: `npx hardhat gateway --network localhost --json`
 * in a child process against a {@link LocalNode}, on a free port, with its own data
 * directory; started when it prints where it listens, stopped with a signal.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { HARDHAT_CLI, type LocalNode, ROOT } from "./cli.js";

export interface GatewayOptions {
  /** The store's directory (default: a fresh temporary one, removed on stop). */
  data?: string;
  /** Peer gateways (`--peer`). */
  peers?: string[];
  /** `--rate-limit` (default 0: none, so that tests are not throttled unless they mean it). */
  rateLimit?: number;
  /** Extra arguments. */
  args?: string[];
}

export interface RunningGateway {
  url: string;
  data: string;
  /** What it printed when it started. */
  started: Record<string, unknown>;
  child: ChildProcess;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  /** Sends `signal` and waits for the exit; the data directory is removed unless it was given. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts a gateway against `node` and waits until it listens (or fails with its output). */
export async function startGateway(node: LocalNode, options: GatewayOptions = {}): Promise<RunningGateway> {
  const data = options.data ?? (await mkdtemp(path.join(tmpdir(), "medstate-gateway-")));
  const args = [HARDHAT_CLI, "gateway", "--network", "localhost", "--port", "0", "--data", data, "--json"];
  args.push("--rate-limit", String(options.rateLimit ?? 0));
  if (options.peers !== undefined && options.peers.length > 0) args.push("--peer", options.peers.join(","));
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, { cwd: ROOT, env: node.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start in 60 s: ${stdout}${stderr}`)), 60_000);
    const onData = () => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve(JSON.parse(line) as Record<string, unknown>);
    };
    child.stdout!.on("data", onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited ${code} before listening: ${stdout}${stderr}`));
    });
  });
  return {
    url: String(started.listening),
    data,
    started,
    child,
    output: () => ({ stdout, stderr }),
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      if (options.data === undefined) await rm(data, { recursive: true, force: true });
      return { ...result, stdout, stderr };
    },
  };
}
