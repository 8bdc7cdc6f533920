/**
 * `voter add` and `voter remove`: a SetVoter proposal, checked first as the registry will
 * check it at execution (`checkVoterChange`), so that a change that could never execute is
 * refused at once with its decoded error and nothing sent.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { proposalCreated } from "./governance.js";
import { partyLabel, partyNames, resolveParty } from "./parties.js";
import { type TaskResult, openDeployment, required, resolveSigner, send } from "./runtime.js";

export interface VoterArgs {
  party?: string;
  from?: string;
  json: boolean;
}

/**
 * Proposes seating (`voter` true) or unseating `--party` in the voting set, signed by an
 * admin of a voting party. The proposer's approval is not cast: every voter, the proposer's
 * party included, approves with `party vote`, and the approval that meets the threshold
 * executes it. Unseating a regulator party needs a regulator's approval.
 */
export async function proposeVoterChange(args: VoterArgs, hre: HardhatRuntimeEnvironment, voter: boolean): Promise<TaskResult> {
  required("--party", args.party);
  const deployed = await openDeployment(hre);
  const { ethers, registry, governor } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(ethers, args.from);
  // Reverts with RegistryVoterUnchanged, RegistryPartyNotActive, RegistryLastActiveVoter,
  // RegistryThresholdUnreachable or RegistryUnknownParty, as the execution would.
  await registry.checkVoterChange(partyId, voter);
  const receipt = await send(governor.connect(signer).proposeVoter(partyId, voter));
  const created = proposalCreated(governor, receipt, { partyId: partyId.toString(), voter });
  const label = partyLabel(await partyNames(deployed), partyId);
  const proposalId = String((created.json as { proposalId: string }).proposalId);
  return {
    json: created.json,
    human:
      `${created.human}, to ${voter ? "seat" : "unseat"} ${label} ${voter ? "in" : "from"} the voting set; ` +
      `the voters approve with \`party vote --proposal ${proposalId}\``,
  };
}
