/**
 * Answers kept for one block: identical requests at the same block are answered once.
 * Entries are dropped as soon as another block is asked for (a newer one, or an older one
 * when a restarted node went back), concurrent
 * requests for the same key share one computation, a failed computation is not kept, and
 * the number of entries is bounded (the oldest go first).
 */
export class BlockCache {
  private block = -1n;
  private readonly entries = new Map<string, Promise<unknown>>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 50_000) {}

  /** The value of `key` at `block`, computed by `compute` once per block. */
  async get<T>(key: string, block: bigint, compute: () => Promise<T>): Promise<T> {
    if (block !== this.block) {
      // A newer block, or a node that went back (restarted): nothing kept is for it.
      this.entries.clear();
      this.block = block;
    }
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.hits++;
      return found as Promise<T>;
    }
    this.misses++;
    const value = compute();
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    value.catch(() => {
      if (this.entries.get(key) === value) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets everything (a list was stored: a code unknown a moment ago may be known now). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
