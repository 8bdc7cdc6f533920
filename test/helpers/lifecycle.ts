/**
 * A vaccine batch's whole life through the CLI, step by step, for the end-to-end
 * suites that drive it against a local node (test/e2e/engines.e2e.ts runs it on
 * each EVM engine). Same accounts, product and flow as test/e2e/quality.e2e.ts.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import type { LocalNode } from "./cli.js";

// Well-known accounts of the local nodes (mnemonic "test … junk") and the localhost
// founders: 0 regulator (party 1), 1 manufacturer admin (2), 2 wholesaler admin (3),
// 4 hospital admin (5), 5 pharmacy admin (6). Below, 9 becomes the manufacturer's QA,
// 10 a cold-chain logger (device) of the wholesaler, and 12 the admin of a notary
// admitted by the consortium (party 8).
export const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
export const LOGGER = "0xBcd4042DE499D14e55001CcbB24a551F3b954096";
export const NOTARY_ADMIN = "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a";
export const GTIN = "06901234567892";
export const LOT = "VAX26A";
export const UNIT_COUNT = 100;
export const HEX32 = "0x[0-9a-f]{64}";

/** The GS1 element string of unit `i` of the batch. */
export function unitCode(i: number): string {
  return `(01)${GTIN}(21)V${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;
}

export interface LifecycleFiles {
  /** One unit code a line. */
  units: string;
  /** The product's rules: 2–8 °C in storage and transport, at most 65 % RH, critical inspections stop. */
  rules: string;
}

/** Writes the unit list and the rules file to the temporary directory; `tag` keeps runs apart. */
export async function writeLifecycleFiles(tag: string): Promise<LifecycleFiles> {
  const dir = tmpdir();
  const units = path.join(dir, `medstate-${tag}-units-${process.pid}.txt`);
  await writeFile(units, `${Array.from({ length: UNIT_COUNT }, (_, i) => unitCode(i)).join("\n")}\n`);
  const rules = path.join(dir, `medstate-${tag}-rules-${process.pid}.json`);
  await writeFile(
    rules,
    JSON.stringify({
      storage: { temperature: { min: 2, max: 8 }, humidity: { max: 65 } },
      transport: { temperature: { min: 2, max: 8 } },
      inspection: { criticalStops: true },
    }),
  );
  return { units, rules };
}

/**
 * Deploys MedState and has the consortium admit a notary: proposed by the
 * manufacturer, executed by the fourth of the founders' votes. Returns the notary's party id.
 */
export async function admitNotary(node: LocalNode): Promise<string> {
  await node.json("system", "deploy");
  await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
  await node.json("member", "add", "--party", "3", "--account", LOGGER, "--role", "device", "--from", "2");
  const { proposalId } = await node.json<{ proposalId: string }>(
    "party", "propose", "--name", "Hangzhou Notary Office", "--domain", "notary", "--admin", NOTARY_ADMIN, "--from", "1",
  );
  let vote: Record<string, unknown> = {};
  for (const from of ["1", "2", "4", "0"]) vote = await node.json("party", "vote", "--proposal", proposalId, "--from", from);
  expect(vote).to.include({ proposalId, executed: true });
  return String(vote.partyId);
}

export interface ProductSpec {
  gtin: string;
  name: string;
  approvalNo: string;
  nationalCode?: string;
  /** A rules file: set by the holder once the product is registered. */
  rules?: string;
  /** The applicant's signer (default 1, the manufacturer's admin: party 2). */
  from?: string;
}

/**
 * Registers a product the way it is done since issue 12: the manufacturer applies
 * (`product register`), the regulator (account 0) approves (`product approve`), and the
 * holder sets its rules (`product rules`) if a file is given. Returns the holder's party id.
 */
export async function registerProduct(node: LocalNode, product: ProductSpec): Promise<string> {
  const from = product.from ?? "1";
  const applied = await node.json<{ applicant: string; status: string }>(
    "product", "register", "--gtin", product.gtin, "--name", product.name, "--approval-no", product.approvalNo,
    ...(product.nationalCode === undefined ? [] : ["--national-code", product.nationalCode]), "--from", from,
  );
  expect(applied).to.include({ status: "applied" });
  const approved = await node.json<{ holder: string }>("product", "approve", "--gtin", product.gtin, "--applicant", applied.applicant, "--from", "0");
  expect(approved).to.include({ gtin: product.gtin, holder: applied.applicant });
  if (product.rules !== undefined) {
    expect(await node.json("product", "rules", "--gtin", product.gtin, "--rules", product.rules, "--from", from)).to.include({
      gtin: product.gtin,
      set: true,
      by: "holder",
    });
  }
  return approved.holder;
}

/**
 * Registers the product with its rules (applied for, approved by the regulator, rules set
 * by the holder), creates the batch with its units, releases it after a normal inspection
 * by QA, and ships 60 to the wholesaler, who ships 20 on to the pharmacy; each shipment is
 * received. Returns the batch id.
 */
export async function produceAndDistribute(node: LocalNode, files: LifecycleFiles): Promise<string> {
  expect(
    await registerProduct(node, { gtin: GTIN, name: "Influenza vaccine", approvalNo: "国药准字S20260001", rules: files.rules }),
  ).to.equal("2");
  const { batchId } = await node.json<{ batchId: string }>(
    "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-11-01", "--expiry", "2028-06-30",
    "--quantity", String(UNIT_COUNT), "--units", files.units, "--from", "1",
  );
  await node.json("observe", "--batch", batchId, "--point", "inspection", "--result", "normal", "--from", "9");
  await node.json("batch", "release", "--batch", batchId, "--from", "9");
  const toWholesaler = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "3", "--quantity", "60", "--from", "1");
  await node.json("batch", "receive", "--shipment", toWholesaler.shipmentId, "--from", "2");
  const toPharmacy = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", batchId, "--to", "6", "--quantity", "20", "--from", "2");
  await node.json("batch", "receive", "--shipment", toPharmacy.shipmentId, "--from", "5");
  return batchId;
}

/** Moves the node's clock forward and mines a block (both engines support these methods). */
export async function advanceTime(node: LocalNode, seconds: number): Promise<void> {
  await node.rpc("evm_increaseTime", [seconds]);
  await node.rpc("evm_mine", []);
}

export interface GasSummary {
  blocks: number;
  transactions: number;
  /** Distinct `baseFeePerGas` values of the blocks, as 0x-quantities. */
  baseFees: string[];
  /** Distinct `effectiveGasPrice` values of the receipts, as 0x-quantities. */
  effectiveGasPrices: string[];
  /** Gas used by all transactions. */
  gasUsed: bigint;
}

/** Reads every block and receipt of the node's chain and summarises what gas cost. */
export async function gasSummary(node: LocalNode): Promise<GasSummary> {
  const latest = Number(BigInt(await node.rpc<string>("eth_blockNumber")));
  const baseFees = new Set<string>();
  const prices = new Set<string>();
  let transactions = 0;
  let gasUsed = 0n;
  for (let n = 1; n <= latest; n++) {
    const block = await node.rpc<{ baseFeePerGas: string; transactions: string[] }>("eth_getBlockByNumber", [`0x${n.toString(16)}`, false]);
    baseFees.add(block.baseFeePerGas);
    for (const hash of block.transactions) {
      const receipt = await node.rpc<{ effectiveGasPrice: string; gasUsed: string; status: string }>("eth_getTransactionReceipt", [hash]);
      prices.add(receipt.effectiveGasPrice);
      gasUsed += BigInt(receipt.gasUsed);
      transactions++;
    }
  }
  return { blocks: latest, transactions, baseFees: [...baseFees], effectiveGasPrices: [...prices], gasUsed };
}
