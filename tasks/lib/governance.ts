/**
 * What the governance tasks share: describing a proposal (its threshold is the one the
 * voter set in force requires now, not the creation snapshot, and only the approvals of
 * parties still in that set count towards it), proposing a party status
 * change, proposing a generic Call and casting the proposer's party's approval (product
 * rules, product reassign, system detach-mirror, member rotate), and reading what an
 * executed proposal did from its receipt.
 */
import type { Signer, TransactionReceipt } from "ethers";

import { LICENCE_KINDS, PARTY_STATUSES, PROPOSAL_KINDS, enumName } from "../../sdk/enums.js";
import { UserError, describeError } from "../../sdk/errors.js";
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
      `${a.regulatorRequired ? " including a regulator" : ""} (as the voter set stands when it executes), open until ${isoDate(a.expiresAt)}`,
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

/**
 * A proposal's approvals in force (`approvalsInForce`): those of the parties still in the
 * threshold's voter set (active voters, and voters a regulator suspended on its own), and
 * whether a regulator party is among them. A party that left the set took its approval with it.
 */
export interface ApprovalsInForce {
  approvals: bigint;
  regulatorApproved: boolean;
}

/** Reads `approvalsInForce(proposalId)`. */
export async function approvalsInForce(governor: ConsortiumGovernor, proposalId: bigint): Promise<ApprovalsInForce> {
  const [approvals, regulatorApproved] = await governor.approvalsInForce(proposalId);
  return { approvals, regulatorApproved };
}

/** Where a proposal stands now: approvals in force against the threshold the voter set in force requires. */
export interface ProposalStanding {
  proposalId: bigint;
  kind: string;
  /** The approvals cast (`VoteCast`), whether or not their parties are still in the voter set. */
  approvals: bigint;
  /** The approvals of parties still in the voter set: what an execution counts. */
  approvalsInForce: bigint;
  /** The threshold now (`currentThreshold`): what an execution needs. */
  threshold: bigint;
  /** The threshold the proposal was created with (`ProposalCreated.threshold`), for the record. */
  thresholdAtCreation: bigint;
  regulatorRequired: boolean;
  /** A regulator party cast an approval. */
  regulatorApproved: boolean;
  /** A regulator party is among the approvers still in the voter set. */
  regulatorApprovedInForce: boolean;
  executed: boolean;
  expiresAt: string | null;
  /** What it still lacks, in words (empty once executed). */
  lacking: string;
}

/**
 * Where `proposalId` stands. `threshold` and `inForce`: the ones to report when known (read
 * before a vote or an execution that may change the voter set, such as an admission or a
 * voter's removal: those are what it passed with); else the current ones.
 */
export async function proposalStanding(
  governor: ConsortiumGovernor,
  proposalId: bigint,
  threshold?: bigint,
  inForce?: ApprovalsInForce,
): Promise<ProposalStanding> {
  const proposal = await governor.getProposal(proposalId);
  threshold ??= await governor.currentThreshold();
  inForce ??= await approvalsInForce(governor, proposalId);
  const approvals = BigInt(proposal.approvals);
  const counted = inForce.approvals;
  let lacking = "";
  if (!proposal.executed) {
    if (counted < threshold) lacking = `needs ${threshold - counted} more approval${threshold - counted === 1n ? "" : "s"}`;
    if (proposal.regulatorRequired && !inForce.regulatorApproved) {
      const gone = proposal.regulatorApproved ? " (the regulator that approved has left the voter set)" : "";
      lacking += `${lacking === "" ? "" : ", "}waiting for a regulator's approval${gone}`;
    }
    if (lacking === "") lacking = "approved: `party execute` executes it";
  }
  return {
    proposalId,
    kind: enumName(PROPOSAL_KINDS, proposal.kind),
    approvals,
    approvalsInForce: counted,
    threshold,
    thresholdAtCreation: BigInt(proposal.threshold),
    regulatorRequired: proposal.regulatorRequired,
    regulatorApproved: proposal.regulatorApproved,
    regulatorApprovedInForce: inForce.regulatorApproved,
    executed: proposal.executed,
    expiresAt: isoDate(proposal.expiresAt),
    lacking,
  };
}

/** Whether some approvals cast (or the regulator's) no longer count: a party left the voter set. */
export function approvalsLeft(standing: ProposalStanding): boolean {
  return standing.approvalsInForce !== standing.approvals || standing.regulatorApprovedInForce !== standing.regulatorApproved;
}

