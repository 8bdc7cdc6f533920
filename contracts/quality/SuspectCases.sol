// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {ISupplyLedger} from "../interfaces/ISupplyLedger.sol";
import {ISuspectProduct} from "../interfaces/ISuspectProduct.sol";
import {Gtin} from "../libraries/Gtin.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {QualityStates} from "./QualityStates.sol";

/**
 * @title SuspectCases
 * @notice Suspect-product cases ({ISuspectProduct}), part of the collaboration engine:
 * on the BatchRegistry's storage, so that quarantining a case's stock takes it out of
 * the same custody ledger that `ship` and `dispense` read. Every status change goes
 * through {_advance}; every unknown-code report through {_reportUnknownCode}.
 */
abstract contract SuspectCases is ISuspectProduct, QualityStates {
    // ==== CONSTANTS ====

    /// @inheritdoc ISuspectProduct
    uint256 public constant WHOLE_BATCH = type(uint48).max;

    /// @inheritdoc ISuspectProduct
    uint256 public constant NOTIFICATION_PERIOD = 24 hours;

    /// @inheritdoc ISuspectProduct
    uint256 public constant MAX_UNKNOWN_CODES = 256;

    // ==== CASES ====

    /// @inheritdoc ISuspectProduct
    function reportSuspect(
        bytes32 batchId,
        uint256 unit,
        uint48 quantity,
        bytes32 evidenceHash,
        string calldata reason
    ) external delegated returns (bytes32 caseId) {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        ISupplyLedger.Batch storage batch = _batch(batchId);
        if (unit != WHOLE_BATCH && unit >= batch.unitCount) revert SuspectInvalidUnit(batchId, unit, batch.unitCount);
        Tally storage tally = _engine().suspects[batchId];
        if (quantity != 0) _suspend(batchId, party, quantity, tally);
        // 2^32 cases of one batch cannot happen.
        uint32 no;
        unchecked {
            no = tally.cases + 1;
        }
        tally.cases = no;
        caseId = _caseId(batchId, no);
        _engine().cases[caseId] = SuspectCase({
            batchId: batchId,
            reporter: party,
            quantity: quantity,
            openedAt: uint48(block.timestamp),
            notifyBy: 0,
            status: CaseStatus.Quarantined,
            no: no,
            unit: uint48(unit),
            notifiedAt: 0
        });
        emit SuspectCaseOpened(
            caseId,
            batchId,
            party,
            uint48(unit),
            quantity,
            uint48(block.timestamp),
            evidenceHash,
            reason,
            _msgSender()
        );
    }

    /// @inheritdoc ISuspectProduct
    function investigateSuspect(bytes32 caseId) external delegated {
        (uint64 party, IConsortiumRegistry.Domain domain) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        SuspectCase storage c = _case(caseId, CaseStatus.Quarantined);
        if (party != c.reporter && !_holderOrRegulator(c, party, domain)) revert SuspectNotAllowed(caseId, party);
        _advance(caseId, c, CaseStatus.Investigating, party, bytes32(0));
    }

    /// @inheritdoc ISuspectProduct
    function concludeSuspect(bytes32 caseId, bool illegitimate, bytes32 evidenceHash) external delegated {
        (uint64 party, IConsortiumRegistry.Domain domain) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        SuspectCase storage c = _case(caseId, CaseStatus.Investigating);
        bool regulator = domain == IConsortiumRegistry.Domain.Regulator;
        // Clearing a suspicion about its own product is the holder's conflict of interest:
        // only the regulator clears; the holder may find its product illegitimate.
        if (!regulator && (!illegitimate || party != _holderOf(c))) revert SuspectNotAllowed(caseId, party);
        if (illegitimate) {
            c.notifyBy = uint48(block.timestamp + NOTIFICATION_PERIOD);
            _advance(caseId, c, CaseStatus.Illegitimate, party, evidenceHash);
            return;
        }
        _release(c, false);
        _advance(caseId, c, CaseStatus.Cleared, party, evidenceHash);
    }

    /// @inheritdoc ISuspectProduct
    function notifyIllegitimate(bytes32 caseId, bytes32 noticeHash) external delegated {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        SuspectCase storage c = _case(caseId, CaseStatus.Illegitimate);
        if (party != c.reporter && party != _holderOf(c)) revert SuspectNotAllowed(caseId, party);
        if (c.notifiedAt != 0) revert SuspectAlreadyNotified(caseId);
        uint48 now_ = uint48(block.timestamp);
        c.notifiedAt = now_;
        emit SuspectNotified(caseId, c.batchId, party, now_, c.notifyBy, noticeHash, _msgSender());
    }

    /// @inheritdoc ISuspectProduct
    function closeSuspect(bytes32 caseId) external delegated {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _REGULATOR);
        SuspectCase storage c = _case(caseId, CaseStatus.Illegitimate);
        _release(c, true);
        _advance(caseId, c, CaseStatus.Closed, party, bytes32(0));
        // The case's stock may have been the last of a recalled batch not yet accounted for.
        if (c.quantity != 0) _disposeIfAccounted(c.batchId, party);
    }

    // ==== UNKNOWN CODES ====

    /// @inheritdoc ISuspectProduct
    function reportUnknownCode(bytes32 codeHash, uint64 gtin) external delegated returns (uint256 reportNo) {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        // 2^256 reports cannot happen.
        unchecked {
            reportNo = $.unknownCodeReports + 1;
        }
        $.unknownCodeReports = reportNo;
        _reportUnknownCode(codeHash, gtin, party, reportNo);
    }

    /// @inheritdoc ISuspectProduct
    function reportUnknownCodes(UnknownCode[] calldata codes) external delegated returns (uint256 firstReportNo) {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        uint256 count = codes.length;
        if (count == 0 || count > MAX_UNKNOWN_CODES) revert SuspectInvalidCodeCount(count, MAX_UNKNOWN_CODES);
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        // 2^256 reports cannot happen; i < count ≤ 256.
        unchecked {
            firstReportNo = $.unknownCodeReports + 1;
            $.unknownCodeReports = firstReportNo + count - 1;
            for (uint256 i = 0; i < count; ++i) {
                _reportUnknownCode(codes[i].codeHash, codes[i].gtin, party, firstReportNo + i);
            }
        }
    }

    // ==== VIEWS ====

    /// @inheritdoc ISuspectProduct
    function suspectCase(bytes32 caseId) external view delegated returns (SuspectCase memory) {
        return _engine().cases[caseId];
    }

    /// @inheritdoc ISuspectProduct
    function suspectCount(bytes32 batchId) external view delegated returns (uint32 cases, uint48 suspended) {
        Tally storage tally = _engine().suspects[batchId];
        return (tally.cases, tally.suspended);
    }

    /// @inheritdoc ISuspectProduct
    function unknownCodeReportCount() external view delegated returns (uint256) {
        return SupplyStorage.layout().unknownCodeReports;
    }

    /// @inheritdoc ISuspectProduct
    function notificationOverdue(bytes32 caseId) external view delegated returns (bool) {
        SuspectCase storage c = _engine().cases[caseId];
        return c.status == CaseStatus.Illegitimate && c.notifiedAt == 0 && block.timestamp > c.notifyBy;
    }

    // ==== INTERNAL ====

    /// The case, which must be in `expected`.
    function _case(bytes32 caseId, CaseStatus expected) internal view returns (SuspectCase storage c) {
        c = _engine().cases[caseId];
        if (c.status == CaseStatus.None) revert SuspectUnknownCase(caseId);
        if (c.status != expected) revert SuspectWrongStatus(caseId, c.status, expected);
    }

    /// Every unknown-code report, once numbered: its checks and its event, naming the
    /// product's holder (0 for a GTIN that is not registered, or none).
    function _reportUnknownCode(bytes32 codeHash, uint64 gtin, uint64 party, uint256 reportNo) internal {
        if (codeHash == bytes32(0)) revert SuspectZeroCodeHash();
        uint64 holder;
        if (gtin != 0) {
            if (!Gtin.isValid(gtin)) revert ISupplyLedger.BatchRegistryInvalidGtin(gtin);
            holder = SupplyStorage.layout().products[gtin].holder;
        }
        emit UnknownCodeReported(codeHash, gtin, party, holder, reportNo, _msgSender());
    }

    /// Every status change after opening: the write and its event.
    function _advance(
        bytes32 caseId,
        SuspectCase storage c,
        CaseStatus status,
        uint64 party,
        bytes32 evidenceHash
    ) internal {
        c.status = status;
        emit SuspectCaseStatusChanged(caseId, c.batchId, party, status, c.notifyBy, evidenceHash, _msgSender());
    }

    /// Moves `quantity` of the reporter's available stock (held, less locked units) into its case.
    function _suspend(bytes32 batchId, uint64 party, uint48 quantity, Tally storage tally) internal {
        ISupplyLedger.Custody storage stock = _takeAvailable(batchId, party, quantity);
        // suspended + quantity ≤ the batch's quantity < 2^48.
        unchecked {
            stock.suspended += quantity;
            tally.suspended += quantity;
        }
    }

    /// Ends the case's quarantine: its stock goes back to the reporter, or is destroyed.
    function _release(SuspectCase storage c, bool destroy) internal {
        uint48 quantity = c.quantity;
        if (quantity == 0) return;
        bytes32 batchId = c.batchId;
        ISupplyLedger.Custody storage stock = SupplyStorage.layout().holdings[batchId][c.reporter];
        // The case's quantity is part of the batch's `suspended` and its reporter's; destroyed
        // and held stay within the batch's quantity.
        unchecked {
            _engine().suspects[batchId].suspended -= quantity;
            stock.suspended -= quantity;
            if (destroy) SupplyStorage.layout().batches[batchId].destroyed += quantity;
            else stock.held += quantity;
        }
    }

    function _holderOrRegulator(
        SuspectCase storage c,
        uint64 party,
        IConsortiumRegistry.Domain domain
    ) internal view returns (bool) {
        return domain == IConsortiumRegistry.Domain.Regulator || party == _holderOf(c);
    }

    function _holderOf(SuspectCase storage c) internal view returns (uint64) {
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        return $.products[$.batches[c.batchId].gtin].holder;
    }

    function _caseId(bytes32 batchId, uint32 no) internal pure returns (bytes32) {
        return keccak256(abi.encode(batchId, "suspect", no));
    }
}
