// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Errors} from "@openzeppelin/contracts/utils/Errors.sol";

import {ConsortiumRegistry} from "../../contracts/identity/ConsortiumRegistry.sol";
import {IConsortiumRegistry} from "../../contracts/interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../../contracts/interfaces/IMembershipMirror.sol";
import {MembershipMirrorProbe} from "../../contracts/mocks/MembershipMirrorProbe.sol";
import {VoterCountsMirrorProbe} from "../../contracts/mocks/VoterCountsMirrorProbe.sol";
import {QualityEngine} from "../../contracts/quality/QualityEngine.sol";
import {TestBase} from "./utils/Vm.sol";

// ==== PARTIES ====

uint64 constant M_REGULATOR = 1;
uint64 constant M_MAKER = 2;
uint64 constant M_WHOLESALER = 3;
uint64 constant M_LOGISTICS = 4;
uint64 constant M_PHARMACY = 5;
uint64 constant M_HOSPITAL = 6;
uint64 constant M_FOUNDERS = 6;

// Stands in for the consortium governor (an account, not a contract, in these tests).
address constant M_GOVERNOR = address(0x7000);
// Party 2's operator, enrolled before any mirror was attached.
address constant M_EARLY_OPERATOR = address(0x7002);

/// Founder `partyId`'s primary admin.
function mirrorAdmin(uint64 partyId) pure returns (address) {
    return address(uint160(0x3000 + uint256(partyId)));
}

/**
 * @title MirrorFixture
 * @notice A consortium registry behind its proxy with six founders (1 regulator, 2
 * manufacturer, 3 wholesaler, 4 logistics, 5 pharmacy, 6 hospital; voters 1, 2, 3, 6),
 * each non-regulator holding licences that expire between 15 and 60 days after T0;
 * party 2's admin enrols an operator; then three {MembershipMirrorProbe}s: `early`
 * attached by the bootstrapper (the founders and their primary admins are pushed to
 * it), `late` attached by the governor after it is bound (it starts empty), and
 * `detached`, never attached (every check falls back to the registry).
 */
