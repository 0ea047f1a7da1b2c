/**
 * The exact path. First the chain's own branch and bound (chainSearch.ts): from the instant answer, with the
 * Lagrangian bounds, it proves most problems optimal in well under a second. When it stops unproven (its label
 * or time limit), the flow MILP (milp.ts) solved by HiGHS or glpk.js (milpEngines.ts) takes over, seeded with
 * the best allocation known; `chainSearch: false` runs the MILP alone (the independent check in tests and in
 * the studio's glpk.js lane).
 *
 * The MILP is seeded with the instant answer. The instant allocation gives an upper bound and the Lagrangian multipliers a lower bound per option
 * (min-marginals): every option or consecutive pair whose bound exceeds the known allocation's cost cannot be
 * in a better one and is left out of the MILP (Lagrangian variable fixing), and a cutoff row prunes the rest of
 * the search. A wider primal search (`intensify`) first makes that allocation cheaper, so fixing removes more.
 * HiGHS also starts from that allocation (glpk.js cannot take a start).
 *
 * The solver is passed in (milpEngines.ts): in Node from node_modules, in the app from solver.worker.ts.
 */
import type { AllocationProblem, AllocationResult } from './types';
import type { ChainProblem } from './chain';
import { compileChain, evaluateChoice, meetsBudgets } from './chain';
import { intensify, solveInstantChain, type InstantAnswer } from './instant';
import { buildFlowModel } from './milp';
import type { MilpEngine, MilpRun } from './milpEngines';
import { costSpread, dualOffset } from './lagrangian';
import { ViterbiWorkspace } from './viterbi';
import { isProvenOptimal, toResult, type InternalAnswer } from './results';
import { searchChain, type ChainSearchResult } from './chainSearch';
import { nowMs } from './clock';

export interface ExactOptions {
  /** The MILP solver's time limit in seconds (default 10). At the limit the best allocation found so far is returned. */
  timeLimitS?: number;
  /** Leave out options that the Lagrangian bound rules out (default true). */
  fixVariables?: boolean;
  /** Add the row cost ≤ instant cost (default true). */
  cutoffRow?: boolean;
  /** Search wider for a cheaper starting allocation before building the MILP (default true). */
  intensify?: boolean;
  /** Start the solver from the instant allocation, where it can take one (default true). */
  warmStart?: boolean;
  /**
   * Run the chain's branch and bound (chainSearch.ts) before the MILP (default true); the MILP runs only when
   * it stops unproven. false: the MILP alone.
   */
  chainSearch?: boolean;
  /** The chain search's own limit in seconds (default: half of timeLimitS); the MILP gets the time left. */
  chainSearchLimitS?: number;
}

export const CHAIN_SEARCH_NAME = 'chain branch and bound';

/** Diagnostics of one exact solve, for benchmarks. */
export interface ExactDiagnostics {
  /** What the MILP solver returned, or null when it was not needed (instant answer proven optimal, or infeasible). */
  milp: MilpRun | null;
  variableUnits: number;
  binaries: number;
  /** The instant path's own answer, before the wider search. */
  instant: InstantAnswer;
  /** What the chain search did, or null when it did not run. */
  chainSearch: ChainSearchResult | null;
}

/**
 * `engine` null: the chain search alone (no MILP behind it); when it stops unproven the answer is the best
 * allocation known, 'feasible' with the Lagrangian bound.
 */
export async function solveExact(problem: AllocationProblem, engine: MilpEngine | null, options: ExactOptions = {}): Promise<AllocationResult> {
  const started = nowMs();
  const chain = compileChain(problem);
  const { answer } = await solveExactChain(chain, engine, options);
  return toResult(chain, 'exact', answer, nowMs() - started);
}

