import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModelBytes, onnx } from '../onnx/proto';
import { findCuts, firstAffectedDataNode, indexGraph, latestCutBefore, segmentModel, suffixModel, thinCuts, withCutOutputs } from './encoderSegments';

const encoderUrl = new URL('../../../public/models/demo-sam/encoder.onnx', import.meta.url);

describe('encoder segments on the demo encoder', () => {
  it('finds the block boundaries, and every suffix reproduces the full encoder from the cached cut value', async () => {
    const model = decodeModel(readFileSync(encoderUrl));
    const index = indexGraph(model.graph!, ['input_image']);
    const cuts = findCuts(index, 1);
    const boundaries = cuts.filter((cut) => index.nodes[cut.position].name?.match(/^\/blocks\.\d+\/norm1\//));
    expect(boundaries.map((cut) => index.nodes[cut.position].name)).toEqual(
      [0, 1, 2, 3, 4, 5].map((block) => `/blocks.${block}/norm1/LayerNormalization`),
    );

    const chosen = thinCuts(boundaries, 3);
    expect(chosen.map((cut) => cut.position)).toEqual([boundaries[0], boundaries[2], boundaries[4]].map((c) => c.position));
    const full = await ort.InferenceSession.create(encodeModelBytes(withCutOutputs(model, index, chosen.flatMap((c) => c.tensors))));
    const pixels = Float32Array.from({ length: 3 * 256 * 256 }, (_, k) => Math.sin(k * 0.001) * 2);
    const reference = await full.run({ input_image: new ort.Tensor('float32', pixels, [1, 3, 256, 256]) });
    const expected = reference.image_embeddings.data as Float32Array;
    for (const cut of chosen) {
      const value = reference[cut.tensors[0]];
      const suffix = suffixModel(model, index, cut, new Map([[cut.tensors[0], value.dims]]));
      expect(suffix.graph!.node!.length).toBeLessThan(model.graph!.node!.length);
      const session = await ort.InferenceSession.create(encodeModelBytes(suffix));
      const out = await session.run({ [cut.tensors[0]]: value as ort.Tensor });
      const got = out.image_embeddings.data as Float32Array;
      let worst = 0;
      for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k] - expected[k]));
      expect(worst).toBeLessThan(1e-5);
      await session.release();
    }
    await full.release();
  });
});

describe('the encoder as a chain of segments', () => {
  it('reproduces the full encoder segment by segment, each segment holding only its own weights', async () => {
    const model = decodeModel(readFileSync(encoderUrl));
    const index = indexGraph(model.graph!, ['input_image']);
    const cuts = thinCuts(findCuts(index, 1), 4);
    const pixels = Float32Array.from({ length: 3 * 256 * 256 }, (_, k) => Math.cos(k * 0.002) * 1.5);
    const full = await ort.InferenceSession.create(encodeModelBytes(model));
    const expected = (await full.run({ input_image: new ort.Tensor('float32', pixels, [1, 3, 256, 256]) })).image_embeddings.data as Float32Array;
    await full.release();

    let values: Record<string, ort.Tensor> = { input_image: new ort.Tensor('float32', pixels, [1, 3, 256, 256]) };
    const holders = new Map<string, number>();
    for (let k = 0; k <= cuts.length; k++) {
      const from = k === 0 ? null : cuts[k - 1];
      const to = k === cuts.length ? null : cuts[k];
      const segment = segmentModel(model, index, { from, to, fromDims: new Map((from?.tensors ?? []).map((t) => [t, values[t].dims])) });
      expect(segment.graph!.output!.map((o) => o.name)).toEqual(to ? to.tensors : ['image_embeddings']);
      for (const t of segment.graph!.initializer ?? []) if ((t.rawData?.length ?? 0) > 4096) holders.set(t.name!, (holders.get(t.name!) ?? 0) + 1);
      const session = await ort.InferenceSession.create(encodeModelBytes(segment));
      values = await session.run(Object.fromEntries(session.inputNames.map((name) => [name, values[name]])));
      await session.release();
    }
    const got = values.image_embeddings.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThan(1e-5);
    // Every weight lives in exactly one segment: the chain holds the model's weights once.
    const weights = (model.graph!.initializer ?? []).filter((t) => (t.rawData?.length ?? 0) > 4096);
    expect(weights.length).toBeGreaterThan(10);
    expect(weights.every((t) => holders.get(t.name!) === 1)).toBe(true);
  });
});

