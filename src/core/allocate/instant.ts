/**
 * The instant path (DESIGN.md, "Solving live"): Lagrangian bound, repair, local search. Milliseconds, with a
 * certified gap. The exact path (exact.ts) starts from its answer.
 */
import type { AllocationProblem, AllocationResult } from './types';
import type { ChainProblem } from './chain';
import { compileChain, evaluateChoice, meetsBudgets } from './chain';
import { explainUnreachableBudgets } from './budgets';
import { solveLagrangian, type LagrangianResult } from './lagrangian';
import { improve, repair } from './localSearch';
import { isProvenOptimal, toResult, type InternalAnswer } from './results';
import { ViterbiWorkspace } from './viterbi';
import { nowMs } from './clock';

export interface InstantAnswer extends InternalAnswer {
  /** The cost of `choice` (internal, minimized); Infinity when there is none. */
  cost: number;
  lagrangian: LagrangianResult | null;
}

export const CONTRADICTING_BUDGETS =
  'No allocation fits: the budget floors cannot be met together with the ceilings (not even by a fractional allocation).';

export function solveInstantChain(chain: ChainProblem, workspace = new ViterbiWorkspace(chain)): InstantAnswer {
  const unreachable = explainUnreachableBudgets(chain);
  if (unreachable) {
    return { choice: null, cost: Infinity, bound: Infinity, status: 'infeasible', infeasibleReason: unreachable, lagrangian: null };
  }
  const lagrangian = solveLagrangian(chain, workspace);
  if (lagrangian.unbounded) {
    return { choice: null, cost: Infinity, bound: Infinity, status: 'infeasible', infeasibleReason: CONTRADICTING_BUDGETS, lagrangian };
  }

  const starts: Int32Array[] = [];
  const seen = new Set<string>();
  const addStart = (choice: Int32Array | null) => {
    if (!choice) return;
    const key = choice.join(',');
    if (seen.has(key)) return;
    seen.add(key);
    starts.push(choice);
  };
  if (lagrangian.bestFeasible) addStart(lagrangian.bestFeasible.choice);
  for (const seed of lagrangian.seeds) {
    addStart(meetsBudgets(chain, seed.size, seed.bops) ? seed.choice : repair(chain, seed.choice));
  }

  // Local search from every start: the cheapest start does not reliably end cheapest.
  let best: Int32Array | null = null;
  let bestCost = Infinity;
  for (const start of starts) {
    const improved = improve(chain, start);
    const { cost } = evaluateChoice(chain, improved);
    if (cost < bestCost) {
      best = improved;
      bestCost = cost;
    }
  }
  if (!best) {
    return {
      choice: null,
      cost: Infinity,
      bound: lagrangian.bound,
      status: 'unknown',
      infeasibleReason: 'The quick search found no allocation within the budget floors and ceilings; the exact solver decides.',
      lagrangian,
    };
  }
  const status = isProvenOptimal(chain, bestCost, lagrangian.bound) ? 'optimal' : 'feasible';
  return { choice: best, cost: bestCost, bound: lagrangian.bound, status, infeasibleReason: null, lagrangian };
}

/** Solves the allocation problem on the instant path: an allocation meeting every budget and a certified gap. */
export function solveInstant(problem: AllocationProblem): AllocationResult {
  const started = nowMs();
  const chain = compileChain(problem);
  const answer = solveInstantChain(chain);
  return toResult(chain, 'instant', answer, nowMs() - started);
}

/** Multiplier scalings tried by `intensify` around the Lagrangian optimum. */
const PERTURBATIONS = [0.98, 0.995, 1, 1.005, 1.02, 1.05];

/**
 * A wider primal search for the exact path, where tens of milliseconds buy a lot: a cheaper allocation rules
 * out more options by the Lagrangian bound and prunes more of glpk's search. Solves the priced chain on a grid
 * of multipliers around the optimum, repairs and improves the cheapest distinct answers.
 */
export function intensify(chain: ChainProblem, answer: InstantAnswer, workspace = new ViterbiWorkspace(chain)): InstantAnswer {
  const lagrangian = answer.lagrangian;
  if (!lagrangian || answer.status === 'optimal' || answer.status === 'infeasible') return answer;
  const seen = new Set<string>();
  const starts: { choice: Int32Array; cost: number }[] = [];
  for (const scaleSize of PERTURBATIONS) {
    for (const scaleBops of PERTURBATIONS) {
      const solution = workspace.solve(lagrangian.priceSize * scaleSize, lagrangian.priceBops * scaleBops);
      const key = solution.choice.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      const start = meetsBudgets(chain, solution.size, solution.bops) ? solution.choice : repair(chain, solution.choice);
      if (start) starts.push({ choice: start, cost: evaluateChoice(chain, start).cost });
    }
  }
  let best = answer.choice;
  let bestCost = answer.cost;
  for (const { choice } of starts.sort((a, b) => a.cost - b.cost).slice(0, 4)) {
    const improved = improve(chain, choice);
    const { cost } = evaluateChoice(chain, improved);
    if (cost < bestCost) {
      best = improved;
      bestCost = cost;
    }
  }
  if (!best) return answer;
  const status = isProvenOptimal(chain, bestCost, lagrangian.bound) ? 'optimal' : 'feasible';
  return { ...answer, choice: best, cost: bestCost, status, infeasibleReason: null };
}
