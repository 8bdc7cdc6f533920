import { expect } from "chai";

import { unitHashOf } from "../../sdk/codes.js";
import { replayChain } from "../../sdk/replay/chain.js";
import { compareState } from "../../sdk/replay/compare.js";
import { HOSPITAL, MAKER, PHARMACY, WHOLESALER, ethers, networkHelpers } from "../helpers/fixtures.js";
import { type BatchQualityCtx, GTIN, distributedBatch, suspectsAt } from "../helpers/quality.js";
import { allLogs, nth, recordOf, replayerOf } from "./replay.fixtures.js";

const { loadFixture } = networkHelpers;

const GTIN14 = GTIN.toString().padStart(14, "0");
const FAKE = [1, 2, 3, 4].map((n) => unitHashOf(`01${GTIN14}21FAKE-${n}`));
/** A valid GTIN no party registered. */
const UNREGISTERED = 4006381333931n;

/**
 * distributedBatch, then: the pharmacy dispenses a basket of two genuine units and reports
 * an invented code in its own transaction (report 1); the wholesaler reports three codes at
 * once (2: the vaccine, 3: no GTIN, 4: an unregistered GTIN); the hospital one (5).
 */
async function reportedChain(): Promise<BatchQualityCtx> {
  const c = await distributedBatch();
  const suspects = await suspectsAt(c);
  await c.batchRegistry.connect(c.pharmacy).dispenseBasket([c.tree.group(c.batchId, [0n, 1n])]);
  await suspects.connect(c.pharmacy).reportUnknownCode(FAKE[0], GTIN);
  await suspects.connect(c.wholesaler).reportUnknownCodes([
    { codeHash: FAKE[1], gtin: GTIN },
    { codeHash: FAKE[2], gtin: 0n },
    { codeHash: FAKE[3], gtin: UNREGISTERED },
  ]);
  await suspects.connect(c.hospital).reportUnknownCode(FAKE[1], GTIN);
  return c;
}

describe("replayChain: unknown-code reports (sdk/replay)", function () {
  it("counts every report, rebuilds the chain's report count and finds it equal to the view", async function () {
    const c = await loadFixture(reportedChain);
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    expect(result.anomalies).to.deep.equal([]);
    expect(result.mismatches).to.deep.equal([]);
    expect(result.state.unknownCodeReports).to.equal(5n);
    expect(result.state.counts.get("UnknownCodeReported")).to.equal(5n);
    // The reports moved no stock: the pharmacy's custody is its basket's alone.
    expect(result.state.batches.get(c.batchId.toLowerCase())!.custody.get(PHARMACY)).to.deep.include({ held: 18n, dispensed: 2n });
  });

  it("detects a report count the view does not have (the check can fail)", async function () {
    const c = await loadFixture(reportedChain);
    const result = await replayChain({ provider: ethers.provider, record: await recordOf(c) });
    result.state.unknownCodeReports += 1n;
    const mismatches = await compareState(ethers.provider, result.state, { blockTag: result.toBlock });
    expect(mismatches.map((m) => `${m.entity} | ${m.field} | ${m.replayed} | ${m.view}`)).to.deep.equal([
      "collaboration | unknownCodeReportCount | 6 | 5",
    ]);
  });

  it("reports a report numbered out of order, a zero code hash and a holder the replay does not have as anomalies", async function () {
    const c = await loadFixture(reportedChain);
    const record = await recordOf(c);
    const logs = await allLogs(record);
    const replayer = replayerOf(record, logs);
    expect(replayer.state.anomalies).to.deep.equal([]);
    for (const log of [
      nth(logs, "UnknownCodeReported", 0), // report 1 again: the next is 6
      nth(logs, "UnknownCodeReported", 1, { reportNo: 7n, codeHash: ethers.ZeroHash }),
      nth(logs, "UnknownCodeReported", 2, { reportNo: 8n, holder: MAKER }), // no GTIN: no holder
      nth(logs, "UnknownCodeReported", 1, { reportNo: 9n, holder: WHOLESALER }), // the vaccine is the maker's
      nth(logs, "UnknownCodeReported", 4, { reportNo: 10n, gtin: UNREGISTERED, holder: HOSPITAL }),
    ]) {
      replayer.apply(log);
    }
    expect(replayer.state.anomalies.map((a) => a.problem)).to.deep.equal([
      "unknown-code report 1, replayed 6",
      "unknown-code report 7 of a zero code hash",
      `unknown-code report 8 names holder ${MAKER} of product 0, replayed 0`,
      `unknown-code report 9 names holder ${WHOLESALER} of product ${GTIN}, replayed ${MAKER}`,
      `unknown-code report 10 names holder ${HOSPITAL} of product ${UNREGISTERED}, replayed 0`,
    ]);
    expect(replayer.state.unknownCodeReports).to.equal(10n);
  });
});
