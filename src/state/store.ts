import { create } from 'zustand';
import { createAnalysisSlice, type AnalysisSlice } from './analysisSlice';
import { createBackendSlice, type BackendSlice } from './backendSlice';
import { createImagesSlice, type ImagesSlice } from './imagesSlice';
import { createModelSlice, type ModelSlice } from './modelSlice';
import { createPreviewSlice, type PreviewSlice } from './previewSlice';
import { createToastsSlice, type ToastsSlice } from './toastsSlice';

/** The studio's state: one slice per concern (zustand's slices pattern). Add a slice here and to the type. */
export type StudioState = BackendSlice & ModelSlice & ImagesSlice & PreviewSlice & ToastsSlice & AnalysisSlice;

export const useStudio = create<StudioState>()((...args) => ({
  ...createBackendSlice(...args),
  ...createModelSlice(...args),
  ...createImagesSlice(...args),
  ...createPreviewSlice(...args),
  ...createToastsSlice(...args),
  ...createAnalysisSlice(...args),
}));
