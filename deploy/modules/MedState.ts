import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys MedState: each contract as an implementation behind an ERC-1967 (UUPS)
 * proxy, the registry initialised with the founding parties, the governor with the
 * governance parameters, the batch registry with the code objects its routing table
 * names — product registry, quality engine, collaboration engine — (attached to the
 * consortium registry as a membership mirror), then binds
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
    // Admissions, parameter changes, upgrades and generic calls need the regulator among
    // the approvers: (1 << AdmitParty) | (1 << SetParameters) | (1 << Upgrade) | (1 << Call).
    // (Suspending, revoking or unseating a regulator party needs it whatever this says.)
    regulatorApprovalKinds: 450,
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

  // The code objects behind the batch registry's proxy, reached by its selector table (one
  // delegatecall each); each is fixed per implementation.
  const productRegistry = m.contract("ProductRegistry", [registry], { id: "ProductRegistry" });
  const collaborationEngine = m.contract("CollaborationEngine", [registry], { id: "CollaborationEngine" });
  const qualityEngine = m.contract("QualityEngine", [registry], { id: "QualityEngine" });
  const bulkCustody = m.contract("BulkCustody", [registry], { id: "BulkCustody" });
  const batchRegistryImpl = m.contract(
    "BatchRegistry",
    [registry, productRegistry, qualityEngine, collaborationEngine, bulkCustody],
    { id: "BatchRegistryImpl" },
  );
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
    productRegistry,
    qualityEngine,
    collaborationEngine,
    bulkCustody,
  };
});
