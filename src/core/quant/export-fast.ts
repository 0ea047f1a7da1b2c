/**
 * The `fast-cpu` export profile: quantized units are written as the integer kernels onnxruntime's CPU
 * and WASM backends execute (com.microsoft contrib ops), instead of the exact float Q/DQ simulation.
 *
 * - Weights ≤ 4 bits on a MatMul → MatMulNBits (bits 4). The project's scales are per output column
 *   over the whole K; MatMulNBits is block-wise, so every block of a column carries that column's scale
 *   and zero point: the dequantized weight is exactly the per-channel one. The block size (16–128) is
 *   the one that stores the fewest bytes (padding + scales). accuracy_level 4 (int8 compute, the
 *   kernel quantizes its input per block itself) when the unit's activations are quantized to ≤ 8 bits,
 *   else 0 (float compute).
 * - Weights 5–8 bits with activations ≤ 8 bits → QuantizeLinear (uint8) + MatMulIntegerToFloat
 *   (int8 weights, per-column scale and zero point); with float activations → DynamicQuantizeMatMul.
 * - Activation units (q·kᵀ, softmax·v) at ≤ 8 bits → both inputs QuantizeLinear (uint8) +
 *   MatMulIntegerToFloat. The post-softmax log2 quantizer becomes an 8-bit uniform grid on [0, max].
 * - Activation grids below 8 bits: an 8-bit grid over the same clipped range (QuantizeLinear saturates,
 *   so no Clip node); the kernels then see finer codes than the simulation.
 * Convs with a long reduction: ConvInteger (export-fast-conv.ts). Anything else (other Convs,
 * ConvTranspose, Gemm, widths above 8) is left to the exact writer.
 */
