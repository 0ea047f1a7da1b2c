/** Turns a solver's internal answer (option indices, minimized cost, lower bound) into an AllocationResult. */
import type { AllocationCertificate, AllocationResult, AllocationStatus } from './types';
import type { ChainProblem } from './chain';
import { absoluteTotals, choiceToBits, evaluateChoice } from './chain';
import { costSpread } from './lagrangian';

/** Relative difference between an allocation's cost and a bound below which it counts as proven optimal. */
export const OPTIMALITY_TOLERANCE = 1e-9;

/** Whether `cost` is within tolerance of the lower bound `bound` (both internal, minimized). */
export function isProvenOptimal(chain: ChainProblem, cost: number, bound: number): boolean {
  return cost - bound <= OPTIMALITY_TOLERANCE * Math.max(Math.abs(cost), Math.abs(bound)) + 1e-12 * costSpread(chain);
}

export interface InternalAnswer {
  choice: Int32Array | null;
  /** Certified lower bound on the internal cost (−Infinity when none, +Infinity when infeasible). */
  bound: number;
  status: AllocationStatus;
  infeasibleReason: string | null;
  /** Who proved status and bound; absent: the Lagrangian bound when there is an allocation, nobody otherwise. */
  certificate?: AllocationCertificate | null;
}

const BY_BOUND: AllocationCertificate = { by: 'Lagrangian bound', solver: null, solverStatus: null, solverGap: null };

export function toResult(chain: ChainProblem, method: 'instant' | 'exact', answer: InternalAnswer, elapsedMs: number): AllocationResult {
  const sense = chain.sign === -1 ? 'maximize' : 'minimize';
  const base = {
    method,
    sense,
    budgets: chain.budgets,
    reach: chain.reach,
    infeasibleReason: answer.infeasibleReason,
    elapsedMs,
  } as const;
  if (!answer.choice || (answer.status !== 'optimal' && answer.status !== 'feasible')) {
    return { ...base, certificate: answer.certificate ?? null, status: answer.status, bits: null, objective: null, bound: null, gap: null, sizeBits: null, bops: null };
  }
  const { cost } = evaluateChoice(chain, answer.choice);
  const { sizeBits, bops } = absoluteTotals(chain, answer.choice);
  const bound = Number.isFinite(answer.bound) ? Math.min(answer.bound, cost) : null;
  const gap = bound === null ? null : Math.max(0, cost - bound) / Math.max(Math.abs(cost), Math.abs(bound), 1e-300);
  return {
    ...base,
    certificate: answer.certificate ?? BY_BOUND,
    status: answer.status,
    bits: choiceToBits(chain, answer.choice),
    objective: chain.sign * cost,
    bound: bound === null ? null : chain.sign * bound,
    gap,
    sizeBits,
    bops,
  };
}
