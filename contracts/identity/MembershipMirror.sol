// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";
import {MembershipGate} from "./MembershipGate.sol";

/**
 * @title MembershipMirror
 * @notice The registry-fed copy of the membership records (see {IMembershipMirror}),
 * for contracts whose every call checks membership. Storage in its own ERC-7201
 * namespace; the registry's address is an immutable of the implementation, so that
 * no call spends a storage read on it. The checks live in {MembershipGate}.
 */
abstract contract MembershipMirror is IMembershipMirror, MembershipGate {
    // ==== MODIFIERS ====

    modifier onlyRegistry() {
        if (msg.sender != address(_consortium())) revert MirrorOnlyRegistry(msg.sender);
        _;
    }

    // ==== CONSTRUCTOR ====

    constructor(IConsortiumRegistry registry_) MembershipGate(registry_) {}

    // ==== EXTERNAL ====

    /// @inheritdoc IMembershipMirror
    function mirrorMember(address account, IConsortiumRegistry.Member calldata member) external onlyRegistry {
        _mirror().members[account] = member;
        emit MemberMirrored(account, member.partyId, member.role, member.status);
    }

    /// @inheritdoc IMembershipMirror
    function mirrorParty(uint64 partyId, PartyGate calldata gate) external onlyRegistry {
        _mirror().parties[partyId] = gate;
        emit PartyMirrored(partyId, gate.domain, gate.status, gate.revokedLicences, gate.licencesValidUntil);
    }

    /// @inheritdoc IMembershipMirror
    function registry() public view returns (address) {
        return address(_consortium());
    }

    /// @inheritdoc IMembershipMirror
    function mirroredMember(address account) external view returns (IConsortiumRegistry.Member memory) {
        return _mirror().members[account];
    }

    /// @inheritdoc IMembershipMirror
    function mirroredParty(uint64 partyId) external view returns (PartyGate memory) {
        return _mirror().parties[partyId];
    }
}
