/** A chain read against its order, for the chain search's backward passes (chainSearch.ts). */
import type { ChainProblem } from './chain';

/** The same chain with its units in reverse order (an allocation of it read backwards is one of the original). */
export function reverseChain(chain: ChainProblem): ChainProblem {
  const { unitCount, offsets } = chain;
  const newOffsets = new Int32Array(unitCount + 1);
  const map = new Int32Array(offsets[unitCount]);
  let at = 0;
  for (let r = 0; r < unitCount; r++) {
    const i = unitCount - 1 - r;
    newOffsets[r] = at;
    for (let k = offsets[i]; k < offsets[i + 1]; k++) map[at++] = k;
  }
  newOffsets[unitCount] = at;
  const pick = (values: Float64Array) => Float64Array.from(map, (k) => values[k]);
  return {
    ...chain,
    offsets: newOffsets,
    width: pick(chain.width),
    cost: pick(chain.cost),
    size: pick(chain.size),
    bops: pick(chain.bops),
    sizeBits: pick(chain.sizeBits),
    bitOps: pick(chain.bitOps),
    pairWeight: Float64Array.from(chain.pairWeight).reverse(),
  };
}

/** Option indices of an allocation of `chain` in reverseChain(chain). */
export function reverseChoice(chain: ChainProblem, choice: ArrayLike<number>): Int32Array {
  const { unitCount, offsets } = chain;
  const reversed = new Int32Array(unitCount);
  let at = 0;
  for (let r = 0; r < unitCount; r++) {
    const i = unitCount - 1 - r;
    reversed[r] = at + (choice[i] - offsets[i]);
    at += offsets[i + 1] - offsets[i];
  }
  return reversed;
}

/** Option indices in `chain` of an allocation of reverseChain(chain). */
export function unreverseChoice(chain: ChainProblem, reversed: ArrayLike<number>): Int32Array {
  const { unitCount, offsets } = chain;
  const choice = new Int32Array(unitCount);
  let at = 0;
  for (let r = 0; r < unitCount; r++) {
    const i = unitCount - 1 - r;
    choice[i] = offsets[i] + (reversed[r] - at);
    at += offsets[i + 1] - offsets[i];
  }
  return choice;
}
