// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";
import {IMembershipMirror} from "../interfaces/IMembershipMirror.sol";
import {Membership} from "../libraries/Membership.sol";

/**
 * @title MembershipGate
 * @notice The read side of the membership mirror ({MembershipMirror}): the mirrored
 * records' storage (ERC-7201 namespace `medstate.storage.MembershipMirror`) and the
 * checks that read it, without the functions the registry pushes through. Code that
 * runs on a mirror's storage by delegatecall (the quality engine) inherits this alone.
 */
abstract contract MembershipGate {
    // ==== TYPES ====

    /// @custom:storage-location erc7201:medstate.storage.MembershipMirror
    struct MirrorStorage {
        mapping(address account => IConsortiumRegistry.Member) members;
        mapping(uint64 partyId => IMembershipMirror.PartyGate) parties;
    }

    // ==== CONSTANTS ====

    // keccak256(abi.encode(uint256(keccak256("medstate.storage.MembershipMirror")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _MIRROR_SLOT = 0xcb197f7cae46ee9fb574a151fc3804323c462cf52793e6bfe5debc3da0817b00;

    // The role and domain sets the supply ledger and the engines both check, defined once.
    uint256 internal constant _ADMIN = 1 << uint8(IConsortiumRegistry.Role.Admin);
    uint256 internal constant _OPERATOR = 1 << uint8(IConsortiumRegistry.Role.Operator);
    uint256 internal constant _QA = 1 << uint8(IConsortiumRegistry.Role.QA);
    uint256 internal constant _MANUFACTURER = 1 << uint8(IConsortiumRegistry.Domain.Manufacturer);
    uint256 internal constant _REGULATOR = 1 << uint8(IConsortiumRegistry.Domain.Regulator);
    /// Domains that hold and move stock.
    uint256 internal constant _CUSTODIANS =
        _MANUFACTURER |
            (1 << uint8(IConsortiumRegistry.Domain.Wholesaler)) |
            (1 << uint8(IConsortiumRegistry.Domain.Retailer)) |
            (1 << uint8(IConsortiumRegistry.Domain.Logistics)) |
            (1 << uint8(IConsortiumRegistry.Domain.Hospital)) |
            (1 << uint8(IConsortiumRegistry.Domain.Pharmacy));

    // ==== STATE ====

    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IConsortiumRegistry private immutable _registry;

    // ==== CONSTRUCTOR ====

    constructor(IConsortiumRegistry registry_) {
        if (address(registry_) == address(0)) revert IMembershipMirror.MirrorZeroRegistry();
        _registry = registry_;
    }

    // ==== INTERNAL ====

    /// The registry's {IConsortiumRegistry-requireMember}, answered from the mirror:
    /// the same checks, in the same order, with the same errors. An account or party
    /// the mirror has not received is checked by the registry itself.
    function _requireMember(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) internal view returns (uint64 partyId, IConsortiumRegistry.Domain domain) {
        MirrorStorage storage $ = _mirror();
        IConsortiumRegistry.Member storage member = $.members[account];
        IConsortiumRegistry.MemberStatus status = member.status;
        partyId = member.partyId;
        IMembershipMirror.PartyGate storage party = $.parties[partyId];
        if (status == IConsortiumRegistry.MemberStatus.None || party.status == IConsortiumRegistry.PartyStatus.None) {
            return _registry.requireMember(account, roleMask, domainMask);
        }
        if (status != IConsortiumRegistry.MemberStatus.Active) revert IConsortiumRegistry.RegistryNotMember(account);
        Membership.checkCanAct(partyId, party.status, party.revokedLicences, party.licencesValidUntil);
        domain = party.domain;
        Membership.checkDomain(partyId, domain, domainMask);
        Membership.checkRole(account, member.role, roleMask);
    }

    /// The registry's {IConsortiumRegistry-requireParty}, answered from the mirror.
    function _requireParty(
        uint64 partyId,
        uint256 domainMask
    ) internal view returns (IConsortiumRegistry.Domain domain) {
        IMembershipMirror.PartyGate storage party = _mirror().parties[partyId];
        if (party.status == IConsortiumRegistry.PartyStatus.None) return _registry.requireParty(partyId, domainMask);
        Membership.checkCanAct(partyId, party.status, party.revokedLicences, party.licencesValidUntil);
        domain = party.domain;
        Membership.checkDomain(partyId, domain, domainMask);
    }

    /// The role of a member account, mirrored or, if never pushed, from the registry.
    function _memberRole(address account) internal view returns (IConsortiumRegistry.Role) {
        IConsortiumRegistry.Member storage member = _mirror().members[account];
        if (member.status != IConsortiumRegistry.MemberStatus.None) return member.role;
        return _registry.getMember(account).role;
    }

    /// Reverts unless `implementation` mirrors the same registry: for the upgrade check.
    function _checkSameRegistry(address implementation) internal view {
        address registry_ = address(_registry);
        if (!Membership.isMirrorOf(implementation, registry_))
            revert IMembershipMirror.MirrorRegistryChanged(implementation, registry_);
    }

    /// The consortium registry, for the contract's other calls (e.g. its governor).
    function _consortium() internal view returns (IConsortiumRegistry) {
        return _registry;
    }

    function _mirror() internal pure returns (MirrorStorage storage $) {
        assembly ("memory-safe") {
            $.slot := _MIRROR_SLOT
        }
    }
}
