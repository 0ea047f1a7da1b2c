/**
 * Lagrangian relaxation of the size and BOPs budgets (ENVIRONMENT.md, "Integer programming"):
 *   g(μs, μo) = min_x [cost(x) + μs·size(x) + μo·bops(x)] − μs·Bs − μo·Bo
 * where each B is the budget's ceiling for a multiplier ≥ 0 and its floor (if any) for a multiplier < 0.
 * Every g value is a certified lower bound on the best feasible cost; its maximum equals the bound of the flow
 * LP relaxation (the chain's flow polytope is integral). g is concave and piecewise linear: the search runs
 * an exact 1-D ascent on μs nested inside one on μo, each step intersecting the two bracketing tangent lines.
 */
import type { ChainProblem } from './chain';
import { BUDGET_TOLERANCE, meetsBudgets } from './chain';
import { ViterbiWorkspace, type PricedSolution } from './viterbi';

export interface LagrangianResult {
  /** Best certified lower bound found on the internal (minimized) cost of any feasible allocation. */
  bound: number;
  priceSize: number;
  priceBops: number;
  /** Cheapest feasible allocation met during the search, if any. */
  bestFeasible: PricedSolution | null;
  /** Solutions that were optimal at the final multipliers: the seeds for repair and local search. */
  seeds: PricedSolution[];
  /** The dual grew without limit: even the relaxation has no feasible point (the budgets contradict). */
  unbounded: boolean;
  /** Priced chain solves used. */
  evaluations: number;
}

interface Probe<T> {
  mu: number;
  /** g restricted to this multiplier (the other one fixed). */
  value: number;
  /** Resource use at this μ (a supergradient of the priced minimum). */
  use: number;
  payload: T;
}

interface SideSearch<T> {
  mu: number;
  value: number;
  /** Optimal probes at `mu` and convex weights that make the combined use meet the active side exactly. */
  combination: { probe: Probe<T>; weight: number }[];
  unbounded: boolean;
}

const MAX_EXPANSIONS = 48;
const MAX_REFINEMENTS = 60;

/**
 * Maximizes the concave piecewise-linear f(μ) = V(μ) − μ·B(μ) over the allowed half-lines, given an oracle
 * returning V(μ) and its supergradient `use`. B(μ) = ceiling for μ ≥ 0 and floor for μ < 0.
 */
function maximizeOneMultiplier<T>(
  oracle: (mu: number) => { priced: number; use: number; payload: T },
  ceiling: number,
  floor: number,
  step: number,
  tolerance: number,
): SideSearch<T> {
  const probeAt = (mu: number): Probe<T> => {
    const { priced, use, payload } = oracle(mu);
    const side = mu >= 0 ? ceiling : floor;
    return { mu, value: priced - (mu === 0 ? 0 : mu * side), use, payload };
  };
  const origin = probeAt(0);
  let direction: 1 | -1;
  if (Number.isFinite(ceiling) && origin.use > ceiling) direction = 1;
  else if (Number.isFinite(floor) && origin.use < floor) direction = -1;
  else return { mu: 0, value: origin.value, combination: [{ probe: origin, weight: 1 }], unbounded: false };

  const side = direction === 1 ? ceiling : floor;
  // Slope of f along the search direction t (μ = direction·t).
  const slope = (p: Probe<T>) => direction * (p.use - side);
  let low = origin;
  let high: Probe<T> | null = null;
  let t = step;
  for (let n = 0; n < MAX_EXPANSIONS && !high; n++, t *= 4) {
    const p = probeAt(direction * t);
    if (slope(p) <= 0) high = p;
    else low = p;
  }
  if (!high) return { mu: low.mu, value: low.value, combination: [{ probe: low, weight: 1 }], unbounded: true };
  for (let n = 0; n < MAX_REFINEMENTS; n++) {
    const slopeHigh = slope(high);
    if (slopeHigh === 0) break;
    const slopeLow = slope(low);
    const tLow = direction * low.mu;
    const tHigh = direction * high.mu;
    // Where the tangent lines of the bracket ends cross: the maximum of their envelope.
    let tCross = (high.value - slopeHigh * tHigh - low.value + slopeLow * tLow) / (slopeLow - slopeHigh);
    tCross = Math.min(Math.max(tCross, tLow), tHigh);
    const envelope = low.value + slopeLow * (tCross - tLow);
    const p = probeAt(direction * tCross);
    if (p.value >= envelope - tolerance || tCross === tLow || tCross === tHigh) {
      const theta = -slopeHigh / (slopeLow - slopeHigh);
      const best = [p, low, high].reduce((a, b) => (b.value > a.value ? b : a));
      return {
        mu: best.mu,
        value: best.value,
        combination: [
          { probe: low, weight: theta },
          { probe: high, weight: 1 - theta },
        ],
        unbounded: false,
      };
    }
    if (slope(p) > 0) low = p;
    else if (slope(p) < 0) high = p;
    else return { mu: p.mu, value: p.value, combination: [{ probe: p, weight: 1 }], unbounded: false };
  }
  return { mu: high.mu, value: high.value, combination: [{ probe: high, weight: 1 }], unbounded: false };
}

