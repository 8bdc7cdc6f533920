import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import { threshold } from "../../sdk/bft.js";
import { Domain, LicenceKind, PartyStatus, ProposalKind, ProposalState, Role, mask } from "../../sdk/enums.js";
import type { ConsortiumGovernor } from "../../types/ethers-contracts/index.js";
import type { IConsortiumRegistry } from "../../types/ethers-contracts/contracts/identity/ConsortiumRegistry.js";
import {
  DOC,
  LICENCE_EXPIRY,
  VOTING_PERIOD,
  deployConsortium,
  ethers,
  networkHelpers,
  standardConsortium,
  votersConsortium,
} from "../helpers/fixtures.js";

const { loadFixture, time } = networkHelpers;

/** ERC-1967 implementation slot: keccak256("eip1967.proxy.implementation") − 1. */
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const HOUR = 3600n;
const YEAR = 365n * 24n * HOUR;
const DEFAULT_KINDS = mask(ProposalKind.AdmitParty);

/** The sizes every threshold edge case runs for, with their fixtures created once. */
const SIZES = [1, 4, 7] as const;
const votersFixtures = new Map(SIZES.map((n) => [n, votersConsortium(n)] as const));
/** Five voters (threshold 4): one voter leaving lowers the threshold to 3. */
const fiveVoters = votersConsortium(5);
/** Ten voters (f = 3, threshold 7): issue 12's "five of ten voters pass anything". */
const tenVoters = votersConsortium(10);

// ==== HELPERS ====

/** What {simulateCall} names a call by: keccak256(abi.encode(target, data)). */
function callId(target: string, data: string): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes"], [target, data]));
}

/** A deterministic account that no fixture uses. */
function freshAccount(seed: number): string {
  return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0xacc0000 + seed), 20));
}

function admission(
  admin: string,
  overrides: Partial<IConsortiumRegistry.PartyAdmissionStruct> = {},
): IConsortiumRegistry.PartyAdmissionStruct {
  return {
    name: "New Pharmacy",
    domain: Domain.Pharmacy,
    admin,
    voter: false,
    licences: [{ kind: LicenceKind.Distribution, documentHash: DOC, issuer: 1n, expiresAt: LICENCE_EXPIRY }],
    ...overrides,
  };
}

/** Sends transactions from `address` (the governor proxy, to reach its self-only functions). */
async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, 10n ** 21n);
  return ethers.getSigner(address);
}

async function implementationOf(proxy: { getAddress(): Promise<string> }): Promise<string> {
  const raw = await ethers.provider.getStorage(await proxy.getAddress(), IMPLEMENTATION_SLOT);
  return ethers.getAddress(ethers.dataSlice(raw, 12));
}

/** Creates a harmless proposal (new parameters) and returns its id. */
async function proposeParams(
  governor: ConsortiumGovernor,
  proposer: HardhatEthersSigner,
  votingPeriod = 2n * VOTING_PERIOD,
  regulatorApprovalKinds = DEFAULT_KINDS,
): Promise<bigint> {
  await governor.connect(proposer).proposeParameters({ votingPeriod, regulatorApprovalKinds });
  return governor.proposalCount();
}

/** Votes with each signer in order (each vote must succeed). */
async function voteAll(governor: ConsortiumGovernor, id: bigint, voters: HardhatEthersSigner[]): Promise<void> {
  for (const voter of voters) {
    await governor.connect(voter).vote(id);
  }
}

// ==== FIXTURES ====

/**
 * The standard consortium plus: an operator in party 2 (`operator`), an operator in
 * party 3 (`suspendedOperator`), party 3 suspended by the regulator, and proposal 1
 * (new parameters) created by the regulator's admin.
 */
async function accessFixture() {
  const consortium = await standardConsortium();
  const { registry, governor, admins, others } = consortium;
  const [stranger, operator, suspendedOperator] = others;
  await registry.connect(admins[1]).addMember(2, operator.address, Role.Operator);
  await registry.connect(admins[2]).addMember(3, suspendedOperator.address, Role.Operator);
  await registry.connect(admins[0]).suspendParty(3);
  const proposalId = await proposeParams(governor, admins[0]);
  return { ...consortium, stranger, operator, suspendedOperator, suspendedAdmin: admins[2], proposalId };
}

/**
 * A governor implementation next to the standard consortium, and a way to deploy a
 * proxy of it initialised with the given arguments (OpenZeppelin 5.7's ERC1967Proxy
 * refuses empty initialisation data, so the initialiser runs in its constructor).
 */
async function freshProxyFixture() {
  const consortium = await standardConsortium();
  const implementation = await ethers.deployContract("ConsortiumGovernor");
  const deployProxy = async (registry: string, votingPeriod: bigint, regulatorApprovalKinds: bigint) => {
    const data = implementation.interface.encodeFunctionData("initialize", [registry, { votingPeriod, regulatorApprovalKinds }]);
    return ethers.deployContract("ERC1967Proxy", [await implementation.getAddress(), data]);
  };
  return { ...consortium, implementation, deployProxy };
}

/**
 * The regulator (party 1) and three voting manufacturers (2..4), deployed with
 * `regulatorApprovalKinds = 0`: no kind asks for the regulator's approval.
 */
async function noRegulatorKinds() {
  return deployConsortium(
    [
      { name: "Regulator", domain: Domain.Regulator, voter: true },
      { name: "Maker 2", domain: Domain.Manufacturer, voter: true },
      { name: "Maker 3", domain: Domain.Manufacturer, voter: true },
      { name: "Maker 4", domain: Domain.Manufacturer, voter: true },
    ],
    { votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: 0n },
  );
}

/** Fresh implementations of both contracts, deployed next to the standard consortium. */
async function upgradeFixture() {
  const consortium = await standardConsortium();
  const registryImpl = await ethers.deployContract("ConsortiumRegistry");
  const governorImpl = await ethers.deployContract("ConsortiumGovernor");
  return { ...consortium, registryImpl, governorImpl };
}

// ==== TESTS ====

