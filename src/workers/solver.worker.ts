/// <reference lib="webworker" />
/**
 * Runs bit allocation off the main thread (src/core/allocate). Thin on purpose: every formula lives in core.
 * The exact path loads glpk.js's browser build on first use; that build runs GLPK in a worker of its own
 * (a Blob-URL worker, allowed by the app's CSP), which dies with this worker when the client terminates it.
 */
import * as Comlink from 'comlink';
import GLPK from 'glpk.js';
import {
  paretoSweep,
  paretoSweepExact,
  solveExact,
  solveInstant,
  type AllocationProblem,
  type AllocationResult,
  type ExactOptions,
  type GlpkSolver,
  type ParetoOptions,
  type ParetoPoint,
} from '../core/allocate';

let glpk: Promise<GlpkSolver> | null = null;

function loadGlpk(): Promise<GlpkSolver> {
  glpk ??= GLPK();
  return glpk;
}

const api = {
  solveInstant(problem: AllocationProblem): AllocationResult {
    return solveInstant(problem);
  },
  async solveExact(problem: AllocationProblem, options: ExactOptions = {}): Promise<AllocationResult> {
    return solveExact(problem, await loadGlpk(), options);
  },
  paretoSweep(problem: AllocationProblem, options: ParetoOptions = {}): ParetoPoint[] {
    return paretoSweep(problem, options);
  },
  async paretoSweepExact(problem: AllocationProblem, options: ParetoOptions & ExactOptions = {}): Promise<ParetoPoint[]> {
    return paretoSweepExact(problem, await loadGlpk(), options);
  },
};

export type SolverWorkerApi = typeof api;

Comlink.expose(api);
