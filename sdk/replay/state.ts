/**
 * The whole MedState state rebuilt from the event log alone, one log at a time.
 *
 * {@link StateReplayer} applies the logs of the three contract addresses (the
 * registry, the governor, the BatchRegistry — where the quality and collaboration
 * engines emit too) in chain order. It keeps **aggregates, not records**: an
 * observation moves a counter and a flag, never a stored row, so memory grows with the
 * number of parties, batches, shipments, dispensed units and cases, never with the
 * number of observations. The state is plain data (Maps, bigints) that
 * {@link canonicalJson} saves for a checkpoint or a snapshot and loads back.
 *
 * Custody is kept per batch and party as the contracts keep it (ISupplyLedger.Custody:
 * held, in transit, dispensed, suspended, locked, shipments), with the batch's own
 * dispensed, destroyed, lost and quarantined counters, so that every term of the
 * conservation law is rebuilt: Σ held + Σ in transit + dispensed + destroyed + lost +
 * quarantined + suspended = quantity. Every stock-moving event takes from the actor's
 * available stock (held less locked); a unit made active again gives back what its mark
 * took to the party its record names (a reactivation, an undone dispense, or a
 * regulator's restoration, which a UnitRestored must follow).
 *
 * Baskets and pallets ({IBulkCustody}, ./bulk-events.ts) move the same custody counters:
 * a basket-dispensed unit leaves its party's held stock for its `dispensed` and the
 * batch's, and is kept apart from the unit records (`basketUnits`) since the contracts
 * keep it as one bit beside a record that stays as it was (every read says Dispensed by
 * party 0); an undo puts it back. Open basket records (what `basketRecord` reads, while
 * they can be undone), each party's bulk counters and the pallets are rebuilt too; a
 * pallet's lines go from its sender's held stock to its in-transit stock, then to the
 * receiver's or back to the sender's held stock. Block times are not in the log: basket
 * and pallet records keep their block, and the comparison reads its time.
 *
 * A log sequence the contracts could never have produced (an observation numbered out
 * of order, an id that is not its numbering's, a relayed run whose count is not the
 * device's observations before it, a shipment closed twice, stock taken that the actor
 * does not have, a restoration with no UnitRestored, a batch entering disposal with
 * units not accounted for, an event the replay does not know…) is not thrown: it is
 * recorded in `anomalies` and the replay goes on, so that an auditor sees every problem
 * at once. `compareState` (./compare.ts) then checks the result against the contracts'
 * views.
 */
import { AbiCoder, type Log, type LogDescription, keccak256 } from "ethers";

import { batchIdOf } from "../codes.js";
import { PHARMACEUTICAL_GRAPH } from "../quality.js";
import { CaseStatus, DestructionStatus, Domain, Point, STATE_KINDS, ShipmentStatus, StateKind, UnitStatus } from "../enums.js";
import {
  type BasketItemRecord,
  type PalletLineRecord,
  basketIdFor,
  commitmentOf,
  linesOf,
  palletIdFor,
  palletLinesHash,
  parseReplayLog,
} from "./bulk-events.js";
import { type IdentityState, applyIdentityEvent, emptyIdentity } from "./identity.js";

// ==== TYPES ====

export interface ProposalRecord {
  kind: number;
  proposerParty: bigint;
  expiresAt: bigint;
  threshold: bigint;
  approvals: bigint;
  regulatorRequired: boolean;
  regulatorApproved: boolean;
  executed: boolean;
  target: string;
  data: string;
  voters: Set<bigint>;
}

export interface MirrorState {
  members: Map<string, { partyId: bigint; role: number; status: number }>;
  parties: Map<bigint, { domain: number; status: number; revokedLicences: bigint; licencesValidUntil: bigint }>;
}

/** A pending application to register a product (ProductApplied), by GTIN and applicant. */
export interface ApplicationRecord {
  nationalCode: bigint;
  name: string;
  approvalNo: string;
}

export interface ProductRecord {
  /** The marketing-authorisation holder: the approved applicant, or whom governance reassigned it to. */
  holder: bigint;
  nationalCode: bigint;
  name: string;
  approvalNo: string;
  /** The last RulesSet's rules (decoded tuple, as plain values), if any. */
  rules?: RulesRecord;
}

export interface RulesRecord {
  storage: [bigint, bigint, bigint];
  transport: [bigint, bigint, bigint];
  stopOnCritical: bigint;
  adverseCount: bigint;
  adverseWindow: bigint;
  ruleContract: string;
  ruleGas: bigint;
}

/** A party's custody of a batch (ISupplyLedger.Custody). */
export interface CustodyRecord {
  /** What it holds, its locked units included. */
  held: bigint;
  /** What it shipped that is not yet received, cancelled or rejected. */
  inTransit: bigint;
  dispensed: bigint;
  /** What its open suspect cases hold. */
  suspended: bigint;
  /** Its units set aside (decommissioned Locked): part of `held`, not available. */
  locked: bigint;
  /** Its shipments of the batch (the next shipment's seq). */
  shipments: bigint;
}

export interface BatchRecord {
  gtin: bigint;
  manufacturer: bigint;
  lot: string;
  manufacturedAt: bigint;
  expiresAt: bigint;
  quantity: bigint;
  unitsRoot: string;
  unitCount: bigint;
  released: boolean;
  /** Units dispensed (Σ custody.dispensed). */
  dispensed: bigint;
  destroyed: bigint;
  lost: bigint;
  quarantined: bigint;
  /** Held by open suspect cases (Σ custody.suspended). */
  suspended: bigint;
  /** The latest inspection was normal (the release condition). */
  inspected: boolean;
  /** Each party's custody, by party id. */
  custody: Map<bigint, CustodyRecord>;
  /**
   * Units with a record (every unit once marked, or once dispensed in a basket): index →
   * the record's status and the party that wrote it (Active, party 0: no record).
   */
  units: Map<bigint, { status: number; party: bigint }>;
  /** Units dispensed in a basket and not undone: index → who dispensed them, in which basket. Reads say Dispensed by party 0. */
  basketUnits: Map<bigint, BasketUnitRecord>;
  suspectReports: bigint;
  cases: bigint;
}

export interface ShipmentRecord {
  batchId: string;
  from: bigint;
  to: bigint;
  quantity: bigint;
  seq: bigint;
  status: number;
}

/** A unit dispensed in a basket. */
export interface BasketUnitRecord {
  party: bigint;
  basketId: string;
}

/** A basket record the contracts keep while it can be undone (`basketRecord(party, seq)`). */
export interface BasketRecord {
  party: bigint;
  seq: bigint;
  /** The block it was dispensed in: its time is the record's `at`. */
  block: number;
  /** The full commitment (the record keeps its first 216 bits). */
  commitment: string;
  /** The units its commitment holds now, in order. */
  items: BasketItemRecord[];
}

/** A party's basket and pallet counters (`bulkCounters(party)`). */
export interface BulkCountersRecord {
  baskets: bigint;
  oldestOpen: bigint;
  pallets: bigint;
}

/** A pallet (`getPallet(palletId)`). */
export interface PalletRecord {
  from: bigint;
  to: bigint;
  seq: bigint;
  lineCount: bigint;
  /** The block it was shipped in: its time is `shippedAt`. */
  block: number;
  status: number;
  linesHash: string;
  /** Its lines while it is open (what its closing moves); dropped once closed. */
  lines?: PalletLineRecord[];
}

export interface SubjectRecord {
  isProduct: boolean;
  gtin: bigint;
  state: number;
  reached: number;
  observations: bigint;
  /** Of them, relayed from a device's signature (claimed by a SignedObservationsRelayed). */
  signedObservations: bigint;
  /** Annotations that correct an earlier observation. */
  corrections: bigint;
  recalls: bigint;
  recallId: string;
  recallLevel: bigint;
  recallOpenedAt: bigint;
  recallDeadline: bigint;
  destructions: bigint;
}

export interface DestructionRecord {
  batchId: string;
  quantity: bigint;
  proposer: bigint;
  no: bigint;
  proposedAt: bigint;
  status: number;
}

