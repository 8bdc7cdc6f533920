import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UNIT_STATUSES, UnitStatus } from "../../sdk/enums.js";
import { UserError, errorName } from "../../sdk/errors.js";
import { type TaskResult, describeRefusal, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { basketDispenserBefore } from "../lib/baskets.js";
import { openCloneCase } from "../lib/suspect.js";
import { locateUnit, type UnitArgs } from "../lib/supply.js";
import { reportUnknownCodes, reportedJson, reportedLine, unknownCodeOf } from "../lib/unknown-codes.js";
import { runBasket } from "./dispense-basket.js";

/** `--code` (one box), or `--file` (a basket of up to 256). */
interface DispenseArgs extends UnitArgs {
  file?: string;
}

/**
 * Dispenses one box at a pharmacy or hospital. A code already dispensed (or destroyed,
 * or stolen) is a genuine code on a suspect box: the chain records the report, the
 * same signer opens a suspect-product case on the unit (no stock quarantined: a clone
 * is not stock), and this command prints both and exits non-zero. A code no batch holds
 * (an invented serial) is not dispensed: it is reported on chain as an unknown code, for
 * the regulator and the product's holder, and the command prints the report's number and
 * exits non-zero. With `--file`, the file's codes are dispensed as one basket instead
 * (`dispense-basket.ts`).
 */
export async function run(args: DispenseArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  if (args.file !== undefined) {
    if (args.code !== undefined || args.batch !== undefined) throw new UserError("give --code (one box) or --file (a basket), not both");
    return runBasket({ file: required("--file", args.file), from: args.from, json: args.json }, hre);
  }
  const code = required("--code", args.code);
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const unit = await locateUnit(hre, deployed, code, args.batch);
  const signer = await resolveSigner(ethers, args.from);
  if (unit === undefined) {
    // EU FMD's unknown pack: reported on chain, for the regulator and the product's holder; not dispensed.
    const {
      reports: [reported],
    } = await reportUnknownCodes(deployed, signer, [await unknownCodeOf(deployed, code)]);
    return {
      json: reportedJson(reported),
      human: reportedLine(reported),
      alarm: `unknown unit ${reported.code}: no batch on this chain holds this code; not dispensed, reported as unknown-code report #${reported.reportNo}`,
    };
  }
  const receipt = await send(
    batches.connect(signer).dispense({ batchId: unit.batchId, index: unit.index, unitHash: unit.unitHash, proof: unit.proof }),
  ).catch(async (error: unknown) => {
    if (errorName(error) !== "BatchRegistryInsufficientStock") throw error;
    throw new UserError(`${await describeRefusal(error)}: a pharmacy or hospital dispenses only from its own available stock of the batch`);
  });
  const base = { code: unit.canonical, batchId: unit.batchId, index: unit.index.toString() };
  const [report] = eventsNamed(batches, receipt, "SuspectUnitReported");
  if (report !== undefined) {
    const previous = UNIT_STATUSES[Number(report.args.status)] ?? "inactive";
    // A unit dispensed in a basket reads as dispensed by party 0: its basket's events name the party.
    let recorded = String(report.args.recordedParty);
    if (recorded === "0" && Number(report.args.status) === UnitStatus.Dispensed) {
      const before = { blockNumber: receipt.blockNumber, index: receipt.logs[0].index };
      recorded = String((await basketDispenserBefore(deployed, unit.batchId, BigInt(unit.index), before)) ?? 0n);
    }
    const reportNo = String(report.args.reportNo);
    const { caseId, failure } = await openCloneCase(
      deployed,
      signer,
      unit.batchId,
      unit.index,
      `clone detected at dispensing: reported as suspect #${reportNo}`,
    );
    const noCase = failure === "" ? "" : `; ${failure}`;
    const alarm =
      `suspect unit ${unit.canonical}: already ${previous} by party ${recorded}; ` +
      `reported as suspect #${reportNo} of batch ${unit.batchId}${noCase}`;
    return {
      json: { status: "suspect", ...base, previous, recordedParty: recorded, reportNo, caseId },
      human:
        `${unit.canonical}: SUSPECT — already ${previous} by party ${recorded}; ` +
        (caseId === null ? "no suspect case opened" : `suspect case ${caseId} opened`),
      alarm,
    };
  }
  const [changed] = eventsNamed(batches, receipt, "UnitStatusChanged");
  return {
    json: { status: "dispensed", ...base, party: String(changed.args.party) },
    human: `${unit.canonical}: dispensed by party ${String(changed.args.party)}`,
  };
}

export default taskAction(run);
