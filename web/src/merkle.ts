/**
 * The unit commitment, checked in the page: OpenZeppelin's standard Merkle leaf of
 * `[uint256 index, bytes32 unitHash]` and its sorted-pair proof (MerkleProof.processProof).
 */
import { type Hex, concat, encodeAbiParameters, hexToBigInt, keccak256, stringToHex } from "viem";

/** keccak256(utf8(canonical code)): the unit's hash. */
export function unitHashOf(canonical: string): Hex {
  return keccak256(stringToHex(canonical));
}

/** keccak256(bytes.concat(keccak256(abi.encode(index, unitHash)))). */
export function unitLeaf(index: bigint, unitHash: Hex): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], [index, unitHash])));
}

function hashPair(a: Hex, b: Hex): Hex {
  return hexToBigInt(a) < hexToBigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** The root that `proof` leads to from `leaf`. */
export function rootOf(leaf: Hex, proof: readonly Hex[]): Hex {
  return proof.reduce<Hex>((node, sibling) => hashPair(node, sibling), leaf);
}

/** Whether unit `index` with hash `unitHash` is under `root` by `proof`. */
export function proves(root: Hex, index: bigint, unitHash: Hex, proof: readonly Hex[]): boolean {
  return rootOf(unitLeaf(index, unitHash), proof).toLowerCase() === root.toLowerCase();
}
