/**
 * Where outlier migration applies: a source whose output reaches only weight units, so that
 * x·diag(s)⁻¹ folds into the source and diag(s)·W into the weights. Sources: LayerNorms (the
 * LayerNormalization op, or the decomposed ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div·γ+β torch writes
 * for SAM's LayerNorm2d and for LayerNorm below opset 17), folded into γ and β; and a ReLU after a
 * MatMul (+ bias), folded into that MatMul's output columns and bias (relu(x/s) = relu(x)/s for s > 0):
 * the decoder's MLP, whose LayerNorms all feed residual Adds. The walk from the source's output may pass
 * value-preserving reshapes that keep the channel axis last (the encoder's window partition); Shape
 * consumers read no values. Anything else (a residual Add, an activation function, a graph output)
 * leaves the source as it is, with the reason.
 */
import { foldWeight } from '../onnx/fold.ts';
import { attrInt, attrInts, GraphIndex, isDefaultDomain } from '../onnx/graph.ts';
import type { ModelProto, NodeProto } from '../onnx/proto.ts';
import { numel, readIntTensor } from '../onnx/tensor.ts';

/** How input channel j of a consumer's weight is laid out. */
export type WeightLayout =
  /** MatMul x·W, Gemm with transB = 0: W [C_in, C_out], row j. */
  | 'rows'
  /** Gemm with transB = 1: B [C_out, C_in], column j. */
  | 'columns'
  /** Conv: W [C_out, C_in, k…], slice j of axis 1. */
  | 'conv-input';

export interface MigrationConsumer {
  node: NodeProto;
  /** Input index of the weight on the node. */
  weightIndex: number;
  layout: WeightLayout;
}

/** A constant of the source that is divided by s: γ, β, a bias (one value per channel), or a MatMul weight's output columns. */
export interface DividedInput {
  node: NodeProto;
  inputIndex: number;
  layout: 'channel-vector' | 'output-columns';
}

export interface MigrationSite {
  /** Name of the LayerNormalization node, of the Div of the decomposed pattern, or of the ReLU. */
  source: string;
  pattern: 'LayerNormalization' | 'decomposed' | 'linear-relu';
  /** The value whose channels are scaled: the LayerNorm's output (after β), or the ReLU's. */
  output: string;
  axis: -1 | 1;
  channels: number;
  divided: DividedInput[];
  consumers: MigrationConsumer[];
  /** Reshape outputs on the way whose last dim must equal `channels` (checked on measured dims). */
  reshapes: string[];
}

export interface SkippedSite {
  source: string;
  reason: string;
}

/** Every LayerNorm and ReLU of the graph, as a migration site or with the reason it is left alone. */
export function findMigrationSites(model: ModelProto): { sites: MigrationSite[]; skipped: SkippedSite[] } {
  const index = new GraphIndex(model.graph!);
  const sites: MigrationSite[] = [];
  const skipped: SkippedSite[] = [];
  for (const node of index.topologicalNodes()) {
    if (!isDefaultDomain(node)) continue;
    const match = SOURCES[node.opType ?? '']?.(index, node);
    if (!match) continue;
    const source = node.name || (node.output?.[0] ?? '');
    if ('reason' in match) {
      skipped.push({ source, reason: match.reason });
      continue;
    }
    const walk = walkConsumers(index, match.output, match.axis);
    if ('reason' in walk) skipped.push({ source, reason: walk.reason });
    else if (walk.consumers.length === 0) skipped.push({ source, reason: 'its output reaches no weight unit' });
    else sites.push({ source, ...match, ...walk });
  }
  return { sites, skipped };
}

type SourceMatch = Pick<MigrationSite, 'pattern' | 'output' | 'axis' | 'channels' | 'divided'> | { reason: string };

const SOURCES: Record<string, (index: GraphIndex, node: NodeProto) => SourceMatch | null> = {
  LayerNormalization: layerNormOp,
  Div: decomposedNorm,
  Relu: linearBeforeRelu,
};

const vector = (node: NodeProto, inputIndex: number): DividedInput => ({ node, inputIndex, layout: 'channel-vector' });

