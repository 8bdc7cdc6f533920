/**
 * What a test needs to know about `hardhat test --coverage` (`npm run coverage`): the
 * contracts run instrumented — a probe before every statement — so the gas they use is
 * not theirs. Gas figures belong to `npm run bench`; a test that must bound gas (to prove
 * a design property, such as "no call to the registry") skips that one assertion under
 * coverage, and says so in the report.
 */

/** Set by Hardhat in the test process for `--coverage` (global options become `HARDHAT_*`). */
export const UNDER_COVERAGE = process.env.HARDHAT_COVERAGE === "true";

/**
 * Runs `check`, a gas bound, unless the suite runs under coverage; then prints that the
 * bound `what` was skipped, under the test's line.
 */
export function gasBound(what: string, check: () => void): void {
  if (!UNDER_COVERAGE) {
    check();
    return;
  }
  console.log(`        (coverage: instrumented code, gas bound not checked: ${what})`);
}
