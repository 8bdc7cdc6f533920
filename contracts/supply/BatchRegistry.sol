// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IBatchRegistry} from "../interfaces/IBatchRegistry.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IQualityEngine} from "../interfaces/IQualityEngine.sol";
import {MembershipMirror} from "../identity/MembershipMirror.sol";
import {Gtin} from "../libraries/Gtin.sol";
import {Membership} from "../libraries/Membership.sol";
import {Delegation} from "../libraries/Delegation.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";

/**
 * @title BatchRegistry
 * @notice Products, batches, units and custody. UUPS-upgradeable by the consortium
 * governor only; storage in an ERC-7201 namespace ({SupplyStorage}). Membership is
 * checked against the registry-fed {MembershipMirror}. Calls this contract does not
 * know go to its {QualityEngine} by delegatecall: the engine shares this storage, so
 * it reads holdings and writes states without a call between contracts, and the two
 * stay under the 24 KB code limit.
 */
contract BatchRegistry is IBatchRegistry, MembershipMirror, Initializable, ContextUpgradeable, UUPSUpgradeable {
    using SafeCast for uint256;

    // ==== CONSTANTS ====

    uint32 private constant _NATIONAL_CODE_LIMIT = 1e7;
    uint32 private constant _DEFAULT_UNDO_WINDOW = 10 days;
    uint32 private constant _MAX_UNDO_WINDOW = 30 days;

    uint256 private constant _ADMIN = 1 << uint8(IConsortiumRegistry.Role.Admin);
    uint256 private constant _OPERATOR = 1 << uint8(IConsortiumRegistry.Role.Operator);
    uint256 private constant _QA = 1 << uint8(IConsortiumRegistry.Role.QA);
    uint256 private constant _ACTORS = _ADMIN | _OPERATOR;

    uint256 private constant _MANUFACTURER = 1 << uint8(IConsortiumRegistry.Domain.Manufacturer);
    /// Domains that hold and move stock.
    uint256 private constant _CUSTODIANS =
        _MANUFACTURER |
            (1 << uint8(IConsortiumRegistry.Domain.Wholesaler)) |
            (1 << uint8(IConsortiumRegistry.Domain.Retailer)) |
            (1 << uint8(IConsortiumRegistry.Domain.Logistics)) |
            (1 << uint8(IConsortiumRegistry.Domain.Hospital)) |
            (1 << uint8(IConsortiumRegistry.Domain.Pharmacy));
    /// Domains that dispense to patients.
    uint256 private constant _DISPENSERS =
        (1 << uint8(IConsortiumRegistry.Domain.Hospital)) | (1 << uint8(IConsortiumRegistry.Domain.Pharmacy));

    // ==== STATE ====

    /// The quality engine, fixed per implementation (a new engine is an upgrade).
    address private immutable _engine;

    // ==== CONSTRUCTOR / INITIALIZER ====

    /**
     * @param registry_ The consortium registry (its governor upgrades and configures this
     * contract; it feeds the membership mirror). Every implementation of one proxy must
     * be built with the same registry.
     * @param engine_ The quality engine, built for the same registry.
     * @custom:oz-upgrades-unsafe-allow constructor
     */
    constructor(IConsortiumRegistry registry_, IQualityEngine engine_) MembershipMirror(registry_) {
        if (!Membership.isMirrorOf(address(engine_), address(registry_))) {
            revert MirrorRegistryChanged(address(engine_), address(registry_));
        }
        _engine = address(engine_);
        _disableInitializers();
    }

    /// @notice Runs any function this contract does not declare in the quality engine,
    /// on this contract's storage (the engine's functions are called at this address).
    fallback() external {
        Delegation.forward(_engine);
    }

    /// @notice Initialises the proxy.
    function initialize() external initializer {
        _storage().dispenseUndoWindow = _DEFAULT_UNDO_WINDOW;
        emit DispenseUndoWindowSet(_DEFAULT_UNDO_WINDOW);
    }

    // ==== PRODUCTS ====

    /// @inheritdoc IBatchRegistry
    function registerProduct(
        uint64 gtin,
        string calldata name,
        string calldata approvalNo,
        uint32 nationalCode
    ) external {
        (uint64 party, ) = _member(_ACTORS, _MANUFACTURER);
        SupplyStorage.Layout storage $ = _storage();
        if (!Gtin.isValid(gtin)) revert BatchRegistryInvalidGtin(gtin);
        if ($.products[gtin].holder != 0) revert BatchRegistryProductExists(gtin);
        if (bytes(name).length == 0) revert BatchRegistryEmptyField("name");
        if (bytes(approvalNo).length == 0) revert BatchRegistryEmptyField("approvalNo");
        if (nationalCode != 0) {
            if (nationalCode >= _NATIONAL_CODE_LIMIT) revert BatchRegistryInvalidNationalCode(nationalCode);
            uint64 taken = $.nationalCodes[nationalCode];
            if (taken != 0) revert BatchRegistryNationalCodeTaken(nationalCode, taken);
            $.nationalCodes[nationalCode] = gtin;
        }
        $.products[gtin] = Product({
            holder: party,
            nationalCode: nationalCode,
            registeredAt: uint48(block.timestamp),
            state: 0,
            limits: 0,
            name: name,
            approvalNo: approvalNo
        });
        emit ProductRegistered(gtin, party, nationalCode, name, approvalNo, _msgSender());
    }

    // ==== BATCHES ====

    /// @inheritdoc IBatchRegistry
    function createBatch(BatchInput calldata input) external returns (bytes32 batchId) {
        (uint64 party, ) = _member(_ACTORS, _MANUFACTURER);
        batchId = _checkBatchInput(input, party);
        Batch storage batch = _storage().batches[batchId];
        batch.gtin = input.gtin;
        batch.manufacturedAt = input.manufacturedAt;
        batch.expiresAt = input.expiresAt;
        batch.status = BatchStatus.Production;
        batch.quantity = input.quantity;
        batch.unitsRoot = input.unitsRoot;
        batch.unitCount = input.unitCount;
        batch.manufacturer = party;
        _storage().holdings[batchId][party].held = input.quantity;
        emit BatchCreated(
            batchId,
            input.gtin,
            party,
            input.lot,
            input.manufacturedAt,
            input.expiresAt,
            input.quantity,
            input.unitsRoot,
            input.unitCount,
            _msgSender()
        );
    }

    /// @inheritdoc IBatchRegistry
    function releaseBatch(bytes32 batchId) external {
        (uint64 party, ) = _member(_QA, _MANUFACTURER);
        Batch storage batch = _batch(batchId);
        if (batch.manufacturer != party) revert BatchRegistryNotManufacturer(batchId, party);
        if (batch.status != BatchStatus.Production) revert BatchRegistryAlreadyReleased(batchId);
        if (block.timestamp >= batch.expiresAt) revert BatchRegistryBatchExpired(batchId, batch.expiresAt);
        if (batch.flags & SupplyStorage.INSPECTED == 0) revert BatchRegistryNotInspected(batchId);
        batch.status = BatchStatus.Released;
        emit BatchReleased(batchId, party, _msgSender());
    }

    // ==== CUSTODY ====

    /// @inheritdoc IBatchRegistry
    function ship(bytes32 batchId, uint64 to, uint48 quantity) external returns (bytes32 shipmentId) {
        (uint64 from, ) = _member(_ACTORS, _CUSTODIANS);
        SupplyStorage.Layout storage $ = _storage();
        Batch storage batch = _batch(batchId);
        _checkSellable(batchId, batch);
        _checkTrading(batchId, batch);
        if (to == from) revert BatchRegistrySelfShipment(from);
        _requireParty(to, _CUSTODIANS);
        if (quantity == 0) revert BatchRegistryZeroQuantity();

        SupplyStorage.Holding storage stock = $.holdings[batchId][from];
        uint256 held = stock.held;
        if (held < quantity) revert BatchRegistryInsufficientStock(batchId, from, held, quantity);
        uint32 seq = stock.shipments;
        // held ≥ quantity (checked); 2^32 shipments of one batch by one party cannot happen.
        unchecked {
            stock.held = uint128(held - quantity);
            stock.shipments = seq + 1;
        }
        shipmentId = keccak256(abi.encode(batchId, from, seq));
        $.shipments[shipmentId] = Shipment({
            from: uint256(from).toUint48(),
            to: uint256(to).toUint48(),
            quantity: quantity,
            seq: seq,
            shippedAt: uint40(block.timestamp),
            status: ShipmentStatus.InTransit
        });
        emit Shipped(shipmentId, batchId, from, to, quantity, _msgSender());
    }

    /// @inheritdoc IBatchRegistry
    function receiveShipment(bytes32 batchId, bytes32 shipmentId) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Shipment storage shipment = _openShipment(batchId, shipmentId);
        if (shipment.to != party) revert BatchRegistryNotShipmentParty(shipmentId, party);
        _checkTrading(batchId, _storage().batches[batchId]);
        _closeShipment(batchId, shipmentId, shipment, ShipmentStatus.Received, party);
    }

    /// @inheritdoc IBatchRegistry
    function cancelShipment(bytes32 batchId, bytes32 shipmentId) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Shipment storage shipment = _openShipment(batchId, shipmentId);
        if (shipment.from != party) revert BatchRegistryNotShipmentParty(shipmentId, party);
        _closeShipment(batchId, shipmentId, shipment, ShipmentStatus.Cancelled, party);
    }

    /// @inheritdoc IBatchRegistry
    function rejectShipment(bytes32 batchId, bytes32 shipmentId) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Shipment storage shipment = _openShipment(batchId, shipmentId);
        if (shipment.to != party) revert BatchRegistryNotShipmentParty(shipmentId, party);
        _closeShipment(batchId, shipmentId, shipment, ShipmentStatus.Rejected, shipment.from);
    }

    // ==== UNITS ====

    /// @inheritdoc IBatchRegistry
    function dispense(UnitProof calldata unit) external returns (bool suspect) {
        (uint64 party, ) = _member(_ACTORS, _DISPENSERS);
        SupplyStorage.Layout storage $ = _storage();
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);

        (UnitStatus status, uint64 recordedParty, ) = _unit(unit.batchId, unit.index);
        if (status == UnitStatus.Locked) revert BatchRegistryUnitLocked(unit.batchId, unit.index);
        // Before the batch checks: a clone is reported whatever the batch's state.
        if (status != UnitStatus.Active) {
            // A genuine code presented again: keep the unit as it is, record the report.
            uint256 reportNo = ++$.suspectReports[unit.batchId];
            emit SuspectUnitReported(
                unit.batchId,
                unit.index,
                party,
                unit.unitHash,
                status,
                recordedParty,
                reportNo,
                _msgSender()
            );
            return true;
        }
        _checkSellable(unit.batchId, batch);
        _checkTrading(unit.batchId, batch);
        SupplyStorage.Holding storage stock = _takeOne(unit.batchId, party);
        // dispensed ≤ quantity < 2^48: one per unit taken out of stock.
        unchecked {
            ++stock.dispensed;
        }
        _setUnit(unit, party, UnitStatus.Active, UnitStatus.Dispensed);
        return false;
    }

    /// @inheritdoc IBatchRegistry
    function undoDispense(UnitProof calldata unit) external {
        (uint64 party, ) = _member(_ACTORS, _DISPENSERS);
        SupplyStorage.Layout storage $ = _storage();
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        _checkTrading(unit.batchId, batch);
        (UnitStatus status, uint64 recordedParty, uint40 at) = _unit(unit.batchId, unit.index);
        if (status != UnitStatus.Dispensed) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, status, UnitStatus.Active);
        }
        if (recordedParty != party) revert BatchRegistryNotUnitParty(unit.batchId, unit.index, recordedParty);
        uint32 window = $.dispenseUndoWindow;
        uint40 deadline = at + window;
        if (window == 0 || block.timestamp > deadline) {
            revert BatchRegistryUndoWindowClosed(unit.batchId, unit.index, deadline);
        }
        SupplyStorage.Holding storage stock = $.holdings[unit.batchId][party];
        // This party dispensed the unit, so its `dispensed` ≥ 1 and the stock it left fits again.
        unchecked {
            --stock.dispensed;
            ++stock.held;
        }
        _setUnit(unit, party, UnitStatus.Dispensed, UnitStatus.Active);
    }

    /// @inheritdoc IBatchRegistry
    function decommission(UnitProof calldata unit, UnitStatus status) external {
        (uint64 party, ) = _member(_ACTORS | _QA, _CUSTODIANS);
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        (UnitStatus current, , ) = _unit(unit.batchId, unit.index);
        if (current != UnitStatus.Active || status == UnitStatus.Active || status == UnitStatus.Dispensed) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, current, status);
        }
        if (status == UnitStatus.Locked) {
            uint256 held = _storage().holdings[unit.batchId][party].held;
            if (held == 0) revert BatchRegistryInsufficientStock(unit.batchId, party, 0, 1);
        } else {
            _takeOne(unit.batchId, party);
            // destroyed + lost ≤ quantity < 2^48: one per unit taken out of stock.
            unchecked {
                if (status == UnitStatus.Destroyed) ++batch.destroyed;
                else ++batch.lost;
            }
        }
        _setUnit(unit, party, UnitStatus.Active, status);
    }

    /// @inheritdoc IBatchRegistry
    function reactivate(UnitProof calldata unit) external {
        (uint64 party, ) = _member(_ACTORS | _QA, _CUSTODIANS);
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        (UnitStatus status, uint64 recordedParty, ) = _unit(unit.batchId, unit.index);
        if (status != UnitStatus.Locked) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, status, UnitStatus.Active);
        }
        if (recordedParty != party) revert BatchRegistryNotUnitParty(unit.batchId, unit.index, recordedParty);
        _setUnit(unit, party, UnitStatus.Locked, UnitStatus.Active);
    }

    /// @inheritdoc IBatchRegistry
    function verify(UnitProof calldata unit) external view returns (UnitVerdict verdict, uint64 party) {
        Batch storage batch = _storage().batches[unit.batchId];
        if (batch.status == BatchStatus.None || !_proofValid(batch, unit)) return (UnitVerdict.Unknown, 0);
        UnitStatus status;
        (status, party, ) = _unit(unit.batchId, unit.index);
        if (status != UnitStatus.Active) return (UnitVerdict(uint8(status) + uint8(UnitVerdict.Dispensed) - 1), party);
        if (batch.status != BatchStatus.Released) return (UnitVerdict.Unreleased, party);
        if (block.timestamp >= batch.expiresAt) return (UnitVerdict.Expired, party);
        return (UnitVerdict.Genuine, party);
    }

    // ==== GOVERNANCE ====

    /// @inheritdoc IBatchRegistry
    function setDispenseUndoWindow(uint32 window) external {
        _checkGovernor();
        if (window > _MAX_UNDO_WINDOW) revert BatchRegistryInvalidUndoWindow(window, _MAX_UNDO_WINDOW);
        _storage().dispenseUndoWindow = window;
        emit DispenseUndoWindowSet(window);
    }

    // ==== VIEWS ====

    /// @inheritdoc IBatchRegistry
    function getProduct(uint64 gtin) external view returns (Product memory product) {
        product = _storage().products[gtin];
        if (product.holder == 0) revert BatchRegistryUnknownProduct(gtin);
    }

    /// @inheritdoc IBatchRegistry
    function productOfNationalCode(uint32 nationalCode) external view returns (uint64) {
        return _storage().nationalCodes[nationalCode];
    }

    /// @inheritdoc IBatchRegistry
    function getBatch(bytes32 batchId) external view returns (Batch memory) {
        return _batch(batchId);
    }

    /// @inheritdoc IBatchRegistry
    function batchIdOf(uint64 gtin, string calldata lot) external pure returns (bytes32) {
        return _batchIdOf(gtin, lot);
    }

    /// @inheritdoc IBatchRegistry
    function holding(bytes32 batchId, uint64 partyId) external view returns (uint256) {
        return _storage().holdings[batchId][partyId].held;
    }

    /// @inheritdoc IBatchRegistry
    function dispensedBy(bytes32 batchId, uint64 partyId) external view returns (uint256) {
        return _storage().holdings[batchId][partyId].dispensed;
    }

    /// @inheritdoc IBatchRegistry
    function getShipment(bytes32 shipmentId) external view returns (Shipment memory) {
        return _storage().shipments[shipmentId];
    }

    /// @inheritdoc IBatchRegistry
    function unitRecord(bytes32 batchId, uint256 index) external view returns (UnitStatus, uint64, uint40) {
        return _unit(batchId, index);
    }

    /// @inheritdoc IBatchRegistry
    function suspectReportCount(bytes32 batchId) external view returns (uint256) {
        return _storage().suspectReports[batchId];
    }

    /// @inheritdoc IBatchRegistry
    function dispenseUndoWindow() external view returns (uint32) {
        return _storage().dispenseUndoWindow;
    }

    /// @inheritdoc IBatchRegistry
    function engine() external view returns (address) {
        return _engine;
    }

    // ==== INTERNAL ====

    function _authorizeUpgrade(address newImplementation) internal view override {
        _checkGovernor();
        _checkSameRegistry(newImplementation);
    }

    /// The caller's party, checked by the registry: an active member with one of
    /// `roles`, of an active, licensed party in one of `domains`.
    function _member(uint256 roles, uint256 domains) internal view returns (uint64, IConsortiumRegistry.Domain) {
        return _requireMember(_msgSender(), roles, domains);
    }

    function _checkGovernor() internal view {
        if (_msgSender() != _consortium().governor()) revert BatchRegistryOnlyGovernor(_msgSender());
    }

    function _checkBatchInput(BatchInput calldata input, uint64 party) internal view returns (bytes32 batchId) {
        SupplyStorage.Layout storage $ = _storage();
        uint64 holder = $.products[input.gtin].holder;
        if (holder == 0) revert BatchRegistryUnknownProduct(input.gtin);
        if (holder != party) revert BatchRegistryNotProductHolder(input.gtin, party);
        if (bytes(input.lot).length == 0) revert BatchRegistryEmptyField("lot");
        batchId = _batchIdOf(input.gtin, input.lot);
        if ($.batches[batchId].status != BatchStatus.None) revert BatchRegistryBatchExists(batchId);
        uint40 now_ = uint40(block.timestamp);
        if (input.expiresAt <= input.manufacturedAt || input.manufacturedAt > now_) {
            revert BatchRegistryInvalidDates(input.manufacturedAt, input.expiresAt);
        }
        if (input.expiresAt <= now_) revert BatchRegistryExpiryInPast(input.expiresAt, now_);
        if (input.quantity == 0) revert BatchRegistryZeroQuantity();
        if ((input.unitsRoot == bytes32(0)) != (input.unitCount == 0) || input.unitCount > input.quantity) {
            revert BatchRegistryInvalidUnits(input.unitsRoot, input.unitCount, input.quantity);
        }
    }

    function _batch(bytes32 batchId) internal view returns (Batch storage batch) {
        batch = _storage().batches[batchId];
        if (batch.status == BatchStatus.None) revert BatchRegistryUnknownBatch(batchId);
    }

    function _checkSellable(bytes32 batchId, Batch storage batch) internal view {
        if (batch.status != BatchStatus.Released) revert BatchRegistryNotReleased(batchId);
        if (block.timestamp >= batch.expiresAt) revert BatchRegistryBatchExpired(batchId, batch.expiresAt);
    }

    /// Trade needs the batch's effective state (the more severe of its own and its
    /// product's; a higher id is more severe) not to halt it.
    function _checkTrading(bytes32 batchId, Batch storage batch) internal view {
        uint8 own = batch.state;
        uint8 product = _storage().products[batch.gtin].state;
        uint8 effective = (own & SupplyStorage.STATE_ID) >= (product & SupplyStorage.STATE_ID) ? own : product;
        if (effective & SupplyStorage.HALTS != 0)
            revert BatchRegistryHalted(batchId, effective & SupplyStorage.STATE_ID);
    }

    function _openShipment(bytes32 batchId, bytes32 shipmentId) internal view returns (Shipment storage shipment) {
        shipment = _storage().shipments[shipmentId];
        // The id binds the batch: keccak256(batchId, from, seq).
        if (
            shipment.status == ShipmentStatus.None ||
            keccak256(abi.encode(batchId, uint64(shipment.from), shipment.seq)) != shipmentId
        ) revert BatchRegistryUnknownShipment(batchId, shipmentId);
        ShipmentStatus status = shipment.status;
        if (status != ShipmentStatus.InTransit) revert BatchRegistryShipmentClosed(shipmentId, status);
    }

    function _closeShipment(
        bytes32 batchId,
        bytes32 shipmentId,
        Shipment storage shipment,
        ShipmentStatus status,
        uint64 credited
    ) internal {
        uint48 quantity = shipment.quantity;
        shipment.status = status;
        // The quantity left a holding of at most 2^128 − 1 and comes back whole.
        unchecked {
            _storage().holdings[batchId][credited].held += quantity;
        }
        emit ShipmentClosed(shipmentId, batchId, credited, status, quantity, _msgSender());
    }

    function _takeOne(bytes32 batchId, uint64 party) internal returns (SupplyStorage.Holding storage stock) {
        stock = _storage().holdings[batchId][party];
        uint256 held = stock.held;
        if (held == 0) revert BatchRegistryInsufficientStock(batchId, party, 0, 1);
        // held ≥ 1 (checked).
        unchecked {
            stock.held = uint128(held - 1);
        }
    }

    function _checkProof(Batch storage batch, UnitProof calldata unit) internal view {
        if (!_proofValid(batch, unit)) revert BatchRegistryInvalidProof(unit.batchId, unit.index);
    }

    function _proofValid(Batch storage batch, UnitProof calldata unit) internal view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(unit.index, unit.unitHash))));
        return MerkleProof.verifyCalldata(unit.proof, batch.unitsRoot, leaf);
    }

    function _unit(bytes32 batchId, uint256 index) internal view returns (UnitStatus, uint64, uint40) {
        uint256 record = (_storage().units[batchId][index >> 2] >> ((index & 3) << 6)) & type(uint64).max;
        return (UnitStatus(uint8(record & 0xf)), uint64((record >> 4) & type(uint24).max), uint40(record >> 28));
    }

    /// Every unit status write goes through here: packs the record, emits.
    function _setUnit(UnitProof calldata unit, uint64 party, UnitStatus previous, UnitStatus status) internal {
        // 36 bits of time last until the year 4147; party ids are checked to fit 24 bits.
        uint256 record =
            uint256(uint8(status)) |
                (uint256(uint256(party).toUint24()) << 4) |
                ((block.timestamp & 0xfffffffff) << 28);
        uint256 shift = (unit.index & 3) << 6;
        mapping(uint256 => uint256) storage words = _storage().units[unit.batchId];
        uint256 word = unit.index >> 2;
        words[word] = (words[word] & ~(uint256(type(uint64).max) << shift)) | (record << shift);
        emit UnitStatusChanged(unit.batchId, unit.index, party, unit.unitHash, previous, status, _msgSender());
    }

    function _batchIdOf(uint64 gtin, string calldata lot) internal pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lot));
    }

    // ==== PRIVATE ====

    function _storage() private pure returns (SupplyStorage.Layout storage) {
        return SupplyStorage.layout();
    }
}