abstract contract MirrorFixture is TestBase {
    uint256 internal constant T0 = 1_750_000_000;

    ConsortiumRegistry internal registry;
    MembershipMirrorProbe internal early;
    MembershipMirrorProbe internal late;
    MembershipMirrorProbe internal detached;

    function _deploy() internal {
        vm.warp(T0);
        IConsortiumRegistry.Domain[M_FOUNDERS] memory domains = [
            IConsortiumRegistry.Domain.Regulator,
            IConsortiumRegistry.Domain.Manufacturer,
            IConsortiumRegistry.Domain.Wholesaler,
            IConsortiumRegistry.Domain.Logistics,
            IConsortiumRegistry.Domain.Pharmacy,
            IConsortiumRegistry.Domain.Hospital
        ];
        IConsortiumRegistry.LicenceKind[M_FOUNDERS] memory kinds = [
            IConsortiumRegistry.LicenceKind.None,
            IConsortiumRegistry.LicenceKind.Manufacturing,
            IConsortiumRegistry.LicenceKind.Distribution,
            IConsortiumRegistry.LicenceKind.GoodSupplyPractice,
            IConsortiumRegistry.LicenceKind.Distribution,
            IConsortiumRegistry.LicenceKind.MedicalInstitution
        ];
        uint48[M_FOUNDERS] memory expiries = [uint48(0), 20 days, 30 days, 15 days, 60 days, 25 days];
        IConsortiumRegistry.PartyAdmission[] memory founders = new IConsortiumRegistry.PartyAdmission[](M_FOUNDERS);
        for (uint256 i = 0; i < M_FOUNDERS; ++i) {
            uint64 partyId = uint64(i + 1);
            IConsortiumRegistry.LicenceGrant[] memory licences = new IConsortiumRegistry.LicenceGrant[](i == 0 ? 0 : 1);
            if (i != 0) {
                licences[0] = IConsortiumRegistry.LicenceGrant({
                    kind: kinds[i],
                    documentHash: keccak256(abi.encode(partyId)),
                    issuer: 0,
                    expiresAt: uint48(T0) + expiries[i]
                });
            }
            founders[i] = IConsortiumRegistry.PartyAdmission({
                name: "Founder",
                domain: domains[i],
                admin: mirrorAdmin(partyId),
                voter: partyId <= M_WHOLESALER || partyId == M_HOSPITAL,
                licences: licences
            });
        }
        ConsortiumRegistry registryImpl = new ConsortiumRegistry();
        registry = ConsortiumRegistry(
            address(new ERC1967Proxy(address(registryImpl), abi.encodeCall(ConsortiumRegistry.initialize, (founders))))
        );
        vm.prank(mirrorAdmin(M_MAKER));
        registry.addMember(M_MAKER, M_EARLY_OPERATOR, IConsortiumRegistry.Role.Operator);

        early = new MembershipMirrorProbe(registry);
        late = new MembershipMirrorProbe(registry);
        detached = new MembershipMirrorProbe(registry);
        registry.attachMirror(address(early));
        registry.setGovernor(M_GOVERNOR);
        vm.prank(M_GOVERNOR);
        registry.attachMirror(address(late));
    }

    // ==== COMPARISONS ====

    /// Whether `mirror` holds exactly the registry's record of `account`.
    function _sameMember(MembershipMirrorProbe mirror, address account) internal view returns (bool) {
        return
            keccak256(abi.encode(mirror.mirroredMember(account))) == keccak256(abi.encode(registry.getMember(account)));
    }

    /// Whether `mirror` holds exactly what the registry's checks read of `partyId`.
    function _sameGate(MembershipMirrorProbe mirror, uint64 partyId) internal view returns (bool) {
        IConsortiumRegistry.Party memory p = registry.getParty(partyId);
        IMembershipMirror.PartyGate memory g = mirror.mirroredParty(partyId);
        return
            g.domain == p.domain &&
            g.status == p.status &&
            g.revokedLicences == p.revokedLicences &&
            g.licencesValidUntil == p.licencesValidUntil;
    }

    function _holdsNoMember(MembershipMirrorProbe mirror, address account) internal view returns (bool) {
        IConsortiumRegistry.Member memory m = mirror.mirroredMember(account);
        return
            m.partyId == 0 &&
            m.role == IConsortiumRegistry.Role.None &&
            m.status == IConsortiumRegistry.MemberStatus.None;
    }

    function _holdsNoGate(MembershipMirrorProbe mirror, uint64 partyId) internal view returns (bool) {
        IMembershipMirror.PartyGate memory g = mirror.mirroredParty(partyId);
        return
            g.domain == IConsortiumRegistry.Domain.None &&
            g.status == IConsortiumRegistry.PartyStatus.None &&
            g.revokedLicences == 0 &&
            g.licencesValidUntil == 0;
    }

    /**
     * Checks `mirror.requireMember` against the registry: it succeeds exactly when
     * `isAuthorized` allows, with the same party (and that party's domain); and it
     * returns or reverts with exactly the bytes the registry's `requireMember` does.
     */
    function _checkMember(MembershipMirrorProbe mirror, address account, uint256 roles, uint256 domains) internal view {
        (bool allowed, uint64 partyId) = registry.isAuthorized(account, roles, domains);
        bytes memory call = abi.encodeCall(IConsortiumRegistry.requireMember, (account, roles, domains));
        (bool registryOk, bytes memory registryData) = address(registry).staticcall(call);
        (bool ok, bytes memory data) = address(mirror).staticcall(call);
        _assertEq(registryOk, allowed, "registry.requireMember vs isAuthorized");
        _assertEq(ok, allowed, "mirror.requireMember vs isAuthorized");
        _assertTrue(
            keccak256(data) == keccak256(registryData),
            "mirror answers (or reverts with) the registry's bytes"
        );
        if (ok) {
            (uint64 answeredParty, IConsortiumRegistry.Domain domain) = abi.decode(
                data,
                (uint64, IConsortiumRegistry.Domain)
            );
            _assertEq(answeredParty, partyId, "party");
            _assertEq(uint8(domain), uint8(registry.getParty(partyId).domain), "domain");
        }
    }

    /// Checks `mirror.requireParty` against the registry's, byte for byte.
    function _checkParty(MembershipMirrorProbe mirror, uint64 partyId, uint256 domains) internal view {
        bytes memory call = abi.encodeCall(IConsortiumRegistry.requireParty, (partyId, domains));
        (bool registryOk, bytes memory registryData) = address(registry).staticcall(call);
        (bool ok, bytes memory data) = address(mirror).staticcall(call);
        _assertEq(ok, registryOk, "mirror.requireParty succeeds as the registry's");
        _assertTrue(
            keccak256(data) == keccak256(registryData),
            "mirror answers (or reverts with) the registry's bytes"
        );
        bool expected = partyId != 0 && partyId <= registry.partyCount() && registry.isPartyActive(partyId);
        if (expected) expected = (domains >> uint8(registry.getParty(partyId).domain)) & 1 == 1;
        _assertEq(ok, expected, "requireParty vs isPartyActive and the domain mask");
    }
}

/**
 * @title MembershipMirrorTest
 * @notice Unit and fuzz tests of the mirror against the registry.
 */
