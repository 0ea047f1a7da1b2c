/**
 * What the analysis settings form changes for its calibration choices. Switching a choice back restores
 * the settings key (core/analysis/settings.ts settingsKey), so IndexedDB resumes the earlier run.
 */
import type { AnalysisSettings } from '../../core/analysis/settings';

export type SoftmaxQuantizer = 'log2' | 'uniform';

export function softmaxQuantizerPatch(choice: SoftmaxQuantizer): Partial<AnalysisSettings> {
  return { log2PostSoftmax: choice === 'log2' };
}

/** Per-width calibration: activation ranges and log2 τ chosen per width, together (the quality study's setting). */
export function perWidthPatch(on: boolean): Partial<AnalysisSettings> {
  return { perWidthRanges: on, perWidthLog2Tau: on };
}
