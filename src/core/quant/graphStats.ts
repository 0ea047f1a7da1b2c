/**
 * Activation statistics reduced inside the graph, so that only a few numbers per site leave it: a
 * calibration run then costs what a plain forward costs in memory (a ViT-B global attention map is
 * [12,4096,4096] fp32 ≈ 805 MB; asking for its 98 activation inputs as outputs needed 22 GB).
 *
 * Per value, on request: its dims (Shape), its min and max (ReduceMin / ReduceMax over every axis), a
 * strided sample of its flattened values (every ⌈n / samplePerBatch⌉-th, as ActivationSampler keeps),
 * and a strided sample of its rows (the rows [.., nq, nk] → [R, nk] taken every max(1, ⌊R / rows⌋)-th,
 * as the log2 τ search reads them). Every op is in the default domain and valid from opset 11 on.
 */
import { GraphBuilder, valueInfo } from '../onnx/builder.ts';
import { intAttr } from '../onnx/graph.ts';
import { shallowCloneModel, type ModelProto } from '../onnx/proto.ts';
import { DataType } from '../onnx/tensor.ts';
import { inferElemTypes, requireElemType } from '../onnx/types.ts';

export interface StatRequest {
  /** Min and max (default true; false: dims only, e.g. for MACs). */
  range?: boolean;
  /** Also a strided sample of this many values at most (ActivationSampler's). */
  sample?: number;
  /** Also the rows of the last axis, strided to about this many (the log2 τ search's). */
  rows?: number;
  /** Also the whole value (small tensors only, e.g. V of softmax·v). */
  whole?: boolean;
}

/** Output names of one value's statistics in the rewritten graph. */
export interface StatOutputs {
  shape: string;
  min?: string;
  max?: string;
  sample?: string;
  rows?: string;
  whole?: string;
}

const INT64_MAX = 9223372036854775807n;

/**
 * A copy of `model` returning, besides its own outputs, the requested statistics of each named value.
 * `outputs.get(name)` says which graph output holds what.
 */
export function withValueStats(model: ModelProto, requests: ReadonlyMap<string, StatRequest>): { model: ModelProto; outputs: Map<string, StatOutputs> } {
  const copy = shallowCloneModel(model);
  const graph = copy.graph!;
  const types = inferElemTypes(graph);
  const b = new GraphBuilder('mq_stat/');
  const int64 = (hint: string, values: (number | bigint)[]) =>
    b.init(b.fresh(hint), [values.length], BigInt64Array.from(values, (v) => BigInt(v)), DataType.INT64);
  // Shared constants, made on first use (onnxruntime warns about unused initializers).
  const constant = (hint: string, value: number | bigint) => {
    let name: string | undefined;
    return () => (name ??= int64(hint, [value]));
  };
  const [flatShape, zero, end, one, lastAxis] = [
    constant('flat', -1),
    constant('zero', 0),
    constant('end', INT64_MAX),
    constant('one', 1),
    constant('last', -1),
  ];
  const outputs = new Map<string, StatOutputs>();
  const declare = (name: string, elemType: number) => b.outputs.push(valueInfo(name, elemType, null));
  /**
   * The stride of a sample of about k of n items (n: a [1] int64 count) as a [1] int64 tensor:
   * 'up' ⌈n / k⌉, 'down' max(1, ⌊n / k⌋). In float64, exact for any tensor size, with ops every opset has.
   */
  const strideFor = (n: string, k: number, round: 'up' | 'down') => {
    const ratio = b.op('Div', [b.op('Cast', [n], { attributes: [intAttr('to', DataType.DOUBLE)] }), b.init(b.fresh('k'), [1], Float64Array.from([k]), DataType.DOUBLE)]);
    const whole = round === 'up' ? b.op('Ceil', [ratio]) : b.op('Max', [b.op('Floor', [ratio]), b.init(b.fresh('one_d'), [1], Float64Array.from([1]), DataType.DOUBLE)]);
    return b.op('Cast', [whole], { attributes: [intAttr('to', DataType.INT64)] });
  };
  const present = new Set((graph.output ?? []).map((o) => o.name));
  const statsOf = (name: string, request: StatRequest) => {
    const elemType = requireElemType(types, graph, name);
    const shape = b.op('Shape', [name]);
    declare(shape, DataType.INT64);
    const entry: StatOutputs = { shape };
    if (request.range !== false) {
      entry.min = b.op('ReduceMin', [name], { attributes: [intAttr('keepdims', 0)] });
      entry.max = b.op('ReduceMax', [name], { attributes: [intAttr('keepdims', 0)] });
      declare(entry.min, elemType);
      declare(entry.max, elemType);
    }
    if (request.sample) {
      const flat = b.op('Reshape', [name, flatShape()]);
      const count = b.op('Reshape', [b.op('Size', [name]), one()]);
      entry.sample = b.op('Slice', [flat, zero(), end(), zero(), strideFor(count, request.sample, 'up')]);
      declare(entry.sample, elemType);
    }
    if (request.rows) {
      const width = b.op('Gather', [shape, lastAxis()], { attributes: [intAttr('axis', 0)] });
      const matrix = b.op('Reshape', [name, b.op('Concat', [flatShape(), width], { attributes: [intAttr('axis', 0)] })]);
      const rowCount = b.op('Slice', [b.op('Shape', [matrix]), zero(), one()]);
      entry.rows = b.op('Slice', [matrix, zero(), end(), zero(), strideFor(rowCount, request.rows, 'down')]);
      declare(entry.rows, elemType);
    }
    if (request.whole) {
      entry.whole = name;
      if (!present.has(name)) declare(name, elemType);
    }
    outputs.set(name, entry);
  };
  // Appended after the graph's own nodes, the latest value's statistics first. onnxruntime orders nodes by a
  // depth-first walk back from the leaves, highest node index first: so the earliest value's statistics are
  // walked first and run as soon as that value exists, and every value is released before the next site's
  // producer runs. Measured on ViT-B (onnxruntime-node, 98 sites, a plain forward peaks at 4.35 GB): appended
  // in site order the calibration run peaked at 7.3 GB (every global attention map, 805 MB each, stayed alive
  // to the end), in this order at 4.4–4.7 GB. Placed after each producer or tied before the value's consumers
  // it peaked at 12 GB (the graph's own output is then walked first).
  const producedAt = new Map<string, number>();
  (graph.node ?? []).forEach((node, index) => node.output?.forEach((output) => producedAt.set(output, index)));
  const latestFirst = [...requests].sort(([a], [b]) => (producedAt.get(b) ?? -1) - (producedAt.get(a) ?? -1));
  for (const [name, request] of latestFirst) statsOf(name, request);
  graph.node = [...(graph.node ?? []), ...b.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...b.initializers];
  graph.output = [...(graph.output ?? []), ...b.outputs];
  return { model: copy, outputs };
}

/** Reads a [k] or scalar int64 output as numbers. */
export function int64Values(data: unknown): number[] {
  return Array.from(data as BigInt64Array, (v) => Number(v));
}
