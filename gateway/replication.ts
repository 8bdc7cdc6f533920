/**
 * Pulling unit lists from peer gateways (`--peer URL`, repeatable). No peer is trusted:
 * every list pulled is checked against the chain (the batch's root, rebuilt from the list)
 * before it is stored, and a peer that serves a wrong list is passed over for the next.
 * Lists are pulled when a lookup names a batch this gateway lacks, and in the background:
 * the gateway follows `BatchCreated` from a cursor kept in its store, so that it resumes
 * where it stopped after a restart.
 */
import type { FastifyBaseLogger } from "fastify";

import type { ChainReader } from "./chain.js";
import { batchFacts, checkList, type BatchFacts } from "./lists.js";
import type { Store } from "./store.js";

const CURSOR = "replication.nextBlock";

export class Replicator {
  private readonly pulling = new Map<string, Promise<boolean>>();
  /** Batches whose list no peer had, and until when that answer stands (so that a burst of lookups asks the chain and the peers once). */
  private readonly missing = new Map<string, number>();
  private syncing: Promise<void> | undefined;

  constructor(
    readonly peers: readonly string[],
    private readonly chain: ChainReader,
    private readonly store: Store,
    private readonly log: FastifyBaseLogger,
    private readonly timeoutMs = 10_000,
    private readonly missTtlMs = 10_000,
  ) {}

  /** Pulls the list of `batchId` from the peers unless held; false without peers, or when none has a good one. */
  async pullBatch(batchId: string): Promise<boolean> {
    if (this.peers.length === 0 || this.recentlyMissing(batchId)) return false;
    const facts = await batchFacts(this.chain, batchId);
    if (facts === undefined) return false;
    return this.pullRoot(facts);
  }

  /** Makes sure the list with `facts.root` is held. */
  pullRoot(facts: BatchFacts): Promise<boolean> {
    if (this.store.hasList(facts.root)) return Promise.resolve(true);
    if (this.peers.length === 0) return Promise.resolve(false);
    if (this.recentlyMissing(facts.batchId)) return Promise.resolve(false);
    let pending = this.pulling.get(facts.root);
    if (pending === undefined) {
      pending = this.fromPeers(facts).then((found) => {
        if (found) this.missing.delete(facts.batchId);
        else this.missing.set(facts.batchId, Date.now() + this.missTtlMs);
        return found;
      });
      pending = pending.finally(() => this.pulling.delete(facts.root));
      this.pulling.set(facts.root, pending);
    }
    return pending;
  }

  private recentlyMissing(batchId: string): boolean {
    const until = this.missing.get(batchId);
    return until !== undefined && Date.now() < until;
  }

  private async fromPeers(facts: BatchFacts): Promise<boolean> {
    for (const peer of this.peers) {
      try {
        const response = await fetch(new URL(`/v1/unit-lists/${facts.root}`, peer), { signal: AbortSignal.timeout(this.timeoutMs) });
        if (response.status === 404) continue;
        if (!response.ok) throw new Error(`answered ${response.status}`);
        const body = (await response.json()) as { units?: unknown };
        if (!Array.isArray(body.units) || !body.units.every((u) => typeof u === "string")) throw new Error("sent no unit list");
        const checked = await checkList(this.chain, { batchId: facts.batchId, root: facts.root, units: body.units as string[] }, facts);
        this.store.putList({ ...checked, signer: null, party: null, source: peer });
        this.log.info({ peer, root: facts.root, units: checked.count }, "unit list pulled from a peer and checked against the chain");
        return true;
      } catch (error) {
        this.log.warn({ peer, root: facts.root, reason: (error as Error).message }, "a peer's unit list was not taken");
      }
    }
    return false;
  }

  /** Pulls the lists of every batch created since the cursor (one pass; concurrent calls share it). */
  sync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    if (this.peers.length === 0) return;
    const head = await this.chain.blockNumber();
    const stored = this.store.getMeta(CURSOR);
    const from = stored === undefined ? BigInt(this.chain.record.block ?? 0) : BigInt(stored);
    if (from > head) {
      // The node went back (a restarted dev chain): follow it from its start again.
      if (stored !== undefined) this.store.setMeta(CURSOR, String(BigInt(this.chain.record.block ?? 0)));
      return;
    }
    const logs = await this.chain.logs([this.chain.topic("BatchCreated")], head, from);
    let next = head + 1n;
    for (const log of logs) {
      const parsed = this.chain.iface.parseLog(log);
      if (parsed === null) continue;
      const facts = await batchFacts(this.chain, String(parsed.args.batchId));
      // A list no peer has yet is looked for again on the next pass, from its block on.
      if (facts !== undefined && !(await this.pullRoot(facts)) && BigInt(log.blockNumber) < next) next = BigInt(log.blockNumber);
    }
    this.store.setMeta(CURSOR, String(next));
  }
}
