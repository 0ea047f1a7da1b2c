/**
 * What an evaluation compares (DESIGN.md "The user's day", step 5): full precision, the best uniform
 * quantization that fits the same budgets, and the mixed allocation. The uniform baseline is the widest
 * single width b whose model (every free unit at WbAb, locked units at their lock) meets the upper size
 * and BOPs budgets of METHOD.md "The integer program"; floors are ignored, a baseline only has to fit.
 */
import { resolveBudgets, scoreAllocation, type AllocationProblem } from '../allocate';
import type { Allocation } from '../quant/config';

export interface EvaluationPlan {
  id: 'fp' | 'uniform' | 'mixed';
  /** "FP32", "Uniform W4A4", "Mixed (avg 4.00 bits)" */
  label: string;
  /** Width per unit id; null runs full precision. */
  allocation: Allocation | null;
}

export interface UniformFit {
  bits: number;
  sizeBits: number;
  bops: number;
}

/** Widths a uniform baseline is looked for among (the export stores weights in INT4/INT8: at most 8). */
export const UNIFORM_WIDTHS: readonly number[] = [2, 3, 4, 5, 6, 7, 8];

function uniformBits(problem: AllocationProblem, bits: number): number[] {
  return problem.units.map((_, i) => problem.locks?.[i]?.bits ?? bits);
}

/** The widest uniform width meeting the upper budgets; null when even the narrowest does not. */
export function bestUniformWidth(problem: AllocationProblem, widths: readonly number[] = UNIFORM_WIDTHS): UniformFit | null {
  const budgets = resolveBudgets(problem);
  // The same relative slack every allocation check uses (allocate/README.md).
  const fits = (value: number, max: number | null) => max === null || value <= max * (1 + 1e-9);
  for (const bits of [...widths].sort((a, b) => b - a)) {
    const { sizeBits, bops } = scoreAllocation(problem, uniformBits(problem, bits));
    if (fits(sizeBits, budgets.maxSizeBits) && fits(bops, budgets.maxBops)) return { bits, sizeBits, bops };
  }
  return null;
}

/** unitId → width of a uniform model: free units at `bits`, fixed locks at theirs, full-precision locks null. */
export function uniformAllocation(problem: AllocationProblem, unitIds: readonly string[], bits: number): Record<string, number | null> {
  if (unitIds.length !== problem.units.length) {
    throw new Error(`${unitIds.length} unit ids were given for ${problem.units.length} units of the allocation problem.`);
  }
  return Object.fromEntries(
    unitIds.map((id, i) => {
      const lock = problem.locks?.[i];
      return [id, lock?.kind === 'fp' ? null : (lock?.bits ?? bits)];
    }),
  );
}

/** Σ p_i·b_i / Σ p_i over the units an allocation quantizes (weights only; activation units have no parameters). */
export function averageWeightBits(allocation: Allocation, paramsById: ReadonlyMap<string, number>): number | null {
  let bits = 0;
  let params = 0;
  for (const [id, width] of Object.entries(allocation)) {
    const p = paramsById.get(id) ?? 0;
    if (typeof width !== 'number' || p === 0) continue;
    bits += p * width;
    params += p;
  }
  return params > 0 ? bits / params : null;
}

/** FP, the best uniform baseline (when one fits) and the mixed allocation, in that order. */
export function evaluationPlans(args: {
  problem: AllocationProblem | null;
  unitIds: readonly string[];
  mixed: Allocation | null;
  paramsById: ReadonlyMap<string, number>;
}): { plans: EvaluationPlan[]; uniform: UniformFit | null; uniformMissing: string | null } {
  const plans: EvaluationPlan[] = [{ id: 'fp', label: 'FP32', allocation: null }];
  let uniform: UniformFit | null = null;
  let uniformMissing: string | null = null;
  if (args.problem) {
    uniform = bestUniformWidth(args.problem);
    if (uniform) {
      plans.push({ id: 'uniform', label: `Uniform W${uniform.bits}A${uniform.bits}`, allocation: uniformAllocation(args.problem, args.unitIds, uniform.bits) });
    } else {
      uniformMissing = `No uniform width from ${UNIFORM_WIDTHS[0]} to ${UNIFORM_WIDTHS[UNIFORM_WIDTHS.length - 1]} bits fits the budgets.`;
    }
  } else {
    uniformMissing = 'Set a budget to compare with a uniform model.';
  }
  if (args.mixed) {
    const average = averageWeightBits(args.mixed, args.paramsById);
    plans.push({ id: 'mixed', label: average === null ? 'Mixed' : `Mixed (avg ${average.toFixed(2)} bits)`, allocation: args.mixed });
  }
  return { plans, uniform, uniformMissing };
}