import type { GraphBuilder } from '../onnx/builder.ts';
import { attrInt, GraphIndex, intAttr, isDefaultDomain } from '../onnx/graph.ts';
import type { GraphProto, NodeProto } from '../onnx/proto.ts';
import { DataType, makeTensor, tensorDims } from '../onnx/tensor.ts';
import type { SiteParams } from './config.ts';
import { activationParams, quantizeCode, type UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

export const MS_DOMAIN = 'com.microsoft';

/** What a weight write stored, for the size accounting. */
export interface StoredWeight {
  storedBytes: number;
  scaleBytes: number;
}

/** 8-bit uint grid a kernel reads for an activation site (see the header for widths below 8). */
export function kernelActivationParams(site: SiteParams): UniformParams {
  if (site.quantizer === 'log2') return activationParams(0, site.scale, 8);
  const p = site.params;
  if (p.qmin === 0 && p.qmax === 255) return p;
  return activationParams(Math.fround((p.qmin - p.zeroPoint) * p.scale), Math.fround((p.qmax - p.zeroPoint) * p.scale), 8);
}

/** Can this weight unit run as MatMulNBits / MatMulIntegerToFloat (a MatMul reading a [K, N] constant)? */
export function fastWeightKernel(unit: QuantUnit): boolean {
  const w = unit.weight;
  return unit.op === 'MatMul' && w !== null && w.inputIndex === 1 && w.dims.length === 2 && w.channelAxis === 1;
}

/** QuantizeLinear of `x` to uint8 with `p`. */
export function quantizeInput(b: GraphBuilder, x: string, p: UniformParams, path: string): { q: string; scale: string; zero: string } {
  const scale = b.floats('scale', [p.scale]);
  const zero = b.fresh('zero_point');
  b.initializers.push(makeTensor(zero, DataType.UINT8, [], [p.zeroPoint]));
  const q = b.op('QuantizeLinear', [x, scale, zero], { name: `${path}/QuantizeLinear` });
  return { q, scale, zero };
}

/** Block size with the fewest stored bytes per column: ⌈K/bs⌉·(bs/2 + 4 + ½). */
export function nbitsBlockSize(k: number): number {
  let best = 16;
  let bestCost = Infinity;
  for (const bs of [16, 32, 64, 128]) {
    const blocks = Math.ceil(k / bs);
    const cost = blocks * (bs / 2 + 4.5);
    if (cost < bestCost) {
      bestCost = cost;
      best = bs;
    }
  }
  return best;
}

/**
 * Turns MatMul `node` (input 0 = x, weight [K, N] folded in `data`) into MatMulNBits with 4-bit
 * codes of `params` (per column). `signedShift` is 8 for a symmetric grid (codes −8…7 stored +8).
 */
export function writeMatMulNBits(
  b: GraphBuilder,
  node: NodeProto,
  base: string,
  data: Float32Array,
  dims: readonly number[],
  params: readonly UniformParams[],
  signedShift: number,
  accuracyLevel: number,
): StoredWeight {
  const [k, n] = dims;
  const blockSize = nbitsBlockSize(k);
  const blocks = Math.ceil(k / blockSize);
  const blob = blockSize / 2;
  const packed = new Uint8Array(n * blocks * blob);
  const scales = new Float32Array(n * blocks);
  const zpBytes = Math.ceil(blocks / 2);
  const zeros = new Uint8Array(n * zpBytes);
  for (let col = 0; col < n; col++) {
    const p = params[col];
    const zero = p.zeroPoint + signedShift;
    for (let kk = 0; kk < blocks * blockSize; kk++) {
      const code = kk < k ? quantizeCode(data[kk * n + col], p) + signedShift : zero;
      const at = col * blocks * blob + (kk >> 1);
      packed[at] |= (code & 0xf) << ((kk & 1) * 4);
    }
    for (let blk = 0; blk < blocks; blk++) {
      scales[col * blocks + blk] = p.scale;
      zeros[col * zpBytes + (blk >> 1)] |= (zero & 0xf) << ((blk & 1) * 4);
    }
  }
  return setMatMulNBits(b, node, base, { packed, blob, scales, zeros }, { k, n, bits: 4, blockSize, accuracyLevel });
}

/** The packed codes, per-block scales and zero points of a MatMulNBits weight ([N, blocks, blob] bytes). */
export interface NBitsWeight {
  packed: Uint8Array;
  /** Bytes per block. */
  blob: number;
  scales: Float32Array;
  zeros: Uint8Array;
}

/** Stores `weight` and turns MatMul `node` (input 0 = x) into com.microsoft MatMulNBits reading it. */
export function setMatMulNBits(
  b: GraphBuilder,
  node: NodeProto,
  base: string,
  weight: NBitsWeight,
  shape: { k: number; n: number; bits: number; blockSize: number; accuracyLevel: number },
): StoredWeight {
  const { packed, blob, scales, zeros } = weight;
  const { k, n, bits, blockSize, accuracyLevel } = shape;
  const blocks = Math.ceil(k / blockSize);
  b.initializers.push(makeTensor(`${base}_nbits`, DataType.UINT8, [n, blocks, blob], packed));
  b.initializers.push(makeTensor(`${base}_nbits_scales`, DataType.FLOAT, [n * blocks], scales));
  b.initializers.push(makeTensor(`${base}_nbits_zero_points`, DataType.UINT8, [zeros.length], zeros));
  node.opType = 'MatMulNBits';
  node.domain = MS_DOMAIN;
  node.input = [node.input![0], `${base}_nbits`, `${base}_nbits_scales`, `${base}_nbits_zero_points`];
  node.attribute = [intAttr('K', k), intAttr('N', n), intAttr('bits', bits), intAttr('block_size', blockSize), intAttr('accuracy_level', accuracyLevel)];
  return { storedBytes: packed.length, scaleBytes: scales.length * 4 + zeros.length };
}

/** Int8 weight codes (shifted by −`shift` into signed storage) and per-column scale / zero point. */
export function int8WeightInputs(b: GraphBuilder, base: string, codes: Int8Array, dims: readonly number[], params: readonly UniformParams[], shift: number): string[] {
  const n = params.length;
  b.initializers.push(makeTensor(`${base}_quantized`, DataType.INT8, dims, codes));
  b.initializers.push(makeTensor(`${base}_scale`, DataType.FLOAT, [n], Float32Array.from(params, (p) => p.scale)));
  b.initializers.push(makeTensor(`${base}_zero_point`, DataType.INT8, [n], Int8Array.from(params, (p) => p.zeroPoint - shift)));
  return [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`];
}

/** MatMul `node` → MatMulIntegerToFloat(x_q, W_q, x_scale, w_scale, x_zero, w_zero). */
export function writeMatMulIntegerToFloat(node: NodeProto, a: { q: string; scale: string; zero: string }, weight: readonly string[]): void {
  const [wq, ws, wz] = weight;
  node.opType = 'MatMulIntegerToFloat';
  node.domain = MS_DOMAIN;
  node.input = [a.q, wq, a.scale, ws, a.zero, wz];
  node.attribute = [];
}

/** MatMul `node` with float input → DynamicQuantizeMatMul(x, W_q, w_scale, w_zero). */
export function writeDynamicQuantizeMatMul(node: NodeProto, weight: readonly string[]): void {
  node.opType = 'DynamicQuantizeMatMul';
  node.domain = MS_DOMAIN;
  node.input = [node.input![0], ...weight];
  node.attribute = [];
}

/** Activation MatMul (a·b) → both inputs quantized to uint8 + MatMulIntegerToFloat. */
export function writeActivationMatMul(b: GraphBuilder, node: NodeProto, inputs: readonly [UniformParams, UniformParams], path: string): void {
  const a = quantizeInput(b, node.input![0], inputs[0], `${path}/input0`);
  const c = quantizeInput(b, node.input![1], inputs[1], `${path}/input1`);
  node.opType = 'MatMulIntegerToFloat';
  node.domain = MS_DOMAIN;
  node.input = [a.q, c.q, a.scale, c.scale, a.zero, c.zero];
  node.attribute = [];
}

/** Input index of the optional bias of each kernel written here. */
const BIAS_INPUT: Readonly<Record<string, number>> = { MatMulNBits: 5, MatMulIntegerToFloat: 6, DynamicQuantizeMatMul: 4 };

/**
 * Moves `MatMul → Add(constant [N])` biases into the kernels' own bias input (onnxruntime fuses
 * MatMul + Add into Gemm for float, but not around contrib kernels: the Add would run on its own).
 * The Add becomes an Identity, which onnxruntime removes.
 */
export function foldKernelBiases(graph: GraphProto, kernels: readonly NodeProto[]): void {
  const index = new GraphIndex(graph);
  for (const node of kernels) {
    const at = BIAS_INPUT[node.opType ?? ''];
    const output = node.output?.[0] ?? '';
    const consumers = index.consumers.get(output) ?? [];
    if (at === undefined || consumers.length !== 1 || index.graphOutputs.has(output)) continue;
    const add = consumers[0];
    if (add.opType !== 'Add' || !isDefaultDomain(add) || add.input?.length !== 2) continue;
    const other = add.input[0] === output ? add.input[1] : add.input[0];
    const bias = index.constantTensor(other);
    // Output columns: MatMulNBits says N; the others read a constant [K, N] weight (activation MatMuls are left alone).
    const weight = index.constantTensor(node.input?.[1] ?? '');
    const n = node.opType === 'MatMulNBits' ? attrInt(node, 'N', 0) : weight ? tensorDims(weight).at(-1) : undefined;
    if (!bias || !n || bias.dataType !== DataType.FLOAT || tensorDims(bias).length !== 1 || tensorDims(bias)[0] !== n) continue;
    const inputs = [...(node.input ?? [])];
    while (inputs.length < at) inputs.push('');
    inputs[at] = other;
    node.input = inputs;
    add.opType = 'Identity';
    add.input = [output];
    add.attribute = [];
  }
}
