import { describe, expect, it } from 'vitest';
import GLPK from 'glpk.js/node';
import { glpkEngine, resolveBudgets, solveExact, solveInstant, type GlpkSolver } from '../core/allocate';
import {
  allocationByUnit,
  buildAllocationProblem,
  candidatesOf,
  defaultBudgetSettings,
  nextLock,
  presetNominalBits,
  sensitivityAtWidths,
  sliderRange,
  uniformReference,
  type BudgetSettings,
} from './budgetProblem';
import { smallAnalysisResults } from './budgetTestResults';

const settings = (patch: Partial<BudgetSettings> = {}): BudgetSettings => ({ ...defaultBudgetSettings, ...patch });

describe('buildAllocationProblem', () => {
  it('refuses to build before a finished analysis, saying what to do', () => {
    expect(() => buildAllocationProblem(null, settings(), {})).toThrow('Run Analyze');
    const partial = { ...smallAnalysisResults(), complete: false, probesDone: 5 };
    expect(() => buildAllocationProblem(partial, settings(), {})).toThrow('not finished (5/12 probes)');
  });

  it('scales λ by the objective change per bit of an average unit when asked', () => {
    const results = smallAnalysisResults();
    const { problem } = buildAllocationProblem(results, settings({ objectiveMode: 'paper', lambda: 0.01, lambdaScale: 'objective' }), {});
    // paper mode: one bit of an average unit is worth the mean Ω = (0.4 + 0.1 + 0.3 + 0.2) / 4 = 0.25
    expect(problem.objective.lambda).toBeCloseTo(0.01 * 0.25, 12);
  });

  it('takes params, MACs, Ω and Ŝ in unit order and resolves the budgets by METHOD.md', () => {
    const results = smallAnalysisResults();
    const { problem, unitIds } = buildAllocationProblem(
      results,
      settings({ sizeAverageBits: 4, bopsAverageBits: 5, objectiveMode: 'paper', lambda: 0.1, lambdaScale: 'raw' }),
      {},
    );
    expect(unitIds).toEqual(results.units.map((u) => u.id));
    expect(problem.units.map((u) => u.params)).toEqual([1000, 0, 3000, 1000]);
    expect(problem.candidates).toEqual([2, 3, 4, 5, 6]);
    expect(problem.objective).toEqual({ mode: 'paper', importance: [0.4, 0.1, 0.3, 0.2], synergy: [2, 3, 1], lambda: 0.1 });
    // size: Σp = 5000 params × 4 bits; BOPs: Σ MAC = 460 000 × 5²
    expect(resolveBudgets(problem)).toEqual({ maxSizeBits: 20_000, minSizeBits: null, maxBops: 11_500_000, minBops: null });
  });

  it('leaves out a disabled budget and adds 0.95 floors when asked', () => {
    const { problem } = buildAllocationProblem(smallAnalysisResults(), settings({ bopsEnabled: false, lowerBounds: true }), {});
    expect(resolveBudgets(problem)).toEqual({ maxSizeBits: 20_000, minSizeBits: 19_000, maxBops: null, minBops: null });
  });

  it('budgets the stored file when asked: a W6A6 budget of 6 bits then holds no more than 6 stored bits per weight', async () => {
    const results = smallAnalysisResults();
    const glpk = glpkEngine((await GLPK()) as unknown as GlpkSolver);
    const solve = async (sizeCounting: BudgetSettings['sizeCounting']) => {
      const built = buildAllocationProblem(results, settings({ preset: 'W6A6', sizeAverageBits: 6, bopsEnabled: false, sizeCounting }), {});
      expect(built.problem.sizeCounting).toBe(sizeCounting);
      const result = await solveExact(built.problem, glpk);
      const params = built.problem.units.reduce((sum, unit) => sum + unit.params, 0);
      const stored = built.problem.units.reduce((sum, unit, i) => sum + unit.params * (result.bits![i] <= 4 ? 4 : 8), 0);
      return { key: built.key, stored: stored / params };
    };
    const ideal = await solve('ideal');
    const stored = await solve('stored');
    expect(stored.key).not.toBe(ideal.key);
    // Σ p·b ≤ 6 lets 5- and 6-bit weights in, which the file keeps in INT8 containers.
    expect(ideal.stored).toBeGreaterThan(6);
    expect(stored.stored).toBeLessThanOrEqual(6 + 1e-9);
  });

  it('aligns locks with units by id', () => {
    const results = smallAnalysisResults();
    const locks = { [results.units[2].id]: { kind: 'fp', bits: 32 } as const, unknown: { kind: 'fixed', bits: 3 } as const };
    const { problem } = buildAllocationProblem(results, settings(), locks);
    expect(problem.locks).toEqual([null, null, { kind: 'fp', bits: 32 }, null]);
  });

  it('in sensitivity mode extends σ beyond the analysed widths by 4^(−b)', () => {
    const results = smallAnalysisResults();
    const locks = { [results.units[0].id]: { kind: 'fixed', bits: 7 } as const };
    const { problem } = buildAllocationProblem(results, settings({ objectiveMode: 'sensitivity', preset: 'W4A4' }), locks);
    if (problem.objective.mode !== 'sensitivity') throw new Error('expected sensitivity mode');
    const { widths, lossByUnit } = problem.objective.sensitivity;
    expect(widths).toEqual([2, 3, 4, 5, 6, 7]);
    // unit 0: σ(2) = 16e-3, σ(6) = 6.25e-5 measured; σ(4) as analysed; σ(3), σ(5) log-interpolated: ×1/4 per bit;
    // σ(7) continues the slope from 6 bits: 6.25e-5 / 4.
    const expected = [16e-3, 4e-3, 1e-3, 2.5e-4, 6.25e-5, 1.5625e-5];
    lossByUnit[0].forEach((sigma, k) => expect(sigma).toBeCloseTo(expected[k], 12));
  });

  it('keys equal problems equally and different ones differently', () => {
    const results = smallAnalysisResults();
    const a = buildAllocationProblem(results, settings(), {}).key;
    expect(buildAllocationProblem(results, settings(), {}).key).toBe(a);
    expect(buildAllocationProblem(results, settings({ sizeAverageBits: 4.05 }), {}).key).not.toBe(a);
    expect(buildAllocationProblem({ ...results, runKey: 'other' }, settings(), {}).key).not.toBe(a);
  });
});

