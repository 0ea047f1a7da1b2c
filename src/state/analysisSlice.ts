import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { AnalysisImage, AnalysisProgress, AnalysisRunStats } from '../core/analysis/analysisEngine';
import { rankByImportance, type AnalysisResults, type UnitAnalysis } from '../core/analysis/analysisResults';
import { defaultAnalysisSettings, quantizedModelKey, validateSettings, type AnalysisSettings } from '../core/analysis/settings';
import { EtaEstimator, isCancelledError } from '../core/progress';
import { startAnalysisWorker, type AnalysisClient } from '../workers/analysisClient';
import { analysisOrder } from './analysisImages';
import { calibrationImages, releaseQuantWorker } from './quantConnection';
import { ANALYSE_ALONE_ENCODER_BYTES } from '../core/analysis/analysisCost';
import { aloneReason } from './aloneReason';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type AnalysisStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

/** What the shown results were computed from: the images (studio ids, names) and the settings of their run. */
export interface AnalysisInputs {
  imageIds: string[];
  imageNames: string[];
  settings: AnalysisSettings;
}

export interface AnalysisSlice {
  analysisSettings: AnalysisSettings;
  analysisStatus: AnalysisStatus;
  /** Latest progress event of the running (or last) analysis. */
  analysisProgress: AnalysisProgress | null;
  /**
   * The results consumers (charts, allocation, preview) read. A first run shows its partial results while it
   * goes; a run after finished results keeps those until it completes, so a cancelled or failed re-run leaves
   * them in place.
   */
  analysisResults: AnalysisResults | null;
  /** The images and settings `analysisResults` were computed from (null with no results). */
  analysisInputs: AnalysisInputs | null;
  /** Time left of the running analysis' probes, from their recent pace (core/progress.ts EtaEstimator). */
  analysisEtaMs: number | null;
  analysisStats: AnalysisRunStats | null;
  analysisError: string | null;
  /** Backend the analysis worker runs on, in words. */
  analysisBackend: string | null;
  /**
   * Set when the settings were chosen for the loaded model rather than being the studio's defaults (a user's
   * own export): why, in words, and the settings chosen (once they differ, the user has taken over).
   */
  analysisDefaults: { reason: string; settings: AnalysisSettings } | null;
  setAnalysisSettings(patch: Partial<AnalysisSettings>): void;
  /** Applies settings chosen for the loaded model and says why (core/analysis/analysisCost.ts modelDefaults). */
  applyModelDefaults(patch: Partial<AnalysisSettings>, reason: string): void;
  /** Analyses the first T images; resumes from what IndexedDB holds for the same model, images and settings. */
  startAnalysis(): Promise<void>;
  cancelAnalysis(): void;
  /** Forgets every stored analysis (the next run measures everything again). */
  clearAnalysisCache(): Promise<void>;
  /** Sets the settings restored from the last visit: the user's choice, so no model defaults replace them. */
  restoreAnalysisSettings(settings: AnalysisSettings): void;
  /** True once restored settings are in place (userModelDefaults leaves them alone). */
  analysisSettingsRestored: boolean;
  /**
   * Drops the results (another model is loaded): a run in progress is cancelled, shows Cancelling until it has
   * stopped, and nothing it still reports lands. The stored probe cache is kept.
   */
  resetAnalysis(): void;
}

/** The worker is a handle, not state; it is started on first use and kept for later runs. */
let client: AnalysisClient | null = null;
let clientBackend: string | null = null;

