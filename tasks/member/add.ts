import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROLES, parseEnum } from "../../sdk/enums.js";
import { type TaskResult, openDeployment, parseAddress, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  account?: string;
  role?: string;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const partyId = parseId("--party", args.party);
  const account = parseAddress("--account", args.account);
  const role = parseEnum(ROLES, "--role", args.role ?? "operator");
  const { ethers, registry } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  await send(registry.connect(signer).addMember(partyId, account, role));
  return {
    json: { partyId: partyId.toString(), account, role: ROLES[role] },
    human: `${account} enrolled in party ${partyId} as ${ROLES[role]}`,
  };
}

export default taskAction(run);
