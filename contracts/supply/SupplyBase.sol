// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {MembershipGate} from "../identity/MembershipGate.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {ISupplyLedger} from "../interfaces/ISupplyLedger.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";

/**
 * @title SupplyBase
 * @notice What the two supply code objects on the BatchRegistry proxy share — `BatchRegistry`
 * (custody, dispensing) and `ProductRegistry` (products, batches, unit administration): the
 * membership check (refused at the code's own address), the batch and trade checks, the
 * stock taken for a unit action, and the one path by which a unit record is written.
 */
abstract contract SupplyBase is ISupplyLedger, MembershipGate, ContextUpgradeable {
    using SafeCast for uint256;

    // ==== CONSTANTS ====

    /// People who move stock for a party (the role and domain sets are {MembershipGate}'s).
    uint256 internal constant _ACTORS = _ADMIN | _OPERATOR;
    /// Domains that dispense to patients.
    uint256 internal constant _DISPENSERS =
        (1 << uint8(IConsortiumRegistry.Domain.Hospital)) | (1 << uint8(IConsortiumRegistry.Domain.Pharmacy));

    // ==== STATE ====

    /// This code's own address: at it there is no ledger, so every write is refused.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address internal immutable _self = address(this);

    // ==== INTERNAL ====

    /// The caller's party, checked against the mirror: an active member with one of
    /// `roles`, of an active, licensed party in one of `domains`. Every write starts here.
    function _member(uint256 roles, uint256 domains) internal view returns (uint64, IConsortiumRegistry.Domain) {
        _checkProxied();
        return _requireMember(_msgSender(), roles, domains);
    }

    function _checkGovernor() internal view {
        _checkProxied();
        if (_msgSender() != _consortium().governor()) revert BatchRegistryOnlyGovernor(_msgSender());
    }

    /// Reverts at the code's own address: a shadow ledger there would use real membership.
    function _checkProxied() internal view {
        if (address(this) == _self) revert BatchRegistryDirectCall();
    }

    function _batch(bytes32 batchId) internal view returns (Batch storage batch) {
        batch = _storage().batches[batchId];
        if (batch.status == BatchStatus.None) revert BatchRegistryUnknownBatch(batchId);
    }

    function _checkSellable(bytes32 batchId, Batch storage batch) internal view {
        if (batch.status != BatchStatus.Released) revert BatchRegistryNotReleased(batchId);
        if (block.timestamp >= batch.expiresAt) revert BatchRegistryBatchExpired(batchId, batch.expiresAt);
    }

    /// Trade needs neither the batch's own state nor its product's to halt it: a halt at
    /// either level halts, whatever the states' ids. The error names the halting state (the
    /// more severe, the higher id, when both halt).
    function _checkTrading(bytes32 batchId, Batch storage batch) internal view {
        uint8 own = batch.state;
        uint8 product = _storage().products[batch.gtin].state;
        if ((own | product) & SupplyStorage.HALTS != 0) {
            uint8 halting =
                product & SupplyStorage.HALTS == 0 || (own & SupplyStorage.HALTS != 0 && own >= product)
                    ? own
                    : product;
            revert BatchRegistryHalted(batchId, halting & SupplyStorage.STATE_ID);
        }
    }

    /// Takes `quantity` from `party`'s available stock (held, less locked units).
    function _take(bytes32 batchId, uint64 party, uint48 quantity) internal returns (Custody storage stock) {
        stock = _storage().holdings[batchId][party];
        uint48 available = _available(stock);
        if (available < quantity) revert BatchRegistryInsufficientStock(batchId, party, available, quantity);
        // available ≤ held (locked ≤ held), checked ≥ quantity.
        unchecked {
            stock.held -= quantity;
        }
    }

    /// Reverts unless `party` has a unit available (held, less locked units).
    function _requireAvailable(bytes32 batchId, uint64 party, Custody storage stock) internal view {
        if (_available(stock) == 0) revert BatchRegistryInsufficientStock(batchId, party, 0, 1);
    }

    function _checkProof(Batch storage batch, UnitProof calldata unit) internal view {
        if (!_proofValid(batch, unit)) revert BatchRegistryInvalidProof(unit.batchId, unit.index);
    }

    function _proofValid(Batch storage batch, UnitProof calldata unit) internal view returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(unit.index, unit.unitHash))));
        return MerkleProof.verifyCalldata(unit.proof, batch.unitsRoot, leaf);
    }

    /// A unit's status, the party that set it and when. A unit dispensed in a basket keeps
    /// an active record and has its bit set: it reads as `Dispensed` by party 0 at time 0
    /// (who dispensed it, and when, is its basket's). The bitmap is read only for a batch
    /// that baskets have dispensed from (its batch slot, which every caller has read, says).
    function _unit(bytes32 batchId, uint256 index) internal view returns (UnitStatus, uint64, uint40) {
        return _unitOf(batchId, index, _storage().batches[batchId].flags & SupplyStorage.IN_BASKETS != 0);
    }

    /// `_unit`, for a caller that knows whether the batch's bitmap may mark units (`inBaskets`).
    function _unitOf(
        bytes32 batchId,
        uint256 index,
        bool inBaskets
    ) internal view returns (UnitStatus, uint64, uint40) {
        SupplyStorage.Layout storage $ = _storage();
        uint256 record = ($.units[batchId][index >> 2] >> ((index & 3) << 6)) & type(uint64).max;
        UnitStatus status = UnitStatus(uint8(record & 0xf));
        if (inBaskets && status == UnitStatus.Active && ($.basketUnits[batchId][index >> 8] >> (index & 255)) & 1 != 0)
            return (UnitStatus.Dispensed, 0, 0);
        return (status, uint64((record >> 4) & type(uint24).max), uint40(record >> 28));
    }

    /// Reverts for a unit dispensed in a basket (`_unit` reads it as Dispensed by party 0):
    /// its dispense is undone only by its basket.
    function _checkNotInBasket(bytes32 batchId, uint256 index, UnitStatus status, uint64 party) internal pure {
        if (status == UnitStatus.Dispensed && party == 0) revert BatchRegistryDispensedInBasket(batchId, index);
    }

    /// Every unit status write goes through here: packs the record, emits.
    function _setUnit(UnitProof calldata unit, uint64 party, UnitStatus previous, UnitStatus status) internal {
        // 36 bits of time last until the year 4147; party ids are checked to fit 24 bits.
        uint256 record =
            uint256(uint8(status)) |
                (uint256(uint256(party).toUint24()) << 4) |
                ((block.timestamp & 0xfffffffff) << 28);
        uint256 shift = (unit.index & 3) << 6;
        mapping(uint256 => uint256) storage words = _storage().units[unit.batchId];
        uint256 word = unit.index >> 2;
        words[word] = (words[word] & ~(uint256(type(uint64).max) << shift)) | (record << shift);
        emit UnitStatusChanged(unit.batchId, unit.index, party, unit.unitHash, previous, status, _msgSender());
    }

    function _batchIdOf(uint64 gtin, string calldata lot) internal pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lot));
    }

    function _available(Custody storage stock) internal view returns (uint48) {
        // locked ≤ held: a lock sets aside a unit of available stock, and held falls only by
        // available stock.
        unchecked {
            return stock.held - stock.locked;
        }
    }

    function _storage() internal pure returns (SupplyStorage.Layout storage) {
        return SupplyStorage.layout();
    }
}
