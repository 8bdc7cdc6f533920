/**
 * What `GET /v1/verify/:code` answers: the status `unit verify --json` gives, from an
 * `eth_call` of `verify` at the head the gateway last saw, with the product's name, the
 * lot, the dates and the batch's history as a short timeline. The per-unit call is cached
 * per block and code; what belongs to the batch (its record, state graph, product, history)
 * per block and batch, so that checking many boxes of one batch costs one call each.
 */
import { toBeHex } from "ethers";

import type { UnitCode } from "../sdk/codes.js";
import { UNIT_VERDICTS } from "../sdk/enums.js";
import { isoDate } from "../sdk/licences.js";
import { graphFrom, type StateDefView } from "../sdk/quality.js";
import { type VerifyStatus, unitStatus } from "../sdk/verdicts.js";
import type { BlockCache } from "./cache.js";
import type { ChainReader } from "./chain.js";
import type { Head } from "./head.js";
import { batchFacts } from "./lists.js";
import type { LocatedUnit, UnitIndex } from "./units.js";

/** One step of a batch's history. */
export interface HistoryEntry {
  at: string | null;
  block: string;
  event: "created" | "released" | "state" | "recall";
  scope: "batch" | "product";
  state?: string;
  from?: string;
  reason?: string;
  level?: number;
  deadline?: string | null;
}

/** What the gateway knows of a batch at one block. */
export interface BatchView {
  effectiveState: StateDefView;
  product: { gtin: string; name: string; holder: string; holderName: string | null };
  lot: string | null;
  manufactured: string | null;
  expiry: string | null;
  recall: { level: number; openedAt: string | null; deadline: string | null } | null;
  history: HistoryEntry[];
}

/** The body of `GET /v1/verify/:code`. */
export interface VerifyAnswer {
  status: VerifyStatus;
  verdict: string | null;
  code: string;
  batchId: string | null;
  index: string | null;
  party: string | null;
  effectiveState: string | null;
  block: string;
  product: BatchView["product"] | null;
  lot: string | null;
  manufactured: string | null;
  expiry: string | null;
  recall: BatchView["recall"];
  history: HistoryEntry[];
}

const day = (seconds: number) => isoDate(seconds)?.slice(0, 10) ?? null;

/** A stored list's batch is not on chain at the block asked: it is newer than the head read. */
class BatchAhead extends Error {
  constructor(batchId: string, block: bigint) {
    super(`batch ${batchId} is not on chain at block ${block}`);
  }
}

export class Verifier {
  constructor(
    private readonly chain: ChainReader,
    private readonly units: UnitIndex,
    private readonly head: Head,
    private readonly cache: BlockCache,
  ) {}

  /** The whole answer for a parsed code, at the current head. */
  async verify(unit: UnitCode): Promise<VerifyAnswer> {
    const block = await this.head.current();
    return this.cache.get(`verify:${unit.canonical}`, block, () => this.answer(unit, block));
  }

  /** The unit and its proof, cached per block like the rest. */
  locate(unit: UnitCode, block: bigint): Promise<LocatedUnit | undefined> {
    return this.cache.get(`unit:${unit.canonical}`, block, () => this.units.locate(unit));
  }

  private async answer(unit: UnitCode, block: bigint): Promise<VerifyAnswer> {
    try {
      return await this.answerAt(unit, block);
    } catch (error) {
      // The list was stored (published or pulled at the latest block) after the head was read.
      if (!(error instanceof BatchAhead)) throw error;
      const newer = await this.head.refresh();
      if (newer <= block) throw error;
      return this.answerAt(unit, newer);
    }
  }

  private async answerAt(unit: UnitCode, block: bigint): Promise<VerifyAnswer> {
    const located = await this.locate(unit, block);
    if (located === undefined) {
      return {
        status: "unknown",
        verdict: null,
        code: unit.canonical,
        batchId: null,
        index: null,
        party: null,
        effectiveState: null,
        block: block.toString(),
        product: null,
        lot: null,
        manufactured: null,
        expiry: null,
        recall: null,
        history: [],
      };
    }
    const [[verdict, party], view] = await Promise.all([
      this.chain.verifyUnit(located, block),
      this.batchView(located.batchId, block),
    ]);
    const name = UNIT_VERDICTS[Number(verdict)];
    return {
      status: unitStatus(name, view.effectiveState),
      verdict: name,
      code: located.code,
      batchId: located.batchId,
      index: String(located.index),
      party: BigInt(party) === 0n ? null : String(party),
      effectiveState: view.effectiveState.name,
      block: block.toString(),
      product: view.product,
      lot: view.lot,
      manufactured: view.manufactured,
      expiry: view.expiry,
      recall: view.recall,
      history: view.history,
    };
  }

