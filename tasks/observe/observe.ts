import { readFile } from "node:fs/promises";

import { keccak256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { POINTS, RESULTS, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { measuresFrom, parseMeasures, parsePoint, parseResult, subjectOf } from "../../sdk/quality.js";
import type { IQualityEngine } from "../../types/ethers-contracts/index.js";
import { progress } from "../lib/progress.js";
import { loadGraph, triggeredIn } from "../lib/quality.js";
import { type Deployed, type TaskResult, eventsNamed, openDeployment, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { batchForSubject, batchIdFromText } from "../lib/references.js";

interface Args {
  batch?: string;
  gtin?: string;
  point?: string;
  result?: string;
  measure?: string;
  evidence?: string;
  evidenceUri?: string;
  corrects?: string;
  file?: string;
  chunk?: string;
  from?: string;
  json: boolean;
}

type Observation = IQualityEngine.ObservationStruct;

const ZERO = `0x${"0".repeat(64)}`;

function parseCorrects(text: string | number | undefined, where: string): number {
  if (text === undefined || String(text).trim() === "") return 0;
  const t = String(text).trim();
  if (!/^\d+$/.test(t) || Number(t) === 0 || Number(t) >= 2 ** 32) {
    throw new UserError(`invalid ${where} "${t}": expected the seq (a positive integer) of the observation it corrects`);
  }
  return Number(t);
}

/** One JSONL line: `{"batch"|"gtin", "point", "result", "measure": {...}, "corrects", "evidenceHash", "evidenceUri"}`. */
function fromLine(line: string, n: number): Observation {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new UserError(`--file line ${n}: not JSON`);
  }
  try {
    const subject = subjectOf(json.batch as string | undefined, json.gtin === undefined ? undefined : String(json.gtin));
    const measures = measuresFrom((json.measure ?? {}) as Record<string, string | number>);
    const evidenceHash = (json.evidenceHash as string | undefined) ?? ZERO;
    if (!/^0x[0-9a-fA-F]{64}$/.test(evidenceHash)) throw new UserError(`invalid evidenceHash "${evidenceHash}"`);
    return {
      subject: subject.id,
      point: parsePoint(String(json.point ?? "")),
      result: parseResult(String(json.result ?? "normal")),
      temperature: measures.temperature,
      humidity: measures.humidity,
      corrects: parseCorrects(json.corrects as string | undefined, "corrects"),
      evidenceHash,
      evidenceUri: String(json.evidenceUri ?? ""),
    };
  } catch (error) {
    throw new UserError(`--file line ${n}: ${(error as Error).message}`);
  }
}

async function single(args: Args): Promise<Observation> {
  const subject = subjectOf(args.batch, args.gtin);
  if (args.point === undefined) throw new UserError("missing --point");
  const measures = parseMeasures(args.measure);
  let evidenceHash = ZERO;
  if (args.evidence !== undefined) {
    try {
      evidenceHash = keccak256(await readFile(args.evidence));
    } catch {
      throw new UserError(`invalid --evidence: cannot read ${args.evidence}`);
    }
  }
  return {
    subject: subject.id,
    point: parsePoint(args.point),
    result: parseResult(args.result ?? "normal"),
    temperature: measures.temperature,
    humidity: measures.humidity,
    corrects: parseCorrects(args.corrects, "--corrects"),
    evidenceHash,
    evidenceUri: args.evidenceUri ?? "",
  };
}

/**
 * Records one observation, or every line of a JSONL file in transactions of `--chunk`
 * (default 100). Reports each observation's id (`<subject>/<seq>`) and what the rules
 * did with it.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  let observations: Observation[];
  // Opened early only to look up a short id or a code without its lot; opened once either way.
  let deployed: Deployed | undefined;
  if (args.file !== undefined) {
    if (args.batch !== undefined || args.gtin !== undefined || args.point !== undefined) {
      throw new UserError("--file takes every field from its lines: drop --batch, --gtin and --point");
    }
    let text: string;
    try {
      text = await readFile(args.file, "utf8");
    } catch {
      throw new UserError(`invalid --file: cannot read ${args.file}`);
    }
    const lines = text.split("\n").map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l !== "");
    if (lines.length === 0) throw new UserError(`invalid --file: ${args.file} has no observations`);
    observations = lines.map(([line, n]) => fromLine(line, n));
  } else {
    // A short id or a code without its lot is looked up on the chain first.
    const lookup = args.batch !== undefined && args.batch.trim() !== "" && batchIdFromText("--batch", args.batch) === undefined;
    if (lookup) deployed = await openDeployment(hre);
    const batch = deployed === undefined ? args.batch : await batchForSubject(hre, deployed, args.batch);
    observations = [await single({ ...args, batch })];
  }
  const chunk = args.chunk === undefined ? 100 : Number(args.chunk);
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 500) throw new UserError(`invalid --chunk "${args.chunk}": 1…500`);

  deployed ??= await openDeployment(hre);
  const graph = await loadGraph(deployed);
  const signer = await resolveSigner(deployed.ethers, args.from);
  const quality = deployed.quality.connect(signer);
  const recorded: Record<string, string>[] = [];
  const triggered: Record<string, string>[] = [];
  const bar = progress("observing ", args.json || observations.length < 2);
  try {
    for (let i = 0; i < observations.length; i += chunk) {
      const part = observations.slice(i, i + chunk);
      const receipt = await send(part.length === 1 ? quality.observe(part[0]) : quality.observeMany(part));
      for (const e of eventsNamed(deployed.quality, receipt, "Observed")) {
        recorded.push({
          id: `${String(e.args.subject)}/${String(e.args.seq)}`,
          subject: String(e.args.subject),
          seq: String(e.args.seq),
          point: enumName(POINTS, e.args.point),
          result: enumName(RESULTS, e.args.result),
        });
      }
      triggered.push(...triggeredIn(deployed, graph, receipt));
      bar.update(Math.min(i + chunk, observations.length), observations.length);
    }
  } finally {
    bar.stop();
  }
  const human = [
    recorded.length === 1
      ? `observation ${recorded[0].id}: ${recorded[0].point} ${recorded[0].result}`
      : `${recorded.length} observations recorded`,
    ...triggered.map((t) => `  rule ${t.rule} fired on ${t.subject}/${t.seq}: ${t.action}${t.applied === "yes" ? "" : ` (${t.applied})`}`),
  ].join("\n");
  return { json: { observationIds: recorded.map((r) => r.id), observations: recorded, triggered }, human };
}

export default taskAction(run);
