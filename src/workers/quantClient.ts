import type * as Comlink from 'comlink';
import { startWorker } from './workerStart';
import type { QuantWorkerApi } from './quant.worker';

export type { QuantBackend, QuantExportRequest, QuantExportResult, QuantModelRequest, QuantPrepared, QuantPrepareRequest, QuantPreviewRequest } from './quantMessages';

/** A running quantization worker: `api` (Comlink, every method async); `terminate` when replacing it. */
export interface QuantClient {
  api: Comlink.Remote<QuantWorkerApi>;
  terminate(): void;
}

/** Starts the module worker that previews, evaluates and exports the quantized model (apart from inference and analysis). */
export function startQuantWorker(): QuantClient {
  // A worker whose script cannot load (offline, missing file) rejects its calls instead of leaving them waiting.
  return startWorker<QuantWorkerApi>(new Worker(new URL('./quant.worker.ts', import.meta.url), { type: 'module', name: 'mix-qsam-quant' }), 'quantization');
}
