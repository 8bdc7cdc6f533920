/**
 * The MedState contracts an integrator or task talks to, and the combined ABI used
 * to decode any of their errors and events.
 */
import { type EventFragment, Interface, type InterfaceAbi, LogDescription } from "ethers";

// Each factory from its own module, not the typechain index, which loads every contract's
// (mocks included): a task's start-up loads only these seven.
import { ConsortiumGovernor__factory } from "../types/ethers-contracts/factories/contracts/governance/ConsortiumGovernor__factory.js";
import { ConsortiumRegistry__factory } from "../types/ethers-contracts/factories/contracts/identity/ConsortiumRegistry__factory.js";
import { CollaborationEngine__factory } from "../types/ethers-contracts/factories/contracts/quality/CollaborationEngine__factory.js";
import { QualityEngine__factory } from "../types/ethers-contracts/factories/contracts/quality/QualityEngine__factory.js";
import { BatchRegistry__factory } from "../types/ethers-contracts/factories/contracts/supply/BatchRegistry__factory.js";
import { BulkCustody__factory } from "../types/ethers-contracts/factories/contracts/supply/BulkCustody__factory.js";
import { ProductRegistry__factory } from "../types/ethers-contracts/factories/contracts/supply/ProductRegistry__factory.js";

/** The names under which contracts appear in a deployment record. */
export const CONTRACT_NAMES = ["ConsortiumRegistry", "ConsortiumGovernor", "BatchRegistry"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** Every ABI fragment of every MedState contract but the constructors, deduplicated by signature. */
export function combinedAbi(): InterfaceAbi {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const abi of [
    ConsortiumRegistry__factory.abi,
    ConsortiumGovernor__factory.abi,
    BatchRegistry__factory.abi,
    // The code objects behind the BatchRegistry's selector table run at its address: their
    // functions, events and errors are its too.
    ProductRegistry__factory.abi,
    QualityEngine__factory.abi,
    CollaborationEngine__factory.abi,
    BulkCustody__factory.abi,
  ]) {
    for (const fragment of abi as readonly { type: string; name?: string; inputs?: readonly { type: string }[] }[]) {
      // Constructors differ per contract and mean nothing to a combined interface.
      if (fragment.type === "constructor") continue;
      const key = `${fragment.type}:${fragment.name ?? ""}(${(fragment.inputs ?? []).map((i) => i.type).join(",")})`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(fragment);
    }
  }
  return out as InterfaceAbi;
}

/**
 * For each error or event name, the enum each parameter is (`"PartyStatus"`), or
 * undefined: ethers keeps no `internalType`, so it is read from the raw ABI.
 */
export function enumParameters(): Map<string, (string | undefined)[]> {
  const out = new Map<string, (string | undefined)[]>();
  for (const fragment of combinedAbi() as readonly { type: string; name?: string; inputs?: readonly { internalType?: string }[] }[]) {
    if (fragment.name === undefined || (fragment.type !== "error" && fragment.type !== "event")) continue;
    out.set(
      fragment.name,
      (fragment.inputs ?? []).map((input) => /^enum (?:\w+\.)?(\w+)$/.exec(input.internalType ?? "")?.[1]),
    );
  }
  return out;
}

let cached: Interface | undefined;
/** One Interface over {@link combinedAbi}. */
export function medstateInterface(): Interface {
  cached ??= new Interface(combinedAbi());
  return cached;
}

let byTopic: Map<string, EventFragment> | undefined;
/**
 * {@link medstateInterface}'s `parseLog`, for many logs: ethers looks an event up by
 * hashing every event signature again for each log, which a replay of 100,000 logs
 * pays seconds for; here the topics are hashed once. Returns null for a log that is
 * none of MedState's events (or does not decode as one).
 */
export function parseMedstateLog(log: { topics: readonly string[]; data: string }): LogDescription | null {
  const iface = medstateInterface();
  byTopic ??= new Map(iface.fragments.filter((f): f is EventFragment => f.type === "event").map((f) => [f.topicHash, f]));
  const topic = log.topics[0];
  const fragment = topic === undefined ? undefined : byTopic.get(topic.toLowerCase());
  if (fragment === undefined) return null;
  try {
    return new LogDescription(fragment, fragment.topicHash, iface.decodeEventLog(fragment, log.data, log.topics));
  } catch {
    return null;
  }
}
