import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { attrString, defaultOpset, intAttr, intsAttr, stringAttr } from './graph.ts';
import { upgradeOpset } from './opset.ts';
import { decodeModel, encodeModelBytes, type ModelProto } from './proto.ts';

async function run(model: ModelProto, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(encodeModelBytes(model));
  const out = await session.run(feeds);
  await session.release();
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('upgradeOpset', () => {
  it('keeps the demo SAM encoder and decoder outputs equal (opset 17 → 21)', async () => {
    const load = (f: string) => decodeModel(readFileSync(new URL(`../../../public/models/demo-sam/${f}`, import.meta.url)));
    const encoder = load('encoder.onnx');
    const image = { input_image: new ort.Tensor('float32', new Float32Array(3 * 256 * 256).map((_, i) => Math.sin(i * 0.001)), [1, 3, 256, 256]) };
    const upgraded = upgradeOpset(encoder);
    expect(defaultOpset(upgraded)).toBe(21);
    expect(Number(upgraded.irVersion)).toBe(10);
    const embeddings = (await run(encoder, image)).image_embeddings;
    expect(maxAbsDiff((await run(upgraded, image)).image_embeddings.data as Float32Array, embeddings.data as Float32Array)).toBe(0);

    const decoder = load('decoder.onnx');
    const feeds = {
      image_embeddings: embeddings,
      point_coords: new ort.Tensor('float32', Float32Array.from([30, 40, 180, 200]), [1, 2, 2]),
      point_labels: new ort.Tensor('float32', Float32Array.from([2, 3]), [1, 2]),
      mask_input: new ort.Tensor('float32', new Float32Array(64 * 64), [1, 1, 64, 64]),
      has_mask_input: new ort.Tensor('float32', Float32Array.from([0]), [1]),
      orig_im_size: new ort.Tensor('float32', Float32Array.from([300, 400]), [2]),
    };
    const before = await run(decoder, feeds);
    const after = await run(upgradeOpset(decoder), feeds);
    for (const name of ['masks', 'iou_predictions', 'low_res_masks']) {
      expect(maxAbsDiff(after[name].data as Float32Array, before[name].data as Float32Array), name).toBe(0);
    }
  }, 60_000);

  it('rewrites opset-11 axes/split attributes and the flattened Softmax', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3, 4]);
    const sq = g.op('Unsqueeze', [x], { attributes: [intsAttr('axes', [0])] }); // [1,2,3,4]
    const back = g.op('Squeeze', [sq], { attributes: [intsAttr('axes', [0])] });
    const [p1, p2] = g.node('Split', [back], { outputs: 2, attributes: [intAttr('axis', 2), intsAttr('split', [1, 3])] });
    const [h1, h2] = g.node('Split', [back], { outputs: 2, attributes: [intAttr('axis', 2)] }); // equal halves
    const sum = g.op('ReduceSum', [p2], { attributes: [intsAttr('axes', [2]), intAttr('keepdims', 1)] });
    const mean = g.op('ReduceMean', [h2], { attributes: [intsAttr('axes', [1, 2]), intAttr('keepdims', 0)] });
    const top = g.op('ReduceMax', [h1], { attributes: [intsAttr('axes', [2])] });
    g.op('Add', [p1, sum], { output: 'a' });
    g.op('Identity', [mean], { output: 'm' });
    g.op('Identity', [top], { output: 't' });
    g.op('Softmax', [x], { output: 's', attributes: [intAttr('axis', 1)] }); // opset 11: over the 3·4 tail
    for (const o of ['a', 'm', 't', 's']) g.output(o);
    const model = g.toModel(11, 6);
    const data = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
    const feeds = { x: new ort.Tensor('float32', data, [2, 3, 4]) };
    const before = await run(model, feeds);
    const upgraded = upgradeOpset(model);
    const after = await run(upgraded, feeds);
    for (const name of ['a', 'm', 't', 's']) expect(Array.from(after[name].data as Float32Array), name).toEqual(Array.from(before[name].data as Float32Array));
    // Independent check of the old Softmax meaning: each batch's 12 values sum to 1.
    const s = after.s.data as Float32Array;
    expect(s.slice(0, 12).reduce((x1, y) => x1 + y, 0)).toBeCloseTo(1, 5);
    expect(upgraded.graph!.node!.find((n) => n.opType === 'Split' && n.input!.length === 1)!.attribute!.find((a) => a.name === 'num_outputs')!.i).toBe(2);
  });

  it('renames GridSample modes at opset 20', () => {
    const g = new GraphBuilder();
    g.op('GridSample', [g.input('x', [1, 1, 4, 4]), g.input('grid', [1, 2, 2, 2])], { output: 'y', attributes: [stringAttr('mode', 'bicubic')] });
    g.output('y');
    const node = upgradeOpset(g.toModel(16)).graph!.node![0];
    expect(attrString(node, 'mode', '')).toBe('cubic');
  });

  it('refuses what it cannot upgrade', () => {
    const g = new GraphBuilder();
    g.op('Relu', [g.input('x', [2])], { output: 'y' });
    g.output('y');
    expect(() => upgradeOpset(g.toModel(10))).toThrow(/opset 10 is not supported/);
    expect(() => upgradeOpset(g.toModel(21), 18)).toThrow(/already uses opset 21/);
  });
});
