/**
 * What the product, batch and unit tasks share: parsing GTINs and dates, finding a
 * shipment or a batch's history in the log, where unit dumps live, and the names of
 * batch and unit states.
 */
import { existsSync } from "node:fs";
import path from "node:path";

import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { batchIdOf, parseUnitCode } from "../../sdk/codes.js";
import { deploymentId } from "../../sdk/deployment.js";
import { SHIPMENT_STATUSES, UNIT_STATUSES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import type { Deployed } from "./runtime.js";
import { describeRefusal, eventsNamed, openDeployment, required, resolveSigner, send } from "./runtime.js";
import { batchIdFromText } from "../../sdk/references.js";
import { parseIdText, resolveId } from "./references.js";


/** Where a chain's unit dumps live, content-addressed by root. */
export function unitsDir(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(hre.config.paths.ignition, "deployments", deploymentId(chainId), "units");
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

/** The lot a batch was created with, and every party that ever held or was sent some of it (by shipment or pallet). */
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
  // A pallet's lines are not indexed: every pallet is read, and those with a line of the batch count.
  for (const e of await batches.queryFilter(batches.filters.PalletShipped(), from)) {
    if (e.args.lines.some((line) => line.batchId.toLowerCase() === batchId.toLowerCase())) {
      parties.add(e.args.from);
      parties.add(e.args.to);
    }
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
  if (batchHint !== undefined) {
    const hinted = batchIdFromText("--batch", batchHint);
    if (hinted !== undefined) hint.batchId = hinted;
  }
  if (parsed.kind === "gs1") {
    hint.gtin = parsed.gtin;
    if (parsed.lot !== undefined) hint.lot = parsed.lot;
  }
  // Loaded here: the unit lists (and their Merkle trees) are heavy, and most supply tasks never need them.
  const { findUnit } = await import("../../sdk/units.js");
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

/** What {changeUnit} reports, with what a task needs to say more. */
export interface UnitChange {
  /** `code`, `batchId`, `index`, `status`, `previous`, `party` (who changed it), `held`, `locked`, `available` (the party's stock after it). */
  json: Record<string, string>;
  human: string;
  deployed: Deployed;
  receipt: TransactionReceipt;
}

/**
 * Finds `--code`, sends the unit write `call` builds (signed by `--from`) and reports
 * the UnitStatusChanged it emitted, with the changing party's stock of the batch after it
 * (held, locked, available = held − locked: what unit actions may take): what the unit
 * write tasks share. A refusal whose cause `hint` recognises gets the hint appended.
 */
export async function changeUnit(
  hre: HardhatRuntimeEnvironment,
  args: UnitArgs,
  call: (batches: Deployed["batches"], unit: { batchId: string; index: number; unitHash: string; proof: string[] }) => Promise<ContractTransactionResponse>,
  hint?: (error: unknown) => string | undefined,
): Promise<UnitChange> {
  const code = required("--code", args.code);
  const deployed = await openDeployment(hre);
  const unit = await locateUnit(hre, deployed, code, args.batch);
  if (unit === undefined) throw new UserError(`unknown unit ${code}: no batch on this chain holds this code`);
  const signer = await resolveSigner(deployed.ethers, args.from);
  let receipt: TransactionReceipt;
  try {
    receipt = await send(
      call(deployed.batches.connect(signer), { batchId: unit.batchId, index: unit.index, unitHash: unit.unitHash, proof: unit.proof }),
    );
  } catch (error) {
    const extra = hint?.(error);
    if (extra === undefined) throw error;
    throw new UserError(`${await describeRefusal(error)}: ${extra}`);
  }
  const [changed] = eventsNamed(deployed.batches, receipt, "UnitStatusChanged");
  const status = enumName(UNIT_STATUSES, changed.args.status);
  const previous = enumName(UNIT_STATUSES, changed.args.previous);
  const party = String(changed.args.party);
  const stock = await deployed.batches.custody(unit.batchId, party);
  const available = stock.held - stock.locked;
  return {
    json: {
      code: unit.canonical,
      batchId: unit.batchId,
      index: unit.index.toString(),
      status,
      previous,
      party,
      held: stock.held.toString(),
      locked: stock.locked.toString(),
      available: available.toString(),
    },
    human: `${unit.canonical}: ${status} (was ${previous}), by party ${party}; it has ${available} of the batch available (${stock.held} held, ${stock.locked} locked)`,
    deployed,
    receipt,
  };
}

/** One party's custody of a batch, as decimal strings. */
export interface PartyCustody {
  partyId: string;
  held: string;
  inTransit: string;
  suspended: string;
  locked: string;
  dispensed: string;
}

/** Where every unit of a batch is: per party, and the batch's totals (which add up to its quantity). */
export interface BatchAccount {
  /** Every party that ever held or was sent some of the batch, with a non-zero custody. */
  parties: PartyCustody[];
  held: bigint;
  inTransit: bigint;
  locked: bigint;
  /** Σ held + Σ in transit: what is in the parties' hands or on the road. */
  inCustody: bigint;
  dispensed: bigint;
  destroyed: bigint;
  lost: bigint;
  quarantined: bigint;
  /** What open suspect cases hold. */
  suspended: bigint;
  quantity: bigint;
  /** quantity − dispensed − destroyed − lost: what a destruction has yet to account for. */
  unaccounted: bigint;
}

/** The batch's whole custody, from the parties its log names and the `custody` view. */
export async function batchAccount(deployed: Deployed, batchId: string): Promise<BatchAccount & { lot: string }> {
  const { batches, suspects } = deployed;
  const { lot, parties } = await batchHistory(deployed, batchId);
  const [b, [, suspended]] = await Promise.all([batches.getBatch(batchId), suspects.suspectCount(batchId)]);
  const out: PartyCustody[] = [];
  let held = 0n;
  let inTransit = 0n;
  let locked = 0n;
  for (const partyId of parties) {
    const c = await batches.custody(batchId, partyId);
    held += c.held;
    inTransit += c.inTransit;
    locked += c.locked;
    if (c.held + c.inTransit + c.suspended + c.dispensed === 0n) continue;
    out.push({
      partyId: partyId.toString(),
      held: c.held.toString(),
      inTransit: c.inTransit.toString(),
      suspended: c.suspended.toString(),
      locked: c.locked.toString(),
      dispensed: c.dispensed.toString(),
    });
  }
  return {
    lot,
    parties: out,
    held,
    inTransit,
    locked,
    inCustody: held + inTransit,
    dispensed: b.dispensed,
    destroyed: b.destroyed,
    lost: b.lost,
    quarantined: b.quarantined,
    suspended,
    quantity: b.quantity,
    unaccounted: b.quantity - b.dispensed - b.destroyed - b.lost,
  };
}

/** `40 held, 5 in transit, 2 in suspect cases` (the parts that are not zero; `nothing` when all are). */
export function custodyParts(c: { held: bigint | string; inTransit: bigint | string; suspended: bigint | string; quarantined?: bigint | string }): string {
  const parts: string[] = [];
  if (BigInt(c.held) > 0n) parts.push(`${c.held} held`);
  if (BigInt(c.inTransit) > 0n) parts.push(`${c.inTransit} in transit`);
  if (c.quarantined !== undefined && BigInt(c.quarantined) > 0n) parts.push(`${c.quarantined} quarantined`);
  if (BigInt(c.suspended) > 0n) parts.push(`${c.suspended} in suspect cases`);
  return parts.length === 0 ? "nothing" : parts.join(", ");
}

/** The options of the tasks that close a shipment. */
export interface ShipmentArgs {
  shipment?: string;
  from?: string;
  json: boolean;
}

/**
 * Closes an open shipment as its sender (`cancel`) or receiver (`reject`): the stock goes
 * back to the sender's held stock, out of its in-transit. Allowed while the batch is halted
 * (stock in transit is outstanding under a recall until it comes back).
 */
export async function closeShipment(
  hre: HardhatRuntimeEnvironment,
  args: ShipmentArgs,
  how: "cancel" | "reject",
): Promise<{ json: Record<string, string>; human: string }> {
  const shipmentIdText = parseIdText("--shipment", args.shipment);
  const deployed = await openDeployment(hre);
  const shipmentId = await resolveId(deployed, "--shipment", shipmentIdText, "shipment");
  const { ethers, batches } = deployed;
  const shipment = await findShipment(deployed, shipmentId);
  const signer = await resolveSigner(ethers, args.from);
  const c = batches.connect(signer);
  const receipt = await send(how === "cancel" ? c.cancelShipment(shipment.batchId, shipmentId) : c.rejectShipment(shipment.batchId, shipmentId));
  const [closed] = eventsNamed(batches, receipt, "ShipmentClosed");
  const status = enumName(SHIPMENT_STATUSES, closed.args.status);
  const credited = String(closed.args.creditedParty);
  const held = await batches.holding(shipment.batchId, credited);
  return {
    json: {
      shipmentId,
      batchId: shipment.batchId,
      status,
      quantity: shipment.quantity.toString(),
      from: shipment.from.toString(),
      to: shipment.to.toString(),
      credited,
    },
    human: `shipment ${shipmentId} ${status}: ${shipment.quantity} of batch ${shipment.batchId} back with party ${credited}, which now holds ${held}`,
  };
}
