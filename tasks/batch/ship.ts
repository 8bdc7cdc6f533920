import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { linesHuman, linesJson, readPalletLines } from "../lib/pallets.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { parseQuantity } from "../lib/supply.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { batchIdFromText, batchLabel, resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  to?: string;
  quantity?: string;
  lines?: string;
  line?: string;
  from?: string;
  json: boolean;
}

/** Ships `--quantity` of `--batch`, or with `--lines`/`--line` a pallet of many lines in one transaction. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  if (args.lines !== undefined || args.line !== undefined) return shipPallet(args, hre);
  batchIdFromText("--batch", args.batch);
  required("--to", args.to);
  const quantity = parseQuantity("--quantity", args.quantity);
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const to = await resolveParty(deployed, "--to", args.to);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(batches.connect(signer).ship(batchId, to, quantity));
  const [shipped] = eventsNamed(batches, receipt, "Shipped");
  const shipmentId = String(shipped.args.shipmentId);
  const names = await partyNames(deployed);
  return {
    json: { shipmentId, batchId, from: String(shipped.args.from), to: to.toString(), quantity: quantity.toString() },
    human: `shipment ${shipmentId}: ${quantity} of ${await batchLabel(deployed, batchId)} from ${partyLabel(names, shipped.args.from)} to ${partyLabel(names, to)}, in transit`,
  };
}

/** A pallet (`shipPallet`): every line from the signer's party's available stock, to one receiver. */
async function shipPallet(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  if (args.batch !== undefined || args.quantity !== undefined) {
    throw new UserError("give --batch and --quantity (one shipment) or --lines/--line (a pallet), not both");
  }
  const lines = await readPalletLines(args.lines, args.line);
  required("--to", args.to);
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const to = await resolveParty(deployed, "--to", args.to);
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(batches.connect(signer).shipPallet(to, lines));
  const [shipped] = eventsNamed(batches, receipt, "PalletShipped");
  const palletId = String(shipped.args.palletId);
  const from = String(shipped.args.from);
  const seq = String(shipped.args.seq);
  return {
    json: { palletId, from, to: to.toString(), seq, signer: signer.address, lines: linesJson(lines) },
    human:
      `pallet ${palletId} (party ${from}'s pallet #${seq}), signed by ${signer.address}: ` +
      `${lines.length} line${lines.length === 1 ? "" : "s"} from party ${from} to party ${to}, in transit\n${linesHuman(lines)}`,
  };
}

export default taskAction(run);
