import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { BaseContract, ContractTransactionResponse, Signer } from "ethers";

import { LicenceKind, PartyStatus } from "../../sdk/enums.js";
import type { ConsortiumRegistry } from "../../types/ethers-contracts/index.js";
import {
  HOSPITAL,
  LABORATORY,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  NOTARY,
  PHARMACY,
  WHOLESALER,
  networkHelpers,
} from "./fixtures.js";

/** What caller tables need of a test context: the registry, the governor and a few signers. */
export interface CallerContext {
  registry: ConsortiumRegistry;
  gov: HardhatEthersSigner;
  regulator: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  deployer: HardhatEthersSigner;
}

/**
 * One way of being the wrong caller: `caller` prepares the state and returns the signer;
 * `error`/`args` are what must come back (Registry* errors come from the registry).
 */
export interface CallerCase<C extends CallerContext> {
  title: string;
  caller: (c: C) => Promise<Signer>;
  error: string;
  args: (c: C, caller: Signer) => unknown[] | Promise<unknown[]>;
}

/**
 * One `it` per case: `call` by the case's caller reverts with exactly its error. Errors
 * not starting with "Registry" are looked up on `errors(c)`.
 */
export function itRejectsCallers<C extends CallerContext>(
  fixture: () => Promise<C>,
  cases: CallerCase<C>[],
  call: (c: C, caller: Signer) => Promise<ContractTransactionResponse>,
  errors: (c: C) => BaseContract,
): void {
  for (const { title, caller, error, args } of cases) {
    it(`reverts when called by ${title}`, async function () {
      const c = await networkHelpers.loadFixture(fixture);
      const signer = await caller(c);
      const source = error.startsWith("Registry") ? c.registry : errors(c);
      const expected = await args(c, signer);
      await expect(call(c, signer))
        .to.be.revertedWithCustomError(source, error)
        .withArgs(...expected);
    });
  }
}

export const notMember = <C extends CallerContext>(title: string, pick: (c: C) => Signer): CallerCase<C> => ({
  title,
  caller: async (c) => pick(c),
  error: "RegistryNotMember",
  args: async (_c, s) => [await s.getAddress()],
});

export const wrongDomain = <C extends CallerContext>(
  title: string,
  pick: (c: C) => Signer,
  party: bigint,
  domain: number,
): CallerCase<C> => ({
  title,
  caller: async (c) => pick(c),
  error: "RegistryDomainNotAllowed",
  args: () => [party, domain],
});

export const wrongRole = <C extends CallerContext>(title: string, pick: (c: C) => HardhatEthersSigner, role: number): CallerCase<C> => ({
  title,
  caller: async (c) => pick(c),
  error: "RegistryRoleNotAllowed",
  args: (c) => [pick(c).address, role],
});

/** The licence each standard party holds (issued by party 1, expiring at LICENCE_EXPIRY). */
export const LICENCE_OF: Record<string, number> = {
  [MAKER.toString()]: LicenceKind.Manufacturing,
  [WHOLESALER.toString()]: LicenceKind.Distribution,
  [HOSPITAL.toString()]: LicenceKind.MedicalInstitution,
  [LOGISTICS.toString()]: LicenceKind.GoodSupplyPractice,
  [PHARMACY.toString()]: LicenceKind.Distribution,
  [LABORATORY.toString()]: LicenceKind.LaboratoryAccreditation,
  [NOTARY.toString()]: LicenceKind.Notarial,
};

/**
 * The right party's member, after its party lost the standing to act: suspended,
 * revoked, its licence expired, its licence revoked. (Not for the regulator, which holds
 * no licence and cannot be suspended while it is the only active voter of its kind.)
 */
export function standingCases<C extends CallerContext>(
  party: bigint,
  name: string,
  pick: (c: C) => Signer,
  licence: number = LICENCE_OF[party.toString()],
): CallerCase<C>[] {
  return [
    {
      title: `the ${name} while its party is suspended`,
      caller: async (c) => {
        await c.registry.connect(c.gov).setPartyStatus(party, PartyStatus.Suspended);
        return pick(c);
      },
      error: "RegistryPartyNotActive",
      args: () => [party, PartyStatus.Suspended],
    },
    {
      title: `the ${name} after its party was revoked`,
      caller: async (c) => {
        await c.registry.connect(c.gov).setPartyStatus(party, PartyStatus.Revoked);
        return pick(c);
      },
      error: "RegistryPartyNotActive",
      args: () => [party, PartyStatus.Revoked],
    },
    {
      title: `the ${name} after its party's licence expired`,
      caller: async (c) => {
        await networkHelpers.time.increaseTo(LICENCE_EXPIRY);
        return pick(c);
      },
      error: "RegistryLicenceExpired",
      args: () => [party, LICENCE_EXPIRY],
    },
    {
      title: `the ${name} after its party's licence was revoked`,
      caller: async (c) => {
        await c.registry.connect(c.regulator).revokeLicence(party, licence);
        return pick(c);
      },
      error: "RegistryLicenceRevoked",
      args: () => [party, 1],
    },
  ];
}

/** Callers that are no member at all. */
export function nonMemberCases<C extends CallerContext>(): CallerCase<C>[] {
  return [
    { title: "a non-member", caller: async (c) => c.stranger, error: "RegistryNotMember", args: (c) => [c.stranger.address] },
    { title: "the deployer", caller: async (c) => c.deployer, error: "RegistryNotMember", args: (c) => [c.deployer.address] },
    { title: "the governor", caller: async (c) => c.gov, error: "RegistryNotMember", args: async (c) => [await c.gov.getAddress()] },
  ];
}

