import * as Comlink from 'comlink';
import type { QuantWorkerApi } from './quant.worker';

export type { QuantBackend, QuantExportRequest, QuantExportResult, QuantModelRequest, QuantPrepared, QuantPrepareRequest, QuantPreviewRequest } from './quant.worker';

/** A running quantization worker: `api` (Comlink, every method async); `terminate` when replacing it. */
export interface QuantClient {
  api: Comlink.Remote<QuantWorkerApi>;
  terminate(): void;
}

/** Starts the module worker that previews, evaluates and exports the quantized model (apart from inference and analysis). */
export function startQuantWorker(): QuantClient {
  const worker = new Worker(new URL('./quant.worker.ts', import.meta.url), { type: 'module', name: 'mix-qsam-quant' });
  const api = Comlink.wrap<QuantWorkerApi>(worker);
  return {
    api,
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
