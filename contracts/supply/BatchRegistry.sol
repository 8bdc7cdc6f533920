// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {MembershipMirror} from "../identity/MembershipMirror.sol";
import {IBulkCustody} from "../interfaces/IBulkCustody.sol";
import {ICollaborationEngine} from "../interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {ICustody} from "../interfaces/ICustody.sol";
import {IProductRegistry} from "../interfaces/IProductRegistry.sol";
import {IQualityEngine} from "../interfaces/IQualityEngine.sol";
import {Delegation} from "../libraries/Delegation.sol";
import {Membership} from "../libraries/Membership.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {RoutingTable} from "./RoutingTable.sol";
import {SupplyBase} from "./SupplyBase.sol";

/**
 * @title BatchRegistry
 * @notice The supply ledger's proxy implementation: custody and dispensing of single units
 * and shipments (the hot paths, {ICustody}) run here; every other function is found in a
 * selector table ({RoutingTable}, generated from the modules' interfaces) that names the
 * code object running it on this contract's storage by delegatecall: the
 * {ProductRegistry} (products, batches, unit administration, views), the {QualityEngine}
 * (observations, rules), the {CollaborationEngine} (states, recalls, destruction, suspect
 * cases) and {BulkCustody} (baskets, pallets). One lookup and one hop for every function,
 * however many modules (an ERC-2535-style diamond with static facets: a new facet or table
 * is a new implementation, so an upgrade, by governance only). UUPS-upgradeable by the
 * consortium governor only; storage in an ERC-7201 namespace ({SupplyStorage});
 * membership checked against the registry-fed {MembershipMirror}. {IBatchRegistry} is
 * the whole supply ABI at the proxy; the modules' interfaces answer at the same address.
 */
