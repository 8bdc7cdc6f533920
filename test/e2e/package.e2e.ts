/**
 * The package as an integrator gets it: `npm pack` (which builds it), a fresh consumer
 * project installing the tarball from disk and ethers, viem and TypeScript from the
 * registry, the README's two integrator examples (taken from README.md as written) and a
 * few compile-time checks, type-checked under `strict` with both bindings, and the
 * examples run against a `hardhat node` with MedState deployed, finding its addresses as
 * the README says: the record `system deploy` wrote, read at run time from
 * `$MEDSTATE_DEPLOYMENTS/chain-<id>/medstate.json`.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
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

// ==== THE CONSUMER PROGRAM (the README's "Integrating" examples, taken from the README itself) ====

/**
 * The first ```ts block under a heading of a Markdown document (before the next heading),
 * exactly as written. Fails when the heading or its block is missing.
 */
function codeBlockUnder(markdown: string, heading: string): string {
  const lines = markdown.split(/\r?\n/);
  const at = lines.indexOf(heading);
  if (at === -1) throw new Error(`README.md has no heading "${heading}"`);
  for (let i = at + 1; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i])) break;
    if (lines[i].trim() !== "```ts") continue;
    const close = lines.indexOf("```", i + 1);
    if (close === -1) throw new Error(`README.md: the \`\`\`ts block under "${heading}" is not closed`);
    return `${lines.slice(i + 1, close).join("\n")}\n`;
  }
  throw new Error(`README.md has no \`\`\`ts block under "${heading}"`);
}

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

describe("the npm package in a consumer project, against a hardhat node @e2e @pack", function () {
  this.timeout(600_000);
  let work: string;
  let consumer: string;
  let tarball: string;
  let files: string[];
  let node: LocalNode;
  let batchId: string;
  /** The directory holding `chain-<id>/medstate.json`, as the operator hands it over. */
  let deployments: string;

  /** Runs a compiled example against the node, finding the deployment as the README says. */
  function runExample(file: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return exec(process.execPath, [file], consumer, {
      ...process.env,
      MEDSTATE_RPC_URL: node.url,
      MEDSTATE_DEPLOYMENTS: deployments,
      MEDSTATE_BATCH: batchId,
      MEDSTATE_DEVICE_KEY: DEVICE_KEY,
      MEDSTATE_GATEWAY_KEY: GATEWAY_KEY,
      ...env,
    });
  }

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
    // Its Ignition directory is ours, so that the record `system deploy` writes is the file handed over.
    const ignition = path.join(work, "ignition");
    await mkdir(ignition);
    deployments = path.join(ignition, "deployments");
    node = await startLocalNode({ env: { MEDSTATE_IGNITION_DIR: ignition } });
    const deployment = await node.json<{ chainId: string }>("system", "deploy");
    expect(JSON.parse(await readFile(path.join(deployments, `chain-${deployment.chainId}`, "medstate.json"), "utf8"))).to.include({ chainId: deployment.chainId });
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

    // The README's examples as written: no copy kept here, nothing added to node_modules.
    const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
    await writeFile(path.join(consumer, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    await writeFile(path.join(consumer, "src", "viem-example.ts"), codeBlockUnder(readme, "### viem"));
    await writeFile(path.join(consumer, "src", "ethers-example.ts"), codeBlockUnder(readme, "### ethers v6"));
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

  it("installs no address book for a local chain: the examples must find the record the operator handed over", function () {
    expect(existsSync(path.join(consumer, "node_modules", "medstate", "deploy", "deployments", "chain-31337"))).to.equal(false);
  });

  it("type-checks the README's examples and a consumer program using the SDK, the viem ABIs and the typechain types (strict)", async function () {
    const tsc = await exec(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", "."], consumer);
    expectSuccess("tsc (consumer)", tsc);
    expect(tsc.stdout).to.equal("");
  });

  it("reads the batch's effective state and submits a device-signed reading through a gateway, with viem", async function () {
    const result = await runExample("out/viem-example.js");
    expectSuccess("viem example", result);
    expect(JSON.parse(result.stdout)).to.deep.equal({ before: "Marketed", status: "success", nonce: "0", after: "Marketed" });
  });

  it("reads the batch and its effective state and submits a device-signed excursion through a gateway, with ethers", async function () {
    const result = await runExample("out/ethers-example.js");
    expectSuccess("ethers example", result);
    // 9.5 °C is outside the product's storage range: the reading is critical and stops the batch.
    expect(JSON.parse(result.stdout)).to.deep.equal({ gtin: BigInt(GTIN).toString(), before: "Marketed", status: 1, nonce: "1", after: "EmergencyStop" });

    const shown = await node.json<Record<string, unknown>>("state", "show", "--batch", batchId);
    expect(shown).to.include({ effectiveState: "EmergencyStop" });
    expect((shown.history as Record<string, string>[]).map((h) => [h.from, h.to, h.by, h.party])).to.deep.equal([["Marketed", "EmergencyStop", "rule", "3"]]);
  });

  it("refuses in one line, before any transaction, when MEDSTATE_DEPLOYMENTS is not set or holds no record for the node's chain", async function () {
    const blockBefore = await node.rpc<string>("eth_blockNumber");
    const unset = await runExample("out/viem-example.js", { MEDSTATE_DEPLOYMENTS: "" });
    expect(unset.code).to.not.equal(0);
    expect(unset.stdout).to.equal("");
    expect(unset.stderr).to.include("no deployment records directory: set MEDSTATE_DEPLOYMENTS to the directory holding chain-31337/medstate.json\n");

    const empty = path.join(work, "no-records");
    await mkdir(empty, { recursive: true });
    const missing = await runExample("out/ethers-example.js", { MEDSTATE_DEPLOYMENTS: empty });
    expect(missing.code).to.not.equal(0);
    expect(missing.stdout).to.equal("");
    expect(missing.stderr).to.include(
      `no MedState deployment record for chain 31337: ${path.join(empty, "chain-31337", "medstate.json")} does not exist (ask the operator for the file \`system deploy\` wrote, deploy/deployments/chain-31337/medstate.json)\n`,
    );
    expect(await node.rpc<string>("eth_blockNumber")).to.equal(blockBefore);
  });
});
