/**
 * The Evaluate table of the studio (src/ui/preview/EvaluateTables.tsx) as text and as JSON: per plan (FP, the
 * best uniform width within the budgets, the mixed allocation) mIoU against the true objects where known and
 * against the full-precision masks.
 */
import type { EvaluationResult } from '../src/core/evaluate/evaluateRun';
import type { HeldOutScores } from '../src/core/study/heldOutScores';

export interface EvaluationRow {
  id: 'fp' | 'uniform' | 'mixed';
  label: string;
  /** mIoU against the true objects (null: no prompt has one, e.g. the user's own images). */
  miouTruth: number | null;
  /** Held-out set only: against the true objects, points and boxes apart. */
  miouTruthPoint?: number;
  miouTruthBox?: number;
  /** mIoU against the full-precision masks over every prompt. */
  miouFp: number;
}

const cell = (value: number | null | undefined, width: number) => (value === null || value === undefined ? '—' : value.toFixed(3)).padStart(width);

export function rowsOfImages(result: EvaluationResult): EvaluationRow[] {
  return result.plans.map((plan) => ({ id: plan.id, label: plan.label, miouTruth: plan.miouTruth, miouFp: plan.miouFp }));
}

export function rowsOfHeldOut(scores: HeldOutScores): EvaluationRow[] {
  return scores.plans.map((plan) => ({
    id: plan.id,
    label: plan.label,
    miouTruth: plan.miouTruth.all,
    miouTruthPoint: plan.miouTruth.point,
    miouTruthBox: plan.miouTruth.box,
    miouFp: plan.miouFp.all,
  }));
}

export function formatEvaluationTable(rows: readonly EvaluationRow[]): string {
  const heldOut = rows.some((row) => row.miouTruthPoint !== undefined);
  const labelWidth = Math.max(5, ...rows.map((row) => row.label.length));
  const head = heldOut
    ? ['Model'.padEnd(labelWidth), 'truth points'.padStart(12), 'truth boxes'.padStart(11), 'truth all'.padStart(9), 'mIoU vs FP'.padStart(10)]
    : ['Model'.padEnd(labelWidth), 'mIoU truth'.padStart(10), 'mIoU vs FP'.padStart(10)];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const body = rows.map((row) =>
    line(
      heldOut
        ? [row.label.padEnd(labelWidth), cell(row.miouTruthPoint, 12), cell(row.miouTruthBox, 11), cell(row.miouTruth, 9), cell(row.miouFp, 10)]
        : [row.label.padEnd(labelWidth), cell(row.miouTruth, 10), cell(row.miouFp, 10)],
    ),
  );
  return [line(head), line(head.map((text) => '-'.repeat(text.length))), ...body].join('\n');
}
