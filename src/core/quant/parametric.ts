/**
 * The parametric fake-quant pass (DESIGN.md "One compiled session, many configurations"): the graph
 * is rewritten once so that every unit's weight width, activation quantizer and ablation are chosen
 * by extra graph inputs. One InferenceSession then serves FP, ablations, single-unit probes and any
 * mixed allocation by changing feeds only.
 *
 * Extra inputs (feedsFor({}) gives the FP setting):
 *   mq_w_on [W] float 0/1, mq_w_idx [W] int32 (index into the candidate widths),
 *   mq_a_on [S] float 0/1, mq_a_scale / mq_a_zero / mq_a_qmin / mq_a_qmax [S] float,
 *   mq_ablate [U] float 0/1.
 * Each gate is an If node: when off, its else branch passes the original value bit for bit and none of
 * the quantizer's ops run, so an FP run costs what the original graph costs (memory included: a
 * [12,4096,4096] attention map is not copied six times per site); when on, its then branch computes the
 * fake quant. Log2 sites reuse the vectors as (scale, τ, –, levels).
 */
import { GraphBuilder, valueInfo } from '../onnx/builder.ts';
import { defaultOpset, GraphIndex, intAttr, nodeReads } from '../onnx/graph.ts';
import type { SessionOptions } from '../onnx/ort.ts';
import { cloneModel, encodeModelBytes, onnx, type AttributeProto, type GraphProto, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import { spliceNodes } from '../onnx/rewrite.ts';
import { DataType } from '../onnx/tensor.ts';
import { inferElemTypes, requireElemType } from '../onnx/types.ts';
import { checkConfig, resolveWidthCalibration, siteParams, sitesOf, type ActivationRanges, type ActivationSite, type QuantConfig, type WidthCalibration } from './config.ts';
import { DEFAULT_QUANTIZER, quantizeCode, weightGrid, type QuantizerOptions, type UniformParams } from './quantizers.ts';
import type { RoundedWeights, WeightCodes } from './rounded-weights.ts';
import { foldWeight } from '../onnx/fold.ts';
import type { QuantUnit } from './units.ts';
import { channelBroadcastDims, weightTable, type WeightTable } from './weight-tables.ts';
import { biasCorrectionTables, type BiasCorrection, type BiasCorrectionOptions } from './bias-correction.ts';

export const DEFAULT_WEIGHT_BITS: readonly number[] = [2, 3, 4, 5, 6, 7, 8];

export interface ParametricOptions {
  /** Candidate weight widths the session can select (ranges precomputed for each). */
  weightBits?: readonly number[];
  quantizer?: Partial<QuantizerOptions>;
  /** Calibrated activation ranges (can also be given per call to feedsFor). */
  ranges?: ActivationRanges;
  /** τ of the log2 quantizer per unit id (default quantizer.log2Tau). */
  log2Tau?: Readonly<Record<string, number>>;
  /**
   * Ranges and τ per activation width (config.ts WidthCalibration): a unit quantized at b bits takes
   * b's entry. Ranges or τ given to a feedsFor call replace these.
   */
  widthCalibration?: WidthCalibration;
  /**
   * Weights rounded other than to nearest (quant/rounded-weights.ts, e.g. GPTQ) by unit and width: a unit
   * listed here selects among its precomputed codes (widths it lacks get the nearest codes, as the graph
   * would round them) and dequantizes them; its other units round in the graph.
   */
  roundedWeights?: RoundedWeights;
  /**
   * Bias correction (quant/bias-correction.ts): input means per unit; each unit with them takes the corrected
   * bias of its configuration's widths, selected by the mq_bc_row feed. Absent: no correction, graph unchanged.
   */
  biasCorrection?: BiasCorrectionOptions;
}

/** A feed as plain data; wrap with `new ort.Tensor(type, data, dims)` (see toOrtFeeds). */
export interface FeedTensor {
  type: 'float32' | 'int32';
  data: Float32Array | Int32Array;
  dims: readonly number[];
}

export interface ParametricModel {
  bytes: Uint8Array;
  units: QuantUnit[];
  sites: ActivationSite[];
  weightBits: number[];
  quantizer: QuantizerOptions;
  /** Per-channel weight params by unit id and width index (what the graph applies). */
  weightTables: Map<string, WeightTable>;
  /** The rounded weights the graph selects (empty: every weight rounded to nearest). */
  roundedWeights: RoundedWeights;
  /** The corrected biases the graph selects (null without bias correction). */
  biasCorrection: BiasCorrection | null;
  /** The extra feeds selecting a configuration. Throws on unknown units, widths or missing ranges. */
  feedsFor(config: QuantConfig, overrides?: { ranges?: ActivationRanges; log2Tau?: Readonly<Record<string, number>> }): Record<string, FeedTensor>;
}

/**
 * Session options for analysis runs of the parametric model: level 'basic' keeps constant folding
 * (fast) and, without weight pre-packing, its FP setting is bit-exact to the original model run with
 * the same options. Higher levels fuse differently around the gates (last-bit differences, ~1e-6
 * relative). Use the parametric session itself for FP references. To check an export bit for bit,
 * use REFERENCE_SESSION_OPTIONS for both sessions instead.
 */
export const PARAMETRIC_SESSION_OPTIONS: SessionOptions = {
  graphOptimizationLevel: 'basic',
  extra: { session: { disable_prepacking: '1' } },
};

export const PARAM_INPUTS = {
  weightOn: 'mq_w_on',
  weightIndex: 'mq_w_idx',
  siteOn: 'mq_a_on',
  siteScale: 'mq_a_scale',
  siteZero: 'mq_a_zero',
  siteQmin: 'mq_a_qmin',
  siteQmax: 'mq_a_qmax',
  ablate: 'mq_ablate',
  biasRow: 'mq_bc_row',
} as const;

export function buildParametricModel(model: ModelProto, units: readonly QuantUnit[], options: ParametricOptions = {}): ParametricModel {
  const quantizer: QuantizerOptions = { ...DEFAULT_QUANTIZER, ...options.quantizer };
  const weightBits = [...(options.weightBits ?? DEFAULT_WEIGHT_BITS)];
  if (weightBits.length === 0) throw new Error('At least one candidate weight width is needed.');
  if (units.length === 0) throw new Error('No units to quantize.');
  if (defaultOpset(model) < 11) throw new Error(`The model uses opset ${defaultOpset(model)}; opset 11 or newer is needed (Round, Clip with inputs).`);
  const copy = cloneModel(model);
  const graph = copy.graph!;
  const index = new GraphIndex(graph);
  const nodesByName = new Map((graph.node ?? []).map((n) => [n.name || (n.output?.[0] ?? ''), n]));
  for (const unit of units) {
    if (!nodesByName.has(unit.nodeName)) throw new Error(`Unit "${unit.id}" names node "${unit.nodeName}", which is not in this graph.`);
  }

  const weightUnits = units.filter((u) => u.kind === 'weight');
  const sites = sitesOf(units, quantizer);
  const tables = new Map(weightUnits.map((u) => [u.id, weightTable(index, u, weightBits, quantizer)]));

  const b = new GraphBuilder('mq/');
  // Plain inputs without initializer defaults: ORT would warn about every overridable initializer.
  const overridable = (name: string, dims: number[], _values: ArrayLike<number>, dataType: number = DataType.FLOAT) => b.input(name, dims, dataType);
  const P = PARAM_INPUTS;
  overridable(P.weightOn, [weightUnits.length], new Float32Array(weightUnits.length));
  overridable(P.weightIndex, [weightUnits.length], new Int32Array(weightUnits.length), DataType.INT32);
  overridable(P.siteOn, [sites.length], new Float32Array(sites.length));
  overridable(P.siteScale, [sites.length], new Float32Array(sites.length).fill(1));
  overridable(P.siteZero, [sites.length], new Float32Array(sites.length));
  overridable(P.siteQmin, [sites.length], new Float32Array(sites.length));
  overridable(P.siteQmax, [sites.length], new Float32Array(sites.length).fill(255));
  overridable(P.ablate, [units.length], new Float32Array(units.length));
  const grids = weightBits.map((bits) => weightGrid(bits, quantizer.weightSymmetric));
  const wQmin = b.floats('w_qmin', grids.map((g) => g.qmin), [grids.length]);
  const wQmax = b.floats('w_qmax', grids.map((g) => g.qmax), [grids.length]);
  const half = b.floats('half', [0.5]);
  const zero = b.floats('zero', [0]);
  const constIndex = (i: number) => b.init(b.fresh('i'), [], Int32Array.from([i]), DataType.INT32);
  const element = (vector: string, i: number) => b.op('Gather', [vector, constIndex(i)], { attributes: [intAttr('axis', 0)] });
  const gate = (vector: string, i: number) => b.op('Greater', [element(vector, i), half]);

  /** (clip(round(x/s) + z, qmin, qmax) − z)·s, the graph twin of quantizers.fakeQuant. */
  const uniform = (x: string, s: string, z: string, qmin: string, qmax: string) => {
    const q = b.op('Clip', [b.op('Add', [b.op('Round', [b.op('Div', [x, s])]), z]), qmin, qmax]);
    return b.op('Mul', [b.op('Sub', [q, z]), s]);
  };
  /** The graph twin of quantizers.log2Quant. */
  const log2 = (x: string, s: string, tau: string, levels: string) => {
    const minusTauOverLn2 = b.op('Div', [tau, b.floats('neg_ln2', [-Math.LN2])]);
    const q = b.op('Round', [b.op('Mul', [b.op('Log', [b.op('Div', [x, s])]), minusTauOverLn2])]);
    const kept = b.op('Less', [q, levels]);
    const exponent = b.op('Div', [b.op('Max', [q, zero]), b.op('Neg', [tau])]);
    const value = b.op('Mul', [s, b.op('Pow', [b.floats('two', [2]), exponent])]);
    return b.op('Where', [kept, value, zero]);
  };

  const types = inferElemTypes(graph);
  /**
   * If(cond) then compute(x) else x: the nodes `compute` adds to the builder move into the then branch
   * (initializers stay in the outer graph, which branches may read).
   */
  const gated = (cond: string, x: string, compute: () => string, output?: string): string => {
    const elemType = requireElemType(types, graph, x);
    const start = b.nodes.length;
    const value = compute();
    const thenNodes = b.nodes.splice(start);
    const passed = b.fresh('passed');
    const branch = (name: string, nodes: NodeProto[], output: string): GraphProto => ({ name: b.fresh(name), node: nodes, output: [valueInfo(output, elemType, null)] });
    const elseNode = onnx.NodeProto.create({ opType: 'Identity', input: [x], output: [passed], name: b.fresh('/Identity') });
    const attributes = [graphAttr('then_branch', branch('then', thenNodes, value)), graphAttr('else_branch', branch('else', [elseNode], passed))];
    return b.op('If', [cond], { attributes, output });
  };

  const roundedWeights: RoundedWeights = options.roundedWeights ?? new Map();
  const biasCorrection = options.biasCorrection ? biasCorrectionTables(index, weightUnits, tables, weightBits, roundedWeights, options.biasCorrection) : null;
  const biasUnits = biasCorrection ? weightUnits.filter((u) => biasCorrection.tables.has(u.id)) : [];
  const biasByNode = new Map(biasUnits.map((u, i) => [biasCorrection!.tables.get(u.id)!.site.node, { table: biasCorrection!.tables.get(u.id)!, i }]));
  const replacedBiases = new Set<string>();
  if (biasUnits.length > 0) overridable(P.biasRow, [biasUnits.length], new Int32Array(biasUnits.length), DataType.INT32);
  /**
   * The weight at the selected width from its codes: [widths, …dims] codes (each width's rounded codes, or
   * the nearest ones where none are given), dequantized as the quantizer's last step, (q − z)·s in float32.
   */
  const roundedWeight = (unit: QuantUnit, table: WeightTable, rounded: ReadonlyMap<number, WeightCodes>, pick: (t: string) => string, dims: number[]) => {
    const weight = unit.weight!;
    const folded = foldWeight(index, weight.value, unit.nodeName);
    const n = folded.data.length;
    const fits = (type: 'u8' | 'i8') => grids.every((g) => (type === 'u8' ? g.qmin >= 0 && g.qmax <= 255 : g.qmin >= -128 && g.qmax <= 127));
    const [stack, dataType] = fits('u8') ? [new Uint8Array(weightBits.length * n), DataType.UINT8] : fits('i8') ? [new Int8Array(weightBits.length * n), DataType.INT8] : [new Int32Array(weightBits.length * n), DataType.INT32];
    weightBits.forEach((bits, k) => {
      const codes = rounded.get(bits) ?? nearestCodes(folded.data, folded.dims, weight.channelAxis, table.params[k]);
      if (codes.length !== n) throw new Error(`Rounded weight of unit "${unit.id}" at ${bits} bits has ${codes.length} codes, expected ${n}.`);
      stack.set(codes, k * n);
    });
    const codes = b.op('Gather', [b.init(b.fresh('w_codes'), [weightBits.length, ...folded.dims], stack, dataType), element(P.weightIndex, weightPosition.get(unit.id)!)], { attributes: [intAttr('axis', 0)] });
    const zeros = pick(b.init(b.fresh('w_zero'), dims, Float32Array.from(table.params.flatMap((row) => row.map((p) => p.zeroPoint)))));
    const scales = pick(b.init(b.fresh('w_scale'), dims, Float32Array.from(table.params.flatMap((row) => row.map((p) => p.scale)))));
    return b.op('Mul', [b.op('Sub', [b.op('Cast', [codes], { attributes: [intAttr('to', DataType.FLOAT)] }), zeros]), scales]);
  };
  const unitPosition = new Map(units.map((u, i) => [u.id, i]));
  const weightPosition = new Map(weightUnits.map((u, i) => [u.id, i]));
  const sitesByNode = groupBy(sites, (s) => units[unitPosition.get(s.unitId)!].nodeName);
  const unitByNode = new Map(units.map((u) => [u.nodeName, u]));
  const ablationByOutput = new Map(units.map((u) => [u.output, u]));

  spliceNodes(graph, b, {
    before(node: NodeProto) {
      const name = node.name || (node.output?.[0] ?? '');
      const bias = biasByNode.get(name);
      if (bias) {
        // The corrected bias of the selected widths: row mq_bc_row[i] of [rows, …bias dims].
        const { site, rows, rowCount } = bias.table;
        const withBias = [...(node.input ?? [])];
        while (withBias.length < site.input) withBias.push('');
        if (withBias[site.input]) replacedBiases.add(withBias[site.input]);
        withBias[site.input] = b.op('Gather', [b.init(b.fresh('bias_rows'), [rowCount, ...site.dims], rows), element(P.biasRow, bias.i)], { attributes: [intAttr('axis', 0)] });
        node.input = withBias;
      }
      const unit = unitByNode.get(name);
      if (!unit) return;
      const inputs = [...(node.input ?? [])];
      if (unit.weight) {
        const w = weightPosition.get(unit.id)!;
        const table = tables.get(unit.id)!;
        const dims = [weightBits.length, ...channelBroadcastDims(unit.weight.dims, unit.weight.channelAxis)];
        const original = inputs[unit.weight.inputIndex];
        const rounded = roundedWeights.get(unit.id);
        inputs[unit.weight.inputIndex] = gated(gate(P.weightOn, w), original, () => {
          const widthIndex = element(P.weightIndex, w);
          const pick = (t: string) => b.op('Gather', [t, widthIndex], { attributes: [intAttr('axis', 0)] });
          if (rounded) return roundedWeight(unit, table, rounded, pick, dims);
          const scales = b.init(b.fresh('w_scale'), dims, Float32Array.from(table.params.flatMap((row) => row.map((p) => p.scale))));
          const zeros = b.init(b.fresh('w_zero'), dims, Float32Array.from(table.params.flatMap((row) => row.map((p) => p.zeroPoint))));
          return uniform(original, pick(scales), pick(zeros), pick(wQmin), pick(wQmax));
        });
      }
      for (const site of sitesByNode.get(name) ?? []) {
        const i = sites.indexOf(site);
        const x = inputs[site.nodeInput];
        inputs[site.nodeInput] = gated(gate(P.siteOn, i), x, () => {
          const [s, z, lo, hi] = [P.siteScale, P.siteZero, P.siteQmin, P.siteQmax].map((v) => element(v, i));
          return site.quantizer === 'log2' ? log2(x, s, z, hi) : uniform(x, s, z, lo, hi);
        });
      }
      node.input = inputs;
    },
    after(node: NodeProto) {
      (node.output ?? []).forEach((output, k) => {
        const unit = ablationByOutput.get(output);
        if (!unit) return;
        const raw = b.fresh('pre_ablation');
        const outputs = [...(node.output ?? [])];
        outputs[k] = raw;
        node.output = outputs;
        types.set(raw, requireElemType(types, graph, output));
        const on = gate(P.ablate, unitPosition.get(unit.id)!);
        gated(on, raw, () => b.op('Where', [on, zero, raw]), output);
      });
    },
  });
  // Biases the correction replaced (row 0 of its table holds them): dropped when nothing else reads them.
  if (replacedBiases.size > 0) {
    const read = new Set([...(graph.node ?? []).flatMap(nodeReads), ...(graph.output ?? []).map((o) => o.name ?? '')]);
    graph.initializer = (graph.initializer ?? []).filter((t) => !replacedBiases.has(t.name ?? '') || read.has(t.name ?? ''));
  }
  const bytes = encodeModelBytes(copy);

  return {
    bytes,
    units: [...units],
    sites,
    weightBits,
    quantizer,
    weightTables: tables,
    roundedWeights,
    biasCorrection,
    feedsFor(config, overrides = {}) {
      checkConfig(config, units, weightBits);
      let ranges = overrides.ranges ?? options.ranges;
      let taus: Readonly<Record<string, number>> = { ...options.log2Tau, ...overrides.log2Tau };
      if (options.widthCalibration && !overrides.ranges && !overrides.log2Tau) {
        ({ ranges, log2Tau: taus } = resolveWidthCalibration(config, units, { ranges, log2Tau: taus }, options.widthCalibration));
      }
      const wOn = new Float32Array(weightUnits.length);
      const wIdx = new Int32Array(weightUnits.length);
      weightUnits.forEach((unit, w) => {
        const bits = config[unit.id]?.wBits;
        if (bits === null || bits === undefined) return;
        wOn[w] = 1;
        wIdx[w] = weightBits.indexOf(bits);
      });
      const on = new Float32Array(sites.length);
      const scale = new Float32Array(sites.length).fill(1);
      const zeroPoint = new Float32Array(sites.length);
      const qmin = new Float32Array(sites.length);
      const qmax = new Float32Array(sites.length).fill(255);
      sites.forEach((site, i) => {
        const bits = config[site.unitId]?.aBits;
        if (bits === null || bits === undefined) return;
        const p = siteParams(site, bits, ranges, taus[site.unitId] ?? quantizer.log2Tau);
        on[i] = 1;
        if (p.quantizer === 'log2') {
          scale[i] = p.scale;
          zeroPoint[i] = p.tau;
          qmax[i] = p.levels;
        } else {
          scale[i] = p.params.scale;
          zeroPoint[i] = p.params.zeroPoint;
          qmin[i] = p.params.qmin;
          qmax[i] = p.params.qmax;
        }
      });
      const ablate = Float32Array.from(units, (u) => (config[u.id]?.ablate ? 1 : 0));
      const f = (data: Float32Array): FeedTensor => ({ type: 'float32', data, dims: [data.length] });
      const biasFeeds: Record<string, FeedTensor> = {};
      if (biasUnits.length > 0) {
        const rows = Int32Array.from(biasUnits, (u) => biasCorrection!.rowFor(u.id, config[u.id]?.wBits, config[u.id]?.aBits));
        biasFeeds[P.biasRow] = { type: 'int32', data: rows, dims: [rows.length] };
      }
      return {
        ...biasFeeds,
        [P.weightOn]: f(wOn),
        [P.weightIndex]: { type: 'int32', data: wIdx, dims: [wIdx.length] },
        [P.siteOn]: f(on),
        [P.siteScale]: f(scale),
        [P.siteZero]: f(zeroPoint),
        [P.siteQmin]: f(qmin),
        [P.siteQmax]: f(qmax),
        [P.ablate]: f(ablate),
      };
    },
  };
}

function graphAttr(name: string, g: GraphProto): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.GRAPH, g };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Round-to-nearest codes of a weight in its layout (quantizers.quantizeCode per element, as the graph rounds). */
function nearestCodes(data: Float32Array, dims: readonly number[], axis: number, params: readonly UniformParams[]): Int32Array {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Int32Array.from(data, (x, i) => quantizeCode(x, params[Math.floor(i / inner) % channels]));
}
