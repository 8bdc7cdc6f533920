import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { SigningKey, Wallet, computeAddress, encodeRlp, getAddress } from "ethers";
import hre from "hardhat";

import { UserError } from "../../sdk/errors.js";
import {
  DEFAULT_RPC_APIS,
  QBFT_MIX_HASH,
  besuNodeConfig,
  decodeQbftExtraData,
  enodeUrl,
  generateNodeKey,
  genesisEvmVersion,
  nodeKeyFromPrivateKey,
  qbftExtraData,
  qbftGenesis,
} from "../../sdk/network/qbft.js";
import { run as runGenesis } from "../../tasks/network/genesis.js";
import { type CliResult, ROOT, expectRefusal } from "../helpers/cli.js";

// Known-answer vectors from the Besu documentation, "Configure QBFT consensus"
// (https://besu.hyperledger.org/private-networks/how-to/configure/consensus/qbft,
// source hyperledger/besu-docs docs/private-networks/how-to/configure/consensus/qbft.md):
// 1. "Generate extra data": `besu rlp encode --from=toEncode.json --type=QBFT_EXTRA_DATA`
//    of these four validators prints this extraData.
const DOCS_TO_ENCODE = [
  "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
  "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70",
  "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de",
  "0xab5e7f4061c605820d3744227eed91ff8e2c8908",
];
const DOCS_ENCODED =
  "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e45706cc08b8f44b11e43cba0cfc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee02d7bcbc1bf1236b8c15148971e1de94ab5e7f4061c605820d3744227eed91ff8e2c8908c080c0";
// 2. The "Block header validator selection" genesis example's extraData and its validators.
const DOCS_GENESIS_EXTRA_DATA =
  "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0";
const DOCS_GENESIS_VALIDATORS = [
  "0x64a702e6263b7297a96638cac6ae65e6541f4169",
  "0x3923390ad55e90c237593b3b0e401f3b08a03185",
  "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692",
  "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78",
];
// 3. The "Contract validator selection" genesis example: no validators in extraData.
const DOCS_CONTRACT_SELECTION_EXTRA_DATA = "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0";
// Besu documentation, "Test accounts" (hyperledger/besu-docs docs/global/test_accounts.md):
// test account 1's private key and address.
const DOCS_TEST_KEY = "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";
const DOCS_TEST_ADDRESS = "0xfe3b557e8fb62b89f4916b721be55ceb828dbd73";

const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");

