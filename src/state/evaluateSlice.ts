/**
 * Evaluate (DESIGN.md "The user's day", step 5): mIoU over the analysis' images and prompts for FP, the best
 * uniform width that fits the same budgets, and the current mixed allocation, computed in the quantization
 * worker with progress and cancel. The result remembers which allocation it scored, so the table can say
 * when the sliders have moved since.
 */
import * as Comlink from 'comlink';
import type { StateCreator } from 'zustand';
import type { EvaluationProgress, EvaluationResult } from '../core/evaluate/evaluateRun';
import { evaluationPlans, type UniformFit } from '../core/evaluate/evaluationPlans';
import { CancelledError } from '../core/progress';
import { selectAllocation } from './budgetSlice';
import { cancelQuantWork, evaluationSources, preparedQuantWorker } from './quantConnection';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export type EvaluationStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'error';

export interface EvaluationOutcome extends EvaluationResult {
  /** The allocation scored as "mixed" (widths by unit), to tell when it is no longer the current one. */
  allocationKey: string;
  uniform: UniformFit | null;
  /** Why there is no uniform row, when there is none. */
  uniformMissing: string | null;
  backend: string;
}

export interface EvaluateSlice {
  evaluationStatus: EvaluationStatus;
  evaluationProgress: EvaluationProgress | null;
  evaluation: EvaluationOutcome | null;
  evaluationError: string | null;
  startEvaluation(): Promise<void>;
  cancelEvaluation(): void;
}

export function allocationKeyOf(widthByUnit: Readonly<Record<string, number | null>>): string {
  return JSON.stringify(Object.entries(widthByUnit).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function isCancelled(error: unknown): boolean {
  // Comlink rebuilds errors by message and name only.
  return error instanceof CancelledError || (error instanceof Error && error.name === 'CancelledError');
}

export const createEvaluateSlice: StateCreator<StudioState, [], [], EvaluateSlice> = (set, get) => ({
  evaluationStatus: 'idle',
  evaluationProgress: null,
  evaluation: null,
  evaluationError: null,

  startEvaluation: async () => {
    const state = get();
    if (state.evaluationStatus === 'running' || state.evaluationStatus === 'cancelling') return;
    const results = state.analysisResults;
    const allocation = selectAllocation(state);
    if (!results?.complete) {
      set({ evaluationStatus: 'error', evaluationError: 'Run Analyze first: evaluation scores the analysed images.' });
      return;
    }
    const paramsById = new Map(results.units.map((unit) => [unit.id, unit.params]));
    const { plans, uniform, uniformMissing } = evaluationPlans({
      problem: allocation?.problem ?? state.allocationRequest?.problem ?? null,
      unitIds: allocation?.unitIds ?? state.allocationRequest?.unitIds ?? [],
      mixed: allocation?.widthByUnit ?? null,
      paramsById,
    });
    set({ evaluationStatus: 'running', evaluationError: null, evaluationProgress: { done: 0, total: 1, label: 'Preparing the quantized model…', etaMs: null, planId: null, imageIndex: null } });
    try {
      const quant = await preparedQuantWorker(state, (progress) => set({ evaluationProgress: { ...progress, planId: null, imageIndex: null } }));
      if (get().evaluationStatus === 'cancelling') throw new CancelledError('Evaluation cancelled.');
      const sources = evaluationSources(state, results.settings.imageCount);
      const outcome = await quant.api.evaluate(
        Comlink.transfer(
          { sources, promptsPerImage: results.settings.promptsPerImage, gridSize: results.settings.gridSize, plans },
          sources.map((source) => source.image.data.buffer as ArrayBuffer),
        ),
        Comlink.proxy((progress: EvaluationProgress) => set({ evaluationProgress: progress })),
      );
      set({
        evaluationStatus: 'done',
        evaluation: { ...outcome, allocationKey: allocation ? allocationKeyOf(allocation.widthByUnit) : '', uniform, uniformMissing, backend: quant.backend },
      });
    } catch (error) {
      const cancelled = isCancelled(error);
      set({ evaluationStatus: cancelled ? 'cancelled' : 'error', evaluationError: cancelled ? null : errorMessage(error) });
      if (!cancelled) get().pushToast('error', 'The evaluation stopped', errorMessage(error));
    }
  },

  cancelEvaluation: () => {
    if (get().evaluationStatus !== 'running') return;
    set({ evaluationStatus: 'cancelling' });
    cancelQuantWork();
  },
});
