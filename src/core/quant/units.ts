/**
 * Unit discovery (METHOD.md "Units"): weight units are MatMul / Gemm / Conv / ConvTranspose with a
 * constant weight; activation units are MatMuls of two activations (q·kᵀ, softmax·v). Listed in
 * execution order with their SAM part, role, parameter count and MACs.
 */
import { foldWeight, weightPath } from '../onnx/fold.ts';
import { attrInt, GraphIndex, isDefaultDomain, staticShapes } from '../onnx/graph.ts';
import type { ModelProto, NodeProto } from '../onnx/proto.ts';
import { numel } from '../onnx/tensor.ts';
import { EXCLUSION_REASONS, placeOfNode, roleOf, type ExclusionKey } from './sam-parts.ts';

export type GraphKind = 'encoder' | 'decoder';
export type UnitOp = 'MatMul' | 'Gemm' | 'Conv' | 'ConvTranspose';

export interface WeightRef {
  /** The value the node reads as its weight (the initializer, or the end of its Transpose/Reshape path). */
  value: string;
  /** Input index of the weight on the node. */
  inputIndex: number;
  /** Dims of the weight as the node sees it. */
  dims: number[];
  /** Axis of `dims` holding output channels (per-channel quantization runs along it). */
  channelAxis: number;
  /** Names of the nodes between the initializer and the node (empty for a direct initializer). */
  path: string[];
}

export interface QuantUnit {
  /** Stable id: "<graph>:<node name>". */
  id: string;
  graph: GraphKind;
  nodeName: string;
  op: UnitOp;
  kind: 'weight' | 'activation';
  /** "qkv", "proj", "mlp.lin1", "q·kᵀ", "softmax·v", "neck.conv1", "self_attn.q_proj", … */
  role: string;
  /** "encoder block 3", "neck", "decoder layer 0", "final attention", "IoU head", … */
  part: string;
  block: number | null;
  /** Position in execution order among this graph's units. */
  order: number;
  /** Activation inputs quantized per tensor: [x] for weight units, [a, b] for activation units. */
  activationInputs: string[];
  /** Index into activationInputs of an input produced by Softmax (log2 quantizer candidate), else null. */
  postSoftmaxInput: number | null;
  weight: WeightRef | null;
  /** Value replaced by zeros for ablation: the node output, or the bias Add after a MatMul. */
  output: string;
  /** Weight elements (0 for activation units). */
  params: number;
  /** Multiply-accumulates per run (METHOD.md formulas), or null when shapes are unknown. */
  macs: number | null;
  excludedByDefault: boolean;
  exclusionReason: string | null;
}

export interface DiscoverOptions {
  /** Which SAM graph this is; detected from input names when omitted. */
  graph?: GraphKind;
  /** Extra static shapes (e.g. from probeShapes) for values whose shape value_info does not give. */
  shapes?: ReadonlyMap<string, number[]>;
  /** Turn default exclusions off (false) or on; all are on by default. */
  exclusions?: Partial<Record<ExclusionKey, boolean>>;
}

const UNIT_OPS: readonly string[] = ['MatMul', 'Gemm', 'Conv', 'ConvTranspose'];

export function detectGraphKind(model: ModelProto): GraphKind {
  const names = (model.graph?.input ?? []).map((i) => i.name ?? '');
  if (names.some((n) => ['point_coords', 'input_points', 'image_embeddings'].includes(n))) return 'decoder';
  return 'encoder';
}

