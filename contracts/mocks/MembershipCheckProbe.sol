// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";

/// @notice Test-only: measures, from inside a contract, the gas of the membership
/// check every MedState contract makes (one external call to the registry).
contract MembershipCheckProbe {
    IConsortiumRegistry private immutable _registry;

    constructor(IConsortiumRegistry registry_) {
        _registry = registry_;
    }

    /// @return used Gas spent by one `requireMember` call (warm or cold as the caller arranges).
    function measure(address account, uint256 roleMask, uint256 domainMask) external view returns (uint256 used) {
        uint256 before = gasleft();
        _registry.requireMember(account, roleMask, domainMask);
        used = before - gasleft();
    }
}
