import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CASE_STATUSES, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { evidenceHashOf } from "../lib/evidence.js";
import { eventsNamed, openDeployment, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { type CaseArgs } from "../lib/suspect.js";
import { parseIdText, resolveId } from "../lib/references.js";

interface Args extends CaseArgs {
  notice?: string;
}

/**
 * Records that the regulator and trading partners were notified of an illegitimate
 * finding (once; by the reporter or the product's holder): on time, or late after the
 * 24-hour deadline.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const caseIdText = parseIdText("--case", args.case);
  const noticeHash = await evidenceHashOf("--notice", args.notice);
  const deployed = await openDeployment(hre);
  const caseId = await resolveId(deployed, "--case", caseIdText, "case");
  const receipt = await sendAs(deployed, "suspects", args.from, (s) => s.notifyIllegitimate(caseId, noticeHash));
  const [notified] = eventsNamed(deployed.suspects, receipt, "SuspectNotified");
  const status = enumName(CASE_STATUSES, (await deployed.suspects.suspectCase(caseId)).status);
  const late = notified.args.notifiedAt > notified.args.notifyBy;
  const json = {
    caseId,
    batchId: String(notified.args.batchId),
    status,
    party: String(notified.args.party),
    notifiedAt: isoDate(notified.args.notifiedAt),
    notifyBy: isoDate(notified.args.notifyBy),
    late,
    noticeHash,
  };
  return {
    json,
    human: `case ${caseId} (batch ${json.batchId}): party ${json.party} notified at ${json.notifiedAt}${late ? `, LATE (due ${json.notifyBy})` : ", on time"}`,
  };
}

export default taskAction(run);
