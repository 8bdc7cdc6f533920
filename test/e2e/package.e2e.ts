/**
 * The package as an integrator gets it: `npm pack` (which builds it), a fresh consumer
 * project installing the tarball from disk and ethers, viem and TypeScript from the
 * registry, a consumer program that type-checks under `strict` with both bindings, and
 * the same program run against a `hardhat node` with MedState deployed.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { type CliResult, type LocalNode, ROOT, startLocalNode } from "../helpers/cli.js";
import { registerProduct } from "../helpers/lifecycle.js";

// Well-known accounts of `hardhat node` (mnemonic "test … junk"): 1 is the manufacturer's
// admin (party 2), 2 the wholesaler's (party 3); 9 becomes the manufacturer's QA, 10 a
// cold-chain logger (device member of the wholesaler), 11 an IoT gateway (no member).
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const DEVICE = "0xBcd4042DE499D14e55001CcbB24a551F3b954096";
const DEVICE_KEY = "0xf214f2b2cd398c806f84e317254e0f0b801d0643303237d97a22a48e01628897";
const GATEWAY_KEY = "0x701b615bbdfb9de65240bc28bd21bbc0d996645a3dd57e7b12bc2bdf6f192c82";
const GTIN = "06901234567892";
const LOT = "PKG26A";

/** Runs a command (no shell), collecting its output. */
function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function expectSuccess(what: string, result: CliResult): void {
  expect(result.code, `${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`).to.equal(0);
}

