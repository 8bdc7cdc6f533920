/**
 * The verification page's build (`npm run build:web`), made by the gateway on its first
 * start when a clone has none yet, so that a newcomer's `npx hardhat gateway` serves the
 * page without a separate step. Built aside and moved into place in one rename, so that
 * gateways started together never serve, or build over, each other's half-written files.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * `npm run build:web`'s build of the page under `root` into `outDir`, with Vite's output.
 * Each build writes its own directory: Vite's one-build-per-project lock is not needed.
 */
export function viteBuild(root: string, outDir: string): Promise<{ code: number | null; output: string }> {
  const vite = path.join(root, "node_modules", "vite", "bin", "vite.js");
  const config = path.join(root, "web", "vite.config.ts");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vite, "build", "--config", config, "--outDir", outDir, "--emptyOutDir", "--bypass-lock", "--logLevel", "warn"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", (error) => resolve({ code: null, output: error.message }));
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** `web/dist` under `root`, built first if it has no index.html; undefined (with the reason) when it cannot be built. */
export async function ensurePage(root: string): Promise<{ dir: string; problem?: string }> {
  const dir = path.join(root, "web", "dist");
  if (existsSync(path.join(dir, "index.html"))) return { dir };
  if (!existsSync(path.join(root, "node_modules", "vite", "bin", "vite.js"))) return { dir, problem: "vite is not installed (run npm install)" };
  const aside = `${dir}.building-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const built = await viteBuild(root, aside);
  try {
    if (built.code !== 0 || !existsSync(path.join(aside, "index.html"))) {
      const said = built.output.trim().split("\n").find((line) => /error/i.test(line)) ?? built.output.trim().split("\n")[0];
      return { dir, problem: `npm run build:web failed: ${said ?? `exit ${built.code}`}` };
    }
    try {
      await rename(aside, dir);
    } catch (error) {
      // Another gateway (or `npm run build:web`) put a build there first: that one is served.
      if (!existsSync(path.join(dir, "index.html"))) throw error;
    }
    return { dir };
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}
