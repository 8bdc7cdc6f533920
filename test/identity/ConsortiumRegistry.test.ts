import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role, mask } from "../../sdk/enums.js";
import type {
  ConsortiumRegistry,
  IConsortiumRegistry,
  MembershipMirrorProbe,
  VoterCountsMirrorProbe,
} from "../../types/ethers-contracts/index.js";
import {
  type Consortium,
  DOC,
  HOSPITAL,
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
  votersConsortium,
} from "../helpers/fixtures.js";
import { memberPush, partyPush, pushesTo } from "../helpers/mirror.js";

// ==== CONSTANTS ====

type Signer = HardhatEthersSigner;
type Admission = IConsortiumRegistry.PartyAdmissionStruct;
type Grant = IConsortiumRegistry.LicenceGrantStruct;

const { loadFixture, time } = networkHelpers;

/** Seven and ten voting parties, party 1 the regulator (f = 2 and f = 3). */
const sevenVoters = votersConsortium(7);
const tenVoters = votersConsortium(10);

/** `type(uint48).max`: the `licencesValidUntil` of a party without unrevoked licences. */
const NO_EXPIRY = 2n ** 48n - 1n;
const LATER_EXPIRY = LICENCE_EXPIRY + 365n * 24n * 3600n;
const EARLIER_EXPIRY = LICENCE_EXPIRY - 365n * 24n * 3600n;
const DOC2 = ethers.id("second licence document");
const ANY = ethers.MaxUint256;
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

/** The standard consortium's licences (all issued by party 1, expiring at LICENCE_EXPIRY). */
const STANDARD_LICENCES: [bigint, number][] = [
  [MAKER, LicenceKind.Manufacturing],
  [WHOLESALER, LicenceKind.Distribution],
  [HOSPITAL, LicenceKind.MedicalInstitution],
  [LOGISTICS, LicenceKind.GoodSupplyPractice],
  [PHARMACY, LicenceKind.Distribution],
  [7n, LicenceKind.LaboratoryAccreditation],
  [8n, LicenceKind.Notarial],
];

/** A deterministic address that never signed anything and belongs to no party. */
function fresh(i: number): string {
  return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0xf00d0000n + BigInt(i)), 20));
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
    licences: [grant(LicenceKind.MedicalInstitution)],
    ...overrides,
  };
}

// ==== FIXTURES ====

interface Ctx extends Consortium {
  /** The governor proxy, impersonated and funded: calls come from the real governor address. */
  gov: Signer;
  regulator: Signer;
  maker: Signer;
  wholesaler: Signer;
  /** Party 2 (Maker) members beside its primary admin. */
  makerAdmin2: Signer;
  makerOperator: Signer;
  makerQa: Signer;
  makerDevice: Signer;
  /** Party 1 (Regulator) members beside its primary admin. */
  regOperator: Signer;
  regQa: Signer;
  regDevice: Signer;
  /** Signers with no member record, for new keys that must later sign. */
  spare: Signer[];
  /** A signer that never becomes a member. */
  stranger: Signer;
}

async function impersonate(address: string): Promise<Signer> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

/** The standard consortium, the governor impersonated, and extra members in parties 1 and 2. */
async function consortiumWithMembers(): Promise<Ctx> {
  const base = await standardConsortium();
  const { registry, governor, admins, others } = base;
  const gov = await impersonate(await governor.getAddress());
  const [makerAdmin2, makerOperator, makerQa, makerDevice, regOperator, regQa, regDevice, ...rest] = others;
  const maker = admins[1];
  const regulator = admins[0];
  await registry.connect(maker).addMember(MAKER, makerAdmin2.address, Role.Admin);
  await registry.connect(maker).addMember(MAKER, makerOperator.address, Role.Operator);
  await registry.connect(maker).addMember(MAKER, makerQa.address, Role.QA);
  await registry.connect(maker).addMember(MAKER, makerDevice.address, Role.Device);
  await registry.connect(regulator).addMember(REGULATOR, regOperator.address, Role.Operator);
  await registry.connect(regulator).addMember(REGULATOR, regQa.address, Role.QA);
  await registry.connect(regulator).addMember(REGULATOR, regDevice.address, Role.Device);
  return {
    ...base,
    gov,
    regulator,
    maker,
    wholesaler: admins[2],
    makerAdmin2,
    makerOperator,
    makerQa,
    makerDevice,
    regOperator,
    regQa,
    regDevice,
    spare: rest.slice(0, rest.length - 1),
    stranger: rest[rest.length - 1],
  };
}

interface Unbound {
  registry: ConsortiumRegistry;
  implementation: ConsortiumRegistry;
  deployer: Signer;
  signers: Signer[];
}

/** A registry behind its own ERC-1967 proxy, initialised with no founders and no governor bound. */
async function registryWithoutGovernor(): Promise<Unbound> {
  const [deployer, ...signers] = await ethers.getSigners();
  const implementation = await ethers.deployContract("ConsortiumRegistry");
  const proxy = await ethers.deployContract("ERC1967Proxy", [
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData("initialize", [[]]),
  ]);
  const registry = await ethers.getContractAt("ConsortiumRegistry", await proxy.getAddress());
  return { registry, implementation, deployer, signers };
}

interface UnboundWithFounders {
  registry: ConsortiumRegistry;
  deployer: Signer;
  /** The founders' primary admins as initialised: party i + 1's is admins[i]. */
  admins: Signer[];
  /** Party 2's operator, enrolled before any mirror was attached. */
  operator: Signer;
  /** Party 3's primary admin after its rotation (admins[2] was rotated out before any mirror was attached). */
  rotatedAdmin: Signer;
  /** Party 2's licence expiry (a year after the fixture ran). */
  expiry: bigint;
  stranger: Signer;
}

/**
 * A registry behind its own proxy with three founders (1 regulator, 2 manufacturer with
 * a licence, 3 pharmacy) and no governor bound yet, where the manufacturer's admin
 * enrolled an operator and the pharmacy rotated its primary admin's key: what a
 * bootstrapper may find when it attaches a mirror.
 */
async function foundersWithoutGovernor(): Promise<UnboundWithFounders> {
  const [deployer, a, b, c, operator, rotatedAdmin, stranger] = await ethers.getSigners();
  const expiry = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 365n * 24n * 3600n;
  const founders: Admission[] = [
    { name: "Regulator", domain: Domain.Regulator, admin: a.address, voter: true, licences: [] },
    { name: "Maker", domain: Domain.Manufacturer, admin: b.address, voter: false, licences: [grant(LicenceKind.Manufacturing, { expiresAt: expiry })] },
    { name: "Pharmacy", domain: Domain.Pharmacy, admin: c.address, voter: false, licences: [] },
  ];
  const implementation = await ethers.deployContract("ConsortiumRegistry");
  const proxy = await ethers.deployContract("ERC1967Proxy", [
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData("initialize", [founders]),
  ]);
  const registry = await ethers.getContractAt("ConsortiumRegistry", await proxy.getAddress());
  await registry.connect(b).addMember(MAKER, operator.address, Role.Operator);
  await registry.connect(c).rotateMember(3n, c.address, rotatedAdmin.address);
  return { registry, deployer, admins: [a, b, c], operator, rotatedAdmin, expiry, stranger };
}

async function deployProbe(registry: ConsortiumRegistry): Promise<MembershipMirrorProbe> {
  return (await ethers.deployContract("MembershipMirrorProbe", [await registry.getAddress()])) as unknown as MembershipMirrorProbe;
}

/**
 * A contract that passes attachMirror's check (its `registry()` is this registry) but
 * reverts on every push: a QualityEngine code object called at its own address, which
 * has no mirror functions and no fallback. The misconfiguration issue 12 (attack 15)
 * used to brick the registry.
 */
async function deployHostileMirror(registry: ConsortiumRegistry): Promise<string> {
  const engine = await ethers.deployContract("QualityEngine", [await registry.getAddress()]);
  return engine.getAddress();
}

/**
 * Proposes `data` as a Call on the registry and votes it through with parties 2, 3 and 4
 * (threshold 3 of the 4 voters; a Call needs no regulator in this deployment). Returns
 * the executing vote.
 */
async function passCall(c: Ctx, data: string): Promise<ContractTransactionResponse> {
  await c.governor.connect(c.admins[1]).proposeCall(c.registry, data);
  const id = await c.governor.proposalCount();
  await c.governor.connect(c.admins[1]).vote(id);
  await c.governor.connect(c.admins[2]).vote(id);
  return c.governor.connect(c.admins[3]).vote(id);
}

interface HostileCtx extends Ctx {
  /** The mirror that reverts on every push, attached through a governance Call. */
  hostile: string;
}

/** {@link consortiumWithMembers} with a hostile mirror attached through a real Call proposal. */
async function consortiumWithHostileMirror(): Promise<HostileCtx> {
  const c = await consortiumWithMembers();
  const hostile = await deployHostileMirror(c.registry);
  await passCall(c, c.registry.interface.encodeFunctionData("attachMirror", [hostile]));
  return { ...c, hostile };
}

/** The selector of a push, as MirrorPushFailed carries it. */
function pushSelector(name: "mirrorMember" | "mirrorParty"): string {
  return ethers.id(name === "mirrorMember" ? "mirrorMember(address,(uint64,uint8,uint8))" : "mirrorParty(uint64,(uint8,uint8,uint8,uint48))").slice(0, 10);
}

/** MirrorPushFailed's `subject` for an account or a party id. */
const accountSubject = (account: string): string => ethers.zeroPadValue(account, 32);
const partySubject = (partyId: bigint): string => ethers.toBeHex(partyId, 32);

/** The gas a caller must leave before each push: the allowance × 64/63 plus the reserve. */
const PUSH_GAS_NEEDED = (200_000n * 64n) / 63n + 10_000n;


// ==== VIEW HELPERS ====

interface PartyView {
  domain: number;
  status: number;
  voter: boolean;
  licencesValidUntil: bigint;
  revokedLicences: number;
  admin: string;
  name: string;
}

async function partyOf(registry: ConsortiumRegistry, partyId: bigint): Promise<PartyView> {
  const p = await registry.getParty(partyId);
  return {
    domain: Number(p.domain),
    status: Number(p.status),
    voter: p.voter,
    licencesValidUntil: p.licencesValidUntil,
    revokedLicences: Number(p.revokedLicences),
    admin: p.admin,
    name: p.name,
  };
}

interface MemberView {
  partyId: bigint;
  role: number;
  status: number;
}

async function memberOf(registry: ConsortiumRegistry, account: string): Promise<MemberView> {
  const m = await registry.getMember(account);
  return { partyId: m.partyId, role: Number(m.role), status: Number(m.status) };
}

interface LicenceView {
  documentHash: string;
  issuer: bigint;
  expiresAt: bigint;
  revoked: boolean;
}

async function licenceOf(registry: ConsortiumRegistry, partyId: bigint, kind: number): Promise<LicenceView> {
  const l = await registry.getLicence(partyId, kind);
  return { documentHash: l.documentHash, issuer: l.issuer, expiresAt: l.expiresAt, revoked: l.revoked };
}

async function implementationOf(address: string): Promise<string> {
  const raw = await ethers.provider.getStorage(address, IMPLEMENTATION_SLOT);
  return ethers.getAddress(ethers.dataSlice(raw, 12));
}

// ==== CALLER TABLES ====

/**
 * One way of being the wrong caller: `caller` prepares the state (it may suspend a party,
 * move time, revoke a licence...) and returns the signer; `error`/`args` are what the
 * registry must answer.
 */
interface CallerCase {
  title: string;
  caller: (c: Ctx) => Promise<Signer>;
  error: string;
  args: (c: Ctx, caller: Signer) => unknown[];
}

type Call = (c: Ctx, caller: Signer) => Promise<ContractTransactionResponse>;

function itRejectsCallers(cases: CallerCase[], call: Call): void {
  for (const { title, caller, error, args } of cases) {
    it(`reverts when called by ${title}`, async function () {
      const c = await loadFixture(consortiumWithMembers);
      const signer = await caller(c);
      await expect(call(c, signer))
        .to.be.revertedWithCustomError(c.registry, error)
        .withArgs(...args(c, signer));
    });
  }
}

const suspendMaker = async (c: Ctx) => {
  await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Suspended);
  return c.maker;
};
const revokeMaker = async (c: Ctx) => {
  await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Revoked);
  return c.maker;
};
const expireLicences = async (c: Ctx) => {
  await time.increaseTo(LICENCE_EXPIRY);
  return c.maker;
};
const revokeMakerLicence = async (c: Ctx) => {
  await c.registry.connect(c.regulator).revokeLicence(MAKER, LicenceKind.Manufacturing);
  return c.maker;
};

/** A caller the registry answers with `error(partyOrNothing..., caller)`. */
function refusedWith(
  error: string,
  args: (c: Ctx, caller: Signer) => unknown[],
): (title: string, caller: (c: Ctx) => Promise<Signer>) => CallerCase {
  return (title, caller) => ({ title, caller, error, args });
}

const notGovernor = refusedWith("RegistryOnlyGovernor", (_c, s) => [s.address]);
const notMakerAdmin = refusedWith("RegistryNotPartyAdmin", (_c, s) => [MAKER, s.address]);

/** Callers of the governor-only functions: everyone but the governor. */
const notGovernorCases: CallerCase[] = [
  notGovernor("a non-member", async (c) => c.stranger),
  notGovernor("the deployer (bootstrapper)", async (c) => c.deployer),
  notGovernor("the regulator's admin", async (c) => c.regulator),
  notGovernor("the regulator's operator", async (c) => c.regOperator),
  notGovernor("a party's primary admin", async (c) => c.wholesaler),
  notGovernor("a party's operator", async (c) => c.makerOperator),
  notGovernor("an admin of a suspended party", suspendMaker),
  notGovernor("an admin of a revoked party", revokeMaker),
  notGovernor("an admin of a party whose licence expired", expireLicences),
  notGovernor("an admin of a party whose licence was revoked", revokeMakerLicence),
];

/** Callers of the party-admin functions on party 2 (Maker). */
const notMakerAdminCases: CallerCase[] = [
  notMakerAdmin("a non-member", async (c) => c.stranger),
  notMakerAdmin("an admin of another party", async (c) => c.wholesaler),
  notMakerAdmin("the regulator's admin", async (c) => c.regulator),
  notMakerAdmin("the governor", async (c) => c.gov),
  notMakerAdmin("an operator of the party", async (c) => c.makerOperator),
  notMakerAdmin("a QA member of the party", async (c) => c.makerQa),
  notMakerAdmin("a device of the party", async (c) => c.makerDevice),
  notMakerAdmin("a removed admin of the party", async (c) => {
    await c.registry.connect(c.maker).removeMember(MAKER, c.makerAdmin2.address);
    return c.makerAdmin2;
  }),
  notMakerAdmin("the rotated-out key of the party's primary admin", async (c) => {
    await c.registry.connect(c.maker).rotateMember(MAKER, c.maker.address, c.spare[0].address);
    return c.maker;
  }),
  {
    title: "the party's admin while the party is suspended",
    caller: suspendMaker,
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Suspended],
  },
  {
    title: "the party's admin after the party was revoked",
    caller: revokeMaker,
    error: "RegistryPartyNotActive",
    args: () => [MAKER, PartyStatus.Revoked],
  },
  {
    title: "the party's admin after its licence expired",
    caller: expireLicences,
    error: "RegistryLicenceExpired",
    args: () => [MAKER, LICENCE_EXPIRY],
  },
  {
    title: "the party's admin after its licence was revoked",
    caller: revokeMakerLicence,
    error: "RegistryLicenceRevoked",
    args: () => [MAKER, 1],
  },
];

/** Callers of rotateMember on party 2: the party-admin refusals, except the governor (which may rotate any key). */
const notMakerRotatorCases: CallerCase[] = notMakerAdminCases.filter((c) => c.title !== "the governor");

/** Gives the regulator party a licence so that it can expire or be revoked. */
async function licenceRegulator(c: Ctx): Promise<void> {
  await c.registry.connect(c.gov).grantLicence(REGULATOR, grant(LicenceKind.Notarial, { issuer: 0n }));
}

/** Callers of the regulator-or-governor functions (target: party 3, Wholesaler). */
const notRegulatorCases: CallerCase[] = [
  {
    title: "a non-member",
    caller: async (c) => c.stranger,
    error: "RegistryNotMember",
    args: (_c, s) => [s.address],
  },
  {
    title: "the deployer (bootstrapper)",
    caller: async (c) => c.deployer,
    error: "RegistryNotMember",
    args: (_c, s) => [s.address],
  },
  {
    title: "an admin of a non-regulator party",
    caller: async (c) => c.maker,
    error: "RegistryDomainNotAllowed",
    args: () => [MAKER, Domain.Manufacturer],
  },
  {
    title: "the target party's own admin",
    caller: async (c) => c.wholesaler,
    error: "RegistryDomainNotAllowed",
    args: () => [WHOLESALER, Domain.Wholesaler],
  },
  {
    title: "a QA member of the regulator",
    caller: async (c) => c.regQa,
    error: "RegistryRoleNotAllowed",
    args: (_c, s) => [s.address, Role.QA],
  },
  {
    title: "a device of the regulator",
    caller: async (c) => c.regDevice,
    error: "RegistryRoleNotAllowed",
    args: (_c, s) => [s.address, Role.Device],
  },
  {
    title: "a removed operator of the regulator",
    caller: async (c) => {
      await c.registry.connect(c.regulator).removeMember(REGULATOR, c.regOperator.address);
      return c.regOperator;
    },
    error: "RegistryNotMember",
    args: (_c, s) => [s.address],
  },
  {
    title: "the rotated-out key of a regulator operator",
    caller: async (c) => {
      await c.registry.connect(c.regulator).rotateMember(REGULATOR, c.regOperator.address, c.spare[0].address);
      return c.regOperator;
    },
    error: "RegistryNotMember",
    args: (_c, s) => [s.address],
  },
  {
    title: "the regulator's admin while the regulator is suspended",
    caller: async (c) => {
      await c.registry.connect(c.gov).setPartyStatus(REGULATOR, PartyStatus.Suspended);
      return c.regulator;
    },
    error: "RegistryPartyNotActive",
    args: () => [REGULATOR, PartyStatus.Suspended],
  },
  {
    title: "the regulator's operator after the regulator was revoked",
    caller: async (c) => {
      await c.registry.connect(c.gov).setPartyStatus(REGULATOR, PartyStatus.Revoked);
      return c.regOperator;
    },
    error: "RegistryPartyNotActive",
    args: () => [REGULATOR, PartyStatus.Revoked],
  },
  {
    title: "the regulator's admin after the regulator's licence expired",
    caller: async (c) => {
      await licenceRegulator(c);
      await time.increaseTo(LICENCE_EXPIRY);
      return c.regulator;
    },
    error: "RegistryLicenceExpired",
    args: () => [REGULATOR, LICENCE_EXPIRY],
  },
  {
    title: "the regulator's admin after the regulator's licence was revoked",
    caller: async (c) => {
      await licenceRegulator(c);
      await c.registry.connect(c.gov).revokeLicence(REGULATOR, LicenceKind.Notarial);
      return c.regulator;
    },
    error: "RegistryLicenceRevoked",
    args: () => [REGULATOR, 1],
  },
];