/**
 * The environment for npm: without the `npm_*` variables of an enclosing `npm run`
 * (its prefix and package would leak into the nested commands), but the user's cache,
 * registry and config.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || keep.has(k.toLowerCase())));
}
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

// ==== THE CONSUMER PROGRAM (the README's "Integrating" examples) ====

const VIEM_EXAMPLE = `import { createPublicClient, createWalletClient, defineChain, http, parseSignature, signatureToCompactSignature, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { iCollaborationEngineAbi, iQualityEngineAbi } from "medstate/abi";
import { NO_HUMIDITY, Point, READING_TYPES, Result, graphFrom } from "medstate";
// The address book of the chain you talk to (here: a local hardhat node, chain 31337).
import record from "medstate/deployments/chain-31337" with { type: "json" };

const rpcUrl = process.env.MEDSTATE_RPC_URL ?? "http://127.0.0.1:8545";
const batchId = process.env.MEDSTATE_BATCH as Hex;
// Every MedState engine runs at the BatchRegistry proxy's address.
const batchRegistry = record.contracts.BatchRegistry as Address;
const chain = defineChain({
  id: Number(record.chainId),
  name: "MedState",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
});
const client = createPublicClient({ chain, transport: http() });

// 1. A batch's effective state (its own state, or its product's if that halts it).
async function effectiveState(): Promise<string> {
  const [subject, graph] = await Promise.all([
    client.readContract({ address: batchRegistry, abi: iCollaborationEngineAbi, functionName: "subjectRecord", args: [batchId] }),
    client.readContract({ address: batchRegistry, abi: iCollaborationEngineAbi, functionName: "stateGraph" }),
  ]);
  return graphFrom(graph)[subject.effectiveState].name;
}
const before = await effectiveState();

// 2. A cold-chain logger (a device member) signs a reading (EIP-712, domain "MedState" v1
//    at the BatchRegistry); a gateway that holds no role submits it.
const device = privateKeyToAccount(process.env.MEDSTATE_DEVICE_KEY as Hex);
const gateway = createWalletClient({ chain, transport: http(), account: privateKeyToAccount(process.env.MEDSTATE_GATEWAY_KEY as Hex) });
const nonce = await client.readContract({ address: batchRegistry, abi: iQualityEngineAbi, functionName: "nonces", args: [device.address] });
const reading = { point: Point.Storage, result: Result.Normal, temperature: 520, humidity: NO_HUMIDITY }; // 5.20 °C
const deadline = Math.floor(Date.now() / 1000) + 3600;
const signature = await device.signTypedData({
  domain: { name: "MedState", version: "1", chainId: chain.id, verifyingContract: batchRegistry },
  types: READING_TYPES,
  primaryType: "Reading",
  message: { subject: batchId, ...reading, nonce, deadline },
});
const { r, yParityAndS } = signatureToCompactSignature(parseSignature(signature)); // EIP-2098
const hash = await gateway.writeContract({
  address: batchRegistry,
  abi: iQualityEngineAbi,
  functionName: "observeSignedReadings",
  args: [batchId, device.address, [{ reading, deadline, r, vs: yParityAndS }]],
});
const receipt = await client.waitForTransactionReceipt({ hash });

console.log(JSON.stringify({ before, status: receipt.status, nonce: nonce.toString(), after: await effectiveState() }));
`;

const ETHERS_EXAMPLE = `import { JsonRpcProvider, Signature, Wallet } from "ethers";
import { IBatchRegistry__factory, ICollaborationEngine__factory, IQualityEngine__factory } from "medstate/ethers";
import { NO_HUMIDITY, Point, READING_TYPES, Result, type DeploymentRecord, graphFrom, observationDomain } from "medstate";
// The address book of the chain you talk to (here: a local hardhat node, chain 31337).
import book from "medstate/deployments/chain-31337" with { type: "json" };

const record: DeploymentRecord = book;
const provider = new JsonRpcProvider(process.env.MEDSTATE_RPC_URL ?? "http://127.0.0.1:8545");
const batchId = process.env.MEDSTATE_BATCH!;
// Every MedState engine runs at the BatchRegistry proxy's address.
const batchRegistry = record.contracts.BatchRegistry;

// 1. A batch's effective state (its own state, or its product's if that halts it).
const batches = IBatchRegistry__factory.connect(batchRegistry, provider);
const states = ICollaborationEngine__factory.connect(batchRegistry, provider);
const graph = graphFrom(await states.stateGraph());
async function effectiveState(): Promise<string> {
  const subject = await states.subjectRecord(batchId);
  return graph[Number(subject.effectiveState)].name;
}
const batch = await batches.getBatch(batchId);
const before = await effectiveState();

// 2. A cold-chain logger (a device member) signs a reading (EIP-712, domain "MedState" v1
//    at the BatchRegistry); a gateway that holds no role submits it.
const device = new Wallet(process.env.MEDSTATE_DEVICE_KEY!);
const gateway = new Wallet(process.env.MEDSTATE_GATEWAY_KEY!, provider);
const engine = IQualityEngine__factory.connect(batchRegistry, gateway);
const { chainId } = await provider.getNetwork();
const nonce = await engine.nonces(device.address);
const reading = { point: Point.Storage, result: Result.Normal, temperature: 950, humidity: NO_HUMIDITY }; // 9.50 °C
const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
const signature = Signature.from(
  await device.signTypedData(observationDomain(chainId, batchRegistry), READING_TYPES, { subject: batchId, ...reading, nonce, deadline }),
);
const tx = await engine.observeSignedReadings(batchId, device.address, [{ reading, deadline, r: signature.r, vs: signature.yParityAndS }]);
const receipt = await tx.wait();

console.log(JSON.stringify({
  gtin: batch.gtin.toString(),
  quantity: batch.quantity.toString(),
  before,
  status: receipt?.status,
  nonce: nonce.toString(),
  after: await effectiveState(),
}));
`;

/** Compile-time checks: the viem ABIs are \`as const\` (the types follow the ABI), the typechain types are typed. */
const TYPE_CHECKS = `import type { ContractFunctionArgs, ContractFunctionName, ContractFunctionReturnType } from "viem";
import { batchRegistryAbi, iBatchRegistryAbi, iCollaborationEngineAbi, iSuspectProductAbi, qualityEngineAbi } from "medstate/abi";
import type { ICollaborationEngine } from "medstate/ethers";
import { batchIdOf, type DeploymentRecord } from "medstate";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined { return undefined; }

type SubjectRecord = ContractFunctionReturnType<typeof iCollaborationEngineAbi, "view", "subjectRecord">;
assertType<Equal<SubjectRecord["effectiveState"], number>>();
assertType<Equal<SubjectRecord["observations"], number>>();
assertType<Equal<SubjectRecord["recallDeadline"], number>>();
assertType<Equal<ContractFunctionArgs<typeof iCollaborationEngineAbi, "view", "subjectRecord">, readonly [\`0x\${string}\`]>>();
type Batch = ContractFunctionReturnType<typeof iBatchRegistryAbi, "view", "getBatch">;
assertType<Equal<Batch["gtin"], bigint>>();
assertType<Equal<Batch["unitsRoot"], \`0x\${string}\`>>();
assertType<Equal<"reportSuspect" extends ContractFunctionName<typeof iSuspectProductAbi> ? true : false, true>>();
assertType<Equal<"observeSignedReadings" extends ContractFunctionName<typeof qualityEngineAbi, "nonpayable"> ? true : false, true>>();
// @ts-expect-error: a function the ABI does not have is a type error, which only an \`as const\` ABI gives.
assertType<Equal<"noSuchFunction" extends ContractFunctionName<typeof batchRegistryAbi> ? true : false, true>>();

export type EffectiveState = Awaited<ReturnType<ICollaborationEngine["subjectRecord"]>>["effectiveState"];
assertType<Equal<EffectiveState, bigint>>();
export const id: string = batchIdOf("${GTIN}", "${LOT}");
export type Contracts = DeploymentRecord["contracts"];
`;

const TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["es2023", "dom"],
    rootDir: "src",
    types: ["node"],
    strict: true,
    resolveJsonModule: true,
    skipLibCheck: false,
    noEmitOnError: true,
    outDir: "out",
  },
  include: ["src"],
};

describe("the npm package in a consumer project, against a hardhat node @e2e", function () {
  this.timeout(600_000);
  let work: string;
  let consumer: string;
  let tarball: string;
  let files: string[];
  let node: LocalNode;
  let batchId: string;

  before(async function () {
    work = await mkdtemp(path.join(tmpdir(), "medstate-package-"));

    // The package: `npm pack` runs `prepack`, i.e. the build (types, ABIs, tsc into dist/).
    const packed = await exec(npm, ["pack", "--pack-destination", work], ROOT, npmEnv());
    expectSuccess("npm pack", packed);
    const tarballs = (await readdir(work)).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).to.have.length(1);
    tarball = path.join(work, tarballs[0]);
    const listing = await exec("tar", ["-tzf", tarball], work);
    expectSuccess("tar -t", listing);
    files = listing.stdout.split("\n").filter((f) => f !== "").map((f) => f.replace(/^package\//, ""));

    // A chain with MedState deployed and a batch held by the wholesaler, whose logger is a device member.
    node = await startLocalNode();
    const deployment = await node.json<{ chainId: string; block: string; contracts: Record<string, string>; implementations: Record<string, string>; engines: Record<string, string> }>(
      "system", "deploy",
    );
    const units = path.join(work, "units.txt");
    await writeFile(units, `${Array.from({ length: 10 }, (_, i) => `(01)${GTIN}(21)P${String(i).padStart(6, "0")}(10)${LOT}(17)280630`).join("\n")}\n`);
    const rules = path.join(work, "rules.json");
    await writeFile(rules, JSON.stringify({ storage: { temperature: { min: 2, max: 8 } }, inspection: { criticalStops: true } }));
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    await node.json("member", "add", "--party", "3", "--account", DEVICE, "--role", "device", "--from", "2");
    await registerProduct(node, { gtin: GTIN, name: "Insulin glargine", approvalNo: "国药准字S20260002", rules });
    ({ batchId } = await node.json<{ batchId: string }>(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-11-01", "--expiry", "2028-06-30", "--quantity", "10", "--units", units, "--from", "1",
    ));
    await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
    await node.json("batch", "release", "--batch", batchId, "--from", "9");
    const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "6", "--from", "1");
    await node.json("batch", "receive", "--shipment", shipmentId, "--from", "2");

    // The consumer project: only what it needs, at the repo's exact versions.
    const ours = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    consumer = path.join(work, "consumer");
    await mkdir(path.join(consumer, "src"), { recursive: true });
    await writeFile(
      path.join(consumer, "package.json"),
      JSON.stringify({
        name: "medstate-consumer",
        private: true,
        type: "module",
        dependencies: {
          medstate: `file:${tarball}`,
          ethers: ours.devDependencies.ethers,
          viem: ours.devDependencies.viem,
        },
        devDependencies: {
          typescript: ours.devDependencies.typescript,
          "@types/node": ours.devDependencies["@types/node"],
        },
      }, null, 2),
    );
    const installed = await exec(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-package-lock"], consumer, npmEnv());
    expectSuccess("npm install (consumer)", installed);

    // The address book as the package would ship it for a public network (local chains'
    // records are not shipped: a dev node's addresses mean nothing elsewhere).
    const book = path.join(consumer, "node_modules", "medstate", "deploy", "deployments", `chain-${deployment.chainId}`);
    await mkdir(book, { recursive: true });
    await writeFile(
      path.join(book, "medstate.json"),
      JSON.stringify({ ...deployment, network: "localhost", deployedAt: new Date().toISOString() }, null, 2),
    );

    await writeFile(path.join(consumer, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    await writeFile(path.join(consumer, "src", "viem-example.ts"), VIEM_EXAMPLE);
    await writeFile(path.join(consumer, "src", "ethers-example.ts"), ETHERS_EXAMPLE);
    await writeFile(path.join(consumer, "src", "type-checks.ts"), TYPE_CHECKS);
  });

  after(async function () {
    await node?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("packs the built SDK, both bindings, the sources and the address book, and nothing else", function () {
    for (const file of [
      "package.json",
      "README.md",
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "dist/abi/index.js",
      "dist/abi/index.d.ts",
      "dist/abi/ISuspectProduct.d.ts",
      "dist/types/ethers-contracts/index.js",
      "dist/types/ethers-contracts/index.d.ts",
      "dist/types/ethers-contracts/factories/contracts/interfaces/IBatchRegistry__factory.js",
      "contracts/interfaces/IBatchRegistry.sol",
      "contracts/interfaces/ISuspectProduct.sol",
      "contracts/supply/BatchRegistry.sol",
      "contracts/libraries/Gtin.sol",
    ]) {
      expect(files, file).to.include(file);
    }
    const allowed = /^(dist\/(sdk|abi|types\/ethers-contracts)\/|contracts\/(interfaces|identity|governance|supply|quality|libraries)\/[^/]+\.sol$|deploy\/deployments\/chain-\d+\/medstate\.json$|package\.json$|README\.md$|LICENSE$)/;
    expect(files.filter((f) => !allowed.test(f))).to.deep.equal([]);
    expect(files.filter((f) => /mocks?\b/i.test(f))).to.deep.equal([]);
    expect(files.filter((f) => /^(tasks|scripts|test|sdk|abi|types)\//.test(f) || f.startsWith("dist/tasks") || f.startsWith("dist/scripts"))).to.deep.equal([]);
    expect(files.filter((f) => f.includes("chain-31337") || f.includes("chain-1337"))).to.deep.equal([]);
  });

  it("type-checks a consumer program using the SDK, the viem ABIs and the typechain types (strict)", async function () {
    const tsc = await exec(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", "."], consumer);
    expectSuccess("tsc (consumer)", tsc);
    expect(tsc.stdout).to.equal("");
  });

  it("reads the batch's effective state and submits a device-signed reading through a gateway, with viem", async function () {
    const result = await exec(process.execPath, ["out/viem-example.js"], consumer, {
      ...process.env,
      MEDSTATE_RPC_URL: node.url,
      MEDSTATE_BATCH: batchId,
      MEDSTATE_DEVICE_KEY: DEVICE_KEY,
      MEDSTATE_GATEWAY_KEY: GATEWAY_KEY,
    });
    expectSuccess("viem example", result);
    expect(JSON.parse(result.stdout)).to.deep.equal({ before: "Marketed", status: "success", nonce: "0", after: "Marketed" });
  });

  it("reads the batch and its effective state and submits a device-signed excursion through a gateway, with ethers", async function () {
    const result = await exec(process.execPath, ["out/ethers-example.js"], consumer, {
      ...process.env,
      MEDSTATE_RPC_URL: node.url,
      MEDSTATE_BATCH: batchId,
      MEDSTATE_DEVICE_KEY: DEVICE_KEY,
      MEDSTATE_GATEWAY_KEY: GATEWAY_KEY,
    });
    expectSuccess("ethers example", result);
    // 9.5 °C is outside the product's storage range: the reading is critical and stops the batch.
    expect(JSON.parse(result.stdout)).to.deep.equal({ gtin: BigInt(GTIN).toString(), quantity: "10", before: "Marketed", status: 1, nonce: "1", after: "EmergencyStop" });

    const shown = await node.json<Record<string, unknown>>("state", "show", "--batch", batchId);
    expect(shown).to.include({ effectiveState: "EmergencyStop" });
    expect((shown.history as Record<string, string>[]).map((h) => [h.from, h.to, h.by, h.party])).to.deep.equal([["Marketed", "EmergencyStop", "rule", "3"]]);
  });
});
