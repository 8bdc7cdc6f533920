/**
 * Attacker: whoever holds a stolen device key of a pharmacy (a Role.Device member of
 * pharmacy two: its shelf scanner or cold-chain logger). Baskets and pallets take an admin
 * or operator of the party ({IBulkCustody}), so the key cannot dispense, undo, ship,
 * receive, reject or cancel, and once the pharmacy removes it, it is no member at all. Each
 * test asserts the exact registry error and that nothing changed.
 */
import { expect } from "chai";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { Role } from "../../sdk/enums.js";
import { networkHelpers } from "../helpers/fixtures.js";
import {
  type BasketArena,
  basketArena,
  bulkView,
  expectBulkConserved,
  palletIdOf,
} from "./bulkSetup.js";
import { PHARMACY2, WHOLESALER } from "./setup.js";

const { loadFixture } = networkHelpers;

type Line = { batchId: string; quantity: bigint };

interface DeviceArena extends BasketArena {
  /** The stolen key: a device member of pharmacy two. */
  device: HardhatEthersSigner;
  /** The wholesaler's pallet 0 to pharmacy two (LOT 2), in transit. */
  inbound: string;
  inboundLines: Line[];
  /** Pharmacy two's pallet 0 to the wholesaler (LOT 1), in transit. */
  outbound: string;
  outboundLines: Line[];
}

/** + a device of pharmacy two, and a pallet in transit each way between it and the wholesaler. */
async function deviceArena(): Promise<DeviceArena> {
  const c = await basketArena();
  const [device] = c.others;
  await c.registry.connect(c.pharmacy2).addMember(PHARMACY2, device.address, Role.Device);
  const inboundLines = [{ batchId: c.batchId, quantity: 2n }];
  const outboundLines = [{ batchId: c.batchId, quantity: 1n }];
  await c.batchRegistry.connect(c.wholesaler).shipPallet(PHARMACY2, inboundLines);
  await c.batchRegistry.connect(c.pharmacy2).shipPallet(WHOLESALER, outboundLines);
  return { ...c, device, inbound: palletIdOf(WHOLESALER, 0), inboundLines, outbound: palletIdOf(PHARMACY2, 0), outboundLines };
}

/** Every bulk call the key might try, each with arguments an admin of pharmacy two could send successfully. */
function attempts(c: DeviceArena): [string, () => Promise<unknown>][] {
  const br = c.batchRegistry.connect(c.device);
  return [
    ["dispense a basket of the pharmacy's stock", () => br.dispenseBasket([c.tree.group(c.batchId, [6n, 7n])])],
    ["re-present dispensed units to raise suspect reports", () => br.dispenseBasket([c.victimGroup])],
    ["undo the pharmacy's open basket", () => br.undoBasket(0, c.victimItems, [0n, 1n])],
    ["ship a pallet of the pharmacy's stock", () => br.shipPallet(WHOLESALER, [{ batchId: c.batchId, quantity: 5n }])],
    ["receive a pallet addressed to the pharmacy", () => br.receivePallet(c.inbound, c.inboundLines)],
    ["reject a pallet addressed to the pharmacy", () => br.rejectPallet(c.inbound, c.inboundLines)],
    ["cancel the pharmacy's pallet", () => br.cancelPallet(c.outbound, c.outboundLines)],
  ];
}

describe("Adversarial: a stolen pharmacy device key (baskets and pallets)", function () {
  it("the key can do nothing with baskets or pallets: a device is not an admin or operator", async function () {
    const c = await loadFixture(deviceArena);
    const before = await bulkView(c, [c.inbound, c.outbound]);
    for (const [title, attempt] of attempts(c)) {
      await expect(attempt(), title)
        .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
        .withArgs(c.device.address, Role.Device);
    }
    expect(await bulkView(c, [c.inbound, c.outbound])).to.deep.equal(before);
    await expectBulkConserved(c, c.batchId);
  });

  it("once the pharmacy removes the device, the key is no member at all", async function () {
    const c = await loadFixture(deviceArena);
    await c.registry.connect(c.pharmacy2).removeMember(PHARMACY2, c.device.address);
    const before = await bulkView(c, [c.inbound, c.outbound]);
    for (const [title, attempt] of attempts(c)) {
      await expect(attempt(), title).to.be.revertedWithCustomError(c.registry, "RegistryNotMember").withArgs(c.device.address);
    }
    expect(await bulkView(c, [c.inbound, c.outbound])).to.deep.equal(before);
  });

  it("the same calls by the pharmacy's admin go through: the refusals were the key's role", async function () {
    const c = await loadFixture(deviceArena);
    const own = attempts({ ...c, device: c.pharmacy2 });
    // Undo and dispense first (the undo needs the basket as it stands), then the pallets.
    for (const [, attempt] of [own[2], own[0], own[3], own[4], own[6]]) await attempt();
    // 7 held: +2 undone, −2 dispensed, −5 shipped, +2 received, +1 cancelled.
    const k = await c.batchRegistry.custody(c.batchId, PHARMACY2);
    expect([k.held, k.inTransit, k.dispensed]).to.deep.equal([5n, 5n, 2n]);
    await expectBulkConserved(c, c.batchId);
  });
});
