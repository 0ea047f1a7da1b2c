/**
 * Primal side of the instant path: repair an allocation that misses a budget, then improve a feasible one by
 * one or two moves at a time (moves.ts) while every budget stays met.
 */
import type { ChainProblem } from './chain';
import { budgetViolation, evaluateChoice } from './chain';
import { applyMove, combinedDeltaCost, segmentMoves, singleMoves, type Move } from './moves';

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
  const choice = Int32Array.from(start);
  let { size, bops } = evaluateChoice(chain, choice);
  const maxSteps = chain.offsets[chain.unitCount] * 2;
  for (let step = 0; step < maxSteps; step++) {
    if (budgetViolation(chain, size, bops) === 0) return choice;
    const violation = rawViolation(chain, size, bops);
    const moves = singleMoves(chain, choice);
    let best: Move | null = null;
    let bestScore = Infinity;
    for (const move of moves) {
      const reduction = violation - rawViolation(chain, size + move.deltaSize, bops + move.deltaBops);
      if (reduction <= 0) continue;
      const score = move.deltaCost / reduction;
      if (score < bestScore) {
        bestScore = score;
        best = move;
      }
    }
    // Stuck between a floor and a ceiling: a pair of changes can trade size against BOPs.
    const chosen = best ? [best] : bestRepairingPair(chain, moves, size, bops, violation);
    if (!chosen) return null;
    for (const move of chosen) {
      applyMove(chain, choice, move);
      size += move.deltaSize;
      bops += move.deltaBops;
    }
  }
  return budgetViolation(chain, size, bops) === 0 ? choice : null;
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
 * Local search from a feasible allocation: applies the best improving move that keeps every budget, and when
 * there is none, the first improving pair of moves (scanned cheapest first). Never leaves the feasible set
 * and never increases the cost.
 */
export function improve(chain: ChainProblem, start: Int32Array, options: ImproveOptions = {}): Int32Array {
  const pairMoves = options.pairMoves ?? true;
  const maxMoves = options.maxMoves ?? 10 * chain.unitCount + 100;
  const choice = Int32Array.from(start);
  let { cost, size, bops } = evaluateChoice(chain, choice);
  const epsilon = 1e-12 * (Math.abs(cost) + 1e-300);
  const fits = (s: number, b: number) => budgetViolation(chain, s, b) === 0;
  const widths = [...new Set(chain.width)];

  for (let applied = 0; applied < maxMoves; applied++) {
    const moves = [...singleMoves(chain, choice), ...segmentMoves(chain, choice, widths)];
    let best: Move | null = null;
    for (const move of moves) {
      if (move.deltaCost < -epsilon && (!best || move.deltaCost < best.deltaCost) && fits(size + move.deltaSize, bops + move.deltaBops)) {
        best = move;
      }
    }
    if (best) {
      applyMove(chain, choice, best);
      cost += best.deltaCost;
      size += best.deltaSize;
      bops += best.deltaBops;
      continue;
    }
    if (!pairMoves) break;
    // Pairs of single-unit changes only: pairs involving segments cost far more time than they gain.
    const pair = findImprovingPair(chain, choice, moves.filter((m) => m.start === m.end), size, bops, epsilon);
    if (!pair) break;
    const [first, second, deltaCost] = pair;
    applyMove(chain, choice, first);
    applyMove(chain, choice, second);
    cost += deltaCost;
    size += first.deltaSize + second.deltaSize;
    bops += first.deltaBops + second.deltaBops;
  }
  return choice;
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
  for (const first of sorted) {
    // A pair improves only if its cheaper move already gains something.
    if (first.deltaCost >= 0) break;
    for (const second of sorted) {
      if (first.deltaCost + second.deltaCost >= -epsilon) break;
      if (second === first) continue;
      const deltaCost = combinedDeltaCost(chain, choice, first, second);
      if (deltaCost === null || deltaCost >= -epsilon) continue;
      if (budgetViolation(chain, size + first.deltaSize + second.deltaSize, bops + first.deltaBops + second.deltaBops) === 0) {
        return [first, second, deltaCost];
      }
    }
  }
  return null;
}
