// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICollaborationEngine} from "../interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IQualityEngine} from "../interfaces/IQualityEngine.sol";
import {IQualityRule} from "../interfaces/IQualityRule.sol";
import {ISupplyLedger} from "../interfaces/ISupplyLedger.sol";
import {QualityLimits} from "../libraries/QualityLimits.sol";
import {SupplyStorage} from "../libraries/SupplyStorage.sol";
import {QualityStates} from "./QualityStates.sol";

/**
 * @title QualityEngine
 * @notice Observations and the rules that judge them. A code object with no storage of its
 * own, run only by the BatchRegistry proxy's delegatecall (its routing table sends the
 * engine's selectors here), on the registry's storage: it reads batches, products and
 * custody where they are ({SupplyStorage}), so that recording a reading costs a few storage
 * reads and one event.
 */
contract QualityEngine is IQualityEngine, QualityStates, EIP712, NoncesUpgradeable {
    using QualityLimits for uint104;
    using SafeCast for uint256;

    // ==== TYPES ====

    /// Who records: checked once per account, not once per observation.
    struct Observer {
        address account;
        uint64 party;
        IConsortiumRegistry.Domain domain;
        /// None until an inspection needs it.
        IConsortiumRegistry.Role role;
    }

    /// What consecutive observations of one subject by one party share, read once; the
    /// observation count is written back once, by {_flush}.
    struct Run {
        bytes32 subject;
        uint64 party;
        bool isProduct;
        uint64 holder;
        uint104 limits;
        uint32 seq;
        uint32 stored;
        uint8 stock;
    }

    // ==== CONSTANTS ====

    /// @notice The EIP-712 type a device signs ({SignedObservation}).
    bytes32 public constant OBSERVATION_TYPEHASH = keccak256(
        "Observation(bytes32 subject,uint8 point,uint8 result,int16 temperature,uint16 humidity,"
        "uint32 corrects,bytes32 evidenceHash,string evidenceUri,uint256 nonce,uint48 deadline)"
    );

    /// @notice The EIP-712 type a device signs for a {SignedReading}.
    bytes32 public constant READING_TYPEHASH = keccak256(
        "Reading(bytes32 subject,uint8 point,uint8 result,int16 temperature,uint16 humidity,"
        "uint256 nonce,uint48 deadline)"
    );

    uint256 private constant _MAX_ADVERSE_COUNT = 8;
    uint32 private constant _MAX_RULE_GAS = 1_000_000;
    /// Gas kept back around a rule-contract call (its setup and what follows it).
    uint256 private constant _RULE_CALL_RESERVE = 10_000;

    // Run.stock: the observing party's custody of the batch (linked: it holds, ships or has
    // stock of it in a suspect case).
    uint8 private constant _STOCK_UNREAD = 0;
    uint8 private constant _STOCK_NONE = 1;
    uint8 private constant _STOCK_DISPENSED = 2;
    uint8 private constant _STOCK_LINKED = 3;

    // ==== CONSTRUCTOR ====

    /**
     * @param registry_ The consortium registry; must be the BatchRegistry's.
     * @custom:oz-upgrades-unsafe-allow constructor
     */
    constructor(IConsortiumRegistry registry_) QualityStates(registry_) EIP712("MedState", "1") {}

    // ==== OBSERVATIONS ====

    /// @inheritdoc IQualityEngine
    function observe(Observation calldata observation) external delegated returns (uint32 seq) {
        Observer memory observer = _observer(_msgSender(), _OBSERVERS);
        Run memory run;
        seq = _observe(observation, observer, run);
        _flush(run);
    }

    /// @inheritdoc IQualityEngine
    function observeMany(Observation[] calldata observations) external delegated {
        Observer memory observer = _observer(_msgSender(), _OBSERVERS);
        Run memory run;
        for (uint256 i = 0; i < observations.length; ++i) {
            _observe(observations[i], observer, run);
        }
        _flush(run);
    }

    /// @inheritdoc IQualityEngine
    function observeSigned(SignedObservation[] calldata observations) external delegated {
        bytes32 domainSeparator = _domainSeparatorV4();
        Observer memory observer;
        Run memory run;
        uint256 first;
        uint256 count;
        for (uint256 i = 0; i < observations.length; ++i) {
            SignedObservation calldata signed = observations[i];
            bool newDevice = signed.device != observer.account;
            if (newDevice) {
                if (count != 0) emit SignedObservationsRelayed(observer.account, _msgSender(), first, count);
                first = nonces(signed.device);
                count = 0;
            }
            _checkSignature(signed, domainSeparator);
            if (newDevice) {
                observer = _observer(signed.device, _DEVICE);
                observer.role = IConsortiumRegistry.Role.Device;
            }
            _observe(signed.observation, observer, run);
            // At most the list's length.
            unchecked {
                ++count;
            }
        }
        _flush(run);
        if (count != 0) emit SignedObservationsRelayed(observer.account, _msgSender(), first, count);
    }

    /// @inheritdoc IQualityEngine
    function observeReadings(bytes32 subject, Reading[] calldata readings) external delegated {
        Observer memory observer = _observer(_msgSender(), _OBSERVERS);
        Run memory run;
        for (uint256 i = 0; i < readings.length; ++i) {
            _observeReading(subject, readings[i], observer, run);
        }
        _flush(run);
    }

    /// @inheritdoc IQualityEngine
    function observeSignedReadings(
        bytes32 subject,
        address device,
        SignedReading[] calldata readings
    ) external delegated {
        bytes32 domainSeparator = _domainSeparatorV4();
        Observer memory observer = _observer(device, _DEVICE);
        observer.role = IConsortiumRegistry.Role.Device;
        Run memory run;
        uint256 first = nonces(device);
        for (uint256 i = 0; i < readings.length; ++i) {
            SignedReading calldata signed = readings[i];
            _checkReadingSignature(subject, device, signed, domainSeparator);
            _observeReading(subject, signed.reading, observer, run);
        }
        _flush(run);
        if (readings.length != 0) emit SignedObservationsRelayed(device, _msgSender(), first, readings.length);
    }

    // ==== RULES ====

    /// @inheritdoc IQualityEngine
    function setRules(uint64 gtin, Rules calldata rules) external delegated {
        ISupplyLedger.Product storage product = SupplyStorage.layout().products[gtin];
        uint64 holder = product.holder;
        if (holder == 0) revert ISupplyLedger.BatchRegistryUnknownProduct(gtin);
        if (_msgSender() != _consortium().governor()) {
            (uint64 party, ) = _requireMember(_msgSender(), _ADMIN | _OPERATOR, _MANUFACTURER);
            if (party != holder) revert ISupplyLedger.BatchRegistryNotProductHolder(gtin, party);
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
        ISupplyLedger.Product storage product = SupplyStorage.layout().products[gtin];
        if (product.holder == 0) revert ISupplyLedger.BatchRegistryUnknownProduct(gtin);
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
    function nonces(
        address device
    ) public view override(IQualityEngine, NoncesUpgradeable) delegated returns (uint256) {
        return super.nonces(device);
    }

    // ==== INTERNAL ====

    /// The observer, checked once per account (not once per observation).
    function _observer(address account, uint256 roles) internal view returns (Observer memory observer) {
        (observer.party, observer.domain) = _requireMember(account, roles, _ALL_DOMAINS);
        observer.account = account;
    }

    /// Checks, numbers, classifies and records one observation, then runs the rules.
    function _observe(Observation calldata o, Observer memory observer, Run memory run) internal returns (uint32 seq) {
        bytes32 subject = o.subject;
        seq = _admit(subject, o.point, o.result, observer, run);
        if (o.corrects >= seq) revert QualityEngineInvalidCorrection(subject, o.corrects, seq - 1);
        Result result = _emitObserved(subject, o.point, o.result, o.temperature, o.humidity, observer, seq, run);
        if (o.corrects != 0 || o.evidenceHash != bytes32(0) || bytes(o.evidenceUri).length != 0) {
            emit ObservationAnnotated(subject, seq, o.corrects, o.evidenceHash, o.evidenceUri);
        }
        // Copying the observation to memory costs: only when a rule may act on it.
        if (result == Result.Critical || run.limits & QualityLimits.EXTENDED != 0) {
            _applyRules(o, seq, observer, result, run);
        }
    }

    /// {_observe} for a plain reading.
    function _observeReading(
        bytes32 subject,
        Reading calldata reading,
        Observer memory observer,
        Run memory run
    ) internal {
        uint32 seq = _admit(subject, reading.point, reading.result, observer, run);
        Result result = _emitObserved(
            subject,
            reading.point,
            reading.result,
            reading.temperature,
            reading.humidity,
            observer,
            seq,
            run
        );
        if (result == Result.Critical || run.limits & QualityLimits.EXTENDED != 0) {
            Observation memory o = Observation(
                subject,
                reading.point,
                reading.result,
                reading.temperature,
                reading.humidity,
                0,
                bytes32(0),
                ""
            );
            _applyRules(o, seq, observer, result, run);
        }
    }

    /// Loads the subject if the run changes, checks who may record the point, numbers the
    /// observation, and keeps the batch's inspected flag.
    function _admit(
        bytes32 subject,
        Point point,
        Result declared,
        Observer memory observer,
        Run memory run
    ) internal returns (uint32 seq) {
        if (run.holder == 0 || subject != run.subject || observer.party != run.party) {
            _flush(run);
            _load(run, subject, observer.party);
        }
        _authorize(subject, point, observer, run);
        // 2^32 observations of one subject cannot happen.
        unchecked {
            seq = ++run.seq;
        }
        if (point == Point.Inspection && !run.isProduct) {
            ISupplyLedger.Batch storage batch = SupplyStorage.layout().batches[subject];
            batch.flags =
                declared == Result.Normal
                    ? batch.flags | SupplyStorage.INSPECTED
                    : batch.flags & ~SupplyStorage.INSPECTED;
        }
    }

    /// Checks the measures, classifies the result against the product's limits, emits {Observed}.
    function _emitObserved(
        bytes32 subject,
        Point point,
        Result result,
        int16 temperature,
        uint16 humidity,
        Observer memory observer,
        uint32 seq,
        Run memory run
    ) internal returns (Result) {
        if (humidity > 10_000 && humidity != QualityLimits.NO_HUMIDITY) revert QualityEngineInvalidHumidity(humidity);
        if (point == Point.Storage || point == Point.Transport) {
            if (run.limits.outside(point == Point.Storage ? 0 : 40, temperature, humidity)) result = Result.Critical;
        }
        emit Observed(subject, observer.party, seq, observer.account, point, result, temperature, humidity);
        return result;
    }

    /// The rules: a critical observation at a stopping point, then the extended rules.
    function _applyRules(
        Observation memory o,
        uint32 seq,
        Observer memory observer,
        Result result,
        Run memory run
    ) internal {
        if (result == Result.Critical && run.limits.stopsOnCritical(o.point) && _criticalStops(o, observer, run)) {
            _ruleStop(o.subject, seq, RuleKind.CriticalObservation, address(0), observer.party);
        }
        if (run.limits & QualityLimits.EXTENDED != 0) {
            // A rule contract may call back: let it see this observation counted.
            _flush(run);
            _extendedRules(o, seq, observer.party, result);
        }
    }

    /// Whether a critical observation may stop its subject: the observer speaks for the
    /// product (its holder, a laboratory or the regulator), or a device measured a value
    /// outside the product's limits. A result another party merely declares, or a value a
    /// person of that party types, is recorded and stops nothing by itself.
    function _criticalStops(
        Observation memory o,
        Observer memory observer,
        Run memory run
    ) internal view returns (bool) {
        if (observer.party == run.holder || _isInspector(observer.domain)) return true;
        return
            (o.point == Point.Storage || o.point == Point.Transport) &&
            run.limits.outside(o.point == Point.Storage ? 0 : 40, o.temperature, o.humidity) &&
            _role(observer) == IConsortiumRegistry.Role.Device;
    }

    /// Reads what observations of `subject` by `party` share: its product's holder and
    /// limits, and its observation count. (The party's stock is read when a check needs it.)
    function _load(Run memory run, bytes32 subject, uint64 party) internal view {
        SupplyStorage.Layout storage $ = SupplyStorage.layout();
        run.subject = subject;
        run.party = party;
        run.stock = _STOCK_UNREAD;
        ISupplyLedger.Product storage product;
        if (_isProduct(subject)) {
            run.isProduct = true;
            product = $.products[uint64(uint256(subject))];
            run.seq = _engine().subjects[subject].productObservations;
        } else {
            ISupplyLedger.Batch storage batch = $.batches[subject];
            if (batch.status == ISupplyLedger.BatchStatus.None) {
                revert ICollaborationEngine.CollaborationUnknownSubject(subject);
            }
            run.isProduct = false;
            product = $.products[batch.gtin];
            run.seq = batch.observations;
        }
        run.holder = product.holder;
        if (run.holder == 0) revert ICollaborationEngine.CollaborationUnknownSubject(subject);
        run.limits = product.limits;
        run.stored = run.seq;
    }

    /// Writes the run's observation count back, if it moved.
    function _flush(Run memory run) internal {
        if (run.seq == run.stored) return;
        if (run.isProduct) _engine().subjects[run.subject].productObservations = run.seq;
        else SupplyStorage.layout().batches[run.subject].observations = run.seq;
        run.stored = run.seq;
    }

    /// Who may record which control point on which subject (see {IQualityEngine-observe}):
    /// on a batch, only a party linked to it — one holding it, shipping it or holding it in
    /// a suspect case, the product's holder, a laboratory or the regulator.
    function _authorize(bytes32 subject, Point point, Observer memory observer, Run memory run) internal view {
        bool allowed;
        if (point <= Point.Production) {
            allowed = observer.party == run.holder;
        } else if (point <= Point.Storage) {
            allowed =
                !run.isProduct &&
                (observer.party == run.holder || _isInspector(observer.domain) || _stock(run) == _STOCK_LINKED);
        } else if (point == Point.Inspection) {
            allowed =
                _isInspector(observer.domain) ||
                ((observer.party == run.holder || (!run.isProduct && _stock(run) == _STOCK_LINKED)) &&
                    _isQaOrDevice(observer));
        } else if (run.isProduct) {
            // Use reports name a batch; on a product, only its holder's pharmacovigilance or the regulator.
            allowed = observer.party == run.holder || observer.domain == IConsortiumRegistry.Domain.Regulator;
        } else {
            allowed = _isUser(observer.domain);
            // The DAG: a use observation needs the batch to have reached this user.
            if (allowed && _stock(run) == _STOCK_NONE) revert QualityEngineNotDelivered(subject, observer.party);
        }
        if (!allowed) revert QualityEnginePointNotAllowed(subject, point, observer.party);
    }

    /// The run's party's custody of the batch, read once.
    function _stock(Run memory run) internal view returns (uint8) {
        if (run.stock == _STOCK_UNREAD) {
            ISupplyLedger.Custody storage stock = SupplyStorage.layout().holdings[run.subject][run.party];
            run.stock =
                stock.held != 0 || stock.inTransit != 0 || stock.suspended != 0
                    ? _STOCK_LINKED
                    : stock.dispensed != 0
                        ? _STOCK_DISPENSED
                        : _STOCK_NONE;
        }
        return run.stock;
    }

    /// Checks a device's signature over an observation, its deadline, and uses its nonce.
    function _checkSignature(SignedObservation calldata signed, bytes32 domainSeparator) internal {
        address device = signed.device;
        uint48 deadline = signed.deadline;
        if (block.timestamp > deadline) revert QualityEngineSignatureExpired(device, deadline);
        bytes32 structHash = _observationHash(signed.observation, _useNonce(device), deadline);
        bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, signed.signature);
        if (error != ECDSA.RecoverError.NoError || signer != device) {
            revert QualityEngineInvalidSignature(device, signer);
        }
    }

    /// Checks a device's compact signature over a reading of `subject`, its deadline, and uses its nonce.
    function _checkReadingSignature(
        bytes32 subject,
        address device,
        SignedReading calldata signed,
        bytes32 domainSeparator
    ) internal {
        uint48 deadline = signed.deadline;
        if (block.timestamp > deadline) revert QualityEngineSignatureExpired(device, deadline);
        bytes32 structHash = _readingHash(subject, signed.reading, _useNonce(device), deadline);
        bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(digest, signed.r, signed.vs);
        if (error != ECDSA.RecoverError.NoError || signer != device) {
            revert QualityEngineInvalidSignature(device, signer);
        }
    }

    /**
     * The EIP-712 struct hash of a signed reading ({READING_TYPEHASH}), hashed in scratch
     * memory: a series of 100 would otherwise grow memory by 100 encodings.
     */
    function _readingHash(
        bytes32 subject,
        Reading calldata reading,
        uint256 nonce,
        uint48 deadline
    ) internal pure returns (bytes32 hash) {
        bytes32 typehash = READING_TYPEHASH;
        // The small types arrive validated by the ABI decoder; each is written as its ABI word.
        uint8 point = uint8(reading.point);
        uint8 result = uint8(reading.result);
        int16 temperature = reading.temperature;
        uint16 humidity = reading.humidity;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            mstore(add(m, 0x20), subject)
            mstore(add(m, 0x40), point)
            mstore(add(m, 0x60), result)
            mstore(add(m, 0x80), signextend(1, temperature))
            mstore(add(m, 0xa0), humidity)
            mstore(add(m, 0xc0), nonce)
            mstore(add(m, 0xe0), deadline)
            hash := keccak256(m, 0x100)
        }
    }

    /// The EIP-712 struct hash of an observation ({OBSERVATION_TYPEHASH}).
    function _observationHash(Observation calldata o, uint256 nonce, uint48 deadline) internal pure returns (bytes32) {
        return
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
                    nonce,
                    deadline
                )
            );
    }

    /// The adverse-count rule and the rule contract, for products whose limits say they have them.
    function _extendedRules(Observation memory o, uint32 seq, uint64 party, Result result) internal {
        bytes32 subject = o.subject;
        uint64 gtin = _isProduct(subject) ? uint64(uint256(subject)) : _batch(subject).gtin;
        Extension memory extension = _engine().extensions[gtin];
        if (extension.adverseCount != 0 && o.point == Point.Adverse && !_isProduct(subject)) {
            if (_countAdverse(subject, party, extension.adverseCount, extension.adverseWindow)) {
                _ruleStop(subject, seq, RuleKind.AdverseCount, address(0), party);
            }
        }
        if (extension.ruleContract != address(0)) {
            (bool ok, bool stop) = _consult(extension.ruleContract, extension.ruleGas, o, seq, party, result);
            if (!ok) emit RuleFailed(subject, seq, extension.ruleContract);
            else if (stop) _ruleStop(subject, seq, RuleKind.Contract, extension.ruleContract, party);
        }
    }

    /**
     * Records `party`'s adverse-reaction report now; true if `count` distinct parties have
     * reported within `window` seconds (one reporter counts once, however often it reports).
     * The batch keeps its 8 most recent distinct reporters, newest first, as 64-bit lanes
     * over two words: time (36 bits, until the year 4147) and party (24 bits, as in unit
     * records). A reporter's new report replaces its earlier lane.
     */
    function _countAdverse(bytes32 batchId, uint64 party, uint8 count, uint32 window) internal returns (bool) {
        uint256[2] storage ring = _engine().adverse[batchId];
        uint256 now_ = block.timestamp & 0xfffffffff;
        uint256 reporter = uint256(party).toUint24();
        uint256[2] memory lanes = [ring[0], ring[1]];
        uint256[2] memory next = [now_ | (reporter << 36), 0];
        uint256 n = 1;
        for (uint256 i = 0; i < 8 && n < 8; ++i) {
            uint256 lane = (lanes[i >> 2] >> ((i & 3) << 6)) & type(uint64).max;
            if (lane == 0) break;
            if (lane >> 36 == reporter) continue;
            next[n >> 2] |= lane << ((n & 3) << 6);
            ++n;
        }
        ring[0] = next[0];
        ring[1] = next[1];
        // The (count − 1)th most recent other reporter (count ≤ 8, so the lane is 1..7).
        uint256 k = count - 1;
        if (k == 0) return true;
        uint256 earlier = (next[k >> 2] >> ((k & 3) << 6)) & 0xfffffffff;
        return earlier != 0 && now_ - earlier <= window;
    }

    /**
     * Calls the rule contract with exactly its gas allowance and reads at most one word
     * back, so that neither its gas nor its return data can hurt the observation.
     */
    function _consult(
        address rule,
        uint32 ruleGas,
        Observation memory o,
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

    function _isQaOrDevice(Observer memory observer) private view returns (bool) {
        IConsortiumRegistry.Role role = _role(observer);
        return role == IConsortiumRegistry.Role.QA || role == IConsortiumRegistry.Role.Device;
    }

    /// The observer's role, read once when a check first needs it.
    function _role(Observer memory observer) private view returns (IConsortiumRegistry.Role) {
        if (observer.role == IConsortiumRegistry.Role.None) observer.role = _memberRole(observer.account);
        return observer.role;
    }

    function _isInspector(IConsortiumRegistry.Domain domain) private pure returns (bool) {
        return domain == IConsortiumRegistry.Domain.Laboratory || domain == IConsortiumRegistry.Domain.Regulator;
    }

    function _isUser(IConsortiumRegistry.Domain domain) private pure returns (bool) {
        return domain == IConsortiumRegistry.Domain.Hospital || domain == IConsortiumRegistry.Domain.Pharmacy;
    }
}
