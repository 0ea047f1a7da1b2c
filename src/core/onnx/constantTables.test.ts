import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { cloneModel, encodeModelBytes, onnx } from './proto.ts';
import { tabulateRepeatedConstants } from './constantTables.ts';
import { DataType, makeTensor } from './tensor.ts';

/** x + C where C[h, i, j] = table[h, index[i, j]]: an attention-bias constant as TinyViT exports it. */
function biasModel(heads: number, n: number, classes: number) {
  const table = Float32Array.from({ length: heads * classes }, (_, i) => Math.sin(i * 1.7) * 3);
  const index = Array.from({ length: n * n }, (_, p) => (p * 7 + Math.floor(p / n)) % classes);
  const values = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++) for (let p = 0; p < n * n; p++) values[h * n * n + p] = table[h * classes + index[p]];
  const b = new GraphBuilder();
  const x = b.input('x', [heads, n, n]);
  b.node('Constant', [], { outputs: ['bias'], attributes: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: makeTensor('bias', DataType.FLOAT, [heads, n, n], values) }] });
  b.op('Add', [x, 'bias'], { output: 'y' });
  b.output('y');
  return b.toModel(21, 10);
}

describe('tabulateRepeatedConstants', () => {
  it('stores a [5, 196, 196] attention-bias constant as table + uint16 index, five times smaller, with the same values', async () => {
    const model = biasModel(5, 196, 300);
    const rewritten = cloneModel(model);
    const saved = tabulateRepeatedConstants(rewritten.graph!);
    const before = encodeModelBytes(model).byteLength;
    const after = encodeModelBytes(rewritten).byteLength;
    expect(saved).toBeGreaterThan(0.75 * 5 * 196 * 196 * 4);
    expect(after).toBeLessThan(before / 4);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 5 * 196 * 196 }, (_, i) => i * 1e-3), [5, 196, 196]);
    const run = async (bytes: Uint8Array) => (await (await ort.InferenceSession.create(bytes)).run({ x })).y.data as Float32Array;
    expect(await run(encodeModelBytes(rewritten))).toEqual(await run(encodeModelBytes(model)));
  });

  it('leaves constants without a repeating pattern alone', () => {
    const model = biasModel(2, 128, 128 * 128);
    expect(tabulateRepeatedConstants(cloneModel(model).graph!)).toBe(0);
  });
});
