/**
 * Export (DESIGN.md "The user's day", step 6): the current allocation written as deployable encoder and
 * decoder files by the quantization worker, then verified there against the simulation on the selected
 * image's prompts. The files are kept as Blobs for the download links; sizes are shown against FP.
 */
import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { SamVerification } from '../core/evaluate/verifySamExport';
import { isCancelledError, type Progress } from '../core/progress';
import type { ExportSizes } from '../core/quant/export';
import { ANALYSE_ALONE_ENCODER_BYTES } from '../core/analysis/analysisCost';
import { aloneReason } from './aloneReason';
import { selectAllocation } from './budgetSlice';
import { allocationKeyOf, type EvaluationOutcome } from './evaluateSlice';
import { analysedLoadedModel, ANALYSIS_OF_ANOTHER_MODEL, evaluationSources, preparedQuantWorker, startQuantJob, type QuantJob } from './quantConnection';
import type { StudioState } from './store';
import type { ModelPartCard } from './modelSlice';
import { errorMessage } from './toastsSlice';
import { biasCorrectionOf, weightRoundingOf, type WeightRounding } from '../core/analysis/settings';
import type { DeployedCheck } from '../core/evaluate/deployedCheck';
import type { ExportProfile } from '../core/quant/profiles';

export type ExportStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface ExportedFile {
  fileName: string;
  blob: Blob;
  sizes: ExportSizes;
  fpFileBytes: number;
  quantizedWeights: number;
  quantizedActivations: number;
  /** Nothing in this part was quantized: the blob is the file the user gave, byte for byte. */
  unchanged: boolean;
}

export interface ExportOutcome {
  /** The model (content hash of both files) and analysis run the files were written from. */
  modelHash: string;
  runKey: string;
  encoder: ExportedFile;
  decoder: ExportedFile;
  /** The profile the files were written in (quant/profiles.ts). */
  profile: ExportProfile;
  /** Under the reference session options: ≡ the simulation for `exact`. */
  verification: SamVerification;
  /** Under the page's own session options, as deployed: masks vs the preview per prompt, encoder time vs FP. */
  deployed: DeployedCheck;
  /** Image the files were checked on. */
  checkImage: string;
  allocationKey: string;
  /** How the weights were rounded (the analysis' setting when the files were written). */
  weightRounding: WeightRounding;
  /** Whether the biases were corrected for each width's mean output shift (the analysis' setting then). */
  biasCorrection: boolean;
  backend: string;
  elapsedMs: number;
  /** Increases with every export, so the page can start the downloads of a new one once. */
  serial: number;
}

export interface ExportSlice {
  /** The profile the next export writes. */
  exportProfile: ExportProfile;
  setExportProfile(profile: ExportProfile): void;
  exportStatus: ExportStatus;
  exportProgress: Progress | null;
  exported: ExportOutcome | null;
  exportError: string | null;
  /** Writes and verifies the quantized encoder and decoder of the current allocation. */
  exportQuantizedModel(): Promise<void>;
  cancelExport(): void;
  /** Drops the files (another model is loaded); an export in progress is cancelled and lands nowhere. */
  resetExport(): void;
}

/** "encoder.onnx" → "encoder.mixed-precision.onnx" (exact), "encoder.mixed-precision.fast-cpu.onnx" (other profiles) */
export function quantizedFileName(fileName: string, profile: ExportProfile = 'exact'): string {
  const stem = fileName.replace(/\.onnx$/i, '');
  return `${stem}.mixed-precision${profile === 'exact' ? '' : `.${profile}`}.onnx`;
}

let serial = 0;

/** Below this mIoU against full precision (or this fraction of FP's mIoU against truth) the export card warns. */
export const QUALITY_COLLAPSE = 0.5;

export interface ExportQuality {
  /** mIoU of the exported allocation's masks against the full-precision ones. */
  miouFp: number;
  /** …against the true objects, with FP's for comparison (null without known objects). */
  miouTruth: number | null;
  fpMiouTruth: number | null;
  target: EvaluationOutcome['target'];
  prompts: number;
  /** True when the masks have collapsed: mIoU vs FP, or vs truth relative to FP, below QUALITY_COLLAPSE. */
  collapsed: boolean;
}

/**
 * The measured quality of what was exported: the evaluation's mixed row when it scored the exported allocation
 * (same model and analysis run), or null when that allocation has not been evaluated.
 */
export function exportQuality(exported: ExportOutcome | null, evaluation: EvaluationOutcome | null): ExportQuality | null {
  if (!exported || !evaluation || evaluation.modelHash !== exported.modelHash || evaluation.runKey !== exported.runKey) return null;
  // The evaluation's "mixed" row is the allocation it was started for (evaluation.allocationKey).
  // …and ran as the exported profile: a simulation's scores say little about a fast file, and the reverse.
  const plan = evaluation.allocationKey === exported.allocationKey && evaluation.profile === exported.profile ? evaluation.plans.find((row) => row.id === 'mixed') : undefined;
  if (!plan) return null;
  const fp = evaluation.plans.find((row) => row.id === 'fp');
  const fpMiouTruth = fp?.miouTruth ?? null;
  const truthCollapsed = plan.miouTruth !== null && fpMiouTruth !== null && fpMiouTruth > 0 && plan.miouTruth < QUALITY_COLLAPSE * fpMiouTruth;
  return {
    miouFp: plan.miouFp,
    miouTruth: plan.miouTruth,
    fpMiouTruth,
    target: evaluation.target,
    prompts: evaluation.prompts,
    collapsed: plan.miouFp < QUALITY_COLLAPSE || truthCollapsed,
  };
}

