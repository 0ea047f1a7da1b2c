/**
 * Evaluate (DESIGN.md "The user's day", step 5): mIoU of FP, the best uniform width that fits the same
 * budgets, and the current mixed allocation, computed in the quantization worker with progress and cancel.
 * Scored on the analysed images and prompts, or on the quality study's held-out set (points and boxes
 * apart, as runQualityStudy scores them). The result remembers which allocation it scored, so the table can
 * say when the sliders have moved since.
 */
import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { EvaluationProgress, EvaluationResult } from '../core/evaluate/evaluateRun';
import { evaluationPlans, type EvaluationPlan, type UniformFit } from '../core/evaluate/evaluationPlans';
import { isCancelledError } from '../core/progress';
import type { Allocation } from '../core/quant/config';
import type { ExportProfile } from '../core/quant/profiles';
import type { HeldOutScores } from '../core/study/heldOutScores';
import { selectAllocation } from './budgetSlice';
import { analysedLoadedModel, ANALYSIS_OF_ANOTHER_MODEL, evaluationSources, preparedQuantWorker, startQuantJob, type PreparedWorker, type QuantJob } from './quantConnection';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type EvaluationStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

/** What Evaluate scores: the analysed images' prompts, or the quality study's held-out scenes. */
export type EvaluationTarget = 'analysed' | 'heldOut';

/** Held-out objects by default: the quality study's (bench/quality.ts --held-out-objects). */
export const DEFAULT_HELD_OUT_OBJECTS = 120;

export interface EvaluationOutcome extends EvaluationResult {
  target: EvaluationTarget;
  /** The model (content hash of both files) and analysis run it was computed from. */
  modelHash: string;
  runKey: string;
  /** Scores per prompt kind, for the held-out target (the base fields then hold the all-prompt figures). */
  heldOut: HeldOutScores | null;
  /** The allocation each plan ran, by plan id (null: full precision). */
  allocations: Partial<Record<EvaluationPlan['id'], Allocation | null>>;
  /** The allocation scored as "mixed" (widths by unit), to tell when it is no longer the current one. */
  allocationKey: string;
  uniform: UniformFit | null;
  /** Why there is no uniform row, when there is none. */
  uniformMissing: string | null;
  backend: string;
  /** The export profile the quantized rows ran as (their files; exact: the simulation). */
  profile: ExportProfile;
}

export interface EvaluateSlice {
  evaluationStatus: EvaluationStatus;
  evaluationProgress: EvaluationProgress | null;
  evaluation: EvaluationOutcome | null;
  evaluationError: string | null;
  evaluationTarget: EvaluationTarget;
  heldOutObjects: number;
  setEvaluationTarget(target: EvaluationTarget): void;
  setHeldOutObjects(objects: number): void;
  startEvaluation(): Promise<void>;
  cancelEvaluation(): void;
  /** Drops the outcome (another model is loaded); a run in progress is cancelled and lands nowhere. */
  resetEvaluation(): void;
}

export function allocationKeyOf(widthByUnit: Readonly<Record<string, number | null>>): string {
  return JSON.stringify(Object.entries(widthByUnit).sort(([a], [b]) => (a < b ? -1 : 1)));
}


