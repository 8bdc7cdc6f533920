/**
 * A batch's history read from the log, for `batch trace` and `audit export`: every
 * MedState event that names the batch (indexed as the first or second topic) or its
 * product (the product's subject `bytes32(gtin)` as the first topic), from the
 * deployment block, decoded, with block timestamps (one `eth_getBlockByNumber` per
 * block) and the names and domains of the parties involved.
 */
import { type Log, toBeHex } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { medstateInterface, parseMedstateLog } from "../../sdk/contracts.js";
import {
  ACTORS,
  CASE_STATUSES,
  DOMAINS,
  POINTS,
  RESULTS,
  RULE_KINDS,
  SHIPMENT_STATUSES,
  UNIT_STATUSES,
  enumName,
} from "../../sdk/enums.js";
import type { ChainEvent, PartyInfo, StateInfo } from "../../sdk/epcis.js";
import { UserError } from "../../sdk/errors.js";
import { isoDate } from "../../sdk/licences.js";
import { NO_HUMIDITY, NO_TEMPERATURE } from "../../sdk/quality.js";
import { readUnitCodes } from "../../sdk/units.js";
import { loadGraph } from "./quality.js";
import type { Deployed } from "./runtime.js";
import { unitsDir } from "./supply.js";

/** Events that index the batch id (as topic 1 or topic 2). */
const BATCH_EVENTS = [
  "BatchCreated",
  "BatchReleased",
  "Shipped",
  "ShipmentClosed",
  "UnitStatusChanged",
  "UnitRestored",
  "SuspectUnitReported",
  "Observed",
  "ObservationAnnotated",
  "RuleFired",
  "RuleFailed",
  "StateChanged",
  "RecallOpened",
  "StockReturned",
  "StockSeized",
  "DestructionProposed",
  "DestructionWitnessed",
  "SuspectCaseOpened",
  "SuspectCaseStatusChanged",
  "SuspectNotified",
];
/** Events of the batch's product (its subject, or its GTIN, as topic 1). */
const PRODUCT_EVENTS = ["ProductRegistered", "ProductReassigned", "Observed", "ObservationAnnotated", "RuleFired", "RuleFailed", "StateChanged"];
/** Arguments that hold a party id, per event. */
const PARTY_ARGS: Record<string, string[]> = {
  ProductRegistered: ["holder"],
  ProductReassigned: ["holder", "previousHolder"],
  BatchCreated: ["manufacturer"],
  BatchReleased: ["manufacturer"],
  Shipped: ["from", "to"],
  ShipmentClosed: ["creditedParty"],
  UnitStatusChanged: ["party"],
  UnitRestored: ["regulator", "creditedParty"],
  SuspectUnitReported: ["reporter", "recordedParty"],
  Observed: ["party"],
  StateChanged: ["party"],
  RecallOpened: ["party"],
  StockReturned: ["party"],
  StockSeized: ["regulator", "party"],
  DestructionProposed: ["party"],
  DestructionWitnessed: ["witness"],
  SuspectCaseOpened: ["reporter"],
  SuspectCaseStatusChanged: ["party"],
  SuspectNotified: ["party"],
};
/** Blocks per `eth_getLogs` call. */
const LOG_PAGE = 50_000;
/** Block headers fetched at once. */
const BLOCK_BATCH = 20;

export interface BatchHistory {
  batchId: string;
  /** GTIN-14. */
  gtin: string;
  lot: string;
  manufactured: string | null;
  expiry: string | null;
  productName?: string;
  manufacturer: string;
  unitsRoot: string;
  /** Ordered by block and log index. */
  events: ChainEvent[];
  parties: Record<string, PartyInfo>;
  states: StateInfo[];
  /** Canonical unit codes by index, when this machine has the batch's unit dump. */
  unitCodes?: readonly string[];
}

async function logsFor(deployed: Deployed, names: string[], topics: (string | null)[], latest: number): Promise<Log[]> {
  const iface = medstateInterface();
  const ids = names.map((n) => iface.getEvent(n)?.topicHash).filter((t): t is string => t !== undefined);
  const out: Log[] = [];
  for (let from = Number(deployed.record.block); from <= latest; from += LOG_PAGE) {
    out.push(
      ...(await deployed.ethers.provider.getLogs({
        address: deployed.record.contracts.BatchRegistry,
        fromBlock: from,
        toBlock: Math.min(latest, from + LOG_PAGE - 1),
        topics: [ids, ...topics],
      })),
    );
  }
  return out;
}

