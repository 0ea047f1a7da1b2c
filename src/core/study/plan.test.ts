import GLPK from 'glpk.js/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { glpkEngine, solveExact, solveInstant, type GlpkSolver } from '../allocate';
import type { AnalysisResults } from '../analysis/analysisResults';
import { defaultAnalysisSettings } from '../analysis/settings';
import { allocationUnits, budgetUse, mixedProblem, objectiveScalePerBit, sensitivityAtWidths, widthHistogram, type StudyBudget } from './plan';
import { planModels, type StudySettings } from './studyRun';

/**
 * Three units: a weight unit (p 100, MAC 1000), a second one (p 300, MAC 2000) and an attention
 * MatMul (p 0, MAC 500). Σp = 400, ΣMAC = 3500: a uniform width b costs 400·b bits and 3500·b² BOPs.
 * σ measured at 2 and 4 bits; Ω = (0.5, 0.3, 0.2); Ŝ = (2, 1).
 */
function results(overrides: { sensitivity?: number[][]; macs?: (number | null)[]; synergy?: number[] } = {}): AnalysisResults {
  const sensitivity = overrides.sensitivity ?? [
    [0.16, 0.01],
    [0.08, 0.005],
    [0.64, 0.04],
  ];
  const unit = (i: number, id: string, params: number, macs: number | null, importance: number) => ({
    id,
    graph: 'encoder' as const,
    nodeName: id,
    op: 'MatMul' as const,
    kind: params > 0 ? ('weight' as const) : ('activation' as const),
    role: id,
    part: 'test',
    params,
    macs: overrides.macs?.[i] !== undefined ? overrides.macs[i] : macs,
    importance,
    sensitivity: sensitivity[i],
  });
  return {
    runKey: 'k',
    modelHash: 'm',
    settings: { ...defaultAnalysisSettings, candidateBits: [2, 4] },
    candidateBits: [2, 4],
    measuredBits: [2, 4],
    units: [unit(0, 'a', 100, 1000, 0.5), unit(1, 'b', 300, 2000, 0.3), unit(2, 'c', 0, 500, 0.2)],
    synergy: overrides.synergy ?? [2, 1],
    importanceByImage: [],
    imageNames: [],
    excludedUnits: [],
    probesDone: 6,
    probesTotal: 6,
    complete: true,
  };
}

const budget4: StudyBudget = { label: 'W4A4', bits: 4, candidates: [2, 3, 4, 5, 6] };

describe('the mixed problem at a uniform budget', () => {
  it('holds the allocation to the uniform model’s size and BOPs', () => {
    const problem = mixedProblem(results(), budget4, { mode: 'paper' });
    expect(problem.units.map((u) => [u.params, u.macs])).toEqual([
      [100, 1000],
      [300, 2000],
      [0, 500],
    ]);
    expect(problem.budgets).toEqual({ size: { averageBits: 4 }, bops: { averageBits: 4 }, lowerBoundFraction: null });
    // Uniform W4A4 sits exactly on both budgets: 1600 bits and 3500·16 BOPs.
    expect(budgetUse(problem, [4, 4, 4])).toEqual({ sizeBits: 1600, bops: 56000, averageWeightBits: 4, bopsEquivalentBits: 4, withinBudget: true });
    // (6, 2, 6): size 600 + 600 = 1200 ≤ 1600 but BOPs 36000 + 8000 + 18000 = 62000 > 56000.
    const over = budgetUse(problem, [6, 2, 6]);
    expect([over.sizeBits, over.bops, over.withinBudget]).toEqual([1200, 62000, false]);
    expect(over.bopsEquivalentBits).toBeCloseTo(Math.sqrt(62000 / 3500), 12);
  });

  it('continues σ beyond the measured widths with σ ∝ 4^(−b) and interpolates between them in log space', () => {
    const table = sensitivityAtWidths(results(), [2, 3, 4, 5, 6]);
    // Unit a: 0.16 at 2 bits, 0.01 at 4: 3 bits is the geometric mean 0.04; 5 and 6 bits are 0.01/4 and 0.01/16.
    expect(table[0][0]).toBeCloseTo(0.16, 15);
    expect(table[0][1]).toBeCloseTo(0.04, 15);
    expect(table[0][2]).toBeCloseTo(0.01, 15);
    expect(table[0][3]).toBeCloseTo(0.0025, 15);
    expect(table[0][4]).toBeCloseTo(0.000625, 15);
  });

  it('puts λ in objective units when asked', () => {
    const r = results();
    // Paper mode: Σ Ω / n = 1/3.
    expect(objectiveScalePerBit(r, 'paper', budget4.candidates)).toBeCloseTo(1 / 3, 15);
    // Sensitivity mode over 2..6 bits: (σ(2) − σ(6)) / 4 per unit, averaged.
    const drop = [0.16 - 0.01 / 16, 0.08 - 0.005 / 16, 0.64 - 0.04 / 16].map((d) => d / 4);
    expect(objectiveScalePerBit(r, 'sensitivity', budget4.candidates)).toBeCloseTo((drop[0] + drop[1] + drop[2]) / 3, 15);
    const scaled = mixedProblem(r, budget4, { mode: 'sensitivity', lambda: 0.5, lambdaScale: 'objective' });
    expect(scaled.objective.lambda).toBeCloseTo((0.5 * (drop[0] + drop[1] + drop[2])) / 3, 15);
    expect(mixedProblem(r, budget4, { mode: 'paper', lambda: 0.5 }).objective.lambda).toBe(0.5);
  });

  it('says which unit lacks its MAC count', () => {
    expect(() => allocationUnits(results({ macs: [1000, null, 500] }))).toThrow('Unit "b" has no MAC count');
  });

  it('counts units per width', () => {
    expect(widthHistogram([4, 6, 4, 2])).toEqual({ 2: 1, 4: 2, 6: 1 });
  });
});

