import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { executedOutcome, mirrorFailures, mirrorWarning, proposalStanding } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  proposal?: string;
  from?: string;
  json: boolean;
}

/**
 * Executes a proposal whose approvals already meet the threshold of the voter set in
 * force now (and have a regulator's, where it needs one): for when the threshold fell
 * after the last vote, because governance took voters out of the set. Signer: an admin of
 * an active voting party. Refused with GovernorNotApproved (approvals, the current
 * threshold) otherwise.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const proposalId = parseId("--proposal", args.proposal, 2n ** 256n - 1n);
  const deployed = await openDeployment(hre);
  const { ethers, governor, registry } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  // The threshold the proposal is measured against: read first, as an execution may change the voter set.
  const threshold = await governor.currentThreshold();
  const receipt = await send(governor.connect(signer).execute(proposalId));
  const standing = await proposalStanding(governor, proposalId, threshold);
  const done = executedOutcome(deployed, receipt);
  const failed = mirrorFailures(registry, receipt);
  return {
    json: {
      proposalId: proposalId.toString(),
      kind: standing.kind,
      approvals: standing.approvals.toString(),
      threshold: standing.threshold.toString(),
      thresholdAtCreation: standing.thresholdAtCreation.toString(),
      regulatorRequired: standing.regulatorRequired,
      regulatorApproved: standing.regulatorApproved,
      executed: true,
      ...done.json,
      outcome: done.text,
      ...(failed.length > 0 ? { mirrorPushFailed: failed } : {}),
    },
    human:
      `proposal ${proposalId} (${standing.kind}) executed with ${standing.approvals} approvals, the ${standing.threshold} ` +
      `the voter set requires now (${standing.thresholdAtCreation} when proposed): ${done.text}${mirrorWarning(failed)}`,
  };
}

export default taskAction(run);
