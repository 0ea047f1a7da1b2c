import { describe, expect, it } from 'vitest';
import type { AllocationProblem } from '../allocate';
import { averageWeightBits, bestUniformWidth, evaluationPlans, uniformAllocation } from './evaluationPlans';

/**
 * Three units: params 100, 300, 0 (an activation × activation MatMul); MACs 1000, 2000, 500.
 * Σp = 400, ΣMAC = 3500. A uniform width b costs 400·b bits and 3500·b² BOPs.
 */
function problem(budgets: AllocationProblem['budgets'], locks?: AllocationProblem['locks']): AllocationProblem {
  return {
    units: [
      { name: 'a', params: 100, macs: 1000 },
      { name: 'b', params: 300, macs: 2000 },
      { name: 'c', params: 0, macs: 500 },
    ],
    candidates: [2, 3, 4, 5, 6],
    locks,
    budgets,
    objective: { mode: 'paper', importance: [0.5, 0.3, 0.2], synergy: [0, 0], lambda: 0.1 },
  };
}
const ids = ['enc:a', 'enc:b', 'dec:c'];

describe('bestUniformWidth', () => {
  it('is the budget width when both budgets are the same average width', () => {
    const fit = bestUniformWidth(problem({ size: { averageBits: 4 }, bops: { averageBits: 4 } }));
    expect(fit).toEqual({ bits: 4, sizeBits: 1600, bops: 3500 * 16 });
  });

  it('takes the narrower of the two budgets, rounding down between widths', () => {
    // Size allows 5.5 bits on average (2200 bits), BOPs allow 3.9² → 3 bits.
    expect(bestUniformWidth(problem({ size: { averageBits: 5.5 }, bops: { averageBits: 3.9 } }))?.bits).toBe(3);
    expect(bestUniformWidth(problem({ size: { averageBits: 5.5 }, bops: null }))?.bits).toBe(5);
  });

  it('counts locked units at their lock: a unit kept at 16 bits takes budget from the others', () => {
    // Unit a at FP16: 1600 bits; budget 400·4 = 1600 leaves 0 for unit b (300 params): nothing fits.
    const locked = problem({ size: { averageBits: 4 } }, [{ kind: 'fp', bits: 16 }, null, null]);
    expect(bestUniformWidth(locked)).toBeNull();
    // Budget 400·8 = 3200: 1600 + 300·b ≤ 3200 → b ≤ 5.33 → 5.
    expect(bestUniformWidth(problem({ size: { averageBits: 8 } }, [{ kind: 'fp', bits: 16 }, null, null]))?.bits).toBe(5);
  });

  it('is the widest width when no budget is set', () => {
    expect(bestUniformWidth(problem({}))?.bits).toBe(8);
  });
});

describe('uniformAllocation and the plans', () => {
  it('sets free units to the width, fixed locks to theirs and full-precision locks to null', () => {
    const locked = problem({}, [{ kind: 'fp', bits: 32 }, { kind: 'fixed', bits: 6 }, null]);
    expect(uniformAllocation(locked, ids, 3)).toEqual({ 'enc:a': null, 'enc:b': 6, 'dec:c': 3 });
    expect(() => uniformAllocation(locked, ids.slice(1), 3)).toThrow('2 unit ids were given for 3 units');
  });

  it('averages weight bits over the parameters of quantized weight units only', () => {
    const params = new Map([['enc:a', 100], ['enc:b', 300], ['dec:c', 0]]);
    // (100·2 + 300·6) / 400 = 5; the activation unit and FP units do not count.
    expect(averageWeightBits({ 'enc:a': 2, 'enc:b': 6, 'dec:c': 8 }, params)).toBe(5);
    expect(averageWeightBits({ 'enc:a': null, 'enc:b': 4 }, params)).toBe(4);
    expect(averageWeightBits({ 'dec:c': 4 }, params)).toBeNull();
  });

  it('lists FP, the uniform baseline and the mixed allocation', () => {
    const params = new Map([['enc:a', 100], ['enc:b', 300], ['dec:c', 0]]);
    const mixed = { 'enc:a': 6, 'enc:b': 3, 'dec:c': 4 };
    const { plans, uniform, uniformMissing } = evaluationPlans({ problem: problem({ size: { averageBits: 4 } }), unitIds: ids, mixed, paramsById: params });
    expect(plans.map((p) => p.label)).toEqual(['FP32', 'Uniform W4A4', 'Mixed (avg 3.75 bits)']);
    expect(plans[1].allocation).toEqual({ 'enc:a': 4, 'enc:b': 4, 'dec:c': 4 });
    expect(uniform?.bits).toBe(4);
    expect(uniformMissing).toBeNull();
    const none = evaluationPlans({ problem: null, unitIds: ids, mixed: null, paramsById: params });
    expect(none.plans.map((p) => p.id)).toEqual(['fp']);
    expect(none.uniformMissing).toMatch(/Set a budget/);
  });
});
