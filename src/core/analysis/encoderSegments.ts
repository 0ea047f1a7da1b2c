/**
 * Splitting the (parametric) encoder at single-tensor cuts, so that probing a unit re-runs only the part
 * of the encoder it can affect (DESIGN.md "Caching what is expensive"). A cut is a position in the
 * topologically sorted node list where the image-dependent values crossing from the prefix to the
 * suffix are few (at a ViT block boundary: the residual stream alone). The FP run caches those values
 * per image; a probe of a unit after the cut feeds them to the segments after it (segmentModel).
 *
 * Tensors fall into three classes: image-dependent ("data"), constant (initializers, Constant nodes and
 * what is computed from them only), and configuration (computed from the parametric graph's
 * configuration inputs and constants, never from the image). Only data tensors are ever cached; constant
 * and configuration nodes the suffix needs are copied into it, so a probe's configuration is honoured.
 */
import type { GraphProto, ModelProto, NodeProto, ValueInfoProto } from '../onnx/proto';
import { onnx } from '../onnx/proto';
import { nodeReads } from '../onnx/graph';
import { inferElemTypes } from '../onnx/types';

/** A cut before node `position`: `tensors` are the data values the suffix needs from the prefix. */
export interface GraphCut {
  position: number;
  tensors: string[];
}

type TensorClass = 'data' | 'constant' | 'config';

/** Facts about one graph, computed once and shared by every cut query. */
export interface GraphIndex {
  nodes: NodeProto[];
  producerOf: Map<string, number>;
  classOf: Map<string, TensorClass>;
  /** Element type (ONNX TensorProto.DataType) of every tensor whose type is known or derivable. */
  elemTypeOf: Map<string, number>;
  graphOutputs: Set<string>;
}

/** Classifies every tensor; `dataInputs` are the graph inputs that carry the image. */
export function indexGraph(graph: GraphProto, dataInputs: readonly string[]): GraphIndex {
  const nodes = graph.node ?? [];
  const producerOf = new Map<string, number>();
  const classOf = new Map<string, TensorClass>();
  const elemTypeOf = inferElemTypes(graph);
  for (const initializer of graph.initializer ?? []) if (initializer.name) classOf.set(initializer.name, 'constant');
  // A graph input is fed at run time even when an initializer gives it a default (overridable inputs).
  for (const input of graph.input ?? []) {
    if (input.name) classOf.set(input.name, dataInputs.includes(input.name) ? 'data' : 'config');
  }
  for (const name of dataInputs) {
    if (!classOf.has(name)) throw new Error(`the graph has no input named "${name}"`);
  }
  nodes.forEach((node, position) => {
    const inputs = nodeReads(node);
    const classes = inputs.map((name) => classOf.get(name));
    if (classes.some((c) => c === undefined)) {
      throw new Error(`node "${node.name}" reads a tensor no earlier node produces: the graph is not topologically sorted`);
    }
    const nodeClass: TensorClass = classes.includes('data') ? 'data' : classes.includes('config') ? 'config' : 'constant';
    for (const output of node.output ?? []) {
      if (output === '') continue;
      producerOf.set(output, position);
      classOf.set(output, nodeClass);
    }
  });
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  return { nodes, producerOf, classOf, elemTypeOf, graphOutputs };
}

/**
 * Every cut position (1..n-1) where at most `maxTensors` data values cross, in node order.
 * Found in one pass: a data value produced at i and last read at j crosses every position in (i, j].
 */
export function findCuts(index: GraphIndex, maxTensors = 1): GraphCut[] {
  const { nodes, producerOf, classOf, graphOutputs } = index;
  const lastUse = new Map<string, number>();
  nodes.forEach((node, position) => {
    for (const input of nodeReads(node)) if (producerOf.has(input)) lastUse.set(input, position);
  });
  for (const output of graphOutputs) if (producerOf.has(output)) lastUse.set(output, nodes.length);
  const opened: string[][] = nodes.map(() => []);
  const closed: string[][] = Array.from({ length: nodes.length + 1 }, () => []);
  for (const [tensor, end] of lastUse) {
    const start = producerOf.get(tensor)!;
    if (classOf.get(tensor) !== 'data' || end <= start) continue;
    opened[start].push(tensor);
    closed[end].push(tensor);
  }
  const live = new Set<string>();
  const cuts: GraphCut[] = [];
  for (let position = 1; position < nodes.length; position++) {
    for (const tensor of opened[position - 1]) live.add(tensor);
    // A value last read by the node before the cut no longer crosses it.
    for (const tensor of closed[position - 1]) live.delete(tensor);
    if (live.size >= 1 && live.size <= maxTensors) cuts.push({ position, tensors: [...live].sort() });
  }
  return cuts;
}

/**
 * For each source tensor set (a unit's configuration values), the position of the first data node that
 * depends on it: a cut at or before that position leaves the unit's quantization in the suffix.
 * Infinity when nothing image-dependent reads it.
 */
export function firstAffectedDataNode(index: GraphIndex, sources: readonly string[]): number {
  const tainted = new Set(sources);
  for (let position = 0; position < index.nodes.length; position++) {
    const node = index.nodes[position];
    if (!nodeReads(node).some((name) => tainted.has(name))) continue;
    const output = (node.output ?? []).find((name) => name !== '');
    if (output !== undefined && index.classOf.get(output) === 'data') return position;
    for (const name of node.output ?? []) if (name !== '') tainted.add(name);
  }
  return Infinity;
}

