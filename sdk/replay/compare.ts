/**
 * Compares a replayed state ({@link ReplayState}) with what the contracts' views say,
 * at one block, field by field. Every difference is reported with the entity, the
 * field, the value the events give and the value the view gives: an empty list is the
 * proof that the contracts report exactly what their events say.
 */
import type { Provider } from "ethers";

import {
  IBatchRegistry__factory,
  ConsortiumGovernor__factory,
  ConsortiumRegistry__factory,
  ICollaborationEngine__factory,
  IQualityEngine__factory,
  ISuspectProduct__factory,
} from "../../types/ethers-contracts/index.js";
import { type Mismatch, type RegistryViews, compareIdentity, countedVoter, voterCounts } from "./identity.js";
import { BatchStatus, CaseStatus, Domain, ShipmentStatus } from "../enums.js";
import { basketIdFor, storedCommitment } from "./bulk-events.js";
import {
  type CustodyRecord,
  type ReplayState,
  effectiveUnit,
  emptyCustody,
  graphOf,
  outstandingOf,
  productSubjectId,
  underRecall,
} from "./state.js";

export type { Mismatch } from "./identity.js";

/** Open ends of a range when no rules are set (IQualityEngine NO_MIN / NO_MAX / NO_MAX_HUMIDITY). */
const OPEN_RANGE = [-(2n ** 15n), 2n ** 15n - 1n, 255n];
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
/** A custody's fields, as ISupplyLedger.Custody names them. */
const CUSTODY_FIELDS = ["held", "inTransit", "dispensed", "suspended", "locked", "shipments"] as const satisfies readonly (keyof CustodyRecord)[];

/** The BFT threshold for `n` voters: n − ⌊(n−1)/3⌋ (0 for none), as ConsortiumGovernor.thresholdFor. */
export function thresholdFor(n: bigint): bigint {
  return n === 0n ? 0n : n - (n - 1n) / 3n;
}

export interface CompareOptions {
  /** The block whose state the views are read at (default: the replay's last block). */
  blockTag?: number;
  /**
   * Also read the per-party views of every batch for every party the registry admitted
   * (and party 0, and the next id), and the nonce of every member account, not only of
   * the parties and devices the logs name: a view that moved without an event shows.
   * Costs a batch × party product of calls (default false).
   */
  exhaustive?: boolean;
  /** Views read at once (default 16). */
  concurrency?: number;
  /** Called after each entity checked. */
  onProgress?(done: number, total: number): void;
}

