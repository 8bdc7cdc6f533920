import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { ROLES, enumName } from "../../sdk/enums.js";
import { describeError, errorName } from "../../sdk/errors.js";
import { mirrorFailures, mirrorWarning, proposeCall } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseAddress, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { resolveParty } from "../lib/parties.js";

interface Args {
  party?: string;
  account?: string;
  newAccount?: string;
  from?: string;
  json: boolean;
}

/**
 * Replaces a member's key, keeping its role and history. An admin of the party rotates
 * any member's key but the primary admin's, which only that key itself rotates. A primary
 * admin key rotated by anyone else (the key is lost) goes to governance: the signer (an
 * admin of a voting party) proposes a Call to `ConsortiumRegistry.rotateMember` and casts
 * its party's approval, as `product rules` does. The new key must be fresh and not
 * reserved for a pending admission.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const previous = parseAddress("--account", args.account);
  const account = parseAddress("--new-account", args.newAccount);
  const deployed = await openDeployment(hre);
  const { ethers, registry, governor } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(ethers, args.from);
  try {
    await registry.connect(signer).rotateMember.staticCall(partyId, previous, account);
  } catch (error) {
    const refusal = errorName(error);
    const primary = (await registry.getParty(partyId).catch(() => undefined))?.admin === previous;
    if (!(refusal === "RegistryPrimaryAdminRotation" || (refusal === "RegistryNotPartyAdmin" && primary))) throw error;
    const role = enumName(ROLES, (await registry.getMember(previous)).role);
    const what = `rotate party ${partyId}'s primary admin ${previous} to ${account}`;
    const proposal = await proposeCall(
      { governor },
      signer,
      await registry.getAddress(),
      registry.interface.encodeFunctionData("rotateMember", [partyId, previous, account]),
      what,
      (reason) => `${describeError(error)}; a governance proposal to do it is refused too: ${reason}`,
    );
    return {
      json: { partyId: partyId.toString(), account, previous, role, ...proposal.json, rotated: proposal.executed },
      human: `${describeError(error)}: proposed instead\n${proposal.human}`,
    };
  }
  const receipt = await send(registry.connect(signer).rotateMember(partyId, previous, account));
  const role = enumName(ROLES, (await registry.getMember(account)).role);
  const failed = mirrorFailures(registry, receipt);
  return {
    json: { partyId: partyId.toString(), account, previous, role, ...(failed.length > 0 ? { mirrorPushFailed: failed } : {}) },
    human: `party ${partyId}: ${previous} rotated to ${account} (${role})${mirrorWarning(failed)}`,
  };
}

export default taskAction(run);
