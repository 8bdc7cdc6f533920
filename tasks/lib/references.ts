/**
 * Batches as people name them: the 0x id, `GTIN/LOT` (as printed on the pack), or any
 * unit code of the batch (a GS1 element string carrying its lot needs nothing local; a
 * code without its lot — China's 20-digit code — is found in this machine's unit lists).
 */
export { batchIdFromText, shortId };
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseUnitCode } from "../../sdk/codes.js";
import { UserError } from "../../sdk/errors.js";
import { batchIdFromText, shortId } from "../../sdk/references.js";
import { findUnit } from "../../sdk/units.js";
import { type Deployed, required } from "./runtime.js";
import { unitsDir } from "./supply.js";

/**
 * The batch `value` names (see the module's note), checked to exist on this chain when it
 * was named by GTIN/LOT or a code: a typo then says so instead of an unknown 0x id.
 */
export async function resolveBatch(
  hre: HardhatRuntimeEnvironment,
  deployed: Deployed,
  option: string,
  value: string | undefined,
): Promise<string> {
  const text = required(option, value);
  let batchId = batchIdFromText(option, text);
  if (batchId === undefined) {
    const found = await findUnit(unitsDir(hre, deployed.chainId), parseUnitCode(text).canonical);
    if (found === undefined) {
      throw new UserError(`invalid ${option} "${text}": no unit list on this machine holds this code (give the batch as GTIN/LOT)`);
    }
    batchId = found.batchId;
  }
  if (/^0x/i.test(text)) return batchId;
  const exists = await deployed.batches.getBatch(batchId).then(
    () => true,
    () => false,
  );
  if (!exists) throw new UserError(`invalid ${option} "${text}": no such batch on this chain (its id would be ${shortId(batchId)})`);
  return batchId;
}
