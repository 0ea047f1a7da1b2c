import * as Comlink from 'comlink';
import type { AnalysisWorkerApi } from './analysis.worker';

export type { AnalysisBackend, AnalyzeOutcome, AnalyzeRequest } from './analysis.worker';

/** A running analysis worker: `api` (Comlink, every method async); `terminate` when replacing it. */
export interface AnalysisClient {
  api: Comlink.Remote<AnalysisWorkerApi>;
  terminate(): void;
}

/** Starts a module worker for analyses (separate from inference, so previews stay responsive meanwhile). */
export function startAnalysisWorker(): AnalysisClient {
  const worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'mix-qsam-analysis' });
  const api = Comlink.wrap<AnalysisWorkerApi>(worker);
  return {
    api,
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