describe('candidates', () => {
  it('reads presets and custom lists, refusing widths the export cannot store', () => {
    expect(candidatesOf({ preset: 'W6A6', customCandidates: '' })).toEqual([4, 5, 6, 7, 8]);
    expect(candidatesOf({ preset: 'custom', customCandidates: '3, 5-6' })).toEqual([3, 5, 6]);
    expect(() => candidatesOf({ preset: 'custom', customCandidates: '4, 12' })).toThrow('2..8 bits');
    expect(() => candidatesOf({ preset: 'custom', customCandidates: 'four' })).toThrow('"four" is not a bit-width');
    expect(presetNominalBits('W5A5')).toBe(5);
    expect(sliderRange([2, 3, 4, 5, 6])).toEqual({ min: 1, max: 7 });
    expect(sliderRange([4, 8])).toEqual({ min: 3, max: 9 });
  });
});

describe('allocation by unit', () => {
  it('maps widths to ids, FP locks and excluded units to null', () => {
    const allocation = allocationByUnit(['a', 'b', 'c'], [4, 32, 2], [null, { kind: 'fp', bits: 32 }, { kind: 'fixed', bits: 2 }], ['x']);
    expect(allocation).toEqual({ x: null, a: 4, b: null, c: 2 });
    expect(() => allocationByUnit(['a'], [4, 4], [])).toThrow('2 widths were given for 1 units');
  });

  it('cycles a lock free → fixed at the shown width → FP → free', () => {
    const fixed = nextLock(null, 5, [2, 3, 4, 5, 6]);
    expect(fixed).toEqual({ kind: 'fixed', bits: 5 });
    expect(nextLock(null, null, [2, 3, 4, 5, 6])).toEqual({ kind: 'fixed', bits: 4 });
    const fp = nextLock(fixed, 5, [2, 3, 4, 5, 6]);
    expect(fp).toEqual({ kind: 'fp', bits: 32 });
    expect(nextLock(fp, 32, [2, 3, 4, 5, 6])).toBeNull();
  });

  it('gives uniform references over the same units', () => {
    const { problem } = buildAllocationProblem(smallAnalysisResults(), settings(), {});
    expect(uniformReference(problem, 8)).toEqual({ sizeBits: 40_000, bops: 460_000 * 64 });
    expect(uniformReference(problem, 32)).toEqual({ sizeBits: 160_000, bops: 460_000 * 1024 });
  });

  it('sensitivityAtWidths returns the analysed columns unchanged', () => {
    const results = smallAnalysisResults();
    expect(sensitivityAtWidths(results.units[1], results, [6, 2, 4])).toEqual([1.5625e-5, 4e-3, 2.5e-4]);
  });
});

describe('custom candidate widths "4"', () => {
  it('builds a problem with a finite λ that both solvers answer with every unit at 4 bits', async () => {
    const results = smallAnalysisResults();
    const { problem } = buildAllocationProblem(results, settings({ preset: 'custom', customCandidates: '4' }), {});
    expect(problem.candidates).toEqual([4]);
    expect(problem.objective.lambda).toBe(0);
    const instant = solveInstant(problem);
    expect(instant.status).toBe('optimal');
    expect(instant.bits).toEqual([4, 4, 4, 4]);
    const glpk = (await GLPK()) as unknown as GlpkSolver;
    const exact = await solveExact(problem, glpkEngine(glpk));
    expect(exact.bits).toEqual([4, 4, 4, 4]);
  });
});