export interface CaseRecord {
  batchId: string;
  reporter: bigint;
  quantity: bigint;
  openedAt: bigint;
  notifyBy: bigint;
  status: number;
  no: bigint;
  unit: bigint;
  notifiedAt: bigint;
}

/** A state definition as the graph needs it here. */
export interface GraphState {
  kind: number;
  halts: boolean;
}

export interface Anomaly {
  block: number;
  logIndex: number;
  event: string;
  problem: string;
}

export interface ReplayState {
  /** {@link REPLAY_STATE_VERSION}: a checkpoint of another version is not resumed. */
  version: number;
  /** The addresses whose logs this state is built from (lower case). */
  contracts: { registry: string; governor: string; batchRegistry: string };
  /** The last block applied (-1: none yet). */
  lastBlock: number;
  events: bigint;
  counts: Map<string, bigint>;
  identity: IdentityState;
  governance: {
    proposals: Map<bigint, ProposalRecord>;
    parameters?: { votingPeriod: bigint; regulatorApprovalKinds: bigint };
  };
  mirror: MirrorState;
  products: Map<bigint, ProductRecord>;
  /** Pending applications: GTIN → applicant → terms. An approval removes the approved one. */
  applications: Map<bigint, Map<bigint, ApplicationRecord>>;
  /** National code → GTIN; 0 for a code once used and freed since (by a reassignment). */
  nationalCodes: Map<bigint, bigint>;
  batches: Map<string, BatchRecord>;
  shipments: Map<string, ShipmentRecord>;
  /** Basket records open to undo, by basket id. */
  baskets: Map<string, BasketRecord>;
  /** Per party that presented a basket or shipped a pallet. */
  bulkCounters: Map<bigint, BulkCountersRecord>;
  pallets: Map<string, PalletRecord>;
  subjects: Map<string, SubjectRecord>;
  destructions: Map<string, DestructionRecord>;
  cases: Map<string, CaseRecord>;
  /** Unknown-code reports recorded on the chain (the last one's number: `unknownCodeReportCount`). */
  unknownCodeReports: bigint;
  nonces: Map<string, bigint>;
  /** Undefined: the pharmaceutical default graph. */
  graph?: GraphState[];
  /** Undefined: the default recall periods. */
  recallPeriods?: [bigint, bigint, bigint];
  undoWindow?: bigint;
  /** At most {@link MAX_ANOMALIES}; `anomalyCount` counts them all. */
  anomalies: Anomaly[];
  anomalyCount: bigint;
}

// ==== CONSTANTS ====

export const MAX_ANOMALIES = 1_000;
/**
 * The shape of {@link ReplayState}; raised when it changes. 2: issue 12 (custody,
 * applications, restorations). 3: baskets and pallets. 4: unknown-code reports.
 */
export const REPLAY_STATE_VERSION = 4;
/** ISuspectProduct.WHOLE_BATCH: the `unit` of a case on a whole batch. */
export const WHOLE_BATCH = 2n ** 48n - 1n;
/**
 * Events that carry no state: the proxies' at any of the three addresses, the others at
 * the BatchRegistry only (where a rule's event is still checked against its
 * observation). Any event neither applied nor listed here is an anomaly: the replay
 * does not know what it changed.
 */
export const STATELESS_EVENTS = {
  any: ["Initialized", "Upgraded"],
  batchRegistry: ["EIP712DomainChanged", "RuleFired", "RuleFailed"],
} as const;
const PROXY_EVENTS = new Set<string>(STATELESS_EVENTS.any);
/** The registry's events ({@link applyIdentityEvent} applies them). */
const IDENTITY_EVENTS = new Set([
  "GovernorSet",
  "MirrorAttached",
  "MirrorDetached",
  "MirrorPushFailed",
  "AccountReserved",
  "PartyAdmitted",
  "PartyStatusChanged",
  "VoterChanged",
  "LicenceGranted",
  "LicenceRevoked",
  "MemberAdded",
  "MemberRemoved",
  "MemberRotated",
]);
export const DEFAULT_RECALL_PERIODS: [bigint, bigint, bigint] = [86_400n, 3n * 86_400n, 7n * 86_400n];
/** The pharmaceutical graph (kind 1 recall, 2 disposal), until a StateGraphConfigured replaces it. */
export const DEFAULT_GRAPH: GraphState[] = PHARMACEUTICAL_GRAPH.map((s) => ({ kind: STATE_KINDS.indexOf(s.kind), halts: s.halts }));
const ZERO_HASH = `0x${"0".repeat(64)}`;

const key = (id: string): string => id.toLowerCase();

const abi = AbiCoder.defaultAbiCoder();

/** keccak256(abi.encode(batchId, tag, no)): the id of a batch's recall, destruction or suspect case number `no`. */
export function numberedId(batchId: string, tag: "recall" | "destruction" | "suspect", no: bigint): string {
  return keccak256(abi.encode(["bytes32", "string", "uint32"], [batchId, tag, no]));
}

/** keccak256(abi.encode(batchId, from, seq)): the id of a party's shipment number `seq` of a batch. */
export function shipmentIdOf(batchId: string, from: bigint, seq: bigint): string {
  return keccak256(abi.encode(["bytes32", "uint64", "uint32"], [batchId, from, seq]));
}

/** The subject id of a product. */
export function productSubjectId(gtin: bigint): string {
  return `0x${gtin.toString(16).padStart(64, "0")}`;
}

export function emptyState(contracts: { registry: string; governor: string; batchRegistry: string }): ReplayState {
  return {
    version: REPLAY_STATE_VERSION,
    contracts: { registry: key(contracts.registry), governor: key(contracts.governor), batchRegistry: key(contracts.batchRegistry) },
    lastBlock: -1,
    events: 0n,
    counts: new Map(),
    identity: emptyIdentity(),
    governance: { proposals: new Map() },
    mirror: { members: new Map(), parties: new Map() },
    products: new Map(),
    applications: new Map(),
    nationalCodes: new Map(),
    batches: new Map(),
    shipments: new Map(),
    baskets: new Map(),
    bulkCounters: new Map(),
    pallets: new Map(),
    subjects: new Map(),
    destructions: new Map(),
    cases: new Map(),
    unknownCodeReports: 0n,
    nonces: new Map(),
    anomalies: [],
    anomalyCount: 0n,
  };
}

/** The graph in force. */
export function graphOf(state: ReplayState): GraphState[] {
  return state.graph ?? DEFAULT_GRAPH;
}

/** The id of the graph's state of `kind` (1 recall, 2 disposal), or -1. */
export function stateOfKind(state: ReplayState, kind: number): number {
  return graphOf(state).findIndex((s) => s.kind === kind);
}

/** The recall period of a level (1–3). */
export function recallPeriod(state: ReplayState, level: bigint): bigint {
  return (state.recallPeriods ?? DEFAULT_RECALL_PERIODS)[Number(level) - 1];
}

/** An empty custody record. */
export function emptyCustody(): CustodyRecord {
  return { held: 0n, inTransit: 0n, dispensed: 0n, suspended: 0n, locked: 0n, shipments: 0n };
}

/** Units a batch no longer has anywhere (dispensed, destroyed, lost): the disposal state needs them all. */
export function accountedFor(batch: BatchRecord): bigint {
  return batch.dispensed + batch.destroyed + batch.lost;
}

/** What a party still has of a batch under recall: held, in transit from it, in its open suspect cases. */
export function outstandingOf(custody: CustodyRecord | undefined): bigint {
  return custody === undefined ? 0n : custody.held + custody.inTransit + custody.suspended;
}

/** Whether a batch is under recall (recalled at least once, in the recall or disposal state). */
export function underRecall(state: ReplayState, subject: SubjectRecord): boolean {
  return subject.recalls > 0n && (subject.state === stateOfKind(state, 1) || subject.state === stateOfKind(state, 2));
}

// ==== THE REPLAYER ====

