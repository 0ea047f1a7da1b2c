/**
 * Outlier migration (SmoothQuant / RepQ-ViT style), exact in FP: a LayerNorm's (or a ReLU-after-MatMul's)
 * output x feeding only weight units is replaced by x·diag(s)⁻¹ (γ/s, β/s; or the MatMul's columns and
 * bias over s) and each unit's weight by diag(s)·W (input row j times s_j), so x·W is unchanged while the
 * per-tensor activation range loses its outlier channels:
 * s_j = max|x_j|^α / max_units(max_i |W_ji|)^(1−α). Sites: migrationSites.ts; statistics: channelStats.ts.
 */
import { foldWeight } from '../onnx/fold.ts';
import { GraphIndex } from '../onnx/graph.ts';
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { shallowCloneModel, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import { removeDeadNodes } from '../onnx/rewrite.ts';
import { DataType, makeTensor } from '../onnx/tensor.ts';
import { inferElemTypes } from '../onnx/types.ts';
import { collectChannelStats, type ChannelStatRequest } from './channelStats.ts';
import { findMigrationSites, type MigrationConsumer, type MigrationSite, type SkippedSite } from './migrationSites.ts';

export interface MigrationStats {
  /** max |x_j| over the calibration feeds, by source output. */
  absMax: Map<string, Float32Array>;
  /** Measured dims of the reshapes between a LayerNorm and its units. */
  dims: Map<string, number[]>;
}

export interface MigrationOptions {
  /** Migration strength: 0 keeps the activations, 1 moves their whole range into the weights. */
  alpha: number;
  /** Scales are clamped to [1/maxScale, maxScale]. Default 1e5. */
  maxScale?: number;
  /**
   * Sources to migrate (default: the LayerNorms). Across a ReLU ('linear-relu') is exact too but raised the
   * demo decoder's MLP lin2 W4A4 error at α 0.25–0.75 (README "Outlier migration"), so it is asked for by name.
   */
  patterns?: readonly MigrationSite['pattern'][];
}

export const DEFAULT_MIGRATION_PATTERNS: readonly MigrationSite['pattern'][] = ['LayerNormalization', 'decomposed'];

export interface MigratedSite {
  source: string;
  pattern: MigrationSite['pattern'];
  /** Consumer node names whose weights were scaled. */
  units: string[];
  channels: number;
  /** Smallest and largest s_j. */
  scaleRange: [number, number];
  /** max_j max|x_j| / median_j max|x_j| before and after: how far the outlier channels stand out. */
  outlierRatio: { before: number; after: number };
}

export interface MigrationReport {
  migrated: MigratedSite[];
  skipped: SkippedSite[];
}

/** max |x_j| of every migration site's source output (and the dims of its reshapes) over the feeds. */
export async function collectMigrationStats(ort: OrtModule, model: ModelProto, feeds: readonly OrtFeeds[], sessionOptions?: SessionOptions): Promise<MigrationStats> {
  const { sites } = findMigrationSites(model);
  const requests = new Map<string, ChannelStatRequest>(sites.map((site) => [site.output, { axis: site.axis, channels: site.channels, kinds: ['absMax'] }]));
  const collected = await collectChannelStats(ort, model, requests, feeds, { dimsOf: sites.flatMap((site) => site.reshapes), sessionOptions });
  return { absMax: new Map([...collected.channels].map(([name, stats]) => [name, stats.absMax!])), dims: collected.dims };
}

/** A rewritten copy of `model` (the input is not changed) and what was migrated or skipped, and why. */
export function migrateOutliers(model: ModelProto, stats: MigrationStats, options: MigrationOptions): { model: ModelProto; report: MigrationReport } {
  if (!(options.alpha >= 0 && options.alpha <= 1)) throw new Error(`The migration strength α must lie in [0, 1], got ${options.alpha}.`);
  const maxScale = options.maxScale ?? 1e5;
  const copy = shallowCloneModel(model);
  const graph = copy.graph!;
  const index = new GraphIndex(graph);
  const types = inferElemTypes(graph);
  const found = findMigrationSites(copy);
  const report: MigrationReport = { migrated: [], skipped: [...found.skipped] };
  const added: ReturnType<typeof makeTensor>[] = [];
  let counter = 0;
  /** Writes a float32 initializer and points `node`'s input at it. */
  const rewire = (node: NodeProto, inputIndex: number, dims: number[], data: Float32Array) => {
    const name = `mq_migrate/${node.input![inputIndex]}_${counter++}`;
    added.push(makeTensor(name, DataType.FLOAT, dims, data));
    node.input![inputIndex] = name;
  };
  const patterns = options.patterns ?? DEFAULT_MIGRATION_PATTERNS;
  for (const site of found.sites) {
    const skip = (reason: string) => report.skipped.push({ source: site.source, reason });
    if (!patterns.includes(site.pattern)) {
      skip(`migration across a ${site.pattern} source is not asked for`);
      continue;
    }
    const absMax = stats.absMax.get(site.output);
    if (!absMax || absMax.length !== site.channels) {
      skip(absMax ? `its statistics hold ${absMax.length} channels, the source has ${site.channels}` : 'no statistics were collected for it');
      continue;
    }
    const badReshape = site.reshapes.find((value) => stats.dims.get(value)?.at(-1) !== site.channels);
    if (badReshape) {
      skip(`the reshape to "${badReshape}" does not keep the ${site.channels} channels on the last axis (dims ${JSON.stringify(stats.dims.get(badReshape) ?? null)})`);
      continue;
    }
    const floats = [...site.divided, ...site.consumers.map((c) => ({ node: c.node, inputIndex: c.weightIndex }))];
    const notFloat = floats.find((x) => types.get(x.node.input![x.inputIndex]) !== DataType.FLOAT);
    if (notFloat) {
      skip(`"${notFloat.node.input![notFloat.inputIndex]}" is not float32`);
      continue;
    }
    const weights = site.consumers.map((consumer) => foldWeight(index, consumer.node.input![consumer.weightIndex], consumer.node.name ?? ''));
    const weightMax = new Float32Array(site.channels);
    site.consumers.forEach((consumer, k) => forEachInputChannel(consumer, weights[k].dims, (i, j) => (weightMax[j] = Math.max(weightMax[j], Math.abs(weights[k].data[i])))));
    const scales = migrationScales(absMax, weightMax, options.alpha, maxScale);

    const divided = site.divided.map((target) => foldWeight(index, target.node.input![target.inputIndex], site.source));
    // A scalar β or bias becomes one value per channel, shaped like the per-channel γ (e.g. [C, 1, 1]).
    const channelDims = divided.find((value, k) => site.divided[k].layout === 'channel-vector' && value.data.length === site.channels)?.dims ?? [site.channels];
    site.divided.forEach((target, k) => {
      const { dims, data } = divided[k];
      if (target.layout === 'output-columns') rewire(target.node, target.inputIndex, dims, data.map((w, i) => w / scales[i % dims[1]]));
      else if (data.length === 1) rewire(target.node, target.inputIndex, channelDims, scales.map((s) => data[0] / s));
      else rewire(target.node, target.inputIndex, dims, data.map((v, j) => v / scales[j]));
    });
    site.consumers.forEach((consumer, k) => {
      const scaled = Float32Array.from(weights[k].data);
      forEachInputChannel(consumer, weights[k].dims, (i, j) => (scaled[i] *= scales[j]));
      rewire(consumer.node, consumer.weightIndex, weights[k].dims, scaled);
    });
    report.migrated.push({
      source: site.source,
      pattern: site.pattern,
      units: site.consumers.map((c) => c.node.name ?? ''),
      channels: site.channels,
      scaleRange: [Math.min(...scales), Math.max(...scales)],
      outlierRatio: { before: outlierRatio(absMax), after: outlierRatio(absMax.map((a, j) => a / scales[j])) },
    });
  }
  graph.initializer = [...(graph.initializer ?? []), ...added];
  removeDeadNodes(graph); // the old γ, β, weights and their constant paths, where nothing else reads them
  return { model: copy, report };
}

/** s_j = max|x_j|^α / max|W_j|^(1−α), clamped; 1 where the channel or its weights are dead. */
export function migrationScales(absMax: Float32Array, weightMax: Float32Array, alpha: number, maxScale: number): Float32Array {
  return absMax.map((a, j) => {
    const w = weightMax[j];
    if (!(a > 0) || !(w > 0)) return 1;
    const s = a ** alpha / w ** (1 - alpha);
    return Math.min(maxScale, Math.max(1 / maxScale, s));
  });
}

/** Calls `visit(flatIndex, inputChannel)` for every element of a consumer's weight. */
function forEachInputChannel(consumer: MigrationConsumer, dims: readonly number[], visit: (i: number, j: number) => void): void {
  const total = dims.reduce((a, b) => a * b, 1);
  switch (consumer.layout) {
    case 'rows': // [C_in, C_out]
      for (let i = 0; i < total; i++) visit(i, Math.floor(i / dims[1]));
      return;
    case 'columns': // [C_out, C_in]
      for (let i = 0; i < total; i++) visit(i, i % dims[1]);
      return;
    case 'conv-input': {
      // [C_out, C_in, k…]
      const inner = dims.slice(2).reduce((a, b) => a * b, 1);
      for (let i = 0; i < total; i++) visit(i, Math.floor(i / inner) % dims[1]);
      return;
    }
  }
}

function outlierRatio(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const median = sorted[Math.floor(sorted.length / 2)];
  return median > 0 ? sorted[sorted.length - 1] / median : Infinity;
}