/** The latest cut at or before `limit`, or null if the probe must run the whole encoder. */
export function latestCutBefore(cuts: readonly GraphCut[], limit: number): GraphCut | null {
  let best: GraphCut | null = null;
  for (const cut of cuts) if (cut.position <= limit && (!best || cut.position > best.position)) best = cut;
  return best;
}

/**
 * Keeps at most `count` of the cuts used by units, spread evenly over the cut positions that probes
 * need, so that the compiled suffixes (each holding its own weights) stay within memory.
 */
export function thinCuts(needed: readonly GraphCut[], count: number): GraphCut[] {
  const unique = [...new Map(needed.map((cut) => [cut.position, cut])).values()].sort((a, b) => a.position - b.position);
  if (unique.length <= count) return unique;
  return Array.from({ length: count }, (_, j) => unique[Math.floor((j * unique.length) / count)]);
}

/** A cut value declared with its inferred element type (an unknown type is an error, never a guess). */
function cutValueInfo(index: GraphIndex, name: string, dims?: readonly number[]): ValueInfoProto {
  const elemType = index.elemTypeOf.get(name);
  if (!elemType) throw new Error(`the element type of cut value "${name}" cannot be derived from the graph`);
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: dims ? { dim: dims.map((d) => ({ dimValue: d })) } : undefined,
      },
    },
  };
}

/** The model with the cut tensors added as outputs, so one FP run also returns them. */
export function withCutOutputs(model: ModelProto, index: GraphIndex, tensors: readonly string[]): ModelProto {
  const graph = model.graph!;
  const extra = tensors.filter((t) => !index.graphOutputs.has(t)).map((t) => cutValueInfo(index, t));
  return onnx.ModelProto.create({ ...model, graph: onnx.GraphProto.create({ ...graph, output: [...(graph.output ?? []), ...extra] }) });
}

/**
 * The graph from `cut` to the outputs: the cut tensors become inputs (with the dims the FP run gave),
 * configuration inputs stay inputs, and constant or configuration nodes the suffix reads are copied in.
 */
export function suffixModel(model: ModelProto, index: GraphIndex, cut: GraphCut, cutDims: ReadonlyMap<string, readonly number[]>): ModelProto {
  return segmentModel(model, index, { from: cut, to: null, fromDims: cutDims });
}

/**
 * The graph between two cuts: from `from` (null: the graph's start) up to `to` (null: the end), whose
 * outputs are then the values crossing `to` (or the graph's outputs). The values crossing `from` become
 * inputs with the dims the FP run gave; image inputs, configuration inputs, and constant or
 * configuration nodes the segment reads are kept, so each segment holds only its own weights.
 */
export function segmentModel(
  model: ModelProto,
  index: GraphIndex,
  segment: { from: GraphCut | null; to: GraphCut | null; fromDims: ReadonlyMap<string, readonly number[]> },
): ModelProto {
  const graph = model.graph!;
  const { nodes, producerOf, classOf } = index;
  const { from, to } = segment;
  const start = from?.position ?? 0;
  const end = to?.position ?? nodes.length;
  const cutTensors = new Set(from?.tensors ?? []);
  const keep = new Set<number>();
  const needed: string[] = [];
  for (let position = start; position < end; position++) {
    if (!isDataNode(index, nodes[position])) continue;
    keep.add(position);
    needed.push(...nodeReads(nodes[position]));
  }
  // Graph outputs that cross `from` are fed, so the caller already holds them.
  const outputs = to ? to.tensors : [...index.graphOutputs].filter((name) => !cutTensors.has(name));
  for (const output of outputs) if (!cutTensors.has(output)) needed.push(output);
  // Walk back from what the segment reads, through constant/config producers only.
  while (needed.length > 0) {
    const tensor = needed.pop()!;
    if (tensor === '' || cutTensors.has(tensor)) continue;
    const producer = producerOf.get(tensor);
    if (producer === undefined || keep.has(producer)) continue;
    if (classOf.get(tensor) === 'data') {
      throw new Error(`the segment from node ${start} also needs "${tensor}" from before node ${start}`);
    }
    keep.add(producer);
    needed.push(...nodeReads(nodes[producer]));
  }
  const keptNodes = [...keep].sort((a, b) => a - b).map((position) => nodes[position]);
  const read = new Set(keptNodes.flatMap((node) => nodeReads(node)));
  for (const output of outputs) read.add(output);
  const inputs = [
    ...(from?.tensors ?? []).map((t) => cutValueInfo(index, t, segment.fromDims.get(t))),
    ...(graph.input ?? []).filter((input) => read.has(input.name ?? '') && !cutTensors.has(input.name ?? '')),
  ];
  const graphOutputs = new Map((graph.output ?? []).map((o) => [o.name ?? '', o]));
  return onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({
      ...graph,
      name: `${graph.name ?? 'graph'}_nodes_${start}_to_${end}`,
      node: keptNodes,
      input: inputs,
      output: outputs.map((name) => graphOutputs.get(name) ?? cutValueInfo(index, name)),
      initializer: (graph.initializer ?? []).filter((t) => read.has(t.name ?? '')),
      valueInfo: (graph.valueInfo ?? []).filter((v) => !cutTensors.has(v.name ?? '') && !outputs.includes(v.name ?? '')),
    }),
  });
}

/** A node computing an image-dependent value (constant and configuration nodes are copied where read). */
function isDataNode(index: GraphIndex, node: NodeProto): boolean {
  return (node.output ?? []).some((name) => name !== '' && index.classOf.get(name) === 'data');
}
