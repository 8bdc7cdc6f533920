/**
 * Turns whatever a failed call or transaction threw into one line naming what was
 * wrong: the decoded custom error with its argument names and values
 * (`RegistryPartyNotActive(partyId=3, status=suspended)`), never a raw revert blob.
 * Values read as a person reads them: enums, roles and collaborative states by name,
 * a prerequisite bitmask as the missing states' names, dates as ISO-8601 dates, GTINs
 * (and product subjects) as 14 digits, a humidity with its unit, a selector as its
 * function's name, and the error inside a {GovernorCallWouldFail} decoded in turn.
 * Errors whose arguments alone do not say what to do carry a short explanation after a
 * colon (quantities there in units, periods in days, hours or minutes).
 * test/sdk/errors.table.test.ts pins the line of every custom error of every contract.
 */
import type { ErrorDescription, FunctionFragment, Interface, ParamType } from "ethers";

import { enumParameters, medstateInterface } from "./contracts.js";
import {
  BATCH_STATUSES,
  CASE_STATUSES,
  DOMAINS,
  LICENCE_KINDS,
  PARTY_STATUSES,
  POINTS,
  PROPOSAL_KINDS,
  ROLES,
  SHIPMENT_STATUSES,
  STATE_KINDS,
  UNIT_STATUSES,
} from "./enums.js";
import { isoDate } from "./licences.js";
import { PHARMACEUTICAL_GRAPH } from "./quality.js";

/** A refusal the user can act on: printed as one line, exit code non-zero. */
export class UserError extends Error {
  override name = "UserError";
}

/** What decoding needs to know about the chain the error came from. */
export interface ErrorContext {
  /**
   * The names of the collaborative states, by id (the deployment's state graph). The
   * pharmaceutical graph's names when absent.
   */
  stateNames?: readonly string[];
}

/** A refusal decoded: the error's name, its arguments formatted for people, and the one line. */
export interface DecodedError {
  name: string;
  args: Record<string, string>;
  message: string;
}

const ENUM_NAMES: Record<string, readonly string[]> = {
  Domain: DOMAINS,
  PartyStatus: PARTY_STATUSES,
  Role: ROLES,
  LicenceKind: LICENCE_KINDS,
  ProposalKind: PROPOSAL_KINDS,
  BatchStatus: BATCH_STATUSES,
  ShipmentStatus: SHIPMENT_STATUSES,
  UnitStatus: UNIT_STATUSES,
  CaseStatus: CASE_STATUSES,
  Point: POINTS,
  StateKind: STATE_KINDS,
};

const PANIC_REASONS: Record<number, string> = {
  0x01: "assertion failed",
  0x11: "arithmetic overflow",
  0x12: "division by zero",
  0x21: "enum value out of range",
  0x32: "array index out of bounds",
};

/** Timestamp parameters (uint40/uint48 seconds), printed as dates. */
const DATE_PARAMETERS = new Set(["expiresAt", "expiredAt", "now_", "deadline", "until", "manufacturedAt", "notifyBy", "at"]);

/** Parameters that hold a collaborative-state id, in the errors that carry one. */
const STATE_PARAMETERS = new Set(["state", "from"]);

/** Enum parameters the ABI types as plain `uint8` (the value the contract refused is `None`). */
const UINT8_ENUMS: Record<string, readonly string[]> = {
  "RegistryInvalidDomain.domain": DOMAINS,
  "RegistryInvalidRole.role": ROLES,
  "RegistryInvalidLicenceKind.kind": LICENCE_KINDS,
};

/** A subject as people name it: a product (`bytes32(uint256(gtin))`) by its 14-digit GTIN, a batch by its id. */
function subjectText(subject: string): string {
  const value = BigInt(subject);
  return value > 0n && value < 2n ** 64n ? value.toString().padStart(14, "0") : subject;
}

/** A number of seconds in the largest whole unit it is (`2592000` → "30 days"). */
function duration(secondsText: string): string {
  const seconds = BigInt(secondsText);
  for (const [unit, size] of [["day", 86_400n], ["hour", 3_600n], ["minute", 60n]] as const) {
    if (seconds !== 0n && seconds % size === 0n) return plural(seconds / size, unit);
  }
  return plural(seconds, "second");
}

function plural(count: bigint | string, unit: string): string {
  return `${count} ${unit}${BigInt(count) === 1n ? "" : "s"}`;
}

