/**
 * Parties and signers as people name them: a party by its id or a unique prefix of its
 * name, and who signed a write (account, party, role).
 */
import { MEMBER_STATUSES, ROLES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import type { Deployed } from "./runtime.js";
import { parseId, required, signerLine } from "./runtime.js";

/**
 * The party `value` names: a positive id, or a unique case-insensitive prefix of a
 * party's name (a refusal lists the candidates when several match).
 */
export async function resolveParty(
  deployed: Pick<Deployed, "registry" | "record">,
  option: string,
  value: string | undefined,
): Promise<bigint> {
  const text = required(option, value);
  if (/^\d+$/.test(text)) return parseId(option, text);
  const wanted = text.toLowerCase();
  const matches = (await partyNames(deployed)).filter((p) => p.name.toLowerCase().startsWith(wanted));
  // Never the exact match among several: a party admitted under a name that is the prefix
  // of a rival's ("Xihu") would otherwise capture what people send to the rival by name.
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new UserError(`invalid ${option} "${text}": no party's id or name starts with it (\`party list\` shows them)`);
  throw new UserError(
    `invalid ${option} "${text}": ${matches.length} parties' names start with it (${matches.map((m) => `${m.id} ${m.name}`).join("; ")})`,
  );
}

/** Every party's id and name, from its `PartyAdmitted` event (one log query; names never change). */
export async function partyNames(deployed: Pick<Deployed, "registry" | "record">): Promise<{ id: bigint; name: string }[]> {
  const { registry, record } = deployed;
  const admitted = await registry.queryFilter(registry.filters.PartyAdmitted(), Number(record.block));
  return admitted.map((e) => ({ id: e.args.partyId, name: e.args.name }));
}

/** `party 3 (Jiangnan Pharma Wholesale)`: a party as human output names it. */
export function partyLabel(names: { id: bigint; name: string }[], id: bigint | string): string {
  const party = names.find((p) => p.id === BigInt(id));
  return party === undefined ? `party ${id}` : `party ${id} (${party.name})`;
}

/** Who an account is in the consortium: its party and role (party 0, role none for a stranger). */
export async function memberOf(
  deployed: Pick<Deployed, "registry">,
  account: string,
): Promise<{ account: string; partyId: bigint; role: string; status: string }> {
  const member = await deployed.registry.getMember(account);
  return { account, partyId: member.partyId, role: enumName(ROLES, member.role), status: enumName(MEMBER_STATUSES, member.status) };
}

/** `signed by 0xf39F…2266 (admin of party 1, Zhejiang MPA)`: what a write task says of its signer. */
export async function signedBy(_deployed: Pick<Deployed, "registry">, account: string): Promise<string> {
  return signerLine(account);
}
