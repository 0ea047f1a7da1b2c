import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

describe('when onnxruntime runs the statistics', () => {
  it('reduces each value as soon as it exists, in the order the values are produced, not after the whole graph', async () => {
    const model = decodeModel(readFileSync(encoderUrl));
    const sites = [...new Set(discoverUnits(model).flatMap((u) => u.activationInputs))];
    const { model: withStats, outputs } = withValueStats(model, new Map(sites.map((name) => [name, {}])));
    const prefix = join(mkdtempSync(join(tmpdir(), 'stats-order-')), 'profile');
    const session = await ort.InferenceSession.create(encodeModelBytes(withStats), { enableProfiling: true, profileFilePrefix: prefix, enableCpuMemArena: false });
    await session.run({ input_image: new ort.Tensor('float32', new Float32Array(3 * 256 * 256).fill(0.5), [1, 3, 256, 256]) });
    session.endProfiling();
    await session.release();
    const profile = readdirSync(dirname(prefix)).map((f) => join(dirname(prefix), f));
    const events = (JSON.parse(readFileSync(profile[0], 'utf8')) as { cat: string; name: string }[]).filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
    const executed = events.map((e) => e.name.slice(0, -'_kernel_time'.length));
    const minNodeOf = new Map(withStats.graph!.node!.filter((n) => n.opType === 'ReduceMin').map((n) => [n.output![0], n.name!]));
    const producedAt = new Map(model.graph!.node!.flatMap((n, i) => (n.output ?? []).map((o) => [o, i] as const)));
    const inProductionOrder = [...sites].sort((a, b) => producedAt.get(a)! - producedAt.get(b)!);
    const positions = inProductionOrder.map((site) => executed.indexOf(minNodeOf.get(outputs.get(site)!.min!)!));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // Each site's statistics run before the graph's own work moves far past it: the first site's long before the end.
    const graphNodes = executed.filter((name) => !name.startsWith('mq_stat/'));
    const graphNodesBefore = (position: number) => executed.slice(0, position).filter((name) => !name.startsWith('mq_stat/')).length;
    expect(graphNodesBefore(positions[0])).toBeLessThan(graphNodes.length * 0.1);
    expect(graphNodesBefore(positions[Math.floor(positions.length / 2)])).toBeLessThan(graphNodes.length * 0.75);
  });
});
