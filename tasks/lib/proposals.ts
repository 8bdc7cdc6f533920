/**
 * Governance proposals as people read them: the action decoded into words (`admit party
 * 'X' (wholesaler, voter) with admin 0x…`, `suspend party 3 (Name)`, `Call:
 * BatchRegistry.reassignProduct(06901234567892 → party 2 (Name))`), who proposed and who
 * approved it, what it still needs, and whether it is open, executed or expired. Read
 * from the governor's events (`ProposalCreated`, `VoteCast`, indexed by proposal) and
 * views, never by walking proposal ids. `party vote`'s standing (`governance.ts`) gives
 * the approvals in force and the threshold now.
 */
import { type Result, dataSlice } from "ethers";

import { medstateInterface } from "../../sdk/contracts.js";
import { DOMAINS, LICENCE_KINDS, PARTY_STATUSES, PROPOSAL_KINDS, PROPOSAL_STATES, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { shortId } from "../../sdk/references.js";
import { proposalStanding } from "./governance.js";
import { partyLabel } from "./parties.js";
import type { Deployed } from "./runtime.js";

/** Party ids and names, as {@link partyNames} reads them. */
export type PartyNames = { id: bigint; name: string }[];

/** A proposal as `proposal list` and `proposal show` print it in JSON. */
export interface ProposalSummary {
  proposalId: string;
  kind: string;
  /** `open`, `executed` or `expired`. */
  status: string;
  /** The action in words. */
  action: string;
  target: string;
  /** The target's name in the deployment record (`BatchRegistry`…), or null for another contract. */
  targetName: string | null;
  proposerParty: string;
  proposerName: string | null;
  proposer: string;
  /** The parties that approved, in the order they voted. */
  approvers: { partyId: string; name: string | null; account: string }[];
  approvals: string;
  /** The approvals of parties still in the voter set (what an execution counts). */
  approvalsInForce: string;
  /** The threshold the voter set in force requires now. */
  threshold: string;
  thresholdAtCreation: string;
  regulatorRequired: boolean;
  regulatorApproved: boolean;
  /** What it still needs, in words; null once executed or expired. */
  needed: string | null;
  expiresAt: string | null;
}

/** `1 day`, `7 days`, `2 hours`, `90 minutes`: a duration in seconds for people. */
export function durationText(seconds: bigint): string {
  const units: [bigint, string][] = [
    [86_400n, "day"],
    [3_600n, "hour"],
    [60n, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0n) return `${seconds / size} ${name}${seconds / size === 1n ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1n ? "" : "s"}`;
}

/** The kinds a bitmap over ProposalKind names (`admit-party, call`), or `none`. */
export function kindsOfBitmap(bitmap: bigint): string {
  const kinds = PROPOSAL_KINDS.filter((_, i) => i > 0 && (bitmap >> BigInt(i)) & 1n);
  return kinds.length === 0 ? "none" : kinds.join(", ");
}

/** The name the deployment record gives `address` (`ConsortiumRegistry`…), if any. */
export function contractName(deployed: Pick<Deployed, "record">, address: string): string | undefined {
  const found = Object.entries(deployed.record.contracts).find(([, a]) => a.toLowerCase() === address.toLowerCase());
  return found?.[0];
}

/** A call argument for people: GTINs as 14 digits, party ids with their names. */
function argText(name: string, type: string, value: unknown, names: PartyNames): string {
  if (type === "uint64" && name === "gtin") return String(value).padStart(14, "0");
  if (type === "uint64" && ["partyId", "party", "holder", "applicant", "issuer", "dispenser"].includes(name)) {
    return partyLabel(names, value as bigint);
  }
  if (type.startsWith("tuple") || type.endsWith("]")) return "…";
  return String(value);
}

/** A generic call in words: `function(name=value, …)`. */
function callText(fn: string, inputs: readonly { name: string; type: string }[], args: Result, names: PartyNames): string {
  return `${fn}(${inputs.map((p, i) => `${p.name}=${argText(p.name, p.type, args[i], names)}`).join(", ")})`;
}

/** The function calls whose words say more than their arguments. */
function specialCall(fn: string, args: Result, names: PartyNames): string | undefined {
  const party = (id: unknown) => partyLabel(names, id as bigint);
  const gtin = (value: unknown) => String(value).padStart(14, "0");
  switch (fn) {
    case "reassignProduct": {
      const code = BigInt(args[2] as bigint);
      return `reassignProduct(${gtin(args[0])} → ${party(args[1])}${code === 0n ? ", no national code" : `, national code ${String(code).padStart(7, "0")}`})`;
    }
    case "setRules":
      return `setRules(product ${gtin(args[0])})`;
    case "detachMirror":
      return `detachMirror(${String(args[0])})`;
    case "rotateMember":
      return `rotateMember(${party(args[0])}: ${String(args[1])} → ${String(args[2])})`;
    case "grantLicence": {
      const grant = args[1] as Result;
      return `grantLicence(${party(args[0])}: ${enumName(LICENCE_KINDS, grant[0] as bigint)} until ${isoDate(grant[3] as bigint) ?? "never"})`;
    }
    case "revokeLicence":
      return `revokeLicence(${party(args[0])}: ${enumName(LICENCE_KINDS, args[1] as bigint)})`;
    case "setDispenseUndoWindow":
      return `setDispenseUndoWindow(${durationText(BigInt(args[0] as bigint))})`;
    default:
      return undefined;
  }
}

/**
 * A proposal's action in words, decoded from its kind, target and calldata: each typed
 * kind by what it does, a generic call as `Call: Target.function(…)` with GTINs and
 * parties named.
 */
export function describeAction(
  deployed: Pick<Deployed, "record">,
  names: PartyNames,
  kind: bigint,
  target: string,
  data: string,
): string {
  const iface = medstateInterface();
  const parsed = iface.parseTransaction({ data });
  const targetName = contractName(deployed, target) ?? target;
  if (parsed === null) {
    const label = kind === BigInt(PROPOSAL_KINDS.indexOf("call")) ? "Call" : enumName(PROPOSAL_KINDS, kind);
    return `${label}: ${targetName} with data ${dataSlice(data, 0, Math.min(4, (data.length - 2) / 2))}… (not a MedState function)`;
  }
  const a = parsed.args;
  switch (enumName(PROPOSAL_KINDS, kind)) {
    case "admit-party": {
      const admission = a[0] as Result;
      const licences = (admission[4] as Result[]).map(
        (l) => `${enumName(LICENCE_KINDS, l[0] as bigint)} until ${(isoDate(l[3] as bigint) ?? "never").slice(0, 10)}`,
      );
      return (
        `admit party '${String(admission[0])}' (${enumName(DOMAINS, admission[1] as bigint)}${admission[3] === true ? ", voter" : ""}) ` +
        `with admin ${String(admission[2])}${licences.length === 0 ? "" : `, licences ${licences.join(", ")}`}`
      );
    }
    case "suspend-party":
    case "reinstate-party":
    case "revoke-party": {
      const verb = { suspended: "suspend", active: "reinstate", revoked: "revoke" }[enumName(PARTY_STATUSES, a[1] as bigint)] ?? "set the status of";
      return `${verb} ${partyLabel(names, a[0] as bigint)}`;
    }
    case "set-voter":
      return a[1] === true
        ? `add ${partyLabel(names, a[0] as bigint)} to the voting set`
        : `remove ${partyLabel(names, a[0] as bigint)} from the voting set`;
    case "set-parameters": {
      const p = a[0] as Result;
      return `set the voting period to ${durationText(BigInt(p[0] as bigint))} and the kinds a regulator must approve to ${kindsOfBitmap(BigInt(p[1] as bigint))}`;
    }
    case "upgrade":
      return `upgrade ${targetName} to implementation ${String(a[0])}`;
    default: {
      const words = specialCall(parsed.name, a, names) ?? callText(parsed.name, parsed.fragment.inputs, a, names);
      return `Call: ${contractName(deployed, target) ?? shortId(target)}.${words}`;
    }
  }
}

/** `open`, `executed` or `expired`, from the `proposalState` view. */
export function statusName(state: bigint): string {
  const name = enumName(PROPOSAL_STATES, state);
  return name === "active" ? "open" : name;
}

/** A ProposalCreated event's arguments, as the summaries read them. */
interface Created {
  proposalId: bigint;
  kind: bigint;
  proposerParty: bigint;
  proposer: string;
  target: string;
  data: string;
}

/**
 * Every proposal's creation, in order: one log query. `open` keeps only those neither
 * executed (a `ProposalExecuted` event) nor past their expiry at the latest block.
 */
export async function createdProposals(deployed: Pick<Deployed, "governor" | "record" | "ethers">, open = false): Promise<Created[]> {
  const { governor, record, ethers } = deployed;
  const from = Number(record.block);
  const created = (await governor.queryFilter(governor.filters.ProposalCreated(), from)).map((e) => ({
    proposalId: e.args.proposalId,
    kind: e.args.kind,
    proposerParty: e.args.proposerParty,
    proposer: e.args.proposer,
    target: e.args.target,
    data: e.args.data,
    expiresAt: e.args.expiresAt,
  }));
  if (!open) return created;
  const executed = new Set((await governor.queryFilter(governor.filters.ProposalExecuted(), from)).map((e) => e.args.proposalId));
  const latest = await ethers.provider.getBlock("latest");
  const now = BigInt(latest?.timestamp ?? 0);
  // The governor refuses votes from `expiresAt` on: open means strictly before it.
  return created.filter((c) => !executed.has(c.proposalId) && now < c.expiresAt);
}

/** The creation of one proposal, or undefined for an unknown id. */
export async function createdProposal(deployed: Pick<Deployed, "governor" | "record">, proposalId: bigint): Promise<Created | undefined> {
  const { governor, record } = deployed;
  const [e] = await governor.queryFilter(governor.filters.ProposalCreated(proposalId), Number(record.block));
  if (e === undefined) return undefined;
  return { proposalId, kind: e.args.kind, proposerParty: e.args.proposerParty, proposer: e.args.proposer, target: e.args.target, data: e.args.data };
}

/** Where one proposal stands, with its action in words and its approvers named. */
export async function summarise(
  deployed: Pick<Deployed, "governor" | "record">,
  names: PartyNames,
  created: Created,
): Promise<ProposalSummary> {
  const { governor, record } = deployed;
  const id = created.proposalId;
  const [standing, state, votes] = await Promise.all([
    proposalStanding(governor, id),
    governor.proposalState(id),
    governor.queryFilter(governor.filters.VoteCast(id), Number(record.block)),
  ]);
  const status = statusName(state);
  const nameOf = (party: bigint) => names.find((p) => p.id === party)?.name ?? null;
  return {
    proposalId: id.toString(),
    kind: standing.kind,
    status,
    action: describeAction(deployed, names, created.kind, created.target, created.data),
    target: created.target,
    targetName: contractName(deployed, created.target) ?? null,
    proposerParty: created.proposerParty.toString(),
    proposerName: nameOf(created.proposerParty),
    proposer: created.proposer,
    approvers: votes.map((v) => ({ partyId: v.args.partyId.toString(), name: nameOf(v.args.partyId), account: v.args.voter })),
    approvals: standing.approvals.toString(),
    approvalsInForce: standing.approvalsInForce.toString(),
    threshold: standing.threshold.toString(),
    thresholdAtCreation: standing.thresholdAtCreation.toString(),
    regulatorRequired: standing.regulatorRequired,
    regulatorApproved: standing.regulatorApproved,
    needed: status === "open" ? standing.lacking : null,
    expiresAt: standing.expiresAt,
  };
}

/**
 * One line of `proposal list`: `#3 open     call            Call: BatchRegistry.reassignProduct(…) — proposed by
 * party 2 (Name), approved by party 2; 1 of 3 approvals, regulator required; needs …; open until …`.
 */
export function summaryLine(p: ProposalSummary): string {
  const standing =
    p.status === "open"
      ? `${p.approvalsInForce} of ${p.threshold} approvals${p.regulatorRequired ? ", regulator required" : ""}; ${p.needed}; open until ${p.expiresAt}`
      : p.status === "executed"
        ? `executed with ${p.approvals} approvals`
        : `expired at ${p.expiresAt} with ${p.approvals} approvals`;
  const ids = p.approvers.map((a) => a.partyId);
  const approvers = ids.length === 0 ? "no approvals yet" : `approved by part${ids.length === 1 ? "y" : "ies"} ${ids.join(", ")}`;
  return (
    `#${p.proposalId} ${p.status.padEnd(8)} ${p.kind.padEnd(15)} ${p.action} — proposed by party ${p.proposerParty}` +
    `${p.proposerName === null ? "" : ` (${p.proposerName})`}, ${approvers}; ${standing}`
  );
}
