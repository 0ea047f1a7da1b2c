/**
 * Analysis results made elsewhere (`npm run analyze`, core/analysis/resultsFile.ts) dropped into the studio.
 * A file is taken only when it describes the loaded model — the same bytes (content hash), read with the same
 * config — and a finished analysis; otherwise it is refused with every reason. Taken, its results become the
 * studio's analysis, as if measured in the page: the budget solves them, and its calibration goes into this
 * browser's analysis store under the run's key, so preview, evaluation and export quantize as the CLI did.
 */
import type { StateCreator } from 'zustand';
import { parseResultsFile, resultsFileMismatches, type AnalysisResultsFile } from '../core/analysis/resultsFile';
import { calibrationEntryKey } from '../core/analysis/analysisKeys';
import type { StoredValue } from '../core/analysis/analysisStore';
import { IdbAnalysisStore } from '../workers/analysisIdbStore';
import type { StudioState } from './store';
import { errorMessage } from './toastsSlice';

export interface ImportedResults {
  fileName: string;
  runKey: string;
  imageNames: string[];
  units: number;
  probes: number;
  /** Seconds the analysis took where it ran, when the file says. */
  elapsedS: number | null;
  scope: 'all' | 'decoder';
}

export interface ResultsImportSlice {
  /** The imported file the shown analysis came from; null when it was measured in the page (or there is none). */
  importedResults: ImportedResults | null;
  /** Reads a dropped or picked JSON file that `looksLikeResultsFile`; takes or refuses it with a toast. */
  importResultsFile(file: File): Promise<void>;
}

/** Why a results file is refused, as a toast says it. */
export function refusalText(file: AnalysisResultsFile, state: Pick<StudioState, 'modelHash' | 'modelConfig'>): string | null {
  const problems = resultsFileMismatches(file, state);
  return problems.length > 0 ? problems.join(' ') : null;
}

export const createResultsImportSlice: StateCreator<StudioState, [], [], ResultsImportSlice> = (set, get, api) => {
  // Results measured in the page (or cleared) replace the imported ones: the note goes with them.
  api.subscribe((state) => {
    if (state.importedResults && state.analysisResults?.runKey !== state.importedResults.runKey) set({ importedResults: null });
  });

  function modelSettled(): Promise<void> {
    return new Promise((resolve) => {
      if (get().modelStatus !== 'loading') return resolve();
      const stop = api.subscribe((state) => {
        if (state.modelStatus === 'loading') return;
        stop();
        resolve();
      });
    });
  }

  return {
    importedResults: null,

    importResultsFile: async (source) => {
      const refuse = (detail: string) => get().pushToast('error', `Cannot use ${source.name}`, detail);
      let file: AnalysisResultsFile;
      try {
        file = parseResultsFile(JSON.parse(await source.text()));
      } catch (error) {
        return refuse(errorMessage(error));
      }
      // A model still loading (the demo at startup, files dropped just before) is waited for: its hash decides.
      await modelSettled();
      const state = get();
      if (state.analysisStatus === 'running' || state.analysisStatus === 'cancelling') {
        return refuse('An analysis is running: cancel it or let it finish, then drop the results file again.');
      }
      const refusal = refusalText(file, state);
      if (refusal) return refuse(`These analysis results do not fit the loaded model. ${refusal} Load the files npm run analyze read (with the same model.json, if it had one) and drop the results again, or run Analyze for this model.`);
      if (file.calibration) {
        try {
          await new IdbAnalysisStore().save(file.results.runKey, calibrationEntryKey, file.calibration as unknown as StoredValue);
        } catch {
          // No IndexedDB (private mode): the quantized model calibrates on the page's images instead.
        }
      }
      const { results, stats } = file;
      const imported: ImportedResults = {
        fileName: source.name,
        runKey: results.runKey,
        imageNames: results.imageNames,
        units: results.units.length,
        probes: results.probesTotal,
        elapsedS: stats ? stats.elapsedMs / 1000 : null,
        scope: results.settings.scope ?? 'all',
      };
      set({
        analysisResults: results,
        analysisSettings: results.settings,
        analysisInputs: null,
        analysisStats: null,
        analysisProgress: null,
        analysisEtaMs: null,
        analysisError: null,
        analysisStatus: 'done',
        importedResults: imported,
      });
      get().pushToast('success', `Analysis imported from ${source.name}`, `${results.units.length} units measured on ${results.imageNames.length} image${results.imageNames.length === 1 ? '' : 's'}: the budget, preview, evaluation and export now use them.`);
    },
  };
};
