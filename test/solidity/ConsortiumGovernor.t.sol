// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IERC1967} from "@openzeppelin/contracts/interfaces/IERC1967.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

import {ConsortiumGovernor} from "../../contracts/governance/ConsortiumGovernor.sol";
import {ConsortiumRegistry} from "../../contracts/identity/ConsortiumRegistry.sol";
import {IConsortiumGovernor} from "../../contracts/interfaces/IConsortiumGovernor.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {GovernanceFixture, partyAdmin} from "./utils/GovernanceFixture.sol";
import {TestBase} from "./utils/Vm.sol";

/**
 * @title ConsortiumGovernorTest
 * @notice Unit and fuzz tests of the governor. `setUp` deploys four voters (party 1
 * the regulator) and two non-voting logistics parties (5, 6); the `_n1/_n4/_n7`
 * tests redeploy with that many voters.
 */
contract ConsortiumGovernorTest is GovernanceFixture {
    bytes32 private constant _IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    IConsortiumRegistry.PartyStatus private constant ACTIVE = IConsortiumRegistry.PartyStatus.Active;
    IConsortiumRegistry.PartyStatus private constant SUSPENDED = IConsortiumRegistry.PartyStatus.Suspended;
    IConsortiumRegistry.PartyStatus private constant REVOKED = IConsortiumRegistry.PartyStatus.Revoked;

    function setUp() public {
        _deploy(4, 2);
    }

    // ==== initialize ====

    function test_initialize_setsRegistryAndParameters() public view {
        _assertEq(address(governor.registry()), address(registry), "registry");
        IConsortiumGovernor.Parameters memory p = governor.parameters();
        _assertEq(p.votingPeriod, VOTING_PERIOD, "voting period");
        _assertEq(p.regulatorApprovalKinds, ADMIT_ONLY, "regulator kinds");
        _assertEq(registry.governor(), address(governor), "registry's governor");
    }

    function test_initialize_revertsOnZeroRegistry() public {
        bytes memory init = abi.encodeCall(
            ConsortiumGovernor.initialize,
            (IConsortiumRegistry(address(0)), _params(VOTING_PERIOD, 0))
        );
        _expectRevert(IConsortiumGovernor.GovernorZeroAddress.selector);
        new ERC1967Proxy(address(governorImpl), init);
    }

    function test_initialize_revertsOnInvalidVotingPeriod() public {
        bytes memory init = abi.encodeCall(ConsortiumGovernor.initialize, (registry, _params(1 hours - 1, 0)));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorInvalidVotingPeriod.selector, 1 hours - 1));
        new ERC1967Proxy(address(governorImpl), init);
    }

    function test_initialize_revertsWhenCalledAgain() public {
        _expectRevert(Initializable.InvalidInitialization.selector);
        governor.initialize(registry, _params(VOTING_PERIOD, 0));
    }

    function test_initialize_revertsOnImplementation() public {
        _expectRevert(Initializable.InvalidInitialization.selector);
        governorImpl.initialize(registry, _params(VOTING_PERIOD, 0));
    }

    // ==== thresholdFor ====

    function test_thresholdFor_table() public view {
        uint8[11] memory expected = [0, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7];
        for (uint256 n = 0; n <= 10; ++n) {
            _assertEq(governor.thresholdFor(n), expected[n], "thresholdFor(n)");
        }
    }

    /// The threshold is n − ⌊(n−1)/3⌋, which is the least t with 3t > 2n.
    function testFuzz_thresholdFor_isLeastSupermajority(uint256 n) public view {
        n = _bound(n, 1, type(uint128).max);
        uint256 t = governor.thresholdFor(n);
        _assertEq(t, n - (n - 1) / 3, "formula");
        _assertTrue(t <= n, "t <= n");
        _assertTrue(3 * t > 2 * n, "more than two thirds");
        _assertTrue(3 * (t - 1) <= 2 * n, "least such t");
    }

    // ==== proposeAdmission ====

    function test_proposeAdmission_storesProposalThatNeedsTheRegulator() public {
        IConsortiumRegistry.PartyAdmission memory a = _admission(address(0x9001));
        bytes memory data = abi.encodeCall(IConsortiumRegistry.admitParty, (a));
        uint48 expiresAt = uint48(block.timestamp) + VOTING_PERIOD;
        vm.expectEmit(address(governor));
        emit IConsortiumGovernor.ProposalCreated(
            1,
            IConsortiumGovernor.ProposalKind.AdmitParty,
            2,
            _admin(2),
            address(registry),
            data,
            4,
            3,
            true,
            expiresAt
        );
        vm.prank(_admin(2));
        uint256 id = governor.proposeAdmission(a);
        _assertEq(id, 1, "id");
        IConsortiumGovernor.Proposal memory p = governor.getProposal(id);
        _assertEq(uint8(p.kind), uint8(IConsortiumGovernor.ProposalKind.AdmitParty), "kind");
        _assertEq(p.proposerParty, 2, "proposer party");
        _assertEq(p.threshold, 3, "threshold");
        _assertTrue(p.regulatorRequired, "regulator required");
        _assertEq(p.target, address(registry), "target");
        _assertTrue(keccak256(p.data) == keccak256(data), "data");
    }

    function test_proposeAdmission_revertsOnEmptyName() public {
        IConsortiumRegistry.PartyAdmission memory a = _admission(address(0x9001));
        a.name = "";
        vm.prank(_admin(1));
        _expectRevert(IConsortiumRegistry.RegistryEmptyName.selector);
        governor.proposeAdmission(a);
    }

    function test_proposeAdmission_revertsOnTakenAccount() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountTaken.selector, _admin(5), 5));
        governor.proposeAdmission(_admission(_admin(5)));
    }

    function test_proposeAdmission_revertsOnUnknownIssuer() public {
        IConsortiumRegistry.PartyAdmission memory a = _admission(address(0x9001));
        a.licences = new IConsortiumRegistry.LicenceGrant[](1);
        a.licences[0] = IConsortiumRegistry.LicenceGrant({
            kind: IConsortiumRegistry.LicenceKind.Distribution,
            documentHash: keccak256("doc"),
            issuer: 42,
            expiresAt: uint48(block.timestamp + 365 days)
        });
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownParty.selector, 42));
        governor.proposeAdmission(a);
    }

    // ==== proposePartyStatus ====

    function test_proposePartyStatus_mapsStatusToKind() public {
        vm.startPrank(_admin(1));
        registry.suspendParty(6); // only a suspended party can be proposed for reinstatement
        uint256 s = governor.proposePartyStatus(5, SUSPENDED);
        uint256 r = governor.proposePartyStatus(6, ACTIVE);
        uint256 v = governor.proposePartyStatus(5, REVOKED);
        vm.stopPrank();
        _assertEq(uint8(governor.getProposal(s).kind), uint8(IConsortiumGovernor.ProposalKind.SuspendParty), "suspend");
        _assertEq(
            uint8(governor.getProposal(r).kind),
            uint8(IConsortiumGovernor.ProposalKind.ReinstateParty),
            "reinstate"
        );
        _assertEq(uint8(governor.getProposal(v).kind), uint8(IConsortiumGovernor.ProposalKind.RevokeParty), "revoke");
    }

    function test_proposePartyStatus_revertsOnInvalidStatus() public {
        vm.prank(_admin(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGovernor.GovernorInvalidStatus.selector,
                IConsortiumRegistry.PartyStatus.None
            )
        );
        governor.proposePartyStatus(5, IConsortiumRegistry.PartyStatus.None);
    }

    function test_proposePartyStatus_revertsOnUnknownParty() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownParty.selector, 7));
        governor.proposePartyStatus(7, SUSPENDED);
    }

    // ==== proposeVoter ====

    function test_proposeVoter_revertsOnUnknownParty() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownParty.selector, 0));
        governor.proposeVoter(0, true);
    }

    function test_proposeVoter_snapshotsThreshold_n1() public {
        _checkThresholdSnapshot(1);
    }

    function test_proposeVoter_snapshotsThreshold_n4() public {
        _checkThresholdSnapshot(4);
    }

    function test_proposeVoter_snapshotsThreshold_n7() public {
        _checkThresholdSnapshot(7);
    }

    // ==== proposeParameters / setParameters ====

    function test_proposeParameters_revertsOnInvalidVotingPeriod() public {
        vm.startPrank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorInvalidVotingPeriod.selector, 0));
        governor.proposeParameters(_params(0, 0));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorInvalidVotingPeriod.selector, 365 days + 1));
        governor.proposeParameters(_params(365 days + 1, 0));
        vm.stopPrank();
    }

    function test_setParameters_revertsWhenNotSelf() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, _admin(1)));
        governor.setParameters(_params(1 hours, 0));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, address(this)));
        governor.setParameters(_params(1 hours, 0));
    }

    function test_setParameters_throughProposal() public {
        uint256 id = _proposeParams(1, 1 hours);
        _voteRange(id, 1, 2);
        vm.expectEmit(address(governor));
        emit IConsortiumGovernor.ParametersChanged(1 hours, ADMIT_ONLY);
        _assertTrue(_vote(3, id), "executed");
        _assertEq(governor.parameters().votingPeriod, 1 hours, "period");
    }

    // ==== proposeUpgrade / upgradeToAndCall ====

    function test_proposeUpgrade_revertsOnNonContract() public {
        vm.startPrank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotAContract.selector, address(0xdead)));
        governor.proposeUpgrade(address(0xdead), address(governorImpl));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotAContract.selector, address(0xdead)));
        governor.proposeUpgrade(address(governor), address(0xdead));
        vm.stopPrank();
    }

    function test_proposeUpgrade_upgradesTheRegistry() public {
        ConsortiumRegistry newImpl = new ConsortiumRegistry();
        uint64 parties = registry.partyCount();
        vm.prank(_admin(1));
        uint256 id = governor.proposeUpgrade(address(registry), address(newImpl));
        _voteRange(id, 1, 2);
        vm.expectEmit(address(registry));
        emit IERC1967.Upgraded(address(newImpl));
        _assertTrue(_vote(3, id), "executed");
        _assertEq(_implementation(address(registry)), address(newImpl), "implementation");
        _assertEq(registry.partyCount(), parties, "party count");
        _assertEq(registry.activeVoterCount(), 4, "voters");
        _assertEq(registry.governor(), address(governor), "governor");
    }

    function test_proposeUpgrade_upgradesTheGovernorItself() public {
        ConsortiumGovernor newImpl = new ConsortiumGovernor();
        uint256 pending = _proposeParams(2, 2 hours);
        _vote(2, pending);
        vm.prank(_admin(1));
        uint256 id = governor.proposeUpgrade(address(governor), address(newImpl));
        _voteRange(id, 1, 2);
        vm.expectEmit(address(governor));
        emit IERC1967.Upgraded(address(newImpl));
        _assertTrue(_vote(3, id), "executed");
        _assertEq(_implementation(address(governor)), address(newImpl), "implementation");
        _assertEq(governor.proposalCount(), 2, "proposal count");
        _assertEq(address(governor.registry()), address(registry), "registry");
        _assertTrue(governor.hasVoted(pending, 2), "vote kept");
        _voteRange(pending, 3, 3);
        _assertTrue(_vote(4, pending), "pending proposal executes after the upgrade");
        _assertEq(governor.parameters().votingPeriod, 2 hours, "period");
    }

    function test_proposeUpgrade_revertsAtExecutionForNonUupsImplementation() public {
        vm.prank(_admin(1));
        // A proxy has code but no proxiableUUID of its own: the registry refuses it.
        uint256 id = governor.proposeUpgrade(address(registry), address(governor));
        _voteRange(id, 1, 2);
        address implBefore = _implementation(address(registry));
        vm.prank(_admin(3));
        vm.expectRevert(abi.encodeWithSelector(ERC1967Utils.ERC1967InvalidImplementation.selector, address(governor)));
        governor.vote(id);
        _assertEq(_implementation(address(registry)), implBefore, "implementation unchanged");
        _assertFalse(governor.hasVoted(id, 3), "vote rolled back");
        _assertEq(governor.getProposal(id).approvals, 2, "approvals rolled back");
    }

    function test_upgradeToAndCall_revertsWhenNotSelf() public {
        ConsortiumGovernor newImpl = new ConsortiumGovernor();
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, _admin(1)));
        governor.upgradeToAndCall(address(newImpl), "");
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, address(this)));
        governor.upgradeToAndCall(address(newImpl), "");
    }

    function test_upgradeToAndCall_revertsOnImplementation() public {
        _expectRevert(UUPSUpgradeable.UUPSUnauthorizedCallContext.selector);
        governorImpl.upgradeToAndCall(address(governorImpl), "");
    }

    // ==== proposeCall ====

    function test_proposeCall_revertsOnNonContract() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotAContract.selector, _admin(9)));
        governor.proposeCall(_admin(9), "");
    }

    function test_proposeCall_grantsLicenceAsGovernor() public {
        IConsortiumRegistry.LicenceGrant memory grant = IConsortiumRegistry.LicenceGrant({
            kind: IConsortiumRegistry.LicenceKind.GoodSupplyPractice,
            documentHash: keccak256("gsp"),
            issuer: 0,
            expiresAt: uint48(block.timestamp + 365 days)
        });
        vm.prank(_admin(2));
        uint256 id = governor.proposeCall(
            address(registry),
            abi.encodeCall(IConsortiumRegistry.grantLicence, (5, grant))
        );
        _voteRange(id, 2, 3);
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.LicenceGranted(
            5,
            grant.kind,
            grant.documentHash,
            0,
            grant.expiresAt,
            grant.expiresAt,
            address(governor)
        );
        _assertTrue(_vote(4, id), "executed");
        _assertEq(registry.getLicence(5, grant.kind).expiresAt, grant.expiresAt, "licence");
    }

    // ==== access control ====

    function test_propose_revertsForNonMember() public {
        vm.prank(address(0xbad));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryNotMember.selector, address(0xbad)));
        governor.proposeVoter(5, true);
    }

    function test_propose_revertsForNonAdminMember() public {
        vm.prank(_admin(2));
        registry.addMember(2, address(0x2222), IConsortiumRegistry.Role.Operator);
        vm.prank(address(0x2222));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryRoleNotAllowed.selector,
                address(0x2222),
                IConsortiumRegistry.Role.Operator
            )
        );
        governor.proposeVoter(5, true);
    }

    function test_propose_revertsForNonVoterAdmin() public {
        vm.prank(_admin(5));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotVoter.selector, 5));
        governor.proposeVoter(6, true);
    }

    function test_propose_revertsForSuspendedParty() public {
        vm.prank(_admin(1));
        registry.suspendParty(2);
        vm.prank(_admin(2));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryPartyNotActive.selector, 2, SUSPENDED));
        governor.proposeVoter(5, true);
    }

    // ==== vote ====

    function test_vote_executesExactlyAtThreshold_n1() public {
        _checkExactThreshold(1);
    }

    function test_vote_executesExactlyAtThreshold_n4() public {
        _checkExactThreshold(4);
    }

    function test_vote_executesExactlyAtThreshold_n7() public {
        _checkExactThreshold(7);
    }

    function test_vote_needsRegulatorForAdmission_n1() public {
        _checkRegulatorApproval(1);
    }

    function test_vote_needsRegulatorForAdmission_n4() public {
        _checkRegulatorApproval(4);
    }

    function test_vote_needsRegulatorForAdmission_n7() public {
        _checkRegulatorApproval(7);
    }

    function test_vote_revertsOnDuplicate_n1() public {
        _checkDuplicateVote(1);
    }

    function test_vote_revertsOnDuplicate_n4() public {
        _checkDuplicateVote(4);
    }

    function test_vote_revertsOnDuplicate_n7() public {
        _checkDuplicateVote(7);
    }

    function test_vote_revertsFromExpiry_n1() public {
        _checkExpiry(1);
    }

    function test_vote_revertsFromExpiry_n4() public {
        _checkExpiry(4);
    }

    function test_vote_revertsFromExpiry_n7() public {
        _checkExpiry(7);
    }

    function test_vote_revertsOnUnknownProposal() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorUnknownProposal.selector, 1));
        governor.vote(1);
    }

    function test_vote_revertsForSuspendedParty_n4() public {
        _checkSuspendedVoter(4);
    }

    function test_vote_revertsForSuspendedParty_n7() public {
        _checkSuspendedVoter(7);
    }

    /// n = 1: the regulator cannot suspend itself, but governance can suspend its only
    /// voter, and then nobody can ever propose again.
    function test_proposePartyStatus_refusesSuspendingTheLastActiveVoter_n1() public {
        _deploy(1, 1);
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistrySelfSuspension.selector, 1));
        registry.suspendParty(1);
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryLastActiveVoter.selector, 1));
        governor.proposePartyStatus(1, SUSPENDED);
        _assertEq(registry.activeVoterCount(), 1, "the voter stays");
    }

    function test_vote_revertsWithActionError() public {
        uint256 first = _proposeVoter(1, 5, true);
        uint256 second = _proposeVoter(1, 5, true);
        _voteRange(first, 1, 3);
        _voteRange(second, 1, 2);
        vm.prank(_admin(3));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryVoterUnchanged.selector, 5, true));
        governor.vote(second);
        IConsortiumGovernor.Proposal memory p = governor.getProposal(second);
        _assertEq(p.approvals, 2, "approvals unchanged");
        _assertFalse(p.executed, "not executed");
        _assertFalse(governor.hasVoted(second, 3), "vote not recorded");
        _assertEq(
            uint8(governor.proposalState(second)),
            uint8(IConsortiumGovernor.ProposalState.Active),
            "still active"
        );
    }

    function test_vote_regulatorSuspendsThenProposalReinstates() public {
        vm.prank(_admin(1));
        registry.suspendParty(4);
        _assertEq(registry.activeVoterCount(), 3, "count after suspension");
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryOnlyGovernor.selector, _admin(1)));
        registry.setPartyStatus(4, ACTIVE);

        vm.prank(_admin(1));
        uint256 id = governor.proposePartyStatus(4, ACTIVE);
        _assertEq(governor.getProposal(id).threshold, 3, "threshold of n = 3");
        _voteRange(id, 1, 2);
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.PartyStatusChanged(4, SUSPENDED, ACTIVE, address(governor));
        _assertTrue(_vote(3, id), "executed");
        _assertEq(registry.activeVoterCount(), 4, "count after reinstatement");
    }

    function test_vote_revokesParty() public {
        vm.prank(_admin(1));
        uint256 id = governor.proposePartyStatus(4, REVOKED);
        _voteRange(id, 1, 2);
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.PartyStatusChanged(4, ACTIVE, REVOKED, address(governor));
        _assertTrue(_vote(3, id), "executed");
        _assertEq(registry.activeVoterCount(), 3, "count");
    }

    // ==== proposalState ====

    function test_proposalState_transitions() public {
        _assertEq(uint8(governor.proposalState(1)), uint8(IConsortiumGovernor.ProposalState.None), "none");
        uint256 a = _proposeParams(1, 1 hours);
        uint256 b = _proposeParams(1, 2 hours);
        _assertEq(uint8(governor.proposalState(a)), uint8(IConsortiumGovernor.ProposalState.Active), "active");
        _voteRange(a, 1, 3);
        _assertEq(uint8(governor.proposalState(a)), uint8(IConsortiumGovernor.ProposalState.Executed), "executed");
        vm.warp(governor.getProposal(b).expiresAt);
        _assertEq(uint8(governor.proposalState(b)), uint8(IConsortiumGovernor.ProposalState.Expired), "expired");
        _assertEq(
            uint8(governor.proposalState(a)),
            uint8(IConsortiumGovernor.ProposalState.Executed),
            "still executed"
        );
    }

    // ==== FUZZ ====

    /**
     * n voters in [1, 20] and a non-voting party n + 1. Party 1 proposes making it a
     * voter (bit 255 clear) or suspending it (bit 255 set); the parties whose bits are
     * set in `voteMask` vote in order. The proposal executes on exactly the vote that
     * brings the approvals to n − ⌊(n−1)/3⌋, and on no other.
     */
    function testFuzz_vote_passesExactlyAtThreshold(uint8 nSeed, uint256 voteMask) public {
        uint256 n = _bound(nSeed, 1, 20);
        _deploy(n, 1);
        uint64 target = uint64(n + 1);
        uint256 t = _expectedThreshold(n);
        bool suspend = (voteMask >> 255) == 1;

        vm.prank(_admin(1));
        uint256 id = suspend ? governor.proposePartyStatus(target, SUSPENDED) : governor.proposeVoter(target, true);
        _assertEq(governor.getProposal(id).threshold, t, "snapshotted threshold");

        uint256 approvals = 0;
        uint256 popcount = 0;
        for (uint64 p = 1; p <= n; ++p) {
            if (((voteMask >> (p - 1)) & 1) == 0) continue;
            ++popcount;
            if (approvals >= t) {
                vm.prank(_admin(p));
                vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExecuted.selector, id));
                governor.vote(id);
                continue;
            }
            _assertFalse(_applied(target, suspend), "not applied before the deciding vote");
            bool executed = _vote(p, id);
            ++approvals;
            _assertEq(executed, approvals == t, "executes exactly on the t-th approval");
        }
        bool passed = popcount >= t;
        _assertEq(governor.getProposal(id).executed, passed, "executed iff popcount >= t");
        _assertEq(_applied(target, suspend), passed, "action applied iff executed");
        _assertEq(governor.getProposal(id).approvals, passed ? t : popcount, "approvals stop at t");
    }

    // ==== INTERNAL ====

    function _applied(uint64 target, bool suspend) private view returns (bool) {
        return suspend ? registry.getParty(target).status == SUSPENDED : registry.isVoter(target);
    }

    function _implementation(address proxy) private view returns (address) {
        return address(uint160(uint256(vm.load(proxy, _IMPLEMENTATION_SLOT))));
    }

    function _checkExactThreshold(uint256 n) private {
        _deploy(n, 1);
        uint256 t = _expectedThreshold(n);
        _assertEq(governor.thresholdFor(n), t, "thresholdFor");
        uint64 target = uint64(n + 1);
        uint256 id = _proposeVoter(1, target, true);
        // From the last party backwards, so that the regulator votes last.
        for (uint256 k = 1; k < t; ++k) {
            uint64 p = uint64(n + 1 - k);
            vm.expectEmit(address(governor));
            emit IConsortiumGovernor.VoteCast(id, p, _admin(p), uint16(k));
            _assertFalse(_vote(p, id), "below threshold");
            _assertFalse(registry.isVoter(target), "not applied");
        }
        uint64 deciding = uint64(n + 1 - t);
        vm.expectEmit(address(governor));
        emit IConsortiumGovernor.VoteCast(id, deciding, _admin(deciding), uint16(t));
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.VoterChanged(target, true, n + 1);
        vm.expectEmit(address(governor));
        emit IConsortiumGovernor.ProposalExecuted(id, "");
        _assertTrue(_vote(deciding, id), "the t-th vote executes");
        _assertTrue(registry.isVoter(target), "applied");
        for (uint64 p = deciding - 1; p >= 1; --p) {
            vm.prank(_admin(p));
            vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExecuted.selector, id));
            governor.vote(id);
        }
    }

    function _checkRegulatorApproval(uint256 n) private {
        _deploy(n, 0);
        uint256 t = _expectedThreshold(n);
        vm.prank(_admin(uint64(n)));
        uint256 id = governor.proposeAdmission(_admission(address(0x9001)));
        for (uint64 p = uint64(n); p >= 2; --p) {
            _assertFalse(_vote(p, id), "no execution without the regulator");
        }
        IConsortiumGovernor.Proposal memory before = governor.getProposal(id);
        _assertEq(before.approvals, n - 1, "all non-regulators approved");
        if (n > 1) _assertTrue(before.approvals >= t, "threshold met without the regulator");
        _assertEq(registry.partyCount(), n, "nobody admitted yet");
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.PartyAdmitted(
            uint64(n + 1),
            IConsortiumRegistry.Domain.Pharmacy,
            address(0x9001),
            false,
            "Newcomer"
        );
        _assertTrue(_vote(1, id), "the regulator's vote executes");
        _assertEq(registry.partyCount(), n + 1, "admitted");
    }

    function _checkThresholdSnapshot(uint256 n) private {
        _deploy(n, 1);
        uint64 newcomer = uint64(n + 1);
        uint256 before = _proposeParams(1, 1 hours);
        uint256 addVoter = _proposeVoter(1, newcomer, true);
        _assertTrue(_voteRange(addVoter, 1, uint64(_expectedThreshold(n))), "voter added");
        _assertEq(registry.activeVoterCount(), n + 1, "count");
        uint256 afterwards = _proposeParams(1, 2 hours);
        _assertEq(governor.getProposal(before).threshold, _expectedThreshold(n), "old threshold kept");
        _assertEq(governor.getProposal(afterwards).threshold, _expectedThreshold(n + 1), "new threshold");

        // The earlier proposal passes on t(n) approvals, the newcomer's among them.
        _assertEq(_vote(newcomer, before), _expectedThreshold(n) == 1, "newcomer's vote");
        if (_expectedThreshold(n) > 1) {
            _assertTrue(_voteRange(before, 1, uint64(_expectedThreshold(n) - 1)), "earlier passes at t(n)");
        }
        _assertEq(governor.parameters().votingPeriod, 1 hours, "earlier applied");
        // The later one needs t(n + 1) > t(n).
        uint64 last = uint64(_expectedThreshold(n + 1));
        _assertFalse(_voteRange(afterwards, 1, last - 1), "not at t(n + 1) - 1");
        _assertTrue(_vote(last, afterwards), "at t(n + 1)");
        _assertEq(governor.parameters().votingPeriod, 2 hours, "later applied");
    }

    function _checkDuplicateVote(uint256 n) private {
        _deploy(n, 0);
        // An admission, so that the non-regulator's vote never executes it.
        vm.prank(_admin(1));
        uint256 id = governor.proposeAdmission(_admission(address(0x9001)));
        uint64 voter = uint64(n);
        bool executed = _vote(voter, id);
        _assertEq(executed, n == 1, "only the regulator of n = 1 executes at once");
        vm.prank(_admin(voter));
        if (executed) {
            vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExecuted.selector, id));
        } else {
            vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorAlreadyVoted.selector, id, voter));
        }
        governor.vote(id);
        _assertEq(governor.getProposal(id).approvals, 1, "one approval");
    }

    function _checkExpiry(uint256 n) private {
        _deploy(n, 0);
        uint256 id = _proposeParams(1, 1 hours);
        uint48 expiresAt = governor.getProposal(id).expiresAt;
        vm.warp(expiresAt - 1);
        _assertEq(_vote(uint64(n), id), _expectedThreshold(n) == 1, "a vote one second before expiry counts");
        vm.warp(expiresAt);
        _assertEq(
            uint8(governor.proposalState(id)),
            uint8(n == 1 ? IConsortiumGovernor.ProposalState.Executed : IConsortiumGovernor.ProposalState.Expired),
            "state at expiry"
        );
        vm.prank(_admin(1));
        if (n == 1) {
            vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExecuted.selector, id));
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExpired.selector, id, expiresAt)
            );
        }
        governor.vote(id);
        // A second, untouched proposal expires for n = 1 too.
        uint256 other = _proposeParams(1, 2 hours);
        uint48 otherExpiry = governor.getProposal(other).expiresAt;
        vm.warp(otherExpiry + 1);
        vm.prank(_admin(1));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExpired.selector, other, otherExpiry)
        );
        governor.vote(other);
    }

    function _checkSuspendedVoter(uint256 n) private {
        _deploy(n, 0);
        uint256 id = _proposeParams(1, 1 hours);
        uint64 suspended = uint64(n);
        vm.prank(_admin(1));
        registry.suspendParty(suspended);
        _assertEq(registry.activeVoterCount(), n - 1, "count");
        vm.prank(_admin(suspended));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryPartyNotActive.selector, suspended, SUSPENDED)
        );
        governor.vote(id);
        _assertFalse(governor.hasVoted(id, suspended), "no vote recorded");
    }
}

