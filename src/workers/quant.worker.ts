/// <reference lib="webworker" />
/**
 * Runs the quantized SAM for preview, evaluation and export, off the main thread. Thin on purpose: the
 * work is core/evaluate (parametric sessions, mIoU, export, verification); this file owns the
 * onnxruntime-web sessions, queues their runs one at a time (interleaving a preview between the
 * forwards of an evaluation) and reuses the analysis' stored calibration (IndexedDB) when it has one.
 */
import * as Comlink from 'comlink';
import type * as OrtWeb from 'onnxruntime-web';
import { modelHash } from '../core/analysis/analysisKeys';
import { calibrate, prepareSam, type CalibrationFacts, type PreparedSam } from '../core/analysis/analysisModel';
import { calibrationPrompts } from '../core/analysis/calibrationPrompts';
import { calibrationOptionsOf, factsMatchSettings, type CalibrationSettings } from '../core/evaluate/calibrationOptions';
import { evaluatePlans, type EvaluationProgress, type EvaluationResult } from '../core/evaluate/evaluateRun';
import { evaluationItems, type EvaluationSource } from '../core/evaluate/evaluationItems';
import type { EvaluationPlan } from '../core/evaluate/evaluationPlans';
import { MaskPreviewer, type MaskPreviewResult } from '../core/evaluate/maskPreview';
import { allocationWidths, buildRoundedSamParametric, graphsOfScope, QuantizedSam, type SamParametric, type SamRunner } from '../core/evaluate/quantizedSam';
import { checkedExport, checksOneEncoderAtATime, CHECKED_EXPORT_STAGES } from '../core/evaluate/checkedExport';
import { ProfiledSam } from '../core/evaluate/profiledSam';
import type { ExportProfile } from '../core/quant/profiles';
import type { RgbaImage } from '../core/image/rgbaImage';
import type { OrtModule, SessionOptions } from '../core/onnx/ort';
import { CancelledError, type Progress } from '../core/progress';
import type { Allocation } from '../core/quant/config';
import { PARAMETRIC_SESSION_OPTIONS } from '../core/quant/parametric';
import { chooseBackend, describeBackendChoice, type BackendChoice, type BackendRequest } from '../core/sam/backendChoice';
import { scoreHeldOut, type HeldOutScores } from '../core/study/heldOutScores';
import { heldOutSet } from '../core/study/scenes';
import { withExplainedErrors } from '../core/userErrors';
import { IdbAnalysisStore } from './analysisIdbStore';
import { gpuAdapterFacts, yieldToEventLoop } from './workerRuntime';

import type { QuantBackend, QuantExportRequest, QuantExportResult, QuantModelRequest, QuantPrepared, QuantPrepareRequest, QuantPreviewRequest } from './quantMessages';

let ort: typeof OrtWeb | null = null;
let backend: BackendChoice | null = null;
let sam: PreparedSam | null = null;
/** Content hash of the model's bytes as received (analysisKeys.ts modelHash, as the analysis names its model). */
let samHash: string | null = null;
let fpFileBytes = { encoder: 0, decoder: 0 };
let prepared: { key: string; parametric: SamParametric; runner: QuantizedSam; previewer: MaskPreviewer } | null = null;
/** The prepared simulation run as one fast profile's files (one profile at a time: its files cost memory). */
let profiled: { profile: ExportProfile; runner: ProfiledSam; previewer: MaskPreviewer } | null = null;
let preparing: Promise<QuantPrepared> | null = null;
const images = new Map<string, RgbaImage>();
/** Jobs (evaluations, exports) the page cancelled, by the job id it gave: each job polls its own. */
const cancelledJobs = new Set<string>();
const store = new IdbAnalysisStore();

// onnxruntime-web sessions must not run concurrently: every run goes through this queue, one at a time.
let queue: Promise<unknown> = Promise.resolve();
function serially<T>(work: () => Promise<T>, job?: string): Promise<T> {
  // A cancelled job's queued run does not start: the job ends at once instead of after the runs queued before it.
  const guarded = () => {
    if (job !== undefined && cancelledJobs.has(job)) throw new CancelledError();
    return work();
  };
  const next = queue.then(guarded, guarded);
  queue = next.catch(() => undefined);
  return next;
}

/** The prepared sessions with every run queued, so a preview slips in between an evaluation's forwards. */
function queuedRunner(runner: SamRunner, job?: string): SamRunner {
  return {
    ort: runner.ort,
    sam: runner.sam,
    parametric: runner.parametric,
    embed: (image, allocation) => serially(() => runner.embed(image, allocation), job),
    decode: (embeddings, prompts, allocation) => serially(() => runner.decode(embeddings, prompts, allocation), job),
  };
}

