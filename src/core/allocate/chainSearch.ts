/**
 * An exact solver made for the chain (ENVIRONMENT.md, "Integer programming"): a breadth-first branch and bound
 * over the units in chain order, one layer of partial allocations ("labels": cost, size and BOPs so far, last
 * option) per unit, in the manner of label-setting algorithms for resource-constrained shortest paths.
 *
 * A label at unit i with option k is dropped when
 * - it cannot meet a budget whatever the later units choose (their narrowest and widest widths);
 * - a Lagrangian bound on its best completion is no better than the cutoff: for multipliers (μs, μo) with
 *   the side each sign selects, cost + μs·size + μo·bops + back_μ[k] − μs·Bs − μo·Bo is at most the cost of
 *   every completion meeting the budgets, where back_μ[k] is the priced minimum of the rest of the chain
 *   after option k (a backward Viterbi pass). The Lagrangian optimum's multipliers come first; a grid around
 *   them follows, so a label that spent more than its share of one budget meets a bound with that budget
 *   priced higher (on bench/allocate.ts's problems the grid cuts the labels several times over);
 * - another label at the same option is no worse in cost, size and BOPs (dominance; with floors, only a label
 *   that meets the floors whatever comes next may drop others).
 * Labels of one option are made in cost order (a merge of the previous layer's per-option lists, each in cost
 * order), so dominance is one query on the staircase of the labels kept so far. Every allocation cheaper than
 * the cutoff survives to the last layer: the cheapest complete label is optimal if there is one; otherwise
 * every allocation costs at least the cutoff.
 *
 * The bound is loose until the search has passed the units where the Lagrangian optimum is fractional, so the
 * passes run along the chain or against it (on the reversed chain), whichever has proved cheaper.
 *
 * Most labels are in the last pass, whose cutoff is the incumbent's cost or the first deepened cutoff past the
 * optimum. A beam pass first (each layer cut to the labels of lowest bound: a heuristic, proving nothing)
 * usually finds an allocation near the optimum, so the last pass's cutoff is lower.
 */
import type { ChainProblem } from './chain';
import { evaluateChoice, meetsBudgets } from './chain';
import { costSpread } from './lagrangian';
import { ViterbiWorkspace } from './viterbi';
import { nowMs } from './clock';
import { bucketOf, keepBest, Layer, Staircase } from './chainLabels';
import { prepareWay, type LagrangianStart, type SearchOrder, type Way } from './chainWay';
import { reverseChain, unreverseChoice } from './chainReverse';

export type { LagrangianStart, SearchOrder } from './chainWay';