/**
 * @title VoterSetHandler
 * @notice Drives random party-status and voter-set changes through every path that
 * writes them: the regulator's immediate suspension, the governor's own account
 * (pranked) and real proposals voted through the governor. Keeps a model of each
 * party's status and voter flag, updated only when a call succeeds, and counts the
 * calls whose success or failure the model did not predict.
 */
contract VoterSetHandler is TestBase {
    IConsortiumRegistry.PartyStatus private constant ACTIVE = IConsortiumRegistry.PartyStatus.Active;
    IConsortiumRegistry.PartyStatus private constant SUSPENDED = IConsortiumRegistry.PartyStatus.Suspended;
    IConsortiumRegistry.PartyStatus private constant REVOKED = IConsortiumRegistry.PartyStatus.Revoked;

    ConsortiumRegistry public immutable registry;
    ConsortiumGovernor public immutable governor;
    uint64 public immutable parties;

    mapping(uint64 partyId => IConsortiumRegistry.PartyStatus) public modelStatus;
    mapping(uint64 partyId => bool) public modelVoter;
    uint256 public mispredictions;
    uint256 public succeeded;
    uint256 public governed;

    constructor(ConsortiumRegistry registry_, ConsortiumGovernor governor_) {
        registry = registry_;
        governor = governor_;
        parties = registry_.partyCount();
        for (uint64 p = 1; p <= parties; ++p) {
            modelStatus[p] = registry_.getParty(p).status;
            modelVoter[p] = registry_.isVoter(p);
        }
    }

    // ==== ACTIONS ====

    /// The regulator (party 1) suspends a party at once.
    function suspendByRegulator(uint256 partySeed) external {
        uint64 p = _party(partySeed);
        bool expected = modelStatus[1] == ACTIVE && p != 1 && modelStatus[p] == ACTIVE;
        // On its own, the regulator keeps at most f = ⌊(V−1)/3⌋ voters suspended.
        if (expected && modelVoter[p]) {
            uint256 suspended = modelSuspendedVoters();
            expected = suspended + 1 <= (modelActiveVoters() + suspended - 1) / 3;
        }
        vm.prank(partyAdmin(1));
        try registry.suspendParty(p) {
            _record(true, expected);
            modelStatus[p] = SUSPENDED;
        } catch {
            _record(false, expected);
        }
    }

    /// The governor's account sets a status directly.
    function setStatusAsGovernor(uint256 partySeed, uint256 statusSeed) external {
        uint64 p = _party(partySeed);
        IConsortiumRegistry.PartyStatus status = _status(statusSeed);
        bool expected = _transitionAllowed(p, status);
        vm.prank(address(governor));
        try registry.setPartyStatus(p, status) {
            _record(true, expected);
            modelStatus[p] = status;
        } catch {
            _record(false, expected);
        }
    }

    /// The governor's account changes the voter set directly.
    function setVoterAsGovernor(uint256 partySeed, bool voter) external {
        uint64 p = _party(partySeed);
        bool expected = _voterChangeAllowed(p, voter);
        vm.prank(address(governor));
        try registry.setVoter(p, voter) {
            _record(true, expected);
            modelVoter[p] = voter;
        } catch {
            _record(false, expected);
        }
    }

    /// A SetVoter proposal, voted by every active voter in order until it executes.
    function setVoterByProposal(uint256 partySeed, bool voter, uint256 proposerSeed) external {
        uint64 p = _party(partySeed);
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return; // nobody can propose any more
        bool expected = _voterChangeAllowed(p, voter);
        vm.prank(partyAdmin(proposer));
        // A change that is not allowed now is refused when proposed.
        try governor.proposeVoter(p, voter) returns (uint256 id) {
            bool executed = _voteThrough(id);
            _recordProposal(executed, expected);
            if (executed) modelVoter[p] = voter;
        } catch {
            _record(false, expected);
        }
    }

    /// A status proposal (SuspendParty, ReinstateParty or RevokeParty), voted through.
    function setStatusByProposal(uint256 partySeed, uint256 statusSeed, uint256 proposerSeed) external {
        uint64 p = _party(partySeed);
        IConsortiumRegistry.PartyStatus status = _status(statusSeed);
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return;
        bool expected = _transitionAllowed(p, status);
        vm.prank(partyAdmin(proposer));
        try governor.proposePartyStatus(p, status) returns (uint256 id) {
            bool executed = _voteThrough(id);
            _recordProposal(executed, expected);
            if (executed) modelStatus[p] = status;
        } catch {
            _record(false, expected);
        }
    }

    // ==== MODEL ====

    /// Voter parties whose modelled status is Active.
    function modelActiveVoters() public view returns (uint256 count) {
        for (uint64 p = 1; p <= parties; ++p) {
            if (modelVoter[p] && modelStatus[p] == ACTIVE) ++count;
        }
    }

    /// Voter parties whose modelled status is Suspended.
    function modelSuspendedVoters() public view returns (uint256 count) {
        for (uint64 p = 1; p <= parties; ++p) {
            if (modelVoter[p] && modelStatus[p] == SUSPENDED) ++count;
        }
    }

    /// The status graph, plus: the last active voter never leaves Active.
    function _transitionAllowed(uint64 p, IConsortiumRegistry.PartyStatus status) private view returns (bool) {
        IConsortiumRegistry.PartyStatus current = modelStatus[p];
        bool graph;
        if (status == ACTIVE) graph = current == SUSPENDED;
        else if (status == SUSPENDED) graph = current == ACTIVE;
        else if (status == REVOKED) graph = current == ACTIVE || current == SUSPENDED;
        return graph && !(_isLastActiveVoter(p) && current == ACTIVE);
    }

    function _voterChangeAllowed(uint64 p, bool voter) private view returns (bool) {
        if (modelVoter[p] == voter) return false;
        if (voter) return modelStatus[p] == ACTIVE;
        return !_isLastActiveVoter(p);
    }

    function _isLastActiveVoter(uint64 p) private view returns (bool) {
        return modelVoter[p] && modelStatus[p] == ACTIVE && modelActiveVoters() == 1;
    }

    // ==== PRIVATE ====

    /// Votes with every active voter, in id order, until the proposal executes or a
    /// vote reverts (the action failed: every later vote would fail the same way).
    function _voteThrough(uint256 id) private returns (bool) {
        for (uint64 p = 1; p <= parties; ++p) {
            if (!(modelVoter[p] && modelStatus[p] == ACTIVE)) continue;
            vm.prank(partyAdmin(p));
            try governor.vote(id) returns (bool executed) {
                if (executed) return true;
            } catch {
                return false;
            }
        }
        return false;
    }

    function _activeVoter(uint256 seed) private view returns (uint64) {
        uint256 count = modelActiveVoters();
        if (count == 0) return 0;
        uint256 pick = seed % count;
        for (uint64 p = 1; p <= parties; ++p) {
            if (modelVoter[p] && modelStatus[p] == ACTIVE) {
                if (pick == 0) return p;
                --pick;
            }
        }
        return 0;
    }

    function _recordProposal(bool executed, bool expected) private {
        _record(executed, expected);
        if (executed) ++governed;
    }

    function _record(bool success, bool expected) private {
        if (success != expected) ++mispredictions;
        if (success) ++succeeded;
    }

    function _party(uint256 seed) private view returns (uint64) {
        return uint64(_bound(seed, 1, parties));
    }

    function _status(uint256 seed) private pure returns (IConsortiumRegistry.PartyStatus) {
        return IConsortiumRegistry.PartyStatus(_bound(seed, 1, 3));
    }
}

