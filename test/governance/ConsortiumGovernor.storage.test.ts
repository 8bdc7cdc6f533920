/**
 * Pins every field of ConsortiumGovernor's ERC-7201 namespace to its slot and offset, so
 * that an upgrade that moves one fails here. Slot 6 (`approvers`, issue 12's review) holds
 * each proposal's approving parties, which `approvalsInForce` recounts.
 */
import { expect } from "chai";

import { ProposalKind } from "../../sdk/enums.js";
import { VOTING_PERIOD, ethers, networkHelpers, standardConsortium } from "../helpers/fixtures.js";
import { erc7201, word } from "../helpers/storage.js";

// ==== LAYOUT ====

const coder = ethers.AbiCoder.defaultAbiCoder();

const NAMESPACE = "medstate.storage.ConsortiumGovernor";
/** The value hard-coded in ConsortiumGovernor._STORAGE_SLOT. */
const PINNED_SLOT = 0x5730aaf9fcfeda1a07614ceae35cf7da25376705c70a2eb224ba9c07599a1a00n;
const BASE = erc7201(NAMESPACE);

const REGISTRY = BASE; // IConsortiumRegistry (20 bytes)
const VOTING_PERIOD_SLOT = BASE + 1n; // Parameters.votingPeriod (uint48)
const APPROVAL_KINDS = BASE + 2n; // Parameters.regulatorApprovalKinds (uint256)
const PROPOSAL_COUNT = BASE + 3n;
const PROPOSALS = BASE + 4n; // mapping(uint256 proposalId => Proposal)
const VOTED = BASE + 5n; // mapping(uint256 proposalId => mapping(uint64 partyId => bool))
const APPROVERS = BASE + 6n; // mapping(uint256 proposalId => uint64[])

const U16 = 2n ** 16n - 1n;
const U48 = 2n ** 48n - 1n;
const U64 = 2n ** 64n - 1n;
const U160 = 2n ** 160n - 1n;

function mappingSlot(keyType: string, key: unknown, slot: bigint): bigint {
  return BigInt(ethers.keccak256(coder.encode([keyType, "uint256"], [key, slot])));
}

/** Where a dynamic array stored at `slot` keeps its elements. */
function elementsOf(slot: bigint): bigint {
  return BigInt(ethers.keccak256(coder.encode(["uint256"], [slot])));
}

function addressIn(value: bigint): string {
  return ethers.getAddress(ethers.toBeHex(value & U160, 20));
}

// ==== FIXTURE ====

/**
 * The standard consortium (voters 1..4, threshold 3): proposal 1 (new parameters) approved
 * by parties 2 and 4, left open; proposal 2 (new parameters: regulatorApprovalKinds 6)
 * executed by the approvals of parties 1, 2 and 4.
 */
async function storageFixture() {
  const c = await standardConsortium();
  const { governor, admins } = c;
  await governor.connect(admins[1]).proposeParameters({ votingPeriod: 2n * VOTING_PERIOD, regulatorApprovalKinds: 6n });
  await governor.connect(admins[1]).vote(1n);
  await governor.connect(admins[3]).vote(1n);
  await governor.connect(admins[1]).proposeParameters({ votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: 6n });
  for (const admin of [admins[0], admins[1], admins[3]]) await governor.connect(admin).vote(2n);
  return { ...c, proxy: await governor.getAddress() };
}

// ==== TESTS ====

