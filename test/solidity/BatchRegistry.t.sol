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
import {MultiProof} from "./utils/MultiProof.sol";
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

    /// A basket group of the units set in `mask` (bit i: unit i; at least one), in the order
    /// of their multiproof ({MultiProof}: index descending). `salt` 0: no prescriptions; else
    /// unit i's is `keccak256(abi.encode(salt, i))`.
    function basketGroup(
        bytes32 batchId,
        uint256 mask,
        uint256 salt
    ) internal pure returns (IBulkCustody.BasketGroup memory group) {
        MultiProof.Proof memory p = MultiProof.build(_leaves(), mask & ((1 << SIZE) - 1));
        group.batchId = batchId;
        group.units = new IBulkCustody.BasketUnit[](p.indices.length);
        for (uint256 k = 0; k < p.indices.length; ++k) {
            uint256 i = p.indices[k];
            group.units[k] = IBulkCustody.BasketUnit({
                index: i,
                unitHash: unitHash(i),
                prescription: salt == 0 ? bytes32(0) : keccak256(abi.encode(salt, i))
            });
        }
        group.proof = p.proof;
        group.proofFlags = p.flags;
    }

    function leaves() internal pure returns (bytes32[] memory) {
        return _leaves();
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
                x.held != y.held ||
                x.inTransit != y.inTransit ||
                x.dispensed != y.dispensed ||
                x.suspended != y.suspended
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
    string internal constant LOT2 = "LOT-2026-002";

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

    /// A second released batch of the same product (lot LOT2, the same 16 units), held by party 2.
    function _createSecondBatch() internal returns (bytes32 id) {
        vm.prank(supplyAdmin(MAKER));
        id = batches.createBatch(_input(LOT2));
        _inspect(id);
        vm.prank(MAKER_QA);
        batches.releaseBatch(id);
    }

    /// The bulk custody functions, at the proxy.
    function _bulk() internal view returns (IBulkCustody) {
        return IBulkCustody(address(batches));
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

    // ==== baskets and pallets ====

    /// The on-chain multiproof builder's proofs verify with OpenZeppelin's verifier, for any
    /// subset of the 16 units, and are well formed (leaves + proof == flags + 1).
    function testFuzz_multiProof_verifiesAnySubset(uint16 mask) public pure {
        uint256 m = mask == 0 ? 1 : mask;
        MultiProof.Proof memory p = MultiProof.build(UnitTree16.leaves(), m);
        _assertTrue(
            MerkleProof.multiProofVerify(p.proof, p.flags, UnitTree16.root(), p.proofLeaves),
            "multiproof verifies"
        );
        _assertEq(p.proofLeaves.length + p.proof.length, p.flags.length + 1, "leaves + proof == flags + 1");
        for (uint256 k = 1; k < p.indices.length; ++k) _assertTrue(p.indices[k] < p.indices[k - 1], "descending");
    }

    /**
     * A basket of any subset of the units, some already dispensed (singly), destroyed,
     * stolen or locked, presented by a pharmacy with any stock from 0 to 16: the inactive ones
     * are suspect (each reported), the active ones dispensed while its stock lasts, then
     * refused for want of stock; exactly the dispensed ones read Dispensed by party 0 and left
     * its stock, and the basket's record commits to them.
     */
    function testFuzz_dispenseBasket_dispensesExactlyTheActiveUnits(
        uint16 mask,
        uint16 inactive,
        uint8 stockSeed
    ) public {
        uint256 m = mask == 0 ? 1 : mask;
        uint48 stock = uint48(_bound(stockSeed, 0, 16));
        if (stock > 0) _move(MAKER, PHARMACY, stock);
        _move(MAKER, HOSPITAL, 16);
        for (uint256 i = 0; i < 16; ++i) {
            if ((inactive >> i) & 1 == 0) continue;
            vm.prank(supplyAdmin(HOSPITAL));
            if (i % 4 == 0) batches.dispense(UnitTree16.unit(batchId, i));
            else batches.decommission(UnitTree16.unit(batchId, i), ISupplyLedger.UnitStatus(1 + (i % 4)));
        }
        uint256 dispensedBefore = batches.getBatch(batchId).dispensed;
        IBulkCustody.BasketGroup[] memory groups = new IBulkCustody.BasketGroup[](1);
        groups[0] = UnitTree16.basketGroup(batchId, m, 7);
        vm.prank(supplyAdmin(PHARMACY));
        (bytes32 basketId, IBulkCustody.BasketOutcome[] memory outcomes) = _bulk().dispenseBasket(groups);

        _assertTrue(basketId == keccak256(abi.encode(PHARMACY, uint32(0))), "basket id");
        _assertEq(outcomes.length, groups[0].units.length, "one outcome per unit");
        IBulkCustody.BasketItem[] memory items = new IBulkCustody.BasketItem[](16);
        uint256 n = 0;
        uint256 suspect = 0;
        for (uint256 k = 0; k < outcomes.length; ++k) {
            uint256 i = groups[0].units[k].index;
            IBulkCustody.BasketOutcome expected;
            if ((inactive >> i) & 1 == 1) {
                expected = IBulkCustody.BasketOutcome.Suspect;
                ++suspect;
            } else if (n < stock) {
                expected = IBulkCustody.BasketOutcome.Dispensed;
                items[n++] = IBulkCustody.BasketItem(batchId, i, keccak256(abi.encode(uint256(7), i)));
            } else {
                expected = IBulkCustody.BasketOutcome.NoStock;
            }
            _assertEq(uint8(outcomes[k]), uint8(expected), "outcome");
            (ISupplyLedger.UnitStatus status, uint64 party, uint40 at) = batches.unitRecord(batchId, i);
            if (expected == IBulkCustody.BasketOutcome.Dispensed) {
                _assertEq(uint8(status), uint8(ISupplyLedger.UnitStatus.Dispensed), "dispensed unit reads Dispensed");
                _assertEq(party, 0, "by party 0");
                _assertEq(at, 0, "at time 0");
            } else if (expected == IBulkCustody.BasketOutcome.NoStock) {
                _assertEq(uint8(status), uint8(ISupplyLedger.UnitStatus.Active), "refused unit stays active");
            } else {
                _assertEq(party, HOSPITAL, "suspect unit keeps its record");
            }
        }
        assembly ("memory-safe") {
            mstore(items, n)
        }
        _assertEq(batches.custody(batchId, PHARMACY).held, stock - n, "the pharmacy's stock");
        _assertEq(batches.custody(batchId, PHARMACY).dispensed, n, "the pharmacy's dispensed");
        _assertEq(batches.getBatch(batchId).dispensed, dispensedBefore + n, "batch.dispensed");
        _assertEq(batches.suspectReportCount(batchId), suspect, "suspect reports");
        (uint40 recordAt, bytes32 commitment) = _bulk().basketRecord(PHARMACY, 0);
        if (n == 0) {
            _assertEq(recordAt, 0, "no record without a dispensed unit");
        } else {
            _assertEq(recordAt, block.timestamp, "record time");
            _assertTrue(
                commitment == _bulk().basketCommitment(items) & ~bytes32(uint256(type(uint40).max)),
                "record commits to the dispensed units"
            );
        }
    }

    /// Undoing any non-empty choice of a basket's units puts exactly those back: active with
    /// their own record, in the pharmacy's stock; the record keeps the others, or goes.
    function testFuzz_undoBasket_restoresTheChosenUnits(uint16 mask, uint16 chosen) public {
        uint256 m = mask == 0 ? 1 : mask;
        _move(MAKER, PHARMACY, 16);
        IBulkCustody.BasketGroup[] memory groups = new IBulkCustody.BasketGroup[](1);
        groups[0] = UnitTree16.basketGroup(batchId, m, 0);
        vm.prank(supplyAdmin(PHARMACY));
        _bulk().dispenseBasket(groups);
        uint256 count = groups[0].units.length;
        IBulkCustody.BasketItem[] memory items = new IBulkCustody.BasketItem[](count);
        for (uint256 k = 0; k < count; ++k) items[k] = IBulkCustody.BasketItem(batchId, groups[0].units[k].index, 0);
        uint256 pick = chosen & ((1 << count) - 1);
        if (pick == 0) pick = 1 << (chosen % count);
        uint256[] memory positions = new uint256[](count);
        IBulkCustody.BasketItem[] memory kept = new IBulkCustody.BasketItem[](count);
        (uint256 p, uint256 q) = (0, 0);
        for (uint256 k = 0; k < count; ++k) {
            if ((pick >> k) & 1 == 1) positions[p++] = k;
            else kept[q++] = items[k];
        }
        assembly ("memory-safe") {
            mstore(positions, p)
            mstore(kept, q)
        }
        vm.warp(block.timestamp + 10 days);
        vm.prank(supplyAdmin(PHARMACY));
        _bulk().undoBasket(0, items, positions);

        _assertEq(batches.custody(batchId, PHARMACY).held, 16 - q, "the pharmacy's stock");
        _assertEq(batches.getBatch(batchId).dispensed, q, "batch.dispensed");
        for (uint256 k = 0; k < count; ++k) {
            (ISupplyLedger.UnitStatus status, uint64 party, ) = batches.unitRecord(batchId, items[k].index);
            bool undone = (pick >> k) & 1 == 1;
            _assertEq(
                uint8(status),
                uint8(undone ? ISupplyLedger.UnitStatus.Active : ISupplyLedger.UnitStatus.Dispensed),
                "status"
            );
            _assertEq(party, 0, "party");
        }
        (uint40 at, bytes32 commitment) = _bulk().basketRecord(PHARMACY, 0);
        if (q == 0) {
            _assertEq(at, 0, "record deleted");
        } else {
            _assertEq(at, block.timestamp - 10 days, "record keeps its time");
            _assertTrue(
                commitment == _bulk().basketCommitment(kept) & ~bytes32(uint256(type(uint40).max)),
                "commitment of the rest"
            );
        }
    }

    /// A pallet of three lines of two batches moves each line into the sender's in transit,
    /// and closes whole: received to the receiver, cancelled or rejected back to the sender.
    function testFuzz_shipPallet_movesEachLineAndClosesWhole(uint8 a, uint8 b, uint8 c, uint8 closing) public {
        bytes32 second = _createSecondBatch();
        uint48 qa = uint48(_bound(a, 1, 32));
        uint48 qb = uint48(_bound(b, 1, 64));
        uint48 qc = uint48(_bound(c, 1, 32));
        IBulkCustody.PalletLine[] memory lines = new IBulkCustody.PalletLine[](3);
        lines[0] = IBulkCustody.PalletLine(batchId, qa);
        lines[1] = IBulkCustody.PalletLine(second, qb);
        lines[2] = IBulkCustody.PalletLine(batchId, qc);
        vm.prank(supplyAdmin(MAKER));
        bytes32 id = _bulk().shipPallet(WHOLESALER, lines);
        _assertTrue(id == keccak256(abi.encode("pallet", MAKER, uint32(0))), "pallet id");
        _assertEq(batches.custody(batchId, MAKER).inTransit, qa + qc, "first batch in transit");
        _assertEq(batches.custody(second, MAKER).inTransit, qb, "second batch in transit");
        _assertEq(batches.holding(batchId, MAKER), QUANTITY - qa - qc, "first batch held");
        _assertEq(batches.holding(second, MAKER), QUANTITY - qb, "second batch held");
        IBulkCustody.Pallet memory pallet = _bulk().getPallet(id);
        _assertEq(pallet.lineCount, 3, "line count");
        _assertTrue(pallet.linesHash == keccak256(abi.encode(lines)), "lines hash");

        closing %= 3;
        uint64 credited = closing == 0 ? WHOLESALER : MAKER;
        vm.prank(supplyAdmin(closing == 1 ? MAKER : WHOLESALER));
        if (closing == 0) _bulk().receivePallet(id, lines);
        else if (closing == 1) _bulk().cancelPallet(id, lines);
        else _bulk().rejectPallet(id, lines);
        _assertEq(uint8(_bulk().getPallet(id).status), uint8(ISupplyLedger.ShipmentStatus(2 + closing)), "status");
        _assertEq(
            batches.custody(batchId, MAKER).inTransit + batches.custody(second, MAKER).inTransit,
            0,
            "in transit"
        );
        _assertEq(batches.holding(batchId, credited), (credited == MAKER ? QUANTITY : qa + qc), "first batch credited");
        _assertEq(batches.holding(second, credited), (credited == MAKER ? QUANTITY : qb), "second batch credited");
    }

    /// A pallet's closing calls must restate its lines exactly.
    function test_receivePallet_revertsOnRestatedLines() public {
        IBulkCustody.PalletLine[] memory lines = new IBulkCustody.PalletLine[](1);
        lines[0] = IBulkCustody.PalletLine(batchId, 5);
        vm.prank(supplyAdmin(MAKER));
        bytes32 id = _bulk().shipPallet(WHOLESALER, lines);
        lines[0].quantity = 6;
        vm.prank(supplyAdmin(WHOLESALER));
        vm.expectRevert(abi.encodeWithSelector(IBulkCustody.BatchRegistryPalletMismatch.selector, id));
        _bulk().receivePallet(id, lines);
    }

    // ==== the custody handler ====

    /// A scripted campaign through the {CustodyHandler}: every action succeeds, decommission
    /// in each status and its refusals, restoration from each status, a shipment cancelled
    /// while the batch is stopped and a lock lifted then, and callers not allowed are refused
    /// — so that the invariant campaigns below are not vacuous.
    function test_custodyHandler_everyActionSucceeds() public {
        CustodyHandler h = new CustodyHandler(batches, batchId, _createSecondBatch());
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

        bytes4[] memory actions = h.custodyActions();
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

    /// A scripted campaign of the {CustodyHandler}'s bulk actions: every one succeeds, a
    /// basket's units get every outcome, an undo is refused once its window closes and the
    /// next basket expires the record, pallets of both batches are received, cancelled and
    /// rejected, a pallet is cancelled while the batch is stopped and not received then.
    function test_custodyHandler_everyBulkActionSucceeds() public {
        CustodyHandler h = new CustodyHandler(batches, batchId, _createSecondBatch());
        // Dispenser seed 1: the pharmacy (8 in stock). Unit masks: bit i is unit i; mask seeds
        // at bits 0 (the batch), 32 (an unknown batch), 64 (a second group), 96 (a forged
        // proof); shape 11: all three extra groups.
        uint256 pharmacy = 1;
        h.dispenseBasket(pharmacy, 0xF, 0); // units 3, 2, 1, 0 dispensed: basket 0
        h.dispenseBasket(pharmacy, 0xFFFF | (1 << 32) | (3 << 64) | (1 << 96), 11); // basket 1
        h.undoBasket(1, 4 + 16 * 5, 1); // basket 0 undoes its items 0 and 2: units 3 and 1
        h.waitForBasketDeadline(1, 2); // one second past basket 0's window
        h.undoBasket(1, 4 + 16 * 1, 1); // refused: the window closed
        h.dispenseBasket(pharmacy, 0xA, 0); // units 3, 1 again: basket 0's record expires
        // Actor seed 1: the maker; receivers 1 wholesaler, 3 pharmacy. Lines: one unit of the
        // second batch, one of the first. Pallet seed 1: the open one; caller seed 2: the party
        // allowed to, 1: the same with a line restated wrong.
        uint256 lines = 1 + 32 + (6 << 8) + (7 << 24);
        h.shipPallet(1, 1, lines);
        h.receivePallet(1, 2);
        h.shipPallet(1, 3, lines);
        h.cancelPallet(1, 1); // refused: a line restated wrong
        h.cancelPallet(1, 2);
        h.shipPallet(1, 3, lines);
        h.rejectPallet(1, 2);
        h.shipPallet(1, 3, lines);
        h.stopOrResume(1, true); // the regulator stops the first batch
        h.dispenseBasket(pharmacy, 0xF0, 0); // units 7..4 refused: halted
        h.receivePallet(1, 2); // refused: a line's batch halts
        h.cancelPallet(1, 2); // back to the maker while stopped
        h.stopOrResume(1, false);

        bytes4[] memory actions = h.bulkActions();
        for (uint256 i = 0; i < actions.length; ++i) _assertTrue(h.successes(actions[i]) > 0, "bulk action succeeded");
        for (uint8 o = 0; o <= uint8(IBulkCustody.BasketOutcome.NoStock); ++o) {
            if (o == uint8(IBulkCustody.BasketOutcome.NotReleased) || o == uint8(IBulkCustody.BasketOutcome.Expired)) {
                continue;
            }
            _assertTrue(h.basketOutcomes(IBulkCustody.BasketOutcome(o)) > 0, "basket outcome reached");
        }
        _assertEq(h.basketOutcomes(IBulkCustody.BasketOutcome.Dispensed), 10, "basket units dispensed");
        _assertEq(h.basketOutcomes(IBulkCustody.BasketOutcome.NoStock), 8, "basket units beyond stock");
        _assertEq(h.basketOutcomes(IBulkCustody.BasketOutcome.Suspect), 6, "basket units suspect");
        _assertEq(h.basketOutcomes(IBulkCustody.BasketOutcome.Halted), 4, "basket units refused while halted");
        _assertEq(h.basketUnitsUndone(), 2, "basket units undone");
        // Baskets 2 and 3 each expire one record: baskets 0 and 1, whose windows closed together.
        _assertEq(h.basketsExpired(), 2, "basket records expired");
        _assertEq(h.refusals(h.undoBasket.selector), 1, "undo after the window refused");
        _assertEq(h.refusals(h.cancelPallet.selector), 1, "mismatched lines refused");
        _assertEq(h.refusals(h.receivePallet.selector), 1, "receive while halted refused");
        _assertEq(h.palletsClosed(ISupplyLedger.ShipmentStatus.Received), 1, "pallets received");
        _assertEq(h.palletsClosed(ISupplyLedger.ShipmentStatus.Cancelled), 2, "pallets cancelled");
        _assertEq(h.palletsClosed(ISupplyLedger.ShipmentStatus.Rejected), 1, "pallets rejected");
        _assertEq(h.mixedPallets(), 4, "pallets of both batches");
        _assertTrue(h.haltedSuccesses(h.cancelPallet.selector) > 0, "cancelled while halted");
        _assertEq(h.mispredictions(), 0, "mispredictions");
        _assertEq(h.foreignStockMoves(), 0, "foreign stock moves");
        _assertEq(h.outflowsBeyondAvailable(), 0, "outflows beyond available");
        _assertEq(h.misdirectedCredits(), 0, "misdirected credits");
        _assertEq(h.haltedLedgerChanges(), 0, "halted ledger changes");
        _assertEq(batches.getBatch(batchId).dispensed, 8, "dispensed: 10 in baskets, 2 undone");
        _assertEq(batches.custody(batchId, PHARMACY).held, 0, "the pharmacy's stock");
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
 * sender itself). It also presents baskets (random subsets of the units in one or more
 * groups, with groups of an unknown batch, forged proofs and empty groups), undoes them
 * (with mismatched items and bad positions too), and ships pallets of one to four lines of
 * two batches, then receives, cancels and rejects them (with restated lines that differ).
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
    bytes32 private constant _UNKNOWN_BATCH = keccak256("no such batch");
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
    /// A second batch of the same product, held by the maker at first: pallets carry it.
    bytes32 public immutable batch2Id;
    IBulkCustody private immutable _bulkCustody;

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

    // ---- baskets ----
    /// A basket the handler presented: `items` are its dispensed units not undone, in order
    /// (what its commitment holds); `recorded`: the model holds its record open to undo.
    struct Basket {
        uint64 party;
        uint32 seq;
        uint40 at;
        bool recorded;
        IBulkCustody.BasketItem[] items;
    }

    Basket[] private _baskets;
    /// The position in `_baskets`, plus one, of a party's basket `seq`.
    mapping(uint64 partyId => mapping(uint32 seq => uint256)) private _basketOf;
    mapping(uint64 partyId => uint32) public modelBasketSeq;
    mapping(uint64 partyId => uint32) public modelOldestOpen;
    /// Units dispensed in a basket (their record reads Dispensed by party 0), and by whom.
    mapping(uint256 index => bool) public inBasket;
    mapping(uint256 index => uint64) public basketBy;
    /// A basket unit's own record, which reads again once its basket undoes it.
    mapping(uint256 index => uint64) private _savedParty;
    mapping(uint256 index => uint256) private _savedAt;
    /// Outcomes of basket units, per kind; basket records expired; basket units undone.
    mapping(IBulkCustody.BasketOutcome outcome => uint256) public basketOutcomes;
    uint256 public basketsExpired;
    uint256 public basketUnitsUndone;

    // ---- pallets ----
    struct PalletModel {
        bytes32 id;
        uint64 from;
        uint64 to;
        uint32 seq;
        uint40 shippedAt;
        ISupplyLedger.ShipmentStatus status;
        IBulkCustody.PalletLine[] lines;
    }

    PalletModel[] private _pallets;
    uint256 private _openPallets;
    mapping(uint64 partyId => uint32) public modelPalletSeq;
    /// The second batch's custody (held and in transit only: nothing else touches it).
    mapping(uint64 partyId => Stock) public model2;
    uint256 public openTotal2;
    /// Pallets closed per status; pallets whose lines carried both batches.
    mapping(ISupplyLedger.ShipmentStatus status => uint256) public palletsClosed;
    uint256 public mixedPallets;

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

    constructor(IBatchRegistry batches_, bytes32 batchId_, bytes32 batch2Id_) {
        batches = batches_;
        batchId = batchId_;
        batch2Id = batch2Id_;
        _bulkCustody = IBulkCustody(address(batches_));
        model[MAKER].held = batches_.holding(batchId_, MAKER);
        model2[MAKER].held = batches_.holding(batch2Id_, MAKER);
        // A start where every action can succeed: stock at the wholesaler and both dispensers.
        _seed(MAKER, WHOLESALER, 32);
        _seed(WHOLESALER, PHARMACY, 8);
        _seed(WHOLESALER, HOSPITAL, 8);
    }

    /// The actions a campaign calls: {custodyActions} then {bulkActions}.
    function actions() external pure returns (bytes4[] memory selectors) {
        bytes4[] memory custody = custodyActions();
        bytes4[] memory bulk = bulkActions();
        selectors = new bytes4[](custody.length + bulk.length);
        for (uint256 i = 0; i < custody.length; ++i) selectors[i] = custody[i];
        for (uint256 i = 0; i < bulk.length; ++i) selectors[custody.length + i] = bulk[i];
    }

    /// Single shipments and units, the batch's state, time.
    function custodyActions() public pure returns (bytes4[] memory selectors) {
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

    /// Baskets and pallets.
    function bulkActions() public pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](7);
        selectors[0] = this.dispenseBasket.selector;
        selectors[1] = this.undoBasket.selector;
        selectors[2] = this.waitForBasketDeadline.selector;
        selectors[3] = this.shipPallet.selector;
        selectors[4] = this.receivePallet.selector;
        selectors[5] = this.cancelPallet.selector;
        selectors[6] = this.rejectPallet.selector;
    }

    // ==== ACTIONS ====

    /// Caller seed: see {_actor}. Quantity seed % 4 == 0: all the sender's available stock;
    /// else (seed / 4) up to one past its held stock, locked units included (which cannot leave).
    function ship(uint256 callerSeed, uint256 toSeed, uint256 quantitySeed) external {
        Caller memory c = _actor(callerSeed);
        uint64 from = c.party;
        uint256 pick = toSeed % 8;
        uint64 to = pick < 5 ? _custodians[pick] : (pick == 5 ? LABORATORY : (pick == 6 ? _UNKNOWN : from));
        uint256 quantity = quantitySeed % 4 == 0 ? _available(from) : _bound(quantitySeed / 4, 0, model[from].held + 1);
        bool expected =
            _trades(c) && !modelHalted && to != from && isCustodian(to) && quantity > 0 && quantity <= _available(from);
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
        _dispense(
            this.dispense.selector,
            _dispenser(callerSeed),
            _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Active))
        );
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
                !inBasket[index] &&
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
                (
                    stop
                        ? !modelHalted && (c.party == REGULATOR || c.party == MAKER)
                        : modelHalted && c.party == REGULATOR
                );
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

    // ==== ACTIONS: BASKETS ====

    /**
     * Presents a basket (caller seed: see {_dispenser}): a random subset of the 16 units,
     * whatever their status, often more than the dispenser's stock. Shape seed % 32: bit 0
     * adds a second group of the batch (its own subset: units the first group dispensed are
     * suspect in it); bits 1-2 == 1 add a group of an unknown batch; bits 3-4 == 1 a group of
     * the batch whose proof does not hold; 31 an empty group (the whole basket is refused).
     */
    function dispenseBasket(uint256 callerSeed, uint256 unitsSeed, uint256 shapeSeed) external {
        Caller memory c = _dispenser(callerSeed);
        uint256 shape = shapeSeed % 32;
        IBulkCustody.BasketGroup[] memory groups = _basketGroups(unitsSeed, shape);
        bool expected = _trades(c) && isDispenser(c.party) && shape != 31;
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try _bulkCustody.dispenseBasket(groups) returns (
            bytes32 basketId,
            IBulkCustody.BasketOutcome[] memory outcomes
        ) {
            _record(this.dispenseBasket.selector, true, expected, before.halted);
            _applyBasket(c.party, groups, basketId, outcomes, before);
        } catch {
            _record(this.dispenseBasket.selector, false, expected, before.halted);
        }
    }

    /**
     * Undoes units of a basket the handler presented (mostly one whose record is open),
     * restating its items as the model holds them: mostly as its party, one call in four as
     * any dispenser or a caller not allowed ({_dispenser}). Positions seed % 16: 0 restates
     * the items with a prescription changed (a mismatch), 1 asks for a position past the end,
     * 2 for none, 3 for one position twice; else the positions whose bits are set in seed / 16.
     */
    function undoBasket(uint256 basketSeed, uint256 positionsSeed, uint256 callerSeed) external {
        (bool found, uint256 bi) = _pickBasket(basketSeed);
        if (!found) return;
        uint64 owner = _baskets[bi].party;
        uint32 seq = _baskets[bi].seq;
        Caller memory c = callerSeed % 4 != 0 ? _admin(owner) : _dispenser(callerSeed / 4);
        IBulkCustody.BasketItem[] memory items = _baskets[bi].items;
        uint256 n = items.length;
        uint256 mode = positionsSeed % 16;
        bool tampered = mode == 0 && n > 0;
        if (tampered) items[0].prescription = ~items[0].prescription;
        uint256[] memory positions = _positions(n, mode, positionsSeed / 16);
        bool expected =
            _trades(c) &&
                isDispenser(c.party) &&
                !tampered &&
                _undoable(c.party, seq, items) &&
                _validPositions(positions, n) &&
                !modelHalted;
        Ledger.Snapshot memory before = _read();
        vm.prank(c.account);
        try _bulkCustody.undoBasket(seq, items, positions) {
            _record(this.undoBasket.selector, true, expected, before.halted);
            uint256 k = _basketOf[c.party][seq];
            if (k == 0 || !expected) return;
            _applyUndo(_baskets[k - 1], items, positions);
            Ledger.Delta memory e = Ledger.stockOf(c.party);
            e.held = int256(positions.length);
            e.dispensed = -int256(positions.length);
            e.batchDispensed = -int256(positions.length);
            _checkCredit(before, e);
        } catch {
            _record(this.undoBasket.selector, false, expected, before.halted);
        }
    }

    /// Moves time to one second before, at, or one second after a recorded basket's undo deadline.
    function waitForBasketDeadline(uint256 basketSeed, uint256 offsetSeed) external {
        (bool found, uint256 bi) = _pickBasket(basketSeed);
        if (!found || !_baskets[bi].recorded) return;
        uint256 target = uint256(_baskets[bi].at) + _WINDOW + (offsetSeed % 3) - 1;
        if (target > block.timestamp) vm.warp(target);
        ++successes[this.waitForBasketDeadline.selector];
    }

    // ==== ACTIONS: PALLETS ====

    /**
     * Ships a pallet (caller seed: see {_actor}) to a receiver (to seed % 16: below 13 a
     * custodian, 13 the laboratory, 14 an unknown party, 15 the sender itself). Lines seed %
     * 32 == 0: no line; else 1 + seed / 32 % 4 lines, line i from 16 bits of the seed at bit
     * 8 + 16 i: % 3 == 0 the second batch (if the sender holds some), else the first; its
     * quantity by (bits / 3) % 16: 0 all the sender's available stock of it plus one, 1 zero,
     * else 1 + (bits >> 8) % (available / lines), a share, so that the lines fit together.
     */
    function shipPallet(uint256 callerSeed, uint256 toSeed, uint256 linesSeed) external {
        Caller memory c = _actor(callerSeed);
        uint64 from = c.party;
        uint256 pick = toSeed % 16;
        uint64 to = pick < 13 ? _custodians[pick % 5] : (pick == 13 ? LABORATORY : (pick == 14 ? _UNKNOWN : from));
        (IBulkCustody.PalletLine[] memory lines, uint256 need1, uint256 need2, bool zero) = _palletLines(
            from,
            linesSeed
        );
        bool expected =
            _trades(c) &&
                isCustodian(from) &&
                lines.length > 0 &&
                to != from &&
                isCustodian(to) &&
                !zero &&
                need1 <= _available(from) &&
                need2 <= model2[from].held &&
                (need1 == 0 || !modelHalted);
        Ledger.Snapshot memory before = _read();
        Ledger.Snapshot memory before2 = _read2();
        vm.prank(c.account);
        try _bulkCustody.shipPallet(to, lines) returns (bytes32 id) {
            _record(this.shipPallet.selector, true, expected, before.halted);
            if (!expected) return;
            Ledger.Delta memory d = _diff(before);
            if (!Ledger.eq(d, _outflow(from, need1)) || Ledger.available(before, from) < need1) {
                ++outflowsBeyondAvailable;
            }
            if (!Ledger.eq(Ledger.diff(before2, _read2()), _outflow(from, need2))) ++outflowsBeyondAvailable;
            _checkHalted(before, d, Ledger.Move.None, 0, 0);
            _recordPallet(id, from, to, lines, need1, need2);
        } catch {
            _record(this.shipPallet.selector, false, expected, before.halted);
        }
    }

    function receivePallet(uint256 palletSeed, uint256 callerSeed) external {
        _closePallet(this.receivePallet.selector, palletSeed, callerSeed);
    }

    function cancelPallet(uint256 palletSeed, uint256 callerSeed) external {
        _closePallet(this.cancelPallet.selector, palletSeed, callerSeed);
    }

    function rejectPallet(uint256 palletSeed, uint256 callerSeed) external {
        _closePallet(this.rejectPallet.selector, palletSeed, callerSeed);
    }

    // ==== VIEWS ====

    function shipmentCount() external view returns (uint256) {
        return _shipments.length;
    }

    function shipmentAt(uint256 i) external view returns (bytes32 id, uint64 from, uint48 quantity, bool open) {
        Open storage s = _shipments[i];
        return (s.id, s.from, s.quantity, s.open);
    }

    function basketCount() external view returns (uint256) {
        return _baskets.length;
    }

    function basketAt(
        uint256 i
    )
        external
        view
        returns (uint64 party, uint32 seq, uint40 at, bool recorded, IBulkCustody.BasketItem[] memory items)
    {
        Basket storage b = _baskets[i];
        return (b.party, b.seq, b.at, b.recorded, b.items);
    }

    function palletCount() external view returns (uint256) {
        return _pallets.length;
    }

    function palletAt(uint256 i) external view returns (IBulkCustody.Pallet memory p, bytes32 id) {
        PalletModel storage m = _pallets[i];
        p = IBulkCustody.Pallet({
            from: uint48(m.from),
            to: uint48(m.to),
            seq: m.seq,
            lineCount: uint16(m.lines.length),
            shippedAt: m.shippedAt,
            status: m.status,
            linesHash: keccak256(abi.encode(m.lines))
        });
        id = m.id;
    }

    function palletLines(uint256 i) external view returns (IBulkCustody.PalletLine[] memory) {
        return _pallets[i].lines;
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
                : (
                    action == this.cancelShipment.selector
                        ? batches.cancelShipment.selector
                        : batches.rejectShipment.selector
                );
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
    function _restoration(
        uint64 credited,
        ISupplyLedger.UnitStatus status
    ) private pure returns (Ledger.Delta memory e) {
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

    // ==== PRIVATE: BASKETS ====

    function _basketGroups(
        uint256 unitsSeed,
        uint256 shape
    ) private view returns (IBulkCustody.BasketGroup[] memory groups) {
        bool second = shape & 1 == 1;
        bool unknown = (shape >> 1) & 3 == 1;
        bool forged = (shape >> 3) & 3 == 1;
        bool empty = shape == 31;
        uint256 count = 1;
        if (second) ++count;
        if (unknown) ++count;
        if (forged) ++count;
        if (empty) ++count;
        groups = new IBulkCustody.BasketGroup[](count);
        uint256 salt = unitsSeed % 4 == 0 ? 0 : unitsSeed;
        uint256 g = 0;
        groups[g++] = UnitTree16.basketGroup(batchId, _mask(unitsSeed), salt);
        if (unknown) groups[g++] = UnitTree16.basketGroup(_UNKNOWN_BATCH, _mask(unitsSeed >> 32), salt);
        if (second) groups[g++] = UnitTree16.basketGroup(batchId, _mask(unitsSeed >> 64), salt + 1);
        if (forged) {
            IBulkCustody.BasketGroup memory group = UnitTree16.basketGroup(batchId, _mask(unitsSeed >> 96), salt);
            group.units[0].unitHash = keccak256("forged");
            groups[g++] = group;
        }
        if (empty) {
            groups[g++] = IBulkCustody.BasketGroup({
                batchId: batchId,
                units: new IBulkCustody.BasketUnit[](0),
                proof: new bytes32[](0),
                proofFlags: new bool[](0)
            });
        }
    }

    /// 16 bits of `seed`, or one unit if none is set.
    function _mask(uint256 seed) private pure returns (uint256 m) {
        m = seed & 0xffff;
        if (m == 0) m = 1 << ((seed >> 16) % 16);
    }

    /**
     * A basket that was presented: the model predicts each unit's outcome group by group
     * (refused whole for an unknown batch or a proof that does not hold; else suspect if not
     * active, refused if the batch halts, refused for want of stock past the party's
     * available stock at the group's start, else dispensed), counts the mispredicted ones,
     * expires the party's oldest record as the registry must, and checks that the ledger
     * moved exactly the dispensed units out of the party's own available stock.
     */
    function _applyBasket(
        uint64 party,
        IBulkCustody.BasketGroup[] memory groups,
        bytes32 basketId,
        IBulkCustody.BasketOutcome[] memory outcomes,
        Ledger.Snapshot memory before
    ) private {
        uint32 seq = modelBasketSeq[party];
        if (basketId != keccak256(abi.encode(party, seq))) _mispredict(this.dispenseBasket.selector);
        _expireOldest(party, seq);
        modelBasketSeq[party] = seq + 1;
        Basket storage basket = _baskets.push();
        basket.party = party;
        basket.seq = seq;
        basket.at = uint40(block.timestamp);
        _basketOf[party][seq] = _baskets.length;
        uint256 at = 0;
        uint256 total = 0;
        for (uint256 g = 0; g < groups.length; ++g) {
            total += _predictGroup(party, groups[g], basket, outcomes, at);
            at += groups[g].units.length;
        }
        if (at != outcomes.length) _mispredict(this.dispenseBasket.selector);
        basket.recorded = total > 0;
        Ledger.Delta memory d = _diff(before);
        Ledger.Delta memory e;
        if (total > 0) {
            e = Ledger.stockOf(party);
            e.held = -int256(total);
            e.dispensed = int256(total);
            e.batchDispensed = int256(total);
        }
        if (!Ledger.eq(d, e) || Ledger.available(before, party) < total) ++foreignStockMoves;
        _checkHalted(before, d, Ledger.Move.None, 0, 0);
    }

    /// One group of a basket: each unit's predicted outcome against the registry's, from
    /// position `at`; returns how many it dispensed.
    function _predictGroup(
        uint64 party,
        IBulkCustody.BasketGroup memory group,
        Basket storage basket,
        IBulkCustody.BasketOutcome[] memory outcomes,
        uint256 at
    ) private returns (uint256 taken) {
        IBulkCustody.BasketOutcome refusal = _refusal(group);
        bool whole =
            refusal == IBulkCustody.BasketOutcome.UnknownBatch || refusal == IBulkCustody.BasketOutcome.InvalidProof;
        uint256 available = _available(party);
        for (uint256 u = 0; u < group.units.length; ++u) {
            IBulkCustody.BasketUnit memory unit = group.units[u];
            IBulkCustody.BasketOutcome o;
            if (whole) {
                o = refusal;
            } else if (modelStatus[unit.index] != ISupplyLedger.UnitStatus.Active) {
                o = IBulkCustody.BasketOutcome.Suspect;
                ++suspects;
            } else if (refusal != IBulkCustody.BasketOutcome.Dispensed) {
                o = refusal;
            } else if (taken == available) {
                o = IBulkCustody.BasketOutcome.NoStock;
            } else {
                o = IBulkCustody.BasketOutcome.Dispensed;
                ++taken;
                _basketUnit(party, unit.index);
                basket.items.push(IBulkCustody.BasketItem(batchId, unit.index, unit.prescription));
            }
            ++basketOutcomes[o];
            if (at + u >= outcomes.length || outcomes[at + u] != o) _mispredict(this.dispenseBasket.selector);
        }
    }

    /// Why a group's active units are refused (`Dispensed`: they are not).
    function _refusal(IBulkCustody.BasketGroup memory group) private view returns (IBulkCustody.BasketOutcome) {
        if (group.batchId != batchId) return IBulkCustody.BasketOutcome.UnknownBatch;
        for (uint256 u = 0; u < group.units.length; ++u) {
            IBulkCustody.BasketUnit memory unit = group.units[u];
            if (unit.unitHash != UnitTree16.unitHash(unit.index)) return IBulkCustody.BasketOutcome.InvalidProof;
        }
        if (modelHalted) return IBulkCustody.BasketOutcome.Halted;
        return IBulkCustody.BasketOutcome.Dispensed;
    }

    /// A new basket deletes its party's oldest record if that record's window has closed (or
    /// it has none), moving the party's oldest open basket on by one.
    function _expireOldest(uint64 party, uint32 seq) private {
        uint32 oldest = modelOldestOpen[party];
        if (oldest >= seq) return;
        Basket storage b = _baskets[_basketOf[party][oldest] - 1];
        if (b.recorded) {
            if (block.timestamp <= uint256(b.at) + _WINDOW) return;
            b.recorded = false;
            ++basketsExpired;
        }
        modelOldestOpen[party] = oldest + 1;
    }

    function _basketUnit(uint64 party, uint256 index) private {
        if (liveDispenses[index] != 0) ++doubleDispenses;
        ++liveDispenses[index];
        _savedParty[index] = modelParty[index];
        _savedAt[index] = modelAt[index];
        modelStatus[index] = ISupplyLedger.UnitStatus.Dispensed;
        modelParty[index] = 0;
        modelAt[index] = 0;
        inBasket[index] = true;
        basketBy[index] = party;
        model[party].held = _dec(model[party].held, 1);
        ++model[party].dispensed;
        ++modelDispensed;
    }

    /// The undo of `positions` of `b`'s `items`: each unit is active again with its own
    /// record, back in the party's stock; the basket keeps the others.
    function _applyUndo(Basket storage b, IBulkCustody.BasketItem[] memory items, uint256[] memory positions) private {
        uint64 party = b.party;
        delete b.items;
        uint256 next = 0;
        for (uint256 i = 0; i < items.length; ++i) {
            if (next < positions.length && positions[next] == i) {
                ++next;
                uint256 index = items[i].index;
                if (!inBasket[index] || basketBy[index] != party) _mispredict(this.undoBasket.selector);
                liveDispenses[index] = _dec(liveDispenses[index], 1);
                modelStatus[index] = ISupplyLedger.UnitStatus.Active;
                modelParty[index] = _savedParty[index];
                modelAt[index] = _savedAt[index];
                inBasket[index] = false;
                basketBy[index] = 0;
                ++model[party].held;
                model[party].dispensed = _dec(model[party].dispensed, 1);
                modelDispensed = _dec(modelDispensed, 1);
                ++basketUnitsUndone;
            } else {
                b.items.push(items[i]);
            }
        }
        b.recorded = b.items.length > 0;
    }

    /// Whether `party`'s basket `seq` has its record open, holds exactly `items` and is
    /// within its undo window.
    function _undoable(uint64 party, uint32 seq, IBulkCustody.BasketItem[] memory items) private view returns (bool) {
        uint256 k = _basketOf[party][seq];
        if (k == 0) return false;
        Basket storage b = _baskets[k - 1];
        return
            b.recorded &&
            keccak256(abi.encode(b.items)) == keccak256(abi.encode(items)) &&
            block.timestamp <= uint256(b.at) + _WINDOW;
    }

    function _positions(uint256 n, uint256 mode, uint256 bits) private pure returns (uint256[] memory positions) {
        if (mode == 1) {
            positions = new uint256[](1);
            positions[0] = n;
            return positions;
        }
        if (mode == 2 || n == 0) return new uint256[](0);
        if (mode == 3) {
            positions = new uint256[](2);
            positions[0] = positions[1] = bits % n;
            return positions;
        }
        uint256 count = 0;
        for (uint256 i = 0; i < n; ++i) if ((bits >> i) & 1 == 1) ++count;
        if (count == 0) {
            positions = new uint256[](1);
            positions[0] = (bits >> 32) % n;
            return positions;
        }
        positions = new uint256[](count);
        uint256 k = 0;
        for (uint256 i = 0; i < n; ++i) if ((bits >> i) & 1 == 1) positions[k++] = i;
    }

    function _validPositions(uint256[] memory positions, uint256 n) private pure returns (bool) {
        if (positions.length == 0) return false;
        for (uint256 i = 0; i < positions.length; ++i) {
            if (positions[i] >= n || (i > 0 && positions[i] <= positions[i - 1])) return false;
        }
        return true;
    }

    /// Mostly a basket whose record the model holds open; one pick in five any basket.
    function _pickBasket(uint256 seed) private view returns (bool found, uint256 index) {
        uint256 n = _baskets.length;
        if (n == 0) return (false, 0);
        uint256 recorded = 0;
        for (uint256 i = 0; i < n; ++i) if (_baskets[i].recorded) ++recorded;
        if (seed % 5 == 0 || recorded == 0) return (true, (seed / 5) % n);
        uint256 pick = (seed / 5) % recorded;
        for (uint256 i = 0; i < n; ++i) {
            if (!_baskets[i].recorded) continue;
            if (pick == 0) return (true, i);
            --pick;
        }
    }

    // ==== PRIVATE: PALLETS ====

    function _palletLines(
        uint64 from,
        uint256 linesSeed
    ) private view returns (IBulkCustody.PalletLine[] memory lines, uint256 need1, uint256 need2, bool zero) {
        uint256 count = linesSeed % 32 == 0 ? 0 : 1 + ((linesSeed / 32) % 4);
        lines = new IBulkCustody.PalletLine[](count);
        for (uint256 i = 0; i < count; ++i) {
            // Line i: 16 bits of the seed from bit 8 + 16 i.
            uint256 s = (linesSeed >> (8 + 16 * i)) & 0xffff;
            bool second = s % 3 == 0 && model2[from].held > 0;
            uint256 available = second ? model2[from].held : _available(from);
            uint256 kind = (s / 3) % 16;
            uint256 share = available / count;
            uint256 q = kind == 0 ? available + 1 : (kind == 1 ? 0 : 1 + ((s >> 8) % (share == 0 ? 1 : share)));
            lines[i] = IBulkCustody.PalletLine({batchId: second ? batch2Id : batchId, quantity: uint48(q)});
            if (q == 0) zero = true;
            if (second) need2 += q;
            else need1 += q;
        }
    }

    /// `quantity` of `from`'s stock into its in transit (nothing if 0).
    function _outflow(uint64 from, uint256 quantity) private pure returns (Ledger.Delta memory e) {
        if (quantity == 0) return e;
        e = Ledger.stockOf(from);
        e.held = -int256(quantity);
        e.inTransit = int256(quantity);
    }

    function _recordPallet(
        bytes32 id,
        uint64 from,
        uint64 to,
        IBulkCustody.PalletLine[] memory lines,
        uint256 need1,
        uint256 need2
    ) private {
        uint32 seq = modelPalletSeq[from];
        if (id != keccak256(abi.encode("pallet", from, seq))) _mispredict(this.shipPallet.selector);
        modelPalletSeq[from] = seq + 1;
        PalletModel storage p = _pallets.push();
        p.id = id;
        p.from = from;
        p.to = to;
        p.seq = seq;
        p.shippedAt = uint40(block.timestamp);
        p.status = ISupplyLedger.ShipmentStatus.InTransit;
        for (uint256 i = 0; i < lines.length; ++i) p.lines.push(lines[i]);
        ++_openPallets;
        if (need1 != 0 && need2 != 0) ++mixedPallets;
        model[from].held = _dec(model[from].held, need1);
        model[from].inTransit += need1;
        openTotal += need1;
        model2[from].held = _dec(model2[from].held, need2);
        model2[from].inTransit += need2;
        openTotal2 += need2;
    }

    /**
     * Tries to receive, cancel or reject a pallet (mostly an open one): usually as the party
     * allowed to, one time in four as any caller ({_actor}); one time in sixteen restating its
     * last line with one more unit (a mismatch). A receive credits the receiver and is refused
     * while a line's batch halts; a cancel or reject credits the sender, halted or not.
     */
    function _closePallet(bytes4 action, uint256 palletSeed, uint256 callerSeed) private {
        (bool found, uint256 i) = _pickPallet(palletSeed);
        if (!found) return;
        PalletModel storage p = _pallets[i];
        uint64 allowed = action == this.cancelPallet.selector ? p.from : p.to;
        Caller memory c = callerSeed % 4 == 0 ? _actor(callerSeed / 4) : _admin(allowed);
        IBulkCustody.PalletLine[] memory lines = p.lines;
        bool tampered = callerSeed % 16 == 1;
        if (tampered) ++lines[lines.length - 1].quantity;
        bool expected = _trades(c) && c.party == allowed && !tampered && _closable(p, action);
        Ledger.Snapshot memory before = _read();
        bool ok = _callClose(action, c.account, p.id, lines);
        _record(action, ok, expected, before.halted);
        if (ok && expected) _applyClose(p, action, before);
    }

    /// Whether the pallet is open and, for a receive, no line's batch halts.
    function _closable(PalletModel storage p, bytes4 action) private view returns (bool) {
        if (p.status != ISupplyLedger.ShipmentStatus.InTransit) return false;
        (uint256 q1, ) = _lineTotals(p.lines);
        return action != this.receivePallet.selector || q1 == 0 || !modelHalted;
    }

    function _callClose(
        bytes4 action,
        address account,
        bytes32 id,
        IBulkCustody.PalletLine[] memory lines
    ) private returns (bool ok) {
        vm.prank(account);
        if (action == this.receivePallet.selector) {
            try _bulkCustody.receivePallet(id, lines) {
                return true;
            } catch {}
        } else if (action == this.cancelPallet.selector) {
            try _bulkCustody.cancelPallet(id, lines) {
                return true;
            } catch {}
        } else {
            try _bulkCustody.rejectPallet(id, lines) {
                return true;
            } catch {}
        }
    }

    /// A pallet closed: checks what moved of the first batch, then closes it in the model.
    function _applyClose(PalletModel storage p, bytes4 action, Ledger.Snapshot memory before) private {
        bool receiving = action == this.receivePallet.selector;
        (uint256 q1, uint256 q2) = _lineTotals(p.lines);
        Ledger.Delta memory d = _diff(before);
        uint64 credited = receiving ? p.to : p.from;
        if (receiving) {
            _checkHalted(before, d, Ledger.Move.None, 0, 0);
        } else {
            Ledger.Delta memory e;
            if (q1 != 0) {
                e = Ledger.stockOf(p.from);
                e.inTransit = -int256(q1);
                e.held = int256(q1);
            }
            if (!Ledger.eq(d, e)) ++misdirectedCredits;
            _checkHalted(before, d, Ledger.Move.ShipmentReturned, p.from, q1);
        }
        p.status =
            receiving
                ? ISupplyLedger.ShipmentStatus.Received
                : (
                    action == this.cancelPallet.selector
                        ? ISupplyLedger.ShipmentStatus.Cancelled
                        : ISupplyLedger.ShipmentStatus.Rejected
                );
        ++palletsClosed[p.status];
        --_openPallets;
        model[p.from].inTransit = _dec(model[p.from].inTransit, q1);
        model[credited].held += q1;
        openTotal -= q1;
        model2[p.from].inTransit = _dec(model2[p.from].inTransit, q2);
        model2[credited].held += q2;
        openTotal2 -= q2;
    }

    function _lineTotals(IBulkCustody.PalletLine[] memory lines) private view returns (uint256 q1, uint256 q2) {
        for (uint256 i = 0; i < lines.length; ++i) {
            if (lines[i].batchId == batchId) q1 += lines[i].quantity;
            else q2 += lines[i].quantity;
        }
    }

    /// Mostly an open pallet; one pick in five any pallet (closed ones must be refused).
    function _pickPallet(uint256 seed) private view returns (bool found, uint256 index) {
        uint256 n = _pallets.length;
        if (n == 0) return (false, 0);
        if (seed % 5 == 0 || _openPallets == 0) return (true, (seed / 5) % n);
        uint256 pick = (seed / 5) % _openPallets;
        for (uint256 i = 0; i < n; ++i) {
            if (_pallets[i].status != ISupplyLedger.ShipmentStatus.InTransit) continue;
            if (pick == 0) return (true, i);
            --pick;
        }
    }

    function _read2() private view returns (Ledger.Snapshot memory) {
        return Ledger.read(batches, batch2Id, MAKER, HOSPITAL);
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
 * shipments back to their senders; (e) a unit's basket bit is set exactly when it reads
 * Dispensed by party 0, batch.dispensed counts single and basket dispenses, basket records
 * are exactly the open ones the handler holds, and pallets are stored as shipped, their open
 * lines in their senders' in transit, the second batch (moved by pallets) conserved; and the
 * registry agrees with the handler's model.
 */
contract BatchRegistryCustodyInvariantTest is SupplyFixture {
    CustodyHandler internal handler;

    function setUp() public {
        _deploy();
        _createReleasedBatch();
        handler = new CustodyHandler(batches, batchId, _createSecondBatch());
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
     * hardhat-config: invariant.runs = 32
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
        // Pallets' lines of the batch are in transit as shipments are.
        for (uint256 i = 0; i < handler.palletCount(); ++i) {
            (IBulkCustody.Pallet memory pallet, bytes32 id) = handler.palletAt(i);
            if (_bulk().getPallet(id).status != ISupplyLedger.ShipmentStatus.InTransit) continue;
            uint256 quantity = _linesOf(handler.palletLines(i), batchId);
            open[pallet.from] += quantity;
            inTransit += quantity;
        }
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            _assertEq(s.custody[p].inTransit, open[p], "custody.inTransit vs the party's open shipments and pallets");
        }
        _assertEq(t.inTransit, inTransit, "sum of custody.inTransit vs open shipments and pallets");
        _assertEq(inTransit, handler.openTotal(), "open shipments and pallets vs handler");
    }

    /**
     * hardhat-config: invariant.runs = 32
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
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_unitActionsTakeTheActorsOwnStock() public view {
        _assertEq(
            handler.foreignStockMoves(),
            0,
            "unit actions that took other than one unit of the actor's own stock"
        );
        _assertEq(handler.outflowsBeyondAvailable(), 0, "shipments beyond the sender's available stock");
        _assertEq(handler.misdirectedCredits(), 0, "restorations, undos, lifts, cancels crediting the wrong party");
        uint256[] memory locks = new uint256[](PARTY_COUNT + 2);
        uint256[] memory dispensed = new uint256[](PARTY_COUNT + 2);
        uint256 destroyed = 0;
        uint256 stolen = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (ISupplyLedger.UnitStatus status, uint64 party, ) = batches.unitRecord(batchId, i);
            if (status == ISupplyLedger.UnitStatus.Locked)
                ++locks[party];
                // A basket's unit reads as dispensed by party 0: it counts for the party that dispensed it.
            else if (status == ISupplyLedger.UnitStatus.Dispensed)
                ++dispensed[party == 0 ? handler.basketBy(i) : party];
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
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_haltedBatchMovesNoStock() public view {
        _assertEq(handler.haltedLedgerChanges(), 0, "stock moved while halted other than a shipment back");
        bool halted = batches.getBatch(batchId).state & 0x80 != 0;
        _assertEq(halted, handler.modelHalted(), "halted vs model");
    }

    /**
     * hardhat-config: invariant.runs = 32
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

    /**
     * Every unit's basket bit (read from the registry's storage) is set exactly when the
     * unit reads Dispensed by party 0 at time 0, exactly when the handler dispensed it in a
     * basket and has not undone it; a unit with its bit set keeps an Active record beneath.
     *
     * hardhat-config: invariant.runs = 16
     * hardhat-config: invariant.depth = 60
     */
    function invariant_basketBitsMatchDispensedReads() public view {
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            bool bit = _basketBit(batchId, i);
            (ISupplyLedger.UnitStatus status, uint64 party, uint40 at) = batches.unitRecord(batchId, i);
            bool readsBasket = status == ISupplyLedger.UnitStatus.Dispensed && party == 0;
            _assertEq(bit, readsBasket, "basket bit vs reads Dispensed by party 0");
            _assertEq(bit, handler.inBasket(i), "basket bit vs handler");
            if (bit) {
                _assertEq(at, 0, "a basket unit's time");
                _assertEq(
                    _rawStatus(batchId, i),
                    uint8(ISupplyLedger.UnitStatus.Active),
                    "record beneath a basket bit"
                );
                (ISupplyLedger.UnitVerdict verdict, uint64 by) = batches.verify(UnitTree16.unit(batchId, i));
                _assertEq(uint8(verdict), uint8(ISupplyLedger.UnitVerdict.Dispensed), "verify of a basket unit");
                _assertEq(by, 0, "verify's party of a basket unit");
            }
            // The second batch shares the unit tree but is never dispensed.
            _assertFalse(_basketBit(batch2Id(), i), "second batch's basket bit");
        }
    }

    /**
     * batch.dispensed is the number of units dispensed singly (read Dispensed by a party)
     * plus those dispensed in baskets, per party as well, and the handler's count of both.
     *
     * hardhat-config: invariant.runs = 16
     * hardhat-config: invariant.depth = 60
     */
    function invariant_batchDispensedCountsEveryDispense() public view {
        uint256 single = 0;
        uint256 basket = 0;
        uint256[] memory byParty = new uint256[](PARTY_COUNT + 2);
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (ISupplyLedger.UnitStatus status, uint64 party, ) = batches.unitRecord(batchId, i);
            if (status != ISupplyLedger.UnitStatus.Dispensed) continue;
            if (party == 0) {
                ++basket;
                uint64 by = handler.basketBy(i);
                _assertTrue(isDispenser(by), "a basket unit's dispenser");
                ++byParty[by];
            } else {
                ++single;
                ++byParty[party];
            }
        }
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        _assertEq(b.dispensed, single + basket, "batch.dispensed vs single + basket dispenses");
        _assertEq(b.dispensed, handler.modelDispensed(), "batch.dispensed vs handler");
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            _assertEq(
                batches.custody(batchId, p).dispensed,
                byParty[p],
                "custody.dispensed vs its single + basket units"
            );
        }
        _assertEq(batches.getBatch(batch2Id()).dispensed, 0, "second batch dispensed");
    }

    /**
     * Each party's basket counters are the handler's; a basket's record exists exactly when
     * the handler holds it open (dispensed units not all undone, not expired), at the basket's
     * time and with the commitment of its items; no record survives below the party's oldest
     * open basket, and every open record's undo window has not closed before a newer basket
     * of its party came.
     *
     * hardhat-config: invariant.runs = 16
     * hardhat-config: invariant.depth = 60
     */
    function invariant_basketRecordsMatchModel() public view {
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            (uint32 baskets, uint32 oldestOpen, uint32 pallets) = _bulk().bulkCounters(p);
            _assertEq(baskets, handler.modelBasketSeq(p), "baskets presented");
            _assertEq(oldestOpen, handler.modelOldestOpen(p), "oldest open basket");
            _assertEq(pallets, handler.modelPalletSeq(p), "pallets shipped");
            _assertTrue(oldestOpen <= baskets, "oldest open <= baskets");
        }
        uint256 items = 0;
        for (uint256 i = 0; i < handler.basketCount(); ++i) {
            (uint64 party, uint32 seq, uint40 at, bool recorded, IBulkCustody.BasketItem[] memory held) = handler
                .basketAt(i);
            (uint40 recordAt, bytes32 commitment) = _bulk().basketRecord(party, seq);
            _assertEq(recordAt != 0, recorded, "record exists vs handler");
            if (!recorded) {
                _assertTrue(commitment == bytes32(0), "no commitment without a record");
                continue;
            }
            (, uint32 oldestOpen, ) = _bulk().bulkCounters(party);
            _assertTrue(seq >= oldestOpen, "a record at or above the oldest open basket");
            _assertEq(recordAt, at, "record time");
            _assertTrue(held.length > 0, "a record holds units");
            bytes32 c = _bulk().basketCommitment(held);
            _assertTrue(commitment == c & ~bytes32(uint256(type(uint40).max)), "commitment vs items");
            for (uint256 k = 0; k < held.length; ++k) {
                _assertTrue(handler.inBasket(held[k].index), "a recorded item is a basket unit");
                _assertEq(handler.basketBy(held[k].index), party, "a recorded item's dispenser");
            }
            items += held.length;
        }
        _assertTrue(items <= batches.getBatch(batchId).dispensed, "recorded items <= dispensed");
    }

    /**
     * Every pallet's stored record is the handler's (sender, receiver, seq, line count, time,
     * status, lines hash) and its id is the sender's seq-th; open pallets' lines are within
     * their senders' in transit, batch by batch; the second batch, which only pallets move,
     * is conserved and matches the handler's model.
     *
     * hardhat-config: invariant.runs = 16
     * hardhat-config: invariant.depth = 60
     */
    function invariant_palletsAreConsistent() public view {
        bytes32 second = batch2Id();
        uint256[] memory open1 = new uint256[](PARTY_COUNT + 2);
        uint256[] memory open2 = new uint256[](PARTY_COUNT + 2);
        uint256 total1 = 0;
        for (uint256 i = 0; i < handler.shipmentCount(); ++i) {
            (, uint64 from, uint48 quantity, bool isOpen) = handler.shipmentAt(i);
            if (!isOpen) continue;
            open1[from] += quantity;
            total1 += quantity;
        }
        uint256 total2 = 0;
        for (uint256 i = 0; i < handler.palletCount(); ++i) {
            (IBulkCustody.Pallet memory expected, bytes32 id) = handler.palletAt(i);
            IBulkCustody.Pallet memory actual = _bulk().getPallet(id);
            _assertTrue(id == keccak256(abi.encode("pallet", uint64(expected.from), expected.seq)), "pallet id");
            _assertEq(actual.from, expected.from, "pallet sender");
            _assertEq(actual.to, expected.to, "pallet receiver");
            _assertEq(actual.seq, expected.seq, "pallet seq");
            _assertEq(actual.lineCount, expected.lineCount, "pallet line count");
            _assertEq(actual.shippedAt, expected.shippedAt, "pallet time");
            _assertEq(uint8(actual.status), uint8(expected.status), "pallet status");
            _assertTrue(actual.linesHash == expected.linesHash, "pallet lines hash");
            _assertTrue(actual.lineCount > 0, "a pallet has lines");
            if (actual.status != ISupplyLedger.ShipmentStatus.InTransit) continue;
            IBulkCustody.PalletLine[] memory lines = handler.palletLines(i);
            uint256 q1 = _linesOf(lines, batchId);
            open1[actual.from] += q1;
            total1 += q1;
            uint256 q2 = _linesOf(lines, second);
            open2[actual.from] += q2;
            total2 += q2;
        }
        Ledger.Snapshot memory s2 = Ledger.read(batches, second, PARTY_COUNT + 1);
        Ledger.Totals memory t2 = Ledger.totals(s2);
        for (uint64 p = 0; p <= PARTY_COUNT + 1; ++p) {
            _assertEq(
                batches.custody(batchId, p).inTransit,
                open1[p],
                "first batch: in transit vs open shipments and pallets"
            );
            _assertEq(s2.custody[p].inTransit, open2[p], "second batch: in transit vs open pallets");
            (uint256 held, uint256 inTransit, , ) = handler.model2(p);
            _assertEq(s2.custody[p].held, held, "second batch: held vs handler");
            _assertEq(s2.custody[p].inTransit, inTransit, "second batch: in transit vs handler");
        }
        _assertEq(
            t2.held + t2.inTransit + s2.dispensed + s2.destroyed + s2.lost + s2.quarantined + s2.suspended,
            QUANTITY,
            "second batch conserved"
        );
        _assertEq(t2.inTransit, total2, "second batch: open pallets");
        _assertEq(total2, handler.openTotal2(), "second batch: open pallets vs handler");
        _assertEq(total1, handler.openTotal(), "open shipments and pallets of the first batch vs handler");
    }

    // ==== PRIVATE ====

    bytes32 private constant _SUPPLY_SLOT = 0x86bc7cbe5ec90195b9613502253c8c9c8a16e394e7594184288f00da7de14b00;
    uint256 private constant _UNITS_SLOT = 6;
    uint256 private constant _BASKET_UNITS_SLOT = 9;

    function batch2Id() private view returns (bytes32) {
        return handler.batch2Id();
    }

    /// A unit's basket bit, read from the registry's storage (`SupplyStorage.basketUnits`).
    function _basketBit(bytes32 id, uint256 index) private view returns (bool) {
        return (uint256(_load(id, _BASKET_UNITS_SLOT, index >> 8)) >> (index & 255)) & 1 == 1;
    }

    /// A unit's own record's status, from the registry's storage (`SupplyStorage.units`).
    function _rawStatus(bytes32 id, uint256 index) private view returns (uint256) {
        return (uint256(_load(id, _UNITS_SLOT, index >> 2)) >> ((index & 3) << 6)) & 0xf;
    }

    function _load(bytes32 id, uint256 member, uint256 word) private view returns (bytes32) {
        bytes32 inner = keccak256(abi.encode(id, uint256(_SUPPLY_SLOT) + member));
        return vm.load(address(batches), keccak256(abi.encode(word, inner)));
    }

    function _linesOf(IBulkCustody.PalletLine[] memory lines, bytes32 id) private pure returns (uint256 total) {
        for (uint256 i = 0; i < lines.length; ++i) if (lines[i].batchId == id) total += lines[i].quantity;
    }
}
