// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/**
 * @title IConsortiumGovernor
 * @notice The consortium decides together. Admins of active voting parties propose
 * and vote, one vote per party. A proposal passes when a Byzantine-fault-tolerant
 * supermajority approves: with `n` voters, `f = ⌊(n−1)/3⌋` faulty ones are tolerated
 * and the threshold is `n − f` (more than two thirds). `n` counts the active voters and
 * the voters a regulator suspended on its own ({IConsortiumRegistry-thresholdVoterCount}),
 * so no suspension by one party lowers it; it is taken when a proposal executes, so a
 * proposal passes only with the threshold of the voter set in force then, counting only
 * the approvals of parties still in that set ({approvalsInForce}). Where the
 * parameters say so for a proposal's kind, a regulator must also be among the approvers;
 * and whatever the parameters, for suspending, revoking or unseating (as a voter) a
 * regulator party, and for a generic call that grants or revokes a regulator party's
 * licence or rotates one of its members' keys (a suspension by other means). The vote
 * that completes the approval executes the proposal's action, exactly once (or {execute}
 * does, once the threshold falls to the approvals already cast); proposals expire after
 * the voting period.
 *
 * Every proposal is one call (`target`, `data`) made by this governor, so new kinds
 * only need a new label (the generic `Call` kind covers any other action, but never
 * a selector a typed kind owns). Each proposal is checked at creation as it will be
 * at execution (a generic call is run and undone: one that would fail is refused). The
 * governor is the only account that may upgrade MedState's contracts, itself included.
 */
interface IConsortiumGovernor {
    // ==== TYPES ====

    /// @notice What a proposal does. Appended to, never reordered.
    enum ProposalKind {
        None,
        AdmitParty,
        SuspendParty,
        ReinstateParty,
        RevokeParty,
        SetVoter,
        SetParameters,
        Upgrade,
        Call
    }

    /// @notice Where a proposal stands.
    enum ProposalState {
        None,
        Active,
        Executed,
        Expired
    }

    /// @notice The governance parameters.
    /// @param votingPeriod Seconds a proposal stays open.
    /// @param regulatorApprovalKinds Bitmap over {ProposalKind}: kinds that need a
    /// regulator among the approvers (bit `1 << uint8(kind)`).
    struct Parameters {
        uint48 votingPeriod;
        uint256 regulatorApprovalKinds;
    }

    /// @notice A proposal as stored. The first seven fields fit in one slot.
    struct Proposal {
        ProposalKind kind;
        uint64 proposerParty;
        uint48 expiresAt;
        uint16 threshold;
        uint16 approvals;
        bool regulatorRequired;
        bool regulatorApproved;
        bool executed;
        address target;
        bytes data;
    }

    // ==== EVENTS ====

