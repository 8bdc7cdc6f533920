/** Builds the verification page (`npm run build:web`'s build) into web/dist, which the gateway serves. */
import path from "node:path";

import { viteBuild } from "../../tasks/lib/page.js";
import { ROOT } from "../helpers/cli.js";

/** Builds the page; rejects with Vite's output if it fails or warns. */
export async function buildPage(): Promise<void> {
  const { code, output } = await viteBuild(ROOT, path.join(ROOT, "web", "dist"));
  const said = output.replace(/^\s*$/gm, "").trim();
  if (code !== 0 || said !== "") throw new Error(`vite build exited ${code}: ${said}`);
}
