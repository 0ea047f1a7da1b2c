/**
 * Main-thread handle on the solver workers. Four lanes, each with its own worker, so a long exact solve
 * never delays the instant answers:
 * - instant: latest wins. While one request runs, only the newest waiting request is kept; older waiting
 *   ones never run. A result whose request was superseded while it ran is dropped. Dropped requests reject
 *   with CancelledError, so the UI never shows a stale allocation as current.
 * - exact (two lanes, HiGHS and glpk.js racing: exactRace.ts) and pareto: a newer request terminates the busy
 *   worker (neither solver can be interrupted from outside) and starts a fresh one; the superseded promise
 *   rejects with CancelledError. An idle worker is reused, its solver loaded.
 */
import type * as Comlink from 'comlink';
import { CancelledError } from '../core/progress';
import type { AllocationProblem, AllocationResult, ExactOptions, MilpSolverName, ParetoOptions, ParetoPoint } from '../core/allocate';
import type { SolverWorkerApi } from './solver.worker';
import { isWorkerStartError, startWorker } from './workerStart';
import { raceExact } from './exactRace';

type SolverApi = Comlink.Remote<SolverWorkerApi>;

function startSolverWorker(name: string): { api: SolverApi; stop: () => void } {
  // A worker whose script cannot load (offline, missing file) rejects its calls instead of leaving them waiting.
  const { api, terminate } = startWorker<SolverWorkerApi>(new Worker(new URL('./solver.worker.ts', import.meta.url), { type: 'module', name }), 'allocation');
  return { api, stop: terminate };
}

const superseded = () => new CancelledError('Superseded by a newer request');

/** One worker whose running request is abandoned (worker terminated) when a newer one arrives. */
class RestartingLane {
  private current: { api: SolverApi; stop: () => void } | null = null;
  private cancelRunning: (() => void) | null = null;

  constructor(private readonly name: string) {}

  run<T>(call: (api: SolverApi) => Promise<T>): Promise<T> {
    this.cancel();
    this.current ??= startSolverWorker(this.name);
    const { api } = this.current;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        const first = !settled;
        settled = true;
        if (this.cancelRunning === cancel) this.cancelRunning = null;
        return first;
      };
      const cancel = () => {
        if (settle()) reject(superseded());
      };
      this.cancelRunning = cancel;
      call(api).then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => {
          // A worker that never started is dropped: the next request starts a fresh one.
          if (isWorkerStartError(error) && this.current?.api === api) {
            this.current.stop();
            this.current = null;
          }
          if (settle()) reject(error);
        },
      );
    });
  }

  /** Abandons the running request, if any: its promise rejects and its worker is terminated. */
  cancel(): void {
    if (!this.cancelRunning) return;
    this.cancelRunning();
    this.current?.stop();
    this.current = null;
  }

  dispose(): void {
    this.cancel();
    this.current?.stop();
    this.current = null;
  }
}

interface InstantJob {
  sequence: number;
  problem: AllocationProblem;
  resolve: (result: AllocationResult) => void;
  reject: (error: unknown) => void;
}

export class SolverClient {
  private instantWorker: { api: SolverApi; stop: () => void } | null = null;
  private instantSequence = 0;
  private instantWaiting: InstantJob | null = null;
  private instantRunning: InstantJob | null = null;
  private readonly exactLanes: Record<MilpSolverName, RestartingLane> = {
    HiGHS: new RestartingLane('allocation-exact-highs'),
    'glpk.js': new RestartingLane('allocation-exact-glpk'),
  };
  private readonly paretoLane = new RestartingLane('allocation-pareto');

  /** Instant path (milliseconds, certified gap). Rejects with CancelledError when a newer call supersedes it. */
  solveInstant(problem: AllocationProblem): Promise<AllocationResult> {
    const sequence = ++this.instantSequence;
    this.instantWaiting?.reject(superseded());
    return new Promise<AllocationResult>((resolve, reject) => {
      this.instantWaiting = { sequence, problem, resolve, reject };
      void this.pumpInstant();
    });
  }

  /**
   * Exact MILP: HiGHS and glpk.js race, the first proof wins (exactRace.ts); `certificate.by` says which solver
   * it was. A newer call, or cancelExact, terminates this one: it rejects with CancelledError.
   */
  solveExact(problem: AllocationProblem, options: ExactOptions = {}): Promise<AllocationResult> {
    return raceExact(
      (solver) => this.exactLanes[solver].run((api) => api.solveExact(problem, solver, options)),
      (solver) => this.exactLanes[solver].cancel(),
    );
  }

  /** Pareto sweep on the instant path, or the exact one with `exact: true`. A newer sweep supersedes this one. */
  paretoSweep(problem: AllocationProblem, options: ParetoOptions & ExactOptions & { exact?: boolean } = {}): Promise<ParetoPoint[]> {
    const { exact, ...rest } = options;
    return this.paretoLane.run((api) => (exact ? api.paretoSweepExact(problem, rest) : api.paretoSweep(problem, rest)));
  }

  cancelExact(): void {
    for (const lane of Object.values(this.exactLanes)) lane.cancel();
  }

  cancelPareto(): void {
    this.paretoLane.cancel();
  }

  /** Stops every worker; pending requests reject with CancelledError. */
  dispose(): void {
    this.instantWaiting?.reject(new CancelledError());
    this.instantRunning?.reject(new CancelledError());
    this.instantWaiting = null;
    this.instantRunning = null;
    this.instantSequence++;
    this.instantWorker?.stop();
    this.instantWorker = null;
    for (const lane of Object.values(this.exactLanes)) lane.dispose();
    this.paretoLane.dispose();
  }

  private async pumpInstant(): Promise<void> {
    if (this.instantRunning || !this.instantWaiting) return;
    const job = this.instantWaiting;
    this.instantWaiting = null;
    this.instantRunning = job;
    this.instantWorker ??= startSolverWorker('allocation-instant');
    try {
      const result = await this.instantWorker.api.solveInstant(job.problem);
      if (job.sequence === this.instantSequence) job.resolve(result);
      else job.reject(superseded());
    } catch (error) {
      if (isWorkerStartError(error)) {
        this.instantWorker?.stop();
        this.instantWorker = null;
      }
      job.reject(error);
    } finally {
      if (this.instantRunning === job) this.instantRunning = null;
      void this.pumpInstant();
    }
  }
}
