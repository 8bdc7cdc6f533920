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
  const { record, registry, governor, batches } = await openDeployment(hre);
  const [products, qualityEngine, collaborationEngine, bulkCustody] = await batches.modules();
  return describeDeployment(record, "deployed", {
    parties: (await registry.partyCount()).toString(),
    activeVoters: (await registry.activeVoterCount()).toString(),
    // The n of the threshold: active voters and those a regulator suspended on its own.
    thresholdVoters: (await registry.thresholdVoterCount()).toString(),
    threshold: (await governor.currentThreshold()).toString(),
    proposals: (await governor.proposalCount()).toString(),
    // Contracts the registry pushes membership changes to (see IMembershipMirror).
    mirrors: (await registry.mirrors()).join(", "),
    // The code objects BatchRegistry routes to, read from the chain.
    productRegistry: products,
    qualityEngine,
    collaborationEngine,
    bulkCustody,
  });
}

export default taskAction(run);