contract MembershipMirrorTest is MirrorFixture {
    uint256 private constant _ANY = type(uint256).max;

    function setUp() public {
        _deploy();
    }

    function test_attachMirror_bootstrapPushesFoundersAndPrimaryAdmins() public view {
        for (uint64 p = 1; p <= M_FOUNDERS; ++p) {
            _assertTrue(_sameGate(early, p), "early: founder gate");
            _assertTrue(_sameMember(early, mirrorAdmin(p)), "early: primary admin");
            _assertTrue(_holdsNoGate(late, p), "late: starts empty");
            _assertTrue(_holdsNoMember(late, mirrorAdmin(p)), "late: starts empty");
        }
        // Enrolled before the attachment and not a primary admin: not pushed.
        _assertTrue(_holdsNoMember(early, M_EARLY_OPERATOR), "early operator not pushed");
        address[] memory attached = registry.mirrors();
        _assertEq(attached.length, 2, "mirrors");
        _assertEq(attached[0], address(early), "first");
        _assertEq(attached[1], address(late), "second");
    }

    function test_mirrorMember_revertsWhenNotTheRegistry() public {
        IConsortiumRegistry.Member memory m = IConsortiumRegistry.Member({
            partyId: M_MAKER,
            role: IConsortiumRegistry.Role.Admin,
            status: IConsortiumRegistry.MemberStatus.Active
        });
        vm.expectRevert(abi.encodeWithSelector(IMembershipMirror.MirrorOnlyRegistry.selector, M_GOVERNOR));
        vm.prank(M_GOVERNOR);
        early.mirrorMember(address(0xBEEF), m);
    }

    function test_mirrorParty_revertsWhenNotTheRegistry() public {
        IMembershipMirror.PartyGate memory g = IMembershipMirror.PartyGate({
            domain: IConsortiumRegistry.Domain.Regulator,
            status: IConsortiumRegistry.PartyStatus.Active,
            revokedLicences: 0,
            licencesValidUntil: type(uint48).max
        });
        vm.expectRevert(abi.encodeWithSelector(IMembershipMirror.MirrorOnlyRegistry.selector, address(this)));
        early.mirrorParty(M_MAKER, g);
    }

    function test_syncMirror_makesTheLateMirrorAnswerFromItsRecords() public {
        uint64[] memory parties = new uint64[](1);
        parties[0] = M_MAKER;
        address[] memory accounts = new address[](1);
        accounts[0] = M_EARLY_OPERATOR;
        registry.syncMirror(address(late), parties, accounts);
        _assertTrue(_sameGate(late, M_MAKER), "gate");
        _assertTrue(_sameMember(late, M_EARLY_OPERATOR), "member");
        uint256 mirrored = late.measureMember(M_EARLY_OPERATOR, _ANY, _ANY);
        uint256 fallback_ = detached.measureMember(M_EARLY_OPERATOR, _ANY, _ANY);
        _assertTrue(mirrored < fallback_, "the mirrored check is cheaper than the fallback");
    }

    /// At any time, with any masks, every founder's admin and the early operator are
    /// checked by each mirror exactly as by the registry (licences expire as time passes).
    function testFuzz_requireMember_matchesRegistryAtAnyTime(uint256 elapsed, uint256 roles, uint256 domains) public {
        vm.warp(T0 + _bound(elapsed, 0, 90 days));
        for (uint64 p = 1; p <= M_FOUNDERS; ++p) {
            _checkMember(early, mirrorAdmin(p), roles, domains);
            _checkMember(late, mirrorAdmin(p), roles, domains);
            _checkMember(detached, mirrorAdmin(p), roles, domains);
        }
        _checkMember(early, M_EARLY_OPERATOR, roles, domains);
        _checkMember(early, address(0xBEEF), roles, domains);
    }

    function testFuzz_requireParty_matchesRegistryAtAnyTime(uint256 elapsed, uint256 domains, uint64 partyId) public {
        vm.warp(T0 + _bound(elapsed, 0, 90 days));
        partyId = uint64(_bound(partyId, 0, M_FOUNDERS + 1));
        _checkParty(early, partyId, domains);
        _checkParty(late, partyId, domains);
        _checkParty(detached, partyId, domains);
    }

    /// A licence expiring is no push: the mirror refuses from the expiry second on, as the registry does.
    function test_requireMember_licenceExpiryWithoutPush() public {
        uint48 expiry = uint48(T0) + 15 days; // the logistics party's licence
        vm.warp(expiry - 1);
        early.requireMember(mirrorAdmin(M_LOGISTICS), _ANY, _ANY);
        vm.warp(expiry);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryLicenceExpired.selector, M_LOGISTICS, expiry)
        );
        early.requireMember(mirrorAdmin(M_LOGISTICS), _ANY, _ANY);
    }

    // ==== detachMirror and best-effort pushes ====

    function test_detachMirror_stopsPushesToIt() public {
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.MirrorDetached(address(late), M_GOVERNOR);
        vm.prank(M_GOVERNOR);
        registry.detachMirror(address(late));
        address[] memory attached = registry.mirrors();
        _assertEq(attached.length, 1, "one mirror left");
        _assertEq(attached[0], address(early), "early stays");
        vm.prank(mirrorAdmin(M_REGULATOR));
        registry.suspendParty(M_WHOLESALER);
        _assertTrue(_sameGate(early, M_WHOLESALER), "early follows");
        _assertTrue(_holdsNoGate(late, M_WHOLESALER), "late got nothing");
    }

    /// Detaching a mirror that is not the last moves the last one into its place; pushes
    /// reach every mirror still attached, the moved one included, and none reach the detached.
    function test_detachMirror_movesTheLastIntoTheGap() public {
        MembershipMirrorProbe third = new MembershipMirrorProbe(registry);
        vm.prank(M_GOVERNOR);
        registry.attachMirror(address(third));
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.MirrorDetached(address(early), M_GOVERNOR);
        vm.prank(M_GOVERNOR);
        registry.detachMirror(address(early));
        address[] memory attached = registry.mirrors();
        _assertEq(attached.length, 2, "two mirrors left");
        _assertEq(attached[0], address(third), "the last took the first place");
        _assertEq(attached[1], address(late), "the middle one stays");
        vm.prank(mirrorAdmin(M_REGULATOR));
        registry.suspendParty(M_WHOLESALER);
        _assertTrue(_sameGate(third, M_WHOLESALER), "the moved mirror follows");
        _assertTrue(_sameGate(late, M_WHOLESALER), "late follows");
        _assertEq(
            uint8(early.mirroredParty(M_WHOLESALER).status),
            uint8(IConsortiumRegistry.PartyStatus.Active),
            "the detached mirror keeps the old gate"
        );
        // Detaching the last one now just shortens the list.
        vm.prank(M_GOVERNOR);
        registry.detachMirror(address(late));
        attached = registry.mirrors();
        _assertEq(attached.length, 1, "one mirror left");
        _assertEq(attached[0], address(third), "the moved one");
    }

    /// A removal of an active voter that would leave the active voters short of the threshold
    /// (voters 1, 2, 3, 6; the regulator suspended party 3 alone) is refused, and nothing is
    /// pushed: the mirrors still answer as the registry does.
    function test_setPartyStatus_refusedForTheThresholdPushesNothing() public {
        vm.prank(mirrorAdmin(M_REGULATOR));
        registry.suspendParty(M_WHOLESALER); // A = 3, R = 1, n = 4, threshold 3
        vm.prank(M_GOVERNOR);
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryThresholdUnreachable.selector, M_MAKER, 2, 3)
        );
        registry.setPartyStatus(M_MAKER, IConsortiumRegistry.PartyStatus.Suspended);
        _assertTrue(_sameGate(early, M_MAKER), "early unchanged, as the registry");
        _assertEq(
            uint8(early.mirroredParty(M_MAKER).status),
            uint8(IConsortiumRegistry.PartyStatus.Active),
            "still active"
        );
        _assertTrue(_holdsNoGate(late, M_MAKER), "nothing pushed to late");
        _checkParty(early, M_MAKER, _ANY);
        _checkMember(early, M_EARLY_OPERATOR, _ANY, _ANY);
    }

    function test_detachMirror_revertsWhenNotTheGovernorOrUnknown() public {
        vm.prank(mirrorAdmin(M_REGULATOR));
        vm.expectRevert(
            abi.encodeWithSelector(IConsortiumRegistry.RegistryOnlyGovernor.selector, mirrorAdmin(M_REGULATOR))
        );
        registry.detachMirror(address(late));
        vm.prank(M_GOVERNOR);
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryUnknownMirror.selector, address(detached)));
        registry.detachMirror(address(detached));
    }

    /// A mirror that reverts on every push (an engine code object: its registry() is this
    /// registry, it has no mirror functions) does not stop the regulator, nor the other mirrors.
    function test_push_failingMirrorLeavesTheChangeStanding() public {
        QualityEngine hostile = new QualityEngine(registry);
        vm.prank(M_GOVERNOR);
        registry.attachMirror(address(hostile));
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.MirrorPushFailed(
            address(hostile),
            IMembershipMirror.mirrorParty.selector,
            bytes32(uint256(M_WHOLESALER))
        );
        vm.prank(mirrorAdmin(M_REGULATOR));
        registry.suspendParty(M_WHOLESALER);
        _assertEq(
            uint8(registry.getParty(M_WHOLESALER).status),
            uint8(IConsortiumRegistry.PartyStatus.Suspended),
            "suspended"
        );
        _assertTrue(_sameGate(early, M_WHOLESALER), "early follows");
        _assertTrue(_sameGate(late, M_WHOLESALER), "late follows");
        vm.expectEmit(address(registry));
        emit IConsortiumRegistry.MirrorPushFailed(
            address(hostile),
            IMembershipMirror.mirrorMember.selector,
            bytes32(uint256(uint160(address(0xBEEF))))
        );
        vm.prank(mirrorAdmin(M_MAKER));
        registry.addMember(M_MAKER, address(0xBEEF), IConsortiumRegistry.Role.QA);
        _assertTrue(_sameMember(early, address(0xBEEF)), "early holds the new member");
        // A sync must be taken: it is strict.
        uint64[] memory parties = new uint64[](1);
        parties[0] = M_MAKER;
        _expectRevertFailedCall();
        registry.syncMirror(address(hostile), parties, new address[](0));
    }

    function test_push_revertsWhenTheCallerLeavesLessThanTheAllowance() public {
        uint256 allowance = 200_000;
        uint256 needed = (allowance * 64) / 63 + 10_000; // 213,174
        vm.prank(mirrorAdmin(M_REGULATOR));
        vm.expectRevert(abi.encodeWithSelector(IConsortiumRegistry.RegistryInsufficientGas.selector, needed));
        registry.suspendParty{gas: 150_000}(M_WHOLESALER);
        _assertEq(
            uint8(registry.getParty(M_WHOLESALER).status),
            uint8(IConsortiumRegistry.PartyStatus.Active),
            "unchanged"
        );
    }

    /// A mirror the registry calls back during a push reads the registry's final counts:
    /// suspendParty writes its own (a voter the regulator suspends alone stays in n) before
    /// it pushes, and so do the governor's status changes.
    function test_suspendParty_pushesOnceTheCountsAreWritten() public {
        VoterCountsMirrorProbe counts = new VoterCountsMirrorProbe(registry);
        vm.prank(M_GOVERNOR);
        registry.attachMirror(address(counts));
        // Voters 1, 2, 3, 6: the regulator suspends party 3 alone (active 3, suspended 1, by the regulator 1, n 4).
        vm.expectEmit(address(counts));
        emit VoterCountsMirrorProbe.CountsSeen(
            M_WHOLESALER,
            IConsortiumRegistry.PartyStatus.Suspended,
            3,
            1,
            1,
            4,
            true
        );
        vm.prank(mirrorAdmin(M_REGULATOR));
        registry.suspendParty(M_WHOLESALER);
        // The governor reinstates it, then suspends party 6: governance's suspension leaves n.
        vm.expectEmit(address(counts));
        emit VoterCountsMirrorProbe.CountsSeen(M_WHOLESALER, IConsortiumRegistry.PartyStatus.Active, 4, 0, 0, 4, true);
        vm.prank(M_GOVERNOR);
        registry.setPartyStatus(M_WHOLESALER, IConsortiumRegistry.PartyStatus.Active);
        vm.expectEmit(address(counts));
        emit VoterCountsMirrorProbe.CountsSeen(
            M_HOSPITAL,
            IConsortiumRegistry.PartyStatus.Suspended,
            3,
            1,
            0,
            3,
            false
        );
        vm.prank(M_GOVERNOR);
        registry.suspendParty(M_HOSPITAL);
        _assertEq(
            uint8(counts.mirroredParty(M_HOSPITAL).status),
            uint8(IConsortiumRegistry.PartyStatus.Suspended),
            "the probe holds the push"
        );
    }

    function _expectRevertFailedCall() private {
        vm.expectRevert(abi.encodeWithSelector(Errors.FailedCall.selector));
    }

    /// A short scripted campaign through the handler: every action can succeed, so the
    /// invariant campaigns below are not vacuous.
    function test_handler_everyActionSucceeds() public {
        MirrorHandler handler = new MirrorHandler(registry, early, late);
        // Party seeds: 2 → party 3, 3 → 4, 4 → 5, 7 → 2 (1 + seed % 6). Caller seed 1: an active admin.
        handler.addMember(7, 1, 1); // party 2 enrols an operator (account #8)
        handler.addMember(4, 1, 2); // party 5 enrols a QA member (account #9)
        handler.rotateMember(7, 6, 1); // party 2 rotates the early operator (account #7)
        handler.removeMember(4, 8, 1); // party 5 removes its QA member
        handler.suspend(3, 1); // the regulator's admin suspends party 4
        handler.setStatus(3, 0); // the governor reinstates it
        handler.suspend(4, 0); // the governor suspends party 5
        handler.setStatus(4, 2); // and revokes it
        handler.grantLicence(7, 3, 100 days, 1); // the regulator licenses party 2 (GSP)
        handler.revokeLicence(7, 3, 0); // the governor revokes that licence
        handler.admit(5); // a manufacturer with a Distribution licence
        handler.sync(1, 2, 0); // party 3 and the regulator's admin, to the late mirror
        handler.setVoter(3, 1); // party 4 joins the voters
        handler.pickMasks(7, 1023);
        handler.wait(1 days);
        bytes4[12] memory actions = [
            handler.addMember.selector,
            handler.removeMember.selector,
            handler.rotateMember.selector,
            handler.suspend.selector,
            handler.setStatus.selector,
            handler.grantLicence.selector,
            handler.revokeLicence.selector,
            handler.admit.selector,
            handler.sync.selector,
            handler.setVoter.selector,
            handler.pickMasks.selector,
            handler.wait.selector
        ];
        for (uint256 i = 0; i < actions.length; ++i) _assertTrue(handler.successes(actions[i]) > 0, "action succeeded");
    }
}

