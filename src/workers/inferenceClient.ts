import type * as Comlink from 'comlink';
import { startWorker } from './workerStart';
import type { InferenceWorkerApi } from './inference.worker';

export type { BackendStatus, DecodeResult, EncodeResult, LoadedPart } from './inference.worker';

/** A running inference worker: call `api` (Comlink, every method async), `terminate` when replacing it. */
export interface InferenceClient {
  api: Comlink.Remote<InferenceWorkerApi>;
  terminate(): void;
}

/** Starts a fresh module worker; backend and thread count are fixed per worker, so a change starts a new one. */
export function startInferenceWorker(): InferenceClient {
  // A worker whose script cannot load (offline, missing file) rejects its calls instead of leaving them waiting.
  return startWorker<InferenceWorkerApi>(new Worker(new URL('./inference.worker.ts', import.meta.url), { type: 'module', name: 'sam-inference' }), 'inference');
}
