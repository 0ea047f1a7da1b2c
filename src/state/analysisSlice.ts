import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { AnalysisImage, AnalysisProgress, AnalysisRunStats } from '../core/analysis/analysisEngine';
import { rankByImportance, type AnalysisResults, type UnitAnalysis } from '../core/analysis/analysisResults';
import { defaultAnalysisSettings, validateSettings, type AnalysisSettings } from '../core/analysis/settings';
import { CancelledError } from '../core/progress';
import { startAnalysisWorker, type AnalysisClient } from '../workers/analysisClient';
import { analysisImageOf } from './analysisImages';
import { bitmapPixels } from './imageFiles';
import { promptsOf } from './previewSlice';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type AnalysisStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface AnalysisSlice {
  analysisSettings: AnalysisSettings;
  analysisStatus: AnalysisStatus;
  /** Latest progress event of the running (or last) analysis. */
  analysisProgress: AnalysisProgress | null;
  /** Results so far: partial while running, complete when done. Consumers (charts, allocation) read these. */
  analysisResults: AnalysisResults | null;
  analysisStats: AnalysisRunStats | null;
  analysisError: string | null;
  /** Backend the analysis worker runs on, in words. */
  analysisBackend: string | null;
  setAnalysisSettings(patch: Partial<AnalysisSettings>): void;
  /** Analyses the first T images; resumes from what IndexedDB holds for the same model, images and settings. */
  startAnalysis(): Promise<void>;
  cancelAnalysis(): void;
  /** Forgets every stored analysis (the next run measures everything again). */
  clearAnalysisCache(): Promise<void>;
}

/** The worker is a handle, not state; it is started on first use and kept for later runs. */
let client: AnalysisClient | null = null;
let clientBackend: string | null = null;

export const createAnalysisSlice: StateCreator<StudioState, [], [], AnalysisSlice> = (set, get) => {
  async function worker(): Promise<AnalysisClient> {
    const { request, threads } = get().backendSettings;
    const wanted = `${request}/${threads ?? 'auto'}`;
    // Backend and thread count are fixed per worker (onnxruntime-web reads numThreads once).
    if (client && clientBackend !== wanted) {
      client.terminate();
      client = null;
    }
    if (!client) {
      client = startAnalysisWorker();
      clientBackend = wanted;
      const backend = await client.api.init(request, threads);
      set({ analysisBackend: backend.description });
    }
    return client;
  }

  async function analysisImages(count: number): Promise<AnalysisImage[]> {
    const state = get();
    return state.images
      .slice(0, count)
      .map((image) => analysisImageOf({ name: image.name, pixels: bitmapPixels(image.bitmap), truth: image.truth, clicks: promptsOf(state, image.id).points }));
  }

  return {
    analysisSettings: defaultAnalysisSettings,
    analysisStatus: 'idle',
    analysisProgress: null,
    analysisResults: null,
    analysisStats: null,
    analysisError: null,
    analysisBackend: null,

    setAnalysisSettings: (patch) => set((state) => ({ analysisSettings: { ...state.analysisSettings, ...patch } })),

    startAnalysis: async () => {
      const state = get();
      if (state.analysisStatus === 'running' || state.analysisStatus === 'cancelling') return;
      const encoderPart = state.encoderPart;
      const decoderPart = state.decoderPart;
      let settings: AnalysisSettings;
      try {
        settings = validateSettings(state.analysisSettings);
        if (!encoderPart || !decoderPart || state.modelStatus !== 'ready') throw new Error('Load a SAM encoder and decoder first.');
        if (state.images.length === 0) throw new Error('Add at least one image to analyse.');
      } catch (error) {
        set({ analysisStatus: 'error', analysisError: errorMessage(error) });
        return;
      }
      set({ analysisStatus: 'running', analysisError: null, analysisProgress: null, analysisResults: null, analysisStats: null });
      try {
        const [encoder, decoder, images, analysis] = await Promise.all([
          encoderPart.source.arrayBuffer(),
          decoderPart.source.arrayBuffer(),
          analysisImages(settings.imageCount),
          worker(),
        ]);
        const transfers = [encoder, decoder, ...images.map((entry) => entry.image.data.buffer as ArrayBuffer)];
        const outcome = await analysis.api.analyze(
          Comlink.transfer({ encoder, decoder, config: state.modelConfig, images, settings }, transfers),
          Comlink.proxy((progress: AnalysisProgress) => set({ analysisProgress: progress })),
          Comlink.proxy((results: AnalysisResults) => set({ analysisResults: results })),
        );
        set({ analysisStatus: 'done', analysisResults: outcome.results, analysisStats: outcome.stats });
      } catch (error) {
        // Comlink rebuilds errors by message and name only.
        const cancelled = error instanceof CancelledError || (error instanceof Error && error.name === 'CancelledError');
        set({ analysisStatus: cancelled ? 'cancelled' : 'error', analysisError: cancelled ? null : errorMessage(error) });
        if (!cancelled) get().pushToast('error', 'The analysis stopped', errorMessage(error));
      }
    },

    cancelAnalysis: () => {
      if (get().analysisStatus !== 'running' || !client) return;
      set({ analysisStatus: 'cancelling' });
      void client.api.cancel();
    },

    clearAnalysisCache: async () => {
      try {
        await (await worker()).api.clearCache();
        set({ analysisResults: null, analysisStats: null, analysisProgress: null, analysisStatus: 'idle' });
      } catch (error) {
        get().pushToast('error', 'Could not clear the stored analyses', errorMessage(error));
      }
    },
  };
};

/** Units by Ω, most important first (empty before results). */
export const selectUnitsByImportance = (state: Pick<AnalysisSlice, 'analysisResults'>): UnitAnalysis[] =>
  state.analysisResults ? rankByImportance(state.analysisResults) : [];
