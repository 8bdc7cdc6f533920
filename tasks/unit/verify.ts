import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UNIT_VERDICTS, enumName } from "../../sdk/enums.js";
import { subjectFromId, verifyStatusOf } from "../../sdk/quality.js";
import { loadGraph, subjectState } from "../lib/quality.js";
import { type TaskResult, openDeployment, required, taskAction } from "../lib/runtime.js";
import { locateUnit } from "../lib/supply.js";

interface Args {
  code?: string;
  batch?: string;
  json: boolean;
}

/** CLI status of a verdict: a stolen unit presented again is a suspect one. */
export function statusOf(verdict: string): string {
  return verdict === "stolen" ? "suspect" : verdict;
}

/**
 * Checks one box: is the code genuine (in a batch's committed units), and what has
 * happened to it. A batch that is stopped, recalled or destroyed says so before anything
 * the unit itself went through (a patient holding a dispensed box of a recalled batch
 * must hear "recalled"); a suspect unit stays suspect. A query: it changes nothing and
 * exits 0 whatever it finds.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const code = required("--code", args.code);
  const deployed = await openDeployment(hre);
  const unit = await locateUnit(hre, deployed, code, args.batch);
  if (unit === undefined) {
    return {
      json: { status: "unknown", code, batchId: null, effectiveState: null },
      human: `${code}: unknown — no batch on this chain holds this code`,
    };
  }
  const [verdict, party] = await deployed.batches.verify({
    batchId: unit.batchId,
    index: unit.index,
    unitHash: unit.unitHash,
    proof: unit.proof,
  });
  const name = enumName(UNIT_VERDICTS, verdict);
  const graph = await loadGraph(deployed);
  const { effectiveState, record } = await subjectState(deployed, graph, subjectFromId(unit.batchId));
  const halting = graph[Number(record.effectiveState)];
  const status = name !== "stolen" && halting.halts ? verifyStatusOf(halting) : statusOf(name);
  const by = party === 0n ? "" : ` by party ${party}`;
  return {
    json: {
      status,
      verdict: name,
      code: unit.canonical,
      batchId: unit.batchId,
      index: unit.index.toString(),
      party: party === 0n ? null : party.toString(),
      effectiveState,
    },
    human: `${unit.canonical}: ${status}${name === status ? "" : ` (${name})`}${by} — batch ${unit.batchId} (${effectiveState}), unit ${unit.index}`,
  };
}

export default taskAction(run);
