import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import { sha256Hex, sha256Text } from '../core/analysis/analysisKeys';
import { parseModelManifest, type ModelManifest } from '../core/sam/modelManifest';
import type { SamModelConfig } from '../core/sam/samAdapter';
import type { SamFormat } from '../core/sam/types';
import type { LoadedPart } from '../workers/inferenceClient';
import { currentInference, inferenceStopped } from './inferenceConnection';
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
  /**
   * Content hash of the loaded encoder and decoder (core/analysis/analysisKeys.ts modelHash, as analyses name
   * their model); null while a part is missing or being replaced. Results of another hash are not this model's.
   */
  modelHash: string | null;
  modelStatus: ModelStatus;
  /** Why the model is not ready, in words. */
  modelMessage: string | null;
  loadDemoModel(): Promise<void>;
  addModelFiles(files: readonly File[]): Promise<void>;
  /** Loads model files kept from the last visit (state/persistStore.ts), with their name and config. */
  restoreModel(saved: { name: string | null; config: SamModelConfig; parts: ReadonlyArray<{ fileName: string; blob: Blob }> }): Promise<void>;
  /** Loads the current parts into a freshly started worker (after a backend change). */
  reloadModelParts(): Promise<void>;
  /** Sends the loaded parts to a fresh inference worker without changing the model's status (same parts, same model). */
  reloadWorkerModel(): Promise<void>;
}

/** Sends one part's bytes to whatever runs the model; the inference worker in the studio. */
export type ModelPartLoader = (fileName: string, bytes: ArrayBuffer, config: SamModelConfig) => Promise<LoadedPart>;

const workerLoader: ModelPartLoader = (fileName, bytes, config) => currentInference().api.loadModelPart(fileName, Comlink.transfer(bytes, [bytes]), config);
let partLoader: ModelPartLoader = workerLoader;

/** Replaces where parts are loaded (Node tests have no worker); null restores the inference worker. */
export function setModelPartLoader(loader: ModelPartLoader | null): void {
  partLoader = loader ?? workerLoader;
}

/** SHA-256 of each part's bytes, computed once per file (a backend change reloads the same Blobs). */
const partHashes = new WeakMap<Blob, string>();

async function partHash(source: Blob, bytes?: ArrayBuffer): Promise<string> {
  let hash = partHashes.get(source);
  if (hash === undefined) {
    hash = await sha256Hex(new Uint8Array(bytes ?? (await source.arrayBuffer())));
    partHashes.set(source, hash);
  }
  return hash;
}

/** analysisKeys.ts modelHash of the two files, from their parts' hashes (modelSlice.test.ts checks they agree). */
export async function modelHashOfParts(encoder: Blob, decoder: Blob): Promise<string> {
  return sha256Text(`${await partHash(encoder)}:${await partHash(decoder)}`);
}

const demoBase = `${import.meta.env.BASE_URL}models/demo-sam/`;

