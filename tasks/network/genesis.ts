import { chmod, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { UserError } from "../../sdk/errors.js";
import { makeDirectory } from "../../sdk/files.js";
import {
  type NodeKey,
  besuNodeConfig,
  enodeUrl,
  faultTolerance,
  generateNodeKey,
  qbftGenesis,
  staticNodesJson,
} from "../../sdk/network/qbft.js";
import { type TaskResult, required, taskAction } from "../lib/runtime.js";

interface Args {
  validators?: string;
  chainId?: string;
  out?: string;
  host?: string;
  baseP2pPort?: string;
  baseRpcPort?: string;
  blockPeriod?: string;
  force: boolean;
  json: boolean;
}

export interface GeneratedNode {
  node: string;
  address: string;
  enode: string;
  rpcUrl: string;
  config: string;
  key: string;
  publicKey: string;
  p2pPort: string;
  rpcPort: string;
}

const MAX_VALIDATORS = 64;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseCount(option: string, value: string | undefined, min: number, max: number): number {
  const text = required(option, value);
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UserError(`invalid ${option} "${text}": expected an integer from ${min} to ${max}`);
  }
  return Number(text);
}

function parsePortRange(option: string, value: string | undefined, fallback: number, count: number): number {
  const text = value?.trim() ?? String(fallback);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) + count - 1 > 65_535) {
    throw new UserError(`invalid ${option} "${text}": ${count} consecutive ports from it must lie within 1…65535`);
  }
  return Number(text);
}

/** One IPv4 address for every node, or one per node (comma-separated): enode URLs take IP addresses. */
function parseHosts(value: string | undefined, count: number): string[] {
  const hosts = (value ?? "127.0.0.1").split(",").map((h) => h.trim());
  for (const host of hosts) {
    if (!IPV4.test(host)) throw new UserError(`invalid --host "${host}": expected an IPv4 address (Besu enode URLs take IP addresses)`);
  }
  if (hosts.length !== 1 && hosts.length !== count) {
    throw new UserError(`invalid --host: ${hosts.length} addresses for ${count} validators (give one, or one per validator)`);
  }
  return hosts.length === 1 ? Array.from({ length: count }, () => hosts[0]) : hosts;
}

async function isNonEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") throw new UserError(`invalid --out "${dir}": not a directory`);
    throw error;
  }
}

/**
 * Generates a Hyperledger Besu QBFT network: one node key per validator, the genesis
 * (validators in `extraData`, forks up to Cancun from block 0, free gas), a TOML
 * configuration per node, and the static-nodes file. Everything is checked and built
 * in memory first, so a refusal writes nothing. Private keys go to files only.
 */
