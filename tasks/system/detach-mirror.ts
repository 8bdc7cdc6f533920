import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { proposeCall } from "../lib/governance.js";
import { type TaskResult, openDeployment, parseAddress, resolveSigner, taskAction } from "../lib/runtime.js";

interface Args {
  mirror?: string;
  from?: string;
  json: boolean;
}

/**
 * Proposes detaching a membership mirror from the registry (a governance Call to
 * `ConsortiumRegistry.detachMirror`), proposed and approved for the signer's party (an
 * admin of a voting party), as `product rules` does: for a mirror that no longer takes the
 * registry's changes (`MirrorPushFailed`). Run first as the governor and undone, so an
 * address that is not attached is refused at once.
 */
export async function run(args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const mirror = parseAddress("--mirror", args.mirror);
  const { ethers, registry, governor } = await openDeployment(hre);
  const signer = await resolveSigner(ethers, args.from);
  const attached = await registry.mirrors();
  const data = registry.interface.encodeFunctionData("detachMirror", [mirror]);
  const proposal = await proposeCall(
    { governor },
    signer,
    await registry.getAddress(),
    data,
    `detach mirror ${mirror}`,
    (reason) =>
      `cannot propose to detach ${mirror}` +
      `${attached.some((m) => m.toLowerCase() === mirror.toLowerCase()) ? "" : ` (attached: ${attached.length === 0 ? "none" : attached.join(", ")})`}: ${reason}`,
  );
  return {
    json: { mirror, ...proposal.json, detached: proposal.executed },
    human: proposal.human,
  };
}

export default taskAction(run);
