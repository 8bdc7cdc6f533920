// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {ConsortiumRegistry} from "../../contracts/identity/ConsortiumRegistry.sol";
import {IBatchRegistry} from "../../contracts/interfaces/IBatchRegistry.sol";
import {IBulkCustody} from "../../contracts/interfaces/IBulkCustody.sol";
import {ISupplyLedger} from "../../contracts/interfaces/ISupplyLedger.sol";
import {ICollaborationEngine} from "../../contracts/interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../../contracts/interfaces/IMembershipMirror.sol";
import {IProductRegistry} from "../../contracts/interfaces/IProductRegistry.sol";
import {IQualityEngine} from "../../contracts/interfaces/IQualityEngine.sol";
import {ISuspectProduct} from "../../contracts/interfaces/ISuspectProduct.sol";
import {Gtin} from "../../contracts/libraries/Gtin.sol";
import {QualityLimits} from "../../contracts/libraries/QualityLimits.sol";
import {CollaborationEngine} from "../../contracts/quality/CollaborationEngine.sol";
import {QualityEngine} from "../../contracts/quality/QualityEngine.sol";
import {BatchRegistry} from "../../contracts/supply/BatchRegistry.sol";
import {BulkCustody} from "../../contracts/supply/BulkCustody.sol";
import {ProductRegistry} from "../../contracts/supply/ProductRegistry.sol";
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

    function unit(bytes32 batchId, uint256 index) internal pure returns (ISupplyLedger.UnitProof memory) {
        return
            ISupplyLedger.UnitProof({batchId: batchId, index: index, unitHash: unitHash(index), proof: proof(index)});
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

// An account that belongs to no party.
address constant STRANGER = address(0xBAD);

/// The domain of each party of the fixtures here (party 9 is the notary {Collaboration.t.sol} admits).
function domainOf(uint64 partyId) pure returns (IConsortiumRegistry.Domain) {
    if (partyId == REGULATOR) return IConsortiumRegistry.Domain.Regulator;
    if (partyId == MAKER || partyId == MAKER2) return IConsortiumRegistry.Domain.Manufacturer;
    if (partyId == WHOLESALER) return IConsortiumRegistry.Domain.Wholesaler;
    if (partyId == LOGISTICS) return IConsortiumRegistry.Domain.Logistics;
    if (partyId == PHARMACY) return IConsortiumRegistry.Domain.Pharmacy;
    if (partyId == HOSPITAL) return IConsortiumRegistry.Domain.Hospital;
    if (partyId == LABORATORY) return IConsortiumRegistry.Domain.Laboratory;
    if (partyId == PARTY_COUNT + 1) return IConsortiumRegistry.Domain.Notary;
    return IConsortiumRegistry.Domain.None;
}

/// Whether the party holds and moves stock (the registry's custodian domains).
function isCustodian(uint64 partyId) pure returns (bool) {
    IConsortiumRegistry.Domain d = domainOf(partyId);
    return
        d == IConsortiumRegistry.Domain.Manufacturer ||
        d == IConsortiumRegistry.Domain.Wholesaler ||
        d == IConsortiumRegistry.Domain.Retailer ||
        d == IConsortiumRegistry.Domain.Logistics ||
        d == IConsortiumRegistry.Domain.Hospital ||
        d == IConsortiumRegistry.Domain.Pharmacy;
}

/// Whether the party dispenses to patients.
function isDispenser(uint64 partyId) pure returns (bool) {
    return partyId == PHARMACY || partyId == HOSPITAL;
}

/**
 * @title Ledger
 * @notice One batch's whole custody ledger as the registry reports it — every party's
 * {ISupplyLedger-Custody} and the batch's own counters — and what changed between two
 * readings. The handlers read it before and after a call, so that what the call moved is
 * judged from the registry's own numbers, not from their models.
 */
library Ledger {
    /// What a call did to the ledger, in the terms of the halted-batch rule.
    enum Move {
        /// No stock moved (a party's lock may have been lifted).
        None,
        /// A party's stock went into the batch's quarantine (a return, a seizure).
        ToQuarantine,
        /// A party's stock went into its own suspect case (a report with stock).
        ToCase,
        /// Quarantined stock was destroyed (a witnessed destruction).
        QuarantineDestroyed,
        /// A case's stock was destroyed (the regulator closed it).
        CaseDestroyed,
        /// A case's stock went back to its reporter (the regulator cleared it).
        CaseReleased,
        /// A sender's stock in transit came back to it (a cancel, a reject).
        ShipmentReturned,
        /// Anything else.
        Other
    }

    struct Snapshot {
        /// Indexed by party id, 0 to the last party read.
        ISupplyLedger.Custody[] custody;
        uint256 dispensed;
        uint256 destroyed;
        uint256 lost;
        uint256 quarantined;
        /// What open suspect cases hold ({ISuspectProduct-suspectCount}).
        uint256 suspended;
        /// The batch's own state or its product's halts trade.
        bool halted;
    }

    /// What changed between two snapshots. `parties` counts the parties whose held, in
    /// transit, dispensed or suspended changed, and the four amounts are the last such
    /// party's; `lockParties`, `lockParty` and `locked` do the same for locks.
    struct Delta {
        uint256 parties;
        uint64 party;
        int256 held;
        int256 inTransit;
        int256 dispensed;
        int256 suspended;
        uint256 lockParties;
        uint64 lockParty;
        int256 locked;
        int256 batchDispensed;
        int256 destroyed;
        int256 lost;
        int256 quarantined;
        int256 caseStock;
    }

    /// Sums over every party of a snapshot.
    struct Totals {
        uint256 held;
        uint256 inTransit;
        uint256 dispensed;
        uint256 suspended;
        uint256 locked;
    }

    /// Every party's custody, ids 0 to `last`.
    function read(IBatchRegistry batches, bytes32 batchId, uint64 last) internal view returns (Snapshot memory) {
        return read(batches, batchId, 0, last);
    }

    /// The custody of parties `first` to `last` (the others' read as zero): a handler reads
    /// only the parties that can hold stock around each call. Stock that went anywhere else
    /// still shows, as a change with no counterpart; the conservation invariant reads all.
    function read(
        IBatchRegistry batches,
        bytes32 batchId,
        uint64 first,
        uint64 last
    ) internal view returns (Snapshot memory s) {
        s.custody = new ISupplyLedger.Custody[](uint256(last) + 1);
        for (uint64 p = first; p <= last; ++p) s.custody[p] = batches.custody(batchId, p);
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        s.dispensed = b.dispensed;
        s.destroyed = b.destroyed;
        s.lost = b.lost;
        s.quarantined = b.quarantined;
        (, s.suspended) = ISuspectProduct(address(batches)).suspectCount(batchId);
        s.halted = (b.state | batches.getProduct(b.gtin).state) & 0x80 != 0;
    }

    function diff(Snapshot memory a, Snapshot memory b) internal pure returns (Delta memory d) {
        for (uint256 p = 0; p < a.custody.length; ++p) {
            ISupplyLedger.Custody memory x = a.custody[p];
            ISupplyLedger.Custody memory y = b.custody[p];
            if (
                x.held != y.held || x.inTransit != y.inTransit || x.dispensed != y.dispensed || x.suspended != y.suspended
            ) {
                ++d.parties;
                d.party = uint64(p);
                d.held = _sub(y.held, x.held);
                d.inTransit = _sub(y.inTransit, x.inTransit);
                d.dispensed = _sub(y.dispensed, x.dispensed);
                d.suspended = _sub(y.suspended, x.suspended);
            }
            if (x.locked != y.locked) {
                ++d.lockParties;
                d.lockParty = uint64(p);
                d.locked = _sub(y.locked, x.locked);
            }
        }
        d.batchDispensed = _sub(b.dispensed, a.dispensed);
        d.destroyed = _sub(b.destroyed, a.destroyed);
        d.lost = _sub(b.lost, a.lost);
        d.quarantined = _sub(b.quarantined, a.quarantined);
        d.caseStock = _sub(b.suspended, a.suspended);
    }

    /// A change of `party`'s stock alone (fill in the amounts).
    function stockOf(uint64 party) internal pure returns (Delta memory d) {
        d.parties = 1;
        d.party = party;
    }

    /// A change of `party`'s lock count alone.
    function lock(uint64 party, int256 locked) internal pure returns (Delta memory d) {
        d.lockParties = 1;
        d.lockParty = party;
        d.locked = locked;
    }

    function eq(Delta memory a, Delta memory b) internal pure returns (bool) {
        return keccak256(abi.encode(a)) == keccak256(abi.encode(b));
    }

    /// `party`'s available stock in a snapshot: held, less its locked units.
    function available(Snapshot memory s, uint64 party) internal pure returns (uint256) {
        if (party >= s.custody.length) return 0;
        ISupplyLedger.Custody memory c = s.custody[party];
        return c.held >= c.locked ? c.held - c.locked : 0;
    }

    function totals(Snapshot memory s) internal pure returns (Totals memory t) {
        for (uint256 p = 0; p < s.custody.length; ++p) {
            t.held += s.custody[p].held;
            t.inTransit += s.custody[p].inTransit;
            t.dispensed += s.custody[p].dispensed;
            t.suspended += s.custody[p].suspended;
            t.locked += s.custody[p].locked;
        }
    }

    /**
     * What a call moved, judged from its delta alone: the move, the party whose stock moved
     * (0 for a destruction out of quarantine) and the quantity. A lock that rose, or locks of
     * more than one party that changed, are `Other`; a single lock lifted is `None`.
     */
    function classify(Delta memory d) internal pure returns (Move, uint64, uint256) {
        if (d.lockParties > 1 || d.locked > 0) return (Move.Other, 0, 0);
        if (d.batchDispensed != 0 || d.lost != 0) return (Move.Other, 0, 0);
        if (d.parties == 0) {
            if (d.destroyed == 0 && d.quarantined == 0 && d.caseStock == 0) return (Move.None, 0, 0);
            if (d.quarantined < 0 && d.destroyed == -d.quarantined && d.caseStock == 0) {
                return (Move.QuarantineDestroyed, 0, uint256(d.destroyed));
            }
            return (Move.Other, 0, 0);
        }
        if (d.parties > 1 || d.dispensed != 0) return (Move.Other, 0, 0);
        uint64 p = d.party;
        if (d.held < 0 && d.inTransit == 0 && d.destroyed == 0) {
            uint256 q = uint256(-d.held);
            if (d.suspended == 0 && d.caseStock == 0 && d.quarantined == -d.held) return (Move.ToQuarantine, p, q);
            if (d.suspended == -d.held && d.caseStock == -d.held && d.quarantined == 0) return (Move.ToCase, p, q);
            return (Move.Other, 0, 0);
        }
        if (d.suspended < 0 && d.caseStock == d.suspended && d.inTransit == 0 && d.quarantined == 0) {
            uint256 q = uint256(-d.suspended);
            if (d.held == 0 && d.destroyed == -d.suspended) return (Move.CaseDestroyed, p, q);
            if (d.held == -d.suspended && d.destroyed == 0) return (Move.CaseReleased, p, q);
            return (Move.Other, 0, 0);
        }
        if (
            d.inTransit < 0 &&
            d.held == -d.inTransit &&
            d.suspended == 0 &&
            d.destroyed == 0 &&
            d.quarantined == 0 &&
            d.caseStock == 0
        ) return (Move.ShipmentReturned, p, uint256(d.held));
        return (Move.Other, 0, 0);
    }

    function _sub(uint256 after_, uint256 before) private pure returns (int256) {
        return int256(after_) - int256(before);
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
    IBatchRegistry internal batches;
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
        engine = new QualityEngine(registry);
        batchesImpl = new BatchRegistry(
            registry,
            new ProductRegistry(registry),
            engine,
            new CollaborationEngine(registry),
            new BulkCustody(registry)
        );
        batches = IBatchRegistry(
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
        bytes32 application = batches.productApplicationHash(GTIN, MAKER);
        vm.prank(supplyAdmin(REGULATOR));
        batches.approveProduct(GTIN, MAKER, application);
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

    function _input(string memory lot) internal view returns (ISupplyLedger.BatchInput memory) {
        return
            ISupplyLedger.BatchInput({
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

    function _unitStatus(uint256 index) internal view returns (ISupplyLedger.UnitStatus status) {
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
        // Read the modules first: expectRevert applies to the next call.
        (address products, , address collaboration, address bulk) = batches.modules();
        vm.expectRevert(abi.encodeWithSelector(IMembershipMirror.MirrorZeroRegistry.selector));
        new BatchRegistry(
            IConsortiumRegistry(address(0)),
            IProductRegistry(products),
            engine,
            ICollaborationEngine(collaboration),
            IBulkCustody(bulk)
        );
    }

    function test_initialize_revertsWhenCalledAgain() public {
        vm.expectRevert(abi.encodeWithSelector(Initializable.InvalidInitialization.selector));
        BatchRegistry(address(batches)).initialize();
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

    /// registerProduct (an application) accepts exactly the GTINs the reference accepts;
    /// the regulator's approval registers the applicant as holder.
    function testFuzz_registerProduct_validatesGtin(uint256 seed) public {
        uint64 gtin = uint64(_bound(seed, 0, 2e14));
        vm.assume(gtin != GTIN);
        vm.prank(supplyAdmin(MAKER2));
        if (!_referenceIsValid(gtin)) {
            vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryInvalidGtin.selector, gtin));
            batches.registerProduct(gtin, "P", "A", 0);
        } else {
            batches.registerProduct(gtin, "P", "A", 0);
            _assertEq(batches.productApplication(gtin, MAKER2).holder, MAKER2, "applicant");
            vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryUnknownProduct.selector, gtin));
            batches.getProduct(gtin);
            bytes32 application = batches.productApplicationHash(gtin, MAKER2);
            vm.prank(supplyAdmin(REGULATOR));
            batches.approveProduct(gtin, MAKER2, application);
            _assertEq(batches.getProduct(gtin).holder, MAKER2, "holder");
            _assertEq(batches.productApplication(gtin, MAKER2).holder, 0, "application consumed");
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
        ISupplyLedger.Batch memory b = batches.getBatch(id);
        _assertEq(uint8(b.status), uint8(ISupplyLedger.BatchStatus.Production), "status");
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
        ISupplyLedger.BatchInput memory input = ISupplyLedger.BatchInput({
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
                ISupplyLedger.BatchRegistryInvalidDates.selector,
                manufacturedAt,
                expiresAt
            );
        } else if (expiresAt <= now_) {
            expected = abi.encodeWithSelector(ISupplyLedger.BatchRegistryExpiryInPast.selector, expiresAt, now_);
        } else if (quantity == 0) {
            expected = abi.encodeWithSelector(ISupplyLedger.BatchRegistryZeroQuantity.selector);
        } else if (withRoot != (unitCount != 0) || unitCount > quantity) {
            expected = abi.encodeWithSelector(
                ISupplyLedger.BatchRegistryInvalidUnits.selector,
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
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryUnknownShipment.selector, other, id));
        batches.receiveShipment(other, id);
    }

    // ==== units ====

    function test_unitTree_proofsVerify() public view {
        bytes32 root = UnitTree16.root();
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            _assertTrue(MerkleProof.verify(UnitTree16.proof(i), root, UnitTree16.leaf(i)), "proof verifies");
            (ISupplyLedger.UnitVerdict verdict, ) = batches.verify(UnitTree16.unit(batchId, i));
            _assertEq(uint8(verdict), uint8(ISupplyLedger.UnitVerdict.Genuine), "genuine");
        }
        ISupplyLedger.UnitProof memory forged = UnitTree16.unit(batchId, 1);
        forged.index = 2;
        (ISupplyLedger.UnitVerdict v, ) = batches.verify(forged);
        _assertEq(uint8(v), uint8(ISupplyLedger.UnitVerdict.Unknown), "wrong index");
    }

    function test_dispense_secondPresentationIsSuspect() public {
        _move(MAKER, PHARMACY, 3);
        ISupplyLedger.UnitProof memory unit = UnitTree16.unit(batchId, 7);
        vm.prank(supplyAdmin(PHARMACY));
        _assertFalse(batches.dispense(unit), "first dispense");
        vm.expectEmit(address(batches));
        emit ISupplyLedger.SuspectUnitReported(
            batchId,
            7,
            HOSPITAL,
            unit.unitHash,
            ISupplyLedger.UnitStatus.Dispensed,
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
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryInsufficientStock.selector, batchId, HOSPITAL, 0, 1)
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
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryUndoWindowClosed.selector, batchId, 0, deadline)
        );
        batches.undoDispense(UnitTree16.unit(batchId, 0));
    }

    function test_setDispenseUndoWindow_onlyGovernor() public {
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryOnlyGovernor.selector, supplyAdmin(REGULATOR))
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
                (ISupplyLedger.UnitStatus status, uint64 p, uint40 at) = batches.unitRecord(batchId, i);
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
        _assertTrue(
            tx.origin != supplyAdmin(MAKER) && tx.origin != MAKER_QA && tx.origin != supplyAdmin(REGULATOR),
            "origin is not a pranked caller"
        );
        vm.expectEmit(address(batches));
        emit ISupplyLedger.ProductApplied(gtin2, MAKER, 7654321, "P", "A", supplyAdmin(MAKER));
        vm.prank(supplyAdmin(MAKER));
        batches.registerProduct(gtin2, "P", "A", 7654321);
        // The regulator's approval registers it: the actor is the regulator's account.
        bytes32 application = batches.productApplicationHash(gtin2, MAKER);
        vm.expectEmit(address(batches));
        emit ISupplyLedger.ProductRegistered(gtin2, MAKER, 7654321, "P", "A", supplyAdmin(REGULATOR));
        vm.prank(supplyAdmin(REGULATOR));
        batches.approveProduct(gtin2, MAKER, application);

        ISupplyLedger.BatchInput memory input = _input("LOT-2");
        input.gtin = gtin2;
        bytes32 id = keccak256(abi.encode(gtin2, "LOT-2"));
        vm.expectEmit(address(batches));
        emit ISupplyLedger.BatchCreated(
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
        emit ISupplyLedger.BatchReleased(id, MAKER, MAKER_QA);
        vm.prank(MAKER_QA);
        batches.releaseBatch(id);
    }

    function test_custody_emitsCallerAsActor() public {
        bytes32 first = keccak256(abi.encode(batchId, MAKER, uint32(0)));
        vm.expectEmit(address(batches));
        emit ISupplyLedger.Shipped(first, batchId, MAKER, WHOLESALER, 5, supplyAdmin(MAKER));
        vm.prank(supplyAdmin(MAKER));
        batches.ship(batchId, WHOLESALER, 5);
        vm.expectEmit(address(batches));
        emit ISupplyLedger.ShipmentClosed(
            first,
            batchId,
            WHOLESALER,
            ISupplyLedger.ShipmentStatus.Received,
            5,
            supplyAdmin(WHOLESALER)
        );
        vm.prank(supplyAdmin(WHOLESALER));
        batches.receiveShipment(batchId, first);

        vm.prank(supplyAdmin(MAKER));
        bytes32 second = batches.ship(batchId, PHARMACY, 2);
        vm.expectEmit(address(batches));
        emit ISupplyLedger.ShipmentClosed(
            second,
            batchId,
            MAKER,
            ISupplyLedger.ShipmentStatus.Cancelled,
            2,
            supplyAdmin(MAKER)
        );
        vm.prank(supplyAdmin(MAKER));
        batches.cancelShipment(batchId, second);

        vm.prank(supplyAdmin(MAKER));
        bytes32 third = batches.ship(batchId, PHARMACY, 3);
        vm.expectEmit(address(batches));
        emit ISupplyLedger.ShipmentClosed(
            third,
            batchId,
            MAKER,
            ISupplyLedger.ShipmentStatus.Rejected,
            3,
            supplyAdmin(PHARMACY)
        );
        vm.prank(supplyAdmin(PHARMACY));
        batches.rejectShipment(batchId, third);
    }

    function test_units_emitCallerAsActor() public {
        _move(MAKER, PHARMACY, 4);
        ISupplyLedger.UnitProof memory unit = UnitTree16.unit(batchId, 9);
        _expectUnitStatusChanged(9, PHARMACY, ISupplyLedger.UnitStatus.Active, ISupplyLedger.UnitStatus.Dispensed);
        vm.prank(supplyAdmin(PHARMACY));
        batches.dispense(unit);
        _expectUnitStatusChanged(9, PHARMACY, ISupplyLedger.UnitStatus.Dispensed, ISupplyLedger.UnitStatus.Active);
        vm.prank(supplyAdmin(PHARMACY));
        batches.undoDispense(unit);
        _expectUnitStatusChanged(9, PHARMACY, ISupplyLedger.UnitStatus.Active, ISupplyLedger.UnitStatus.Locked);
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(unit, ISupplyLedger.UnitStatus.Locked);
        _expectUnitStatusChanged(9, PHARMACY, ISupplyLedger.UnitStatus.Locked, ISupplyLedger.UnitStatus.Active);
        vm.prank(supplyAdmin(PHARMACY));
        batches.reactivate(unit);
    }

    function _expectUnitStatusChanged(
        uint256 index,
        uint64 party,
        ISupplyLedger.UnitStatus previous,
        ISupplyLedger.UnitStatus status
    ) private {
        vm.expectEmit(address(batches));
        emit ISupplyLedger.UnitStatusChanged(
            batchId,
            index,
            party,
            UnitTree16.unitHash(index),
            previous,
            status,
            supplyAdmin(party)
        );
    }

    // ==== units: bounded by the actor's own stock; put right by the regulator ====

    /// A party with none of the batch cannot mark a unit, whoever holds it.
    function test_decommission_revertsWithoutAvailableStock() public {
        vm.prank(supplyAdmin(HOSPITAL));
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryInsufficientStock.selector, batchId, HOSPITAL, 0, 1)
        );
        batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus.Locked);
    }

    /// Locked units are set aside: they cannot be shipped, dispensed or locked again.
    function test_ship_revertsOnLockedStock() public {
        _move(MAKER, PHARMACY, 2);
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus.Locked);
        vm.prank(supplyAdmin(PHARMACY));
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryInsufficientStock.selector, batchId, PHARMACY, 1, 2)
        );
        batches.ship(batchId, HOSPITAL, 2);
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(UnitTree16.unit(batchId, 1), ISupplyLedger.UnitStatus.Locked);
        vm.prank(supplyAdmin(PHARMACY));
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryInsufficientStock.selector, batchId, PHARMACY, 0, 1)
        );
        batches.dispense(UnitTree16.unit(batchId, 2));
        ISupplyLedger.Custody memory c = batches.custody(batchId, PHARMACY);
        _assertEq(c.held, 2, "held, locked units included");
        _assertEq(c.locked, 2, "locked");
    }

    function test_decommission_revertsOnActiveOrDispensed() public {
        for (uint8 s = 0; s < 2; ++s) {
            vm.prank(supplyAdmin(MAKER));
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISupplyLedger.BatchRegistryInvalidUnitTransition.selector,
                    batchId,
                    0,
                    ISupplyLedger.UnitStatus.Active,
                    ISupplyLedger.UnitStatus(s)
                )
            );
            batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus(s));
        }
    }

    /// Stopped or recalled stock leaves through quarantine, not by decommission.
    function test_decommission_revertsWhileHalted() public {
        _stop();
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryHalted.selector, batchId, 1));
        batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus.Destroyed);
    }

    function test_reactivate_revertsForAnotherParty() public {
        _move(MAKER, PHARMACY, 1);
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus.Locked);
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryNotUnitParty.selector, batchId, 0, PHARMACY));
        batches.reactivate(UnitTree16.unit(batchId, 0));
    }

    function test_undoDispense_revertsWhileHalted() public {
        _move(MAKER, PHARMACY, 1);
        vm.prank(supplyAdmin(PHARMACY));
        batches.dispense(UnitTree16.unit(batchId, 0));
        _stop();
        vm.prank(supplyAdmin(PHARMACY));
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryHalted.selector, batchId, 1));
        batches.undoDispense(UnitTree16.unit(batchId, 0));
    }

    /// The regulator restores a unit from each status, crediting the party that marked it.
    function test_restoreUnit_creditsThePartyThatMarkedIt() public {
        _move(MAKER, PHARMACY, 4);
        ISupplyLedger.UnitStatus[4] memory statuses = [
            ISupplyLedger.UnitStatus.Dispensed,
            ISupplyLedger.UnitStatus.Destroyed,
            ISupplyLedger.UnitStatus.Stolen,
            ISupplyLedger.UnitStatus.Locked
        ];
        vm.prank(supplyAdmin(PHARMACY));
        batches.dispense(UnitTree16.unit(batchId, 0));
        for (uint256 i = 1; i < 4; ++i) {
            vm.prank(supplyAdmin(PHARMACY));
            batches.decommission(UnitTree16.unit(batchId, i), statuses[i]);
        }
        ISupplyLedger.Custody memory c = batches.custody(batchId, PHARMACY);
        _assertEq(c.held, 1, "held after three taken");
        _assertEq(c.locked, 1, "locked");
        _assertEq(c.dispensed, 1, "dispensed");
        for (uint256 i = 0; i < 4; ++i) {
            vm.expectEmit(address(batches));
            emit ISupplyLedger.UnitStatusChanged(
                batchId,
                i,
                REGULATOR,
                UnitTree16.unitHash(i),
                statuses[i],
                ISupplyLedger.UnitStatus.Active,
                supplyAdmin(REGULATOR)
            );
            vm.expectEmit(address(batches));
            emit ISupplyLedger.UnitRestored(batchId, i, PHARMACY, statuses[i], REGULATOR, supplyAdmin(REGULATOR));
            vm.prank(supplyAdmin(REGULATOR));
            batches.restoreUnit(UnitTree16.unit(batchId, i));
        }
        c = batches.custody(batchId, PHARMACY);
        _assertEq(c.held, 4, "held");
        _assertEq(c.locked, 0, "locked");
        _assertEq(c.dispensed, 0, "dispensed");
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        _assertEq(b.dispensed + b.destroyed + b.lost, 0, "batch counters");
    }

    function test_restoreUnit_revertsOnAnActiveUnit() public {
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISupplyLedger.BatchRegistryInvalidUnitTransition.selector,
                batchId,
                5,
                ISupplyLedger.UnitStatus.Active,
                ISupplyLedger.UnitStatus.Active
            )
        );
        batches.restoreUnit(UnitTree16.unit(batchId, 5));
    }

    function test_restoreUnit_revertsForAnotherDomain() public {
        vm.prank(supplyAdmin(MAKER));
        batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus.Locked);
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryDomainNotAllowed.selector,
                MAKER,
                IConsortiumRegistry.Domain.Manufacturer
            )
        );
        batches.restoreUnit(UnitTree16.unit(batchId, 0));
    }

    /// While halted the regulator may lift a lock (no stock moves) but not restore stock.
    function test_restoreUnit_liftsOnlyLocksWhileHalted() public {
        _move(MAKER, PHARMACY, 2);
        vm.prank(supplyAdmin(PHARMACY));
        batches.dispense(UnitTree16.unit(batchId, 0));
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(UnitTree16.unit(batchId, 1), ISupplyLedger.UnitStatus.Locked);
        _stop();
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryHalted.selector, batchId, 1));
        batches.restoreUnit(UnitTree16.unit(batchId, 0));
        vm.prank(supplyAdmin(REGULATOR));
        batches.restoreUnit(UnitTree16.unit(batchId, 1));
        _assertEq(batches.custody(batchId, PHARMACY).locked, 0, "lock lifted");
    }

    // ==== the custody handler ====

    /// A scripted campaign through the {CustodyHandler}: every action succeeds, decommission
    /// in each status and its refusals, restoration from each status, a shipment cancelled
    /// while the batch is stopped and a lock lifted then, and callers not allowed are refused
    /// — so that the invariant campaigns below are not vacuous.
    function test_custodyHandler_everyActionSucceeds() public {
        CustodyHandler h = new CustodyHandler(batches, batchId);
        // Actor seeds 1 + 32 i: custodian i (0 maker, 1 wholesaler, 2 logistics, 3 pharmacy,
        // 4 hospital); 8 j: intruder j (0 outsider, 1 laboratory, 2 regulator, 3 the maker's QA).
        // Dispenser seeds: 1 pharmacy, 2 hospital, 8 the wholesaler. Unit seeds 4 i: unit i.
        // Shipment seed 1: the first open one; caller seed 1: the party allowed to.
        (uint256 maker, uint256 pharmacy, uint256 makerQa) = (1, 1 + 32 * 3, 24);
        h.ship(maker, 1, 4 * 4 + 1); // maker → wholesaler 4 (quantity seeds 4 q + 1: q)
        h.receiveShipment(1, 1);
        h.ship(maker, 3, 4 * 2 + 1); // maker → pharmacy 2
        h.cancelShipment(1, 1);
        h.ship(maker, 3, 4 * 2 + 1);
        h.rejectShipment(1, 1);
        h.ship(0, 1, 5); // an outsider: refused
        h.dispense(1, 0); // the pharmacy dispenses unit 0
        h.dispenseAgain(2, 0); // the hospital presents it again: suspect
        h.dispense(8, 4); // the wholesaler does not dispense: refused
        h.undoDispense(0, 1); // the pharmacy undoes it
        h.decommission(pharmacy, 4, 2); // unit 1 destroyed
        h.decommission(pharmacy, 8, 3); // unit 2 stolen
        h.decommission(pharmacy, 12, 4); // unit 3 locked
        h.decommission(pharmacy, 16, 0); // Active: refused
        h.decommission(pharmacy, 16, 1); // Dispensed: refused
        h.decommission(makerQa, 20, 4); // the maker's QA locks unit 5
        h.reactivate(20, 1); // the maker lifts it
        h.dispense(1, 24); // unit 6 dispensed
        h.restoreUnit(24, 1); // the regulator restores a dispensed unit,
        h.restoreUnit(4, 1); // a destroyed one,
        h.restoreUnit(8, 1); // a stolen one,
        h.restoreUnit(12, 1); // a locked one
        h.restoreUnit(16, 4); // the laboratory: refused
        h.decommission(pharmacy, 28, 4); // unit 7 locked
        h.dispense(1, 36); // unit 9 dispensed
        h.ship(maker, 4, 4 * 3 + 1); // maker → hospital 3, left in transit
        h.stopOrResume(1, true); // the regulator stops the batch
        h.cancelShipment(1, 1); // the shipment comes back while stopped
        h.restoreUnit(28, 1); // a lock lifted while stopped
        h.restoreUnit(36, 1); // a dispense restored while stopped: refused
        h.decommission(pharmacy, 32, 2); // refused while stopped
        h.dispense(1, 40); // refused while stopped
        h.stopOrResume(0, false); // the maker may not resume: refused
        h.stopOrResume(1, false); // the regulator resumes
        h.wait(1 hours);
        h.waitForUndoDeadline(36, 0); // one second before unit 9's undo deadline
        h.undoDispense(36, 1);

        bytes4[] memory actions = h.actions();
        for (uint256 i = 0; i < actions.length; ++i) _assertTrue(h.successes(actions[i]) > 0, "action succeeded");
        for (uint8 s = uint8(ISupplyLedger.UnitStatus.Dispensed); s <= uint8(ISupplyLedger.UnitStatus.Locked); ++s) {
            _assertTrue(h.restoredFrom(ISupplyLedger.UnitStatus(s)) > 0, "restored from each status");
            if (s != uint8(ISupplyLedger.UnitStatus.Dispensed)) {
                _assertTrue(h.decommissioned(ISupplyLedger.UnitStatus(s)) > 0, "decommissioned as each status");
            }
        }
        _assertTrue(h.decommissionRefused(ISupplyLedger.UnitStatus.Active) > 0, "Active refused");
        _assertTrue(h.decommissionRefused(ISupplyLedger.UnitStatus.Dispensed) > 0, "Dispensed refused");
        _assertTrue(h.haltedSuccesses(h.cancelShipment.selector) > 0, "cancelled while halted");
        _assertTrue(h.haltedSuccesses(h.restoreUnit.selector) > 0, "lock lifted while halted");
        _assertEq(h.refusals(h.ship.selector), 1, "outsider's shipment refused");
        _assertEq(h.refusals(h.restoreUnit.selector), 2, "restorations refused");
        _assertEq(h.refusals(h.stopOrResume.selector), 1, "the maker's resumption refused");
        _assertEq(h.mispredictions(), 0, "mispredictions");
        _assertEq(h.foreignStockMoves(), 0, "foreign stock moves");
        _assertEq(h.outflowsBeyondAvailable(), 0, "outflows beyond available");
        _assertEq(h.misdirectedCredits(), 0, "misdirected credits");
        _assertEq(h.haltedLedgerChanges(), 0, "halted ledger changes");
    }

    // ==== PRIVATE ====

    /// The regulator stops the batch (state 1, EmergencyStop in the pharmaceutical graph).
    function _stop() private {
        vm.prank(supplyAdmin(REGULATOR));
        ICollaborationEngine(address(batches)).transition(batchId, 1, "stop");
    }

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

