/**
 * The two MILP solvers behind one interface, so the exact path (exact.ts) feeds both the same flow model
 * (milp.ts) and reads their answers the same way:
 * - glpk.js: `glpk.js/node` in Node, the browser build (its own worker) in the app; asynchronous there.
 * - HiGHS (npm `highs`, WebAssembly, single-threaded, blocking): much faster on the long tail of the studio's
 *   problems (bench/allocate.ts). Its runtime is loaded by the caller: in Node from node_modules, in the app
 *   from the bundled wasm asset (solver.worker.ts).
 * Both are asked for proven optimality: HiGHS with relative and absolute gap limits of 0 (its defaults stop
 * at 1e-4 relative), glpk.js with its default (branch and bound to the end).
 */
import type { LP, Options, Result } from 'glpk.js';
import type { Highs } from 'highs';
import { GLPK_CONSTANTS, toHighsModel } from './highsModel';
import { nowMs } from './clock';

export type MilpSolverName = 'HiGHS' | 'glpk.js';

/** What a MILP solver returned, in solver-neutral words. */
export interface MilpRun {
  /**
   * - optimal: the solver proved `values` optimal.
   * - feasible: it stopped (time limit) with `values` as its best allocation, not proven.
   * - infeasible: it proved the model has no solution.
   * - stopped: it stopped without a solution and without a proof.
   */
  status: 'optimal' | 'feasible' | 'infeasible' | 'stopped';
  values: Readonly<Record<string, number>> | null;
  /** The solver's own word for its status, as its documentation spells it ("Optimal", "GLP_OPT", …). */
  solverStatus: string;
  /** The solver's own relative gap between its best solution and its bound, when it reports one. */
  solverGap: number | null;
  /** The model's objective at `values` as the solver computed it (its own units). */
  objective: number | null;
  /** The solver's proven lower bound on the model's objective (its own units), when it reports one. */
  dualBound: number | null;
  seconds: number;
}

export interface MilpSolveOptions {
  timeLimitS: number;
  /** A solution of `lp` to start from (every column by name; missing ones are 0). */
  start?: Readonly<Record<string, number>>;
}

export interface MilpEngine {
  readonly name: MilpSolverName;
  solve(lp: LP, options: MilpSolveOptions): Promise<MilpRun>;
}

/** What the glpk engine needs from glpk.js: its status constants and `solve`, synchronous (Node) or not (browser). */
export interface GlpkSolver {
  GLP_OPT: number;
  GLP_FEAS: number;
  GLP_NOFEAS: number;
  solve(lp: LP, options?: number | Options): Result | Promise<Result>;
}

const GLPK_STATUS_WORDS: Record<number, string> = { 1: 'GLP_UNDEF', 2: 'GLP_FEAS', 3: 'GLP_INFEAS', 4: 'GLP_NOFEAS', 5: 'GLP_OPT', 6: 'GLP_UNBND' };

export function glpkEngine(glpk: GlpkSolver): MilpEngine {
  return {
    name: 'glpk.js',
    async solve(lp, { timeLimitS }) {
      const started = nowMs();
      const result = await glpk.solve(lp, { tmlim: timeLimitS, presol: true, msglev: 0 });
      const code = result.result.status;
      const status = code === glpk.GLP_OPT ? 'optimal' : code === glpk.GLP_FEAS ? 'feasible' : code === glpk.GLP_NOFEAS ? 'infeasible' : 'stopped';
      const hasValues = status === 'optimal' || status === 'feasible';
      return {
        status,
        values: hasValues ? result.result.vars : null,
        solverStatus: GLPK_STATUS_WORDS[code] ?? `status ${code}`,
        solverGap: status === 'optimal' ? 0 : null,
        objective: hasValues ? result.result.z : null,
        dualBound: null,
        seconds: (nowMs() - started) / 1000,
      };
    },
  };
}

/** HiGHS's model status codes (highs.constants.modelStatus) in its own words. */
const HIGHS_STATUS_WORDS: Record<number, string> = {
  7: 'Optimal',
  8: 'Infeasible',
  9: 'Primal infeasible or unbounded',
  10: 'Unbounded',
  11: 'Bound on objective reached',
  12: 'Target for objective reached',
  13: 'Time limit reached',
  14: 'Iteration limit reached',
  15: 'Unknown',
  17: 'Interrupted by user',
};

export function highsEngine(highs: Highs): MilpEngine {
  const codes = highs.constants.modelStatus;
  return {
    name: 'HiGHS',
    async solve(lp, { timeLimitS, start }) {
      const started = nowMs();
      const { data, columns } = toHighsModel(lp, { minimize: highs.constants.objectiveSense.minimize, integer: 1 });
      const model = highs.createModel(data);
      try {
        model.options.set({ output_flag: false, mip_rel_gap: 0, mip_abs_gap: 0, time_limit: timeLimitS });
        if (start) model.setSolution({ colValue: columns.map((name) => start[name] ?? 0) });
        model.run();
        const code = model.getModelStatus();
        const hasSolution = model.info.get('primal_solution_status') === highs.constants.solutionStatus.feasible;
        const status =
          code === codes.optimal && hasSolution ? 'optimal' : hasSolution ? 'feasible' : code === codes.infeasible ? 'infeasible' : 'stopped';
        let values: Record<string, number> | null = null;
        if (hasSolution) {
          const { colValue } = model.getSolution();
          values = {};
          for (let c = 0; c < columns.length; c++) values[columns[c]] = colValue[c];
        }
        const gap = model.info.get('mip_gap');
        const dualBound = model.info.get('mip_dual_bound');
        return {
          status,
          values,
          solverStatus: HIGHS_STATUS_WORDS[code] ?? `status ${code}`,
          solverGap: typeof gap === 'number' && Number.isFinite(gap) ? gap : null,
          objective: hasSolution ? model.getObjectiveValue() : null,
          dualBound: typeof dualBound === 'number' && Number.isFinite(dualBound) ? dualBound : null,
          seconds: (nowMs() - started) / 1000,
        };
      } finally {
        model.dispose();
      }
    },
  };
}

export { GLPK_CONSTANTS };
