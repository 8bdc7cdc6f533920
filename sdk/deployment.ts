/**
 * The deployment record (address book) of one chain: where MedState's contracts
 * live and from which block their history starts. `system deploy` writes it beside
 * Ignition's journal (`deploy/deployments/chain-<id>/medstate.json`); tasks,
 * auditors and integrators read it instead of being handed addresses.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { ContractName } from "./contracts.js";

export interface DeploymentRecord {
  chainId: string;
  network: string;
  /** The first block holding MedState code: where a replay starts. */
  block: string;
  deployedAt: string;
  contracts: Record<ContractName, string>;
  implementations: Record<ContractName, string>;
  /**
   * The code objects the BatchRegistry implementation routes to (ProductRegistry,
   * QualityEngine, CollaborationEngine and, from issue 13, BulkCustody). Their functions
   * are called at the BatchRegistry's address.
   */
  engines?: Record<"ProductRegistry" | "QualityEngine" | "CollaborationEngine", string> & { BulkCustody?: string };
}

/** The Ignition deployment id of a chain. */
export function deploymentId(chainId: bigint | string): string {
  return `chain-${chainId}`;
}

/** Where a chain's record lives under an Ignition directory. */
export function recordPath(ignitionDir: string, chainId: bigint | string): string {
  return path.join(ignitionDir, "deployments", deploymentId(chainId), "medstate.json");
}

export async function readRecord(ignitionDir: string, chainId: bigint | string): Promise<DeploymentRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(ignitionDir, chainId), "utf8")) as DeploymentRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function writeRecord(ignitionDir: string, record: DeploymentRecord): Promise<string> {
  const file = recordPath(ignitionDir, record.chainId);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** The first block at which `getCode(address)` is non-empty, by bisection over [low, high]. */
export async function firstBlockWithCode(
  getCode: (address: string, block: number) => Promise<string>,
  address: string,
  low: number,
  high: number,
): Promise<number> {
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if ((await getCode(address, mid)) === "0x") low = mid + 1;
    else high = mid;
  }
  return low;
}
