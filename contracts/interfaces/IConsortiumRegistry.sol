// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IConsortiumRegistry
 * @notice The consortium's digital identity: parties (organisations in one domain),
 * their licences, and their members (accounts of people and devices, each with one
 * role). Every other MedState contract asks this registry, in one O(1) call, whether
 * an account may act.
 *
 * Admission, reinstatement, revocation, voter-set changes and upgrades happen only
 * through the consortium's governor. A regulator may suspend a party at once. A
 * party's admins enrol, remove and rotate its own members. Nothing is ever deleted:
 * removed and rotated accounts keep their record and can never join another party.
 *
 * Every change emits an event carrying every value it wrote, so that replaying the
 * log alone rebuilds parties, members, licences, statuses and the voter set.
 */
interface IConsortiumRegistry {
    // ==== TYPES ====

    /// @notice The domain a party acts in. Manufacturers (M), operators (O:
    /// wholesale, retail, logistics), users (U: hospital, pharmacy), regulators (S),
    /// and the testing laboratories and notaries that witness.
    enum Domain {
        None,
        Manufacturer,
        Wholesaler,
        Retailer,
        Logistics,
        Hospital,
        Pharmacy,
        Regulator,
        Laboratory,
        Notary
    }

    /// @notice A party's standing. `Revoked` is final.
    enum PartyStatus {
        None,
        Active,
        Suspended,
        Revoked
    }

    /// @notice A member's role inside its party. A `Device` may only record observations.
    enum Role {
        None,
        Admin,
        Operator,
        QA,
        Device
    }

    /// @notice A member record's standing. `Removed` and `Rotated` accounts are never reused.
    enum MemberStatus {
        None,
        Active,
        Removed,
        Rotated
    }

    /// @notice The licences a party may carry (药品生产许可证, GMP, 药品经营许可证, GSP,
    /// 医疗机构执业许可证, laboratory accreditation, notarial licence).
    enum LicenceKind {
        None,
        Manufacturing,
        GoodManufacturingPractice,
        Distribution,
        GoodSupplyPractice,
        MedicalInstitution,
        LaboratoryAccreditation,
        Notarial
    }

    /// @notice A party as stored. `licencesValidUntil` is the earliest expiry of the
    /// party's unrevoked licences (`type(uint48).max` when it holds none) and
    /// `revokedLicences` how many of its licences are revoked; either blocks the party.
    struct Party {
        Domain domain;
        PartyStatus status;
        bool voter;
        uint48 licencesValidUntil;
        uint8 revokedLicences;
        address admin;
        string name;
    }

    /// @notice A member as stored: fits in one slot.
    struct Member {
        uint64 partyId;
        Role role;
        MemberStatus status;
    }

    /// @notice A licence as stored: `documentHash` is the hash of the licence document
    /// (kept off-chain); `issuer` the issuing party's id, or 0 for an authority outside
    /// the consortium.
    struct Licence {
        bytes32 documentHash;
        uint64 issuer;
        uint48 expiresAt;
        bool revoked;
    }

    /// @notice A licence as given when it is granted.
    struct LicenceGrant {
        LicenceKind kind;
        bytes32 documentHash;
        uint64 issuer;
        uint48 expiresAt;
    }

    /// @notice Everything needed to admit a party.
    struct PartyAdmission {
        string name;
        Domain domain;
        address admin;
        bool voter;
        LicenceGrant[] licences;
    }

    // ==== EVENTS ====

    /// @notice The governor was bound, once, by the deployer.
    event GovernorSet(address indexed governor);

    /// @notice A membership mirror was attached: from now on every member and party
    /// change is pushed to it ({IMembershipMirror}).
    event MirrorAttached(address indexed mirror, address indexed actor);

    /// @notice The governor detached a mirror: no change is pushed to it any more.
    event MirrorDetached(address indexed mirror, address indexed actor);

