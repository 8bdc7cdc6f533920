// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {MembershipGate} from "../identity/MembershipGate.sol";
import {IBulkCustody} from "../interfaces/IBulkCustody.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {SupplyBase} from "./SupplyBase.sol";

/**
 * @title BulkCustody
 * @notice Baskets and pallets ({IBulkCustody}): a code object that runs on the
 * BatchRegistry proxy's storage, reached through its routing table by delegatecall. It has
 * no storage, constructor state or initializer of its own (its registry is immutable), and
 * refuses every write at its own address.
 */
contract BulkCustody is IBulkCustody, SupplyBase {
    using SafeCast for uint256;

    // ==== CONSTANTS ====

    /// The most units in a basket and lines in a pallet: bounds every loop.
    uint256 private constant _MAX_BASKET_UNITS = 256;
    uint256 private constant _MAX_PALLET_LINES = 256;

    uint256 private constant _TIME_BITS = 40;
    uint256 private constant _TIME_MASK = (1 << _TIME_BITS) - 1;

    /// A basket being dispensed: who, its id, each unit's outcome so far (`at`: the next
    /// unit's position), the commitment so far and the counts.
    struct Run {
        uint64 party;
        bytes32 basketId;
        BasketOutcome[] outcomes;
        uint256 at;
        bytes32 commitment;
        uint256 dispensed;
        uint256 suspect;
    }

    /// One batch's units being dispensed: why they cannot be (`Dispensed`: they can), the
    /// party's available stock, and the units dispensed so far.
    struct Lot {
        bytes32 batchId;
        BasketOutcome refusal;
        uint256 available;
        uint256 dispensed;
        uint256[] indices;
        bytes32[] prescriptions;
    }

    // ==== CONSTRUCTOR ====

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(IConsortiumRegistry registry_) MembershipGate(registry_) {}

    // ==== BASKETS ====

    /// @inheritdoc IBulkCustody
    function dispenseBasket(
        BasketGroup[] calldata groups
    ) external returns (bytes32 basketId, BasketOutcome[] memory outcomes) {
        (uint64 party, ) = _member(_ACTORS, _DISPENSERS);
        SupplyStorage.Layout storage $ = _storage();
        uint256 counters = $.bulkCounters[party];
        uint32 seq = uint32(counters);
        basketId = keccak256(abi.encode(party, seq));
        counters = _expireOldest($, party, counters, seq);
        // 2^32 baskets of one party cannot happen.
        unchecked {
            $.bulkCounters[party] = (counters & ~uint256(type(uint32).max)) | (seq + 1);
        }

        Run memory run = Run({
            party: party,
            basketId: basketId,
            outcomes: new BasketOutcome[](_basketSize(groups)),
            at: 0,
            commitment: 0,
            dispensed: 0,
            suspect: 0
        });
        for (uint256 g = 0; g < groups.length; ++g) _dispenseGroup(groups[g], run);
        if (run.dispensed != 0) {
            $.baskets[basketId] = (uint256(run.commitment) & ~_TIME_MASK) | block.timestamp;
        }
        outcomes = run.outcomes;
        // Counts within the basket's 256 units.
        emit BasketDispensed(
            basketId,
            party,
            seq,
            uint32(run.dispensed),
            uint32(run.suspect),
            uint32(outcomes.length - run.dispensed - run.suspect),
            run.dispensed == 0 ? bytes32(0) : run.commitment,
            _msgSender()
        );
    }

    /// @inheritdoc IBulkCustody
    function undoBasket(uint32 seq, BasketItem[] calldata items, uint256[] calldata positions) external {
        (uint64 party, ) = _member(_ACTORS, _DISPENSERS);
        SupplyStorage.Layout storage $ = _storage();
        bytes32 basketId = keccak256(abi.encode(party, seq));
        uint256 record = $.baskets[basketId];
        if (record == 0) revert BatchRegistryUnknownBasket(basketId);
        if (_commit(items) & ~bytes32(_TIME_MASK) != bytes32(record & ~_TIME_MASK)) {
            revert BatchRegistryBasketMismatch(basketId);
        }
        uint32 window = $.dispenseUndoWindow;
        uint40 deadline = uint40(record) + window;
        if (window == 0 || block.timestamp > deadline) revert BatchRegistryBasketUndoClosed(basketId, deadline);
        if (positions.length == 0) revert BatchRegistryInvalidBasketPosition(0, items.length);
        (bytes32 commitment, bytes32[] memory batchIds, uint256[] memory indices) = _undoItems(
            items,
            positions,
            party,
            basketId,
            record & _TIME_MASK
        );
        bool emptied = positions.length == items.length;
        if (emptied) {
            delete $.baskets[basketId];
        } else {
            $.baskets[basketId] = (uint256(commitment) & ~_TIME_MASK) | (record & _TIME_MASK);
        }
        emit BasketUndone(basketId, party, batchIds, indices, emptied ? bytes32(0) : commitment, _msgSender());
    }

    /// @inheritdoc IBulkCustody
    function restoreBasketUnit(UnitProof calldata unit, uint64 dispenser) external {
        (uint64 regulator, ) = _member(_ACTORS, _REGULATOR);
        SupplyStorage.Layout storage $ = _storage();
        Batch storage batch = _batch(unit.batchId);
        _checkProof(batch, unit);
        (UnitStatus status, uint64 recorded, ) = _unit(unit.batchId, unit.index);
        // Only a basket-dispensed unit reads as Dispensed by party 0.
        if (status != UnitStatus.Dispensed || recorded != 0) {
            revert BatchRegistryInvalidUnitTransition(unit.batchId, unit.index, status, UnitStatus.Active);
        }
        _checkTrading(unit.batchId, batch);
        Custody storage stock = $.holdings[unit.batchId][dispenser];
        if (stock.dispensed == 0) revert BatchRegistryNotUnitParty(unit.batchId, unit.index, dispenser);
        $.basketUnits[unit.batchId][unit.index >> 8] &= ~(1 << (unit.index & 255));
        $.basketRestores[unit.batchId][unit.index] = block.timestamp;
        // The dispenser's and the batch's dispensed counts are ≥ 1 (checked, and the batch's
        // includes the party's); held stays within the batch's quantity.
        unchecked {
            --stock.dispensed;
            ++stock.held;
            --batch.dispensed;
        }
        _setUnit(unit, regulator, UnitStatus.Dispensed, UnitStatus.Active);
        emit UnitRestored(unit.batchId, unit.index, dispenser, UnitStatus.Dispensed, regulator, _msgSender());
    }

    /// @inheritdoc IBulkCustody
    function basketCommitment(BasketItem[] calldata items) external pure returns (bytes32) {
        return _commit(items);
    }

    /// @inheritdoc IBulkCustody
    function basketRecord(uint64 party, uint32 seq) external view returns (uint40 at, bytes32 commitment) {
        uint256 record = _storage().baskets[keccak256(abi.encode(party, seq))];
        return (uint40(record), bytes32(record & ~_TIME_MASK));
    }

    /// @inheritdoc IBulkCustody
    function bulkCounters(uint64 party) external view returns (uint32 baskets, uint32 oldestOpen, uint32 pallets) {
        uint256 counters = _storage().bulkCounters[party];
        return (uint32(counters), uint32(counters >> 32), uint32(counters >> 64));
    }

    // ==== PALLETS ====

    /// @inheritdoc IBulkCustody
    function shipPallet(uint64 to, PalletLine[] calldata lines) external returns (bytes32 palletId) {
        (uint64 from, ) = _member(_ACTORS, _CUSTODIANS);
        _checkLineCount(lines.length);
        if (to == from) revert BatchRegistrySelfShipment(from);
        _requireParty(to, _CUSTODIANS);
        SupplyStorage.Layout storage $ = _storage();
        for (uint256 i = 0; i < lines.length; ++i) {
            PalletLine calldata line = lines[i];
            Batch storage batch = _batch(line.batchId);
            _checkSellable(line.batchId, batch);
            _checkTrading(line.batchId, batch);
            uint48 quantity = line.quantity;
            if (quantity == 0) revert BatchRegistryZeroQuantity();
            Custody storage stock = _take(line.batchId, from, quantity);
            // What is in transit stays within the batch's quantity (< 2^48).
            unchecked {
                stock.inTransit += quantity;
            }
        }
        uint256 counters = $.bulkCounters[from];
        uint32 seq = uint32(counters >> 64);
        // 2^32 pallets of one party cannot happen.
        unchecked {
            $.bulkCounters[from] = (counters & ~(uint256(type(uint32).max) << 64)) | (uint256(seq + 1) << 64);
        }
        palletId = keccak256(abi.encode("pallet", from, seq));
        $.pallets[palletId] = Pallet({
            // A party holds stock only if its id fits 24 bits (createBatch) or 48 (receiving).
            from: uint48(from),
            to: uint256(to).toUint48(),
            seq: seq,
            lineCount: uint16(lines.length),
            shippedAt: uint40(block.timestamp),
            status: ShipmentStatus.InTransit,
            linesHash: keccak256(abi.encode(lines))
        });
        emit PalletShipped(palletId, from, to, seq, lines, _msgSender());
    }

    /// @inheritdoc IBulkCustody
    function receivePallet(bytes32 palletId, PalletLine[] calldata lines) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Pallet storage pallet = _openPallet(palletId, lines);
        if (pallet.to != party) revert BatchRegistryNotShipmentParty(palletId, party);
        _closePallet(palletId, pallet, lines, ShipmentStatus.Received, party, true);
    }

    /// @inheritdoc IBulkCustody
    function cancelPallet(bytes32 palletId, PalletLine[] calldata lines) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Pallet storage pallet = _openPallet(palletId, lines);
        if (pallet.from != party) revert BatchRegistryNotShipmentParty(palletId, party);
        _closePallet(palletId, pallet, lines, ShipmentStatus.Cancelled, party, false);
    }

    /// @inheritdoc IBulkCustody
    function rejectPallet(bytes32 palletId, PalletLine[] calldata lines) external {
        (uint64 party, ) = _member(_ACTORS, _CUSTODIANS);
        Pallet storage pallet = _openPallet(palletId, lines);
        if (pallet.to != party) revert BatchRegistryNotShipmentParty(palletId, party);
        _closePallet(palletId, pallet, lines, ShipmentStatus.Rejected, pallet.from, false);
    }

    /// @inheritdoc IBulkCustody
    function getPallet(bytes32 palletId) external view returns (Pallet memory) {
        return _storage().pallets[palletId];
    }

    // ==== MODULE ====

    /// @notice The consortium registry this code was built for (the BatchRegistry checks it;
    /// at the proxy, `registry()` is the BatchRegistry's own, the same address).
    function registry() external view returns (address) {
        return address(_consortium());
    }

    // ==== INTERNAL: BASKETS ====

    /// Counts the basket's units: 1 to 256 in all, none of its groups empty.
    function _basketSize(BasketGroup[] calldata groups) private pure returns (uint256 size) {
        for (uint256 g = 0; g < groups.length; ++g) {
            uint256 units = groups[g].units.length;
            if (units == 0) revert BatchRegistryInvalidBasketSize(0, _MAX_BASKET_UNITS);
            size += units;
        }
        if (size == 0 || size > _MAX_BASKET_UNITS) revert BatchRegistryInvalidBasketSize(size, _MAX_BASKET_UNITS);
    }

    /// Deletes the party's oldest basket record if its undo window has closed (or it has
    /// none), so that a party keeps records only for the baskets it may still undo.
    function _expireOldest(
        SupplyStorage.Layout storage $,
        uint64 party,
        uint256 counters,
        uint32 seq
    ) private returns (uint256) {
        uint32 oldest = uint32(counters >> 32);
        if (oldest >= seq) return counters;
        bytes32 oldestId = keccak256(abi.encode(party, oldest));
        uint256 record = $.baskets[oldestId];
        if (record != 0) {
            if (block.timestamp <= (record & _TIME_MASK) + $.dispenseUndoWindow) return counters;
            delete $.baskets[oldestId];
            emit BasketExpired(oldestId, party);
        }
        // oldest < seq < 2^32.
        unchecked {
            return (counters & ~(uint256(type(uint32).max) << 32)) | (uint256(oldest + 1) << 32);
        }
    }

    /// Dispenses one batch's units, recording each one's outcome in `run`.
    function _dispenseGroup(BasketGroup calldata group, Run memory run) private {
        bytes32 batchId = group.batchId;
        uint256 size = group.units.length;
        Batch storage batch = _storage().batches[batchId];
        BasketOutcome refusal = _groupRefusal(group, batch);
        if (refusal == BasketOutcome.InvalidProof || refusal == BasketOutcome.UnknownBatch) {
            // Nothing is known of these units: refused, nothing reported.
            for (uint256 i = 0; i < size; ++i) run.outcomes[run.at + i] = refusal;
            run.at += size;
            return;
        }
        Custody storage stock = _storage().holdings[batchId][run.party];
        Lot memory lot = Lot({
            batchId: batchId,
            refusal: refusal,
            available: refusal == BasketOutcome.Dispensed ? _available(stock) : 0,
            dispensed: 0,
            indices: new uint256[](size),
            prescriptions: new bytes32[](size)
        });
        for (uint256 i = 0; i < size; ++i) run.outcomes[run.at + i] = _dispenseUnit(group.units[i], lot, run);
        run.at += size;
        uint256 dispensed = lot.dispensed;
        if (dispensed == 0) return;
        run.dispensed += dispensed;
        // dispensed ≤ available ≤ held; dispensed counters stay within the batch's quantity.
        unchecked {
            stock.held -= uint48(dispensed);
            stock.dispensed += uint48(dispensed);
            batch.dispensed += uint48(dispensed);
        }
        // In the slot just written: from now on, unit reads of the batch consult its bitmap.
        uint8 flags = batch.flags;
        if (flags & SupplyStorage.IN_BASKETS == 0) batch.flags = flags | SupplyStorage.IN_BASKETS;
        uint256[] memory indices = lot.indices;
        bytes32[] memory prescriptions = lot.prescriptions;
        assembly ("memory-safe") {
            mstore(indices, dispensed)
            mstore(prescriptions, dispensed)
        }
        emit UnitsDispensed(batchId, run.basketId, run.party, indices, prescriptions);
    }

    /// One unit of a group: suspect if it is not active; else refused for the group's
    /// reason or for want of stock; else dispensed (its bit set, listed, committed).
    function _dispenseUnit(BasketUnit calldata unit, Lot memory lot, Run memory run) private returns (BasketOutcome) {
        if (_present(lot.batchId, unit, run.party) == BasketOutcome.Suspect) {
            ++run.suspect;
            return BasketOutcome.Suspect;
        }
        if (lot.refusal != BasketOutcome.Dispensed) return lot.refusal;
        uint256 n = lot.dispensed;
        if (n == lot.available) return BasketOutcome.NoStock;
        uint256 index = unit.index;
        _storage().basketUnits[lot.batchId][index >> 8] |= 1 << (index & 255);
        lot.indices[n] = index;
        lot.prescriptions[n] = unit.prescription;
        lot.dispensed = n + 1;
        run.commitment = keccak256(abi.encode(run.commitment, lot.batchId, index, unit.prescription));
        return BasketOutcome.Dispensed;
    }

    /// A basket unit as found: `Dispensed` if it is active (it may be), else `Suspect`,
    /// reported as a single dispense reports it.
    function _present(bytes32 batchId, BasketUnit calldata unit, uint64 party) private returns (BasketOutcome) {
        // A basket reads the batch's bitmap whatever its flag says: its units may repeat.
        (UnitStatus status, uint64 recordedParty, ) = _unitOf(batchId, unit.index, true);
        if (status == UnitStatus.Active) return BasketOutcome.Dispensed;
        emit SuspectUnitReported(
            batchId,
            unit.index,
            party,
            unit.unitHash,
            status,
            recordedParty,
            ++_storage().suspectReports[batchId],
            _msgSender()
        );
        return BasketOutcome.Suspect;
    }

    /// Why a group's active units cannot be dispensed (`Dispensed`: they can): the proof, or
    /// the batch's existence, release, expiry or trade state.
    function _groupRefusal(BasketGroup calldata group, Batch storage batch) private view returns (BasketOutcome) {
        BatchStatus status = batch.status;
        if (status == BatchStatus.None) return BasketOutcome.UnknownBatch;
        BasketUnit[] calldata units = group.units;
        bytes32[] memory leaves = new bytes32[](units.length);
        for (uint256 i = 0; i < units.length; ++i) {
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(units[i].index, units[i].unitHash))));
        }
        if (
            !_wellFormed(group, units.length) ||
            !MerkleProof.multiProofVerifyCalldata(group.proof, group.proofFlags, batch.unitsRoot, leaves)
        ) return BasketOutcome.InvalidProof;
        if (status != BatchStatus.Released) return BasketOutcome.NotReleased;
        if (block.timestamp >= batch.expiresAt) return BasketOutcome.Expired;
        uint8 halts = (batch.state | _storage().products[batch.gtin].state) & SupplyStorage.HALTS;
        if (halts != 0) return BasketOutcome.Halted;
        return BasketOutcome.Dispensed;
    }

    /// Puts a dispensed basket unit back: active, in `party`'s stock. Not while its batch halts.
    function _restock(BasketItem calldata item, uint64 party, bytes32 basketId, uint256 at) private {
        SupplyStorage.Layout storage $ = _storage();
        Batch storage batch = $.batches[item.batchId];
        _checkTrading(item.batchId, batch);
        uint256 index = item.index;
        mapping(uint256 => uint256) storage bits = $.basketUnits[item.batchId];
        uint256 word = bits[index >> 8];
        uint256 mask = 1 << (index & 255);
        // The commitment holds only units this basket dispensed and did not undo; only a
        // basket's undo and the regulator's restoreBasketUnit clear a unit's bit, and the
        // latter is timed. A unit whose bit is clear, or that was restored since this basket
        // dispensed it (and perhaps dispensed again by another basket), is not this basket's
        // to undo any more.
        if (word & mask == 0 || $.basketRestores[item.batchId][index] >= at) {
            revert BatchRegistryBasketUnitChanged(basketId, item.batchId, index);
        }
        bits[index >> 8] = word & ~mask;
        Custody storage stock = $.holdings[item.batchId][party];
        // This party dispensed the unit and nobody has restored it since, so its `dispensed`
        // and the batch's are ≥ 1, and the stock it left fits again.
        unchecked {
            --stock.dispensed;
            ++stock.held;
            --batch.dispensed;
        }
    }

    /// Restocks the items at `positions` (increasing, each within `items`); returns the
    /// commitment of the others and what was restocked.
    function _undoItems(
        BasketItem[] calldata items,
        uint256[] calldata positions,
        uint64 party,
        bytes32 basketId,
        uint256 at
    ) private returns (bytes32 commitment, bytes32[] memory batchIds, uint256[] memory indices) {
        uint256 count = positions.length;
        batchIds = new bytes32[](count);
        indices = new uint256[](count);
        uint256 next = 0; // the next entry of `positions`
        for (uint256 i = 0; i < items.length; ++i) {
            BasketItem calldata item = items[i];
            if (next < count && positions[next] == i) {
                _restock(item, party, basketId, at);
                batchIds[next] = item.batchId;
                indices[next] = item.index;
                // `next` < count.
                unchecked {
                    ++next;
                }
                if (next < count && positions[next] <= i) {
                    revert BatchRegistryInvalidBasketPosition(positions[next], items.length);
                }
            } else {
                commitment = keccak256(abi.encode(commitment, item.batchId, item.index, item.prescription));
            }
        }
        if (next < count) revert BatchRegistryInvalidBasketPosition(positions[next], items.length);
    }

    function _commit(BasketItem[] calldata items) private pure returns (bytes32 commitment) {
        for (uint256 i = 0; i < items.length; ++i) {
            commitment = keccak256(abi.encode(commitment, items[i].batchId, items[i].index, items[i].prescription));
        }
    }

    /// Whether OpenZeppelin's multiproof verifier can run the proof to its end, which it
    /// reverts instead of answering otherwise: leaves and proof add up to the flags plus one,
    /// and every proof element is used once (one per unset flag). A malformed proof is an
    /// invalid one, for its group only.
    function _wellFormed(BasketGroup calldata group, uint256 leaves) private pure returns (bool) {
        bool[] calldata flags = group.proofFlags;
        uint256 proofLength = group.proof.length;
        if (leaves + proofLength != flags.length + 1) return false;
        uint256 unset = 0;
        for (uint256 i = 0; i < flags.length; ++i) {
            if (!flags[i]) ++unset;
        }
        return unset == proofLength;
    }

    // ==== INTERNAL: PALLETS ====

    function _checkLineCount(uint256 count) private pure {
        if (count == 0 || count > _MAX_PALLET_LINES) revert BatchRegistryInvalidLineCount(count, _MAX_PALLET_LINES);
    }

    function _openPallet(bytes32 palletId, PalletLine[] calldata lines) private view returns (Pallet storage pallet) {
        pallet = _storage().pallets[palletId];
        ShipmentStatus status = pallet.status;
        if (status == ShipmentStatus.None) revert BatchRegistryUnknownPallet(palletId);
        if (status != ShipmentStatus.InTransit) revert BatchRegistryShipmentClosed(palletId, status);
        if (keccak256(abi.encode(lines)) != pallet.linesHash) revert BatchRegistryPalletMismatch(palletId);
    }

    /// Closes an open pallet: every line leaves the sender's `inTransit` for `credited`'s
    /// `held` (the receiver's, after the trade checks, or the sender's own).
    function _closePallet(
        bytes32 palletId,
        Pallet storage pallet,
        PalletLine[] calldata lines,
        ShipmentStatus status,
        uint64 credited,
        bool checkTrading
    ) private {
        uint64 from = pallet.from;
        pallet.status = status;
        SupplyStorage.Layout storage $ = _storage();
        for (uint256 i = 0; i < lines.length; ++i) {
            PalletLine calldata line = lines[i];
            mapping(uint64 => Custody) storage holdings = $.holdings[line.batchId];
            if (checkTrading) _checkTrading(line.batchId, $.batches[line.batchId]);
            // Each line's quantity is part of its sender's inTransit, and held stays within
            // the batch's quantity (< 2^48).
            unchecked {
                holdings[from].inTransit -= line.quantity;
                holdings[credited].held += line.quantity;
            }
        }
        emit PalletClosed(palletId, credited, status, _msgSender());
    }
}
