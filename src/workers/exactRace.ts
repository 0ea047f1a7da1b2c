/**
 * The exact solve as a race: two lanes solve the same problem, each in a worker of its own, and the first answer
 * that proves something (optimal, or infeasible) wins; the other lane is stopped. The HiGHS lane runs the chain's
 * own branch and bound first (core/allocate/chainSearch.ts: most problems proven in well under a second) and
 * HiGHS on the time left if it stops unproven; the glpk.js lane runs the flow MILP alone, an independent solver
 * (`laneOptions`). When neither proves its answer (both at their time limit), the better allocation, then the
 * smaller gap, wins.
 */
import type { AllocationResult, ExactOptions, MilpSolverName } from '../core/allocate';
import { isCancelledError } from '../core/progress';

export const RACING_SOLVERS: readonly MilpSolverName[] = ['HiGHS', 'glpk.js'];

/** The exact options a lane solves with: the chain search first in the HiGHS lane, the MILP alone in glpk.js's. */
export function laneOptions(solver: MilpSolverName, options: ExactOptions = {}): ExactOptions {
  return { chainSearch: solver === 'HiGHS', ...options };
}

const proves = (result: AllocationResult) => result.status === 'optimal' || result.status === 'infeasible';

/** Whether `a` is the better of two unproven answers to the same problem. */
function better(a: AllocationResult, b: AllocationResult): boolean {
  if (a.objective === null) return false;
  if (b.objective === null) return true;
  if (a.objective !== b.objective) return a.sense === 'maximize' ? a.objective > b.objective : a.objective < b.objective;
  return (a.gap ?? Infinity) < (b.gap ?? Infinity);
}

/**
 * `run(solver)` solves with one solver; `stop(solver)` abandons that solver's run (its promise then rejects with
 * CancelledError, which the race ignores). Rejects only when every solver failed: with CancelledError when
 * the race itself was superseded, else with the first solver's error.
 */
export function raceExact(
  run: (solver: MilpSolverName) => Promise<AllocationResult>,
  stop: (solver: MilpSolverName) => void,
  solvers: readonly MilpSolverName[] = RACING_SOLVERS,
): Promise<AllocationResult> {
  return new Promise<AllocationResult>((resolve, reject) => {
    let done = false;
    let pending = solvers.length;
    let best: AllocationResult | null = null;
    const errors: unknown[] = [];
    const finish = () => {
      if (done || pending > 0) return;
      done = true;
      if (best) resolve(best);
      else reject(errors.find((error) => !isCancelledError(error)) ?? errors[0]);
    };
    for (const solver of solvers) {
      run(solver).then(
        (result) => {
          pending--;
          if (done) return;
          if (proves(result)) {
            done = true;
            for (const other of solvers) if (other !== solver) stop(other);
            resolve(result);
            return;
          }
          if (!best || better(result, best)) best = result;
          finish();
        },
        (error: unknown) => {
          pending--;
          errors.push(error);
          // The other solver may still answer; a failure stays visible to whoever looks at the console.
          if (!isCancelledError(error)) console.warn(`[studio] the exact solve with ${solver} failed:`, error);
          finish();
        },
      );
    }
  });
}
