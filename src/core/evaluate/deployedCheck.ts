/**
 * What a downloaded file does where it is deployed: the exported encoder and decoder run under the
 * runtime's own session options (graph optimizations on, the page's execution provider) — not the
 * reference options the bit-exact check uses — and each prompt's mask is compared with the mask the
 * preview shows for it (the simulation for `exact`, the profile's own files for a fast profile:
 * profiledSam.ts) and, when given, with the exact simulation's. Then the encoder's latency beside full precision, runs
 * alternating so machine noise hits both alike. Every profile is checked so; `exact` additionally
 * passes verifySamExport.ts.
 */
import { promptFeeds } from '../analysis/analysisModel';
import { singleMaskPrompts } from '../analysis/calibrationFeeds';
import type { CalibrationPrompt } from '../analysis/calibrationPrompts';
import { runPromptRuns } from '../analysis/promptRuns';
import type { BinaryMask, RgbaImage } from '../image/rgbaImage';
import { toOrtFeeds, type OrtFeeds, type OrtSession, type SessionOptions } from '../onnx/ort';
import type { Allocation } from '../quant/config';
import { maskAgreement, meanIoU } from './maskAgreement';
import { promptMasks } from './promptMasks';
import type { SamRunner } from './quantizedSam';

/** A prompt whose mask overlaps the preview's less than this counts as differing. */
export const PROMPT_AGREEMENT = 0.9;

export interface EncoderLatency {
  /** Medians over the timed rounds, milliseconds. */
  fpMs: number;
  fileMs: number;
  /** Median of the per-round ratios file / FP. */
  ratio: number;
  rounds: number;
}

export interface DeployedCheck {
  /** IoU of the file's mask with the preview's, per prompt (each shows the mask its own IoU head picks). */
  iouByPrompt: number[];
  miou: number;
  /** Prompts below PROMPT_AGREEMENT, and the lowest IoU. */
  below: number;
  worst: number;
  /** mIoU against the full-precision masks: the file's, and the preview's (the simulation it was made from). */
  miouFp: { file: number; preview: number };
  /** mIoU against the true objects over the prompts that have one (FP's too); null when none has. */
  miouTruth: { file: number; preview: number; fp: number; prompts: number } | null;
  /** Encoder time beside full precision under the same options; null when not measured. */
  latency: EncoderLatency | null;
  /** The file against the exact simulation (the quantization the analysis measured), when the preview is not it. */
  vsSimulation: { miou: number; below: number; worst: number } | null;
}

export interface DeployedCheckOptions {
  /** What the file is deployed with: the runtime's defaults plus the execution provider. */
  sessionOptions?: SessionOptions;
  /** Full-precision encoder to time the file against; no latency without it. */
  fpEncoder?: Uint8Array;
  /** Timed rounds (one FP run and one file run each) after a warm-up of each: at least 2, at most `maxRounds`… */
  maxRounds?: number;
  /** …stopping early once the timed rounds took this long. */
  timeBudgetMs?: number;
  /** Awaited between runs: throws to cancel. */
  between?: () => Promise<void>;
  /** The exact simulation, compared with too when the preview runs a fast profile's files. */
  simulation?: SamRunner;
  /**
   * Suspend each runner's sessions once its masks are in, before the files are opened, so one encoder
   * session lives at a time (large encoders: core/analysis/analysisCost.ts ANALYSE_ALONE_ENCODER_BYTES).
   */
  suspendRunners?: boolean;
}

function only(feeds: OrtFeeds, session: OrtSession): OrtFeeds {
  return Object.fromEntries(session.inputNames.filter((name) => feeds[name]).map((name) => [name, feeds[name]]));
}

/** Sub-millisecond clock where the runtime has one (workers, Node), else Date's. */
const clock: { now(): number } = (globalThis as { performance?: { now(): number } }).performance ?? Date;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Masks SAM shows for each prompt from one decoder output set. */
function masksOf(runner: Pick<SamRunner, 'sam'>, outputs: OrtFeeds, prompts: readonly CalibrationPrompt[], image: RgbaImage): BinaryMask[] {
  const { sam } = runner;
  const lowRes = outputs[sam.lowResOutput];
  const iou = outputs[sam.iouOutput];
  if (!lowRes || !iou) throw new Error(`The exported decoder did not return "${sam.lowResOutput}" and "${sam.iouOutput}".`);
  const size = { width: image.width, height: image.height };
  return promptMasks({ dims: lowRes.dims, data: lowRes.data as Float32Array }, iou.data as Float32Array, singleMaskPrompts(prompts), size, { inputSize: sam.adapter.inputSize }).masks;
}

