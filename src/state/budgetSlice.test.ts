/// <reference types="vite/client" />
/**
 * The budget slice against the real solvers (core instant path and glpk.js, in-process instead of in workers),
 * with optima checked by a plain enumeration written here.
 */
import GLPK from 'glpk.js/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { glpkEngine, paretoSweep, solveExact, solveInstant, type AllocationProblem, type GlpkSolver } from '../core/allocate';
import { createBudgetSlice, selectAllocation, selectCurrentAnswer, setAllocationSolverFactory } from './budgetSlice';
import { smallAnalysisResults } from './budgetTestResults';
import type { StudioState } from './store';
import { until } from './storeWait';

let glpk: GlpkSolver;
beforeAll(async () => {
  glpk = await GLPK();
  setAllocationSolverFactory(() => ({
    solveInstant: async (problem) => solveInstant(problem),
    solveExact: async (problem, options) => solveExact(problem, glpkEngine(glpk), options),
    paretoSweep: async (problem, options) => paretoSweep(problem, options),
  }));
});
afterAll(() => setAllocationSolverFactory(() => {
  throw new Error('no solver after the tests');
}));

function budgetStore(): StoreApi<StudioState> {
  return createStore<StudioState>()((set, get, api) => ({ analysisResults: null, ...createBudgetSlice(set, get, api) }) as unknown as StudioState);
}


/** Best paper-mode allocation by trying every combination (METHOD.md objective and budgets written out again). */
function enumerateBest(problem: AllocationProblem, maxSizeBits: number, maxBops: number): { bits: number[]; objective: number } | null {
  if (problem.objective.mode !== 'paper') throw new Error('paper mode only');
  const { importance, synergy, lambda } = problem.objective;
  const n = problem.units.length;
  const options = problem.units.map((_, i) => {
    const lock = problem.locks?.[i];
    return lock ? [lock.bits] : [...problem.candidates];
  });
  let best: { bits: number[]; objective: number } | null = null;
  const bits = new Array<number>(n);
  const visit = (i: number) => {
    if (i === n) {
      const fp = (k: number) => problem.locks?.[k]?.kind === 'fp';
      let size = 0;
      let bops = 0;
      let objective = 0;
      for (let k = 0; k < n; k++) {
        size += problem.units[k].params * bits[k];
        bops += problem.units[k].macs * bits[k] * bits[k];
        if (!fp(k)) objective += importance[k] * bits[k];
        if (k + 1 < n && !fp(k) && !fp(k + 1)) objective -= lambda * synergy[k] * Math.abs(bits[k] - bits[k + 1]);
      }
      if (size <= maxSizeBits && bops <= maxBops && (!best || objective > best.objective + 1e-12)) best = { bits: [...bits], objective };
      return;
    }
    for (const b of options[i]) {
      bits[i] = b;
      visit(i + 1);
    }
  };
  visit(0);
  return best;
}

