import { beforeAll, describe, expect, it } from 'vitest';
import loadHighs from 'highs';
import { compileChain, evaluateChoice } from './chain';
import { allocationViolations, bruteForce } from './bruteForce';
import { searchChain, type SearchOrder } from './chainSearch';
import { CHAIN_SEARCH_NAME, solveExact, solveExactChain } from './exact';
import { solveInstantChain } from './instant';
import { highsEngine, type MilpEngine } from './milpEngines';
import { randomProblem } from './randomInstances';
import { isProvenOptimal } from './results';
import { smallProblem } from './testInstances';
import type { AllocationProblem } from './types';

let highs: MilpEngine;
beforeAll(async () => {
  highs = highsEngine(await loadHighs());
});

/** Candidates around b̄ as bench/allocate.ts takes them (K = 5: b̄−2..b̄+2). */
const around = (averageBits: number, count: number) => Array.from({ length: count }, (_, j) => averageBits - Math.floor((count - 1) / 2) + j);

describe('chain branch and bound', () => {
  it('equals brute force on random small problems (both objectives, locks, floors, weights-only) and reports infeasible ones infeasible', async () => {
    let searched = 0;
    let infeasibleBySearch = 0;
    const modes = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) {
      const problem = smallProblem(seed, 8);
      const best = bruteForce(problem);
      const chain = compileChain(problem);
      // No MILP behind it: whatever is proven here, the chain search (or the instant bound) proved.
      const { answer, diagnostics } = await solveExactChain(chain, null);
      const result = await solveExact(problem, null);
      if (diagnostics.chainSearch) searched++;
      if (!best) {
        expect(result.status, `seed ${seed}`).toBe('infeasible');
        expect(result.bits).toBeNull();
        expect(result.infeasibleReason, `seed ${seed}`).toMatch(/^No allocation fits: /);
        if (answer.certificate?.by === CHAIN_SEARCH_NAME) infeasibleBySearch++;
        continue;
      }
      modes.add(problem.objective.mode);
      expect(result.status, `seed ${seed}`).toBe('optimal');
      expect(result.objective as number, `seed ${seed}`).toBeCloseTo(best.objective, 9);
      expect(allocationViolations(problem, result), `seed ${seed}`).toEqual([]);
      expect(result.certificate?.by, `seed ${seed}`).toBe(diagnostics.chainSearch ? CHAIN_SEARCH_NAME : 'Lagrangian bound');
      if (diagnostics.chainSearch) expect(result.gap, `seed ${seed}`).toBe(0);
      // The bound it certifies is a true bound: no allocation is better.
      expect(result.sense === 'maximize' ? (result.bound as number) >= best.objective - 1e-12 : (result.bound as number) <= best.objective + 1e-12).toBe(true);
    }
    expect(modes).toEqual(new Set(['paper', 'sensitivity']));
    expect(searched).toBeGreaterThan(30);
    // Budget windows no allocation fits, though the reachable range does not show it: the search proves it.
    expect(infeasibleBySearch).toBeGreaterThan(0);
  });

  it.each(['forward', 'backward'] as const)(
    'finds the brute-force optimum without an incumbent, growing %s (L ≤ 8)',
    (order: SearchOrder) => {
      let compared = 0;
      for (let seed = 1; seed <= 100; seed++) {
        const problem = smallProblem(seed, 8);
        const chain = compileChain(problem);
        const instant = solveInstantChain(chain);
        if (!instant.lagrangian || instant.status === 'infeasible') continue;
        const lagrangian = instant.lagrangian;
        const start = { priceSize: lagrangian.priceSize, priceBops: lagrangian.priceBops, bound: lagrangian.bound };
        const search = searchChain(chain, null, start, { orders: [order] });
        const best = bruteForce(problem);
        expect(search.proven, `seed ${seed}`).toBe(true);
        if (!best) {
          expect(search.choice, `seed ${seed}`).toBeNull();
          expect(search.bound).toBe(Infinity);
          continue;
        }
        compared++;
        const cost = evaluateChoice(chain, search.choice!).cost;
        expect(chain.sign * cost, `seed ${seed}`).toBeCloseTo(best.objective, 9);
        expect(isProvenOptimal(chain, cost, search.bound), `seed ${seed}`).toBe(true);
        expect(search.bound, `seed ${seed}`).toBeLessThanOrEqual(chain.sign * best.objective + 1e-12);
      }
      expect(compared).toBeGreaterThan(40);
    },
  );

  it('proves the brute-force optimum from the instant incumbent whatever the beam pass finds (beam of 2 labels, none)', () => {
    let improved = 0;
    let compared = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const problem = smallProblem(seed, 8);
      const chain = compileChain(problem);
      const instant = solveInstantChain(chain);
      if (!instant.lagrangian || !instant.choice || instant.status !== 'feasible') continue;
      const best = bruteForce(problem)!;
      const start = { priceSize: instant.lagrangian.priceSize, priceBops: instant.lagrangian.priceBops, bound: instant.bound };
      for (const beam of [2, 0]) {
        const search = searchChain(chain, { choice: instant.choice, cost: instant.cost }, start, { beam });
        expect(search.proven, `seed ${seed}, beam ${beam}`).toBe(true);
        const cost = evaluateChoice(chain, search.choice!).cost;
        expect(chain.sign * cost, `seed ${seed}, beam ${beam}`).toBeCloseTo(best.objective, 9);
        expect(isProvenOptimal(chain, cost, search.bound), `seed ${seed}, beam ${beam}`).toBe(true);
        if (cost < instant.cost) improved++;
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
    expect(improved).toBeGreaterThan(0);
  });

  it('is never optimal with a worse objective than brute force on mid-size problems both budgets bind (L = 11, K = 3)', async () => {
    let searched = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const averageBits = 4.2 + 0.13 * seed;
      const problem = randomProblem({
        seed: 40 + seed,
        unitCount: 11,
        candidates: [3, 4, 5, 6].slice(seed % 2, (seed % 2) + 3),
        mode: seed % 2 ? 'paper' : 'sensitivity',
        budgets: { size: { averageBits }, bops: { averageBits: averageBits - 0.15 } },
        synergyStrength: 2,
      });
      const best = bruteForce(problem)!;
      const { answer, diagnostics } = await solveExactChain(compileChain(problem), null);
      if (diagnostics.chainSearch) searched++;
      const result = await solveExact(problem, null);
      expect(result.status, `seed ${seed}`).toBe('optimal');
      expect(answer.status).toBe('optimal');
      expect(result.objective as number, `seed ${seed}`).toBeCloseTo(best.objective, 10);
    }
    expect(searched).toBeGreaterThan(2);
  });

  it('equals HiGHS\'s proven optimum at L = 200, K = 5 with both budgets binding', async () => {
    const problems: AllocationProblem[] = [];
    for (const [averageBits, seed, mode] of [[4, 1, 'paper'], [5, 2, 'sensitivity'], [6, 1, 'paper'], [4, 2, 'sensitivity']] as const) {
      problems.push(
        randomProblem({ seed: seed * 1000 + 2005, unitCount: 200, candidates: around(averageBits, 5), mode, budgets: { size: { averageBits }, bops: { averageBits } } }),
      );
    }
    for (const [n, problem] of problems.entries()) {
      const chain = compileChain(problem);
      const { answer, diagnostics } = await solveExactChain(chain, null, { timeLimitS: 30 });
      // Both budgets bind: the Lagrangian optimum prices both.
      const lagrangian = diagnostics.instant.lagrangian!;
      expect(lagrangian.priceSize, `problem ${n}`).toBeGreaterThan(0);
      expect(lagrangian.priceBops, `problem ${n}`).toBeGreaterThan(0);
      expect(answer.status, `problem ${n}`).toBe('optimal');
      expect(answer.certificate?.by).toBe(CHAIN_SEARCH_NAME);
      const reference = await solveExactChain(chain, highs, { chainSearch: false, timeLimitS: 60 });
      expect(reference.answer.status, `problem ${n}`).toBe('optimal');
      expect(reference.answer.certificate?.by).toBe('HiGHS');
      const [a, b] = [evaluateChoice(chain, answer.choice!).cost, evaluateChoice(chain, reference.answer.choice!).cost];
      expect(Math.abs(a - b), `problem ${n}: chain search ${a}, HiGHS ${b}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(a), Math.abs(b)));
    }
  }, 120_000);

  it('stopped early (label limit) is not called optimal, keeps a certified bound, and the MILP then proves the answer', async () => {
    const problem = randomProblem({ seed: 2005 + 1000, unitCount: 200, candidates: around(4, 5), mode: 'sensitivity', budgets: { size: { averageBits: 4 }, bops: { averageBits: 4 } } });
    const chain = compileChain(problem);
    const instant = solveInstantChain(chain);
    const lagrangian = instant.lagrangian!;
    const search = searchChain(chain, { choice: instant.choice!, cost: instant.cost }, { ...lagrangian, bound: lagrangian.bound }, { maxLayerLabels: 20 });
    expect(search.proven).toBe(false);
    expect(search.stopped).toBe('label limit');
    expect(search.bound).toBeGreaterThanOrEqual(lagrangian.bound);
    const alone = await solveExact(problem, null, { chainSearchLimitS: 0 });
    expect(alone.status).toBe('feasible');
    const withMilp = await solveExactChain(chain, highs, { chainSearchLimitS: 0, timeLimitS: 60 });
    expect(withMilp.diagnostics.chainSearch?.proven).toBe(false);
    expect(withMilp.answer.status).toBe('optimal');
    expect(withMilp.answer.certificate?.by).toBe('HiGHS');
    expect(search.bound).toBeLessThanOrEqual(evaluateChoice(chain, withMilp.answer.choice!).cost + 1e-12);
  }, 60_000);
});
