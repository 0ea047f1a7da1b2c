/**
 * An exact solver made for the chain (ENVIRONMENT.md, "Integer programming"): a breadth-first branch and bound
 * over partial allocations of a growing segment of consecutive units ("labels": cost, size and BOPs so far and
 * the options at both ends of the segment), in the manner of label-setting algorithms for resource-constrained
 * shortest paths. Each step adds the unit just left or just right of the segment, in an order fixed per pass.
 *
 * A label is dropped when
 * - it cannot meet a budget whatever the units outside the segment choose (their narrowest and widest widths);
 * - a Lagrangian bound on its best completion is no better than the cutoff: for multipliers (μs, μo) with the
 *   side each sign selects, cost + μs·size + μo·bops + front_μ[left] + back_μ[right] − μs·Bs − μo·Bo is at most
 *   the cost of every completion meeting the budgets, where front_μ / back_μ are the priced minima of the
 *   units before / after the segment given its end options (Viterbi passes). A grid of multipliers around
 *   the Lagrangian optimum is precomputed, so a label that spent more than its share of one budget meets a
 *   bound with that budget priced higher;
 * - another label with the same end options is no worse in cost, size and BOPs (dominance; with floors, only a
 *   label that meets the floors whatever comes next may drop others).
 * Every allocation cheaper than the cutoff survives to the end, so the cheapest complete label is optimal if
 * there is one; otherwise every allocation costs at least the cutoff.
 *
 * The bound is loose until the segment covers the units where the Lagrangian optimum is fractional (where its
 * optimal solutions disagree), so the segment grows from whichever end proves cheaper; a third order, from
 * those units outwards, is optional (it measured no better on bench/allocate.ts's problems).
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
  /** Give up on an order when one of its layers would hold more labels than this (memory). Default 400 000. */
  maxLayerLabels?: number;
  /** Orders the passes may use (each pass in the one that was cheapest so far); default forward and backward. */
  orders?: readonly SearchOrder[];
}

/** How the segment grows: from the first unit, from the last, or outwards from the fractional units. */
export type SearchOrder = 'forward' | 'backward' | 'fractional first';

/** What the search takes from the Lagrangian optimum. */
export interface LagrangianStart {
  priceSize: number;
  priceBops: number;
  /** The certified lower bound there. */
  bound: number;
  /** The priced chain's optimal solutions there (option per unit): where they differ the relaxation is fractional. */
  seeds?: readonly ArrayLike<number>[];
}

export interface ChainSearchResult {
  /** True when the search ran to the end: `choice` is optimal (or, when null, no allocation meets the budgets). */
  proven: boolean;
  /** The best allocation known at the end: the incumbent or a cheaper one found by the search. */
  choice: Int32Array | null;
  cost: number;
  /** Certified lower bound on the cost of every allocation meeting the budgets (+Infinity: none does). */
  bound: number;
  /** Labels kept (after the feasibility, bound and dominance tests) over all layers of all passes. */
  labels: number;
  /** The largest layer. */
  widestLayer: number;
  /** Passes of the deepening cutoff (each order run counts). */
  passes: number;
  /** The order of the pass that settled it. */
  order: SearchOrder;
  /** Why it stopped early, when it did. */
  stopped: 'time limit' | 'label limit' | null;
  ms: number;
}

/** Growth of the cutoff's distance from the bound per pass: small, so the last pass overshoots the optimum little. */
const DEEPENING_RATIO = 1.5;

/** Multipliers for the bound: both budgets' prices and the constant −μs·Bs − μo·Bo they bring. */
interface PriceSet {
  size: Float64Array;
  bops: Float64Array;
  constant: Float64Array;
  /** back[m · optionCount + k]: priced minimum of the units after option k's unit, given option k, at price m. */
  back: Float64Array;
  /** front[m · optionCount + k]: the same for the units before it. */
  front: Float64Array;
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
    front: new Float64Array(count * optionCount),
  };
  const { limits } = chain;
  for (let m = 0; m < count; m++) {
    const [s, o] = pairs[m];
    set.size[m] = s;
    set.bops[m] = o;
    const sizeSide = s > 0 ? limits.sizeHigh : s < 0 ? limits.sizeLow : 0;
    const bopsSide = o > 0 ? limits.bopsHigh : o < 0 ? limits.bopsLow : 0;
    set.constant[m] = -s * sizeSide - o * bopsSide;
    set.back.set(workspace.backwardMinima(s, o), m * optionCount);
    set.front.set(workspace.forwardMinima(s, o), m * optionCount);
  }
  return set;
}

