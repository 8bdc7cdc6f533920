// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISupplyLedger} from "./ISupplyLedger.sol";

/**
 * @title ICustody
 * @notice The hot paths of the supply ledger, run by `BatchRegistry` itself: shipping,
 * receiving, dispensing and verifying a unit. Call them at the BatchRegistry proxy.
 *
 * - Custody: `ship` (by the holder) moves quantity from its available stock into an open
 *   shipment (counted in its `inTransit`), `receiveShipment` (by the receiver) credits it;
 *   the sender cancels or the receiver rejects an open shipment and the stock goes back.
 * - While a batch's effective state halts trade (its own state, or its product's, halts),
 *   `ship`, `receiveShipment`, `dispense` and `undoDispense` revert with
 *   {ISupplyLedger-BatchRegistryHalted}; cancelling or rejecting an open shipment still
 *   works, so that stock can come back for a recall.
 * - Units: `verify` proves a code belongs to a batch and reports its status; `dispense`
 *   decommissions it at a pharmacy or hospital, taking one unit from the dispenser's own
 *   stock. Presenting a unit that is already dispensed, destroyed or stolen does not change
 *   it: it is recorded as a suspect unit (a genuine code on a fake box) and reported to the
 *   regulator and the batch's holders through {ISupplyLedger-SuspectUnitReported}, naming
 *   the party that marked it.
 */
interface ICustody is ISupplyLedger {
    /// @notice No module of the proxy has a function with this selector.
    error BatchRegistryUnknownFunction(bytes4 selector);

    /**
     * @notice Ships `quantity` of a released, unexpired batch from the caller's party to
     * `to` (an active party in a distribution-capable domain). Caller: an admin or
     * operator of a party with at least `quantity` available (held, less locked units).
     * @return shipmentId The new shipment's id.
     */
    function ship(bytes32 batchId, uint64 to, uint48 quantity) external returns (bytes32 shipmentId);

    /// @notice Credits an open shipment to its receiver. Caller: an admin or operator of the receiver.
    function receiveShipment(bytes32 batchId, bytes32 shipmentId) external;

    /// @notice Cancels an open shipment; the stock returns to the sender. Caller: its sender's admin or operator.
    function cancelShipment(bytes32 batchId, bytes32 shipmentId) external;

    /// @notice Rejects an open shipment; the stock returns to the sender. Caller: its receiver's admin or operator.
    function rejectShipment(bytes32 batchId, bytes32 shipmentId) external;

    /**
     * @notice Dispenses (decommissions) a unit at the point of care. Caller: an admin or
     * operator of a pharmacy or hospital. An active unit becomes `Dispensed` and one is
     * taken from the caller's party's available stock (which must hold one). A unit that is
     * already dispensed, destroyed or stolen is not changed: the call records a suspect
     * unit ({ISupplyLedger-SuspectUnitReported}) and returns `suspect = true`.
     */
    function dispense(UnitProof calldata unit) external returns (bool suspect);

    /**
     * @notice Undoes a dispense, by the party that dispensed, within the undo window;
     * the unit is active again and back in that party's stock.
     */
    function undoDispense(UnitProof calldata unit) external;

    /**
     * @notice What is known of a unit: `Unknown` unless the proof shows it belongs to an
     * existing batch; else its status, or the batch's (unreleased, expired), or `Genuine`.
     * @return verdict The finding.
     * @return party The party that changed the unit's status last (0 if never).
     */
    function verify(UnitProof calldata unit) external view returns (UnitVerdict verdict, uint64 party);

    /// @notice The code object the routing table sends `selector` to when this contract does
    /// not declare it: the product registry, the quality engine, the collaboration engine or
    /// the baskets and pallets code, or 0 for a selector none of them has (the proxy reverts
    /// with {BatchRegistryUnknownFunction} for it).
    function moduleOf(bytes4 selector) external view returns (address);

    /**
     * @notice The code objects behind the proxy, fixed per implementation (a new one is an upgrade).
     * @return products The product registry (products, batches, unit administration, views).
     * @return quality The quality engine (observations, rules).
     * @return collaboration The collaboration engine (states, recalls, destruction, suspect cases).
     * @return bulk Baskets and pallets ({IBulkCustody}).
     */
    function modules()
        external
        view
        returns (address products, address quality, address collaboration, address bulk);

    /// @notice The quality engine ({modules}).
    function engine() external view returns (address);
}
