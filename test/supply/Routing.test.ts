import { expect } from "chai";
import { type FunctionFragment, Interface, TypedDataEncoder } from "ethers";
import { artifacts } from "hardhat";

import { OBSERVATION_TYPES, READING_TYPES } from "../../sdk/quality.js";
import { MAKER, ethers } from "../helpers/fixtures.js";
import { GTIN, LOT, type Ctx, loadFixture, productionBatch, supplyParties } from "./ledger.fixtures.js";

// ==== THE TABLE ====

type ModuleName = "ProductRegistry" | "QualityEngine" | "CollaborationEngine" | "BulkCustody";

/** Index of each module in `modules()`. */
const POSITION: Record<ModuleName, number> = { ProductRegistry: 0, QualityEngine: 1, CollaborationEngine: 2, BulkCustody: 3 };

/** The functions of a compiled contract or interface, by selector. */
async function functionsOf(name: string): Promise<Map<string, FunctionFragment>> {
  const iface = new Interface((await artifacts.readArtifact(name)).abi);
  const functions = new Map<string, FunctionFragment>();
  iface.forEachFunction((f) => functions.set(f.selector, f));
  return functions;
}

/**
 * What each module must run: every function of the interfaces it implements, and the
 * quality engine's EIP-712 getters. `registry()` (declared by IQualityEngine and
 * ICollaborationEngine) is not routed: the BatchRegistry answers it itself.
 */
const TABLE: [ModuleName, string[], string[]][] = [
  ["ProductRegistry", ["IProductRegistry"], []],
  ["QualityEngine", ["IQualityEngine"], ["OBSERVATION_TYPEHASH()", "READING_TYPEHASH()", "eip712Domain()"]],
  ["CollaborationEngine", ["ICollaborationEngine", "ISuspectProduct"], []],
  ["BulkCustody", ["IBulkCustody"], []],
];

const OWN = "registry()";

async function routingFixture(): Promise<Ctx & { modules: string[] }> {
  const c = await supplyParties();
  return { ...c, modules: [...(await c.batchRegistry.modules())] };
}

// ==== TESTS ====

