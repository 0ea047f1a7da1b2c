/**
 * What the analysis journal (workers/analysisIdbStore.ts) holds for the model, images and settings shown now:
 * the run key is computed as the engine computes it (core/analysis/analysisKeys.ts analysisRunKey), so the
 * panel can say before Analyze whether a run resumes and from how many probes.
 */
import { analysisRunKey, calibrationEntryKey } from '../core/analysis/analysisKeys';
import { validateSettings } from '../core/analysis/settings';
import { IdbAnalysisStore } from '../workers/analysisIdbStore';
import { calibrationImages } from './quantConnection';
import type { StudioState } from './store';

export interface StoredRun {
  runKey: string;
  /** Probes measured and stored under this key. */
  probes: number;
  calibrated: boolean;
}

const journal = new IdbAnalysisStore();

/** The stored part of the analysis Analyze would run now; null when it cannot run yet (no model, bad settings). */
export async function storedRunOf(state: StudioState): Promise<StoredRun | null> {
  if (!state.modelHash || state.images.length === 0) return null;
  let settings;
  try {
    settings = validateSettings(state.analysisSettings);
  } catch {
    return null;
  }
  const runKey = await analysisRunKey(state.modelHash, calibrationImages(state, settings.imageCount), settings);
  const entries = await journal.load(runKey);
  return { runKey, probes: entries.size - (entries.has(calibrationEntryKey) ? 1 : 0), calibrated: entries.has(calibrationEntryKey) };
}
