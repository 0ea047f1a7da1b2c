/**
 * Primal side of the instant path: repair an allocation that misses a budget, then improve a feasible one by
 * one or two moves at a time (moves.ts) while every budget stays met.
 */
import type { ChainProblem } from './chain';
import { evaluateChoice, meetsBudgets } from './chain';
import { applyMove, combinedDeltaCost, segmentMoves, singleMoves, SingleMoveTable, type Move } from './moves';

/** Relative budget excess without the tolerance cut-off, so that every step of a repair counts. */
function rawViolation(chain: ChainProblem, size: number, bops: number): number {
  const part = (over: number, side: number) => (Number.isFinite(side) && over > 0 ? over / Math.max(Math.abs(side), 1e-300) : 0);
  return (
    part(size - chain.sizeMax, chain.sizeMax) +
    part(chain.sizeMin - size, chain.sizeMin) +
    part(bops - chain.bopsMax, chain.bopsMax) +
    part(chain.bopsMin - bops, chain.bopsMin)
  );
}

/**
 * Greedy repair: repeatedly applies the single-unit change that removes the most budget excess per unit of
 * cost added (or, when none helps, the pair of changes that removes the most), until every budget is met.
 * Returns null when nothing reduces the excess any further.
 */
export function repair(chain: ChainProblem, start: Int32Array): Int32Array | null {
  const table = new SingleMoveTable(chain, Int32Array.from(start));
  const choice = table.choice;
  let { size, bops } = evaluateChoice(chain, choice);
  const maxSteps = chain.offsets[chain.unitCount] * 2;
  for (let step = 0; step < maxSteps; step++) {
    if (meetsBudgets(chain, size, bops)) return choice;
    const violation = rawViolation(chain, size, bops);
    let best = -1;
    let bestScore = Infinity;
    for (let i = 0; i < chain.unitCount; i++) {
      const current = choice[i];
      for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
        if (k === current) continue;
        const reduction = violation - rawViolation(chain, size + chain.size[k] - chain.size[current], bops + chain.bops[k] - chain.bops[current]);
        if (reduction <= 0) continue;
        const score = table.delta[k] / reduction;
        if (score < bestScore) {
          bestScore = score;
          best = k;
        }
      }
    }
    if (best >= 0) {
      const i = unitOf(chain, best);
      size += chain.size[best] - chain.size[choice[i]];
      bops += chain.bops[best] - chain.bops[choice[i]];
      table.set(i, best);
      continue;
    }
    // Stuck between a floor and a ceiling: a pair of changes can trade size against BOPs.
    const pair = bestRepairingPair(chain, singleMoves(chain, choice), size, bops, violation);
    if (!pair) return null;
    for (const move of pair) {
      applyMove(chain, choice, move);
      table.refreshAround(move.start, move.end);
      size += move.deltaSize;
      bops += move.deltaBops;
    }
  }
  return meetsBudgets(chain, size, bops) ? choice : null;
}

/** The unit an option index belongs to (binary search over the offsets). */
function unitOf(chain: ChainProblem, k: number): number {
  let low = 0;
  let high = chain.unitCount - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (chain.offsets[middle] <= k) low = middle;
    else high = middle - 1;
  }
  return low;
}

function bestRepairingPair(chain: ChainProblem, moves: Move[], size: number, bops: number, violation: number): Move[] | null {
  let best: Move[] | null = null;
  let bestViolation = violation;
  for (let a = 0; a < moves.length; a++) {
    for (let b = a + 1; b < moves.length; b++) {
      const first = moves[a];
      const second = moves[b];
      if (first.start === second.start) continue;
      const after = rawViolation(chain, size + first.deltaSize + second.deltaSize, bops + first.deltaBops + second.deltaBops);
      if (after < bestViolation) {
        bestViolation = after;
        best = [first, second];
      }
    }
  }
  return best;
}

export interface ImproveOptions {
  /** Also try two moves at once (finds budget trades one move cannot make). Default true. */
  pairMoves?: boolean;
  /** Upper limit on applied improvements. */
  maxMoves?: number;
}

