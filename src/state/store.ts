import { create } from 'zustand';
import { createAnalysisSlice, type AnalysisSlice } from './analysisSlice';
import { createBackendSlice, type BackendSlice } from './backendSlice';
import { createBudgetSlice, type BudgetSlice } from './budgetSlice';
import { createImagesSlice, type ImagesSlice } from './imagesSlice';
import { createModelSlice, type ModelSlice } from './modelSlice';
import { createPersistSlice, type PersistSlice } from './persistSlice';
import { createPreviewSlice, type PreviewSlice } from './previewSlice';
import { createPreviewQuantSlice, type PreviewQuantSlice } from './previewQuantSlice';
import { createEvaluateSlice, type EvaluateSlice } from './evaluateSlice';
import { createExportSlice, type ExportSlice } from './exportSlice';
import { createResultsImportSlice, type ResultsImportSlice } from './resultsImportSlice';
import { createToastsSlice, type ToastsSlice } from './toastsSlice';

/** The studio's state: one slice per concern (zustand's slices pattern). Add a slice here and to the type. */
export type StudioState = BackendSlice & ModelSlice & ImagesSlice & PreviewSlice & ToastsSlice & AnalysisSlice & BudgetSlice & PreviewQuantSlice & EvaluateSlice & ExportSlice & PersistSlice & ResultsImportSlice;

export const useStudio = create<StudioState>()((...args) => ({
  ...createBackendSlice(...args),
  ...createModelSlice(...args),
  ...createImagesSlice(...args),
  ...createPreviewSlice(...args),
  ...createToastsSlice(...args),
  ...createAnalysisSlice(...args),
  ...createBudgetSlice(...args),
  ...createPreviewQuantSlice(...args),
  ...createEvaluateSlice(...args),
  ...createExportSlice(...args),
  ...createPersistSlice(...args),
  ...createResultsImportSlice(...args),
}));
