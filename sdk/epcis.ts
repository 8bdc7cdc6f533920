/**
 * A batch's history as a GS1 EPCIS 2.0 JSON-LD `EPCISDocument`, so that other systems
 * (a regulator's EPCIS repository, a wholesaler's WMS) read it in the standard form.
 *
 * {@link buildEpcisDocument} is a pure function of the batch's decoded events (every
 * MedState event that names the batch or its product, with block timestamps), the
 * batch's facts (GTIN, lot, expiry) and the parties' names and domains. Each event that
 * moves or judges stock becomes an `ObjectEvent` with CBV 2.0 values:
 *
 * | MedState event | action | bizStep | disposition |
 * | --- | --- | --- | --- |
 * | BatchCreated | ADD | commissioning | active (ILMD: lot, expiry) |
 * | BatchReleased | OBSERVE | `urn:medstate:bizstep:releasing` (CBV has none) | active |
 * | Shipped | OBSERVE | shipping | in_transit |
 * | ShipmentClosed Received / Cancelled / Rejected | OBSERVE | receiving / void_shipping / void_shipping | in_progress / in_progress / returned |
 * | Observed | OBSERVE | by control point: storing, inspecting, transporting, other | conformant (normal inspection), non_conformant (deviation, critical) |
 * | StateChanged to a plain halting state (EmergencyStop) | OBSERVE | holding | non_sellable_other |
 * | StateChanged to a recall state | OBSERVE | holding | recalled |
 * | StateChanged to a plain state that does not halt (Marketed, on resume) | OBSERVE | other | active |
 * | StockReturned | OBSERVE | holding | recalled |
 * | StockSeized (the regulator's forced return) | OBSERVE | holding | recalled |
 * | DestructionWitnessed | DELETE | destroying | destroyed |
 * | UnitStatusChanged to Dispensed / Destroyed / Stolen / Locked / Active | OBSERVE (DELETE for destroyed) | dispensing / destroying / other / holding / other | dispensed / destroyed / stolen / non_sellable_other / active |
 * | SuspectUnitReported | OBSERVE | inspecting | (none) |
 * | UnitsDispensed (a basket's units of the batch) | OBSERVE | dispensing | dispensed |
 * | BasketUndone (its units of the batch) | OBSERVE | other | active |
 * | PalletShipped | OBSERVE | shipping | in_transit |
 * | PalletClosed Received / Cancelled / Rejected | OBSERVE | receiving / void_shipping / void_shipping | in_progress / in_progress / returned |
 *
 * A pallet is one shipping event and one closing event, each with a `quantityList` entry
 * per line (a line of another batch is named by its LGTIN when {@link BatchFacts}
 * `lineBatches` knows its GTIN and lot, else `urn:medstate:batch:<id>`), and the pallet as
 * a `desadv` business transaction. A basket's units of the batch are one dispensing event
 * with their SGTINs (a `quantityList` for those whose code is not known) and the basket as
 * a business transaction; a suspect report of a unit dispensed in a basket (recorded
 * party 0) names who dispensed it (`medstate:dispensedBy`, `medstate:dispensedInBasket`,
 * `medstate:dispenseEventID`) when the basket's UnitsDispensed is among the events.
 *
 * Returned and seized stock goes to the quarantine of the product's marketing-authorisation
 * holder: the holder the history's ProductRegistered and ProductReassigned events name at
 * that time (the batch's manufacturer when they are not in the history). A regulator's
 * restoration of a unit (UnitRestored) is folded into its UnitStatusChanged to active: the
 * regulator records it, and it concerns the stock of the party credited
 * (`medstate:creditedParty`). A witnessed destruction that leaves units unaccounted for
 * keeps the batch recalled: its event then carries no `medstate:state`.
 *
 * `readPoint` is the party that recorded an event and `bizLocation` the party whose
 * stock it concerns; a state change applies to the batch wherever it is held, so it
 * has a `readPoint` (the deciding party) and no `bizLocation`. A stop is CBV's
 * `holding` business step: CBV 2.0 has no `holding` disposition (the GS1 schema
 * rejects one), so stopped stock is `non_sellable_other`. Observations with a
 * temperature or humidity carry a `sensorElementList` (Temperature in `CEL`,
 * RelativeHumidity in `P1`, percent; a critical reading is an `ALARM_CONDITION`). A
 * correction (an observation whose `corrects` names an earlier `seq`) also yields the
 * corrected event again with an `errorDeclaration` (reason `incorrect_data`) that
 * points at the correcting event, EPCIS 2.0's way of declaring an event in error.
 * Rule firings, recall openings and annotations are folded into the event of the same
 * transaction as extension fields; destruction proposals and suspect cases move no
 * stock and are left to the trace.
 *
 * Identifiers: the batch is the LGTIN class `urn:epc:class:lgtin:<companyPrefix>.
 * <indicator><itemRef>.<lot>`, a unit the SGTIN `urn:epc:id:sgtin:<companyPrefix>.
 * <indicator><itemRef>.<serial>` when its GS1 code is known. **The GS1 company prefix
 * length cannot be read from a GTIN** (it is assigned by the GS1 member organisation,
 * 6 to 12 digits); MedState uses one `companyPrefixLength` for every GTIN of a
 * document (default 7; give the real length of the holder's prefix when it is known),
 * so the same GTIN always maps to the same URI. Parties are `urn:medstate:party:<id>`, or `urn:epc:id:sgln:…`
 * when a party has a GLN. Events are `urn:medstate:event:<txHash>:<logIndex>`.
 * MedState's own data (transaction hash, log index, block, seq, …) sits in
 * `medstate:`-prefixed extension fields; the document's `@context` binds that prefix
 * to {@link MEDSTATE_NAMESPACE}.
 */