/** Applies MedState's logs, in chain order, to a state (a new one, or one loaded from a checkpoint). */
export class StateReplayer {
  readonly state: ReplayState;
  private current: { block: number; logIndex: number; event: string } = { block: 0, logIndex: 0, event: "" };
  /**
   * The Observed events by one observer right before this point of a transaction, not yet
   * claimed by a SignedObservationsRelayed (by subject). Bounded by one transaction; not
   * part of the state, since a page of logs never splits a block.
   */
  private run: { tx: string; observer: string; count: bigint; subjects: Map<string, bigint> } = {
    tx: "",
    observer: "",
    count: 0n,
    subjects: new Map(),
  };

  /**
   * A unit just made active by a party other than the one its record names: a regulator's
   * restoration, whose UnitRestored must be the next log. Transient, like {@link run}.
   */
  private restoring: { tx: string; batchId: string; index: bigint; previous: number; credited: bigint | undefined; regulator: bigint } | undefined;
  /** A destruction that accounted for all of its batch: the batch's StateChanged to disposal must be the next log. */
  private disposing: { tx: string; batchId: string } | undefined;
  /**
   * The basket being presented in a transaction: its units dispensed so far (its
   * UnitsDispensed), the suspect reports since the previous basket (by reporter), and
   * units reported dispensed in a basket before the replay saw them dispensed (`ahead`).
   * Its BasketDispensed closes it. Transient, like {@link run}.
   */
  private baskets: PresentedBasket = { tx: "", items: [], reports: new Map(), ahead: [] };

  constructor(stateOrContracts: ReplayState | { registry: string; governor: string; batchRegistry: string }) {
    this.state = "lastBlock" in stateOrContracts ? stateOrContracts : emptyState(stateOrContracts);
  }

  /**
   * Applies every log of a page (already in chain order). A page never splits a block, so
   * its last transaction is whole: a basket it left unclosed is an anomaly now.
   */
  applyAll(logs: readonly Log[]): void {
    for (const log of logs) this.apply(log);
    if (logs.length > 0) this.presenting("");
  }

  /**
   * Applies one log. Logs of other addresses are left out; a log none of the contracts
   * declares, or an event its address does not emit, is an anomaly.
   */
  apply(log: Log): void {
    const address = key(log.address);
    const { contracts } = this.state;
    if (address !== contracts.registry && address !== contracts.governor && address !== contracts.batchRegistry) return;
    if (log.blockNumber > this.state.lastBlock) this.state.lastBlock = log.blockNumber;
    const parsed = parseReplayLog(log);
    if (parsed === null) {
      this.current = { block: log.blockNumber, logIndex: log.index, event: log.topics[0] ?? "" };
      this.anomaly(`log with topic ${log.topics[0] ?? "(none)"} not known to this replay`);
      return;
    }
    this.current = { block: log.blockNumber, logIndex: log.index, event: parsed.name };
    this.state.events++;
    this.state.counts.set(parsed.name, (this.state.counts.get(parsed.name) ?? 0n) + 1n);
    this.expectations(parsed.name, log.transactionHash);
    if (PROXY_EVENTS.has(parsed.name)) return;
    try {
      if (address === contracts.registry) this.identity(parsed);
      else if (address === contracts.governor) this.governance(parsed);
      else this.batchRegistry(parsed, log);
    } catch (error) {
      this.anomaly(error instanceof Error ? error.message : String(error));
    }
  }

  // ==== per contract ====

  private identity(parsed: LogDescription): void {
    if (!IDENTITY_EVENTS.has(parsed.name)) throw new Error(`event ${parsed.name} not known to this replay at the registry`);
    applyIdentityEvent(this.state.identity, parsed);
  }

  private governance(parsed: LogDescription): void {
    const a = parsed.args;
    const { proposals } = this.state.governance;
    switch (parsed.name) {
      case "ProposalCreated": {
        const id = a.proposalId as bigint;
        if (id !== BigInt(proposals.size) + 1n) this.anomaly(`proposal ${id} created after ${proposals.size}`);
        proposals.set(id, {
          kind: Number(a.kind),
          proposerParty: a.proposerParty as bigint,
          expiresAt: a.expiresAt as bigint,
          threshold: a.threshold as bigint,
          approvals: 0n,
          regulatorRequired: a.regulatorRequired as boolean,
          regulatorApproved: false,
          executed: false,
          target: a.target as string,
          data: a.data as string,
          voters: new Set(),
        });
        break;
      }
      case "VoteCast": {
        const p = this.need(proposals.get(a.proposalId as bigint), `vote on unknown proposal ${a.proposalId}`);
        const party = a.partyId as bigint;
        if (p.voters.has(party)) this.anomaly(`party ${party} voted twice on proposal ${a.proposalId}`);
        p.voters.add(party);
        p.approvals = BigInt(p.voters.size);
        if (p.approvals !== (a.approvals as bigint)) this.anomaly(`proposal ${a.proposalId}: ${a.approvals} approvals, replayed ${p.approvals}`);
        if (this.state.identity.parties.get(party)?.domain === Domain.Regulator) p.regulatorApproved = true;
        break;
      }
      case "ProposalExecuted": {
        const p = this.need(proposals.get(a.proposalId as bigint), `execution of unknown proposal ${a.proposalId}`);
        if (p.executed) this.anomaly(`proposal ${a.proposalId} executed twice`);
        p.executed = true;
        break;
      }
      case "ParametersChanged":
        this.state.governance.parameters = {
          votingPeriod: a.votingPeriod as bigint,
          regulatorApprovalKinds: a.regulatorApprovalKinds as bigint,
        };
        break;
      default:
        throw new Error(`event ${parsed.name} not known to this replay at the governor`);
    }
  }

