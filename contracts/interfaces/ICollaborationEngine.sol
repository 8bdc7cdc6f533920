// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ICollaborationEngine
 * @notice The collaborative states every party shares: stop, resume, recall with returns,
 * witnessed destruction, deregistration, driven by a state graph that is data.
 *
 * Like the {IQualityEngine}, it runs on the BatchRegistry's address and storage (the
 * BatchRegistry's routing table sends it these selectors): call these functions at the
 * BatchRegistry proxy. Called at its own address, every function reverts with
 * {CollaborationDirectCall}.
 *
 * - A **subject** is a batch (its `bytes32` id) or a product: `bytes32(uint256(gtin))`.
 *   Batch ids are keccak hashes, so a subject below 2^64 is a product.
 * - **States** come from a state graph: up to 16 states, each with the states it may be
 *   entered from (`from`), the states that must have been reached before
 *   (`prerequisites`), who may enter it (`actors`), whether it applies to batches and/or
 *   products (`scope`) and whether it halts trade. State 0 is where every subject starts
 *   and is never halting; a higher id is more severe (a graph in which a state that does
 *   not halt follows one that does is refused), and a batch's effective state is the more
 *   severe of its own and its product's. A halt at either level halts the batch. Until
 *   governance configures a graph the pharmaceutical one applies:
 *
 *   | id | state         | entered from             | needs reached | by                          | scope   |
 *   | -- | ------------- | ------------------------ | ------------- | --------------------------- | ------- |
 *   | 0  | Marketed      | EmergencyStop (resume)   | —             | regulator                   | both    |
 *   | 1  | EmergencyStop | Marketed                 | —             | regulator, holder, rule     | both    |
 *   | 2  | Recall        | EmergencyStop            | EmergencyStop | regulator, holder           | batch   |
 *   | 3  | Destroyed     | Recall, Destroyed        | Recall        | witness (regulator, notary) | batch   |
 *   | 4  | Deregistered  | EmergencyStop            | EmergencyStop | regulator, holder           | product |
 *
 *   Every state but Marketed halts trade.
 * - A recall's deadline follows its level (1, 3 and 7 days until governance sets others).
 *   Holders return stock to the product holder's quarantine; a party's outstanding quantity
 *   is what it still holds, what it shipped that is still in transit (it comes back to it
 *   unless received, and receiving is halted) and what its open suspect cases hold. The
 *   regulator seizes the stock of a party that cannot return it (a revoked one) into
 *   quarantine. Destruction of quarantined stock is proposed by the holder and executed by
 *   a witness (the regulator or a notary): two signatures. The batch enters the graph's
 *   `Disposal` state (Destroyed) only once every unit of it is accounted for — nothing left
 *   held, in transit, in quarantine or in a suspect case: with the witnessed destruction
 *   that accounts for the last units, or with the regulator's closing of the suspect case
 *   that held them ({ISuspectProduct-closeSuspect}).
 */
interface ICollaborationEngine {
    // ==== TYPES ====

    /// @notice How a state is entered: `Plain` by {transition}, `Recall` by {openRecall}
    /// (returns open), `Disposal` by {witnessDestruction} (a second signature) or
    /// {ISuspectProduct-closeSuspect}, once every unit is accounted for.
    enum StateKind {
        Plain,
        Recall,
        Disposal
    }

    /// @notice Who may enter a state (bit positions in {StateDef-actors}): the regulator,
    /// the product's marketing-authorisation holder, a rule, a witness (the regulator or
    /// a notary, for disposal).
    enum Actor {
        Regulator,
        Holder,
        Rule,
        Witness
    }

    /// @notice What a destruction proposal has become.
    enum DestructionStatus {
        None,
        Proposed,
        Witnessed
    }

    /// @notice A state of the state graph. `from` and `prerequisites` are bitmasks of
    /// state ids; `actors` a bitmask of {Actor}; `scope` bit 0 allows batches, bit 1 products.
    struct StateDef {
        bytes16 name;
        StateKind kind;
        bool halts;
        uint8 actors;
        uint8 scope;
        uint16 from;
        uint16 prerequisites;
    }

    /// @notice A subject's collaborative record.
    struct SubjectRecord {
        uint8 state;
        uint8 effectiveState;
        uint16 reached;
        uint32 observations;
        uint32 recalls;
        uint8 recallLevel;
        uint48 recallOpenedAt;
        uint48 recallDeadline;
        uint32 destructions;
    }

