import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { batchIdOf } from "../../sdk/codes.js";
import { medstateInterface } from "../../sdk/contracts.js";
import { ProposalKind } from "../../sdk/enums.js";
import { shortId } from "../../sdk/references.js";
import { describeAction } from "../../tasks/lib/proposals.js";
import { type CliResult, type LocalNode, startLocalNode } from "../helpers/cli.js";

// Parties of the localhost deployment (account index → party): 0 → 1 the regulator,
// 1 → 2 the maker, 2 → 3 the wholesaler, 3 → 4 logistics (no voter), 4 → 5 the hospital,
// 5 → 6 the pharmacy; 9 becomes the maker's QA; 11 the admin of party 8, admitted below.
const REGULATOR = "Zhejiang Medical Products Administration";
const MAKER = "Qiantang Pharmaceutical Co., Ltd.";
const WHOLESALER = "Xihu Pharma Distribution Co., Ltd.";
const LOGISTICS = "Lianhua Cold Chain Logistics Co., Ltd.";
const HOSPITAL = "Riverside People's Hospital";
const PHARMACY = "Kangjian Pharmacy Chain";
const BINJIANG = "Binjiang Biotech";
const MAKER_ADMIN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const WHOLESALER_ADMIN = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const HOSPITAL_ADMIN = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const REGULATOR_ADMIN = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const QA = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
const BINJIANG_ADMIN = "0x71bE63f3384f5fb98995898A86B02Fb2426c5788";

const GTIN_A = "06901234567892";
const GTIN_B = "06901234567908";
const A = batchIdOf(GTIN_A, "LA1");
const B = batchIdOf(GTIN_B, "LB1");
const WEEK = 604_800;
// Addresses for the decoding table (no node needed).
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const GOVERNOR = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const BATCHES = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const OTHER = "0x1111111111111111111111111111111111111111";

/** The refusal of a read task: exit 1, `{"error": …}` on stdout with `--json`, one line on stderr. */
function expectJsonRefusal(result: CliResult, message: string): void {
  expect(result.code, result.stderr).to.equal(1);
  expect(JSON.parse(result.stdout)).to.deep.equal({ error: { name: "UserError", args: {}, message } });
  expect(result.stderr).to.equal(`error: ${message}\n`);
}

/** The same refusal without `--json`: nothing on stdout. */
function expectRefusal(result: CliResult, message: string): void {
  expect(result.code, result.stderr).to.equal(1);
  expect(result.stdout).to.equal("");
  expect(result.stderr).to.equal(`error: ${message}\n`);
}