  private batchRegistry(parsed: LogDescription, log: Log): void {
    const a = parsed.args;
    const s = this.state;
    if (this.run.tx !== log.transactionHash) this.run = { tx: log.transactionHash, observer: "", count: 0n, subjects: new Map() };
    switch (parsed.name) {
      // ---- the membership mirror ----
      case "MemberMirrored":
        s.mirror.members.set(key(a.account as string), {
          partyId: a.partyId as bigint,
          role: Number(a.role),
          status: Number(a.status),
        });
        break;
      case "PartyMirrored":
        s.mirror.parties.set(a.partyId as bigint, {
          domain: Number(a.domain),
          status: Number(a.status),
          revokedLicences: a.revokedLicences as bigint,
          licencesValidUntil: a.licencesValidUntil as bigint,
        });
        break;

      // ---- products, batches, custody, units ----
      case "ProductApplied": {
        const gtin = a.gtin as bigint;
        const code = a.nationalCode as bigint;
        if (s.products.has(gtin)) this.anomaly(`application for product ${gtin}, already registered`);
        const taken = code === 0n ? 0n : (s.nationalCodes.get(code) ?? 0n);
        if (taken !== 0n) this.anomaly(`application for product ${gtin} with national code ${code}, taken by product ${taken}`);
        // A later application by the same party replaces its earlier one.
        const pending = s.applications.get(gtin) ?? new Map<bigint, ApplicationRecord>();
        pending.set(a.applicant as bigint, { nationalCode: code, name: a.name, approvalNo: a.approvalNo });
        s.applications.set(gtin, pending);
        break;
      }
      case "ProductRegistered": {
        const gtin = a.gtin as bigint;
        const holder = a.holder as bigint;
        const code = a.nationalCode as bigint;
        if (s.products.has(gtin)) this.anomaly(`product ${gtin} registered twice`);
        // Registered at the regulator's approval of the holder's application, which it removes.
        const pending = s.applications.get(gtin);
        const application = pending?.get(holder);
        if (application === undefined) {
          this.anomaly(`product ${gtin} registered for party ${holder}, which has no application`);
        } else {
          if (application.nationalCode !== code || application.name !== a.name || application.approvalNo !== a.approvalNo) {
            this.anomaly(`product ${gtin} registered on other terms than party ${holder}'s application`);
          }
          pending!.delete(holder);
          if (pending!.size === 0) s.applications.delete(gtin);
        }
        const taken = code === 0n ? 0n : (s.nationalCodes.get(code) ?? 0n);
        if (taken !== 0n) this.anomaly(`product ${gtin} registered with national code ${code}, taken by product ${taken}`);
        s.products.set(gtin, { holder, nationalCode: code, name: a.name, approvalNo: a.approvalNo });
        if (code !== 0n) s.nationalCodes.set(code, gtin);
        s.subjects.set(key(productSubjectId(gtin)), newSubject(true, gtin));
        break;
      }
      case "ProductReassigned": {
        const gtin = a.gtin as bigint;
        const product = this.need(s.products.get(gtin), `reassignment of unknown product ${gtin}`);
        const code = a.nationalCode as bigint;
        if (product.holder !== (a.previousHolder as bigint)) {
          this.anomaly(`product ${gtin} reassigned from party ${a.previousHolder}, held by ${product.holder}`);
        }
        if (product.nationalCode !== (a.previousNationalCode as bigint)) {
          this.anomaly(`product ${gtin} reassigned from national code ${a.previousNationalCode}, replayed ${product.nationalCode}`);
        }
        if (code !== product.nationalCode) {
          const taken = code === 0n ? 0n : (s.nationalCodes.get(code) ?? 0n);
          if (taken !== 0n) this.anomaly(`product ${gtin} reassigned national code ${code}, taken by product ${taken}`);
          // The old code is freed (0), the new one taken.
          if (product.nationalCode !== 0n) s.nationalCodes.set(product.nationalCode, 0n);
          if (code !== 0n) s.nationalCodes.set(code, gtin);
          product.nationalCode = code;
        }
        product.holder = a.holder;
        break;
      }
      case "BatchCreated": {
        const id = key(a.batchId as string);
        if (s.batches.has(id)) this.anomaly(`batch ${id} created twice`);
        if (id !== batchIdOf(a.gtin as bigint, a.lot as string)) this.anomaly(`batch ${id} is not the id of product ${a.gtin} lot ${a.lot}`);
        const product = s.products.get(a.gtin as bigint);
        if (product === undefined) this.anomaly(`batch ${id} of unregistered product ${a.gtin}`);
        else if (product.holder !== (a.manufacturer as bigint)) {
          this.anomaly(`batch ${id} created by party ${a.manufacturer}, not the holder (${product.holder}) of product ${a.gtin}`);
        }
        const batch: BatchRecord = {
          gtin: a.gtin,
          manufacturer: a.manufacturer,
          lot: a.lot,
          manufacturedAt: a.manufacturedAt,
          expiresAt: a.expiresAt,
          quantity: a.quantity,
          unitsRoot: a.unitsRoot,
          unitCount: a.unitCount,
          released: false,
          dispensed: 0n,
          destroyed: 0n,
          lost: 0n,
          quarantined: 0n,
          suspended: 0n,
          inspected: false,
          custody: new Map(),
          units: new Map(),
          basketUnits: new Map(),
          suspectReports: 0n,
          cases: 0n,
        };
        this.custodyOf(batch, a.manufacturer).held = a.quantity;
        s.batches.set(id, batch);
        s.subjects.set(id, newSubject(false, a.gtin));
        break;
      }
      case "BatchReleased":
        this.batch(a.batchId).released = true;
        break;
      case "Shipped": {
        const batch = this.batch(a.batchId);
        const from = a.from as bigint;
        // From the sender's available stock into its in-transit stock.
        const sender = this.take(a.batchId, batch, from, a.quantity);
        sender.inTransit += a.quantity as bigint;
        // A party's shipments of a batch are numbered from 0.
        const seq = sender.shipments;
        sender.shipments = seq + 1n;
        if (key(a.shipmentId as string) !== shipmentIdOf(a.batchId as string, from, seq)) {
          this.anomaly(`shipment ${a.shipmentId} is not shipment ${seq} of party ${from}`);
        }
        s.shipments.set(key(a.shipmentId as string), {
          batchId: key(a.batchId as string),
          from,
          to: a.to,
          quantity: a.quantity,
          seq,
          status: ShipmentStatus.InTransit,
        });
        break;
      }
      case "ShipmentClosed": {
        const sh = this.need(s.shipments.get(key(a.shipmentId as string)), `close of unknown shipment ${a.shipmentId}`);
        if (sh.status !== ShipmentStatus.InTransit) this.anomaly(`shipment ${a.shipmentId} closed twice`);
        if (sh.quantity !== (a.quantity as bigint)) this.anomaly(`shipment ${a.shipmentId} closed with ${a.quantity}, shipped ${sh.quantity}`);
        if (sh.batchId !== key(a.batchId as string)) this.anomaly(`shipment ${a.shipmentId} closed on ${a.batchId}, shipped on ${sh.batchId}`);
        const status = Number(a.status);
        const credited = creditedOnClose(status, sh);
        if (credited === undefined) this.anomaly(`shipment ${a.shipmentId} closed with status ${status}`);
        else if (credited !== (a.creditedParty as bigint)) this.anomaly(`shipment ${a.shipmentId} closed (${status}) crediting ${a.creditedParty}, not ${credited}`);
        sh.status = status;
        // Out of the sender's in-transit stock, into the credited party's.
        const batch = this.batch(a.batchId);
        this.change(a.batchId, sh.from, this.custodyOf(batch, sh.from), "inTransit", -(a.quantity as bigint));
        this.custodyOf(batch, a.creditedParty).held += a.quantity as bigint;
        break;
      }
      case "UnitStatusChanged": {
        const batch = this.batch(a.batchId);
        const id = key(a.batchId as string);
        const [from, to] = [Number(a.previous), Number(a.status)];
        const index = a.index as bigint;
        const party = a.party as bigint;
        const record = batch.units.get(index) ?? { status: UnitStatus.Active, party: 0n };
        const inBasket = batch.basketUnits.get(index);
        if (inBasket !== undefined && from === UnitStatus.Dispensed && to === UnitStatus.Active && record.status === UnitStatus.Active) {
          // The regulator's restoreBasketUnit: the unit leaves its basket, the stock goes back to
          // the party the regulator names (a UnitRestored must follow, naming it).
          batch.basketUnits.delete(index);
          this.restoring = { tx: log.transactionHash, batchId: id, index, previous: from, credited: undefined, regulator: party };
          batch.units.set(index, { status: to, party });
          break;
        }
        if (record.status !== from) this.anomaly(`unit ${index} of ${id} left ${from}, replayed ${record.status}`);
        if (inBasket !== undefined) this.anomaly(`unit ${index} of ${id} changed status while dispensed in basket ${inBasket.basketId}`);
        if (to !== UnitStatus.Active) {
          // Marking a unit takes it from the marking party's available stock (a lock sets it aside).
          if (from !== UnitStatus.Active) this.anomaly(`unit ${index} of ${id} moved from ${from} to ${to}`);
          if (to === UnitStatus.Locked) {
            const custody = this.custodyOf(batch, party);
            if (custody.held - custody.locked < 1n) this.anomaly(`party ${party} locks a unit of ${id} with ${custody.held - custody.locked} available`);
            custody.locked += 1n;
          } else {
            const custody = this.take(a.batchId, batch, party, 1n);
            if (to === UnitStatus.Dispensed) {
              custody.dispensed += 1n;
              batch.dispensed += 1n;
            } else if (to === UnitStatus.Destroyed) batch.destroyed += 1n;
            else batch.lost += 1n;
          }
        } else if (from === UnitStatus.Active) {
          this.anomaly(`unit ${index} of ${id} moved from ${from} to ${to}`);
        } else {
          // Back to active: the stock goes back to the party the record names. By that party
          // itself, a reactivation (Locked) or an undone dispense; otherwise a regulator's
          // restoration, which a UnitRestored must follow.
          this.credit(a.batchId, batch, record.party, from);
          const own = party === record.party && (from === UnitStatus.Locked || from === UnitStatus.Dispensed);
          if (!own) this.restoring = { tx: log.transactionHash, batchId: id, index, previous: from, credited: record.party, regulator: party };
        }
        batch.units.set(index, { status: to, party });
        break;
      }
      case "UnitRestored": {
        const restoring = this.restoring;
        this.restoring = undefined;
        const id = key(a.batchId as string);
        const index = a.index as bigint;
        if (restoring === undefined || restoring.tx !== log.transactionHash || restoring.batchId !== id || restoring.index !== index) {
          this.anomaly(`restoration of unit ${index} of ${id} with no change of its status to active before it`);
          break;
        }
        if (restoring.previous !== Number(a.previous)) this.anomaly(`unit ${index} of ${id} restored from ${a.previous}, replayed ${restoring.previous}`);
        if (restoring.credited === undefined) {
          // A basket unit: the regulator named the dispenser, which must count a dispensed unit.
          const batch = this.batch(a.batchId);
          const credited = a.creditedParty as bigint;
          if (this.custodyOf(batch, credited).dispensed < 1n) {
            this.anomaly(`basket unit ${index} of ${id} restored crediting party ${credited}, which dispensed none of it`);
          }
          this.credit(a.batchId, batch, credited, UnitStatus.Dispensed);
        } else if (restoring.credited !== (a.creditedParty as bigint)) {
          this.anomaly(`unit ${index} of ${id} restored crediting party ${a.creditedParty}, not ${restoring.credited} that marked it`);
        }
        if (restoring.regulator !== (a.regulator as bigint)) {
          this.anomaly(`unit ${index} of ${id} restored by party ${a.regulator}, its status changed by ${restoring.regulator}`);
        }
        if (s.identity.parties.get(a.regulator as bigint)?.domain !== Domain.Regulator) {
          this.anomaly(`unit ${index} of ${id} restored by party ${a.regulator}, not a regulator`);
        }
        break;
      }
      case "UnknownCodeReported": {
        // Numbered across the chain; the holder named is the product's as the replay has it (0: none registered).
        const no = s.unknownCodeReports + 1n;
        s.unknownCodeReports = no;
        if ((a.reportNo as bigint) !== no) this.anomaly(`unknown-code report ${a.reportNo}, replayed ${no}`);
        if ((a.codeHash as string) === ZERO_HASH) this.anomaly(`unknown-code report ${a.reportNo} of a zero code hash`);
        const gtin = a.gtin as bigint;
        const holder = gtin === 0n ? 0n : (s.products.get(gtin)?.holder ?? 0n);
        if ((a.holder as bigint) !== holder) {
          this.anomaly(`unknown-code report ${a.reportNo} names holder ${a.holder} of product ${gtin}, replayed ${holder}`);
        }
        break;
      }
      case "SuspectUnitReported": {
        const batch = this.batch(a.batchId);
        batch.suspectReports += 1n;
        if (batch.suspectReports !== (a.reportNo as bigint)) this.anomaly(`suspect report ${a.reportNo} of ${a.batchId}, replayed ${batch.suspectReports}`);
        const basket = this.presenting(log.transactionHash);
        basket.reports.set(a.reporter as bigint, (basket.reports.get(a.reporter as bigint) ?? 0n) + 1n);
        // The report restates the unit as the contracts read it: it must be what the replay has.
        const id = key(a.batchId as string);
        const index = a.index as bigint;
        const [status, party] = effectiveUnit(batch, index);
        const [said, saidParty] = [Number(a.status), a.recordedParty as bigint];
        if (said === status && saidParty === party) break;
        if (said === UnitStatus.Dispensed && saidParty === 0n && status === UnitStatus.Active) {
          // A unit presented twice in one basket group: its UnitsDispensed, later in this transaction, must list it.
          basket.ahead.push({ batchId: id, index });
        } else {
          this.anomaly(`suspect report ${a.reportNo} of ${id}: unit ${index} recorded ${said} by party ${saidParty}, replayed ${status} by party ${party}`);
        }
        break;
      }

      // ---- baskets ----
      case "UnitsDispensed": {
        const batch = this.batch(a.batchId);
        const id = key(a.batchId as string);
        const party = a.party as bigint;
        const basketId = key(a.basketId as string);
        const indices = [...(a.indices as bigint[])];
        const prescriptions = [...(a.prescriptions as string[])];
        if (indices.length === 0 || indices.length !== prescriptions.length) {
          this.anomaly(`basket ${basketId} dispensed ${indices.length} units of ${id} with ${prescriptions.length} prescriptions`);
        }
        const basket = this.presenting(log.transactionHash);
        if (basket.basketId !== undefined && (basket.basketId !== basketId || basket.party !== party)) {
          this.anomaly(`units of basket ${basketId} dispensed while basket ${basket.basketId} is presented`);
        }
        basket.basketId = basketId;
        basket.party = party;
        // From the party's available stock into its dispensed stock, and the batch's.
        const n = BigInt(indices.length);
        this.take(a.batchId, batch, party, n).dispensed += n;
        batch.dispensed += n;
        indices.forEach((index, i) => {
          if (index >= batch.unitCount) this.anomaly(`unit ${index} of ${id} dispensed in basket ${basketId}: the batch has ${batch.unitCount}`);
          const [status] = effectiveUnit(batch, index);
          if (status !== UnitStatus.Active) this.anomaly(`unit ${index} of ${id} dispensed in basket ${basketId}, replayed ${status}`);
          batch.basketUnits.set(index, { party, basketId });
          basket.items.push({ batchId: id, index, prescription: key(prescriptions[i] ?? ZERO_HASH) });
          basket.ahead = basket.ahead.filter((u) => u.batchId !== id || u.index !== index);
        });
        break;
      }
      case "BasketDispensed": {
        const party = a.party as bigint;
        const seq = a.seq as bigint;
        const basketId = key(a.basketId as string);
        const counters = this.counters(party);
        if (seq !== counters.baskets) this.anomaly(`basket ${basketId} is basket ${seq} of party ${party}, replayed ${counters.baskets}`);
        if (basketId !== basketIdFor(party, seq)) this.anomaly(`basket ${basketId} is not basket ${seq} of party ${party}`);
        if (s.baskets.has(basketId)) this.anomaly(`basket ${basketId} presented twice`);
        // Before its units, the contract deleted the party's oldest record if its window had
        // closed (BasketExpired) and moved past the oldest basket if it then had none.
        if (counters.oldestOpen < seq && !s.baskets.has(basketIdFor(party, counters.oldestOpen))) counters.oldestOpen += 1n;
        counters.baskets = seq + 1n;
        const basket = this.presenting(log.transactionHash);
        this.baskets = { tx: log.transactionHash, items: [], reports: new Map(), ahead: [] };
        if (basket.basketId !== undefined && basket.basketId !== basketId) {
          this.anomaly(`basket ${basketId} closes the units dispensed in basket ${basket.basketId}`);
        }
        const dispensed = BigInt(basket.items.length);
        if (dispensed !== (a.dispensed as bigint)) this.anomaly(`basket ${basketId}: ${a.dispensed} dispensed, its UnitsDispensed list ${dispensed}`);
        const reported = basket.reports.get(party) ?? 0n;
        if (reported !== (a.suspect as bigint)) this.anomaly(`basket ${basketId}: ${a.suspect} suspect, ${reported} reported`);
        for (const u of basket.ahead) this.anomaly(`unit ${u.index} of ${u.batchId} reported dispensed in a basket, and no basket dispensed it`);
        const commitment = commitmentOf(basket.items);
        if (key(a.commitment as string) !== commitment) this.anomaly(`basket ${basketId}: commitment ${a.commitment}, replayed ${commitment}`);
        if (dispensed > 0n) s.baskets.set(basketId, { party, seq, block: log.blockNumber, commitment, items: basket.items });
        break;
      }
      case "BasketUndone": {
        const basketId = key(a.basketId as string);
        const record = this.need(s.baskets.get(basketId), `undo of basket ${basketId}, which has no record open to undo`);
        if (record.party !== (a.party as bigint)) this.anomaly(`basket ${basketId} of party ${record.party} undone by party ${a.party}`);
        const batchIds = [...(a.batchIds as string[])].map(key);
        const indices = [...(a.indices as bigint[])];
        if (indices.length === 0 || indices.length !== batchIds.length) {
          this.anomaly(`basket ${basketId} undone with ${batchIds.length} batch ids and ${indices.length} indices`);
        }
        // The undone units are some of the record's, in its order.
        const undone = new Set<number>();
        let from = 0;
        indices.forEach((index, k) => {
          const batchId = batchIds[k] ?? "";
          const at = record.items.findIndex((item, j) => j >= from && item.batchId === batchId && item.index === index);
          if (at < 0) {
            this.anomaly(`basket ${basketId} undid unit ${index} of ${batchId}, which it does not hold (in this order)`);
            return;
          }
          undone.add(at);
          from = at + 1;
          const batch = this.batch(batchId);
          if (batch.basketUnits.get(index)?.basketId !== basketId) this.anomaly(`unit ${index} of ${batchId} undone from basket ${basketId}, not dispensed in it`);
          batch.basketUnits.delete(index);
          // Its record stayed as it was; a unit with none reads Active by party 0.
          if (!batch.units.has(index)) batch.units.set(index, { status: UnitStatus.Active, party: 0n });
          // Back into the party's held stock.
          const custody = this.custodyOf(batch, record.party);
          this.change(batchId, record.party, custody, "dispensed", -1n);
          custody.held += 1n;
          batch.dispensed -= 1n;
          if (batch.dispensed < 0n) this.anomaly(`a counter of ${batchId} would be below 0`);
        });
        record.items = record.items.filter((_, j) => !undone.has(j));
        const commitment = commitmentOf(record.items);
        if (key(a.commitment as string) !== commitment) this.anomaly(`basket ${basketId} undone to commitment ${a.commitment}, replayed ${commitment}`);
        if (record.items.length === 0) s.baskets.delete(basketId);
        else record.commitment = commitment;
        break;
      }
      case "BasketExpired": {
        const basketId = key(a.basketId as string);
        const party = a.party as bigint;
        const counters = this.counters(party);
        if (basketId !== basketIdFor(party, counters.oldestOpen)) this.anomaly(`basket ${basketId} expired: not party ${party}'s oldest (${counters.oldestOpen})`);
        if (!s.baskets.delete(basketId)) this.anomaly(`basket ${basketId} expired with no record`);
        break;
      }

      // ---- pallets ----
      case "PalletShipped": {
        const id = key(a.palletId as string);
        const from = a.from as bigint;
        const seq = a.seq as bigint;
        const lines = linesOf(a.lines);
        if (s.pallets.has(id)) this.anomaly(`pallet ${id} shipped twice`);
        const counters = this.counters(from);
        if (seq !== counters.pallets) this.anomaly(`pallet ${id} is pallet ${seq} of party ${from}, replayed ${counters.pallets}`);
        if (id !== palletIdFor(from, seq)) this.anomaly(`pallet ${id} is not pallet ${seq} of party ${from}`);
        counters.pallets = seq + 1n;
        if (lines.length === 0) this.anomaly(`pallet ${id} shipped with no line`);
        // Each line from the sender's available stock into its in-transit stock.
        for (const line of lines) {
          const batch = s.batches.get(line.batchId);
          if (batch === undefined) {
            this.anomaly(`pallet ${id} ships unknown batch ${line.batchId}`);
            continue;
          }
          if (line.quantity === 0n) this.anomaly(`pallet ${id} ships 0 of ${line.batchId}`);
          this.take(line.batchId, batch, from, line.quantity).inTransit += line.quantity;
        }
        s.pallets.set(id, {
          from,
          to: a.to as bigint,
          seq,
          lineCount: BigInt(lines.length),
          block: log.blockNumber,
          status: ShipmentStatus.InTransit,
          linesHash: palletLinesHash(lines),
          lines,
        });
        break;
      }
      case "PalletClosed": {
        const id = key(a.palletId as string);
        const pallet = this.need(s.pallets.get(id), `close of unknown pallet ${id}`);
        const lines = pallet.lines;
        if (pallet.status !== ShipmentStatus.InTransit || lines === undefined) {
          this.anomaly(`pallet ${id} closed twice`);
          break;
        }
        const status = Number(a.status);
        const credited = creditedOnClose(status, pallet);
        if (credited === undefined) this.anomaly(`pallet ${id} closed with status ${status}`);
        else if (credited !== (a.creditedParty as bigint)) this.anomaly(`pallet ${id} closed (${status}) crediting ${a.creditedParty}, not ${credited}`);
        pallet.status = status;
        delete pallet.lines;
        // Each line out of the sender's in-transit stock, into the credited party's.
        for (const line of lines) {
          const batch = s.batches.get(line.batchId);
          if (batch === undefined) continue; // an anomaly at shipping
          this.change(line.batchId, pallet.from, this.custodyOf(batch, pallet.from), "inTransit", -line.quantity);
          this.custodyOf(batch, a.creditedParty).held += line.quantity;
        }
        break;
      }
      case "DispenseUndoWindowSet":
        s.undoWindow = a.window as bigint;
        break;

      // ---- observations and rules ----
      case "Observed": {
        const sub = this.subject(a.subject);
        sub.observations += 1n;
        if ((a.seq as bigint) !== sub.observations) {
          this.anomaly(`observation ${a.seq} of ${a.subject} out of order (expected ${sub.observations})`);
          sub.observations = a.seq; // go on from the log's numbering: one gap, one anomaly
        }
        // An inspection's result decides whether the batch may be released.
        if (!sub.isProduct && Number(a.point) === Point.Inspection) this.batch(a.subject).inspected = Number(a.result) === 0;
        const observer = key(a.observer as string);
        if (this.run.observer !== observer) this.run = { tx: this.run.tx, observer, count: 0n, subjects: new Map() };
        this.run.count += 1n;
        const subjectKey = key(a.subject as string);
        this.run.subjects.set(subjectKey, (this.run.subjects.get(subjectKey) ?? 0n) + 1n);
        break;
      }
      case "ObservationAnnotated": {
        const sub = this.subject(a.subject);
        if ((a.seq as bigint) !== sub.observations) this.anomaly(`annotation of ${a.seq} not right after its observation`);
        if ((a.corrects as bigint) >= (a.seq as bigint)) this.anomaly(`observation ${a.seq} corrects a later one (${a.corrects})`);
        if ((a.corrects as bigint) !== 0n) sub.corrections += 1n;
        break;
      }
      case "RuleFired":
      case "RuleFailed": {
        // No state of their own (StateChanged carries the stop): only their observation is checked.
        const sub = this.subject(a.subject);
        if ((a.seq as bigint) === 0n || (a.seq as bigint) > sub.observations) {
          this.anomaly(`${parsed.name} on observation ${a.seq} of ${a.subject}, replayed ${sub.observations}`);
        }
        break;
      }
      case "EIP712DomainChanged":
        break;
      case "RulesSet": {
        const product = this.need(s.products.get(a.gtin as bigint), `rules of unknown product ${a.gtin}`);
        const r = a.rules;
        product.rules = {
          storage: [r.storageRange.minTemperature, r.storageRange.maxTemperature, r.storageRange.maxHumidity],
          transport: [r.transportRange.minTemperature, r.transportRange.maxTemperature, r.transportRange.maxHumidity],
          stopOnCritical: r.stopOnCritical,
          adverseCount: r.adverseCount,
          adverseWindow: r.adverseWindow,
          ruleContract: r.ruleContract,
          ruleGas: r.ruleGas,
        };
        break;
      }
      case "SignedObservationsRelayed": {
        const device = key(a.device as string);
        const next = s.nonces.get(device) ?? 0n;
        if ((a.firstNonce as bigint) !== next) this.anomaly(`device ${a.device} relayed from nonce ${a.firstNonce}, replayed ${next}`);
        s.nonces.set(device, (a.firstNonce as bigint) + (a.count as bigint));
        // The relayed observations are the Observed events by the device right before this one.
        const run = this.run.observer === device ? this.run : { count: 0n, subjects: new Map<string, bigint>() };
        if ((a.count as bigint) === 0n || run.count !== (a.count as bigint)) {
          this.anomaly(`device ${a.device} relayed ${a.count} observations, ${run.count} by it precede in the transaction`);
        } else {
          for (const [subject, n] of run.subjects) this.subject(subject).signedObservations += n;
        }
        this.run = { tx: this.run.tx, observer: "", count: 0n, subjects: new Map() };
        break;
      }

      // ---- collaborative states, recall, destruction ----
      case "StateChanged": {
        const sub = this.subject(a.subject);
        if (Number(a.from) !== sub.state) this.anomaly(`${a.subject} left state ${a.from}, replayed ${sub.state}`);
        sub.state = Number(a.to);
        sub.reached |= 1 << sub.state;
        // A batch enters disposal only with the witnessed destruction that accounts for all of it.
        const disposing = this.disposing;
        this.disposing = undefined;
        if (!sub.isProduct && sub.state === stateOfKind(s, StateKind.Disposal)) {
          const id = key(a.subject as string);
          const batch = this.batch(id);
          if (disposing?.batchId !== id || disposing.tx !== log.transactionHash) {
            this.anomaly(`batch ${id} entered disposal with no witnessed destruction before it`);
          }
          const left = batch.quantity - accountedFor(batch);
          if (left !== 0n) this.anomaly(`batch ${id} entered disposal with ${left} units not accounted for`);
        } else if (disposing !== undefined) {
          this.anomaly(`batch ${disposing.batchId} accounted for by its destruction, but did not enter disposal`);
        }
        break;
      }
      case "StateGraphConfigured":
        s.graph = (a.states as { kind: bigint; halts: boolean }[]).map((d) => ({ kind: Number(d.kind), halts: d.halts }));
        break;
      case "RecallPeriodsSet":
        s.recallPeriods = [...(a.periods as bigint[])] as [bigint, bigint, bigint];
        break;
      case "RecallOpened": {
        const sub = this.subject(a.batchId);
        sub.recalls += 1n;
        if (key(a.recallId as string) !== numberedId(a.batchId as string, "recall", sub.recalls)) {
          this.anomaly(`recall ${a.recallId} is not recall ${sub.recalls} of ${a.batchId}`);
        }
        if (sub.state !== stateOfKind(s, StateKind.Recall)) this.anomaly(`recall ${a.recallId} opened in state ${sub.state}`);
        sub.recallId = key(a.recallId as string);
        sub.recallLevel = a.level;
        sub.recallOpenedAt = a.openedAt;
        sub.recallDeadline = a.deadline;
        if ((a.deadline as bigint) !== (a.openedAt as bigint) + recallPeriod(s, a.level)) {
          this.anomaly(`recall ${a.recallId}: deadline ${a.deadline} is not opening + the level-${a.level} period`);
        }
        break;
      }
      case "StockReturned":
      case "StockSeized": {
        // A return (by the party) or a seizure (by a regulator): from the party's available
        // stock into the holder's quarantine.
        const batch = this.batch(a.batchId);
        const what = parsed.name === "StockReturned" ? "return" : "seizure";
        if (!underRecall(s, this.subject(a.batchId))) this.anomaly(`${what} of ${a.batchId} with no open recall`);
        if (parsed.name === "StockSeized" && s.identity.parties.get(a.regulator as bigint)?.domain !== Domain.Regulator) {
          this.anomaly(`stock of ${a.batchId} seized by party ${a.regulator}, not a regulator`);
        }
        const custody = this.take(a.batchId, batch, a.party, a.quantity);
        batch.quarantined += a.quantity;
        const outstanding = outstandingOf(custody);
        if (outstanding !== (a.outstanding as bigint)) this.anomaly(`${what} by ${a.party}: outstanding ${a.outstanding}, replayed ${outstanding}`);
        if (key(a.recallId as string) !== this.subject(a.batchId).recallId) this.anomaly(`${what} under recall ${a.recallId}, not the latest`);
        break;
      }
      case "DestructionProposed": {
        const sub = this.subject(a.batchId);
        sub.destructions += 1n;
        if (key(a.destructionId as string) !== numberedId(a.batchId as string, "destruction", sub.destructions)) {
          this.anomaly(`destruction ${a.destructionId} is not destruction ${sub.destructions} of ${a.batchId}`);
        }
        const quarantined = this.batch(a.batchId).quarantined;
        if (quarantined < (a.quantity as bigint)) this.anomaly(`destruction ${a.destructionId} of ${a.quantity}, quarantined ${quarantined}`);
        s.destructions.set(key(a.destructionId as string), {
          batchId: key(a.batchId as string),
          quantity: a.quantity,
          proposer: a.party,
          no: sub.destructions,
          proposedAt: a.proposedAt,
          status: DestructionStatus.Proposed,
        });
        break;
      }
      case "DestructionWitnessed": {
        const d = this.need(s.destructions.get(key(a.destructionId as string)), `witness of unknown destruction ${a.destructionId}`);
        if (d.status !== DestructionStatus.Proposed) this.anomaly(`destruction ${a.destructionId} witnessed twice`);
        if (d.quantity !== (a.quantity as bigint)) this.anomaly(`destruction ${a.destructionId} witnessed for ${a.quantity}, proposed ${d.quantity}`);
        if (d.batchId !== key(a.batchId as string)) this.anomaly(`destruction ${a.destructionId} witnessed on ${a.batchId}, proposed on ${d.batchId}`);
        d.status = DestructionStatus.Witnessed;
        const batch = this.batch(a.batchId);
        batch.quarantined -= a.quantity;
        if (batch.quarantined < 0n) this.anomaly(`quarantine of ${a.batchId} below 0`);
        batch.destroyed += a.quantity;
        // The destruction that accounts for every unit moves the batch to disposal: a StateChanged follows.
        const disposal = stateOfKind(s, StateKind.Disposal);
        if (this.subject(a.batchId).state !== disposal && accountedFor(batch) === batch.quantity) {
          this.disposing = { tx: log.transactionHash, batchId: key(a.batchId as string) };
        }
        break;
      }

      // ---- suspect-product cases ----
      case "SuspectCaseOpened": {
        const batch = this.batch(a.batchId);
        batch.cases += 1n;
        if (key(a.caseId as string) !== numberedId(a.batchId as string, "suspect", batch.cases)) {
          this.anomaly(`suspect case ${a.caseId} is not case ${batch.cases} of ${a.batchId}`);
        }
        const unit = a.unit as bigint;
        if (unit !== WHOLE_BATCH && unit >= batch.unitCount) this.anomaly(`suspect case ${a.caseId} on unit ${unit} of ${batch.unitCount}`);
        // From the reporter's available stock into its suspended stock.
        if ((a.quantity as bigint) !== 0n) this.take(a.batchId, batch, a.reporter, a.quantity).suspended += a.quantity as bigint;
        batch.suspended += a.quantity;
        s.cases.set(key(a.caseId as string), {
          batchId: key(a.batchId as string),
          reporter: a.reporter,
          quantity: a.quantity,
          openedAt: a.openedAt,
          notifyBy: 0n,
          status: CaseStatus.Quarantined,
          no: batch.cases,
          unit: a.unit,
          notifiedAt: 0n,
        });
        break;
      }
      case "SuspectCaseStatusChanged": {
        const c = this.need(s.cases.get(key(a.caseId as string)), `change of unknown case ${a.caseId}`);
        if (c.batchId !== key(a.batchId as string)) this.anomaly(`case ${a.caseId} moved on ${a.batchId}, opened on ${c.batchId}`);
        const to = Number(a.status);
        const allowed: Record<number, number> = {
          [CaseStatus.Investigating]: CaseStatus.Quarantined,
          [CaseStatus.Cleared]: CaseStatus.Investigating,
          [CaseStatus.Illegitimate]: CaseStatus.Investigating,
          [CaseStatus.Closed]: CaseStatus.Illegitimate,
        };
        if (allowed[to] !== c.status) this.anomaly(`case ${a.caseId} moved from ${c.status} to ${to}`);
        // The illegitimate finding sets the notification deadline; every other change repeats it (0 before).
        if (to === CaseStatus.Illegitimate) {
          if ((a.notifyBy as bigint) === 0n) this.anomaly(`case ${a.caseId} found illegitimate without a notification deadline`);
        } else if ((a.notifyBy as bigint) !== c.notifyBy) {
          this.anomaly(`case ${a.caseId} notifyBy ${a.notifyBy}, replayed ${c.notifyBy}`);
        }
        c.status = to;
        c.notifyBy = a.notifyBy;
        const batch = this.batch(c.batchId);
        if (to === CaseStatus.Cleared || to === CaseStatus.Closed) {
          // The case's stock leaves its reporter's suspended stock: back to it (cleared) or destroyed.
          batch.suspended -= c.quantity;
          if (batch.suspended < 0n) this.anomaly(`suspended stock of ${c.batchId} below 0`);
          const reporter = this.custodyOf(batch, c.reporter);
          this.change(c.batchId, c.reporter, reporter, "suspended", -c.quantity);
          if (to === CaseStatus.Cleared) reporter.held += c.quantity;
          else batch.destroyed += c.quantity;
        }
        break;
      }
      case "SuspectNotified": {
        const c = this.need(s.cases.get(key(a.caseId as string)), `notice of unknown case ${a.caseId}`);
        if (c.status !== CaseStatus.Illegitimate) this.anomaly(`case ${a.caseId} notified in status ${c.status}`);
        if (c.notifiedAt !== 0n) this.anomaly(`case ${a.caseId} notified twice`);
        if ((a.notifyBy as bigint) !== c.notifyBy) this.anomaly(`case ${a.caseId} notified against ${a.notifyBy}, replayed ${c.notifyBy}`);
        c.notifiedAt = a.notifiedAt;
        break;
      }
      default:
        throw new Error(`event ${parsed.name} not known to this replay at the BatchRegistry`);
    }
  }

