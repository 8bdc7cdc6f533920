// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ConsortiumRegistry} from "../../contracts/identity/ConsortiumRegistry.sol";
import {IBatchRegistry} from "../../contracts/interfaces/IBatchRegistry.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../../contracts/interfaces/IMembershipMirror.sol";
import {IQualityEngine} from "../../contracts/interfaces/IQualityEngine.sol";
import {Gtin} from "../../contracts/libraries/Gtin.sol";
import {QualityLimits} from "../../contracts/libraries/QualityLimits.sol";
import {CollaborationEngine} from "../../contracts/quality/CollaborationEngine.sol";
import {QualityEngine} from "../../contracts/quality/QualityEngine.sol";
import {BatchRegistry} from "../../contracts/supply/BatchRegistry.sol";
import {TestBase} from "./utils/Vm.sol";

// ==== PARTIES ====

uint64 constant REGULATOR = 1;
uint64 constant MAKER = 2;
uint64 constant WHOLESALER = 3;
uint64 constant LOGISTICS = 4;
uint64 constant PHARMACY = 5;
uint64 constant HOSPITAL = 6;
uint64 constant LABORATORY = 7;
uint64 constant MAKER2 = 8;
uint64 constant PARTY_COUNT = 8;

/// Party `partyId`'s primary admin in the fixture here.
function supplyAdmin(uint64 partyId) pure returns (address) {
    return address(uint160(0x2000 + uint256(partyId)));
}

// The maker's QA member (releases batches).
address constant MAKER_QA = address(0x2F02);
// Stands in for the consortium governor (an account, not a contract, in these tests).
address constant GOVERNOR = address(0x6000);

/**
 * @title UnitTree16
 * @notice The units of the test batch, built on-chain: 16 leaves
 * `keccak256(bytes.concat(keccak256(abi.encode(index, unitHash))))` in index order, a full
 * binary tree hashed with sorted pairs (OpenZeppelin's commutative keccak), so that
 * {MerkleProof} verifies its proofs.
 */
library UnitTree16 {
    uint256 internal constant SIZE = 16;
    uint256 internal constant DEPTH = 4;

    function unitHash(uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("(01)06901234567892(21)SN", index));
    }

    function leaf(uint256 index) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, unitHash(index)))));
    }

    function root() internal pure returns (bytes32) {
        bytes32[] memory layer = _leaves();
        for (uint256 d = 0; d < DEPTH; ++d) layer = _up(layer);
        return layer[0];
    }

    function proof(uint256 index) internal pure returns (bytes32[] memory path) {
        bytes32[] memory layer = _leaves();
        path = new bytes32[](DEPTH);
        uint256 pos = index;
        for (uint256 d = 0; d < DEPTH; ++d) {
            path[d] = layer[pos ^ 1];
            layer = _up(layer);
            pos >>= 1;
        }
    }

    function unit(bytes32 batchId, uint256 index) internal pure returns (IBatchRegistry.UnitProof memory) {
        return
            IBatchRegistry.UnitProof({batchId: batchId, index: index, unitHash: unitHash(index), proof: proof(index)});
    }

    function _leaves() private pure returns (bytes32[] memory layer) {
        layer = new bytes32[](SIZE);
        for (uint256 i = 0; i < SIZE; ++i) layer[i] = leaf(i);
    }

    function _up(bytes32[] memory layer) private pure returns (bytes32[] memory next) {
        next = new bytes32[](layer.length / 2);
        for (uint256 j = 0; j < next.length; ++j) next[j] = _hashPair(layer[2 * j], layer[2 * j + 1]);
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}

/// Exposes the internal {Gtin} library.
contract GtinHarness {
    function isValid(uint64 gtin) external pure returns (bool) {
        return Gtin.isValid(gtin);
    }
}

/**
 * @title SupplyFixture
 * @notice A consortium registry behind its proxy with parties 1 regulator, 2 manufacturer,
 * 3 wholesaler, 4 logistics, 5 pharmacy, 6 hospital, 7 laboratory, 8 manufacturer (no
 * licences, so none expires); `GOVERNOR` bound as governor; a BatchRegistry behind its
 * proxy; product GTIN registered by party 2 and a released batch of QUANTITY boxes with
 * the 16 units of {UnitTree16}, held by party 2.
 */
