// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IMembershipMirror} from "./IMembershipMirror.sol";

/**
 * @title IBatchRegistry
 * @notice Products, batches, their serialised units and the custody ledger.
 *
 * - A product is registered by its marketing-authorisation holder (a manufacturer)
 *   under its GTIN, whose check digit is validated here.
 * - A batch is identified by `keccak256(abi.encode(gtin, lot))`. Its units are
 *   committed as the root of an OpenZeppelin standard Merkle tree whose leaves are
 *   `[uint256 index, bytes32 unitHash]` (index = position in the unit file,
 *   unitHash = keccak256 of the canonical unit code), plus the unit count: creation
 *   costs the same for 10 or 10 million units. A batch is sellable once the
 *   manufacturer's `qa` member releases it.
 * - Custody: the quantity each party holds of each batch. `ship` (by the holder)
 *   moves quantity into an open shipment, `receiveShipment` (by the receiver) credits it;
 *   the sender cancels or the receiver rejects an open shipment and the stock goes
 *   back. Recalled stock returns to the marketing-authorisation holder's quarantine and
 *   leaves it only by witnessed destruction. At all times: Σ held + Σ open shipments +
 *   Σ dispensed + destroyed + lost + quarantined = quantity (held and dispensed are
 *   counted per party).
 * - Collaborative state: while a batch's effective state (the more severe of its own
 *   and its product's, written by the {IQualityEngine} that runs on this contract's
 *   address) halts trade, `ship`, `receiveShipment`, `dispense` and `undoDispense`
 *   revert with {BatchRegistryHalted}; cancelling or rejecting an open shipment still
 *   works, so that stock can come back for a recall.
 * - Units: `verify` proves a code belongs to a batch and reports its status;
 *   `dispense` decommissions it at a pharmacy or hospital. Presenting a unit that is
 *   already dispensed, destroyed or stolen does not change it: it is recorded as a
 *   suspect unit (a genuine code on a fake box) and reported to the regulator and
 *   the batch's holders through {SuspectUnitReported}.
 *
 * Membership is checked against a mirror of the consortium registry that the
 * registry keeps up to date ({IMembershipMirror}).
 *
 * Calls to functions this interface does not declare are delegated to the contract's
 * quality engine ({engine}, an {IQualityEngine}): integrators call the engine's
 * functions at this contract's address.
 *
 * Party ids are `uint64` in every function and event; storage packs them into 48 bits
 * (shipments) and 24 bits (unit records), checked with SafeCast: a party whose id
 * does not fit (beyond 16,777,215 admissions) cannot take part in unit writes.
 *
 * Every change emits an event carrying what it wrote, so the log rebuilds the state.
 */
interface IBatchRegistry is IMembershipMirror {
    // ==== TYPES ====

    /// @notice A batch's release state. `Production` batches cannot be shipped or sold.
    enum BatchStatus {
        None,
        Production,
        Released
    }

    /// @notice A shipment's state.
    enum ShipmentStatus {
        None,
        InTransit,
        Received,
        Cancelled,
        Rejected
    }

    /// @notice A unit's status (EU FMD). Every unit starts `Active`.
    enum UnitStatus {
        Active,
        Dispensed,
        Destroyed,
        Stolen,
        Locked
    }

    /// @notice What {verify} finds for a unit code and proof.
    enum UnitVerdict {
        Unknown,
        Genuine,
        Unreleased,
        Expired,
        Dispensed,
        Destroyed,
        Stolen,
        Locked
    }

    /// @notice A product as stored. The first five fields fit in one slot (read by every
    /// trade and observation): `state` is the product's collaborative-state byte (bit 7:
    /// halts trade; bits 0–6: state id) and `limits` its packed quality limits, both
    /// written by the quality engine ({IQualityEngine-rulesOf} decodes them).
    struct Product {
        uint64 holder;
        uint32 nationalCode;
        uint48 registeredAt;
        uint8 state;
        uint104 limits;
        string name;
        string approvalNo;
    }

