import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role } from "../../sdk/enums.js";
import type { ConsortiumRegistry } from "../../types/ethers-contracts/index.js";
import { type Consortium, DOC, LICENCE_EXPIRY, ethers, networkHelpers, standardConsortium } from "../helpers/fixtures.js";
import { erc7201, word } from "../helpers/storage.js";

// ==== LAYOUT ====

const coder = ethers.AbiCoder.defaultAbiCoder();

const NAMESPACE = "medstate.storage.ConsortiumRegistry";
/** The value hard-coded in ConsortiumRegistry._STORAGE_SLOT. */
const PINNED_SLOT = 0x9c2d31bf2902bc1c5fdef26cdb8dd6750a39af86ef64e6b797a178ae10835200n;
const BASE = erc7201(NAMESPACE);

const GOVERNOR_AND_COUNT = BASE; // governor (20 bytes) | partyCount (8 bytes)
const BOOTSTRAPPER = BASE + 1n;
const ACTIVE_VOTERS = BASE + 2n;
const PARTIES = BASE + 3n;
const MEMBERS = BASE + 4n;
const LICENCES = BASE + 5n;
const MIRRORS = BASE + 6n; // address[]: the length here, the entries from keccak256(MIRRORS) on
const REGULATOR_SUSPENDED_COUNT = BASE + 7n; // uint256
const REGULATOR_SUSPENDED = BASE + 8n; // mapping(uint64 partyId => bool)
const RESERVED_UNTIL = BASE + 9n; // mapping(address account => uint48 until)

/** ERC-1967 implementation slot: bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1). */
const IMPLEMENTATION_SLOT = BigInt(ethers.id("eip1967.proxy.implementation")) - 1n;
/** OpenZeppelin Initializable's namespace. */
const INITIALIZABLE_SLOT = erc7201("openzeppelin.storage.Initializable");

const NO_EXPIRY = 2n ** 48n - 1n;
const U64 = 2n ** 64n - 1n;
const U48 = 2n ** 48n - 1n;
const U160 = 2n ** 160n - 1n;

function mappingSlot(keyType: string, key: unknown, slot: bigint | string): bigint {
  return BigInt(ethers.keccak256(coder.encode([keyType, "uint256"], [key, slot])));
}

function partySlot(partyId: bigint): bigint {
  return mappingSlot("uint64", partyId, PARTIES);
}

function memberSlot(account: string): bigint {
  return mappingSlot("address", account, MEMBERS);
}

function regulatorSuspendedSlot(partyId: bigint): bigint {
  return mappingSlot("uint64", partyId, REGULATOR_SUSPENDED);
}

function reservedSlot(account: string): bigint {
  return mappingSlot("address", account, RESERVED_UNTIL);
}

function licenceSlot(partyId: bigint, kind: number): bigint {
  return mappingSlot("uint8", kind, mappingSlot("uint64", partyId, LICENCES));
}

function addressIn(value: bigint): string {
  return ethers.getAddress(ethers.toBeHex(value & U160, 20));
}

interface RawParty {
  domain: number;
  status: number;
  voter: number;
  licencesValidUntil: bigint;
  revokedLicences: number;
  admin: string;
  unused: bigint;
  name: string;
}

/** Decodes the packed party word and its short-string name (< 32 bytes) in the next slot. */
async function rawParty(address: string, partyId: bigint): Promise<RawParty> {
  const slot = partySlot(partyId);
  const w = await word(address, slot);
  const nameWord = await word(address, slot + 1n);
  expect(nameWord & 1n, "name stored inline (short string)").to.equal(0n);
  const length = Number((nameWord & 0xffn) / 2n);
  const bytes = ethers.getBytes(ethers.toBeHex(nameWord, 32)).slice(0, length);
  return {
    domain: Number(w & 0xffn),
    status: Number((w >> 8n) & 0xffn),
    voter: Number((w >> 16n) & 0xffn),
    licencesValidUntil: (w >> 24n) & U48,
    revokedLicences: Number((w >> 72n) & 0xffn),
    admin: addressIn(w >> 80n),
    unused: w >> 240n,
    name: ethers.toUtf8String(bytes),
  };
}

interface RawMember {
  partyId: bigint;
  role: number;
  status: number;
  unused: bigint;
}

async function rawMember(address: string, account: string): Promise<RawMember> {
  const w = await word(address, memberSlot(account));
  return {
    partyId: w & U64,
    role: Number((w >> 64n) & 0xffn),
    status: Number((w >> 72n) & 0xffn),
    unused: w >> 80n,
  };
}

