import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { DOMAINS, LICENCE_KINDS, MEMBER_STATUSES, PARTY_STATUSES, ROLES, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { partyLabel, partyNames, resolveParty } from "../lib/parties.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

interface Args {
  party?: string;
  json: boolean;
}

/**
 * A party: name, domain, status, voting seat, primary admin, whether it may act now; its
 * members (every account its `MemberAdded` and `MemberRotated` events name, with the
 * role and standing the member view holds now); its licences (every kind its
 * `LicenceGranted` events name, as the licence view holds it now, valid or not); and the
 * products it holds (`ProductRegistered`/`ProductReassigned` events naming it, checked
 * against the product view).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const { registry, batches, record, ethers } = deployed;
  const partyId = await resolveParty(deployed, "--party", args.party);
  const from = Number(record.block);
  // Unknown ids are refused here with RegistryUnknownParty(partyId).
  const party = await registry.getParty(partyId);
  const [names, canAct, added, rotated, granted, registered, reassigned, latest] = await Promise.all([
    partyNames(deployed),
    registry.isPartyActive(partyId),
    registry.queryFilter(registry.filters.MemberAdded(partyId), from),
    registry.queryFilter(registry.filters.MemberRotated(partyId), from),
    registry.queryFilter(registry.filters.LicenceGranted(partyId), from),
    batches.queryFilter(batches.filters.ProductRegistered(undefined, partyId), from),
    batches.queryFilter(batches.filters.ProductReassigned(undefined, undefined, partyId), from),
    ethers.provider.getBlock("latest"),
  ]);
  const now = BigInt(latest?.timestamp ?? 0);

  const accounts = [...new Set([...added.map((e) => e.args.account), ...rotated.map((e) => e.args.account)])];
  const members = [];
  for (const account of accounts) {
    const m = await registry.getMember(account);
    members.push({
      account,
      role: enumName(ROLES, m.role),
      status: enumName(MEMBER_STATUSES, m.status),
      primary: account.toLowerCase() === party.admin.toLowerCase(),
    });
  }

  const licences = [];
  for (const kind of [...new Set(granted.map((e) => e.args.kind))].sort((a, b) => Number(a - b))) {
    const l = await registry.getLicence(partyId, kind);
    licences.push({
      kind: enumName(LICENCE_KINDS, kind),
      documentHash: l.documentHash,
      issuer: l.issuer.toString(),
      expiresAt: isoDate(l.expiresAt),
      revoked: l.revoked,
      valid: !l.revoked && l.expiresAt > now,
    });
  }

  const products = [];
  for (const gtin of [...new Set([...registered, ...reassigned].map((e) => e.args.gtin))]) {
    const p = await batches.getProduct(gtin);
    if (p.holder === partyId) products.push({ gtin: gtin.toString().padStart(14, "0"), name: p.name });
  }

  const json = {
    partyId: partyId.toString(),
    name: party.name,
    domain: enumName(DOMAINS, party.domain),
    status: enumName(PARTY_STATUSES, party.status),
    voter: party.voter,
    admin: party.admin,
    canAct,
    licencesValidUntil: isoDate(party.licencesValidUntil),
    members,
    licences,
    products,
  };
  const issuer = (id: string) => (id === "0" ? "an authority outside the consortium" : partyLabel(names, id));
  const human = [
    `party ${json.partyId} (${json.name}): ${json.domain}, ${json.status}${json.voter ? ", voter" : ""}${canAct || json.status !== "active" ? "" : " (blocked: a licence expired or was revoked)"}`,
    `  admin ${json.admin}`,
    `  members:${members.length === 0 ? " none" : ""}`,
    ...members.map((m) => `    ${m.account}  ${m.role}${m.primary ? " (primary)" : ""}${m.status === "active" ? "" : `, ${m.status}`}`),
    `  licences:${licences.length === 0 ? " none" : ""}`,
    ...licences.map(
      (l) =>
        `    ${l.kind} until ${l.expiresAt === null ? "never" : l.expiresAt.slice(0, 10)}, issued by ${issuer(l.issuer)}` +
        `${l.revoked ? ", revoked" : l.valid ? "" : ", expired"}`,
    ),
    `  products:${products.length === 0 ? " none" : ""}`,
    ...products.map((p) => `    ${p.gtin}  ${p.name}`),
  ].join("\n");
  return { json, human };
}

export default taskAction(run);
