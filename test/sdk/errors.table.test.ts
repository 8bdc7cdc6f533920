/**
 * Every custom error of every MedState contract (the combined ABI: registry, mirror,
 * governor, BatchRegistry and the code behind its proxy — ProductRegistry, QualityEngine,
 * CollaborationEngine, BulkCustody — and the library errors they can raise), rendered
 * through the SDK's one decoder: sample arguments and the exact line a person reads.
 * A new error without a row here fails the suite, and so does a row whose error is gone.
 */
import { expect } from "chai";
import { type ErrorFragment, getAddress, toBeHex, zeroPadValue } from "ethers";

import { medstateInterface } from "../../sdk/contracts.js";
import { decodeErrorData, explainError } from "../../sdk/errors.js";
import {
  CaseStatus,
  Domain,
  LicenceKind,
  PartyStatus,
  Point,
  Role,
  ShipmentStatus,
  StateKind,
  UnitStatus,
} from "../../sdk/enums.js";

const iface = medstateInterface();

const ACCOUNT = getAddress("0x" + "ab".repeat(20));
const TARGET = getAddress("0x" + "cd".repeat(20));
const BATCH = `0x${"12".repeat(32)}`;
const SHIPMENT = `0x${"34".repeat(32)}`;
const CASE = `0x${"56".repeat(32)}`;
const HASH = `0x${"78".repeat(32)}`;
const OTHER_HASH = `0x${"9a".repeat(32)}`;
const ZERO_HASH = `0x${"00".repeat(32)}`;
/** 2026-11-29T00:12:24Z, in seconds. */
const DATE = 1_795_911_144n;
const ISO = "2026-11-29T00:12:24.000Z";
const DAY = 86_400n;
/** A GTIN whose leading digit is 0, so that dropping it shows. */
const GTIN = 6901234567892n;
const GTIN14 = "06901234567892";
/** The product subject `bytes32(uint256(gtin))`. */
const PRODUCT = zeroPadValue(toBeHex(GTIN), 32);
const DIRECT = "this code runs only behind the BatchRegistry proxy and was called at its own address: call the BatchRegistry proxy";
const ONLY_GOVERNOR = "only the consortium governor does this: propose it through governance";

