// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISupplyLedger} from "./ISupplyLedger.sol";

/**
 * @title IBulkCustody
 * @notice Custody at national scale, run by the `BulkCustody` code object behind the
 * BatchRegistry proxy: call it at the proxy's address.
 *
 * - **Baskets.** {dispenseBasket} dispenses many units, of one or more batches, in one
 *   transaction, each batch's units proved together by one Merkle multiproof. Each unit
 *   gets its own outcome ({BasketOutcome}): dispensed; suspect (it is not active: already
 *   dispensed, destroyed, stolen or locked; reported by {ISupplyLedger-SuspectUnitReported}
 *   exactly as a single dispense reports it); or refused for a stated reason. One bad unit
 *   does not revert the others. A basket-dispensed unit costs one bit of permanent state:
 *   its unit record stays as it was and a per-batch bitmap marks it dispensed, so
 *   {ICustody-verify} and every unit read report it `Dispensed`, with party 0; who
 *   dispensed it, and when, is in the {BasketDispensed} and {UnitsDispensed} events and in a
 *   per-basket commitment, which {undoBasket} checks. A basket's commitment is kept only
 *   while it can be undone: each new basket of the party deletes its oldest basket whose
 *   undo window has closed.
 * - **Pallets.** {shipPallet} ships many lines (batch, quantity) to one receiver in one
 *   transaction, as an advance shipping notice does; the receiver receives or rejects it
 *   whole, the sender cancels it whole. Each line moves stock exactly as a single
 *   shipment does (the sender's `held` to its `inTransit`, then to the receiver's or back),
 *   so conservation, the halted-batch checks and recall accounting hold per line. The
 *   pallet stores a hash of its lines; the closing calls restate them.
 */
interface IBulkCustody is ISupplyLedger {
    // ==== TYPES ====

    /// @notice What happened to one unit of a basket.
    enum BasketOutcome {
        /// The unit was active: it is dispensed now.
        Dispensed,
        /// The unit was not active: a suspect unit was reported; nothing else changed.
        Suspect,
        /// The group's multiproof does not prove its units belong to the batch.
        InvalidProof,
        /// No batch has the group's id.
        UnknownBatch,
        /// The batch is not released for sale.
        NotReleased,
        /// The batch has expired.
        Expired,
        /// The batch's effective state (its own, or its product's) halts trade.
        Halted,
        /// The dispensing party has no more available stock of the batch.
        NoStock
    }

    /// @notice A unit presented in a basket. `prescription` is a reference to the
    /// prescription it is dispensed against (0: none); it is recorded, not yet checked.
    struct BasketUnit {
        uint256 index;
        bytes32 unitHash;
        bytes32 prescription;
    }

    /// @notice One batch's units in a basket, with their Merkle multiproof (OpenZeppelin's
    /// `getMultiProof` of the batch's unit tree: `units` in the order of its `leaves`).
    struct BasketGroup {
        bytes32 batchId;
        BasketUnit[] units;
        bytes32[] proof;
        bool[] proofFlags;
    }

    /// @notice A dispensed unit as a basket's commitment lists it.
    struct BasketItem {
        bytes32 batchId;
        uint256 index;
        bytes32 prescription;
    }

    /// @notice One line of a pallet.
    struct PalletLine {
        bytes32 batchId;
        uint48 quantity;
    }

    /// @notice A pallet as stored: two slots. `linesHash` is `keccak256(abi.encode(lines))`.
    struct Pallet {
        uint48 from;
        uint48 to;
        uint32 seq;
        uint16 lineCount;
        uint40 shippedAt;
        ShipmentStatus status;
        bytes32 linesHash;
    }

    // ==== EVENTS ====

    /**
     * @notice Units of `batchId` were dispensed by `party` in basket `basketId`: their
     * indices and prescription references, in the basket's order. Each leaves `party`'s
     * stock of the batch and counts in its `dispensed` and the batch's.
     */
    event UnitsDispensed(
        bytes32 indexed batchId,
        bytes32 indexed basketId,
        uint64 indexed party,
        uint256[] indices,
        bytes32[] prescriptions
    );

