/**
 * The gateway's small parts on their own: the per-block answer cache, the lazily read
 * head, and the table that turns every error into a stable `{error, message}`.
 */
import { expect } from "chai";

import { BlockCache } from "../../gateway/cache.js";
import { ApiError, isUnreachable, refusalOf } from "../../gateway/errors.js";
import { Head } from "../../gateway/head.js";

/** A promise and its resolvers. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The message `promise` is rejected with (a failure when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a rejection");
}

/** A compute function that counts its calls and answers `value` (or the value of its call number). */
function counter<T>(value?: T) {
  const f = async () => {
    f.calls++;
    return value ?? (f.calls as T);
  };
  f.calls = 0;
  return f;
}

describe("gateway parts", function () {
  describe("BlockCache", function () {
    it("computes a key once per block and answers the same value again at that block", async function () {
      const cache = new BlockCache();
      const compute = counter<number>();
      expect([await cache.get("k", 5n, compute), await cache.get("k", 5n, compute)]).to.deep.equal([1, 1]);
      expect([compute.calls, cache.hits, cache.misses, cache.size]).to.deep.equal([1, 1, 1, 1]);
    });

    it("keeps different keys apart at one block", async function () {
      const cache = new BlockCache();
      expect([await cache.get("a", 5n, async () => "A"), await cache.get("b", 5n, async () => "B"), await cache.get("a", 5n, async () => "X")]).to.deep.equal(["A", "B", "A"]);
      expect([cache.hits, cache.misses, cache.size]).to.deep.equal([1, 2, 2]);
    });

    it("drops every entry when another block is asked for, newer or older (a node that went back)", async function () {
      const cache = new BlockCache();
      const compute = counter<number>();
      await cache.get("a", 5n, compute);
      await cache.get("b", 5n, async () => 0);
      expect(await cache.get("a", 6n, compute)).to.equal(2);
      expect(cache.size).to.equal(1);
      expect(await cache.get("a", 4n, compute)).to.equal(3);
      expect(await cache.get("a", 4n, compute)).to.equal(3);
      expect([compute.calls, cache.hits, cache.misses]).to.deep.equal([3, 1, 4]);
    });

    it("shares one computation between concurrent requests for a key (single flight)", async function () {
      const cache = new BlockCache();
      const gate = deferred<string>();
      let calls = 0;
      const compute = () => (calls++, gate.promise);
      const answers = Promise.all([cache.get("k", 1n, compute), cache.get("k", 1n, compute), cache.get("k", 1n, compute)]);
      gate.resolve("v");
      expect(await answers).to.deep.equal(["v", "v", "v"]);
      expect([calls, cache.hits, cache.misses]).to.deep.equal([1, 2, 1]);
    });

    it("does not keep a failed computation: the next request computes again", async function () {
      const cache = new BlockCache();
      let calls = 0;
      const failing = async () => {
        calls++;
        throw new Error("node down");
      };
      expect(await rejection(cache.get("k", 1n, failing))).to.equal("node down");
      expect(cache.size).to.equal(0);
      expect(await cache.get("k", 1n, async () => (calls++, "ok"))).to.equal("ok");
      expect([calls, cache.hits, cache.misses, cache.size]).to.deep.equal([2, 0, 2, 1]);
    });

    it("gives the failure to every request that shared the failed computation", async function () {
      const cache = new BlockCache();
      const gate = deferred<string>();
      const both = Promise.allSettled([cache.get("k", 1n, () => gate.promise), cache.get("k", 1n, () => gate.promise)]);
      gate.reject(new Error("reverted"));
      expect((await both).map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
      expect(cache.size).to.equal(0);
    });

    it("holds at most maxEntries, the oldest going first", async function () {
      const cache = new BlockCache(2);
      await cache.get("a", 1n, async () => "A");
      await cache.get("b", 1n, async () => "B");
      await cache.get("c", 1n, async () => "C");
      expect(cache.size).to.equal(2);
      expect(await cache.get("a", 1n, async () => "A2")).to.equal("A2");
      expect(await cache.get("c", 1n, async () => "C2")).to.equal("C");
      expect(cache.size).to.equal(2);
    });

    it("does not let a late failure of an evicted entry remove its successor", async function () {
      const cache = new BlockCache();
      const gate = deferred<string>();
      const first = cache.get("k", 1n, () => gate.promise);
      // A new block replaces the entry, then the old computation fails.
      await cache.get("k", 2n, async () => "new");
      gate.reject(new Error("late"));
      expect(await rejection(first)).to.equal("late");
      expect(await cache.get("k", 2n, async () => "again")).to.equal("new");
    });
  });

  describe("Head", function () {
    /** A head over a fake node whose block the test sets, on a fake clock. */
    function fakeHead(maxAgeMs: number) {
      const node = { block: 10n, reads: 0, gate: undefined as Promise<void> | undefined };
      const clock = { now: 1_000 };
      const head = new Head(
        async () => {
          node.reads++;
          if (node.gate !== undefined) await node.gate;
          return node.block;
        },
        maxAgeMs,
        () => clock.now,
      );
      return { node, clock, head };
    }

    it("asks the node nothing until a request needs the head", async function () {
      const { node, head } = fakeHead(500);
      expect(node.reads).to.equal(0);
      expect(await head.current()).to.equal(10n);
      expect(node.reads).to.equal(1);
    });

    it("answers from its last reading while it is younger than maxAgeMs, then reads again", async function () {
      const { node, clock, head } = fakeHead(500);
      await head.current();
      node.block = 11n;
      clock.now += 499;
      expect([await head.current(), node.reads]).to.deep.equal([10n, 1]);
      clock.now += 1;
      expect([await head.current(), node.reads]).to.deep.equal([11n, 2]);
    });

    it("reads on every request with maxAgeMs 0", async function () {
      const { node, head } = fakeHead(0);
      await head.current();
      node.block = 12n;
      expect([await head.current(), node.reads]).to.deep.equal([12n, 2]);
    });

    it("shares one eth_blockNumber between concurrent requests", async function () {
      const { node, head } = fakeHead(0);
      const gate = deferred<void>();
      node.gate = gate.promise;
      const answers = Promise.all([head.current(), head.current(), head.current()]);
      gate.resolve();
      expect(await answers).to.deep.equal([10n, 10n, 10n]);
      expect(node.reads).to.equal(1);
    });

    it("follows a node that went back (a restarted dev chain)", async function () {
      const { node, clock, head } = fakeHead(100);
      node.block = 50n;
      await head.current();
      node.block = 3n;
      clock.now += 100;
      expect(await head.current()).to.equal(3n);
    });

    it("keeps no failed reading: the next request asks again", async function () {
      let fail = true;
      let reads = 0;
      const head = new Head(async () => {
        reads++;
        if (fail) throw new Error("ECONNREFUSED");
        return 7n;
      }, 1_000);
      expect(await rejection(head.current())).to.equal("ECONNREFUSED");
      fail = false;
      expect([await head.current(), reads]).to.deep.equal([7n, 2]);
    });
  });

  describe("refusalOf", function () {
    /** A Fastify schema error as Fastify builds it. */
    const validation = (context: string, keyword: string, message: string) =>
      Object.assign(new Error(message), { validation: [{ keyword }], validationContext: context, statusCode: 400, code: "FST_ERR_VALIDATION" });
    const fastify = (code: string, statusCode: number, message = code) => Object.assign(new Error(message), { code, statusCode });

    const table: [string, unknown, number, string][] = [
      ["an ApiError", new ApiError(422, "root_mismatch", "no"), 422, "root_mismatch"],
      ["a code over maxLength", validation("params", "maxLength", "params/code must NOT have more than 128 characters"), 414, "code_too_long"],
      ["a code under minLength", validation("params", "minLength", "params/code must NOT have fewer than 1 characters"), 400, "invalid_code"],
      ["a root that is no hash", validation("params", "pattern", "params/root must match pattern"), 400, "invalid_code"],
      ["a list over maxItems", validation("body", "maxItems", "body/units must NOT have more than 8 items"), 413, "list_too_large"],
      ["an extra field", validation("body", "additionalProperties", "body must NOT have additional properties"), 400, "invalid_body"],
      ["a missing field", validation("body", "required", "body must have required property 'root'"), 400, "invalid_body"],
      ["a body over the limit", fastify("FST_ERR_CTP_BODY_TOO_LARGE", 413), 413, "body_too_large"],
      ["another content type", fastify("FST_ERR_CTP_INVALID_MEDIA_TYPE", 415), 415, "unsupported_media_type"],
      ["a wrong content length", fastify("FST_ERR_CTP_INVALID_CONTENT_LENGTH", 400), 400, "invalid_body"],
      ["an empty JSON body", fastify("FST_ERR_CTP_EMPTY_JSON_BODY", 400), 400, "invalid_body"],
      ["a body that is not JSON", fastify("FST_ERR_CTP_INVALID_JSON_BODY", 400), 400, "invalid_body"],
      ["the rate limiter's refusal", { statusCode: 429, error: "rate_limited", message: "more than 5 requests" }, 429, "rate_limited"],
      ["a node that refuses connections", Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } }), 502, "node_unreachable"],
      ["a node that times out", new Error("connect ETIMEDOUT 10.0.0.1:8545"), 502, "node_unreachable"],
      ["another 4xx of Fastify's", fastify("FST_ERR_SOMETHING", 405, "Method Not Allowed"), 405, "invalid_request"],
      ["a bug", new TypeError("x is undefined"), 500, "internal"],
      ["a thrown string", "boom", 500, "internal"],
    ];
    for (const [what, error, status, code] of table) {
      it(`answers ${what} with ${status} ${code}`, function () {
        const [s, body] = refusalOf(error);
        expect([s, body.error]).to.deep.equal([status, code]);
        expect(Object.keys(body).sort()).to.deep.equal(["error", "message"]);
        expect(body.message).to.be.a("string").and.not.equal("");
      });
    }

    it("keeps an ApiError's message and a schema's reason, without the schema path", function () {
      expect(refusalOf(new ApiError(404, "unknown_batch", "no batch 0x12 on this chain"))[1]).to.deep.equal({ error: "unknown_batch", message: "no batch 0x12 on this chain" });
      expect(refusalOf(validation("params", "maxLength", "params/code must NOT have more than 128 characters"))[1].message).to.equal("the code must NOT have more than 128 characters");
      expect(refusalOf(validation("body", "required", "body must have required property 'root'"))[1].message).to.equal("body must have required property 'root'");
    });

    it("tells an unreachable node from a node that refused", function () {
      expect(isUnreachable(Object.assign(new Error("socket hang up"), {}))).to.equal(true);
      expect(isUnreachable(Object.assign(new Error("execution reverted"), { code: 3, data: "0x" }))).to.equal(false);
      expect(refusalOf(Object.assign(new Error("execution reverted"), { code: 3 }))[0]).to.equal(500);
    });
  });
});
