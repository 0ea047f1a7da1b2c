/**
 * Error-compensated weight rounding (GPTQ, Frantar et al. 2023) on plain arrays: the columns of a
 * weight (its input features) are rounded one after another, and each column's rounding error is
 * pushed onto the columns not yet rounded, weighted by the inverse Hessian H⁻¹ of the layer's
 * reconstruction error ‖X·Wᵀ − X·Ŵᵀ‖² (H = XᵀX over the calibration inputs, quant/hessians.ts).
 *
 * Rows are output channels, each with its own grid (the per-channel params the simulation uses), so
 * the codes land on exactly the grids of round-to-nearest: only which level each weight takes changes.
 * Columns are taken in their natural order (no activation ordering), in blocks whose updates to later
 * columns are applied at once (lazy batch updates). Everything runs in float64.
 */
import { channelRows, quantizeCode, type UniformParams } from './quantizers.ts';

export interface GptqOptions {
  /** λ = dampening · mean(diag H) is added to H's diagonal (default 0.01). */
  dampening: number;
  /** Columns per lazy-update block (default 128). The result does not depend on it beyond float rounding. */
  blockSize: number;
}

export const DEFAULT_GPTQ: GptqOptions = { dampening: 0.01, blockSize: 128 };

/** Dampening is multiplied by 10 up to this many times when H + λI is not numerically positive definite. */
const DAMPENING_RETRIES = 4;

/**
 * In place: the lower Cholesky factor L of a symmetric n×n matrix (row-major, H = L·Lᵀ), upper
 * triangle zeroed. Returns false when a pivot is not positive.
 */
export function choleskyLower(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let pivot = a[rowJ + j];
    for (let k = 0; k < j; k++) pivot -= a[rowJ + k] * a[rowJ + k];
    if (!(pivot > 0)) return false;
    const d = Math.sqrt(pivot);
    a[rowJ + j] = d;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let sum = a[rowI + j];
      for (let k = 0; k < j; k++) sum -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = sum / d;
    }
    for (let k = j + 1; k < n; k++) a[rowJ + k] = 0;
  }
  return true;
}

/** Inverse of a lower-triangular n×n matrix (row-major): row i of L⁻¹ is (e_i − Σ_k<i L[i][k]·row k) / L[i][i]. */
function invertLower(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < i; k++) {
      const f = l[row + k];
      if (f === 0) continue;
      const other = k * n;
      for (let j = 0; j <= k; j++) inv[row + j] -= f * inv[other + j];
    }
    inv[row + i] += 1;
    const d = l[row + i];
    for (let j = 0; j <= i; j++) inv[row + j] /= d;
  }
  return inv;
}

/**
 * U, upper triangular with H⁻¹ = Uᵀ·U, for symmetric positive definite H (row-major, not modified);
 * null when H is not numerically positive definite. With J the reversal of indices, J·H·J = M·Mᵀ gives
 * H = R·Rᵀ with R = J·M·J upper, so H⁻¹ = R⁻ᵀ·R⁻¹ and U = R⁻¹ = J·M⁻¹·J: one Cholesky and one
 * triangular inverse.
 */
