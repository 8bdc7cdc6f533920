import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError, describeError, errorName } from "../../sdk/errors.js";
import { evidenceHashOf } from "../lib/evidence.js";
import { openDeployment, required, taskAction, type TaskResult } from "../lib/runtime.js";
import { type CaseArgs, advanceCase } from "../lib/suspect.js";
import { parseIdText, resolveId } from "../lib/references.js";

interface Args extends CaseArgs {
  finding?: string;
  evidence?: string;
}

const FINDINGS = ["legitimate", "illegitimate"] as const;

/**
 * Concludes an investigation: legitimate (the regulator only: clearing a suspicion about
 * its own product is the holder's conflict of interest) puts the quarantined stock back
 * with the reporter; illegitimate (the regulator or the product's holder) starts the
 * 24-hour clock for notifying the regulator and trading partners.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const caseIdText = parseIdText("--case", args.case);
  const finding = required("--finding", args.finding).toLowerCase();
  if (!(FINDINGS as readonly string[]).includes(finding)) {
    throw new UserError(`invalid --finding "${args.finding?.trim()}": expected one of ${FINDINGS.join(", ")}`);
  }
  const evidenceHash = await evidenceHashOf("--evidence", args.evidence);
  const deployed = await openDeployment(hre);
  const caseId = await resolveId(deployed, "--case", caseIdText, "case");
  let result: Awaited<ReturnType<typeof advanceCase>>;
  try {
    result = await advanceCase(deployed, caseId, args.from, (s) => s.concludeSuspect(caseId, finding === "illegitimate", evidenceHash));
  } catch (error) {
    if (errorName(error) !== "SuspectNotAllowed") throw error;
    throw new UserError(
      `${describeError(error)}: ${
        finding === "legitimate"
          ? "only the regulator clears a case (the product's holder may conclude it illegitimate, not clear its own product)"
          : "only the regulator or the product's holder concludes a case"
      }`,
    );
  }
  return { json: { ...result.json, finding, evidenceHash }, human: result.human };
}

export default taskAction(run);
