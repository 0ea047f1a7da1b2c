import { describe, expect, it } from 'vitest';
import { createRandom } from '../synth/random.ts';
import { gptqCodes, gptqWeightCodes, prepareHessian, upperCholeskyOfInverse } from './gptq.ts';
import { dequantizeCodes } from './rounded-weights.ts';
import { channelParams, quantizeCode, type UniformParams } from './quantizers.ts';

/** A layer with correlated inputs: X = Z·M (rows × features), weights rows × features. */
function layer(seed: number, rows: number, features: number, samples: number) {
  const random = createRandom(seed);
  const mix = Array.from({ length: features * features }, () => random.normal() / Math.sqrt(features));
  for (let i = 0; i < features; i++) mix[i * features + i] += 1;
  const x = new Float64Array(samples * features);
  for (let s = 0; s < samples; s++) {
    const z = Array.from({ length: features }, () => random.normal());
    for (let j = 0; j < features; j++) {
      let sum = 0;
      for (let k = 0; k < features; k++) sum += z[k] * mix[k * features + j];
      x[s * features + j] = sum;
    }
  }
  const w = Float32Array.from({ length: rows * features }, () => random.normal() * 0.2);
  const h = new Float64Array(features * features);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < features; i++) for (let j = 0; j < features; j++) h[i * features + j] += x[s * features + i] * x[s * features + j];
  }
  return { x, w, h };
}

function gridsOf(w: Float32Array, rows: number, features: number, bits: number): UniformParams[] {
  return Array.from({ length: rows }, (_, r) => channelParams(w.subarray(r * features, (r + 1) * features), bits, { weightSymmetric: false, weightRange: 'minmax' }));
}

/**
 * The reference, written from the paper's Optimal Brain Quantization view rather than the Cholesky
 * form: keep the inverse Hessian of the columns not yet rounded, round column i, spread its error with
 * that inverse's column i, then remove i from the inverse (Gauss elimination of one row and column).
 */
function referenceCodes(w: Float32Array, rows: number, n: number, h: Float64Array, grids: UniformParams[], dampening: number): Int32Array {
  const hd = Float64Array.from(h);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += hd[i * n + i] / n;
  for (let i = 0; i < n; i++) hd[i * n + i] += dampening * mean;
  // Gauss–Jordan inverse.
  const a = Float64Array.from(hd);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    const pivot = a[c * n + c];
    for (let j = 0; j < n; j++) {
      a[c * n + j] /= pivot;
      inv[c * n + j] /= pivot;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  const codes = new Int32Array(rows * n);
  const weights = Float64Array.from(w);
  for (let i = 0; i < n; i++) {
    const d = inv[i * n + i];
    for (let r = 0; r < rows; r++) {
      const p = grids[r];
      const value = weights[r * n + i];
      const q = quantizeCode(value, p);
      codes[r * n + i] = q;
      const error = (value - (q - p.zeroPoint) * p.scale) / d;
      for (let j = i + 1; j < n; j++) weights[r * n + j] -= error * inv[i * n + j];
    }
    const column = Array.from({ length: n }, (_, k) => inv[k * n + i]);
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) inv[k * n + j] -= (column[k] * column[j]) / d;
  }
  return codes;
}

function outputError(x: Float64Array, samples: number, w: Float32Array, rows: number, n: number, dequantized: (r: number, j: number) => number): number {
  let sum = 0;
  for (let s = 0; s < samples; s++) {
    for (let r = 0; r < rows; r++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += x[s * n + j] * (w[r * n + j] - dequantized(r, j));
      sum += d * d;
    }
  }
  return sum;
}

