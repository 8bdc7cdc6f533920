import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROLES, enumName } from "../../sdk/enums.js";
import { type TaskResult, openDeployment, parseAddress, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  account?: string;
  newAccount?: string;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const partyId = parseId("--party", args.party);
  const previous = parseAddress("--account", args.account);
  const account = parseAddress("--new-account", args.newAccount);
  const { ethers, registry } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  await send(registry.connect(signer).rotateMember(partyId, previous, account));
  const role = enumName(ROLES, (await registry.getMember(account)).role);
  return {
    json: { partyId: partyId.toString(), account, previous, role },
    human: `party ${partyId}: ${previous} rotated to ${account} (${role})`,
  };
}

export default taskAction(run);
