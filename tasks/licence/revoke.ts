import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Domain, LICENCE_KINDS, Role, mask, parseEnum } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { proposeCall } from "../lib/governance.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { type Deployed, type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  kind?: string;
  from?: string;
  json: boolean;
}

/** The party `account` acts for as a regulator's admin or operator (an active regulator party), or undefined. */
export async function regulatorParty(registry: Deployed["registry"], account: string): Promise<bigint | undefined> {
  const [allowed, partyId] = await registry.isAuthorized(account, mask(Role.Admin, Role.Operator), mask(Domain.Regulator));
  return allowed ? partyId : undefined;
}

/**
 * Revokes a party's licence: the party cannot act until it is granted again. A regulator's
 * admin or operator revokes at once; anyone else proposes it to the consortium (a
 * governance Call to `ConsortiumRegistry.revokeLicence`), casting its party's approval,
 * refused at once when the call could never execute.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const kind = parseEnum(LICENCE_KINDS, "--kind", required("--kind", args.kind));
  const deployed = await openDeployment(hre);
  const { ethers, registry, governor } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const signer = await resolveSigner(ethers, args.from);
  const names = await partyNames(deployed);
  const kindName = LICENCE_KINDS[kind];

  const regulator = await regulatorParty(registry, signer.address);
  if (regulator !== undefined) {
    const receipt = await send(registry.connect(signer).revokeLicence(partyId, kind));
    const [revoked] = eventsNamed(registry, receipt, "LicenceRevoked");
    const partyActive = await registry.isPartyActive(partyId);
    return {
      json: {
        partyId: partyId.toString(),
        licence: kindName,
        by: "regulator",
        licencesValidUntil: isoDate(revoked.args.licencesValidUntil as bigint),
        partyActive,
        revoked: true,
      },
      human:
        `licence ${kindName} of ${partyLabel(names, partyId)} revoked by ${partyLabel(names, regulator)}` +
        (partyActive ? "" : `: the party cannot act until it is granted again (\`licence grant --party ${partyId} --kind ${kindName} …\`)`),
    };
  }

  const what = `revoke licence ${kindName} of ${partyLabel(names, partyId)}`;
  const proposal = await proposeCall(
    { governor },
    signer,
    await registry.getAddress(),
    registry.interface.encodeFunctionData("revokeLicence", [partyId, kind]),
    what,
    (reason) => `cannot propose to ${what}: ${reason}`,
  );
  return {
    json: { partyId: partyId.toString(), licence: kindName, by: "governance", ...proposal.json, revoked: proposal.executed },
    human: proposal.human,
  };
}

export default taskAction(run);
