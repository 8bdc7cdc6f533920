import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { type TaskResult, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  gtin?: string;
  name?: string;
  approvalNo?: string;
  nationalCode?: string;
  from?: string;
  json: boolean;
}

/** The marketing-authorisation holder (a manufacturer's admin or operator) registers a product. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const name = required("--name", args.name);
  const approvalNo = required("--approval-no", args.approvalNo);
  const national = args.nationalCode?.trim() ?? "";
  if (national !== "" && !/^\d{7}$/.test(national)) {
    throw new UserError(`invalid --national-code "${national}": expected China's 7-digit product identification code`);
  }
  const { ethers, batches } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  await send(batches.connect(signer).registerProduct(BigInt(gtin), name, approvalNo, national === "" ? 0 : Number(national)));
  const holder = (await batches.getProduct(BigInt(gtin))).holder.toString();
  return {
    json: { gtin, productId: gtin, name, approvalNo, nationalCode: national === "" ? null : national, holder },
    human: `product ${gtin} "${name}" (${approvalNo}) registered, held by party ${holder}`,
  };
}

export default taskAction(run);
