import { createRequire } from "node:module";

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

import hardhatViem from "./plugins/viem-on-demand.js";
import { medstateTasks } from "./tasks/index.js";

// The compiler is the wasm build in the npm `solc` package, pinned in package.json:
// nothing is downloaded. Hardhat does not check `version` against the binary, so
// both are read from the package itself.
const require = createRequire(import.meta.url);
const solc = {
  version: (require("solc/package.json") as { version: string }).version,
  path: require.resolve("solc/soljson.js"),
  settings: {
    // Our Besu genesis enables Cancun from block 0 (OpenZeppelin 5.x needs MCOPY).
    evmVersion: "cancun",
    // Gas first, within the 24,576-byte code limit (EIP-170); `npm run bench` measures
    // the result.
    optimizer: { enabled: true, runs: 5_000 },
  },
};

// BatchRegistry holds only the hot paths (ship, receive, dispense) and routes the rest,
// and BulkCustody the national-scale ones (baskets, pallets): each has room to be
// compiled for runtime gas alone: the IR pipeline, which combines the several fields each
// path writes into fewer storage operations, with a high runs count (measured on a
// 1,000-unit batch: a dispense about 2,000 gas cheaper).
const hotPaths = {
  version: solc.version,
  path: solc.path,
  settings: { ...solc.settings, viaIR: true, optimizer: { enabled: true, runs: 1_000_000 } },
};
// The collaboration engine (states, recalls, destruction, suspect cases) runs rarely and
// is the largest code object: compiled for size, it keeps room under EIP-170's limit.
const compact = {
  version: solc.version,
  path: solc.path,
  settings: { ...solc.settings, optimizer: { enabled: true, runs: 200 } },
};
const profile = {
  compilers: [solc],
  overrides: {
    "contracts/supply/BatchRegistry.sol": hotPaths,
    "contracts/supply/BulkCustody.sol": hotPaths,
    "contracts/quality/CollaborationEngine.sol": compact,
    // Solidity tests compile the engines inside their own jobs: keep them within the limit there too.
    "test/solidity/BatchRegistry.t.sol": compact,
    "test/solidity/Collaboration.t.sol": compact,
    "test/solidity/UnknownCodes.t.sol": compact,
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers, hardhatViem],
  tasks: medstateTasks,
  solidity: {
    profiles: {
      default: profile,
      production: profile,
    },
    npmFilesToBuild: ["@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol"],
  },
  paths: {
    // Ignition modules, per-network parameters and deployment records live in deploy/.
    // Tests point this elsewhere so that they never touch an operator's records.
    ignition: process.env.MEDSTATE_IGNITION_DIR ?? "deploy",
    tests: { mocha: "test", solidity: "test/solidity" },
  },
  networks: {
    // The embedded chain of tests, scripts and the demo: free gas like the permissioned
    // chain, and a base fee that stays 0 — EIP-1559 raises it after a block more than
    // half full, and instrumented code under `--coverage` would fill 60,000,000-gas
    // blocks past the fees their transactions were sent with.
    default: {
      type: "edr-simulated",
      initialBaseFeePerGas: 0,
      blockGasLimit: 1_000_000_000,
    },
    // The chain `hardhat node` serves, free gas like the permissioned chain: base fee 0.
    node: {
      type: "edr-simulated",
      initialBaseFeePerGas: 0,
    },
    // A local node (`npm run node`, or anvil): tasks send zero-price transactions.
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.MEDSTATE_RPC_URL ?? "http://127.0.0.1:8545",
      gasPrice: 0,
    },
    // A Hyperledger Besu QBFT network (`npx hardhat network genesis`): free gas. The URL
    // and the deployer key are read only when a task uses this network, from the
    // keystore (`npx hardhat keystore set MEDSTATE_BESU_PRIVATE_KEY`) or the environment.
    besu: {
      type: "http",
      chainType: "l1",
      url: configVariable("MEDSTATE_BESU_URL"),
      accounts: [configVariable("MEDSTATE_BESU_PRIVATE_KEY")],
      gasPrice: 0,
    },
  },
});