interface RawLicence {
  documentHash: string;
  issuer: bigint;
  expiresAt: bigint;
  revoked: number;
  unused: bigint;
}

async function rawLicence(address: string, partyId: bigint, kind: number): Promise<RawLicence> {
  const slot = licenceSlot(partyId, kind);
  const hash = await ethers.provider.getStorage(address, slot);
  const w = await word(address, slot + 1n);
  return {
    documentHash: hash,
    issuer: w & U64,
    expiresAt: (w >> 64n) & U48,
    revoked: Number((w >> 112n) & 0xffn),
    unused: w >> 120n,
  };
}

// ==== FIXTURES ====

interface Layout extends Consortium {
  proxy: string;
  gov: HardhatEthersSigner;
}

/** The standard consortium with its governor impersonated. */
async function layoutConsortium(): Promise<Layout> {
  const base = await standardConsortium();
  const governorAddress = await base.governor.getAddress();
  await networkHelpers.impersonateAccount(governorAddress);
  await networkHelpers.setBalance(governorAddress, 10n ** 21n);
  return { ...base, proxy: await base.registry.getAddress(), gov: await ethers.getSigner(governorAddress) };
}

interface OwnProxy {
  registry: ConsortiumRegistry;
  proxy: string;
  implementation: string;
  deployer: HardhatEthersSigner;
}

/** A registry behind a proxy deployed here, with no founders and no governor bound. */
async function ownProxy(): Promise<OwnProxy> {
  const [deployer] = await ethers.getSigners();
  const implementation = await ethers.deployContract("ConsortiumRegistry");
  const proxy = await ethers.deployContract("ERC1967Proxy", [
    await implementation.getAddress(),
    implementation.interface.encodeFunctionData("initialize", [[]]),
  ]);
  const address = await proxy.getAddress();
  return {
    registry: await ethers.getContractAt("ConsortiumRegistry", address),
    proxy: address,
    implementation: await implementation.getAddress(),
    deployer,
  };
}

// ==== TESTS ====