export const createAnalysisSlice: StateCreator<StudioState, [], [], AnalysisSlice> = (set, get) => {
  /** Identity of the latest run; a reset takes a new one, so the answers of the run before are dropped. */
  let run = 0;

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
      try {
        const backend = await client.api.init(request, threads);
        set({ analysisBackend: backend.description });
      } catch (error) {
        // A worker that did not start is dropped, so the next Analyze starts a fresh one.
        client.terminate();
        client = null;
        throw error;
      }
    }
    return client;
  }

  /**
   * Ends the worker once its run is over (done, cancelled or failed): a WASM heap only grows, so the memory a
   * large encoder's analysis took goes back only with its worker. The next Analyze starts a fresh one.
   */
  function releaseWorker(): void {
    client?.terminate();
    client = null;
  }

  async function analysisImages(count: number): Promise<AnalysisImage[]> {
    return calibrationImages(get(), count);
  }

  return {
    analysisSettings: defaultAnalysisSettings,
    analysisStatus: 'idle',
    analysisProgress: null,
    analysisResults: null,
    analysisInputs: null,
    analysisEtaMs: null,
    analysisStats: null,
    analysisError: null,
    analysisBackend: null,
    analysisDefaults: null,
    analysisSettingsRestored: false,

    restoreAnalysisSettings: (settings) => set({ analysisSettings: { ...defaultAnalysisSettings, ...settings }, analysisSettingsRestored: true, analysisDefaults: null }),

    setAnalysisSettings: (patch) => set((state) => ({ analysisSettings: { ...state.analysisSettings, ...patch } })),

    applyModelDefaults: (patch, reason) =>
      set((state) => {
        const settings = { ...state.analysisSettings, ...patch };
        return { analysisSettings: settings, analysisDefaults: { reason, settings } };
      }),

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
      // Finished results stay until this run completes; only a first run shows its partial results meanwhile.
      const keepShown = state.analysisResults !== null;
      const used = analysisOrder(state.images).slice(0, settings.imageCount);
      const inputs: AnalysisInputs = { imageIds: used.map((image) => image.id), imageNames: used.map((image) => image.name), settings };
      set({ analysisStatus: 'running', analysisError: null, analysisProgress: null, analysisEtaMs: null });
      let pause: number | null = null;
      if (encoderPart.sizeBytes >= ANALYSE_ALONE_ENCODER_BYTES) {
        state.cancelEvaluation();
        state.cancelExport();
        releaseQuantWorker();
        pause = state.pauseInference(aloneReason('analysis', encoderPart.sizeBytes));
      }
      const mine = ++run;
      const current = () => mine === run;
      // Callbacks come over their own message ports, so one can arrive after the run's answer: then it is dropped.
      let ended = false;
      const live = () => current() && !ended;
      const eta = new EtaEstimator();
      try {
        const [encoder, decoder, images, analysis] = await Promise.all([
          encoderPart.source.arrayBuffer(),
          decoderPart.source.arrayBuffer(),
          analysisImages(settings.imageCount),
          worker(),
        ]);
        if (!current()) return set({ analysisStatus: 'idle' });
        const transfers = [encoder, decoder, ...images.map((entry) => entry.image.data.buffer as ArrayBuffer)];
        const outcome = await analysis.api.analyze(
          Comlink.transfer({ encoder, decoder, config: state.modelConfig, images, settings }, transfers),
          Comlink.proxy((progress: AnalysisProgress) => {
            if (!live()) return;
            const etaMs = progress.phase === 'probing' ? eta.update(progress.done, progress.total, performance.now()) : null;
            set({ analysisProgress: progress, analysisEtaMs: etaMs });
          }),
          Comlink.proxy((results: AnalysisResults) => {
            if (live() && !keepShown) set({ analysisResults: results, analysisInputs: inputs, analysisStats: null });
          }),
        ).finally(() => {
          ended = true;
        });
        if (!current()) return set({ analysisStatus: 'idle' });
        // The run's last progress message ("done") may come after its answer and is then dropped: the answer
        // itself closes the progress line, so a finished run never shows a probing phase.
        const last = get().analysisProgress;
        const finished: AnalysisProgress | null = last && last.phase !== 'done' ? { ...last, phase: 'done', done: last.total, label: 'Done', imageIndex: null, unitId: null, etaMs: 0 } : last;
        // Same run key, another quantized model (weight rounding, bias correction): its evaluation and export go.
        const previous = get().analysisResults;
        if (previous && previous.runKey === outcome.results.runKey && quantizedModelKey(previous.settings) !== quantizedModelKey(outcome.results.settings)) {
          get().resetEvaluation();
          get().resetExport();
        }
        set({ analysisStatus: 'done', analysisProgress: finished, analysisResults: outcome.results, analysisInputs: inputs, analysisStats: outcome.stats, analysisEtaMs: null });
        releaseWorker();
      } catch (error) {
        if (!current()) return set({ analysisStatus: 'idle' });
        const cancelled = isCancelledError(error);
        set({ analysisStatus: cancelled ? 'cancelled' : 'error', analysisError: cancelled ? null : errorMessage(error), analysisEtaMs: null });
        if (!cancelled) get().pushToast('error', 'The analysis stopped', errorMessage(error));
        releaseWorker();
      } finally {
        // Segmenting comes back with the model reloaded (a model swap meanwhile has resumed it already).
        if (pause !== null) void get().resumeInference({ token: pause });
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
        set({ analysisResults: null, analysisInputs: null, analysisStats: null, analysisProgress: null, analysisEtaMs: null, analysisStatus: 'idle' });
      } catch (error) {
        get().pushToast('error', 'Could not clear the stored analyses', errorMessage(error));
      }
    },

    resetAnalysis: () => {
      run++;
      const running = get().analysisStatus === 'running' || get().analysisStatus === 'cancelling';
      if (running) void client?.api.cancel();
      set({ analysisStatus: running ? 'cancelling' : 'idle', analysisResults: null, analysisInputs: null, analysisStats: null, analysisProgress: null, analysisEtaMs: null, analysisError: null });
    },
  };
};

/** Units by Ω, most important first (empty before results). */
export const selectUnitsByImportance = (state: Pick<AnalysisSlice, 'analysisResults'>): UnitAnalysis[] =>
  state.analysisResults ? rankByImportance(state.analysisResults) : [];

/** How the shown results' inputs differ from what Analyze would measure now (null when they are the same). */
export interface ResultsDrift {
  settingsChanged: boolean;
  imagesChanged: boolean;
  inputs: AnalysisInputs;
}

export function selectResultsDrift(state: Pick<StudioState, 'analysisInputs' | 'analysisResults' | 'analysisSettings' | 'images'>): ResultsDrift | null {
  const inputs = state.analysisInputs;
  if (!inputs || !state.analysisResults) return null;
  let settingsChanged: boolean;
  try {
    settingsChanged = JSON.stringify(validateSettings(state.analysisSettings)) !== JSON.stringify(inputs.settings);
  } catch {
    settingsChanged = true;
  }
  const count = settingsChanged ? inputs.imageIds.length : inputs.settings.imageCount;
  const now = analysisOrder(state.images).slice(0, count).map((image) => image.id);
  const imagesChanged = now.length !== inputs.imageIds.length || now.some((id, t) => id !== inputs.imageIds[t]);
  return settingsChanged || imagesChanged ? { settingsChanged, imagesChanged, inputs } : null;
}
