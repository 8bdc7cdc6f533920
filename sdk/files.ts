/**
 * Files the SDK writes so that a reader never sees half of one: unit dumps, proof
 * caches, replay checkpoints, snapshots.
 */
import { randomBytes } from "node:crypto";
import { access, constants, mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

/** A path that cannot be written: its message is one line naming the path and why. */
export class UnwritablePathError extends Error {
  override name = "UnwritablePathError";
}

function reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  const known: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOTDIR: "a part of the path is a file, not a directory",
    ENOENT: "no such directory",
    EEXIST: "exists and is not a directory",
    ENOSPC: "no space left on the device",
  };
  return (code !== undefined ? known[code] : undefined) ?? (error instanceof Error ? error.message.split("\n")[0] : String(error));
}

/**
 * Creates `dir` and its missing parents, one level at a time. (Node's
 * `mkdir(…, { recursive: true })` spins for ever under a pseudo file system such as
 * `/proc`, where a directory can neither be created nor be found: a path that cannot
 * be created must fail at once.)
 */
export async function makeDirectory(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      const found = await stat(current);
      if (!found.isDirectory()) throw new UnwritablePathError(`cannot create ${target}: ${current} is a file, not a directory`);
      break;
    } catch (error) {
      if (error instanceof UnwritablePathError) throw error;
      if ((error as { code?: string }).code !== "ENOENT") throw new UnwritablePathError(`cannot create ${target}: ${reason(error)}`);
      const parent = path.dirname(current);
      if (parent === current) throw new UnwritablePathError(`cannot create ${target}: no such file system`);
      missing.unshift(current);
      current = parent;
    }
  }
  for (const level of missing) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as { code?: string }).code === "EEXIST" && (await stat(level)).isDirectory()) continue;
      throw new UnwritablePathError(`cannot create ${level}: ${reason(error)}`);
    }
  }
}

/**
 * Checks, before any work, that `file` can be written: its directory exists or can be
 * created, is writable, and `file` itself is not a directory. Throws
 * {@link UnwritablePathError} with one line otherwise.
 */
export async function checkWritable(file: string): Promise<void> {
  const target = path.resolve(file);
  try {
    if ((await stat(target)).isDirectory()) throw new UnwritablePathError(`cannot write ${target}: it is a directory`);
  } catch (error) {
    if (error instanceof UnwritablePathError) throw error;
    if ((error as { code?: string }).code !== "ENOENT") throw new UnwritablePathError(`cannot write ${target}: ${reason(error)}`);
  }
  const dir = path.dirname(target);
  await makeDirectory(dir);
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new UnwritablePathError(`cannot write ${target}: ${reason(error)}`);
  }
}

/**
 * Writes `data` (text, bytes, or chunks of bytes) to `file` atomically: into a new
 * temporary file beside it, synced to disk, then renamed over it. On any failure the
 * temporary file is removed and `file` is left as it was.
 */
export async function writeAtomically(file: string, data: string | Uint8Array | Iterable<Uint8Array>): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await makeDirectory(dir);
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