    /// @notice A push to `mirror` failed (it reverted or ran out of its gas allowance); the
    /// change stands in the registry and `mirror` no longer reflects it. `subject` is the
    /// account or the party id (as an address-sized number) whose record was pushed.
    event MirrorPushFailed(address indexed mirror, bytes4 indexed push, bytes32 subject);

    /// @notice `account`, named as the admin of a pending admission, is reserved until
    /// `until`: no party's admin may enrol it before then.
    event AccountReserved(address indexed account, uint48 until);

    /// @notice A party was admitted, with `admin` as its first (primary) admin member.
    event PartyAdmitted(uint64 indexed partyId, Domain domain, address indexed admin, bool voter, string name);

    /// @notice A party's status changed from `previous` to `status`, by `actor`.
    event PartyStatusChanged(uint64 indexed partyId, PartyStatus previous, PartyStatus status, address indexed actor);

    /// @notice A party joined (`voter` true) or left the voting set; `activeVoters` is the new count.
    event VoterChanged(uint64 indexed partyId, bool voter, uint256 activeVoters);

    /// @notice A licence was granted or renewed. `licencesValidUntil` is the party's new earliest expiry.
    event LicenceGranted(
        uint64 indexed partyId,
        LicenceKind indexed kind,
        bytes32 documentHash,
        uint64 issuer,
        uint48 expiresAt,
        uint48 licencesValidUntil,
        address actor
    );

    /// @notice A licence was revoked; the party cannot act until it is granted again.
    event LicenceRevoked(uint64 indexed partyId, LicenceKind indexed kind, uint48 licencesValidUntil, address actor);

    /// @notice `account` became a member of `partyId` with `role`.
    event MemberAdded(uint64 indexed partyId, address indexed account, Role role, address actor);

    /// @notice `account` stopped being a member of `partyId`.
    event MemberRemoved(uint64 indexed partyId, address indexed account, address actor);

    /// @notice `previous` was replaced by `account`, which keeps its role and history.
    event MemberRotated(uint64 indexed partyId, address indexed previous, address indexed account, address actor);

    // ==== ERRORS ====

