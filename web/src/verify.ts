/**
 * Checks one code end to end: the gateway locates the unit and gives its proof; the page
 * checks the proof itself, reads the verdict and the batch's state from the chain, and
 * turns them into a status with the same function the CLI and the gateway use.
 */
import { type Hex } from "viem";

import { type VerifyStatus, unitStatus } from "../../sdk/verdicts.js";
import { type UnitDescription, describeUnit, gatewayInfo, locateUnit } from "./api.js";
import { readUnit } from "./chain.js";
import { isPresented } from "./codes.js";
import { proves, unitHashOf } from "./merkle.js";

/** The outcome of a check, everything the view needs. */
export interface CheckResult {
  status: VerifyStatus;
  /** The code as the gateway normalised it (or as presented, when no batch holds it). */
  code: string;
  /** The block the chain was read at; absent when no batch holds the code. */
  block?: string;
  /** The contract's verdict number (ISupplyLedger.UnitVerdict). */
  verdict?: number;
  /** The batch's effective state by name (e.g. "Recall"). */
  state?: string;
  recall?: { level: number; deadline: Date };
  /** The gateway's answer did not check out against the chain (treated as unknown). */
  mismatch?: boolean;
  description: UnitDescription | null;
}

/** Checks `code`; throws InvalidCodeError for a code no parser reads, Error when the check could not run. */
export async function checkCode(code: string): Promise<CheckResult> {
  const [info, located] = await Promise.all([gatewayInfo(), locateUnit(code)]);
  if (located === null) return { status: "unknown", code, description: null };
  const index = BigInt(located.index);
  const unit = { batchId: located.batchId, index, unitHash: located.unitHash, proof: located.proof };
  const [reading, description] = await Promise.all([
    readUnit(info.contracts.BatchRegistry as Hex, unit),
    describeUnit(located.code),
  ]);
  const consistent =
    isPresented(code, located.code) &&
    unitHashOf(located.code) === located.unitHash.toLowerCase() &&
    reading.unitsRoot.toLowerCase() === located.root.toLowerCase() &&
    proves(reading.unitsRoot, index, located.unitHash, located.proof);
  const status = consistent ? unitStatus(reading.verdict, reading.state) : "unknown";
  return {
    status,
    code: located.code,
    block: reading.block.toString(),
    verdict: reading.verdict,
    state: reading.state.name,
    recall:
      status === "recalled" && reading.recallLevel > 0
        ? { level: reading.recallLevel, deadline: new Date(reading.recallDeadline * 1000) }
        : undefined,
    mismatch: consistent ? undefined : true,
    description: consistent ? description : null,
  };
}
