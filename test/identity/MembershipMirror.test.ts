import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role, mask } from "../../sdk/enums.js";
import type {
  ConsortiumRegistry,
  IConsortiumRegistry,
  MembershipMirrorProbe,
} from "../../types/ethers-contracts/index.js";
import {
  type Consortium,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  PHARMACY,
  REGULATOR,
  UNKNOWN,
  WHOLESALER,
  ethers,
  networkHelpers,
  standardConsortium,
} from "../helpers/fixtures.js";
import { gasBound } from "../helpers/coverage.js";
import { memberPush, partyPush, pushesTo } from "../helpers/mirror.js";

// ==== CONSTANTS ====

type Signer = HardhatEthersSigner;
type Admission = IConsortiumRegistry.PartyAdmissionStruct;
type Grant = IConsortiumRegistry.LicenceGrantStruct;

const { loadFixture, time } = networkHelpers;

/** Every party id of the standard consortium. */
const PARTIES = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];

const NO_EXPIRY = 2n ** 48n - 1n;
const EARLIER_EXPIRY = LICENCE_EXPIRY - 365n * 24n * 3600n;
const LATER_EXPIRY = LICENCE_EXPIRY + 365n * 24n * 3600n;
const DOC2 = ethers.id("second licence document");
const ANY = ethers.MaxUint256;

/** EIP-2929: a cold storage read, and a first call to an account. */
const COLD_SLOAD = 2100n;
const COLD_ACCOUNT = 2600n;

/** A deterministic address that never signed anything and belongs to no party. */
function fresh(i: number): string {
  return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0xfeed0000n + BigInt(i)), 20));
}

function grant(kind: number, overrides: Partial<Grant> = {}): Grant {
  return { kind, documentHash: DOC2, issuer: REGULATOR, expiresAt: LICENCE_EXPIRY, ...overrides };
}

function admission(overrides: Partial<Admission> = {}): Admission {
  return {
    name: "Clinic",
    domain: Domain.Hospital,
    admin: fresh(1),
    voter: false,
    licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: LATER_EXPIRY }), grant(LicenceKind.Distribution, { expiresAt: EARLIER_EXPIRY })],
    ...overrides,
  };
}

// ==== FIXTURES ====

interface Ctx extends Consortium {
  /** The governor proxy, impersonated: calls come from the real governor address. */
  gov: Signer;
  /** The registry proxy, impersonated: the only account a mirror accepts pushes from. */
  registrySigner: Signer;
  regulator: Signer;
  maker: Signer;
  wholesaler: Signer;
  makerAdmin2: Signer;
  makerOperator: Signer;
  makerQa: Signer;
  makerDevice: Signer;
  regOperator: Signer;
  stranger: Signer;
  /** Every account with a member record after the fixture. */
  accounts: string[];
  /** Attached by the governor after bootstrap and synced with every party and account: answers from its own records. */
  probe: MembershipMirrorProbe;
  /** Attached by the governor after `probe`, never synced: holds only what was pushed since. */
  late: MembershipMirrorProbe;
  /** Never attached: every check falls back to the registry. */
  detached: MembershipMirrorProbe;
}

async function impersonate(address: string): Promise<Signer> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

async function deployProbe(registry: ConsortiumRegistry): Promise<MembershipMirrorProbe> {
  return (await ethers.deployContract("MembershipMirrorProbe", [await registry.getAddress()])) as unknown as MembershipMirrorProbe;
}

/**
 * The one fixture of this file (so that no fixture is ever rebuilt after a test moved
 * time past the licence expiries): the standard consortium, whose batch registry was
 * attached as mirror at deployment, with extra members in parties 1 and 2; then three
 * probes: `probe` attached by the governor and synced with every party and account,
 * `late` attached by the governor and never synced, `detached` never attached.
 */
async function consortiumWithMirrors(): Promise<Ctx> {
  const base = await standardConsortium();
  const { registry, governor, admins, others } = base;
  const [makerAdmin2, makerOperator, makerQa, makerDevice, regOperator, ...rest] = others;
  const [regulator, maker] = admins;
  await registry.connect(maker).addMember(MAKER, makerAdmin2.address, Role.Admin);
  await registry.connect(maker).addMember(MAKER, makerOperator.address, Role.Operator);
  await registry.connect(maker).addMember(MAKER, makerQa.address, Role.QA);
  await registry.connect(maker).addMember(MAKER, makerDevice.address, Role.Device);
  await registry.connect(regulator).addMember(REGULATOR, regOperator.address, Role.Operator);
  const gov = await impersonate(await governor.getAddress());
  const accounts = [...admins, makerAdmin2, makerOperator, makerQa, makerDevice, regOperator].map((s) => s.address);
  const [probe, late, detached] = [await deployProbe(registry), await deployProbe(registry), await deployProbe(registry)];
  await registry.connect(gov).attachMirror(await probe.getAddress());
  await registry.syncMirror(await probe.getAddress(), PARTIES, accounts);
  await registry.connect(gov).attachMirror(await late.getAddress());
  return {
    ...base,
    gov,
    registrySigner: await impersonate(await registry.getAddress()),
    regulator,
    maker,
    wholesaler: admins[2],
    makerAdmin2,
    makerOperator,
    makerQa,
    makerDevice,
    regOperator,
    stranger: rest[0],
    accounts,
    probe,
    late,
    detached,
  };
}

// ==== VIEW HELPERS ====

/** A mirror's views: the batch registry or a probe. */
interface MirrorViews {
  mirroredMember(account: string): Promise<{ partyId: bigint; role: bigint; status: bigint }>;
  mirroredParty(partyId: bigint): Promise<{ domain: bigint; status: bigint; revokedLicences: bigint; licencesValidUntil: bigint }>;
  getAddress(): Promise<string>;
}

interface MemberView {
  partyId: bigint;
  role: number;
  status: number;
}

interface GateView {
  domain: number;
  status: number;
  revokedLicences: number;
  licencesValidUntil: bigint;
}

const NO_MEMBER: MemberView = { partyId: 0n, role: Role.None, status: MemberStatus.None };
const NO_GATE: GateView = { domain: Domain.None, status: PartyStatus.None, revokedLicences: 0, licencesValidUntil: 0n };

