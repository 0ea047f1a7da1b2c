/**
 * Neighbourhoods of an allocation for local search: set one unit to another width, or set a segment of a
 * uniform run (starting or ending at the run's edge) to another width. Synergy keeps runs of equal widths
 * together, so moving a run's edge or a whole run is a step a single-unit change cannot take.
 */
import type { ChainProblem } from './chain';

/** Set units start..end (inclusive) to `width`. */
export interface Move {
  start: number;
  end: number;
  width: number;
  deltaCost: number;
  deltaSize: number;
  deltaBops: number;
}

const MAX_WIDTH = 32;
const optionTables = new WeakMap<ChainProblem, Int32Array>();

/** Option index of `width` for unit i, or −1 when the unit has no such option. */
export function optionOfWidth(chain: ChainProblem, i: number, width: number): number {
  let table = optionTables.get(chain);
  if (!table) {
    table = new Int32Array(chain.unitCount * (MAX_WIDTH + 1)).fill(-1);
    for (let u = 0; u < chain.unitCount; u++) {
      for (let k = chain.offsets[u]; k < chain.offsets[u + 1]; k++) table[u * (MAX_WIDTH + 1) + chain.width[k]] = k;
    }
    optionTables.set(chain, table);
  }
  return table[i * (MAX_WIDTH + 1) + width];
}

/** Cost change of the pair terms on the outer edges of start..end when the segment takes `width`. */
function edgeDelta(chain: ChainProblem, choice: Int32Array, start: number, end: number, width: number): number {
  const { width: widths, pairWeight } = chain;
  let delta = 0;
  if (start > 0) {
    const left = widths[choice[start - 1]];
    delta += pairWeight[start - 1] * (Math.abs(width - left) - Math.abs(widths[choice[start]] - left));
  }
  if (end + 1 < chain.unitCount) {
    const right = widths[choice[end + 1]];
    delta += pairWeight[end] * (Math.abs(width - right) - Math.abs(widths[choice[end]] - right));
  }
  return delta;
}

/** Every single-unit change. */
export function singleMoves(chain: ChainProblem, choice: Int32Array): Move[] {
  const moves: Move[] = [];
  for (let i = 0; i < chain.unitCount; i++) {
    const current = choice[i];
    for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
      if (k === current) continue;
      const width = chain.width[k];
      moves.push({
        start: i,
        end: i,
        width,
        deltaCost: chain.cost[k] - chain.cost[current] + edgeDelta(chain, choice, i, i, width),
        deltaSize: chain.size[k] - chain.size[current],
        deltaBops: chain.bops[k] - chain.bops[current],
      });
    }
  }
  return moves;
}

/** Segments of length ≥ 2 inside a run of equal widths that touch the run's first or last unit. */
export function segmentMoves(chain: ChainProblem, choice: Int32Array, widths: readonly number[]): Move[] {
  const moves: Move[] = [];
  const unitWidth = (i: number) => chain.width[choice[i]];
  let runStart = 0;
  while (runStart < chain.unitCount) {
    let runEnd = runStart;
    while (runEnd + 1 < chain.unitCount && unitWidth(runEnd + 1) === unitWidth(runStart)) runEnd++;
    if (runEnd > runStart) {
      for (const width of widths) {
        if (width === unitWidth(runStart)) continue;
        growSegments(chain, choice, runStart, runEnd, width, 1, moves);
        growSegments(chain, choice, runStart, runEnd, width, -1, moves);
      }
    }
    runStart = runEnd + 1;
  }
  return moves;
}

/** Grows a segment from one edge of the run inwards, recording each length ≥ 2 (the whole run only once). */
function growSegments(chain: ChainProblem, choice: Int32Array, runStart: number, runEnd: number, width: number, step: 1 | -1, out: Move[]): void {
  let deltaUnary = 0;
  let deltaSize = 0;
  let deltaBops = 0;
  const from = step === 1 ? runStart : runEnd;
  const to = step === 1 ? runEnd : runStart;
  for (let i = from; ; i += step) {
    const k = optionOfWidth(chain, i, width);
    if (k < 0) return;
    const current = choice[i];
    deltaUnary += chain.cost[k] - chain.cost[current];
    deltaSize += chain.size[k] - chain.size[current];
    deltaBops += chain.bops[k] - chain.bops[current];
    const length = Math.abs(i - from) + 1;
    const wholeRun = i === to;
    if (length >= 2 && !(wholeRun && step === -1)) {
      const start = Math.min(from, i);
      const end = Math.max(from, i);
      out.push({ start, end, width, deltaCost: deltaUnary + edgeDelta(chain, choice, start, end, width), deltaSize, deltaBops });
    }
    if (wholeRun) return;
  }
}

export function applyMove(chain: ChainProblem, choice: Int32Array, move: Move): void {
  for (let i = move.start; i <= move.end; i++) choice[i] = optionOfWidth(chain, i, move.width);
}

/**
 * Cost change of applying two moves together. Each delta assumed the other's units unchanged; that holds
 * unless they share a pair term, which is only corrected for two single-unit moves next to each other.
 * Returns null for overlapping or touching moves it cannot combine.
 */
export function combinedDeltaCost(chain: ChainProblem, choice: Int32Array, first: Move, second: Move): number | null {
  const [a, b] = first.start <= second.start ? [first, second] : [second, first];
  if (a.end + 1 < b.start) return first.deltaCost + second.deltaCost;
  if (a.end >= b.start || a.start !== a.end || b.start !== b.end) return null;
  const oldA = chain.width[choice[a.start]];
  const oldB = chain.width[choice[b.start]];
  const weight = chain.pairWeight[a.start];
  return (
    a.deltaCost +
    b.deltaCost +
    weight * (Math.abs(a.width - b.width) - Math.abs(a.width - oldB) - Math.abs(oldA - b.width) + Math.abs(oldA - oldB))
  );
}

/**
 * Cost change of every single-unit change, kept current as the allocation changes (a change at unit i only
 * alters the deltas of units i−1..i+1), so a local-search step scans a flat array instead of rebuilding moves.
 */
export class SingleMoveTable {
  /** delta[k]: cost change of switching option k's unit to option k (0 for the unit's current option). */
  readonly delta: Float64Array;

  constructor(
    private readonly chain: ChainProblem,
    readonly choice: Int32Array,
  ) {
    this.delta = new Float64Array(chain.offsets[chain.unitCount]);
    for (let i = 0; i < chain.unitCount; i++) this.refreshUnit(i);
  }

  /** Sets unit i to option k and refreshes the deltas it affects. */
  set(i: number, k: number): void {
    this.choice[i] = k;
    this.refreshAround(i, i);
  }

  /** Refreshes the deltas of units start−1 .. end+1 after a change of units start..end. */
  refreshAround(start: number, end: number): void {
    for (let u = Math.max(0, start - 1); u <= Math.min(this.chain.unitCount - 1, end + 1); u++) this.refreshUnit(u);
  }

  private refreshUnit(i: number): void {
    const chain = this.chain;
    const current = this.choice[i];
    for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
      this.delta[k] = k === current ? 0 : chain.cost[k] - chain.cost[current] + edgeDelta(chain, this.choice, i, i, chain.width[k]);
    }
  }
}
