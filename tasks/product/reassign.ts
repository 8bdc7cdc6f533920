import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { proposeCall } from "../lib/governance.js";
import { resolveParty } from "../lib/parties.js";
import { type TaskResult, openDeployment, required, resolveSigner, taskAction } from "../lib/runtime.js";
import { nationalCodeJson, parseNationalCode } from "./register.js";

interface Args {
  gtin?: string;
  holder?: string;
  nationalCode?: string;
  from?: string;
  json: boolean;
}

/**
 * Proposes giving a product a new holder (an active manufacturer) and, with
 * `--national-code`, a new national code (`none` releases it; without the option the
 * product keeps its code): a governance Call to `BatchRegistry.reassignProduct`, proposed
 * and approved for the signer's party (an admin of a voting party), as `product rules`
 * does. The call is first run as the governor and undone, so a reassignment that could
 * never execute is refused at once; the other voters approve with `party vote`.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const deployed = await openDeployment(hre);
  const { ethers, record, batches, governor } = deployed;
  const holder = await resolveParty(deployed, "--holder", args.holder);
  const signer = await resolveSigner(ethers, args.from);
  // Unknown products are refused here with BatchRegistryUnknownProduct(gtin).
  const product = await batches.getProduct(BigInt(gtin));
  const nationalCode =
    args.nationalCode === undefined
      ? Number(product.nationalCode)
      : args.nationalCode.trim().toLowerCase() === "none"
        ? 0
        : parseNationalCode("--national-code", args.nationalCode);
  const data = batches.interface.encodeFunctionData("reassignProduct", [BigInt(gtin), holder, nationalCode]);
  const code = nationalCodeJson(nationalCode);
  const what =
    `reassign product ${gtin} from party ${product.holder} to party ${holder}` +
    (nationalCode === Number(product.nationalCode) ? "" : `, national code ${code ?? "none"}`);
  const proposal = await proposeCall(
    { governor },
    signer,
    record.contracts.BatchRegistry,
    data,
    what,
    (reason) => `cannot propose to ${what}: ${reason}`,
  );
  return {
    json: {
      gtin,
      holder: holder.toString(),
      previousHolder: product.holder.toString(),
      nationalCode: code,
      previousNationalCode: nationalCodeJson(product.nationalCode),
      ...proposal.json,
      reassigned: proposal.executed,
    },
    human: proposal.human,
  };
}

export default taskAction(run);
