/**
 * A warm Hardhat CLI for the end-to-end suites: one long-lived process that loads
 * Hardhat, the config and the tasks once, then runs each command it is sent through
 * Hardhat's own CLI entry point (`main`, the function `npx hardhat` calls), with the
 * argument parsing, task actions, error decoding, stdout, stderr and exit code of a
 * fresh process. What it saves is the 3–10 s a fresh Node process spends loading them.
 *
 * Protocol (Node IPC): the parent sends `{ id, args }`; the worker answers
 * `{ id, code, stdout, stderr }`. Commands run one at a time.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

interface Request {
  id: number;
  args: string[];
}

// As Hardhat's own `cli.js` does before loading `main`.
process.setSourceMapsEnabled(true);
const HARDHAT = path.join(process.cwd(), "node_modules", "hardhat", "dist", "src", "internal");
// Internal modules by file URL: the same instances `main` uses (not in hardhat's `exports`).
const { main } = (await import(pathToFileURL(path.join(HARDHAT, "cli", "main.js")).href)) as {
  main(args: string[], options: { registerTsx?: boolean }): Promise<void>;
};
const { resetGlobalHardhatRuntimeEnvironment } = (await import(
  pathToFileURL(path.join(HARDHAT, "global-hre-instance.js")).href
)) as { resetGlobalHardhatRuntimeEnvironment(): void };

const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);

/** Removes the listeners `main` added for `event` after the first command: it adds a set on every call. */
function keepFirstListeners(event: "uncaughtException" | "unhandledRejection", before: Function[]): void {
  if (before.length === 0) return;
  for (const listener of process.listeners(event as "uncaughtException")) {
    if (!before.includes(listener)) process.off(event as "uncaughtException", listener);
  }
}

async function runCommand(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const capture = (append: (s: string) => void) =>
    ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  const uncaught = process.listeners("uncaughtException");
  const unhandled = process.listeners("unhandledRejection");
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  process.exitCode = 0;
  try {
    // The worker runs under tsx already (it loads hardhat.config.ts and the tasks); they
    // stay in Node's module cache from one command to the next.
    await main(args, { registerTsx: false });
  } catch (error) {
    stderr += `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
    process.exitCode = 1;
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    resetGlobalHardhatRuntimeEnvironment();
    keepFirstListeners("uncaughtException", uncaught);
    keepFirstListeners("unhandledRejection", unhandled);
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout, stderr };
}

let queue = Promise.resolve();
process.on("message", (message: Request) => {
  queue = queue.then(async () => {
    const result = await runCommand(message.args);
    process.send?.({ id: message.id, ...result });
  });
});
process.on("disconnect", () => process.exit(0));
