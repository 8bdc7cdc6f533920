/**
 * Task definitions: names, options and help. Each action lives in
 * `tasks/<group>/<verb>.ts` and is loaded only when its task runs. Options are
 * taken as strings and validated by the action, so that every mistake gets the
 * same one-line error and exit code.
 */
import { emptyTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NewTaskActionFunction, TaskDefinition } from "hardhat/types/tasks";

type Described = Record<string, string>;
/** An action module: its default export takes the task's own (validated-by-itself) arguments. */
type LazyAction = () => Promise<{ default: (args: never, hre: HardhatRuntimeEnvironment) => unknown }>;

/** A MedState task: string options, flags, `--json` always, `--from` for writes. */
function medstateTask(
  id: string | [string, string],
  description: string,
  spec: { options?: Described; flags?: Described; signs?: boolean },
  action: LazyAction,
): TaskDefinition {
  const options: Described = {
    ...spec.options,
    ...(spec.signs === true ? { from: "Who signs: account index, address, or a label of deploy/accounts.json (default: $MEDSTATE_FROM; no other default)" } : {}),
  };
  const flags: Described = { ...spec.flags, json: "Print one JSON document on stdout" };
  let builder = task(id, description);
  for (const [name, help] of Object.entries(options)) {
    builder = builder.addOption({ name, type: ArgumentType.STRING_WITHOUT_DEFAULT, description: help, defaultValue: undefined });
  }
  for (const [name, help] of Object.entries(flags)) builder = builder.addFlag({ name, description: help });
  // Each action declares its own argument interface, matching the options above.
  return builder.setAction(action as unknown as () => Promise<{ default: NewTaskActionFunction }>).build();
}

const PARTY = { party: "Party: its id or a unique prefix of its name" };
const BATCH = { batch: "Batch: its 0x id, GTIN/LOT, or any unit code of it" };
const CASE = { case: "Suspect case id (0x…, 32 bytes)" };
const SUBJECT = { batch: "Batch: its 0x id, GTIN/LOT, or a GS1 unit code of it", gtin: "Product GTIN (for a product-level state)" };
const CODE = {
  code: "Unit code: a GS1 element string ((01)GTIN(21)SERIAL(10)LOT(17)YYMMDD) or China's 20-digit code",
  batch: "The batch (0x id or GTIN/LOT), when the code does not carry its lot (optional)",
};