    /**
     * @notice `party`'s basket number `seq` was presented: `dispensed` units dispensed
     * ({UnitsDispensed}), `suspect` reported, `refused` refused. `commitment` is the chain
     * hash of its dispensed units ({basketCommitment}; 0 if none), stored with the block's
     * time for {undoBasket}.
     */
    event BasketDispensed(
        bytes32 indexed basketId,
        uint64 indexed party,
        uint32 seq,
        uint32 dispensed,
        uint32 suspect,
        uint32 refused,
        bytes32 commitment,
        address actor
    );

    /**
     * @notice `party` undid the dispense of these units of its basket: each is active again
     * and back in its stock. `commitment` is the basket's new commitment (0: nothing of it
     * is dispensed any more, and its record is deleted).
     */
    event BasketUndone(
        bytes32 indexed basketId,
        uint64 indexed party,
        bytes32[] batchIds,
        uint256[] indices,
        bytes32 commitment,
        address actor
    );

    /// @notice A basket's record was deleted: its undo window had closed.
    event BasketExpired(bytes32 indexed basketId, uint64 indexed party);

    /**
     * @notice `from` shipped pallet `palletId` (its `seq`-th) to `to`: each line's quantity
     * left `from`'s stock of that batch for its `inTransit`.
     */
    event PalletShipped(
        bytes32 indexed palletId,
        uint64 indexed from,
        uint64 indexed to,
        uint32 seq,
        PalletLine[] lines,
        address actor
    );

    /**
     * @notice An open pallet closed as `status` (Received, Cancelled or Rejected): every
     * line left its sender's `inTransit` and was credited to `creditedParty` (the receiver,
     * or back to the sender).
     */
    event PalletClosed(
        bytes32 indexed palletId,
        uint64 indexed creditedParty,
        ShipmentStatus status,
        address actor
    );

    // ==== ERRORS ====

    /// @notice A basket needs 1 to `max` units, and every group at least one.
    error BatchRegistryInvalidBasketSize(uint256 count, uint256 max);
    /// @notice The caller's party has no basket `basketId` open to undo.
    error BatchRegistryUnknownBasket(bytes32 basketId);
    /// @notice The units restated for basket `basketId` are not the ones its commitment holds.
    error BatchRegistryBasketMismatch(bytes32 basketId);
    /// @notice The basket can no longer be undone: the window closed at `deadline` (or undo
    /// is disabled: a window of 0).
    error BatchRegistryBasketUndoClosed(bytes32 basketId, uint40 deadline);
    /// @notice The positions to undo must be increasing and within the basket's `count` units.
    error BatchRegistryInvalidBasketPosition(uint256 position, uint256 count);
    /// @notice Unit `index` of `batchId` changed since basket `basketId` dispensed it (the
    /// regulator restored it, and another basket may have dispensed it since): the basket
    /// can no longer undo it.
    error BatchRegistryBasketUnitChanged(bytes32 basketId, bytes32 batchId, uint256 index);
    /// @notice A pallet needs 1 to `max` lines.
    error BatchRegistryInvalidLineCount(uint256 count, uint256 max);
    /// @notice No pallet has this id.
    error BatchRegistryUnknownPallet(bytes32 palletId);
    /// @notice The lines restated for pallet `palletId` are not the ones it was shipped with.
    error BatchRegistryPalletMismatch(bytes32 palletId);

    // ==== BASKETS ====

    /**
     * @notice Dispenses a basket. Caller: an admin or operator of a pharmacy or hospital.
     * Each group's multiproof is checked once; then, unit by unit: a unit that is not
     * active is reported as suspect (whatever the batch's state); an active unit of a batch
     * that cannot be sold (unknown, unreleased, expired, halted) or of which the party has
     * no available stock left is refused; any other is dispensed. Nothing reverts for a
     * unit's sake.
     * @param groups The units, grouped by batch (1 to 256 units in all).
     * @return basketId The basket's id, `keccak256(abi.encode(party, seq))`.
     * @return outcomes Each unit's outcome, in the order of the groups and their units.
     */
    function dispenseBasket(
        BasketGroup[] calldata groups
    ) external returns (bytes32 basketId, BasketOutcome[] memory outcomes);