  // ==== helpers ====

  /** The log that had to come next and did not: a restoration's UnitRestored, a disposal's StateChanged. */
  private expectations(name: string, tx: string): void {
    const restoring = this.restoring;
    if (restoring !== undefined && (name !== "UnitRestored" || restoring.tx !== tx)) {
      this.restoring = undefined;
      this.anomaly(
        `unit ${restoring.index} of ${restoring.batchId} made active by party ${restoring.regulator}, ` +
          `not by party ${restoring.credited} that marked it, with no restoration`,
      );
    }
    const disposing = this.disposing;
    if (disposing !== undefined && (name !== "StateChanged" || disposing.tx !== tx)) {
      this.disposing = undefined;
      this.anomaly(`batch ${disposing.batchId} accounted for by its destruction, but did not enter disposal`);
    }
    if (this.baskets.tx !== tx) this.presenting(tx);
  }

  /** The basket presented in transaction `tx`; a transaction's end with one left unclosed is an anomaly. */
  private presenting(tx: string): PresentedBasket {
    const open = this.baskets;
    if (open.tx === tx) return open;
    if (open.basketId !== undefined) this.anomaly(`units dispensed in basket ${open.basketId} with no BasketDispensed`);
    for (const u of open.ahead) this.anomaly(`unit ${u.index} of ${u.batchId} reported dispensed in a basket, and no basket dispensed it`);
    this.baskets = { tx, items: [], reports: new Map(), ahead: [] };
    return this.baskets;
  }

