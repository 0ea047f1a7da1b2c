/**
 * The allocation file `npm run solve` writes and `npm run eval` reads: a width per unit id, the budget
 * settings it was solved under, and its certificate (status, objective, certified bound and gap, each
 * budget used against allowed). Solving is the studio's own path: budgetProblem.ts builds the integer
 * program from the results and the budget controls, core/allocate solves it.
 */
import { allocationSizes } from '../src/core/allocate';
import { solveExact, solveInstant, type AllocationResult, type MilpEngine } from '../src/core/allocate';
import type { AnalysisResults } from '../src/core/analysis/analysisResults';
import { allocationByUnit, type BudgetSettings, type BuiltProblem } from '../src/state/budgetProblem';

export { ALLOCATION_FILE_FORMAT } from '../src/core/evaluate/allocationFile';
import { ALLOCATION_FILE_FORMAT } from '../src/core/evaluate/allocationFile';

export interface BudgetUse {
  /** What the allocation uses (bits of weights, or bit operations). */
  used: number;
  /** The ceiling the budget allows. */
  allowed: number;
  /** The floor, when lower bounds are on. */
  floor: number | null;
  /** used / allowed. */
  fraction: number;
  meets: boolean;
}

export interface AllocationCertificate {
  status: AllocationResult['status'];
  method: AllocationResult['method'];
  sense: AllocationResult['sense'];
  objective: number | null;
  /** Certified bound on the best objective (lower when minimizing, upper when maximizing). */
  bound: number | null;
  /** Relative gap between objective and bound: 0 when proven optimal. */
  gap: number | null;
  size: BudgetUse | null;
  bops: BudgetUse | null;
  /** Average weight width Σ p·b / Σ p of the allocation. */
  averageBits: number | null;
  /** Average bits per weight the exported file stores (INT4 / INT8 containers); `size` counts these when budget.sizeCounting is stored. */
  storedAverageBits: number | null;
  /** Why no allocation was found, when none was. */
  reason: string | null;
}

export interface AllocationFile {
  format: typeof ALLOCATION_FILE_FORMAT;
  version: 1;
  /** The analysis solved: its file (relative to this file's folder), run and model. */
  analysis: { file: string; runKey: string; modelHash: string };
  budget: BudgetSettings;
  certificate: AllocationCertificate;
  /** unitId → width; null for full precision (units the analysis excluded). Null when no allocation fits. */
  widthByUnit: Record<string, number | null> | null;
  elapsedMs: number;
}

/** Relative slack of every budget check (core/allocate README). */
const SLACK = 1 + 1e-9;

function budgetUse(used: number | null, allowed: number | null, floor: number | null): BudgetUse | null {
  if (allowed === null || used === null) return null;
  return { used, allowed, floor, fraction: used / allowed, meets: used <= allowed * SLACK && (floor === null || used * SLACK >= floor) };
}

export function certificateOf(built: BuiltProblem, result: AllocationResult): AllocationCertificate {
  const { budgets } = result;
  const params = built.problem.units.reduce((sum, unit) => sum + unit.params, 0);
  const sizes = result.bits ? allocationSizes(built.problem, result.bits) : null;
  return {
    status: result.status,
    method: result.method,
    sense: result.sense,
    objective: result.objective,
    bound: result.bound,
    gap: result.gap,
    size: budgetUse(result.sizeBits, budgets.maxSizeBits, budgets.minSizeBits),
    bops: budgetUse(result.bops, budgets.maxBops, budgets.minBops),
    averageBits: sizes && params > 0 ? sizes.idealBits / params : null,
    storedAverageBits: sizes && params > 0 ? sizes.storedBits / params : null,
    reason: result.infeasibleReason,
  };
}

/**
 * The studio's solve of these results under these budget settings: instant, or the exact MILP (the engine given).
 * `built` is buildAllocationProblem's (it throws a sentence when the results or settings cannot be solved).
 */
export async function solveAnalysis(
  results: AnalysisResults,
  built: BuiltProblem,
  options: { exact: false } | { exact: true; engine: MilpEngine; timeLimitS?: number },
): Promise<{ result: AllocationResult; widthByUnit: Record<string, number | null> | null }> {
  const result = options.exact ? await solveExact(built.problem, options.engine, { timeLimitS: options.timeLimitS }) : solveInstant(built.problem);
  const widthByUnit = result.bits ? allocationByUnit(built.unitIds, result.bits, built.problem.locks ?? [], results.excludedUnits.map((unit) => unit.id)) : null;
  return { result, widthByUnit };
}

/** Reads a parsed allocation file; throws an Error saying what is wrong. */
export function parseAllocationFile(json: unknown): AllocationFile {
  const file = json as Partial<AllocationFile> | null;
  if (typeof file !== 'object' || file === null || file.format !== ALLOCATION_FILE_FORMAT) {
    throw new Error('This is not an allocation file of npm run solve (its "format" is not "mix-qsam-allocation").');
  }
  if (!file.analysis || typeof file.analysis.runKey !== 'string' || typeof file.analysis.file !== 'string') throw new Error('The allocation file names no analysis.');
  if (!file.budget || !file.certificate) throw new Error('The allocation file has no budget settings or certificate.');
  if (file.widthByUnit === null || typeof file.widthByUnit !== 'object') {
    throw new Error(`The allocation file holds no allocation (status ${String(file.certificate.status)}${file.certificate.reason ? `: ${file.certificate.reason}` : ''}).`);
  }
  return file as AllocationFile;
}
