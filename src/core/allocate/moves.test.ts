import { describe, expect, it } from 'vitest';
import { compileChain, evaluateChoice, meetsBudgets, type ChainProblem } from './chain';
import { applyMove, combinedDeltaCost, segmentMoves, singleMoves, SingleMoveTable, type Move } from './moves';
import { improve, repair } from './localSearch';
import { explainUnreachableBudgets } from './budgets';
import { randomProblem, seededRandom } from './randomInstances';

function randomChoice(chain: ChainProblem, seed: number, runs: boolean): Int32Array {
  const random = seededRandom(seed);
  const choice = new Int32Array(chain.unitCount);
  for (let i = 0; i < chain.unitCount; i++) {
    const count = chain.offsets[i + 1] - chain.offsets[i];
    // With `runs`, copy the previous width most of the time so that uniform runs exist.
    const previous = i > 0 ? chain.width[choice[i - 1]] : -1;
    let k = chain.offsets[i] + Math.floor(random() * count);
    if (runs && random() < 0.7) {
      for (let j = chain.offsets[i]; j < chain.offsets[i + 1]; j++) if (chain.width[j] === previous) k = j;
    }
    choice[i] = k;
  }
  return choice;
}

const chainFor = (seed: number) =>
  compileChain(
    randomProblem({
      seed,
      unitCount: 25,
      candidates: [2, 3, 4, 5, 6],
      mode: seed % 2 ? 'paper' : 'sensitivity',
      budgets: { size: { averageBits: 4.5 }, bops: { averageBits: 5 } },
      lockProbability: 0.1,
    }),
  );

/** What a move really changes, measured by evaluating the allocation before and after. */
function measured(chain: ChainProblem, choice: Int32Array, moves: Move[]) {
  const before = evaluateChoice(chain, choice);
  const after = Int32Array.from(choice);
  for (const move of moves) applyMove(chain, after, move);
  const result = evaluateChoice(chain, after);
  return { cost: result.cost - before.cost, size: result.size - before.size, bops: result.bops - before.bops };
}

describe('local-search moves', () => {
  it('single and segment moves report the change that evaluating the allocation measures', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const chain = chainFor(seed);
      const choice = randomChoice(chain, seed, true);
      const moves = [...singleMoves(chain, choice), ...segmentMoves(chain, choice, [2, 3, 4, 5, 6])];
      expect(moves.some((m) => m.end > m.start)).toBe(true);
      for (const move of moves) {
        const truth = measured(chain, choice, [move]);
        expect(move.deltaCost).toBeCloseTo(truth.cost, 12);
        expect(move.deltaSize).toBeCloseTo(truth.size, 12);
        expect(move.deltaBops).toBeCloseTo(truth.bops, 12);
      }
    }
  });

  it('combines two moves, correcting the shared pair term of neighbouring units', () => {
    const chain = chainFor(3);
    const choice = randomChoice(chain, 3, false);
    const moves = singleMoves(chain, choice);
    let neighbours = 0;
    for (const first of moves) {
      for (const second of moves) {
        if (first.start === second.start) continue;
        const combined = combinedDeltaCost(chain, choice, first, second);
        if (combined === null) continue;
        if (Math.abs(first.start - second.start) === 1) neighbours++;
        expect(combined).toBeCloseTo(measured(chain, choice, [first, second]).cost, 12);
      }
    }
    expect(neighbours).toBeGreaterThan(100);
  });

  it('keeps its table of single-unit deltas current as units change', () => {
    const chain = chainFor(4);
    const random = seededRandom(4);
    const table = new SingleMoveTable(chain, randomChoice(chain, 4, false));
    for (let step = 0; step < 50; step++) {
      const i = Math.floor(random() * chain.unitCount);
      const count = chain.offsets[i + 1] - chain.offsets[i];
      table.set(i, chain.offsets[i] + Math.floor(random() * count));
    }
    const fresh = new SingleMoveTable(chain, Int32Array.from(table.choice));
    expect(Array.from(table.delta)).toEqual(Array.from(fresh.delta));
  });

  it('repair reaches the budgets and improve only lowers the cost without leaving them', () => {
    let checked = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const chain = chainFor(seed);
      // Full-precision locks can make the budgets unreachable; repair has nothing to find there.
      if (explainUnreachableBudgets(chain)) continue;
      checked++;
      const start = randomChoice(chain, seed + 100, true);
      const repaired = repair(chain, start);
      expect(repaired, `seed ${seed}`).not.toBeNull();
      const before = evaluateChoice(chain, repaired as Int32Array);
      expect(meetsBudgets(chain, before.size, before.bops)).toBe(true);
      const improved = improve(chain, repaired as Int32Array);
      const after = evaluateChoice(chain, improved);
      expect(meetsBudgets(chain, after.size, after.bops)).toBe(true);
      expect(after.cost).toBeLessThanOrEqual(before.cost);
      // Locked units never move.
      for (let i = 0; i < chain.unitCount; i++) {
        if (chain.offsets[i + 1] - chain.offsets[i] === 1) expect(improved[i]).toBe(chain.offsets[i]);
      }
    }
    expect(checked).toBeGreaterThan(15);
  });
});