    /// @notice `caller` is not the governor.
    error RegistryOnlyGovernor(address caller);
    /// @notice `caller` is not the deployer that may bind the governor.
    error RegistryOnlyBootstrapper(address caller);
    /// @notice The governor is already bound.
    error RegistryGovernorAlreadySet(address governor);
    /// @notice The governor is not bound yet.
    error RegistryGovernorNotSet();
    /// @notice `mirror` is already attached.
    error RegistryMirrorAttached(address mirror);
    /// @notice `mirror` is not an attached mirror.
    error RegistryUnknownMirror(address mirror);
    /// @notice `mirror` is no mirror of this registry (its `registry()` is not this
    /// registry, or it has none): attaching it would make every later change revert.
    error RegistryInvalidMirror(address mirror);
    /// @notice At most `limit` mirrors can be attached: every change is pushed to each.
    error RegistryTooManyMirrors(uint256 limit);
    /// @notice An address argument was zero.
    error RegistryZeroAddress();
    /// @notice A party needs a name.
    error RegistryEmptyName();
    /// @notice The domain is `None` (out-of-range values never get here: the ABI decoder rejects them).
    error RegistryInvalidDomain(uint8 domain);
    /// @notice The role is `None` (out-of-range values never get here: the ABI decoder rejects them).
    error RegistryInvalidRole(uint8 role);
    /// @notice The licence kind is `None` (out-of-range values never get here: the ABI decoder rejects them).
    error RegistryInvalidLicenceKind(uint8 kind);
    /// @notice A licence's expiry is not in the future.
    error RegistryLicenceExpiryInPast(uint48 expiresAt, uint48 now_);
    /// @notice No party has this id.
    error RegistryUnknownParty(uint64 partyId);
    /// @notice The party has no such (unrevoked) licence.
    error RegistryUnknownLicence(uint64 partyId, LicenceKind kind);
    /// @notice The status change is not allowed from the party's current status.
    error RegistryInvalidStatusTransition(uint64 partyId, PartyStatus current, PartyStatus requested);
    /// @notice The party is not active (suspended or revoked).
    error RegistryPartyNotActive(uint64 partyId, PartyStatus status);
    /// @notice One of the party's licences expired at `expiredAt`.
    error RegistryLicenceExpired(uint64 partyId, uint48 expiredAt);
    /// @notice The party has `count` revoked licences.
    error RegistryLicenceRevoked(uint64 partyId, uint8 count);
    /// @notice The party is not in one of the domains allowed here.
    error RegistryDomainNotAllowed(uint64 partyId, Domain domain);
    /// @notice `account` is not an active member of any party.
    error RegistryNotMember(address account);
    /// @notice `account`'s role is not allowed here.
    error RegistryRoleNotAllowed(address account, Role role);
    /// @notice `account` is not an active admin of `partyId`.
    error RegistryNotPartyAdmin(uint64 partyId, address account);
    /// @notice `account` is not an active member of `partyId`.
    error RegistryNotPartyMember(uint64 partyId, address account);
    /// @notice `account` already has a member record (in `partyId`), and accounts are never reused.
    error RegistryAccountTaken(address account, uint64 partyId);
    /// @notice A party's primary admin can be rotated but not removed.
    error RegistryPrimaryAdminRemoval(uint64 partyId, address account);
    /// @notice A party's primary admin key is rotated only by that key itself or by the
    /// governor (a lost key); `caller` is another admin.
    error RegistryPrimaryAdminRotation(uint64 partyId, address caller);
    /// @notice `account` is reserved for a pending admission until `until`.
    error RegistryAccountReserved(address account, uint48 until);
    /// @notice Too little gas is left to give every mirror its push allowance.
    error RegistryInsufficientGas(uint256 needed);
    /// @notice The party already is (or already is not) a voter.
    error RegistryVoterUnchanged(uint64 partyId, bool voter);
    /// @notice A regulator cannot suspend its own party.
    error RegistrySelfSuspension(uint64 partyId);
    /// @notice The change would leave no active voter, and governance could never act again.
    error RegistryLastActiveVoter(uint64 partyId);
    /// @notice Removing this active voter would leave `active` active voters, fewer than the
    /// `threshold` of the voters that remain (the regulator's own suspensions count in it):
    /// governance could never act again. Reinstate a suspended voter first.
    error RegistryThresholdUnreachable(uint64 partyId, uint256 active, uint256 threshold);
    /// @notice A regulator alone may keep at most `limit` (f of the voters the threshold
    /// counts) voting parties suspended; `suspended` already are. Propose the suspension
    /// through governance.
    error RegistryVoterSuspensionLimit(uint64 partyId, uint256 suspended, uint256 limit);
    /// @notice A party may carry at most one licence of each kind; too many were given.
    error RegistryDuplicateLicence(LicenceKind kind);

    // ==== BOOTSTRAP ====

    /**
     * @notice Binds the governor. Callable once, by the account that initialised the proxy.
     * @param governor The consortium governor; from then on the only account that
     * admits, reinstates and revokes parties, changes the voter set and upgrades.
     */
    function setGovernor(address governor) external;

    /**
     * @notice Attaches a membership mirror ({IMembershipMirror}): a contract that keeps
     * its own copy of the member and party records its checks read. Every later change
     * is pushed to it in the same transaction. Before the governor is bound the
     * bootstrapper attaches (and the registry pushes every party so far and its
     * primary admin: the founders); afterwards only the governor does, and records
     * older than the attachment reach the mirror through {syncMirror}. At most 8. A push is
     * given a fixed gas allowance; one that fails ({MirrorPushFailed}) does not undo the
     * change, so that a broken mirror cannot stop the registry (the regulator's suspensions
     * above all): the governor detaches it ({detachMirror}).
     * @param mirror The mirror (a proxy: it keeps its address through upgrades).
     */
    function attachMirror(address mirror) external;

    /// @notice Detaches a mirror: nothing is pushed to it any more. Only the governor.
    function detachMirror(address mirror) external;