export interface ChainSearchOptions {
  /** Give up (return `proven: false`) after this many milliseconds. Default 10 000. */
  timeLimitMs?: number;
  /** Give up on an order when one of its layers would hold more labels than this (memory). Default 400 000. */
  maxLayerLabels?: number;
  /** Directions the passes may take (each pass the one that was cheaper so far); default both. */
  orders?: readonly SearchOrder[];
  /** Labels per layer of the heuristic beam pass run first, for a better incumbent (0: none; default 512). */
  beam?: number;
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

/** Labels per layer of the heuristic beam pass (measured on bench/allocate.ts's L=200 K=5 and L=400 K=6 rows). */
const BEAM_WIDTH = 512;

/** The pass goes straight to the incumbent's cutoff once the deepened one would be past this part of the gap. */
const JUMP_FRACTION = 0.8;

/**
 * Runs the search from an incumbent (a feasible allocation and its cost, or null) and the Lagrangian optimum.
 * Exact when `proven` is true.
 *
 * The number of labels grows steeply with the cutoff, so the search deepens it: passes with the cutoff at
 * bound + d, d growing by DEEPENING_RATIO from a small part of the gap (the beam's incumbent's), up to the
 * incumbent's cost, straight to it once d passes JUMP_FRACTION of the gap. A pass that
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
  // The incumbent's cutoff: a label is dropped when its bound reaches the incumbent's cost, so a proof leaves
  // the bound at that cost exactly (gap 0, as the MILP solvers report theirs), not merely within tolerance.
  let finalCutoff = bestCost;
  let provenBound = Number.isFinite(start.bound) ? start.bound : -Infinity;

  const orders = options.orders ?? ['forward', 'backward'];
  const ways: Way[] = [];
  if (orders.includes('forward')) ways.push(prepareWay(chain, start, workspace, 'forward'));
  if (orders.includes('backward') || ways.length === 0) ways.push(prepareWay(reverseChain(chain), start, null, 'backward'));

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

  // A heuristic pass first (a beam: the labels of lowest bound per layer): an incumbent near the optimum lowers
  // the last pass's cutoff, where most of the labels are.
  const beam = options.beam ?? BEAM_WIDTH;
  if (beam > 0 && Number.isFinite(bestCost)) {
    for (const way of ways) {
      const pass = runPass(way, bestCost, { deadline: started + timeLimitMs, maxLayerLabels, beam });
      labels += pass.labels;
      if (!pass.choice) continue;
      const choice = way.order === 'forward' ? pass.choice : unreverseChoice(chain, pass.choice);
      const score = evaluateChoice(chain, choice);
      if (meetsBudgets(chain, score.size, score.bops) && score.cost < bestCost) {
        bestCost = score.cost;
        bestChoice = choice;
      }
    }
    finalCutoff = bestCost;
  }
  const base = provenBound;
  let step = Number.isFinite(bestCost) && Number.isFinite(base) ? (bestCost - base) / 48 : 1e-4 * (Math.abs(base) + 1e-3 * spread);
  let stopped: ChainSearchResult['stopped'] = null;
  for (;;) {
    let cutoff = Number.isFinite(base) ? base + step : finalCutoff;
    // A cutoff most of the way to the incumbent's is no cheaper than the incumbent's, and rarely finds a better one.
    const last =
      !(cutoff < finalCutoff) || !Number.isFinite(cutoff) || step > 1e6 * spread || cutoff - base > JUMP_FRACTION * (finalCutoff - base);
    if (last) cutoff = finalCutoff;
    // Each pass in the direction that was cheaper last time; the other too while within a factor 2 of it (both
    // prove the same, and which is cheaper shows only by running them).
    const order = ways.filter((w) => !w.stopped).sort((a, b) => a.lastLabels - b.lastLabels);
    if (order.length === 0) return finish(false, stopped);
    let settled = false;
    for (const way of order) {
      if (settled && way.lastLabels > 2 * order[0].lastLabels) break;
      passes++;
      const pass = runPass(way, cutoff, { deadline: started + timeLimitMs, maxLayerLabels });
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
        const choice = way.order === 'forward' ? pass.choice : unreverseChoice(chain, pass.choice);
        // Re-scored from scratch: accept only what the chain's own sums agree with.
        const score = evaluateChoice(chain, choice);
        if (!meetsBudgets(chain, score.size, score.bops)) return finish(false, null);
        if (score.cost < bestCost) {
          bestCost = score.cost;
          bestChoice = choice;
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

interface PassResult {
  /** The cheapest allocation below the cutoff, or null when there is none. */
  choice: Int32Array | null;
  /** The lowest bound (or cost) of any label dropped at the cutoff: every allocation not returned costs at least this. */
  lowestDropped: number;
  labels: number;
  widest: number;
  stopped: 'time limit' | 'label limit' | null;
}

