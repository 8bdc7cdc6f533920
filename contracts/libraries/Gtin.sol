// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Gtin
 * @notice GS1 Global Trade Item Numbers held as numbers: a GTIN-14 is 14 decimal
 * digits (shorter GTINs are left-padded with zeros), the last one a mod-10 check digit.
 */
library Gtin {
    uint64 private constant _LIMIT = 1e14;

    /// @notice Whether `gtin` is a GTIN-14 (below 10^14, not zero) with a valid check digit.
    function isValid(uint64 gtin) internal pure returns (bool) {
        if (gtin == 0 || gtin >= _LIMIT) return false;
        uint256 body = gtin / 10;
        uint256 sum = 0;
        // From the right of the 13-digit body, weights alternate 3, 1, 3, …
        // 13 iterations over values below 10^13: no overflow.
        unchecked {
            for (uint256 i = 0; i < 13; ++i) {
                sum += (body % 10) * (i % 2 == 0 ? 3 : 1);
                body /= 10;
            }
        }
        return (10 - (sum % 10)) % 10 == gtin % 10;
    }
}