function layerNormOp(index: GraphIndex, node: NodeProto): SourceMatch {
  const inputs = node.input ?? [];
  if (attrInt(node, 'axis', -1) !== -1) return { reason: `normalizes from axis ${attrInt(node, 'axis', -1)}, not over the last axis only` };
  if (!index.isConstant(inputs[1] ?? '') || (inputs[2] && !index.isConstant(inputs[2]))) return { reason: 'γ or β is not a constant' };
  const gamma = foldWeight(index, inputs[1], node.name ?? '');
  if (gamma.dims.length !== 1) return { reason: `γ has shape [${gamma.dims}], not [C]` };
  return {
    pattern: 'LayerNormalization',
    output: node.output?.[0] ?? '',
    axis: -1,
    channels: gamma.dims[0],
    divided: inputs[2] ? [vector(node, 1), vector(node, 2)] : [vector(node, 1)],
  };
}

/** The Div of (x − mean(x)) / sqrt(mean((x − mean(x))²) + ε), then ·γ and +β, over one axis; else null. */
function decomposedNorm(index: GraphIndex, div: NodeProto): SourceMatch | null {
  const [centered, denominator] = div.input ?? [];
  const sub = index.producer.get(centered ?? '');
  const sqrt = index.producer.get(denominator ?? '');
  if (sub?.opType !== 'Sub' || sqrt?.opType !== 'Sqrt') return null;
  const mean = index.producer.get(sub.input?.[1] ?? '');
  if (mean?.opType !== 'ReduceMean' || mean.input?.[0] !== sub.input?.[0]) return null;
  const addEps = index.producer.get(sqrt.input?.[0] ?? '');
  const variance = index.producer.get(addEps?.opType === 'Add' ? ((addEps.input ?? []).find((name) => !index.isConstant(name)) ?? '') : '');
  const square = index.producer.get(variance?.opType === 'ReduceMean' ? (variance.input?.[0] ?? '') : '');
  if (square?.opType !== 'Pow' || square.input?.[0] !== centered) return null;
  const axes = reduceAxes(index, mean);
  if (!axes || axes.length !== 1 || JSON.stringify(reduceAxes(index, variance!)) !== JSON.stringify(axes)) return null;
  const axis = axes[0];
  const name = div.name ?? '';
  if (axis !== -1 && axis !== 1) return { reason: `normalizes over axis ${axis}; only the last axis or axis 1 (NCHW) are handled` };
  const mul = singleConsumer(index, div.output?.[0] ?? '', 'Mul');
  const gammaIndex = mul ? constantOperand(index, mul) : -1;
  if (!mul || gammaIndex < 0) return { reason: 'the normalized value is not multiplied by a constant γ alone' };
  const add = singleConsumer(index, mul.output?.[0] ?? '', 'Add');
  const betaIndex = add ? constantOperand(index, add) : -1;
  if (!add || betaIndex < 0) return { reason: 'γ·x̂ is not added to a constant β alone' };
  const gamma = foldWeight(index, mul.input![gammaIndex], name);
  const channels = numel(gamma.dims);
  const along = axis === -1 ? gamma.dims[gamma.dims.length - 1] : gamma.dims[0];
  if (along !== channels || (axis === 1 && gamma.dims.length < 2)) return { reason: `γ has shape [${gamma.dims}], not one value per channel of axis ${axis}` };
  return { pattern: 'decomposed', output: add.output?.[0] ?? '', axis, channels, divided: [vector(mul, gammaIndex), vector(add, betaIndex)] };
}