describe("ConsortiumRegistry storage layout", function () {
  describe("namespace", function () {
    it("is the ERC-7201 slot of medstate.storage.ConsortiumRegistry", function () {
      expect(BASE).to.equal(PINNED_SLOT);
      expect(BASE & 0xffn).to.equal(0n);
    });

    it("leaves the proxy's sequential slots empty", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutConsortium);
      for (let slot = 0n; slot < 8n; ++slot) expect(await word(proxy, slot)).to.equal(0n);
    });
  });

  describe("slot 0: governor and partyCount", function () {
    it("packs the governor in the low 20 bytes and partyCount in the next 8", async function () {
      const { proxy, registry, governor, gov } = await networkHelpers.loadFixture(layoutConsortium);
      const w0 = await word(proxy, GOVERNOR_AND_COUNT);
      expect(addressIn(w0)).to.equal(await governor.getAddress());
      expect((w0 >> 160n) & U64).to.equal(8n);
      expect(w0 >> 224n).to.equal(0n);
      expect(addressIn(w0)).to.equal(await registry.governor());

      await registry.connect(gov).admitParty({ name: "Clinic", domain: Domain.Hospital, admin: ethers.Wallet.createRandom().address, voter: false, licences: [] });
      const w1 = await word(proxy, GOVERNOR_AND_COUNT);
      expect((w1 >> 160n) & U64).to.equal(9n);
      expect(addressIn(w1)).to.equal(await governor.getAddress());
    });

    it("is zero in a registry without founders or governor", async function () {
      const { proxy } = await networkHelpers.loadFixture(ownProxy);
      expect(await word(proxy, GOVERNOR_AND_COUNT)).to.equal(0n);
    });
  });

  describe("slot 1: bootstrapper", function () {
    it("holds the initialiser until the governor is bound, then zero", async function () {
      const { proxy, registry, deployer } = await networkHelpers.loadFixture(ownProxy);
      expect(addressIn(await word(proxy, BOOTSTRAPPER))).to.equal(deployer.address);
      expect((await word(proxy, BOOTSTRAPPER)) >> 160n).to.equal(0n);
      const [, bound] = await ethers.getSigners();
      await registry.connect(deployer).setGovernor(bound.address);
      expect(await word(proxy, BOOTSTRAPPER)).to.equal(0n);
      expect(addressIn(await word(proxy, GOVERNOR_AND_COUNT))).to.equal(bound.address);
    });

    it("is zero in the deployed consortium", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await word(proxy, BOOTSTRAPPER)).to.equal(0n);
    });
  });

  describe("slot 2: activeVoterCount and suspendedVoterCount", function () {
    it("packs the active (low 128 bits) and suspended (high 128 bits) voter counts", async function () {
      const { proxy, registry, gov } = await networkHelpers.loadFixture(layoutConsortium);
      const MASK_128 = (1n << 128n) - 1n;
      const counts = async () => {
        const w = await word(proxy, ACTIVE_VOTERS);
        return [w & MASK_128, w >> 128n];
      };
      expect(await counts()).to.deep.equal([4n, 0n]);
      await registry.connect(gov).setPartyStatus(2n, PartyStatus.Suspended);
      expect(await counts()).to.deep.equal([3n, 1n]);
      await registry.connect(gov).setVoter(5n, true);
      expect(await counts()).to.deep.equal([4n, 1n]);
      expect(await counts()).to.deep.equal([await registry.activeVoterCount(), await registry.suspendedVoterCount()]);
    });
  });

  describe("slot 3: parties", function () {
    it("packs domain, status, voter, licencesValidUntil, revokedLicences and admin in one slot", async function () {
      const { proxy, admins } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await rawParty(proxy, 1n)).to.deep.equal({
        domain: Domain.Regulator,
        status: PartyStatus.Active,
        voter: 1,
        licencesValidUntil: NO_EXPIRY,
        revokedLicences: 0,
        admin: admins[0].address,
        unused: 0n,
        name: "Regulator",
      });
      expect(await rawParty(proxy, 7n)).to.deep.equal({
        domain: Domain.Laboratory,
        status: PartyStatus.Active,
        voter: 0,
        licencesValidUntil: LICENCE_EXPIRY,
        revokedLicences: 0,
        admin: admins[6].address,
        unused: 0n,
        name: "Laboratory",
      });
    });

    it("matches getParty for every party", async function () {
      const { proxy, registry } = await networkHelpers.loadFixture(layoutConsortium);
      for (let id = 1n; id <= 8n; ++id) {
        const raw = await rawParty(proxy, id);
        const p = await registry.getParty(id);
        expect([raw.domain, raw.status, raw.voter === 1, raw.licencesValidUntil, raw.revokedLicences, raw.admin, raw.name]).to.deep.equal([
          Number(p.domain),
          Number(p.status),
          p.voter,
          p.licencesValidUntil,
          Number(p.revokedLicences),
          p.admin,
          p.name,
        ]);
      }
    });

    it("moves the status, voter, revokedLicences, expiry and admin bytes on writes", async function () {
      const { proxy, registry, gov, admins, others } = await networkHelpers.loadFixture(layoutConsortium);
      const later = LICENCE_EXPIRY + 1000n;
      await registry.connect(gov).setPartyStatus(3n, PartyStatus.Suspended);
      await registry.connect(gov).setVoter(3n, false);
      await registry.connect(gov).setPartyStatus(3n, PartyStatus.Active);
      await registry.connect(admins[0]).grantLicence(3n, { kind: LicenceKind.GoodSupplyPractice, documentHash: DOC, issuer: 0n, expiresAt: later });
      await registry.connect(admins[2]).rotateMember(3n, admins[2].address, others[0].address);
      await registry.connect(admins[0]).revokeLicence(3n, LicenceKind.Distribution);
      expect(await rawParty(proxy, 3n)).to.deep.equal({
        domain: Domain.Wholesaler,
        status: PartyStatus.Active,
        voter: 0,
        licencesValidUntil: later,
        revokedLicences: 1,
        admin: others[0].address,
        unused: 0n,
        name: "Wholesaler",
      });
      await registry.connect(gov).setPartyStatus(3n, PartyStatus.Revoked);
      expect((await rawParty(proxy, 3n)).status).to.equal(PartyStatus.Revoked);
    });

    it("is empty for an unknown party", async function () {
      const { proxy } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await word(proxy, partySlot(9n))).to.equal(0n);
      expect(await word(proxy, partySlot(0n))).to.equal(0n);
    });
  });

  describe("slot 4: members", function () {
    it("packs partyId (8 bytes), role and status in one slot", async function () {
      const { proxy, registry, admins, others } = await networkHelpers.loadFixture(layoutConsortium);
      for (let i = 0; i < 8; ++i) {
        expect(await rawMember(proxy, admins[i].address)).to.deep.equal({
          partyId: BigInt(i + 1),
          role: Role.Admin,
          status: MemberStatus.Active,
          unused: 0n,
        });
      }
      await registry.connect(admins[1]).addMember(2n, others[0].address, Role.Device);
      await registry.connect(admins[1]).addMember(2n, others[1].address, Role.QA);
      await registry.connect(admins[1]).removeMember(2n, others[1].address);
      await registry.connect(admins[1]).rotateMember(2n, others[0].address, others[2].address);
      expect(await rawMember(proxy, others[0].address)).to.deep.equal({ partyId: 2n, role: Role.Device, status: MemberStatus.Rotated, unused: 0n });
      expect(await rawMember(proxy, others[1].address)).to.deep.equal({ partyId: 2n, role: Role.QA, status: MemberStatus.Removed, unused: 0n });
      expect(await rawMember(proxy, others[2].address)).to.deep.equal({ partyId: 2n, role: Role.Device, status: MemberStatus.Active, unused: 0n });
      expect(await word(proxy, memberSlot(others[3].address))).to.equal(0n);
    });
  });

  describe("slot 5: licences", function () {
    it("stores documentHash, then issuer (8 bytes), expiresAt (6 bytes) and revoked in the next slot", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await rawLicence(proxy, 2n, LicenceKind.Manufacturing)).to.deep.equal({
        documentHash: DOC,
        issuer: 1n,
        expiresAt: LICENCE_EXPIRY,
        revoked: 0,
        unused: 0n,
      });
      const doc = ethers.id("gmp certificate");
      const expiry = LICENCE_EXPIRY - 86400n;
      await registry.connect(gov).grantLicence(2n, { kind: LicenceKind.GoodManufacturingPractice, documentHash: doc, issuer: 8n, expiresAt: expiry });
      await registry.connect(admins[0]).revokeLicence(2n, LicenceKind.GoodManufacturingPractice);
      expect(await rawLicence(proxy, 2n, LicenceKind.GoodManufacturingPractice)).to.deep.equal({
        documentHash: doc,
        issuer: 8n,
        expiresAt: expiry,
        revoked: 1,
        unused: 0n,
      });
      expect(await rawLicence(proxy, 2n, LicenceKind.Distribution)).to.deep.equal({
        documentHash: ethers.ZeroHash,
        issuer: 0n,
        expiresAt: 0n,
        revoked: 0,
        unused: 0n,
      });
    });
  });

  describe("slot 6: mirrors", function () {
    /** The dynamic array's entries: one address per slot from keccak256(slot). */
    function mirrorEntry(i: bigint): bigint {
      return BigInt(ethers.keccak256(coder.encode(["uint256"], [MIRRORS]))) + i;
    }

    it("holds the number of mirrors, and each mirror in its own slot from keccak256(slot 6)", async function () {
      const { proxy, registry, batchRegistry, gov } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await word(proxy, MIRRORS)).to.equal(1n);
      expect(await word(proxy, mirrorEntry(0n))).to.equal(BigInt(await batchRegistry.getAddress()));
      const probe = await ethers.deployContract("MembershipMirrorProbe", [proxy]);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      expect(await word(proxy, MIRRORS)).to.equal(2n);
      expect(await word(proxy, mirrorEntry(0n))).to.equal(BigInt(await batchRegistry.getAddress()));
      expect(await word(proxy, mirrorEntry(1n))).to.equal(BigInt(await probe.getAddress()));
      expect(await word(proxy, mirrorEntry(2n))).to.equal(0n);
      expect([addressIn(await word(proxy, mirrorEntry(0n))), addressIn(await word(proxy, mirrorEntry(1n)))]).to.deep.equal(
        await registry.mirrors(),
      );
    });

    it("moves the last entry into a detached mirror's slot and clears the last slot", async function () {
      const { proxy, registry, batchRegistry, gov } = await networkHelpers.loadFixture(layoutConsortium);
      const probe = await ethers.deployContract("MembershipMirrorProbe", [proxy]);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      await registry.connect(gov).detachMirror(await batchRegistry.getAddress());
      expect(await word(proxy, MIRRORS)).to.equal(1n);
      expect(await word(proxy, mirrorEntry(0n))).to.equal(BigInt(await probe.getAddress()));
      expect(await word(proxy, mirrorEntry(1n))).to.equal(0n);
      expect(await registry.mirrors()).to.deep.equal([await probe.getAddress()]);
    });

    it("leaves slots 0..5 as they were when a mirror is attached", async function () {
      const { proxy, registry, gov } = await networkHelpers.loadFixture(layoutConsortium);
      const slots = [GOVERNOR_AND_COUNT, BOOTSTRAPPER, ACTIVE_VOTERS, PARTIES, MEMBERS, LICENCES, partySlot(2n)];
      const before = await Promise.all(slots.map((s) => word(proxy, s)));
      const probe = await ethers.deployContract("MembershipMirrorProbe", [proxy]);
      await registry.connect(gov).attachMirror(await probe.getAddress());
      expect(await Promise.all(slots.map((s) => word(proxy, s)))).to.deep.equal(before);
    });

    it("is zero in a registry without mirrors", async function () {
      const { proxy } = await networkHelpers.loadFixture(ownProxy);
      expect(await word(proxy, MIRRORS)).to.equal(0n);
    });
  });

  describe("slot 7: regulatorSuspendedVoterCount", function () {
    it("holds the number of voters a regulator suspended on its own, as a full word", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(0n);
      // A fifth voter, so that governance may suspend one after the regulator did (A = 5 → 4,
      // R = 1; then 3 active voters for n = 4, threshold 3).
      await registry.connect(gov).setVoter(5n, true);
      await registry.connect(admins[0]).suspendParty(3n);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(1n);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(await registry.regulatorSuspendedVoterCount());
      // Governance's suspension is not counted; leaving Suspended clears the regulator's.
      await registry.connect(gov).setPartyStatus(4n, PartyStatus.Suspended);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(1n);
      await registry.connect(gov).setPartyStatus(3n, PartyStatus.Active);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(0n);
    });

    it("is zero in a registry without founders or governor", async function () {
      const { proxy } = await networkHelpers.loadFixture(ownProxy);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(0n);
    });
  });

  describe("slot 8: regulatorSuspended", function () {
    it("holds true (1) at keccak256(partyId . slot 8) while the regulator's own suspension lasts", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await word(proxy, regulatorSuspendedSlot(2n))).to.equal(0n);
      await registry.connect(admins[0]).suspendParty(2n);
      expect(await word(proxy, regulatorSuspendedSlot(2n))).to.equal(1n);
      expect(await word(proxy, regulatorSuspendedSlot(3n))).to.equal(0n);
      await registry.connect(gov).setVoter(2n, false);
      expect(await word(proxy, regulatorSuspendedSlot(2n))).to.equal(0n);
    });

    it("stays zero for a non-voter the regulator suspends and for a voter governance suspends", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      await registry.connect(admins[0]).suspendParty(5n);
      await registry.connect(gov).setPartyStatus(4n, PartyStatus.Suspended);
      expect(await word(proxy, regulatorSuspendedSlot(5n))).to.equal(0n);
      expect(await word(proxy, regulatorSuspendedSlot(4n))).to.equal(0n);
    });

    it("is cleared when the suspended voter is revoked", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      await registry.connect(admins[0]).suspendParty(4n);
      await registry.connect(gov).setPartyStatus(4n, PartyStatus.Revoked);
      expect(await word(proxy, regulatorSuspendedSlot(4n))).to.equal(0n);
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(0n);
    });
  });

  describe("slot 9: reservedUntil", function () {
    it("holds the reservation's end (uint48, low 6 bytes) at keccak256(account . slot 9)", async function () {
      const { proxy, registry, governor, admins } = await networkHelpers.loadFixture(layoutConsortium);
      const admin = ethers.getAddress(ethers.zeroPadValue("0x5e5e", 20));
      expect(await word(proxy, reservedSlot(admin))).to.equal(0n);
      await governor.connect(admins[1]).proposeAdmission({ name: "Clinic", domain: Domain.Hospital, admin, voter: false, licences: [] });
      const { expiresAt } = await governor.getProposal(1n);
      const w = await word(proxy, reservedSlot(admin));
      expect(w & U48).to.equal(expiresAt);
      expect(w >> 48n).to.equal(0n);
      expect(w).to.equal(await registry.reservedUntil(admin));
    });

    it("takes the governor's direct reservation, up to type(uint48).max", async function () {
      const { proxy, registry, gov } = await networkHelpers.loadFixture(layoutConsortium);
      const account = ethers.getAddress(ethers.zeroPadValue("0x5e5f", 20));
      await registry.connect(gov).reserveAccount(account, 1n);
      expect(await word(proxy, reservedSlot(account))).to.equal(1n);
      await registry.connect(gov).reserveAccount(account, U48);
      expect(await word(proxy, reservedSlot(account))).to.equal(U48);
    });

    it("keeps the later date: a shorter reservation leaves the word as it was", async function () {
      const { proxy, registry, gov } = await networkHelpers.loadFixture(layoutConsortium);
      const account = ethers.getAddress(ethers.zeroPadValue("0x5e5f", 20));
      await registry.connect(gov).reserveAccount(account, U48);
      for (const shorter of [1n, 0n, U48 - 1n]) {
        await expect(registry.connect(gov).reserveAccount(account, shorter)).to.emit(registry, "AccountReserved").withArgs(account, U48);
        expect(await word(proxy, reservedSlot(account))).to.equal(U48);
      }
    });
  });

  describe("slots 7..9 next to the others", function () {
    it("leave slots 0..6 as they were when the regulator suspends a non-voter and an account is reserved", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      const slots = [GOVERNOR_AND_COUNT, BOOTSTRAPPER, ACTIVE_VOTERS, PARTIES, MEMBERS, LICENCES, MIRRORS];
      const before = await Promise.all(slots.map((s) => word(proxy, s)));
      await registry.connect(gov).reserveAccount(ethers.getAddress(ethers.zeroPadValue("0x5e60", 20)), 10n ** 10n);
      expect(await Promise.all(slots.map((s) => word(proxy, s)))).to.deep.equal(before);
      await registry.connect(admins[0]).suspendParty(2n);
      const after = await Promise.all(slots.map((s) => word(proxy, s)));
      // Only the packed voter counts (slot 2) move: 3 active, 1 suspended.
      expect(after[2]).to.equal(3n | (1n << 128n));
      expect(after.filter((_, i) => i !== 2)).to.deep.equal(before.filter((_, i) => i !== 2));
      expect(await word(proxy, REGULATOR_SUSPENDED_COUNT)).to.equal(1n);
    });
  });

  describe("ERC-1967 and Initializable", function () {
    it("points the implementation slot at the implementation the proxy was deployed with", async function () {
      const { proxy, implementation } = await networkHelpers.loadFixture(ownProxy);
      expect(addressIn(await word(proxy, IMPLEMENTATION_SLOT))).to.equal(implementation);
      expect((await word(proxy, IMPLEMENTATION_SLOT)) >> 160n).to.equal(0n);
    });

    it("points the deployed consortium's implementation slot at a ConsortiumRegistry implementation", async function () {
      const { proxy, registry } = await networkHelpers.loadFixture(layoutConsortium);
      const implementation = addressIn(await word(proxy, IMPLEMENTATION_SLOT));
      const upgrades = await registry.queryFilter(registry.filters.Upgraded());
      expect(upgrades.map((e) => e.args.implementation)).to.deep.equal([implementation]);
      const impl = await ethers.getContractAt("ConsortiumRegistry", implementation);
      expect(await impl.proxiableUUID()).to.equal(ethers.toBeHex(IMPLEMENTATION_SLOT, 32));
    });

    it("follows an upgrade by the governor, leaving the namespace untouched", async function () {
      const { proxy, registry, gov, admins } = await networkHelpers.loadFixture(layoutConsortium);
      await registry.connect(admins[0]).suspendParty(3n);
      await registry.connect(gov).reserveAccount(gov.address, 10n ** 10n);
      const slots = [
        GOVERNOR_AND_COUNT,
        BOOTSTRAPPER,
        ACTIVE_VOTERS,
        partySlot(2n),
        memberSlot(gov.address),
        MIRRORS,
        REGULATOR_SUSPENDED_COUNT,
        regulatorSuspendedSlot(3n),
        reservedSlot(gov.address),
      ];
      const before = await Promise.all(slots.map((s) => word(proxy, s)));
      expect(before.slice(-3)).to.deep.equal([1n, 1n, 10n ** 10n]);
      const next = await ethers.deployContract("ConsortiumRegistry");
      await registry.connect(gov).upgradeToAndCall(await next.getAddress(), "0x");
      expect(addressIn(await word(proxy, IMPLEMENTATION_SLOT))).to.equal(await next.getAddress());
      const after = await Promise.all(slots.map((s) => word(proxy, s)));
      expect(after).to.deep.equal(before);
    });

    it("records version 1 in the proxy and disables the implementation", async function () {
      const { proxy, implementation } = await networkHelpers.loadFixture(ownProxy);
      // Initializable: _initialized (uint64) then _initializing (bool) in one slot.
      expect(await word(proxy, INITIALIZABLE_SLOT)).to.equal(1n);
      expect(await word(implementation, INITIALIZABLE_SLOT)).to.equal(U64);
    });
  });
});
