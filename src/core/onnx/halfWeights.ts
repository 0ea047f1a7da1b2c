/**
 * Weights that stay in float (units kept at full precision, such as SAM's output heads) stored as FP16 in
 * the file and cast back to float32 in the graph. The Cast's input is an initializer, so onnxruntime folds
 * it into a float32 constant when the session is created: the file is half as large for those weights and
 * the kernels that run are the float ones of the original graph, on weights rounded to FP16
 * (relative error ≤ 2⁻¹¹; values beyond FP16's range are not converted).
 */
import { intAttr } from './graph.ts';
import { onnx, type GraphProto, type NodeProto } from './proto.ts';
import { DataType, readFloatTensor, tensorDims } from './tensor.ts';

/** Weights with fewer values are left in float32 (the Cast would cost more than it saves). */
export const MIN_HALF_ELEMENTS = 1024;

/** Ops whose input 1 is a weight matrix or kernel. */
const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** Largest finite FP16 value. */
const HALF_MAX = 65504;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE binary16 bits of a float, rounded to nearest, ties to even (subnormals, ±0, ±∞ and NaN kept). */
export function floatToHalfBits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero): shift the mantissa with its implicit 1 into place, rounding half to even.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const rounded = rest > midpoint || (rest === midpoint && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa moves into the exponent, which is the right rounding (up to ∞ at the top).
  const rounded = rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  return sign | rounded;
}

/**
 * Stores float32 initializers used only as weights (input 1 of Conv / ConvTranspose / Gemm / MatMul) as
 * FP16 with a Cast back to float32. Initializers that are also graph inputs (overridable) or hold values
 * beyond FP16's range are left alone. Returns how many were converted and the bytes saved.
 */
export function storeWeightsAsHalf(graph: GraphProto, minElements = MIN_HALF_ELEMENTS): { tensors: number; savedBytes: number } {
  const uses = new Map<string, { weight: number; other: number }>();
  for (const node of graph.node ?? []) {
    (node.input ?? []).forEach((name, i) => {
      const use = uses.get(name) ?? { weight: 0, other: 0 };
      if (i === 1 && WEIGHT_OPS.has(node.opType ?? '') && !node.domain) use.weight++;
      else use.other++;
      uses.set(name, use);
    });
  }
  for (const output of graph.output ?? []) {
    const use = uses.get(output.name ?? '');
    if (use) use.other++;
  }
  const inputs = new Set((graph.input ?? []).map((input) => input.name));
  const casts: NodeProto[] = [];
  let savedBytes = 0;
  for (const tensor of graph.initializer ?? []) {
    const name = tensor.name ?? '';
    const use = uses.get(name);
    if (tensor.dataType !== DataType.FLOAT || !use || use.weight === 0 || use.other > 0 || inputs.has(name)) continue;
    const dims = tensorDims(tensor);
    const { data } = readFloatTensor(tensor);
    if (data.length < minElements || data.some((v) => !(Math.abs(v) <= HALF_MAX))) continue;
    const bits = Uint16Array.from(data, floatToHalfBits);
    const halfName = `${name}.fp16`;
    tensor.name = halfName;
    tensor.dataType = DataType.FLOAT16;
    tensor.dims = dims;
    tensor.rawData = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    tensor.floatData = [];
    casts.push(onnx.NodeProto.create({ name: `${name}/fp16/Cast`, opType: 'Cast', input: [halfName], output: [name], attribute: [intAttr('to', DataType.FLOAT)] }));
    savedBytes += data.length * 2;
  }
  // Casts read only initializers: first in the node list keeps the graph topologically sorted.
  if (casts.length > 0) graph.node = [...casts, ...(graph.node ?? [])];
  return { tensors: casts.length, savedBytes };
}
