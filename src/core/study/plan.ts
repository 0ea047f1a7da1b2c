/**
 * The quality study's plan: which budgets are compared, the uniform model at each budget, and the
 * mixed allocations held to exactly that budget (METHOD.md "The integer program": size
 * Σ p_i·b_i ≤ (Σ p_i)·b̄ and BOPs Σ MAC_i·b_i² ≤ (Σ MAC_i)·b̄², with b̄ the uniform width), in paper
 * mode (Ω) and sensitivity mode (σ). Pure: the allocation problems are built from analysis results.
 */
import { CANDIDATE_PRESETS, DEFAULT_SYNERGY_LAMBDA, resolveBudgets, scoreAllocation, type AllocationProblem, type AllocationUnit } from '../allocate';
import type { AnalysisResults } from '../analysis/analysisResults';
import { extrapolateSensitivity } from '../analysis/metrics';

/** One budget of the study: the uniform width b̄ and the candidate widths a mixed allocation picks from. */
export interface StudyBudget {
  /** "W4A4" */
  label: string;
  bits: number;
  candidates: readonly number[];
}

/**
 * The budgets of the study, widest first. Candidates follow the (repro) presets (±2 bits around b̄);
 * W8A8 gets 6..10 by the same rule: with 8 as the widest candidate the only allocation using the whole
 * budget is uniform W8A8 itself. Widths above 8 are simulated (fake quant) only; the export stores INT8.
 */
export const STUDY_BUDGETS: readonly StudyBudget[] = [
  { label: 'W8A8', bits: 8, candidates: [6, 7, 8, 9, 10] },
  { label: 'W6A6', bits: 6, candidates: CANDIDATE_PRESETS.W6A6 },
  { label: 'W5A5', bits: 5, candidates: CANDIDATE_PRESETS.W5A5 },
  { label: 'W4A4', bits: 4, candidates: CANDIDATE_PRESETS.W4A4 },
  { label: 'W3A3', bits: 3, candidates: [2, 3, 4, 5] },
];

export type ObjectiveMode = 'paper' | 'sensitivity';

export interface MixedObjectiveOptions {
  mode: ObjectiveMode;
  /** λ of the synergy penalty ((repro) 0.1). */
  lambda?: number;
  /**
   * 'raw': λ multiplies Ŝ as METHOD.md writes it. 'objective': λ is first scaled by the objective's own
   * size per bit (see objectiveScalePerBit), so that λ = 1 makes one bit of disagreement between
   * strongly synergistic neighbours cost as much as one bit moved on an average unit.
   */
  lambdaScale?: 'raw' | 'objective';
  /** Each budget also gets a floor at this fraction ((repro) 0.95), or none (null, the default). */
  lowerBoundFraction?: number | null;
}

/** The units of an analysis as the allocation sees them; every unit needs its MACs. */
export function allocationUnits(results: AnalysisResults): AllocationUnit[] {
  return results.units.map((unit) => {
    if (unit.macs === null || !Number.isFinite(unit.macs)) {
      throw new Error(`Unit "${unit.id}" has no MAC count: the analysis calibration did not see its shapes, so its BOPs are unknown.`);
    }
    return { name: `${unit.part} · ${unit.role}`, params: unit.params, macs: unit.macs };
  });
}

/**
 * σ_i(b) at every width in `widths`: measured columns as the analysis reports them, other widths
 * (e.g. 9 and 10 bits when 2..8 were measured) continued with σ(b) ∝ 4^(−b) from the nearest measured
 * width (METHOD.md "Quantization sensitivity").
 */
export function sensitivityAtWidths(results: AnalysisResults, widths: readonly number[]): number[][] {
  return results.units.map((unit) => {
    const known = results.candidateBits.map((bits, j) => ({ bits, sigma: unit.sensitivity[j] }));
    return widths.map((bits) => {
      const sigma = extrapolateSensitivity(known, bits);
      if (!Number.isFinite(sigma)) throw new Error(`σ of unit "${unit.id}" at ${bits} bits is unknown: finish the analysis first.`);
      return sigma;
    });
  });
}