    /**
     * @notice Undoes the dispense of some units of one of the caller's party's baskets,
     * within the undo window (counted from the basket). Caller: an admin or operator of the
     * party that dispensed it.
     * @param seq The basket's number among the party's baskets.
     * @param items The units the basket's commitment holds now, in order (its
     * {UnitsDispensed} events, less what was undone before).
     * @param positions Which of `items` to undo, increasing.
     */
    function undoBasket(uint32 seq, BasketItem[] calldata items, uint256[] calldata positions) external;

    /**
     * @notice Restores a unit dispensed in a basket to active: the regulator's correction
     * of a wrong basket dispense, at any time (a basket's own record lasts only its undo
     * window). The chain keeps no dispenser per basket unit, so the regulator names it,
     * `dispenser`, from the unit's {UnitsDispensed} event; the unit goes back into that
     * party's stock, which must count at least one dispensed unit of the batch; the basket
     * that dispensed it can no longer undo it ({BatchRegistryBasketUnitChanged}). Emits
     * {ISupplyLedger-UnitStatusChanged} (the unit's record now names the regulator) and
     * {ISupplyLedger-UnitRestored}. Caller: an admin or operator of a regulator. Refused
     * while the batch halts trade.
     */
    function restoreBasketUnit(UnitProof calldata unit, uint64 dispenser) external;

    /// @notice The commitment of a basket's dispensed units: for each in order,
    /// `c = keccak256(abi.encode(c, batchId, index, prescription))`, from `c = 0`.
    function basketCommitment(BasketItem[] calldata items) external pure returns (bytes32);

    /**
     * @notice A basket open to undo.
     * @return at When it was dispensed (0: no such basket open to undo).
     * @return commitment Its commitment's first 216 bits (the rest are zero).
     */
    function basketRecord(uint64 party, uint32 seq) external view returns (uint40 at, bytes32 commitment);

    /**
     * @notice A party's basket and pallet counters.
     * @return baskets How many baskets it has presented (the next basket's `seq`).
     * @return oldestOpen The oldest of its baskets whose record may still exist.
     * @return pallets How many pallets it has shipped (the next pallet's `seq`).
     */
    function bulkCounters(uint64 party) external view returns (uint32 baskets, uint32 oldestOpen, uint32 pallets);

    // ==== PALLETS ====

    /**
     * @notice Ships a pallet of released, unexpired, tradable batches from the caller's
     * party to `to` (an active party in a distribution-capable domain): every line's
     * quantity from its available stock. Caller: an admin or operator of the sender.
     * @param lines 1 to 256 lines, each a non-zero quantity of a batch.
     * @return palletId The pallet's id, `keccak256(abi.encode("pallet", from, seq))`.
     */
    function shipPallet(uint64 to, PalletLine[] calldata lines) external returns (bytes32 palletId);

    /// @notice Credits an open pallet to its receiver, whole; no line's batch may halt
    /// trade. Caller: an admin or operator of the receiver.
    function receivePallet(bytes32 palletId, PalletLine[] calldata lines) external;

    /// @notice Cancels an open pallet; every line returns to the sender. Caller: its sender's admin or operator.
    function cancelPallet(bytes32 palletId, PalletLine[] calldata lines) external;

    /// @notice Rejects an open pallet; every line returns to the sender. Caller: its receiver's admin or operator.
    function rejectPallet(bytes32 palletId, PalletLine[] calldata lines) external;

    /// @notice A pallet as stored (all zero: no such pallet).
    function getPallet(bytes32 palletId) external view returns (Pallet memory);
}
