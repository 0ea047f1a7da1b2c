/**
 * The allocation problem compiled to a chain: every unit has a short list of options (widths), each with a
 * cost, a size and a BOPs contribution; consecutive units pay pairWeight·|w − w'|. All solvers work on this.
 *
 * Internally the cost is always minimized: paper mode's Σ Ω_i b_i becomes −Σ Ω_i b_i (METHOD.md,
 * "The integer program"). Size and BOPs are divided by Σ p_i and Σ MAC_i so both constraints read in
 * "average bits" and "average bits²": well scaled for the multipliers and for glpk's rows.
 */
import { sizeWidth } from './storedBits';
import type { AllocationProblem, ResolvedBudgets, Reach } from './types';
import { validateProblem } from './validate';
import { resolveBudgets } from './budgets';

export interface ChainProblem {
  unitCount: number;
  /** Options of unit i are indices offsets[i] .. offsets[i+1]−1 of the per-option arrays. */
  offsets: Int32Array;
  width: Float64Array;
  cost: Float64Array;
  /** p_i·w / Σp. */
  size: Float64Array;
  /** MAC_i·w·a / Σ MAC. */
  bops: Float64Array;
  /** The same two in absolute units (bits of weights, bit operations), for exact totals. */
  sizeBits: Float64Array;
  bitOps: Float64Array;
  /** λ Ŝ_{i,i+1}, 0 where either side is kept at full precision. Length unitCount − 1. */
  pairWeight: Float64Array;
  /** User objective = sign × internal cost: −1 for paper mode (maximize), +1 for sensitivity mode. */
  sign: 1 | -1;
  paramsTotal: number;
  macsTotal: number;
  /** Normalized constraint sides; ±Infinity where absent. */
  sizeMax: number;
  sizeMin: number;
  bopsMax: number;
  bopsMin: number;
  /** The sides as meetsBudgets accepts them: widened by BUDGET_TOLERANCE, ±Infinity where absent. */
  limits: { sizeHigh: number; sizeLow: number; bopsHigh: number; bopsLow: number };
  budgets: ResolvedBudgets;
  reach: Reach;
}

/** Relative slack when testing a normalized budget: rounding noise must not make a fitting allocation fail. */
export const BUDGET_TOLERANCE = 1e-9;

export function compileChain(problem: AllocationProblem): ChainProblem {
  validateProblem(problem);
  const { units, candidates, objective } = problem;
  const unitCount = units.length;
  const locks = problem.locks ?? [];
  const paramsTotal = units.reduce((sum, u) => sum + u.params, 0);
  const macsTotal = units.reduce((sum, u) => sum + u.macs, 0);
  const sizeScale = paramsTotal > 0 ? paramsTotal : 1;
  const bopsScale = macsTotal > 0 ? macsTotal : 1;
  const sortedCandidates = [...candidates].sort((a, b) => a - b);

  const offsets = new Int32Array(unitCount + 1);
  const width: number[] = [];
  const cost: number[] = [];
  const size: number[] = [];
  const bops: number[] = [];
  const sizeBits: number[] = [];
  const bitOps: number[] = [];
  const isFullPrecision: boolean[] = [];
  const sensitivityColumn = new Map<number, number>();
  if (objective.mode === 'sensitivity') objective.sensitivity.widths.forEach((w, j) => sensitivityColumn.set(w, j));

  for (let i = 0; i < unitCount; i++) {
    offsets[i] = width.length;
    const unit = units[i];
    const lock = locks[i] ?? null;
    const fullPrecision = lock?.kind === 'fp';
    isFullPrecision.push(fullPrecision);
    const options = lock ? [lock.bits] : sortedCandidates;
    for (const w of options) {
      const activationBits = fullPrecision ? w : (unit.activationBits ?? problem.activationBits ?? w);
      width.push(w);
      const stored = sizeWidth(problem, i, w);
      sizeBits.push(unit.params * stored);
      bitOps.push(unit.macs * w * activationBits);
      size.push((unit.params * stored) / sizeScale);
      bops.push((unit.macs * w * activationBits) / bopsScale);
      if (fullPrecision) cost.push(0);
      else if (objective.mode === 'paper') cost.push(-objective.importance[i] * w);
      else cost.push(objective.sensitivity.lossByUnit[i][sensitivityColumn.get(w) as number]);
    }
  }
  offsets[unitCount] = width.length;

  const pairWeight = new Float64Array(Math.max(0, unitCount - 1));
  for (let i = 0; i + 1 < unitCount; i++) {
    if (!isFullPrecision[i] && !isFullPrecision[i + 1]) pairWeight[i] = objective.lambda * objective.synergy[i];
  }

  const chain: ChainProblem = {
    unitCount,
    offsets,
    width: Float64Array.from(width),
    cost: Float64Array.from(cost),
    size: Float64Array.from(size),
    bops: Float64Array.from(bops),
    sizeBits: Float64Array.from(sizeBits),
    bitOps: Float64Array.from(bitOps),
    pairWeight,
    sign: objective.mode === 'paper' ? -1 : 1,
    paramsTotal,
    macsTotal,
    sizeMax: Infinity,
    sizeMin: -Infinity,
    bopsMax: Infinity,
    bopsMin: -Infinity,
    limits: { sizeHigh: Infinity, sizeLow: -Infinity, bopsHigh: Infinity, bopsLow: -Infinity },
    budgets: { maxSizeBits: null, minSizeBits: null, maxBops: null, minBops: null },
    reach: { minSizeBits: 0, maxSizeBits: 0, minBops: 0, maxBops: 0 },
  };
  chain.reach = computeReach(chain);
  chain.budgets = resolveBudgets(problem);
  const { maxSizeBits, minSizeBits, maxBops, minBops } = chain.budgets;
  if (maxSizeBits !== null) chain.sizeMax = maxSizeBits / sizeScale;
  if (minSizeBits !== null) chain.sizeMin = minSizeBits / sizeScale;
  if (maxBops !== null) chain.bopsMax = maxBops / bopsScale;
  if (minBops !== null) chain.bopsMin = minBops / bopsScale;
  // Relative slack, so rounding noise cannot make a fitting allocation fail.
  chain.limits = {
    sizeHigh: chain.sizeMax * (1 + BUDGET_TOLERANCE),
    sizeLow: chain.sizeMin * (1 - BUDGET_TOLERANCE),
    bopsHigh: chain.bopsMax * (1 + BUDGET_TOLERANCE),
    bopsLow: chain.bopsMin * (1 - BUDGET_TOLERANCE),
  };
  return chain;
}

