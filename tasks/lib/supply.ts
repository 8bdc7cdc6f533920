/**
 * What the product, batch and unit tasks share: parsing GTINs and dates, finding a
 * shipment or a batch's history in the log, where unit dumps live, and the names of
 * batch and unit states.
 */
import { existsSync } from "node:fs";
import path from "node:path";

import type { ContractTransactionResponse } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { batchIdOf, parseUnitCode } from "../../sdk/codes.js";
import { deploymentId } from "../../sdk/deployment.js";
import { UNIT_STATUSES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { findUnit } from "../../sdk/units.js";
import type { Deployed } from "./runtime.js";
import { eventsNamed, openDeployment, required, resolveSigner, send } from "./runtime.js";


/** Where a chain's unit dumps live, content-addressed by root. */
export function unitsDir(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(hre.config.paths.ignition, "deployments", deploymentId(chainId), "units");
}

/** A 0x-prefixed 32-byte id. */
export function parseBytes32(option: string, value: string | undefined): string {
  const text = required(option, value);
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw new UserError(`invalid ${option} "${text}": expected a 0x-prefixed 32-byte id`);
  return text.toLowerCase();
}

/** A positive integer quantity. */
export function parseQuantity(option: string, value: string | undefined): bigint {
  const text = required(option, value);
  if (!/^\d+$/.test(text) || BigInt(text) === 0n) throw new UserError(`invalid ${option} "${text}": expected a positive integer`);
  if (BigInt(text) >= 2n ** 48n) throw new UserError(`invalid ${option} "${text}": at most ${2n ** 48n - 1n}`);
  return BigInt(text);
}

/** The Shipped event of a shipment: its batch, parties and quantity. */
export async function findShipment(
  deployed: Deployed,
  shipmentId: string,
): Promise<{ batchId: string; from: bigint; to: bigint; quantity: bigint }> {
  const { batches, record } = deployed;
  const events = await batches.queryFilter(batches.filters.Shipped(shipmentId), Number(record.block));
  const event = events[0];
  if (event === undefined) throw new UserError(`unknown shipment ${shipmentId}`);
  return {
    batchId: event.args.batchId,
    from: event.args.from,
    to: event.args.to,
    quantity: event.args.quantity,
  };
}

/** The lot a batch was created with, and every party that ever held or was sent some of it. */
export async function batchHistory(deployed: Deployed, batchId: string): Promise<{ lot: string; parties: bigint[] }> {
  const { batches, record } = deployed;
  const from = Number(record.block);
  const [created] = await batches.queryFilter(batches.filters.BatchCreated(batchId), from);
  if (created === undefined) throw new UserError(`unknown batch ${batchId}`);
  const parties = new Set<bigint>([created.args.manufacturer]);
  for (const e of await batches.queryFilter(batches.filters.Shipped(undefined, batchId), from)) {
    parties.add(e.args.from);
    parties.add(e.args.to);
  }
  return { lot: created.args.lot, parties: [...parties].sort((a, b) => (a < b ? -1 : 1)) };
}

/** A unit located in this machine's unit dumps, with its proof, as the contract takes it. */
export interface LocatedUnit {
  canonical: string;
  batchId: string;
  index: number;
  unitHash: string;
  proof: string[];
}

/**
 * Finds a code's batch, index and proof in the unit dumps. Undefined when no batch
 * holds it (an unknown code); a refusal when the code names an existing batch whose
 * dump this machine lacks (the answer would otherwise be a false "unknown").
 */
export async function locateUnit(
  hre: HardhatRuntimeEnvironment,
  deployed: Deployed,
  code: string,
  batchHint: string | undefined,
): Promise<LocatedUnit | undefined> {
  const parsed = parseUnitCode(code);
  const hint: { batchId?: string; gtin?: string; lot?: string } = {};
  if (batchHint !== undefined) hint.batchId = parseBytes32("--batch", batchHint);
  if (parsed.kind === "gs1") {
    hint.gtin = parsed.gtin;
    if (parsed.lot !== undefined) hint.lot = parsed.lot;
  }
  const found = await findUnit(unitsDir(hre, deployed.chainId), parsed.canonical, hint);
  if (found !== undefined) {
    return { canonical: parsed.canonical, batchId: found.batchId, index: found.index, unitHash: found.unitHash, proof: found.proof };
  }
  const batchId = hint.batchId ?? (parsed.kind === "gs1" && parsed.lot !== undefined ? batchIdOf(parsed.gtin, parsed.lot) : undefined);
  if (batchId !== undefined) {
    const batch = await deployed.batches.getBatch(batchId).catch(() => undefined);
    if (batch !== undefined) {
      if (!existsSync(path.join(unitsDir(hre, deployed.chainId), `${batch.unitsRoot}.json`))) {
        throw new UserError(`batch ${batchId} exists, but this machine has no unit dump for its root ${batch.unitsRoot}`);
      }
    }
  }
  return undefined;
}

/** The options of the tasks that write one unit. */
export interface UnitArgs {
  code?: string;
  batch?: string;
  from?: string;
  json: boolean;
}

/**
 * Finds `--code`, sends the unit write `call` builds (signed by `--from`) and reports
 * the UnitStatusChanged it emitted: what the unit write tasks share.
 */
export async function changeUnit(
  hre: HardhatRuntimeEnvironment,
  args: UnitArgs,
  call: (batches: Deployed["batches"], unit: { batchId: string; index: number; unitHash: string; proof: string[] }) => Promise<ContractTransactionResponse>,
): Promise<{ json: Record<string, string>; human: string }> {
  const code = required("--code", args.code);
  const deployed = await openDeployment(hre);
  const unit = await locateUnit(hre, deployed, code, args.batch);
  if (unit === undefined) throw new UserError(`unknown unit ${code}: no batch on this chain holds this code`);
  const signer = await resolveSigner(deployed.ethers, args.from);
  const receipt = await send(
    call(deployed.batches.connect(signer), { batchId: unit.batchId, index: unit.index, unitHash: unit.unitHash, proof: unit.proof }),
  );
  const [changed] = eventsNamed(deployed.batches, receipt, "UnitStatusChanged");
  const status = enumName(UNIT_STATUSES, changed.args.status);
  const party = String(changed.args.party);
  return {
    json: { code: unit.canonical, batchId: unit.batchId, index: unit.index.toString(), status, previous: enumName(UNIT_STATUSES, changed.args.previous), party },
    human: `${unit.canonical}: ${status} (was ${enumName(UNIT_STATUSES, changed.args.previous)}), by party ${party}`,
  };
}
