import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModelBytes } from '../onnx/proto';
import { withExtraOutputs } from '../onnx/rewrite';
import { int64Values, withValueStats } from './graphStats';
import { attentionRowStride } from './log2-tau';
import { discoverUnits } from './units';

const encoderUrl = new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url);

describe('statistics reduced in the graph', () => {
  it('equal min, max, strided samples and row samples computed from the whole activations', async () => {
    const model = decodeModel(readFileSync(encoderUrl));
    const units = discoverUnits(model);
    const softmaxV = units.find((u) => u.role === 'softmax·v')!;
    const attention = softmaxV.activationInputs[softmaxV.postSoftmaxInput!];
    const mlpInput = units.find((u) => u.kind === 'weight')!.activationInputs[0];
    const { model: withStats, outputs } = withValueStats(
      model,
      new Map([
        [attention, { rows: 64 }],
        [mlpInput, { sample: 1000 }],
      ]),
    );
    const feeds = { input_image: new ort.Tensor('float32', Float32Array.from({ length: 3 * 256 * 256 }, (_, k) => Math.cos(k * 0.0007) * 2), [1, 3, 256, 256]) };
    const stats = await (await ort.InferenceSession.create(encodeModelBytes(withStats))).run(feeds);
    const whole = await (await ort.InferenceSession.create(encodeModelBytes(withExtraOutputs(model, [attention, mlpInput])))).run(feeds);

    for (const name of [attention, mlpInput]) {
      const values = whole[name].data as Float32Array;
      const entry = outputs.get(name)!;
      expect(int64Values(stats[entry.shape].data)).toEqual([...whole[name].dims]);
      expect((stats[entry.min!].data as Float32Array)[0]).toBe(values.reduce((a, b) => Math.min(a, b), Infinity));
      expect((stats[entry.max!].data as Float32Array)[0]).toBe(values.reduce((a, b) => Math.max(a, b), -Infinity));
    }
    const values = whole[mlpInput].data as Float32Array;
    const stride = Math.ceil(values.length / 1000);
    expect(Array.from(stats[outputs.get(mlpInput)!.sample!].data as Float32Array)).toEqual(Array.from(values.filter((_, i) => i % stride === 0)));

    const a = whole[attention];
    const nk = a.dims[a.dims.length - 1];
    const rowStride = Math.max(1, Math.floor(a.data.length / nk / 64));
    expect(attentionRowStride(a.dims)).toBe(Math.max(1, Math.floor(a.data.length / nk / 256)));
    const rows = stats[outputs.get(attention)!.rows!];
    expect(rows.dims).toEqual([Math.ceil(a.data.length / nk / rowStride), nk]);
    const expected: number[] = [];
    for (let r = 0; r * nk < a.data.length; r += rowStride) expected.push(...(a.data as Float32Array).subarray(r * nk, (r + 1) * nk));
    expect(Array.from(rows.data as Float32Array)).toEqual(expected);
  });
});
