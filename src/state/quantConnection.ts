/**
 * The one quantization worker (preview, evaluation, export) and what it holds: the model it was given and
 * the parametric sessions prepared for the current analysis. A handle, not state: kept out of the store.
 * Every caller goes through preparedQuantWorker, which sends only what changed since the last call.
 */
import * as Comlink from 'comlink';
import type { AnalysisImage } from '../core/analysis/analysisEngine';
import type { EvaluationSource } from '../core/evaluate/evaluationItems';
import { CancelledError, type Progress } from '../core/progress';
import { biasCorrectionOf, weightRoundingOf } from '../core/analysis/settings';
import { DEFAULT_WEIGHT_BITS } from '../core/quant/parametric';
import { startQuantWorker, type QuantClient } from '../workers/quantClient';
import { analysisImageOf, analysisOrder } from './analysisImages';
import { bitmapPixels } from './imageFiles';
import { promptsOf } from './previewSlice';
import type { StudioState } from './store';

let client: QuantClient | null = null;
let clientKey: string | null = null;
let backendDescription = '';
/** The model in the worker: its content hash and config (quant.worker.ts checks the hash against the bytes). */
let modelSent: string | null = null;
let preparedKey: string | null = null;
let pending: { key: string; work: Promise<PreparedWorker> } | null = null;
const imagesSent = new Set<string>();

export interface PreparedWorker {
  api: QuantClient['api'];
  /** The backend the worker runs on, in words. */
  backend: string;
  /** True (once) when this image's pixels must go with the next preview request. */
  needsImage(imageId: string): boolean;
}

export const ANALYSIS_OF_ANOTHER_MODEL = 'The analysis was measured on another model: run Analyze for the one loaded.';

/** True when the analysis was measured on the model loaded now (same content hash of both files). */
export function analysedLoadedModel(state: Pick<StudioState, 'analysisResults' | 'modelHash'>): boolean {
  return state.modelHash !== null && state.analysisResults?.modelHash === state.modelHash;
}

/** The first `count` images of the analysis order with what it calibrates on: known boxes, else the grid (never clicks). */
export function calibrationImages(state: StudioState, count: number): AnalysisImage[] {
  return analysisOrder(state.images)
    .slice(0, count)
    .map((image) => analysisImageOf({ name: image.name, pixels: bitmapPixels(image.bitmap), truth: image.truth }));
}

/** The same images with their true objects' masks, for mIoU against ground truth. */
export function evaluationSources(state: StudioState, count: number): EvaluationSource[] {
  return analysisOrder(state.images).slice(0, count).map((image) => {
    const clicks = promptsOf(state, image.id).points;
    return {
      name: image.name,
      image: bitmapPixels(image.bitmap),
      truth: image.truth?.map((object) => ({ mask: object.mask, box: object.box })) ?? null,
      clicks: clicks.length > 0 ? [...clicks] : undefined,
    };
  });
}

async function worker(state: StudioState): Promise<QuantClient> {
  const { request, threads } = state.backendSettings;
  const key = `${request}/${threads ?? 'auto'}`;
  // Backend and thread count are fixed per worker (onnxruntime-web reads numThreads once).
  if (client && clientKey !== key) {
    client.terminate();
    client = null;
  }
  if (!client) {
    client = startQuantWorker();
    clientKey = key;
    modelSent = null;
    preparedKey = null;
    imagesSent.clear();
    try {
      backendDescription = (await client.api.init(request, threads)).description;
    } catch (error) {
      client.terminate();
      client = null;
      throw error;
    }
  }
  return client;
}

/**
 * The worker with the current model and the quantized sessions for the current analysis, preparing what is
 * missing (a new model is sent; calibration is read from the analysis' store, or measured when absent).
 */