export async function run(args: Args): Promise<TaskResult> {
  const count = parseCount("--validators", args.validators, 1, MAX_VALIDATORS);
  const chainIdText = required("--chain-id", args.chainId);
  if (!/^\d+$/.test(chainIdText) || BigInt(chainIdText) < 1n || BigInt(chainIdText) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UserError(`invalid --chain-id "${chainIdText}": expected a positive integer (up to 2^53 - 1)`);
  }
  const chainId = BigInt(chainIdText);
  const dir = path.resolve(required("--out", args.out));
  const hosts = parseHosts(args.host, count);
  const baseP2p = parsePortRange("--base-p2p-port", args.baseP2pPort, 30_303, count);
  const baseRpc = parsePortRange("--base-rpc-port", args.baseRpcPort, 8_545, count);
  if (baseP2p < baseRpc + count && baseRpc < baseP2p + count) {
    throw new UserError(`invalid ports: P2P ports ${baseP2p}… and JSON-RPC ports ${baseRpc}… overlap`);
  }
  const blockPeriod = parseCount("--block-period", args.blockPeriod ?? "2", 1, 3_600);
  if (!args.force && (await isNonEmptyDir(dir))) {
    throw new UserError(`--out ${dir} is not empty: choose an empty directory, or pass --force to overwrite the generated files`);
  }

  // Keys, ordered by address: Besu's guide lists the initial validators in ascending order.
  const keys: NodeKey[] = Array.from({ length: count }, () => generateNodeKey()).sort((a, b) =>
    a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1,
  );
  const validators = keys.map((k) => k.address);
  const genesis = qbftGenesis({
    chainId,
    validators,
    blockPeriodSeconds: blockPeriod,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const enodes = keys.map((k, i) => enodeUrl(k.publicKey, hosts[i], baseP2p + i));
  const f = faultTolerance(count);

  const files: { file: string; content: string; secret?: boolean }[] = [
    { file: "genesis.json", content: `${JSON.stringify(genesis, null, 2)}\n` },
    { file: "static-nodes.json", content: staticNodesJson(enodes) },
    // The input of `besu rlp encode --type=QBFT_EXTRA_DATA`, which must print genesis.json's extraData.
    { file: "validators.json", content: `${JSON.stringify(validators.map((v) => v.toLowerCase()), null, 2)}\n` },
  ];
  const nodes: GeneratedNode[] = keys.map((key, i) => {
    const name = `node-${i + 1}`;
    const rpcPort = baseRpc + i;
    const config = besuNodeConfig({
      header: [
        `MedState QBFT validator ${i + 1} of ${count} (address ${key.address}), chain ${chainId}.`,
        `Paths are relative to the network directory: start Besu from it with`,
        `  besu --config-file=${name}/config.toml`,
      ].join("\n"),
      dataPath: `${name}/data`,
      genesisFile: "genesis.json",
      nodePrivateKeyFile: `${name}/key`,
      p2pHost: hosts[i],
      p2pPort: baseP2p + i,
      rpcHttpPort: rpcPort,
      bootnodes: enodes.filter((_, j) => j !== i),
      staticNodesFile: "static-nodes.json",
    });
    files.push(
      // Besu's own `key` file format: one line, the 0x-hex private key.
      { file: path.join(name, "key"), content: key.privateKey, secret: true },
      { file: path.join(name, "key.pub"), content: key.publicKey },
      { file: path.join(name, "config.toml"), content: config },
    );
    return {
      node: String(i + 1),
      address: key.address,
      enode: enodes[i],
      rpcUrl: `http://127.0.0.1:${rpcPort}`,
      config: path.join(dir, name, "config.toml"),
      key: path.join(dir, name, "key"),
      publicKey: key.publicKey,
      p2pPort: String(baseP2p + i),
      rpcPort: String(rpcPort),
    };
  });

  await makeDirectory(dir);
  for (let i = 1; i <= count; i++) {
    const nodeDir = path.join(dir, `node-${i}`);
    await makeDirectory(nodeDir);
    await chmod(nodeDir, 0o700);
  }
  for (const { file, content, secret } of files) {
    const target = path.join(dir, file);
    await writeFile(target, content, secret === true ? { mode: 0o600 } : {});
    if (secret === true) await chmod(target, 0o600); // also when --force overwrote an existing file
  }

  const warning =
    count < 4
      ? `\nwarning: ${count} validator${count === 1 ? "" : "s"} tolerate${count === 1 ? "s" : ""} f = ⌊(N−1)/3⌋ = ${f} faulty validators; QBFT needs at least 4 to be Byzantine fault tolerant`
      : "";
  const human = [
    `wrote a ${count}-validator QBFT network for chain ${chainId} to ${dir} (tolerates f = ${f} faulty validator${f === 1 ? "" : "s"})`,
    ...nodes.map((n) => `  node-${n.node}  ${n.address}  p2p ${hosts[Number(n.node) - 1]}:${n.p2pPort}  rpc ${n.rpcUrl}`),
    `start each node from ${dir}: besu --config-file=node-1/config.toml (and so on)`,
    `the private keys are in node-<i>/key (mode 0600): keep each on its validator's machine only`,
  ].join("\n");
  return {
    json: {
      dir,
      chainId: chainId.toString(),
      validators,
      genesis: path.join(dir, "genesis.json"),
      staticNodes: path.join(dir, "static-nodes.json"),
      validatorsFile: path.join(dir, "validators.json"),
      extraData: genesis.extraData,
      f: String(f),
      nodes,
    },
    human: `${human}${warning}`,
  };
}

export default taskAction(run);