    /// @notice A proposal was created by `proposer` of `proposerParty`. `threshold` is
    /// `n − ⌊(n−1)/3⌋` for the `voters` counted at creation (execution takes the count then).
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind indexed kind,
        uint64 indexed proposerParty,
        address proposer,
        address target,
        bytes data,
        uint256 voters,
        uint16 threshold,
        bool regulatorRequired,
        uint48 expiresAt
    );

    /// @notice `partyId` approved, through its admin `voter`; `approvals` is the new tally.
    event VoteCast(uint256 indexed proposalId, uint64 indexed partyId, address voter, uint16 approvals);

    /// @notice The proposal's action ran; `result` is what the call returned.
    event ProposalExecuted(uint256 indexed proposalId, bytes result);

    /// @notice The governance parameters changed.
    event ParametersChanged(uint48 votingPeriod, uint256 regulatorApprovalKinds);

    // ==== ERRORS ====

    /// @notice No proposal has this id.
    error GovernorUnknownProposal(uint256 proposalId);
    /// @notice The proposal expired at `expiresAt`.
    error GovernorProposalExpired(uint256 proposalId, uint48 expiresAt);
    /// @notice The proposal was already executed.
    error GovernorProposalExecuted(uint256 proposalId);
    /// @notice The party already voted on this proposal.
    error GovernorAlreadyVoted(uint256 proposalId, uint64 partyId);
    /// @notice The caller's party is not in the voting set.
    error GovernorNotVoter(uint64 partyId);
    /// @notice Only the governor itself (through an executed proposal) may do this.
    error GovernorOnlySelf(address caller);
    /// @notice The voting period is outside [1 hour, 365 days].
    error GovernorInvalidVotingPeriod(uint48 votingPeriod);
    /// @notice The requested party status is not one a proposal can set.
    error GovernorInvalidStatus(IConsortiumRegistry.PartyStatus status);
    /// @notice `account` has no code: an upgrade or call needs a contract.
    error GovernorNotAContract(address account);
    /// @notice An address argument was zero.
    error GovernorZeroAddress();
    /// @notice A generic call may not use `selector`: a typed proposal owns it (admit,
    /// status, voter, parameters, upgrade), and so decides whether a regulator must approve.
    error GovernorUseTypedProposal(bytes4 selector);
    /// @notice The generic call, run now as the governor, fails with `reason`: nobody should vote on it.
    error GovernorCallWouldFail(address target, bytes reason);
    /// @notice {simulateCall}'s answer when the call succeeds (it always reverts, to undo it);
    /// `call` is `keccak256(abi.encode(target, data))`, so that no other answer passes for it.
    error GovernorCallSimulated(bytes32 call);
    /// @notice The proposal has `approvals` in force (from parties still in the voter set),
    /// fewer than the current `threshold`, or lacks a regulator's approval it needs.
    error GovernorNotApproved(uint256 proposalId, uint256 approvals, uint256 threshold, bool regulatorApproved);

    // ==== PROPOSING (admins of active voting parties) ====

    /**
     * @notice Proposes admitting a party. Checked now as the registry will check it,
     * so that a proposal that could never execute is refused at once.
     * @return proposalId The new proposal's id (sequential from 1).
     */
    function proposeAdmission(
        IConsortiumRegistry.PartyAdmission calldata admission
    ) external returns (uint256 proposalId);

    /**
     * @notice Proposes suspending (`Suspended`), reinstating (`Active`) or revoking
     * (`Revoked`) a party. Checked now as the registry will check it.
     */
    function proposePartyStatus(
        uint64 partyId,
        IConsortiumRegistry.PartyStatus status
    ) external returns (uint256 proposalId);

    /// @notice Proposes adding a party to (`voter` true) or removing it from the voting set.
    /// Checked now as the registry will check it.
    function proposeVoter(uint64 partyId, bool voter) external returns (uint256 proposalId);

    /// @notice Proposes new governance parameters.
    function proposeParameters(Parameters calldata parameters) external returns (uint256 proposalId);

    /**
     * @notice Proposes upgrading a MedState UUPS proxy (the governor's own included).
     * @param proxy The proxy to upgrade.
     * @param implementation The new implementation (must have code).
     */
    function proposeUpgrade(address proxy, address implementation) external returns (uint256 proposalId);

    /**
     * @notice Proposes any other call by the governor (the extension point for kinds
     * that later contracts add, such as approving a rule contract). Refused for the
     * selectors that typed proposals own ({GovernorUseTypedProposal}), so that no
     * generic call can bypass a kind's regulator-approval rule.
     * @param target A contract.
     * @param data The calldata.
     */
    function proposeCall(address target, bytes calldata data) external returns (uint256 proposalId);

    // ==== VOTING ====

    /**
     * @notice Executes a proposal whose approvals already meet the current threshold (and
     * the regulator condition): for when the threshold fell after the last vote (voters left
     * the set by governance). Caller: an admin of an active voting party.
     */
    function execute(uint256 proposalId) external;

    /**
     * @notice Approves a proposal for the caller's party (caller: an admin of an active
     * voting party). The approval that meets the threshold (and the regulator
     * condition, where it applies) executes the action; if the action reverts, the
     * vote reverts with the action's error and nothing changes.
     * @return executed Whether this vote executed the proposal.
     */
    function vote(uint256 proposalId) external returns (bool executed);

    // ==== SELF (through executed proposals) ====

    /// @notice Sets the governance parameters. Only through an executed proposal.
    function setParameters(Parameters calldata parameters) external;

    /// @notice Runs `data` on `target` as the governor and reverts, always: with the call's
    /// own error, or {GovernorCallSimulated} naming the call. Only the governor itself ({proposeCall}).
    function simulateCall(address target, bytes calldata data) external;

    // ==== VIEWS ====

    /// @notice The registry this governor governs.
    function registry() external view returns (IConsortiumRegistry);

    /// @notice The current governance parameters.
    function parameters() external view returns (Parameters memory);

    /// @notice How many proposals were created; ids run from 1 to this.
    function proposalCount() external view returns (uint256);

    /// @notice A proposal; reverts for an unknown id.
    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Where a proposal stands; `None` for an unknown id.
    function proposalState(uint256 proposalId) external view returns (ProposalState);

    /// @notice Whether `partyId` approved `proposalId`.
    function hasVoted(uint256 proposalId, uint64 partyId) external view returns (bool);

    /// @notice The threshold a proposal needs now: {thresholdFor} the registry's
    /// {IConsortiumRegistry-thresholdVoterCount}.
    function currentThreshold() external view returns (uint256);

    /**
     * @notice The approvals of `proposalId` that count now: those of parties still in the
     * threshold's voter set ({IConsortiumRegistry-countedVoter}), and whether a regulator
     * party is among them. A party that left the set (removed as a voter, revoked, or
     * suspended by governance) takes its approval with it, so approvals cast before voters
     * leave cannot meet the lower threshold their leaving makes.
     */
    function approvalsInForce(uint256 proposalId) external view returns (uint256 approvals, bool regulatorApproved);

    /// @notice The BFT threshold for `voters` voters: `n − ⌊(n−1)/3⌋` (0 for none).
    function thresholdFor(uint256 voters) external pure returns (uint256);
}
