import type * as Comlink from 'comlink';
import { startWorker } from './workerStart';
import type { AnalysisWorkerApi } from './analysis.worker';

export type { AnalysisBackend, AnalyzeOutcome, AnalyzeRequest } from './analysis.worker';

/** A running analysis worker: `api` (Comlink, every method async); `terminate` when replacing it. */
export interface AnalysisClient {
  api: Comlink.Remote<AnalysisWorkerApi>;
  terminate(): void;
}

/** Starts a module worker for analyses (separate from inference, so previews stay responsive meanwhile). */
export function startAnalysisWorker(): AnalysisClient {
  // A worker whose script cannot load (offline, missing file) rejects its calls instead of leaving them waiting.
  return startWorker<AnalysisWorkerApi>(new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'mix-qsam-analysis' }), 'analysis');
}