/** Times the encoder `fp` and `file` in alternation (FP, file, FP, file, …) after one warm-up run each. */
export async function encoderLatency(
  fp: OrtSession,
  file: OrtSession,
  feeds: OrtFeeds,
  options: Pick<DeployedCheckOptions, 'maxRounds' | 'timeBudgetMs' | 'between'> = {},
): Promise<EncoderLatency> {
  const maxRounds = Math.max(2, options.maxRounds ?? 5);
  const budget = options.timeBudgetMs ?? 15_000;
  const run = async (session: OrtSession) => {
    await options.between?.();
    const started = clock.now();
    await session.run(only(feeds, session));
    return clock.now() - started;
  };
  await run(fp);
  await run(file);
  const fpMs: number[] = [];
  const fileMs: number[] = [];
  let spent = 0;
  while (fpMs.length < maxRounds && (fpMs.length < 2 || spent < budget)) {
    const a = await run(fp);
    const b = await run(file);
    fpMs.push(a);
    fileMs.push(b);
    spent += a + b;
  }
  return { fpMs: median(fpMs), fileMs: median(fileMs), ratio: median(fileMs.map((ms, i) => ms / fpMs[i])), rounds: fpMs.length };
}

/** Per-prompt IoU of `masks` with `reference`, summed up. */
function agreementWith(reference: readonly BinaryMask[], masks: readonly BinaryMask[]) {
  const iouByPrompt = masks.map((mask, b) => maskAgreement(reference[b], mask).iou);
  return {
    iouByPrompt,
    miou: meanIoU(iouByPrompt) ?? 1,
    below: iouByPrompt.filter((iou) => iou < PROMPT_AGREEMENT).length,
    worst: iouByPrompt.length > 0 ? Math.min(...iouByPrompt) : 1,
  };
}

/**
 * Runs `exported` under `options.sessionOptions` on the sample, compares each prompt's mask with the
 * preview's (`preview`: what the page shows for `allocation`), then (with `fpEncoder`) times the encoder beside full precision.
 * One session pair lives at a time, so the check needs little more memory than the export itself.
 */
export async function checkDeployed(
  previewRunner: SamRunner,
  exported: { encoder: Uint8Array; decoder: Uint8Array },
  allocation: Allocation,
  sample: { image: RgbaImage; prompts: readonly CalibrationPrompt[]; truth?: readonly (BinaryMask | null)[] },
  options: DeployedCheckOptions = {},
): Promise<DeployedCheck> {
  const { ort, sam } = previewRunner;
  const sessionOptions = options.sessionOptions ?? {};
  const imageFeeds = toOrtFeeds(ort, sam.adapter.encoderFeeds(sample.image));
  const prompts = promptFeeds(ort, sam, { image: sample.image, prompts: [...sample.prompts] });
  const names = [...sam.adapter.embeddingNames];

  const shown = async (runner: SamRunner, at: Allocation | null) => {
    const masks = masksOf(runner, await runner.decode(await runner.embed(imageFeeds, at), prompts, at), sample.prompts, sample.image);
    await options.between?.();
    return masks;
  };
  const fp = await shown(previewRunner, null);
  const preview = await shown(previewRunner, allocation);
  if (options.suspendRunners) await previewRunner.suspend?.();
  const simulation = options.simulation && options.simulation !== previewRunner ? options.simulation : null;
  const simulated = simulation ? await shown(simulation, allocation) : null;
  if (options.suspendRunners) await simulation?.suspend?.();

  const encoder = await ort.InferenceSession.create(exported.encoder, sessionOptions);
  let latency: EncoderLatency | null = null;
  let deployed: BinaryMask[];
  try {
    const encoded = await encoder.run(only(imageFeeds, encoder), names);
    const embeddings = Object.fromEntries(names.map((name) => [name, encoded[name]]));
    await options.between?.();
    const decoder = await ort.InferenceSession.create(exported.decoder, sessionOptions);
    try {
      deployed = masksOf(previewRunner, await runPromptRuns(ort, decoder, prompts, embeddings), sample.prompts, sample.image);
    } finally {
      await decoder.release();
    }
    if (options.fpEncoder) {
      const fpEncoder = await ort.InferenceSession.create(options.fpEncoder, sessionOptions);
      try {
        latency = await encoderLatency(fpEncoder, encoder, imageFeeds, options);
      } finally {
        await fpEncoder.release();
      }
    }
  } finally {
    await encoder.release();
  }
  const vsPreview = agreementWith(preview, deployed);
  const vsSimulation = simulated ? agreementWith(simulated, deployed) : null;
  const vsFp = (masks: BinaryMask[]) => meanIoU(masks.map((mask, b) => maskAgreement(fp[b], mask).iou)) ?? 1;
  const truth = sample.prompts.map((_, b) => sample.truth?.[b] ?? null);
  const known = truth.filter((mask) => mask !== null).length;
  const vsTruth = (masks: BinaryMask[]) => meanIoU(masks.map((mask, b) => (truth[b] ? maskAgreement(truth[b], mask).iou : null))) ?? 0;
  return {
    miouFp: { file: vsFp(deployed), preview: vsFp(preview) },
    miouTruth: known > 0 ? { file: vsTruth(deployed), preview: vsTruth(preview), fp: vsTruth(fp), prompts: known } : null,
    ...vsPreview,
    latency,
    vsSimulation: vsSimulation && { miou: vsSimulation.miou, below: vsSimulation.below, worst: vsSimulation.worst },
  };
}