/// forge-std's `StdInvariant.FuzzSelector`: the selectors of a target the campaign may call.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/**
 * @title CustodyHandler
 * @notice Drives random ships, receives, cancels, rejects, dispenses (including units
 * already dispensed, destroyed, stolen or locked), undos, decommissions in every status
 * (Destroyed, Stolen, Locked, and the refused Active and Dispensed), reactivations, the
 * regulator's restorations from every status, stops and resumptions of the batch, and
 * waits, among five custodians (2 maker, 3 wholesaler, 4 logistics, 5 pharmacy, 6
 * hospital); with callers who are not allowed (an outsider, the laboratory, the
 * regulator where it may not act, the maker's QA where only admins and operators act, a
 * wholesaler dispensing) and wrong receivers (the laboratory, an unknown party, the
 * sender itself).
 *
 * It keeps its own model of every party's custody (held including locked, in transit,
 * dispensed, locked), every open shipment and every unit, updated only when a call
 * succeeds, and counts the calls whose outcome the model did not predict. Around every
 * successful call it reads the registry's whole ledger ({Ledger}) and checks what the call
 * moved, independently of the model: a unit action takes exactly one unit of the actor's
 * own available stock (held less locked) and nothing else; an outflow never exceeds the
 * party's available stock; a restoration, undo or lift credits exactly the party the unit's
 * record names; and while the batch is halted nothing moves but a cancelled or rejected
 * shipment back to its sender (and locks lifted). It never reverts itself.
 */
