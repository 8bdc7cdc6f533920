/**
 * Rebuilds the consortium's identity state (parties, licences, members, the voter
 * count and the governor) from the registry's event log alone, then compares it
 * with what the registry's views say. An empty mismatch list is the proof that the
 * state the contract reports is exactly what its events say.
 */
import type { Log, LogDescription, Provider } from "ethers";

import { ConsortiumRegistry__factory } from "../../types/ethers-contracts/index.js";
import { Domain, MemberStatus, PartyStatus } from "../enums.js";
import { streamLogs } from "./logs.js";

const NO_EXPIRY = 2n ** 48n - 1n;

export interface ReplayedLicence {
  documentHash: string;
  issuer: bigint;
  expiresAt: bigint;
  revoked: boolean;
}

export interface ReplayedParty {
  name: string;
  domain: number;
  status: number;
  voter: boolean;
  admin: string;
  licences: Map<number, ReplayedLicence>;
  /**
   * Suspended by a regulator on its own (not by the governor) while an active voter: it
   * still counts in the `n` of the governance threshold until it leaves the suspension or
   * the voting set.
   */
  regulatorSuspended: boolean;
}

export interface ReplayedMember {
  partyId: bigint;
  role: number;
  status: number;
}

export interface IdentityState {
  governor: string | undefined;
  /** The attached membership mirrors, in the registry's order (a detach moves the last one into the gap). */
  mirrors: string[];
  parties: Map<bigint, ReplayedParty>;
  members: Map<string, ReplayedMember>;
  /** Accounts reserved for a pending admission (lower case) → until when (AccountReserved). */
  reserved: Map<string, bigint>;
  /**
   * Pushes a mirror refused (MirrorPushFailed), by mirror (lower case): the records it
   * may no longer reflect, by subject (an account, or a party id as a 32-byte number) →
   * failures. The registry's change stood; the mirror is stale for that subject.
   */
  pushFailures: Map<string, Map<string, bigint>>;
  events: number;
}

export interface Mismatch {
  entity: string;
  field: string;
  replayed: string;
  view: string;
}

/**
 * Fetches a contract's logs from `fromBlock` to the latest block, in pages of at most
 * `page` blocks, all collected in memory. A replay that must not grow with the log
 * streams them with {@link streamLogs} instead.
 */
export async function fetchLogs(provider: Provider, address: string, fromBlock: number, page = 5_000): Promise<Log[]> {
  const logs: Log[] = [];
  for await (const chunk of streamLogs(provider, { addresses: [address], fromBlock, initialRange: page, maxRange: page })) {
    for (const log of chunk.logs) logs.push(log);
  }
  return logs;
}

/** An identity state before any event. */
export function emptyIdentity(): IdentityState {
  return { governor: undefined, mirrors: [], parties: new Map(), members: new Map(), reserved: new Map(), pushFailures: new Map(), events: 0 };
}

/** Applies the registry's events, in log order, to an empty state. */
export function replayIdentity(logs: readonly Log[]): IdentityState {
  const iface = ConsortiumRegistry__factory.createInterface();
  const state = emptyIdentity();
  for (const log of logs) {
    const parsed = iface.parseLog(log);
    if (parsed === null) continue; // proxy events (Upgraded, Initialized) carry no identity state
    applyIdentityEvent(state, parsed);
  }
  return state;
}

