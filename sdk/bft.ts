/**
 * The consortium's Byzantine-fault-tolerant supermajority: with `n` voters,
 * `f = ⌊(n−1)/3⌋` faulty ones are tolerated and a proposal needs `n − f` approvals,
 * which is more than two thirds of `n`. Mirrors `ConsortiumGovernor.thresholdFor`.
 */
export function faultTolerance(voters: number): number {
  return voters <= 0 ? 0 : Math.floor((voters - 1) / 3);
}

export function threshold(voters: number): number {
  return voters <= 0 ? 0 : voters - faultTolerance(voters);
}
