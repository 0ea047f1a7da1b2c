/**
 * Evaluates a constant weight path in TypeScript (initializer, possibly through Transpose / Reshape /
 * Cast / Identity / Flatten / Squeeze / Unsqueeze), so quantizer ranges can be computed on the values
 * the consuming node really sees.
 */
import { attrInt, attrInts, type GraphIndex } from './graph.ts';
import { readFloatTensor, readIntTensor, numel } from './tensor.ts';

export interface FloatArray {
  dims: number[];
  data: Float32Array;
}

/** Ops a weight may pass through between its initializer and the quantized node. */
export const WEIGHT_PATH_OPS = ['Identity', 'Cast', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'] as const;

/** The chain of nodes from the initializer to `name` (empty when `name` is the initializer itself). */
export function weightPath(index: GraphIndex, name: string, consumerName: string): string[] {
  const path: string[] = [];
  let current = name;
  for (;;) {
    if (index.constantTensor(current)) return path.reverse();
    const node = index.producer.get(current);
    if (!node) throw new Error(`Weight "${name}" of node "${consumerName}" is not a constant.`);
    if (!(WEIGHT_PATH_OPS as readonly string[]).includes(node.opType ?? '')) {
      throw new Error(
        `Unsupported op ${node.opType} ("${node.name}") on the weight path of node "${consumerName}": ` +
          `only ${WEIGHT_PATH_OPS.join(', ')} of a constant are understood.`,
      );
    }
    path.push(node.name ?? '');
    current = node.input?.[0] ?? '';
  }
}

/** Computes the float32 value of a constant weight path. */
export function foldWeight(index: GraphIndex, name: string, consumerName: string): FloatArray {
  const tensor = index.constantTensor(name);
  if (tensor) return readFloatTensor(tensor);
  const node = index.producer.get(name);
  if (!node) throw new Error(`Weight "${name}" of node "${consumerName}" is not a constant.`);
  const op = node.opType ?? '';
  if (!(WEIGHT_PATH_OPS as readonly string[]).includes(op)) {
    throw new Error(
      `Unsupported op ${op} ("${node.name}") on the weight path of node "${consumerName}": ` +
        `only ${WEIGHT_PATH_OPS.join(', ')} of a constant are understood.`,
    );
  }
  const source = foldWeight(index, node.input?.[0] ?? '', consumerName);
  const shapeInput = (i: number): number[] => {
    const t = index.constantTensor(node.input?.[i] ?? '');
    if (!t) throw new Error(`Node "${node.name}" on a weight path has a non-constant shape input.`);
    return readIntTensor(t);
  };
  switch (op) {
    case 'Identity':
    case 'Cast':
      return source;
    case 'Transpose': {
      const perm = attrInts(node, 'perm') ?? source.dims.map((_, i) => source.dims.length - 1 - i);
      return transpose(source, perm);
    }
    case 'Reshape':
      return { dims: resolveReshape(source.dims, shapeInput(1), attrInt(node, 'allowzero', 0) === 1), data: source.data };
    case 'Flatten': {
      const axis = normAxis(attrInt(node, 'axis', 1), source.dims.length + 1);
      return { dims: [numel(source.dims.slice(0, axis)), numel(source.dims.slice(axis))], data: source.data };
    }
    case 'Squeeze': {
      const axes = node.input?.[1] ? shapeInput(1) : attrInts(node, 'axes');
      const drop = new Set((axes ?? source.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => normAxis(a, source.dims.length)));
      return { dims: source.dims.filter((_, i) => !drop.has(i)), data: source.data };
    }
    case 'Unsqueeze': {
      const axes = (node.input?.[1] ? shapeInput(1) : attrInts(node, 'axes')) ?? [];
      const rank = source.dims.length + axes.length;
      const add = new Set(axes.map((a) => normAxis(a, rank)));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(add.has(i) ? 1 : source.dims[j++]);
      return { dims, data: source.data };
    }
    default:
      throw new Error(`unreachable: ${op}`);
  }
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export function resolveReshape(inputDims: readonly number[], shape: readonly number[], allowZero: boolean): number[] {
  const dims = shape.map((d, i) => (d === 0 && !allowZero ? inputDims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return dims.map((d) => (d === -1 ? numel(inputDims) / known : d));
}

export function transpose(source: FloatArray, perm: readonly number[]): FloatArray {
  const rank = source.dims.length;
  const outDims = perm.map((p) => source.dims[p]);
  const inStrides = stridesOf(source.dims);
  const outStrides = stridesOf(outDims);
  const out = new Float32Array(source.data.length);
  const total = out.length;
  for (let o = 0; o < total; o++) {
    let rest = o;
    let offset = 0;
    for (let k = 0; k < rank; k++) {
      const coordinate = Math.floor(rest / outStrides[k]);
      rest -= coordinate * outStrides[k];
      offset += coordinate * inStrides[perm[k]];
    }
    out[o] = source.data[offset];
  }
  return { dims: outDims, data: out };
}

export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}
