/**
 * Exact minimization over the chain once both budgets are priced into the cost (the Lagrangian subproblem):
 * minimize Σ_i [cost_i + μ_size·size_i + μ_bops·bops_i](b_i) + Σ_i pairWeight_i·|b_i − b_{i+1}|.
 * Dynamic programming over consecutive units (Viterbi), O(Σ_i K_i·K_{i+1}).
 */
import type { ChainProblem } from './chain';

export interface PricedSolution {
  /** Option index per unit. */
  choice: Int32Array;
  /** Unpriced cost, normalized size and normalized BOPs of `choice`. */
  cost: number;
  size: number;
  bops: number;
  /** cost + μ_size·size + μ_bops·bops: the minimum of the priced problem. */
  priced: number;
}

/** Scratch arrays reused across the many priced solves of one Lagrangian search. */
export class ViterbiWorkspace {
  readonly node: Float64Array;
  readonly forward: Float64Array;
  readonly backward: Float64Array;
  readonly backPointer: Int32Array;

  constructor(readonly chain: ChainProblem) {
    const optionCount = chain.offsets[chain.unitCount];
    this.node = new Float64Array(optionCount);
    this.forward = new Float64Array(optionCount);
    this.backward = new Float64Array(optionCount);
    this.backPointer = new Int32Array(optionCount);
  }

  private priceNodes(priceSize: number, priceBops: number): void {
    const { cost, size, bops } = this.chain;
    const node = this.node;
    for (let k = 0; k < node.length; k++) node[k] = cost[k] + priceSize * size[k] + priceBops * bops[k];
  }

  /** The priced problem's minimizer (ties go to the earliest option, so results are deterministic). */
  solve(priceSize: number, priceBops: number): PricedSolution {
    const chain = this.chain;
    const { offsets, width, pairWeight } = chain;
    this.priceNodes(priceSize, priceBops);
    const { node, forward, backPointer } = this;
    const unitCount = chain.unitCount;
    for (let k = offsets[0]; k < offsets[1]; k++) forward[k] = node[k];
    for (let i = 1; i < unitCount; i++) {
      const weight = pairWeight[i - 1];
      const prevStart = offsets[i - 1];
      const prevEnd = offsets[i];
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        const w = width[k];
        let best = Infinity;
        let arg = prevStart;
        for (let j = prevStart; j < prevEnd; j++) {
          const value = forward[j] + weight * Math.abs(width[j] - w);
          if (value < best) {
            best = value;
            arg = j;
          }
        }
        forward[k] = best + node[k];
        backPointer[k] = arg;
      }
    }
    const choice = new Int32Array(unitCount);
    let best = Infinity;
    let arg = offsets[unitCount - 1];
    for (let k = offsets[unitCount - 1]; k < offsets[unitCount]; k++) {
      if (forward[k] < best) {
        best = forward[k];
        arg = k;
      }
    }
    for (let i = unitCount - 1; i >= 0; i--) {
      choice[i] = arg;
      if (i > 0) arg = backPointer[arg];
    }
    let cost = 0;
    let size = 0;
    let bops = 0;
    for (let i = 0; i < unitCount; i++) {
      const k = choice[i];
      cost += chain.cost[k];
      size += chain.size[k];
      bops += chain.bops[k];
      if (i > 0) cost += pairWeight[i - 1] * Math.abs(width[k] - width[choice[i - 1]]);
    }
    return { choice, cost, size, bops, priced: best };
  }

  /**
   * Min-marginals of the priced problem: result[k] = min over allocations that use option k of the priced
   * objective; pairMinimum(i, j, k) gives the same for a pair of consecutive options. Used to fix variables.
   */
  minMarginals(priceSize: number, priceBops: number): Float64Array {
    const chain = this.chain;
    const { offsets, width, pairWeight } = chain;
    this.priceNodes(priceSize, priceBops);
    const { node, forward, backward } = this;
    const unitCount = chain.unitCount;
    for (let k = offsets[0]; k < offsets[1]; k++) forward[k] = node[k];
    for (let i = 1; i < unitCount; i++) {
      const weight = pairWeight[i - 1];
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        let best = Infinity;
        for (let j = offsets[i - 1]; j < offsets[i]; j++) best = Math.min(best, forward[j] + weight * Math.abs(width[j] - width[k]));
        forward[k] = best + node[k];
      }
    }
    for (let k = offsets[unitCount - 1]; k < offsets[unitCount]; k++) backward[k] = 0;
    for (let i = unitCount - 2; i >= 0; i--) {
      const weight = pairWeight[i];
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        let best = Infinity;
        for (let j = offsets[i + 1]; j < offsets[i + 2]; j++) {
          best = Math.min(best, weight * Math.abs(width[k] - width[j]) + node[j] + backward[j]);
        }
        backward[k] = best;
      }
    }
    const marginals = new Float64Array(forward.length);
    for (let k = 0; k < marginals.length; k++) marginals[k] = forward[k] + backward[k];
    return marginals;
  }

  /**
   * backward[k] after pricing: the priced minimum over the units after option k's unit, given option k (pair
   * terms included, option k's own term not). A fresh array.
   */
  backwardMinima(priceSize: number, priceBops: number): Float64Array {
    const chain = this.chain;
    const { offsets, width, pairWeight } = chain;
    this.priceNodes(priceSize, priceBops);
    const { node } = this;
    const backward = new Float64Array(node.length);
    for (let i = chain.unitCount - 2; i >= 0; i--) {
      const weight = pairWeight[i];
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        let best = Infinity;
        for (let j = offsets[i + 1]; j < offsets[i + 2]; j++) {
          const value = weight * Math.abs(width[k] - width[j]) + node[j] + backward[j];
          if (value < best) best = value;
        }
        backward[k] = best;
      }
    }
    return backward;
  }

  /** forward[k]: the same as backwardMinima for the units before option k's unit. A fresh array. */
  forwardMinima(priceSize: number, priceBops: number): Float64Array {
    const chain = this.chain;
    const { offsets, width, pairWeight } = chain;
    this.priceNodes(priceSize, priceBops);
    const { node } = this;
    const forward = new Float64Array(node.length);
    for (let i = 1; i < chain.unitCount; i++) {
      const weight = pairWeight[i - 1];
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        let best = Infinity;
        for (let j = offsets[i - 1]; j < offsets[i]; j++) {
          const value = forward[j] + node[j] + weight * Math.abs(width[j] - width[k]);
          if (value < best) best = value;
        }
        forward[k] = best;
      }
    }
    return forward;
  }

  /** After minMarginals: the priced minimum over allocations using option j of unit i and option k of unit i+1. */
  pairMinimum(i: number, j: number, k: number): number {
    const { width, pairWeight } = this.chain;
    return this.forward[j] + pairWeight[i] * Math.abs(width[j] - width[k]) + this.node[k] + this.backward[k];
  }
}