/** Finds revert data (0x-hex of at least a selector) anywhere inside a thrown value. */
export function findRevertData(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || error === null || typeof error !== "object") return undefined;
  const record = error as Record<string, unknown>;
  const data = record.data;
  if (typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data)) return data;
  for (const key of ["data", "error", "info", "cause", "revert", "receipt"]) {
    const found = findRevertData(record[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

let enumsByError: Map<string, (string | undefined)[]> | undefined;

function stateName(context: ErrorContext, id: number): string {
  const names = context.stateNames ?? PHARMACEUTICAL_GRAPH.map((s) => s.name);
  return names[id] ?? String(id);
}

/** The function a 4-byte selector calls, by name, if it is one of MedState's. */
function selectorName(iface: Interface, selector: string): string {
  const fragment = iface.fragments.find((f): f is FunctionFragment => f.type === "function" && (f as FunctionFragment).selector === selector.toLowerCase());
  return fragment === undefined ? selector : `${selector} (${fragment.name})`;
}

function formatValue(
  errorName: string,
  param: ParamType,
  enumType: string | undefined,
  value: unknown,
  context: ErrorContext,
  iface: Interface,
): string {
  const names = enumType === undefined ? undefined : ENUM_NAMES[enumType];
  if (names !== undefined) return names[Number(value)] ?? String(value);
  const isStateError = errorName === "BatchRegistryHalted" || errorName.startsWith("Collaboration");
  if (isStateError && param.type === "uint8" && STATE_PARAMETERS.has(param.name)) return stateName(context, Number(value));
  if (errorName === "CollaborationUnmetPrerequisite" && param.name === "missing") {
    const mask = Number(value);
    const missing = [];
    for (let id = 0; id < 16; id++) if ((mask >> id) & 1) missing.push(stateName(context, id));
    return missing.length === 0 ? "none" : missing.join("+");
  }
  if (param.name === "gtin" && param.type === "uint64") return String(value).padStart(14, "0");
  if (param.name === "subject" && param.type === "bytes32") return subjectText(String(value));
  const names8 = param.type === "uint8" ? UINT8_ENUMS[`${errorName}.${param.name}`] : undefined;
  if (names8 !== undefined) return names8[Number(value)] ?? String(value);
  if (errorName === "QualityEngineInvalidHumidity" && param.name === "humidity") return `${(Number(value) / 100).toFixed(2)} %`;
  if (DATE_PARAMETERS.has(param.name) && (param.type === "uint40" || param.type === "uint48")) {
    return isoDate(value as bigint) ?? "none";
  }
  if (param.type === "bytes4") return selectorName(iface, String(value));
  if (errorName === "GovernorCallWouldFail" && param.name === "reason") {
    const reason = String(value);
    return reason === "0x" ? "a revert without a reason" : decodeErrorData(reason, iface, context).message;
  }
  return typeof value === "bigint" ? value.toString() : String(value);
}

const DIRECT_CALL = "this code runs only behind the BatchRegistry proxy and was called at its own address: call the BatchRegistry proxy";
const ONLY_GOVERNOR = "only the consortium governor does this: propose it through governance";
const ZERO_ADDRESS = "an address argument was the zero address";

/**
 * Explanations for the errors whose arguments alone do not say what happened or what to
 * do (undefined: none for these arguments). Quantities of a batch are counted in units
 * (packs); periods are given in seconds and said in days, hours or minutes.
 */
const EXPLANATIONS: Record<string, (args: Record<string, string>) => string | undefined> = {
  // ==== Library and proxy errors (OpenZeppelin) ====
  AddressEmptyCode: (a) => `${a.target} has no code: the call needs a contract`,
  ERC1967InvalidImplementation: (a) => `${a.implementation} is no UUPS implementation (it has no code or no proxiableUUID)`,
  ERC1967NonPayable: () => "the upgrade sent ether without an initialisation call to receive it",
  FailedCall: () => "a call to another contract failed without a reason",
  InsufficientBalance: (a) => `the contract holds ${a.balance} wei, less than the ${a.needed} wei the call sends`,
  InvalidInitialization: () => "the contract is already initialised (an implementation never is: initialise its proxy)",
  NotInitializing: () => "this function runs only inside the contract's initialiser",
  UUPSUnauthorizedCallContext: () => "an upgrade is called through the proxy, not at the implementation's own address",
  UUPSUnsupportedProxiableUUID: () => "the new implementation's proxiableUUID is not the ERC-1967 implementation slot: it is no UUPS implementation",
  SafeCastOverflowedUintDowncast: (a) => `${a.value} does not fit in ${a.bits} bits`,
  InvalidAccountNonce: (a) => `the signature was made over another nonce: ${a.account}'s next nonce is ${a.currentNonce}`,
  InvalidShortString: () => "a string longer than 31 bytes was given where a short string is kept",
  StringTooLong: () => "the string is longer than 31 bytes",
  MerkleProofInvalidMultiproof: () => "the multiproof's proof and flags do not fit the units given: build it again from the batch's units file",

  // ==== ConsortiumRegistry and its mirrors ====
  RegistryAccountReserved: (a) =>
    `${a.account} is the admin named by a pending admission: no party may enrol it before ${a.until}`,
  RegistryDuplicateLicence: (a) => `a party carries at most one licence of each kind, and ${a.kind} was given more than once`,
  RegistryEmptyName: () => "a party needs a name",
  RegistryGovernorNotSet: () => "the governor is not bound yet: the deployment is unfinished",
  RegistryInsufficientGas: (a) =>
    `too little gas was left for the membership mirrors (${a.needed} before each push): send it with a higher gas limit`,
  RegistryInvalidDomain: () => `a party needs a domain: one of ${DOMAINS.slice(1).join(", ")}`,
  RegistryInvalidLicenceKind: () => `a licence needs a kind: one of ${LICENCE_KINDS.slice(1).join(", ")}`,
  RegistryInvalidMirror: (a) => `${a.mirror} is no mirror of this registry: attaching it would make every later change revert`,
  RegistryInvalidRole: () => `a member needs a role: one of ${ROLES.slice(1).join(", ")}`,
  RegistryLastActiveVoter: (a) => `party ${a.partyId} is the last active voter: without it governance could never act again`,
  RegistryLicenceExpired: (a) =>
    `party ${a.partyId} cannot act: one of its licences expired on ${a.expiredAt}; the regulator grants that licence anew`,
  RegistryLicenceRevoked: (a) =>
    `party ${a.partyId} cannot act while it has ${plural(a.count, "revoked licence")}: the regulator grants each revoked kind anew`,
  RegistryOnlyBootstrapper: () => "only the account that initialised the registry binds its governor",
  RegistryOnlyGovernor: () => ONLY_GOVERNOR,
  RegistryPrimaryAdminRemoval: (a) => `party ${a.partyId}'s primary admin can be rotated to a new key but not removed`,
  RegistryPrimaryAdminRotation: (a) =>
    `party ${a.partyId}'s primary admin key is rotated only by that key itself or by a governance proposal`,
  RegistrySelfSuspension: (a) => `a regulator cannot suspend its own party (${a.partyId})`,
  RegistryThresholdUnreachable: (a) =>
    `without party ${a.partyId} only ${a.active} active voters would remain, fewer than the ${a.threshold} approvals governance needs: reinstate a suspended voter first`,
  RegistryTooManyMirrors: (a) => `at most ${a.limit} mirrors can be attached (every change is pushed to each): detach one first`,
  RegistryVoterUnchanged: (a) => `party ${a.partyId} already ${a.voter === "true" ? "is" : "is not"} a voter`,
  RegistryZeroAddress: () => ZERO_ADDRESS,
  MirrorRegistryChanged: (a) =>
    `a mirror's upgrade must keep mirroring ${a.registry}: ${a.implementation} was built for another registry`,

  // ==== ConsortiumGovernor ====
  GovernorCallWouldFail: () => "the call, run now as the governor, fails: nobody can vote it through",
  GovernorCallSimulated: () => "the simulated call succeeded (only the governor simulates calls, and the simulation always reverts)",
  GovernorInvalidStatus: (a) => `a proposal sets a party suspended, active (reinstated) or revoked, not ${a.status}`,
  GovernorInvalidVotingPeriod: (a) => `a voting period is 1 hour to 365 days, and ${a.votingPeriod} seconds is ${duration(a.votingPeriod)}`,
  GovernorNotAContract: (a) => `${a.account} has no code: an upgrade or call needs a contract`,
  GovernorNotApproved: (a) =>
    BigInt(a.approvals) < BigInt(a.threshold)
      ? `proposal ${a.proposalId} has ${a.approvals} of the ${a.threshold} approvals the voter set in force now requires (approvals of parties no longer in the voter set do not count)`
      : `proposal ${a.proposalId} still needs a regulator's approval`,
  GovernorOnlySelf: () => "only the governor itself does this, through an executed proposal",
  GovernorZeroAddress: () => ZERO_ADDRESS,

  // ==== BatchRegistry: products, batches, custody, units ====
  BatchRegistryDirectCall: () => DIRECT_CALL,
  BatchRegistryOnlyGovernor: () => ONLY_GOVERNOR,
  BatchRegistryUnknownFunction: () => "no module behind the BatchRegistry proxy has this function: the deployment is older or newer than this SDK",
  BatchRegistryUnknownApplication: (a) =>
    `party ${a.applicant} has no pending application for product ${a.gtin} (it applies with \`product register\`)`,
  BatchRegistryApplicationChanged: (a) =>
    `party ${a.applicant} replaced its application for product ${a.gtin} after it was examined: examine it again (\`product applications\`) and approve the current one`,
  BatchRegistryInvalidGtin: () => "a GTIN is 14 digits whose last is its GS1 check digit",
  BatchRegistryInvalidNationalCode: () => "a national product code has at most 7 digits",
  BatchRegistryInvalidDates: () => "a batch expires after its manufacture date, and that date is not in the future",
  BatchRegistryInvalidUnits: (a) => {
    if (BigInt(a.unitCount) > BigInt(a.quantity)) {
      return `${plural(a.unitCount, "unit code")} are more than the batch's quantity of ${plural(a.quantity, "unit")}`;
    }
    return BigInt(a.unitsRoot) === 0n ? "unit codes need a units root" : "a units root needs unit codes";
  },
  BatchRegistryInsufficientStock: (a) =>
    `party ${a.party} has ${plural(a.available, "unit")} of the batch available (held, less its locked units), fewer than the ${a.requested} requested`,
  BatchRegistryNotInspected: () => "its latest inspection is not a normal one: a normal inspection is recorded before the batch is released",
  BatchRegistryInvalidProof: (a) =>
    `the proof does not show that unit ${a.index} with this code belongs to the batch: check the code and the batch's units file`,
  BatchRegistryUnitLocked: (a) => `unit ${a.index} is locked: it is dispensed only after it is reactivated`,
  BatchRegistryDispensedInBasket: (a) =>
    `unit ${a.index} was dispensed in a basket: only that basket's undo, by the party that dispensed it, or a regulator's restore undoes it`,
  BatchRegistryUndoWindowClosed: (a) => (a.deadline === "none" ? "undoing a dispense is disabled (an undo window of 0)" : undefined),
  BatchRegistryInvalidUndoWindow: (a) =>
    `an undo window is at most ${duration(a.max)}, and ${a.window} seconds is ${duration(a.window)}`,

  // ==== BulkCustody: baskets and pallets ====
  BatchRegistryInvalidBasketSize: (a) => `a basket holds 1 to ${a.max} units, and each of its batches at least one`,
  BatchRegistryUnknownBasket: () => "the caller's party has no basket with this id open to undo",
  BatchRegistryBasketMismatch: () => "the units restated are not the ones the basket's commitment holds",
  BatchRegistryBasketUndoClosed: (a) => (a.deadline === "none" ? "undoing a dispense is disabled (an undo window of 0)" : undefined),
  BatchRegistryInvalidBasketPosition: (a) => `the positions to undo must be increasing and below the basket's ${plural(a.count, "unit")}`,
  BatchRegistryBasketUnitChanged: (a) =>
    `unit ${a.index} of the batch changed since the basket dispensed it (a regulator restored it): the basket can no longer undo it`,
  BatchRegistryInvalidLineCount: (a) => `a pallet carries 1 to ${a.max} lines`,
  BatchRegistryPalletMismatch: () => "the lines restated are not the ones the pallet was shipped with",

  // ==== QualityEngine ====
  QualityEngineInvalidCorrection: (a) =>
    a.count === "0"
      ? `the subject has no earlier observation, so observation ${a.corrects} cannot be corrected`
      : `the subject's earlier observations are numbered 1 to ${a.count}, so observation ${a.corrects} cannot be corrected`,
  QualityEngineInvalidHumidity: () => "a relative humidity is 0 to 100 %",
  QualityEngineInvalidSignature: (a) => `the signature was made by ${a.signer}, not by the device ${a.device} (or over another nonce)`,
  QualityEngineRulesLocked: (a) => `product ${a.gtin}'s rules are set: changing them needs a governance proposal`,
  QualityEngineInsufficientGas: (a) =>
    `too little gas was left for the product's rule contract (${a.needed} needed): send it with a higher gas limit`,

  // ==== CollaborationEngine ====
  CollaborationDirectCall: () => DIRECT_CALL,
  CollaborationOnlyGovernor: () => ONLY_GOVERNOR,
  CollaborationWrongScope: (a) => `${a.state} does not apply to a ${a.subject.startsWith("0x") ? "batch" : "product"}`,
  CollaborationWrongKind: (a) =>
    `${a.state} is a ${a.kind} state: it is entered ${a.kind === "disposal" ? "by a witnessed destruction" : "by a recall"}, not by a transition`,
  CollaborationInvalidLevel: () => "a recall level is 1, 2 or 3 (class I, II or III)",
  CollaborationNoStateOfKind: (a) => `the state graph has no ${a.kind} state`,
  CollaborationInsufficientQuarantine: (a) =>
    `the batch's quarantine holds ${plural(a.quarantined, "unit")}, fewer than the ${a.requested} requested`,
  CollaborationDestructionClosed: () => "the destruction was already witnessed",
  CollaborationInvalidRecallPeriod: (a) =>
    `a recall period is 1 second to 365 days, and level ${a.level}'s ${a.period} seconds is ${duration(a.period)}`,

  // ==== Suspect cases ====
  SuspectInvalidUnit: (a) =>
    `the batch has ${plural(a.unitCount, "unit code")}${a.unitCount === "0" ? "" : ` (indexes 0 to ${BigInt(a.unitCount) - 1n})`}: report a unit of it, or the whole batch`,
  SuspectZeroCodeHash: () => "an unknown-code report names its code by the code's hash, and a zero hash names none",
  SuspectInvalidCodeCount: (a) => `an unknown-code report takes 1 to ${a.max} codes at once, not ${a.count}`,
};

/** Formats a decoded error as `Name(arg=value, …)`, with values for people (see the module's note). */
export function formatErrorDescription(
  description: ErrorDescription,
  context: ErrorContext = {},
  iface: Interface = medstateInterface(),
): string {
  return decodedFrom(description, context, iface).message;
}

function decodedFrom(description: ErrorDescription, context: ErrorContext, iface: Interface): DecodedError {
  enumsByError ??= enumParameters();
  const enums = enumsByError.get(description.name) ?? [];
  const args: Record<string, string> = {};
  const shown: string[] = [];
  description.fragment.inputs.forEach((param, i) => {
    const key = param.name === "" ? `arg${i}` : param.name;
    const value = formatValue(description.name, param, enums[i], description.args[i], context, iface);
    args[key] = value;
    shown.push(`${key}=${value}`);
  });
  const explanation = EXPLANATIONS[description.name]?.(args);
  const head = `${description.name}(${shown.join(", ")})`;
  return { name: description.name, args, message: explanation === undefined ? head : `${head}: ${explanation}` };
}

/** Decodes revert data with the MedState ABI (plus Error(string) and Panic(uint256)). */
export function decodeErrorData(data: string, iface: Interface = medstateInterface(), context: ErrorContext = {}): DecodedError {
  const parsed = iface.parseError(data);
  if (parsed !== null) {
    if (parsed.name === "Error") {
      const reason = String(parsed.args[0]);
      return { name: "Error", args: { reason }, message: `reverted: ${reason}` };
    }
    if (parsed.name === "Panic") {
      const code = Number(parsed.args[0]);
      return { name: "Panic", args: { code: `0x${code.toString(16)}` }, message: `panic 0x${code.toString(16)}: ${PANIC_REASONS[code] ?? "unknown"}` };
    }
    return decodedFrom(parsed, context, iface);
  }
  return { name: "UnknownError", args: { selector: data.slice(0, 10) }, message: `reverted with unknown error ${data.slice(0, 10)}` };
}

/** {@link decodeErrorData}'s one line. */
export function decodeRevertData(data: string, iface: Interface = medstateInterface(), context: ErrorContext = {}): string {
  return decodeErrorData(data, iface, context).message;
}

/** `error` decoded: a custom error by name and arguments, a UserError as itself, anything else by its first line. */
export function explainError(error: unknown, context: ErrorContext = {}): DecodedError {
  if (error instanceof UserError) return { name: "UserError", args: {}, message: error.message };
  const data = findRevertData(error);
  if (data !== undefined) return decodeErrorData(data, medstateInterface(), context);
  const record = (error ?? {}) as Record<string, unknown>;
  const reason = typeof record.shortMessage === "string" ? record.shortMessage : undefined;
  const message = reason ?? (error instanceof Error ? error.message : String(error));
  return { name: error instanceof Error ? error.name : "Error", args: {}, message: message.split("\n")[0].trim() };
}

/** One line describing `error`, for stderr. */
export function describeError(error: unknown, context: ErrorContext = {}): string {
  return explainError(error, context).message;
}

/** The name of the custom error inside a thrown value (undefined for anything else). */
export function errorName(error: unknown): string | undefined {
  const data = findRevertData(error);
  if (data === undefined) return undefined;
  return medstateInterface().parseError(data)?.name;
}

/** Whether decoding `error` prints collaborative states (then the deployment's graph names them best). */
export function namesStates(error: unknown): boolean {
  const name = errorName(error);
  if (name === "GovernorCallWouldFail") return true;
  return name !== undefined && (name === "BatchRegistryHalted" || name.startsWith("Collaboration"));
}
