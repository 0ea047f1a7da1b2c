import type { StateCreator } from 'zustand';
import type { BackendStatus } from '../workers/inferenceClient';
import { loadBackendSettings, saveBackendSettings, type BackendSettings } from './backendSettings';
import { allowInference, currentInference, inferenceStopped, restartInference, stopInference } from './inferenceConnection';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export interface BackendSlice {
  backendSettings: BackendSettings;
  /** What really runs, and why; null until the worker answered. */
  backendStatus: BackendStatus | null;
  backendStarting: boolean;
  /** Starts the current worker with the saved settings (once, at start). */
  startBackend(): Promise<void>;
  /** Saves the choice, replaces the worker (thread count is fixed per worker) and reloads the model. */
  changeBackend(settings: BackendSettings): Promise<void>;
  /** Why clicking to segment is paused (a large model's analysis or export holds the memory), or null. */
  inferencePause: string | null;
  /**
   * Ends the inference worker, giving its memory back, until every pause is resumed; returns this
   * pause's token for resumeInference. Pauses nest (an export during an analysis): the latest reason shows.
   */
  pauseInference(reason: string): number;
  /**
   * Ends the pause `token` (without one: every pause, e.g. a model dropped meanwhile needs a worker). When
   * none is left, starts a fresh inference worker; `reload` sends it the loaded model again (the model stays
   * 'ready' meanwhile: its parts did not change) and then encodes the selected image.
   */
  resumeInference(options?: { reload?: boolean; token?: number }): Promise<void>;
}

export const createBackendSlice: StateCreator<StudioState, [], [], BackendSlice> = (set, get) => {
  /** The pauses in force, by token, with their reasons (a handle on the worker, not state). */
  const pauses = new Map<number, string>();
  let lastPause = 0;

  async function initWorker(settings: BackendSettings): Promise<void> {
    set({ backendStarting: true, backendStatus: null });
    try {
      const status = await currentInference().api.init(settings.request, settings.threads);
      console.info(`[studio] backend: ${status.description}`);
      set({ backendStatus: status });
    } catch (error) {
      if (settings.request === 'wasm') throw error;
      // WebGPU failed to start: say so and run on WASM rather than not at all.
      get().pushToast('error', 'WebGPU could not start; using WASM', errorMessage(error));
      restartInference();
      const status = await currentInference().api.init('wasm', settings.threads);
      set({ backendStatus: { ...status, description: `${status.description} (WebGPU failed to start)` } });
    } finally {
      set({ backendStarting: false });
    }
  }

  return {
    backendSettings: loadBackendSettings(),
    backendStatus: null,
    backendStarting: false,
    inferencePause: null,

    pauseInference: (reason) => {
      const token = ++lastPause;
      pauses.set(token, reason);
      stopInference(reason);
      set({ inferencePause: reason });
      return token;
    },

    resumeInference: async ({ reload = true, token } = {}) => {
      if (token === undefined) pauses.clear();
      else pauses.delete(token);
      if (pauses.size > 0) return set({ inferencePause: [...pauses.values()].at(-1)! });
      if (!inferenceStopped()) return;
      allowInference();
      // Segmenting stays paused until the fresh worker holds the model; a model dropped meanwhile replaces it.
      if (reload) set({ inferencePause: 'Loading the model into the inference engine again…' });
      // Paused again meanwhile (an export right after an analysis): that pause ended this worker; it resumes later.
      const pausedAgain = () => pauses.size > 0;
      try {
        await initWorker(get().backendSettings);
        if (reload && !pausedAgain()) await get().reloadWorkerModel();
      } catch (error) {
        if (!pausedAgain()) get().pushToast('error', 'The inference engine could not start', errorMessage(error));
      } finally {
        if (!pausedAgain()) set({ inferencePause: null });
      }
      if (reload && !pausedAgain()) await get().encodeSelected();
    },

    startBackend: async () => {
      try {
        await initWorker(get().backendSettings);
      } catch (error) {
        get().pushToast('error', 'The inference engine could not start', errorMessage(error));
      }
    },

    changeBackend: async (settings) => {
      saveBackendSettings(settings);
      set({ backendSettings: settings });
      restartInference();
      try {
        await initWorker(settings);
      } catch (error) {
        get().pushToast('error', 'The inference engine could not start', errorMessage(error));
        return;
      }
      await get().reloadModelParts();
    },
  };
};
