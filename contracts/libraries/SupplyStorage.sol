// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IBatchRegistry} from "../interfaces/IBatchRegistry.sol";

/**
 * @title SupplyStorage
 * @notice The supply ledger's storage (ERC-7201 namespace `medstate.storage.BatchRegistry`),
 * shared by the two code objects that run on the BatchRegistry proxy: `BatchRegistry`
 * (products, batches, custody, units) and `QualityEngine` (observations, collaborative
 * states, recalls), which the registry reaches by delegatecall. One layout, one place.
 */
library SupplyStorage {
    /// A party's stock of a batch: fits in one slot. `shipments` numbers its shipments
    /// of the batch, so that shipment ids need no global counter; `dispensed` counts
    /// its dispenses here, where a dispense writes anyway, rather than in the batch.
    struct Holding {
        uint128 held;
        uint32 shipments;
        uint64 dispensed;
    }

    /// @custom:storage-location erc7201:medstate.storage.BatchRegistry
    struct Layout {
        // slot 0
        uint32 dispenseUndoWindow;
        // slots 1..7
        mapping(uint64 gtin => IBatchRegistry.Product) products;
        mapping(uint32 nationalCode => uint64 gtin) nationalCodes;
        mapping(bytes32 batchId => IBatchRegistry.Batch) batches;
        mapping(bytes32 batchId => mapping(uint64 partyId => Holding)) holdings;
        mapping(bytes32 shipmentId => IBatchRegistry.Shipment) shipments;
        // Four 64-bit unit records per word: status (4 bits), party (24), time (36).
        mapping(bytes32 batchId => mapping(uint256 word => uint256)) units;
        mapping(bytes32 batchId => uint256) suspectReports;
    }

    /// A collaborative-state byte (`Batch.state`, `Product.state`): the low 7 bits are the
    /// state's id in the state graph, bit 7 says the state halts trade.
    uint8 internal constant HALTS = 0x80;
    uint8 internal constant STATE_ID = 0x7f;

    /// `Batch.flags`: the batch's latest inspection was normal (needed to release it).
    uint8 internal constant INSPECTED = 0x01;

    // keccak256(abi.encode(uint256(keccak256("medstate.storage.BatchRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _SLOT = 0x86bc7cbe5ec90195b9613502253c8c9c8a16e394e7594184288f00da7de14b00;

    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := _SLOT
        }
    }
}
