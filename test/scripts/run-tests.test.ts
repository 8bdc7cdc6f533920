import { expect } from "chai";

import { STEPS, type Status, type Step, commandLine, formatSeconds, lastLine, nextMoves, parseArguments, plan } from "../../scripts/run-tests.js";

const steps: Step[] = [
  { name: "build", command: ["b"], needs: [], after: [] },
  { name: "lint", command: ["l"], needs: [], after: [] },
  { name: "typecheck", command: ["t"], needs: ["build"], after: [] },
  { name: "e2e", command: ["e"], needs: ["build"], after: ["typecheck"] },
];

function statuses(entries: Record<string, Status>): Map<string, Status> {
  return new Map(Object.entries(entries));
}

describe("scripts/run-tests", function () {
  describe("STEPS", function () {
    it("builds once, first, and runs every later Hardhat step with --no-compile or after the build", function () {
      const build = STEPS.find((s) => s.name === "build");
      expect(build?.command).to.deep.equal(["hardhat", "build", "--quiet"]);
      for (const step of STEPS.filter((s) => s.command.includes("test:sol") || s.command.includes("test:mocha"))) {
        expect(step.command.slice(-2), step.name).to.deep.equal(["--", "--no-compile"]);
      }
      for (const step of STEPS.filter((s) => s.name.startsWith("test:") || s.name === "typecheck")) {
        expect(step.needs, step.name).to.include("build");
      }
    });

    it("packs the package only after the type check and the other end-to-end suites (npm pack rewrites the typechain sources)", function () {
      expect(STEPS.find((s) => s.name === "test:pack")?.after).to.deep.equal(["typecheck", "test:e2e"]);
      expect(STEPS.find((s) => s.name === "test:pack")?.command.slice(-2)).to.deep.equal(["--grep", "@pack"]);
      expect(STEPS.find((s) => s.name === "test:e2e")?.command.slice(-2)).to.deep.equal(["--grep-exclude", "@pack"]);
    });

    it("names only steps that exist as needs, and no step twice", function () {
      const names = STEPS.map((s) => s.name);
      expect(new Set(names).size).to.equal(names.length);
      for (const step of STEPS) {
        for (const need of [...step.needs, ...step.after]) expect(names, `${step.name} waits for ${need}`).to.include(need);
      }
    });
  });

  describe("nextMoves", function () {
    it("starts every step with no needs at once, in list order", function () {
      const status = statuses({ build: "waiting", lint: "waiting", typecheck: "waiting", e2e: "waiting" });
      expect(nextMoves(steps, status, Infinity)).to.deep.equal({ start: ["build", "lint"], skip: [] });
    });

    it("starts a step only when all of its needs have passed", function () {
      const status = statuses({ build: "running", lint: "running", typecheck: "waiting", e2e: "waiting" });
      expect(nextMoves(steps, status, Infinity)).to.deep.equal({ start: [], skip: [] });
      status.set("build", "passed");
      expect(nextMoves(steps, status, Infinity)).to.deep.equal({ start: ["typecheck"], skip: [] });
    });

    it("starts a step after another has ended, whether that one passed or failed", function () {
      const status = statuses({ build: "passed", lint: "running", typecheck: "running", e2e: "waiting" });
      expect(nextMoves(steps, status, Infinity)).to.deep.equal({ start: [], skip: [] });
      status.set("typecheck", "failed");
      expect(nextMoves(steps, status, Infinity)).to.deep.equal({ start: ["e2e"], skip: [] });
    });

    it("skips the steps that need a failed or skipped step, and nothing else", function () {
      const status = statuses({ build: "failed", lint: "waiting", typecheck: "waiting", e2e: "waiting" });
      expect(nextMoves(steps, status, Infinity)).to.deep.equal({ start: ["lint"], skip: ["typecheck", "e2e"] });
      const chained = plan(steps, { sequential: true });
      const after = statuses({ build: "passed", lint: "passed", typecheck: "skipped", e2e: "waiting" });
      expect(nextMoves(chained, after, Infinity)).to.deep.equal({ start: [], skip: ["e2e"] });
    });

    it("starts at most as many steps as there are free slots", function () {
      const status = statuses({ build: "waiting", lint: "waiting", typecheck: "waiting", e2e: "waiting" });
      expect(nextMoves(steps, status, 1)).to.deep.equal({ start: ["build"], skip: [] });
    });
  });

  describe("plan", function () {
    it("keeps every step and its needs by default", function () {
      expect(plan(steps, {})).to.deep.equal(steps);
    });

    it("chains the steps one after the other with --sequential, each needing the one before", function () {
      const chained = plan(steps, { sequential: true });
      expect(chained.map((s) => s.needs)).to.deep.equal([[], ["build"], ["lint"], ["typecheck"]]);
      expect(chained.map((s) => s.after)).to.deep.equal([[], [], [], []]);
    });

    it("runs only the named steps with --only, dropping what they wait for outside them", function () {
      expect(plan(steps, { only: ["lint", "e2e"] })).to.deep.equal([
        { name: "lint", command: ["l"], needs: [], after: [] },
        { name: "e2e", command: ["e"], needs: [], after: [] },
      ]);
      expect(plan(steps, { only: ["typecheck", "e2e"] })[1]).to.deep.equal({ name: "e2e", command: ["e"], needs: [], after: ["typecheck"] });
    });

    it("refuses an unknown step name, listing the known ones", function () {
      expect(() => plan(steps, { only: ["lint", "nope"] })).to.throw("unknown step nope (steps: build, lint, typecheck, e2e)");
    });
  });

  describe("parseArguments", function () {
    it("reads --sequential and --only in both spellings", function () {
      expect(parseArguments([])).to.deep.equal({ only: undefined, sequential: false });
      expect(parseArguments(["--sequential", "--only", "a,b"])).to.deep.equal({ only: ["a", "b"], sequential: true });
      expect(parseArguments(["--only=test:e2e"])).to.deep.equal({ only: ["test:e2e"], sequential: false });
    });

    it("refuses anything else, with the usage", function () {
      expect(() => parseArguments(["--fast"])).to.throw("unknown argument --fast (usage: run-tests.ts [--sequential] [--only step,step])");
    });
  });

  describe("commandLine", function () {
    it("runs a background step under nice where there is nice, and any other step as it is", function () {
      const step: Step = { name: "m", command: ["npm", "run", "x"], needs: [], after: [], background: true };
      expect(commandLine(step, "linux")).to.deep.equal(["nice", "-n", "10", "npm", "run", "x"]);
      expect(commandLine(step, "darwin")).to.deep.equal(["nice", "-n", "10", "npm", "run", "x"]);
      expect(commandLine(step, "win32")).to.deep.equal(["npm", "run", "x"]);
      expect(commandLine({ ...step, background: false }, "linux")).to.deep.equal(["npm", "run", "x"]);
    });

    it("gives the end-to-end suites and the type check before them the CPU first", function () {
      expect(STEPS.filter((s) => s.background === true).map((s) => s.name)).to.deep.equal(["test:mocha", "test:sol"]);
    });
  });

  describe("lastLine", function () {
    it("shows the last non-empty line across chunks, trimmed, shortened to the width", function () {
      expect(lastLine([Buffer.from("  ✔ one\n  ✔ tw"), Buffer.from("o (12ms)\n\n  ")])).to.equal("✔ two (12ms)");
      expect(lastLine([Buffer.from("abcdefghij\n")], 5)).to.equal("abcd…");
      expect(lastLine([])).to.equal("");
    });
  });

  describe("formatSeconds", function () {
    it("prints seconds to a tenth, and minutes from 60 s on", function () {
      expect(formatSeconds(0)).to.equal("0.0 s");
      expect(formatSeconds(12_345)).to.equal("12.3 s");
      expect(formatSeconds(59_949)).to.equal("59.9 s");
      expect(formatSeconds(59_960)).to.equal("1 min 00.0 s");
      expect(formatSeconds(60_000)).to.equal("1 min 00.0 s");
      expect(formatSeconds(184_520)).to.equal("3 min 04.5 s");
    });
  });
});
