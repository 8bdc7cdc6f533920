import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type CloseArgs, closePallet, palletOption } from "../lib/pallets.js";
import { type TaskResult, taskAction } from "../lib/runtime.js";
import { closeShipment } from "../lib/supply.js";

/**
 * The sender cancels an open shipment: its stock is back in the sender's held stock (allowed under a
 * recall); with `--pallet`, a whole pallet, its lines read from the chain.
 */
export async function run(args: CloseArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const palletId = palletOption(args);
  if (palletId !== undefined) return closePallet(hre, palletId, args.from, "cancel");
  return closeShipment(hre, args, "cancel");
}

export default taskAction(run);
