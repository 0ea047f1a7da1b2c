/**
 * Element-type inference over a graph, from the operators' type constraints (the ONNX operator
 * schemas), not from whichever input happens to be typed first. Declared types (graph inputs, outputs,
 * value_info, initializers) are taken as given; every node output is then derived in topological
 * order. Rules cover the default domain and the com.microsoft ops onnxruntime fuses into; a node whose
 * output type cannot be derived leaves it unknown, and `requireElemType` says so by name.
 */
import { attrInt, getAttribute, isDefaultDomain } from './graph.ts';
import type { GraphProto, NodeProto } from './proto.ts';
import { DataType } from './tensor.ts';

type Rule =
  /** Output k takes the type of input `from` (the op's type variable binds them). */
  | { kind: 'input'; from: number }
  | { kind: 'fixed'; type: number };

const sameAs = (from: number): Rule => ({ kind: 'input', from });
const fixed = (type: number): Rule => ({ kind: 'fixed', type });

const BOOL_OPS = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf'];
const INT64_OPS = ['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression'];

/** Per-op rules for each output; ops not listed bind every output to input 0 (elementwise, Conv, MatMul, shape ops…). */
const OUTPUT_RULES: Record<string, readonly Rule[]> = {
  ...Object.fromEntries(BOOL_OPS.map((op) => [op, [fixed(DataType.BOOL)]])),
  ...Object.fromEntries(INT64_OPS.map((op) => [op, [fixed(DataType.INT64)]])),
  Where: [sameAs(1)],
  CastLike: [sameAs(1)],
  DequantizeLinear: [sameAs(1)],
  DynamicQuantizeLinear: [fixed(DataType.UINT8), fixed(DataType.FLOAT), fixed(DataType.UINT8)],
  MatMulInteger: [fixed(DataType.INT32)],
  ConvInteger: [fixed(DataType.INT32)],
  QLinearMatMul: [sameAs(7)],
  QLinearConv: [sameAs(7)],
  OneHot: [sameAs(2)],
  TopK: [sameAs(0), fixed(DataType.INT64)],
  Unique: [sameAs(0), fixed(DataType.INT64), fixed(DataType.INT64), fixed(DataType.INT64)],
  MaxPool: [sameAs(0), fixed(DataType.INT64)],
  Dropout: [sameAs(0), fixed(DataType.BOOL)],
  LayerNormalization: [sameAs(0), fixed(DataType.FLOAT), fixed(DataType.FLOAT)],
  StringNormalizer: [fixed(DataType.STRING)],
  RegexFullMatch: [fixed(DataType.BOOL)],
  // com.microsoft
  MatMulIntegerToFloat: [sameAs(2)],
  DynamicQuantizeMatMul: [sameAs(0)],
  MatMulNBits: [sameAs(0)],
  QGemm: [sameAs(0)],
};

/** Ops whose output type is an attribute (with the schema's default when it is absent). */
function attributeType(node: NodeProto): number | null | undefined {
  switch (node.opType) {
    case 'Cast':
      return attrInt(node, 'to', 0) || null;
    case 'Constant':
      return constantType(node);
    case 'ConstantOfShape':
      return getAttribute(node, 'value')?.t?.dataType ?? DataType.FLOAT;
    case 'RandomNormal':
    case 'RandomUniform':
      return attrInt(node, 'dtype', DataType.FLOAT);
    case 'Multinomial':
      return attrInt(node, 'dtype', DataType.INT32);
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'EyeLike':
    case 'Bernoulli':
      return getAttribute(node, 'dtype') ? attrInt(node, 'dtype', 0) : undefined;
    case 'QuantizeLinear':
      // y takes the zero point's type; without one, output_dtype (opset 21) or uint8.
      return (node.input ?? [])[2] ? undefined : attrInt(node, 'output_dtype', 0) || DataType.UINT8;
    default:
      return undefined;
  }
}

function constantType(node: NodeProto): number | null {
  for (const attribute of node.attribute ?? []) {
    switch (attribute.name) {
      case 'value':
        return attribute.t?.dataType ?? null;
      case 'value_float':
      case 'value_floats':
        return DataType.FLOAT;
      case 'value_int':
      case 'value_ints':
        return DataType.INT64;
      case 'value_string':
      case 'value_strings':
        return DataType.STRING;
    }
  }
  return null;
}

/** Subgraph ops (If, Loop, Scan) declare their outputs' types in the branch graphs. */
function subgraphOutputType(node: NodeProto, k: number): number | null {
  const body = getAttribute(node, node.opType === 'If' ? 'then_branch' : 'body')?.g;
  if (!body) return null;
  // Loop's body outputs are (cond, carried…, scan…); its node outputs skip cond.
  const offset = node.opType === 'Loop' ? 1 : 0;
  return body.output?.[k + offset]?.type?.tensorType?.elemType || null;
}

/** The type of output `k` of `node`, given the types known so far; null when it cannot be derived. */
export function nodeOutputType(node: NodeProto, k: number, known: ReadonlyMap<string, number>): number | null {
  const op = node.opType ?? '';
  const inputs = node.input ?? [];
  const domain = node.domain ?? '';
  const knownDomain = isDefaultDomain(node) || domain === 'com.microsoft';
  if (!knownDomain) return null;
  if (op === 'If' || op === 'Loop' || op === 'Scan') return subgraphOutputType(node, k);
  if (op === 'QuantizeLinear' && inputs[2]) return known.get(inputs[2]) ?? null;
  const fromAttribute = attributeType(node);
  if (fromAttribute !== undefined) return fromAttribute;
  const rules = OUTPUT_RULES[op];
  const rule = rules ? rules[Math.min(k, rules.length - 1)] : sameAs(0);
  if (rule.kind === 'fixed') return rule.type;
  const source = inputs[rule.from];
  return source ? (known.get(source) ?? null) : null;
}

/** Element type of every value in the graph whose type is declared or derivable. */
export function inferElemTypes(graph: GraphProto, outer: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const types = new Map<string, number>(outer);
  for (const initializer of graph.initializer ?? []) if (initializer.name && initializer.dataType) types.set(initializer.name, initializer.dataType);
  for (const info of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const elemType = info.type?.tensorType?.elemType;
    if (info.name && elemType) types.set(info.name, elemType);
  }
  // One pass suffices for a topologically sorted graph; further passes cover graphs stored out of order.
  for (let progress = true; progress; ) {
    progress = false;
    for (const node of graph.node ?? []) {
      (node.output ?? []).forEach((output, k) => {
        if (!output || types.has(output)) return;
        const type = nodeOutputType(node, k, types);
        if (type) {
          types.set(output, type);
          progress = true;
        }
      });
    }
  }
  return types;
}

/** The type of a value, or an error naming it and the node that makes it when it cannot be derived. */
export function requireElemType(types: ReadonlyMap<string, number>, graph: GraphProto, name: string): number {
  const type = types.get(name);
  if (type) return type;
  const producer = (graph.node ?? []).find((node) => (node.output ?? []).includes(name));
  const by = producer ? `node "${producer.name}" (${producer.domain ? producer.domain + '.' : ''}${producer.opType})` : 'no node';
  throw new Error(`The element type of "${name}" (made by ${by}) is not declared in the graph and cannot be derived from its operator.`);
}
