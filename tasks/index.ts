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
  id: [string, string],
  description: string,
  spec: { options?: Described; flags?: Described; signs?: boolean },
  action: LazyAction,
): TaskDefinition {
  const options: Described = {
    ...spec.options,
    ...(spec.signs === true ? { from: "Signer: account index or address (default 0)" } : {}),
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

const PARTY = { party: "Party id" };

export const medstateTasks: TaskDefinition[] = [
  emptyTask("system", "Deploy MedState and show where it is").build(),
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

  emptyTask("party", "Parties of the consortium: propose, vote, list, suspend, reinstate").build(),
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
    "Approve a proposal for your party; the approval that meets the threshold executes it",
    { options: { proposal: "Proposal id" }, signs: true },
    () => import("./party/vote.js"),
  ),
  medstateTask(["party", "list"], "List every party with its domain, status and admin", {}, () => import("./party/list.js")),
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
    "Replace a member's key, keeping its role and history",
    { options: { ...PARTY, account: "The member's current account", newAccount: "The new account" }, signs: true },
    () => import("./member/rotate.js"),
  ),
];
