import { describe, expect, it } from 'vitest';
import { chooseBackend, defaultThreadCount, describeBackendChoice, type GpuAdapterFacts } from './backendChoice';

const swiftShader: GpuAdapterFacts = { isFallbackAdapter: true, vendor: 'google', architecture: 'swiftshader', description: '' };
const nvidia: GpuAdapterFacts = { isFallbackAdapter: false, vendor: 'nvidia', architecture: 'ampere', description: '' };

describe('chooseBackend', () => {
  it('auto with only a SwiftShader fallback uses WASM and says why', () => {
    const choice = chooseBackend({ request: 'auto', adapter: swiftShader, hardwareConcurrency: 2 });
    expect(describeBackendChoice(choice)).toBe('WASM · 2 threads — no hardware GPU adapter (SwiftShader fallback)');
  });

  it('auto with a hardware adapter uses WebGPU', () => {
    expect(chooseBackend({ request: 'auto', adapter: nvidia, hardwareConcurrency: 8 })).toEqual({
      backend: 'webgpu',
      threads: 4,
      reason: 'hardware GPU adapter (nvidia ampere)',
    });
  });

  it('an explicit WebGPU choice runs even on the fallback adapter', () => {
    const choice = chooseBackend({ request: 'webgpu', adapter: swiftShader, hardwareConcurrency: 2 });
    expect(describeBackendChoice(choice)).toBe('WebGPU — chosen in settings — software adapter (SwiftShader), slow');
  });

  it('an explicit WebGPU choice without any adapter falls back to WASM', () => {
    expect(chooseBackend({ request: 'webgpu', adapter: null, hardwareConcurrency: 2 }).backend).toBe('wasm');
  });

  it('honours a chosen thread count, singular label for 1', () => {
    const choice = chooseBackend({ request: 'wasm', adapter: nvidia, hardwareConcurrency: 8, threads: 1 });
    expect(describeBackendChoice(choice)).toBe('WASM · 1 thread — chosen in settings');
  });

  it('defaults to min(4, cores) threads', () => {
    expect([defaultThreadCount(1), defaultThreadCount(2), defaultThreadCount(16), defaultThreadCount(0)]).toEqual([1, 2, 4, 1]);
  });
});