/** Each error: sample arguments, and the exact message the decoder gives for them. */
const TABLE: Record<string, [args: unknown[], message: string]> = {
  // ==== Library and proxy errors (OpenZeppelin) ====
  AddressEmptyCode: [[TARGET], `AddressEmptyCode(target=${TARGET}): ${TARGET} has no code: the call needs a contract`],
  ERC1967InvalidImplementation: [
    [TARGET],
    `ERC1967InvalidImplementation(implementation=${TARGET}): ${TARGET} is no UUPS implementation (it has no code or no proxiableUUID)`,
  ],
  ERC1967NonPayable: [[], "ERC1967NonPayable(): the upgrade sent ether without an initialisation call to receive it"],
  FailedCall: [[], "FailedCall(): a call to another contract failed without a reason"],
  InsufficientBalance: [[5n, 7n], "InsufficientBalance(balance=5, needed=7): the contract holds 5 wei, less than the 7 wei the call sends"],
  InvalidInitialization: [[], "InvalidInitialization(): the contract is already initialised (an implementation never is: initialise its proxy)"],
  NotInitializing: [[], "NotInitializing(): this function runs only inside the contract's initialiser"],
  UUPSUnauthorizedCallContext: [
    [],
    "UUPSUnauthorizedCallContext(): an upgrade is called through the proxy, not at the implementation's own address",
  ],
  UUPSUnsupportedProxiableUUID: [
    [HASH],
    `UUPSUnsupportedProxiableUUID(slot=${HASH}): the new implementation's proxiableUUID is not the ERC-1967 implementation slot: it is no UUPS implementation`,
  ],
  SafeCastOverflowedUintDowncast: [[48, 2n ** 48n], `SafeCastOverflowedUintDowncast(bits=48, value=${2n ** 48n}): ${2n ** 48n} does not fit in 48 bits`],
  InvalidAccountNonce: [
    [ACCOUNT, 4n],
    `InvalidAccountNonce(account=${ACCOUNT}, currentNonce=4): the signature was made over another nonce: ${ACCOUNT}'s next nonce is 4`,
  ],
  InvalidShortString: [[], "InvalidShortString(): a string longer than 31 bytes was given where a short string is kept"],
  StringTooLong: [["x".repeat(40)], `StringTooLong(str=${"x".repeat(40)}): the string is longer than 31 bytes`],
  MerkleProofInvalidMultiproof: [
    [],
    "MerkleProofInvalidMultiproof(): the multiproof's proof and flags do not fit the units given: build it again from the batch's units file",
  ],

  // ==== ConsortiumRegistry ====
  RegistryAccountReserved: [
    [ACCOUNT, DATE],
    `RegistryAccountReserved(account=${ACCOUNT}, until=${ISO}): ${ACCOUNT} is the admin named by a pending admission: no party may enrol it before ${ISO}`,
  ],
  RegistryAccountTaken: [[ACCOUNT, 8n], `RegistryAccountTaken(account=${ACCOUNT}, partyId=8)`],
  RegistryDomainNotAllowed: [[3n, Domain.Wholesaler], "RegistryDomainNotAllowed(partyId=3, domain=wholesaler)"],
  RegistryDuplicateLicence: [
    [LicenceKind.GoodSupplyPractice],
    "RegistryDuplicateLicence(kind=gsp): a party carries at most one licence of each kind, and gsp was given more than once",
  ],
  RegistryEmptyName: [[], "RegistryEmptyName(): a party needs a name"],
  RegistryGovernorAlreadySet: [[TARGET], `RegistryGovernorAlreadySet(governor=${TARGET})`],
  RegistryGovernorNotSet: [[], "RegistryGovernorNotSet(): the governor is not bound yet: the deployment is unfinished"],
  RegistryInsufficientGas: [
    [213_175n],
    "RegistryInsufficientGas(needed=213175): too little gas was left for the membership mirrors (213175 before each push): send it with a higher gas limit",
  ],
  RegistryInvalidDomain: [
    [Domain.None],
    "RegistryInvalidDomain(domain=none): a party needs a domain: one of " +
      "manufacturer, wholesaler, retailer, logistics, hospital, pharmacy, regulator, laboratory, notary",
  ],
  RegistryInvalidLicenceKind: [
    [LicenceKind.None],
    "RegistryInvalidLicenceKind(kind=none): a licence needs a kind: one of " +
      "manufacturing, gmp, distribution, gsp, medical-institution, laboratory, notarial",
  ],
  RegistryInvalidMirror: [
    [TARGET],
    `RegistryInvalidMirror(mirror=${TARGET}): ${TARGET} is no mirror of this registry: attaching it would make every later change revert`,
  ],
  RegistryInvalidRole: [[Role.None], "RegistryInvalidRole(role=none): a member needs a role: one of admin, operator, qa, device"],
  RegistryInvalidStatusTransition: [
    [3n, PartyStatus.Revoked, PartyStatus.Active],
    "RegistryInvalidStatusTransition(partyId=3, current=revoked, requested=active)",
  ],
  RegistryLastActiveVoter: [
    [1n],
    "RegistryLastActiveVoter(partyId=1): party 1 is the last active voter: without it governance could never act again",
  ],
  RegistryLicenceExpired: [
    [3n, DATE],
    `RegistryLicenceExpired(partyId=3, expiredAt=${ISO}): party 3 cannot act: one of its licences expired on ${ISO}; the regulator grants that licence anew`,
  ],
  RegistryLicenceExpiryInPast: [
    [DATE - DAY, DATE],
    `RegistryLicenceExpiryInPast(expiresAt=2026-11-28T00:12:24.000Z, now_=${ISO})`,
  ],
  RegistryLicenceRevoked: [
    [3n, 2],
    "RegistryLicenceRevoked(partyId=3, count=2): party 3 cannot act while it has 2 revoked licences: the regulator grants each revoked kind anew",
  ],
  RegistryMirrorAttached: [[TARGET], `RegistryMirrorAttached(mirror=${TARGET})`],
  RegistryNotMember: [[ACCOUNT], `RegistryNotMember(account=${ACCOUNT})`],
  RegistryNotPartyAdmin: [[2n, ACCOUNT], `RegistryNotPartyAdmin(partyId=2, account=${ACCOUNT})`],
  RegistryNotPartyMember: [[2n, ACCOUNT], `RegistryNotPartyMember(partyId=2, account=${ACCOUNT})`],
  RegistryOnlyBootstrapper: [[ACCOUNT], `RegistryOnlyBootstrapper(caller=${ACCOUNT}): only the account that initialised the registry binds its governor`],
  RegistryOnlyGovernor: [[ACCOUNT], `RegistryOnlyGovernor(caller=${ACCOUNT}): ${ONLY_GOVERNOR}`],
  RegistryPartyNotActive: [[3n, PartyStatus.Suspended], "RegistryPartyNotActive(partyId=3, status=suspended)"],
  RegistryPrimaryAdminRemoval: [
    [8n, ACCOUNT],
    `RegistryPrimaryAdminRemoval(partyId=8, account=${ACCOUNT}): party 8's primary admin can be rotated to a new key but not removed`,
  ],
  RegistryPrimaryAdminRotation: [
    [8n, ACCOUNT],
    `RegistryPrimaryAdminRotation(partyId=8, caller=${ACCOUNT}): party 8's primary admin key is rotated only by that key itself or by a governance proposal`,
  ],
  RegistryRoleNotAllowed: [[ACCOUNT, Role.Device], `RegistryRoleNotAllowed(account=${ACCOUNT}, role=device)`],
  RegistrySelfSuspension: [[1n], "RegistrySelfSuspension(partyId=1): a regulator cannot suspend its own party (1)"],
  RegistryThresholdUnreachable: [
    [5n, 2n, 3n],
    "RegistryThresholdUnreachable(partyId=5, active=2, threshold=3): without party 5 only 2 active voters would remain, " +
      "fewer than the 3 approvals governance needs: reinstate a suspended voter first",
  ],
  RegistryTooManyMirrors: [
    [8n],
    "RegistryTooManyMirrors(limit=8): at most 8 mirrors can be attached (every change is pushed to each): detach one first",
  ],
  RegistryUnknownLicence: [[3n, LicenceKind.Distribution], "RegistryUnknownLicence(partyId=3, kind=distribution)"],
  RegistryUnknownMirror: [[TARGET], `RegistryUnknownMirror(mirror=${TARGET})`],
  RegistryUnknownParty: [[99n], "RegistryUnknownParty(partyId=99)"],
  RegistryVoterSuspensionLimit: [[3n, 1n, 1n], "RegistryVoterSuspensionLimit(partyId=3, suspended=1, limit=1)"],
  RegistryVoterUnchanged: [[4n, true], "RegistryVoterUnchanged(partyId=4, voter=true): party 4 already is a voter"],
  RegistryZeroAddress: [[], "RegistryZeroAddress(): an address argument was the zero address"],

  // ==== MembershipMirror ====
  MirrorOnlyRegistry: [[ACCOUNT], `MirrorOnlyRegistry(caller=${ACCOUNT})`],
  MirrorRegistryChanged: [
    [TARGET, ACCOUNT],
    `MirrorRegistryChanged(implementation=${TARGET}, registry=${ACCOUNT}): a mirror's upgrade must keep mirroring ${ACCOUNT}: ${TARGET} was built for another registry`,
  ],
  MirrorZeroRegistry: [[], "MirrorZeroRegistry()"],

  // ==== ConsortiumGovernor ====
  GovernorAlreadyVoted: [[4n, 3n], "GovernorAlreadyVoted(proposalId=4, partyId=3)"],
  GovernorCallSimulated: [
    [HASH],
    `GovernorCallSimulated(call=${HASH}): the simulated call succeeded (only the governor simulates calls, and the simulation always reverts)`,
  ],
  GovernorCallWouldFail: [
    [TARGET, iface.encodeErrorResult("RegistryUnknownParty", [99n])],
    `GovernorCallWouldFail(target=${TARGET}, reason=RegistryUnknownParty(partyId=99)): the call, run now as the governor, fails: nobody can vote it through`,
  ],
  GovernorInvalidStatus: [
    [PartyStatus.None],
    "GovernorInvalidStatus(status=none): a proposal sets a party suspended, active (reinstated) or revoked, not none",
  ],
  GovernorInvalidVotingPeriod: [
    [1_800n],
    "GovernorInvalidVotingPeriod(votingPeriod=1800): a voting period is 1 hour to 365 days, and 1800 seconds is 30 minutes",
  ],
  GovernorNotAContract: [[ACCOUNT], `GovernorNotAContract(account=${ACCOUNT}): ${ACCOUNT} has no code: an upgrade or call needs a contract`],
  GovernorNotApproved: [
    [4n, 3n, 4n, true],
    "GovernorNotApproved(proposalId=4, approvals=3, threshold=4, regulatorApproved=true): " +
      "proposal 4 has 3 of the 4 approvals the voter set in force now requires (approvals of parties no longer in the voter set do not count)",
  ],
  GovernorNotVoter: [[6n], "GovernorNotVoter(partyId=6)"],
  GovernorOnlySelf: [[ACCOUNT], `GovernorOnlySelf(caller=${ACCOUNT}): only the governor itself does this, through an executed proposal`],
  GovernorProposalExecuted: [[4n], "GovernorProposalExecuted(proposalId=4)"],
  GovernorProposalExpired: [[4n, DATE], `GovernorProposalExpired(proposalId=4, expiresAt=${ISO})`],
  GovernorUnknownProposal: [[9n], "GovernorUnknownProposal(proposalId=9)"],
  GovernorUseTypedProposal: [
    [iface.getFunction("reserveAccount")!.selector],
    `GovernorUseTypedProposal(selector=${iface.getFunction("reserveAccount")!.selector} (reserveAccount))`,
  ],
  GovernorZeroAddress: [[], "GovernorZeroAddress(): an address argument was the zero address"],

  // ==== BatchRegistry (proxy) and ProductRegistry ====
  BatchRegistryDirectCall: [[], `BatchRegistryDirectCall(): ${DIRECT}`],
  BatchRegistryOnlyGovernor: [[ACCOUNT], `BatchRegistryOnlyGovernor(caller=${ACCOUNT}): ${ONLY_GOVERNOR}`],
  BatchRegistryUnknownFunction: [
    ["0x01020304"],
    "BatchRegistryUnknownFunction(selector=0x01020304): no module behind the BatchRegistry proxy has this function: " +
      "the deployment is older or newer than this SDK",
  ],
  BatchRegistryInvalidGtin: [[6901234567890n], "BatchRegistryInvalidGtin(gtin=06901234567890): a GTIN is 14 digits whose last is its GS1 check digit"],
  BatchRegistryInvalidNationalCode: [
    [12_345_678n],
    "BatchRegistryInvalidNationalCode(nationalCode=12345678): a national product code has at most 7 digits",
  ],
  BatchRegistryProductExists: [[GTIN], `BatchRegistryProductExists(gtin=${GTIN14})`],
  BatchRegistryNationalCodeTaken: [[8_123_456n, GTIN], `BatchRegistryNationalCodeTaken(nationalCode=8123456, gtin=${GTIN14})`],
  BatchRegistryEmptyField: [["lot"], "BatchRegistryEmptyField(field=lot)"],
  BatchRegistryUnknownProduct: [[GTIN], `BatchRegistryUnknownProduct(gtin=${GTIN14})`],
  BatchRegistryUnknownApplication: [
    [GTIN, 5n],
    `BatchRegistryUnknownApplication(gtin=${GTIN14}, applicant=5): party 5 has no pending application for product ${GTIN14} (it applies with \`product register\`)`,
  ],
  BatchRegistryApplicationChanged: [
    [GTIN, 5n, HASH, OTHER_HASH],
    `BatchRegistryApplicationChanged(gtin=${GTIN14}, applicant=5, approved=${HASH}, current=${OTHER_HASH}): ` +
      `party 5 replaced its application for product ${GTIN14} after it was examined: examine it again (\`product applications\`) and approve the current one`,
  ],
  BatchRegistryNotProductHolder: [[GTIN, 8n], `BatchRegistryNotProductHolder(gtin=${GTIN14}, party=8)`],
  BatchRegistryBatchExists: [[BATCH], `BatchRegistryBatchExists(batchId=${BATCH})`],
  BatchRegistryInvalidDates: [
    [DATE, DATE - DAY],
    `BatchRegistryInvalidDates(manufacturedAt=${ISO}, expiresAt=2026-11-28T00:12:24.000Z): ` +
      "a batch expires after its manufacture date, and that date is not in the future",
  ],
  BatchRegistryExpiryInPast: [[DATE - DAY, DATE], `BatchRegistryExpiryInPast(expiresAt=2026-11-28T00:12:24.000Z, now_=${ISO})`],
  BatchRegistryZeroQuantity: [[], "BatchRegistryZeroQuantity()"],
  BatchRegistryInvalidUnits: [
    [HASH, 1_001n, 1_000n],
    `BatchRegistryInvalidUnits(unitsRoot=${HASH}, unitCount=1001, quantity=1000): 1001 unit codes are more than the batch's quantity of 1000 units`,
  ],
  BatchRegistryUnknownBatch: [[BATCH], `BatchRegistryUnknownBatch(batchId=${BATCH})`],
  BatchRegistryNotReleased: [[BATCH], `BatchRegistryNotReleased(batchId=${BATCH})`],
  BatchRegistryAlreadyReleased: [[BATCH], `BatchRegistryAlreadyReleased(batchId=${BATCH})`],
  BatchRegistryNotInspected: [
    [BATCH],
    `BatchRegistryNotInspected(batchId=${BATCH}): its latest inspection is not a normal one: a normal inspection is recorded before the batch is released`,
  ],
  BatchRegistryNotManufacturer: [[BATCH, 3n], `BatchRegistryNotManufacturer(batchId=${BATCH}, party=3)`],
  BatchRegistryBatchExpired: [[BATCH, DATE], `BatchRegistryBatchExpired(batchId=${BATCH}, expiresAt=${ISO})`],
  BatchRegistryInsufficientStock: [
    [BATCH, 3n, 25n, 26n],
    `BatchRegistryInsufficientStock(batchId=${BATCH}, party=3, available=25, requested=26): ` +
      "party 3 has 25 units of the batch available (held, less its locked units), fewer than the 26 requested",
  ],
  BatchRegistrySelfShipment: [[3n], "BatchRegistrySelfShipment(party=3)"],
  BatchRegistryUnknownShipment: [[BATCH, SHIPMENT], `BatchRegistryUnknownShipment(batchId=${BATCH}, shipmentId=${SHIPMENT})`],
  BatchRegistryShipmentClosed: [[SHIPMENT, ShipmentStatus.Received], `BatchRegistryShipmentClosed(shipmentId=${SHIPMENT}, status=received)`],
  BatchRegistryNotShipmentParty: [[SHIPMENT, 3n], `BatchRegistryNotShipmentParty(shipmentId=${SHIPMENT}, party=3)`],
  BatchRegistryInvalidProof: [
    [BATCH, 7n],
    `BatchRegistryInvalidProof(batchId=${BATCH}, index=7): the proof does not show that unit 7 with this code belongs to the batch: ` +
      "check the code and the batch's units file",
  ],
  BatchRegistryUnitLocked: [
    [BATCH, 9n],
    `BatchRegistryUnitLocked(batchId=${BATCH}, index=9): unit 9 is locked: it is dispensed only after it is reactivated`,
  ],
  BatchRegistryInvalidUnitTransition: [
    [BATCH, 9n, UnitStatus.Dispensed, UnitStatus.Stolen],
    `BatchRegistryInvalidUnitTransition(batchId=${BATCH}, index=9, current=dispensed, requested=stolen)`,
  ],
  BatchRegistryNotUnitParty: [[BATCH, 9n, 6n], `BatchRegistryNotUnitParty(batchId=${BATCH}, index=9, party=6)`],
  BatchRegistryUndoWindowClosed: [
    [BATCH, 7n, 0n],
    `BatchRegistryUndoWindowClosed(batchId=${BATCH}, index=7, deadline=none): undoing a dispense is disabled (an undo window of 0)`,
  ],
  BatchRegistryInvalidUndoWindow: [
    [31n * DAY, 30n * DAY],
    "BatchRegistryInvalidUndoWindow(window=2678400, max=2592000): an undo window is at most 30 days, and 2678400 seconds is 31 days",
  ],
  BatchRegistryHalted: [[BATCH, 2], `BatchRegistryHalted(batchId=${BATCH}, state=Recall)`],
  BatchRegistryDispensedInBasket: [
    [BATCH, 4n],
    `BatchRegistryDispensedInBasket(batchId=${BATCH}, index=4): unit 4 was dispensed in a basket: ` +
      "only that basket's undo, by the party that dispensed it, or a regulator's restore undoes it",
  ],

  // ==== BulkCustody ====
  BatchRegistryInvalidBasketSize: [
    [257n, 256n],
    "BatchRegistryInvalidBasketSize(count=257, max=256): a basket holds 1 to 256 units, and each of its batches at least one",
  ],
  BatchRegistryUnknownBasket: [[HASH], `BatchRegistryUnknownBasket(basketId=${HASH}): the caller's party has no basket with this id open to undo`],
  BatchRegistryBasketMismatch: [[HASH], `BatchRegistryBasketMismatch(basketId=${HASH}): the units restated are not the ones the basket's commitment holds`],
  BatchRegistryBasketUndoClosed: [[HASH, DATE], `BatchRegistryBasketUndoClosed(basketId=${HASH}, deadline=${ISO})`],
  BatchRegistryInvalidBasketPosition: [
    [3n, 3n],
    "BatchRegistryInvalidBasketPosition(position=3, count=3): the positions to undo must be increasing and below the basket's 3 units",
  ],
  BatchRegistryBasketUnitChanged: [
    [HASH, BATCH, 4n],
    `BatchRegistryBasketUnitChanged(basketId=${HASH}, batchId=${BATCH}, index=4): ` +
      "unit 4 of the batch changed since the basket dispensed it (a regulator restored it): the basket can no longer undo it",
  ],
  BatchRegistryInvalidLineCount: [[0n, 256n], "BatchRegistryInvalidLineCount(count=0, max=256): a pallet carries 1 to 256 lines"],
  BatchRegistryUnknownPallet: [[SHIPMENT], `BatchRegistryUnknownPallet(palletId=${SHIPMENT})`],
  BatchRegistryPalletMismatch: [
    [SHIPMENT],
    `BatchRegistryPalletMismatch(palletId=${SHIPMENT}): the lines restated are not the ones the pallet was shipped with`,
  ],

  // ==== QualityEngine ====
  QualityEnginePointNotAllowed: [[BATCH, Point.Adverse, 6n], `QualityEnginePointNotAllowed(subject=${BATCH}, point=adverse, party=6)`],
  QualityEngineNotDelivered: [[BATCH, 5n], `QualityEngineNotDelivered(batchId=${BATCH}, party=5)`],
  QualityEngineInvalidCorrection: [
    [PRODUCT, 4n, 3n],
    `QualityEngineInvalidCorrection(subject=${GTIN14}, corrects=4, count=3): ` +
      "the subject's earlier observations are numbered 1 to 3, so observation 4 cannot be corrected",
  ],
  QualityEngineInvalidHumidity: [[10_050n], "QualityEngineInvalidHumidity(humidity=100.50 %): a relative humidity is 0 to 100 %"],
  QualityEngineSignatureExpired: [[ACCOUNT, DATE], `QualityEngineSignatureExpired(device=${ACCOUNT}, deadline=${ISO})`],
  QualityEngineInvalidSignature: [
    [ACCOUNT, TARGET],
    `QualityEngineInvalidSignature(device=${ACCOUNT}, signer=${TARGET}): the signature was made by ${TARGET}, not by the device ${ACCOUNT} (or over another nonce)`,
  ],
  QualityEngineInvalidRules: [["ruleContract"], "QualityEngineInvalidRules(field=ruleContract)"],
  QualityEngineRulesLocked: [
    [GTIN],
    `QualityEngineRulesLocked(gtin=${GTIN14}): product ${GTIN14}'s rules are set: changing them needs a governance proposal`,
  ],
  QualityEngineInsufficientGas: [
    [50_000n],
    "QualityEngineInsufficientGas(needed=50000): too little gas was left for the product's rule contract (50000 needed): send it with a higher gas limit",
  ],

  // ==== CollaborationEngine (states, recalls, destructions) ====
  CollaborationDirectCall: [[], `CollaborationDirectCall(): ${DIRECT}`],
  CollaborationOnlyGovernor: [[ACCOUNT], `CollaborationOnlyGovernor(caller=${ACCOUNT}): ${ONLY_GOVERNOR}`],
  CollaborationUnknownSubject: [[PRODUCT], `CollaborationUnknownSubject(subject=${GTIN14})`],
  CollaborationUnknownState: [[9], "CollaborationUnknownState(state=9)"],
  CollaborationTransitionNotAllowed: [[BATCH, 3, 0], `CollaborationTransitionNotAllowed(subject=${BATCH}, from=Destroyed, state=Marketed)`],
  CollaborationUnmetPrerequisite: [[BATCH, 3, 6], `CollaborationUnmetPrerequisite(subject=${BATCH}, state=Destroyed, missing=EmergencyStop+Recall)`],
  CollaborationActorNotAllowed: [[PRODUCT, 4, 6n], `CollaborationActorNotAllowed(subject=${GTIN14}, state=Deregistered, party=6)`],
  CollaborationWrongScope: [[PRODUCT, 2], `CollaborationWrongScope(subject=${GTIN14}, state=Recall): Recall does not apply to a product`],
  CollaborationWrongKind: [
    [2, StateKind.Recall],
    "CollaborationWrongKind(state=Recall, kind=recall): Recall is a recall state: it is entered by a recall, not by a transition",
  ],
  CollaborationInvalidLevel: [[4], "CollaborationInvalidLevel(level=4): a recall level is 1, 2 or 3 (class I, II or III)"],
  CollaborationNoStateOfKind: [[StateKind.Disposal], "CollaborationNoStateOfKind(kind=disposal): the state graph has no disposal state"],
  CollaborationNoOpenRecall: [[BATCH], `CollaborationNoOpenRecall(batchId=${BATCH})`],
  CollaborationInsufficientQuarantine: [
    [BATCH, 95n, 96n],
    `CollaborationInsufficientQuarantine(batchId=${BATCH}, quarantined=95, requested=96): the batch's quarantine holds 95 units, fewer than the 96 requested`,
  ],
  CollaborationUnknownDestruction: [[BATCH, HASH], `CollaborationUnknownDestruction(batchId=${BATCH}, destructionId=${HASH})`],
  CollaborationDestructionClosed: [[HASH], `CollaborationDestructionClosed(destructionId=${HASH}): the destruction was already witnessed`],
  CollaborationInvalidGraph: [[5n, "severity"], "CollaborationInvalidGraph(index=5, field=severity)"],
  CollaborationInvalidRecallPeriod: [
    [2, 400n * DAY],
    "CollaborationInvalidRecallPeriod(level=2, period=34560000): a recall period is 1 second to 365 days, and level 2's 34560000 seconds is 400 days",
  ],

  // ==== Suspect cases ====
  SuspectUnknownCase: [[CASE], `SuspectUnknownCase(caseId=${CASE})`],
  SuspectWrongStatus: [
    [CASE, CaseStatus.Quarantined, CaseStatus.Investigating],
    `SuspectWrongStatus(caseId=${CASE}, status=quarantined, expected=investigating)`,
  ],
  SuspectNotAllowed: [[CASE, 2n], `SuspectNotAllowed(caseId=${CASE}, party=2)`],
  SuspectInvalidUnit: [
    [BATCH, 50n, 50n],
    `SuspectInvalidUnit(batchId=${BATCH}, unit=50, unitCount=50): the batch has 50 unit codes (indexes 0 to 49): report a unit of it, or the whole batch`,
  ],
  SuspectAlreadyNotified: [[CASE], `SuspectAlreadyNotified(caseId=${CASE})`],
  SuspectZeroCodeHash: [[], "SuspectZeroCodeHash(): an unknown-code report names its code by the code's hash, and a zero hash names none"],
  SuspectInvalidCodeCount: [[257n, 256n], "SuspectInvalidCodeCount(count=257, max=256): an unknown-code report takes 1 to 256 codes at once, not 257"],
};

