import { describe, expect, it } from 'vitest';
import { compileChain, evaluateChoice, type ChainProblem } from './chain';
import { ViterbiWorkspace } from './viterbi';
import { smallProblem } from './testInstances';
import { seededRandom } from './randomInstances';

/** Every allocation of the chain as option indices. */
function* allChoices(chain: ChainProblem): Generator<Int32Array> {
  const choice = new Int32Array(chain.unitCount);
  for (let i = 0; i < chain.unitCount; i++) choice[i] = chain.offsets[i];
  for (;;) {
    yield choice;
    let i = 0;
    while (i < chain.unitCount && ++choice[i] === chain.offsets[i + 1]) choice[i] = chain.offsets[i++];
    if (i === chain.unitCount) return;
  }
}

const priced = (chain: ChainProblem, choice: Int32Array, priceSize: number, priceBops: number) => {
  const { cost, size, bops } = evaluateChoice(chain, choice);
  return cost + priceSize * size + priceBops * bops;
};

describe('Viterbi over the priced chain', () => {
  it('finds the same minimum as enumerating every allocation', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const chain = compileChain(smallProblem(seed, 6));
      const random = seededRandom(seed);
      const priceSize = random() < 0.3 ? 0 : random() * 0.05;
      const priceBops = random() < 0.3 ? 0 : random() * 0.005;
      let best = Infinity;
      for (const choice of allChoices(chain)) best = Math.min(best, priced(chain, choice, priceSize, priceBops));
      const solution = new ViterbiWorkspace(chain).solve(priceSize, priceBops);
      expect(solution.priced).toBeCloseTo(best, 12);
      // The reported parts belong to the returned allocation.
      const parts = evaluateChoice(chain, solution.choice);
      expect(solution.cost).toBeCloseTo(parts.cost, 12);
      expect(priced(chain, solution.choice, priceSize, priceBops)).toBeCloseTo(best, 12);
    }
  });

  it('gives min-marginals equal to the best allocation through each option and each consecutive pair', () => {
    for (let seed = 100; seed <= 130; seed++) {
      const chain = compileChain(smallProblem(seed, 5));
      const workspace = new ViterbiWorkspace(chain);
      const marginals = workspace.minMarginals(0.01, 0.001);
      const bestThrough = new Float64Array(marginals.length).fill(Infinity);
      const bestPair = new Map<string, number>();
      for (const choice of allChoices(chain)) {
        const value = priced(chain, choice, 0.01, 0.001);
        for (let i = 0; i < chain.unitCount; i++) {
          bestThrough[choice[i]] = Math.min(bestThrough[choice[i]], value);
          if (i + 1 < chain.unitCount) {
            const key = `${i}:${choice[i]}:${choice[i + 1]}`;
            bestPair.set(key, Math.min(bestPair.get(key) ?? Infinity, value));
          }
        }
      }
      for (let k = 0; k < marginals.length; k++) expect(marginals[k]).toBeCloseTo(bestThrough[k], 12);
      for (const [key, value] of bestPair) {
        const [i, j, k] = key.split(':').map(Number);
        expect(workspace.pairMinimum(i, j, k)).toBeCloseTo(value, 12);
      }
    }
  });
});
