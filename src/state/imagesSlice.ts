import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { TruthObject } from '../core/sam/promptedObject';
import { currentInference } from './inferenceConnection';
import { bitmapFromPixels, bitmapPixels, decodeImageFile } from './imageFiles';
import type { SampleImage } from './sampleImages';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type EncodeState = 'idle' | 'encoding' | 'ready' | 'error';

export interface StudioImage {
  id: string;
  name: string;
  /** Working size: what SAM is fed and masks are computed at (the file's size, capped at 2048 a side). */
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  bitmap: ImageBitmap;
  origin: 'sample' | 'file';
  /** The user's file as dropped (kept so the image survives a reload, state/persistImages.ts); null for samples. */
  source: Blob | null;
  /** Ground-truth objects of generated samples; null for the user's images. */
  truth: TruthObject[] | null;
  encodeState: EncodeState;
}

export interface ImagesSlice {
  images: StudioImage[];
  selectedImageId: string | null;
  addImageFiles(files: readonly File[]): Promise<void>;
  /**
   * Removes one image. When the shown analysis was measured on it, the analysis (and the budget and previews
   * computed from it) is cleared and a toast says so: no result outlives the images it was computed from.
   */
  removeImage(id: string): void;
  addSampleImages(samples: readonly SampleImage[]): Promise<void>;
  /** Replaces every image with these generated ones (the study's scenes), selecting the first. */
  replaceWithSampleImages(samples: readonly SampleImage[]): Promise<void>;
  selectImage(id: string): void;
  /** Runs the encoder on the selected image unless its embedding is cached. */
  encodeSelected(): Promise<void>;
  /** Resolves once the image's embedding is cached (encoding it if needed); false if it cannot be. */
  ensureEncoded(id: string): Promise<boolean>;
  /** Forgets every embedding (a new encoder was loaded). */
  forgetEmbeddings(): void;
}

let nextImageId = 1;

async function sampleImage(sample: SampleImage): Promise<StudioImage> {
  const { width, height } = sample.pixels;
  const bitmap = await bitmapFromPixels(sample.pixels);
  return { id: `image-${nextImageId++}`, name: sample.name, width, height, originalWidth: width, originalHeight: height, bitmap, origin: 'sample', source: null, truth: sample.truth, encodeState: 'idle' };
}
const encodesInFlight = new Map<string, Promise<boolean>>();
// Bumped when embeddings are forgotten, so an encode finishing for an old encoder is not taken as current.
let embeddingGeneration = 0;

