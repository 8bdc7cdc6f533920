import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, eventsNamed, openDeployment, parseId, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { parseBytes32, parseQuantity } from "../lib/supply.js";

interface Args {
  batch?: string;
  to?: string;
  quantity?: string;
  from?: string;
  json: boolean;
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const batchId = parseBytes32("--batch", args.batch);
  const to = parseId("--to", args.to);
  const quantity = parseQuantity("--quantity", args.quantity);
  const { ethers, batches } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(batches.connect(signer).ship(batchId, to, quantity));
  const [shipped] = eventsNamed(batches, receipt, "Shipped");
  const shipmentId = String(shipped.args.shipmentId);
  return {
    json: { shipmentId, batchId, from: String(shipped.args.from), to: to.toString(), quantity: quantity.toString() },
    human: `shipment ${shipmentId}: ${quantity} of batch ${batchId} from party ${String(shipped.args.from)} to party ${to}, in transit`,
  };
}

export default taskAction(run);
