// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";

/**
 * @title Masks
 * @notice Bitmaps of enum values, the form every "allowed set" takes in MedState:
 * value `v` is bit `1 << uint8(v)`. Callers pass role and domain sets to
 * {IConsortiumRegistry-requireMember} this way.
 */
library Masks {
    /// @notice The bit of a raw enum value.
    function bit(uint8 value) internal pure returns (uint256) {
        return uint256(1) << value;
    }

    /// @notice The bit of a party status.
    function bitOf(IConsortiumRegistry.PartyStatus status) internal pure returns (uint256) {
        return bit(uint8(status));
    }

    /// @notice Whether `mask` contains the bit of `value`.
    function has(uint256 mask, uint8 value) internal pure returns (bool) {
        return mask & bit(value) != 0;
    }
}
