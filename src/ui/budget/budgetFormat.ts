/**
 * Words and numbers of the budget panel: the solver badge, the λ slider's log positions, size and BOPs in the
 * units people read. Pure, so Node tests pin them.
 */
import { formatBops, type AllocationResult } from '../../core/allocate';
import { formatMegabytesOfBits } from '../../core/displayUnits';
import type { AllocationPhase } from '../../state/budgetSlice';

export type BadgeTone = 'idle' | 'busy' | 'ok' | 'warn' | 'error';

export interface SolveBadge {
  tone: BadgeTone;
  /** Short: "optimal", "gap 0.03%", "solving…", "infeasible: …". */
  text: string;
  /** A sentence under the badge, when there is more to say. */
  detail: string | null;
}

/** "0.03%"; gaps under 0.005% (but not zero) read "<0.01%". */
export function formatGap(gap: number): string {
  if (gap <= 0) return '0%';
  const percent = gap * 100;
  if (percent < 0.005) return '<0.01%';
  return `${percent < 10 ? percent.toFixed(2) : percent.toFixed(1)}%`;
}

/** Megabytes (10⁶ bytes) of weights, written as the report writes them. */
export function formatSizeBits(bits: number): string {
  return formatMegabytesOfBits(bits);
}

export { formatBops };

/**
 * The badge for the allocation the controls describe now. `answer` must be the answer to the current request
 * (null while a newer one is being solved): a stale answer is never described as current.
 */
export function solveBadge(phase: AllocationPhase, answer: AllocationResult | null, message: string | null): SolveBadge {
  if (phase === 'blocked') return { tone: 'idle', text: 'waiting for analysis', detail: message };
  if (phase === 'error') return { tone: 'error', text: 'solver error', detail: message };
  if (phase === 'solving' || !answer) return { tone: 'busy', text: 'solving…', detail: null };
  if (answer.status === 'infeasible') {
    const { reach } = answer;
    return {
      tone: 'error',
      text: `infeasible: smallest reachable size ${formatSizeBits(reach.minSizeBits)} / BOPs ${formatBops(reach.minBops)}`,
      detail: answer.infeasibleReason,
    };
  }
  if (answer.status === 'unknown') {
    return phase === 'refining'
      ? { tone: 'busy', text: 'searching (exact solver)…', detail: answer.infeasibleReason }
      : { tone: 'error', text: 'no allocation found', detail: answer.infeasibleReason ?? message };
  }
  if (answer.status === 'optimal') return { tone: 'ok', text: 'optimal', detail: message };
  const gap = `gap ${formatGap(answer.gap ?? 0)}`;
  if (phase === 'refining') return { tone: 'busy', text: `${gap} · refining…`, detail: null };
  return { tone: 'warn', text: gap, detail: message ?? 'The exact solver stopped at its time limit; this is the best allocation it found.' };
}

const durationText = (ms: number) => (ms < 1 ? '<1 ms' : ms < 10_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);

/**
 * The certificate line under the badge: which path answered, who proved the answer (the Lagrangian bound, the
 * chain branch and bound, HiGHS or glpk.js, with a MILP solver's own status word), and how long it took. E.g.
 * "exact: proven optimal by HiGHS (Optimal, gap 0) in 412 ms"; "exact: glpk.js stopped (GLP_FEAS) after 10.0 s;
 * gap ≤ 0.02% by the Lagrangian bound".
 */
export function certificateText(result: AllocationResult): string {
  const path = result.method === 'exact' ? 'exact' : 'instant';
  const time = durationText(result.elapsedMs);
  const certificate = result.certificate ?? null;
  const solverWords = certificate?.solverStatus
    ? ` (${certificate.solverStatus}${certificate.solverGap !== null ? `, gap ${formatGap(certificate.solverGap)}` : ''})`
    : '';
  if (result.status === 'optimal') {
    const by = !certificate || certificate.by === 'Lagrangian bound' ? 'the Lagrangian bound' : certificate.by;
    return `${path}: proven optimal by ${by}${certificate && certificate.by !== 'Lagrangian bound' ? solverWords : ''} in ${time}`;
  }
  const gap = `gap ≤ ${formatGap(result.gap ?? 0)}`;
  if (result.method === 'instant') return `${path} in ${time}; ${gap} by the Lagrangian bound`;
  const bound = certificate && certificate.by !== 'Lagrangian bound' ? `${certificate.by}'s bound` : 'the Lagrangian bound';
  const stopped = certificate?.solver ? `${certificate.solver} stopped${solverWords} after ${time}` : `stopped after ${time}`;
  return `${path}: ${stopped}; ${gap} by ${bound}`;
}

/** The λ slider: position 0 is λ = 0, then a quarter decade per step up to λ = 1 at LAMBDA_POSITIONS. */
export const LAMBDA_POSITIONS = 36;

export function lambdaFromPosition(position: number): number {
  if (position <= 0) return 0;
  return Number((10 ** ((Math.min(position, LAMBDA_POSITIONS) - LAMBDA_POSITIONS) / 4)).toPrecision(3));
}

export function positionFromLambda(lambda: number): number {
  if (!(lambda > 0)) return 0;
  return Math.min(LAMBDA_POSITIONS, Math.max(1, Math.round(LAMBDA_POSITIONS + 4 * Math.log10(lambda))));
}

/** λ as the slider shows it: "0", "0.1", "3.16e-5". */
export function formatLambda(lambda: number): string {
  if (lambda === 0) return '0 (off)';
  return lambda >= 1e-3 ? String(Number(lambda.toPrecision(3))) : lambda.toExponential(2);
}