/** What a job polls: true once the page cancelled it. */
function cancelCheck(job: string): () => boolean {
  return () => cancelledJobs.has(job);
}

/** What an evaluation of `job` reports to and checks with: its progress proxy, its own cancel flag, the clock. */
function evaluationHooks(job: string, onProgress: (progress: EvaluationProgress) => void) {
  return {
    onProgress: (progress: EvaluationProgress) => void onProgress(progress),
    isCancelled: cancelCheck(job),
    yieldToEventLoop,
    now: () => performance.now(),
  };
}

function runtime(): { ort: OrtModule; options: SessionOptions; description: string } {
  if (!ort || !backend) throw new Error('The quantization worker was not started: call init first.');
  return { ort: ort as unknown as OrtModule, options: { executionProviders: [backend.backend] }, description: describeBackendChoice(backend) };
}

function requireSam(): PreparedSam {
  if (!sam) throw new Error('No model was given to the quantization worker.');
  return sam;
}

function requirePrepared() {
  if (!prepared) throw new Error('The quantized model is not prepared yet: run an analysis first.');
  return prepared;
}

async function releaseProfiled(): Promise<void> {
  const old = profiled;
  profiled = null;
  if (old) await serially(() => old.runner.release());
}

async function releasePrepared(): Promise<void> {
  await releaseProfiled();
  const old = prepared;
  prepared = null;
  if (old) await serially(() => old.runner.release());
}

/**
 * What previews, evaluations and the export's check run for a profile: the simulation for `exact`,
 * else the profile's own files (profiledSam.ts) under the page's options. `runner` is unqueued.
 */
async function runnerOf(profile: ExportProfile): Promise<{ runner: SamRunner; previewer: MaskPreviewer }> {
  const current = requirePrepared();
  if (profile === 'exact') return current;
  if (profiled?.profile !== profile) {
    await releaseProfiled();
    // Big encoders keep one allocation's files open; others two (an evaluation's uniform and mixed rows).
    const keep = checksOneEncoderAtATime(fpFileBytes.encoder) ? 1 : 2;
    const runner = new ProfiledSam(current.runner, profile, { sessionOptions: runtime().options, fpFileBytes, keep });
    profiled = { profile, runner, previewer: new MaskPreviewer(queuedRunner(runner), () => performance.now()) };
  }
  return profiled;
}

async function storedCalibration(runKey: string | null, settings: CalibrationSettings): Promise<CalibrationFacts | null> {
  if (!runKey) return null;
  try {
    const stored = (await store.load(runKey)).get('calibration') as CalibrationFacts | undefined;
    // The run key covers these settings; facts of another calibration are measured again rather than used.
    return stored && stored.ranges && stored.log2Tau && factsMatchSettings(stored, settings) ? stored : null;
  } catch {
    return null; // no IndexedDB (private mode): calibrate instead
  }
}

