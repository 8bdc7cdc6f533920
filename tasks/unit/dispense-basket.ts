import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { BASKET_OUTCOMES, BASKET_OUTCOME_TEXT, type BasketOutcomeName, basketGroups } from "../../sdk/baskets.js";
import { UNIT_STATUSES, enumName } from "../../sdk/enums.js";
import { type FoundCode, type Unknown, basketDispenserBefore, findBasketCodes, readBasketFile, shortId } from "../lib/baskets.js";
import { UserError } from "../../sdk/errors.js";
import { type TaskResult, eventsNamed, openDeployment, resolveSigner, send } from "../lib/runtime.js";
import { openCloneCase } from "../lib/suspect.js";
import { unitsDir } from "../lib/supply.js";

/** The options `unit dispense` takes with `--file`. */
export interface BasketArgs {
  file: string;
  from?: string;
  json: boolean;
}

/** What happened to one code of the file. */
interface UnitResult {
  line: string;
  code: string;
  /** `dispensed`, `suspect`, `refused` or `unknown`. */
  status: string;
  /** The contract's outcome, kebab-case (`no-stock`, `not-released`…), or `unknown`. */
  outcome: string;
  message: string;
  batchId: string | null;
  index: string | null;
  /**
   * A suspect unit: its status before, who recorded it (for a unit dispensed in a basket,
   * whose record names party 0: the party whose basket dispensed it, from the logs), the
   * report's number, and the suspect case opened on it (null if none could be).
   */
  previous?: string;
  recordedParty?: string;
  reportNo?: string;
  caseId?: string | null;
}

const kebab = (name: string) => name.replace(/[a-z](?=[A-Z])/g, "$&-").toLowerCase();
const keyOf = (batchId: string, index: bigint | number | string) => `${batchId.toLowerCase()}/${BigInt(index)}`;

/**
 * Dispenses the codes of `--file` as one basket (`dispenseBasket`): every code found in a
 * local unit list goes in, grouped by batch with one multiproof each; the rest are
 * reported as unknown and not sent. The basket is simulated first (each unit's outcome,
 * and a refusal of the whole transaction before anything is sent), then sent; what the
 * receipt's events say is final. A suspect unit is reported as a single dispense reports
 * it: a suspect case opened on it, and an alarm (exit code 1), though the transaction went
 * through and the rest of the basket stands, which the summary says.
 */
