// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {MembershipGate} from "../identity/MembershipGate.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IProductRegistry} from "../interfaces/IProductRegistry.sol";
import {Gtin} from "../libraries/Gtin.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {SupplyBase} from "./SupplyBase.sol";

/**
 * @title ProductRegistry
 * @notice Products (applied for by their holder, approved by the regulator, reassigned by
 * governance), batches (created, released), unit administration (decommission, reactivate,
 * the regulator's restoration) and the supply ledger's views. A code object with no storage
 * of its own: the BatchRegistry proxy routes these selectors to it and it runs on the
 * proxy's storage ({SupplyStorage}); at its own address every write reverts.
 */
contract ProductRegistry is IProductRegistry, SupplyBase {
    using SafeCast for uint256;

    // ==== CONSTANTS ====

    uint32 private constant _NATIONAL_CODE_LIMIT = 1e7;
    uint32 private constant _MAX_UNDO_WINDOW = 30 days;

    // ==== CONSTRUCTOR ====

    /**
     * @param registry_ The consortium registry; must be the BatchRegistry's.
     * @custom:oz-upgrades-unsafe-allow constructor
     */
    constructor(IConsortiumRegistry registry_) MembershipGate(registry_) {}

    // ==== PRODUCTS ====

    /// @inheritdoc IProductRegistry
    function registerProduct(
        uint64 gtin,
        string calldata name,
        string calldata approvalNo,
        uint32 nationalCode
    ) external {
        (uint64 party, ) = _member(_ACTORS, _MANUFACTURER);
        if (!Gtin.isValid(gtin)) revert BatchRegistryInvalidGtin(gtin);
        _checkProductFree(gtin, nationalCode);
        if (bytes(name).length == 0) revert BatchRegistryEmptyField("name");
        if (bytes(approvalNo).length == 0) revert BatchRegistryEmptyField("approvalNo");
        _storage().applications[gtin][party] = Product({
            holder: party,
            nationalCode: nationalCode,
            registeredAt: uint48(block.timestamp),
            state: 0,
            limits: 0,
            name: name,
            approvalNo: approvalNo
        });
        emit ProductApplied(gtin, party, nationalCode, name, approvalNo, _msgSender());
    }

    /// @inheritdoc IProductRegistry
    function approveProduct(uint64 gtin, uint64 applicant, bytes32 approved) external {
        _member(_ACTORS, _REGULATOR);
        SupplyStorage.Layout storage $ = _storage();
        Product storage application = _application(gtin, applicant);
        bytes32 current = _applicationHash(application);
        if (current != approved) revert BatchRegistryApplicationChanged(gtin, applicant, approved, current);
        uint32 nationalCode = application.nationalCode;
        _checkProductFree(gtin, nationalCode);
        _requireParty(applicant, _MANUFACTURER);
        if (nationalCode != 0) $.nationalCodes[nationalCode] = gtin;
        Product storage product = $.products[gtin];
        product.holder = applicant;
        product.nationalCode = nationalCode;
        product.registeredAt = uint48(block.timestamp);
        product.name = application.name;
        product.approvalNo = application.approvalNo;
        delete $.applications[gtin][applicant];
        emit ProductRegistered(gtin, applicant, nationalCode, product.name, product.approvalNo, _msgSender());
    }

    /// @inheritdoc IProductRegistry
    function reassignProduct(uint64 gtin, uint64 holder, uint32 nationalCode) external {
        _checkGovernor();
        SupplyStorage.Layout storage $ = _storage();
        Product storage product = $.products[gtin];
        uint64 previousHolder = product.holder;
        if (previousHolder == 0) revert BatchRegistryUnknownProduct(gtin);
        _requireParty(holder, _MANUFACTURER);
        uint32 previousCode = product.nationalCode;
        if (nationalCode != previousCode) {
            _checkNationalCode(nationalCode);
            if (previousCode != 0) delete $.nationalCodes[previousCode];
            if (nationalCode != 0) $.nationalCodes[nationalCode] = gtin;
            product.nationalCode = nationalCode;
        }
        product.holder = holder;
        emit ProductReassigned(gtin, previousHolder, holder, previousCode, nationalCode, _msgSender());
    }

    // ==== BATCHES ====

    /// @inheritdoc IProductRegistry
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
        batch.manufacturer = uint256(party).toUint24();
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

    /// @inheritdoc IProductRegistry
    function releaseBatch(bytes32 batchId) external {
        (uint64 party, ) = _member(_QA, _MANUFACTURER);
        Batch storage batch = _batch(batchId);
        if (batch.manufacturer != party) revert BatchRegistryNotManufacturer(batchId, party);
        // A product governance reassigned is released only by its new holder: the batches
        // its former holder made of it stay in production.
        if (_storage().products[batch.gtin].holder != party) revert BatchRegistryNotProductHolder(batch.gtin, party);
        if (batch.status != BatchStatus.Production) revert BatchRegistryAlreadyReleased(batchId);
        if (block.timestamp >= batch.expiresAt) revert BatchRegistryBatchExpired(batchId, batch.expiresAt);
        if (batch.flags & SupplyStorage.INSPECTED == 0) revert BatchRegistryNotInspected(batchId);
        batch.status = BatchStatus.Released;
        emit BatchReleased(batchId, party, _msgSender());
    }

    // ==== UNITS ====

    /// @inheritdoc IProductRegistry
    function decommission(UnitProof calldata unit, UnitStatus status) external {
        (uint64 party, ) = _member(_ACTORS | _QA, _CUSTODIANS);
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        (UnitStatus current, , ) = _unit(unit.batchId, unit.index);
        if (current != UnitStatus.Active || status == UnitStatus.Active || status == UnitStatus.Dispensed) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, current, status);
        }
        // Recalled or stopped stock goes back through quarantine and a witnessed destruction.
        _checkTrading(unit.batchId, batch);
        if (status == UnitStatus.Locked) {
            Custody storage stock = _storage().holdings[unit.batchId][party];
            _requireAvailable(unit.batchId, party, stock);
            ++stock.locked;
        } else {
            _take(unit.batchId, party, 1);
            // destroyed + lost ≤ quantity < 2^48: one per unit taken out of stock.
            unchecked {
                if (status == UnitStatus.Destroyed) ++batch.destroyed;
                else ++batch.lost;
            }
        }
        _setUnit(unit, party, UnitStatus.Active, status);
    }

    /// @inheritdoc IProductRegistry
    function reactivate(UnitProof calldata unit) external {
        (uint64 party, ) = _member(_ACTORS | _QA, _CUSTODIANS);
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        (UnitStatus status, uint64 recordedParty, ) = _unit(unit.batchId, unit.index);
        if (status != UnitStatus.Locked) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, status, UnitStatus.Active);
        }
        if (recordedParty != party) revert BatchRegistryNotUnitParty(unit.batchId, unit.index, recordedParty);
        _unlock(unit.batchId, party);
        _setUnit(unit, party, UnitStatus.Locked, UnitStatus.Active);
    }

    /// @inheritdoc IProductRegistry
    function restoreUnit(UnitProof calldata unit) external {
        (uint64 regulator, ) = _member(_ACTORS, _REGULATOR);
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        (UnitStatus status, uint64 credited, ) = _unit(unit.batchId, unit.index);
        if (status == UnitStatus.Active) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, status, UnitStatus.Active);
        }
        _checkNotInBasket(unit.batchId, unit.index, status, credited);
        if (status == UnitStatus.Locked) {
            _unlock(unit.batchId, credited);
        } else {
            // Every other restoration moves stock back into custody: not while halted.
            _checkTrading(unit.batchId, batch);
            Custody storage stock = _storage().holdings[unit.batchId][credited];
            // The unit's mark took one unit into the counter now decremented (the party's and
            // the batch's dispensed, or the batch's destroyed or lost); held stays within the
            // batch's quantity.
            unchecked {
                if (status == UnitStatus.Dispensed) {
                    --stock.dispensed;
                    --batch.dispensed;
                } else if (status == UnitStatus.Destroyed) {
                    --batch.destroyed;
                } else {
                    --batch.lost;
                }
                ++stock.held;
            }
        }
        _setUnit(unit, regulator, status, UnitStatus.Active);
        emit UnitRestored(unit.batchId, unit.index, credited, status, regulator, _msgSender());
    }

    // ==== GOVERNANCE ====

    /// @inheritdoc IProductRegistry
    function setDispenseUndoWindow(uint32 window) external {
        _checkGovernor();
        if (window > _MAX_UNDO_WINDOW) revert BatchRegistryInvalidUndoWindow(window, _MAX_UNDO_WINDOW);
        _storage().dispenseUndoWindow = window;
        emit DispenseUndoWindowSet(window);
    }

    // ==== VIEWS ====

    /// @inheritdoc IProductRegistry
    function getProduct(uint64 gtin) external view returns (Product memory product) {
        product = _storage().products[gtin];
        if (product.holder == 0) revert BatchRegistryUnknownProduct(gtin);
    }

    /// @inheritdoc IProductRegistry
    function productApplication(uint64 gtin, uint64 applicant) external view returns (Product memory) {
        return _storage().applications[gtin][applicant];
    }

    /// @inheritdoc IProductRegistry
    function productApplicationHash(uint64 gtin, uint64 applicant) external view returns (bytes32) {
        return _applicationHash(_application(gtin, applicant));
    }

    /// @inheritdoc IProductRegistry
    function productOfNationalCode(uint32 nationalCode) external view returns (uint64) {
        return _storage().nationalCodes[nationalCode];
    }

    /// @inheritdoc IProductRegistry
    function getBatch(bytes32 batchId) external view returns (Batch memory) {
        return _batch(batchId);
    }

    /// @inheritdoc IProductRegistry
    function batchIdOf(uint64 gtin, string calldata lot) external pure returns (bytes32) {
        return _batchIdOf(gtin, lot);
    }

    /// @inheritdoc IProductRegistry
    function holding(bytes32 batchId, uint64 partyId) external view returns (uint256) {
        return _storage().holdings[batchId][partyId].held;
    }

    /// @inheritdoc IProductRegistry
    function dispensedBy(bytes32 batchId, uint64 partyId) external view returns (uint256) {
        return _storage().holdings[batchId][partyId].dispensed;
    }

    /// @inheritdoc IProductRegistry
    function custody(bytes32 batchId, uint64 partyId) external view returns (Custody memory) {
        return _storage().holdings[batchId][partyId];
    }

    /// @inheritdoc IProductRegistry
    function getShipment(bytes32 shipmentId) external view returns (Shipment memory) {
        return _storage().shipments[shipmentId];
    }

    /// @inheritdoc IProductRegistry
    function unitRecord(bytes32 batchId, uint256 index) external view returns (UnitStatus, uint64, uint40) {
        return _unit(batchId, index);
    }

    /// @inheritdoc IProductRegistry
    function suspectReportCount(bytes32 batchId) external view returns (uint256) {
        return _storage().suspectReports[batchId];
    }

    /// @inheritdoc IProductRegistry
    function dispenseUndoWindow() external view returns (uint32) {
        return _storage().dispenseUndoWindow;
    }

    /// @notice The consortium registry this code was built for (the BatchRegistry checks it;
    /// at the proxy, `registry()` is the BatchRegistry's own, the same address).
    function registry() external view returns (address) {
        return address(_consortium());
    }

    // ==== INTERNAL ====

    function _application(uint64 gtin, uint64 applicant) internal view returns (Product storage application) {
        application = _storage().applications[gtin][applicant];
        if (application.holder == 0) revert BatchRegistryUnknownApplication(gtin, applicant);
    }

    function _applicationHash(Product storage application) internal view returns (bytes32) {
        return keccak256(abi.encode(application.nationalCode, application.name, application.approvalNo));
    }

    /// Reverts unless the GTIN has no product and the national code is valid and free.
    function _checkProductFree(uint64 gtin, uint32 nationalCode) internal view {
        SupplyStorage.Layout storage $ = _storage();
        if ($.products[gtin].holder != 0) revert BatchRegistryProductExists(gtin);
        _checkNationalCode(nationalCode);
    }

    /// Reverts unless the national code is 0 or a free code of at most 7 digits.
    function _checkNationalCode(uint32 nationalCode) internal view {
        if (nationalCode == 0) return;
        if (nationalCode >= _NATIONAL_CODE_LIMIT) revert BatchRegistryInvalidNationalCode(nationalCode);
        uint64 taken = _storage().nationalCodes[nationalCode];
        if (taken != 0) revert BatchRegistryNationalCodeTaken(nationalCode, taken);
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

    /// Lifts one of `party`'s locks: the unit is available again.
    function _unlock(bytes32 batchId, uint64 party) internal {
        // The unit was locked by `party`, so its locked count is ≥ 1.
        unchecked {
            --_storage().holdings[batchId][party].locked;
        }
    }
}