  /** A party's bulk counters, created at 0 on first use. */
  private counters(party: bigint): BulkCountersRecord {
    let counters = this.state.bulkCounters.get(party);
    if (counters === undefined) {
      counters = { baskets: 0n, oldestOpen: 0n, pallets: 0n };
      this.state.bulkCounters.set(party, counters);
    }
    return counters;
  }

  private anomaly(problem: string): void {
    this.state.anomalyCount++;
    if (this.state.anomalies.length < MAX_ANOMALIES) {
      this.state.anomalies.push({ ...this.current, problem });
    }
  }

  private need<T>(value: T | undefined, problem: string): T {
    if (value === undefined) throw new Error(problem);
    return value;
  }

  private batch(id: unknown): BatchRecord {
    return this.need(this.state.batches.get(key(String(id))), `event for unknown batch ${String(id)}`);
  }

  private subject(id: unknown): SubjectRecord {
    return this.need(this.state.subjects.get(key(String(id))), `event for unknown subject ${String(id)}`);
  }

  /** A party's custody of a batch, created empty on first use. */
  private custodyOf(batch: BatchRecord, party: unknown): CustodyRecord {
    const p = party as bigint;
    let custody = batch.custody.get(p);
    if (custody === undefined) {
      custody = emptyCustody();
      batch.custody.set(p, custody);
    }
    return custody;
  }

