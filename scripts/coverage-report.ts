/**
 * The coverage table of `npm run coverage`: lines, statements and branches per production
 * contract (everything under contracts/ but the mocks and the interfaces), from the data
 * `hardhat test --coverage` leaves in coverage/.
 *
 * - Lines are Hardhat's own (coverage/lcov.info).
 * - Statements and branches come from Hardhat's hit counts (coverage/data/…/*.json, one
 *   count per statement tag). A statement's tag is what EDR's instrumentation gives it —
 *   deterministic for a source name and its text — so instrumenting the same sources
 *   again names every statement; the compiler's AST (solc, parsing only) says which
 *   statements open which arm of a branch.
 * - A branch is an arm of an `if` (then, else — explicit or not) or a `try` clause. An
 *   arm is covered when its first statement ran; the implicit `else` of an `if` without
 *   one, when the `if` ran more often than its `then` arm. (Ternaries `a ? b : c` have no
 *   statements of their own and are not counted.)
 *
 * `--check`: exits 1 when a contract is under the goals (≥ 95 % of lines, ≥ 90 % of
 * branches). Writes coverage/summary.json.
 */
import { readFile, readdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

import { addStatementCoverageInstrumentation } from "@nomicfoundation/edr";

/** The npm `solc` package (the compiler hardhat.config.ts uses): its standard-JSON entry point. */
const solc = createRequire(import.meta.url)("solc") as {
  compile(input: string, callbacks: { import: (path: string) => { contents: string } }): string;
};

const ROOT = path.resolve(import.meta.dirname, "..");
const COVERAGE = path.join(ROOT, "coverage");
const GOALS = { lines: 95, branches: 90 };
// The compiler every job uses (hardhat.config.ts): the instrumentation must match it.
const SOLC_VERSION = JSON.parse(await readFile(path.join(ROOT, "node_modules", "solc", "package.json"), "utf8")).version as string;

interface AstNode {
  nodeType: string;
  src: string;
  [key: string]: unknown;
}

interface Statement {
  start: number;
  end: number;
  hits: number;
}

interface Tally {
  found: number;
  hit: number;
}

interface FileCoverage {
  file: string;
  lines: Tally;
  statements: Tally;
  branches: Tally;
  uncoveredBranches: string[];
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : Promise.resolve([path.join(dir, e.name)]))),
  );
  return nested.flat();
}

/** Production sources: contracts/, without mocks and interfaces (they hold no statements). */
async function productionSources(): Promise<string[]> {
  const all = await filesUnder(path.join(ROOT, "contracts"));
  return all
    .map((f) => path.relative(ROOT, f).split(path.sep).join("/"))
    .filter((f) => f.endsWith(".sol") && !f.startsWith("contracts/mocks/") && !f.startsWith("contracts/interfaces/"))
    .sort();
}

/** Every hit count the test runs saved, summed over runners and workers. */
async function hitCounts(): Promise<Map<string, number>> {
  const hits = new Map<string, number>();
  const files = (await filesUnder(path.join(COVERAGE, "data"))).filter((f) => f.endsWith(".json"));
  if (files.length === 0) throw new Error("no coverage data in coverage/data: run `hardhat test --coverage` first");
  for (const file of files) {
    const counts = JSON.parse(await readFile(file, "utf8")) as Record<string, number>;
    for (const [tag, count] of Object.entries(counts)) hits.set(tag, (hits.get(tag) ?? 0) + count);
  }
  return hits;
}

