import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { intAttr } from './graph.ts';
import { cloneModel, encodeModelBytes } from './proto.ts';
import { floatToHalfBits, storeWeightsAsHalf } from './halfWeights.ts';
import { DataType, readFloatTensor } from './tensor.ts';

/** FP16 bits → value, written out from the format's definition (independent of the converter under test). */
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** The nearest FP16 value by search over all 65536 codes (ties to the even code; its sign is the value's). */
function nearestHalfBits(value: number): number {
  const signBit = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  let best = 0;
  let bestError = Infinity;
  for (let bits = 0; bits < 0x10000; bits++) {
    const candidate = halfValue(bits);
    if (!Number.isFinite(candidate)) continue;
    const error = Math.abs(candidate - value);
    if ((bits & 0x8000) !== signBit) continue;
    if (error < bestError || (error === bestError && (bits & 1) === 0)) {
      best = bits;
      bestError = error;
    }
  }
  return best;
}

describe('floatToHalfBits', () => {
  it('encodes the format’s landmarks', () => {
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(-2)).toBe(0xc000);
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // halfway to the next binade rounds to ∞
    expect(floatToHalfBits(2 ** -24)).toBe(0x0001);
    expect(floatToHalfBits(2 ** -25)).toBe(0x0000); // a tie with 0, which is even
    expect(floatToHalfBits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(floatToHalfBits(2 ** -14)).toBe(0x0400);
    expect(floatToHalfBits(-0)).toBe(0x8000);
    expect(floatToHalfBits(Infinity)).toBe(0x7c00);
    expect(floatToHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToHalfBits(Number.NaN) & 0x3ff).not.toBe(0);
    // 1 + 2⁻¹¹ is halfway between 1 and 1 + 2⁻¹⁰: ties to the even code (1); 1 + 3·2⁻¹¹ rounds up to the even 1 + 2⁻⁹.
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('gives the nearest FP16 value for normal and subnormal floats', () => {
    const values = Array.from({ length: 60 }, (_, i) => Math.fround(Math.sin(i * 12.9898) * 10 ** ((i % 12) - 8)));
    for (const value of values) expect(floatToHalfBits(value), `value ${value}`).toBe(nearestHalfBits(value));
  });
});

/** y = Gemm(x, W) + MatMul(x, V) with a small bias weight that stays float32. */
function weightsModel() {
  const b = new GraphBuilder();
  const x = b.input('x', [4, 64]);
  b.init('W', [64, 64], Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i * 0.37) * 0.2));
  b.init('V', [64, 64], Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i * 0.11) * 0.1));
  b.init('bias', [64], Float32Array.from({ length: 64 }, (_, i) => i * 0.01));
  const g = b.op('Gemm', [x, 'W', 'bias'], { attributes: [intAttr('transB', 1)] });
  const m = b.op('MatMul', [x, 'V']);
  b.op('Add', [g, m], { output: 'y' });
  b.output('y');
  return b.toModel(21, 10);
}

describe('storeWeightsAsHalf', () => {
  it('halves the weights’ bytes and runs within FP16 rounding of the original; the bias stays float32', async () => {
    const model = weightsModel();
    const rewritten = cloneModel(model);
    const { tensors, savedBytes } = storeWeightsAsHalf(rewritten.graph!);
    expect(tensors).toBe(2);
    expect(savedBytes).toBe(2 * 64 * 64 * 2);
    const types = Object.fromEntries(rewritten.graph!.initializer!.map((t) => [t.name, t.dataType]));
    expect(types).toEqual({ 'W.fp16': DataType.FLOAT16, 'V.fp16': DataType.FLOAT16, bias: DataType.FLOAT });
    expect(encodeModelBytes(rewritten).byteLength).toBeLessThan(encodeModelBytes(model).byteLength - savedBytes + 1024);
    // The stored values are the FP16 roundings of the originals.
    const w = readFloatTensor(model.graph!.initializer![0]).data;
    const stored = readFloatTensor(rewritten.graph!.initializer!.find((t) => t.name === 'W.fp16')!).data;
    for (let i = 0; i < w.length; i += 97) expect(stored[i]).toBe(halfValue(floatToHalfBits(w[i])));

    const x = new ort.Tensor('float32', Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i) * 2), [4, 64]);
    const run = async (bytes: Uint8Array) => (await (await ort.InferenceSession.create(bytes)).run({ x })).y.data as Float32Array;
    const [before, after] = [await run(encodeModelBytes(model)), await run(encodeModelBytes(rewritten))];
    const scale = Math.max(...before.map(Math.abs));
    const worst = before.reduce((max, v, i) => Math.max(max, Math.abs(v - after[i])), 0);
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(2e-3 * scale);
  });

  it('leaves weights that are graph inputs, feed other ops, or exceed FP16’s range in float32', () => {
    const model = weightsModel();
    model.graph!.node!.push({ name: 'reads W', opType: 'Identity', input: ['W'], output: ['w_copy'] } as never);
    model.graph!.initializer![1].floatData = [];
    const big = readFloatTensor(model.graph!.initializer![1]).data.map((v, i) => (i === 0 ? 1e6 : v));
    model.graph!.initializer![1].rawData = new Uint8Array(big.buffer);
    expect(storeWeightsAsHalf(model.graph!).tensors).toBe(0);
  });
});
