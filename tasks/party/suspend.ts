import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Domain, PartyStatus, Role, mask } from "../../sdk/enums.js";
import { describeError, errorName } from "../../sdk/errors.js";
import { mirrorFailures, mirrorWarning, proposeStatus } from "../lib/governance.js";
import { type TaskResult, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { resolveParty } from "../lib/parties.js";

interface Args {
  party?: string;
  from?: string;
  json: boolean;
}

/**
 * A regulator suspends at once (the law gives it that power); anyone else proposes
 * it. A voter the regulator suspends still counts in the governance threshold's n, so
 * its suspension lowers no threshold; and a regulator keeps at most f of those n voters
 * suspended on its own: beyond that, suspending a voter needs the supermajority, and the
 * task proposes it instead.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const deployed = await openDeployment(hre);
  const partyId = await resolveParty(deployed, "--party", args.party);
  const { ethers, registry, governor } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  const [isRegulator] = await registry.isAuthorized(signer.address, mask(Role.Admin, Role.Operator), mask(Domain.Regulator));
  if (!isRegulator) return proposeStatus(deployed, signer, partyId, PartyStatus.Suspended);
  try {
    await registry.connect(signer).suspendParty.staticCall(partyId);
  } catch (error) {
    if (errorName(error) !== "RegistryVoterSuspensionLimit") throw error;
    const proposal = await proposeStatus(deployed, signer, partyId, PartyStatus.Suspended);
    return { json: proposal.json, human: `${describeError(error)}: proposed instead\n${proposal.human}` };
  }
  const receipt = await send(registry.connect(signer).suspendParty(partyId));
  const [voter, thresholdVoters, threshold] = await Promise.all([
    registry.isVoter(partyId),
    registry.thresholdVoterCount(),
    governor.currentThreshold(),
  ]);
  const failed = mirrorFailures(registry, receipt);
  return {
    json: {
      partyId: partyId.toString(),
      status: "suspended",
      by: "regulator",
      voter,
      thresholdVoters: thresholdVoters.toString(),
      threshold: threshold.toString(),
      ...(failed.length > 0 ? { mirrorPushFailed: failed } : {}),
    },
    human:
      `party ${partyId} suspended by the regulator, with immediate effect` +
      (voter ? `; as a voter it still counts in the governance threshold (${threshold} of ${thresholdVoters})` : "") +
      mirrorWarning(failed),
  };
}

export default taskAction(run);
