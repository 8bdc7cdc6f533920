import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { type Log, type Provider, makeError } from "ethers";

import { Role } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { fetchLogs } from "../../sdk/replay/identity.js";
import {
  type LogPage,
  type LogProgress,
  LogReadError,
  type StreamLogsOptions,
  classifyLogError,
  loadCheckpoint,
  saveCheckpoint,
  streamLogs,
} from "../../sdk/replay/logs.js";
import { connection, ethers, standardConsortium } from "../helpers/fixtures.js";

const { networkHelpers } = connection;

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";

// ==== REALISTIC NODE ERRORS ====

/** What ethers' JsonRpcProvider throws for a JSON-RPC error it has no name for (the request is quoted). */
const rpcError = (code: number, message: string, id = 42) =>
  makeError("could not coalesce error", "UNKNOWN_ERROR", {
    error: { code, message },
    payload: { method: "eth_getLogs", params: [{ fromBlock: "0x0", toBlock: "0x3e7" }], id, jsonrpc: "2.0" },
  });
/** What Hardhat's own provider throws (a ProviderError: numeric code, plain message). */
const providerError = (code: number, message: string) => Object.assign(new Error(message), { code });
const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });

const REFUSALS: Record<string, () => Error> = {
  "geth / Infura": () => rpcError(-32005, "query returned more than 10000 results. Try with this block range [0x0, 0x1f3]."),
  Besu: () => rpcError(-32005, "Requested range exceeds maximum RPC range limit"),
  Alchemy: () =>
    rpcError(
      -32602,
      "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size",
    ),
  "BSC / Erigon": () => rpcError(-32000, "exceed maximum block range: 5000"),
  Ankr: () => rpcError(-32600, "block range is too wide"),
  QuickNode: () => rpcError(-32614, "eth_getLogs is limited to a 10,000 range"),
  Hardhat: () => providerError(-32005, "Limit exceeded"),
  "-32602 exceed": () => providerError(-32602, "query exceeds max results 20000, retry with the range 0-499"),
};

const TRANSIENTS: Record<string, () => Error> = {
  ECONNRESET: () => nodeError("ECONNRESET", "read ECONNRESET"),
  ETIMEDOUT: () => nodeError("ETIMEDOUT", "connect ETIMEDOUT 10.0.0.2:8545"),
  "socket hang up": () => new Error("socket hang up"),
  "HTTP 429": () =>
    makeError("server response 429 Too Many Requests", "SERVER_ERROR", {
      info: { responseStatus: "429 Too Many Requests" },
    } as never),
  "Infura rate limit (-32005)": () => rpcError(-32005, "project ID request rate exceeded"),
  "-32603 timeout": () => rpcError(-32603, "request timed out"),
  "ethers TIMEOUT": () => makeError("request timeout", "TIMEOUT", { operation: "getLogs", reason: "timeout" }),
  "ethers NETWORK_ERROR": () => makeError("could not detect network", "NETWORK_ERROR", { event: "noNetwork" }),
  "HTTP 503": () => makeError("server response 503 Service Unavailable", "SERVER_ERROR", {} as never),
};

// ==== A FAKE NODE ====

interface FakeNode {
  provider: Provider;
  /** Every getLogs request, as [fromBlock, toBlock]; refused and failed ones included. */
  calls: [number, number][];
  /** The requests that were refused as too large. */
  refused: [number, number][];
  blockNumberCalls: number;
  /** Every log the node holds, in (blockNumber, logIndex) order. */
  all: Log[];
}

interface FakeOptions {
  head: number;
  /** Refuses requests wider than this many blocks. */
  maxSpan?: number;
  refusal?: () => Error;
  /** The first `failures` requests fail with `failure()`. */
  failures?: number;
  failure?: () => Error;
  /** Logs in block `b`. Default: b % 3, alternating between A and B. */
  perBlock?: (block: number) => number;
}

