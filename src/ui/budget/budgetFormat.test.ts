import { describe, expect, it } from 'vitest';
import type { AllocationResult } from '../../core/allocate';
import { certificateText, formatGap, formatLambda, formatSizeBits, lambdaFromPosition, positionFromLambda, solveBadge } from './budgetFormat';

function result(patch: Partial<AllocationResult>): AllocationResult {
  return {
    status: 'feasible',
    method: 'instant',
    sense: 'maximize',
    bits: [4, 4],
    objective: 1,
    bound: 1.0003,
    gap: 3e-4,
    sizeBits: 8e6,
    bops: 1e9,
    budgets: { maxSizeBits: 8e6, minSizeBits: null, maxBops: null, minBops: null },
    reach: { minSizeBits: 4e6, maxSizeBits: 12e6, minBops: 2.5e8, maxBops: 2.25e9 },
    infeasibleReason: null,
    elapsedMs: 12,
    ...patch,
  };
}

describe('certificate line', () => {
  const byBound = { by: 'Lagrangian bound', solver: null, solverStatus: null, solverGap: null } as const;
  it('names the solver that proved the allocation, with its own status and gap', () => {
    const highs = { by: 'HiGHS', solver: 'HiGHS', solverStatus: 'Optimal', solverGap: 0 } as const;
    expect(certificateText(result({ method: 'exact', status: 'optimal', gap: 0, elapsedMs: 412.4, certificate: highs }))).toBe(
      'exact: proven optimal by HiGHS (Optimal, gap 0%) in 412 ms',
    );
    const glpk = { by: 'glpk.js', solver: 'glpk.js', solverStatus: 'GLP_OPT', solverGap: 0 } as const;
    expect(certificateText(result({ method: 'exact', status: 'optimal', gap: 0, elapsedMs: 1234, certificate: glpk }))).toBe(
      'exact: proven optimal by glpk.js (GLP_OPT, gap 0%) in 1234 ms',
    );
    expect(certificateText(result({ method: 'exact', status: 'optimal', gap: 0, elapsedMs: 8, certificate: byBound }))).toBe(
      'exact: proven optimal by the Lagrangian bound in 8 ms',
    );
  });

  it('says which solver stopped, and whose bound certifies the gap', () => {
    const stopped = { by: 'Lagrangian bound', solver: 'HiGHS', solverStatus: 'Time limit reached', solverGap: 2e-4 } as const;
    expect(certificateText(result({ method: 'exact', elapsedMs: 10_020, certificate: stopped }))).toBe(
      'exact: HiGHS stopped (Time limit reached, gap 0.02%) after 10.0 s; gap ≤ 0.03% by the Lagrangian bound',
    );
    expect(certificateText(result({ method: 'exact', elapsedMs: 10_020, certificate: { ...stopped, by: 'HiGHS' } }))).toMatch(/by HiGHS's bound$/);
    expect(certificateText(result({ elapsedMs: 0.4, certificate: byBound }))).toBe('instant in <1 ms; gap ≤ 0.03% by the Lagrangian bound');
  });
});

describe('solver badge', () => {
  it('says optimal, a gap while refining, and a gap when the exact solver stopped at its limit', () => {
    expect(solveBadge('done', result({ status: 'optimal', gap: 0 }), null)).toMatchObject({ tone: 'ok', text: 'optimal' });
    expect(solveBadge('refining', result({}), null)).toMatchObject({ tone: 'busy', text: 'gap 0.03% · refining…' });
    expect(solveBadge('done', result({ method: 'exact' }), null)).toMatchObject({ tone: 'warn', text: 'gap 0.03%' });
  });

  it('names the smallest reachable size and BOPs when infeasible', () => {
    const badge = solveBadge('done', result({ status: 'infeasible', bits: null, infeasibleReason: 'No allocation fits: …' }), null);
    // 4e6 bits = 0.5 MB; 2.5e8 BOPs = 250 MBOPs
    expect(badge).toEqual({ tone: 'error', text: 'infeasible: smallest reachable size 0.500 MB / BOPs 250 MBOPs', detail: 'No allocation fits: …' });
  });

  it('never describes an answer while a newer request is solving, and explains a blocked panel', () => {
    expect(solveBadge('solving', result({ status: 'optimal' }), null).text).toBe('solving…');
    expect(solveBadge('blocked', null, 'Run Analyze to measure importance; the budget needs it.')).toEqual({
      tone: 'idle',
      text: 'waiting for analysis',
      detail: 'Run Analyze to measure importance; the budget needs it.',
    });
  });
});

describe('formats', () => {
  it('formats gaps and sizes', () => {
    expect(formatGap(0)).toBe('0%');
    expect(formatGap(3e-4)).toBe('0.03%');
    expect(formatGap(1e-8)).toBe('<0.01%');
    expect(formatGap(0.1234)).toBe('12.3%');
    expect(formatSizeBits(6_720_000)).toBe('0.840 MB');
  });

  it('maps λ to quarter-decade slider positions and back', () => {
    expect(lambdaFromPosition(0)).toBe(0);
    expect(lambdaFromPosition(36)).toBe(1);
    expect(lambdaFromPosition(32)).toBe(0.1);
    expect(lambdaFromPosition(31)).toBe(0.0562);
    expect(positionFromLambda(0.1)).toBe(32);
    expect(positionFromLambda(0)).toBe(0);
    expect(positionFromLambda(1e-12)).toBe(1);
    for (let p = 1; p <= 36; p++) expect(positionFromLambda(lambdaFromPosition(p))).toBe(p);
    expect(formatLambda(0.1)).toBe('0.1');
    expect(formatLambda(3.16e-5)).toBe('3.16e-5');
  });
});