    /// @notice A destruction proposal.
    struct Destruction {
        uint48 quantity;
        uint64 proposer;
        uint32 no;
        uint48 proposedAt;
        DestructionStatus status;
    }

    // ==== EVENTS ====

    /// @notice `subject` moved from state `from` to `to`, by `by` (`party` and `actor`;
    /// for a rule, the observation's party and submitter).
    event StateChanged(
        bytes32 indexed subject,
        uint8 indexed to,
        uint8 from,
        Actor by,
        uint64 party,
        address actor,
        string reason
    );

    /// @notice A recall of `batchId` at `level` was opened at `openedAt`; stock is due back by `deadline`.
    event RecallOpened(
        bytes32 indexed recallId,
        bytes32 indexed batchId,
        uint8 level,
        uint48 openedAt,
        uint48 deadline,
        uint64 party,
        address actor
    );

    /// @notice `party` returned `quantity` of a recalled batch to quarantine; it still holds `outstanding`.
    event StockReturned(
        bytes32 indexed recallId,
        bytes32 indexed batchId,
        uint64 indexed party,
        uint48 quantity,
        uint256 outstanding,
        address actor
    );

    /// @notice The regulator (`regulator`) moved `quantity` of `party`'s stock of a recalled
    /// batch to quarantine, without `party`: a forced return. `party` still has `outstanding`.
    event StockSeized(
        bytes32 indexed recallId,
        bytes32 indexed batchId,
        uint64 indexed party,
        uint48 quantity,
        uint256 outstanding,
        uint64 regulator,
        address actor
    );

    /// @notice The holder proposed, at `proposedAt`, to destroy `quantity` of the batch's quarantined stock.
    event DestructionProposed(
        bytes32 indexed destructionId,
        bytes32 indexed batchId,
        uint64 indexed party,
        uint48 quantity,
        uint48 proposedAt,
        address actor
    );

    /// @notice `witness` (the regulator or a notary) confirmed a destruction: `quantity`
    /// left quarantine and the custody ledger.
    event DestructionWitnessed(
        bytes32 indexed destructionId,
        bytes32 indexed batchId,
        uint64 indexed witness,
        uint48 quantity,
        address actor
    );

    /// @notice Governance configured the state graph.
    event StateGraphConfigured(StateDef[] states);

    /// @notice Governance set the recall deadlines (seconds) for levels I, II and III.
    event RecallPeriodsSet(uint32[3] periods);

    // ==== ERRORS ====

    /// @notice The engine was called at its own address; call it at the BatchRegistry's.
    error CollaborationDirectCall();
    /// @notice `caller` is not the consortium governor.
    error CollaborationOnlyGovernor(address caller);
    /// @notice No batch or product is this subject.
    error CollaborationUnknownSubject(bytes32 subject);
    /// @notice The state graph has no state `state`.
    error CollaborationUnknownState(uint8 state);
    /// @notice `state` cannot be entered from the subject's current state `from`.
    error CollaborationTransitionNotAllowed(bytes32 subject, uint8 from, uint8 state);
    /// @notice `state` needs the states in `missing` (a bitmask) to have been reached first.
    error CollaborationUnmetPrerequisite(bytes32 subject, uint8 state, uint16 missing);
    /// @notice `party` may not move `subject` to `state`.
    error CollaborationActorNotAllowed(bytes32 subject, uint8 state, uint64 party);
    /// @notice `state` does not apply to this kind of subject (batch or product).
    error CollaborationWrongScope(bytes32 subject, uint8 state);
    /// @notice `state` is entered through a recall or a witnessed destruction, not {transition}.
    error CollaborationWrongKind(uint8 state, StateKind kind);
    /// @notice A recall level other than 1, 2 or 3.
    error CollaborationInvalidLevel(uint8 level);
    /// @notice The graph has no state of this kind.
    error CollaborationNoStateOfKind(StateKind kind);
    /// @notice The batch is not under recall.
    error CollaborationNoOpenRecall(bytes32 batchId);
    /// @notice The batch's quarantine holds `quarantined`, less than `requested`.
    error CollaborationInsufficientQuarantine(bytes32 batchId, uint256 quarantined, uint256 requested);
    /// @notice No destruction of this batch has this id.
    error CollaborationUnknownDestruction(bytes32 batchId, bytes32 destructionId);
    /// @notice The destruction was already witnessed.
    error CollaborationDestructionClosed(bytes32 destructionId);
    /// @notice The state graph is invalid at state `index`: `field` names what is wrong.
    error CollaborationInvalidGraph(uint256 index, string field);
    /// @notice A recall period of 0 or over 365 days.
    error CollaborationInvalidRecallPeriod(uint8 level, uint32 period);
    // ==== STATES ====