contract CustodyHandler is TestBase {
    uint32 private constant _WINDOW = 10 days;
    uint64 private constant _UNKNOWN = 99;
    uint8 private constant _MARKETED = 0;
    uint8 private constant _STOP = 1;

    struct Open {
        bytes32 id;
        uint64 from;
        uint64 to;
        uint48 quantity;
        bool open;
    }

    /// A party's custody as the model keeps it (no suspect cases here: nothing is suspended).
    struct Stock {
        uint256 held;
        uint256 inTransit;
        uint256 dispensed;
        uint256 locked;
    }

    struct Caller {
        address account;
        uint64 party;
        IConsortiumRegistry.Role role;
    }

    IBatchRegistry public immutable batches;
    bytes32 public immutable batchId;

    uint64[5] private _custodians = [MAKER, WHOLESALER, LOGISTICS, PHARMACY, HOSPITAL];
    Open[] private _shipments;
    uint256 private _openCount;

    // ---- model ----
    mapping(uint64 partyId => Stock) public model;
    mapping(uint64 partyId => uint32) public modelSeq;
    uint256 public openTotal;
    bool public modelHalted;
    uint256 public modelDispensed;
    uint256 public modelDestroyed;
    uint256 public modelLost;
    mapping(uint256 index => ISupplyLedger.UnitStatus) public modelStatus;
    mapping(uint256 index => uint64) public modelParty;
    mapping(uint256 index => uint256) public modelAt;
    /// Successful non-suspect dispenses of the unit, minus successful undos and restorations.
    mapping(uint256 index => uint256) public liveDispenses;
    /// Successful non-suspect dispenses of a unit already dispensed (must stay 0).
    uint256 public doubleDispenses;
    uint256 public suspects;

    // ---- ghosts ----
    uint256 public mispredictions;
    /// The last action whose outcome the model did not predict (to read a failing campaign).
    bytes4 public lastMisprediction;
    /// Dispenses, destructions, thefts and locks that did not take exactly one unit of the
    /// actor's own available stock, or that moved anything else.
    uint256 public foreignStockMoves;
    /// Shipments that took more than the sender's available stock.
    uint256 public outflowsBeyondAvailable;
    /// Restorations, undos, lifts, cancels and rejects whose ledger change was not exactly
    /// the credit to the party they name.
    uint256 public misdirectedCredits;
    /// Successful calls that moved stock while the batch was halted, other than a cancelled
    /// or rejected shipment back to its sender.
    uint256 public haltedLedgerChanges;
    /// Successful and refused calls per action, to see that a campaign reaches every path.
    mapping(bytes4 action => uint256) public successes;
    mapping(bytes4 action => uint256) public refusals;
    /// Decommissions per requested status (Active and Dispensed are always refused).
    mapping(ISupplyLedger.UnitStatus status => uint256) public decommissioned;
    mapping(ISupplyLedger.UnitStatus status => uint256) public decommissionRefused;
    /// Restorations per previous status.
    mapping(ISupplyLedger.UnitStatus status => uint256) public restoredFrom;
    /// Successful calls made while the batch was halted, per action.
    mapping(bytes4 action => uint256) public haltedSuccesses;

    constructor(IBatchRegistry batches_, bytes32 batchId_) {
        batches = batches_;
        batchId = batchId_;
        model[MAKER].held = batches_.holding(batchId_, MAKER);
        // A start where every action can succeed: stock at the wholesaler and both dispensers.
        _seed(MAKER, WHOLESALER, 32);
        _seed(WHOLESALER, PHARMACY, 8);
        _seed(WHOLESALER, HOSPITAL, 8);
    }

    /// The actions a campaign calls.
    function actions() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](13);
        selectors[0] = this.ship.selector;
        selectors[1] = this.receiveShipment.selector;
        selectors[2] = this.cancelShipment.selector;
        selectors[3] = this.rejectShipment.selector;
        selectors[4] = this.dispense.selector;
        selectors[5] = this.dispenseAgain.selector;
        selectors[6] = this.undoDispense.selector;
        selectors[7] = this.decommission.selector;
        selectors[8] = this.reactivate.selector;
        selectors[9] = this.restoreUnit.selector;
        selectors[10] = this.stopOrResume.selector;
        selectors[11] = this.wait.selector;
        selectors[12] = this.waitForUndoDeadline.selector;
    }

    // ==== ACTIONS ====

    /// Caller seed: see {_actor}. Quantity seed % 4 == 0: all the sender's available stock;
    /// else (seed / 4) up to one past its held stock, locked units included (which cannot leave).
    function ship(uint256 callerSeed, uint256 toSeed, uint256 quantitySeed) external {
        Caller memory c = _actor(callerSeed);
        uint64 from = c.party;
        uint256 pick = toSeed % 8;
        uint64 to = pick < 5 ? _custodians[pick] : (pick == 5 ? LABORATORY : (pick == 6 ? _UNKNOWN : from));
        uint256 quantity =
            quantitySeed % 4 == 0 ? _available(from) : _bound(quantitySeed / 4, 0, model[from].held + 1);
        bool expected =
            _trades(c) &&
                !modelHalted &&
                to != from &&
                isCustodian(to) &&
                quantity > 0 &&
                quantity <= _available(from);
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try batches.ship(batchId, to, uint48(quantity)) returns (bytes32 id) {
            _record(this.ship.selector, true, expected, before.halted);
            Ledger.Delta memory d = _diff(before);
            Ledger.Delta memory e = Ledger.stockOf(from);
            e.held = -int256(quantity);
            e.inTransit = int256(quantity);
            if (!Ledger.eq(d, e) || Ledger.available(before, from) < quantity) ++outflowsBeyondAvailable;
            _checkHalted(before, d, Ledger.Move.None, 0, 0);
            _recordShipment(id, from, to, quantity);
        } catch {
            _record(this.ship.selector, false, expected, before.halted);
        }
    }

    function receiveShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        _closeShipment(this.receiveShipment.selector, shipmentSeed, callerSeed);
    }

    function cancelShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        _closeShipment(this.cancelShipment.selector, shipmentSeed, callerSeed);
    }

    function rejectShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        _closeShipment(this.rejectShipment.selector, shipmentSeed, callerSeed);
    }

    /// Caller seed: see {_dispenser}; mostly an active unit.
    function dispense(uint256 callerSeed, uint256 unitSeed) external {
        _dispense(this.dispense.selector, _dispenser(callerSeed), _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Active)));
    }

    /// Presents a unit the model holds dispensed, destroyed, stolen or locked (a genuine code
    /// on a second box: reported as suspect; a locked one is refused).
    function dispenseAgain(uint256 callerSeed, uint256 unitSeed) external {
        _dispense(this.dispenseAgain.selector, _dispenser(callerSeed), _pickUnit(unitSeed, _INACTIVE));
    }

    /// Mostly the dispensing party; sometimes another dispenser or a caller not allowed.
    function undoDispense(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Dispensed));
        bool dispensed = modelStatus[index] == ISupplyLedger.UnitStatus.Dispensed;
        Caller memory c = dispensed && callerSeed % 4 != 0 ? _admin(modelParty[index]) : _dispenser(callerSeed / 4);
        bool expected =
            _trades(c) &&
                isDispenser(c.party) &&
                dispensed &&
                c.party == modelParty[index] &&
                !modelHalted &&
                block.timestamp <= modelAt[index] + _WINDOW;
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try batches.undoDispense(UnitTree16.unit(batchId, index)) {
            _record(this.undoDispense.selector, true, expected, before.halted);
            Ledger.Delta memory e = Ledger.stockOf(c.party);
            e.held = 1;
            e.dispensed = -1;
            e.batchDispensed = -1;
            _checkCredit(before, e);
            liveDispenses[index] = _dec(liveDispenses[index], 1);
            _credit(c.party, ISupplyLedger.UnitStatus.Dispensed);
            _setUnit(index, ISupplyLedger.UnitStatus.Active, c.party);
        } catch {
            _record(this.undoDispense.selector, false, expected, before.halted);
        }
    }

    /// Caller seed: see {_actor}. Kind seed % 8: 0 Active, 1 Dispensed (both refused), 2
    /// Destroyed, 3 Stolen, 4 Locked, and again from 5.
    function decommission(uint256 callerSeed, uint256 unitSeed, uint256 kindSeed) external {
        Caller memory c = _actor(callerSeed);
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Active));
        uint256 k = kindSeed % 8;
        ISupplyLedger.UnitStatus kind = ISupplyLedger.UnitStatus(k < 2 ? k : 2 + ((k - 2) % 3));
        bool expected =
            _administers(c) &&
                k >= 2 &&
                modelStatus[index] == ISupplyLedger.UnitStatus.Active &&
                !modelHalted &&
                _available(c.party) >= 1;
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try batches.decommission(UnitTree16.unit(batchId, index), kind) {
            _record(this.decommission.selector, true, expected, before.halted);
            ++decommissioned[kind];
            Ledger.Delta memory e;
            if (kind == ISupplyLedger.UnitStatus.Locked) {
                e = Ledger.lock(c.party, 1);
                ++model[c.party].locked;
            } else {
                e = Ledger.stockOf(c.party);
                e.held = -1;
                model[c.party].held = _dec(model[c.party].held, 1);
                if (kind == ISupplyLedger.UnitStatus.Destroyed) {
                    e.destroyed = 1;
                    ++modelDestroyed;
                } else {
                    e.lost = 1;
                    ++modelLost;
                }
            }
            _checkUnitTake(before, c.party, e);
            _setUnit(index, kind, c.party);
        } catch {
            _record(this.decommission.selector, false, expected, before.halted);
            ++decommissionRefused[kind];
        }
    }

    /// Mostly the locking party; one time in three any caller ({_actor}).
    function reactivate(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Locked));
        bool locked = modelStatus[index] == ISupplyLedger.UnitStatus.Locked;
        Caller memory c = locked && callerSeed % 3 != 0 ? _admin(modelParty[index]) : _actor(callerSeed / 3);
        bool expected = _administers(c) && locked && c.party == modelParty[index];
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try batches.reactivate(UnitTree16.unit(batchId, index)) {
            _record(this.reactivate.selector, true, expected, before.halted);
            _checkCredit(before, Ledger.lock(c.party, -1));
            _credit(c.party, ISupplyLedger.UnitStatus.Locked);
            _setUnit(index, ISupplyLedger.UnitStatus.Active, c.party);
        } catch {
            _record(this.reactivate.selector, false, expected, before.halted);
        }
    }

    /// The regulator restores a unit (mostly one that is not active); one call in four is
    /// made by a caller not allowed ({_intruder}, the regulator's admin among them).
    function restoreUnit(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, _INACTIVE);
        Caller memory c = callerSeed % 4 == 0 ? _intruder(callerSeed / 4) : _admin(REGULATOR);
        ISupplyLedger.UnitStatus status = modelStatus[index];
        uint64 credited = modelParty[index];
        bool expected =
            _trades(c) &&
                c.party == REGULATOR &&
                status != ISupplyLedger.UnitStatus.Active &&
                (status == ISupplyLedger.UnitStatus.Locked || !modelHalted);
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try batches.restoreUnit(UnitTree16.unit(batchId, index)) {
            _record(this.restoreUnit.selector, true, expected, before.halted);
            ++restoredFrom[status];
            _checkCredit(before, _restoration(credited, status));
            if (status == ISupplyLedger.UnitStatus.Dispensed) liveDispenses[index] = _dec(liveDispenses[index], 1);
            _credit(credited, status);
            _setUnit(index, ISupplyLedger.UnitStatus.Active, REGULATOR);
        } catch {
            _record(this.restoreUnit.selector, false, expected, before.halted);
        }
    }

    /// Stops the batch (`stop`) or resumes it: the regulator, the maker (which may stop but
    /// not resume) or a caller not allowed ({_intruder}).
    function stopOrResume(uint256 callerSeed, bool stop) external {
        uint256 who = callerSeed % 4;
        Caller memory c = who == 0 ? _admin(MAKER) : (who == 3 ? _intruder(callerSeed / 4) : _admin(REGULATOR));
        bool person = c.role != IConsortiumRegistry.Role.None && c.role != IConsortiumRegistry.Role.Device;
        bool expected =
            person &&
                (stop ? !modelHalted && (c.party == REGULATOR || c.party == MAKER) : modelHalted && c.party == REGULATOR);
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try ICollaborationEngine(address(batches)).transition(batchId, stop ? _STOP : _MARKETED, "handler") {
            _record(this.stopOrResume.selector, true, expected, before.halted);
            _checkHalted(before, _diff(before), Ledger.Move.None, 0, 0);
            modelHalted = stop;
        } catch {
            _record(this.stopOrResume.selector, false, expected, before.halted);
        }
    }

    /// Lets up to three days pass (the undo window is ten; the batch keeps for ten years).
    function wait(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 0, 3 days));
        ++successes[this.wait.selector];
    }

    /// Moves time to one second before, at, or one second after a dispensed unit's undo deadline.
    function waitForUndoDeadline(uint256 unitSeed, uint256 offsetSeed) external {
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Dispensed));
        if (modelStatus[index] != ISupplyLedger.UnitStatus.Dispensed) return;
        uint256 target = modelAt[index] + _WINDOW + (offsetSeed % 3) - 1;
        if (target > block.timestamp) vm.warp(target);
        ++successes[this.waitForUndoDeadline.selector];
    }

    // ==== VIEWS ====

    function shipmentCount() external view returns (uint256) {
        return _shipments.length;
    }

    function shipmentAt(uint256 i) external view returns (bytes32 id, uint64 from, uint48 quantity, bool open) {
        Open storage s = _shipments[i];
        return (s.id, s.from, s.quantity, s.open);
    }

    // ==== PRIVATE: CALLS ====

    function _seed(uint64 from, uint64 to, uint48 quantity) private {
        vm.prank(supplyAdmin(from));
        bytes32 id = batches.ship(batchId, to, quantity);
        _recordShipment(id, from, to, quantity);
        vm.prank(supplyAdmin(to));
        batches.receiveShipment(batchId, id);
        _close(_shipments[_shipments.length - 1], to);
    }

    function _recordShipment(bytes32 id, uint64 from, uint64 to, uint256 quantity) private {
        if (id != keccak256(abi.encode(batchId, from, modelSeq[from]))) _mispredict(this.ship.selector);
        ++modelSeq[from];
        _shipments.push(Open({id: id, from: from, to: to, quantity: uint48(quantity), open: true}));
        ++_openCount;
        model[from].held = _dec(model[from].held, quantity);
        model[from].inTransit += quantity;
        openTotal += quantity;
    }

    /**
     * Tries to receive, cancel or reject an open shipment: usually as the party allowed to
     * (the receiver, the sender, the receiver), one time in four as any caller ({_actor}).
     * A receive credits the receiver; a cancel or reject credits the sender, and may while
     * the batch is halted.
     */
    function _closeShipment(bytes4 action, uint256 shipmentSeed, uint256 callerSeed) private {
        (bool found, uint256 i) = _pickShipment(shipmentSeed);
        if (!found) return;
        Open storage s = _shipments[i];
        bool receiving = action == this.receiveShipment.selector;
        uint64 allowed = action == this.cancelShipment.selector ? s.from : s.to;
        Caller memory c = callerSeed % 4 == 0 ? _actor(callerSeed / 4) : _admin(allowed);
        bool expected = _trades(c) && s.open && c.party == allowed && (!receiving || !modelHalted);
        bytes4 fn =
            receiving
                ? batches.receiveShipment.selector
                : (action == this.cancelShipment.selector
                    ? batches.cancelShipment.selector
                    : batches.rejectShipment.selector);
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        (bool ok, ) = address(batches).call(abi.encodeWithSelector(fn, batchId, s.id));
        _record(action, ok, expected, before.halted);
        if (!ok) return;
        Ledger.Delta memory d = _diff(before);
        if (receiving) {
            _checkHalted(before, d, Ledger.Move.None, 0, 0);
        } else {
            Ledger.Delta memory e = Ledger.stockOf(s.from);
            e.inTransit = -int256(uint256(s.quantity));
            e.held = int256(uint256(s.quantity));
            if (!Ledger.eq(d, e)) ++misdirectedCredits;
            _checkHalted(before, d, Ledger.Move.ShipmentReturned, s.from, s.quantity);
        }
        _close(s, receiving ? s.to : s.from);
    }

    function _dispense(bytes4 action, Caller memory c, uint256 index) private {
        ISupplyLedger.UnitStatus status = modelStatus[index];
        bool active = status == ISupplyLedger.UnitStatus.Active;
        bool expected =
            _trades(c) &&
                isDispenser(c.party) &&
                status != ISupplyLedger.UnitStatus.Locked &&
                (!active || (!modelHalted && _available(c.party) >= 1));
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try batches.dispense(UnitTree16.unit(batchId, index)) returns (bool suspect) {
            _record(action, true, expected, before.halted && !suspect);
            if (suspect == active) _mispredict(action);
            if (suspect) {
                // A suspect report moves nothing.
                Ledger.Delta memory none;
                _checkUnitTake(before, c.party, none);
                ++suspects;
                return;
            }
            Ledger.Delta memory e = Ledger.stockOf(c.party);
            e.held = -1;
            e.dispensed = 1;
            e.batchDispensed = 1;
            _checkUnitTake(before, c.party, e);
            if (liveDispenses[index] != 0) ++doubleDispenses;
            ++liveDispenses[index];
            model[c.party].held = _dec(model[c.party].held, 1);
            ++model[c.party].dispensed;
            ++modelDispensed;
            _setUnit(index, ISupplyLedger.UnitStatus.Dispensed, c.party);
        } catch {
            _record(action, false, expected, before.halted);
        }
    }

    // ==== PRIVATE: CHECKS ====

    function _read() private view returns (Ledger.Snapshot memory) {
        return Ledger.read(batches, batchId, MAKER, HOSPITAL);
    }

    function _diff(Ledger.Snapshot memory before) private view returns (Ledger.Delta memory) {
        return Ledger.diff(before, _read());
    }

    /// A unit action took exactly `e` (one unit of `party`'s stock, or nothing for a suspect
    /// report), and `party` had a unit available before.
    function _checkUnitTake(Ledger.Snapshot memory before, uint64 party, Ledger.Delta memory e) private {
        Ledger.Delta memory d = _diff(before);
        bool takes = e.parties != 0 || e.lockParties != 0;
        if (!Ledger.eq(d, e) || (takes && Ledger.available(before, party) == 0)) ++foreignStockMoves;
        _checkHalted(before, d, Ledger.Move.None, 0, 0);
    }

    /// A restoration, undo or lift changed exactly `e`.
    function _checkCredit(Ledger.Snapshot memory before, Ledger.Delta memory e) private {
        Ledger.Delta memory d = _diff(before);
        if (!Ledger.eq(d, e)) ++misdirectedCredits;
        _checkHalted(before, d, Ledger.Move.None, 0, 0);
    }

    /// While the batch was halted before the call, it moved no stock, or `allowed` of
    /// `quantity` from `party` (a lifted lock moves none).
    function _checkHalted(
        Ledger.Snapshot memory before,
        Ledger.Delta memory d,
        Ledger.Move allowed,
        uint64 party,
        uint256 quantity
    ) private {
        if (!before.halted) return;
        (Ledger.Move move, uint64 p, uint256 q) = Ledger.classify(d);
        if (move == Ledger.Move.None) return;
        if (move != allowed || p != party || q != quantity) ++haltedLedgerChanges;
    }

    /// What restoring a unit that was `status` changes: `credited` gets the stock back.
    function _restoration(uint64 credited, ISupplyLedger.UnitStatus status) private pure returns (Ledger.Delta memory e) {
        if (status == ISupplyLedger.UnitStatus.Locked) return Ledger.lock(credited, -1);
        e = Ledger.stockOf(credited);
        e.held = 1;
        if (status == ISupplyLedger.UnitStatus.Dispensed) {
            e.dispensed = -1;
            e.batchDispensed = -1;
        } else if (status == ISupplyLedger.UnitStatus.Destroyed) {
            e.destroyed = -1;
        } else {
            e.lost = -1;
        }
    }

    // ==== PRIVATE: MODEL ====

    /// The model's side of a unit that was `status` coming back to `party`.
    function _credit(uint64 party, ISupplyLedger.UnitStatus status) private {
        Stock storage stock = model[party];
        if (status == ISupplyLedger.UnitStatus.Locked) {
            stock.locked = _dec(stock.locked, 1);
            return;
        }
        ++stock.held;
        if (status == ISupplyLedger.UnitStatus.Dispensed) {
            stock.dispensed = _dec(stock.dispensed, 1);
            modelDispensed = _dec(modelDispensed, 1);
        } else if (status == ISupplyLedger.UnitStatus.Destroyed) {
            modelDestroyed = _dec(modelDestroyed, 1);
        } else {
            modelLost = _dec(modelLost, 1);
        }
    }

    function _close(Open storage s, uint64 credited) private {
        if (!s.open) {
            _mispredict(this.receiveShipment.selector);
            return;
        }
        s.open = false;
        --_openCount;
        openTotal -= s.quantity;
        model[s.from].inTransit = _dec(model[s.from].inTransit, s.quantity);
        model[credited].held += s.quantity;
    }

    function _setUnit(uint256 index, ISupplyLedger.UnitStatus status, uint64 party) private {
        modelStatus[index] = status;
        modelParty[index] = party;
        modelAt[index] = block.timestamp;
    }

    function _available(uint64 party) private view returns (uint256) {
        Stock storage stock = model[party];
        return stock.held >= stock.locked ? stock.held - stock.locked : 0;
    }

    /// Counts a call whose outcome the model did not predict, and what succeeded while halted.
    function _record(bytes4 action, bool success, bool expected, bool halted) private {
        if (success != expected) _mispredict(action);
        if (success) {
            ++successes[action];
            if (halted) ++haltedSuccesses[action];
        } else {
            ++refusals[action];
        }
    }

    function _mispredict(bytes4 action) private {
        ++mispredictions;
        lastMisprediction = action;
    }

    /// `x - by`, or 0 with a misprediction when the model would go negative.
    function _dec(uint256 x, uint256 by) private returns (uint256) {
        if (x >= by) return x - by;
        ++mispredictions;
        return 0;
    }

    // ==== PRIVATE: CALLERS ====

    /// An admin or operator of a custodian (ship, receive, cancel, reject; dispense and undo
    /// also need a dispenser; restoreUnit the regulator).
    function _trades(Caller memory c) private pure returns (bool) {
        return c.role == IConsortiumRegistry.Role.Admin || c.role == IConsortiumRegistry.Role.Operator;
    }

    /// An admin, operator or QA member of a custodian (decommission, reactivate).
    function _administers(Caller memory c) private pure returns (bool) {
        return (_trades(c) || c.role == IConsortiumRegistry.Role.QA) && isCustodian(c.party);
    }

    function _admin(uint64 party) private pure returns (Caller memory) {
        return Caller(supplyAdmin(party), party, IConsortiumRegistry.Role.Admin);
    }

    /// Seed % 8 == 0: a caller not allowed ({_intruder}, by seed / 8); else the admin of a
    /// custodian ({_sender}, by seed / 8).
    function _actor(uint256 seed) private view returns (Caller memory) {
        if (seed % 8 == 0) return _intruder(seed / 8);
        return _admin(_sender(seed / 8));
    }

    /// An outsider, the laboratory (not a custodian), the regulator (not a custodian) or the
    /// maker's QA (not an admin or operator), by seed % 4.
    function _intruder(uint256 seed) private pure returns (Caller memory) {
        uint256 i = seed % 4;
        if (i == 0) return Caller(STRANGER, 0, IConsortiumRegistry.Role.None);
        if (i == 1) return _admin(LABORATORY);
        if (i == 2) return _admin(REGULATOR);
        return Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA);
    }

    /// Seed % 8 == 0: one that does not dispense (an outsider, the wholesaler, the maker's QA,
    /// the laboratory, by seed / 8 % 4); else the pharmacy (odd seeds) or the hospital.
    function _dispenser(uint256 seed) private pure returns (Caller memory) {
        if (seed % 8 == 0) {
            uint256 i = (seed / 8) % 4;
            if (i == 0) return Caller(STRANGER, 0, IConsortiumRegistry.Role.None);
            if (i == 1) return _admin(WHOLESALER);
            if (i == 2) return Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA);
            return _admin(LABORATORY);
        }
        return _admin(seed % 2 == 1 ? PHARMACY : HOSPITAL);
    }

    /// Seed % 4 == 0: any custodian (seed / 4 % 5, in the order maker, wholesaler,
    /// logistics, pharmacy, hospital); else a custodian holding stock.
    function _sender(uint256 seed) private view returns (uint64) {
        if (seed % 4 == 0) return _custodian(seed / 4);
        uint256 count = 0;
        for (uint256 i = 0; i < _custodians.length; ++i) if (model[_custodians[i]].held > 0) ++count;
        if (count == 0) return _custodian(seed / 4);
        uint256 pick = (seed / 4) % count;
        for (uint256 i = 0; i < _custodians.length; ++i) {
            if (model[_custodians[i]].held == 0) continue;
            if (pick == 0) return _custodians[i];
            --pick;
        }
        return _custodian(seed / 4);
    }

    function _custodian(uint256 seed) private view returns (uint64) {
        return _custodians[seed % _custodians.length];
    }

    // ==== PRIVATE: PICKS ====

    uint256 private constant _INACTIVE =
        (1 << uint8(ISupplyLedger.UnitStatus.Dispensed)) |
            (1 << uint8(ISupplyLedger.UnitStatus.Destroyed)) |
            (1 << uint8(ISupplyLedger.UnitStatus.Stolen)) |
            (1 << uint8(ISupplyLedger.UnitStatus.Locked));

    function _bit(ISupplyLedger.UnitStatus status) private pure returns (uint256) {
        return 1 << uint8(status);
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

    /// Seed % 4 == 0: unit seed / 4 % 16, whatever its status; else mostly a unit whose
    /// modelled status is in `statuses` (a bitmask), if any.
    function _pickUnit(uint256 seed, uint256 statuses) private view returns (uint256) {
        uint256 any = (seed / 4) % UnitTree16.SIZE;
        if (seed % 4 == 0) return any;
        uint256 count = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) if ((statuses >> uint8(modelStatus[i])) & 1 == 1) ++count;
        if (count == 0) return any;
        uint256 pick = (seed / 4) % count;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            if ((statuses >> uint8(modelStatus[i])) & 1 == 0) continue;
            if (pick == 0) return i;
            --pick;
        }
        return any;
    }
}

