/**
 * mIoU of each plan (FP, uniform, mixed) over the evaluation prompts, against ground truth where it is
 * known and against the full-precision masks everywhere. One encoder and one batched decoder run per
 * image and plan on the parametric sessions; cancellation is checked before every forward.
 */
import { promptFeeds } from '../analysis/analysisModel';
import { singleMaskPrompts } from '../analysis/calibrationFeeds';
import type { BinaryMask } from '../image/rgbaImage';
import { toOrtFeeds, type OrtFeeds } from '../onnx/ort';
import { CancelledError, estimateEtaMs, type Progress } from '../progress';
import type { Allocation } from '../quant/config';
import type { EvaluationItem } from './evaluationItems';
import type { EvaluationPlan } from './evaluationPlans';
import { maskAgreement, meanIoU } from './maskAgreement';
import { promptMasks } from './promptMasks';
import type { SamRunner } from './quantizedSam';

export interface PlanScore {
  id: EvaluationPlan['id'];
  label: string;
  /** mIoU against the true objects, over the prompts that have one; null when none has. */
  miouTruth: number | null;
  /** mIoU against the full-precision masks over every prompt (1 for FP itself). */
  miouFp: number;
  /** Per image: mIoU against the FP masks. */
  miouFpByImage: number[];
  /** Per prompt, in item order: IoU with the true object (null where none is known) and with the FP mask. */
  iouTruthByPrompt: (number | null)[];
  iouFpByPrompt: number[];
}

export interface EvaluationResult {
  plans: PlanScore[];
  images: number;
  prompts: number;
  promptsWithTruth: number;
  elapsedMs: number;
}

export interface EvaluationProgress extends Progress {
  planId: EvaluationPlan['id'] | null;
  imageIndex: number | null;
}

export interface EvaluationRunOptions {
  onProgress?: (progress: EvaluationProgress) => void;
  /** Polled before every forward; true stops the run with a CancelledError. */
  isCancelled?: () => boolean;
  /** Awaited between forwards, so a worker can receive a cancel message. */
  yieldToEventLoop?: () => Promise<void>;
  now?: () => number;
}

export async function evaluatePlans(
  runner: SamRunner,
  items: readonly EvaluationItem[],
  plans: readonly EvaluationPlan[],
  options: EvaluationRunOptions = {},
): Promise<EvaluationResult> {
  if (items.length === 0) throw new Error('Evaluation needs at least one image.');
  if (plans.length === 0) throw new Error('Nothing to evaluate: no plan was given.');
  const now = options.now ?? (() => Date.now());
  const started = now();
  const { ort, sam } = runner;
  const inputSize = sam.adapter.inputSize;
  const truthIoU = plans.map(() => [] as (number | null)[]);
  const fpIoU = plans.map(() => [] as number[]);
  const fpByImage = plans.map(() => [] as number[]);
  const total = items.length * plans.length;
  let done = 0;
  const step = async (planId: EvaluationPlan['id'] | null, imageIndex: number, label: string) => {
    if (options.isCancelled?.()) throw new CancelledError('Evaluation cancelled.');
    options.onProgress?.({ done, total, label, etaMs: estimateEtaMs(now() - started, done, total), planId, imageIndex });
    await options.yieldToEventLoop?.();
  };

  for (const [t, item] of items.entries()) {
    const size = { width: item.image.width, height: item.image.height };
    const image: OrtFeeds = toOrtFeeds(ort, sam.adapter.encoderFeeds(item.image));
    const prompts = promptFeeds(ort, sam, item);
    const single = singleMaskPrompts(item.prompts);
    const masksOf = async (allocation: Allocation | null): Promise<BinaryMask[]> => {
      const outputs = await runner.decode(await runner.embed(image, allocation), prompts, allocation);
      const lowRes = outputs[sam.lowResOutput];
      const iou = outputs[sam.iouOutput];
      return promptMasks({ dims: lowRes.dims, data: lowRes.data as Float32Array }, iou.data as Float32Array, single, size, { inputSize }).masks;
    };
    await step('fp', t, `Image ${t + 1}/${items.length} · full precision`);
    const fpMasks = await masksOf(null);
    for (const [k, plan] of plans.entries()) {
      let masks = fpMasks;
      if (plan.allocation) {
        await step(plan.id, t, `Image ${t + 1}/${items.length} · ${plan.label}`);
        masks = await masksOf(plan.allocation);
      }
      const vsFp = masks.map((mask, b) => maskAgreement(fpMasks[b], mask).iou);
      fpIoU[k].push(...vsFp);
      fpByImage[k].push(meanIoU(vsFp) ?? 1);
      truthIoU[k].push(...masks.map((mask, b) => (item.truth[b] ? maskAgreement(item.truth[b]!, mask).iou : null)));
      done++;
    }
  }
  options.onProgress?.({ done, total, label: 'Done', etaMs: 0, planId: null, imageIndex: null });
  const prompts = items.reduce((sum, item) => sum + item.prompts.length, 0);
  return {
    plans: plans.map((plan, k) => ({
      id: plan.id,
      label: plan.label,
      miouTruth: meanIoU(truthIoU[k]),
      miouFp: meanIoU(fpIoU[k]) ?? 1,
      miouFpByImage: fpByImage[k],
      iouTruthByPrompt: truthIoU[k],
      iouFpByPrompt: fpIoU[k],
    })),
    images: items.length,
    prompts,
    promptsWithTruth: items.reduce((sum, item) => sum + item.truth.filter((mask) => mask !== null).length, 0),
    elapsedMs: now() - started,
  };
}
