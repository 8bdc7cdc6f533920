/** Builds the verification page (`npm run build:web`'s command) into web/dist, which the gateway serves. */
import { spawn } from "node:child_process";
import path from "node:path";

import { ROOT } from "../helpers/cli.js";

const VITE = path.join(ROOT, "node_modules", "vite", "bin", "vite.js");

/** Runs `vite build --config web/vite.config.ts`; rejects with Vite's output if it fails or warns. */
export function buildPage(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE, "build", "--config", "web/vite.config.ts", "--logLevel", "warn"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      const said = output.replace(/^\s*$/gm, "").trim();
      if (code === 0 && said === "") resolve();
      else reject(new Error(`vite build exited ${code}: ${said}`));
    });
  });
}
