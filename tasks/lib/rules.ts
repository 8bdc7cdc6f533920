/**
 * The rules file of `product rules --rules FILE`: read, parsed by the SDK's
 * {@link rulesFromJson} (the parser `product register --rules` uses), with the rule
 * contract's address and gas checked here, since the SDK passes them through as given;
 * and a Rules struct as JSON (integers as decimal strings).
 */
import { readFile } from "node:fs/promises";

import { ZeroAddress } from "ethers";

import { POINTS } from "../../sdk/enums.js";
import { UserError } from "../../sdk/errors.js";
import { NO_MAX, NO_MAX_HUMIDITY, NO_MIN, type RulesStruct, rulesFromJson } from "../../sdk/quality.js";
import { parseAddress } from "./runtime.js";

const MAX_UINT32 = 2 ** 32 - 1;

/**
 * Reads and parses a rules file. Every problem is one {@link UserError} naming the file:
 * `invalid --rules: cannot read FILE`, `invalid --rules FILE: not JSON`, or
 * `invalid --rules FILE: <what the parser said>`.
 */
export async function readRulesFile(file: string): Promise<RulesStruct> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UserError(`invalid --rules: cannot read ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`invalid --rules ${file}: not JSON`);
  }
  try {
    const raw = json as { ruleContract?: unknown; ruleGas?: unknown; critical?: unknown };
    if (typeof json === "object" && json !== null && !Array.isArray(json)) {
      if (raw.critical !== undefined && !(Array.isArray(raw.critical) && raw.critical.every((p) => typeof p === "string"))) {
        throw new UserError('invalid rules: critical must be an array of control point names, e.g. ["storage"]');
      }
      if (raw.ruleContract !== undefined && typeof raw.ruleContract !== "string") {
        throw new UserError("invalid rules: ruleContract must be a 0x-address string");
      }
      if (raw.ruleGas !== undefined && (typeof raw.ruleGas !== "number" || !Number.isInteger(raw.ruleGas) || raw.ruleGas < 0 || raw.ruleGas > MAX_UINT32)) {
        throw new UserError("invalid rules: ruleGas must be a whole amount of gas (0…4294967295)");
      }
    }
    const rules = rulesFromJson(json);
    return { ...rules, ruleContract: rules.ruleContract === ZeroAddress ? ZeroAddress : parseAddress("ruleContract", rules.ruleContract) };
  } catch (error) {
    // rulesFromJson throws UserError, and a plain Error for an unknown control point name.
    const message = error instanceof Error ? error.message.replace(/^invalid (rules: )?/, "") : String(error);
    throw new UserError(`invalid --rules ${file}: ${message}`);
  }
}

/** Whether the rules name a rule contract (which only the governor may set). */
export function hasRuleContract(rules: Pick<RulesStruct, "ruleContract">): boolean {
  return BigInt(rules.ruleContract) !== 0n;
}

interface RangeLike {
  minTemperature: number | bigint;
  maxTemperature: number | bigint;
  maxHumidity: number | bigint;
}

/** A Rules struct as parsed, or as `rulesOf` returns it. */
export interface RulesLike {
  storageRange: RangeLike;
  transportRange: RangeLike;
  stopOnCritical: number | bigint;
  adverseCount: number | bigint;
  adverseWindow: number | bigint;
  ruleContract: string;
  ruleGas: number | bigint;
}

/** Rules in the CLI's JSON conventions (integers as decimal strings; temperatures in 0.01 °C). */
export function rulesToJson(rules: RulesLike): Record<string, unknown> {
  const range = (r: RangeLike) => ({
    minTemperature: r.minTemperature.toString(),
    maxTemperature: r.maxTemperature.toString(),
    maxHumidity: r.maxHumidity.toString(),
  });
  return {
    storageRange: range(rules.storageRange),
    transportRange: range(rules.transportRange),
    stopOnCritical: rules.stopOnCritical.toString(),
    adverseCount: rules.adverseCount.toString(),
    adverseWindow: rules.adverseWindow.toString(),
    ruleContract: rules.ruleContract,
    ruleGas: rules.ruleGas.toString(),
  };
}

function describeRange(name: string, r: RangeLike): string | undefined {
  const min = Number(r.minTemperature);
  const max = Number(r.maxTemperature);
  const humidity = Number(r.maxHumidity);
  const parts: string[] = [];
  if (min !== NO_MIN && max !== NO_MAX) parts.push(`${min / 100}–${max / 100} °C`);
  else if (min !== NO_MIN) parts.push(`≥ ${min / 100} °C`);
  else if (max !== NO_MAX) parts.push(`≤ ${max / 100} °C`);
  if (humidity !== NO_MAX_HUMIDITY) parts.push(`≤ ${humidity} % RH`);
  return parts.length === 0 ? undefined : `${name} ${parts.join(", ")}`;
}

/** Rules in a few words: "storage 2–8 °C, ≤ 65 % RH; transport 2–8 °C; critical stops at transport, storage". */
export function describeRules(rules: RulesLike): string {
  const parts = [describeRange("storage", rules.storageRange), describeRange("transport", rules.transportRange)].filter(
    (p): p is string => p !== undefined,
  );
  const stops = POINTS.filter((_, i) => (Number(rules.stopOnCritical) & (1 << i)) !== 0);
  if (stops.length > 0) parts.push(`critical stops at ${stops.join(", ")}`);
  if (Number(rules.adverseCount) > 0) {
    parts.push(`${rules.adverseCount} adverse reactions within ${Number(rules.adverseWindow) / 86400} days stop`);
  }
  if (hasRuleContract(rules)) parts.push(`rule contract ${rules.ruleContract} (${rules.ruleGas} gas)`);
  return parts.length === 0 ? "no limits" : parts.join("; ");
}
