// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBatchRegistry} from "../../contracts/interfaces/IBatchRegistry.sol";
import {ICollaborationEngine} from "../../contracts/interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {IQualityEngine} from "../../contracts/interfaces/IQualityEngine.sol";
import {ISuspectProduct} from "../../contracts/interfaces/ISuspectProduct.sol";
import {QualityLimits} from "../../contracts/libraries/QualityLimits.sol";
import {BatchRegistry} from "../../contracts/supply/BatchRegistry.sol";
import {
    GOVERNOR,
    HOSPITAL,
    LABORATORY,
    LOGISTICS,
    MAKER,
    MAKER_QA,
    PARTY_COUNT,
    PHARMACY,
    REGULATOR,
    SupplyFixture,
    UnitTree16,
    WHOLESALER,
    supplyAdmin
} from "./BatchRegistry.t.sol";
import {TestBase} from "./utils/Vm.sol";

// ==== PARTIES AND ACCOUNTS (beside BatchRegistry.t.sol's) ====

// A notary, admitted by the governor in {CollaborationFixture}: a witness of destructions.
uint64 constant NOTARY = PARTY_COUNT + 1;
// The highest party id the ledger sums cover (one past every admitted party).
uint64 constant LAST_PARTY = NOTARY + 1;

address constant MAKER_DEVICE = address(0x2D02);
address constant WHOLESALER_DEVICE = address(0x2D03);
// An account that belongs to no party.
address constant STRANGER = address(0xBAD);

// The pharmaceutical graph ({ICollaborationEngine}).
uint8 constant MARKETED = 0;
uint8 constant STOP = 1;
uint8 constant RECALL = 2;
uint8 constant DESTROYED = 3;
uint8 constant DEREGISTERED = 4;

// 2–8 °C, humidity ≤ 65 % in storage; transport 2–8 °C without a humidity bound.
int16 constant MIN_T = 200;
int16 constant MAX_T = 800;
uint8 constant MAX_RH = 65;

/// The pharmaceutical graph written out from the table in ICollaborationEngine's NatSpec
/// (not from the contract), as the reference the tests compare against.
library PharmaGraph {
    /// `from` mask of each state ("entered from").
    function fromMask(uint8 state) internal pure returns (uint16) {
        if (state == MARKETED) return uint16(1 << STOP);
        if (state == STOP) return uint16(1 << MARKETED);
        if (state == RECALL) return uint16(1 << STOP);
        if (state == DESTROYED) return uint16((1 << RECALL) | (1 << DESTROYED));
        if (state == DEREGISTERED) return uint16(1 << STOP);
        return 0;
    }

    /// "needs reached".
    function prerequisites(uint8 state) internal pure returns (uint16) {
        if (state == RECALL || state == DEREGISTERED) return uint16(1 << STOP);
        if (state == DESTROYED) return uint16(1 << RECALL);
        return 0;
    }

    /// True if a batch (`isProduct` false) or product may be in `state` ("scope").
    function inScope(uint8 state, bool isProduct) internal pure returns (bool) {
        if (state == MARKETED || state == STOP) return true;
        if (state == RECALL || state == DESTROYED) return !isProduct;
        if (state == DEREGISTERED) return isProduct;
        return false;
    }

    /// A change of state a subject may make: `to` is entered from `from`, in scope.
    function isEdge(uint8 from, uint8 to, bool isProduct) internal pure returns (bool) {
        return to <= DEREGISTERED && inScope(to, isProduct) && (fromMask(to) >> from) & 1 == 1;
    }
}

/// The suspect-case graph written out from ISuspectProduct's NatSpec (not from the contract):
/// Quarantined → Investigating → Cleared | Illegitimate → Closed, and who may take each step.
library CaseGraph {
    /// A status change a case may make (None → Quarantined is the report).
    function isEdge(ISuspectProduct.CaseStatus from, ISuspectProduct.CaseStatus to) internal pure returns (bool) {
        if (from == ISuspectProduct.CaseStatus.None) return to == ISuspectProduct.CaseStatus.Quarantined;
        if (from == ISuspectProduct.CaseStatus.Quarantined) return to == ISuspectProduct.CaseStatus.Investigating;
        if (from == ISuspectProduct.CaseStatus.Investigating)
            return to == ISuspectProduct.CaseStatus.Cleared || to == ISuspectProduct.CaseStatus.Illegitimate;
        if (from == ISuspectProduct.CaseStatus.Illegitimate) return to == ISuspectProduct.CaseStatus.Closed;
        return false;
    }

    /// The status a case must have been in to be in `status` (None for Quarantined).
    function predecessor(ISuspectProduct.CaseStatus status) internal pure returns (ISuspectProduct.CaseStatus) {
        if (status == ISuspectProduct.CaseStatus.Investigating) return ISuspectProduct.CaseStatus.Quarantined;
        if (status == ISuspectProduct.CaseStatus.Cleared || status == ISuspectProduct.CaseStatus.Illegitimate)
            return ISuspectProduct.CaseStatus.Investigating;
        if (status == ISuspectProduct.CaseStatus.Closed) return ISuspectProduct.CaseStatus.Illegitimate;
        return ISuspectProduct.CaseStatus.None;
    }

    /// Whether `party` may move a case reported by `reporter` of the product held by `holder` to `to`
    /// (Quarantined: any party, the reporter itself).
    function mayMove(
        ISuspectProduct.CaseStatus to,
        uint64 party,
        uint64 reporter,
        uint64 holder,
        uint64 regulator
    ) internal pure returns (bool) {
        if (to == ISuspectProduct.CaseStatus.Quarantined) return party == reporter;
        if (to == ISuspectProduct.CaseStatus.Investigating)
            return party == reporter || party == holder || party == regulator;
        if (to == ISuspectProduct.CaseStatus.Cleared || to == ISuspectProduct.CaseStatus.Illegitimate)
            return party == holder || party == regulator;
        if (to == ISuspectProduct.CaseStatus.Closed) return party == regulator;
        return false;
    }

    /// Whether `party` may record the notification of an illegitimate finding.
    function mayNotify(uint64 party, uint64 reporter, uint64 holder) internal pure returns (bool) {
        return party == reporter || party == holder;
    }

    /// A case holds its stock while it is open.
    function holdsStock(ISuspectProduct.CaseStatus status) internal pure returns (bool) {
        return
            status == ISuspectProduct.CaseStatus.Quarantined ||
            status == ISuspectProduct.CaseStatus.Investigating ||
            status == ISuspectProduct.CaseStatus.Illegitimate;
    }
}

/**
 * @title CollaborationFixture
 * @notice {SupplyFixture} (registry, engines, BatchRegistry proxy, released batch of 64
 * with 16 units held by the maker) plus: a notary (party 9), device members of the maker
 * and the wholesaler, and the 2–8 °C rules on the product (critical transport, storage
 * and inspection observations stop the subject), set by its holder.
 */
abstract contract CollaborationFixture is SupplyFixture {
    bytes32 internal product;

    function _deployCollaboration() internal {
        _deploy();
        _createReleasedBatch();
        product = bytes32(uint256(GTIN));
        vm.prank(GOVERNOR);
        uint64 notary = registry.admitParty(
            IConsortiumRegistry.PartyAdmission({
                name: "Notary",
                domain: IConsortiumRegistry.Domain.Notary,
                admin: supplyAdmin(NOTARY),
                voter: false,
                licences: new IConsortiumRegistry.LicenceGrant[](0)
            })
        );
        _assertEq(notary, NOTARY, "notary party id");
        vm.prank(supplyAdmin(MAKER));
        registry.addMember(MAKER, MAKER_DEVICE, IConsortiumRegistry.Role.Device);
        vm.prank(supplyAdmin(WHOLESALER));
        registry.addMember(WHOLESALER, WHOLESALER_DEVICE, IConsortiumRegistry.Role.Device);
        vm.prank(supplyAdmin(MAKER));
        quality().setRules(GTIN, vaccineRules());
    }

    function quality() internal view returns (IQualityEngine) {
        return IQualityEngine(address(batches));
    }

    function collaboration() internal view returns (ICollaborationEngine) {
        return ICollaborationEngine(address(batches));
    }

    function suspects() internal view returns (ISuspectProduct) {
        return ISuspectProduct(address(batches));
    }

    function vaccineRules() internal pure returns (IQualityEngine.Rules memory) {
        return
            IQualityEngine.Rules({
                storageRange: IQualityEngine.Range(MIN_T, MAX_T, MAX_RH),
                transportRange: IQualityEngine.Range(MIN_T, MAX_T, QualityLimits.NO_MAX_HUMIDITY),
                stopOnCritical: uint8(
                    (1 << uint8(IQualityEngine.Point.Transport)) |
                        (1 << uint8(IQualityEngine.Point.Storage)) |
                        (1 << uint8(IQualityEngine.Point.Inspection))
                ),
                adverseCount: 0,
                adverseWindow: 0,
                ruleContract: address(0),
                ruleGas: 0
            });
    }

    /// The classification the rules above give a storage or transport reading (reference).
    function expectedResult(
        bool transport,
        int16 temperature,
        uint16 humidity
    ) internal pure returns (IQualityEngine.Result) {
        bool outside = temperature != QualityLimits.NO_TEMPERATURE && (temperature < MIN_T || temperature > MAX_T);
        if (!transport && humidity != QualityLimits.NO_HUMIDITY && humidity > uint256(MAX_RH) * 100) outside = true;
        return outside ? IQualityEngine.Result.Critical : IQualityEngine.Result.Normal;
    }

    function reading(
        bytes32 subject,
        IQualityEngine.Point point,
        IQualityEngine.Result result,
        int16 temperature,
        uint16 humidity
    ) internal pure returns (IQualityEngine.Observation memory) {
        return
            IQualityEngine.Observation({
                subject: subject,
                point: point,
                result: result,
                temperature: temperature,
                humidity: humidity,
                corrects: 0,
                evidenceHash: bytes32(0),
                evidenceUri: ""
            });
    }

    function record(bytes32 subject) internal view returns (ICollaborationEngine.SubjectRecord memory) {
        return collaboration().subjectRecord(subject);
    }
}