describe('GPTQ', () => {
  it('U of H⁻¹ = UᵀU is upper triangular and reproduces the inverse', () => {
    const n = 5;
    const { h } = layer(11, 1, n, 40);
    const u = upperCholeskyOfInverse(h, n)!;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
    // (UᵀU)·H = I
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) {
          let inverse = 0;
          for (let m = 0; m < n; m++) inverse += u[m * n + i] * u[m * n + k];
          sum += inverse * h[k * n + j];
        }
        expect(sum).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });

  it.each([
    { bits: 3, blockSize: 8 },
    { bits: 4, blockSize: 128 },
    { bits: 2, blockSize: 5 },
  ])('gives the reference implementation’s codes at $bits bits (block size $blockSize), and a smaller output error than round-to-nearest', ({ bits, blockSize }) => {
    const [rows, n, samples] = [12, 40, 200];
    const { x, w, h } = layer(bits * 97 + blockSize, rows, n, samples);
    const grids = gridsOf(w, rows, n, bits);
    const codes = gptqCodes(w, rows, prepareHessian(h, n, 0.01)!, grids, blockSize);
    const reference = referenceCodes(w, rows, n, h, grids, 0.01);
    expect(Array.from(codes)).toEqual(Array.from(reference));
    const nearest = Int32Array.from(w, (value, i) => quantizeCode(value, grids[Math.floor(i / n)]));
    // GPTQ changes some levels, never leaves the grid.
    const changed = codes.filter((q, i) => q !== nearest[i]).length;
    expect(changed).toBeGreaterThan(0);
    codes.forEach((q, i) => {
      const p = grids[Math.floor(i / n)];
      expect(q).toBeGreaterThanOrEqual(p.qmin);
      expect(q).toBeLessThanOrEqual(p.qmax);
    });
    const deq = (codes: Int32Array) => (r: number, j: number) => (codes[r * n + j] - grids[r].zeroPoint) * grids[r].scale;
    const gptqError = outputError(x, samples, w, rows, n, deq(codes));
    const nearestError = outputError(x, samples, w, rows, n, deq(nearest));
    console.log(`GPTQ ${bits} bits: ${changed}/${rows * n} codes changed; output error ${gptqError.toFixed(3)} vs round-to-nearest ${nearestError.toFixed(3)} (${(gptqError / nearestError).toFixed(3)}×)`);
    expect(gptqError).toBeLessThan(nearestError);
  });

  it('rounds dead inputs to zero and still solves when H is singular', () => {
    const [rows, n] = [3, 6];
    const { w, h } = layer(5, rows, n, 30);
    for (let j = 0; j < n; j++) h[2 * n + j] = h[j * n + 2] = 0; // input 2 never fires
    const grids = gridsOf(w, rows, n, 4);
    const prepared = prepareHessian(h, n)!;
    expect(Array.from(prepared.dead)).toEqual([0, 0, 1, 0, 0, 0]);
    const codes = gptqCodes(w, rows, prepared, grids);
    for (let r = 0; r < rows; r++) expect(codes[r * n + 2]).toBe(grids[r].zeroPoint);
  });

  it('keeps the ONNX layout: a MatMul weight [K, N] with channels on axis 1 gets its codes as K×N, and their dequantized values round back to them', () => {
    const [k, nOut] = [8, 3];
    const { w, h } = layer(7, nOut, k, 50); // rows = output channels
    const onnxLayout = new Float32Array(k * nOut);
    for (let c = 0; c < nOut; c++) for (let f = 0; f < k; f++) onnxLayout[f * nOut + c] = w[c * k + f];
    const grids = gridsOf(w, nOut, k, 3);
    const prepared = prepareHessian(h, k)!;
    const layoutCodes = gptqWeightCodes(onnxLayout, [k, nOut], 1, prepared, grids);
    const codes = gptqCodes(w, nOut, prepared, grids);
    const values = dequantizeCodes(layoutCodes, [k, nOut], 1, grids);
    for (let c = 0; c < nOut; c++) {
      for (let f = 0; f < k; f++) {
        const p = grids[c];
        expect(layoutCodes[f * nOut + c]).toBe(codes[c * k + f]);
        expect(values[f * nOut + c]).toBe(Math.fround((codes[c * k + f] - p.zeroPoint) * p.scale));
        expect(quantizeCode(values[f * nOut + c], p)).toBe(codes[c * k + f]);
      }
    }
  });
});
