/**
 * The study's table: one row per model (FP, uniform, mixed) and post-softmax quantizer setting, with
 * mIoU against the true objects and against the FP masks, split by prompt kind; the targets the study
 * is held to; the markdown written under bench/results/.
 */
import type { AllocationStatus } from '../allocate';
import type { EvaluationResult, PlanScore } from '../evaluate/evaluateRun';
import type { BudgetUse, ObjectiveMode, StudyBudget } from './plan';
import type { PromptKind } from './scenes';
import type { WeightRounding } from '../analysis/settings';

/** One model of the study before evaluation. */
export interface ModelSpec {
  id: string;
  label: string;
  kind: 'fp' | 'uniform' | 'mixed';
  budget: StudyBudget | null;
  mode: ObjectiveMode | null;
  /** Widths in analysis unit order; null for FP. */
  bits: number[] | null;
  use: BudgetUse | null;
  solver: { status: AllocationStatus; gap: number | null; elapsedMs: number; widths: Record<number, number> } | null;
}

export interface ByKind {
  point: number;
  box: number;
  /** Over every prompt (points and boxes together). */
  all: number;
}

export interface StudyRow {
  id: string;
  label: string;
  kind: ModelSpec['kind'];
  budget: string | null;
  budgetBits: number | null;
  mode: ObjectiveMode | null;
  /** Post-softmax log2 quantizer on/off; null for FP. */
  log2: boolean | null;
  /** How weights were rounded (nearest, or GPTQ); null for FP. */
  rounding: WeightRounding | null;
  /** Present (true) on rows whose biases were corrected for the quantization's mean shift. */
  biasCorrection?: boolean;
  averageWeightBits: number | null;
  bopsEquivalentBits: number | null;
  sizeBits: number | null;
  bops: number | null;
  /** Units per width (mixed and uniform rows). */
  widths: Record<number, number> | null;
  solverStatus: AllocationStatus | null;
  /** mIoU against the true object masks. */
  miouTruth: ByKind;
  /** mIoU against the FP model's masks (1 for FP). */
  miouFp: ByKind;
  /** miouTruth.all / FP's miouTruth.all. */
  relativeToFp: number;
}

function combine(point: number, pointCount: number, box: number, boxCount: number): number {
  return (point * pointCount + box * boxCount) / (pointCount + boxCount);
}

/** How a quantized row was quantized: post-softmax quantizer and weight rounding. */
export interface RowQuantizer {
  log2: boolean;
  rounding: WeightRounding;
  /** Bias correction on (quant/bias-correction.ts); off when absent. */
  biasCorrection?: boolean;
}

/** A row from one model's scores on the point and box prompt sets (every held-out prompt has a truth). */
export function studyRow(
  model: ModelSpec,
  quantized: RowQuantizer | null,
  scores: Record<PromptKind, PlanScore>,
  runs: Record<PromptKind, Pick<EvaluationResult, 'prompts' | 'promptsWithTruth'>>,
): StudyRow {
  const truth = (kind: PromptKind) => {
    const value = scores[kind].miouTruth;
    if (value === null) throw new Error(`No ${kind} prompt of the held-out set has a true mask.`);
    return value;
  };
  const withTruth = { point: runs.point.promptsWithTruth, box: runs.box.promptsWithTruth };
  const prompts = { point: runs.point.prompts, box: runs.box.prompts };
  const log2 = quantized?.log2 ?? null;
  const gptq = quantized?.rounding === 'gptq';
  const corrected = quantized?.biasCorrection === true;
  const suffix = log2 === null ? '' : `${log2 ? ' · log2' : ' · uniform softmax'}${gptq ? ' · GPTQ' : ''}${corrected ? ' · bias corrected' : ''}`;
  return {
    id: log2 === null ? model.id : `${model.id}${log2 ? '-log2' : '-nolog2'}${gptq ? '-gptq' : ''}${corrected ? '-bc' : ''}`,
    label: `${model.label}${suffix}`,
    kind: model.kind,
    budget: model.budget?.label ?? null,
    budgetBits: model.budget?.bits ?? null,
    mode: model.mode,
    log2,
    rounding: quantized?.rounding ?? null,
    ...(corrected ? { biasCorrection: true } : {}),
    averageWeightBits: model.use?.averageWeightBits ?? null,
    bopsEquivalentBits: model.use?.bopsEquivalentBits ?? null,
    sizeBits: model.use?.sizeBits ?? null,
    bops: model.use?.bops ?? null,
    widths: model.solver?.widths ?? (model.bits ? { [model.bits[0]]: model.bits.length } : null),
    solverStatus: model.solver?.status ?? null,
    miouTruth: { point: truth('point'), box: truth('box'), all: combine(truth('point'), withTruth.point, truth('box'), withTruth.box) },
    miouFp: {
      point: scores.point.miouFp,
      box: scores.box.miouFp,
      all: combine(scores.point.miouFp, prompts.point, scores.box.miouFp, prompts.box),
    },
    relativeToFp: NaN,
  };
}

export interface TargetCheck {
  name: string;
  /** The figure the target is about, and what it must reach. */
  value: number;
  required: number;
  met: boolean;
  /** The rows compared. */
  rows: string[];
}

/** The best mixed row at a budget (over modes), for one log2 setting and rounding. */
function bestMixed(rows: readonly StudyRow[], budget: string, log2: boolean, rounding: WeightRounding = 'nearest'): StudyRow | null {
  const mixed = rows.filter((row) => row.kind === 'mixed' && row.budget === budget && row.log2 === log2 && row.rounding === rounding);
  return mixed.reduce<StudyRow | null>((best, row) => (!best || row.miouTruth.all > best.miouTruth.all ? row : best), null);
}

