// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";
import {Masks} from "./Masks.sol";

/**
 * @title Membership
 * @notice The membership checks, shared by the consortium registry and every
 * {IMembershipMirror}: one definition of "may act", so that a mirror refuses exactly
 * what the registry refuses, with the registry's own errors.
 */
library Membership {
    using Masks for uint256;

    /// @notice Reverts unless the party may act now: active, no licence revoked, and
    /// every licence valid at this block's time.
    function checkCanAct(
        uint64 partyId,
        IConsortiumRegistry.PartyStatus status,
        uint8 revokedLicences,
        uint48 licencesValidUntil
    ) internal view {
        if (status != IConsortiumRegistry.PartyStatus.Active) {
            revert IConsortiumRegistry.RegistryPartyNotActive(partyId, status);
        }
        if (revokedLicences != 0) revert IConsortiumRegistry.RegistryLicenceRevoked(partyId, revokedLicences);
        if (licencesValidUntil <= block.timestamp) {
            revert IConsortiumRegistry.RegistryLicenceExpired(partyId, licencesValidUntil);
        }
    }

    /// @notice Reverts unless the party's domain is in `domainMask`.
    function checkDomain(uint64 partyId, IConsortiumRegistry.Domain domain, uint256 domainMask) internal pure {
        if (!domainMask.has(uint8(domain))) revert IConsortiumRegistry.RegistryDomainNotAllowed(partyId, domain);
    }

    /// @notice Whether `target` answers {IMembershipMirror-registry} with `registry` (false
    /// for no code, a revert, or any other answer): a mirror of that registry.
    function isMirrorOf(address target, address registry) internal view returns (bool) {
        (bool ok, bytes memory answer) = target.staticcall(abi.encodeCall(IMembershipMirror.registry, ()));
        return ok && answer.length == 32 && bytes32(answer) == bytes32(uint256(uint160(registry)));
    }

    /// @notice Reverts unless the member's role is in `roleMask`.
    function checkRole(address account, IConsortiumRegistry.Role role, uint256 roleMask) internal pure {
        if (!roleMask.has(uint8(role))) revert IConsortiumRegistry.RegistryRoleNotAllowed(account, role);
    }
}
