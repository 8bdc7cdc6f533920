import { expect } from "chai";

import { Domain, LicenceKind, MemberStatus, PartyStatus, Role } from "../../sdk/enums.js";
import type { BatchRegistry } from "../../types/ethers-contracts/index.js";
import { wrongRole } from "../helpers/callers.js";
import {
  DOC,
  HOSPITAL,
  LABORATORY,
  LICENCE_EXPIRY,
  LOGISTICS,
  MAKER,
  NOTARY,
  PHARMACY,
  REGULATOR,
  UNKNOWN,
  WHOLESALER,
  ethers,
} from "../helpers/fixtures.js";
import {
  BatchStatus,
  ShipmentStatus,
  UnitStatus,
  UnitTree,
  UnitVerdict,
  batchIdOf,
  deployBatchRegistryImplementation,
  eventsOf,
  expectConserved,
  expectEvents,
  inspect,
  leafOf,
  ledgerOf,
  registerProduct,
  shipmentIdOf,
} from "../helpers/supply.js";
import { productSubject } from "../helpers/quality.js";
import {
  ACTIVE_RECORD,
  APPROVAL,
  type BatchCtx,
  type BatchView,
  type Ctx,
  DAY,
  type DispensedCtx,
  EMERGENCY_STOP,
  GTIN,
  GTIN2,
  IMPLEMENTATION_SLOT,
  LOT,
  MAKER2,
  MAX_UNDO_WINDOW,
  NAME,
  NATIONAL,
  NO_MEMBER,
  NO_PARTY,
  QUANTITY,
  type ShipmentCtx,
  type ShipmentView,
  type Signer,
  U24,
  U48,
  U64,
  UNDO_WINDOW,
  UNITS,
  type UnitView,
  batchInput,
  batchOf,
  closings,
  custody,
  custodianCases,
  custodyOf,
  dispensedBy,
  dispensedUnit,
  dispenserCases,
  distributedBatch,
  holdings,
  hospitalStocked,
  impersonate,
  inOneBlock,
  itRejectsCallers,
  itRejectsInvalidProofs,
  itRejectsUnknownShipments,
  ledgerAt,
  loadFixture,
  lockedUnit,
  mirroredMemberOf,
  mirroredPartyOf,
  move,
  newImplementation,
  notGovernorCases,
  openShipment,
  productOf,
  productionBatch,
  registeredProduct,
  registryGateOf,
  registryMemberOf,
  releasedBatch,
  revertDataOf,
  shipmentOf,
  stop,
  stubbedRegistry,
  supplyParties,
  time,
  timestampOf,
  unitOf,
  uupsOf,
  verdictOf,
} from "./ledger.fixtures.js";

// ==== TESTS ====

/**
 * BatchRegistry, the proxy implementation: the custody hot paths it runs itself (ICustody),
 * its UUPS and membership-mirror functions, and the supply ledger as a whole at the proxy
 * (conservation, replay). The product registry's functions are in ProductRegistry.test.ts,
 * the routing table in Routing.test.ts.
 */