function fakeNode(options: FakeOptions): FakeNode {
  const perBlock = options.perBlock ?? ((b: number) => b % 3);
  const all: Log[] = [];
  for (let block = 0; block <= options.head; block++) {
    for (let index = 0; index < perBlock(block); index++) {
      all.push({
        blockNumber: block,
        index,
        address: index % 2 === 0 ? A : B,
        transactionHash: ethers.id(`tx ${block} ${index}`),
        data: "0x",
        topics: [],
      } as unknown as Log);
    }
  }
  let failures = options.failures ?? 0;
  const node: FakeNode = {
    calls: [],
    refused: [],
    blockNumberCalls: 0,
    all,
    provider: {
      async getBlockNumber() {
        node.blockNumberCalls++;
        return options.head;
      },
      async getLogs(filter: { address?: string | string[]; fromBlock?: unknown; toBlock?: unknown }) {
        const from = Number(filter.fromBlock);
        const to = Number(filter.toBlock);
        node.calls.push([from, to]);
        await new Promise((resolve) => setImmediate(resolve));
        if (failures > 0) {
          failures--;
          throw (options.failure ?? TRANSIENTS.ECONNRESET)();
        }
        if (options.maxSpan !== undefined && to - from + 1 > options.maxSpan) {
          node.refused.push([from, to]);
          throw (options.refusal ?? REFUSALS["geth / Infura"])();
        }
        const wanted = new Set([filter.address ?? []].flat().map((a) => a.toLowerCase()));
        // Newest first: the reader must put them in order itself.
        return all.filter((l) => l.blockNumber >= from && l.blockNumber <= to && wanted.has(l.address)).reverse();
      },
    } as unknown as Provider,
  };
  return node;
}

const BOTH = { addresses: [A, B], retryDelayMs: 1, maxRetryDelayMs: 5 } satisfies Partial<StreamLogsOptions>;

async function collect(provider: Provider, options: StreamLogsOptions): Promise<LogPage[]> {
  const pages: LogPage[] = [];
  for await (const page of streamLogs(provider, options)) pages.push(page);
  return pages;
}

const key = (l: Log) => `${l.blockNumber}:${l.index}`;
const keys = (pages: LogPage[]) => pages.flatMap((p) => p.logs.map(key));
const spans = (calls: [number, number][]) => calls.map(([from, to]) => to - from + 1);

/** The pages tile [from, to] exactly: contiguous, non-overlapping, nextBlock = toBlock + 1. */
function expectTiling(pages: LogPage[], from: number, to: number): void {
  expect(pages.length).to.be.greaterThan(0);
  expect(pages[0].fromBlock).to.equal(from);
  for (let i = 0; i < pages.length; i++) {
    expect(pages[i].nextBlock, `page ${i}`).to.equal(pages[i].toBlock + 1);
    expect(pages[i].toBlock, `page ${i}`).to.be.at.least(pages[i].fromBlock);
    if (i > 0) expect(pages[i].fromBlock, `page ${i}`).to.equal(pages[i - 1].nextBlock);
  }
  expect(pages[pages.length - 1].toBlock).to.equal(to);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  expect.fail("expected a rejection");
}

