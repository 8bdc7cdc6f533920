// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

import {ConsortiumGovernor} from "../../../contracts/governance/ConsortiumGovernor.sol";
import {ConsortiumRegistry} from "../../../contracts/identity/ConsortiumRegistry.sol";
import {IConsortiumGovernor} from "../../../contracts/interfaces/IConsortiumGovernor.sol";
import {IConsortiumRegistry} from "../../../contracts/interfaces/IConsortiumRegistry.sol";
import {TestBase} from "./Vm.sol";

/// Party `partyId`'s primary admin in every fixture here.
function partyAdmin(uint64 partyId) pure returns (address) {
    return address(uint160(0x1000 + uint256(partyId)));
}

/**
 * @title GovernanceFixture
 * @notice Deploys the registry and the governor as ERC-1967 proxies, the way the
 * Ignition module does, with this contract as the bootstrapper that binds the
 * governor. Party 1 is a voting regulator, parties 2..voters voting manufacturers,
 * then `nonVoters` logistics parties that do not vote. Party `p`'s primary admin is
 * `address(uint160(0x1000 + p))`. No party holds a licence, so none expires.
 */
abstract contract GovernanceFixture is TestBase {
    uint48 internal constant VOTING_PERIOD = 7 days;
    uint256 internal constant ADMIT_ONLY = 1 << uint8(IConsortiumGovernor.ProposalKind.AdmitParty);

    ConsortiumRegistry internal registry;
    ConsortiumGovernor internal governor;
    ConsortiumGovernor internal governorImpl;
    uint256 internal voterCount;
    uint256 internal partyTotal;

    function _deploy(uint256 voters, uint256 nonVoters) internal {
        partyTotal = voters + nonVoters;
        voterCount = voters;
        IConsortiumRegistry.PartyAdmission[] memory founders = new IConsortiumRegistry.PartyAdmission[](partyTotal);
        for (uint256 i = 0; i < partyTotal; ++i) {
            uint64 partyId = uint64(i + 1);
            IConsortiumRegistry.Domain domain =
                i == 0
                    ? IConsortiumRegistry.Domain.Regulator
                    : (i < voters ? IConsortiumRegistry.Domain.Manufacturer : IConsortiumRegistry.Domain.Logistics);
            founders[i] = IConsortiumRegistry.PartyAdmission({
                name: "Founder",
                domain: domain,
                admin: _admin(partyId),
                voter: i < voters,
                licences: new IConsortiumRegistry.LicenceGrant[](0)
            });
        }
        ConsortiumRegistry registryImpl = new ConsortiumRegistry();
        registry = ConsortiumRegistry(
            address(new ERC1967Proxy(address(registryImpl), abi.encodeCall(ConsortiumRegistry.initialize, (founders))))
        );
        governorImpl = new ConsortiumGovernor();
        governor = ConsortiumGovernor(
            address(
                new ERC1967Proxy(
                    address(governorImpl),
                    abi.encodeCall(ConsortiumGovernor.initialize, (registry, _params(VOTING_PERIOD, ADMIT_ONLY)))
                )
            )
        );
        registry.setGovernor(address(governor));
    }

    // ==== HELPERS ====

    function _admin(uint64 partyId) internal pure returns (address) {
        return partyAdmin(partyId);
    }

    function _params(uint48 period, uint256 kinds) internal pure returns (IConsortiumGovernor.Parameters memory) {
        return IConsortiumGovernor.Parameters({votingPeriod: period, regulatorApprovalKinds: kinds});
    }

    /// BFT threshold computed independently of the contract: the least t with 3t > 2n.
    function _expectedThreshold(uint256 n) internal pure returns (uint256) {
        return n == 0 ? 0 : (2 * n) / 3 + 1;
    }

    function _admission(address admin) internal pure returns (IConsortiumRegistry.PartyAdmission memory) {
        return
            IConsortiumRegistry.PartyAdmission({
                name: "Newcomer",
                domain: IConsortiumRegistry.Domain.Pharmacy,
                admin: admin,
                voter: false,
                licences: new IConsortiumRegistry.LicenceGrant[](0)
            });
    }

    function _proposeVoter(uint64 proposer, uint64 partyId, bool voter) internal returns (uint256 id) {
        vm.prank(_admin(proposer));
        id = governor.proposeVoter(partyId, voter);
    }

    function _proposeParams(uint64 proposer, uint48 period) internal returns (uint256 id) {
        vm.prank(_admin(proposer));
        id = governor.proposeParameters(_params(period, ADMIT_ONLY));
    }

    function _vote(uint64 partyId, uint256 proposalId) internal returns (bool executed) {
        vm.prank(_admin(partyId));
        executed = governor.vote(proposalId);
    }

    /// Votes with parties `from..to` (inclusive), returning whether the last vote executed.
    function _voteRange(uint256 proposalId, uint64 from, uint64 to) internal returns (bool executed) {
        for (uint64 p = from; p <= to; ++p) executed = _vote(p, proposalId);
    }

    function _expectRevert(bytes4 selector) internal {
        vm.expectRevert(abi.encodeWithSelector(selector));
    }
}
