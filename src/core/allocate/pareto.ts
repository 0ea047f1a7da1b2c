/**
 * Pareto sweep: the best objective across a range of budgets (AIMET users' request in METHOD.md: "a full
 * Pareto curve, not one point"). Each point re-solves the same problem with the swept budget(s) set to an
 * average width b̄, from the narrowest reachable to the point where the budget stops binding.
 */
import type { AllocationProblem, AllocationResult, BudgetSpec } from './types';
import { compileChain } from './chain';
import { resolveBudgets } from './budgets';
import { solveInstant } from './instant';
import { solveExact, type ExactOptions } from './exact';
import type { MilpEngine } from './milpEngines';

export type SweptBudget = 'size' | 'bops' | 'both';

export interface ParetoOptions {
  /** Number of budget points (default 20). */
  points?: number;
  /** Which budget to sweep; default: the ones the problem has (size when it has none). */
  sweep?: SweptBudget;
}

export interface ParetoPoint extends AllocationResult {
  /** The swept budget's average width b̄ (METHOD.md: size (Σp)·b̄, BOPs of a uniform b̄-bit model). */
  averageBits: number;
}

/** The b̄ values of a sweep and the problem for each. */
export function paretoProblems(problem: AllocationProblem, options: ParetoOptions = {}): { averageBits: number; problem: AllocationProblem }[] {
  const count = Math.max(2, Math.round(options.points ?? 20));
  const sweep = options.sweep ?? defaultSweep(problem.budgets);
  const { reach } = compileChain({ ...problem, budgets: {} });
  const paramsTotal = problem.units.reduce((sum, u) => sum + u.params, 0);
  const sizeAt = (averageBits: number) => paramsTotal * averageBits;
  const bopsAt = (averageBits: number) => resolveBudgets({ ...problem, budgets: { bops: { averageBits } } }).maxBops ?? 0;
  const ranges: [number, number][] = [];
  if (sweep !== 'bops' && paramsTotal > 0) ranges.push([inverse(sizeAt, reach.minSizeBits), inverse(sizeAt, reach.maxSizeBits)]);
  if (sweep !== 'size' && reach.maxBops > 0) ranges.push([inverse(bopsAt, reach.minBops), inverse(bopsAt, reach.maxBops)]);
  if (ranges.length === 0) throw new Error('Nothing to sweep: the units have neither parameters nor MACs.');
  // Start where every swept budget is reachable, end where none of them binds any more.
  const from = Math.max(...ranges.map((r) => r[0]));
  const to = Math.max(from, ...ranges.map((r) => r[1]));
  const points: { averageBits: number; problem: AllocationProblem }[] = [];
  for (let n = 0; n < count; n++) {
    // The first point sits a hair above the narrowest reachable budget so rounding cannot make it infeasible.
    const averageBits = n === 0 ? from * (1 + 1e-12) : from + ((to - from) * n) / (count - 1);
    const budgets: BudgetSpec = {
      ...problem.budgets,
      size: sweep === 'bops' ? problem.budgets.size : { averageBits },
      bops: sweep === 'size' ? problem.budgets.bops : { averageBits },
    };
    points.push({ averageBits, problem: { ...problem, budgets } });
  }
  return points;
}

/** Instant-path sweep: milliseconds per point. */
export function paretoSweep(problem: AllocationProblem, options: ParetoOptions = {}): ParetoPoint[] {
  return paretoProblems(problem, options).map(({ averageBits, problem: p }) => ({ ...solveInstant(p), averageBits }));
}

/** Exact sweep: each point solved by the MILP (time limit per point). */
export async function paretoSweepExact(
  problem: AllocationProblem,
  engine: MilpEngine,
  options: ParetoOptions & ExactOptions = {},
): Promise<ParetoPoint[]> {
  const points: ParetoPoint[] = [];
  for (const { averageBits, problem: p } of paretoProblems(problem, options)) {
    points.push({ ...(await solveExact(p, engine, options)), averageBits });
  }
  return points;
}

function defaultSweep(budgets: BudgetSpec): SweptBudget {
  if (budgets.size && budgets.bops) return 'both';
  return budgets.bops ? 'bops' : 'size';
}

/** Smallest b̄ with f(b̄) ≥ target for an increasing f (bisection; f(0) = 0). */
function inverse(f: (averageBits: number) => number, target: number): number {
  let low = 0;
  let high = 64;
  for (let n = 0; n < 100; n++) {
    const middle = (low + high) / 2;
    if (f(middle) >= target) high = middle;
    else low = middle;
  }
  return high;
}
