/**
 * Unknown codes (EU FMD's unknown pack): a code that no batch holds, presented at
 * `unit dispense` or `unit verify --report`, is reported on chain (`reportUnknownCode`,
 * or `reportUnknownCodes` for a basket's in one transaction) with its hash and the GTIN
 * it names, so that it reaches the regulator's and the product holder's lists.
 */
import type { Signer, TransactionReceipt } from "ethers";

import { parseUnitCode } from "../../sdk/codes.js";
import type { Deployed } from "./runtime.js";
import { eventsNamed, send } from "./runtime.js";

/** A code no batch holds, as the chain takes it. */
export interface UnknownCode {
  /** The canonical code (`01<GTIN>21<serial>`, or China's 20 digits). */
  code: string;
  /** keccak256 of the canonical code: what the unit's `unitHash` would be. */
  codeHash: string;
  /** The product it names: a GS1 code's GTIN, or the product of a China code's 7-digit product code (0: none registered). */
  gtin: bigint;
}

/** An unknown code once reported: its report's number, who reported it and the product's holder (0: none). */
export interface ReportedCode extends UnknownCode {
  reportNo: string;
  reporter: string;
  holder: string;
}

/** The code, its hash and the GTIN it names (a China code's through its product code, 0 if no product has it). */
export async function unknownCodeOf(deployed: Pick<Deployed, "batches">, code: string): Promise<UnknownCode> {
  const parsed = parseUnitCode(code);
  const gtin = parsed.kind === "gs1" ? BigInt(parsed.gtin) : await deployed.batches.productOfNationalCode(BigInt(parsed.productCode));
  return { code: parsed.canonical, codeHash: parsed.unitHash, gtin };
}

/**
 * Reports `codes` (1 to 256) signed by `signer`: one code by `reportUnknownCode`, more by
 * `reportUnknownCodes`, in one transaction either way; the reports in the codes' order.
 */
export async function reportUnknownCodes(
  deployed: Deployed,
  signer: Signer,
  codes: readonly UnknownCode[],
): Promise<{ reports: ReportedCode[]; receipt: TransactionReceipt }> {
  const suspects = deployed.suspects.connect(signer);
  const receipt = await send(
    codes.length === 1
      ? suspects.reportUnknownCode(codes[0].codeHash, codes[0].gtin)
      : suspects.reportUnknownCodes(codes.map(({ codeHash, gtin }) => ({ codeHash, gtin }))),
  );
  const events = eventsNamed(deployed.suspects, receipt, "UnknownCodeReported");
  const reports = codes.map((c, i) => ({
    ...c,
    reportNo: String(events[i].args.reportNo),
    reporter: String(events[i].args.reporter),
    holder: String(events[i].args.holder),
  }));
  return { reports, receipt };
}

/** GTIN-14 text, or null for none. */
export function gtinText(gtin: bigint | string): string | null {
  return BigInt(gtin) === 0n ? null : BigInt(gtin).toString().padStart(14, "0");
}

/** Who a report reaches, in words: the regulator, and the product's holder when it has one. */
export function reachesText(r: Pick<ReportedCode, "gtin" | "holder">): string {
  if (r.holder !== "0") return `the regulator and the holder of product ${gtinText(r.gtin)} (party ${r.holder})`;
  if (r.gtin !== 0n) return `the regulator (product ${gtinText(r.gtin)} is not registered)`;
  return "the regulator (the code names no registered product)";
}

/** What `unit dispense` and `unit verify --report` print for a reported code: `status` "unknown", the report, who it reaches. */
export function reportedJson(r: ReportedCode): Record<string, string | null> {
  return {
    status: "unknown",
    code: r.code,
    codeHash: r.codeHash,
    gtin: gtinText(r.gtin),
    reportNo: r.reportNo,
    reporter: r.reporter,
    holder: r.holder === "0" ? null : r.holder,
  };
}

/** One line: the code is unknown, and was reported to whom as which report. */
export function reportedLine(r: ReportedCode): string {
  return `${r.code}: UNKNOWN — no batch on this chain holds this code; reported to ${reachesText(r)} as unknown-code report #${r.reportNo}`;
}