export const createExportSlice: StateCreator<StudioState, [], [], ExportSlice> = (set, get) => {
  /** Identity of the latest export; a reset takes a new one, so what the export before still reports is dropped. */
  let run = 0;
  /** The running export's job in the quantization worker: its cancel stops this export only. */
  let job: QuantJob | null = null;

  return {
    exportProfile: 'exact',
    setExportProfile: (profile) => set({ exportProfile: profile }),
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
      if (!analysedLoadedModel(state)) return fail(ANALYSIS_OF_ANOTHER_MODEL);
      if (!allocation) return fail(state.allocationPhase === 'solving' ? 'The allocation is still being solved; try again in a moment.' : 'No allocation meets the budgets: change them first.');
      const { encoderPart, decoderPart } = state;
      if (!encoderPart || !decoderPart) return fail('Load a SAM encoder and decoder first.');
      const selectedIndex = Math.max(0, state.images.findIndex((image) => image.id === state.selectedImageId));
      if (state.images.length === 0) return fail('Add an image: the exported files are checked on it.');
      const mine = ++run;
      const onProgress = (progress: Progress) => {
        if (mine === run) set({ exportProgress: progress });
      };
      // A large encoder's export (its check runs the encoder) holds a WASM heap of its own: segmenting pauses.
      const alone = encoderPart.sizeBytes >= ANALYSE_ALONE_ENCODER_BYTES;
      const pause = alone ? state.pauseInference(aloneReason('export', encoderPart.sizeBytes)) : null;
      const profile = state.exportProfile;
      set({ exportStatus: 'running', exportError: null, exportProgress: { done: 0, total: 5, label: 'Preparing the quantized model…', etaMs: null } });
      const mineJob = startQuantJob('export');
      job = mineJob;
      try {
        // A cancel ends the export at once (the worker stops at its next stage) and nothing is downloaded.
        const quant = await Promise.race([preparedQuantWorker(state, onProgress), mineJob.cancelled]);
        const [check] = evaluationSources({ ...state, images: [state.images[selectedIndex]] }, 1);
        const result = await Promise.race([
          quant.api.exportModel(
            Comlink.transfer(
              { job: mineJob.id, allocation: allocation.widthByUnit, check, promptsPerImage: results.settings.promptsPerImage, gridSize: results.settings.gridSize, profile },
              [check.image.data.buffer as ArrayBuffer],
            ),
            Comlink.proxy(onProgress),
          ),
          mineJob.cancelled,
        ]);
        if (mine !== run) return set({ exportStatus: 'idle' });
        // A part with nothing quantized downloads as the user's own file, byte for byte (the worker's copy is
        // the same graph re-serialized, which may differ in a few bytes).
        const file = (part: typeof result.encoder, source: ModelPartCard): ExportedFile => ({
          fileName: quantizedFileName(source.fileName, profile),
          blob: part.unchanged ? source.source : new Blob([part.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
          sizes: part.unchanged ? { ...part.sizes, fileBytes: source.source.size } : part.sizes,
          fpFileBytes: part.fpFileBytes,
          quantizedWeights: part.quantizedWeights.length,
          quantizedActivations: part.quantizedActivations.length,
          unchanged: part.unchanged,
        });
        set({
          exportStatus: 'done',
          exported: {
            modelHash: results.modelHash,
            runKey: results.runKey,
            encoder: file(result.encoder, encoderPart),
            decoder: file(result.decoder, decoderPart),
            profile,
            verification: result.verification,
            deployed: result.deployed,
            checkImage: check.name,
            allocationKey: allocationKeyOf(allocation.widthByUnit),
            weightRounding: weightRoundingOf(results.settings),
            biasCorrection: biasCorrectionOf(results.settings),
            backend: result.backend,
            elapsedMs: result.elapsedMs,
            serial: ++serial,
          },
        });
        // What the files are worth: the allocation's mIoU, measured now unless it already was.
        const after = get();
        // Not for a large encoder: Evaluate runs its encoder beside the inference worker's (the card offers it).
        if (!alone && !exportQuality(after.exported, after.evaluation) && after.evaluationStatus !== 'running' && after.evaluationStatus !== 'cancelling') {
          void after.startEvaluation();
        }
      } catch (error) {
        if (mine !== run) return set({ exportStatus: 'idle' });
        const cancelled = isCancelledError(error);
        set({ exportStatus: cancelled ? 'cancelled' : 'error', exportError: cancelled ? null : errorMessage(error) });
        if (!cancelled) get().pushToast('error', 'The export stopped', errorMessage(error));
      } finally {
        if (job === mineJob) job = null;
        if (pause !== null) void get().resumeInference({ token: pause });
      }
    },

    cancelExport: () => {
      if (get().exportStatus !== 'running') return;
      set({ exportStatus: 'cancelling' });
      job?.cancel();
    },

    resetExport: () => {
      run++;
      const running = get().exportStatus === 'running' || get().exportStatus === 'cancelling';
      set({ exportStatus: running ? 'cancelling' : 'idle', exported: null, exportProgress: null, exportError: null });
      if (running) job?.cancel();
    },
  };
};
