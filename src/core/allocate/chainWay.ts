/** One direction of the chain search (chainSearch.ts): the chain in that order and the bounds its passes use. */
import type { ChainProblem } from './chain';
import { costSpread } from './lagrangian';
import { ViterbiWorkspace } from './viterbi';

/** Along the chain (from its first unit) or against it (from its last). */
export type SearchOrder = 'forward' | 'backward';

/** What the search takes from the Lagrangian optimum. */
export interface LagrangianStart {
  priceSize: number;
  priceBops: number;
  /** The certified lower bound there. */
  bound: number;
}

/** One direction: the chain in that order and what its passes need. */
export interface Way {
  order: SearchOrder;
  chain: ChainProblem;
  /** The bound's parts per multiplier pair m: μs, μo, −μs·Bs − μo·Bo, and back[m·options + k]. */
  priceSize: Float64Array;
  priceBops: Float64Array;
  constant: Float64Array;
  back: Float64Array;
  /** Rounding margin taken off every bound. */
  margin: number;
  /** Narrowest and widest use of each budget by units i..L−1. */
  restMinSize: Float64Array;
  restMaxSize: Float64Array;
  restMinBops: Float64Array;
  restMaxBops: Float64Array;
  lastLabels: number;
  stopped: boolean;
}

/** Scalings of the Lagrangian optimum's multipliers that make up the grid of bounds (a tight grid measured best: fewer bounds per label, and most labels that survive the optimum's own bound fall to a neighbour). */
const SCALES = [1, 0.97, 1.03, 0.9, 1.1, 0];

function priceGrid(chain: ChainProblem, priceSize: number, priceBops: number): { size: number[]; bops: number[] } {
  const spread = costSpread(chain) || 1;
  const sideValues = (price: number, use: Float64Array, high: number, low: number) => {
    if (price !== 0) return SCALES.map((s) => s * price);
    // The optimum leaves this budget unpriced; a few prices on the sides that exist still help deep labels.
    const values = [0];
    let total = 0;
    for (let i = 0; i < chain.unitCount; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
        lo = Math.min(lo, use[k]);
        hi = Math.max(hi, use[k]);
      }
      total += hi - lo;
    }
    const step = spread / (total || 1) / 16;
    for (const s of [1, 4, 16]) {
      if (Number.isFinite(high)) values.push(s * step);
      if (Number.isFinite(low)) values.push(-s * step);
    }
    return values;
  };
  return {
    size: sideValues(priceSize, chain.size, chain.limits.sizeHigh, chain.limits.sizeLow),
    bops: sideValues(priceBops, chain.bops, chain.limits.bopsHigh, chain.limits.bopsLow),
  };
}

export function prepareWay(chain: ChainProblem, start: LagrangianStart, workspace: ViterbiWorkspace | null, order: SearchOrder): Way {
  const { limits, offsets, unitCount } = chain;
  const solver = workspace ?? new ViterbiWorkspace(chain);
  const grid = priceGrid(chain, start.priceSize, start.priceBops);
  const pairs: [number, number][] = [[start.priceSize, start.priceBops]];
  for (const a of grid.size) for (const b of grid.bops) if (a !== start.priceSize || b !== start.priceBops) pairs.push([a, b]);
  const optionCount = offsets[unitCount];
  const priceSize = new Float64Array(pairs.length);
  const priceBops = new Float64Array(pairs.length);
  const constant = new Float64Array(pairs.length);
  const back = new Float64Array(pairs.length * optionCount);
  let magnitude = 0;
  pairs.forEach(([a, b], m) => {
    const sizeSide = a > 0 ? limits.sizeHigh : a < 0 ? limits.sizeLow : 0;
    const bopsSide = b > 0 ? limits.bopsHigh : b < 0 ? limits.bopsLow : 0;
    priceSize[m] = a;
    priceBops[m] = b;
    constant[m] = -a * sizeSide - b * bopsSide;
    back.set(solver.backwardMinima(a, b), m * optionCount);
    magnitude = Math.max(magnitude, 2 * Math.abs(constant[m]));
  });
  // The multiplier terms are large against the costs: a margin keeps the bound safe from rounding.
  const margin = 1e-13 * (magnitude + (costSpread(chain) || 1)) * Math.max(1, Math.sqrt(unitCount));
  const make = () => new Float64Array(unitCount + 1);
  const way: Way = {
    order,
    chain,
    priceSize,
    priceBops,
    constant,
    back,
    margin,
    restMinSize: make(),
    restMaxSize: make(),
    restMinBops: make(),
    restMaxBops: make(),
    lastLabels: 0,
    stopped: false,
  };
  for (let i = unitCount - 1; i >= 0; i--) {
    let minS = Infinity;
    let maxS = -Infinity;
    let minO = Infinity;
    let maxO = -Infinity;
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      minS = Math.min(minS, chain.size[k]);
      maxS = Math.max(maxS, chain.size[k]);
      minO = Math.min(minO, chain.bops[k]);
      maxO = Math.max(maxO, chain.bops[k]);
    }
    way.restMinSize[i] = way.restMinSize[i + 1] + minS;
    way.restMaxSize[i] = way.restMaxSize[i + 1] + maxS;
    way.restMinBops[i] = way.restMinBops[i + 1] + minO;
    way.restMaxBops[i] = way.restMaxBops[i + 1] + maxO;
  }
  return way;
}
