// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IBatchRegistry} from "../../contracts/interfaces/IBatchRegistry.sol";
import {ISupplyLedger} from "../../contracts/interfaces/ISupplyLedger.sol";
import {ICollaborationEngine} from "../../contracts/interfaces/ICollaborationEngine.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {IQualityEngine} from "../../contracts/interfaces/IQualityEngine.sol";
import {ISuspectProduct} from "../../contracts/interfaces/ISuspectProduct.sol";
import {QualityLimits} from "../../contracts/libraries/QualityLimits.sol";
import {BatchRegistry} from "../../contracts/supply/BatchRegistry.sol";
import {
    FuzzSelector,
    GOVERNOR,
    HOSPITAL,
    LABORATORY,
    LOGISTICS,
    Ledger,
    MAKER,
    MAKER_QA,
    PARTY_COUNT,
    PHARMACY,
    REGULATOR,
    STRANGER,
    SupplyFixture,
    UnitTree16,
    WHOLESALER,
    domainOf,
    isCustodian,
    isDispenser,
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
// A logger of the logistics party, added by the unit tests that need it ({CollaborationTest-_linkLogistics}).
address constant LOGISTICS_DEVICE = address(0x2D05);

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
    /// (Quarantined: any party, the reporter itself). Only the regulator clears: clearing a
    /// suspicion about its own product would be the holder's conflict of interest; the holder
    /// may find its product illegitimate.
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
        if (to == ISuspectProduct.CaseStatus.Cleared) return party == regulator;
        if (to == ISuspectProduct.CaseStatus.Illegitimate) return party == holder || party == regulator;
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
 * and inspection observations stop the subject: a reading out of the limits that a device
 * measured, or a result the holder, a laboratory or the regulator records), set by its holder.
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

    /// The recall or the disposal state given any set of actors: the graph is refused
    /// (`CollaborationInvalidGraph(i, "rule")`) exactly when Rule is among them — people,
    /// not rules, open a recall or dispose of a batch — and taken otherwise.
    function testFuzz_configureGraph_refusesARuleOnRecallOrDisposal(uint256 actorsSeed, bool disposal) public {
        ICollaborationEngine.StateDef[] memory g = collaboration().stateGraph();
        uint8 i = disposal ? DESTROYED : RECALL;
        uint8 actors = uint8(_bound(actorsSeed, 1, 15));
        uint8 before = g[i].actors;
        g[i].actors = actors;
        vm.prank(GOVERNOR);
        if (actors & (1 << uint8(ICollaborationEngine.Actor.Rule)) != 0) {
            vm.expectRevert(abi.encodeWithSelector(ICollaborationEngine.CollaborationInvalidGraph.selector, uint256(i), "rule"));
            collaboration().configureGraph(g);
            _assertEq(collaboration().stateGraph()[i].actors, before, "graph unchanged");
        } else {
            collaboration().configureGraph(g);
            _assertEq(collaboration().stateGraph()[i].actors, actors, "graph taken");
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

    /// Storage and transport readings (by a logistics party holding some of the batch, its
    /// logger or its admin) are classified against the product's limits; a critical one
    /// stops the batch by rule when the logger measured it, never when a person typed it.
    /// Any temperature and humidity.
    function testFuzz_observe_classifiesAgainstLimits(
        int16 temperature,
        uint16 humidity,
        bool transport,
        bool byDevice
    ) public {
        _linkLogistics();
        _observeAndCheck(temperature, humidity, transport, byDevice);
    }

    /// The same near the bounds (1.5–8.5 °C, 60–70 % RH), where an off-by-one would show.
    function testFuzz_observe_classifiesAtTheBounds(uint256 t, uint256 h, bool transport, bool byDevice) public {
        int16 temperature = int16(int256(_bound(t, 150, 850)));
        uint16 humidity = uint16(_bound(h, 6000, 7000));
        _linkLogistics();
        _observeAndCheck(temperature, humidity, transport, byDevice);
    }

    function test_observe_absentMeasuresAreNeverOutside() public {
        _linkLogistics();
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, QualityLimits.NO_HUMIDITY, false, true);
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, 6500, false, true);
        _observeAndCheck(800, QualityLimits.NO_HUMIDITY, true, true);
        _assertEq(record(batchId).state, MARKETED, "still marketed");
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, 6501, false, true);
        _assertEq(record(batchId).state, STOP, "humidity 65.01 % stops");
    }

    /// A rule stops, but a rule never resumes: a second critical reading on a stopped
    /// batch records the observation and changes nothing.
    function test_ruleStop_onlyFromMarketed() public {
        _linkLogistics();
        _observeAndCheck(801, QualityLimits.NO_HUMIDITY, false, true);
        ICollaborationEngine.SubjectRecord memory rec = record(batchId);
        _assertEq(rec.state, STOP, "stopped by rule");
        _observeAndCheck(-500, QualityLimits.NO_HUMIDITY, true, true);
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
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryHalted.selector, batchId, STOP));
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

    // ==== observations: who may record, and what a critical result may stop ====

    /// A logistics party that never touched the batch may not record on it.
    function test_observe_revertsForAnUnlinkedParty() public {
        IQualityEngine.Observation memory o = reading(
            batchId,
            IQualityEngine.Point.Storage,
            IQualityEngine.Result.Critical,
            500,
            QualityLimits.NO_HUMIDITY
        );
        vm.prank(supplyAdmin(LOGISTICS));
        vm.expectRevert(
            abi.encodeWithSelector(
                IQualityEngine.QualityEnginePointNotAllowed.selector,
                batchId,
                IQualityEngine.Point.Storage,
                LOGISTICS
            )
        );
        quality().observe(o);
    }

    /// A linked party's declared critical result (measures within the limits) is recorded,
    /// and stops nothing; the holder's stops the batch.
    function test_observe_declaredCriticalStopsOnlyForTheHolder() public {
        _move(MAKER, LOGISTICS, 1);
        IQualityEngine.Observation memory o = reading(
            batchId,
            IQualityEngine.Point.Storage,
            IQualityEngine.Result.Critical,
            500,
            QualityLimits.NO_HUMIDITY
        );
        uint32 seq = record(batchId).observations + 1;
        vm.expectEmit(address(batches));
        emit IQualityEngine.Observed(
            batchId,
            LOGISTICS,
            seq,
            supplyAdmin(LOGISTICS),
            IQualityEngine.Point.Storage,
            IQualityEngine.Result.Critical,
            500,
            QualityLimits.NO_HUMIDITY
        );
        vm.prank(supplyAdmin(LOGISTICS));
        quality().observe(o);
        _assertEq(record(batchId).state, MARKETED, "a declared critical stops nothing");
        vm.prank(supplyAdmin(MAKER));
        quality().observe(o);
        _assertEq(record(batchId).state, STOP, "the holder's critical stops");
    }

    /// A linked party's person typing a measure out of the limits: recorded as critical, and
    /// it stops nothing; the party's logger measuring the same stops the batch.
    function test_observe_typedExcursionStopsOnlyForADevice() public {
        _linkLogistics();
        _observeAndCheck(950, QualityLimits.NO_HUMIDITY, false, false);
        _observeAndCheck(-500, QualityLimits.NO_HUMIDITY, true, false);
        _observeAndCheck(QualityLimits.NO_TEMPERATURE, 9000, false, false);
        _assertEq(record(batchId).state, MARKETED, "typed excursions stop nothing");
        _observeAndCheck(950, QualityLimits.NO_HUMIDITY, false, true);
        _assertEq(record(batchId).state, STOP, "the logger's excursion stops");
    }

    /// The product's holder typing a measure out of the limits stops the batch: it speaks
    /// for its product.
    function test_observe_typedExcursionStopsForTheHolder() public {
        IQualityEngine.Observation memory o = reading(
            batchId,
            IQualityEngine.Point.Storage,
            IQualityEngine.Result.Normal,
            950,
            QualityLimits.NO_HUMIDITY
        );
        uint32 seq = record(batchId).observations + 1;
        vm.expectEmit(address(batches));
        emit IQualityEngine.Observed(
            batchId,
            MAKER,
            seq,
            supplyAdmin(MAKER),
            IQualityEngine.Point.Storage,
            IQualityEngine.Result.Critical,
            950,
            QualityLimits.NO_HUMIDITY
        );
        vm.expectEmit(address(batches));
        emit IQualityEngine.RuleFired(batchId, seq, IQualityEngine.RuleKind.CriticalObservation, address(0), STOP);
        vm.prank(supplyAdmin(MAKER));
        quality().observe(o);
        _assertEq(record(batchId).state, STOP, "the holder's typed excursion stops");
    }

    /// Use reports on a product come from its holder or the regulator only.
    function test_observe_revertsOnAProductAdverseReportByAPharmacy() public {
        _move(MAKER, PHARMACY, 1);
        IQualityEngine.Observation memory o = reading(
            product,
            IQualityEngine.Point.Adverse,
            IQualityEngine.Result.Critical,
            QualityLimits.NO_TEMPERATURE,
            QualityLimits.NO_HUMIDITY
        );
        vm.prank(supplyAdmin(PHARMACY));
        vm.expectRevert(
            abi.encodeWithSelector(
                IQualityEngine.QualityEnginePointNotAllowed.selector,
                product,
                IQualityEngine.Point.Adverse,
                PHARMACY
            )
        );
        quality().observe(o);
    }

    // ==== recalls: seizure, outstanding stock, destruction ====

    /// A shipment left in transit and stock in a suspect case count as outstanding; the
    /// regulator seizes what a party has available into quarantine.
    function test_seizeStock_movesAvailableStockIntoQuarantine() public {
        _move(MAKER, WHOLESALER, 10);
        vm.prank(supplyAdmin(WHOLESALER));
        batches.ship(batchId, PHARMACY, 3);
        vm.prank(supplyAdmin(WHOLESALER));
        suspects().reportSuspect(batchId, type(uint48).max, 2, bytes32(0), "suspect");
        bytes32 recallId = _recall();
        (uint256 owed, ) = collaboration().outstanding(batchId, WHOLESALER);
        _assertEq(owed, 10, "held 5 + in transit 3 + in a case 2");
        vm.expectEmit(address(batches));
        emit ICollaborationEngine.StockSeized(recallId, batchId, WHOLESALER, 5, 5, REGULATOR, supplyAdmin(REGULATOR));
        vm.prank(supplyAdmin(REGULATOR));
        _assertEq(collaboration().seizeStock(batchId, WHOLESALER, 5), 5, "outstanding after");
        _assertEq(batches.getBatch(batchId).quarantined, 5, "quarantined");
        _assertEq(batches.holding(batchId, WHOLESALER), 0, "held");
    }

    function test_seizeStock_revertsWithoutARecall() public {
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(abi.encodeWithSelector(ICollaborationEngine.CollaborationNoOpenRecall.selector, batchId));
        collaboration().seizeStock(batchId, MAKER, 1);
    }

    function test_seizeStock_revertsForTheHolder() public {
        _recall();
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(
            abi.encodeWithSelector(
                IConsortiumRegistry.RegistryDomainNotAllowed.selector,
                MAKER,
                IConsortiumRegistry.Domain.Manufacturer
            )
        );
        collaboration().seizeStock(batchId, WHOLESALER, 1);
    }

    /// Locked units are not available: they cannot be seized (nor returned).
    function test_seizeStock_revertsBeyondAvailableStock() public {
        _move(MAKER, PHARMACY, 2);
        vm.prank(supplyAdmin(PHARMACY));
        batches.decommission(UnitTree16.unit(batchId, 0), ISupplyLedger.UnitStatus.Locked);
        _recall();
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyLedger.BatchRegistryInsufficientStock.selector, batchId, PHARMACY, 1, 2)
        );
        collaboration().seizeStock(batchId, PHARMACY, 2);
        vm.prank(supplyAdmin(REGULATOR));
        vm.expectRevert(abi.encodeWithSelector(ISupplyLedger.BatchRegistryZeroQuantity.selector));
        collaboration().seizeStock(batchId, PHARMACY, 0);
    }

    /// A witnessed destruction executes at once, but the batch enters Destroyed only when no
    /// stock is left anywhere: not while a shipment is still in transit.
    function test_witnessDestruction_entersDestroyedOnlyWhenAllIsAccountedFor() public {
        vm.prank(supplyAdmin(MAKER));
        bytes32 shipment = batches.ship(batchId, WHOLESALER, 4);
        _recall();
        vm.prank(supplyAdmin(MAKER));
        collaboration().returnStock(batchId, QUANTITY - 4);
        bytes32 first = _destroy(QUANTITY - 4);
        _assertEq(record(batchId).state, RECALL, "still in recall: 4 in transit");
        _assertEq(uint8(collaboration().destruction(first).status), 2, "witnessed");
        vm.prank(supplyAdmin(MAKER));
        batches.cancelShipment(batchId, shipment);
        vm.prank(supplyAdmin(MAKER));
        collaboration().returnStock(batchId, 4);
        _destroy(4);
        _assertEq(record(batchId).state, DESTROYED, "destroyed");
        _assertEq(batches.getBatch(batchId).destroyed, QUANTITY, "every unit destroyed");
    }

    /// When the stock of the case the regulator closes was the last of a recalled batch not
    /// accounted for, closing it enters Destroyed, the regulator acting as the witness.
    function test_closeSuspect_entersDestroyedWhenItsStockWasTheLast() public {
        vm.prank(supplyAdmin(MAKER));
        bytes32 caseId = suspects().reportSuspect(batchId, type(uint48).max, 1, bytes32(0), "suspect");
        _recall();
        vm.prank(supplyAdmin(MAKER));
        collaboration().returnStock(batchId, QUANTITY - 1);
        _destroy(QUANTITY - 1);
        _assertEq(record(batchId).state, RECALL, "still in recall: 1 in the case");
        vm.prank(supplyAdmin(MAKER));
        suspects().investigateSuspect(caseId);
        vm.prank(supplyAdmin(REGULATOR));
        suspects().concludeSuspect(caseId, true, bytes32(0));
        vm.expectEmit(address(batches));
        emit ICollaborationEngine.StateChanged(
            batchId,
            DESTROYED,
            RECALL,
            ICollaborationEngine.Actor.Witness,
            REGULATOR,
            supplyAdmin(REGULATOR),
            "suspect case closed"
        );
        vm.prank(supplyAdmin(REGULATOR));
        suspects().closeSuspect(caseId);
        _assertEq(batches.getBatch(batchId).destroyed, QUANTITY, "every unit destroyed");
    }

    /// Only the regulator clears a suspect case; the holder may find it illegitimate.
    function test_concludeSuspect_revertsWhenTheHolderClears() public {
        vm.prank(supplyAdmin(MAKER));
        bytes32 caseId = suspects().reportSuspect(batchId, 3, 1, bytes32(0), "suspect");
        vm.prank(supplyAdmin(MAKER));
        suspects().investigateSuspect(caseId);
        vm.prank(supplyAdmin(MAKER));
        vm.expectRevert(abi.encodeWithSelector(ISuspectProduct.SuspectNotAllowed.selector, caseId, MAKER));
        suspects().concludeSuspect(caseId, false, bytes32(0));
        vm.prank(supplyAdmin(REGULATOR));
        suspects().concludeSuspect(caseId, false, bytes32(0));
        _assertEq(batches.holding(batchId, MAKER), QUANTITY, "the case's stock is back");
    }

    // ==== the handler ====

    /// A scripted campaign through the handler: every action succeeds; observations by
    /// linked and unlinked parties, declared and measured critical results; restorations
    /// from every status; shipments left in transit through a stop and a recall, then
    /// cancelled and rejected; returns, seizures and suspect reports with stock under the
    /// recall; a witnessed destruction that leaves the batch in Recall while cases hold
    /// stock, and the last one that enters Destroyed. So that the invariant campaigns below
    /// are not vacuous.
    function test_handler_everyActionSucceeds() public {
        CollaborationHandler h = new CollaborationHandler(batches, batchId);
        _scriptObservations(h);
        _scriptCustody(h);
        _scriptRecall(h);
        // Every action but the close-out ({test_handler_closeOutAccountsForEveryUnit}).
        for (uint8 a = 0; a < uint8(type(CollaborationHandler.Action).max) + 1; ++a) {
            if (CollaborationHandler.Action(a) == CollaborationHandler.Action.CloseOut) continue;
            _assertTrue(h.successes(CollaborationHandler.Action(a)) > 0, "action succeeded");
        }
        for (uint8 s = uint8(ISupplyLedger.UnitStatus.Dispensed); s <= uint8(ISupplyLedger.UnitStatus.Locked); ++s) {
            _assertTrue(h.restoredFrom(ISupplyLedger.UnitStatus(s)) > 0, "restored from each status");
            if (s != uint8(ISupplyLedger.UnitStatus.Dispensed)) {
                _assertTrue(h.decommissioned(ISupplyLedger.UnitStatus(s)) > 0, "decommissioned as each status");
            }
        }
        CollaborationHandler.Action[6] memory whileHalted = [
            CollaborationHandler.Action.Cancel,
            CollaborationHandler.Action.Reject,
            CollaborationHandler.Action.RestoreUnit,
            CollaborationHandler.Action.SeizeStock,
            CollaborationHandler.Action.ReportSuspect,
            CollaborationHandler.Action.ConcludeSuspect
        ];
        for (uint256 i = 0; i < whileHalted.length; ++i) {
            _assertTrue(h.haltedSuccesses(whileHalted[i]) > 0, "succeeded while halted");
        }
        _assertEq(h.observationStops(), 2, "stops by a device's measured reading and a laboratory's finding");
        _assertEq(h.criticalRecordedOnly(), 3, "declared critical results and a typed excursion recorded only");
        _assertEq(h.typedExcursionsRecordedOnly(), 1, "a typed excursion recorded only");
        _assertEq(h.disposals(), 1, "entered Destroyed once");
        _assertEq(h.mispredictions(), 0, "mispredictions");
        _assertEq(h.caseOffGraphChanges(), 0, "case changes off the graph");
        _assertEq(h.caseWrongActorMoves(), 0, "case changes by a party not allowed");
        _assertEq(h.haltedLedgerChanges(), 0, "halted ledger changes");
        _assertEq(h.foreignStockMoves(), 0, "foreign stock moves");
        _assertEq(h.outflowsBeyondAvailable(), 0, "outflows beyond available");
        _assertEq(h.misdirectedCredits(), 0, "misdirected credits");
        _assertEq(h.prematureDisposals(), 0, "premature disposals");
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
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        // 60 + 1 by witnessed destructions, 2 by closing case 1; unit 0 dispensed.
        _assertEq(b.destroyed, 63, "destroyed stock");
        _assertEq(b.dispensed, 1, "dispensed");
    }

    /// The regulator's close-out of a recall, with a shipment in transit, a locked unit and
    /// a suspect case holding stock: each is brought back or closed, everything is seized and
    /// destroyed, and the batch enters Destroyed with every unit accounted for.
    function test_handler_closeOutAccountsForEveryUnit() public {
        CollaborationHandler h = new CollaborationHandler(batches, batchId);
        h.ship(1, 1, 4 * 3 + 1); // maker → wholesaler 3, left in transit
        h.decommission(121, 12, 4); // the pharmacy locks unit 3
        h.dispense(2, 4); // the hospital dispenses unit 1
        h.reportSuspect(7, 5, 4 * 2 + 1); // the wholesaler quarantines 2 in a case
        h.closeOut(3); // seed % 8 > 2: nothing
        _assertEq(h.successes(CollaborationHandler.Action.CloseOut), 0, "skipped");
        // Seed 0, partly: a level I recall, the shipment cancelled, every unit available
        // seized; the locked unit stays with the pharmacy, the case keeps its stock.
        h.closeOut(0);
        _assertEq(record(batchId).state, RECALL, "in recall");
        ISupplyLedger.Custody memory pharmacy = batches.custody(batchId, PHARMACY);
        _assertEq(pharmacy.held, 1, "the pharmacy holds its locked unit");
        _assertEq(pharmacy.locked, 1, "locked");
        (uint256 owed, ) = collaboration().outstanding(batchId, PHARMACY);
        _assertEq(owed, 1, "and owes it");
        // Seed 1, wholly: the lock lifted, the unit seized, the quarantine destroyed (the
        // batch stays in Recall: the case holds 2); the case found illegitimate and closed:
        // its 2 were the last, and closing it enters Destroyed.
        h.closeOut(1);
        _assertEq(h.successes(CollaborationHandler.Action.CloseOut), 2, "closed out");
        _assertEq(h.proposalCount(), 1, "one destruction: closing the case entered Destroyed");
        _assertEq(record(batchId).state, DESTROYED, "destroyed");
        _assertEq(h.disposals(), 1, "entered Destroyed once");
        _assertEq(h.haltedSuccesses(CollaborationHandler.Action.Cancel), 1, "the shipment came back while halted");
        _assertEq(h.restoredFrom(ISupplyLedger.UnitStatus.Locked), 1, "the lock lifted");
        _assertEq(
            uint8(suspects().suspectCase(h.caseAt(0).id).status),
            uint8(ISuspectProduct.CaseStatus.Closed),
            "the case closed"
        );
        ISupplyLedger.Batch memory b = batches.getBatch(batchId);
        _assertEq(b.dispensed, 1, "dispensed");
        _assertEq(b.destroyed, QUANTITY - 1, "destroyed");
        _assertEq(h.mispredictions(), 0, "mispredictions");
        _assertEq(h.prematureDisposals(), 0, "premature disposals");
        _assertEq(h.haltedLedgerChanges(), 0, "halted ledger changes");
        _assertEq(h.misdirectedCredits(), 0, "misdirected credits");
        _assertEq(h.outflowsBeyondAvailable(), 0, "outflows beyond available");
    }

    // ==== PRIVATE: SCRIPTS ====

    /// Observer seeds: 0 logistics, 1 the wholesaler's device, 3 wholesaler, 4 pharmacy,
    /// 5 regulator, 6 outsider, 7 laboratory, 9 maker, 10 the maker's QA. Point seeds: 0
    /// storage, 8 order, 10 inspection of the batch, 12 of the product, 13 adverse on the
    /// batch, 14 on the product, 15 efficacy on the product. Result seeds 0 normal, 3 critical.
    /// declareCritical point seed 3: an inspection of the batch.
    function _scriptObservations(CollaborationHandler h) private {
        uint256 at5C = (350 << 8) | 1; // 1.5 °C + 3.5 °C
        h.observe(0, 0, at5C, 0, 0); // logistics (holds 4): storage 5 °C
        h.observe(0, 0, at5C, 0, 3); // logistics declares critical at 5 °C: recorded only
        h.observe(0, 0, (3000 << 8) | 4, 0, 0); // logistics' admin types 20 °C: critical, recorded only
        h.declareCritical(1, 3); // the wholesaler's device declares an inspection critical: recorded only
        h.observe(3, 8, at5C, 0, 0); // the wholesaler: an order
        h.observe(10, 10, at5C, 0, 0); // the maker's QA inspects the batch
        h.observe(4, 13, at5C, 0, 0); // the pharmacy (received it): adverse on the batch
        h.observe(9, 14, at5C, 0, 0); // the maker: adverse on the product
        h.observe(5, 15, at5C, 0, 0); // the regulator: efficacy on the product
        h.observe(4, 14, at5C, 0, 0); // the pharmacy on the product: refused
        h.observe(1, 12, at5C, 0, 0); // the wholesaler's device inspects the product: refused
        h.observe(6, 0, at5C, 0, 0); // an outsider: refused
        h.observe(7, 12, at5C, 0, 3); // the laboratory finds the product critical: it stops
        h.transition(0, true, 1); // the regulator resumes the product
        h.transition(3, true, 0); // the maker stops the product
        h.dispense(1, 28); // refused: the product halts the batch
        h.transition(0, true, 1); // the regulator resumes it
    }

    /// Custody callers: 1 maker, 41 wholesaler, 121 pharmacy, 16 the maker's QA. Quantity
    /// seeds 4 q + 1: q. Unit seeds 4 i: unit i. Shipment and case seed 1: the first open
    /// one; caller seed 1 (closing) or 0 (restoring): the party allowed to.
    function _scriptCustody(CollaborationHandler h) private {
        h.ship(1, 1, 5); // maker → wholesaler 1
        h.receiveShipment(1, 1);
        h.ship(1, 3, 5); // maker → pharmacy 1
        h.cancelShipment(1, 1);
        h.ship(1, 3, 5);
        h.rejectShipment(1, 1);
        h.ship(1, 3, 5);
        h.receiveShipment(1, 1);
        h.dispense(1, 0); // the pharmacy dispenses unit 0
        h.undoDispense(0, 1);
        h.dispense(1, 0);
        h.dispense(2, 0); // the hospital presents it again: suspect
        h.decommission(121, 4, 2); // the pharmacy destroys unit 1,
        h.decommission(121, 8, 3); // reports unit 2 stolen,
        h.decommission(121, 12, 4); // locks unit 3
        h.reactivate(12, 1);
        h.decommission(121, 12, 4); // and locks it again
        h.decommission(16, 16, 4); // the maker's QA locks unit 4
        h.reactivate(16, 1); // the maker lifts it
        h.restoreUnit(4, 0); // the regulator restores a destroyed unit,
        h.restoreUnit(8, 0); // a stolen one,
        h.dispense(1, 20);
        h.restoreUnit(20, 0); // a dispensed one
        h.restoreUnit(24, 0); // an active one: refused
        h.seizeStock(7, 0, 0); // the maker, and no recall: refused
    }

    /// Stock left in transit through a stop and a recall, returns and seizures of everything,
    /// suspect cases holding stock, and the destructions.
    function _scriptRecall(CollaborationHandler h) private {
        uint256 at20C = (3000 << 8) | 4; // −10 °C + 30 °C
        h.ship(1, 4, 13); // maker → hospital 3, left in transit
        h.ship(41, 2, 9); // wholesaler → logistics 2, left in transit
        h.observe(1, 0, at20C, 0, 0); // the wholesaler's device measures 20 °C: the batch stops by rule
        h.decommission(121, 24, 2); // refused while stopped
        h.undoDispense(0, 1); // refused while stopped
        h.receiveShipment(1, 1); // refused while stopped
        h.openRecall(0, 1); // the regulator, level I
        h.cancelShipment(1, 1); // the maker's shipment comes back
        h.rejectShipment(1, 1); // logistics rejects the wholesaler's
        h.restoreUnit(12, 0); // the regulator lifts the pharmacy's lock during the recall
        h.reportSuspect(3, 18, 9); // case 1: the maker quarantines 2 (the whole batch)
        h.reportSuspect(7, 5, 5); // case 2: the wholesaler quarantines 1 (unit 5)
        h.returnStock(5, 0, 3); // the wholesaler returns all it has available
        h.seizeStock(0, 0, 0); // the regulator seizes the maker's,
        h.seizeStock(0, 10, 0); // logistics',
        h.seizeStock(0, 15, 0); // the pharmacy's,
        h.seizeStock(0, 20, 0); // the hospital's
        h.proposeDestruction(3, 0); // the maker proposes destroying the quarantine (60)
        h.witnessDestruction(11, 0); // the notary witnesses: 3 still in cases, no Destroyed
        h.investigateSuspect(3, 1); // the maker (holder and reporter)
        h.concludeSuspect(3, 1, false); // the maker may not clear: refused
        h.concludeSuspect(3, 1, true); // the maker: illegitimate
        h.wait(1 hours);
        h.notifyIllegitimate(3, 1); // the maker, in time
        h.closeSuspect(0, 1); // the regulator: 2 destroyed
        h.investigateSuspect(7, 1); // the wholesaler (reporter)
        h.concludeSuspect(0, 1, false); // the regulator clears: the 1 goes back
        h.returnStock(5, 0, 3); // the wholesaler returns it
        h.proposeDestruction(3, 0);
        h.witnessDestruction(0, 1); // the regulator witnesses: every unit accounted for
    }

    /// Stops the batch (regulator) and opens a level I recall; returns its id.
    function _recall() private returns (bytes32 recallId) {
        vm.prank(supplyAdmin(REGULATOR));
        collaboration().transition(batchId, STOP, "stop");
        vm.prank(supplyAdmin(REGULATOR));
        recallId = collaboration().openRecall(batchId, 1, "recall");
    }

    /// The maker proposes destroying `q` of the quarantine; the notary witnesses.
    function _destroy(uint48 q) private returns (bytes32 destructionId) {
        vm.prank(supplyAdmin(MAKER));
        destructionId = collaboration().proposeDestruction(batchId, q);
        vm.prank(supplyAdmin(NOTARY));
        collaboration().witnessDestruction(batchId, destructionId);
    }

    // ==== PRIVATE ====

    /// Ships one of the batch to the logistics party (a linked party) and adds its logger.
    function _linkLogistics() private {
        _move(MAKER, LOGISTICS, 1);
        vm.prank(supplyAdmin(LOGISTICS));
        registry.addMember(LOGISTICS, LOGISTICS_DEVICE, IConsortiumRegistry.Role.Device);
    }

    /// A reading by the logistics party's logger (`byDevice`) or its admin: recorded and
    /// classified; a critical one stops a marketed batch only if the logger measured it.
    function _observeAndCheck(int16 temperature, uint16 humidity, bool transport, bool byDevice) private {
        IQualityEngine.Observation memory o = reading(
            batchId,
            transport ? IQualityEngine.Point.Transport : IQualityEngine.Point.Storage,
            IQualityEngine.Result.Normal,
            temperature,
            humidity
        );
        address observer = byDevice ? LOGISTICS_DEVICE : supplyAdmin(LOGISTICS);
        if (humidity > 10_000 && humidity != QualityLimits.NO_HUMIDITY) {
            vm.prank(observer);
            vm.expectRevert(abi.encodeWithSelector(IQualityEngine.QualityEngineInvalidHumidity.selector, humidity));
            quality().observe(o);
            return;
        }
        _checkObserved(o, observer, expectedResult(transport, temperature, humidity), byDevice);
    }

    /// Sends `o` from `observer` (of the logistics party): recorded as `result`, numbered on,
    /// and a critical one stops a marketed batch only if `byDevice`.
    function _checkObserved(
        IQualityEngine.Observation memory o,
        address observer,
        IQualityEngine.Result result,
        bool byDevice
    ) private {
        ICollaborationEngine.SubjectRecord memory before = record(batchId);
        uint32 seq = before.observations + 1;
        vm.prank(observer);
        vm.expectEmit(address(batches));
        emit IQualityEngine.Observed(batchId, LOGISTICS, seq, observer, o.point, result, o.temperature, o.humidity);
        _assertEq(quality().observe(o), seq, "seq");
        ICollaborationEngine.SubjectRecord memory rec = record(batchId);
        _assertEq(rec.observations, seq, "observations");
        bool stops = result == IQualityEngine.Result.Critical && byDevice && before.state == MARKETED;
        _assertEq(rec.state, stops ? STOP : before.state, "state after the reading");
    }
}

