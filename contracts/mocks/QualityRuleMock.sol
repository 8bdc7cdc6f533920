// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IQualityEngine} from "../interfaces/IQualityEngine.sol";
import {IQualityRule} from "../interfaces/IQualityRule.sol";

/// @notice Test-only: a rule contract whose answer a test chooses, including the ways a
/// rule can misbehave (revert, burn its gas, return nothing, too much or a non-bool).
contract QualityRuleMock is IQualityRule {
    enum Behaviour {
        Pass,
        Stop,
        Revert,
        BurnGas,
        ReturnNothing,
        ReturnBomb,
        ReturnTwo
    }

    Behaviour public behaviour;
    /// @notice How many times {evaluate} ran to completion (Pass and Stop only).
    uint256 public calls;
    /// @notice The last observation's seq and the temperature it carried.
    uint32 public lastSeq;
    int16 public lastTemperature;

    error QualityRuleMockRefused();

    function setBehaviour(Behaviour b) external {
        behaviour = b;
    }

    function evaluate(
        bytes32,
        uint32 seq,
        uint64,
        IQualityEngine.Observation calldata observation,
        IQualityEngine.Result
    ) external returns (bool) {
        Behaviour b = behaviour;
        if (b == Behaviour.Revert) revert QualityRuleMockRefused();
        if (b == Behaviour.BurnGas) {
            // solhint-disable-next-line no-empty-blocks
            while (gasleft() > 0) {}
        }
        if (b == Behaviour.ReturnNothing) {
            assembly {
                return(0, 0)
            }
        }
        if (b == Behaviour.ReturnBomb) {
            assembly {
                return(0, 100000)
            }
        }
        if (b == Behaviour.ReturnTwo) {
            assembly {
                mstore(0, 2)
                return(0, 32)
            }
        }
        ++calls;
        lastSeq = seq;
        lastTemperature = observation.temperature;
        return b == Behaviour.Stop;
    }
}
