import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, openDeployment, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  from?: string;
  json: boolean;
}

/** The manufacturer's QA releases a batch for sale. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const signer = await resolveSigner(ethers, args.from);
  await send(batches.connect(signer).releaseBatch(batchId));
  return { json: { batchId, state: "released" }, human: `batch ${batchId} released for sale` };
}

export default taskAction(run);
