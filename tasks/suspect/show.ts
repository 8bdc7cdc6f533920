import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CASE_STATUSES, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { openDeployment, taskAction, type TaskResult } from "../lib/runtime.js";
import { caseJson, caseLine, readCase } from "../lib/suspect.js";
import { parseIdText, resolveId } from "../lib/references.js";

interface Args {
  case?: string;
  json: boolean;
}

/**
 * One suspect case: where it stands (status, quarantined quantity, notification
 * deadline and whether it is overdue), what opened it, and its history from the log.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const caseIdText = parseIdText("--case", args.case);
  const deployed = await openDeployment(hre);
  const caseId = await resolveId(deployed, "--case", caseIdText, "case");
  const { suspects, ethers, record } = deployed;
  const c = await readCase(deployed, caseId);
  const json: Record<string, unknown> = caseJson(caseId, c, await suspects.notificationOverdue(caseId));
  const from = Number(record.block);
  const [opened, changes, notices] = await Promise.all([
    suspects.queryFilter(suspects.filters.SuspectCaseOpened(caseId), from),
    suspects.queryFilter(suspects.filters.SuspectCaseStatusChanged(caseId), from),
    suspects.queryFilter(suspects.filters.SuspectNotified(caseId), from),
  ]);
  json.evidenceHash = opened[0]?.args.evidenceHash ?? null;
  json.reason = opened[0]?.args.reason ?? null;
  const entries = [
    ...opened.map((e) => ({ e, action: "opened", party: e.args.reporter, actor: e.args.actor, hash: e.args.evidenceHash })),
    ...changes.map((e) => ({ e, action: enumName(CASE_STATUSES, e.args.status), party: e.args.party, actor: e.args.actor, hash: e.args.evidenceHash })),
    ...notices.map((e) => ({ e, action: "notified", party: e.args.party, actor: e.args.actor, hash: e.args.noticeHash })),
  ].sort((a, b) => a.e.blockNumber - b.e.blockNumber || a.e.index - b.e.index);
  const times = new Map<number, string>();
  const history = [];
  for (const { e, action, party, actor, hash } of entries) {
    if (!times.has(e.blockNumber)) {
      times.set(e.blockNumber, isoDate((await ethers.provider.getBlock(e.blockNumber))?.timestamp ?? 0) ?? "");
    }
    history.push({ at: times.get(e.blockNumber), action, party: party.toString(), actor, hash, tx: e.transactionHash });
  }
  json.history = history;
  const human = [
    caseLine(caseJson(caseId, c, json.overdue === true)),
    ...(json.reason === null || json.reason === "" ? [] : [`  reason: ${String(json.reason)}`]),
    ...history.map((h) => `  ${h.at} ${h.action} by party ${h.party}`),
  ].join("\n");
  return { json, human };
}

export default taskAction(run);