export const createModelSlice: StateCreator<StudioState, [], [], ModelSlice> = (set, get, api) => {
  /**
   * Latest wins: every load that replaces the model (the demo, two or more files, a reload) takes a new
   * generation; an older load that sees another one changes nothing more (no part sent, no status, no name).
   */
  let generation = 0;
  /** The latest load; a single dropped part waits for it, as if dropped after it (it adds to that model). */
  let latestLoad: Promise<unknown> = Promise.resolve();
  /** Parts go to the worker one at a time, each followed by its card, so the card shows what the worker holds. */
  let workerTurn: Promise<unknown> = Promise.resolve();

  function inWorkerTurn<T>(work: () => Promise<T>): Promise<T> {
    const next = workerTurn.then(work, work);
    workerTurn = next.catch(() => undefined);
    return next;
  }

  function runLoad(replacesModel: boolean, body: (isLatest: () => boolean) => Promise<void>): Promise<void> {
    const earlier = latestLoad;
    const mine = replacesModel ? ++generation : generation;
    const isLatest = () => mine === generation;
    const work = (replacesModel ? Promise.resolve() : earlier).then(() => (isLatest() ? body(isLatest) : undefined));
    latestLoad = work.catch(() => undefined);
    return work;
  }

  /** The engine starts with the page: a part sent before it answered would fail for no fault of the file. */
  function engineStarted(): Promise<void> {
    return new Promise((resolve) => {
      if (!get().backendStarting) return resolve();
      const stop = api.subscribe((state) => {
        if (state.backendStarting) return;
        stop();
        resolve();
      });
    });
  }

  /** The hash of the pair now loaded; when it names another model, what was computed for the old one goes. */
  async function settleModelHash(previous: string | null): Promise<void> {
    const { encoderPart, decoderPart } = get();
    const hash = encoderPart && decoderPart ? await modelHashOfParts(encoderPart.source, decoderPart.source) : null;
    set({ modelHash: hash });
    if (hash !== previous) forgetResultsOfOtherModel(hash);
  }

  /**
   * Analysis, budget answers, quantized previews, evaluation and export were computed from another model's
   * bytes: they go, and running jobs are stopped. The stored probe cache stays (run keys name the model's
   * hash), so loading the first model again lets its analysis resume.
   */
  function forgetResultsOfOtherModel(hash: string | null): void {
    const state = get();
    const computed =
      state.analysisResults !== null ||
      state.analysisStatus === 'running' ||
      state.allocationAnswer !== null ||
      state.quantPreview.result !== null ||
      state.evaluation !== null ||
      state.evaluationStatus === 'running' ||
      state.exported !== null ||
      state.exportStatus === 'running';
    if (!computed || (hash !== null && state.analysisResults?.modelHash === hash && state.analysisStatus !== 'running')) return;
    state.resetAnalysis();
    state.resetAllocation();
    state.resetQuantPreview();
    state.resetEvaluation();
    state.resetExport();
    state.pushToast('info', 'Another model is loaded', 'The analysis, budget, preview, evaluation and export of the previous model were cleared: run Analyze for this one.');
  }

  /**
   * Sends one part to the worker; returns null (after a toast naming the file) when it is no usable SAM part.
   * `reload`: the loaded model going into a fresh worker; segmenting paused again meanwhile (a large encoder's
   * export) ends it quietly — the file is fine, and the next resume loads it.
   */
  function loadPart(fileName: string, source: Blob, isLatest: () => boolean, reload = false): Promise<LoadedPart | null> {
    return inWorkerTurn(async () => {
      if (!isLatest() || (reload && inferenceStopped())) return null;
      try {
        // A model dropped while a large analysis paused segmenting: it gets a worker (the swap stops that analysis).
        if (inferenceStopped()) await get().resumeInference({ reload: false });
        await engineStarted();
        const bytes = await source.arrayBuffer();
        const contentHash = await partHash(source, bytes); // before the transfer empties the buffer
        if (!isLatest()) return null;
        const loaded = await partLoader(fileName, bytes, get().modelConfig);
        // Even a load superseded meanwhile put its part in the worker: its card goes in too.
        const card: ModelPartCard = { fileName, sizeBytes: loaded.sizeBytes, format: loaded.format, signature: loaded.signature, source };
        const replaced = loaded.part === 'encoder' ? get().encoderPart : get().decoderPart;
        const previousHash = get().modelHash;
        const sameContent = replaced !== null && partHashes.get(replaced.source) === contentHash;
        set({ ...(loaded.part === 'encoder' ? { encoderPart: card } : { decoderPart: card }), ...(sameContent ? {} : { modelHash: null }) });
        if (loaded.part === 'encoder') get().forgetEmbeddings();
        await settleModelHash(previousHash);
        return loaded;
      } catch (error) {
        if (isLatest() && !(reload && inferenceStopped())) get().pushToast('error', `Could not use ${fileName}`, errorMessage(error));
        return null;
      }
    });
  }

  /**
   * Loads parts one at a time (each is a session; detection tells encoder from decoder), then settles the
   * status from the worker's last answer. When every part fails, the worker keeps what it had. Returns
   * whether a part loaded, or null when a newer load took over (it settles the status).
   */
  async function loadParts(
    parts: ReadonlyArray<{ fileName: string; source: Blob }>,
    statusIfNoneLoaded: ModelStatus,
    isLatest: () => boolean,
  ): Promise<boolean | null> {
    set({ modelStatus: 'loading', modelMessage: `Reading ${parts.map((part) => part.fileName).join(', ')}…` });
    let last: LoadedPart | null = null;
    for (const part of parts) last = (await loadPart(part.fileName, part.source, isLatest)) ?? last;
    if (!isLatest()) return null;
    if (last) {
      set({ modelStatus: last.pairReady ? 'ready' : last.pairError ? 'mismatch' : 'incomplete', modelMessage: last.pairError ?? missingPartMessage(get()) });
    } else {
      set({ modelStatus: statusIfNoneLoaded, modelMessage: statusIfNoneLoaded === 'ready' ? null : missingPartMessage(get()) });
    }
    return last !== null;
  }

  async function encodeIfReady(isLatest: () => boolean): Promise<void> {
    if (isLatest() && get().modelStatus === 'ready') await get().encodeSelected();
  }

  return {
    modelName: null,
    modelNote: null,
    modelConfig: {},
    encoderPart: null,
    decoderPart: null,
    modelHash: null,
    modelStatus: 'empty',
    modelMessage: null,

    loadDemoModel: () =>
      runLoad(true, async (isLatest) => {
        set({ modelStatus: 'loading', modelMessage: 'Loading the demo model…' });
        try {
          const manifest = parseModelManifest(await fetchJson(`${demoBase}model.json`));
          const [encoder, decoder] = await Promise.all([fetchBlob(demoBase + manifest.encoderFile), fetchBlob(demoBase + manifest.decoderFile)]);
          if (!isLatest()) return;
          set({
            modelName: manifest.name,
            modelNote: manifest.trained === false ? 'Untrained placeholder weights: masks are not meaningful yet.' : null,
            modelConfig: manifest.config,
          });
          const parts = [
            { fileName: manifest.encoderFile, source: encoder },
            { fileName: manifest.decoderFile, source: decoder },
          ];
          if ((await loadParts(parts, 'empty', isLatest)) === null) return;
          await encodeIfReady(isLatest);
        } catch (error) {
          if (!isLatest()) return;
          set({ modelStatus: 'empty', modelMessage: 'The demo model could not be loaded. Drop a SAM encoder and decoder (.onnx).' });
          get().pushToast('error', 'Could not load the demo model', errorMessage(error));
        }
      }),

    addModelFiles: async (files) => {
      const manifestFile = files.find(isModelManifestFile);
      let manifest: ModelManifest | null = null;
      if (manifestFile) {
        try {
          manifest = parseModelManifest(JSON.parse(await manifestFile.text()));
        } catch (error) {
          get().pushToast('error', `Could not read ${manifestFile.name}`, errorMessage(error));
        }
      }
      const onnxFiles = files.filter(isOnnxFile);
      // Two or more files are a model of their own; a single part (or model.json) adds to the model being loaded.
      return runLoad(onnxFiles.length > 1, async (isLatest) => {
        if (manifest) set({ modelConfig: manifest.config, modelName: manifest.name, modelNote: null });
        // The user's own export: SAM's standard sizes unless its shapes say otherwise, not the demo's model.json.
        else if (onnxFiles.length > 0 && !manifestFile) set({ modelConfig: {} });
        if (onnxFiles.length === 0) return;
        const parts = onnxFiles.map((file) => ({ fileName: file.name, source: file }));
        const loadedAny = await loadParts(parts, get().modelStatus, isLatest);
        if (loadedAny === null) return;
        if (loadedAny && !manifest) set({ modelName: 'Your model', modelNote: null });
        await encodeIfReady(isLatest);
      });
    },

    restoreModel: (saved) =>
      runLoad(true, async (isLatest) => {
        set({ modelName: saved.name, modelNote: null, modelConfig: saved.config });
        const parts = saved.parts.map((part) => ({ fileName: part.fileName, source: part.blob }));
        if ((await loadParts(parts, 'empty', isLatest)) === null) return;
        await encodeIfReady(isLatest);
      }),

    reloadWorkerModel: () => {
      workerTurn = Promise.resolve();
      return runLoad(true, async (isLatest) => {
        get().forgetEmbeddings();
        for (const part of [get().encoderPart, get().decoderPart]) if (part) await loadPart(part.fileName, part.source, isLatest, true);
      });
    },

    reloadModelParts: () => {
      // A new worker: a part still on its way to the old one is lost with it, so nothing waits for that.
      workerTurn = Promise.resolve();
      return runLoad(true, async (isLatest) => {
        const parts = [get().encoderPart, get().decoderPart].filter((part): part is ModelPartCard => part !== null);
        if (parts.length === 0) return;
        get().forgetEmbeddings();
        if ((await loadParts(parts, 'incomplete', isLatest)) === null) return;
        await encodeIfReady(isLatest);
      });
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