/**
 * @title CollaborationHandler
 * @notice Drives, on one released batch of 64 and its product, random transitions
 * (stop, resume, deregister; and the recall and disposal states, which {transition}
 * must refuse) by random actors (regulator, maker admin and QA, wholesaler, devices, an
 * outsider, the notary, other parties), recalls at random levels (0–4), returns by
 * random holders, the regulator's seizures, destruction proposals and witnesses, ships,
 * receives, cancels, rejects (shipments left in transit through a stop and a recall come
 * back this way), dispenses, undos, decommissions in every status, reactivations, the
 * regulator's restorations, observations at every control point (readings at random
 * temperatures and humidities against the 2–8 °C rules, declared results, inspections,
 * use reports on the batch and the product) by linked and unlinked observers,
 * suspect-product cases with stock (reports of the batch or a unit, investigations,
 * findings, notifications, closures) by random actors, the passing of time, and now
 * and then the regulator closing a recall out to the batch's destruction ({closeOut}).
 * It catches every revert.
 *
 * It keeps a model (every party's custody — held including locked, in transit,
 * dispensed, suspended, locked —, open shipments, states, recall, quarantine,
 * destructions, units, suspect cases and the stock they hold) updated only by calls that
 * succeeded, predicts each call's outcome from the reference graphs ({PharmaGraph},
 * {CaseGraph}) and counts the mispredictions. Around every successful call it reads the
 * registry's whole ledger ({Ledger}) and checks, independently of the model: each state
 * change is an edge of the graph; a unit action took one unit of the actor's own available
 * stock; an outflow never exceeded the party's available stock; stock put back or
 * destroyed went exactly where the call says; while halted, stock moved only into
 * quarantine (returns, seizures, reports into cases), out of it by a witnessed destruction
 * or the regulator's decision on a case, or back to a shipment's sender; the batch entered
 * Destroyed only with every unit accounted for; and nobody unauthorised moved a state or
 * a case, nor stopped a subject by a critical result it merely declared.
 */
