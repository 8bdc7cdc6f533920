import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { isoDate } from "../../sdk/licences.js";
import { resolveParty, signedBy } from "../lib/parties.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { nationalCodeJson } from "./register.js";

interface Args {
  gtin?: string;
  applicant?: string;
  from?: string;
  json: boolean;
}

/**
 * The regulator (an admin or operator of a regulator party) approves a manufacturer's
 * application: the product is registered with the applicant as its holder, and its GTIN
 * and national code are bound to it. Refused when the GTIN or the national code was taken
 * meanwhile, or the applicant is no longer an active manufacturer.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const deployed = await openDeployment(hre);
  const applicant = await resolveParty(deployed, "--applicant", args.applicant);
  const { ethers, batches } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  const receipt = await send(batches.connect(signer).approveProduct(BigInt(gtin), applicant));
  const [registered] = eventsNamed(batches, receipt, "ProductRegistered");
  const product = await batches.getProduct(BigInt(gtin));
  const regulator = (await deployed.registry.getMember(signer.address)).partyId.toString();
  const nationalCode = nationalCodeJson(registered.args.nationalCode as bigint);
  const name = String(registered.args.name);
  const approvalNo = String(registered.args.approvalNo);
  return {
    json: {
      gtin,
      holder: String(registered.args.holder),
      nationalCode,
      name,
      approvalNo,
      registeredAt: isoDate(product.registeredAt),
      approvedBy: regulator,
    },
    human:
      `product ${gtin} "${name}" (${approvalNo}) registered, held by party ${String(registered.args.holder)}` +
      `${nationalCode === null ? "" : `, national code ${nationalCode}`}; approved by party ${regulator} — ${await signedBy(deployed, signer.address)}`,
  };
}

export default taskAction(run);