const api = {
  /** Chooses the backend as the other workers do (core/sam/backendChoice.ts) and loads that entry. */
  async init(request: BackendRequest, threads: number | null): Promise<QuantBackend> {
    const choice = chooseBackend({ request, adapter: await gpuAdapterFacts(), hardwareConcurrency: navigator.hardwareConcurrency, threads });
    // The /webgpu entry: the default entry's WebGPU path computed int8 DequantizeLinear wrongly (ENVIRONMENT.md).
    ort = choice.backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    ort.env.wasm.numThreads = choice.threads;
    backend = choice;
    return { choice, description: describeBackendChoice(choice) };
  },

  /** A new model: everything prepared for the previous one is dropped. */
  async setModel(request: QuantModelRequest): Promise<{ units: number; modelHash: string }> {
    await releasePrepared();
    images.clear();
    sam = null;
    samHash = null;
    const encoder = new Uint8Array(request.encoder);
    const decoder = new Uint8Array(request.decoder);
    const hash = await modelHash(encoder, decoder);
    sam = prepareSam({ encoder, decoder, config: request.config });
    samHash = hash;
    fpFileBytes = { encoder: request.encoder.byteLength, decoder: request.decoder.byteLength };
    return { units: sam.probedUnits.length, modelHash: hash };
  },

  /**
   * Builds the parametric sessions for these calibration facts and widths (once per key; a call with the
   * same key returns at once). Calibrates on `images` when the analysis stored no calibration.
   */
  prepare(request: QuantPrepareRequest, onProgress?: (progress: Progress) => void): Promise<QuantPrepared> {
    const key = JSON.stringify([request.modelHash, request.runKey, request.weightBits, request.weightRounding, request.biasCorrection, request.scope]);
    if (prepared?.key === key) return Promise.resolve({ calibration: 'analysis', weightBits: prepared.parametric.weightBits, elapsedMs: 0 });
    const work = (async (): Promise<QuantPrepared> => {
      await preparing?.catch(() => undefined);
      if (prepared?.key === key) return { calibration: 'analysis', weightBits: prepared.parametric.weightBits, elapsedMs: 0 };
      const started = performance.now();
      const { ort: runtimeOrt, options } = runtime();
      const model = requireSam();
      // A run of another model's bytes: its stored calibration describes other weights.
      if (request.modelHash !== samHash) throw new Error('The analysis was measured on another model than the one given to the quantization worker: run Analyze again.');
      let facts = await storedCalibration(request.runKey, request.calibration);
      const calibration = facts ? 'analysis' : 'calibrated';
      // The analysis' own calibration prompts (analysis/analysisEngine.ts): known boxes, else clicks, else a grid.
      const items = request.images.map((entry) => ({
        image: entry.image,
        prompts: calibrationPrompts({ ...entry, width: entry.image.width, height: entry.image.height }, request.promptsPerImage, request.gridSize),
      }));
      // As the analysis engine calibrates: its session options, per-width choices and softmax·v quantizer.
      const sessionOptions = { ...PARAMETRIC_SESSION_OPTIONS, ...options };
      if (!facts) {
        facts = await serially(() =>
          calibrate({
            ort: runtimeOrt,
            sam: model,
            items,
            sessionOptions,
            ...calibrationOptionsOf(request.calibration),
            beforeImage: (t) => onProgress?.({ done: t, total: items.length, label: `Calibrating on image ${t + 1}/${items.length}`, etaMs: null }),
          }),
        );
      }
      const calibrated = facts;
      await releasePrepared();
      // The steps buildRoundedSamParametric announces: GPTQ's two per graph, bias correction's one per graph.
      const steps = (request.weightRounding === 'gptq' ? 4 : 0) + (request.biasCorrection ? 2 : 0);
      let step = 0;
      const parametric = await serially(() =>
        buildRoundedSamParametric({
          ort: runtimeOrt,
          sam: model,
          facts: calibrated,
          weightBits: request.weightBits,
          rounding: request.weightRounding,
          biasCorrection: request.biasCorrection,
          items,
          sessionOptions,
          graphs: graphsOfScope(request.scope),
          beforeStep: async (label) => {
            onProgress?.({ done: Math.min(step++, steps), total: steps + 1, label, etaMs: null });
            await yieldToEventLoop();
          },
        }),
      );
      onProgress?.({ done: steps, total: steps + 1, label: 'Building the quantized sessions', etaMs: null });
      const runner = await serially(() => QuantizedSam.create(runtimeOrt, model, parametric, options));
      prepared = { key, parametric, runner, previewer: new MaskPreviewer(queuedRunner(runner), () => performance.now()) };
      return { calibration, weightBits: parametric.weightBits, elapsedMs: performance.now() - started };
    })();
    preparing = work;
    return work;
  },

  /** True when the prepared sessions can run every width of the allocation. */
  supports(allocation: Allocation): boolean {
    return prepared !== null && allocationWidths(allocation).every((bits) => prepared!.parametric.weightBits.includes(bits));
  },

  /** FP and quantized masks of the image's prompts, side by side. */
  async preview(request: QuantPreviewRequest): Promise<MaskPreviewResult> {
    const { previewer } = await runnerOf(request.profile);
    if (request.image) images.set(request.imageId, request.image);
    const image = images.get(request.imageId);
    if (!image) throw new Error('The quantization worker has not received this image yet.');
    const result = await previewer.preview(request.imageId, image, request.prompts, request.allocation, request.truth);
    return Comlink.transfer(result, [result.fp.mask.data.buffer, result.quantized.mask.data.buffer]);
  },

  /** mIoU of each plan over the images' prompts; `onProgress` is a Comlink proxy. */
  async evaluate(
    request: { job: string; sources: EvaluationSource[]; promptsPerImage: number; gridSize: number; plans: EvaluationPlan[]; profile: ExportProfile },
    onProgress: (progress: EvaluationProgress) => void,
  ): Promise<EvaluationResult> {
    const { runner } = await runnerOf(request.profile);
    const items = evaluationItems(request.sources, request.promptsPerImage, request.gridSize);
    try {
      return await evaluatePlans(queuedRunner(runner, request.job), items, request.plans, evaluationHooks(request.job, onProgress));
    } finally {
      cancelledJobs.delete(request.job);
    }
  },

  /**
   * mIoU of each plan on the quality study's held-out set (core/study/scenes.ts heldOutSet, generated
   * here), points and boxes scored apart as runQualityStudy scores them; `onProgress` is a Comlink proxy.
   */
  async evaluateHeldOut(
    request: { job: string; minObjects: number; plans: EvaluationPlan[]; profile: ExportProfile },
    onProgress: (progress: EvaluationProgress) => void,
  ): Promise<HeldOutScores> {
    const { runner } = await runnerOf(request.profile);
    try {
      onProgress({ done: 0, total: 1, label: `Generating the held-out scenes (${request.minObjects} objects)`, etaMs: null, planId: null, imageIndex: null });
      await yieldToEventLoop();
      const heldOut = heldOutSet({ minObjects: request.minObjects });
      if (cancelledJobs.has(request.job)) throw new CancelledError('Evaluation cancelled.');
      return await scoreHeldOut(queuedRunner(runner, request.job), heldOut, request.plans, evaluationHooks(request.job, onProgress));
    } finally {
      cancelledJobs.delete(request.job);
    }
  },

  /**
   * Stops this job (an evaluation or export, by the id its request carried) before its next forward or
   * stage; other jobs go on. A job that has already ended is unaffected.
   */
  cancel(job: string): void {
    cancelledJobs.add(job);
  },

  /**
   * The deployable encoder and decoder of the allocation, then checked: the exported files run on the
   * check image's prompts against the simulation under the same session options.
   */
  async exportModel(request: QuantExportRequest, onProgress: (progress: Progress) => void): Promise<QuantExportResult> {
    const started = performance.now();
    const { parametric } = requirePrepared();
    const model = requireSam();
    const { ort: runtimeOrt, options, description } = runtime();
    const { job } = request;
    // Polled between every stage and run, so a cancel ends the export within one stage.
    const step = async (label: string, done: number) => {
      await yieldToEventLoop();
      if (cancelledJobs.has(job)) throw new CancelledError('Export cancelled.');
      onProgress({ done, total: CHECKED_EXPORT_STAGES, label, etaMs: null });
    };
    try {
      const item = evaluationItems([request.check], request.promptsPerImage, request.gridSize)[0];
      // A few clicks check little: fill up with grid points to the analysis' prompts per image.
      const missing = request.promptsPerImage - item.prompts.length;
      if (missing > 0) {
        const { width, height } = request.check.image;
        item.prompts.push(...calibrationPrompts({ width, height }, missing, request.gridSize));
      }
      if (checksOneEncoderAtATime(fpFileBytes.encoder)) {
        // The preview's sessions go while the check runs (it opens its own); the next preview opens them again.
        await serially(async () => {
          await profiled?.runner.suspend();
          await prepared?.runner.suspend();
        });
      }
      const checked = await checkedExport({
        ort: runtimeOrt,
        sam: model,
        parametric,
        allocation: request.allocation,
        fpFileBytes,
        profile: request.profile,
        // Compared with what the page previews for this profile (its files), and with the exact simulation.
        preview: request.profile === 'exact' ? undefined : (await runnerOf(request.profile)).runner,
        item,
        sessionOptions: options,
        queue: <T>(work: () => Promise<T>, cleanup?: boolean) => serially(work, cleanup ? undefined : job),
        step,
      });
      onProgress({ done: CHECKED_EXPORT_STAGES, total: CHECKED_EXPORT_STAGES, label: 'Done', etaMs: 0 });
      const { encoder, decoder, verification, deployed } = checked;
      const result: QuantExportResult = { encoder, decoder, verification, deployed, backend: description, elapsedMs: performance.now() - started };
      return Comlink.transfer(result, [encoder.bytes.buffer as ArrayBuffer, decoder.bytes.buffer as ArrayBuffer]);
    } finally {
      cancelledJobs.delete(job);
    }
  },

  forgetImage(imageId: string): void {
    images.delete(imageId);
    prepared?.previewer.forget(imageId);
    profiled?.previewer.forget(imageId);
  },
};

export type QuantWorkerApi = typeof api;

const STAGES: Partial<Record<keyof QuantWorkerApi, string>> = {
  setModel: 'reading the model',
  prepare: 'preparing the quantized model',
  preview: 'previewing the quantized masks',
  evaluate: 'evaluating',
  evaluateHeldOut: 'evaluating on the held-out set',
  exportModel: 'exporting the quantized model',
};
// Raw onnxruntime / WASM failures reach the UI explained (core/userErrors.ts).
Comlink.expose(withExplainedErrors(api, (method) => ({ backend: backend?.backend, stage: STAGES[method as keyof QuantWorkerApi] })));