export const createImagesSlice: StateCreator<StudioState, [], [], ImagesSlice> = (set, get) => {
  const patchImage = (id: string, patch: Partial<StudioImage>) =>
    set((state) => ({ images: state.images.map((image) => (image.id === id ? { ...image, ...patch } : image)) }));

  const append = (added: StudioImage[]) => {
    if (added.length === 0) return;
    set((state) => ({ images: [...state.images, ...added] }));
    if (!get().selectedImageId) get().selectImage(added[0].id);
  };

  /** Forgets what the workers and previews hold of removed images. */
  function forgetImages(removed: readonly StudioImage[]): void {
    for (const image of removed) {
      encodesInFlight.delete(image.id);
      // A paused worker holds nothing: the fresh one started on resume never saw these images.
      if (!get().inferencePause) void currentInference().api.forgetImage(image.id).catch(() => undefined);
    }
    set((state) => {
      const promptsByImage = { ...state.promptsByImage };
      const previewByImage = { ...state.previewByImage };
      for (const image of removed) {
        delete promptsByImage[image.id];
        delete previewByImage[image.id];
      }
      return { promptsByImage, previewByImage };
    });
  }

  /** The shown analysis was measured on some of these images: it goes, with what was computed from it. */
  function forgetAnalysisOf(removed: readonly StudioImage[]): void {
    const state = get();
    const used = removed.filter((image) => state.analysisInputs?.imageIds.includes(image.id));
    if (used.length === 0 || !state.analysisResults) return;
    state.resetAnalysis();
    state.resetAllocation();
    state.resetQuantPreview();
    state.resetEvaluation();
    state.resetExport();
    const names = used.length <= 3 ? used.map((image) => image.name).join(', ') : `${used.length} of its images`;
    state.pushToast(
      'info',
      'The analysis was cleared',
      `It was measured on ${names}, no longer in the strip; its budget and previews went with it. Run Analyze to measure the images you have now (probes measured before stay stored and are reused if the same images and settings come back).`,
    );
  }

  async function encode(id: string): Promise<boolean> {
    const image = get().images.find((candidate) => candidate.id === id);
    // Paused (a large model's analysis holds the memory): the selected image is encoded again on resume.
    if (!image || get().modelStatus !== 'ready' || get().inferencePause) return false;
    const generation = embeddingGeneration;
    patchImage(id, { encodeState: 'encoding' });
    try {
      const pixels = bitmapPixels(image.bitmap);
      const result = await currentInference().api.encode(id, Comlink.transfer(pixels, [pixels.data.buffer]));
      if (generation !== embeddingGeneration) return false;
      patchImage(id, { encodeState: 'ready' });
      if (!result.cached) get().recordEncoderTime(result.elapsedMs);
      return true;
    } catch (error) {
      if (generation !== embeddingGeneration) return false;
      patchImage(id, { encodeState: 'error' });
      get().pushToast('error', `Could not encode ${image.name}`, errorMessage(error));
      return false;
    }
  }

  return {
    images: [],
    selectedImageId: null,

    addImageFiles: async (files) => {
      const decoded = await Promise.all(
        files.map(async (file) => {
          try {
            const image = await decodeImageFile(file);
            return { file, image };
          } catch {
            get().pushToast('error', `Could not read ${file.name}`, 'The file is not a PNG, JPEG or WebP image this browser can decode, or it is damaged.');
            return null;
          }
        }),
      );
      append(
        decoded
          .filter((entry) => entry !== null)
          .map(({ file, image }) => ({ id: `image-${nextImageId++}`, name: file.name, ...image, origin: 'file', source: file, truth: null, encodeState: 'idle' })),
      );
    },

    addSampleImages: async (samples) => {
      append(await Promise.all(samples.map(sampleImage)));
    },

    removeImage: (id) => {
      const state = get();
      const index = state.images.findIndex((image) => image.id === id);
      if (index < 0) return;
      const removed = state.images[index];
      const images = state.images.filter((image) => image.id !== id);
      const selected = state.selectedImageId === id ? (images[Math.min(index, images.length - 1)]?.id ?? null) : state.selectedImageId;
      set({ images, selectedImageId: selected });
      forgetImages([removed]);
      forgetAnalysisOf([removed]);
      if (selected && selected !== state.selectedImageId) get().selectImage(selected);
    },

    replaceWithSampleImages: async (samples) => {
      const added = await Promise.all(samples.map(sampleImage));
      const removed = get().images;
      set({ images: [], selectedImageId: null });
      forgetImages(removed);
      forgetAnalysisOf(removed);
      append(added);
    },

    selectImage: (id) => {
      set({ selectedImageId: id });
      void get().encodeSelected();
    },

    encodeSelected: async () => {
      const id = get().selectedImageId;
      if (id && (await get().ensureEncoded(id))) await get().refreshPreview(id);
    },

    ensureEncoded: (id) => {
      const image = get().images.find((candidate) => candidate.id === id);
      if (image?.encodeState === 'ready') return Promise.resolve(true);
      const inFlight = encodesInFlight.get(id);
      if (inFlight) return inFlight;
      const work = encode(id).finally(() => encodesInFlight.delete(id));
      encodesInFlight.set(id, work);
      return work;
    },

    forgetEmbeddings: () => {
      embeddingGeneration++;
      encodesInFlight.clear();
      set((state) => ({ images: state.images.map((image) => ({ ...image, encodeState: 'idle' as const })) }));
      get().clearAllPreviews();
    },
  };
};
