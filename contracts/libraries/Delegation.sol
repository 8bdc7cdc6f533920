// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Delegation
 * @notice The forwarding step of the BatchRegistry's routing table (BatchRegistry → the
 * product registry, the quality engine or the collaboration engine): runs the current call
 * in another code object on this contract's storage and ends the call with what it
 * returned or reverted.
 */
library Delegation {
    /// Delegatecalls `target` with the whole calldata; never returns to the caller.
    function forward(address target) internal {
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) {
                revert(0, returndatasize())
            }
            return(0, returndatasize())
        }
    }
}
