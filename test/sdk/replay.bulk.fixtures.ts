/**
 * The chain the bulk replay tests rebuild: baskets (with suspects, refusals, a partial and
 * a full undo, expiries) and pallets (received, cancelled, rejected, one left open) over
 * two batches, and helpers to read, tamper with and re-apply its logs (the bulk events
 * decoded with sdk/replay/bulk-events.ts).
 */
import { type ContractTransactionResponse, Interface, Log } from "ethers";

import { type BasketItemRecord, parseReplayLog } from "../../sdk/replay/bulk-events.js";
import { IBatchRegistry__factory } from "../../types/ethers-contracts/index.js";
import { HOSPITAL, MAKER, PHARMACY, WHOLESALER, ethers } from "../helpers/fixtures.js";
import { UnitTree, batchIdOf, inspect } from "../helpers/supply.js";
import { type BatchCtx, DAY, GTIN, UNDO_WINDOW, distributedBatch, time } from "../supply/ledger.fixtures.js";

/** The second batch: 8 serialised units, 50 boxes, all with the maker. */
export const LOT2 = "LOT-2026-B2";
export const UNITS2 = 8;

export interface BulkCtx extends BatchCtx {
  batch2: string;
  tree2: UnitTree;
  /** Pallets 0–2 of the maker (received, cancelled, open), pallet 0 of the wholesaler (rejected). */
  pallets: { received: string; cancelled: string; open: string; rejected: string };
  /** The pharmacy's baskets by seq. */
  baskets: string[];
  /** The hospital's refused basket (nothing dispensed). */
  refusedBasket: string;
}

/** A prescription reference. */
export const rx = (n: number): string => ethers.id(`rx ${n}`);

/** The UnitsDispensed items of a transaction, in order (what undoBasket restates). */
export async function itemsOf(tx: ContractTransactionResponse): Promise<BasketItemRecord[]> {
  const receipt = (await tx.wait())!;
  return receipt.logs.flatMap((log) => {
    const parsed = parseReplayLog(log);
    if (parsed?.name !== "UnitsDispensed") return [];
    return [...(parsed.args.indices as bigint[])].map((index, i) => ({
      batchId: String(parsed.args.batchId),
      index,
      prescription: String(parsed.args.prescriptions[i]),
    }));
  });
}

/**
 * From the distributed batch (maker 40, wholesaler 40, pharmacy 20 of batch 1):
 * - batch 2 (50 boxes, 8 units) released;
 * - pallets: maker → pharmacy [b1 10, b2 12] received; maker → wholesaler [b1 5] cancelled;
 *   wholesaler → pharmacy [b1 4] rejected; maker → hospital [b2 3] left in transit;
 * - the pharmacy dispenses unit 3 of b1 alone, then baskets:
 *   0: b1 units 0–3 (3 suspect: dispensed by the pharmacy), b2 units 0, 1 → 5 dispensed;
 *   1: b1 units 1 (suspect: in basket 0), 5; b2 unit 3 with a forged hash (refused) → 1 dispensed;
 *   basket 0 partly undone (b1 unit 1, b2 unit 0);
 *   the hospital's basket of b1 unit 6 (no stock: refused), and its single dispense of b1 unit 0 (suspect: in basket 0);
 *   11 days on: 2: b1 unit 7 (basket 0 expires); 3: b2 unit 2 (basket 1 expires);
 *   4: b1 unit 8, wholly undone; 5: b1 unit 9 (basket 2 still open: no expiry).
 */
