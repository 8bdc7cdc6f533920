import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UNIT_VERDICTS, enumName } from "../../sdk/enums.js";
import { subjectFromId } from "../../sdk/quality.js";
import { unitStatus } from "../../sdk/verdicts.js";
import { loadGraph, subjectState } from "../lib/quality.js";
import { UserError } from "../../sdk/errors.js";
import { type TaskResult, openDeployment, required, resolveSigner, taskAction } from "../lib/runtime.js";
import { locateUnit } from "../lib/supply.js";
import { reportUnknownCodes, reportedJson, reportedLine, unknownCodeOf } from "../lib/unknown-codes.js";

interface Args {
  code?: string;
  batch?: string;
  /** With --report: who reports an unknown code. */
  from?: string;
  /** Report an unknown code on chain (the only case in which verify writes). */
  report?: boolean;
  json: boolean;
}

/**
 * Checks one box: is the code genuine (in a batch's committed units), and what has
 * happened to it. A batch that is stopped, recalled or destroyed says so before anything
 * the unit itself went through (a patient holding a dispensed box of a recalled batch
 * must hear "recalled"); a suspect unit stays suspect. A query: it exits 0 whatever it
 * finds, and changes nothing unless `--report` is given: then a code no batch holds is
 * reported on chain as an unknown code (signed by `--from`), for the regulator and the
 * product's holder, and the output carries the report's number.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const code = required("--code", args.code);
  if (args.report === true && (args.from ?? process.env.MEDSTATE_FROM ?? "").trim() === "") {
    throw new UserError("--report writes to the chain: say who reports with --from (or set MEDSTATE_FROM)");
  }
  const deployed = await openDeployment(hre);
  const unit = await locateUnit(hre, deployed, code, args.batch);
  if (unit === undefined && args.report === true) {
    const signer = await resolveSigner(deployed.ethers, args.from);
    const {
      reports: [reported],
    } = await reportUnknownCodes(deployed, signer, [await unknownCodeOf(deployed, code)]);
    return { json: { ...reportedJson(reported), batchId: null, effectiveState: null }, human: reportedLine(reported) };
  }
  if (unit === undefined) {
    return {
      json: { status: "unknown", code, batchId: null, effectiveState: null },
      human: `${code}: unknown — no batch on this chain holds this code (not reported: \`--report --from …\` reports it)`,
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
  const status = unitStatus(name, halting);
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
