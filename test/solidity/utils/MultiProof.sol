// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title MultiProof
 * @notice Merkle multiproofs for a positional tree of a power-of-two number of leaves, hashed
 * with sorted pairs (OpenZeppelin's commutative keccak), built on-chain in tests. Mirrors
 * OpenZeppelin's `getMultiProof` (merkle-tree `core.ts`): the tree is laid out as a heap
 * (root at 0, the children of node i at 2i + 1 and 2i + 2, leaf k at n - 1 + k), the proven
 * leaves are taken by tree index descending, and a queue of positions is worked from its
 * front: a flag is `true` when the sibling is the next queued position (consumed), else the
 * sibling's node is pushed onto the proof; the parent joins the queue's end.
 */
library MultiProof {
    /// A multiproof of the leaves whose bits are set in `mask` (bit k: leaf k), for
    /// {MerkleProof-multiProofVerify}: `indices` are the proven leaves' positions in the
    /// order the proof takes them (descending), `proofLeaves` their hashes in that order.
    struct Proof {
        uint256[] indices;
        bytes32[] proofLeaves;
        bytes32[] proof;
        bool[] flags;
    }

    /// The tree over `leaves` (a power of two of them, at least 2) as a heap of 2n - 1 nodes.
    function tree(bytes32[] memory leaves) internal pure returns (bytes32[] memory nodes) {
        uint256 n = leaves.length;
        nodes = new bytes32[](2 * n - 1);
        for (uint256 k = 0; k < n; ++k) nodes[n - 1 + k] = leaves[k];
        for (uint256 i = n - 1; i > 0; --i) nodes[i - 1] = _hashPair(nodes[2 * i - 1], nodes[2 * i]);
    }

    /// The multiproof of the leaves set in `mask` (at least one; bits beyond the leaves ignored).
    function build(bytes32[] memory leaves, uint256 mask) internal pure returns (Proof memory p) {
        uint256 n = leaves.length;
        bytes32[] memory nodes = tree(leaves);
        uint256 count = 0;
        for (uint256 k = 0; k < n; ++k) if ((mask >> k) & 1 == 1) ++count;
        require(count > 0, "MultiProof: no leaves");
        p.indices = new uint256[](count);
        p.proofLeaves = new bytes32[](count);
        // The queue holds each proven leaf once, then one parent per step (one per flag:
        // fewer than the tree's 2n - 1 nodes).
        uint256[] memory queue = new uint256[](count + 2 * n);
        uint256 tail = 0;
        for (uint256 k = n; k > 0; --k) {
            if ((mask >> (k - 1)) & 1 == 0) continue;
            p.indices[tail] = k - 1;
            p.proofLeaves[tail] = leaves[k - 1];
            queue[tail++] = n - 1 + (k - 1);
        }
        bytes32[] memory proof = new bytes32[](2 * n);
        bool[] memory flags = new bool[](2 * n);
        uint256 proofLength = 0;
        uint256 flagCount = 0;
        uint256 head = 0;
        while (head < tail && queue[head] > 0) {
            uint256 j = queue[head++];
            uint256 s = j % 2 == 1 ? j + 1 : j - 1;
            if (head < tail && queue[head] == s) {
                flags[flagCount++] = true;
                ++head;
            } else {
                flags[flagCount++] = false;
                proof[proofLength++] = nodes[s];
            }
            queue[tail++] = (j - 1) / 2;
        }
        assembly ("memory-safe") {
            mstore(proof, proofLength)
            mstore(flags, flagCount)
        }
        p.proof = proof;
        p.flags = flags;
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}
