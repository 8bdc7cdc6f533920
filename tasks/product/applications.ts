import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin, productApplicationHash } from "../../sdk/codes.js";
import { isoDate } from "../../sdk/licences.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { nationalCodeJson } from "./register.js";

interface Args {
  gtin?: string;
  json: boolean;
}

/**
 * Pending product applications, for the regulator to approve: every (GTIN, applicant)
 * that a ProductApplied event names and whose application the `productApplication` view
 * still holds (approval deletes it; a later application by the same party replaces it,
 * and the view shows the latest). Each says whether it can still be approved: not when
 * the GTIN was registered meanwhile or its national code is taken. Each carries its
 * application hash: the regulator approves exactly what it examined with
 * `product approve --application <hash>`, refused if the applicant replaced it since.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = args.gtin === undefined ? undefined : BigInt(normaliseGtin(args.gtin));
  const { batches, record } = await openDeployment(hre);
  const events = await batches.queryFilter(batches.filters.ProductApplied(gtin), Number(record.block));
  const seen = new Set<string>();
  const pending = [];
  for (const event of events) {
    const key = `${event.args.gtin}/${event.args.applicant}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const application = await batches.productApplication(event.args.gtin, event.args.applicant);
    if (application.holder === 0n) continue;
    const registered = await batches.getProduct(event.args.gtin).then(
      (p) => p.holder,
      () => 0n,
    );
    const codeHolder = application.nationalCode === 0n ? 0n : await batches.productOfNationalCode(application.nationalCode);
    const blockedBy =
      registered !== 0n
        ? `product registered, held by party ${registered}`
        : codeHolder !== 0n
          ? `national code taken by product ${codeHolder.toString().padStart(14, "0")}`
          : null;
    pending.push({
      gtin: event.args.gtin.toString().padStart(14, "0"),
      applicant: event.args.applicant.toString(),
      name: application.name,
      approvalNo: application.approvalNo,
      nationalCode: nationalCodeJson(application.nationalCode),
      appliedAt: isoDate(application.registeredAt),
      applicationHash: productApplicationHash(application),
      approvable: blockedBy === null,
      blockedBy,
    });
  }
  const human =
    pending.length === 0
      ? "no pending product applications"
      : pending
          .map(
            (a) =>
              `${a.gtin} "${a.name}" (${a.approvalNo}${a.nationalCode === null ? "" : `, national code ${a.nationalCode}`}) ` +
              `applied for by party ${a.applicant} at ${a.appliedAt}, application ${a.applicationHash}: ` +
              `${a.blockedBy === null ? "awaits approval" : `cannot be approved, ${a.blockedBy}`}`,
          )
          .join("\n");
  return { json: pending, human, wholeIds: true };
}

export default taskAction(run);
