/**
 * The mixed-precision preview of the selected image: FP and quantized masks side by side for its prompts,
 * under the current allocation (budgetSlice selectAllocation), as the chosen export profile's file runs it
 * (the simulation for `exact`). Follows the allocation, the profile, the selected image and its prompts, debounced so a slider drag asks once it pauses; only the newest request may land.
 */
import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { MaskPreviewResult } from '../core/evaluate/maskPreview';
import { exportProfileInfo, type ExportProfile } from '../core/quant/profiles';
import { selectAllocation } from './budgetSlice';
import { allocationKeyOf } from './evaluateSlice';
import { preparedQuantWorker } from './quantConnection';
import { bitmapPixels } from './imageFiles';
import { promptsOf } from './previewSlice';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type QuantPreviewStatus = 'off' | 'waiting' | 'preparing' | 'running' | 'ready' | 'error';

export interface QuantPreviewResult extends MaskPreviewResult {
  imageId: string;
  /** The model (content hash) and analysis run the quantized masks were computed with. */
  modelHash: string;
  runKey: string;
  /** Identity of the allocation previewed (its widths by unit). */
  allocationKey: string;
  /** The allocation was final (exact answer) when previewed. */
  allocationFinal: boolean;
  /** The export profile the quantized mask ran as. */
  profile: ExportProfile;
}

export interface QuantPreview {
  status: QuantPreviewStatus;
  /** Why there is no preview (off), what is being prepared, or what went wrong. */
  message: string | null;
  /** The latest preview; may belong to an older allocation or image while a newer one runs. */
  result: QuantPreviewResult | null;
  /** Previews landed since the page opened (tests wait for a new one). */
  count: number;
}

export interface PreviewQuantSlice {
  quantPreview: QuantPreview;
  /** Schedules a preview of what is selected now (debounced); the store calls it on every relevant change. */
  refreshQuantPreview(): void;
  /** Drops the preview (another model is loaded); a request in flight lands nowhere. */
  resetQuantPreview(): void;
}

const NOT_ANALYSED = 'Run Analyze, then set a budget: the preview shows the mixed-precision masks.';

/** Pause after the last change before previewing (slider drags send many values). */
export const PREVIEW_DEBOUNCE_MS = 200;

export const createPreviewQuantSlice: StateCreator<StudioState, [], [], PreviewQuantSlice> = (set, get, api) => {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let sequence = 0;
  let lastRequest: string | null = null;

  const patch = (change: Partial<QuantPreview>) => set((state) => ({ quantPreview: { ...state.quantPreview, ...change } }));

  async function run(): Promise<void> {
    timer = null;
    const state = get();
    const allocation = selectAllocation(state);
    const imageId = state.selectedImageId;
    const image = state.images.find((candidate) => candidate.id === imageId);
    const prompts = promptsOf(state, imageId);
    const off = (message: string) => {
      lastRequest = null;
      patch({ status: 'off', message });
    };
    if (state.modelStatus !== 'ready') return off('Load a model to preview quantized masks.');
    if (state.inferencePause) return off(state.inferencePause);
    if (!state.analysisResults?.complete) return off(NOT_ANALYSED);
    const { modelHash } = state;
    const { runKey } = state.analysisResults;
    if (!modelHash || state.analysisResults.modelHash !== modelHash) return off('The analysis was measured on another model: run Analyze for the one loaded.');
    if (!allocation) return off(state.allocationPhase === 'solving' ? 'Solving the allocation…' : (state.allocationMessage ?? 'No allocation meets the budgets.'));
    if (!image) return off('Select an image.');
    if (prompts.points.length === 0 && !prompts.box) return off('Click on the image (or drag a box) to compare FP and mixed-precision masks.');
    const key = allocationKeyOf(allocation.widthByUnit);
    const profile = state.exportProfile;
    const request = JSON.stringify([imageId, prompts, key, modelHash, runKey, profile]);
    const current = get().quantPreview;
    if (request === lastRequest && (current.status === 'ready' || current.status === 'running')) {
      // Same masks; only the allocation's finality may have changed.
      if (current.result && current.result.allocationFinal !== allocation.final) patch({ result: { ...current.result, allocationFinal: allocation.final } });
      return;
    }
    lastRequest = request;
    const mine = ++sequence;
    patch({ status: 'preparing', message: 'Preparing the quantized model…' });
    try {
      const quant = await preparedQuantWorker(state, (progress) => {
        if (mine === sequence) patch({ message: progress.label });
      });
      if (mine !== sequence) return;
      patch({ status: 'running', message: profile === 'exact' ? null : `Running the ${exportProfileInfo(profile).label} file of this allocation…` });
      const pixels = quant.needsImage(image.id) ? bitmapPixels(image.bitmap) : null;
      const result = await quant.api.preview(
        Comlink.transfer(
          { imageId: image.id, image: pixels, prompts, allocation: allocation.widthByUnit, truth: image.truth, profile },
          pixels ? [pixels.data.buffer as ArrayBuffer] : [],
        ),
      );
      if (mine !== sequence) return;
      set((s) => ({
        quantPreview: {
          status: 'ready',
          message: null,
          result: { ...result, imageId: image.id, modelHash, runKey, allocationKey: key, allocationFinal: allocation.final, profile },
          count: s.quantPreview.count + 1,
        },
      }));
    } catch (error) {
      if (mine !== sequence) return;
      lastRequest = null;
      patch({ status: 'error', message: errorMessage(error) });
    }
  }

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), PREVIEW_DEBOUNCE_MS);
  };

  api.subscribe((state, previous) => {
    const selected = state.selectedImageId;
    if (
      selectAllocation(state) !== selectAllocation(previous) ||
      selected !== previous.selectedImageId ||
      promptsOf(state, selected) !== promptsOf(previous, selected) ||
      state.analysisResults !== previous.analysisResults ||
      state.modelStatus !== previous.modelStatus ||
      state.modelHash !== previous.modelHash ||
      state.exportProfile !== previous.exportProfile ||
      state.inferencePause !== previous.inferencePause ||
      state.allocationPhase !== previous.allocationPhase
    ) {
      schedule();
    }
  });

  return {
    quantPreview: { status: 'off', message: NOT_ANALYSED, result: null, count: 0 },
    refreshQuantPreview: schedule,

    resetQuantPreview: () => {
      sequence++;
      lastRequest = null;
      patch({ status: 'off', message: NOT_ANALYSED, result: null });
      schedule();
    },
  };
};
