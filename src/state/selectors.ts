import type { StudioImage } from './imagesSlice';
import { promptsOf, type MaskPreview } from './previewSlice';
import type { StudioState } from './store';
import type { Prompts } from '../core/sam/types';

/** Reads derived from the store (not stored copies). */
export const selectSelectedImage = (state: StudioState): StudioImage | null =>
  state.images.find((image) => image.id === state.selectedImageId) ?? null;

export const selectSelectedPrompts = (state: StudioState): Prompts => promptsOf(state, state.selectedImageId);

export const selectSelectedPreview = (state: StudioState): MaskPreview | null =>
  (state.selectedImageId && state.previewByImage[state.selectedImageId]) || null;

/** True when a click can produce a mask. */
export const selectCanSegment = (state: StudioState): boolean => state.modelStatus === 'ready' && state.selectedImageId !== null && state.inferencePause === null;
