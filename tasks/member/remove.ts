import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROLES, enumName } from "../../sdk/enums.js";
import { type TaskResult, openDeployment, parseAddress, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  account?: string;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const partyId = parseId("--party", args.party);
  const account = parseAddress("--account", args.account);
  const { ethers, registry } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const role = enumName(ROLES, (await registry.getMember(account)).role);
  await send(registry.connect(signer).removeMember(partyId, account));
  return {
    json: { partyId: partyId.toString(), account, role },
    human: `${account} (${role}) removed from party ${partyId}`,
  };
}

export default taskAction(run);
