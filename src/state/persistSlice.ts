/**
 * The studio survives a reload: what the user chose (analysis settings, images, model files) is saved as it
 * changes (state/persistStore.ts) and restored when the page opens, with a line saying what came back and a
 * way to start fresh. Big model files are kept up to MAX_SAVED_MODEL_BYTES; larger ones are not, and the user
 * is told so.
 */
import type { StateCreator, StoreApi } from 'zustand';
import { forgetSaved, MAX_SAVED_MODEL_BYTES, writeSaved, type SavedImage, type SavedStudio } from './persistStore';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export interface RestoredSummary {
  model: string | null;
  images: number;
  settings: boolean;
}

export interface PersistSlice {
  /** What the page restored from the last visit (null: nothing, or the line was dismissed). */
  restored: RestoredSummary | null;
  /** Forgets what was saved and reopens the studio as on a first visit (stored analyses stay). */
  startFresh(): Promise<void>;
  dismissRestored(): void;
}

export const createPersistSlice: StateCreator<StudioState, [], [], PersistSlice> = (set, get) => ({
  restored: null,
  startFresh: async () => {
    try {
      await forgetSaved();
      window.location.reload();
    } catch (error) {
      get().pushToast('error', 'Could not forget the saved studio', errorMessage(error));
    }
  },
  dismissRestored: () => set({ restored: null }),
});

const isFile = (blob: Blob) => blob instanceof File;

/** The user's settings, or undefined when they are the studio's or the model's defaults (re-derived on load). */
function settingsToSave(state: StudioState): SavedStudio['settings'] {
  if (state.analysisDefaults?.settings === state.analysisSettings) return undefined;
  return state.analysisSettings;
}

function imagesToSave(state: StudioState): SavedImage[] {
  return state.images.map((image) => (image.origin === 'file' && image.source ? { kind: 'file', name: image.name, blob: image.source } : { kind: 'sample', name: image.name }));
}

/**
 * Saves the settings, images and model whenever they change from now on. Returns the unsubscribe. The
 * model is saved only when both parts are the user's files (the demo is fetched again) and fit the cap.
 */
export function saveStudioChanges(store: StoreApi<StudioState>): () => void {
  let refusedModel: Blob | null = null;
  const save = <K extends keyof SavedStudio>(key: K, value: SavedStudio[K]) =>
    void writeSaved(key, value).catch((error: unknown) => store.getState().pushToast('error', 'Could not keep this for the next visit', errorMessage(error)));
  return store.subscribe((state, previous) => {
    if (state.analysisSettings !== previous.analysisSettings || state.analysisDefaults !== previous.analysisDefaults) save('settings', settingsToSave(state));
    if (state.images !== previous.images && (state.images.length !== previous.images.length || state.images.some((image, i) => image.id !== previous.images[i]?.id))) {
      save('images', imagesToSave(state));
    }
    const { encoderPart, decoderPart } = state;
    const partsChanged = encoderPart !== previous.encoderPart || decoderPart !== previous.decoderPart || state.modelHash !== previous.modelHash || state.modelName !== previous.modelName;
    if (!partsChanged || !state.modelHash || !encoderPart || !decoderPart) return;
    if (!isFile(encoderPart.source) || !isFile(decoderPart.source)) return save('model', undefined);
    const bytes = encoderPart.source.size + decoderPart.source.size;
    if (bytes > MAX_SAVED_MODEL_BYTES) {
      save('model', undefined);
      if (refusedModel !== encoderPart.source) {
        refusedModel = encoderPart.source;
        state.pushToast('info', 'This model is not kept for the next visit', `Its files take ${(bytes / 2 ** 30).toFixed(1)} GB, more than the 1 GB the studio stores in the browser: drop them again after a reload.`);
      }
      return;
    }
    save('model', {
      name: state.modelName,
      config: state.modelConfig,
      parts: [
        { fileName: encoderPart.fileName, blob: encoderPart.source },
        { fileName: decoderPart.fileName, blob: decoderPart.source },
      ],
    });
  });
}