export async function runBasket(args: BasketArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const codes = await readBasketFile(args.file);
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const found = await findBasketCodes(deployed, unitsDir(hre, deployed.chainId), codes);
  const known = found.flatMap((f, i) => ("unknown" in f ? [] : [{ at: i, unit: f }]));
  if (known.length === 0) {
    throw new UserError(`none of the ${codes.length} codes of ${args.file} is in a local unit list: nothing sent`);
  }
  const { groups, entryOf } = basketGroups(known.map(({ unit }) => ({ batchId: unit.batchId, tree: unit.tree, index: unit.index })));
  const signer = await resolveSigner(ethers, args.from);
  const basket = batches.connect(signer);
  const [, simulated] = await basket.dispenseBasket.staticCall(groups);
  const receipt = await send(basket.dispenseBasket(groups));

  const [summary] = eventsNamed(batches, receipt, "BasketDispensed");
  const dispensed = new Set<string>();
  for (const e of eventsNamed(batches, receipt, "UnitsDispensed")) {
    for (const index of e.args.indices as bigint[]) dispensed.add(keyOf(String(e.args.batchId), index));
  }
  const reported = new Map<string, { previous: string; recordedParty: string; reportNo: string; caseId: string | null; noCase: string }>();
  for (const e of eventsNamed(batches, receipt, "SuspectUnitReported")) {
    const batchId = String(e.args.batchId);
    const index = e.args.index as bigint;
    let recordedParty = String(e.args.recordedParty);
    // A unit dispensed in a basket reads as dispensed by party 0: its basket's event names the party.
    if (recordedParty === "0" && Number(e.args.status) === 1) {
      // Dispensed earlier in this very basket (a code listed twice), if no earlier basket holds it.
      const start = { blockNumber: receipt.blockNumber, index: receipt.logs[0].index };
      recordedParty = String((await basketDispenserBefore(deployed, batchId, index, start)) ?? summary.args.party);
    }
    const reportNo = String(e.args.reportNo);
    // As a single dispense does: a suspect case on the unit.
    const { caseId, failure: noCase } = await openCloneCase(
      deployed,
      signer,
      batchId,
      index,
      `clone detected at dispensing (basket): reported as suspect #${reportNo}`,
    );
    reported.set(keyOf(batchId, index), { previous: enumName(UNIT_STATUSES, e.args.status as bigint), recordedParty, reportNo, caseId, noCase });
  }
  // The simulation gives a refused unit's reason; the receipt says what was done.
  const simulatedOf = new Map<number, BasketOutcomeName>();
  entryOf.forEach((position, k) => simulatedOf.set(known[position].at, BASKET_OUTCOMES[Number(simulated[k])]));

  const units = codes.map(({ line, unit }, i) => describe(String(line), unit.canonical, found[i], simulatedOf.get(i)));
  const count = (status: string) => units.filter((u) => u.status === status).length;
  const totals = { dispensed: count("dispensed"), suspect: count("suspect"), refused: count("refused"), unknown: count("unknown") };
  const basketId = String(summary.args.basketId);
  const party = String(summary.args.party);
  const seq = String(summary.args.seq);
  const gasUsed = receipt.gasUsed.toString();

  const width = Math.max(...units.map((u) => u.code.length));
  const lineWidth = Math.max(...units.map((u) => u.line.length));
  const rows = units.map(
    (u) => `${u.status === "suspect" ? "!" : " "} line ${u.line.padStart(lineWidth)}  ${u.code.padEnd(width)}  ${u.message}`,
  );
  const suspectNote =
    totals.suspect === 0
      ? ""
      : ` The transaction went through, but ${totals.suspect} unit${totals.suspect === 1 ? " is" : "s are"} SUSPECT ` +
        "(not active: a clone or a diverted box), reported to the regulator, each with a suspect case: set them aside.";
  const human =
    `${rows.join("\n")}\n` +
    `basket ${basketId} (party ${party}'s basket #${seq}), signed by ${signer.address}: ` +
    `${totals.dispensed} dispensed, ${totals.suspect} suspect, ${totals.refused} refused, ${totals.unknown} unknown; ` +
    `gas ${gasUsed}.${suspectNote}`;
  return {
    json: {
      basketId,
      party,
      seq,
      signer: signer.address,
      dispensed: String(totals.dispensed),
      suspect: String(totals.suspect),
      refused: String(totals.refused),
      unknown: String(totals.unknown),
      gasUsed,
      transaction: receipt.hash,
      units,
    },
    human,
    // As for a single code: a suspect unit is an alarm (stderr, exit code 1), though the
    // basket's transaction went through and the rest of it stands.
    alarm:
      totals.suspect === 0
        ? undefined
        : `${totals.suspect} suspect unit${totals.suspect === 1 ? "" : "s"} in basket ${basketId}: ` +
          units
            .filter((u) => u.status === "suspect")
            .map((u) => `line ${u.line} ${u.code}`)
            .join(", "),
  };

  function describe(line: string, code: string, where: FoundCode | Unknown, guess: BasketOutcomeName | undefined): UnitResult {
    if ("unknown" in where) {
      return { line, code, status: "unknown", outcome: "unknown", message: where.unknown, batchId: null, index: null };
    }
    const base = { line, code, batchId: where.batchId, index: String(where.index) };
    const key = keyOf(where.batchId, where.index);
    if (dispensed.has(key)) {
      return { ...base, status: "dispensed", outcome: "dispensed", message: `dispensed (batch ${shortId(where.batchId)}, unit ${where.index})` };
    }
    const report = reported.get(key);
    if (report !== undefined) {
      const { noCase, ...fields } = report;
      return {
        ...base,
        status: "suspect",
        outcome: "suspect",
        message:
          `SUSPECT: already ${report.previous} by party ${report.recordedParty}; ` +
          `reported to the regulator as suspect #${report.reportNo} of batch ${shortId(where.batchId)}; ` +
          (report.caseId === null ? noCase : `suspect case ${report.caseId} opened`),
        ...fields,
      };
    }
    // Neither dispensed nor reported: refused, for the reason the simulation gave (if the
    // chain moved between the simulation and the transaction, the reason is not known).
    const outcome = guess === undefined || guess === "Dispensed" || guess === "Suspect" ? undefined : guess;
    return {
      ...base,
      status: "refused",
      outcome: outcome === undefined ? "refused" : kebab(outcome),
      message: outcome === undefined ? "refused (the chain changed since the simulation; try again)" : BASKET_OUTCOME_TEXT[outcome],
    };
  }
}
