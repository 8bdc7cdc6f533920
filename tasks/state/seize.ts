import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { resolveParty } from "../lib/parties.js";
import { eventsNamed, openDeployment, resolveSigner, send, taskAction, type TaskResult } from "../lib/runtime.js";
import { parseQuantity } from "../lib/supply.js";
import { batchIdFromText, resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  party?: string;
  quantity?: string;
  from?: string;
  json: boolean;
}

/**
 * The regulator (an admin or operator of a regulator party) moves a party's stock of a
 * batch under recall into the holder's quarantine without that party: the forced return of
 * stock its holder cannot return (a revoked or suspended party) or will not. Only its
 * available stock (a locked unit is restored first with `unit restore`).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  batchIdFromText("--batch", args.batch);
  const quantity = parseQuantity("--quantity", args.quantity);
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const party = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(deployed.ethers, args.from);
  const receipt = await send(deployed.collaboration.connect(signer).seizeStock(batchId, party, quantity));
  const [seized] = eventsNamed(deployed.collaboration, receipt, "StockSeized");
  const outstanding = String(seized.args.outstanding);
  const recallId = String(seized.args.recallId);
  return {
    json: {
      recallId,
      batchId,
      party: party.toString(),
      quantity: quantity.toString(),
      outstanding,
      regulator: String(seized.args.regulator),
    },
    human:
      `the regulator (party ${String(seized.args.regulator)}) seized ${quantity} of party ${party}'s stock of batch ${batchId} into quarantine ` +
      `under recall ${recallId}; party ${party} still has ${outstanding} outstanding`,
  };
}

export default taskAction(run);
