// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ICollaborationEngine} from "../interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {ISupplyLedger} from "../interfaces/ISupplyLedger.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {QualityStates} from "./QualityStates.sol";
import {SuspectCases} from "./SuspectCases.sol";

/**
 * @title CollaborationEngine
 * @notice Stop, resume, recall, return, witnessed destruction and deregistration, the
 * governance of the state graph, and suspect-product cases ({SuspectCases}). Reached
 * from the BatchRegistry proxy by one delegatecall (its router's default route), on the
 * registry's storage: a recall moves stock into quarantine in the same ledger that
 * `ship` reads.
 */
contract CollaborationEngine is ICollaborationEngine, SuspectCases {
    // ==== CONSTANTS ====

    uint256 private constant _MAX_STATES = 16;
    uint32 private constant _MAX_RECALL_PERIOD = 365 days;

    // ==== CONSTRUCTOR ====

    /**
     * @param registry_ The consortium registry; must be the BatchRegistry's.
     * @custom:oz-upgrades-unsafe-allow constructor
     */
    constructor(IConsortiumRegistry registry_) QualityStates(registry_) {}

    // ==== STATES ====

    /// @inheritdoc ICollaborationEngine
    function transition(bytes32 subject, uint8 state, string calldata reason) external delegated {
        (uint64 party, IConsortiumRegistry.Domain domain) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        Ref memory ref = _resolve(subject);
        StateDef memory def = _state(state);
        if (def.kind != StateKind.Plain) revert CollaborationWrongKind(state, def.kind);
        _checkEnter(ref, state, def);
        Actor by = _actor(ref, state, def, party, domain);
        _setState(ref, state, def, by, party, reason);
    }

    /// @inheritdoc ICollaborationEngine
    function openRecall(
        bytes32 batchId,
        uint8 level,
        string calldata reason
    ) external delegated returns (bytes32 recallId) {
        (uint64 party, IConsortiumRegistry.Domain domain) = _requireMember(_msgSender(), _ACTORS, _ALL_DOMAINS);
        if (level == 0 || level > 3) revert CollaborationInvalidLevel(level);
        Ref memory ref = _resolve(batchId);
        uint8 state = _stateOfKind(StateKind.Recall);
        StateDef memory def = _state(state);
        _checkEnter(ref, state, def);
        Actor by = _actor(ref, state, def, party, domain);

        _setState(ref, state, def, by, party, reason);
        uint48 deadline;
        (recallId, deadline) = _recordRecall(batchId, level);
        emit RecallOpened(recallId, batchId, level, uint48(block.timestamp), deadline, party, _msgSender());
    }

    /// @inheritdoc ICollaborationEngine
    function returnStock(bytes32 batchId, uint48 quantity) external delegated returns (uint256 remaining) {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _CUSTODIANS);
        ISupplyLedger.Batch storage batch = _batch(batchId);
        Subject storage subject = _engine().subjects[batchId];
        if (!_underRecall(batch, subject)) revert CollaborationNoOpenRecall(batchId);
        remaining = _quarantine(batchId, batch, party, quantity);
        emit StockReturned(_recallId(batchId, subject.recalls), batchId, party, quantity, remaining, _msgSender());
    }

    /// @inheritdoc ICollaborationEngine
    function seizeStock(bytes32 batchId, uint64 party, uint48 quantity) external delegated returns (uint256 remaining) {
        (uint64 regulator, ) = _requireMember(_msgSender(), _ADMIN | _OPERATOR, _REGULATOR);
        ISupplyLedger.Batch storage batch = _batch(batchId);
        Subject storage subject = _engine().subjects[batchId];
        if (!_underRecall(batch, subject)) revert CollaborationNoOpenRecall(batchId);
        remaining = _quarantine(batchId, batch, party, quantity);
        emit StockSeized(
            _recallId(batchId, subject.recalls),
            batchId,
            party,
            quantity,
            remaining,
            regulator,
            _msgSender()
        );
    }

    /// @inheritdoc ICollaborationEngine
    function proposeDestruction(bytes32 batchId, uint48 quantity) external delegated returns (bytes32 destructionId) {
        (uint64 party, ) = _requireMember(_msgSender(), _ACTORS, _MANUFACTURER);
        Ref memory ref = _resolve(batchId);
        if (party != ref.holder) revert ISupplyLedger.BatchRegistryNotProductHolder(ref.gtin, party);
        uint8 state = _stateOfKind(StateKind.Disposal);
        if (_ownState(ref) != state) _checkEnter(ref, state, _state(state));
        if (quantity == 0) revert ISupplyLedger.BatchRegistryZeroQuantity();
        uint48 quarantined = _batch(batchId).quarantined;
        if (quarantined < quantity) revert CollaborationInsufficientQuarantine(batchId, quarantined, quantity);

        Subject storage subject = _engine().subjects[batchId];
        uint32 no = subject.destructions + 1;
        subject.destructions = no;
        destructionId = keccak256(abi.encode(batchId, "destruction", no));
        _engine().destructions[destructionId] = Destruction({
            quantity: quantity,
            proposer: party,
            no: no,
            proposedAt: uint48(block.timestamp),
            status: DestructionStatus.Proposed
        });
        emit DestructionProposed(destructionId, batchId, party, quantity, uint48(block.timestamp), _msgSender());
    }

    /// @inheritdoc ICollaborationEngine
    function witnessDestruction(bytes32 batchId, bytes32 destructionId) external delegated {
        (uint64 party, IConsortiumRegistry.Domain domain) = _requireMember(_msgSender(), _ACTORS, _WITNESSES);
        Destruction storage proposal = _engine().destructions[destructionId];
        if (
            proposal.status == DestructionStatus.None ||
            keccak256(abi.encode(batchId, "destruction", proposal.no)) != destructionId
        ) revert CollaborationUnknownDestruction(batchId, destructionId);
        if (proposal.status != DestructionStatus.Proposed) revert CollaborationDestructionClosed(destructionId);
        Ref memory ref = _resolveBatch(batchId);
        ISupplyLedger.Batch storage batch = _batch(batchId);
        uint48 quantity = proposal.quantity;
        uint48 quarantined = batch.quarantined;
        if (quarantined < quantity) revert CollaborationInsufficientQuarantine(batchId, quarantined, quantity);

        // The witness must be one the disposal state allows, and the batch able to reach it.
        uint8 disposal = _stateOfKind(StateKind.Disposal);
        bool entering = _ownState(ref) != disposal;
        StateDef memory def;
        Actor by;
        if (entering) {
            def = _state(disposal);
            _checkEnter(ref, disposal, def);
            by = _actor(ref, disposal, def, party, domain);
        }
        proposal.status = DestructionStatus.Witnessed;
        // quantity ≤ quarantined (checked); destroyed + quantity ≤ the batch's quantity < 2^48.
        unchecked {
            batch.quarantined = quarantined - quantity;
            batch.destroyed += quantity;
        }
        emit DestructionWitnessed(destructionId, batchId, party, quantity, _msgSender());
        // The batch is Destroyed once every unit of it is accounted for — dispensed, destroyed
        // or lost — with nothing left held, in transit, in quarantine or in a suspect case.
        if (entering && batch.dispensed + batch.destroyed + batch.lost == batch.quantity) {
            _setState(ref, disposal, def, by, party, "destruction witnessed");
        }
    }

    // ==== GOVERNANCE ====

    /// @inheritdoc ICollaborationEngine
    function configureGraph(StateDef[] calldata states) external delegated {
        _checkGovernor();
        uint256 n = states.length;
        if (n == 0 || n > _MAX_STATES) revert CollaborationInvalidGraph(n, "count");
        EngineStorage storage $ = _engine();
        uint8 recall = _NONE;
        uint8 disposal = _NONE;
        uint8 rule = _NONE;
        uint16 valid = uint16((1 << n) - 1);
        for (uint256 i = 0; i < n; ++i) {
            StateDef calldata def = states[i];
            if (def.name == bytes16(0)) revert CollaborationInvalidGraph(i, "name");
            if (def.scope == 0 || def.scope > (_BATCH_SCOPE | _PRODUCT_SCOPE))
                revert CollaborationInvalidGraph(i, "scope");
            if (def.from & ~valid != 0 || def.prerequisites & ~valid != 0) revert CollaborationInvalidGraph(i, "mask");
            if (def.actors == 0 || def.actors >> 4 != 0) revert CollaborationInvalidGraph(i, "actors");
            if (i == 0 && (def.kind != StateKind.Plain || def.halts)) revert CollaborationInvalidGraph(i, "initial");
            // A higher id is more severe: once a state halts trade, every later one does (a
            // batch's effective state is the higher of its own and its product's).
            if (i > 0 && states[i - 1].halts && !def.halts) revert CollaborationInvalidGraph(i, "severity");
            // Stock under recall or awaiting disposal must not trade; and people, not rules,
            // open a recall (its level and deadline) or dispose of a batch.
            if (def.kind != StateKind.Plain && !def.halts) revert CollaborationInvalidGraph(i, "halts");
            if (def.kind != StateKind.Plain && def.actors & (1 << uint8(Actor.Rule)) != 0) {
                revert CollaborationInvalidGraph(i, "rule");
            }
            uint8 id = uint8(i);
            if (def.kind == StateKind.Recall) {
                if (recall != _NONE || def.scope & _BATCH_SCOPE == 0) revert CollaborationInvalidGraph(i, "recall");
                recall = id;
            } else if (def.kind == StateKind.Disposal) {
                if (disposal != _NONE || def.scope & _BATCH_SCOPE == 0) revert CollaborationInvalidGraph(i, "disposal");
                disposal = id;
            }
            if (rule == _NONE && i != 0 && def.actors & (1 << uint8(Actor.Rule)) != 0) rule = id;
            $.states[id] = def;
        }
        $.stateCount = uint8(n);
        $.recallState = recall;
        $.disposalState = disposal;
        $.ruleState = rule;
        emit StateGraphConfigured(states);
    }

    /// @inheritdoc ICollaborationEngine
    function setRecallPeriods(uint32[3] calldata periods) external delegated {
        _checkGovernor();
        for (uint8 i = 0; i < 3; ++i) {
            if (periods[i] == 0 || periods[i] > _MAX_RECALL_PERIOD) {
                revert CollaborationInvalidRecallPeriod(i + 1, periods[i]);
            }
        }
        EngineStorage storage $ = _engine();
        $.recallPeriod1 = periods[0];
        $.recallPeriod2 = periods[1];
        $.recallPeriod3 = periods[2];
        emit RecallPeriodsSet(periods);
    }

    // ==== VIEWS ====

    /// @inheritdoc ICollaborationEngine
    function subjectRecord(bytes32 subject) external view delegated returns (SubjectRecord memory record) {
        Ref memory ref = _resolve(subject);
        Subject storage s = _engine().subjects[subject];
        record.state = _ownState(ref);
        record.effectiveState = _effectiveState(ref, record.state);
        record.reached = s.reached | 1;
        record.observations = ref.isProduct ? s.productObservations : _batch(subject).observations;
        record.recalls = s.recalls;
        record.recallLevel = s.recallLevel;
        record.recallOpenedAt = s.recallOpenedAt;
        record.recallDeadline = s.recallDeadline;
        record.destructions = s.destructions;
    }

    /// @inheritdoc ICollaborationEngine
    function stateGraph() external view delegated returns (StateDef[] memory states) {
        uint8 count = _engine().stateCount;
        if (count == 0) count = _DEFAULT_STATES;
        states = new StateDef[](count);
        for (uint8 i = 0; i < count; ++i) states[i] = _state(i);
    }

    /// @inheritdoc ICollaborationEngine
    function recallIdOf(bytes32 batchId) external view delegated returns (bytes32) {
        uint32 recalls = _engine().subjects[batchId].recalls;
        return recalls == 0 ? bytes32(0) : _recallId(batchId, recalls);
    }

    /// @inheritdoc ICollaborationEngine
    function outstanding(
        bytes32 batchId,
        uint64 party
    ) external view delegated returns (uint256 quantity, bool overdue) {
        ISupplyLedger.Batch storage batch = _batch(batchId);
        Subject storage subject = _engine().subjects[batchId];
        if (!_underRecall(batch, subject)) return (0, false);
        ISupplyLedger.Custody storage stock = SupplyStorage.layout().holdings[batchId][party];
        quantity = uint256(stock.held) + stock.inTransit + stock.suspended;
        overdue = quantity != 0 && block.timestamp > subject.recallDeadline;
    }

    /// @inheritdoc ICollaborationEngine
    function destruction(bytes32 destructionId) external view delegated returns (Destruction memory) {
        return _engine().destructions[destructionId];
    }

    /// @inheritdoc ICollaborationEngine
    function recallPeriods() external view delegated returns (uint32[3] memory periods) {
        for (uint8 level = 1; level <= 3; ++level) periods[level - 1] = _recallPeriod(level);
    }

    /// @inheritdoc ICollaborationEngine
    function registry() external view returns (address) {
        return address(_consortium());
    }

    // ==== INTERNAL ====

    /// Moves `quantity` of `party`'s available stock (held, less locked units) to the
    /// batch's quarantine; returns what the party still has outstanding.
    function _quarantine(
        bytes32 batchId,
        ISupplyLedger.Batch storage batch,
        uint64 party,
        uint48 quantity
    ) internal returns (uint256 remaining) {
        if (quantity == 0) revert ISupplyLedger.BatchRegistryZeroQuantity();
        ISupplyLedger.Custody storage stock = _takeAvailable(batchId, party, quantity);
        // quarantined + quantity ≤ the batch's quantity < 2^48.
        unchecked {
            batch.quarantined += quantity;
        }
        return uint256(stock.held) + stock.inTransit + stock.suspended;
    }

    /// Numbers a new recall of the batch and records its level and deadline.
    function _recordRecall(bytes32 batchId, uint8 level) internal returns (bytes32 recallId, uint48 deadline) {
        Subject storage subject = _engine().subjects[batchId];
        // 2^32 recalls of one batch cannot happen.
        uint32 no;
        unchecked {
            no = subject.recalls + 1;
        }
        deadline = uint48(block.timestamp) + _recallPeriod(level);
        subject.recalls = no;
        subject.recallLevel = level;
        subject.recallOpenedAt = uint48(block.timestamp);
        subject.recallDeadline = deadline;
        recallId = _recallId(batchId, no);
    }
}