/** Growable struct-of-arrays for one layer of labels. */
class Layer {
  cost: Float64Array;
  size: Float64Array;
  bops: Float64Array;
  left: Int32Array;
  right: Int32Array;
  parent: Int32Array;
  length = 0;

  constructor(capacity: number) {
    this.cost = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.bops = new Float64Array(capacity);
    this.left = new Int32Array(capacity);
    this.right = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
  }

  push(cost: number, size: number, bops: number, left: number, right: number, parent: number): void {
    if (this.length === this.cost.length) this.grow();
    const n = this.length++;
    this.cost[n] = cost;
    this.size[n] = size;
    this.bops[n] = bops;
    this.left[n] = left;
    this.right[n] = right;
    this.parent[n] = parent;
  }

  /** Moves label `from` to slot `to` (to ≤ from). */
  move(from: number, to: number): void {
    this.cost[to] = this.cost[from];
    this.size[to] = this.size[from];
    this.bops[to] = this.bops[from];
    this.left[to] = this.left[from];
    this.right[to] = this.right[from];
    this.parent[to] = this.parent[from];
  }

  private grow(): void {
    const capacity = this.cost.length * 2 + 16;
    const f = (from: Float64Array) => {
      const to = new Float64Array(capacity);
      to.set(from);
      return to;
    };
    const n = (from: Int32Array) => {
      const to = new Int32Array(capacity);
      to.set(from);
      return to;
    };
    this.cost = f(this.cost);
    this.size = f(this.size);
    this.bops = f(this.bops);
    this.left = n(this.left);
    this.right = n(this.right);
    this.parent = n(this.parent);
  }
}

/**
 * Runs the search from an incumbent (a feasible allocation and its cost, or null) and the Lagrangian optimum.
 * Exact when `proven` is true.
 *
 * The number of labels grows steeply with the cutoff, so the search deepens it: passes with the cutoff at
 * bound + d, d growing by DEEPENING_RATIO from a small part of the gap, up to the incumbent's cost. A pass that
 * ends with a complete label has found the optimum (everything it dropped is no cheaper than its cutoff); a
 * pass that ends empty proves every allocation costs at least its cutoff, which becomes the bound.
 */
export function searchChain(
  chain: ChainProblem,
  incumbent: { choice: Int32Array; cost: number } | null,
  start: LagrangianStart,
  options: ChainSearchOptions = {},
  workspace = new ViterbiWorkspace(chain),
): ChainSearchResult {
  const started = nowMs();
  const timeLimitMs = options.timeLimitMs ?? 10_000;
  const maxLayerLabels = options.maxLayerLabels ?? 400_000;
  const spread = costSpread(chain) || 1;

  let bestCost = incumbent ? incumbent.cost : Infinity;
  let bestChoice: Int32Array | null = incumbent ? Int32Array.from(incumbent.choice) : null;
  // The incumbent's cutoff: a label is dropped when its bound ≥ cost − slack, so the bound stays within tolerance.
  const slack = Number.isFinite(bestCost) ? 0.5 * (OPTIMALITY_TOLERANCE * Math.abs(bestCost) + 1e-12 * spread) : 0;
  const finalCutoff = bestCost - slack;
  let provenBound = Number.isFinite(start.bound) ? start.bound : -Infinity;

  const set = buildPrices(chain, start.priceSize, start.priceBops, workspace);
  let magnitude = 0;
  for (let m = 0; m < set.size.length; m++) {
    magnitude = Math.max(magnitude, Math.abs(set.constant[m]) + Math.abs(set.size[m] * chain.limits.sizeHigh) + Math.abs(set.bops[m] * chain.limits.bopsHigh));
  }
  // Rounding in the bound: the multiplier terms are large against the costs; a margin keeps the bound safe.
  const margin = 1e-13 * (magnitude + spread) * Math.max(1, Math.sqrt(chain.unitCount));
  const outside = outsideUse(chain);
  const ways = unitOrders(chain, start.seeds ?? [], options.orders ?? ['forward', 'backward']);

  let labels = 0;
  let widest = 0;
  let passes = 0;
  let settledBy: SearchOrder = ways[0].order;
  const finish = (proven: boolean, stopped: ChainSearchResult['stopped']): ChainSearchResult => ({
    proven,
    choice: bestChoice,
    cost: bestCost,
    bound: proven ? Math.min(bestCost, provenBound) : provenBound,
    labels,
    widestLayer: widest,
    passes,
    order: settledBy,
    stopped,
    ms: nowMs() - started,
  });

  const base = provenBound;
  let step = Number.isFinite(bestCost) && Number.isFinite(base) ? (bestCost - base) / 48 : 1e-4 * (Math.abs(base) + 1e-3 * spread);
  let stopped: ChainSearchResult['stopped'] = null;
  for (;;) {
    let cutoff = Number.isFinite(base) ? base + step : finalCutoff;
    const last = !(cutoff < finalCutoff) || !Number.isFinite(cutoff) || step > 1e6 * spread;
    if (last) cutoff = finalCutoff;
    // Each pass in the order that was cheapest last time; the others too while within a factor 2 of it (all
    // prove the same, and which is cheaper shows only by running them).
    const order = ways.filter((w) => !w.stopped).sort((a, b) => a.lastLabels - b.lastLabels);
    if (order.length === 0) return finish(false, stopped);
    let settled = false;
    for (const way of order) {
      if (settled && way.lastLabels > 2 * order[0].lastLabels) break;
      passes++;
      const pass = runPass(chain, way.units, set, outside, cutoff, margin, { deadline: started + timeLimitMs, maxLayerLabels });
      labels += pass.labels;
      widest = Math.max(widest, pass.widest);
      way.lastLabels = pass.labels;
      if (pass.stopped) {
        way.stopped = true;
        stopped = pass.stopped;
        if (pass.stopped === 'time limit') return finish(false, stopped);
        continue;
      }
      if (settled) continue;
      settled = true;
      settledBy = way.order;
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
    }
    if (!settled) return finish(false, stopped);
    step *= DEEPENING_RATIO;
  }
}

