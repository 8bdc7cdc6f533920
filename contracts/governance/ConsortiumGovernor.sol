// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {IConsortiumGovernor} from "../interfaces/IConsortiumGovernor.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {Masks} from "../libraries/Masks.sol";

/**
 * @title ConsortiumGovernor
 * @notice BFT-supermajority governance of the MedState consortium. UUPS-upgradeable
 * by itself only (through an executed proposal); storage in an ERC-7201 namespace.
 */
contract ConsortiumGovernor is IConsortiumGovernor, Initializable, ContextUpgradeable, UUPSUpgradeable {
    using Masks for uint256;

    // ==== TYPES ====

    /// @custom:storage-location erc7201:medstate.storage.ConsortiumGovernor
    struct GovernorStorage {
        // slot 0
        IConsortiumRegistry registry;
        // slots 1..2
        Parameters parameters;
        // slot 3
        uint256 proposalCount;
        // slots 4..5
        mapping(uint256 proposalId => Proposal) proposals;
        mapping(uint256 proposalId => mapping(uint64 partyId => bool)) voted;
        // slot 6: one entry per approving party (each votes once), so at most the parties
        // that were voters while the proposal was open.
        mapping(uint256 proposalId => uint64[]) approvers;
    }

    // ==== CONSTANTS ====

    // keccak256(abi.encode(uint256(keccak256("medstate.storage.ConsortiumGovernor")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_SLOT = 0x5730aaf9fcfeda1a07614ceae35cf7da25376705c70a2eb224ba9c07599a1a00;

    uint48 private constant _MIN_VOTING_PERIOD = 1 hours;
    uint48 private constant _MAX_VOTING_PERIOD = 365 days;

    uint256 private constant _ADMIN_ROLE = 1 << uint8(IConsortiumRegistry.Role.Admin);
    uint256 private constant _ANY_DOMAIN = type(uint256).max;

    // ==== MODIFIERS ====

    modifier onlySelf() {
        _checkSelf();
        _;
    }

    // ==== CONSTRUCTOR / INITIALIZER ====

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /**
     * @notice Initialises the proxy.
     * @param registry_ The consortium registry (which must then bind this governor).
     * @param parameters_ The initial governance parameters.
     */
    function initialize(IConsortiumRegistry registry_, Parameters calldata parameters_) external initializer {
        if (address(registry_) == address(0)) revert GovernorZeroAddress();
        _storage().registry = registry_;
        _setParameters(parameters_);
    }

    // ==== PROPOSING ====

    /// @inheritdoc IConsortiumGovernor
    function proposeAdmission(IConsortiumRegistry.PartyAdmission calldata admission) external returns (uint256) {
        (uint64 proposer, ) = _requireVoter();
        IConsortiumRegistry registry_ = _storage().registry;
        registry_.checkAdmission(admission);
        uint256 proposalId = _propose(
            proposer,
            ProposalKind.AdmitParty,
            address(registry_),
            abi.encodeCall(IConsortiumRegistry.admitParty, (admission)),
            false
        );
        // No party's admin may enrol the new party's admin first: that would make the
        // admission impossible for good.
        registry_.reserveAccount(admission.admin, _storage().proposals[proposalId].expiresAt);
        return proposalId;
    }

    /// @inheritdoc IConsortiumGovernor
    function proposePartyStatus(uint64 partyId, IConsortiumRegistry.PartyStatus status) external returns (uint256) {
        (uint64 proposer, ) = _requireVoter();
        ProposalKind kind;
        if (status == IConsortiumRegistry.PartyStatus.Suspended) kind = ProposalKind.SuspendParty;
        else if (status == IConsortiumRegistry.PartyStatus.Active) kind = ProposalKind.ReinstateParty;
        else if (status == IConsortiumRegistry.PartyStatus.Revoked) kind = ProposalKind.RevokeParty;
        else revert GovernorInvalidStatus(status);
        IConsortiumRegistry registry_ = _storage().registry;
        registry_.checkStatusTransition(partyId, status);
        return
            _propose(
                proposer,
                kind,
                address(registry_),
                abi.encodeCall(IConsortiumRegistry.setPartyStatus, (partyId, status)),
                kind != ProposalKind.ReinstateParty && _isRegulator(registry_, partyId)
            );
    }

    /// @inheritdoc IConsortiumGovernor
    function proposeVoter(uint64 partyId, bool voter) external returns (uint256) {
        (uint64 proposer, ) = _requireVoter();
        IConsortiumRegistry registry_ = _storage().registry;
        registry_.checkVoterChange(partyId, voter);
        return
            _propose(
                proposer,
                ProposalKind.SetVoter,
                address(registry_),
                abi.encodeCall(IConsortiumRegistry.setVoter, (partyId, voter)),
                !voter && _isRegulator(registry_, partyId)
            );
    }

    /// @inheritdoc IConsortiumGovernor
    function proposeParameters(Parameters calldata parameters_) external returns (uint256) {
        (uint64 proposer, ) = _requireVoter();
        _checkParameters(parameters_);
        return
            _propose(
                proposer,
                ProposalKind.SetParameters,
                address(this),
                abi.encodeCall(IConsortiumGovernor.setParameters, (parameters_)),
                false
            );
    }

    /// @inheritdoc IConsortiumGovernor
    function proposeUpgrade(address proxy, address implementation) external returns (uint256) {
        (uint64 proposer, ) = _requireVoter();
        if (proxy.code.length == 0) revert GovernorNotAContract(proxy);
        if (implementation.code.length == 0) revert GovernorNotAContract(implementation);
        return
            _propose(
                proposer,
                ProposalKind.Upgrade,
                proxy,
                abi.encodeWithSelector(UUPSUpgradeable.upgradeToAndCall.selector, implementation, ""),
                false
            );
    }

    /// @inheritdoc IConsortiumGovernor
    function proposeCall(address target, bytes calldata data) external returns (uint256) {
        (uint64 proposer, ) = _requireVoter();
        if (target.code.length == 0) revert GovernorNotAContract(target);
        if (data.length >= 4 && _isTyped(bytes4(data[:4]))) revert GovernorUseTypedProposal(bytes4(data[:4]));
        // Run the call now, as the governor, and undo it: one that would fail is refused
        // before anyone votes on it.
        // solhint-disable-next-line no-empty-blocks
        try this.simulateCall(target, data) {
            // simulateCall always reverts: there is no success to handle.
        } catch (bytes memory reason) {
            // Success is this exact answer, naming this call: a nested simulation's answer is a failure.
            bytes32 call = keccak256(abi.encode(target, data));
            if (keccak256(reason) != keccak256(abi.encodeWithSelector(GovernorCallSimulated.selector, call))) {
                revert GovernorCallWouldFail(target, reason);
            }
        }
        return _propose(proposer, ProposalKind.Call, target, data, _callTargetsRegulator(target, data));
    }

    /// @inheritdoc IConsortiumGovernor
    function simulateCall(address target, bytes calldata data) external onlySelf {
        // The call a proposal would make, made now to be undone: its outcome is all we want.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
        revert GovernorCallSimulated(keccak256(abi.encode(target, data)));
    }

    // ==== VOTING ====

    /// @inheritdoc IConsortiumGovernor
    function vote(uint256 proposalId) external returns (bool executed) {
        GovernorStorage storage $ = _storage();
        Proposal storage proposal = _proposal(proposalId);
        if (proposal.executed) revert GovernorProposalExecuted(proposalId);
        if (block.timestamp >= proposal.expiresAt) revert GovernorProposalExpired(proposalId, proposal.expiresAt);

        (uint64 partyId, IConsortiumRegistry.Domain domain) = _requireVoter();
        if ($.voted[proposalId][partyId]) revert GovernorAlreadyVoted(proposalId, partyId);

        $.voted[proposalId][partyId] = true;
        $.approvers[proposalId].push(partyId);
        // One approval per voting party, and parties are far fewer than 2^16.
        uint16 approvals = ++proposal.approvals;
        if (domain == IConsortiumRegistry.Domain.Regulator) proposal.regulatorApproved = true;
        emit VoteCast(proposalId, partyId, _msgSender(), approvals);

        if (_approved(proposalId, proposal)) {
            _execute(proposalId, proposal);
            return true;
        }
        return false;
    }

    /// @inheritdoc IConsortiumGovernor
    function execute(uint256 proposalId) external {
        Proposal storage proposal = _proposal(proposalId);
        if (proposal.executed) revert GovernorProposalExecuted(proposalId);
        if (block.timestamp >= proposal.expiresAt) revert GovernorProposalExpired(proposalId, proposal.expiresAt);
        _requireVoter();
        if (!_approved(proposalId, proposal)) {
            (uint256 approvals, bool regulatorApproved) = _approvalsInForce(proposalId);
            revert GovernorNotApproved(proposalId, approvals, _currentThreshold(), regulatorApproved);
        }
        _execute(proposalId, proposal);
    }

    // ==== SELF ====

    /// @inheritdoc IConsortiumGovernor
    function setParameters(Parameters calldata parameters_) external onlySelf {
        _setParameters(parameters_);
    }

    // ==== VIEWS ====

    /// @inheritdoc IConsortiumGovernor
    function registry() external view returns (IConsortiumRegistry) {
        return _storage().registry;
    }

    /// @inheritdoc IConsortiumGovernor
    function parameters() external view returns (Parameters memory) {
        return _storage().parameters;
    }

    /// @inheritdoc IConsortiumGovernor
    function proposalCount() external view returns (uint256) {
        return _storage().proposalCount;
    }

    /// @inheritdoc IConsortiumGovernor
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposal(proposalId);
    }

    /// @inheritdoc IConsortiumGovernor
    function proposalState(uint256 proposalId) external view returns (ProposalState) {
        Proposal storage proposal = _storage().proposals[proposalId];
        if (proposal.kind == ProposalKind.None) return ProposalState.None;
        if (proposal.executed) return ProposalState.Executed;
        if (block.timestamp >= proposal.expiresAt) return ProposalState.Expired;
        return ProposalState.Active;
    }

    /// @inheritdoc IConsortiumGovernor
    function hasVoted(uint256 proposalId, uint64 partyId) external view returns (bool) {
        return _storage().voted[proposalId][partyId];
    }

    /// @inheritdoc IConsortiumGovernor
    function currentThreshold() external view returns (uint256) {
        return _currentThreshold();
    }

    /// @inheritdoc IConsortiumGovernor
    function approvalsInForce(uint256 proposalId) external view returns (uint256 approvals, bool regulatorApproved) {
        return _approvalsInForce(proposalId);
    }

    /// @inheritdoc IConsortiumGovernor
    function thresholdFor(uint256 voters) public pure returns (uint256) {
        if (voters == 0) return 0;
        // f = ⌊(n−1)/3⌋ ≤ n−1, so n − f ≥ 1 and cannot underflow.
        unchecked {
            return voters - (voters - 1) / 3;
        }
    }

    // ==== INTERNAL ====

    function _authorizeUpgrade(address) internal view override {
        _checkSelf();
    }

    /// Creates a proposal. The regulator must approve it if its kind says so, or if it would
    /// suspend, revoke or unseat a regulator (`regulatorTarget`): no parameter removes that.
    function _propose(
        uint64 partyId,
        ProposalKind kind,
        address target,
        bytes memory data,
        bool regulatorTarget
    ) internal returns (uint256 proposalId) {
        GovernorStorage storage $ = _storage();
        uint256 voters = $.registry.thresholdVoterCount();
        // The proposer is an active voter, so voters ≥ 1 and the threshold ≥ 1;
        // voters fit in uint16 because parties are far fewer than 2^16.
        uint16 threshold = uint16(thresholdFor(voters));
        bool regulatorRequired = regulatorTarget || $.parameters.regulatorApprovalKinds.has(uint8(kind));
        uint48 expiresAt = uint48(block.timestamp) + $.parameters.votingPeriod;

        proposalId = ++$.proposalCount;
        Proposal storage proposal = $.proposals[proposalId];
        proposal.kind = kind;
        proposal.proposerParty = partyId;
        proposal.expiresAt = expiresAt;
        proposal.threshold = threshold;
        proposal.regulatorRequired = regulatorRequired;
        proposal.target = target;
        proposal.data = data;
        emit ProposalCreated(
            proposalId,
            kind,
            partyId,
            _msgSender(),
            target,
            data,
            voters,
            threshold,
            regulatorRequired,
            expiresAt
        );
    }

    function _execute(uint256 proposalId, Proposal storage proposal) internal {
        // Marked before the call: a proposal executes exactly once, even if its action
        // calls back into the governor.
        proposal.executed = true;
        bytes memory result = Address.functionCall(proposal.target, proposal.data);
        emit ProposalExecuted(proposalId, result);
    }

    /// Approved by the threshold of the voter set in force now (not at creation), counting
    /// only approvers still in that set, and, where required, by a regulator among them.
    function _approved(uint256 proposalId, Proposal storage proposal) internal view returns (bool) {
        uint256 threshold = _currentThreshold();
        // The approvals cast bound those in force: recount only when they could meet it.
        if (proposal.approvals < threshold) return false;
        (uint256 approvals, bool regulatorApproved) = _approvalsInForce(proposalId);
        return approvals >= threshold && (!proposal.regulatorRequired || regulatorApproved);
    }

    /// One registry read per approving party: at most the parties that were voters while
    /// the proposal was open.
    function _approvalsInForce(uint256 proposalId) internal view returns (uint256 approvals, bool regulatorApproved) {
        GovernorStorage storage $ = _storage();
        uint64[] storage approvers = $.approvers[proposalId];
        IConsortiumRegistry registry_ = $.registry;
        for (uint256 i = 0; i < approvers.length; ++i) {
            (bool counted, IConsortiumRegistry.Domain domain) = registry_.countedVoter(approvers[i]);
            if (!counted) continue;
            ++approvals;
            if (domain == IConsortiumRegistry.Domain.Regulator) regulatorApproved = true;
        }
    }

    function _currentThreshold() internal view returns (uint256) {
        return thresholdFor(_storage().registry.thresholdVoterCount());
    }

    /// Whether a generic call would change a regulator party's licences or keys: as much a
    /// suspension (a licence let lapse, a key taken) as a suspension, so it needs a regulator's
    /// approval whatever the parameters. Each of these registry functions takes the party first.
    function _callTargetsRegulator(address target, bytes calldata data) internal view returns (bool) {
        IConsortiumRegistry registry_ = _storage().registry;
        if (target != address(registry_) || data.length < 36) return false;
        bytes4 selector = bytes4(data[:4]);
        if (
            selector != IConsortiumRegistry.grantLicence.selector &&
            selector != IConsortiumRegistry.revokeLicence.selector &&
            selector != IConsortiumRegistry.rotateMember.selector
        ) return false;
        // The call was just run (simulated), so the party exists and the argument is a uint64.
        return _isRegulator(registry_, uint64(uint256(bytes32(data[4:36]))));
    }

    function _isRegulator(IConsortiumRegistry registry_, uint64 partyId) internal view returns (bool) {
        return registry_.getParty(partyId).domain == IConsortiumRegistry.Domain.Regulator;
    }

    function _setParameters(Parameters calldata parameters_) internal {
        _checkParameters(parameters_);
        _storage().parameters = parameters_;
        emit ParametersChanged(parameters_.votingPeriod, parameters_.regulatorApprovalKinds);
    }

    /// Reverts unless the caller is an admin of an active voting party.
    function _requireVoter() internal view returns (uint64 partyId, IConsortiumRegistry.Domain domain) {
        IConsortiumRegistry registry_ = _storage().registry;
        (partyId, domain) = registry_.requireMember(_msgSender(), _ADMIN_ROLE, _ANY_DOMAIN);
        if (!registry_.isVoter(partyId)) revert GovernorNotVoter(partyId);
    }

    function _checkSelf() internal view {
        if (_msgSender() != address(this)) revert GovernorOnlySelf(_msgSender());
    }

    function _proposal(uint256 proposalId) internal view returns (Proposal storage proposal) {
        proposal = _storage().proposals[proposalId];
        if (proposal.kind == ProposalKind.None) revert GovernorUnknownProposal(proposalId);
    }

    /// The selectors that typed proposals own: a generic `Call` may not use them, so
    /// that a proposal's kind (and whether it needs the regulator) is what it does.
    function _isTyped(bytes4 selector) internal pure returns (bool) {
        return
            selector == IConsortiumRegistry.admitParty.selector ||
            selector == IConsortiumRegistry.setPartyStatus.selector ||
            selector == IConsortiumRegistry.suspendParty.selector ||
            selector == IConsortiumRegistry.setVoter.selector ||
            selector == IConsortiumRegistry.reserveAccount.selector ||
            selector == IConsortiumGovernor.setParameters.selector ||
            selector == UUPSUpgradeable.upgradeToAndCall.selector;
    }

    function _checkParameters(Parameters calldata parameters_) internal pure {
        uint48 period = parameters_.votingPeriod;
        if (period < _MIN_VOTING_PERIOD || period > _MAX_VOTING_PERIOD) revert GovernorInvalidVotingPeriod(period);
    }

    // ==== PRIVATE ====

    function _storage() private pure returns (GovernorStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _STORAGE_SLOT
        }
    }
}
