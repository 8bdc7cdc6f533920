// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";

/// @notice Test-only: a membership mirror that, on every party push, reads the registry's
/// voter counts and the pushed party's {IConsortiumRegistry-countedVoter} back from the
/// registry and emits what it saw. A registry that pushes before its own state is complete
/// shows here: the counts a mirror called back during the push must be the final ones.
contract VoterCountsMirrorProbe is IMembershipMirror {
    /// @notice What the registry answered while pushing `partyId` (whose pushed status is `status`).
    event CountsSeen(
        uint64 indexed partyId,
        IConsortiumRegistry.PartyStatus status,
        uint256 activeVoters,
        uint256 suspendedVoters,
        uint256 regulatorSuspendedVoters,
        uint256 thresholdVoters,
        bool counted
    );

    IConsortiumRegistry private immutable _registry;

    mapping(address account => IConsortiumRegistry.Member) private _members;
    mapping(uint64 partyId => PartyGate) private _parties;

    constructor(IConsortiumRegistry registry_) {
        if (address(registry_) == address(0)) revert MirrorZeroRegistry();
        _registry = registry_;
    }

    /// @inheritdoc IMembershipMirror
    function mirrorMember(address account, IConsortiumRegistry.Member calldata member) external {
        _checkRegistry();
        _members[account] = member;
        emit MemberMirrored(account, member.partyId, member.role, member.status);
    }

    /// @inheritdoc IMembershipMirror
    function mirrorParty(uint64 partyId, PartyGate calldata gate) external {
        _checkRegistry();
        _parties[partyId] = gate;
        emit PartyMirrored(partyId, gate.domain, gate.status, gate.revokedLicences, gate.licencesValidUntil);
        (bool counted, ) = _registry.countedVoter(partyId);
        emit CountsSeen(
            partyId,
            gate.status,
            _registry.activeVoterCount(),
            _registry.suspendedVoterCount(),
            _registry.regulatorSuspendedVoterCount(),
            _registry.thresholdVoterCount(),
            counted
        );
    }

    /// @inheritdoc IMembershipMirror
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IMembershipMirror
    function mirroredMember(address account) external view returns (IConsortiumRegistry.Member memory) {
        return _members[account];
    }

    /// @inheritdoc IMembershipMirror
    function mirroredParty(uint64 partyId) external view returns (PartyGate memory) {
        return _parties[partyId];
    }

    function _checkRegistry() private view {
        if (msg.sender != address(_registry)) revert MirrorOnlyRegistry(msg.sender);
    }
}