/** BatchRegistry's routing table: moduleOf, modules, engine, and what the fallback reaches. */
describe("BatchRegistry routing", function () {
  describe("moduleOf", function () {
    for (const [module, interfaces, extra] of TABLE) {
      it(`routes every function of ${interfaces.join(" and ")}${extra.length > 0 ? ` (and ${extra.join(", ")})` : ""} to the ${module}, which has it`, async function () {
        const { batchRegistry, modules } = await loadFixture(routingFixture);
        const own = await functionsOf(module);
        const selectors = new Map<string, string>();
        for (const name of interfaces) {
          for (const [selector, f] of await functionsOf(name)) if (f.format("sighash") !== OWN) selectors.set(selector, f.format("sighash"));
        }
        for (const signature of extra) selectors.set(ethers.id(signature).slice(0, 10), signature);
        expect(selectors.size, `${module}'s selectors`).to.be.greaterThan(extra.length);
        for (const [selector, signature] of selectors) {
          expect(await batchRegistry.moduleOf(selector), `${signature} → ${module}`).to.equal(modules[POSITION[module]]);
          expect(own.get(selector)?.format("sighash"), `${module}'s artifact has ${signature}`).to.equal(signature);
        }
      });

      it(`routes every function in the ${module}'s artifact to it, but registry() (answered by the BatchRegistry)`, async function () {
        const { batchRegistry, modules } = await loadFixture(routingFixture);
        const own = await functionsOf(module);
        const router = await functionsOf("BatchRegistry");
        for (const [selector, f] of own) {
          if (f.format("sighash") === OWN) {
            expect(router.has(selector), "the BatchRegistry declares registry() itself").to.equal(true);
            continue;
          }
          expect(router.has(selector), `the BatchRegistry does not shadow ${f.format("sighash")}`).to.equal(false);
          expect(await batchRegistry.moduleOf(selector), f.format("sighash")).to.equal(modules[POSITION[module]]);
        }
      });
    }

    it("leaves no function of IBatchRegistry unanswered: the BatchRegistry runs it, or the module it names has it", async function () {
      const { batchRegistry, modules } = await loadFixture(routingFixture);
      const router = await functionsOf("BatchRegistry");
      const byAddress = new Map<string, Map<string, FunctionFragment>>();
      for (const [module, position] of Object.entries(POSITION)) byAddress.set(modules[position], await functionsOf(module));
      const whole = await functionsOf("IBatchRegistry");
      expect(whole.size).to.be.greaterThan(30);
      for (const [selector, f] of whole) {
        if (router.has(selector)) continue;
        const target = await batchRegistry.moduleOf(selector);
        expect(byAddress.get(target)?.has(selector), `${f.format("sighash")} → ${target}`).to.equal(true);
      }
      // And IBatchRegistry's own functions (ICustody, IMembershipMirror) are the BatchRegistry's.
      for (const name of ["ICustody", "IMembershipMirror"]) {
        for (const [selector, f] of await functionsOf(name)) expect(router.has(selector), f.format("sighash")).to.equal(true);
      }
    });

    it("names no module for a selector none has, and the proxy refuses it (BatchRegistryUnknownFunction)", async function () {
      const { batchRegistry, stranger } = await loadFixture(routingFixture);
      for (const selector of ["0x00000000", "0xdeadbeef", "0xffffffff", ethers.id("transfer(address,uint256)").slice(0, 10)]) {
        expect(await batchRegistry.moduleOf(selector), selector).to.equal(ethers.ZeroAddress);
      }
      await expect(stranger.sendTransaction({ to: await batchRegistry.getAddress(), data: "0xdeadbeef" }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownFunction")
        .withArgs("0xdeadbeef");
      // Calldata shorter than a selector: its missing bytes read as zero.
      await expect(stranger.sendTransaction({ to: await batchRegistry.getAddress(), data: "0xab" }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownFunction")
        .withArgs("0xab000000");
    });

    it("is the generated table: scripts/routing-table.ts rebuilds contracts/supply/RoutingTable.sol exactly", async function () {
      const { routingTable } = await import("../../scripts/routing-table.js");
      const { readFile } = await import("node:fs/promises");
      expect(await routingTable()).to.equal(await readFile("contracts/supply/RoutingTable.sol", "utf8"));
    });
  });

  describe("modules", function () {
    it("names four distinct code objects, each built for the consortium registry, fixed by the implementation", async function () {
      const { batchRegistry, registry, modules } = await loadFixture(routingFixture);
      expect(new Set([...modules, await batchRegistry.getAddress()]).size).to.equal(5);
      for (const [module, position] of Object.entries(POSITION)) {
        const address = modules[position];
        expect(await ethers.provider.getCode(address), module).to.not.equal("0x");
        expect(await (await ethers.getContractAt(module, address)).registry(), module).to.equal(await registry.getAddress());
      }
    });

    it("names each object in its place: the product registry, the quality engine, the collaboration engine, baskets and pallets", async function () {
      const { batchRegistry, modules } = await loadFixture(routingFixture);
      const [products, quality, collaboration, bulk] = modules;
      // Each answers, at its own address, in its own way.
      const asLedger = await ethers.getContractAt("IBatchRegistry", products);
      await expect(asLedger.getProduct(GTIN)).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownProduct").withArgs(GTIN);
      const domain = await (await ethers.getContractAt("QualityEngine", quality)).eip712Domain();
      expect([domain.name, domain.version, domain.verifyingContract]).to.deep.equal(["MedState", "1", quality]);
      const engine = await ethers.getContractAt("ICollaborationEngine", collaboration);
      await expect(engine.stateGraph()).to.be.revertedWithCustomError(engine, "CollaborationDirectCall").withArgs();
      const baskets = await ethers.getContractAt("IBulkCustody", bulk);
      await expect(baskets.shipPallet(1n, [])).to.be.revertedWithCustomError(batchRegistry, "BatchRegistryDirectCall").withArgs();
    });
  });

  describe("engine", function () {
    it("answers the quality engine, as modules() does", async function () {
      const { batchRegistry, modules } = await loadFixture(routingFixture);
      expect(await batchRegistry.engine()).to.equal(modules[POSITION.QualityEngine]);
    });
  });

  describe("fallback", function () {
    it("runs each module's functions on the proxy's storage, in one hop", async function () {
      const c = await loadFixture(productionBatch);
      const { batchRegistry, quality, collaboration } = c;
      const proxy = await batchRegistry.getAddress();
      // The product registry: the batch the fixture created through it.
      expect((await batchRegistry.getBatch(c.batchId)).manufacturer).to.equal(MAKER);
      expect(await batchRegistry.batchIdOf(GTIN, LOT)).to.equal(c.batchId);
      // The quality engine: its EIP-712 domain is the proxy's, its type hashes the SDK's.
      const domain = await (await ethers.getContractAt("QualityEngine", proxy)).eip712Domain();
      expect([domain.name, domain.version, domain.verifyingContract]).to.deep.equal(["MedState", "1", proxy]);
      const typed = await ethers.getContractAt("QualityEngine", proxy);
      expect(await typed.OBSERVATION_TYPEHASH()).to.equal(ethers.id(TypedDataEncoder.from(OBSERVATION_TYPES).encodeType("Observation")));
      expect(await typed.READING_TYPEHASH()).to.equal(ethers.id(TypedDataEncoder.from(READING_TYPES).encodeType("Reading")));
      expect((await quality.rulesOf(GTIN))[1]).to.equal(false);
      // The collaboration engine: the pharmaceutical graph, five states.
      expect((await collaboration.stateGraph()).length).to.equal(5);
      const suspects = await ethers.getContractAt("ISuspectProduct", proxy);
      expect([...(await suspects.suspectCount(c.batchId))]).to.deep.equal([0n, 0n]);
    });

    it("refuses value: the routed functions are not payable", async function () {
      const c = await loadFixture(productionBatch);
      const data = c.batchRegistry.interface.encodeFunctionData("getBatch", [c.batchId]);
      await expect(c.stranger.sendTransaction({ to: await c.batchRegistry.getAddress(), data, value: 1n })).to.be.revertedWithoutReason(ethers);
    });
  });
});
