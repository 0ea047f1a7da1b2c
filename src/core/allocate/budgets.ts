/** Budgets in absolute units (METHOD.md, "The integer program": size and BOPs constraints, optional lower bounds). */
import type { AllocationProblem, ResolvedBudgets } from './types';
import type { ChainProblem } from './chain';
import { bitsToMegabytes, megabytesToBits } from './presets';

/**
 * Resolves a BudgetSpec against the units:
 * - size averageBits b̄ → (Σ p_i)·b̄ bits; megabytes → bits.
 * - BOPs averageBits b̄ → the BOPs of a uniform b̄-bit model: Σ MAC_i·b̄·a_i with a_i = b̄ when activations share
 *   the width (so Σ MAC_i·b̄²) or the unit's fixed activation width in weights-only mode.
 * - lowerBoundFraction f → each active budget B also gets a floor f·B.
 */
export function resolveBudgets(problem: AllocationProblem): ResolvedBudgets {
  const { units, budgets } = problem;
  let maxSizeBits: number | null = null;
  let maxBops: number | null = null;
  if (budgets.size) {
    if ('averageBits' in budgets.size) {
      maxSizeBits = units.reduce((sum, u) => sum + u.params, 0) * budgets.size.averageBits;
    } else {
      maxSizeBits = megabytesToBits(budgets.size.megabytes);
    }
  }
  if (budgets.bops) {
    if ('averageBits' in budgets.bops) {
      const b = budgets.bops.averageBits;
      maxBops = units.reduce((sum, u) => sum + u.macs * b * (u.activationBits ?? problem.activationBits ?? b), 0);
    } else {
      maxBops = budgets.bops.bops;
    }
  }
  const fraction = budgets.lowerBoundFraction ?? null;
  return {
    maxSizeBits,
    minSizeBits: fraction !== null && maxSizeBits !== null ? fraction * maxSizeBits : null,
    maxBops,
    minBops: fraction !== null && maxBops !== null ? fraction * maxBops : null,
  };
}

/**
 * A sentence saying why no allocation can meet the budgets, when the reachable extremes alone prove it;
 * null otherwise. (Size and BOPs both grow with every width, so the all-narrowest allocation is the smallest
 * in both: an upper budget below it, or a floor above the all-widest, can never be met.)
 */
export function explainUnreachableBudgets(chain: Pick<ChainProblem, 'budgets' | 'reach' | 'paramsTotal'>): string | null {
  const { budgets, reach } = chain;
  const tolerance = 1 + 1e-9;
  const reasons: string[] = [];
  if (budgets.maxSizeBits !== null && reach.minSizeBits > budgets.maxSizeBits * tolerance) {
    reasons.push(
      `the size budget of ${formatMegabytes(budgets.maxSizeBits)} is below the smallest reachable size, ` +
        `${formatMegabytes(reach.minSizeBits)} (${formatAverage(reach.minSizeBits, chain.paramsTotal)} bits per weight)`,
    );
  }
  if (budgets.maxBops !== null && reach.minBops > budgets.maxBops * tolerance) {
    reasons.push(
      `the BOPs budget of ${formatBops(budgets.maxBops)} is below the smallest reachable BOPs, ${formatBops(reach.minBops)}`,
    );
  }
  if (budgets.minSizeBits !== null && reach.maxSizeBits * tolerance < budgets.minSizeBits) {
    reasons.push(
      `the size floor of ${formatMegabytes(budgets.minSizeBits)} is above the largest reachable size, ${formatMegabytes(reach.maxSizeBits)}`,
    );
  }
  if (budgets.minBops !== null && reach.maxBops * tolerance < budgets.minBops) {
    reasons.push(`the BOPs floor of ${formatBops(budgets.minBops)} is above the largest reachable BOPs, ${formatBops(reach.maxBops)}`);
  }
  if (reasons.length === 0) return null;
  const sentence = reasons.join('; and ');
  return `No allocation fits: ${sentence}, with these candidate widths and locks.`;
}

export function formatMegabytes(bits: number): string {
  return `${trimmed(bitsToMegabytes(bits))} MB`;
}

export function formatBops(bops: number): string {
  if (bops >= 1e12) return `${trimmed(bops / 1e12)} TBOPs`;
  if (bops >= 1e9) return `${trimmed(bops / 1e9)} GBOPs`;
  if (bops >= 1e6) return `${trimmed(bops / 1e6)} MBOPs`;
  return `${trimmed(bops)} BOPs`;
}

function formatAverage(bits: number, params: number): string {
  return params > 0 ? trimmed(bits / params) : '0';
}

function trimmed(value: number): string {
  return Number(value.toPrecision(4)).toString();
}
