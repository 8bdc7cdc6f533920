// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Vm
 * @notice The few cheatcodes these tests use, as Hardhat 3's EDR runner serves them
 * (forge-std is not available offline). Signatures follow forge-std's `Vm.sol`.
 */
interface Vm {
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function warp(uint256 newTimestamp) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function assume(bool condition) external pure;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(address emitter) external;
}

/// @dev The cheatcode address: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
address constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));

/**
 * @title TestBase
 * @notice `vm`, bounded fuzz inputs and assertions that say what differed.
 */
abstract contract TestBase {
    Vm internal constant vm = Vm(VM_ADDRESS);

    error AssertionFailed(string what);
    error AssertionFailedUint(string what, uint256 actual, uint256 expected);
    error AssertionFailedAddress(string what, address actual, address expected);

    /// @dev Maps `x` into [min, max] (both inclusive) without rejecting inputs.
    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        uint256 size = max - min + 1;
        if (size == 0) return x; // the whole uint256 range
        return min + (x % size);
    }

    function _assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what);
    }

    function _assertFalse(bool condition, string memory what) internal pure {
        if (condition) revert AssertionFailed(what);
    }

    function _assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedUint(what, actual, expected);
    }

    function _assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedAddress(what, actual, expected);
    }

    function _assertEq(bool actual, bool expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedUint(what, actual ? 1 : 0, expected ? 1 : 0);
    }
}