/** Runs `tasks` with at most `limit` at a time, in order of start. */
async function pool(tasks: (() => Promise<void>)[], limit: number, onDone?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Every difference between the replayed state and the contracts' views at `blockTag`. */
export async function compareState(provider: Provider, state: ReplayState, options: CompareOptions = {}): Promise<Mismatch[]> {
  const blockTag = options.blockTag ?? Math.max(state.lastBlock, 0);
  const at = { blockTag };
  const { contracts } = state;
  const registry = ConsortiumRegistry__factory.connect(contracts.registry, provider);
  const governor = ConsortiumGovernor__factory.connect(contracts.governor, provider);
  const batches = IBatchRegistry__factory.connect(contracts.batchRegistry, provider);
  const quality = IQualityEngine__factory.connect(contracts.batchRegistry, provider);
  const collaboration = ICollaborationEngine__factory.connect(contracts.batchRegistry, provider);
  const suspects = ISuspectProduct__factory.connect(contracts.batchRegistry, provider);
  const block = await provider.getBlock(blockTag);
  if (block === null) throw new Error(`no block ${blockTag} on this node`);
  const now = BigInt(block.timestamp);
  // Basket and pallet records hold their block's time: read once per block.
  const times = new Map<number, Promise<bigint>>();
  const timeOf = (n: number): Promise<bigint> => {
    let t = times.get(n);
    if (t === undefined) {
      t = provider.getBlock(n).then((b) => {
        if (b === null) throw new Error(`no block ${n} on this node`);
        return BigInt(b.timestamp);
      });
      times.set(n, t);
    }
    return t;
  };

  const out: Mismatch[] = [];
  const check = (entity: string, field: string, replayed: unknown, view: unknown): void => {
    const [r, v] = [String(replayed).toLowerCase(), String(view).toLowerCase()];
    if (r !== v) out.push({ entity, field, replayed: String(replayed), view: String(view) });
  };
  /** {@link check} for fields a replayed record and its view share by name. */
  const checkFields = <R extends object, V extends object>(
    entity: string,
    replayed: R,
    view: V,
    fields: readonly (keyof R & keyof V & string)[],
  ): void => {
    for (const field of fields) check(entity, field, replayed[field], view[field]);
  };
  const tasks: (() => Promise<void>)[] = [];

  // ---- identity (the registry's own comparison, its views read at the block) ----
  const registryViews: RegistryViews = {
    governor: () => registry.governor(at),
    mirrors: () => registry.mirrors(at),
    partyCount: () => registry.partyCount(at),
    activeVoterCount: () => registry.activeVoterCount(at),
    suspendedVoterCount: () => registry.suspendedVoterCount(at),
    regulatorSuspendedVoterCount: () => registry.regulatorSuspendedVoterCount(at),
    thresholdVoterCount: () => registry.thresholdVoterCount(at),
    reservedUntil: (account) => registry.reservedUntil(account, at),
    countedVoter: (id) => registry.countedVoter(id, at),
    getParty: (id) => registry.getParty(id, at),
    getMember: (account) => registry.getMember(account, at),
    getLicence: (id, kind) => registry.getLicence(id, kind, at),
  };
  tasks.push(async () => {
    out.push(...(await compareIdentity(state.identity, registryViews)));
  });

  // ---- governance ----
  tasks.push(async () => {
    check("governor", "proposalCount", state.governance.proposals.size, await governor.proposalCount(at));
    // n counts active voters and those a regulator suspended on its own.
    check("governor", "currentThreshold", thresholdFor(BigInt(voterCounts(state.identity).threshold)), await governor.currentThreshold(at));
    const p = state.governance.parameters;
    if (p !== undefined) {
      checkFields("governor", p, await governor.parameters(at), ["votingPeriod", "regulatorApprovalKinds"]);
    }
  });
  for (const [id, p] of state.governance.proposals) {
    tasks.push(async () => {
      // An open proposal passes on its approvals in force: those of its approvers still in
      // the threshold's voter set (the replay's own party state), a regulator among them.
      if (!p.executed && now < p.expiresAt) {
        let approvals = 0n;
        let regulatorApproved = false;
        for (const party of p.voters) {
          const { counted, domain } = countedVoter(state.identity, party);
          if (!counted) continue;
          approvals++;
          if (domain === Domain.Regulator) regulatorApproved = true;
        }
        const [inForce, regulatorInForce] = await governor.approvalsInForce(id, at);
        check(`proposal ${id}`, "approvalsInForce", approvals, inForce);
        check(`proposal ${id}`, "regulatorApprovedInForce", regulatorApproved, regulatorInForce);
      }
      checkFields(`proposal ${id}`, p, await governor.getProposal(id, at), [
        "kind",
        "proposerParty",
        "expiresAt",
        "threshold",
        "approvals",
        "regulatorRequired",
        "regulatorApproved",
        "executed",
        "target",
        "data",
      ]);
    });
  }

  // ---- the BatchRegistry's membership mirror ----
  for (const [account, m] of state.mirror.members) {
    tasks.push(async () => {
      checkFields(`mirrored member ${account}`, m, await batches.mirroredMember(account, at), ["partyId", "role", "status"]);
    });
  }
  for (const [id, m] of state.mirror.parties) {
    tasks.push(async () => {
      checkFields(`mirrored party ${id}`, m, await batches.mirroredParty(id, at), [
        "domain",
        "status",
        "revokedLicences",
        "licencesValidUntil",
      ]);
    });
  }

  // ---- settings ----
  tasks.push(async () => {
    if (state.undoWindow !== undefined) check("batch registry", "dispenseUndoWindow", state.undoWindow, await batches.dispenseUndoWindow(at));
    check("collaboration", "unknownCodeReportCount", state.unknownCodeReports, await suspects.unknownCodeReportCount(at));
    const periods = await collaboration.recallPeriods(at);
    const replayed = state.recallPeriods ?? [86_400n, 259_200n, 604_800n];
    check("collaboration", "recallPeriods", replayed.join(","), periods.join(","));
    const graph = await collaboration.stateGraph(at);
    check("collaboration", "graph states", graphOf(state).length, graph.length);
    graphOf(state).forEach((s, i) => {
      check(`graph state ${i}`, "kind", s.kind, graph[i]?.kind);
      check(`graph state ${i}`, "halts", s.halts, graph[i]?.halts);
    });
  });

  // ---- products and rules ----
  for (const [gtin, p] of state.products) {
    tasks.push(async () => {
      const entity = `product ${gtin}`;
      const view = await batches.getProduct(gtin, at);
      check(entity, "holder", p.holder, view.holder);
      check(entity, "nationalCode", p.nationalCode, view.nationalCode);
      check(entity, "name", p.name, view.name);
      check(entity, "approvalNo", p.approvalNo, view.approvalNo);
      // The approval removed the holder's application (unless it applied again since: then it is pending).
      if (state.applications.get(gtin)?.has(p.holder) !== true) {
        check(entity, "application of its holder", 0n, (await batches.productApplication(gtin, p.holder, at)).holder);
      }
      const [rules, set] = await quality.rulesOf(gtin, at);
      const r = p.rules;
      check(entity, "rules set", r !== undefined, set);
      const range = (x: { minTemperature: bigint; maxTemperature: bigint; maxHumidity: bigint }) =>
        [x.minTemperature, x.maxTemperature, x.maxHumidity].join(",");
      check(entity, "storageRange", (r?.storage ?? OPEN_RANGE).join(","), range(rules.storageRange));
      check(entity, "transportRange", (r?.transport ?? OPEN_RANGE).join(","), range(rules.transportRange));
      check(entity, "stopOnCritical", r?.stopOnCritical ?? 0n, rules.stopOnCritical);
      check(entity, "adverseCount", r?.adverseCount ?? 0n, rules.adverseCount);
      check(entity, "adverseWindow", r?.adverseWindow ?? 0n, rules.adverseWindow);
      check(entity, "ruleContract", r?.ruleContract ?? ZERO_ADDRESS, rules.ruleContract);
      check(entity, "ruleGas", r?.ruleGas ?? 0n, rules.ruleGas);
    });
  }

  // ---- pending applications, national codes ----
  for (const [gtin, pending] of state.applications) {
    for (const [applicant, application] of pending) {
      tasks.push(async () => {
        const entity = `application ${gtin} by party ${applicant}`;
        const view = await batches.productApplication(gtin, applicant, at);
        check(entity, "applicant", applicant, view.holder);
        checkFields(entity, application, view, ["nationalCode", "name", "approvalNo"]);
      });
    }
  }
  for (const [code, gtin] of state.nationalCodes) {
    tasks.push(async () => check(`national code ${code}`, "productOfNationalCode", gtin, await batches.productOfNationalCode(code, at)));
  }

  // ---- collaborative subjects (products and batches) ----
  for (const [id, sub] of state.subjects) {
    tasks.push(async () => {
      const entity = sub.isProduct ? `product ${sub.gtin}` : `batch ${id}`;
      const rec = await collaboration.subjectRecord(id, at);
      const productState = state.subjects.get(productSubjectId(sub.gtin))?.state ?? 0;
      check(entity, "state", sub.state, rec.state);
      check(entity, "effectiveState", sub.isProduct ? sub.state : Math.max(sub.state, productState), rec.effectiveState);
      check(entity, "reached", sub.reached, rec.reached);
      check(entity, "observations", sub.observations, rec.observations);
      check(entity, "recalls", sub.recalls, rec.recalls);
      check(entity, "recallLevel", sub.recallLevel, rec.recallLevel);
      check(entity, "recallOpenedAt", sub.recallOpenedAt, rec.recallOpenedAt);
      check(entity, "recallDeadline", sub.recallDeadline, rec.recallDeadline);
      check(entity, "destructions", sub.destructions, rec.destructions);
      if (!sub.isProduct) check(entity, "recallIdOf", sub.recallId, await collaboration.recallIdOf(id, at));
    });
  }

  // ---- batches, custody, units ----
  const inTransit = new Map<string, bigint>();
  const recipients = new Map<string, Set<bigint>>();
  for (const sh of state.shipments.values()) {
    if (sh.status === ShipmentStatus.InTransit) inTransit.set(sh.batchId, (inTransit.get(sh.batchId) ?? 0n) + sh.quantity);
    recipients.set(sh.batchId, (recipients.get(sh.batchId) ?? new Set()).add(sh.to));
  }
  // An open pallet's lines are in transit too (closed pallets keep no lines: their receivers hold custody records).
  for (const pallet of state.pallets.values()) {
    for (const line of pallet.lines ?? []) {
      inTransit.set(line.batchId, (inTransit.get(line.batchId) ?? 0n) + line.quantity);
      recipients.set(line.batchId, (recipients.get(line.batchId) ?? new Set()).add(pallet.to));
    }
  }
  const reporters = new Map<string, Set<bigint>>();
  for (const c of state.cases.values()) reporters.set(c.batchId, (reporters.get(c.batchId) ?? new Set()).add(c.reporter));
  const everyParty = options.exhaustive === true ? [0n, ...state.identity.parties.keys(), BigInt(state.identity.parties.size) + 1n] : [];
  for (const [id, b] of state.batches) {
    const entity = `batch ${id}`;
    const sub = state.subjects.get(id);
    const custodies = [...b.custody.values()];
    const sum = (field: keyof CustodyRecord) => custodies.reduce((x, c) => x + c[field], 0n);
    tasks.push(async () => {
      const view = await batches.getBatch(id, at);
      checkFields(entity, b, view, [
        "gtin",
        "manufacturer",
        "manufacturedAt",
        "expiresAt",
        "quantity",
        "unitsRoot",
        "unitCount",
        "dispensed",
        "destroyed",
        "lost",
        "quarantined",
      ]);
      check(entity, "status", b.released ? BatchStatus.Released : BatchStatus.Production, view.status);
      check(entity, "observations", sub?.observations ?? 0n, view.observations);
      check(entity, "inspected", b.inspected, (Number(view.flags) & 1) === 1);
      const state_ = sub?.state ?? 0;
      const halts = graphOf(state)[state_]?.halts ?? true;
      check(entity, "state byte", halts ? state_ | 0x80 : state_, view.state);
      check(entity, "batchIdOf", id, await batches.batchIdOf(b.gtin, b.lot, at));
      check(entity, "suspectReportCount", b.suspectReports, await batches.suspectReportCount(id, at));
      const [cases, suspended] = await suspects.suspectCount(id, at);
      check(entity, "cases", b.cases, cases);
      check(entity, "suspended", b.suspended, suspended);
      // Conservation, every term replayed: Σ held + Σ in transit + dispensed + destroyed + lost + quarantined + suspended.
      const accounted = sum("held") + sum("inTransit") + b.dispensed + b.destroyed + b.lost + b.quarantined + b.suspended;
      check(entity, "conservation (replayed sum vs quantity)", accounted, view.quantity);
      // The per-party counters add up to what they summarise.
      check(entity, "Σ dispensed by party (replayed) vs dispensed", sum("dispensed"), view.dispensed);
      check(entity, "Σ suspended by party (replayed) vs suspended", sum("suspended"), suspended);
      check(entity, "Σ in transit by party (replayed) vs open shipments (replayed)", sum("inTransit"), inTransit.get(id) ?? 0n);
    });
    const parties = new Set<bigint>([
      b.manufacturer,
      ...b.custody.keys(),
      ...(recipients.get(id) ?? []),
      ...(reporters.get(id) ?? []),
      ...[...b.units.values()].map((u) => u.party),
      ...everyParty,
    ]);
    for (const p of parties) {
      tasks.push(async () => {
        const custody = b.custody.get(p) ?? emptyCustody();
        const pe = `${entity} party ${p}`;
        const view = await batches.custody(id, p, at);
        for (const field of CUSTODY_FIELDS) check(pe, field, custody[field], view[field]);
        check(pe, "holding", custody.held, await batches.holding(id, p, at));
        check(pe, "dispensedBy", custody.dispensed, await batches.dispensedBy(id, p, at));
        const recalled = sub !== undefined && underRecall(state, sub);
        const outstanding = recalled ? outstandingOf(custody) : 0n;
        const [owed, overdue] = await collaboration.outstanding(id, p, at);
        check(pe, "outstanding", outstanding, owed);
        check(pe, "overdue", outstanding !== 0n && now > (sub?.recallDeadline ?? 0n), overdue);
      });
    }
    // Units with a record and units dispensed in a basket (read as Dispensed by party 0).
    for (const index of new Set([...b.units.keys(), ...b.basketUnits.keys()])) {
      tasks.push(async () => {
        const [replayedStatus, replayedParty] = effectiveUnit(b, index);
        const [status, party] = await batches.unitRecord(id, index, at);
        check(`${entity} unit ${index}`, "status", replayedStatus, status);
        check(`${entity} unit ${index}`, "party", replayedParty, party);
      });
    }
  }

  for (const [id, sh] of state.shipments) {
    tasks.push(async () => {
      checkFields(`shipment ${id}`, sh, await batches.getShipment(id, at), ["status", "quantity", "from", "to", "seq"]);
    });
  }

  // ---- baskets and pallets ----
  for (const [party, counters] of state.bulkCounters) {
    tasks.push(async () => {
      const [baskets, oldestOpen, pallets] = await batches.bulkCounters(party, at);
      const entity = `bulk counters of party ${party}`;
      check(entity, "baskets", counters.baskets, baskets);
      check(entity, "oldestOpen", counters.oldestOpen, oldestOpen);
      check(entity, "pallets", counters.pallets, pallets);
    });
    // Every basket whose record may exist: the open ones replayed, the others empty.
    for (let seq = counters.oldestOpen; seq < counters.baskets; seq++) {
      const basketId = basketIdFor(party, seq);
      tasks.push(async () => {
        const record = state.baskets.get(basketId);
        const [at_, commitment] = await batches.basketRecord(party, seq, at);
        const entity = `basket ${seq} of party ${party}`;
        check(entity, "at", record === undefined ? 0n : await timeOf(record.block), at_);
        check(entity, "commitment", record === undefined ? `0x${"0".repeat(64)}` : storedCommitment(record.commitment), commitment);
      });
    }
  }
  for (const [id, record] of state.baskets) {
    // A record outside its party's open range is one the contracts cannot hold.
    const counters = state.bulkCounters.get(record.party);
    if (counters === undefined || record.seq < counters.oldestOpen || record.seq >= counters.baskets) {
      check(`basket ${id}`, "seq within the party's open baskets", record.seq, `${counters?.oldestOpen ?? 0n}…${(counters?.baskets ?? 0n) - 1n}`);
    }
  }
  for (const [id, p] of state.pallets) {
    tasks.push(async () => {
      const view = await batches.getPallet(id, at);
      const entity = `pallet ${id}`;
      checkFields(entity, p, view, ["from", "to", "seq", "lineCount", "status", "linesHash"]);
      check(entity, "shippedAt", await timeOf(p.block), view.shippedAt);
    });
  }

  for (const [id, d] of state.destructions) {
    tasks.push(async () => {
      checkFields(`destruction ${id}`, d, await collaboration.destruction(id, at), ["status", "quantity", "proposer", "no", "proposedAt"]);
    });
  }

  for (const [id, c] of state.cases) {
    tasks.push(async () => {
      const entity = `case ${id}`;
      checkFields(entity, c, await suspects.suspectCase(id, at), [
        "batchId",
        "reporter",
        "quantity",
        "openedAt",
        "notifyBy",
        "status",
        "no",
        "unit",
        "notifiedAt",
      ]);
      const overdue = c.status === CaseStatus.Illegitimate && c.notifiedAt === 0n && now > c.notifyBy;
      check(entity, "notificationOverdue", overdue, await suspects.notificationOverdue(id, at));
    });
  }

  const devices = new Set(state.nonces.keys());
  if (options.exhaustive === true) for (const account of state.identity.members.keys()) devices.add(account.toLowerCase());
  for (const device of devices) {
    tasks.push(async () => check(`device ${device}`, "nonce", state.nonces.get(device) ?? 0n, await quality.nonces(device, at)));
  }

  await pool(tasks, options.concurrency ?? 16, (done) => options.onProgress?.(done, tasks.length));
  return out.sort((x, y) => (x.entity < y.entity ? -1 : x.entity > y.entity ? 1 : x.field < y.field ? -1 : 1));
}
