import { expect } from "chai";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role } from "../../sdk/enums.js";
import { type Consortium, LICENCE_EXPIRY, ethers, networkHelpers, standardConsortium } from "../helpers/fixtures.js";
import { erc7201, word } from "../helpers/storage.js";

// ==== LAYOUT ====

const coder = ethers.AbiCoder.defaultAbiCoder();

/** The value hard-coded in MembershipMirror._MIRROR_SLOT. */
const PINNED_SLOT = 0xcb197f7cae46ee9fb574a151fc3804323c462cf52793e6bfe5debc3da0817b00n;
const BASE = erc7201("medstate.storage.MembershipMirror");
const MEMBERS = BASE; // mapping(address => Member)
const PARTIES = BASE + 1n; // mapping(uint64 => PartyGate)

const IMPLEMENTATION_SLOT = BigInt(ethers.id("eip1967.proxy.implementation")) - 1n;
const NO_EXPIRY = 2n ** 48n - 1n;
const U48 = 2n ** 48n - 1n;
const U64 = 2n ** 64n - 1n;

function memberSlot(account: string): bigint {
  return BigInt(ethers.keccak256(coder.encode(["address", "uint256"], [account, MEMBERS])));
}

function partySlot(partyId: bigint): bigint {
  return BigInt(ethers.keccak256(coder.encode(["uint64", "uint256"], [partyId, PARTIES])));
}

/** Member: partyId (8 bytes), role, status, in the low 10 bytes of one slot. */
async function rawMember(address: string, account: string) {
  const w = await word(address, memberSlot(account));
  return { partyId: w & U64, role: Number((w >> 64n) & 0xffn), status: Number((w >> 72n) & 0xffn), unused: w >> 80n };
}

/** PartyGate: domain, status, revokedLicences, licencesValidUntil (6 bytes), in the low 9 bytes of one slot. */
async function rawGate(address: string, partyId: bigint) {
  const w = await word(address, partySlot(partyId));
  return {
    domain: Number(w & 0xffn),
    status: Number((w >> 8n) & 0xffn),
    revokedLicences: Number((w >> 16n) & 0xffn),
    licencesValidUntil: (w >> 24n) & U48,
    unused: w >> 72n,
  };
}

// ==== FIXTURES ====

interface Layout extends Consortium {
  /** The batch registry's proxy: where its mirror lives. */
  proxy: string;
}

async function layoutConsortium(): Promise<Layout> {
  const base = await standardConsortium();
  return { ...base, proxy: await base.batchRegistry.getAddress() };
}

// ==== TESTS ====

describe("MembershipMirror storage layout", function () {
  describe("namespace", function () {
    it("is the ERC-7201 slot of medstate.storage.MembershipMirror", function () {
      expect(BASE).to.equal(PINNED_SLOT);
      expect(BASE & 0xffn).to.equal(0n);
    });

    it("is apart from the registry's and the batch registry's namespaces", function () {
      for (const other of ["medstate.storage.ConsortiumRegistry", "medstate.storage.BatchRegistry"]) {
        const slot = erc7201(other);
        // Each namespace's fixed slots are its first few words: 256 apart is far enough.
        expect(slot > BASE ? slot - BASE : BASE - slot).to.be.greaterThan(255n);
      }
    });
  });

  describe("members (slot 0 of the namespace)", function () {
    it("packs partyId (8 bytes), role and status in one slot, as the registry pushed them", async function () {
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

  describe("parties (slot 1 of the namespace)", function () {
    it("packs domain, status, revokedLicences and licencesValidUntil in one slot, as the registry pushed them", async function () {
      const { proxy, registry, admins } = await networkHelpers.loadFixture(layoutConsortium);
      expect(await rawGate(proxy, 1n)).to.deep.equal({
        domain: Domain.Regulator,
        status: PartyStatus.Active,
        revokedLicences: 0,
        licencesValidUntil: NO_EXPIRY,
        unused: 0n,
      });
      expect(await rawGate(proxy, 3n)).to.deep.equal({
        domain: Domain.Wholesaler,
        status: PartyStatus.Active,
        revokedLicences: 0,
        licencesValidUntil: LICENCE_EXPIRY,
        unused: 0n,
      });
      await registry.connect(admins[0]).suspendParty(3n);
      await registry.connect(admins[0]).revokeLicence(3n, LicenceKind.Distribution);
      expect(await rawGate(proxy, 3n)).to.deep.equal({
        domain: Domain.Wholesaler,
        status: PartyStatus.Suspended,
        revokedLicences: 1,
        licencesValidUntil: NO_EXPIRY,
        unused: 0n,
      });
      expect(await word(proxy, partySlot(9n))).to.equal(0n);
      expect(await word(proxy, partySlot(0n))).to.equal(0n);
    });
  });

  describe("registry", function () {
    it("is an immutable of the implementation, not a storage word of the proxy", async function () {
      const { proxy, registry } = await networkHelpers.loadFixture(layoutConsortium);
      const registryAddress = (await registry.getAddress()).toLowerCase().slice(2);
      const implementation = ethers.getAddress(ethers.toBeHex((await word(proxy, IMPLEMENTATION_SLOT)) & (2n ** 160n - 1n), 20));
      expect((await ethers.provider.getCode(implementation)).toLowerCase()).to.contain(registryAddress);
      expect(await word(proxy, BASE + 2n)).to.equal(0n);
      expect(await word(proxy, erc7201("medstate.storage.BatchRegistry")) & (2n ** 160n - 1n)).to.not.equal(BigInt(`0x${registryAddress}`));
    });

    it("is an immutable of each code object behind the proxy, which keeps no mirror records at its own address", async function () {
      const { proxy, registry, batchRegistry, admins } = await networkHelpers.loadFixture(layoutConsortium);
      const registryAddress = (await registry.getAddress()).toLowerCase().slice(2);
      for (const module of await batchRegistry.modules()) {
        expect((await ethers.provider.getCode(module)).toLowerCase(), module).to.contain(registryAddress);
        // The records live in the proxy's storage only.
        expect(await word(module, memberSlot(admins[1].address)), module).to.equal(0n);
        expect(await word(module, partySlot(2n)), module).to.equal(0n);
      }
      expect((await rawMember(proxy, admins[1].address)).partyId).to.equal(2n);
    });
  });
});
