import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";

import MedStateModule from "../../deploy/modules/MedState.js";
import { Domain, LicenceKind, ProposalKind, mask } from "../../sdk/enums.js";
import type {
  IBatchRegistry,
  ConsortiumGovernor,
  ConsortiumRegistry,
  ICollaborationEngine,
  IQualityEngine,
} from "../../types/ethers-contracts/index.js";

/** One test connection to the embedded network, shared by every test file. */
export const connection = await network.getOrCreate();
export const { ethers, networkHelpers } = connection;

export const LICENCE_EXPIRY = 1956441600n; // 2031-12-31
export const VOTING_PERIOD = 7n * 24n * 3600n;
export const DOC = ethers.id("licence document");

export interface FounderSpec {
  name: string;
  domain: number;
  voter: boolean;
  licences?: { kind: number; documentHash: string; issuer: bigint; expiresAt: bigint }[];
}

export interface Consortium {
  registry: ConsortiumRegistry;
  governor: ConsortiumGovernor;
  /** The supply ledger at the BatchRegistry proxy: its whole ABI (every code object's). */
  batchRegistry: IBatchRegistry;
  /** The quality engine's functions, at the batch registry's address. */
  quality: IQualityEngine;
  /** The collaboration engine's functions, at the batch registry's address. */
  collaboration: ICollaborationEngine;
  deployer: HardhatEthersSigner;
  /** admins[i] is the primary admin of party i + 1 */
  admins: HardhatEthersSigner[];
  /** signers not used by any founder */
  others: HardhatEthersSigner[];
}

/**
 * Deploys MedState through its Ignition module (the same path operators use), with
 * the founders given: founder i gets party id i + 1 and signer i + 1 as admin
 * (signer 0 deploys and belongs to no party).
 */
export async function deployConsortium(
  founders: FounderSpec[],
  governance = { votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: mask(ProposalKind.AdmitParty) },
): Promise<Consortium> {
  const signers = await ethers.getSigners();
  const [deployer, ...rest] = signers;
  const admins = rest.slice(0, founders.length);
  const others = rest.slice(founders.length);
  const { registry, governor, batchRegistry } = await connection.ignition.deploy(MedStateModule, {
    parameters: {
      MedState: {
        founders: founders.map((f, i) => ({
          name: f.name,
          domain: f.domain,
          admin: admins[i].address,
          voter: f.voter,
          licences: (f.licences ?? []).map((l) => ({ ...l, issuer: l.issuer, expiresAt: l.expiresAt })),
        })),
        governance,
      },
    },
    defaultSender: deployer.address,
  });
  return {
    registry: (await ethers.getContractAt("ConsortiumRegistry", await registry.getAddress())) as unknown as ConsortiumRegistry,
    governor: (await ethers.getContractAt("ConsortiumGovernor", await governor.getAddress())) as unknown as ConsortiumGovernor,
    batchRegistry: (await ethers.getContractAt("IBatchRegistry", await batchRegistry.getAddress())) as unknown as IBatchRegistry,
    quality: (await ethers.getContractAt("IQualityEngine", await batchRegistry.getAddress())) as unknown as IQualityEngine,
    collaboration: (await ethers.getContractAt(
      "ICollaborationEngine",
      await batchRegistry.getAddress(),
    )) as unknown as ICollaborationEngine,
    deployer,
    admins,
    others,
  };
}

/** Party ids of {@link standardConsortium}, in admission order. */
export const REGULATOR = 1n;
export const MAKER = 2n;
export const WHOLESALER = 3n;
export const HOSPITAL = 4n;
export const LOGISTICS = 5n;
export const PHARMACY = 6n;
export const LABORATORY = 7n;
export const NOTARY = 8n;
/** A party id no fixture admits. */
export const UNKNOWN = 99n;

/**
 * The standard consortium: 1 regulator, 2 manufacturer, 3 wholesaler, 4 hospital
 * (voters: n = 4, f = 1, threshold 3), 5 logistics, 6 pharmacy, 7 laboratory,
 * 8 notary (not voters). Every non-regulator party holds one licence issued by party 1.
 */
export async function standardConsortium(): Promise<Consortium> {
  const lic = (kind: number) => [{ kind, documentHash: DOC, issuer: 1n, expiresAt: LICENCE_EXPIRY }];
  return deployConsortium([
    { name: "Regulator", domain: Domain.Regulator, voter: true },
    { name: "Maker", domain: Domain.Manufacturer, voter: true, licences: lic(LicenceKind.Manufacturing) },
    { name: "Wholesaler", domain: Domain.Wholesaler, voter: true, licences: lic(LicenceKind.Distribution) },
    { name: "Hospital", domain: Domain.Hospital, voter: true, licences: lic(LicenceKind.MedicalInstitution) },
    { name: "Logistics", domain: Domain.Logistics, voter: false, licences: lic(LicenceKind.GoodSupplyPractice) },
    { name: "Pharmacy", domain: Domain.Pharmacy, voter: false, licences: lic(LicenceKind.Distribution) },
    { name: "Laboratory", domain: Domain.Laboratory, voter: false, licences: lic(LicenceKind.LaboratoryAccreditation) },
    { name: "Notary", domain: Domain.Notary, voter: false, licences: lic(LicenceKind.Notarial) },
  ]);
}

/** A consortium of `n` voting manufacturers, party 1 being a voting regulator. */
export function votersConsortium(n: number): () => Promise<Consortium> {
  const fixture = async () =>
    deployConsortium([
      { name: "Regulator", domain: Domain.Regulator, voter: true },
      ...Array.from({ length: n - 1 }, (_, i) => ({
        name: `Maker ${i + 2}`,
        domain: Domain.Manufacturer,
        voter: true,
      })),
    ]);
  Object.defineProperty(fixture, "name", { value: `votersConsortium${n}` });
  return fixture;
}

/**
 * For a `describe` whose fixtures move the clock far ahead: snapshots the chain before
 * its tests and restores it after, so that fixtures first loaded later do not start
 * in that future (past every licence expiry).
 */
export function restoreClockAfter(): void {
  let clock: Awaited<ReturnType<typeof networkHelpers.takeSnapshot>>;
  before(async function () {
    clock = await networkHelpers.takeSnapshot();
  });
  after(async function () {
    await clock.restore();
  });
}