describe("ConsortiumGovernor", function () {
  describe("initialize", function () {
    it("binds the registry and sets the parameters", async function () {
      const { registry, deployProxy } = await loadFixture(freshProxyFixture);
      const registryAddress = await registry.getAddress();
      const proxy = await deployProxy(registryAddress, HOUR, 6n);
      const fresh = await ethers.getContractAt("ConsortiumGovernor", await proxy.getAddress());
      const deployment = proxy.deploymentTransaction();
      expect(deployment).to.not.equal(null);
      await expect(deployment!)
        .to.emit(fresh, "ParametersChanged")
        .withArgs(HOUR, 6n)
        .and.to.emit(fresh, "Initialized")
        .withArgs(1n);
      expect(await fresh.registry()).to.equal(registryAddress);
      const params = await fresh.parameters();
      expect(params.votingPeriod).to.equal(HOUR);
      expect(params.regulatorApprovalKinds).to.equal(6n);
      expect(await fresh.proposalCount()).to.equal(0n);
    });

    it("reverts when the registry is the zero address", async function () {
      const { implementation, deployProxy } = await loadFixture(freshProxyFixture);
      await expect(deployProxy(ethers.ZeroAddress, VOTING_PERIOD, 0n)).to.be.revertedWithCustomError(
        implementation,
        "GovernorZeroAddress",
      );
    });

    it("reverts when the voting period is outside [1 hour, 365 days]", async function () {
      const { registry, implementation, deployProxy } = await loadFixture(freshProxyFixture);
      const registryAddress = await registry.getAddress();
      await expect(deployProxy(registryAddress, HOUR - 1n, 0n))
        .to.be.revertedWithCustomError(implementation, "GovernorInvalidVotingPeriod")
        .withArgs(HOUR - 1n);
      await expect(deployProxy(registryAddress, YEAR + 1n, 0n))
        .to.be.revertedWithCustomError(implementation, "GovernorInvalidVotingPeriod")
        .withArgs(YEAR + 1n);
      await expect(deployProxy(registryAddress, HOUR, 0n)).not.to.revert(ethers);
      await expect(deployProxy(registryAddress, YEAR, 0n)).not.to.revert(ethers);
    });

    it("reverts when called a second time", async function () {
      const { governor, registry, others } = await loadFixture(standardConsortium);
      await expect(
        governor.connect(others[0]).initialize(registry, { votingPeriod: HOUR, regulatorApprovalKinds: 0n }),
      ).to.be.revertedWithCustomError(governor, "InvalidInitialization");
    });

    it("reverts on the implementation itself", async function () {
      const { implementation, registry } = await loadFixture(freshProxyFixture);
      await expect(
        implementation.initialize(registry, { votingPeriod: HOUR, regulatorApprovalKinds: 0n }),
      ).to.be.revertedWithCustomError(implementation, "InvalidInitialization");
    });
  });

  describe("thresholdFor", function () {
    it("is n − ⌊(n−1)/3⌋ for n = 0..10", async function () {
      const { governor } = await loadFixture(standardConsortium);
      const expected = [0n, 1n, 2n, 3n, 3n, 4n, 5n, 5n, 6n, 7n, 7n];
      for (let n = 0; n <= 10; n++) {
        const onChain = await governor.thresholdFor(n);
        expect(onChain, `n = ${n}`).to.equal(expected[n]);
        expect(onChain, `sdk, n = ${n}`).to.equal(BigInt(threshold(n)));
        expect(onChain, `formula, n = ${n}`).to.equal(n === 0 ? 0n : BigInt(n - Math.floor((n - 1) / 3)));
      }
    });

    it("does not overflow at the top of the range", async function () {
      const { governor } = await loadFixture(standardConsortium);
      const max = ethers.MaxUint256;
      expect(await governor.thresholdFor(max)).to.equal(max - (max - 1n) / 3n);
    });
  });

  describe("proposeAdmission", function () {
    it("creates an AdmitParty proposal that needs the regulator", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const a = admission(freshAccount(1));
      const tx = await governor.connect(admins[1]).proposeAdmission(a);
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      const data = registry.interface.encodeFunctionData("admitParty", [a]);
      await expect(tx)
        .to.emit(governor, "ProposalCreated")
        .withArgs(1n, ProposalKind.AdmitParty, 2n, admins[1].address, await registry.getAddress(), data, 4n, 3n, true, expiresAt);
      expect(await governor.proposalCount()).to.equal(1n);
      const p = await governor.getProposal(1n);
      expect(p.kind).to.equal(BigInt(ProposalKind.AdmitParty));
      expect(p.proposerParty).to.equal(2n);
      expect(p.expiresAt).to.equal(expiresAt);
      expect(p.threshold).to.equal(3n);
      expect(p.approvals).to.equal(0n);
      expect(p.regulatorRequired).to.equal(true);
      expect(p.regulatorApproved).to.equal(false);
      expect(p.executed).to.equal(false);
      expect(p.target).to.equal(await registry.getAddress());
      expect(p.data).to.equal(data);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Active));
    });

    it("reserves the admin account until the proposal expires", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const a = admission(freshAccount(1));
      const tx = await governor.connect(admins[1]).proposeAdmission(a);
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      await expect(tx).to.emit(registry, "AccountReserved").withArgs(a.admin, expiresAt);
      expect(await registry.reservedUntil(a.admin)).to.equal(expiresAt);
      expect((await governor.getProposal(1n)).expiresAt).to.equal(expiresAt);
      // No party's admin can enrol it meanwhile; the admission itself still executes.
      await expect(registry.connect(admins[5]).addMember(6n, a.admin, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(a.admin, expiresAt);
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      await expect(governor.connect(admins[2]).vote(1n))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(9n, Domain.Pharmacy, a.admin, false, "New Pharmacy");
    });

    it("keeps an earlier admission's reservation when a later one, under a shorter voting period, names the same admin", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const a = admission(freshAccount(1));
      await governor.connect(admins[1]).proposeAdmission(a);
      const rival = admission(freshAccount(1), { name: "Rival Pharmacy" });
      const first = (await governor.getProposal(1n)).expiresAt;
      await governor.connect(admins[1]).proposeParameters({ votingPeriod: HOUR, regulatorApprovalKinds: DEFAULT_KINDS });
      await voteAll(governor, 2n, [admins[1], admins[2], admins[3]]);
      const tx = await governor.connect(admins[2]).proposeAdmission(rival);
      const second = (await governor.getProposal(3n)).expiresAt;
      expect(second).to.equal(BigInt(await time.latest()) + HOUR);
      expect(second < first).to.equal(true);
      // AccountReserved carries the date in force: the first proposal's.
      await expect(tx).to.emit(registry, "AccountReserved").withArgs(a.admin, first);
      expect(await registry.reservedUntil(a.admin)).to.equal(first);
      // Once the second proposal expired, the account is still reserved for the first.
      await time.increaseTo(second);
      expect(await governor.proposalState(3n)).to.equal(BigInt(ProposalState.Expired));
      await expect(registry.connect(admins[5]).addMember(6n, a.admin, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(a.admin, first);
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      await expect(governor.connect(admins[2]).vote(1n))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(9n, Domain.Pharmacy, a.admin, false, "New Pharmacy");
    });

    it("extends the reservation when a later admission naming the same admin expires later", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const a = admission(freshAccount(1));
      await governor.connect(admins[1]).proposeAdmission(a);
      const rival = admission(freshAccount(1), { name: "Rival Pharmacy" });
      const first = (await governor.getProposal(1n)).expiresAt;
      await time.increase(HOUR);
      const tx = await governor.connect(admins[2]).proposeAdmission(rival);
      const second = (await governor.getProposal(2n)).expiresAt;
      expect(second > first).to.equal(true);
      await expect(tx).to.emit(registry, "AccountReserved").withArgs(a.admin, second);
      expect(await registry.reservedUntil(a.admin)).to.equal(second);
      await time.increaseTo(first);
      await expect(registry.connect(admins[5]).addMember(6n, a.admin, Role.Operator))
        .to.be.revertedWithCustomError(registry, "RegistryAccountReserved")
        .withArgs(a.admin, second);
      await time.setNextBlockTimestamp(second);
      await expect(registry.connect(admins[5]).addMember(6n, a.admin, Role.Operator))
        .to.emit(registry, "MemberAdded")
        .withArgs(6n, a.admin, Role.Operator, admins[5].address);
    });

    it("reserves nothing when the admission is refused at creation", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[1]).proposeAdmission(admission(freshAccount(1), { name: "" })))
        .to.be.revertedWithCustomError(registry, "RegistryEmptyName")
        .withArgs();
      expect(await registry.reservedUntil(freshAccount(1))).to.equal(0n);
    });

    it("returns sequential ids from 1", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      expect(await governor.connect(admins[0]).proposeAdmission.staticCall(admission(freshAccount(1)))).to.equal(1n);
      await governor.connect(admins[0]).proposeAdmission(admission(freshAccount(1)));
      expect(await governor.connect(admins[0]).proposeAdmission.staticCall(admission(freshAccount(2)))).to.equal(2n);
    });

    it("reverts when the name is empty", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(
        governor.connect(admins[0]).proposeAdmission(admission(freshAccount(1), { name: "" })),
      ).to.be.revertedWithCustomError(registry, "RegistryEmptyName");
    });

    it("reverts when the admin account is already a member", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeAdmission(admission(admins[5].address)))
        .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
        .withArgs(admins[5].address, 6n);
    });

    it("reverts when a licence issuer is an unknown party", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const a = admission(freshAccount(1), {
        licences: [{ kind: LicenceKind.Distribution, documentHash: DOC, issuer: 99n, expiresAt: LICENCE_EXPIRY }],
      });
      await expect(governor.connect(admins[0]).proposeAdmission(a))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(99n);
    });

    it("reverts when the domain is None", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeAdmission(admission(freshAccount(1), { domain: Domain.None })))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidDomain")
        .withArgs(Domain.None);
    });

    it("reverts when the admin is the zero address", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(
        governor.connect(admins[0]).proposeAdmission(admission(ethers.ZeroAddress)),
      ).to.be.revertedWithCustomError(registry, "RegistryZeroAddress");
    });
  });

  describe("proposePartyStatus", function () {
    const cases = [
      { status: PartyStatus.Suspended, kind: ProposalKind.SuspendParty, name: "SuspendParty" },
      { status: PartyStatus.Active, kind: ProposalKind.ReinstateParty, name: "ReinstateParty" },
      { status: PartyStatus.Revoked, kind: ProposalKind.RevokeParty, name: "RevokeParty" },
    ];
    for (const { status, kind, name } of cases) {
      it(`creates a ${name} proposal for status ${status}`, async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        // Reinstatement is only proposable for a suspended party (checked at creation).
        if (status === PartyStatus.Active) await registry.connect(admins[0]).suspendParty(5);
        const tx = await governor.connect(admins[2]).proposePartyStatus(5, status);
        const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
        const data = registry.interface.encodeFunctionData("setPartyStatus", [5n, status]);
        await expect(tx)
          .to.emit(governor, "ProposalCreated")
          .withArgs(1n, kind, 3n, admins[2].address, await registry.getAddress(), data, 4n, 3n, false, expiresAt);
        expect((await governor.getProposal(1n)).kind).to.equal(BigInt(kind));
      });
    }

    it("reverts when the active voters left could not reach the threshold (issue 12's deadlock, refused at creation)", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      // The regulator suspends party 3 on its own: A = 3 active, R = 1, n = 4, threshold 3.
      await registry.connect(admins[0]).suspendParty(3);
      // Suspending or revoking party 2 through governance used to leave 2 active voters facing
      // threshold 3 for ever: nobody could reinstate party 3 again. Now it cannot be proposed.
      for (const proposer of [admins[0], admins[1], admins[3]]) {
        for (const status of [PartyStatus.Suspended, PartyStatus.Revoked]) {
          await expect(governor.connect(proposer).proposePartyStatus(2, status))
            .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
            .withArgs(2n, 2n, 3n);
        }
      }
      expect(await governor.proposalCount()).to.equal(0n);
      // Non-voters and the suspended voter itself may still be proposed.
      await expect(governor.connect(admins[1]).proposePartyStatus(5, PartyStatus.Suspended)).to.emit(governor, "ProposalCreated");
      await expect(governor.connect(admins[1]).proposePartyStatus(3, PartyStatus.Revoked)).to.emit(governor, "ProposalCreated");
      // The three active voters keep governance alive: they reinstate party 3 (threshold 3 of n = 4)...
      await governor.connect(admins[1]).proposePartyStatus(3, PartyStatus.Active);
      await voteAll(governor, 3n, [admins[0], admins[1]]);
      await expect(governor.connect(admins[3]).vote(3n))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(3n, PartyStatus.Suspended, PartyStatus.Active, await governor.getAddress());
      // ...and then party 2's suspension may be proposed and passed: 3 active voters for n = 3.
      await governor.connect(admins[0]).proposePartyStatus(2, PartyStatus.Suspended);
      await voteAll(governor, 4n, [admins[0], admins[2]]);
      await expect(governor.connect(admins[3]).vote(4n)).to.emit(registry, "PartyStatusChanged");
      expect(await registry.activeVoterCount()).to.equal(await governor.currentThreshold());
    });

    it("reverts when the status is None", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposePartyStatus(5, PartyStatus.None))
        .to.be.revertedWithCustomError(governor, "GovernorInvalidStatus")
        .withArgs(PartyStatus.None);
    });

    it("reverts when the transition is not allowed now (checked at creation)", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposePartyStatus(5, PartyStatus.Active))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
        .withArgs(5n, PartyStatus.Active, PartyStatus.Active);
      expect(await governor.proposalCount()).to.equal(0n);
    });

    it("reverts when a non-member proposes, before looking at the arguments", async function () {
      const { governor, registry, others } = await loadFixture(standardConsortium);
      await expect(governor.connect(others[0]).proposePartyStatus(99, PartyStatus.None))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(others[0].address);
    });

    it("reverts when the party is unknown", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposePartyStatus(99, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(99n);
      await expect(governor.connect(admins[0]).proposePartyStatus(0, PartyStatus.Suspended))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(0n);
    });
  });

  describe("proposeVoter", function () {
    it("creates a SetVoter proposal", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const tx = await governor.connect(admins[3]).proposeVoter(6, true);
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      const data = registry.interface.encodeFunctionData("setVoter", [6n, true]);
      await expect(tx)
        .to.emit(governor, "ProposalCreated")
        .withArgs(1n, ProposalKind.SetVoter, 4n, admins[3].address, await registry.getAddress(), data, 4n, 3n, false, expiresAt);
    });

    it("reverts when unseating an active voter would leave the active voters short of the threshold", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await registry.connect(admins[0]).suspendParty(3); // A = 3, R = 1
      for (const party of [1n, 2n, 4n]) {
        await expect(governor.connect(admins[1]).proposeVoter(party, false))
          .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
          .withArgs(party, 2n, 3n);
      }
      expect(await governor.proposalCount()).to.equal(0n);
      // Unseating the suspended voter is allowed (it is not active); it clears the regulator's count.
      await governor.connect(admins[1]).proposeVoter(3n, false);
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      await expect(governor.connect(admins[3]).vote(1n)).to.emit(registry, "VoterChanged").withArgs(3n, false, 3n);
      expect(await registry.thresholdVoterCount()).to.equal(3n);
    });

    it("reverts when the party is unknown", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeVoter(9, true))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(9n);
    });
  });

  describe("proposeParameters", function () {
    it("creates a SetParameters proposal targeting the governor", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const params = { votingPeriod: HOUR, regulatorApprovalKinds: mask(ProposalKind.Upgrade) };
      const tx = await governor.connect(admins[0]).proposeParameters(params);
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      const data = governor.interface.encodeFunctionData("setParameters", [params]);
      await expect(tx)
        .to.emit(governor, "ProposalCreated")
        .withArgs(1n, ProposalKind.SetParameters, 1n, admins[0].address, await governor.getAddress(), data, 4n, 3n, false, expiresAt);
    });

    it("accepts the bounds of the voting period", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeParameters({ votingPeriod: HOUR, regulatorApprovalKinds: 0n })).to.emit(
        governor,
        "ProposalCreated",
      );
      await expect(governor.connect(admins[0]).proposeParameters({ votingPeriod: YEAR, regulatorApprovalKinds: 0n })).to.emit(
        governor,
        "ProposalCreated",
      );
    });

    it("reverts when the voting period is below one hour", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeParameters({ votingPeriod: HOUR - 1n, regulatorApprovalKinds: 0n }))
        .to.be.revertedWithCustomError(governor, "GovernorInvalidVotingPeriod")
        .withArgs(HOUR - 1n);
      await expect(governor.connect(admins[0]).proposeParameters({ votingPeriod: 0n, regulatorApprovalKinds: 0n }))
        .to.be.revertedWithCustomError(governor, "GovernorInvalidVotingPeriod")
        .withArgs(0n);
    });

    it("reverts when the voting period is above 365 days", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeParameters({ votingPeriod: YEAR + 1n, regulatorApprovalKinds: 0n }))
        .to.be.revertedWithCustomError(governor, "GovernorInvalidVotingPeriod")
        .withArgs(YEAR + 1n);
    });
  });

  describe("proposeUpgrade", function () {
    it("creates an Upgrade proposal calling upgradeToAndCall(implementation, \"\")", async function () {
      const { governor, registry, admins, registryImpl } = await loadFixture(upgradeFixture);
      const tx = await governor.connect(admins[0]).proposeUpgrade(registry, registryImpl);
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      const data = registry.interface.encodeFunctionData("upgradeToAndCall", [await registryImpl.getAddress(), "0x"]);
      await expect(tx)
        .to.emit(governor, "ProposalCreated")
        .withArgs(1n, ProposalKind.Upgrade, 1n, admins[0].address, await registry.getAddress(), data, 4n, 3n, false, expiresAt);
    });

    it("reverts when the proxy has no code", async function () {
      const { governor, admins, registryImpl } = await loadFixture(upgradeFixture);
      await expect(governor.connect(admins[0]).proposeUpgrade(admins[7].address, registryImpl))
        .to.be.revertedWithCustomError(governor, "GovernorNotAContract")
        .withArgs(admins[7].address);
    });

    it("reverts when the implementation has no code", async function () {
      const { governor, registry, admins } = await loadFixture(upgradeFixture);
      await expect(governor.connect(admins[0]).proposeUpgrade(registry, admins[7].address))
        .to.be.revertedWithCustomError(governor, "GovernorNotAContract")
        .withArgs(admins[7].address);
    });
  });

  describe("regulator powers and capture", function () {
    it("lets the regulator suspend at most f voters alone, so it can never shrink the vote to itself", async function () {
      const { governor, registry, admins } = await loadFixture(votersFixtures.get(7)!);
      // n = 7, f = 2: the regulator may suspend two voters at once, not a third.
      await registry.connect(admins[0]).suspendParty(2);
      await registry.connect(admins[0]).suspendParty(3);
      await expect(registry.connect(admins[0]).suspendParty(4))
        .to.be.revertedWithCustomError(registry, "RegistryVoterSuspensionLimit")
        .withArgs(4n, 2n, 2n);
      // n stays 7 (the two voters it suspended alone still count): threshold 5, so the
      // regulator needs four of the five voters still active.
      expect(await registry.activeVoterCount()).to.equal(5n);
      expect(await registry.thresholdVoterCount()).to.equal(7n);
      expect(await governor.currentThreshold()).to.equal(5n);
      await governor.connect(admins[0]).proposeVoter(2, false);
      expect((await governor.getProposal(1n)).threshold).to.equal(5n);
      expect(await governor.connect(admins[0]).vote.staticCall(1n)).to.equal(false);
      await voteAll(governor, 1n, [admins[0], admins[3], admins[4]]);
      expect(await governor.connect(admins[5]).vote.staticCall(1n)).to.equal(false);
      await governor.connect(admins[5]).vote(1n);
      await expect(governor.connect(admins[6]).vote(1n)).to.emit(registry, "VoterChanged").withArgs(2n, false, 5n);
      // A third suspension goes through governance instead.
      await governor.connect(admins[0]).proposePartyStatus(4, PartyStatus.Suspended);
      expect((await governor.getProposal(2n)).kind).to.equal(BigInt(ProposalKind.SuspendParty));
    });

    it("never lets its own suspensions and governance's together leave the active voters short of the threshold", async function () {
      const { governor, registry, admins } = await loadFixture(votersFixtures.get(7)!);
      // The regulator suspends its f = 2 alone: 5 active voters, n = 7, threshold 5: all five are needed.
      await registry.connect(admins[0]).suspendParty(6);
      await registry.connect(admins[0]).suspendParty(7);
      expect(await registry.activeVoterCount()).to.equal(await governor.currentThreshold());
      // So governance may take none of the five out (4 active for n = 6, threshold 5)...
      for (const party of [1n, 2n, 5n]) {
        await expect(governor.connect(admins[1]).proposePartyStatus(party, PartyStatus.Suspended))
          .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
          .withArgs(party, 4n, 5n);
        await expect(governor.connect(admins[1]).proposeVoter(party, false))
          .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
          .withArgs(party, 4n, 5n);
      }
      // ...while a governance decision about the regulator's suspensions stays open: revoking
      // party 7 (n = 6, threshold 5 = the five active voters).
      await governor.connect(admins[1]).proposePartyStatus(7, PartyStatus.Revoked);
      await voteAll(governor, 1n, admins.slice(0, 4));
      await expect(governor.connect(admins[4]).vote(1n))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(7n, PartyStatus.Suspended, PartyStatus.Revoked, await governor.getAddress());
      expect(await registry.thresholdVoterCount()).to.equal(6n);
      expect(await registry.activeVoterCount()).to.equal(await governor.currentThreshold());
    });

    it("keeps the threshold of 10 voters when the regulator suspends 3 alone: the regulator and 4 others pass nothing", async function () {
      const { governor, registry, admins } = await loadFixture(tenVoters);
      for (const party of [8n, 9n, 10n]) await registry.connect(admins[0]).suspendParty(party);
      expect(await registry.activeVoterCount()).to.equal(7n);
      expect(await registry.regulatorSuspendedVoterCount()).to.equal(3n);
      expect(await registry.thresholdVoterCount()).to.equal(10n);
      expect(await governor.currentThreshold()).to.equal(7n);
      const id = await proposeParams(governor, admins[0], HOUR);
      expect((await governor.getProposal(id)).threshold).to.equal(7n);
      await voteAll(governor, id, admins.slice(0, 5));
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 5n, 7n, true);
      expect((await governor.parameters()).votingPeriod).to.equal(VOTING_PERIOD);
      // Every one of the 7 active voters is needed.
      await voteAll(governor, id, [admins[5]]);
      await expect(governor.connect(admins[6]).vote(id)).to.emit(governor, "ParametersChanged").withArgs(HOUR, DEFAULT_KINDS);
    });

    describe("regulatorRequired, whatever the parameters", function () {
      it("is forced for suspending or revoking a regulator party and for unseating it as a voter", async function () {
        const { governor, admins } = await loadFixture(noRegulatorKinds);
        expect((await governor.parameters()).regulatorApprovalKinds).to.equal(0n);
        const required: [string, () => Promise<unknown>][] = [
          ["suspend", () => governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Suspended)],
          ["revoke", () => governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Revoked)],
          ["unseat", () => governor.connect(admins[1]).proposeVoter(1n, false)],
        ];
        for (const [name, propose] of required) {
          await propose();
          const p = await governor.getProposal(await governor.proposalCount());
          expect(p.regulatorRequired, name).to.equal(true);
        }
      });

      it("emits regulatorRequired in ProposalCreated", async function () {
        const { governor, registry, admins } = await loadFixture(noRegulatorKinds);
        const tx = await governor.connect(admins[2]).proposePartyStatus(1n, PartyStatus.Suspended);
        await expect(tx)
          .to.emit(governor, "ProposalCreated")
          .withArgs(
            1n,
            ProposalKind.SuspendParty,
            3n,
            admins[2].address,
            await registry.getAddress(),
            registry.interface.encodeFunctionData("setPartyStatus", [1n, PartyStatus.Suspended]),
            4n,
            3n,
            true,
            BigInt(await time.latest()) + VOTING_PERIOD,
          );
      });

      it("is not forced for the same proposals about a non-regulator party, nor for reinstating a regulator", async function () {
        const { governor, registry, admins } = await loadFixture(noRegulatorKinds);
        await governor.connect(admins[1]).proposePartyStatus(3n, PartyStatus.Suspended);
        await governor.connect(admins[1]).proposePartyStatus(3n, PartyStatus.Revoked);
        await governor.connect(admins[1]).proposeVoter(3n, false);
        await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Suspended);
        await voteAll(governor, 4n, [admins[0], admins[1], admins[2]]);
        expect((await registry.getParty(1n)).status).to.equal(BigInt(PartyStatus.Suspended));
        await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Active);
        for (const id of [1n, 2n, 3n, 5n]) expect((await governor.getProposal(id)).regulatorRequired, `proposal ${id}`).to.equal(false);
      });

      it("keeps the majority from suspending the regulator without it: the three others pass nothing", async function () {
        const { governor, registry, admins } = await loadFixture(noRegulatorKinds);
        await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Suspended);
        for (const voter of [admins[1], admins[2], admins[3]]) {
          await expect(governor.connect(voter).vote(1n)).not.to.emit(governor, "ProposalExecuted");
        }
        await expect(governor.connect(admins[1]).execute(1n))
          .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
          .withArgs(1n, 3n, 3n, false);
        expect((await registry.getParty(1n)).status).to.equal(BigInt(PartyStatus.Active));
        // The regulator's own approval executes it.
        await expect(governor.connect(admins[0]).vote(1n))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(1n, PartyStatus.Active, PartyStatus.Suspended, await governor.getAddress());
      });

      it("keeps the majority from removing the regulator from the voters without it", async function () {
        const { governor, registry, admins } = await loadFixture(noRegulatorKinds);
        await governor.connect(admins[1]).proposeVoter(1n, false);
        await voteAll(governor, 1n, [admins[1], admins[2], admins[3]]);
        expect(await registry.isVoter(1n)).to.equal(true);
        await expect(governor.connect(admins[3]).execute(1n))
          .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
          .withArgs(1n, 3n, 3n, false);
      });

      it("cannot be lifted by a SetParameters proposal: proposals made afterwards still need the regulator", async function () {
        const { governor, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[1]).proposeParameters({ votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: 0n });
        await voteAll(governor, 1n, [admins[1], admins[2], admins[3]]);
        expect((await governor.parameters()).regulatorApprovalKinds).to.equal(0n);
        await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Revoked);
        expect((await governor.getProposal(2n)).regulatorRequired).to.equal(true);
      });
    });
  });

  describe("currentThreshold", function () {
    it("is thresholdFor(thresholdVoterCount()): the regulator's own suspensions count, governance's do not", async function () {
      const { governor, registry, admins } = await loadFixture(votersFixtures.get(7)!);
      const gov = await impersonate(await governor.getAddress());
      const check = async (n: bigint, t: bigint) => {
        expect(await registry.thresholdVoterCount()).to.equal(n);
        expect(await governor.currentThreshold()).to.equal(t);
        expect(await governor.currentThreshold()).to.equal(await governor.thresholdFor(await registry.thresholdVoterCount()));
      };
      await check(7n, 5n);
      await registry.connect(admins[0]).suspendParty(7n); // the regulator alone: n stays 7
      await check(7n, 5n);
      await registry.connect(gov).setPartyStatus(6n, PartyStatus.Suspended); // governance: n = 6
      await check(6n, 5n);
      await registry.connect(gov).setPartyStatus(5n, PartyStatus.Revoked); // n = 5
      await check(5n, 4n);
      await registry.connect(gov).setPartyStatus(7n, PartyStatus.Active); // reinstated: counted as active
      await check(5n, 4n);
      await registry.connect(gov).setVoter(4n, false); // n = 4
      await check(4n, 3n);
    });
  });

  describe("execute", function () {
    it("executes a proposal whose approvals meet the threshold after it fell", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      const id = await proposeParams(governor, admins[4], HOUR);
      await voteAll(governor, id, [admins[1], admins[2], admins[3]]);
      expect(await governor.currentThreshold()).to.equal(4n);
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 3n, 4n, false);
      // Governance takes party 5 (which did not approve) out of the voters: n = 4, threshold 3,
      // and the three approvers are all still in the set.
      await governor.connect(admins[0]).proposeVoter(5n, false);
      const removal = await governor.proposalCount();
      await voteAll(governor, removal, admins.slice(0, 4));
      expect(await registry.isVoter(5n)).to.equal(false);
      expect(await governor.currentThreshold()).to.equal(3n);
      expect(await governor.approvalsInForce(id)).to.deep.equal([3n, false]);
      // Nobody votes again: execute() runs it on the approvals already cast.
      const tx = governor.connect(admins[0]).execute(id);
      await expect(tx).to.emit(governor, "ProposalExecuted").withArgs(id, "0x");
      await expect(tx).to.emit(governor, "ParametersChanged").withArgs(HOUR, DEFAULT_KINDS);
      await expect(tx).not.to.emit(governor, "VoteCast");
      const p = await governor.getProposal(id);
      expect(p.executed).to.equal(true);
      expect(p.approvals).to.equal(3n);
      expect(await governor.proposalState(id)).to.equal(BigInt(ProposalState.Executed));
      await expect(governor.connect(admins[1]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExecuted")
        .withArgs(id);
    });

    it("returns the action's result in ProposalExecuted and runs it as the governor", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      await governor.connect(admins[4]).proposeCall(registry, registry.interface.encodeFunctionData("partyCount"));
      await voteAll(governor, 1n, [admins[1], admins[2], admins[3]]);
      await governor.connect(admins[0]).proposeVoter(5n, false);
      await voteAll(governor, 2n, admins.slice(0, 4));
      await expect(governor.connect(admins[1]).execute(1n))
        .to.emit(governor, "ProposalExecuted")
        .withArgs(1n, ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [5n]));
    });

    it("reverts when the approvals are below the threshold in force", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 0n, 3n, false);
      await voteAll(governor, id, [admins[0], admins[1]]);
      await expect(governor.connect(admins[3]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 2n, 3n, true);
      expect((await governor.getProposal(id)).executed).to.equal(false);
    });

    it("reverts with the approvals in force when approvers left the voter set: their approvals left with them", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      const id = await proposeParams(governor, admins[4], HOUR);
      await voteAll(governor, id, [admins[2], admins[3], admins[4]]);
      // Governance takes party 5, an approver, out of the voters: n = 4, threshold 3, which
      // the 3 approvals cast would meet; 2 are in force.
      await governor.connect(admins[0]).proposeVoter(5n, false);
      await voteAll(governor, 2n, admins.slice(0, 4));
      expect(await governor.currentThreshold()).to.equal(3n);
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 2n, 3n, false);
      const p = await governor.getProposal(id);
      expect([p.approvals, p.executed]).to.deep.equal([3n, false]);
      expect((await governor.parameters()).votingPeriod).to.equal(VOTING_PERIOD);
      // A voter still in the set approves: 3 in force, and that vote executes it.
      await expect(governor.connect(admins[1]).vote(id))
        .to.emit(governor, "VoteCast")
        .withArgs(id, 2n, admins[1].address, 4n)
        .and.to.emit(governor, "ProposalExecuted")
        .withArgs(id, "0x");
      expect(await registry.isVoter(5n)).to.equal(false);
    });

    it("reverts without a regulator in force when the regulator that approved left the set", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await governor.connect(admins[1]).proposeAdmission(admission(freshAccount(1)));
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      // Governance suspends the regulator, with the regulator's own approval (required): n = 3.
      await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Suspended);
      await voteAll(governor, 2n, admins.slice(0, 3));
      await voteAll(governor, 1n, [admins[2], admins[3]]);
      expect(await governor.approvalsInForce(1n)).to.deep.equal([3n, false]);
      expect((await governor.getProposal(1n)).regulatorApproved, "the approval cast is kept").to.equal(true);
      await expect(governor.connect(admins[1]).execute(1n))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(1n, 3n, 3n, false);
    });

    it("reverts when a regulator's approval is required and missing", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await governor.connect(admins[1]).proposeAdmission(admission(freshAccount(1)));
      await voteAll(governor, 1n, [admins[1], admins[2], admins[3]]);
      await expect(governor.connect(admins[1]).execute(1n))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(1n, 3n, 3n, false);
      expect(await registry.partyCount()).to.equal(8n);
    });

    it("reverts when the proposal is unknown", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).execute(1n))
        .to.be.revertedWithCustomError(governor, "GovernorUnknownProposal")
        .withArgs(1n);
      await expect(governor.connect(admins[0]).execute(0n))
        .to.be.revertedWithCustomError(governor, "GovernorUnknownProposal")
        .withArgs(0n);
    });

    it("reverts when the proposal was executed", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      await voteAll(governor, id, [admins[0], admins[1], admins[2]]);
      await expect(governor.connect(admins[3]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExecuted")
        .withArgs(id);
    });

    it("reverts from the proposal's expiry on, even when approved by then", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      const id = await proposeParams(governor, admins[4], HOUR);
      await voteAll(governor, id, [admins[1], admins[2], admins[3]]);
      await governor.connect(admins[0]).proposeVoter(5n, false);
      await voteAll(governor, 2n, admins.slice(0, 4));
      expect(await registry.isVoter(5n)).to.equal(false);
      expect(await governor.approvalsInForce(id)).to.deep.equal([3n, false]);
      expect(await governor.currentThreshold()).to.equal(3n);
      const { expiresAt } = await governor.getProposal(id);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExpired")
        .withArgs(id, expiresAt);
      expect((await governor.parameters()).votingPeriod).to.equal(VOTING_PERIOD);
    });

    it("reverts with the action's error and leaves the proposal as it was", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      // Two proposals to suspend party 4; the second gathers 3 approvals while n = 5 (threshold 4).
      await governor.connect(admins[0]).proposePartyStatus(4n, PartyStatus.Suspended);
      await governor.connect(admins[0]).proposePartyStatus(4n, PartyStatus.Suspended);
      await voteAll(governor, 2n, [admins[0], admins[1], admins[2]]);
      await voteAll(governor, 1n, admins.slice(0, 4)); // executes: party 4 suspended by governance, n = 4
      expect(await governor.currentThreshold()).to.equal(3n);
      await expect(governor.connect(admins[0]).execute(2n))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
        .withArgs(4n, PartyStatus.Suspended, PartyStatus.Suspended);
      const p = await governor.getProposal(2n);
      expect(p.executed).to.equal(false);
      expect(p.approvals).to.equal(3n);
    });

    it("reverts with RegistryThresholdUnreachable when the regulator suspended a voter after the proposal", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      // Proposal 1 suspends party 2 (fine at creation: A = 5, R = 0); 3 approvals of threshold 4.
      await governor.connect(admins[0]).proposePartyStatus(2n, PartyStatus.Suspended);
      await voteAll(governor, 1n, [admins[0], admins[2], admins[3]]);
      // Governance unseats party 5 (n = 4, threshold 3); then the regulator suspends party 4 alone
      // (A = 3, R = 1: n stays 4, threshold 3).
      await governor.connect(admins[0]).proposeVoter(5n, false);
      await voteAll(governor, 2n, admins.slice(0, 4));
      await registry.connect(admins[0]).suspendParty(4n);
      expect(await governor.currentThreshold()).to.equal(3n);
      // Proposal 1 is approved, but its action would leave 2 active voters for n = 3.
      await expect(governor.connect(admins[1]).execute(1n))
        .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
        .withArgs(2n, 2n, 3n);
      const p = await governor.getProposal(1n);
      expect(p.executed).to.equal(false);
      expect(p.approvals).to.equal(3n);
      expect((await registry.getParty(2n)).status).to.equal(BigInt(PartyStatus.Active));
      // Once governance reinstates party 4, the same proposal executes.
      await governor.connect(admins[0]).proposePartyStatus(4n, PartyStatus.Active);
      await voteAll(governor, 3n, admins.slice(0, 3));
      await expect(governor.connect(admins[1]).execute(1n))
        .to.emit(registry, "PartyStatusChanged")
        .withArgs(2n, PartyStatus.Active, PartyStatus.Suspended, await governor.getAddress());
    });

    it("reverts when the caller is not a member", async function () {
      const fx = await loadFixture(accessFixture);
      await expect(fx.governor.connect(fx.stranger).execute(fx.proposalId))
        .to.be.revertedWithCustomError(fx.registry, "RegistryNotMember")
        .withArgs(fx.stranger.address);
    });

    it("checks the proposal before the caller", async function () {
      const fx = await loadFixture(accessFixture);
      await expect(fx.governor.connect(fx.stranger).execute(fx.proposalId + 1n))
        .to.be.revertedWithCustomError(fx.governor, "GovernorUnknownProposal")
        .withArgs(fx.proposalId + 1n);
    });

    it("reverts when the caller is a member but not an admin", async function () {
      const fx = await loadFixture(accessFixture);
      await expect(fx.governor.connect(fx.operator).execute(fx.proposalId))
        .to.be.revertedWithCustomError(fx.registry, "RegistryRoleNotAllowed")
        .withArgs(fx.operator.address, Role.Operator);
    });

    it("reverts when the caller is an admin of a party that does not vote", async function () {
      const fx = await loadFixture(accessFixture);
      await expect(fx.governor.connect(fx.admins[4]).execute(fx.proposalId))
        .to.be.revertedWithCustomError(fx.governor, "GovernorNotVoter")
        .withArgs(5n);
    });

    it("reverts when the caller is the admin of a suspended voting party", async function () {
      const fx = await loadFixture(accessFixture);
      await expect(fx.governor.connect(fx.suspendedAdmin).execute(fx.proposalId))
        .to.be.revertedWithCustomError(fx.registry, "RegistryPartyNotActive")
        .withArgs(3n, PartyStatus.Suspended);
    });

    it("reverts when the caller is the governor itself or the deployer", async function () {
      const fx = await loadFixture(accessFixture);
      const gov = await impersonate(await fx.governor.getAddress());
      for (const caller of [gov, fx.deployer]) {
        await expect(fx.governor.connect(caller).execute(fx.proposalId))
          .to.be.revertedWithCustomError(fx.registry, "RegistryNotMember")
          .withArgs(caller.address);
      }
    });
  });

  describe("approvalsInForce", function () {
    it("is (0, false) before any vote, then follows the approvals cast while every approver stays in the set", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[1]);
      expect(await governor.approvalsInForce(id)).to.deep.equal([0n, false]);
      await governor.connect(admins[1]).vote(id);
      expect(await governor.approvalsInForce(id)).to.deep.equal([1n, false]);
      await governor.connect(admins[0]).vote(id);
      expect(await governor.approvalsInForce(id)).to.deep.equal([2n, true]);
      expect((await governor.getProposal(id)).approvals).to.equal(2n);
    });

    it("drops each approver governance takes out of the set (suspended, revoked, unseated); the approvals cast stay", async function () {
      const { governor, registry, admins } = await loadFixture(votersFixtures.get(7)!);
      const id = await proposeParams(governor, admins[0]);
      await voteAll(governor, id, admins.slice(1, 5)); // parties 2..5: 4 of threshold 5
      expect(await governor.approvalsInForce(id)).to.deep.equal([4n, false]);
      const gov = await impersonate(await governor.getAddress());
      const steps: [string, () => Promise<unknown>, bigint, bigint][] = [
        ["party 2 suspended by governance", () => registry.connect(gov).setPartyStatus(2n, PartyStatus.Suspended), 3n, 5n],
        ["party 3 revoked", () => registry.connect(gov).setPartyStatus(3n, PartyStatus.Revoked), 2n, 4n],
        ["party 4 unseated", () => registry.connect(gov).setVoter(4n, false), 1n, 3n],
      ];
      for (const [title, step, inForce, threshold] of steps) {
        await step();
        expect(await governor.approvalsInForce(id), title).to.deep.equal([inForce, false]);
        expect(await governor.currentThreshold(), title).to.equal(threshold);
        expect((await governor.getProposal(id)).approvals, title).to.equal(4n);
      }
      await expect(governor.connect(admins[0]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 1n, 3n, false);
    });

    it("keeps the approval of a voter the regulator suspended on its own, and of one whose licence lapsed", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0], HOUR);
      await voteAll(governor, id, [admins[1], admins[2]]);
      await registry.connect(admins[0]).suspendParty(2n);
      await registry.connect(admins[0]).revokeLicence(3n, LicenceKind.Distribution);
      expect(await registry.isPartyActive(3n)).to.equal(false);
      expect(await governor.approvalsInForce(id)).to.deep.equal([2n, false]);
    });

    it("drops the regulator from regulatorApproved while the regulator party is out of the set, and counts it again once reinstated", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const a = admission(freshAccount(1));
      await governor.connect(admins[1]).proposeAdmission(a); // 1: needs a regulator
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      expect(await governor.approvalsInForce(1n)).to.deep.equal([2n, true]);
      // Governance suspends the regulator party, with its approval (required): n = 3, threshold 3.
      await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Suspended); // 2
      await voteAll(governor, 2n, admins.slice(0, 3));
      expect((await registry.getParty(1n)).status).to.equal(BigInt(PartyStatus.Suspended));
      expect(await governor.approvalsInForce(1n)).to.deep.equal([1n, false]);
      // The other three approve the admission: 3 in force meet the threshold, but no regulator is among them.
      await governor.connect(admins[2]).vote(1n);
      await expect(governor.connect(admins[3]).vote(1n)).not.to.emit(governor, "ProposalExecuted");
      expect(await governor.approvalsInForce(1n)).to.deep.equal([3n, false]);
      const p = await governor.getProposal(1n);
      expect([p.approvals, p.regulatorApproved, p.executed]).to.deep.equal([4n, true, false]);
      await expect(governor.connect(admins[1]).execute(1n))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(1n, 3n, 3n, false);
      // Governance reinstates the regulator (no regulator needed): back in the set, its approval counts again.
      await governor.connect(admins[1]).proposePartyStatus(1n, PartyStatus.Active); // 3
      await voteAll(governor, 3n, admins.slice(1, 4));
      expect(await governor.approvalsInForce(1n)).to.deep.equal([4n, true]);
      await expect(governor.connect(admins[1]).execute(1n))
        .to.emit(registry, "PartyAdmitted")
        .withArgs(9n, Domain.Pharmacy, a.admin, false, "New Pharmacy");
    });

    it("is (0, false) for an unknown proposal", async function () {
      const { governor } = await loadFixture(standardConsortium);
      expect(await governor.approvalsInForce(0n)).to.deep.equal([0n, false]);
      expect(await governor.approvalsInForce(1n)).to.deep.equal([0n, false]);
    });
  });

  describe("simulateCall", function () {
    it("reverts with GovernorCallSimulated when run by the governor on a call that succeeds, undoing it", async function () {
      const { governor, registry } = await loadFixture(standardConsortium);
      const gov = await impersonate(await governor.getAddress());
      const data = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice]);
      await expect(governor.connect(gov).simulateCall(registry, data))
        .to.be.revertedWithCustomError(governor, "GovernorCallSimulated")
        .withArgs(callId(await registry.getAddress(), data));
      expect((await registry.getLicence(5n, LicenceKind.GoodSupplyPractice)).revoked).to.equal(false);
    });

    it("names the call it ran: the answer differs with the target and with the data", async function () {
      const { governor, registry, batchRegistry } = await loadFixture(standardConsortium);
      const gov = await impersonate(await governor.getAddress());
      const a = registry.interface.encodeFunctionData("partyCount");
      const b = registry.interface.encodeFunctionData("activeVoterCount");
      const registryAddress = await registry.getAddress();
      await expect(governor.connect(gov).simulateCall(registry, a))
        .to.be.revertedWithCustomError(governor, "GovernorCallSimulated")
        .withArgs(callId(registryAddress, a));
      await expect(governor.connect(gov).simulateCall(registry, b))
        .to.be.revertedWithCustomError(governor, "GovernorCallSimulated")
        .withArgs(callId(registryAddress, b));
      // The same selector at another contract that answers it (the batch registry reads its registry).
      const c = batchRegistry.interface.encodeFunctionData("registry");
      await expect(governor.connect(gov).simulateCall(batchRegistry, c))
        .to.be.revertedWithCustomError(governor, "GovernorCallSimulated")
        .withArgs(callId(await batchRegistry.getAddress(), c));
      expect(callId(registryAddress, a)).not.to.equal(callId(registryAddress, b));
    });

    it("passes on a nested simulation's answer as its own failure (the inner call's name, not this one's)", async function () {
      const { governor, registry } = await loadFixture(standardConsortium);
      const gov = await impersonate(await governor.getAddress());
      const inner = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice]);
      const outer = governor.interface.encodeFunctionData("simulateCall", [await registry.getAddress(), inner]);
      await expect(governor.connect(gov).simulateCall(governor, outer))
        .to.be.revertedWithCustomError(governor, "GovernorCallSimulated")
        .withArgs(callId(await registry.getAddress(), inner));
      expect((await registry.getLicence(5n, LicenceKind.GoodSupplyPractice)).revoked).to.equal(false);
    });

    it("reverts with the target's own error when run by the governor on a call that fails", async function () {
      const { governor, registry } = await loadFixture(standardConsortium);
      const gov = await impersonate(await governor.getAddress());
      const data = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.Distribution]);
      await expect(governor.connect(gov).simulateCall(registry, data))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownLicence")
        .withArgs(5n, LicenceKind.Distribution);
    });

    it("reverts with GovernorOnlySelf for any other caller", async function () {
      const { governor, registry, admins, deployer, others } = await loadFixture(standardConsortium);
      const data = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice]);
      for (const caller of [admins[0], admins[1], admins[4], deployer, others[0]]) {
        await expect(governor.connect(caller).simulateCall(registry, data))
          .to.be.revertedWithCustomError(governor, "GovernorOnlySelf")
          .withArgs(caller.address);
      }
      expect((await registry.getLicence(5n, LicenceKind.GoodSupplyPractice)).revoked).to.equal(false);
    });
  });

  describe("proposeCall", function () {
    it("creates a Call proposal with the given target and data", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const data = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice]);
      const tx = await governor.connect(admins[1]).proposeCall(registry, data);
      const expiresAt = BigInt(await time.latest()) + VOTING_PERIOD;
      await expect(tx)
        .to.emit(governor, "ProposalCreated")
        .withArgs(1n, ProposalKind.Call, 2n, admins[1].address, await registry.getAddress(), data, 4n, 3n, false, expiresAt);
    });

    it("refuses every selector a typed proposal owns, so no call bypasses a kind's regulator rule", async function () {
      const { governor, registry, admins, others } = await loadFixture(standardConsortium);
      const calls: [string, string][] = [
        [
          "admitParty",
          registry.interface.encodeFunctionData("admitParty", [
            { name: "Rogue", domain: Domain.Manufacturer, admin: others[0].address, voter: true, licences: [] },
          ]),
        ],
        ["setPartyStatus", registry.interface.encodeFunctionData("setPartyStatus", [5n, PartyStatus.Suspended])],
        ["suspendParty", registry.interface.encodeFunctionData("suspendParty", [5n])],
        ["setVoter", registry.interface.encodeFunctionData("setVoter", [5n, true])],
        [
          "setParameters",
          governor.interface.encodeFunctionData("setParameters", [{ votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: 0n }]),
        ],
        ["upgradeToAndCall", registry.interface.encodeFunctionData("upgradeToAndCall", [await registry.getAddress(), "0x"])],
        ["reserveAccount", registry.interface.encodeFunctionData("reserveAccount", [others[0].address, 2n ** 48n - 1n])],
      ];
      for (const [name, data] of calls) {
        const target = name === "setParameters" ? governor : registry;
        await expect(governor.connect(admins[1]).proposeCall(target, data), name)
          .to.be.revertedWithCustomError(governor, "GovernorUseTypedProposal")
          .withArgs(data.slice(0, 10));
      }
      expect(await governor.proposalCount()).to.equal(0n);
    });

    it("reverts when data shorter than a selector reaches a contract without a fallback (simulated, not mistaken for a typed selector)", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[1]).proposeCall(registry, "0x12"))
        .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
        .withArgs(await registry.getAddress(), "0x");
      expect(await governor.proposalCount()).to.equal(0n);
    });

    it("runs the call as the governor and undoes it: a call that would succeed is proposed, and nothing changes before it executes", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const data = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice]);
      const tx = governor.connect(admins[1]).proposeCall(registry, data);
      await expect(tx).to.emit(governor, "ProposalCreated");
      await expect(tx).not.to.emit(registry, "LicenceRevoked");
      expect((await registry.getLicence(5n, LicenceKind.GoodSupplyPractice)).revoked).to.equal(false);
      expect(await registry.isPartyActive(5n)).to.equal(true);
      await voteAll(governor, 1n, [admins[1], admins[2]]);
      await expect(governor.connect(admins[3]).vote(1n))
        .to.emit(registry, "LicenceRevoked")
        .withArgs(5n, LicenceKind.GoodSupplyPractice, 2n ** 48n - 1n, await governor.getAddress());
    });

    it("proposes a governor-only call (the simulation runs as the governor)", async function () {
      const { governor, registry, batchRegistry, admins } = await loadFixture(standardConsortium);
      const probe = await ethers.deployContract("MembershipMirrorProbe", [await registry.getAddress()]);
      const data = registry.interface.encodeFunctionData("attachMirror", [await probe.getAddress()]);
      await expect(governor.connect(admins[1]).proposeCall(registry, data)).to.emit(governor, "ProposalCreated");
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    });

    it("reverts with GovernorCallWouldFail carrying the target's revert data, creating no proposal", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const target = await registry.getAddress();
      const cases: [string, string][] = [
        [
          registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.Distribution]),
          registry.interface.encodeErrorResult("RegistryUnknownLicence", [5n, LicenceKind.Distribution]),
        ],
        [
          registry.interface.encodeFunctionData("detachMirror", [admins[7].address]),
          registry.interface.encodeErrorResult("RegistryUnknownMirror", [admins[7].address]),
        ],
        [
          registry.interface.encodeFunctionData("attachMirror", [admins[7].address]),
          registry.interface.encodeErrorResult("RegistryInvalidMirror", [admins[7].address]),
        ],
        [
          registry.interface.encodeFunctionData("setGovernor", [admins[7].address]),
          registry.interface.encodeErrorResult("RegistryGovernorAlreadySet", [await governor.getAddress()]),
        ],
      ];
      for (const [data, reason] of cases) {
        await expect(governor.connect(admins[1]).proposeCall(target, data), data.slice(0, 10))
          .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
          .withArgs(target, reason);
      }
      expect(await governor.proposalCount()).to.equal(0n);
    });

    it("reverts with GovernorCallWouldFail carrying the inner answer when the call is itself a simulation", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const registryAddress = await registry.getAddress();
      const governorAddress = await governor.getAddress();
      // A nested simulation of a call that would succeed: its answer names the inner call, not this one.
      const inner = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice]);
      const nested = governor.interface.encodeFunctionData("simulateCall", [registryAddress, inner]);
      await expect(governor.connect(admins[1]).proposeCall(governor, nested))
        .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
        .withArgs(governorAddress, governor.interface.encodeErrorResult("GovernorCallSimulated", [callId(registryAddress, inner)]));
      // Nested twice: still the innermost answer.
      const twice = governor.interface.encodeFunctionData("simulateCall", [governorAddress, nested]);
      await expect(governor.connect(admins[1]).proposeCall(governor, twice))
        .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
        .withArgs(governorAddress, governor.interface.encodeErrorResult("GovernorCallSimulated", [callId(registryAddress, inner)]));
      // A nested simulation of a call that would fail: the inner call's own error.
      const failing = registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.Distribution]);
      await expect(
        governor.connect(admins[1]).proposeCall(governor, governor.interface.encodeFunctionData("simulateCall", [registryAddress, failing])),
      )
        .to.be.revertedWithCustomError(governor, "GovernorCallWouldFail")
        .withArgs(governorAddress, registry.interface.encodeErrorResult("RegistryUnknownLicence", [5n, LicenceKind.Distribution]));
      expect(await governor.proposalCount()).to.equal(0n);
      expect((await registry.getLicence(5n, LicenceKind.GoodSupplyPractice)).revoked).to.equal(false);
    });

    it("accepts a call to the governor itself that succeeds (its answer names that call)", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const data = governor.interface.encodeFunctionData("proposalCount");
      await expect(governor.connect(admins[1]).proposeCall(governor, data)).to.emit(governor, "ProposalCreated");
      await voteAll(governor, 1n, [admins[1], admins[2]]);
      await expect(governor.connect(admins[3]).vote(1n))
        .to.emit(governor, "ProposalExecuted")
        .withArgs(1n, ethers.AbiCoder.defaultAbiCoder().encode(["uint256"], [1n]));
    });

    it("reverts with GovernorUseTypedProposal for reserveAccount, before simulating", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const data = registry.interface.encodeFunctionData("reserveAccount", [freshAccount(1), 2n ** 40n]);
      await expect(governor.connect(admins[1]).proposeCall(registry, data))
        .to.be.revertedWithCustomError(governor, "GovernorUseTypedProposal")
        .withArgs(registry.interface.getFunction("reserveAccount").selector);
      expect(await registry.reservedUntil(freshAccount(1))).to.equal(0n);
    });

    it("reverts when the target has no code", async function () {
      const { governor, admins, others } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).proposeCall(others[0].address, "0x1234"))
        .to.be.revertedWithCustomError(governor, "GovernorNotAContract")
        .withArgs(others[0].address);
      await expect(governor.connect(admins[0]).proposeCall(ethers.ZeroAddress, "0x"))
        .to.be.revertedWithCustomError(governor, "GovernorNotAContract")
        .withArgs(ethers.ZeroAddress);
    });

    describe("regulatorRequired for a regulator party's licences and keys, whatever the parameters", function () {
      /** The regulator party's licence (it has none at deployment), granted by the regulator itself. */
      async function licensedRegulator() {
        const c = await noRegulatorKinds();
        await c.registry.connect(c.admins[0]).grantLicence(1n, { kind: LicenceKind.Notarial, documentHash: DOC, issuer: 0n, expiresAt: LICENCE_EXPIRY });
        return c;
      }
      type Fx = Awaited<ReturnType<typeof licensedRegulator>>;
      const grantOf = (expiresAt: bigint) => ({ kind: LicenceKind.Notarial, documentHash: ethers.id("short"), issuer: 0n, expiresAt });
      /** The three calls on party `partyId` (which holds a Notarial licence); `key` is one of its members. */
      const calls = (fx: Fx, partyId: bigint, key: string): [string, string][] => [
        ["grantLicence", fx.registry.interface.encodeFunctionData("grantLicence", [partyId, grantOf(LICENCE_EXPIRY - YEAR)])],
        ["revokeLicence", fx.registry.interface.encodeFunctionData("revokeLicence", [partyId, LicenceKind.Notarial])],
        ["rotateMember", fx.registry.interface.encodeFunctionData("rotateMember", [partyId, key, freshAccount(9)])],
      ];

      it("is forced for grantLicence, revokeLicence and rotateMember on a regulator party", async function () {
        const fx = await loadFixture(licensedRegulator);
        expect((await fx.governor.parameters()).regulatorApprovalKinds).to.equal(0n);
        const target = await fx.registry.getAddress();
        for (const [name, data] of calls(fx, 1n, fx.admins[0].address)) {
          const tx = await fx.governor.connect(fx.admins[1]).proposeCall(fx.registry, data);
          const id = await fx.governor.proposalCount();
          await expect(tx, name)
            .to.emit(fx.governor, "ProposalCreated")
            .withArgs(id, ProposalKind.Call, 2n, fx.admins[1].address, target, data, 4n, 3n, true, BigInt(await time.latest()) + VOTING_PERIOD);
          expect((await fx.governor.getProposal(id)).regulatorRequired, name).to.equal(true);
        }
      });

      it("follows the parameters for the same calls on a non-regulator party", async function () {
        const fx = await loadFixture(licensedRegulator);
        await fx.registry.connect(fx.admins[0]).grantLicence(2n, { kind: LicenceKind.Notarial, documentHash: DOC, issuer: 0n, expiresAt: LICENCE_EXPIRY });
        for (const [name, data] of calls(fx, 2n, fx.admins[1].address)) {
          await fx.governor.connect(fx.admins[1]).proposeCall(fx.registry, data);
          expect((await fx.governor.getProposal(await fx.governor.proposalCount())).regulatorRequired, `${name}, no kind set`).to.equal(false);
        }
        // With the Call bit set, every Call needs the regulator, these included.
        await fx.governor.connect(fx.admins[1]).proposeParameters({ votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: mask(ProposalKind.Call) });
        const setKinds = await fx.governor.proposalCount();
        await voteAll(fx.governor, setKinds, [fx.admins[1], fx.admins[2], fx.admins[3]]);
        for (const [name, data] of calls(fx, 2n, fx.admins[1].address)) {
          await fx.governor.connect(fx.admins[1]).proposeCall(fx.registry, data);
          expect((await fx.governor.getProposal(await fx.governor.proposalCount())).regulatorRequired, `${name}, Call bit set`).to.equal(true);
        }
      });

      it("is not forced for other registry calls that name the regulator party", async function () {
        const fx = await loadFixture(licensedRegulator);
        const data = fx.registry.interface.encodeFunctionData("syncMirror", [await fx.batchRegistry.getAddress(), [1n], [fx.admins[0].address]]);
        await fx.governor.connect(fx.admins[1]).proposeCall(fx.registry, data);
        expect((await fx.governor.getProposal(1n)).regulatorRequired).to.equal(false);
      });

      for (const [index, name] of ["grantLicence", "revokeLicence", "rotateMember"].entries()) {
        it(`keeps the three others from executing ${name} on the regulator without it`, async function () {
          const fx = await loadFixture(licensedRegulator);
          const [, data] = calls(fx, 1n, fx.admins[0].address)[index];
          await fx.governor.connect(fx.admins[1]).proposeCall(fx.registry, data);
          for (const voter of fx.admins.slice(1, 4)) {
            await expect(fx.governor.connect(voter).vote(1n)).not.to.emit(fx.governor, "ProposalExecuted");
          }
          await expect(fx.governor.connect(fx.admins[3]).execute(1n))
            .to.be.revertedWithCustomError(fx.governor, "GovernorNotApproved")
            .withArgs(1n, 3n, 3n, false);
          const before = await fx.registry.getLicence(1n, LicenceKind.Notarial);
          expect(before.expiresAt).to.equal(LICENCE_EXPIRY);
          expect(before.revoked).to.equal(false);
          expect((await fx.registry.getParty(1n)).admin).to.equal(fx.admins[0].address);
          // The regulator's own approval executes it, as the governor.
          const tx = fx.governor.connect(fx.admins[0]).vote(1n);
          const governorAddress = await fx.governor.getAddress();
          if (name === "grantLicence") {
            await expect(tx)
              .to.emit(fx.registry, "LicenceGranted")
              .withArgs(1n, LicenceKind.Notarial, ethers.id("short"), 0n, LICENCE_EXPIRY - YEAR, LICENCE_EXPIRY - YEAR, governorAddress);
          } else if (name === "revokeLicence") {
            await expect(tx).to.emit(fx.registry, "LicenceRevoked").withArgs(1n, LicenceKind.Notarial, 2n ** 48n - 1n, governorAddress);
            expect(await fx.registry.isPartyActive(1n)).to.equal(false);
          } else {
            await expect(tx).to.emit(fx.registry, "MemberRotated").withArgs(1n, fx.admins[0].address, freshAccount(9), governorAddress);
            expect((await fx.registry.getParty(1n)).admin).to.equal(freshAccount(9));
          }
        });
      }

      it("is forced for any party in the Regulator domain, a non-voting one included", async function () {
        const fx = await loadFixture(licensedRegulator);
        // A second regulator party, admitted as a non-voter (AdmitParty needs no regulator here).
        const admin = fx.others[0];
        await fx.governor
          .connect(fx.admins[1])
          .proposeAdmission({ name: "Provincial MPA", domain: Domain.Regulator, admin: admin.address, voter: false, licences: [] });
        await voteAll(fx.governor, 1n, fx.admins.slice(1, 4));
        const data = fx.registry.interface.encodeFunctionData("rotateMember", [5n, admin.address, freshAccount(9)]);
        await fx.governor.connect(fx.admins[1]).proposeCall(fx.registry, data);
        expect((await fx.governor.getProposal(2n)).regulatorRequired).to.equal(true);
      });
    });
  });

  describe("access control of proposing and voting", function () {
    type Fx = Awaited<ReturnType<typeof accessFixture>>;
    const actions: { name: string; run: (fx: Fx, caller: HardhatEthersSigner) => Promise<unknown> }[] = [
      { name: "proposeAdmission", run: (fx, c) => fx.governor.connect(c).proposeAdmission(admission(freshAccount(7))) },
      { name: "proposePartyStatus", run: (fx, c) => fx.governor.connect(c).proposePartyStatus(5, PartyStatus.Suspended) },
      { name: "proposeVoter", run: (fx, c) => fx.governor.connect(c).proposeVoter(5, true) },
      {
        name: "proposeParameters",
        run: (fx, c) => fx.governor.connect(c).proposeParameters({ votingPeriod: HOUR, regulatorApprovalKinds: 0n }),
      },
      { name: "proposeUpgrade", run: (fx, c) => fx.governor.connect(c).proposeUpgrade(fx.registry, fx.governor) },
      {
        name: "proposeCall",
        run: (fx, c) =>
          fx.governor
            .connect(c)
            .proposeCall(fx.registry, fx.registry.interface.encodeFunctionData("revokeLicence", [5n, LicenceKind.GoodSupplyPractice])),
      },
      { name: "vote", run: (fx, c) => fx.governor.connect(c).vote(fx.proposalId) },
    ];

    for (const { name, run } of actions) {
      describe(name, function () {
        it("reverts when the caller is not a member", async function () {
          const fx = await loadFixture(accessFixture);
          await expect(run(fx, fx.stranger))
            .to.be.revertedWithCustomError(fx.registry, "RegistryNotMember")
            .withArgs(fx.stranger.address);
        });

        it("reverts when the caller is a member but not an admin", async function () {
          const fx = await loadFixture(accessFixture);
          await expect(run(fx, fx.operator))
            .to.be.revertedWithCustomError(fx.registry, "RegistryRoleNotAllowed")
            .withArgs(fx.operator.address, Role.Operator);
        });

        it("reverts when the caller is an admin of a party that does not vote", async function () {
          const fx = await loadFixture(accessFixture);
          await expect(run(fx, fx.admins[4])).to.be.revertedWithCustomError(fx.governor, "GovernorNotVoter").withArgs(5n);
        });

        it("reverts when the caller is the admin of a suspended voting party", async function () {
          const fx = await loadFixture(accessFixture);
          await expect(run(fx, fx.suspendedAdmin))
            .to.be.revertedWithCustomError(fx.registry, "RegistryPartyNotActive")
            .withArgs(3n, PartyStatus.Suspended);
        });

        it("reverts when the caller is another member of a suspended party", async function () {
          const fx = await loadFixture(accessFixture);
          await expect(run(fx, fx.suspendedOperator))
            .to.be.revertedWithCustomError(fx.registry, "RegistryPartyNotActive")
            .withArgs(3n, PartyStatus.Suspended);
        });

        it("reverts when the caller's party is revoked", async function () {
          const fx = await loadFixture(accessFixture);
          // Party 3 was suspended by the regulator alone, so it still counts (n = 4, threshold 3)
          // and none of the three active voters may leave. Parties 1, 2 and 4 make party 5 a voter
          // first; then 1, 2, 4 and 5 (threshold 4 of n = 5) revoke party 2, leaving 3 active
          // voters for n = 4.
          await fx.governor.connect(fx.admins[0]).proposeVoter(5, true);
          await voteAll(fx.governor, await fx.governor.proposalCount(), [fx.admins[0], fx.admins[1], fx.admins[3]]);
          await fx.governor.connect(fx.admins[0]).proposePartyStatus(2, PartyStatus.Revoked);
          const id = await fx.governor.proposalCount();
          await voteAll(fx.governor, id, [fx.admins[0], fx.admins[1], fx.admins[3], fx.admins[4]]);
          expect((await fx.registry.getParty(2)).status).to.equal(BigInt(PartyStatus.Revoked));
          await expect(run(fx, fx.admins[1]))
            .to.be.revertedWithCustomError(fx.registry, "RegistryPartyNotActive")
            .withArgs(2n, PartyStatus.Revoked);
        });

        it("is allowed for the admin of an active voting party", async function () {
          const fx = await loadFixture(accessFixture);
          await expect(run(fx, fx.admins[3])).not.to.revert(ethers);
        });
      });
    }
  });

  describe("vote", function () {
    it("records the approval, emits VoteCast and returns false below the threshold", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[1]);
      expect(await governor.connect(admins[1]).vote.staticCall(id)).to.equal(false);
      await expect(governor.connect(admins[1]).vote(id))
        .to.emit(governor, "VoteCast")
        .withArgs(id, 2n, admins[1].address, 1n)
        .and.not.to.emit(governor, "ProposalExecuted");
      await expect(governor.connect(admins[3]).vote(id)).to.emit(governor, "VoteCast").withArgs(id, 4n, admins[3].address, 2n);
      expect(await governor.hasVoted(id, 2)).to.equal(true);
      expect(await governor.hasVoted(id, 4)).to.equal(true);
      expect(await governor.hasVoted(id, 1)).to.equal(false);
      expect(await governor.hasVoted(id, 3)).to.equal(false);
      const p = await governor.getProposal(id);
      expect(p.approvals).to.equal(2n);
      expect(p.regulatorApproved).to.equal(false);
      expect(p.executed).to.equal(false);
    });

    it("marks the regulator's approval", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[1]);
      await governor.connect(admins[0]).vote(id);
      expect((await governor.getProposal(id)).regulatorApproved).to.equal(true);
    });

    it("reverts when the proposal is unknown", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await expect(governor.connect(admins[0]).vote(0))
        .to.be.revertedWithCustomError(governor, "GovernorUnknownProposal")
        .withArgs(0n);
      await proposeParams(governor, admins[0]);
      await expect(governor.connect(admins[0]).vote(2))
        .to.be.revertedWithCustomError(governor, "GovernorUnknownProposal")
        .withArgs(2n);
    });

    it("reverts when the party already voted", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      await governor.connect(admins[1]).vote(id);
      await expect(governor.connect(admins[1]).vote(id))
        .to.be.revertedWithCustomError(governor, "GovernorAlreadyVoted")
        .withArgs(id, 2n);
      expect((await governor.getProposal(id)).approvals).to.equal(1n);
    });

    it("reverts when a second admin of a party that voted votes", async function () {
      const { governor, registry, admins, others } = await loadFixture(standardConsortium);
      await registry.connect(admins[1]).addMember(2, others[0].address, Role.Admin);
      const id = await proposeParams(governor, admins[0]);
      await governor.connect(admins[1]).vote(id);
      await expect(governor.connect(others[0]).vote(id))
        .to.be.revertedWithCustomError(governor, "GovernorAlreadyVoted")
        .withArgs(id, 2n);
    });

    it("reverts when a rotated admin key votes again for its party", async function () {
      const { governor, registry, admins, others } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      await governor.connect(admins[1]).vote(id);
      await registry.connect(admins[1]).rotateMember(2, admins[1].address, others[0].address);
      await expect(governor.connect(others[0]).vote(id))
        .to.be.revertedWithCustomError(governor, "GovernorAlreadyVoted")
        .withArgs(id, 2n);
      await expect(governor.connect(admins[1]).vote(id))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(admins[1].address);
    });

    it("accepts a vote one second before expiry and reverts from expiry on", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      const { expiresAt } = await governor.getProposal(id);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await expect(governor.connect(admins[1]).vote(id)).to.emit(governor, "VoteCast");
      await time.setNextBlockTimestamp(expiresAt);
      await expect(governor.connect(admins[2]).vote(id))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExpired")
        .withArgs(id, expiresAt);
    });

    it("reverts after expiry even for the vote that would reach the threshold", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      await voteAll(governor, id, [admins[0], admins[1]]);
      await time.increase(VOTING_PERIOD);
      const { expiresAt } = await governor.getProposal(id);
      await expect(governor.connect(admins[2]).vote(id))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExpired")
        .withArgs(id, expiresAt);
      expect((await governor.parameters()).votingPeriod).to.equal(VOTING_PERIOD);
    });

    it("reverts when the voter's party is suspended", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0]);
      await registry.connect(admins[0]).suspendParty(4);
      await expect(governor.connect(admins[3]).vote(id))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(4n, PartyStatus.Suspended);
      expect(await governor.hasVoted(id, 4)).to.equal(false);
    });

    it("reverts when the voter's party is no longer a voter", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const early = await proposeParams(governor, admins[0]);
      await governor.connect(admins[0]).proposeVoter(4, false);
      const removal = await governor.proposalCount();
      await voteAll(governor, removal, [admins[0], admins[1], admins[2]]);
      await expect(governor.connect(admins[3]).vote(early)).to.be.revertedWithCustomError(governor, "GovernorNotVoter").withArgs(4n);
    });

    it("does not execute on approvals cast by parties that left the set: only those in force meet the threshold", async function () {
      const { governor, registry, admins } = await loadFixture(fiveVoters);
      const id = await proposeParams(governor, admins[0], HOUR);
      await voteAll(governor, id, [admins[2], admins[3], admins[4]]);
      // Governance unseats parties 4 and 5, both approvers: n = 3, threshold 3.
      const gov = await impersonate(await governor.getAddress());
      await registry.connect(gov).setVoter(5n, false);
      await registry.connect(gov).setVoter(4n, false);
      expect(await governor.currentThreshold()).to.equal(3n);
      expect(await governor.approvalsInForce(id)).to.deep.equal([1n, false]);
      // Party 2's approval makes 4 cast, 2 in force: it does not execute.
      expect(await governor.connect(admins[1]).vote.staticCall(id)).to.equal(false);
      await expect(governor.connect(admins[1]).vote(id))
        .to.emit(governor, "VoteCast")
        .withArgs(id, 2n, admins[1].address, 4n)
        .and.not.to.emit(governor, "ProposalExecuted");
      expect(await governor.approvalsInForce(id)).to.deep.equal([2n, false]);
      // The regulator's makes 3 in force: it executes.
      await expect(governor.connect(admins[0]).vote(id))
        .to.emit(governor, "VoteCast")
        .withArgs(id, 1n, admins[0].address, 5n)
        .and.to.emit(governor, "ProposalExecuted")
        .withArgs(id, "0x");
      expect((await governor.parameters()).votingPeriod).to.equal(HOUR);
    });

    it("keeps the approval of a party the regulator suspended on its own: it stays in n", async function () {
      // The regulator suspended it alone, so it still counts in n (4, threshold 3) and its
      // earlier approval stays in force.
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0], HOUR);
      await voteAll(governor, id, [admins[1], admins[2]]);
      await registry.connect(admins[0]).suspendParty(2);
      expect(await governor.approvalsInForce(id)).to.deep.equal([2n, false]);
      expect(await governor.currentThreshold()).to.equal(3n);
      await expect(governor.connect(admins[3]).vote(id)).to.emit(governor, "ProposalExecuted");
      expect((await governor.parameters()).votingPeriod).to.equal(HOUR);
    });

    for (const n of SIZES) {
      const t = threshold(n);
      it(`executes at exactly n − f = ${t} approvals and not at ${t - 1} (n = ${n})`, async function () {
        const { governor, admins } = await loadFixture(votersFixtures.get(n)!);
        expect(await governor.thresholdFor(n)).to.equal(BigInt(t));
        const tx = await governor.connect(admins[0]).proposeParameters({ votingPeriod: HOUR, regulatorApprovalKinds: 0n });
        await expect(tx).to.emit(governor, "ProposalCreated").withArgs(
          1n,
          ProposalKind.SetParameters,
          1n,
          admins[0].address,
          await governor.getAddress(),
          governor.interface.encodeFunctionData("setParameters", [{ votingPeriod: HOUR, regulatorApprovalKinds: 0n }]),
          BigInt(n),
          BigInt(t),
          false,
          BigInt(await time.latest()) + VOTING_PERIOD,
        );
        // Vote from the last party backwards, so that the regulator (party 1) votes last.
        const order = [...admins].reverse();
        for (let i = 0; i < t - 1; i++) {
          expect(await governor.connect(order[i]).vote.staticCall(1n), `vote ${i + 1}`).to.equal(false);
          await expect(governor.connect(order[i]).vote(1n))
            .to.emit(governor, "VoteCast")
            .withArgs(1n, BigInt(n - i), order[i].address, BigInt(i + 1))
            .and.not.to.emit(governor, "ProposalExecuted");
          expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Active));
        }
        expect((await governor.parameters()).votingPeriod, "not executed at t − 1").to.equal(VOTING_PERIOD);
        const last = order[t - 1];
        expect(await governor.connect(last).vote.staticCall(1n)).to.equal(true);
        await expect(governor.connect(last).vote(1n))
          .to.emit(governor, "VoteCast")
          .withArgs(1n, BigInt(n - t + 1), last.address, BigInt(t))
          .and.to.emit(governor, "ProposalExecuted")
          .withArgs(1n, "0x")
          .and.to.emit(governor, "ParametersChanged")
          .withArgs(HOUR, 0n);
        expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Executed));
        expect((await governor.parameters()).votingPeriod).to.equal(HOUR);
        // The f parties that did not vote can no longer vote on it.
        for (const late of order.slice(t)) {
          await expect(governor.connect(late).vote(1n))
            .to.be.revertedWithCustomError(governor, "GovernorProposalExecuted")
            .withArgs(1n);
        }
      });
    }

    it("does not pass a proposal created with 4 voters on 3 approvals after 3 voters joined: the threshold is taken at execution", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      const id = await proposeParams(governor, admins[0], HOUR);
      expect((await governor.getProposal(id)).threshold).to.equal(3n);
      // Logistics, pharmacy and laboratory join the voters, each through governance.
      const joins: [bigint, HardhatEthersSigner[]][] = [
        [5n, admins.slice(0, 3)],
        [6n, admins.slice(0, 4)],
        [7n, admins.slice(0, 5)],
      ];
      for (const [party, voters] of joins) {
        await governor.connect(admins[0]).proposeVoter(party, true);
        const join = await governor.proposalCount();
        await voteAll(governor, join, voters.slice(0, -1));
        await expect(governor.connect(voters[voters.length - 1]).vote(join)).to.emit(registry, "VoterChanged");
      }
      expect(await registry.thresholdVoterCount()).to.equal(7n);
      expect(await governor.currentThreshold()).to.equal(5n);
      await voteAll(governor, id, [admins[1], admins[2]]);
      expect(await governor.connect(admins[3]).vote.staticCall(id)).to.equal(false);
      await expect(governor.connect(admins[3]).vote(id)).not.to.emit(governor, "ProposalExecuted");
      await expect(governor.connect(admins[3]).execute(id))
        .to.be.revertedWithCustomError(governor, "GovernorNotApproved")
        .withArgs(id, 3n, 5n, false);
      expect((await governor.getProposal(id)).threshold, "the creation snapshot is kept").to.equal(3n);
      expect((await governor.parameters()).votingPeriod).to.equal(VOTING_PERIOD);
      await governor.connect(admins[4]).vote(id);
      await expect(governor.connect(admins[5]).vote(id))
        .to.emit(governor, "ProposalExecuted")
        .withArgs(id, "0x")
        .and.to.emit(governor, "ParametersChanged")
        .withArgs(HOUR, DEFAULT_KINDS);
    });

    it("executes exactly once", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      await governor.connect(admins[0]).proposeVoter(5, true);
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      const tx = await governor.connect(admins[2]).vote(1n);
      await expect(tx).to.emit(governor, "ProposalExecuted").withArgs(1n, "0x");
      await expect(tx).to.emit(registry, "VoterChanged").withArgs(5n, true, 5n);
      await expect(governor.connect(admins[3]).vote(1n))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExecuted")
        .withArgs(1n);
      // Even the newly added voter cannot vote on it again, nor anyone after expiry.
      await expect(governor.connect(admins[4]).vote(1n))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExecuted")
        .withArgs(1n);
      await time.increase(VOTING_PERIOD);
      await expect(governor.connect(admins[3]).vote(1n))
        .to.be.revertedWithCustomError(governor, "GovernorProposalExecuted")
        .withArgs(1n);
      const executed = await governor.queryFilter(governor.filters.ProposalExecuted(1n));
      expect(executed).to.have.length(1);
      const p = await governor.getProposal(1n);
      expect(p.executed).to.equal(true);
      expect(p.approvals).to.equal(3n);
      expect(await registry.activeVoterCount()).to.equal(5n);
    });

    describe("regulator approval", function () {
      it("does not execute an admission on the non-regulators' approvals until the regulator votes", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        const a = admission(freshAccount(1), { name: "Apotheke", voter: true });
        await governor.connect(admins[1]).proposeAdmission(a);
        for (const voter of [admins[1], admins[2], admins[3]]) {
          expect(await governor.connect(voter).vote.staticCall(1n)).to.equal(false);
          await expect(governor.connect(voter).vote(1n)).not.to.emit(governor, "ProposalExecuted");
        }
        const p = await governor.getProposal(1n);
        expect(p.approvals).to.equal(3n);
        expect(p.regulatorRequired).to.equal(true);
        expect(p.regulatorApproved).to.equal(false);
        expect(await registry.partyCount()).to.equal(8n);
        expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Active));

        expect(await governor.connect(admins[0]).vote.staticCall(1n)).to.equal(true);
        const tx = await governor.connect(admins[0]).vote(1n);
        const governorAddress = await governor.getAddress();
        await expect(tx).to.emit(governor, "VoteCast").withArgs(1n, 1n, admins[0].address, 4n);
        await expect(tx)
          .to.emit(governor, "ProposalExecuted")
          .withArgs(1n, ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [9n]));
        await expect(tx).to.emit(registry, "PartyAdmitted").withArgs(9n, Domain.Pharmacy, a.admin, true, "Apotheke");
        await expect(tx).to.emit(registry, "MemberAdded").withArgs(9n, a.admin, Role.Admin, governorAddress);
        await expect(tx)
          .to.emit(registry, "LicenceGranted")
          .withArgs(9n, LicenceKind.Distribution, DOC, 1n, LICENCE_EXPIRY, LICENCE_EXPIRY, governorAddress);
        expect(await registry.partyCount()).to.equal(9n);
        expect(await registry.activeVoterCount()).to.equal(5n);
        const party = await registry.getParty(9);
        expect(party.name).to.equal("Apotheke");
        expect(party.admin).to.equal(a.admin);
        expect(party.status).to.equal(BigInt(PartyStatus.Active));
      });

      it("executes as soon as the threshold is met when the regulator voted first", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[1]).proposeAdmission(admission(freshAccount(1)));
        await voteAll(governor, 1n, [admins[0], admins[1]]);
        expect(await governor.connect(admins[2]).vote.staticCall(1n)).to.equal(true);
        await expect(governor.connect(admins[2]).vote(1n)).to.emit(registry, "PartyAdmitted");
      });

      it("executes an admission without the regulator once the bit is cleared by a SetParameters proposal", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        // An admission proposed under the old parameters keeps needing the regulator.
        await governor.connect(admins[1]).proposeAdmission(admission(freshAccount(1)));
        const before = 1n;

        // SetParameters does not need the regulator: the three others clear the bit.
        await governor.connect(admins[1]).proposeParameters({ votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: 0n });
        await voteAll(governor, 2n, [admins[1], admins[2]]);
        await expect(governor.connect(admins[3]).vote(2n))
          .to.emit(governor, "ParametersChanged")
          .withArgs(VOTING_PERIOD, 0n);
        expect((await governor.parameters()).regulatorApprovalKinds).to.equal(0n);

        await governor.connect(admins[2]).proposeAdmission(admission(freshAccount(2)));
        const after = 3n;
        expect((await governor.getProposal(after)).regulatorRequired).to.equal(false);
        await voteAll(governor, after, [admins[1], admins[2]]);
        expect(await governor.connect(admins[3]).vote.staticCall(after)).to.equal(true);
        await expect(governor.connect(admins[3]).vote(after))
          .to.emit(registry, "PartyAdmitted")
          .withArgs(9n, Domain.Pharmacy, freshAccount(2), false, "New Pharmacy");

        // The earlier proposal's requirement was snapshotted.
        await voteAll(governor, before, [admins[1], admins[2]]);
        await expect(governor.connect(admins[3]).vote(before)).not.to.emit(governor, "ProposalExecuted");
        await expect(governor.connect(admins[0]).vote(before))
          .to.emit(registry, "PartyAdmitted")
          .withArgs(10n, Domain.Pharmacy, freshAccount(1), false, "New Pharmacy");
      });

      it("requires the regulator for every kind whose bit is set", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[1]).proposeParameters({ votingPeriod: VOTING_PERIOD, regulatorApprovalKinds: mask(ProposalKind.SetVoter) });
        await voteAll(governor, 1n, [admins[1], admins[2], admins[3]]);
        await governor.connect(admins[1]).proposeVoter(5, true);
        expect((await governor.getProposal(2n)).regulatorRequired).to.equal(true);
        await voteAll(governor, 2n, [admins[1], admins[2], admins[3]]);
        expect(await registry.isVoter(5)).to.equal(false);
        await expect(governor.connect(admins[0]).vote(2n)).to.emit(registry, "VoterChanged").withArgs(5n, true, 5n);
      });
    });

    describe("when the action reverts", function () {
      it("reverts with the action's error and leaves the proposal as it was", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        const admin = freshAccount(1);
        await governor.connect(admins[0]).proposeAdmission(admission(admin));
        await governor.connect(admins[0]).proposeAdmission(admission(admin, { name: "Twin" }));
        await voteAll(governor, 1n, [admins[0], admins[1], admins[2]]);
        expect(await registry.partyCount()).to.equal(9n);

        await voteAll(governor, 2n, [admins[0], admins[1]]);
        const before = await governor.getProposal(2n);
        await expect(governor.connect(admins[2]).vote(2n))
          .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
          .withArgs(admin, 9n);
        await expect(governor.connect(admins[2]).vote.staticCall(2n))
          .to.be.revertedWithCustomError(registry, "RegistryAccountTaken")
          .withArgs(admin, 9n);
        const after = await governor.getProposal(2n);
        expect(after.approvals).to.equal(before.approvals);
        expect(after.approvals).to.equal(2n);
        expect(after.executed).to.equal(false);
        expect(await governor.hasVoted(2n, 3)).to.equal(false);
        expect(await governor.proposalState(2n)).to.equal(BigInt(ProposalState.Active));
        expect(await registry.partyCount()).to.equal(9n);
      });

      it("reverts with the registry's error when an upgrade target is not UUPS", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        const registryImplBefore = await implementationOf(registry);
        // The governor proxy has code but is no implementation: proxiableUUID reverts through it.
        await governor.connect(admins[0]).proposeUpgrade(registry, governor);
        await voteAll(governor, 1n, [admins[0], admins[1]]);
        await expect(governor.connect(admins[2]).vote(1n))
          .to.be.revertedWithCustomError(registry, "ERC1967InvalidImplementation")
          .withArgs(await governor.getAddress());
        expect(await implementationOf(registry)).to.equal(registryImplBefore);
        expect((await governor.getProposal(1n)).executed).to.equal(false);
      });

      it("reverts with RegistryVoterUnchanged when the voter flag is already set", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[0]).proposeVoter(5, true);
        await governor.connect(admins[0]).proposeVoter(5, true);
        await voteAll(governor, 1n, [admins[0], admins[1], admins[2]]);
        expect(await registry.activeVoterCount()).to.equal(5n);
        // n is 5 now and proposal 2 needs the threshold in force when it executes (4), not
        // the 3 of its creation: the fourth approval executes it, and the action reverts.
        await voteAll(governor, 2n, [admins[0], admins[1], admins[2]]);
        expect((await governor.getProposal(2n)).executed).to.equal(false);
        await expect(governor.connect(admins[3]).vote(2n))
          .to.be.revertedWithCustomError(registry, "RegistryVoterUnchanged")
          .withArgs(5n, true);
      });
    });

    describe("when the action would leave the active voters short of the threshold", function () {
      const kinds: [string, (g: ConsortiumGovernor, proposer: HardhatEthersSigner) => Promise<unknown>, string][] = [
        ["suspend", (g, p) => g.connect(p).proposePartyStatus(2n, PartyStatus.Suspended), "PartyStatusChanged"],
        ["revoke", (g, p) => g.connect(p).proposePartyStatus(2n, PartyStatus.Revoked), "PartyStatusChanged"],
        ["unseat", (g, p) => g.connect(p).proposeVoter(2n, false), "VoterChanged"],
      ];
      for (const [name, propose, event] of kinds) {
        it(`reverts the executing vote of a ${name} proposal made before the regulator's own suspension`, async function () {
          const { governor, registry, admins } = await loadFixture(standardConsortium);
          await propose(governor, admins[1]); // allowed now: A = 4, R = 0
          await registry.connect(admins[0]).suspendParty(4n); // A = 3, R = 1: threshold still 3
          await voteAll(governor, 1n, [admins[0], admins[1]]);
          await expect(governor.connect(admins[2]).vote(1n))
            .to.be.revertedWithCustomError(registry, "RegistryThresholdUnreachable")
            .withArgs(2n, 2n, 3n);
          expect(await governor.hasVoted(1n, 3n)).to.equal(false);
          expect((await governor.getProposal(1n)).approvals).to.equal(2n);
          expect(await registry.activeVoterCount()).to.equal(3n);
          // Reinstating party 4 (parties 1, 2, 3) lets the third approval execute it.
          await governor.connect(admins[0]).proposePartyStatus(4n, PartyStatus.Active);
          await voteAll(governor, 2n, admins.slice(0, 3));
          await expect(governor.connect(admins[2]).vote(1n)).to.emit(registry, event);
          expect(await registry.activeVoterCount()).to.equal(3n);
          expect(await governor.currentThreshold()).to.equal(3n);
        });
      }
    });

    describe("executing party-status proposals", function () {
      it("suspends a party through a SuspendParty proposal", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[1]).proposePartyStatus(4, PartyStatus.Suspended);
        await voteAll(governor, 1n, [admins[1], admins[2]]);
        await expect(governor.connect(admins[0]).vote(1n))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(4n, PartyStatus.Active, PartyStatus.Suspended, await governor.getAddress());
        expect(await registry.activeVoterCount()).to.equal(3n);
        expect(await registry.isPartyActive(4)).to.equal(false);
      });

      it("lets the regulator suspend at once but reinstates only through a ReinstateParty proposal", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await expect(registry.connect(admins[0]).suspendParty(2))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(2n, PartyStatus.Active, PartyStatus.Suspended, admins[0].address);
        expect(await registry.activeVoterCount()).to.equal(3n);

        await expect(registry.connect(admins[0]).setPartyStatus(2, PartyStatus.Active))
          .to.be.revertedWithCustomError(registry, "RegistryOnlyGovernor")
          .withArgs(admins[0].address);
        await expect(governor.connect(admins[1]).proposePartyStatus(2, PartyStatus.Active))
          .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
          .withArgs(2n, PartyStatus.Suspended);

        const tx = await governor.connect(admins[0]).proposePartyStatus(2, PartyStatus.Active);
        await expect(tx)
          .to.emit(governor, "ProposalCreated")
          .withArgs(
            1n,
            ProposalKind.ReinstateParty,
            1n,
            admins[0].address,
            await registry.getAddress(),
            registry.interface.encodeFunctionData("setPartyStatus", [2n, PartyStatus.Active]),
            4n, // the voter the regulator suspended alone still counts in n
            3n,
            false,
            BigInt(await time.latest()) + VOTING_PERIOD,
          );
        await voteAll(governor, 1n, [admins[0], admins[2]]);
        expect(await registry.isPartyActive(2)).to.equal(false);
        await expect(governor.connect(admins[3]).vote(1n))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(2n, PartyStatus.Suspended, PartyStatus.Active, await governor.getAddress());
        expect(await registry.activeVoterCount()).to.equal(4n);
        // The reinstated party votes again.
        const id = await proposeParams(governor, admins[1]);
        await expect(governor.connect(admins[1]).vote(id)).to.emit(governor, "VoteCast").withArgs(id, 2n, admins[1].address, 1n);
      });

      it("revokes a party through a RevokeParty proposal, for good", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[0]).proposePartyStatus(3, PartyStatus.Revoked);
        await voteAll(governor, 1n, [admins[0], admins[1]]);
        await expect(governor.connect(admins[3]).vote(1n))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(3n, PartyStatus.Active, PartyStatus.Revoked, await governor.getAddress());
        expect(await registry.activeVoterCount()).to.equal(3n);

        // Reinstating a revoked party cannot even be proposed: Revoked is final.
        await expect(governor.connect(admins[0]).proposePartyStatus(3, PartyStatus.Active))
          .to.be.revertedWithCustomError(registry, "RegistryInvalidStatusTransition")
          .withArgs(3n, PartyStatus.Revoked, PartyStatus.Active);
      });

      it("revokes a suspended non-voting party", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await registry.connect(admins[0]).suspendParty(6);
        await governor.connect(admins[0]).proposePartyStatus(6, PartyStatus.Revoked);
        await voteAll(governor, 1n, [admins[0], admins[1]]);
        await expect(governor.connect(admins[3]).vote(1n))
          .to.emit(registry, "PartyStatusChanged")
          .withArgs(6n, PartyStatus.Suspended, PartyStatus.Revoked, await governor.getAddress());
        expect(await registry.activeVoterCount()).to.equal(4n);
      });
    });

    describe("executing SetVoter proposals", function () {
      it("changes activeVoterCount, and the threshold of every proposal that executes afterwards", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        const earlier = await proposeParams(governor, admins[0], HOUR);
        await governor.connect(admins[0]).proposeVoter(5, true);
        const addVoter = await governor.proposalCount();
        await voteAll(governor, addVoter, [admins[0], admins[1]]);
        await expect(governor.connect(admins[2]).vote(addVoter)).to.emit(registry, "VoterChanged").withArgs(5n, true, 5n);
        expect(await registry.activeVoterCount()).to.equal(5n);
        expect(await registry.isVoter(5)).to.equal(true);

        const laterParams = { votingPeriod: 2n * HOUR, regulatorApprovalKinds: DEFAULT_KINDS };
        const tx = await governor.connect(admins[4]).proposeParameters(laterParams);
        const later = await governor.proposalCount();
        await expect(tx)
          .to.emit(governor, "ProposalCreated")
          .withArgs(
            later,
            ProposalKind.SetParameters,
            5n,
            admins[4].address,
            await governor.getAddress(),
            governor.interface.encodeFunctionData("setParameters", [laterParams]),
            5n,
            4n,
            false,
            BigInt(await time.latest()) + VOTING_PERIOD,
          );
        // ProposalCreated's threshold is the creation snapshot; execution takes the one in force.
        expect((await governor.getProposal(earlier)).threshold).to.equal(3n);
        expect((await governor.getProposal(later)).threshold).to.equal(4n);
        expect(await governor.currentThreshold()).to.equal(4n);

        // The earlier proposal no longer passes on 3 approvals (the new voter among them): it needs 4.
        await voteAll(governor, earlier, [admins[4], admins[1]]);
        expect(await governor.connect(admins[2]).vote.staticCall(earlier)).to.equal(false);
        await expect(governor.connect(admins[2]).vote(earlier)).not.to.emit(governor, "ProposalExecuted");
        await expect(governor.connect(admins[3]).vote(earlier)).to.emit(governor, "ParametersChanged").withArgs(HOUR, DEFAULT_KINDS);

        // The later one needs 4 as well.
        await voteAll(governor, later, [admins[4], admins[1], admins[2]]);
        expect((await governor.parameters()).votingPeriod).to.equal(HOUR);
        await expect(governor.connect(admins[3]).vote(later))
          .to.emit(governor, "ParametersChanged")
          .withArgs(2n * HOUR, DEFAULT_KINDS);
      });

      it("removes voters: the count drops and every proposal executing afterwards needs the lower threshold", async function () {
        const { governor, registry, admins } = await loadFixture(votersFixtures.get(7)!);
        const earlier = await proposeParams(governor, admins[0], HOUR);
        expect((await governor.getProposal(earlier)).threshold).to.equal(5n);
        await governor.connect(admins[0]).proposeVoter(7, false);
        await governor.connect(admins[0]).proposeVoter(6, false);
        await voteAll(governor, 2n, admins.slice(0, 4));
        await expect(governor.connect(admins[4]).vote(2n)).to.emit(registry, "VoterChanged").withArgs(7n, false, 6n);
        await voteAll(governor, 3n, admins.slice(0, 4));
        await expect(governor.connect(admins[4]).vote(3n)).to.emit(registry, "VoterChanged").withArgs(6n, false, 5n);
        expect(await registry.activeVoterCount()).to.equal(5n);

        const later = await proposeParams(governor, admins[0], 2n * HOUR);
        expect((await governor.getProposal(later)).threshold).to.equal(4n);
        expect((await governor.getProposal(earlier)).threshold).to.equal(5n);
        await voteAll(governor, later, admins.slice(0, 3));
        await expect(governor.connect(admins[3]).vote(later))
          .to.emit(governor, "ParametersChanged")
          .withArgs(2n * HOUR, DEFAULT_KINDS);
        // The earlier proposal (created with threshold 5) now needs the 4 of the voter set in force.
        await voteAll(governor, earlier, admins.slice(0, 3));
        expect((await governor.parameters()).votingPeriod).to.equal(2n * HOUR);
        await expect(governor.connect(admins[3]).vote(earlier))
          .to.emit(governor, "ParametersChanged")
          .withArgs(HOUR, DEFAULT_KINDS);
        expect((await governor.getProposal(earlier)).approvals).to.equal(4n);
      });

      it("refuses to propose a suspended party as voter (checked at creation)", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await registry.connect(admins[0]).suspendParty(5);
        await expect(governor.connect(admins[0]).proposeVoter(5, true))
          .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
          .withArgs(5n, PartyStatus.Suspended);
        expect(await governor.proposalCount()).to.equal(0n);
      });

      it("reverts at execution when the party was suspended after the proposal", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[0]).proposeVoter(5, true);
        await registry.connect(admins[0]).suspendParty(5);
        await voteAll(governor, 1n, [admins[0], admins[1]]);
        await expect(governor.connect(admins[2]).vote(1n))
          .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
          .withArgs(5n, PartyStatus.Suspended);
        expect(await registry.activeVoterCount()).to.equal(4n);
        expect(await governor.hasVoted(1n, 3n)).to.equal(false);
      });

      it("refuses to remove the last active voter", async function () {
        const { governor, registry, admins } = await loadFixture(votersFixtures.get(1)!);
        await expect(governor.connect(admins[0]).proposeVoter(1, false))
          .to.be.revertedWithCustomError(registry, "RegistryLastActiveVoter")
          .withArgs(1n);
      });
    });

    describe("executing Upgrade proposals", function () {
      it("upgrades the registry proxy and keeps its state", async function () {
        const { governor, registry, admins, registryImpl } = await loadFixture(upgradeFixture);
        const oldImpl = await implementationOf(registry);
        const newImpl = await registryImpl.getAddress();
        expect(newImpl).not.to.equal(oldImpl);
        const before = {
          partyCount: await registry.partyCount(),
          voters: await registry.activeVoterCount(),
          governor: await registry.governor(),
          party: await registry.getParty(2),
          member: await registry.getMember(admins[1].address),
          licence: await registry.getLicence(2, LicenceKind.Manufacturing),
        };
        await governor.connect(admins[0]).proposeUpgrade(registry, registryImpl);
        await voteAll(governor, 1n, [admins[0], admins[1]]);
        const tx = await governor.connect(admins[2]).vote(1n);
        await expect(tx).to.emit(registry, "Upgraded").withArgs(newImpl);
        await expect(tx).to.emit(governor, "ProposalExecuted").withArgs(1n, "0x");
        expect(await implementationOf(registry)).to.equal(newImpl);
        expect(await registry.partyCount()).to.equal(before.partyCount);
        expect(await registry.activeVoterCount()).to.equal(before.voters);
        expect(await registry.governor()).to.equal(before.governor);
        expect([...(await registry.getParty(2))]).to.deep.equal([...before.party]);
        expect([...(await registry.getMember(admins[1].address))]).to.deep.equal([...before.member]);
        expect([...(await registry.getLicence(2, LicenceKind.Manufacturing))]).to.deep.equal([...before.licence]);
        // Governance still works on the new implementation.
        await governor.connect(admins[0]).proposeVoter(5, true);
        await voteAll(governor, 2n, [admins[0], admins[1]]);
        await expect(governor.connect(admins[2]).vote(2n)).to.emit(registry, "VoterChanged").withArgs(5n, true, 5n);
      });

      it("upgrades the governor's own proxy and keeps its state", async function () {
        const { governor, registry, admins, governorImpl } = await loadFixture(upgradeFixture);
        const oldImpl = await implementationOf(governor);
        const newImpl = await governorImpl.getAddress();
        expect(newImpl).not.to.equal(oldImpl);
        const pending = await proposeParams(governor, admins[0], HOUR);
        await governor.connect(admins[1]).vote(pending);
        await governor.connect(admins[0]).proposeUpgrade(governor, governorImpl);
        const upgrade = await governor.proposalCount();
        await voteAll(governor, upgrade, [admins[0], admins[1]]);
        const tx = await governor.connect(admins[2]).vote(upgrade);
        await expect(tx).to.emit(governor, "Upgraded").withArgs(newImpl);
        await expect(tx).to.emit(governor, "ProposalExecuted").withArgs(upgrade, "0x");
        expect(await implementationOf(governor)).to.equal(newImpl);

        expect(await governor.registry()).to.equal(await registry.getAddress());
        expect(await governor.proposalCount()).to.equal(upgrade);
        expect((await governor.parameters()).votingPeriod).to.equal(VOTING_PERIOD);
        expect((await governor.parameters()).regulatorApprovalKinds).to.equal(DEFAULT_KINDS);
        expect(await governor.proposalState(upgrade)).to.equal(BigInt(ProposalState.Executed));
        expect(await governor.hasVoted(pending, 2)).to.equal(true);
        expect((await governor.getProposal(pending)).approvals).to.equal(1n);
        // The pending proposal completes on the new implementation.
        await voteAll(governor, pending, [admins[2]]);
        await expect(governor.connect(admins[3]).vote(pending)).to.emit(governor, "ParametersChanged").withArgs(HOUR, DEFAULT_KINDS);
      });
    });

    describe("executing Call proposals", function () {
      it("calls registry.grantLicence as the governor", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        const grant = {
          kind: LicenceKind.GoodSupplyPractice,
          documentHash: ethers.id("renewed"),
          issuer: 0n,
          expiresAt: LICENCE_EXPIRY + 1000n,
        };
        const data = registry.interface.encodeFunctionData("grantLicence", [6n, grant]);
        await governor.connect(admins[1]).proposeCall(registry, data);
        await voteAll(governor, 1n, [admins[1], admins[2]]);
        const tx = await governor.connect(admins[3]).vote(1n);
        await expect(tx)
          .to.emit(registry, "LicenceGranted")
          .withArgs(6n, LicenceKind.GoodSupplyPractice, ethers.id("renewed"), 0n, LICENCE_EXPIRY + 1000n, LICENCE_EXPIRY, await governor.getAddress());
        await expect(tx).to.emit(governor, "ProposalExecuted").withArgs(1n, "0x");
        const licence = await registry.getLicence(6, LicenceKind.GoodSupplyPractice);
        expect(licence.issuer).to.equal(0n);
        expect(licence.documentHash).to.equal(ethers.id("renewed"));
      });

      it("returns the call's result in ProposalExecuted", async function () {
        const { governor, registry, admins } = await loadFixture(standardConsortium);
        await governor.connect(admins[1]).proposeCall(registry, registry.interface.encodeFunctionData("partyCount"));
        await voteAll(governor, 1n, [admins[1], admins[2]]);
        await expect(governor.connect(admins[3]).vote(1n))
          .to.emit(governor, "ProposalExecuted")
          .withArgs(1n, ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [8n]));
      });
    });
  });

  describe("setParameters", function () {
    it("reverts when called by any account but the governor", async function () {
      const { governor, admins, deployer, others } = await loadFixture(standardConsortium);
      for (const caller of [admins[0], admins[1], admins[4], deployer, others[0]]) {
        await expect(governor.connect(caller).setParameters({ votingPeriod: HOUR, regulatorApprovalKinds: 0n }))
          .to.be.revertedWithCustomError(governor, "GovernorOnlySelf")
          .withArgs(caller.address);
      }
    });

    it("sets the parameters through an executed proposal; later proposals use the new period", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      const kinds = mask(ProposalKind.AdmitParty, ProposalKind.Upgrade);
      await governor.connect(admins[0]).proposeParameters({ votingPeriod: HOUR, regulatorApprovalKinds: kinds });
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      await expect(governor.connect(admins[2]).vote(1n)).to.emit(governor, "ParametersChanged").withArgs(HOUR, kinds);
      const params = await governor.parameters();
      expect(params.votingPeriod).to.equal(HOUR);
      expect(params.regulatorApprovalKinds).to.equal(kinds);

      await governor.connect(admins[0]).proposeUpgrade(governor, governor);
      const p = await governor.getProposal(2n);
      expect(p.expiresAt).to.equal(BigInt(await time.latest()) + HOUR);
      expect(p.regulatorRequired).to.equal(true);
    });
  });

  describe("upgradeToAndCall", function () {
    it("reverts GovernorOnlySelf when called directly, by anyone", async function () {
      const { governor, admins, deployer, others, governorImpl } = await loadFixture(upgradeFixture);
      for (const caller of [admins[0], admins[1], deployer, others[0]]) {
        await expect(governor.connect(caller).upgradeToAndCall(governorImpl, "0x"))
          .to.be.revertedWithCustomError(governor, "GovernorOnlySelf")
          .withArgs(caller.address);
      }
    });

    it("reverts on the implementation (not through a proxy)", async function () {
      const { governorImpl, admins } = await loadFixture(upgradeFixture);
      await expect(
        governorImpl.connect(admins[0]).upgradeToAndCall(governorImpl, "0x"),
      ).to.be.revertedWithCustomError(governorImpl, "UUPSUnauthorizedCallContext");
    });
  });

  describe("proxiableUUID", function () {
    it("answers the ERC-1967 slot on the implementation and reverts through the proxy", async function () {
      const { governor, governorImpl } = await loadFixture(upgradeFixture);
      expect(await governorImpl.proxiableUUID()).to.equal(IMPLEMENTATION_SLOT);
      await expect(governor.proxiableUUID()).to.be.revertedWithCustomError(governor, "UUPSUnauthorizedCallContext");
    });
  });

  describe("proposalState", function () {
    it("goes None → Active → Executed", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.None));
      await proposeParams(governor, admins[0]);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Active));
      await voteAll(governor, 1n, [admins[0], admins[1]]);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Active));
      await governor.connect(admins[2]).vote(1n);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Executed));
      // An executed proposal stays Executed after its voting period.
      await time.increase(2n * VOTING_PERIOD);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Executed));
    });

    it("goes Active → Expired at expiresAt", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await proposeParams(governor, admins[0]);
      await governor.connect(admins[0]).vote(1n);
      const { expiresAt } = await governor.getProposal(1n);
      await time.increaseTo(expiresAt - 1n);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Active));
      await time.increaseTo(expiresAt);
      expect(await governor.proposalState(1n)).to.equal(BigInt(ProposalState.Expired));
    });

    it("is None for an unknown id", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      await proposeParams(governor, admins[0]);
      expect(await governor.proposalState(0n)).to.equal(BigInt(ProposalState.None));
      expect(await governor.proposalState(2n)).to.equal(BigInt(ProposalState.None));
      expect(await governor.proposalState(ethers.MaxUint256)).to.equal(BigInt(ProposalState.None));
    });
  });

  describe("getProposal", function () {
    it("reverts when the proposal is unknown", async function () {
      const { governor } = await loadFixture(standardConsortium);
      await expect(governor.getProposal(1n)).to.be.revertedWithCustomError(governor, "GovernorUnknownProposal").withArgs(1n);
      await expect(governor.getProposal(0n)).to.be.revertedWithCustomError(governor, "GovernorUnknownProposal").withArgs(0n);
    });
  });

  describe("hasVoted", function () {
    it("is false for an unknown proposal or a party that did not vote", async function () {
      const { governor, admins } = await loadFixture(standardConsortium);
      expect(await governor.hasVoted(1n, 1)).to.equal(false);
      await proposeParams(governor, admins[0]);
      await governor.connect(admins[0]).vote(1n);
      expect(await governor.hasVoted(1n, 1)).to.equal(true);
      expect(await governor.hasVoted(1n, 2)).to.equal(false);
      expect(await governor.hasVoted(2n, 1)).to.equal(false);
    });
  });

  describe("registry, parameters, proposalCount", function () {
    it("answer the deployment's values", async function () {
      const { governor, registry, admins } = await loadFixture(standardConsortium);
      expect(await governor.registry()).to.equal(await registry.getAddress());
      const params = await governor.parameters();
      expect(params.votingPeriod).to.equal(VOTING_PERIOD);
      expect(params.regulatorApprovalKinds).to.equal(DEFAULT_KINDS);
      expect(await governor.proposalCount()).to.equal(0n);
      await proposeParams(governor, admins[0]);
      await proposeParams(governor, admins[1]);
      expect(await governor.proposalCount()).to.equal(2n);
    });
  });
});
