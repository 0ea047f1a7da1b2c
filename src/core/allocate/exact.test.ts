import { beforeAll, describe, expect, it } from 'vitest';
import GLPK from 'glpk.js/node';
import loadHighs from 'highs';
import { solveExact, solveExactChain } from './exact';
import { compileChain, evaluateChoice } from './chain';
import { allocationViolations, bruteForce, scoreAllocation } from './bruteForce';
import { buildFlowModel } from './milp';
import { glpkEngine, highsEngine, type GlpkSolver, type MilpEngine, type MilpSolverName } from './milpEngines';
import { costSpread, solveLagrangian } from './lagrangian';
import { handExample } from './handExample';
import { smallProblem } from './testInstances';
import { randomProblem } from './randomInstances';

let glpk: GlpkSolver;
const engines = {} as Record<MilpSolverName, MilpEngine>;
beforeAll(async () => {
  glpk = (await GLPK()) as unknown as GlpkSolver;
  engines['glpk.js'] = glpkEngine(glpk);
  engines.HiGHS = highsEngine(await loadHighs());
});

describe.each(['HiGHS', 'glpk.js'] as const)('exact path with %s (flow MILP)', (name) => {
  // The MILP alone: the chain search (chainSearch.test.ts) would otherwise prove most of these first.
  const milpOnly = { chainSearch: false } as const;
  it('proves the hand example optimal: (4, 2, 4) with 3.0', async () => {
    const result = await solveExact(handExample(), engines[name], milpOnly);
    expect(result.status).toBe('optimal');
    expect(result.method).toBe('exact');
    expect(result.bits).toEqual([4, 2, 4]);
    expect(result.objective).toBeCloseTo(3.0, 12);
    expect(result.gap).toBe(0);
  });

  it('agrees exactly with brute force on random small problems (L ≤ 8, K ≤ 5), both objectives', async () => {
    let milpRuns = 0;
    const modes = new Set<string>();
    let infeasible = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const problem = smallProblem(seed, 8);
      const best = bruteForce(problem);
      const chain = compileChain(problem);
      const { answer, diagnostics } = await solveExactChain(chain, engines[name], milpOnly);
      if (diagnostics.milp !== null) milpRuns++;
      const result = await solveExact(problem, engines[name], milpOnly);
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
      // The certificate names who proved it: the solver when it ran, else the Lagrangian bound.
      expect(result.certificate?.by, `seed ${seed}`).toBe(diagnostics.milp ? name : 'Lagrangian bound');
    }
    expect(modes).toEqual(new Set(['paper', 'sensitivity']));
    // The MILP itself ran (not only the instant answer proven by its bound), and infeasible cases occurred.
    expect(milpRuns).toBeGreaterThan(10);
    expect(infeasible).toBeGreaterThan(10);
  });

  it('finds allocations inside narrow floor-and-ceiling windows the quick search misses, or proves there are none', async () => {
    let windows = 0;
    for (let seed = 1; seed <= 400 && windows < 15; seed++) {
      const problem = smallProblem(seed, 8);
      if (!problem.budgets.lowerBoundFraction) continue;
      windows++;
      const best = bruteForce(problem);
      const result = await solveExact(problem, engines[name], milpOnly);
      expect(result.status, `seed ${seed}`).toBe(best ? 'optimal' : 'infeasible');
      if (best) expect(result.objective as number).toBeCloseTo(best.objective, 9);
    }
    expect(windows).toBe(15);
  });

  it('at its time limit returns the best allocation known with a certified bound', async () => {
    const problem = randomProblem({
      seed: 3,
      unitCount: 300,
      candidates: [2, 3, 4, 5, 6, 7],
      mode: 'paper',
      budgets: { size: { averageBits: 4.3 }, bops: { averageBits: 4.1 } },
    });
    const result = await solveExact(problem, engines[name], { ...milpOnly, timeLimitS: 0.05 });
    expect(result.status).toBe('feasible');
    expect(allocationViolations(problem, result)).toEqual([]);
    expect(result.bound as number).toBeGreaterThan(result.objective as number);
    expect(result.gap as number).toBeGreaterThan(0);
    expect(result.certificate?.solverStatus).toMatch(name === 'HiGHS' ? /^Time limit reached$/ : /^GLP_/);
  });

  it('meets the 0.95 floors of both budgets on a 60-unit problem', async () => {
    const problem = randomProblem({
      seed: 11,
      unitCount: 60,
      candidates: [2, 3, 4, 5, 6],
      mode: 'sensitivity',
      budgets: { size: { averageBits: 4 }, bops: { averageBits: 4 }, lowerBoundFraction: 0.95 },
    });
    const result = await solveExact(problem, engines[name], { ...milpOnly, timeLimitS: 20 });
    expect(result.status).toBe('optimal');
    expect(allocationViolations(problem, result)).toEqual([]);
  });
});

