/**
 * Analysis settings sized for a user's own export (core/analysis/analysisCost.ts modelDefaults): applied as
 * soon as it is ready, and refined as its units are counted and its forwards timed, until the user changes
 * a setting. The demo model keeps the studio's defaults (the ones METHOD.md and the e2e specs use).
 */
import type { StoreApi } from 'zustand';
import { modelDefaults } from '../../core/analysis/analysisCost';
import type { AnalysisSettings } from '../../core/analysis/settings';
import type { StudioState } from '../../state/store';
import { defaultsReason } from './costWords';
import type { LoadedModel } from './loadedModel';

interface Applied {
  encoder: Blob;
  decoder: Blob;
  settings: AnalysisSettings;
  reason: string;
}

/** A handler for followLoadedModel's updates that keeps a user's model on settings that finish in minutes. */
export function userModelDefaults(store: Pick<StoreApi<StudioState>, 'getState'>): (model: LoadedModel | null) => void {
  let applied: Applied | null = null;
  return (model) => {
    if (!model?.fromUserFiles) return;
    const state = store.getState();
    // Settings restored from the last visit are the user's choice for this model: kept as they are.
    if (state.analysisSettingsRestored) return;
    const sameModel = applied !== null && applied.encoder === model.encoderPart.source && applied.decoder === model.decoderPart.source;
    // A setting changed since the last choice: the user has taken over.
    if (sameModel && state.analysisSettings !== applied!.settings) return;
    const chosen = modelDefaults({
      // Sized for the T chosen, whatever images are at hand now.
      settings: state.analysisSettings,
      units: model.units,
      encoderMs: model.encoderMs,
      decoderMsPerPrompt: model.decoderMs,
      backend: '',
    });
    const reason = defaultsReason(chosen, model);
    const unchanged = (Object.keys(chosen.patch) as (keyof AnalysisSettings)[]).every((key) => state.analysisSettings[key] === chosen.patch[key]);
    if (sameModel && unchanged && reason === applied!.reason) return;
    state.applyModelDefaults(chosen.patch, reason);
    applied = { encoder: model.encoderPart.source, decoder: model.decoderPart.source, settings: store.getState().analysisSettings, reason };
  };
}
