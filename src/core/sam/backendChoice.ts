/** Which onnxruntime-web execution provider runs SAM, and why — decided from facts the worker gathers. */

export type BackendRequest = 'auto' | 'webgpu' | 'wasm';
export type Backend = 'webgpu' | 'wasm';

/** What requestAdapter() told us; null when WebGPU is missing or returned no adapter. */
export interface GpuAdapterFacts {
  isFallbackAdapter: boolean;
  vendor: string;
  architecture: string;
  description: string;
}

export interface BackendChoice {
  backend: Backend;
  /** WASM threads (also used by WebGPU for the operators it leaves on the CPU). */
  threads: number;
  /** Why, in words for the badge. */
  reason: string;
}

/** ORT's own default is 1 thread on a 2-core machine; use up to 4 of the cores the page may use. */
export function defaultThreadCount(hardwareConcurrency: number): number {
  return Math.max(1, Math.min(4, Math.floor(hardwareConcurrency) || 1));
}

/**
 * Auto picks WebGPU only for a hardware adapter: a software fallback (SwiftShader) exists on machines
 * without a GPU and is slower than WASM. An explicit choice is honoured whenever an adapter exists.
 */
export function chooseBackend(options: {
  request: BackendRequest;
  adapter: GpuAdapterFacts | null;
  hardwareConcurrency: number;
  threads?: number | null;
}): BackendChoice {
  const { request, adapter } = options;
  const threads = options.threads && options.threads > 0 ? Math.floor(options.threads) : defaultThreadCount(options.hardwareConcurrency);
  const software = adapter !== null && isSoftwareAdapter(adapter);

  if (request === 'wasm') return { backend: 'wasm', threads, reason: 'chosen in settings' };
  if (request === 'webgpu') {
    if (!adapter) return { backend: 'wasm', threads, reason: 'WebGPU was chosen but this browser offers no WebGPU adapter' };
    return {
      backend: 'webgpu',
      threads,
      reason: software ? `chosen in settings — software adapter (${adapterName(adapter)}), slow` : `chosen in settings — ${adapterName(adapter)}`,
    };
  }
  if (!adapter) return { backend: 'wasm', threads, reason: 'no WebGPU adapter in this browser' };
  if (software) return { backend: 'wasm', threads, reason: `no hardware GPU adapter (${adapterName(adapter)} fallback)` };
  return { backend: 'webgpu', threads, reason: `hardware GPU adapter (${adapterName(adapter)})` };
}

/** "WASM · 2 threads — no hardware GPU adapter (SwiftShader fallback)". */
export function describeBackendChoice(choice: BackendChoice): string {
  return `${backendLabel(choice)} — ${choice.reason}`;
}

/** "WASM · 2 threads" or "WebGPU". */
export function backendLabel(choice: Pick<BackendChoice, 'backend' | 'threads'>): string {
  if (choice.backend === 'webgpu') return 'WebGPU';
  return `WASM · ${choice.threads} thread${choice.threads === 1 ? '' : 's'}`;
}

export function isSoftwareAdapter(adapter: GpuAdapterFacts): boolean {
  return adapter.isFallbackAdapter || /swiftshader|llvmpipe|software/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
}

function adapterName(adapter: GpuAdapterFacts): string {
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.description}`;
  if (/swiftshader/i.test(text)) return 'SwiftShader';
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || adapter.description;
  return name || (adapter.isFallbackAdapter ? 'software' : 'unnamed GPU');
}
