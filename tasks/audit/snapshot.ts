import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { missingUnitDumps, takeSnapshot, writeSnapshot } from "../../sdk/replay/snapshot.js";
import { phasedProgress } from "../lib/progress.js";
import { openDeployment, required, taskAction, type TaskResult } from "../lib/runtime.js";

interface Args {
  out?: string;
  json: boolean;
}

/**
 * Replays the chain to its head, checks the rebuilt state against the views (and refuses
 * on any mismatch or log anomaly), and writes a snapshot: the block and its hash, the
 * canonical state and its digest, and the off-chain artefacts the chain commits to
 * (each batch's unit dump with the hash of its bytes, every evidence reference).
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const out = required("--out", args.out);
  const deployed = await openDeployment(hre);
  const bar = phasedProgress("replay", args.json);
  const snapshot = await takeSnapshot({
    provider: deployed.ethers.provider,
    record: deployed.record,
    ignitionDir: hre.config.paths.ignition,
    onProgress: (p) => bar.update(p),
  });
  bar.stop();
  await writeSnapshot(out, snapshot);
  const missing = missingUnitDumps(snapshot);
  const { units, evidence } = snapshot.artefacts;
  const json = {
    file: out,
    chainId: snapshot.chainId,
    block: snapshot.block,
    blockHash: snapshot.blockHash,
    blockTime: snapshot.blockTime,
    digest: snapshot.digest,
    unitDumps: String(units.length),
    evidence: String(evidence.length),
    missing: String(missing.length),
    missingUnitDumps: missing.map((u) => ({ batchId: u.batchId, unitsRoot: u.unitsRoot })),
  };
  const human = [
    `snapshot of block ${snapshot.block} (${snapshot.blockHash}, ${snapshot.blockTime}) written to ${out}`,
    `state digest ${snapshot.digest}; ${units.length} unit dumps, ${evidence.length} evidence references`,
    missing.length === 0
      ? "every batch's unit dump is on this machine"
      : `${missing.length} unit dumps missing on this machine: ${missing.map((u) => `${u.batchId} (${u.unitsRoot})`).join(", ")}`,
  ].join("\n");
  return { json, human };
}

export default taskAction(run);
