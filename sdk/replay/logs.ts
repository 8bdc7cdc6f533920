/**
 * A streaming, resumable reader of contract logs: `eth_getLogs` over adaptive block
 * ranges, one page at a time, in (blockNumber, logIndex) order, with no gap and no
 * duplicate. The range halves when the node refuses it as too large (too many
 * results, block range above its limit) and doubles back after quiet pages;
 * transient failures (connection resets, timeouts, rate limits) are retried with a
 * capped exponential backoff. Every page says the first block not yet read
 * (`nextBlock`): saved as a {@link Checkpoint}, it is where the next run starts.
 *
 * Memory stays flat: nothing is kept between pages.
 */
import { readFile } from "node:fs/promises";

import type { Log, Provider } from "ethers";

import { UserError } from "../errors.js";
import { writeAtomically } from "../files.js";

/** The two provider calls the reader needs (an ethers v6 `Provider` has both). */
export type LogProvider = Pick<Provider, "getLogs" | "getBlockNumber">;

export interface LogPage {
  /** The first block of the range read. */
  fromBlock: number;
  /** The last block of the range read (inclusive). */
  toBlock: number;
  /** The first block not yet read: `toBlock + 1`. A replay resumes from here. */
  nextBlock: number;
  /** The range's logs, in (blockNumber, logIndex) order. */
  logs: Log[];
}

export interface LogProgress {
  /** The page just read. */
  fromBlock: number;
  toBlock: number;
  /** Blocks read so far in this run, out of `total`. */
  done: number;
  total: number;
  /** Logs read so far in this run. */
  logs: number;
}

export interface StreamLogsOptions {
  /** The contracts whose logs are read (at least one). */
  addresses: string[];
  /** The first block to read; a checkpoint's `nextBlock` to resume. */
  fromBlock: number;
  /** The last block to read (inclusive); "latest" (the default) is resolved once, at the start. */
  toBlock?: number | "latest";
  /** Blocks in the first request. Default 1,000 (or `maxRange` if smaller). */
  initialRange?: number;
  /** The widest range ever requested. Default 5,000 (Besu's default `--rpc-max-logs-range`). */
  maxRange?: number;
  /** Consecutive successful pages after which the range doubles. Default 2. */
  growAfter?: number;
  /**
   * About how many logs a page should hold. Default 10,000. A page with more narrows
   * the next range in proportion; the range grows only after pages with at most half.
   */
  targetLogs?: number;
  /** Further attempts after a transient failure of one request. Default 5. */
  retries?: number;
  /** The first retry's delay; each next one doubles. Default 500 ms. */
  retryDelayMs?: number;
  /** The longest delay between two attempts. Default 30 s. */
  maxRetryDelayMs?: number;
  /** Called after every page, before it is yielded. */
  onProgress?(progress: LogProgress): void;
  /** Stops the stream: the pending wait or the next request throws the signal's reason. */
  signal?: AbortSignal;
}

/** How a failed `eth_getLogs` is handled. */
export type LogErrorKind = "too-large" | "transient" | "fatal";

