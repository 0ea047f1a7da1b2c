import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import { parseModelManifest } from '../core/sam/modelManifest';
import type { SamModelConfig } from '../core/sam/samAdapter';
import type { SamFormat } from '../core/sam/types';
import type { LoadedPart } from '../workers/inferenceClient';
import { currentInference } from './inferenceConnection';
import { isModelManifestFile, isOnnxFile } from './imageFiles';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

/** One loaded .onnx as the model card shows it; the Blob lets a new worker reload it. */
export interface ModelPartCard {
  fileName: string;
  sizeBytes: number;
  format: SamFormat;
  signature: string;
  source: Blob;
}

export type ModelStatus = 'empty' | 'loading' | 'ready' | 'incomplete' | 'mismatch';

export interface ModelSlice {
  modelName: string | null;
  /** A caveat worth showing on the card (e.g. untrained weights). */
  modelNote: string | null;
  modelConfig: SamModelConfig;
  encoderPart: ModelPartCard | null;
  decoderPart: ModelPartCard | null;
  modelStatus: ModelStatus;
  /** Why the model is not ready, in words. */
  modelMessage: string | null;
  loadDemoModel(): Promise<void>;
  addModelFiles(files: readonly File[]): Promise<void>;
  /** Loads the current parts into a freshly started worker (after a backend change). */
  reloadModelParts(): Promise<void>;
}

const demoBase = `${import.meta.env.BASE_URL}models/demo-sam/`;

export const createModelSlice: StateCreator<StudioState, [], [], ModelSlice> = (set, get) => {
  /** Sends one part to the worker; returns null (after a toast naming the file) when it is no usable SAM part. */
  async function loadPart(fileName: string, source: Blob): Promise<LoadedPart | null> {
    try {
      const bytes = await source.arrayBuffer();
      const loaded = await currentInference().api.loadModelPart(fileName, Comlink.transfer(bytes, [bytes]), get().modelConfig);
      const card: ModelPartCard = { fileName, sizeBytes: loaded.sizeBytes, format: loaded.format, signature: loaded.signature, source };
      set(loaded.part === 'encoder' ? { encoderPart: card } : { decoderPart: card });
      if (loaded.part === 'encoder') get().forgetEmbeddings();
      return loaded;
    } catch (error) {
      get().pushToast('error', `Could not use ${fileName}`, errorMessage(error));
      return null;
    }
  }

  /**
   * Loads parts one at a time (each is a session; detection tells encoder from decoder), then settles the
   * status from the worker's last answer. When every part fails, the worker keeps what it had.
   */
  async function loadParts(parts: ReadonlyArray<{ fileName: string; source: Blob }>, statusIfNoneLoaded: ModelStatus): Promise<boolean> {
    set({ modelStatus: 'loading', modelMessage: `Reading ${parts.map((part) => part.fileName).join(', ')}…` });
    let last: LoadedPart | null = null;
    for (const part of parts) last = (await loadPart(part.fileName, part.source)) ?? last;
    if (last) {
      set({ modelStatus: last.pairReady ? 'ready' : last.pairError ? 'mismatch' : 'incomplete', modelMessage: last.pairError ?? missingPartMessage(get()) });
    } else {
      set({ modelStatus: statusIfNoneLoaded, modelMessage: statusIfNoneLoaded === 'ready' ? null : missingPartMessage(get()) });
    }
    if (get().modelStatus === 'ready') await get().encodeSelected();
    return last !== null;
  }

  return {
    modelName: null,
    modelNote: null,
    modelConfig: {},
    encoderPart: null,
    decoderPart: null,
    modelStatus: 'empty',
    modelMessage: null,

    loadDemoModel: async () => {
      set({ modelStatus: 'loading', modelMessage: 'Loading the demo model…' });
      try {
        const manifest = parseModelManifest(await fetchJson(`${demoBase}model.json`));
        set({
          modelName: manifest.name,
          modelNote: manifest.trained === false ? 'Untrained placeholder weights: masks are not meaningful yet.' : null,
          modelConfig: manifest.config,
        });
        const [encoder, decoder] = await Promise.all([fetchBlob(demoBase + manifest.encoderFile), fetchBlob(demoBase + manifest.decoderFile)]);
        await loadParts(
          [
            { fileName: manifest.encoderFile, source: encoder },
            { fileName: manifest.decoderFile, source: decoder },
          ],
          'empty',
        );
      } catch (error) {
        set({ modelStatus: 'empty', modelMessage: 'The demo model could not be loaded. Drop a SAM encoder and decoder (.onnx).' });
        get().pushToast('error', 'Could not load the demo model', errorMessage(error));
      }
    },

    addModelFiles: async (files) => {
      const manifestFile = files.find(isModelManifestFile);
      if (manifestFile) {
        try {
          const manifest = parseModelManifest(JSON.parse(await manifestFile.text()));
          set({ modelConfig: manifest.config, modelName: manifest.name, modelNote: null });
        } catch (error) {
          get().pushToast('error', `Could not read ${manifestFile.name}`, errorMessage(error));
        }
      } else if (files.some(isOnnxFile)) {
        // The user's own export: SAM's standard sizes unless its shapes say otherwise, not the demo's model.json.
        set({ modelConfig: {} });
      }
      const onnxFiles = files.filter(isOnnxFile);
      if (onnxFiles.length === 0) return;
      const loadedAny = await loadParts(
        onnxFiles.map((file) => ({ fileName: file.name, source: file })),
        get().modelStatus,
      );
      if (loadedAny && !manifestFile) set({ modelName: 'Your model', modelNote: null });
    },

    reloadModelParts: async () => {
      const parts = [get().encoderPart, get().decoderPart].filter((part): part is ModelPartCard => part !== null);
      if (parts.length === 0) return;
      get().forgetEmbeddings();
      await loadParts(parts, 'incomplete');
    },
  };
};

function missingPartMessage(state: Pick<ModelSlice, 'encoderPart' | 'decoderPart'>): string | null {
  if (!state.encoderPart && !state.decoderPart) return 'No model: drop a SAM encoder and decoder (.onnx).';
  if (!state.encoderPart) return 'Add the encoder .onnx to segment.';
  if (!state.decoderPart) return 'Add the decoder .onnx to segment.';
  return null;
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`);
  return response.json();
}

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`);
  return response.blob();
}
