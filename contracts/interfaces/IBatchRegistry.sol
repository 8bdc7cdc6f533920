// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IBulkCustody} from "./IBulkCustody.sol";
import {ICustody} from "./ICustody.sol";
import {IMembershipMirror} from "./IMembershipMirror.sol";
import {IProductRegistry} from "./IProductRegistry.sol";

/**
 * @title IBatchRegistry
 * @notice The supply ledger at the BatchRegistry proxy: products, batches, their serialised
 * units and the custody ledger ({ISupplyLedger} describes the ledger and its types, events
 * and errors). Integrators use this interface at the proxy's address.
 *
 * Behind the proxy, `BatchRegistry` runs the hot paths ({ICustody}: ship, receive,
 * dispense, verify) and routes every other selector, by a fixed selector table, to one of
 * four code objects that run on the same storage: the product registry ({IProductRegistry}),
 * the quality engine ({IQualityEngine}), the collaboration engine
 * ({ICollaborationEngine}, {ISuspectProduct}) and baskets and pallets ({IBulkCustody}).
 * {ICustody-moduleOf} says which runs a selector.
 *
 * Membership is checked against a mirror of the consortium registry that the registry keeps
 * up to date ({IMembershipMirror}).
 *
 * Party ids are `uint64` in every function and event; storage packs them into 48 bits
 * (shipments) and 24 bits (unit records, a batch's manufacturer), checked with SafeCast: a
 * party whose id does not fit (beyond 16,777,215 admissions) cannot take part in unit writes.
 */
// solhint-disable-next-line no-empty-blocks
interface IBatchRegistry is ICustody, IBulkCustody, IProductRegistry, IMembershipMirror {}