/**
 * The JSON keys of approvals that no longer count, only where some do (`approvalsInForce`,
 * `regulatorApprovedInForce`): a standing in which every approver is still in the voter set
 * prints as before.
 */
export function inForceJson(standing: ProposalStanding): Record<string, unknown> {
  if (!approvalsLeft(standing)) return {};
  return { approvalsInForce: standing.approvalsInForce.toString(), regulatorApprovedInForce: standing.regulatorApprovedInForce };
}

/**
 * Where a proposal stands, as `party vote` and `party execute` print it in JSON: the
 * approvals in force (where they differ from those cast), the thresholds now and at
 * creation, and the regulator condition.
 */
export function standingJson(standing: ProposalStanding): Record<string, unknown> {
  return {
    ...inForceJson(standing),
    threshold: standing.threshold.toString(),
    thresholdAtCreation: standing.thresholdAtCreation.toString(),
    regulatorRequired: standing.regulatorRequired,
    regulatorApproved: standing.regulatorApproved,
  };
}

/** `4 approvals`, or `4 approvals cast, 2 in force` where parties that approved have left the voter set. */
export function approvalsText(standing: ProposalStanding): string {
  const cast = `${standing.approvals} approval${standing.approvals === 1n ? "" : "s"}`;
  return standing.approvalsInForce === standing.approvals ? cast : `${cast} cast, ${standing.approvalsInForce} in force`;
}

/** A governance Call proposed, with its proposer's party's approval cast. */
export interface CallProposed {
  proposalId: bigint;
  proposerParty: string;
  executed: boolean;
  /** The receipt of the approval (the execution's, when it executed). */
  receipt: TransactionReceipt;
  /** `proposalId`, `kind`, `proposerParty`, `approvals`, `threshold`, `voters`, `regulatorRequired`, `regulatorApproved`, `executed`, `expiresAt`. */
  json: Record<string, unknown>;
  /** `proposal 4 (call) to <what>: 1 of 3 approvals (party 2's included), …` or `… executed at once`. */
  human: string;
}

/**
 * Proposes the governor's call of `data` on `target` and casts the proposer's party's
 * approval (with one voter, that executes it). Checked first as `proposeCall` checks it
 * (the governor runs the call and undoes it): a call that could never execute, or a
 * signer who may not propose, is refused at once with `refusal(reason)`, sending nothing.
 */
export async function proposeCall(
  deployed: Pick<Deployed, "governor">,
  signer: Signer,
  target: string,
  data: string,
  what: string,
  refusal: (reason: string) => string,
): Promise<CallProposed> {
  const proposer = deployed.governor.connect(signer);
  try {
    await proposer.proposeCall.staticCall(target, data);
  } catch (error) {
    throw new UserError(refusal(describeError(error)));
  }
  const proposed = await send(proposer.proposeCall(target, data));
  const [created] = eventsNamed(deployed.governor, proposed, "ProposalCreated");
  const proposalId = created.args.proposalId as bigint;
  const proposerParty = String(created.args.proposerParty);
  const threshold = await deployed.governor.currentThreshold();
  let receipt: TransactionReceipt;
  try {
    receipt = await send(proposer.vote(proposalId));
  } catch (error) {
    throw new UserError(`proposal ${proposalId} created, but party ${proposerParty}'s approval failed: ${describeError(error)}`);
  }
  const executed = eventsNamed(deployed.governor, receipt, "ProposalExecuted").length > 0;
  const standing = await proposalStanding(deployed.governor, proposalId, threshold);
  return {
    proposalId,
    proposerParty,
    executed,
    receipt,
    json: {
      proposalId: proposalId.toString(),
      kind: standing.kind,
      proposerParty,
      approvals: standing.approvals.toString(),
      threshold: standing.threshold.toString(),
      voters: String(created.args.voters),
      regulatorRequired: standing.regulatorRequired,
      regulatorApproved: standing.regulatorApproved,
      executed,
      expiresAt: standing.expiresAt,
    },
    human: executed
      ? `proposal ${proposalId} (${standing.kind}) executed at once: ${what}`
      : `proposal ${proposalId} (${standing.kind}) to ${what}: ${standing.approvals} of ${standing.threshold} approvals ` +
        `(party ${proposerParty}'s included)${standing.regulatorRequired && !standing.regulatorApproved ? ", and a regulator must approve" : ""}, ` +
        `open until ${standing.expiresAt}; the other voters approve with \`party vote --proposal ${proposalId}\``,
  };
}

