/**
 * The MedState SDK, as integrators import it (`import { … } from "medstate"`): enums,
 * errors, unit codes and proofs, observations and device signing (EIP-712), the
 * deployment record, the contracts' combined interface, replay and audit, EPCIS 2.0,
 * and the Besu QBFT network kit. The typechain ethers bindings are `medstate/ethers`,
 * the viem `as const` ABIs `medstate/abi`.
 */
export * from "./enums.js";
export * from "./errors.js";
export * from "./codes.js";
export * from "./units.js";
export * from "./baskets.js";
export * from "./unit-audit.js";
export * from "./quality.js";
export * from "./verdicts.js";
export * from "./licences.js";
export * from "./deployment.js";
export * from "./contracts.js";
export * from "./epcis.js";
export * from "./bft.js";
export * from "./network/qbft.js";

export * from "./replay/codec.js";
export * from "./replay/logs.js";
export * from "./replay/identity.js";
export * from "./replay/state.js";
export * from "./replay/compare.js";
export * from "./replay/chain.js";
export * from "./replay/snapshot.js";
export * from "./replay/dispensers.js";
