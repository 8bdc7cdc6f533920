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
 * @title SimulationAnswerForger
 * @notice A target whose every call reverts with the answer it was told to give, or, told
 * nothing, with the answer a successful simulation of that very call gives
 * (`GovernorCallSimulated(keccak256(abi.encode(this, msg.data)))`).
 */
contract SimulationAnswerForger {
    bytes private _answer;

    function setAnswer(bytes calldata answer) external {
        _answer = answer;
    }

    fallback() external {
        bytes memory answer = _answer.length != 0
            ? _answer
            : abi.encodeWithSelector(
                IConsortiumGovernor.GovernorCallSimulated.selector,
                keccak256(abi.encode(address(this), msg.data))
            );
        assembly ("memory-safe") {
            revert(add(answer, 0x20), mload(answer))
        }
    }
}

/// @notice A target that accepts any call: a registry selector sent elsewhere.
contract CallAcceptor {
    fallback() external {}
}

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

    function test_vote_takesThresholdAtExecution_n1() public {
        _checkThresholdAtExecution(1);
    }

    function test_vote_takesThresholdAtExecution_n4() public {
        _checkThresholdAtExecution(4);
    }

    function test_vote_takesThresholdAtExecution_n7() public {
        _checkThresholdAtExecution(7);
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
        // n = 5 now: the second proposal needs 4 approvals when it executes.
        _assertFalse(_voteRange(second, 1, 3), "not at 3 of 5");
        vm.prank(_admin(4));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryVoterUnchanged.selector, 5, true));
        governor.vote(second);
        IConsortiumGovernor.Proposal memory p = governor.getProposal(second);
        _assertEq(p.approvals, 3, "approvals unchanged");
        _assertFalse(p.executed, "not executed");
        _assertFalse(governor.hasVoted(second, 4), "vote not recorded");
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
        // The voter the regulator suspended alone still counts: n = 4, threshold 3.
        _assertEq(registry.thresholdVoterCount(), 4, "n");
        _assertEq(governor.getProposal(id).threshold, 3, "threshold of n = 4");
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

    // ==== execute ====

    /// Five voters (threshold 4): a proposal with 3 approvals waits; once governance takes a
    /// voter that did not approve out (threshold 3), execute() runs it without another vote.
    function test_execute_runsOnceTheThresholdFell() public {
        _deploy(5, 0);
        uint256 id = _proposeParams(5, 1 hours);
        _voteRange(id, 2, 4);
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, id, 3, 4, false));
        governor.execute(id);
        uint256 removal = _proposeVoter(1, 5, false);
        _assertTrue(_voteRange(removal, 1, 4), "voter removed");
        _assertEq(governor.currentThreshold(), 3, "threshold fell");
        (uint256 inForce, ) = governor.approvalsInForce(id);
        _assertEq(inForce, 3, "every approver still in the set");
        vm.expectEmit(address(governor));
        emit IConsortiumGovernor.ParametersChanged(1 hours, ADMIT_ONLY);
        vm.expectEmit(address(governor));
        emit IConsortiumGovernor.ProposalExecuted(id, "");
        vm.prank(_admin(2));
        governor.execute(id);
        _assertTrue(governor.getProposal(id).executed, "executed");
        _assertEq(governor.getProposal(id).approvals, 3, "no approval added");
        vm.prank(_admin(2));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExecuted.selector, id));
        governor.execute(id);
    }

    function test_execute_revertsBelowTheThreshold() public {
        uint256 id = _proposeParams(1, 1 hours);
        _voteRange(id, 2, 3);
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, id, 2, 3, false));
        governor.execute(id);
    }

    function test_execute_revertsWithoutTheRegulatorsApproval() public {
        vm.prank(_admin(2));
        uint256 id = governor.proposeAdmission(_admission(address(0x9001)));
        _voteRange(id, 2, 4);
        vm.prank(_admin(2));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, id, 3, 3, false));
        governor.execute(id);
        _assertEq(registry.partyCount(), 6, "nobody admitted");
    }

    function test_execute_revertsOnUnknownProposal() public {
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorUnknownProposal.selector, 1));
        governor.execute(1);
    }

    function test_execute_revertsFromExpiry() public {
        uint256 id = _proposeParams(1, 1 hours);
        uint48 expiresAt = governor.getProposal(id).expiresAt;
        vm.warp(expiresAt);
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExpired.selector, id, expiresAt));
        governor.execute(id);
    }

    function test_execute_revertsForNonVoters() public {
        uint256 id = _proposeParams(1, 1 hours);
        vm.prank(_admin(5));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotVoter.selector, 5));
        governor.execute(id);
        vm.prank(address(0xbad));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryNotMember.selector, address(0xbad)));
        governor.execute(id);
        vm.prank(_admin(1));
        registry.suspendParty(4);
        vm.prank(_admin(4));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryPartyNotActive.selector, 4, SUSPENDED));
        governor.execute(id);
    }

    // ==== approvals in force ====

    /// Seven voters (threshold 5): parties 2..5 approve (4); parties 2 and 3 step down as voters
    /// through proposals (n = 5, threshold 4): the 4 approvals cast would meet it, the 2 in
    /// force do not; honest approvals then count.
    function test_execute_countsOnlyTheApprovalsInForce() public {
        _deploy(7, 0);
        vm.prank(_admin(2));
        uint256 id = governor.proposePartyStatus(7, REVOKED);
        _assertFalse(_voteRange(id, 2, 5), "4 of 5");
        uint256 first = _proposeVoter(2, 2, false);
        _assertTrue(_voteRange(first, 1, 5), "party 2 steps down");
        uint256 second = _proposeVoter(3, 3, false);
        _assertFalse(_vote(1, second), "1 of 5");
        _assertTrue(_voteRange(second, 3, 6), "party 3 steps down");
        _assertEq(governor.currentThreshold(), 4, "threshold of n = 5");
        _assertEq(governor.getProposal(id).approvals, 4, "approvals cast");
        (uint256 inForce, bool regulatorApproved) = governor.approvalsInForce(id);
        _assertEq(inForce, 2, "approvals in force");
        _assertFalse(regulatorApproved, "no regulator");
        vm.prank(_admin(4));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, id, 2, 4, false));
        governor.execute(id);
        _assertFalse(_vote(6, id), "3 in force");
        vm.prank(_admin(4));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, id, 3, 4, false));
        governor.execute(id);
        _assertEq(uint8(registry.getParty(7).status), uint8(ACTIVE), "party 7 untouched");
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.PartyStatusChanged(7, ACTIVE, REVOKED, address(governor));
        _assertTrue(_vote(1, id), "4 in force");
    }

    /// A voter the regulator suspends on its own stays in n, and its approval in force; a voter
    /// governance suspends, revokes or unseats leaves both.
    function test_approvalsInForce_dropsOnlyTheVotersThatLeftTheSet() public {
        _deploy(7, 0);
        uint256 id = _proposeParams(1, 1 hours);
        _voteRange(id, 1, 4);
        vm.prank(_admin(1));
        registry.suspendParty(2);
        (uint256 inForce, bool regulatorApproved) = governor.approvalsInForce(id);
        _assertEq(inForce, 4, "the regulator's suspension keeps it");
        _assertTrue(regulatorApproved, "the regulator approved");
        vm.startPrank(address(governor));
        registry.setPartyStatus(3, SUSPENDED);
        (inForce, ) = governor.approvalsInForce(id);
        _assertEq(inForce, 3, "governance's suspension drops it");
        registry.setPartyStatus(2, REVOKED);
        (inForce, ) = governor.approvalsInForce(id);
        _assertEq(inForce, 2, "revocation drops it");
        registry.setVoter(4, false);
        (inForce, regulatorApproved) = governor.approvalsInForce(id);
        _assertEq(inForce, 1, "unseating drops it");
        _assertTrue(regulatorApproved, "the regulator still counts");
        registry.setVoter(1, false);
        (inForce, regulatorApproved) = governor.approvalsInForce(id);
        vm.stopPrank();
        _assertEq(inForce, 0, "the regulator unseated");
        _assertFalse(regulatorApproved, "no regulator in force");
        _assertEq(governor.getProposal(id).approvals, 4, "approvals cast unchanged");
        _assertTrue(governor.getProposal(id).regulatorApproved, "the regulator's approval cast is kept");
    }

    // ==== currentThreshold / the regulator's limit ====

    /// Issue 12, attack 12: with 10 voters the regulator may suspend 3 on its own, and the
    /// threshold stays 7, so the regulator and 4 others pass nothing.
    function test_suspendParty_regulatorCannotLowerTheThreshold_n10() public {
        _deploy(10, 0);
        vm.startPrank(_admin(1));
        registry.suspendParty(10);
        registry.suspendParty(9);
        registry.suspendParty(8);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryVoterSuspensionLimit.selector, 7, 3, 3));
        registry.suspendParty(7);
        vm.stopPrank();
        _assertEq(registry.activeVoterCount(), 7, "active");
        _assertEq(registry.regulatorSuspendedVoterCount(), 3, "suspended by the regulator");
        _assertEq(registry.thresholdVoterCount(), 10, "n");
        _assertEq(governor.currentThreshold(), 7, "threshold");
        uint256 id = _proposeParams(1, 1 hours);
        _assertFalse(_voteRange(id, 1, 5), "the regulator and 4 others");
        _assertFalse(_vote(6, id), "6 of the 7 active");
        _assertTrue(_vote(7, id), "all 7 active");
    }

    function test_currentThreshold_countsOnlyTheRegulatorsOwnSuspensions() public {
        _deploy(7, 0);
        _assertEq(governor.currentThreshold(), 5, "n = 7");
        vm.prank(_admin(1));
        registry.suspendParty(7);
        _assertEq(governor.currentThreshold(), 5, "the regulator's suspension keeps n");
        vm.prank(address(governor));
        registry.setPartyStatus(6, SUSPENDED);
        _assertEq(registry.thresholdVoterCount(), 6, "governance's suspension lowers n");
        vm.prank(address(governor));
        registry.setPartyStatus(7, REVOKED);
        _assertEq(registry.thresholdVoterCount(), 5, "revoking clears the regulator's count");
        _assertEq(governor.currentThreshold(), 4, "t(5)");
        _assertEq(governor.currentThreshold(), governor.thresholdFor(registry.thresholdVoterCount()), "definition");
    }

    // ==== regulatorRequired, whatever the parameters ====

    function test_propose_forcesRegulatorApprovalForRegulatorTargets() public {
        vm.prank(address(governor));
        governor.setParameters(_params(VOTING_PERIOD, 0));
        vm.startPrank(_admin(2));
        uint256 suspend = governor.proposePartyStatus(1, SUSPENDED);
        uint256 revoke = governor.proposePartyStatus(1, REVOKED);
        uint256 unseat = governor.proposeVoter(1, false);
        uint256 other = governor.proposePartyStatus(2, SUSPENDED);
        vm.stopPrank();
        _assertTrue(governor.getProposal(suspend).regulatorRequired, "suspend the regulator");
        _assertTrue(governor.getProposal(revoke).regulatorRequired, "revoke the regulator");
        _assertTrue(governor.getProposal(unseat).regulatorRequired, "unseat the regulator");
        _assertFalse(governor.getProposal(other).regulatorRequired, "another party");
        // The three others cannot suspend the regulator; with its approval they can.
        _assertFalse(_voteRange(suspend, 2, 4), "without the regulator");
        vm.prank(_admin(2));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, suspend, 3, 3, false));
        governor.execute(suspend);
        _assertTrue(_vote(1, suspend), "with the regulator");
        _assertEq(uint8(registry.getParty(1).status), uint8(SUSPENDED), "suspended");
    }

    // ==== proposeCall / simulateCall ====

    function test_proposeCall_revertsWhenTheCallWouldFail() public {
        bytes memory data = abi.encodeCall(
            IConsortiumRegistry.revokeLicence,
            (5, IConsortiumRegistry.LicenceKind.Distribution)
        );
        bytes memory reason = abi.encodeWithSelector(
            IConsortiumRegistry.RegistryUnknownLicence.selector,
            5,
            IConsortiumRegistry.LicenceKind.Distribution
        );
        vm.prank(_admin(2));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumGovernor.GovernorCallWouldFail.selector, address(registry), reason)
        );
        governor.proposeCall(address(registry), data);
        _assertEq(governor.proposalCount(), 0, "no proposal");
    }

    function test_proposeCall_simulatesWithoutApplying() public {
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
        _assertEq(id, 1, "proposed");
        _assertEq(registry.getLicence(5, grant.kind).expiresAt, 0, "not applied by the simulation");
    }

    function test_proposeCall_refusesReserveAccount() public {
        bytes memory data = abi.encodeCall(IConsortiumRegistry.reserveAccount, (address(0x9001), type(uint48).max));
        vm.prank(_admin(2));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGovernor.GovernorUseTypedProposal.selector,
                IConsortiumRegistry.reserveAccount.selector
            )
        );
        governor.proposeCall(address(registry), data);
    }

    function test_simulateCall_revertsWhenNotSelf() public {
        bytes memory data = abi.encodeCall(IConsortiumRegistry.partyCount, ());
        vm.prank(_admin(1));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, _admin(1)));
        governor.simulateCall(address(registry), data);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorOnlySelf.selector, address(this)));
        governor.simulateCall(address(registry), data);
    }

    function test_simulateCall_alwaysRevertsForTheGovernor() public {
        bytes memory data = abi.encodeCall(IConsortiumRegistry.suspendParty, (5));
        vm.prank(address(governor));
        vm.expectRevert(_simulated(address(registry), data));
        governor.simulateCall(address(registry), data);
        _assertEq(uint8(registry.getParty(5).status), uint8(ACTIVE), "undone");
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownParty.selector, 7));
        governor.simulateCall(address(registry), abi.encodeCall(IConsortiumRegistry.suspendParty, (7)));
    }

    // ==== proposeAdmission reserves its admin ====

    function test_proposeAdmission_reservesTheAdminUntilExpiry() public {
        address admin = address(0x9001);
        uint48 expiresAt = uint48(block.timestamp) + VOTING_PERIOD;
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.AccountReserved(admin, expiresAt);
        vm.prank(_admin(2));
        uint256 id = governor.proposeAdmission(_admission(admin));
        _assertEq(registry.reservedUntil(admin), expiresAt, "reserved until expiry");
        vm.prank(_admin(5));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountReserved.selector, admin, expiresAt));
        registry.addMember(5, admin, IConsortiumRegistry.Role.Operator);
        _voteRange(id, 1, 3);
        _assertEq(registry.getMember(admin).partyId, 7, "admitted");
    }

    // ==== FUZZ ====

    /**
     * n voters in [1, 16] and a proposal created then; `joiners` in [0, 4] non-voting
     * parties then join the voters (by the governor). The proposal executes on exactly the
     * approval that reaches the threshold of the n + joiners voters in force, never on the
     * t(n) of its creation when that is lower.
     */
    function testFuzz_vote_executesAtTheThresholdInForce(uint8 nSeed, uint8 joinSeed) public {
        uint256 n = _bound(nSeed, 1, 16);
        uint256 joiners = _bound(joinSeed, 0, 4);
        _deploy(n, joiners);
        uint256 id = _proposeParams(1, 1 hours);
        for (uint64 p = uint64(n + 1); p <= n + joiners; ++p) {
            vm.prank(address(governor));
            registry.setVoter(p, true);
        }
        uint256 t = _expectedThreshold(n + joiners);
        _assertEq(governor.currentThreshold(), t, "current threshold");
        _assertEq(governor.getProposal(id).threshold, _expectedThreshold(n), "creation snapshot");
        for (uint64 p = 1; p <= t; ++p) {
            _assertEq(_vote(p, id), p == t, "executes exactly on the t-th approval of the voters in force");
        }
    }

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

    // ==== issue 12 follow-up: the active voters can always reach the threshold ====

    /// The deadlock: the regulator suspends party 3 alone (A = 3, R = 1, n = 4, threshold 3);
    /// governance suspending party 2 would have left 2 active voters facing threshold 3 for
    /// ever. Refused when proposed, for suspension, revocation and unseating alike.
    function test_proposePartyStatus_revertsOnTheDeadlock() public {
        vm.prank(_admin(1));
        registry.suspendParty(3);
        bytes memory refusal = _unreachable(2, 2, 3);
        vm.startPrank(_admin(4));
        vm.expectRevert(refusal);
        governor.proposePartyStatus(2, SUSPENDED);
        vm.expectRevert(refusal);
        governor.proposePartyStatus(2, REVOKED);
        vm.expectRevert(refusal);
        governor.proposeVoter(2, false);
        vm.stopPrank();
        _assertEq(governor.proposalCount(), 0, "no proposal");
        // The three active voters can still act: they reinstate party 3.
        vm.prank(_admin(2));
        uint256 id = governor.proposePartyStatus(3, ACTIVE);
        _voteRange(id, 1, 2);
        _assertTrue(_vote(4, id), "reinstated by the three active voters");
        _assertEq(registry.activeVoterCount(), 4, "active");
    }

    function test_setPartyStatus_revertsWhenTheActiveVotersLeftCouldNotReachTheThreshold() public {
        vm.prank(_admin(1));
        registry.suspendParty(4); // A = 3, R = 1
        vm.startPrank(address(governor));
        vm.expectRevert(_unreachable(2, 2, 3));
        registry.setPartyStatus(2, SUSPENDED);
        vm.expectRevert(_unreachable(1, 2, 3));
        registry.setPartyStatus(1, REVOKED);
        vm.expectRevert(_unreachable(3, 2, 3));
        registry.suspendParty(3);
        vm.expectRevert(_unreachable(3, 2, 3));
        registry.setVoter(3, false);
        // Non-voters and the suspended voter are not held to it.
        registry.setPartyStatus(5, SUSPENDED);
        registry.setVoter(4, false);
        vm.stopPrank();
        _assertEq(registry.thresholdVoterCount(), 3, "n after the unseating");
    }

    /// A proposal made while the change was allowed: the regulator then suspends a voter alone,
    /// and the vote that would execute it reverts with the registry's error; once the voter is
    /// reinstated, the same proposal executes.
    function test_vote_revertsAtExecutionWhenTheThresholdWouldBeUnreachable() public {
        vm.prank(_admin(2));
        uint256 id = governor.proposePartyStatus(2, SUSPENDED);
        vm.prank(_admin(1));
        registry.suspendParty(4);
        _voteRange(id, 1, 2);
        vm.prank(_admin(3));
        vm.expectRevert(_unreachable(2, 2, 3));
        governor.vote(id);
        _assertEq(governor.getProposal(id).approvals, 2, "approvals rolled back");
        vm.prank(_admin(1));
        uint256 reinstate = governor.proposePartyStatus(4, ACTIVE);
        _assertTrue(_voteRange(reinstate, 1, 3), "reinstated");
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.PartyStatusChanged(2, ACTIVE, SUSPENDED, address(governor));
        _assertTrue(_vote(3, id), "executes");
    }

    /// Same through execute(): five voters, a proposal with 3 approvals (parties 1, 3, 4);
    /// governance unseats party 5 (threshold 3), the regulator suspends party 4 alone (its
    /// approval stays in force); execute() refuses with the registry's error.
    function test_execute_revertsWhenTheThresholdWouldBeUnreachable() public {
        _deploy(5, 0);
        vm.prank(_admin(1));
        uint256 id = governor.proposePartyStatus(2, SUSPENDED);
        _vote(1, id);
        _voteRange(id, 3, 4);
        uint256 unseat = _proposeVoter(1, 5, false);
        _assertTrue(_voteRange(unseat, 1, 4), "party 5 unseated");
        vm.prank(_admin(1));
        registry.suspendParty(4);
        _assertEq(governor.currentThreshold(), 3, "threshold of n = 4");
        vm.prank(_admin(1));
        vm.expectRevert(_unreachable(2, 2, 3));
        governor.execute(id);
        _assertFalse(governor.getProposal(id).executed, "not executed");
    }

    /**
     * n voters in [2, 16]; the regulator suspends r of them alone (r bounded by its limit, each
     * suspension checked), then governance takes active voters out one by one (suspend, revoke
     * or unseat, by `kindSeed`) from the highest id down. Each removal succeeds exactly when the
     * active voters left reach the threshold of the voters left, computed here independently,
     * and is otherwise refused with the registry's exact error; the active voters reach the
     * threshold after every step.
     */
    function testFuzz_governanceRemovals_stopAtTheThreshold(uint8 nSeed, uint8 rSeed, uint256 kindSeed) public {
        uint256 n = _bound(nSeed, 2, 16);
        _deploy(n, 0);
        uint256 r = _bound(rSeed, 0, (n - 1) / 3);
        for (uint256 i = 0; i < r; ++i) {
            // Within its limit: i + 1 ≤ r ≤ ⌊(n − 1)/3⌋ = ⌊(A + R − 1)/3⌋ with A = n − i, R = i.
            vm.prank(_admin(1));
            registry.suspendParty(uint64(n - i));
        }
        _assertEq(registry.regulatorSuspendedVoterCount(), r, "R");
        for (uint64 p = uint64(n - r); p >= 1; --p) {
            uint256 active = registry.activeVoterCount();
            _assertTrue(active >= _expectedThreshold(active + r), "reachable before");
            uint256 kind = (kindSeed >> (2 * p)) % 3;
            bool allowed = active > 1 && active - 1 >= _expectedThreshold(active - 1 + r);
            vm.prank(address(governor));
            if (!allowed) {
                vm.expectRevert(
                    active == 1
                        ? abi.encodeWithSelector(IConsortiumRegistry.RegistryLastActiveVoter.selector, p)
                        : _unreachable(p, active - 1, _expectedThreshold(active - 1 + r))
                );
            }
            if (kind == 0) registry.setPartyStatus(p, SUSPENDED);
            else if (kind == 1) registry.setPartyStatus(p, REVOKED);
            else registry.setVoter(p, false);
            if (!allowed) {
                _assertEq(registry.activeVoterCount(), active, "unchanged");
                return;
            }
            _assertEq(registry.activeVoterCount(), active - 1, "one fewer");
        }
        revert AssertionFailed("the last active voter always stays");
    }

    /**
     * n voters in [4, 16]; fewer than the threshold approve a proposal (by `approveMask`), then
     * each party may leave the set in one of four ways (by `leaveSeed`): suspended by the
     * regulator alone (it stays in n and its approval in force), suspended or revoked by
     * governance, or unseated (it leaves both); a change the registry refuses (the regulator's
     * limit, the leave rule) leaves the set as it was. execute() then runs exactly when the
     * approvals of the approvers still in the set reach the threshold of the voters left, both
     * counted here independently, and is otherwise refused with exactly those numbers: no
     * proposal executes with approvals in force below the threshold at execution.
     */
    function testFuzz_execute_countsOnlyTheApprovalsInForce(
        uint8 nSeed,
        uint256 approveMask,
        uint256 leaveSeed
    ) public {
        uint256 n = _bound(nSeed, 4, 16);
        _deploy(n, 0);
        uint256 id = _proposeParams(1, 1 hours);
        bool[17] memory approved;
        uint256 cast = 0;
        for (uint64 p = 1; p <= n && cast + 1 < _expectedThreshold(n); ++p) {
            if ((approveMask >> p) & 1 == 0) continue;
            _assertFalse(_vote(p, id), "below the threshold");
            approved[p] = true;
            ++cast;
        }
        bool[17] memory gone; // left n: governance suspended, revoked or unseated it
        bool[17] memory byRegulator; // suspended by the regulator alone: still in n
        uint256 left = 0;
        for (uint64 p = 1; p <= n; ++p) {
            uint256 how = (leaveSeed >> (3 * p)) % 5; // 0 stays, 1 regulator, 2 suspended, 3 revoked, 4 unseated
            if (how == 0 || (how == 1 && p == 1)) continue;
            bool ok = how == 1 ? _tryRegulatorSuspension(p) : _tryGovernanceRemoval(p, how);
            if (!ok) continue;
            if (how == 1) byRegulator[p] = true;
            else {
                gone[p] = true;
                ++left;
            }
        }
        _assertEq(registry.thresholdVoterCount(), n - left, "n: only governance lowers it");
        uint256 threshold = _expectedThreshold(n - left);
        uint256 inForce = 0;
        bool regulatorInForce = false;
        for (uint64 p = 1; p <= n; ++p) {
            if (!approved[p] || gone[p]) continue;
            ++inForce;
            if (p == 1) regulatorInForce = true;
        }
        (uint256 viewed, bool viewedRegulator) = governor.approvalsInForce(id);
        _assertEq(viewed, inForce, "approvalsInForce");
        _assertEq(viewedRegulator, regulatorInForce, "regulator in force");
        _assertEq(governor.getProposal(id).approvals, cast, "approvals cast");
        // Any active voter asks to execute it (the registry keeps at least one).
        uint64 caller = 1;
        while (gone[caller] || byRegulator[caller]) ++caller;
        vm.prank(_admin(caller));
        if (inForce < threshold) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IConsortiumGovernor.GovernorNotApproved.selector,
                    id,
                    inForce,
                    threshold,
                    regulatorInForce
                )
            );
            governor.execute(id);
            _assertFalse(governor.getProposal(id).executed, "not executed");
        } else {
            vm.expectEmit(address(governor));
            emit IConsortiumGovernor.ProposalExecuted(id, "");
            governor.execute(id);
        }
    }

    // ==== issue 12 follow-up: reserveAccount keeps the later date ====

    function testFuzz_reserveAccount_keepsTheLaterDate(uint48 first, uint48 second) public {
        address account = address(0x9001);
        vm.prank(address(governor));
        registry.reserveAccount(account, first);
        uint48 later = first > second ? first : second;
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.AccountReserved(account, later);
        vm.prank(address(governor));
        registry.reserveAccount(account, second);
        _assertEq(registry.reservedUntil(account), later, "the later date");
    }

    /// A second admission naming the same admin under a shorter voting period keeps the first
    /// one's reservation: the admin stays reserved once the second proposal expired.
    function test_proposeAdmission_keepsAnEarlierLongerReservation() public {
        address admin = address(0x9001);
        vm.prank(_admin(2));
        uint256 first = governor.proposeAdmission(_admission(admin));
        uint48 firstExpiry = governor.getProposal(first).expiresAt;
        uint256 shorten = _proposeParams(2, 1 hours);
        _voteRange(shorten, 2, 4);
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.AccountReserved(admin, firstExpiry);
        vm.prank(_admin(3));
        uint256 second = governor.proposeAdmission(_admission(admin));
        uint48 secondExpiry = governor.getProposal(second).expiresAt;
        _assertTrue(secondExpiry < firstExpiry, "the second expires first");
        vm.warp(secondExpiry);
        vm.prank(_admin(5));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryAccountReserved.selector, admin, firstExpiry)
        );
        registry.addMember(5, admin, IConsortiumRegistry.Role.Operator);
        _assertTrue(_voteRange(first, 1, 3), "the first admission executes");
    }

    // ==== issue 12 follow-up: simulateCall names the call ====

    function testFuzz_simulateCall_namesTheCall(uint64 partyId) public {
        bytes memory data = abi.encodeCall(IConsortiumRegistry.isPartyActive, (partyId));
        vm.prank(address(governor));
        vm.expectRevert(_simulated(address(registry), data));
        governor.simulateCall(address(registry), data);
    }

    /// A Call whose data is the governor's own simulateCall: the nested simulation's answer
    /// names the inner call, so it is a failure (the proposal could never execute anyway).
    function test_proposeCall_revertsOnANestedSimulation() public {
        bytes memory inner = abi.encodeCall(IConsortiumRegistry.suspendParty, (5));
        bytes memory nested = abi.encodeCall(ConsortiumGovernor.simulateCall, (address(registry), inner));
        vm.prank(_admin(2));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumGovernor.GovernorCallWouldFail.selector,
                address(governor),
                _simulated(address(registry), inner)
            )
        );
        governor.proposeCall(address(governor), nested);
        _assertEq(governor.proposalCount(), 0, "no proposal");
        _assertEq(uint8(registry.getParty(5).status), uint8(ACTIVE), "nothing applied");
    }

    /// A target that answers with another call's success, with the old bare selector, or with
    /// the right answer plus a byte, is refused: only the exact answer for this call passes.
    function test_proposeCall_revertsOnAnyAnswerButTheExactOne() public {
        SimulationAnswerForger forger = new SimulationAnswerForger();
        bytes memory data = hex"c0ffee";
        bytes[3] memory answers = [
            _simulated(address(registry), data),
            abi.encodeWithSelector(IConsortiumGovernor.GovernorCallSimulated.selector),
            bytes.concat(_simulated(address(forger), data), hex"00")
        ];
        for (uint256 i = 0; i < answers.length; ++i) {
            forger.setAnswer(answers[i]);
            vm.prank(_admin(2));
            vm.expectRevert(
                abi.encodeWithSelector(IConsortiumGovernor.GovernorCallWouldFail.selector, address(forger), answers[i])
            );
            governor.proposeCall(address(forger), data);
        }
        _assertEq(governor.proposalCount(), 0, "no proposal");
    }

    /// The limit of a simulation: a target can compute this call's exact answer and revert with
    /// it. That passes as success, but the proposal can never execute: its vote reverts.
    function test_proposeCall_acceptsATargetForgingItsOwnAnswer_whichNeverExecutes() public {
        SimulationAnswerForger forger = new SimulationAnswerForger();
        bytes memory data = hex"c0ffee";
        vm.prank(_admin(2));
        uint256 id = governor.proposeCall(address(forger), data);
        _voteRange(id, 2, 3);
        vm.prank(_admin(4));
        vm.expectRevert(_simulated(address(forger), data));
        governor.vote(id);
        _assertFalse(governor.getProposal(id).executed, "never executes");
    }

    // ==== issue 12 follow-up: a Call on a regulator's licences or keys needs the regulator ====

    function test_proposeCall_forcesRegulatorApprovalForARegulatorsLicencesAndKeys() public {
        _licenceEveryParty();
        bytes[3] memory calls = _regulatorCalls(1, _admin(1));
        for (uint256 i = 0; i < calls.length; ++i) {
            vm.prank(_admin(2));
            uint256 id = governor.proposeCall(address(registry), calls[i]);
            _assertTrue(governor.getProposal(id).regulatorRequired, "regulator party");
        }
        calls = _regulatorCalls(2, _admin(2));
        for (uint256 i = 0; i < calls.length; ++i) {
            vm.prank(_admin(2));
            uint256 id = governor.proposeCall(address(registry), calls[i]);
            _assertFalse(governor.getProposal(id).regulatorRequired, "other party, Call bit clear");
        }
        // The three others approve the revocation of the regulator's licence: not enough.
        uint256 revoke = 2;
        _assertFalse(_voteRange(revoke, 2, 4), "without the regulator");
        vm.prank(_admin(2));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumGovernor.GovernorNotApproved.selector, revoke, 3, 3, false));
        governor.execute(revoke);
        _assertFalse(registry.getLicence(1, IConsortiumRegistry.LicenceKind.Notarial).revoked, "not revoked");
        _assertTrue(_vote(1, revoke), "the regulator's approval executes it");
        _assertTrue(registry.getLicence(1, IConsortiumRegistry.LicenceKind.Notarial).revoked, "revoked");
    }

    /**
     * Any party of the six and any of the three selectors, with or without the Call bit in the
     * parameters: regulatorRequired is forced exactly for the regulator party (1), and
     * otherwise follows the parameters.
     */
    function testFuzz_proposeCall_regulatorRequiredForARegulatorParty(uint8 partySeed, uint8 which, bool callBit) public {
        _licenceEveryParty();
        uint64 p = uint64(_bound(partySeed, 1, 6));
        if (callBit) {
            vm.prank(address(governor));
            governor.setParameters(_params(VOTING_PERIOD, ADMIT_ONLY | (1 << uint8(IConsortiumGovernor.ProposalKind.Call))));
        }
        bytes memory data = _regulatorCalls(p, _admin(p))[which % 3];
        vm.prank(_admin(2));
        uint256 id = governor.proposeCall(address(registry), data);
        _assertEq(governor.getProposal(id).regulatorRequired, p == 1 || callBit, "regulatorRequired");
    }

    /// The same selectors sent to another target are not the registry's: the parameters decide.
    function test_proposeCall_followsTheParametersForTheSameSelectorsElsewhere() public {
        CallAcceptor acceptor = new CallAcceptor();
        bytes[3] memory calls = _regulatorCalls(1, _admin(1));
        for (uint256 i = 0; i < calls.length; ++i) {
            vm.prank(_admin(2));
            uint256 id = governor.proposeCall(address(acceptor), calls[i]);
            _assertFalse(governor.getProposal(id).regulatorRequired, "not the registry");
        }
    }

    // ==== INTERNAL ====

    /// The regulator (party 1) suspends `p` on its own; false if the registry refuses.
    function _tryRegulatorSuspension(uint64 p) private returns (bool) {
        vm.prank(_admin(1));
        try registry.suspendParty(p) {
            return true;
        } catch {
            return false;
        }
    }

    /// Governance takes `p` out of the set: `how` 2 suspends, 3 revokes, 4 unseats; false if refused.
    function _tryGovernanceRemoval(uint64 p, uint256 how) private returns (bool) {
        vm.prank(address(governor));
        if (how == 2) {
            try registry.setPartyStatus(p, SUSPENDED) {
                return true;
            } catch {
                return false;
            }
        }
        if (how == 3) {
            try registry.setPartyStatus(p, REVOKED) {
                return true;
            } catch {
                return false;
            }
        }
        try registry.setVoter(p, false) {
            return true;
        } catch {
            return false;
        }
    }

    function _unreachable(uint64 partyId, uint256 active, uint256 threshold) private pure returns (bytes memory) {
        return
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryThresholdUnreachable.selector,
                partyId,
                active,
                threshold
            );
    }

    /// simulateCall's answer for a call that succeeds.
    function _simulated(address target, bytes memory data) private pure returns (bytes memory) {
        return
            abi.encodeWithSelector(
                IConsortiumGovernor.GovernorCallSimulated.selector,
                keccak256(abi.encode(target, data))
            );
    }

    /// Gives every party of the fixture a Notarial licence, so that one can be revoked.
    function _licenceEveryParty() private {
        for (uint64 p = 1; p <= partyTotal; ++p) {
            vm.prank(address(governor));
            registry.grantLicence(p, _grant(uint48(block.timestamp + 365 days)));
        }
    }

    function _grant(uint48 expiresAt) private pure returns (IConsortiumRegistry.LicenceGrant memory) {
        return
            IConsortiumRegistry.LicenceGrant({
                kind: IConsortiumRegistry.LicenceKind.Notarial,
                documentHash: keccak256("notarial"),
                issuer: 0,
                expiresAt: expiresAt
            });
    }

    /// grantLicence, revokeLicence and rotateMember of `key` (a member of `partyId`), on `partyId`.
    function _regulatorCalls(uint64 partyId, address key) private view returns (bytes[3] memory) {
        return [
            abi.encodeCall(IConsortiumRegistry.grantLicence, (partyId, _grant(uint48(block.timestamp + 30 days)))),
            abi.encodeCall(IConsortiumRegistry.revokeLicence, (partyId, IConsortiumRegistry.LicenceKind.Notarial)),
            abi.encodeCall(IConsortiumRegistry.rotateMember, (partyId, key, address(0x9999)))
        ];
    }

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

    /// A proposal created with n voters executes on the threshold of the n + 1 voters in
    /// force when it executes; ProposalCreated's (and the stored) threshold stays t(n).
    function _checkThresholdAtExecution(uint256 n) private {
        _deploy(n, 1);
        uint64 newcomer = uint64(n + 1);
        uint256 before = _proposeParams(1, 1 hours);
        uint256 addVoter = _proposeVoter(1, newcomer, true);
        _assertTrue(_voteRange(addVoter, 1, uint64(_expectedThreshold(n))), "voter added");
        _assertEq(registry.activeVoterCount(), n + 1, "count");
        uint256 afterwards = _proposeParams(1, 2 hours);
        _assertEq(governor.getProposal(before).threshold, _expectedThreshold(n), "creation snapshot kept");
        _assertEq(governor.getProposal(afterwards).threshold, _expectedThreshold(n + 1), "new threshold");
        _assertEq(governor.currentThreshold(), _expectedThreshold(n + 1), "current threshold");

        // The earlier proposal needs t(n + 1) ≥ 2 approvals now, the newcomer's among them.
        uint256 t1 = _expectedThreshold(n + 1);
        _assertFalse(_vote(newcomer, before), "the newcomer's vote alone");
        if (t1 > 2) _assertFalse(_voteRange(before, 1, uint64(t1 - 2)), "not at t(n + 1) - 1");
        _assertEq(governor.parameters().votingPeriod, VOTING_PERIOD, "earlier not applied below t(n + 1)");
        _assertTrue(_vote(uint64(t1 - 1), before), "earlier passes at t(n + 1)");
        _assertEq(governor.getProposal(before).approvals, t1, "approvals");
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
 * (pranked), real proposals voted through at once, and proposals left pending (harmless
 * SetParameters ones, and status or voter changes) that random votes and executions
 * complete later, while the voter set changes under them. Keeps a model of each party's
 * status, voter flag and whether the regulator alone suspended it, updated only when a
 * call succeeds, and counts the calls whose success or failure the model did not predict.
 * The model holds the registry's rule, computed independently: an active voter leaves the
 * active set only if another stays and the active voters left reach the threshold of the
 * voters left (the regulator's own suspensions counted); where that rule refuses a change,
 * the revert must be the registry's exact error, whichever path it came through (the
 * registry directly, a proposal's creation, a proposal's execution). It also keeps each
 * proposal's approvers, and counts a proposal's approvals in force as the governor must:
 * the approvers still in the threshold's voter set (active voters, and voters the regulator
 * suspended on its own). At every execution it records the approvals in force and the
 * threshold at that moment (read just before the executing call, both from the governor and
 * from the model, keeping the fewer approvals and the higher threshold).
 */