  /** Takes `quantity` from a party's available stock (held less locked), as every stock-moving action does. */
  private take(batchId: unknown, batch: BatchRecord, party: unknown, quantity: unknown): CustodyRecord {
    const custody = this.custodyOf(batch, party);
    const q = quantity as bigint;
    const available = custody.held - custody.locked;
    if (available < q) this.anomaly(`party ${party as bigint} takes ${q} of ${key(String(batchId))} with ${available} available`);
    custody.held -= q;
    return custody;
  }

  /** Moves one of a party's custody counters; below 0 is an anomaly. */
  private change(batchId: unknown, party: unknown, custody: CustodyRecord, field: keyof CustodyRecord, by: bigint): void {
    custody[field] += by;
    if (custody[field] < 0n) this.anomaly(`party ${party as bigint} ${field} of ${key(String(batchId))} would be ${custody[field]}`);
  }

  /**
   * Puts back what marking a unit `previous` took, for `party` (the one the unit's record
   * names): a lock is lifted; a dispensed, destroyed or stolen unit is held again.
   */
  private credit(batchId: unknown, batch: BatchRecord, party: bigint, previous: number): void {
    const custody = this.custodyOf(batch, party);
    if (previous === UnitStatus.Locked) {
      this.change(batchId, party, custody, "locked", -1n);
      return;
    }
    if (previous === UnitStatus.Dispensed) {
      this.change(batchId, party, custody, "dispensed", -1n);
      batch.dispensed -= 1n;
    } else if (previous === UnitStatus.Destroyed) batch.destroyed -= 1n;
    else if (previous === UnitStatus.Stolen) batch.lost -= 1n;
    if (batch.dispensed < 0n || batch.destroyed < 0n || batch.lost < 0n) this.anomaly(`a counter of ${key(String(batchId))} would be below 0`);
    custody.held += 1n;
  }
}