/**
 * @title MirrorHandler
 * @notice Drives random enrolments, removals, rotations, suspensions (by the regulator
 * or the governor), reinstatements, revocations, licence grants and revocations,
 * admissions, voter changes, syncs and the passing of time. Calls are made as callers
 * who can usually succeed (an active admin of the party, a regulator's admin or
 * operator, the governor), with a share of wrong callers. It does not predict the
 * registry's answers: it records, from the calls that succeeded, which records each
 * attached mirror must hold (those pushed to it since it was attached), so that the
 * invariants can say both "what was pushed is the registry's record" and "nothing
 * else was pushed".
 */
contract MirrorHandler is TestBase {
    uint64 private constant _MAX_PARTIES = 10;

    ConsortiumRegistry public immutable registry;
    MembershipMirrorProbe public immutable early;
    MembershipMirrorProbe public immutable late;

    address[] private _accounts;
    mapping(address account => bool) private _known;
    uint256 private _nextAccount;

    /// Which records each mirror must hold: pushed to it since it was attached.
    mapping(address mirror => mapping(address account => bool)) public holdsMember;
    mapping(address mirror => mapping(uint64 partyId => bool)) public holdsParty;

    /// The masks the invariants add to their fixed ones.
    uint256 public roleMask = type(uint256).max;
    uint256 public domainMask = type(uint256).max;

    /// Successful calls per action, to see that a campaign reaches every path.
    mapping(bytes4 action => uint256) public successes;

    constructor(ConsortiumRegistry registry_, MembershipMirrorProbe early_, MembershipMirrorProbe late_) {
        registry = registry_;
        early = early_;
        late = late_;
        for (uint64 p = 1; p <= registry_.partyCount(); ++p) {
            _learn(mirrorAdmin(p));
            // The bootstrap attachment pushed every founder and its primary admin to `early`.
            holdsParty[address(early_)][p] = true;
            holdsMember[address(early_)][mirrorAdmin(p)] = true;
        }
        _learn(M_EARLY_OPERATOR);
    }

    // ==== ACTIONS ====

    function addMember(uint256 partySeed, uint256 callerSeed, uint256 roleSeed) external {
        uint64 p = _party(partySeed);
        address account = _freshAccount();
        IConsortiumRegistry.Role role = IConsortiumRegistry.Role(1 + (roleSeed % 4));
        vm.prank(_partyAdmin(p, callerSeed));
        try registry.addMember(p, account, role) {
            _pushedMember(account);
            _learn(account);
            ++successes[this.addMember.selector];
        } catch {}
    }

    function removeMember(uint256 partySeed, uint256 accountSeed, uint256 callerSeed) external {
        uint64 p = _party(partySeed);
        address account = _account(accountSeed);
        vm.prank(_partyAdmin(p, callerSeed));
        try registry.removeMember(p, account) {
            _pushedMember(account);
            ++successes[this.removeMember.selector];
        } catch {}
    }

    function rotateMember(uint256 partySeed, uint256 accountSeed, uint256 callerSeed) external {
        uint64 p = _party(partySeed);
        address previous = _account(accountSeed);
        address account = _freshAccount();
        vm.prank(_partyAdmin(p, callerSeed));
        try registry.rotateMember(p, previous, account) {
            _pushedMember(previous);
            _pushedMember(account);
            _learn(account);
            ++successes[this.rotateMember.selector];
        } catch {}
    }

    /// Suspends as the governor (one in three) or as a regulator's admin or operator.
    function suspend(uint256 partySeed, uint256 callerSeed) external {
        uint64 p = _party(partySeed);
        vm.prank(callerSeed % 3 == 0 ? M_GOVERNOR : _regulatorActor(callerSeed / 3));
        try registry.suspendParty(p) {
            _pushedParty(p);
            ++successes[this.suspend.selector];
        } catch {}
    }

    /// The governor's direct status change: reinstatement or suspension mostly, revocation one time in four.
    function setStatus(uint256 partySeed, uint256 statusSeed) external {
        uint64 p = _party(partySeed);
        uint256 pick = statusSeed % 4;
        IConsortiumRegistry.PartyStatus status =
            pick == 2
                ? IConsortiumRegistry.PartyStatus.Revoked
                : (pick == 1 ? IConsortiumRegistry.PartyStatus.Suspended : IConsortiumRegistry.PartyStatus.Active);
        vm.prank(M_GOVERNOR);
        try registry.setPartyStatus(p, status) {
            _pushedParty(p);
            ++successes[this.setStatus.selector];
        } catch {}
    }

    function grantLicence(uint256 partySeed, uint256 kindSeed, uint256 expirySeed, uint256 callerSeed) external {
        uint64 p = _party(partySeed);
        IConsortiumRegistry.LicenceGrant memory grant = IConsortiumRegistry.LicenceGrant({
            kind: _kind(kindSeed),
            documentHash: keccak256(abi.encode(p, kindSeed)),
            issuer: 0,
            expiresAt: uint48(block.timestamp + _bound(expirySeed, 1, 120 days))
        });
        vm.prank(callerSeed % 2 == 0 ? M_GOVERNOR : _regulatorActor(callerSeed / 2));
        try registry.grantLicence(p, grant) {
            _pushedParty(p);
            ++successes[this.grantLicence.selector];
        } catch {}
    }

    function revokeLicence(uint256 partySeed, uint256 kindSeed, uint256 callerSeed) external {
        uint64 p = _party(partySeed);
        vm.prank(callerSeed % 2 == 0 ? M_GOVERNOR : _regulatorActor(callerSeed / 2));
        try registry.revokeLicence(p, _kind(kindSeed)) {
            _pushedParty(p);
            ++successes[this.revokeLicence.selector];
        } catch {}
    }

    /// The governor admits a party (up to ten in all), with one licence or none.
    function admit(uint256 seed) external {
        if (registry.partyCount() >= _MAX_PARTIES) return;
        address admin = _freshAccount();
        IConsortiumRegistry.LicenceGrant[] memory licences = new IConsortiumRegistry.LicenceGrant[](seed % 2);
        if (licences.length == 1) {
            licences[0] = IConsortiumRegistry.LicenceGrant({
                kind: _kind(seed / 2),
                documentHash: keccak256(abi.encode(seed)),
                issuer: 0,
                expiresAt: uint48(block.timestamp + 1 days + (seed % 60 days))
            });
        }
        IConsortiumRegistry.PartyAdmission memory admission = IConsortiumRegistry.PartyAdmission({
            name: "Newcomer",
            domain: IConsortiumRegistry.Domain(1 + ((seed / 7) % 9)),
            admin: admin,
            voter: false,
            licences: licences
        });
        vm.prank(M_GOVERNOR);
        try registry.admitParty(admission) returns (uint64 partyId) {
            _pushedMember(admin);
            _pushedParty(partyId);
            _learn(admin);
            ++successes[this.admit.selector];
        } catch {}
    }

    /// Anyone syncs one party and one account to one of the mirrors.
    function sync(uint256 mirrorSeed, uint256 partySeed, uint256 accountSeed) external {
        address mirror = mirrorSeed % 2 == 0 ? address(early) : address(late);
        uint64[] memory parties = new uint64[](1);
        parties[0] = _party(partySeed);
        address[] memory accounts = new address[](1);
        accounts[0] = _account(accountSeed);
        try registry.syncMirror(mirror, parties, accounts) {
            holdsParty[mirror][parties[0]] = true;
            holdsMember[mirror][accounts[0]] = true;
            ++successes[this.sync.selector];
        } catch {}
    }

    /// The governor changes the voter set: pushes nothing.
    function setVoter(uint256 partySeed, uint256 voterSeed) external {
        uint64 p = _party(partySeed);
        vm.prank(M_GOVERNOR);
        try registry.setVoter(p, voterSeed % 2 == 1) {
            ++successes[this.setVoter.selector];
        } catch {}
    }

    /// Masks for the invariants to try beside their fixed ones: any subset of the roles and domains.
    function pickMasks(uint256 roleSeed, uint256 domainSeed) external {
        roleMask = roleSeed % 32;
        domainMask = domainSeed % 1024;
        ++successes[this.pickMasks.selector];
    }

    /// Lets up to five days pass (licences last 15 to 120 days): expiries happen with no push.
    function wait(uint256 secondsSeed) external {
        vm.warp(block.timestamp + _bound(secondsSeed, 0, 5 days));
        ++successes[this.wait.selector];
    }

    // ==== VIEWS ====

    function accountCount() external view returns (uint256) {
        return _accounts.length;
    }

    function accountAt(uint256 i) external view returns (address) {
        return _accounts[i];
    }

    // ==== PRIVATE ====

    function _pushedMember(address account) private {
        holdsMember[address(early)][account] = true;
        holdsMember[address(late)][account] = true;
    }

    function _pushedParty(uint64 partyId) private {
        holdsParty[address(early)][partyId] = true;
        holdsParty[address(late)][partyId] = true;
    }

    function _learn(address account) private {
        if (_known[account]) return;
        _known[account] = true;
        _accounts.push(account);
    }

    function _freshAccount() private returns (address) {
        return address(uint160(0x90000000 + ++_nextAccount));
    }

    /// Mostly a known party; sometimes 0 or one past the last (refused).
    function _party(uint256 seed) private view returns (uint64) {
        uint64 count = registry.partyCount();
        return uint64(_bound(seed, seed % 8 == 0 ? 0 : 1, seed % 8 == 1 ? count + 1 : count));
    }

    function _account(uint256 seed) private view returns (address) {
        return _accounts[seed % _accounts.length];
    }

    function _kind(uint256 seed) private pure returns (IConsortiumRegistry.LicenceKind) {
        return IConsortiumRegistry.LicenceKind(1 + (seed % 7));
    }

    /// Mostly an active admin of `partyId` (as the registry now says); one call in five any known account.
    function _partyAdmin(uint64 partyId, uint256 seed) private view returns (address) {
        if (seed % 5 == 0) return _account(seed / 5);
        uint256 n = _accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address a = _accounts[(seed / 5 + i) % n];
            IConsortiumRegistry.Member memory m = registry.getMember(a);
            if (
                m.partyId == partyId &&
                m.status == IConsortiumRegistry.MemberStatus.Active &&
                m.role == IConsortiumRegistry.Role.Admin
            ) return a;
        }
        return _account(seed);
    }

    /// Mostly an active admin or operator of a regulator party; one call in five any known account.
    function _regulatorActor(uint256 seed) private view returns (address) {
        if (seed % 5 == 0) return _account(seed / 5);
        uint256 n = _accounts.length;
        for (uint256 i = 0; i < n; ++i) {
            address a = _accounts[(seed / 5 + i) % n];
            IConsortiumRegistry.Member memory m = registry.getMember(a);
            if (
                m.status == IConsortiumRegistry.MemberStatus.Active &&
                (m.role == IConsortiumRegistry.Role.Admin || m.role == IConsortiumRegistry.Role.Operator) &&
                registry.getParty(m.partyId).domain == IConsortiumRegistry.Domain.Regulator
            ) return a;
        }
        return mirrorAdmin(M_REGULATOR);
    }
}

