import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { PARTY_STATUSES, PROPOSAL_KINDS, enumName } from "../../sdk/enums.js";
import { type TaskResult, eventsNamed, openDeployment, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  proposal?: string;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const proposalId = parseId("--proposal", args.proposal, 2n ** 256n - 1n);
  const { ethers, governor, registry } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(governor.connect(signer).vote(proposalId));
  const proposal = await governor.getProposal(proposalId);
  const [cast] = eventsNamed(governor, receipt, "VoteCast");
  const executed = eventsNamed(governor, receipt, "ProposalExecuted").length > 0;
  const json: Record<string, unknown> = {
    proposalId: proposalId.toString(),
    kind: enumName(PROPOSAL_KINDS, proposal.kind),
    partyVoting: String(cast.args.partyId),
    approvals: String(cast.args.approvals),
    threshold: proposal.threshold.toString(),
    regulatorRequired: proposal.regulatorRequired,
    regulatorApproved: proposal.regulatorApproved,
    executed,
  };
  let outcome = "";
  if (executed) {
    const [admitted] = eventsNamed(registry, receipt, "PartyAdmitted");
    const [changed] = eventsNamed(registry, receipt, "PartyStatusChanged");
    const [voter] = eventsNamed(registry, receipt, "VoterChanged");
    const subject = admitted ?? changed ?? voter;
    if (subject !== undefined) json.partyId = String(subject.args.partyId);
    if (admitted !== undefined) outcome = `: party ${String(admitted.args.partyId)} "${String(admitted.args.name)}" admitted`;
    else if (changed !== undefined) outcome = `: party ${String(changed.args.partyId)} is now ${enumName(PARTY_STATUSES, changed.args.status as bigint)}`;
    else outcome = ": executed";
  } else if (proposal.approvals >= proposal.threshold && proposal.regulatorRequired && !proposal.regulatorApproved) {
    outcome = " — waiting for a regulator's approval";
  }
  return {
    json,
    human: `proposal ${proposalId}: ${String(json.approvals)} approvals, needs ${String(json.threshold)}${outcome}`,
  };
}

export default taskAction(run);
