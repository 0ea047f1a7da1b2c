/**
 * An exact solver made for the chain (ENVIRONMENT.md, "Integer programming"): a breadth-first branch and bound
 * along the units, one layer of partial allocations ("labels": cost, size and BOPs so far, last option) per
 * unit, in the manner of label-setting algorithms for resource-constrained shortest paths.
 *
 * A label at unit i with option k is dropped when
 * - it cannot meet a budget whatever the later units choose (the narrowest and widest completions);
 * - a Lagrangian bound on its best completion is no better than the incumbent: for multipliers (μs, μo) with
 *   the side each sign selects, cost + μs·size + μo·bops + back_μ[k] − μs·Bs − μo·Bo ≤ the cost of every
 *   completion meeting the budgets, where back_μ[k] is the priced minimum of the rest of the chain after
 *   option k (a backward Viterbi pass). A grid of multipliers around the Lagrangian optimum is precomputed,
 *   so a label that spent more than its share of one budget meets a bound with that budget priced higher;
 * - another label at the same option is no worse in cost, size and BOPs (dominance; with floors, only where
 *   the floor cannot tell them apart).
 * Every allocation better than the incumbent survives to the last layer, so the cheapest complete label (or
 * the incumbent) is optimal; the certified bound is the smaller of its cost and the lowest bound of any label
 * dropped by bound, which is within the optimality tolerance of it.
 */
import type { ChainProblem } from './chain';
import { evaluateChoice, meetsBudgets } from './chain';
import { costSpread } from './lagrangian';
import { OPTIMALITY_TOLERANCE } from './results';
import { ViterbiWorkspace } from './viterbi';
import { nowMs } from './clock';

export interface ChainSearchOptions {
  /** Give up (return `proven: false`) after this many milliseconds. Default 10 000. */
  timeLimitMs?: number;
  /** Give up when a layer would hold more labels than this (memory). Default 400 000. */
  maxLayerLabels?: number;
}

export interface ChainSearchResult {
  /** True when the search ran to the end: `choice` is optimal (or, when null, no allocation meets the budgets). */
  proven: boolean;
  /** The best allocation known at the end: the incumbent or a cheaper one found by the search. */
  choice: Int32Array | null;
  cost: number;
  /** Certified lower bound on the cost of every allocation meeting the budgets (+Infinity: none does). */
  bound: number;
  /** Labels created (after feasibility and bound tests) over all layers. */
  labels: number;
  /** The largest layer. */
  widestLayer: number;
  /** Passes of the deepening cutoff. */
  passes: number;
  /** Why it stopped early, when it did. */
  stopped: 'time limit' | 'label limit' | null;
  ms: number;
}

/** Multipliers for the bound: both budgets' prices and the constant −μs·Bs − μo·Bo they bring. */
interface PriceSet {
  size: Float64Array;
  bops: Float64Array;
  constant: Float64Array;
  /** back[m · optionCount + k]: priced minimum of the units after option k's unit, given option k, at price m. */
  back: Float64Array;
}

/** Scalings of the Lagrangian optimum's multipliers that make up the grid (1 first: it prunes the most). */
const SCALES = [1, 0, 0.5, 0.8, 0.9, 0.95, 0.98, 1.02, 1.05, 1.1, 1.25, 1.5, 2, 3];