/** The same error with other arguments, where the rendering depends on them. */
const VARIANTS: [name: string, args: unknown[], message: string][] = [
  ["RegistryVoterUnchanged", [4n, false], "RegistryVoterUnchanged(partyId=4, voter=false): party 4 already is not a voter"],
  ["RegistryLicenceRevoked", [3n, 1], "RegistryLicenceRevoked(partyId=3, count=1): party 3 cannot act while it has 1 revoked licence: the regulator grants each revoked kind anew"],
  [
    "GovernorNotApproved",
    [4n, 3n, 3n, false],
    "GovernorNotApproved(proposalId=4, approvals=3, threshold=3, regulatorApproved=false): proposal 4 still needs a regulator's approval",
  ],
  ["GovernorInvalidVotingPeriod", [366n * DAY], "GovernorInvalidVotingPeriod(votingPeriod=31622400): a voting period is 1 hour to 365 days, and 31622400 seconds is 366 days"],
  ["BatchRegistryInvalidUndoWindow", [2_592_001n, 2_592_000n], "BatchRegistryInvalidUndoWindow(window=2592001, max=2592000): an undo window is at most 30 days, and 2592001 seconds is 2592001 seconds"],
  ["BatchRegistryUndoWindowClosed", [BATCH, 7n, DATE], `BatchRegistryUndoWindowClosed(batchId=${BATCH}, index=7, deadline=${ISO})`],
  [
    "BatchRegistryBasketUndoClosed",
    [HASH, 0n],
    `BatchRegistryBasketUndoClosed(basketId=${HASH}, deadline=none): undoing a dispense is disabled (an undo window of 0)`,
  ],
  ["BatchRegistryInvalidUnits", [ZERO_HASH, 10n, 10n], `BatchRegistryInvalidUnits(unitsRoot=${ZERO_HASH}, unitCount=10, quantity=10): unit codes need a units root`],
  ["BatchRegistryInvalidUnits", [HASH, 0n, 10n], `BatchRegistryInvalidUnits(unitsRoot=${HASH}, unitCount=0, quantity=10): a units root needs unit codes`],
  ["BatchRegistryInsufficientStock", [BATCH, 5n, 1n, 2n], `BatchRegistryInsufficientStock(batchId=${BATCH}, party=5, available=1, requested=2): party 5 has 1 unit of the batch available (held, less its locked units), fewer than the 2 requested`],
  ["QualityEngineInvalidCorrection", [BATCH, 1n, 0n], `QualityEngineInvalidCorrection(subject=${BATCH}, corrects=1, count=0): the subject has no earlier observation, so observation 1 cannot be corrected`],
  ["CollaborationWrongScope", [BATCH, 4], `CollaborationWrongScope(subject=${BATCH}, state=Deregistered): Deregistered does not apply to a batch`],
  [
    "CollaborationWrongKind",
    [3, StateKind.Disposal],
    "CollaborationWrongKind(state=Destroyed, kind=disposal): Destroyed is a disposal state: it is entered by a witnessed destruction, not by a transition",
  ],
  // A zero subject is no product: it keeps its hex.
  ["CollaborationUnknownSubject", [ZERO_HASH], `CollaborationUnknownSubject(subject=${ZERO_HASH})`],
  ["SuspectInvalidUnit", [BATCH, 3n, 0n], `SuspectInvalidUnit(batchId=${BATCH}, unit=3, unitCount=0): the batch has 0 unit codes: report a unit of it, or the whole batch`],
];

