import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { PartyStatus } from "../../sdk/enums.js";
import { proposeStatus } from "../lib/governance.js";
import { resolveParty } from "../lib/parties.js";
import { type TaskResult, openDeployment, resolveSigner, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  from?: string;
  json: boolean;
}

/**
 * Proposes revoking a party (governance; for good: a revoked party never acts again). Its
 * stock of a recalled batch can then only leave through the regulator's `state seize`.
 * Revoking a regulator party always needs a regulator's approval.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(deployed.ethers, args.from);
  return proposeStatus(deployed, signer, partyId, PartyStatus.Revoked);
}

export default taskAction(run);
