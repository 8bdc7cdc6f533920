import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Domain, UNIT_STATUSES, UnitStatus } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { readUnitCodes } from "../../sdk/units.js";
import { basketDispenserBefore } from "../lib/baskets.js";
import { type TaskResult, openDeployment, resolveSigner, taskAction } from "../lib/runtime.js";
import { batchHistory, unitsDir } from "../lib/supply.js";
import { resolveBatch } from "../lib/references.js";

interface Args {
  batch?: string;
  from?: string;
  json: boolean;
}

/**
 * Lists suspect-unit reports (genuine codes presented again: clones) for the regulator
 * and for a batch's holders. The reports are events, visible to every node of the
 * consortium; this command serves the parties that must act on them: a regulator sees
 * every batch's, any other party the batches it holds or has held (or made).
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
  const reports = [];
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
    });
  }
  const scope = only ?? (regulator ? "every batch" : `the batches party ${partyId} holds or has held`);
  const human = [
    `${reports.length} suspect report${reports.length === 1 ? "" : "s"} for ${scope}`,
    ...reports.map(
      (r) =>
        `  #${r.reportNo} ${r.code ?? `unit ${r.index}`} (batch ${r.batchId}): presented by party ${r.reporter}, ` +
        `already ${r.status} by party ${r.recordedParty} — block ${r.block}`,
    ),
  ].join("\n");
  return { json: { scope: only ?? (regulator ? "all" : "held"), party: partyId.toString(), reports }, human };
}

export default taskAction(run);
