import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type CloseArgs, closePallet, palletOption } from "../lib/pallets.js";
import { type TaskResult, openDeployment, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { findShipment } from "../lib/supply.js";
import { partyLabel, partyNames } from "../lib/parties.js";
import { batchLabel, parseIdText, resolveId } from "../lib/references.js";

/** The receiver takes a shipment, or with `--pallet` a whole pallet, into its held stock. */
export async function run(args: CloseArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const palletId = palletOption(args);
  if (palletId !== undefined) return closePallet(hre, palletId, args.from, "receive");
  const shipmentIdText = parseIdText("--shipment", args.shipment);
  const deployed = await openDeployment(hre);
  const shipmentId = await resolveId(deployed, "--shipment", shipmentIdText, "shipment");
  const { ethers, batches } = deployed;
  const shipment = await findShipment(deployed, shipmentId);
  const signer = await resolveSigner(ethers, args.from);
  await send(batches.connect(signer).receiveShipment(shipment.batchId, shipmentId));
  return {
    json: { shipmentId, batchId: shipment.batchId, quantity: shipment.quantity.toString(), to: shipment.to.toString() },
    human: `shipment ${shipmentId} received: ${partyLabel(await partyNames(deployed), shipment.to)} now holds ${await batches.holding(shipment.batchId, shipment.to)} of ${await batchLabel(deployed, shipment.batchId)}`,
  };
}

export default taskAction(run);
