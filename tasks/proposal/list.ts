import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { partyNames } from "../lib/parties.js";
import { createdProposals, summarise, summaryLine } from "../lib/proposals.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

interface Args {
  open: boolean;
  json: boolean;
}

/**
 * Every governance proposal (with `--open`, those still open to votes), from the
 * governor's `ProposalCreated` events: kind, the action in words, who proposed and
 * approved it, what it still needs against the threshold in force, and its expiry.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const [created, names] = await Promise.all([createdProposals(deployed, args.open), partyNames(deployed)]);
  const proposals = await Promise.all(created.map((c) => summarise(deployed, names, c)));
  const human = proposals.length === 0 ? (args.open ? "no open proposals" : "no proposals") : proposals.map(summaryLine).join("\n");
  return { json: proposals, human };
}

export default taskAction(run);
