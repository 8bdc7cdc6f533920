import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { checkPublishTarget, publishBatch, publishedLine } from "../lib/publish.js";
import { resolveBatch } from "../lib/references.js";
import { type TaskResult, openDeployment, required, resolveSigner, taskAction } from "../lib/runtime.js";
import { unitsDir } from "../lib/supply.js";

interface Args {
  batch?: string;
  gateway?: string;
  from?: string;
  json: boolean;
}

/**
 * Publishes a batch's unit list (kept by `batch create` on this machine) to a gateway:
 * the unit hashes in index order, signed with EIP-712 by `--from`, a member of the batch's
 * maker party. The gateway rebuilds the batch's root from them and checks it on chain.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const batchText = required("--batch", args.batch);
  const url = required("--gateway", args.gateway);
  const deployed = await openDeployment(hre);
  const signer = await resolveSigner(deployed.ethers, args.from);
  const gateway = await checkPublishTarget(deployed, url);
  const batchId = await resolveBatch(hre, deployed, "--batch", batchText);
  const batch = await deployed.batches.getBatch(batchId);
  const { loadUnitDump } = await import("../../sdk/units.js");
  let tree;
  try {
    ({ tree } = await loadUnitDump(unitsDir(hre, deployed.chainId), batch.unitsRoot));
  } catch (error) {
    throw new UserError(`this machine has no unit list for batch ${batchId} (root ${batch.unitsRoot}): publish from the machine that created it (${(error as Error).message})`);
  }
  const receipt = await publishBatch(deployed, signer, batchId, tree, gateway);
  return { json: { gateway: gateway.origin, ...receipt }, human: publishedLine(receipt, gateway) };
}

export default taskAction(run);
