import type { StateCreator } from 'zustand';
import { maskArea } from '../core/image/maskOps';
import type { BinaryMask } from '../core/image/rgbaImage';
import { matchPromptedObject, type TruthMatch } from '../core/sam/promptedObject';
import type { BoxPrompt, PointPrompt, Prompts } from '../core/sam/types';
import { currentInference } from './inferenceConnection';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

/** The mask for an image's current prompts. */
export interface MaskPreview {
  mask: BinaryMask;
  area: number;
  predictedIoU: number;
  /** IoU with the prompted ground-truth object, for generated samples. */
  truth: TruthMatch | null;
}

export interface Timings {
  encoderMs: number | null;
  decoderMs: number | null;
}

export interface PreviewSlice {
  promptsByImage: Record<string, Prompts>;
  previewByImage: Record<string, MaskPreview>;
  timings: Timings;
  /** Masks decoded since the page opened (lets tests and the UI see that a new one arrived). */
  decodeCount: number;
  decoding: boolean;
  addPoint(point: PointPrompt): void;
  setBox(box: BoxPrompt): void;
  clearPrompts(): void;
  /** Takes back the newest point (the box when no point is left). */
  removeLastPrompt(): void;
  clearAllPreviews(): void;
  recordEncoderTime(elapsedMs: number): void;
  /** Decodes the image's prompts again when it has prompts but no mask (e.g. after a backend change). */
  refreshPreview(imageId: string): Promise<void>;
}

const noPrompts: Prompts = { points: [], box: null };

export function promptsOf(state: Pick<PreviewSlice, 'promptsByImage'>, imageId: string | null): Prompts {
  return (imageId && state.promptsByImage[imageId]) || noPrompts;
}

export const createPreviewSlice: StateCreator<StudioState, [], [], PreviewSlice> = (set, get) => {
  // Prompts change faster than masks come back: only the newest request per image may land.
  const latestRequest = new Map<string, number>();
  let requestCounter = 0;

  async function decode(imageId: string): Promise<void> {
    const request = ++requestCounter;
    latestRequest.set(imageId, request);
    const prompts = promptsOf(get(), imageId);
    // Paused: the prompts are kept, and the mask comes when segmenting resumes (modelSlice encodeIfReady).
    if ((prompts.points.length === 0 && !prompts.box) || get().inferencePause) return;
    set({ decoding: true });
    try {
      if (!(await get().ensureEncoded(imageId))) return;
      const image = get().images.find((candidate) => candidate.id === imageId);
      if (!image || latestRequest.get(imageId) !== request) return;
      const result = await currentInference().api.decode(imageId, prompts, { width: image.width, height: image.height });
      if (latestRequest.get(imageId) !== request) return;
      const truth = image.truth ? matchPromptedObject(result.mask, prompts, image.truth) : null;
      const preview: MaskPreview = { mask: result.mask, area: maskArea(result.mask), predictedIoU: result.predictedIoU, truth };
      console.info(`[studio] decoder ${result.elapsedMs.toFixed(1)} ms on ${get().backendStatus?.description ?? 'unknown backend'}`);
      set((state) => ({
        previewByImage: { ...state.previewByImage, [imageId]: preview },
        timings: { ...state.timings, decoderMs: result.elapsedMs },
        decodeCount: state.decodeCount + 1,
      }));
    } catch (error) {
      get().pushToast('error', 'Could not compute the mask', errorMessage(error));
    } finally {
      if (latestRequest.get(imageId) === request) set({ decoding: false });
    }
  }

  const updatePrompts = (change: (prompts: Prompts) => Prompts) => {
    const imageId = get().selectedImageId;
    if (!imageId) return;
    const next = change(promptsOf(get(), imageId));
    set((state) => ({ promptsByImage: { ...state.promptsByImage, [imageId]: next } }));
    void decode(imageId);
  };

  return {
    promptsByImage: {},
    previewByImage: {},
    timings: { encoderMs: null, decoderMs: null },
    decodeCount: 0,
    decoding: false,

    addPoint: (point) => updatePrompts((prompts) => ({ ...prompts, points: [...prompts.points, point] })),
    // SAM takes one box: a new one replaces the old.
    setBox: (box) => updatePrompts((prompts) => ({ ...prompts, box })),

    clearPrompts: () => {
      const imageId = get().selectedImageId;
      if (!imageId) return;
      latestRequest.set(imageId, ++requestCounter);
      set((state) => {
        const { [imageId]: _dropped, ...previews } = state.previewByImage;
        return { promptsByImage: { ...state.promptsByImage, [imageId]: noPrompts }, previewByImage: previews, decoding: false };
      });
    },

    removeLastPrompt: () => {
      const prompts = promptsOf(get(), get().selectedImageId);
      if (prompts.points.length === 0 && !prompts.box) return;
      const next = prompts.points.length > 0 ? { ...prompts, points: prompts.points.slice(0, -1) } : { ...prompts, box: null };
      // Nothing left to decode: clear, so the old mask does not stay on screen.
      if (next.points.length === 0 && !next.box) get().clearPrompts();
      else updatePrompts(() => next);
    },

    clearAllPreviews: () => {
      latestRequest.clear();
      set({ previewByImage: {}, decoding: false });
    },

    refreshPreview: async (imageId) => {
      const prompts = promptsOf(get(), imageId);
      if ((prompts.points.length > 0 || prompts.box) && !get().previewByImage[imageId]) await decode(imageId);
    },

    recordEncoderTime: (elapsedMs) => {
      console.info(`[studio] encoder ${elapsedMs.toFixed(1)} ms on ${get().backendStatus?.description ?? 'unknown backend'}`);
      set((state) => ({ timings: { ...state.timings, encoderMs: elapsedMs } }));
    },
  };
};
