/// <reference lib="webworker" />
/**
 * Runs bit allocation off the main thread (src/core/allocate). Thin on purpose: every formula lives in core.
 * The exact path (the chain search first in the HiGHS lane, exactRace.ts) loads its MILP solver on first use
 * (milpEngines.ts):
 * - HiGHS: its wasm is a bundled asset (cached by the offline service worker like every other built file);
 *   it solves in this worker's thread, blocking it until done, so the client gives each exact solve its own worker.
 * - glpk.js: its browser build runs GLPK in a worker of its own (a Blob-URL worker, allowed by the app's CSP),
 *   which dies with this worker when the client terminates it.
 */
import * as Comlink from 'comlink';
import GLPK from 'glpk.js';
import loadHighs from 'highs';
import highsWasmUrl from 'highs/runtime?url';
import {
  glpkEngine,
  highsEngine,
  paretoSweep,
  paretoSweepExact,
  solveExact,
  solveInstant,
  type AllocationProblem,
  type AllocationResult,
  type ExactOptions,
  type MilpEngine,
  type MilpSolverName,
  type ParetoOptions,
  type ParetoPoint,
} from '../core/allocate';
import { laneOptions } from './exactRace';

const engines = new Map<MilpSolverName, Promise<MilpEngine>>();

function loadEngine(name: MilpSolverName): Promise<MilpEngine> {
  let engine = engines.get(name);
  if (!engine) {
    engine =
      name === 'HiGHS'
        ? loadHighs({ locateFile: (file) => (file.endsWith('.wasm') ? highsWasmUrl : file) }).then(highsEngine)
        : GLPK().then(glpkEngine);
    engines.set(name, engine);
  }
  return engine;
}

const api = {
  solveInstant(problem: AllocationProblem): AllocationResult {
    return solveInstant(problem);
  },
  async solveExact(problem: AllocationProblem, solver: MilpSolverName, options: ExactOptions = {}): Promise<AllocationResult> {
    return solveExact(problem, await loadEngine(solver), laneOptions(solver, options));
  },
  paretoSweep(problem: AllocationProblem, options: ParetoOptions = {}): ParetoPoint[] {
    return paretoSweep(problem, options);
  },
  async paretoSweepExact(problem: AllocationProblem, options: ParetoOptions & ExactOptions = {}): Promise<ParetoPoint[]> {
    return paretoSweepExact(problem, await loadEngine('HiGHS'), options);
  },
};

export type SolverWorkerApi = typeof api;

Comlink.expose(api);
