/**
 * The size budget on the deployed file (sizeCounting 'stored'): every solver counts a width at its INT4 / INT8
 * container, so a 6-bit weight costs what an 8-bit one does; the ideal count lets a 6-bit budget ship at 8 bits.
 */
import GLPK from 'glpk.js/node';
import loadHighs from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bruteForce } from './bruteForce';
import { solveExact } from './exact';
import { solveInstant } from './instant';
import { glpkEngine, highsEngine, type GlpkSolver, type MilpEngine } from './milpEngines';
import { allocationSizes, storedWeightBits } from './storedBits';
import { smallProblem } from './testInstances';
import type { AllocationProblem } from './types';

let glpk: MilpEngine;
let highs: MilpEngine;
beforeAll(async () => {
  glpk = glpkEngine((await GLPK()) as unknown as GlpkSolver);
  highs = highsEngine(await loadHighs());
});

/** Three equal weight units; each loses less the wider it is, 6 bits already almost as good as 8. */
function sixBitBudget(sizeCounting: 'ideal' | 'stored'): AllocationProblem {
  return {
    units: [0, 1, 2].map((i) => ({ name: `unit ${i}`, params: 100, macs: 10 })),
    candidates: [4, 6, 8],
    budgets: { size: { averageBits: 6 } },
    objective: { mode: 'sensitivity', sensitivity: { widths: [4, 6, 8], lossByUnit: [[1, 0.1, 0.09], [2, 0.2, 0.19], [3, 0.3, 0.29]] }, synergy: [0, 0], lambda: 0 },
    sizeCounting,
  };
}

describe('size budget on what the file stores', () => {
  it('counts widths at their containers: ≤ 4 bits as INT4, 5–8 as INT8, wider as float32', () => {
    expect([2, 3, 4, 5, 6, 7, 8, 12].map(storedWeightBits)).toEqual([4, 4, 4, 8, 8, 8, 8, 32]);
    const sizes = allocationSizes({ units: [{ name: 'a', params: 10, macs: 0 }, { name: 'b', params: 30, macs: 0 }, { name: 'c', params: 5, macs: 0 }], locks: [null, null, { kind: 'fp', bits: 32 }] }, [3, 6, 32]);
    expect(sizes).toEqual({ idealBits: 10 * 3 + 30 * 6 + 5 * 32, storedBits: 10 * 4 + 30 * 8 + 5 * 32 });
  });

  it('at a 6-bit budget: ideal ships three 6-bit units (8 bits each in the file), stored fits the file — by every solver', async () => {
    const ideal = await solveExact(sixBitBudget('ideal'), highs);
    expect(ideal.bits).toEqual([6, 6, 6]);
    // What the file then really holds: 8 bits per weight against a 6-bit budget.
    expect(allocationSizes(sixBitBudget('ideal'), ideal.bits!).storedBits).toBe(2400);

    const problem = sixBitBudget('stored');
    // 1800 stored bits: one unit may take an INT8 container (8 costs what 6 does, and loses less), the others INT4 (1600).
    const best = bruteForce(problem)!;
    expect(best.bits).toEqual([4, 4, 8]);
    for (const result of [await solveExact(problem, highs), await solveExact(problem, glpk), solveInstant(problem)]) {
      expect(result.bits).toEqual([4, 4, 8]);
      expect(result.sizeBits).toBe(1600);
      expect(allocationSizes(problem, result.bits!).storedBits).toBeLessThanOrEqual(1800);
    }
  });

  it('the exact solvers agree with brute force under stored counting on random small problems', async () => {
    let compared = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const problem: AllocationProblem = { ...smallProblem(seed, 6), sizeCounting: 'stored' };
      const best = bruteForce(problem);
      const result = await solveExact(problem, glpk);
      if (!best) {
        expect(result.bits).toBeNull();
        continue;
      }
      expect(result.objective!).toBeCloseTo(best.objective, 9);
      expect(result.sizeBits!).toBeCloseTo(best.sizeBits, 6);
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });
});
