import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { eventsNamed, openDeployment, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { parseQuantity } from "../lib/supply.js";
import { batchIdFromText, resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  quantity?: string;
  from?: string;
  json: boolean;
}

/** Proposes destroying returned (quarantined) stock: by the product's holder; a witness executes it. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  batchIdFromText("--batch", args.batch);
  const quantity = parseQuantity("--quantity", args.quantity);
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const receipt = await sendAs(deployed, "collaboration", args.from, (c) => c.proposeDestruction(batchId, quantity));
  const [proposed] = eventsNamed(deployed.collaboration, receipt, "DestructionProposed");
  const destructionId = String(proposed.args.destructionId);
  return {
    json: { destructionId, batchId, quantity: quantity.toString(), status: "proposed" },
    human: `destruction ${destructionId}: ${quantity} of batch ${batchId}, awaiting a witness (regulator or notary)`,
  };
}

export default taskAction(run);
