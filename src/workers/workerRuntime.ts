/** What the analysis and quantization workers both need from the worker's global scope. */
import type { GpuAdapterFacts } from '../core/sam/backendChoice';

/** Minimal WebGPU typing: TypeScript's DOM library does not declare navigator.gpu yet. */
interface GpuLike {
  requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null>;
}

/** The WebGPU adapter this worker would get, described for the backend choice; null without one. */
export async function gpuAdapterFacts(): Promise<GpuAdapterFacts | null> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return {
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
  };
}

/** A macrotask turn without setTimeout's 4 ms clamp, so a cancel message is received between forwards. */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}
