// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";

/// @notice Test-only: stands in for the consortium registry behind a BatchRegistry and
/// answers its checks with the party ids a test assigns, including ids the real
/// registry (sequential from 1) would only reach after millions of admissions. Lets
/// tests reach BatchRegistry's width checks on party ids (SafeCast).
contract ConsortiumRegistryStub {
    struct Seat {
        uint64 partyId;
        IConsortiumRegistry.Domain domain;
    }

    mapping(address account => Seat) private _seats;
    mapping(uint64 partyId => IConsortiumRegistry.Domain) private _domains;
    address private _governor;

    /// @notice Makes `account` a member of `partyId`, a party in `domain`.
    function seat(address account, uint64 partyId, IConsortiumRegistry.Domain domain) external {
        _seats[account] = Seat({partyId: partyId, domain: domain});
        _domains[partyId] = domain;
    }

    /// @notice Sets the address {governor} answers.
    function setGovernor(address governor_) external {
        _governor = governor_;
    }

    /// @notice Like the registry's: the account's party, or RegistryNotMember. Masks are ignored.
    function requireMember(
        address account,
        uint256 roleMask,
        uint256 domainMask
    ) external view returns (uint64 partyId, IConsortiumRegistry.Domain domain) {
        (roleMask, domainMask);
        Seat memory s = _seats[account];
        if (s.partyId == 0) revert IConsortiumRegistry.RegistryNotMember(account);
        return (s.partyId, s.domain);
    }

    /// @notice Any party id is an active party; unseated ids are wholesalers. The mask is ignored.
    function requireParty(
        uint64 partyId,
        uint256 domainMask
    ) external view returns (IConsortiumRegistry.Domain domain) {
        (domainMask);
        domain = _domains[partyId];
        if (domain == IConsortiumRegistry.Domain.None) domain = IConsortiumRegistry.Domain.Wholesaler;
    }

    /// @notice A seated account is an active QA member of its party (the quality engine
    /// asks for the role of inspectors); anyone else has no record.
    function getMember(address account) external view returns (IConsortiumRegistry.Member memory member) {
        Seat memory s = _seats[account];
        if (s.partyId == 0) return member;
        return
            IConsortiumRegistry.Member(s.partyId, IConsortiumRegistry.Role.QA, IConsortiumRegistry.MemberStatus.Active);
    }

    /// @notice The governor set by {setGovernor}.
    function governor() external view returns (address) {
        return _governor;
    }
}