/** A basket being presented ({@link StateReplayer}'s transient view of one transaction). */
interface PresentedBasket {
  tx: string;
  basketId?: string;
  party?: bigint;
  items: BasketItemRecord[];
  reports: Map<bigint, bigint>;
  ahead: { batchId: string; index: bigint }[];
}

/** A unit as the contracts read it: Dispensed by party 0 while a basket holds it, else its record (Active, party 0: none). */
export function effectiveUnit(batch: BatchRecord, index: bigint): [status: number, party: bigint] {
  if (batch.basketUnits.has(index)) return [UnitStatus.Dispensed, 0n];
  const record = batch.units.get(index);
  return record === undefined ? [UnitStatus.Active, 0n] : [record.status, record.party];
}

/**
 * Whom closing a shipment or pallet with `status` credits: the receiver when received; the
 * sender when cancelled or rejected; nobody (an anomaly) for any other status.
 */
function creditedOnClose(status: number, shipped: { from: bigint; to: bigint }): bigint | undefined {
  if (status === ShipmentStatus.Received) return shipped.to;
  if (status === ShipmentStatus.Cancelled || status === ShipmentStatus.Rejected) return shipped.from;
  return undefined;
}

function newSubject(isProduct: boolean, gtin: bigint): SubjectRecord {
  return {
    isProduct,
    gtin,
    state: 0,
    reached: 1,
    observations: 0n,
    signedObservations: 0n,
    corrections: 0n,
    recalls: 0n,
    recallId: ZERO_HASH,
    recallLevel: 0n,
    recallOpenedAt: 0n,
    recallDeadline: 0n,
    destructions: 0n,
  };
}
