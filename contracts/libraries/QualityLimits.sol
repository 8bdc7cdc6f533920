// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IQualityEngine} from "../interfaces/IQualityEngine.sol";

/**
 * @title QualityLimits
 * @notice A product's quality limits packed into the 104 bits its storage slot has left
 * (`ISupplyLedger.Product.limits`), so that an observation reads them with the product:
 *
 * | bits   | field                                   |
 * | ------ | --------------------------------------- |
 * | 0–15   | storage min temperature (int16, 0.01 °C) |
 * | 16–31  | storage max temperature                 |
 * | 32–39  | storage max humidity (uint8, %)         |
 * | 40–55  | transport min temperature               |
 * | 56–71  | transport max temperature               |
 * | 72–79  | transport max humidity                  |
 * | 80–87  | stopOnCritical (bitmask of Point)       |
 * | 88     | set: the rules were set                 |
 * | 89     | extended: adverse count or rule contract |
 */
library QualityLimits {
    /// An open lower bound.
    int16 internal constant NO_MIN = type(int16).min;
    /// An open upper bound.
    int16 internal constant NO_MAX = type(int16).max;
    /// No humidity bound.
    uint8 internal constant NO_MAX_HUMIDITY = type(uint8).max;
    /// An observation without a temperature.
    int16 internal constant NO_TEMPERATURE = type(int16).min;
    /// An observation without a humidity.
    uint16 internal constant NO_HUMIDITY = type(uint16).max;

    uint104 internal constant SET = uint104(1) << 88;
    uint104 internal constant EXTENDED = uint104(1) << 89;

    /// Packs a product's rules (the range parts, the stop mask and the flags).
    function pack(IQualityEngine.Rules calldata rules) internal pure returns (uint104 limits) {
        limits =
            _packRange(rules.storageRange) |
            (_packRange(rules.transportRange) << 40) |
            (uint104(rules.stopOnCritical) << 80) |
            SET;
        if (rules.adverseCount != 0 || rules.ruleContract != address(0)) limits |= EXTENDED;
    }

    /// The range at `offset` (0: storage, 40: transport).
    function range(uint104 limits, uint256 offset) internal pure returns (IQualityEngine.Range memory r) {
        uint104 bits = limits >> offset;
        if (limits & SET == 0) return IQualityEngine.Range(NO_MIN, NO_MAX, NO_MAX_HUMIDITY);
        r.minTemperature = int16(uint16(bits));
        r.maxTemperature = int16(uint16(bits >> 16));
        r.maxHumidity = uint8(bits >> 32);
    }

    /**
     * True if a temperature or humidity is outside the range at `offset`. Absent measures
     * and unset rules never are.
     */
    function outside(uint104 limits, uint256 offset, int16 temperature, uint16 humidity) internal pure returns (bool) {
        if (limits & SET == 0) return false;
        uint104 bits = limits >> offset;
        if (temperature != NO_TEMPERATURE) {
            if (temperature < int16(uint16(bits)) || temperature > int16(uint16(bits >> 16))) return true;
        }
        uint8 maxHumidity = uint8(bits >> 32);
        // humidity is in 0.01 %, the bound in whole percent.
        return humidity != NO_HUMIDITY && maxHumidity != NO_MAX_HUMIDITY && humidity > uint256(maxHumidity) * 100;
    }

    /// True if a critical observation at `point` stops the subject.
    function stopsOnCritical(uint104 limits, IQualityEngine.Point point) internal pure returns (bool) {
        return (limits >> (80 + uint8(point))) & 1 == 1;
    }

    function _packRange(IQualityEngine.Range calldata r) private pure returns (uint104) {
        return
            uint104(uint16(r.minTemperature)) |
            (uint104(uint16(r.maxTemperature)) << 16) |
            (uint104(r.maxHumidity) << 32);
    }
}