/** Every allocation over the candidates, scored straight from METHOD.md's formulas. */
function enumerateBest(r: AnalysisResults, budget: StudyBudget, lambda: number): { bits: number[]; loss: number } {
  const sigma = sensitivityAtWidths(r, budget.candidates);
  const units = r.units;
  let best = { bits: [] as number[], loss: Infinity };
  const k = budget.candidates.length;
  for (let code = 0; code < k ** units.length; code++) {
    const bits = units.map((_, i) => budget.candidates[Math.floor(code / k ** i) % k]);
    const size = units.reduce((sum, u, i) => sum + u.params * bits[i], 0);
    const bops = units.reduce((sum, u, i) => sum + u.macs! * bits[i] * bits[i], 0);
    if (size > 400 * budget.bits || bops > 3500 * budget.bits ** 2) continue;
    let loss = bits.reduce((sum, b, i) => sum + sigma[i][budget.candidates.indexOf(b)], 0);
    for (let i = 0; i + 1 < units.length; i++) loss += lambda * r.synergy[i] * Math.abs(bits[i] - bits[i + 1]);
    if (loss < best.loss) best = { bits, loss };
  }
  return best;
}

describe('planModels', () => {
  let glpk: GlpkSolver;
  beforeAll(async () => {
    glpk = (await GLPK()) as unknown as GlpkSolver;
  });

  it('lists FP, then per budget the uniform model and the optimal mixed one within the same budget', async () => {
    const r = results();
    const settings: StudySettings = {
      analysis: defaultAnalysisSettings,
      budgets: [budget4],
      modes: ['sensitivity'],
      objective: { lambda: 0.001 },
      log2PostSoftmax: [true],
    };
    const models = await planModels(r, settings, glpkEngine(glpk));
    expect(models.map((m) => m.id)).toEqual(['fp', 'uniform-W4A4', 'mixed-sensitivity-W4A4']);
    expect(models[1].bits).toEqual([4, 4, 4]);
    const expected = enumerateBest(r, budget4, 0.001);
    expect(models[2].bits).toEqual(expected.bits);
    // The attention MatMul (largest σ, no parameters) gets more bits than the uniform model gives it.
    expect(models[2].bits![2]).toBeGreaterThan(4);
    expect(models[2].use!.withinBudget).toBe(true);
    expect(models[2].solver!.status).toBe('optimal');
  });

  it('with the (repro) λ = 0.1 the synergy term outweighs σ of this size and keeps the model uniform', async () => {
    const settings: StudySettings = {
      analysis: defaultAnalysisSettings,
      budgets: [budget4],
      modes: ['sensitivity'],
      objective: { lambda: 0.1 },
      log2PostSoftmax: [true],
    };
    const r = results({ sensitivity: [[1.6e-5, 1e-6], [8e-6, 5e-7], [6.4e-5, 4e-6]] });
    const models = await planModels(r, settings, glpkEngine(glpk));
    expect(models[2].bits).toEqual(enumerateBest(r, budget4, 0.1).bits);
    expect(models[2].bits).toEqual([4, 4, 4]);
  });
});

describe('a single candidate width', () => {
  const only4: StudyBudget = { label: 'W4A4', bits: 4, candidates: [4] };
  let glpk: GlpkSolver;
  beforeAll(async () => {
    glpk = (await GLPK()) as unknown as GlpkSolver;
  });

  it('gives a finite λ scale: no unit can move, so the synergy term is 0 whatever λ is', () => {
    const r = results();
    expect(objectiveScalePerBit(r, 'sensitivity', [4])).toBe(0);
    expect(objectiveScalePerBit(r, 'paper', [4])).toBeCloseTo(1 / 3, 15);
    expect(mixedProblem(r, only4, { mode: 'sensitivity', lambda: 0.01, lambdaScale: 'objective' }).objective.lambda).toBe(0);
  });

  it('is solved by the instant and the exact solver: every unit at that width', async () => {
    const r = results();
    for (const mode of ['sensitivity', 'paper'] as const) {
      const problem = mixedProblem(r, only4, { mode, lambda: 0.01, lambdaScale: 'objective' });
      const instant = solveInstant(problem);
      expect(instant.bits).toEqual([4, 4, 4]);
      expect(instant.status).toBe('optimal');
      const exact = await solveExact(problem, glpkEngine(glpk));
      expect(exact.bits).toEqual([4, 4, 4]);
      expect(exact.status).toBe('optimal');
    }
  });

  it('says the budget is out of reach when that width does not fit it', async () => {
    const problem = mixedProblem(results(), { label: 'W3A3', bits: 3, candidates: [4] }, { mode: 'sensitivity', lambdaScale: 'objective' });
    const instant = solveInstant(problem);
    expect(instant.status).toBe('infeasible');
    expect(instant.bits).toBeNull();
    const exact = await solveExact(problem, glpkEngine(glpk));
    expect(exact.status).toBe('infeasible');
  });
});