/**
 * The study's targets, per log2 setting: mixed at the W4A4 budget reaches ≥ 1.2 × uniform W4A4 mIoU;
 * mixed at the W6A6 budget stays within 1% of FP mIoU (both over all prompts, against truth).
 */
export function checkTargets(rows: readonly StudyRow[]): TargetCheck[] {
  const fp = rows.find((row) => row.kind === 'fp');
  const checks: TargetCheck[] = [];
  for (const log2 of [...new Set(rows.filter((row) => row.log2 !== null).map((row) => row.log2 as boolean))]) {
    const tag = log2 ? 'log2 on' : 'log2 off';
    const uniform4 = rows.find((row) => row.kind === 'uniform' && row.budget === 'W4A4' && row.log2 === log2 && row.rounding === 'nearest');
    const mixed4 = bestMixed(rows, 'W4A4', log2);
    if (uniform4 && mixed4) {
      const ratio = mixed4.miouTruth.all / uniform4.miouTruth.all;
      checks.push({ name: `W4A4 budget (${tag}): best mixed / uniform mIoU`, value: ratio, required: 1.2, met: ratio >= 1.2, rows: [mixed4.id, uniform4.id] });
    }
    const mixed6 = bestMixed(rows, 'W6A6', log2);
    if (fp && mixed6) {
      const ratio = mixed6.miouTruth.all / fp.miouTruth.all;
      checks.push({ name: `W6A6 budget (${tag}): best mixed / FP mIoU`, value: ratio, required: 0.99, met: ratio >= 0.99, rows: [mixed6.id, fp.id] });
    }
  }
  if (fp) checks.push(...roundingTargets(rows, fp));
  return checks;
}

/** mIoU / FP's each GPTQ row must reach (beyond round-to-nearest): [row kind, budget, log2, required]. */
const GPTQ_TARGETS: readonly [StudyRow['kind'], string, boolean, number][] = [
  ['mixed', 'W6A6', true, 0.995],
  ['mixed', 'W6A6', false, 0.995],
  ['mixed', 'W4A4', true, 0.98],
  ['mixed', 'W4A4', false, 0.95],
  ['mixed', 'W3A3', true, 0.9],
  ['uniform', 'W4A4', true, 0.95],
];

/** The targets of error-compensated rounding, on the rows the study scored with GPTQ. */
function roundingTargets(rows: readonly StudyRow[], fp: StudyRow): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [kind, budget, log2, required] of GPTQ_TARGETS) {
    const row =
      kind === 'mixed' ? bestMixed(rows, budget, log2, 'gptq') : rows.find((r) => r.kind === kind && r.budget === budget && r.log2 === log2 && r.rounding === 'gptq');
    if (!row) continue;
    const value = row.miouTruth.all / fp.miouTruth.all;
    checks.push({ name: `${budget} ${kind === 'mixed' ? 'best mixed' : 'uniform'} (log2 ${log2 ? 'on' : 'off'}, GPTQ) / FP mIoU`, value, required, met: value >= required, rows: [row.id, fp.id] });
  }
  return checks;
}

const percent = (value: number | null) => (value === null || !Number.isFinite(value) ? '—' : (100 * value).toFixed(1));
const fixed = (value: number | null, digits = 2) => (value === null || !Number.isFinite(value) ? '—' : value.toFixed(digits));

function widthsText(widths: Record<number, number> | null): string {
  if (!widths) return '—';
  return Object.entries(widths)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([bits, count]) => `${bits}:${count}`)
    .join(' ');
}

/** Column titles of the study table (mIoU in %). */
export const TABLE_COLUMNS = ['model', 'softmax·v', 'weights', 'avg W bits', 'BOPs bits', 'mIoU points', 'mIoU boxes', 'mIoU all', '% of FP', 'IoU vs FP masks', 'widths (bits:units)'] as const;

/** One row's cells, as TABLE_COLUMNS lists them. */
export function tableCells(row: StudyRow): string[] {
  return [
    row.kind === 'fp' ? 'FP32' : row.kind === 'uniform' ? `uniform ${row.budget}` : `mixed ${row.mode === 'paper' ? 'Ω (paper)' : 'σ (sensitivity)'} @ ${row.budget}`,
    row.log2 === null ? '—' : row.log2 ? 'log2' : 'uniform',
    row.rounding === null ? '—' : `${row.rounding === 'gptq' ? 'GPTQ' : 'nearest'}${row.biasCorrection ? ' + bias corr.' : ''}`,
    fixed(row.averageWeightBits),
    fixed(row.bopsEquivalentBits),
    percent(row.miouTruth.point),
    percent(row.miouTruth.box),
    percent(row.miouTruth.all),
    percent(row.relativeToFp),
    percent(row.miouFp.all),
    widthsText(row.kind === 'fp' ? null : row.widths),
  ];
}

/** The table as GitHub markdown (mIoU in %). */
export function markdownTable(rows: readonly StudyRow[]): string {
  const header = `| ${TABLE_COLUMNS.join(' | ')} |\n|---|---|---|${TABLE_COLUMNS.slice(3, -1).map(() => '---:').join('|')}|---|`;
  return [header, ...rows.map((row) => `| ${tableCells(row).join(' | ')} |`)].join('\n');
}

/** A target in words: "met: … = 1.790 (needs ≥ 1.2)". */
export function targetText(check: TargetCheck): string {
  return `${check.met ? 'met' : 'MISSED'}: ${check.name} = ${check.value.toFixed(3)} (needs ≥ ${check.required})`;
}

/** The targets as a markdown list. */
export function markdownTargets(checks: readonly TargetCheck[]): string {
  return checks.map((check) => `- ${targetText(check)}`).join('\n');
}
