import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROLES, parseEnum } from "../../sdk/enums.js";
import { mirrorFailures, mirrorWarning } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseAddress, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { resolveParty } from "../lib/parties.js";

interface Args {
  party?: string;
  account?: string;
  role?: string;
  from?: string;
  json: boolean;
}

/**
 * Enrols a fresh account in the signer's party. An account that a pending admission names
 * as its admin is reserved until the proposal expires: enrolling it is refused with
 * RegistryAccountReserved (the date it is free again).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const account = parseAddress("--account", args.account);
  const role = parseEnum(ROLES, "--role", args.role ?? "operator");
  const deployed = await openDeployment(hre);
  const { ethers, registry } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(registry.connect(signer).addMember(partyId, account, role));
  const failed = mirrorFailures(registry, receipt);
  return {
    json: { partyId: partyId.toString(), account, role: ROLES[role], ...(failed.length > 0 ? { mirrorPushFailed: failed } : {}) },
    human: `${account} enrolled in party ${partyId} as ${ROLES[role]}${mirrorWarning(failed)}`,
  };
}

export default taskAction(run);