/**
 * @title BatchRegistryCustodyInvariantTest
 * @notice Under any sequence of the {CustodyHandler}'s custody and unit operations:
 * (a) Σ held + Σ in transit + dispensed + destroyed + lost + quarantined + suspended ==
 * quantity, Σ custody.dispensed == batch.dispensed and every party's in transit is the sum
 * of its open shipments; (b) no unit is dispensed twice without an undo or restoration in
 * between; (c) every unit action took one unit of the actor's own available stock, no
 * party's locked exceeds its held, and each party's locked and dispensed are its units in
 * those statuses; (d) while the batch is halted nothing moves but cancelled and rejected
 * shipments back to their senders; and the registry agrees with the handler's model.
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

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), handler.actions());
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 60
     */
    function invariant_quantityIsConserved() public view {
        Ledger.Snapshot memory s = Ledger.read(batches, batchId, PARTY_COUNT + 1);
        Ledger.Totals memory t = Ledger.totals(s);
        _assertEq(
            t.held + t.inTransit + s.dispensed + s.destroyed + s.lost + s.quarantined + s.suspended,
            QUANTITY,
            "held + in transit + dispensed + destroyed + lost + quarantined + suspended"
        );
        _assertEq(batches.getBatch(batchId).quantity, QUANTITY, "quantity");
        _assertEq(t.dispensed, s.dispensed, "sum of custody.dispensed vs batch.dispensed");
        _assertEq(t.suspended, s.suspended, "sum of custody.suspended vs open cases");
        uint256[] memory open = new uint256[](PARTY_COUNT + 2);
        uint256 inTransit = 0;
        for (uint256 i = 0; i < handler.shipmentCount(); ++i) {
            (bytes32 id, uint64 from, uint48 quantity, bool isOpen) = handler.shipmentAt(i);
            ISupplyLedger.Shipment memory sh = batches.getShipment(id);
            _assertEq(sh.status == ISupplyLedger.ShipmentStatus.InTransit, isOpen, "shipment open");
            _assertEq(sh.quantity, quantity, "shipment quantity");
            _assertEq(sh.from, from, "shipment sender");
            if (sh.status != ISupplyLedger.ShipmentStatus.InTransit) continue;
            open[from] += sh.quantity;
            inTransit += sh.quantity;
        }
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            _assertEq(s.custody[p].inTransit, open[p], "custody.inTransit vs the party's open shipments");
        }
        _assertEq(t.inTransit, inTransit, "sum of custody.inTransit vs open shipments");
        _assertEq(inTransit, handler.openTotal(), "open shipments vs handler");
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 60
     */
    function invariant_unitDispensedAtMostOnce() public view {
        _assertEq(handler.doubleDispenses(), 0, "dispenses of a unit already dispensed");
        uint256 dispensed = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            uint256 live = handler.liveDispenses(i);
            _assertTrue(live <= 1, "live dispenses per unit");
            bool isDispensed = _unitStatus(i) == ISupplyLedger.UnitStatus.Dispensed;
            _assertEq(isDispensed, live == 1, "record vs dispense count");
            if (isDispensed) ++dispensed;
        }
        // Units are the only way stock is dispensed here.
        _assertEq(_dispensedTotal(), dispensed, "sum of dispensedBy vs distinct dispensed units");
        _assertEq(batches.getBatch(batchId).dispensed, dispensed, "batch.dispensed vs dispensed units");
        _assertEq(dispensed, handler.modelDispensed(), "vs handler");
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 60
     */
    function invariant_unitActionsTakeTheActorsOwnStock() public view {
        _assertEq(handler.foreignStockMoves(), 0, "unit actions that took other than one unit of the actor's own stock");
        _assertEq(handler.outflowsBeyondAvailable(), 0, "shipments beyond the sender's available stock");
        _assertEq(handler.misdirectedCredits(), 0, "restorations, undos, lifts, cancels crediting the wrong party");
        uint256[] memory locks = new uint256[](PARTY_COUNT + 2);
        uint256[] memory dispensed = new uint256[](PARTY_COUNT + 2);
        uint256 destroyed = 0;
        uint256 stolen = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (ISupplyLedger.UnitStatus status, uint64 party, ) = batches.unitRecord(batchId, i);
            if (status == ISupplyLedger.UnitStatus.Locked) ++locks[party];
            else if (status == ISupplyLedger.UnitStatus.Dispensed) ++dispensed[party];
            else if (status == ISupplyLedger.UnitStatus.Destroyed) ++destroyed;
            else if (status == ISupplyLedger.UnitStatus.Stolen) ++stolen;
        }
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            ISupplyLedger.Custody memory c = batches.custody(batchId, p);
            _assertTrue(c.locked <= c.held, "locked <= held");
            _assertEq(c.locked, locks[p], "custody.locked vs the party's locked units");
            _assertEq(c.dispensed, dispensed[p], "custody.dispensed vs the party's dispensed units");
        }
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        _assertEq(b.destroyed, destroyed, "batch.destroyed vs destroyed units");
        _assertEq(b.lost, stolen, "batch.lost vs stolen units");
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 60
     */
    function invariant_haltedBatchMovesNoStock() public view {
        _assertEq(handler.haltedLedgerChanges(), 0, "stock moved while halted other than a shipment back");
        bool halted = batches.getBatch(batchId).state & 0x80 != 0;
        _assertEq(halted, handler.modelHalted(), "halted vs model");
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 60
     */
    function invariant_registryMatchesModel() public view {
        _assertEq(handler.mispredictions(), 0, "calls whose outcome the model did not predict");
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            ISupplyLedger.Custody memory c = batches.custody(batchId, p);
            (uint256 held, uint256 inTransit, uint256 dispensed, uint256 locked) = handler.model(p);
            _assertEq(c.held, held, "held");
            _assertEq(c.inTransit, inTransit, "in transit");
            _assertEq(c.dispensed, dispensed, "dispensed");
            _assertEq(c.locked, locked, "locked");
            _assertEq(c.suspended, 0, "suspended");
            _assertEq(batches.holding(batchId, p), c.held, "holding vs custody");
            _assertEq(batches.dispensedBy(batchId, p), c.dispensed, "dispensedBy vs custody");
        }
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (ISupplyLedger.UnitStatus status, uint64 party, uint40 at) = batches.unitRecord(batchId, i);
            _assertEq(uint8(status), uint8(handler.modelStatus(i)), "unit status");
            _assertEq(party, handler.modelParty(i), "unit party");
            _assertEq(at, handler.modelAt(i), "unit time");
        }
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        _assertEq(b.dispensed, handler.modelDispensed(), "dispensed");
        _assertEq(b.destroyed, handler.modelDestroyed(), "destroyed");
        _assertEq(b.lost, handler.modelLost(), "lost");
        _assertEq(batches.suspectReportCount(batchId), handler.suspects(), "suspect reports");
    }
}
