/**
 * Parties and signers as people name them: a party by its id or a unique prefix of its
 * name, and who signed a write (account, party, role).
 */
import { MEMBER_STATUSES, ROLES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import type { Deployed } from "./runtime.js";
import { parseId, required } from "./runtime.js";

/**
 * The party `value` names: a positive id, or a unique case-insensitive prefix of a
 * party's name (a refusal lists the candidates when several match).
 */
export async function resolveParty(deployed: Pick<Deployed, "registry">, option: string, value: string | undefined): Promise<bigint> {
  const text = required(option, value);
  if (/^\d+$/.test(text)) return parseId(option, text);
  const { registry } = deployed;
  const count = await registry.partyCount();
  const wanted = text.toLowerCase();
  const matches: { id: bigint; name: string }[] = [];
  for (let id = 1n; id <= count; id++) {
    const party = await registry.getParty(id);
    if (party.name.toLowerCase().startsWith(wanted)) matches.push({ id, name: party.name });
  }
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new UserError(`invalid ${option} "${text}": no party's id or name starts with it`);
  throw new UserError(
    `invalid ${option} "${text}": ${matches.length} parties' names start with it (${matches.map((m) => `${m.id} ${m.name}`).join("; ")})`,
  );
}

/** Who an account is in the consortium: its party and role (party 0, role none for a stranger). */
export async function memberOf(
  deployed: Pick<Deployed, "registry">,
  account: string,
): Promise<{ account: string; partyId: bigint; role: string; status: string }> {
  const member = await deployed.registry.getMember(account);
  return { account, partyId: member.partyId, role: enumName(ROLES, member.role), status: enumName(MEMBER_STATUSES, member.status) };
}

/** `signed by 0xf39F…2266 (admin of party 1)`: what a write task says of its signer. */
export async function signedBy(deployed: Pick<Deployed, "registry">, account: string): Promise<string> {
  const member = await memberOf(deployed, account);
  const short = `${account.slice(0, 6)}…${account.slice(-4)}`;
  return member.partyId === 0n ? `signed by ${short} (no member)` : `signed by ${short} (${member.role} of party ${member.partyId})`;
}
