import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { DOMAINS, parseEnum } from "../../sdk/enums.js";
import { parseLicences } from "../../sdk/licences.js";
import { proposalCreated } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseAddress, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  name?: string;
  domain?: string;
  admin?: string;
  license?: string;
  voter: boolean;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const admission = {
    name: required("--name", args.name),
    domain: parseEnum(DOMAINS, "--domain", required("--domain", args.domain)),
    admin: parseAddress("--admin", args.admin),
    voter: args.voter,
    licences: parseLicences(args.license),
  };
  const { ethers, governor } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(governor.connect(signer).proposeAdmission(admission));
  return proposalCreated(governor, receipt, { name: admission.name, domain: DOMAINS[admission.domain], admin: admission.admin });
}

export default taskAction(run);
