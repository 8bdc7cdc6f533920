/**
 * Turns whatever a failed call or transaction threw into one line naming what was
 * wrong: the decoded custom error with its argument names and values
 * (`RegistryPartyNotActive(partyId=3, status=suspended)`), never a raw revert blob.
 * Values read as a person reads them: enums, roles and collaborative states by name,
 * dates as ISO-8601 dates, GTINs as 14 digits, a selector as its function's name, and
 * the error inside a {GovernorCallWouldFail} decoded in turn. Errors whose arguments
 * alone do not say what to do carry a short explanation after a colon.
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

/** Explanations for the errors whose arguments alone do not say what happened or what to do. */
const EXPLANATIONS: Record<string, (args: Record<string, string>) => string> = {
  BatchRegistryDirectCall: () =>
    "this code runs only behind the BatchRegistry proxy and was called at its own address: call the BatchRegistry proxy",
  BatchRegistryUnknownApplication: (a) =>
    `party ${a.applicant} has no pending application for product ${a.gtin} (it applies with \`product register\`)`,
  BatchRegistryApplicationChanged: (a) =>
    `party ${a.applicant} replaced its application for product ${a.gtin} after it was examined: examine it again (\`product applications\`) and approve the current one`,
  RegistryPrimaryAdminRotation: (a) =>
    `party ${a.partyId}'s primary admin key is rotated only by that key itself or by a governance proposal`,
  RegistryAccountReserved: (a) =>
    `${a.account} is the admin named by a pending admission: no party may enrol it before ${a.until}`,
  RegistryInsufficientGas: (a) =>
    `too little gas was left for the membership mirrors (${a.needed} before each push): send it with a higher gas limit`,
  RegistryThresholdUnreachable: (a) =>
    `without party ${a.partyId} only ${a.active} active voters would remain, fewer than the ${a.threshold} approvals governance needs: reinstate a suspended voter first`,
  GovernorCallWouldFail: () => "the call, run now as the governor, fails: nobody can vote it through",
  GovernorCallSimulated: () => "the simulated call succeeded (only the governor simulates calls, and the simulation always reverts)",
  GovernorNotApproved: (a) =>
    BigInt(a.approvals) < BigInt(a.threshold)
      ? `proposal ${a.proposalId} has ${a.approvals} of the ${a.threshold} approvals the voter set in force now requires (approvals of parties no longer in the voter set do not count)`
      : `proposal ${a.proposalId} still needs a regulator's approval`,
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
  const explain = EXPLANATIONS[description.name];
  const head = `${description.name}(${shown.join(", ")})`;
  return { name: description.name, args, message: explain === undefined ? head : `${head}: ${explain(args)}` };
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
