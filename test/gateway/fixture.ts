/**
 * The gateway's arena: the adversarial suite's consortium (the maker, its QA member and a
 * second admin, a rival maker, a stranger) with the maker's product and two batches whose
 * units are committed in unit order (`buildUnitTree(codes, { order: "index" })`, as
 * `batch create` commits them): GW-REL (8 units, six GS1 serials and two China 20-digit
 * codes; released and shipped on to the wholesaler and the pharmacy) and GW-NEW (4 units,
 * never released). Each test builds its own in-process gateway over the chain
 * ({@link openGateway}), with an in-memory store, so that nothing one test stores is seen
 * by the next; {@link closeGateways} closes them after each test.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { Signer } from "ethers";

import { buildServer, type GatewayOptions, type GatewayServer } from "../../gateway/server.js";
import { rpcOf, type Rpc } from "../../gateway/chain.js";
import { batchIdOf, unitHashOf } from "../../sdk/codes.js";
import type { DeploymentRecord } from "../../sdk/deployment.js";
import { Role } from "../../sdk/enums.js";
import { publicationDomain, signPublication, type UnitListPublication } from "../../sdk/publication.js";
import { buildUnitTree, type UnitTree } from "../../sdk/units.js";
import { type Arena, PHARMACY, WHOLESALER, productArena } from "../adversarial/setup.js";
import { connection, ethers, networkHelpers } from "../helpers/fixtures.js";
import { DAY, GTIN } from "../helpers/quality.js";
import { inspect, shipmentIdOf } from "../helpers/supply.js";

export const GTIN14 = GTIN.toString().padStart(14, "0");
export const CHAIN_ID = 31337n;

/** A batch of the arena, with everything a test needs to publish its list or check an answer. */
export interface ArenaBatch {
  lot: string;
  batchId: string;
  /** Canonical unit codes, by index. */
  codes: string[];
  /** Their unit hashes, by index: the list a maker publishes. */
  hashes: string[];
  root: string;
  tree: UnitTree;
  manufacturedAt: number;
  expiresAt: number;
  createdBlock: number;
  releasedBlock: number | null;
}

export interface GatewayArena extends Arena {
  record: DeploymentRecord;
  /** Released, shipped maker → wholesaler (60) → pharmacy (5). */
  released: ArenaBatch;
  /** Created, never released. */
  unreleased: ArenaBatch;
  /** A device key of the maker: a member, but not one that may publish. */
  makerDevice: HardhatEthersSigner;
  /** An account that is no member yet (a test may make it one). */
  newcomer: HardhatEthersSigner;
}

/** The GS1 canonical code of serial `serial` of the arena's product. */
export function gs1(serial: string): string {
  return `01${GTIN14}21${serial}`;
}

/** Two China 20-digit drug traceability codes in the released batch (indices 6 and 7). */
export const CHINA_CODES = ["81234560000000011234", "81234560000000025678"];

async function createBatch(c: Arena, lot: string, codes: string[], release: boolean): Promise<ArenaBatch> {
  const { root, tree } = await buildUnitTree(codes, { order: "index" });
  const now = await networkHelpers.time.latest();
  const manufacturedAt = now - Number(DAY);
  const expiresAt = now + 365 * Number(DAY);
  const created = await (
    await c.batchRegistry.connect(c.maker).createBatch({
      gtin: GTIN,
      lot,
      manufacturedAt,
      expiresAt,
      quantity: 100n,
      unitsRoot: root,
      unitCount: codes.length,
    })
  ).wait();
  const batchId = batchIdOf(GTIN, lot);
  let releasedBlock: number | null = null;
  if (release) {
    await inspect(c.batchRegistry, c.makerQa, batchId);
    releasedBlock = (await (await c.batchRegistry.connect(c.makerQa).releaseBatch(batchId)).wait())!.blockNumber;
  }
  return {
    lot,
    batchId: batchId.toLowerCase(),
    codes,
    hashes: codes.map(unitHashOf),
    root: root.toLowerCase(),
    tree,
    manufacturedAt,
    expiresAt,
    createdBlock: created!.blockNumber,
    releasedBlock,
  };
}

/** The deployment record of the arena, as `system deploy` would write it. */
async function recordOf(c: Arena): Promise<DeploymentRecord> {
  const contracts = {
    ConsortiumRegistry: await c.registry.getAddress(),
    ConsortiumGovernor: await c.governor.getAddress(),
    BatchRegistry: await c.batchRegistry.getAddress(),
  };
  return {
    chainId: CHAIN_ID.toString(),
    network: "hardhat",
    block: "0",
    deployedAt: new Date(0).toISOString(),
    contracts,
    implementations: contracts,
  };
}

