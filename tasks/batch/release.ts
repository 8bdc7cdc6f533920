import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, openDeployment, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { parseBytes32 } from "../lib/supply.js";

interface Args {
  batch?: string;
  from?: string;
  json: boolean;
}

/** The manufacturer's QA releases a batch for sale. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const batchId = parseBytes32("--batch", args.batch);
  const { ethers, batches } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  await send(batches.connect(signer).releaseBatch(batchId));
  return { json: { batchId, state: "released" }, human: `batch ${batchId} released for sale` };
}

export default taskAction(run);