function decode(log: Log): Omit<ChainEvent, "timestamp"> | undefined {
  const parsed = parseMedstateLog(log);
  if (parsed === null) return undefined;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    // These events carry no structs: plain values (bigint, string, boolean).
    args[input.name] = parsed.args[i] as unknown;
  });
  return { name: parsed.name, args, blockNumber: log.blockNumber, transactionHash: log.transactionHash, logIndex: log.index };
}

/** Reads and decodes a batch's history; refuses an unknown batch in one line. */
export async function loadBatchHistory(
  hre: HardhatRuntimeEnvironment,
  deployed: Deployed,
  batchId: string,
): Promise<BatchHistory> {
  const { ethers, registry } = deployed;
  const latest = await ethers.provider.getBlockNumber();
  const batchLogs = [
    ...(await logsFor(deployed, BATCH_EVENTS, [batchId], latest)),
    ...(await logsFor(deployed, BATCH_EVENTS, [null, batchId], latest)),
  ];
  const decoded = batchLogs.map(decode).filter((e) => e !== undefined);
  const created = decoded.find((e) => e.name === "BatchCreated");
  if (created === undefined) throw new UserError(`unknown batch ${batchId}`);
  const gtin = BigInt(String(created.args.gtin));
  for (const log of await logsFor(deployed, PRODUCT_EVENTS, [toBeHex(gtin, 32)], latest)) {
    const event = decode(log);
    if (event !== undefined) decoded.push(event);
  }

  // One log can match two queries only if it indexes the batch twice; keep it once.
  const unique = new Map<string, Omit<ChainEvent, "timestamp">>();
  for (const e of decoded) unique.set(`${e.transactionHash}:${e.logIndex}`, e);
  const ordered = [...unique.values()].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);

  const blocks = [...new Set(ordered.map((e) => e.blockNumber))];
  const times = new Map<number, number>();
  for (let i = 0; i < blocks.length; i += BLOCK_BATCH) {
    const slice = blocks.slice(i, i + BLOCK_BATCH);
    const headers = await Promise.all(slice.map((n) => ethers.provider.getBlock(n)));
    headers.forEach((h, j) => times.set(slice[j], h?.timestamp ?? 0));
  }
  const events: ChainEvent[] = ordered.map((e) => ({ ...e, timestamp: times.get(e.blockNumber) ?? 0 }));

  const partyIds = new Set<string>();
  for (const e of events) {
    for (const key of PARTY_ARGS[e.name] ?? []) {
      const id = String(e.args[key]);
      if (id !== "0") partyIds.add(id);
    }
  }
  const parties: Record<string, PartyInfo> = {};
  for (const id of [...partyIds].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))) {
    const party = await registry.getParty(BigInt(id));
    parties[id] = { name: party.name, domain: enumName(DOMAINS, party.domain) };
  }

  const product = events.find((e) => e.name === "ProductRegistered");
  const unitsRoot = String(created.args.unitsRoot);
  const unitCodes = await readUnitCodes(unitsDir(hre, deployed.chainId), unitsRoot);
  return {
    batchId,
    gtin: gtin.toString().padStart(14, "0"),
    lot: String(created.args.lot),
    manufactured: isoDate(created.args.manufacturedAt as bigint),
    expiry: isoDate(created.args.expiresAt as bigint),
    ...(product === undefined ? {} : { productName: String(product.args.name) }),
    manufacturer: String(created.args.manufacturer),
    unitsRoot,
    events,
    parties,
    states: await loadGraph(deployed),
    ...(unitCodes === undefined ? {} : { unitCodes }),
  };
}

// ==== THE TIMELINE ====

export interface TimelineEntry {
  at: string;
  block: string;
  tx: string;
  logIndex: string;
  event: string;
  /** `batch`, or `product` for the product's own observations and states. */
  subject: "batch" | "product";
  /** The party that acted, its name and domain. */
  party: string | null;
  partyName: string | null;
  domain: string | null;
  /** The account that sent it. */
  actor: string | null;
  what: string;
  /** Where it happened (the party whose site it was), by name. */
  where: string | null;
  /** Outcome: an observation's result, a shipment's or unit's status, a suspect flag. */
  result: string | null;
  /** A collaborative state change. */
  stateChange: { from: string; to: string; by: string } | null;
  details: Record<string, string>;
}

