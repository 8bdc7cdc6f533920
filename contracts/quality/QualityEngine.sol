// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IBatchRegistry} from "../interfaces/IBatchRegistry.sol";
import {ICollaborationEngine} from "../interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IQualityEngine} from "../interfaces/IQualityEngine.sol";
import {IQualityRule} from "../interfaces/IQualityRule.sol";
import {QualityLimits} from "../libraries/QualityLimits.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {QualityStates} from "./QualityStates.sol";

/**
 * @title QualityEngine
 * @notice Observations and the rules that judge them. Built for one BatchRegistry
 * implementation and run only by its delegatecall, on the registry's storage: it reads
 * batches, products and holdings where they are ({SupplyStorage}), so that recording a
 * reading costs a few storage reads and one event. Calls it does not declare go on, by
 * delegatecall, to its {CollaborationEngine}.
 */
contract QualityEngine is IQualityEngine, QualityStates, EIP712, NoncesUpgradeable {
    using QualityLimits for uint104;

    // ==== CONSTANTS ====

    /// @notice The EIP-712 type a device signs ({SignedObservation}).
    bytes32 public constant OBSERVATION_TYPEHASH = keccak256(
        "Observation(bytes32 subject,uint8 point,uint8 result,int16 temperature,uint16 humidity,"
        "uint32 corrects,bytes32 evidenceHash,string evidenceUri,uint256 nonce,uint48 deadline)"
    );

    uint256 private constant _MAX_ADVERSE_COUNT = 8;
    uint32 private constant _MAX_RULE_GAS = 1_000_000;
    /// Gas kept back around a rule-contract call (its setup and what follows it).
    uint256 private constant _RULE_CALL_RESERVE = 10_000;

    // ==== STATE ====

    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address private immutable _collaboration;

    // ==== CONSTRUCTOR ====

    /**
     * @param registry_ The consortium registry; must be the BatchRegistry's.
     * @param collaboration_ The collaboration engine, built for the same registry.
     * @custom:oz-upgrades-unsafe-allow constructor
     */
    constructor(
        IConsortiumRegistry registry_,
        ICollaborationEngine collaboration_
    ) QualityStates(registry_) EIP712("MedState", "1") {
        if (collaboration_.registry() != address(registry_)) {
            revert ICollaborationEngine.CollaborationRegistryMismatch(address(collaboration_), address(registry_));
        }
        _collaboration = address(collaboration_);
    }

    /// @notice Runs any function this engine does not declare in the collaboration engine,
    /// on the same storage.
    // solhint-disable-next-line no-complex-fallback
    fallback() external {
        address collaboration_ = _collaboration;
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), collaboration_, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) {
                revert(0, returndatasize())
            }
            return(0, returndatasize())
        }
    }

    // ==== OBSERVATIONS ====

    /// @inheritdoc IQualityEngine
    function observe(Observation calldata observation) external delegated returns (uint32) {
        return _observe(observation, _msgSender(), _OBSERVERS);
    }

    /// @inheritdoc IQualityEngine
    function observeMany(Observation[] calldata observations) external delegated {
        address observer = _msgSender();
        for (uint256 i = 0; i < observations.length; ++i) {
            _observe(observations[i], observer, _OBSERVERS);
        }
    }

    /// @inheritdoc IQualityEngine
    function observeSigned(SignedObservation[] calldata observations) external delegated {
        for (uint256 i = 0; i < observations.length; ++i) {
            SignedObservation calldata signed = observations[i];
            _checkSignature(signed);
            _observe(signed.observation, signed.device, _DEVICE);
        }
    }

    // ==== RULES ====

    /// @inheritdoc IQualityEngine
    function setRules(uint64 gtin, Rules calldata rules) external delegated {
        IBatchRegistry.Product storage product = SupplyStorage.layout().products[gtin];
        uint64 holder = product.holder;
        if (holder == 0) revert IBatchRegistry.BatchRegistryUnknownProduct(gtin);
        if (_msgSender() != _consortium().governor()) {
            (uint64 party, ) = _requireMember(_msgSender(), _ADMIN | _OPERATOR, _MANUFACTURER);
            if (party != holder) revert IBatchRegistry.BatchRegistryNotProductHolder(gtin, party);
            if (product.limits & QualityLimits.SET != 0) revert QualityEngineRulesLocked(gtin);
            if (rules.ruleContract != address(0)) revert ICollaborationEngine.CollaborationOnlyGovernor(_msgSender());
        }
        _checkRules(rules);
        product.limits = QualityLimits.pack(rules);
        _engine().extensions[gtin] = Extension({
            ruleContract: rules.ruleContract,
            ruleGas: rules.ruleGas,
            adverseCount: rules.adverseCount,
            adverseWindow: rules.adverseWindow
        });
        emit RulesSet(gtin, rules, _msgSender());
    }

    /// @inheritdoc IQualityEngine
    function rulesOf(uint64 gtin) external view delegated returns (Rules memory rules, bool set) {
        IBatchRegistry.Product storage product = SupplyStorage.layout().products[gtin];
        if (product.holder == 0) revert IBatchRegistry.BatchRegistryUnknownProduct(gtin);
        uint104 limits = product.limits;
        set = limits & QualityLimits.SET != 0;
        rules.storageRange = limits.range(0);
        rules.transportRange = limits.range(40);
        rules.stopOnCritical = uint8(limits >> 80);
        Extension storage extension = _engine().extensions[gtin];
        rules.adverseCount = extension.adverseCount;
        rules.adverseWindow = extension.adverseWindow;
        rules.ruleContract = extension.ruleContract;
        rules.ruleGas = extension.ruleGas;
    }

    /// @inheritdoc IQualityEngine
    function registry() external view returns (address) {
        return address(_consortium());
    }

    /// @inheritdoc IQualityEngine
    function collaboration() external view returns (address) {
        return _collaboration;
    }

    /// @inheritdoc IQualityEngine
    function nonces(
        address device
    ) public view override(IQualityEngine, NoncesUpgradeable) delegated returns (uint256) {
        return super.nonces(device);
    }

    // ==== INTERNAL ====

    /// Checks, numbers, classifies and records one observation, then runs the rules.
    function _observe(Observation calldata o, address observer, uint256 roles) internal returns (uint32 seq) {
        (uint64 party, IConsortiumRegistry.Domain domain) = _requireMember(observer, roles, _ALL_DOMAINS);
        uint104 limits;
        (seq, limits) = _admit(o, observer, party, domain);
        _record(o, observer, party, seq, limits);
    }

    /// Checks that the party may record the observation on its subject; numbers it.
    function _admit(
        Observation calldata o,
        address observer,
        uint64 party,
        IConsortiumRegistry.Domain domain
    ) internal returns (uint32 seq, uint104 limits) {
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        bytes32 subject = o.subject;
        if (_isProduct(subject)) {
            IBatchRegistry.Product storage product = $.products[uint64(uint256(subject))];
            uint64 holder = product.holder;
            if (holder == 0) revert ICollaborationEngine.CollaborationUnknownSubject(subject);
            limits = product.limits;
            _authorizeOnProduct(o, observer, party, domain, holder);
            // 2^32 observations of one product cannot happen.
            unchecked {
                seq = ++_engine().subjects[subject].productObservations;
            }
        } else {
            IBatchRegistry.Batch storage batch = $.batches[subject];
            if (batch.status == IBatchRegistry.BatchStatus.None)
                revert ICollaborationEngine.CollaborationUnknownSubject(subject);
            IBatchRegistry.Product storage product = $.products[batch.gtin];
            limits = product.limits;
            _authorizeOnBatch(o, observer, party, domain, product.holder);
            // 2^32 observations of one batch cannot happen.
            unchecked {
                seq = batch.observations + 1;
            }
            batch.observations = seq;
            if (o.point == Point.Inspection) {
                batch.flags =
                    o.result == Result.Normal
                        ? batch.flags | SupplyStorage.INSPECTED
                        : batch.flags & ~SupplyStorage.INSPECTED;
            }
        }
    }

    /// Classifies the observation against the limits, emits it, runs the rules.
    function _record(Observation calldata o, address observer, uint64 party, uint32 seq, uint104 limits) internal {
        bytes32 subject = o.subject;
        if (o.corrects >= seq) revert QualityEngineInvalidCorrection(subject, o.corrects, seq - 1);
        uint16 humidity = o.humidity;
        if (humidity > 10_000 && humidity != QualityLimits.NO_HUMIDITY) revert QualityEngineInvalidHumidity(humidity);
        Result result = o.result;
        if (o.point == Point.Storage || o.point == Point.Transport) {
            if (limits.outside(o.point == Point.Storage ? 0 : 40, o.temperature, humidity)) result = Result.Critical;
        }
        emit Observed(subject, party, seq, observer, o.point, result, o.temperature, humidity);
        if (o.corrects != 0 || o.evidenceHash != bytes32(0) || bytes(o.evidenceUri).length != 0) {
            emit ObservationAnnotated(subject, seq, o.corrects, o.evidenceHash, o.evidenceUri);
        }
        if (result == Result.Critical && limits.stopsOnCritical(o.point)) {
            _ruleStop(subject, seq, RuleKind.CriticalObservation, address(0), party);
        }
        if (limits & QualityLimits.EXTENDED != 0) _extendedRules(o, seq, party, result);
    }

    function _authorizeOnProduct(
        Observation calldata o,
        address observer,
        uint64 party,
        IConsortiumRegistry.Domain domain,
        uint64 holder
    ) internal view {
        Point point = o.point;
        bool allowed;
        if (point <= Point.Production) {
            allowed = party == holder;
        } else if (point == Point.Inspection) {
            allowed = _isInspector(domain) || (party == holder && _isQaOrDevice(observer));
        } else if (point >= Point.Efficacy) {
            allowed = _isUser(domain);
        }
        if (!allowed) revert QualityEnginePointNotAllowed(o.subject, point, party);
    }

    function _authorizeOnBatch(
        Observation calldata o,
        address observer,
        uint64 party,
        IConsortiumRegistry.Domain domain,
        uint64 holder
    ) internal view {
        Point point = o.point;
        bool allowed;
        if (point <= Point.Production) {
            allowed = party == holder;
        } else if (point <= Point.Storage) {
            allowed = domain == IConsortiumRegistry.Domain.Logistics || _holds(o.subject, party);
        } else if (point == Point.Inspection) {
            allowed =
                _isInspector(domain) || ((party == holder || _holds(o.subject, party)) && _isQaOrDevice(observer));
        } else {
            if (!_isUser(domain)) revert QualityEnginePointNotAllowed(o.subject, point, party);
            SupplyStorage.Holding storage stock = SupplyStorage.layout().holdings[o.subject][party];
            // The DAG: a use observation needs the batch to have reached this user.
            if (stock.held == 0 && stock.dispensed == 0) revert QualityEngineNotDelivered(o.subject, party);
            allowed = true;
        }
        if (!allowed) revert QualityEnginePointNotAllowed(o.subject, point, party);
    }

    function _checkSignature(SignedObservation calldata signed) internal {
        address device = signed.device;
        if (block.timestamp > signed.deadline) revert QualityEngineSignatureExpired(device, signed.deadline);
        Observation calldata o = signed.observation;
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    OBSERVATION_TYPEHASH,
                    o.subject,
                    o.point,
                    o.result,
                    o.temperature,
                    o.humidity,
                    o.corrects,
                    o.evidenceHash,
                    keccak256(bytes(o.evidenceUri)),
                    _useNonce(device),
                    signed.deadline
                )
            )
        );
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, signed.signature);
        if (error != ECDSA.RecoverError.NoError || signer != device)
            revert QualityEngineInvalidSignature(device, signer);
    }

    /// The adverse-count rule and the rule contract, for products whose limits say they have them.
    function _extendedRules(Observation calldata o, uint32 seq, uint64 party, Result result) internal {
        bytes32 subject = o.subject;
        uint64 gtin = _isProduct(subject) ? uint64(uint256(subject)) : _batch(subject).gtin;
        Extension memory extension = _engine().extensions[gtin];
        if (extension.adverseCount != 0 && o.point == Point.Adverse && !_isProduct(subject)) {
            if (_countAdverse(subject, extension.adverseCount, extension.adverseWindow)) {
                _ruleStop(subject, seq, RuleKind.AdverseCount, address(0), party);
            }
        }
        if (extension.ruleContract != address(0)) {
            (bool ok, bool stop) = _consult(extension.ruleContract, extension.ruleGas, o, seq, party, result);
            if (!ok) emit RuleFailed(subject, seq, extension.ruleContract);
            else if (stop) _ruleStop(subject, seq, RuleKind.Contract, extension.ruleContract, party);
        }
    }

    /// Records an adverse reaction now; true if `count` of them fall within `window` seconds.
    function _countAdverse(bytes32 batchId, uint8 count, uint32 window) internal returns (bool) {
        uint256 now_ = block.timestamp & 0xfffffffff;
        uint256 ring = _engine().adverse[batchId];
        _engine().adverse[batchId] = ((ring << 36) | now_) & ((1 << 252) - 1);
        if (count == 1) return true;
        // The (count − 1)th most recent earlier reaction (36 bits of time last until the year 4147).
        uint256 earlier = (ring >> (36 * (count - 2))) & 0xfffffffff;
        return earlier != 0 && now_ - earlier <= window;
    }

    /**
     * Calls the rule contract with exactly its gas allowance and reads at most one word
     * back, so that neither its gas nor its return data can hurt the observation.
     */
    function _consult(
        address rule,
        uint32 ruleGas,
        Observation calldata o,
        uint32 seq,
        uint64 party,
        Result result
    ) internal returns (bool ok, bool stop) {
        bytes memory data = abi.encodeCall(IQualityRule.evaluate, (o.subject, seq, party, o, result));
        // EIP-150 forwards at most 63/64 of what is left: make sure the whole allowance is there,
        // so that a submitter cannot make the rule fail by sending too little gas.
        uint256 needed = (uint256(ruleGas) * 64) / 63 + _RULE_CALL_RESERVE;
        if (gasleft() < needed) revert QualityEngineInsufficientGas(needed);
        uint256 answer;
        assembly ("memory-safe") {
            ok := call(ruleGas, rule, 0, add(data, 0x20), mload(data), 0, 0)
            if and(ok, eq(returndatasize(), 0x20)) {
                returndatacopy(0, 0, 0x20)
                answer := mload(0)
            }
            if iszero(eq(returndatasize(), 0x20)) {
                ok := 0
            }
        }
        if (answer > 1) ok = false;
        stop = ok && answer == 1;
    }

    /// A rule fired: report it, and stop the subject if the graph allows rules to from where it is.
    function _ruleStop(bytes32 subject, uint32 seq, RuleKind kind, address rule, uint64 party) internal {
        uint8 state = _ruleState();
        emit RuleFired(subject, seq, kind, rule, state);
        if (state == _NONE) return;
        Ref memory ref = _resolve(subject);
        ICollaborationEngine.StateDef memory def = _state(state);
        if (!_canEnter(ref, def)) return;
        _setState(ref, state, def, ICollaborationEngine.Actor.Rule, party, "");
    }

    function _checkRules(Rules calldata rules) internal view {
        _checkRange(rules.storageRange, "storageRange");
        _checkRange(rules.transportRange, "transportRange");
        if (rules.adverseCount > _MAX_ADVERSE_COUNT || (rules.adverseCount == 0) != (rules.adverseWindow == 0)) {
            revert QualityEngineInvalidRules("adverse");
        }
        if (rules.ruleContract == address(0)) {
            if (rules.ruleGas != 0) revert QualityEngineInvalidRules("ruleGas");
        } else {
            if (rules.ruleContract.code.length == 0) revert QualityEngineInvalidRules("ruleContract");
            if (rules.ruleGas == 0 || rules.ruleGas > _MAX_RULE_GAS) revert QualityEngineInvalidRules("ruleGas");
        }
    }

    // ==== PRIVATE ====

    function _checkRange(Range calldata range, string memory field) private pure {
        if (range.minTemperature > range.maxTemperature) revert QualityEngineInvalidRules(field);
        if (range.maxHumidity > 100 && range.maxHumidity != QualityLimits.NO_MAX_HUMIDITY) {
            revert QualityEngineInvalidRules(field);
        }
    }

    function _holds(bytes32 batchId, uint64 party) private view returns (bool) {
        return SupplyStorage.layout().holdings[batchId][party].held != 0;
    }

    function _isQaOrDevice(address observer) private view returns (bool) {
        IConsortiumRegistry.Role role = _memberRole(observer);
        return role == IConsortiumRegistry.Role.QA || role == IConsortiumRegistry.Role.Device;
    }

    function _isInspector(IConsortiumRegistry.Domain domain) private pure returns (bool) {
        return domain == IConsortiumRegistry.Domain.Laboratory || domain == IConsortiumRegistry.Domain.Regulator;
    }

    function _isUser(IConsortiumRegistry.Domain domain) private pure returns (bool) {
        return domain == IConsortiumRegistry.Domain.Hospital || domain == IConsortiumRegistry.Domain.Pharmacy;
    }
}
