import { beforeAll, describe, expect, it } from 'vitest';
import GLPK from 'glpk.js/node';
import { glpkEngine, type GlpkSolver } from './milpEngines';
import { paretoProblems, paretoSweep, paretoSweepExact } from './pareto';
import { allocationViolations, bruteForce } from './bruteForce';
import { randomProblem } from './randomInstances';
import { handExample } from './handExample';

let glpk: GlpkSolver;
beforeAll(async () => {
  glpk = await GLPK();
});

const sixUnits = (mode: 'paper' | 'sensitivity') =>
  randomProblem({ seed: 5, unitCount: 6, candidates: [2, 3, 4, 5, 6], mode, budgets: { size: { averageBits: 4 }, bops: { averageBits: 4 } } });

describe('Pareto sweep', () => {
  it('spans from the narrowest reachable budget to where budgets stop binding', () => {
    // Hand example, size only: Σp = 300, reachable 600..1200 bits, so b̄ runs from 2 to 4.
    const points = paretoProblems(handExample(), { points: 5 });
    expect(points.map((p) => p.averageBits)).toEqual([expect.closeTo(2, 9), 2.5, 3, 3.5, 4]);
    expect(points[2].problem.budgets.size).toEqual({ averageBits: 3 });
    expect(points[2].problem.budgets.bops).toBeUndefined();
  });

  it('matches brute force at every point on the exact path, and the optimum only improves with budget', async () => {
    for (const mode of ['paper', 'sensitivity'] as const) {
      const problem = sixUnits(mode);
      const sweep = await paretoSweepExact(problem, glpkEngine(glpk), { points: 12 });
      const problems = paretoProblems(problem, { points: 12 });
      expect(sweep).toHaveLength(12);
      sweep.forEach((point, n) => {
        const best = bruteForce(problems[n].problem);
        expect(best, `${mode} point ${n}`).not.toBeNull();
        expect(point.status).toBe('optimal');
        expect(point.objective as number).toBeCloseTo(best?.objective as number, 9);
        if (n > 0) {
          const previous = sweep[n - 1].objective as number;
          if (mode === 'paper') expect(point.objective as number).toBeGreaterThanOrEqual(previous - 1e-12);
          else expect(point.objective as number).toBeLessThanOrEqual(previous + 1e-12);
        }
      });
    }
  });

  it('instant sweep: 20 points, each within its own budgets', () => {
    const problem = randomProblem({
      seed: 8,
      unitCount: 80,
      candidates: [4, 5, 6, 7, 8],
      mode: 'sensitivity',
      budgets: { size: { averageBits: 6 }, bops: { averageBits: 6 } },
    });
    const sweep = paretoSweep(problem);
    const problems = paretoProblems(problem);
    expect(sweep).toHaveLength(20);
    sweep.forEach((point, n) => {
      expect(['optimal', 'feasible']).toContain(point.status);
      expect(allocationViolations(problems[n].problem, point), `point ${n}`).toEqual([]);
    });
    // The last point does not bind: every unit at its best (widest) sensitivity width.
    expect(sweep[19].bits?.every((b) => b === 8)).toBe(true);
  });
});
