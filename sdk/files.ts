/**
 * Files the SDK writes so that a reader never sees half of one: unit dumps, proof
 * caches, replay checkpoints, snapshots.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Writes `data` (text, bytes, or chunks of bytes) to `file` atomically: into a new
 * temporary file beside it, synced to disk, then renamed over it. On any failure the
 * temporary file is removed and `file` is left as it was.
 */
export async function writeAtomically(file: string, data: string | Uint8Array | Iterable<Uint8Array>): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx");
    try {
      if (typeof data === "string" || data instanceof Uint8Array) await handle.writeFile(data);
      else for (const chunk of data) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