/** Accounts and masks requireMember refuses (the account is in party 2 unless it never was a member). */
const requireMemberFailures: [string, (c: Ctx) => Promise<[string, bigint, bigint]>, string, (c: Ctx) => unknown[]][] = [
  [
    "the account never was a member",
    async () => [fresh(1), ANY, ANY],
    "RegistryNotMember",
    () => [fresh(1)],
  ],
  [
    "the account was removed",
    async (c) => {
      await c.registry.connect(c.maker).removeMember(MAKER, c.makerOperator.address);
      return [c.makerOperator.address, ANY, ANY];
    },
    "RegistryNotMember",
    (c) => [c.makerOperator.address],
  ],
  [
    "the account was rotated out",
    async (c) => {
      await c.registry.connect(c.maker).rotateMember(MAKER, c.makerOperator.address, fresh(1));
      return [c.makerOperator.address, ANY, ANY];
    },
    "RegistryNotMember",
    (c) => [c.makerOperator.address],
  ],
  [
    "the party is suspended",
    async (c) => {
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      return [c.makerOperator.address, ANY, ANY];
    },
    "RegistryPartyNotActive",
    () => [MAKER, PartyStatus.Suspended],
  ],
  [
    "the party is revoked",
    async (c) => {
      await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Revoked);
      return [c.makerOperator.address, ANY, ANY];
    },
    "RegistryPartyNotActive",
    () => [MAKER, PartyStatus.Revoked],
  ],
  [
    "a licence of the party is revoked",
    async (c) => {
      await revokeMakerLicence(c);
      return [c.makerOperator.address, ANY, ANY];
    },
    "RegistryLicenceRevoked",
    () => [MAKER, 1],
  ],
  [
    "a licence of the party expired",
    async (c) => {
      await c.registry.connect(c.regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice, { expiresAt: EARLIER_EXPIRY }));
      await time.increaseTo(EARLIER_EXPIRY);
      return [c.makerOperator.address, ANY, ANY];
    },
    "RegistryLicenceExpired",
    () => [MAKER, EARLIER_EXPIRY],
  ],
  [
    "the party's domain is not allowed",
    async (c) => [c.makerOperator.address, ANY, ANY ^ mask(Domain.Manufacturer)],
    "RegistryDomainNotAllowed",
    () => [MAKER, Domain.Manufacturer],
  ],
  [
    "the domain mask is empty",
    async (c) => [c.maker.address, ANY, 0n],
    "RegistryDomainNotAllowed",
    () => [MAKER, Domain.Manufacturer],
  ],
  [
    "the member's role is not allowed",
    async (c) => [c.makerOperator.address, mask(Role.Admin, Role.QA, Role.Device), ANY],
    "RegistryRoleNotAllowed",
    (c) => [c.makerOperator.address, Role.Operator],
  ],
  [
    "the role mask is empty",
    async (c) => [c.makerDevice.address, 0n, ANY],
    "RegistryRoleNotAllowed",
    (c) => [c.makerDevice.address, Role.Device],
  ],
  [
    "both domain and role are wrong (domain is checked first)",
    async (c) => [c.makerDevice.address, mask(Role.Admin), mask(Domain.Regulator)],
    "RegistryDomainNotAllowed",
    () => [MAKER, Domain.Manufacturer],
  ],
  [
    "the party is suspended and the domain is wrong (standing is checked first)",
    async (c) => {
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      return [c.makerDevice.address, mask(Role.Admin), mask(Domain.Regulator)];
    },
    "RegistryPartyNotActive",
    () => [MAKER, PartyStatus.Suspended],
  ],
];

// ==== TESTS ====

