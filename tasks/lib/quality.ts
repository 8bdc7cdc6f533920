/**
 * What the observation and state tasks share: the state graph with its names, a
 * subject's record, the rules that fired in a receipt, and one state change sent and
 * reported the same way by every `state` verb.
 */
import { type TransactionReceipt, toBeHex } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ACTORS, RULE_KINDS, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { type StateDefView, type Subject, graphFrom, stateIdOf, subjectOf } from "../../sdk/quality.js";
import type { Deployed } from "./runtime.js";
import { eventsNamed, openDeployment, required, resolveSigner, send } from "./runtime.js";
import { batchForSubject } from "./references.js";

/** The state graph, names decoded. */
export async function loadGraph(deployed: Deployed): Promise<StateDefView[]> {
  return graphFrom(await deployed.collaboration.stateGraph());
}

export function stateName(graph: StateDefView[], id: number | bigint): string {
  return graph[Number(id)]?.name ?? `state ${id}`;
}

/** A subject's own and effective state, by name; refuses an unknown subject in one line. */
export async function subjectState(
  deployed: Deployed,
  graph: StateDefView[],
  subject: Subject,
): Promise<{ state: string; effectiveState: string; record: Awaited<ReturnType<Deployed["collaboration"]["subjectRecord"]>> }> {
  const record = await deployed.collaboration.subjectRecord(subject.id);
  return { state: stateName(graph, record.state), effectiveState: stateName(graph, record.effectiveState), record };
}

/** The rules that fired in a receipt, and the state changes they made. */
export function triggeredIn(deployed: Deployed, graph: StateDefView[], receipt: TransactionReceipt): Record<string, string>[] {
  const changes = eventsNamed(deployed.collaboration, receipt, "StateChanged");
  return eventsNamed(deployed.quality, receipt, "RuleFired").map((fired) => {
    const subject = String(fired.args.subject);
    const changed = changes.find((c) => String(c.args.subject) === subject && enumName(ACTORS, c.args.by) === "rule");
    return {
      subject,
      seq: String(fired.args.seq),
      rule: enumName(RULE_KINDS, fired.args.kind),
      ruleContract: String(fired.args.rule),
      action: stateName(graph, fired.args.state),
      applied: changed === undefined ? "no (the subject was already there or beyond)" : "yes",
    };
  });
}

/** The options every `state` verb that changes a subject takes. */
export interface StateArgs {
  batch?: string;
  gtin?: string;
  reason?: string;
  from?: string;
  json: boolean;
}

/** The state of a batch's product, by name. */
export async function productStateOf(deployed: Deployed, graph: StateDefView[], gtin: bigint): Promise<string> {
  return stateName(graph, (await deployed.collaboration.subjectRecord(toBeHex(gtin, 32))).state);
}

/**
 * Moves the subject named by `--batch`/`--gtin` to the state `target` picks from the
 * graph (through {ICollaborationEngine-transition}) and reports `subject` and `state`.
 */
export async function changeState(
  hre: HardhatRuntimeEnvironment,
  args: StateArgs,
  target: (graph: StateDefView[]) => string,
): Promise<{ json: Record<string, string>; human: string }> {
  const reason = required("--reason", args.reason);
  const deployed = await openDeployment(hre);
  const subject = subjectOf(await batchForSubject(hre, deployed, args.batch), args.gtin);
  const graph = await loadGraph(deployed);
  const signer = await resolveSigner(deployed.ethers, args.from);
  await send(deployed.collaboration.connect(signer).transition(subject.id, stateIdOf(graph, target(graph)), reason));
  const { state, effectiveState } = await subjectState(deployed, graph, subject);
  return {
    json: { subject: subject.id, kind: subject.kind, state, effectiveState },
    human: `${subject.label}: ${state}${effectiveState === state ? "" : ` (effectively ${effectiveState})`} — ${reason}`,
  };
}

/** The batch a recall or destruction id belongs to, from its event. */
export async function batchOfEvent(
  deployed: Deployed,
  event: "RecallOpened" | "DestructionProposed",
  id: string,
  what: string,
): Promise<string> {
  const { collaboration, record } = deployed;
  const filter =
    event === "RecallOpened" ? collaboration.filters.RecallOpened(id) : collaboration.filters.DestructionProposed(id);
  const [found] = await collaboration.queryFilter(filter, Number(record.block));
  if (found === undefined) throw new UserError(`unknown ${what} ${id}`);
  return String(found.args.batchId);
}