    /**
     * @notice Moves a subject to a `Plain` state of the graph (stop, resume, deregister).
     * Caller: an admin, operator or qa member of a party the state allows (the regulator,
     * or the product's holder).
     */
    function transition(bytes32 subject, uint8 state, string calldata reason) external;

    /**
     * @notice Opens a recall of a batch at level 1, 2 or 3: the batch enters the graph's
     * `Recall` state, and every holder must return its stock by the level's deadline.
     * Costs the same whatever the number of holders.
     * @return recallId `keccak256(abi.encode(batchId, "recall", n))`, n counting the batch's recalls.
     */
    function openRecall(bytes32 batchId, uint8 level, string calldata reason) external returns (bytes32 recallId);

    /**
     * @notice Returns `quantity` of a batch under recall from the caller's party's stock to
     * the holder's quarantine. Caller: an admin, operator or qa member of a party holding it.
     * @return outstanding What the party still holds.
     */
    function returnStock(bytes32 batchId, uint48 quantity) external returns (uint256 outstanding);

    /**
     * @notice Moves `quantity` of `party`'s available stock of a batch under recall to the
     * holder's quarantine: the forced return of stock its holder cannot or will not return
     * (a revoked party's, a party that ignores the recall). Caller: an admin or operator of
     * a regulator. A locked unit must be restored first ({IProductRegistry-restoreUnit}).
     * @return outstanding What `party` still has outstanding.
     */
    function seizeStock(bytes32 batchId, uint64 party, uint48 quantity) external returns (uint256 outstanding);

    /**
     * @notice Proposes to destroy `quantity` of a recalled batch's quarantined stock.
     * Caller: an admin, operator or qa member of the product's marketing-authorisation holder.
     * @return destructionId `keccak256(abi.encode(batchId, "destruction", n))`.
     */
    function proposeDestruction(bytes32 batchId, uint48 quantity) external returns (bytes32 destructionId);

    /**
     * @notice Witnesses a proposed destruction, which executes it: the quantity leaves
     * quarantine and the ledger. The batch enters the graph's `Disposal` state when this
     * destruction accounts for every unit (dispensed + destroyed + lost = quantity); until
     * then it stays under recall. Caller: an admin, operator or qa member of the regulator or
     * a notary (a witness the disposal state allows).
     */
    function witnessDestruction(bytes32 batchId, bytes32 destructionId) external;

    // ==== GOVERNANCE ====

    /// @notice Replaces the state graph (1 to 16 states; state 0 plain and not halting; once a
    /// state halts every later one does; recall and disposal states halt, and no rule enters
    /// them). Only the governor.
    function configureGraph(StateDef[] calldata states) external;

    /// @notice Sets the recall deadlines (seconds) for levels I, II, III. Only the governor.
    function setRecallPeriods(uint32[3] calldata periods) external;

    // ==== VIEWS ====

    /// @notice A subject's state, effective state and recall record; reverts for an unknown subject.
    function subjectRecord(bytes32 subject) external view returns (SubjectRecord memory);

    /// @notice The state graph (the pharmaceutical default until one is configured).
    function stateGraph() external view returns (StateDef[] memory);

    /// @notice The id of the batch's latest recall (zero if none).
    function recallIdOf(bytes32 batchId) external view returns (bytes32);

    /// @notice What `party` still has of a batch under recall — held, in transit from it, in its
    /// open suspect cases — and whether the recall's deadline passed with some of it out.
    function outstanding(bytes32 batchId, uint64 party) external view returns (uint256 quantity, bool overdue);

    /// @notice A destruction proposal (zeroes for an unknown id).
    function destruction(bytes32 destructionId) external view returns (Destruction memory);

    /// @notice The recall deadlines (seconds) for levels I, II, III.
    function recallPeriods() external view returns (uint32[3] memory);

    /// @notice The consortium registry the engine checks membership against (the
    /// BatchRegistry's). Callable at the engine's own address too.
    function registry() external view returns (address);
}
