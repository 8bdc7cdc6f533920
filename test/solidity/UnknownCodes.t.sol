// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {ISupplyLedger} from "../../contracts/interfaces/ISupplyLedger.sol";
import {ISuspectProduct} from "../../contracts/interfaces/ISuspectProduct.sol";
import {GOVERNOR, MAKER, MAKER2, STRANGER, WHOLESALER, PHARMACY, supplyAdmin} from "./BatchRegistry.t.sol";
import {CollaborationFixture, LAST_PARTY} from "./Collaboration.t.sol";

/**
 * @title UnknownCodesTest
 * @notice Unknown-code reports ({ISuspectProduct-reportUnknownCode}) against a reference
 * written from the interface's NatSpec: a zero hash is refused first, then a non-zero GTIN
 * that is not a GTIN-14 with a valid check digit; anything else is recorded with the next
 * number of the chain and the holder of the GTIN's product (0 if none is registered).
 */
contract UnknownCodesTest is CollaborationFixture {
    function setUp() public {
        _deployCollaboration();
    }

    /// Any code, any GTIN (valid ones are 1 in 10 below 10^14), any party's admin: the
    /// outcome is the reference's, and the count moves only when a report is recorded.
    function testFuzz_reportUnknownCode_followsTheReference(
        bytes32 codeHash,
        uint256 gtinSeed,
        uint256 partySeed
    ) public {
        uint64 gtin = uint64(_bound(gtinSeed, 0, 2e14));
        uint64 party = uint64(_bound(partySeed, 1, LAST_PARTY - 1));
        uint256 before = suspects().unknownCodeReportCount();
        vm.prank(supplyAdmin(party));
        if (codeHash == bytes32(0)) {
            vm.expectRevert(abi.encodeWithSelector(ISuspectProduct.SuspectZeroCodeHash.selector));
            suspects().reportUnknownCode(codeHash, gtin);
            _assertEq(suspects().unknownCodeReportCount(), before, "count after a refusal");
            return;
        }
        if (gtin != 0 && !_referenceIsValid(gtin)) {
            vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryInvalidGtin.selector, gtin));
            suspects().reportUnknownCode(codeHash, gtin);
            _assertEq(suspects().unknownCodeReportCount(), before, "count after a refusal");
            return;
        }
        vm.expectEmit(address(batches));
        emit ISuspectProduct.UnknownCodeReported(
            codeHash,
            gtin,
            party,
            gtin == GTIN ? MAKER : 0,
            before + 1,
            supplyAdmin(party)
        );
        _assertEq(suspects().reportUnknownCode(codeHash, gtin), before + 1, "report number");
        _assertEq(suspects().unknownCodeReportCount(), before + 1, "count");
    }

    /// Single reports and lists of them share one numbering: a list's codes take the next
    /// numbers in order, and it returns the first.
    function testFuzz_reportUnknownCodes_continuesTheNumbering(uint8 singles, uint8 listSeed) public {
        uint256 n = _bound(listSeed, 1, 40);
        uint256 s = _bound(singles, 0, 5);
        for (uint256 i = 0; i < s; ++i) {
            vm.prank(supplyAdmin(WHOLESALER));
            suspects().reportUnknownCode(keccak256(abi.encode("single", i)), GTIN);
        }
        ISuspectProduct.UnknownCode[] memory codes = new ISuspectProduct.UnknownCode[](n);
        for (uint256 i = 0; i < n; ++i) {
            codes[i] = ISuspectProduct.UnknownCode(keccak256(abi.encode("listed", i)), i % 2 == 0 ? GTIN : 0);
        }
        for (uint256 i = 0; i < n; ++i) {
            vm.expectEmit(address(batches));
            emit ISuspectProduct.UnknownCodeReported(
                codes[i].codeHash,
                codes[i].gtin,
                PHARMACY,
                codes[i].gtin == 0 ? 0 : MAKER,
                s + 1 + i,
                supplyAdmin(PHARMACY)
            );
        }
        vm.prank(supplyAdmin(PHARMACY));
        _assertEq(suspects().reportUnknownCodes(codes), s + 1, "first number");
        _assertEq(suspects().unknownCodeReportCount(), s + n, "count");
    }

    /// The event names the product's holder when the report is made: the new one after governance reassigns it.
    function test_reportUnknownCode_namesTheHolderOfTheMoment() public {
        vm.prank(GOVERNOR);
        batches.reassignProduct(GTIN, MAKER2, 1234567);
        vm.expectEmit(address(batches));
        emit ISuspectProduct.UnknownCodeReported(
            keccak256("fake"),
            GTIN,
            WHOLESALER,
            MAKER2,
            1,
            supplyAdmin(WHOLESALER)
        );
        vm.prank(supplyAdmin(WHOLESALER));
        suspects().reportUnknownCode(keccak256("fake"), GTIN);
    }

    /// A report moves no stock: the batch's record and every party's holding stay as they were.
    function test_reportUnknownCode_movesNoStock() public {
        ISupplyLedger.Batch memory batch = batches.getBatch(batchId);
        uint256 held = batches.holding(batchId, MAKER);
        vm.prank(supplyAdmin(MAKER));
        suspects().reportUnknownCode(keccak256("fake"), GTIN);
        _assertTrue(
            keccak256(abi.encode(batches.getBatch(batchId))) == keccak256(abi.encode(batch)),
            "batch unchanged"
        );
        _assertEq(batches.holding(batchId, MAKER), held, "maker's holding");
    }

    function test_reportUnknownCode_revertsForAStranger() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryNotMember.selector, STRANGER));
        suspects().reportUnknownCode(keccak256("fake"), GTIN);
    }

    /// GS1's mod-10 check written out digit by digit (positions 1..13 from the left weigh 3, 1, 3, …).
    function _referenceIsValid(uint64 gtin) private pure returns (bool) {
        if (gtin == 0 || gtin > 99_999_999_999_999) return false;
        uint8[14] memory digits;
        uint64 rest = gtin;
        for (uint256 i = 14; i > 0; --i) {
            digits[i - 1] = uint8(rest % 10);
            rest /= 10;
        }
        uint256 sum = 0;
        for (uint256 pos = 0; pos < 13; ++pos) sum += digits[pos] * (pos % 2 == 0 ? 3 : 1);
        return (10 - (sum % 10)) % 10 == digits[13];
    }
}
