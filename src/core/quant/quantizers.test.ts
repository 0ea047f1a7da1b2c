import { describe, expect, it } from 'vitest';
import {
  activationParams,
  channelParams,
  fakeQuant,
  fakeQuantWeight,
  log2Quant,
  roundHalfEven,
  uniformParams,
  weightParams,
  type UniformParams,
} from './quantizers.ts';

describe('uniform quantizer', () => {
  it('rounds half to even like ONNX Round', () => {
    expect([0.5, 1.5, 2.5, -2.5, 3.5, 2.4999, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, -2, 4, 2, -2]);
  });

  it('asymmetric 2-bit grid on [-1, 3]: s = 4/3, z = round(0.75) = 1', () => {
    const p = uniformParams(-1, 3, 2, false);
    expect(p).toEqual({ qmin: 0, qmax: 3, scale: Math.fround(4 / 3), zeroPoint: 1 });
    expect(fakeQuant(0.5, p)).toBe(0); // 0.375 → 0, +1 → 1, (1−1)·s
    expect(fakeQuant(2, p)).toBe(Math.fround(2 * Math.fround(4 / 3))); // 1.5 → 2 (even), +1 → 3
    expect(fakeQuant(10, p)).toBe(Math.fround(2 * Math.fround(4 / 3))); // clipped at qmax 3
    expect(fakeQuant(-5, p)).toBe(Math.fround(-Math.fround(4 / 3))); // clipped at qmin 0 → −1·s
  });

  it('symmetric 4-bit: s = amax/7, zero point 0, grid [-8, 7]', () => {
    const p = uniformParams(-2, 1.4, 4, true);
    expect(p).toEqual({ qmin: -8, qmax: 7, scale: Math.fround(2 / 7), zeroPoint: 0 });
    expect(fakeQuant(1.4, p)).toBe(Math.fround(5 * Math.fround(2 / 7))); // 4.9 → 5
  });

  it('widens ranges to contain zero, and zero stays exact', () => {
    const p = uniformParams(0.5, 2, 3, false);
    expect(p.zeroPoint).toBe(0);
    expect(fakeQuant(0, uniformParams(-0.3, 0.7, 5, false))).toBe(0);
  });

  it('activation params: 8 bits on [-0.5, 1.5] give s = 2/255, z = round(63.75) = 64', () => {
    expect(activationParams(-0.5, 1.5, 8)).toEqual({ qmin: 0, qmax: 255, scale: Math.fround(2 / 255), zeroPoint: 64 });
    expect(() => activationParams(1, 0, 8)).toThrow(/not a valid range/);
    expect(() => activationParams(0, 1, 0)).toThrow(/bit-width/);
  });
});

describe('weight ranges', () => {
  // 101 evenly spread values in [-1, 1] and one outlier at 1.6.
  const row = Float32Array.from([...Array.from({ length: 101 }, (_, i) => -1 + i / 50), 1.6]);
  const error = (p: UniformParams) => row.reduce((sum, x) => sum + (x - fakeQuant(x, p)) ** 2, 0);

  it('min-max uses the full range', () => {
    expect(channelParams(row, 3, { weightSymmetric: false, weightRange: 'minmax' })).toEqual(uniformParams(-1, 1.6, 3, false));
  });

  it('MSE search clips an outlier and beats min-max', () => {
    const mse = channelParams(row, 3, { weightSymmetric: false, weightRange: 'mse' });
    const minmax = uniformParams(-1, 1.6, 3, false);
    expect(error(mse)).toBeLessThan(error(minmax));
    // Brute force over a fine grid of clip ratios: the search lands within 2% of the best error.
    let best = Infinity;
    for (let r = 1; r >= 0.05; r -= 0.001) best = Math.min(best, error(uniformParams(-r, 1.6 * r, 3, false)));
    expect(error(mse)).toBeLessThanOrEqual(best * 1.02);
  });

  it('per-output-channel along the given axis', () => {
    // [2, 3] MatMul weight, channels along axis 1: column c spans rows 0 and 1.
    const w = Float32Array.from([1, -2, 0.5, -1, 4, 0.25]);
    const params = weightParams(w, [2, 3], 1, 8, { weightSymmetric: true, weightRange: 'minmax', log2PostSoftmax: true, log2Tau: 2 });
    expect(params.map((p) => p.scale)).toEqual([1 / 127, 4 / 127, 0.5 / 127].map(Math.fround));
    const q = fakeQuantWeight(w, [2, 3], 1, params);
    expect(q[4]).toBe(Math.fround(127 * Math.fround(4 / 127)));
    expect(Math.abs(q[1] - -2)).toBeLessThanOrEqual(Math.fround(4 / 127) / 2);
  });
});

describe('log2 quantizer (AGQ)', () => {
  it('matches x̂ = s·2^(−round(−log2(x/s)·τ)/τ) by hand', () => {
    expect(log2Quant(0.25, 1, 4, 1)).toBe(0.25); // −log2 = 2
    expect(log2Quant(0.3, 1, 4, 2)).toBe(Math.fround(2 ** -1.5)); // 3.47 → 3
    expect(log2Quant(0.3, 0.5, 4, 1)).toBe(0.25); // −log2(0.6) = 0.74 → 1 → 0.5·2^-1
  });

  it('sends underflowing codes and zeros to 0, clips values above s to s', () => {
    expect(log2Quant(1e-6, 1, 3, 1)).toBe(0); // code 20 ≥ 8 levels
    expect(log2Quant(0, 1, 8, 2)).toBe(0);
    expect(log2Quant(2, 1, 4, 1)).toBe(1);
  });
});
