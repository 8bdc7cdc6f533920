/**
 * Task definitions: names, options and help. Each action lives in
 * `tasks/<group>/<verb>.ts` and is loaded only when its task runs. Options are
 * taken as strings and validated by the action, so that every mistake gets the
 * same one-line error and exit code.
 */
import { emptyTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

const S = ArgumentType.STRING_WITHOUT_DEFAULT;

export const medstateTasks = [
  emptyTask("system", "Deploy MedState and show where it is").build(),
  task(["system", "deploy"], "Deploy MedState (registry, governor) with Ignition and write the deployment record")
    .addOption({ name: "parameters", type: S, description: "Ignition parameters file (default deploy/parameters/<network>.json)", defaultValue: undefined })
    .addFlag({ name: "reset", description: "Forget this chain's previous deployment record and deploy afresh" })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./system/deploy.js"))
    .build(),
  task(["system", "info"], "Show this network's MedState deployment and consortium summary")
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./system/info.js"))
    .build(),

  emptyTask("party", "Parties of the consortium: propose, vote, list, suspend, reinstate").build(),
  task(["party", "propose"], "Propose admitting a party (by an admin of a voting party)")
    .addOption({ name: "name", type: S, description: "Party name", defaultValue: undefined })
    .addOption({ name: "domain", type: S, description: "manufacturer|wholesaler|retailer|logistics|hospital|pharmacy|regulator|laboratory|notary", defaultValue: undefined })
    .addOption({ name: "admin", type: S, description: "The party's first admin account", defaultValue: undefined })
    .addOption({ name: "license", type: S, description: "Licences: kind:hash-or-file:YYYY-MM-DD[:issuerPartyId], comma-separated", defaultValue: undefined })
    .addFlag({ name: "voter", description: "The party joins the voting set" })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./party/propose.js"))
    .build(),
  task(["party", "vote"], "Approve a proposal for your party; the approval that meets the threshold executes it")
    .addOption({ name: "proposal", type: S, description: "Proposal id", defaultValue: undefined })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./party/vote.js"))
    .build(),
  task(["party", "list"], "List every party with its domain, status and admin")
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./party/list.js"))
    .build(),
  task(["party", "suspend"], "Suspend a party: at once by a regulator, else as a proposal")
    .addOption({ name: "party", type: S, description: "Party id", defaultValue: undefined })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./party/suspend.js"))
    .build(),
  task(["party", "reinstate"], "Propose reinstating a suspended party (governance)")
    .addOption({ name: "party", type: S, description: "Party id", defaultValue: undefined })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./party/reinstate.js"))
    .build(),

  emptyTask("member", "Members of a party: add, remove, rotate (by the party's admins)").build(),
  task(["member", "add"], "Enrol an account in your party with a role")
    .addOption({ name: "party", type: S, description: "Party id", defaultValue: undefined })
    .addOption({ name: "account", type: S, description: "Account to enrol", defaultValue: undefined })
    .addOption({ name: "role", type: S, description: "admin|operator|qa|device (default operator)", defaultValue: undefined })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./member/add.js"))
    .build(),
  task(["member", "remove"], "Remove a member from your party")
    .addOption({ name: "party", type: S, description: "Party id", defaultValue: undefined })
    .addOption({ name: "account", type: S, description: "Member to remove", defaultValue: undefined })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./member/remove.js"))
    .build(),
  task(["member", "rotate"], "Replace a member's key, keeping its role and history")
    .addOption({ name: "party", type: S, description: "Party id", defaultValue: undefined })
    .addOption({ name: "account", type: S, description: "The member's current account", defaultValue: undefined })
    .addOption({ name: "newAccount", type: S, description: "The new account", defaultValue: undefined })
    .addOption({ name: "from", type: S, description: "Signer: account index or address (default 0)", defaultValue: undefined })
    .addFlag({ name: "json", description: "Print one JSON document" })
    .setAction(() => import("./member/rotate.js"))
    .build(),
];
