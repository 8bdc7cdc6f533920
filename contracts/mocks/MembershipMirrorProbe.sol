// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MembershipMirror} from "../identity/MembershipMirror.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";

/// @notice Test-only: a bare {MembershipMirror} (no proxy, no other state) that exposes
/// the mirror's checks, so that tests can hold them against the registry's own
/// `requireMember` / `requireParty`, and measure what one check costs from inside a
/// contract: mirrored (two storage reads) or through the fallback (a registry call).
contract MembershipMirrorProbe is MembershipMirror {
    constructor(IConsortiumRegistry registry_) MembershipMirror(registry_) {}

    /// @notice {MembershipMirror-_requireMember}, as a view.
    function requireMember(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) external view returns (uint64 partyId, IConsortiumRegistry.Domain domain) {
        return _requireMember(account, roleMask, domainMask);
    }

    /// @notice {MembershipMirror-_requireParty}, as a view.
    function requireParty(uint64 partyId, uint256 domainMask) external view returns (IConsortiumRegistry.Domain) {
        return _requireParty(partyId, domainMask);
    }

    /// @notice {MembershipMirror-_consortium}: the registry the contract's other calls use.
    function consortium() external view returns (address) {
        return address(_consortium());
    }

    /// @return used Gas spent by one `_requireMember` (cold or warm as the caller arranges).
    function measureMember(address account, uint256 roleMask, uint256 domainMask) external view returns (uint256 used) {
        uint256 before = gasleft();
        _requireMember(account, roleMask, domainMask);
        used = before - gasleft();
    }

    /// @return used Gas spent by one `_requireParty`.
    function measureParty(uint64 partyId, uint256 domainMask) external view returns (uint256 used) {
        uint256 before = gasleft();
        _requireParty(partyId, domainMask);
        used = before - gasleft();
    }
}
