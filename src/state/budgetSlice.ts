/**
 * Budgets, locks and the live allocation (DESIGN.md "Solving live"). Every change builds the integer program
 * (budgetProblem.ts) and solves it off the main thread: the instant answer shows at once, the exact MILP
 * replaces it a moment later, the Pareto sweep follows in the background. An answer is current only while its
 * problem key equals the key of what the controls say now; a newer request supersedes every older one.
 */
import type { StateCreator } from 'zustand';
import type { AllocationProblem, AllocationResult, ExactOptions, ParetoOptions, ParetoPoint, UnitLock } from '../core/allocate';
import { isCancelledError } from '../core/progress';
import { SolverClient } from '../workers/solverClient';
import {
  allocationByUnit,
  buildAllocationProblem,
  candidatesOf,
  defaultBudgetSettings,
  nextLock,
  presetNominalBits,
  type BudgetSettings,
  type BuiltProblem,
} from './budgetProblem';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

/** What the slice needs from a solver: SolverClient (workers), or the core called in-process in tests. */
export interface AllocationSolver {
  solveInstant(problem: AllocationProblem): Promise<AllocationResult>;
  solveExact(problem: AllocationProblem, options?: ExactOptions): Promise<AllocationResult>;
  paretoSweep(problem: AllocationProblem, options?: ParetoOptions): Promise<ParetoPoint[]>;
  cancelExact?(): void;
}

/**
 * - blocked: no problem can be built (no analysis yet, bad candidate list): `allocationMessage` says why.
 * - solving: the controls changed; no answer for them yet (any answer shown is stale).
 * - refining: the instant answer is current; the exact MILP is running to replace it.
 * - done: the answer is final (exact, or instant proven optimal / infeasible).
 */
export type AllocationPhase = 'blocked' | 'solving' | 'refining' | 'done' | 'error';

export interface AllocationAnswer {
  key: string;
  problem: AllocationProblem;
  unitIds: string[];
  result: AllocationResult;
}

export interface ParetoState {
  /** Identity of the swept problem (the problem without the swept budget's value). */
  key: string | null;
  status: 'idle' | 'running' | 'done' | 'error';
  /** Which budget the x-axis sweeps (average bits). */
  sweep: 'size' | 'bops';
  points: ParetoPoint[];
  error: string | null;
}

export interface BudgetSlice {
  budgetSettings: BudgetSettings;
  /** Locks by unit id (absent: free). */
  unitLocks: Record<string, UnitLock>;
  /** The problem the controls describe now; null while blocked. */
  allocationRequest: BuiltProblem | null;
  allocationPhase: AllocationPhase;
  /** The latest answer; current only when its key equals allocationRequest.key (see selectAllocation). */
  allocationAnswer: AllocationAnswer | null;
  /** Why the phase is blocked or error, in words. */
  allocationMessage: string | null;
  pareto: ParetoState;
  setBudgetSettings(patch: Partial<BudgetSettings>): void;
  /** Bar click: free → fixed at its width → full precision → free. */
  cycleUnitLock(unitId: string): void;
  setUnitLock(unitId: string, lock: UnitLock | null): void;
  clearUnitLocks(): void;
  /** Builds the problem from the store and solves it when it differs from the one solved last. */
  requestAllocation(): void;
  /** Drops every answer and the Pareto curve (their analysis is gone); budget settings and locks stay. */
  resetAllocation(): void;
}

/** Pause after the last change before the exact MILP starts (a slider drag sends many values). */
const EXACT_DELAY_MS = 250;
/** Pause after the last change before the Pareto sweep starts. */
const PARETO_DELAY_MS = 600;
const PARETO_POINTS = 20;
const NO_PARETO: ParetoState = { key: null, status: 'idle', sweep: 'size', points: [], error: null };

let solverFactory: () => AllocationSolver = () => new SolverClient();
let solver: AllocationSolver | null = null;

/** Replaces the solver (tests run the core in-process); the next request uses it. */
export function setAllocationSolverFactory(factory: () => AllocationSolver): void {
  solverFactory = factory;
  solver = null;
}

function currentSolver(): AllocationSolver {
  solver ??= solverFactory();
  return solver;
}


/** The budget the Pareto plot sweeps: size when it is on, else BOPs when that is on, else size. */
export function sweptBudget(settings: Pick<BudgetSettings, 'sizeEnabled' | 'bopsEnabled'>): 'size' | 'bops' {
  return !settings.sizeEnabled && settings.bopsEnabled ? 'bops' : 'size';
}

function paretoKey(request: BuiltProblem, sweep: 'size' | 'bops'): string {
  const { budgets, objective, candidates, locks } = request.problem;
  const held = sweep === 'size' ? budgets.bops : budgets.size;
  return JSON.stringify([request.runKey, sweep, objective.mode, objective.lambda, candidates, locks, held, budgets.lowerBoundFraction]);
}

