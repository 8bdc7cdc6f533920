// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ISupplyLedger
 * @notice The vocabulary of the supply ledger — its types, events and errors — shared by
 * the code objects that run on the BatchRegistry proxy: {ICustody} (shipping, receiving,
 * dispensing: the hot paths, in `BatchRegistry` itself) and {IProductRegistry}
 * (products, batches, unit decommissioning and restoration, the views: in
 * `ProductRegistry`). {IBatchRegistry} is the whole supply ABI at the proxy; the
 * quality and collaboration engines ({IQualityEngine}, {ICollaborationEngine},
 * {ISuspectProduct}) answer at the same address.
 *
 * **The ledger.** Custody is kept by quantity, per batch and party ({Custody}): what it
 * holds (locked units included), what it shipped that is still in transit, what it
 * dispensed, and what its open suspect cases hold. At all times, per batch:
 * Σ held + Σ in transit + dispensed + destroyed + lost + quarantined + suspended = quantity,
 * where `dispensed`, `destroyed`, `lost` and `quarantined` are the batch's own counters and
 * `suspended` is what open suspect cases hold ({ISuspectProduct-suspectCount}).
 *
 * **Units** are not tied to who holds them (custody is a quantity, not a list of boxes), so
 * every unit action is bounded by the actor's own stock: dispensing, destroying or
 * reporting stolen takes one unit from the actor's available stock (held less locked), and
 * locking sets one aside. A wrongly marked unit is put right by the regulator
 * ({IProductRegistry-restoreUnit}), which credits the stock back to the party named in the
 * unit's record: the owner of the mistake.
 *
 * Every change emits an event carrying what it wrote, so the log rebuilds the state.
 */
interface ISupplyLedger {
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

    /// @notice What {ICustody-verify} finds for a unit code and proof.
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

    /// @notice A product as stored (and a pending application for one). The first five
    /// fields fit in one slot (read by every trade and observation): `state` is the
    /// product's collaborative-state byte (bit 7: halts trade; bits 0–6: state id) and
    /// `limits` its packed quality limits, both written by the quality engine
    /// ({IQualityEngine-rulesOf} decodes them). For an application, `holder` is the
    /// applicant and `registeredAt` the time it applied.
    struct Product {
        uint64 holder;
        uint32 nationalCode;
        uint48 registeredAt;
        uint8 state;
        uint104 limits;
        string name;
        string approvalNo;
    }

    /// @notice A batch as stored. The first eight fields fit in one slot, read by every
    /// ship, receive, verify, dispense and observation (`dispensed` is written by every
    /// dispense, in that slot); the root in a second; the rest in a third. `state` is the
    /// batch's own collaborative-state byte (bit 7: halts trade; bits 0–6: state id), `flags`
    /// bit 0 says its latest inspection was normal and bit 1 that a basket has dispensed
    /// units of it (`IBulkCustody`), and `observations` counts its
    /// observations (an observation's `seq` is its number). `quarantined` is recalled stock
    /// returned to the product's holder, awaiting destruction. The manufacturer's party id
    /// is kept in 24 bits, as unit records keep theirs.
    // solhint-disable-next-line gas-struct-packing
    struct Batch {
        uint64 gtin;
        uint40 expiresAt;
        BatchStatus status;
        uint48 quantity;
        uint8 state;
        uint8 flags;
        uint32 observations;
        uint48 dispensed;
        bytes32 unitsRoot;
        uint40 manufacturedAt;
        uint48 unitCount;
        uint48 destroyed;
        uint48 lost;
        uint24 manufacturer;
        uint48 quarantined;
    }

    /// @notice A party's custody of a batch: fits in one slot. `held` includes the `locked`
    /// units (which cannot be shipped, dispensed or returned until reactivated);
    /// `inTransit` is what it shipped that is not yet received, cancelled or rejected (it
    /// comes back to it unless received); `suspended` is what its open suspect cases hold;
    /// `shipments` numbers its shipments of the batch (shipment ids need no global counter).
    struct Custody {
        uint48 held;
        uint48 inTransit;
        uint48 dispensed;
        uint48 suspended;
        uint32 locked;
        uint32 shipments;
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