/** Sum over units of each unit's spread of `values`: the scale on which a multiplier starts its search. */
function spread(chain: ChainProblem, values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < chain.unitCount; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = chain.offsets[i]; k < chain.offsets[i + 1]; k++) {
      lo = Math.min(lo, values[k]);
      hi = Math.max(hi, values[k]);
    }
    total += hi - lo;
  }
  return total;
}

/** Total spread of the cost (unary and pair terms): the scale of "small" for objective values. */
export function costSpread(chain: ChainProblem): number {
  let pairs = 0;
  let widest = 0;
  for (let k = 0; k < chain.width.length; k++) widest = Math.max(widest, chain.width[k]);
  for (let i = 0; i < chain.pairWeight.length; i++) pairs += Math.abs(chain.pairWeight[i]) * widest;
  return spread(chain, chain.cost) + pairs;
}

export function solveLagrangian(chain: ChainProblem, workspace = new ViterbiWorkspace(chain)): LagrangianResult {
  const costScale = costSpread(chain) || 1;
  // The sides as meetsBudgets reads them (with its slack), so the bound holds for everything called feasible.
  const sizeMax = chain.sizeMax * (1 + BUDGET_TOLERANCE);
  const sizeMin = chain.sizeMin * (1 - BUDGET_TOLERANCE);
  const bopsMax = chain.bopsMax * (1 + BUDGET_TOLERANCE);
  const bopsMin = chain.bopsMin * (1 - BUDGET_TOLERANCE);
  const tolerance = 1e-12 * costScale;
  const sizeStep = costScale / (spread(chain, chain.size) || 1) / 64;
  const bopsStep = costScale / (spread(chain, chain.bops) || 1) / 64;
  let evaluations = 0;
  let bestFeasible: PricedSolution | null = null;
  let bound = -Infinity;
  let bestPrices = { size: 0, bops: 0 };

  const solveAt = (priceSize: number, priceBops: number): PricedSolution => {
    evaluations++;
    const solution = workspace.solve(priceSize, priceBops);
    if (meetsBudgets(chain, solution.size, solution.bops) && (!bestFeasible || solution.cost < bestFeasible.cost)) {
      bestFeasible = solution;
    }
    return solution;
  };
  const sideOf = (mu: number, ceiling: number, floor: number) => (mu > 0 ? ceiling : mu < 0 ? floor : 0);

  // Inner problem: the best μs for a fixed μo. Its value is g(μs*, μo) + μo·Bo (the outer term is added outside).
  const inner = (priceBops: number) =>
    maximizeOneMultiplier(
      (mu) => {
        const solution = solveAt(mu, priceBops);
        return { priced: solution.priced, use: solution.size, payload: solution };
      },
      sizeMax,
      sizeMin,
      sizeStep,
      tolerance,
    );

  const recordBound = (value: number, priceSize: number, priceBops: number) => {
    if (value > bound) {
      bound = value;
      bestPrices = { size: priceSize, bops: priceBops };
    }
  };

  const outer = maximizeOneMultiplier(
    (priceBops) => {
      const result = inner(priceBops);
      // Supergradient in μo: the BOPs of the convex combination of inner optima that meets the size side.
      const use = result.combination.reduce((sum, c) => sum + c.weight * c.probe.payload.bops, 0);
      recordBound(result.value - priceBops * sideOf(priceBops, bopsMax, bopsMin), result.mu, priceBops);
      return { priced: result.value, use, payload: result };
    },
    bopsMax,
    bopsMin,
    bopsStep,
    tolerance,
  );

  const seeds: PricedSolution[] = [];
  for (const { probe } of outer.combination) {
    for (const c of probe.payload.combination) seeds.push(c.probe.payload);
  }
  const unbounded = outer.unbounded || outer.combination.some((c) => c.probe.payload.unbounded);
  return {
    bound: unbounded ? Infinity : bound,
    priceSize: bestPrices.size,
    priceBops: bestPrices.bops,
    bestFeasible,
    seeds,
    unbounded,
    evaluations,
  };
}

/**
 * −μs·Bs − μo·Bo for given multipliers (each B the side its multiplier's sign selects): the priced minimum
 * plus this is g(μs, μo). Also what min-marginals need to become bounds for variable fixing.
 */
export function dualOffset(chain: ChainProblem, priceSize: number, priceBops: number): number {
  const side = (mu: number, max: number, min: number) =>
    mu > 0 ? max * (1 + BUDGET_TOLERANCE) : mu < 0 ? min * (1 - BUDGET_TOLERANCE) : 0;
  return -priceSize * side(priceSize, chain.sizeMax, chain.sizeMin) - priceBops * side(priceBops, chain.bopsMax, chain.bopsMin);
}
