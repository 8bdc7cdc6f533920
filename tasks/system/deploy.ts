import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import MedStateModule from "../../deploy/modules/MedState.js";
import { type DeploymentRecord, deploymentId, firstBlockWithCode, writeRecord } from "../../sdk/deployment.js";
import { UserError } from "../../sdk/errors.js";
import {
  type TaskResult,
  connect,
  forgetSimulated,
  isSimulated,
  loadRecord,
  rememberSimulated,
  taskAction,
} from "../lib/runtime.js";
import { describeDeployment } from "./info.js";

interface Args {
  parameters?: string;
  reset: boolean;
  json: boolean;
}

/** The parameters file for a network: its own, or the local one for an embedded network. */
function parametersFile(root: string, networkName: string, simulated: boolean, given: string | undefined): string {
  if (given !== undefined) {
    const file = path.resolve(given);
    if (!existsSync(file)) throw new UserError(`invalid --parameters: ${given} does not exist`);
    return file;
  }
  const dir = path.join(root, "deploy", "parameters");
  for (const name of [networkName, ...(simulated ? ["localhost"] : [])]) {
    const file = path.join(dir, `${name}.json`);
    if (existsSync(file)) return file;
  }
  throw new UserError(`no parameters for network ${networkName}: write deploy/parameters/${networkName}.json or pass --parameters`);
}

export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const connection = await connect(hre);
  const { ethers } = connection;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const parameters = parametersFile(hre.config.paths.root, connection.networkName, isSimulated(connection), args.parameters);

  const existing = await loadRecord(hre, connection, chainId);
  if (existing !== undefined && !args.reset) {
    if ((await ethers.provider.getCode(existing.contracts.ConsortiumRegistry)) === "0x") {
      throw new UserError(
        `the deployment record for chain ${chainId} points at contracts with no code (a restarted dev node?): pass --reset to deploy afresh`,
      );
    }
    return describeDeployment(existing, "already deployed");
  }
  if (args.reset) {
    forgetSimulated(chainId);
    await rm(path.join(hre.config.paths.ignition, "deployments", deploymentId(chainId)), { recursive: true, force: true });
  }

  const [deployer] = await ethers.getSigners();
  if (deployer === undefined) throw new UserError(`network ${connection.networkName} has no account to deploy from`);
  const startBlock = await ethers.provider.getBlockNumber();
  const deployed = await connection.ignition.deploy(MedStateModule, {
    parameters,
    deploymentId: deploymentId(chainId),
    defaultSender: deployer.address,
    displayUi: false,
  });
  const address = async (c: { getAddress(): Promise<string> }) => c.getAddress();
  const registry = await address(deployed.registry);
  const endBlock = await ethers.provider.getBlockNumber();
  const block = await firstBlockWithCode(
    async (a, b) => ethers.provider.getCode(a, b),
    registry,
    startBlock,
    endBlock,
  );
  const record: DeploymentRecord = {
    chainId: chainId.toString(),
    network: connection.networkName,
    block: block.toString(),
    deployedAt: new Date().toISOString(),
    contracts: {
      ConsortiumRegistry: registry,
      ConsortiumGovernor: await address(deployed.governor),
      BatchRegistry: await address(deployed.batchRegistry),
    },
    implementations: {
      ConsortiumRegistry: await address(deployed.registryImpl),
      ConsortiumGovernor: await address(deployed.governorImpl),
      BatchRegistry: await address(deployed.batchRegistryImpl),
    },
    engines: {
      ProductRegistry: await address(deployed.productRegistry),
      QualityEngine: await address(deployed.qualityEngine),
      CollaborationEngine: await address(deployed.collaborationEngine),
      BulkCustody: await address(deployed.bulkCustody),
    },
  };
  if (isSimulated(connection)) rememberSimulated(record);
  else await writeRecord(hre.config.paths.ignition, record);
  return describeDeployment(record, "deployed");
}

export default taskAction(run);
