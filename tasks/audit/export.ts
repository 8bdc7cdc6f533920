import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { DEFAULT_COMPANY_PREFIX_LENGTH, buildEpcisDocument } from "../../sdk/epcis.js";
import { UserError } from "../../sdk/errors.js";
import { checkWritable, writeAtomically } from "../../sdk/files.js";
import { loadBatchHistory } from "../lib/history.js";
import { withBulkEvents } from "./bulk-history.js";
import { type TaskResult, openDeployment, required, taskAction } from "../lib/runtime.js";
import { batchIdFromText, resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  format?: string;
  out?: string;
  companyPrefixLength?: string;
  json: boolean;
}

/**
 * Writes a batch's history as a GS1 EPCIS 2.0 JSON-LD EPCISDocument (sdk/epcis.ts):
 * ObjectEvents for commissioning, shipping, receiving, observations with sensor
 * readings, stops, recalls, returns, destruction and dispensing, pallets (one shipping and
 * one closing event, a quantity per line) and basket dispenses (one event per basket).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  batchIdFromText("--batch", args.batch);
  const format = required("--format", args.format).toLowerCase();
  if (format !== "epcis") throw new UserError(`invalid --format "${args.format}": expected epcis`);
  const out = path.resolve(required("--out", args.out));
  const prefixText = args.companyPrefixLength?.trim() ?? String(DEFAULT_COMPANY_PREFIX_LENGTH);
  const companyPrefixLength = Number(prefixText);
  if (!/^\d+$/.test(prefixText) || companyPrefixLength < 6 || companyPrefixLength > 12) {
    throw new UserError(`invalid --company-prefix-length "${prefixText}": expected 6…12 digits`);
  }
  await checkWritable(out);
  const deployed = await openDeployment(hre);
  const batchId = await resolveBatch(hre, deployed, "--batch", args.batch);
  const history = await withBulkEvents(deployed, await loadBatchHistory(hre, deployed, batchId));
  const document = buildEpcisDocument(
    history.events,
    {
      batchId,
      gtin: history.gtin,
      lot: history.lot,
      expiry: history.expiry,
      ...(history.productName === undefined ? {} : { productName: history.productName }),
      parties: history.parties,
      states: history.states,
      ...(history.unitCodes === undefined ? {} : { unitCodes: history.unitCodes }),
      lineBatches: history.lineBatches,
    },
    { companyPrefixLength, creationDate: new Date() },
  );
  await writeAtomically(out, `${JSON.stringify(document, null, 2)}\n`);
  const events = document.epcisBody.eventList.length;
  return {
    json: {
      file: out,
      events: String(events),
      batchId,
      format: "epcis-2.0-jsonld",
      companyPrefixLength: String(companyPrefixLength),
    },
    human: `wrote ${events} EPCIS 2.0 events of batch ${batchId} (GTIN ${history.gtin} lot ${history.lot}) to ${out}`,
  };
}

export default taskAction(run);
