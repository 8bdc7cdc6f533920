import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROLES, enumName } from "../../sdk/enums.js";
import { mirrorFailures, mirrorWarning } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseAddress, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { resolveParty } from "../lib/parties.js";

interface Args {
  party?: string;
  account?: string;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const account = parseAddress("--account", args.account);
  const deployed = await openDeployment(hre);
  const { ethers, registry } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(ethers, args.from);
  const role = enumName(ROLES, (await registry.getMember(account)).role);
  const receipt = await send(registry.connect(signer).removeMember(partyId, account));
  const failed = mirrorFailures(registry, receipt);
  return {
    json: { partyId: partyId.toString(), account, role, ...(failed.length > 0 ? { mirrorPushFailed: failed } : {}) },
    human: `${account} (${role}) removed from party ${partyId}${mirrorWarning(failed)}`,
  };
}

export default taskAction(run);
