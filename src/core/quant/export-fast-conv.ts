/**
 * fast-cpu Conv units: ConvInteger (uint8 activations, uint8 weights) with the simulation's per-channel
 * weight grids, then Cast · (s_x·s_c) + bias in float.
 *
 * Why ConvInteger: onnxruntime's QLinearConv needs a quantized output (the simulation has none, and no
 * range is calibrated for it) and one weight zero point for all channels; the QDQ Conv fusion needs an
 * output Q too. ConvInteger returns the int32 accumulator, so the float result equals the simulation's
 * dequantized Conv up to the float rounding of one scale.
 *
 * Per-channel zero points: ConvInteger takes one weight zero point (128 here). Channel c stores
 * u = q − o_c + 128 with an offset o_c chosen so that u fits in uint8 (o_c = z_c when the codes allow,
 * always for widths ≤ 7); then Σ(x−x_z)(q−z_c) = Σ(x−x_z)(u−128) + (o_c − z_c)·S, S being the window sum
 * of (x−x_z): a second ConvInteger with all-ones weights, written only when some o_c ≠ z_c.
 *
 * When it pays: the int32 accumulator costs three float passes over the output (Cast, Mul, Add), which
 * the integer GEMM wins back only when each output reads enough inputs. Measured on MobileSAM's shapes
 * (onnxruntime-node, AVX2, and onnxruntime-web WASM, 1 thread): 1×1 256→64 and 3×3 256→256 are faster as
 * ConvInteger, 1×1 64→256 and depthwise 3×3 are slower than float Conv. So a Conv is written here when
 * its reduction C_in/group·k² is at least CONV_INTEGER_MIN_REDUCTION; others keep the exact writer.
 */
import type { GraphBuilder } from '../onnx/builder.ts';
import { attrInt, intAttr, type GraphIndex } from '../onnx/graph.ts';
import type { NodeProto } from '../onnx/proto.ts';
import { foldWeight } from '../onnx/fold.ts';
import { DataType, makeTensor, numel } from '../onnx/tensor.ts';
import { quantizeInput, type StoredWeight } from './export-fast.ts';
import { quantizeCode, type UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';

/** Inputs per output below which float Conv beats ConvInteger + its float epilogue (see the header). */
export const CONV_INTEGER_MIN_REDUCTION = 128;

/** Reduction length of a Conv unit: inputs each output element reads (C_in/group · kernel size). */
export function convReduction(unit: QuantUnit): number {
  const dims = unit.weight?.dims ?? [];
  return dims.length > 1 ? numel(dims.slice(1)) : 0;
}

/** Is this weight unit a Conv that runs faster as ConvInteger than as float Conv? */
export function integerConvPays(unit: QuantUnit): boolean {
  const w = unit.weight;
  return unit.op === 'Conv' && w !== null && w.inputIndex === 1 && w.channelAxis === 0 && w.dims.length >= 3 && convReduction(unit) >= CONV_INTEGER_MIN_REDUCTION;
}

/** uint8 weight storage of per-channel codes: stored u = q − o_c + 128 and the integer correction o_c − z_c. */
export function convIntegerWeights(data: Float32Array, channels: number, params: readonly UniformParams[]): { stored: Uint8Array; correction: Int32Array } {
  const inner = data.length / channels;
  const stored = new Uint8Array(data.length);
  const correction = new Int32Array(channels);
  const codes = new Int32Array(inner);
  for (let c = 0; c < channels; c++) {
    const p = params[c];
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < inner; k++) {
      const q = quantizeCode(data[c * inner + k], p);
      codes[k] = q;
      lo = Math.min(lo, q);
      hi = Math.max(hi, q);
    }
    // q − o ∈ [−128, 127] for every code of the channel; the zero point itself when it qualifies.
    const offset = Math.min(lo + 128, Math.max(hi - 127, p.zeroPoint));
    correction[c] = offset - p.zeroPoint;
    for (let k = 0; k < inner; k++) stored[c * inner + k] = codes[k] - offset + 128;
  }
  return { stored, correction };
}

