/**
 * Mirrors of the contracts' enums, with the names the CLI and JSON use.
 * The order is the Solidity declaration order; a test checks them against the ABI.
 */

export const DOMAINS = [
  "none",
  "manufacturer",
  "wholesaler",
  "retailer",
  "logistics",
  "hospital",
  "pharmacy",
  "regulator",
  "laboratory",
  "notary",
] as const;
export type DomainName = (typeof DOMAINS)[number];

export const PARTY_STATUSES = ["none", "active", "suspended", "revoked"] as const;
export type PartyStatusName = (typeof PARTY_STATUSES)[number];

export const ROLES = ["none", "admin", "operator", "qa", "device"] as const;
export type RoleName = (typeof ROLES)[number];

export const MEMBER_STATUSES = ["none", "active", "removed", "rotated"] as const;
export type MemberStatusName = (typeof MEMBER_STATUSES)[number];

export const LICENCE_KINDS = [
  "none",
  "manufacturing",
  "gmp",
  "distribution",
  "gsp",
  "medical-institution",
  "laboratory",
  "notarial",
] as const;
export type LicenceKindName = (typeof LICENCE_KINDS)[number];

export const PROPOSAL_KINDS = [
  "none",
  "admit-party",
  "suspend-party",
  "reinstate-party",
  "revoke-party",
  "set-voter",
  "set-parameters",
  "upgrade",
  "call",
] as const;
export type ProposalKindName = (typeof PROPOSAL_KINDS)[number];

export const PROPOSAL_STATES = ["none", "active", "executed", "expired"] as const;
export type ProposalStateName = (typeof PROPOSAL_STATES)[number];

export const BATCH_STATUSES = ["none", "production", "released"] as const;
export const SHIPMENT_STATUSES = ["none", "in-transit", "received", "cancelled", "rejected"] as const;
export const UNIT_STATUSES = ["active", "dispensed", "destroyed", "stolen", "locked"] as const;
export const UNIT_VERDICTS = [
  "unknown",
  "genuine",
  "unreleased",
  "expired",
  "dispensed",
  "destroyed",
  "stolen",
  "locked",
] as const;

export const POINTS = ["process", "production", "order", "transport", "storage", "inspection", "efficacy", "adverse"] as const;
export type PointName = (typeof POINTS)[number];
export const RESULTS = ["normal", "deviation", "critical"] as const;
export type ResultName = (typeof RESULTS)[number];
export const RULE_KINDS = ["critical-observation", "adverse-count", "contract"] as const;
export const STATE_KINDS = ["plain", "recall", "disposal"] as const;
export const ACTORS = ["regulator", "holder", "rule", "witness"] as const;
export const DESTRUCTION_STATUSES = ["none", "proposed", "witnessed"] as const;
export const CASE_STATUSES = ["none", "quarantined", "investigating", "cleared", "illegitimate", "closed"] as const;
export type CaseStatusName = (typeof CASE_STATUSES)[number];

/** Numeric values, for calls and tests: `Domain.Regulator === 7`. */
export const Domain = {
  None: 0,
  Manufacturer: 1,
  Wholesaler: 2,
  Retailer: 3,
  Logistics: 4,
  Hospital: 5,
  Pharmacy: 6,
  Regulator: 7,
  Laboratory: 8,
  Notary: 9,
} as const;
export const PartyStatus = { None: 0, Active: 1, Suspended: 2, Revoked: 3 } as const;
export const Role = { None: 0, Admin: 1, Operator: 2, QA: 3, Device: 4 } as const;
export const MemberStatus = { None: 0, Active: 1, Removed: 2, Rotated: 3 } as const;
export const LicenceKind = {
  None: 0,
  Manufacturing: 1,
  GoodManufacturingPractice: 2,
  Distribution: 3,
  GoodSupplyPractice: 4,
  MedicalInstitution: 5,
  LaboratoryAccreditation: 6,
  Notarial: 7,
} as const;
export const ProposalKind = {
  None: 0,
  AdmitParty: 1,
  SuspendParty: 2,
  ReinstateParty: 3,
  RevokeParty: 4,
  SetVoter: 5,
  SetParameters: 6,
  Upgrade: 7,
  Call: 8,
} as const;
export const ProposalState = { None: 0, Active: 1, Executed: 2, Expired: 3 } as const;
export const BatchStatus = { None: 0, Production: 1, Released: 2 } as const;
export const ShipmentStatus = { None: 0, InTransit: 1, Received: 2, Cancelled: 3, Rejected: 4 } as const;
export const UnitStatus = { Active: 0, Dispensed: 1, Destroyed: 2, Stolen: 3, Locked: 4 } as const;
export const UnitVerdict = {
  Unknown: 0,
  Genuine: 1,
  Unreleased: 2,
  Expired: 3,
  Dispensed: 4,
  Destroyed: 5,
  Stolen: 6,
  Locked: 7,
} as const;

export const Point = {
  Process: 0,
  Production: 1,
  Order: 2,
  Transport: 3,
  Storage: 4,
  Inspection: 5,
  Efficacy: 6,
  Adverse: 7,
} as const;
export const Result = { Normal: 0, Deviation: 1, Critical: 2 } as const;
export const RuleKind = { CriticalObservation: 0, AdverseCount: 1, Contract: 2 } as const;
export const StateKind = { Plain: 0, Recall: 1, Disposal: 2 } as const;
export const Actor = { Regulator: 0, Holder: 1, Rule: 2, Witness: 3 } as const;
export const DestructionStatus = { None: 0, Proposed: 1, Witnessed: 2 } as const;
export const CaseStatus = { None: 0, Quarantined: 1, Investigating: 2, Cleared: 3, Illegitimate: 4, Closed: 5 } as const;

/** The bitmap of a set of enum values, as the contracts take allowed sets. */
export function mask(...values: number[]): bigint {
  return values.reduce((acc, v) => acc | (1n << BigInt(v)), 0n);
}

/**
 * Parses a CLI name (case-insensitive, `-`/`_` ignored) into its enum value; the
 * `none` entry is never accepted. Throws with the list of valid names.
 */
export function parseEnum(names: readonly string[], what: string, input: string): number {
  const wanted = input.trim().toLowerCase().replace(/[-_ ]/g, "");
  const index = names.findIndex((n, i) => i > 0 && n.replace(/-/g, "") === wanted);
  if (index <= 0) {
    throw new Error(`invalid ${what} "${input}": expected one of ${names.slice(1).join(", ")}`);
  }
  return index;
}

/**
 * Parses a CLI name of an enum whose every value is meaningful (no `none` entry, e.g.
 * control points): case-insensitive, `-`/`_` ignored. Throws with the list of valid names.
 */
export function parseName(names: readonly string[], what: string, input: string): number {
  const wanted = input.trim().toLowerCase().replace(/[-_ ]/g, "");
  const index = names.findIndex((n) => n.replace(/-/g, "") === wanted);
  if (index < 0) throw new Error(`invalid ${what} "${input}": expected one of ${names.join(", ")}`);
  return index;
}

/** The CLI name of an enum value (`"unknown(12)"` for one out of range). */
export function enumName(names: readonly string[], value: number | bigint): string {
  return names[Number(value)] ?? `unknown(${value})`;
}
