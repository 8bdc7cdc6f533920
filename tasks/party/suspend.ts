import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Domain, PartyStatus, Role, mask } from "../../sdk/enums.js";
import { describeError } from "../../sdk/errors.js";
import { proposeStatus } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  from?: string;
  json: boolean;
}

/**
 * A regulator suspends at once (the law gives it that power); anyone else proposes
 * it. So does a regulator that already keeps f voting parties suspended: beyond
 * that, suspending a voter needs the supermajority.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const partyId = parseId("--party", args.party);
  const deployed = await openDeployment(hre);
  const { ethers, registry } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  const [isRegulator] = await registry.isAuthorized(signer.address, mask(Role.Admin, Role.Operator), mask(Domain.Regulator));
  if (!isRegulator) return proposeStatus(deployed, signer, partyId, PartyStatus.Suspended);
  try {
    await registry.connect(signer).suspendParty.staticCall(partyId);
  } catch (error) {
    const reason = describeError(error);
    if (!reason.startsWith("RegistryVoterSuspensionLimit(")) throw error;
    const proposal = await proposeStatus(deployed, signer, partyId, PartyStatus.Suspended);
    return { json: proposal.json, human: `${reason}: proposed instead\n${proposal.human}` };
  }
  await send(registry.connect(signer).suspendParty(partyId));
  return {
    json: { partyId: partyId.toString(), status: "suspended", by: "regulator" },
    human: `party ${partyId} suspended by the regulator, with immediate effect`,
  };
}

export default taskAction(run);