    /**
     * @notice Reserves `account`, named as the admin of a pending admission, until `until`
     * (or later, if an earlier proposal reserved it longer): no party's admin can enrol it
     * first (which would make the admission impossible). Only the governor (when an
     * admission is proposed).
     */
    function reserveAccount(address account, uint48 until) external;

    /**
     * @notice Pushes the current records of `partyIds` and `accounts` to an attached
     * mirror. Anyone may call it: it only copies what the registry holds.
     * @param mirror An attached mirror.
     * @param partyIds Parties to push (each must exist).
     * @param accounts Member accounts to push (an account with no record pushes nothing).
     */
    function syncMirror(address mirror, uint64[] calldata partyIds, address[] calldata accounts) external;

    // ==== GOVERNANCE (governor only) ====

    /**
     * @notice Admits a party and enrols its admin as primary admin member.
     * @param admission Name, domain, admin account, voter flag and initial licences.
     * @return partyId The new party's id (sequential from 1).
     */
    function admitParty(PartyAdmission calldata admission) external returns (uint64 partyId);

    /**
     * @notice Changes a party's status: Active ↔ Suspended, Active|Suspended → Revoked.
     * Refused when it would leave no active voter.
     * @param partyId The party.
     * @param status The new status.
     */
    function setPartyStatus(uint64 partyId, PartyStatus status) external;

    /**
     * @notice Adds a party to, or removes it from, the voting set. Only an active
     * party joins; removing the last active voter is refused.
     * @param partyId The party.
     * @param voter Whether it votes.
     */
    function setVoter(uint64 partyId, bool voter) external;

    // ==== REGULATOR OR GOVERNOR ====

    /**
     * @notice Suspends a party at once. Callable by an admin or operator of an active
     * regulator party (the law gives it that power) or by the governor. Reinstatement
     * needs the governor. A voter the regulator suspends on its own still counts in the
     * `n` of the governance threshold ({thresholdVoterCount}), so no suspension by one
     * party lowers it. A regulator may not suspend its own party, nor keep more than
     * f = ⌊(n−1)/3⌋ voting parties suspended on its own (so that the remaining voters can
     * always reach the threshold); beyond that, it proposes the suspension.
     * @param partyId The party to suspend.
     */
    function suspendParty(uint64 partyId) external;

    /**
     * @notice Grants or renews a licence. By the governor (issuer as given) or a
     * regulator's admin or operator (issuer = the regulator's party). Licensing is the
     * regulator's power: revoking a licence blocks a party and granting it again
     * unblocks it, without governance. Refused for a revoked party (that is final).
     * @param partyId The licensed party.
     * @param grant Kind, document hash, issuer and expiry.
     */
    function grantLicence(uint64 partyId, LicenceGrant calldata grant) external;

    /**
     * @notice Revokes a licence; the party cannot act until it is granted again.
     * Refused for a revoked party (that is final).
     * @param partyId The licensed party.
     * @param kind The licence to revoke.
     */
    function revokeLicence(uint64 partyId, LicenceKind kind) external;

    // ==== MEMBERS (the party's admins) ====

    /**
     * @notice Enrols `account` in `partyId` with `role`. Caller: an active admin of that party.
     * @param partyId The caller's party.
     * @param account An account with no member record anywhere, not reserved for a pending
     * admission ({reserveAccount}).
     * @param role Admin, Operator, QA or Device.
     */
    function addMember(uint64 partyId, address account, Role role) external;

    /**
     * @notice Removes `account` from `partyId`. Caller: an active admin of that party.
     * @param partyId The caller's party.
     * @param account An active member that is not the party's primary admin.
     */
    function removeMember(uint64 partyId, address account) external;

    /**
     * @notice Replaces `previous` by `account` (key rotation), keeping role and history.
     * Caller: an active admin of that party, or the governor. Any admin may rotate any
     * member's key except the primary admin's, which only that key itself rotates (a
     * secondary admin cannot take the party over); a lost primary key is replaced by the
     * governor, through a proposal. A rotated primary key stays primary. The new key must be
     * fresh and not reserved for a pending admission.
     * @param partyId The caller's party.
     * @param previous The active member whose key is replaced.
     * @param account The new key, with no member record anywhere.
     */
    function rotateMember(uint64 partyId, address previous, address account) external;