/** The held-out scores in the shape of one evaluation: every plan's figures over all prompts. */
function heldOutResult(scores: HeldOutScores): EvaluationResult {
  const { point, box } = scores.byKind;
  return {
      plans: scores.plans.map((plan, i) => ({
        id: plan.id,
        label: plan.label,
        miouTruth: plan.miouTruth.all,
        miouFp: plan.miouFp.all,
        miouFpByImage: [...point.plans[i].miouFpByImage, ...box.plans[i].miouFpByImage],
        iouTruthByPrompt: [...point.plans[i].iouTruthByPrompt, ...box.plans[i].iouTruthByPrompt],
        iouFpByPrompt: [...point.plans[i].iouFpByPrompt, ...box.plans[i].iouFpByPrompt],
      })),
      images: scores.seeds.length,
      prompts: point.prompts + box.prompts,
      promptsWithTruth: point.promptsWithTruth + box.promptsWithTruth,
      elapsedMs: scores.elapsedMs,
    };
  }

  async function runEvaluation(
    state: StudioState,
    quant: PreparedWorker,
    job: string,
    plans: EvaluationPlan[],
    onProgress: (progress: EvaluationProgress) => void,
  ): Promise<{ result: EvaluationResult; heldOut: HeldOutScores | null }> {
    if (state.evaluationTarget === 'heldOut') {
      const heldOut = await quant.api.evaluateHeldOut({ job, minObjects: state.heldOutObjects, plans, profile: state.exportProfile }, Comlink.proxy(onProgress));
      return { result: heldOutResult(heldOut), heldOut };
    }
    const settings = state.analysisResults!.settings;
    const sources = evaluationSources(state, settings.imageCount);
    const result = await quant.api.evaluate(
      Comlink.transfer(
        { job, sources, promptsPerImage: settings.promptsPerImage, gridSize: settings.gridSize, plans, profile: state.exportProfile },
        sources.map((source) => source.image.data.buffer as ArrayBuffer),
      ),
      Comlink.proxy(onProgress),
    );
    return { result, heldOut: null };
  }

  export const createEvaluateSlice: StateCreator<StudioState, [], [], EvaluateSlice> = (set, get) => {
    /** Identity of the latest run; a reset takes a new one, so what the run before still reports is dropped. */
    let run = 0;
    /** The running evaluation's job in the quantization worker: its cancel stops this evaluation only. */
    let job: QuantJob | null = null;

    return {
    evaluationStatus: 'idle',
    evaluationProgress: null,
    evaluation: null,
    evaluationError: null,
    evaluationTarget: 'analysed',
    heldOutObjects: DEFAULT_HELD_OUT_OBJECTS,

    setEvaluationTarget: (target) => set({ evaluationTarget: target }),
    setHeldOutObjects: (objects) => set({ heldOutObjects: Math.max(1, Math.floor(objects) || 1) }),

    startEvaluation: async () => {
      const state = get();
      if (state.evaluationStatus === 'running' || state.evaluationStatus === 'cancelling') return;
      const results = state.analysisResults;
      const allocation = selectAllocation(state);
      if (!results?.complete) {
        set({ evaluationStatus: 'error', evaluationError: 'Run Analyze first: evaluation quantizes as the analysis calibrated.' });
        return;
      }
      if (!analysedLoadedModel(state)) {
        set({ evaluationStatus: 'error', evaluationError: ANALYSIS_OF_ANOTHER_MODEL });
        return;
      }
      const mine = ++run;
      const paramsById = new Map(results.units.map((unit) => [unit.id, unit.params]));
      const { plans, uniform, uniformMissing } = evaluationPlans({
        problem: allocation?.problem ?? state.allocationRequest?.problem ?? null,
        unitIds: allocation?.unitIds ?? state.allocationRequest?.unitIds ?? [],
        mixed: allocation?.widthByUnit ?? null,
        paramsById,
      });
      set({ evaluationStatus: 'running', evaluationError: null, evaluationProgress: { done: 0, total: 1, label: 'Preparing the quantized model…', etaMs: null, planId: null, imageIndex: null } });
      const mineJob = startQuantJob('evaluation');
      job = mineJob;
      try {
        // A cancel ends the evaluation at once (the worker stops at its next forward), even while preparing.
        const quant = await Promise.race([
          preparedQuantWorker(state, (progress) => {
            if (mine === run) set({ evaluationProgress: { ...progress, planId: null, imageIndex: null } });
          }),
          mineJob.cancelled,
        ]);
        const { result, heldOut } = await Promise.race([
          runEvaluation(state, quant, mineJob.id, plans, (progress) => {
            if (mine === run) set({ evaluationProgress: progress });
          }),
          mineJob.cancelled,
        ]);
        if (mine !== run) return set({ evaluationStatus: 'idle' });
        set({
          evaluationStatus: 'done',
          evaluation: {
            ...result,
            target: state.evaluationTarget,
            modelHash: results.modelHash,
            runKey: results.runKey,
            heldOut,
            allocations: Object.fromEntries(plans.map((plan) => [plan.id, plan.allocation])),
            allocationKey: allocation ? allocationKeyOf(allocation.widthByUnit) : '',
            uniform,
            uniformMissing,
            backend: quant.backend,
            profile: state.exportProfile,
          },
        });
      } catch (error) {
        if (mine !== run) return set({ evaluationStatus: 'idle' });
        const cancelled = isCancelledError(error);
        set({ evaluationStatus: cancelled ? 'cancelled' : 'error', evaluationError: cancelled ? null : errorMessage(error) });
        if (!cancelled) get().pushToast('error', 'The evaluation stopped', errorMessage(error));
      } finally {
        if (job === mineJob) job = null;
      }
    },

    cancelEvaluation: () => {
      if (get().evaluationStatus !== 'running') return;
      set({ evaluationStatus: 'cancelling' });
      job?.cancel();
    },

    resetEvaluation: () => {
      run++;
      const running = get().evaluationStatus === 'running' || get().evaluationStatus === 'cancelling';
      set({ evaluationStatus: running ? 'cancelling' : 'idle', evaluation: null, evaluationProgress: null, evaluationError: null });
      if (running) job?.cancel();
    },
  };
};
