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
  /** Ground-truth objects of generated samples; null for the user's images. */
  truth: TruthObject[] | null;
  encodeState: EncodeState;
}

export interface ImagesSlice {
  images: StudioImage[];
  selectedImageId: string | null;
  addImageFiles(files: readonly File[]): Promise<void>;
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
  return { id: `image-${nextImageId++}`, name: sample.name, width, height, originalWidth: width, originalHeight: height, bitmap, origin: 'sample', truth: sample.truth, encodeState: 'idle' };
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

  async function encode(id: string): Promise<boolean> {
    const image = get().images.find((candidate) => candidate.id === id);
    if (!image || get().modelStatus !== 'ready') return false;
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
          .map(({ file, image }) => ({ id: `image-${nextImageId++}`, name: file.name, ...image, origin: 'file', truth: null, encodeState: 'idle' })),
      );
    },

    addSampleImages: async (samples) => {
      append(await Promise.all(samples.map(sampleImage)));
    },

    replaceWithSampleImages: async (samples) => {
      const added = await Promise.all(samples.map(sampleImage));
      const removed = get().images;
      set({ images: [], selectedImageId: null });
      for (const image of removed) {
        encodesInFlight.delete(image.id);
        void currentInference().api.forgetImage(image.id).catch(() => undefined);
      }
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
