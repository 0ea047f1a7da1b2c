/// <reference lib="webworker" />
/**
 * Runs Mix-QSAM analyses off the main thread: owns their onnxruntime-web sessions (created and
 * released per run by core/analysis) and the IndexedDB store. Thin on purpose: the method is
 * core/analysis/analysisEngine.ts, identical to what Node runs (CLI, tests, bench).
 */
import * as Comlink from 'comlink';
import type * as OrtWeb from 'onnxruntime-web';
import { runAnalysis, type AnalysisImage, type AnalysisProgress, type AnalysisRunStats } from '../core/analysis/analysisEngine';
import type { AnalysisResults } from '../core/analysis/analysisResults';
import type { AnalysisSettings } from '../core/analysis/settings';
import type { OrtModule } from '../core/onnx/ort';
import { chooseBackend, describeBackendChoice, type BackendChoice, type BackendRequest } from '../core/sam/backendChoice';
import type { SamModelConfig } from '../core/sam/samAdapter';
import { withExplainedErrors } from '../core/userErrors';
import { IdbAnalysisStore } from './analysisIdbStore';
import { gpuAdapterFacts, yieldToEventLoop } from './workerRuntime';

export interface AnalysisBackend {
  choice: BackendChoice;
  description: string;
}

export interface AnalyzeRequest {
  encoder: ArrayBuffer;
  decoder: ArrayBuffer;
  config: SamModelConfig;
  images: AnalysisImage[];
  settings: AnalysisSettings;
}

export interface AnalyzeOutcome {
  results: AnalysisResults;
  stats: AnalysisRunStats;
}

let ort: typeof OrtWeb | null = null;
let backend: BackendChoice | null = null;
let cancelRequested = false;
let running = false;
const store = new IdbAnalysisStore();

const api = {
  /** Chooses the backend like the inference worker (core/sam/backendChoice.ts) and loads that onnxruntime-web entry. */
  async init(request: BackendRequest, threads: number | null): Promise<AnalysisBackend> {
    const choice = chooseBackend({ request, adapter: await gpuAdapterFacts(), hardwareConcurrency: navigator.hardwareConcurrency, threads });
    // The /webgpu entry: the default entry's WebGPU path computed int8 DequantizeLinear wrongly (ENVIRONMENT.md).
    ort = choice.backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web');
    ort.env.wasm.numThreads = choice.threads;
    backend = choice;
    return { choice, description: describeBackendChoice(choice) };
  },

  /**
   * Measures what the store lacks for this model, these images and settings. `onProgress` and
   * `onResults` are Comlink proxies; partial results arrive while the run goes on.
   */
  async analyze(
    request: AnalyzeRequest,
    onProgress: (progress: AnalysisProgress) => void,
    onResults: (results: AnalysisResults) => void,
  ): Promise<AnalyzeOutcome> {
    if (!ort || !backend) throw new Error('The analysis worker was not started: call init first.');
    if (running) throw new Error('An analysis is already running.');
    running = true;
    cancelRequested = false;
    try {
      return await runAnalysis(
        { encoder: new Uint8Array(request.encoder), decoder: new Uint8Array(request.decoder), config: request.config },
        request.images,
        request.settings,
        {
          ort: ort as unknown as OrtModule,
          store,
          sessionOptions: { executionProviders: [backend.backend] },
          onProgress: (progress) => void onProgress(progress),
          onResults: (results) => void onResults(results),
          isCancelled: () => cancelRequested,
          yieldToEventLoop,
          now: () => performance.now(),
        },
      );
    } finally {
      running = false;
    }
  },

  /** Stops the running analysis before its next forward; what was measured stays stored. */
  cancel(): void {
    cancelRequested = true;
  },

  /** Forgets every stored analysis. */
  async clearCache(): Promise<void> {
    await store.clearAll();
  },
};

export type AnalysisWorkerApi = typeof api;

// Raw onnxruntime / WASM failures reach the UI explained (core/userErrors.ts).
Comlink.expose(withExplainedErrors(api, () => ({ backend: backend?.backend, stage: 'analysing' })));
