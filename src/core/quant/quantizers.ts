/**
 * Reference quantizers on plain arrays (METHOD.md "Quantizers"). Element-wise rounding follows
 * float32 arithmetic and round-half-to-even exactly as ONNX Div/Round/Clip/Mul do, so the in-graph
 * fake quantization and the exported Q/DQ model can be checked against these functions.
 */

export interface QuantizerOptions {
  /** Weights: symmetric signed grid (zero point 0) instead of asymmetric unsigned. Default false. */
  weightSymmetric: boolean;
  /** Weights: range by MSE search over shrinking clip ratios (default) or plain min-max. */
  weightRange: 'mse' | 'minmax';
  /** Post-softmax inputs of softmax·v use the log2 quantizer (PTQ4SAM AGQ). Default true. */
  log2PostSoftmax: boolean;
  /** Default τ of the log2 quantizer when calibration did not choose one. */
  log2Tau: number;
}

export const DEFAULT_QUANTIZER: QuantizerOptions = {
  weightSymmetric: false,
  weightRange: 'mse',
  log2PostSoftmax: true,
  log2Tau: 2,
};

/** Integer grid of a b-bit quantizer. */
export interface Grid {
  qmin: number;
  qmax: number;
}

export interface UniformParams extends Grid {
  scale: number;
  zeroPoint: number;
}

export function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 16) throw new Error(`${what}: bit-width must be an integer from 1 to 16, got ${bits}.`);
}

export function weightGrid(bits: number, symmetric: boolean): Grid {
  return symmetric ? { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

/** Round half to even, as ONNX Round. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Scale and zero point for a real range; zero is always representable (range widened to hold 0). */
export function uniformParams(min: number, max: number, bits: number, symmetric: boolean): UniformParams {
  const grid = weightGrid(bits, symmetric);
  if (symmetric) {
    const amax = Math.max(Math.abs(min), Math.abs(max));
    const scale = Math.fround(amax > 0 ? amax / grid.qmax : 1);
    return { ...grid, scale, zeroPoint: 0 };
  }
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / grid.qmax : 1);
  const zeroPoint = Math.min(grid.qmax, Math.max(grid.qmin, roundHalfEven(-lo / scale)));
  return { ...grid, scale, zeroPoint };
}

/** x̂ = (clip(round(x/s) + z, qmin, qmax) − z)·s in float32, as the graph computes it. */
export function fakeQuant(x: number, p: UniformParams): number {
  const q = roundHalfEven(Math.fround(x / p.scale)) + p.zeroPoint;
  return Math.fround((Math.min(p.qmax, Math.max(p.qmin, q)) - p.zeroPoint) * p.scale);
}

/** Integer code of x on the grid (what an exported int tensor stores). */
export function quantizeCode(x: number, p: UniformParams): number {
  const q = roundHalfEven(Math.fround(x / p.scale)) + p.zeroPoint;
  return Math.min(p.qmax, Math.max(p.qmin, q));
}

export function fakeQuantArray(values: ArrayLike<number>, p: UniformParams): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fakeQuant(values[i], p);
  return out;
}

/**
 * Post-softmax log2 quantizer (METHOD.md AGQ): x_int = round(−log2(x/s)·τ), x̂ = s·2^(−x_int/τ);
 * codes ≥ 2^b (values too small, and exact zeros) dequantize to 0, codes below 0 clip to 0.
 */
export function log2Quant(x: number, scale: number, bits: number, tau: number): number {
  const q = roundHalfEven(Math.log(x / scale) * (-tau / Math.LN2));
  if (!(q < 2 ** bits)) return 0;
  return Math.fround(scale * 2 ** (-Math.max(q, 0) / tau));
}

export function log2QuantArray(values: ArrayLike<number>, scale: number, bits: number, tau: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = log2Quant(values[i], scale, bits, tau);
  return out;
}

/**
 * Clip ratios of the MSE search: a coarse sweep 1.0, 0.95, … 0.3 that stops once the error has
 * grown for two ratios in a row (the error is close to unimodal in the ratio), then a fine sweep
 * ±0.04 around the best coarse ratio. About 10 evaluations per channel and width instead of 23.
 */
