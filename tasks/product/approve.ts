import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { isHash32, normaliseGtin, productApplicationHash } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { resolveParty } from "../lib/parties.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { nationalCodeJson } from "./register.js";

interface Args {
  gtin?: string;
  applicant?: string;
  application?: string;
  from?: string;
  json: boolean;
}

/** The hash of the application the regulator examined (`product applications` prints it). */
function parseApplicationHash(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = required("--application", value);
  if (!isHash32(text)) {
    throw new UserError(`invalid --application "${text}": expected the application's 0x-prefixed 32-byte hash, as \`product applications\` prints it`);
  }
  return text.toLowerCase();
}

/**
 * The regulator (an admin or operator of a regulator party) approves a manufacturer's
 * application: the product is registered with the applicant as its holder, and its GTIN
 * and national code are bound to it. What is approved is the application as the regulator
 * saw it: with `--application` the hash it examined (printed by `product applications`),
 * else the hash of the pending application this task reads. An application the applicant
 * replaced since (another national code, name or approval number) is refused
 * (BatchRegistryApplicationChanged), as is one whose GTIN or national code was taken
 * meanwhile, or whose applicant is no longer an active manufacturer.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const examined = parseApplicationHash(args.application);
  const deployed = await openDeployment(hre);
  const applicant = await resolveParty(deployed, "--applicant", args.applicant);
  const { ethers, batches } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  // Without --application: the application as read here (none → the contract names the refusal).
  const pending = await batches.productApplication(BigInt(gtin), applicant);
  const application = examined ?? productApplicationHash(pending);
  const receipt = await send(batches.connect(signer).approveProduct(BigInt(gtin), applicant, application));
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
      applicationHash: application,
      registeredAt: isoDate(product.registeredAt),
      approvedBy: regulator,
    },
    human:
      `product ${gtin} "${name}" (${approvalNo}) registered, held by party ${String(registered.args.holder)}` +
      `${nationalCode === null ? "" : `, national code ${nationalCode}`}; application ${application} approved by party ${regulator}`,
  };
}

export default taskAction(run);
