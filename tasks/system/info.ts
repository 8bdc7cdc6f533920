import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { DeploymentRecord } from "../../sdk/deployment.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

interface Args {
  json: boolean;
}

/** The `system deploy` / `system info` output for a record. */
export function describeDeployment(record: DeploymentRecord, verb: string, extra: Record<string, unknown> = {}): TaskResult {
  const lines = [
    `MedState ${verb} on chain ${record.chainId} (network ${record.network}) from block ${record.block}`,
    ...Object.entries(record.contracts).map(([name, address]) => `  ${name.padEnd(20)} ${address}`),
    ...Object.entries(extra).map(([key, value]) => `  ${key.padEnd(20)} ${String(value)}`),
  ];
  return {
    json: {
      chainId: record.chainId,
      contracts: record.contracts,
      block: record.block,
      implementations: record.implementations,
      engines: record.engines,
      ...extra,
    },
    human: lines.join("\n"),
  };
}

export async function run(_args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const { record, registry, governor, batches, quality } = await openDeployment(hre);
  const voters = await registry.activeVoterCount();
  return describeDeployment(record, "deployed", {
    parties: (await registry.partyCount()).toString(),
    activeVoters: voters.toString(),
    threshold: (await governor.thresholdFor(voters)).toString(),
    proposals: (await governor.proposalCount()).toString(),
    // Contracts the registry pushes membership changes to (see IMembershipMirror).
    mirrors: (await registry.mirrors()).join(", "),
    // The code BatchRegistry runs its engines' functions with, read from the chain.
    qualityEngine: await batches.engine(),
    collaborationEngine: await quality.collaboration(),
  });
}

export default taskAction(run);
