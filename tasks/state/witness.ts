import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { subjectFromId } from "../../sdk/quality.js";
import { batchOfEvent, loadGraph, subjectState } from "../lib/quality.js";
import { eventsNamed, openDeployment, sendAs, taskAction, type TaskResult } from "../lib/runtime.js";
import { batchAccount, custodyParts } from "../lib/supply.js";
import { parseIdText, resolveId } from "../lib/references.js";

interface Args {
  destruction?: string;
  from?: string;
  json: boolean;
}

/**
 * Witnesses a proposed destruction (regulator or notary): the second signature, which
 * executes it. The batch enters the disposal state (Destroyed) only when this destruction
 * accounts for every unit of it (dispensed + destroyed + lost = quantity); until then it
 * stays under recall, and the output says what is still unaccounted for and where.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const destructionIdText = parseIdText("--destruction", args.destruction);
  const deployed = await openDeployment(hre);
  const destructionId = await resolveId(deployed, "--destruction", destructionIdText, "destruction");
  const batchId = await batchOfEvent(deployed, "DestructionProposed", destructionId, "destruction");
  const receipt = await sendAs(deployed, "collaboration", args.from, (c) => c.witnessDestruction(batchId, destructionId));
  const [witnessed] = eventsNamed(deployed.collaboration, receipt, "DestructionWitnessed");
  const entered = eventsNamed(deployed.collaboration, receipt, "StateChanged").some((e) => String(e.args.subject) === batchId);
  const { state } = await subjectState(deployed, await loadGraph(deployed), subjectFromId(batchId));
  const account = await batchAccount(deployed, batchId);
  const quantity = String(witnessed.args.quantity);
  const remaining = {
    held: account.held.toString(),
    inTransit: account.inTransit.toString(),
    quarantined: account.quarantined.toString(),
    suspended: account.suspended.toString(),
  };
  const outcome = entered
    ? `batch ${state}: every unit is accounted for`
    : account.unaccounted === 0n
      ? `batch ${state}`
      : `batch still ${state}: ${account.unaccounted} unaccounted for (${custodyParts(remaining)})`;
  return {
    json: {
      destructionId,
      batchId,
      quantity,
      witness: String(witnessed.args.witness),
      state,
      enteredDisposal: entered,
      unaccounted: account.unaccounted.toString(),
      remaining,
    },
    human: `destruction ${destructionId} witnessed by party ${String(witnessed.args.witness)}: ${quantity} of batch ${batchId} destroyed; ${outcome}`,
  };
}

export default taskAction(run);
