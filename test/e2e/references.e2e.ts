import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { batchIdOf } from "../../sdk/codes.js";
import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";

// The local address book (deploy/accounts.json) labels hardhat node's well-known
// accounts: regulator = 0, maker = 1, wholesaler = 2, pharmacy = 5, maker-qa = 9.
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const GTIN = "06901234567892";
const LOT = "L2026R";
const code = (i: number) => `(01)${GTIN}(21)RS${String(i).padStart(6, "0")}(10)${LOT}(17)280630`;

describe("people's names for things: signers, parties and batches through the CLI @e2e", function () {
  this.timeout(300_000);
  let node: LocalNode;
  const batchId = batchIdOf(GTIN, LOT);

  before(async function () {
    node = await startLocalNode();
    const unitsFile = path.join(tmpdir(), `medstate-units-refs-${process.pid}.txt`);
    await writeFile(unitsFile, `${Array.from({ length: 20 }, (_, i) => code(i)).join("\n")}\n`);
    await node.json("system", "deploy");
    await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g", "--approval-no", "H1", "--from", "maker");
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "Qiantang", "--from", "regulator");
    await node.json(
      "batch", "create", "--gtin", GTIN, "--lot", LOT, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
      "--quantity", "20", "--units", unitsFile, "--from", "maker",
    );
  });

  after(async function () {
    await node?.stop();
  });

  describe("--from", function () {
    it("takes a label of the address book and says who signed, with party, role and name", async function () {
      const result = await node.run("member", "add", "--party", "Qiantang", "--account", QA, "--role", "qa", "--from", "maker");
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout.trim()).to.equal(
        `${QA} enrolled in party 2 (Qiantang Pharmaceutical Co., Ltd.) as qa — signed by 0x7099…79C8 (admin of party 2, Qiantang Pharmaceutical Co., Ltd.)`,
      );
    });

    it("is required: a write without --from and without MEDSTATE_FROM is refused, nothing sent", async function () {
      await refusedWithoutChange(
        node,
        ["state", "stop", "--batch", `${GTIN}/${LOT}`, "--reason", "x"],
        /^error: missing --from: say who signs \(an account index, an address, or a label from deploy\/accounts\.json\), or set MEDSTATE_FROM$/,
      );
    });

    it("prints the refusal as one JSON document with --json, exit code 1", async function () {
      const before = await node.rpc<string>("eth_blockNumber");
      const result = await node.run("state", "stop", "--batch", `${GTIN}/${LOT}`, "--reason", "x", "--json");
      expect(result.code).to.equal(1);
      expect(JSON.parse(result.stdout)).to.deep.equal({
        error: {
          name: "UserError",
          args: {},
          message:
            "missing --from: say who signs (an account index, an address, or a label from deploy/accounts.json), or set MEDSTATE_FROM",
        },
      });
      expect(await node.rpc<string>("eth_blockNumber")).to.equal(before);
    });

    it("refuses an unknown label, listing the labels there are", async function () {
      await refusedWithoutChange(
        node,
        ["batch", "release", "--batch", `${GTIN}/${LOT}`, "--from", "makr"],
        /^error: invalid --from "makr": not an account index, an address, or a label of the address book \(labels: regulator, maker, wholesaler, logistics, hospital, pharmacy, lab, maker-qa, logger\)$/,
      );
    });

    it("still takes an account index and an address", async function () {
      const byIndex = await node.run("observe", "--batch", `${GTIN}/${LOT}`, "--point", "inspection", "--result", "normal", "--from", "9");
      expect(byIndex.code, byIndex.stderr).to.equal(0);
      expect(byIndex.stdout).to.include("signed by 0xa0Ee…9720 (qa of party 2, Qiantang Pharmaceutical Co., Ltd.)");
      const byAddress = await node.run("batch", "release", "--batch", `${GTIN}/${LOT}`, "--from", QA);
      expect(byAddress.code, byAddress.stderr).to.equal(0);
    });
  });

  describe("--batch", function () {
    it("takes the 0x id, GTIN/LOT, and any unit code of the batch, all alike", async function () {
      const byId = await node.json("batch", "show", "--batch", batchId);
      expect(byId).to.include({ batchId, gtin: GTIN, lot: LOT });
      expect(await node.json("batch", "show", "--batch", `${GTIN}/${LOT}`)).to.deep.equal(byId);
      expect(await node.json("batch", "show", "--batch", "6901234567892/L2026R")).to.deep.equal(byId);
      expect(await node.json("batch", "show", "--batch", code(7))).to.deep.equal(byId);
      expect(await node.json("batch", "show", "--batch", `01${GTIN}21RS000007\u001d10${LOT}`)).to.deep.equal(byId);
    });

    it("says when GTIN/LOT names no batch, or is not a batch at all", async function () {
      await refusedWithoutChange(
        node,
        ["batch", "show", "--batch", `${GTIN}/NOPE`],
        /^error: invalid --batch "06901234567892\/NOPE": no such batch on this chain \(its id would be 0x[0-9a-f]{4}…[0-9a-f]{4}\)$/,
      );
      await refusedWithoutChange(
        node,
        ["batch", "show", "--batch", "06901234567893/L1"],
        /^error: invalid --batch "06901234567893\/L1": 06901234567893 is not a valid GTIN \(check digit\)$/,
      );
      await refusedWithoutChange(
        node,
        ["batch", "show", "--batch", "lot-7"],
        /^error: invalid --batch "lot-7": expected a batch id \(0x…\), GTIN\/LOT, or a unit code of the batch$/,
      );
    });
  });

  describe("--party and --to", function () {
    it("take a unique prefix of a party's name", async function () {
      const shipped = await node.json<{ to: string; batchId: string }>(
        "batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "xihu", "--quantity", "5", "--from", "maker",
      );
      expect(shipped).to.include({ to: "3", batchId });
    });

    it("refuse a prefix several names share, naming them", async function () {
      await refusedWithoutChange(
        node,
        ["batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "Zhejiang", "--quantity", "1", "--from", "maker"],
        /^error: invalid --to "Zhejiang": 2 parties' names start with it \(1 Zhejiang Medical Products Administration; 7 Zhejiang Institute for Drug Control\)$/,
      );
      await refusedWithoutChange(
        node,
        ["member", "add", "--party", "Nobody", "--account", QA, "--from", "maker"],
        /^error: invalid --party "Nobody": no party's id or name starts with it \(`party list` shows them\)$/,
      );
    });
  });

  describe("files that cannot be written", function () {
    it("fail at once with one line, before any work", async function () {
      const started = Date.now();
      await refusedWithoutChange(
        node,
        ["audit", "export", "--batch", `${GTIN}/${LOT}`, "--format", "epcis", "--out", "/proc/nope/x.json"],
        /^error: cannot create \/proc\/nope: no such directory$/,
      );
      expect(Date.now() - started).to.be.below(30_000);
      await refusedWithoutChange(
        node,
        ["audit", "export", "--batch", `${GTIN}/${LOT}`, "--format", "epcis", "--out", "/etc/passwd/x.json"],
        /^error: cannot write \/etc\/passwd\/x\.json: a part of the path is a file, not a directory$/,
      );
    });
  });
});

describe("a default signer the operator set: MEDSTATE_FROM @e2e", function () {
  this.timeout(120_000);
  let node: LocalNode;

  before(async function () {
    node = await startLocalNode({ env: { MEDSTATE_FROM: "maker" } });
    await node.json("system", "deploy");
  });

  after(async function () {
    await node?.stop();
  });

  it("signs a write without --from as MEDSTATE_FROM names, and says so", async function () {
    const result = await node.run("member", "add", "--party", "2", "--account", QA, "--role", "qa");
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal(
      `${QA} enrolled in party 2 (Qiantang Pharmaceutical Co., Ltd.) as qa — signed by 0x7099…79C8 (admin of party 2, Qiantang Pharmaceutical Co., Ltd.)`,
    );
  });

  it("lets --from override it", async function () {
    await refusedWithoutChange(
      node,
      ["member", "add", "--party", "2", "--account", "0x71bE63f3384f5fb98995898A86B02Fb2426c5788", "--from", "pharmacy"],
      /^error: RegistryNotPartyAdmin\(/,
    );
  });
});
