/**
 * hardhat-viem, with viem loaded the first time `connection.viem` is used instead of on
 * every network connection. The plugin's own network hook builds `connection.viem` at
 * once, which loads viem (about 1,200 modules, half a second of a MedState task's start-up
 * on the 2-core machine `npm run bench` measures) for every task, though only tests call it.
 * Here `connection.viem` is a stand-in with the same async functions; the first call runs
 * hardhat-viem's own hook on the connection (which replaces the stand-in with the real
 * helpers) and forwards the call.
 */
import hardhatViem from "@nomicfoundation/hardhat-viem";
import type { HookContext, NetworkHooks } from "hardhat/types/hooks";
import type { ChainType, NetworkConnection } from "hardhat/types/network";
import type { HardhatPlugin } from "hardhat/types/plugins";

type Helpers<C extends ChainType | string> = NetworkConnection<C>["viem"];

/** hardhat-viem's own `newConnection` hook. */
async function originalNewConnection(): Promise<NonNullable<Partial<NetworkHooks>["newConnection"]>> {
  const factory = await hardhatViem.hookHandlers?.network?.();
  const hooks = await factory?.default();
  if (hooks?.newConnection === undefined) throw new Error("hardhat-viem has no newConnection hook");
  return hooks.newConnection.bind(hooks);
}

const networkHooks: Partial<NetworkHooks> = {
  async newConnection<C extends ChainType | string>(
    context: HookContext,
    next: (nextContext: HookContext) => Promise<NetworkConnection<C>>,
  ): Promise<NetworkConnection<C>> {
    const connection = await next(context);
    let real: Promise<Helpers<C>> | undefined;
    const load = (): Promise<Helpers<C>> =>
      (real ??= originalNewConnection().then(async (hook) => (await hook(context, async () => connection)).viem));
    const onDemand = <K extends keyof Helpers<C>>(name: K): Helpers<C>[K] =>
      (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => Promise<unknown>)(...args)) as Helpers<C>[K];
    connection.viem = {
      getPublicClient: onDemand("getPublicClient"),
      getWalletClients: onDemand("getWalletClients"),
      getWalletClient: onDemand("getWalletClient"),
      getTestClient: onDemand("getTestClient"),
      deployContract: onDemand("deployContract"),
      sendDeploymentTransaction: onDemand("sendDeploymentTransaction"),
      getContractAt: onDemand("getContractAt"),
    };
    return connection;
  },
};

/** hardhat-viem (same id and package), its network hook replaced by the on-demand one above. */
const viemOnDemand: HardhatPlugin = {
  ...hardhatViem,
  hookHandlers: { ...hardhatViem.hookHandlers, network: async () => ({ default: async () => networkHooks }) },
};

export default viemOnDemand;
