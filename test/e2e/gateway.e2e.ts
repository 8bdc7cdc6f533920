/**
 * The gateway end to end: `npx hardhat gateway` in child processes against a real
 * `hardhat node`, with unit lists published by `batch create --publish` and
 * `batch publish`, looked up, verified, kept across a restart, replicated to a peer,
 * and read through the JSON-RPC proxy — every answer checked against the chain or
 * against the CLI's own `unit verify`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { type Server, createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

import { expect } from "chai";

import { batchIdOf, unitHashOf } from "../../sdk/codes.js";
import { medstateInterface } from "../../sdk/contracts.js";
import { type DeploymentRecord, readRecord } from "../../sdk/deployment.js";
import { UNIT_VERDICTS } from "../../sdk/enums.js";
import { type UnitTree, buildUnitTree, proofFor, verifyUnitProof } from "../../sdk/units.js";
import {
  type CliResult,
  HARDHAT_CLI,
  type LocalNode,
  ROOT,
  expectRefusal,
  freePort,
  refusedWithoutChange,
  startLocalNode,
} from "../helpers/cli.js";
import { type RunningGateway, startGateway } from "../helpers/gateway.js";

// Well-known accounts of `hardhat node` (deploy/parameters/localhost.json): 0 = regulator
// (party 1), 1 = manufacturer (party 2, the product's holder), 2 = wholesaler (party 3),
// 5 = pharmacy (party 6); 9 is enrolled as the manufacturer's QA to release batches.
const MAKER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const WHOLESALER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const MAKER_SIGNED = "signed by 0x7099…79C8 (admin of party 2, Qiantang Pharmaceutical Co., Ltd.)";
const GTIN = "06901234567892";
const PRODUCT = "Amoxicillin Capsules 0.25g";
const EXPIRY = "2028-06-30";
const MANUFACTURED = "2026-10-01";

/** A box's code as printed under the symbol, with parentheses. */
const printed = (serial: string, lot: string) => `(01)${GTIN}(21)${serial}(10)${lot}(17)280630`;
/** The same element string as a scanner reads it: no parentheses, FNC1 (GS, 0x1d) after each variable-length field. */
const scanned = (serial: string, lot: string) => `01${GTIN}21${serial}\u001d10${lot}\u001d17280630`;
const canonical = (serial: string) => `01${GTIN}21${serial}`;
/** A 32-byte id as human output shortens it. */
const short = (id: string) => `${id.slice(0, 6)}…${id.slice(-4)}`;

/** The serials of each lot this suite creates. */
const LOTS = {
  GW1: ["A0", "A1", "A2", "A3"],
  GW2: ["B0", "B1"],
  GW3: ["C0", "C1", "C2"],
  GW4: ["D0", "D1"],
  GW5: ["E0"],
} as const;
type Lot = keyof typeof LOTS;

type Json = Record<string, unknown>;

