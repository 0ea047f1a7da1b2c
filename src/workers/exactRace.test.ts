import { beforeAll, describe, expect, it } from 'vitest';
import GLPK from 'glpk.js/node';
import loadHighs from 'highs';
import { glpkEngine, highsEngine, solveExact, type GlpkSolver, type MilpEngine, type MilpSolverName } from '../core/allocate';
import { randomProblem } from '../core/allocate/randomInstances';
import { CancelledError, isCancelledError } from '../core/progress';
import { laneOptions, raceExact } from './exactRace';

let engines: Record<MilpSolverName, MilpEngine>;
beforeAll(async () => {
  engines = { HiGHS: highsEngine(await loadHighs()), 'glpk.js': glpkEngine((await GLPK()) as unknown as GlpkSolver) };
});

const problem = randomProblem({
  seed: 5,
  unitCount: 60,
  candidates: [2, 3, 4, 5, 6],
  mode: 'sensitivity',
  budgets: { size: { averageBits: 4 }, bops: { averageBits: 4 } },
});

// Hard enough that neither MILP proves an optimum within the no-proof test's 20 ms, even on an idle machine:
// budgets between the candidate widths (at 60 units and budgets on a width, HiGHS sometimes proved it).
const hardProblem = randomProblem({
  seed: 5,
  unitCount: 400,
  candidates: [2, 3, 4, 5, 6, 7],
  mode: 'sensitivity',
  budgets: { size: { averageBits: 4.3 }, bops: { averageBits: 4.7 } },
});

describe('exact race (HiGHS and glpk.js on the same problem)', () => {
  it('takes the proof over an unproven answer, names its solver, and stops the other one', async () => {
    for (const [prover, limited] of [['HiGHS', 'glpk.js'], ['glpk.js', 'HiGHS']] as const) {
      const stopped: MilpSolverName[] = [];
      const result = await raceExact(
        (solver) => solveExact(problem, engines[solver], { chainSearch: false, timeLimitS: solver === limited ? 0.02 : 60 }),
        (solver) => stopped.push(solver),
      );
      expect(result.status).toBe('optimal');
      expect(result.certificate).toMatchObject({ by: prover, solver: prover });
      expect(stopped).toEqual([limited]);
    }
  });

  it('with no proof, keeps the better allocation', async () => {
    const answers = new Map<MilpSolverName, Awaited<ReturnType<typeof solveExact>>>();
    const result = await raceExact(
      async (solver) => {
        const answer = await solveExact(hardProblem, engines[solver], { chainSearch: false, timeLimitS: 0.02 });
        answers.set(solver, answer);
        return answer;
      },
      () => {},
    );
    expect(result.status).toBe('feasible');
    const best = Math.min(...[...answers.values()].map((a) => a.objective as number));
    expect(result.objective).toBe(best);
  });

  it('answers when one solver fails, and rejects as cancelled when the race was superseded', async () => {
    const failed = await raceExact(
      (solver) => (solver === 'HiGHS' ? Promise.reject(new Error('The HiGHS runtime could not load.')) : solveExact(problem, engines[solver], laneOptions(solver))),
      () => {},
    );
    expect(failed.certificate?.by).toBe('glpk.js');
    const superseded = raceExact(() => Promise.reject(new CancelledError()), () => {});
    await expect(superseded).rejects.toSatisfy(isCancelledError);
  });

  it('with the studio\'s lanes, the chain search in the HiGHS lane proves the optimum the glpk.js lane\'s MILP reaches', async () => {
    const stopped: MilpSolverName[] = [];
    const result = await raceExact(
      (solver) => solveExact(problem, engines[solver], laneOptions(solver)),
      (solver) => stopped.push(solver),
    );
    expect(result.status).toBe('optimal');
    const independent = await solveExact(problem, engines['glpk.js'], laneOptions('glpk.js'));
    expect(independent.certificate?.by).toBe('glpk.js');
    expect(result.objective as number).toBeCloseTo(independent.objective as number, 12);
    if (result.certificate?.by === 'chain branch and bound') expect(stopped).toEqual(['glpk.js']);
  });
});