describe('tensor classes on a small parametric graph', () => {
  // x → Mul(x, w·g) → Relu → Add(·, x) ; g is a configuration input, w a constant.
  const { TensorProto } = onnx;
  const graph = onnx.GraphProto.create({
    node: [
      { name: 'scale', opType: 'Mul', input: ['w', 'g'], output: ['wg'] },
      { name: 'mul', opType: 'Mul', input: ['x', 'wg'], output: ['h'] },
      { name: 'relu', opType: 'Relu', input: ['h'], output: ['r'] },
      { name: 'add', opType: 'Add', input: ['r', 'x'], output: ['y'] },
      { name: 'relu2', opType: 'Relu', input: ['y'], output: ['z'] },
      { name: 'gate', opType: 'Mul', input: ['z', 'g2'], output: ['out'] },
    ],
    input: [
      { name: 'x', type: { tensorType: { elemType: TensorProto.DataType.FLOAT } } },
      { name: 'g', type: { tensorType: { elemType: TensorProto.DataType.FLOAT } } },
      { name: 'g2', type: { tensorType: { elemType: TensorProto.DataType.FLOAT } } },
    ],
    output: [{ name: 'out', type: { tensorType: { elemType: TensorProto.DataType.FLOAT } } }],
    initializer: [{ name: 'w', dataType: TensorProto.DataType.FLOAT, dims: [1], floatData: [3] }],
  });
  const index = indexGraph(graph, ['x']);

  it('tells image-dependent, configuration and constant values apart', () => {
    expect(index.classOf.get('w')).toBe('constant');
    expect(index.classOf.get('wg')).toBe('config');
    expect(index.classOf.get('h')).toBe('data');
  });

  it('cuts only where one image-dependent value crosses, and knows where a configuration first acts', () => {
    // The image input itself is fed to a suffix, never cached, so only computed values count.
    expect(findCuts(index, 1).map((c) => [c.position, c.tensors])).toEqual([
      [2, ['h']],
      [3, ['r']],
      [4, ['y']],
      [5, ['z']],
    ]);
    expect(firstAffectedDataNode(index, ['g'])).toBe(1);
    expect(firstAffectedDataNode(index, ['g2'])).toBe(5);
    expect(latestCutBefore(findCuts(index, 1), 5)?.position).toBe(5);
    expect(latestCutBefore(findCuts(index, 1), 1)).toBeNull();
    expect(latestCutBefore(findCuts(index, 1), 2)?.tensors).toEqual(['h']);
  });

  it('copies the configuration nodes a suffix reads', async () => {
    const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ version: 17 }], graph });
    const cut = findCuts(index, 1).find((c) => c.position === 3)!;
    const suffix = suffixModel(model, index, cut, new Map([['r', [2]]]));
    expect(suffix.graph!.node!.map((n) => n.name)).toEqual(['add', 'relu2', 'gate']);
    expect(suffix.graph!.input!.map((i) => i.name)).toEqual(['r', 'x', 'g2']);
    const session = await ort.InferenceSession.create(encodeModelBytes(suffix));
    const f = (values: number[]) => new ort.Tensor('float32', Float32Array.from(values), [values.length]);
    const out = await session.run({ r: f([1, 0]), x: f([-5, 2]), g2: f([2]) });
    // relu(1 + −5) = 0, relu(0 + 2) = 2; gate × 2.
    expect(Array.from(out.out.data as Float32Array)).toEqual([0, 4]);
  });
});
