/**
 * Export pass: a chosen configuration becomes a plain deployable ONNX (opset 21) that reproduces the
 * fake-quant simulation of the same configuration.
 *
 * - Weights: integer codes stored as INT4 (widths ≤ 4) or INT8 (5–8), per-output-channel
 *   DequantizeLinear. Asymmetric codes q ∈ [0, 2^b−1] are stored shifted by −2^(b−1) together with
 *   their zero point, so (q − z)·s, and hence the dequantized weight, is unchanged.
 * - Activations (uniform): Clip → QuantizeLinear → DequantizeLinear with the simulation's scale and
 *   zero point (uint8; uint16 above 8 bits). For b < 8 the b-bit grid is reproduced by clipping the
 *   real input to [(qmin−z)·s, (qmax−z)·s] before quantizing: round(x/s)+z then never leaves [qmin, qmax].
 * - Post-softmax log2 sites: no ONNX operator expresses log2 quantization, so the same float
 *   subgraph as the simulation is written with constant parameters.
 * Units at full precision are untouched; the whole graph is upgraded to opset 21 first.
 *
 * That is the `exact` profile (the default). The `fast-cpu` profile writes the quantized MatMuls as
 * the integer kernels onnxruntime's CPU / WASM backends run (export-fast.ts), and the Convs that are
 * faster so as ConvInteger (export-fast-conv.ts): smaller and faster, close to the simulation but not
 * equal to it. The `fast-webgpu` profile is weight-only: MatMul weights as the 4/8-bit MatMulNBits
 * onnxruntime-web's WebGPU backend runs, activations in float (export-webgpu.ts).
 */
