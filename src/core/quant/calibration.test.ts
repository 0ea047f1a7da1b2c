import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildEncoder, TINY_ENCODER } from '../../../bench/sam-graph.ts';
import type { OrtModule } from '../onnx/ort.ts';
import { encodeModelBytes } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { calibrate, RangeCollector } from './calibration.ts';
import { discoverUnits } from './units.ts';

describe('RangeCollector', () => {
  const batches = [Float32Array.from([-1, 0, 3]), Float32Array.from([-3, 0.5, 1])];
  const collect = (collector: RangeCollector) => {
    for (const b of batches) collector.add('s', b);
    return collector.ranges().s;
  };

  it('min-max over all batches', () => expect(collect(new RangeCollector({ kind: 'minmax' }))).toEqual({ min: -3, max: 3 }));
  it('average of per-batch min/max (default)', () => expect(collect(new RangeCollector())).toEqual({ min: -2, max: 2 }));
  it('percentile per batch, averaged', () => {
    const c = new RangeCollector({ kind: 'percentile', percentile: 90 });
    c.add('s', Float32Array.from({ length: 101 }, (_, i) => i)); // 10th and 90th percentiles: 10, 90
    c.add('s', Float32Array.from({ length: 101 }, (_, i) => 2 * i)); // 20, 180
    expect(c.ranges().s).toEqual({ min: 15, max: 135 });
    expect(() => new RangeCollector({ kind: 'percentile', percentile: 20 })).toThrow(/Percentile/);
  });
});

describe('calibrate', () => {
  it('collects the ranges of every unit input from real runs', async () => {
    const model = buildEncoder(TINY_ENCODER);
    const units = discoverUnits(model);
    const feeds = [1, 2].map((seed) => ({ input_image: new ort.Tensor('float32', new Float32Array(3072).map((_, i) => Math.sin(i * seed)), [1, 3, 32, 32]) }));
    const ranges = await calibrate(ort as unknown as OrtModule, model, units, feeds, { method: { kind: 'minmax' } });
    expect(Object.keys(ranges)).toHaveLength(units.reduce((n, u) => n + u.activationInputs.length, 0));
    // Independent check for one site: its tensor read directly as an extra output.
    const unit = units.find((u) => u.role === 'q·kᵀ')!;
    const session = await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, [unit.activationInputs[1]])));
    const values = (await Promise.all(feeds.map((f) => session.run(f)))).flatMap((r) => Array.from(r[unit.activationInputs[1]].data as Float32Array));
    expect(ranges[`${unit.id}#1`]).toEqual({ min: Math.min(...values), max: Math.max(...values) });
    await expect(calibrate(ort as unknown as OrtModule, model, units, [])).rejects.toThrow(/at least one batch/);
  });
});