/** A ReLU of x·W (+ b): W's output columns and b take the division. */
function linearBeforeRelu(index: GraphIndex, relu: NodeProto): SourceMatch {
  const readOnce = (value: string) => (index.consumers.get(value) ?? []).length === 1 && !index.graphOutputs.has(value);
  let producer = index.producer.get(relu.input?.[0] ?? '');
  let bias: DividedInput | null = null;
  if (producer?.opType === 'Add' && readOnce(producer.output![0])) {
    const biasIndex = constantOperand(index, producer);
    if (biasIndex >= 0) {
      bias = vector(producer, biasIndex);
      producer = index.producer.get(producer.input![1 - biasIndex]);
    }
  }
  const reason = { reason: `the ReLU follows ${producer?.opType ?? 'a graph input'} "${producer?.name ?? ''}", not a MatMul (+ bias) with a constant weight read by it alone` };
  if (producer?.opType !== 'MatMul' || !readOnce(producer.output![0]) || !index.isConstant(producer.input?.[1] ?? '') || index.isConstant(producer.input?.[0] ?? '')) return reason;
  const weight = foldWeight(index, producer.input![1], producer.name ?? '');
  const channels = weight.dims[1];
  if (weight.dims.length !== 2) return { reason: `the MatMul before the ReLU has a weight of rank ${weight.dims.length}` };
  if (bias && numel(foldWeight(index, bias.node.input![bias.inputIndex], producer.name ?? '').dims) !== channels) return { reason: 'the bias before the ReLU is not one value per channel' };
  const divided: DividedInput[] = [{ node: producer, inputIndex: 1, layout: 'output-columns' }, ...(bias ? [bias] : [])];
  return { pattern: 'linear-relu', output: relu.output?.[0] ?? '', axis: -1, channels, divided };
}

function reduceAxes(index: GraphIndex, node: NodeProto): number[] | null {
  const fromInput = node.input?.[1] ? index.constantTensor(node.input[1]) : null;
  return fromInput ? readIntTensor(fromInput) : attrInts(node, 'axes');
}

function singleConsumer(index: GraphIndex, value: string, opType: string): NodeProto | null {
  const consumers = index.consumers.get(value) ?? [];
  return consumers.length === 1 && consumers[0].opType === opType && !index.graphOutputs.has(value) ? consumers[0] : null;
}

/** Index of the constant operand of a binary op whose other operand is not constant, else −1. */
function constantOperand(index: GraphIndex, node: NodeProto): number {
  const constant = (node.input ?? []).map((name) => index.isConstant(name));
  return constant[0] !== constant[1] ? constant.indexOf(true) : -1;
}

/** The weight units a LayerNorm's output reaches, through channel-preserving reshapes, or why not. */
function walkConsumers(index: GraphIndex, output: string, axis: -1 | 1): Pick<MigrationSite, 'consumers' | 'reshapes'> | { reason: string } {
  const consumers: MigrationConsumer[] = [];
  const reshapes: string[] = [];
  const pending = [output];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (index.graphOutputs.has(value)) return { reason: `"${value}" is a graph output` };
    for (const node of index.consumers.get(value) ?? []) {
      const op = node.opType ?? '';
      const inputs = node.input ?? [];
      const what = `it also feeds ${op} "${node.name}"`;
      if (op === 'Shape') continue;
      if (inputs.indexOf(value) !== inputs.lastIndexOf(value)) return { reason: `${what} twice` };
      const weight = inputs[1] && index.isConstant(inputs[1]) && inputs[0] === value;
      if (axis === -1 && op === 'MatMul' && weight) {
        const dims = foldWeight(index, inputs[1], node.name ?? '').dims;
        if (dims.length !== 2) return { reason: `${what}, whose weight has rank ${dims.length}` };
        consumers.push({ node, weightIndex: 1, layout: 'rows' });
      } else if (axis === -1 && op === 'Gemm' && weight && attrInt(node, 'transA', 0) === 0) {
        consumers.push({ node, weightIndex: 1, layout: attrInt(node, 'transB', 0) ? 'columns' : 'rows' });
      } else if (axis === 1 && op === 'Conv' && weight && attrInt(node, 'group', 1) === 1) {
        consumers.push({ node, weightIndex: 1, layout: 'conv-input' });
      } else if (axis === -1 && op === 'Reshape' && inputs[0] === value) {
        reshapes.push(node.output?.[0] ?? '');
        pending.push(node.output?.[0] ?? '');
      } else if (axis === -1 && op === 'Transpose' && keepsLastAxis(node)) {
        pending.push(node.output?.[0] ?? '');
      } else if (op === 'Identity') {
        pending.push(node.output?.[0] ?? '');
      } else {
        return { reason: `${what}, not a weight unit` };
      }
    }
  }
  return { consumers, reshapes };
}

function keepsLastAxis(node: NodeProto): boolean {
  const perm = attrInts(node, 'perm');
  return !!perm && perm[perm.length - 1] === perm.length - 1;
}