/** Units of one graph, in execution order. Throws when there is nothing to quantize. */
export function discoverUnits(model: ModelProto, options: DiscoverOptions = {}): QuantUnit[] {
  const graph = model.graph;
  if (!graph) throw new Error('The model has no graph.');
  const kind = options.graph ?? detectGraphKind(model);
  const index = new GraphIndex(graph);
  const shapes = new Map([...staticShapes(graph), ...(options.shapes ?? [])]);
  const units: QuantUnit[] = [];
  let neckCount = 0;
  for (const node of index.topologicalNodes()) {
    if (!UNIT_OPS.includes(node.opType ?? '') || !isDefaultDomain(node)) continue;
    const unit = describeUnit(index, node, kind, shapes, neckCount, options.exclusions ?? {});
    if (!unit) continue;
    if (unit.part === 'neck') neckCount++;
    unit.order = units.length;
    units.push(unit);
  }
  if (units.length === 0) {
    throw new Error('No quantizable units: the graph has no MatMul, Gemm, Conv or ConvTranspose with a constant weight, and no attention MatMul.');
  }
  const ids = new Set<string>();
  for (const unit of units) {
    if (ids.has(unit.id)) throw new Error(`Two units share the id "${unit.id}"; node names must be unique.`);
    ids.add(unit.id);
  }
  return units;
}

function describeUnit(
  index: GraphIndex,
  node: NodeProto,
  graph: GraphKind,
  shapes: ReadonlyMap<string, number[]>,
  neckIndex: number,
  exclusions: Partial<Record<ExclusionKey, boolean>>,
): QuantUnit | null {
  const op = node.opType as UnitOp;
  const inputs = node.input ?? [];
  const nodeName = node.name || (node.output?.[0] ?? '');
  const constant = inputs.map((name) => !!name && index.isConstant(name));
  const weightIndex = constant[1] ? 1 : op === 'MatMul' && constant[0] ? 0 : -1;
  if (constant[0] && constant[1]) return null; // folded by any runtime; nothing to quantize
  if (op !== 'MatMul' && weightIndex < 0) return null; // Conv/Gemm with a runtime weight: out of scope

  let place = placeOfNode(nodeName);
  let weight: WeightRef | null = null;
  let activationRole: 'q·kᵀ' | 'softmax·v' | null = null;
  let postSoftmaxInput: number | null = null;
  let exclusion = place.exclusion;
  if (weightIndex >= 0) {
    const path = weightPath(index, inputs[weightIndex], nodeName);
    const folded = foldWeight(index, inputs[weightIndex], nodeName);
    weight = { value: inputs[weightIndex], inputIndex: weightIndex, dims: folded.dims, channelAxis: channelAxisOf(node, weightIndex, folded.dims), path };
    if (op === 'MatMul' && folded.dims.length >= 3) exclusion ??= 'rel-pos';
    if (op === 'MatMul' && weightIndex === 1 && folded.dims[folded.dims.length - 2] === 2 && !exclusion) {
      // [.., 2] coordinates times a [2, F] Gaussian matrix: the prompt encoder's positional encoding.
      exclusion = 'prompt-positional-encoding';
      place = { ...place, part: 'prompt encoder', module: '', leaf: 'pe_layer' };
    }
  } else {
    postSoftmaxInput = inputs.findIndex((name) => producedBySoftmax(index, name));
    if (postSoftmaxInput < 0) postSoftmaxInput = null;
    activationRole = postSoftmaxInput === null ? 'q·kᵀ' : 'softmax·v';
    if (/rel_pos/.test(nodeName)) exclusion ??= 'rel-pos';
    if (place.part === 'other' && graph === 'decoder' && postSoftmaxInput === null) {
      // Outside any attention module: SAM's mask product hyper_in @ upscaled embedding.
      exclusion ??= 'mask-product';
      activationRole = null;
      place = { ...place, part: 'mask prediction', module: '', leaf: 'mask product' };
    }
  }
  if (exclusion && exclusions[exclusion] === false) exclusion = null;

  const activationInputs = weightIndex >= 0 ? [inputs[1 - weightIndex]] : [inputs[0], inputs[1]];
  const output = ablationPoint(index, node);
  return {
    id: `${graph}:${nodeName}`,
    graph,
    nodeName,
    op,
    kind: weight ? 'weight' : 'activation',
    role: roleOf(place, activationRole, neckIndex),
    part: place.part === 'other' ? (graph === 'encoder' ? 'encoder' : 'decoder') : place.part,
    block: place.block,
    order: 0,
    activationInputs,
    postSoftmaxInput,
    weight,
    output,
    params: weight ? numel(weight.dims) : 0,
    macs: macsOf(node, weight, shapes),
    excludedByDefault: exclusion !== null,
    exclusionReason: exclusion ? EXCLUSION_REASONS[exclusion] : null,
  };
}