    /// @notice A batch as stored. The first eight fields fit in one slot (read by every
    /// ship, receive, verify, dispense and observation); the root in a second; the rest in
    /// a third. `state` is the batch's own collaborative-state byte (bit 7: halts trade;
    /// bits 0–6: state id), `flags` bit 0 says its latest inspection was normal, and
    /// `observations` counts its observations (an observation's `seq` is its number).
    /// `quarantined` is recalled stock returned to the manufacturer, awaiting destruction.
    // solhint-disable-next-line gas-struct-packing
    struct Batch {
        uint64 gtin;
        uint40 manufacturedAt;
        uint40 expiresAt;
        BatchStatus status;
        uint48 quantity;
        uint8 state;
        uint8 flags;
        uint32 observations;
        bytes32 unitsRoot;
        uint48 unitCount;
        uint48 destroyed;
        uint48 lost;
        uint64 manufacturer;
        uint48 quarantined;
    }

    /// @notice A shipment as stored: fits in one slot. Its id is
    /// `keccak256(abi.encode(batchId, from, seq))`, `seq` counting the sender's shipments
    /// of that batch.
    struct Shipment {
        uint48 from;
        uint48 to;
        uint48 quantity;
        uint32 seq;
        uint40 shippedAt;
        ShipmentStatus status;
    }

    /// @notice What a batch is created with (calldata only, so packing does not matter).
    // solhint-disable-next-line gas-struct-packing
    struct BatchInput {
        uint64 gtin;
        string lot;
        uint40 manufacturedAt;
        uint40 expiresAt;
        uint48 quantity;
        bytes32 unitsRoot;
        uint48 unitCount;
    }

    /// @notice A unit, as presented with its proof of membership in a batch.
    struct UnitProof {
        bytes32 batchId;
        uint256 index;
        bytes32 unitHash;
        bytes32[] proof;
    }

    // ==== EVENTS ====

    /// @notice A product was registered with `holder` as its marketing-authorisation holder.
    event ProductRegistered(
        uint64 indexed gtin,
        uint64 indexed holder,
        uint32 nationalCode,
        string name,
        string approvalNo,
        address actor
    );

    /// @notice A batch was created; its manufacturer holds the whole quantity.
    event BatchCreated(
        bytes32 indexed batchId,
        uint64 indexed gtin,
        uint64 indexed manufacturer,
        string lot,
        uint40 manufacturedAt,
        uint40 expiresAt,
        uint48 quantity,
        bytes32 unitsRoot,
        uint48 unitCount,
        address actor
    );

    /// @notice The manufacturer's QA released the batch for sale.
    event BatchReleased(bytes32 indexed batchId, uint64 indexed manufacturer, address actor);

    /// @notice `quantity` of `batchId` left `from`'s stock for `to`. The shipment's
    /// `seq` is the number of earlier {Shipped} events of the same batch and sender
    /// (its id is `keccak256(abi.encode(batchId, from, seq))`); left out of the event to
    /// keep `ship` within its gas budget.
    event Shipped(
        bytes32 indexed shipmentId,
        bytes32 indexed batchId,
        uint64 indexed from,
        uint64 to,
        uint48 quantity,
        address actor
    );

    /// @notice An open shipment closed as `status` (Received, Cancelled or Rejected);
    /// its quantity was credited to `creditedParty` (the receiver, or back to the sender).
    event ShipmentClosed(
        bytes32 indexed shipmentId,
        bytes32 indexed batchId,
        uint64 indexed creditedParty,
        ShipmentStatus status,
        uint48 quantity,
        address actor
    );

    /// @notice A unit's status changed; `party` is the party that changed it.
    event UnitStatusChanged(
        bytes32 indexed batchId,
        uint256 indexed index,
        uint64 indexed party,
        bytes32 unitHash,
        UnitStatus previous,
        UnitStatus status,
        address actor
    );

    /// @notice A unit that is no longer active was presented for dispensing: a genuine
    /// code on what is probably a fake box. `recordedParty` is the party that dispensed,
    /// destroyed or reported it stolen; `reportNo` counts the batch's reports.
    event SuspectUnitReported(
        bytes32 indexed batchId,
        uint256 indexed index,
        uint64 indexed reporter,
        bytes32 unitHash,
        UnitStatus status,
        uint64 recordedParty,
        uint256 reportNo,
        address actor
    );

    /// @notice The window in which a dispense may be undone changed.
    event DispenseUndoWindowSet(uint32 window);

    // ==== ERRORS ====