describe("ConsortiumGovernor storage layout", function () {
  it("uses the ERC-7201 namespace medstate.storage.ConsortiumGovernor", async function () {
    expect(BASE).to.equal(PINNED_SLOT);
  });

  it("slot 0: the registry; slots 1..2: the parameters; slot 3: the proposal count", async function () {
    const { proxy, registry, governor } = await networkHelpers.loadFixture(storageFixture);
    const first = await word(proxy, REGISTRY);
    expect(addressIn(first)).to.equal(await registry.getAddress());
    expect(first >> 160n, "nothing else in slot 0").to.equal(0n);
    expect(await word(proxy, VOTING_PERIOD_SLOT)).to.equal(VOTING_PERIOD);
    expect(await word(proxy, APPROVAL_KINDS)).to.equal(6n);
    expect((await governor.parameters()).regulatorApprovalKinds).to.equal(6n);
    expect(await word(proxy, PROPOSAL_COUNT)).to.equal(2n);
  });

  it("slot 4: proposals[id] packs kind | proposerParty | expiresAt | threshold | approvals | three flags, then target and data", async function () {
    const { proxy, governor } = await networkHelpers.loadFixture(storageFixture);
    for (const id of [1n, 2n]) {
      const base = mappingSlot("uint256", id, PROPOSALS);
      const w = await word(proxy, base);
      const p = await governor.getProposal(id);
      expect(w & 0xffn, "kind").to.equal(BigInt(ProposalKind.SetParameters));
      expect((w >> 8n) & U64, "proposerParty").to.equal(p.proposerParty);
      expect((w >> 72n) & U48, "expiresAt").to.equal(p.expiresAt);
      expect((w >> 120n) & U16, "threshold").to.equal(p.threshold);
      expect((w >> 136n) & U16, "approvals").to.equal(p.approvals);
      expect((w >> 152n) & 0xffn, "regulatorRequired").to.equal(p.regulatorRequired ? 1n : 0n);
      expect((w >> 160n) & 0xffn, "regulatorApproved").to.equal(p.regulatorApproved ? 1n : 0n);
      expect((w >> 168n) & 0xffn, "executed").to.equal(p.executed ? 1n : 0n);
      expect(w >> 176n, "nothing else in the first word").to.equal(0n);
      expect(addressIn(await word(proxy, base + 1n))).to.equal(p.target);
      // `data` (a SetParameters call: 68 bytes) is a long byte string: its slot holds 2 × length + 1.
      expect(await word(proxy, base + 2n)).to.equal(BigInt(ethers.dataLength(p.data)) * 2n + 1n);
    }
    const [one, two] = [await governor.getProposal(1n), await governor.getProposal(2n)];
    expect([one.approvals, one.executed, two.approvals, two.executed, two.regulatorApproved]).to.deep.equal([2n, false, 3n, true, true]);
  });

  it("slot 5: voted[id][party]", async function () {
    const { proxy } = await networkHelpers.loadFixture(storageFixture);
    const voted = async (id: bigint, party: bigint) => word(proxy, mappingSlot("uint64", party, mappingSlot("uint256", id, VOTED)));
    expect([await voted(1n, 1n), await voted(1n, 2n), await voted(1n, 3n), await voted(1n, 4n)]).to.deep.equal([0n, 1n, 0n, 1n]);
    expect([await voted(2n, 1n), await voted(2n, 2n), await voted(2n, 3n), await voted(2n, 4n)]).to.deep.equal([1n, 1n, 0n, 1n]);
  });

  it("slot 6: approvers[id], the approving parties in voting order, four uint64 to a word", async function () {
    const { proxy, governor, registry } = await networkHelpers.loadFixture(storageFixture);
    const approvers = async (id: bigint): Promise<bigint[]> => {
      const slot = mappingSlot("uint256", id, APPROVERS);
      const length = await word(proxy, slot);
      const parties: bigint[] = [];
      for (let i = 0n; i < length; ++i) parties.push(((await word(proxy, elementsOf(slot) + i / 4n)) >> (64n * (i % 4n))) & U64);
      return parties;
    };
    expect(await approvers(1n)).to.deep.equal([2n, 4n]);
    expect(await approvers(2n)).to.deep.equal([1n, 2n, 4n]);
    expect(await word(proxy, elementsOf(mappingSlot("uint256", 2n, APPROVERS)))).to.equal(1n | (2n << 64n) | (4n << 128n));
    expect(await approvers(3n), "no proposal 3").to.deep.equal([]);
    // What approvalsInForce recounts: a party governance takes out of the set stays stored, uncounted.
    await networkHelpers.impersonateAccount(proxy);
    await networkHelpers.setBalance(proxy, 10n ** 21n);
    await registry.connect(await ethers.getSigner(proxy)).setVoter(4n, false);
    expect(await approvers(1n)).to.deep.equal([2n, 4n]);
    expect(await governor.approvalsInForce(1n)).to.deep.equal([1n, false]);
  });
});
