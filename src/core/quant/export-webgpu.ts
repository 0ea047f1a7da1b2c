/**
 * The `fast-webgpu` export profile: what onnxruntime-web's WebGPU backend runs fast and correctly.
 * Weight-only: the activations stay float32 (no QuantizeLinear / DequantizeLinear on activations, no
 * log2 subgraph), so an allocation's activation widths are not applied by this profile.
 *
 * - MatMul weights ([K, N] constant) ≤ 8 bits → com.microsoft MatMulNBits, float compute
 *   (accuracy_level 0). Widths ≤ 4 use the 4-bit container (export-fast.ts's writeMatMulNBits), widths
 *   5–8 the 8-bit one: onnxruntime-web 1.30's WebGPU kernel takes bits 4 and 8 ("Only 4/8 bits are
 *   supported for webgpu matmulnbits"), and its CPU / WASM kernel runs both too. The per-column grids
 *   and codes of the simulation are kept: every block of a column carries that column's scale and zero
 *   point, so the dequantized weight is the simulation's.
 * - Conv / ConvTranspose / Gemm weights: the exact writer (per-output-channel int4 / int8
 *   DequantizeLinear, float Conv). Per-axis DequantizeLinear has a WebGPU kernel and dequantizes the
 *   simulation's codes exactly; it is not one of the patterns that fall back or go wrong there (1-D
 *   blocked scales, int32 biases with a zero point), and storing the codes keeps the file small.
 * - Nothing is written as MatMulInteger / MatMulIntegerToFloat / DynamicQuantizeMatMul (int8 activation
 *   kernels onnxruntime-web has no WebGPU kernel for: they would run on the CPU, with copies).
 * - Repeating float constants are stored as table + index as in fast-cpu (constantTables.ts); onnxruntime
 *   folds them back when the session is created, before nodes are given to the WebGPU backend.
 * Activations are float32: the studio's WebGPU adapters need not offer shader-f16.
 */
import type { GraphBuilder } from '../onnx/builder.ts';
import type { NodeProto } from '../onnx/proto.ts';
import { fastWeightKernel, setMatMulNBits, writeMatMulNBits, type StoredWeight } from './export-fast.ts';
import { quantizeCode, type UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

/** Can this unit's weight at `bits` be written as MatMulNBits for WebGPU? */
export function webGpuWeightKernel(unit: QuantUnit, bits: number): boolean {
  return bits <= 8 && fastWeightKernel(unit);
}

/** Container width of a weight width: 4 up to 4 bits, else 8. */
export function nbitsContainer(bits: number): 4 | 8 {
  return bits <= 4 ? 4 : 8;
}

/** Block size with the fewest stored bytes per column at 8 bits: ⌈K/bs⌉·(bs + 4 + 1). */
export function nbits8BlockSize(k: number): number {
  let best = 16;
  let bestCost = Infinity;
  for (const bs of [16, 32, 64, 128]) {
    const cost = Math.ceil(k / bs) * (bs + 5);
    if (cost < bestCost) [best, bestCost] = [bs, cost];
  }
  return best;
}

/**
 * Turns MatMul `node` (input 0 = x, weight [K, N] in `data`) into MatMulNBits with the `bits`-wide codes
 * of `params` (per column), in the 4- or 8-bit container. Symmetric grids (codes from −2^(b−1)) are
 * stored shifted by half the container, their zero point with them.
 */
export function writeWebGpuMatMulNBits(
  b: GraphBuilder,
  node: NodeProto,
  base: string,
  data: Float32Array,
  dims: readonly number[],
  params: readonly UniformParams[],
  bits: number,
  symmetric: boolean,
): StoredWeight {
  if (nbitsContainer(bits) === 4) return writeMatMulNBits(b, node, base, data, dims, params, symmetric ? 8 : 0, 0);
  const shift = symmetric ? 128 : 0;
  const [k, n] = dims;
  const blockSize = nbits8BlockSize(k);
  const blocks = Math.ceil(k / blockSize);
  const packed = new Uint8Array(n * blocks * blockSize);
  const scales = new Float32Array(n * blocks);
  const zeros = new Uint8Array(n * blocks);
  for (let col = 0; col < n; col++) {
    const p = params[col];
    const zero = p.zeroPoint + shift;
    const row = col * blocks * blockSize;
    // Padding past K holds the zero point: it dequantizes to 0.
    for (let kk = 0; kk < blocks * blockSize; kk++) packed[row + kk] = kk < k ? quantizeCode(data[kk * n + col], p) + shift : zero;
    scales.fill(p.scale, col * blocks, (col + 1) * blocks);
    zeros.fill(zero, col * blocks, (col + 1) * blocks);
  }
  return setMatMulNBits(b, node, base, { packed, blob: blockSize, scales, zeros }, { k, n, bits: 8, blockSize, accuracyLevel: 0 });
}
