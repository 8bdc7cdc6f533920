/**
 * The chains the replay tests rebuild: one with every kind of history the contracts
 * write (issue 12's included), and helpers to read, tamper with and re-apply its logs.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { Log } from "ethers";

import { gtinCheckDigit } from "../../sdk/codes.js";
import { medstateInterface } from "../../sdk/contracts.js";
import type { DeploymentRecord } from "../../sdk/deployment.js";
import { Domain, PartyStatus, UnitStatus } from "../../sdk/enums.js";
import { streamLogs } from "../../sdk/replay/logs.js";
import { StateReplayer } from "../../sdk/replay/state.js";
import type { MembershipMirrorProbe } from "../../types/ethers-contracts/index.js";
import { HOSPITAL, MAKER, PHARMACY, WHOLESALER, ethers, networkHelpers } from "../helpers/fixtures.js";
import {
  type BatchQualityCtx,
  DAY,
  GTIN,
  Point,
  Result,
  State,
  caseIdOf,
  destructionIdOf,
  distributedBatch,
  observation,
  reading,
  signReading,
  suspectsAt,
} from "../helpers/quality.js";
import { batchIdOf, inspect, registerProduct, shipmentIdOf } from "../helpers/supply.js";

const { time } = networkHelpers;

/** A GTIN-14 (as a number) with its GS1 check digit. */
export function gtinOf(body: bigint): bigint {
  return body * 10n + BigInt(gtinCheckDigit(body.toString().padStart(13, "0")));
}

/** A second product: applied for by both manufacturers, approved for the maker, reassigned to Maker B. */
export const GTIN2 = gtinOf(690123456790n);
/** A third product: Maker B's application, never approved. */
export const GTIN3 = gtinOf(690123456791n);
export const CODE2 = 1234567n;
export const CODE2_NEW = 7654321n;
/** The second lot of {@link GTIN}: recalled and wholly destroyed (it enters the disposal state). */
export const LOT2 = "VAX-2026-002";
/** Maker B, a voting manufacturer the consortium admits. */
export const MAKER_B = 9n;

export interface AuditedCtx extends BatchQualityCtx {
  makerB: HardhatEthersSigner;
  batch2: string;
  /** The probe mirror that failed a push and was detached, and the one still attached. */
  brokenMirror: MembershipMirrorProbe;
  mirror: MembershipMirrorProbe;
}

async function probe(c: BatchQualityCtx): Promise<MembershipMirrorProbe> {
  const deployed = await ethers.deployContract("MembershipMirrorProbe", [await c.registry.getAddress()]);
  return deployed as unknown as MembershipMirrorProbe;
}

/**
 * Every kind of history. From the distributed batch (maker 30, wholesaler 40, pharmacy 20,
 * hospital 10):
 * - governance: a Call (recall periods) and an admission (Maker B, a voter; its admin's
 *   account is reserved while the proposal runs);
 * - products: two applications for GTIN2 (the maker's approved with a national code, Maker
 *   B's left pending), Maker B's for GTIN3 left pending, GTIN2 reassigned by governance to
 *   Maker B with a new code (the old one freed);
 * - units: a dispense and its clone, an undone dispense, a lock lifted by its party, a lock,
 *   a dispense and a destruction each restored by the regulator, a theft, a lock kept;
 * - device-signed readings, an observation with evidence;
 * - suspect cases: one cleared by the regulator, one found illegitimate by the holder,
 *   notified and closed, one open;
 * - a shipment left in transit through a recall; a rule's stop; a recall with returns, a
 *   seizure by the regulator and a partial witnessed destruction (the batch stays recalled);
 * - a second lot recalled and wholly destroyed: it enters the disposal state;
 * - mirrors: one attached that fails a push and is detached, one attached that stays;
 * - a voter suspended by the regulator, reinstated by governance and suspended again (it
 *   stays in the threshold's n), and a voter suspended by governance (it leaves n);
 * - an open proposal (3) approved by the maker and Maker B before governance suspended Maker
 *   B: 2 approvals cast, 1 in force.
 */
