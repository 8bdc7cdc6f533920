// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./utils/Vm.sol";

contract Counter {
    uint256 public x;
    uint256 public calls;
    function inc(uint8 by) external { x += by; calls++; }
    function reset() external { x = 0; calls++; }
}

contract ProbeTest is TestBase {
    Counter internal c;
    function setUp() public { c = new Counter(); }
    function targetContracts() public view returns (address[] memory t) { t = new address[](1); t[0] = address(c); }
    function test_warp() public { vm.warp(1000); _assertEq(block.timestamp, 1000, "ts"); }
    function testFuzz_bound(uint8 s) public pure { uint256 n = _bound(s, 1, 20); _assertTrue(n >= 1 && n <= 20, "b"); }
    /// hardhat-config: invariant.runs = 10
    /// hardhat-config: invariant.depth = 20
    function invariant_small() public view { _assertTrue(c.x() < 100000, "x"); }
    /// hardhat-config: invariant.runs = 10
    /// hardhat-config: invariant.depth = 20
    function invariant_shouldFail() public view { _assertTrue(c.calls() < 5, "calls"); }
}