describe('budget slice', () => {
  it('is blocked with a message before analysis, then settles on the optimum once results arrive', async () => {
    const store = budgetStore();
    expect(store.getState().allocationPhase).toBe('blocked');
    expect(store.getState().allocationMessage).toContain('Run Analyze');
    expect(selectAllocation(store.getState())).toBeNull();

    const results = smallAnalysisResults();
    store.getState().setBudgetSettings({ sizeAverageBits: 3.5, bopsAverageBits: 4, lambda: 0.01, lambdaScale: 'raw', objectiveMode: 'paper' });
    store.setState({ analysisResults: results });
    const done = await until(store, (s) => s.allocationPhase === 'done');
    const allocation = selectAllocation(done)!;
    // Σp = 5000 → 17 500 bits; Σ MAC = 460 000 → 7 360 000 BOPs.
    const best = enumerateBest(allocation.problem, 17_500, 7_360_000)!;
    expect(allocation.bits).toEqual(best.bits);
    expect(allocation.objective).toBeCloseTo(best.objective, 9);
    expect(allocation.status).toBe('optimal');
    expect(allocation.final).toBe(true);
    expect(allocation.widthByUnit).toEqual({
      'encoder:/patch_embed/proj/Conv': null,
      ...Object.fromEntries(results.units.map((unit, i) => [unit.id, best.bits[i]])),
    });
    expect(selectAllocation(done)).toBe(allocation); // memoized: safe to subscribe to
  });

  it('never shows an answer to an older request as current', async () => {
    const store = budgetStore();
    store.setState({ analysisResults: smallAnalysisResults() });
    await until(store, (s) => s.allocationPhase === 'done');
    const seen: number[] = [];
    const stop = store.subscribe((state) => {
      const current = selectAllocation(state);
      if (current) seen.push(current.problem.budgets.size && 'averageBits' in current.problem.budgets.size ? current.problem.budgets.size.averageBits : NaN);
    });
    for (const bits of [3, 3.25, 3.5, 5]) store.getState().setBudgetSettings({ sizeAverageBits: bits });
    const done = await until(store, (s) => s.allocationPhase === 'done' && selectAllocation(s) !== null);
    stop();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([5]));
    expect(selectAllocation(done)!.problem.budgets.size).toEqual({ averageBits: 5 });
  });

  it('reports an infeasible budget with the smallest reachable size, and no allocation', async () => {
    const store = budgetStore();
    store.setState({ analysisResults: smallAnalysisResults() });
    store.getState().setBudgetSettings({ sizeAverageBits: 1.5 });
    const done = await until(store, (s) => s.allocationPhase === 'done');
    expect(selectAllocation(done)).toBeNull();
    const answer = selectCurrentAnswer(done)!;
    expect(answer.result.status).toBe('infeasible');
    expect(answer.result.reach.minSizeBits).toBe(5000 * 2);
    expect(answer.result.infeasibleReason).toContain('below the smallest reachable size');
  });

  it('locks cycle by click and count in size: fixed at the shown width, then full precision', async () => {
    const store = budgetStore();
    const results = smallAnalysisResults();
    store.getState().setBudgetSettings({ sizeAverageBits: 21, bopsEnabled: false, objectiveMode: 'paper', lambdaScale: 'raw', lambda: 0.1 });
    store.setState({ analysisResults: results });
    const neck = results.units[2].id;
    let state = await until(store, (s) => s.allocationPhase === 'done');
    const shown = selectAllocation(state)!.widthByUnit[neck]!;
    store.getState().cycleUnitLock(neck);
    expect(store.getState().unitLocks[neck]).toEqual({ kind: 'fixed', bits: shown });
    store.getState().cycleUnitLock(neck);
    expect(store.getState().unitLocks[neck]).toEqual({ kind: 'fp', bits: 32 });
    state = await until(store, (s) => s.allocationPhase === 'done' && selectAllocation(s) !== null);
    const allocation = selectAllocation(state)!;
    expect(allocation.widthByUnit[neck]).toBeNull();
    // The FP neck conv holds 3000 × 32 bits of the 21 · 5000 = 105 000: 9000 bits are left for the other 2000 weights.
    const best = enumerateBest(allocation.problem, 105_000, Infinity)!;
    expect(allocation.bits).toEqual(best.bits);
    expect(allocation.sizeBits).toBe(3000 * 32 + 1000 * best.bits[0] + 1000 * best.bits[3]);
    store.getState().cycleUnitLock(neck);
    expect(store.getState().unitLocks[neck]).toBeUndefined();
  });

  it('sweeps the Pareto curve in the background over the size budget', async () => {
    const store = budgetStore();
    store.setState({ analysisResults: smallAnalysisResults() });
    const done = await until(store, (s) => s.pareto.status === 'done');
    const { points, sweep } = done.pareto;
    expect(sweep).toBe('size');
    expect(points).toHaveLength(20);
    // From the narrowest reachable size (2 bits) to where the size budget stops binding (6 bits).
    expect(points[0].averageBits).toBeCloseTo(2, 9);
    expect(points[19].averageBits).toBeCloseTo(6, 9);
  });
});
