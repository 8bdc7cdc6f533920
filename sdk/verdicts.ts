/**
 * What a box's check means to a person: the contract's unit verdict combined with the
 * batch's effective collaborative state. Pure and free of node and ethers imports, so
 * that the verification page, the gateway and `unit verify` say exactly the same thing.
 */
import { STATE_KINDS, UNIT_VERDICTS } from "./enums.js";

type VerdictName = (typeof UNIT_VERDICTS)[number];

/** What a check of one box says, most urgent first when a batch halts. */
export const VERIFY_STATUSES = [
  "genuine",
  "dispensed",
  "stopped",
  "recalled",
  "destroyed",
  "deregistered",
  "suspect",
  "unreleased",
  "expired",
  "locked",
  "unknown",
] as const;
export type VerifyStatus = (typeof VERIFY_STATUSES)[number];

/** The part of a state definition a verdict needs. */
export interface VerdictState {
  name: string;
  kind: (typeof STATE_KINDS)[number];
  halts: boolean;
}

/** What a genuine unit of a batch in halting state `state` is. */
export function verifyStatusOf(state: VerdictState): "recalled" | "destroyed" | "deregistered" | "stopped" {
  if (state.kind === "recall") return "recalled";
  if (state.kind === "disposal") return "destroyed";
  return state.name === "Deregistered" ? "deregistered" : "stopped";
}

/**
 * The status of a unit whose contract verdict is `verdict` (a name of {UNIT_VERDICTS} or
 * its number) and whose batch is in effective state `state`. A batch that is stopped,
 * recalled or destroyed says so before anything the unit itself went through (a patient
 * holding a dispensed box of a recalled batch must hear "recalled"); a stolen unit stays
 * suspect; a code no batch holds is unknown.
 */
export function unitStatus(verdict: VerdictName | string | number | bigint, state: VerdictState | undefined): VerifyStatus {
  const name = (typeof verdict === "string" ? verdict : UNIT_VERDICTS[Number(verdict)]) as VerdictName | undefined;
  if (name === undefined || !UNIT_VERDICTS.includes(name)) throw new RangeError(`no unit verdict ${verdict}`);
  if (name === "unknown") return "unknown";
  if (name === "stolen") return "suspect";
  if (state?.halts === true) return verifyStatusOf(state);
  return name;
}