export const medstateTasks: TaskDefinition[] = [
  emptyTask("system", "Deploy MedState, show where it is, detach a broken mirror").build(),
  medstateTask(
    ["system", "deploy"],
    "Deploy MedState (registry, governor) with Ignition and write the deployment record",
    {
      options: { parameters: "Ignition parameters file (default deploy/parameters/<network>.json)" },
      flags: { reset: "Forget this chain's previous deployment record and deploy afresh" },
    },
    () => import("./system/deploy.js"),
  ),
  medstateTask(["system", "info"], "Show this network's MedState deployment and consortium summary", {}, () =>
    import("./system/info.js"),
  ),
  medstateTask(
    "gateway",
    "Run the gateway for this deployment until Ctrl-C: unit lists, box verification, a read-only JSON-RPC proxy and the verification page",
    {
      options: {
        port: "Port to listen on (default 8080; 0: any free port)",
        host: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
        data: "Directory of its SQLite store (default: beside the deployment record)",
        peer: "Peer gateways to pull unit lists from: a URL, or several separated by commas",
        rateLimit: "Requests a minute per client address (default 600; 0: no limit)",
      },
    },
    () => import("./gateway/serve.js"),
  ),
  task("run-ops", "Run many MedState tasks in one process, one per line of a JSON Lines file (checked first; stops at the first refusal)")
    .addPositionalArgument({
      name: "file",
      type: ArgumentType.STRING_WITHOUT_DEFAULT,
      description: 'Operations file: one {"task": ["batch", "ship"], "args": {"batch": …, "from": …}} per line',
      defaultValue: undefined,
    })
    .addFlag({ name: "continue", description: "Keep going after a refused line (the exit code is still 1)" })
    .addFlag({ name: "json", description: "Print one JSON document on stdout: each line's result or error, in order" })
    .setAction(() => import("./system/run-ops.js"))
    .build(),
  medstateTask(
    ["system", "detach-mirror"],
    "Propose detaching a membership mirror from the registry (governance Call, casting your party's approval)",
    { options: { mirror: "The mirror's address (system info lists the attached ones)" }, signs: true },
    () => import("./system/detach-mirror.js"),
  ),

  emptyTask("party", "Parties of the consortium: propose, vote, execute, list, show, suspend, reinstate, revoke").build(),
  medstateTask(
    ["party", "propose"],
    "Propose admitting a party (by an admin of a voting party)",
    {
      options: {
        name: "Party name",
        domain: "manufacturer|wholesaler|retailer|logistics|hospital|pharmacy|regulator|laboratory|notary",
        admin: "The party's first admin account",
        license: "Licences: kind:hash-or-file:YYYY-MM-DD[:issuerPartyId], comma-separated",
      },
      flags: { voter: "The party joins the voting set" },
      signs: true,
    },
    () => import("./party/propose.js"),
  ),
  medstateTask(
    ["party", "vote"],
    "Approve a proposal for your party; the approval that meets the current threshold executes it",
    { options: { proposal: "Proposal id" }, signs: true },
    () => import("./party/vote.js"),
  ),
  medstateTask(
    ["party", "execute"],
    "Execute a proposal whose approvals in force meet the current threshold (after the voter set shrank)",
    { options: { proposal: "Proposal id" }, signs: true },
    () => import("./party/execute.js"),
  ),
  medstateTask(["party", "list"], "List every party with its domain, status and admin", {}, () => import("./party/list.js")),
  medstateTask(
    ["party", "show"],
    "Show a party: status, voting seat, members with roles, licences with their validity, products held",
    { options: PARTY },
    () => import("./party/show.js"),
  ),
  medstateTask(
    ["party", "suspend"],
    "Suspend a party: at once by a regulator, else as a proposal",
    { options: PARTY, signs: true },
    () => import("./party/suspend.js"),
  ),
  medstateTask(
    ["party", "reinstate"],
    "Propose reinstating a suspended party (governance)",
    { options: PARTY, signs: true },
    () => import("./party/reinstate.js"),
  ),
  medstateTask(
    ["party", "revoke"],
    "Propose revoking a party for good (governance)",
    { options: { party: "Party id or a unique prefix of its name" }, signs: true },
    () => import("./party/revoke.js"),
  ),

  emptyTask("member", "Members of a party: add, remove, rotate (by the party's admins)").build(),
  medstateTask(
    ["member", "add"],
    "Enrol an account in your party with a role",
    { options: { ...PARTY, account: "Account to enrol", role: "admin|operator|qa|device (default operator)" }, signs: true },
    () => import("./member/add.js"),
  ),
  medstateTask(
    ["member", "remove"],
    "Remove a member from your party",
    { options: { ...PARTY, account: "Member to remove" }, signs: true },
    () => import("./member/remove.js"),
  ),
  medstateTask(
    ["member", "rotate"],
    "Replace a member's key, keeping its role and history (a primary admin's by itself, else by a governance proposal)",
    { options: { ...PARTY, account: "The member's current account", newAccount: "The new account" }, signs: true },
    () => import("./member/rotate.js"),
  ),

  emptyTask(
    "product",
    "Products: apply (the marketing-authorisation holder), approve (the regulator), list applications, reassign (governance), change their quality rules",
  ).build(),
  medstateTask(
    ["product", "register"],
    "Apply to register a product under its GTIN (by a manufacturer's admin or operator); the regulator approves it",
    {
      options: {
        gtin: "GTIN (8, 12, 13 or 14 digits; check digit validated)",
        name: "Product name",
        approvalNo: "Approval number, e.g. 国药准字H20230001",
        nationalCode: "China's 7-digit product identification code (optional)",
        rules: "Refused here: rules need a registered product (run `product rules` after the approval)",
      },
      signs: true,
    },
    () => import("./product/register.js"),
  ),
  medstateTask(
    ["product", "approve"],
    "Approve a manufacturer's application: the product is registered with it as holder (a regulator)",
    {
      options: {
        gtin: "The product's GTIN",
        applicant: "The applicant party: id or a unique prefix of its name",
        application: "The hash of the application you examined (`product applications` prints it; default: the pending one, read now)",
      },
      signs: true,
    },
    () => import("./product/approve.js"),
  ),
  medstateTask(
    ["product", "applications"],
    "List pending product applications with their hashes, and whether each can still be approved",
    { options: { gtin: "Only this GTIN" } },
    () => import("./product/applications.js"),
  ),
  medstateTask(
    ["product", "reassign"],
    "Propose giving a product a new holder and national code (governance Call, casting your party's approval)",
    {
      options: {
        gtin: "The product's GTIN",
        holder: "The new holder, an active manufacturer: party id or a unique prefix of its name",
        nationalCode: "New 7-digit national code, or none (default: keep the current one)",
      },
      signs: true,
    },
    () => import("./product/reassign.js"),
  ),
  medstateTask(
    ["product", "rules"],
    "Set a product's quality rules: once by its holder, else (and for a rule contract) by a governance proposal",
    {
      options: {
        gtin: "The product's GTIN",
        rules: "Rules file (as for product register; ruleContract and ruleGas only through governance)",
      },
      signs: true,
    },
    () => import("./product/rules.js"),
  ),
  medstateTask(
    ["product", "list"],
    "List registered products with their GTIN, approval number, holder and state",
    { options: { holder: "Only products this party holds: its id or a unique prefix of its name" } },
    () => import("./product/list.js"),
  ),

  emptyTask("batch", "Batches: create, release, ship, receive, cancel, reject, show, trace, list, units").build(),
  medstateTask(
    ["batch", "create"],
    "Create a batch and commit its units (by the product's holder)",
    {
      options: {
        gtin: "The product's GTIN",
        lot: "Lot (batch) number",
        manufactured: "Manufacture date YYYY-MM-DD",
        expiry: "Expiry date YYYY-MM-DD",
        quantity: "Quantity (sales units)",
        units: "File of unit codes, one per line (GS1 element strings or China 20-digit codes)",
        publish: "Then publish the unit list to this gateway (e.g. http://127.0.0.1:8080), signed by --from",
      },
      signs: true,
    },
    () => import("./batch/create.js"),
  ),
  medstateTask(
    ["batch", "publish"],
    "Publish a batch's unit list (kept by `batch create` on this machine) to a gateway, signed by a member of its maker",
    { options: { ...BATCH, gateway: "The gateway's URL (e.g. http://127.0.0.1:8080)" }, signs: true },
    () => import("./batch/publish.js"),
  ),
  medstateTask(
    ["batch", "units"],
    "Write the unit file of a lot, for `batch create --units`: GS1 element strings or China's 20-digit codes, serial = prefix + zero-padded index",
    {
      options: {
        gtin: "The product's GTIN (check digit validated)",
        lot: "Lot (batch) number",
        expiry: "Expiry date YYYY-MM-DD",
        count: "How many units",
        serialPrefix: "Serial prefix (default: the lot for GS1, so serials stay unique across lots; none for China's codes)",
        first: "Index of the first unit (default 0): another file of the same lot continues from where one ended",
        format: "gs1 (default: (01)GTIN(21)SERIAL(10)LOT(17)YYMMDD) or china (7-digit product code, 9-digit serial, 4-digit verification)",
        productCode: "China's 7-digit product code, for --format china (default: the product's national code on the chain)",
        out: "File to write",
      },
      flags: { force: "Overwrite --out if it exists" },
    },
    () => import("./batch/units.js"),
  ),
  medstateTask(
    ["batch", "release"],
    "Release a batch for sale (by the manufacturer's qa member)",
    { options: BATCH, signs: true },
    () => import("./batch/release.js"),
  ),
  medstateTask(
    ["batch", "ship"],
    "Ship stock of a batch to another party, or a pallet of up to 256 lines (batch, quantity)",
    {
      options: {
        ...BATCH,
        to: "Receiving party: its id or a unique prefix of its name",
        quantity: "Quantity",
        lines: "Pallet lines file: one \"BATCH QTY\" or \"BATCH:QTY\" per line (blank lines and # comments skipped)",
        line: "Pallet lines BATCH:QTY, comma-separated (instead of --lines)",
      },
      signs: true,
    },
    () => import("./batch/ship.js"),
  ),
  medstateTask(
    ["batch", "receive"],
    "Receive a shipment or a pallet (by the receiving party)",
    { options: { shipment: "Shipment id (0x…)", pallet: "Pallet id (0x…): received whole, its lines read from the chain" }, signs: true },
    () => import("./batch/receive.js"),
  ),
  medstateTask(
    ["batch", "cancel"],
    "Cancel an open shipment or pallet (by its sender): the stock is back in the sender's stock",
    { options: { shipment: "Shipment id (0x…)", pallet: "Pallet id (0x…): cancelled whole, its lines read from the chain" }, signs: true },
    () => import("./batch/cancel.js"),
  ),
  medstateTask(
    ["batch", "reject"],
    "Reject an open shipment or pallet (by its receiver): the stock goes back to the sender",
    { options: { shipment: "Shipment id (0x…)", pallet: "Pallet id (0x…): rejected whole, its lines read from the chain" }, signs: true },
    () => import("./batch/reject.js"),
  ),
  medstateTask(["batch", "show"], "Show a batch and where every unit of it is: held, in transit, in suspect cases, dispensed…", { options: BATCH }, () =>
    import("./batch/show.js"),
  ),
  medstateTask(
    ["batch", "list"],
    "List batches with their product, lot, status, effective state and quantity",
    {
      options: {
        gtin: "Only this product's batches (GTIN)",
        holder: "Only batches this party holds some of now: its id or a unique prefix of its name",
        state: "Only batches in this effective state (a name of the state graph, e.g. Marketed, Recall)",
      },
    },
    () => import("./batch/list.js"),
  ),
  medstateTask(
    ["batch", "trace"],
    "Show a batch's timeline from the log: when, who, what, where, result, state changes",
    { options: BATCH },
    () => import("./batch/trace.js"),
  ),

  medstateTask(
    "observe",
    "Record an observation (HACCP control point) of a batch or product, or many from a JSONL file",
    {
      options: {
        ...SUBJECT,
        point: "process|production|order|transport|storage|inspection|efficacy|adverse",
        result: "normal|deviation|critical (default normal; a measure outside the product's rules makes it critical)",
        measure: "Measures, e.g. temperature=5.2,humidity=40 (°C, % RH)",
        evidence: "Evidence file: its keccak-256 hash is recorded (the file stays off-chain)",
        evidenceUri: "Where the evidence can be fetched (never personal data)",
        corrects: "Seq of the observation of the same subject this one corrects",
        file: "JSONL file, one observation per line: {batch|gtin, point, result, measure, corrects, evidenceHash, evidenceUri}",
        chunk: "Observations per transaction with --file (default 100)",
      },
      signs: true,
    },
    () => import("./observe/observe.js"),
  ),

  emptyTask("shipment", "Shipments: list what is coming and going, cancel (the sender), reject (the receiver)").build(),
  // ==== shipment tasks (list: discovery; cancel/reject: the batch group's actions) ====
  medstateTask(
    ["shipment", "list"],
    "List shipments and pallets of a party (what is coming, what it sent) or of everyone, with their status",
    {
      options: {
        party: "Whose shipments: a party id or a unique prefix of its name (default: the --from account's party)",
        from: "Whose shipments, as an account: its party's (account index, address, or address-book label; default $MEDSTATE_FROM)",
        ...BATCH,
      },
      flags: { incoming: "Only shipments to the party", outgoing: "Only shipments from the party", open: "Only shipments still in transit" },
    },
    () => import("./shipment/list.js"),
  ),
  medstateTask(
    ["shipment", "cancel"],
    "Cancel an open shipment or pallet (by its sender): the stock is back in the sender's stock",
    { options: { shipment: "Shipment id (0x…)", pallet: "Pallet id (0x…): cancelled whole, its lines read from the chain" }, signs: true },
    () => import("./batch/cancel.js"),
  ),
  medstateTask(
    ["shipment", "reject"],
    "Reject an open shipment or pallet (by its receiver): the stock goes back to the sender",
    { options: { shipment: "Shipment id (0x…)", pallet: "Pallet id (0x…): rejected whole, its lines read from the chain" }, signs: true },
    () => import("./batch/reject.js"),
  ),

  emptyTask("proposal", "Governance proposals: list them, show one decoded in words").build(),
  // ==== proposal tasks ====
  medstateTask(
    ["proposal", "list"],
    "List governance proposals: the action in words, proposer, approvals against the threshold in force, expiry, status",
    { flags: { open: "Only proposals still open to votes" } },
    () => import("./proposal/list.js"),
  ),
  medstateTask(
    ["proposal", "show"],
    "Show a proposal: its action in words, who proposed and approved it, what it still needs, when it expires",
    { options: { proposal: "Proposal id" } },
    () => import("./proposal/show.js"),
  ),

  emptyTask("licence", "Licences of a party: grant, revoke").build(),
  // ==== licence tasks ====
  medstateTask(
    ["licence", "grant"],
    "Grant or renew a party's licence: at once by a regulator (as issuer), else as a governance proposal casting your party's approval",
    {
      options: {
        ...PARTY,
        kind: "manufacturing|gmp|distribution|gsp|medical-institution|laboratory|notarial",
        file: "The licence document: its keccak-256 hash is recorded (the file stays off-chain)",
        hash: "The document's keccak-256 hash (0x…, 32 bytes), instead of --file",
        until: "Valid until YYYY-MM-DD",
        issuer: "Issuing party, for a grant by governance (id or a unique prefix of its name; default 0: an authority outside the consortium)",
      },
      signs: true,
    },
    () => import("./licence/grant.js"),
  ),
  medstateTask(
    ["licence", "revoke"],
    "Revoke a party's licence (it cannot act until granted again): at once by a regulator, else as a governance proposal casting your party's approval",
    {
      options: { ...PARTY, kind: "manufacturing|gmp|distribution|gsp|medical-institution|laboratory|notarial" },
      signs: true,
    },
    () => import("./licence/revoke.js"),
  ),

  emptyTask("voter", "The voting set: propose adding or removing a party").build(),
  // ==== voter tasks ====
  medstateTask(
    ["voter", "add"],
    "Propose seating an active party in the voting set (governance; the voters approve with `party vote`)",
    { options: PARTY, signs: true },
    () => import("./voter/add.js"),
  ),
  medstateTask(
    ["voter", "remove"],
    "Propose removing a party from the voting set (governance; a regulator party's removal needs a regulator's approval)",
    { options: PARTY, signs: true },
    () => import("./voter/remove.js"),
  ),

  emptyTask("state", "Collaborative states: stop, resume, recall, return, seize, destroy, witness, deregister, show, overdue").build(),
  medstateTask(
    ["state", "stop"],
    "Stop a batch or product at once (regulator, or its holder)",
    { options: { ...SUBJECT, reason: "Why" }, signs: true },
    () => import("./state/stop.js"),
  ),
  medstateTask(
    ["state", "resume"],
    "Lift a stop (regulator)",
    { options: { ...SUBJECT, reason: "Why" }, signs: true },
    () => import("./state/resume.js"),
  ),
  medstateTask(
    ["state", "recall"],
    "Open a recall of a stopped batch: level 1, 2 or 3 (regulator, or its holder)",
    { options: { ...BATCH, level: "1|2|3 (deadline 1, 3 or 7 days by default)", reason: "Why" }, signs: true },
    () => import("./state/recall.js"),
  ),
  medstateTask(
    ["state", "return"],
    "Return recalled stock of your party to the holder's quarantine",
    { options: { recall: "Recall id (0x…)", quantity: "Quantity" }, signs: true },
    () => import("./state/return.js"),
  ),
  medstateTask(
    ["state", "seize"],
    "Move a party's recalled stock to quarantine without it, e.g. a revoked party's (regulator)",
    {
      options: { ...BATCH, party: "The party whose stock is seized: id or a unique prefix of its name", quantity: "Quantity" },
      signs: true,
    },
    () => import("./state/seize.js"),
  ),
  medstateTask(
    ["state", "destroy"],
    "Propose destroying quarantined stock (the product's holder); a witness executes it",
    { options: { ...BATCH, quantity: "Quantity" }, signs: true },
    () => import("./state/destroy.js"),
  ),
  medstateTask(
    ["state", "witness"],
    "Witness a proposed destruction, which executes it (regulator or notary); the batch is Destroyed once every unit is accounted for",
    { options: { destruction: "Destruction id (0x…)" }, signs: true },
    () => import("./state/witness.js"),
  ),
  medstateTask(
    ["state", "deregister"],
    "End a stopped product's registration (regulator, or its holder)",
    { options: { gtin: "Product GTIN", reason: "Why" }, signs: true },
    () => import("./state/deregister.js"),
  ),
  medstateTask(["state", "show"], "Show a batch's or product's state, effective state and history", { options: SUBJECT }, () =>
    import("./state/show.js"),
  ),
  medstateTask(["state", "overdue"], "List recalls past their deadline with stock still out, per party: held, in transit, in suspect cases", {}, () =>
    import("./state/overdue.js"),
  ),

  emptyTask("unit", "Serialised units: verify, dispense, undo, decommission, reactivate, restore, reports").build(),
  medstateTask(
    ["unit", "verify"],
    "Verify one box: genuine, dispensed, expired…? With --report, a code no batch holds is reported on chain",
    {
      options: {
        ...CODE,
        from: "With --report, who reports: account index, address, or a label of deploy/accounts.json (default: $MEDSTATE_FROM)",
      },
      flags: { report: "Report an unknown code on chain (an unknown-code report for the regulator and the product's holder)" },
    },
    () => import("./unit/verify.js"),
  ),
  medstateTask(
    ["unit", "dispense"],
    "Dispense (decommission) one box at a pharmacy or hospital, or a basket of up to 256 from a file; a clone is reported as suspect, a code no batch holds as unknown",
    {
      options: {
        ...CODE,
        file: "File of unit codes, one per line (blank lines and # comments skipped): dispensed as one basket of up to 256",
      },
      signs: true,
    },
    () => import("./unit/dispense.js"),
  ),
  medstateTask(
    ["unit", "undo"],
    "Undo a dispense (by the party that dispensed, within the undo window)",
    { options: CODE, signs: true },
    () => import("./unit/undo.js"),
  ),
  medstateTask(
    ["unit", "decommission"],
    "Take an active box of your own available stock out of use: destroyed, stolen (out of stock) or locked (not while halted)",
    { options: { ...CODE, status: "destroyed|stolen|locked" }, signs: true },
    () => import("./unit/decommission.js"),
  ),
  medstateTask(
    ["unit", "reactivate"],
    "Reactivate a locked box (by the party that locked it)",
    { options: CODE, signs: true },
    () => import("./unit/reactivate.js"),
  ),
  medstateTask(
    ["unit", "restore"],
    "Restore a dispensed, destroyed, stolen or locked box to active, crediting the party that marked it (regulator)",
    { options: CODE, signs: true },
    () => import("./unit/restore.js"),
  ),
  medstateTask(
    ["unit", "reports"],
    "List suspect-unit and unknown-code reports: all for the regulator, else the batches the party holds or has held and its products'",
    {
      options: {
        batch: "Only this batch's suspect reports (0x…, 32 bytes)",
        from: "Who asks: account index, address, or a label of deploy/accounts.json (default: $MEDSTATE_FROM)",
      },
    },
    () => import("./unit/reports.js"),
  ),

  emptyTask("suspect", "Suspect-product cases (DSCSA): report, investigate, conclude, notify, close, show, list").build(),
  medstateTask(
    ["suspect", "report"],
    "Open a suspect case on a batch or one of its units, quarantining your party's stock of it",
    {
      options: {
        ...BATCH,
        unit: "The unit's index in the batch (default: the whole batch)",
        code: "The unit's code instead of --unit (GS1 element string or China's 20-digit code)",
        quantity: "Quantity of your party's stock to quarantine (default 0)",
        evidence: "Evidence: a file (its keccak-256 hash is recorded) or a 0x 32-byte hash",
        reason: "Why",
      },
      signs: true,
    },
    () => import("./suspect/report.js"),
  ),
  medstateTask(
    ["suspect", "investigate"],
    "Start investigating a quarantined case (its reporter, the product's holder or the regulator)",
    { options: CASE, signs: true },
    () => import("./suspect/investigate.js"),
  ),
  medstateTask(
    ["suspect", "conclude"],
    "Conclude an investigation: legitimate returns the stock (the regulator); illegitimate (the regulator or the product's holder)",
    {
      options: {
        ...CASE,
        finding: "legitimate|illegitimate (illegitimate: notify within 24 hours)",
        evidence: "The finding's report: a file (its keccak-256 hash is recorded) or a 0x 32-byte hash",
      },
      signs: true,
    },
    () => import("./suspect/conclude.js"),
  ),
  medstateTask(
    ["suspect", "notify"],
    "Record the notification of an illegitimate finding (its reporter or the product's holder)",
    { options: { ...CASE, notice: "The notice sent: a file (its keccak-256 hash is recorded) or a 0x 32-byte hash" }, signs: true },
    () => import("./suspect/notify.js"),
  ),
  medstateTask(
    ["suspect", "close"],
    "Close an illegitimate case (the regulator): its quarantined stock is destroyed",
    { options: CASE, signs: true },
    () => import("./suspect/close.js"),
  ),
  medstateTask(["suspect", "show"], "Show a suspect case, its deadline and its history", { options: CASE }, () =>
    import("./suspect/show.js"),
  ),
  medstateTask(
    ["suspect", "list"],
    "List every suspect case with its current status and whether its notification is overdue",
    { options: { batch: "Only this batch (0x…, 32 bytes)" } },
    () => import("./suspect/list.js"),
  ),

  emptyTask("audit", "Auditors: replay the chain and compare it with the views, check unit lists, export a batch's history").build(),
  medstateTask(
    ["audit", "replay"],
    "Rebuild the whole state from the event log alone and compare it, field by field, with the contracts' views",
    {
      options: {
        fromBlock: "First block to read (default: the deployment block)",
        checkpoint: "Checkpoint file: save progress to it, resume from it",
      },
    },
    () => import("./audit/replay.js"),
  ),
  medstateTask(
    ["audit", "snapshot"],
    "Replay to the head, check the views, and write a snapshot (block hash, state digest, unit dumps, evidence references)",
    { options: { out: "Snapshot file to write" } },
    () => import("./audit/snapshot.js"),
  ),
  medstateTask(
    ["audit", "verify-snapshot"],
    "Check a snapshot against this node: block hash, replayed digest, views, unit dumps and evidence files",
    {
      options: {
        file: "Snapshot file (from audit snapshot)",
        evidenceDir: "Directory with local copies of evidence files, by their URI's file name",
        unitsDir: "Directory with the unit dumps (default: the deployment's units directory)",
      },
    },
    () => import("./audit/verify-snapshot.js"),
  ),
  medstateTask(
    ["audit", "units"],
    "Flag every unit hash committed to more than one batch, from the unit lists this machine has (exit 1 if any)",
    { options: { unitsDir: "Another directory of unit lists (unit dumps, *.json) besides the deployment's units directory" } },
    () => import("./audit/units.js"),
  ),
  medstateTask(
    ["audit", "export"],
    "Export a batch's history as a GS1 EPCIS 2.0 JSON-LD document",
    {
      options: {
        ...BATCH,
        format: "Export format: epcis (EPCIS 2.0 JSON-LD EPCISDocument)",
        out: "File to write",
        companyPrefixLength: "GS1 company prefix length of the GTIN, 6…12 (default 7; a GTIN does not tell it)",
      },
    },
    () => import("./audit/export.js"),
  ),
  emptyTask("network", "Stand up a private permissioned chain: Hyperledger Besu with QBFT").build(),
  medstateTask(
    ["network", "genesis"],
    "Generate a Besu QBFT network: validator node keys, genesis, per-node config, static nodes (no private key is printed)",
    {
      options: {
        validators: "Number of validators N (QBFT tolerates f = ⌊(N−1)/3⌋ faulty ones; use at least 4)",
        chainId: "Chain id of the new network (positive integer)",
        out: "Directory to write (must be empty unless --force)",
        host: "IPv4 address in the enode URLs (default 127.0.0.1), or one per validator, comma-separated",
        baseP2pPort: "P2P port of node 1; node i uses base + i − 1 (default 30303)",
        baseRpcPort: "JSON-RPC port of node 1, on 127.0.0.1; node i uses base + i − 1 (default 8545)",
        blockPeriod: "Seconds between blocks (default 2)",
      },
      flags: { force: "Write into a non-empty directory, overwriting the generated files" },
    },
    () => import("./network/genesis.js"),
  ),
];
