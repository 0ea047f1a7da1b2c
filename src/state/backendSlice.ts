import type { StateCreator } from 'zustand';
import type { BackendStatus } from '../workers/inferenceClient';
import { loadBackendSettings, saveBackendSettings, type BackendSettings } from './backendSettings';
import { currentInference, restartInference } from './inferenceConnection';
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
}

export const createBackendSlice: StateCreator<StudioState, [], [], BackendSlice> = (set, get) => {
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