export async function auditedChain(): Promise<AuditedCtx> {
  const c = await distributedBatch();
  const { batchRegistry: br, batchId, quality, collaboration, registry, governor, gov, tree } = c;
  const suspects = await suspectsAt(c);
  const makerB = c.others[8];
  const unit = (i: bigint) => tree.unit(batchId, i);

  // ---- governance ----
  const data = collaboration.interface.encodeFunctionData("setRecallPeriods", [[2n * DAY, 4n * DAY, 8n * DAY]]);
  await governor.connect(c.maker).proposeCall(c.engineAddress, data);
  for (const voter of [c.maker, c.wholesaler, c.regulator]) await governor.connect(voter).vote(1n);
  await governor.connect(c.maker).proposeAdmission({ name: "Maker B", domain: Domain.Manufacturer, admin: makerB.address, voter: true, licences: [] });
  for (const voter of [c.maker, c.wholesaler, c.regulator]) await governor.connect(voter).vote(2n);

  // ---- products ----
  await br.connect(makerB).registerProduct(GTIN2, "Vaccine B", "S20260002", 0n);
  await registerProduct(br, c.maker, c.regulator, GTIN2, "Vaccine 2", "S20260003", CODE2);
  await br.connect(makerB).registerProduct(GTIN3, "Vaccine C", "S20260004", 0n);
  await br.connect(gov).reassignProduct(GTIN2, MAKER_B, CODE2_NEW);

  // ---- units (restorations of stock need a batch that trades: before any stop) ----
  await br.connect(c.pharmacy).dispense(unit(0n));
  await br.connect(c.hospital).dispense(unit(0n));
  await br.connect(c.pharmacy).dispense(unit(1n));
  await br.connect(c.pharmacy).undoDispense(unit(1n));
  await br.connect(c.wholesaler).decommission(unit(2n), UnitStatus.Locked);
  await br.connect(c.wholesaler).reactivate(unit(2n));
  await br.connect(c.pharmacy).decommission(unit(3n), UnitStatus.Locked);
  await br.connect(c.regulator).restoreUnit(unit(3n));
  await br.connect(c.pharmacy).dispense(unit(4n));
  await br.connect(c.regulator).restoreUnit(unit(4n));
  await br.connect(c.hospital).decommission(unit(5n), UnitStatus.Destroyed);
  await br.connect(c.regulator).restoreUnit(unit(5n));
  await br.connect(c.wholesaler).decommission(unit(6n), UnitStatus.Stolen);
  await br.connect(c.wholesaler).decommission(unit(7n), UnitStatus.Locked);

  // ---- observations: device-signed readings through a gateway, then one with evidence ----
  const deadline = BigInt(await time.latest()) + DAY;
  const signed = [];
  for (let i = 0n; i < 3n; i++) {
    signed.push(await signReading(c.wholesalerDevice, c.engineAddress, batchId, reading(Point.Storage, 500n), i, deadline));
  }
  await quality.connect(c.stranger).observeSignedReadings(batchId, c.wholesalerDevice.address, signed);
  await quality.connect(c.wholesalerQa).observe({ ...observation(batchId, Point.Inspection, Result.Normal), evidenceHash: ethers.id("report"), evidenceUri: "ipfs://report" });

  // ---- suspect cases: one cleared, one illegitimate, notified and closed, one open ----
  for (const [quantity, reason] of [[5n, "seal"], [3n, "price"], [2n, "label"]] as const) {
    await suspects.connect(c.wholesaler).reportSuspect(batchId, await suspects.WHOLE_BATCH(), quantity, ethers.id(reason), reason);
  }
  for (const no of [1n, 2n]) await suspects.connect(c.maker).investigateSuspect(caseIdOf(batchId, no));
  await suspects.connect(c.regulator).concludeSuspect(caseIdOf(batchId, 1n), false, ethers.ZeroHash);
  await suspects.connect(c.maker).concludeSuspect(caseIdOf(batchId, 2n), true, ethers.id("lab"));
  await suspects.connect(c.wholesaler).notifyIllegitimate(caseIdOf(batchId, 2n), ethers.id("notice"));
  await suspects.connect(c.regulator).closeSuspect(caseIdOf(batchId, 2n));

  // ---- a shipment still in transit when an excursion stops the batch by rule; a recall ----
  await br.connect(c.maker).ship(batchId, WHOLESALER, 5n);
  await quality.connect(c.wholesalerDevice).observe(observation(batchId, Point.Storage, Result.Normal, { temperature: 950n }));
  await collaboration.connect(c.regulator).openRecall(batchId, 1, "excursion");
  await collaboration.connect(c.wholesaler).returnStock(batchId, 10n);
  await collaboration.connect(c.maker).returnStock(batchId, 20n);
  await collaboration.connect(c.regulator).seizeStock(batchId, HOSPITAL, 4n);
  await collaboration.connect(c.maker).proposeDestruction(batchId, 30n);
  await collaboration.connect(c.notary).witnessDestruction(batchId, destructionIdOf(batchId, 1n));

  // ---- a second lot, recalled and wholly destroyed ----
  const now = BigInt(await time.latest());
  await br.connect(c.maker).createBatch({
    gtin: GTIN,
    lot: LOT2,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity: 10n,
    unitsRoot: ethers.ZeroHash,
    unitCount: 0n,
  });
  const batch2 = batchIdOf(GTIN, LOT2);
  await inspect(br, c.makerQa, batch2);
  await br.connect(c.makerQa).releaseBatch(batch2);
  await br.connect(c.maker).ship(batch2, WHOLESALER, 4n);
  await br.connect(c.wholesaler).receiveShipment(batch2, shipmentIdOf(batch2, MAKER, 0n));
  await collaboration.connect(c.regulator).transition(batch2, State.EmergencyStop, "label misprint");
  await collaboration.connect(c.regulator).openRecall(batch2, 2, "label misprint");
  await collaboration.connect(c.wholesaler).returnStock(batch2, 4n);
  await collaboration.connect(c.maker).returnStock(batch2, 6n);
  await collaboration.connect(c.maker).proposeDestruction(batch2, 10n);
  await collaboration.connect(c.notary).witnessDestruction(batch2, destructionIdOf(batch2, 1n));

  // ---- mirrors: one fails a push and is detached; the other stays ----
  const brokenMirror = await probe(c);
  const mirror = await probe(c);
  await registry.connect(gov).attachMirror(await brokenMirror.getAddress());
  await registry.connect(gov).attachMirror(await mirror.getAddress());
  await networkHelpers.setCode(await brokenMirror.getAddress(), "0x60006000fd"); // reverts on every call

  // ---- suspensions: the regulator's on its own (counted in n), governance's (not) ----
  await registry.connect(c.regulator).suspendParty(HOSPITAL); // the broken mirror fails this push
  await registry.connect(gov).detachMirror(await brokenMirror.getAddress());
  await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Active);
  await registry.connect(c.regulator).suspendParty(HOSPITAL);
  await governor.connect(c.maker).proposeParameters({ votingPeriod: 2n * DAY, regulatorApprovalKinds: 0n });
  for (const voter of [c.maker, makerB]) await governor.connect(voter).vote(3n);
  await registry.connect(gov).setPartyStatus(MAKER_B, PartyStatus.Suspended);
  return { ...c, makerB, batch2, brokenMirror, mirror };
}

