import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { readSnapshot, verifySnapshot } from "../../sdk/replay/snapshot.js";
import { phasedProgress } from "../lib/progress.js";
import { connect, required, taskAction, type TaskResult } from "../lib/runtime.js";

interface Args {
  file?: string;
  evidenceDir?: string;
  unitsDir?: string;
  json: boolean;
}

/**
 * Checks a snapshot against this network's node, which need not be the one it was taken
 * on: the node has the snapshot's block with the same hash, a replay from the deployment
 * block to it gives the same digest (else every differing path), the snapshot's state
 * equals the views at that block, and every unit dump and evidence file still hashes
 * (and rebuilds) to what the chain commits to. Exits non-zero on any difference.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const file = required("--file", args.file);
  const snapshot = await readSnapshot(file);
  const connection = await connect(hre);
  const bar = phasedProgress("replay", args.json);
  const result = await verifySnapshot({
    provider: connection.ethers.provider,
    snapshot,
    ignitionDir: hre.config.paths.ignition,
    unitsDir: args.unitsDir === undefined ? undefined : path.resolve(args.unitsDir),
    evidenceDir: args.evidenceDir === undefined ? undefined : path.resolve(args.evidenceDir),
    onProgress: (p) => bar.update(p),
  });
  bar.stop();
  const json = {
    ok: result.ok,
    file,
    chainId: snapshot.chainId,
    block: snapshot.block,
    blockHash: snapshot.blockHash,
    digest: snapshot.digest,
    ...(result.rebuiltDigest === undefined ? {} : { rebuiltDigest: result.rebuiltDigest }),
    differences: result.differences,
    differenceCount: String(result.differenceCount),
    stateDifferences: String(result.stateDifferences),
    checked: { unitDumps: String(result.checked.units), evidence: String(result.checked.evidence) },
    unverified: String(result.unverified.length),
    unverifiedEvidence: result.unverified,
  };
  const where = (d: (typeof result.differences)[number]) => [d.entity, d.path].filter((x) => x !== undefined).join(" ");
  const summary =
    `${result.checked.units} unit dumps and ${result.checked.evidence} evidence files checked, ` +
    `${result.unverified.length} evidence references not checkable here`;
  const human = result.ok
    ? [
        `snapshot ${file} verified: block ${snapshot.block} has hash ${snapshot.blockHash} on this node, ` +
          `the replay gives digest ${snapshot.digest}, and the views agree`,
        summary,
      ].join("\n")
    : [
        `snapshot ${file} does not match this node at block ${snapshot.block}: ${result.differenceCount} differences`,
        ...result.differences.map((d) => `${d.what}: ${where(d)}: snapshot ${d.snapshot ?? "(absent)"}, actual ${d.actual ?? "(absent)"}`),
        ...(result.differenceCount > result.differences.length
          ? [`… and ${result.differenceCount - result.differences.length} more state differences`]
          : []),
        summary,
      ].join("\n");
  const first = result.differences[0];
  return {
    json,
    human,
    alarm: result.ok
      ? undefined
      : `snapshot ${file} does not match this node: ${result.differenceCount} differences (first: ${first.what}${where(first) === "" ? "" : ` ${where(first)}`})`,
  };
}

export default taskAction(run);
