import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { UserError } from "../../sdk/errors.js";
import { replayChain } from "../../sdk/replay/chain.js";
import { phasedProgress } from "../lib/progress.js";
import { openDeployment, taskAction, type TaskResult } from "../lib/runtime.js";

interface Args {
  fromBlock?: string;
  checkpoint?: string;
  json: boolean;
}

/**
 * Replays every MedState event from the deployment block, rebuilds the whole state from
 * the logs alone and compares it, field by field, with what the contracts' views say at
 * the last block read. Exits non-zero when anything differs.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  let fromBlock: number | undefined;
  if (args.fromBlock !== undefined) {
    if (!/^\d+$/.test(args.fromBlock.trim())) throw new UserError(`invalid --from-block "${args.fromBlock}": expected a block number`);
    fromBlock = Number(args.fromBlock.trim());
  }
  const started = performance.now();
  const deployed = await openDeployment(hre);
  const bar = phasedProgress("replay", args.json);
  const result = await replayChain({
    provider: deployed.ethers.provider,
    record: deployed.record,
    fromBlock,
    checkpointFile: args.checkpoint,
    onProgress: (p) => bar.update(p),
  });
  bar.stop();
  const { state } = result;
  const observations = [...state.subjects.values()].reduce((sum, s) => sum + s.observations, 0n);
  const json = {
    chainId: deployed.record.chainId,
    fromBlock: String(result.fromBlock),
    toBlock: String(result.toBlock),
    blockHash: result.blockHash,
    ...(result.resumedFrom === undefined ? {} : { resumedFrom: String(result.resumedFrom) }),
    events: state.events,
    eventCounts: Object.fromEntries([...state.counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
    parties: String(state.identity.parties.size),
    members: String(state.identity.members.size),
    proposals: String(state.governance.proposals.size),
    products: String(state.products.size),
    applications: String([...state.applications.values()].reduce((sum, pending) => sum + pending.size, 0)),
    batches: String(state.batches.size),
    shipments: String(state.shipments.size),
    pallets: String(state.pallets.size),
    // Basket records still open to undo, and units a basket holds dispensed.
    openBaskets: String(state.baskets.size),
    basketUnits: String([...state.batches.values()].reduce((sum, b) => sum + b.basketUnits.size, 0)),
    observations,
    recalls: [...state.subjects.values()].reduce((sum, s) => sum + s.recalls, 0n),
    cases: String(state.cases.size),
    digest: result.digest,
    seconds: ((performance.now() - started) / 1000).toFixed(1),
    // The process's peak resident memory (maxRSS is in KiB).
    peakMemoryMB: String(Math.round(process.resourceUsage().maxRSS / 1024)),
    // Pushes a mirror refused (the registry's change stood): the mirror is stale for these subjects.
    mirrorPushFailures: [...state.identity.pushFailures].flatMap(([mirror, subjects]) =>
      [...subjects].map(([subject, failures]) => ({ mirror, subject, failures: String(failures) })),
    ),
    mismatches: result.mismatches,
    anomalies: result.anomalies,
  };
  const problems = result.mismatches.length + result.anomalies.length;
  const human = [
    `replayed ${state.events} events from block ${result.fromBlock} to ${result.toBlock}: ` +
      `${json.parties} parties, ${json.products} products, ${json.batches} batches, ${json.shipments} shipments, ${json.pallets} pallets, ` +
      `${json.basketUnits} units dispensed in baskets, ` +
      `${observations} observations, ${json.cases} suspect cases`,
    `state digest ${result.digest} at block ${result.toBlock} (${result.blockHash}); ${json.seconds} s, peak memory ${json.peakMemoryMB} MB`,
    ...json.mirrorPushFailures.map(
      (f) => `mirror ${f.mirror} refused ${f.failures} push${f.failures === "1" ? "" : "es"} for ${f.subject}: it may not reflect the registry there`,
    ),
    problems === 0
      ? "0 mismatches: the contracts' views equal the state the events rebuild"
      : [
          ...result.anomalies.map((a) => `anomaly at block ${a.block} log ${a.logIndex} (${a.event}): ${a.problem}`),
          ...result.mismatches.map((m) => `mismatch: ${m.entity} ${m.field}: events say ${m.replayed}, view says ${m.view}`),
        ].join("\n"),
  ].join("\n");
  return {
    json,
    human,
    alarm:
      problems === 0
        ? undefined
        : `${result.mismatches.length} mismatches and ${result.anomalies.length} log anomalies between the events and the views`,
  };
}

export default taskAction(run);