/** The deployment record a fixture would have written. */
export async function recordOf(c: Pick<BatchQualityCtx, "registry" | "governor" | "batchRegistry">): Promise<DeploymentRecord> {
  const names = { ConsortiumRegistry: c.registry, ConsortiumGovernor: c.governor, BatchRegistry: c.batchRegistry };
  const contracts = Object.fromEntries(
    await Promise.all(Object.entries(names).map(async ([n, contract]) => [n, await contract.getAddress()])),
  ) as DeploymentRecord["contracts"];
  const { chainId } = await ethers.provider.getNetwork();
  return { chainId: chainId.toString(), network: "default", block: "0", deployedAt: "", contracts, implementations: contracts };
}

/** Every log of the record's contracts, in chain order. */
export async function allLogs(record: DeploymentRecord): Promise<Log[]> {
  const logs: Log[] = [];
  for await (const page of streamLogs(ethers.provider, { addresses: Object.values(record.contracts), fromBlock: 0 })) logs.push(...page.logs);
  return logs;
}

/** A replayer over the record's contracts that has applied `logs`. */
export function replayerOf(record: DeploymentRecord, logs: readonly Log[]): StateReplayer {
  const replayer = new StateReplayer({
    registry: record.contracts.ConsortiumRegistry,
    governor: record.contracts.ConsortiumGovernor,
    batchRegistry: record.contracts.BatchRegistry,
  });
  replayer.applyAll(logs);
  return replayer;
}

/** The name of a MedState log's event (undefined for another log). */
export function eventName(log: Log): string | undefined {
  return medstateInterface().parseLog(log)?.name;
}

/** The `n`th log (from 0) of event `name`, with its arguments changed by `changes` (re-encoded). */
export function nth(logs: readonly Log[], name: string, n = 0, changes: Record<string, unknown> = {}): Log {
  const iface = medstateInterface();
  const matching = logs.filter((log) => iface.parseLog(log)?.name === name);
  const log = matching[n];
  if (log === undefined) throw new Error(`no ${name} log #${n}`);
  const parsed = iface.parseLog(log)!;
  const values = parsed.fragment.inputs.map((input, i) => (input.name in changes ? changes[input.name] : parsed.args[i]));
  const { data, topics } = iface.encodeEventLog(parsed.fragment, values);
  return new Log({ ...log, data, topics }, ethers.provider);
}

/** The logs without the `n`th log (from 0) of event `name`. */
export function without(logs: readonly Log[], name: string, n = 0): Log[] {
  const target = logs.filter((log) => eventName(log) === name)[n];
  if (target === undefined) throw new Error(`no ${name} log #${n}`);
  return logs.filter((log) => log !== target);
}

/** The arguments of the `n`th log of event `name`. */
export function argsOf(logs: readonly Log[], name: string, n = 0): Record<string, unknown> {
  const parsed = medstateInterface().parseLog(nth(logs, name, n))!;
  return Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, parsed.args[i] as unknown]));
}

export { HOSPITAL, MAKER, PHARMACY, WHOLESALER };

/** The logs with the `n`th log (from 0) of event `name` replaced by itself with `changes`. */
export function replaced(logs: readonly Log[], name: string, n: number, changes: Record<string, unknown>): Log[] {
  const target = logs.filter((log) => eventName(log) === name)[n];
  if (target === undefined) throw new Error(`no ${name} log #${n}`);
  const changed = nth(logs, name, n, changes);
  return logs.map((log) => (log === target ? changed : log));
}

/** Which `name` log (counting from 0) is the first whose arguments satisfy `test`. */
export function whichOf(logs: readonly Log[], name: string, test: (args: Record<string, unknown>) => boolean): number {
  const matching = logs.filter((log) => eventName(log) === name);
  for (let n = 0; n < matching.length; n++) if (test(argsOf(logs, name, n))) return n;
  throw new Error(`no ${name} log matches`);
}