import { GraphBuilder } from '../onnx/builder.ts';
import { GraphIndex, intAttr, nodeReads } from '../onnx/graph.ts';
import { upgradeOpset } from '../onnx/opset.ts';
import { encodeModelBytes, type GraphProto, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import { biasCorrectionTables, correctedBiasTensor, type BiasCorrection, type BiasCorrectionOptions } from './bias-correction.ts';
import { storeWeightsAsHalf } from '../onnx/halfWeights.ts';
import { removeDeadNodes, spliceNodes } from '../onnx/rewrite.ts';
import { DataType, makeTensor } from '../onnx/tensor.ts';
import { checkConfig, siteParams, sitesOf, type ActivationRanges, type QuantConfig } from './config.ts';
import { DEFAULT_QUANTIZER, quantizeCode, type QuantizerOptions, type UniformParams } from './quantizers.ts';
import type { QuantUnit } from './units.ts';
import type { ParametricModel } from './parametric.ts';
import { weightTable, type WeightTable } from './weight-tables.ts';
import { dequantizeCodes, type RoundedWeights } from './rounded-weights.ts';
import { foldWeight } from '../onnx/fold.ts';
import { tabulateRepeatedConstants } from '../onnx/constantTables.ts';
import {
  fastWeightKernel,
  foldKernelBiases,
  int8WeightInputs,
  kernelActivationParams,
  MS_DOMAIN,
  quantizeInput,
  writeActivationMatMul,
  writeDynamicQuantizeMatMul,
  writeMatMulIntegerToFloat,
  writeMatMulNBits,
} from './export-fast.ts';
import { integerConvPays, writeConvInteger } from './export-fast-conv.ts';

import { webGpuWeightKernel, writeWebGpuMatMulNBits } from './export-webgpu.ts';
import { EXPORT_PROFILE_CHOICES, EXPORT_PROFILES, type ExportProfile } from './profiles.ts';

export { EXPORT_PROFILES, type ExportProfile };

export interface ExportOptions {
  quantizer?: Partial<QuantizerOptions>;
  /**
   * The simulation this export must reproduce: its weight tables are reused (no second MSE search)
   * and its quantizer options apply. Pass the ParametricModel the configuration was chosen with.
   */
  simulation?: Pick<ParametricModel, 'weightBits' | 'weightTables' | 'quantizer'> & Partial<Pick<ParametricModel, 'roundedWeights' | 'biasCorrection'>>;
  /** Calibrated ranges (needed when any activation is quantized). */
  ranges?: ActivationRanges;
  log2Tau?: Readonly<Record<string, number>>;
  /** Default `exact`. */
  profile?: ExportProfile;
  /**
   * fast-cpu, weights ≤ 4 bits: `nbits` stores them as 4-bit MatMulNBits (smallest file); `int8` as int8
   * MatMulIntegerToFloat like 5–8-bit weights (larger, but faster where int8 GEMM beats MatMulNBits, e.g. x86 AVX2).
   */
  lowBitWeights?: LowBitWeights;
  /**
   * Fast profiles: how weights left in float (units kept at full precision) are stored: `fp16` (the
   * default: half the bytes, cast back to float32 on load, onnx/halfWeights.ts) or `fp32` as they came.
   * The exact profile always keeps them as they came.
   */
  floatWeights?: 'fp16' | 'fp32';
  /**
   * Codes of weights rounded otherwise than to nearest (GPTQ), on the grids this export computes or the
   * simulation's tables hold; the simulation's own rounded weights are used when this is absent.
   */
  roundedWeights?: RoundedWeights;
  /**
   * Input means for bias correction when there is no simulation to take the corrected biases from: each
   * quantized weight unit's bias is corrected for its configured widths, on the grids this export computes.
   */
  biasCorrection?: BiasCorrectionOptions;
}

export type LowBitWeights = 'nbits' | 'int8';

export interface ExportSizes {
  /** Size of the exported file. */
  fileBytes: number;
  /** Σ params × bits / 8 over quantized weights: the ideal packed size. */
  idealWeightBytes: number;
  /** Bytes the quantized weights take as stored (INT8: 1 byte, INT4: ½ byte per value). */
  storedWeightBytes: number;
  /** Per-channel scales (float32) and zero points of the quantized weights. */
  scaleBytes: number;
  /** Parameters of the quantized units as float32 before export. */
  fp32WeightBytes: number;
}

export interface ExportResult {
  bytes: Uint8Array;
  sizes: ExportSizes;
  /** Ids of units whose weights were quantized, and of units whose activations were. */
  quantizedWeights: string[];
  quantizedActivations: string[];
}

export function exportQuantizedModel(model: ModelProto, units: readonly QuantUnit[], config: QuantConfig, options: ExportOptions = {}): ExportResult {
  const quantizer: QuantizerOptions = { ...DEFAULT_QUANTIZER, ...options.simulation?.quantizer, ...options.quantizer };
  const simulation = options.simulation;
  checkConfig(config, units, null);
  for (const unit of units) {
    if (config[unit.id]?.ablate) throw new Error(`Unit "${unit.id}" is ablated: ablation is an analysis setting and cannot be exported.`);
  }
  const upgraded = upgradeOpset(model, 21);
  const graph = upgraded.graph!;
  // Without a simulation to take corrected biases from, they are computed here on this export's own weight tables.
  const own = !simulation?.biasCorrection && options.biasCorrection ? configBiasCorrection(new GraphIndex(graph), units, config, quantizer, options) : null;
  const correction = simulation?.biasCorrection ?? own?.correction ?? null;
  if (correction) writeCorrectedBiases(graph, units, config, correction);
  const tableSource = simulation ?? own;
  const index = new GraphIndex(graph);
  const byNode = new Map(units.map((u) => [u.nodeName, u]));
  const sites = sitesOf(units, quantizer);
  const b = new GraphBuilder('qdq/');
  const sizes: ExportSizes = { fileBytes: 0, idealWeightBytes: 0, storedWeightBytes: 0, scaleBytes: 0, fp32WeightBytes: 0 };
  const quantizedWeights: string[] = [];
  const quantizedActivations = new Set<string>();
  const nodeNames = new Set((graph.node ?? []).map((n) => n.name || (n.output?.[0] ?? '')));
  for (const unit of units) if (!nodeNames.has(unit.nodeName)) throw new Error(`Unit "${unit.id}" names node "${unit.nodeName}", which is not in this graph.`);

  const profile = options.profile ?? 'exact';
  if (!EXPORT_PROFILES.includes(profile)) throw new Error(`Unknown export profile "${String(profile)}": choose ${EXPORT_PROFILE_CHOICES}.`);
  let usesContribOps = false;
  const kernels: NodeProto[] = [];

  const weightParams = (unit: QuantUnit, bits: number) => {
    const original = foldWeight(index, unit.weight!.value, unit.nodeName);
    const table = tableSource?.weightTables.get(unit.id);
    const tableIndex = tableSource?.weightBits.indexOf(bits) ?? -1;
    const params = table && tableIndex >= 0 ? table.params[tableIndex] : weightTable(index, unit, [bits], quantizer).params[0];
    // Weights the simulation rounded otherwise (GPTQ): written as their dequantized values, whose nearest codes are GPTQ's.
    const rounded = (options.roundedWeights ?? simulation?.roundedWeights)?.get(unit.id)?.get(bits);
    const folded = rounded ? { dims: original.dims, data: dequantizeCodes(rounded, original.dims, unit.weight!.channelAxis, params) } : original;
    return { folded, params };
  };
  const weightBase = (unit: QuantUnit) => b.fresh(`${unit.nodeName.replace(/^\//, '').replaceAll('/', '.')}.weight`);
  const countWeight = (unit: QuantUnit, bits: number, stored: number, scaleBytes: number) => {
    sizes.idealWeightBytes += (unit.weight!.dims.reduce((x, y) => x * y, 1) * bits) / 8;
    sizes.storedWeightBytes += stored;
    sizes.scaleBytes += scaleBytes;
    sizes.fp32WeightBytes += unit.weight!.dims.reduce((x, y) => x * y, 1) * 4;
    quantizedWeights.push(unit.id);
  };
  const unitSites = (unit: QuantUnit, bits: number) =>
    sites.filter((s) => s.unitId === unit.id).map((site) => siteParams(site, bits, options.ranges, options.log2Tau?.[unit.id] ?? quantizer.log2Tau));

  /** fast-cpu: rewrites `node` as an integer kernel; false when the unit keeps the exact writer. */
  const writeFast = (node: NodeProto, unit: QuantUnit, wBits: number | null, aBits: number | null): boolean => {
    const kernelBits = aBits !== null && aBits <= 8 ? aBits : null;
    if (unit.kind === 'activation') {
      if (kernelBits === null) return false;
      const [first, second] = unitSites(unit, kernelBits).map(kernelActivationParams);
      writeActivationMatMul(b, node, [first, second], unit.nodeName);
      quantizedActivations.add(unit.id);
      return true;
    }
    if (wBits !== null && wBits <= 8 && kernelBits !== null && integerConvPays(unit)) return writeFastConv(node, unit, wBits, kernelBits);
    if (wBits === null || wBits > 8 || !fastWeightKernel(unit) || (aBits !== null && kernelBits === null)) return false;
    const { folded, params } = weightParams(unit, wBits);
    const base = weightBase(unit);
    if (wBits <= 4 && (options.lowBitWeights ?? 'nbits') === 'nbits') {
      const shift = quantizer.weightSymmetric ? 8 : 0;
      const stored = writeMatMulNBits(b, node, base, folded.data, folded.dims, params, shift, kernelBits === null ? 0 : 4);
      countWeight(unit, wBits, stored.storedBytes, stored.scaleBytes);
    } else {
      const shift = quantizer.weightSymmetric ? 0 : 2 ** (wBits - 1);
      const weight = int8WeightInputs(b, base, quantizeCodes(folded.data, params, 1, shift), folded.dims, params, shift);
      if (kernelBits === null) writeDynamicQuantizeMatMul(node, weight);
      else writeMatMulIntegerToFloat(node, quantizeInput(b, node.input![0], kernelActivationParams(unitSites(unit, kernelBits)[0]), `${unit.nodeName}/input0`), weight);
      countWeight(unit, wBits, folded.data.length, params.length * 5);
    }
    if (kernelBits !== null) quantizedActivations.add(unit.id);
    return true;
  };

  /** fast-webgpu: MatMul weights ≤ 8 bits as MatMulNBits; false when the unit keeps the exact weight writer. */
  const writeWebGpu = (node: NodeProto, unit: QuantUnit, wBits: number): boolean => {
    if (!webGpuWeightKernel(unit, wBits)) return false;
    const { folded, params } = weightParams(unit, wBits);
    const stored = writeWebGpuMatMulNBits(b, node, weightBase(unit), folded.data, folded.dims, params, wBits, quantizer.weightSymmetric);
    countWeight(unit, wBits, stored.storedBytes, stored.scaleBytes);
    return true;
  };

  /** fast-cpu Conv: ConvInteger on the uint8 input + float epilogue (export-fast-conv.ts); false keeps the exact writer. */
  const writeFastConv = (node: NodeProto, unit: QuantUnit, wBits: number, aBits: number): boolean => {
    const { folded, params } = weightParams(unit, wBits);
    const p = kernelActivationParams(unitSites(unit, aBits)[0]);
    const stored = writeConvInteger(b, index, node, weightBase(unit), folded.data, folded.dims, params, p);
    if (!stored) return false;
    countWeight(unit, wBits, stored.storedBytes, stored.scaleBytes);
    quantizedActivations.add(unit.id);
    return true;
  };

  const quantizeWeight = (node: NodeProto, unit: QuantUnit, bits: number) => {
    const weight = unit.weight!;
    const { folded, params } = weightParams(unit, bits);
    const channels = weight.dims[weight.channelAxis];
    const inner = weight.dims.slice(weight.channelAxis + 1).reduce((x, y) => x * y, 1);
    const shift = quantizer.weightSymmetric ? 0 : 2 ** (bits - 1);
    const codes = quantizeCodes(folded.data, params, inner, shift);
    const storage = bits <= 4 ? DataType.INT4 : DataType.INT8;
    const base = weightBase(unit);
    b.initializers.push(makeTensor(`${base}_quantized`, storage, weight.dims, codes));
    b.initializers.push(makeTensor(`${base}_scale`, DataType.FLOAT, [channels], Float32Array.from(params, (p) => p.scale)));
    b.initializers.push(makeTensor(`${base}_zero_point`, storage, [channels], Int8Array.from(params, (p) => p.zeroPoint - shift)));
    const dequantized = b.op('DequantizeLinear', [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`], { name: `${unit.nodeName}/weight/DequantizeLinear`, attributes: [intAttr('axis', weight.channelAxis)] });
    const inputs = [...(node.input ?? [])];
    inputs[weight.inputIndex] = dequantized;
    node.input = inputs;
    countWeight(unit, bits, storage === DataType.INT4 ? Math.ceil(codes.length / 2) : codes.length, channels * (4 + (storage === DataType.INT4 ? 0.5 : 1)));
  };

  const uniformQdq = (x: string, p: UniformParams, bits: number, path: string) => {
    const wide = bits > 8;
    const zeroType = wide ? DataType.UINT16 : DataType.UINT8;
    const scale = b.floats('scale', [p.scale]);
    const zero = b.fresh('zero_point');
    b.initializers.push(wide ? makeTensor16(zero, p.zeroPoint) : makeTensor(zero, zeroType, [], [p.zeroPoint]));
    let input = x;
    if (p.qmin > 0 || p.qmax < (wide ? 65535 : 255)) {
      const lo = Math.fround((p.qmin - p.zeroPoint) * p.scale);
      const hi = Math.fround((p.qmax - p.zeroPoint) * p.scale);
      input = b.op('Clip', [x, b.floats('lo', [lo]), b.floats('hi', [hi])], { name: `${path}/Clip` });
    }
    const q = b.op('QuantizeLinear', [input, scale, zero], { name: `${path}/QuantizeLinear` });
    return b.op('DequantizeLinear', [q, scale, zero], { name: `${path}/DequantizeLinear` });
  };

  /** Same node structure as the simulation's log2 quantizer (parametric.ts), parameters as constants. */
  const log2Subgraph = (x: string, scale: number, tau: number, levels: number, path: string) => {
    const s = b.floats('scale', [scale]);
    const t = b.floats('tau', [tau]);
    const zero = b.floats('zero', [0]);
    const minusTauOverLn2 = b.op('Div', [t, b.floats('neg_ln2', [-Math.LN2])]);
    const q = b.op('Round', [b.op('Mul', [b.op('Log', [b.op('Div', [x, s])]), minusTauOverLn2])], { name: `${path}/Round` });
    const kept = b.op('Less', [q, b.floats('levels', [levels])]);
    const exponent = b.op('Div', [b.op('Max', [q, zero]), b.op('Neg', [t])]);
    const value = b.op('Mul', [s, b.op('Pow', [b.floats('two', [2]), exponent])]);
    return b.op('Where', [kept, value, zero], { name: `${path}/Where` });
  };

  spliceNodes(graph, b, {
    before(node) {
      const unit = byNode.get(node.name || (node.output?.[0] ?? ''));
      if (!unit) return;
      const setting = config[unit.id];
      // fast-webgpu is weight-only: no activation Q/DQ is written.
      if (profile === 'fast-webgpu') {
        if (setting?.wBits && writeWebGpu(node, unit, setting.wBits)) {
          usesContribOps = true;
          kernels.push(node);
        } else if (unit.weight && setting?.wBits) quantizeWeight(node, unit, setting.wBits);
        return;
      }
      const fast = profile === 'fast-cpu';
      if (fast && writeFast(node, unit, setting?.wBits ?? null, setting?.aBits ?? null)) {
        usesContribOps = true;
        kernels.push(node);
        return;
      }
      if (unit.weight && setting?.wBits) quantizeWeight(node, unit, setting.wBits);
      const bits = setting?.aBits;
      if (!bits) return;
      for (const site of sites.filter((s) => s.unitId === unit.id)) {
        const p = siteParams(site, bits, options.ranges, options.log2Tau?.[unit.id] ?? quantizer.log2Tau);
        const inputs = [...(node.input ?? [])];
        const path = `${unit.nodeName}/input${site.input}`;
        const x = inputs[site.nodeInput];
        // fast-cpu: an 8-bit grid over the clipped range (no Clip, no log2 subgraph) where it fits in 8 bits.
        if (fast && bits <= 8) inputs[site.nodeInput] = uniformQdq(x, kernelActivationParams(p), 8, path);
        else inputs[site.nodeInput] = p.quantizer === 'log2' ? log2Subgraph(x, p.scale, p.tau, p.levels, path) : uniformQdq(x, p.params, bits, path);
        node.input = inputs;
        quantizedActivations.add(unit.id);
      }
    },
  });
  foldKernelBiases(graph, kernels);
  removeDeadNodes(graph);
  // fast-cpu / fast-webgpu: repeating float constants (TinyViT's attention biases) stored as table + index, losslessly.
  // …and weights left in float (units kept at full precision: SAM's output heads) stored as FP16, cast back on load.
  if (profile === 'fast-cpu' || profile === 'fast-webgpu') {
    tabulateRepeatedConstants(graph);
    if ((options.floatWeights ?? 'fp16') === 'fp16') storeWeightsAsHalf(graph);
  }
  if (usesContribOps && !(upgraded.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN)) upgraded.opsetImport = [...(upgraded.opsetImport ?? []), { domain: MS_DOMAIN, version: 1 }];
  const bytes = encodeModelBytes(upgraded);
  sizes.fileBytes = bytes.byteLength;
  return { bytes, sizes, quantizedWeights, quantizedActivations: [...quantizedActivations] };
}

/**
 * The simulation's corrected bias of each quantized unit's widths, as a new initializer read by the node's
 * bias input (Conv B, Gemm C, or the MatMul's bias Add); units at full precision keep their bias.
 */
/**
 * The corrected biases of the configuration's weight units at its own widths, with the weight tables they were
 * computed on (the export then quantizes the weights on the same tables instead of searching their ranges again).
 */
function configBiasCorrection(
  index: GraphIndex,
  units: readonly QuantUnit[],
  config: QuantConfig,
  quantizer: QuantizerOptions,
  options: ExportOptions,
): { correction: BiasCorrection; weightTables: Map<string, WeightTable>; weightBits: number[] } {
  const weighted = units.filter((unit) => unit.kind === 'weight' && unit.weight && config[unit.id]?.wBits != null);
  const weightBits = [...new Set(weighted.map((unit) => config[unit.id]!.wBits!))].sort((a, b) => a - b);
  const weightTables = new Map(weighted.map((unit) => [unit.id, weightTable(index, unit, weightBits, quantizer)]));
  const correction = biasCorrectionTables(index, weighted, weightTables, weightBits, options.roundedWeights ?? options.simulation?.roundedWeights ?? new Map(), options.biasCorrection!);
  return { correction, weightTables, weightBits };
}

function writeCorrectedBiases(graph: GraphProto, units: readonly QuantUnit[], config: QuantConfig, correction: BiasCorrection): void {
  const nodes = new Map((graph.node ?? []).map((n) => [n.name || (n.output?.[0] ?? ''), n]));
  for (const unit of units) {
    const table = correction.tables.get(unit.id);
    const setting = config[unit.id];
    if (!table || !setting) continue;
    const row = correction.rowFor(unit.id, setting.wBits, setting.aBits);
    if (row === 0) continue;
    const node = nodes.get(table.site.node);
    if (!node) throw new Error(`Bias correction of unit "${unit.id}" names node "${table.site.node}", which is not in this graph.`);
    const tensor = correctedBiasTensor(table, row);
    graph.initializer = [...(graph.initializer ?? []), tensor];
    const inputs = [...(node.input ?? [])];
    while (inputs.length < table.site.input) inputs.push('');
    const replaced = inputs[table.site.input];
    inputs[table.site.input] = tensor.name!;
    node.input = inputs;
    // The original bias, when no other node reads it, is dropped (onnxruntime would warn about it).
    if (replaced && !(graph.node ?? []).some((n) => nodeReads(n).includes(replaced)) && !(graph.output ?? []).some((o) => o.name === replaced)) {
      graph.initializer = graph.initializer.filter((t) => t.name !== replaced);
    }
  }
}

/** Integer codes of a weight laid out [outer, channels, inner], shifted into signed storage. */
function quantizeCodes(data: Float32Array, params: readonly UniformParams[], inner: number, shift: number): Int8Array {
  const codes = new Int8Array(data.length);
  const channels = params.length;
  let i = 0;
  while (i < data.length) {
    for (let c = 0; c < channels; c++) {
      const p = params[c];
      for (let k = 0; k < inner; k++, i++) codes[i] = quantizeCode(data[i], p) - shift;
    }
  }
  return codes;
}

function makeTensor16(name: string, value: number) {
  const raw = new Uint8Array(new Uint16Array([value]).buffer);
  return { name, dataType: DataType.UINT16, dims: [], rawData: raw };
}