/** One breadth-first pass along `way.chain`: every allocation meeting the budgets and cheaper than `cutoff`. */
function runPass(way: Way, cutoff: number, limits: { deadline: number; maxLayerLabels: number; beam?: number }): PassResult {
  const { chain, back, priceSize, priceBops, constant, margin } = way;
  const { offsets, width, pairWeight, unitCount } = chain;
  const optionCount = offsets[unitCount];
  const priceCount = priceSize.length;
  const budget = chain.limits;
  let lowestDropped = Infinity;
  let labels = 0;
  let widest = 0;
  const result = (choice: Int32Array | null, stopped: PassResult['stopped']): PassResult => ({ choice, lowestDropped, labels, widest, stopped });

  const history: Layer[] = [];
  // Before the first unit: one empty label.
  let previous = new Layer(1, 1);
  previous.push(0, 0, 0, -1);
  previous.bucketStart[1] = 1;
  const staircase = new Staircase(64);
  let maxOptions = 0;
  for (let i = 0; i < unitCount; i++) maxOptions = Math.max(maxOptions, offsets[i + 1] - offsets[i]);
  const cursor = new Int32Array(Math.max(1, maxOptions));
  const extra = new Float64Array(Math.max(1, maxOptions));
  const beam = limits.beam ?? 0;
  let bounds = new Float64Array(beam > 0 ? 1024 : 0);
  for (let i = 0; i < unitCount; i++) {
    if (nowMs() > limits.deadline) return result(null, 'time limit');
    const options = offsets[i + 1] - offsets[i];
    const next = new Layer(Math.max(16, previous.length * 2), options);
    const sizeLowRest = budget.sizeLow - way.restMaxSize[i + 1];
    const sizeHighRest = budget.sizeHigh - way.restMinSize[i + 1];
    const bopsLowRest = budget.bopsLow - way.restMaxBops[i + 1];
    const bopsHighRest = budget.bopsHigh - way.restMinBops[i + 1];
    // Only a label that meets the floors whatever comes next may dominate others.
    const sizeSafe = budget.sizeLow - way.restMinSize[i + 1];
    const bopsSafe = budget.bopsLow - way.restMinBops[i + 1];
    const complete = i === unitCount - 1;
    const weight = i > 0 ? pairWeight[i - 1] : 0;
    const previousOptions = i > 0 ? offsets[i] - offsets[i - 1] : 1;
    for (let j = 0; j < options; j++) {
      const k = offsets[i] + j;
      next.bucketStart[j] = next.length;
      staircase.length = 0;
      const unitCost = chain.cost[k];
      const unitSize = chain.size[k];
      const unitBops = chain.bops[k];
      // Candidates in cost order: merge the previous layer's buckets (each in cost order, shifted by a constant).
      for (let p = 0; p < previousOptions; p++) {
        cursor[p] = previous.bucketStart[p];
        extra[p] = (i > 0 ? weight * Math.abs(width[offsets[i - 1] + p] - width[k]) : 0) + unitCost;
      }
      for (;;) {
        let pick = -1;
        let c = Infinity;
        for (let p = 0; p < previousOptions; p++) {
          const n = cursor[p];
          if (n < previous.bucketStart[p + 1]) {
            const value = previous.cost[n] + extra[p];
            if (pick < 0 || value < c) {
              c = value;
              pick = p;
            }
          }
        }
        if (pick < 0) break;
        const parent = cursor[pick]++;
        const s = previous.size[parent] + unitSize;
        const o = previous.bops[parent] + unitBops;
        if (s > sizeHighRest || s < sizeLowRest || o > bopsHighRest || o < bopsLowRest) continue;
        let bound: number;
        if (complete) {
          if (!meetsBudgets(chain, s, o)) continue;
          bound = c;
        } else {
          // The best of the grid's bounds, stopping as soon as one reaches the cutoff.
          bound = -Infinity;
          for (let m = 0, at = k; m < priceCount; m++, at += optionCount) {
            const value = c + priceSize[m] * s + priceBops[m] * o + back[at] + constant[m] - margin;
            if (value > bound) {
              bound = value;
              if (bound >= cutoff) break;
            }
          }
        }
        if (bound >= cutoff) {
          // Later candidates cost more but may have lower bounds (less budget used): they are still tested.
          if (bound < lowestDropped) lowestDropped = bound;
          continue;
        }
        if (staircase.dominates(s, o)) continue;
        if (beam > 0) {
          if (next.length === bounds.length) {
            const grown = new Float64Array(bounds.length * 2);
            grown.set(bounds);
            bounds = grown;
          }
          bounds[next.length] = bound;
        }
        next.push(c, s, o, parent);
        if (s >= sizeSafe && o >= bopsSafe) staircase.insert(s, o);
      }
      if (next.length > limits.maxLayerLabels) {
        labels += next.length;
        widest = Math.max(widest, next.length);
        return result(null, 'label limit');
      }
    }
    next.bucketStart[options] = next.length;
    if (beam > 0 && !complete && next.length > beam) keepBest(next, bounds, beam, options);
    labels += next.length;
    widest = Math.max(widest, next.length);
    if (next.length === 0) return result(null, null);
    if (complete) {
      let arg = 0;
      for (let n = 1; n < next.length; n++) if (next.cost[n] < next.cost[arg]) arg = n;
      for (let n = 0; n < next.length; n++) if (n !== arg && next.cost[n] < lowestDropped) lowestDropped = next.cost[n];
      const choice = new Int32Array(unitCount);
      let layer = next;
      let at = arg;
      for (let u = unitCount - 1; u >= 0; u--) {
        choice[u] = offsets[u] + bucketOf(layer, at);
        at = layer.parent[at];
        if (u > 0) layer = history[u - 1];
      }
      return result(choice, null);
    }
    history.push(next);
    previous = next;
  }
  return result(null, null);
}