/** The arena: product, released batch GW-REL (shipped on) and unreleased batch GW-NEW. */
export async function gatewayArena(): Promise<GatewayArena> {
  const c = await productArena();
  const [makerDevice, newcomer] = c.others;
  await c.registry.connect(c.maker).addMember(2n, makerDevice.address, Role.Device);
  const released = await createBatch(c, "GW-REL", [...Array.from({ length: 6 }, (_, i) => gs1(`GW${i}`)), ...CHINA_CODES], true);
  const br = c.batchRegistry;
  await br.connect(c.maker).ship(released.batchId, WHOLESALER, 60n);
  await br.connect(c.wholesaler).receiveShipment(released.batchId, shipmentIdOf(released.batchId, 2n, 0n));
  await br.connect(c.wholesaler).ship(released.batchId, PHARMACY, 5n);
  await br.connect(c.pharmacy).receiveShipment(released.batchId, shipmentIdOf(released.batchId, WHOLESALER, 0n));
  const unreleased = await createBatch(c, "GW-NEW", Array.from({ length: 4 }, (_, i) => gs1(`NEW${i}`)), false);
  return { ...c, record: await recordOf(c), released, unreleased, makerDevice, newcomer };
}

// ==== GATEWAYS ====

const open = new Set<GatewayServer>();

/** The node's JSON-RPC, with a count of the requests per method (to see what the cache spared). */
export function countingRpc(): { rpc: Rpc; calls: Map<string, number> } {
  const inner = rpcOf(connection.provider);
  const calls = new Map<string, number>();
  return {
    calls,
    rpc: (method, params) => {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      return inner(method, params);
    },
  };
}

/** A gateway over the arena's chain: in-memory store, no rate limit, head read on every request, no page; then `options`. */
export async function openGateway(c: Pick<GatewayArena, "record">, options: Partial<GatewayOptions> = {}): Promise<GatewayServer> {
  const app = await buildServer({
    rpc: rpcOf(connection.provider),
    record: c.record,
    chainId: CHAIN_ID,
    data: ":memory:",
    rateLimit: false,
    headMaxAgeMs: 0,
    staticDir: null,
    syncIntervalMs: 0,
    ...options,
  });
  open.add(app);
  return app;
}

/** Closes every gateway opened since the last call (an `afterEach`). */
export async function closeGateways(): Promise<void> {
  const apps = [...open];
  open.clear();
  await Promise.all(apps.map((app) => app.close()));
}

// ==== PUBLICATIONS ====

/** The EIP-712 domain of the arena's publications. */
export function domainOf(c: Pick<GatewayArena, "record">) {
  return publicationDomain(CHAIN_ID, c.record.contracts.BatchRegistry);
}

/** `signer`'s signed publication of `list` (default: the batch's own list), signed now unless `issuedAt` says. */
export function publication(
  c: Pick<GatewayArena, "record">,
  signer: Signer,
  list: { batchId: string; root: string; units: string[] },
  issuedAt?: number,
): Promise<UnitListPublication> {
  return signPublication(signer, domainOf(c), list, issuedAt);
}

/** The batch's own list. */
export function listOf(batch: ArenaBatch): { batchId: string; root: string; units: string[] } {
  return { batchId: batch.batchId, root: batch.root, units: [...batch.hashes] };
}

/** POSTs `body` (an object, sent as JSON) to `/v1/unit-lists`. */
export function publish(app: GatewayServer, body: unknown) {
  return app.inject({ method: "POST", url: "/v1/unit-lists", payload: body as Record<string, unknown> });
}

/** GETs `url`. */
export function get(app: GatewayServer, url: string) {
  return app.inject({ method: "GET", url });
}

/** `/v1/units/<code>` or `/v1/verify/<code>` with the code URL-encoded. */
export function codeUrl(route: "units" | "verify", code: string): string {
  return `/v1/${route}/${encodeURIComponent(code)}`;
}

/** Asserts a refusal: exactly this status, a JSON body of exactly `error` and a one-line `message`. */
export function expectRefusal(response: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, error: string): void {
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect([response.statusCode, body.error], response.body).to.deep.equal([status, error]);
  expect(Object.keys(body).sort()).to.deep.equal(["error", "message"]);
  expect(body.message).to.be.a("string").and.match(/^[^\n]+$/);
  expect(String(response.headers["content-type"])).to.match(/^application\/json/);
}

/** Asserts that the gateway holds no list, and none of `roots`. */
export async function expectNothingStored(app: GatewayServer, roots: string[]): Promise<void> {
  expect(app.gateway.store.listCount()).to.equal(0);
  for (const root of roots) expectRefusal(await get(app, `/v1/unit-lists/${root}`), 404, "unknown_list");
}

/** A fresh random 32-byte hash. */
export function randomHash(): string {
  return ethers.hexlify(ethers.randomBytes(32));
}