describe("sdk/replay/logs", function () {
  describe("streamLogs", function () {
    it("yields every log once, in (blockNumber, logIndex) order, in pages tiling the range", async function () {
      const node = fakeNode({ head: 1_234 });
      const pages = await collect(node.provider, { ...BOTH, fromBlock: 0, initialRange: 100, maxRange: 400 });
      expectTiling(pages, 0, 1_234);
      expect(keys(pages)).to.deep.equal(node.all.map(key));
      for (const page of pages) {
        for (const log of page.logs) expect(log.blockNumber).to.be.within(page.fromBlock, page.toBlock);
      }
      expect(node.blockNumberCalls).to.equal(1);
    });

    it("reads only the addresses asked for", async function () {
      const node = fakeNode({ head: 300 });
      const pages = await collect(node.provider, { ...BOTH, addresses: [B], fromBlock: 0 });
      expect(keys(pages)).to.deep.equal(node.all.filter((l) => l.address === B).map(key));
    });

    it("stops at an explicit toBlock without asking for the head", async function () {
      const node = fakeNode({ head: 1_000 });
      const pages = await collect(node.provider, { ...BOTH, fromBlock: 10, toBlock: 509, initialRange: 100 });
      expectTiling(pages, 10, 509);
      expect(keys(pages)).to.deep.equal(node.all.filter((l) => l.blockNumber >= 10 && l.blockNumber <= 509).map(key));
      expect(node.blockNumberCalls).to.equal(0);
    });

    it("yields nothing when fromBlock is past toBlock", async function () {
      const node = fakeNode({ head: 100 });
      expect(await collect(node.provider, { ...BOTH, fromBlock: 101 })).to.deep.equal([]);
      expect(node.calls).to.deep.equal([]);
    });

    it("doubles the range after quiet pages, up to maxRange", async function () {
      const node = fakeNode({ head: 999 });
      const pages = await collect(node.provider, { ...BOTH, fromBlock: 0, initialRange: 10, maxRange: 80, growAfter: 2 });
      expect(spans(node.calls).slice(0, 10)).to.deep.equal([10, 10, 20, 20, 40, 40, 80, 80, 80, 80]);
      expect(keys(pages)).to.deep.equal(node.all.map(key));
    });

    it("halves a refused range, grows it back, and probes a refused width only rarely", async function () {
      const node = fakeNode({ head: 9_999, maxSpan: 300 });
      const pages = await collect(node.provider, { ...BOTH, fromBlock: 0, initialRange: 1_000, maxRange: 1_000, growAfter: 2 });
      // 1000 → 500 → 250 (accepted); 500 was refused, so it is probed again only after 2 × 8 quiet pages.
      expect(spans(node.calls).slice(0, 20)).to.deep.equal([1_000, 500, ...Array<number>(16).fill(250), 500, 250]);
      expect(spans(node.refused).slice(0, 3)).to.deep.equal([1_000, 500, 500]);
      for (const page of pages) expect(page.toBlock - page.fromBlock + 1).to.be.at.most(300);
      expectTiling(pages, 0, 9_999);
      expect(keys(pages)).to.deep.equal(node.all.map(key));
      expect(node.refused.length).to.equal(2 + Math.floor(pages.length / 16));
    });

    for (const [dialect, refusal] of Object.entries(REFUSALS)) {
      it(`shrinks the range on a refusal from ${dialect}`, async function () {
        expect(classifyLogError(refusal())).to.equal("too-large");
        const node = fakeNode({ head: 999, maxSpan: 128, refusal });
        const pages = await collect(node.provider, { ...BOTH, fromBlock: 0, initialRange: 512, maxRange: 512 });
        expect(node.refused.length).to.be.greaterThan(0);
        expect(keys(pages)).to.deep.equal(node.all.map(key));
      });
    }

    it("throws clearly when a single block is still too large", async function () {
      const node = fakeNode({ head: 100, maxSpan: 0 });
      const error = await rejection(collect(node.provider, { ...BOTH, fromBlock: 7, initialRange: 64 }));
      expect(error).to.be.instanceOf(LogReadError);
      expect(error.message).to.equal(
        "eth_getLogs refused block 7 alone as too large: " +
          "query returned more than 10000 results. Try with this block range [0x0, 0x1f3]. (code -32005)",
      );
      expect(spans(node.calls)).to.deep.equal([64, 32, 16, 8, 4, 2, 1]);
      expect((error as LogReadError).fromBlock).to.equal(7);
    });

    for (const [kind, failure] of Object.entries(TRANSIENTS)) {
      it(`retries after ${kind}, then succeeds`, async function () {
        expect(classifyLogError(failure())).to.equal("transient");
        const node = fakeNode({ head: 299, failures: 3, failure });
        const pages = await collect(node.provider, { ...BOTH, fromBlock: 0, initialRange: 100, retries: 3 });
        expect(node.calls.slice(0, 4)).to.deep.equal([
          [0, 99],
          [0, 99],
          [0, 99],
          [0, 99],
        ]);
        expect(keys(pages)).to.deep.equal(node.all.map(key));
      });
    }

    it("waits a capped, doubling delay between attempts", async function () {
      const node = fakeNode({ head: 99, failures: 4 });
      const started = performance.now();
      await collect(node.provider, { ...BOTH, fromBlock: 0, retries: 4, retryDelayMs: 10, maxRetryDelayMs: 25 });
      // 10 + 20 + 25 + 25
      expect(performance.now() - started).to.be.at.least(75);
    });

    it("throws naming the range and the last cause once the retries are spent", async function () {
      const node = fakeNode({ head: 999, failures: 100, failure: TRANSIENTS.ETIMEDOUT });
      const error = await rejection(collect(node.provider, { ...BOTH, fromBlock: 200, initialRange: 100, retries: 2 }));
      expect(error).to.be.instanceOf(LogReadError);
      expect(error.message).to.equal(
        "eth_getLogs for blocks 200–299 failed after 3 attempts: connect ETIMEDOUT 10.0.0.2:8545 (ETIMEDOUT)",
      );
      expect((error.cause as { code: string }).code).to.equal("ETIMEDOUT");
      expect(node.calls).to.have.length(3);
    });

    it("throws at once, naming the range, for an error that is neither transient nor a size refusal", async function () {
      const failure = () => rpcError(-32602, "invalid argument 0: hex string without 0x prefix", 429);
      expect(classifyLogError(failure())).to.equal("fatal");
      const node = fakeNode({ head: 999, failures: 1, failure });
      const error = await rejection(collect(node.provider, { ...BOTH, fromBlock: 0, initialRange: 50 }));
      expect(error.message).to.equal(
        "eth_getLogs for blocks 0–49 failed: invalid argument 0: hex string without 0x prefix (code -32602)",
      );
      expect(node.calls).to.have.length(1);
    });

    it("retries eth_blockNumber too, and names it when it fails", async function () {
      const node = fakeNode({ head: 10 });
      let failures = 0;
      const provider = {
        getLogs: node.provider.getLogs.bind(node.provider),
        async getBlockNumber() {
          failures++;
          throw TRANSIENTS["socket hang up"]();
        },
      } as unknown as Provider;
      const error = await rejection(collect(provider, { ...BOTH, fromBlock: 0, retries: 1 }));
      expect(error.message).to.equal("eth_blockNumber (for blocks 0–latest) failed after 2 attempts: socket hang up");
      expect(failures).to.equal(2);
    });

    it("reports progress after every page", async function () {
      const node = fakeNode({ head: 449 });
      const progress: LogProgress[] = [];
      const pages = await collect(node.provider, {
        ...BOTH,
        fromBlock: 50,
        initialRange: 100,
        maxRange: 100,
        onProgress: (p) => progress.push(p),
      });
      expect(progress).to.have.length(pages.length);
      expect(progress.map((p) => [p.fromBlock, p.toBlock, p.done, p.total])).to.deep.equal([
        [50, 149, 100, 400],
        [150, 249, 200, 400],
        [250, 349, 300, 400],
        [350, 449, 400, 400],
      ]);
      let sum = 0;
      for (let i = 0; i < pages.length; i++) {
        sum += pages[i].logs.length;
        expect(progress[i].logs).to.equal(sum);
      }
      expect(sum).to.equal(node.all.filter((l) => l.blockNumber >= 50).length);
    });

    it("stops when the signal aborts, without another request", async function () {
      const node = fakeNode({ head: 9_999 });
      const controller = new AbortController();
      const seen: LogPage[] = [];
      const error = await rejection(
        (async () => {
          for await (const page of streamLogs(node.provider, {
            ...BOTH,
            fromBlock: 0,
            initialRange: 100,
            signal: controller.signal,
          })) {
            seen.push(page);
            if (seen.length === 2) controller.abort();
          }
        })(),
      );
      expect(error.name).to.equal("AbortError");
      expect(seen).to.have.length(2);
      expect(node.calls).to.have.length(2);
    });

    it("stops waiting between retries as soon as the signal aborts", async function () {
      const node = fakeNode({ head: 99, failures: 1 });
      const controller = new AbortController();
      const started = performance.now();
      setTimeout(() => controller.abort(), 20);
      const error = await rejection(
        collect(node.provider, {
          ...BOTH,
          fromBlock: 0,
          retryDelayMs: 60_000,
          maxRetryDelayMs: 60_000,
          signal: controller.signal,
        }),
      );
      expect(error.name).to.equal("AbortError");
      expect(performance.now() - started).to.be.below(5_000);
      expect(node.calls).to.have.length(1);
    });

    it("refuses bad options", async function () {
      const node = fakeNode({ head: 10 });
      await rejection(collect(node.provider, { addresses: [], fromBlock: 0 })).then((e) => {
        expect(e).to.be.instanceOf(UserError);
        expect(e.message).to.equal("streamLogs: no contract address given");
      });
      await rejection(collect(node.provider, { ...BOTH, fromBlock: -1 })).then((e) =>
        expect(e.message).to.equal("streamLogs: fromBlock must be a block number, got -1"),
      );
      await rejection(collect(node.provider, { ...BOTH, fromBlock: 0, maxRange: 0 })).then((e) =>
        expect(e.message).to.equal("streamLogs: maxRange must be a whole number ≥ 1, got 0"),
      );
    });
  });

  describe("classifyLogError", function () {
    it("does not take a request id of 429 or 503 for a rate limit or an outage", function () {
      expect(classifyLogError(rpcError(-32000, "execution reverted", 429))).to.equal("fatal");
      expect(classifyLogError(rpcError(-32000, "execution reverted", 503))).to.equal("fatal");
    });

    it("takes geth's invalid range (from after to) for a fatal error, not a size refusal", function () {
      expect(classifyLogError(rpcError(-32000, "invalid block range params"))).to.equal("fatal");
    });

    it("looks inside causes", function () {
      const wrapped = new Error("request failed", { cause: nodeError("ECONNRESET", "read ECONNRESET") });
      expect(classifyLogError(wrapped)).to.equal("transient");
    });
  });

  describe("checkpoints", function () {
    it("resumes from a checkpoint with exactly the rest", async function () {
      const dir = await mkdtemp(path.join(tmpdir(), "medstate-logs-"));
      const file = path.join(dir, "replay", "checkpoint.json");
      const node = fakeNode({ head: 2_345 });
      const first: LogPage[] = [];
      for await (const page of streamLogs(node.provider, { ...BOTH, fromBlock: 0, initialRange: 100 })) {
        first.push(page);
        await saveCheckpoint(file, { chainId: "31337", nextBlock: page.nextBlock, state: { events: keys(first).length } });
        if (first.length === 3) break; // the process stops here
      }
      const checkpoint = await loadCheckpoint<{ events: number }>(file);
      expect(checkpoint).to.deep.equal({
        chainId: "31337",
        nextBlock: first[2].nextBlock,
        state: { events: keys(first).length },
      });
      const rest = await collect(node.provider, { ...BOTH, fromBlock: checkpoint!.nextBlock, initialRange: 100 });
      expectTiling([...first, ...rest], 0, 2_345);
      expect([...keys(first), ...keys(rest)]).to.deep.equal(node.all.map(key));
    });

    it("writes atomically, leaving no temporary file, and keeps unknown fields", async function () {
      const dir = await mkdtemp(path.join(tmpdir(), "medstate-logs-"));
      const file = path.join(dir, "checkpoint.json");
      const blockHash = ethers.id("block");
      await saveCheckpoint(file, { chainId: "1337", nextBlock: 5 });
      await saveCheckpoint(file, { chainId: "1337", nextBlock: 9, blockHash, state: { batches: [1, 2] }, future: true });
      expect(await readdir(dir)).to.deep.equal(["checkpoint.json"]);
      expect(JSON.parse(await readFile(file, "utf8"))).to.deep.equal({
        chainId: "1337",
        nextBlock: 9,
        blockHash,
        state: { batches: [1, 2] },
        future: true,
      });
      expect(await loadCheckpoint(file)).to.deep.equal({
        chainId: "1337",
        nextBlock: 9,
        blockHash,
        state: { batches: [1, 2] },
        future: true,
      });
    });

    it("leaves the previous checkpoint intact when the state cannot be written", async function () {
      const dir = await mkdtemp(path.join(tmpdir(), "medstate-logs-"));
      const file = path.join(dir, "checkpoint.json");
      await saveCheckpoint(file, { chainId: "1337", nextBlock: 5 });
      await rejection(saveCheckpoint(file, { chainId: "1337", nextBlock: 6, state: { big: 1n } }));
      expect(await loadCheckpoint(file)).to.deep.equal({ chainId: "1337", nextBlock: 5 });
      expect(await readdir(dir)).to.deep.equal(["checkpoint.json"]);
    });

    it("loads nothing from a missing file and refuses a malformed one", async function () {
      const dir = await mkdtemp(path.join(tmpdir(), "medstate-logs-"));
      const file = path.join(dir, "checkpoint.json");
      expect(await loadCheckpoint(file)).to.equal(undefined);
      for (const [text, problem] of [
        ["{", "not JSON"],
        ["[]", "expected a JSON object"],
        ['{"chainId":1337,"nextBlock":1}', "chainId must be a decimal string"],
        ['{"chainId":"1337","nextBlock":-1}', "nextBlock must be a block number"],
        ['{"chainId":"1337","nextBlock":1,"blockHash":"0x12"}', "blockHash must be 0x and 64 hex digits"],
      ]) {
        await writeFile(file, text);
        const error = await rejection(loadCheckpoint(file));
        expect(error).to.be.instanceOf(UserError);
        expect(error.message).to.equal(`invalid checkpoint ${file}: ${problem}`);
      }
    });
  });

  describe("fetchLogs", function () {
    it("still collects one contract's logs to the head, now over streamLogs", async function () {
      const node = fakeNode({ head: 12_000, maxSpan: 3_000 });
      const logs = await fetchLogs(node.provider, A, 10);
      expect(logs.map(key)).to.deep.equal(node.all.filter((l) => l.address === A && l.blockNumber >= 10).map(key));
      expect(spans(node.calls).slice(0, 3)).to.deep.equal([5_000, 2_500, 2_500]);
    });
  });

  describe("on the embedded Hardhat network", function () {
    async function eventfulConsortium() {
      const c = await standardConsortium();
      const [, , , , logistics] = c.admins;
      for (let i = 0; i < 6; i++) {
        await c.registry.connect(logistics).addMember(5n, c.others[i].address, Role.Operator);
        await networkHelpers.mine(1 + i * 7); // gaps of empty blocks between events
      }
      await c.registry.connect(logistics).removeMember(5n, c.others[0].address);
      return c;
    }

    it("returns the same logs as one big eth_getLogs", async function () {
      const c = await networkHelpers.loadFixture(eventfulConsortium);
      const addresses = await Promise.all([c.registry, c.governor, c.batchRegistry].map((x) => x.getAddress()));
      const head = await ethers.provider.getBlockNumber();
      const expected = await ethers.provider.getLogs({ address: addresses, fromBlock: 0, toBlock: head });
      expect(expected.length).to.be.greaterThan(20);

      const pages = await collect(ethers.provider, { addresses, fromBlock: 0, toBlock: "latest", initialRange: 2, maxRange: 16 });
      expectTiling(pages, 0, head);
      const summary = (l: Log) => [l.blockNumber, l.index, l.address, l.transactionHash, l.data, l.topics.join(",")].join("|");
      expect(pages.flatMap((p) => p.logs.map(summary))).to.deep.equal(expected.map(summary));
      expect(pages.some((p) => p.toBlock - p.fromBlock + 1 === 16)).to.equal(true);
    });

    it("returns the same logs through a node that refuses more than 5 blocks at a time", async function () {
      const c = await networkHelpers.loadFixture(eventfulConsortium);
      const addresses = await Promise.all([c.registry, c.governor, c.batchRegistry].map((x) => x.getAddress()));
      const expected = await ethers.provider.getLogs({ address: addresses, fromBlock: 0, toBlock: "latest" });
      let refusals = 0;
      const strict = {
        getBlockNumber: () => ethers.provider.getBlockNumber(),
        async getLogs(filter: { fromBlock: number; toBlock: number }) {
          if (filter.toBlock - filter.fromBlock + 1 > 5) {
            refusals++;
            throw providerError(-32005, "Limit exceeded");
          }
          return ethers.provider.getLogs(filter);
        },
      } as unknown as Provider;
      const pages = await collect(strict, { addresses, fromBlock: 0, initialRange: 64, maxRange: 64 });
      expect(refusals).to.be.greaterThan(0);
      expect(pages.flatMap((p) => p.logs.map(key))).to.deep.equal(expected.map(key));
    });
  });
});
