/**
 * Who dispensed a basket unit. The contracts keep a basket-dispensed unit as one bit, and
 * every read of it says Dispensed by party 0 (so does a suspect report of it: recorded
 * party 0). Who dispensed it, in which basket, and where in the log, is in its basket's
 * UnitsDispensed event; {@link BasketDispensers} follows those (and the undos that put
 * units back) through a log, and {@link basketSuspectReports} names the dispenser behind
 * each suspect report of such a unit.
 */
import type { Log } from "ethers";

import { UnitStatus } from "../enums.js";
import { parseReplayLog } from "./bulk-events.js";

/** A unit's dispense in a basket. */
export interface BasketDispense {
  batchId: string;
  index: bigint;
  /** The party that dispensed it. */
  party: bigint;
  basketId: string;
  /** The prescription reference it was dispensed against (0x0…0: none). */
  prescription: string;
  /** Where its UnitsDispensed is. */
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

/** A suspect report of a unit read as dispensed in a basket, with who dispensed it (undefined: not in the log given). */
export interface BasketSuspectReport {
  batchId: string;
  index: bigint;
  reporter: bigint;
  reportNo: bigint;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
  dispensedBy: BasketDispense | undefined;
}

/** A decoded event, as a log reader hands it over (sdk/epcis `ChainEvent` is one). */
export interface DecodedEvent {
  name: string;
  args: Readonly<Record<string, unknown>>;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

const unitKey = (batchId: string, index: bigint): string => `${batchId.toLowerCase()}:${index}`;

/** The basket dispenses in force as the events go: UnitsDispensed adds, BasketUndone removes. */
export class BasketDispensers {
  private readonly units = new Map<string, BasketDispense>();

  /** Applies one decoded event (any other than UnitsDispensed, BasketUndone and UnitRestored is ignored). */
  apply(e: DecodedEvent): void {
    const a = e.args;
    if (e.name === "UnitsDispensed") {
      const batchId = String(a.batchId).toLowerCase();
      const prescriptions = [...(a.prescriptions as readonly string[])];
      [...(a.indices as readonly bigint[])].forEach((index, i) => {
        this.units.set(unitKey(batchId, BigInt(index)), {
          batchId,
          index: BigInt(index),
          party: BigInt(a.party as bigint),
          basketId: String(a.basketId).toLowerCase(),
          prescription: String(prescriptions[i] ?? "").toLowerCase(),
          blockNumber: e.blockNumber,
          transactionHash: e.transactionHash.toLowerCase(),
          logIndex: e.logIndex,
        });
      });
    } else if (e.name === "UnitRestored" && Number(a.previous) === 1) {
      // The regulator's restoreBasketUnit (or restoreUnit of a single dispense, which no basket holds).
      this.units.delete(unitKey(String(a.batchId), BigInt(a.index as bigint)));
    } else if (e.name === "BasketUndone") {
      const batchIds = [...(a.batchIds as readonly string[])];
      [...(a.indices as readonly bigint[])].forEach((index, k) => {
        const key = unitKey(String(batchIds[k]), BigInt(index));
        if (this.units.get(key)?.basketId === String(a.basketId).toLowerCase()) this.units.delete(key);
      });
    }
  }

  /** Applies a raw log of the BatchRegistry (undecodable ones are ignored). */
  applyLog(log: Log): void {
    const e = decodeLog(log);
    if (e !== undefined) this.apply(e);
  }

  /** Who dispensed this unit in a basket, if a basket holds it now. */
  dispenserOf(batchId: string, index: bigint): BasketDispense | undefined {
    return this.units.get(unitKey(batchId, index));
  }

  /** Every unit a basket holds now. */
  all(): BasketDispense[] {
    return [...this.units.values()];
  }
}

/** A log decoded as a {@link DecodedEvent}, or undefined. */
export function decodeLog(log: Log): DecodedEvent | undefined {
  const parsed = parseReplayLog(log);
  if (parsed === null) return undefined;
  const args: Record<string, unknown> = {};
  parsed.fragment.inputs.forEach((input, i) => {
    args[input.name] = parsed.args[i] as unknown;
  });
  return { name: parsed.name, args, blockNumber: log.blockNumber, transactionHash: log.transactionHash, logIndex: log.index };
}

/** For (batchId, index), who dispensed the unit in a basket, after `logs` (in chain order); undefined if no basket holds it. */
export function basketDispenserOf(logs: readonly Log[], batchId: string, index: bigint): BasketDispense | undefined {
  const dispensers = new BasketDispensers();
  for (const log of logs) dispensers.applyLog(log);
  return dispensers.dispenserOf(batchId, index);
}

/**
 * Every suspect report of a unit read as dispensed in a basket (status Dispensed, recorded
 * party 0), in order, each with who dispensed the unit: the basket dispense in force when
 * it was reported, or the one later in the same transaction (a unit presented twice in
 * one basket: its report comes before its group's UnitsDispensed).
 */
export function basketSuspectReports(events: Iterable<DecodedEvent>): BasketSuspectReport[] {
  const dispensers = new BasketDispensers();
  const out: BasketSuspectReport[] = [];
  let pending: BasketSuspectReport[] = [];
  let tx = "";
  const settle = () => {
    for (const r of pending) r.dispensedBy = dispensers.dispenserOf(r.batchId, r.index);
    pending = [];
  };
  for (const e of events) {
    if (e.transactionHash.toLowerCase() !== tx) {
      settle();
      tx = e.transactionHash.toLowerCase();
    }
    dispensers.apply(e);
    const a = e.args;
    if (e.name !== "SuspectUnitReported" || Number(a.status) !== UnitStatus.Dispensed || BigInt(a.recordedParty as bigint) !== 0n) continue;
    const report: BasketSuspectReport = {
      batchId: String(a.batchId).toLowerCase(),
      index: BigInt(a.index as bigint),
      reporter: BigInt(a.reporter as bigint),
      reportNo: BigInt(a.reportNo as bigint),
      blockNumber: e.blockNumber,
      transactionHash: e.transactionHash.toLowerCase(),
      logIndex: e.logIndex,
      dispensedBy: dispensers.dispenserOf(String(a.batchId), BigInt(a.index as bigint)),
    };
    out.push(report);
    if (report.dispensedBy === undefined) pending.push(report);
  }
  settle();
  return out;
}

/** {@link basketSuspectReports} over raw logs (in chain order). */
export function basketSuspectReportsOf(logs: readonly Log[]): BasketSuspectReport[] {
  return basketSuspectReports(logs.map(decodeLog).filter((e): e is DecodedEvent => e !== undefined));
}