/**
 * Local search from a feasible allocation. Cheap moves first: sweeps over the units applying each unit's best
 * improving width, then the best improving segment move; when neither helps, the first improving pair of
 * single-unit changes that raises one unit and lowers another (scanned cheapest first). Never leaves the
 * feasible set and never increases the cost.
 */
export function improve(chain: ChainProblem, start: Int32Array, options: ImproveOptions = {}): Int32Array {
  const pairMoves = options.pairMoves ?? true;
  const maxMoves = options.maxMoves ?? 10 * chain.unitCount + 100;
  const table = new SingleMoveTable(chain, Int32Array.from(start));
  const choice = table.choice;
  const state = { ...evaluateChoice(chain, choice) };
  const epsilon = 1e-12 * (Math.abs(state.cost) + 1e-300);
  const widths = [...new Set(chain.width)];
  const apply = (move: Move, deltaCost = move.deltaCost) => {
    applyMove(chain, choice, move);
    table.refreshAround(move.start, move.end);
    state.cost += deltaCost;
    state.size += move.deltaSize;
    state.bops += move.deltaBops;
  };

  for (let applied = 0; applied < maxMoves; applied++) {
    // Best single-unit change that keeps the budgets.
    let best = -1;
    let bestDelta = -epsilon;
    for (let i = 0; i < chain.unitCount; i++) {
      const current = choice[i];
      for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
        if (table.delta[k] >= bestDelta) continue;
        const size = state.size + chain.size[k] - chain.size[current];
        const bops = state.bops + chain.bops[k] - chain.bops[current];
        if (!meetsBudgets(chain, size, bops)) continue;
        best = k;
        bestDelta = table.delta[k];
      }
    }
    if (best >= 0) {
      const i = unitOf(chain, best);
      state.cost += bestDelta;
      state.size += chain.size[best] - chain.size[choice[i]];
      state.bops += chain.bops[best] - chain.bops[choice[i]];
      table.set(i, best);
      continue;
    }
    let bestSegment: Move | null = null;
    for (const move of segmentMoves(chain, choice, widths)) {
      if (move.deltaCost < -epsilon && (!bestSegment || move.deltaCost < bestSegment.deltaCost) && fitsAfter(chain, state, move)) {
        bestSegment = move;
      }
    }
    if (bestSegment) {
      apply(bestSegment);
      continue;
    }
    if (!pairMoves) break;
    const pair = findImprovingPair(chain, choice, singleMoves(chain, choice), state.size, state.bops, epsilon);
    if (!pair) break;
    const [first, second, deltaCost] = pair;
    apply(first, 0);
    apply(second, deltaCost);
  }
  return choice;
}

function fitsAfter(chain: ChainProblem, state: { size: number; bops: number }, move: Move): boolean {
  return meetsBudgets(chain, state.size + move.deltaSize, state.bops + move.deltaBops);
}

function findImprovingPair(
  chain: ChainProblem,
  choice: Int32Array,
  moves: Move[],
  size: number,
  bops: number,
  epsilon: number,
): [Move, Move, number] | null {
  const sorted = [...moves].sort((a, b) => a.deltaCost - b.deltaCost);
  const widthOf = (m: Move) => chain.width[choice[m.start]];
  // Size and BOPs grow with width, so a pair can only fit where one alone did not by going opposite ways.
  const raises = sorted.filter((m) => m.width > widthOf(m));
  const lowers = sorted.filter((m) => m.width < widthOf(m));
  for (const first of sorted) {
    // A pair improves only if its cheaper move already gains something.
    if (first.deltaCost >= 0) break;
    const partners = first.width > widthOf(first) ? lowers : raises;
    for (const second of partners) {
      if (first.deltaCost + second.deltaCost >= -epsilon) break;
      if (second.start === first.start) continue;
      const deltaCost = combinedDeltaCost(chain, choice, first, second);
      if (deltaCost === null || deltaCost >= -epsilon) continue;
      if (meetsBudgets(chain, size + first.deltaSize + second.deltaSize, bops + first.deltaBops + second.deltaBops)) {
        return [first, second, deltaCost];
      }
    }
  }
  return null;
}
