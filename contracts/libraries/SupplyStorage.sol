// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IBulkCustody} from "../interfaces/IBulkCustody.sol";
import {ISupplyLedger} from "../interfaces/ISupplyLedger.sol";

/**
 * @title SupplyStorage
 * @notice The supply ledger's storage (ERC-7201 namespace `medstate.storage.BatchRegistry`),
 * shared by the code objects that run on the BatchRegistry proxy: `BatchRegistry`
 * (custody, dispensing), `ProductRegistry` (products, batches, unit administration) and
 * the quality and collaboration engines (observations, collaborative states, recalls,
 * suspect cases, unknown-code reports) and `BulkCustody` (baskets, pallets), which the registry reaches by
 * delegatecall. One layout, one place.
 */
library SupplyStorage {
    /// @custom:storage-location erc7201:medstate.storage.BatchRegistry
    struct Layout {
        // slot 0
        uint32 dispenseUndoWindow;
        // slots 1..7
        mapping(uint64 gtin => ISupplyLedger.Product) products;
        mapping(uint32 nationalCode => uint64 gtin) nationalCodes;
        mapping(bytes32 batchId => ISupplyLedger.Batch) batches;
        mapping(bytes32 batchId => mapping(uint64 partyId => ISupplyLedger.Custody)) holdings;
        mapping(bytes32 shipmentId => ISupplyLedger.Shipment) shipments;
        // Four 64-bit unit records per word: status (4 bits), party (24), time (36).
        mapping(bytes32 batchId => mapping(uint256 word => uint256)) units;
        mapping(bytes32 batchId => uint256) suspectReports;
        // slot 8: applications awaiting the regulator's approval
        mapping(uint64 gtin => mapping(uint64 applicant => ISupplyLedger.Product)) applications;
        // slot 9: one bit per unit, 256 per word: dispensed in a basket (its record stays Active)
        mapping(bytes32 batchId => mapping(uint256 word => uint256)) basketUnits;
        // slot 10: baskets open to undo: the commitment's first 216 bits | time (low 40 bits)
        mapping(bytes32 basketId => uint256) baskets;
        // slot 11: per party: baskets presented (bits 0-31), oldest basket whose record may
        // exist (32-63), pallets shipped (64-95)
        mapping(uint64 party => uint256) bulkCounters;
        // slot 12: pallets (two slots each)
        mapping(bytes32 palletId => IBulkCustody.Pallet) pallets;
        // slot 13: when the regulator last restored a basket-dispensed unit (restoreBasketUnit):
        // a basket that dispensed it no later than that can no longer undo it
        mapping(bytes32 batchId => mapping(uint256 index => uint256)) basketRestores;
        // slot 14: unknown-code reports made on this chain (the last report's number)
        uint256 unknownCodeReports;
    }

    /// A collaborative-state byte (`Batch.state`, `Product.state`): the low 7 bits are the
    /// state's id in the state graph, bit 7 says the state halts trade.
    uint8 internal constant HALTS = 0x80;
    uint8 internal constant STATE_ID = 0x7f;

    /// `Batch.flags`: the batch's latest inspection was normal (needed to release it).
    uint8 internal constant INSPECTED = 0x01;
    /// `Batch.flags`: a basket dispensed units of the batch, so its bitmap (`basketUnits`)
    /// may mark some; until then no unit read pays for the bitmap's slot. Never cleared.
    uint8 internal constant IN_BASKETS = 0x02;

    // keccak256(abi.encode(uint256(keccak256("medstate.storage.BatchRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _SLOT = 0x86bc7cbe5ec90195b9613502253c8c9c8a16e394e7594184288f00da7de14b00;

    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := _SLOT
        }
    }
}
