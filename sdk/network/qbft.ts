/**
 * A Hyperledger Besu QBFT network kit, as pure functions: the genesis block's
 * `extraData` (RLP of vanity, validators, vote, round, seals), the genesis file,
 * node keys and enode URLs, and each node's TOML configuration.
 *
 * Sources (Besu documentation, private networks):
 * - QBFT genesis and `extraData`: how-to/configure/consensus/qbft.md — `extraData` is
 *   `RLP([32 bytes vanity, List<Validators>, No Vote, Round=Int(0), 0 Seals])`, which
 *   `besu rlp encode --type=QBFT_EXTRA_DATA` prints ending in `c080c0`;
 *   `difficulty` 0x1 and the "Istanbul" `mixHash`.
 * - Free gas: how-to/configure/free-gas.md — `zeroBaseFee` from London on,
 *   `min-gas-price=0` on every node, a large block gas limit (`0x1fffffffffffff`).
 * - Node keys: concepts/node-keys.md and `KeyPairUtil` (the `key` file holds one line,
 *   the 0x-hex private key); the node ID in an enode URL is the 64-byte public key.
 * - TOML: each key is the command-line option without its leading dashes.
 */
import { SigningKey, computeAddress, decodeRlp, encodeRlp, getAddress, getBytes, hexlify, randomBytes, toBeHex } from "ethers";

import { faultTolerance } from "../bft.js";

export { faultTolerance };

/** `mixHash` that identifies Istanbul-family (IBFT 2.0, QBFT) blocks: "tical byzantine fault tolerance". */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";
/** Block gas limit for a free-gas network (Besu's free-gas guide). */
export const FREE_GAS_BLOCK_GAS_LIMIT = "0x1fffffffffffff";
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const ZERO_HASH = `0x${"00".repeat(32)}`;

/** The JSON-RPC namespaces a MedState node serves: QBFT for validator votes, ADMIN for peers. */
export const DEFAULT_RPC_APIS: readonly string[] = ["ETH", "NET", "WEB3", "QBFT", "ADMIN", "TXPOOL"];

// ==== extraData ====

export interface QbftVote {
  /** The validator voted on. */
  recipient: string;
  /** true to add it, false to remove it. */
  add: boolean;
}

export interface QbftExtraData {
  /** 32 bytes, 0x-hex. */
  vanity: string;
  /** Validator addresses, checksummed, in the encoded order. */
  validators: string[];
  vote: QbftVote | null;
  round: number;
  /** Committed seals, 65 bytes each, 0x-hex. */
  seals: string[];
}

/** Besu's vote type bytes (`VoteType`): 0xff adds, 0x00 drops. */
const VOTE_ADD = "0xff";
const VOTE_DROP = "0x00";

function checkedAddress(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) throw new Error(`${what} "${value}" is not a 0x-prefixed 20-byte address`);
  return getAddress(value.toLowerCase());
}

/**
 * The genesis `extraData` of a QBFT network whose validators are chosen by block
 * headers: RLP([32-byte vanity, [validators…], no vote (empty list), round 0 (the
 * empty string, RLP 0x80), no seals (empty list)]). Validators stay in the given order.
 */
export function qbftExtraData(validators: readonly string[], vanity: string = ZERO_HASH): string {
  if (getBytes(vanity).length !== 32) throw new Error("the QBFT vanity must be 32 bytes");
  const addresses = validators.map((v, i) => checkedAddress(v, `validator ${i + 1}`).toLowerCase());
  if (new Set(addresses).size !== addresses.length) throw new Error("the validator list has duplicates");
  return encodeRlp([hexlify(vanity), addresses, [], "0x", []]);
}

type Rlp = string | Rlp[];

function asBytes(item: Rlp | undefined, what: string): string {
  if (typeof item !== "string") throw new Error(`QBFT extraData: ${what} is not a byte string`);
  return item;
}

