import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { BASKET_OUTCOMES, BASKET_OUTCOME_TEXT, type BasketOutcomeName, basketGroups } from "../../sdk/baskets.js";
import { UNIT_STATUSES, enumName } from "../../sdk/enums.js";
import { type FoundCode, type Unknown, basketDispenserBefore, findBasketCodes, readBasketFile, shortId } from "../lib/baskets.js";
import { UserError } from "../../sdk/errors.js";
import { type TaskResult, eventsNamed, openDeployment, resolveSigner, send } from "../lib/runtime.js";
import { openCloneCase } from "../lib/suspect.js";
import { unitsDir } from "../lib/supply.js";
import { type ReportedCode, gtinText, reachesText, reportUnknownCodes, unknownCodeOf } from "../lib/unknown-codes.js";

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
  /**
   * The contract's outcome, kebab-case (`no-stock`, `not-released`…); `unknown` for a code
   * no batch holds (reported on chain), `unlisted` for a code of a batch whose unit list
   * this machine lacks (neither sent nor reported).
   */
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
  /** An unknown code: its hash and the GTIN it names (null: none), and the holder its report reached (null: none). */
  codeHash?: string;
  gtin?: string | null;
  holder?: string | null;
}

const kebab = (name: string) => name.replace(/[a-z](?=[A-Z])/g, "$&-").toLowerCase();
const keyOf = (batchId: string, index: bigint | number | string) => `${batchId.toLowerCase()}/${BigInt(index)}`;

/**
 * Dispenses the codes of `--file` as one basket (`dispenseBasket`): every code found in a
 * local unit list goes in, grouped by batch with one multiproof each. The basket is
 * simulated first (each unit's outcome, and a refusal of the whole transaction before
 * anything is sent), then sent; what the receipt's events say is final. A suspect unit is
 * reported as a single dispense reports it: a suspect case opened on it, and an alarm
 * (exit code 1), though the transaction went through and the rest of the basket stands,
 * which the summary says. The codes no batch holds are not dispensed: after the basket,
 * they are reported on chain as unknown codes, all in one more transaction
 * (`reportUnknownCodes`), for the regulator and the products' holders, and raise the
 * alarm too. A code of a batch whose unit list this machine lacks is neither sent nor
 * reported (it may be genuine): `unlisted`.
 */
