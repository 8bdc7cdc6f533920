import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Domain, UNIT_STATUSES, UnitStatus } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { readUnitCodes } from "../../sdk/units.js";
import { basketDispenserBefore } from "../lib/baskets.js";
import { type TaskResult, openDeployment, resolveSigner, taskAction } from "../lib/runtime.js";
import { batchHistory, unitsDir } from "../lib/supply.js";
import { resolveBatch } from "../lib/references.js";
import { gtinText } from "../lib/unknown-codes.js";

interface Args {
  batch?: string;
  from?: string;
  json: boolean;
}

/**
 * Lists suspect-unit reports (genuine codes presented again: clones) for the regulator
 * and for a batch's holders, and unknown-code reports (codes no batch holds: status
 * `unknown-code`) for the regulator and the products' holders. The reports are events,
 * visible to every node of the consortium; this command serves the parties that must act
 * on them: a regulator sees every report; any other party the suspect reports of the
 * batches it holds or has held (or made), and the unknown-code reports of the products it
 * holds (or held when the report was made) and those it made itself. With `--batch`, that
 * batch's suspect reports alone. In chain order.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const deployed = await openDeployment(hre);
  const only = args.batch === undefined ? undefined : await resolveBatch(hre, deployed, "--batch", args.batch);
  const { ethers, registry, batches, record } = deployed;
  const signer = await resolveSigner(ethers, args.from);
  const [allowed, partyId] = await registry.isAuthorized(signer.address, 2n ** 256n - 1n, 2n ** 256n - 1n);
  if (!allowed) {
    throw new UserError(`account ${signer.address} is not an active member of an active party: it cannot list suspect reports`);
  }
  const regulator = Number((await registry.getParty(partyId)).domain) === Domain.Regulator;
  if (only !== undefined) {
    const { parties } = await batchHistory(deployed, only);
    if (!regulator && !parties.includes(partyId)) {
      throw new UserError(
        `party ${partyId} neither regulates nor has held batch ${only}: only the regulator and the batch's holders list its reports`,
      );
    }
  }
  const events = await batches.queryFilter(batches.filters.SuspectUnitReported(only), Number(record.block));
  const visible = new Map<string, boolean>();
  const codes = new Map<string, readonly string[] | undefined>();
  const reports: (Record<string, string | number | null> & { block: number; logIndex: number })[] = [];
  for (const e of events) {
    const batchId = e.args.batchId;
    if (!regulator && !visible.has(batchId)) visible.set(batchId, (await batchHistory(deployed, batchId)).parties.includes(partyId));
    if (!regulator && visible.get(batchId) !== true) continue;
    if (!codes.has(batchId)) {
      const root = (await batches.getBatch(batchId)).unitsRoot;
      codes.set(batchId, await readUnitCodes(unitsDir(hre, deployed.chainId), root));
    }
    const index = Number(e.args.index);
    // A unit dispensed in a basket reads as dispensed by party 0: its basket's events name the party.
    let recordedParty = e.args.recordedParty.toString();
    if (recordedParty === "0" && Number(e.args.status) === UnitStatus.Dispensed) {
      recordedParty = String((await basketDispenserBefore(deployed, batchId, e.args.index, e)) ?? 0n);
    }
    reports.push({
      batchId,
      reportNo: e.args.reportNo.toString(),
      index: index.toString(),
      code: codes.get(batchId)?.[index] ?? null,
      unitHash: e.args.unitHash,
      status: UNIT_STATUSES[Number(e.args.status)] ?? String(e.args.status),
      recordedParty,
      reporter: e.args.reporter.toString(),
      actor: e.args.actor,
      block: e.blockNumber,
      transaction: e.transactionHash,
      logIndex: e.index,
    });
  }
  // Unknown codes: the regulator's list, and each product holder's (the holder now, or when reported).
  const unknown = only === undefined ? await deployed.suspects.queryFilter(deployed.suspects.filters.UnknownCodeReported(), Number(record.block)) : [];
  const holders = new Map<bigint, bigint>();
  const holderOf = async (gtin: bigint): Promise<bigint> => {
    if (!holders.has(gtin)) holders.set(gtin, gtin === 0n ? 0n : await batches.getProduct(gtin).then((p) => p.holder, () => 0n));
    return holders.get(gtin)!;
  };
  for (const e of unknown) {
    const { gtin, holder, reporter } = e.args;
    if (!regulator && holder !== partyId && reporter !== partyId && (await holderOf(gtin)) !== partyId) continue;
    reports.push({
      status: "unknown-code",
      reportNo: e.args.reportNo.toString(),
      gtin: gtinText(gtin),
      codeHash: e.args.codeHash,
      holder: holder === 0n ? null : holder.toString(),
      reporter: reporter.toString(),
      actor: e.args.actor,
      block: e.blockNumber,
      transaction: e.transactionHash,
      logIndex: e.index,
    });
  }
  reports.sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);
  for (const r of reports) delete (r as { logIndex?: number }).logIndex;
  const scope =
    only ?? (regulator ? "every batch and product" : `the batches party ${partyId} holds or has held, and its products`);
  const human = [
    `${reports.length} report${reports.length === 1 ? "" : "s"} for ${scope}`,
    ...reports.map((r) =>
      r.status === "unknown-code"
        ? `  unknown code #${r.reportNo} ${String(r.codeHash)} (product ${r.gtin ?? "none"}): presented by party ${r.reporter}, ` +
          `no batch holds it${r.holder === null ? "" : `; holder party ${r.holder}`} — block ${r.block}`
        : `  suspect #${r.reportNo} ${r.code ?? `unit ${r.index}`} (batch ${r.batchId}): presented by party ${r.reporter}, ` +
          `already ${r.status} by party ${r.recordedParty} — block ${r.block}`,
    ),
  ].join("\n");
  return { json: { scope: only ?? (regulator ? "all" : "held"), party: partyId.toString(), reports }, human };
}

export default taskAction(run);