function asList(item: Rlp | undefined, what: string): Rlp[] {
  if (!Array.isArray(item)) throw new Error(`QBFT extraData: ${what} is not a list`);
  return item;
}

/** Decodes a QBFT `extraData` (genesis or sealed block header) into its five fields. */
export function decodeQbftExtraData(hex: string): QbftExtraData {
  let decoded: Rlp;
  try {
    decoded = decodeRlp(hex) as Rlp;
  } catch (error) {
    throw new Error(`QBFT extraData is not valid RLP: ${(error as Error).message}`);
  }
  const fields = asList(decoded, "the top level");
  if (fields.length !== 5) throw new Error(`QBFT extraData has ${fields.length} fields, expected 5`);
  const vanity = asBytes(fields[0], "the vanity");
  if (getBytes(vanity).length !== 32) throw new Error("QBFT extraData: the vanity is not 32 bytes");
  const validators = asList(fields[1], "the validator list").map((item, i) => {
    const bytes = asBytes(item, `validator ${i + 1}`);
    if (getBytes(bytes).length !== 20) throw new Error(`QBFT extraData: validator ${i + 1} is not 20 bytes`);
    return getAddress(bytes);
  });
  const voteItems = asList(fields[2], "the vote");
  let vote: QbftVote | null = null;
  if (voteItems.length !== 0) {
    if (voteItems.length !== 2) throw new Error("QBFT extraData: a vote has 2 fields (recipient, type)");
    const recipient = asBytes(voteItems[0], "the vote recipient");
    const type = asBytes(voteItems[1], "the vote type");
    if (getBytes(recipient).length !== 20 || (type !== VOTE_ADD && type !== VOTE_DROP)) {
      throw new Error("QBFT extraData: malformed vote");
    }
    vote = { recipient: getAddress(recipient), add: type === VOTE_ADD };
  }
  const roundBytes = asBytes(fields[3], "the round");
  if (roundBytes.length > 2 && roundBytes.startsWith("0x00")) throw new Error("QBFT extraData: the round has leading zeros");
  const round = roundBytes === "0x" ? 0 : Number(BigInt(roundBytes));
  const seals = asList(fields[4], "the seals").map((item, i) => {
    const seal = asBytes(item, `seal ${i + 1}`);
    if (getBytes(seal).length !== 65) throw new Error(`QBFT extraData: seal ${i + 1} is not 65 bytes`);
    return seal;
  });
  return { vanity, validators, vote, round, seals };
}

// ==== genesis ====

export interface QbftGenesisOptions {
  chainId: number | bigint;
  /** Initial validators, in the order they are encoded in `extraData`. */
  validators: readonly string[];
  /** Pre-funded accounts (address → balance in wei). Free gas needs none. */
  alloc?: Record<string, bigint | string>;
  /** Seconds between blocks (default 2). */
  blockPeriodSeconds?: number;
  /** Round timeout (default twice the block period, as Besu's tuning guide suggests). */
  requestTimeoutSeconds?: number;
  /** Blocks between epochs, when pending votes are reset (default 30000). */
  epochLength?: number;
  /** Block gas limit, hex or bigint (default 0x1fffffffffffff). */
  gasLimit?: string | bigint;
  /** Genesis timestamp in seconds (default 0: the file is a function of its inputs). */
  timestamp?: number;
}

