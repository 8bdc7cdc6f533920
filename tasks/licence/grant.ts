import { readFile } from "node:fs/promises";

import { keccak256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { LICENCE_KINDS, parseEnum } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { isoDate, parseDate } from "../../sdk/licences.js";
import { isCalendarDate } from "../../sdk/unit-files.js";
import { proposeCall } from "../lib/governance.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { regulatorParty } from "./revoke.js";

interface Args {
  party?: string;
  kind?: string;
  file?: string;
  hash?: string;
  until?: string;
  issuer?: string;
  from?: string;
  json: boolean;
}

/** The licence document's keccak-256: of `--file`, or `--hash` as given (exactly one of them). */
async function documentHash(file: string | undefined, hash: string | undefined): Promise<string> {
  if ((file === undefined) === (hash === undefined)) throw new UserError("give the licence document as --file FILE or --hash 0x…, one of them");
  if (hash !== undefined) {
    const text = hash.trim();
    if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new UserError(`invalid --hash "${text}": expected 0x and 64 hex digits (the document's keccak-256)`);
    return text.toLowerCase();
  }
  try {
    return keccak256(await readFile(required("--file", file)));
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read --file ${file}: ${(error as { code?: string }).code === "ENOENT" ? "no such file" : (error as Error).message.split("\n")[0]}`);
  }
}

/**
 * Grants or renews a party's licence. Licensing is the regulator's power: a regulator's
 * admin or operator grants at once, as issuer (its own party). Anyone else proposes it to
 * the consortium (a governance Call to `ConsortiumRegistry.grantLicence`, with the issuer
 * as `--issuer` says, default 0: an authority outside the consortium), casting its party's
 * approval; the call is run first as the governor and undone, so a grant that could never
 * execute is refused at once.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  required("--party", args.party);
  const kind = parseEnum(LICENCE_KINDS, "--kind", required("--kind", args.kind));
  const hash = await documentHash(args.file, args.hash);
  const until = required("--until", args.until);
  if (!isCalendarDate(until)) throw new UserError(`invalid --until "${until}": expected a date YYYY-MM-DD`);
  const expiresAt = parseDate("--until", until);
  const deployed = await openDeployment(hre);
  const { ethers, registry, governor } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const issuer = args.issuer === undefined ? undefined : await resolveParty(deployed, "--issuer", args.issuer);
  const signer = await resolveSigner(ethers, args.from);
  const names = await partyNames(deployed);
  const kindName = LICENCE_KINDS[kind];
  const common = { partyId: partyId.toString(), licence: kindName, documentHash: hash, until: isoDate(expiresAt) };

  const regulator = await regulatorParty(registry, signer.address);
  if (regulator !== undefined) {
    if (issuer !== undefined && issuer !== regulator) {
      throw new UserError(
        `a regulator grants a licence as its issuer (${partyLabel(names, regulator)}), not --issuer ${issuer}: ` +
          "a licence of another issuer is granted by governance, proposed by an admin of another voting party",
      );
    }
    const receipt = await send(registry.connect(signer).grantLicence(partyId, { kind, documentHash: hash, issuer: regulator, expiresAt }));
    const [granted] = eventsNamed(registry, receipt, "LicenceGranted");
    const validUntil = isoDate(granted.args.licencesValidUntil as bigint);
    return {
      json: { ...common, issuer: String(granted.args.issuer), by: "regulator", licencesValidUntil: validUntil, granted: true },
      human:
        `licence ${kindName} of ${partyLabel(names, partyId)} granted by ${partyLabel(names, regulator)}, valid until ${isoDate(expiresAt)} ` +
        `(document ${hash}); its licences are now valid until ${validUntil ?? "further notice"}`,
    };
  }

  const grant = { kind, documentHash: hash, issuer: issuer ?? 0n, expiresAt };
  const what = `grant ${partyLabel(names, partyId)} licence ${kindName} until ${isoDate(expiresAt)}`;
  const proposal = await proposeCall(
    { governor },
    signer,
    await registry.getAddress(),
    registry.interface.encodeFunctionData("grantLicence", [partyId, grant]),
    what,
    (reason) => `cannot propose to ${what}: ${reason}`,
  );
  return {
    json: { ...common, issuer: grant.issuer.toString(), by: "governance", ...proposal.json, granted: proposal.executed },
    human: proposal.human,
  };
}

export default taskAction(run);
