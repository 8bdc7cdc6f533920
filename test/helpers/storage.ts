/** Raw storage access for the layout tests. */
import { ethers } from "./fixtures.js";

const coder = ethers.AbiCoder.defaultAbiCoder();

/** ERC-7201: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff. */
export function erc7201(id: string): bigint {
  const inner = BigInt(ethers.id(id)) - 1n;
  return BigInt(ethers.keccak256(coder.encode(["uint256"], [inner]))) & ~0xffn;
}

/** One storage word of `address`, as a number. */
export async function word(address: string, slot: bigint): Promise<bigint> {
  return BigInt(await ethers.provider.getStorage(address, slot));
}