/** The names of the custom errors in the combined ABI (without Solidity's built-in Error and Panic). */
function abiErrorNames(): string[] {
  return iface.fragments
    .filter((f): f is ErrorFragment => f.type === "error")
    .map((f) => f.name)
    .sort();
}

describe("sdk/errors: every custom error of every contract, rendered for people", function () {
  it("has a row for every custom error in the combined ABI, and no row for an error that is gone", function () {
    const names = abiErrorNames();
    const rows = Object.keys(TABLE).sort();
    const unrendered = names.filter((n) => !(n in TABLE));
    const stale = rows.filter((n) => !names.includes(n));
    expect(unrendered, `errors without a rendering in the table: ${unrendered.join(", ")}`).to.deep.equal([]);
    expect(stale, `rows for errors no contract has: ${stale.join(", ")}`).to.deep.equal([]);
    expect(rows).to.deep.equal(names);
    expect(new Set(names).size, "an error name is declared twice with different arguments").to.equal(names.length);
  });

  describe("renders each error exactly as the table says", function () {
    for (const [name, [args, message]] of Object.entries(TABLE)) {
      it(`renders ${name}`, function () {
        const data = iface.encodeErrorResult(name, args);
        const decoded = decodeErrorData(data);
        expect(decoded.name).to.equal(name);
        expect(decoded.message).to.equal(message);
        // The CLI and integrators reach the same line through a thrown provider error.
        expect(explainError({ message: "execution reverted", info: { error: { data } } })).to.deep.equal(decoded);
      });
    }
  });

  describe("renders the errors whose line depends on their arguments", function () {
    for (const [name, args, message] of VARIANTS) {
      it(`renders ${name} with ${args.map(String).join(", ")}`, function () {
        expect(decodeErrorData(iface.encodeErrorResult(name, args)).message).to.equal(message);
      });
    }
  });
});