export const createBudgetSlice: StateCreator<StudioState, [], [], BudgetSlice> = (set, get, api) => {
  let sequence = 0;
  let exactTimer: ReturnType<typeof setTimeout> | null = null;
  let paretoTimer: ReturnType<typeof setTimeout> | null = null;

  function runExact(sequenceAtRequest: number, request: BuiltProblem): void {
    exactTimer = null;
    currentSolver()
      .solveExact(request.problem)
      .then(
        (result) => {
          if (sequenceAtRequest !== sequence) return;
          set({ allocationAnswer: { ...request, result }, allocationPhase: 'done' });
        },
        (error: unknown) => {
          if (isCancelledError(error) || sequenceAtRequest !== sequence) return;
          // The instant answer stays current; only its refinement failed.
          set({ allocationPhase: 'done', allocationMessage: `The exact solver stopped: ${errorMessage(error)}` });
        },
      );
  }

  function scheduleParetoSweep(request: BuiltProblem): void {
    const sweep = sweptBudget(get().budgetSettings);
    const key = paretoKey(request, sweep);
    if (get().pareto.key === key && get().pareto.status !== 'error') return;
    if (paretoTimer) clearTimeout(paretoTimer);
    paretoTimer = setTimeout(() => {
      paretoTimer = null;
      set({ pareto: { ...get().pareto, key, sweep, status: 'running', error: null } });
      currentSolver()
        .paretoSweep(request.problem, { sweep, points: PARETO_POINTS })
        .then(
          (points) => {
            if (get().pareto.key === key) set({ pareto: { key, sweep, status: 'done', points, error: null } });
          },
          (error: unknown) => {
            if (isCancelledError(error) || get().pareto.key !== key) return;
            set({ pareto: { key, sweep, status: 'error', points: [], error: errorMessage(error) } });
          },
        );
    }, PARETO_DELAY_MS);
  }

  function solve(request: BuiltProblem, patch: Partial<StudioState>): void {
    const mine = ++sequence;
    if (exactTimer) clearTimeout(exactTimer);
    exactTimer = null;
    currentSolver().cancelExact?.();
    set({ ...patch, allocationRequest: request, allocationPhase: 'solving', allocationMessage: null });
    currentSolver()
      .solveInstant(request.problem)
      .then(
        (result) => {
          if (mine !== sequence) return;
          const final = result.status === 'optimal' || result.status === 'infeasible';
          set({ allocationAnswer: { ...request, result }, allocationPhase: final ? 'done' : 'refining' });
          if (!final) exactTimer = setTimeout(() => runExact(mine, request), EXACT_DELAY_MS);
          if (result.status !== 'infeasible') scheduleParetoSweep(request);
        },
        (error: unknown) => {
          if (isCancelledError(error) || mine !== sequence) return;
          set({ allocationPhase: 'error', allocationMessage: errorMessage(error) });
        },
      );
  }

  /**
   * Applies a change of the controls and the request it implies in one store update, so no reader ever sees new
   * settings next to an answer for the old ones.
   */
  function update(patch: Partial<Pick<StudioState, 'budgetSettings' | 'unitLocks'>>): void {
    const state = { ...get(), ...patch };
    let request: BuiltProblem;
    try {
      request = buildAllocationProblem(state.analysisResults, state.budgetSettings, state.unitLocks);
    } catch (error) {
      const message = errorMessage(error);
      const unchanged = state.allocationPhase === 'blocked' && state.allocationMessage === message;
      if (unchanged) {
        if (Object.keys(patch).length > 0) set(patch);
        return;
      }
      sequence++;
      if (exactTimer) clearTimeout(exactTimer);
      exactTimer = null;
      set({ ...patch, allocationRequest: null, allocationPhase: 'blocked', allocationMessage: message });
      return;
    }
    const same = state.allocationRequest?.key === request.key && state.allocationPhase !== 'error' && state.allocationPhase !== 'blocked';
    if (same) {
      if (Object.keys(patch).length > 0) set(patch);
      return;
    }
    solve(request, patch);
  }

  // A finished (or restarted) analysis changes the problem: solve again when the results object changes.
  api.subscribe((state, previous) => {
    if (state.analysisResults !== previous.analysisResults) state.requestAllocation();
  });

  return {
    budgetSettings: defaultBudgetSettings,
    unitLocks: {},
    allocationRequest: null,
    allocationPhase: 'blocked',
    allocationAnswer: null,
    allocationMessage: 'Run Analyze to measure importance; the budget needs it.',
    pareto: NO_PARETO,

    setBudgetSettings: (patch) => {
      const settings = { ...get().budgetSettings, ...patch };
      // A preset names its budget (W6A6: 6 bits): choosing one moves both sliders there unless the patch sets them.
      if (patch.preset && patch.preset !== 'custom' && patch.preset !== get().budgetSettings.preset) {
        const nominal = presetNominalBits(patch.preset);
        settings.sizeAverageBits = patch.sizeAverageBits ?? nominal;
        settings.bopsAverageBits = patch.bopsAverageBits ?? nominal;
      }
      update({ budgetSettings: settings });
    },

    cycleUnitLock: (unitId) => {
      const state = get();
      const current = selectAllocation(state);
      const width = current ? (current.widthByUnit[unitId] ?? null) : null;
      let candidates: number[];
      try {
        candidates = candidatesOf(state.budgetSettings);
      } catch {
        candidates = [4];
      }
      state.setUnitLock(unitId, nextLock(state.unitLocks[unitId], width, candidates));
    },

    setUnitLock: (unitId, lock) => {
      const locks = { ...get().unitLocks };
      if (lock) locks[unitId] = lock;
      else delete locks[unitId];
      update({ unitLocks: locks });
    },

    clearUnitLocks: () => update({ unitLocks: {} }),

    requestAllocation: () => update({}),

    resetAllocation: () => {
      sequence++;
      if (exactTimer) clearTimeout(exactTimer);
      if (paretoTimer) clearTimeout(paretoTimer);
      exactTimer = null;
      paretoTimer = null;
      solver?.cancelExact?.();
      // A sweep still running lands only under its own key, which is gone.
      set({ allocationRequest: null, allocationAnswer: null, pareto: NO_PARETO, allocationPhase: 'blocked', allocationMessage: null });
      update({});
    },
  };
};

