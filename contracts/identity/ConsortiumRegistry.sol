// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";
import {Masks} from "../libraries/Masks.sol";
import {Membership} from "../libraries/Membership.sol";

/**
 * @title ConsortiumRegistry
 * @notice Parties, licences and members of the MedState consortium. UUPS-upgradeable
 * by the governor only; storage in an ERC-7201 namespace.
 */
contract ConsortiumRegistry is IConsortiumRegistry, Initializable, ContextUpgradeable, UUPSUpgradeable {
    using Masks for uint256;

    // ==== TYPES ====

    /// @custom:storage-location erc7201:medstate.storage.ConsortiumRegistry
    struct RegistryStorage {
        // slot 0: governor (20 bytes) and partyCount (8 bytes) fit in one slot
        address governor;
        uint64 partyCount;
        // slot 1
        address bootstrapper;
        // slot 2: both voter counts fit in one slot
        uint128 activeVoterCount;
        uint128 suspendedVoterCount;
        // slots 3..5
        mapping(uint64 partyId => Party) parties;
        mapping(address account => Member) members;
        mapping(uint64 partyId => mapping(LicenceKind kind => Licence)) licences;
        // slot 6: at most _MAX_MIRRORS entries (attachMirror checks)
        address[] mirrors;
        // slots 7..9: voters a regulator suspended on its own (still counted in the
        // threshold's n), and accounts reserved for pending admissions
        uint256 regulatorSuspendedVoterCount;
        mapping(uint64 partyId => bool) regulatorSuspended;
        mapping(address account => uint48 until) reservedUntil;
    }

    // ==== CONSTANTS ====

    // keccak256(abi.encode(uint256(keccak256("medstate.storage.ConsortiumRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _STORAGE_SLOT = 0x9c2d31bf2902bc1c5fdef26cdb8dd6750a39af86ef64e6b797a178ae10835200;

    uint48 private constant _NO_EXPIRY = type(uint48).max;
    uint8 private constant _LAST_LICENCE_KIND = uint8(type(LicenceKind).max);
    /// Every member or party change is pushed to each mirror: keep the fan-out small.
    uint256 private constant _MAX_MIRRORS = 8;
    /// The gas each push may use (a mirror write and its event cost about 30,000), and what
    /// is kept back around the call: a push that fails within it is the mirror's fault.
    uint256 private constant _PUSH_GAS = 200_000;
    uint256 private constant _PUSH_RESERVE = 10_000;

    /// The roles that act for a regulator when it suspends a party or grants a licence.
    uint256 private constant _REGULATOR_ROLES = (1 << uint8(Role.Admin)) | (1 << uint8(Role.Operator));
    uint256 private constant _REGULATOR_DOMAIN = 1 << uint8(Domain.Regulator);

    // ==== MODIFIERS ====

    modifier onlyGovernor() {
        _checkGovernor();
        _;
    }

    // ==== CONSTRUCTOR / INITIALIZER ====

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /**
     * @notice Initialises the proxy with the founding parties. The caller becomes the
     * bootstrapper, whose only power is to bind the governor once ({setGovernor}).
     * @param founders The parties of the initial consortium, admitted in order (ids 1..n).
     */
    function initialize(PartyAdmission[] calldata founders) external initializer {
        RegistryStorage storage $ = _storage();
        $.bootstrapper = _msgSender();
        for (uint256 i = 0; i < founders.length; ++i) {
            _admit(founders[i]);
        }
    }

    // ==== BOOTSTRAP ====

    /// @inheritdoc IConsortiumRegistry
    function setGovernor(address governor_) external {
        RegistryStorage storage $ = _storage();
        if ($.governor != address(0)) revert RegistryGovernorAlreadySet($.governor);
        if (_msgSender() != $.bootstrapper) revert RegistryOnlyBootstrapper(_msgSender());
        if (governor_ == address(0)) revert RegistryZeroAddress();
        $.governor = governor_;
        delete $.bootstrapper;
        emit GovernorSet(governor_);
    }

    /// @inheritdoc IConsortiumRegistry
    function attachMirror(address mirror) external {
        RegistryStorage storage $ = _storage();
        bool bootstrap = $.governor == address(0);
        if (bootstrap) {
            if (_msgSender() != $.bootstrapper) revert RegistryOnlyBootstrapper(_msgSender());
        } else if (_msgSender() != $.governor) {
            revert RegistryOnlyGovernor(_msgSender());
        }
        if (mirror == address(0)) revert RegistryZeroAddress();
        if (_isMirror(mirror)) revert RegistryMirrorAttached(mirror);
        _checkMirrorOfThis(mirror);
        if ($.mirrors.length == _MAX_MIRRORS) revert RegistryTooManyMirrors(_MAX_MIRRORS);
        $.mirrors.push(mirror);
        emit MirrorAttached(mirror, _msgSender());
        if (!bootstrap) return;
        // Before the governor is bound the parties are the founders (admitted from
        // initialize's calldata): a bounded loop. Later attachments use syncMirror.
        uint64 count = $.partyCount;
        for (uint64 partyId = 1; partyId <= count; ++partyId) {
            _pushParty(mirror, partyId);
            _pushMember(mirror, $.parties[partyId].admin);
        }
    }

    /// @inheritdoc IConsortiumRegistry
    function detachMirror(address mirror) external onlyGovernor {
        address[] storage list = _storage().mirrors;
        uint256 n = list.length;
        for (uint256 i = 0; i < n; ++i) {
            if (list[i] != mirror) continue;
            list[i] = list[n - 1];
            list.pop();
            emit MirrorDetached(mirror, _msgSender());
            return;
        }
        revert RegistryUnknownMirror(mirror);
    }

    /// @inheritdoc IConsortiumRegistry
    function reserveAccount(address account, uint48 until) external onlyGovernor {
        // A later proposal never shortens an earlier one's reservation.
        uint48 current = _storage().reservedUntil[account];
        if (until < current) until = current;
        _storage().reservedUntil[account] = until;
        emit AccountReserved(account, until);
    }

    /// @inheritdoc IConsortiumRegistry
    function syncMirror(address mirror, uint64[] calldata partyIds, address[] calldata accounts) external {
        if (!_isMirror(mirror)) revert RegistryUnknownMirror(mirror);
        for (uint256 i = 0; i < partyIds.length; ++i) {
            _party(partyIds[i]);
            _pushParty(mirror, partyIds[i]);
        }
        for (uint256 i = 0; i < accounts.length; ++i) {
            _pushMember(mirror, accounts[i]);
        }
    }

    // ==== GOVERNANCE ====

    /// @inheritdoc IConsortiumRegistry
    function admitParty(PartyAdmission calldata admission) external onlyGovernor returns (uint64) {
        return _admit(admission);
    }

    /// @inheritdoc IConsortiumRegistry
    function setPartyStatus(uint64 partyId, PartyStatus status) external onlyGovernor {
        _transition(partyId, status);
    }

    /// @inheritdoc IConsortiumRegistry
    function setVoter(uint64 partyId, bool voter) external onlyGovernor {
        RegistryStorage storage $ = _storage();
        Party storage party = _checkVoterChange(partyId, voter);
        party.voter = voter;
        // Each count moves only with the flag of a party in its status, and a voter was
        // counted when it became one: neither can underflow.
        if (party.status == PartyStatus.Active) {
            $.activeVoterCount = voter ? $.activeVoterCount + 1 : $.activeVoterCount - 1;
        } else if (party.status == PartyStatus.Suspended) {
            --$.suspendedVoterCount; // only `voter = false` gets here (checked above)
            _clearRegulatorSuspension(partyId);
        }
        emit VoterChanged(partyId, voter, $.activeVoterCount);
    }

    // ==== REGULATOR OR GOVERNOR ====

    /// @inheritdoc IConsortiumRegistry
    function suspendParty(uint64 partyId) external {
        uint64 actingParty = _checkRegulatorOrGovernor();
        bool counted = false;
        if (actingParty != 0) {
            if (actingParty == partyId) revert RegistrySelfSuspension(partyId);
            counted = _checkRegulatorVoterSuspension(partyId);
        }
        _setStatus(partyId, PartyStatus.Suspended);
        if (counted) {
            // A voter the regulator alone suspends stays in the threshold's n.
            RegistryStorage storage $ = _storage();
            $.regulatorSuspended[partyId] = true;
            ++$.regulatorSuspendedVoterCount;
        }
        // Mirrors are called once the registry's own state is complete.
        _pushParty(partyId);
    }

    /// @inheritdoc IConsortiumRegistry
    function grantLicence(uint64 partyId, LicenceGrant calldata grant) external {
        uint64 actingParty = _checkRegulatorOrGovernor();
        _licensableParty(partyId);
        LicenceGrant memory effective = grant;
        if (actingParty != 0) effective.issuer = actingParty;
        _grantLicence(partyId, effective);
        _pushParty(partyId);
    }

    /// @inheritdoc IConsortiumRegistry
    function revokeLicence(uint64 partyId, LicenceKind kind) external {
        _checkRegulatorOrGovernor();
        _licensableParty(partyId);
        Licence storage licence = _storage().licences[partyId][kind];
        if (licence.expiresAt == 0 || licence.revoked) revert RegistryUnknownLicence(partyId, kind);
        licence.revoked = true;
        uint48 validUntil = _refreshLicences(partyId);
        emit LicenceRevoked(partyId, kind, validUntil, _msgSender());
        _pushParty(partyId);
    }

    // ==== MEMBERS ====

    /// @inheritdoc IConsortiumRegistry
    function addMember(uint64 partyId, address account, Role role) external {
        _checkPartyAdmin(partyId);
        _checkNotReserved(account);
        _enrol(partyId, account, role);
    }

    /// @inheritdoc IConsortiumRegistry
    function removeMember(uint64 partyId, address account) external {
        _checkPartyAdmin(partyId);
        Member storage member = _activeMemberOf(partyId, account);
        if (_storage().parties[partyId].admin == account) revert RegistryPrimaryAdminRemoval(partyId, account);
        member.status = MemberStatus.Removed;
        emit MemberRemoved(partyId, account, _msgSender());
        _pushMember(account);
    }

    /// @inheritdoc IConsortiumRegistry
    function rotateMember(uint64 partyId, address previous, address account) external {
        RegistryStorage storage $ = _storage();
        bool byGovernor = _msgSender() == $.governor;
        if (byGovernor) _party(partyId);
        else _checkPartyAdmin(partyId);
        Member storage old = _activeMemberOf(partyId, previous);
        Party storage party = $.parties[partyId];
        bool primary = party.admin == previous;
        if (primary && !byGovernor && _msgSender() != previous)
            revert RegistryPrimaryAdminRotation(partyId, _msgSender());
        _checkFreshAccount(account);
        _checkNotReserved(account);
        $.members[account] = Member({partyId: partyId, role: old.role, status: MemberStatus.Active});
        old.status = MemberStatus.Rotated;
        if (primary) party.admin = account;
        emit MemberRotated(partyId, previous, account, _msgSender());
        _pushMember(previous);
        _pushMember(account);
    }

    // ==== CHECKS ====

    /// @inheritdoc IConsortiumRegistry
    function checkAdmission(PartyAdmission calldata admission) external view {
        _checkAdmission(admission);
    }

    /// @inheritdoc IConsortiumRegistry
    function checkStatusTransition(uint64 partyId, PartyStatus status) external view {
        _checkTransition(partyId, status);
    }

    /// @inheritdoc IConsortiumRegistry
    function checkVoterChange(uint64 partyId, bool voter) external view {
        _checkVoterChange(partyId, voter);
    }

    /// @inheritdoc IConsortiumRegistry
    function requireMember(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) external view returns (uint64 partyId, Domain domain) {
        return _requireMember(account, roleMask, domainMask);
    }

    /// @inheritdoc IConsortiumRegistry
    function requireParty(uint64 partyId, uint256 domainMask) external view returns (Domain domain) {
        Party storage party = _party(partyId);
        _checkCanAct(partyId, party);
        domain = party.domain;
        Membership.checkDomain(partyId, domain, domainMask);
    }

    /// @inheritdoc IConsortiumRegistry
    function isAuthorized(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) external view returns (bool allowed, uint64 partyId) {
        RegistryStorage storage $ = _storage();
        Member storage member = $.members[account];
        partyId = member.partyId;
        if (member.status != MemberStatus.Active) return (false, partyId);
        Party storage party = $.parties[partyId];
        allowed = _canAct(party) && roleMask.has(uint8(member.role)) && domainMask.has(uint8(party.domain));
    }

    /// @inheritdoc IConsortiumRegistry
    function isPartyActive(uint64 partyId) external view returns (bool) {
        return _canAct(_storage().parties[partyId]);
    }

    // ==== VIEWS ====

    /// @inheritdoc IConsortiumRegistry
    function mirrors() external view returns (address[] memory) {
        return _storage().mirrors;
    }

    /// @inheritdoc IConsortiumRegistry
    function governor() external view returns (address) {
        return _storage().governor;
    }

    /// @inheritdoc IConsortiumRegistry
    function partyCount() external view returns (uint64) {
        return _storage().partyCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function activeVoterCount() external view returns (uint256) {
        return _storage().activeVoterCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function suspendedVoterCount() external view returns (uint256) {
        return _storage().suspendedVoterCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function regulatorSuspendedVoterCount() external view returns (uint256) {
        return _storage().regulatorSuspendedVoterCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function thresholdVoterCount() external view returns (uint256) {
        RegistryStorage storage $ = _storage();
        return $.activeVoterCount + $.regulatorSuspendedVoterCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function reservedUntil(address account) external view returns (uint48) {
        return _storage().reservedUntil[account];
    }

    /// @inheritdoc IConsortiumRegistry
    function isVoter(uint64 partyId) external view returns (bool) {
        return _storage().parties[partyId].voter;
    }

    /// @inheritdoc IConsortiumRegistry
    function countedVoter(uint64 partyId) external view returns (bool counted, Domain domain) {
        RegistryStorage storage $ = _storage();
        Party storage party = $.parties[partyId];
        counted = party.voter && (party.status == PartyStatus.Active || $.regulatorSuspended[partyId]);
        domain = party.domain;
    }

    /// @inheritdoc IConsortiumRegistry
    function getParty(uint64 partyId) external view returns (Party memory) {
        return _party(partyId);
    }

    /// @inheritdoc IConsortiumRegistry
    function getMember(address account) external view returns (Member memory) {
        return _storage().members[account];
    }

    /// @inheritdoc IConsortiumRegistry
    function getLicence(uint64 partyId, LicenceKind kind) external view returns (Licence memory) {
        return _storage().licences[partyId][kind];
    }

    // ==== INTERNAL ====

    function _authorizeUpgrade(address) internal view override {
        _checkGovernor();
    }

    function _admit(PartyAdmission calldata admission) internal returns (uint64 partyId) {
        _checkAdmission(admission);
        RegistryStorage storage $ = _storage();
        // Party ids are sequential; 2^64 admissions cannot happen.
        partyId = ++$.partyCount;
        Party storage party = $.parties[partyId];
        party.domain = admission.domain;
        party.status = PartyStatus.Active;
        party.voter = admission.voter;
        party.licencesValidUntil = _NO_EXPIRY;
        party.admin = admission.admin;
        party.name = admission.name;
        if (admission.voter) ++$.activeVoterCount;
        emit PartyAdmitted(partyId, admission.domain, admission.admin, admission.voter, admission.name);

        _enrol(partyId, admission.admin, Role.Admin);
        for (uint256 i = 0; i < admission.licences.length; ++i) {
            _grantLicence(partyId, admission.licences[i]);
        }
        _pushParty(partyId);
    }

    function _checkAdmission(PartyAdmission calldata admission) internal view {
        if (bytes(admission.name).length == 0) revert RegistryEmptyName();
        if (admission.domain == Domain.None) revert RegistryInvalidDomain(uint8(admission.domain));
        _checkFreshAccount(admission.admin);
        uint256 seen = 0;
        for (uint256 i = 0; i < admission.licences.length; ++i) {
            LicenceGrant calldata grant = admission.licences[i];
            _checkLicenceGrant(grant.kind, grant.issuer, grant.expiresAt);
            if (seen.has(uint8(grant.kind))) revert RegistryDuplicateLicence(grant.kind);
            seen |= Masks.bit(uint8(grant.kind));
        }
    }

    /// Every status write goes through here: checks the transition graph, keeps the
    /// voter counts, emits.
    function _transition(uint64 partyId, PartyStatus status) internal {
        _setStatus(partyId, status);
        _pushParty(partyId);
    }

    /// A party's status change, without the mirrors' push.
    function _setStatus(uint64 partyId, PartyStatus status) internal {
        RegistryStorage storage $ = _storage();
        (Party storage party, PartyStatus current) = _checkTransition(partyId, status);
        party.status = status;
        if (party.voter) {
            // Each status is left or entered once per transition and a voter was counted
            // in its status when it got there, so the counts never underflow.
            if (current == PartyStatus.Active) --$.activeVoterCount;
            else if (current == PartyStatus.Suspended) {
                --$.suspendedVoterCount;
                _clearRegulatorSuspension(partyId);
            }
            if (status == PartyStatus.Active) ++$.activeVoterCount;
            else if (status == PartyStatus.Suspended) ++$.suspendedVoterCount;
        }
        emit PartyStatusChanged(partyId, current, status, _msgSender());
    }

    function _enrol(uint64 partyId, address account, Role role) internal {
        if (role == Role.None) revert RegistryInvalidRole(uint8(role));
        _checkFreshAccount(account);
        _storage().members[account] = Member({partyId: partyId, role: role, status: MemberStatus.Active});
        emit MemberAdded(partyId, account, role, _msgSender());
        _pushMember(account);
    }

    function _grantLicence(uint64 partyId, LicenceGrant memory grant) internal {
        _checkLicenceGrant(grant.kind, grant.issuer, grant.expiresAt);
        _storage().licences[partyId][grant.kind] = Licence({
            documentHash: grant.documentHash,
            issuer: grant.issuer,
            expiresAt: grant.expiresAt,
            revoked: false
        });
        uint48 validUntil = _refreshLicences(partyId);
        emit LicenceGranted(
            partyId,
            grant.kind,
            grant.documentHash,
            grant.issuer,
            grant.expiresAt,
            validUntil,
            _msgSender()
        );
    }

    /// Recomputes the party's earliest licence expiry and revoked count. Loops over the
    /// licence kinds (a fixed, small enum), never over history: bounded on writes, so
    /// that the checks on every call stay O(1).
    function _refreshLicences(uint64 partyId) internal returns (uint48 validUntil) {
        RegistryStorage storage $ = _storage();
        validUntil = _NO_EXPIRY;
        uint8 revoked = 0;
        for (uint8 k = 1; k <= _LAST_LICENCE_KIND; ++k) {
            Licence storage licence = $.licences[partyId][LicenceKind(k)];
            if (licence.expiresAt == 0) continue;
            if (licence.revoked) ++revoked;
            else if (licence.expiresAt < validUntil) validUntil = licence.expiresAt;
        }
        Party storage party = $.parties[partyId];
        party.licencesValidUntil = validUntil;
        party.revokedLicences = revoked;
    }

    function _checkTransition(
        uint64 partyId,
        PartyStatus status
    ) internal view returns (Party storage party, PartyStatus current) {
        party = _party(partyId);
        current = party.status;
        if (!_allowedFrom(status).has(uint8(current))) {
            revert RegistryInvalidStatusTransition(partyId, current, status);
        }
        if (party.voter && current == PartyStatus.Active) _checkActiveVoterLeaves(partyId);
    }

    function _checkVoterChange(uint64 partyId, bool voter) internal view returns (Party storage party) {
        party = _party(partyId);
        if (party.voter == voter) revert RegistryVoterUnchanged(partyId, voter);
        if (voter && party.status != PartyStatus.Active) revert RegistryPartyNotActive(partyId, party.status);
        if (!voter && party.status == PartyStatus.Active) _checkActiveVoterLeaves(partyId);
    }

    /// An active voter leaving the active set (suspended, revoked, unseated) must leave
    /// governance able to act again: at least one active voter, and as many as the
    /// threshold of the voters that remain — which counts the regulator's own suspensions.
    function _checkActiveVoterLeaves(uint64 partyId) internal view {
        RegistryStorage storage $ = _storage();
        uint256 active = $.activeVoterCount;
        if (active == 1) revert RegistryLastActiveVoter(partyId);
        // active ≥ 2, so n ≥ 1 and the threshold n − ⌊(n−1)/3⌋ cannot underflow.
        uint256 n = active - 1 + $.regulatorSuspendedVoterCount;
        uint256 threshold = n - (n - 1) / 3;
        if (active - 1 < threshold) revert RegistryThresholdUnreachable(partyId, active - 1, threshold);
    }

    /// A regulator alone may keep at most f = ⌊(n−1)/3⌋ voters suspended, n counting the
    /// active voters and those it suspended: what a BFT supermajority tolerates, so that the
    /// voters left can always reach the threshold (which its suspensions never lower).
    /// Beyond that it must propose the suspension. Returns whether the party is an active
    /// voter (a suspension to count).
    function _checkRegulatorVoterSuspension(uint64 partyId) internal view returns (bool) {
        RegistryStorage storage $ = _storage();
        Party storage party = _party(partyId);
        if (!party.voter || party.status != PartyStatus.Active) return false;
        uint256 suspended = $.regulatorSuspendedVoterCount;
        // n ≥ 1: this party is an active voter.
        uint256 limit = ($.activeVoterCount + suspended - 1) / 3;
        if (suspended + 1 > limit) revert RegistryVoterSuspensionLimit(partyId, suspended, limit);
        return true;
    }

    /// A voter leaving a suspension the regulator imposed alone leaves its count.
    function _clearRegulatorSuspension(uint64 partyId) internal {
        RegistryStorage storage $ = _storage();
        if (!$.regulatorSuspended[partyId]) return;
        $.regulatorSuspended[partyId] = false;
        --$.regulatorSuspendedVoterCount;
    }

    function _requireMember(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) internal view returns (uint64 partyId, Domain domain) {
        RegistryStorage storage $ = _storage();
        Member storage member = $.members[account];
        if (member.status != MemberStatus.Active) revert RegistryNotMember(account);
        partyId = member.partyId;
        Party storage party = $.parties[partyId];
        _checkCanAct(partyId, party);
        domain = party.domain;
        Membership.checkDomain(partyId, domain, domainMask);
        Membership.checkRole(account, member.role, roleMask);
    }

    function _checkGovernor() internal view {
        RegistryStorage storage $ = _storage();
        if ($.governor == address(0)) revert RegistryGovernorNotSet();
        if (_msgSender() != $.governor) revert RegistryOnlyGovernor(_msgSender());
    }

    /// @return actingParty 0 for the governor, else the regulator party of the caller.
    function _checkRegulatorOrGovernor() internal view returns (uint64 actingParty) {
        if (_msgSender() == _storage().governor) return 0;
        (actingParty, ) = _requireMember(_msgSender(), _REGULATOR_ROLES, _REGULATOR_DOMAIN);
    }

    function _checkPartyAdmin(uint64 partyId) internal view {
        Party storage party = _party(partyId);
        Member storage caller = _storage().members[_msgSender()];
        if (caller.partyId != partyId || caller.status != MemberStatus.Active || caller.role != Role.Admin) {
            revert RegistryNotPartyAdmin(partyId, _msgSender());
        }
        _checkCanAct(partyId, party);
    }

    function _checkCanAct(uint64 partyId, Party storage party) internal view {
        Membership.checkCanAct(partyId, party.status, party.revokedLicences, party.licencesValidUntil);
    }

    /// Pushes `account`'s member record to every attached mirror.
    function _pushMember(address account) internal {
        address[] storage list = _storage().mirrors;
        if (list.length == 0) return;
        bytes memory push = _memberPush(account);
        for (uint256 i = 0; i < list.length; ++i) {
            _push(list[i], push, bytes32(uint256(uint160(account))));
        }
    }

    /// Pushes what the checks read of `partyId` to every attached mirror.
    function _pushParty(uint64 partyId) internal {
        address[] storage list = _storage().mirrors;
        if (list.length == 0) return;
        bytes memory push = _partyPush(partyId);
        for (uint256 i = 0; i < list.length; ++i) {
            _push(list[i], push, bytes32(uint256(partyId)));
        }
    }

    /// One push to an attached mirror, with a fixed gas allowance that the caller must leave
    /// room for (so that nobody can make a healthy mirror fail by sending too little gas). A
    /// push that fails anyway is the mirror's fault: recorded, and the change stands. No
    /// return data is copied.
    function _push(address mirror, bytes memory push, bytes32 subject) internal {
        uint256 needed = (_PUSH_GAS * 64) / 63 + _PUSH_RESERVE;
        if (gasleft() < needed) revert RegistryInsufficientGas(needed);
        bool ok;
        assembly ("memory-safe") {
            ok := call(_PUSH_GAS, mirror, 0, add(push, 0x20), mload(push), 0, 0)
        }
        if (!ok) emit MirrorPushFailed(mirror, bytes4(push), subject);
    }

    /// A push while attaching or syncing a mirror: it must take it.
    function _pushMember(address mirror, address account) internal {
        Address.functionCall(mirror, _memberPush(account));
    }

    /// A push while attaching or syncing a mirror: it must take it.
    function _pushParty(address mirror, uint64 partyId) internal {
        Address.functionCall(mirror, _partyPush(partyId));
    }

    function _memberPush(address account) internal view returns (bytes memory) {
        return abi.encodeCall(IMembershipMirror.mirrorMember, (account, _storage().members[account]));
    }

    function _partyPush(uint64 partyId) internal view returns (bytes memory) {
        Party storage party = _storage().parties[partyId];
        return
            abi.encodeCall(
                IMembershipMirror.mirrorParty,
                (
                    partyId,
                    IMembershipMirror.PartyGate({
                        domain: party.domain,
                        status: party.status,
                        revokedLicences: party.revokedLicences,
                        licencesValidUntil: party.licencesValidUntil
                    })
                )
            );
    }

    /// A mirror built for another registry (or no mirror at all) would refuse, or
    /// swallow, every push: refuse to attach it.
    function _checkMirrorOfThis(address mirror) internal view {
        if (!Membership.isMirrorOf(mirror, address(this))) revert RegistryInvalidMirror(mirror);
    }

    function _isMirror(address mirror) internal view returns (bool) {
        address[] storage list = _storage().mirrors;
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == mirror) return true;
        }
        return false;
    }

    function _checkLicenceGrant(LicenceKind kind, uint64 issuer, uint48 expiresAt) internal view {
        if (kind == LicenceKind.None) revert RegistryInvalidLicenceKind(uint8(kind));
        if (expiresAt <= block.timestamp) revert RegistryLicenceExpiryInPast(expiresAt, uint48(block.timestamp));
        if (issuer > _storage().partyCount) revert RegistryUnknownParty(issuer);
    }

    /// An account named as a pending admission's admin is not for any party's admin to enrol.
    function _checkNotReserved(address account) internal view {
        uint48 until = _storage().reservedUntil[account];
        if (until > block.timestamp) revert RegistryAccountReserved(account, until);
    }

    function _checkFreshAccount(address account) internal view {
        if (account == address(0)) revert RegistryZeroAddress();
        Member storage member = _storage().members[account];
        if (member.status != MemberStatus.None) revert RegistryAccountTaken(account, member.partyId);
    }

    function _activeMemberOf(uint64 partyId, address account) internal view returns (Member storage member) {
        member = _storage().members[account];
        if (member.partyId != partyId || member.status != MemberStatus.Active) {
            revert RegistryNotPartyMember(partyId, account);
        }
    }

    function _party(uint64 partyId) internal view returns (Party storage party) {
        party = _storage().parties[partyId];
        if (party.status == PartyStatus.None) revert RegistryUnknownParty(partyId);
    }

    /// A party whose licences may change: any but a revoked one (revocation is final).
    function _licensableParty(uint64 partyId) internal view {
        PartyStatus status = _party(partyId).status;
        if (status == PartyStatus.Revoked) revert RegistryPartyNotActive(partyId, status);
    }

    function _canAct(Party storage party) internal view returns (bool) {
        return
            party.status == PartyStatus.Active &&
            party.revokedLicences == 0 &&
            party.licencesValidUntil > block.timestamp;
    }

    // ==== PRIVATE ====

    /// The party-status graph: which statuses each status may be entered from.
    function _allowedFrom(PartyStatus status) private pure returns (uint256) {
        if (status == PartyStatus.Active) return Masks.bitOf(PartyStatus.Suspended);
        if (status == PartyStatus.Suspended) return Masks.bitOf(PartyStatus.Active);
        if (status == PartyStatus.Revoked) return Masks.bitOf(PartyStatus.Active) | Masks.bitOf(PartyStatus.Suspended);
        return 0;
    }

    function _storage() private pure returns (RegistryStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _STORAGE_SLOT
        }
    }
}