/**
 * @title MembershipMirrorInvariantTest
 * @notice Under any sequence of member, status, licence, admission, voter and sync
 * changes and the passing of time: (a) each attached mirror holds, for every account
 * and party, exactly the registry's record if it was pushed to it since it was
 * attached, and nothing otherwise; (b) every mirror (attached early, attached late,
 * never attached) accepts `requireMember` exactly when the registry's `isAuthorized`
 * allows, with the same party, and answers or refuses with the registry's own bytes;
 * (c) the same holds for `requireParty`.
 */
contract MembershipMirrorInvariantTest is MirrorFixture {
    MirrorHandler internal handler;

    function setUp() public {
        _deploy();
        handler = new MirrorHandler(registry, early, late);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 40
     */
    function invariant_mirrorsHoldExactlyWhatWasPushed() public view {
        MembershipMirrorProbe[2] memory attached = [early, late];
        uint256 accounts = handler.accountCount();
        for (uint256 m = 0; m < 2; ++m) {
            MembershipMirrorProbe mirror = attached[m];
            for (uint256 i = 0; i < accounts; ++i) {
                address account = handler.accountAt(i);
                if (handler.holdsMember(address(mirror), account)) {
                    _assertTrue(_sameMember(mirror, account), "pushed member record is the registry's");
                } else {
                    _assertTrue(_holdsNoMember(mirror, account), "member record never pushed");
                }
            }
            uint64 parties = registry.partyCount();
            for (uint64 p = 1; p <= parties; ++p) {
                if (handler.holdsParty(address(mirror), p)) {
                    _assertTrue(_sameGate(mirror, p), "pushed party gate is the registry's");
                } else {
                    _assertTrue(_holdsNoGate(mirror, p), "party gate never pushed");
                }
            }
            _assertTrue(_holdsNoGate(mirror, 0), "party 0");
            _assertTrue(_holdsNoGate(mirror, parties + 1), "no party past the last");
        }
        for (uint256 i = 0; i < accounts; ++i) {
            _assertTrue(_holdsNoMember(detached, handler.accountAt(i)), "detached mirror holds nothing");
        }
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 40
     */
    function invariant_requireMemberMatchesIsAuthorized() public view {
        uint256[2][5] memory masks = [
            [type(uint256).max, type(uint256).max],
            [uint256((1 << 1) | (1 << 2)), uint256(1 << 7)],
            [uint256(1 << 3), uint256((1 << 2) | (1 << 3))],
            [uint256(1 << 4), type(uint256).max],
            [handler.roleMask(), handler.domainMask()]
        ];
        MembershipMirrorProbe[3] memory mirrors = [early, late, detached];
        uint256 accounts = handler.accountCount();
        for (uint256 i = 0; i <= accounts; ++i) {
            // Every known account, and one that never was a member.
            address account = i < accounts ? handler.accountAt(i) : address(0xBEEF);
            for (uint256 k = 0; k < masks.length; ++k) {
                for (uint256 m = 0; m < mirrors.length; ++m)
                    _checkMember(mirrors[m], account, masks[k][0], masks[k][1]);
            }
        }
    }

    /**
     * hardhat-config: invariant.runs = 48
     * hardhat-config: invariant.depth = 40
     */
    function invariant_requirePartyMatchesRegistry() public view {
        uint256[3] memory masks = [type(uint256).max, uint256((1 << 2) | (1 << 4) | (1 << 5)), handler.domainMask()];
        MembershipMirrorProbe[3] memory mirrors = [early, late, detached];
        uint64 parties = registry.partyCount();
        for (uint64 p = 0; p <= parties + 1; ++p) {
            for (uint256 k = 0; k < masks.length; ++k) {
                for (uint256 m = 0; m < mirrors.length; ++m) _checkParty(mirrors[m], p, masks[k]);
            }
        }
    }
}
