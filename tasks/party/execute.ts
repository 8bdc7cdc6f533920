import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import {
  approvalsInForce,
  executedOutcome,
  mirrorFailures,
  mirrorWarning,
  proposalStanding,
  standingJson,
} from "../lib/governance.js";
import { type TaskResult, openDeployment, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  proposal?: string;
  from?: string;
  json: boolean;
}

/**
 * Executes a proposal whose approvals in force (those of parties still in the voter set)
 * already meet the threshold of the voter set in force now (and include a regulator's,
 * where it needs one): for when the threshold fell after the last vote, because governance
 * took voters out of the set. Signer: an admin of an active voting party. Refused with
 * GovernorNotApproved (approvals in force, the current threshold) otherwise.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const proposalId = parseId("--proposal", args.proposal, 2n ** 256n - 1n);
  const deployed = await openDeployment(hre);
  const { ethers, governor, registry } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  // What the proposal is measured against: read first, as an execution may change the voter set.
  const threshold = await governor.currentThreshold();
  const inForce = await approvalsInForce(governor, proposalId);
  const receipt = await send(governor.connect(signer).execute(proposalId));
  const standing = await proposalStanding(governor, proposalId, threshold, inForce);
  const done = executedOutcome(deployed, receipt);
  const failed = mirrorFailures(registry, receipt);
  const counted =
    standing.approvalsInForce === standing.approvals
      ? `${standing.approvals} approvals`
      : `${standing.approvalsInForce} approvals in force (${standing.approvals} cast)`;
  return {
    json: {
      proposalId: proposalId.toString(),
      kind: standing.kind,
      approvals: standing.approvals.toString(),
      ...standingJson(standing),
      executed: true,
      ...done.json,
      outcome: done.text,
      ...(failed.length > 0 ? { mirrorPushFailed: failed } : {}),
    },
    human:
      `proposal ${proposalId} (${standing.kind}) executed with ${counted}, the ${standing.threshold} ` +
      `the voter set requires now (${standing.thresholdAtCreation} when proposed): ${done.text}${mirrorWarning(failed)}`,
  };
}

export default taskAction(run);