contract BatchRegistry is ICustody, Initializable, MembershipMirror, SupplyBase, UUPSUpgradeable {
    using SafeCast for uint256;

    // ==== CONSTANTS ====

    uint32 private constant _DEFAULT_UNDO_WINDOW = 10 days;

    // ==== STATE ====

    /// The code objects behind the proxy, fixed per implementation (a new one is an upgrade).
    address private immutable _products;
    address private immutable _quality;
    address private immutable _collaboration;
    address private immutable _bulk;

    // ==== CONSTRUCTOR / INITIALIZER ====

    /**
     * @param registry_ The consortium registry (its governor upgrades and configures this
     * contract; it feeds the membership mirror). Every implementation of one proxy must
     * be built with the same registry.
     * @param products_ The product registry, built for the same registry.
     * @param quality_ The quality engine, built for the same registry.
     * @param collaboration_ The collaboration engine, built for the same registry.
     * @param bulk_ The baskets and pallets code, built for the same registry.
     * @custom:oz-upgrades-unsafe-allow constructor
     */
    constructor(
        IConsortiumRegistry registry_,
        IProductRegistry products_,
        IQualityEngine quality_,
        ICollaborationEngine collaboration_,
        IBulkCustody bulk_
    ) MembershipMirror(registry_) {
        address[4] memory modules_ = [address(products_), address(quality_), address(collaboration_), address(bulk_)];
        for (uint256 i = 0; i < 4; ++i) {
            if (!Membership.isMirrorOf(modules_[i], address(registry_))) {
                revert MirrorRegistryChanged(modules_[i], address(registry_));
            }
        }
        _products = address(products_);
        _quality = address(quality_);
        _collaboration = address(collaboration_);
        _bulk = address(bulk_);
        _disableInitializers();
    }

    /// @notice Runs any function this contract does not declare in the code object that
    /// the routing table names ({moduleOf}), on this contract's storage; reverts with
    /// {BatchRegistryUnknownFunction} for a selector no module has. Refused at the
    /// implementation's own address, whose storage holds no ledger.
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        _checkProxied();
        address module = _route(msg.sig);
        if (module == address(0)) revert BatchRegistryUnknownFunction(msg.sig);
        Delegation.forward(module);
    }

    /// @notice Initialises the proxy.
    function initialize() external initializer {
        _storage().dispenseUndoWindow = _DEFAULT_UNDO_WINDOW;
        emit DispenseUndoWindowSet(_DEFAULT_UNDO_WINDOW);
    }

    // ==== CUSTODY ====

    /// @inheritdoc ICustody
    function ship(bytes32 batchId, uint64 to, uint48 quantity) external returns (bytes32 shipmentId) {
        (uint64 from, ) = _member(_ACTORS, _CUSTODIANS);
        SupplyStorage.Layout storage $ = _storage();
        Batch storage batch = _batch(batchId);
        _checkSellable(batchId, batch);
        _checkTrading(batchId, batch);
        if (to == from) revert BatchRegistrySelfShipment(from);
        _requireParty(to, _CUSTODIANS);
        if (quantity == 0) revert BatchRegistryZeroQuantity();

        Custody storage stock = $.holdings[batchId][from];
        uint48 available = _available(stock);
        if (available < quantity) revert BatchRegistryInsufficientStock(batchId, from, available, quantity);
        uint32 seq = stock.shipments;
        // available ≥ quantity (checked) and available ≤ held; what is in transit stays within
        // the batch's quantity (< 2^48); 2^32 shipments of one batch by one party cannot happen.
        unchecked {
            stock.held -= quantity;
            stock.inTransit += quantity;
            stock.shipments = seq + 1;
        }
        shipmentId = keccak256(abi.encode(batchId, from, seq));
        $.shipments[shipmentId] = Shipment({
            // A party holds stock only if its id fits 24 bits (createBatch) or 48 (receiving).
            from: uint48(from),
            to: uint256(to).toUint48(),
            quantity: quantity,
            seq: seq,
            shippedAt: uint40(block.timestamp),
            status: ShipmentStatus.InTransit
        });
        emit Shipped(shipmentId, batchId, from, to, quantity, _msgSender());
    }

    /// @inheritdoc ICustody
    function receiveShipment(bytes32 batchId, bytes32 shipmentId) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Shipment storage shipment = _openShipment(batchId, shipmentId);
        if (shipment.to != party) revert BatchRegistryNotShipmentParty(shipmentId, party);
        _checkTrading(batchId, _storage().batches[batchId]);
        _closeShipment(batchId, shipmentId, shipment, ShipmentStatus.Received, party);
    }

    /// @inheritdoc ICustody
    function cancelShipment(bytes32 batchId, bytes32 shipmentId) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Shipment storage shipment = _openShipment(batchId, shipmentId);
        if (shipment.from != party) revert BatchRegistryNotShipmentParty(shipmentId, party);
        _closeShipment(batchId, shipmentId, shipment, ShipmentStatus.Cancelled, party);
    }

    /// @inheritdoc ICustody
    function rejectShipment(bytes32 batchId, bytes32 shipmentId) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Shipment storage shipment = _openShipment(batchId, shipmentId);
        if (shipment.to != party) revert BatchRegistryNotShipmentParty(shipmentId, party);
        _closeShipment(batchId, shipmentId, shipment, ShipmentStatus.Rejected, shipment.from);
    }

    // ==== UNITS ====

    /// @inheritdoc ICustody
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
        Custody storage stock = _take(unit.batchId, party, 1);
        // dispensed ≤ quantity < 2^48: one per unit taken out of stock.
        unchecked {
            ++stock.dispensed;
            ++batch.dispensed;
        }
        _setUnit(unit, party, UnitStatus.Active, UnitStatus.Dispensed);
        return false;
    }

    /// @inheritdoc ICustody
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
        _checkNotInBasket(unit.batchId, unit.index, status, recordedParty);
        if (recordedParty != party) revert BatchRegistryNotUnitParty(unit.batchId, unit.index, recordedParty);
        uint32 window = $.dispenseUndoWindow;
        uint40 deadline = at + window;
        if (window == 0 || block.timestamp > deadline) {
            revert BatchRegistryUndoWindowClosed(unit.batchId, unit.index, deadline);
        }
        Custody storage stock = $.holdings[unit.batchId][party];
        // This party dispensed the unit, so its `dispensed` and the batch's are ≥ 1, and the
        // stock it left fits again.
        unchecked {
            --stock.dispensed;
            ++stock.held;
            --batch.dispensed;
        }
        _setUnit(unit, party, UnitStatus.Dispensed, UnitStatus.Active);
    }

    /// @inheritdoc ICustody
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

    // ==== ROUTING ====

    /// @inheritdoc ICustody
    function moduleOf(bytes4 selector) external view returns (address) {
        return _route(selector);
    }

    /// @inheritdoc ICustody
    function modules()
        external
        view
        returns (address products, address quality, address collaboration, address bulk)
    {
        return (_products, _quality, _collaboration, _bulk);
    }

    /// @inheritdoc ICustody
    function engine() external view returns (address) {
        return _quality;
    }

    // ==== INTERNAL ====

    function _authorizeUpgrade(address newImplementation) internal view override {
        _checkGovernor();
        _checkSameRegistry(newImplementation);
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

    /// Closes an open shipment: its quantity leaves the sender's `inTransit` and is credited
    /// to `credited` (the receiver, or the sender itself).
    function _closeShipment(
        bytes32 batchId,
        bytes32 shipmentId,
        Shipment storage shipment,
        ShipmentStatus status,
        uint64 credited
    ) internal {
        uint48 quantity = shipment.quantity;
        uint64 from = shipment.from;
        shipment.status = status;
        mapping(uint64 => Custody) storage holdings = _storage().holdings[batchId];
        // The shipment's quantity is part of its sender's inTransit, and held stays within
        // the batch's quantity (< 2^48).
        unchecked {
            holdings[from].inTransit -= quantity;
            holdings[credited].held += quantity;
        }
        emit ShipmentClosed(shipmentId, batchId, credited, status, quantity, _msgSender());
    }

    /// Which code object runs a selector this contract does not declare (0: none).
    function _route(bytes4 s) internal view returns (address) {
        uint256 module = RoutingTable.moduleOf(s);
        if (module == RoutingTable.QUALITY) return _quality;
        if (module == RoutingTable.PRODUCTS) return _products;
        if (module == RoutingTable.COLLABORATION) return _collaboration;
        if (module == RoutingTable.BULK) return _bulk;
        return address(0);
    }
}