/**
 * @title ConsortiumRegistryVoterSetInvariantTest
 * @notice Under any sequence of suspensions, reinstatements, revocations and voter-set
 * changes, `activeVoterCount` is the number of voter parties whose status is Active,
 * and the registry agrees with the handler's model of the status graph.
 */
contract ConsortiumRegistryVoterSetInvariantTest is GovernanceFixture {
    VoterSetHandler internal handler;

    function setUp() public {
        _deploy(4, 3);
        handler = new VoterSetHandler(registry, governor);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_activeVoterCountIsActiveVoterParties() public view {
        uint256 count = 0;
        for (uint64 p = 1; p <= partyTotal; ++p) {
            if (registry.isVoter(p) && registry.getParty(p).status == IConsortiumRegistry.PartyStatus.Active) ++count;
        }
        _assertEq(registry.activeVoterCount(), count, "activeVoterCount");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_registryFollowsTheStatusGraph() public view {
        _assertEq(handler.mispredictions(), 0, "calls whose outcome the status graph did not predict");
        for (uint64 p = 1; p <= partyTotal; ++p) {
            _assertEq(uint8(registry.getParty(p).status), uint8(handler.modelStatus(p)), "status");
            _assertEq(registry.isVoter(p), handler.modelVoter(p), "voter flag");
        }
        _assertEq(registry.activeVoterCount(), handler.modelActiveVoters(), "count vs model");
        _assertEq(registry.suspendedVoterCount(), handler.modelSuspendedVoters(), "suspended count vs model");
    }
}
