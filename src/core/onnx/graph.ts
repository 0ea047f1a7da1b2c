/** Read-only queries over a GraphProto: producers, consumers, constants, attributes, order. */
import { int64ToNumber, onnx, type AttributeProto, type GraphProto, type Int64Like, type NodeProto, type TensorProto } from './proto.ts';

export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly graphInputs: Set<string>;
  readonly graphOutputs: Set<string>;

  constructor(readonly graph: GraphProto) {
    for (const init of graph.initializer ?? []) this.initializers.set(init.name ?? '', init);
    for (const node of graph.node ?? []) {
      for (const output of node.output ?? []) if (output) this.producer.set(output, node);
      for (const input of node.input ?? []) {
        if (!input) continue;
        const list = this.consumers.get(input);
        if (list) list.push(node);
        else this.consumers.set(input, [node]);
      }
    }
    // Inputs that also have an initializer are overridable defaults, not constants (IR ≥ 4).
    this.graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ''));
    this.graphOutputs = new Set((graph.output ?? []).map((v) => v.name ?? ''));
  }

  /** The constant tensor a name holds directly (initializer or Constant node), else null. */
  constantTensor(name: string): TensorProto | null {
    if (this.graphInputs.has(name)) return null;
    const init = this.initializers.get(name);
    if (init) return init;
    const node = this.producer.get(name);
    if (node?.opType === 'Constant' && isDefaultDomain(node)) {
      const value = node.attribute?.find((a) => a.name === 'value');
      if (value?.t) return value.t;
      throw new Error(`Constant node "${node.name}" uses an attribute form other than "value"; not supported.`);
    }
    return null;
  }

  /** Whether a value is computed from constants only (no graph input on its path). */
  isConstant(name: string, seen = new Map<string, boolean>()): boolean {
    const known = seen.get(name);
    if (known !== undefined) return known;
    let result: boolean;
    if (this.graphInputs.has(name)) result = false;
    else if (this.initializers.has(name)) result = true;
    else {
      const node = this.producer.get(name);
      if (!node) result = false;
      else if (node.opType === 'Constant') result = true;
      else if ((node.input ?? []).filter(Boolean).length === 0) result = false;
      else {
        seen.set(name, false); // guards cycles
        result = (node.input ?? []).every((input) => !input || this.isConstant(input, seen));
      }
    }
    seen.set(name, result);
    return result;
  }

  /** Nodes in a topological order (stable: keeps file order where it is already valid). */
  topologicalNodes(): NodeProto[] {
    const nodes = this.graph.node ?? [];
    const available = new Set<string>([...this.graphInputs, ...this.initializers.keys(), '']);
    const waiting = new Map<NodeProto, number>();
    const ready: NodeProto[] = [];
    const blockedOn = new Map<string, NodeProto[]>();
    for (const node of nodes) {
      const missing = new Set((node.input ?? []).filter((i) => !available.has(i) && this.producer.has(i)));
      waiting.set(node, missing.size);
      if (missing.size === 0) ready.push(node);
      for (const name of missing) {
        const list = blockedOn.get(name);
        if (list) list.push(node);
        else blockedOn.set(name, [node]);
      }
    }
    const order: NodeProto[] = [];
    const position = new Map(nodes.map((n, i) => [n, i]));
    while (ready.length > 0) {
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
      const node = ready.shift()!;
      order.push(node);
      for (const output of node.output ?? []) {
        for (const next of blockedOn.get(output) ?? []) {
          const left = waiting.get(next)! - 1;
          waiting.set(next, left);
          if (left === 0) ready.push(next);
        }
        blockedOn.delete(output);
      }
    }
    if (order.length !== nodes.length) throw new Error('The graph has a cycle or a node reads a value nothing produces.');
    return order;
  }
}

export function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const attribute = getAttribute(node, name);
  return attribute ? int64ToNumber(attribute.i as Int64Like) : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | null {
  const attribute = getAttribute(node, name);
  return attribute ? (attribute.ints ?? []).map((v) => int64ToNumber(v as Int64Like)) : null;
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const attribute = getAttribute(node, name);
  return attribute ? (attribute.f ?? fallback) : fallback;
}

export function attrString(node: NodeProto, name: string, fallback: string): string {
  const attribute = getAttribute(node, name);
  return attribute?.s ? utf8Decode(attribute.s) : fallback;
}

const A = onnx.AttributeProto.AttributeType;

/** Attribute builders: `intAttr('axis', 1)`, `intsAttr('perm', [0, 2, 1])`, … */
export const intAttr = (name: string, i: number): AttributeProto => ({ name, type: A.INT, i });
export const intsAttr = (name: string, ints: number[]): AttributeProto => ({ name, type: A.INTS, ints });
export const floatAttr = (name: string, f: number): AttributeProto => ({ name, type: A.FLOAT, f });
export const stringAttr = (name: string, s: string): AttributeProto => ({ name, type: A.STRING, s: utf8Encode(s) });
export const tensorAttr = (name: string, t: TensorProto): AttributeProto => ({ name, type: A.TENSOR, t });

/** Opset version of the default ONNX domain. */
export function defaultOpset(model: { opsetImport?: { domain?: string | null; version?: unknown }[] | null }): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? int64ToNumber(entry.version as Int64Like) : 0;
}

/** Static dims of a value from value_info / inputs / outputs / initializers (null where unknown or symbolic). */
export function staticShapes(graph: GraphProto): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const info of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const dims = info.type?.tensorType?.shape?.dim;
    if (!dims) continue;
    const values = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? int64ToNumber(d.dimValue as Int64Like) : -1));
    if (values.every((d) => d > 0) || (values.length === 0 && dims.length === 0)) shapes.set(info.name ?? '', values);
  }
  for (const init of graph.initializer ?? []) shapes.set(init.name ?? '', (init.dims ?? []).map((d) => int64ToNumber(d as Int64Like)));
  return shapes;
}

/** UTF-8 without TextEncoder (core compiles without DOM/worker libs). */
export function utf8Encode(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(bytes);
}

export function utf8Decode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const extra = b < 0x80 ? 0 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
    let c = extra === 0 ? b : b & (0x3f >> extra);
    for (let k = 1; k <= extra; k++) c = (c << 6) | (bytes[i + k] & 63);
    out += String.fromCodePoint(c);
    i += extra + 1;
  }
  return out;
}

/**
 * Every value a node reads: its inputs and the outer-scope values its subgraphs (If, Loop, Scan
 * branches) capture by name. Dependency passes must use this, not `node.input`, or an If whose
 * branches read an activation looks as if it depended on its condition only.
 */
export function nodeReads(node: NodeProto): string[] {
  const reads = (node.input ?? []).filter(Boolean);
  for (const attribute of node.attribute ?? []) {
    for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) if (sub) reads.push(...capturedBy(sub));
  }
  return reads;
}

/** Names a subgraph reads from the scopes around it. */
function capturedBy(graph: GraphProto): string[] {
  const local = new Set<string>([...(graph.input ?? []).map((i) => i.name ?? ''), ...(graph.initializer ?? []).map((t) => t.name ?? '')]);
  const captured: string[] = [];
  for (const node of graph.node ?? []) {
    for (const name of nodeReads(node)) if (!local.has(name)) captured.push(name);
    for (const output of node.output ?? []) local.add(output);
  }
  for (const output of graph.output ?? []) if (output.name && !local.has(output.name)) captured.push(output.name);
  return [...new Set(captured)];
}