function priceGrid(chain: ChainProblem, priceSize: number, priceBops: number): { size: number[]; bops: number[] } {
  const spread = costSpread(chain) || 1;
  const sideValues = (price: number, spreadOf: Float64Array, high: number, low: number) => {
    if (price !== 0) return SCALES.map((s) => s * price);
    // The optimum leaves this budget unpriced; a few prices on the sides that exist still help deep labels.
    const values = [0];
    let total = 0;
    for (let i = 0; i < chain.unitCount; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
        lo = Math.min(lo, spreadOf[k]);
        hi = Math.max(hi, spreadOf[k]);
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

function buildPrices(chain: ChainProblem, priceSize: number, priceBops: number, workspace: ViterbiWorkspace): PriceSet {
  const grid = priceGrid(chain, priceSize, priceBops);
  const pairs: [number, number][] = [];
  // The optimum first, then the rest of the grid.
  pairs.push([priceSize, priceBops]);
  for (const s of grid.size) for (const o of grid.bops) if (s !== priceSize || o !== priceBops) pairs.push([s, o]);
  const optionCount = chain.offsets[chain.unitCount];
  const count = pairs.length;
  const set: PriceSet = {
    size: new Float64Array(count),
    bops: new Float64Array(count),
    constant: new Float64Array(count),
    back: new Float64Array(count * optionCount),
  };
  const { limits } = chain;
  for (let m = 0; m < count; m++) {
    const [s, o] = pairs[m];
    set.size[m] = s;
    set.bops[m] = o;
    const sizeSide = s > 0 ? limits.sizeHigh : s < 0 ? limits.sizeLow : 0;
    const bopsSide = o > 0 ? limits.bopsHigh : o < 0 ? limits.bopsLow : 0;
    set.constant[m] = -s * sizeSide - o * bopsSide;
    const back = workspace.backwardMinima(s, o);
    set.back.set(back, m * optionCount);
  }
  return set;
}

/** Growable struct-of-arrays for one layer of labels. */
class Layer {
  cost: Float64Array;
  size: Float64Array;
  bops: Float64Array;
  option: Int32Array;
  parent: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.cost = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.bops = new Float64Array(capacity);
    this.option = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
  }

  push(cost: number, size: number, bops: number, option: number, parent: number): void {
    if (this.length === this.cost.length) this.grow();
    const n = this.length++;
    this.cost[n] = cost;
    this.size[n] = size;
    this.bops[n] = bops;
    this.option[n] = option;
    this.parent[n] = parent;
  }

  private grow(): void {
    const capacity = this.cost.length * 2 + 16;
    const copy = <T extends Float64Array | Int32Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.cost = copy(this.cost, new Float64Array(capacity));
    this.size = copy(this.size, new Float64Array(capacity));
    this.bops = copy(this.bops, new Float64Array(capacity));
    this.option = copy(this.option, new Int32Array(capacity));
    this.parent = copy(this.parent, new Int32Array(capacity));
  }
}

/**
 * Runs the search from an incumbent (a feasible allocation and its cost, or null), the Lagrangian optimum's
 * multipliers and its bound. Exact when `proven` is true.
 *
 * The number of labels grows steeply with the cutoff, so the search deepens it: passes with the cutoff at
 * bound + d, d growing geometrically from a small part of the gap, up to the incumbent's cost. A pass that
 * ends with a complete label has found the optimum (everything it dropped is no cheaper than its cutoff); a
 * pass that ends empty proves every allocation costs at least its cutoff, which becomes the bound.
 */
export function searchChain(
  chain: ChainProblem,
  incumbent: { choice: Int32Array; cost: number } | null,
  prices: { priceSize: number; priceBops: number; bound: number },
  options: ChainSearchOptions = {},
  workspace = new ViterbiWorkspace(chain),
): ChainSearchResult {
  const started = nowMs();
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const maxLayerLabels = options.maxLayerLabels ?? 400_000;
  const { limits, unitCount } = chain;
  const spread = costSpread(chain) || 1;

  let bestCost = incumbent ? incumbent.cost : Infinity;
  let bestChoice: Int32Array | null = incumbent ? Int32Array.from(incumbent.choice) : null;
  // The incumbent's cutoff: a label is dropped when its bound ≥ cost − slack, so the bound stays within tolerance.
  const slack = Number.isFinite(bestCost) ? 0.5 * (OPTIMALITY_TOLERANCE * Math.abs(bestCost) + 1e-12 * spread) : 0;
  const finalCutoff = bestCost - slack;
  let provenBound = Number.isFinite(prices.bound) ? prices.bound : -Infinity;

  const set = buildPrices(chain, prices.priceSize, prices.priceBops, workspace);
  // Rounding in the bound: the multiplier terms are large against the costs; a margin keeps the bound safe.
  let magnitude = 0;
  for (let m = 0; m < set.size.length; m++) {
    magnitude = Math.max(magnitude, Math.abs(set.constant[m]) + Math.abs(set.size[m] * limits.sizeHigh) + Math.abs(set.bops[m] * limits.bopsHigh));
  }
  const margin = 1e-13 * (magnitude + spread) * Math.max(1, Math.sqrt(unitCount));
  const rest = restUse(chain);

  let labels = 0;
  let widest = 0;
  let passes = 0;
  const finish = (proven: boolean, stopped: ChainSearchResult['stopped']): ChainSearchResult => ({
    proven,
    choice: bestChoice,
    cost: bestCost,
    bound: proven ? Math.min(bestCost, provenBound) : provenBound,
    labels,
    widestLayer: widest,
    passes,
    stopped,
    ms: nowMs() - started,
  });

  // The deepening schedule: bound + d, d from a 32nd of the gap (or a small part of the cost scale), doubling.
  const base = Number.isFinite(provenBound) ? provenBound : -Infinity;
  let step = Number.isFinite(bestCost) && Number.isFinite(base) ? (bestCost - base) / 32 : 1e-4 * (Math.abs(base) + 1e-3 * spread);
  for (;;) {
    let cutoff = Number.isFinite(base) ? base + step : finalCutoff;
    const last = !(cutoff < finalCutoff) || !Number.isFinite(cutoff) || step > 1e6 * spread;
    if (last) cutoff = finalCutoff;
    passes++;
    const pass = runPass(chain, set, rest, cutoff, margin, {
      deadline: started + timeLimitMs,
      maxLayerLabels,
    });
    labels += pass.labels;
    widest = Math.max(widest, pass.widest);
    if (pass.stopped) return finish(false, pass.stopped);
    if (pass.choice) {
      // Re-scored from scratch: accept only what the chain's own sums agree with.
      const score = evaluateChoice(chain, pass.choice);
      if (!meetsBudgets(chain, score.size, score.bops)) return finish(false, null);
      if (score.cost < bestCost) {
        bestCost = score.cost;
        bestChoice = pass.choice;
      }
      provenBound = Math.max(provenBound, Math.min(bestCost, pass.lowestDropped));
      return finish(true, null);
    }
    // Nothing below the cutoff: every allocation costs at least what this pass dropped.
    provenBound = Math.max(provenBound, pass.lowestDropped === Infinity ? cutoff : Math.min(cutoff, pass.lowestDropped));
    if (last) {
      if (!bestChoice) provenBound = Infinity;
      return finish(true, null);
    }
    step *= 2;
  }
}

/** Resource use of the narrowest and widest completion: restX[i] sums units i..L−1 (a label at unit i needs i + 1). */
function restUse(chain: ChainProblem): Rest {
  const { offsets, unitCount } = chain;
  const rest: Rest = {
    restMinSize: new Float64Array(unitCount + 1),
    restMaxSize: new Float64Array(unitCount + 1),
    restMinBops: new Float64Array(unitCount + 1),
    restMaxBops: new Float64Array(unitCount + 1),
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
    rest.restMinSize[i] = rest.restMinSize[i + 1] + minS;
    rest.restMaxSize[i] = rest.restMaxSize[i + 1] + maxS;
    rest.restMinBops[i] = rest.restMinBops[i + 1] + minO;
    rest.restMaxBops[i] = rest.restMaxBops[i + 1] + maxO;
  }
  return rest;
}

interface PassResult {
  /** The cheapest allocation below the cutoff, or null when there is none. */
  choice: Int32Array | null;
  /** The lowest bound (or cost) of any label dropped at the cutoff: every allocation not returned costs at least this. */
  lowestDropped: number;
  labels: number;
  widest: number;
  stopped: 'time limit' | 'label limit' | null;
}

/** One breadth-first pass: every allocation meeting the budgets and cheaper than `cutoff`, the cheapest kept. */
function runPass(
  chain: ChainProblem,
  set: PriceSet,
  rest: Rest,
  cutoff: number,
  margin: number,
  limits: { deadline: number; maxLayerLabels: number },
): PassResult {
  const { offsets, width, pairWeight, unitCount } = chain;
  const budget = chain.limits;
  const optionCount = offsets[unitCount];
  const priceCount = set.size.length;
  const { size: priceSize, bops: priceBops, constant, back } = set;
  let lowestDropped = Infinity;
  let labels = 0;
  let widest = 0;
  const result = (choice: Int32Array | null, stopped: PassResult['stopped']): PassResult => ({ choice, lowestDropped, labels, widest, stopped });

  // Per layer, the labels that survived: their option and their parent in the previous layer.
  const history: { option: Int32Array; parent: Int32Array }[] = [];
  let previous = new Layer(16);
  for (let i = 0; i < unitCount; i++) {
    if (nowMs() > limits.deadline) return result(null, 'time limit');
    const next = new Layer(Math.max(16, previous.length * 2));
    const sizeLowRest = budget.sizeLow - rest.restMaxSize[i + 1];
    const sizeHighRest = budget.sizeHigh - rest.restMinSize[i + 1];
    const bopsLowRest = budget.bopsLow - rest.restMaxBops[i + 1];
    const bopsHighRest = budget.bopsHigh - rest.restMinBops[i + 1];
    const last = i === unitCount - 1;
    const weight = i > 0 ? pairWeight[i - 1] : 0;
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      const start = next.length;
      const unitCost = chain.cost[k];
      const unitSize = chain.size[k];
      const unitBops = chain.bops[k];
      const w = width[k];
      const count = i === 0 ? 1 : previous.length;
      for (let n = 0; n < count; n++) {
        let c: number;
        let s: number;
        let o: number;
        if (i === 0) {
          c = unitCost;
          s = unitSize;
          o = unitBops;
        } else {
          c = previous.cost[n] + weight * Math.abs(width[previous.option[n]] - w) + unitCost;
          s = previous.size[n] + unitSize;
          o = previous.bops[n] + unitBops;
        }
        if (s > sizeHighRest || s < sizeLowRest || o > bopsHighRest || o < bopsLowRest) continue;
        let bound: number;
        if (last) {
          if (!meetsBudgets(chain, s, o)) continue;
          bound = c;
        } else {
          // The best of the grid's bounds, stopping as soon as one reaches the cutoff.
          bound = -Infinity;
          for (let m = 0; m < priceCount; m++) {
            const value = c + priceSize[m] * s + priceBops[m] * o + back[m * optionCount + k] + constant[m] - margin;
            if (value > bound) {
              bound = value;
              if (bound >= cutoff) break;
            }
          }
        }
        if (bound >= cutoff) {
          if (bound < lowestDropped) lowestDropped = bound;
          continue;
        }
        next.push(c, s, o, k, i === 0 ? -1 : n);
      }
      pruneDominated(next, start, i, rest, budget);
      if (next.length > limits.maxLayerLabels) {
        labels += next.length;
        widest = Math.max(widest, next.length);
        return result(null, 'label limit');
      }
    }
    labels += next.length;
    widest = Math.max(widest, next.length);
    if (next.length === 0) return result(null, null);
    if (last) {
      let arg = 0;
      for (let n = 1; n < next.length; n++) if (next.cost[n] < next.cost[arg]) arg = n;
      const choice = new Int32Array(unitCount);
      choice[unitCount - 1] = next.option[arg];
      let parent = next.parent[arg];
      for (let u = unitCount - 2; u >= 0; u--) {
        choice[u] = history[u].option[parent];
        parent = history[u].parent[parent];
      }
      for (let n = 0; n < next.length; n++) if (n !== arg && next.cost[n] < lowestDropped) lowestDropped = next.cost[n];
      return result(choice, null);
    }
    history.push({ option: next.option.slice(0, next.length), parent: next.parent.slice(0, next.length) });
    previous = next;
  }
  return result(null, null);
}

interface Rest {
  restMinSize: Float64Array;
  restMaxSize: Float64Array;
  restMinBops: Float64Array;
  restMaxBops: Float64Array;
}

/**
 * Removes, among the labels start..end−1 of `layer` (all at one option of unit i), those another label there is
 * no worse than: no dearer, no larger and using no more BOPs. Where a budget has a floor, only a label that
 * meets the floor whatever the later units choose may remove others (smaller is not better below a floor).
 * Labels in cost order, each tested against the ones kept before it: a Fenwick tree over size ranks holds the
 * smallest BOPs of the kept labels up to each size, so every test is O(log n).
 */
function pruneDominated(layer: Layer, start: number, i: number, rest: Rest, limits: ChainProblem['limits']): void {
  const count = layer.length - start;
  if (count < 2) return;
  const { cost, size, bops } = layer;
  const order = new Int32Array(count);
  for (let n = 0; n < count; n++) order[n] = start + n;
  order.sort((a, b) => cost[a] - cost[b] || size[a] - size[b] || bops[a] - bops[b]);
  // Size ranks (1-based, equal sizes share a rank).
  const bySize = Int32Array.from(order).sort((a, b) => size[a] - size[b]);
  const rank = new Int32Array(count);
  let ranks = 0;
  for (let n = 0; n < count; n++) {
    if (n === 0 || size[bySize[n]] !== size[bySize[n - 1]]) ranks++;
    rank[bySize[n] - start] = ranks;
  }
  const tree = new Float64Array(ranks + 1).fill(Infinity);
  // A kept label may dominate only where no floor can tell a smaller value from a larger one.
  const sizeSafe = limits.sizeLow - rest.restMinSize[i + 1];
  const bopsSafe = limits.bopsLow - rest.restMinBops[i + 1];
  const kept = new Int32Array(count);
  let keptCount = 0;
  for (let n = 0; n < count; n++) {
    const b = order[n];
    let smallestBops = Infinity;
    for (let r = rank[b - start]; r > 0; r -= r & -r) if (tree[r] < smallestBops) smallestBops = tree[r];
    if (smallestBops <= bops[b]) continue;
    kept[keptCount++] = b;
    if (size[b] >= sizeSafe && bops[b] >= bopsSafe) {
      for (let r = rank[b - start]; r <= ranks; r += r & -r) if (bops[b] < tree[r]) tree[r] = bops[b];
    }
  }
  if (keptCount === count) return;
  kept.subarray(0, keptCount).sort();
  // Kept labels moved down in place (kept indices are increasing, so nothing is overwritten before it is read).
  let to = start;
  for (let m = 0; m < keptCount; m++) {
    const a = kept[m];
    cost[to] = cost[a];
    size[to] = size[a];
    bops[to] = bops[a];
    layer.option[to] = layer.option[a];
    layer.parent[to] = layer.parent[a];
    to++;
  }
  layer.length = to;
}
