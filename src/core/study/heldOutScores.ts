/**
 * Scores on the study's held-out set as runQualityStudy computes them (studyRun.ts): every plan
 * evaluated on the point prompts, then on the box prompts (evaluate/evaluateRun.ts evaluatePlans), and
 * per plan the mIoU of each kind and of all prompts, against truth and against FP (table.ts studyRow).
 * The studio's Evaluate runs this in the quantization worker with progress and cancel.
 */
import { evaluatePlans, type EvaluationProgress, type EvaluationResult, type EvaluationRunOptions } from '../evaluate/evaluateRun';
import type { EvaluationPlan } from '../evaluate/evaluationPlans';
import { estimateEtaMs } from '../progress';
import type { SamRunner } from '../evaluate/quantizedSam';
import type { HeldOutSet, PromptKind } from './scenes';
import type { ByKind } from './table';

export const PROMPT_KINDS: readonly PromptKind[] = ['point', 'box'];

export interface HeldOutPlanScore {
  id: EvaluationPlan['id'];
  label: string;
  /** mIoU against the true objects. */
  miouTruth: ByKind;
  /** mIoU against the FP masks (1 for FP). */
  miouFp: ByKind;
}

export interface HeldOutScores {
  seeds: number[];
  objects: number;
  byKind: Record<PromptKind, EvaluationResult>;
  plans: HeldOutPlanScore[];
  elapsedMs: number;
}

function weighted(a: number, countA: number, b: number, countB: number): number {
  return (a * countA + b * countB) / (countA + countB);
}

export async function scoreHeldOut(
  runner: SamRunner,
  heldOut: HeldOutSet,
  plans: readonly EvaluationPlan[],
  options: EvaluationRunOptions = {},
): Promise<HeldOutScores> {
  const now = options.now ?? (() => Date.now());
  const started = now();
  const steps = PROMPT_KINDS.map((kind) => heldOut.byKind[kind].length * plans.length);
  const total = steps.reduce((a, b) => a + b, 0);
  const byKind = {} as Record<PromptKind, EvaluationResult>;
  let offset = 0;
  for (const [k, kind] of PROMPT_KINDS.entries()) {
    const before = offset;
    const name = kind === 'point' ? 'points' : 'boxes';
    byKind[kind] = await evaluatePlans(runner, heldOut.byKind[kind], plans, {
      ...options,
      onProgress: (progress: EvaluationProgress) => {
        const done = before + progress.done;
        const etaMs = done >= total ? 0 : estimateEtaMs(now() - started, done, total);
        const label = progress.label === 'Done' ? `${name} done` : `${name}: ${progress.label}`;
        options.onProgress?.({ ...progress, done, total, label, etaMs });
      },
    });
    offset += steps[k];
  }
  const { point, box } = byKind;
  return {
    seeds: heldOut.seeds,
    objects: heldOut.objects,
    byKind,
    plans: plans.map((plan, i) => {
      const truth = (kind: PromptKind) => {
        const value = byKind[kind].plans[i].miouTruth;
        if (value === null) throw new Error(`No ${kind} prompt of the held-out set has a true mask.`);
        return value;
      };
      const fp = (kind: PromptKind) => byKind[kind].plans[i].miouFp;
      return {
        id: plan.id,
        label: plan.label,
        miouTruth: { point: truth('point'), box: truth('box'), all: weighted(truth('point'), point.promptsWithTruth, truth('box'), box.promptsWithTruth) },
        miouFp: { point: fp('point'), box: fp('box'), all: weighted(fp('point'), point.prompts, fp('box'), box.prompts) },
      };
    }),
    elapsedMs: now() - started,
  };
}
