/**
 * Publishing a batch's unit list to a gateway, for `batch create --publish` and
 * `batch publish`: the unit hashes of the tree (never the codes), signed with EIP-712 by
 * `--from`, who must be a member of the batch's maker party.
 */
import type { Signer } from "ethers";

import { type PublicationReceipt, checkGateway, heldList, publicationDomain, publishUnitList, signPublication } from "../../sdk/publication.js";
import type { UnitTree } from "../../sdk/units.js";
import type { Deployed } from "./runtime.js";

/** Checks the gateway serves this deployment (before anything is written). */
export function checkPublishTarget(deployed: Deployed, url: string): Promise<URL> {
  return checkGateway(url, deployed.chainId, deployed.record.contracts.BatchRegistry);
}

/** The unit hashes of `tree`, in index order. */
export function unitHashesOf(tree: UnitTree): string[] {
  return Array.from({ length: tree.count }, (_, i) => tree.unitHash(i));
}

/**
 * Signs and sends the list of `batchId` (whose units are `tree`) to the gateway at `url`;
 * a list the gateway already holds is reported as such without signing anything.
 */
export async function publishBatch(deployed: Deployed, signer: Signer, batchId: string, tree: UnitTree, url: URL | string): Promise<PublicationReceipt> {
  const held = await heldList(url, tree.root);
  if (held !== undefined) return { root: tree.root, batchId: held.batchId, units: held.units.length, party: null, signer: null, stored: false };
  const domain = publicationDomain(deployed.chainId, deployed.record.contracts.BatchRegistry);
  const publication = await signPublication(signer, domain, { batchId, root: tree.root, units: unitHashesOf(tree) });
  return publishUnitList(String(url), publication);
}

/** How a task says a list was published. */
export function publishedLine(receipt: PublicationReceipt, url: URL | string): string {
  const where = new URL(String(url)).origin;
  return receipt.stored
    ? `unit list published to ${where}: ${receipt.units} units of batch ${receipt.batchId} (root ${receipt.root})`
    : `${where} already held the unit list of batch ${receipt.batchId} (${receipt.units} units, root ${receipt.root})`;
}