    /// @notice `caller` is not the consortium governor.
    error BatchRegistryOnlyGovernor(address caller);
    /// @notice The GTIN is not 14 digits with a valid GS1 check digit.
    error BatchRegistryInvalidGtin(uint64 gtin);
    /// @notice The national product code is not at most 7 digits.
    error BatchRegistryInvalidNationalCode(uint32 nationalCode);
    /// @notice A product with this GTIN is already registered.
    error BatchRegistryProductExists(uint64 gtin);
    /// @notice The national code is already used by product `gtin`.
    error BatchRegistryNationalCodeTaken(uint32 nationalCode, uint64 gtin);
    /// @notice A product needs a name and an approval number; a batch needs a lot.
    error BatchRegistryEmptyField(string field);
    /// @notice No product has this GTIN.
    error BatchRegistryUnknownProduct(uint64 gtin);
    /// @notice `party` is not the product's marketing-authorisation holder.
    error BatchRegistryNotProductHolder(uint64 gtin, uint64 party);
    /// @notice A batch with this id (GTIN and lot) already exists.
    error BatchRegistryBatchExists(bytes32 batchId);
    /// @notice The expiry is not after the manufacture date, or the manufacture date is in the future.
    error BatchRegistryInvalidDates(uint40 manufacturedAt, uint40 expiresAt);
    /// @notice The expiry has passed.
    error BatchRegistryExpiryInPast(uint40 expiresAt, uint40 now_);
    /// @notice A quantity was zero.
    error BatchRegistryZeroQuantity();
    /// @notice The units commitment is inconsistent: a root needs units, units need a
    /// root, and there cannot be more units than the quantity.
    error BatchRegistryInvalidUnits(bytes32 unitsRoot, uint48 unitCount, uint48 quantity);
    /// @notice No batch has this id.
    error BatchRegistryUnknownBatch(bytes32 batchId);
    /// @notice The batch has not been released for sale.
    error BatchRegistryNotReleased(bytes32 batchId);
    /// @notice The batch was already released.
    error BatchRegistryAlreadyReleased(bytes32 batchId);
    /// @notice Only the batch's manufacturer may do this; `party` is not it.
    error BatchRegistryNotManufacturer(bytes32 batchId, uint64 party);
    /// @notice The batch expired at `expiresAt`.
    error BatchRegistryBatchExpired(bytes32 batchId, uint40 expiresAt);
    /// @notice `party` holds `held` of the batch, less than the `requested` quantity.
    error BatchRegistryInsufficientStock(bytes32 batchId, uint64 party, uint256 held, uint256 requested);
    /// @notice A party cannot ship to itself.
    error BatchRegistrySelfShipment(uint64 party);
    /// @notice No shipment of this batch has this id.
    error BatchRegistryUnknownShipment(bytes32 batchId, bytes32 shipmentId);
    /// @notice The shipment is not in transit.
    error BatchRegistryShipmentClosed(bytes32 shipmentId, ShipmentStatus status);
    /// @notice `party` is not the shipment's receiver (receive, reject) or sender (cancel).
    error BatchRegistryNotShipmentParty(bytes32 shipmentId, uint64 party);
    /// @notice The proof does not show that unit `index` with this hash belongs to the batch.
    error BatchRegistryInvalidProof(bytes32 batchId, uint256 index);
    /// @notice The unit is locked and cannot be dispensed until it is reactivated.
    error BatchRegistryUnitLocked(bytes32 batchId, uint256 index);
    /// @notice The unit's status does not allow this change.
    error BatchRegistryInvalidUnitTransition(bytes32 batchId, uint256 index, UnitStatus current, UnitStatus requested);
    /// @notice Only `party`, which dispensed (or locked) the unit, may undo it.
    error BatchRegistryNotUnitParty(bytes32 batchId, uint256 index, uint64 party);
    /// @notice The dispense can no longer be undone: the window closed at `deadline`
    /// (or undo is disabled: a window of 0).
    error BatchRegistryUndoWindowClosed(bytes32 batchId, uint256 index, uint40 deadline);
    /// @notice An undo window longer than `max` seconds.
    error BatchRegistryInvalidUndoWindow(uint32 window, uint32 max);
    /// @notice The batch's effective collaborative state `state` (an id in the state
    /// graph, e.g. 1 = EmergencyStop in the pharmaceutical graph) halts trade.
    error BatchRegistryHalted(bytes32 batchId, uint8 state);
    /// @notice The batch's latest inspection is not a normal one: it cannot be released.
    error BatchRegistryNotInspected(bytes32 batchId);

    // ==== PRODUCTS ====

