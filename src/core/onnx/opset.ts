/**
 * Opset upgrade of the default ONNX domain to a newer version (up to 21), rewriting the nodes
 * whose signature or meaning changed on the way (ONNX Changelog):
 *   13: Squeeze / Unsqueeze / Split / ReduceSum take axes/split as inputs; Softmax, LogSoftmax and
 *       Hardmax normalize along one axis instead of the flattened tail;
 *   18: the other Reduce* ops take axes as an input; Split needs `num_outputs` without a split input;
 *   20: GridSample modes renamed (bilinear → linear, bicubic → cubic);
 *   21: GroupNormalization's scale and bias become per channel instead of per group.
 * Ops whose upgrade needs a value we cannot compute statically are refused with a clear error.
 */
import { GraphBuilder } from './builder.ts';
import { attrInt, attrInts, attrString, defaultOpset, GraphIndex, intAttr, isDefaultDomain, stringAttr } from './graph.ts';
import { cloneModel, int64ToNumber, type GraphProto, type Int64Like, type ModelProto, type NodeProto } from './proto.ts';
import { spliceNodes } from './rewrite.ts';
import { DataType, makeTensor, readFloatTensor } from './tensor.ts';

const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
const SOFTMAX_LIKE = ['Softmax', 'LogSoftmax', 'Hardmax'];
export const MAX_SUPPORTED_OPSET = 21;

/** A copy of the model in opset `target` (default 21); IR version raised to what the opset needs. */
export function upgradeOpset(model: ModelProto, target = MAX_SUPPORTED_OPSET): ModelProto {
  const from = defaultOpset(model);
  if (target > MAX_SUPPORTED_OPSET) throw new Error(`Opset ${target} is newer than this upgrader knows (${MAX_SUPPORTED_OPSET}).`);
  if (from > target) throw new Error(`The model already uses opset ${from}, newer than ${target}.`);
  if (from < 11) throw new Error(`Upgrading from opset ${from} is not supported; re-export the model with opset 11 or newer.`);
  const copy = cloneModel(model);
  if (from < target) upgradeGraph(copy.graph!, from, target);
  copy.opsetImport = (copy.opsetImport ?? []).map((o) => (!o.domain || o.domain === 'ai.onnx' ? { domain: o.domain, version: target } : o));
  const irNeeded = target >= 21 ? 10 : target >= 19 ? 9 : 8;
  if (int64ToNumber(copy.irVersion as Int64Like) < irNeeded) copy.irVersion = irNeeded;
  return copy;
}

function upgradeGraph(graph: GraphProto, from: number, to: number): void {
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.g) upgradeGraph(attribute.g, from, to);
      for (const sub of attribute.graphs ?? []) upgradeGraph(sub, from, to);
    }
  }
  const index = new GraphIndex(graph);
  const b = new GraphBuilder(`opset${to}/`);
  const reshapeAfter = new Map<NodeProto, () => void>();
  const axesInput = (node: NodeProto, attribute: string, position: number) => {
    const values = attrInts(node, attribute);
    node.attribute = (node.attribute ?? []).filter((a) => a.name !== attribute);
    if (values === null) return;
    const inputs = [...(node.input ?? [])];
    while (inputs.length < position) inputs.push('');
    inputs[position] = b.ints64(attribute, values);
    node.input = inputs;
  };
  spliceNodes(graph, b, {
    before(node) {
      if (!isDefaultDomain(node)) return;
      const op = node.opType ?? '';
      if (from < 13 && to >= 13) {
        if (op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') axesInput(node, 'axes', 1);
        if (op === 'Split') axesInput(node, 'split', 1);
      }
      if (from < 18 && to >= 18) {
        if (REDUCE_18.includes(op)) axesInput(node, 'axes', 1);
        if (op === 'Split' && !node.input?.[1] && attrInt(node, 'num_outputs', 0) === 0) {
          node.attribute = [...(node.attribute ?? []), intAttr('num_outputs', node.output?.length ?? 1)];
        }
      }
      if (from < 20 && to >= 20 && op === 'GridSample') {
        const renamed: Record<string, string> = { bilinear: 'linear', bicubic: 'cubic' };
        const mode = attrString(node, 'mode', 'bilinear');
        node.attribute = [...(node.attribute ?? []).filter((a) => a.name !== 'mode'), stringAttr('mode', renamed[mode] ?? mode)];
      }
      if (from < 20 && to >= 20 && op === 'DFT') throw new Error(`DFT node "${node.name}" cannot be upgraded to opset 20+ (axis moved to an input); not supported.`);
      if (from < 21 && to >= 21 && op === 'GroupNormalization') perChannelGroupNorm(node, index, b);
      if (from < 13 && to >= 13 && SOFTMAX_LIKE.includes(op)) reshapeAfter.set(node, flattenedSoftmax(node, b));
    },
    after(node) {
      reshapeAfter.get(node)?.();
    },
  });
}

/**
 * Before opset 13, Softmax(axis=a) normalized over all dims from a on (input coerced to 2-D).
 * Rewrite: Flatten(axis=a) → op(axis=1) → Reshape to the input's shape. Returns the Reshape emitter.
 */
function flattenedSoftmax(node: NodeProto, b: GraphBuilder): () => void {
  const axis = attrInt(node, 'axis', 1);
  const input = node.input![0];
  const output = node.output![0];
  const inner = b.fresh('softmax2d');
  node.input = [b.op('Flatten', [input], { attributes: [intAttr('axis', axis)] })];
  node.output = [inner];
  node.attribute = [...(node.attribute ?? []).filter((a) => a.name !== 'axis'), intAttr('axis', 1)];
  return () => void b.op('Reshape', [inner, b.op('Shape', [input])], { output });
}

/** Opset 21 wants [C] scale and bias; opset 18 had [groups]: repeat each group's value C/groups times. */
function perChannelGroupNorm(node: NodeProto, index: GraphIndex, b: GraphBuilder): void {
  const groups = attrInt(node, 'num_groups', 0);
  const inputs = [...(node.input ?? [])];
  for (const position of [1, 2]) {
    const tensor = index.constantTensor(inputs[position]);
    if (!tensor) throw new Error(`GroupNormalization "${node.name}": per-group ${position === 1 ? 'scale' : 'bias'} is not a constant; cannot upgrade to opset 21.`);
    const { data } = readFloatTensor(tensor);
    if (data.length !== groups) throw new Error(`GroupNormalization "${node.name}": expected ${groups} per-group values.`);
    const channels = channelsOf(node, index);
    const perChannel = Float32Array.from({ length: channels }, (_, c) => data[Math.floor(c / (channels / groups))]);
    const name = b.fresh('group_norm_per_channel');
    b.initializers.push(makeTensor(name, DataType.FLOAT, [channels], perChannel));
    inputs[position] = name;
  }
  node.input = inputs;
}

function channelsOf(node: NodeProto, index: GraphIndex): number {
  const info = [...(index.graph.valueInfo ?? []), ...(index.graph.input ?? [])].find((v) => v.name === node.input?.[0]);
  const dim = info?.type?.tensorType?.shape?.dim?.[1];
  const channels = dim ? int64ToNumber(dim.dimValue as Int64Like) : 0;
  if (!channels) throw new Error(`GroupNormalization "${node.name}": the channel count of its input is unknown (no value_info); cannot upgrade to opset 21.`);
  return channels;
}
