// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISupplyLedger} from "./ISupplyLedger.sol";

/**
 * @title IProductRegistry
 * @notice Products, batches and the administration of units, and the supply ledger's
 * views: the colder half of the supply ledger, run by the `ProductRegistry` code object on
 * the BatchRegistry proxy's storage (the proxy routes these selectors to it). Call them at
 * the BatchRegistry proxy; called at its own address every write reverts with
 * {ISupplyLedger-BatchRegistryDirectCall}.
 *
 * - **Products** are registered by the regulator's approval of a manufacturer's
 *   application: the marketing-authorisation holder applies under a GTIN (check digit
 *   validated), an approval number and a national product code; the regulator approves,
 *   which binds the GTIN and the national code to that holder. An application reserves
 *   nothing, so nobody can squat another company's codes by applying first. Governance
 *   reassigns a product's holder or national code ({reassignProduct}).
 * - A **batch** is identified by `keccak256(abi.encode(gtin, lot))`. Its units are committed
 *   as the root of an OpenZeppelin standard Merkle tree whose leaves are
 *   `[uint256 index, bytes32 unitHash]` (index = position in the unit file, unitHash =
 *   keccak256 of the canonical unit code), plus the unit count: creation costs the same for
 *   10 or 10 million units. A batch is sellable once the manufacturer's `qa` member releases it.
 * - **Unit administration** (EU FMD statuses): a custodian marks an active unit
 *   `Destroyed` or `Stolen` (one unit leaves its available stock) or `Locked` (one unit of
 *   its stock is set aside), never while the batch is halted; the locking party
 *   reactivates; the regulator restores any unit wrongly marked, crediting the stock back
 *   to the party that marked it.
 */
interface IProductRegistry is ISupplyLedger {
    // ==== PRODUCTS ====

    /**
     * @notice Applies to register a product. Caller: an admin or operator of a manufacturer,
     * which becomes its marketing-authorisation holder once the regulator approves
     * ({approveProduct}). Replaces the caller's earlier application for the GTIN.
     * @param gtin The GTIN-14 as a number (check digit validated).
     * @param name The product's name.
     * @param approvalNo The approval number (e.g. 国药准字H20230001).
     * @param nationalCode China's 7-digit product identification code (the first 7 digits
     * of its 20-digit traceability codes), or 0 for none.
     */
    function registerProduct(
        uint64 gtin,
        string calldata name,
        string calldata approvalNo,
        uint32 nationalCode
    ) external;

    /**
     * @notice Approves `applicant`'s application: the product is registered with it as its
     * holder, and the GTIN and national code are bound to it. Caller: an admin or operator of
     * a regulator. The GTIN and the national code must still be free, and the applicant an
     * active manufacturer.
     * @param application {productApplicationHash} of the application the regulator
     * examined: an application replaced since (another national code, name or approval
     * number) is refused, so the regulator approves exactly what it saw.
     */
    function approveProduct(uint64 gtin, uint64 applicant, bytes32 application) external;

    /**
     * @notice Gives a product a new holder (an active manufacturer) and national code (0:
     * none; the old one is released). Only the governor: a wrongly approved registration is
     * put right by the consortium.
     */
    function reassignProduct(uint64 gtin, uint64 holder, uint32 nationalCode) external;

    // ==== BATCHES ====

    /**
     * @notice Creates a batch of a product the caller's party holds, in production.
     * Caller: an admin or operator of the product's holder, which then holds `quantity`.
     * @return batchId `keccak256(abi.encode(gtin, lot))`.
     */
    function createBatch(BatchInput calldata input) external returns (bytes32 batchId);

    /**
     * @notice Releases a batch for sale. Caller: a `qa` member of the batch's manufacturer,
     * which must still hold the product (a product governance reassigned leaves its former
     * holder's batches in production). The batch's latest inspection
     * ({IQualityEngine-observe}) must be normal.
     */
    function releaseBatch(bytes32 batchId) external;

    // ==== UNITS ====

    /**
     * @notice Marks an active unit `Destroyed` or `Stolen` (each takes one unit from the
     * caller's party's available stock) or `Locked` (sets one unit of its stock aside: it
     * cannot be shipped, dispensed or returned until reactivated). Caller: an admin,
     * operator or qa member of a custodian with a unit available. Refused while the batch's
     * effective state halts trade: recalled stock goes back through quarantine and a
     * witnessed destruction.
     */
    function decommission(UnitProof calldata unit, UnitStatus status) external;

    /// @notice Reactivates a locked unit. Caller: a member (admin, operator, qa) of the
    /// party that locked it; its locked unit is available again.
    function reactivate(UnitProof calldata unit) external;

    /**
     * @notice Restores a dispensed, destroyed, stolen or locked unit to active: the
     * regulator's correction of a wrong mark (a competitor's dispense of codes on another
     * party's shelf, a lock nobody can lift). The stock goes back to the party named in the
     * unit's record: a dispense is undone, a destroyed or stolen unit returns to its held
     * stock, a lock is lifted. Caller: an admin or operator of a regulator. Refused while the
     * batch halts trade, except for a lock (which moves no stock).
     */
    function restoreUnit(UnitProof calldata unit) external;

    // ==== GOVERNANCE ====

    /// @notice Sets how long a dispense may be undone (seconds, at most 30 days; 0
    /// disables undo). It applies to every dispense still within it. Only the governor.
    function setDispenseUndoWindow(uint32 window) external;

    // ==== VIEWS ====

    /// @notice A product; reverts for an unknown GTIN.
    function getProduct(uint64 gtin) external view returns (Product memory);

    /// @notice `applicant`'s pending application for `gtin` (holder 0: none).
    function productApplication(uint64 gtin, uint64 applicant) external view returns (Product memory);

    /// @notice What {approveProduct} checks: `keccak256(abi.encode(nationalCode, name,
    /// approvalNo))` of `applicant`'s pending application for `gtin`; reverts with
    /// {BatchRegistryUnknownApplication} when there is none.
    function productApplicationHash(uint64 gtin, uint64 applicant) external view returns (bytes32);

    /// @notice The GTIN of the product with this national code (0 if none).
    function productOfNationalCode(uint32 nationalCode) external view returns (uint64 gtin);

    /// @notice A batch; reverts for an unknown id.
    function getBatch(bytes32 batchId) external view returns (Batch memory);

    /// @notice A batch's id: `keccak256(abi.encode(gtin, lot))`.
    function batchIdOf(uint64 gtin, string calldata lot) external pure returns (bytes32);

    /// @notice The quantity of `batchId` that `partyId` holds (locked units included).
    function holding(bytes32 batchId, uint64 partyId) external view returns (uint256);

    /// @notice How many units of `batchId` `partyId` has dispensed (net of undos and restorations).
    function dispensedBy(bytes32 batchId, uint64 partyId) external view returns (uint256);

    /// @notice `partyId`'s whole custody of `batchId`: held, in transit, dispensed, in suspect cases, locked.
    function custody(bytes32 batchId, uint64 partyId) external view returns (Custody memory);

    /// @notice A shipment (zeroes for an unknown id).
    function getShipment(bytes32 shipmentId) external view returns (Shipment memory);

    /// @notice A unit's recorded status, the party that set it and when (zeroes: active, never touched).
    function unitRecord(
        bytes32 batchId,
        uint256 index
    ) external view returns (UnitStatus status, uint64 party, uint40 at);

    /// @notice How many suspect units were reported for a batch.
    function suspectReportCount(bytes32 batchId) external view returns (uint256);

    /// @notice How long a dispense may be undone (seconds).
    function dispenseUndoWindow() external view returns (uint32);
}
