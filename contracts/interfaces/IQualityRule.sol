// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IQualityEngine} from "./IQualityEngine.sol";

/**
 * @title IQualityRule
 * @notice A pluggable rule: the quality engine consults it, with a fixed gas allowance,
 * on every observation of the products it is set for ({IQualityEngine-setRules}, by
 * governance only). A rule that reverts, returns nothing or runs out of gas is skipped
 * and the observation stands ({IQualityEngine-RuleFailed}).
 */
interface IQualityRule {
    /**
     * @notice Judges one observation.
     * @param subject The batch id, or `bytes32(uint256(gtin))` for a product.
     * @param seq The observation's number within its subject.
     * @param party The observing party.
     * @param observation The observation as submitted.
     * @param result Its classification after the product's limits.
     * @return stop True to stop the subject (the graph's state that rules may enter).
     */
    function evaluate(
        bytes32 subject,
        uint32 seq,
        uint64 party,
        IQualityEngine.Observation calldata observation,
        IQualityEngine.Result result
    ) external returns (bool stop);
}