interface Way {
  order: SearchOrder;
  /** Units in the order the segment takes them: each next one is just left or just right of the segment. */
  units: Int32Array;
  lastLabels: number;
  stopped: boolean;
}

function unitOrders(chain: ChainProblem, seeds: readonly ArrayLike<number>[], orders: readonly SearchOrder[]): Way[] {
  const count = chain.unitCount;
  const ways: Way[] = [];
  const way = (order: SearchOrder, units: Int32Array) => ways.push({ order, units, lastLabels: 0, stopped: false });
  if (orders.includes('forward')) way('forward', Int32Array.from({ length: count }, (_, i) => i));
  if (orders.includes('backward')) way('backward', Int32Array.from({ length: count }, (_, i) => count - 1 - i));
  if (orders.includes('fractional first')) {
    let first = -1;
    let lastUnit = -1;
    for (let i = 0; i < count; i++) {
      for (let n = 1; n < seeds.length; n++) {
        if (seeds[n][i] !== seeds[0][i]) {
          if (first < 0) first = i;
          lastUnit = i;
          break;
        }
      }
    }
    // From the first fractional unit rightwards over the last one, then outwards, the nearer chain end first.
    if (first > 0 && lastUnit < count - 1) {
      const units: number[] = [];
      for (let i = first; i <= lastUnit; i++) units.push(i);
      let left = first - 1;
      let right = lastUnit + 1;
      while (left >= 0 || right < count) {
        if (right < count && (left < 0 || count - right <= left + 1)) units.push(right++);
        else units.push(left--);
      }
      way('fractional first', Int32Array.from(units));
    }
  }
  if (ways.length === 0) way('forward', Int32Array.from({ length: count }, (_, i) => i));
  return ways;
}

/** Narrowest and widest use of each budget by the units before i (prefix[i]) and from i on (suffix[i]). */
interface Outside {
  prefixMinSize: Float64Array;
  prefixMaxSize: Float64Array;
  prefixMinBops: Float64Array;
  prefixMaxBops: Float64Array;
  suffixMinSize: Float64Array;
  suffixMaxSize: Float64Array;
  suffixMinBops: Float64Array;
  suffixMaxBops: Float64Array;
}

