import { stat } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { type CommittedBatch, auditUnitLists, committedBatches } from "../../sdk/unit-audit.js";
import { progress } from "../lib/progress.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";
import { unitsDir } from "../lib/supply.js";

interface Args {
  unitsDir?: string;
  json: boolean;
}

/** `0xff16…8c18`: a 32-byte id as people read it. */
const short = (id: string) => `${id.slice(0, 6)}…${id.slice(-4)}`;
const named = (b: { gtin: string; lot: string; batchId: string }) => `${b.gtin}/${b.lot} (${short(b.batchId)})`;

/**
 * Flags every unit hash committed to more than one batch, which defeats clone detection:
 * loads the unit lists this machine has (the dumps `batch create` keeps beside the
 * deployment record, and those in `--units-dir`), keeps those whose rebuilt root is a
 * batch's `unitsRoot` on chain, and compares their unit hashes across batches. Exits 1
 * when a unit is committed twice.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const extra = args.unitsDir === undefined ? undefined : path.resolve(args.unitsDir);
  if (extra !== undefined && !(await stat(extra).then((s) => s.isDirectory(), () => false))) {
    throw new UserError(`invalid --units-dir "${args.unitsDir}": not a directory`);
  }
  const deployed = await openDeployment(hre);
  const { record, chainId } = deployed;
  const batches = await committedBatches(deployed.ethers.provider, record.contracts.BatchRegistry, Number(record.block));
  const bar = progress("unit lists", args.json);
  const audit = await auditUnitLists({
    batches,
    dirs: [unitsDir(hre, chainId), ...(extra === undefined ? [] : [extra])],
    onProgress: (done, total) => bar.update(done, total),
  });
  bar.stop();

  const batch = (b: CommittedBatch) => ({ batchId: b.batchId, gtin: b.gtin, lot: b.lot, unitsRoot: b.unitsRoot, unitCount: b.unitCount.toString() });
  const json = {
    chainId: record.chainId,
    batches: String(audit.batches),
    lists: String(audit.lists),
    units: String(audit.units),
    duplicates: audit.duplicates.map((d) => ({ ...d, batches: d.batches.map((b) => ({ ...b, index: String(b.index) })) })),
    unmatched: audit.unmatched,
    unlisted: audit.unlisted.map(batch),
  };
  const count = audit.duplicates.length;
  const units = (n: number) => `${n} unit${n === 1 ? "" : "s"}`;
  const human = [
    `checked ${units(audit.units)} of ${audit.lists} unit list${audit.lists === 1 ? "" : "s"} against ${audit.batches} batch${audit.batches === 1 ? "" : "es"} on chain ${record.chainId}: ` +
      (count === 0 ? "no unit is committed to more than one batch" : `${units(count)} committed to more than one batch`),
    ...audit.duplicates.map(
      (d) =>
        `unit ${d.unitHash}${d.code === null ? "" : ` (${d.code})`} committed to ${d.batches.length} batches: ` +
        d.batches.map((b) => `${named(b)} #${b.index}`).join(", "),
    ),
    ...audit.unmatched.map((u) => `not used: ${u.file}: ${u.reason}`),
    ...audit.unlisted.map((b) => `not checked: batch ${named(b)} commits ${b.unitCount} units, and no list of root ${b.unitsRoot} is here`),
  ].join("\n");
  const first = audit.duplicates[0];
  return {
    json,
    human,
    alarm:
      first === undefined
        ? undefined
        : `${units(count)} committed to more than one batch (first: ${first.unitHash} in ${first.batches.map((b) => `${b.gtin}/${b.lot} #${b.index}`).join(" and ")})`,
  };
}

export default taskAction(run);
