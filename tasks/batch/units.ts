import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { normaliseGtin } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { type UnitFileFormat, writeUnitFile } from "../../sdk/unit-files.js";
import { progress } from "../lib/progress.js";
import { type TaskResult, openDeployment, required, taskAction } from "../lib/runtime.js";

interface Args {
  gtin?: string;
  lot?: string;
  expiry?: string;
  count?: string;
  serialPrefix?: string;
  first?: string;
  format?: string;
  productCode?: string;
  out?: string;
  force: boolean;
  json: boolean;
}

/** A whole number as the operator typed it (no sign, no exponent, no separators). */
function parseWhole(option: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UserError(`invalid ${option} "${text}": expected a whole number${min > 0 ? ` of at least ${min}` : ""}`);
  }
  return value;
}

function parseFormat(text: string | undefined): UnitFileFormat {
  const format = (text ?? "gs1").trim().toLowerCase();
  if (format === "gs1" || format === "china") return format;
  throw new UserError(`invalid --format "${text}": expected gs1 or china`);
}

/**
 * Writes the unit file of a lot that `batch create --units` takes: GS1 element strings
 * (default) or China's 20-digit codes, serial = prefix + zero-padded index (see
 * sdk/unit-files.ts). Works offline, except that China's codes without `--product-code`
 * take the product's national code from the chain. Streams: a million units in well under
 * a second, with a progress bar on a terminal.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const gtin = normaliseGtin(required("--gtin", args.gtin));
  const lot = required("--lot", args.lot);
  const expiry = required("--expiry", args.expiry);
  const count = parseWhole("--count", required("--count", args.count), 1);
  const first = args.first === undefined ? 0 : parseWhole("--first", args.first.trim(), 0);
  const format = parseFormat(args.format);
  const out = required("--out", args.out);
  let productCode = args.productCode?.trim();
  if (productCode !== undefined && format !== "china") throw new UserError("--product-code is for --format china");
  if (format === "china" && productCode === undefined) productCode = await nationalCode(hre, gtin);

  const bar = progress("writing units ", args.json);
  const written = await writeUnitFile(
    out,
    { gtin, lot, expiry, count, first, serialPrefix: args.serialPrefix, format, productCode },
    { force: args.force, onProgress: (done, total) => bar.update(done, total) },
  );
  bar.stop();
  return {
    json: {
      file: written.file,
      gtin,
      lot,
      expiry,
      count: count.toString(),
      first: written.firstCode,
      last: written.lastCode,
      format,
    },
    human:
      `wrote ${count} unit code${count === 1 ? "" : "s"} of GTIN ${gtin}, lot ${lot}, expiry ${expiry} to ${written.file} ` +
      `(${written.firstCode} … ${written.lastCode}); create the batch with ` +
      `\`batch create --gtin ${gtin} --lot ${lot} --expiry ${expiry} --units ${written.file} …\``,
  };
}

/** The product's 7-digit national code, from the chain: China's codes start with it. */
async function nationalCode(hre: HardhatRuntimeEnvironment, gtin: string): Promise<string> {
  const { batches } = await openDeployment(hre);
  const product = await batches.getProduct(BigInt(gtin));
  if (product.nationalCode === 0n) {
    throw new UserError(`product ${gtin} has no national code on the chain: give China's 7-digit product code with --product-code`);
  }
  return product.nationalCode.toString().padStart(7, "0");
}

export default taskAction(run);
