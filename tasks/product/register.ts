import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { readRulesFile } from "../lib/rules.js";
import { type TaskResult, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  gtin?: string;
  name?: string;
  approvalNo?: string;
  nationalCode?: string;
  rules?: string;
  from?: string;
  json: boolean;
}

/**
 * The marketing-authorisation holder (a manufacturer's admin or operator) registers a
 * product, and with `--rules` sets its quality rules (a second transaction; later
 * changes need governance).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const name = required("--name", args.name);
  const approvalNo = required("--approval-no", args.approvalNo);
  const national = args.nationalCode?.trim() ?? "";
  if (national !== "" && !/^\d{7}$/.test(national)) {
    throw new UserError(`invalid --national-code "${national}": expected China's 7-digit product identification code`);
  }
  const rules = args.rules === undefined ? undefined : await readRulesFile(args.rules);
  const { ethers, batches, quality } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  await send(batches.connect(signer).registerProduct(BigInt(gtin), name, approvalNo, national === "" ? 0 : Number(national)));
  if (rules !== undefined) await send(quality.connect(signer).setRules(BigInt(gtin), rules));
  const holder = (await batches.getProduct(BigInt(gtin))).holder.toString();
  return {
    json: { gtin, productId: gtin, name, approvalNo, nationalCode: national === "" ? null : national, holder, rules: rules ?? null },
    human: `product ${gtin} "${name}" (${approvalNo}) registered, held by party ${holder}${rules === undefined ? "" : ", rules set"}`,
  };
}

export default taskAction(run);
