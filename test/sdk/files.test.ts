import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { UnwritablePathError, checkWritable, makeDirectory, writeAtomically } from "../../sdk/files.js";

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(UnwritablePathError);
    return (error as Error).message;
  }
  throw new Error("not refused");
}

describe("sdk/files", function () {
  let dir: string;

  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "medstate-files-"));
  });

  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  describe("makeDirectory", function () {
    it("creates a directory and its missing parents, and accepts one that exists", async function () {
      const deep = path.join(dir, "a", "b", "c");
      await makeDirectory(deep);
      expect((await stat(deep)).isDirectory()).to.equal(true);
      await makeDirectory(deep);
    });

    it("fails at once under /proc, where Node's recursive mkdir spins for ever", async function () {
      const started = Date.now();
      expect(await refusal(makeDirectory("/proc/nope/deeper"))).to.equal("cannot create /proc/nope: no such directory");
      expect(Date.now() - started).to.be.below(5_000);
    });

    it("says so when a file stands where a directory must be", async function () {
      await writeFile(path.join(dir, "file"), "x");
      expect(await refusal(makeDirectory(path.join(dir, "file", "sub")))).to.equal(
        `cannot create ${path.join(dir, "file", "sub")}: a part of the path is a file, not a directory`,
      );
    });
  });

  describe("checkWritable", function () {
    it("accepts a new file in a new directory (creating the directory)", async function () {
      await checkWritable(path.join(dir, "out", "x.json"));
      expect((await stat(path.join(dir, "out"))).isDirectory()).to.equal(true);
    });

    it("refuses a directory, and a path through a file", async function () {
      expect(await refusal(checkWritable(dir))).to.equal(`cannot write ${dir}: it is a directory`);
      await writeFile(path.join(dir, "file"), "x");
      expect(await refusal(checkWritable(path.join(dir, "file", "x.json")))).to.equal(
        `cannot write ${path.join(dir, "file", "x.json")}: a part of the path is a file, not a directory`,
      );
    });
  });

  describe("writeAtomically", function () {
    it("writes into a directory it creates", async function () {
      const file = path.join(dir, "new", "x.txt");
      await writeAtomically(file, "hello");
      expect(await readFile(file, "utf8")).to.equal("hello");
    });
  });
});