/**
 * How much the objective changes when one average unit moves by one bit: paper mode (1/n)·Σ Ω_i (Ω
 * sums to 1); sensitivity mode the mean over units of (σ_i(b_min) − σ_i(b_max)) / (b_max − b_min) over
 * the candidates. λ·Ŝ is in these units when `lambdaScale` is 'objective'. With a single candidate width no
 * unit can move (every |b − b'| is 0, so λ·Ŝ contributes nothing): sensitivity mode then gives 0, not 0/0.
 */
export function objectiveScalePerBit(results: AnalysisResults, mode: ObjectiveMode, candidates: readonly number[]): number {
  const n = results.units.length;
  if (mode === 'paper') return results.units.reduce((sum, unit) => sum + unit.importance, 0) / n;
  const lo = Math.min(...candidates);
  const hi = Math.max(...candidates);
  if (hi === lo) return 0;
  const table = sensitivityAtWidths(results, [lo, hi]);
  return table.reduce((sum, [atLo, atHi]) => sum + (atLo - atHi) / (hi - lo), 0) / n;
}

/** The allocation problem of a mixed model at exactly the size and BOPs of uniform `budget.bits`. */
export function mixedProblem(results: AnalysisResults, budget: StudyBudget, options: MixedObjectiveOptions): AllocationProblem {
  const units = allocationUnits(results);
  const lambdaBase = options.lambda ?? DEFAULT_SYNERGY_LAMBDA;
  const lambda = (options.lambdaScale ?? 'raw') === 'objective' ? lambdaBase * objectiveScalePerBit(results, options.mode, budget.candidates) : lambdaBase;
  const synergy = results.synergy.map((value) => (Number.isFinite(value) ? value : 0));
  const objective =
    options.mode === 'paper'
      ? { mode: 'paper' as const, importance: results.units.map((unit) => unit.importance), synergy, lambda }
      : {
          mode: 'sensitivity' as const,
          sensitivity: { widths: [...budget.candidates], lossByUnit: sensitivityAtWidths(results, budget.candidates) },
          synergy,
          lambda,
        };
  return {
    units,
    candidates: [...budget.candidates],
    budgets: { size: { averageBits: budget.bits }, bops: { averageBits: budget.bits }, lowerBoundFraction: options.lowerBoundFraction ?? null },
    objective,
  };
}

/** Every unit at `bits` (weights and activations alike), by unit id. */
export function uniformAllocationOf(results: AnalysisResults, bits: number): Record<string, number> {
  return Object.fromEntries(results.units.map((unit) => [unit.id, bits]));
}

/** Unit widths in analysis order → allocation by unit id. */
export function allocationFromBits(results: AnalysisResults, bits: readonly number[]): Record<string, number> {
  if (bits.length !== results.units.length) throw new Error(`${bits.length} widths were given for ${results.units.length} units.`);
  return Object.fromEntries(results.units.map((unit, i) => [unit.id, bits[i]]));
}

export interface BudgetUse {
  sizeBits: number;
  bops: number;
  /** Σ p_i·b_i / Σ p_i: average weight width. */
  averageWeightBits: number;
  /** Σ MAC_i·b_i² / Σ MAC_i, square-rooted: the uniform width with the same BOPs. */
  bopsEquivalentBits: number;
  /** Whether both totals are within the budget (relative slack 1e-9, as every allocation check). */
  withinBudget: boolean;
}

/** Size and BOPs of an allocation (widths in analysis order) against the problem's upper budgets. */
export function budgetUse(problem: AllocationProblem, bits: readonly number[]): BudgetUse {
  const { sizeBits, bops } = scoreAllocation(problem, bits);
  const budgets = resolveBudgets(problem);
  const params = problem.units.reduce((sum, unit) => sum + unit.params, 0);
  const macs = problem.units.reduce((sum, unit) => sum + unit.macs, 0);
  const fits = (value: number, max: number | null) => max === null || value <= max * (1 + 1e-9);
  return {
    sizeBits,
    bops,
    averageWeightBits: params > 0 ? sizeBits / params : NaN,
    bopsEquivalentBits: macs > 0 ? Math.sqrt(bops / macs) : NaN,
    withinBudget: fits(sizeBits, budgets.maxSizeBits) && fits(bops, budgets.maxBops),
  };
}

/** How many units got each width. */
export function widthHistogram(bits: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const b of bits) counts[b] = (counts[b] ?? 0) + 1;
  return counts;
}
