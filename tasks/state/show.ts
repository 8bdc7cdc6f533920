import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ACTORS, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { subjectOf } from "../../sdk/quality.js";
import { loadGraph, productStateOf, stateName, subjectState } from "../lib/quality.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { batchForSubject } from "../lib/references.js";

interface Args {
  batch?: string;
  gtin?: string;
  json: boolean;
}

/** A batch's or product's collaborative state, effective state, recall and history of changes. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const subject = subjectOf(await batchForSubject(hre, deployed, args.batch), args.gtin);
  const { collaboration, ethers, record: deployment } = deployed;
  const graph = await loadGraph(deployed);
  const { state, effectiveState, record } = await subjectState(deployed, graph, subject);
  const times = new Map<number, string>();
  const history = [];
  for (const e of await collaboration.queryFilter(collaboration.filters.StateChanged(subject.id), Number(deployment.block))) {
    if (!times.has(e.blockNumber)) {
      times.set(e.blockNumber, isoDate((await ethers.provider.getBlock(e.blockNumber))?.timestamp ?? 0) ?? "");
    }
    history.push({
      at: times.get(e.blockNumber),
      from: stateName(graph, e.args.from),
      to: stateName(graph, e.args.to),
      by: enumName(ACTORS, e.args.by),
      party: String(e.args.party),
      actor: e.args.actor,
      reason: e.args.reason,
      tx: e.transactionHash,
    });
  }
  const reached = graph.filter((s) => (Number(record.reached) >> s.id) & 1).map((s) => s.name);
  const recall =
    record.recalls === 0n
      ? null
      : {
          recallId: await collaboration.recallIdOf(subject.id),
          level: record.recallLevel.toString(),
          openedAt: isoDate(record.recallOpenedAt),
          deadline: isoDate(record.recallDeadline),
        };
  const json: Record<string, unknown> = {
    subject: subject.id,
    kind: subject.kind,
    state,
    effectiveState,
    reached,
    observations: record.observations.toString(),
    recall,
    destructions: record.destructions.toString(),
    history,
  };
  if (subject.kind === "batch") {
    const batch = await deployed.batches.getBatch(subject.id);
    json.productState = await productStateOf(deployed, graph, batch.gtin);
    json.quarantined = batch.quarantined.toString();
    json.destroyed = batch.destroyed.toString();
  }
  const human = [
    `${subject.label}: ${state}${effectiveState === state ? "" : ` (effectively ${effectiveState})`}, ${json.observations} observations`,
    ...(recall === null ? [] : [`  recall ${recall.recallId}: level ${recall.level}, due ${recall.deadline}`]),
    ...history.map((h) => `  ${h.at} ${h.from} → ${h.to} by ${h.by} (party ${h.party})${h.reason === "" ? "" : `: ${h.reason}`}`),
  ].join("\n");
  return { json, human };
}

export default taskAction(run);
