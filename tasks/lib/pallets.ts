/**
 * Pallets for the CLI: lines read from a file or an option, a pallet's lines recovered
 * from its PalletShipped event (so that nobody retypes them to close it), and closing a
 * pallet as its receiver (receive, reject) or its sender (cancel).
 */
import { readFile } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { type PalletLine, palletLines } from "../../sdk/baskets.js";
import { SHIPMENT_STATUSES, enumName } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { shortId } from "../../sdk/references.js";
import { type Deployed, type TaskResult, eventsNamed, openDeployment, resolveSigner, send } from "./runtime.js";
import { batchIdFromText, parseIdText, resolveId } from "./references.js";

const LINE = /^([^\s:]+)(?:\s*:\s*|\s+)(\S+)$/;

/** One pallet line, `BATCH QTY` or `BATCH:QTY`; `where` names it in a refusal (`lines.txt line 3`). */
export function parsePalletLine(text: string, where: string): PalletLine {
  const match = LINE.exec(text.trim());
  if (match === null) throw new UserError(`${where}: expected "BATCH QTY" or "BATCH:QTY", got "${text.trim()}"`);
  const [, batch, quantity] = match;
  let batchId: string | undefined;
  try {
    batchId = batchIdFromText("batch", batch);
  } catch {
    batchId = undefined;
  }
  if (batchId === undefined) throw new UserError(`${where}: invalid batch "${batch}": expected a 0x-prefixed 32-byte id or GTIN/LOT`);
  if (!/^\d+$/.test(quantity) || BigInt(quantity) === 0n || BigInt(quantity) >= 2n ** 48n) {
    throw new UserError(`${where}: invalid quantity "${quantity}": expected a positive integer below ${2n ** 48n}`);
  }
  return { batchId, quantity: BigInt(quantity) };
}

/**
 * The lines of `--lines FILE` (one a line; blank lines and `#` comments skipped) or of
 * `--line` (comma-separated), checked as the contract checks them.
 */
export async function readPalletLines(file: string | undefined, option: string | undefined): Promise<PalletLine[]> {
  if (file !== undefined && option !== undefined) throw new UserError("give --lines FILE or --line BATCH:QTY,…, not both");
  if (file !== undefined) {
    let content: string;
    try {
      content = await readFile(file, "utf8");
    } catch {
      throw new UserError(`cannot read lines file "${file}"`);
    }
    const lines: PalletLine[] = [];
    content.split("\n").forEach((row, i) => {
      const hash = row.indexOf("#");
      const text = (hash === -1 ? row : row.slice(0, hash)).trim();
      if (text !== "") lines.push(parsePalletLine(text, `${file} line ${i + 1}`));
    });
    return palletLines(lines);
  }
  const entries = (option ?? "").split(",").map((entry) => entry.trim());
  return palletLines(entries.map((entry, i) => parsePalletLine(entry, `--line entry ${i + 1}`)));
}

/** A shipped pallet as its PalletShipped event tells it. */
export interface ShippedPallet {
  palletId: string;
  from: bigint;
  to: bigint;
  seq: bigint;
  lines: PalletLine[];
}

/** The pallet's lines and parties from its PalletShipped event (queried by its indexed id). */
export async function findPallet(deployed: Deployed, palletId: string): Promise<ShippedPallet> {
  const { batches, record } = deployed;
  const [event] = await batches.queryFilter(batches.filters.PalletShipped(palletId), Number(record.block));
  if (event === undefined) throw new UserError(`unknown pallet ${palletId}`);
  return {
    palletId,
    from: event.args.from,
    to: event.args.to,
    seq: event.args.seq,
    lines: event.args.lines.map((line) => ({ batchId: line.batchId, quantity: line.quantity })),
  };
}

/** Lines as `--json` shows them. */
export function linesJson(lines: readonly PalletLine[]): { batchId: string; quantity: string }[] {
  return lines.map((line) => ({ batchId: line.batchId, quantity: line.quantity.toString() }));
}

/** Lines for people, one a row: `  line  3  0xff16…8c18  120` plus what `extra` adds. */
export function linesHuman(lines: readonly PalletLine[], extra: (i: number) => string = () => ""): string {
  const width = String(lines.length).length;
  const qty = Math.max(...lines.map((line) => line.quantity.toString().length));
  return lines
    .map((line, i) => `  line ${String(i + 1).padStart(width)}  ${shortId(line.batchId)}  ${line.quantity.toString().padStart(qty)}${extra(i)}`)
    .join("\n");
}

/** The options of the tasks that close a shipment or a pallet. */
export interface CloseArgs {
  shipment?: string;
  pallet?: string;
  from?: string;
  json: boolean;
}

/** `--pallet`, when the operator gave it (and not `--shipment` too); undefined for a shipment. */
export function palletOption(args: CloseArgs): string | undefined {
  if (args.pallet === undefined) return undefined;
  if (args.shipment !== undefined) throw new UserError("give --shipment or --pallet, not both");
  return parseIdText("--pallet", args.pallet);
}

/**
 * Closes an open pallet whole, its lines read from the chain: received (by its receiver,
 * credited to it), cancelled (by its sender) or rejected (by its receiver), both credited
 * back to the sender. Reports each line with the credited party's holding of it after.
 */
export async function closePallet(
  hre: HardhatRuntimeEnvironment,
  palletText: string,
  from: string | undefined,
  how: "receive" | "cancel" | "reject",
): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const palletId = await resolveId(deployed, "--pallet", palletText, "pallet");
  const pallet = await findPallet(deployed, palletId);
  const signer = await resolveSigner(ethers, from);
  const c = batches.connect(signer);
  const call =
    how === "receive"
      ? c.receivePallet(palletId, pallet.lines)
      : how === "cancel"
        ? c.cancelPallet(palletId, pallet.lines)
        : c.rejectPallet(palletId, pallet.lines);
  const receipt = await send(call);
  const [closed] = eventsNamed(batches, receipt, "PalletClosed");
  const status = enumName(SHIPMENT_STATUSES, closed.args.status as bigint);
  const credited = String(closed.args.creditedParty);
  const held = await Promise.all(pallet.lines.map((line) => batches.holding(line.batchId, credited)));
  return {
    json: {
      palletId,
      status,
      from: pallet.from.toString(),
      to: pallet.to.toString(),
      seq: pallet.seq.toString(),
      credited,
      signer: signer.address,
      lines: pallet.lines.map((line, i) => ({ batchId: line.batchId, quantity: line.quantity.toString(), held: held[i].toString() })),
    },
    human:
      `pallet ${palletId} ${status} (party ${pallet.from}'s pallet #${pallet.seq} to party ${pallet.to}), signed by ${signer.address}: ` +
      `${pallet.lines.length} line${pallet.lines.length === 1 ? "" : "s"} credited to party ${credited}\n` +
      linesHuman(pallet.lines, (i) => `  → party ${credited} holds ${held[i]}`),
  };
}