contract CollaborationHandler is TestBase {
    enum Action {
        Transition,
        OpenRecall,
        ReturnStock,
        SeizeStock,
        ProposeDestruction,
        WitnessDestruction,
        Ship,
        Receive,
        Cancel,
        Reject,
        Dispense,
        UndoDispense,
        Decommission,
        Reactivate,
        RestoreUnit,
        Observe,
        Wait,
        ReportSuspect,
        InvestigateSuspect,
        ConcludeSuspect,
        NotifySuspect,
        CloseSuspect,
        CloseOut,
        DeclareCritical
    }

    struct Caller {
        address account;
        uint64 party;
        IConsortiumRegistry.Role role;
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

    /// A party's custody as the model keeps it.
    struct Stock {
        uint256 held;
        uint256 inTransit;
        uint256 dispensed;
        uint256 suspended;
        uint256 locked;
    }

    uint32 private constant _WINDOW = 10 days;
    uint256 private constant _INACTIVE =
        (1 << uint8(ISupplyLedger.UnitStatus.Dispensed)) |
            (1 << uint8(ISupplyLedger.UnitStatus.Destroyed)) |
            (1 << uint8(ISupplyLedger.UnitStatus.Stolen)) |
            (1 << uint8(ISupplyLedger.UnitStatus.Locked));

    IBatchRegistry public immutable batches;
    bytes32 public immutable batchId;
    bytes32 public immutable product;
    uint64 public immutable gtin;
    uint48 public immutable quantity;

    uint64[5] private _custodians = [MAKER, WHOLESALER, LOGISTICS, PHARMACY, HOSPITAL];

    // ---- model ----
    mapping(uint64 partyId => Stock) public model;
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
    uint256 public modelDispensed;
    uint256 public modelQuarantined;
    uint256 public modelDestroyed;
    uint256 public modelLost;
    /// The stock open suspect cases hold.
    uint256 public modelSuspended;
    Proposal[] private _proposals;
    mapping(uint256 index => ISupplyLedger.UnitStatus) public modelStatus;
    mapping(uint256 index => uint64) public modelParty;
    mapping(uint256 index => uint256) public modelAt;
    Case[] private _cases;

    // ---- ghosts ----
    uint256 public mispredictions;
    /// The last action whose outcome the model did not predict (to read a failing campaign).
    Action public lastMisprediction;
    /// State changes seen (own state before and after a call) that are not edges of the graph.
    uint256 public offGraphChanges;
    /// Reached masks that lost a bit, or do not hold the current state or its prerequisites.
    uint256 public reachedViolations;
    /// Ships, receives, non-suspect dispenses, undos, decommissions and restorations (other
    /// than of a lock) that succeeded while the batch's effective state halted trade.
    uint256 public haltedTrades;
    /// Successful calls that moved stock while halted other than into quarantine (a return, a
    /// seizure, a report into a case), out of it (a witnessed destruction, the regulator's
    /// decision on a case) or back to a shipment's sender.
    uint256 public haltedLedgerChanges;
    /// Dispenses, destructions, thefts and locks that did not take exactly one unit of the
    /// actor's own available stock, or that moved anything else.
    uint256 public foreignStockMoves;
    /// Shipments, returns, seizures and reports into cases that took more than the party's
    /// available stock, or other than exactly that stock.
    uint256 public outflowsBeyondAvailable;
    /// Calls that put stock back or retire it (cancel, reject, undo, lift, restoration, a
    /// case cleared or closed, a witnessed destruction) whose ledger change was not exactly
    /// that stock, credited to or taken from the party they name.
    uint256 public misdirectedCredits;
    /// Entries into Destroyed with some of the batch unaccounted for (held, in transit,
    /// quarantined or suspended); and every entry into Destroyed.
    uint256 public prematureDisposals;
    uint256 public disposals;
    /// Transitions, recalls, seizures, restorations and destruction proposals or witnesses that
    /// succeeded for an outsider or a device.
    uint256 public unauthorizedSuccesses;
    /// The same for parties that are members but not allowed (not regulator/holder/witness as the state says).
    uint256 public wrongPartySuccesses;
    /// Subjects stopped by a critical result that a party other than the holder, a
    /// laboratory or the regulator declared, or by a measure out of the product's limits
    /// that a person (not a device) of such a party typed.
    uint256 public declaredStops;
    mapping(Action action => uint256) public successes;
    mapping(Action action => uint256) public refusals;
    /// Successful calls made while the batch was halted, per action.
    mapping(Action action => uint256) public haltedSuccesses;
    mapping(ISupplyLedger.UnitStatus status => uint256) public decommissioned;
    mapping(ISupplyLedger.UnitStatus status => uint256) public restoredFrom;
    /// Observations that stopped their subject, and critical ones that were recorded only;
    /// of those, the measures out of the limits a person typed at a point the rules stop on.
    uint256 public observationStops;
    uint256 public criticalRecordedOnly;
    uint256 public typedExcursionsRecordedOnly;
    /// State changes seen, per edge `from * 8 + to` and subject (0 batch, 1 product).
    mapping(uint256 edge => uint256) public edgeCounts;
    /// Suspect-case status changes seen (status before and after a call) that are not edges of {CaseGraph}.
    uint256 public caseOffGraphChanges;
    /// Suspect-case status changes (and notifications) that succeeded for an outsider, a device,
    /// or a party {CaseGraph} does not allow.
    uint256 public caseWrongActorMoves;

    // ---- per-call scratch ----
    uint8[2] private _stateBefore;
    uint16[2] private _reachedBefore;

    constructor(IBatchRegistry batches_, bytes32 batchId_) {
        batches = batches_;
        batchId = batchId_;
        ISupplyLedger.Batch memory b = batches_.getBatch(batchId_);
        gtin = b.gtin;
        quantity = b.quantity;
        product = bytes32(uint256(b.gtin));
        model[MAKER].held = batches_.holding(batchId_, MAKER);
        modelObservations[0] = b.observations;
        modelObservations[1] = _collaboration().subjectRecord(product).observations;
        // Stock at the wholesaler, both dispensers and logistics, so that every holder can act.
        _seed(MAKER, WHOLESALER, 24);
        _seed(WHOLESALER, PHARMACY, 6);
        _seed(MAKER, HOSPITAL, 6);
        _seed(WHOLESALER, LOGISTICS, 4);
    }

    /// The actions a campaign calls.
    function actions() external pure returns (bytes4[] memory s) {
        s = new bytes4[](24);
        s[0] = this.transition.selector;
        s[1] = this.openRecall.selector;
        s[2] = this.returnStock.selector;
        s[3] = this.seizeStock.selector;
        s[4] = this.proposeDestruction.selector;
        s[5] = this.witnessDestruction.selector;
        s[6] = this.ship.selector;
        s[7] = this.receiveShipment.selector;
        s[8] = this.cancelShipment.selector;
        s[9] = this.rejectShipment.selector;
        s[10] = this.dispense.selector;
        s[11] = this.undoDispense.selector;
        s[12] = this.decommission.selector;
        s[13] = this.reactivate.selector;
        s[14] = this.restoreUnit.selector;
        s[15] = this.observe.selector;
        s[16] = this.wait.selector;
        s[17] = this.reportSuspect.selector;
        s[18] = this.investigateSuspect.selector;
        s[19] = this.concludeSuspect.selector;
        s[20] = this.notifyIllegitimate.selector;
        s[21] = this.closeSuspect.selector;
        s[22] = this.closeOut.selector;
        s[23] = this.declareCritical.selector;
    }

    // ==== ACTIONS: STATES ====

    /// A plain transition: stop 6/16, resume 5/16, deregister 2/16; recall, disposal or an unknown state 3/16 (refused).
    function transition(uint256 callerSeed, bool onProduct, uint256 stateSeed) external {
        uint8[16] memory table = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 4, 2, 3, 4, 5];
        _transition(_caller(callerSeed), onProduct, table[stateSeed % 16]);
    }

    function openRecall(uint256 callerSeed, uint256 levelSeed) external {
        _openRecall(_caller(callerSeed), uint8(levelSeed % 5));
    }

    function _transition(Caller memory c, bool onProduct, uint8 to) private {
        uint256 k = onProduct ? 1 : 0;
        bool expected = _mayTransition(c, k, to);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _collaboration().transition(onProduct ? product : batchId, to, "handler") {
            _record(Action.Transition, true, expected, before.halted);
            _authorityCheck(c, to == MARKETED ? _regulatorOnly(c) : _regulatorOrHolder(c));
            _enter(k, to);
            _after(before, Ledger.Move.None, 0, 0);
        } catch {
            _record(Action.Transition, false, expected, before.halted);
        }
    }

    function _openRecall(Caller memory c, uint8 level) private {
        bool expected =
            _person(c) &&
                _regulatorOrHolder(c) &&
                level >= 1 &&
                level <= 3 &&
                PharmaGraph.isEdge(modelState[0], RECALL, false);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _collaboration().openRecall(batchId, level, "handler recall") returns (bytes32 recallId) {
            _record(Action.OpenRecall, true, expected, before.halted);
            _authorityCheck(c, _regulatorOrHolder(c));
            _enter(0, RECALL);
            ++modelRecalls;
            modelRecallLevel = level;
            modelRecallOpenedAt = block.timestamp;
            modelRecallDeadline = block.timestamp + (level == 1 ? 1 days : (level == 2 ? 3 days : 7 days));
            if (recallId != keccak256(abi.encode(batchId, "recall", modelRecalls))) _mispredict(Action.OpenRecall);
            _after(before, Ledger.Move.None, 0, 0);
        } catch {
            _record(Action.OpenRecall, false, expected, before.halted);
        }
    }

    /// A holder (usually one with stock) returns part or all of its available stock; one call
    /// in eight is an outsider, one a device (refused), one the maker's QA (it may).
    function returnStock(uint256 partySeed, uint256 quantitySeed, uint256 callerSeed) external {
        uint256 who = callerSeed % 8;
        Caller memory c =
            who == 0
                ? Caller(STRANGER, 0, IConsortiumRegistry.Role.None)
                : (
                    who == 1
                        ? Caller(WHOLESALER_DEVICE, WHOLESALER, IConsortiumRegistry.Role.Device)
                        : (who == 2 ? Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA) : _admin(_holderPick(partySeed)))
                );
        uint64 party = c.party;
        uint256 q = _quantity(quantitySeed, party);
        bool expected = _person(c) && isCustodian(party) && _underRecall() && q > 0 && q <= _available(party);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _collaboration().returnStock(batchId, uint48(q)) returns (uint256 remaining) {
            _record(Action.ReturnStock, true, expected, before.halted);
            if (!_person(c)) ++unauthorizedSuccesses;
            _quarantine(before, party, q, remaining, Action.ReturnStock);
        } catch {
            _record(Action.ReturnStock, false, expected, before.halted);
        }
    }

    /// The regulator (half the calls; else any caller) seizes part or all of a holder's
    /// available stock into quarantine: a forced return.
    function seizeStock(uint256 callerSeed, uint256 partySeed, uint256 quantitySeed) external {
        uint64 party = _holderPick(partySeed);
        _seize(callerSeed % 2 == 0 ? _admin(REGULATOR) : _caller(callerSeed / 2), party, _quantity(quantitySeed, party));
    }

    function _seize(Caller memory c, uint64 party, uint256 q) private {
        bool expected = _trades(c) && c.party == REGULATOR && _underRecall() && q > 0 && q <= _available(party);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _collaboration().seizeStock(batchId, party, uint48(q)) returns (uint256 remaining) {
            _record(Action.SeizeStock, true, expected, before.halted);
            _authorityCheck(c, c.party == REGULATOR);
            _quarantine(before, party, q, remaining, Action.SeizeStock);
        } catch {
            _record(Action.SeizeStock, false, expected, before.halted);
        }
    }

    /// Quantity seed % 2 == 0: the whole quarantine; else up to one more than it holds.
    function proposeDestruction(uint256 callerSeed, uint256 quantitySeed) external {
        uint256 q = quantitySeed % 2 == 0 ? modelQuarantined : _bound(quantitySeed / 2, 0, modelQuarantined + 1);
        _propose(_caller(callerSeed), q);
    }

    function _propose(Caller memory c, uint256 q) private {
        bool expected =
            _person(c) &&
                c.party == MAKER &&
                (modelState[0] == DESTROYED || PharmaGraph.isEdge(modelState[0], DESTROYED, false)) &&
                q > 0 &&
                q <= modelQuarantined;
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _collaboration().proposeDestruction(batchId, uint48(q)) returns (bytes32 id) {
            _record(Action.ProposeDestruction, true, expected, before.halted);
            _authorityCheck(c, c.party == MAKER);
            _proposals.push(Proposal(id, uint48(q), ICollaborationEngine.DestructionStatus.Proposed, block.timestamp));
            if (id != keccak256(abi.encode(batchId, "destruction", uint32(_proposals.length)))) {
                _mispredict(Action.ProposeDestruction);
            }
            _after(before, Ledger.Move.None, 0, 0);
        } catch {
            _record(Action.ProposeDestruction, false, expected, before.halted);
        }
    }

    /// The destruction is executed; the batch enters Destroyed only if then every unit of it
    /// is accounted for (dispensed, destroyed or lost).
    function witnessDestruction(uint256 callerSeed, uint256 proposalSeed) external {
        uint256 n = _proposals.length;
        if (n == 0) return;
        _witness(_caller(callerSeed), proposalSeed % n);
    }

    function _witness(Caller memory c, uint256 i) private {
        Proposal storage p = _proposals[i];
        bool witness = c.party == REGULATOR || c.party == NOTARY;
        bool expected =
            _person(c) &&
                witness &&
                p.status == ICollaborationEngine.DestructionStatus.Proposed &&
                p.quantity <= modelQuarantined;
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _collaboration().witnessDestruction(batchId, p.id) {
            _record(Action.WitnessDestruction, true, expected, before.halted);
            _authorityCheck(c, witness);
            p.status = ICollaborationEngine.DestructionStatus.Witnessed;
            modelQuarantined = _dec(modelQuarantined, p.quantity);
            modelDestroyed += p.quantity;
            if (modelState[0] != DESTROYED && modelDispensed + modelDestroyed + modelLost == quantity) {
                _enter(0, DESTROYED);
            }
            Ledger.Delta memory d = _after(before, Ledger.Move.QuarantineDestroyed, 0, p.quantity);
            Ledger.Delta memory e;
            e.quarantined = -int256(uint256(p.quantity));
            e.destroyed = int256(uint256(p.quantity));
            if (!Ledger.eq(d, e)) ++misdirectedCredits;
        } catch {
            _record(Action.WitnessDestruction, false, expected, before.halted);
        }
    }

    /**
     * The regulator drives a recall to its end. Seed % 8: 0 partly, 1 and 2 wholly (cases
     * found illegitimate, or cleared); otherwise nothing. It stops the batch and opens a
     * recall (level 1 + seed / 8 % 3) if need be; the senders cancel their open shipments;
     * the regulator seizes every custodian's available stock. Partly: it stops there, the
     * locked units left with their holders. Wholly: it lifts every lock and seizes those
     * units too; the maker proposes destroying the whole quarantine and the notary witnesses
     * (the batch enters Destroyed unless suspect cases still hold stock); the regulator
     * concludes every open case (found illegitimate and closed: destroyed — and if that was
     * the last of the batch, closing it enters Destroyed; or cleared: back to the reporter),
     * seizes what came back, and that is destroyed in turn. Each step is a call predicted
     * and checked as the single actions are: the batch ends Destroyed, every unit accounted
     * for.
     */
    function closeOut(uint256 seed) external {
        uint256 mode = seed % 8;
        if (mode > 2) return;
        Caller memory regulator = _admin(REGULATOR);
        if (modelState[0] == MARKETED) _transition(regulator, false, STOP);
        if (modelState[0] == STOP) _openRecall(regulator, uint8(1 + ((seed / 8) % 3)));
        if (!_underRecall()) return;
        for (uint256 i = 0; i < _shipments.length; ++i) {
            if (_shipments[i].open) _closeShipmentAt(Action.Cancel, i, _admin(_shipments[i].from));
        }
        _seizeAll();
        ++successes[Action.CloseOut];
        if (mode == 0) return;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            if (modelStatus[i] == ISupplyLedger.UnitStatus.Locked) _restore(regulator, i);
        }
        _seizeAll();
        _destroyQuarantine();
        for (uint256 i = 0; i < _cases.length; ++i) {
            if (_cases[i].status == ISuspectProduct.CaseStatus.Quarantined) _investigate(regulator, i);
            if (_cases[i].status == ISuspectProduct.CaseStatus.Investigating) {
                _conclude(regulator, i, mode == 1);
            }
            if (_cases[i].status == ISuspectProduct.CaseStatus.Illegitimate) _closeCase(regulator, i);
        }
        _seizeAll();
        _destroyQuarantine();
    }

    /// The maker proposes destroying the whole quarantine, if any, and the notary witnesses.
    function _destroyQuarantine() private {
        if (modelQuarantined == 0) return;
        _propose(_admin(MAKER), modelQuarantined);
        _witness(_admin(NOTARY), _proposals.length - 1);
    }

    /// The regulator seizes every custodian's available stock.
    function _seizeAll() private {
        for (uint256 i = 0; i < _custodians.length; ++i) {
            uint256 available = _available(_custodians[i]);
            if (available > 0) _seize(_admin(REGULATOR), _custodians[i], available);
        }
    }

    // ==== ACTIONS: CUSTODY ====

    /// Caller seed: see {_custodyCaller}. Quantity seed: see {_quantity}.
    function ship(uint256 callerSeed, uint256 toSeed, uint256 quantitySeed) external {
        Caller memory c = _custodyCaller(callerSeed);
        uint64 from = c.party;
        uint256 pick = toSeed % 7;
        uint64 to = pick < 5 ? _custodians[pick] : (pick == 5 ? LABORATORY : from);
        uint256 q = _quantity(quantitySeed, from);
        bool expected =
            _trades(c) && isCustodian(from) && !_haltedModel() && to != from && isCustodian(to) && q > 0 && q <= _available(from);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try batches.ship(batchId, to, uint48(q)) returns (bytes32 id) {
            _record(Action.Ship, true, expected, before.halted);
            if (before.halted) ++haltedTrades;
            if (id != keccak256(abi.encode(batchId, from, uint32(_shipmentsBy(from))))) _mispredict(Action.Ship);
            _shipments.push(Open({id: id, from: from, to: to, quantity: uint48(q), open: true}));
            ++_openCount;
            openTotal += q;
            model[from].held = _dec(model[from].held, q);
            model[from].inTransit += q;
            Ledger.Delta memory d = _after(before, Ledger.Move.None, 0, 0);
            Ledger.Delta memory e = Ledger.stockOf(from);
            e.held = -int256(q);
            e.inTransit = int256(q);
            _checkOutflow(before, d, e, from, q);
        } catch {
            _record(Action.Ship, false, expected, before.halted);
        }
    }

    function receiveShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        _closeShipment(Action.Receive, shipmentSeed, callerSeed);
    }

    function cancelShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        _closeShipment(Action.Cancel, shipmentSeed, callerSeed);
    }

    function rejectShipment(uint256 shipmentSeed, uint256 callerSeed) external {
        _closeShipment(Action.Reject, shipmentSeed, callerSeed);
    }

    /// A pharmacy or hospital (or one that does not dispense, {_dispenser}) dispenses a unit:
    /// mostly an active one, one time in four any unit (one no longer active is reported as
    /// suspect, whatever the state; a locked one is refused).
    function dispense(uint256 callerSeed, uint256 unitSeed) external {
        Caller memory c = _dispenser(callerSeed);
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Active));
        ISupplyLedger.UnitStatus status = modelStatus[index];
        bool active = status == ISupplyLedger.UnitStatus.Active;
        bool expected =
            _trades(c) &&
                isDispenser(c.party) &&
                status != ISupplyLedger.UnitStatus.Locked &&
                (!active || (!_haltedModel() && _available(c.party) >= 1));
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try batches.dispense(UnitTree16.unit(batchId, index)) returns (bool suspect) {
            _record(Action.Dispense, true, expected, before.halted);
            if (suspect == active) _mispredict(Action.Dispense);
            Ledger.Delta memory e;
            if (!suspect) {
                if (before.halted) ++haltedTrades;
                model[c.party].held = _dec(model[c.party].held, 1);
                ++model[c.party].dispensed;
                ++modelDispensed;
                _setUnit(index, ISupplyLedger.UnitStatus.Dispensed, c.party);
                e = Ledger.stockOf(c.party);
                e.held = -1;
                e.dispensed = 1;
                e.batchDispensed = 1;
            }
            _checkUnitTake(before, _after(before, Ledger.Move.None, 0, 0), e, c.party);
        } catch {
            _record(Action.Dispense, false, expected, before.halted);
        }
    }

    /// Mostly the dispensing party; sometimes another dispenser or one not allowed.
    function undoDispense(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Dispensed));
        bool dispensed = modelStatus[index] == ISupplyLedger.UnitStatus.Dispensed;
        Caller memory c = dispensed && callerSeed % 4 != 0 ? _admin(modelParty[index]) : _dispenser(callerSeed / 4);
        bool expected =
            _trades(c) &&
                isDispenser(c.party) &&
                dispensed &&
                c.party == modelParty[index] &&
                !_haltedModel() &&
                block.timestamp <= modelAt[index] + _WINDOW;
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try batches.undoDispense(UnitTree16.unit(batchId, index)) {
            _record(Action.UndoDispense, true, expected, before.halted);
            if (before.halted) ++haltedTrades;
            _credit(c.party, ISupplyLedger.UnitStatus.Dispensed);
            _setUnit(index, ISupplyLedger.UnitStatus.Active, c.party);
            _checkCredit(_after(before, Ledger.Move.None, 0, 0), _restoration(c.party, ISupplyLedger.UnitStatus.Dispensed));
        } catch {
            _record(Action.UndoDispense, false, expected, before.halted);
        }
    }

    /// Caller seed: see {_custodyCaller}. Kind seed % 8: 0 Active, 1 Dispensed (both
    /// refused), 2 Destroyed, 3 Stolen, 4–7 Locked (locks are lifted again; destructions
    /// and thefts, only by the regulator).
    function decommission(uint256 callerSeed, uint256 unitSeed, uint256 kindSeed) external {
        Caller memory c = _custodyCaller(callerSeed);
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Active));
        uint256 k = kindSeed % 8;
        ISupplyLedger.UnitStatus kind = ISupplyLedger.UnitStatus(k < 4 ? k : 4);
        bool expected =
            _person(c) &&
                isCustodian(c.party) &&
                k >= 2 &&
                modelStatus[index] == ISupplyLedger.UnitStatus.Active &&
                !_haltedModel() &&
                _available(c.party) >= 1;
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try batches.decommission(UnitTree16.unit(batchId, index), kind) {
            _record(Action.Decommission, true, expected, before.halted);
            if (before.halted) ++haltedTrades;
            ++decommissioned[kind];
            Ledger.Delta memory e;
            if (kind == ISupplyLedger.UnitStatus.Locked) {
                e = Ledger.lock(c.party, 1);
                ++model[c.party].locked;
            } else {
                e = Ledger.stockOf(c.party);
                e.held = -1;
                model[c.party].held = _dec(model[c.party].held, 1);
                if (kind == ISupplyLedger.UnitStatus.Destroyed) {
                    e.destroyed = 1;
                    ++modelDestroyed;
                } else {
                    e.lost = 1;
                    ++modelLost;
                }
            }
            _setUnit(index, kind, c.party);
            _checkUnitTake(before, _after(before, Ledger.Move.None, 0, 0), e, c.party);
        } catch {
            _record(Action.Decommission, false, expected, before.halted);
        }
    }

    /// Mostly the locking party; one time in three any caller ({_custodyCaller}). Allowed while halted.
    function reactivate(uint256 unitSeed, uint256 callerSeed) external {
        uint256 index = _pickUnit(unitSeed, _bit(ISupplyLedger.UnitStatus.Locked));
        bool locked = modelStatus[index] == ISupplyLedger.UnitStatus.Locked;
        Caller memory c = locked && callerSeed % 3 != 0 ? _admin(modelParty[index]) : _custodyCaller(callerSeed / 3);
        bool expected = _person(c) && isCustodian(c.party) && locked && c.party == modelParty[index];
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try batches.reactivate(UnitTree16.unit(batchId, index)) {
            _record(Action.Reactivate, true, expected, before.halted);
            _credit(c.party, ISupplyLedger.UnitStatus.Locked);
            _setUnit(index, ISupplyLedger.UnitStatus.Active, c.party);
            _checkCredit(_after(before, Ledger.Move.None, 0, 0), Ledger.lock(c.party, -1));
        } catch {
            _record(Action.Reactivate, false, expected, before.halted);
        }
    }

    /// The regulator (half the calls; else any caller) restores a unit, mostly one that is
    /// not active: refused while halted unless it is a lock.
    function restoreUnit(uint256 unitSeed, uint256 callerSeed) external {
        _restore(callerSeed % 2 == 0 ? _admin(REGULATOR) : _caller(callerSeed / 2), _pickUnit(unitSeed, _INACTIVE));
    }

    function _restore(Caller memory c, uint256 index) private {
        ISupplyLedger.UnitStatus status = modelStatus[index];
        uint64 credited = modelParty[index];
        bool expected =
            _trades(c) &&
                c.party == REGULATOR &&
                status != ISupplyLedger.UnitStatus.Active &&
                (status == ISupplyLedger.UnitStatus.Locked || !_haltedModel());
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try batches.restoreUnit(UnitTree16.unit(batchId, index)) {
            _record(Action.RestoreUnit, true, expected, before.halted);
            _authorityCheck(c, c.party == REGULATOR);
            if (before.halted && status != ISupplyLedger.UnitStatus.Locked) ++haltedTrades;
            ++restoredFrom[status];
            _credit(credited, status);
            _setUnit(index, ISupplyLedger.UnitStatus.Active, REGULATOR);
            _checkCredit(_after(before, Ledger.Move.None, 0, 0), _restoration(credited, status));
        } catch {
            _record(Action.RestoreUnit, false, expected, before.halted);
        }
    }

    // ==== ACTIONS: OBSERVATIONS ====

    /**
     * An observation by a random observer ({_observer}: linked custodians and others,
     * devices, the holder, the regulator, the laboratory, an outsider). Point seed % 16:
     * 0–4 storage, 5–7 transport, 8 order (of the batch); 9 storage of the product
     * (refused: readings are of batches); 10–11 inspection of the batch, 12 of the product;
     * 13 adverse reaction on the batch, 14 on the product, 15 efficacy on the product.
     * Results are declared at random (normal, deviation, critical); storage and transport
     * readings out of the 2–8 °C limits are critical whatever is declared.
     */
    function observe(
        uint256 observerSeed,
        uint256 pointSeed,
        uint256 temperatureSeed,
        uint256 humiditySeed,
        uint256 resultSeed
    ) external {
        (IQualityEngine.Point point, bool onProduct) = _point(pointSeed);
        IQualityEngine.Result[4] memory results = [
            IQualityEngine.Result.Normal,
            IQualityEngine.Result.Normal,
            IQualityEngine.Result.Deviation,
            IQualityEngine.Result.Critical
        ];
        _observe(
            Action.Observe,
            _observer(observerSeed),
            point,
            onProduct,
            results[resultSeed % 4],
            _temperature(temperatureSeed),
            _humidity(humiditySeed)
        );
    }

    /**
     * A reading within the limits (5 °C, no humidity) that its observer declares critical:
     * storage, transport or an order of the batch, or an inspection of the batch or the
     * product (point seed % 5), by a random observer ({_observer}). It stops its subject
     * only if the holder, a laboratory or the regulator declared it.
     */
    function declareCritical(uint256 observerSeed, uint256 pointSeed) external {
        uint256 i = pointSeed % 5;
        IQualityEngine.Point[5] memory points = [
            IQualityEngine.Point.Storage,
            IQualityEngine.Point.Transport,
            IQualityEngine.Point.Order,
            IQualityEngine.Point.Inspection,
            IQualityEngine.Point.Inspection
        ];
        _observe(
            Action.DeclareCritical,
            _observer(observerSeed),
            points[i],
            i == 4,
            IQualityEngine.Result.Critical,
            500,
            QualityLimits.NO_HUMIDITY
        );
    }

    function _observe(
        Action action,
        Caller memory c,
        IQualityEngine.Point point,
        bool onProduct,
        IQualityEngine.Result result,
        int16 temperature,
        uint16 humidity
    ) private {
        IQualityEngine.Observation memory o;
        o.subject = onProduct ? product : batchId;
        o.point = point;
        o.result = result;
        o.temperature = temperature;
        o.humidity = humidity;
        bool validHumidity = o.humidity <= 10_000 || o.humidity == QualityLimits.NO_HUMIDITY;
        bool expected = _mayObserve(c, point, onProduct) && validHumidity;
        uint256 k = onProduct ? 1 : 0;
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try IQualityEngine(address(batches)).observe(o) returns (uint32 seq) {
            _record(action, true, expected, before.halted);
            ++modelObservations[k];
            if (seq != modelObservations[k]) _mispredict(action);
            bool outside = _outside(point, o.temperature, o.humidity);
            bool critical = o.result == IQualityEngine.Result.Critical || outside;
            // A critical result stops (at the points the rules name, from where a rule may
            // enter) if the observer speaks for the product, or a device measured a value
            // out of the limits.
            bool stops = critical && _stopsOnCritical(point) && _mayStop(c, outside);
            if (stops && PharmaGraph.isEdge(modelState[k], STOP, onProduct)) {
                _enter(k, STOP);
                ++observationStops;
            } else if (critical && !stops) {
                ++criticalRecordedOnly;
                if (outside && _stopsOnCritical(point)) ++typedExcursionsRecordedOnly;
            }
            _after(before, Ledger.Move.None, 0, 0);
            // What the registry saw, independently of the model: a declared result, or a
            // number a person typed, alone stopped nothing.
            if (
                _collaboration().subjectRecord(o.subject).state != _stateBefore[k] && !_mayStop(c, outside)
            ) ++declaredStops;
        } catch {
            _record(action, false, expected, before.halted);
        }
    }

    /// Lets up to two days pass (recall deadlines are 1, 3 and 7 days; the batch keeps ten years).
    function wait(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 0, 2 days));
        ++successes[Action.Wait];
    }

    // ==== ACTIONS: SUSPECT CASES ====

    /**
     * A random caller reports the whole batch or a unit (unit seed % 20: 0–15 a unit, 16 the
     * unit count, 17 just past WHOLE_BATCH, 18–19 WHOLE_BATCH: both refused) and quarantines
     * stock of its own into the case ({_quantity}: all it has available, or up to one more
     * than it holds).
     */
    function reportSuspect(uint256 callerSeed, uint256 unitSeed, uint256 quantitySeed) external {
        Caller memory c = _caller(callerSeed);
        uint256 u = unitSeed % 20;
        uint256 wholeBatch = type(uint48).max;
        uint256 unit = u < 17 ? u : (u == 17 ? wholeBatch + 1 : wholeBatch);
        uint256 q = _quantity(quantitySeed, c.party);
        bool expected = _person(c) && (unit < UnitTree16.SIZE || unit == wholeBatch) && q <= _available(c.party);
        ISuspectProduct.CaseStatus was = _caseStatus(_caseIdOf(_cases.length + 1));
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _suspects().reportSuspect(batchId, unit, uint48(q), keccak256("evidence"), "handler") returns (bytes32 id) {
            _record(Action.ReportSuspect, true, expected, before.halted);
            if (id != _caseIdOf(_cases.length + 1)) _mispredict(Action.ReportSuspect);
            _caseMove(
                was,
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
            model[c.party].held = _dec(model[c.party].held, q);
            model[c.party].suspended += q;
            modelSuspended += q;
            Ledger.Delta memory d = _after(before, Ledger.Move.ToCase, c.party, q);
            Ledger.Delta memory e;
            if (q != 0) {
                e = Ledger.stockOf(c.party);
                e.held = -int256(q);
                e.suspended = int256(q);
                e.caseStock = int256(q);
            }
            _checkOutflow(before, d, e, c.party, q);
        } catch {
            _record(Action.ReportSuspect, false, expected, before.halted);
        }
    }

    function investigateSuspect(uint256 callerSeed, uint256 caseSeed) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Quarantined);
        if (found) _investigate(_caller(callerSeed), i);
    }

    function _investigate(Caller memory c, uint256 i) private {
        Case storage k = _cases[i];
        bool allowed = CaseGraph.mayMove(
            ISuspectProduct.CaseStatus.Investigating,
            c.party,
            k.reporter,
            MAKER,
            REGULATOR
        );
        bool expected = _person(c) && k.status == ISuspectProduct.CaseStatus.Quarantined && allowed;
        ISuspectProduct.CaseStatus was = _caseStatus(k.id);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _suspects().investigateSuspect(k.id) {
            _record(Action.InvestigateSuspect, true, expected, before.halted);
            _caseMove(was, _caseStatus(k.id), allowed, c);
            _advance(k, ISuspectProduct.CaseStatus.Investigating);
            _after(before, Ledger.Move.None, 0, 0);
        } catch {
            _record(Action.InvestigateSuspect, false, expected, before.halted);
        }
    }

    /// The regulator clears a case (its stock goes back to the reporter) or finds it
    /// illegitimate; the holder may only find it illegitimate; anyone else is refused.
    function concludeSuspect(uint256 callerSeed, uint256 caseSeed, bool illegitimate) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Investigating);
        if (found) _conclude(_caller(callerSeed), i, illegitimate);
    }

    function _conclude(Caller memory c, uint256 i, bool illegitimate) private {
        Case storage k = _cases[i];
        ISuspectProduct.CaseStatus to =
            illegitimate ? ISuspectProduct.CaseStatus.Illegitimate : ISuspectProduct.CaseStatus.Cleared;
        bool allowed = CaseGraph.mayMove(to, c.party, k.reporter, MAKER, REGULATOR);
        bool expected = _person(c) && k.status == ISuspectProduct.CaseStatus.Investigating && allowed;
        ISuspectProduct.CaseStatus was = _caseStatus(k.id);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _suspects().concludeSuspect(k.id, illegitimate, keccak256("finding")) {
            _record(Action.ConcludeSuspect, true, expected, before.halted);
            _caseMove(was, _caseStatus(k.id), allowed, c);
            _advance(k, to);
            if (illegitimate) {
                k.notifyBy = block.timestamp + 24 hours;
                _checkCredit(_after(before, Ledger.Move.None, 0, 0), _none());
                return;
            }
            _releaseCase(k, false);
            // Only the regulator's decision may take a case's stock out of quarantine while halted.
            Ledger.Move allowedMove = c.party == REGULATOR ? Ledger.Move.CaseReleased : Ledger.Move.None;
            _checkCredit(_after(before, allowedMove, k.reporter, k.quantity), _caseDelta(k, false));
        } catch {
            _record(Action.ConcludeSuspect, false, expected, before.halted);
        }
    }

    function notifyIllegitimate(uint256 callerSeed, uint256 caseSeed) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Illegitimate);
        if (!found) return;
        Caller memory c = _caller(callerSeed);
        Case storage k = _cases[i];
        bool allowed = CaseGraph.mayNotify(c.party, k.reporter, MAKER);
        bool expected =
            _person(c) && k.status == ISuspectProduct.CaseStatus.Illegitimate && allowed && k.notifiedAt == 0;
        ISuspectProduct.CaseStatus was = _caseStatus(k.id);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _suspects().notifyIllegitimate(k.id, keccak256("notice")) {
            _record(Action.NotifySuspect, true, expected, before.halted);
            // A notification moves no status.
            if (_caseStatus(k.id) != was) ++caseOffGraphChanges;
            if (!_person(c) || !allowed) ++caseWrongActorMoves;
            k.notifiedAt = block.timestamp;
            _after(before, Ledger.Move.None, 0, 0);
        } catch {
            _record(Action.NotifySuspect, false, expected, before.halted);
        }
    }

    /// The regulator (or anyone else, refused) closes an illegitimate case: its stock is destroyed.
    function closeSuspect(uint256 callerSeed, uint256 caseSeed) external {
        (bool found, uint256 i) = _pickCase(caseSeed, ISuspectProduct.CaseStatus.Illegitimate);
        if (found) _closeCase(_caller(callerSeed), i);
    }

    function _closeCase(Caller memory c, uint256 i) private {
        Case storage k = _cases[i];
        bool allowed = CaseGraph.mayMove(ISuspectProduct.CaseStatus.Closed, c.party, k.reporter, MAKER, REGULATOR);
        bool expected = _person(c) && k.status == ISuspectProduct.CaseStatus.Illegitimate && allowed;
        ISuspectProduct.CaseStatus was = _caseStatus(k.id);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        try _suspects().closeSuspect(k.id) {
            _record(Action.CloseSuspect, true, expected, before.halted);
            _caseMove(was, _caseStatus(k.id), allowed, c);
            _advance(k, ISuspectProduct.CaseStatus.Closed);
            _releaseCase(k, true);
            // The case's stock may have been the last of a recalled batch not yet accounted
            // for: the batch then enters Destroyed, the regulator acting as the witness.
            if (k.quantity != 0 && modelState[0] == RECALL && modelDispensed + modelDestroyed + modelLost == quantity) {
                _enter(0, DESTROYED);
            }
            _checkCredit(_after(before, Ledger.Move.CaseDestroyed, k.reporter, k.quantity), _caseDelta(k, true));
        } catch {
            _record(Action.CloseSuspect, false, expected, before.halted);
        }
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

    function shipmentAt(uint256 i) external view returns (bytes32 id, uint64 from, uint48 q, bool open) {
        Open storage s = _shipments[i];
        return (s.id, s.from, s.quantity, s.open);
    }

    function proposalCount() external view returns (uint256) {
        return _proposals.length;
    }

    function proposalAt(uint256 i) external view returns (Proposal memory) {
        return _proposals[i];
    }

    // ==== PRIVATE: BOOKKEEPING ====

    /// Snapshots the subjects' states and reached masks, and the ledger, before a call.
    function _before() private returns (Ledger.Snapshot memory) {
        ICollaborationEngine.SubjectRecord memory b = _collaboration().subjectRecord(batchId);
        ICollaborationEngine.SubjectRecord memory pr = _collaboration().subjectRecord(product);
        _stateBefore = [b.state, pr.state];
        _reachedBefore = [b.reached, pr.reached];
        return _read();
    }

    /**
     * After a successful call: every own-state change is an edge of the graph; reached
     * masks only grow and hold the state and its prerequisites; the batch entered Destroyed
     * only with every unit accounted for; and, if the batch was halted, the call moved no
     * stock but `allowed` (of `q` from `party`). Returns what the call changed in the ledger.
     */
    function _after(
        Ledger.Snapshot memory before,
        Ledger.Move allowed,
        uint64 party,
        uint256 q
    ) private returns (Ledger.Delta memory d) {
        Ledger.Snapshot memory now_ = _read();
        d = Ledger.diff(before, now_);
        bytes32[2] memory subjects = [batchId, product];
        for (uint256 k = 0; k < 2; ++k) {
            ICollaborationEngine.SubjectRecord memory r = _collaboration().subjectRecord(subjects[k]);
            if (r.state != _stateBefore[k]) {
                if (!PharmaGraph.isEdge(_stateBefore[k], r.state, k == 1)) ++offGraphChanges;
                ++edgeCounts[(k << 8) | (uint256(_stateBefore[k]) << 3) | r.state];
                if (k == 0 && r.state == DESTROYED) {
                    ++disposals;
                    if (!_accountedFor(now_)) ++prematureDisposals;
                }
            }
            uint16 needed = uint16(1 << r.state) | PharmaGraph.prerequisites(r.state) | _reachedBefore[k] | 1;
            if (r.reached & needed != needed) ++reachedViolations;
        }
        if (!before.halted) return d;
        (Ledger.Move move, uint64 p, uint256 moved) = Ledger.classify(d);
        if (move == Ledger.Move.None) return d;
        if (move != allowed || p != party || moved != q) ++haltedLedgerChanges;
    }

    /// Every unit of the batch is dispensed, destroyed or lost: none held, in transit,
    /// quarantined or in a case.
    function _accountedFor(Ledger.Snapshot memory s) private view returns (bool) {
        Ledger.Totals memory t = Ledger.totals(s);
        return
            t.held == 0 &&
            t.inTransit == 0 &&
            s.quarantined == 0 &&
            s.suspended == 0 &&
            s.dispensed + s.destroyed + s.lost == quantity;
    }

    /// The custodians' custody (parties 2 to 6, the only ones that can hold stock) and the batch's counters.
    function _read() private view returns (Ledger.Snapshot memory) {
        return Ledger.read(batches, batchId, MAKER, HOSPITAL);
    }

    /// A unit action took exactly `e` (one unit of `party`'s stock, or nothing for a suspect
    /// report), and `party` had a unit available before.
    function _checkUnitTake(
        Ledger.Snapshot memory before,
        Ledger.Delta memory d,
        Ledger.Delta memory e,
        uint64 party
    ) private {
        bool takes = e.parties != 0 || e.lockParties != 0;
        if (!Ledger.eq(d, e) || (takes && Ledger.available(before, party) == 0)) ++foreignStockMoves;
    }

    /// An outflow took exactly `e`, `q` of `party`'s stock, which had `q` available before.
    function _checkOutflow(
        Ledger.Snapshot memory before,
        Ledger.Delta memory d,
        Ledger.Delta memory e,
        uint64 party,
        uint256 q
    ) private {
        if (!Ledger.eq(d, e) || Ledger.available(before, party) < q) ++outflowsBeyondAvailable;
    }

    function _checkCredit(Ledger.Delta memory d, Ledger.Delta memory e) private {
        if (!Ledger.eq(d, e)) ++misdirectedCredits;
    }

    /// A return or seizure of `q` of `party`'s stock succeeded: model, ledger, what is left.
    function _quarantine(
        Ledger.Snapshot memory before,
        uint64 party,
        uint256 q,
        uint256 remaining,
        Action action
    ) private {
        model[party].held = _dec(model[party].held, q);
        modelQuarantined += q;
        Stock storage s = model[party];
        if (remaining != s.held + s.inTransit + s.suspended) _mispredict(action);
        Ledger.Delta memory d = _after(before, Ledger.Move.ToQuarantine, party, q);
        Ledger.Delta memory e = Ledger.stockOf(party);
        e.held = -int256(q);
        e.quarantined = int256(q);
        _checkOutflow(before, d, e, party, q);
    }

    /// What restoring (or undoing) a unit that was `status` changes: `credited` gets it back.
    function _restoration(uint64 credited, ISupplyLedger.UnitStatus status) private pure returns (Ledger.Delta memory e) {
        if (status == ISupplyLedger.UnitStatus.Locked) return Ledger.lock(credited, -1);
        e = Ledger.stockOf(credited);
        e.held = 1;
        if (status == ISupplyLedger.UnitStatus.Dispensed) {
            e.dispensed = -1;
            e.batchDispensed = -1;
        } else if (status == ISupplyLedger.UnitStatus.Destroyed) {
            e.destroyed = -1;
        } else {
            e.lost = -1;
        }
    }

    /// What ending a case's quarantine changes: its stock leaves the reporter's suspended,
    /// destroyed or back to its held stock.
    function _caseDelta(Case storage k, bool destroy) private view returns (Ledger.Delta memory e) {
        if (k.quantity == 0) return e;
        int256 q = int256(uint256(k.quantity));
        e = Ledger.stockOf(k.reporter);
        e.suspended = -q;
        e.caseStock = -q;
        if (destroy) e.destroyed = q;
        else e.held = q;
    }

    function _none() private pure returns (Ledger.Delta memory e) {}

    /// The model's side of a case's stock leaving quarantine.
    function _releaseCase(Case storage k, bool destroy) private {
        Stock storage s = model[k.reporter];
        s.suspended = _dec(s.suspended, k.quantity);
        modelSuspended = _dec(modelSuspended, k.quantity);
        if (destroy) modelDestroyed += k.quantity;
        else s.held += k.quantity;
    }

    /// The model's side of a unit that was `status` coming back to `party`.
    function _credit(uint64 party, ISupplyLedger.UnitStatus status) private {
        Stock storage stock = model[party];
        if (status == ISupplyLedger.UnitStatus.Locked) {
            stock.locked = _dec(stock.locked, 1);
            return;
        }
        ++stock.held;
        if (status == ISupplyLedger.UnitStatus.Dispensed) {
            stock.dispensed = _dec(stock.dispensed, 1);
            modelDispensed = _dec(modelDispensed, 1);
        } else if (status == ISupplyLedger.UnitStatus.Destroyed) {
            modelDestroyed = _dec(modelDestroyed, 1);
        } else {
            modelLost = _dec(modelLost, 1);
        }
    }

    function _setUnit(uint256 index, ISupplyLedger.UnitStatus status, uint64 party) private {
        modelStatus[index] = status;
        modelParty[index] = party;
        modelAt[index] = block.timestamp;
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
        if (from != to && (!_person(c) || !allowed)) ++caseWrongActorMoves;
    }

    function _caseStatus(bytes32 id) private view returns (ISuspectProduct.CaseStatus) {
        return _suspects().suspectCase(id).status;
    }

    function _caseIdOf(uint256 no) private view returns (bytes32) {
        return keccak256(abi.encode(batchId, "suspect", uint32(no)));
    }

    function _record(Action action, bool success, bool expected, bool halted) private {
        if (success != expected) _mispredict(action);
        if (success) {
            ++successes[action];
            if (halted) ++haltedSuccesses[action];
        } else {
            ++refusals[action];
        }
    }

    function _mispredict(Action action) private {
        ++mispredictions;
        lastMisprediction = action;
    }

    /// On a successful state-changing call by `c`: devices and outsiders never; other parties only if `allowed`.
    function _authorityCheck(Caller memory c, bool allowed) private {
        if (!_person(c)) ++unauthorizedSuccesses;
        else if (!allowed) ++wrongPartySuccesses;
    }

    /**
     * Tries to receive, cancel or reject an open shipment: usually as the party allowed to
     * (the receiver, the sender, the receiver), one time in four as any caller ({_caller}).
     * A receive credits the receiver and is refused while halted; a cancel or reject
     * credits the sender, halted or not.
     */
    function _closeShipment(Action action, uint256 shipmentSeed, uint256 callerSeed) private {
        (bool found, uint256 i) = _pickShipment(shipmentSeed);
        if (!found) return;
        Open storage s = _shipments[i];
        uint64 allowed = action == Action.Cancel ? s.from : s.to;
        _closeShipmentAt(action, i, callerSeed % 4 == 0 ? _caller(callerSeed / 4) : _admin(allowed));
    }

    function _closeShipmentAt(Action action, uint256 i, Caller memory c) private {
        Open storage s = _shipments[i];
        bool receiving = action == Action.Receive;
        uint64 allowed = action == Action.Cancel ? s.from : s.to;
        bool expected = _trades(c) && s.open && c.party == allowed && (!receiving || !_haltedModel());
        bytes4 fn =
            receiving
                ? batches.receiveShipment.selector
                : (action == Action.Cancel ? batches.cancelShipment.selector : batches.rejectShipment.selector);
        Ledger.Snapshot memory before = _before();
        vm.prank(c.account);
        (bool ok, ) = address(batches).call(abi.encodeWithSelector(fn, batchId, s.id));
        _record(action, ok, expected, before.halted);
        if (!ok) return;
        if (receiving && before.halted) ++haltedTrades;
        _close(s, receiving ? s.to : s.from);
        if (receiving) {
            _after(before, Ledger.Move.None, 0, 0);
            return;
        }
        Ledger.Delta memory e = Ledger.stockOf(s.from);
        e.inTransit = -int256(uint256(s.quantity));
        e.held = int256(uint256(s.quantity));
        _checkCredit(_after(before, Ledger.Move.ShipmentReturned, s.from, s.quantity), e);
    }

    function _close(Open storage s, uint64 credited) private {
        if (!s.open) {
            _mispredict(Action.Receive);
            return;
        }
        s.open = false;
        --_openCount;
        openTotal -= s.quantity;
        model[s.from].inTransit = _dec(model[s.from].inTransit, s.quantity);
        model[credited].held += s.quantity;
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
        model[from].held -= q;
        model[from].inTransit += q;
        vm.prank(supplyAdmin(to));
        batches.receiveShipment(batchId, id);
        _close(_shipments[_shipments.length - 1], to);
    }

    // ==== PRIVATE: PREDICTIONS ====

    function _mayTransition(Caller memory c, uint256 k, uint8 to) private view returns (bool) {
        if (!_person(c) || to == RECALL || to == DESTROYED || to > DEREGISTERED) return false;
        if (!PharmaGraph.isEdge(modelState[k], to, k == 1)) return false;
        if ((PharmaGraph.prerequisites(to) & ~modelReached[k]) != 0) return false;
        return to == MARKETED ? _regulatorOnly(c) : _regulatorOrHolder(c);
    }

    /**
     * Who may record a point (IQualityEngine-observe): order, transport and storage only on
     * a batch, by a party linked to it (holding it, with it in transit or in a case), the
     * holder, a laboratory or the regulator; inspections by a laboratory or the regulator,
     * or a QA member or device of the holder or (on a batch) of a linked party; use reports
     * on a product by its holder or the regulator, on a batch by a pharmacy or hospital it
     * reached (linked, or having dispensed some).
     */
    function _mayObserve(Caller memory c, IQualityEngine.Point point, bool onProduct) private view returns (bool) {
        if (c.role == IConsortiumRegistry.Role.None) return false;
        IConsortiumRegistry.Domain domain = domainOf(c.party);
        bool inspector =
            domain == IConsortiumRegistry.Domain.Laboratory || domain == IConsortiumRegistry.Domain.Regulator;
        if (point == IQualityEngine.Point.Order || point == IQualityEngine.Point.Transport || point == IQualityEngine.Point.Storage) {
            return !onProduct && (c.party == MAKER || inspector || _linked(c.party));
        }
        if (point == IQualityEngine.Point.Inspection) {
            bool qaOrDevice = c.role == IConsortiumRegistry.Role.QA || c.role == IConsortiumRegistry.Role.Device;
            return inspector || (qaOrDevice && (c.party == MAKER || (!onProduct && _linked(c.party))));
        }
        if (onProduct) return c.party == MAKER || domain == IConsortiumRegistry.Domain.Regulator;
        return isDispenser(c.party) && (_linked(c.party) || model[c.party].dispensed > 0);
    }

    function _linked(uint64 party) private view returns (bool) {
        Stock storage s = model[party];
        return s.held > 0 || s.inTransit > 0 || s.suspended > 0;
    }

    /// The product's holder, a laboratory or the regulator: a critical result they declare stops.
    function _speaksForProduct(Caller memory c) private pure returns (bool) {
        IConsortiumRegistry.Domain domain = domainOf(c.party);
        return
            c.party == MAKER ||
            domain == IConsortiumRegistry.Domain.Laboratory ||
            domain == IConsortiumRegistry.Domain.Regulator;
    }

    /// Whether a critical result of `c` may stop its subject: `c` speaks for the product, or
    /// is a device that measured a value out of the limits (`outside`).
    function _mayStop(Caller memory c, bool outside) private pure returns (bool) {
        return _speaksForProduct(c) || (outside && c.role == IConsortiumRegistry.Role.Device);
    }

    /// The points the product's rules stop on ({CollaborationFixture-vaccineRules}).
    function _stopsOnCritical(IQualityEngine.Point point) private pure returns (bool) {
        return
            point == IQualityEngine.Point.Transport ||
            point == IQualityEngine.Point.Storage ||
            point == IQualityEngine.Point.Inspection;
    }

    function _regulatorOnly(Caller memory c) private pure returns (bool) {
        return c.party == REGULATOR;
    }

    function _regulatorOrHolder(Caller memory c) private pure returns (bool) {
        return c.party == REGULATOR || c.party == MAKER;
    }

    /// An admin, operator or QA member: who acts for a party (devices only observe).
    function _person(Caller memory c) private pure returns (bool) {
        return
            c.role == IConsortiumRegistry.Role.Admin ||
            c.role == IConsortiumRegistry.Role.Operator ||
            c.role == IConsortiumRegistry.Role.QA;
    }

    /// An admin or operator: who trades (ship, receive, dispense), seizes and restores.
    function _trades(Caller memory c) private pure returns (bool) {
        return c.role == IConsortiumRegistry.Role.Admin || c.role == IConsortiumRegistry.Role.Operator;
    }

    function _underRecall() private view returns (bool) {
        return modelRecalls > 0 && (modelState[0] == RECALL || modelState[0] == DESTROYED);
    }

    function _haltedModel() private view returns (bool) {
        return modelState[0] != MARKETED || modelState[1] != MARKETED;
    }

    function _available(uint64 party) private view returns (uint256) {
        Stock storage s = model[party];
        return s.held >= s.locked ? s.held - s.locked : 0;
    }

    function _outside(IQualityEngine.Point point, int16 t, uint16 h) private pure returns (bool) {
        if (point != IQualityEngine.Point.Storage && point != IQualityEngine.Point.Transport) return false;
        bool transport = point == IQualityEngine.Point.Transport;
        bool out = t != QualityLimits.NO_TEMPERATURE && (t < MIN_T || t > MAX_T);
        if (!transport && h != QualityLimits.NO_HUMIDITY && h > uint256(MAX_RH) * 100) out = true;
        return out;
    }

    function _shipmentsBy(uint64 from) private view returns (uint256 n) {
        for (uint256 i = 0; i < _shipments.length; ++i) if (_shipments[i].from == from) ++n;
    }

    // ==== PRIVATE: PICKS ====

    function _admin(uint64 party) private pure returns (Caller memory) {
        return Caller(supplyAdmin(party), party, IConsortiumRegistry.Role.Admin);
    }

    /// 16 callers, weighted toward those who can change states.
    function _caller(uint256 seed) private pure returns (Caller memory) {
        uint256 i = seed % 16;
        if (i < 3) return _admin(REGULATOR);
        if (i < 6) return _admin(MAKER);
        if (i == 6) return Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA);
        if (i == 7) return _admin(WHOLESALER);
        if (i == 8) return Caller(MAKER_DEVICE, MAKER, IConsortiumRegistry.Role.Device);
        if (i == 9) return Caller(WHOLESALER_DEVICE, WHOLESALER, IConsortiumRegistry.Role.Device);
        if (i == 10) return Caller(STRANGER, 0, IConsortiumRegistry.Role.None);
        if (i == 11) return _admin(NOTARY);
        if (i == 12) return _admin(LOGISTICS);
        if (i == 13) return _admin(PHARMACY);
        if (i == 14) return _admin(HOSPITAL);
        return _admin(LABORATORY);
    }

    /// Seed % 8 == 0: one not allowed to trade (an outsider, the wholesaler's device, the
    /// maker's QA, the laboratory, the regulator, the notary, by seed / 8 % 6); else the admin
    /// of a custodian ({_holderPick}, by seed / 8).
    function _custodyCaller(uint256 seed) private view returns (Caller memory) {
        if (seed % 8 != 0) return _admin(_holderPick(seed / 8));
        uint256 i = (seed / 8) % 6;
        if (i == 0) return Caller(STRANGER, 0, IConsortiumRegistry.Role.None);
        if (i == 1) return Caller(WHOLESALER_DEVICE, WHOLESALER, IConsortiumRegistry.Role.Device);
        if (i == 2) return Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA);
        if (i == 3) return _admin(LABORATORY);
        if (i == 4) return _admin(REGULATOR);
        return _admin(NOTARY);
    }

    /// Seed % 8 == 0: one that does not dispense (an outsider, the wholesaler, the maker's QA,
    /// the laboratory, by seed / 8 % 4); else the pharmacy (odd seeds) or the hospital.
    function _dispenser(uint256 seed) private pure returns (Caller memory) {
        if (seed % 8 == 0) {
            uint256 i = (seed / 8) % 4;
            if (i == 0) return Caller(STRANGER, 0, IConsortiumRegistry.Role.None);
            if (i == 1) return _admin(WHOLESALER);
            if (i == 2) return Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA);
            return _admin(LABORATORY);
        }
        return _admin(seed % 2 == 1 ? PHARMACY : HOSPITAL);
    }

    /// 11 observers: linked or unlinked custodians, devices, the holder and its QA, the
    /// regulator, the laboratory, an outsider.
    function _observer(uint256 seed) private pure returns (Caller memory) {
        uint256 i = seed % 11;
        if (i == 0) return _admin(LOGISTICS);
        if (i == 1) return Caller(WHOLESALER_DEVICE, WHOLESALER, IConsortiumRegistry.Role.Device);
        if (i == 2) return Caller(MAKER_DEVICE, MAKER, IConsortiumRegistry.Role.Device);
        if (i == 3) return _admin(WHOLESALER);
        if (i == 4) return _admin(PHARMACY);
        if (i == 5) return _admin(REGULATOR);
        if (i == 6) return Caller(STRANGER, 0, IConsortiumRegistry.Role.None);
        if (i == 7) return _admin(LABORATORY);
        if (i == 8) return _admin(HOSPITAL);
        if (i == 9) return _admin(MAKER);
        return Caller(MAKER_QA, MAKER, IConsortiumRegistry.Role.QA);
    }

    function _point(uint256 seed) private pure returns (IQualityEngine.Point point, bool onProduct) {
        uint256 i = seed % 16;
        if (i < 5) return (IQualityEngine.Point.Storage, false);
        if (i < 8) return (IQualityEngine.Point.Transport, false);
        if (i == 8) return (IQualityEngine.Point.Order, false);
        if (i == 9) return (IQualityEngine.Point.Storage, true);
        if (i < 12) return (IQualityEngine.Point.Inspection, false);
        if (i == 12) return (IQualityEngine.Point.Inspection, true);
        if (i == 13) return (IQualityEngine.Point.Adverse, false);
        if (i == 14) return (IQualityEngine.Point.Adverse, true);
        return (IQualityEngine.Point.Efficacy, true);
    }

    /// Seed % 4 == 0: all of `party`'s available stock; else (seed / 4) up to one past its
    /// held stock, locked units included (which cannot leave).
    function _quantity(uint256 seed, uint64 party) private view returns (uint256) {
        if (seed % 4 == 0) return _available(party);
        return _bound(seed / 4, 0, model[party].held + 1);
    }

    /// Mostly a custodian with stock; one pick in five any custodian (seed % 5 picks, seed / 5 chooses).
    function _holderPick(uint256 seed) private view returns (uint64) {
        if (seed % 5 == 0) return _custodians[(seed / 5) % 5];
        uint256 count = 0;
        for (uint256 i = 0; i < 5; ++i) if (model[_custodians[i]].held > 0) ++count;
        if (count == 0) return _custodians[(seed / 5) % 5];
        uint256 pick = (seed / 5) % count;
        for (uint256 i = 0; i < 5; ++i) {
            if (model[_custodians[i]].held == 0) continue;
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

    function _bit(ISupplyLedger.UnitStatus status) private pure returns (uint256) {
        return 1 << uint8(status);
    }

    /// Seed % 4 == 0: unit seed / 4 % 16, whatever its status; else mostly a unit whose
    /// modelled status is in `statuses` (a bitmask), if any.
    function _pickUnit(uint256 seed, uint256 statuses) private view returns (uint256) {
        uint256 any = (seed / 4) % UnitTree16.SIZE;
        if (seed % 4 == 0) return any;
        uint256 count = 0;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) if ((statuses >> uint8(modelStatus[i])) & 1 == 1) ++count;
        if (count == 0) return any;
        uint256 pick = (seed / 4) % count;
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            if ((statuses >> uint8(modelStatus[i])) & 1 == 0) continue;
            if (pick == 0) return i;
            --pick;
        }
        return any;
    }

    /// Seed % 16: 0 no temperature; 4 anywhere in −10…20 °C; else near the 2–8 °C range
    /// (1.5–8.5 °C). Readings far out stop the batch, so they are kept rare enough for a
    /// campaign to spend time trading as well as halted.
    function _temperature(uint256 seed) private pure returns (int16) {
        if (seed % 16 == 0) return QualityLimits.NO_TEMPERATURE;
        if (seed % 16 != 4) return int16(int256(_bound(seed >> 8, 150, 850)));
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
 * @notice Under any sequence of the {CollaborationHandler}'s actions: (a) every state change
 * follows the pharmaceutical graph and each subject's state and its prerequisites are in
 * its reached mask; (b) a halted batch moves no stock except into quarantine (returns,
 * seizures, reports into cases), out of it by a witnessed destruction or the regulator's
 * decision on a case, and back to a shipment's sender; what a party owes a recall is what
 * it holds, has in transit and has in cases; (c) Σ held + Σ in transit + dispensed +
 * destroyed + lost + quarantined + suspended == quantity, Σ custody.dispensed ==
 * batch.dispensed, every party's in transit is its open shipments and its suspended its
 * open cases' stock; (d) the batch is Destroyed only when every unit of it is accounted
 * for; (e) every unit action took one unit of the actor's own available stock, and no
 * party's locked exceeds its held; (f) outsiders and devices never change a state, open a
 * recall, seize, restore or destroy, and a declared critical result stops nothing unless
 * the holder, a laboratory or the regulator declared it; (g) suspect cases move only along
 * Quarantined → Investigating → (Cleared | Illegitimate → Closed), each step by a party
 * allowed to take it; and the contract agrees with the handler's model.
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

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), handler.actions());
    }

    /**
     * hardhat-config: invariant.runs = 32
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
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_haltedBatchMovesStockOnlyIntoQuarantine() public view {
        _assertEq(handler.haltedTrades(), 0, "ship/receive/dispense/undo/decommission/restore while halted");
        _assertEq(
            handler.haltedLedgerChanges(),
            0,
            "stock moved while halted other than into or out of quarantine or back to a sender"
        );
        // What a party owes a recall: what it holds, has in transit and has in suspect cases.
        ICollaborationEngine.SubjectRecord memory b = record(batchId);
        bool underRecall = b.recalls > 0 && (b.state == RECALL || b.state == DESTROYED);
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            (uint256 owed, bool overdue) = collaboration().outstanding(batchId, p);
            ISupplyLedger.Custody memory c = batches.custody(batchId, p);
            uint256 expected = underRecall ? uint256(c.held) + c.inTransit + c.suspended : 0;
            _assertEq(owed, expected, "outstanding");
            _assertEq(overdue, expected != 0 && block.timestamp > b.recallDeadline, "overdue");
        }
    }

    /**
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_quantityIsConserved() public view {
        Ledger.Snapshot memory s = Ledger.read(batches, batchId, LAST_PARTY);
        Ledger.Totals memory t = Ledger.totals(s);
        _assertEq(
            t.held + t.inTransit + s.dispensed + s.destroyed + s.lost + s.quarantined + s.suspended,
            QUANTITY,
            "held + in transit + dispensed + destroyed + lost + quarantined + suspended"
        );
        _assertEq(batches.getBatch(batchId).quantity, QUANTITY, "quantity");
        _assertEq(t.dispensed, s.dispensed, "sum of custody.dispensed vs batch.dispensed");
        // Open shipments, per sender.
        uint256[] memory open = new uint256[](LAST_PARTY + 1);
        uint256 inTransit = 0;
        for (uint256 i = 0; i < handler.shipmentCount(); ++i) {
            (bytes32 id, uint64 from, uint48 q, bool isOpen) = handler.shipmentAt(i);
            ISupplyLedger.Shipment memory sh = batches.getShipment(id);
            _assertEq(sh.status == ISupplyLedger.ShipmentStatus.InTransit, isOpen, "shipment open");
            _assertEq(sh.quantity, q, "shipment quantity");
            if (!isOpen) continue;
            open[from] += q;
            inTransit += q;
        }
        _assertEq(t.inTransit, inTransit, "sum of custody.inTransit vs open shipments");
        _assertEq(inTransit, handler.openTotal(), "in transit vs model");
        // Open cases' stock, per reporter.
        uint256[] memory cases = new uint256[](LAST_PARTY + 1);
        uint256 inCases = 0;
        for (uint256 i = 0; i < handler.caseCount(); ++i) {
            ISuspectProduct.SuspectCase memory k = suspects().suspectCase(handler.caseAt(i).id);
            if (!CaseGraph.holdsStock(k.status)) continue;
            cases[k.reporter] += k.quantity;
            inCases += k.quantity;
        }
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            _assertEq(s.custody[p].inTransit, open[p], "custody.inTransit vs the party's open shipments");
            _assertEq(s.custody[p].suspended, cases[p], "custody.suspended vs the party's open cases");
        }
        _assertEq(t.suspended, inCases, "sum of custody.suspended vs open cases' stock");
        _assertEq(s.suspended, inCases, "suspended (suspectCount) vs open cases' stock");
        _assertEq(s.suspended, handler.modelSuspended(), "suspended vs model");
        _assertEq(s.quarantined, handler.modelQuarantined(), "quarantined vs model");
        _assertEq(s.destroyed, handler.modelDestroyed(), "destroyed vs model");
        _assertEq(s.lost, handler.modelLost(), "lost vs model");
        _assertEq(s.dispensed, handler.modelDispensed(), "dispensed vs model");
    }

    /**
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_destroyedOnlyWhenEveryUnitIsAccountedFor() public view {
        _assertEq(handler.prematureDisposals(), 0, "entered Destroyed with stock unaccounted for");
        if (record(batchId).state != DESTROYED) return;
        Ledger.Snapshot memory s = Ledger.read(batches, batchId, LAST_PARTY);
        Ledger.Totals memory t = Ledger.totals(s);
        _assertEq(s.dispensed + s.destroyed + s.lost, QUANTITY, "dispensed + destroyed + lost");
        _assertEq(t.held, 0, "held");
        _assertEq(t.inTransit, 0, "in transit");
        _assertEq(s.quarantined, 0, "quarantined");
        _assertEq(s.suspended, 0, "suspended");
    }

    /**
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_unitActionsTakeTheActorsOwnStock() public view {
        _assertEq(handler.foreignStockMoves(), 0, "unit actions that took other than one unit of the actor's own stock");
        _assertEq(handler.outflowsBeyondAvailable(), 0, "outflows beyond the party's available stock");
        _assertEq(handler.misdirectedCredits(), 0, "stock put back or retired other than as named");
        uint256[] memory locks = new uint256[](LAST_PARTY + 1);
        uint256[] memory dispensed = new uint256[](LAST_PARTY + 1);
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (ISupplyLedger.UnitStatus status, uint64 party, ) = batches.unitRecord(batchId, i);
            if (status == ISupplyLedger.UnitStatus.Locked) ++locks[party];
            else if (status == ISupplyLedger.UnitStatus.Dispensed) ++dispensed[party];
        }
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            ISupplyLedger.Custody memory c = batches.custody(batchId, p);
            _assertTrue(c.locked <= c.held, "locked <= held");
            _assertEq(c.locked, locks[p], "custody.locked vs the party's locked units");
            _assertEq(c.dispensed, dispensed[p], "custody.dispensed vs the party's dispensed units");
        }
    }

    /**
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_suspectCasesFollowTheGraph() public view {
        _assertEq(handler.caseOffGraphChanges(), 0, "case status changes off the graph");
        _assertEq(handler.caseWrongActorMoves(), 0, "case changes by an outsider, a device or a party not allowed");
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
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_onlyAuthorisedActorsChangeStates() public view {
        _assertEq(handler.unauthorizedSuccesses(), 0, "successes by an outsider or a device");
        _assertEq(handler.wrongPartySuccesses(), 0, "successes by a party the state does not allow");
        _assertEq(handler.declaredStops(), 0, "stops by a critical result another party merely declared or typed");
    }

    /**
     * hardhat-config: invariant.runs = 32
     * hardhat-config: invariant.depth = 60
     */
    function invariant_registryMatchesModel() public view {
        _assertEq(handler.mispredictions(), 0, "calls whose outcome the model did not predict");
        for (uint64 p = 0; p <= LAST_PARTY; ++p) {
            ISupplyLedger.Custody memory c = batches.custody(batchId, p);
            (uint256 held, uint256 inTransit, uint256 dispensed, uint256 suspended, uint256 locked) = handler.model(p);
            _assertEq(c.held, held, "held");
            _assertEq(c.inTransit, inTransit, "in transit");
            _assertEq(c.dispensed, dispensed, "dispensed");
            _assertEq(c.suspended, suspended, "suspended");
            _assertEq(c.locked, locked, "locked");
        }
        for (uint256 i = 0; i < UnitTree16.SIZE; ++i) {
            (ISupplyLedger.UnitStatus status, uint64 party, uint40 at) = batches.unitRecord(batchId, i);
            _assertEq(uint8(status), uint8(handler.modelStatus(i)), "unit status");
            _assertEq(party, handler.modelParty(i), "unit party");
            _assertEq(at, handler.modelAt(i), "unit time");
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