abstract contract SupplyFixture is TestBase {
    uint256 internal constant T0 = 1_750_000_000;
    uint64 internal constant GTIN = 6901234567892;
    uint48 internal constant QUANTITY = 64;
    uint40 internal constant SHELF_LIFE = 3650 days;
    string internal constant LOT = "LOT-2026-001";

    ConsortiumRegistry internal registry;
    BatchRegistry internal batches;
    BatchRegistry internal batchesImpl;
    QualityEngine internal engine;
    bytes32 internal batchId;

    function _deploy() internal {
        vm.warp(T0);
        IConsortiumRegistry.Domain[PARTY_COUNT] memory domains = [
            IConsortiumRegistry.Domain.Regulator,
            IConsortiumRegistry.Domain.Manufacturer,
            IConsortiumRegistry.Domain.Wholesaler,
            IConsortiumRegistry.Domain.Logistics,
            IConsortiumRegistry.Domain.Pharmacy,
            IConsortiumRegistry.Domain.Hospital,
            IConsortiumRegistry.Domain.Laboratory,
            IConsortiumRegistry.Domain.Manufacturer
        ];
        IConsortiumRegistry.PartyAdmission[] memory founders = new IConsortiumRegistry.PartyAdmission[](PARTY_COUNT);
        for (uint256 i = 0; i < PARTY_COUNT; ++i) {
            founders[i] = IConsortiumRegistry.PartyAdmission({
                name: "Founder",
                domain: domains[i],
                admin: supplyAdmin(uint64(i + 1)),
                voter: i < 2,
                licences: new IConsortiumRegistry.LicenceGrant[](0)
            });
        }
        ConsortiumRegistry registryImpl = new ConsortiumRegistry();
        registry = ConsortiumRegistry(
            address(new ERC1967Proxy(address(registryImpl), abi.encodeCall(ConsortiumRegistry.initialize, (founders))))
        );
        engine = new QualityEngine(registry, new CollaborationEngine(registry));
        batchesImpl = new BatchRegistry(registry, engine);
        batches = BatchRegistry(
            address(new ERC1967Proxy(address(batchesImpl), abi.encodeCall(BatchRegistry.initialize, ())))
        );
        registry.attachMirror(address(batches));
        registry.setGovernor(GOVERNOR);
        vm.prank(supplyAdmin(MAKER));
        registry.addMember(MAKER, MAKER_QA, IConsortiumRegistry.Role.QA);
    }

    function _createReleasedBatch() internal {
        vm.prank(supplyAdmin(MAKER));
        batches.registerProduct(GTIN, "Amoxicillin", "H20230001", 1234567);
        vm.prank(supplyAdmin(MAKER));
        batchId = batches.createBatch(_input(LOT));
        _inspect(batchId);
        vm.prank(MAKER_QA);
        batches.releaseBatch(batchId);
    }

    /// A normal inspection by the maker's QA, which a release needs.
    function _inspect(bytes32 id) internal {
        vm.prank(MAKER_QA);
        IQualityEngine(address(batches)).observe(
            IQualityEngine.Observation({
                subject: id,
                point: IQualityEngine.Point.Inspection,
                result: IQualityEngine.Result.Normal,
                temperature: QualityLimits.NO_TEMPERATURE,
                humidity: QualityLimits.NO_HUMIDITY,
                corrects: 0,
                evidenceHash: bytes32(0),
                evidenceUri: ""
            })
        );
    }

    function _input(string memory lot) internal view returns (IBatchRegistry.BatchInput memory) {
        return
            IBatchRegistry.BatchInput({
                gtin: GTIN,
                lot: lot,
                manufacturedAt: uint40(block.timestamp - 1 days),
                expiresAt: uint40(block.timestamp) + SHELF_LIFE,
                quantity: QUANTITY,
                unitsRoot: UnitTree16.root(),
                unitCount: uint48(UnitTree16.SIZE)
            });
    }

    /// Ships from `from` to `to` and receives it; returns the shipment id.
    function _move(uint64 from, uint64 to, uint48 quantity) internal returns (bytes32 shipmentId) {
        vm.prank(supplyAdmin(from));
        shipmentId = batches.ship(batchId, to, quantity);
        vm.prank(supplyAdmin(to));
        batches.receiveShipment(batchId, shipmentId);
    }

    function _heldTotal() internal view returns (uint256 total) {
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) total += batches.holding(batchId, p);
    }

    function _dispensedTotal() internal view returns (uint256 total) {
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) total += batches.dispensedBy(batchId, p);
    }

    function _unitStatus(uint256 index) internal view returns (IBatchRegistry.UnitStatus status) {
        (status, , ) = batches.unitRecord(batchId, index);
    }
}

/**
 * @title BatchRegistryTest
 * @notice Unit and fuzz tests of the batch registry.
 */
