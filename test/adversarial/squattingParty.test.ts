/**
 * Attacker: a squatting party, admitted to the consortium under a name that is the start
 * of a rival's ("Xihu", beside "Xihu Pharma Distribution Co., Ltd."), hoping that
 * operators who name the rival as people do (`--to Xihu`) send it the rival's stock, and
 * that its shipments hide among the rival's when listed by name. A name that several
 * parties' names start with is refused, listing them all — never resolved to the one
 * whose name it equals — so a name can only ever reach the party an operator meant, or
 * nobody.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

const SQUATTER_ADMIN = "0x71bE63f3384f5fb98995898A86B02Fb2426c5788";
const GTIN = "06901234567892";
const LOT = "SQ26A";

describe("Adversarial: a party squatting on the start of a rival's name, through the CLI @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;

  before(async function () {
    node = await startLocalNode();
    const units = path.join(tmpdir(), `medstate-units-squat-${process.pid}.txt`);
    await writeFile(units, `${Array.from({ length: 10 }, (_, i) => `(01)${GTIN}(21)SQ${i}(10)${LOT}`).join("\n")}\n`);
    await node.json("system", "deploy");
    const { proposalId } = await node.json<{ proposalId: string }>(
      "party", "propose", "--name", "Xihu", "--domain", "wholesaler", "--admin", SQUATTER_ADMIN, "--from", "maker",
    );
    for (const from of ["maker", "wholesaler", "hospital", "regulator"]) await node.json("party", "vote", "--proposal", proposalId, "--from", from);
    await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g", "--approval-no", "H1", "--from", "maker");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--from", "regulator");
    await node.json(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
      "--quantity", "10", "--units", units, "--from", "maker",
    );
    await node.json("member", "add", "--party", "2", "--account", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "--role", "qa", "--from", "maker");
    await node.json("observe", "--batch", `${GTIN}/${LOT}`, "--point", "inspection", "--result", "normal", "--from", "maker-qa");
    await node.json("batch", "release", "--batch", `${GTIN}/${LOT}`, "--from", "maker-qa");
  });

  after(async function () {
    await node?.stop();
  });

  it("cannot receive stock sent to its rival by name: the name is refused as ambiguous, nothing shipped", async function () {
    await refusedWithoutChange(
      node,
      ["batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "Xihu", "--quantity", "5", "--from", "maker"],
      /^error: invalid --to "Xihu": 2 parties' names start with it \(3 Xihu Pharma Distribution Co\., Ltd\.; 8 Xihu\)$/,
    );
  });

  it("leaves every other way to name the rival working: its id, or more of its name", async function () {
    expect(await node.json("batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "Xihu Pharma", "--quantity", "5", "--from", "maker")).to.include({
      to: "3",
    });
    expect(await node.json("batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "3", "--quantity", "1", "--from", "maker")).to.include({ to: "3" });
  });

  it("cannot pass for its rival in a list filtered by name", async function () {
    await refusedWithoutChange(
      node,
      ["shipment", "list", "--incoming", "--party", "Xihu"],
      /^error: invalid --party "Xihu": 2 parties' names start with it \(3 Xihu Pharma Distribution Co\., Ltd\.; 8 Xihu\)$/,
    );
  });
});