describe('HiGHS against glpk.js, two independent solvers of one model', () => {
  it('reach the same optimum on random mid-size problems (L = 20–50, K = 3–6, locks, floors, weights-only)', async () => {
    let compared = 0;
    for (let seed = 1; seed <= 18; seed++) {
      const widths = [[3, 4, 5], [2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7]][seed % 3];
      const averageBits = widths[1] + 0.37 + (seed % 5) * 0.41;
      const problem = randomProblem({
        seed: 500 + seed,
        unitCount: 20 + ((seed * 13) % 31),
        candidates: widths,
        mode: seed % 2 ? 'paper' : 'sensitivity',
        budgets: { size: { averageBits }, bops: { averageBits: averageBits - 0.2 }, lowerBoundFraction: seed % 4 === 0 ? 0.95 : null },
        lockProbability: seed % 3 === 0 ? 0.15 : 0,
        activationBits: seed % 7 === 0 ? 8 : null,
      });
      const chain = compileChain(problem);
      // Without the instant answer's help (no fixing, no cutoff, no start), so the MILP does all the work.
      const plain = { fixVariables: false, cutoffRow: false, warmStart: false, intensify: false, chainSearch: false, timeLimitS: 60 };
      const highs = await solveExactChain(chain, engines.HiGHS, plain);
      const reference = await solveExactChain(chain, engines['glpk.js'], plain);
      if (!highs.diagnostics.milp) continue;
      compared++;
      expect(highs.answer.status, `seed ${seed}`).toBe('optimal');
      expect(reference.answer.status, `seed ${seed}`).toBe('optimal');
      const [a, b] = [evaluateChoice(chain, highs.answer.choice!).cost, evaluateChoice(chain, reference.answer.choice!).cost];
      expect(Math.abs(a - b), `seed ${seed}: HiGHS ${a}, glpk.js ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(a), Math.abs(b)));
      // Both allocations meet the budgets by METHOD.md's own formulas (not the chain's).
      // The default exact path (the chain search first) reaches the same optimum.
      const result = await solveExact(problem, engines.HiGHS);
      expect(allocationViolations(problem, result), `seed ${seed}`).toEqual([]);
      expect(result.objective as number).toBeCloseTo(scoreAllocation(problem, result.bits!).objective, 12);
      expect(result.objective as number).toBeCloseTo(chain.sign * b, 9);
    }
    expect(compared).toBeGreaterThanOrEqual(12);
  });

  it('read the model alike: HiGHS reports the objective of its allocation as the chain scores it', async () => {
    const problem = randomProblem({ seed: 77, unitCount: 40, candidates: [2, 3, 4, 5, 6], mode: 'sensitivity', budgets: { size: { averageBits: 4.2 }, bops: { averageBits: 4 } } });
    const chain = compileChain(problem);
    const scale = chain.unitCount / costSpread(chain);
    const model = buildFlowModel(chain, { objectiveScale: scale });
    for (const engine of [engines.HiGHS, engines['glpk.js']]) {
      const run = await engine.solve(model.lp, { timeLimitS: 30 });
      expect(run.status).toBe('optimal');
      const choice = model.decode(run.values!);
      expect(model.objectiveConstant + (run.objective as number) / scale).toBeCloseTo(evaluateChoice(chain, choice).cost, 9);
    }
  });
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
    const model = buildFlowModel(chain, { objectiveScale: scale });
    const relaxation = glpk.solve({ ...model.lp, binaries: [] }, { msglev: 0 }) as Awaited<ReturnType<GlpkSolver['solve']>>;
    const lpBound = model.objectiveConstant + relaxation.result.z / scale;
    const lagrangian = solveLagrangian(chain).bound;
    expect(Math.abs(lagrangian - lpBound) / Math.abs(lpBound), `seed ${seed}`).toBeLessThan(1e-7);
  }
});
