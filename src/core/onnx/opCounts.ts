/** Op types of a graph and how many nodes of each (subgraphs included): what a session really runs. */
import type { GraphProto, ModelProto } from './proto.ts';

/** Key of an op: its type, prefixed by its domain outside the default one ("com.microsoft.MatMulNBits"). */
export function opKey(domain: string | null | undefined, opType: string | null | undefined): string {
  return domain && domain !== 'ai.onnx' ? `${domain}.${opType ?? ''}` : (opType ?? '');
}

export function countOpTypes(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  const visit = (graph: GraphProto | null | undefined) => {
    for (const node of graph?.node ?? []) {
      const key = opKey(node.domain, node.opType);
      counts[key] = (counts[key] ?? 0) + 1;
      for (const attribute of node.attribute ?? []) for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) visit(sub);
    }
  };
  visit(model.graph);
  return counts;
}

/** Nodes of an op type whatever its domain ("MatMulNBits" counts com.microsoft.MatMulNBits). */
export function countOf(counts: Readonly<Record<string, number>>, opType: string): number {
  return Object.entries(counts).reduce((sum, [key, n]) => (key === opType || key.endsWith(`.${opType}`) ? sum + n : sum), 0);
}
