import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { PartyStatus } from "../../sdk/enums.js";
import { proposeStatus } from "../lib/governance.js";
import { type TaskResult, openDeployment, required, resolveSigner, taskAction } from "../lib/runtime.js";
import { resolveParty } from "../lib/parties.js";

interface Args {
  party?: string;
  from?: string;
  json: boolean;
}

/** Reinstatement always goes through governance. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const deployed = await openDeployment(hre);
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(deployed.ethers, args.from);
  return proposeStatus(deployed, signer, partyId, PartyStatus.Active);
}

export default taskAction(run);
