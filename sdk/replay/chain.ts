/**
 * The auditor's replay, given only a JSON-RPC provider and the deployment record:
 * stream every MedState log from the deployment block ({@link streamLogs}), rebuild the
 * whole state ({@link StateReplayer}), then compare it with the contracts' views at the
 * same block ({@link compareState}). Resumable: with a checkpoint file, the state and
 * the next block are saved as it goes, and a later run continues from there (unless
 * the chain under the checkpoint changed).
 */
import { type Log, type Provider, toQuantity } from "ethers";

import type { DeploymentRecord } from "../deployment.js";
import { canonicalJson, parseCanonical, stateDigest } from "./codec.js";
import { type Mismatch, compareState } from "./compare.js";
import { type Checkpoint, type LogProvider, loadCheckpoint, saveCheckpoint, streamLogs } from "./logs.js";
import { type Anomaly, REPLAY_STATE_VERSION, type ReplayState, StateReplayer } from "./state.js";

export interface ReplayChainOptions {
  provider: Provider;
  record: DeploymentRecord;
  /** The first block to read (default: the record's deployment block). Ignored when resuming. */
  fromBlock?: number;
  /** The last block to read (default: the head when the replay starts). */
  toBlock?: number;
  /** Save and resume from this file. */
  checkpointFile?: string;
  /** Save the checkpoint every this many pages (default 20). */
  checkpointEvery?: number;
  /** Skip the comparison with the views (just rebuild). */
  compare?: boolean;
  onProgress?(p: { phase: "logs" | "views"; done: number; total: number; events: bigint }): void;
}

export interface ReplayChainResult {
  state: ReplayState;
  fromBlock: number;
  toBlock: number;
  blockHash: string;
  /** The block the replay resumed from, if it resumed. */
  resumedFrom?: number;
  mismatches: Mismatch[];
  anomalies: Anomaly[];
  /** keccak-256 of the state's canonical JSON. */
  digest: string;
}

/** Rebuilds the state from the logs and compares it with the views at the last block read. */
export async function replayChain(options: ReplayChainOptions): Promise<ReplayChainResult> {
  const { provider, record } = options;
  const contracts = {
    registry: record.contracts.ConsortiumRegistry,
    governor: record.contracts.ConsortiumGovernor,
    batchRegistry: record.contracts.BatchRegistry,
  };
  const toBlock = options.toBlock ?? (await provider.getBlockNumber());
  let fromBlock = options.fromBlock ?? Number(record.block);
  let replayer = new StateReplayer(contracts);
  let resumedFrom: number | undefined;

  if (options.checkpointFile !== undefined) {
    const saved = await loadCheckpoint<unknown>(options.checkpointFile);
    if (saved !== undefined && (await resumable(provider, record, saved))) {
      replayer = new StateReplayer(parseCanonical<ReplayState>(JSON.stringify(saved.state)));
      fromBlock = saved.nextBlock;
      resumedFrom = saved.nextBlock;
    }
  }
  const startBlock = fromBlock;

  let pages = 0;
  const every = options.checkpointEvery ?? 20;
  const save = async (nextBlock: number): Promise<void> => {
    if (options.checkpointFile === undefined) return;
    const block = await provider.getBlock(nextBlock - 1);
    await saveCheckpoint(options.checkpointFile, {
      chainId: record.chainId,
      nextBlock,
      blockHash: block?.hash ?? undefined,
      contracts,
      state: JSON.parse(canonicalJson(replayer.state)) as unknown,
    });
  };
  if (fromBlock <= toBlock) {
    for await (const page of streamLogs(rawLogs(provider), {
      addresses: [contracts.registry, contracts.governor, contracts.batchRegistry],
      fromBlock,
      toBlock,
      // Start narrow and keep pages small: a dense chain (a logger's series, 100 readings
      // a block) must not bring pages of 100,000 logs; a sparse one grows to the node's limit.
      initialRange: 20,
      targetLogs: 2_000,
      onProgress: (p) => options.onProgress?.({ phase: "logs", done: p.done, total: p.total, events: replayer.state.events }),
    })) {
      replayer.applyAll(page.logs);
      if (++pages % every === 0) await save(page.nextBlock);
    }
  }
  replayer.state.lastBlock = Math.max(replayer.state.lastBlock, toBlock);
  await save(toBlock + 1);

  const block = await provider.getBlock(toBlock);
  if (block === null || block.hash === null) throw new Error(`no block ${toBlock} on this node`);
  const mismatches =
    options.compare === false
      ? []
      : await compareState(provider, replayer.state, {
          blockTag: toBlock,
          onProgress: (done, total) => options.onProgress?.({ phase: "views", done, total, events: replayer.state.events }),
        });
  return {
    state: replayer.state,
    fromBlock: startBlock,
    toBlock,
    blockHash: block.hash,
    resumedFrom,
    mismatches,
    anomalies: replayer.state.anomalies,
    digest: stateDigest(replayer.state),
  };
}

/** A checkpoint is resumed only on the same chain and contracts, with the same block where it stopped, and a state of this shape. */
async function resumable(provider: Provider, record: DeploymentRecord, saved: Checkpoint<unknown>): Promise<boolean> {
  if (saved.chainId !== record.chainId || saved.state === undefined) return false;
  // A state of another shape (an older replay's) is rebuilt from the start, not resumed.
  if ((saved.state as { version?: unknown }).version !== REPLAY_STATE_VERSION) return false;
  const contracts = saved.contracts as Record<string, string> | undefined;
  if (contracts?.batchRegistry?.toLowerCase() !== record.contracts.BatchRegistry.toLowerCase()) return false;
  if (saved.blockHash === undefined) return false;
  const block = await provider.getBlock(saved.nextBlock - 1);
  return block?.hash === saved.blockHash;
}

/** A log as `eth_getLogs` returns it. */
interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
  removed?: boolean;
}

/**
 * `eth_getLogs` straight from the node, as plain records with what the replay reads
 * (address, topics, data, block, index): ethers' full Log objects cost several times
 * the time and memory over 100,000 logs. Falls back to the provider's own getLogs.
 */
function rawLogs(provider: Provider): LogProvider {
  const send = (provider as unknown as { send?: (method: string, params: unknown[]) => Promise<unknown> }).send;
  if (typeof send !== "function") return provider;
  return {
    getBlockNumber: () => provider.getBlockNumber(),
    getLogs: async (filter) => {
      const { address, fromBlock, toBlock } = filter as { address: string[]; fromBlock: number; toBlock: number };
      const raw = (await send.call(provider, "eth_getLogs", [
        { address, fromBlock: toQuantity(fromBlock), toBlock: toQuantity(toBlock) },
      ])) as RpcLog[];
      return raw.map(
        (r) =>
          ({
            address: r.address,
            topics: r.topics,
            data: r.data,
            blockNumber: Number(r.blockNumber),
            blockHash: r.blockHash,
            transactionHash: r.transactionHash,
            transactionIndex: Number(r.transactionIndex),
            index: Number(r.logIndex),
            removed: r.removed === true,
          }) as unknown as Log,
      );
    },
  };
}
