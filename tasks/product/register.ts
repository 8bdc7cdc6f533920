import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  gtin?: string;
  name?: string;
  approvalNo?: string;
  nationalCode?: string;
  rules?: string;
  from?: string;
  json: boolean;
}

/** China's 7-digit product identification code, or 0 for none. */
export function parseNationalCode(option: string, value: string | undefined): number {
  const national = value?.trim() ?? "";
  if (national === "") return 0;
  if (!/^\d{7}$/.test(national)) {
    throw new UserError(`invalid ${option} "${national}": expected China's 7-digit product identification code`);
  }
  return Number(national);
}

/** The 7-digit national code, or null for none. */
export function nationalCodeJson(code: bigint | number): string | null {
  return Number(code) === 0 ? null : String(code).padStart(7, "0");
}

/**
 * The marketing-authorisation holder-to-be (a manufacturer's admin or operator) applies
 * to register a product under its GTIN; the regulator's `product approve` registers it.
 * An application reserves nothing (nobody can squat a GTIN by applying first), and a
 * later application by the same party replaces it. Rules need a registered product:
 * `--rules` is refused here, and `product rules` sets them after the approval.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  if (args.rules !== undefined) {
    throw new UserError(
      `--rules needs a registered product: once the regulator approves the application, run \`product rules --gtin ${gtin} --rules ${args.rules.trim()}\``,
    );
  }
  const name = required("--name", args.name);
  const approvalNo = required("--approval-no", args.approvalNo);
  const nationalCode = parseNationalCode("--national-code", args.nationalCode);
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(batches.connect(signer).registerProduct(BigInt(gtin), name, approvalNo, nationalCode));
  const [applied] = eventsNamed(batches, receipt, "ProductApplied");
  const applicant = String(applied.args.applicant);
  const application = await batches.productApplication(BigInt(gtin), applicant);
  return {
    json: {
      gtin,
      productId: gtin,
      applicant,
      name,
      approvalNo,
      nationalCode: nationalCodeJson(nationalCode),
      status: "applied",
      appliedAt: isoDate(application.registeredAt),
    },
    human:
      `product ${gtin} "${name}" (${approvalNo}): party ${applicant}'s application is recorded and awaits the regulator's approval ` +
      `(\`product approve --gtin ${gtin} --applicant ${applicant}\`)`,
  };
}

export default taskAction(run);