/**
 * @title CollaborationTest
 * @notice Unit and fuzz tests of the collaborative states and of the rules that stop a
 * subject, at the BatchRegistry proxy.
 */
contract CollaborationTest is CollaborationFixture {
    function setUp() public {
        _deployCollaboration();
    }

    // ==== the graph ====

    /// Until governance configures one, the graph is the NatSpec's pharmaceutical table.
    function test_stateGraph_isThePharmaceuticalDefault() public view {
        ICollaborationEngine.StateDef[] memory g = collaboration().stateGraph();
        _assertEq(g.length, 5, "states");
        uint8[5] memory actors = [
            uint8(1 << uint8(ICollaborationEngine.Actor.Regulator)),
            uint8(
                (1 << uint8(ICollaborationEngine.Actor.Regulator)) |
                    (1 << uint8(ICollaborationEngine.Actor.Holder)) |
                    (1 << uint8(ICollaborationEngine.Actor.Rule))
            ),
            uint8((1 << uint8(ICollaborationEngine.Actor.Regulator)) | (1 << uint8(ICollaborationEngine.Actor.Holder))),
            uint8(1 << uint8(ICollaborationEngine.Actor.Witness)),
            uint8((1 << uint8(ICollaborationEngine.Actor.Regulator)) | (1 << uint8(ICollaborationEngine.Actor.Holder)))
        ];
        uint8[5] memory kinds = [0, 0, 1, 2, 0];
        uint8[5] memory scopes = [3, 3, 1, 1, 2];
        for (uint8 s = 0; s < 5; ++s) {
            _assertEq(g[s].from, PharmaGraph.fromMask(s), "from");
            _assertEq(g[s].prerequisites, PharmaGraph.prerequisites(s), "prerequisites");
            _assertEq(g[s].actors, actors[s], "actors");
            _assertEq(uint8(g[s].kind), kinds[s], "kind");
            _assertEq(g[s].scope, scopes[s], "scope");
            _assertEq(g[s].halts, s != MARKETED, "halts");
        }
    }

    /// A random walk of regulator transitions on the batch or the product: each succeeds
    /// exactly when the reference graph has the edge (plain states only), and the
    /// reached mask holds every state entered.
    function testFuzz_transition_followsTheGraph(uint256 seed) public {
        uint8[2] memory own;
        uint16[2] memory reached = [uint16(1), uint16(1)];
        for (uint256 i = 0; i < 12; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            bool isProduct = r & 1 == 1;
            uint8 to = uint8((r >> 1) % 5);
            bytes32 subject = isProduct ? product : batchId;
            uint256 k = isProduct ? 1 : 0;
            bool plain = to != RECALL && to != DESTROYED;
            bool expected = plain && PharmaGraph.isEdge(own[k], to, isProduct);
            vm.prank(supplyAdmin(REGULATOR));
            try collaboration().transition(subject, to, "walk") {
                _assertTrue(expected, "transition succeeded off the graph");
                own[k] = to;
                reached[k] |= uint16(1 << to);
            } catch {
                _assertFalse(expected, "transition along the graph refused");
            }
            ICollaborationEngine.SubjectRecord memory rec = record(subject);
            _assertEq(rec.state, own[k], "state");
            _assertEq(rec.reached, reached[k], "reached");
        }
        uint8 effective = own[0] > own[1] ? own[0] : own[1];
        _assertEq(record(batchId).effectiveState, effective, "effective state");
    }

    /// Storage and transport readings are classified against the product's limits, and
    /// a critical one stops the batch by rule. Any temperature and humidity.
    function testFuzz_observe_classifiesAgainstLimits(int16 temperature, uint16 humidity, bool transport) public {
        _observeAndCheck(temperature, humidity, transport);
    }

    /// The same near the bounds (1.5–8.5 °C, 60–70 % RH), where an off-by-one would show.
    function testFuzz_observe_classifiesAtTheBounds(uint256 t, uint256 h, bool transport) public {
        int16 temperature = int16(int256(_bound(t, 150, 850)));
        uint16 humidity = uint16(_bound(h, 6000, 7000));
        _observeAndCheck(temperature, humidity, transport);
    }

    function test_observe_absentMeasuresAreNeverOutside() public {
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, QualityLimits.NO_HUMIDITY, false);
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, 6500, false);
        _observeAndCheck(800, QualityLimits.NO_HUMIDITY, true);
        _assertEq(record(batchId).state, MARKETED, "still marketed");
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, 6501, false);
        _assertEq(record(batchId).state, STOP, "humidity 65.01 % stops");
    }

    /// A rule stops, but a rule never resumes: a second critical reading on a stopped
    /// batch records the observation and changes nothing.
    function test_ruleStop_onlyFromMarketed() public {
        _observeAndCheck(801, QualityLimits.NO_HUMIDITY, false);
        ICollaborationEngine.SubjectRecord memory rec = record(batchId);
        _assertEq(rec.state, STOP, "stopped by rule");
        _observeAndCheck(-500, QualityLimits.NO_HUMIDITY, true);
        rec = record(batchId);
        _assertEq(rec.state, STOP, "still stopped");
        _assertEq(rec.reached, (1 << MARKETED) | (1 << STOP), "reached");
    }

    /// While the product is stopped every batch of it halts; cancelling still works.
    function test_productStop_haltsTheBatchButNotCancellation() public {
        vm.prank(supplyAdmin(MAKER));
        bytes32 shipment = batches.ship(batchId, WHOLESALER, 5);
        vm.prank(supplyAdmin(MAKER));
        collaboration().transition(product, STOP, "product stop");
        _assertEq(record(batchId).effectiveState, STOP, "effective");
        _assertEq(record(batchId).state, MARKETED, "own");
        vm.prank(supplyAdmin(WHOLESALER));
        vm.expectRevert(abi.encodeWithSelector(IBatchRegistry.BatchRegistryHalted.selector, batchId, STOP));
        batches.receiveShipment(batchId, shipment);
        vm.prank(supplyAdmin(MAKER));
        batches.cancelShipment(batchId, shipment);
        _assertEq(batches.holding(batchId, MAKER), QUANTITY, "back at the maker");
        // The holder may stop, only the regulator resumes.
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(
            abi.encodeWithSelector(ICollaborationEngine.CollaborationActorNotAllowed.selector, product, MARKETED, MAKER)
        );
        collaboration().transition(product, MARKETED, "resume");
        vm.prank(supplyAdmin(REGULATOR));
        collaboration().transition(product, MARKETED, "resume");
        vm.prank(supplyAdmin(MAKER));
        batches.ship(batchId, WHOLESALER, 5);
    }

    /// Recall deadlines follow the level (1, 3, 7 days by default); other levels are refused.
    function testFuzz_openRecall_deadlineFollowsLevel(uint8 level) public {
        vm.prank(supplyAdmin(REGULATOR));
        collaboration().transition(batchId, STOP, "stop");
        vm.prank(supplyAdmin(MAKER));
        if (level == 0 || level > 3) {
            vm.expectRevert(abi.encodeWithSelector(ICollaborationEngine.CollaborationInvalidLevel.selector, level));
            collaboration().openRecall(batchId, level, "recall");
            return;
        }
        collaboration().openRecall(batchId, level, "recall");
        ICollaborationEngine.SubjectRecord memory rec = record(batchId);
        uint256 period = level == 1 ? 1 days : (level == 2 ? 3 days : 7 days);
        _assertEq(rec.recallLevel, level, "level");
        _assertEq(rec.recallOpenedAt, block.timestamp, "opened at");
        _assertEq(rec.recallDeadline, block.timestamp + period, "deadline");
        _assertEq(rec.state, RECALL, "state");
        _assertEq(rec.reached, (1 << MARKETED) | (1 << STOP) | (1 << RECALL), "reached");
    }

    /// Devices observe but never move a subject; strangers do nothing.
    function test_devicesAndStrangersCannotChangeStates() public {
        address[3] memory callers = [MAKER_DEVICE, WHOLESALER_DEVICE, STRANGER];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            try collaboration().transition(batchId, STOP, "x") {
                _assertTrue(false, "transition by a device or stranger");
            } catch {}
            vm.prank(callers[i]);
            try collaboration().transition(product, STOP, "x") {
                _assertTrue(false, "product transition by a device or stranger");
            } catch {}
        }
        vm.prank(supplyAdmin(REGULATOR));
        collaboration().transition(batchId, STOP, "stop");
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            try collaboration().openRecall(batchId, 1, "x") {
                _assertTrue(false, "recall by a device or stranger");
            } catch {}
        }
        _assertEq(record(batchId).state, STOP, "state");
        _assertEq(record(product).state, MARKETED, "product state");
    }

    /// A short scripted campaign through the handler: every action can succeed, so the
    /// invariant campaigns below are not vacuous.
    function test_handler_everyActionSucceeds() public {
        CollaborationHandler h = new CollaborationHandler(batches, batchId);
        // Caller seeds: 0 regulator, 3 maker admin, 11 notary. Observer seed 0: logistics.
        // Holder seed 0: the maker; destination seeds 1 wholesaler, 3 pharmacy. Shipment seed 1:
        // the first open one; caller seed 1: the party allowed to.
        uint256 at5C = (350 << 8) | 1; // 1.5 °C + 3.5 °C
        uint256 at20C = (3000 << 8) | 4; // −10 °C + 30 °C
        h.observe(0, 0, at5C, 0, 0); // logistics: storage 5 °C, normal
        h.ship(0, 1, 1); // maker → wholesaler 1
        h.receiveShipment(1, 1);
        h.ship(0, 3, 1); // maker → pharmacy 1
        h.cancelShipment(1, 1);
        h.ship(0, 3, 1);
        h.rejectShipment(1, 1);
        h.ship(0, 3, 1);
        h.receiveShipment(1, 1);
        h.dispense(0, 1); // the pharmacy dispenses unit 0
        h.transition(3, true, 0); // the maker stops the product
        h.transition(0, true, 1); // the regulator resumes it
        h.observe(0, 0, at20C, 0, 0); // logistics: storage 20 °C: the batch stops by rule
        h.openRecall(0, 1); // the regulator, level I
        h.returnStock(1, 1, 2); // the maker's admin returns 1
        h.proposeDestruction(3, 1); // the maker proposes destroying 1
        h.witnessDestruction(11, 0); // the notary witnesses
        // Unit seed 18: the whole batch. Case seed 1: the first case in the status the action needs.
        h.reportSuspect(3, 18, 2); // case 1: the maker quarantines 2 of its stock
        h.investigateSuspect(3, 1); // the maker (holder and reporter)
        h.concludeSuspect(0, 1, true); // the regulator: illegitimate
        h.wait(1 hours);
        h.notifyIllegitimate(3, 1); // the maker, in time
        h.closeSuspect(0, 1); // the regulator: 2 destroyed
        h.reportSuspect(7, 5, 1); // case 2: the wholesaler, unit 5, 1 of its stock
        h.investigateSuspect(7, 1); // the wholesaler (reporter)
        h.concludeSuspect(3, 1, false); // the maker: cleared, the 1 goes back
        for (uint8 a = 0; a < uint8(type(CollaborationHandler.Action).max) + 1; ++a) {
            _assertTrue(h.successes(CollaborationHandler.Action(a)) > 0, "action succeeded");
        }
        _assertEq(h.mispredictions(), 0, "mispredictions");
        _assertEq(h.caseOffGraphChanges(), 0, "case changes off the graph");
        _assertEq(h.caseWrongActorMoves(), 0, "case changes by a party not allowed");
        _assertEq(record(batchId).state, DESTROYED, "destroyed");
        _assertEq(h.caseCount(), 2, "cases");
        _assertEq(
            uint8(suspects().suspectCase(h.caseAt(0).id).status),
            uint8(ISuspectProduct.CaseStatus.Closed),
            "case 1"
        );
        _assertEq(
            uint8(suspects().suspectCase(h.caseAt(1).id).status),
            uint8(ISuspectProduct.CaseStatus.Cleared),
            "case 2"
        );
        (uint32 cases, uint48 suspended) = suspects().suspectCount(batchId);
        _assertEq(cases, 2, "suspect count");
        _assertEq(suspended, 0, "suspended");
        // 1 destroyed by the witnessed destruction, 2 by closing case 1.
        _assertEq(batches.getBatch(batchId).destroyed, 3, "destroyed stock");
    }

    // ==== PRIVATE ====

    function _observeAndCheck(int16 temperature, uint16 humidity, bool transport) private {
        IQualityEngine.Point point = transport ? IQualityEngine.Point.Transport : IQualityEngine.Point.Storage;
        IQualityEngine.Observation memory o = reading(
            batchId,
            point,
            IQualityEngine.Result.Normal,
            temperature,
            humidity
        );
        ICollaborationEngine.SubjectRecord memory before = record(batchId);
        vm.prank(supplyAdmin(LOGISTICS));
        if (humidity > 10_000 && humidity != QualityLimits.NO_HUMIDITY) {
            vm.expectRevert(abi.encodeWithSelector(IQualityEngine.QualityEngineInvalidHumidity.selector, humidity));
            quality().observe(o);
            return;
        }
        IQualityEngine.Result result = expectedResult(transport, temperature, humidity);
        uint32 seq = before.observations + 1;
        vm.expectEmit(address(batches));
        emit IQualityEngine.Observed(
            batchId,
            LOGISTICS,
            seq,
            supplyAdmin(LOGISTICS),
            point,
            result,
            temperature,
            humidity
        );
        _assertEq(quality().observe(o), seq, "seq");
        ICollaborationEngine.SubjectRecord memory rec = record(batchId);
        _assertEq(rec.observations, seq, "observations");
        bool stops = result == IQualityEngine.Result.Critical && before.state == MARKETED;
        _assertEq(rec.state, stops ? STOP : before.state, "state after the reading");
    }
}

