
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { makeDirectory } from "../../sdk/files.js";
import { parseDate } from "../../sdk/licences.js";
import { buildUnitTree, readUnitFile, saveUnitDump } from "../../sdk/units.js";
import { progress } from "../lib/progress.js";
import { checkPublishTarget, publishBatch, publishedLine } from "../lib/publish.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { parseQuantity, unitsDir } from "../lib/supply.js";

interface Args {
  gtin?: string;
  lot?: string;
  manufactured?: string;
  expiry?: string;
  quantity?: string;
  units?: string;
  /** A gateway to publish the unit list to, once the batch is created. */
  publish?: string;
  from?: string;
  json: boolean;
}

/**
 * Reads the unit file (every code checked against the product, lot and expiry),
 * commits the units as a Merkle root, keeps the unit dump beside the deployment
 * record (so that verify and dispense can prove any unit later), then creates the
 * batch. Creation costs the same gas for any number of units. With `--publish URL`, the
 * unit list (unit hashes, not codes) goes to that gateway next, signed by the same
 * member; the gateway is checked to serve this deployment before anything is written, and
 * a publication that fails after the batch was created is an alarm (the batch stands;
 * `batch publish` retries).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const lot = required("--lot", args.lot);
  const manufacturedAt = parseDate("--manufactured", required("--manufactured", args.manufactured));
  const expiryText = required("--expiry", args.expiry);
  const expiresAt = parseDate("--expiry", expiryText);
  const quantity = parseQuantity("--quantity", args.quantity);
  const unitsFile = required("--units", args.units);

  const deployed = await openDeployment(hre);
  const { ethers, batches, chainId } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  const gateway = args.publish === undefined ? undefined : await checkPublishTarget(deployed, args.publish);
  const product = await batches.getProduct(BigInt(gtin));
  const productCode = product.nationalCode === 0n ? undefined : product.nationalCode.toString().padStart(7, "0");

  const reading = progress("reading units ", args.json);
  const file = await readUnitFile(unitsFile, {
    batch: { gtin, lot, expiry: expiryText.slice(0, 10), productCode },
    onProgress: (done, total) => reading.update(done, total),
  });
  reading.stop();
  const hashing = progress("hashing units ", args.json);
  // Leaves in unit order: the units of a case or carton, numbered in a row, sit side by
  // side in the tree, so a basket of them has a short multiproof.
  const { root, count, tree } = await buildUnitTree(file.codes, {
    order: "index",
    lines: file.lines,
    onProgress: (done, total) => hashing.update(done, total),
  });
  hashing.stop();
  const dir = unitsDir(hre, chainId);
  await makeDirectory(dir);
  const dump = await saveUnitDump(dir, { root, gtin, lot, codes: file.codes, tree });

  const receipt = await send(
    batches.connect(signer).createBatch({
      gtin: BigInt(gtin),
      lot,
      manufacturedAt,
      expiresAt,
      quantity,
      unitsRoot: root,
      unitCount: count,
    }),
  );
  const [created] = eventsNamed(batches, receipt, "BatchCreated");
  const batchId = String(created.args.batchId);
  const json: Record<string, unknown> = { batchId, gtin, lot, unitsRoot: root, unitCount: count.toString(), quantity: quantity.toString(), dump };
  let human = `batch ${batchId} created (GTIN ${gtin}, lot ${lot}): ${quantity} in production, ${count} units committed as ${root}`;
  if (gateway === undefined) return { json, human };
  try {
    const receipt = await publishBatch(deployed, signer, batchId, tree, gateway);
    json.published = { gateway: gateway.origin, ...receipt };
    human += `; ${publishedLine(receipt, gateway)}`;
    return { json, human };
  } catch (error) {
    json.published = null;
    const retry = `npx hardhat batch publish --batch ${gtin}/${lot} --gateway ${gateway.origin} --from …`;
    return { json, human, alarm: `the batch was created, but its unit list was not published: ${(error as Error).message} (retry with \`${retry}\`)` };
  }
}

export default taskAction(run);
