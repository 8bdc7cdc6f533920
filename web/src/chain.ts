/**
 * The page's own reads of the chain, with viem, through the gateway's read-only JSON-RPC
 * proxy (`/v1/rpc`), all at one block and at the BatchRegistry proxy (the collaboration
 * engine answers at the same address). A minimal ABI, from contracts/interfaces
 * (ICustody.verify, IProductRegistry.getBatch, ICollaborationEngine.subjectRecord/stateGraph).
 */
import { type Hex, createClient, decodeFunctionResult, encodeFunctionData, hexToString, http, parseAbi } from "viem";
import { call, getBlockNumber } from "viem/actions";

import { STATE_KINDS } from "../../sdk/enums.js";
import type { VerdictState } from "../../sdk/verdicts.js";

export const registryAbi = parseAbi([
  "struct UnitProof { bytes32 batchId; uint256 index; bytes32 unitHash; bytes32[] proof; }",
  "struct Batch { uint64 gtin; uint40 expiresAt; uint8 status; uint48 quantity; uint8 state; uint8 flags; uint32 observations; uint48 dispensed; bytes32 unitsRoot; uint40 manufacturedAt; uint48 unitCount; uint48 destroyed; uint48 lost; uint24 manufacturer; uint48 quarantined; }",
  "struct SubjectRecord { uint8 state; uint8 effectiveState; uint16 reached; uint32 observations; uint32 recalls; uint8 recallLevel; uint48 recallOpenedAt; uint48 recallDeadline; uint32 destructions; }",
  "struct StateDef { bytes16 name; uint8 kind; bool halts; uint8 actors; uint8 scope; uint16 from; uint16 prerequisites; }",
  "function verify(UnitProof unit) view returns (uint8 verdict, uint64 party)",
  "function getBatch(bytes32 batchId) view returns (Batch)",
  "function subjectRecord(bytes32 subject) view returns (SubjectRecord)",
  "function stateGraph() view returns (StateDef[])",
]);

/** What the chain says about one unit, read at `block`. */
export interface ChainReading {
  block: bigint;
  verdict: number;
  party: bigint;
  unitsRoot: Hex;
  /** The batch's effective state (its own, or its product's if that is further on). */
  state: VerdictState & { id: number };
  recallLevel: number;
  /** Unix seconds; 0 when no recall is open. */
  recallDeadline: number;
}

/**
 * The gas every read is given. Without one a node fills in its block gas limit, which
 * a node applying EIP-7825 (Osaka's per-transaction cap of 2^24) refuses, `hardhat node`
 * included; these views need far less.
 */
const VIEW_GAS = 10_000_000n;

/** A bare viem client (only the two actions below are bundled) on the gateway's RPC proxy. */
function client() {
  return createClient({ transport: http(new URL("/v1/rpc", location.href).href, { retryCount: 1 }) });
}

/** A bytes16 state name as text. */
function nameOf(name: Hex): string {
  return hexToString(name).replace(/\0+$/, "");
}

/** Reads the unit's verdict, its batch's root and effective state, all at the latest block. */
export async function readUnit(
  registry: Hex,
  unit: { batchId: Hex; index: bigint; unitHash: Hex; proof: readonly Hex[] },
): Promise<ChainReading> {
  const viem = client();
  const blockNumber = await getBlockNumber(viem, { cacheTime: 0 });
  const read = async (data: Hex): Promise<Hex> => {
    const answer = await call(viem, { to: registry, data, blockNumber, gas: VIEW_GAS });
    if (answer.data === undefined) throw new Error(`no data from ${registry} at block ${blockNumber}`);
    return answer.data;
  };
  const proof = { ...unit, proof: [...unit.proof] };
  const [verified, batch, record, graph] = await Promise.all([
    read(encodeFunctionData({ abi: registryAbi, functionName: "verify", args: [proof] })).then((data) =>
      decodeFunctionResult({ abi: registryAbi, functionName: "verify", data }),
    ),
    read(encodeFunctionData({ abi: registryAbi, functionName: "getBatch", args: [unit.batchId] })).then((data) =>
      decodeFunctionResult({ abi: registryAbi, functionName: "getBatch", data }),
    ),
    read(encodeFunctionData({ abi: registryAbi, functionName: "subjectRecord", args: [unit.batchId] })).then((data) =>
      decodeFunctionResult({ abi: registryAbi, functionName: "subjectRecord", data }),
    ),
    read(encodeFunctionData({ abi: registryAbi, functionName: "stateGraph" })).then((data) =>
      decodeFunctionResult({ abi: registryAbi, functionName: "stateGraph", data }),
    ),
  ]);
  const [verdict, party] = verified;
  const id = record.effectiveState;
  const def = graph[id];
  if (def === undefined) throw new Error(`the state graph has no state ${id}`);
  return {
    block: blockNumber,
    verdict,
    party,
    unitsRoot: batch.unitsRoot,
    state: { id, name: nameOf(def.name), kind: STATE_KINDS[def.kind] ?? "plain", halts: def.halts },
    recallLevel: record.recallLevel,
    recallDeadline: Number(record.recallDeadline),
  };
}
