import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { DOMAINS, parseEnum } from "../../sdk/enums.js";
import { isoDate, parseLicences } from "../../sdk/licences.js";
import { proposalCreated } from "../lib/governance.js";
import { type TaskResult, eventsNamed, openDeployment, parseAddress, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

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
  const { ethers, governor, registry } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(governor.connect(signer).proposeAdmission(admission));
  // The admin named is reserved until the proposal expires: no party may enrol it first.
  const [reserved] = eventsNamed(registry, receipt, "AccountReserved");
  const adminReservedUntil = reserved === undefined ? null : isoDate(reserved.args.until as bigint);
  const created = proposalCreated(governor, receipt, {
    name: admission.name,
    domain: DOMAINS[admission.domain],
    admin: admission.admin,
    adminReservedUntil,
  });
  return {
    json: created.json,
    human: `${created.human}; ${admission.admin} is reserved for it until then (no party may enrol it first)`,
  };
}

export default taskAction(run);
