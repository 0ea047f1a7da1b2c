/**
 * Bias correction (Nagel et al., "Data-Free Quantization", §4.2, empirical form): quantizing a unit
 * y = W·x + b shifts the mean of its output by δ = W_q·E[Q_a(x)] − W·E[x] per output channel, W_q the
 * rounded weight at the chosen width (nearest or GPTQ codes) and Q_a the unit's activation quantizer at
 * its width. The corrected bias is b − δ.
 *
 * E[x] and E[Q_a(x)] are per-input-channel means over the calibration feeds, reduced in the graph
 * (channelStats.ts): only [C_in] per unit and width leaves it. Convolutions use the channel mean for every
 * kernel tap (padding's zeros are not counted out). Inputs are full precision, as GPTQ's Hessians.
 *
 * The simulation selects the unit's corrected bias from a table of rows (weight FP or width) × (input FP
 * or width) by one int32 feed, and the export writes the same float32 row as the node's bias, so
 * export ≡ simulation still holds. Row 0 (weight and input FP) is the original bias.
 */
import { valueInfo } from '../onnx/builder.ts';
import { foldWeight } from '../onnx/fold.ts';
import { attrFloat, attrInt, GraphIndex } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { onnx, shallowCloneModel, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/proto.ts';
import { DataType, makeTensor, numel, tensorDims } from '../onnx/tensor.ts';
import { collectChannelStats, type ChannelStatRequest } from './channelStats.ts';
import { quantizeCode, type UniformParams } from './quantizers.ts';
import { dequantizeCodes, type RoundedWeights } from './rounded-weights.ts';
import type { QuantUnit } from './units.ts';
import type { WeightTable } from './weight-tables.ts';

/** Where a unit's bias lives: an input of the unit's node (Conv B, Gemm C) or of the Add after a MatMul. */
export interface BiasSite {
  unitId: string;
  /** Name of the node whose input is the bias (the unit's node, or its bias Add). */
  node: string;
  input: number;
  /** Dims of the bias as stored (the Add's constant keeps its own dims). */
  dims: number[];
  /** The bias values; null when the unit has none (Conv, Gemm: one is added). */
  values: Float32Array | null;
  /** Gemm's beta (the bias term is beta·C); 1 otherwise. */
  beta: number;
  /** Input channels of x (the reduction's channel count) and the axis holding them. */
  inputChannels: number;
  inputAxis: -1 | 1;
}

export interface BiasSkip {
  unitId: string;
  reason: string;
}

/** The bias site of a weight unit, or why it cannot be corrected without extra ops. */
export function biasSite(index: GraphIndex, unit: QuantUnit): BiasSite | BiasSkip {
  const skip = (reason: string): BiasSkip => ({ unitId: unit.id, reason });
  const weight = unit.weight;
  if (!weight) return skip('no weight');
  const node = index.graph.node?.find((n) => (n.name || (n.output?.[0] ?? '')) === unit.nodeName);
  if (!node) return skip('node not found');
  const dims = weight.dims;
  const channels = dims[weight.channelAxis];
  const constantBias = (name: string, consumer: string): Float32Array | null => {
    if (!index.isConstant(name)) return null;
    try {
      return Float32Array.from(foldWeight(index, name, consumer).data);
    } catch {
      return null;
    }
  };
  switch (unit.op) {
    case 'ConvTranspose':
      return skip('transposed convolution (not covered)');
    case 'Conv': {
      const name = node.input?.[2] ?? '';
      const values = name ? constantBias(name, unit.nodeName) : null;
      if (name && (!values || values.length !== channels)) return skip('Conv bias is not a constant [C_out]');
      return { unitId: unit.id, node: unit.nodeName, input: 2, dims: [channels], values, beta: 1, inputChannels: dims[1] * attrInt(node, 'group', 1), inputAxis: 1 };
    }
    case 'Gemm': {
      if (attrInt(node, 'transA', 0)) return skip('Gemm with transA (not covered)');
      const beta = attrFloat(node, 'beta', 1);
      const name = node.input?.[2] ?? '';
      const inputChannels = attrInt(node, 'transB', 0) ? dims[1] : dims[0];
      if (!name) return { unitId: unit.id, node: unit.nodeName, input: 2, dims: [channels], values: null, beta: 1, inputChannels, inputAxis: -1 };
      const values = constantBias(name, unit.nodeName);
      const tensor = index.constantTensor(name);
      const biasDims = tensor ? tensorDims(tensor) : null;
      if (!values || values.length !== channels || !biasDims || biasDims[biasDims.length - 1] !== channels || beta === 0) return skip('Gemm C is not a constant [N] (or beta is 0)');
      return { unitId: unit.id, node: unit.nodeName, input: 2, dims: biasDims, values, beta, inputChannels, inputAxis: -1 };
    }
    case 'MatMul': {
      if (weight.inputIndex !== 1 || dims.length !== 2) return skip('weight not a 2-D right operand (not covered)');
      const add = unit.output !== node.output?.[0] ? index.producer.get(unit.output) : undefined;
      if (!add || add.opType !== 'Add') return skip('MatMul without a bias Add (a bias would need an extra op)');
      const input = add.input?.[0] === node.output?.[0] ? 1 : 0;
      const name = add.input?.[input] ?? '';
      const tensor = index.constantTensor(name);
      const values = constantBias(name, add.name || (add.output?.[0] ?? ''));
      const biasDims = tensor ? tensorDims(tensor) : null;
      if (!values || values.length !== channels || !biasDims || biasDims[biasDims.length - 1] !== channels) return skip('the bias Add\'s constant is not [N]');
      return { unitId: unit.id, node: add.name || (add.output?.[0] ?? ''), input, dims: biasDims, values, beta: 1, inputChannels: dims[0], inputAxis: -1 };
    }
  }
}

/** Per-input-channel means of one unit's input: FP, and after its activation quantizer at each width. */
export interface BiasUnitStats {
  mean: Float32Array;
  quantizedMean: Map<number, Float32Array>;
}

export type BiasStats = Map<string, BiasUnitStats>;

/**
 * E[x] and E[Q_a(x)] at each of `activationBits` for every correctable unit, over `feeds`: the model gets the
 * quantizers as side branches (constant parameters from `activation(unit, bits)`; a width without them keeps
 * only the FP mean) and each branch's per-channel mean is reduced in the graph.
 */
export async function collectBiasStats(
  ort: OrtModule,
  model: ModelProto,
  units: readonly QuantUnit[],
  feeds: readonly OrtFeeds[],
  options: { activationBits: readonly number[]; activation: (unit: QuantUnit, bits: number) => UniformParams | null; sessionOptions?: SessionOptions },
): Promise<{ stats: BiasStats; skipped: BiasSkip[] }> {
  const index = new GraphIndex(model.graph!);
  const copy = shallowCloneModel(model);
  const graph = copy.graph!;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const infos: ValueInfoProto[] = [];
  const requests = new Map<string, ChannelStatRequest>();
  const plan: { unitId: string; mean: string; quantized: Map<number, string> }[] = [];
  const skipped: BiasSkip[] = [];
  let counter = 0;
  const fresh = (hint: string) => `mq_bc/${hint}_${counter++}`;
  for (const unit of units) {
    const site = biasSite(index, unit);
    if (!('node' in site)) {
      skipped.push(site);
      continue;
    }
    const x = unit.activationInputs[0];
    const request: ChannelStatRequest = { axis: site.inputAxis, channels: site.inputChannels, kinds: ['mean'] };
    requests.set(x, request);
    const quantized = new Map<number, string>();
    for (const bits of options.activationBits) {
      const p = options.activation(unit, bits);
      if (!p) continue;
      const c = (hint: string, value: number) => {
        const name = fresh(hint);
        initializers.push(makeTensor(name, DataType.FLOAT, [], [value]));
        return name;
      };
      const op = (opType: string, input: string[]) => {
        const output = fresh(opType);
        nodes.push(onnx.NodeProto.create({ opType, input, output: [output], name: output }));
        infos.push(valueInfo(output, DataType.FLOAT, null));
        return output;
      };
      const [s, z] = [c('scale', p.scale), c('zero', p.zeroPoint)];
      const q = op('Clip', [op('Add', [op('Round', [op('Div', [x, s])]), z]), c('qmin', p.qmin), c('qmax', p.qmax)]);
      const value = op('Mul', [op('Sub', [q, z]), s]);
      requests.set(value, request);
      quantized.set(bits, value);
    }
    plan.push({ unitId: unit.id, mean: x, quantized });
  }
  graph.node = [...(graph.node ?? []), ...nodes];
  graph.initializer = [...(graph.initializer ?? []), ...initializers];
  graph.valueInfo = [...(graph.valueInfo ?? []), ...infos];
  const stats: BiasStats = new Map();
  if (plan.length === 0) return { stats, skipped };
  const collected = await collectChannelStats(ort, copy, requests, feeds, { sessionOptions: options.sessionOptions });
  for (const entry of plan) {
    const mean = collected.channels.get(entry.mean)!.mean!;
    stats.set(entry.unitId, { mean, quantizedMean: new Map([...entry.quantized].map(([bits, name]) => [bits, collected.channels.get(name)!.mean!])) });
  }
  return { stats, skipped };
}

/** What the simulation needs to apply bias correction. */
export interface BiasCorrectionOptions {
  stats: BiasStats;
  /** The activation widths the statistics hold (a configuration's aBits must be one of them). */
  activationBits: readonly number[];
}

/** One unit's corrected biases: rows (FP weight, then each weight width) × (FP input, then each activation width). */
export interface BiasTable {
  site: BiasSite;
  /** [rows, numel(site.dims)] float32. */
  rows: Float32Array;
  rowCount: number;
}

export interface BiasCorrection {
  tables: Map<string, BiasTable>;
  weightBits: number[];
  activationBits: number[];
  /** Units with statistics that could not be corrected, and why. */
  skipped: BiasSkip[];
  /** The row a unit takes under a configuration's widths (0: FP weight and input, the original bias). */
  rowFor(unitId: string, wBits: number | null | undefined, aBits: number | null | undefined): number;
}

/**
 * The corrected biases of every unit with statistics, at every weight width of `tables` (rounded codes where
 * `rounded` has them, nearest otherwise) and activation width of the statistics. δ is computed in float64.
 */
export function biasCorrectionTables(
  index: GraphIndex,
  units: readonly QuantUnit[],
  tables: ReadonlyMap<string, WeightTable>,
  weightBits: readonly number[],
  rounded: RoundedWeights,
  options: BiasCorrectionOptions,
): BiasCorrection {
  const activationBits = [...options.activationBits];
  const result = new Map<string, BiasTable>();
  const skipped: BiasSkip[] = [];
  for (const unit of units) {
    const stats = options.stats.get(unit.id);
    const table = tables.get(unit.id);
    if (!stats || !table || !unit.weight) continue;
    const site = biasSite(index, unit);
    if (!('node' in site)) {
      skipped.push(site);
      continue;
    }
    const weight = unit.weight;
    const folded = foldWeight(index, weight.value, unit.nodeName);
    const weights: Float32Array[] = [folded.data];
    weightBits.forEach((bits, k) => {
      const codes = rounded.get(unit.id)?.get(bits);
      const params = table.params[k];
      weights.push(codes ? dequantizeCodes(codes, folded.dims, weight.channelAxis, params) : nearestValues(folded.data, folded.dims, weight.channelAxis, params));
    });
    const means: Float32Array[] = [stats.mean, ...activationBits.map((bits) => stats.quantizedMean.get(bits) ?? stats.mean)];
    const fp = outputMeans(unit, folded.dims, site, weights[0], means[0]);
    const n = numel(site.dims);
    const channels = weight.dims[weight.channelAxis];
    const rowCount = weights.length * means.length;
    const rows = new Float32Array(rowCount * n);
    const original = site.values ?? new Float32Array(n);
    for (let wi = 0; wi < weights.length; wi++) {
      for (let ai = 0; ai < means.length; ai++) {
        const row = wi * means.length + ai;
        if (row === 0) {
          rows.set(original, 0);
          continue;
        }
        const shifted = outputMeans(unit, folded.dims, site, weights[wi], means[ai]);
        for (let c = 0; c < channels; c++) rows[row * n + c] = Math.fround(original[c] - (shifted[c] - fp[c]) / site.beta);
      }
    }
    result.set(unit.id, { site, rows, rowCount });
  }
  return {
    tables: result,
    weightBits: [...weightBits],
    activationBits,
    skipped,
    rowFor(unitId, wBits, aBits) {
      if (!result.has(unitId)) throw new Error(`Unit "${unitId}" has no bias correction.`);
      const wi = wBits === null || wBits === undefined ? 0 : weightBits.indexOf(wBits) + 1;
      const ai = aBits === null || aBits === undefined ? 0 : activationBits.indexOf(aBits) + 1;
      if (wi < 0 || ai < 0 || (wBits != null && wi === 0) || (aBits != null && ai === 0)) {
        throw new Error(`Bias correction of unit "${unitId}" has no row for W${wBits ?? 'FP'}A${aBits ?? 'FP'}: widths W [${weightBits.join(', ')}], A [${activationBits.join(', ')}].`);
      }
      return wi * (activationBits.length + 1) + ai;
    },
  };
}

/** Σ_j W[c, j]·m[j] per output channel in float64 (Conv: each input channel's mean at every kernel tap). */
export function outputMeans(unit: QuantUnit, dims: readonly number[], site: BiasSite, w: ArrayLike<number>, mean: ArrayLike<number>): Float64Array {
  const axis = unit.weight!.channelAxis;
  const channels = dims[axis];
  const out = new Float64Array(channels);
  if (unit.op === 'Conv') {
    const perGroupIn = dims[1];
    const taps = numel(dims.slice(2));
    const groups = site.inputChannels / perGroupIn;
    const perGroupOut = channels / groups;
    for (let c = 0; c < channels; c++) {
      const g = Math.floor(c / perGroupOut);
      let sum = 0;
      for (let j = 0; j < perGroupIn; j++) {
        const m = mean[g * perGroupIn + j];
        const base = (c * perGroupIn + j) * taps;
        for (let t = 0; t < taps; t++) sum += w[base + t] * m;
      }
      out[c] = sum;
    }
    return out;
  }
  // 2-D [K, N] (channel axis 1) or [N, K] (channel axis 0, Gemm transB).
  const k = site.inputChannels;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += (axis === 1 ? w[j * channels + c] : w[c * k + j]) * mean[j];
    out[c] = sum;
  }
  return out;
}

/** Round-to-nearest dequantized weight in its layout, (q − z)·s in float32. */
function nearestValues(data: Float32Array, dims: readonly number[], axis: number, params: readonly UniformParams[]): Float32Array {
  const channels = dims[axis];
  const inner = numel(dims.slice(axis + 1));
  return Float32Array.from(data, (x, i) => {
    const p = params[Math.floor(i / inner) % channels];
    return Math.fround((quantizeCode(x, p) - p.zeroPoint) * p.scale);
  });
}

/** Name of the corrected-bias tensor written for a unit (export). */
export function correctedBiasName(unitId: string): string {
  return `${unitId.replace(/^[a-z]+:\/?/, '').replaceAll('/', '.')}.bias_corrected`;
}

/** The export's tensor for a row of a unit's table. */
export function correctedBiasTensor(table: BiasTable, row: number) {
  const n = numel(table.site.dims);
  return makeTensor(correctedBiasName(table.site.unitId), DataType.FLOAT, table.site.dims, table.rows.subarray(row * n, (row + 1) * n));
}