/**
 * @title CollaborationHandler
 * @notice Drives, on one released batch of 64 and its product, random transitions
 * (stop, resume, deregister; and the recall and disposal states, which {transition}
 * must refuse) by random actors (regulator, maker admin and QA, wholesaler, devices, a
 * stranger, the notary, other parties), recalls at random levels (0–4), returns by
 * random holders, destruction proposals and witnesses, ships, receives, cancels,
 * rejects, dispenses, storage/transport readings at random temperatures and humidities
 * against the 2–8 °C rules (critical readings stop the batch by rule), inspections with
 * random results, suspect-product cases (reports of the batch or a unit, investigations,
 * findings, notifications, closures) by random actors, and the passing of time. It
 * catches every revert.
 *
 * It keeps a model (holdings, open shipments, states, recall, quarantine, destructions,
 * units, suspect cases and the stock they hold) updated only by calls that succeeded,
 * predicts each call's outcome from the reference graphs ({PharmaGraph}, {CaseGraph})
 * and counts the mispredictions; and ghost counters for the invariants: state and case
 * changes off their graphs, stock moved while halted, successes by unauthorised callers.
 */
contract CollaborationHandler is TestBase {
    enum Action {
        Transition,
        OpenRecall,
        ReturnStock,
        ProposeDestruction,
        WitnessDestruction,
        Ship,
        Receive,
        Cancel,
        Reject,
        Dispense,
        Observe,
        Wait,
        ReportSuspect,
        InvestigateSuspect,
        ConcludeSuspect,
        NotifySuspect,
        CloseSuspect
    }

    struct Caller {
        address account;
        uint64 party;
        /// An admin, operator or QA member of an active party (not a device, not a stranger).
        bool actor;
    }

    struct Open {
        bytes32 id;
        uint64 from;
        uint64 to;
        uint48 quantity;
        bool open;
    }

    struct Proposal {
        bytes32 id;
        uint48 quantity;
        ICollaborationEngine.DestructionStatus status;
        uint256 proposedAt;
    }

    /// A suspect case as the model knows it; `reached` has bit s for every status it was in.
    struct Case {
        bytes32 id;
        uint64 reporter;
        uint48 quantity;
        uint48 unit;
        uint256 openedAt;
        ISuspectProduct.CaseStatus status;
        uint8 reached;
        uint256 notifyBy;
        uint256 notifiedAt;
    }

    BatchRegistry public immutable batches;
    bytes32 public immutable batchId;
    bytes32 public immutable product;
    uint64 public immutable gtin;
    uint48 public immutable quantity;

    uint64[5] private _custodians = [MAKER, WHOLESALER, LOGISTICS, PHARMACY, HOSPITAL];

    // ---- model ----
    mapping(uint64 partyId => uint256) public modelHeld;
    mapping(uint64 partyId => uint256) public modelDispensed;
    Open[] private _shipments;
    uint256 private _openCount;
    uint256 public openTotal;
    /// Index 0: the batch; 1: the product.
    uint8[2] public modelState;
    uint16[2] public modelReached = [uint16(1), uint16(1)];
    uint32[2] public modelObservations;
    uint32 public modelRecalls;
    uint8 public modelRecallLevel;
    uint256 public modelRecallOpenedAt;
    uint256 public modelRecallDeadline;
    uint256 public modelQuarantined;
    uint256 public modelDestroyed;
    Proposal[] private _proposals;
    mapping(uint256 index => bool) public unitDispensed;
    Case[] private _cases;
    /// The stock open suspect cases hold.
    uint256 public modelSuspended;

    // ---- ghosts ----
    uint256 public mispredictions;
    /// The last action whose outcome the model did not predict (to read a failing campaign).
    Action public lastMisprediction;
    /// State changes seen (own state before and after a call) that are not edges of the graph.
    uint256 public offGraphChanges;
    /// Reached masks that lost a bit, or do not hold the current state or its prerequisites.
    uint256 public reachedViolations;
    /// Ships, receives and (non-suspect) dispenses that succeeded while the batch's effective state was not 0.
    uint256 public haltedTrades;
    /// Holdings that changed, while halted, other than by a return (down) or a cancel/reject (back to the sender).
    uint256 public haltedLedgerChanges;
    /// Transitions, recalls and destruction proposals or witnesses that succeeded for a stranger or a device.
    uint256 public unauthorizedSuccesses;
    /// The same for parties that are members but not allowed (not regulator/holder/witness as the state says).
    uint256 public wrongPartySuccesses;
    mapping(Action action => uint256) public successes;
    /// State changes seen, per edge `from * 8 + to` and subject (0 batch, 1 product).
    mapping(uint256 edge => uint256) public edgeCounts;
    /// Suspect-case status changes seen (status before and after a call) that are not edges of {CaseGraph}.
    uint256 public caseOffGraphChanges;
    /// Suspect-case status changes (and notifications) that succeeded for a stranger, a device,
    /// or a party {CaseGraph} does not allow.
    uint256 public caseWrongActorMoves;

    // ---- per-call scratch ----
    uint256[LAST_PARTY + 1] private _heldBefore;
    bool private _haltedBefore;
    uint8[2] private _stateBefore;
    uint16[2] private _reachedBefore;

    constructor(BatchRegistry batches_, bytes32 batchId_) {
        batches = batches_;
        batchId = batchId_;
        IBatchRegistry.Batch memory b = batches_.getBatch(batchId_);
        gtin = b.gtin;
        quantity = b.quantity;
        product = bytes32(uint256(b.gtin));
        modelHeld[MAKER] = batches_.holding(batchId_, MAKER);
        modelObservations[0] = b.observations;
        modelObservations[1] = _collaboration().subjectRecord(product).observations;
        // Stock at the wholesaler, both dispensers and logistics, so that every holder can act.
        _seed(MAKER, WHOLESALER, 24);
        _seed(WHOLESALER, PHARMACY, 6);
        _seed(MAKER, HOSPITAL, 6);
        _seed(WHOLESALER, LOGISTICS, 4);
    }

    // ==== ACTIONS: STATES ====

    /// A plain transition: stop 6/16, resume 5/16, deregister 2/16; recall, disposal or an unknown state 3/16 (refused).
    function transition(uint256 callerSeed, bool onProduct, uint256 stateSeed) external {
        _before();
        Caller memory c = _caller(callerSeed);
        uint8[16] memory table = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 4, 2, 3, 4, 5];
        uint8 to = table[stateSeed % 16];
        uint256 k = onProduct ? 1 : 0;
        bool expected = _mayTransition(c, k, to);
        vm.prank(c.account);
        try _collaboration().transition(onProduct ? product : batchId, to, "handler") {
            _record(Action.Transition, true, expected);
            _authorityCheck(c, to == MARKETED ? _regulatorOnly(c) : _regulatorOrHolder(c));
            _enter(k, to);
        } catch {
            _record(Action.Transition, false, expected);
        }
        _after(Action.Transition, false, 0, 0);
    }

    function openRecall(uint256 callerSeed, uint256 levelSeed) external {
        _before();
        Caller memory c = _caller(callerSeed);
        uint8 level = uint8(levelSeed % 5);
        bool expected =
            c.actor &&
                _regulatorOrHolder(c) &&
                level >= 1 &&
                level <= 3 &&
                PharmaGraph.isEdge(modelState[0], RECALL, false);
        vm.prank(c.account);
        try _collaboration().openRecall(batchId, level, "handler recall") returns (bytes32 recallId) {
            _record(Action.OpenRecall, true, expected);
            _authorityCheck(c, _regulatorOrHolder(c));
            _enter(0, RECALL);
            ++modelRecalls;
            modelRecallLevel = level;
            modelRecallOpenedAt = block.timestamp;
            modelRecallDeadline = block.timestamp + (level == 1 ? 1 days : (level == 2 ? 3 days : 7 days));
            if (recallId != keccak256(abi.encode(batchId, "recall", modelRecalls))) _mispredict(Action.OpenRecall);
        } catch {
            _record(Action.OpenRecall, false, expected);
        }
        _after(Action.OpenRecall, false, 0, 0);
    }

    /// A holder (usually one with stock) returns part of its stock; one call in four is a device or the stranger.
    function returnStock(uint256 partySeed, uint256 quantitySeed, uint256 callerSeed) external {
        _before();
        uint64 party = _holderPick(partySeed);
        uint256 who = callerSeed % 8;
        address account = who == 0 ? STRANGER : (who == 1 ? WHOLESALER_DEVICE : supplyAdmin(party));
        if (who == 1) party = WHOLESALER;
        bool actor = who > 1;
        uint256 q = _bound(quantitySeed, 0, modelHeld[party] + 1);
        bool expected = actor && _underRecall() && q > 0 && q <= modelHeld[party];
        vm.prank(account);
        try _collaboration().returnStock(batchId, uint48(q)) returns (uint256 remaining) {
            _record(Action.ReturnStock, true, expected);
            if (!actor) ++unauthorizedSuccesses;
            modelHeld[party] = _dec(modelHeld[party], q);
            modelQuarantined += q;
            if (remaining != modelHeld[party]) _mispredict(Action.ReturnStock);
            _after(Action.ReturnStock, true, party, q);
        } catch {
            _record(Action.ReturnStock, false, expected);
            _after(Action.ReturnStock, false, 0, 0);
        }
    }

    function proposeDestruction(uint256 callerSeed, uint256 quantitySeed) external {
        _before();
        Caller memory c = _caller(callerSeed);
        uint256 q = _bound(quantitySeed, 0, modelQuarantined + 1);
        bool expected =
            c.actor &&
                c.party == MAKER &&
                (modelState[0] == DESTROYED || PharmaGraph.isEdge(modelState[0], DESTROYED, false)) &&
                q > 0 &&
                q <= modelQuarantined;
        vm.prank(c.account);
        try _collaboration().proposeDestruction(batchId, uint48(q)) returns (bytes32 id) {
            _record(Action.ProposeDestruction, true, expected);
            _authorityCheck(c, c.party == MAKER);
            _proposals.push(Proposal(id, uint48(q), ICollaborationEngine.DestructionStatus.Proposed, block.timestamp));
            if (id != keccak256(abi.encode(batchId, "destruction", uint32(_proposals.length)))) {
                _mispredict(Action.ProposeDestruction);
            }
        } catch {
            _record(Action.ProposeDestruction, false, expected);
        }
        _after(Action.ProposeDestruction, false, 0, 0);
    }

    function witnessDestruction(uint256 callerSeed, uint256 proposalSeed) external {
        uint256 n = _proposals.length;
        if (n == 0) return;
        _before();
        Caller memory c = _caller(callerSeed);
        Proposal storage p = _proposals[proposalSeed % n];
        bool witness = c.party == REGULATOR || c.party == NOTARY;
        bool expected =
            c.actor &&
                witness &&
                p.status == ICollaborationEngine.DestructionStatus.Proposed &&
                p.quantity <= modelQuarantined;
        vm.prank(c.account);
        try _collaboration().witnessDestruction(batchId, p.id) {
            _record(Action.WitnessDestruction, true, expected);
            _authorityCheck(c, witness);
            p.status = ICollaborationEngine.DestructionStatus.Witnessed;
            if (modelState[0] != DESTROYED) _enter(0, DESTROYED);
            modelQuarantined = _dec(modelQuarantined, p.quantity);
            modelDestroyed += p.quantity;
        } catch {
            _record(Action.WitnessDestruction, false, expected);
        }
        _after(Action.WitnessDestruction, false, 0, 0);
    }

    // ==== ACTIONS: CUSTODY ====

    function ship(uint256 fromSeed, uint256 toSeed, uint256 quantitySeed) external {
        _before();
        uint64 from = _holderPick(fromSeed);
        uint256 pick = toSeed % 7;
        uint64 to = pick < 5 ? _custodians[pick] : (pick == 5 ? LABORATORY : from);
        uint256 q = _bound(quantitySeed, 0, modelHeld[from] + 1);
        bool expected = !_haltedModel() && to != from && to != LABORATORY && q > 0 && q <= modelHeld[from];
        vm.prank(supplyAdmin(from));
        try batches.ship(batchId, to, uint48(q)) returns (bytes32 id) {
            _record(Action.Ship, true, expected);
            if (_haltedBefore) ++haltedTrades;
            if (id != keccak256(abi.encode(batchId, from, uint32(_shipmentsBy(from))))) _mispredict(Action.Ship);
            _shipments.push(Open({id: id, from: from, to: to, quantity: uint48(q), open: true}));
            ++_openCount;
            openTotal += q;
            modelHeld[from] = _dec(modelHeld[from], q);
        } catch {
            _record(Action.Ship, false, expected);
        }
        _after(Action.Ship, false, 0, 0);
    }

    function receiveShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        (bool found, uint256 i) = _pickShipment(shipmentSeed);
        if (!found) return;
        _before();
        Open storage s = _shipments[i];
        uint64 caller = callerSeed % 4 == 0 ? _custodians[(callerSeed / 4) % 5] : s.to;
        bool expected = s.open && caller == s.to && !_haltedModel();
        vm.prank(supplyAdmin(caller));
        try batches.receiveShipment(batchId, s.id) {
            _record(Action.Receive, true, expected);
            if (_haltedBefore) ++haltedTrades;
            _close(s, s.to);
        } catch {
            _record(Action.Receive, false, expected);
        }
        _after(Action.Receive, false, 0, 0);
    }

    function cancelShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        (bool found, uint256 i) = _pickShipment(shipmentSeed);
        if (!found) return;
        _before();
        Open storage s = _shipments[i];
        uint64 caller = callerSeed % 4 == 0 ? _custodians[(callerSeed / 4) % 5] : s.from;
        bool expected = s.open && caller == s.from;
        (uint64 credited, uint48 q) = (s.from, s.quantity);
        vm.prank(supplyAdmin(caller));
        try batches.cancelShipment(batchId, s.id) {
            _record(Action.Cancel, true, expected);
            _close(s, s.from);
            _after(Action.Cancel, true, credited, q);
        } catch {
            _record(Action.Cancel, false, expected);
            _after(Action.Cancel, false, 0, 0);
        }
    }

    function rejectShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        (bool found, uint256 i) = _pickShipment(shipmentSeed);
        if (!found) return;
        _before();
        Open storage s = _shipments[i];
        uint64 caller = callerSeed % 4 == 0 ? _custodians[(callerSeed / 4) % 5] : s.to;
        bool expected = s.open && caller == s.to;
        (uint64 credited, uint48 q) = (s.from, s.quantity);
        vm.prank(supplyAdmin(caller));
        try batches.rejectShipment(batchId, s.id) {
            _record(Action.Reject, true, expected);
            _close(s, s.from);
            _after(Action.Reject, true, credited, q);
        } catch {
            _record(Action.Reject, false, expected);
            _after(Action.Reject, false, 0, 0);
        }
    }

    /// A pharmacy or hospital dispenses a unit: mostly an active one, one time in four any unit
    /// (a dispensed one is reported as suspect, whatever the state).
    function dispense(uint256 dispenserSeed, uint256 unitSeed) external {
        _before();
        uint64 dispenser = dispenserSeed % 2 == 0 ? PHARMACY : HOSPITAL;
        uint256 index = _pickUnit(unitSeed);
        bool already = unitDispensed[index];
        bool expected = already || (!_haltedModel() && modelHeld[dispenser] >= 1);
        vm.prank(supplyAdmin(dispenser));
        try batches.dispense(UnitTree16.unit(batchId, index)) returns (bool suspect) {
            _record(Action.Dispense, true, expected);
            if (suspect != already) _mispredict(Action.Dispense);
            if (!suspect) {
                if (_haltedBefore) ++haltedTrades;
                unitDispensed[index] = true;
                modelHeld[dispenser] = _dec(modelHeld[dispenser], 1);
                ++modelDispensed[dispenser];
            }
        } catch {
            _record(Action.Dispense, false, expected);
        }
        _after(Action.Dispense, false, 0, 0);
    }

    // ==== ACTIONS: OBSERVATIONS ====

    /**
     * A reading: storage or transport of the batch (classified by the rules), or an
     * inspection of the batch or the product with a random result, by a random observer
     * (logistics, devices, holders, the regulator, the laboratory, a stranger).
     */
    function observe(
        uint256 observerSeed,
        uint256 pointSeed,
        uint256 temperatureSeed,
        uint256 humiditySeed,
        uint256 resultSeed
    ) external {
        _before();
        Caller memory c = _observer(observerSeed);
        uint256 pp = pointSeed % 8;
        IQualityEngine.Point point =
            pp < 4
                ? IQualityEngine.Point.Storage
                : (pp < 6 ? IQualityEngine.Point.Transport : IQualityEngine.Point.Inspection);
        bool onProduct = pp == 7;
        bool isDevice = c.account == MAKER_DEVICE || c.account == WHOLESALER_DEVICE;
        IQualityEngine.Observation memory o;
        o.subject = onProduct ? product : batchId;
        o.point = point;
        o.temperature = _temperature(temperatureSeed);
        o.humidity = _humidity(humiditySeed);
        IQualityEngine.Result[4] memory results = [
            IQualityEngine.Result.Normal,
            IQualityEngine.Result.Normal,
            IQualityEngine.Result.Deviation,
            IQualityEngine.Result.Critical
        ];
        o.result = point == IQualityEngine.Point.Inspection ? results[resultSeed % 4] : IQualityEngine.Result.Normal;

        bool allowed;
        if (c.account == STRANGER) allowed = false;
        else if (point == IQualityEngine.Point.Inspection) {
            bool inspector = c.party == REGULATOR || c.party == LABORATORY;
            bool qaOrDevice = isDevice || c.account == MAKER_QA;
            allowed = inspector || (qaOrDevice && (c.party == MAKER || (!onProduct && modelHeld[c.party] > 0)));
        } else {
            allowed = c.party == LOGISTICS || modelHeld[c.party] > 0;
        }
        bool validHumidity = o.humidity <= 10_000 || o.humidity == QualityLimits.NO_HUMIDITY;
        bool expected = allowed && validHumidity;
        uint256 k = onProduct ? 1 : 0;

        vm.prank(c.account);
        try IQualityEngine(address(batches)).observe(o) returns (uint32 seq) {
            _record(Action.Observe, true, expected);
            ++modelObservations[k];
            if (seq != modelObservations[k]) _mispredict(Action.Observe);
            bool critical = o.result == IQualityEngine.Result.Critical || _outside(point, o.temperature, o.humidity);
            // Every point observed here stops on critical; a rule enters only from where the graph allows.
            if (critical && PharmaGraph.isEdge(modelState[k], STOP, onProduct)) _enter(k, STOP);
        } catch {
            _record(Action.Observe, false, expected);
        }
        _after(Action.Observe, false, 0, 0);
    }

    /// Lets up to two days pass (recall deadlines are 1, 3 and 7 days; the batch keeps ten years).
    function wait(uint256 secondsSeed) external {
        _before();
        vm.warp(block.timestamp + _bound(secondsSeed, 0, 2 days));
        ++successes[Action.Wait];
        _after(Action.Wait, false, 0, 0);
    }

    // ==== ACTIONS: SUSPECT CASES ====

    /**
     * A random caller reports the whole batch or a unit (unit seed % 20: 0–15 a unit, 16 the
     * unit count, 17 just past WHOLE_BATCH, 18–19 WHOLE_BATCH: both refused) and quarantines
     * up to one more than its party holds.
     */
    function reportSuspect(uint256 callerSeed, uint256 unitSeed, uint256 quantitySeed) external {
        _before();
        Caller memory c = _caller(callerSeed);
        uint256 u = unitSeed % 20;
        uint256 wholeBatch = type(uint48).max;
        uint256 unit = u < 17 ? u : (u == 17 ? wholeBatch + 1 : wholeBatch);
        uint256 q = _bound(quantitySeed, 0, modelHeld[c.party] + 1);
        bool expected = c.actor && (unit < UnitTree16.SIZE || unit == wholeBatch) && q <= modelHeld[c.party];
        ISuspectProduct.CaseStatus before = _caseStatus(_caseIdOf(_cases.length + 1));
        vm.prank(c.account);
        try _suspects().reportSuspect(batchId, unit, uint48(q), keccak256("evidence"), "handler") returns (bytes32 id) {
            _record(Action.ReportSuspect, true, expected);
            if (id != _caseIdOf(_cases.length + 1)) _mispredict(Action.ReportSuspect);
            _caseMove(
                before,
                _caseStatus(id),
                CaseGraph.mayMove(ISuspectProduct.CaseStatus.Quarantined, c.party, c.party, MAKER, REGULATOR),
                c
            );
            _cases.push(
                Case({
                    id: id,
                    reporter: c.party,
                    quantity: uint48(q),
                    unit: uint48(unit),
                    openedAt: block.timestamp,
                    status: ISuspectProduct.CaseStatus.Quarantined,
                    reached: uint8(1 << uint8(ISuspectProduct.CaseStatus.Quarantined)),
                    notifyBy: 0,
                    notifiedAt: 0
                })
            );
            modelHeld[c.party] = _dec(modelHeld[c.party], q);
            modelSuspended += q;
            _after(Action.ReportSuspect, true, c.party, q);
        } catch {
            _record(Action.ReportSuspect, false, expected);
            _after(Action.ReportSuspect, false, 0, 0);
        }
    }

    function investigateSuspect(uint256 callerSeed, uint256 caseSeed) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Quarantined);
        if (!found) return;
        _before();
        Caller memory c = _caller(callerSeed);
        Case storage k = _cases[i];
        bool allowed = CaseGraph.mayMove(
            ISuspectProduct.CaseStatus.Investigating,
            c.party,
            k.reporter,
            MAKER,
            REGULATOR
        );
        bool expected = c.actor && k.status == ISuspectProduct.CaseStatus.Quarantined && allowed;
        ISuspectProduct.CaseStatus before = _caseStatus(k.id);
        vm.prank(c.account);
        try _suspects().investigateSuspect(k.id) {
            _record(Action.InvestigateSuspect, true, expected);
            _caseMove(before, _caseStatus(k.id), allowed, c);
            _advance(k, ISuspectProduct.CaseStatus.Investigating);
        } catch {
            _record(Action.InvestigateSuspect, false, expected);
        }
        _after(Action.InvestigateSuspect, false, 0, 0);
    }

    /// The holder or the regulator (or anyone else, refused) clears a case or finds it illegitimate.
    function concludeSuspect(uint256 callerSeed, uint256 caseSeed, bool illegitimate) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Investigating);
        if (!found) return;
        _before();
        Caller memory c = _caller(callerSeed);
        Case storage k = _cases[i];
        ISuspectProduct.CaseStatus to =
            illegitimate ? ISuspectProduct.CaseStatus.Illegitimate : ISuspectProduct.CaseStatus.Cleared;
        bool allowed = CaseGraph.mayMove(to, c.party, k.reporter, MAKER, REGULATOR);
        bool expected = c.actor && k.status == ISuspectProduct.CaseStatus.Investigating && allowed;
        ISuspectProduct.CaseStatus before = _caseStatus(k.id);
        vm.prank(c.account);
        try _suspects().concludeSuspect(k.id, illegitimate, keccak256("finding")) {
            _record(Action.ConcludeSuspect, true, expected);
            _caseMove(before, _caseStatus(k.id), allowed, c);
            _advance(k, to);
            if (illegitimate) {
                k.notifyBy = block.timestamp + 24 hours;
                _after(Action.ConcludeSuspect, false, 0, 0);
            } else {
                modelHeld[k.reporter] += k.quantity;
                modelSuspended = _dec(modelSuspended, k.quantity);
                _after(Action.ConcludeSuspect, true, k.reporter, k.quantity);
            }
        } catch {
            _record(Action.ConcludeSuspect, false, expected);
            _after(Action.ConcludeSuspect, false, 0, 0);
        }
    }

    function notifyIllegitimate(uint256 callerSeed, uint256 caseSeed) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Illegitimate);
        if (!found) return;
        _before();
        Caller memory c = _caller(callerSeed);
        Case storage k = _cases[i];
        bool allowed = CaseGraph.mayNotify(c.party, k.reporter, MAKER);
        bool expected = c.actor && k.status == ISuspectProduct.CaseStatus.Illegitimate && allowed && k.notifiedAt == 0;
        ISuspectProduct.CaseStatus before = _caseStatus(k.id);
        vm.prank(c.account);
        try _suspects().notifyIllegitimate(k.id, keccak256("notice")) {
            _record(Action.NotifySuspect, true, expected);
            // A notification moves no status.
            if (_caseStatus(k.id) != before) ++caseOffGraphChanges;
            if (!c.actor || !allowed) ++caseWrongActorMoves;
            k.notifiedAt = block.timestamp;
        } catch {
            _record(Action.NotifySuspect, false, expected);
        }
        _after(Action.NotifySuspect, false, 0, 0);
    }

    /// The regulator (or anyone else, refused) closes an illegitimate case: its stock is destroyed.
    function closeSuspect(uint256 callerSeed, uint256 caseSeed) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Illegitimate);
        if (!found) return;
        _before();
        Caller memory c = _caller(callerSeed);
        Case storage k = _cases[i];
        bool allowed = CaseGraph.mayMove(ISuspectProduct.CaseStatus.Closed, c.party, k.reporter, MAKER, REGULATOR);
        bool expected = c.actor && k.status == ISuspectProduct.CaseStatus.Illegitimate && allowed;
        ISuspectProduct.CaseStatus before = _caseStatus(k.id);
        vm.prank(c.account);
        try _suspects().closeSuspect(k.id) {
            _record(Action.CloseSuspect, true, expected);
            _caseMove(before, _caseStatus(k.id), allowed, c);
            _advance(k, ISuspectProduct.CaseStatus.Closed);
            modelSuspended = _dec(modelSuspended, k.quantity);
            modelDestroyed += k.quantity;
        } catch {
            _record(Action.CloseSuspect, false, expected);
        }
        _after(Action.CloseSuspect, false, 0, 0);
    }

    // ==== VIEWS ====

    function caseCount() external view returns (uint256) {
        return _cases.length;
    }

    function caseAt(uint256 i) external view returns (Case memory) {
        return _cases[i];
    }

    function shipmentCount() external view returns (uint256) {
        return _shipments.length;
    }

    function shipmentAt(uint256 i) external view returns (bytes32 id, uint48 q, bool open) {
        Open storage s = _shipments[i];
        return (s.id, s.quantity, s.open);
    }

    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    function proposalAt(uint256 i) external view returns (Proposal memory) {
        return _proposals[i];
    }

    // ==== PRIVATE: BOOKKEEPING ====

    /// Snapshots holdings, states and reached masks before a call.
    function _before() private {
        for (uint64 p = 0; p <= LAST_PARTY; ++p) _heldBefore[p] = batches.holding(batchId, p);
        ICollaborationEngine.SubjectRecord memory b = _collaboration().subjectRecord(batchId);
        ICollaborationEngine.SubjectRecord memory pr = _collaboration().subjectRecord(product);
        _haltedBefore = b.effectiveState != MARKETED;
        _stateBefore = [b.state, pr.state];
        _reachedBefore = [b.reached, pr.reached];
    }

    /**
     * After a call: every own-state change is an edge of the graph; reached masks only
     * grow and hold the state and its prerequisites; while halted, a holding fell only by
     * a return or a suspect report (`party`, `q`) and rose only by a cancel or reject
     * crediting the sender or a cleared case crediting its reporter.
     */
    function _after(Action action, bool moved, uint64 party, uint256 q) private {
        bytes32[2] memory subjects = [batchId, product];
        for (uint256 k = 0; k < 2; ++k) {
            ICollaborationEngine.SubjectRecord memory r = _collaboration().subjectRecord(subjects[k]);
            if (r.state != _stateBefore[k]) {
                if (!PharmaGraph.isEdge(_stateBefore[k], r.state, k == 1)) ++offGraphChanges;
                ++edgeCounts[(k << 8) | (uint256(_stateBefore[k]) << 3) | r.state];
            }
            uint16 needed = uint16(1 << r.state) | PharmaGraph.prerequisites(r.state) | _reachedBefore[k] | 1;
            if (r.reached & needed != needed) ++reachedViolations;
        }
        if (!_haltedBefore) return;
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            uint256 now_ = batches.holding(batchId, p);
            uint256 was = _heldBefore[p];
            if (now_ == was) continue;
            bool returned =
                now_ < was &&
                    (action == Action.ReturnStock || action == Action.ReportSuspect) &&
                    moved &&
                    p == party &&
                    was - now_ == q;
            bool creditedBack =
                now_ > was &&
                    (action == Action.Cancel || action == Action.Reject || action == Action.ConcludeSuspect) &&
                    moved &&
                    p == party &&
                    now_ - was == q;
            if (!returned && !creditedBack) ++haltedLedgerChanges;
        }
    }

    function _enter(uint256 k, uint8 state) private {
        modelState[k] = state;
        modelReached[k] |= uint16(1 << state);
    }

    function _advance(Case storage k, ISuspectProduct.CaseStatus status) private {
        k.status = status;
        k.reached |= uint8(1 << uint8(status));
    }

    /// On a successful case action by `c`: the status seen before and after is an edge of
    /// {CaseGraph} (or unchanged, for a notification), and `c` was allowed to act.
    function _caseMove(
        ISuspectProduct.CaseStatus from,
        ISuspectProduct.CaseStatus to,
        bool allowed,
        Caller memory c
    ) private {
        if (from != to && !CaseGraph.isEdge(from, to)) ++caseOffGraphChanges;
        if (from != to && (!c.actor || !allowed)) ++caseWrongActorMoves;
    }

    function _caseStatus(bytes32 id) private view returns (ISuspectProduct.CaseStatus) {
        return _suspects().suspectCase(id).status;
    }

    function _caseIdOf(uint256 no) private view returns (bytes32) {
        return keccak256(abi.encode(batchId, "suspect", uint32(no)));
    }

    function _record(Action action, bool success, bool expected) private {
        if (success != expected) _mispredict(action);
        if (success) ++successes[action];
    }

    function _mispredict(Action action) private {
        ++mispredictions;
        lastMisprediction = action;
    }

    /// On a successful state-changing call by `c`: devices and strangers never; other parties only if `allowed`.
    function _authorityCheck(Caller memory c, bool allowed) private {
        if (!c.actor) ++unauthorizedSuccesses;
        else if (!allowed) ++wrongPartySuccesses;
    }

    function _close(Open storage s, uint64 credited) private {
        if (!s.open) {
            _mispredict(Action.Receive);
            return;
        }
        s.open = false;
        --_openCount;
        openTotal -= s.quantity;
        modelHeld[credited] += s.quantity;
    }

    function _dec(uint256 x, uint256 by) private returns (uint256) {
        if (x >= by) return x - by;
        ++mispredictions;
        return 0;
    }

    function _seed(uint64 from, uint64 to, uint48 q) private {
        vm.prank(supplyAdmin(from));
        bytes32 id = batches.ship(batchId, to, q);
        _shipments.push(Open({id: id, from: from, to: to, quantity: q, open: true}));
        ++_openCount;
        openTotal += q;
        modelHeld[from] -= q;
        vm.prank(supplyAdmin(to));
        batches.receiveShipment(batchId, id);
        _close(_shipments[_shipments.length - 1], to);
    }

    // ==== PRIVATE: PREDICTIONS ====

    function _mayTransition(Caller memory c, uint256 k, uint8 to) private view returns (bool) {
        if (!c.actor || to == RECALL || to == DESTROYED || to > DEREGISTERED) return false;
        if (!PharmaGraph.isEdge(modelState[k], to, k == 1)) return false;
        if ((PharmaGraph.prerequisites(to) & ~modelReached[k]) != 0) return false;
        return to == MARKETED ? _regulatorOnly(c) : _regulatorOrHolder(c);
    }

    function _regulatorOnly(Caller memory c) private pure returns (bool) {
        return c.party == REGULATOR;
    }

    function _regulatorOrHolder(Caller memory c) private pure returns (bool) {
        return c.party == REGULATOR || c.party == MAKER;
    }

    function _underRecall() private view returns (bool) {
        return modelRecalls > 0 && (modelState[0] == RECALL || modelState[0] == DESTROYED);
    }

    function _haltedModel() private view returns (bool) {
        return modelState[0] != MARKETED || modelState[1] != MARKETED;
    }

    function _outside(IQualityEngine.Point point, int16 t, uint16 h) private pure returns (bool) {
        if (point == IQualityEngine.Point.Inspection) return false;
        bool transport = point == IQualityEngine.Point.Transport;
        bool out = t != QualityLimits.NO_TEMPERATURE && (t < MIN_T || t > MAX_T);
        if (!transport && h != QualityLimits.NO_HUMIDITY && h > uint256(MAX_RH) * 100) out = true;
        return out;
    }

    function _shipmentsBy(uint64 from) private view returns (uint256 n) {
        for (uint256 i = 0; i < _shipments.length; ++i) if (_shipments[i].from == from) ++n;
    }

    // ==== PRIVATE: PICKS ====

    /// 16 callers, weighted toward those who can change states.
    function _caller(uint256 seed) private pure returns (Caller memory) {
        uint256 i = seed % 16;
        if (i < 3) return Caller(supplyAdmin(REGULATOR), REGULATOR, true);
        if (i < 6) return Caller(supplyAdmin(MAKER), MAKER, true);
        if (i == 6) return Caller(MAKER_QA, MAKER, true);
        if (i == 7) return Caller(supplyAdmin(WHOLESALER), WHOLESALER, true);
        if (i == 8) return Caller(MAKER_DEVICE, MAKER, false);
        if (i == 9) return Caller(WHOLESALER_DEVICE, WHOLESALER, false);
        if (i == 10) return Caller(STRANGER, 0, false);
        if (i == 11) return Caller(supplyAdmin(NOTARY), NOTARY, true);
        if (i == 12) return Caller(supplyAdmin(LOGISTICS), LOGISTICS, true);
        if (i == 13) return Caller(supplyAdmin(PHARMACY), PHARMACY, true);
        if (i == 14) return Caller(supplyAdmin(HOSPITAL), HOSPITAL, true);
        return Caller(supplyAdmin(LABORATORY), LABORATORY, true);
    }

    function _observer(uint256 seed) private pure returns (Caller memory) {
        uint256 i = seed % 9;
        if (i == 0) return Caller(supplyAdmin(LOGISTICS), LOGISTICS, true);
        if (i == 1) return Caller(WHOLESALER_DEVICE, WHOLESALER, false);
        if (i == 2) return Caller(MAKER_DEVICE, MAKER, false);
        if (i == 3) return Caller(supplyAdmin(WHOLESALER), WHOLESALER, true);
        if (i == 4) return Caller(supplyAdmin(PHARMACY), PHARMACY, true);
        if (i == 5) return Caller(supplyAdmin(REGULATOR), REGULATOR, true);
        if (i == 6) return Caller(STRANGER, 0, false);
        if (i == 7) return Caller(supplyAdmin(LABORATORY), LABORATORY, true);
        return Caller(MAKER_QA, MAKER, true);
    }

    /// Mostly a custodian with stock; one pick in five any custodian (seed % 5 picks, seed / 5 chooses).
    function _holderPick(uint256 seed) private view returns (uint64) {
        if (seed % 5 == 0) return _custodians[(seed / 5) % 5];
        uint256 count = 0;
        for (uint256 i = 0; i < 5; ++i) if (modelHeld[_custodians[i]] > 0) ++count;
        if (count == 0) return _custodians[(seed / 5) % 5];
        uint256 pick = (seed / 5) % count;
        for (uint256 i = 0; i < 5; ++i) {
            if (modelHeld[_custodians[i]] == 0) continue;
            if (pick == 0) return _custodians[i];
            --pick;
        }
        return _custodians[0];
    }

    /// Mostly an open shipment; one pick in five any shipment.
    function _pickShipment(uint256 seed) private view returns (bool found, uint256 index) {
        uint256 n = _shipments.length;
        if (n == 0) return (false, 0);
        if (seed % 5 == 0 || _openCount == 0) return (true, (seed / 5) % n);
        uint256 pick = (seed / 5) % _openCount;
        for (uint256 i = 0; i < n; ++i) {
            if (!_shipments[i].open) continue;
            if (pick == 0) return (true, i);
            --pick;
        }
    }

    /// Mostly the first case (from a random one on) in `wanted`; one pick in four any case.
    function _pickCase(uint256 seed, ISuspectProduct.CaseStatus wanted) private view returns (bool, uint256) {
        uint256 n = _cases.length;
        if (n == 0) return (false, 0);
        uint256 any = (seed / 4) % n;
        if (seed % 4 == 0) return (true, any);
        for (uint256 j = 0; j < n; ++j) {
            uint256 i = (any + j) % n;
            if (_cases[i].status == wanted) return (true, i);
        }
        return (true, any);
    }

    /// Mostly an undispensed unit; one pick in four any unit.
    function _pickUnit(uint256 seed) private view returns (uint256) {
        uint256 any = (seed / 4) % UnitTree16.SIZE;
        if (seed % 4 == 0) return any;
        for (uint256 j = 0; j < UnitTree16.SIZE; ++j) {
            uint256 i = (any + j) % UnitTree16.SIZE;
            if (!unitDispensed[i]) return i;
        }
        return any;
    }

    /// Three readings in four near the 2–8 °C range (1.5–8.5 °C), one in four anywhere in −10…20 °C;
    /// one in sixteen has no temperature.
    function _temperature(uint256 seed) private pure returns (int16) {
        if (seed % 16 == 0) return QualityLimits.NO_TEMPERATURE;
        if (seed % 4 != 0) return int16(int256(_bound(seed >> 8, 150, 850)));
        return int16(int256(_bound(seed >> 8, 0, 3000)) - 1000);
    }

    /// Mostly 0–70 % (the limit is 65 %); one in eight absent, one in sixteen invalid (over 100 %).
    function _humidity(uint256 seed) private pure returns (uint16) {
        uint256 i = seed % 16;
        if (i < 2) return QualityLimits.NO_HUMIDITY;
        if (i == 2) return uint16(_bound(seed >> 8, 10_001, 65_534));
        return uint16(_bound(seed >> 8, 0, 7000));
    }

    function _collaboration() private view returns (ICollaborationEngine) {
        return ICollaborationEngine(address(batches));
    }

    function _suspects() private view returns (ISuspectProduct) {
        return ISuspectProduct(address(batches));
    }
}

