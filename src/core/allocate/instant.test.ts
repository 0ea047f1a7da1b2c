import { describe, expect, it } from 'vitest';
import { solveInstant } from './instant';
import { allocationViolations, enumerateAllocations } from './bruteForce';
import { handExample } from './handExample';
import { smallProblem } from './testInstances';

describe('instant path on the hand example', () => {
  it('paper mode: size ≤ 900 bits allows (4, 2, ·); 0.5·4 + 0.3·2 + 0.25·4 − 0.1·(1·2 + 2·2) = 3.0', () => {
    const result = solveInstant(handExample());
    expect(result.bits).toEqual([4, 2, 4]);
    expect(result.objective).toBeCloseTo(3.0, 12);
    // The relaxation can fill the 100 unused bits fractionally, so the bound sits above 3.0: proven by the exact path.
    expect(result.status).toBe('feasible');
    expect(result.bound).toBeGreaterThan(3.0);
    expect(result.sense).toBe('maximize');
    expect(result.sizeBits).toBe(800);
    expect(result.bops).toBe(720);
  });

  it('paper mode with BOPs ≤ 60·3² = 540: (4, 2, 4) costs 720 BOPs, so (4, 2, 2) with 2.9', () => {
    const result = solveInstant(handExample({ budgets: { size: { averageBits: 3 }, bops: { averageBits: 3 } } }));
    expect(result.bits).toEqual([4, 2, 2]);
    expect(result.objective).toBeCloseTo(2.9, 12);
    expect(result.bops).toBe(360);
  });

  it('sensitivity mode: minimizes Σσ + λΣŜ|Δb|; (4, 2, 2) costs 0.1 + 0.2 + 0.3 + 0.1·1·2 = 0.8', () => {
    const result = solveInstant(
      handExample({
        objective: {
          mode: 'sensitivity',
          sensitivity: { widths: [2, 4], lossByUnit: [[0.4, 0.1], [0.2, 0.05], [0.3, 0.02]] },
          synergy: [1, 2],
          lambda: 0.1,
        },
      }),
    );
    expect(result.bits).toEqual([4, 2, 2]);
    expect(result.objective).toBeCloseTo(0.8, 12);
    expect(result.sense).toBe('minimize');
  });

  it('a full-precision lock counts 16 bits in size but leaves the objective and its synergy pair', () => {
    // 100·16 = 1600 bits alone exceed 900: infeasible, and the message gives the smallest reachable size.
    const tight = solveInstant(handExample({ locks: [{ kind: 'fp', bits: 16 }] }));
    expect(tight.status).toBe('infeasible');
    expect(tight.bits).toBeNull();
    expect(tight.reach.minSizeBits).toBe(2000);
    expect(tight.infeasibleReason).toContain('smallest reachable size, 0.00025 MB');
    // With 3000 bits: 1600 + 200·b ≤ 3000 allows b = 4; objective 0.3·4 + 0.25·4 − 0.1·2·0 = 2.2.
    const loose = solveInstant(handExample({ locks: [{ kind: 'fp', bits: 16 }], budgets: { size: { megabytes: 0.000375 } } }));
    expect(loose.bits).toEqual([16, 4, 4]);
    expect(loose.objective).toBeCloseTo(2.2, 12);
  });
});

describe('instant path edge cases', () => {
  it('without budgets the priced chain is the problem itself: optimal at once', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const problem = { ...smallProblem(seed), budgets: {} };
      const result = solveInstant(problem);
      expect(result.status).toBe('optimal');
      expect(result.objective as number).toBeCloseTo(enumerateAllocations(problem).best?.objective as number, 12);
    }
  });

  it('every unit locked: the locks are the answer', () => {
    const result = solveInstant(handExample({ locks: [{ kind: 'fixed', bits: 4 }, { kind: 'fixed', bits: 2 }, { kind: 'fixed', bits: 4 }] }));
    expect(result.status).toBe('optimal');
    expect(result.bits).toEqual([4, 2, 4]);
    expect(result.gap).toBe(0);
  });
});

describe('instant path, randomized against brute force', () => {
  it('never breaks a budget or a lock, and the optimum always lies within its certified gap', () => {
    let optimal = 0;
    let solved = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const problem = smallProblem(seed);
      const { best, reach } = enumerateAllocations(problem);
      const result = solveInstant(problem);
      for (const key of ['minSizeBits', 'maxSizeBits', 'minBops', 'maxBops'] as const) {
        expect(Math.abs(result.reach[key] - reach[key]), `seed ${seed} ${key}`).toBeLessThanOrEqual(1e-12 * reach[key]);
      }
      if (!best) {
        expect(result.bits, `seed ${seed}`).toBeNull();
        expect(['infeasible', 'unknown'], `seed ${seed}`).toContain(result.status);
        continue;
      }
      solved++;
      if (result.status === 'unknown') {
        // Only budget floors can hide a feasible allocation from the quick search; the exact path finds it.
        expect(problem.budgets.lowerBoundFraction, `seed ${seed}`).not.toBeNull();
        continue;
      }
      expect(result.status, `seed ${seed}`).not.toBe('infeasible');
      expect(allocationViolations(problem, result), `seed ${seed}`).toEqual([]);
      const objective = result.objective as number;
      const bound = result.bound as number;
      const tolerance = 1e-9 * Math.max(1, Math.abs(best.objective));
      const maximize = problem.objective.mode === 'paper';
      // objective ≤ optimum ≤ bound when maximizing; reversed when minimizing.
      if (maximize) {
        expect(objective, `seed ${seed}`).toBeLessThanOrEqual(best.objective + tolerance);
        expect(bound, `seed ${seed}`).toBeGreaterThanOrEqual(best.objective - tolerance);
      } else {
        expect(objective, `seed ${seed}`).toBeGreaterThanOrEqual(best.objective - tolerance);
        expect(bound, `seed ${seed}`).toBeLessThanOrEqual(best.objective + tolerance);
      }
      if (result.status === 'optimal') expect(objective, `seed ${seed}`).toBeCloseTo(best.objective, 9);
      if (Math.abs(objective - best.objective) <= tolerance) optimal++;
    }
    expect(solved).toBeGreaterThan(200);
    // Tiny chains have the loosest relaxations; still most answers are already optimal.
    expect(optimal / solved).toBeGreaterThan(0.95);
  });
});