    /// @notice `applicant` (a manufacturer) applied to register a product; the regulator's
    /// approval registers it ({ProductRegistered}). A later application by the same party
    /// replaces this one.
    event ProductApplied(
        uint64 indexed gtin,
        uint64 indexed applicant,
        uint32 nationalCode,
        string name,
        string approvalNo,
        address actor
    );

    /// @notice A product was registered with `holder` as its marketing-authorisation holder:
    /// the regulator (`actor`) approved `holder`'s application.
    event ProductRegistered(
        uint64 indexed gtin,
        uint64 indexed holder,
        uint32 nationalCode,
        string name,
        string approvalNo,
        address actor
    );

    /// @notice Governance gave the product a new holder and/or national code (0: none).
    event ProductReassigned(
        uint64 indexed gtin,
        uint64 indexed previousHolder,
        uint64 indexed holder,
        uint32 previousNationalCode,
        uint32 nationalCode,
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

    /// @notice `quantity` of `batchId` left `from`'s stock for `to` (it counts in `from`'s
    /// `inTransit` until the shipment closes). The shipment's `seq` is the number of earlier
    /// {Shipped} events of the same batch and sender (its id is
    /// `keccak256(abi.encode(batchId, from, seq))`); left out of the event to keep `ship`
    /// within its gas budget.
    event Shipped(
        bytes32 indexed shipmentId,
        bytes32 indexed batchId,
        uint64 indexed from,
        uint64 to,
        uint48 quantity,
        address actor
    );

    /// @notice An open shipment closed as `status` (Received, Cancelled or Rejected);
    /// its quantity left its sender's `inTransit` and was credited to `creditedParty` (the
    /// receiver, or back to the sender).
    event ShipmentClosed(
        bytes32 indexed shipmentId,
        bytes32 indexed batchId,
        uint64 indexed creditedParty,
        ShipmentStatus status,
        uint48 quantity,
        address actor
    );

    /// @notice A unit's status changed; `party` is the party that changed it (and whose
    /// stock the change took from or set aside; for a restoration, the regulator).
    event UnitStatusChanged(
        bytes32 indexed batchId,
        uint256 indexed index,
        uint64 indexed party,
        bytes32 unitHash,
        UnitStatus previous,
        UnitStatus status,
        address actor
    );

    /// @notice The regulator (`regulator`, through `actor`) restored a unit that was
    /// `previous` to active, crediting the stock back to `creditedParty`, the party that had
    /// marked it (a {UnitStatusChanged} to Active precedes this event).
    event UnitRestored(
        bytes32 indexed batchId,
        uint256 indexed index,
        uint64 indexed creditedParty,
        UnitStatus previous,
        uint64 regulator,
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

    /// @notice The code was called at its own address, not through the BatchRegistry proxy.
    error BatchRegistryDirectCall();
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
    /// @notice `applicant` has no pending application for this GTIN.
    error BatchRegistryUnknownApplication(uint64 gtin, uint64 applicant);
    /// @notice `applicant`'s application is no longer the one approved: its hash is now
    /// `current`, not `approved` (it was replaced after the regulator examined it).
    error BatchRegistryApplicationChanged(uint64 gtin, uint64 applicant, bytes32 approved, bytes32 current);
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
    /// @notice `party` has `available` of the batch (held, less its locked units), less than
    /// the `requested` quantity.
    error BatchRegistryInsufficientStock(bytes32 batchId, uint64 party, uint256 available, uint256 requested);
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
    /// @notice The unit was dispensed in a basket: only `undoBasket`, by the party that
    /// dispensed it, or the regulator's `restoreBasketUnit` undoes that.
    error BatchRegistryDispensedInBasket(bytes32 batchId, uint256 index);
    /// @notice The batch's latest inspection is not a normal one: it cannot be released.
    error BatchRegistryNotInspected(bytes32 batchId);
}
