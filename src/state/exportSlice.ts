/**
 * Export (DESIGN.md "The user's day", step 6): the current allocation written as deployable encoder and
 * decoder files by the quantization worker, then verified there against the simulation on the selected
 * image's prompts. The files are kept as Blobs for the download links; sizes are shown against FP.
 */
import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { SamVerification } from '../core/evaluate/verifySamExport';
import { CancelledError, type Progress } from '../core/progress';
import type { ExportSizes } from '../core/quant/export';
import { selectAllocation } from './budgetSlice';
import { allocationKeyOf } from './evaluateSlice';
import { cancelQuantWork, evaluationSources, preparedQuantWorker } from './quantConnection';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type ExportStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface ExportedFile {
  fileName: string;
  blob: Blob;
  sizes: ExportSizes;
  fpFileBytes: number;
  quantizedWeights: number;
  quantizedActivations: number;
}

export interface ExportOutcome {
  encoder: ExportedFile;
  decoder: ExportedFile;
  verification: SamVerification;
  /** Image the files were checked on. */
  checkImage: string;
  allocationKey: string;
  backend: string;
  elapsedMs: number;
  /** Increases with every export, so the page can start the downloads of a new one once. */
  serial: number;
}

export interface ExportSlice {
  exportStatus: ExportStatus;
  exportProgress: Progress | null;
  exported: ExportOutcome | null;
  exportError: string | null;
  /** Writes and verifies the quantized encoder and decoder of the current allocation. */
  exportQuantizedModel(): Promise<void>;
  cancelExport(): void;
}

/** "encoder.onnx" → "encoder.mixed-precision.onnx" */
export function quantizedFileName(fileName: string): string {
  const stem = fileName.replace(/\.onnx$/i, '');
  return `${stem}.mixed-precision.onnx`;
}

let serial = 0;

export const createExportSlice: StateCreator<StudioState, [], [], ExportSlice> = (set, get) => ({
  exportStatus: 'idle',
  exportProgress: null,
  exported: null,
  exportError: null,

  exportQuantizedModel: async () => {
    const state = get();
    if (state.exportStatus === 'running' || state.exportStatus === 'cancelling') return;
    const allocation = selectAllocation(state);
    const results = state.analysisResults;
    const fail = (message: string) => set({ exportStatus: 'error', exportError: message });
    if (!results?.complete) return fail('Run Analyze and set a budget first: the export writes the allocation.');
    if (!allocation) return fail(state.allocationPhase === 'solving' ? 'The allocation is still being solved; try again in a moment.' : 'No allocation meets the budgets: change them first.');
    const { encoderPart, decoderPart } = state;
    if (!encoderPart || !decoderPart) return fail('Load a SAM encoder and decoder first.');
    const selectedIndex = Math.max(0, state.images.findIndex((image) => image.id === state.selectedImageId));
    if (state.images.length === 0) return fail('Add an image: the exported files are checked on it.');
    set({ exportStatus: 'running', exportError: null, exportProgress: { done: 0, total: 3, label: 'Preparing the quantized model…', etaMs: null } });
    try {
      const quant = await preparedQuantWorker(state, (progress) => set({ exportProgress: progress }));
      if (get().exportStatus === 'cancelling') throw new CancelledError('Export cancelled.');
      const [check] = evaluationSources({ ...state, images: [state.images[selectedIndex]] }, 1);
      const result = await quant.api.exportModel(
        Comlink.transfer(
          { allocation: allocation.widthByUnit, check, promptsPerImage: results.settings.promptsPerImage, gridSize: results.settings.gridSize },
          [check.image.data.buffer as ArrayBuffer],
        ),
        Comlink.proxy((progress: Progress) => set({ exportProgress: progress })),
      );
      const file = (part: typeof result.encoder, name: string): ExportedFile => ({
        fileName: quantizedFileName(name),
        blob: new Blob([part.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
        sizes: part.sizes,
        fpFileBytes: part.fpFileBytes,
        quantizedWeights: part.quantizedWeights.length,
        quantizedActivations: part.quantizedActivations.length,
      });
      set({
        exportStatus: 'done',
        exported: {
          encoder: file(result.encoder, encoderPart.fileName),
          decoder: file(result.decoder, decoderPart.fileName),
          verification: result.verification,
          checkImage: check.name,
          allocationKey: allocationKeyOf(allocation.widthByUnit),
          backend: result.backend,
          elapsedMs: result.elapsedMs,
          serial: ++serial,
        },
      });
    } catch (error) {
      const cancelled = error instanceof CancelledError || (error instanceof Error && error.name === 'CancelledError');
      set({ exportStatus: cancelled ? 'cancelled' : 'error', exportError: cancelled ? null : errorMessage(error) });
      if (!cancelled) get().pushToast('error', 'The export stopped', errorMessage(error));
    }
  },

  cancelExport: () => {
    if (get().exportStatus !== 'running') return;
    set({ exportStatus: 'cancelling' });
    cancelQuantWork();
  },
});
