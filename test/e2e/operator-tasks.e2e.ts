import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { Interface, keccak256 } from "ethers";

import { productApplicationHash } from "../../sdk/codes.js";
import { type LocalNode, refusedWithoutChange, startLocalNode } from "../helpers/cli.js";
import { QA } from "../helpers/lifecycle.js";

// The tasks issue 14 added for what the contracts could already do: batch units, shipment
// cancel and reject, licence grant and revoke, voter add and remove. Well-known accounts of
// `hardhat node` and the localhost founders: 0 the regulator's admin (party 1), 1 the
// maker's (2), 2 the wholesaler's (3), 3 the cold-chain logistics' (4), 4 the hospital's
// (5), 5 the pharmacy's (6); parties 1, 2, 3 and 5 vote (threshold 3 of 4). Account 9
// becomes the maker's QA; account 13 is never enrolled. Generic Calls need a regulator's
// approval (deploy/parameters/localhost.json: 450).
const STRANGER = "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec";
const GTIN = "06901234567892";
const LOT = "L2026A";
const CHINA_LOT = "L2026B";
const gs1 = (serial: string) => `(01)${GTIN}(21)${serial}(10)${LOT}(17)280630`;
/** China's generated verification code: (product code ‖ serial) mod 9973, as sdk/unit-files.ts documents it. */
const china = (serial: string) => `8123456${serial}${(BigInt(`8123456${serial}`) % 9973n).toString().padStart(4, "0")}`;
const HEX32 = /^0x[0-9a-f]{64}$/;
const LICENCE_VIEW = new Interface([
  "function getLicence(uint64 partyId, uint8 kind) view returns (tuple(bytes32 documentHash, uint64 issuer, uint48 expiresAt, bool revoked))",
]);