contract BatchRegistryTest is SupplyFixture {
    GtinHarness private _gtin;

    function setUp() public {
        _deploy();
        _createReleasedBatch();
        _gtin = new GtinHarness();
    }

    // ==== initialize ====

    function test_initialize_bindsRegistryAndDefaultWindow() public view {
        _assertEq(batches.registry(), address(registry), "registry");
        _assertEq(batches.dispenseUndoWindow(), 10 days, "undo window");
    }

    function test_constructor_revertsOnZeroRegistry() public {
        vm.expectRevert(abi.encodeWithSelector(IMembershipMirror.MirrorZeroRegistry.selector));
        new BatchRegistry(IConsortiumRegistry(address(0)), engine);
    }

    function test_initialize_revertsWhenCalledAgain() public {
        vm.expectRevert(abi.encodeWithSelector(Initializable.InvalidInitialization.selector));
        batches.initialize();
    }

    function test_initialize_revertsOnImplementation() public {
        vm.expectRevert(abi.encodeWithSelector(Initializable.InvalidInitialization.selector));
        batchesImpl.initialize();
    }

    // ==== GTIN ====

    /// Small GTINs, where the valid ones are (1 in 10 below 10^14).
    function testFuzz_isValid_matchesReference(uint256 seed) public view {
        uint64 gtin = uint64(_bound(seed, 0, 2e14));
        _assertEq(_gtin.isValid(gtin), _referenceIsValid(gtin), "Gtin.isValid vs reference");
    }

    /// The whole uint64 range.
    function testFuzz_isValid_matchesReferenceOnAnyUint64(uint64 gtin) public view {
        _assertEq(_gtin.isValid(gtin), _referenceIsValid(gtin), "Gtin.isValid vs reference");
    }

    /// Every 13-digit body has exactly one check digit, the reference's.
    function testFuzz_isValid_acceptsExactlyOneCheckDigit(uint256 seed) public view {
        uint64 body = uint64(_bound(seed, 1, 1e13 - 1));
        uint256 accepted = 0;
        for (uint64 d = 0; d < 10; ++d) {
            bool valid = _gtin.isValid(body * 10 + d);
            _assertEq(valid, _referenceIsValid(body * 10 + d), "digit vs reference");
            if (valid) ++accepted;
        }
        _assertEq(accepted, 1, "check digits accepted");
    }

    function test_isValid_knownVectors() public view {
        _assertTrue(_gtin.isValid(6901234567892), "06901234567892");
        _assertTrue(_gtin.isValid(4006381333931), "04006381333931");
        _assertTrue(_gtin.isValid(10012345678902), "10012345678902");
        _assertTrue(_gtin.isValid(99999999999997), "99999999999997");
        _assertFalse(_gtin.isValid(0), "0");
        _assertFalse(_gtin.isValid(6901234567893), "wrong check digit");
        _assertFalse(_gtin.isValid(1e14), "10^14");
        _assertFalse(_gtin.isValid(1e14 + 6901234567892), "15 digits");
        _assertFalse(_gtin.isValid(type(uint64).max), "uint64 max");
    }

    /// registerProduct accepts exactly the GTINs the reference accepts.
    function testFuzz_registerProduct_validatesGtin(uint256 seed) public {
        uint64 gtin = uint64(_bound(seed, 0, 2e14));
        vm.assume(gtin != GTIN);
        vm.prank(supplyAdmin(MAKER2));
        if (!_referenceIsValid(gtin)) {
            vm.expectRevert(abi.encodeWithSelector(IBatchRegistry.BatchRegistryInvalidGtin.selector, gtin));
            batches.registerProduct(gtin, "P", "A", 0);
        } else {
            batches.registerProduct(gtin, "P", "A", 0);
            _assertEq(batches.getProduct(gtin).holder, MAKER2, "holder");
        }
    }

    // ==== batches ====

    function testFuzz_batchIdOf_isAbiEncodeHash(uint64 gtin, string calldata lot) public view {
        _assertTrue(batches.batchIdOf(gtin, lot) == keccak256(abi.encode(gtin, lot)), "batch id");
    }

    function test_createBatch_holdsWholeQuantityInProduction() public {
        vm.prank(supplyAdmin(MAKER));
        bytes32 id = batches.createBatch(_input("LOT-2"));
        _assertTrue(id == keccak256(abi.encode(GTIN, "LOT-2")), "id");
        IBatchRegistry.Batch memory b = batches.getBatch(id);
        _assertEq(uint8(b.status), uint8(IBatchRegistry.BatchStatus.Production), "status");
        _assertEq(batches.holding(id, MAKER), QUANTITY, "held");
        _assertEq(b.manufacturer, MAKER, "manufacturer");
    }

    /// createBatch refuses exactly the inputs the rules refuse, with the first failing rule's error.
    function testFuzz_createBatch_validatesInput(
        uint40 manufacturedAt,
        uint40 expiresAt,
        uint48 quantity,
        bool withRoot,
        uint48 unitCount
    ) public {
        uint40 now_ = uint40(block.timestamp);
        // Keep most inputs near now, where the boundaries are.
        manufacturedAt = uint40(_bound(manufacturedAt, now_ - 10, now_ + 10));
        expiresAt = uint40(_bound(expiresAt, now_ - 10, now_ + 10));
        quantity = uint48(_bound(quantity, 0, 20));
        unitCount = uint48(_bound(unitCount, 0, 22));
        bytes32 root = withRoot ? keccak256("root") : bytes32(0);
        IBatchRegistry.BatchInput memory input = IBatchRegistry.BatchInput({
            gtin: GTIN,
            lot: "FUZZ",
            manufacturedAt: manufacturedAt,
            expiresAt: expiresAt,
            quantity: quantity,
            unitsRoot: root,
            unitCount: unitCount
        });
        bytes memory expected;
        if (expiresAt <= manufacturedAt || manufacturedAt > now_) {
            expected = abi.encodeWithSelector(
                IBatchRegistry.BatchRegistryInvalidDates.selector,
                manufacturedAt,
                expiresAt
            );
        } else if (expiresAt <= now_) {
            expected = abi.encodeWithSelector(IBatchRegistry.BatchRegistryExpiryInPast.selector, expiresAt, now_);
        } else if (quantity == 0) {
            expected = abi.encodeWithSelector(IBatchRegistry.BatchRegistryZeroQuantity.selector);
        } else if (withRoot != (unitCount != 0) || unitCount > quantity) {
            expected = abi.encodeWithSelector(
                IBatchRegistry.BatchRegistryInvalidUnits.selector,
                root,
                unitCount,
                quantity
            );
        }
        vm.prank(supplyAdmin(MAKER));
        if (expected.length != 0) {
            vm.expectRevert(expected);
            batches.createBatch(input);
        } else {
            bytes32 id = batches.createBatch(input);
            _assertEq(batches.holding(id, MAKER), quantity, "held");
        }
    }

    // ==== custody ====

    function testFuzz_ship_conservesQuantity(uint256 a, uint256 b, uint8 closing) public {
        uint48 first = uint48(_bound(a, 1, QUANTITY));
        uint48 second = uint48(_bound(b, 1, first));
        _move(MAKER, WHOLESALER, first);
        vm.prank(supplyAdmin(WHOLESALER));
        bytes32 id = batches.ship(batchId, PHARMACY, second);
        _assertTrue(id == keccak256(abi.encode(batchId, WHOLESALER, uint32(0))), "shipment id");
        _assertEq(_heldTotal() + second, QUANTITY, "while in transit");
        closing %= 3;
        if (closing == 0) {
            vm.prank(supplyAdmin(PHARMACY));
            batches.receiveShipment(batchId, id);
        } else if (closing == 1) {
            vm.prank(supplyAdmin(WHOLESALER));
            batches.cancelShipment(batchId, id);
        } else {
            vm.prank(supplyAdmin(PHARMACY));
            batches.rejectShipment(batchId, id);
        }
        _assertEq(_heldTotal(), QUANTITY, "after closing");
        _assertEq(batches.holding(batchId, PHARMACY), closing == 0 ? second : 0, "pharmacy");
        _assertEq(batches.holding(batchId, WHOLESALER), closing == 0 ? first - second : first, "wholesaler");
    }

    function test_ship_revertsToLaboratory() public {
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryDomainNotAllowed.selector,
                LABORATORY,
                IConsortiumRegistry.Domain.Laboratory
            )
        );
        batches.ship(batchId, LABORATORY, 1);
    }

    function test_ship_revertsToUnknownParty() public {
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownParty.selector, uint64(99)));
        batches.ship(batchId, 99, 1);
    }

    function test_receiveShipment_revertsOnOtherBatchId() public {
        vm.prank(supplyAdmin(MAKER));
        bytes32 id = batches.ship(batchId, WHOLESALER, 1);
        bytes32 other = keccak256(abi.encode(GTIN, "OTHER"));
        vm.prank(supplyAdmin(WHOLESALER));
        vm.expectRevert(abi.encodeWithSelector(IBatchRegistry.BatchRegistryUnknownShipment.selector, other, id));
        batches.receiveShipment(other, id);
    }

    // ==== units ====

    function test_unitTree_proofsVerify() public view {
        bytes32 root = UnitTree16.root();
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            _assertTrue(MerkleProof.verify(UnitTree16.proof(i), root, UnitTree16.leaf(i)), "proof verifies");
            (IBatchRegistry.UnitVerdict verdict, ) = batches.verify(UnitTree16.unit(batchId, i));
            _assertEq(uint8(verdict), uint8(IBatchRegistry.UnitVerdict.Genuine), "genuine");
        }
        IBatchRegistry.UnitProof memory forged = UnitTree16.unit(batchId, 1);
        forged.index = 2;
        (IBatchRegistry.UnitVerdict v, ) = batches.verify(forged);
        _assertEq(uint8(v), uint8(IBatchRegistry.UnitVerdict.Unknown), "wrong index");
    }

    function test_dispense_secondPresentationIsSuspect() public {
        _move(MAKER, PHARMACY, 3);
        IBatchRegistry.UnitProof memory unit = UnitTree16.unit(batchId, 7);
        vm.prank(supplyAdmin(PHARMACY));
        _assertFalse(batches.dispense(unit), "first dispense");
        vm.expectEmit(address(batches));
        emit IBatchRegistry.SuspectUnitReported(
            batchId,
            7,
            HOSPITAL,
            unit.unitHash,
            IBatchRegistry.UnitStatus.Dispensed,
            PHARMACY,
            1,
            supplyAdmin(HOSPITAL)
        );
        vm.prank(supplyAdmin(HOSPITAL));
        _assertTrue(batches.dispense(unit), "second dispense is suspect");
        _assertEq(batches.holding(batchId, PHARMACY), 2, "pharmacy stock");
        _assertEq(_dispensedTotal(), 1, "dispensed");
        _assertEq(batches.suspectReportCount(batchId), 1, "reports");
    }

    function test_dispense_revertsWithoutStock() public {
        vm.prank(supplyAdmin(HOSPITAL));
        vm.expectRevert(
            abi.encodeWithSelector(IBatchRegistry.BatchRegistryInsufficientStock.selector, batchId, HOSPITAL, 0, 1)
        );
        batches.dispense(UnitTree16.unit(batchId, 0));
    }

    function test_undoDispense_revertsAfterWindow() public {
        _move(MAKER, PHARMACY, 1);
        vm.prank(supplyAdmin(PHARMACY));
        batches.dispense(UnitTree16.unit(batchId, 0));
        uint40 deadline = uint40(block.timestamp) + 10 days;
        vm.warp(uint256(deadline) + 1);
        vm.prank(supplyAdmin(PHARMACY));
        vm.expectRevert(
            abi.encodeWithSelector(IBatchRegistry.BatchRegistryUndoWindowClosed.selector, batchId, 0, deadline)
        );
        batches.undoDispense(UnitTree16.unit(batchId, 0));
    }

    function test_setDispenseUndoWindow_onlyGovernor() public {
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(
            abi.encodeWithSelector(IBatchRegistry.BatchRegistryOnlyGovernor.selector, supplyAdmin(REGULATOR))
        );
        batches.setDispenseUndoWindow(1);
        vm.prank(GOVERNOR);
        batches.setDispenseUndoWindow(1);
        _assertEq(batches.dispenseUndoWindow(), 1, "window");
    }

    /// Eight units (two storage words) dispensed in a random order by two dispensers at
    /// distinct times: every record stays its own.
    function testFuzz_unitRecord_fourUnitsPerWordStayIndependent(uint256 seed) public {
        _move(MAKER, PHARMACY, 8);
        _move(MAKER, HOSPITAL, 8);
        uint256[8] memory order = [uint256(0), 1, 2, 3, 4, 5, 6, 7];
        for (uint256 i = 7; i > 0; --i) {
            uint256 j = uint256(keccak256(abi.encode(seed, i))) % (i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        uint64[8] memory partyOf;
        uint40[8] memory atOf;
        for (uint256 k = 0; k < 8; ++k) {
            uint256 index = order[k];
            uint64 party = ((seed >> k) & 1) == 0 ? PHARMACY : HOSPITAL;
            vm.warp(block.timestamp + 1 + (uint256(keccak256(abi.encode(seed, k, "dt"))) % 1000));
            vm.prank(supplyAdmin(party));
            batches.dispense(UnitTree16.unit(batchId, index));
            partyOf[index] = party;
            atOf[index] = uint40(block.timestamp);
            for (uint256 i = 0; i < 12; ++i) {
                (IBatchRegistry.UnitStatus status, uint64 p, uint40 at) = batches.unitRecord(batchId, i);
                _assertEq(uint8(status), i < 8 && partyOf[i] != 0 ? 1 : 0, "status");
                _assertEq(p, i < 8 ? partyOf[i] : 0, "party");
                _assertEq(at, i < 8 ? atOf[i] : 0, "time");
            }
        }
        _assertEq(_dispensedTotal(), 8, "dispensed");
    }

    // ==== events: the actor is the caller ====

    /// Pranked callers differ from tx.origin, so these pin `actor` to msg.sender.
    function test_registerCreateRelease_emitCallerAsActor() public {
        uint64 gtin2 = 4006381333931;
        _assertTrue(tx.origin != supplyAdmin(MAKER) && tx.origin != MAKER_QA, "origin is not a pranked caller");
        vm.expectEmit(address(batches));
        emit IBatchRegistry.ProductRegistered(gtin2, MAKER, 7654321, "P", "A", supplyAdmin(MAKER));
        vm.prank(supplyAdmin(MAKER));
        batches.registerProduct(gtin2, "P", "A", 7654321);

        IBatchRegistry.BatchInput memory input = _input("LOT-2");
        input.gtin = gtin2;
        bytes32 id = keccak256(abi.encode(gtin2, "LOT-2"));
        vm.expectEmit(address(batches));
        emit IBatchRegistry.BatchCreated(
            id,
            gtin2,
            MAKER,
            "LOT-2",
            input.manufacturedAt,
            input.expiresAt,
            QUANTITY,
            input.unitsRoot,
            input.unitCount,
            supplyAdmin(MAKER)
        );
        vm.prank(supplyAdmin(MAKER));
        batches.createBatch(input);

        _inspect(id);
        vm.expectEmit(address(batches));
        emit IBatchRegistry.BatchReleased(id, MAKER, MAKER_QA);
        vm.prank(MAKER_QA);
        batches.releaseBatch(id);
    }

    function test_custody_emitsCallerAsActor() public {
        bytes32 first = keccak256(abi.encode(batchId, MAKER, uint32(0)));
        vm.expectEmit(address(batches));
        emit IBatchRegistry.Shipped(first, batchId, MAKER, WHOLESALER, 5, supplyAdmin(MAKER));
        vm.prank(supplyAdmin(MAKER));
        batches.ship(batchId, WHOLESALER, 5);
        vm.expectEmit(address(batches));
        emit IBatchRegistry.ShipmentClosed(
            first,
            batchId,
            WHOLESALER,
            IBatchRegistry.ShipmentStatus.Received,
            5,
            supplyAdmin(WHOLESALER)
        );
        vm.prank(supplyAdmin(WHOLESALER));
        batches.receiveShipment(batchId, first);

        vm.prank(supplyAdmin(MAKER));
        bytes32 second = batches.ship(batchId, PHARMACY, 2);
        vm.expectEmit(address(batches));
        emit IBatchRegistry.ShipmentClosed(
            second,
            batchId,
            MAKER,
            IBatchRegistry.ShipmentStatus.Cancelled,
            2,
            supplyAdmin(MAKER)
        );
        vm.prank(supplyAdmin(MAKER));
        batches.cancelShipment(batchId, second);

        vm.prank(supplyAdmin(MAKER));
        bytes32 third = batches.ship(batchId, PHARMACY, 3);
        vm.expectEmit(address(batches));
        emit IBatchRegistry.ShipmentClosed(
            third,
            batchId,
            MAKER,
            IBatchRegistry.ShipmentStatus.Rejected,
            3,
            supplyAdmin(PHARMACY)
        );
        vm.prank(supplyAdmin(PHARMACY));
        batches.rejectShipment(batchId, third);
    }

    function test_units_emitCallerAsActor() public {
        _move(MAKER, PHARMACY, 4);
        IBatchRegistry.UnitProof memory unit = UnitTree16.unit(batchId, 9);
        _expectUnitStatusChanged(9, PHARMACY, IBatchRegistry.UnitStatus.Active, IBatchRegistry.UnitStatus.Dispensed);
        vm.prank(supplyAdmin(PHARMACY));
        batches.dispense(unit);
        _expectUnitStatusChanged(9, PHARMACY, IBatchRegistry.UnitStatus.Dispensed, IBatchRegistry.UnitStatus.Active);
        vm.prank(supplyAdmin(PHARMACY));
        batches.undoDispense(unit);
        _expectUnitStatusChanged(9, PHARMACY, IBatchRegistry.UnitStatus.Active, IBatchRegistry.UnitStatus.Locked);
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(unit, IBatchRegistry.UnitStatus.Locked);
        _expectUnitStatusChanged(9, PHARMACY, IBatchRegistry.UnitStatus.Locked, IBatchRegistry.UnitStatus.Active);
        vm.prank(supplyAdmin(PHARMACY));
        batches.reactivate(unit);
    }

    function _expectUnitStatusChanged(
        uint256 index,
        uint64 party,
        IBatchRegistry.UnitStatus previous,
        IBatchRegistry.UnitStatus status
    ) private {
        vm.expectEmit(address(batches));
        emit IBatchRegistry.UnitStatusChanged(
            batchId,
            index,
            party,
            UnitTree16.unitHash(index),
            previous,
            status,
            supplyAdmin(party)
        );
    }

    // ==== PRIVATE ====

    /// GS1 check written from the specification, digit by digit from the left of the 14.
    function _referenceIsValid(uint64 gtin) private pure returns (bool) {
        if (gtin == 0 || gtin > 99_999_999_999_999) return false;
        uint8[14] memory digits;
        uint64 rest = gtin;
        for (uint256 i = 14; i > 0; --i) {
            digits[i - 1] = uint8(rest % 10);
            rest /= 10;
        }
        uint256 sum = 0;
        // Positions 1..13 from the left of a GTIN-14: odd positions weigh 3, even weigh 1.
        for (uint256 pos = 0; pos < 13; ++pos) sum += digits[pos] * (pos % 2 == 0 ? 3 : 1);
        return (10 - (sum % 10)) % 10 == digits[13];
    }
}

/**
 * @title CustodyHandler
 * @notice Drives random ships, receives, cancels, rejects, dispenses (including units
 * already dispensed, destroyed or stolen), undos, decommissions, reactivations and
 * waits among five custodians (2 maker, 3 wholesaler, 4 logistics, 5 pharmacy,
 * 6 hospital), with the laboratory, an unknown party and the sender itself as wrong
 * receivers. Keeps its own model of every holding, open shipment and unit, updated
 * only when a call succeeds, and counts the calls whose outcome the model did not
 * predict. It never reverts itself (an unexpected success is counted, not undone).
 * Picks favour what can make progress: senders with stock, open shipments, units in
 * the state the action needs, times at the edge of the undo window.
 */
contract CustodyHandler is TestBase {
    uint32 private constant _WINDOW = 10 days;
    uint64 private constant _UNKNOWN = 99;

    struct Open {
        bytes32 id;
        uint64 from;
        uint64 to;
        uint48 quantity;
        bool open;
    }

    BatchRegistry public immutable batches;
    bytes32 public immutable batchId;

    uint64[5] private _custodians = [MAKER, WHOLESALER, LOGISTICS, PHARMACY, HOSPITAL];
    Open[] private _shipments;
    uint256 private _openCount;

    mapping(uint64 partyId => uint256) public modelHeld;
    mapping(uint64 partyId => uint32) public modelSeq;
    uint256 public openTotal;

    mapping(uint256 index => IBatchRegistry.UnitStatus) public modelStatus;
    mapping(uint256 index => uint64) public modelParty;
    mapping(uint256 index => uint256) public modelAt;
    /// Successful non-suspect dispenses of the unit, minus successful undos.
    mapping(uint256 index => uint256) public liveDispenses;
    /// Successful non-suspect dispenses of a unit already dispensed (must stay 0).
    uint256 public doubleDispenses;
    uint256 public dispensedUnits;
    uint256 public modelDestroyed;
    uint256 public modelLost;
    uint256 public suspects;

    uint256 public mispredictions;
    /// Successful calls per action, to see that a campaign reaches every path.
    mapping(bytes4 action => uint256) public successes;

    constructor(BatchRegistry batches_, bytes32 batchId_) {
        batches = batches_;
        batchId = batchId_;
        modelHeld[MAKER] = batches_.holding(batchId_, MAKER);
        // A start where every action can succeed: stock at the wholesaler and both dispensers.
        _seed(MAKER, WHOLESALER, 32);
        _seed(WHOLESALER, PHARMACY, 8);
        _seed(WHOLESALER, HOSPITAL, 8);
    }

    // ==== ACTIONS ====

    function ship(uint256 fromSeed, uint256 toSeed, uint256 quantitySeed) external {
        uint64 from = _sender(fromSeed);
        uint256 pick = toSeed % 8;
        uint64 to = pick < 5 ? _custodians[pick] : (pick == 5 ? LABORATORY : (pick == 6 ? _UNKNOWN : from));
        uint256 quantity = _bound(quantitySeed, 0, modelHeld[from] + 1);
        bool expected = to != from && to != LABORATORY && to != _UNKNOWN && quantity > 0 && quantity <= modelHeld[from];
        vm.prank(supplyAdmin(from));
        try batches.ship(batchId, to, uint48(quantity)) returns (bytes32 id) {
            _record(this.ship.selector, true, expected);
            _recordShipment(id, from, to, quantity);
        } catch {
            _record(this.ship.selector, false, expected);
        }
    }

    function receiveShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        bytes4 fn = batches.receiveShipment.selector;
        _closeShipment(this.receiveShipment.selector, fn, shipmentSeed, callerSeed, true, true);
    }

    function cancelShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        bytes4 fn = batches.cancelShipment.selector;
        _closeShipment(this.cancelShipment.selector, fn, shipmentSeed, callerSeed, false, false);
    }

    function rejectShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        bytes4 fn = batches.rejectShipment.selector;
        _closeShipment(this.rejectShipment.selector, fn, shipmentSeed, callerSeed, true, false);
    }

    function dispense(uint256 dispenserSeed, uint256 unitSeed) external {
        _dispense(_dispenser(dispenserSeed), _pickUnit(unitSeed, IBatchRegistry.UnitStatus.Active));
    }

    /// Presents a unit the model holds dispensed (a genuine code on a second box).
    function dispenseAgain(uint256 dispenserSeed, uint256 unitSeed) external {
        _dispense(_dispenser(dispenserSeed), _pickUnit(unitSeed, IBatchRegistry.UnitStatus.Dispensed));
    }

    function undoDispense(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, IBatchRegistry.UnitStatus.Dispensed);
        bool dispensed = modelStatus[index] == IBatchRegistry.UnitStatus.Dispensed;
        // Mostly the dispensing party; sometimes the other dispenser.
        uint64 caller = dispensed && callerSeed % 4 != 0 ? modelParty[index] : _dispenser(callerSeed / 4);
        bool expected = dispensed && caller == modelParty[index] && block.timestamp <= modelAt[index] + _WINDOW;
        IBatchRegistry.UnitProof memory unit = UnitTree16.unit(batchId, index);
        vm.prank(supplyAdmin(caller));
        try batches.undoDispense(unit) {
            _record(this.undoDispense.selector, true, expected);
            liveDispenses[index] = _dec(liveDispenses[index], 1);
            dispensedUnits = _dec(dispensedUnits, 1);
            ++modelHeld[caller];
            _setUnit(index, IBatchRegistry.UnitStatus.Active, caller);
        } catch {
            _record(this.undoDispense.selector, false, expected);
        }
    }

    function decommission(uint256 partySeed, uint256 unitSeed, uint256 kindSeed) external {
        uint64 party = _sender(partySeed);
        uint256 index = _pickUnit(unitSeed, IBatchRegistry.UnitStatus.Active);
        // Mostly Destroyed, Stolen or Locked; one in four asks for Active or Dispensed (refused).
        uint256 k = kindSeed % 8;
        IBatchRegistry.UnitStatus kind = IBatchRegistry.UnitStatus(k < 2 ? k : 2 + (k % 3));
        bool expected = k >= 2 && modelStatus[index] == IBatchRegistry.UnitStatus.Active && modelHeld[party] >= 1;
        IBatchRegistry.UnitProof memory unit = UnitTree16.unit(batchId, index);
        vm.prank(supplyAdmin(party));
        try batches.decommission(unit, kind) {
            _record(this.decommission.selector, true, expected);
            if (kind == IBatchRegistry.UnitStatus.Destroyed) ++modelDestroyed;
            if (kind == IBatchRegistry.UnitStatus.Stolen) ++modelLost;
            if (kind != IBatchRegistry.UnitStatus.Locked) modelHeld[party] = _dec(modelHeld[party], 1);
            _setUnit(index, kind, party);
        } catch {
            _record(this.decommission.selector, false, expected);
        }
    }

    function reactivate(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, IBatchRegistry.UnitStatus.Locked);
        bool locked = modelStatus[index] == IBatchRegistry.UnitStatus.Locked;
        uint64 caller = locked && callerSeed % 3 != 0 ? modelParty[index] : _custodian(callerSeed / 3);
        bool expected = locked && caller == modelParty[index];
        IBatchRegistry.UnitProof memory unit = UnitTree16.unit(batchId, index);
        vm.prank(supplyAdmin(caller));
        try batches.reactivate(unit) {
            _record(this.reactivate.selector, true, expected);
            _setUnit(index, IBatchRegistry.UnitStatus.Active, caller);
        } catch {
            _record(this.reactivate.selector, false, expected);
        }
    }

    /// Lets up to three days pass (the undo window is ten; the batch keeps for ten years).
    function wait(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 0, 3 days));
    }

    /// Moves time to one second before, at, or one second after a dispensed unit's undo deadline.
    function waitForUndoDeadline(uint256 unitSeed, uint256 offsetSeed) external {
        uint256 index = _pickUnit(unitSeed, IBatchRegistry.UnitStatus.Dispensed);
        if (modelStatus[index] != IBatchRegistry.UnitStatus.Dispensed) return;
        uint256 target = modelAt[index] + _WINDOW + (offsetSeed % 3) - 1;
        if (target > block.timestamp) vm.warp(target);
    }

    // ==== VIEWS ====

    function shipmentCount() external view returns (uint256) {
        return _shipments.length;
    }

    function shipmentAt(uint256 i) external view returns (bytes32 id, uint48 quantity, bool open) {
        Open storage s = _shipments[i];
        return (s.id, s.quantity, s.open);
    }

    // ==== PRIVATE ====

    function _seed(uint64 from, uint64 to, uint48 quantity) private {
        vm.prank(supplyAdmin(from));
        bytes32 id = batches.ship(batchId, to, quantity);
        _recordShipment(id, from, to, quantity);
        vm.prank(supplyAdmin(to));
        batches.receiveShipment(batchId, id);
        _close(_shipments[_shipments.length - 1], to);
    }

    function _recordShipment(bytes32 id, uint64 from, uint64 to, uint256 quantity) private {
        if (id != keccak256(abi.encode(batchId, from, modelSeq[from]))) ++mispredictions;
        ++modelSeq[from];
        _shipments.push(Open({id: id, from: from, to: to, quantity: uint48(quantity), open: true}));
        ++_openCount;
        modelHeld[from] = _dec(modelHeld[from], quantity);
        openTotal += quantity;
    }

    /// Tries to close an open shipment with `fn` (receive, cancel or reject): usually as
    /// the party allowed to (the receiver if `byReceiver`, else the sender), one time in
    /// four as some custodian; on success the quantity goes back to the receiver or sender.
    function _closeShipment(
        bytes4 action,
        bytes4 fn,
        uint256 shipmentSeed,
        uint256 callerSeed,
        bool byReceiver,
        bool creditReceiver
    ) private {
        (bool found, uint256 i) = _pickShipment(shipmentSeed);
        if (!found) return;
        Open storage s = _shipments[i];
        uint64 allowed = byReceiver ? s.to : s.from;
        uint64 caller = callerSeed % 4 == 0 ? _custodian(callerSeed / 4) : allowed;
        bool expected = s.open && caller == allowed;
        vm.prank(supplyAdmin(caller));
        (bool ok, ) = address(batches).call(abi.encodeWithSelector(fn, batchId, s.id));
        _record(action, ok, expected);
        if (ok) _close(s, creditReceiver ? s.to : s.from);
    }

    function _dispense(uint64 dispenser, uint256 index) private {
        IBatchRegistry.UnitStatus status = modelStatus[index];
        bool expectSuccess =
            status != IBatchRegistry.UnitStatus.Locked &&
                (status != IBatchRegistry.UnitStatus.Active || modelHeld[dispenser] >= 1);
        bool expectSuspect = status != IBatchRegistry.UnitStatus.Active;
        IBatchRegistry.UnitProof memory unit = UnitTree16.unit(batchId, index);
        vm.prank(supplyAdmin(dispenser));
        try batches.dispense(unit) returns (bool suspect) {
            _record(this.dispense.selector, true, expectSuccess);
            if (suspect != expectSuspect) ++mispredictions;
            if (suspect) {
                ++suspects;
                return;
            }
            if (liveDispenses[index] != 0) ++doubleDispenses;
            ++liveDispenses[index];
            ++dispensedUnits;
            modelHeld[dispenser] = _dec(modelHeld[dispenser], 1);
            _setUnit(index, IBatchRegistry.UnitStatus.Dispensed, dispenser);
        } catch {
            _record(this.dispense.selector, false, expectSuccess);
        }
    }

    function _close(Open storage s, uint64 credited) private {
        if (!s.open) {
            ++mispredictions;
            return;
        }
        s.open = false;
        --_openCount;
        openTotal -= s.quantity;
        modelHeld[credited] += s.quantity;
    }

    function _setUnit(uint256 index, IBatchRegistry.UnitStatus status, uint64 party) private {
        modelStatus[index] = status;
        modelParty[index] = party;
        modelAt[index] = block.timestamp;
    }

    function _record(bytes4 action, bool success, bool expected) private {
        if (success != expected) ++mispredictions;
        if (success) ++successes[action];
    }

    /// `x - by`, or 0 with a misprediction when the model would go negative.
    function _dec(uint256 x, uint256 by) private returns (uint256) {
        if (x >= by) return x - by;
        ++mispredictions;
        return 0;
    }

    /// Mostly an open shipment; one pick in five is any shipment (closed ones must be refused).
    function _pickShipment(uint256 seed) private view returns (bool found, uint256 index) {
        uint256 n = _shipments.length;
        if (n == 0) return (false, 0);
        if (seed % 5 == 0 || _openCount == 0) return (true, (seed / 5) % n);
        uint256 pick = (seed / 5) % _openCount;
        for (uint256 i = 0; i < n; ++i) {
            if (!_shipments[i].open) continue;
            if (pick == 0) return (true, i);
            --pick;
        }
    }

    /// Mostly a unit whose modelled status is `status` (if any); one pick in four is any unit.
    function _pickUnit(uint256 seed, IBatchRegistry.UnitStatus status) private view returns (uint256) {
        uint256 any = (seed / 4) % UnitTree16.SIZE;
        if (seed % 4 == 0) return any;
        uint256 count = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) if (modelStatus[i] == status) ++count;
        if (count == 0) return any;
        uint256 pick = (seed / 4) % count;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            if (modelStatus[i] != status) continue;
            if (pick == 0) return i;
            --pick;
        }
        return any;
    }

    /// Mostly a custodian holding stock; one pick in four is any custodian.
    function _sender(uint256 seed) private view returns (uint64) {
        if (seed % 4 == 0) return _custodian(seed / 4);
        uint256 count = 0;
        for (uint256 i = 0; i < _custodians.length; ++i) if (modelHeld[_custodians[i]] > 0) ++count;
        if (count == 0) return _custodian(seed / 4);
        uint256 pick = (seed / 4) % count;
        for (uint256 i = 0; i < _custodians.length; ++i) {
            if (modelHeld[_custodians[i]] == 0) continue;
            if (pick == 0) return _custodians[i];
            --pick;
        }
        return _custodian(seed / 4);
    }

    function _custodian(uint256 seed) private view returns (uint64) {
        return _custodians[seed % _custodians.length];
    }

    function _dispenser(uint256 seed) private pure returns (uint64) {
        return seed % 2 == 0 ? PHARMACY : HOSPITAL;
    }
}

