import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";

import { UNIT_LEAF_ENCODING, buildUnitTree } from "../../sdk/units.js";

const codes = Array.from({ length: 37 }, (_, i) => `010690123456789221S${i}`);
const PICKS = [[0], [36], [3, 4, 5, 6], [36, 1, 17], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], Array.from({ length: 37 }, (_, i) => i)];

/** UnitTree.multiProof against OpenZeppelin's own getMultiProof, in both leaf orders. */
describe("UnitTree multiproofs", function () {
  for (const order of ["hash", "index"] as const) {
    it(`are OpenZeppelin's getMultiProof, leaf for leaf, in ${order} order (and the root is StandardMerkleTree.of's)`, async function () {
      const { tree } = await buildUnitTree(codes, { order });
      const values = codes.map((_, i): [number, string] => [i, tree.unitHash(i)]);
      const oz = StandardMerkleTree.of(values, UNIT_LEAF_ENCODING, { sortLeaves: order === "hash" });
      expect(tree.root).to.equal(oz.root);
      for (const pick of PICKS) {
        const mine = tree.multiProof(pick);
        const theirs = oz.getMultiProof(pick);
        expect(mine.indices, `${pick}`).to.deep.equal(theirs.leaves.map((leaf) => leaf[0]));
        expect(mine.proof, `${pick}`).to.deep.equal(theirs.proof);
        expect(mine.proofFlags, `${pick}`).to.deep.equal(theirs.proofFlags);
        const leaves = mine.indices.map((i) => [i, tree.unitHash(i)]);
        expect(StandardMerkleTree.verifyMultiProof(oz.root, UNIT_LEAF_ENCODING, { leaves, proof: mine.proof, proofFlags: mine.proofFlags })).to.equal(true);
      }
    });
  }

  it("keeps adjacent units' multiproof short in index order: ten neighbours need fewer proof nodes than in hash order", async function () {
    const neighbours = PICKS[4];
    const byIndex = (await buildUnitTree(codes, { order: "index" })).tree.multiProof(neighbours).proof.length;
    const byHash = (await buildUnitTree(codes, { order: "hash" })).tree.multiProof(neighbours).proof.length;
    expect(byIndex).to.be.lessThan(byHash);
  });

  it("refuses a unit listed twice, or out of range, in one line", async function () {
    const { tree } = await buildUnitTree(codes, { order: "index" });
    expect(() => tree.multiProof([3, 4, 3])).to.throw("unit index 3 is listed twice");
    expect(() => tree.multiProof([37])).to.throw("unit index 37 is out of range: the batch has 37 units");
  });
});
