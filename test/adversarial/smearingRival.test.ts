/**
 * Attacker: a rival manufacturer (party 9), a legitimate member, that floods the maker's
 * product (GTIN) with invented unknown-code reports ({ISuspectProduct-reportUnknownCode}),
 * hoping to bury the maker and the regulator in false counterfeit alerts, or to make the
 * product look counterfeited.
 *
 * What the design does: a report changes no stock and no state (the maker's batch still
 * trades, its product record stays as it was); every report names the party and the
 * account that made it, so the regulator lists the flood by its reporter (an indexed
 * topic) and tells it from a pharmacy's genuine alert; the reporter cannot be forged; and
 * the regulator stops the flood at once by suspending the party, whose reports then
 * revert while its past ones stay in the log under its name.
 *
 * No on-chain limit on reports, by decision: EU FMD raises an alert for every unknown
 * pack, and a limit would silence a genuine pharmacy facing a wave of counterfeits exactly
 * when the alert matters; on the permissioned chain gas is free, so a fee would not deter
 * a member either. A flood costs only noise in two lists, attributed to its sender.
 */
import { expect } from "chai";

import { unitHashOf } from "../../sdk/codes.js";
import { PartyStatus, Role, UnitVerdict } from "../../sdk/enums.js";
import { ethers, networkHelpers } from "../helpers/fixtures.js";
import { GTIN } from "../helpers/quality.js";
import { expectEvents } from "../helpers/supply.js";
import { type BatchArena, MAKER, PHARMACY, RIVAL, batchArena, ledgerView } from "./setup.js";

const { loadFixture } = networkHelpers;

const GTIN14 = GTIN.toString().padStart(14, "0");
/** The rival's invented serials of the maker's product. */
const invented = (i: number) => unitHashOf(`01${GTIN14}21SMEAR${String(i).padStart(4, "0")}`);
/** A pharmacy's genuine alert: a counterfeit box it was presented with. */
const COUNTERFEIT = unitHashOf(`01${GTIN14}21REALFAKE01`);

/** The batch arena, and the rival's flood: 256 invented codes of the maker's GTIN in one transaction, then one more. */
async function flooded(): Promise<BatchArena> {
  const c = await batchArena();
  const codes = Array.from({ length: 256 }, (_, i) => ({ codeHash: invented(i), gtin: GTIN }));
  await c.suspects.connect(c.rival).reportUnknownCodes(codes);
  await c.suspects.connect(c.rival).reportUnknownCode(invented(256), GTIN);
  return c;
}

