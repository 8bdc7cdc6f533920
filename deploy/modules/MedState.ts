import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys MedState: each contract as an implementation behind an ERC-1967 (UUPS)
 * proxy, the registry initialised with the founding parties, the governor with the
 * governance parameters, the batch registry with its quality and collaboration
 * engines (attached to the consortium registry as a membership mirror), then binds
 * the governor to the registry. From then on only
 * the governor (an executed proposal) can admit parties or upgrade anything.
 *
 * Parameters (`deploy/parameters/<network>.json`, key `MedState`):
 * - `founders`: `PartyAdmission[]` — name, domain, admin, voter, licences.
 * - `governance`: `{ votingPeriod, regulatorApprovalKinds }`.
 */
export default buildModule("MedState", (m) => {
  const founders = m.getParameter("founders");
  const governance = m.getParameter("governance", {
    votingPeriod: 7 * 24 * 3600,
    // Admissions and parameter changes need the regulator among the approvers:
    // (1 << ProposalKind.AdmitParty) | (1 << ProposalKind.SetParameters).
    regulatorApprovalKinds: 66,
  });

  const registryImpl = m.contract("ConsortiumRegistry", [], { id: "ConsortiumRegistryImpl" });
  const registryProxy = m.contract(
    "ERC1967Proxy",
    [registryImpl, m.encodeFunctionCall(registryImpl, "initialize", [founders])],
    { id: "ConsortiumRegistryProxy" },
  );
  const registry = m.contractAt("ConsortiumRegistry", registryProxy, { id: "ConsortiumRegistry" });

  const governorImpl = m.contract("ConsortiumGovernor", [], { id: "ConsortiumGovernorImpl" });
  const governorProxy = m.contract(
    "ERC1967Proxy",
    [governorImpl, m.encodeFunctionCall(governorImpl, "initialize", [registry, governance])],
    { id: "ConsortiumGovernorProxy" },
  );
  const governor = m.contractAt("ConsortiumGovernor", governorProxy, { id: "ConsortiumGovernor" });

  // The batch registry's two engines run on its proxy by delegatecall (BatchRegistry →
  // QualityEngine → CollaborationEngine); each is fixed per implementation.
  const collaborationEngine = m.contract("CollaborationEngine", [registry], { id: "CollaborationEngine" });
  const qualityEngine = m.contract("QualityEngine", [registry, collaborationEngine], { id: "QualityEngine" });
  const batchRegistryImpl = m.contract("BatchRegistry", [registry, qualityEngine], { id: "BatchRegistryImpl" });
  const batchRegistryProxy = m.contract(
    "ERC1967Proxy",
    [batchRegistryImpl, m.encodeFunctionCall(batchRegistryImpl, "initialize", [])],
    { id: "BatchRegistryProxy" },
  );
  const batchRegistry = m.contractAt("BatchRegistry", batchRegistryProxy, { id: "BatchRegistry" });

  // While the deployer is still the bootstrapper: attach the batch registry as a
  // membership mirror (the registry pushes the founders to it), then hand over.
  const attached = m.call(registry, "attachMirror", [batchRegistry]);
  m.call(registry, "setGovernor", [governor], { after: [attached] });

  return {
    registry,
    governor,
    batchRegistry,
    registryImpl,
    governorImpl,
    batchRegistryImpl,
    qualityEngine,
    collaborationEngine,
  };
});