  /** What belongs to the batch, once per block. */
  batchView(batchId: string, block: bigint): Promise<BatchView> {
    return this.cache.get(`batch:${batchId}`, block, () => this.readBatch(batchId, block));
  }

  private async readBatch(batchId: string, block: bigint): Promise<BatchView> {
    const { chain } = this;
    const facts = await batchFacts(chain, batchId, block);
    if (facts === undefined) throw new BatchAhead(batchId, block);
    const productSubject = toBeHex(facts.gtin, 32);
    // The node filters by topic: the batch's and its product's own events, not the chain's.
    const [[record], [defs], [product], subjectLogs, recallLogs] = await Promise.all([
      chain.call("subjectRecord", [batchId], { block }),
      chain.call("stateGraph", [], { block }),
      chain.call("getProduct", [facts.gtin], { block }),
      chain.logs([[chain.topic("BatchCreated"), chain.topic("BatchReleased"), chain.topic("StateChanged")], [batchId, productSubject]], block),
      chain.logs([chain.topic("RecallOpened"), null, batchId], block),
    ]);
    const logs = [...subjectLogs, ...recallLogs].sort((a, b) => Number(BigInt(a.blockNumber) - BigInt(b.blockNumber)) || Number(BigInt(a.logIndex) - BigInt(b.logIndex)));
    const graph = graphFrom(defs);
    const holder = BigInt(product.holder);
    const party = await chain.tryCall("getParty", [holder], { to: chain.registry, block });
    const history: HistoryEntry[] = [];
    let lot: string | null = null;
    const times = new Map<string, Promise<number>>();
    const timeOf = (n: string) => {
      if (!times.has(n)) times.set(n, chain.blockTime(BigInt(n)));
      return times.get(n)!;
    };
    const pending: Promise<void>[] = [];
    for (const log of logs) {
      const parsed = chain.iface.parseLog(log);
      if (parsed === null) continue;
      const subject = String(log.topics[1]).toLowerCase();
      const ofBatch = parsed.name === "RecallOpened" ? String(log.topics[2]).toLowerCase() === batchId : subject === batchId;
      const ofProduct = parsed.name === "StateChanged" && subject === productSubject;
      if (!ofBatch && !ofProduct) continue;
      const entry: HistoryEntry = { at: null, block: BigInt(log.blockNumber).toString(), event: "created", scope: ofBatch ? "batch" : "product" };
      if (parsed.name === "BatchCreated") {
        lot = String(parsed.args.lot);
      } else if (parsed.name === "BatchReleased") {
        entry.event = "released";
      } else if (parsed.name === "StateChanged") {
        entry.event = "state";
        entry.state = graph[Number(parsed.args.to)]?.name ?? `state ${parsed.args.to}`;
        entry.from = graph[Number(parsed.args.from)]?.name ?? `state ${parsed.args.from}`;
        entry.reason = String(parsed.args.reason);
      } else {
        entry.event = "recall";
        entry.level = Number(parsed.args.level);
        entry.deadline = isoDate(parsed.args.deadline);
      }
      history.push(entry);
      pending.push(timeOf(entry.block).then((t) => void (entry.at = isoDate(t))));
    }
    await Promise.all(pending);
    const recallOpen = graph[Number(record.effectiveState)]?.kind === "recall" && Number(record.recallLevel) > 0;
    return {
      effectiveState: graph[Number(record.effectiveState)],
      product: {
        gtin: facts.gtin.toString().padStart(14, "0"),
        name: String(product.name),
        holder: holder.toString(),
        holderName: party === undefined ? null : String(party[0].name),
      },
      lot,
      manufactured: day(facts.manufacturedAt),
      expiry: day(facts.expiresAt),
      recall: recallOpen
        ? { level: Number(record.recallLevel), openedAt: isoDate(record.recallOpenedAt), deadline: isoDate(record.recallDeadline) }
        : null,
      history,
    };
  }
}
