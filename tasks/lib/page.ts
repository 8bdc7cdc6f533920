/**
 * The verification page's build (`npm run build:web`), made by the gateway on its first
 * start when a clone has none yet, so that a newcomer's `npx hardhat gateway` serves the
 * page without a separate step.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

/** `web/dist` under `root`, built first if it has no index.html; undefined (with the reason) when it cannot be built. */
export async function ensurePage(root: string): Promise<{ dir: string; problem?: string }> {
  const dir = path.join(root, "web", "dist");
  if (existsSync(path.join(dir, "index.html"))) return { dir };
  const vite = path.join(root, "node_modules", "vite", "bin", "vite.js");
  if (!existsSync(vite)) return { dir, problem: "vite is not installed (run npm install)" };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vite, "build", "--config", path.join(root, "web", "vite.config.ts"), "--logLevel", "warn"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", (error) => resolve({ dir, problem: error.message }));
    child.once("close", (code) => {
      if (code === 0 && existsSync(path.join(dir, "index.html"))) resolve({ dir });
      else resolve({ dir, problem: `npm run build:web failed: ${output.trim().split("\n").pop() ?? `exit ${code}`}` });
    });
  });
}