export function upperCholeskyOfInverse(h: Float64Array, n: number): Float64Array | null {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
  if (!choleskyLower(m, n)) return null;
  const mi = invertLower(m, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = mi[(n - 1 - i) * n + (n - 1 - j)];
  return u;
}

/** A Hessian made ready for GPTQ once, for every width: dead inputs marked, damped, U of its inverse. */
export interface PreparedHessian {
  columns: number;
  u: Float64Array;
  /** 1 where the input was always zero (its weights are rounded as zero: they never reach the output). */
  dead: Uint8Array;
  /** The dampening factor that made H + λI positive definite. */
  dampening: number;
}

/** Null when H stays singular after the dampening retries (the caller keeps round-to-nearest). */
export function prepareHessian(hessian: ArrayLike<number>, columns: number, dampening = DEFAULT_GPTQ.dampening): PreparedHessian | null {
  const n = columns;
  if (hessian.length !== n * n) throw new Error(`GPTQ: Hessian has ${hessian.length} values, expected ${n}².`);
  const h = Float64Array.from(hessian);
  const dead = new Uint8Array(n);
  let diagonal = 0;
  for (let i = 0; i < n; i++) {
    if (h[i * n + i] === 0) {
      h[i * n + i] = 1;
      dead[i] = 1;
    }
    diagonal += h[i * n + i];
  }
  const meanDiagonal = diagonal / n;
  let used = dampening;
  for (let attempt = 0; attempt <= DAMPENING_RETRIES; attempt++, used *= 10) {
    const damped = Float64Array.from(h);
    for (let i = 0; i < n; i++) damped[i * n + i] += used * meanDiagonal;
    const u = upperCholeskyOfInverse(damped, n);
    if (u) return { columns: n, u, dead, dampening: used };
  }
  return null;
}

/**
 * GPTQ codes of a weight given as `rows` × `columns` (row-major, row r = output channel r on grid
 * params[r]), with the prepared Hessian of its inputs; row-major [rows, columns], each row on its grid.
 */
export function gptqCodes(weight: ArrayLike<number>, rows: number, prepared: PreparedHessian, params: readonly UniformParams[], blockSize = DEFAULT_GPTQ.blockSize): Int32Array {
  const { columns: n, u, dead } = prepared;
  if (weight.length !== rows * n) throw new Error(`GPTQ: weight has ${weight.length} values, expected ${rows}×${n}.`);
  if (params.length !== rows) throw new Error(`GPTQ: ${params.length} channel grids for ${rows} rows.`);
  if (!(blockSize >= 1)) throw new Error(`GPTQ: block size must be at least 1, got ${blockSize}.`);
  const w = Float64Array.from(weight);
  for (let i = 0; i < n; i++) if (dead[i]) for (let r = 0; r < rows; r++) w[r * n + i] = 0;
  const codes = new Int32Array(rows * n);
  const scales = Float64Array.from(params, (p) => p.scale);
  const zeros = Float64Array.from(params, (p) => p.zeroPoint);
  for (let start = 0; start < n; start += blockSize) {
    const end = Math.min(start + blockSize, n);
    const width = end - start;
    const errors = new Float64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      const wr = r * n;
      const er = r * width;
      const p = params[r];
      const scale = scales[r];
      const zero = zeros[r];
      for (let i = start; i < end; i++) {
        const ui = i * n;
        const x = w[wr + i];
        const q = quantizeCode(x, p);
        codes[wr + i] = q;
        const e = (x - (q - zero) * scale) / u[ui + i];
        errors[er + i - start] = e;
        for (let j = i + 1; j < end; j++) w[wr + j] -= e * u[ui + j];
      }
      // The block's errors reach the later columns in one pass.
      for (let k = 0; k < width; k++) {
        const e = errors[er + k];
        if (e === 0) continue;
        const uRow = (start + k) * n;
        for (let j = end; j < n; j++) w[wr + j] -= e * u[uRow + j];
      }
    }
  }
  return codes;
}

/**
 * GPTQ codes of a weight in its ONNX layout (dims, output-channel axis), in that same layout. Rows of
 * `channelRows` are the Hessian's column order (MatMul: the reduction axis; Conv: im2col's c_in, k…).
 */
export function gptqWeightCodes(
  data: Float32Array,
  dims: readonly number[],
  channelAxis: number,
  prepared: PreparedHessian,
  params: readonly UniformParams[],
  blockSize = DEFAULT_GPTQ.blockSize,
): Int32Array {
  const rows = channelRows(data, dims, channelAxis);
  const columns = prepared.columns;
  const flat = new Float32Array(rows.length * columns);
  rows.forEach((row, r) => flat.set(row, r * columns));
  const codes = gptqCodes(flat, rows.length, prepared, params, blockSize);
  const out = new Int32Array(data.length);
  const channels = dims[channelAxis];
  const inner = dims.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, channelAxis).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < inner; k++) out[(o * channels + c) * inner + k] = codes[c * columns + o * inner + k];
    }
  }
  return out;
}
