/**
 * The bit-allocation problem (METHOD.md, "The integer program") as data: what the UI edits, what the
 * solvers read, what the report stores. Plain JSON-like objects so they cross Comlink and JSON unchanged.
 */

/** One quantizable unit, in execution order (METHOD.md, "Units"). Adjacent units are neighbours in this order. */
export interface AllocationUnit {
  /** Shown to the user; not required to be unique. */
  name: string;
  /** p_i: weight elements (0 for an activation × activation MatMul). */
  params: number;
  /** MAC_i: multiply-accumulates per inference (METHOD.md, "MACs"). */
  macs: number;
  /**
   * Fixed activation width of a weights-only unit: its BOPs are MAC_i · b_i · activationBits.
   * Absent: the unit's activations share its width (BOPs = MAC_i · b_i²), the (repro) default.
   */
  activationBits?: number;
}

/**
 * A user's override for one unit.
 * - `fp`: kept at full precision (16 or 32 bits for weights and activations). It still counts in size and BOPs
 *   at that width, but it is outside the objective: no importance/sensitivity term and no synergy term with its
 *   neighbours (a full-precision unit has no bit-width to keep similar).
 * - `fixed`: quantized at exactly this width (need not be a candidate); it takes part in the objective.
 */
export type UnitLock = { kind: 'fp'; bits: 16 | 32 } | { kind: 'fixed'; bits: number };

/** σ_i(b) measured or extrapolated per unit (METHOD.md, "Quantization sensitivity"). */
export interface SensitivityTable {
  /** Widths the table has columns for. Must cover every candidate and every `fixed` lock width. */
  widths: readonly number[];
  /** lossByUnit[i][j] = σ_i(widths[j]) (KL divergence, ≥ 0 in practice). */
  lossByUnit: readonly (readonly number[])[];
}

/**
 * The two objectives of METHOD.md, "The integer program". Both carry the synergy penalty
 * λ Σ_i Ŝ_{i,i+1} |b_i − b_{i+1}| over consecutive units.
 * - paper: maximize Σ Ω_i b_i − penalty.
 * - sensitivity: minimize Σ σ_i(b_i) + penalty.
 */
export type AllocationObjective =
  | { mode: 'paper'; importance: readonly number[]; synergy: readonly number[]; lambda: number }
  | { mode: 'sensitivity'; sensitivity: SensitivityTable; synergy: readonly number[]; lambda: number };

/** Size budget: Σ p_i b_i ≤ (Σ p_i)·averageBits, or an absolute size in megabytes (10⁶ bytes of weights). */
export type SizeBudget = { averageBits: number } | { megabytes: number };

/**
 * BOPs budget: Σ MAC_i w_i a_i ≤ the BOPs of a uniform model at averageBits (Σ MAC_i·b̄² when activations
 * share the width), or an absolute number of bit operations.
 */
export type BopsBudget = { averageBits: number } | { bops: number };

export interface BudgetSpec {
  size?: SizeBudget | null;
  bops?: BopsBudget | null;
  /** When set (the (repro) value is 0.95), each active budget also needs Σ ≥ fraction × budget. */
  lowerBoundFraction?: number | null;
}

export interface AllocationProblem {
  units: readonly AllocationUnit[];
  /** Candidate widths for unlocked units (see presets.ts), each an integer in 1..32. */
  candidates: readonly number[];
  /** locks[i] overrides unit i; missing, null or undefined entries are free. */
  locks?: readonly (UnitLock | null | undefined)[];
  /** Weights-only mode: every unit without its own `activationBits` keeps activations at this width. */
  activationBits?: number | null;
  budgets: BudgetSpec;
  objective: AllocationObjective;
  /**
   * How the size budget counts a weight (storedBits.ts): `ideal` (default) its width, the paper's Σ p·b;
   * `stored` the INT4 / INT8 container the file holds it in, so the budget is on the deployed file.
   */
  sizeCounting?: 'ideal' | 'stored';
}

/** Budgets in absolute units, resolved from a BudgetSpec. null: that side is unconstrained. */
export interface ResolvedBudgets {
  maxSizeBits: number | null;
  minSizeBits: number | null;
  maxBops: number | null;
  minBops: number | null;
}

/** The extremes any allocation can reach with the chosen candidates and locks. */
export interface Reach {
  minSizeBits: number;
  maxSizeBits: number;
  minBops: number;
  maxBops: number;
}

/**
 * - optimal: proven optimal (certified gap within tolerance).
 * - feasible: meets every budget; `bound` says how far from optimal it can be at most.
 * - infeasible: no allocation meets the budgets; `infeasibleReason` says why, `reach` what is reachable.
 * - unknown: no allocation found and infeasibility not proven (the exact path decides).
 */
export type AllocationStatus = 'optimal' | 'feasible' | 'infeasible' | 'unknown';

/** What stands behind a result's status and bound. */
export interface AllocationCertificate {
  /**
   * The Lagrangian bound (instant path, or an exact solve the bound already closed), the chain's own branch and
   * bound (exact path, chainSearch.ts), or the MILP solver that ran.
   */
  by: 'Lagrangian bound' | 'chain branch and bound' | 'HiGHS' | 'glpk.js';
  /** The MILP solver that ran (exact path), whether or not it proved the answer; null when none ran. */
  solver: 'HiGHS' | 'glpk.js' | null;
  /** That solver's own word for how it ended ("Optimal", "Time limit reached", "GLP_OPT"); null for the bound. */
  solverStatus: string | null;
  /** That solver's own relative gap (0 when it proved optimality); null when it reports none. */
  solverGap: number | null;
}

export interface AllocationResult {
  status: AllocationStatus;
  method: 'instant' | 'exact';
  /** Which way `objective` is better: 'maximize' for paper mode, 'minimize' for sensitivity mode. */
  sense: 'maximize' | 'minimize';
  /** Width per unit (locked units at their lock width); null unless status is optimal or feasible. */
  bits: number[] | null;
  /** Objective of `bits` in the user's sense (METHOD.md formulas). */
  objective: number | null;
  /** Certified bound on the best objective: an upper bound when maximizing, a lower bound when minimizing. */
  bound: number | null;
  /** |objective − bound| / max(|objective|, tiny): 0 when proven optimal. */
  gap: number | null;
  sizeBits: number | null;
  bops: number | null;
  budgets: ResolvedBudgets;
  reach: Reach;
  /** A sentence for the user when status is infeasible (or unknown). */
  infeasibleReason: string | null;
  /** Who proved the status and bound; null when nothing was proven (or infeasibility came from the reachable range). */
  certificate?: AllocationCertificate | null;
  elapsedMs: number;
}