describe("ConsortiumRegistry", function () {
  describe("constructor", function () {
    it("disables initializers on the implementation", async function () {
      const { implementation } = await loadFixture(registryWithoutGovernor);
      await expect(implementation.initialize([]))
        .to.be.revertedWithCustomError(implementation, "InvalidInitialization")
        .withArgs();
    });
  });

  describe("initialize", function () {
    it("admits the founders in order, the caller becoming bootstrapper", async function () {
      const [deployer, a, b] = await ethers.getSigners();
      const implementation = await ethers.deployContract("ConsortiumRegistry");
      const founders: Admission[] = [
        { name: "Regulator", domain: Domain.Regulator, admin: a.address, voter: true, licences: [] },
        {
          name: "Maker",
          domain: Domain.Manufacturer,
          admin: b.address,
          voter: false,
          licences: [grant(LicenceKind.Manufacturing, { documentHash: DOC })],
        },
      ];
      const proxy = await ethers.deployContract("ERC1967Proxy", [
        await implementation.getAddress(),
        implementation.interface.encodeFunctionData("initialize", [founders]),
      ]);
      const registry = await ethers.getContractAt("ConsortiumRegistry", await proxy.getAddress());
      const tx = proxy.deploymentTransaction();
      if (tx === null) throw new Error("no deployment transaction");

      await expect(tx).to.emit(registry, "Initialized").withArgs(1n);
      await expect(tx).to.emit(registry, "PartyAdmitted").withArgs(1n, Domain.Regulator, a.address, true, "Regulator");
      await expect(tx).to.emit(registry, "PartyAdmitted").withArgs(2n, Domain.Manufacturer, b.address, false, "Maker");
      await expect(tx).to.emit(registry, "MemberAdded").withArgs(1n, a.address, Role.Admin, deployer.address);
      await expect(tx).to.emit(registry, "MemberAdded").withArgs(2n, b.address, Role.Admin, deployer.address);
      await expect(tx)
        .to.emit(registry, "LicenceGranted")
        .withArgs(2n, LicenceKind.Manufacturing, DOC, REGULATOR, LICENCE_EXPIRY, LICENCE_EXPIRY, deployer.address);
      await expect(tx).not.to.emit(registry, "GovernorSet");

      expect(await registry.partyCount()).to.equal(2n);
      expect(await registry.activeVoterCount()).to.equal(1n);
      expect(await registry.governor()).to.equal(ethers.ZeroAddress);
      expect(await partyOf(registry, 2n)).to.deep.equal({
        domain: Domain.Manufacturer,
        status: PartyStatus.Active,
        voter: false,
        licencesValidUntil: LICENCE_EXPIRY,
        revokedLicences: 0,
        admin: b.address,
        name: "Maker",
      });
      // The initialiser, and only it, may bind the governor.
      await expect(registry.connect(a).setGovernor(a.address))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyBootstrapper")
        .withArgs(a.address);
      await expect(registry.connect(deployer).setGovernor(a.address))
        .to.emit(registry, "GovernorSet")
        .withArgs(a.address);
    });

    it("reverts when called a second time", async function () {
      const { registry, deployer } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(deployer).initialize([]))
        .to.be.revertedWithCustomError(registry, "InvalidInitialization")
        .withArgs();
    });

    for (const [title, prepare] of [
      ["the governor", async (c: Ctx) => c.gov],
      ["a non-member", async (c: Ctx) => c.stranger],
      ["the regulator's admin", async (c: Ctx) => c.regulator],
      ["an admin of a suspended party", suspendMaker],
      ["an admin of a party whose licence expired", expireLicences],
      ["an admin of a party whose licence was revoked", revokeMakerLicence],
    ] as const) {
      it(`reverts when called again by ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const signer = await prepare(c);
        await expect(c.registry.connect(signer).initialize([admission()]))
          .to.be.revertedWithCustomError(c.registry, "InvalidInitialization")
          .withArgs();
        expect(await c.registry.partyCount()).to.equal(8n);
      });
    }

    it("reverts when called a second time on a registry that was initialised empty", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(deployer).initialize([admission()]))
        .to.be.revertedWithCustomError(registry, "InvalidInitialization")
        .withArgs();
      expect(await registry.partyCount()).to.equal(0n);
    });

    it("reverts when a founder is invalid", async function () {
      const implementation = await ethers.deployContract("ConsortiumRegistry");
      await expect(
        ethers.deployContract("ERC1967Proxy", [
          await implementation.getAddress(),
          implementation.interface.encodeFunctionData("initialize", [[admission({ name: "" })]]),
        ]),
      )
        .to.be.revertedWithCustomError(implementation, "RegistryEmptyName")
        .withArgs();
    });

    it("reverts when a founder's licence names an issuer not yet admitted", async function () {
      // Founder 1's licence cannot be issued by party 1: it does not exist when checked.
      const implementation = await ethers.deployContract("ConsortiumRegistry");
      await expect(
        ethers.deployContract("ERC1967Proxy", [
          await implementation.getAddress(),
          implementation.interface.encodeFunctionData("initialize", [[admission()]]),
        ]),
      )
        .to.be.revertedWithCustomError(implementation, "RegistryUnknownParty")
        .withArgs(REGULATOR);
    });
  });

  describe("setGovernor", function () {
    it("binds the governor once and clears the bootstrapper", async function () {
      const { registry, deployer, signers } = await loadFixture(registryWithoutGovernor);
      const target = signers[0].address;
      await expect(registry.connect(deployer).setGovernor(target)).to.emit(registry, "GovernorSet").withArgs(target);
      expect(await registry.governor()).to.equal(target);
      // Bound once: not even the deployer can rebind.
      await expect(registry.connect(deployer).setGovernor(signers[1].address))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorAlreadySet")
        .withArgs(target);
      expect(await registry.governor()).to.equal(target);
    });

    it("makes the new governor the only account that may admit", async function () {
      const { registry, deployer, signers } = await loadFixture(registryWithoutGovernor);
      const [newGovernor, admin] = signers;
      await registry.connect(deployer).setGovernor(newGovernor.address);
      const adm = admission({ domain: Domain.Regulator, admin: admin.address, licences: [] });
      await expect(registry.connect(deployer).admitParty(adm))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyGovernor")
        .withArgs(deployer.address);
      await expect(registry.connect(newGovernor).admitParty(adm))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(1n, Domain.Regulator, admin.address, false, "Clinic");
    });

    it("reverts when the caller is not the bootstrapper", async function () {
      const { registry, signers } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(signers[3]).setGovernor(signers[3].address))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyBootstrapper")
        .withArgs(signers[3].address);
      expect(await registry.governor()).to.equal(ethers.ZeroAddress);
    });

    it("reverts when the governor is the zero address", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(deployer).setGovernor(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryZeroAddress")
        .withArgs();
    });

    it("reverts when the governor is already set, even for address(0) (the cleared bootstrapper)", async function () {
      const { registry, governor } = await loadFixture(consortiumWithMembers);
      const zero = await impersonate(ethers.ZeroAddress);
      await expect(registry.connect(zero).setGovernor(fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorAlreadySet")
        .withArgs(await governor.getAddress());
    });

    for (const [title, pick] of [
      ["the deployer, once the governor is bound", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["a non-member", (c: Ctx) => c.stranger],
      ["the regulator's admin", (c: Ctx) => c.regulator],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const signer = pick(c);
        await expect(c.registry.connect(signer).setGovernor(fresh(1)))
          .to.be.revertedWithCustomError(c.registry, "RegistryGovernorAlreadySet")
          .withArgs(await c.governor.getAddress());
      });
    }

    for (const [title, prepare] of [
      ["an admin of a suspended party", suspendMaker],
      ["an admin of a party whose licence expired", expireLicences],
      ["an admin of a party whose licence was revoked", revokeMakerLicence],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const signer = await prepare(c);
        await expect(c.registry.connect(signer).setGovernor(fresh(1)))
          .to.be.revertedWithCustomError(c.registry, "RegistryGovernorAlreadySet")
          .withArgs(await c.governor.getAddress());
      });
    }
  });

  describe("attachMirror", function () {
    it("lets the bootstrapper attach before the governor is bound, pushing every founder and its primary admin", async function () {
      const { registry, deployer, admins, operator, rotatedAdmin, expiry } = await loadFixture(foundersWithoutGovernor);
      const probe = await deployProbe(registry);
      const tx = await registry.connect(deployer).attachMirror(await probe.getAddress());
      await expect(tx).to.emit(registry, "MirrorAttached").withArgs(await probe.getAddress(), deployer.address);
      expect(await pushesTo(tx, probe)).to.deep.equal([
        partyPush(REGULATOR, Domain.Regulator, PartyStatus.Active, 0, NO_EXPIRY),
        memberPush(admins[0].address, REGULATOR, Role.Admin, MemberStatus.Active),
        partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 0, expiry),
        memberPush(admins[1].address, MAKER, Role.Admin, MemberStatus.Active),
        partyPush(3n, Domain.Pharmacy, PartyStatus.Active, 0, NO_EXPIRY),
        memberPush(rotatedAdmin.address, 3n, Role.Admin, MemberStatus.Active),
      ]);
      expect(await registry.mirrors()).to.deep.equal([await probe.getAddress()]);
      // Members other than the primary admins are not pushed: the probe asks the registry for them.
      for (const account of [operator.address, admins[2].address]) {
        const held = await probe.mirroredMember(account);
        expect([held.partyId, held.role, held.status]).to.deep.equal([0n, 0n, 0n]);
      }
      expect([...(await probe.requireMember(operator.address, mask(Role.Operator), mask(Domain.Manufacturer)))]).to.deep.equal([
        MAKER,
        BigInt(Domain.Manufacturer),
      ]);
      await expect(probe.requireMember(admins[2].address, ANY, ANY))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(admins[2].address);
      // Binding the governor afterwards keeps the mirror attached.
      await registry.connect(deployer).setGovernor(admins[0].address);
      expect(await registry.mirrors()).to.deep.equal([await probe.getAddress()]);
    });

    it("lets the bootstrapper attach with nothing to push when there are no founders", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      const probe = await deployProbe(registry);
      const tx = await registry.connect(deployer).attachMirror(await probe.getAddress());
      await expect(tx).to.emit(registry, "MirrorAttached").withArgs(await probe.getAddress(), deployer.address);
      expect(await pushesTo(tx, probe)).to.deep.equal([]);
      expect(await registry.mirrors()).to.deep.equal([await probe.getAddress()]);
    });

    it("lets the governor attach once bound, pushing nothing", async function () {
      const { registry, batchRegistry, gov, governor, maker } = await loadFixture(consortiumWithMembers);
      const probe = await deployProbe(registry);
      const tx = await registry.connect(gov).attachMirror(await probe.getAddress());
      await expect(tx).to.emit(registry, "MirrorAttached").withArgs(await probe.getAddress(), await governor.getAddress());
      expect(await pushesTo(tx, probe)).to.deep.equal([]);
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress(), await probe.getAddress()]);
      const held = await probe.mirroredParty(MAKER);
      expect([held.domain, held.status]).to.deep.equal([0n, 0n]);
      // From now on it receives every change.
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.QA))
        .to.emit(probe, "MemberMirrored")
        .withArgs(fresh(1), MAKER, Role.QA, MemberStatus.Active);
    });

    it("attaches up to eight mirrors, in order", async function () {
      const { registry, batchRegistry, gov } = await loadFixture(consortiumWithMembers);
      const attached = [await batchRegistry.getAddress()];
      for (let i = 0; i < 7; ++i) {
        const probe = await deployProbe(registry);
        await registry.connect(gov).attachMirror(await probe.getAddress());
        attached.push(await probe.getAddress());
      }
      expect(await registry.mirrors()).to.deep.equal(attached);
    });

    it("reverts when eight mirrors are attached", async function () {
      const { registry, batchRegistry, gov } = await loadFixture(consortiumWithMembers);
      for (let i = 0; i < 7; ++i) await registry.connect(gov).attachMirror(await (await deployProbe(registry)).getAddress());
      const ninth = await deployProbe(registry);
      await expect(registry.connect(gov).attachMirror(await ninth.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryTooManyMirrors")
        .withArgs(8n);
      expect((await registry.mirrors()).length).to.equal(8);
      expect((await registry.mirrors())[0]).to.equal(await batchRegistry.getAddress());
    });

    for (const [title, pick] of [
      ["a founder's admin", (f: UnboundWithFounders) => f.admins[0]],
      ["a non-member", (f: UnboundWithFounders) => f.stranger],
    ] as const) {
      it(`reverts when called before the governor is bound by ${title}`, async function () {
        const f = await loadFixture(foundersWithoutGovernor);
        const caller = pick(f);
        const probe = await deployProbe(f.registry);
        await expect(f.registry.connect(caller).attachMirror(await probe.getAddress()))
          .to.be.revertedWithCustomError(f.registry, "RegistryOnlyBootstrapper")
          .withArgs(caller.address);
        expect(await f.registry.mirrors()).to.deep.equal([]);
      });
    }

    itRejectsCallers(notGovernorCases, (c, s) => c.registry.connect(s).attachMirror(fresh(1)));

    it("reverts when the governor attaches the zero address", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).attachMirror(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryZeroAddress")
        .withArgs();
    });

    it("reverts when the governor attaches an account with no code (every later push would fail)", async function () {
      const { registry, gov, stranger } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).attachMirror(stranger.address))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidMirror")
        .withArgs(stranger.address);
      expect(await registry.mirrors()).to.have.length(1);
    });

    it("reverts when the governor attaches a mirror of another registry", async function () {
      const { registry, gov, stranger } = await loadFixture(consortiumWithMembers);
      const foreign = await ethers.deployContract("MembershipMirrorProbe", [stranger.address]);
      await expect(registry.connect(gov).attachMirror(await foreign.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidMirror")
        .withArgs(await foreign.getAddress());
      expect(await registry.mirrors()).to.have.length(1);
    });

    it("reverts when the bootstrapper attaches a contract that is no mirror", async function () {
      const { registry, deployer } = await loadFixture(foundersWithoutGovernor);
      const notMirror = await ethers.deployContract("MembershipCheckProbe", [await registry.getAddress()]);
      await expect(registry.connect(deployer).attachMirror(await notMirror.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidMirror")
        .withArgs(await notMirror.getAddress());
      expect(await registry.mirrors()).to.deep.equal([]);
    });

    it("reverts when the bootstrapper attaches the zero address", async function () {
      const { registry, deployer } = await loadFixture(foundersWithoutGovernor);
      await expect(registry.connect(deployer).attachMirror(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryZeroAddress")
        .withArgs();
    });

    it("reverts on the caller before looking at the mirror, once the governor is bound", async function () {
      const { registry, stranger } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(stranger).attachMirror(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyGovernor")
        .withArgs(stranger.address);
    });

    it("reverts on the caller before looking at the mirror, before the governor is bound", async function () {
      const { registry, stranger } = await loadFixture(foundersWithoutGovernor);
      await expect(registry.connect(stranger).attachMirror(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyBootstrapper")
        .withArgs(stranger.address);
    });

    it("reverts when the governor attaches a mirror already attached", async function () {
      const { registry, batchRegistry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).attachMirror(await batchRegistry.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryMirrorAttached")
        .withArgs(await batchRegistry.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    });

    it("reverts when the bootstrapper attaches a mirror already attached", async function () {
      const { registry, deployer } = await loadFixture(foundersWithoutGovernor);
      const probe = await deployProbe(registry);
      await registry.connect(deployer).attachMirror(await probe.getAddress());
      await expect(registry.connect(deployer).attachMirror(await probe.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryMirrorAttached")
        .withArgs(await probe.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await probe.getAddress()]);
    });

    it("reverts before any push when the bootstrapper attaches a mirror of another registry", async function () {
      const { registry, deployer } = await loadFixture(foundersWithoutGovernor);
      const foreign = await ethers.deployContract("MembershipMirrorProbe", [fresh(7)]);
      await expect(registry.connect(deployer).attachMirror(await foreign.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidMirror")
        .withArgs(await foreign.getAddress());
      expect(await registry.mirrors()).to.deep.equal([]);
    });
  });

  describe("syncMirror", function () {
    /** The standard consortium with a probe the governor attached after binding (so it holds nothing yet). */
    async function lateMirror(c: Ctx): Promise<MembershipMirrorProbe> {
      const probe = await deployProbe(c.registry);
      await c.registry.connect(c.gov).attachMirror(await probe.getAddress());
      return probe;
    }

    it("lets anyone push the current records of the parties, then the accounts, given", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const probe = await lateMirror(c);
      const tx = await c.registry
        .connect(c.stranger)
        .syncMirror(await probe.getAddress(), [MAKER, REGULATOR], [c.makerOperator.address, c.regQa.address]);
      expect(await pushesTo(tx, probe)).to.deep.equal([
        partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 0, LICENCE_EXPIRY),
        partyPush(REGULATOR, Domain.Regulator, PartyStatus.Active, 0, NO_EXPIRY),
        memberPush(c.makerOperator.address, MAKER, Role.Operator, MemberStatus.Active),
        memberPush(c.regQa.address, REGULATOR, Role.QA, MemberStatus.Active),
      ]);
      await expect(tx).not.to.emit(c.registry, "MirrorAttached");
    });

    it("pushes statuses, licence state and retired keys as they are now", async function () {
      const c = await loadFixture(consortiumWithMembers);
      await c.registry.connect(c.maker).removeMember(MAKER, c.makerOperator.address);
      await c.registry.connect(c.maker).rotateMember(MAKER, c.makerQa.address, fresh(1));
      await c.registry.connect(c.regulator).suspendParty(WHOLESALER);
      await c.registry.connect(c.regulator).revokeLicence(MAKER, LicenceKind.Manufacturing);
      await c.registry.connect(c.regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice, { expiresAt: EARLIER_EXPIRY }));
      await c.registry.connect(c.gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      const probe = await lateMirror(c);
      const tx = await c.registry.syncMirror(
        await probe.getAddress(),
        [WHOLESALER, MAKER, PHARMACY],
        [c.makerOperator.address, c.makerQa.address, fresh(1)],
      );
      expect(await pushesTo(tx, probe)).to.deep.equal([
        partyPush(WHOLESALER, Domain.Wholesaler, PartyStatus.Suspended, 0, LICENCE_EXPIRY),
        partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 1, EARLIER_EXPIRY),
        partyPush(PHARMACY, Domain.Pharmacy, PartyStatus.Revoked, 0, LICENCE_EXPIRY),
        memberPush(c.makerOperator.address, MAKER, Role.Operator, MemberStatus.Removed),
        memberPush(c.makerQa.address, MAKER, Role.QA, MemberStatus.Rotated),
        memberPush(fresh(1), MAKER, Role.QA, MemberStatus.Active),
      ]);
    });

    it("pushes a zero record for an account that never was a member", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const probe = await lateMirror(c);
      const tx = await c.registry.syncMirror(await probe.getAddress(), [], [fresh(1), ethers.ZeroAddress]);
      expect(await pushesTo(tx, probe)).to.deep.equal([
        memberPush(fresh(1), 0n, Role.None, MemberStatus.None),
        memberPush(ethers.ZeroAddress, 0n, Role.None, MemberStatus.None),
      ]);
    });

    it("pushes nothing for empty lists", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const probe = await lateMirror(c);
      const tx = await c.registry.syncMirror(await probe.getAddress(), [], []);
      expect(await pushesTo(tx, probe)).to.deep.equal([]);
    });

    it("re-pushes records the mirror already holds, unchanged (the batch registry attached at deployment)", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const before = await c.batchRegistry.mirroredParty(MAKER);
      const tx = await c.registry.connect(c.stranger).syncMirror(await c.batchRegistry.getAddress(), [MAKER], [c.maker.address]);
      expect(await pushesTo(tx, c.batchRegistry)).to.deep.equal([
        partyPush(MAKER, Domain.Manufacturer, PartyStatus.Active, 0, LICENCE_EXPIRY),
        memberPush(c.maker.address, MAKER, Role.Admin, MemberStatus.Active),
      ]);
      expect(await c.batchRegistry.mirroredParty(MAKER)).to.deep.equal(before);
    });

    it("reverts when the mirror is not attached", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const detached = await deployProbe(c.registry);
      for (const mirror of [await detached.getAddress(), ethers.ZeroAddress, c.stranger.address, await c.registry.getAddress()]) {
        await expect(c.registry.syncMirror(mirror, [MAKER], [c.maker.address]))
          .to.be.revertedWithCustomError(c.registry, "RegistryUnknownMirror")
          .withArgs(mirror);
      }
      // The mirror is checked before the parties.
      await expect(c.registry.syncMirror(await detached.getAddress(), [UNKNOWN], []))
        .to.be.revertedWithCustomError(c.registry, "RegistryUnknownMirror")
        .withArgs(await detached.getAddress());
    });

    for (const partyId of [UNKNOWN, 0n]) {
      it(`reverts when a party is unknown (id ${partyId}), pushing nothing`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const probe = await lateMirror(c);
        await expect(c.registry.syncMirror(await probe.getAddress(), [MAKER, partyId], [c.maker.address]))
          .to.be.revertedWithCustomError(c.registry, "RegistryUnknownParty")
          .withArgs(partyId);
        const held = await probe.mirroredParty(MAKER);
        expect([held.domain, held.status]).to.deep.equal([0n, 0n]);
      });
    }
  });

  describe("detachMirror", function () {
    it("lets the governor detach a mirror: MirrorDetached, gone from mirrors(), and nothing pushed to it any more", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const { registry, batchRegistry, gov, maker } = c;
      const probe = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      await expect(registry.connect(gov).detachMirror(await probe.getAddress()))
        .to.emit(registry, "MirrorDetached")
        .withArgs(await probe.getAddress(), gov.address);
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
      const tx = await registry.connect(maker).addMember(MAKER, fresh(1), Role.QA);
      expect(await pushesTo(tx, probe)).to.deep.equal([]);
      expect(await pushesTo(tx, batchRegistry)).to.deep.equal([memberPush(fresh(1), MAKER, Role.QA, MemberStatus.Active)]);
      const held = await probe.mirroredMember(fresh(1));
      expect([held.partyId, held.role, held.status]).to.deep.equal([0n, 0n, 0n]);
      await expect(tx).not.to.emit(registry, "MirrorPushFailed");
    });

    it("moves the last mirror into the detached one's place", async function () {
      const { registry, batchRegistry, gov } = await loadFixture(consortiumWithMembers);
      const first = await deployProbe(registry);
      const second = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await first.getAddress());
      await registry.connect(gov).attachMirror(await second.getAddress());
      await registry.connect(gov).detachMirror(await batchRegistry.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await second.getAddress(), await first.getAddress()]);
      await registry.connect(gov).detachMirror(await first.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await second.getAddress()]);
      await registry.connect(gov).detachMirror(await second.getAddress());
      expect(await registry.mirrors()).to.deep.equal([]);
    });

    it("frees a place under the limit of eight, and lets a detached mirror be attached again", async function () {
      const { registry, gov, maker } = await loadFixture(consortiumWithMembers);
      const probes: MembershipMirrorProbe[] = [];
      for (let i = 0; i < 7; ++i) {
        probes.push(await deployProbe(registry));
        await registry.connect(gov).attachMirror(await probes[i].getAddress());
      }
      await registry.connect(gov).detachMirror(await probes[3].getAddress());
      expect(await registry.mirrors()).to.have.length(7);
      await expect(registry.connect(gov).attachMirror(await probes[3].getAddress()))
        .to.emit(registry, "MirrorAttached")
        .withArgs(await probes[3].getAddress(), gov.address);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.QA))
        .to.emit(probes[3], "MemberMirrored")
        .withArgs(fresh(1), MAKER, Role.QA, MemberStatus.Active);
    });

    it("detaches through a Call proposal voted by the consortium", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const { registry, governor, batchRegistry, gov, regulator } = c;
      const probe = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      const tx = await passCall(c, registry.interface.encodeFunctionData("detachMirror", [await probe.getAddress()]));
      await expect(tx)
        .to.emit(registry, "MirrorDetached")
        .withArgs(await probe.getAddress(), await governor.getAddress());
      await expect(tx).to.emit(governor, "ProposalExecuted").withArgs(await governor.proposalCount(), "0x");
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
      const suspension = await registry.connect(regulator).suspendParty(LOGISTICS);
      expect(await pushesTo(suspension, probe)).to.deep.equal([]);
    });

    itRejectsCallers(notGovernorCases, async (c, s) => c.registry.connect(s).detachMirror(await c.batchRegistry.getAddress()));

    it("reverts when no governor is bound, even for the bootstrapper that attached the mirror", async function () {
      const { registry, deployer } = await loadFixture(foundersWithoutGovernor);
      const probe = await deployProbe(registry);
      await registry.connect(deployer).attachMirror(await probe.getAddress());
      await expect(registry.connect(deployer).detachMirror(await probe.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorNotSet")
        .withArgs();
      expect(await registry.mirrors()).to.deep.equal([await probe.getAddress()]);
    });

    it("reverts when the mirror is not attached", async function () {
      const { registry, batchRegistry, gov, stranger } = await loadFixture(consortiumWithMembers);
      const probe = await deployProbe(registry);
      for (const mirror of [await probe.getAddress(), ethers.ZeroAddress, stranger.address, await registry.getAddress()]) {
        await expect(registry.connect(gov).detachMirror(mirror))
          .to.be.revertedWithCustomError(registry, "RegistryUnknownMirror")
          .withArgs(mirror);
      }
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    });

    it("reverts when the mirror was already detached; syncMirror refuses it too", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const probe = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      await registry.connect(gov).detachMirror(await probe.getAddress());
      await expect(registry.connect(gov).detachMirror(await probe.getAddress()))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownMirror")
        .withArgs(await probe.getAddress());
      await expect(registry.syncMirror(await probe.getAddress(), [MAKER], []))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownMirror")
        .withArgs(await probe.getAddress());
    });
  });

  describe("mirror pushes", function () {
    it("carries the pushes' selectors in MirrorPushFailed", async function () {
      const { batchRegistry } = await loadFixture(consortiumWithMembers);
      expect(pushSelector("mirrorMember")).to.equal(batchRegistry.interface.getFunction("mirrorMember").selector);
      expect(pushSelector("mirrorParty")).to.equal(batchRegistry.interface.getFunction("mirrorParty").selector);
    });

    it("lets a Call proposal attach a mirror that reverts on every push, pushing nothing at attachment", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const hostile = await deployHostileMirror(c.registry);
      const tx = await passCall(c, c.registry.interface.encodeFunctionData("attachMirror", [hostile]));
      await expect(tx).to.emit(c.registry, "MirrorAttached").withArgs(hostile, await c.governor.getAddress());
      await expect(tx).not.to.emit(c.registry, "MirrorPushFailed");
      expect(await c.registry.mirrors()).to.deep.equal([await c.batchRegistry.getAddress(), hostile]);
    });

    describe("to a mirror that reverts on every push", function () {
      it("lets the regulator suspend a party: the change stands, MirrorPushFailed names the push and the party", async function () {
        const { registry, batchRegistry, regulator, hostile } = await loadFixture(consortiumWithHostileMirror);
        const tx = await registry.connect(regulator).suspendParty(WHOLESALER);
        await expect(tx)
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(WHOLESALER, PartyStatus.Active, PartyStatus.Suspended, regulator.address);
        await expect(tx)
          .to.emit(registry, "MirrorPushFailed")
          .withArgs(hostile, pushSelector("mirrorParty"), partySubject(WHOLESALER));
        // The healthy mirror got its push in the same transaction.
        expect(await pushesTo(tx, batchRegistry)).to.deep.equal([
          partyPush(WHOLESALER, Domain.Wholesaler, PartyStatus.Suspended, 0, LICENCE_EXPIRY),
        ]);
        expect((await partyOf(registry, WHOLESALER)).status).to.equal(PartyStatus.Suspended);
        expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
        const block = (await tx.wait())!.blockNumber;
        const failed = await registry.queryFilter(registry.filters.MirrorPushFailed(hostile), block, block);
        expect(failed).to.have.length(1);
      });

      it("lets every other write through, one MirrorPushFailed per push", async function () {
        const c = await loadFixture(consortiumWithHostileMirror);
        const { registry, gov, regulator, maker, makerOperator, makerQa, hostile, spare } = c;
        const member = pushSelector("mirrorMember");
        const party = pushSelector("mirrorParty");
        const writes: [string, () => Promise<ContractTransactionResponse>, [string, string][]][] = [
          ["addMember", () => registry.connect(maker).addMember(MAKER, fresh(1), Role.Device), [[member, accountSubject(fresh(1))]]],
          ["removeMember", () => registry.connect(maker).removeMember(MAKER, makerOperator.address), [[member, accountSubject(makerOperator.address)]]],
          [
            "rotateMember",
            () => registry.connect(maker).rotateMember(MAKER, makerQa.address, spare[0].address),
            [
              [member, accountSubject(makerQa.address)],
              [member, accountSubject(spare[0].address)],
            ],
          ],
          ["grantLicence", () => registry.connect(regulator).grantLicence(MAKER, grant(LicenceKind.GoodManufacturingPractice)), [[party, partySubject(MAKER)]]],
          ["revokeLicence", () => registry.connect(regulator).revokeLicence(MAKER, LicenceKind.GoodManufacturingPractice), [[party, partySubject(MAKER)]]],
          ["suspendParty (governor)", () => registry.connect(gov).suspendParty(LOGISTICS), [[party, partySubject(LOGISTICS)]]],
          ["setPartyStatus", () => registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Active), [[party, partySubject(LOGISTICS)]]],
          [
            "admitParty",
            () => registry.connect(gov).admitParty(admission({ admin: fresh(2) })),
            [
              [member, accountSubject(fresh(2))],
              [party, partySubject(9n)],
            ],
          ],
        ];
        for (const [name, write, expected] of writes) {
          const tx = await write();
          const receipt = await tx.wait();
          const failed = receipt!.logs
            .map((log) => registry.interface.parseLog(log))
            .filter((parsed) => parsed !== null && parsed.name === "MirrorPushFailed")
            // `args.push` would be the Result's Array method: read the `push` argument by name.
            .map((parsed) => [parsed!.args.mirror as string, parsed!.args.getValue("push") as string, parsed!.args.subject as string]);
          expect(failed, name).to.deep.equal(expected.map(([push, subject]) => [hostile, push, subject]));
        }
        expect(await memberOf(registry, spare[0].address)).to.deep.equal({ partyId: MAKER, role: Role.QA, status: MemberStatus.Active });
        expect(await registry.partyCount()).to.equal(9n);
      });

      it("lets governance proposals execute", async function () {
        const c = await loadFixture(consortiumWithHostileMirror);
        const { registry, governor, hostile } = c;
        await governor.connect(c.admins[1]).proposePartyStatus(LOGISTICS, PartyStatus.Suspended);
        const id = await governor.proposalCount();
        await governor.connect(c.admins[1]).vote(id);
        await governor.connect(c.admins[2]).vote(id);
        const tx = await governor.connect(c.admins[3]).vote(id);
        await expect(tx)
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(LOGISTICS, PartyStatus.Active, PartyStatus.Suspended, await governor.getAddress());
        await expect(tx).to.emit(registry, "MirrorPushFailed").withArgs(hostile, pushSelector("mirrorParty"), partySubject(LOGISTICS));
      });

      it("stops failing once a Call proposal detaches it", async function () {
        const c = await loadFixture(consortiumWithHostileMirror);
        const { registry, governor, batchRegistry, regulator, hostile } = c;
        const detach = await passCall(c, registry.interface.encodeFunctionData("detachMirror", [hostile]));
        await expect(detach).to.emit(registry, "MirrorDetached").withArgs(hostile, await governor.getAddress());
        expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
        const tx = registry.connect(regulator).suspendParty(WHOLESALER);
        await expect(tx).to.emit(registry, "PartyStatusChanged");
        await expect(tx).not.to.emit(registry, "MirrorPushFailed");
      });

      it("reverts syncMirror: a sync must be taken", async function () {
        const { registry, maker, hostile } = await loadFixture(consortiumWithHostileMirror);
        await expect(registry.syncMirror(hostile, [MAKER], []))
          .to.be.revertedWithCustomError(registry, "FailedCall")
          .withArgs();
        await expect(registry.syncMirror(hostile, [], [maker.address]))
          .to.be.revertedWithCustomError(registry, "FailedCall")
          .withArgs();
        // With nothing to push, there is nothing to refuse.
        await expect(registry.syncMirror(hostile, [], [])).not.to.revert(ethers);
      });
    });

    it("reverts the bootstrapper's attachment of a mirror that refuses the founders' pushes", async function () {
      const { registry, deployer } = await loadFixture(foundersWithoutGovernor);
      const hostile = await deployHostileMirror(registry);
      await expect(registry.connect(deployer).attachMirror(hostile))
        .to.be.revertedWithCustomError(registry, "FailedCall")
        .withArgs();
      expect(await registry.mirrors()).to.deep.equal([]);
    });

    it("reverts with RegistryInsufficientGas when the caller leaves less than the push allowance", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithHostileMirror);
      expect(PUSH_GAS_NEEDED).to.equal(213_174n);
      await expect(registry.connect(regulator).suspendParty(WHOLESALER, { gasLimit: 150_000n }))
        .to.be.revertedWithCustomError(registry, "RegistryInsufficientGas")
        .withArgs(PUSH_GAS_NEEDED);
      expect((await partyOf(registry, WHOLESALER)).status).to.equal(PartyStatus.Active);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
    });

    it("never lets a caller make a healthy mirror fail by sending too little gas: the write reverts or the push lands", async function () {
      const { registry, batchRegistry, maker } = await loadFixture(consortiumWithMembers);
      let landed = 0;
      let refused = 0;
      for (let i = 0, gasLimit = 120_000n; gasLimit <= 360_000n; ++i, gasLimit += 12_000n) {
        const account = fresh(100 + i);
        let tx: ContractTransactionResponse | undefined;
        try {
          tx = await registry.connect(maker).addMember(MAKER, account, Role.QA, { gasLimit });
          await tx.wait();
        } catch {
          tx = undefined;
        }
        if (tx === undefined) {
          ++refused;
          expect(await memberOf(registry, account), `gas ${gasLimit}`).to.deep.equal({ partyId: 0n, role: Role.None, status: MemberStatus.None });
          continue;
        }
        ++landed;
        await expect(tx, `gas ${gasLimit}`).not.to.emit(registry, "MirrorPushFailed");
        expect(await pushesTo(tx, batchRegistry), `gas ${gasLimit}`).to.deep.equal([memberPush(account, MAKER, Role.QA, MemberStatus.Active)]);
      }
      expect(landed).to.be.greaterThan(0);
      expect(refused).to.be.greaterThan(0);
      await expect(registry.connect(maker).addMember(MAKER, fresh(99), Role.QA, { gasLimit: 120_000n }))
        .to.be.revertedWithCustomError(registry, "RegistryInsufficientGas")
        .withArgs(PUSH_GAS_NEEDED);
    });
  });

  describe("mirrors", function () {
    it("is empty until a mirror is attached", async function () {
      const { registry } = await loadFixture(registryWithoutGovernor);
      expect(await registry.mirrors()).to.deep.equal([]);
    });

    it("lists the batch registry, attached at deployment", async function () {
      const { registry, batchRegistry } = await loadFixture(consortiumWithMembers);
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    });
  });

  describe("admitParty", function () {
    it("admits a party with its licences and enrols its primary admin", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const adm = admission({
        name: "County Hospital",
        voter: true,
        licences: [
          grant(LicenceKind.MedicalInstitution, { documentHash: DOC, expiresAt: LATER_EXPIRY }),
          grant(LicenceKind.Distribution, { issuer: 0n, expiresAt: EARLIER_EXPIRY }),
        ],
      });
      expect(await registry.connect(gov).admitParty.staticCall(adm)).to.equal(9n);
      const tx = registry.connect(gov).admitParty(adm);
      await expect(tx)
        .to.emit(registry, "PartyAdmitted")
        .withArgs(9n, Domain.Hospital, fresh(1), true, "County Hospital");
      await expect(tx).to.emit(registry, "MemberAdded").withArgs(9n, fresh(1), Role.Admin, gov.address);
      await expect(tx)
        .to.emit(registry, "LicenceGranted")
        .withArgs(9n, LicenceKind.MedicalInstitution, DOC, REGULATOR, LATER_EXPIRY, LATER_EXPIRY, gov.address);
      await expect(tx)
        .to.emit(registry, "LicenceGranted")
        .withArgs(9n, LicenceKind.Distribution, DOC2, 0n, EARLIER_EXPIRY, EARLIER_EXPIRY, gov.address);
      await expect(tx).not.to.emit(registry, "VoterChanged");

      expect(await registry.partyCount()).to.equal(9n);
      expect(await registry.activeVoterCount()).to.equal(5n);
      expect(await registry.isVoter(9n)).to.equal(true);
      expect(await registry.isPartyActive(9n)).to.equal(true);
      expect(await partyOf(registry, 9n)).to.deep.equal({
        domain: Domain.Hospital,
        status: PartyStatus.Active,
        voter: true,
        licencesValidUntil: EARLIER_EXPIRY,
        revokedLicences: 0,
        admin: fresh(1),
        name: "County Hospital",
      });
      expect(await memberOf(registry, fresh(1))).to.deep.equal({
        partyId: 9n,
        role: Role.Admin,
        status: MemberStatus.Active,
      });
      expect(await licenceOf(registry, 9n, LicenceKind.MedicalInstitution)).to.deep.equal({
        documentHash: DOC,
        issuer: REGULATOR,
        expiresAt: LATER_EXPIRY,
        revoked: false,
      });
      expect(await licenceOf(registry, 9n, LicenceKind.Distribution)).to.deep.equal({
        documentHash: DOC2,
        issuer: 0n,
        expiresAt: EARLIER_EXPIRY,
        revoked: false,
      });
      const [partyId, domain] = await registry.requireMember(fresh(1), mask(Role.Admin), mask(Domain.Hospital));
      expect([partyId, domain]).to.deep.equal([9n, BigInt(Domain.Hospital)]);
    });

    it("admits a non-voter without licences, valid until type(uint48).max", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const tx = registry.connect(gov).admitParty(admission({ domain: Domain.Retailer, licences: [] }));
      await expect(tx).to.emit(registry, "PartyAdmitted").withArgs(9n, Domain.Retailer, fresh(1), false, "Clinic");
      await expect(tx).not.to.emit(registry, "LicenceGranted");
      await expect(tx).not.to.emit(registry, "VoterChanged");
      expect(await registry.activeVoterCount()).to.equal(4n);
      expect(await registry.isVoter(9n)).to.equal(false);
      expect((await partyOf(registry, 9n)).licencesValidUntil).to.equal(NO_EXPIRY);
    });

    it("accepts a licence issued by the most recently admitted party", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ licences: [grant(LicenceKind.MedicalInstitution, { issuer: 8n })] })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(9n, LicenceKind.MedicalInstitution, DOC2, 8n, LICENCE_EXPIRY, LICENCE_EXPIRY, gov.address);
    });

    it("assigns sequential ids", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).admitParty(admission());
      await expect(registry.connect(gov).admitParty(admission({ name: "Second", admin: fresh(2) })))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(10n, Domain.Hospital, fresh(2), false, "Second");
      expect(await registry.partyCount()).to.equal(10n);
    });

    itRejectsCallers(notGovernorCases, (c, s) => c.registry.connect(s).admitParty(admission()));

    it("reverts when no governor is bound", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(deployer).admitParty(admission({ licences: [] })))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorNotSet")
        .withArgs();
    });

    it("reverts when the name is empty", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ name: "" })))
        .to.be.revertedWithCustomError(registry, "RegistryEmptyName")
        .withArgs();
    });

    it("reverts when the domain is None", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ domain: Domain.None })))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidDomain")
        .withArgs(Domain.None);
    });

    it("reverts without reason when the domain is out of range (the ABI decoder rejects it)", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ domain: 10 }))).to.be.revertedWithoutReason(ethers);
    });

    it("reverts when the admin is the zero address", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ admin: ethers.ZeroAddress })))
        .to.be.revertedWithCustomError(registry, "RegistryZeroAddress")
        .withArgs();
    });

    it("reverts when the admin is already a member", async function () {
      const { registry, gov, makerOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ admin: makerOperator.address })))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerOperator.address, MAKER);
    });

    it("reverts when the admin is a removed member", async function () {
      const { registry, gov, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).removeMember(MAKER, makerOperator.address);
      await expect(registry.connect(gov).admitParty(admission({ admin: makerOperator.address })))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerOperator.address, MAKER);
    });

    it("reverts when a licence kind is None", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ licences: [grant(LicenceKind.None)] })))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidLicenceKind")
        .withArgs(LicenceKind.None);
    });

    it("reverts when a licence expires now", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const now = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(now);
      await expect(registry.connect(gov).admitParty(admission({ licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: now })] })))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpiryInPast")
        .withArgs(now, now);
    });

    it("reverts when a licence expired in the past", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const now = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(now);
      await expect(registry.connect(gov).admitParty(admission({ licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: 1n })] })))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpiryInPast")
        .withArgs(1n, now);
    });

    it("reverts when a licence's issuer is not a party", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).admitParty(admission({ licences: [grant(LicenceKind.MedicalInstitution, { issuer: 9n })] })))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(9n);
    });

    it("reverts when two licences have the same kind", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const licences = [
        grant(LicenceKind.MedicalInstitution),
        grant(LicenceKind.Distribution),
        grant(LicenceKind.MedicalInstitution, { expiresAt: LATER_EXPIRY }),
      ];
      await expect(registry.connect(gov).admitParty(admission({ licences })))
        .to.be.revertedWithCustomError(registry, "RegistryDuplicateLicence")
        .withArgs(LicenceKind.MedicalInstitution);
    });
  });

  describe("checkStatusTransition", function () {
    it("passes for allowed transitions and changes nothing", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.checkStatusTransition(WHOLESALER, PartyStatus.Suspended);
      await registry.checkStatusTransition(WHOLESALER, PartyStatus.Revoked);
      await registry.connect(regulator).suspendParty(LOGISTICS);
      await registry.checkStatusTransition(LOGISTICS, PartyStatus.Active);
      expect((await partyOf(registry, WHOLESALER)).status).to.equal(PartyStatus.Active);
    });

    it("reverts as setPartyStatus would", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.checkStatusTransition(99n, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(99n);
      await expect(registry.checkStatusTransition(WHOLESALER, PartyStatus.Active))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
        .withArgs(WHOLESALER, PartyStatus.Active, PartyStatus.Active);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended);
      await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Suspended);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      await expect(registry.checkStatusTransition(REGULATOR, PartyStatus.Revoked))
        .to.be.revertedWithCustomError(registry, "RegistryLastActiveVoter")
        .withArgs(REGULATOR);
    });

    it("reverts with RegistryThresholdUnreachable as setPartyStatus would", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER); // A = 3, R = 1
      for (const status of [PartyStatus.Suspended, PartyStatus.Revoked]) {
        await expect(registry.checkStatusTransition(HOSPITAL, status))
          .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
          .withArgs(HOSPITAL, 2n, 3n);
      }
      // Leaving Suspended is never refused for it.
      await registry.checkStatusTransition(WHOLESALER, PartyStatus.Active);
      await registry.checkStatusTransition(WHOLESALER, PartyStatus.Revoked);
    });
  });

  describe("checkVoterChange", function () {
    it("passes for allowed changes and changes nothing", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      await registry.checkVoterChange(LOGISTICS, true);
      await registry.checkVoterChange(WHOLESALER, false);
      expect(await registry.isVoter(LOGISTICS)).to.equal(false);
      expect(await registry.isVoter(WHOLESALER)).to.equal(true);
    });

    it("reverts as setVoter would", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.checkVoterChange(99n, true))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(99n);
      await expect(registry.checkVoterChange(WHOLESALER, true))
        .to.be.revertedWithCustomError(registry, "RegistryVoterUnchanged")
        .withArgs(WHOLESALER, true);
      await registry.connect(regulator).suspendParty(LOGISTICS);
      await expect(registry.checkVoterChange(LOGISTICS, true))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(LOGISTICS, PartyStatus.Suspended);
      await registry.connect(regulator).suspendParty(WHOLESALER); // A = 3, R = 1
      await expect(registry.checkVoterChange(MAKER, false))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(MAKER, 2n, 3n);
      await registry.checkVoterChange(WHOLESALER, false);
    });
  });

  describe("suspendedVoterCount", function () {
    it("counts voting parties whose status is Suspended", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      expect(await registry.suspendedVoterCount()).to.equal(0n);
      await registry.connect(regulator).suspendParty(LOGISTICS); // not a voter
      expect(await registry.suspendedVoterCount()).to.equal(0n);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      expect(await registry.suspendedVoterCount()).to.equal(1n);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      expect(await registry.suspendedVoterCount()).to.equal(0n);
    });
  });

  describe("checkAdmission", function () {
    it("accepts an admission that admitParty would accept", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      await registry.checkAdmission(admission());
      await registry.checkAdmission(admission({ licences: [] }));
      await registry.checkAdmission(
        admission({ licences: [grant(LicenceKind.MedicalInstitution, { issuer: 0n }), grant(LicenceKind.Notarial, { issuer: 8n })] }),
      );
    });

    it("needs no governor and no particular caller", async function () {
      const { registry, signers } = await loadFixture(registryWithoutGovernor);
      await registry.connect(signers[5]).checkAdmission(admission({ licences: [] }));
      await expect(registry.checkAdmission(admission()))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(REGULATOR);
    });

    const cases: [string, (c: Ctx) => Admission, string, (c: Ctx, now: bigint) => unknown[]][] = [
      ["the name is empty", () => admission({ name: "" }), "RegistryEmptyName", () => []],
      ["the domain is None", () => admission({ domain: Domain.None }), "RegistryInvalidDomain", () => [Domain.None]],
      ["the admin is the zero address", () => admission({ admin: ethers.ZeroAddress }), "RegistryZeroAddress", () => []],
      [
        "the admin is an active member",
        (c) => admission({ admin: c.wholesaler.address }),
        "RegistryAccountTaken",
        (c) => [c.wholesaler.address, WHOLESALER],
      ],
      [
        "a licence kind is None",
        () => admission({ licences: [grant(LicenceKind.None)] }),
        "RegistryInvalidLicenceKind",
        () => [LicenceKind.None],
      ],
      [
        "a licence expires at the current block",
        () => admission({ licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: 0n })] }),
        "RegistryLicenceExpiryInPast",
        (_c, now) => [0n, now],
      ],
      [
        "a licence's issuer is not a party",
        () => admission({ licences: [grant(LicenceKind.MedicalInstitution, { issuer: UNKNOWN })] }),
        "RegistryUnknownParty",
        () => [UNKNOWN],
      ],
      [
        "two licences have the same kind",
        () => admission({ licences: [grant(LicenceKind.Notarial), grant(LicenceKind.Notarial)] }),
        "RegistryDuplicateLicence",
        () => [LicenceKind.Notarial],
      ],
    ];
    for (const [title, build, error, args] of cases) {
      it(`reverts when ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        // eth_call runs on the latest block's timestamp.
        const now = BigInt(await time.latest());
        await expect(c.registry.checkAdmission(build(c)))
          .to.be.revertedWithCustomError(c.registry, error)
          .withArgs(...args(c, now));
        // admitParty refuses it with the same error.
        const next = BigInt(await time.latest()) + 10n;
        await time.setNextBlockTimestamp(next);
        await expect(c.registry.connect(c.gov).admitParty(build(c)))
          .to.be.revertedWithCustomError(c.registry, error)
          .withArgs(...args(c, next));
      });
    }

    it("reverts when a licence expires exactly now", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      const now = BigInt(await time.latest());
      await expect(registry.checkAdmission(admission({ licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: now })] })))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpiryInPast")
        .withArgs(now, now);
      await registry.checkAdmission(admission({ licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: now + 1n })] }));
    });

    it("reverts when the admin was rotated out", async function () {
      const { registry, maker, makerOperator, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).rotateMember(MAKER, makerOperator.address, spare[0].address);
      await expect(registry.checkAdmission(admission({ admin: makerOperator.address })))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerOperator.address, MAKER);
    });
  });

  describe("setPartyStatus", function () {
    it("reverts when it would leave no active voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended);
      await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(1n);
      await expect(registry.connect(gov).setPartyStatus(REGULATOR, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryLastActiveVoter")
        .withArgs(REGULATOR);
      await expect(registry.connect(gov).setVoter(REGULATOR, false))
        .to.be.revertedWithCustomError(registry, "RegistryLastActiveVoter")
        .withArgs(REGULATOR);
      // A suspended voter may leave the voting set; the counts follow.
      await expect(registry.connect(gov).setVoter(WHOLESALER, false))
        .to.emit(registry, "VoterChanged")
        .withArgs(WHOLESALER, false, 1n);
      expect(await registry.suspendedVoterCount()).to.equal(1n); // MAKER
    });

    it("reverts when the active voters left could not reach the threshold (the regulator's own suspensions count)", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      // Issue 12's deadlock: the regulator suspends party 3 alone (A = 3, R = 1, n = 4); a
      // governance suspension of party 2 would leave 2 active voters facing threshold 3 for ever.
      await registry.connect(regulator).suspendParty(WHOLESALER);
      for (const status of [PartyStatus.Suspended, PartyStatus.Revoked]) {
        await expect(registry.connect(gov).setPartyStatus(MAKER, status))
          .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
          .withArgs(MAKER, 2n, 3n);
      }
      expect((await partyOf(registry, MAKER)).status).to.equal(PartyStatus.Active);
      expect(await registry.activeVoterCount()).to.equal(3n);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
      // A non-voter is not counted, and a suspended voter leaves nothing active: both allowed.
      await expect(registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Suspended)).to.emit(registry, "PartyStatusChanged");
      await expect(registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(WHOLESALER, PartyStatus.Suspended, PartyStatus.Revoked, gov.address);
      // With R = 0 again, n = 3 and party 2 may go: 2 active voters for n = 2, threshold 2.
      await expect(registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(MAKER, PartyStatus.Active, PartyStatus.Suspended, gov.address);
      expect(await registry.activeVoterCount()).to.equal(2n);
    });

    it("allows an active voter to leave when exactly the threshold stays active", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setVoter(LOGISTICS, true); // A = 5
      await registry.connect(regulator).suspendParty(WHOLESALER); // A = 4, R = 1
      // A − 1 = 3 active for n = 3 + 1 = 4: threshold 3, reached.
      await expect(registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Revoked))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(MAKER, PartyStatus.Active, PartyStatus.Revoked, gov.address);
      expect(await registry.activeVoterCount()).to.equal(3n);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
      // One more would leave 2 for n = 3.
      await expect(registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(HOSPITAL, 2n, 3n);
      // Reinstating the regulator's suspension is never refused, and frees a place.
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active); // A = 4, R = 0
      await expect(registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Suspended)).to.emit(registry, "PartyStatusChanged");
    });

    it("suspends an active voter and takes it out of the voter count", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(MAKER, PartyStatus.Active, PartyStatus.Suspended, gov.address);
      expect((await partyOf(registry, MAKER)).status).to.equal(PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(3n);
      expect(await registry.isVoter(MAKER)).to.equal(true);
      expect(await registry.isPartyActive(MAKER)).to.equal(false);
    });

    it("reinstates a suspended voter and counts it again", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      await expect(registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Active))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(MAKER, PartyStatus.Suspended, PartyStatus.Active, gov.address);
      expect((await partyOf(registry, MAKER)).status).to.equal(PartyStatus.Active);
      expect(await registry.activeVoterCount()).to.equal(4n);
      expect(await registry.isPartyActive(MAKER)).to.equal(true);
    });

    it("revokes an active voter and takes it out of the voter count", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(HOSPITAL, PartyStatus.Active, PartyStatus.Revoked, gov.address);
      expect((await partyOf(registry, HOSPITAL)).status).to.equal(PartyStatus.Revoked);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    it("revokes a suspended voter without counting it twice", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Suspended);
      await expect(registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(HOSPITAL, PartyStatus.Suspended, PartyStatus.Revoked, gov.address);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    it("leaves the voter count alone for a non-voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(4n);
      await registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Active);
      expect(await registry.activeVoterCount()).to.equal(4n);
      await registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Revoked);
      expect(await registry.activeVoterCount()).to.equal(4n);
    });

    it("may suspend and revoke the regulator", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setPartyStatus(REGULATOR, PartyStatus.Suspended))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(REGULATOR, PartyStatus.Active, PartyStatus.Suspended, gov.address);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    itRejectsCallers(notGovernorCases, (c, s) => c.registry.connect(s).setPartyStatus(WHOLESALER, PartyStatus.Suspended));

    it("reverts when no governor is bound", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(deployer).setPartyStatus(1n, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorNotSet")
        .withArgs();
    });

    it("reverts when the party is unknown", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setPartyStatus(UNKNOWN, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
      await expect(registry.connect(gov).setPartyStatus(0n, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(0n);
    });

    const invalid: [string, number[], number][] = [
      ["an active party is activated", [], PartyStatus.Active],
      ["an active party is set to None", [], PartyStatus.None],
      ["a suspended party is suspended", [PartyStatus.Suspended], PartyStatus.Suspended],
      ["a suspended party is set to None", [PartyStatus.Suspended], PartyStatus.None],
      ["a revoked party is reinstated", [PartyStatus.Revoked], PartyStatus.Active],
      ["a revoked party is suspended", [PartyStatus.Revoked], PartyStatus.Suspended],
      ["a revoked party is revoked", [PartyStatus.Revoked], PartyStatus.Revoked],
      ["a revoked party is set to None", [PartyStatus.Revoked], PartyStatus.None],
    ];
    for (const [title, path, requested] of invalid) {
      it(`reverts when ${title}`, async function () {
        const { registry, gov } = await loadFixture(consortiumWithMembers);
        for (const step of path) await registry.connect(gov).setPartyStatus(MAKER, step);
        const current = path.length === 0 ? PartyStatus.Active : path[path.length - 1];
        const voters = await registry.activeVoterCount();
        await expect(registry.connect(gov).setPartyStatus(MAKER, requested))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
          .withArgs(MAKER, current, requested);
        expect(await registry.activeVoterCount()).to.equal(voters);
      });
    }

    it("reverts without reason when the status is out of range (the ABI decoder rejects it)", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setPartyStatus(MAKER, 4)).to.be.revertedWithoutReason(ethers);
    });
  });

  describe("setVoter", function () {
    it("adds an active party to the voting set", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setVoter(LOGISTICS, true))
        .to.emit(registry, "VoterChanged")
        .withArgs(LOGISTICS, true, 5n);
      expect(await registry.isVoter(LOGISTICS)).to.equal(true);
      expect((await partyOf(registry, LOGISTICS)).voter).to.equal(true);
      expect(await registry.activeVoterCount()).to.equal(5n);
    });

    it("removes an active party from the voting set", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setVoter(MAKER, false)).to.emit(registry, "VoterChanged").withArgs(MAKER, false, 3n);
      expect(await registry.isVoter(MAKER)).to.equal(false);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    it("reverts when unseating an active voter would leave the active voters short of the threshold", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER); // A = 3, R = 1
      await expect(registry.connect(gov).setVoter(MAKER, false))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(MAKER, 2n, 3n);
      expect(await registry.isVoter(MAKER)).to.equal(true);
      expect(await registry.activeVoterCount()).to.equal(3n);
      // Unseating the suspended voter clears the regulator's count (n = 3); then party 2 may go.
      await expect(registry.connect(gov).setVoter(WHOLESALER, false)).to.emit(registry, "VoterChanged").withArgs(WHOLESALER, false, 3n);
      await expect(registry.connect(gov).setVoter(MAKER, false)).to.emit(registry, "VoterChanged").withArgs(MAKER, false, 2n);
      expect(await registry.thresholdVoterCount()).to.equal(2n);
    });

    it("removes a suspended voter without moving the count, and it stays uncounted when reinstated", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(3n);
      await expect(registry.connect(gov).setVoter(MAKER, false)).to.emit(registry, "VoterChanged").withArgs(MAKER, false, 3n);
      expect(await registry.activeVoterCount()).to.equal(3n);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Active);
      expect(await registry.activeVoterCount()).to.equal(3n);
      expect(await registry.isVoter(MAKER)).to.equal(false);
    });

    it("removes a revoked voter without moving the count", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Revoked);
      await expect(registry.connect(gov).setVoter(MAKER, false)).to.emit(registry, "VoterChanged").withArgs(MAKER, false, 3n);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    it("counts a new voter when it is later suspended and reinstated", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setVoter(PHARMACY, true);
      await registry.connect(gov).setPartyStatus(PHARMACY, PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(4n);
      await registry.connect(gov).setPartyStatus(PHARMACY, PartyStatus.Active);
      expect(await registry.activeVoterCount()).to.equal(5n);
    });

    itRejectsCallers(notGovernorCases, (c, s) => c.registry.connect(s).setVoter(LOGISTICS, true));

    it("reverts when no governor is bound", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(deployer).setVoter(1n, true))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorNotSet")
        .withArgs();
    });

    it("reverts when the party is unknown", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setVoter(UNKNOWN, true))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the party already is a voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setVoter(MAKER, true))
        .to.be.revertedWithCustomError(registry, "RegistryVoterUnchanged")
        .withArgs(MAKER, true);
    });

    it("reverts when the party already is not a voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).setVoter(LOGISTICS, false))
        .to.be.revertedWithCustomError(registry, "RegistryVoterUnchanged")
        .withArgs(LOGISTICS, false);
    });

    it("reverts when a suspended voter is made a voter again (unchanged before inactive)", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      await expect(registry.connect(gov).setVoter(MAKER, true))
        .to.be.revertedWithCustomError(registry, "RegistryVoterUnchanged")
        .withArgs(MAKER, true);
    });

    it("reverts when a suspended party is made a voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Suspended);
      await expect(registry.connect(gov).setVoter(LOGISTICS, true))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(LOGISTICS, PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(4n);
    });

    it("reverts when a revoked party is made a voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Revoked);
      await expect(registry.connect(gov).setVoter(LOGISTICS, true))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(LOGISTICS, PartyStatus.Revoked);
    });
  });

  describe("suspendParty", function () {
    it("lets a regulator keep at most f = ⌊(A+R−1)/3⌋ voters suspended on its own", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      // A = 4 active voters, R = 0 suspended by the regulator: f = 1.
      await registry.connect(regulator).suspendParty(WHOLESALER);
      expect(await registry.suspendedVoterCount()).to.equal(1n);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
      await expect(registry.connect(regulator).suspendParty(HOSPITAL))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(HOSPITAL, 1n, 1n);
      // Non-voters are not limited.
      await registry.connect(regulator).suspendParty(LOGISTICS);
      // The governor is not held to f, but it may not leave the active voters short of the
      // threshold either: A − 1 = 2 active for n = 2 + 1, threshold 3.
      await expect(registry.connect(gov).suspendParty(HOSPITAL))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(HOSPITAL, 2n, 3n);
      expect(await registry.activeVoterCount()).to.equal(3n);
      expect(await registry.suspendedVoterCount()).to.equal(1n);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
    });

    it("lets the governor suspend more voters than the regulator's f, while the active voters can reach the threshold", async function () {
      const { registry, admins, governor } = await loadFixture(sevenVoters);
      const gov = await impersonate(await governor.getAddress());
      await registry.connect(admins[0]).suspendParty(7n); // A = 6, R = 1
      // Three governance suspensions: after each, the active voters are the threshold of n = A + 1.
      for (const [party, active] of [[6n, 5n], [5n, 4n], [4n, 3n]] as const) {
        await expect(registry.connect(gov).suspendParty(party))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(party, PartyStatus.Active, PartyStatus.Suspended, gov.address);
        expect(await registry.activeVoterCount()).to.equal(active);
        expect(await registry.thresholdVoterCount()).to.equal(active + 1n);
      }
      // A fourth would leave 2 active voters for n = 3 (threshold 3).
      await expect(registry.connect(gov).suspendParty(3n))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(3n, 2n, 3n);
      expect(await registry.suspendedVoterCount()).to.equal(4n);
    });

    it("bounds the regulator by its own limit first, which keeps the active voters at the threshold", async function () {
      const { registry, admins, governor } = await loadFixture(sevenVoters);
      const gov = await impersonate(await governor.getAddress());
      // A = 7, R = 0 → the regulator's two suspensions (f = 2): A = 5 for n = 7, threshold 5.
      await registry.connect(admins[0]).suspendParty(7n);
      await registry.connect(admins[0]).suspendParty(6n);
      expect(await registry.activeVoterCount()).to.equal(5n);
      expect(await registry.activeVoterCount()).to.equal(await governor.currentThreshold());
      // A third would leave 4 active for n = 7: refused by the limit (it is checked first).
      await expect(registry.connect(admins[0]).suspendParty(5n))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(5n, 2n, 2n);
      // Governance cannot take an active voter out either: 4 active for n = 6, threshold 5.
      await expect(registry.connect(gov).suspendParty(5n))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(5n, 4n, 5n);
      // Once it reinstates one of them, both may act again.
      await registry.connect(gov).setPartyStatus(6n, PartyStatus.Active); // A = 6, R = 1
      await expect(registry.connect(gov).suspendParty(5n)).to.emit(registry, "PartyStatusChanged"); // A = 5, n = 6
      expect(await registry.activeVoterCount()).to.equal(await governor.currentThreshold());
    });

    it("counts its own suspensions in n, so that 3 of 10 voters is its limit (issue 12, attack 12)", async function () {
      const { registry, admins } = await loadFixture(tenVoters);
      for (const party of [10n, 9n, 8n]) await registry.connect(admins[0]).suspendParty(party);
      expect(await registry.activeVoterCount()).to.equal(7n);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(3n);
      expect(await registry.thresholdVoterCount()).to.equal(10n);
      await expect(registry.connect(admins[0]).suspendParty(7n))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(7n, 3n, 3n);
      expect((await partyOf(registry, 7n)).status).to.equal(PartyStatus.Active);
    });

    it("has a lower limit after governance suspended voters (they leave n)", async function () {
      const { registry, admins, governor } = await loadFixture(sevenVoters);
      const gov = await impersonate(await governor.getAddress());
      await registry.connect(admins[0]).suspendParty(7n); // A = 6, R = 1: limit 2
      await registry.connect(gov).setPartyStatus(6n, PartyStatus.Suspended); // A = 5, R = 1: limit 1
      await expect(registry.connect(admins[0]).suspendParty(5n))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(5n, 1n, 1n);
    });

    it("frees a place under the limit when a suspended voter is reinstated", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      await expect(registry.connect(regulator).suspendParty(HOSPITAL))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(HOSPITAL, PartyStatus.Active, PartyStatus.Suspended, regulator.address);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
    });

    it("takes a revoked voter out of n, which lowers the limit", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked);
      // A = 3, R = 0: f = 0, so the regulator may not suspend a voter alone any more.
      await expect(registry.connect(regulator).suspendParty(HOSPITAL))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(HOSPITAL, 0n, 0n);
      expect(await registry.suspendedVoterCount()).to.equal(0n);
    });

    it("lets the regulator's admin suspend a voter at once", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).suspendParty(WHOLESALER))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(WHOLESALER, PartyStatus.Active, PartyStatus.Suspended, regulator.address);
      expect((await partyOf(registry, WHOLESALER)).status).to.equal(PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(3n);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(false);
    });

    it("lets the regulator's operator suspend a non-voter", async function () {
      const { registry, regOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regOperator).suspendParty(LOGISTICS))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(LOGISTICS, PartyStatus.Active, PartyStatus.Suspended, regOperator.address);
      expect(await registry.activeVoterCount()).to.equal(4n);
    });

    it("lets the governor suspend, including the regulator", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).suspendParty(REGULATOR))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(REGULATOR, PartyStatus.Active, PartyStatus.Suspended, gov.address);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    it("pushes to the mirrors once its counts are written: a mirror reading them back during the push sees the final counts", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      const probe = (await ethers.deployContract("VoterCountsMirrorProbe", [await registry.getAddress()])) as unknown as VoterCountsMirrorProbe;
      await registry.connect(gov).attachMirror(await probe.getAddress());
      // The regulator alone suspends a voter: it leaves the active voters and stays in n
      // (active, suspended, suspended by the regulator, n, counted).
      const byRegulator = registry.connect(regulator).suspendParty(WHOLESALER);
      await expect(byRegulator).to.emit(probe, "CountsSeen").withArgs(WHOLESALER, PartyStatus.Suspended, 3n, 1n, 1n, 4n, true);
      await expect(byRegulator).not.to.emit(registry, "MirrorPushFailed");
      // Governance reinstates it (setPartyStatus), then suspends another voter (suspendParty): it leaves n.
      await expect(registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active))
        .to.emit(probe, "CountsSeen")
        .withArgs(WHOLESALER, PartyStatus.Active, 4n, 0n, 0n, 4n, true);
      const byGovernor = registry.connect(gov).suspendParty(HOSPITAL);
      await expect(byGovernor).to.emit(probe, "CountsSeen").withArgs(HOSPITAL, PartyStatus.Suspended, 3n, 1n, 0n, 3n, false);
      await expect(byGovernor).not.to.emit(registry, "MirrorPushFailed");
      expect((await probe.mirroredParty(HOSPITAL)).status).to.equal(BigInt(PartyStatus.Suspended));
    });

    it("leaves reinstatement to the governor", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await expect(registry.connect(regulator).setPartyStatus(WHOLESALER, PartyStatus.Active))
        .to.be.revertedWithCustomError(registry, "RegistryOnlyGovernor")
        .withArgs(regulator.address);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      expect(await registry.activeVoterCount()).to.equal(4n);
    });

    it("works before a governor is bound", async function () {
      const [deployer, regAdmin, makerAdmin] = await ethers.getSigners();
      const implementation = await ethers.deployContract("ConsortiumRegistry");
      const founders: Admission[] = [
        { name: "Regulator", domain: Domain.Regulator, admin: regAdmin.address, voter: true, licences: [] },
        { name: "Maker", domain: Domain.Manufacturer, admin: makerAdmin.address, voter: false, licences: [] },
      ];
      const proxy = await ethers.deployContract(
        "ERC1967Proxy",
        [await implementation.getAddress(), implementation.interface.encodeFunctionData("initialize", [founders])],
        deployer,
      );
      const registry = await ethers.getContractAt("ConsortiumRegistry", await proxy.getAddress());
      await expect(registry.connect(regAdmin).suspendParty(2n))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(2n, PartyStatus.Active, PartyStatus.Suspended, regAdmin.address);
      expect(await registry.activeVoterCount()).to.equal(1n);
    });

    itRejectsCallers(notRegulatorCases, (c, s) => c.registry.connect(s).suspendParty(WHOLESALER));

    it("reverts when the regulator suspends its own party", async function () {
      const { registry, regulator, regOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).suspendParty(REGULATOR))
        .to.be.revertedWithCustomError(registry, "RegistrySelfSuspension")
        .withArgs(REGULATOR);
      await expect(registry.connect(regOperator).suspendParty(REGULATOR))
        .to.be.revertedWithCustomError(registry, "RegistrySelfSuspension")
        .withArgs(REGULATOR);
    });

    it("reverts when the party is unknown", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).suspendParty(UNKNOWN))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
      await expect(registry.connect(regulator).suspendParty(0n))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(0n);
      await expect(registry.connect(gov).suspendParty(UNKNOWN))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the governor suspends party 0, which does not exist", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).suspendParty(0n))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(0n);
    });

    it("reverts when the party is already suspended", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await expect(registry.connect(regulator).suspendParty(WHOLESALER))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
        .withArgs(WHOLESALER, PartyStatus.Suspended, PartyStatus.Suspended);
      expect(await registry.activeVoterCount()).to.equal(3n);
    });

    it("reverts when the party is revoked", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked);
      await expect(registry.connect(regulator).suspendParty(WHOLESALER))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
        .withArgs(WHOLESALER, PartyStatus.Revoked, PartyStatus.Suspended);
    });
  });

  describe("reserveAccount", function () {
    it("lets the governor reserve an account until a time: AccountReserved and reservedUntil", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const until = BigInt(await time.latest()) + 3600n;
      await expect(registry.connect(gov).reserveAccount(fresh(1), until))
        .to.emit(registry, "AccountReserved")
        .withArgs(fresh(1), until);
      expect(await registry.reservedUntil(fresh(1))).to.equal(until);
      await expect(registry.connect(gov).reserveAccount(fresh(1), until + 60n))
        .to.emit(registry, "AccountReserved")
        .withArgs(fresh(1), until + 60n);
      expect(await registry.reservedUntil(fresh(1))).to.equal(until + 60n);
    });

    it("keeps the later of the existing and the new date, and AccountReserved carries the date in force", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const until = BigInt(await time.latest()) + 3600n;
      await registry.connect(gov).reserveAccount(fresh(1), until);
      // An earlier date (a later proposal with a shorter voting period) does not shorten it.
      for (const shorter of [until - 1n, 1n, 0n, until]) {
        await expect(registry.connect(gov).reserveAccount(fresh(1), shorter))
          .to.emit(registry, "AccountReserved")
          .withArgs(fresh(1), until);
        expect(await registry.reservedUntil(fresh(1))).to.equal(until);
      }
      // A reservation of one account leaves the others alone.
      expect(await registry.reservedUntil(fresh(2))).to.equal(0n);
      await expect(registry.connect(gov).reserveAccount(fresh(2), 5n)).to.emit(registry, "AccountReserved").withArgs(fresh(2), 5n);
      expect(await registry.reservedUntil(fresh(1))).to.equal(until);
    });

    it("still refuses addMember until the later date once the shorter reservation's date has passed", async function () {
      const { registry, gov, maker } = await loadFixture(consortiumWithMembers);
      const now = BigInt(await time.latest());
      const longer = now + 7200n;
      const shorter = now + 3600n;
      await registry.connect(gov).reserveAccount(fresh(1), longer);
      await registry.connect(gov).reserveAccount(fresh(1), shorter);
      await time.setNextBlockTimestamp(shorter);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(fresh(1), longer);
      await time.setNextBlockTimestamp(longer);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.Operator))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, fresh(1), Role.Operator, maker.address);
    });

    it("refuses addMember of the account before `until`, and allows it from `until` on", async function () {
      const { registry, gov, maker, wholesaler } = await loadFixture(consortiumWithMembers);
      const until = BigInt(await time.latest()) + 3600n;
      await registry.connect(gov).reserveAccount(fresh(1), until);
      for (const [caller, party] of [
        [maker, MAKER],
        [wholesaler, WHOLESALER],
      ] as const) {
        await expect(registry.connect(caller).addMember(party, fresh(1), Role.Operator))
          .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
          .withArgs(fresh(1), until);
      }
      // The reservation is checked before the role and the account's freshness.
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.None))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(fresh(1), until);
      await time.setNextBlockTimestamp(until - 1n);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(fresh(1), until);
      await time.setNextBlockTimestamp(until);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.Operator))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, fresh(1), Role.Operator, maker.address);
    });

    it("does not stop the admission itself", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const until = BigInt(await time.latest()) + 3600n;
      await registry.connect(gov).reserveAccount(fresh(1), until);
      await expect(registry.connect(gov).admitParty(admission({ admin: fresh(1) })))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(9n, Domain.Hospital, fresh(1), false, "Clinic");
    });

    it("is made by proposeAdmission until the proposal's expiry, and the proposal still executes", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const { registry, governor, maker, admins } = c;
      const tx = await governor.connect(admins[1]).proposeAdmission(admission({ admin: fresh(1) }));
      const { expiresAt } = await governor.getProposal(1n);
      await expect(tx).to.emit(registry, "AccountReserved").withArgs(fresh(1), expiresAt);
      expect(await registry.reservedUntil(fresh(1))).to.equal(expiresAt);
      // A hostile party admin cannot burn the account by enrolling it first.
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(fresh(1), expiresAt);
      await expect(registry.connect(maker).rotateMember(MAKER, c.makerDevice.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(fresh(1), expiresAt);
      // AdmitParty needs the regulator in this deployment: parties 1, 2, 3 pass it.
      await governor.connect(admins[0]).vote(1n);
      await governor.connect(admins[1]).vote(1n);
      await expect(governor.connect(admins[2]).vote(1n))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(9n, Domain.Hospital, fresh(1), false, "Clinic");
      expect(await memberOf(registry, fresh(1))).to.deep.equal({ partyId: 9n, role: Role.Admin, status: MemberStatus.Active });
    });

    it("lapses with the proposal: once it expired, the account may be enrolled and the admission never executes", async function () {
      const { registry, governor, maker, admins } = await loadFixture(consortiumWithMembers);
      await governor.connect(admins[1]).proposeAdmission(admission({ admin: fresh(1) }));
      const { expiresAt } = await governor.getProposal(1n);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.Operator))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, fresh(1), Role.Operator, maker.address);
      await expect(governor.connect(admins[0]).vote(1n))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExpired")
        .withArgs(1n, expiresAt);
    });

    itRejectsCallers(notGovernorCases, (c, s) => c.registry.connect(s).reserveAccount(fresh(1), LICENCE_EXPIRY));

    it("reverts when no governor is bound", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      await expect(registry.connect(deployer).reserveAccount(fresh(1), LICENCE_EXPIRY))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorNotSet")
        .withArgs();
      expect(await registry.reservedUntil(fresh(1))).to.equal(0n);
    });
  });

  describe("reservedUntil", function () {
    it("is 0 for an account never reserved", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      expect(await registry.reservedUntil(fresh(1))).to.equal(0n);
      expect(await registry.reservedUntil(maker.address)).to.equal(0n);
    });
  });

  describe("regulatorSuspendedVoterCount", function () {
    it("counts the active voters a regulator suspended on its own", async function () {
      const c = await loadFixture(tenVoters);
      const { registry, admins } = c;
      const regOperator = c.others[0];
      await registry.connect(admins[0]).addMember(REGULATOR, regOperator.address, Role.Operator);
      await registry.connect(admins[0]).suspendParty(10n);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
      await registry.connect(regOperator).suspendParty(9n); // an operator acts for the regulator too
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(2n);
      expect(await registry.suspendedVoterCount()).to.equal(2n);
      expect(await registry.activeVoterCount()).to.equal(8n);
    });

    it("does not count a non-voter the regulator suspends", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(LOGISTICS);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
    });

    it("does not count suspensions by governance (setPartyStatus or the governor's suspendParty)", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended);
      await registry.connect(gov).suspendParty(HOSPITAL);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.suspendedVoterCount()).to.equal(2n);
      expect(await registry.thresholdVoterCount()).to.equal(2n);
    });

    it("is cleared when the voter is reinstated", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
      // Suspended by governance next time: not counted.
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.thresholdVoterCount()).to.equal(3n);
    });

    it("is cleared when the suspended voter is revoked", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.thresholdVoterCount()).to.equal(3n);
    });

    it("is cleared when the suspended voter leaves the voters, and stays clear when it is reinstated", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setVoter(WHOLESALER, false);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.thresholdVoterCount()).to.equal(3n);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
      expect(await registry.thresholdVoterCount()).to.equal(3n);
    });

    it("counts a suspension made before the governor was bound (by the regulator, not governance)", async function () {
      const [deployer, regAdmin, makerAdmin, otherAdmin, fourthAdmin] = await ethers.getSigners();
      const implementation = await ethers.deployContract("ConsortiumRegistry");
      const founders: Admission[] = [regAdmin, makerAdmin, otherAdmin, fourthAdmin].map((s, i) => ({
        name: `Founder ${i + 1}`,
        domain: i === 0 ? Domain.Regulator : Domain.Manufacturer,
        admin: s.address,
        voter: true,
        licences: [],
      }));
      const proxy = await ethers.deployContract(
        "ERC1967Proxy",
        [await implementation.getAddress(), implementation.interface.encodeFunctionData("initialize", [founders])],
        deployer,
      );
      const registry = await ethers.getContractAt("ConsortiumRegistry", await proxy.getAddress());
      await registry.connect(regAdmin).suspendParty(4n);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(1n);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
    });
  });

  describe("thresholdVoterCount", function () {
    it("is activeVoterCount + regulatorSuspendedVoterCount through every kind of change", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      const steps: [string, () => Promise<unknown>, bigint, bigint][] = [
        ["a voter admitted", () => registry.connect(gov).admitParty(admission({ voter: true })), 5n, 0n],
        ["the regulator suspends a voter", () => registry.connect(regulator).suspendParty(MAKER), 4n, 1n],
        ["a voter joins", () => registry.connect(gov).setVoter(LOGISTICS, true), 5n, 1n],
        ["governance suspends a voter", () => registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended), 4n, 1n],
        ["the regulator's suspension is lifted", () => registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Active), 5n, 0n],
        ["governance's suspension is lifted", () => registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active), 6n, 0n],
        ["the regulator suspends again", () => registry.connect(regulator).suspendParty(HOSPITAL), 5n, 1n],
        ["that voter is revoked", () => registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked), 5n, 0n],
        ["a voter leaves", () => registry.connect(gov).setVoter(9n, false), 4n, 0n],
      ];
      expect(await registry.thresholdVoterCount()).to.equal(4n);
      for (const [title, step, active, byRegulator] of steps) {
        await step();
        expect(await registry.activeVoterCount(), title).to.equal(active);
        expect(await registry.regulatorSuspendedVoterCount(), title).to.equal(byRegulator);
        expect(await registry.thresholdVoterCount(), title).to.equal(active + byRegulator);
      }
    });
  });

  describe("grantLicence", function () {
    it("reverts when the party is revoked (revocation is final)", async function () {
      const c = await loadFixture(consortiumWithMembers);
      await revokeMaker(c);
      await expect(c.registry.connect(c.regulator).grantLicence(MAKER, grant(LicenceKind.GoodSupplyPractice)))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(MAKER, PartyStatus.Revoked);
    });

    it("renews a licence of a suspended party", async function () {
      const c = await loadFixture(consortiumWithMembers);
      await c.registry.connect(c.regulator).suspendParty(MAKER);
      await expect(c.registry.connect(c.regulator).grantLicence(MAKER, grant(LicenceKind.GoodSupplyPractice)))
        .to.emit(c.registry, "LicenceGranted");
    });

    it("lets the governor grant with the issuer as given", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice, { issuer: 0n, expiresAt: EARLIER_EXPIRY })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.GoodSupplyPractice, DOC2, 0n, EARLIER_EXPIRY, EARLIER_EXPIRY, gov.address);
      expect(await licenceOf(registry, WHOLESALER, LicenceKind.GoodSupplyPractice)).to.deep.equal({
        documentHash: DOC2,
        issuer: 0n,
        expiresAt: EARLIER_EXPIRY,
        revoked: false,
      });
      expect((await partyOf(registry, WHOLESALER)).licencesValidUntil).to.equal(EARLIER_EXPIRY);
    });

    it("lets the governor name another party as issuer", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice, { issuer: 8n })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.GoodSupplyPractice, DOC2, 8n, LICENCE_EXPIRY, LICENCE_EXPIRY, gov.address);
    });

    it("records the regulator's party as issuer, whatever the grant says", async function () {
      const { registry, regOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regOperator).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice, { issuer: UNKNOWN, expiresAt: LATER_EXPIRY })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.GoodSupplyPractice, DOC2, REGULATOR, LATER_EXPIRY, LICENCE_EXPIRY, regOperator.address);
      expect((await licenceOf(registry, WHOLESALER, LicenceKind.GoodSupplyPractice)).issuer).to.equal(REGULATOR);
    });

    it("renews a licence, moving the party's earliest expiry", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.Distribution, { expiresAt: LATER_EXPIRY })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.Distribution, DOC2, REGULATOR, LATER_EXPIRY, LATER_EXPIRY, regulator.address);
      expect((await partyOf(registry, WHOLESALER)).licencesValidUntil).to.equal(LATER_EXPIRY);
      expect((await licenceOf(registry, WHOLESALER, LicenceKind.Distribution)).documentHash).to.equal(DOC2);
    });

    it("lets a party act again once its expired licence is renewed", async function () {
      const { registry, regulator, wholesaler } = await loadFixture(consortiumWithMembers);
      await time.increaseTo(LICENCE_EXPIRY);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(false);
      await registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.Distribution, { expiresAt: LATER_EXPIRY }));
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(true);
      await expect(registry.connect(wholesaler).addMember(WHOLESALER, fresh(1), Role.Operator))
        .to.emit(registry, "MemberAdded")
        .withArgs(WHOLESALER, fresh(1), Role.Operator, wholesaler.address);
    });

    it("lets a party act again once its revoked licence is granted again", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution);
      expect((await partyOf(registry, WHOLESALER)).revokedLicences).to.equal(1);
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.Distribution)))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.Distribution, DOC2, REGULATOR, LICENCE_EXPIRY, LICENCE_EXPIRY, regulator.address);
      const party = await partyOf(registry, WHOLESALER);
      expect(party.revokedLicences).to.equal(0);
      expect(party.licencesValidUntil).to.equal(LICENCE_EXPIRY);
      expect((await licenceOf(registry, WHOLESALER, LicenceKind.Distribution)).revoked).to.equal(false);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(true);
    });

    it("keeps the earliest expiry when a later licence is added", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice, { expiresAt: LATER_EXPIRY })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.GoodSupplyPractice, DOC2, REGULATOR, LATER_EXPIRY, LICENCE_EXPIRY, regulator.address);
    });

    it("grants a licence that never expires (type(uint48).max): the party's earliest expiry stays unbounded", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      // Distribution is the wholesaler's only licence: renewed until the end of uint48 time.
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.Distribution, { expiresAt: NO_EXPIRY })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.Distribution, DOC2, REGULATOR, NO_EXPIRY, NO_EXPIRY, regulator.address);
      expect((await licenceOf(registry, WHOLESALER, LicenceKind.Distribution)).expiresAt).to.equal(NO_EXPIRY);
      const party = await partyOf(registry, WHOLESALER);
      expect([party.licencesValidUntil, party.revokedLicences]).to.deep.equal([NO_EXPIRY, 0]);
      await time.increaseTo(LATER_EXPIRY);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(true);
    });

    itRejectsCallers(notRegulatorCases, (c, s) => c.registry.connect(s).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice)));

    it("reverts when the party is unknown", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).grantLicence(UNKNOWN, grant(LicenceKind.GoodSupplyPractice)))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the kind is None", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.None)))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidLicenceKind")
        .withArgs(LicenceKind.None);
    });

    it("reverts without reason when the kind is out of range (the ABI decoder rejects it)", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(8))).to.be.revertedWithoutReason(ethers);
    });

    it("reverts when the expiry is not in the future", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      const now = BigInt(await time.latest()) + 100n;
      await time.setNextBlockTimestamp(now);
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.Distribution, { expiresAt: now })))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpiryInPast")
        .withArgs(now, now);
    });

    it("reverts when the governor names an issuer that is not a party", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).grantLicence(WHOLESALER, grant(LicenceKind.Distribution, { issuer: 9n })))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(9n);
    });
  });

  describe("revokeLicence", function () {
    it("reverts when the party is revoked (revocation is final)", async function () {
      const c = await loadFixture(consortiumWithMembers);
      await revokeMaker(c);
      await expect(c.registry.connect(c.regulator).revokeLicence(MAKER, LicenceKind.Manufacturing))
        .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
        .withArgs(MAKER, PartyStatus.Revoked);
    });

    it("lets the regulator revoke a licence, blocking the party", async function () {
      const { registry, regulator, wholesaler } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution))
        .to.emit(registry, "LicenceRevoked")
        .withArgs(WHOLESALER, LicenceKind.Distribution, NO_EXPIRY, regulator.address);
      expect(await licenceOf(registry, WHOLESALER, LicenceKind.Distribution)).to.deep.equal({
        documentHash: DOC,
        issuer: REGULATOR,
        expiresAt: LICENCE_EXPIRY,
        revoked: true,
      });
      const party = await partyOf(registry, WHOLESALER);
      expect(party.revokedLicences).to.equal(1);
      expect(party.licencesValidUntil).to.equal(NO_EXPIRY);
      expect(party.status).to.equal(PartyStatus.Active);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(false);
      await expect(registry.requireMember(wholesaler.address, ANY, ANY))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceRevoked")
        .withArgs(WHOLESALER, 1);
    });

    it("lets the governor revoke, and counts every revoked licence", async function () {
      const { registry, gov, regOperator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regOperator).grantLicence(WHOLESALER, grant(LicenceKind.GoodSupplyPractice, { expiresAt: LATER_EXPIRY }));
      await registry.connect(regOperator).grantLicence(WHOLESALER, grant(LicenceKind.Manufacturing, { expiresAt: EARLIER_EXPIRY }));
      expect((await partyOf(registry, WHOLESALER)).licencesValidUntil).to.equal(EARLIER_EXPIRY);
      await expect(registry.connect(gov).revokeLicence(WHOLESALER, LicenceKind.Manufacturing))
        .to.emit(registry, "LicenceRevoked")
        .withArgs(WHOLESALER, LicenceKind.Manufacturing, LICENCE_EXPIRY, gov.address);
      await expect(registry.connect(gov).revokeLicence(WHOLESALER, LicenceKind.Distribution))
        .to.emit(registry, "LicenceRevoked")
        .withArgs(WHOLESALER, LicenceKind.Distribution, LATER_EXPIRY, gov.address);
      const party = await partyOf(registry, WHOLESALER);
      expect(party.revokedLicences).to.equal(2);
      expect(party.licencesValidUntil).to.equal(LATER_EXPIRY);
      await expect(registry.requireMember(party.admin, ANY, ANY))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceRevoked")
        .withArgs(WHOLESALER, 2);
    });

    it("keeps the earliest unrevoked expiry over all seven licence kinds, the last kind included, as they are revoked", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      const day = 24n * 3600n;
      // The wholesaler holds Distribution (LICENCE_EXPIRY); it gets every other kind, Notarial
      // (the last kind) the earliest of the later ones, Manufacturing (granted last) the earliest of all.
      const later: [number, bigint][] = [
        [LicenceKind.GoodManufacturingPractice, LATER_EXPIRY + 5n * day],
        [LicenceKind.GoodSupplyPractice, LATER_EXPIRY + 4n * day],
        [LicenceKind.MedicalInstitution, LATER_EXPIRY + 3n * day],
        [LicenceKind.LaboratoryAccreditation, LATER_EXPIRY + 2n * day],
        [LicenceKind.Notarial, LATER_EXPIRY + day],
      ];
      for (const [kind, expiresAt] of later) {
        await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(kind, { expiresAt })))
          .to.emit(registry, "LicenceGranted")
          .withArgs(WHOLESALER, kind, DOC2, REGULATOR, expiresAt, LICENCE_EXPIRY, regulator.address);
      }
      await expect(registry.connect(regulator).grantLicence(WHOLESALER, grant(LicenceKind.Manufacturing, { expiresAt: EARLIER_EXPIRY })))
        .to.emit(registry, "LicenceGranted")
        .withArgs(WHOLESALER, LicenceKind.Manufacturing, DOC2, REGULATOR, EARLIER_EXPIRY, EARLIER_EXPIRY, regulator.address);
      // Each revocation, with every kind held, moves the earliest expiry to the next unrevoked one.
      for (const [kind, validUntil, revoked] of [
        [LicenceKind.Manufacturing, LICENCE_EXPIRY, 1],
        [LicenceKind.Distribution, LATER_EXPIRY + day, 2],
        [LicenceKind.Notarial, LATER_EXPIRY + 2n * day, 3],
      ] as const) {
        await expect(registry.connect(regulator).revokeLicence(WHOLESALER, kind))
          .to.emit(registry, "LicenceRevoked")
          .withArgs(WHOLESALER, kind, validUntil, regulator.address);
        const party = await partyOf(registry, WHOLESALER);
        expect([party.licencesValidUntil, party.revokedLicences]).to.deep.equal([validUntil, revoked]);
      }
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(false);
    });

    it("may revoke an expired licence", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await time.increaseTo(LICENCE_EXPIRY + 1n);
      await expect(registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution))
        .to.emit(registry, "LicenceRevoked")
        .withArgs(WHOLESALER, LicenceKind.Distribution, NO_EXPIRY, regulator.address);
    });

    it("leaves the voter count alone", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).revokeLicence(MAKER, LicenceKind.Manufacturing);
      expect(await registry.activeVoterCount()).to.equal(4n);
      expect(await registry.isVoter(MAKER)).to.equal(true);
    });

    itRejectsCallers(notRegulatorCases, (c, s) => c.registry.connect(s).revokeLicence(WHOLESALER, LicenceKind.Distribution));

    it("reverts when the party is unknown", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).revokeLicence(UNKNOWN, LicenceKind.Distribution))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the licence was never granted", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Manufacturing))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownLicence")
        .withArgs(WHOLESALER, LicenceKind.Manufacturing);
      await expect(registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.None))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownLicence")
        .withArgs(WHOLESALER, LicenceKind.None);
    });

    it("reverts when the licence is already revoked", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution);
      await expect(registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownLicence")
        .withArgs(WHOLESALER, LicenceKind.Distribution);
      expect((await partyOf(registry, WHOLESALER)).revokedLicences).to.equal(1);
    });
  });

  describe("addMember", function () {
    for (const [name, role] of [
      ["Admin", Role.Admin],
      ["Operator", Role.Operator],
      ["QA", Role.QA],
      ["Device", Role.Device],
    ] as const) {
      it(`enrols an account as ${name}`, async function () {
        const { registry, maker } = await loadFixture(consortiumWithMembers);
        await expect(registry.connect(maker).addMember(MAKER, fresh(1), role))
          .to.emit(registry, "MemberAdded")
          .withArgs(MAKER, fresh(1), role, maker.address);
        expect(await memberOf(registry, fresh(1))).to.deep.equal({ partyId: MAKER, role, status: MemberStatus.Active });
        const [allowed, partyId] = await registry.isAuthorized(fresh(1), mask(role), mask(Domain.Manufacturer));
        expect([allowed, partyId]).to.deep.equal([true, MAKER]);
      });
    }

    it("lets a secondary admin enrol, and the new admin enrol in turn", async function () {
      const { registry, maker, makerAdmin2, spare } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(makerAdmin2).addMember(MAKER, spare[0].address, Role.Admin))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, spare[0].address, Role.Admin, makerAdmin2.address);
      await expect(registry.connect(spare[0]).addMember(MAKER, fresh(1), Role.QA))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, fresh(1), Role.QA, spare[0].address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(maker.address);
    });

    itRejectsCallers(notMakerAdminCases, (c, s) => c.registry.connect(s).addMember(MAKER, fresh(1), Role.Operator));

    it("reverts when the party is unknown", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).addMember(UNKNOWN, fresh(1), Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the role is None", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), Role.None))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidRole")
        .withArgs(Role.None);
    });

    it("reverts without reason when the role is out of range (the ABI decoder rejects it)", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).addMember(MAKER, fresh(1), 5)).to.be.revertedWithoutReason(ethers);
    });

    it("reverts when the account is the zero address", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).addMember(MAKER, ethers.ZeroAddress, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryZeroAddress")
        .withArgs();
    });

    it("reverts when the account already is a member of the party", async function () {
      const { registry, maker, makerQa } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).addMember(MAKER, makerQa.address, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerQa.address, MAKER);
      expect((await memberOf(registry, makerQa.address)).role).to.equal(Role.QA);
    });

    it("reverts when the account is a member of another party", async function () {
      const { registry, maker, wholesaler } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).addMember(MAKER, wholesaler.address, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(wholesaler.address, WHOLESALER);
    });

    it("reverts when the account was removed", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).removeMember(MAKER, makerOperator.address);
      await expect(registry.connect(maker).addMember(MAKER, makerOperator.address, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerOperator.address, MAKER);
    });

    it("reverts when the account was rotated out, even in another party", async function () {
      const { registry, maker, wholesaler, makerOperator, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).rotateMember(MAKER, makerOperator.address, spare[0].address);
      await expect(registry.connect(wholesaler).addMember(WHOLESALER, makerOperator.address, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerOperator.address, MAKER);
    });
  });

  describe("removeMember", function () {
    it("removes a member, who can no longer act", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).removeMember(MAKER, makerOperator.address))
        .to.emit(registry, "MemberRemoved")
        .withArgs(MAKER, makerOperator.address, maker.address);
      expect(await memberOf(registry, makerOperator.address)).to.deep.equal({
        partyId: MAKER,
        role: Role.Operator,
        status: MemberStatus.Removed,
      });
      await expect(registry.requireMember(makerOperator.address, ANY, ANY))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(makerOperator.address);
      const [allowed, partyId] = await registry.isAuthorized(makerOperator.address, ANY, ANY);
      expect([allowed, partyId]).to.deep.equal([false, MAKER]);
    });

    it("lets a secondary admin remove another secondary admin, and itself", async function () {
      const { registry, maker, makerAdmin2, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).addMember(MAKER, spare[0].address, Role.Admin);
      await expect(registry.connect(makerAdmin2).removeMember(MAKER, spare[0].address))
        .to.emit(registry, "MemberRemoved")
        .withArgs(MAKER, spare[0].address, makerAdmin2.address);
      await expect(registry.connect(makerAdmin2).removeMember(MAKER, makerAdmin2.address))
        .to.emit(registry, "MemberRemoved")
        .withArgs(MAKER, makerAdmin2.address, makerAdmin2.address);
      await expect(registry.connect(makerAdmin2).addMember(MAKER, fresh(1), Role.QA))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyAdmin")
        .withArgs(MAKER, makerAdmin2.address);
    });

    itRejectsCallers(notMakerAdminCases, (c, s) => c.registry.connect(s).removeMember(MAKER, c.makerOperator.address));

    it("reverts when the party is unknown", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).removeMember(UNKNOWN, makerOperator.address))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the account is the party's primary admin", async function () {
      const { registry, maker, makerAdmin2 } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(makerAdmin2).removeMember(MAKER, maker.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRemoval")
        .withArgs(MAKER, maker.address);
      await expect(registry.connect(maker).removeMember(MAKER, maker.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRemoval")
        .withArgs(MAKER, maker.address);
      expect((await memberOf(registry, maker.address)).status).to.equal(MemberStatus.Active);
    });

    it("reverts when the account is a member of another party", async function () {
      const { registry, maker, wholesaler } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).removeMember(MAKER, wholesaler.address))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, wholesaler.address);
      expect((await memberOf(registry, wholesaler.address)).status).to.equal(MemberStatus.Active);
    });

    it("reverts when the account never was a member", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).removeMember(MAKER, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, fresh(1));
    });

    it("reverts when the account is already removed", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).removeMember(MAKER, makerOperator.address);
      await expect(registry.connect(maker).removeMember(MAKER, makerOperator.address))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, makerOperator.address);
    });

    it("reverts when the account was rotated out", async function () {
      const { registry, maker, makerOperator, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).rotateMember(MAKER, makerOperator.address, spare[0].address);
      await expect(registry.connect(maker).removeMember(MAKER, makerOperator.address))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, makerOperator.address);
      expect((await memberOf(registry, makerOperator.address)).status).to.equal(MemberStatus.Rotated);
    });
  });

  describe("rotateMember", function () {
    it("moves a member's role to a new key and retires the old one", async function () {
      const { registry, maker, makerQa, spare } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).rotateMember(MAKER, makerQa.address, spare[0].address))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, makerQa.address, spare[0].address, maker.address);
      expect(await memberOf(registry, spare[0].address)).to.deep.equal({
        partyId: MAKER,
        role: Role.QA,
        status: MemberStatus.Active,
      });
      expect(await memberOf(registry, makerQa.address)).to.deep.equal({
        partyId: MAKER,
        role: Role.QA,
        status: MemberStatus.Rotated,
      });
      const [partyId, domain] = await registry.requireMember(spare[0].address, mask(Role.QA), mask(Domain.Manufacturer));
      expect([partyId, domain]).to.deep.equal([MAKER, BigInt(Domain.Manufacturer)]);
      await expect(registry.requireMember(makerQa.address, ANY, ANY))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(makerQa.address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(maker.address);
    });

    it("moves the primary admin when the primary admin's key is rotated", async function () {
      const { registry, maker, spare } = await loadFixture(consortiumWithMembers);
      const [next] = spare;
      await expect(registry.connect(maker).rotateMember(MAKER, maker.address, next.address))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, maker.address, next.address, maker.address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(next.address);
      expect(await memberOf(registry, next.address)).to.deep.equal({ partyId: MAKER, role: Role.Admin, status: MemberStatus.Active });
      // The new key administers the party, and is protected as primary admin.
      await expect(registry.connect(next).addMember(MAKER, fresh(1), Role.Device))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, fresh(1), Role.Device, next.address);
      await expect(registry.connect(next).removeMember(MAKER, next.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRemoval")
        .withArgs(MAKER, next.address);
      // The old key can do nothing.
      await expect(registry.connect(maker).addMember(MAKER, fresh(2), Role.Device))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyAdmin")
        .withArgs(MAKER, maker.address);
    });

    it("keeps the primary admin when a secondary admin's key is rotated", async function () {
      const { registry, maker, makerAdmin2, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(makerAdmin2).rotateMember(MAKER, makerAdmin2.address, spare[0].address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(maker.address);
      expect(await memberOf(registry, spare[0].address)).to.deep.equal({ partyId: MAKER, role: Role.Admin, status: MemberStatus.Active });
      await expect(registry.connect(maker).removeMember(MAKER, spare[0].address))
        .to.emit(registry, "MemberRemoved")
        .withArgs(MAKER, spare[0].address, maker.address);
    });

    it("never lets an old key be reused", async function () {
      const { registry, gov, maker, wholesaler, makerOperator, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).rotateMember(MAKER, maker.address, spare[0].address);
      await registry.connect(spare[0]).rotateMember(MAKER, makerOperator.address, spare[1].address);
      for (const old of [maker.address, makerOperator.address]) {
        await expect(registry.connect(spare[0]).addMember(MAKER, old, Role.Operator))
          .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
          .withArgs(old, MAKER);
        await expect(registry.connect(wholesaler).addMember(WHOLESALER, old, Role.Operator))
          .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
          .withArgs(old, MAKER);
        await expect(registry.connect(spare[0]).rotateMember(MAKER, spare[1].address, old))
          .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
          .withArgs(old, MAKER);
        await expect(registry.connect(gov).admitParty(admission({ admin: old })))
          .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
          .withArgs(old, MAKER);
      }
    });

    it("leaves the voter count and the party untouched", async function () {
      const { registry, maker, spare } = await loadFixture(consortiumWithMembers);
      const before = await partyOf(registry, MAKER);
      await registry.connect(maker).rotateMember(MAKER, maker.address, spare[0].address);
      expect(await registry.activeVoterCount()).to.equal(4n);
      expect(await partyOf(registry, MAKER)).to.deep.equal({ ...before, admin: spare[0].address });
    });

    itRejectsCallers(notMakerRotatorCases, (c, s) => c.registry.connect(s).rotateMember(MAKER, c.makerOperator.address, fresh(1)));

    it("reverts when a secondary admin rotates the primary admin's key", async function () {
      const { registry, maker, makerAdmin2 } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(makerAdmin2).rotateMember(MAKER, maker.address, makerAdmin2.address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRotation")
        .withArgs(MAKER, makerAdmin2.address);
      await expect(registry.connect(makerAdmin2).rotateMember(MAKER, maker.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRotation")
        .withArgs(MAKER, makerAdmin2.address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(maker.address);
      expect(await memberOf(registry, maker.address)).to.deep.equal({ partyId: MAKER, role: Role.Admin, status: MemberStatus.Active });
      expect(await memberOf(registry, fresh(1))).to.deep.equal({ partyId: 0n, role: Role.None, status: MemberStatus.None });
    });

    it("protects a rotated primary key the same way: only that key, or the governor, rotates it again", async function () {
      const { registry, maker, makerAdmin2, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).rotateMember(MAKER, maker.address, spare[0].address);
      await expect(registry.connect(makerAdmin2).rotateMember(MAKER, spare[0].address, spare[1].address))
        .to.be.revertedWithCustomError(registry, "RegistryPrimaryAdminRotation")
        .withArgs(MAKER, makerAdmin2.address);
      await expect(registry.connect(spare[0]).rotateMember(MAKER, spare[0].address, spare[1].address))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, spare[0].address, spare[1].address, spare[0].address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(spare[1].address);
    });

    it("lets the governor rotate any member's key, the primary admin's included (a lost key)", async function () {
      const { registry, gov, maker, makerQa, spare } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).rotateMember(MAKER, maker.address, spare[0].address))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, maker.address, spare[0].address, gov.address);
      expect((await partyOf(registry, MAKER)).admin).to.equal(spare[0].address);
      expect(await memberOf(registry, maker.address)).to.deep.equal({ partyId: MAKER, role: Role.Admin, status: MemberStatus.Rotated });
      await expect(registry.connect(gov).rotateMember(MAKER, makerQa.address, spare[1].address))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, makerQa.address, spare[1].address, gov.address);
      expect(await memberOf(registry, spare[1].address)).to.deep.equal({ partyId: MAKER, role: Role.QA, status: MemberStatus.Active });
      // The new primary key administers the party.
      await expect(registry.connect(spare[0]).addMember(MAKER, fresh(1), Role.Device))
        .to.emit(registry, "MemberAdded")
        .withArgs(MAKER, fresh(1), Role.Device, spare[0].address);
    });

    it("lets the governor rotate a key of a party that cannot act (its standing is not checked)", async function () {
      const { registry, gov, maker, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Suspended);
      await expect(registry.connect(gov).rotateMember(MAKER, maker.address, spare[0].address))
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, maker.address, spare[0].address, gov.address);
    });

    it("rotates a lost primary key through a Call proposal voted by the consortium", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const { registry, governor, maker, spare } = c;
      const tx = await passCall(c, registry.interface.encodeFunctionData("rotateMember", [MAKER, maker.address, spare[0].address]));
      await expect(tx)
        .to.emit(registry, "MemberRotated")
        .withArgs(MAKER, maker.address, spare[0].address, await governor.getAddress());
      expect((await partyOf(registry, MAKER)).admin).to.equal(spare[0].address);
    });

    it("rotates a regulator's key through a Call proposal only with the regulator's approval", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const { registry, governor, admins, regulator, regOperator, spare } = c;
      const data = registry.interface.encodeFunctionData("rotateMember", [REGULATOR, regOperator.address, spare[0].address]);
      await governor.connect(admins[1]).proposeCall(registry, data);
      const id = await governor.proposalCount();
      expect((await governor.getProposal(id)).regulatorRequired).to.equal(true);
      for (const voter of [admins[1], admins[2], admins[3]]) {
        await expect(governor.connect(voter).vote(id)).not.to.emit(registry, "MemberRotated");
      }
      expect((await memberOf(registry, regOperator.address)).status).to.equal(MemberStatus.Active);
      await expect(governor.connect(regulator).vote(id))
        .to.emit(registry, "MemberRotated")
        .withArgs(REGULATOR, regOperator.address, spare[0].address, await governor.getAddress());
      expect((await memberOf(registry, spare[0].address)).role).to.equal(Role.Operator);
    });

    it("reverts when the governor names an unknown party or a key that is not the party's", async function () {
      const { registry, gov, maker, wholesaler } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(gov).rotateMember(UNKNOWN, maker.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
      await expect(registry.connect(gov).rotateMember(MAKER, wholesaler.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, wholesaler.address);
      await expect(registry.connect(gov).rotateMember(MAKER, maker.address, wholesaler.address))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(wholesaler.address, WHOLESALER);
    });

    it("reverts when the new key is reserved for a pending admission, whoever rotates", async function () {
      const { registry, gov, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      const until = BigInt(await time.latest()) + 3600n;
      await registry.connect(gov).reserveAccount(fresh(1), until);
      for (const caller of [maker, gov]) {
        await expect(registry.connect(caller).rotateMember(MAKER, makerOperator.address, fresh(1)))
          .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
          .withArgs(fresh(1), until);
      }
      await expect(registry.connect(maker).rotateMember(MAKER, maker.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(fresh(1), until);
      expect((await memberOf(registry, makerOperator.address)).status).to.equal(MemberStatus.Active);
    });

    it("reverts when the party is unknown", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).rotateMember(UNKNOWN, makerOperator.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    it("reverts when the new key is the zero address", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).rotateMember(MAKER, makerOperator.address, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "RegistryZeroAddress")
        .withArgs();
    });

    it("reverts when the new key is the old key", async function () {
      const { registry, maker, makerOperator } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).rotateMember(MAKER, makerOperator.address, makerOperator.address))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerOperator.address, MAKER);
      expect((await memberOf(registry, makerOperator.address)).status).to.equal(MemberStatus.Active);
    });

    it("reverts when the new key is a member of another party", async function () {
      const { registry, maker, makerOperator, wholesaler } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).rotateMember(MAKER, makerOperator.address, wholesaler.address))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(wholesaler.address, WHOLESALER);
    });

    it("reverts when the new key was removed", async function () {
      const { registry, maker, makerOperator, makerDevice } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).removeMember(MAKER, makerDevice.address);
      await expect(registry.connect(maker).rotateMember(MAKER, makerOperator.address, makerDevice.address))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(makerDevice.address, MAKER);
    });

    it("reverts when the old key is not a member of the party", async function () {
      const { registry, maker, wholesaler } = await loadFixture(consortiumWithMembers);
      await expect(registry.connect(maker).rotateMember(MAKER, wholesaler.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, wholesaler.address);
      await expect(registry.connect(maker).rotateMember(MAKER, fresh(2), fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, fresh(2));
    });

    it("reverts when the old key was removed or already rotated", async function () {
      const { registry, maker, makerOperator, makerDevice, spare } = await loadFixture(consortiumWithMembers);
      await registry.connect(maker).removeMember(MAKER, makerDevice.address);
      await registry.connect(maker).rotateMember(MAKER, makerOperator.address, spare[0].address);
      await expect(registry.connect(maker).rotateMember(MAKER, makerDevice.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, makerDevice.address);
      await expect(registry.connect(maker).rotateMember(MAKER, makerOperator.address, fresh(1)))
        .to.be.revertedWithCustomError(registry, "RegistryNotPartyMember")
        .withArgs(MAKER, makerOperator.address);
    });
  });

  describe("requireMember", function () {
    it("returns the party and domain of an allowed member", async function () {
      const { registry, admins, makerDevice } = await loadFixture(consortiumWithMembers);
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
      for (let i = 0; i < domains.length; ++i) {
        const [partyId, domain] = await registry.requireMember(admins[i].address, mask(Role.Admin), mask(domains[i]));
        expect([partyId, domain]).to.deep.equal([BigInt(i + 1), BigInt(domains[i])]);
      }
      const [partyId, domain] = await registry.requireMember(
        makerDevice.address,
        mask(Role.Device, Role.QA),
        mask(Domain.Manufacturer, Domain.Laboratory),
      );
      expect([partyId, domain]).to.deep.equal([MAKER, BigInt(Domain.Manufacturer)]);
    });

    it("accepts until the last second before the earliest licence expiry", async function () {
      const { registry, maker } = await loadFixture(consortiumWithMembers);
      await time.increaseTo(LICENCE_EXPIRY - 1n);
      const [partyId] = await registry.requireMember(maker.address, ANY, ANY);
      expect(partyId).to.equal(MAKER);
      await networkHelpers.mine();
      await expect(registry.requireMember(maker.address, ANY, ANY))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpired")
        .withArgs(MAKER, LICENCE_EXPIRY);
    });

    for (const [title, setup, error, args] of requireMemberFailures) {
      it(`reverts when ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const [account, roleMask, domainMask] = await setup(c);
        await expect(c.registry.requireMember(account, roleMask, domainMask))
          .to.be.revertedWithCustomError(c.registry, error)
          .withArgs(...args(c));
      });
    }
  });

  describe("isAuthorized", function () {
    it("answers true with the party of an allowed member", async function () {
      const { registry, makerQa, regOperator } = await loadFixture(consortiumWithMembers);
      const [allowed, partyId] = await registry.isAuthorized(makerQa.address, mask(Role.QA), mask(Domain.Manufacturer));
      expect([allowed, partyId]).to.deep.equal([true, MAKER]);
      const [allowed2, partyId2] = await registry.isAuthorized(regOperator.address, ANY, ANY);
      expect([allowed2, partyId2]).to.deep.equal([true, REGULATOR]);
    });

    it("answers false with party 0 for an account that never was a member", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      const [allowed, partyId] = await registry.isAuthorized(fresh(1), ANY, ANY);
      expect([allowed, partyId]).to.deep.equal([false, 0n]);
    });

    for (const [title, setup] of requireMemberFailures) {
      if (title === "the account never was a member") continue;
      it(`answers false with the account's party when ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const [account, roleMask, domainMask] = await setup(c);
        const [allowed, partyId] = await c.registry.isAuthorized(account, roleMask, domainMask);
        expect([allowed, partyId]).to.deep.equal([false, MAKER]);
        // The same account passes with everything allowed unless its record or party blocks it.
        const [allowedAny] = await c.registry.isAuthorized(account, ANY, ANY);
        const reverted = await c.registry.requireMember(account, ANY, ANY).then(
          () => false,
          () => true,
        );
        expect(allowedAny).to.equal(!reverted);
      });
    }
  });

  describe("isPartyActive", function () {
    it("answers true for every founding party", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      for (let id = 1n; id <= 8n; ++id) expect(await registry.isPartyActive(id)).to.equal(true);
    });

    const cases: [string, (c: Ctx) => Promise<bigint>][] = [
      ["the party is unknown", async () => UNKNOWN],
      ["the party id is 0", async () => 0n],
      [
        "the party is suspended",
        async (c) => {
          await c.registry.connect(c.regulator).suspendParty(MAKER);
          return MAKER;
        },
      ],
      [
        "the party is revoked",
        async (c) => {
          await c.registry.connect(c.gov).setPartyStatus(MAKER, PartyStatus.Revoked);
          return MAKER;
        },
      ],
      [
        "a licence is revoked",
        async (c) => {
          await revokeMakerLicence(c);
          return MAKER;
        },
      ],
      [
        "a licence expired",
        async () => {
          await time.increaseTo(LICENCE_EXPIRY);
          return MAKER;
        },
      ],
    ];
    for (const [title, setup] of cases) {
      it(`answers false when ${title}`, async function () {
        const c = await loadFixture(consortiumWithMembers);
        const partyId = await setup(c);
        expect(await c.registry.isPartyActive(partyId)).to.equal(false);
      });
    }

    it("answers true until the expiry second, false from it", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      await time.increaseTo(LICENCE_EXPIRY - 1n);
      expect(await registry.isPartyActive(MAKER)).to.equal(true);
      await networkHelpers.mine();
      expect(await registry.isPartyActive(MAKER)).to.equal(false);
      // The regulator holds no licence and never expires.
      expect(await registry.isPartyActive(REGULATOR)).to.equal(true);
    });
  });

  describe("upgradeToAndCall", function () {
    it("lets the governor upgrade, keeping every record", async function () {
      const { registry, batchRegistry, gov, maker, regulator, makerOperator, spare } = await loadFixture(consortiumWithMembers);
      const probe = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      // Some history worth keeping.
      await registry.connect(maker).rotateMember(MAKER, makerOperator.address, spare[0].address);
      await registry.connect(regulator).suspendParty(HOSPITAL);
      await registry.connect(regulator).revokeLicence(LOGISTICS, LicenceKind.GoodSupplyPractice);
      await registry.connect(gov).setVoter(PHARMACY, true);

      const proxyAddress = await registry.getAddress();
      const snapshot = async () => ({
        governor: await registry.governor(),
        partyCount: await registry.partyCount(),
        activeVoterCount: await registry.activeVoterCount(),
        parties: await Promise.all([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n].map((id) => partyOf(registry, id))),
        members: await Promise.all([maker, makerOperator, spare[0]].map((s) => memberOf(registry, s.address))),
        licences: await Promise.all(STANDARD_LICENCES.map(([id, kind]) => licenceOf(registry, id, kind))),
        mirrors: await registry.mirrors(),
      });
      const before = await snapshot();
      expect(before.mirrors).to.deep.equal([await batchRegistry.getAddress(), await probe.getAddress()]);
      const previous = await implementationOf(proxyAddress);

      const next = await ethers.deployContract("ConsortiumRegistry");
      const nextAddress = await next.getAddress();
      expect(nextAddress).not.to.equal(previous);
      await expect(registry.connect(gov).upgradeToAndCall(nextAddress, "0x"))
        .to.emit(registry, "Upgraded")
        .withArgs(nextAddress);
      expect(await implementationOf(proxyAddress)).to.equal(nextAddress);
      expect(await snapshot()).to.deep.equal(before);

      // And it still works, pushing to the mirrors attached before the upgrade.
      const tx = registry.connect(maker).addMember(MAKER, fresh(1), Role.QA);
      await expect(tx).to.emit(registry, "MemberAdded").withArgs(MAKER, fresh(1), Role.QA, maker.address);
      for (const mirror of [batchRegistry, probe]) {
        await expect(tx).to.emit(mirror, "MemberMirrored").withArgs(fresh(1), MAKER, Role.QA, MemberStatus.Active);
      }
    });

    itRejectsCallers(notGovernorCases, async (c, s) => {
      const next = await ethers.deployContract("ConsortiumRegistry");
      return c.registry.connect(s).upgradeToAndCall(await next.getAddress(), "0x");
    });

    it("reverts when no governor is bound", async function () {
      const { registry, deployer } = await loadFixture(registryWithoutGovernor);
      const next = await ethers.deployContract("ConsortiumRegistry");
      await expect(registry.connect(deployer).upgradeToAndCall(await next.getAddress(), "0x"))
        .to.be.revertedWithCustomError(registry, "RegistryGovernorNotSet")
        .withArgs();
    });

    it("reverts when the upgrade call tries to initialise again", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      const next = await ethers.deployContract("ConsortiumRegistry");
      const previous = await implementationOf(await registry.getAddress());
      await expect(registry.connect(gov).upgradeToAndCall(await next.getAddress(), registry.interface.encodeFunctionData("initialize", [[]])))
        .to.be.revertedWithCustomError(registry, "InvalidInitialization")
        .withArgs();
      expect(await implementationOf(await registry.getAddress())).to.equal(previous);
    });

    it("reverts when called on the implementation directly", async function () {
      const { implementation } = await loadFixture(registryWithoutGovernor);
      const next = await ethers.deployContract("ConsortiumRegistry");
      await expect(implementation.upgradeToAndCall(await next.getAddress(), "0x"))
        .to.be.revertedWithCustomError(implementation, "UUPSUnauthorizedCallContext")
        .withArgs();
    });
  });

  describe("proxiableUUID", function () {
    it("answers the ERC-1967 implementation slot on the implementation", async function () {
      const { implementation } = await loadFixture(registryWithoutGovernor);
      expect(await implementation.proxiableUUID()).to.equal(IMPLEMENTATION_SLOT);
    });

    it("reverts when called through the proxy", async function () {
      const { registry } = await loadFixture(registryWithoutGovernor);
      await expect(registry.proxiableUUID()).to.be.revertedWithCustomError(registry, "UUPSUnauthorizedCallContext").withArgs();
    });
  });

  describe("UPGRADE_INTERFACE_VERSION", function () {
    it("is 5.0.0", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      expect(await registry.UPGRADE_INTERFACE_VERSION()).to.equal("5.0.0");
    });
  });

  describe("governor", function () {
    it("answers the bound governor, or zero before binding", async function () {
      const { registry, governor } = await loadFixture(consortiumWithMembers);
      expect(await registry.governor()).to.equal(await governor.getAddress());
      const unbound = await loadFixture(registryWithoutGovernor);
      expect(await unbound.registry.governor()).to.equal(ethers.ZeroAddress);
    });
  });

  describe("partyCount", function () {
    it("counts every party ever admitted, revoked ones included", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      expect(await registry.partyCount()).to.equal(8n);
      await registry.connect(gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      expect(await registry.partyCount()).to.equal(8n);
      await registry.connect(gov).admitParty(admission());
      expect(await registry.partyCount()).to.equal(9n);
      const unbound = await loadFixture(registryWithoutGovernor);
      expect(await unbound.registry.partyCount()).to.equal(0n);
    });
  });

  describe("activeVoterCount", function () {
    it("tracks admissions, suspensions, reinstatements, revocations and voter changes", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      const steps: [() => Promise<unknown>, bigint][] = [
        [() => registry.connect(gov).admitParty(admission({ voter: true })), 5n],
        [() => registry.connect(regulator).suspendParty(MAKER), 4n],
        [() => registry.connect(gov).setVoter(LOGISTICS, true), 5n],
        [() => registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Active), 6n],
        [() => registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked), 5n],
        [() => registry.connect(gov).setVoter(9n, false), 4n],
        [() => registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Suspended), 3n],
        [() => registry.connect(gov).setPartyStatus(LOGISTICS, PartyStatus.Revoked), 3n],
      ];
      expect(await registry.activeVoterCount()).to.equal(4n);
      for (const [step, expected] of steps) {
        await step();
        expect(await registry.activeVoterCount()).to.equal(expected);
      }
      // The count equals the voters that are Active.
      let active = 0n;
      for (let id = 1n; id <= (await registry.partyCount()); ++id) {
        const p = await partyOf(registry, id);
        if (p.voter && p.status === PartyStatus.Active) ++active;
      }
      expect(active).to.equal(3n);
    });
  });

  describe("isVoter", function () {
    it("answers the voter flag, which a suspension keeps", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      expect(await registry.isVoter(MAKER)).to.equal(true);
      expect(await registry.isVoter(LOGISTICS)).to.equal(false);
      expect(await registry.isVoter(UNKNOWN)).to.equal(false);
      await registry.connect(regulator).suspendParty(MAKER);
      expect(await registry.isVoter(MAKER)).to.equal(true);
    });
  });

  describe("countedVoter", function () {
    /** `countedVoter(partyId)` as a plain pair. */
    const counted = async (registry: ConsortiumRegistry, partyId: bigint): Promise<[boolean, number]> => {
      const [isCounted, domain] = await registry.countedVoter(partyId);
      return [isCounted, Number(domain)];
    };

    it("counts an active voter and answers its domain", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      expect(await counted(registry, REGULATOR)).to.deep.equal([true, Domain.Regulator]);
      expect(await counted(registry, MAKER)).to.deep.equal([true, Domain.Manufacturer]);
      expect(await counted(registry, WHOLESALER)).to.deep.equal([true, Domain.Wholesaler]);
      expect(await counted(registry, HOSPITAL)).to.deep.equal([true, Domain.Hospital]);
    });

    it("counts a voter a regulator suspended on its own: it stays in n", async function () {
      const { registry, regOperator } = await loadFixture(consortiumWithMembers);
      // The regulator's operator acts for it, as its admin does.
      await registry.connect(regOperator).suspendParty(WHOLESALER);
      expect(await counted(registry, WHOLESALER)).to.deep.equal([true, Domain.Wholesaler]);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(false);
      expect(await registry.thresholdVoterCount()).to.equal(4n);
    });

    it("does not count a voter governance suspended (setPartyStatus, or the governor's suspendParty): it left n", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended);
      await registry.connect(gov).suspendParty(HOSPITAL);
      expect(await counted(registry, WHOLESALER)).to.deep.equal([false, Domain.Wholesaler]);
      expect(await counted(registry, HOSPITAL)).to.deep.equal([false, Domain.Hospital]);
      expect(await registry.thresholdVoterCount()).to.equal(2n);
    });

    it("does not count a party that does not vote, active or suspended", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      expect(await counted(registry, LOGISTICS)).to.deep.equal([false, Domain.Logistics]);
      await registry.connect(regulator).suspendParty(LOGISTICS);
      expect(await counted(registry, LOGISTICS)).to.deep.equal([false, Domain.Logistics]);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(0n);
    });

    it("does not count a revoked voter, even one the regulator had suspended first", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(HOSPITAL);
      await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked);
      expect(await counted(registry, HOSPITAL)).to.deep.equal([false, Domain.Hospital]);
      expect(await registry.isVoter(HOSPITAL)).to.equal(true);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Revoked);
      expect(await counted(registry, WHOLESALER)).to.deep.equal([false, Domain.Wholesaler]);
      expect(await registry.thresholdVoterCount()).to.equal(2n);
    });

    it("does not count a party removed from the voters, even one the regulator had suspended, nor after its reinstatement", async function () {
      const { registry, regulator, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).suspendParty(HOSPITAL);
      await registry.connect(gov).setVoter(HOSPITAL, false);
      expect(await counted(registry, HOSPITAL)).to.deep.equal([false, Domain.Hospital]);
      await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Active);
      expect(await counted(registry, HOSPITAL)).to.deep.equal([false, Domain.Hospital]);
      await registry.connect(gov).setVoter(MAKER, false);
      expect(await counted(registry, MAKER)).to.deep.equal([false, Domain.Manufacturer]);
      expect(await registry.thresholdVoterCount()).to.equal(2n);
    });

    it("counts a party again once it is back in the set: reinstated, or made a voter", async function () {
      const { registry, gov } = await loadFixture(consortiumWithMembers);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      expect(await counted(registry, WHOLESALER)).to.deep.equal([true, Domain.Wholesaler]);
      await registry.connect(gov).setVoter(LOGISTICS, true);
      expect(await counted(registry, LOGISTICS)).to.deep.equal([true, Domain.Logistics]);
    });

    it("counts a voter whose licence was revoked or lapsed: that blocks its vote, not its place in n", async function () {
      const { registry, regulator } = await loadFixture(consortiumWithMembers);
      await registry.connect(regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution);
      expect(await registry.isPartyActive(WHOLESALER)).to.equal(false);
      expect(await counted(registry, WHOLESALER)).to.deep.equal([true, Domain.Wholesaler]);
      await time.increaseTo(LICENCE_EXPIRY);
      expect(await registry.isPartyActive(MAKER)).to.equal(false);
      expect(await counted(registry, MAKER)).to.deep.equal([true, Domain.Manufacturer]);
    });

    it("answers (false, None) for party 0 and an unknown party, without reverting", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      expect(await counted(registry, 0n)).to.deep.equal([false, Domain.None]);
      expect(await counted(registry, UNKNOWN)).to.deep.equal([false, Domain.None]);
    });

    it("counts exactly the thresholdVoterCount parties through every kind of change", async function () {
      const { registry, gov, regulator } = await loadFixture(consortiumWithMembers);
      const countedParties = async (): Promise<bigint> => {
        let n = 0n;
        for (let id = 1n; id <= (await registry.partyCount()); ++id) if ((await registry.countedVoter(id))[0]) ++n;
        return n;
      };
      const steps: [string, () => Promise<unknown>][] = [
        ["a voter admitted", () => registry.connect(gov).admitParty(admission({ voter: true }))],
        ["the regulator suspends a voter", () => registry.connect(regulator).suspendParty(MAKER)],
        ["a voter joins", () => registry.connect(gov).setVoter(LOGISTICS, true)],
        ["governance suspends a voter", () => registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Suspended)],
        ["the regulator's suspension is lifted", () => registry.connect(gov).setPartyStatus(MAKER, PartyStatus.Active)],
        ["the regulator suspends again", () => registry.connect(regulator).suspendParty(HOSPITAL)],
        ["that voter is revoked", () => registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked)],
        ["a voter leaves", () => registry.connect(gov).setVoter(9n, false)],
      ];
      expect(await countedParties()).to.equal(await registry.thresholdVoterCount());
      for (const [title, step] of steps) {
        await step();
        expect(await countedParties(), title).to.equal(await registry.thresholdVoterCount());
      }
    });
  });

  describe("getParty", function () {
    it("answers the stored party", async function () {
      const { registry, admins } = await loadFixture(consortiumWithMembers);
      expect(await partyOf(registry, REGULATOR)).to.deep.equal({
        domain: Domain.Regulator,
        status: PartyStatus.Active,
        voter: true,
        licencesValidUntil: NO_EXPIRY,
        revokedLicences: 0,
        admin: admins[0].address,
        name: "Regulator",
      });
      expect(await partyOf(registry, 8n)).to.deep.equal({
        domain: Domain.Notary,
        status: PartyStatus.Active,
        voter: false,
        licencesValidUntil: LICENCE_EXPIRY,
        revokedLicences: 0,
        admin: admins[7].address,
        name: "Notary",
      });
    });

    it("reverts when the party is unknown", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      await expect(registry.getParty(UNKNOWN)).to.be.revertedWithCustomError(registry, "RegistryUnknownParty").withArgs(UNKNOWN);
      await expect(registry.getParty(0n)).to.be.revertedWithCustomError(registry, "RegistryUnknownParty").withArgs(0n);
      await expect(registry.getParty(9n)).to.be.revertedWithCustomError(registry, "RegistryUnknownParty").withArgs(9n);
    });
  });

  describe("getMember", function () {
    it("answers the stored member, or zeroes for a stranger", async function () {
      const { registry, admins, regDevice, deployer } = await loadFixture(consortiumWithMembers);
      expect(await memberOf(registry, admins[6].address)).to.deep.equal({ partyId: 7n, role: Role.Admin, status: MemberStatus.Active });
      expect(await memberOf(registry, regDevice.address)).to.deep.equal({
        partyId: REGULATOR,
        role: Role.Device,
        status: MemberStatus.Active,
      });
      expect(await memberOf(registry, deployer.address)).to.deep.equal({ partyId: 0n, role: Role.None, status: MemberStatus.None });
    });
  });

  describe("getLicence", function () {
    it("answers the stored licence, or zeroes when never granted", async function () {
      const { registry } = await loadFixture(consortiumWithMembers);
      for (const [id, kind] of STANDARD_LICENCES) {
        expect(await licenceOf(registry, id, kind)).to.deep.equal({
          documentHash: DOC,
          issuer: REGULATOR,
          expiresAt: LICENCE_EXPIRY,
          revoked: false,
        });
      }
      expect(await licenceOf(registry, MAKER, LicenceKind.Distribution)).to.deep.equal({
        documentHash: ethers.ZeroHash,
        issuer: 0n,
        expiresAt: 0n,
        revoked: false,
      });
      expect(await licenceOf(registry, UNKNOWN, LicenceKind.Manufacturing)).to.deep.equal({
        documentHash: ethers.ZeroHash,
        issuer: 0n,
        expiresAt: 0n,
        revoked: false,
      });
    });
  });

  describe("event log", function () {
    it("rebuilds parties, members, licences, the voter counts, mirrors and reservations from the logs alone", async function () {
      const c = await loadFixture(consortiumWithMembers);
      const { registry, gov, regulator, regOperator, maker, makerAdmin2, makerOperator, makerDevice, spare } = c;
      // A history touching every kind of write.
      const probe = await deployProbe(registry);
      const second = await deployProbe(registry);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      await registry.connect(gov).attachMirror(await second.getAddress());
      await registry.connect(gov).detachMirror(await probe.getAddress());
      await registry.connect(gov).reserveAccount(fresh(5), LATER_EXPIRY);
      await registry.connect(gov).reserveAccount(fresh(5), EARLIER_EXPIRY); // keeps LATER_EXPIRY, and says so
      await registry.connect(gov).admitParty(admission({ voter: true, licences: [grant(LicenceKind.MedicalInstitution, { expiresAt: LATER_EXPIRY })] }));
      await registry.connect(maker).rotateMember(MAKER, maker.address, spare[0].address);
      await registry.connect(makerAdmin2).removeMember(MAKER, makerDevice.address);
      await registry.connect(spare[0]).rotateMember(MAKER, makerOperator.address, spare[1].address);
      await registry.connect(regulator).suspendParty(WHOLESALER);
      await registry.connect(gov).setPartyStatus(WHOLESALER, PartyStatus.Active);
      await registry.connect(regOperator).suspendParty(HOSPITAL);
      await registry.connect(gov).setPartyStatus(HOSPITAL, PartyStatus.Revoked);
      await registry.connect(regulator).suspendParty(9n); // stays suspended by the regulator alone
      await registry.connect(gov).setVoter(LOGISTICS, true);
      await registry.connect(gov).setVoter(MAKER, false);
      await registry.connect(regOperator).grantLicence(PHARMACY, grant(LicenceKind.GoodSupplyPractice, { expiresAt: EARLIER_EXPIRY }));
      await registry.connect(regulator).revokeLicence(PHARMACY, LicenceKind.Distribution);
      await registry.connect(gov).grantLicence(7n, grant(LicenceKind.LaboratoryAccreditation, { issuer: 0n, expiresAt: LATER_EXPIRY }));

      const parties = new Map<bigint, PartyView>();
      const members = new Map<string, MemberView>();
      const licences = new Map<string, LicenceView>();
      const mirrors: string[] = [];
      const reserved = new Map<string, bigint>();
      /** Voters suspended by a regulator's member rather than the governor: they stay in the threshold's n. */
      const byRegulator = new Set<bigint>();
      const governorAddress = await c.governor.getAddress();
      let voters = 0n;
      const logs = await ethers.provider.getLogs({ address: await registry.getAddress(), fromBlock: 0 });
      for (const log of logs) {
        const parsed = registry.interface.parseLog(log);
        if (parsed === null) continue;
        const a = parsed.args;
        switch (parsed.name) {
          case "MirrorAttached":
            mirrors.push(a.mirror as string);
            break;
          case "MirrorDetached": {
            // The last mirror takes the detached one's place.
            const i = mirrors.indexOf(a.mirror as string);
            mirrors[i] = mirrors[mirrors.length - 1];
            mirrors.pop();
            break;
          }
          case "AccountReserved":
            reserved.set(a.account as string, a.until as bigint);
            break;
          case "PartyAdmitted":
            parties.set(a.partyId as bigint, {
              domain: Number(a.domain),
              status: PartyStatus.Active,
              voter: a.voter as boolean,
              licencesValidUntil: NO_EXPIRY,
              revokedLicences: 0,
              admin: a.admin as string,
              name: a.name as string,
            });
            break;
          case "PartyStatusChanged": {
            const p = parties.get(a.partyId as bigint)!;
            expect(p.status).to.equal(Number(a.previous));
            p.status = Number(a.status);
            if (p.status === PartyStatus.Suspended && p.voter && a.actor !== governorAddress) byRegulator.add(a.partyId as bigint);
            if (Number(a.previous) === PartyStatus.Suspended) byRegulator.delete(a.partyId as bigint);
            break;
          }
          case "VoterChanged":
            parties.get(a.partyId as bigint)!.voter = a.voter as boolean;
            if (!(a.voter as boolean)) byRegulator.delete(a.partyId as bigint);
            voters = a.activeVoters as bigint;
            break;
          case "LicenceGranted":
            licences.set(`${a.partyId}/${a.kind}`, {
              documentHash: a.documentHash as string,
              issuer: a.issuer as bigint,
              expiresAt: a.expiresAt as bigint,
              revoked: false,
            });
            parties.get(a.partyId as bigint)!.licencesValidUntil = a.licencesValidUntil as bigint;
            break;
          case "LicenceRevoked":
            licences.get(`${a.partyId}/${a.kind}`)!.revoked = true;
            parties.get(a.partyId as bigint)!.licencesValidUntil = a.licencesValidUntil as bigint;
            break;
          case "MemberAdded":
            members.set(a.account as string, { partyId: a.partyId as bigint, role: Number(a.role), status: MemberStatus.Active });
            break;
          case "MemberRemoved":
            members.get(a.account as string)!.status = MemberStatus.Removed;
            break;
          case "MemberRotated": {
            const old = members.get(a.previous as string)!;
            old.status = MemberStatus.Rotated;
            members.set(a.account as string, { partyId: a.partyId as bigint, role: old.role, status: MemberStatus.Active });
            const p = parties.get(a.partyId as bigint)!;
            if (p.admin === a.previous) p.admin = a.account as string;
            break;
          }
        }
      }
      // revokedLicences follows from the licences; the voter count from flags and statuses.
      for (const [key, l] of licences) {
        if (l.revoked) parties.get(BigInt(key.split("/")[0]))!.revokedLicences += 1;
      }
      let counted = 0n;
      for (const p of parties.values()) if (p.voter && p.status === PartyStatus.Active) ++counted;

      expect(BigInt(parties.size)).to.equal(await registry.partyCount());
      for (const [id, p] of parties) expect(await partyOf(registry, id)).to.deep.equal(p);
      expect(members.size).to.equal(8 + 7 + 1 + 2);
      for (const [account, m] of members) expect(await memberOf(registry, account)).to.deep.equal(m);
      for (const [key, l] of licences) {
        const [id, kind] = key.split("/");
        expect(await licenceOf(registry, BigInt(id), Number(kind))).to.deep.equal(l);
      }
      expect(counted).to.equal(await registry.activeVoterCount());
      expect(mirrors).to.deep.equal(await registry.mirrors());
      expect(mirrors).to.deep.equal([await c.batchRegistry.getAddress(), await second.getAddress()]);
      expect(voters).to.equal(counted); // the last VoterChanged came after the last status change
      expect([...byRegulator]).to.deep.equal([9n]);
      expect(BigInt(byRegulator.size)).to.equal(await registry.regulatorSuspendedVoterCount());
      expect(counted + BigInt(byRegulator.size)).to.equal(await registry.thresholdVoterCount());
      expect([...reserved]).to.deep.equal([[fresh(5), LATER_EXPIRY]]);
      for (const [account, until] of reserved) expect(await registry.reservedUntil(account)).to.equal(until);
    });
  });
});