/** Applies one decoded registry event; throws for one the registry could not have emitted. */
export function applyIdentityEvent(state: IdentityState, parsed: LogDescription): void {
  const party = (id: bigint): ReplayedParty => {
    const p = state.parties.get(id);
    if (p === undefined) throw new Error(`replay: event for party ${id} before its admission`);
    return p;
  };
  const member = (account: string): ReplayedMember => {
    const m = state.members.get(account.toLowerCase());
    if (m === undefined) throw new Error(`replay: event for member ${account} before its enrolment`);
    return m;
  };
  state.events++;
  const a = parsed.args;
  switch (parsed.name) {
    case "GovernorSet":
      state.governor = a.governor as string;
      break;
    case "MirrorAttached":
      state.mirrors.push(a.mirror as string);
      break;
    case "MirrorDetached": {
      // The registry moves its last mirror into the gap.
      const at = state.mirrors.findIndex((m) => m.toLowerCase() === (a.mirror as string).toLowerCase());
      if (at === -1) throw new Error(`replay: detach of mirror ${a.mirror as string}, never attached`);
      const last = state.mirrors.pop() as string;
      if (at < state.mirrors.length) state.mirrors[at] = last;
      break;
    }
    case "MirrorPushFailed": {
      const mirror = (a.mirror as string).toLowerCase();
      const failures = state.pushFailures.get(mirror) ?? new Map<string, bigint>();
      const subject = (a.subject as string).toLowerCase();
      failures.set(subject, (failures.get(subject) ?? 0n) + 1n);
      state.pushFailures.set(mirror, failures);
      break;
    }
    case "AccountReserved":
      state.reserved.set((a.account as string).toLowerCase(), a.until as bigint);
      break;
    case "PartyAdmitted":
      state.parties.set(a.partyId as bigint, {
        name: a.name as string,
        domain: Number(a.domain),
        status: PartyStatus.Active,
        voter: a.voter as boolean,
        admin: a.admin as string,
        licences: new Map(),
        regulatorSuspended: false,
      });
      break;
    case "PartyStatusChanged": {
      const p = party(a.partyId as bigint);
      const status = Number(a.status);
      // Leaving a suspension ends a regulator's; a regulator (any actor but the governor)
      // suspending an active voter starts one, which keeps the voter in the threshold's n.
      if (p.status === PartyStatus.Suspended) p.regulatorSuspended = false;
      const byGovernor = state.governor !== undefined && (a.actor as string).toLowerCase() === state.governor.toLowerCase();
      if (status === PartyStatus.Suspended && p.status === PartyStatus.Active && p.voter && !byGovernor) p.regulatorSuspended = true;
      p.status = status;
      break;
    }
    case "VoterChanged": {
      const p = party(a.partyId as bigint);
      p.voter = a.voter as boolean;
      if (!p.voter) p.regulatorSuspended = false;
      break;
    }
    case "LicenceGranted":
      party(a.partyId as bigint).licences.set(Number(a.kind), {
        documentHash: a.documentHash as string,
        issuer: a.issuer as bigint,
        expiresAt: a.expiresAt as bigint,
        revoked: false,
      });
      break;
    case "LicenceRevoked": {
      const licence = party(a.partyId as bigint).licences.get(Number(a.kind));
      if (licence === undefined) throw new Error(`replay: revocation of a licence never granted`);
      licence.revoked = true;
      break;
    }
    case "MemberAdded":
      state.members.set((a.account as string).toLowerCase(), {
        partyId: a.partyId as bigint,
        role: Number(a.role),
        status: MemberStatus.Active,
      });
      break;
    case "MemberRemoved":
      member(a.account as string).status = MemberStatus.Removed;
      break;
    case "MemberRotated": {
      const previous = member(a.previous as string);
      previous.status = MemberStatus.Rotated;
      state.members.set((a.account as string).toLowerCase(), { ...previous, status: MemberStatus.Active });
      const p = party(a.partyId as bigint);
      if (p.admin.toLowerCase() === (a.previous as string).toLowerCase()) p.admin = a.account as string;
      break;
    }
    default:
      break;
  }
}

/** The derived licence fields, computed the way the contract defines them. */
export function licenceSummary(party: ReplayedParty): { validUntil: bigint; revoked: number } {
  let validUntil = NO_EXPIRY;
  let revoked = 0;
  for (const licence of party.licences.values()) {
    if (licence.revoked) revoked++;
    else if (licence.expiresAt < validUntil) validUntil = licence.expiresAt;
  }
  return { validUntil, revoked };
}

/** The counts of the governance threshold, as the replay derives them. */
export function voterCounts(state: IdentityState): { active: number; suspended: number; regulatorSuspended: number; threshold: number } {
  const parties = [...state.parties.values()];
  const active = parties.filter((p) => p.voter && p.status === PartyStatus.Active).length;
  const suspended = parties.filter((p) => p.voter && p.status === PartyStatus.Suspended).length;
  const regulatorSuspended = parties.filter((p) => p.regulatorSuspended).length;
  return { active, suspended, regulatorSuspended, threshold: active + regulatorSuspended };
}

/**
 * Whether `partyId` counts in the threshold's n, as `IConsortiumRegistry.countedVoter`
 * answers: a voter that is active or that a regulator suspended on its own; and its domain
 * (None for a party never admitted). A proposal's approvals in force are those of its
 * approvers that count.
 */