    // ==== CHECKS (called by every MedState contract) ====

    /**
     * @notice Reverts, with the error {admitParty} would give, unless `admission` can
     * be admitted now. Lets the governor refuse a proposal that could never execute.
     */
    function checkAdmission(PartyAdmission calldata admission) external view;

    /**
     * @notice Reverts, with the error {setPartyStatus} would give, unless the status
     * change is allowed now. Lets the governor refuse a proposal that could never execute.
     */
    function checkStatusTransition(uint64 partyId, PartyStatus status) external view;

    /**
     * @notice Reverts, with the error {setVoter} would give, unless the voter change is
     * allowed now.
     */
    function checkVoterChange(uint64 partyId, bool voter) external view;

    /**
     * @notice Reverts unless `account` is an active member, with a role in `roleMask`,
     * of an active party with valid licences in a domain in `domainMask`. O(1).
     * @param account The account to check.
     * @param roleMask Bitmap of allowed roles: bit `uint8(role)`.
     * @param domainMask Bitmap of allowed domains: bit `uint8(domain)`.
     * @return partyId The account's party.
     * @return domain That party's domain.
     */
    function requireMember(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) external view returns (uint64 partyId, Domain domain);

    /**
     * @notice Reverts unless `partyId` is an active party with valid licences in a
     * domain in `domainMask` (for counterparties: the receiver of a shipment). O(1).
     * @return domain The party's domain.
     */
    function requireParty(uint64 partyId, uint256 domainMask) external view returns (Domain domain);

    /**
     * @notice The same check as {requireMember}, answering instead of reverting.
     * @return allowed Whether `account` may act.
     * @return partyId The account's party (0 when it has none).
     */
    function isAuthorized(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) external view returns (bool allowed, uint64 partyId);

    /**
     * @notice Whether a party may act now: active, no revoked licence, none expired.
     */
    function isPartyActive(uint64 partyId) external view returns (bool);

    // ==== VIEWS ====

    /// @notice The attached membership mirrors (a detach moves the last one into the gap).
    function mirrors() external view returns (address[] memory);

    /// @notice The governor.
    function governor() external view returns (address);

    /// @notice How many parties were ever admitted; ids run from 1 to this.
    function partyCount() external view returns (uint64);

    /// @notice Voter parties whose status is Active (the ones that can vote).
    function activeVoterCount() external view returns (uint256);

    /// @notice Voter parties whose status is Suspended.
    function suspendedVoterCount() external view returns (uint256);

    /// @notice Voter parties a regulator suspended on its own (not by governance).
    function regulatorSuspendedVoterCount() external view returns (uint256);

    /// @notice The `n` of the governance threshold: active voters plus the voters a regulator
    /// suspended on its own. Only governance's own decisions (suspending, revoking, removing
    /// a voter) lower it.
    function thresholdVoterCount() external view returns (uint256);

    /// @notice Until when `account` is reserved for a pending admission (0: never).
    function reservedUntil(address account) external view returns (uint48);

    /// @notice Whether the party is in the voting set (counted only while Active).
    function isVoter(uint64 partyId) external view returns (bool);

    /// @notice Whether the party counts in {thresholdVoterCount} (a voter that is active, or
    /// that a regulator suspended on its own), and its domain.
    function countedVoter(uint64 partyId) external view returns (bool counted, Domain domain);

    /// @notice A party record; reverts for an unknown id.
    function getParty(uint64 partyId) external view returns (Party memory);

    /// @notice A member record (zeroes when the account never was a member).
    function getMember(address account) external view returns (Member memory);

    /// @notice A licence record (zeroes when never granted).
    function getLicence(uint64 partyId, LicenceKind kind) external view returns (Licence memory);
}