function measures(temperature: number, humidity: number): string {
  const parts = [];
  if (temperature !== NO_TEMPERATURE) parts.push(`${temperature / 100} °C`);
  if (humidity !== NO_HUMIDITY) parts.push(`${humidity / 100} % RH`);
  return parts.join(", ");
}

/** The timeline of a batch's history: who, what, when, where, result, state changes. */
export function timeline(history: BatchHistory): TimelineEntry[] {
  const state = (id: unknown) => history.states[Number(id)]?.name ?? `state ${String(id)}`;
  const partyName = (id: unknown) => history.parties[String(id)]?.name ?? `party ${String(id)}`;
  const shipped = new Map<string, ChainEvent>();
  const proposed = new Map<string, ChainEvent>();
  for (const e of history.events) {
    if (e.name === "Shipped") shipped.set(String(e.args.shipmentId).toLowerCase(), e);
    if (e.name === "DestructionProposed") proposed.set(String(e.args.destructionId).toLowerCase(), e);
  }
  return history.events.map((e) => {
    const a = e.args;
    const partyKey = (PARTY_ARGS[e.name] ?? [])[0];
    const party = partyKey === undefined ? null : String(a[partyKey]);
    let what = e.name;
    let where: string | null = party === null ? null : partyName(party);
    let result: string | null = null;
    let stateChange: TimelineEntry["stateChange"] = null;
    const details: Record<string, string> = {};
    switch (e.name) {
      case "ProductRegistered":
        what = `product ${String(a.name)} registered (approval ${String(a.approvalNo)})`;
        break;
      case "ProductReassigned":
        what = `product reassigned by governance from ${partyName(a.previousHolder)} to ${partyName(a.holder)}`;
        details.previousHolder = String(a.previousHolder);
        details.nationalCode = String(a.nationalCode);
        break;
      case "BatchCreated":
        what = `batch created: lot ${String(a.lot)}, quantity ${String(a.quantity)}, ${String(a.unitCount)} serialised units, expires ${isoDate(a.expiresAt as bigint)?.slice(0, 10) ?? "never"}`;
        result = "production";
        details.unitsRoot = String(a.unitsRoot);
        break;
      case "BatchReleased":
        what = "released for sale by QA";
        result = "released";
        break;
      case "Shipped":
        what = `shipped ${String(a.quantity)} to ${partyName(a.to)}`;
        result = "in-transit";
        details.shipmentId = String(a.shipmentId);
        details.to = String(a.to);
        details.quantity = String(a.quantity);
        break;
      case "ShipmentClosed": {
        const status = enumName(SHIPMENT_STATUSES, a.status as bigint);
        const from = shipped.get(String(a.shipmentId).toLowerCase())?.args.from;
        what =
          status === "received"
            ? `received ${String(a.quantity)}${from === undefined ? "" : ` from ${partyName(from)}`}`
            : `shipment ${status}: ${String(a.quantity)} back to ${partyName(a.creditedParty)}`;
        result = status;
        details.shipmentId = String(a.shipmentId);
        details.quantity = String(a.quantity);
        break;
      }
      case "Observed": {
        const shown = measures(Number(a.temperature), Number(a.humidity));
        what = `${enumName(POINTS, a.point as bigint)} observation #${String(a.seq)}${shown === "" ? "" : `: ${shown}`}`;
        result = enumName(RESULTS, a.result as bigint);
        details.seq = String(a.seq);
        details.observer = String(a.observer);
        break;
      }
      case "ObservationAnnotated":
        what = `observation #${String(a.seq)} annotated${String(a.corrects) === "0" ? "" : `: corrects #${String(a.corrects)}`}${String(a.evidenceUri) === "" ? "" : `, evidence ${String(a.evidenceUri)}`}`;
        details.evidenceHash = String(a.evidenceHash);
        break;
      case "RuleFired":
        what = `rule ${enumName(RULE_KINDS, a.kind as bigint)} fired on observation #${String(a.seq)}: ${state(a.state)}`;
        result = "fired";
        break;
      case "RuleFailed":
        what = `rule contract ${String(a.rule)} failed on observation #${String(a.seq)}`;
        result = "failed";
        break;
      case "StateChanged":
        stateChange = { from: state(a.from), to: state(a.to), by: enumName(ACTORS, a.by as bigint) };
        what = `state ${stateChange.from} → ${stateChange.to} by ${stateChange.by}${String(a.reason) === "" ? "" : `: ${String(a.reason)}`}`;
        result = stateChange.to;
        break;
      case "RecallOpened":
        what = `recall level ${String(a.level)} opened, due ${isoDate(a.deadline as bigint) ?? "?"}`;
        details.recallId = String(a.recallId);
        details.deadline = isoDate(a.deadline as bigint) ?? "";
        break;
      case "StockReturned":
        what = `returned ${String(a.quantity)} to quarantine (still outstanding at this party: ${String(a.outstanding)})`;
        result = "returned";
        details.recallId = String(a.recallId);
        break;
      case "StockSeized":
        what = `seized ${String(a.quantity)} of ${partyName(a.party)}'s stock into quarantine (still outstanding there: ${String(a.outstanding)})`;
        result = "seized";
        where = partyName(a.party);
        details.recallId = String(a.recallId);
        details.party = String(a.party);
        break;
      case "DestructionProposed":
        what = `destruction of ${String(a.quantity)} proposed`;
        details.destructionId = String(a.destructionId);
        break;
      case "DestructionWitnessed":
        what = `destruction of ${String(a.quantity)} witnessed by ${partyName(a.witness)}`;
        result = "destroyed";
        where = partyName(proposed.get(String(a.destructionId).toLowerCase())?.args.party ?? a.witness);
        details.destructionId = String(a.destructionId);
        break;
      case "UnitStatusChanged": {
        const code = history.unitCodes?.[Number(a.index)];
        what = `unit #${String(a.index)}${code === undefined ? "" : ` (${code})`} ${enumName(UNIT_STATUSES, a.previous as bigint)} → ${enumName(UNIT_STATUSES, a.status as bigint)}`;
        result = enumName(UNIT_STATUSES, a.status as bigint);
        if (code !== undefined) details.code = code;
        break;
      }
      case "UnitRestored": {
        const code = history.unitCodes?.[Number(a.index)];
        what = `unit #${String(a.index)}${code === undefined ? "" : ` (${code})`} restored from ${enumName(UNIT_STATUSES, a.previous as bigint)}, its stock credited back to ${partyName(a.creditedParty)}`;
        result = "restored";
        where = partyName(a.creditedParty);
        details.creditedParty = String(a.creditedParty);
        break;
      }
      case "SuspectUnitReported": {
        const code = history.unitCodes?.[Number(a.index)];
        what = `SUSPECT unit #${String(a.index)}${code === undefined ? "" : ` (${code})`} presented, already ${enumName(UNIT_STATUSES, a.status as bigint)} by ${partyName(a.recordedParty)} (report ${String(a.reportNo)})`;
        result = "suspect";
        break;
      }
      case "SuspectCaseOpened":
        what = `suspect case opened on ${String(a.quantity)}: ${String(a.reason)}`;
        result = "quarantined";
        details.caseId = String(a.caseId);
        break;
      case "SuspectCaseStatusChanged":
        what = `suspect case ${enumName(CASE_STATUSES, a.status as bigint)}`;
        result = enumName(CASE_STATUSES, a.status as bigint);
        details.caseId = String(a.caseId);
        break;
      case "SuspectNotified":
        what = `suspect case notified (due ${isoDate(a.notifyBy as bigint) ?? "?"})`;
        details.caseId = String(a.caseId);
        break;
    }
    const subject =
      "subject" in a && BigInt(String(a.subject)) < 2n ** 64n ? "product" : e.name === "ProductRegistered" ? "product" : "batch";
    return {
      at: new Date(Number(e.timestamp) * 1000).toISOString(),
      block: String(e.blockNumber),
      tx: e.transactionHash,
      logIndex: String(e.logIndex),
      event: e.name,
      subject,
      party,
      partyName: party === null ? null : partyName(party),
      domain: party === null ? null : (history.parties[party]?.domain ?? null),
      actor: typeof a.actor === "string" ? a.actor : typeof a.observer === "string" ? a.observer : null,
      what,
      where,
      result,
      stateChange,
      details,
    };
  });
}