/**
 * @title CollaborationInvariantTest
 * @notice Under any sequence of the handler's actions: (a) every state change follows the
 * pharmaceutical graph and each subject's state and its prerequisites are in its reached
 * mask; (b) no stock moves while the batch is halted (no ship, receive or dispense;
 * holdings fall only by returns and suspect reports); (c) Σ held + Σ open shipments +
 * Σ dispensed + destroyed + lost + quarantined + suspended == quantity; (d) strangers and
 * devices never change a state, open a recall or destroy; (e) suspect cases move only
 * along Quarantined → Investigating → (Cleared | Illegitimate → Closed), each step by a
 * party allowed to take it; and the contract agrees with the handler's model.
 */
contract CollaborationInvariantTest is CollaborationFixture {
    CollaborationHandler internal handler;

    function setUp() public {
        _deployCollaboration();
        handler = new CollaborationHandler(batches, batchId);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_stateGraph() public view {
        _assertEq(handler.offGraphChanges(), 0, "state changes off the graph");
        _assertEq(handler.reachedViolations(), 0, "reached masks that shrank or miss a state");
        bytes32[2] memory subjects = [batchId, product];
        for (uint256 k = 0; k < 2; ++k) {
            ICollaborationEngine.SubjectRecord memory r = record(subjects[k]);
            _assertTrue(PharmaGraph.inScope(r.state, k == 1), "state in the subject's scope");
            uint16 needed = uint16(1 << r.state) | PharmaGraph.prerequisites(r.state) | 1;
            _assertEq(r.reached & needed, needed, "state and prerequisites reached");
            _assertEq(r.state, handler.modelState(k), "state vs model");
            _assertEq(r.reached, handler.modelReached(k), "reached vs model");
            // Every state reached was entered along an edge from a state reached before it.
            for (uint8 s = 1; s <= DEREGISTERED; ++s) {
                if ((r.reached >> s) & 1 == 0) continue;
                _assertTrue(PharmaGraph.fromMask(s) & r.reached != 0, "reached state has a reached predecessor");
            }
        }
        ICollaborationEngine.SubjectRecord memory b = record(batchId);
        uint8 productState = record(product).state;
        _assertEq(b.effectiveState, b.state > productState ? b.state : productState, "effective state");
        _assertEq(record(product).effectiveState, productState, "product effective state");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_noStockMovesWhileHalted() public view {
        _assertEq(handler.haltedTrades(), 0, "ship/receive/dispense while halted");
        _assertEq(
            handler.haltedLedgerChanges(),
            0,
            "holdings changed while halted other than by return or cancel/reject"
        );
        // While halted, trading reverts with BatchRegistryHalted; recall-state holdings are what is outstanding.
        ICollaborationEngine.SubjectRecord memory b = record(batchId);
        bool underRecall = b.recalls > 0 && (b.state == RECALL || b.state == DESTROYED);
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            (uint256 owed, bool overdue) = collaboration().outstanding(batchId, p);
            uint256 held = batches.holding(batchId, p);
            _assertEq(owed, underRecall ? held : 0, "outstanding");
            _assertEq(overdue, underRecall && held != 0 && block.timestamp > b.recallDeadline, "overdue");
        }
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_quantityIsConserved() public view {
        IBatchRegistry.Batch memory b = batches.getBatch(batchId);
        uint256 inTransit = 0;
        for (uint256 i = 0; i < handler.shipmentCount(); ++i) {
            (bytes32 id, uint48 q, bool open) = handler.shipmentAt(i);
            IBatchRegistry.Shipment memory s = batches.getShipment(id);
            _assertEq(s.status == IBatchRegistry.ShipmentStatus.InTransit, open, "shipment open");
            _assertEq(s.quantity, q, "shipment quantity");
            if (open) inTransit += s.quantity;
        }
        uint256 held = 0;
        uint256 dispensed = 0;
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            held += batches.holding(batchId, p);
            dispensed += batches.dispensedBy(batchId, p);
        }
        (, uint48 suspended) = suspects().suspectCount(batchId);
        _assertEq(
            held + inTransit + dispensed + b.destroyed + b.lost + b.quarantined + suspended,
            b.quantity,
            "held + in transit + dispensed + destroyed + lost + quarantined + suspended"
        );
        _assertEq(b.quantity, QUANTITY, "quantity");
        _assertEq(suspended, handler.modelSuspended(), "suspended vs model");
        _assertEq(b.quarantined, handler.modelQuarantined(), "quarantined vs model");
        _assertEq(b.destroyed, handler.modelDestroyed(), "destroyed vs model");
        _assertEq(inTransit, handler.openTotal(), "in transit vs model");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_suspectCasesFollowTheGraph() public view {
        _assertEq(handler.caseOffGraphChanges(), 0, "case status changes off the graph");
        _assertEq(handler.caseWrongActorMoves(), 0, "case changes by a stranger, a device or a party not allowed");
        uint256 n = handler.caseCount();
        (uint32 cases, uint48 suspended) = suspects().suspectCount(batchId);
        _assertEq(cases, n, "cases vs model");
        uint256 held = 0;
        for (uint256 i = 0; i < n; ++i) {
            CollaborationHandler.Case memory m = handler.caseAt(i);
            ISuspectProduct.SuspectCase memory k = suspects().suspectCase(m.id);
            _assertTrue(m.id == keccak256(abi.encode(batchId, "suspect", uint32(i + 1))), "case id");
            _assertEq(uint8(k.status), uint8(m.status), "case status vs model");
            _assertTrue(k.batchId == batchId, "case batch");
            _assertEq(k.reporter, m.reporter, "case reporter");
            _assertEq(k.quantity, m.quantity, "case quantity");
            _assertEq(k.unit, m.unit, "case unit");
            _assertEq(k.no, i + 1, "case no");
            _assertEq(k.openedAt, m.openedAt, "case opened at");
            _assertEq(k.notifyBy, m.notifyBy, "case notify by");
            _assertEq(k.notifiedAt, m.notifiedAt, "case notified at");
            // The case's history is a path of the graph from Quarantined to its status.
            _assertTrue(k.status != ISuspectProduct.CaseStatus.None, "a recorded case has a status");
            _assertTrue((m.reached >> uint8(k.status)) & 1 == 1, "status reached");
            for (
                uint8 s = uint8(ISuspectProduct.CaseStatus.Quarantined);
                s <= uint8(ISuspectProduct.CaseStatus.Closed);
                ++s
            ) {
                if ((m.reached >> s) & 1 == 0) continue;
                ISuspectProduct.CaseStatus p = CaseGraph.predecessor(ISuspectProduct.CaseStatus(s));
                _assertTrue(
                    p == ISuspectProduct.CaseStatus.None || (m.reached >> uint8(p)) & 1 == 1,
                    "reached status has its predecessor"
                );
            }
            uint8 bothEnds = uint8(
                (1 << uint8(ISuspectProduct.CaseStatus.Cleared)) | (1 << uint8(ISuspectProduct.CaseStatus.Illegitimate))
            );
            _assertTrue(m.reached & bothEnds != bothEnds, "cleared and illegitimate both");
            // A deadline exactly when found illegitimate; a notification only then.
            bool found = (m.reached >> uint8(ISuspectProduct.CaseStatus.Illegitimate)) & 1 == 1;
            _assertEq(k.notifyBy != 0, found, "deadline iff illegitimate finding");
            _assertTrue(k.notifiedAt == 0 || (found && k.notifiedAt >= k.openedAt), "notified only after a finding");
            _assertEq(
                suspects().notificationOverdue(m.id),
                k.status == ISuspectProduct.CaseStatus.Illegitimate &&
                    k.notifiedAt == 0 &&
                    block.timestamp > k.notifyBy,
                "overdue"
            );
            if (CaseGraph.holdsStock(k.status)) held += k.quantity;
        }
        _assertEq(suspended, held, "suspended == what open cases hold");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_onlyAuthorisedActorsChangeStates() public view {
        _assertEq(handler.unauthorizedSuccesses(), 0, "successes by a stranger or a device");
        _assertEq(handler.wrongPartySuccesses(), 0, "successes by a party the state does not allow");
    }

    /**
     * hardhat-config: invariant.runs = 64
     * hardhat-config: invariant.depth = 60
     */
    function invariant_registryMatchesModel() public view {
        _assertEq(handler.mispredictions(), 0, "calls whose outcome the model did not predict");
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            _assertEq(batches.holding(batchId, p), handler.modelHeld(p), "holding");
            _assertEq(batches.dispensedBy(batchId, p), handler.modelDispensed(p), "dispensed");
        }
        ICollaborationEngine.SubjectRecord memory b = record(batchId);
        _assertEq(b.observations, handler.modelObservations(0), "batch observations");
        _assertEq(record(product).observations, handler.modelObservations(1), "product observations");
        _assertEq(b.recalls, handler.modelRecalls(), "recalls");
        _assertEq(b.recallLevel, handler.modelRecallLevel(), "recall level");
        _assertEq(b.recallOpenedAt, handler.modelRecallOpenedAt(), "recall opened at");
        _assertEq(b.recallDeadline, handler.modelRecallDeadline(), "recall deadline");
        _assertEq(b.destructions, handler.proposalCount(), "destructions");
        bytes32 recallId = collaboration().recallIdOf(batchId);
        _assertTrue(
            recallId == (b.recalls == 0 ? bytes32(0) : keccak256(abi.encode(batchId, "recall", b.recalls))),
            "recall id"
        );
        for (uint256 i = 0; i < handler.proposalCount(); ++i) {
            CollaborationHandler.Proposal memory p = handler.proposalAt(i);
            ICollaborationEngine.Destruction memory d = collaboration().destruction(p.id);
            _assertEq(uint8(d.status), uint8(p.status), "destruction status");
            _assertEq(d.quantity, p.quantity, "destruction quantity");
            _assertEq(d.proposer, MAKER, "proposer");
            _assertEq(d.no, i + 1, "destruction no");
            _assertEq(d.proposedAt, p.proposedAt, "proposed at");
        }
    }
}