export async function bulkChain(): Promise<BulkCtx> {
  const c = await distributedBatch();
  const br = c.batchRegistry;
  const { batchId, tree } = c;

  // ---- a second batch ----
  const tree2 = UnitTree.sequential(GTIN, UNITS2, "B2-");
  const now = BigInt(await time.latest());
  await br.connect(c.maker).createBatch({
    gtin: GTIN,
    lot: LOT2,
    manufacturedAt: now - DAY,
    expiresAt: now + 365n * DAY,
    quantity: 50n,
    unitsRoot: tree2.root,
    unitCount: tree2.count,
  });
  const batch2 = batchIdOf(GTIN, LOT2);
  await inspect(br, c.makerQa, batch2);
  await br.connect(c.makerQa).releaseBatch(batch2);

  // ---- pallets ----
  const ship = async (sender: typeof c.maker, to: bigint, lines: { batchId: string; quantity: bigint }[]) => {
    const id = await br.connect(sender).shipPallet.staticCall(to, lines);
    await br.connect(sender).shipPallet(to, lines);
    return { id, lines };
  };
  const received = await ship(c.maker, PHARMACY, [
    { batchId, quantity: 10n },
    { batchId: batch2, quantity: 12n },
  ]);
  await br.connect(c.pharmacy).receivePallet(received.id, received.lines);
  const cancelled = await ship(c.maker, WHOLESALER, [{ batchId, quantity: 5n }]);
  await br.connect(c.maker).cancelPallet(cancelled.id, cancelled.lines);
  const rejected = await ship(c.wholesaler, PHARMACY, [{ batchId, quantity: 4n }]);
  await br.connect(c.pharmacy).rejectPallet(rejected.id, rejected.lines);
  const open = await ship(c.maker, HOSPITAL, [{ batchId: batch2, quantity: 3n }]);

  // ---- baskets ----
  await br.connect(c.pharmacy).dispense(tree.unit(batchId, 3n));
  const baskets: string[] = [];
  const present = async (groups: Parameters<typeof br.dispenseBasket>[0]) => {
    const [id] = await br.connect(c.pharmacy).dispenseBasket.staticCall(groups);
    const tx = await br.connect(c.pharmacy).dispenseBasket(groups);
    baskets.push(id);
    return tx;
  };
  const basket0 = await present([tree.group(batchId, [0n, 1n, 2n, 3n], rx(0)), tree2.group(batch2, [0n, 1n])]);
  const forged = tree2.group(batch2, [3n]);
  forged.units = forged.units.map((u) => ({ ...u, unitHash: ethers.id("forged") }));
  await present([tree.group(batchId, [1n, 5n], rx(1)), forged]);
  // Undo basket 0's b1 unit 1 and b2 unit 0.
  const items0 = await itemsOf(basket0);
  const positions = [items0.findIndex((i) => i.index === 1n && i.batchId === batchId), items0.findIndex((i) => i.index === 0n && i.batchId === batch2)];
  await br.connect(c.pharmacy).undoBasket(0, items0, positions);
  const [refusedBasket] = await br.connect(c.hospital).dispenseBasket.staticCall([tree.group(batchId, [6n])]);
  await br.connect(c.hospital).dispenseBasket([tree.group(batchId, [6n])]);
  await br.connect(c.hospital).dispense(tree.unit(batchId, 0n));

  await time.increase(UNDO_WINDOW + DAY);
  await present([tree.group(batchId, [7n])]);
  await present([tree2.group(batch2, [2n])]);
  const basket4 = await present([tree.group(batchId, [8n])]);
  await br.connect(c.pharmacy).undoBasket(4, await itemsOf(basket4), [0]);
  await present([tree.group(batchId, [9n])]);

  return {
    ...c,
    batch2,
    tree2,
    pallets: { received: received.id, cancelled: cancelled.id, open: open.id, rejected: rejected.id },
    baskets,
    refusedBasket,
  };
}

// The deployment record, every log and a replayer over them: as the other replay suites build them.
export { allLogs, recordOf, replayerOf } from "./replay.fixtures.js";

/** Every event of the BatchRegistry, bulk ones included: to re-encode a changed log. */
const iface = new Interface(IBatchRegistry__factory.abi);

const nameOf = (log: Log): string | undefined => parseReplayLog(log)?.name;

/** The logs with the `n`th log (from 0) of event `name` replaced by itself with `changes` (re-encoded). */
export function replaced(logs: readonly Log[], name: string, n: number, changes: Record<string, unknown>): Log[] {
  const target = logs.filter((log) => nameOf(log) === name)[n];
  if (target === undefined) throw new Error(`no ${name} log #${n}`);
  const parsed = iface.parseLog(target)!;
  const values = parsed.fragment.inputs.map((input, i) => (input.name in changes ? changes[input.name] : parsed.args[i]));
  const { data, topics } = iface.encodeEventLog(parsed.fragment, values);
  const changed = new Log({ ...target, data, topics }, ethers.provider);
  return logs.map((log) => (log === target ? changed : log));
}

/** The logs without the `n`th log (from 0) of event `name`. */
export function without(logs: readonly Log[], name: string, n = 0): Log[] {
  const target = logs.filter((log) => nameOf(log) === name)[n];
  if (target === undefined) throw new Error(`no ${name} log #${n}`);
  return logs.filter((log) => log !== target);
}

/** The `n`th log (from 0) of event `name`. */
export function logOf(logs: readonly Log[], name: string, n = 0): Log {
  const target = logs.filter((log) => nameOf(log) === name)[n];
  if (target === undefined) throw new Error(`no ${name} log #${n}`);
  return target;
}

/** The arguments of the `n`th log of event `name`. */
export function argsOf(logs: readonly Log[], name: string, n = 0): Record<string, unknown> {
  const parsed = parseReplayLog(logOf(logs, name, n))!;
  return Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, parsed.args[i] as unknown]));
}

export { HOSPITAL, MAKER, PHARMACY, WHOLESALER };