function hardhat(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Every `evmVersion` the project compiles for, from the resolved Hardhat config. */
function compilerEvmVersions(): string[] {
  const versions = Object.values(hre.config.solidity.profiles).flatMap((profile) => [
    ...profile.compilers.map((c) => c.settings.evmVersion as unknown),
    ...Object.values(profile.overrides).map((c) => c.settings.evmVersion as unknown),
  ]);
  return [...new Set(versions.map(String))];
}

describe("sdk/network/qbft", function () {
  describe("qbftExtraData", function () {
    it("encodes Besu's documented toEncode.json validators to the documented extraData", function () {
      expect(qbftExtraData(DOCS_TO_ENCODE)).to.equal(DOCS_ENCODED);
    });

    it("encodes no validators as the documented contract-selection extraData", function () {
      expect(qbftExtraData([])).to.equal(DOCS_CONTRACT_SELECTION_EXTRA_DATA);
    });

    it("ends with no vote, round 0 and no seals (c080c0) and keeps the validators' order", function () {
      const validators = Array.from({ length: 7 }, () => generateNodeKey().address);
      const extraData = qbftExtraData(validators);
      expect(extraData.endsWith("c080c0")).to.equal(true);
      const decoded = decodeQbftExtraData(extraData);
      expect(decoded.validators).to.deep.equal(validators);
      expect(decoded).to.deep.include({ vanity: `0x${"00".repeat(32)}`, vote: null, round: 0, seals: [] });
    });

    it("accepts checksummed and lower-case addresses alike", function () {
      expect(qbftExtraData(DOCS_TO_ENCODE.map((a) => getAddress(a)))).to.equal(DOCS_ENCODED);
    });

    it("refuses a malformed or duplicated validator", function () {
      expect(() => qbftExtraData(["0x1234"])).to.throw(/validator 1 "0x1234" is not a 0x-prefixed 20-byte address/);
      expect(() => qbftExtraData([DOCS_TO_ENCODE[0], getAddress(DOCS_TO_ENCODE[0])])).to.throw(/duplicates/);
    });
  });

  describe("decodeQbftExtraData", function () {
    it("decodes the extraData of Besu's documented QBFT genesis example", function () {
      const decoded = decodeQbftExtraData(DOCS_GENESIS_EXTRA_DATA);
      expect(decoded.validators).to.deep.equal(DOCS_GENESIS_VALIDATORS.map((a) => getAddress(a)));
      expect(decoded).to.deep.include({ vote: null, round: 0, seals: [] });
      expect(qbftExtraData(decoded.validators)).to.equal(DOCS_GENESIS_EXTRA_DATA);
    });

    it("decodes a sealed header's vote, round and seals", function () {
      const [a, b] = DOCS_TO_ENCODE;
      const seal = `0x${"11".repeat(65)}`;
      const header = encodeRlp([`0x${"ab".repeat(32)}`, [a], [b, "0xff"], "0x03", [seal, seal]]);
      expect(decodeQbftExtraData(header)).to.deep.equal({
        vanity: `0x${"ab".repeat(32)}`,
        validators: [getAddress(a)],
        vote: { recipient: getAddress(b), add: true },
        round: 3,
        seals: [seal, seal],
      });
      const drop = encodeRlp([`0x${"00".repeat(32)}`, [a], [b, "0x00"], "0x", []]);
      expect(decodeQbftExtraData(drop).vote).to.deep.equal({ recipient: getAddress(b), add: false });
    });

    it("refuses what is not QBFT extraData", function () {
      const vanity = `0x${"00".repeat(32)}`;
      expect(() => decodeQbftExtraData("0xzz")).to.throw(/not valid RLP/);
      expect(() => decodeQbftExtraData(encodeRlp([vanity, [], [], "0x"]))).to.throw(/4 fields, expected 5/);
      expect(() => decodeQbftExtraData(encodeRlp(["0x00", [], [], "0x", []]))).to.throw(/vanity is not 32 bytes/);
      expect(() => decodeQbftExtraData(encodeRlp([vanity, ["0x1234"], [], "0x", []]))).to.throw(/validator 1 is not 20 bytes/);
      // IBFT 2.0's layout: the vote as an empty byte string, not a list.
      expect(() => decodeQbftExtraData(encodeRlp([vanity, [], "0x", "0x00000000", []]))).to.throw(/the vote is not a list/);
    });
  });

  describe("qbftGenesis", function () {
    const validators = DOCS_TO_ENCODE;

    it("activates from genesis every fork the compiler's evmVersion needs, and none after it", function () {
      const versions = compilerEvmVersions();
      expect(versions, "all build profiles compile for one EVM version").to.have.length(1);
      const genesis = qbftGenesis({ chainId: 1337, validators });
      expect(genesisEvmVersion(genesis.config as unknown as Record<string, unknown>)).to.equal(versions[0]);
      // Cancun and Shanghai are timestamp forks; the others are block forks (Besu's keys).
      expect(genesis.config).to.include({ berlinBlock: 0, londonBlock: 0, shanghaiTime: 0, cancunTime: 0 });
      expect(genesis.config).to.not.have.property("pragueTime");
    });

    it("carries the chain id, QBFT parameters, free gas and the Istanbul mixHash", function () {
      const genesis = qbftGenesis({ chainId: 202406n, validators, blockPeriodSeconds: 5, timestamp: 0x5b3d92d7 });
      expect(genesis.config.chainId).to.equal(202406);
      expect(genesis.config.qbft).to.deep.equal({ blockperiodseconds: 5, epochlength: 30000, requesttimeoutseconds: 10 });
      expect(genesis.config.zeroBaseFee).to.equal(true);
      expect(genesis).to.include({
        nonce: "0x0",
        timestamp: "0x5b3d92d7",
        gasLimit: "0x1fffffffffffff",
        difficulty: "0x1",
        mixHash: QBFT_MIX_HASH,
        coinbase: "0x0000000000000000000000000000000000000000",
        extraData: DOCS_ENCODED,
      });
      expect(genesis.alloc).to.deep.equal({});
      const funded = qbftGenesis({ chainId: 1, validators, alloc: { [getAddress(DOCS_TEST_ADDRESS)]: 10n ** 18n } });
      expect(funded.alloc).to.deep.equal({ [DOCS_TEST_ADDRESS]: { balance: "0x0de0b6b3a7640000" } });
    });

    it("refuses a chain id that is not positive, and a network without validators", function () {
      expect(() => qbftGenesis({ chainId: 0, validators })).to.throw(/chain id must be a positive integer/);
      expect(() => qbftGenesis({ chainId: 2n ** 64n, validators })).to.throw(/chain id must be a positive integer/);
      expect(() => qbftGenesis({ chainId: 1, validators: [] })).to.throw(/at least one validator/);
    });

    it("matches the besu network of hardhat.config.ts: an l1 HTTP network sending zero gas price", function () {
      const besu = hre.config.networks.besu;
      expect(besu.type).to.equal("http");
      expect(besu.chainType).to.equal("l1");
      expect(besu.gasPrice).to.equal(0n);
      // Zero-price transactions need zeroBaseFee in the genesis and min-gas-price=0 on every node.
      expect(qbftGenesis({ chainId: 1, validators }).config.zeroBaseFee).to.equal(true);
    });
  });

  describe("node keys", function () {
    it("derives Besu's documented test account address from its private key", function () {
      expect(nodeKeyFromPrivateKey(DOCS_TEST_KEY).address.toLowerCase()).to.equal(DOCS_TEST_ADDRESS);
    });

    it("makes the node ID the uncompressed public key without 04, hashing to the validator address", function () {
      const key = generateNodeKey();
      const uncompressed = new SigningKey(key.privateKey).publicKey;
      expect(uncompressed.startsWith("0x04")).to.equal(true);
      expect(key.publicKey).to.equal(`0x${uncompressed.slice(4)}`).and.to.have.length(2 + 128);
      expect(computeAddress(`0x04${key.publicKey.slice(2)}`)).to.equal(key.address);
      expect(new Wallet(key.privateKey).address).to.equal(key.address);
      expect(enodeUrl(key.publicKey, "10.0.0.7", 30303)).to.equal(`enode://${key.publicKey.slice(2)}@10.0.0.7:30303`);
    });

    it("draws a different key each time", function () {
      expect(generateNodeKey().privateKey).to.not.equal(generateNodeKey().privateKey);
    });
  });

  describe("besuNodeConfig", function () {
    it("asks for free gas, JSON-RPC on loopback with the QBFT API, and lists bootnodes", function () {
      const toml = besuNodeConfig({
        dataPath: "node-1/data",
        genesisFile: "genesis.json",
        nodePrivateKeyFile: "node-1/key",
        p2pHost: "127.0.0.1",
        p2pPort: 30303,
        rpcHttpPort: 8545,
        bootnodes: ["enode://ab@127.0.0.1:30304"],
        staticNodesFile: "static-nodes.json",
        header: "a comment",
      });
      const lines = toml.split("\n");
      expect(lines[0]).to.equal("# a comment");
      for (const line of [
        'data-path="node-1/data"',
        'genesis-file="genesis.json"',
        'node-private-key-file="node-1/key"',
        "min-gas-price=0",
        'p2p-port=30303',
        'bootnodes=["enode://ab@127.0.0.1:30304"]',
        'static-nodes-file="static-nodes.json"',
        "rpc-http-enabled=true",
        'rpc-http-host="127.0.0.1"',
        "rpc-http-port=8545",
        'rpc-http-api=["ETH", "NET", "WEB3", "QBFT", "ADMIN", "TXPOOL"]',
        'host-allowlist=["localhost", "127.0.0.1"]',
      ]) {
        expect(lines).to.include(line);
      }
      expect(DEFAULT_RPC_APIS).to.include("QBFT");
    });
  });
});

describe("network genesis", function () {
  this.timeout(120_000);
  let scratch: string;

  before(async function () {
    scratch = await mkdtemp(path.join(tmpdir(), "medstate-qbft-"));
  });

  after(async function () {
    await rm(scratch, { recursive: true, force: true });
  });

  it("writes genesis, keys, node configs and static nodes, and prints no private key", async function () {
    const out = path.join(scratch, "net4");
    // `--base-p2p-port` as documented (Hardhat's help spells it `--base-p-2p-port`; both parse).
    const result = await hardhat(
      "network",
      "genesis",
      "--validators",
      "4",
      "--chain-id",
      "1337",
      "--out",
      out,
      "--base-p2p-port",
      "31303",
      "--json",
    );
    expect(result.code, result.stderr).to.equal(0);
    const doc = JSON.parse(result.stdout) as {
      dir: string;
      validators: string[];
      genesis: string;
      f: string;
      nodes: { node: string; address: string; enode: string; rpcUrl: string; config: string; key: string }[];
    };
    expect(doc.dir).to.equal(out);
    expect(doc.f).to.equal("1");
    expect(doc.genesis).to.equal(path.join(out, "genesis.json"));
    expect(doc.validators).to.have.length(4);
    expect(doc.nodes.map((n) => n.address)).to.deep.equal(doc.validators);
    expect([...doc.validators].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))).to.deep.equal(doc.validators);

    const genesis = JSON.parse(await readFile(doc.genesis, "utf8")) as ReturnType<typeof qbftGenesis>;
    expect(genesis.config.chainId).to.equal(1337);
    expect(decodeQbftExtraData(genesis.extraData).validators).to.deep.equal(doc.validators);
    expect(JSON.parse(await readFile(path.join(out, "validators.json"), "utf8"))).to.deep.equal(
      doc.validators.map((v) => v.toLowerCase()),
    );

    const staticNodes = JSON.parse(await readFile(path.join(out, "static-nodes.json"), "utf8")) as string[];
    expect(staticNodes).to.deep.equal(doc.nodes.map((n) => n.enode));
    for (const [i, node] of doc.nodes.entries()) {
      const dir = path.join(out, `node-${i + 1}`);
      expect(node.key).to.equal(path.join(dir, "key"));
      const privateKey = await readFile(node.key, "utf8");
      expect(privateKey).to.match(/^0x[0-9a-f]{64}$/);
      expect((await stat(node.key)).mode & 0o777).to.equal(0o600);
      expect(result.stdout).to.not.include(privateKey.slice(2));
      expect(new Wallet(privateKey).address).to.equal(doc.validators[i]);
      const publicKey = await readFile(path.join(dir, "key.pub"), "utf8");
      expect(`0x04${publicKey.slice(2)}`).to.equal(new SigningKey(privateKey).publicKey);
      expect(node.enode).to.equal(`enode://${publicKey.slice(2)}@127.0.0.1:${31303 + i}`);
      expect(node.rpcUrl).to.equal(`http://127.0.0.1:${8545 + i}`);
      const toml = await readFile(node.config, "utf8");
      expect(toml).to.include(`p2p-port=${31303 + i}\n`).and.include(`rpc-http-port=${8545 + i}\n`);
      expect(toml).to.include("min-gas-price=0\n").and.include('"QBFT"').and.include('rpc-http-host="127.0.0.1"');
      expect(toml).to.include(`node-private-key-file="node-${i + 1}/key"`).and.not.include(privateKey.slice(2));
      for (const [j, other] of doc.nodes.entries()) {
        expect(toml.includes(other.enode), `node-${i + 1} bootnodes`).to.equal(i !== j);
      }
    }
  });

  it("refuses fewer than one validator with one line on stderr (and, with --json, the error as JSON on stdout), writing nothing", async function () {
    const out = path.join(scratch, "none");
    const message = 'invalid --validators "0": expected an integer from 1 to 64';
    expectRefusal(await hardhat("network", "genesis", "--validators", "0", "--chain-id", "1337", "--out", out), /^error: invalid --validators "0": expected an integer from 1 to 64$/);
    const result = await hardhat("network", "genesis", "--validators", "0", "--chain-id", "1337", "--out", out, "--json");
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`error: ${message}\n`);
    expect(JSON.parse(result.stdout)).to.deep.equal({ error: { name: "UserError", args: {}, message } });
    expect(await exists(out)).to.equal(false);
  });

  it("refuses a non-empty --out unless --force, leaving its files alone", async function () {
    const out = path.join(scratch, "busy");
    await rm(out, { recursive: true, force: true });
    await mkdir(out);
    await writeFile(path.join(out, "notes.txt"), "keep me");
    const refused = await hardhat("network", "genesis", "--validators", "4", "--chain-id", "7", "--out", out);
    expectRefusal(refused, /^error: --out .* is not empty: choose an empty directory, or pass --force/);
    expect(await readdir(out)).to.deep.equal(["notes.txt"]);

    const forced = await runGenesis({ validators: "4", chainId: "7", out, force: true, json: true });
    expect((forced.json as { validators: string[] }).validators).to.have.length(4);
    expect(await readFile(path.join(out, "notes.txt"), "utf8")).to.equal("keep me");
    expect(await exists(path.join(out, "genesis.json"))).to.equal(true);
  });

  it("refuses a bad chain id, port range or host before writing anything", async function () {
    const out = path.join(scratch, "bad");
    const base = { validators: "4", chainId: "1337", out, force: false, json: true };
    const cases: [Partial<typeof base> & Record<string, string | boolean>, RegExp][] = [
      [{ chainId: "0" }, /^invalid --chain-id "0": expected a positive integer/],
      [{ chainId: "-5" }, /^invalid --chain-id "-5"/],
      [{ chainId: "1.5" }, /^invalid --chain-id "1.5"/],
      [{ chainId: "0x10" }, /^invalid --chain-id "0x10"/],
      [{ chainId: "9007199254740992" }, /^invalid --chain-id/],
      [{ validators: "four" }, /^invalid --validators "four"/],
      [{ validators: "2.5" }, /^invalid --validators "2.5"/],
      [{ baseP2pPort: "65534" }, /^invalid --base-p2p-port "65534": 4 consecutive ports/],
      [{ baseRpcPort: "30305" }, /^invalid ports: P2P ports 30303… and JSON-RPC ports 30305… overlap/],
      [{ host: "node1.example" }, /^invalid --host "node1.example": expected an IPv4 address/],
      [{ host: "10.0.0.1,10.0.0.2" }, /^invalid --host: 2 addresses for 4 validators/],
    ];
    for (const [overrides, pattern] of cases) {
      const args = { ...base, ...overrides };
      let caught: unknown;
      try {
        await runGenesis(args);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(overrides)).to.be.instanceOf(UserError);
      expect((caught as Error).message).to.match(pattern);
    }
    const missing = await runGenesis({ validators: "4", out, force: false, json: true }).catch((e: unknown) => e);
    expect((missing as Error).message).to.equal("missing --chain-id");
    expect(await exists(out)).to.equal(false);
  });

  it("warns that fewer than 4 validators tolerate no fault, and takes one host per validator", async function () {
    const out = path.join(scratch, "small");
    const result = await runGenesis({
      validators: "3",
      chainId: "99",
      out,
      host: "10.0.0.1,10.0.0.2,10.0.0.3",
      baseP2pPort: "40000",
      force: false,
      json: false,
    });
    expect(result.human).to.include("warning: 3 validators tolerate f = ⌊(N−1)/3⌋ = 0 faulty validators");
    const doc = result.json as { f: string; nodes: { enode: string }[] };
    expect(doc.f).to.equal("0");
    expect(doc.nodes.map((n) => n.enode.split("@")[1])).to.deep.equal(["10.0.0.1:40000", "10.0.0.2:40001", "10.0.0.3:40002"]);
    const four = await runGenesis({ validators: "4", chainId: "99", out: path.join(scratch, "four"), force: false, json: false });
    expect(four.human).to.not.include("warning");
  });
});
