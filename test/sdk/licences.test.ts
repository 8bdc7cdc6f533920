import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";

import { faultTolerance, threshold } from "../../sdk/bft.js";
import { LicenceKind } from "../../sdk/enums.js";
import { isoDate, parseDate, parseLicences } from "../../sdk/licences.js";

describe("sdk/licences", function () {
  const hash = `0x${"ab".repeat(32)}`;

  it("parses kind:hash:date[:issuer] lists", function () {
    expect(parseLicences(`gsp:${hash}:2030-06-30:1, distribution:${hash}:2031-01-01`)).to.deep.equal([
      { kind: LicenceKind.GoodSupplyPractice, documentHash: hash, issuer: 1n, expiresAt: 1909008000n },
      { kind: LicenceKind.Distribution, documentHash: hash, issuer: 0n, expiresAt: 1924992000n },
    ]);
    expect(parseLicences(undefined)).to.deep.equal([]);
  });

  it("hashes a document file", async function () {
    const dir = await mkdtemp(path.join(tmpdir(), "medstate-licence-"));
    const file = path.join(dir, "gmp.pdf");
    await writeFile(file, "GMP certificate");
    expect(parseLicences(`gmp:${file}:2030-06-30`)[0].documentHash).to.equal(keccak256(toUtf8Bytes("GMP certificate")));
  });

  it("refuses malformed specs with the reason", function () {
    expect(() => parseLicences("gsp")).to.throw('invalid --license "gsp": expected kind:hash-or-file:YYYY-MM-DD[:issuerPartyId]');
    expect(() => parseLicences(`brewing:${hash}:2030-06-30`)).to.throw('invalid licence kind "brewing"');
    expect(() => parseLicences("gsp:/no/such/file:2030-06-30")).to.throw("is neither a 32-byte 0x-hash nor a readable file");
    expect(() => parseLicences(`gsp:${hash}:30/06/2030`)).to.throw('invalid licence expiry "30/06/2030"');
    expect(() => parseLicences(`gsp:${hash}:2030-06-30:x`)).to.throw("issuer must be a party id");
  });

  it("converts dates both ways", function () {
    expect(parseDate("d", "1970-01-02")).to.equal(86400n);
    expect(isoDate(86400n)).to.equal("1970-01-02T00:00:00.000Z");
    expect(isoDate(2n ** 48n - 1n)).to.equal(null);
    expect(isoDate(0)).to.equal(null);
  });
});

describe("sdk/bft", function () {
  it("tolerates f = ⌊(n−1)/3⌋ and needs n − f", function () {
    const table = [0, 1, 2, 3, 4, 5, 6, 7, 10].map((n) => [n, faultTolerance(n), threshold(n)]);
    expect(table).to.deep.equal([
      [0, 0, 0],
      [1, 0, 1],
      [2, 0, 2],
      [3, 0, 3],
      [4, 1, 3],
      [5, 1, 4],
      [6, 1, 5],
      [7, 2, 5],
      [10, 3, 7],
    ]);
  });
});