export interface BesuGenesis {
  config: {
    chainId: number;
    homesteadBlock: 0;
    eip150Block: 0;
    eip158Block: 0;
    byzantiumBlock: 0;
    constantinopleBlock: 0;
    petersburgBlock: 0;
    istanbulBlock: 0;
    muirGlacierBlock: 0;
    berlinBlock: 0;
    londonBlock: 0;
    shanghaiTime: 0;
    cancunTime: 0;
    zeroBaseFee: true;
    qbft: { blockperiodseconds: number; epochlength: number; requesttimeoutseconds: number };
  };
  nonce: string;
  timestamp: string;
  gasLimit: string;
  difficulty: string;
  mixHash: string;
  coinbase: string;
  extraData: string;
  alloc: Record<string, { balance: string }>;
  number: string;
  gasUsed: string;
  parentHash: string;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${what} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The Besu genesis of a QBFT network with every fork up to Cancun active from block 0
 * (the EVM version MedState is compiled for), free gas (`zeroBaseFee`, a large block
 * gas limit) and the validators in `extraData` (block-header validator selection).
 */
export function qbftGenesis(options: QbftGenesisOptions): BesuGenesis {
  const chainId = BigInt(options.chainId);
  if (chainId < 1n || chainId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`the chain id must be a positive integer up to 2^53 - 1, got ${options.chainId}`);
  }
  if (options.validators.length === 0) throw new Error("a QBFT network needs at least one validator");
  const blockPeriod = positiveInteger(options.blockPeriodSeconds ?? 2, "blockPeriodSeconds");
  const requestTimeout = positiveInteger(options.requestTimeoutSeconds ?? 2 * blockPeriod, "requestTimeoutSeconds");
  const epochLength = positiveInteger(options.epochLength ?? 30_000, "epochLength");
  const timestamp = options.timestamp ?? 0;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new Error(`the timestamp must be a non-negative integer`);
  const gasLimit = toBeHex(BigInt(options.gasLimit ?? FREE_GAS_BLOCK_GAS_LIMIT));
  const alloc: Record<string, { balance: string }> = {};
  for (const [address, balance] of Object.entries(options.alloc ?? {})) {
    alloc[checkedAddress(address, "alloc address").toLowerCase()] = { balance: toBeHex(BigInt(balance)) };
  }
  return {
    config: {
      chainId: Number(chainId),
      homesteadBlock: 0,
      eip150Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      muirGlacierBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      zeroBaseFee: true,
      qbft: { blockperiodseconds: blockPeriod, epochlength: epochLength, requesttimeoutseconds: requestTimeout },
    },
    nonce: "0x0",
    timestamp: toBeHex(timestamp),
    gasLimit,
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: ZERO_ADDRESS,
    extraData: qbftExtraData(options.validators),
    alloc,
    number: "0x0",
    gasUsed: "0x0",
    parentHash: ZERO_HASH,
  };
}

/**
 * Forks in activation order, each with the solc `evmVersion` it introduces and its
 * key in a Besu genesis (`JsonGenesisConfigOptions`; Spurious Dragon is `eip158Block`).
 */
const FORKS: readonly { evmVersion: string; key: string }[] = [
  { evmVersion: "homestead", key: "homesteadBlock" },
  { evmVersion: "tangerineWhistle", key: "eip150Block" },
  { evmVersion: "spuriousDragon", key: "eip158Block" },
  { evmVersion: "byzantium", key: "byzantiumBlock" },
  { evmVersion: "constantinople", key: "constantinopleBlock" },
  { evmVersion: "petersburg", key: "petersburgBlock" },
  { evmVersion: "istanbul", key: "istanbulBlock" },
  { evmVersion: "berlin", key: "berlinBlock" },
  { evmVersion: "london", key: "londonBlock" },
  { evmVersion: "shanghai", key: "shanghaiTime" },
  { evmVersion: "cancun", key: "cancunTime" },
  { evmVersion: "prague", key: "pragueTime" },
  { evmVersion: "osaka", key: "osakaTime" },
];

/**
 * The newest solc `evmVersion` whose fork, and every fork before it, a genesis
 * activates at block 0 / time 0: what contracts deployed on that chain may use.
 */
export function genesisEvmVersion(config: Record<string, unknown>): string {
  let version = "frontier";
  for (const fork of FORKS) {
    if (config[fork.key] !== 0) break;
    version = fork.evmVersion;
  }
  return version;
}

// ==== node keys ====

