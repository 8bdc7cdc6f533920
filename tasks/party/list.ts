import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { DOMAINS, PARTY_STATUSES, enumName } from "../../sdk/enums.js";
import { isoDate } from "../../sdk/licences.js";
import { type TaskResult, openDeployment, taskAction } from "../lib/runtime.js";

interface Args {
  json: boolean;
}

export async function run(_args: Args, hre: HardhatRuntimeEnvironment): Promise<TaskResult> {
  const { registry } = await openDeployment(hre);
  const count = await registry.partyCount();
  const parties = [];
  for (let id = 1n; id <= count; id++) {
    const p = await registry.getParty(id);
    parties.push({
      partyId: id.toString(),
      name: p.name,
      domain: enumName(DOMAINS, p.domain),
      status: enumName(PARTY_STATUSES, p.status),
      admin: p.admin,
      voter: p.voter,
      licencesValidUntil: isoDate(p.licencesValidUntil),
      revokedLicences: Number(p.revokedLicences),
      canAct: await registry.isPartyActive(id),
    });
  }
  const human = parties
    .map(
      (p) =>
        `${p.partyId.padStart(3)}  ${p.status.padEnd(9)} ${p.domain.padEnd(12)} ${p.voter ? "voter" : "     "}  ${p.admin}  ${p.name}` +
        (p.canAct || p.status !== "active" ? "" : "  (blocked: licence expired or revoked)"),
    )
    .join("\n");
  return { json: parties, human: human === "" ? "no parties" : human };
}

export default taskAction(run);