function outsideUse(chain: ChainProblem): Outside {
  const { offsets, unitCount } = chain;
  const make = () => new Float64Array(unitCount + 1);
  const out: Outside = {
    prefixMinSize: make(),
    prefixMaxSize: make(),
    prefixMinBops: make(),
    prefixMaxBops: make(),
    suffixMinSize: make(),
    suffixMaxSize: make(),
    suffixMinBops: make(),
    suffixMaxBops: make(),
  };
  const extremes = (i: number) => {
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
    return { minS, maxS, minO, maxO };
  };
  for (let i = 0; i < unitCount; i++) {
    const e = extremes(i);
    out.prefixMinSize[i + 1] = out.prefixMinSize[i] + e.minS;
    out.prefixMaxSize[i + 1] = out.prefixMaxSize[i] + e.maxS;
    out.prefixMinBops[i + 1] = out.prefixMinBops[i] + e.minO;
    out.prefixMaxBops[i + 1] = out.prefixMaxBops[i] + e.maxO;
  }
  for (let i = unitCount - 1; i >= 0; i--) {
    const e = extremes(i);
    out.suffixMinSize[i] = out.suffixMinSize[i + 1] + e.minS;
    out.suffixMaxSize[i] = out.suffixMaxSize[i + 1] + e.maxS;
    out.suffixMinBops[i] = out.suffixMinBops[i + 1] + e.minO;
    out.suffixMaxBops[i] = out.suffixMaxBops[i + 1] + e.maxO;
  }
  return out;
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

/** One breadth-first pass over `units` (segment order): every allocation meeting the budgets and cheaper than `cutoff`. */
function runPass(
  chain: ChainProblem,
  units: Int32Array,
  set: PriceSet,
  outside: Outside,
  cutoff: number,
  margin: number,
  limits: { deadline: number; maxLayerLabels: number },
): PassResult {
  const { offsets, width, pairWeight, unitCount } = chain;
  const budget = chain.limits;
  const optionCount = offsets[unitCount];
  const priceCount = set.size.length;
  const { size: priceSize, bops: priceBops, constant, back, front } = set;
  let lowestDropped = Infinity;
  let labels = 0;
  let widest = 0;
  const result = (choice: Int32Array | null, stopped: PassResult['stopped']): PassResult => ({ choice, lowestDropped, labels, widest, stopped });

  // Per layer, the labels that survived: the option they added and their parent in the previous layer.
  const history: { option: Int32Array; parent: Int32Array }[] = [];
  let previous = new Layer(16);
  let low = units[0];
  let high = units[0];
  for (let step = 0; step < unitCount; step++) {
    if (nowMs() > limits.deadline) return result(null, 'time limit');
    const unit = units[step];
    const toRight = step > 0 && unit === high + 1;
    if (step > 0) {
      if (toRight) high = unit;
      else low = unit;
    }
    const next = new Layer(Math.max(16, previous.length * 2));
    // The segment is low..high; outside it, units 0..low−1 and high+1..L−1.
    const restMinSize = outside.prefixMinSize[low] + outside.suffixMinSize[high + 1];
    const restMaxSize = outside.prefixMaxSize[low] + outside.suffixMaxSize[high + 1];
    const restMinBops = outside.prefixMinBops[low] + outside.suffixMinBops[high + 1];
    const restMaxBops = outside.prefixMaxBops[low] + outside.suffixMaxBops[high + 1];
    const sizeLowRest = budget.sizeLow - restMaxSize;
    const sizeHighRest = budget.sizeHigh - restMinSize;
    const bopsLowRest = budget.bopsLow - restMaxBops;
    const bopsHighRest = budget.bopsHigh - restMinBops;
    const complete = step === unitCount - 1;
    const weight = step === 0 ? 0 : toRight ? pairWeight[unit - 1] : pairWeight[unit];
    for (let k = offsets[unit]; k < offsets[unit + 1]; k++) {
      const first = next.length;
      const unitCost = chain.cost[k];
      const unitSize = chain.size[k];
      const unitBops = chain.bops[k];
      const w = width[k];
      const count = step === 0 ? 1 : previous.length;
      for (let n = 0; n < count; n++) {
        let c: number;
        let s: number;
        let o: number;
        let left: number;
        let right: number;
        if (step === 0) {
          c = unitCost;
          s = unitSize;
          o = unitBops;
          left = k;
          right = k;
        } else {
          const neighbour = toRight ? previous.right[n] : previous.left[n];
          c = previous.cost[n] + weight * Math.abs(width[neighbour] - w) + unitCost;
          s = previous.size[n] + unitSize;
          o = previous.bops[n] + unitBops;
          left = toRight ? previous.left[n] : k;
          right = toRight ? k : previous.right[n];
        }
        if (s > sizeHighRest || s < sizeLowRest || o > bopsHighRest || o < bopsLowRest) continue;
        let bound: number;
        if (complete) {
          if (!meetsBudgets(chain, s, o)) continue;
          bound = c;
        } else {
          // The best of the grid's bounds, stopping as soon as one reaches the cutoff.
          bound = -Infinity;
          for (let m = 0; m < priceCount; m++) {
            const at = m * optionCount;
            const value = c + priceSize[m] * s + priceBops[m] * o + front[at + left] + back[at + right] + constant[m] - margin;
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
        next.push(c, s, o, left, right, n);
      }
      // The far end matters to completions only while it can still grow (not at the chain's first or last unit).
      const farEndFixed = toRight ? low === 0 : high === unitCount - 1;
      pruneDominated(next, first, farEndFixed ? null : toRight ? next.left : next.right, restMinSize, restMinBops, budget);
      if (next.length > limits.maxLayerLabels) {
        labels += next.length;
        widest = Math.max(widest, next.length);
        return result(null, 'label limit');
      }
    }
    labels += next.length;
    widest = Math.max(widest, next.length);
    if (next.length === 0) return result(null, null);
    if (complete) {
      let arg = 0;
      for (let n = 1; n < next.length; n++) if (next.cost[n] < next.cost[arg]) arg = n;
      for (let n = 0; n < next.length; n++) if (n !== arg && next.cost[n] < lowestDropped) lowestDropped = next.cost[n];
      const choice = new Int32Array(unitCount);
      choice[units[unitCount - 1]] = unitCount === 1 || toRight ? next.right[arg] : next.left[arg];
      let at = next.parent[arg];
      for (let earlier = unitCount - 2; earlier >= 0; earlier--) {
        choice[units[earlier]] = history[earlier].option[at];
        at = history[earlier].parent[at];
      }
      return result(choice, null);
    }
    const added = new Int32Array(next.length);
    for (let n = 0; n < next.length; n++) added[n] = toRight || step === 0 ? next.right[n] : next.left[n];
    history.push({ option: added, parent: next.parent.slice(0, next.length) });
    previous = next;
  }
  return result(null, null);
}

/**
 * Removes, among the labels first..length−1 of `layer` (all with the same new end option), those another label
 * with the same other end (`group`; null: the other end cannot grow any more, so it does not matter) is no worse than: no dearer, no larger and using no more BOPs. Where a
 * budget has a floor, only a label that meets the floor whatever the rest choose may drop others (smaller is
 * not better below a floor). Labels in cost order, each tested against the ones kept before it: a Fenwick
 * tree over size ranks holds the smallest BOPs of the kept labels up to each size, so every test is O(log n).
 */
function pruneDominated(layer: Layer, first: number, group: Int32Array | null, restMinSize: number, restMinBops: number, limits: ChainProblem['limits']): void {
  const count = layer.length - first;
  if (count < 2) return;
  const { cost, size, bops } = layer;
  const order = new Int32Array(count);
  for (let n = 0; n < count; n++) order[n] = first + n;
  order.sort((a, b) => (group ? group[a] - group[b] : 0) || cost[a] - cost[b] || size[a] - size[b] || bops[a] - bops[b]);
  // Size ranks (1-based, equal sizes share a rank).
  const bySize = Int32Array.from(order).sort((a, b) => size[a] - size[b]);
  const rank = new Int32Array(count);
  let ranks = 0;
  for (let n = 0; n < count; n++) {
    if (n === 0 || size[bySize[n]] !== size[bySize[n - 1]]) ranks++;
    rank[bySize[n] - first] = ranks;
  }
  const tree = new Float64Array(ranks + 1);
  const sizeSafe = limits.sizeLow - restMinSize;
  const bopsSafe = limits.bopsLow - restMinBops;
  const kept = new Int32Array(count);
  let keptCount = 0;
  let currentGroup = -1;
  for (let n = 0; n < count; n++) {
    const b = order[n];
    const g = group ? group[b] : 0;
    if (g !== currentGroup) {
      currentGroup = g;
      tree.fill(Infinity);
    }
    let smallestBops = Infinity;
    for (let r = rank[b - first]; r > 0; r -= r & -r) if (tree[r] < smallestBops) smallestBops = tree[r];
    if (smallestBops <= bops[b]) continue;
    kept[keptCount++] = b;
    if (size[b] >= sizeSafe && bops[b] >= bopsSafe) {
      for (let r = rank[b - first]; r <= ranks; r += r & -r) if (bops[b] < tree[r]) tree[r] = bops[b];
    }
  }
  if (keptCount === count) return;
  const survivors = kept.subarray(0, keptCount).sort();
  // Moved down in place: survivors are increasing, so nothing is overwritten before it is read.
  let to = first;
  for (let m = 0; m < keptCount; m++) layer.move(survivors[m], to++);
  layer.length = to;
}