/**
 * What an executed proposal did, read from its receipt: the JSON keys it adds (`partyId`
 * for a party's admission, status or voting seat) and a few words.
 */
export function executedOutcome(deployed: Pick<Deployed, "registry" | "batches" | "quality">, receipt: TransactionReceipt): { json: Record<string, string>; text: string } {
  const { registry, batches, quality } = deployed;
  const [admitted] = eventsNamed(registry, receipt, "PartyAdmitted");
  if (admitted !== undefined) {
    return { json: { partyId: String(admitted.args.partyId) }, text: `party ${String(admitted.args.partyId)} "${String(admitted.args.name)}" admitted` };
  }
  const [changed] = eventsNamed(registry, receipt, "PartyStatusChanged");
  if (changed !== undefined) {
    return {
      json: { partyId: String(changed.args.partyId) },
      text: `party ${String(changed.args.partyId)} is now ${enumName(PARTY_STATUSES, changed.args.status as bigint)}`,
    };
  }
  const [voter] = eventsNamed(registry, receipt, "VoterChanged");
  if (voter !== undefined) {
    return {
      json: { partyId: String(voter.args.partyId) },
      text: `party ${String(voter.args.partyId)} ${voter.args.voter === true ? "joined" : "left"} the voting set`,
    };
  }
  const [reassigned] = eventsNamed(batches, receipt, "ProductReassigned");
  if (reassigned !== undefined) {
    const gtin = String(reassigned.args.gtin).padStart(14, "0");
    return {
      json: { gtin, holder: String(reassigned.args.holder) },
      text: `product ${gtin} reassigned from party ${String(reassigned.args.previousHolder)} to party ${String(reassigned.args.holder)}`,
    };
  }
  const [granted] = eventsNamed(registry, receipt, "LicenceGranted");
  if (granted !== undefined) {
    const kind = enumName(LICENCE_KINDS, granted.args.kind as bigint);
    return {
      json: { partyId: String(granted.args.partyId), licence: kind },
      text: `licence ${kind} of party ${String(granted.args.partyId)} granted, valid until ${isoDate(granted.args.expiresAt as bigint) ?? "none"}`,
    };
  }
  const [revoked] = eventsNamed(registry, receipt, "LicenceRevoked");
  if (revoked !== undefined) {
    const kind = enumName(LICENCE_KINDS, revoked.args.kind as bigint);
    return { json: { partyId: String(revoked.args.partyId), licence: kind }, text: `licence ${kind} of party ${String(revoked.args.partyId)} revoked` };
  }
  const [detached] = eventsNamed(registry, receipt, "MirrorDetached");
  if (detached !== undefined) return { json: { mirror: String(detached.args.mirror) }, text: `mirror ${String(detached.args.mirror)} detached` };
  const [rotated] = eventsNamed(registry, receipt, "MemberRotated");
  if (rotated !== undefined) {
    return {
      json: { partyId: String(rotated.args.partyId) },
      text: `party ${String(rotated.args.partyId)}: ${String(rotated.args.previous)} rotated to ${String(rotated.args.account)}`,
    };
  }
  const [rules] = eventsNamed(quality, receipt, "RulesSet");
  if (rules !== undefined) {
    const gtin = String(rules.args.gtin).padStart(14, "0");
    return { json: { gtin }, text: `rules of product ${gtin} set` };
  }
  return { json: {}, text: "executed" };
}

/** The mirrors that failed to take a registry change in this receipt ({MirrorPushFailed}): the change stands. */
export function mirrorFailures(registry: Deployed["registry"], receipt: TransactionReceipt): string[] {
  return [...new Set(eventsNamed(registry, receipt, "MirrorPushFailed").map((e) => String(e.args.mirror)))];
}

/** ` (mirror 0x… did not take the change: the governor detaches it with \`system detach-mirror\`)`, or nothing. */
export function mirrorWarning(failed: string[]): string {
  if (failed.length === 0) return "";
  return `; mirror${failed.length === 1 ? "" : "s"} ${failed.join(", ")} did not take the change (\`system detach-mirror\` detaches a broken mirror)`;
}
