/** Graph rewriting helpers: inserting nodes in topological position, exposing values as outputs. */
import { GraphBuilder, valueInfo } from './builder.ts';
import { GraphIndex } from './graph.ts';
import { cloneModel, type GraphProto, type ModelProto, type NodeProto } from './proto.ts';
import { inferElemTypes, requireElemType } from './types.ts';

/**
 * Rebuilds the node list of a graph: `before(node)` and `after(node)` may emit nodes into the given
 * builder, which are placed right before / after that node (keeps the list topologically sorted).
 */
export function spliceNodes(
  graph: GraphProto,
  builder: GraphBuilder,
  visit: { before?: (node: NodeProto) => void; after?: (node: NodeProto) => void },
): void {
  const original = new GraphIndex(graph).topologicalNodes();
  const prologue = builder.nodes.splice(0);
  const nodes: NodeProto[] = [...prologue];
  for (const node of original) {
    visit.before?.(node);
    nodes.push(...builder.nodes.splice(0), node);
    visit.after?.(node);
    nodes.push(...builder.nodes.splice(0));
  }
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []), ...builder.initializers.splice(0)];
  graph.input = [...(graph.input ?? []), ...builder.inputs.splice(0)];
  graph.output = [...(graph.output ?? []), ...builder.outputs.splice(0)];
}

/**
 * A copy of the model that also returns the given intermediate values (for probes and calibration),
 * each declared with the element type inferred from the graph (onnx/types.ts).
 */
export function withExtraOutputs(model: ModelProto, names: readonly string[]): ModelProto {
  const copy = cloneModel(model);
  const graph = copy.graph!;
  const present = new Set((graph.output ?? []).map((o) => o.name));
  const wanted = [...new Set(names)].filter((name) => !present.has(name));
  if (wanted.length === 0) return copy;
  const types = inferElemTypes(graph);
  graph.output = [...(graph.output ?? []), ...wanted.map((name) => valueInfo(name, requireElemType(types, graph, name), null))];
  return copy;
}

/** Drops nodes whose outputs nobody reads, and initializers nobody reads. */
export function removeDeadNodes(graph: GraphProto): void {
  const needed = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const kept: NodeProto[] = [];
  for (const node of [...new GraphIndex(graph).topologicalNodes()].reverse()) {
    if ((node.output ?? []).some((o) => needed.has(o))) {
      kept.push(node);
      for (const input of node.input ?? []) needed.add(input);
      for (const attribute of node.attribute ?? []) {
        for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) {
          // Subgraphs may read outer values by name.
          for (const inner of sub?.node ?? []) for (const input of inner.input ?? []) needed.add(input);
        }
      }
    }
  }
  graph.node = kept.reverse();
  const inputs = new Set((graph.input ?? []).map((i) => i.name));
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? '') || inputs.has(t.name));
}
