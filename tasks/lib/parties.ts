/**
 * Parties as people name them: by their id or a unique prefix of their name, and in
 * human output by id and name.
 */
import { UserError } from "../../sdk/errors.js";
import type { Deployed } from "./runtime.js";
import { parseId, partyNamesOf, required } from "./runtime.js";

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

/** Every party's id and name, from its `PartyAdmitted` event (read once per deployment: names never change). */
export async function partyNames(deployed: Pick<Deployed, "registry" | "record">): Promise<{ id: bigint; name: string }[]> {
  return [...(await partyNamesOf(deployed))].map(([id, name]) => ({ id, name }));
}

/** `party 3 (Jiangnan Pharma Wholesale)`: a party as human output names it. */
export function partyLabel(names: { id: bigint; name: string }[], id: bigint | string): string {
  const party = names.find((p) => p.id === BigInt(id));
  return party === undefined ? `party ${id}` : `party ${id} (${party.name})`;
}
