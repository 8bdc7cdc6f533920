import { readFile } from "node:fs/promises";

import { expect } from "chai";
import { artifacts } from "hardhat";

import {
  ACTORS,
  Actor,
  BATCH_STATUSES,
  BatchStatus,
  CASE_STATUSES,
  CaseStatus,
  DESTRUCTION_STATUSES,
  DOMAINS,
  DestructionStatus,
  Domain,
  LICENCE_KINDS,
  LicenceKind,
  MEMBER_STATUSES,
  MemberStatus,
  POINTS,
  PARTY_STATUSES,
  PROPOSAL_KINDS,
  PROPOSAL_STATES,
  PartyStatus,
  Point,
  ProposalKind,
  ProposalState,
  RESULTS,
  ROLES,
  RULE_KINDS,
  Result,
  Role,
  RuleKind,
  SHIPMENT_STATUSES,
  STATE_KINDS,
  ShipmentStatus,
  StateKind,
  UNIT_STATUSES,
  UNIT_VERDICTS,
  UnitStatus,
  UnitVerdict,
  enumName,
  mask,
  parseEnum,
} from "../../sdk/enums.js";

interface AstNode {
  nodeType?: string;
  name?: string;
  members?: { name: string }[];
  nodes?: AstNode[];
}

/** The members of every enum declared in the sources compiled with `contract`, from the compiler's AST. */
async function solidityEnums(contract: string): Promise<Map<string, string[]>> {
  const id = await artifacts.getBuildInfoId(contract);
  const file = id === undefined ? undefined : await artifacts.getBuildInfoOutputPath(id);
  if (file === undefined) throw new Error(`no build info for ${contract}`);
  const { output } = JSON.parse(await readFile(file, "utf8")) as { output: { sources: Record<string, { ast: AstNode }> } };
  const found = new Map<string, string[]>();
  const walk = (node: AstNode) => {
    if (node.nodeType === "EnumDefinition" && node.name !== undefined) {
      found.set(node.name, (node.members ?? []).map((m) => m.name));
    }
    for (const child of node.nodes ?? []) walk(child);
  };
  for (const source of Object.values(output.sources)) walk(source.ast);
  return found;
}

describe("sdk/enums", function () {
  const mirrors: [string, Record<string, number>, readonly string[]][] = [
    ["Domain", Domain, DOMAINS],
    ["PartyStatus", PartyStatus, PARTY_STATUSES],
    ["Role", Role, ROLES],
    ["MemberStatus", MemberStatus, MEMBER_STATUSES],
    ["LicenceKind", LicenceKind, LICENCE_KINDS],
    ["ProposalKind", ProposalKind, PROPOSAL_KINDS],
    ["ProposalState", ProposalState, PROPOSAL_STATES],
    ["BatchStatus", BatchStatus, BATCH_STATUSES],
    ["ShipmentStatus", ShipmentStatus, SHIPMENT_STATUSES],
    ["UnitStatus", UnitStatus, UNIT_STATUSES],
    ["UnitVerdict", UnitVerdict, UNIT_VERDICTS],
    ["Point", Point, POINTS],
    ["Result", Result, RESULTS],
    ["RuleKind", RuleKind, RULE_KINDS],
    ["StateKind", StateKind, STATE_KINDS],
    ["Actor", Actor, ACTORS],
    ["DestructionStatus", DestructionStatus, DESTRUCTION_STATUSES],
    ["CaseStatus", CaseStatus, CASE_STATUSES],
  ];

  for (const [name, values, cliNames] of mirrors) {
    it(`mirrors the Solidity enum ${name} in order, with one CLI name per member`, async function () {
      const enums = new Map([
        ...(await solidityEnums("ConsortiumGovernor")),
        ...(await solidityEnums("BatchRegistry")),
        ...(await solidityEnums("QualityEngine")),
        ...(await solidityEnums("CollaborationEngine")),
      ]);
      const members = enums.get(name);
      expect(members, `enum ${name} not found in the AST`).to.not.equal(undefined);
      expect(Object.keys(values)).to.deep.equal(members);
      expect(Object.values(values)).to.deep.equal(members!.map((_, i) => i));
      expect(cliNames).to.have.length(members!.length);
    });
  }

  describe("parseEnum", function () {
    it("accepts names case-insensitively, with or without dashes", function () {
      expect(parseEnum(DOMAINS, "--domain", "Wholesaler")).to.equal(Domain.Wholesaler);
      expect(parseEnum(LICENCE_KINDS, "kind", "MEDICAL_INSTITUTION")).to.equal(LicenceKind.MedicalInstitution);
      expect(parseEnum(LICENCE_KINDS, "kind", "medicalinstitution")).to.equal(LicenceKind.MedicalInstitution);
    });

    it("refuses none and unknown names, listing the valid ones", function () {
      expect(() => parseEnum(ROLES, "--role", "none")).to.throw('invalid --role "none": expected one of admin, operator, qa, device');
      expect(() => parseEnum(ROLES, "--role", "chef")).to.throw('invalid --role "chef"');
    });
  });

  it("names values and builds masks", function () {
    expect(enumName(PARTY_STATUSES, 2n)).to.equal("suspended");
    expect(enumName(PARTY_STATUSES, 9)).to.equal("unknown(9)");
    expect(mask(Role.Admin, Role.QA)).to.equal(0b1010n);
    expect(mask()).to.equal(0n);
  });
});
