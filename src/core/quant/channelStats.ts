/**
 * Per-channel activation statistics reduced inside the graph (as graphStats.ts does per tensor): for a
 * value whose channels lie on its last axis (tokens [.., C]) or on axis 1 (feature maps [N, C, H, W]),
 * only [C] numbers per statistic leave the graph. Outlier migration reads max |x_j|, BIG reads each
 * key channel's min, max and mean. Collected over a list of feeds with an injected onnxruntime.
 */
import { GraphBuilder, valueInfo } from '../onnx/builder.ts';
import { defaultOpset, intAttr, intsAttr } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { encodeModelBytes, shallowCloneModel, type ModelProto } from '../onnx/proto.ts';
import { DataType } from '../onnx/tensor.ts';
import { inferElemTypes, requireElemType } from '../onnx/types.ts';
import { int64Values } from './graphStats.ts';

export type ChannelStatKind = 'absMax' | 'min' | 'max' | 'mean';

export interface ChannelStatRequest {
  /** Axis holding the channels: -1 (last) or 1 (NCHW). */
  axis: -1 | 1;
  channels: number;
  kinds: readonly ChannelStatKind[];
}

/** Statistics of one value over every feed: absMax, min, max over all of them, mean averaged per feed. */
export type ChannelStats = Partial<Record<ChannelStatKind, Float32Array>>;

export interface CollectedChannelStats {
  channels: Map<string, ChannelStats>;
  /** Dims of the values asked for in `dimsOf` (from the first feed). */
  dims: Map<string, number[]>;
}

const REDUCE_OP: Record<ChannelStatKind, string> = { absMax: 'ReduceMax', min: 'ReduceMin', max: 'ReduceMax', mean: 'ReduceMean' };

/**
 * A copy of `model` that also outputs the requested per-channel statistics and the dims of `dimsOf`.
 * The value is viewed as [rows, C] (axis −1) or [N, C, rest] (axis 1) so the reduced axes do not depend on
 * its rank; axes are an attribute before opset 18 and an input from 18 on.
 */
export function withChannelStats(
  model: ModelProto,
  requests: ReadonlyMap<string, ChannelStatRequest>,
  dimsOf: readonly string[] = [],
): { model: ModelProto; outputs: Map<string, Partial<Record<ChannelStatKind, string>>>; dimsOutputs: Map<string, string> } {
  const copy = shallowCloneModel(model);
  const graph = copy.graph!;
  const types = inferElemTypes(graph);
  const axesAsInput = defaultOpset(model) >= 18;
  const b = new GraphBuilder('mq_chan/');
  const outputs = new Map<string, Partial<Record<ChannelStatKind, string>>>();
  const producedAt = new Map<string, number>();
  (graph.node ?? []).forEach((node, index) => node.output?.forEach((output) => producedAt.set(output, index)));
  // Latest value first, as graphStats.ts explains: each value is released before the next site's producer runs.
  const latestFirst = [...requests].sort(([a], [c]) => (producedAt.get(c) ?? -1) - (producedAt.get(a) ?? -1));
  for (const [name, request] of latestFirst) {
    const elemType = requireElemType(types, graph, name);
    const view = b.op('Reshape', [name, b.ints64('view', request.axis === -1 ? [-1, request.channels] : [0, request.channels, -1])]);
    const reduced = request.axis === -1 ? [0] : [0, 2];
    const entry: Partial<Record<ChannelStatKind, string>> = {};
    for (const kind of request.kinds) {
      const source = kind === 'absMax' ? b.op('Abs', [view]) : view;
      const keep = intAttr('keepdims', 0);
      entry[kind] = axesAsInput
        ? b.op(REDUCE_OP[kind], [source, b.ints64('axes', reduced)], { attributes: [keep] })
        : b.op(REDUCE_OP[kind], [source], { attributes: [keep, intsAttr('axes', reduced)] });
      b.outputs.push(valueInfo(entry[kind], elemType, [request.channels]));
    }
    outputs.set(name, entry);
  }
  const dimsOutputs = new Map<string, string>();
  for (const name of new Set(dimsOf)) {
    const shape = b.op('Shape', [name]);
    b.outputs.push(valueInfo(shape, DataType.INT64, null));
    dimsOutputs.set(name, shape);
  }
  graph.node = [...(graph.node ?? []), ...b.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...b.initializers];
  graph.output = [...(graph.output ?? []), ...b.outputs];
  return { model: copy, outputs, dimsOutputs };
}

/** Runs the statistics copy on each feed set and merges the per-feed statistics. */
export async function collectChannelStats(
  ort: OrtModule,
  model: ModelProto,
  requests: ReadonlyMap<string, ChannelStatRequest>,
  feeds: readonly OrtFeeds[],
  options: { dimsOf?: readonly string[]; sessionOptions?: SessionOptions } = {},
): Promise<CollectedChannelStats> {
  if (feeds.length === 0) throw new Error('Channel statistics need at least one set of calibration inputs.');
  if (requests.size === 0 && (options.dimsOf ?? []).length === 0) return { channels: new Map(), dims: new Map() };
  const built = withChannelStats(model, requests, options.dimsOf);
  const session = await ort.InferenceSession.create(encodeModelBytes(built.model), options.sessionOptions);
  const channels = new Map<string, ChannelStats>();
  const dims = new Map<string, number[]>();
  const wanted = [...[...built.outputs.values()].flatMap((entry) => Object.values(entry)), ...built.dimsOutputs.values()];
  try {
    for (const feed of feeds) {
      const results = await session.run(feed, wanted);
      for (const [name, entry] of built.outputs) {
        const merged = channels.get(name) ?? {};
        for (const [kind, output] of Object.entries(entry) as [ChannelStatKind, string][]) {
          merged[kind] = mergeStat(kind, merged[kind], results[output].data as Float32Array, feeds.length);
        }
        channels.set(name, merged);
      }
      for (const [name, output] of built.dimsOutputs) if (!dims.has(name)) dims.set(name, int64Values(results[output].data));
    }
  } finally {
    await session.release();
  }
  return { channels, dims };
}

function mergeStat(kind: ChannelStatKind, soFar: Float32Array | undefined, batch: Float32Array, feedCount: number): Float32Array {
  if (kind === 'mean') {
    const sum = soFar ?? new Float32Array(batch.length);
    for (let j = 0; j < batch.length; j++) sum[j] += batch[j] / feedCount;
    return sum;
  }
  if (!soFar) return Float32Array.from(batch);
  const pick = kind === 'min' ? Math.min : Math.max;
  for (let j = 0; j < batch.length; j++) soFar[j] = pick(soFar[j], batch[j]);
  return soFar;
}