describe("discovery tasks: batch, shipment, proposal, product lists and party show @e2e", function () {
  this.timeout(180_000);
  let node: LocalNode;
  /** The chain's times at which the test acts, in seconds: fixed so that every date printed is known. */
  let t0: number;
  const iso = (t: number) => new Date(t * 1000).toISOString();
  const at = (t: number) => node.rpc("evm_setNextBlockTimestamp", [t]);
  const s: Record<string, string> = {};

  before(async function () {
    // `shipment list` falls back on MEDSTATE_FROM: the refusals below need it unset.
    delete process.env.MEDSTATE_FROM;
    node = await startLocalNode();
    t0 = Math.floor(Date.now() / 1000) + 100_000;
    const units = (gtin: string, lot: string) =>
      Array.from({ length: 3 }, (_, i) => `(01)${gtin}(21)D${i}(10)${lot}(17)280630`).join("\n") + "\n";
    const unitsA = path.join(tmpdir(), `medstate-discovery-a-${process.pid}.txt`);
    const unitsB = path.join(tmpdir(), `medstate-discovery-b-${process.pid}.txt`);
    await writeFile(unitsA, units(GTIN_A, "LA1"));
    await writeFile(unitsB, units(GTIN_B, "LB1"));

    await node.json("system", "deploy");
    await node.json("member", "add", "--party", "2", "--account", QA, "--role", "qa", "--from", "1");
    const products: [string, string, string, string, number][] = [
      [GTIN_A, "Amoxicillin Capsules 0.25g", "国药准字H20230001", "8123456", t0],
      [GTIN_B, "Ibuprofen Tablets 0.2g", "国药准字H20230002", "8123457", t0 + 100],
    ];
    for (const [gtin, name, approvalNo, nationalCode, time] of products) {
      await node.json("product", "register", "--gtin", gtin, "--name", name, "--approval-no", approvalNo, "--national-code", nationalCode, "--from", "1");
      await at(time);
      await node.json("product", "approve", "--gtin", gtin, "--applicant", "2", "--from", "0");
    }
    for (const [gtin, lot, quantity, file] of [
      [GTIN_A, "LA1", "100", unitsA],
      [GTIN_B, "LB1", "50", unitsB],
    ]) {
      await node.json("batch", "create", "--gtin", gtin, "--lot", lot, "--manufactured", "2026-10-01", "--expiry", "2028-06-30",
        "--quantity", quantity, "--units", file, "--from", "1");
    }
    await node.json("observe", "--batch", `${GTIN_A}/LA1`, "--point", "inspection", "--result", "normal", "--from", "9");
    await node.json("batch", "release", "--batch", `${GTIN_A}/LA1`, "--from", "9");
    await node.json("state", "stop", "--batch", `${GTIN_B}/LB1`, "--reason", "label misprint", "--from", "0");

    // Shipments of batch A in every status, and a pallet.
    const ship = async (key: string, time: number, to: string, quantity: string, from: string) => {
      await at(time);
      s[key] = (await node.json<{ shipmentId: string }>("batch", "ship", "--batch", `${GTIN_A}/LA1`, "--to", to, "--quantity", quantity, "--from", from)).shipmentId;
    };
    await ship("received", t0 + 1000, "3", "30", "1");
    await node.json("batch", "receive", "--shipment", s.received, "--from", "2");
    await ship("open", t0 + 2000, "3", "20", "1");
    await ship("cancelled", t0 + 3000, "6", "5", "1");
    await node.json("batch", "cancel", "--shipment", s.cancelled, "--from", "1");
    await ship("rejected", t0 + 4000, "5", "10", "2");
    await node.json("batch", "reject", "--shipment", s.rejected, "--from", "4");
    await at(t0 + 5000);
    s.pallet = (await node.json<{ palletId: string }>("batch", "ship", "--line", `${A}:7`, "--to", "3", "--from", "1")).palletId;

    // Proposals: 1 executed (an admission), 2 open (a suspension), 3 open (a generic call).
    await at(t0 + 6000);
    await node.json("party", "propose", "--name", BINJIANG, "--domain", "manufacturer", "--admin", BINJIANG_ADMIN, "--from", "1");
    for (const from of ["1", "2", "0"]) await node.json("party", "vote", "--proposal", "1", "--from", from);
    await at(t0 + 7000);
    await node.json("party", "suspend", "--party", "Lianhua", "--from", "2");
    await node.json("party", "vote", "--proposal", "2", "--from", "4");
    await at(t0 + 8000);
    await node.json("product", "reassign", "--gtin", GTIN_B, "--holder", "Binjiang", "--from", "1");
  });

  after(async function () {
    await node?.stop();
  });

  describe("batch list", function () {
    const batchA = {
      batchId: A,
      gtin: GTIN_A,
      lot: "LA1",
      productName: "Amoxicillin Capsules 0.25g",
      manufacturer: "2",
      manufacturerName: MAKER,
      expiry: "2028-06-30T00:00:00.000Z",
      status: "released",
      state: "Marketed",
      quantity: "100",
    };
    const batchB = {
      ...batchA,
      batchId: B,
      gtin: GTIN_B,
      lot: "LB1",
      productName: "Ibuprofen Tablets 0.2g",
      status: "production",
      state: "EmergencyStop",
      quantity: "50",
    };

    it("lists every batch with its product, maker, status, effective state and quantity", async function () {
      expect(await node.json("batch", "list")).to.deep.equal([batchA, batchB]);
      const human = await node.run("batch", "list");
      expect(human.code).to.equal(0);
      expect(human.stdout).to.equal(
        `${GTIN_A}/LA1  ${shortId(A)}  Amoxicillin Capsules 0.25g  released, Marketed  100 made by party 2 (${MAKER})\n` +
          `${GTIN_B}/LB1  ${shortId(B)}  Ibuprofen Tablets 0.2g  production, EmergencyStop  50 made by party 2 (${MAKER})\n`,
      );
    });

    it("filters by GTIN and by effective state, case-insensitively", async function () {
      expect(await node.json("batch", "list", "--gtin", GTIN_B)).to.deep.equal([batchB]);
      expect(await node.json("batch", "list", "--gtin", "6901234567892")).to.deep.equal([batchA]);
      expect(await node.json("batch", "list", "--state", "emergencystop")).to.deep.equal([batchB]);
      expect(await node.json("batch", "list", "--state", "Marketed", "--gtin", GTIN_B)).to.deep.equal([]);
      expect(await node.json("batch", "list", "--state", "Recall")).to.deep.equal([]);
      expect((await node.run("batch", "list", "--state", "Recall")).stdout).to.equal("no batches\n");
    });

    it("lists what a party holds now, named by id or name: stock that came back from a rejection counts, stock shipped away does not", async function () {
      expect(await node.json("batch", "list", "--holder", "Xihu")).to.deep.equal([{ ...batchA, holder: "3", held: "30" }]);
      // 100 − 30 − 20 (open) − 7 (pallet): the cancelled 5 came back.
      expect(await node.json("batch", "list", "--holder", "2")).to.deep.equal([
        { ...batchA, holder: "2", held: "43" },
        { ...batchB, holder: "2", held: "50" },
      ]);
      // The hospital rejected its only shipment; the pharmacy's was cancelled.
      expect(await node.json("batch", "list", "--holder", "Riverside")).to.deep.equal([]);
      expect(await node.json("batch", "list", "--holder", "6")).to.deep.equal([]);
      expect((await node.run("batch", "list", "--holder", "Xihu")).stdout).to.equal(
        `${GTIN_A}/LA1  ${shortId(A)}  Amoxicillin Capsules 0.25g  released, Marketed  30 of 100 held by party 3 (${WHOLESALER})\n`,
      );
    });

    it("refuses an unknown state name, an unknown or ambiguous party and a bad GTIN in one line", async function () {
      const states = "expected one of Marketed, EmergencyStop, Recall, Destroyed, Deregistered";
      expectRefusal(await node.run("batch", "list", "--state", "Stopped"), `invalid --state "Stopped": ${states}`);
      expectJsonRefusal(await node.run("batch", "list", "--state", "Stopped", "--json"), `invalid --state "Stopped": ${states}`);
      expectRefusal(
        await node.run("batch", "list", "--holder", "Nobody"),
        'invalid --holder "Nobody": no party\'s id or name starts with it (`party list` shows them)',
      );
      expectJsonRefusal(
        await node.run("batch", "list", "--holder", "Zhejiang", "--json"),
        `invalid --holder "Zhejiang": 2 parties' names start with it (1 ${REGULATOR}; 7 Zhejiang Institute for Drug Control)`,
      );
      expectRefusal(await node.run("batch", "list", "--gtin", "06901234567893"), 'invalid GTIN "06901234567893": check digit is 3, expected 2');
    });
  });

  describe("shipment list", function () {
    const shipment = (key: string, from: string, fromName: string, to: string, toName: string, quantity: string, status: string, time: number) => ({
      shipmentId: s[key],
      batchId: A,
      gtin: GTIN_A,
      lot: "LA1",
      from,
      fromName,
      to,
      toName,
      quantity,
      status,
      shippedAt: iso(time),
    });
    const received = () => shipment("received", "2", MAKER, "3", WHOLESALER, "30", "received", t0 + 1000);
    const open = () => shipment("open", "2", MAKER, "3", WHOLESALER, "20", "in-transit", t0 + 2000);
    const cancelled = () => shipment("cancelled", "2", MAKER, "6", PHARMACY, "5", "cancelled", t0 + 3000);
    const rejected = () => shipment("rejected", "3", WHOLESALER, "5", HOSPITAL, "10", "rejected", t0 + 4000);
    const pallet = () => ({
      palletId: s.pallet,
      from: "2",
      fromName: MAKER,
      to: "3",
      toName: WHOLESALER,
      lines: [{ batchId: A, gtin: GTIN_A, lot: "LA1", quantity: "7" }],
      quantity: "7",
      status: "in-transit",
      shippedAt: iso(t0 + 5000),
    });

    it("shows the receiver what is coming: its incoming shipments and pallets, by --party or by the --from account's party", async function () {
      expect(await node.json("shipment", "list", "--incoming", "--party", "Xihu")).to.deep.equal([received(), open(), pallet()]);
      expect(await node.json("shipment", "list", "--incoming", "--open", "--from", "2")).to.deep.equal([open(), pallet()]);
      expect(await node.json("shipment", "list", "--incoming", "--from", HOSPITAL_ADMIN)).to.deep.equal([rejected()]);
      const human = await node.run("shipment", "list", "--incoming", "--open", "--from", "2");
      expect(human.stdout).to.equal(
        `shipment ${shortId(s.open)}  ${GTIN_A}/LA1  20 from party 2 (${MAKER}) to party 3 (${WHOLESALER})  in-transit, shipped ${iso(t0 + 2000)}\n` +
          `pallet ${shortId(s.pallet)}  ${GTIN_A}/LA1 ×7  from party 2 (${MAKER}) to party 3 (${WHOLESALER})  in-transit, shipped ${iso(t0 + 5000)}\n`,
      );
      // A read names no signer.
      expect(human.stdout).to.not.include("signed by");
    });

    it("lists a party's outgoing shipments, both directions, every shipment, and one batch's open ones", async function () {
      expect(await node.json("shipment", "list", "--outgoing", "--party", "3")).to.deep.equal([rejected()]);
      expect(await node.json("shipment", "list", "--party", "2")).to.deep.equal([received(), open(), cancelled(), pallet()]);
      expect(await node.json("shipment", "list")).to.deep.equal([received(), open(), cancelled(), rejected(), pallet()]);
      expect(await node.json("shipment", "list", "--batch", `${GTIN_A}/LA1`, "--open")).to.deep.equal([open(), pallet()]);
      expect(await node.json("shipment", "list", "--batch", `${GTIN_B}/LB1`)).to.deep.equal([]);
      expect((await node.run("shipment", "list", "--party", "Riverside", "--outgoing", "--open")).stdout).to.equal("no open shipments\n");
    });

    it("refuses --incoming with --outgoing, an unknown party, a direction without a party, and --party with --from", async function () {
      const both = "give --incoming or --outgoing, not both (neither lists both)";
      expectRefusal(await node.run("shipment", "list", "--incoming", "--outgoing", "--party", "3"), both);
      expectJsonRefusal(await node.run("shipment", "list", "--incoming", "--outgoing", "--party", "3", "--json"), both);
      const unknown = 'invalid --party "Nobody": no party\'s id or name starts with it (`party list` shows them)';
      expectRefusal(await node.run("shipment", "list", "--party", "Nobody"), unknown);
      expectJsonRefusal(await node.run("shipment", "list", "--party", "Nobody", "--json"), unknown);
      expectRefusal(
        await node.run("shipment", "list", "--incoming"),
        "--incoming needs a party: give --party, or --from (or MEDSTATE_FROM) for the signer's party",
      );
      expectRefusal(await node.run("shipment", "list", "--party", "3", "--from", "2"), "give --party or --from (whose shipments), not both");
      expectRefusal(
        await node.run("shipment", "list", "--from", "15"),
        "account 0xcd3B766CCDd6AE721141F452C550Ca635964ce71 is not a member of any party: give the party with --party",
      );
    });
  });

  describe("proposal list and show", function () {
    const admission = () => ({
      proposalId: "1",
      kind: "admit-party",
      status: "executed",
      action: `admit party '${BINJIANG}' (manufacturer) with admin ${BINJIANG_ADMIN}`,
      target: "",
      targetName: "ConsortiumRegistry",
      proposerParty: "2",
      proposerName: MAKER,
      proposer: MAKER_ADMIN,
      approvers: [
        { partyId: "2", name: MAKER, account: MAKER_ADMIN },
        { partyId: "3", name: WHOLESALER, account: WHOLESALER_ADMIN },
        { partyId: "1", name: REGULATOR, account: REGULATOR_ADMIN },
      ],
      approvals: "3",
      approvalsInForce: "3",
      threshold: "3",
      thresholdAtCreation: "3",
      regulatorRequired: true,
      regulatorApproved: true,
      needed: null,
      expiresAt: iso(t0 + 6000 + WEEK),
    });
    const suspension = () => ({
      proposalId: "2",
      kind: "suspend-party",
      status: "open",
      action: `suspend party 4 (${LOGISTICS})`,
      target: "",
      targetName: "ConsortiumRegistry",
      proposerParty: "3",
      proposerName: WHOLESALER,
      proposer: WHOLESALER_ADMIN,
      approvers: [{ partyId: "5", name: HOSPITAL, account: HOSPITAL_ADMIN }],
      approvals: "1",
      approvalsInForce: "1",
      threshold: "3",
      thresholdAtCreation: "3",
      regulatorRequired: false,
      regulatorApproved: false,
      needed: "needs 2 more approvals",
      expiresAt: iso(t0 + 7000 + WEEK),
    });
    const reassignment = () => ({
      proposalId: "3",
      kind: "call",
      status: "open",
      action: `Call: BatchRegistry.reassignProduct(${GTIN_B} → party 8 (${BINJIANG}), national code 8123457)`,
      target: "",
      targetName: "BatchRegistry",
      proposerParty: "2",
      proposerName: MAKER,
      proposer: MAKER_ADMIN,
      approvers: [{ partyId: "2", name: MAKER, account: MAKER_ADMIN }],
      approvals: "1",
      approvalsInForce: "1",
      threshold: "3",
      thresholdAtCreation: "3",
      regulatorRequired: true,
      regulatorApproved: false,
      needed: "needs 2 more approvals, waiting for a regulator's approval",
      expiresAt: iso(t0 + 8000 + WEEK),
    });
    /** The proposals' targets come from the deployment record. */
    let record: { ConsortiumRegistry: string; BatchRegistry: string };
    const withTargets = <T extends { targetName: string }>(p: T) => ({ ...p, target: record[p.targetName as keyof typeof record] });

    before(async function () {
      const info = await node.json<{ contracts: { ConsortiumRegistry: string; BatchRegistry: string } }>("system", "info");
      record = info.contracts;
    });

    it("lists every proposal with its action in words, proposer, approvers and what it still needs", async function () {
      expect(await node.json("proposal", "list")).to.deep.equal([admission(), suspension(), reassignment()].map(withTargets));
      expect(await node.json("proposal", "list", "--open")).to.deep.equal([suspension(), reassignment()].map(withTargets));
      const human = await node.run("proposal", "list", "--open");
      expect(human.stdout).to.equal(
        `#2 open     suspend-party   suspend party 4 (${LOGISTICS}) — proposed by party 3 (${WHOLESALER}), approved by party 5 (${HOSPITAL}); ` +
          `1 of 3 approvals; needs 2 more approvals; open until ${iso(t0 + 7000 + WEEK)}\n` +
          `#3 open     call            Call: BatchRegistry.reassignProduct(${GTIN_B} → party 8 (${BINJIANG}), national code 8123457) — ` +
          `proposed by party 2 (${MAKER}), approved by party 2 (${MAKER}); 1 of 3 approvals, regulator required; needs 2 more approvals, waiting for a regulator's approval; ` +
          `open until ${iso(t0 + 8000 + WEEK)}\n`,
      );
    });

    it("shows one proposal: the action, the target, the proposer, the approvers and what is still needed", async function () {
      expect(await node.json("proposal", "show", "--proposal", "3")).to.deep.equal(withTargets(reassignment()));
      expect(await node.json("proposal", "show", "--proposal", "1")).to.deep.equal(withTargets(admission()));
      const human = await node.run("proposal", "show", "--proposal", "3");
      expect(human.stdout).to.equal(
        [
          `proposal 3 (call), open: Call: BatchRegistry.reassignProduct(${GTIN_B} → party 8 (${BINJIANG}), national code 8123457)`,
          `  target BatchRegistry ${record.BatchRegistry}`,
          `  proposed by party 2 (${MAKER}) through ${MAKER_ADMIN}`,
          `  approved by party 2 (${MAKER})`,
          `  needs: 1 of 3 approvals in force, a regulator's approval (not yet) — needs 2 more approvals, waiting for a regulator's approval`,
          `  expires ${iso(t0 + 8000 + WEEK)}`,
        ].join("\n") + "\n",
      );
      expect((await node.run("proposal", "show", "--proposal", "1")).stdout).to.include(
        `  approved by party 2 (${MAKER}), party 3 (${WHOLESALER}), party 1 (${REGULATOR})\n  executed with 3 approvals\n`,
      );
    });

    it("refuses an unknown or malformed proposal id in one line", async function () {
      expectRefusal(await node.run("proposal", "show", "--proposal", "99"), "unknown proposal 99 (`proposal list` shows them)");
      expectJsonRefusal(await node.run("proposal", "show", "--proposal", "99", "--json"), "unknown proposal 99 (`proposal list` shows them)");
      expectRefusal(await node.run("proposal", "show", "--proposal", "x"), 'invalid --proposal "x": expected a positive integer id');
    });
  });

  describe("product list and party show", function () {
    const productA = {
      gtin: GTIN_A,
      name: "Amoxicillin Capsules 0.25g",
      approvalNo: "国药准字H20230001",
      nationalCode: "8123456",
      holder: "2",
      holderName: MAKER,
      state: "Marketed",
    };
    const productB = { ...productA, gtin: GTIN_B, name: "Ibuprofen Tablets 0.2g", approvalNo: "国药准字H20230002", nationalCode: "8123457" };

    it("lists the registered products with their holder and state, and a holder's products", async function () {
      expect(await node.json("product", "list")).to.deep.equal([
        { ...productA, registeredAt: iso(t0) },
        { ...productB, registeredAt: iso(t0 + 100) },
      ]);
      expect(await node.json("product", "list", "--holder", BINJIANG)).to.deep.equal([]);
      expect((await node.run("product", "list")).stdout).to.equal(
        `${GTIN_A}  Amoxicillin Capsules 0.25g (国药准字H20230001)  held by party 2 (${MAKER})  Marketed\n` +
          `${GTIN_B}  Ibuprofen Tablets 0.2g (国药准字H20230002)  held by party 2 (${MAKER})  Marketed\n`,
      );
    });

    it("shows a party by name: members with roles, licences with their validity, products held", async function () {
      expect(await node.json("party", "show", "--party", "Qiantang")).to.deep.equal({
        partyId: "2",
        name: MAKER,
        domain: "manufacturer",
        status: "active",
        voter: true,
        admin: MAKER_ADMIN,
        canAct: true,
        licencesValidUntil: "2031-12-31T00:00:00.000Z",
        members: [
          { account: MAKER_ADMIN, role: "admin", status: "active", primary: true },
          { account: QA, role: "qa", status: "active", primary: false },
        ],
        licences: [
          {
            kind: "manufacturing",
            documentHash: "0xc62ea926022314e83a9fb936b59a0ed1a73e0245aa506b14f7c4019e12d71522",
            issuer: "1",
            expiresAt: "2031-12-31T00:00:00.000Z",
            revoked: false,
            valid: true,
          },
          {
            kind: "gmp",
            documentHash: "0xdf8e442457f894f197e986ff55b9092a2e110549806861191e19a50d0821e8d1",
            issuer: "1",
            expiresAt: "2031-12-31T00:00:00.000Z",
            revoked: false,
            valid: true,
          },
        ],
        products: [
          { gtin: GTIN_A, name: "Amoxicillin Capsules 0.25g" },
          { gtin: GTIN_B, name: "Ibuprofen Tablets 0.2g" },
        ],
      });
      expect((await node.run("party", "show", "--party", "8")).stdout).to.equal(
        [
          `party 8 (${BINJIANG}): manufacturer, active`,
          `  admin ${BINJIANG_ADMIN}`,
          "  members:",
          `    ${BINJIANG_ADMIN}  admin (primary)`,
          "  licences: none",
          "  products: none",
        ].join("\n") + "\n",
      );
      expect((await node.run("party", "show", "--party", "Qiantang")).stdout).to.include(
        `  licences:\n    manufacturing until 2031-12-31, issued by party 1 (${REGULATOR})\n`,
      );
    });

    it("refuses an unknown party by name or id in one line", async function () {
      const unknown = 'invalid --party "Nobody": no party\'s id or name starts with it (`party list` shows them)';
      expectRefusal(await node.run("party", "show", "--party", "Nobody"), unknown);
      expectJsonRefusal(await node.run("party", "show", "--party", "Nobody", "--json"), unknown);
      expectRefusal(await node.run("party", "show", "--party", "42"), "RegistryUnknownParty(partyId=42)");
    });
  });

  describe("after the voting period", function () {
    it("lists the open proposals as expired, and none as open", async function () {
      const latest = await node.rpc<{ timestamp: string }>("eth_getBlockByNumber", ["latest", false]);
      await at(Number(BigInt(latest.timestamp)) + WEEK + 10_000);
      await node.rpc("evm_mine");
      const listed = await node.json<{ proposalId: string; status: string; needed: string | null }[]>("proposal", "list");
      expect(listed.map((p) => [p.proposalId, p.status, p.needed])).to.deep.equal([
        ["1", "executed", null],
        ["2", "expired", null],
        ["3", "expired", null],
      ]);
      expect((await node.run("proposal", "list")).stdout.split("\n")[0]).to.equal(
        `#1 executed admit-party     admit party '${BINJIANG}' (manufacturer) with admin ${BINJIANG_ADMIN} — ` +
          `proposed by party 2 (${MAKER}), approved by parties 2, 3, 1; executed with 3 approvals`,
      );
      expect(await node.json("proposal", "list", "--open")).to.deep.equal([]);
      expect((await node.run("proposal", "list", "--open")).stdout).to.equal("no open proposals\n");
      expect((await node.run("proposal", "show", "--proposal", "2")).stdout).to.include(`  expired at ${iso(t0 + 7000 + WEEK)} with 1 approval\n`);
    });
  });

  describe("the actions of the other kinds, in words", function () {
    const iface = medstateInterface();
    const deployed = { record: { contracts: { ConsortiumRegistry: REGISTRY, ConsortiumGovernor: GOVERNOR, BatchRegistry: BATCHES } } } as never;
    const names = [
      { id: 1n, name: REGULATOR },
      { id: 4n, name: LOGISTICS },
    ];
    const words = (kind: keyof typeof ProposalKind, target: string, fn: string, args: unknown[]) =>
      describeAction(deployed, names, BigInt(ProposalKind[kind]), target, iface.encodeFunctionData(fn, args));

    it("names the party a status or voter proposal is about", function () {
      expect(words("ReinstateParty", REGISTRY, "setPartyStatus", [4n, 1])).to.equal(`reinstate party 4 (${LOGISTICS})`);
      expect(words("RevokeParty", REGISTRY, "setPartyStatus", [9n, 3])).to.equal("revoke party 9");
      expect(words("SetVoter", REGISTRY, "setVoter", [4n, true])).to.equal(`add party 4 (${LOGISTICS}) to the voting set`);
      expect(words("SetVoter", REGISTRY, "setVoter", [1n, false])).to.equal(`remove party 1 (${REGULATOR}) from the voting set`);
    });

    it("spells out parameters, upgrades, an admission's licences and the calls it knows", function () {
      expect(words("SetParameters", GOVERNOR, "setParameters", [[2n * 86_400n, 0b100000010n]])).to.equal(
        "set the voting period to 2 days and the kinds a regulator must approve to admit-party, call",
      );
      expect(words("Upgrade", BATCHES, "upgradeToAndCall", [OTHER, "0x"])).to.equal(`upgrade BatchRegistry to implementation ${OTHER}`);
      expect(
        words("AdmitParty", REGISTRY, "admitParty", [["West Lake Pharmacy", 6, OTHER, true, [[4, `0x${"11".repeat(32)}`, 1n, 1956441600n]]]]),
      ).to.equal(`admit party 'West Lake Pharmacy' (pharmacy, voter) with admin ${OTHER}, licences gsp until 2031-12-31`);
      expect(words("Call", REGISTRY, "grantLicence", [4n, [4, `0x${"11".repeat(32)}`, 1n, 1956441600n]])).to.equal(
        `Call: ConsortiumRegistry.grantLicence(party 4 (${LOGISTICS}): gsp until 2031-12-31T00:00:00.000Z)`,
      );
      expect(words("Call", REGISTRY, "revokeLicence", [4n, 4])).to.equal(`Call: ConsortiumRegistry.revokeLicence(party 4 (${LOGISTICS}): gsp)`);
      expect(words("Call", BATCHES, "setDispenseUndoWindow", [3600])).to.equal("Call: BatchRegistry.setDispenseUndoWindow(1 hour)");
      expect(words("Call", REGISTRY, "rotateMember", [1n, REGULATOR_ADMIN, OTHER])).to.equal(
        `Call: ConsortiumRegistry.rotateMember(party 1 (${REGULATOR}): ${REGULATOR_ADMIN} → ${OTHER})`,
      );
    });

    it("falls back on the function and its named arguments, and on the raw selector for a call it cannot decode", function () {
      expect(words("Call", BATCHES, "approveProduct", [6901234567892n, 4n, `0x${"22".repeat(32)}`])).to.equal(
        `Call: BatchRegistry.approveProduct(gtin=${GTIN_A}, applicant=party 4 (${LOGISTICS}), approved=0x${"22".repeat(32)})`,
      );
      expect(describeAction(deployed, names, BigInt(ProposalKind.Call), OTHER, "0x12345678aa")).to.equal(
        `Call: ${OTHER} with data 0x12345678… (not a MedState function)`,
      );
    });
  });
});

