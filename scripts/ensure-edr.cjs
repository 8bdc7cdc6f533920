// The first `npm install` on a machine whose system Node is older than 22 skips
// the native binary of Hardhat's EVM (@nomicfoundation/edr-<platform>, whose
// engines field needs Node >= 22). By the time this postinstall runs, the `node`
// package has put Node 22 first on PATH, so one more `npm install` (guarded
// against recursion) fetches it.
"use strict";
const { execSync } = require("node:child_process");

function edrLoads() {
  try {
    require("@nomicfoundation/edr");
    return true;
  } catch {
    return false;
  }
}

if (!edrLoads()) {
  if (process.env.MEDSTATE_EDR_REINSTALL) {
    console.error("medstate: Hardhat's EVM (@nomicfoundation/edr) still does not load after a second install; is Node >= 22.13 first on PATH?");
    process.exit(1);
  }
  console.log(`medstate: Hardhat's EVM binary is missing (install ran on Node ${process.version}); installing again on Node 22`);
  execSync("npm install --no-audit --no-fund", {
    stdio: "inherit",
    env: { ...process.env, MEDSTATE_EDR_REINSTALL: "1" },
  });
}
