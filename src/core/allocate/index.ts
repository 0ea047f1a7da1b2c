/**
 * Bit allocation (METHOD.md, "The integer program"): choose one width per unit under size and BOPs budgets.
 * - solveInstant: Lagrangian bound + Viterbi + repair + local search, milliseconds, certified gap.
 * - solveExact: the chain's branch and bound (chainSearch.ts), then, if it stops unproven, the flow MILP in
 *   HiGHS or glpk.js (milpEngines.ts), seeded with the best answer known.
 * - paretoSweep / paretoSweepExact: the objective across ~20 budgets.
 */
export type {
  AllocationCertificate,
  AllocationObjective,
  AllocationProblem,
  AllocationResult,
  AllocationStatus,
  AllocationUnit,
  BopsBudget,
  BudgetSpec,
  Reach,
  ResolvedBudgets,
  SensitivityTable,
  SizeBudget,
  UnitLock,
} from './types';
export {
  CANDIDATE_PRESETS,
  DEFAULT_LOWER_BOUND_FRACTION,
  DEFAULT_SYNERGY_LAMBDA,
  bitsToMegabytes,
  megabytesToBits,
  parseCandidateList,
  type CandidatePresetName,
} from './presets';
export { resolveBudgets, formatBops, formatMegabytes } from './budgets';
export { validateProblem } from './validate';
export { solveInstant } from './instant';
export { CHAIN_SEARCH_NAME, solveExact, type ExactOptions } from './exact';
export { glpkEngine, highsEngine, type GlpkSolver, type MilpEngine, type MilpSolverName } from './milpEngines';
export { paretoSweep, paretoSweepExact, paretoProblems, type ParetoOptions, type ParetoPoint, type SweptBudget } from './pareto';
export { scoreAllocation } from './bruteForce';
export { allocationSizes, storedWeightBits, type SizeCounting } from './storedBits';
