import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { subjectFromId } from "../../sdk/quality.js";
import { batchOfEvent, loadGraph, subjectState } from "../lib/quality.js";
import { eventsNamed, openDeployment, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { parseBytes32 } from "../lib/supply.js";

interface Args {
  destruction?: string;
  from?: string;
  json: boolean;
}

/** Witnesses a proposed destruction (regulator or notary): the second signature, which executes it. */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const destructionId = parseBytes32("--destruction", args.destruction);
  const deployed = await openDeployment(hre);
  const batchId = await batchOfEvent(deployed, "DestructionProposed", destructionId, "destruction");
  const receipt = await sendAs(deployed, "collaboration", args.from, (c) => c.witnessDestruction(batchId, destructionId));
  const [witnessed] = eventsNamed(deployed.collaboration, receipt, "DestructionWitnessed");
  const { state } = await subjectState(deployed, await loadGraph(deployed), subjectFromId(batchId));
  const quantity = String(witnessed.args.quantity);
  return {
    json: { destructionId, batchId, quantity, witness: String(witnessed.args.witness), state },
    human: `destruction ${destructionId} witnessed by party ${String(witnessed.args.witness)}: ${quantity} of batch ${batchId} destroyed; batch ${state}`,
  };
}

export default taskAction(run);