contract VoterSetHandler is TestBase {
    IConsortiumRegistry.PartyStatus private constant ACTIVE = IConsortiumRegistry.PartyStatus.Active;
    IConsortiumRegistry.PartyStatus private constant SUSPENDED = IConsortiumRegistry.PartyStatus.Suspended;
    IConsortiumRegistry.PartyStatus private constant REVOKED = IConsortiumRegistry.PartyStatus.Revoked;
    uint48 private constant _PERIOD = 7 days;
    uint256 private constant _ADMIT_ONLY = 1 << uint8(IConsortiumGovernor.ProposalKind.AdmitParty);

    /// What a pending proposal does.
    enum Change {
        Parameters,
        Status,
        Voter
    }

    /// Where a refusal came from.
    enum Path {
        Direct,
        Creation,
        Execution
    }

    /// Where a proposal stands just before a call that may execute it (the vote's approval counted).
    struct Standing {
        uint256 approvals;
        uint256 threshold;
        bool regulatorApproved;
    }

    /// A proposal left pending for `vote` and `execute`.
    struct Pending {
        uint256 id;
        Change change;
        uint64 party;
        IConsortiumRegistry.PartyStatus status;
        bool voter;
    }

    ConsortiumRegistry public immutable registry;
    ConsortiumGovernor public immutable governor;
    uint64 public immutable parties;

    mapping(uint64 partyId => IConsortiumRegistry.PartyStatus) public modelStatus;
    mapping(uint64 partyId => bool) public modelVoter;
    /// Suspended by the regulator on its own (not by governance): still in the threshold's n.
    mapping(uint64 partyId => bool) public modelRegulatorSuspended;
    uint256 public mispredictions;
    /// Refusals the model attributes to the leave rule (or the regulator's limit) whose revert
    /// data was not the registry's exact error with the model's arguments.
    uint256 public wrongReasons;
    uint256 public succeeded;
    uint256 public governed;

    Pending[] private _pending;
    /// Every party whose approval of a proposal the governor accepted, in order.
    mapping(uint256 proposalId => uint64[]) private _approvers;

    /// At each execution: the approvals in force, and the threshold in force then (the fewer
    /// approvals and the larger threshold of the governor's and the model's, which the
    /// invariants also hold equal).
    uint256[] public executedApprovals;
    uint256[] public executedThresholds;
    /// Executions of a proposal that needed the regulator's approval and had none in force.
    uint256 public executedWithoutRegulator;
    /// Executions of a proposal some of whose approvers had left the set (so that a campaign
    /// can be seen to reach them), and refusals of a proposal whose approvals cast met the
    /// threshold but whose approvals in force did not.
    uint256 public executedWithApproversGone;
    uint256 public refusedForApproversGone;

    /// Suspensions of a voter by the regulator alone, and those after which the regulator
    /// kept more than f = ⌊(n−1)/3⌋ voters suspended on its own.
    uint256 public regulatorVoterSuspensions;
    uint256 public regulatorOverLimit;

    /// RegistryThresholdUnreachable refusals, by path: a campaign can be seen to reach each.
    mapping(Path path => uint256) public thresholdRefusals;

    /// Calls that succeeded, per action, so that a campaign can be seen to reach every path.
    mapping(bytes4 action => uint256) public successes;

    constructor(ConsortiumRegistry registry_, ConsortiumGovernor governor_) {
        registry = registry_;
        governor = governor_;
        parties = registry_.partyCount();
        for (uint64 p = 1; p <= parties; ++p) {
            modelStatus[p] = registry_.getParty(p).status;
            modelVoter[p] = registry_.isVoter(p);
        }
    }

    // ==== ACTIONS: the voter set ====

    /// The regulator (party 1) suspends a party at once.
    function suspendByRegulator(uint256 partySeed) external {
        uint64 p = _party(partySeed);
        bool expected = modelStatus[1] == ACTIVE && p != 1 && modelStatus[p] == ACTIVE;
        bool countsInN = expected && modelVoter[p];
        bytes memory refusal;
        if (countsInN) {
            // On its own, the regulator keeps at most f = ⌊(A + R − 1)/3⌋ voters suspended
            // (checked first), and then the leave rule applies as to anyone.
            uint256 byRegulator = modelRegulatorSuspendedVoters();
            uint256 limit = (modelActiveVoters() + byRegulator - 1) / 3;
            if (byRegulator + 1 > limit) {
                expected = false;
                refusal = abi.encodeWithSelector(
                    IConsortiumRegistry.RegistryVoterSuspensionLimit.selector,
                    p,
                    byRegulator,
                    limit
                );
            } else if (!_activeVoterMayLeave()) {
                expected = false;
                refusal = _leaveRefusal(p);
            }
        }
        vm.prank(partyAdmin(1));
        try registry.suspendParty(p) {
            _record(true, expected);
            modelStatus[p] = SUSPENDED;
            if (countsInN) {
                modelRegulatorSuspended[p] = true;
                ++regulatorVoterSuspensions;
                uint256 byRegulator = registry.regulatorSuspendedVoterCount();
                if (byRegulator > (registry.thresholdVoterCount() - 1) / 3) ++regulatorOverLimit;
            }
            ++successes[this.suspendByRegulator.selector];
        } catch (bytes memory reason) {
            _record(false, expected);
            _checkRefusal(refusal, reason, Path.Direct);
        }
    }

    /// The governor's account sets a status directly.
    function setStatusAsGovernor(uint256 partySeed, uint256 statusSeed) external {
        uint64 p = _party(partySeed);
        IConsortiumRegistry.PartyStatus status = _status(statusSeed);
        bool expected = _transitionAllowed(p, status);
        bytes memory refusal = _statusRefusal(p, status);
        vm.prank(address(governor));
        try registry.setPartyStatus(p, status) {
            _record(true, expected);
            _applyStatus(p, status);
            ++successes[this.setStatusAsGovernor.selector];
        } catch (bytes memory reason) {
            _record(false, expected);
            _checkRefusal(refusal, reason, Path.Direct);
        }
    }

    /// The governor's account changes the voter set directly.
    function setVoterAsGovernor(uint256 partySeed, bool voter) external {
        uint64 p = _party(partySeed);
        bool expected = _voterChangeAllowed(p, voter);
        bytes memory refusal = _voterRefusal(p, voter);
        vm.prank(address(governor));
        try registry.setVoter(p, voter) {
            _record(true, expected);
            _applyVoter(p, voter);
            ++successes[this.setVoterAsGovernor.selector];
        } catch (bytes memory reason) {
            _record(false, expected);
            _checkRefusal(refusal, reason, Path.Direct);
        }
    }

    /// A SetVoter proposal, voted by every active voter in order until it executes.
    function setVoterByProposal(uint256 partySeed, bool voter, uint256 proposerSeed) external {
        uint64 p = _party(partySeed);
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return; // nobody can propose any more
        bool allowed = _voterChangeAllowed(p, voter);
        bytes memory refusal = _voterRefusal(p, voter);
        vm.prank(partyAdmin(proposer));
        // A change that is not allowed now is refused when proposed.
        try governor.proposeVoter(p, voter) returns (uint256 id) {
            _record(true, allowed);
            bool executed = _voteThrough(id);
            _record(executed, _passable(p == 1 && !voter));
            if (executed) {
                _applyVoter(p, voter);
                ++governed;
                ++successes[this.setVoterByProposal.selector];
            }
        } catch (bytes memory reason) {
            _record(false, allowed);
            _checkRefusal(refusal, reason, Path.Creation);
        }
    }

    /// A status proposal (SuspendParty, ReinstateParty or RevokeParty), voted through.
    function setStatusByProposal(uint256 partySeed, uint256 statusSeed, uint256 proposerSeed) external {
        uint64 p = _party(partySeed);
        IConsortiumRegistry.PartyStatus status = _status(statusSeed);
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return;
        bool allowed = _transitionAllowed(p, status);
        bytes memory refusal = _statusRefusal(p, status);
        vm.prank(partyAdmin(proposer));
        try governor.proposePartyStatus(p, status) returns (uint256 id) {
            _record(true, allowed);
            bool executed = _voteThrough(id);
            _record(executed, _passable(p == 1 && status != ACTIVE));
            if (executed) {
                _applyStatus(p, status);
                ++governed;
                ++successes[this.setStatusByProposal.selector];
            }
        } catch (bytes memory reason) {
            _record(false, allowed);
            _checkRefusal(refusal, reason, Path.Creation);
        }
    }

    // ==== ACTIONS: pending proposals ====

    /// An active voter proposes a harmless SetParameters, left pending for `vote` and `execute`.
    function propose(uint256 proposerSeed) external {
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return;
        vm.prank(partyAdmin(proposer));
        try governor.proposeParameters(IConsortiumGovernor.Parameters(_PERIOD, _ADMIT_ONLY)) returns (uint256 id) {
            _record(true, true);
            _pending.push(Pending(id, Change.Parameters, 0, IConsortiumRegistry.PartyStatus.None, false));
            ++successes[this.propose.selector];
        } catch {
            _record(false, true);
        }
    }

    /// An active voter proposes a status change, left pending: by the time it executes, the
    /// voter set may have changed so that the registry refuses it then.
    function proposeStatus(uint256 partySeed, uint256 statusSeed, uint256 proposerSeed) external {
        uint64 p = _party(partySeed);
        IConsortiumRegistry.PartyStatus status = _status(statusSeed);
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return;
        bool allowed = _transitionAllowed(p, status);
        bytes memory refusal = _statusRefusal(p, status);
        vm.prank(partyAdmin(proposer));
        try governor.proposePartyStatus(p, status) returns (uint256 id) {
            _record(true, allowed);
            // Whatever the parameters, suspending or revoking a regulator needs its approval.
            if (governor.getProposal(id).regulatorRequired != (p == 1 && status != ACTIVE)) ++mispredictions;
            _pending.push(Pending(id, Change.Status, p, status, false));
            ++successes[this.proposeStatus.selector];
        } catch (bytes memory reason) {
            _record(false, allowed);
            _checkRefusal(refusal, reason, Path.Creation);
        }
    }

    /// An active voter proposes a voter-set change, left pending.
    function proposeVoterChange(uint256 partySeed, bool voter, uint256 proposerSeed) external {
        uint64 p = _party(partySeed);
        uint64 proposer = _activeVoter(proposerSeed);
        if (proposer == 0) return;
        bool allowed = _voterChangeAllowed(p, voter);
        bytes memory refusal = _voterRefusal(p, voter);
        vm.prank(partyAdmin(proposer));
        try governor.proposeVoter(p, voter) returns (uint256 id) {
            _record(true, allowed);
            if (governor.getProposal(id).regulatorRequired != (p == 1 && !voter)) ++mispredictions;
            _pending.push(Pending(id, Change.Voter, p, IConsortiumRegistry.PartyStatus.None, voter));
            ++successes[this.proposeVoterChange.selector];
        } catch (bytes memory reason) {
            _record(false, allowed);
            _checkRefusal(refusal, reason, Path.Creation);
        }
    }

    /// Any party's admin votes on a pending proposal. It is accepted iff its party is an active
    /// voter that has not voted, and executes iff the approvals in force then (its own included)
    /// reach the threshold in force (with a regulator's approval in force where required); a
    /// vote whose execution the registry refuses reverts with the registry's error.
    function vote(uint256 proposalSeed, uint256 partySeed) external {
        if (_pending.length == 0) return;
        Pending memory pending = _pending[proposalSeed % _pending.length];
        uint64 p = _party(partySeed);
        IConsortiumGovernor.Proposal memory before = governor.getProposal(pending.id);
        (uint256 inForce, bool regulatorInForce) = modelApprovalsInForce(pending.id);
        bool accepted = !before.executed && _isActiveVoter(p) && !governor.hasVoted(pending.id, p);
        bool regulatorOk = !before.regulatorRequired || regulatorInForce || p == 1;
        bool executes = accepted && inForce + 1 >= _modelThreshold() && regulatorOk;
        bytes memory refusal = executes ? _actionRefusal(pending) : bytes("");
        bool actionOk = !executes || _actionAllowed(pending);
        (bool ok, bool executed, bytes memory reason) = _castVote(p, pending.id);
        _record(ok, accepted && actionOk);
        if (ok) {
            if (executed != executes) ++mispredictions;
            if (executed) _applyPending(pending);
            ++successes[this.vote.selector];
        } else {
            _checkRefusal(refusal, reason, Path.Execution);
        }
    }

    /// An admin of any party asks to execute a pending proposal on the approvals in force. An
    /// active voter's request for a proposal not approved is refused with GovernorNotApproved
    /// carrying the model's approvals in force, threshold and regulator flag.
    function execute(uint256 proposalSeed, uint256 partySeed) external {
        if (_pending.length == 0) return;
        Pending memory pending = _pending[proposalSeed % _pending.length];
        uint64 p = _party(partySeed);
        IConsortiumGovernor.Proposal memory before = governor.getProposal(pending.id);
        (uint256 inForce, bool regulatorInForce) = modelApprovalsInForce(pending.id);
        uint256 threshold = _modelThreshold();
        bool approved = inForce >= threshold && (!before.regulatorRequired || regulatorInForce);
        bool runs = !before.executed && _isActiveVoter(p) && approved;
        bytes memory refusal;
        if (runs) refusal = _actionRefusal(pending);
        else if (before.executed)
            refusal = abi.encodeWithSelector(IConsortiumGovernor.GovernorProposalExecuted.selector, pending.id);
        else if (_isActiveVoter(p)) {
            refusal = abi.encodeWithSelector(
                IConsortiumGovernor.GovernorNotApproved.selector,
                pending.id,
                inForce,
                threshold,
                regulatorInForce
            );
            if (before.approvals >= threshold && inForce < threshold) ++refusedForApproversGone;
        }
        bool expected = runs && _actionAllowed(pending);
        Standing memory then = _standingNow(pending.id, 0);
        vm.prank(partyAdmin(p));
        try governor.execute(pending.id) {
            _record(true, expected);
            _recordExecution(pending.id, then);
            _applyPending(pending);
            ++successes[this.execute.selector];
        } catch (bytes memory reason) {
            _record(false, expected);
            _checkRefusal(refusal, reason, Path.Execution);
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

    /// Voter parties the regulator suspended on its own.
    function modelRegulatorSuspendedVoters() public view returns (uint256 count) {
        for (uint64 p = 1; p <= parties; ++p) {
            if (modelRegulatorSuspended[p]) ++count;
        }
    }

    /// The threshold's n: active voters plus those the regulator suspended alone.
    function modelThresholdVoters() public view returns (uint256) {
        return modelActiveVoters() + modelRegulatorSuspendedVoters();
    }

    /// The approvals of `proposalId` in force in the model: its approvers that count in the
    /// threshold's n now, and whether the regulator (party 1, the only regulator) is among them.
    function modelApprovalsInForce(uint256 proposalId) public view returns (uint256 approvals, bool regulatorApproved) {
        uint64[] storage approvers = _approvers[proposalId];
        for (uint256 i = 0; i < approvers.length; ++i) {
            uint64 p = approvers[i];
            if (!modelVoter[p] || !(modelStatus[p] == ACTIVE || modelRegulatorSuspended[p])) continue;
            ++approvals;
            if (p == 1) regulatorApproved = true;
        }
    }

    /// The ids of the proposals left pending (executed or not), for the invariants.
    function pendingIdAt(uint256 i) external view returns (uint256) {
        return _pending[i].id;
    }

    function executions() external view returns (uint256) {
        return executedApprovals.length;
    }

    function pendingCount() external view returns (uint256) {
        return _pending.length;
    }

    /// The status graph, plus the leave rule for an active voter.
    function _transitionAllowed(uint64 p, IConsortiumRegistry.PartyStatus status) private view returns (bool) {
        return _graphAllows(p, status) && !_leaveRefused(p);
    }

    function _graphAllows(uint64 p, IConsortiumRegistry.PartyStatus status) private view returns (bool) {
        IConsortiumRegistry.PartyStatus current = modelStatus[p];
        if (status == ACTIVE) return current == SUSPENDED;
        if (status == SUSPENDED) return current == ACTIVE;
        if (status == REVOKED) return current == ACTIVE || current == SUSPENDED;
        return false;
    }

    function _voterChangeAllowed(uint64 p, bool voter) private view returns (bool) {
        if (modelVoter[p] == voter) return false;
        if (voter) return modelStatus[p] == ACTIVE;
        return !_leaveRefused(p);
    }

    /// Whether `p` is an active voter that may not leave the active set now: the last one, or
    /// one whose departure would leave the active voters short of the threshold of the voters
    /// left (the regulator's own suspensions counted).
    function _leaveRefused(uint64 p) private view returns (bool) {
        return _isActiveVoter(p) && !_activeVoterMayLeave();
    }

    function _activeVoterMayLeave() private view returns (bool) {
        uint256 active = modelActiveVoters();
        if (active <= 1) return false;
        return active - 1 >= _thresholdOf(active - 1 + modelRegulatorSuspendedVoters());
    }

    /// The registry's error when the leave rule refuses an active voter `p`.
    function _leaveRefusal(uint64 p) private view returns (bytes memory) {
        uint256 active = modelActiveVoters();
        if (active == 1) return abi.encodeWithSelector(IConsortiumRegistry.RegistryLastActiveVoter.selector, p);
        uint256 n = active - 1 + modelRegulatorSuspendedVoters();
        return
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryThresholdUnreachable.selector,
                p,
                active - 1,
                _thresholdOf(n)
            );
    }

    /// The leave rule's error for a status change the graph allows, else nothing predicted.
    function _statusRefusal(uint64 p, IConsortiumRegistry.PartyStatus status) private view returns (bytes memory) {
        if (_graphAllows(p, status) && _leaveRefused(p)) return _leaveRefusal(p);
        return "";
    }

    /// The leave rule's error for unseating an active voter, else nothing predicted.
    function _voterRefusal(uint64 p, bool voter) private view returns (bytes memory) {
        if (!voter && modelVoter[p] && _leaveRefused(p)) return _leaveRefusal(p);
        return "";
    }

    function _actionAllowed(Pending memory pending) private view returns (bool) {
        if (pending.change == Change.Status) return _transitionAllowed(pending.party, pending.status);
        if (pending.change == Change.Voter) return _voterChangeAllowed(pending.party, pending.voter);
        return true;
    }

    function _actionRefusal(Pending memory pending) private view returns (bytes memory) {
        if (pending.change == Change.Status) return _statusRefusal(pending.party, pending.status);
        if (pending.change == Change.Voter) return _voterRefusal(pending.party, pending.voter);
        return "";
    }

    function _isActiveVoter(uint64 p) private view returns (bool) {
        return modelVoter[p] && modelStatus[p] == ACTIVE;
    }

    /// BFT threshold of the model's n, computed independently of the contract: the least t with 3t > 2n.
    function _modelThreshold() private view returns (uint256) {
        return _thresholdOf(modelThresholdVoters());
    }

    function _thresholdOf(uint256 n) private pure returns (uint256) {
        return n == 0 ? 0 : (2 * n) / 3 + 1;
    }

    /// Whether a proposal voted by every active voter passes: they reach the threshold in
    /// force, and a regulator votes where one must (party 1 is the only regulator).
    function _passable(bool regulatorRequired) private view returns (bool) {
        if (regulatorRequired && !_isActiveVoter(1)) return false;
        return modelActiveVoters() >= _modelThreshold();
    }

    /// Leaving Suspended ends the regulator's own suspension.
    function _applyStatus(uint64 p, IConsortiumRegistry.PartyStatus status) private {
        if (modelStatus[p] == SUSPENDED) modelRegulatorSuspended[p] = false;
        modelStatus[p] = status;
    }

    /// Leaving the voters ends the regulator's own suspension.
    function _applyVoter(uint64 p, bool voter) private {
        modelVoter[p] = voter;
        if (!voter) modelRegulatorSuspended[p] = false;
    }

    function _applyPending(Pending memory pending) private {
        if (pending.change == Change.Parameters) return;
        if (pending.change == Change.Status) _applyStatus(pending.party, pending.status);
        else _applyVoter(pending.party, pending.voter);
        ++governed;
    }

    // ==== PRIVATE ====

    /// Votes with every active voter, in id order, until the proposal executes or a
    /// vote reverts (the action failed: every later vote would fail the same way).
    function _voteThrough(uint256 id) private returns (bool) {
        for (uint64 p = 1; p <= parties; ++p) {
            if (!_isActiveVoter(p)) continue;
            (bool ok, bool executed, ) = _castVote(p, id);
            if (!ok) return false;
            if (executed) return true;
        }
        return false;
    }

    /// One vote, recording the approver, and the execution it causes with the standing just
    /// before (its own approval counted: an accepted voter is in the set).
    function _castVote(uint64 p, uint256 id) private returns (bool ok, bool executed, bytes memory reason) {
        Standing memory then = _standingNow(id, p);
        vm.prank(partyAdmin(p));
        try governor.vote(id) returns (bool e) {
            ok = true;
            executed = e;
            _approvers[id].push(p);
            if (e) _recordExecution(id, then);
        } catch (bytes memory r) {
            reason = r;
        }
    }

    /// The standing of `id` now, as the governor reports it and as the model counts it: the
    /// fewer approvals in force, the higher threshold, a regulator in force only if both say
    /// so. `voter` (0: none) is a vote about to be cast, counted as an approval in force.
    function _standingNow(uint256 id, uint64 voter) private view returns (Standing memory standing) {
        (uint256 onChain, bool onChainRegulator) = governor.approvalsInForce(id);
        (uint256 model, bool modelRegulator) = modelApprovalsInForce(id);
        standing.approvals = onChain < model ? onChain : model;
        standing.regulatorApproved = onChainRegulator && modelRegulator;
        if (voter != 0) {
            ++standing.approvals;
            if (voter == 1) standing.regulatorApproved = true;
        }
        uint256 onChainThreshold = governor.thresholdFor(registry.thresholdVoterCount());
        uint256 modelThreshold = _modelThreshold();
        standing.threshold = onChainThreshold > modelThreshold ? onChainThreshold : modelThreshold;
    }

    function _recordExecution(uint256 id, Standing memory then) private {
        IConsortiumGovernor.Proposal memory proposal = governor.getProposal(id);
        executedApprovals.push(then.approvals);
        executedThresholds.push(then.threshold);
        if (proposal.regulatorRequired && !then.regulatorApproved) ++executedWithoutRegulator;
        if (then.approvals < proposal.approvals) ++executedWithApproversGone;
    }

    /// A refusal the model attributed to a rule must carry the registry's exact error; every
    /// RegistryThresholdUnreachable is counted by the path it came through.
    function _checkRefusal(bytes memory expected, bytes memory reason, Path path) private {
        if (expected.length != 0 && keccak256(reason) != keccak256(expected)) ++wrongReasons;
        if (reason.length >= 4 && bytes4(reason) == IConsortiumRegistry.RegistryThresholdUnreachable.selector) {
            ++thresholdRefusals[path];
        }
    }

    function _activeVoter(uint256 seed) private view returns (uint64) {
        uint256 count = modelActiveVoters();
        if (count == 0) return 0;
        uint256 pick = seed % count;
        for (uint64 p = 1; p <= parties; ++p) {
            if (_isActiveVoter(p)) {
                if (pick == 0) return p;
                --pick;
            }
        }
        return 0;
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
 * @notice Under any sequence of suspensions (by the regulator alone or by governance),
 * reinstatements, revocations, voter-set changes, votes and executions (of proposals made
 * before the voter set changed under them): `activeVoterCount` is the number of voter
 * parties whose status is Active, the threshold's n is that plus the voters the regulator
 * suspended alone, the registry agrees with the handler's model (and refuses with the exact
 * errors the model predicts), a proposal's approvals in force are those of its approvers still
 * in that set, no proposal executes with fewer approvals in force than the threshold in force
 * when it executes, the regulator keeps at most f voters suspended on its own, and the active
 * voters can always reach the threshold.
 */
contract ConsortiumRegistryVoterSetInvariantTest is GovernanceFixture {
    VoterSetHandler internal handler;

    function setUp() public {
        _deploy(7, 3);
        handler = new VoterSetHandler(registry, governor);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// A short scripted campaign: every handler action can succeed, so the invariants
    /// below are not vacuous.
    function test_handler_everyActionSucceeds() public {
        // Party seeds: seed s → party 1 + s % 10. Status seeds: 0 → Active, 1 → Suspended, 2 → Revoked.
        handler.suspendByRegulator(6); // party 7, a voter: A = 6, R = 1, n = 7
        handler.propose(0); // proposal 1 (by party 1), pending
        handler.vote(0, 2); // party 3 votes on it
        handler.setStatusAsGovernor(6, 0); // the governor reinstates party 7: R = 0, A = 7
        handler.setVoterAsGovernor(7, true); // party 8 joins: n = 8, t = 6
        handler.setStatusByProposal(5, 1, 0); // proposal 2: governance suspends party 6, n = 7
        handler.setVoterByProposal(8, true, 0); // proposal 3: party 9 joins, n = 8, t = 6
        handler.setVoterAsGovernor(5, false); // suspended party 6 leaves the voters: n stays 8
        handler.vote(0, 3); // party 4
        handler.vote(0, 4); // party 5
        handler.vote(0, 0); // party 1
        handler.execute(0, 1); // party 2: 4 approvals, below t(8) = 6: refused, as predicted
        handler.vote(0, 1); // party 2
        handler.vote(0, 6); // party 7: the sixth approval executes proposal 1
        handler.propose(1); // proposal 4 (by party 2)
        handler.setStatusByProposal(8, 2, 0); // proposal 5: party 9 revoked, n = 7, t = 5
        for (uint256 s = 0; s < 5; ++s) handler.vote(1, s); // parties 1..5: the fifth executes proposal 4
        handler.propose(2); // proposal 6 (by party 3); the voters are 1..5, 7, 8
        for (uint256 s = 0; s < 4; ++s) handler.vote(2, s); // parties 1..4: 4 of t(7) = 5
        handler.setVoterAsGovernor(7, false); // party 8 leaves: n = 6, t = 5
        handler.setVoterAsGovernor(4, false); // party 5 leaves: n = 5, t = 4
        handler.execute(2, 0); // party 1 executes proposal 6 on the 4 approvals cast, all in force
        handler.proposeStatus(1, 1, 0); // proposal 7, pending: suspend party 2 (A = 5: allowed)
        handler.proposeVoterChange(9, true, 0); // proposal 8, pending: party 10 joins
        bytes4[10] memory actions = [
            handler.suspendByRegulator.selector,
            handler.setStatusAsGovernor.selector,
            handler.setVoterAsGovernor.selector,
            handler.setVoterByProposal.selector,
            handler.setStatusByProposal.selector,
            handler.propose.selector,
            handler.proposeStatus.selector,
            handler.proposeVoterChange.selector,
            handler.vote.selector,
            handler.execute.selector
        ];
        _assertEq(handler.mispredictions(), 0, "mispredictions");
        _assertEq(handler.executions(), 6, "proposals 1..6 executed");
        for (uint256 i = 0; i < actions.length; ++i) {
            _assertTrue(handler.successes(actions[i]) > 0, "action succeeded");
        }
    }

    /// The scripted campaign reaches `execute` once the threshold fell below the approvals.
    function test_handler_executeAfterTheThresholdFell() public {
        handler.propose(0); // proposal 1
        for (uint256 s = 0; s < 4; ++s) handler.vote(0, s); // parties 1..4: 4 of t(7) = 5
        handler.setVoterAsGovernor(6, false); // party 7 leaves: n = 6, t = 5
        handler.setVoterAsGovernor(5, false); // party 6 leaves: n = 5, t = 4
        handler.execute(0, 0);
        _assertEq(handler.successes(handler.execute.selector), 1, "executed on the approvals already cast");
        _assertEq(handler.executions(), 1, "recorded");
        _assertEq(handler.mispredictions(), 0, "mispredictions");
    }

    /// The scripted campaign reaches RegistryThresholdUnreachable on every path but `execute`:
    /// the governor's own account, a proposal's creation, and the vote that would execute a
    /// proposal made before the regulator's suspensions; and the same proposals execute once
    /// a suspended voter is reinstated.
    function test_handler_refusesWhatWouldStrandTheVote() public {
        handler.proposeStatus(1, 1, 0); // proposal 1, pending: suspend party 2 (A = 7: allowed)
        handler.proposeVoterChange(2, false, 0); // proposal 2, pending: unseat party 3
        handler.suspendByRegulator(6); // party 7: A = 6, R = 1
        handler.suspendByRegulator(5); // party 6: A = 5, R = 2, n = 7, t = 5: all five are needed
        handler.setStatusAsGovernor(3, 1); // suspend party 4: 4 active for n = 6 (t 5): refused
        handler.setVoterAsGovernor(3, false); // unseat party 4: refused
        handler.setStatusByProposal(4, 2, 0); // revoke party 5: refused at creation
        handler.setVoterByProposal(0, false, 1); // unseat party 1: refused at creation
        for (uint256 s = 0; s < 5; ++s) handler.vote(0, s); // parties 1..4 vote; party 5's would execute: refused
        for (uint256 s = 0; s < 5; ++s) handler.vote(1, s); // the same for proposal 2
        _assertEq(handler.thresholdRefusals(VoterSetHandler.Path.Direct), 2, "refused on the governor's account");
        _assertEq(handler.thresholdRefusals(VoterSetHandler.Path.Creation), 2, "refused at creation");
        _assertEq(handler.thresholdRefusals(VoterSetHandler.Path.Execution), 2, "refused at execution");
        _assertEq(handler.executions(), 0, "nothing executed");
        handler.setStatusAsGovernor(6, 0); // party 7 reinstated: A = 6, R = 1, n = 7, t = 5
        handler.vote(0, 4); // party 5: proposal 1 executes (5 active for n = 6): party 2 leaves n
        handler.vote(1, 4); // party 5: 5 approvals cast on proposal 2, 4 in force (party 2's left): not executed
        _assertEq(handler.executions(), 1, "only proposal 1");
        handler.vote(1, 6); // party 7: 5 in force, proposal 2 executes (4 active for n = 5)
        _assertEq(handler.executions(), 2, "both executed");
        _assertEq(handler.executedWithApproversGone(), 1, "proposal 2, without party 2's approval");
        _assertEq(handler.mispredictions(), 0, "mispredictions");
        _assertEq(handler.wrongReasons(), 0, "refusals with another error");
        _assertEq(registry.activeVoterCount(), 4, "active");
        _assertEq(governor.currentThreshold(), 4, "threshold of n = 5");
    }

    /// Approvals of voters that left the set do not count: four approve (of t(7) = 5), two of
    /// them are unseated (n = 5, t = 4), and execute() is refused with the 2 approvals in force;
    /// votes of voters still in the set then execute it.
    function test_handler_refusesApprovalsOfVotersGone() public {
        handler.propose(0); // proposal 1
        for (uint256 s = 0; s < 4; ++s) handler.vote(0, s); // parties 1..4
        handler.setVoterAsGovernor(2, false); // party 3 leaves: n = 6, t = 5
        handler.setVoterAsGovernor(3, false); // party 4 leaves: n = 5, t = 4
        handler.execute(0, 0); // party 1: 4 cast, 2 in force: GovernorNotApproved(1, 2, 4, true)
        _assertEq(handler.refusedForApproversGone(), 1, "refused on the approvals in force");
        handler.vote(0, 4); // party 5: 3 in force
        _assertEq(handler.executions(), 0, "not yet");
        handler.vote(0, 5); // party 6: 4 in force, executes
        _assertEq(handler.executions(), 1, "executed");
        _assertEq(handler.executedWithApproversGone(), 1, "without the approvals that left");
        _assertEq(handler.mispredictions(), 0, "mispredictions");
        _assertEq(handler.wrongReasons(), 0, "refusals with another error");
    }

    /// `execute` refuses, with the registry's error, a proposal approved by the threshold in
    /// force whose action would now leave the active voters short of it.
    function test_handler_executeRefusesWhatWouldStrandTheVote() public {
        handler.proposeStatus(1, 1, 0); // proposal 1, pending: suspend party 2
        handler.suspendByRegulator(6); // party 7: A = 6, R = 1
        for (uint256 s = 0; s < 4; ++s) handler.vote(0, s); // parties 1..4: 4 of t(7) = 5
        handler.setVoterAsGovernor(5, false); // party 6 leaves: A = 5, n = 6
        handler.setVoterAsGovernor(4, false); // party 5 leaves: A = 4, n = 5
        handler.setVoterAsGovernor(3, false); // party 4 leaves: A = 3, n = 4, t = 3
        handler.execute(0, 1); // party 2: approved, but 2 active for n = 3: refused
        _assertEq(handler.thresholdRefusals(VoterSetHandler.Path.Execution), 1, "refused at execution");
        handler.setStatusAsGovernor(6, 0); // party 7 reinstated: A = 4, n = 4, t = 3
        handler.execute(0, 1); // now it runs: 3 active for n = 3
        _assertEq(handler.successes(handler.execute.selector), 1, "executed");
        _assertEq(handler.mispredictions(), 0, "mispredictions");
        _assertEq(handler.wrongReasons(), 0, "refusals with another error");
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
        _assertEq(handler.mispredictions(), 0, "calls whose outcome the model did not predict");
        _assertEq(handler.wrongReasons(), 0, "refusals without the registry's predicted error");
        for (uint64 p = 1; p <= partyTotal; ++p) {
            _assertEq(uint8(registry.getParty(p).status), uint8(handler.modelStatus(p)), "status");
            _assertEq(registry.isVoter(p), handler.modelVoter(p), "voter flag");
        }
        _assertEq(registry.activeVoterCount(), handler.modelActiveVoters(), "count vs model");
        _assertEq(registry.suspendedVoterCount(), handler.modelSuspendedVoters(), "suspended count vs model");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_thresholdVoterCountCountsTheRegulatorsOwnSuspensions() public view {
        uint256 byRegulator = 0;
        for (uint64 p = 1; p <= partyTotal; ++p) {
            if (!handler.modelRegulatorSuspended(p)) continue;
            ++byRegulator;
            _assertTrue(registry.isVoter(p), "a voter");
            _assertEq(
                uint8(registry.getParty(p).status),
                uint8(IConsortiumRegistry.PartyStatus.Suspended),
                "suspended"
            );
        }
        _assertEq(registry.regulatorSuspendedVoterCount(), byRegulator, "regulatorSuspendedVoterCount vs model");
        _assertEq(
            registry.thresholdVoterCount(),
            registry.activeVoterCount() + registry.regulatorSuspendedVoterCount(),
            "n = active + suspended by the regulator"
        );
        _assertEq(registry.thresholdVoterCount(), handler.modelThresholdVoters(), "n vs model");
        _assertEq(governor.currentThreshold(), _expectedThreshold(registry.thresholdVoterCount()), "currentThreshold");
    }

    /**
     * At every execution, the approvals in force (those of approvers still in the threshold's
     * voter set, never the approvals cast) reach the threshold in force, and a regulator is
     * among them where one must be.
     *
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_noProposalExecutesBelowTheThresholdInForce() public view {
        uint256 executions = handler.executions();
        for (uint256 i = 0; i < executions; ++i) {
            uint256 approvals = handler.executedApprovals(i);
            uint256 threshold = handler.executedThresholds(i);
            if (approvals < threshold)
                revert AssertionFailedUint("approvals in force below the threshold in force", approvals, threshold);
        }
        _assertEq(handler.executedWithoutRegulator(), 0, "executions that lacked a required regulator approval");
    }

    /**
     * The governor's approvals in force of every pending proposal are the model's: its
     * approvers still in the threshold's voter set, and a regulator among them.
     *
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_approvalsInForceFollowTheModel() public view {
        uint256 pending = handler.pendingCount();
        for (uint256 i = 0; i < pending; ++i) {
            uint256 id = handler.pendingIdAt(i);
            (uint256 approvals, bool regulatorApproved) = governor.approvalsInForce(id);
            (uint256 model, bool modelRegulator) = handler.modelApprovalsInForce(id);
            _assertEq(approvals, model, "approvals in force vs model");
            _assertEq(regulatorApproved, modelRegulator, "regulator in force vs model");
            _assertTrue(approvals <= governor.getProposal(id).approvals, "in force <= cast");
        }
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_regulatorNeverSuspendsMoreThanF() public view {
        _assertEq(handler.regulatorOverLimit(), 0, "regulator suspensions beyond f of n");
    }

    /**
     * The active voters can always reach the threshold: whenever any voter is active,
     * activeVoterCount ≥ thresholdFor(thresholdVoterCount()), so no combination of the
     * regulator's suspensions and governance's can leave governance unable to act again.
     *
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 40
     */
    function invariant_activeVotersCanAlwaysReachTheThreshold() public view {
        uint256 active = registry.activeVoterCount();
        if (active == 0) return;
        uint256 threshold = governor.thresholdFor(registry.thresholdVoterCount());
        if (active < threshold) revert AssertionFailedUint("active voters below the threshold", active, threshold);
        uint256 independent = _expectedThreshold(registry.thresholdVoterCount());
        if (active < independent) revert AssertionFailedUint("active voters below 2n/3 + 1", active, independent);
    }
}