/** Extremes over all allocations: size and BOPs grow with every unit's width, so the all-narrowest allocation
 * is the smallest in both at once and the all-widest the largest. */
function computeReach(chain: ChainProblem): Reach {
  const reach: Reach = { minSizeBits: 0, maxSizeBits: 0, minBops: 0, maxBops: 0 };
  for (let i = 0; i < chain.unitCount; i++) {
    const options = { start: chain.offsets[i], end: chain.offsets[i + 1] };
    const sizes = chain.sizeBits.subarray(options.start, options.end);
    const bops = chain.bitOps.subarray(options.start, options.end);
    reach.minSizeBits += Math.min(...sizes);
    reach.maxSizeBits += Math.max(...sizes);
    reach.minBops += Math.min(...bops);
    reach.maxBops += Math.max(...bops);
  }
  return reach;
}

/** Size in bits and BOPs of an allocation given as option indices, summed in absolute units. */
export function absoluteTotals(chain: ChainProblem, choice: ArrayLike<number>): { sizeBits: number; bops: number } {
  let sizeBits = 0;
  let bops = 0;
  for (let i = 0; i < chain.unitCount; i++) {
    sizeBits += chain.sizeBits[choice[i]];
    bops += chain.bitOps[choice[i]];
  }
  return { sizeBits, bops };
}

/** Cost, normalized size and normalized BOPs of an allocation given as one option index per unit. */
export function evaluateChoice(chain: ChainProblem, choice: ArrayLike<number>): { cost: number; size: number; bops: number } {
  let cost = 0;
  let size = 0;
  let bops = 0;
  for (let i = 0; i < chain.unitCount; i++) {
    const k = choice[i];
    cost += chain.cost[k];
    size += chain.size[k];
    bops += chain.bops[k];
    if (i > 0) cost += chain.pairWeight[i - 1] * Math.abs(chain.width[k] - chain.width[choice[i - 1]]);
  }
  return { cost, size, bops };
}

/** Whether normalized size and BOPs meet every budget side (with BUDGET_TOLERANCE slack). */
export function meetsBudgets(chain: ChainProblem, size: number, bops: number): boolean {
  const { limits } = chain;
  return size <= limits.sizeHigh && size >= limits.sizeLow && bops <= limits.bopsHigh && bops >= limits.bopsLow;
}

/** Widths of an allocation given as option indices. */
export function choiceToBits(chain: ChainProblem, choice: ArrayLike<number>): number[] {
  const bits: number[] = [];
  for (let i = 0; i < chain.unitCount; i++) bits.push(chain.width[choice[i]]);
  return bits;
}

/** Option indices of an allocation given as widths; throws if a width is not an option of its unit. */
export function bitsToChoice(chain: ChainProblem, bits: readonly number[]): Int32Array {
  if (bits.length !== chain.unitCount) throw new Error(`Expected ${chain.unitCount} widths, got ${bits.length}.`);
  const choice = new Int32Array(chain.unitCount);
  for (let i = 0; i < chain.unitCount; i++) {
    let found = -1;
    for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) if (chain.width[k] === bits[i]) found = k;
    if (found < 0) throw new Error(`Width ${bits[i]} is not an option of unit ${i}.`);
    choice[i] = found;
  }
  return choice;
}