/** The allocation the controls describe now, as other panels (preview, export, report) consume it. */
export interface CurrentAllocation {
  /** unitId → width, or null for full precision (FP locks and units excluded from quantization). */
  widthByUnit: Record<string, number | null>;
  status: 'optimal' | 'feasible';
  /** true once no better answer is coming (exact MILP done, or the instant answer proven optimal). */
  final: boolean;
  method: AllocationResult['method'];
  /** Certified relative gap to the best possible objective (0 when optimal). */
  gap: number;
  objective: number;
  bound: number | null;
  sense: AllocationResult['sense'];
  sizeBits: number;
  bops: number;
  /** Width per problem unit (FP locks at their 16/32 bits), aligned with unitIds. */
  bits: number[];
  problem: AllocationProblem;
  unitIds: string[];
  result: AllocationResult;
}

let memo: { answer: AllocationAnswer; excluded: unknown; final: boolean; value: CurrentAllocation } | null = null;

/**
 * The current allocation, or null when there is none for what the controls say now (no analysis, solving a
 * newer request, infeasible). Memoized on the answer object, so components may subscribe to it directly.
 */
export function selectAllocation(state: Pick<StudioState, 'allocationAnswer' | 'allocationRequest' | 'allocationPhase' | 'analysisResults'>): CurrentAllocation | null {
  const answer = state.allocationAnswer;
  if (!answer || !state.allocationRequest || answer.key !== state.allocationRequest.key || state.allocationPhase === 'solving') return null;
  const { result } = answer;
  if (!result.bits || (result.status !== 'optimal' && result.status !== 'feasible')) return null;
  const excluded = state.analysisResults?.excludedUnits;
  const final = state.allocationPhase === 'done';
  if (memo && memo.answer === answer && memo.excluded === excluded && memo.final === final) return memo.value;
  const value: CurrentAllocation = {
    widthByUnit: allocationByUnit(answer.unitIds, result.bits, answer.problem.locks ?? [], (excluded ?? []).map((unit: { id: string }) => unit.id)),
    status: result.status,
    final,
    method: result.method,
    gap: result.gap ?? 0,
    objective: result.objective ?? NaN,
    bound: result.bound,
    sense: result.sense,
    sizeBits: result.sizeBits ?? NaN,
    bops: result.bops ?? NaN,
    bits: result.bits,
    problem: answer.problem,
    unitIds: answer.unitIds,
    result,
  };
  memo = { answer, excluded, final, value };
  return value;
}

/** The answer for what the controls say now, whatever its status (infeasible included); null while solving. */
export function selectCurrentAnswer(state: Pick<StudioState, 'allocationAnswer' | 'allocationRequest' | 'allocationPhase'>): AllocationAnswer | null {
  const answer = state.allocationAnswer;
  if (!answer || !state.allocationRequest || answer.key !== state.allocationRequest.key || state.allocationPhase === 'solving') return null;
  return answer;
}

/** The problem the controls describe now (for a uniform baseline at the same budgets), or null. */
export const selectAllocationProblem = (state: Pick<StudioState, 'allocationRequest'>): BuiltProblem | null => state.allocationRequest;