/** Reading logs failed for good: `fromBlock`…`toBlock` were not read; `cause` is the node's last error. */
export class LogReadError extends Error {
  override name = "LogReadError";
  constructor(
    message: string,
    readonly fromBlock: number,
    readonly toBlock: number | "latest",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A range wider than the last refused one is only probed after this many times `growAfter` quiet pages. */
const PROBE_FACTOR = 8;

/**
 * Yields the logs of `options.addresses` from `options.fromBlock` to `options.toBlock`,
 * one page (block range) at a time. Throws a {@link LogReadError} naming the block range
 * and the node's last error when a range cannot be read: retries exhausted, a single
 * block the node still refuses as too large, or an error that is neither transient nor
 * a size refusal.
 */
export async function* streamLogs(provider: LogProvider, options: StreamLogsOptions): AsyncGenerator<LogPage, void, undefined> {
  const addresses = [...options.addresses];
  if (addresses.length === 0) throw new UserError("streamLogs: no contract address given");
  const start = blockNumber("fromBlock", options.fromBlock);
  const maxRange = positive("maxRange", options.maxRange ?? 5_000);
  const initialRange = Math.min(positive("initialRange", options.initialRange ?? 1_000), maxRange);
  const growAfter = positive("growAfter", options.growAfter ?? 2);
  const targetLogs = positive("targetLogs", options.targetLogs ?? 10_000);
  const retries = count("retries", options.retries ?? 5);
  const retryDelayMs = count("retryDelayMs", options.retryDelayMs ?? 500);
  const maxRetryDelayMs = count("maxRetryDelayMs", options.maxRetryDelayMs ?? 30_000);
  const { signal, onProgress } = options;

  /** Runs `request` until it succeeds, it fails for good, or it fails `retries + 1` times transiently. */
  const attempt = async <T>(what: string, from: number, to: number | "latest", request: () => Promise<T>): Promise<T> => {
    for (let failures = 0; ; failures++) {
      signal?.throwIfAborted();
      try {
        return await request();
      } catch (error) {
        signal?.throwIfAborted();
        const kind = classifyLogError(error);
        if (kind === "too-large") throw error; // the caller shrinks the range
        const tries = kind === "fatal" ? "" : ` after ${failures + 1} attempts`;
        if (kind === "fatal" || failures >= retries) {
          throw new LogReadError(`${what} failed${tries}: ${describeCause(error)}`, from, to, { cause: error });
        }
        await sleep(Math.min(maxRetryDelayMs, retryDelayMs * 2 ** failures), signal);
      }
    }
  };

  const end =
    options.toBlock === undefined || options.toBlock === "latest"
      ? await attempt(`eth_blockNumber (for blocks ${start}–latest)`, start, "latest", () => provider.getBlockNumber())
      : blockNumber("toBlock", options.toBlock);
  const total = Math.max(0, end - start + 1);

  let range = initialRange;
  let quiet = 0; // successful pages since the range last changed
  let refused = Number.POSITIVE_INFINITY; // the narrowest span refused as too large
  let logCount = 0;
  for (let from = start; from <= end;) {
    const to = Math.min(end, from + range - 1);
    const span = to - from + 1;
    let logs: Log[];
    try {
      logs = await attempt(`eth_getLogs for blocks ${from}–${to}`, from, to, () =>
        provider.getLogs({ address: [...addresses], fromBlock: from, toBlock: to }),
      );
    } catch (error) {
      if (classifyLogError(error) !== "too-large" || signal?.aborted) throw error;
      if (span === 1) {
        throw new LogReadError(`eth_getLogs refused block ${from} alone as too large: ${describeCause(error)}`, from, to, {
          cause: error,
        });
      }
      refused = Math.min(refused, span);
      range = Math.max(1, Math.floor(span / 2));
      quiet = 0;
      continue;
    }
    signal?.throwIfAborted();
    for (const log of logs) {
      if (log.blockNumber < from || log.blockNumber > to) {
        throw new LogReadError(
          `eth_getLogs for blocks ${from}–${to} returned a log of block ${log.blockNumber}, outside the range`,
          from,
          to,
        );
      }
    }
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    logCount += logs.length;
    onProgress?.({ fromBlock: from, toBlock: to, done: to - start + 1, total, logs: logCount });
    yield { fromBlock: from, toBlock: to, nextBlock: to + 1, logs };
    from = to + 1;

    // A page richer than the target: narrow the next one in proportion, so that a page
    // holds about `targetLogs` logs however dense the chain is (memory stays flat).
    if (logs.length > targetLogs && span > 1) {
      range = Math.max(1, Math.floor((span * targetLogs) / logs.length));
      quiet = 0;
      continue;
    }
    // Grow after quiet pages (at most half the target's logs); back past a refused width only after many of them.
    if (span === range && range < maxRange && logs.length * 2 <= targetLogs) {
      quiet++;
      const wider = Math.min(maxRange, range * 2);
      if (quiet >= (wider >= refused ? growAfter * PROBE_FACTOR : growAfter)) {
        range = wider;
        quiet = 0;
        if (wider >= refused) refused = Number.POSITIVE_INFINITY;
      }
    }
  }
}

// ==== ERROR CLASSIFICATION ====

/** Refusals of a range as too wide or too rich: geth, Besu, Erigon, Nethermind, Infura, Alchemy, QuickNode, Ankr, Hardhat. */
const TOO_LARGE: RegExp[] = [
  /more than \d[\d,]* (results|logs)/, // geth, Infura: "query returned more than 10000 results"
  // "block range too large", "block range is too wide", "block range greater than 1000 max"
  /block range[^.]*(too (large|wide|big)|exceed|greater than|limit|max|allowed)/,
  /(too (large|wide|big)|exceed(s|ed)?|greater than)[^.]*block range/, // "exceed maximum block range: 5000"
  /range (is )?too (large|wide|big)/,
  /range exceeds/, // Besu: "Requested range exceeds maximum RPC range limit"
  /max(imum)? (block )?range/,
  /limited to (a )?\d[\d,]* (block )?range/, // QuickNode: "eth_getLogs is limited to a 10,000 range"
  /limit exceeded/, // Hardhat's LimitExceededError, Alchemy-style
  /log response size exceeded|response (size|is too (big|large))|result(s| set)? (is )?too (large|big)/, // Alchemy
  /too many (results|logs|blocks)/,
  /exceeds? (the )?(max(imum)?|limit) (of )?\d*\s*(results|logs)/, // Erigon/Nethermind style
  /query exceeds/,
];

/** Failures worth another try: rate limits, dropped connections, timeouts, overloaded gateways. */
const TRANSIENT: RegExp[] = [
  // Not a bare "429" or "502": ethers quotes the request (with its numeric id) in its messages.
  /rate.?limit|too many requests|request rate|capacity exceeded|compute units/,
  /econnreset|etimedout|econnrefused|epipe|eai_again|enetunreach|ehostunreach|und_err_/,
  /socket hang up|fetch failed|network error|connection (reset|closed|refused|error)/,
  /time(d)?[ -]?out/,
  /bad gateway|service unavailable|gateway time-?out/,
  /header not found/, // load-balanced nodes briefly behind one another
];

const TRANSIENT_CODES = new Set([
  "TIMEOUT",
  "SERVER_ERROR",
  "NETWORK_ERROR",
  "ECONNRESET",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
]);

interface ErrorFacts {
  texts: string[];
  codes: (string | number)[];
  /** The innermost JSON-RPC error seen (numeric code and message), if any. */
  rpc?: { code: number; message: string };
}

/** Gathers messages and codes from an error and everything it wraps (ethers' `error`/`info`, `cause`, …). */
function factsOf(error: unknown): ErrorFacts {
  const facts: ErrorFacts = { texts: [], codes: [] };
  const seen = new Set<object>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === "string") {
      facts.texts.push(value.slice(0, 2_000));
      return;
    }
    if (value === null || typeof value !== "object" || depth > 6 || seen.has(value)) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    for (const key of ["message", "shortMessage", "reason", "body", "responseStatus", "statusText"]) {
      if (typeof record[key] === "string") facts.texts.push((record[key] as string).slice(0, 2_000));
    }
    for (const key of ["code", "status", "statusCode"]) {
      const code = record[key];
      if (typeof code === "string" || typeof code === "number") facts.codes.push(code);
    }
    if (typeof record.code === "number" && typeof record.message === "string") {
      facts.rpc = { code: record.code, message: record.message };
    }
    for (const key of ["error", "info", "cause", "response", "errors"]) {
      const inner = record[key];
      if (Array.isArray(inner)) for (const item of inner.slice(0, 8)) visit(item, depth + 1);
      else visit(inner, depth + 1);
    }
  };
  visit(error, 0);
  return facts;
}

