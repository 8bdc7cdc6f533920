import type { Signer, TransactionReceipt } from "ethers";

import { PARTY_STATUSES, PROPOSAL_KINDS, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import type { ConsortiumGovernor } from "../../types/ethers-contracts/index.js";
import { type Deployed, type TaskResult, eventsNamed, send } from "./runtime.js";

/** The output of a task that created a proposal. */
export function proposalCreated(governor: ConsortiumGovernor, receipt: TransactionReceipt, extra: Record<string, unknown> = {}): TaskResult {
  const [created] = eventsNamed(governor, receipt, "ProposalCreated");
  const a = created.args as unknown as {
    proposalId: bigint;
    kind: bigint;
    voters: bigint;
    threshold: bigint;
    regulatorRequired: boolean;
    expiresAt: bigint;
  };
  const kind = enumName(PROPOSAL_KINDS, a.kind);
  return {
    json: {
      proposalId: a.proposalId.toString(),
      kind,
      voters: a.voters.toString(),
      threshold: a.threshold.toString(),
      regulatorRequired: a.regulatorRequired,
      expiresAt: isoDate(a.expiresAt),
      ...extra,
    },
    human:
      `proposal ${a.proposalId} (${kind}) created: needs ${a.threshold} of ${a.voters} voters` +
      `${a.regulatorRequired ? " including a regulator" : ""}, open until ${isoDate(a.expiresAt)}`,
  };
}

/** Proposes a party status change and describes the proposal, with the party's current status. */
export async function proposeStatus(
  deployed: Pick<Deployed, "registry" | "governor">,
  signer: Signer,
  partyId: bigint,
  status: number,
): Promise<TaskResult> {
  const { registry, governor } = deployed;
  const receipt = await send(governor.connect(signer).proposePartyStatus(partyId, status));
  const current = enumName(PARTY_STATUSES, (await registry.getParty(partyId)).status);
  return proposalCreated(governor, receipt, { partyId: partyId.toString(), status: current });
}