export function countedVoter(state: IdentityState, partyId: bigint): { counted: boolean; domain: number } {
  const party = state.parties.get(partyId);
  if (party === undefined) return { counted: false, domain: Domain.None };
  return { counted: party.voter && (party.status === PartyStatus.Active || party.regulatorSuspended), domain: party.domain };
}

/**
 * The registry views an identity replay is compared with. The views the registry gained
 * with issue 12 are optional, so that a partial set of views (a test's) still compares.
 */
export interface RegistryViews {
  governor(): Promise<string>;
  mirrors(): Promise<string[]>;
  partyCount(): Promise<bigint>;
  activeVoterCount(): Promise<bigint>;
  suspendedVoterCount(): Promise<bigint>;
  regulatorSuspendedVoterCount?(): Promise<bigint>;
  thresholdVoterCount?(): Promise<bigint>;
  reservedUntil?(account: string): Promise<bigint>;
  countedVoter?(partyId: bigint): Promise<{ counted: boolean; domain: bigint }>;
  getParty(partyId: bigint): Promise<{
    domain: bigint;
    status: bigint;
    voter: boolean;
    licencesValidUntil: bigint;
    revokedLicences: bigint;
    admin: string;
    name: string;
  }>;
  getMember(account: string): Promise<{ partyId: bigint; role: bigint; status: bigint }>;
  getLicence(partyId: bigint, kind: number): Promise<{ documentHash: string; issuer: bigint; expiresAt: bigint; revoked: boolean }>;
}

/** Every difference between the replayed state and the views, field by field. */
export async function compareIdentity(state: IdentityState, views: RegistryViews): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = [];
  const check = (entity: string, field: string, replayed: unknown, view: unknown) => {
    const r = String(replayed).toLowerCase();
    const v = String(view).toLowerCase();
    if (r !== v) mismatches.push({ entity, field, replayed: String(replayed), view: String(view) });
  };
  check("registry", "governor", state.governor ?? "0x0000000000000000000000000000000000000000", await views.governor());
  check("registry", "mirrors", state.mirrors.join(","), (await views.mirrors()).join(","));
  check("registry", "partyCount", state.parties.size, await views.partyCount());
  const voters = voterCounts(state);
  check("registry", "activeVoterCount", voters.active, await views.activeVoterCount());
  check("registry", "suspendedVoterCount", voters.suspended, await views.suspendedVoterCount());
  if (views.regulatorSuspendedVoterCount !== undefined) {
    check("registry", "regulatorSuspendedVoterCount", voters.regulatorSuspended, await views.regulatorSuspendedVoterCount());
  }
  if (views.thresholdVoterCount !== undefined) {
    check("registry", "thresholdVoterCount", voters.threshold, await views.thresholdVoterCount());
  }
  if (views.reservedUntil !== undefined) {
    for (const [account, until] of state.reserved) check(`account ${account}`, "reservedUntil", until, await views.reservedUntil(account));
  }

  for (const [id, party] of state.parties) {
    const entity = `party ${id}`;
    const view = await views.getParty(id);
    check(entity, "name", party.name, view.name);
    check(entity, "domain", party.domain, view.domain);
    check(entity, "status", party.status, view.status);
    check(entity, "voter", party.voter, view.voter);
    check(entity, "admin", party.admin, view.admin);
    const summary = licenceSummary(party);
    check(entity, "licencesValidUntil", summary.validUntil, view.licencesValidUntil);
    check(entity, "revokedLicences", summary.revoked, view.revokedLicences);
    if (views.countedVoter !== undefined) check(entity, "countedVoter", countedVoter(state, id).counted, (await views.countedVoter(id)).counted);
    for (const [kind, licence] of party.licences) {
      const lv = await views.getLicence(id, kind);
      const lentity = `${entity} licence ${kind}`;
      check(lentity, "documentHash", licence.documentHash, lv.documentHash);
      check(lentity, "issuer", licence.issuer, lv.issuer);
      check(lentity, "expiresAt", licence.expiresAt, lv.expiresAt);
      check(lentity, "revoked", licence.revoked, lv.revoked);
    }
  }
  for (const [account, member] of state.members) {
    const view = await views.getMember(account);
    const entity = `member ${account}`;
    check(entity, "partyId", member.partyId, view.partyId);
    check(entity, "role", member.role, view.role);
    check(entity, "status", member.status, view.status);
  }
  return mismatches;
}