export function preparedQuantWorker(state: StudioState, onProgress?: (progress: Progress) => void): Promise<PreparedWorker> {
  const results = state.analysisResults;
  const { encoderPart, decoderPart } = state;
  if (!encoderPart || !decoderPart || state.modelStatus !== 'ready') return Promise.reject(new Error('Load a SAM encoder and decoder first.'));
  if (!results?.complete) return Promise.reject(new Error('Run Analyze first: the quantized model uses its calibration.'));
  const { modelHash } = state;
  if (!modelHash || !analysedLoadedModel(state)) return Promise.reject(new Error(ANALYSIS_OF_ANOTHER_MODEL));
  const modelKey = JSON.stringify([modelHash, state.modelConfig]);
  const key = JSON.stringify([state.backendSettings, modelKey, results.runKey, weightRoundingOf(results.settings), biasCorrectionOf(results.settings)]);
  if (pending?.key === key) return pending.work;
  const previous = pending?.work.catch(() => undefined);
  const work = (async (): Promise<PreparedWorker> => {
    await previous;
    const quant = await worker(state);
    if (modelSent !== modelKey) {
      const [encoder, decoder] = await Promise.all([encoderPart.source.arrayBuffer(), decoderPart.source.arrayBuffer()]);
      modelSent = null;
      preparedKey = null;
      imagesSent.clear();
      await quant.api.setModel(Comlink.transfer({ encoder, decoder, config: state.modelConfig }, [encoder, decoder]));
      modelSent = modelKey;
    }
    const weightRounding = weightRoundingOf(results.settings);
    const biasCorrection = biasCorrectionOf(results.settings);
    const prepareKey = `${results.runKey}|${weightRounding}|${biasCorrection}`;
    if (preparedKey !== prepareKey) {
      const images = calibrationImages(state, results.settings.imageCount);
      await quant.api.prepare(
        Comlink.transfer(
          {
            modelHash,
            runKey: results.runKey,
            images,
            promptsPerImage: results.settings.promptsPerImage,
            gridSize: results.settings.gridSize,
            calibration: results.settings,
            // Every width a candidate list, lock or uniform baseline can ask for (2..8): one build serves all.
            weightBits: [...DEFAULT_WEIGHT_BITS],
            weightRounding,
            biasCorrection,
            scope: results.settings.scope ?? 'all',
          },
          images.map((entry) => entry.image.data.buffer as ArrayBuffer),
        ),
        onProgress ? Comlink.proxy(onProgress) : undefined,
      );
      preparedKey = prepareKey;
    }
    return {
      api: quant.api,
      backend: backendDescription,
      needsImage: (imageId) => {
        if (imagesSent.has(imageId)) return false;
        imagesSent.add(imageId);
        return true;
      },
    };
  })();
  pending = { key, work };
  work.catch(() => {
    if (pending?.work === work) pending = null;
  });
  return work;
}

/**
 * Ends the worker and forgets what it held, giving its WASM heap back; the next use starts and prepares a
 * fresh one. Jobs in flight must be cancelled first (their `cancelled` ends them at once).
 */
export function releaseQuantWorker(): void {
  client?.terminate();
  client = null;
  clientKey = null;
  modelSent = null;
  preparedKey = null;
  pending = null;
  imagesSent.clear();
}

/**
 * One evaluation or export in the quantization worker. Its id goes with the request, so cancel stops this
 * job only; `cancelled` rejects with CancelledError the moment cancel is called, so the page can end the job
 * at once while the worker stops at its next check.
 */
export interface QuantJob {
  id: string;
  cancelled: Promise<never>;
  cancel(): void;
}

let jobs = 0;

export function startQuantJob(kind: 'evaluation' | 'export'): QuantJob {
  const id = `${kind}-${++jobs}`;
  let reject: (error: CancelledError) => void = () => undefined;
  const cancelled = new Promise<never>((_, rejectWith) => {
    reject = rejectWith;
  });
  cancelled.catch(() => undefined);
  return {
    id,
    cancelled,
    cancel: () => {
      void client?.api.cancel(id).catch(() => undefined);
      reject(new CancelledError(kind === 'export' ? 'Export cancelled.' : 'Evaluation cancelled.'));
    },
  };
}