describe("the operator's missing tasks through the CLI against a hardhat node @e2e", function () {
  this.timeout(600_000);
  let node: LocalNode;
  let dir: string;
  let registry: string;
  let batchId: string;

  /** The licence record the registry holds now (read with eth_call). */
  async function licence(partyId: number, kind: number): Promise<{ documentHash: string; issuer: bigint; expiresAt: bigint; revoked: boolean }> {
    const data = LICENCE_VIEW.encodeFunctionData("getLicence", [partyId, kind]);
    const result = await node.rpc<string>("eth_call", [{ to: registry, data }, "latest"]);
    const [record] = LICENCE_VIEW.decodeFunctionResult("getLicence", result);
    return { documentHash: record.documentHash, issuer: record.issuer, expiresAt: record.expiresAt, revoked: record.revoked };
  }

  /** A refusal without --json: exit 1, nothing on stdout, exactly `error: <message>` on stderr, no block mined. */
  async function refusedWith(args: string[], message: string): Promise<void> {
    const before = await node.rpc<string>("eth_blockNumber");
    const result = await node.run(...args);
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).to.deep.equal({ code: 1, stdout: "", stderr: `error: ${message}\n` });
    expect(await node.rpc<string>("eth_blockNumber")).to.equal(before);
  }

  /** A refusal with --json: one JSON document on stdout, the same line on stderr, exit 1. */
  async function refusedAsJson(args: string[], error: { name: string; args: Record<string, string>; message: string }): Promise<void> {
    const before = await node.rpc<string>("eth_blockNumber");
    const result = await node.run(...args, "--json");
    expect(result.code, result.stderr).to.equal(1);
    expect(JSON.parse(result.stdout)).to.deep.equal({ error });
    expect(result.stderr).to.equal(`error: ${error.message}\n`);
    expect(await node.rpc<string>("eth_blockNumber")).to.equal(before);
  }

  before(async function () {
    node = await startLocalNode();
    dir = await mkdtemp(path.join(tmpdir(), "medstate-operator-"));
    const deployed = await node.json<{ contracts: Record<string, string> }>("system", "deploy");
    registry = deployed.contracts.ConsortiumRegistry;
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    await node.json("product", "register", "--gtin", GTIN, "--name", "Amoxicillin Capsules 0.25g",
      "--approval-no", "国药准字H20230001", "--national-code", "8123456", "--from", "1");
    const examined = productApplicationHash({ nationalCode: 8123456, name: "Amoxicillin Capsules 0.25g", approvalNo: "国药准字H20230001" });
    await node.json("product", "approve", "--gtin", GTIN, "--applicant", "2", "--application", examined, "--from", "0");
  });

  after(async function () {
    await node?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  describe("batch units", function () {
    it("writes the GS1 unit file of a lot, which batch create takes as it is", async function () {
      const file = path.join(dir, "units", "l2026a.txt");
      const written = await node.json("batch", "units", "--gtin", GTIN, "--lot", LOT, "--expiry", "2028-06-30", "--count", "1000",
        "--serial-prefix", "SN", "--out", file);
      expect(written).to.deep.equal({
        file,
        gtin: GTIN,
        lot: LOT,
        expiry: "2028-06-30",
        count: "1000",
        first: gs1("SN0000000"),
        last: gs1("SN0000999"),
        format: "gs1",
      });
      const lines = (await readFile(file, "utf8")).split("\n");
      expect(lines).to.have.length(1001);
      expect(lines[7]).to.equal("(01)06901234567892(21)SN0000007(10)L2026A(17)280630");
      expect(lines.slice(0, 1000)).to.deep.equal(Array.from({ length: 1000 }, (_, i) => gs1(`SN${String(i).padStart(7, "0")}`)));
      expect(lines[1000]).to.equal("");

      const created = await node.json<Record<string, string>>("batch", "create", "--gtin", GTIN, "--lot", LOT,
        "--manufactured", "2026-10-01", "--expiry", "2028-06-30", "--quantity", "1000", "--units", file, "--from", "1");
      expect(created).to.include({ gtin: GTIN, lot: LOT, unitCount: "1000", quantity: "1000" });
      batchId = created.batchId;
      expect(batchId).to.match(HEX32);
      // A release needs a normal inspection: the maker's QA records one first.
      await node.json("observe", "--batch", `${GTIN}/${LOT}`, "--point", "inspection", "--result", "normal", "--from", "9");
      await node.json("batch", "release", "--batch", `${GTIN}/${LOT}`, "--from", "9");
      expect(await node.json("unit", "verify", "--code", gs1("SN0000007"))).to.include({ verdict: "genuine", batchId });
      expect(await node.json("unit", "verify", "--code", gs1("SN0001000"))).to.include({ status: "unknown", batchId: null });
    });

    it("writes China's 20-digit codes, taking the product code from the chain, for another lot", async function () {
      const file = path.join(dir, "l2026b.txt");
      expect(
        await node.json("batch", "units", "--gtin", GTIN, "--lot", CHINA_LOT, "--expiry", "2028-12-31", "--count", "20",
          "--first", "100", "--format", "china", "--out", file),
      ).to.deep.equal({
        file,
        gtin: GTIN,
        lot: CHINA_LOT,
        expiry: "2028-12-31",
        count: "20",
        first: china("000000100"),
        last: china("000000119"),
        format: "china",
      });
      expect(await readFile(file, "utf8")).to.equal(Array.from({ length: 20 }, (_, i) => `${china(String(100 + i).padStart(9, "0"))}\n`).join(""));
      const created = await node.json<Record<string, string>>("batch", "create", "--gtin", GTIN, "--lot", CHINA_LOT,
        "--manufactured", "2026-10-01", "--expiry", "2028-12-31", "--quantity", "20", "--units", file, "--from", "1");
      expect(created).to.include({ lot: CHINA_LOT, unitCount: "20" });
    });

    it("prints what it wrote and how to create the batch", async function () {
      const file = path.join(dir, "human.txt");
      const result = await node.run("batch", "units", "--gtin", GTIN, "--lot", "L2027A", "--expiry", "2029-01-31", "--count", "1", "--out", file);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.equal("");
      expect(result.stdout).to.equal(
        `wrote 1 unit code of GTIN ${GTIN}, lot L2027A, expiry 2029-01-31 to ${file} ` +
          `((01)${GTIN}(21)L2027A0000000(10)L2027A(17)290131 … (01)${GTIN}(21)L2027A0000000(10)L2027A(17)290131); ` +
          `create the batch with \`batch create --gtin ${GTIN} --lot L2027A --expiry 2029-01-31 --units ${file} …\`\n`,
      );
    });

    it("refuses bad input with one line, writing nothing", async function () {
      const file = path.join(dir, "never.txt");
      const base = ["batch", "units", "--gtin", GTIN, "--lot", LOT, "--expiry", "2028-06-30", "--count", "10", "--out", file];
      const withOption = (option: string, value: string) => {
        const args = [...base];
        args[args.indexOf(option) + 1] = value;
        return args;
      };
      await refusedWithoutChange(node, withOption("--gtin", "06901234567893"), /^error: invalid GTIN "06901234567893": check digit is 3, expected 2$/);
      await refusedWithoutChange(node, withOption("--expiry", "2028-02-30"), /^error: invalid --expiry "2028-02-30": expected a date YYYY-MM-DD$/);
      await refusedWithoutChange(node, withOption("--count", "1e3"), /^error: invalid --count "1e3": expected a whole number of at least 1$/);
      await refusedWithoutChange(node, withOption("--count", "0"), /^error: invalid --count "0": expected a whole number of at least 1$/);
      await refusedWithoutChange(
        node,
        [...withOption("--count", "100000"), "--serial-prefix", "ABCDEFGHIJKLMNOP"],
        /^error: serials of "ABCDEFGHIJKLMNOP" and up to 5 digits \(the last index is 99999\) have 21 characters; GS1 allows at most 20: give a shorter --serial-prefix$/,
      );
      await refusedWithoutChange(node, withOption("--out", "/proc/nope/units.txt"), /^error: cannot create \/proc\/nope: no such directory$/);
      await refusedWithoutChange(node, [...base, "--format", "hibc"], /^error: invalid --format "hibc": expected gs1 or china$/);
      await refusedWithoutChange(node, [...base, "--product-code", "8123456"], /^error: --product-code is for --format china$/);
      await refusedWithoutChange(node, base.slice(0, -2), /^error: missing --out$/);
      expect(existsSync(file)).to.equal(false);
      expect(existsSync("/proc/nope")).to.equal(false);
    });

    it("refuses to overwrite an existing file unless forced", async function () {
      const file = path.join(dir, "existing.txt");
      await writeFile(file, "keep me\n");
      const args = ["batch", "units", "--gtin", GTIN, "--lot", LOT, "--expiry", "2028-06-30", "--count", "2", "--out", file];
      await refusedWithoutChange(node, args, new RegExp(`^error: ${file.replace(/[.]/g, "\\.")} exists: give --force to overwrite it$`));
      await refusedAsJson(args, { name: "UserError", args: {}, message: `${file} exists: give --force to overwrite it` });
      expect(await readFile(file, "utf8")).to.equal("keep me\n");
      expect(await node.json("batch", "units", ...args.slice(2), "--force")).to.include({ count: "2", last: gs1("L2026A0000001") });
      expect(await readFile(file, "utf8")).to.equal(`${gs1("L2026A0000000")}\n${gs1("L2026A0000001")}\n`);
    });
  });

  describe("shipment cancel and reject", function () {
    it("lets the sender cancel an open shipment, the stock back in its own", async function () {
      const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "3", "--quantity", "10", "--from", "1");
      await refusedWithoutChange(
        node,
        ["shipment", "cancel", "--shipment", shipmentId, "--from", "2"],
        new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${shipmentId}, party=3\\)$`),
      );
      expect(await node.json("shipment", "cancel", "--shipment", shipmentId, "--from", "1")).to.deep.equal({
        shipmentId,
        batchId,
        status: "cancelled",
        quantity: "10",
        from: "2",
        to: "3",
        credited: "2",
      });
      await refusedWithoutChange(
        node,
        ["shipment", "cancel", "--shipment", shipmentId, "--from", "1"],
        new RegExp(`^error: BatchRegistryShipmentClosed\\(shipmentId=${shipmentId}, status=cancelled\\)$`),
      );
    });

    it("lets the receiver reject an open shipment, the stock back with the sender", async function () {
      const { shipmentId } = await node.json<{ shipmentId: string }>("batch", "ship", "--batch", `${GTIN}/${LOT}`, "--to", "xihu", "--quantity", "7", "--from", "1");
      await refusedWithoutChange(
        node,
        ["shipment", "reject", "--shipment", shipmentId, "--from", "1"],
        new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${shipmentId}, party=2\\)$`),
      );
      expect(await node.json("shipment", "reject", "--shipment", shipmentId, "--from", "wholesaler")).to.deep.equal({
        shipmentId,
        batchId,
        status: "rejected",
        quantity: "7",
        from: "2",
        to: "3",
        credited: "2",
      });
    });

    it("cancels and rejects whole pallets", async function () {
      const ship = () => node.json<{ palletId: string }>("batch", "ship", "--line", `${batchId}:5`, "--to", "3", "--from", "1");
      const cancelled = await ship();
      await refusedWithoutChange(
        node,
        ["shipment", "cancel", "--pallet", cancelled.palletId, "--from", "2"],
        new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${cancelled.palletId}, party=3\\)$`),
      );
      expect(await node.json("shipment", "cancel", "--pallet", cancelled.palletId, "--from", "1")).to.deep.equal({
        palletId: cancelled.palletId,
        status: "cancelled",
        from: "2",
        to: "3",
        seq: "0",
        credited: "2",
        signer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        lines: [{ batchId, quantity: "5", held: "1000" }],
      });
      const rejected = await ship();
      await refusedWithoutChange(
        node,
        ["shipment", "reject", "--pallet", rejected.palletId, "--from", "1"],
        new RegExp(`^error: BatchRegistryNotShipmentParty\\(shipmentId=${rejected.palletId}, party=2\\)$`),
      );
      expect(await node.json("shipment", "reject", "--pallet", rejected.palletId, "--from", "2")).to.deep.equal({
        palletId: rejected.palletId,
        status: "rejected",
        from: "2",
        to: "3",
        seq: "1",
        credited: "2",
        signer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        lines: [{ batchId, quantity: "5", held: "1000" }],
      });
    });

    it("refuses bad ids with one line, changing nothing", async function () {
      await refusedWith(["shipment", "cancel", "--shipment", "0x12", "--from", "1"], 'invalid --shipment "0x12": expected a 0x-prefixed 32-byte id, or its short form 0xabcd…wxyz');
      await refusedWithoutChange(
        node,
        ["shipment", "reject", "--shipment", `0x${"1".repeat(64)}`, "--pallet", `0x${"2".repeat(64)}`, "--from", "2"],
        /^error: give --shipment or --pallet, not both$/,
      );
    });
  });

  describe("licence grant and revoke", function () {
    let document: string;
    let documentHash: string;

    before(async function () {
      document = path.join(dir, "gsp-xihu-2032.pdf");
      await writeFile(document, "GSP certificate of Xihu Pharma Distribution, valid until 2032-12-31\n");
      documentHash = keccak256(await readFile(document));
    });

    it("lets a regulator renew a licence at once, as its issuer", async function () {
      expect(
        await node.json("licence", "grant", "--party", "xihu", "--kind", "gsp", "--file", document, "--until", "2032-12-31", "--from", "regulator"),
      ).to.deep.equal({
        partyId: "3",
        licence: "gsp",
        documentHash,
        until: "2032-12-31T00:00:00.000Z",
        issuer: "1",
        by: "regulator",
        licencesValidUntil: "2031-12-31T00:00:00.000Z",
        granted: true,
      });
      expect(await licence(3, 4)).to.deep.equal({ documentHash, issuer: 1n, expiresAt: 1988064000n, revoked: false });
    });

    it("lets a regulator revoke a licence, which stops the party until it is granted again", async function () {
      expect(await node.json("licence", "revoke", "--party", "6", "--kind", "gsp", "--from", "0")).to.deep.equal({
        partyId: "6",
        licence: "gsp",
        by: "regulator",
        licencesValidUntil: "2031-12-31T00:00:00.000Z",
        partyActive: false,
        revoked: true,
      });
      expect(await licence(6, 4)).to.include({ revoked: true });
      await refusedWith(["licence", "revoke", "--party", "6", "--kind", "gsp", "--from", "0"], "RegistryUnknownLicence(partyId=6, kind=gsp)");
      const hash = `0x${"ab".repeat(32)}`;
      const granted = await node.run("licence", "grant", "--party", "kangjian", "--kind", "gsp", "--hash", hash, "--until", "2031-12-31", "--from", "0");
      expect(granted.code, granted.stderr).to.equal(0);
      expect(granted.stdout).to.equal(
        "licence gsp of party 6 (Kangjian Pharmacy Chain) granted by party 1 (Zhejiang Medical Products Administration), valid until " +
          `2031-12-31T00:00:00.000Z (document 0xabab…abab); its licences are now valid until 2031-12-31T00:00:00.000Z` +
          " — signed by 0xf39F…2266 (admin of party 1, Zhejiang Medical Products Administration)\n",
      );
      expect(await licence(6, 4)).to.deep.equal({ documentHash: hash, issuer: 1n, expiresAt: 1956441600n, revoked: false });
    });

    it("refuses a signer who may neither grant nor propose, with the decoded error", async function () {
      const args = ["licence", "grant", "--party", "3", "--kind", "gsp", "--hash", documentHash, "--until", "2032-12-31"];
      await refusedWithoutChange(
        node,
        [...args, "--from", "5"],
        /^error: cannot propose to grant party 3 \(Xihu Pharma Distribution Co\., Ltd\.\) licence gsp until 2032-12-31T00:00:00\.000Z: GovernorNotVoter\(partyId=6\)$/,
      );
      await refusedWithoutChange(
        node,
        ["licence", "revoke", "--party", "3", "--kind", "gsp", "--from", "13"],
        new RegExp(`^error: cannot propose to revoke licence gsp of party 3 \\(Xihu Pharma Distribution Co\\., Ltd\\.\\): RegistryNotMember\\(account=${STRANGER}\\)$`),
      );
      await refusedWithoutChange(
        node,
        [...args, "--issuer", "2", "--from", "0"],
        /^error: a regulator grants a licence as its issuer \(party 1 \(Zhejiang Medical Products Administration\)\), not --issuer 2: a licence of another issuer is granted by governance, proposed by an admin of another voting party$/,
      );
    });

    it("has a voter's admin propose a grant to the consortium, which the regulator's approval executes", async function () {
      const hash = `0x${"cd".repeat(32)}`;
      const proposed = await node.json<Record<string, unknown>>("licence", "grant", "--party", "lianhua", "--kind", "gsp", "--hash", hash,
        "--until", "2033-06-30", "--issuer", "1", "--from", "maker");
      expect(proposed.expiresAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      const { expiresAt: _, ...rest } = proposed;
      expect(rest).to.deep.equal({
        partyId: "4",
        licence: "gsp",
        documentHash: hash,
        until: "2033-06-30T00:00:00.000Z",
        issuer: "1",
        by: "governance",
        proposalId: "1",
        kind: "call",
        proposerParty: "2",
        approvals: "1",
        threshold: "3",
        voters: "4",
        regulatorRequired: true,
        regulatorApproved: false,
        executed: false,
        granted: false,
      });
      expect(await licence(4, 4)).to.include({ documentHash: "0x3e4e3ccb4d5e716c08d183c1f462f4362f21ebfe70c36a52b61a2b94ec85ffb3" });
      await node.json("party", "vote", "--proposal", "1", "--from", "2");
      expect(await node.json("party", "vote", "--proposal", "1", "--from", "0")).to.include({
        executed: true,
        approvals: "3",
        outcome: "licence gsp of party 4 granted, valid until 2033-06-30T00:00:00.000Z",
        partyId: "4",
        licence: "gsp",
      });
      expect(await licence(4, 4)).to.deep.equal({ documentHash: hash, issuer: 1n, expiresAt: 2003702400n, revoked: false });
    });

    it("refuses bad input with one line, changing nothing", async function () {
      const grant = (...rest: string[]) => ["licence", "grant", "--party", "3", "--kind", "gsp", ...rest, "--from", "0"];
      await refusedWithoutChange(node, grant("--hash", documentHash), /^error: missing --until$/);
      await refusedWithoutChange(node, grant("--until", "2032-12-31"), /^error: give the licence document as --file FILE or --hash 0x…, one of them$/);
      await refusedWithoutChange(
        node,
        grant("--file", document, "--hash", documentHash, "--until", "2032-12-31"),
        /^error: give the licence document as --file FILE or --hash 0x…, one of them$/,
      );
      await refusedWithoutChange(node, grant("--hash", "0x1234", "--until", "2032-12-31"), /^error: invalid --hash "0x1234": expected 0x and 64 hex digits \(the document's keccak-256\)$/);
      await refusedWithoutChange(node, grant("--file", path.join(dir, "nope.pdf"), "--until", "2032-12-31"), /^error: cannot read --file .*nope\.pdf: no such file$/);
      await refusedWithoutChange(node, grant("--hash", documentHash, "--until", "2032-02-30"), /^error: invalid --until "2032-02-30": expected a date YYYY-MM-DD$/);
      await refusedWithoutChange(
        node,
        ["licence", "grant", "--party", "3", "--kind", "gdp", "--hash", documentHash, "--until", "2032-12-31", "--from", "0"],
        /^error: invalid --kind "gdp": expected one of manufacturing, gmp, distribution, gsp, medical-institution, laboratory, notarial$/,
      );
      await refusedWithoutChange(
        node,
        grant("--hash", documentHash, "--until", "2020-01-01"),
        /^error: RegistryLicenceExpiryInPast\(expiresAt=2020-01-01T00:00:00\.000Z, now_=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z\)$/,
      );
      await refusedWith(["licence", "grant", "--party", "acme", "--kind", "gsp", "--hash", documentHash, "--until", "2032-12-31", "--from", "0"],
        'invalid --party "acme": no party\'s id or name starts with it (`party list` shows them)',
      );
      await refusedAsJson(["licence", "revoke", "--party", "4", "--kind", "gmp", "--from", "0"], {
        name: "RegistryUnknownLicence",
        args: { partyId: "4", kind: "gmp" },
        message: "RegistryUnknownLicence(partyId=4, kind=gmp)",
      });
    });
  });

  describe("voter add and remove", function () {
    it("proposes seating a party, which the voters' approvals execute", async function () {
      const proposed = await node.json<Record<string, unknown>>("voter", "add", "--party", "lianhua", "--from", "1");
      expect(proposed.expiresAt).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      const { expiresAt: _, ...rest } = proposed;
      expect(rest).to.deep.equal({
        proposalId: "2",
        kind: "set-voter",
        voters: "4",
        threshold: "3",
        regulatorRequired: false,
        partyId: "4",
        voter: true,
      });
      expect(await node.json("party", "vote", "--proposal", "2", "--from", "1")).to.include({ executed: false, approvals: "1" });
      expect(await node.json("party", "vote", "--proposal", "2", "--from", "2")).to.include({ executed: false, approvals: "2" });
      expect(await node.json("party", "vote", "--proposal", "2", "--from", "4")).to.include({
        executed: true,
        approvals: "3",
        partyId: "4",
        outcome: "party 4 joined the voting set",
      });
      expect(await node.json("system", "info")).to.include({ activeVoters: "5", thresholdVoters: "5", threshold: "4" });
      await refusedWith(["voter", "add", "--party", "4", "--from", "1"], "RegistryVoterUnchanged(partyId=4, voter=true): party 4 already is a voter");
    });

    it("proposes unseating a party, and says how the voters approve it", async function () {
      const result = await node.run("voter", "remove", "--party", "4", "--from", "wholesaler");
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.match(
        new RegExp(
          "^proposal 3 \\(set-voter\\) created: needs 4 of 5 voters \\(as the voter set stands when it executes\\), open until \\S+, " +
            "to unseat party 4 \\(Lianhua Cold Chain Logistics Co\\., Ltd\\.\\) from the voting set; the voters approve with `party vote --proposal 3`" +
            " — signed by 0x3C44…93BC \\(admin of party 3, Xihu Pharma Distribution Co\\., Ltd\\.\\)\n$",
        ),
      );
      for (const from of ["1", "2", "3"]) {
        expect(await node.json("party", "vote", "--proposal", "3", "--from", from)).to.include({ executed: false });
      }
      expect(await node.json("party", "vote", "--proposal", "3", "--from", "4")).to.include({
        executed: true,
        approvals: "4",
        partyId: "4",
        outcome: "party 4 left the voting set",
      });
      expect(await node.json("system", "info")).to.include({ activeVoters: "4", thresholdVoters: "4", threshold: "3" });
    });

    it("refuses a change the registry would refuse, with its decoded error, sending nothing", async function () {
      await refusedWith(["voter", "add", "--party", "2", "--from", "1"], "RegistryVoterUnchanged(partyId=2, voter=true): party 2 already is a voter");
      await refusedWith(["voter", "remove", "--party", "kangjian", "--from", "1"], "RegistryVoterUnchanged(partyId=6, voter=false): party 6 already is not a voter");
      await refusedWith(["voter", "add", "--party", "99", "--from", "1"], "RegistryUnknownParty(partyId=99)");
      await refusedAsJson(["voter", "add", "--party", "2", "--from", "1"], {
        name: "RegistryVoterUnchanged",
        args: { partyId: "2", voter: "true" },
        message: "RegistryVoterUnchanged(partyId=2, voter=true): party 2 already is a voter",
      });
    });

    it("refuses a signer who may not propose, with the decoded error", async function () {
      await refusedWithoutChange(node, ["voter", "add", "--party", "6", "--from", "5"], /^error: GovernorNotVoter\(partyId=6\)$/);
      await refusedWithoutChange(node, ["voter", "add", "--party", "6", "--from", "13"], new RegExp(`^error: RegistryNotMember\\(account=${STRANGER}\\)$`));
      await refusedWith(["voter", "add", "--party", "6", "--from", "9"], "RegistryRoleNotAllowed(account=0xa0Ee7A142d267C1f36714E4a8F75612F20a79720, role=qa)");
      await refusedWith(
        ["voter", "add", "--party", "6"],
        "missing --from: say who signs (an account index, an address, or a label from deploy/accounts.json), or set MEDSTATE_FROM",
      );
    });
  });
});