/**
 * Rewrites Conv `node` (x, W, B?) as QuantizeLinear(x) on the 8-bit grid `input` → ConvInteger → float
 * epilogue; `data` is the folded weight [C_out, C_in/group, k…] whose nearest codes on `params` are the
 * simulation's. Returns null, writing nothing, when the bias is not a float constant (the caller keeps
 * the exact writer).
 */
export function writeConvInteger(
  b: GraphBuilder,
  index: GraphIndex,
  node: NodeProto,
  base: string,
  data: Float32Array,
  dims: readonly number[],
  params: readonly UniformParams[],
  inputGrid: UniformParams,
): StoredWeight | null {
  const channels = dims[0];
  const bias = convBias(index, node);
  if (bias === undefined || (bias && bias.length !== channels)) return null;

  const { stored, correction } = convIntegerWeights(data, channels, params);
  const input = quantizeInput(b, node.input![0], inputGrid, `${node.name || base}/input0`);
  const group = attrInt(node, 'group', 1);
  const attributes = node.attribute ?? [];
  const path = node.name || (node.output?.[0] ?? base);
  const perChannel = [1, channels, ...dims.slice(2).map(() => 1)];
  b.initializers.push(makeTensor(`${base}_u8`, DataType.UINT8, dims, stored));
  const weightZero = `${base}_u8_zero_point`;
  b.initializers.push(makeTensor(weightZero, DataType.UINT8, [], [128]));
  let acc = b.op('ConvInteger', [input.q, `${base}_u8`, input.zero, weightZero], { name: `${path}/ConvInteger`, attributes });

  if (correction.some((k) => k !== 0)) {
    // S: window sums of (x − x_z). Group 1: one channel, broadcast over C_out; grouped: one per output channel.
    const onesDims = [group === 1 ? 1 : channels, ...dims.slice(1)];
    b.initializers.push(makeTensor(`${base}_ones`, DataType.UINT8, onesDims, new Uint8Array(numel(onesDims)).fill(129)));
    const windowSums = b.op('ConvInteger', [input.q, `${base}_ones`, input.zero, weightZero], { name: `${path}/ConvInteger_window_sums`, attributes });
    b.initializers.push(makeTensor(`${base}_correction`, DataType.INT32, perChannel, correction));
    acc = b.op('Add', [acc, b.op('Mul', [windowSums, `${base}_correction`])], { name: `${path}/zero_point_correction` });
  }

  const scales = Float32Array.from(params, (p) => Math.fround(inputGrid.scale * p.scale));
  b.initializers.push(makeTensor(`${base}_scale`, DataType.FLOAT, perChannel, scales));
  const value = b.op('Cast', [acc], { name: `${path}/Cast`, attributes: [intAttr('to', DataType.FLOAT)] });
  const output = node.output?.[0] ?? '';
  if (bias) {
    b.initializers.push(makeTensor(`${base}_bias`, DataType.FLOAT, perChannel, bias));
    const scaled = b.op('Mul', [value, `${base}_scale`], { name: `${path}/scale` });
    rewriteAs(node, 'Add', [scaled, `${base}_bias`], `${path}/bias`);
  } else rewriteAs(node, 'Mul', [value, `${base}_scale`], `${path}/scale`);
  node.output = [output];
  const correctionBytes = correction.some((k) => k !== 0) ? channels * 4 + numel([group === 1 ? 1 : channels, ...dims.slice(1)]) : 0;
  return { storedBytes: stored.length, scaleBytes: channels * 4 + 1 + correctionBytes };
}

/** The Conv's constant bias (through Identity / Reshape paths), null when it has none, undefined when it is not constant. */
function convBias(index: GraphIndex, node: NodeProto): Float32Array | null | undefined {
  const name = node.input?.[2] ?? '';
  if (!name) return null;
  if (!index.isConstant(name)) return undefined;
  try {
    return Float32Array.from(foldWeight(index, name, node.name ?? '').data);
  } catch {
    return undefined;
  }
}

function rewriteAs(node: NodeProto, opType: string, inputs: string[], name: string): void {
  node.opType = opType;
  node.domain = '';
  node.input = inputs;
  node.attribute = [];
  node.name = name;
}