describe("adversarial: a rival manufacturer smearing a product with unknown-code reports", function () {
  it("changes nothing of the maker's: its batch, custody, units, product record and rules stay as they were, and the batch still trades", async function () {
    const c = await loadFixture(batchArena);
    const before = [await ledgerView(c, c.batchId), [...(await c.batchRegistry.getProduct(GTIN))], [...(await c.quality.rulesOf(GTIN))]];
    const codes = Array.from({ length: 256 }, (_, i) => ({ codeHash: invented(i), gtin: GTIN }));
    await c.suspects.connect(c.rival).reportUnknownCodes(codes);
    expect([await ledgerView(c, c.batchId), [...(await c.batchRegistry.getProduct(GTIN))], [...(await c.quality.rulesOf(GTIN))]]).to.deep.equal(
      before,
    );
    // A genuine unit still verifies as genuine, and the pharmacy dispenses it.
    const [verdict] = await c.batchRegistry.verify(c.tree.unit(c.batchId, 3n));
    expect(verdict).to.equal(BigInt(UnitVerdict.Genuine));
    await expect(c.batchRegistry.connect(c.pharmacy).dispense(c.tree.unit(c.batchId, 3n))).to.emit(c.batchRegistry, "UnitStatusChanged");
  });

  it("signs every report with its own name: the rival's party and account, which no argument can change", async function () {
    const c = await loadFixture(flooded);
    const flood = await c.suspects.queryFilter(c.suspects.filters.UnknownCodeReported(undefined, GTIN));
    expect(flood).to.have.length(257);
    expect(flood.every((e) => e.args.reporter === RIVAL && e.args.actor === c.rival.address && e.args.holder === MAKER)).to.equal(true);
    expect(flood.map((e) => e.args.reportNo)).to.deep.equal(Array.from({ length: 257 }, (_, i) => BigInt(i + 1)));
    // Not through another member of its party either: a device only observes.
    const device = c.others[0];
    await c.registry.connect(c.rival).addMember(RIVAL, device.address, Role.Device);
    await expect(c.suspects.connect(device).reportUnknownCode(invented(999), GTIN))
      .to.be.revertedWithCustomError(c.registry, "RegistryRoleNotAllowed")
      .withArgs(device.address, Role.Device);
  });

  it("leaves the pharmacy's genuine alert apart: the regulator lists reports by reporter and sees it alone", async function () {
    const c = await loadFixture(flooded);
    const tx = await c.suspects.connect(c.pharmacy).reportUnknownCode(COUNTERFEIT, GTIN);
    await expectEvents(c.batchRegistry, tx, [["UnknownCodeReported", [COUNTERFEIT, GTIN, PHARMACY, MAKER, 258n, c.pharmacy.address]]]);
    const byPharmacy = await c.suspects.queryFilter(c.suspects.filters.UnknownCodeReported(undefined, undefined, PHARMACY));
    expect(byPharmacy.map((e) => [e.args.codeHash, e.args.reportNo])).to.deep.equal([[COUNTERFEIT, 258n]]);
    expect(await c.suspects.queryFilter(c.suspects.filters.UnknownCodeReported(undefined, undefined, RIVAL))).to.have.length(257);
    expect(await c.suspects.unknownCodeReportCount()).to.equal(258n);
  });

  it("is stopped by the regulator suspending the rival: its next report reverts, its past ones stay under its name", async function () {
    const c = await loadFixture(flooded);
    await c.registry.connect(c.regulator).suspendParty(RIVAL);
    await expect(c.suspects.connect(c.rival).reportUnknownCode(invented(300), GTIN))
      .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
      .withArgs(RIVAL, PartyStatus.Suspended);
    await expect(c.suspects.connect(c.rival).reportUnknownCodes([{ codeHash: invented(301), gtin: GTIN }]))
      .to.be.revertedWithCustomError(c.registry, "RegistryPartyNotActive")
      .withArgs(RIVAL, PartyStatus.Suspended);
    expect(await c.suspects.unknownCodeReportCount()).to.equal(257n);
    expect(await c.suspects.queryFilter(c.suspects.filters.UnknownCodeReported(undefined, undefined, RIVAL))).to.have.length(257);
    // Everyone else still reports, numbered on.
    await expect(c.suspects.connect(c.pharmacy).reportUnknownCode(COUNTERFEIT, GTIN))
      .to.emit(c.suspects, "UnknownCodeReported")
      .withArgs(COUNTERFEIT, GTIN, PHARMACY, MAKER, 258n, c.pharmacy.address);
  });

  it("cannot report more than 256 codes in one transaction, nor a code with no hash", async function () {
    const c = await loadFixture(batchArena);
    const codes = Array.from({ length: 257 }, (_, i) => ({ codeHash: invented(i), gtin: GTIN }));
    await expect(c.suspects.connect(c.rival).reportUnknownCodes(codes))
      .to.be.revertedWithCustomError(c.suspects, "SuspectInvalidCodeCount")
      .withArgs(257n, 256n);
    await expect(c.suspects.connect(c.rival).reportUnknownCode(ethers.ZeroHash, GTIN)).to.be.revertedWithCustomError(c.suspects, "SuspectZeroCodeHash");
    expect(await c.suspects.unknownCodeReportCount()).to.equal(0n);
  });
});