/** Hardhat's line coverage per source (lcov.info's LF/LH). */
async function lineCoverage(): Promise<Map<string, Tally>> {
  const lines = new Map<string, Tally>();
  let current = "";
  for (const line of (await readFile(path.join(COVERAGE, "lcov.info"), "utf8")).split("\n")) {
    if (line.startsWith("SF:")) current = line.slice(3).replace(/^project\//, "");
    else if (line.startsWith("LF:")) lines.set(current, { found: Number(line.slice(3)), hit: lines.get(current)?.hit ?? 0 });
    else if (line.startsWith("LH:")) lines.set(current, { found: lines.get(current)?.found ?? 0, hit: Number(line.slice(3)) });
  }
  return lines;
}

/**
 * The AST of a source as it is now, parsed alone (solc stops after parsing, so imports
 * need no content): the build's own outputs may be the instrumented sources of the
 * coverage run.
 */
function parse(file: string, text: string): AstNode {
  const name = `project/${file}`;
  const input = {
    language: "Solidity",
    sources: { [name]: { content: text } },
    settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: () => ({ contents: "" }) })) as {
    sources?: Record<string, { ast: AstNode }>;
    errors?: { severity: string; formattedMessage: string }[];
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0 || output.sources?.[name] === undefined) {
    throw new Error(`cannot parse ${file}: ${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  return output.sources[name].ast;
}

/** UTF-8 byte offset → UTF-16 offset (the AST counts bytes; the instrumentation, UTF-16 units). */
function utf16Offsets(text: string): (byte: number) => number {
  const map: number[] = [];
  let unit = 0;
  for (const char of text) {
    const bytes = Buffer.byteLength(char, "utf8");
    for (let b = 0; b < bytes; b++) map.push(unit);
    unit += char.length;
  }
  map.push(unit);
  return (byte) => map[byte];
}

function* walk(node: unknown): Generator<AstNode> {
  if (Array.isArray(node)) {
    for (const child of node) yield* walk(child);
  } else if (node !== null && typeof node === "object") {
    const n = node as AstNode;
    if (typeof n.nodeType === "string") yield n;
    for (const value of Object.values(n)) if (value !== null && typeof value === "object") yield* walk(value);
  }
}

function coverFile(file: string, text: string, ast: AstNode, hits: Map<string, number>, lines: Tally | undefined): FileCoverage {
  const { metadata } = addStatementCoverageInstrumentation(text, `project/${file}`, SOLC_VERSION);
  const statements: Statement[] = metadata.map((m) => ({
    start: m.startUtf16,
    end: m.endUtf16,
    hits: hits.get(Buffer.from(m.tag).toString("hex")) ?? 0,
  }));
  const toUtf16 = utf16Offsets(text);
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  const span = (node: AstNode) => {
    const [start, length] = node.src.split(":").map(Number);
    return { start: toUtf16(start), end: toUtf16(start + length) };
  };
  /**
   * Hits of `node`'s own probe. A probe's range runs from the end of what precedes the
   * statement (its indentation included) to the end of its line: the probe for `node` is
   * the innermost one that starts at or before it and ends after it with nothing but
   * a semicolon and white space in between.
   */
  const hitsAt = (node: AstNode): number | undefined => {
    const { start, end } = span(node);
    let best: Statement | undefined;
    for (const s of statements) {
      // (The compiler's range of a simple statement stops before its semicolon.)
      if (s.start > start || s.end < end || !/^[;\s]*$/.test(text.slice(end, s.end))) continue;
      if (best === undefined || s.start > best.start) best = s;
    }
    return best?.hits;
  };
  /** Hits of an arm: its first statement (a block's first), or undefined if it has none. */
  const armHits = (body: AstNode | null | undefined): number | undefined => {
    if (body === null || body === undefined) return undefined;
    if (body.nodeType === "Block" || body.nodeType === "UncheckedBlock") {
      const first = (body.statements as AstNode[])[0];
      return first === undefined ? undefined : armHits(first);
    }
    return hitsAt(body);
  };

  const branches: Tally = { found: 0, hit: 0 };
  const uncoveredBranches: string[] = [];
  const arm = (node: AstNode, label: string, count: number | undefined) => {
    if (count === undefined) return;
    branches.found++;
    if (count > 0) branches.hit++;
    else uncoveredBranches.push(`${file}:${lineOf(span(node).start)} ${label}`);
  };
  for (const node of walk(ast)) {
    if (node.nodeType === "IfStatement") {
      const condition = hitsAt(node) ?? 0;
      const thenHits = armHits(node.trueBody as AstNode);
      arm(node, "if: then", thenHits);
      const falseBody = node.falseBody as AstNode | null;
      if (falseBody !== null && falseBody !== undefined) arm(node, "if: else", armHits(falseBody));
      else if (thenHits !== undefined) arm(node, "if: not taken", condition - thenHits);
    } else if (node.nodeType === "TryStatement") {
      for (const clause of node.clauses as AstNode[]) {
        const name = String(clause.errorName ?? "");
        arm(node, clause === (node.clauses as AstNode[])[0] ? "try: success" : `try: catch ${name}`.trim(), armHits(clause.block as AstNode));
      }
    }
  }
  return {
    file,
    lines: lines ?? { found: 0, hit: 0 },
    statements: { found: statements.length, hit: statements.filter((s) => s.hits > 0).length },
    branches,
    uncoveredBranches,
  };
}

const percent = (t: Tally) => (t.found === 0 ? 100 : (100 * t.hit) / t.found);
const cell = (t: Tally) => `${percent(t).toFixed(1).padStart(5)} % (${t.hit}/${t.found})`;

const sources = await productionSources();
const [hits, lines] = await Promise.all([hitCounts(), lineCoverage()]);
const results: FileCoverage[] = [];
for (const file of sources) {
  const text = await readFile(path.join(ROOT, file), "utf8");
  results.push(coverFile(file, text, parse(file, text), hits, lines.get(file)));
}
const total = (key: "lines" | "statements" | "branches"): Tally =>
  results.reduce((sum, r) => ({ found: sum.found + r[key].found, hit: sum.hit + r[key].hit }), { found: 0, hit: 0 });

const width = Math.max(...results.map((r) => r.file.length), 8);
console.log(`${"contract".padEnd(width)}  ${"lines".padEnd(20)}  ${"statements".padEnd(20)}  branches`);
for (const r of results) {
  const below = percent(r.lines) < GOALS.lines || percent(r.branches) < GOALS.branches ? "  ✗ under the goals" : "";
  console.log(`${r.file.padEnd(width)}  ${cell(r.lines).padEnd(20)}  ${cell(r.statements).padEnd(20)}  ${cell(r.branches)}${below}`);
}
console.log(`${"total".padEnd(width)}  ${cell(total("lines")).padEnd(20)}  ${cell(total("statements")).padEnd(20)}  ${cell(total("branches"))}`);
const uncovered = results.flatMap((r) => r.uncoveredBranches);
if (uncovered.length > 0) console.log(`\nbranch arms never taken (${uncovered.length}):\n${uncovered.map((u) => `  ${u}`).join("\n")}`);

await writeFile(
  path.join(COVERAGE, "summary.json"),
  `${JSON.stringify({ goals: GOALS, contracts: results, total: { lines: total("lines"), statements: total("statements"), branches: total("branches") } }, null, 2)}\n`,
);
const failing = results.filter((r) => percent(r.lines) < GOALS.lines || percent(r.branches) < GOALS.branches);
if (process.argv.includes("--check") && failing.length > 0) {
  console.error(`error: under the goals (lines ≥ ${GOALS.lines} %, branches ≥ ${GOALS.branches} %): ${failing.map((r) => r.file).join(", ")}`);
  process.exitCode = 1;
}