    /**
     * @notice Registers a product. Caller: an admin or operator of a manufacturer, which
     * becomes its marketing-authorisation holder.
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

    // ==== BATCHES ====

    /**
     * @notice Creates a batch of a product the caller's party holds, in production.
     * Caller: an admin or operator of the product's holder, which then holds `quantity`.
     * @return batchId `keccak256(abi.encode(gtin, lot))`.
     */
    function createBatch(BatchInput calldata input) external returns (bytes32 batchId);

    /**
     * @notice Releases a batch for sale. Caller: a `qa` member of the batch's manufacturer.
     * The batch's latest inspection ({IQualityEngine-observe}) must be normal.
     */
    function releaseBatch(bytes32 batchId) external;

    // ==== CUSTODY ====

    /**
     * @notice Ships `quantity` of a released, unexpired batch from the caller's party to
     * `to` (an active party in a distribution-capable domain). Caller: an admin or
     * operator of a party holding at least `quantity`.
     * @return shipmentId The new shipment's id.
     */
    function ship(bytes32 batchId, uint64 to, uint48 quantity) external returns (bytes32 shipmentId);

    /// @notice Credits an open shipment to its receiver. Caller: an admin or operator of the receiver.
    function receiveShipment(bytes32 batchId, bytes32 shipmentId) external;

    /// @notice Cancels an open shipment; the stock returns to the sender. Caller: its sender's admin or operator.
    function cancelShipment(bytes32 batchId, bytes32 shipmentId) external;

    /// @notice Rejects an open shipment; the stock returns to the sender. Caller: its receiver's admin or operator.
    function rejectShipment(bytes32 batchId, bytes32 shipmentId) external;

    // ==== UNITS ====

    /**
     * @notice Dispenses (decommissions) a unit at the point of care. Caller: an admin or
     * operator of a pharmacy or hospital. An active unit becomes `Dispensed` and one is
     * taken from the caller's party's stock (which must hold some). A unit that is
     * already dispensed, destroyed or stolen is not changed: the call records a suspect
     * unit ({SuspectUnitReported}) and returns `suspect = true`.
     */
    function dispense(UnitProof calldata unit) external returns (bool suspect);

    /**
     * @notice Undoes a dispense, by the party that dispensed, within the undo window;
     * the unit is active again and back in that party's stock.
     */
    function undoDispense(UnitProof calldata unit) external;

    /**
     * @notice Marks an active unit `Destroyed`, `Stolen` (both take one from the caller's
     * party's stock) or `Locked` (kept in stock, cannot be dispensed). Caller: an admin,
     * operator or qa member of a party holding stock of the batch.
     */
    function decommission(UnitProof calldata unit, UnitStatus status) external;

    /// @notice Reactivates a locked unit. Caller: a member (admin, operator, qa) of the party that locked it.
    function reactivate(UnitProof calldata unit) external;

    /**
     * @notice What is known of a unit: `Unknown` unless the proof shows it belongs to an
     * existing batch; else its status, or the batch's (unreleased, expired), or `Genuine`.
     * @return verdict The finding.
     * @return party The party that changed the unit's status last (0 if never).
     */
    function verify(UnitProof calldata unit) external view returns (UnitVerdict verdict, uint64 party);

    // ==== GOVERNANCE ====

    /// @notice Sets how long a dispense may be undone (seconds, at most 30 days; 0
    /// disables undo). It applies to every dispense still within it. Only the governor.
    function setDispenseUndoWindow(uint32 window) external;

    // ==== VIEWS ====

    /// @notice A product; reverts for an unknown GTIN.
    function getProduct(uint64 gtin) external view returns (Product memory);

    /// @notice The GTIN of the product with this national code (0 if none).
    function productOfNationalCode(uint32 nationalCode) external view returns (uint64 gtin);

    /// @notice A batch; reverts for an unknown id.
    function getBatch(bytes32 batchId) external view returns (Batch memory);

    /// @notice A batch's id: `keccak256(abi.encode(gtin, lot))`.
    function batchIdOf(uint64 gtin, string calldata lot) external pure returns (bytes32);

    /// @notice The quantity of `batchId` that `partyId` holds.
    function holding(bytes32 batchId, uint64 partyId) external view returns (uint256);

    /// @notice How many units of `batchId` `partyId` has dispensed (net of undos).
    function dispensedBy(bytes32 batchId, uint64 partyId) external view returns (uint256);

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

    /// @notice The quality engine this contract delegates unknown calls to (fixed per implementation).
    function engine() external view returns (address);
}
