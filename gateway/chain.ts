/**
 * The gateway's reads of the chain, over one JSON-RPC function (the node's, through
 * Hardhat's provider): MedState's views at the BatchRegistry proxy (where every engine
 * runs) and the ConsortiumRegistry, decoded with the SDK's combined interface. Reverts come
 * back as `undefined` where "no such thing" is an answer (an unknown batch).
 */
import type { Interface, Result } from "ethers";

import { medstateInterface } from "../sdk/contracts.js";
import type { DeploymentRecord } from "../sdk/deployment.js";

/** One JSON-RPC request to the node. */
export type Rpc = (method: string, params: readonly unknown[]) => Promise<unknown>;

/** An EIP-1193 provider (Hardhat's network connection, viem's, a browser wallet's). */
export interface Eip1193 {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>;
}

/** The {@link Rpc} of an EIP-1193 provider. */
export function rpcOf(provider: Eip1193): Rpc {
  return (method, params) => provider.request({ method, params: [...params] });
}

/** A log as the node returns it. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
}

/** Whether an RPC error is a revert (the call ran and the contract refused). */
export function isRevert(error: unknown): boolean {
  const e = error as { data?: unknown; message?: string; code?: number; error?: { data?: unknown } };
  return e?.code === 3 || /revert/i.test(e?.message ?? "") || (typeof e?.data === "string" && e.data.startsWith("0x"));
}

/** A unit's proof, as `verify` takes it. */
export interface UnitProofCall {
  batchId: string;
  index: number | bigint;
  unitHash: string;
  proof: readonly string[];
}

const word = (value: bigint) => value.toString(16).padStart(64, "0");
const hashWord = (hash: string) => {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new Error(`not a 32-byte hash: ${hash}`);
  return hash.slice(2).toLowerCase();
};

/**
 * The calldata of `verify((bytes32 batchId, uint256 index, bytes32 unitHash, bytes32[] proof))`,
 * written out directly: the gateway's hottest call, and ethers' general encoder costs about
 * fifty times more (the test checks the bytes are ethers' own).
 */
export function encodeVerify(selector: string, unit: UnitProofCall): string {
  const parts = [selector, word(0x20n), hashWord(unit.batchId), word(BigInt(unit.index)), hashWord(unit.unitHash), word(0x80n), word(BigInt(unit.proof.length))];
  for (const sibling of unit.proof) parts.push(hashWord(sibling));
  return parts.join("");
}

export class ChainReader {
  readonly iface: Interface = medstateInterface();
  readonly batches: string;
  readonly registry: string;
  /** Every contract address of the deployment, lower-case (what `/v1/rpc` lets `eth_call` reach). */
  readonly addresses: ReadonlySet<string>;

  constructor(
    readonly rpc: Rpc,
    readonly record: DeploymentRecord,
  ) {
    this.batches = record.contracts.BatchRegistry;
    this.registry = record.contracts.ConsortiumRegistry;
    this.addresses = new Set(Object.values(record.contracts).map((a) => a.toLowerCase()));
  }

  /** The raw `eth_call` result of `to.fn(args)` at `block`. */
  async callRaw(to: string, data: string, block: string | bigint = "latest"): Promise<string> {
    const tag = typeof block === "bigint" ? `0x${block.toString(16)}` : block;
    return String(await this.rpc("eth_call", [{ to, data }, tag]));
  }

  /** `fn(args)` at `to` (the BatchRegistry unless said), decoded. */
  async call(fn: string, args: readonly unknown[], options: { to?: string; block?: string | bigint } = {}): Promise<Result> {
    const data = this.iface.encodeFunctionData(fn, args);
    const raw = await this.callRaw(options.to ?? this.batches, data, options.block);
    return this.iface.decodeFunctionResult(fn, raw);
  }

  /** Like {call}, but `undefined` when the contract reverts. */
  async tryCall(fn: string, args: readonly unknown[], options: { to?: string; block?: string | bigint } = {}): Promise<Result | undefined> {
    try {
      return await this.call(fn, args, options);
    } catch (error) {
      if (isRevert(error)) return undefined;
      throw error;
    }
  }

  private verifySelector: string | undefined;

  /** `verify(unit)` at `block`: the verdict's number and the party it names. */
  async verifyUnit(unit: UnitProofCall, block: string | bigint = "latest"): Promise<[number, bigint]> {
    this.verifySelector ??= this.iface.getFunction("verify")!.selector;
    const raw = await this.callRaw(this.batches, encodeVerify(this.verifySelector, unit), block);
    if (!/^0x[0-9a-fA-F]{128}$/.test(raw)) throw new Error(`verify answered ${raw.slice(0, 80)}: not two words`);
    return [Number(BigInt(`0x${raw.slice(2, 66)}`)), BigInt(`0x${raw.slice(66, 130)}`)];
  }

  async blockNumber(): Promise<bigint> {
    return BigInt(String(await this.rpc("eth_blockNumber", [])));
  }

  async chainId(): Promise<bigint> {
    return BigInt(String(await this.rpc("eth_chainId", [])));
  }

  /** The block's timestamp in unix seconds. */
  async blockTime(block: bigint): Promise<number> {
    const header = (await this.rpc("eth_getBlockByNumber", [`0x${block.toString(16)}`, false])) as { timestamp: string } | null;
    if (header === null) throw new Error(`the node has no block ${block}`);
    return Number(BigInt(header.timestamp));
  }

  /** MedState's logs at the BatchRegistry with these topics, from the deployment's block to `toBlock`. */
  async logs(topics: (string | string[] | null)[], toBlock: bigint, fromBlock?: bigint): Promise<RawLog[]> {
    const from = fromBlock ?? BigInt(this.record.block ?? 0);
    if (from > toBlock) return [];
    return (await this.rpc("eth_getLogs", [
      { address: this.batches, topics, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${toBlock.toString(16)}` },
    ])) as RawLog[];
  }

  /** The topic of event `name`. */
  topic(name: string): string {
    const event = this.iface.getEvent(name);
    if (event === null) throw new Error(`no event ${name}`);
    return event.topicHash;
  }
}