export async function runBasket(args: BasketArgs, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const codes = await readBasketFile(args.file);
  const deployed = await openDeployment(hre);
  const { ethers, batches } = deployed;
  const found = await findBasketCodes(deployed, unitsDir(hre, deployed.chainId), codes);
  const known = found.flatMap((f, i) => ("unknown" in f ? [] : [{ at: i, unit: f }]));
  // Codes no batch holds (not those of a batch whose list is missing here): reported after the basket.
  const unknown = found.flatMap((f, i) => ("unknown" in f && f.unlisted !== true ? [i] : []));
  if (known.length === 0 && unknown.length === 0) {
    throw new UserError(`none of the ${codes.length} codes of ${args.file} is in a local unit list: nothing sent`);
  }
  const signer = await resolveSigner(ethers, args.from);
  const sent = known.length === 0 ? undefined : await sendBasket();
  const unknownReports = new Map<number, ReportedCode>();
  let reportReceipt: { hash: string; gasUsed: bigint } | undefined;
  if (unknown.length > 0) {
    const sentReports = await reportUnknownCodes(deployed, signer, await Promise.all(unknown.map((i) => unknownCodeOf(deployed, codes[i].unit.canonical))));
    unknown.forEach((i, k) => unknownReports.set(i, sentReports.reports[k]));
    reportReceipt = sentReports.receipt;
  }
  const receipt = sent?.receipt;
  const simulated = sent?.simulated ?? [];
  const entryOf = sent?.entryOf ?? [];

  const [summary] = receipt === undefined ? [] : eventsNamed(batches, receipt, "BasketDispensed");
  const dispensed = new Set<string>();
  for (const e of receipt === undefined ? [] : eventsNamed(batches, receipt, "UnitsDispensed")) {
    for (const index of e.args.indices as bigint[]) dispensed.add(keyOf(String(e.args.batchId), index));
  }
  const reported = new Map<string, { previous: string; recordedParty: string; reportNo: string; caseId: string | null; noCase: string }>();
  for (const e of receipt === undefined ? [] : eventsNamed(batches, receipt, "SuspectUnitReported")) {
    const batchId = String(e.args.batchId);
    const index = e.args.index as bigint;
    let recordedParty = String(e.args.recordedParty);
    // A unit dispensed in a basket reads as dispensed by party 0: its basket's event names the party.
    if (receipt !== undefined && recordedParty === "0" && Number(e.args.status) === 1) {
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

  const units = codes.map(({ line, unit }, i) => describe(String(line), unit.canonical, found[i], simulatedOf.get(i), unknownReports.get(i)));
  const count = (status: string) => units.filter((u) => u.status === status).length;
  const totals = { dispensed: count("dispensed"), suspect: count("suspect"), refused: count("refused"), unknown: count("unknown") };
  const basketId = summary === undefined ? null : String(summary.args.basketId);
  const party = summary === undefined ? null : String(summary.args.party);
  const seq = summary === undefined ? null : String(summary.args.seq);
  const gasUsed = receipt === undefined ? null : receipt.gasUsed.toString();
  const reportedCodes = [...unknownReports.values()];
  const reportNos =
    reportedCodes.length === 0
      ? ""
      : reportedCodes.length === 1
        ? `#${reportedCodes[0].reportNo}`
        : `#${reportedCodes[0].reportNo}–#${reportedCodes.at(-1)!.reportNo}`;

  const width = Math.max(...units.map((u) => u.code.length));
  const lineWidth = Math.max(...units.map((u) => u.line.length));
  const rows = units.map(
    (u) => `${u.status === "suspect" || (u.status === "unknown" && u.reportNo !== undefined) ? "!" : " "} line ${u.line.padStart(lineWidth)}  ${u.code.padEnd(width)}  ${u.message}`,
  );
  const suspectNote =
    totals.suspect === 0
      ? ""
      : ` The transaction went through, but ${totals.suspect} unit${totals.suspect === 1 ? " is" : "s are"} SUSPECT ` +
        "(not active: a clone or a diverted box), reported to the regulator, each with a suspect case: set them aside.";
  const unknownNote =
    reportedCodes.length === 0
      ? ""
      : ` ${reportedCodes.length} unknown code${reportedCodes.length === 1 ? "" : "s"} (no batch holds ${reportedCodes.length === 1 ? "it" : "them"}) ` +
        `reported to the regulator in one transaction: unknown-code report${reportedCodes.length === 1 ? "" : "s"} ${reportNos}; set ${reportedCodes.length === 1 ? "it" : "them"} aside.`;
  const head =
    summary === undefined
      ? `no basket sent (no code is in a local unit list), signed by ${signer.address}: `
      : `basket ${basketId} (party ${party}'s basket #${seq}), signed by ${signer.address}: `;
  const human =
    `${rows.join("\n")}\n` +
    head +
    `${totals.dispensed} dispensed, ${totals.suspect} suspect, ${totals.refused} refused, ${totals.unknown} unknown` +
    `${gasUsed === null ? "" : `; gas ${gasUsed}`}.${suspectNote}${unknownNote}`;
  const alarms = [
    totals.suspect === 0
      ? ""
      : `${totals.suspect} suspect unit${totals.suspect === 1 ? "" : "s"} in basket ${basketId}: ` +
        units
          .filter((u) => u.status === "suspect")
          .map((u) => `line ${u.line} ${u.code}`)
          .join(", "),
    reportedCodes.length === 0
      ? ""
      : `${reportedCodes.length} unknown code${reportedCodes.length === 1 ? "" : "s"}, not dispensed, reported as unknown-code report${reportedCodes.length === 1 ? "" : "s"} ${reportNos}: ` +
        units
          .filter((u) => u.reportNo !== undefined && u.status === "unknown")
          .map((u) => `line ${u.line} ${u.code}`)
          .join(", "),
  ].filter((a) => a !== "");
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
      transaction: receipt?.hash ?? null,
      reportTransaction: reportReceipt?.hash ?? null,
      reportGasUsed: reportReceipt === undefined ? null : reportReceipt.gasUsed.toString(),
      units,
    },
    human,
    // As for a single code: a suspect unit or an unknown code is an alarm (stderr, exit
    // code 1), though the basket's transaction went through and the rest of it stands.
    alarm: alarms.length === 0 ? undefined : alarms.join("; "),
  };

  /** Simulates the basket (a refusal of the whole of it sends nothing), then sends it. */
  async function sendBasket() {
    const { groups, entryOf: entries } = basketGroups(known.map(({ unit }) => ({ batchId: unit.batchId, tree: unit.tree, index: unit.index })));
    const basket = batches.connect(signer);
    const [, outcomes] = await basket.dispenseBasket.staticCall(groups);
    return { receipt: await send(basket.dispenseBasket(groups)), simulated: outcomes, entryOf: entries };
  }

  function describe(
    line: string,
    code: string,
    where: FoundCode | Unknown,
    guess: BasketOutcomeName | undefined,
    unknownReport: ReportedCode | undefined,
  ): UnitResult {
    if ("unknown" in where) {
      if (unknownReport === undefined) {
        return { line, code, status: "unknown", outcome: "unlisted", message: `${where.unknown}: not sent, not reported`, batchId: null, index: null };
      }
      return {
        line,
        code,
        status: "unknown",
        outcome: "unknown",
        message: `UNKNOWN: no batch on this chain holds this code; reported to ${reachesText(unknownReport)} as unknown-code report #${unknownReport.reportNo}`,
        batchId: null,
        index: null,
        codeHash: unknownReport.codeHash,
        gtin: gtinText(unknownReport.gtin),
        reportNo: unknownReport.reportNo,
        holder: unknownReport.holder === "0" ? null : unknownReport.holder,
      };
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
