/**
 * The Hessians GPTQ needs (quant/gptq.ts): H = Σ XᵀX over a weight unit's calibration inputs, with X
 * the unit's input as rows of its reduction features. Computed inside the graph, so only [F, F] leaves
 * it per unit and run (never the activations), and summed over runs in float64.
 *
 * - MatMul x·W (W [K, N]) and Gemm A·B (transA 0): X = x reshaped to [−1, K].
 * - Conv with one group: X = im2col(x), made by a Conv with an identity kernel [F, C_in, k…] and the
 *   unit's strides, pads and dilations, so feature f = (c_in, k…) in the weight's own order.
 * Other units (grouped or transposed convolutions, a weight on the left of a MatMul, transA) have no
 * Hessian here and keep round-to-nearest.
 */
import { GraphBuilder, valueInfo } from '../onnx/builder.ts';
import { attrInt, getAttribute, intAttr, intsAttr } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { encodeModelBytes, shallowCloneModel, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import { DataType } from '../onnx/tensor.ts';
import { inferElemTypes, requireElemType } from '../onnx/types.ts';
import type { QuantUnit } from './units.ts';

/** Reduction features of a unit's weight rows (the Hessian is F × F), or null when GPTQ does not apply. */
export function hessianFeatures(unit: QuantUnit, node: NodeProto): number | null {
  const weight = unit.weight;
  if (!weight || weight.inputIndex !== 1 || weight.dims.length < 2) return null;
  switch (unit.op) {
    case 'MatMul':
      return weight.dims.length === 2 ? weight.dims[0] : null;
    case 'Gemm':
      if (attrInt(node, 'transA', 0) !== 0) return null;
      return attrInt(node, 'transB', 0) ? weight.dims[1] : weight.dims[0];
    case 'Conv':
      if (attrInt(node, 'group', 1) !== 1) return null;
      return weight.dims.slice(1).reduce((a, b) => a * b, 1);
    default:
      return null;
  }
}

/** Bytes of float32 Hessians one calibration pass may return at most (a pass holds at least one unit). */
export const HESSIAN_BYTES_PER_PASS = 128 * 2 ** 20;

interface HessianPass {
  model: ModelProto;
  /** Graph output holding each unit's XᵀX, by unit id. */
  outputs: Map<string, string>;
}

/** A copy of `model` that also returns XᵀX of each given unit's input (units must have hessianFeatures). */
export function withHessianOutputs(model: ModelProto, units: readonly QuantUnit[]): HessianPass {
  const copy = shallowCloneModel(model);
  const graph = copy.graph!;
  const types = inferElemTypes(graph);
  const nodes = new Map((graph.node ?? []).map((n, i) => [n.name || (n.output?.[0] ?? ''), { node: n, index: i }]));
  const b = new GraphBuilder('mq_hessian/');
  const outputs = new Map<string, string>();
  // Latest producer first, as graphStats.ts orders its reductions: each input is reduced and released early.
  const ordered = [...units].sort((u, v) => (nodes.get(v.nodeName)?.index ?? 0) - (nodes.get(u.nodeName)?.index ?? 0));
  for (const unit of ordered) {
    const entry = nodes.get(unit.nodeName);
    if (!entry) throw new Error(`Unit "${unit.id}" names node "${unit.nodeName}", which is not in this graph.`);
    const features = hessianFeatures(unit, entry.node);
    if (features === null) throw new Error(`Unit "${unit.id}" (${unit.op}) has no Hessian for GPTQ.`);
    let x = unit.activationInputs[0];
    if (requireElemType(types, graph, x) !== DataType.FLOAT) x = b.op('Cast', [x], { attributes: [intAttr('to', DataType.FLOAT)] });
    if (unit.op === 'Conv') x = im2col(b, x, entry.node, unit.weight!.dims);
    const rows = b.op('Reshape', [x, b.ints64('rows', [-1, features])]);
    const h = b.op('MatMul', [b.op('Transpose', [rows], { attributes: [intsAttr('perm', [1, 0])] }), rows]);
    b.outputs.push(valueInfo(h, DataType.FLOAT, [features, features]));
    outputs.set(unit.id, h);
  }
  graph.node = [...(graph.node ?? []), ...b.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...b.initializers];
  graph.output = [...(graph.output ?? []), ...b.outputs];
  return { model: copy, outputs };
}

/** im2col of a convolution's input as [N, s…, F]: a Conv with an identity kernel, features last. */
function im2col(b: GraphBuilder, x: string, node: NodeProto, weightDims: readonly number[]): string {
  const [, channels, ...kernel] = weightDims;
  const kernelSize = kernel.reduce((a, c) => a * c, 1);
  const features = channels * kernelSize;
  const eye = new Float32Array(features * features);
  for (let f = 0; f < features; f++) eye[f * features + f] = 1; // kernel [F, C_in, k…]: output f reads (c_in, k…) = f
  const attributes = ['strides', 'pads', 'dilations', 'auto_pad'].flatMap((name) => {
    const attribute = getAttribute(node, name);
    return attribute ? [attribute] : [];
  });
  const patches = b.op('Conv', [x, b.init(b.fresh('eye'), [features, channels, ...kernel], eye)], { attributes: [...attributes, intsAttr('kernel_shape', kernel)] });
  const rank = 2 + kernel.length;
  return b.op('Transpose', [patches], { attributes: [intsAttr('perm', [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1])] });
}

export interface CollectHessiansOptions {
  sessionOptions?: SessionOptions;
  /** Bytes of Hessians per pass (default HESSIAN_BYTES_PER_PASS). */
  bytesPerPass?: number;
  /** Each run's results of the first pass (the graph's own outputs are among them). */
  onFirstPassRun?: (run: number, results: OrtFeeds) => void;
  /** Called before each run; throwing stops the collection. */
  beforeRun?: (pass: number, run: number) => Promise<void> | void;
}

/**
 * Σ XᵀX (float64, F × F row-major) per unit over the runs `feeds`, in passes of a bounded number of
 * Hessian bytes; each pass is one session, released before the next is made.
 */
export async function collectHessians(
  ort: OrtModule,
  model: ModelProto,
  units: readonly QuantUnit[],
  feeds: readonly OrtFeeds[],
  options: CollectHessiansOptions = {},
): Promise<Map<string, Float64Array>> {
  const nodes = new Map((model.graph?.node ?? []).map((n) => [n.name || (n.output?.[0] ?? ''), n]));
  const sized = units.map((unit) => ({ unit, features: hessianFeatures(unit, nodes.get(unit.nodeName)!) }));
  const limit = options.bytesPerPass ?? HESSIAN_BYTES_PER_PASS;
  const passes: QuantUnit[][] = [];
  let bytes = Infinity;
  for (const { unit, features } of sized) {
    if (features === null) continue;
    const size = features * features * 4;
    if (bytes + size > limit) {
      passes.push([]);
      bytes = 0;
    }
    passes[passes.length - 1].push(unit);
    bytes += size;
  }
  const sums = new Map<string, Float64Array>();
  for (const [p, passUnits] of passes.entries()) {
    const pass = withHessianOutputs(model, passUnits);
    const session = await ort.InferenceSession.create(encodeModelBytes(pass.model), options.sessionOptions);
    try {
      for (const [run, runFeeds] of feeds.entries()) {
        await options.beforeRun?.(p, run);
        const results = await session.run(Object.fromEntries(session.inputNames.filter((n) => runFeeds[n]).map((n) => [n, runFeeds[n]])));
        for (const [id, output] of pass.outputs) {
          const h = results[output].data as Float32Array;
          const sum = sums.get(id) ?? new Float64Array(h.length);
          for (let i = 0; i < h.length; i++) sum[i] += h[i];
          sums.set(id, sum);
        }
        if (p === 0) options.onFirstPassRun?.(run, results);
      }
    } finally {
      await session.release();
    }
  }
  return sums;
}
