import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { Domain, Role, mask } from "../../sdk/enums.js";
import { UserError, describeError, errorName } from "../../sdk/errors.js";
import { proposeCall } from "../lib/governance.js";
import { describeRules, hasRuleContract, readRulesFile, rulesToJson } from "../lib/rules.js";
import { type TaskResult, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  gtin?: string;
  rules?: string;
  from?: string;
  json: boolean;
}

/**
 * Sets a product's quality rules, the one way the signer may:
 * - directly, when they were never set, the signer is an admin or operator of the
 *   product's holder and the file names no rule contract (the holder's one free setting);
 * - else as a governance proposal of kind Call to `BatchRegistry.setRules(gtin, rules)`,
 *   proposed and approved for the signer's party (an admin of a voting party). The other
 *   voters approve with `party vote --proposal ID`; the approval that meets the threshold
 *   executes it.
 * The rules are first checked as the governor will execute them (a call simulated from
 * the governor's address), so that a proposal that could never execute is refused at once.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const file = required("--rules", args.rules);
  const rules = await readRulesFile(file);
  const { ethers, record, registry, governor, batches, quality } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const id = BigInt(gtin);

  // Unknown products revert here with BatchRegistryUnknownProduct(gtin); one only applied for says so.
  const product = await batches.getProduct(id).catch(async (error: unknown) => {
    if (errorName(error) !== "BatchRegistryUnknownProduct") throw error;
    const [applied] = await batches.queryFilter(batches.filters.ProductApplied(id), Number(record.block));
    if (applied === undefined) throw error;
    throw new UserError(
      `${describeError(error)}: it is not registered yet; its application awaits the regulator's approval ` +
        `(\`product approve --gtin ${gtin} --applicant ${applied.args.applicant}\`)`,
    );
  });
  const [current, alreadySet] = await quality.rulesOf(id);
  const target = record.contracts.BatchRegistry;
  const data = quality.interface.encodeFunctionData("setRules", [id, rules]);
  const governorAddress = await governor.getAddress();
  try {
    await ethers.provider.call({ from: governorAddress, to: target, data });
  } catch (error) {
    throw new UserError(`invalid --rules ${file}: the quality engine refuses them: ${describeError(error)}`);
  }

  const [authorised, party] = await registry.isAuthorized(
    signer.address,
    mask(Role.Admin, Role.Operator),
    mask(Domain.Manufacturer),
  );
  const isHolder = authorised && party === product.holder;
  const rulesJson = rulesToJson(rules);
  const summary = describeRules(rules);

  if (!alreadySet && isHolder && !hasRuleContract(rules)) {
    await send(quality.connect(signer).setRules(id, rules));
    return {
      json: { gtin, set: true, by: "holder", party: party.toString(), rules: rulesJson },
      human: `rules of product ${gtin} set by its holder (party ${party}): ${summary}; later changes need a governance proposal`,
    };
  }

  // Why the holder's direct setting is not open: said when the signer cannot propose either.
  const why = alreadySet
    ? "its rules are already set (changes need a governance proposal)"
    : hasRuleContract(rules)
      ? "a rule contract needs a governance proposal"
      : `${signer.address} is not an admin or operator of its holder, party ${product.holder} (others need a governance proposal)`;
  const proposal = await proposeCall(
    { governor },
    signer,
    target,
    data,
    `set the rules of product ${gtin} to ${summary}`,
    (reason) => `cannot set the rules of product ${gtin}: ${why}, and ${signer.address} may not propose one: ${reason}`,
  );
  return {
    json: {
      gtin,
      ...proposal.json,
      set: proposal.executed,
      rules: rulesJson,
      previous: alreadySet ? rulesToJson(current) : null,
    },
    human: proposal.human,
  };
}

export default taskAction(run);
