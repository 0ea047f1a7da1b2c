/**
 * BIG, bimodal integration (PTQ4SAM; METHOD.md "Quantizers"): in the decoder's token→image attention
 * the post-key-linear activations k are bimodal per tensor, each channel sitting on one side of zero.
 * Negating channel c of both q and k (column c and bias c of the q and k projections) leaves every
 * head's q·kᵀ unchanged, exactly in FP (a sign flip rounds nothing), and with γ_c = sign(mean k_c) every
 * key channel ends on the positive side: one mode, a narrower per-tensor range for the quantizer.
 * Applied where it narrows the q·kᵀ inputs' ranges, measured on calibration feeds.
 */
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { shallowCloneModel, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import { removeDeadNodes } from '../onnx/rewrite.ts';
import { DataType, makeTensor } from '../onnx/tensor.ts';
import { inferElemTypes } from '../onnx/types.ts';
import { collectChannelStats, type ChannelStatRequest, type ChannelStats } from './channelStats.ts';
import { discoverUnits } from './units.ts';

/** A linear projection x·W + b whose output reaches the attention only. */
export interface Projection {
  matmul: NodeProto;
  add: NodeProto;
  /** Input index of the bias on the Add. */
  biasIndex: number;
  /** The Add's output: q or k before the heads are split. */
  output: string;
  /** The head split [B, N, heads, C/heads]. */
  reshape: string;
}

export interface BigCandidate {
  /** Name of the q·kᵀ MatMul. */
  attention: string;
  q: Projection;
  k: Projection;
  channels: number;
}

export interface BigStats {
  /** min, max (q and k) and mean (k) per channel, by projection output. */
  channels: Map<string, ChannelStats>;
  /** Measured dims of the head splits and of the image embedding. */
  dims: Map<string, number[]>;
}

export interface BigSiteReport {
  attention: string;
  /** Channels negated (mean of k below zero). */
  flipped: number;
  channels: number;
  /** Per-tensor ranges of k and q before and after the flip. */
  kRange: { before: [number, number]; after: [number, number] };
  qRange: { before: [number, number]; after: [number, number] };
  applied: boolean;
  reason: string;
}

const PASS_THROUGH = ['Transpose', 'Identity'];

/** Every q·kᵀ of the decoder whose q and k come straight from a projection with a bias; keys of any kind. */
export function findBigCandidates(model: ModelProto): BigCandidate[] {
  const index = new GraphIndex(model.graph!);
  const candidates: BigCandidate[] = [];
  for (const unit of discoverUnits(model, { graph: 'decoder' })) {
    if (unit.kind !== 'activation' || unit.postSoftmaxInput !== null) continue;
    const [q, k] = unit.activationInputs.map((value) => projectionOf(index, value));
    if (!q || !k) continue;
    const channels = (name: NodeProto) => foldWeight(index, name.input![1], name.name ?? '').dims[1];
    if (channels(q.matmul) !== channels(k.matmul)) continue;
    candidates.push({ attention: unit.nodeName, q, k, channels: channels(q.matmul) });
  }
  return candidates;
}

/** Back from a q·kᵀ input through Transpose, the head-split Reshape, the bias Add, to the MatMul; each read once. */
function projectionOf(index: GraphIndex, value: string): Projection | null {
  let node = index.producer.get(value);
  while (node && PASS_THROUGH.includes(node.opType ?? '') && onlyReader(index, node.output![0])) node = index.producer.get(node.input![0]);
  if (node?.opType !== 'Reshape' || !onlyReader(index, node.output![0])) return null;
  const reshape = node.output![0];
  const add = index.producer.get(node.input![0]);
  if (add?.opType !== 'Add' || !onlyReader(index, add.output![0])) return null;
  const biasIndex = (add.input ?? []).findIndex((name) => index.isConstant(name));
  const matmul = index.producer.get(add.input![1 - biasIndex] ?? '');
  if (biasIndex < 0 || matmul?.opType !== 'MatMul' || !onlyReader(index, matmul.output![0]) || !index.isConstant(matmul.input![1])) return null;
  const weight = foldWeight(index, matmul.input![1], matmul.name ?? '');
  const bias = foldWeight(index, add.input![biasIndex], add.name ?? '');
  if (weight.dims.length !== 2 || bias.dims.length !== 1 || bias.dims[0] !== weight.dims[1]) return null;
  return { matmul, add, biasIndex, output: add.output![0], reshape };
}

/** One node reads the value (besides Shape nodes, which read no values: the head split sizes itself by them). */
function onlyReader(index: GraphIndex, value: string): boolean {
  return (index.consumers.get(value) ?? []).filter((node) => node.opType !== 'Shape').length === 1 && !index.graphOutputs.has(value);
}

/** Per-channel min, max, mean of every candidate's q and k, and the dims that tell token→image attention apart. */
export async function collectBigStats(ort: OrtModule, model: ModelProto, feeds: readonly OrtFeeds[], sessionOptions?: SessionOptions): Promise<BigStats> {
  const candidates = findBigCandidates(model);
  const requests = new Map<string, ChannelStatRequest>();
  for (const candidate of candidates) {
    requests.set(candidate.q.output, { axis: -1, channels: candidate.channels, kinds: ['min', 'max'] });
    requests.set(candidate.k.output, { axis: -1, channels: candidate.channels, kinds: ['min', 'max', 'mean'] });
  }
  const dimsOf = [...candidates.flatMap((c) => [c.q.reshape, c.k.reshape]), ...imageInput(model)];
  return collectChannelStats(ort, model, requests, feeds, { dimsOf, sessionOptions });
}

function imageInput(model: ModelProto): string[] {
  return (model.graph?.input ?? []).some((input) => input.name === 'image_embeddings') ? ['image_embeddings'] : [];
}

/** A copy of the decoder with BIG folded into the token→image attentions where it narrows their ranges. */
export function applyBig(model: ModelProto, stats: BigStats): { model: ModelProto; report: BigSiteReport[] } {
  const copy = shallowCloneModel(model);
  const graph = copy.graph!;
  const index = new GraphIndex(graph);
  const types = inferElemTypes(graph);
  const image = stats.dims.get('image_embeddings');
  const imageTokens = image && image.length === 4 ? image[2] * image[3] : null;
  const added: ReturnType<typeof makeTensor>[] = [];
  const report: BigSiteReport[] = [];
  for (const candidate of findBigCandidates(copy)) {
    const [qDims, kDims] = [stats.dims.get(candidate.q.reshape), stats.dims.get(candidate.k.reshape)];
    if (!qDims || !kDims || imageTokens === null || kDims[1] !== imageTokens || qDims[1] === imageTokens) continue; // not token→image
    const q = stats.channels.get(candidate.q.output);
    const k = stats.channels.get(candidate.k.output);
    if (!q?.min || !q.max || !k?.min || !k.max || !k.mean) continue;
    const signs = k.mean.map((m) => (m < 0 ? -1 : 1));
    const kRange = { before: rangeOf(k.min, k.max, null), after: rangeOf(k.min, k.max, signs) };
    const qRange = { before: rangeOf(q.min, q.max, null), after: rangeOf(q.min, q.max, signs) };
    const width = (r: [number, number]) => r[1] - r[0];
    const cost = (width(kRange.after) / width(kRange.before)) ** 2 + (width(qRange.after) / width(qRange.before)) ** 2;
    const flipped = signs.filter((s) => s < 0).length;
    const entry = { attention: candidate.attention, flipped, channels: candidate.channels, kRange, qRange };
    const sameHeads = qDims.length === 4 && kDims.length === 4 && qDims[2] === kDims[2] && qDims[3] === kDims[3] && qDims[2] * qDims[3] === candidate.channels;
    const floats = [candidate.q, candidate.k].every((p) => types.get(p.matmul.input![1]) === DataType.FLOAT && types.get(p.add.input![p.biasIndex]) === DataType.FLOAT);
    const reason = !sameHeads
      ? `q and k are split into heads differently (${JSON.stringify(qDims)} vs ${JSON.stringify(kDims)})`
      : !floats
        ? 'the projection weights are not float32'
        : flipped === 0
          ? 'every key channel already has a positive mean'
          : !(width(kRange.after) < width(kRange.before) && cost < 2)
            ? 'the flip would not narrow the ranges of q and k'
            : '';
    report.push({ ...entry, applied: reason === '', reason: reason || 'key channels with a negative mean negated in q and k' });
    if (reason) continue;
    for (const projection of [candidate.q, candidate.k]) {
      const weight = foldWeight(index, projection.matmul.input![1], projection.matmul.name ?? '');
      const bias = foldWeight(index, projection.add.input![projection.biasIndex], projection.add.name ?? '');
      const columns = weight.dims[1];
      const rewire = (node: NodeProto, inputIndex: number, dims: number[], data: Float32Array) => {
        const name = `mq_big/${node.input![inputIndex]}_${added.length}`;
        added.push(makeTensor(name, DataType.FLOAT, dims, data));
        node.input![inputIndex] = name;
      };
      rewire(projection.matmul, 1, weight.dims, weight.data.map((w, i) => w * signs[i % columns]));
      rewire(projection.add, projection.biasIndex, bias.dims, bias.data.map((b, c) => b * signs[c]));
    }
  }
  graph.initializer = [...(graph.initializer ?? []), ...added];
  removeDeadNodes(graph);
  return { model: copy, report };
}

/** Per-tensor [min, max] from per-channel ones, with channel c negated where signs[c] < 0. */
function rangeOf(min: Float32Array, max: Float32Array, signs: Float32Array | null): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < min.length; c++) {
    const flip = signs !== null && signs[c] < 0;
    lo = Math.min(lo, flip ? -max[c] : min[c]);
    hi = Math.max(hi, flip ? -min[c] : max[c]);
  }
  return [lo, hi];
}
