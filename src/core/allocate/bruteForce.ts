/**
 * Reference solver for tiny problems: enumerates every allocation. Written independently of the chain
 * compilation (straight from METHOD.md's formulas), so tests can check the solvers against it.
 */
import { sizeWidth } from './storedBits';
import type { AllocationProblem } from './types';
import { resolveBudgets } from './budgets';

export interface BruteForceAnswer {
  bits: number[];
  /** Objective in the user's sense (maximized in paper mode, minimized in sensitivity mode). */
  objective: number;
  sizeBits: number;
  bops: number;
}

/** Size, BOPs and objective of an allocation, computed directly from the problem's definition. */
export function scoreAllocation(problem: AllocationProblem, bits: readonly number[]): { objective: number; sizeBits: number; bops: number } {
  const { units, objective } = problem;
  const locks = problem.locks ?? [];
  const isFp = (i: number) => locks[i]?.kind === 'fp';
  let sizeBits = 0;
  let bops = 0;
  let value = 0;
  for (let i = 0; i < units.length; i++) {
    const b = bits[i];
    const a = isFp(i) ? b : (units[i].activationBits ?? problem.activationBits ?? b);
    sizeBits += units[i].params * sizeWidth(problem, i, b);
    bops += units[i].macs * b * a;
    if (isFp(i)) continue;
    if (objective.mode === 'paper') value += objective.importance[i] * b;
    else value += objective.sensitivity.lossByUnit[i][objective.sensitivity.widths.indexOf(b)];
  }
  let penalty = 0;
  for (let i = 0; i + 1 < units.length; i++) {
    if (isFp(i) || isFp(i + 1)) continue;
    penalty += objective.lambda * objective.synergy[i] * Math.abs(bits[i] - bits[i + 1]);
  }
  const total = objective.mode === 'paper' ? value - penalty : value + penalty;
  return { objective: total, sizeBits, bops };
}

/** The best allocation meeting every budget (relative slack 1e-9), or null when none does. */
export function bruteForce(problem: AllocationProblem): BruteForceAnswer | null {
  return enumerateAllocations(problem).best;
}

/** The best feasible allocation (or null) and the smallest and largest size and BOPs of any allocation. */
export function enumerateAllocations(problem: AllocationProblem): {
  best: BruteForceAnswer | null;
  reach: { minSizeBits: number; maxSizeBits: number; minBops: number; maxBops: number };
} {
  const { units, candidates } = problem;
  const locks = problem.locks ?? [];
  const budgets = resolveBudgets(problem);
  const fits = (value: number, max: number | null, min: number | null) =>
    (max === null || value <= max * (1 + 1e-9)) && (min === null || value >= min * (1 - 1e-9));
  const options = units.map((_, i) => {
    const lock = locks[i];
    return lock ? [lock.bits] : [...candidates];
  });
  const index = new Array<number>(units.length).fill(0);
  let best: BruteForceAnswer | null = null;
  const better = (a: number, b: number) => (problem.objective.mode === 'paper' ? a > b : a < b);
  const reach = { minSizeBits: Infinity, maxSizeBits: -Infinity, minBops: Infinity, maxBops: -Infinity };
  for (;;) {
    const bits = index.map((k, i) => options[i][k]);
    const score = scoreAllocation(problem, bits);
    reach.minSizeBits = Math.min(reach.minSizeBits, score.sizeBits);
    reach.maxSizeBits = Math.max(reach.maxSizeBits, score.sizeBits);
    reach.minBops = Math.min(reach.minBops, score.bops);
    reach.maxBops = Math.max(reach.maxBops, score.bops);
    if (fits(score.sizeBits, budgets.maxSizeBits, budgets.minSizeBits) && fits(score.bops, budgets.maxBops, budgets.minBops)) {
      if (!best || better(score.objective, best.objective)) best = { bits, ...score };
    }
    let i = 0;
    while (i < units.length && ++index[i] === options[i].length) index[i++] = 0;
    if (i === units.length) return { best, reach };
  }
}

/**
 * Everything wrong with a returned allocation, checked from the problem's definition (not the solver's sums):
 * budgets (relative slack 1e-9), locks, candidate membership, and the reported objective, size and BOPs.
 */
export function allocationViolations(
  problem: AllocationProblem,
  result: { bits: number[] | null; objective: number | null; sizeBits: number | null; bops: number | null },
): string[] {
  if (!result.bits) return ['no allocation'];
  const bits = result.bits;
  const problems: string[] = [];
  const score = scoreAllocation(problem, bits);
  const budgets = resolveBudgets(problem);
  const slack = 1 + 1e-9;
  if (budgets.maxSizeBits !== null && score.sizeBits > budgets.maxSizeBits * slack) problems.push(`size ${score.sizeBits} > ${budgets.maxSizeBits}`);
  if (budgets.minSizeBits !== null && score.sizeBits * slack < budgets.minSizeBits) problems.push(`size ${score.sizeBits} < ${budgets.minSizeBits}`);
  if (budgets.maxBops !== null && score.bops > budgets.maxBops * slack) problems.push(`BOPs ${score.bops} > ${budgets.maxBops}`);
  if (budgets.minBops !== null && score.bops * slack < budgets.minBops) problems.push(`BOPs ${score.bops} < ${budgets.minBops}`);
  bits.forEach((b, i) => {
    const lock = problem.locks?.[i];
    if (lock && b !== lock.bits) problems.push(`unit ${i} is locked at ${lock.bits} but got ${b}`);
    if (!lock && !problem.candidates.includes(b)) problems.push(`unit ${i} got ${b}, not a candidate`);
  });
  if (result.objective === null || Math.abs(result.objective - score.objective) > 1e-10 * Math.max(1, Math.abs(score.objective))) {
    problems.push(`objective ${result.objective} ≠ ${score.objective}`);
  }
  if (result.sizeBits !== score.sizeBits) problems.push(`size reported ${result.sizeBits} ≠ ${score.sizeBits}`);
  if (result.bops !== score.bops) problems.push(`BOPs reported ${result.bops} ≠ ${score.bops}`);
  return problems;
}
