import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type TaskResult, taskAction } from "../lib/runtime.js";
import { type ShipmentArgs, closeShipment } from "../lib/supply.js";

/** The receiver rejects an open shipment: its stock goes back to the sender's held stock (allowed under a recall). */
export async function run(args: ShipmentArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  return closeShipment(hre, args, "reject");
}

export default taskAction(run);