export async function solveExactChain(
  chain: ChainProblem,
  engine: MilpEngine | null,
  options: ExactOptions = {},
): Promise<{ answer: InternalAnswer; diagnostics: ExactDiagnostics }> {
  const started = nowMs();
  const workspace = new ViterbiWorkspace(chain);
  const quick = solveInstantChain(chain, workspace);
  const diagnostics: ExactDiagnostics = { milp: null, variableUnits: 0, binaries: 0, instant: quick, chainSearch: null };
  if (quick.status === 'infeasible' || quick.status === 'optimal') return { answer: quick, diagnostics };
  let instant = (options.intensify ?? true) ? intensify(chain, quick, workspace) : quick;
  if (instant.status === 'optimal') return { answer: instant, diagnostics };
  const timeLimitS = options.timeLimitS ?? 10;

  if ((options.chainSearch ?? true) || !engine) {
    const lagrangian = instant.lagrangian;
    const limitS = options.chainSearchLimitS ?? (engine ? timeLimitS / 2 : timeLimitS);
    const search = searchChain(
      chain,
      instant.choice ? { choice: instant.choice, cost: instant.cost } : null,
      { priceSize: lagrangian?.priceSize ?? 0, priceBops: lagrangian?.priceBops ?? 0, bound: instant.bound },
      { timeLimitMs: Math.max(0, limitS * 1000 - (nowMs() - started)) },
      workspace,
    );
    diagnostics.chainSearch = search;
    const certificate = { by: CHAIN_SEARCH_NAME, solver: null, solverStatus: null, solverGap: null } as const;
    if (search.proven && search.choice) {
      return { answer: { choice: search.choice, bound: search.bound, status: 'optimal', infeasibleReason: null, certificate }, diagnostics };
    }
    if (search.proven) {
      const reason = 'No allocation fits: no combination of the candidate widths meets the budget floors and ceilings together.';
      return { answer: { choice: null, bound: Infinity, status: 'infeasible', infeasibleReason: reason, certificate }, diagnostics };
    }
    // Stopped unproven: whatever it found seeds the MILP (or is the answer, without one).
    if (search.choice && search.cost < instant.cost) {
      const status = isProvenOptimal(chain, search.cost, instant.bound) ? 'optimal' : 'feasible';
      instant = { ...instant, choice: search.choice, cost: search.cost, status, infeasibleReason: null };
      if (status === 'optimal') return { answer: instant, diagnostics };
    }
    if (!engine) {
      if (instant.choice) return { answer: { ...instant, certificate: { ...certificate, by: 'Lagrangian bound' } }, diagnostics };
      const reason = `The ${CHAIN_SEARCH_NAME} stopped (${search.stopped}) before finding an allocation; infeasibility is not proven.`;
      return { answer: { choice: null, bound: instant.bound, status: 'unknown', infeasibleReason: reason, certificate: null }, diagnostics };
    }
  }

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
  const model = buildFlowModel(chain, {
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

  const milpLimitS = Math.max(0.05, timeLimitS - (nowMs() - started) / 1000);
  const start = (options.warmStart ?? true) && instant.choice ? model.encode(instant.choice) : undefined;
  const run = await engine.solve(model.lp, { timeLimitS: milpLimitS, start });
  diagnostics.milp = run;
  const certificate = { by: engine.name, solver: engine.name, solverStatus: run.solverStatus, solverGap: run.solverGap };

  let choice = instant.choice;
  let cost = instant.cost;
  if (run.values && (run.status === 'optimal' || run.status === 'feasible')) {
    const candidate = model.decode(run.values);
    const score = evaluateChoice(chain, candidate);
    if (meetsBudgets(chain, score.size, score.bops) && score.cost < cost) {
      choice = candidate;
      cost = score.cost;
    }
  }
  if (run.status === 'optimal' && choice) {
    return { answer: { choice, bound: cost, status: 'optimal', infeasibleReason: null, certificate }, diagnostics };
  }
  const hitTimeLimit = run.seconds >= milpLimitS * 0.99;
  if (!choice) {
    if (run.status === 'infeasible' || (run.status !== 'feasible' && !hitTimeLimit)) {
      const reason = 'No allocation fits: no combination of the candidate widths meets the budget floors and ceilings together.';
      return { answer: { choice: null, bound: Infinity, status: 'infeasible', infeasibleReason: reason, certificate }, diagnostics };
    }
    const reason = `No allocation was found within the ${timeLimitS} s time limit; infeasibility is not proven.`;
    return { answer: { choice: null, bound: instant.bound, status: 'unknown', infeasibleReason: reason, certificate: null }, diagnostics };
  }
  // Time limit (or a solver hiccup): the best allocation known, with the better of the Lagrangian bound and the
  // solver's own bound as its certificate.
  const solverBound = run.dualBound === null ? -Infinity : model.objectiveConstant + run.dualBound / model.objectiveScale;
  const bound = Math.max(instant.bound, Math.min(solverBound, cost));
  return {
    answer: {
      choice,
      bound,
      status: 'feasible',
      infeasibleReason: null,
      certificate: solverBound > instant.bound ? certificate : { ...certificate, by: 'Lagrangian bound' },
    },
    diagnostics,
  };
}
