import * as Comlink from 'comlink';
import type { InferenceWorkerApi } from './inference.worker';

export type { BackendStatus, DecodeResult, EncodeResult, LoadedPart } from './inference.worker';

/** A running inference worker: call `api` (Comlink, every method async), `terminate` when replacing it. */
export interface InferenceClient {
  api: Comlink.Remote<InferenceWorkerApi>;
  terminate(): void;
}

/** Starts a fresh module worker; backend and thread count are fixed per worker, so a change starts a new one. */
export function startInferenceWorker(): InferenceClient {
  const worker = new Worker(new URL('./inference.worker.ts', import.meta.url), { type: 'module', name: 'sam-inference' });
  const api = Comlink.wrap<InferenceWorkerApi>(worker);
  return {
    api,
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