/** GET (or POST with `body`) a gateway route; the status and the parsed JSON body. */
async function request(url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(
    url,
    body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  return { status: response.status, body: (await response.json()) as Json };
}

/** Calls `check` until it returns a value other than undefined, or fails after `ms`. */
async function within<T>(ms: number, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `npx hardhat <args>` in a fresh process (no `--network` added), to the end. */
function runCold(node: LocalNode, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, ...args], { cwd: ROOT, env: node.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A gateway started without `--json`, as an operator starts it: its output and its exit. */
interface HumanGateway {
  child: ChildProcess;
  /** Resolves with the first `n` lines of stdout. */
  lines(n: number): Promise<string[]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startHumanGateway(node: LocalNode, args: string[]): HumanGateway {
  const child = spawn(process.execPath, [HARDHAT_CLI, "gateway", "--network", "localhost", ...args], {
    cwd: ROOT,
    env: node.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    exited,
    lines: (n) =>
      within(60_000, `the gateway's first ${n} lines (${stdout}${stderr})`, async () => {
        if (child.exitCode !== null) throw new Error(`the gateway exited ${child.exitCode}: ${stdout}${stderr}`);
        const lines = stdout.split("\n");
        return lines.length > n ? lines.slice(0, n) : undefined;
      }),
  };
}

/** An HTTP server on 127.0.0.1 that answers every request with `answer()`. */
async function serveHttp(answer: () => { status: number; type: string; body: string }): Promise<{ url: string; server: Server }> {
  const server = createHttpServer((_request, response) => {
    const { status, type, body } = answer();
    response.writeHead(status, { "content-type": type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describe("the gateway against a hardhat node: publishing, looking up, verifying and replicating unit lists @e2e", function () {
  this.timeout(120_000);
  let node: LocalNode;
  let dir: string;
  let record: DeploymentRecord;
  /** The first gateway (with --json) and its data directory. */
  let first: RunningGateway;
  let dataA: string;
  /** The gateway in use: the first, then the one started again on its data directory. */
  let gateway: RunningGateway;
  let peer: RunningGateway | undefined;
  let human: HumanGateway;
  let humanData: string;
  /** `gateway --network default`, started with the rest and awaited by its test. */
  let inProcess: Promise<CliResult>;
  const trees = new Map<Lot, UnitTree>();
  const files = new Map<Lot, string>();

  const unitsFile = async (lot: Lot) => {
    const file = path.join(dir, `${lot}.txt`);
    await writeFile(file, `${LOTS[lot].map((s) => printed(s, lot)).join("\n")}\n`);
    files.set(lot, file);
    trees.set(lot, (await buildUnitTree(LOTS[lot].map((s) => canonical(s)), { order: "index" })).tree);
    return file;
  };
  const createArgs = (lot: Lot, ...extra: string[]) => [
    "batch", "create", "--gtin", GTIN, "--lot", lot, "--manufactured", MANUFACTURED, "--expiry", EXPIRY,
    "--quantity", String(LOTS[lot].length), "--units", files.get(lot)!, ...extra, "--from", "1",
  ];
  const rootOf = (lot: Lot) => trees.get(lot)!.root;
  /** The batch's units root, as the chain holds it. */
  const chainRoot = async (lot: Lot): Promise<string> => {
    const iface = medstateInterface();
    const data = iface.encodeFunctionData("getBatch", [batchIdOf(GTIN, lot)]);
    const result = await node.rpc<string>("eth_call", [{ to: record.contracts.BatchRegistry, data }, "latest"]);
    return String(iface.decodeFunctionResult("getBatch", result)[0].unitsRoot);
  };
  /** What `GET /v1/units/:code` must answer for unit `index` of `lot`. */
  const located = (lot: Lot, index: number) => ({
    code: canonical(LOTS[lot][index]),
    batchId: batchIdOf(GTIN, lot),
    root: rootOf(lot),
    index,
    unitHash: unitHashOf(canonical(LOTS[lot][index])),
    proof: proofFor(trees.get(lot)!, index).proof,
  });
  const unitList = (lot: Lot) => ({ root: rootOf(lot), batchId: batchIdOf(GTIN, lot), units: LOTS[lot].map((s) => unitHashOf(canonical(s))) });
  const get = (base: RunningGateway, route: string) => request(`${base.url}${route}`);

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "medstate-gateway-e2e-"));
    dataA = path.join(dir, "gateway-a");
    humanData = path.join(dir, "gateway-human");
    node = await startLocalNode();
    // The in-process network needs no deployment: its refusal is awaited by its own test.
    inProcess = runCold(node, ["gateway", "--network", "default", "--port", "0", "--data", path.join(dir, "in-process")]);
    await node.json("system", "deploy");
    record = (await readRecord(node.env.MEDSTATE_IGNITION_DIR!, 31337n))!;
    human = startHumanGateway(node, ["--port", "0", "--data", humanData, "--rate-limit", "5", "--peer", "http://127.0.0.1:9/"]);
    [first] = await Promise.all([
      startGateway(node, { data: dataA }),
      (async () => {
        await node.json("product", "register", "--gtin", GTIN, "--name", PRODUCT, "--approval-no", "国药准字H20230001", "--from", "1");
        await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "0");
        await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
        for (const lot of Object.keys(LOTS) as Lot[]) await unitsFile(lot);
      })(),
    ]);
    gateway = first;
  });

  after(async function () {
    if (human !== undefined && human.child.exitCode === null && human.child.signalCode === null) human.child.kill("SIGTERM");
    await Promise.all([peer?.stop(), gateway?.stop(), first?.stop()]);
    await inProcess?.catch(() => undefined);
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  describe("the gateway task", function () {
    it("prints where it listens and what it serves as one JSON line, and /v1/info says the same", async function () {
      expect(first.url).to.match(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      expect(first.started).to.deep.equal({
        listening: first.url,
        network: "localhost",
        chainId: "31337",
        contracts: record.contracts,
        data: dataA,
        lists: 0,
        peers: [],
        rateLimit: null,
      });
      expect(first.output()).to.deep.equal({ stdout: `${JSON.stringify(first.started)}\n`, stderr: "" });
      const block = BigInt(await node.rpc<string>("eth_blockNumber")).toString();
      expect(await get(first, "/v1/info")).to.deep.equal({
        status: 200,
        body: { chainId: "31337", block, contracts: record.contracts, lists: 0 },
      });
    });

    it("says the same in words without --json, and stops on SIGINT with exit code 0 and a last line", async function () {
      const lines = await human.lines(4);
      const url = /^MedState gateway listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(lines[0])?.[1];
      expect(url, lines[0]).to.be.a("string");
      const { BatchRegistry, ConsortiumRegistry } = record.contracts;
      expect(lines).to.deep.equal([
        `MedState gateway listening on ${url} — the verification page at ${url}/, the API under ${url}/v1/`,
        `serving chain 31337 (network localhost): BatchRegistry ${BatchRegistry}, ConsortiumRegistry ${ConsortiumRegistry}`,
        `0 unit lists held; peers: http://127.0.0.1:9; rate limit: 5 requests a minute per address; store: ${path.join(humanData, "gateway.sqlite")}`,
        "stop with Ctrl-C",
      ]);
      expect((await request(`${url}/v1/info`)).body.chainId).to.equal("31337");
      human.child.kill("SIGINT");
      const exit = await human.exited;
      expect(exit).to.deep.equal({
        code: 0,
        signal: null,
        stdout: `${lines.join("\n")}\ngateway stopped (SIGINT) with 0 unit lists held; store closed\n`,
        stderr: "",
      });
    });

    it("refuses a port in use, a bad --port, --rate-limit or --peer in one line on stderr, listening nowhere", async function () {
      const held = createTcpServer();
      await new Promise<void>((resolve) => held.listen(0, "127.0.0.1", resolve));
      const port = (held.address() as { port: number }).port;
      try {
        const data = path.join(dir, "refused");
        expectRefusal(
          await node.run("gateway", "--port", String(port), "--data", data),
          new RegExp(`^error: port ${port} on 127\\.0\\.0\\.1 is in use: choose another with --port$`),
        );
        expectRefusal(
          await node.run("gateway", "--port", "65536", "--data", data),
          /^error: invalid --port "65536": expected a port number \(0–65535\)$/,
        );
        expectRefusal(
          await node.run("gateway", "--port", "0", "--rate-limit", "fast", "--data", data),
          /^error: invalid --rate-limit "fast": expected requests a minute per client address \(0: no limit\)$/,
        );
        expectRefusal(
          await node.run("gateway", "--port", "0", "--peer", "ftp://127.0.0.1:9", "--data", data),
          /^error: invalid --peer "ftp:\/\/127\.0\.0\.1:9": expected a gateway's URL, e\.g\. http:\/\/10\.0\.0\.5:8080$/,
        );
        expectRefusal(
          await node.run("gateway", "--port", "0", "--peer", "peer-a", "--data", data),
          /^error: invalid --peer "peer-a": expected a gateway's URL, e\.g\. http:\/\/10\.0\.0\.5:8080$/,
        );
      } finally {
        await new Promise((resolve) => held.close(resolve));
      }
    });

    it("refuses the in-process network: a gateway needs a chain that outlives the command", async function () {
      expectRefusal(
        await inProcess,
        /^error: the gateway needs a chain that outlives this command, not the in-process network default: start `npx hardhat node` and pass --network localhost$/,
      );
    });
  });

  describe("batch create --publish", function () {
    it("creates the batch and publishes its unit list, and says so in its JSON", async function () {
      const created = await node.json<Json>(...createArgs("GW1", "--publish", first.url));
      const batchId = batchIdOf(GTIN, "GW1");
      expect(created).to.include({ batchId, unitsRoot: rootOf("GW1"), unitCount: "4" });
      expect(created.published).to.deep.equal({
        gateway: first.url,
        root: rootOf("GW1"),
        batchId,
        units: 4,
        party: "2",
        signer: MAKER,
        stored: true,
      });
      expect(await chainRoot("GW1")).to.equal(rootOf("GW1"));
    });

    it("says in words that the list was published, and who signed it", async function () {
      const result = await node.run(...createArgs("GW2", "--publish", first.url));
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.equal("");
      const id = short(batchIdOf(GTIN, "GW2"));
      const root = short(rootOf("GW2"));
      expect(result.stdout).to.equal(
        `batch ${id} created (GTIN ${GTIN}, lot GW2): 2 in production, 2 units committed as ${root}; ` +
          `unit list published to ${first.url}: 2 units of batch ${id} (root ${root}) — ${MAKER_SIGNED}\n`,
      );
    });

    it("lets the gateway find every unit by its printed, scanned or canonical code, with a proof of the chain's root", async function () {
      const root = await chainRoot("GW1");
      const forms = await Promise.all(
        LOTS.GW1.flatMap((serial, index) =>
          [printed(serial, "GW1"), scanned(serial, "GW1"), canonical(serial)].map(async (code) => ({
            index,
            answer: await get(first, `/v1/units/${encodeURIComponent(code)}`),
          })),
        ),
      );
      expect(forms).to.have.length(12);
      for (const { index, answer } of forms) {
        expect(answer).to.deep.equal({ status: 200, body: located("GW1", index) });
        const body = answer.body as { index: number; unitHash: string; proof: string[] };
        expect(verifyUnitProof(root, body), `unit ${index}`).to.equal(true);
      }
      // A proof of another unit's place does not verify.
      expect(verifyUnitProof(root, { ...located("GW1", 1), index: 2 })).to.equal(false);
    });

    it("serves the unit list by its root: exactly the unit hashes, in index order", async function () {
      expect(await get(first, `/v1/unit-lists/${rootOf("GW1")}`)).to.deep.equal({ status: 200, body: unitList("GW1") });
      expect(await get(first, `/v1/unit-lists/${rootOf("GW2")}`)).to.deep.equal({ status: 200, body: unitList("GW2") });
      expect(await get(first, `/v1/unit-lists/${rootOf("GW3")}`)).to.deep.equal({
        status: 404,
        body: { error: "unknown_list", message: `this gateway holds no unit list with root ${rootOf("GW3")}` },
      });
      expect((await get(first, "/v1/info")).body.lists).to.equal(2);
    });

    it("refuses before creating the batch when nothing listens at the URL", async function () {
      const port = await freePort();
      await refusedWithoutChange(
        node,
        createArgs("GW3", "--publish", `http://127.0.0.1:${port}`),
        new RegExp(`^error: cannot reach the gateway at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): is \`npx hardhat gateway\` running there\\?$`),
      );
    });

    it("refuses before creating the batch when the URL serves another deployment, or is no gateway", async function () {
      const other = "0x000000000000000000000000000000000000dEaD";
      let answer = { status: 200, type: "application/json", body: JSON.stringify({ chainId: "31337", block: "1", contracts: { ...record.contracts, BatchRegistry: other }, lists: 0 }) };
      const fake = await serveHttp(() => answer);
      try {
        await refusedWithoutChange(
          node,
          createArgs("GW3", "--publish", fake.url),
          new RegExp(
            `^error: the gateway at ${fake.url} serves chain 31337 \\(BatchRegistry ${other}\\), ` +
              `not this deployment \\(chain 31337, BatchRegistry ${record.contracts.BatchRegistry}\\)$`,
          ),
        );
        answer = { status: 200, type: "text/html", body: "<html><body>It works!</body></html>" };
        await refusedWithoutChange(
          node,
          createArgs("GW3", "--publish", `${fake.url}/medstate`),
          new RegExp(`^error: ${fake.url} answered 200 with something that is not JSON: is it a MedState gateway\\?$`),
        );
        answer = { status: 404, type: "application/json", body: JSON.stringify({ message: "Route GET:/v1/info not found" }) };
        await refusedWithoutChange(
          node,
          createArgs("GW3", "--publish", fake.url),
          new RegExp(`^error: ${fake.url} is not a MedState gateway \\(GET /v1/info answered 404\\)$`),
        );
      } finally {
        await new Promise((resolve) => fake.server.close(resolve));
      }
    });
  });

  describe("batch publish", function () {
    const publish = (from: string) => ["batch", "publish", "--batch", `${GTIN}/GW3`, "--gateway", first.url, "--from", from];

    it("refuses a member of another party with the gateway's not_maker_member message in one line, storing nothing", async function () {
      await node.json(...createArgs("GW3"));
      await refusedWithoutChange(
        node,
        publish("2"),
        new RegExp(
          `^error: the gateway at ${first.url} refused the unit list \\(403 not_maker_member\\): ` +
            `${WHOLESALER} is a member of party 3; batch ${batchIdOf(GTIN, "GW3")} was made by party 2$`,
        ),
      );
      // Once the gateway's head is the chain's, look a unit up before its list arrives.
      const head = BigInt(await node.rpc<string>("eth_blockNumber")).toString();
      await within(5_000, "the gateway at the head", async () => ((await get(first, "/v1/info")).body.block === head ? true : undefined));
      expect(await get(first, `/v1/units/${encodeURIComponent(printed("C0", "GW3"))}`)).to.deep.equal({
        status: 404,
        body: { error: "unknown_unit", message: `no unit list this gateway holds or can pull has the unit ${canonical("C0")}` },
      });
      expect((await get(first, "/v1/info")).body.lists).to.equal(2);
    });

    it("publishes the list of a batch created without --publish, signed by a member of its maker", async function () {
      // Start at the top of a second, so that this run and the next sign within one second, as an
      // operator who runs it again at once does (a publication's issuedAt is in seconds).
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      expect(await node.json(...publish("1"))).to.deep.equal({
        gateway: first.url,
        root: rootOf("GW3"),
        batchId: batchIdOf(GTIN, "GW3"),
        units: 3,
        party: "2",
        signer: MAKER,
        stored: true,
      });
      expect(await get(first, `/v1/units/${encodeURIComponent(printed("C2", "GW3"))}`)).to.deep.equal({ status: 200, body: located("GW3", 2) });
      expect((await get(first, "/v1/info")).body.lists).to.equal(3);
      // C0 was looked up (404) before the list arrived, at this same block: it is found now too.
      expect((await get(first, "/v1/info")).body.block).to.equal(BigInt(await node.rpc<string>("eth_blockNumber")).toString());
      expect(await get(first, `/v1/units/${encodeURIComponent(printed("C0", "GW3"))}`)).to.deep.equal({ status: 200, body: located("GW3", 0) });
    });

    it("says on a second run that the gateway already held the list", async function () {
      const again = await node.run(...publish("1"));
      expect(again.stderr).to.equal("");
      expect(again.stdout).to.equal(
        `${first.url} already held the unit list of batch ${short(batchIdOf(GTIN, "GW3"))} (3 units, root ${short(rootOf("GW3"))}) — ${MAKER_SIGNED}\n`,
      );
      expect(again.code).to.equal(0);
    });
  });

  describe("a restart", function () {
    it("stops on SIGTERM with exit code 0 and a last JSON line, its store in WAL mode, and starts again with every list", async function () {
      const wal = path.join(dataA, "gateway.sqlite-wal");
      expect(existsSync(wal), wal).to.equal(true);
      const stopped = await first.stop("SIGTERM");
      expect({ code: stopped.code, signal: stopped.signal, stderr: stopped.stderr }).to.deep.equal({ code: 0, signal: null, stderr: "" });
      // The start line, then the task's closing document (pretty-printed, as every task's --json).
      const [startLine, ...rest] = stopped.stdout.split("\n");
      expect(startLine).to.equal(JSON.stringify(first.started));
      // Its `lists` repeats the count at start (0) although the store now holds 3: left open here.
      const { lists: _listsAtStop, ...closing } = JSON.parse(rest.join("\n")) as Json;
      const { lists: _listsAtStart, ...started } = first.started;
      expect(closing).to.deep.equal({ stopped: "SIGTERM", ...started });

      const db = new DatabaseSync(path.join(dataA, "gateway.sqlite"), { readOnly: true });
      try {
        expect(db.prepare("PRAGMA journal_mode").get()).to.deep.equal({ journal_mode: "wal" });
        expect(db.prepare("SELECT count(*) AS n FROM lists").get()).to.deep.equal({ n: 3 });
      } finally {
        db.close();
      }

      gateway = await startGateway(node, { data: dataA });
      expect(gateway.started).to.include({ data: dataA, lists: 3 });
      expect(gateway.url).to.not.equal(first.url);
      expect((await get(gateway, "/v1/info")).body.lists).to.equal(3);
      expect(await get(gateway, `/v1/units/${encodeURIComponent(scanned("A3", "GW1"))}`)).to.deep.equal({ status: 200, body: located("GW1", 3) });
      expect(await get(gateway, `/v1/unit-lists/${rootOf("GW2")}`)).to.deep.equal({ status: 200, body: unitList("GW2") });
    });
  });

  describe("replication", function () {
    it("starts a peer with an empty store that pulls the lists its peer holds, each checked against the chain", async function () {
      peer = await startGateway(node, { peers: [gateway.url] });
      expect(peer.started).to.include({ lists: 0 });
      expect(peer.started.peers).to.deep.equal([gateway.url]);
      // Its first pass over the chain's batches pulls the three lists the first gateway holds.
      await within(10_000, "the peer's first pass", async () => ((await get(peer!, "/v1/info")).body.lists === 3 ? true : undefined));
      for (const lot of ["GW1", "GW2", "GW3"] as const) {
        expect(await get(peer, `/v1/unit-lists/${rootOf(lot)}`)).to.deep.equal({ status: 200, body: unitList(lot) });
      }
    });

    it("pulls the list of a batch published only to its peer when one of its units is looked up, and verifies the unit", async function () {
      // Created after the peer's first pass, published to the first gateway only: the peer
      // lacks the list until a lookup names its batch (its next pass is seconds away).
      // Both gateways read the head just before (as any request does): a box is checked moments after its batch was made.
      await Promise.all([get(peer!, "/v1/info"), get(gateway, "/v1/info")]);
      await node.json(...createArgs("GW4", "--publish", gateway.url));
      expect((await get(peer!, `/v1/unit-lists/${rootOf("GW4")}`)).status).to.equal(404);
      expect(await get(peer!, `/v1/units/${encodeURIComponent(printed("D1", "GW4"))}`)).to.deep.equal({ status: 200, body: located("GW4", 1) });
      expect(await get(peer!, `/v1/unit-lists/${rootOf("GW4")}`)).to.deep.equal({ status: 200, body: unitList("GW4") });
      const [onPeer, onFirst] = await Promise.all([
        get(peer!, `/v1/verify/${encodeURIComponent(printed("D0", "GW4"))}`),
        get(gateway, `/v1/verify/${encodeURIComponent(printed("D0", "GW4"))}`),
      ]);
      expect([onPeer.status, onFirst.status], JSON.stringify(onPeer.body)).to.deep.equal([200, 200]);
      expect(onPeer.body).to.include({ status: "unreleased", verdict: "unreleased", code: canonical("D0"), batchId: batchIdOf(GTIN, "GW4"), index: "0" });
      expect({ ...onPeer.body, block: "" }).to.deep.equal({ ...onFirst.body, block: "" });
    });

    it("pulls the list of a batch created later and published only to its peer by itself, in the background", async function () {
      const { published } = await node.json<{ published: Json }>(...createArgs("GW5", "--publish", gateway.url));
      expect(published).to.include({ stored: true });
      const pulled = await within(12_000, "GW5's list on the peer", async () => {
        const answer = await get(peer!, `/v1/unit-lists/${rootOf("GW5")}`);
        return answer.status === 200 ? answer.body : undefined;
      });
      expect(pulled).to.deep.equal(unitList("GW5"));
    });
  });

  describe("GET /v1/verify/:code", function () {
    /** The fields `unit verify --json` and the gateway share. */
    const shared = (answer: Json) => {
      const { status, verdict, code, batchId, index, party, effectiveState } = answer;
      return { status, verdict, code, batchId, index, party, effectiveState };
    };
    const both = async (code: string) => {
      const [cli, api] = await Promise.all([
        node.json<Json>("unit", "verify", "--code", code),
        get(gateway, `/v1/verify/${encodeURIComponent(code)}`),
      ]);
      expect(api.status).to.equal(200);
      return { cli, api: api.body };
    };

    it("agrees with `unit verify --json` for a genuine and a dispensed unit, with the product, lot, dates and history", async function () {
      const batchId = batchIdOf(GTIN, "GW1");
      await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
      await node.json("batch", "release", "--batch", batchId, "--from", "9");
      const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "4", "--from", "1");
      await node.json("batch", "receive", "--shipment", shipmentId, "--from", "5");
      await node.json("unit", "dispense", "--code", printed("A1", "GW1"), "--from", "5");
      const head = BigInt(await node.rpc<string>("eth_blockNumber")).toString();

      const genuine = await within(5_000, "the gateway at the head", async () => {
        const answer = await both(printed("A0", "GW1"));
        return answer.api.block === head ? answer : undefined;
      });
      expect(shared(genuine.api)).to.deep.equal(shared(genuine.cli));
      expect(shared(genuine.api)).to.deep.equal({
        status: "genuine",
        verdict: "genuine",
        code: canonical("A0"),
        batchId,
        index: "0",
        party: null,
        effectiveState: "Marketed",
      });
      const { history, ...rest } = genuine.api as Json & { history: Json[] };
      expect(rest).to.deep.include({
        product: { gtin: GTIN, name: PRODUCT, holder: "2", holderName: "Qiantang Pharmaceutical Co., Ltd." },
        lot: "GW1",
        manufactured: MANUFACTURED,
        expiry: EXPIRY,
        recall: null,
      });
      expect(history.map(({ event, scope }) => ({ event, scope }))).to.deep.equal([
        { event: "created", scope: "batch" },
        { event: "released", scope: "batch" },
      ]);
      for (const entry of history) {
        expect(entry.at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        expect(Number(entry.block)).to.be.within(1, Number(head));
      }

      const dispensed = await both(scanned("A1", "GW1"));
      expect(shared(dispensed.api)).to.deep.equal(shared(dispensed.cli));
      expect(shared(dispensed.api)).to.deep.equal({
        status: "dispensed",
        verdict: "dispensed",
        code: canonical("A1"),
        batchId,
        index: "1",
        party: "6",
        effectiveState: "Marketed",
      });
    });

    it("says a unit of a stopped batch is stopped within the head's age, as `unit verify` does", async function () {
      const code = printed("B1", "GW2");
      const before = await both(code);
      expect(shared(before.api)).to.deep.equal(shared(before.cli));
      expect(before.api).to.include({ status: "unreleased", verdict: "unreleased", effectiveState: "Marketed" });

      await node.json("state", "stop", "--batch", `${GTIN}/GW2`, "--reason", "label misprint", "--from", "0");
      const started = Date.now();
      const stopped = await within(5_000, "the stop on the gateway", async () => {
        const answer = await get(gateway, `/v1/verify/${encodeURIComponent(code)}`);
        return answer.body.status === "stopped" ? answer.body : undefined;
      });
      expect(Date.now() - started).to.be.below(5_000);
      const cli = await node.json<Json>("unit", "verify", "--code", code);
      expect(shared(stopped)).to.deep.equal(shared(cli));
      expect(shared(stopped)).to.deep.equal({
        status: "stopped",
        verdict: "unreleased",
        code: canonical("B1"),
        batchId: batchIdOf(GTIN, "GW2"),
        index: "1",
        party: null,
        effectiveState: "EmergencyStop",
      });
      const history = (stopped.history as Json[]).map(({ event, state, from, reason }) => ({ event, state, from, reason }));
      expect(history).to.deep.equal([
        { event: "created", state: undefined, from: undefined, reason: undefined },
        { event: "state", state: "EmergencyStop", from: "Marketed", reason: "label misprint" },
      ]);
    });

    it("says an invented code is unknown, as `unit verify` does", async function () {
      const code = printed("FAKE9", "GW1");
      const { cli, api } = await both(code);
      expect({ status: api.status, batchId: api.batchId, effectiveState: api.effectiveState }).to.deep.equal({
        status: cli.status,
        batchId: cli.batchId,
        effectiveState: cli.effectiveState,
      });
      expect(api).to.deep.include({
        status: "unknown",
        verdict: null,
        code: canonical("FAKE9"),
        batchId: null,
        index: null,
        party: null,
        effectiveState: null,
        product: null,
        history: [],
      });
    });
  });

  describe("POST /v1/rpc", function () {
    it("answers an eth_call of verify exactly as the node does, and refuses a method outside the allow-list", async function () {
      const iface = medstateInterface();
      const unit = located("GW1", 0);
      const data = iface.encodeFunctionData("verify", [{ batchId: unit.batchId, index: unit.index, unitHash: unit.unitHash, proof: unit.proof }]);
      const call = { to: record.contracts.BatchRegistry, data };
      const [proxied, direct] = await Promise.all([
        request(`${gateway.url}/v1/rpc`, { jsonrpc: "2.0", id: 7, method: "eth_call", params: [call, "latest"] }),
        node.rpc<string>("eth_call", [call, "latest"]),
      ]);
      expect(proxied).to.deep.equal({ status: 200, body: { jsonrpc: "2.0", id: 7, result: direct } });
      const [verdict, party] = iface.decodeFunctionResult("verify", direct);
      expect([UNIT_VERDICTS[Number(verdict)], party]).to.deep.equal(["genuine", 0n]);

      expect(await request(`${gateway.url}/v1/rpc`, { jsonrpc: "2.0", id: 8, method: "eth_sendTransaction", params: [{ ...call, from: MAKER }] })).to.deep.equal({
        status: 403,
        body: {
          error: "method_not_allowed",
          message: "eth_sendTransaction is not allowed here: this proxy answers only eth_chainId, eth_blockNumber, eth_call",
        },
      });
      expect((await request(`${gateway.url}/v1/rpc`, { jsonrpc: "2.0", id: 9, method: "eth_call", params: [{ ...call, to: MAKER }] })).body).to.include({
        error: "target_not_allowed",
      });
    });
  });
});