/**
 * @title BatchRegistryCustodyInvariantTest
 * @notice Under any sequence of custody and unit operations: (a) Σ holdings over all
 * parties + Σ open shipments + dispensed + destroyed + lost == quantity; (b) no unit is
 * dispensed twice without an undo in between, and `dispensed` is the number of units
 * whose record is Dispensed; and the registry agrees with the handler's model.
 */
contract BatchRegistryCustodyInvariantTest is SupplyFixture {
    CustodyHandler internal handler;

    function setUp() public {
        _deploy();
        _createReleasedBatch();
        handler = new CustodyHandler(batches, batchId);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_quantityIsConserved() public view {
        IBatchRegistry.Batch memory b = batches.getBatch(batchId);
        uint256 inTransit = 0;
        for (uint256 i = 0; i < handler.shipmentCount(); ++i) {
            (bytes32 id, uint48 quantity, bool open) = handler.shipmentAt(i);
            IBatchRegistry.Shipment memory s = batches.getShipment(id);
            _assertEq(s.status == IBatchRegistry.ShipmentStatus.InTransit, open, "shipment open");
            _assertEq(s.quantity, quantity, "shipment quantity");
            if (s.status == IBatchRegistry.ShipmentStatus.InTransit) inTransit += s.quantity;
        }
        _assertEq(inTransit, handler.openTotal(), "open shipments vs handler");
        _assertEq(
            _heldTotal() + handler.openTotal() + _dispensedTotal() + b.destroyed + b.lost,
            b.quantity,
            "held + in transit + dispensed + destroyed + lost"
        );
        _assertEq(b.quantity, QUANTITY, "quantity");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_unitDispensedAtMostOnce() public view {
        _assertEq(handler.doubleDispenses(), 0, "dispenses of a unit already dispensed");
        uint256 dispensed = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            uint256 live = handler.liveDispenses(i);
            _assertTrue(live <= 1, "live dispenses per unit");
            bool isDispensed = _unitStatus(i) == IBatchRegistry.UnitStatus.Dispensed;
            _assertEq(isDispensed, live == 1, "record vs dispense count");
            if (isDispensed) ++dispensed;
        }
        _assertEq(_dispensedTotal(), dispensed, "sum of dispensedBy vs distinct dispensed units");
        _assertEq(dispensed, handler.dispensedUnits(), "vs handler");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_registryMatchesModel() public view {
        _assertEq(handler.mispredictions(), 0, "calls whose outcome the model did not predict");
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            _assertEq(batches.holding(batchId, p), handler.modelHeld(p), "holding");
        }
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (IBatchRegistry.UnitStatus status, uint64 party, uint40 at) = batches.unitRecord(batchId, i);
            _assertEq(uint8(status), uint8(handler.modelStatus(i)), "unit status");
            _assertEq(party, handler.modelParty(i), "unit party");
            _assertEq(at, handler.modelAt(i), "unit time");
        }
        IBatchRegistry.Batch memory b = batches.getBatch(batchId);
        _assertEq(b.destroyed, handler.modelDestroyed(), "destroyed");
        _assertEq(b.lost, handler.modelLost(), "lost");
        _assertEq(batches.suspectReportCount(batchId), handler.suspects(), "suspect reports");
    }
}
