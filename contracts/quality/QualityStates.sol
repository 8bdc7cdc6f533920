// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";

import {MembershipGate} from "../identity/MembershipGate.sol";
import {ICollaborationEngine} from "../interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {ISupplyLedger} from "../interfaces/ISupplyLedger.sol";
import {ISuspectProduct} from "../interfaces/ISuspectProduct.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";

/**
 * @title QualityStates
 * @notice What the two engines that run on the BatchRegistry proxy share: the engine
 * storage (ERC-7201 namespace `medstate.storage.QualityEngine`), the state graph (the
 * pharmaceutical default until governance configures one) and the single path by which
 * a subject's state changes ({_setState}). `QualityEngine` uses it for the stops its
 * rules fire; `CollaborationEngine` for every other transition.
 */
abstract contract QualityStates is MembershipGate, ContextUpgradeable {
    // ==== TYPES ====

    /// A subject's collaborative record: fits in one slot.
    struct Subject {
        uint16 reached;
        uint32 productObservations;
        uint32 recalls;
        uint8 recallLevel;
        uint48 recallOpenedAt;
        uint48 recallDeadline;
        uint32 destructions;
    }

    /// A product's extended rules: fits in one slot; read only when its limits say so.
    struct Extension {
        address ruleContract;
        uint32 ruleGas;
        uint8 adverseCount;
        uint32 adverseWindow;
    }

    /// A batch's suspect cases: how many were opened, and the stock open cases hold. Fits in one slot.
    struct Tally {
        uint32 cases;
        uint48 suspended;
    }

    /// @custom:storage-location erc7201:medstate.storage.QualityEngine
    struct EngineStorage {
        // slot 0: the graph's shape (0 states: the pharmaceutical default) and the recall periods
        uint8 stateCount;
        uint8 recallState;
        uint8 disposalState;
        uint8 ruleState;
        uint32 recallPeriod1;
        uint32 recallPeriod2;
        uint32 recallPeriod3;
        // slots 1..5
        mapping(uint8 state => ICollaborationEngine.StateDef) states;
        mapping(bytes32 subject => Subject) subjects;
        mapping(uint64 gtin => Extension) extensions;
        // A batch's 8 most recent distinct adverse-reaction reporters: (time, party) lanes.
        mapping(bytes32 batchId => uint256[2]) adverse;
        mapping(bytes32 destructionId => ICollaborationEngine.Destruction) destructions;
        // slots 6..7: suspect-product cases
        mapping(bytes32 caseId => ISuspectProduct.SuspectCase) cases;
        mapping(bytes32 batchId => Tally) suspects;
    }

    /// A subject resolved: its id, whether it is a product, its product and the product's holder.
    struct Ref {
        bytes32 id;
        bool isProduct;
        uint64 gtin;
        uint64 holder;
    }

    // ==== CONSTANTS ====

    // keccak256(abi.encode(uint256(keccak256("medstate.storage.QualityEngine")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_SLOT = 0xf19c1b090ad55bf98ed11b9397602f532492b4d31b5addfdbcdaf2698d1d1600;

    uint8 internal constant _NONE = type(uint8).max;

    uint256 internal constant _DEVICE = 1 << uint8(IConsortiumRegistry.Role.Device);
    /// People who act for a party (devices only observe).
    uint256 internal constant _ACTORS = _ADMIN | _OPERATOR | _QA;
    uint256 internal constant _OBSERVERS = _ACTORS | _DEVICE;

    uint256 internal constant _ALL_DOMAINS = ((1 << 10) - 1) & ~uint256(1);
    uint256 internal constant _WITNESSES =
        (1 << uint8(IConsortiumRegistry.Domain.Regulator)) | (1 << uint8(IConsortiumRegistry.Domain.Notary));

    uint16 internal constant _BATCH_SCOPE = 1;
    uint16 internal constant _PRODUCT_SCOPE = 2;

    // The pharmaceutical graph, used until governance configures one.
    uint8 internal constant _MARKETED = 0;
    uint8 internal constant _STOP = 1;
    uint8 internal constant _RECALL = 2;
    uint8 internal constant _DESTROYED = 3;
    uint8 internal constant _DEREGISTERED = 4;
    uint8 internal constant _DEFAULT_STATES = 5;

    // ==== STATE ====

    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address internal immutable _self;

    // ==== MODIFIERS ====

    /// Only through the BatchRegistry's delegatecall: at its own address the engine has no data.
    modifier delegated() {
        if (address(this) == _self) revert ICollaborationEngine.CollaborationDirectCall();
        _;
    }

    // ==== CONSTRUCTOR ====

    constructor(IConsortiumRegistry registry_) MembershipGate(registry_) {
        _self = address(this);
    }

    // ==== INTERNAL ====

    function _resolve(bytes32 subject) internal view returns (Ref memory ref) {
        if (_isProduct(subject)) {
            uint64 gtin = uint64(uint256(subject));
            uint64 holder = SupplyStorage.layout().products[gtin].holder;
            if (holder == 0) revert ICollaborationEngine.CollaborationUnknownSubject(subject);
            return Ref(subject, true, gtin, holder);
        }
        return _resolveBatch(subject);
    }

    function _resolveBatch(bytes32 batchId) internal view returns (Ref memory ref) {
        if (_isProduct(batchId)) revert ICollaborationEngine.CollaborationUnknownSubject(batchId);
        uint64 gtin = _batch(batchId).gtin;
        return Ref(batchId, false, gtin, SupplyStorage.layout().products[gtin].holder);
    }

    function _batch(bytes32 batchId) internal view returns (ISupplyLedger.Batch storage batch) {
        batch = SupplyStorage.layout().batches[batchId];
        if (batch.status == ISupplyLedger.BatchStatus.None)
            revert ICollaborationEngine.CollaborationUnknownSubject(batchId);
    }

    function _ownState(Ref memory ref) internal view returns (uint8) {
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        uint8 state = ref.isProduct ? $.products[ref.gtin].state : $.batches[ref.id].state;
        return state & SupplyStorage.STATE_ID;
    }

    function _effectiveState(Ref memory ref, uint8 own) internal view returns (uint8) {
        if (ref.isProduct) return own;
        uint8 product = SupplyStorage.layout().products[ref.gtin].state & SupplyStorage.STATE_ID;
        return product > own ? product : own;
    }

    /// Reverts unless `ref` may enter `state` by the graph: scope, prerequisites reached, entered from.
    function _checkEnter(Ref memory ref, uint8 state, ICollaborationEngine.StateDef memory def) internal view {
        if (def.scope & (ref.isProduct ? _PRODUCT_SCOPE : _BATCH_SCOPE) == 0)
            revert ICollaborationEngine.CollaborationWrongScope(ref.id, state);
        uint16 missing = def.prerequisites & ~(_engine().subjects[ref.id].reached | 1);
        if (missing != 0) revert ICollaborationEngine.CollaborationUnmetPrerequisite(ref.id, state, missing);
        uint8 from = _ownState(ref);
        if ((def.from >> from) & 1 == 0)
            revert ICollaborationEngine.CollaborationTransitionNotAllowed(ref.id, from, state);
    }

    /// {_checkEnter} without reverting, for rules (whose firing never stops an observation).
    function _canEnter(Ref memory ref, ICollaborationEngine.StateDef memory def) internal view returns (bool) {
        if (def.scope & (ref.isProduct ? _PRODUCT_SCOPE : _BATCH_SCOPE) == 0) return false;
        if (def.prerequisites & ~(_engine().subjects[ref.id].reached | 1) != 0) return false;
        return (def.from >> _ownState(ref)) & 1 == 1;
    }

    /// The first actor the caller is that the state allows; reverts if none.
    function _actor(
        Ref memory ref,
        uint8 state,
        ICollaborationEngine.StateDef memory def,
        uint64 party,
        IConsortiumRegistry.Domain domain
    ) internal pure returns (ICollaborationEngine.Actor) {
        uint8 mine;
        if (domain == IConsortiumRegistry.Domain.Regulator) {
            mine =
                uint8(1 << uint8(ICollaborationEngine.Actor.Regulator)) |
                uint8(1 << uint8(ICollaborationEngine.Actor.Witness));
        } else if (domain == IConsortiumRegistry.Domain.Notary) {
            mine = uint8(1 << uint8(ICollaborationEngine.Actor.Witness));
        }
        if (party == ref.holder) mine |= uint8(1 << uint8(ICollaborationEngine.Actor.Holder));
        uint8 allowed = mine & def.actors;
        if (allowed & (1 << uint8(ICollaborationEngine.Actor.Regulator)) != 0)
            return ICollaborationEngine.Actor.Regulator;
        if (allowed & (1 << uint8(ICollaborationEngine.Actor.Holder)) != 0) return ICollaborationEngine.Actor.Holder;
        if (allowed & (1 << uint8(ICollaborationEngine.Actor.Witness)) != 0) return ICollaborationEngine.Actor.Witness;
        revert ICollaborationEngine.CollaborationActorNotAllowed(ref.id, state, party);
    }

    /// Every state write goes through here: the state byte, the reached mask, the event.
    function _setState(
        Ref memory ref,
        uint8 state,
        ICollaborationEngine.StateDef memory def,
        ICollaborationEngine.Actor by,
        uint64 party,
        string memory reason
    ) internal {
        uint8 from = _ownState(ref);
        uint8 stateByte = def.halts ? state | SupplyStorage.HALTS : state;
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        if (ref.isProduct) $.products[ref.gtin].state = stateByte;
        else $.batches[ref.id].state = stateByte;
        Subject storage subject = _engine().subjects[ref.id];
        subject.reached = subject.reached | uint16(1 << state);
        emit ICollaborationEngine.StateChanged(ref.id, state, from, by, party, _msgSender(), reason);
    }

    /// A batch whose last units left the ledger through the regulator's closing of a suspect
    /// case: if every unit is now accounted for (dispensed + destroyed + lost = quantity) and
    /// the graph lets the batch enter its disposal state from where it is, it does, the
    /// regulator acting as the witness. (A witnessed destruction does the same for itself.)
    function _disposeIfAccounted(bytes32 batchId, uint64 regulator) internal {
        EngineStorage storage $ = _engine();
        uint8 state = $.stateCount == 0 ? _DESTROYED : $.disposalState;
        if (state == _NONE) return;
        ISupplyLedger.Batch storage batch = SupplyStorage.layout().batches[batchId];
        if (batch.dispensed + batch.destroyed + batch.lost != batch.quantity) return;
        Ref memory ref = _resolveBatch(batchId);
        ICollaborationEngine.StateDef memory def = _state(state);
        uint8 regulatorOrWitness =
            uint8(1 << uint8(ICollaborationEngine.Actor.Regulator)) |
                uint8(1 << uint8(ICollaborationEngine.Actor.Witness));
        if (_ownState(ref) == state || !_canEnter(ref, def) || def.actors & regulatorOrWitness == 0) return;
        ICollaborationEngine.Actor by = _actor(ref, state, def, regulator, IConsortiumRegistry.Domain.Regulator);
        _setState(ref, state, def, by, regulator, "suspect case closed");
    }

    /// Takes `quantity` of `party`'s available stock (held, less locked units) out of its
    /// holding, for the caller to put in quarantine or in a suspect case.
    function _takeAvailable(
        bytes32 batchId,
        uint64 party,
        uint48 quantity
    ) internal returns (ISupplyLedger.Custody storage stock) {
        stock = SupplyStorage.layout().holdings[batchId][party];
        // locked ≤ held: a lock sets aside a unit of available stock.
        uint48 available = stock.held - stock.locked;
        if (available < quantity) {
            revert ISupplyLedger.BatchRegistryInsufficientStock(batchId, party, available, quantity);
        }
        // available ≥ quantity (checked) and ≤ held.
        unchecked {
            stock.held -= quantity;
        }
    }

    function _state(uint8 state) internal view returns (ICollaborationEngine.StateDef memory) {
        uint8 count = _engine().stateCount;
        if (count == 0) return _defaultState(state);
        if (state >= count) revert ICollaborationEngine.CollaborationUnknownState(state);
        return _engine().states[state];
    }

    function _stateOfKind(ICollaborationEngine.StateKind kind) internal view returns (uint8 state) {
        EngineStorage storage $ = _engine();
        if ($.stateCount == 0) return kind == ICollaborationEngine.StateKind.Recall ? _RECALL : _DESTROYED;
        state = kind == ICollaborationEngine.StateKind.Recall ? $.recallState : $.disposalState;
        if (state == _NONE) revert ICollaborationEngine.CollaborationNoStateOfKind(kind);
    }

    /// The state rules stop subjects into (`_NONE` if the graph lets no rule act).
    function _ruleState() internal view returns (uint8) {
        EngineStorage storage $ = _engine();
        return $.stateCount == 0 ? _STOP : $.ruleState;
    }

    function _underRecall(ISupplyLedger.Batch storage batch, Subject storage subject) internal view returns (bool) {
        if (subject.recalls == 0) return false;
        uint8 own = batch.state & SupplyStorage.STATE_ID;
        EngineStorage storage $ = _engine();
        if ($.stateCount == 0) return own == _RECALL || own == _DESTROYED;
        return own == $.recallState || own == $.disposalState;
    }

    function _recallPeriod(uint8 level) internal view returns (uint32 period) {
        EngineStorage storage $ = _engine();
        period =
            level == 1
                ? $.recallPeriod1
                : level == 2
                    ? $.recallPeriod2
                    : $.recallPeriod3;
        // Unset: China's 2022 recall measures (level I within 1 day, II within 3, III within 7).
        if (period == 0)
            period =
                level == 1
                    ? 1 days
                    : level == 2
                        ? 3 days
                        : 7 days;
    }

    function _checkGovernor() internal view {
        if (_msgSender() != _consortium().governor())
            revert ICollaborationEngine.CollaborationOnlyGovernor(_msgSender());
    }

    function _isProduct(bytes32 subject) internal pure returns (bool) {
        return uint256(subject) >> 64 == 0;
    }

    function _recallId(bytes32 batchId, uint32 no) internal pure returns (bytes32) {
        return keccak256(abi.encode(batchId, "recall", no));
    }

    /// The pharmaceutical graph: Marketed → EmergencyStop → Recall → Destroyed; EmergencyStop → Deregistered.
    function _defaultState(uint8 state) internal pure returns (ICollaborationEngine.StateDef memory) {
        if (state >= _DEFAULT_STATES) revert ICollaborationEngine.CollaborationUnknownState(state);
        uint8 regulator = uint8(1 << uint8(ICollaborationEngine.Actor.Regulator));
        uint8 holder = uint8(1 << uint8(ICollaborationEngine.Actor.Holder));
        uint8 rule = uint8(1 << uint8(ICollaborationEngine.Actor.Rule));
        uint8 witness = uint8(1 << uint8(ICollaborationEngine.Actor.Witness));
        bytes16[5] memory names = [bytes16("Marketed"), "EmergencyStop", "Recall", "Destroyed", "Deregistered"];
        ICollaborationEngine.StateKind[5] memory kinds = [
            ICollaborationEngine.StateKind.Plain,
            ICollaborationEngine.StateKind.Plain,
            ICollaborationEngine.StateKind.Recall,
            ICollaborationEngine.StateKind.Disposal,
            ICollaborationEngine.StateKind.Plain
        ];
        uint8[5] memory actors = [
            regulator,
            regulator | holder | rule,
            regulator | holder,
            witness,
            regulator | holder
        ];
        // Scope: 1 batches, 2 products, 3 both.
        uint8[5] memory scopes = [uint8(3), 3, 1, 1, 2];
        uint16[5] memory from = [
            uint16(1 << _STOP),
            uint16(1 << _MARKETED),
            uint16(1 << _STOP),
            uint16((1 << _RECALL) | (1 << _DESTROYED)),
            uint16(1 << _STOP)
        ];
        uint16[5] memory prerequisites = [0, 0, uint16(1 << _STOP), uint16(1 << _RECALL), uint16(1 << _STOP)];
        return
            ICollaborationEngine.StateDef(
                names[state],
                kinds[state],
                state != _MARKETED,
                actors[state],
                scopes[state],
                from[state],
                prerequisites[state]
            );
    }

    function _engine() internal pure returns (EngineStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _STORAGE_SLOT
        }
    }
}