async function registryMember(registry: ConsortiumRegistry, account: string): Promise<MemberView> {
  const m = await registry.getMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

async function registryGate(registry: ConsortiumRegistry, partyId: bigint): Promise<GateView> {
  const p = await registry.getParty(partyId);
  return {
    domain: Number(p.domain),
    status: Number(p.status),
    revokedLicences: Number(p.revokedLicences),
    licencesValidUntil: p.licencesValidUntil,
  };
}

async function mirroredMember(mirror: MirrorViews, account: string): Promise<MemberView> {
  const m = await mirror.mirroredMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

async function mirroredGate(mirror: MirrorViews, partyId: bigint): Promise<GateView> {
  const g = await mirror.mirroredParty(partyId);
  return {
    domain: Number(g.domain),
    status: Number(g.status),
    revokedLicences: Number(g.revokedLicences),
    licencesValidUntil: g.licencesValidUntil,
  };
}

/** The mirror holds exactly what the registry holds for each account and party. */
async function expectInSync(mirror: MirrorViews, registry: ConsortiumRegistry, accounts: string[], parties: bigint[]): Promise<void> {
  for (const account of accounts) {
    expect(await mirroredMember(mirror, account), `member ${account}`).to.deep.equal(await registryMember(registry, account));
  }
  for (const partyId of parties) {
    expect(await mirroredGate(mirror, partyId), `party ${partyId}`).to.deep.equal(await registryGate(registry, partyId));
  }
}


/** What the registry would push now for `partyId`. */
async function currentPartyPush(registry: ConsortiumRegistry, partyId: bigint): Promise<string> {
  const g = await registryGate(registry, partyId);
  return partyPush(partyId, g.domain, g.status, g.revokedLicences, g.licencesValidUntil);
}

/** Runs `promise` and returns its revert data's error name and arguments, or the result. */
async function outcome(promise: Promise<unknown>, registry: ConsortiumRegistry): Promise<string> {
  try {
    const result = (await promise) as unknown[];
    return `ok(${[...result].map(String).join(", ")})`;
  } catch (e) {
    const data = findData(e);
    if (data === undefined) throw e;
    const parsed = registry.interface.parseError(data);
    if (parsed === null) return `unknown(${data})`;
    return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
  }
}

function findData(e: unknown, depth = 0): string | undefined {
  if (depth > 6 || e === null || typeof e !== "object") return undefined;
  const r = e as Record<string, unknown>;
  if (typeof r.data === "string" && r.data.startsWith("0x") && r.data.length >= 10) return r.data;
  for (const key of ["error", "info", "cause", "data"]) {
    const found = findData(r[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

// ==== REFUSAL TABLES ====

interface MemberCase {
  title: string;
  setup: (c: Ctx) => Promise<[string, bigint, bigint]>;
  error: string;
  args: (c: Ctx) => unknown[];
}

const revokeMakerLicence = (c: Ctx) => c.registry.connect(c.regulator).revokeLicence(MAKER, LicenceKind.Manufacturing);
const expireMakerEarly = async (c: Ctx) => {
  await c.registry.connect(c.regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice, { expiresAt: EARLIER_EXPIRY }));
  await time.increaseTo(EARLIER_EXPIRY);
};

/** Every reason `requireMember` refuses, and the order its checks run in. */
const memberRefusals: MemberCase[] = [
  {
    title: "the account never was a member",
    setup: async () => [fresh(9), ANY, ANY],
    error: "RegistryNotMember",
    args: () => [fresh(9)],
  },
  {
    title: "the account was removed",
    setup: async (c) => {
      await c.registry.connect(c.maker).removeMember(MAKER, c.makerOperator.address);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryNotMember",
    args: (c) => [c.makerOperator.address],
  },
  {
    title: "the account was rotated out",
    setup: async (c) => {
      await c.registry.connect(c.maker).rotateMember(MAKER, c.makerOperator.address, fresh(2));
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryNotMember",
    args: (c) => [c.makerOperator.address],
  },
  {
    title: "the account was removed from a party that is now suspended (the member is checked first)",
    setup: async (c) => {
      await c.registry.connect(c.maker).removeMember(MAKER, c.makerOperator.address);
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryNotMember",
    args: (c) => [c.makerOperator.address],
  },
  {
    title: "the party was suspended by the regulator",
    setup: async (c) => {
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Suspended],
  },
  {
    title: "the party was revoked by the governor",
    setup: async (c) => {
      await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Revoked);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Revoked],
  },
  {
    title: "a licence of the party was revoked",
    setup: async (c) => {
      await revokeMakerLicence(c);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryLicenceRevoked",
    args: () => [MAKER, 1],
  },
  {
    title: "a licence of the party expired (time passed, nothing was pushed)",
    setup: async (c) => {
      await expireMakerEarly(c);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryLicenceExpired",
    args: () => [MAKER, EARLIER_EXPIRY],
  },
  {
    title: "a licence was revoked and another expired (revocation is checked first)",
    setup: async (c) => {
      await c.registry.connect(c.regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice, { expiresAt: EARLIER_EXPIRY }));
      await revokeMakerLicence(c);
      await time.increaseTo(EARLIER_EXPIRY);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryLicenceRevoked",
    args: () => [MAKER, 1],
  },
  {
    title: "the party is suspended and a licence revoked (the status is checked first)",
    setup: async (c) => {
      await revokeMakerLicence(c);
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      return [c.makerOperator.address, ANY, ANY];
    },
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Suspended],
  },
  {
    title: "the party's domain is not allowed",
    setup: async (c) => [c.makerOperator.address, ANY, ANY ^ mask(Domain.Manufacturer)],
    error: "RegistryDomainNotAllowed",
    args: () => [MAKER, Domain.Manufacturer],
  },
  {
    title: "the domain mask is empty",
    setup: async (c) => [c.maker.address, ANY, 0n],
    error: "RegistryDomainNotAllowed",
    args: () => [MAKER, Domain.Manufacturer],
  },
  {
    title: "the member's role is not allowed",
    setup: async (c) => [c.makerOperator.address, mask(Role.Admin, Role.QA, Role.Device), ANY],
    error: "RegistryRoleNotAllowed",
    args: (c) => [c.makerOperator.address, Role.Operator],
  },
  {
    title: "the role mask is empty",
    setup: async (c) => [c.makerDevice.address, 0n, ANY],
    error: "RegistryRoleNotAllowed",
    args: (c) => [c.makerDevice.address, Role.Device],
  },
  {
    title: "both domain and role are wrong (the domain is checked first)",
    setup: async (c) => [c.makerDevice.address, mask(Role.Admin), mask(Domain.Regulator)],
    error: "RegistryDomainNotAllowed",
    args: () => [MAKER, Domain.Manufacturer],
  },
  {
    title: "the party is suspended and the domain is wrong (standing is checked first)",
    setup: async (c) => {
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      return [c.makerDevice.address, mask(Role.Admin), mask(Domain.Regulator)];
    },
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Suspended],
  },
  {
    title: "the key was rotated in and the party then suspended",
    setup: async (c) => {
      await c.registry.connect(c.maker).rotateMember(MAKER, c.makerQa.address, fresh(3));
      await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      return [fresh(3), mask(Role.QA), mask(Domain.Manufacturer)];
    },
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Suspended],
  },
];

interface PartyCase {
  title: string;
  setup: (c: Ctx) => Promise<[bigint, bigint]>;
  error: string;
  args: () => unknown[];
}

/** Every reason `requireParty` refuses. */
const partyRefusals: PartyCase[] = [
  { title: "the party is unknown", setup: async () => [UNKNOWN, ANY], error: "RegistryUnknownParty", args: () => [UNKNOWN] },
  { title: "the party id is 0", setup: async () => [0n, ANY], error: "RegistryUnknownParty", args: () => [0n] },
  {
    title: "the party was suspended",
    setup: async (c) => {
      await c.registry.connect(c.regulator).suspendParty(WHOLESALER);
      return [WHOLESALER, ANY];
    },
    error: "RegistryPartyNotActive",
    args: () => [WHOLESALER, PartyStatus.Suspended],
  },
  {
    title: "the party was revoked",
    setup: async (c) => {
      await c.registry.connect(c.gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked);
      return [WHOLESALER, ANY];
    },
    error: "RegistryPartyNotActive",
    args: () => [WHOLESALER, PartyStatus.Revoked],
  },
  {
    title: "a licence was revoked",
    setup: async (c) => {
      await c.registry.connect(c.regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution);
      return [WHOLESALER, ANY];
    },
    error: "RegistryLicenceRevoked",
    args: () => [WHOLESALER, 1],
  },
  {
    title: "a licence expired (time passed, nothing was pushed)",
    setup: async () => {
      await time.increaseTo(LICENCE_EXPIRY);
      return [WHOLESALER, ANY];
    },
    error: "RegistryLicenceExpired",
    args: () => [WHOLESALER, LICENCE_EXPIRY],
  },
  {
    title: "the domain is not allowed",
    setup: async () => [WHOLESALER, mask(Domain.Hospital, Domain.Pharmacy)],
    error: "RegistryDomainNotAllowed",
    args: () => [WHOLESALER, Domain.Wholesaler],
  },
  {
    title: "the domain mask is empty",
    setup: async () => [WHOLESALER, 0n],
    error: "RegistryDomainNotAllowed",
    args: () => [WHOLESALER, Domain.Wholesaler],
  },
  {
    title: "the party is suspended and the domain is wrong (standing is checked first)",
    setup: async (c) => {
      await c.registry.connect(c.regulator).suspendParty(WHOLESALER);
      return [WHOLESALER, mask(Domain.Hospital)];
    },
    error: "RegistryPartyNotActive",
    args: () => [WHOLESALER, PartyStatus.Suspended],
  },
];

/** Accounts and masks every check accepts in the fixture. */
function acceptedChecks(c: Ctx): [string, bigint, bigint, bigint, number][] {
  return [
    [c.regulator.address, mask(Role.Admin), mask(Domain.Regulator), REGULATOR, Domain.Regulator],
    [c.regOperator.address, mask(Role.Admin, Role.Operator), mask(Domain.Regulator), REGULATOR, Domain.Regulator],
    [c.maker.address, ANY, ANY, MAKER, Domain.Manufacturer],
    [c.makerQa.address, mask(Role.QA), mask(Domain.Manufacturer, Domain.Laboratory), MAKER, Domain.Manufacturer],
    [c.makerDevice.address, mask(Role.Device), mask(Domain.Manufacturer), MAKER, Domain.Manufacturer],
    [c.wholesaler.address, mask(Role.Admin), mask(Domain.Wholesaler), WHOLESALER, Domain.Wholesaler],
    [c.admins[7].address, mask(Role.Admin), mask(Domain.Notary), 8n, Domain.Notary],
  ];
}

// ==== TESTS ====

describe("MembershipMirror", function () {
  describe("constructor", function () {
    it("binds the registry given", async function () {
      const { registry, probe } = await loadFixture(consortiumWithMirrors);
      expect(await probe.registry()).to.equal(await registry.getAddress());
      expect(await probe.consortium()).to.equal(await registry.getAddress());
    });

    it("binds the batch registry's implementation to the consortium registry", async function () {
      const { registry, batchRegistry } = await loadFixture(consortiumWithMirrors);
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    });

    it("reverts when the registry is the zero address", async function () {
      const factory = await ethers.getContractFactory("MembershipMirrorProbe");
      await expect(factory.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, "MirrorZeroRegistry").withArgs();
      const batchFactory = await ethers.getContractFactory("BatchRegistry");
      await expect(batchFactory.deploy(ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(batchFactory, "MirrorZeroRegistry")
        .withArgs();
      // The code objects behind the batch registry read the same mirror: they refuse a zero registry too.
      for (const name of ["ProductRegistry", "CollaborationEngine", "QualityEngine", "BulkCustody"] as const) {
        const moduleFactory = await ethers.getContractFactory(name);
        await expect(moduleFactory.deploy(ethers.ZeroAddress))
          .to.be.revertedWithCustomError(moduleFactory, "MirrorZeroRegistry")
          .withArgs();
      }
    });
  });

  describe("registry", function () {
    it("answers the consortium registry, the only writer", async function () {
      const { registry, batchRegistry, probe, detached } = await loadFixture(consortiumWithMirrors);
      for (const mirror of [batchRegistry, probe, detached]) expect(await mirror.registry()).to.equal(await registry.getAddress());
    });
  });

  describe("mirrorMember", function () {
    it("stores the record the registry pushes and emits MemberMirrored", async function () {
      const { probe, registrySigner } = await loadFixture(consortiumWithMirrors);
      const record = { partyId: 7n, role: Role.QA, status: MemberStatus.Removed };
      await expect(probe.connect(registrySigner).mirrorMember(fresh(1), record))
        .to.emit(probe, "MemberMirrored")
        .withArgs(fresh(1), 7n, Role.QA, MemberStatus.Removed);
      expect(await mirroredMember(probe, fresh(1))).to.deep.equal(record);
      // A later push overwrites, zeroes included.
      await probe.connect(registrySigner).mirrorMember(fresh(1), NO_MEMBER);
      expect(await mirroredMember(probe, fresh(1))).to.deep.equal(NO_MEMBER);
    });

    for (const [title, pick] of [
      ["a non-member", (c: Ctx) => c.stranger],
      ["the deployer", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["the regulator's admin", (c: Ctx) => c.regulator],
      ["the member itself", (c: Ctx) => c.makerOperator],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(consortiumWithMirrors);
        const caller = pick(c);
        const record = { partyId: MAKER, role: Role.Admin, status: MemberStatus.Active };
        for (const mirror of [c.probe, c.batchRegistry]) {
          await expect(mirror.connect(caller).mirrorMember(c.makerOperator.address, record))
            .to.be.revertedWithCustomError(mirror, "MirrorOnlyRegistry")
            .withArgs(caller.address);
          expect(await mirroredMember(mirror, c.makerOperator.address)).to.deep.equal({
            partyId: MAKER,
            role: Role.Operator,
            status: MemberStatus.Active,
          });
        }
      });
    }

    it("reverts when called by the registry's implementation (only the proxy writes)", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const raw = await ethers.provider.getStorage(await c.registry.getAddress(), "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
      const implementation = await impersonate(ethers.getAddress(ethers.dataSlice(raw, 12)));
      await expect(c.probe.connect(implementation).mirrorMember(fresh(1), { partyId: 1n, role: Role.Admin, status: MemberStatus.Active }))
        .to.be.revertedWithCustomError(c.probe, "MirrorOnlyRegistry")
        .withArgs(implementation.address);
    });

    it("reverts when called by another registry", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const implementation = await ethers.deployContract("ConsortiumRegistry");
      const proxy = await ethers.deployContract("ERC1967Proxy", [
        await implementation.getAddress(),
        implementation.interface.encodeFunctionData("initialize", [[]]),
      ]);
      const otherRegistry = await impersonate(await proxy.getAddress());
      await expect(c.probe.connect(otherRegistry).mirrorMember(fresh(1), { partyId: 1n, role: Role.Admin, status: MemberStatus.Active }))
        .to.be.revertedWithCustomError(c.probe, "MirrorOnlyRegistry")
        .withArgs(otherRegistry.address);
    });
  });

  describe("mirrorParty", function () {
    it("stores the gate the registry pushes and emits PartyMirrored", async function () {
      const { probe, registrySigner } = await loadFixture(consortiumWithMirrors);
      const gate = { domain: Domain.Notary, status: PartyStatus.Suspended, revokedLicences: 2, licencesValidUntil: EARLIER_EXPIRY };
      await expect(probe.connect(registrySigner).mirrorParty(UNKNOWN, gate))
        .to.emit(probe, "PartyMirrored")
        .withArgs(UNKNOWN, Domain.Notary, PartyStatus.Suspended, 2, EARLIER_EXPIRY);
      expect(await mirroredGate(probe, UNKNOWN)).to.deep.equal(gate);
      await probe.connect(registrySigner).mirrorParty(UNKNOWN, NO_GATE);
      expect(await mirroredGate(probe, UNKNOWN)).to.deep.equal(NO_GATE);
    });

    for (const [title, pick] of [
      ["a non-member", (c: Ctx) => c.stranger],
      ["the deployer", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["the regulator's admin", (c: Ctx) => c.regulator],
      ["the party's own admin", (c: Ctx) => c.maker],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(consortiumWithMirrors);
        const caller = pick(c);
        const gate = { domain: Domain.Manufacturer, status: PartyStatus.Active, revokedLicences: 0, licencesValidUntil: NO_EXPIRY };
        for (const mirror of [c.probe, c.batchRegistry]) {
          await expect(mirror.connect(caller).mirrorParty(MAKER, gate))
            .to.be.revertedWithCustomError(mirror, "MirrorOnlyRegistry")
            .withArgs(caller.address);
          expect(await mirroredGate(mirror, MAKER)).to.deep.equal(await registryGate(c.registry, MAKER));
        }
      });
    }
  });

  describe("mirroredMember", function () {
    it("holds the founders' primary admins from the deployment on, and every member enrolled since", async function () {
      const { registry, batchRegistry, accounts } = await loadFixture(consortiumWithMirrors);
      await expectInSync(batchRegistry, registry, accounts, []);
      for (const account of accounts) expect((await mirroredMember(batchRegistry, account)).status).to.equal(MemberStatus.Active);
    });

    it("holds nothing for an account never pushed", async function () {
      const { batchRegistry, probe, detached, stranger } = await loadFixture(consortiumWithMirrors);
      for (const mirror of [batchRegistry, probe, detached]) {
        expect(await mirroredMember(mirror, stranger.address)).to.deep.equal(NO_MEMBER);
        expect(await mirroredMember(mirror, ethers.ZeroAddress)).to.deep.equal(NO_MEMBER);
      }
    });
  });

  describe("mirroredParty", function () {
    it("holds every founder from the deployment on", async function () {
      const { registry, batchRegistry } = await loadFixture(consortiumWithMirrors);
      await expectInSync(batchRegistry, registry, [], PARTIES);
      expect(await mirroredGate(batchRegistry, MAKER)).to.deep.equal({
        domain: Domain.Manufacturer,
        status: PartyStatus.Active,
        revokedLicences: 0,
        licencesValidUntil: LICENCE_EXPIRY,
      });
      expect((await mirroredGate(batchRegistry, REGULATOR)).licencesValidUntil).to.equal(NO_EXPIRY);
    });

    it("holds nothing for party 0 or an unknown party", async function () {
      const { batchRegistry, probe } = await loadFixture(consortiumWithMirrors);
      for (const mirror of [batchRegistry, probe]) {
        expect(await mirroredGate(mirror, 0n)).to.deep.equal(NO_GATE);
        expect(await mirroredGate(mirror, UNKNOWN)).to.deep.equal(NO_GATE);
      }
    });
  });

  describe("following the registry", function () {
    it("receives an enrolment (addMember)", async function () {
      const { registry, batchRegistry, maker, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(maker).addMember(MAKER, fresh(1), Role.QA);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([memberPush(fresh(1), MAKER, Role.QA, MemberStatus.Active)]);
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], PARTIES);
    });

    it("receives a removal (removeMember)", async function () {
      const { registry, batchRegistry, maker, makerOperator, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(maker).removeMember(MAKER, makerOperator.address);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        memberPush(makerOperator.address, MAKER, Role.Operator, MemberStatus.Removed),
      ]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives both keys of a rotation (rotateMember)", async function () {
      const { registry, batchRegistry, makerAdmin2, makerDevice, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(makerAdmin2).rotateMember(MAKER, makerDevice.address, fresh(1));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        memberPush(makerDevice.address, MAKER, Role.Device, MemberStatus.Rotated),
        memberPush(fresh(1), MAKER, Role.Device, MemberStatus.Active),
      ]);
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], PARTIES);
    });

    it("receives a rotation of the primary admin by itself (the party's gate does not change)", async function () {
      const { registry, batchRegistry, maker, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(maker).rotateMember(MAKER, maker.address, fresh(1));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        memberPush(maker.address, MAKER, Role.Admin, MemberStatus.Rotated),
        memberPush(fresh(1), MAKER, Role.Admin, MemberStatus.Active),
      ]);
      expect((await registry.getParty(MAKER)).admin).to.equal(fresh(1));
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], PARTIES);
    });

    it("receives a rotation of the primary admin by the governor", async function () {
      const { registry, batchRegistry, gov, maker, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(gov).rotateMember(MAKER, maker.address, fresh(1));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        memberPush(maker.address, MAKER, Role.Admin, MemberStatus.Rotated),
        memberPush(fresh(1), MAKER, Role.Admin, MemberStatus.Active),
      ]);
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], PARTIES);
    });

    it("receives nothing when a secondary admin's rotation of the primary admin is refused", async function () {
      const { registry, batchRegistry, maker, makerAdmin2, accounts } = await loadFixture(consortiumWithMirrors);
      await expect(registry.connect(makerAdmin2).rotateMember(MAKER, maker.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRotation")
        .withArgs(MAKER, makerAdmin2.address);
      expect(await mirroredMember(batchRegistry, fresh(1))).to.deep.equal(NO_MEMBER);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives a suspension by the regulator (suspendParty)", async function () {
      const { registry, batchRegistry, regOperator, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(regOperator).suspendParty(LOGISTICS);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        partyPush(LOGISTICS, Domain.Logistics, PartyStatus.Suspended, 0, LICENCE_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives a suspension by the governor (suspendParty)", async function () {
      const { registry, batchRegistry, gov, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(gov).suspendParty(MAKER);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        partyPush(MAKER, Domain.Manufacturer, PartyStatus.Suspended, 0, LICENCE_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives the governor's status changes: suspension, reinstatement, revocation (setPartyStatus)", async function () {
      const { registry, batchRegistry, gov, accounts } = await loadFixture(consortiumWithMirrors);
      for (const [partyId, status] of [
        [MAKER, PartyStatus.Suspended],
        [MAKER, PartyStatus.Active],
        [MAKER, PartyStatus.Revoked],
        [PHARMACY, PartyStatus.Suspended],
        [PHARMACY, PartyStatus.Revoked],
      ] as const) {
        const tx = await registry.connect(gov).setPartyStatus(partyId, status);
        expect(await pushesTo(tx, batchRegistry)).to.deep.equal([await currentPartyPush(registry, partyId)]);
        expect((await mirroredGate(batchRegistry, partyId)).status).to.equal(status);
        await expectInSync(batchRegistry, registry, accounts, PARTIES);
      }
    });

    it("receives a status change made through a governance proposal", async function () {
      const { registry, governor, batchRegistry, regulator, maker, wholesaler, admins, accounts } = await loadFixture(consortiumWithMirrors);
      await registry.connect(regulator).suspendParty(LOGISTICS);
      await governor.connect(maker).proposePartyStatus(LOGISTICS, PartyStatus.Active);
      const id = await governor.proposalCount();
      await governor.connect(maker).vote(id);
      await governor.connect(wholesaler).vote(id);
      const tx = await governor.connect(admins[3]).vote(id); // the hospital's admin: the third of four voters
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        partyPush(LOGISTICS, Domain.Logistics, PartyStatus.Active, 0, LICENCE_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives a licence granted by the regulator (grantLicence)", async function () {
      const { registry, batchRegistry, regOperator, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(regOperator).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice, { expiresAt: EARLIER_EXPIRY }));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        partyPush(WHOLESALER, Domain.Wholesaler, PartyStatus.Active, 0, EARLIER_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives a licence granted by the governor to a suspended party (grantLicence)", async function () {
      const { registry, batchRegistry, gov, regulator, accounts } = await loadFixture(consortiumWithMirrors);
      await registry.connect(regulator).suspendParty(PHARMACY);
      const tx = await registry.connect(gov).grantLicence(PHARMACY, grant(LicenceKind.Distribution, { issuer: 0n, expiresAt: LATER_EXPIRY }));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        partyPush(PHARMACY, Domain.Pharmacy, PartyStatus.Suspended, 0, LATER_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives a revocation and the renewal that lifts it (revokeLicence, grantLicence)", async function () {
      const { registry, batchRegistry, regulator, accounts } = await loadFixture(consortiumWithMirrors);
      let tx = await registry.connect(regulator).revokeLicence(MAKER, LicenceKind.Manufacturing);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 1, NO_EXPIRY)]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
      tx = await registry.connect(regulator).grantLicence(MAKER, grant(LicenceKind.Manufacturing));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 0, LICENCE_EXPIRY)]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives an admission through governance: the admin, then the party once, licences included", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const { registry, governor, batchRegistry, regulator, maker, wholesaler, accounts } = c;
      await governor.connect(maker).proposeAdmission(admission());
      const id = await governor.proposalCount();
      await governor.connect(maker).vote(id);
      await governor.connect(wholesaler).vote(id);
      const tx = await governor.connect(regulator).vote(id);
      await expect(tx).to.emit(governor, "ProposalExecuted");
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        memberPush(fresh(1), 9n, Role.Admin, MemberStatus.Active),
        partyPush(9n, Domain.Hospital, PartyStatus.Active, 0, EARLIER_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], [...PARTIES, 9n]);
    });

    it("receives an admission by the governor's account (admitParty)", async function () {
      const { registry, batchRegistry, gov, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(gov).admitParty(admission({ domain: Domain.Pharmacy, licences: [] }));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
        memberPush(fresh(1), 9n, Role.Admin, MemberStatus.Active),
        partyPush(9n, Domain.Pharmacy, PartyStatus.Active, 0, NO_EXPIRY),
      ]);
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], [...PARTIES, 9n]);
    });

    it("receives nothing for a voter change (not part of the check)", async function () {
      const { registry, batchRegistry, gov, accounts } = await loadFixture(consortiumWithMirrors);
      const tx = await registry.connect(gov).setVoter(LOGISTICS, true);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("receives nothing from a refused change", async function () {
      const { registry, batchRegistry, maker, makerOperator, accounts } = await loadFixture(consortiumWithMirrors);
      await expect(registry.connect(makerOperator).addMember(MAKER, fresh(1), Role.QA))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyAdmin")
        .withArgs(MAKER, makerOperator.address);
      await expect(registry.connect(maker).removeMember(MAKER, maker.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRemoval")
        .withArgs(MAKER, maker.address);
      expect(await mirroredMember(batchRegistry, fresh(1))).to.deep.equal(NO_MEMBER);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });

    it("pushes every change to every attached mirror, in the order they were attached", async function () {
      const { registry, batchRegistry, probe, late, gov, maker, makerOperator, regulator, accounts } = await loadFixture(consortiumWithMirrors);
      const last = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await last.getAddress());
      const mirrors = await Promise.all([batchRegistry, probe, late, last].map((m) => m.getAddress()));
      expect(await registry.mirrors()).to.deep.equal(mirrors);
      const tx = await registry.connect(maker).rotateMember(MAKER, maker.address, fresh(1));
      const receipt = await tx.wait();
      const order = receipt!.logs.filter((l) => batchRegistry.interface.parseLog(l)?.name === "MemberMirrored").map((l) => l.address);
      // Each account is pushed to each mirror in turn: the previous key, then the new one.
      expect(order).to.deep.equal([...mirrors, ...mirrors]);
      await registry.connect(regulator).suspendParty(MAKER);
      for (const mirror of [batchRegistry, probe]) await expectInSync(mirror, registry, [...accounts, fresh(1)], PARTIES);
      // A mirror attached later holds exactly what was pushed since it was attached.
      for (const mirror of [late, last]) {
        await expectInSync(mirror, registry, [maker.address, fresh(1)], [MAKER]);
        expect(await mirroredMember(mirror, makerOperator.address)).to.deep.equal(NO_MEMBER);
        expect(await mirroredGate(mirror, WHOLESALER)).to.deep.equal(NO_GATE);
      }
    });
  });

  describe("requireMember", function () {
    it("answers like the registry for every accepted member, from its records and through the fallback", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      for (const [account, roles, domains, partyId, domain] of acceptedChecks(c)) {
        const expected = [partyId, BigInt(domain)];
        expect([...(await c.registry.requireMember(account, roles, domains))]).to.deep.equal(expected);
        expect([...(await c.probe.requireMember(account, roles, domains))]).to.deep.equal(expected);
        expect([...(await c.detached.requireMember(account, roles, domains))]).to.deep.equal(expected);
      }
    });

    it("answers from its own records: at most two cold storage reads and no call", async function () {
      const { probe, detached, makerOperator } = await loadFixture(consortiumWithMirrors);
      const mirrored = await probe.measureMember(makerOperator.address, mask(Role.Operator), mask(Domain.Manufacturer));
      const fallback = await detached.measureMember(makerOperator.address, mask(Role.Operator), mask(Domain.Manufacturer));
      gasBound("requireMember from the mirror's records < 3 cold reads", () => expect(mirrored).to.be.lessThan(3n * COLD_SLOAD));
      // The fallback reads the same two slots and then calls the registry proxy, which
      // delegates to its implementation: two more cold accounts at least.
      expect(fallback).to.be.greaterThan(mirrored + 2n * COLD_ACCOUNT);
    });

    for (const { title, setup, error, args } of memberRefusals) {
      it(`reverts like the registry when ${title}`, async function () {
        const c = await loadFixture(consortiumWithMirrors);
        const [account, roles, domains] = await setup(c);
        const member = await mirroredMember(c.probe, account);
        if (title !== "the account never was a member") {
          // The probe answers from its own records: it holds the account and its party, as the registry does.
          expect(member).to.deep.equal(await registryMember(c.registry, account));
          expect(await mirroredGate(c.probe, member.partyId)).to.deep.equal(await registryGate(c.registry, member.partyId));
          expect(member.status).to.not.equal(MemberStatus.None);
        } else {
          expect(member).to.deep.equal(NO_MEMBER);
        }
        expect(await mirroredMember(c.detached, account)).to.deep.equal(NO_MEMBER);
        for (const checker of [c.registry, c.probe, c.detached]) {
          await expect(checker.requireMember(account, roles, domains))
            .to.be.revertedWithCustomError(c.registry, error)
            .withArgs(...args(c));
        }
        const [allowed] = await c.registry.isAuthorized(account, roles, domains);
        expect(allowed).to.equal(false);
      });
    }

    it("accepts until the second before the earliest licence expiry and refuses from it, with nothing pushed", async function () {
      const { registry, batchRegistry, probe, detached, makerQa, maker, regulator } = await loadFixture(consortiumWithMirrors);
      await registry.connect(regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice, { expiresAt: EARLIER_EXPIRY }));
      const held = await mirroredGate(probe, MAKER);
      expect(held.licencesValidUntil).to.equal(EARLIER_EXPIRY);
      await time.increaseTo(EARLIER_EXPIRY - 1n);
      for (const checker of [registry, probe, detached]) {
        expect([...(await checker.requireMember(makerQa.address, mask(Role.QA), mask(Domain.Manufacturer)))]).to.deep.equal([
          MAKER,
          BigInt(Domain.Manufacturer),
        ]);
      }
      await networkHelpers.mine();
      for (const checker of [registry, probe, detached]) {
        await expect(checker.requireMember(makerQa.address, mask(Role.QA), mask(Domain.Manufacturer)))
          .to.be.revertedWithCustomError(registry, "RegistryLicenceExpired")
          .withArgs(MAKER, EARLIER_EXPIRY);
      }
      // Nothing was pushed: the mirrors still hold the same gate, and it reads as expired.
      expect(await mirroredGate(probe, MAKER)).to.deep.equal(held);
      expect(await mirroredGate(batchRegistry, MAKER)).to.deep.equal(held);
      // A renewal is pushed and lifts the block in the mirror as in the registry.
      await registry.connect(regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice, { expiresAt: LATER_EXPIRY }));
      for (const checker of [registry, probe, detached]) {
        expect((await checker.requireMember(maker.address, ANY, ANY))[0]).to.equal(MAKER);
      }
    });

    it("agrees with isAuthorized for every account and mask, before and after the changes", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const masks: [bigint, bigint][] = [
        [ANY, ANY],
        [mask(Role.Admin, Role.Operator), mask(Domain.Regulator)],
        [mask(Role.QA), mask(Domain.Manufacturer, Domain.Wholesaler)],
        [mask(Role.Device), ANY],
        [mask(Role.Admin), ANY ^ mask(Domain.Manufacturer)],
      ];
      const accounts = [...c.accounts, fresh(1), fresh(2), fresh(3)];
      const check = async () => {
        for (const account of accounts) {
          for (const [roles, domains] of masks) {
            const [allowed, partyId] = await c.registry.isAuthorized(account, roles, domains);
            const expected = await outcome(c.registry.requireMember(account, roles, domains), c.registry);
            expect(expected.startsWith("ok("), `${account} registry`).to.equal(allowed);
            if (allowed) expect(expected.startsWith(`ok(${partyId},`)).to.equal(true);
            expect(await outcome(c.probe.requireMember(account, roles, domains), c.registry), `${account} probe`).to.equal(expected);
            expect(await outcome(c.detached.requireMember(account, roles, domains), c.registry), `${account} detached`).to.equal(expected);
          }
        }
      };
      await check();
      await c.registry.connect(c.maker).addMember(MAKER, fresh(1), Role.Device);
      await c.registry.connect(c.maker).rotateMember(MAKER, c.makerQa.address, fresh(2));
      await c.registry.connect(c.makerAdmin2).removeMember(MAKER, c.makerDevice.address);
      await c.registry.connect(c.regulator).suspendParty(WHOLESALER);
      await c.registry.connect(c.regulator).revokeLicence(8n, LicenceKind.Notarial);
      await c.registry.connect(c.gov).setPartyStatus(7n, PartyStatus.Revoked);
      await check();
      await time.increaseTo(LICENCE_EXPIRY);
      await check();
    });
  });

  describe("requireParty", function () {
    it("answers the domain like the registry, from its records and through the fallback", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const domains = [
        Domain.Regulator,
        Domain.Manufacturer,
        Domain.Wholesaler,
        Domain.Hospital,
        Domain.Logistics,
        Domain.Pharmacy,
        Domain.Laboratory,
        Domain.Notary,
      ];
      for (const partyId of PARTIES) {
        const domain = BigInt(domains[Number(partyId) - 1]);
        for (const domainMask of [ANY, mask(Number(domain))]) {
          expect(await c.registry.requireParty(partyId, domainMask)).to.equal(domain);
          expect(await c.probe.requireParty(partyId, domainMask)).to.equal(domain);
          expect(await c.detached.requireParty(partyId, domainMask)).to.equal(domain);
        }
      }
    });

    it("answers from its own records: one cold storage read and no call", async function () {
      const { probe, detached } = await loadFixture(consortiumWithMirrors);
      const mirrored = await probe.measureParty(WHOLESALER, mask(Domain.Wholesaler));
      const fallback = await detached.measureParty(WHOLESALER, mask(Domain.Wholesaler));
      gasBound("requireParty from the mirror's records < 2 cold reads", () => expect(mirrored).to.be.lessThan(2n * COLD_SLOAD));
      expect(fallback).to.be.greaterThan(mirrored + 2n * COLD_ACCOUNT);
    });

    for (const { title, setup, error, args } of partyRefusals) {
      it(`reverts like the registry when ${title}`, async function () {
        const c = await loadFixture(consortiumWithMirrors);
        const [partyId, domainMask] = await setup(c);
        if (error !== "RegistryUnknownParty") {
          expect(await mirroredGate(c.probe, partyId)).to.deep.equal(await registryGate(c.registry, partyId));
        } else {
          expect(await mirroredGate(c.probe, partyId)).to.deep.equal(NO_GATE);
        }
        expect(await mirroredGate(c.detached, partyId)).to.deep.equal(NO_GATE);
        for (const checker of [c.registry, c.probe, c.detached]) {
          await expect(checker.requireParty(partyId, domainMask))
            .to.be.revertedWithCustomError(c.registry, error)
            .withArgs(...args());
        }
      });
    }

    it("accepts until the second before a licence expires and refuses from it, with nothing pushed", async function () {
      const { registry, probe, detached } = await loadFixture(consortiumWithMirrors);
      const held = await mirroredGate(probe, PHARMACY);
      await time.increaseTo(LICENCE_EXPIRY - 1n);
      for (const checker of [registry, probe, detached]) expect(await checker.requireParty(PHARMACY, ANY)).to.equal(BigInt(Domain.Pharmacy));
      await networkHelpers.mine();
      for (const checker of [registry, probe, detached]) {
        await expect(checker.requireParty(PHARMACY, ANY))
          .to.be.revertedWithCustomError(registry, "RegistryLicenceExpired")
          .withArgs(PHARMACY, LICENCE_EXPIRY);
      }
      expect(await mirroredGate(probe, PHARMACY)).to.deep.equal(held);
      // The regulator holds no licence: it never expires, in the mirror as in the registry.
      for (const checker of [registry, probe, detached]) expect(await checker.requireParty(REGULATOR, ANY)).to.equal(BigInt(Domain.Regulator));
    });
  });

  describe("a detached mirror", function () {
    it("receives nothing after the governor detaches it; the others still receive every change", async function () {
      const { registry, batchRegistry, probe, late, gov, wholesaler, regulator, accounts } = await loadFixture(consortiumWithMirrors);
      const probeAddress = await probe.getAddress();
      await expect(registry.connect(gov).detachMirror(probeAddress))
        .to.emit(registry, "MirrorDetached")
        .withArgs(probeAddress, gov.address);
      expect(await registry.mirrors()).to.not.include(probeAddress);
      const before = await mirroredGate(probe, MAKER);
      const tx = await registry.connect(regulator).suspendParty(MAKER);
      expect(await pushesTo(tx, probe)).to.deep.equal([]);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([await currentPartyPush(registry, MAKER)]);
      expect(await pushesTo(tx, late)).to.deep.equal([await currentPartyPush(registry, MAKER)]);
      // Its records stay as they were when it was detached.
      expect(await mirroredGate(probe, MAKER)).to.deep.equal(before);
      expect((await mirroredGate(probe, MAKER)).status).to.equal(PartyStatus.Active);
      await registry.connect(wholesaler).addMember(WHOLESALER, fresh(1), Role.QA);
      expect(await mirroredMember(probe, fresh(1))).to.deep.equal(NO_MEMBER);
      expect(await mirroredMember(batchRegistry, fresh(1))).to.deep.equal({ partyId: WHOLESALER, role: Role.QA, status: MemberStatus.Active });
      await expectInSync(batchRegistry, registry, [...accounts, fresh(1)], PARTIES);
    });
  });

  describe("a mirror that fails every push", function () {
    it("does not block the registry: the change stands, MirrorPushFailed names the mirror, the others receive it", async function () {
      const { registry, batchRegistry, probe, regulator, accounts } = await loadFixture(consortiumWithMirrors);
      const probeAddress = await probe.getAddress();
      // The attached probe now reverts on every call (PUSH1 0 PUSH1 0 REVERT).
      await networkHelpers.setCode(probeAddress, "0x60006000fd");
      const tx = await registry.connect(regulator).suspendParty(LOGISTICS);
      await expect(tx)
        .to.emit(registry, "MirrorPushFailed")
        .withArgs(probeAddress, batchRegistry.interface.getFunction("mirrorParty").selector, ethers.zeroPadValue(ethers.toBeHex(LOGISTICS), 32));
      expect((await registry.getParty(LOGISTICS)).status).to.equal(BigInt(PartyStatus.Suspended));
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([await currentPartyPush(registry, LOGISTICS)]);
      await expectInSync(batchRegistry, registry, accounts, PARTIES);
    });
  });

  describe("a mirror attached after bootstrap", function () {
    it("starts empty and answers through the registry, with the registry's result and errors", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      for (const account of c.accounts) expect(await mirroredMember(c.late, account)).to.deep.equal(NO_MEMBER);
      for (const partyId of PARTIES) expect(await mirroredGate(c.late, partyId)).to.deep.equal(NO_GATE);
      for (const [account, roles, domains, partyId, domain] of acceptedChecks(c)) {
        expect([...(await c.late.requireMember(account, roles, domains))]).to.deep.equal([partyId, BigInt(domain)]);
      }
      expect(await c.late.requireParty(MAKER, mask(Domain.Manufacturer))).to.equal(BigInt(Domain.Manufacturer));
      await expect(c.late.requireMember(c.makerOperator.address, mask(Role.QA), ANY))
        .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
        .withArgs(c.makerOperator.address, Role.Operator);
      await expect(c.late.requireMember(c.stranger.address, ANY, ANY))
        .to.be.revertedWithCustomError(c.registry, "RegistryNotMember")
        .withArgs(c.stranger.address);
      await expect(c.late.requireParty(MAKER, mask(Domain.Wholesaler)))
        .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
        .withArgs(MAKER, Domain.Manufacturer);
      await expect(c.late.requireParty(UNKNOWN, ANY)).to.be.revertedWithCustomError(c.registry, "RegistryUnknownParty").withArgs(UNKNOWN);
      // It costs what a mirror that was never attached costs: the registry answers.
      const fallback = await c.late.measureMember(c.makerOperator.address, ANY, ANY);
      expect(fallback).to.equal(await c.detached.measureMember(c.makerOperator.address, ANY, ANY));
      expect(fallback).to.be.greaterThan((await c.probe.measureMember(c.makerOperator.address, ANY, ANY)) + 2n * COLD_ACCOUNT);
    });

    it("answers from its own storage once synced", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const before = await c.late.measureMember(c.makerOperator.address, ANY, ANY);
      const tx = await c.registry.connect(c.stranger).syncMirror(await c.late.getAddress(), [MAKER], [c.makerOperator.address]);
      expect(await pushesTo(tx, c.late)).to.deep.equal([
        partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 0, LICENCE_EXPIRY),
        memberPush(c.makerOperator.address, MAKER, Role.Operator, MemberStatus.Active),
      ]);
      await expectInSync(c.late, c.registry, [c.makerOperator.address], [MAKER]);
      const after = await c.late.measureMember(c.makerOperator.address, ANY, ANY);
      gasBound("requireMember of a synced late mirror < 3 cold reads", () => expect(after).to.be.lessThan(3n * COLD_SLOAD));
      expect(before).to.be.greaterThan(after + 2n * COLD_ACCOUNT);
      expect([...(await c.late.requireMember(c.makerOperator.address, ANY, ANY))]).to.deep.equal([MAKER, BigInt(Domain.Manufacturer)]);
      // Refusals read from its own records are the registry's.
      await expect(c.late.requireMember(c.makerOperator.address, mask(Role.Device), ANY))
        .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
        .withArgs(c.makerOperator.address, Role.Operator);
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      await expect(c.late.requireMember(c.makerOperator.address, ANY, ANY))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(MAKER, PartyStatus.Suspended);
    });

    it("falls back while it holds the member but not the party, or the party but not the member", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const late = await c.late.getAddress();
      await c.registry.syncMirror(late, [], [c.makerOperator.address]);
      await c.registry.syncMirror(late, [WHOLESALER], []);
      const mirrored = await c.probe.measureMember(c.makerOperator.address, ANY, ANY);
      // Member held, party not: the registry answers.
      expect(await c.late.measureMember(c.makerOperator.address, ANY, ANY)).to.be.greaterThan(mirrored + 2n * COLD_ACCOUNT);
      expect([...(await c.late.requireMember(c.makerOperator.address, ANY, ANY))]).to.deep.equal([MAKER, BigInt(Domain.Manufacturer)]);
      // Party held, member not: the registry answers.
      expect(await c.late.measureMember(c.wholesaler.address, ANY, ANY)).to.be.greaterThan(mirrored + 2n * COLD_ACCOUNT);
      expect([...(await c.late.requireMember(c.wholesaler.address, ANY, ANY))]).to.deep.equal([WHOLESALER, BigInt(Domain.Wholesaler)]);
      await expect(c.late.requireMember(c.wholesaler.address, ANY, mask(Domain.Hospital)))
        .to.be.revertedWithCustomError(c.registry, "RegistryDomainNotAllowed")
        .withArgs(WHOLESALER, Domain.Wholesaler);
    });

    it("receives every change made after it was attached, without a sync", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      await c.registry.connect(c.maker).addMember(MAKER, fresh(1), Role.Operator);
      await c.registry.connect(c.regulator).suspendParty(LOGISTICS);
      await expectInSync(c.late, c.registry, [fresh(1)], [LOGISTICS]);
      // Records older than the attachment stay unknown to it until synced.
      expect(await mirroredMember(c.late, c.maker.address)).to.deep.equal(NO_MEMBER);
      expect(await mirroredGate(c.late, MAKER)).to.deep.equal(NO_GATE);
      // The suspended party is refused from the mirror's record, the new member (whose party it lacks) through the fallback.
      await expect(c.late.requireParty(LOGISTICS, ANY))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(LOGISTICS, PartyStatus.Suspended);
      expect([...(await c.late.requireMember(fresh(1), mask(Role.Operator), mask(Domain.Manufacturer)))]).to.deep.equal([
        MAKER,
        BigInt(Domain.Manufacturer),
      ]);
    });

    it("can be attached through a governance proposal (a Call to attachMirror)", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const probe = await deployProbe(c.registry);
      const data = c.registry.interface.encodeFunctionData("attachMirror", [await probe.getAddress()]);
      await c.governor.connect(c.maker).proposeCall(await c.registry.getAddress(), data);
      const id = await c.governor.proposalCount();
      await c.governor.connect(c.maker).vote(id);
      await c.governor.connect(c.wholesaler).vote(id);
      await expect(c.governor.connect(c.admins[3]).vote(id))
        .to.emit(c.registry, "MirrorAttached")
        .withArgs(await probe.getAddress(), await c.governor.getAddress());
      expect(await c.registry.mirrors()).to.deep.equal(
        await Promise.all([c.batchRegistry, c.probe, c.late, probe].map((m) => m.getAddress())),
      );
      for (const partyId of PARTIES) expect(await mirroredGate(probe, partyId)).to.deep.equal(NO_GATE);
      await c.registry.syncMirror(await probe.getAddress(), PARTIES, c.accounts);
      await expectInSync(probe, c.registry, c.accounts, PARTIES);
    });
  });

  describe("event log", function () {
    it("rebuilds the batch registry's mirror from its MemberMirrored and PartyMirrored events alone", async function () {
      const c = await loadFixture(consortiumWithMirrors);
      const { registry, batchRegistry, gov, regulator, maker, makerAdmin2, makerDevice, regOperator } = c;
      await registry.connect(gov).admitParty(admission());
      await registry.connect(maker).rotateMember(MAKER, maker.address, fresh(2));
      await registry.connect(makerAdmin2).removeMember(MAKER, makerDevice.address);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      await registry.connect(regOperator).suspendParty(PHARMACY);
      await registry.connect(gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      await registry.connect(regulator).revokeLicence(LOGISTICS, LicenceKind.GoodSupplyPractice);
      await registry.connect(regOperator).grantLicence(7n, grant(LicenceKind.LaboratoryAccreditation, { expiresAt: EARLIER_EXPIRY }));
      await registry.connect(gov).setVoter(LOGISTICS, true);

      const members = new Map<string, MemberView>();
      const gates = new Map<bigint, GateView>();
      const logs = await ethers.provider.getLogs({ address: await batchRegistry.getAddress(), fromBlock: 0 });
      for (const log of logs) {
        const parsed = batchRegistry.interface.parseLog(log);
        if (parsed === null) continue;
        const a = parsed.args;
        if (parsed.name === "MemberMirrored") {
          members.set(a.account as string, { partyId: a.partyId as bigint, role: Number(a.role), status: Number(a.status) });
        } else if (parsed.name === "PartyMirrored") {
          gates.set(a.partyId as bigint, {
            domain: Number(a.domain),
            status: Number(a.status),
            revokedLicences: Number(a.revokedLicences),
            licencesValidUntil: a.licencesValidUntil as bigint,
          });
        }
      }
      expect([...gates.keys()].sort()).to.deep.equal([...PARTIES, 9n].sort());
      expect(members.size).to.equal(c.accounts.length + 2);
      for (const [account, m] of members) {
        expect(await mirroredMember(batchRegistry, account)).to.deep.equal(m);
        expect(await registryMember(registry, account)).to.deep.equal(m);
      }
      for (const [partyId, g] of gates) {
        expect(await mirroredGate(batchRegistry, partyId)).to.deep.equal(g);
        expect(await registryGate(registry, partyId)).to.deep.equal(g);
      }
    });
  });
});