import { NO_HUMIDITY, NO_TEMPERATURE, PHARMACEUTICAL_GRAPH, type StateDefView } from "./quality.js";
import { type BasketSuspectReport, basketSuspectReports } from "./replay/dispensers.js";

export const EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/** The IRI the `medstate:` prefix of extension fields expands to. */
export const MEDSTATE_NAMESPACE = "urn:medstate:epcis:";
/** The company prefix length used when none is given (see the module comment). */
export const DEFAULT_COMPANY_PREFIX_LENGTH = 7;

// ==== INPUT ====

/** One decoded MedState event, as the log reader hands it over. */
export interface ChainEvent {
  /** The event's name in the ABI: `Shipped`, `Observed`, … */
  name: string;
  /** Arguments by parameter name; integers as bigint (or number), ids as 0x-hex. */
  args: Readonly<Record<string, unknown>>;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
  /** The block's timestamp, Unix seconds. */
  timestamp: number | bigint;
}

export interface PartyInfo {
  name: string;
  /** `manufacturer`, `wholesaler`, … (sdk/enums DOMAINS). */
  domain: string;
  /** A 13-digit GLN, when the party has one: its locations become SGLNs. */
  gln?: string;
}

/** A state of the collaborative state graph (sdk/quality's `StateDefView`). */
export type StateInfo = StateDefView;

export interface BatchFacts {
  batchId: string;
  /** GTIN-14. */
  gtin: string;
  lot: string;
  /** Expiry date, `YYYY-MM-DD` or ISO-8601. */
  expiry?: string | null;
  productName?: string;
  /** Parties by decimal id. */
  parties: Readonly<Record<string, PartyInfo>>;
  /** The state graph; the pharmaceutical one ({@link PHARMACEUTICAL_GRAPH}) when absent. */
  states?: readonly StateInfo[];
  /** Canonical unit codes by unit index (the batch's unit dump), when known. */
  unitCodes?: readonly string[];
  /** GTIN-14 and lot of other batches a pallet line names, by batch id (lower-case 0x-hex). */
  lineBatches?: Readonly<Record<string, { gtin: string; lot: string }>>;
}

export interface EpcisOptions {
  /** GS1 company prefix length, 6…12 (default {@link DEFAULT_COMPANY_PREFIX_LENGTH}). */
  companyPrefixLength?: number;
  /** The document's creationDate; default the time of its last event (keeps the function pure). */
  creationDate?: Date | string;
}

// ==== OUTPUT ====

type Extensions = { [key: `medstate:${string}`]: string | number | boolean | string[] | null };

export interface QuantityElement {
  epcClass: string;
  quantity?: number;
}

export interface SensorReport {
  type: "Temperature" | "RelativeHumidity";
  value: number;
  uom: "CEL" | "P1";
  exception?: "ALARM_CONDITION";
}

export interface SensorElement {
  sensorMetadata: { time: string };
  sensorReport: SensorReport[];
}

export type EpcisObjectEvent = {
  type: "ObjectEvent";
  eventTime: string;
  eventTimeZoneOffset: "+00:00";
  eventID: string;
  epcList?: string[];
  quantityList?: QuantityElement[];
  action: "ADD" | "OBSERVE" | "DELETE";
  bizStep: string;
  disposition?: string;
  readPoint?: { id: string };
  bizLocation?: { id: string };
  bizTransactionList?: { type?: string; bizTransaction: string }[];
  sourceList?: { type: string; source: string }[];
  destinationList?: { type: string; destination: string }[];
  sensorElementList?: SensorElement[];
  ilmd?: Record<string, string>;
  errorDeclaration?: { declarationTime: string; reason: string; correctiveEventIDs: string[] };
} & Extensions;

export interface VocabularyElement {
  id: string;
  attributes: { id: string; attribute: string | number }[];
}

