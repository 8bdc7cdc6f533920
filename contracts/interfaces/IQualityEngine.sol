// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IQualityEngine
 * @notice Observations at the eight HACCP control points, and the rules that turn them
 * into an automatic stop of the batch or product ({ICollaborationEngine}).
 *
 * The engine runs on the BatchRegistry's address (the BatchRegistry's routing table sends
 * it these selectors), on the same storage: call these functions at the BatchRegistry
 * proxy. Called at its own address, every function reverts with
 * {ICollaborationEngine-CollaborationDirectCall}.
 *
 * - A **subject** is a batch (its `bytes32` id) or a product: `bytes32(uint256(gtin))`.
 *   Batch ids are keccak hashes, so a subject below 2^64 is a product.
 * - **Observations** are never stored: each is an event ({Observed}) numbered per subject
 *   (`seq` from 1). A correction is a new observation whose `corrects` names the `seq` it
 *   corrects. Measures are scaled integers: temperature in 0.01 °C (`NO_TEMPERATURE` when
 *   absent), relative humidity in 0.01 % (`NO_HUMIDITY` when absent).
 * - **Rules**: per product, limits on storage and transport temperature and humidity (a
 *   measure outside them makes the observation critical), the control points at which a
 *   critical observation stops the subject, "N adverse reactions of one batch within a
 *   window" (N distinct reporting parties), and one pluggable {IQualityRule} contract
 *   admitted by governance. A critical observation stops the subject only when a measure
 *   broke the product's limits or the observer is the product's holder, a laboratory or
 *   the regulator: a result another party merely declares is recorded and stops nothing by
 *   itself. A rule that fires stops the subject (the first state of the graph that rules may enter; a
 *   {ICollaborationEngine-StateChanged} by `Actor.Rule` follows its {RuleFired}); a rule
 *   contract that reverts or runs out of its gas allowance is skipped ({RuleFailed}).
 */
interface IQualityEngine {
    // ==== TYPES ====

    /// @notice The eight HACCP control points.
    enum Point {
        Process,
        Production,
        Order,
        Transport,
        Storage,
        Inspection,
        Efficacy,
        Adverse
    }

    /// @notice An observation's classification against the product's quality attributes.
    enum Result {
        Normal,
        Deviation,
        Critical
    }

    /// @notice Why a rule fired.
    enum RuleKind {
        CriticalObservation,
        AdverseCount,
        Contract
    }

    /// @notice One observation, as recorded.
    struct Observation {
        bytes32 subject;
        Point point;
        Result result;
        int16 temperature;
        uint16 humidity;
        uint32 corrects;
        bytes32 evidenceHash;
        string evidenceUri;
    }

    /// @notice An observation signed by a device (EIP-712 type {OBSERVATION_TYPEHASH},
    /// domain "MedState" version "1" at the BatchRegistry's address), with the device's
    /// next nonce ({nonces}).
    struct SignedObservation {
        Observation observation;
        address device;
        uint48 deadline;
        bytes signature;
    }

    /// @notice A plain reading (no correction, no evidence): the compact form a logger
    /// sends in series. Recorded exactly as the {Observation} with the same fields.
    struct Reading {
        Point point;
        Result result;
        int16 temperature;
        uint16 humidity;
    }

    /// @notice A reading signed by a device: EIP-712 type {READING_TYPEHASH} over the
    /// subject, the reading, the device's next nonce ({nonces}) and the deadline, with an
    /// EIP-2098 compact signature (`r`, `vs`). The subject and the device are given once
    /// per series ({observeSignedReadings}).
    struct SignedReading {
        Reading reading;
        uint48 deadline;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A temperature and humidity range: temperatures in 0.01 °C, humidity in
    /// whole percent. `NO_MIN`, `NO_MAX` and `NO_MAX_HUMIDITY` leave a side open.
    struct Range {
        int16 minTemperature;
        int16 maxTemperature;
        uint8 maxHumidity;
    }

    /// @notice A product's rules. `stopOnCritical` is a bitmask of {Point}: a critical
    /// observation at such a point stops the subject. `adverseCount` (0 = off, at most 8)
    /// adverse reactions of one batch within `adverseWindow` seconds stop it. `ruleContract`
    /// (0 = none) is consulted on every observation of the product with `ruleGas` gas.
    struct Rules {
        Range storageRange;
        Range transportRange;
        uint8 stopOnCritical;
        uint8 adverseCount;
        uint32 adverseWindow;
        address ruleContract;
        uint32 ruleGas;
    }

    // ==== EVENTS ====

    /// @notice Observation `seq` of `subject` was recorded by `observer` of `party`;
    /// `result` is its classification (critical if a measure was outside the product's limits).
    event Observed(
        bytes32 indexed subject,
        uint64 indexed party,
        uint32 seq,
        address observer,
        Point point,
        Result result,
        int16 temperature,
        uint16 humidity
    );

