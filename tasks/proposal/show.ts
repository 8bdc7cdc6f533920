import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { partyNames } from "../lib/parties.js";
import { createdProposal, summarise } from "../lib/proposals.js";
import { type TaskResult, openDeployment, parseId, taskAction } from "../lib/runtime.js";

interface Args {
  proposal?: string;
  json: boolean;
}

/**
 * One governance proposal: its kind, the action in words, its target, who proposed it,
 * which parties approved it (and through which admin), what it still needs (approvals in
 * force against the threshold the voter set requires now, and a regulator where one is
 * required), its expiry and whether it is open, executed or expired.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const proposalId = parseId("--proposal", args.proposal, 2n ** 256n - 1n);
  const deployed = await openDeployment(hre);
  const created = await createdProposal(deployed, proposalId);
  if (created === undefined) throw new UserError(`unknown proposal ${proposalId} (\`proposal list\` shows them)`);
  const p = await summarise(deployed, await partyNames(deployed), created);
  const who = (party: string, name: string | null) => `party ${party}${name === null ? "" : ` (${name})`}`;
  const approvers = p.approvers.length === 0 ? "nobody yet" : p.approvers.map((a) => who(a.partyId, a.name)).join(", ");
  const standing =
    p.status === "open"
      ? `  needs: ${p.approvalsInForce} of ${p.threshold} approvals in force${p.regulatorRequired ? `, a regulator's approval (${p.regulatorApproved ? "given" : "not yet"})` : ""} — ${p.needed}`
      : `  ${p.status}${p.status === "expired" ? ` at ${p.expiresAt}` : ""} with ${p.approvals} approval${p.approvals === "1" ? "" : "s"}`;
  const human = [
    `proposal ${p.proposalId} (${p.kind}), ${p.status}: ${p.action}`,
    `  target ${p.targetName === null ? p.target : `${p.targetName} ${p.target}`}`,
    `  proposed by ${who(p.proposerParty, p.proposerName)} through ${p.proposer}`,
    `  approved by ${approvers}`,
    standing,
    `  expires ${p.expiresAt}`,
  ].join("\n");
  return { json: p, human };
}

export default taskAction(run);
