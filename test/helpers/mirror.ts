/** What the registry pushed to a membership mirror, as comparable strings. */
import type { ContractTransactionResponse, Interface } from "ethers";

/** A mirror as the push helpers need it: its address and its interface (for MemberMirrored / PartyMirrored). */
export interface MirrorLike {
  getAddress(): Promise<string>;
  interface: Pick<Interface, "parseLog">;
}

/** The pushes a transaction made to `mirror` (MemberMirrored / PartyMirrored), in log order. */
export async function pushesTo(tx: ContractTransactionResponse, mirror: MirrorLike): Promise<string[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const address = (await mirror.getAddress()).toLowerCase();
  const pushes: string[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = mirror.interface.parseLog(log);
    if (parsed === null || !parsed.name.endsWith("Mirrored")) continue;
    pushes.push(`${parsed.name}(${parsed.args.map((a: unknown) => String(a)).join(", ")})`);
  }
  return pushes;
}

/** The push of a member record, as {@link pushesTo} prints it. */
export const memberPush = (account: string, partyId: bigint, role: number, status: number): string =>
  `MemberMirrored(${account}, ${partyId}, ${role}, ${status})`;

/** The push of a party gate, as {@link pushesTo} prints it. */
export const partyPush = (partyId: bigint, domain: number, status: number, revoked: number, validUntil: bigint): string =>
  `PartyMirrored(${partyId}, ${domain}, ${status}, ${revoked}, ${validUntil})`;