/** Output-channel axis of the weight as the node sees it. */
function channelAxisOf(node: NodeProto, weightIndex: number, dims: number[]): number {
  switch (node.opType) {
    case 'MatMul':
      return weightIndex === 1 ? dims.length - 1 : dims.length - 2;
    case 'Gemm':
      return attrInt(node, 'transB', 0) ? 0 : 1;
    case 'ConvTranspose':
      return 1; // [C_in, C_out/group, k…]
    default:
      return 0; // Conv [C_out, C_in/group, k…]
  }
}

/** Softmax output, possibly through a Cast/Dropout/Identity. */
function producedBySoftmax(index: GraphIndex, name: string): boolean {
  let node = index.producer.get(name);
  while (node && ['Cast', 'Dropout', 'Identity'].includes(node.opType ?? '')) node = index.producer.get(node.input?.[0] ?? '');
  return node?.opType === 'Softmax';
}

/** A MatMul's bias Add belongs to the layer: ablation zeros the layer's output, bias included. */
function ablationPoint(index: GraphIndex, node: NodeProto): string {
  const output = node.output?.[0] ?? '';
  if (node.opType !== 'MatMul') return output;
  const consumers = index.consumers.get(output) ?? [];
  if (consumers.length !== 1 || consumers[0].opType !== 'Add' || index.graphOutputs.has(output)) return output;
  const add = consumers[0];
  const other = add.input?.[0] === output ? add.input?.[1] : add.input?.[0];
  return other && index.isConstant(other) ? (add.output?.[0] ?? output) : output;
}

/** MACs per METHOD.md: Linear out.numel·K; Conv out.numel·k²·C_in/groups; attention B·h·Nq·Nk·d. */
function macsOf(node: NodeProto, weight: WeightRef | null, shapes: ReadonlyMap<string, number[]>): number | null {
  const out = shapes.get(node.output?.[0] ?? '');
  const input0 = shapes.get(node.input?.[0] ?? '');
  switch (node.opType) {
    case 'MatMul': {
      if (!out) return null;
      const reduction = weight ? (weight.inputIndex === 1 ? weight.dims[weight.dims.length - 2] : weight.dims[weight.dims.length - 1]) : input0?.[input0.length - 1];
      return reduction === undefined ? null : numel(out) * reduction;
    }
    case 'Gemm': {
      if (!out || !weight) return null;
      const reduction = attrInt(node, 'transB', 0) ? weight.dims[1] : weight.dims[0];
      return numel(out) * reduction;
    }
    case 'Conv':
      // weight [C_out, C_in/groups, k…]: per output element C_in/groups·k² MACs.
      return out && weight ? numel(out) * (numel(weight.dims) / weight.dims[0]) : null;
    case 'ConvTranspose':
      // Each input element scatters into C_out/groups·k² outputs (weight [C_in, C_out/groups, k…]).
      return input0 && weight ? numel(input0) * (numel(weight.dims) / weight.dims[0]) : null;
    default:
      return null;
  }
}

/** Values whose shapes unit discovery needs (for probeShapes when value_info lacks them). */
export function shapeProbeNames(model: ModelProto): string[] {
  const names = new Set<string>();
  for (const node of model.graph?.node ?? []) {
    if (!UNIT_OPS.includes(node.opType ?? '')) continue;
    if (node.input?.[0]) names.add(node.input[0]);
    if (node.output?.[0]) names.add(node.output[0]);
  }
  return [...names];
}