export interface EpcisDocument {
  "@context": [typeof EPCIS_CONTEXT, { medstate: string }];
  type: "EPCISDocument";
  schemaVersion: "2.0";
  creationDate: string;
  epcisHeader: { epcisMasterData: { vocabularyList: { type: string; vocabularyElementList: VocabularyElement[] }[] } };
  epcisBody: { eventList: EpcisObjectEvent[] };
}

// ==== IDENTIFIERS ====

/** TDS 2.0 §14.1: characters of AI 82 that must be %-escaped in an EPC URI component. */
function escapeEpcComponent(text: string): string {
  return text.replace(/["%&/<>?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function checkPrefixLength(length: number): void {
  if (!Number.isInteger(length) || length < 6 || length > 12) {
    throw new Error(`invalid GS1 company prefix length ${length}: expected 6…12`);
  }
}

/** A GTIN-14 as `<companyPrefix>.<indicator><itemRef>` for a company prefix of `prefixLength` digits. */
export function gtinEpcParts(gtin14: string, prefixLength = DEFAULT_COMPANY_PREFIX_LENGTH): string {
  checkPrefixLength(prefixLength);
  if (!/^\d{14}$/.test(gtin14)) throw new Error(`invalid GTIN-14 "${gtin14}"`);
  return `${gtin14.slice(1, 1 + prefixLength)}.${gtin14[0]}${gtin14.slice(1 + prefixLength, 13)}`;
}

/** `urn:epc:class:lgtin:…` of a GTIN and lot. */
export function lgtinUri(gtin14: string, lot: string, prefixLength = DEFAULT_COMPANY_PREFIX_LENGTH): string {
  return `urn:epc:class:lgtin:${gtinEpcParts(gtin14, prefixLength)}.${escapeEpcComponent(lot)}`;
}

/** `urn:epc:id:sgtin:…` of a GTIN and serial. */
export function sgtinUri(gtin14: string, serial: string, prefixLength = DEFAULT_COMPANY_PREFIX_LENGTH): string {
  return `urn:epc:id:sgtin:${gtinEpcParts(gtin14, prefixLength)}.${escapeEpcComponent(serial)}`;
}

/** A party's location URI: its SGLN when it has a GLN, else `urn:medstate:party:<id>`. */
export function partyUri(partyId: string | bigint, party?: PartyInfo, prefixLength = DEFAULT_COMPANY_PREFIX_LENGTH): string {
  if (party?.gln !== undefined && /^\d{13}$/.test(party.gln)) {
    checkPrefixLength(prefixLength);
    return `urn:epc:id:sgln:${party.gln.slice(0, prefixLength)}.${party.gln.slice(prefixLength, 12)}.0`;
  }
  return `urn:medstate:party:${partyId}`;
}

/** The EPCIS eventID of the event a log became. */
export function eventIdOf(event: Pick<ChainEvent, "transactionHash" | "logIndex">): string {
  return `urn:medstate:event:${event.transactionHash.toLowerCase()}:${event.logIndex}`;
}

/** The GS1 serial of a canonical unit code `01<gtin>21<serial>`, when it is of this GTIN. */
function serialOf(canonical: string | undefined, gtin14: string): string | undefined {
  if (canonical === undefined) return undefined;
  // Twenty digits alone are a China drug traceability code (sdk/codes detectFormat).
  if (/^\d{20}$/.test(canonical)) return undefined;
  const match = /^01(\d{14})21(.+)$/.exec(canonical);
  return match !== null && match[1] === gtin14 ? match[2] : undefined;
}

// ==== BUILDER ====

const POINT_STEPS = ["other", "other", "other", "transporting", "storing", "inspecting", "other", "other"] as const;
const POINT_NAMES = ["process", "production", "order", "transport", "storage", "inspection", "efficacy", "adverse"] as const;
const RESULT_NAMES = ["normal", "deviation", "critical"] as const;
const SHIPMENT_NAMES = ["none", "in-transit", "received", "cancelled", "rejected"] as const;
const UNIT_NAMES = ["active", "dispensed", "destroyed", "stolen", "locked"] as const;
const ACTOR_NAMES = ["regulator", "holder", "rule", "witness"] as const;
const UNIT_STEPS: Record<string, { action: EpcisObjectEvent["action"]; bizStep: string; disposition: string }> = {
  active: { action: "OBSERVE", bizStep: "other", disposition: "active" },
  dispensed: { action: "OBSERVE", bizStep: "dispensing", disposition: "dispensed" },
  destroyed: { action: "DELETE", bizStep: "destroying", disposition: "destroyed" },
  stolen: { action: "OBSERVE", bizStep: "other", disposition: "stolen" },
  locked: { action: "OBSERVE", bizStep: "holding", disposition: "non_sellable_other" },
};

/** The extension fields that name who dispensed a unit a suspect report says a basket dispensed. */
function suspectDispenser(report: BasketSuspectReport | undefined, named: Set<string>): Extensions {
  const by = report?.dispensedBy;
  if (by === undefined) return {};
  named.add(by.party.toString());
  return {
    "medstate:dispensedBy": by.party.toString(),
    "medstate:dispensedInBasket": by.basketId,
    "medstate:dispenseEventID": eventIdOf(by),
  };
}

function name(names: readonly string[], value: unknown): string {
  return names[Number(value)] ?? `unknown(${String(value)})`;
}

function text(value: unknown): string {
  return typeof value === "bigint" || typeof value === "number" ? value.toString() : String(value);
}

function isoTime(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

/** The EPCIS disposition and business step of entering `state`. */
export function stateStep(state: StateInfo | undefined): { bizStep: string; disposition: string } {
  if (state === undefined) return { bizStep: "other", disposition: "unknown" };
  if (state.kind === "recall") return { bizStep: "holding", disposition: "recalled" };
  if (state.kind === "disposal") return { bizStep: "destroying", disposition: "destroyed" };
  return state.halts ? { bizStep: "holding", disposition: "non_sellable_other" } : { bizStep: "other", disposition: "active" };
}

/**
 * The EPCIS 2.0 document of one batch's history. `events` are every decoded MedState
 * event naming the batch (and its product); their order does not matter.
 */
export function buildEpcisDocument(events: readonly ChainEvent[], batch: BatchFacts, options: EpcisOptions = {}): EpcisDocument {
  const prefixLength = options.companyPrefixLength ?? DEFAULT_COMPANY_PREFIX_LENGTH;
  checkPrefixLength(prefixLength);
  const lgtin = lgtinUri(batch.gtin, batch.lot, prefixLength);
  const states = batch.states ?? PHARMACEUTICAL_GRAPH;
  const sorted = [...events].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const named = new Set<string>();
  const where = (partyId: unknown) => {
    named.add(text(partyId));
    return partyUri(text(partyId), batch.parties[text(partyId)], prefixLength);
  };
  const located = (partyId: unknown) => ({ readPoint: { id: where(partyId) }, bizLocation: { id: where(partyId) } });
  const lot = (quantity?: unknown): QuantityElement[] => [
    quantity === undefined ? { epcClass: lgtin } : { epcClass: lgtin, quantity: Number(quantity) },
  ];

  // Facts spread over several logs of one transaction.
  const inTx = (e: ChainEvent, wanted: string) =>
    sorted.filter((o) => o.transactionHash === e.transactionHash && o.name === wanted);
  const shipments = new Map<string, ChainEvent>();
  const proposals = new Map<string, ChainEvent>();
  const pallets = new Map<string, ChainEvent>();
  const baskets = new Map<string, ChainEvent>();
  let manufacturer: string | undefined;
  for (const e of sorted) {
    if (e.name === "Shipped") shipments.set(text(e.args.shipmentId).toLowerCase(), e);
    if (e.name === "PalletShipped") pallets.set(text(e.args.palletId).toLowerCase(), e);
    if (e.name === "BasketDispensed") baskets.set(text(e.args.basketId).toLowerCase(), e);
    if (e.name === "DestructionProposed") proposals.set(text(e.args.destructionId).toLowerCase(), e);
    if (e.name === "BatchCreated") manufacturer = text(e.args.manufacturer);
  }
  // The product's holder as the events go (registration, reassignment): whose quarantine it is.
  let holder: string | undefined;
  const quarantineOf = () => holder ?? manufacturer;
  const annotationOf = (e: ChainEvent) =>
    sorted.find(
      (o) =>
        o.name === "ObservationAnnotated" &&
        text(o.args.subject) === text(e.args.subject) &&
        text(o.args.seq) === text(e.args.seq),
    );

  // Who dispensed the units that suspect reports say a basket dispensed.
  const basketSuspects = new Map<string, BasketSuspectReport>(
    basketSuspectReports(sorted).map((r) => [`${r.transactionHash}:${r.logIndex}`, r]),
  );
  const batchKey = batch.batchId.toLowerCase();
  /** A pallet line's class: this lot, another known lot, or the batch id. */
  const classOf = (batchId: unknown): string => {
    const id = text(batchId).toLowerCase();
    if (id === batchKey) return lgtin;
    const other = batch.lineBatches?.[id];
    return other === undefined ? `urn:medstate:batch:${id}` : lgtinUri(other.gtin, other.lot, prefixLength);
  };
  const linesList = (lines: unknown): QuantityElement[] =>
    [...(lines as readonly { batchId: unknown; quantity: unknown }[])].map((l) => ({ epcClass: classOf(l.batchId), quantity: Number(l.quantity) }));
  /** Units of this batch by index: their SGTINs where the code is known, a quantity of the lot for the others. */
  const unitsOf = (indices: readonly unknown[]): Pick<EpcisObjectEvent, "epcList" | "quantityList"> => {
    const epcs: string[] = [];
    for (const index of indices) {
      const serial = serialOf(batch.unitCodes?.[Number(index)], batch.gtin);
      if (serial !== undefined) epcs.push(sgtinUri(batch.gtin, serial, prefixLength));
    }
    const unknown = indices.length - epcs.length;
    return { ...(epcs.length === 0 ? {} : { epcList: epcs }), ...(unknown === 0 ? {} : { quantityList: lot(unknown) }) };
  };
  const parties = (from: unknown, to: unknown) => ({
    sourceList: [
      { type: "owning_party", source: where(from) },
      { type: "possessing_party", source: where(from) },
    ],
    destinationList: [
      { type: "owning_party", destination: where(to) },
      { type: "possessing_party", destination: where(to) },
    ],
  });

  const out: EpcisObjectEvent[] = [];
  const bySeq = new Map<string, EpcisObjectEvent>();
  for (const e of sorted) {
    const base = {
      type: "ObjectEvent" as const,
      eventTime: isoTime(e.timestamp),
      eventTimeZoneOffset: "+00:00" as const,
      eventID: eventIdOf(e),
    };
    const ext: Extensions = {
      "medstate:event": e.name,
      "medstate:transactionHash": e.transactionHash.toLowerCase(),
      "medstate:logIndex": e.logIndex,
      "medstate:blockNumber": String(e.blockNumber),
    };
    if (typeof e.args.actor === "string") ext["medstate:actor"] = e.args.actor;
    const a = e.args;
    switch (e.name) {
      case "ProductRegistered":
      case "ProductReassigned":
        // No stock moved: it only says whose quarantine returns go to from now on.
        holder = text(a.holder);
        break;
      case "BatchCreated": {
        const ilmd: Record<string, string> = { "cbvmda:lotNumber": batch.lot };
        if (batch.expiry !== undefined && batch.expiry !== null) ilmd["cbvmda:itemExpirationDate"] = batch.expiry.slice(0, 10);
        out.push({
          ...base,
          quantityList: lot(a.quantity),
          action: "ADD",
          bizStep: "commissioning",
          disposition: "active",
          ...located(a.manufacturer),
          ilmd,
          ...ext,
          "medstate:batchId": text(a.batchId),
          "medstate:party": text(a.manufacturer),
          "medstate:unitsRoot": text(a.unitsRoot),
          "medstate:unitCount": text(a.unitCount),
        });
        break;
      }
      case "BatchReleased":
        out.push({
          ...base,
          quantityList: lot(),
          action: "OBSERVE",
          bizStep: "urn:medstate:bizstep:releasing",
          disposition: "active",
          ...located(a.manufacturer),
          ...ext,
          "medstate:party": text(a.manufacturer),
        });
        break;
      case "Shipped":
        out.push({
          ...base,
          quantityList: lot(a.quantity),
          action: "OBSERVE",
          bizStep: "shipping",
          disposition: "in_transit",
          ...located(a.from),
          bizTransactionList: [{ bizTransaction: `urn:medstate:shipment:${text(a.shipmentId).toLowerCase()}` }],
          sourceList: [
            { type: "owning_party", source: where(a.from) },
            { type: "possessing_party", source: where(a.from) },
          ],
          destinationList: [
            { type: "owning_party", destination: where(a.to) },
            { type: "possessing_party", destination: where(a.to) },
          ],
          ...ext,
          "medstate:shipmentId": text(a.shipmentId),
          "medstate:party": text(a.from),
          "medstate:to": text(a.to),
        });
        break;
      case "ShipmentClosed": {
        const status = name(SHIPMENT_NAMES, a.status);
        const shipped = shipments.get(text(a.shipmentId).toLowerCase());
        const step =
          status === "received"
            ? { bizStep: "receiving", disposition: "in_progress" }
            : { bizStep: "void_shipping", disposition: status === "rejected" ? "returned" : "in_progress" };
        const sender = shipped?.args.from;
        const receiver = shipped?.args.to ?? a.creditedParty;
        out.push({
          ...base,
          quantityList: lot(a.quantity),
          action: "OBSERVE",
          ...step,
          ...located(a.creditedParty),
          bizTransactionList: [{ bizTransaction: `urn:medstate:shipment:${text(a.shipmentId).toLowerCase()}` }],
          ...(sender === undefined
            ? {}
            : {
                sourceList: [
                  { type: "owning_party", source: where(sender) },
                  { type: "possessing_party", source: where(sender) },
                ],
                destinationList: [
                  { type: "owning_party", destination: where(receiver) },
                  { type: "possessing_party", destination: where(receiver) },
                ],
              }),
          ...ext,
          "medstate:shipmentId": text(a.shipmentId),
          "medstate:shipmentStatus": status,
          "medstate:party": text(a.creditedParty),
        });
        break;
      }
      case "Observed": {
        const point = name(POINT_NAMES, a.point);
        const result = name(RESULT_NAMES, a.result);
        const temperature = Number(a.temperature);
        const humidity = Number(a.humidity);
        const reports: SensorReport[] = [];
        const alarm = result === "critical" ? { exception: "ALARM_CONDITION" as const } : {};
        if (temperature !== NO_TEMPERATURE) reports.push({ type: "Temperature", value: temperature / 100, uom: "CEL", ...alarm });
        if (humidity !== NO_HUMIDITY) reports.push({ type: "RelativeHumidity", value: humidity / 100, uom: "P1", ...alarm });
        const disposition = result !== "normal" ? "non_conformant" : point === "inspection" ? "conformant" : undefined;
        const annotation = annotationOf(e);
        const rules = inTx(e, "RuleFired").filter(
          (r) => text(r.args.seq) === text(a.seq) && text(r.args.subject) === text(a.subject),
        );
        const event: EpcisObjectEvent = {
          ...base,
          quantityList: lot(),
          action: "OBSERVE",
          bizStep: POINT_STEPS[Number(a.point)] ?? "other",
          ...(disposition === undefined ? {} : { disposition }),
          ...located(a.party),
          ...(reports.length === 0
            ? {}
            : { sensorElementList: [{ sensorMetadata: { time: base.eventTime }, sensorReport: reports }] }),
          ...ext,
          "medstate:subject": text(a.subject),
          "medstate:seq": text(a.seq),
          "medstate:point": point,
          "medstate:result": result,
          "medstate:party": text(a.party),
          "medstate:observer": text(a.observer),
        };
        if (annotation !== undefined) {
          const corrects = text(annotation.args.corrects);
          if (corrects !== "0") event["medstate:corrects"] = corrects;
          if (!/^0x0*$/.test(text(annotation.args.evidenceHash)))
            event["medstate:evidenceHash"] = text(annotation.args.evidenceHash);
          if (text(annotation.args.evidenceUri) !== "") event["medstate:evidenceUri"] = text(annotation.args.evidenceUri);
        }
        if (rules.length > 0) {
          event["medstate:rulesFired"] = rules.map(
            (r) =>
              `${["critical-observation", "adverse-count", "contract"][Number(r.args.kind)] ?? "rule"}→${states[Number(r.args.state)]?.name ?? text(r.args.state)}`,
          );
        }
        out.push(event);
        bySeq.set(`${text(a.subject)}/${text(a.seq)}`, event);
        // EPCIS error declaration: the corrected event again, pointing at its correction.
        const corrected = event["medstate:corrects"];
        const earlier = typeof corrected === "string" ? bySeq.get(`${text(a.subject)}/${corrected}`) : undefined;
        if (earlier !== undefined) {
          out.push({
            ...earlier,
            errorDeclaration: { declarationTime: base.eventTime, reason: "incorrect_data", correctiveEventIDs: [base.eventID] },
          });
        }
        break;
      }
      case "StateChanged": {
        const to = states[Number(a.to)];
        // A destruction's state change is told by its DestructionWitnessed, in the same transaction.
        if (to?.kind === "disposal" && inTx(e, "DestructionWitnessed").length > 0) break;
        const product = BigInt(text(a.subject)) < 2n ** 64n;
        const recall = inTx(e, "RecallOpened")[0];
        const event: EpcisObjectEvent = {
          ...base,
          quantityList: lot(),
          action: to?.kind === "disposal" ? "DELETE" : "OBSERVE",
          ...stateStep(to),
          // Captured where the deciding party is; the stock itself is wherever its holders are.
          readPoint: { id: where(a.party) },
          ...ext,
          "medstate:subject": text(a.subject),
          "medstate:subjectKind": product ? "product" : "batch",
          "medstate:state": to?.name ?? text(a.to),
          "medstate:previousState": states[Number(a.from)]?.name ?? text(a.from),
          "medstate:by": name(ACTOR_NAMES, a.by),
          "medstate:party": text(a.party),
          "medstate:reason": text(a.reason),
        };
        if (recall !== undefined) {
          event["medstate:recallId"] = text(recall.args.recallId);
          event["medstate:recallLevel"] = text(recall.args.level);
          event["medstate:recallDeadline"] = isoTime(recall.args.deadline as bigint);
        }
        out.push(event);
        break;
      }
      case "StockReturned":
      case "StockSeized": {
        const quarantine = quarantineOf();
        const seized = e.name === "StockSeized";
        out.push({
          ...base,
          quantityList: lot(a.quantity),
          action: "OBSERVE",
          bizStep: "holding",
          disposition: "recalled",
          // A seizure is recorded by the regulator, at the site of the party whose stock it takes.
          readPoint: { id: where(seized ? a.regulator : a.party) },
          bizLocation: { id: where(a.party) },
          sourceList: [{ type: "possessing_party", source: where(a.party) }],
          ...(quarantine === undefined
            ? {}
            : { destinationList: [{ type: "possessing_party", destination: where(quarantine) }] }),
          ...ext,
          "medstate:recallId": text(a.recallId),
          "medstate:party": text(a.party),
          "medstate:outstanding": text(a.outstanding),
          ...(seized ? { "medstate:seizedBy": text(a.regulator) } : {}),
        });
        break;
      }
      case "DestructionWitnessed": {
        const proposal = proposals.get(text(a.destructionId).toLowerCase());
        const destroyer = proposal?.args.party ?? quarantineOf() ?? a.witness;
        const changed = inTx(e, "StateChanged")[0];
        out.push({
          ...base,
          quantityList: lot(a.quantity),
          action: "DELETE",
          bizStep: "destroying",
          disposition: "destroyed",
          ...located(destroyer),
          ...ext,
          "medstate:destructionId": text(a.destructionId),
          "medstate:party": text(destroyer),
          "medstate:witness": text(a.witness),
          ...(changed === undefined ? {} : { "medstate:state": states[Number(changed.args.to)]?.name ?? text(changed.args.to) }),
        });
        break;
      }
      case "UnitStatusChanged": {
        const status = name(UNIT_NAMES, a.status);
        const step = UNIT_STEPS[status] ?? { action: "OBSERVE" as const, bizStep: "other", disposition: "unknown" };
        const code = batch.unitCodes?.[Number(a.index)];
        const serial = serialOf(code, batch.gtin);
        // A regulator's restoration: recorded by the regulator, for the stock of the party credited.
        const restored = inTx(e, "UnitRestored").find(
          (r) => text(r.args.index) === text(a.index) && text(r.args.batchId).toLowerCase() === text(a.batchId).toLowerCase(),
        );
        out.push({
          ...base,
          ...(serial === undefined ? { quantityList: lot(1) } : { epcList: [sgtinUri(batch.gtin, serial, prefixLength)] }),
          ...step,
          ...(restored === undefined
            ? located(a.party)
            : { readPoint: { id: where(a.party) }, bizLocation: { id: where(restored.args.creditedParty) } }),
          ...ext,
          ...(restored === undefined
            ? {}
            : { "medstate:restoredBy": text(restored.args.regulator), "medstate:creditedParty": text(restored.args.creditedParty) }),
          "medstate:unitIndex": text(a.index),
          "medstate:unitHash": text(a.unitHash),
          ...(code === undefined ? {} : { "medstate:unitCode": code }),
          "medstate:previousStatus": name(UNIT_NAMES, a.previous),
          "medstate:status": status,
          "medstate:party": text(a.party),
        });
        break;
      }
      case "SuspectUnitReported": {
        const code = batch.unitCodes?.[Number(a.index)];
        const serial = serialOf(code, batch.gtin);
        out.push({
          ...base,
          ...(serial === undefined ? { quantityList: lot(1) } : { epcList: [sgtinUri(batch.gtin, serial, prefixLength)] }),
          action: "OBSERVE",
          bizStep: "inspecting",
          ...located(a.reporter),
          ...ext,
          "medstate:unitIndex": text(a.index),
          "medstate:unitHash": text(a.unitHash),
          ...(code === undefined ? {} : { "medstate:unitCode": code }),
          "medstate:suspect": true,
          "medstate:recordedStatus": name(UNIT_NAMES, a.status),
          "medstate:recordedParty": text(a.recordedParty),
          "medstate:reportNo": text(a.reportNo),
          "medstate:party": text(a.reporter),
          ...suspectDispenser(basketSuspects.get(`${e.transactionHash.toLowerCase()}:${e.logIndex}`), named),
        });
        break;
      }
      case "PalletShipped": {
        const id = text(a.palletId).toLowerCase();
        out.push({
          ...base,
          quantityList: linesList(a.lines),
          action: "OBSERVE",
          bizStep: "shipping",
          disposition: "in_transit",
          ...located(a.from),
          bizTransactionList: [{ type: "desadv", bizTransaction: `urn:medstate:pallet:${id}` }],
          ...parties(a.from, a.to),
          ...ext,
          "medstate:palletId": id,
          "medstate:palletSeq": text(a.seq),
          "medstate:lineCount": (a.lines as readonly unknown[]).length,
          "medstate:party": text(a.from),
          "medstate:to": text(a.to),
        });
        break;
      }
      case "PalletClosed": {
        const id = text(a.palletId).toLowerCase();
        const status = name(SHIPMENT_NAMES, a.status);
        const shipped = pallets.get(id);
        const step =
          status === "received"
            ? { bizStep: "receiving", disposition: "in_progress" }
            : { bizStep: "void_shipping", disposition: status === "rejected" ? "returned" : "in_progress" };
        out.push({
          ...base,
          quantityList: shipped === undefined ? lot() : linesList(shipped.args.lines),
          action: "OBSERVE",
          ...step,
          ...located(a.creditedParty),
          bizTransactionList: [{ type: "desadv", bizTransaction: `urn:medstate:pallet:${id}` }],
          ...(shipped === undefined ? {} : parties(shipped.args.from, shipped.args.to)),
          ...ext,
          "medstate:palletId": id,
          "medstate:shipmentStatus": status,
          "medstate:party": text(a.creditedParty),
        });
        break;
      }
      case "UnitsDispensed": {
        if (text(a.batchId).toLowerCase() !== batchKey) break;
        const basketId = text(a.basketId).toLowerCase();
        const indices = [...(a.indices as readonly unknown[])];
        const prescriptions = [...(a.prescriptions as readonly unknown[])].map((p) => text(p).toLowerCase());
        const summary = baskets.get(basketId);
        out.push({
          ...base,
          ...unitsOf(indices),
          action: "OBSERVE",
          bizStep: "dispensing",
          disposition: "dispensed",
          ...located(a.party),
          bizTransactionList: [{ bizTransaction: `urn:medstate:basket:${basketId}` }],
          ...ext,
          ...(summary === undefined || typeof summary.args.actor !== "string" ? {} : { "medstate:actor": summary.args.actor }),
          "medstate:basketId": basketId,
          ...(summary === undefined ? {} : { "medstate:basketSeq": text(summary.args.seq) }),
          "medstate:unitIndices": indices.map(text),
          ...(prescriptions.every((p) => /^0x0*$/.test(p)) ? {} : { "medstate:prescriptions": prescriptions }),
          "medstate:status": "dispensed",
          "medstate:party": text(a.party),
        });
        break;
      }
      case "BasketUndone": {
        const batchIds = [...(a.batchIds as readonly unknown[])];
        const indices = [...(a.indices as readonly unknown[])].filter((_, k) => text(batchIds[k]).toLowerCase() === batchKey);
        if (indices.length === 0) break;
        out.push({
          ...base,
          ...unitsOf(indices),
          ...UNIT_STEPS.active,
          ...located(a.party),
          bizTransactionList: [{ bizTransaction: `urn:medstate:basket:${text(a.basketId).toLowerCase()}` }],
          ...ext,
          "medstate:basketId": text(a.basketId).toLowerCase(),
          "medstate:unitIndices": indices.map(text),
          "medstate:previousStatus": "dispensed",
          "medstate:status": "active",
          "medstate:party": text(a.party),
        });
        break;
      }
      default:
        // RuleFired, RecallOpened, ObservationAnnotated, DestructionProposed, UnitRestored,
        // suspect-case events, BasketDispensed, BasketExpired: no stock of the batch moved or
        // judged; folded in above or left to the trace.
        break;
    }
  }

  const last = sorted.at(-1);
  const creationDate =
    options.creationDate === undefined
      ? last === undefined
        ? new Date(0).toISOString()
        : isoTime(last.timestamp)
      : new Date(options.creationDate).toISOString();
  const partyIds = [...named].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
  const locations: VocabularyElement[] = partyIds.map((id) => ({
    id: where(id),
    attributes: [
      { id: "urn:epcglobal:cbv:mda#name", attribute: batch.parties[id]?.name ?? `party ${id}` },
      ...(batch.parties[id] === undefined ? [] : [{ id: "medstate:domain", attribute: batch.parties[id].domain }]),
      { id: "medstate:partyId", attribute: id },
    ],
  }));
  const lotAttributes: VocabularyElement["attributes"] = [
    { id: "urn:epcglobal:cbv:mda#lotNumber", attribute: batch.lot },
    ...(batch.expiry === undefined || batch.expiry === null
      ? []
      : [{ id: "urn:epcglobal:cbv:mda#itemExpirationDate", attribute: batch.expiry.slice(0, 10) }]),
    ...(batch.productName === undefined
      ? []
      : [{ id: "urn:epcglobal:cbv:mda#regulatedProductName", attribute: batch.productName }]),
    { id: "medstate:batchId", attribute: batch.batchId },
  ];
  return {
    "@context": [EPCIS_CONTEXT, { medstate: MEDSTATE_NAMESPACE }],
    type: "EPCISDocument",
    schemaVersion: "2.0",
    creationDate,
    epcisHeader: {
      epcisMasterData: {
        vocabularyList: [
          { type: "urn:epcglobal:epcis:vtype:EPCClass", vocabularyElementList: [{ id: lgtin, attributes: lotAttributes }] },
          { type: "urn:epcglobal:epcis:vtype:BusinessLocation", vocabularyElementList: locations },
          { type: "urn:epcglobal:epcis:vtype:ReadPoint", vocabularyElementList: locations },
        ],
      },
    },
    epcisBody: { eventList: out },
  };
}