    /// @notice Observation `seq` corrects observation `corrects` (0: none) and/or has evidence.
    event ObservationAnnotated(
        bytes32 indexed subject,
        uint32 indexed seq,
        uint32 corrects,
        bytes32 evidenceHash,
        string evidenceUri
    );

    /// @notice A rule fired on observation `seq` of `subject` and asks for state `state`
    /// (a {StateChanged} follows when the graph allows it). `rule` is the rule contract,
    /// or 0 for a built-in rule.
    event RuleFired(bytes32 indexed subject, uint32 indexed seq, RuleKind kind, address rule, uint8 state);

    /// @notice The rule contract reverted, returned nothing or ran out of its gas on
    /// observation `seq`; the observation stands.
    event RuleFailed(bytes32 indexed subject, uint32 indexed seq, address indexed rule);

    /// @notice A product's rules were set.
    event RulesSet(uint64 indexed gtin, Rules rules, address actor);

    /// @notice `relayer` submitted `count` observations signed by `device`, with its nonces
    /// `firstNonce` to `firstNonce + count − 1`: they are the device's {Observed} events
    /// that precede this one in the transaction. One per device run of a submission.
    event SignedObservationsRelayed(address indexed device, address indexed relayer, uint256 firstNonce, uint256 count);

    // ==== ERRORS ====

    /// @notice `party` may not record `point` on `subject` (wrong domain, not the holder, or not the maker).
    error QualityEnginePointNotAllowed(bytes32 subject, Point point, uint64 party);
    /// @notice A use observation for a batch that never reached `party`.
    error QualityEngineNotDelivered(bytes32 batchId, uint64 party);
    /// @notice `corrects` is not an earlier observation of the subject (there are `count`).
    error QualityEngineInvalidCorrection(bytes32 subject, uint32 corrects, uint32 count);
    /// @notice A humidity above 100 %.
    error QualityEngineInvalidHumidity(uint16 humidity);
    /// @notice The device's signature expired at `deadline`.
    error QualityEngineSignatureExpired(address device, uint48 deadline);
    /// @notice The signature was made by `signer`, not by `device` (or over another nonce).
    error QualityEngineInvalidSignature(address device, address signer);
    /// @notice The rules are invalid: `field` names what is wrong.
    error QualityEngineInvalidRules(string field);
    /// @notice The product's rules are set; changing them needs governance.
    error QualityEngineRulesLocked(uint64 gtin);
    /// @notice Too little gas left to give the rule contract its allowance.
    error QualityEngineInsufficientGas(uint256 needed);

    // ==== OBSERVATIONS ====

    /**
     * @notice Records an observation. Caller: an admin, operator, qa or device member of a
     * party allowed to record the point on the subject. On a batch, only a party linked to
     * it: one that holds some of it, has some in transit from it or in a suspect case, the
     * product's holder, a laboratory or the regulator.
     * - process, production: the product's marketing-authorisation holder;
     * - order, transport, storage (batches only): a linked party;
     * - inspection: a laboratory or the regulator; or a qa or device member of a linked
     *   party (or of the holder);
     * - efficacy, adverse: on a batch, a hospital or pharmacy that received it (holds or
     *   dispensed some); on a product, its holder or the regulator.
     * @return seq The observation's number within its subject.
     */
    function observe(Observation calldata observation) external returns (uint32 seq);

    /// @notice Records many observations, each as {observe} would, all or none.
    function observeMany(Observation[] calldata observations) external;

    /**
     * @notice Records observations signed by devices (EIP-712), all or none. Anyone may
     * submit (an IoT gateway); each signer must be an active `device` member, and is
     * recorded as the observer.
     */
    function observeSigned(SignedObservation[] calldata observations) external;

    /**
     * @notice Records a series of plain readings of one subject by the caller, all or none:
     * each exactly as {observe} would record it (same checks, numbers and events), for a
     * fraction of the calldata.
     */
    function observeReadings(bytes32 subject, Reading[] calldata readings) external;

    /**
     * @notice Records a device's series of readings of one subject, each reading signed by
     * the device (EIP-712, EIP-2098 signatures), all or none; anyone may submit (a
     * gateway uploads each device's buffer). As {observeSigned}, for the compact form.
     */
    function observeSignedReadings(bytes32 subject, address device, SignedReading[] calldata readings) external;

    // ==== RULES AND GOVERNANCE ====

    /**
     * @notice Sets a product's rules. The product's holder (admin or operator) may set them
     * once, without a rule contract; afterwards, and for any rule contract, only the governor.
     */
    function setRules(uint64 gtin, Rules calldata rules) external;

    // ==== VIEWS ====

    /// @notice A product's rules (zeroes and open ranges if never set); reverts for an unknown product.
    function rulesOf(uint64 gtin) external view returns (Rules memory rules, bool set);

    /// @notice The consortium registry the engine checks membership against (it must be
    /// the BatchRegistry's). Callable at the engine's own address too.
    function registry() external view returns (address);

    /// @notice A device's next EIP-712 nonce.
    function nonces(address device) external view returns (uint256);
}
