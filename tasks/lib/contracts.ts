/**
 * The typed contracts of a deployment, built from the typechain ABIs (each factory from
 * its own module, not the index that loads every contract's): no artifact file is read,
 * and each ABI is parsed once per process (`run-ops` opens the deployment once per line).
 */
import { Contract, type ContractRunner, type Interface } from "ethers";

import type { DeploymentRecord } from "../../sdk/deployment.js";
import { ConsortiumGovernor__factory } from "../../types/ethers-contracts/factories/contracts/governance/ConsortiumGovernor__factory.js";
import { ConsortiumRegistry__factory } from "../../types/ethers-contracts/factories/contracts/identity/ConsortiumRegistry__factory.js";
import { IBatchRegistry__factory } from "../../types/ethers-contracts/factories/contracts/interfaces/IBatchRegistry__factory.js";
import { ICollaborationEngine__factory } from "../../types/ethers-contracts/factories/contracts/interfaces/ICollaborationEngine__factory.js";
import { IQualityEngine__factory } from "../../types/ethers-contracts/factories/contracts/interfaces/IQualityEngine__factory.js";
import { ISuspectProduct__factory } from "../../types/ethers-contracts/factories/contracts/interfaces/ISuspectProduct__factory.js";
import type {
  ConsortiumGovernor,
  ConsortiumRegistry,
  IBatchRegistry,
  ICollaborationEngine,
  IQualityEngine,
  ISuspectProduct,
} from "../../types/ethers-contracts/index.js";

export interface DeploymentContracts {
  registry: ConsortiumRegistry;
  governor: ConsortiumGovernor;
  batches: IBatchRegistry;
  /** The quality engine's functions, at the BatchRegistry's address (where it runs). */
  quality: IQualityEngine;
  /** The collaboration engine's functions, at the BatchRegistry's address. */
  collaboration: ICollaborationEngine;
  /** The collaboration engine's suspect-product cases, at the BatchRegistry's address. */
  suspects: ISuspectProduct;
}

const interfaces = new Map<{ createInterface(): Interface }, Interface>();

/** The contract `factory` types at `address`, its interface parsed once. */
function at<T>(factory: { createInterface(): Interface }, address: string, runner: ContractRunner | null): T {
  let iface = interfaces.get(factory);
  if (iface === undefined) {
    iface = factory.createInterface();
    interfaces.set(factory, iface);
  }
  return new Contract(address, iface, runner) as unknown as T;
}

/**
 * The contracts of `record`, run by `runner` (as `ethers.getContractAt` would: the
 * network's first account, else its provider).
 */
export function deploymentContracts(record: DeploymentRecord, runner: ContractRunner): DeploymentContracts {
  const { ConsortiumRegistry, ConsortiumGovernor, BatchRegistry } = record.contracts;
  return {
    registry: at<ConsortiumRegistry>(ConsortiumRegistry__factory, ConsortiumRegistry, runner),
    governor: at<ConsortiumGovernor>(ConsortiumGovernor__factory, ConsortiumGovernor, runner),
    batches: at<IBatchRegistry>(IBatchRegistry__factory, BatchRegistry, runner),
    quality: at<IQualityEngine>(IQualityEngine__factory, BatchRegistry, runner),
    collaboration: at<ICollaborationEngine>(ICollaborationEngine__factory, BatchRegistry, runner),
    suspects: at<ISuspectProduct>(ISuspectProduct__factory, BatchRegistry, runner),
  };
}