/**
 * Whether a failed `eth_getLogs` means "ask for fewer blocks" (`too-large`), "ask again
 * later" (`transient`) or neither (`fatal`). Rate limits are checked first: Infura
 * reports them with the same -32005 code as its too-many-results refusal.
 */
export function classifyLogError(error: unknown): LogErrorKind {
  const facts = factsOf(error);
  const text = facts.texts.join("\n").toLowerCase();
  if (TRANSIENT[0].test(text) || facts.codes.includes(429)) return "transient";
  if (TOO_LARGE.some((pattern) => pattern.test(text))) return "too-large";
  if (facts.codes.includes(-32005)) return "too-large";
  if (facts.codes.includes(-32602) && /exceed|too (large|wide|big|many)|range|limit/.test(text)) return "too-large";
  if (facts.codes.some((code) => typeof code === "string" && TRANSIENT_CODES.has(code))) return "transient";
  if (facts.codes.some((code) => typeof code === "number" && code >= 500 && code <= 599)) return "transient";
  if (TRANSIENT.some((pattern) => pattern.test(text))) return "transient";
  return "fatal";
}

/** One line naming the node's error: the JSON-RPC message and code when there is one. */
function describeCause(error: unknown): string {
  const facts = factsOf(error);
  const record = (error ?? {}) as Record<string, unknown>;
  const line =
    facts.rpc !== undefined
      ? `${facts.rpc.message} (code ${facts.rpc.code})`
      : typeof record.shortMessage === "string"
        ? `${record.shortMessage}${typeof record.code === "string" ? ` (${record.code})` : ""}`
        : error instanceof Error
          ? `${error.message}${typeof record.code === "string" ? ` (${record.code})` : ""}`
          : String(error);
  const first = line.split("\n")[0].trim();
  return first.length > 300 ? `${first.slice(0, 300)}…` : first;
}