describe("BatchRegistry", function () {
  describe("constructor", function () {
    it("binds the registry and the four code objects as immutables of the implementation, which every proxy over it reads", async function () {
      const { registry, batchRegistry } = await loadFixture(supplyParties);
      const implementation = await deployBatchRegistryImplementation(await registry.getAddress());
      expect(await implementation.registry()).to.equal(await registry.getAddress());
      const modules = await implementation.modules();
      expect(new Set([...modules, await implementation.getAddress()]).size).to.equal(5);
      for (const [name, module] of [
        ["ProductRegistry", modules[0]],
        ["QualityEngine", modules[1]],
        ["CollaborationEngine", modules[2]],
        ["BulkCustody", modules[3]],
      ] as const) {
        expect(await (await ethers.getContractAt(name, module)).registry(), name).to.equal(await registry.getAddress());
      }
      // The Ignition deployment's implementation and proxy answer the same.
      const deployed = ethers.getAddress(ethers.dataSlice(await ethers.provider.getStorage(await batchRegistry.getAddress(), IMPLEMENTATION_SLOT), 12));
      const deployedImplementation = (await ethers.getContractAt("BatchRegistry", deployed)) as unknown as BatchRegistry;
      expect(await deployedImplementation.registry()).to.equal(await registry.getAddress());
      expect(await deployedImplementation.modules()).to.deep.equal(await batchRegistry.modules());
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    });

    it("reverts when the registry is the zero address", async function () {
      const { batchRegistry } = await loadFixture(supplyParties);
      await expect(ethers.deployContract("BatchRegistry", [ethers.ZeroAddress, ...(await batchRegistry.modules())]))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorZeroRegistry")
        .withArgs();
    });

    const MODULES = ["ProductRegistry", "QualityEngine", "CollaborationEngine", "BulkCustody"] as const;
    for (const [position, name] of MODULES.entries()) {
      it(`reverts when the ${name} was built for another registry, naming it (MirrorRegistryChanged)`, async function () {
        const { registry, batchRegistry, stranger } = await loadFixture(supplyParties);
        const foreign = await ethers.deployContract(name, [stranger.address]);
        const modules = [...(await batchRegistry.modules())];
        modules[position] = await foreign.getAddress();
        await expect(ethers.deployContract("BatchRegistry", [await registry.getAddress(), ...modules]))
          .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
          .withArgs(await foreign.getAddress(), await registry.getAddress());
      });

      it(`reverts when the ${name} has no code, or is no mirror (the registry itself)`, async function () {
        const { registry, batchRegistry, stranger } = await loadFixture(supplyParties);
        for (const wrong of [stranger.address, ethers.ZeroAddress, await registry.getAddress()]) {
          const modules = [...(await batchRegistry.modules())];
          modules[position] = wrong;
          await expect(ethers.deployContract("BatchRegistry", [await registry.getAddress(), ...modules]))
            .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
            .withArgs(wrong, await registry.getAddress());
        }
      });
    }

    it("checks the product registry, then the quality engine, then the collaboration engine, then the baskets and pallets code", async function () {
      const { registry, batchRegistry, stranger } = await loadFixture(supplyParties);
      const modules = [...(await batchRegistry.modules())];
      const wrong = [stranger.address, ethers.ZeroAddress, await registry.getAddress(), stranger.address];
      for (let first = 0; first < 4; first++) {
        const args = [...modules.slice(0, first), ...wrong.slice(first)];
        await expect(ethers.deployContract("BatchRegistry", [await registry.getAddress(), ...args]), `module ${first}`)
          .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
          .withArgs(wrong[first], await registry.getAddress());
      }
    });
  });

  describe("initialize", function () {
    it("sets the 10-day undo window and emits DispenseUndoWindowSet", async function () {
      const { registry, batchRegistry } = await loadFixture(supplyParties);
      const implementation = await deployBatchRegistryImplementation(await registry.getAddress());
      const proxy = await ethers.deployContract("ERC1967Proxy", [
        await implementation.getAddress(),
        implementation.interface.encodeFunctionData("initialize"),
      ]);
      const fresh = await ledgerAt(await proxy.getAddress());
      const tx = proxy.deploymentTransaction();
      if (tx === null) throw new Error("no deployment transaction");
      expect(await eventsOf(fresh, tx)).to.deep.equal([
        ["Upgraded", [(await implementation.getAddress()).toLowerCase()]],
        ["DispenseUndoWindowSet", [UNDO_WINDOW]],
        ["Initialized", [1n]],
      ]);
      expect(await fresh.registry()).to.equal(await registry.getAddress());
      expect(await fresh.dispenseUndoWindow()).to.equal(UNDO_WINDOW);
      // The Ignition deployment did the same.
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(UNDO_WINDOW);
    });

    it("reverts when called again on the proxy", async function () {
      const c = await loadFixture(supplyParties);
      const proxy = await uupsOf(c);
      for (const caller of [c.deployer, c.gov, c.regulator]) {
        await expect(proxy.connect(caller).initialize())
          .to.be.revertedWithCustomError(proxy, "InvalidInitialization")
          .withArgs();
      }
      expect(await c.batchRegistry.dispenseUndoWindow()).to.equal(UNDO_WINDOW);
    });

    it("reverts on the implementation (initializers disabled by the constructor)", async function () {
      const { registry } = await loadFixture(supplyParties);
      const implementation = await deployBatchRegistryImplementation(await registry.getAddress());
      await expect(implementation.initialize())
        .to.be.revertedWithCustomError(implementation, "InvalidInitialization")
        .withArgs();
    });
  });
  describe("ship", function () {
    it("moves the quantity into an open shipment and emits Shipped", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, batchId } = c;
      const expectedId = shipmentIdOf(batchId, MAKER, 0n);
      expect(await batchRegistry.connect(maker).ship.staticCall(batchId, WHOLESALER, 30n)).to.equal(expectedId);
      const tx = await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 30n);
      await expectEvents(batchRegistry, tx, [["Shipped", [expectedId, batchId, MAKER, WHOLESALER, 30n, maker.address]]]);
      expect(await shipmentOf(batchRegistry, expectedId)).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        quantity: 30n,
        seq: 0n,
        shippedAt: await timestampOf(tx),
        status: ShipmentStatus.InTransit,
      });
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([70n, 0n]);
      // The sender counts it in transit until the shipment closes.
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 70n, inTransit: 30n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({}));
      expect(await expectConserved(c, batchId)).to.deep.include({ held: 70n, inTransit: 30n });
    });

    it("adds each shipment to the sender's in-transit stock", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, batchId } = c;
      await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 30n);
      await batchRegistry.connect(maker).ship(batchId, PHARMACY, 25n);
      await batchRegistry.connect(maker).ship(batchId, HOSPITAL, 45n);
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 0n, inTransit: QUANTITY, shipments: 3n }));
      expect(await expectConserved(c, batchId)).to.deep.include({ held: 0n, inTransit: QUANTITY });
    });

    it("numbers each sender's shipments of the batch from 0", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, makerOperator, wholesaler, batchId } = c;
      await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 10n);
      const tx = await batchRegistry.connect(makerOperator).ship(batchId, PHARMACY, 5n);
      const second = shipmentIdOf(batchId, MAKER, 1n);
      await expectEvents(batchRegistry, tx, [["Shipped", [second, batchId, MAKER, PHARMACY, 5n, makerOperator.address]]]);
      await batchRegistry.connect(wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 0n));
      // The wholesaler's own numbering starts at 0.
      const tx3 = await batchRegistry.connect(wholesaler).ship(batchId, LOGISTICS, 4n);
      const third = shipmentIdOf(batchId, WHOLESALER, 0n);
      await expectEvents(batchRegistry, tx3, [["Shipped", [third, batchId, WHOLESALER, LOGISTICS, 4n, wholesaler.address]]]);
      expect(new Set([shipmentIdOf(batchId, MAKER, 0n), second, third]).size).to.equal(3);
      expect((await shipmentOf(batchRegistry, second)).seq).to.equal(1n);
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([85n, 6n]);
      await expectConserved(c, batchId);
    });

    it("ships to every custodian domain (wholesaler, retailer, logistics, hospital, pharmacy, manufacturer)", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, registry, gov, maker, batchId } = c;
      await registry.connect(gov).admitParty({ name: "Retail", domain: Domain.Retailer, admin: ethers.Wallet.createRandom().address, voter: false, licences: [] });
      const RETAILER = 10n;
      for (const to of [WHOLESALER, RETAILER, LOGISTICS, HOSPITAL, PHARMACY, MAKER2]) {
        await expect(batchRegistry.connect(maker).ship(batchId, to, 1n)).to.emit(batchRegistry, "Shipped");
      }
      expect(await batchRegistry.holding(batchId, MAKER)).to.equal(QUANTITY - 6n);
      expect(await expectConserved(c, batchId)).to.deep.include({ inTransit: 6n });
    });

    it("ships the whole holding, leaving zero", async function () {
      const c = await loadFixture(releasedBatch);
      await c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, QUANTITY);
      expect(await c.batchRegistry.holding(c.batchId, MAKER)).to.equal(0n);
      await expect(c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, MAKER, 0n, 1n);
      await expectConserved(c, c.batchId);
    });

    it("lets a pharmacy ship stock back to the wholesaler", async function () {
      const c = await loadFixture(distributedBatch);
      await move(c, c.pharmacy, WHOLESALER, c.wholesaler, 5n);
      expect(await holdings(c, [WHOLESALER, PHARMACY])).to.deep.equal([45n, 15n]);
      await expectConserved(c, c.batchId);
    });

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, maker } = await loadFixture(releasedBatch);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(maker).ship(unknown, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    it("reverts when the batch is not released", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(productionBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotReleased")
        .withArgs(batchId);
    });

    it("ships one second before expiry and reverts from the expiry on", async function () {
      const { batchRegistry, maker, batchId, expiresAt } = await loadFixture(releasedBatch);
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      await time.increase(30n * DAY);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
    });

    it("reverts when the party ships to itself", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, MAKER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistrySelfShipment")
        .withArgs(MAKER);
    });

    for (const to of [UNKNOWN, 0n, 10n, U64]) {
      it(`reverts when the receiver ${to} is not a party`, async function () {
        const { batchRegistry, registry, maker, batchId } = await loadFixture(releasedBatch);
        await expect(batchRegistry.connect(maker).ship(batchId, to, 1n))
          .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
          .withArgs(to);
      });
    }

    for (const [name, to, domain] of [
      ["laboratory", LABORATORY, Domain.Laboratory],
      ["regulator", REGULATOR, Domain.Regulator],
      ["notary", NOTARY, Domain.Notary],
    ] as const) {
      it(`reverts when the receiver is the ${name} (not a custodian domain)`, async function () {
        const { batchRegistry, registry, maker, batchId } = await loadFixture(releasedBatch);
        await expect(batchRegistry.connect(maker).ship(batchId, to, 1n))
          .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
          .withArgs(to, domain);
      });
    }

    it("reverts when the receiver is suspended or revoked", async function () {
      const { batchRegistry, registry, regulator, gov, maker, batchId } = await loadFixture(releasedBatch);
      await registry.connect(regulator).suspendParty(PHARMACY);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
      await registry.connect(gov).setPartyStatus(PHARMACY, PartyStatus.Revoked);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Revoked);
    });

    it("reverts when the receiver's licence is revoked or expired", async function () {
      const { batchRegistry, registry, regulator, maker, batchId } = await loadFixture(releasedBatch);
      await registry.connect(regulator).revokeLicence(PHARMACY, LicenceKind.Distribution);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceRevoked")
        .withArgs(PHARMACY, 1);
      const soon = BigInt(await time.latest()) + 10n * DAY;
      await registry.connect(regulator).grantLicence(LOGISTICS, { kind: LicenceKind.Distribution, documentHash: DOC, issuer: REGULATOR, expiresAt: soon });
      await time.increaseTo(soon);
      await expect(batchRegistry.connect(maker).ship(batchId, LOGISTICS, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryLicenceExpired")
        .withArgs(LOGISTICS, soon);
    });

    it("reverts when the quantity is zero", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, 0n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryZeroQuantity")
        .withArgs();
    });

    it("reverts when the quantity exceeds the holding", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, QUANTITY + 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, QUANTITY, QUANTITY + 1n);
      await expect(batchRegistry.connect(maker).ship(batchId, WHOLESALER, U48))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, QUANTITY, U48);
    });

    it("reverts when the sender holds none of the batch", async function () {
      const { batchRegistry, logistics, batchId } = await loadFixture(releasedBatch);
      await expect(batchRegistry.connect(logistics).ship(batchId, WHOLESALER, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, LOGISTICS, 0n, 1n);
    });

    it("reverts when the quantity exceeds the available stock: locked units cannot be shipped", async function () {
      const c = await loadFixture(lockedUnit);
      const { batchRegistry, wholesaler, batchId } = c;
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 40n, locked: 1n, shipments: 1n }));
      await expect(batchRegistry.connect(wholesaler).ship(batchId, PHARMACY, 40n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, WHOLESALER, 39n, 40n);
      await batchRegistry.connect(wholesaler).ship(batchId, PHARMACY, 39n);
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 1n, inTransit: 39n, locked: 1n, shipments: 2n }));
      await expect(batchRegistry.connect(wholesaler).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, WHOLESALER, 0n, 1n);
      await expectConserved(c, batchId);
    });

    for (const [title, subject] of [
      ["its own state", (c: BatchCtx) => c.batchId],
      ["its product's state", () => productSubject(GTIN)],
    ] as const) {
      it(`reverts while the batch is halted by ${title}, naming the halting state`, async function () {
        const c = await loadFixture(releasedBatch);
        await stop(c, subject(c));
        await expect(c.batchRegistry.connect(c.maker).ship(c.batchId, WHOLESALER, 1n))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(c.batchId, EMERGENCY_STOP);
        expect(await custodyOf(c.batchRegistry, c.batchId, MAKER)).to.deep.equal(custody({ held: QUANTITY }));
      });
    }

    it("does not count stock in transit as held (the sender cannot ship it twice)", async function () {
      const { batchRegistry, maker, batchId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker).ship(batchId, PHARMACY, 71n))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, MAKER, 70n, 71n);
    });

    itRejectsCallers(
      releasedBatch,
      [
        ...custodianCases<BatchCtx>(MAKER, "maker's admin", (c) => c.maker),
        wrongRole("the maker's QA", (c) => c.makerQa, Role.QA),
      ],
      (c, s) => c.batchRegistry.connect(s).ship(c.batchId, WHOLESALER, 1n),
    );
  });
  describe("receiveShipment", function () {
    it("credits the receiver, closes the shipment as Received and emits ShipmentClosed", async function () {
      const c = await loadFixture(openShipment);
      const { batchRegistry, wholesaler, batchId, shipmentId } = c;
      const shippedAt = (await shipmentOf(batchRegistry, shipmentId)).shippedAt;
      const tx = await batchRegistry.connect(wholesaler).receiveShipment(batchId, shipmentId);
      await expectEvents(batchRegistry, tx, [
        ["ShipmentClosed", [shipmentId, batchId, WHOLESALER, ShipmentStatus.Received, 30n, wholesaler.address]],
      ]);
      expect(await shipmentOf(batchRegistry, shipmentId)).to.deep.equal({
        from: MAKER,
        to: WHOLESALER,
        quantity: 30n,
        seq: 0n,
        shippedAt,
        status: ShipmentStatus.Received,
      });
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([70n, 30n]);
      // It leaves the sender's in-transit stock for the receiver's held stock.
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 70n, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 30n }));
      expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY, inTransit: 0n });
    });

    it("takes each received shipment off its own sender's in-transit stock only", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, maker, wholesaler, pharmacy, batchId } = c;
      await batchRegistry.connect(maker).ship(batchId, PHARMACY, 10n);
      await batchRegistry.connect(wholesaler).ship(batchId, PHARMACY, 7n);
      await batchRegistry.connect(pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n));
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: 30n, inTransit: 10n, shipments: 2n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({ held: 33n, shipments: 2n }));
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 27n }));
      expect(await expectConserved(c, batchId)).to.deep.include({ inTransit: 10n });
    });

    it("reverts while the batch is halted, leaving the shipment open and in the sender's in-transit stock", async function () {
      const c = await loadFixture(openShipment);
      await stop(c, c.batchId);
      await expect(c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, EMERGENCY_STOP);
      expect((await shipmentOf(c.batchRegistry, c.shipmentId)).status).to.equal(ShipmentStatus.InTransit);
      expect(await custodyOf(c.batchRegistry, c.batchId, MAKER)).to.deep.equal(custody({ held: 70n, inTransit: 30n, shipments: 1n }));
      await expectConserved(c, c.batchId);
    });

    it("lets another admin or operator of the receiver receive", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, maker, pharmacyOperator, batchId } = c;
      await batchRegistry.connect(maker).ship(batchId, PHARMACY, 7n);
      const id = shipmentIdOf(batchId, MAKER, 0n);
      const tx = await batchRegistry.connect(pharmacyOperator).receiveShipment(batchId, id);
      await expectEvents(batchRegistry, tx, [["ShipmentClosed", [id, batchId, PHARMACY, ShipmentStatus.Received, 7n, pharmacyOperator.address]]]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(7n);
    });

    it("credits a shipment whose batch expired in transit", async function () {
      const c = await loadFixture(openShipment);
      await time.increaseTo(c.expiresAt + DAY);
      await c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId);
      expect(await c.batchRegistry.holding(c.batchId, WHOLESALER)).to.equal(30n);
      await expectConserved(c, c.batchId);
    });

    it("reverts when the sender tries to receive", async function () {
      const { batchRegistry, maker, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker).receiveShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, MAKER);
    });

    it("reverts when a third party tries to receive", async function () {
      const { batchRegistry, pharmacy, logistics, batchId, shipmentId } = await loadFixture(openShipment);
      for (const [s, party] of [
        [pharmacy, PHARMACY],
        [logistics, LOGISTICS],
      ] as const) {
        await expect(batchRegistry.connect(s).receiveShipment(batchId, shipmentId))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
          .withArgs(shipmentId, party);
      }
    });

    for (const [title, close, status] of closings()) {
      it(`reverts on a shipment already ${title}`, async function () {
        const c = await loadFixture(openShipment);
        await close(c);
        await expect(c.batchRegistry.connect(c.wholesaler).receiveShipment(c.batchId, c.shipmentId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.shipmentId, status);
      });
    }

    itRejectsUnknownShipments((c, s, batchId, shipmentId) => c.batchRegistry.connect(s).receiveShipment(batchId, shipmentId), (c) => c.wholesaler);

    itRejectsCallers(
      openShipment,
      [
        ...custodianCases<ShipmentCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
        wrongRole("the wholesaler's QA", (c) => c.wholesalerQa, Role.QA),
      ],
      (c, s) => c.batchRegistry.connect(s).receiveShipment(c.batchId, c.shipmentId),
    );
  });
  describe("cancelShipment", function () {
    it("returns the stock to the sender, closes the shipment as Cancelled and emits ShipmentClosed", async function () {
      const c = await loadFixture(openShipment);
      const { batchRegistry, makerOperator, batchId, shipmentId } = c;
      const tx = await batchRegistry.connect(makerOperator).cancelShipment(batchId, shipmentId);
      await expectEvents(batchRegistry, tx, [
        ["ShipmentClosed", [shipmentId, batchId, MAKER, ShipmentStatus.Cancelled, 30n, makerOperator.address]],
      ]);
      expect((await shipmentOf(batchRegistry, shipmentId)).status).to.equal(ShipmentStatus.Cancelled);
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([QUANTITY, 0n]);
      // Out of the sender's in-transit stock, back into its held stock.
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: QUANTITY, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({}));
      expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY, inTransit: 0n });
    });

    it("cancels while the batch is halted: the stock comes back to the sender for a recall", async function () {
      const c = await loadFixture(openShipment);
      await stop(c, c.batchId);
      const tx = await c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId);
      await expectEvents(c.batchRegistry, tx, [
        ["ShipmentClosed", [c.shipmentId, c.batchId, MAKER, ShipmentStatus.Cancelled, 30n, c.maker.address]],
      ]);
      expect(await custodyOf(c.batchRegistry, c.batchId, MAKER)).to.deep.equal(custody({ held: QUANTITY, shipments: 1n }));
      await expectConserved(c, c.batchId);
    });

    it("cancels after the batch expired", async function () {
      const c = await loadFixture(openShipment);
      await time.increaseTo(c.expiresAt);
      await c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId);
      expect(await c.batchRegistry.holding(c.batchId, MAKER)).to.equal(QUANTITY);
    });

    it("reverts when the receiver tries to cancel", async function () {
      const { batchRegistry, wholesaler, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(wholesaler).cancelShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, WHOLESALER);
    });

    it("reverts when a third party tries to cancel", async function () {
      const { batchRegistry, maker2, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker2).cancelShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, MAKER2);
    });

    for (const [title, close, status] of closings()) {
      it(`reverts on a shipment already ${title}`, async function () {
        const c = await loadFixture(openShipment);
        await close(c);
        await expect(c.batchRegistry.connect(c.maker).cancelShipment(c.batchId, c.shipmentId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.shipmentId, status);
      });
    }

    itRejectsUnknownShipments((c, s, batchId, shipmentId) => c.batchRegistry.connect(s).cancelShipment(batchId, shipmentId), (c) => c.maker);

    itRejectsCallers(
      openShipment,
      [...custodianCases<ShipmentCtx>(MAKER, "maker's admin", (c) => c.maker), wrongRole("the maker's QA", (c) => c.makerQa, Role.QA)],
      (c, s) => c.batchRegistry.connect(s).cancelShipment(c.batchId, c.shipmentId),
    );
  });
  describe("rejectShipment", function () {
    it("returns the stock to the sender, closes the shipment as Rejected and emits ShipmentClosed", async function () {
      const c = await loadFixture(openShipment);
      const { batchRegistry, wholesaler, batchId, shipmentId } = c;
      const tx = await batchRegistry.connect(wholesaler).rejectShipment(batchId, shipmentId);
      await expectEvents(batchRegistry, tx, [
        ["ShipmentClosed", [shipmentId, batchId, MAKER, ShipmentStatus.Rejected, 30n, wholesaler.address]],
      ]);
      expect((await shipmentOf(batchRegistry, shipmentId)).status).to.equal(ShipmentStatus.Rejected);
      expect(await holdings(c, [MAKER, WHOLESALER])).to.deep.equal([QUANTITY, 0n]);
      // Out of the sender's in-transit stock, back into its held stock; nothing to the receiver.
      expect(await custodyOf(batchRegistry, batchId, MAKER)).to.deep.equal(custody({ held: QUANTITY, shipments: 1n }));
      expect(await custodyOf(batchRegistry, batchId, WHOLESALER)).to.deep.equal(custody({}));
      expect(await expectConserved(c, batchId)).to.deep.include({ held: QUANTITY, inTransit: 0n });
    });

    it("rejects while the batch is halted (its product's state): the stock goes back to the sender", async function () {
      const c = await loadFixture(openShipment);
      await stop(c, productSubject(GTIN));
      const tx = await c.batchRegistry.connect(c.wholesaler).rejectShipment(c.batchId, c.shipmentId);
      await expectEvents(c.batchRegistry, tx, [
        ["ShipmentClosed", [c.shipmentId, c.batchId, MAKER, ShipmentStatus.Rejected, 30n, c.wholesaler.address]],
      ]);
      expect(await custodyOf(c.batchRegistry, c.batchId, MAKER)).to.deep.equal(custody({ held: QUANTITY, shipments: 1n }));
      expect(await custodyOf(c.batchRegistry, c.batchId, WHOLESALER)).to.deep.equal(custody({}));
      await expectConserved(c, c.batchId);
    });

    it("reverts when the sender tries to reject", async function () {
      const { batchRegistry, maker, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(maker).rejectShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, MAKER);
    });

    it("reverts when a third party tries to reject", async function () {
      const { batchRegistry, hospital, batchId, shipmentId } = await loadFixture(openShipment);
      await expect(batchRegistry.connect(hospital).rejectShipment(batchId, shipmentId))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotShipmentParty")
        .withArgs(shipmentId, HOSPITAL);
    });

    for (const [title, close, status] of closings()) {
      it(`reverts on a shipment already ${title}`, async function () {
        const c = await loadFixture(openShipment);
        await close(c);
        await expect(c.batchRegistry.connect(c.wholesaler).rejectShipment(c.batchId, c.shipmentId))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryShipmentClosed")
          .withArgs(c.shipmentId, status);
      });
    }

    itRejectsUnknownShipments((c, s, batchId, shipmentId) => c.batchRegistry.connect(s).rejectShipment(batchId, shipmentId), (c) => c.wholesaler);

    itRejectsCallers(
      openShipment,
      [
        ...custodianCases<ShipmentCtx>(WHOLESALER, "wholesaler's admin", (c) => c.wholesaler),
        wrongRole("the wholesaler's QA", (c) => c.wholesalerQa, Role.QA),
      ],
      (c, s) => c.batchRegistry.connect(s).rejectShipment(c.batchId, c.shipmentId),
    );
  });
  describe("dispense", function () {
    it("dispenses an active unit: one less in stock, the unit Dispensed, UnitStatusChanged", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      const unit = tree.unit(batchId, 3n);
      expect(await batchRegistry.connect(pharmacy).dispense.staticCall(unit)).to.equal(false);
      const tx = await batchRegistry.connect(pharmacy).dispense(unit);
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Active, UnitStatus.Dispensed, pharmacy.address]],
      ]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(19n);
      expect(await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 1n]);
      expect(await unitOf(batchRegistry, batchId, 3n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at: await timestampOf(tx) });
      expect(await verdictOf(batchRegistry, unit)).to.deep.equal([UnitVerdict.Dispensed, PHARMACY]);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
      // Counted for the party and for the batch.
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
      expect((await batchOf(batchRegistry, batchId)).dispensed).to.equal(1n);
      expect(await expectConserved(c, batchId)).to.deep.include({ dispensed: 1n, held: QUANTITY - 1n });
    });

    it("lets a hospital and a pharmacy operator dispense", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, hospital, pharmacyOperator, batchId, tree } = c;
      const tx = await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 0n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 0n, HOSPITAL, tree.hashOf(0n), UnitStatus.Active, UnitStatus.Dispensed, hospital.address]],
      ]);
      const tx2 = await batchRegistry.connect(pharmacyOperator).dispense(tree.unit(batchId, 1n));
      await expectEvents(batchRegistry, tx2, [
        ["UnitStatusChanged", [batchId, 1n, PHARMACY, tree.hashOf(1n), UnitStatus.Active, UnitStatus.Dispensed, pharmacyOperator.address]],
      ]);
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([9n, 19n]);
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([1n, 1n]);
      await expectConserved(c, batchId);
    });

    it("dispenses until the stock runs out, then reverts", async function () {
      const c = await loadFixture(releasedBatch);
      await move(c, c.maker, PHARMACY, c.pharmacy, 2n);
      await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 0n));
      await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 1n));
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 2n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(c.batchId, PHARMACY, 0n, 1n);
      await expectConserved(c, c.batchId);
    });

    it("takes from the available stock: a dispenser whose stock is all locked cannot dispense", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      await move(c, c.maker, PHARMACY, pharmacy, 2n);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked);
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 1n));
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 1n, dispensed: 1n, locked: 1n }));
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 2n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, PHARMACY, 0n, 1n);
      expect(await unitOf(batchRegistry, batchId, 2n)).to.deep.equal(ACTIVE_RECORD);
      await expectConserved(c, batchId);
    });

    it("reverts when the dispenser holds none of the batch", async function () {
      const { batchRegistry, hospital, batchId, tree } = await loadFixture(distributedBatch);
      await expect(batchRegistry.connect(hospital).dispense(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInsufficientStock")
        .withArgs(batchId, HOSPITAL, 0n, 1n);
    });

    describe("a unit that is no longer active (suspect)", function () {
      async function expectSuspect(
        c: BatchCtx,
        by: Signer,
        reporter: bigint,
        index: bigint,
        status: number,
        recordedParty: bigint,
        reportNo: bigint,
      ): Promise<void> {
        const { batchRegistry, batchId, tree } = c;
        const unit = tree.unit(batchId, index);
        const before = {
          batch: await batchOf(batchRegistry, batchId),
          held: await holdings(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          dispensed: await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          record: await unitOf(batchRegistry, batchId, index),
        };
        expect(await batchRegistry.connect(by).dispense.staticCall(unit)).to.equal(true);
        const tx = await batchRegistry.connect(by).dispense(unit);
        await expectEvents(batchRegistry, tx, [
          ["SuspectUnitReported", [batchId, index, reporter, tree.hashOf(index), status, recordedParty, reportNo, by.address]],
        ]);
        expect({
          batch: await batchOf(batchRegistry, batchId),
          held: await holdings(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          dispensed: await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY]),
          record: await unitOf(batchRegistry, batchId, index),
        }).to.deep.equal(before);
        expect(await batchRegistry.suspectReportCount(batchId)).to.equal(reportNo);
        await expectConserved(c, batchId);
      }

      it("reports a second dispense at the same pharmacy and changes nothing", async function () {
        const c = await loadFixture(dispensedUnit);
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        await expectSuspect(c, c.pharmacyOperator, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 2n);
      });

      it("reports it at another dispenser holding no stock of the batch, naming the first dispenser", async function () {
        const c = await loadFixture(dispensedUnit);
        expect(await c.batchRegistry.holding(c.batchId, HOSPITAL)).to.equal(0n);
        await expectSuspect(c, c.hospital, HOSPITAL, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 2n);
        await expectSuspect(c, c.hospital, HOSPITAL, 3n, UnitStatus.Dispensed, PHARMACY, 3n);
      });

      it("reports a destroyed unit, naming the party that destroyed it", async function () {
        const c = await loadFixture(distributedBatch);
        await c.batchRegistry.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 7n), UnitStatus.Destroyed);
        await expectSuspect(c, c.pharmacy, PHARMACY, 7n, UnitStatus.Destroyed, WHOLESALER, 1n);
      });

      it("reports a stolen unit, naming the party that reported the theft", async function () {
        const c = await loadFixture(distributedBatch);
        await c.batchRegistry.connect(c.makerOperator).decommission(c.tree.unit(c.batchId, 9n), UnitStatus.Stolen);
        await expectSuspect(c, c.hospital, HOSPITAL, 9n, UnitStatus.Stolen, MAKER, 1n);
      });

      it("reports a unit already dispensed after the batch expired (a clone of an expired batch)", async function () {
        const c = await loadFixture(dispensedUnit);
        await time.increaseTo(c.expiresAt);
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        await time.increase(365n * DAY);
        await expectSuspect(c, c.hospital, HOSPITAL, 3n, UnitStatus.Dispensed, PHARMACY, 2n);
        expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 3n))).to.deep.equal([UnitVerdict.Dispensed, PHARMACY]);
      });

      it("reports a unit destroyed in a batch still in production (a clone of an unreleased batch)", async function () {
        const c = await loadFixture(productionBatch);
        await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Destroyed);
        expect(await c.batchRegistry.holding(c.batchId, PHARMACY)).to.equal(0n);
        await expectSuspect(c, c.pharmacy, PHARMACY, 2n, UnitStatus.Destroyed, MAKER, 1n);
        expect((await batchOf(c.batchRegistry, c.batchId)).status).to.equal(BatchStatus.Production);
      });

      it("reports a stolen unit of a batch in production after its expiry", async function () {
        const c = await loadFixture(productionBatch);
        await c.batchRegistry.connect(c.maker).decommission(c.tree.unit(c.batchId, 4n), UnitStatus.Stolen);
        await time.increaseTo(c.expiresAt + DAY);
        await expectSuspect(c, c.hospital, HOSPITAL, 4n, UnitStatus.Stolen, MAKER, 1n);
      });

      it("counts reports per batch", async function () {
        const c = await loadFixture(dispensedUnit);
        const other = UnitTree.sequential(GTIN, 4, "B");
        await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }, other));
        const otherId = batchIdOf(GTIN, "LOT-2");
        await inspect(c.batchRegistry, c.makerQa, otherId);
        await c.batchRegistry.connect(c.makerQa).releaseBatch(otherId);
        await c.batchRegistry.connect(c.maker).ship(otherId, PHARMACY, 1n);
        await c.batchRegistry.connect(c.pharmacy).receiveShipment(otherId, shipmentIdOf(otherId, MAKER, 0n));
        await c.batchRegistry.connect(c.pharmacy).dispense(other.unit(otherId, 3n));
        await expectSuspect(c, c.pharmacy, PHARMACY, 3n, UnitStatus.Dispensed, PHARMACY, 1n);
        const tx = await c.batchRegistry.connect(c.hospital).dispense(other.unit(otherId, 3n));
        await expectEvents(c.batchRegistry, tx, [
          ["SuspectUnitReported", [otherId, 3n, HOSPITAL, other.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, c.hospital.address]],
        ]);
        expect(await c.batchRegistry.suspectReportCount(c.batchId)).to.equal(1n);
        expect(await c.batchRegistry.suspectReportCount(otherId)).to.equal(1n);
      });
    });

    it("reverts on a locked unit", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(lockedUnit);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 5n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnitLocked")
        .withArgs(batchId, 5n);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(20n);
    });

    itRejectsInvalidProofs(distributedBatch, (c, unit) => c.batchRegistry.connect(c.pharmacy).dispense(unit));

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(distributedBatch);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(pharmacy).dispense({ ...tree.unit(batchId, 3n), batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    for (const [title, subject] of [
      ["its own state", (c: BatchCtx) => c.batchId],
      ["its product's state", () => productSubject(GTIN)],
    ] as const) {
      it(`reverts on an active unit while the batch is halted by ${title}`, async function () {
        const c = await loadFixture(distributedBatch);
        await stop(c, subject(c));
        await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 4n)))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
          .withArgs(c.batchId, EMERGENCY_STOP);
        expect(await custodyOf(c.batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 20n }));
      });
    }

    it("reports a unit already dispensed while the batch is halted (a clone is reported whatever the state)", async function () {
      const c = await loadFixture(dispensedUnit);
      await stop(c, c.batchId);
      const tx = await c.batchRegistry.connect(c.hospital).dispense(c.tree.unit(c.batchId, 3n));
      await expectEvents(c.batchRegistry, tx, [
        ["SuspectUnitReported", [c.batchId, 3n, HOSPITAL, c.tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, c.hospital.address]],
      ]);
      await expectConserved(c, c.batchId);
    });

    it("reverts when the batch is not released", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(productionBatch);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotReleased")
        .withArgs(batchId);
    });

    it("dispenses an active unit one second before the batch's expiry and reverts from the expiry on", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, batchId, tree, expiresAt } = c;
      await time.setNextBlockTimestamp(expiresAt - 1n);
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 5n));
      await time.setNextBlockTimestamp(expiresAt);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 4n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      await time.increase(30n * DAY);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 4n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryBatchExpired")
        .withArgs(batchId, expiresAt);
      expect(await unitOf(batchRegistry, batchId, 4n)).to.deep.equal(ACTIVE_RECORD);
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([2n]);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
    });

    it("reports a unit already dispensed, rather than reverting, after the batch expired", async function () {
      const { batchRegistry, pharmacy, batchId, tree, expiresAt } = await loadFixture(dispensedUnit);
      await time.setNextBlockTimestamp(expiresAt);
      const tx = await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["SuspectUnitReported", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, PHARMACY, 1n, pharmacy.address]],
      ]);
    });

    it("reverts on a locked unit before the batch checks (in production, or expired)", async function () {
      const c = await loadFixture(lockedUnit);
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "LOT-2" }));
      const unreleased = batchIdOf(GTIN, "LOT-2");
      await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(unreleased, 1n), UnitStatus.Locked);
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(unreleased, 1n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnitLocked")
        .withArgs(unreleased, 1n);
      await time.increaseTo(c.expiresAt + DAY);
      await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 5n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUnitLocked")
        .withArgs(c.batchId, 5n);
      expect(await c.batchRegistry.suspectReportCount(c.batchId)).to.equal(0n);
      expect(await c.batchRegistry.suspectReportCount(unreleased)).to.equal(0n);
    });

    it("reverts on the caller, an unknown batch or a bad proof before reading the unit's record", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, registry, wholesaler, pharmacy, batchId, tree, expiresAt } = c;
      await time.increaseTo(expiresAt);
      const unit = tree.unit(batchId, 3n);
      await expect(batchRegistry.connect(wholesaler).dispense(unit))
        .to.be.revertedWithCustomError(registry, "RegistryDomainNotAllowed")
        .withArgs(WHOLESALER, Domain.Wholesaler);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(pharmacy).dispense({ ...unit, batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
      await expect(batchRegistry.connect(pharmacy).dispense({ ...unit, unitHash: ethers.id("counterfeit code") }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidProof")
        .withArgs(batchId, 3n);
      expect(await batchRegistry.suspectReportCount(batchId)).to.equal(0n);
    });

    it("reverts on any proof for an unserialised batch", async function () {
      const c = await loadFixture(distributedBatch);
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "PLAIN", unitsRoot: ethers.ZeroHash, unitCount: 0n }));
      const plain = batchIdOf(GTIN, "PLAIN");
      await inspect(c.batchRegistry, c.makerQa, plain);
      await c.batchRegistry.connect(c.makerQa).releaseBatch(plain);
      await c.batchRegistry.connect(c.maker).ship(plain, PHARMACY, 5n);
      await c.batchRegistry.connect(c.pharmacy).receiveShipment(plain, shipmentIdOf(plain, MAKER, 0n));
      for (const proof of [[], c.tree.proofOf(0n)]) {
        await expect(c.batchRegistry.connect(c.pharmacy).dispense({ batchId: plain, index: 0n, unitHash: c.tree.hashOf(0n), proof }))
          .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryInvalidProof")
          .withArgs(plain, 0n);
      }
    });

    itRejectsCallers(distributedBatch, dispenserCases<BatchCtx>(), (c, s) => c.batchRegistry.connect(s).dispense(c.tree.unit(c.batchId, 3n)));
  });
  describe("undoDispense", function () {
    it("restores the stock and the unit within the window and emits UnitStatusChanged", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, batchId, tree } = c;
      const unit = tree.unit(batchId, 3n);
      const tx = await batchRegistry.connect(pharmacy).undoDispense(unit);
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, UnitStatus.Active, pharmacy.address]],
      ]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(20n);
      expect(await dispensedBy(c, [MAKER, WHOLESALER, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 0n]);
      expect(await unitOf(batchRegistry, batchId, 3n)).to.deep.equal({ status: UnitStatus.Active, party: PHARMACY, at: await timestampOf(tx) });
      expect(await verdictOf(batchRegistry, unit)).to.deep.equal([UnitVerdict.Genuine, PHARMACY]);
      expect(await custodyOf(batchRegistry, batchId, PHARMACY)).to.deep.equal(custody({ held: 20n }));
      expect((await batchOf(batchRegistry, batchId)).dispensed).to.equal(0n);
      expect(await expectConserved(c, batchId)).to.deep.include({ dispensed: 0n, held: QUANTITY });
      // The unit can be dispensed again, normally.
      expect(await batchRegistry.connect(pharmacy).dispense.staticCall(unit)).to.equal(false);
    });

    it("lets another admin or operator of the dispensing party undo", async function () {
      const { batchRegistry, pharmacyOperator, batchId, tree } = await loadFixture(dispensedUnit);
      const tx = await batchRegistry.connect(pharmacyOperator).undoDispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Dispensed, UnitStatus.Active, pharmacyOperator.address]],
      ]);
    });

    it("undoes at the deadline exactly (dispensedAt + window)", async function () {
      const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await time.setNextBlockTimestamp(dispensedAt + UNDO_WINDOW);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      expect((await unitOf(batchRegistry, batchId, 3n)).status).to.equal(UnitStatus.Active);
    });

    it("reverts one second after the deadline, with the deadline", async function () {
      const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await time.setNextBlockTimestamp(dispensedAt + UNDO_WINDOW + 1n);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt + UNDO_WINDOW);
    });

    it("reverts long after the window closed, with the same deadline", async function () {
      const { batchRegistry, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await time.increase(30n * DAY);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt + UNDO_WINDOW);
    });

    it("measures the window set now, not the one at dispense time", async function () {
      const { batchRegistry, pharmacy, gov, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await batchRegistry.connect(gov).setDispenseUndoWindow(3600n);
      await time.setNextBlockTimestamp(dispensedAt + 3601n);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt + 3600n);
      await batchRegistry.connect(gov).setDispenseUndoWindow(2n * 3600n);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
    });

    it("reverts when the window is zero, a second after the dispense, with the dispense time as the deadline", async function () {
      const c = await loadFixture(distributedBatch);
      await c.batchRegistry.connect(c.gov).setDispenseUndoWindow(0n);
      const tx = await c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 1n));
      const at = await timestampOf(tx);
      await time.setNextBlockTimestamp(at + 1n);
      await expect(c.batchRegistry.connect(c.pharmacy).undoDispense(c.tree.unit(c.batchId, 1n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(c.batchId, 1n, at);
    });

    it("reverts when the window is zero, even in the block of the dispense", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, gov, pharmacy, batchId, tree } = c;
      await batchRegistry.connect(gov).setDispenseUndoWindow(0n);
      const unit = tree.unit(batchId, 1n);
      const at = BigInt(await time.latest()) + 100n;
      // Both transactions in one block: block.timestamp is the dispense time itself.
      const [dispenseTx, undoTx] = await inOneBlock(at, [
        () => batchRegistry.connect(pharmacy).dispense(unit, { gasLimit: 500_000n }),
        () => batchRegistry.connect(pharmacy).undoDispense(unit, { gasLimit: 500_000n }),
      ]);
      expect(dispenseTx.status).to.equal(1);
      expect(undoTx.status).to.equal(0);
      expect(dispenseTx.blockNumber).to.equal(undoTx.blockNumber);
      const error = batchRegistry.interface.parseError(await revertDataOf(undoTx.hash));
      expect([error?.name, ...(error?.args.toArray() ?? [])]).to.deep.equal(["BatchRegistryUndoWindowClosed", batchId, 1n, at]);
      expect(await unitOf(batchRegistry, batchId, 1n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at });
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([1n]);
      expect(await batchRegistry.holding(batchId, PHARMACY)).to.equal(19n);
    });

    it("undoes again once a non-zero window is set (the window applies to past dispenses)", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, gov, pharmacy, batchId, tree, dispensedAt } = c;
      await batchRegistry.connect(gov).setDispenseUndoWindow(0n);
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUndoWindowClosed")
        .withArgs(batchId, 3n, dispensedAt);
      await batchRegistry.connect(gov).setDispenseUndoWindow(UNDO_WINDOW);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      expect(await dispensedBy(c, [PHARMACY])).to.deep.equal([0n]);
    });

    it("undoes on the last second of a 30-day window", async function () {
      const { batchRegistry, gov, pharmacy, batchId, tree, dispensedAt } = await loadFixture(dispensedUnit);
      await batchRegistry.connect(gov).setDispenseUndoWindow(MAX_UNDO_WINDOW);
      await time.setNextBlockTimestamp(dispensedAt + MAX_UNDO_WINDOW);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      expect((await unitOf(batchRegistry, batchId, 3n)).status).to.equal(UnitStatus.Active);
    });

    it("takes each undo off its own party's count only", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, pharmacy, hospital, batchId, tree } = c;
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 1n));
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 2n));
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([1n, 2n]);
      await batchRegistry.connect(hospital).undoDispense(tree.unit(batchId, 2n));
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([0n, 2n]);
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([10n, 18n]);
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 0n));
      expect(await dispensedBy(c, [HOSPITAL, PHARMACY])).to.deep.equal([0n, 1n]);
      expect(await holdings(c, [HOSPITAL, PHARMACY])).to.deep.equal([10n, 19n]);
      await expectConserved(c, batchId);
    });

    it("reverts when another dispenser tries to undo, naming the dispensing party", async function () {
      const { batchRegistry, hospital, batchId, tree } = await loadFixture(dispensedUnit);
      await expect(batchRegistry.connect(hospital).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryNotUnitParty")
        .withArgs(batchId, 3n, PHARMACY);
    });

    it("reverts on a unit that is not dispensed (active, destroyed, stolen, locked, already undone)", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, pharmacy, wholesaler, batchId, tree } = c;
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 8n), UnitStatus.Destroyed);
      await batchRegistry.connect(wholesaler).decommission(tree.unit(batchId, 9n), UnitStatus.Stolen);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 10n), UnitStatus.Locked);
      for (const [index, status] of [
        [0n, UnitStatus.Active],
        [8n, UnitStatus.Destroyed],
        [9n, UnitStatus.Stolen],
        [10n, UnitStatus.Locked],
      ] as const) {
        await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, index)))
          .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
          .withArgs(batchId, index, status, UnitStatus.Active);
      }
      await batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n));
      await expect(batchRegistry.connect(pharmacy).undoDispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryInvalidUnitTransition")
        .withArgs(batchId, 3n, UnitStatus.Active, UnitStatus.Active);
    });

    it("reverts while the batch is halted, leaving the unit dispensed", async function () {
      const c = await loadFixture(dispensedUnit);
      await stop(c, c.batchId);
      await expect(c.batchRegistry.connect(c.pharmacy).undoDispense(c.tree.unit(c.batchId, 3n)))
        .to.be.revertedWithCustomError(c.batchRegistry, "BatchRegistryHalted")
        .withArgs(c.batchId, EMERGENCY_STOP);
      expect(await unitOf(c.batchRegistry, c.batchId, 3n)).to.deep.equal({ status: UnitStatus.Dispensed, party: PHARMACY, at: c.dispensedAt });
      expect(await custodyOf(c.batchRegistry, c.batchId, PHARMACY)).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
    });

    itRejectsInvalidProofs(dispensedUnit, (c, unit) => c.batchRegistry.connect(c.pharmacy).undoDispense(unit), 3n);

    it("reverts when the batch is unknown", async function () {
      const { batchRegistry, pharmacy, batchId, tree } = await loadFixture(dispensedUnit);
      const unknown = batchIdOf(GTIN2, LOT);
      await expect(batchRegistry.connect(pharmacy).undoDispense({ ...tree.unit(batchId, 3n), batchId: unknown }))
        .to.be.revertedWithCustomError(batchRegistry, "BatchRegistryUnknownBatch")
        .withArgs(unknown);
    });

    itRejectsCallers(dispensedUnit, dispenserCases<DispensedCtx>(), (c, s) => c.batchRegistry.connect(s).undoDispense(c.tree.unit(c.batchId, 3n)));
  });
  describe("verify", function () {
    it("answers Unknown (party 0) for an unknown batch", async function () {
      const { batchRegistry, batchId, tree } = await loadFixture(dispensedUnit);
      expect(await verdictOf(batchRegistry, { ...tree.unit(batchId, 3n), batchId: batchIdOf(GTIN2, LOT) })).to.deep.equal([UnitVerdict.Unknown, 0n]);
      expect(await verdictOf(batchRegistry, { ...tree.unit(batchId, 3n), batchId: ethers.ZeroHash })).to.deep.equal([UnitVerdict.Unknown, 0n]);
    });

    it("answers Unknown (party 0) for a bad proof, even of a dispensed unit", async function () {
      const { batchRegistry, batchId, tree } = await loadFixture(dispensedUnit);
      const good = tree.unit(batchId, 3n);
      const other = UnitTree.sequential(GTIN, UNITS, "X");
      for (const bad of [
        { ...good, unitHash: ethers.id("forged") },
        { ...good, index: 4n },
        { ...good, proof: tree.proofOf(4n) },
        { ...good, proof: [] },
        { ...good, proof: [...good.proof as string[], ethers.ZeroHash] },
        other.unit(batchId, 3n),
      ]) {
        expect(await verdictOf(batchRegistry, bad)).to.deep.equal([UnitVerdict.Unknown, 0n]);
      }
    });

    it("answers Unreleased for a batch in production", async function () {
      const { batchRegistry, batchId, tree } = await loadFixture(productionBatch);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
    });

    it("answers Unreleased for a batch in production, even after its expiry", async function () {
      const { batchRegistry, batchId, tree, expiresAt } = await loadFixture(productionBatch);
      await time.increaseTo(expiresAt + DAY);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
    });

    it("answers Genuine for an active unit of a released batch, then Expired once it expired", async function () {
      const { batchRegistry, batchId, tree, expiresAt } = await loadFixture(releasedBatch);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 15n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      await time.increaseTo(expiresAt - 10n);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 15n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      await time.increaseTo(expiresAt);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 15n))).to.deep.equal([UnitVerdict.Expired, 0n]);
    });

    it("answers the unit's status and the party that set it: Dispensed, Destroyed, Stolen, Locked", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry, hospital, maker, wholesalerQa, pharmacy, batchId, tree } = c;
      await batchRegistry.connect(hospital).dispense(tree.unit(batchId, 0n));
      await batchRegistry.connect(maker).decommission(tree.unit(batchId, 1n), UnitStatus.Destroyed);
      await batchRegistry.connect(wholesalerQa).decommission(tree.unit(batchId, 2n), UnitStatus.Stolen);
      await batchRegistry.connect(pharmacy).decommission(tree.unit(batchId, 3n), UnitStatus.Locked);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Dispensed, HOSPITAL]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 1n))).to.deep.equal([UnitVerdict.Destroyed, MAKER]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 2n))).to.deep.equal([UnitVerdict.Stolen, WHOLESALER]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 3n))).to.deep.equal([UnitVerdict.Locked, PHARMACY]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 4n))).to.deep.equal([UnitVerdict.Genuine, 0n]);
      // The unit's own status wins over the batch's expiry.
      await time.increaseTo(c.expiresAt + DAY);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 0n))).to.deep.equal([UnitVerdict.Dispensed, HOSPITAL]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 3n))).to.deep.equal([UnitVerdict.Locked, PHARMACY]);
      expect(await verdictOf(batchRegistry, tree.unit(batchId, 4n))).to.deep.equal([UnitVerdict.Expired, 0n]);
    });

    it("answers the unit's status over the batch's production state", async function () {
      const c = await loadFixture(productionBatch);
      await c.batchRegistry.connect(c.makerQa).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Locked);
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 2n))).to.deep.equal([UnitVerdict.Locked, MAKER]);
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 1n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
    });

    it("answers Genuine with the last party after an undo or a reactivation", async function () {
      const c = await loadFixture(dispensedUnit);
      await c.batchRegistry.connect(c.pharmacy).undoDispense(c.tree.unit(c.batchId, 3n));
      expect(await verdictOf(c.batchRegistry, c.tree.unit(c.batchId, 3n))).to.deep.equal([UnitVerdict.Genuine, PHARMACY]);
    });

    it("answers for a unit whose proof is the root itself (a one-unit batch)", async function () {
      const c = await loadFixture(registeredProduct);
      const single = UnitTree.sequential(GTIN, 1, "ONE");
      expect(single.root).to.equal(leafOf(0n, single.hashOf(0n)));
      await c.batchRegistry.connect(c.maker).createBatch(await batchInput({ lot: "ONE" }, single));
      const id = batchIdOf(GTIN, "ONE");
      expect(await verdictOf(c.batchRegistry, single.unit(id, 0n))).to.deep.equal([UnitVerdict.Unreleased, 0n]);
      expect(single.proofOf(0n)).to.deep.equal([]);
    });
  });
  describe("called at the implementation's own address (no ledger there)", function () {
    async function direct(c: Ctx) {
      const word = await ethers.provider.getStorage(await c.batchRegistry.getAddress(), IMPLEMENTATION_SLOT);
      const address = ethers.getAddress(ethers.dataSlice(word, 12));
      return { address, ledger: await ledgerAt(address) };
    }

    it("reverts every custody write with BatchRegistryDirectCall, before any membership check", async function () {
      const c = await loadFixture(dispensedUnit);
      const { ledger } = await direct(c);
      const id = shipmentIdOf(c.batchId, MAKER, 0n);
      const writes: [string, (s: Signer) => Promise<unknown>][] = [
        ["ship", (s) => ledger.connect(s).ship(c.batchId, PHARMACY, 1n)],
        ["receiveShipment", (s) => ledger.connect(s).receiveShipment(c.batchId, id)],
        ["cancelShipment", (s) => ledger.connect(s).cancelShipment(c.batchId, id)],
        ["rejectShipment", (s) => ledger.connect(s).rejectShipment(c.batchId, id)],
        ["dispense", (s) => ledger.connect(s).dispense(c.tree.unit(c.batchId, 4n))],
        ["undoDispense", (s) => ledger.connect(s).undoDispense(c.tree.unit(c.batchId, 3n))],
      ];
      for (const [name, send] of writes) {
        for (const signer of [c.maker, c.wholesaler, c.pharmacy, c.stranger]) {
          await expect(send(signer), `${name} by ${signer.address}`).to.be.revertedWithCustomError(ledger, "BatchRegistryDirectCall").withArgs();
        }
      }
    });

    it("reverts every routed call with BatchRegistryDirectCall, views included, and an unknown selector too", async function () {
      const c = await loadFixture(distributedBatch);
      const { address, ledger } = await direct(c);
      const quality = await ethers.getContractAt("IQualityEngine", address);
      const collaboration = await ethers.getContractAt("ICollaborationEngine", address);
      const suspects = await ethers.getContractAt("ISuspectProduct", address);
      const calls: [string, () => Promise<unknown>][] = [
        ["registerProduct", () => ledger.connect(c.maker).registerProduct(GTIN2, NAME, APPROVAL, 0n)],
        ["approveProduct", () => ledger.connect(c.regulator).approveProduct(GTIN2, MAKER, ethers.ZeroHash)],
        ["createBatch", async () => ledger.connect(c.maker).createBatch(await batchInput({ lot: "SHADOW" }))],
        ["decommission", () => ledger.connect(c.wholesaler).decommission(c.tree.unit(c.batchId, 2n), UnitStatus.Locked)],
        ["restoreUnit", () => ledger.connect(c.regulator).restoreUnit(c.tree.unit(c.batchId, 2n))],
        ["setDispenseUndoWindow", () => ledger.connect(c.gov).setDispenseUndoWindow(1n)],
        ["getProduct", () => ledger.getProduct(GTIN)],
        ["custody", () => ledger.custody(c.batchId, MAKER)],
        ["observe", () => quality.connect(c.makerQa).observe({
          subject: c.batchId,
          point: 5n,
          result: 0n,
          temperature: -32768n,
          humidity: 65535n,
          corrects: 0n,
          evidenceHash: ethers.ZeroHash,
          evidenceUri: "",
        })],
        ["rulesOf", () => quality.rulesOf(GTIN)],
        ["transition", () => collaboration.connect(c.regulator).transition(c.batchId, 1, "shadow")],
        ["stateGraph", () => collaboration.stateGraph()],
        ["suspectCount", () => suspects.suspectCount(c.batchId)],
        ["an unknown selector", () => c.stranger.sendTransaction({ to: address, data: "0xdeadbeef" })],
      ];
      for (const [name, call] of calls) {
        await expect(call(), name).to.be.revertedWithCustomError(ledger, "BatchRegistryDirectCall").withArgs();
      }
    });

    it("answers its own views there: verify finds no batch, modules and registry as built", async function () {
      const c = await loadFixture(distributedBatch);
      const { ledger } = await direct(c);
      expect(await verdictOf(ledger, c.tree.unit(c.batchId, 3n))).to.deep.equal([UnitVerdict.Unknown, 0n]);
      expect(await ledger.modules()).to.deep.equal(await c.batchRegistry.modules());
      expect(await ledger.engine()).to.equal(await c.batchRegistry.engine());
      expect(await ledger.registry()).to.equal(await c.registry.getAddress());
    });
  });

  describe("registry", function () {
    it("answers the consortium registry the implementation was built with", async function () {
      const { batchRegistry, registry } = await loadFixture(supplyParties);
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
      expect(await registry.mirrors()).to.deep.equal([await batchRegistry.getAddress()]);
    });

    it("answers the stub registry for a BatchRegistry built over it", async function () {
      const { batchRegistry, stub } = await loadFixture(stubbedRegistry);
      expect(await batchRegistry.registry()).to.equal(stub);
    });
  });
  describe("mirroredMember", function () {
    it("holds every founder's primary admin after the deployment, as the registry records it", async function () {
      const c = await loadFixture(supplyParties);
      for (const [i, admin] of c.admins.entries()) {
        const expected = { partyId: BigInt(i + 1), role: Role.Admin, status: MemberStatus.Active };
        expect(await registryMemberOf(c, admin.address), `registry: admin of ${i + 1}`).to.deep.equal(expected);
        expect(await mirroredMemberOf(c.batchRegistry, admin.address), `mirror: admin of ${i + 1}`).to.deep.equal(expected);
      }
    });

    it("holds the members added after the deployment (pushed by the registry)", async function () {
      const c = await loadFixture(supplyParties);
      for (const [signer, partyId, role] of [
        [c.maker2, MAKER2, Role.Admin],
        [c.makerOperator, MAKER, Role.Operator],
        [c.makerQa, MAKER, Role.QA],
        [c.makerDevice, MAKER, Role.Device],
        [c.maker2Qa, MAKER2, Role.QA],
        [c.wholesalerQa, WHOLESALER, Role.QA],
        [c.pharmacyOperator, PHARMACY, Role.Operator],
        [c.pharmacyQa, PHARMACY, Role.QA],
        [c.pharmacyDevice, PHARMACY, Role.Device],
      ] as const) {
        const expected = { partyId, role, status: MemberStatus.Active };
        expect(await mirroredMemberOf(c.batchRegistry, signer.address), signer.address).to.deep.equal(expected);
        expect(await registryMemberOf(c, signer.address), signer.address).to.deep.equal(expected);
      }
    });

    it("answers an empty record for an account that is no member", async function () {
      const { batchRegistry, stranger, deployer, gov, registry } = await loadFixture(supplyParties);
      for (const account of [stranger.address, deployer.address, gov.address, await registry.getAddress(), ethers.ZeroAddress]) {
        expect(await mirroredMemberOf(batchRegistry, account), account).to.deep.equal(NO_MEMBER);
      }
    });

    it("follows a removal, and the BatchRegistry then refuses the account", async function () {
      const c = await loadFixture(supplyParties);
      await c.registry.connect(c.maker).removeMember(MAKER, c.makerOperator.address);
      expect(await mirroredMemberOf(c.batchRegistry, c.makerOperator.address)).to.deep.equal({
        partyId: MAKER,
        role: Role.Operator,
        status: MemberStatus.Removed,
      });
      await expect(c.batchRegistry.connect(c.makerOperator).registerProduct(GTIN, NAME, APPROVAL, 0n))
        .to.be.revertedWithCustomError(c.registry, "RegistryNotMember")
        .withArgs(c.makerOperator.address);
    });
  });
  describe("mirroredParty", function () {
    it("holds every founder party after the deployment, as the registry records it", async function () {
      const c = await loadFixture(supplyParties);
      expect(await mirroredPartyOf(c.batchRegistry, REGULATOR)).to.deep.equal({
        domain: Domain.Regulator,
        status: PartyStatus.Active,
        revokedLicences: 0n,
        licencesValidUntil: U48,
      });
      for (const [partyId, domain] of [
        [MAKER, Domain.Manufacturer],
        [WHOLESALER, Domain.Wholesaler],
        [HOSPITAL, Domain.Hospital],
        [LOGISTICS, Domain.Logistics],
        [PHARMACY, Domain.Pharmacy],
        [LABORATORY, Domain.Laboratory],
        [NOTARY, Domain.Notary],
        [MAKER2, Domain.Manufacturer],
      ] as const) {
        const expected = { domain, status: PartyStatus.Active, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY };
        expect(await mirroredPartyOf(c.batchRegistry, partyId), `party ${partyId}`).to.deep.equal(expected);
        expect(await registryGateOf(c, partyId), `party ${partyId}`).to.deep.equal(expected);
      }
    });

    it("answers an empty record for an unknown party", async function () {
      const { batchRegistry } = await loadFixture(supplyParties);
      for (const partyId of [0n, 10n, UNKNOWN, U64]) expect(await mirroredPartyOf(batchRegistry, partyId)).to.deep.equal(NO_PARTY);
    });

    it("follows a suspension and a licence revocation, as the registry records them", async function () {
      const c = await loadFixture(supplyParties);
      await c.registry.connect(c.regulator).suspendParty(PHARMACY);
      await c.registry.connect(c.regulator).revokeLicence(WHOLESALER, LicenceKind.Distribution);
      for (const partyId of [PHARMACY, WHOLESALER]) {
        expect(await mirroredPartyOf(c.batchRegistry, partyId)).to.deep.equal(await registryGateOf(c, partyId));
      }
      expect((await mirroredPartyOf(c.batchRegistry, PHARMACY)).status).to.equal(PartyStatus.Suspended);
      expect((await mirroredPartyOf(c.batchRegistry, WHOLESALER)).revokedLicences).to.equal(1n);
    });
  });
  describe("mirrorMember", function () {
    it("stores the record the registry pushes and emits MemberMirrored; the checks read it", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, pharmacy, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      // The mirror, not the registry, answers: a QA record here makes the pharmacy's admin a QA member.
      const tx = await batchRegistry.connect(asRegistry).mirrorMember(pharmacy.address, { partyId: PHARMACY, role: Role.QA, status: MemberStatus.Active });
      await expectEvents(batchRegistry, tx, [["MemberMirrored", [pharmacy.address, PHARMACY, Role.QA, MemberStatus.Active]]]);
      expect(await mirroredMemberOf(batchRegistry, pharmacy.address)).to.deep.equal({ partyId: PHARMACY, role: Role.QA, status: MemberStatus.Active });
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(registry, "RegistryRoleNotAllowed")
        .withArgs(pharmacy.address, Role.QA);
    });

    it("falls back to the registry for an account the mirror holds no record of", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, pharmacy, stranger, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      await batchRegistry.connect(asRegistry).mirrorMember(pharmacy.address, { partyId: 0n, role: Role.None, status: MemberStatus.None });
      expect(await mirroredMemberOf(batchRegistry, pharmacy.address)).to.deep.equal(NO_MEMBER);
      const tx = await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await expectEvents(batchRegistry, tx, [
        ["UnitStatusChanged", [batchId, 3n, PHARMACY, tree.hashOf(3n), UnitStatus.Active, UnitStatus.Dispensed, pharmacy.address]],
      ]);
      // And the registry's own errors for an account it does not know either.
      await expect(batchRegistry.connect(stranger).dispense(tree.unit(batchId, 4n)))
        .to.be.revertedWithCustomError(registry, "RegistryNotMember")
        .withArgs(stranger.address);
    });

    for (const [title, pick] of [
      ["a non-member", (c: Ctx) => c.stranger],
      ["the deployer (the registry's bootstrapper)", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["the regulator's admin", (c: Ctx) => c.regulator],
      ["the member itself", (c: Ctx) => c.pharmacy],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(supplyParties);
        const caller = pick(c);
        await expect(c.batchRegistry.connect(caller).mirrorMember(c.pharmacy.address, { partyId: PHARMACY, role: Role.Admin, status: MemberStatus.Active }))
          .to.be.revertedWithCustomError(c.batchRegistry, "MirrorOnlyRegistry")
          .withArgs(caller.address);
      });
    }

    it("reverts when called by the BatchRegistry implementation, or by the proxy itself", async function () {
      const c = await loadFixture(supplyParties);
      for (const address of [await c.batchRegistry.getAddress(), await (await newImplementation(c)).getAddress()]) {
        const caller = await impersonate(address);
        await expect(c.batchRegistry.connect(caller).mirrorMember(c.stranger.address, { partyId: PHARMACY, role: Role.Admin, status: MemberStatus.Active }))
          .to.be.revertedWithCustomError(c.batchRegistry, "MirrorOnlyRegistry")
          .withArgs(address);
      }
      expect(await mirroredMemberOf(c.batchRegistry, c.stranger.address)).to.deep.equal(NO_MEMBER);
    });
  });
  describe("mirrorParty", function () {
    it("stores the gate the registry pushes and emits PartyMirrored; the checks read it", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, pharmacy, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      const gate = { domain: Domain.Pharmacy, status: PartyStatus.Suspended, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY };
      const tx = await batchRegistry.connect(asRegistry).mirrorParty(PHARMACY, gate);
      await expectEvents(batchRegistry, tx, [["PartyMirrored", [PHARMACY, Domain.Pharmacy, PartyStatus.Suspended, 0n, LICENCE_EXPIRY]]]);
      expect(await mirroredPartyOf(batchRegistry, PHARMACY)).to.deep.equal(gate);
      // The registry still says active; the mirror decides.
      expect((await registryGateOf(c, PHARMACY)).status).to.equal(PartyStatus.Active);
      await expect(batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n)))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
      await expect(batchRegistry.connect(c.maker).ship(batchId, PHARMACY, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryPartyNotActive")
        .withArgs(PHARMACY, PartyStatus.Suspended);
    });

    it("falls back to the registry for a party the mirror holds no record of", async function () {
      const c = await loadFixture(distributedBatch);
      const { batchRegistry, registry, maker, pharmacy, batchId, tree } = c;
      const asRegistry = await impersonate(await registry.getAddress());
      await batchRegistry.connect(asRegistry).mirrorParty(PHARMACY, NO_PARTY);
      expect(await mirroredPartyOf(batchRegistry, PHARMACY)).to.deep.equal(NO_PARTY);
      await batchRegistry.connect(pharmacy).dispense(tree.unit(batchId, 3n));
      await batchRegistry.connect(maker).ship(batchId, PHARMACY, 1n);
      // The registry's own errors: an unknown receiver.
      await expect(batchRegistry.connect(maker).ship(batchId, UNKNOWN, 1n))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownParty")
        .withArgs(UNKNOWN);
    });

    for (const [title, pick] of [
      ["a non-member", (c: Ctx) => c.stranger],
      ["the deployer (the registry's bootstrapper)", (c: Ctx) => c.deployer],
      ["the governor", (c: Ctx) => c.gov],
      ["the regulator's admin", (c: Ctx) => c.regulator],
      ["the party's own admin", (c: Ctx) => c.pharmacy],
    ] as const) {
      it(`reverts when called by ${title}`, async function () {
        const c = await loadFixture(supplyParties);
        const caller = pick(c);
        await expect(
          c.batchRegistry
            .connect(caller)
            .mirrorParty(PHARMACY, { domain: Domain.Pharmacy, status: PartyStatus.Revoked, revokedLicences: 0n, licencesValidUntil: LICENCE_EXPIRY }),
        )
          .to.be.revertedWithCustomError(c.batchRegistry, "MirrorOnlyRegistry")
          .withArgs(caller.address);
        expect((await mirroredPartyOf(c.batchRegistry, PHARMACY)).status).to.equal(PartyStatus.Active);
      });
    }
  });
  describe("upgradeToAndCall", function () {
    it("lets the governor upgrade, keeping every record", async function () {
      const c = await loadFixture(dispensedUnit);
      const { batchRegistry, gov, batchId, tree } = c;
      await batchRegistry.connect(c.wholesaler).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      await batchRegistry.connect(c.maker).ship(batchId, LOGISTICS, 3n);
      await batchRegistry.connect(c.maker2).registerProduct(GTIN2, "Other", "H2", 0n);
      const proxy = await batchRegistry.getAddress();
      const uups = await uupsOf(c);
      const snapshot = async () => ({
        product: await productOf(batchRegistry, GTIN),
        national: await batchRegistry.productOfNationalCode(NATIONAL),
        batch: await batchOf(batchRegistry, batchId),
        held: await holdings(c, [MAKER, WHOLESALER, LOGISTICS, PHARMACY]),
        custody: await Promise.all([MAKER, WHOLESALER, LOGISTICS, PHARMACY].map((p) => custodyOf(batchRegistry, batchId, p))),
        application: await batchRegistry.productApplication(GTIN2, MAKER2),
        shipment: await shipmentOf(batchRegistry, shipmentIdOf(batchId, MAKER, 1n)),
        units: await Promise.all([3n, 4n, 5n].map((i) => unitOf(batchRegistry, batchId, i))),
        window: await batchRegistry.dispenseUndoWindow(),
        registry: await batchRegistry.registry(),
      });
      const before = await snapshot();
      const next = await newImplementation(c);
      const tx = await uups.connect(gov).upgradeToAndCall(await next.getAddress(), "0x");
      await expectEvents(uups, tx, [["Upgraded", [await next.getAddress()]]]);
      const word = await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT);
      expect(ethers.getAddress(ethers.dataSlice(word, 12))).to.equal(await next.getAddress());
      expect(await snapshot()).to.deep.equal(before);
      // The proxy now routes to the new implementation's code objects.
      expect(await batchRegistry.modules()).to.deep.equal(await next.modules());
      // And it still works.
      expect(await batchRegistry.connect(c.pharmacy).dispense.staticCall(tree.unit(batchId, 3n))).to.equal(true);
      await batchRegistry.connect(c.pharmacy).dispense(tree.unit(batchId, 4n));
    });

    it("runs the call data as the governor (e.g. setDispenseUndoWindow)", async function () {
      const c = await loadFixture(supplyParties);
      const { batchRegistry, gov } = c;
      const uups = await uupsOf(c);
      const next = await newImplementation(c);
      const data = batchRegistry.interface.encodeFunctionData("setDispenseUndoWindow", [60n]);
      const tx = await uups.connect(gov).upgradeToAndCall(await next.getAddress(), data);
      await expectEvents(uups, tx, [
        ["Upgraded", [await next.getAddress()]],
        ["DispenseUndoWindowSet", [60n]],
      ]);
      expect(await batchRegistry.dispenseUndoWindow()).to.equal(60n);
    });

    it("reverts when the new implementation is not UUPS", async function () {
      const c = await loadFixture(supplyParties);
      const { gov, registry } = c;
      const batchRegistry = await uupsOf(c);
      // A mirror of the same registry (so it passes the registry check) without UUPS.
      const probe = await ethers.deployContract("MembershipMirrorProbe", [await registry.getAddress()]);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await probe.getAddress(), "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "ERC1967InvalidImplementation")
        .withArgs(await probe.getAddress());
    });

    it("reverts when the new implementation mirrors another registry", async function () {
      const c = await loadFixture(supplyParties);
      const { gov, registry, stranger } = c;
      const batchRegistry = await uupsOf(c);
      const other = await deployBatchRegistryImplementation(stranger.address);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await other.getAddress(), "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
        .withArgs(await other.getAddress(), await registry.getAddress());
      expect(await batchRegistry.registry()).to.equal(await registry.getAddress());
    });

    it("reverts when the new implementation is no mirror at all", async function () {
      const c = await loadFixture(supplyParties);
      const { gov, registry } = c;
      const batchRegistry = await uupsOf(c);
      const probe = await ethers.deployContract("MembershipCheckProbe", [await registry.getAddress()]);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await probe.getAddress(), "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
        .withArgs(await probe.getAddress(), await registry.getAddress());
    });

    it("reverts when the new implementation has no code", async function () {
      const c = await loadFixture(supplyParties);
      const { gov, registry, stranger } = c;
      const batchRegistry = await uupsOf(c);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(stranger.address, "0x"))
        .to.be.revertedWithCustomError(batchRegistry, "MirrorRegistryChanged")
        .withArgs(stranger.address, await registry.getAddress());
    });

    it("reverts when value is sent without call data", async function () {
      const c = await loadFixture(supplyParties);
      const { gov } = c;
      const batchRegistry = await uupsOf(c);
      const next = await newImplementation(c);
      await expect(batchRegistry.connect(gov).upgradeToAndCall(await next.getAddress(), "0x", { value: 1n }))
        .to.be.revertedWithCustomError(batchRegistry, "ERC1967NonPayable")
        .withArgs();
    });

    it("reverts on the implementation (not through a proxy)", async function () {
      const c = await loadFixture(supplyParties);
      const implementation = await newImplementation(c);
      const { gov } = c;
      await expect(implementation.connect(gov).upgradeToAndCall(await implementation.getAddress(), "0x"))
        .to.be.revertedWithCustomError(implementation, "UUPSUnauthorizedCallContext")
        .withArgs();
    });

    itRejectsCallers(supplyParties, notGovernorCases<Ctx>(), async (c, s) => {
      const next = await newImplementation(c);
      return (await uupsOf(c)).connect(s).upgradeToAndCall(await next.getAddress(), "0x");
    });
  });
  describe("proxiableUUID", function () {
    it("answers the ERC-1967 slot on the implementation and reverts through the proxy", async function () {
      const c = await loadFixture(supplyParties);
      const batchRegistry = await uupsOf(c);
      const implementation = await newImplementation(c);
      expect(await implementation.proxiableUUID()).to.equal(IMPLEMENTATION_SLOT);
      await expect(batchRegistry.proxiableUUID()).to.be.revertedWithCustomError(batchRegistry, "UUPSUnauthorizedCallContext").withArgs();
      expect(await batchRegistry.UPGRADE_INTERFACE_VERSION()).to.equal("5.0.0");
    });
  });
  describe("party id widths (SafeCast), reachable only through a stub registry", function () {
    it("reverts when a shipment's receiver id does not fit in 48 bits, and accepts 2^48 − 1", async function () {
      const c = await loadFixture(stubbedRegistry);
      const { batchRegistry: br, maker, batchId } = c;
      const safeCast = await ethers.getContractFactory("BatchRegistry");
      await expect(br.connect(maker).ship(batchId, 2n ** 48n, 1n))
        .to.be.revertedWithCustomError(safeCast, "SafeCastOverflowedUintDowncast")
        .withArgs(48, 2n ** 48n);
      await br.connect(maker).ship(batchId, U48, 1n);
      expect((await shipmentOf(br, shipmentIdOf(batchId, 2n, 2n))).to).to.equal(U48);
    });

    it("reverts when a manufacturer's id does not fit in 24 bits (a batch keeps it in 24), and accepts 2^24 − 1", async function () {
      const c = await loadFixture(stubbedRegistry);
      const { batchRegistry: br, regulator, wideMaker, spare } = c;
      const safeCast = await ethers.getContractFactory("ProductRegistry");
      // The product was registered: its holder is kept in 64 bits.
      expect((await br.getProduct(GTIN2)).holder).to.equal(2n ** 48n);
      await expect(br.connect(wideMaker).createBatch(await batchInput({ gtin: GTIN2 })))
        .to.be.revertedWithCustomError(safeCast, "SafeCastOverflowedUintDowncast")
        .withArgs(24, 2n ** 48n);
      // A manufacturer at 2^24 and one at 2^24 − 1 (the spare signer, seated in turn; the
      // stub then answers that party id as a manufacturer).
      const stub = await ethers.getContractAt("ConsortiumRegistryStub", c.stub);
      await stub.seat(spare.address, 2n ** 24n, Domain.Manufacturer);
      await registerProduct(br, spare, regulator, 10012345678902n, NAME, APPROVAL, 0n);
      await expect(br.connect(spare).createBatch(await batchInput({ gtin: 10012345678902n })))
        .to.be.revertedWithCustomError(safeCast, "SafeCastOverflowedUintDowncast")
        .withArgs(24, 2n ** 24n);
      await stub.seat(spare.address, U24, Domain.Manufacturer);
      await registerProduct(br, spare, regulator, 99999999999997n, NAME, APPROVAL, 0n);
      await br.connect(spare).createBatch(await batchInput({ gtin: 99999999999997n }));
      expect((await br.getBatch(batchIdOf(99999999999997n, LOT))).manufacturer).to.equal(U24);
    });

    it("reverts when the party recorded on a unit does not fit in 24 bits, and accepts 2^24 − 1", async function () {
      const c = await loadFixture(stubbedRegistry);
      const { batchRegistry: br, widePharmacy, pharmacy, batchId, tree } = c;
      const safeCast = await ethers.getContractFactory("BatchRegistry");
      await expect(br.connect(widePharmacy).dispense(tree.unit(batchId, 0n)))
        .to.be.revertedWithCustomError(safeCast, "SafeCastOverflowedUintDowncast")
        .withArgs(24, 2n ** 24n);
      await expect(br.connect(widePharmacy).decommission(tree.unit(batchId, 0n), UnitStatus.Locked))
        .to.be.revertedWithCustomError(safeCast, "SafeCastOverflowedUintDowncast")
        .withArgs(24, 2n ** 24n);
      await br.connect(pharmacy).dispense(tree.unit(batchId, 0n));
      expect((await unitOf(br, batchId, 0n)).party).to.equal(2n ** 24n - 1n);
      expect(await custodyOf(br, batchId, 2n ** 24n)).to.deep.equal(custody({ held: 5n }));
      expect(await custodyOf(br, batchId, 2n ** 24n - 1n)).to.deep.equal(custody({ held: 4n, dispensed: 1n }));
    });

    it("checks membership through the stub (the registry fallback): it never pushes to the mirror", async function () {
      const { batchRegistry: br, pharmacy, widePharmacy, maker, batchId, tree } = await loadFixture(stubbedRegistry);
      for (const account of [maker.address, pharmacy.address, widePharmacy.address]) {
        expect(await mirroredMemberOf(br, account), account).to.deep.equal(NO_MEMBER);
      }
      for (const partyId of [2n, 2n ** 24n - 1n, 2n ** 24n]) expect(await mirroredPartyOf(br, partyId), `party ${partyId}`).to.deep.equal(NO_PARTY);
      const tx = await br.connect(pharmacy).dispense(tree.unit(batchId, 1n));
      await expectEvents(br, tx, [
        ["UnitStatusChanged", [batchId, 1n, 2n ** 24n - 1n, tree.hashOf(1n), UnitStatus.Active, UnitStatus.Dispensed, pharmacy.address]],
      ]);
      expect(await br.dispensedBy(batchId, 2n ** 24n - 1n)).to.equal(1n);
      expect((await mirroredMemberOf(br, pharmacy.address)).status).to.equal(MemberStatus.None);
    });
  });

  describe("quantity conservation", function () {
    it("holds after every step of a full custody story", async function () {
      const c = await loadFixture(releasedBatch);
      const { batchRegistry: br, batchId, tree } = c;
      const steps: [string, () => Promise<unknown>][] = [
        ["maker ships 50 to wholesaler", () => br.connect(c.maker).ship(batchId, WHOLESALER, 50n)],
        ["maker ships 10 to logistics", () => br.connect(c.maker).ship(batchId, LOGISTICS, 10n)],
        ["wholesaler receives", () => br.connect(c.wholesaler).receiveShipment(batchId, shipmentIdOf(batchId, MAKER, 0n))],
        ["logistics rejects", () => br.connect(c.logistics).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 1n))],
        ["wholesaler ships 20 to pharmacy", () => br.connect(c.wholesaler).ship(batchId, PHARMACY, 20n)],
        ["wholesaler ships 5 to hospital", () => br.connect(c.wholesaler).ship(batchId, HOSPITAL, 5n)],
        ["wholesaler cancels the hospital shipment", () => br.connect(c.wholesaler).cancelShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 1n))],
        ["pharmacy receives", () => br.connect(c.pharmacy).receiveShipment(batchId, shipmentIdOf(batchId, WHOLESALER, 0n))],
        ["pharmacy dispenses unit 0", () => br.connect(c.pharmacy).dispense(tree.unit(batchId, 0n))],
        ["pharmacy dispenses unit 1", () => br.connect(c.pharmacy).dispense(tree.unit(batchId, 1n))],
        ["hospital presents unit 0 (suspect)", () => br.connect(c.hospital).dispense(tree.unit(batchId, 0n))],
        ["pharmacy undoes unit 1", () => br.connect(c.pharmacy).undoDispense(tree.unit(batchId, 1n))],
        ["wholesaler destroys unit 2", () => br.connect(c.wholesaler).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed)],
        ["maker reports unit 3 stolen", () => br.connect(c.maker).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen)],
        ["pharmacy locks unit 4", () => br.connect(c.pharmacy).decommission(tree.unit(batchId, 4n), UnitStatus.Locked)],
        ["pharmacy ships 3 back to wholesaler", () => br.connect(c.pharmacy).ship(batchId, WHOLESALER, 3n)],
        ["pharmacy reactivates unit 4", () => br.connect(c.pharmacy).reactivate(tree.unit(batchId, 4n))],
        ["wholesaler locks unit 5", () => br.connect(c.wholesaler).decommission(tree.unit(batchId, 5n), UnitStatus.Locked)],
        ["regulator lifts the lock on unit 5", () => br.connect(c.regulator).restoreUnit(tree.unit(batchId, 5n))],
        ["regulator restores unit 2 (destroyed)", () => br.connect(c.regulator).restoreUnit(tree.unit(batchId, 2n))],
        ["regulator restores unit 3 (stolen)", () => br.connect(c.regOperator).restoreUnit(tree.unit(batchId, 3n))],
        ["pharmacy dispenses unit 6", () => br.connect(c.pharmacy).dispense(tree.unit(batchId, 6n))],
        ["regulator restores unit 6 (dispensed)", () => br.connect(c.regulator).restoreUnit(tree.unit(batchId, 6n))],
      ];
      const ledger = await expectConserved(c, batchId);
      expect(ledger).to.deep.equal({
        quantity: QUANTITY,
        held: QUANTITY,
        inTransit: 0n,
        dispensed: 0n,
        destroyed: 0n,
        lost: 0n,
        quarantined: 0n,
        suspended: 0n,
      });
      for (const [title, step] of steps) {
        await step();
        const l = await ledgerOf(c, batchId);
        expect(l.held + l.inTransit + l.dispensed + l.destroyed + l.lost + l.quarantined + l.suspended, title).to.equal(QUANTITY);
      }
      expect(await expectConserved(c, batchId)).to.deep.equal({
        quantity: QUANTITY,
        held: 96n,
        inTransit: 3n,
        dispensed: 1n,
        destroyed: 0n,
        lost: 0n,
        quarantined: 0n,
        suspended: 0n,
      });
      expect(await holdings(c, [MAKER, WHOLESALER, LOGISTICS, HOSPITAL, PHARMACY])).to.deep.equal([50n, 30n, 0n, 0n, 16n]);
      expect(await custodyOf(br, batchId, PHARMACY)).to.deep.equal(custody({ held: 16n, inTransit: 3n, dispensed: 1n, shipments: 1n }));
      expect(await custodyOf(br, batchId, WHOLESALER)).to.deep.equal(custody({ held: 30n, shipments: 2n }));
      expect(await dispensedBy(c, [MAKER, WHOLESALER, LOGISTICS, HOSPITAL, PHARMACY])).to.deep.equal([0n, 0n, 0n, 0n, 1n]);
    });
  });
  describe("replay", function () {
    it("rebuilds products, applications, batches, custody, shipments, unit records and suspect counts from the log alone", async function () {
      const c = await loadFixture(hospitalStocked);
      const { batchRegistry: br, batchId, tree } = c;
      const PENDING_GTIN = 10012345678902n;
      await registerProduct(br, c.maker2, c.regulator, GTIN2, "Other", "H2", 42n);
      await br.connect(c.maker2).registerProduct(PENDING_GTIN, "Pending", "H3", 0n);
      await br.connect(c.maker).registerProduct(PENDING_GTIN, "Pending too", "H4", 44n);
      await br.connect(c.maker).registerProduct(PENDING_GTIN, "Replaced", "H5", 45n);
      await br.connect(c.gov).reassignProduct(GTIN2, MAKER, 43n);
      await br.connect(c.pharmacy).dispense(tree.unit(batchId, 0n));
      await br.connect(c.hospital).dispense(tree.unit(batchId, 1n));
      await br.connect(c.hospital).dispense(tree.unit(batchId, 0n));
      await br.connect(c.hospital).undoDispense(tree.unit(batchId, 1n));
      await br.connect(c.wholesaler).decommission(tree.unit(batchId, 2n), UnitStatus.Destroyed);
      await br.connect(c.maker).decommission(tree.unit(batchId, 3n), UnitStatus.Stolen);
      await br.connect(c.pharmacy).decommission(tree.unit(batchId, 4n), UnitStatus.Locked);
      await br.connect(c.pharmacy).decommission(tree.unit(batchId, 5n), UnitStatus.Locked);
      await br.connect(c.pharmacy).reactivate(tree.unit(batchId, 5n));
      await br.connect(c.wholesaler).decommission(tree.unit(batchId, 9n), UnitStatus.Locked);
      await br.connect(c.wholesaler).ship(batchId, LOGISTICS, 4n);
      await br.connect(c.maker).ship(batchId, LOGISTICS, 6n);
      await br.connect(c.logistics).rejectShipment(batchId, shipmentIdOf(batchId, MAKER, 1n));
      await br.connect(c.maker).ship(batchId, HOSPITAL, 1n);
      await br.connect(c.maker).cancelShipment(batchId, shipmentIdOf(batchId, MAKER, 2n));
      await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 2n));
      await br.connect(c.regOperator).restoreUnit(tree.unit(batchId, 0n));
      await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 4n));
      await br.connect(c.regulator).restoreUnit(tree.unit(batchId, 3n));
      await br.connect(c.pharmacy).dispense(tree.unit(batchId, 7n));
      await br.connect(c.gov).setDispenseUndoWindow(1234n);

      const logs = await br.queryFilter("*" as never);
      const blockTime = new Map<number, bigint>();
      const timeOf = async (n: number) => {
        if (!blockTime.has(n)) blockTime.set(n, BigInt((await ethers.provider.getBlock(n))!.timestamp));
        return blockTime.get(n)!;
      };
      const key = (...parts: unknown[]) => parts.map(String).join("/");
      // A restoration's UnitStatusChanged is followed, in its transaction, by UnitRestored,
      // which names the party credited: find those first.
      const restorations = new Set<string>();
      for (const log of logs) {
        const parsed = br.interface.parseLog(log);
        if (parsed?.name === "UnitRestored") restorations.add(key(log.transactionHash, parsed.args.batchId, parsed.args.index));
      }
      const products = new Map<bigint, unknown[]>();
      const applications = new Map<string, unknown[]>();
      const nationalCodes = new Map<bigint, bigint>();
      const batches = new Map<string, BatchView>();
      const custodies = new Map<string, { held: bigint; inTransit: bigint; dispensed: bigint; suspended: bigint; locked: bigint; shipments: bigint }>();
      const shipments = new Map<string, ShipmentView>();
      const units = new Map<string, UnitView>();
      const suspects = new Map<string, bigint>();
      let window = 0n;
      const stock = (b: string, p: bigint) => {
        if (!custodies.has(key(b, p))) custodies.set(key(b, p), custody({}));
        return custodies.get(key(b, p))!;
      };
      for (const log of logs) {
        const parsed = br.interface.parseLog(log);
        if (parsed === null) continue;
        const a = parsed.args;
        const at = await timeOf(log.blockNumber);
        switch (parsed.name) {
          case "ProductApplied":
            applications.set(key(a.gtin, a.applicant), [a.applicant, a.nationalCode, at, a.name, a.approvalNo]);
            break;
          case "ProductRegistered":
            products.set(a.gtin, [a.holder, a.nationalCode, at, a.name, a.approvalNo]);
            applications.delete(key(a.gtin, a.holder));
            if (a.nationalCode !== 0n) nationalCodes.set(a.nationalCode, a.gtin);
            break;
          case "ProductReassigned": {
            const p = products.get(a.gtin)!;
            expect([p[0], p[1]], "the reassignment names the product as it was").to.deep.equal([a.previousHolder, a.previousNationalCode]);
            p[0] = a.holder;
            p[1] = a.nationalCode;
            if (a.previousNationalCode !== 0n) nationalCodes.delete(a.previousNationalCode);
            if (a.nationalCode !== 0n) nationalCodes.set(a.nationalCode, a.gtin);
            break;
          }
          case "BatchCreated":
            batches.set(a.batchId, {
              gtin: a.gtin,
              manufacturedAt: a.manufacturedAt,
              expiresAt: a.expiresAt,
              status: BatchStatus.Production,
              quantity: a.quantity,
              unitsRoot: a.unitsRoot,
              unitCount: a.unitCount,
              dispensed: 0n,
              destroyed: 0n,
              lost: 0n,
              manufacturer: a.manufacturer,
            });
            stock(a.batchId, a.manufacturer).held += a.quantity as bigint;
            break;
          case "BatchReleased":
            batches.get(a.batchId)!.status = BatchStatus.Released;
            break;
          case "Shipped": {
            // The event leaves out seq: it is the number of earlier Shipped events of the batch by the sender.
            const sender = stock(a.batchId, a.from);
            const seq = sender.shipments;
            sender.shipments += 1n;
            expect(shipmentIdOf(a.batchId, a.from, seq), "shipment id from the replayed seq").to.equal(a.shipmentId);
            shipments.set(a.shipmentId, { from: a.from, to: a.to, quantity: a.quantity, seq, shippedAt: at, status: ShipmentStatus.InTransit });
            sender.held -= a.quantity as bigint;
            sender.inTransit += a.quantity as bigint;
            break;
          }
          case "ShipmentClosed": {
            const s = shipments.get(a.shipmentId)!;
            s.status = Number(a.status);
            stock(a.batchId, s.from).inTransit -= a.quantity as bigint;
            stock(a.batchId, a.creditedParty).held += a.quantity as bigint;
            break;
          }
          case "UnitStatusChanged": {
            const b = batches.get(a.batchId)!;
            const k = stock(a.batchId, a.party);
            const [previous, status] = [Number(a.previous), Number(a.status)];
            units.set(key(a.batchId, a.index), { status, party: a.party, at });
            if (restorations.has(key(log.transactionHash, a.batchId, a.index))) break;
            if (status === UnitStatus.Dispensed) {
              k.held -= 1n;
              k.dispensed += 1n;
              b.dispensed += 1n;
            } else if (status === UnitStatus.Destroyed || status === UnitStatus.Stolen) {
              k.held -= 1n;
              if (status === UnitStatus.Destroyed) b.destroyed += 1n;
              else b.lost += 1n;
            } else if (status === UnitStatus.Locked) {
              k.locked += 1n;
            } else if (previous === UnitStatus.Dispensed) {
              k.held += 1n;
              k.dispensed -= 1n;
              b.dispensed -= 1n;
            } else if (previous === UnitStatus.Locked) {
              k.locked -= 1n;
            }
            break;
          }
          case "UnitRestored": {
            const b = batches.get(a.batchId)!;
            const k = stock(a.batchId, a.creditedParty);
            const previous = Number(a.previous);
            if (previous === UnitStatus.Locked) {
              k.locked -= 1n;
            } else {
              k.held += 1n;
              if (previous === UnitStatus.Dispensed) {
                k.dispensed -= 1n;
                b.dispensed -= 1n;
              } else if (previous === UnitStatus.Destroyed) {
                b.destroyed -= 1n;
              } else {
                b.lost -= 1n;
              }
            }
            break;
          }
          case "SuspectUnitReported":
            suspects.set(a.batchId, a.reportNo);
            break;
          case "DispenseUndoWindowSet":
            window = a.window;
            break;
          default:
            break;
        }
      }
      for (const [gtin, p] of products) expect(await productOf(br, gtin), `product ${gtin}`).to.deep.equal(p);
      for (const [code, gtin] of nationalCodes) expect(await br.productOfNationalCode(code)).to.equal(gtin);
      expect(await br.productOfNationalCode(42n), "the code the reassignment freed").to.equal(0n);
      for (const [gtin, applicant] of [
        [PENDING_GTIN, MAKER2],
        [PENDING_GTIN, MAKER],
        [GTIN2, MAKER2],
        [GTIN, MAKER],
      ] as const) {
        const p = await br.productApplication(gtin, applicant);
        expect([p.holder, p.nationalCode, p.registeredAt, p.name, p.approvalNo], `application ${gtin} by ${applicant}`).to.deep.equal(
          applications.get(key(gtin, applicant)) ?? [0n, 0n, 0n, "", ""],
        );
      }
      for (const [id, b] of batches) expect(await batchOf(br, id), `batch ${id}`).to.deep.equal(b);
      for (const p of [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]) {
        expect(await custodyOf(br, batchId, p), `custody of ${p}`).to.deep.equal(custodies.get(key(batchId, p)) ?? custody({}));
        expect(await br.holding(batchId, p), `holding of ${p}`).to.equal((custodies.get(key(batchId, p)) ?? custody({})).held);
      }
      for (const [id, s] of shipments) expect(await shipmentOf(br, id), `shipment ${id}`).to.deep.equal(s);
      for (let i = 0n; i < BigInt(UNITS); ++i) {
        expect(await unitOf(br, batchId, i), `unit ${i}`).to.deep.equal(units.get(key(batchId, i)) ?? ACTIVE_RECORD);
      }
      expect(await br.suspectReportCount(batchId)).to.equal(suspects.get(batchId) ?? 0n);
      expect(await br.dispenseUndoWindow()).to.equal(window);
      // The story touched what it meant to.
      expect(products.size).to.equal(2);
      expect(applications.size).to.equal(2);
      expect(restorations.size).to.equal(4);
      expect(shipments.size).to.equal(6);
      expect(units.size).to.equal(8);
      expect(suspects.get(batchId)).to.equal(1n);
      expect(custodies.get(key(batchId, PHARMACY))).to.deep.equal(custody({ held: 19n, dispensed: 1n }));
      expect(custodies.get(key(batchId, WHOLESALER))).to.deep.equal(custody({ held: 26n, inTransit: 4n, locked: 1n, shipments: 3n }));
      await expectConserved(c, batchId);
    });
  });
});
