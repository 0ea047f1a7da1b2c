/**
 * The exact path: the flow MILP (milp.ts) solved by glpk.js, seeded with the instant answer. The instant
 * allocation gives an upper bound and the Lagrangian multipliers a lower bound per option (min-marginals):
 * every option or consecutive pair whose bound exceeds the known allocation's cost cannot be in a better one
 * and is left out of the MILP (Lagrangian variable fixing), and a cutoff row prunes the rest of the search.
 * A wider primal search (`intensify`) first makes that allocation cheaper, so fixing removes more.
 *
 * glpk is passed in: `glpk.js/node` in Node, the browser build (its own worker) in the app.
 */
import type { LP, Options, Result } from 'glpk.js';
import type { AllocationProblem, AllocationResult } from './types';
import type { ChainProblem } from './chain';
import { compileChain, evaluateChoice, meetsBudgets } from './chain';
import { intensify, solveInstantChain, type InstantAnswer } from './instant';
import { buildFlowModel, type GlpkConstants } from './milp';
import { costSpread, dualOffset } from './lagrangian';
import { ViterbiWorkspace } from './viterbi';
import { toResult, type InternalAnswer } from './results';
import { nowMs } from './clock';

/** What solveExact needs from glpk.js: its constants and `solve`, synchronous (Node) or not (browser). */
export interface GlpkSolver extends GlpkConstants {
  GLP_OPT: number;
  GLP_FEAS: number;
  GLP_NOFEAS: number;
  solve(lp: LP, options?: number | Options): Result | Promise<Result>;
}

export interface ExactOptions {
  /** glpk's time limit in seconds (default 10). At the limit the best allocation found so far is returned. */
  timeLimitS?: number;
  /** Leave out options that the Lagrangian bound rules out (default true). */
  fixVariables?: boolean;
  /** Add the row cost ≤ instant cost (default true). */
  cutoffRow?: boolean;
  /** Search wider for a cheaper starting allocation before building the MILP (default true). */
  intensify?: boolean;
}

/** Diagnostics of one exact solve, for benchmarks. */
export interface ExactDiagnostics {
  /** glpk's status code, or null when glpk was not needed (instant answer proven optimal, or infeasible). */
  glpkStatus: number | null;
  variableUnits: number;
  binaries: number;
  /** The instant path's own answer, before the wider search. */
  instant: InstantAnswer;
}

export async function solveExact(problem: AllocationProblem, glpk: GlpkSolver, options: ExactOptions = {}): Promise<AllocationResult> {
  const started = nowMs();
  const chain = compileChain(problem);
  const { answer } = await solveExactChain(chain, glpk, options);
  return toResult(chain, 'exact', answer, nowMs() - started);
}

export async function solveExactChain(
  chain: ChainProblem,
  glpk: GlpkSolver,
  options: ExactOptions = {},
): Promise<{ answer: InternalAnswer; diagnostics: ExactDiagnostics }> {
  const workspace = new ViterbiWorkspace(chain);
  const quick = solveInstantChain(chain, workspace);
  const diagnostics: ExactDiagnostics = { glpkStatus: null, variableUnits: 0, binaries: 0, instant: quick };
  if (quick.status === 'infeasible' || quick.status === 'optimal') return { answer: quick, diagnostics };
  const instant = (options.intensify ?? true) ? intensify(chain, quick, workspace) : quick;
  if (instant.status === 'optimal') return { answer: instant, diagnostics };

  const spread = costSpread(chain) || 1;
  const slack = 1e-9 * (Math.abs(instant.cost) + spread);
  let allowedOption: Uint8Array | undefined;
  let allowedPair: ((i: number, j: number, k: number) => boolean) | undefined;
  if ((options.fixVariables ?? true) && instant.choice && instant.lagrangian) {
    const { priceSize, priceBops } = instant.lagrangian;
    const marginals = workspace.minMarginals(priceSize, priceBops);
    const offset = dualOffset(chain, priceSize, priceBops);
    const limit = instant.cost + slack;
    const allowed = new Uint8Array(marginals.length);
    for (let k = 0; k < marginals.length; k++) allowed[k] = marginals[k] + offset <= limit ? 1 : 0;
    allowedOption = allowed;
    allowedPair = (i, j, k) => workspace.pairMinimum(i, j, k) + offset <= limit;
  }
  const model = buildFlowModel(chain, glpk, {
    allowedOption,
    allowedPair,
    cutoff: (options.cutoffRow ?? true) && instant.choice ? instant.cost + slack : undefined,
    objectiveScale: chain.unitCount / spread,
  });
  diagnostics.variableUnits = model.variableUnits;
  diagnostics.binaries = model.lp.binaries?.length ?? 0;
  if (model.variableUnits === 0) {
    // Fixing left one option per unit: the instant allocation is the only one that can be optimal.
    return { answer: { ...instant, status: 'optimal', bound: instant.cost }, diagnostics };
  }

  const timeLimitS = options.timeLimitS ?? 10;
  const result = await glpk.solve(model.lp, { tmlim: timeLimitS, presol: true, msglev: 0 });
  const status = result.result.status;
  diagnostics.glpkStatus = status;

  let choice = instant.choice;
  let cost = instant.cost;
  if (status === glpk.GLP_OPT || status === glpk.GLP_FEAS) {
    const candidate = model.decode(result.result.vars);
    const score = evaluateChoice(chain, candidate);
    if (meetsBudgets(chain, score.size, score.bops) && score.cost < cost) {
      choice = candidate;
      cost = score.cost;
    }
  }
  if (status === glpk.GLP_OPT && choice) {
    return { answer: { choice, bound: cost, status: 'optimal', infeasibleReason: null }, diagnostics };
  }
  const hitTimeLimit = result.time >= timeLimitS * 0.99;
  if (!choice) {
    if (status === glpk.GLP_NOFEAS || (status !== glpk.GLP_FEAS && !hitTimeLimit)) {
      const reason = 'No allocation fits: no combination of the candidate widths meets the budget floors and ceilings together.';
      return { answer: { choice: null, bound: Infinity, status: 'infeasible', infeasibleReason: reason }, diagnostics };
    }
    const reason = `No allocation was found within the ${timeLimitS} s time limit; infeasibility is not proven.`;
    return { answer: { choice: null, bound: instant.bound, status: 'unknown', infeasibleReason: reason }, diagnostics };
  }
  // Time limit (or a solver hiccup): the best allocation known, with the Lagrangian bound as its certificate.
  return { answer: { choice, bound: instant.bound, status: 'feasible', infeasibleReason: null }, diagnostics };
}