// ==== CHECKPOINTS ====

/**
 * Where a replay stands: the next block to read on chain `chainId`, optionally the hash of
 * the last block read (`nextBlock - 1`, to notice a replaced chain) and the replay's own
 * state (any JSON). Unknown fields are kept as they are, for later formats.
 */
export interface Checkpoint<State = unknown> {
  /** Decimal chain id, as in the deployment record. */
  chainId: string;
  /** The first block not yet read: a page's `nextBlock`. */
  nextBlock: number;
  /** The hash of block `nextBlock - 1`. */
  blockHash?: string;
  state?: State;
  [field: string]: unknown;
}

/** Writes `checkpoint` to `file` atomically (a temporary file in the same directory, synced, then renamed). */
export async function saveCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  checkCheckpoint(checkpoint, file);
  const text = `${JSON.stringify(checkpoint, null, 2)}\n`; // throws before any write if `state` is not JSON
  await writeAtomically(file, text);
}

/** Reads a checkpoint file; `undefined` when there is none. A malformed one is a {@link UserError} naming the file. */
export async function loadCheckpoint<State = unknown>(file: string): Promise<Checkpoint<State> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`invalid checkpoint ${file}: not JSON`);
  }
  checkCheckpoint(parsed, file);
  return parsed as Checkpoint<State>;
}

function checkCheckpoint(value: unknown, file: string): asserts value is Checkpoint {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UserError(`invalid checkpoint ${file}: expected a JSON object`);
  }
  const c = value as Record<string, unknown>;
  if (typeof c.chainId !== "string" || !/^\d+$/.test(c.chainId)) {
    throw new UserError(`invalid checkpoint ${file}: chainId must be a decimal string`);
  }
  if (typeof c.nextBlock !== "number" || !Number.isSafeInteger(c.nextBlock) || c.nextBlock < 0) {
    throw new UserError(`invalid checkpoint ${file}: nextBlock must be a block number`);
  }
  if (c.blockHash !== undefined && (typeof c.blockHash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(c.blockHash))) {
    throw new UserError(`invalid checkpoint ${file}: blockHash must be 0x and 64 hex digits`);
  }
}

// ==== HELPERS ====

function blockNumber(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new UserError(`streamLogs: ${name} must be a block number, got ${value}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new UserError(`streamLogs: ${name} must be a whole number ≥ 1, got ${value}`);
  return value;
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new UserError(`streamLogs: ${name} must be a whole number ≥ 0, got ${value}`);
  return value;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
