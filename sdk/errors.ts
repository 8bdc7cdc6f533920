/**
 * Turns whatever a failed call or transaction threw into one line naming what was
 * wrong: the decoded custom error with its argument names and values
 * (`RegistryPartyNotActive(partyId=3, status=suspended)`), never a raw revert blob.
 */
import type { ErrorDescription, Interface } from "ethers";

import { enumParameters, medstateInterface } from "./contracts.js";
import {
  BATCH_STATUSES,
  CASE_STATUSES,
  DOMAINS,
  LICENCE_KINDS,
  PARTY_STATUSES,
  PROPOSAL_KINDS,
  ROLES,
  SHIPMENT_STATUSES,
  UNIT_STATUSES,
} from "./enums.js";

/** A refusal the user can act on: printed as one line, exit code non-zero. */
export class UserError extends Error {
  override name = "UserError";
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
};

const PANIC_REASONS: Record<number, string> = {
  0x01: "assertion failed",
  0x11: "arithmetic overflow",
  0x12: "division by zero",
  0x21: "enum value out of range",
  0x32: "array index out of bounds",
};

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

function formatValue(enumType: string | undefined, value: unknown): string {
  const names = enumType === undefined ? undefined : ENUM_NAMES[enumType];
  if (names !== undefined) return names[Number(value)] ?? String(value);
  return typeof value === "bigint" ? value.toString() : String(value);
}

/** Formats a decoded error as `Name(arg=value, …)`, enums by name. */
export function formatErrorDescription(description: ErrorDescription): string {
  enumsByError ??= enumParameters();
  const enums = enumsByError.get(description.name) ?? [];
  const args = description.fragment.inputs.map(
    (param, i) => `${param.name === "" ? `arg${i}` : param.name}=${formatValue(enums[i], description.args[i])}`,
  );
  return `${description.name}(${args.join(", ")})`;
}

/** Decodes revert data with the MedState ABI (plus Error(string) and Panic(uint256)). */
export function decodeRevertData(data: string, iface: Interface = medstateInterface()): string {
  const parsed = iface.parseError(data);
  if (parsed !== null) {
    if (parsed.name === "Error") return `reverted: ${String(parsed.args[0])}`;
    if (parsed.name === "Panic") {
      const code = Number(parsed.args[0]);
      return `panic 0x${code.toString(16)}: ${PANIC_REASONS[code] ?? "unknown"}`;
    }
    return formatErrorDescription(parsed);
  }
  return `reverted with unknown error ${data.slice(0, 10)}`;
}

/** One line describing `error`, for stderr. */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return error.message;
  const data = findRevertData(error);
  if (data !== undefined) return decodeRevertData(data);
  const record = (error ?? {}) as Record<string, unknown>;
  const reason = typeof record.shortMessage === "string" ? record.shortMessage : undefined;
  const message = reason ?? (error instanceof Error ? error.message : String(error));
  return message.split("\n")[0].trim();
}
