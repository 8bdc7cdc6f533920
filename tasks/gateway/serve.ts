import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { gatewayUrl } from "../../sdk/publication.js";
import { UserError } from "../../sdk/errors.js";
import { deploymentId } from "../../sdk/deployment.js";
import { rpcOf } from "../../gateway/chain.js";
import { httpRpc } from "../../gateway/node-rpc.js";
import { buildServer } from "../../gateway/server.js";
import { ensurePage } from "../lib/page.js";
import { type TaskResult, networkUrl, openDeployment, taskAction } from "../lib/runtime.js";

interface Args {
  port?: string;
  host?: string;
  data?: string;
  peer?: string;
  rateLimit?: string;
  json: boolean;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 8080;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UserError(`invalid --port "${text}": expected a port number (0–65535)`);
  return Number(text);
}

function parseRateLimit(text: string | undefined): number | false {
  if (text === undefined) return 600;
  if (!/^\d+$/.test(text)) throw new UserError(`invalid --rate-limit "${text}": expected requests a minute per client address (0: no limit)`);
  return Number(text) === 0 ? false : Number(text);
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM), with the signal's name. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/**
 * Runs the gateway for this network's deployment until SIGINT or SIGTERM: the unit-list
 * service, `/v1/verify`, the read-only JSON-RPC proxy and the verification page. Its store
 * is SQLite under `--data` (default: beside the deployment record), so it survives
 * restarts. The page is built first if this clone has no build of it. Prints where it
 * listens and what it serves; stops cleanly, closing its store.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const port = parsePort(args.port);
  const host = args.host ?? "127.0.0.1";
  const rateLimit = parseRateLimit(args.rateLimit);
  const peers = (args.peer ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => {
      try {
        return gatewayUrl(p).origin;
      } catch {
        throw new UserError(`invalid --peer "${p}": expected a gateway's URL, e.g. http://10.0.0.5:8080`);
      }
    });
  const network = hre.globalOptions.network ?? "default";
  if ((hre.config.networks[network] as { type?: string } | undefined)?.type === "edr-simulated") {
    throw new UserError(`the gateway needs a chain that outlives this command, not the in-process network ${network}: start \`npx hardhat node\` and pass --network localhost`);
  }
  const deployed = await openDeployment(hre);
  const data = path.resolve(args.data ?? path.join(hre.config.paths.ignition, "deployments", deploymentId(deployed.chainId), "gateway"));
  // A clone that never ran `npm run build:web` gets its page built now; the API works without it.
  const page = await ensurePage(hre.config.paths.root);
  if (page.problem !== undefined) process.stderr.write(`warning: the verification page is not served: ${page.problem}\n`);
  // Straight to the node over HTTP (batching concurrent calls) when the network is an HTTP one.
  const nodeUrl = deployed.connection.networkConfig.type === "http" ? await networkUrl(deployed.connection.networkConfig) : undefined;
  const app = await buildServer({
    rpc: nodeUrl !== undefined ? httpRpc(nodeUrl) : rpcOf(deployed.connection.provider),
    record: deployed.record,
    chainId: deployed.chainId,
    data,
    peers,
    staticDir: page.problem === undefined ? page.dir : null,
    rateLimit,
    // Warnings (a peer's bad list) and failures as JSON lines on stderr; stdout stays the task's.
    logger: { level: "warn", stream: process.stderr },
  });
  let url: string;
  try {
    url = await app.listen({ port, host });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UserError(`port ${port} on ${host} is in use: choose another with --port`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new UserError(`cannot listen on ${host}: no such local address (--host)`);
    if (code === "EACCES") throw new UserError(`not allowed to listen on port ${port}: choose one above 1023 with --port`);
    throw error;
  }
  const stopping = stopSignal();
  const { contracts } = deployed.record;
  const started = {
    listening: url,
    network: deployed.connection.networkName,
    chainId: deployed.chainId.toString(),
    contracts,
    data,
    lists: app.gateway.store.listCount(),
    peers,
    rateLimit: rateLimit === false ? null : rateLimit,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(started)}\n`);
  } else {
    process.stdout.write(
      [
        `MedState gateway listening on ${url} — the verification page at ${url}/, the API under ${url}/v1/`,
        `serving chain ${started.chainId} (network ${started.network}): BatchRegistry ${contracts.BatchRegistry}, ConsortiumRegistry ${contracts.ConsortiumRegistry}`,
        `${started.lists} unit list${started.lists === 1 ? "" : "s"} held; peers: ${peers.length === 0 ? "none" : peers.join(", ")}; rate limit: ${rateLimit === false ? "none" : `${rateLimit} requests a minute per address`}; store: ${path.join(data, "gateway.sqlite")}`,
        "stop with Ctrl-C",
      ].join("\n") + "\n",
    );
  }
  const signal = await stopping;
  const lists = app.gateway.store.listCount();
  await app.close();
  return { json: { stopped: signal, ...started, lists }, human: `gateway stopped (${signal}) with ${lists} unit list${lists === 1 ? "" : "s"} held; store closed` };
}

export default taskAction(run);
