
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { makeDirectory } from "../../sdk/files.js";
import { parseDate } from "../../sdk/licences.js";
import { buildUnitTree, readUnitFile, saveUnitDump } from "../../sdk/units.js";
import { progress } from "../lib/progress.js";
import { type TaskResult, eventsNamed, openDeployment, required, resolveSigner, send, taskAction } from "../lib/runtime.js";
import { parseQuantity, unitsDir } from "../lib/supply.js";

interface Args {
  gtin?: string;
  lot?: string;
  manufactured?: string;
  expiry?: string;
  quantity?: string;
  units?: string;
  from?: string;
  json: boolean;
}

/**
 * Reads the unit file (every code checked against the product, lot and expiry),
 * commits the units as a Merkle root, keeps the unit dump beside the deployment
 * record (so that verify and dispense can prove any unit later), then creates the
 * batch. Creation costs the same gas for any number of units.
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
  return {
    json: { batchId, gtin, lot, unitsRoot: root, unitCount: count.toString(), quantity: quantity.toString(), dump },
    human: `batch ${batchId} created (GTIN ${gtin}, lot ${lot}): ${quantity} in production, ${count} units committed as ${root}`,
  };
}

export default taskAction(run);
