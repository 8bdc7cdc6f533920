/**
 * The chain's head as the gateway last saw it. Read lazily: a request finds the head it
 * needs without asking the node when the last reading is younger than `maxAgeMs`, and
 * concurrent requests share one `eth_blockNumber`. An idle gateway asks nothing; a busy
 * one asks at most once per `maxAgeMs`, so that identical requests at the same block are
 * answered from the cache without touching the node. Answers are therefore at most
 * `maxAgeMs` behind the chain, and each says which block it is for.
 */
export class Head {
  private block: bigint | undefined;
  private readAt = 0;
  private pending: Promise<bigint> | undefined;

  constructor(
    private readonly read: () => Promise<bigint>,
    readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The head read now (what a request needs when it met something newer than the head it had). */
  refresh(): Promise<bigint> {
    this.readAt = 0;
    return this.current();
  }

  /** The head, at most `maxAgeMs` old. */
  async current(): Promise<bigint> {
    if (this.block !== undefined && this.now() - this.readAt < this.maxAgeMs) return this.block;
    this.pending ??= this.read()
      .then((block) => {
        // A node restarted under us can go back; the head is what it says now.
        this.block = block;
        this.readAt = this.now();
        return block;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
