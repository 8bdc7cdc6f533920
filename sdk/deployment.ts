/**
 * The deployment record (address book) of one chain: where MedState's contracts
 * live and from which block their history starts. `system deploy` writes it beside
 * Ignition's journal (`deploy/deployments/chain-<id>/medstate.json`); tasks and
 * auditors read it instead of being handed addresses, and integrators' programs read
 * the copy the operator gave them at run time ({@link loadRecord}).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import type { ContractName } from "./contracts.js";
import { UserError } from "./errors.js";

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

/** A chain's record under an Ignition directory (`<ignitionDir>/deployments/chain-<id>/medstate.json`), or undefined when there is none. */
export async function readRecord(ignitionDir: string, chainId: bigint | string): Promise<DeploymentRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(ignitionDir, chainId), "utf8")) as DeploymentRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Where an integrator's program finds the deployment records (see {@link loadRecord}). */
export const DEPLOYMENTS_ENV = "MEDSTATE_DEPLOYMENTS";

export interface LoadRecordOptions {
  /**
   * The directory holding `chain-<id>/medstate.json`: the operator's
   * `deploy/deployments`, or wherever the integrator keeps the record the operator
   * handed over. Usually `process.env.MEDSTATE_DEPLOYMENTS`; undefined is refused.
   */
  dir: string | undefined;
  /** The chain the program talks to (ask the node: `eth_chainId`). */
  chainId: bigint | number | string;
}

/**
 * The deployment record of the chain a program talks to, read at run time from
 * `<dir>/chain-<id>/medstate.json` (the file `system deploy` wrote). Throws a
 * {@link UserError} with one line saying what is missing when there is no directory,
 * no record for the chain, a file that is not JSON, or the record of another chain.
 */
export async function loadRecord({ dir, chainId }: LoadRecordOptions): Promise<DeploymentRecord> {
  const id = BigInt(chainId).toString();
  const relative = path.join(deploymentId(id), "medstate.json");
  if (dir === undefined || dir === "") {
    throw new UserError(`no deployment records directory: set ${DEPLOYMENTS_ENV} to the directory holding ${relative}`);
  }
  const file = path.resolve(dir, relative);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UserError(
        `no MedState deployment record for chain ${id}: ${file} does not exist (ask the operator for the file \`system deploy\` wrote, deploy/deployments/${deploymentId(id)}/medstate.json)`,
      );
    }
    throw error;
  }
  let record: DeploymentRecord;
  try {
    record = JSON.parse(text) as DeploymentRecord;
  } catch {
    throw new UserError(`${file} is not a deployment record: it is not JSON`);
  }
  if (String(record.chainId) !== id) {
    throw new UserError(`${file} is the deployment record of chain ${String(record.chainId)}, not of chain ${id}`);
  }
  return record;
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
