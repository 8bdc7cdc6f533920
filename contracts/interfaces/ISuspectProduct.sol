// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ISuspectProduct
 * @notice Suspect-product cases (US DSCSA §582): a party that suspects a batch or one of
 * its units — a clone caught at dispensing, a damaged seal, a price too good to be true —
 * opens a case, which takes the stock it names out of trade; the case is investigated
 * and found legitimate (the stock goes back) or illegitimate, which starts the 24-hour
 * clock for notifying the regulator and trading partners; only the regulator closes an
 * illegitimate case, and the stock it held leaves the ledger as destroyed.
 *
 * Part of the collaboration engine: call these functions at the BatchRegistry proxy.
 *
 * ```
 *  reportSuspect ─► Quarantined ─► Investigating ─► Cleared           (stock back to the reporter)
 *                                                └─► Illegitimate ─► Closed (regulator; stock destroyed)
 *                                                     notifyIllegitimate within 24 h
 * ```
 *
 * - Who: anyone acting for an active party reports (its own stock only); the reporter,
 *   the product's marketing-authorisation holder or the regulator investigates; the
 *   regulator concludes either way, the holder only as illegitimate (clearing a
 *   suspicion about its own product would be a conflict of interest); the reporter or the
 *   holder notifies; the regulator closes.
 * - A case's stock stays in its reporter's recall outstanding ({ICollaborationEngine-outstanding}).
 * - Quarantined stock is no party's `held` stock: it cannot be shipped, dispensed or
 *   returned. Conservation gains a term: Σ held + Σ open shipments + Σ dispensed +
 *   destroyed + lost + quarantined + suspended = quantity ({suspectCount}).
 * - A case does not change the batch's collaborative state: the regulator stops or
 *   recalls it through the state graph if the finding warrants it.
 * - Any active party may open a case on any batch (a clone usually turns up at a
 *   party that never held the batch); every case names its reporter and actor.
 *
 * Unknown codes (EU FMD's alert for an unknown pack): a code that no batch holds — an
 * invented serial, a code of a batch never made — cannot be tied to a batch, so it opens
 * no case. Whoever is presented with it reports it ({reportUnknownCode},
 * {reportUnknownCodes}): the report carries the code's hash, the reporter, and the
 * product the code names with that product's holder, for the regulator's list and the
 * holder's. The chain keeps only each batch's units root, so it cannot tell an unknown
 * code from a known one: a report is its reporter's claim, attributed to it, and changes
 * no stock and no state. Reports are numbered across the chain ({unknownCodeReportCount}).
 */
interface ISuspectProduct {
    // ==== TYPES ====

    /// @notice Where a case stands.
    enum CaseStatus {
        None,
        Quarantined,
        Investigating,
        Cleared,
        Illegitimate,
        Closed
    }

    /// @notice A case. `unit` is the unit's index in the batch's unit file, or {WHOLE_BATCH}.
    /// `notifyBy` is set by an illegitimate finding (24 hours after it), `notifiedAt` by the
    /// notification.
    struct SuspectCase {
        bytes32 batchId;
        uint64 reporter;
        uint48 quantity;
        uint48 openedAt;
        uint48 notifyBy;
        CaseStatus status;
        uint32 no;
        uint48 unit;
        uint48 notifiedAt;
    }

    /// @notice A code no batch holds, as {reportUnknownCodes} takes it: the hash of its
    /// canonical form (what a unit's `unitHash` would be) and the GTIN it names (0: none).
    struct UnknownCode {
        bytes32 codeHash;
        uint64 gtin;
    }

    // ==== EVENTS ====

    /// @notice `reporter` opened case `caseId` on `batchId` (unit `unit`, or {WHOLE_BATCH})
    /// at `openedAt` and quarantined `quantity` of its own stock of it.
    event SuspectCaseOpened(
        bytes32 indexed caseId,
        bytes32 indexed batchId,
        uint64 indexed reporter,
        uint48 unit,
        uint48 quantity,
        uint48 openedAt,
        bytes32 evidenceHash,
        string reason,
        address actor
    );

    /// @notice Case `caseId` moved to `status` by `party`. `notifyBy` is the case's notification
    /// deadline (0 until the Illegitimate finding sets it; Closed carries it on, as the case
    /// keeps it); `evidenceHash` the finding's report (0 if none).
    event SuspectCaseStatusChanged(
        bytes32 indexed caseId,
        bytes32 indexed batchId,
        uint64 indexed party,
        CaseStatus status,
        uint48 notifyBy,
        bytes32 evidenceHash,
        address actor
    );

    /// @notice `party` recorded that it notified the regulator and trading partners of an
    /// illegitimate finding, at `notifiedAt` (after `notifyBy`: late).
    event SuspectNotified(
        bytes32 indexed caseId,
        bytes32 indexed batchId,
        uint64 indexed party,
        uint48 notifiedAt,
        uint48 notifyBy,
        bytes32 noticeHash,
        address actor
    );

    /// @notice `reporter` (through `actor`) was presented with a code no batch holds and
    /// reported it: report `reportNo` of this chain. `codeHash` is keccak256 of the code's
    /// canonical form (a genuine unit's `unitHash` would be the same); `gtin` the product the
    /// code names (0: it names none, or none the reporter could tell), and `holder` that
    /// product's marketing-authorisation holder when reported (0: the GTIN is not registered).
    event UnknownCodeReported(
        bytes32 indexed codeHash,
        uint64 indexed gtin,
        uint64 indexed reporter,
        uint64 holder,
        uint256 reportNo,
        address actor
    );

    // ==== ERRORS ====

    /// @notice No case has this id.
    error SuspectUnknownCase(bytes32 caseId);
    /// @notice The case is `status`; the action needs `expected`.
    error SuspectWrongStatus(bytes32 caseId, CaseStatus status, CaseStatus expected);
    /// @notice `party` may not take this action on the case.
    error SuspectNotAllowed(bytes32 caseId, uint64 party);
    /// @notice `unit` is neither a unit of the batch (it has `unitCount`) nor {WHOLE_BATCH}.
    error SuspectInvalidUnit(bytes32 batchId, uint256 unit, uint48 unitCount);
    /// @notice The illegitimate finding was already notified.
    error SuspectAlreadyNotified(bytes32 caseId);
    /// @notice An unknown-code report names no code: its hash is zero.
    error SuspectZeroCodeHash();
    /// @notice An unknown-code report of `count` codes: one to `max` are taken at once.
    error SuspectInvalidCodeCount(uint256 count, uint256 max);

    // ==== CASES ====

    /**
     * @notice Opens a suspect case on a batch or one of its units and quarantines
     * `quantity` (0 allowed: a clone is not stock) of the caller's party's stock of it.
     * Caller: an admin, operator or qa member of any active party.
     * @param unit The unit's index, or {WHOLE_BATCH}.
     * @return caseId `keccak256(abi.encode(batchId, "suspect", n))`, n counting the batch's cases.
     */
    function reportSuspect(
        bytes32 batchId,
        uint256 unit,
        uint48 quantity,
        bytes32 evidenceHash,
        string calldata reason
    ) external returns (bytes32 caseId);

    /// @notice Starts the investigation of a quarantined case. Caller: the reporter, the
    /// product's holder or the regulator (admin, operator or qa).
    function investigateSuspect(bytes32 caseId) external;

    /**
     * @notice Concludes an investigation: Cleared (the quarantined stock goes back to the
     * reporter) or Illegitimate (the notification deadline is set, 24 hours on). Caller: the
     * regulator (admin, operator or qa) either way; the product's holder only as Illegitimate.
     */
    function concludeSuspect(bytes32 caseId, bool illegitimate, bytes32 evidenceHash) external;

    /// @notice Records the notification of an illegitimate finding (once). Caller: the
    /// reporter or the product's holder (admin, operator or qa).
    function notifyIllegitimate(bytes32 caseId, bytes32 noticeHash) external;

    /// @notice Closes an illegitimate case; its quarantined stock leaves the ledger as
    /// destroyed. Caller: the regulator (admin, operator or qa).
    function closeSuspect(bytes32 caseId) external;

    // ==== UNKNOWN CODES ====

    /**
     * @notice Reports a code no batch holds (an invented serial at dispensing or at a
     * check): recorded as {UnknownCodeReported}, with the holder of the product the code
     * names if the GTIN is registered (0 if not: still reported, for the regulator).
     * Changes no stock and no state. Caller: an admin, operator or qa member of any
     * active party.
     * @dev Reverts with {SuspectZeroCodeHash} for a zero hash and with
     * {ISupplyLedger-BatchRegistryInvalidGtin} for a non-zero GTIN that is not a GTIN-14
     * with a valid check digit.
     * @param codeHash keccak256 of the code's canonical form (`01<GTIN>21<serial>` for GS1,
     * the 20 digits of China's code).
     * @param gtin The product the code names, or 0 if it names none.
     * @return reportNo The report's number on this chain, from 1.
     */
    function reportUnknownCode(bytes32 codeHash, uint64 gtin) external returns (uint256 reportNo);

    /**
     * @notice Reports 1 to {MAX_UNKNOWN_CODES} codes no batch holds (the unknown lines of a
     * basket), as {reportUnknownCode} reports one: one {UnknownCodeReported} each, numbered
     * in order. Reverts with {SuspectInvalidCodeCount} for none or too many, and as
     * {reportUnknownCode} for any code.
     * @return firstReportNo The first code's report number; the others follow it.
     */
    function reportUnknownCodes(UnknownCode[] calldata codes) external returns (uint256 firstReportNo);

    // ==== VIEWS ====

    /// @notice The `unit` that names a whole batch.
    // solhint-disable-next-line func-name-mixedcase
    function WHOLE_BATCH() external view returns (uint256);

    /// @notice The seconds an illegitimate finding leaves for its notification (24 hours).
    // solhint-disable-next-line func-name-mixedcase
    function NOTIFICATION_PERIOD() external view returns (uint256);

    /// @notice The most codes one {reportUnknownCodes} takes (256: a basket's most).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_UNKNOWN_CODES() external view returns (uint256);

    /// @notice How many unknown-code reports this chain has recorded (the last one's number).
    function unknownCodeReportCount() external view returns (uint256);

    /// @notice A case (zeroes for an unknown id).
    function suspectCase(bytes32 caseId) external view returns (SuspectCase memory);

    /// @notice How many cases a batch has had, and how much of it open cases hold.
    function suspectCount(bytes32 batchId) external view returns (uint32 cases, uint48 suspended);

    /// @notice Whether an open illegitimate finding's notification is late: none recorded
    /// and `notifyBy` passed. False once the regulator closed the case (whether a notice
    /// came late, or never, stays in the case's events and its `notifiedAt`).
    function notificationOverdue(bytes32 caseId) external view returns (bool);
}
