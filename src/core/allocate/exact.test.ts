import { beforeAll, describe, expect, it } from 'vitest';
import GLPK from 'glpk.js/node';
import { solveExact, solveExactChain, type GlpkSolver } from './exact';
import { compileChain } from './chain';
import { allocationViolations, bruteForce } from './bruteForce';
import { buildFlowModel } from './milp';
import { costSpread, solveLagrangian } from './lagrangian';
import { handExample } from './handExample';
import { smallProblem } from './testInstances';
import { randomProblem } from './randomInstances';

let glpk: GlpkSolver;
beforeAll(async () => {
  glpk = await GLPK();
});

describe('exact path (glpk.js flow MILP)', () => {
  it('proves the hand example optimal: (4, 2, 4) with 3.0', async () => {
    const result = await solveExact(handExample(), glpk);
    expect(result.status).toBe('optimal');
    expect(result.method).toBe('exact');
    expect(result.bits).toEqual([4, 2, 4]);
    expect(result.objective).toBeCloseTo(3.0, 12);
    expect(result.gap).toBe(0);
  });

  it('agrees exactly with brute force on random small problems (L ≤ 8, K ≤ 5), both objectives', async () => {
    let glpkRuns = 0;
    const modes = new Set<string>();
    let infeasible = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const problem = smallProblem(seed, 8);
      const best = bruteForce(problem);
      const chain = compileChain(problem);
      const { answer, diagnostics } = await solveExactChain(chain, glpk);
      if (diagnostics.glpkStatus !== null) glpkRuns++;
      const result = await solveExact(problem, glpk);
      if (!best) {
        infeasible++;
        expect(answer.status, `seed ${seed}`).toBe('infeasible');
        expect(result.bits).toBeNull();
        expect(result.infeasibleReason, `seed ${seed}`).toMatch(/^No allocation fits: /);
        continue;
      }
      modes.add(problem.objective.mode);
      expect(result.status, `seed ${seed}`).toBe('optimal');
      expect(result.objective as number, `seed ${seed}`).toBeCloseTo(best.objective, 9);
      expect(allocationViolations(problem, result), `seed ${seed}`).toEqual([]);
    }
    expect(modes).toEqual(new Set(['paper', 'sensitivity']));
    // The MILP itself ran (not only the instant answer proven by its bound), and infeasible cases occurred.
    expect(glpkRuns).toBeGreaterThan(10);
    expect(infeasible).toBeGreaterThan(10);
  });

  it('finds allocations inside narrow floor-and-ceiling windows the quick search misses, or proves there are none', async () => {
    let windows = 0;
    for (let seed = 1; seed <= 400 && windows < 15; seed++) {
      const problem = smallProblem(seed, 8);
      if (!problem.budgets.lowerBoundFraction) continue;
      windows++;
      const best = bruteForce(problem);
      const result = await solveExact(problem, glpk);
      expect(result.status, `seed ${seed}`).toBe(best ? 'optimal' : 'infeasible');
      if (best) expect(result.objective as number).toBeCloseTo(best.objective, 9);
    }
    expect(windows).toBe(15);
  });

  it('has an LP relaxation whose bound equals the Lagrangian bound (the flow form is tight)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const problem = randomProblem({
        seed,
        unitCount: 30,
        candidates: [2, 3, 4, 5, 6],
        mode: seed % 2 ? 'paper' : 'sensitivity',
        budgets: { size: { averageBits: 4 }, bops: { averageBits: 4.2 } },
      });
      const chain = compileChain(problem);
      const scale = chain.unitCount / costSpread(chain);
      const model = buildFlowModel(chain, glpk, { objectiveScale: scale });
      const relaxation = glpk.solve({ ...model.lp, binaries: [] }, { msglev: 0 }) as Awaited<ReturnType<GlpkSolver['solve']>>;
      const lpBound = model.objectiveConstant + relaxation.result.z / scale;
      const lagrangian = solveLagrangian(chain).bound;
      expect(Math.abs(lagrangian - lpBound) / Math.abs(lpBound), `seed ${seed}`).toBeLessThan(1e-7);
    }
  });

  it('at its time limit returns the best allocation known with the Lagrangian bound as certificate', async () => {
    const problem = randomProblem({
      seed: 3,
      unitCount: 300,
      candidates: [2, 3, 4, 5, 6, 7],
      mode: 'paper',
      budgets: { size: { averageBits: 4.3 }, bops: { averageBits: 4.1 } },
    });
    const result = await solveExact(problem, glpk, { timeLimitS: 0.05 });
    expect(result.status).toBe('feasible');
    expect(allocationViolations(problem, result)).toEqual([]);
    expect(result.bound as number).toBeGreaterThan(result.objective as number);
    expect(result.gap as number).toBeGreaterThan(0);
  });

  it('meets the 0.95 floors of both budgets on a 60-unit problem', async () => {
    const problem = randomProblem({
      seed: 11,
      unitCount: 60,
      candidates: [2, 3, 4, 5, 6],
      mode: 'sensitivity',
      budgets: { size: { averageBits: 4 }, bops: { averageBits: 4 }, lowerBoundFraction: 0.95 },
    });
    const result = await solveExact(problem, glpk, { timeLimitS: 20 });
    expect(result.status).toBe('optimal');
    expect(allocationViolations(problem, result)).toEqual([]);
  });
});