const COARSE_RATIOS = Array.from({ length: 15 }, (_, i) => 1 - 0.05 * i);
const FINE_OFFSETS = [-0.04, -0.03, -0.02, -0.01, 0.01, 0.02, 0.03, 0.04];
const COARSE_PATIENCE = 2;

/**
 * Σ (x − x̂)² for the grid of the range [min·r, max·r], in plain double arithmetic: it only ranks
 * candidate ratios; the winner's params are computed by uniformParams and applied in float32.
 * Written without allocations: it runs ~25 times per channel and width.
 */
function clippedError(row: Float32Array, min: number, max: number, ratio: number, qmax: number, symmetric: boolean): number {
  let scale: number;
  let zeroPoint: number;
  let qmin: number;
  if (symmetric) {
    const amax = Math.max(-min, max) * ratio;
    qmin = -qmax - 1;
    scale = amax > 0 ? amax / qmax : 1;
    zeroPoint = 0;
  } else {
    const lo = Math.min(min * ratio, 0);
    const hi = Math.max(max * ratio, 0);
    qmin = 0;
    scale = hi > lo ? (hi - lo) / qmax : 1;
    zeroPoint = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
  }
  const inv = 1 / scale;
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    let q = Math.round(x * inv) + zeroPoint;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    const d = x - (q - zeroPoint) * scale;
    sum += d * d;
  }
  return sum;
}

/** Per-channel params of one row: min-max, or the clip ratio of least squared error. */
export function channelParams(row: Float32Array, bits: number, options: Pick<QuantizerOptions, 'weightSymmetric' | 'weightRange'>): UniformParams {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const symmetric = options.weightSymmetric;
  if (options.weightRange === 'minmax' || min === max) return uniformParams(min, max, bits, symmetric);
  const qmax = weightGrid(bits, symmetric).qmax;
  let bestRatio = 1;
  let bestError = Infinity;
  let previous = Infinity;
  let rising = 0;
  for (let k = 0; k < COARSE_RATIOS.length && rising < COARSE_PATIENCE; k++) {
    const error = clippedError(row, min, max, COARSE_RATIOS[k], qmax, symmetric);
    rising = error > previous ? rising + 1 : 0;
    previous = error;
    if (error < bestError) {
      bestError = error;
      bestRatio = COARSE_RATIOS[k];
    }
  }
  const center = bestRatio;
  for (let k = 0; k < FINE_OFFSETS.length; k++) {
    const ratio = center + FINE_OFFSETS[k];
    if (ratio > 1) continue;
    const error = clippedError(row, min, max, ratio, qmax, symmetric);
    if (error < bestError) {
      bestError = error;
      bestRatio = ratio;
    }
  }
  return uniformParams(min * bestRatio, max * bestRatio, bits, symmetric);
}

/** Per-output-channel params of a weight for one width. */
export function weightParams(data: Float32Array, dims: readonly number[], axis: number, bits: number, options: QuantizerOptions = DEFAULT_QUANTIZER): UniformParams[] {
  checkBits(bits, 'weight');
  if (options.weightSymmetric && bits < 2) throw new Error('Symmetric weight quantization needs at least 2 bits.');
  return channelRows(data, dims, axis).map((row) => channelParams(row, bits, options));
}

/** Copies a tensor into channel-major order: row c holds all elements of output channel c. */
export function channelRows(data: Float32Array, dims: readonly number[], axis: number): Float32Array[] {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const rows = Array.from({ length: channels }, () => new Float32Array(outer * inner));
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const src = (o * channels + c) * inner;
      rows[c].set(data.subarray(src, src + inner), o * inner);
    }
  }
  return rows;
}

/** Reference per-channel fake quantization of a weight with given per-channel params. */
export function fakeQuantWeight(data: Float32Array, dims: readonly number[], axis: number, params: readonly UniformParams[]): Float32Array {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = fakeQuant(data[i], params[Math.floor(i / inner) % channels]);
  return out;
}

/** Per-tensor asymmetric activation params from a calibrated range (METHOD.md "Quantizers"). */
export function activationParams(min: number, max: number, bits: number): UniformParams {
  checkBits(bits, 'activation');
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new Error(`Activation range [${min}, ${max}] is not a valid range.`);
  return uniformParams(min, max, bits, false);
}