export interface NodeKey {
  /** 0x-hex, 32 bytes: the content of Besu's `key` file. Never print it. */
  privateKey: string;
  /** 0x-hex, 64 bytes: the uncompressed secp256k1 public key without its 0x04 prefix (the node ID). */
  publicKey: string;
  /** The node address (last 20 bytes of keccak-256 of the public key): the validator address. */
  address: string;
}

export function nodeKeyFromPrivateKey(privateKey: string): NodeKey {
  const signingKey = new SigningKey(privateKey);
  const uncompressed = signingKey.publicKey; // 0x04 ‖ X ‖ Y
  return {
    privateKey: signingKey.privateKey,
    publicKey: `0x${uncompressed.slice(4)}`,
    address: computeAddress(uncompressed),
  };
}

/** A fresh random secp256k1 node key (cryptographically secure randomness). */
export function generateNodeKey(): NodeKey {
  for (;;) {
    try {
      return nodeKeyFromPrivateKey(hexlify(randomBytes(32)));
    } catch {
      // Out of the curve order (probability ~2^-128): draw again.
    }
  }
}

/** `enode://<node ID>@<host>:<port>`; the node ID is the 64-byte public key, hex, no prefix. */
export function enodeUrl(publicKey: string, host: string, port: number): string {
  const id = publicKey.replace(/^0x/, "").toLowerCase();
  if (!/^[0-9a-f]{128}$/.test(id)) throw new Error("an enode node ID is a 64-byte public key");
  return `enode://${id}@${host}:${port}`;
}

// ==== node configuration ====

export interface BesuNodeConfigOptions {
  /** Paths are written as given; Besu resolves relative ones against its working directory. */
  dataPath: string;
  genesisFile: string;
  nodePrivateKeyFile: string;
  /** The address other nodes reach this one at (advertised in its enode URL). */
  p2pHost: string;
  p2pPort: number;
  rpcHttpHost?: string;
  rpcHttpPort: number;
  rpcHttpApi?: readonly string[];
  hostAllowlist?: readonly string[];
  bootnodes?: readonly string[];
  staticNodesFile?: string;
  /** A comment put at the top of the file. */
  header?: string;
}

function tomlValue(value: string | number | boolean | readonly string[]): string {
  if (typeof value === "string") return JSON.stringify(value); // a TOML basic string
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
}

/** A Besu `--config-file` TOML: keys are the command-line options without their dashes. */
export function besuNodeConfig(options: BesuNodeConfigOptions): string {
  const rpcHost = options.rpcHttpHost ?? "127.0.0.1";
  const entries: [string, string | number | boolean | readonly string[]][] = [
    ["data-path", options.dataPath],
    ["genesis-file", options.genesisFile],
    ["node-private-key-file", options.nodePrivateKeyFile],
    // Free gas: a node with a higher minimum silently drops zero-price transactions.
    ["min-gas-price", 0],
    // Custom errors in receipts of failed transactions, which the tasks decode.
    ["revert-reason-enabled", true],
    ["p2p-host", options.p2pHost],
    ["p2p-port", options.p2pPort],
    ["bootnodes", options.bootnodes ?? []],
    ...(options.staticNodesFile === undefined ? [] : ([["static-nodes-file", options.staticNodesFile]] as [string, string][])),
    ["rpc-http-enabled", true],
    ["rpc-http-host", rpcHost],
    ["rpc-http-port", options.rpcHttpPort],
    ["rpc-http-api", options.rpcHttpApi ?? DEFAULT_RPC_APIS],
    ["host-allowlist", options.hostAllowlist ?? ["localhost", "127.0.0.1"]],
  ];
  const header = (options.header ?? "")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => `# ${line}\n`)
    .join("");
  return `${header}${entries.map(([key, value]) => `${key}=${tomlValue(value)}`).join("\n")}\n`;
}

/** The `static-nodes.json` file: a JSON array of enode URLs. */
export function staticNodesJson(enodes: readonly string[]): string {
  return `${JSON.stringify(enodes, null, 2)}\n`;
}
