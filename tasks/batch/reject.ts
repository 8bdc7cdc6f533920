import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type CloseArgs, closePallet, palletOption } from "../lib/pallets.js";
import { type TaskResult, taskAction } from "../lib/runtime.js";
import { closeShipment } from "../lib/supply.js";

/**
 * The receiver rejects an open shipment: its stock goes back to the sender's held stock (allowed under a
 * recall); with `--pallet`, a whole pallet, its lines read from the chain.
 */
export async function run(args: CloseArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const palletId = palletOption(args);
  if (palletId !== undefined) return closePallet(hre, palletId, args.from, "reject");
  return closeShipment(hre, args, "reject");
}

export default taskAction(run);
