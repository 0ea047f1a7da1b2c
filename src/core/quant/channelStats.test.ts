import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/builder.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { collectChannelStats } from './channelStats.ts';

const ortModule = ort as unknown as OrtModule;

/** x → Identity → y, so the statistics are of an intermediate value. */
function identityModel(dims: number[], opset: number) {
  const b = new GraphBuilder();
  const x = b.input('x', dims);
  b.op('Identity', [x], { output: 'y' });
  b.output('y');
  return b.toModel(opset);
}

function values(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 1.7 + seed) * (1 + (i % 5)));
}

describe('per-channel statistics reduced in the graph', () => {
  it.each([
    { opset: 17, axis: -1 as const, dims: [2, 5, 3] },
    { opset: 18, axis: -1 as const, dims: [2, 5, 3] },
    { opset: 17, axis: 1 as const, dims: [2, 3, 4, 2] },
    { opset: 21, axis: 1 as const, dims: [2, 3, 4, 2] },
  ])('equal the statistics of the whole tensor (opset $opset, channel axis $axis)', async ({ opset, axis, dims }) => {
    const channels = 3;
    const count = dims.reduce((a, b) => a * b, 1);
    const feeds = [0, 1].map((seed) => ({ x: new ort.Tensor('float32', values(count, seed), dims) }));
    const collected = await collectChannelStats(ortModule, identityModel(dims, opset), new Map([['y', { axis, channels, kinds: ['absMax', 'min', 'max', 'mean'] as const }]]), feeds, { dimsOf: ['y'] });
    const inner = axis === -1 ? 1 : dims.slice(2).reduce((a, b) => a * b, 1);
    const channelOf = (i: number) => Math.floor(i / inner) % channels;
    const expected = { absMax: [0, 0, 0], min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity], mean: [0, 0, 0] };
    for (const feed of feeds) {
      const data = feed.x.data as Float32Array;
      const sums = [0, 0, 0];
      data.forEach((v, i) => {
        const j = channelOf(i);
        expected.absMax[j] = Math.max(expected.absMax[j], Math.abs(v));
        expected.min[j] = Math.min(expected.min[j], v);
        expected.max[j] = Math.max(expected.max[j], v);
        sums[j] += v;
      });
      sums.forEach((s, j) => (expected.mean[j] += s / (count / channels) / feeds.length));
    }
    const stats = collected.channels.get('y')!;
    expect([...stats.absMax!]).toEqual(expected.absMax.map(Math.fround));
    expect([...stats.min!]).toEqual(expected.min.map(Math.fround));
    expect([...stats.max!]).toEqual(expected.max.map(Math.fround));
    stats.mean!.forEach((m, j) => expect(m).toBeCloseTo(expected.mean[j], 5));
    expect(collected.dims.get('y')).toEqual(dims);
  });
});
