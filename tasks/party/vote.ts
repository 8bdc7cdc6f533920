import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Domain } from "../../sdk/enums.js";
import {
  approvalsInForce,
  approvalsText,
  executedOutcome,
  mirrorFailures,
  mirrorWarning,
  proposalStanding,
  standingJson,
} from "../lib/governance.js";
import { type TaskResult, eventsNamed, openDeployment, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  proposal?: string;
  from?: string;
  json: boolean;
}

/**
 * Approves a proposal for the signer's party (an admin of an active voting party). The
 * approval that meets the threshold executes it: the threshold of the voter set in force
 * now (`currentThreshold`), which may differ from the one the proposal was created with,
 * met by the approvals in force (`approvalsInForce`: those of parties still in that set).
 * Where they differ from the approvals cast, both are shown (`approvalsInForce`,
 * `regulatorApprovedInForce`).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const proposalId = parseId("--proposal", args.proposal, 2n ** 256n - 1n);
  const deployed = await openDeployment(hre);
  const { ethers, governor, registry } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  // What the proposal is measured against: read first, as an execution may change the voter set.
  const threshold = await governor.currentThreshold();
  const before = await approvalsInForce(governor, proposalId);
  const receipt = await send(governor.connect(signer).vote(proposalId));
  const [cast] = eventsNamed(governor, receipt, "VoteCast");
  const executed = eventsNamed(governor, receipt, "ProposalExecuted").length > 0;
  // The vote's own approval is in force: only an active voter's party may vote.
  const partyVoting = cast.args.partyId as bigint;
  const byRegulator = (await registry.getParty(partyVoting)).domain === BigInt(Domain.Regulator);
  const standing = await proposalStanding(governor, proposalId, threshold, {
    approvals: before.approvals + 1n,
    regulatorApproved: before.regulatorApproved || byRegulator,
  });
  const json: Record<string, unknown> = {
    proposalId: proposalId.toString(),
    kind: standing.kind,
    partyVoting: partyVoting.toString(),
    approvals: String(cast.args.approvals),
    ...standingJson(standing),
    executed,
  };
  let outcome = "";
  if (executed) {
    const done = executedOutcome(deployed, receipt);
    Object.assign(json, done.json, { outcome: done.text });
    outcome = `: ${done.text}`;
    const failed = mirrorFailures(registry, receipt);
    if (failed.length > 0) json.mirrorPushFailed = failed;
    outcome += mirrorWarning(failed);
  } else {
    outcome = ` — ${standing.lacking}`;
  }
  const creation = standing.thresholdAtCreation === standing.threshold ? "" : ` (${standing.thresholdAtCreation} when proposed)`;
  return {
    json,
    human: `proposal ${proposalId}: ${approvalsText(standing)}, needs ${standing.threshold} now${creation}${outcome}`,
  };
}

export default taskAction(run);
