/**
 * Calibration (METHOD.md "Quantizers"): ranges of every unit's activation inputs, collected by
 * running a copy of the FP model that also returns those tensors.
 */
import type { OrtFeeds, OrtModule, SessionOptions } from '../onnx/ort.ts';
import { encodeModelBytes, type ModelProto } from '../onnx/proto.ts';
import { withExtraOutputs } from '../onnx/rewrite.ts';
import { siteKey, type ActivationRange, type ActivationRanges } from './config.ts';
import type { QuantUnit } from './units.ts';

export type RangeMethod =
  /** Min and max over all calibration batches. */
  | { kind: 'minmax' }
  /** Average of per-batch min and max (METHOD.md default, as PTQ4SAM). */
  | { kind: 'mean-minmax' }
  /** Average over batches of the per-batch lower/upper percentiles (e.g. 99.99). */
  | { kind: 'percentile'; percentile: number };

export const DEFAULT_RANGE_METHOD: RangeMethod = { kind: 'mean-minmax' };

/** The calibration copy of the model: it also outputs every activation input of the units. */
export function buildCalibrationModel(model: ModelProto, units: readonly QuantUnit[]): { bytes: Uint8Array; outputsBySite: Map<string, string> } {
  const outputsBySite = new Map<string, string>();
  for (const unit of units) unit.activationInputs.forEach((value, i) => outputsBySite.set(siteKey(unit.id, i), value));
  return { bytes: encodeModelBytes(withExtraOutputs(model, [...new Set(outputsBySite.values())])), outputsBySite };
}

/** Percentile-based sampling keeps at most this many values per batch and tensor. */
const PERCENTILE_SAMPLE = 1 << 18;

/** Accumulates per-batch statistics of named tensors into ranges. */
export class RangeCollector {
  private readonly batches = new Map<string, ActivationRange[]>();

  constructor(readonly method: RangeMethod = DEFAULT_RANGE_METHOD) {
    if (method.kind === 'percentile' && !(method.percentile > 50 && method.percentile <= 100)) {
      throw new Error(`Percentile must lie in (50, 100], got ${method.percentile}.`);
    }
  }

  /** Adds one batch of one site's values. */
  add(key: string, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    const batch = this.method.kind === 'percentile' ? percentileRange(values, this.method.percentile) : minMax(values);
    const list = this.batches.get(key);
    if (list) list.push(batch);
    else this.batches.set(key, [batch]);
  }

  /** Adds one batch of a site as its min and max (reduced in the graph, quant/graphStats.ts). */
  addRange(key: string, range: ActivationRange): void {
    if (this.method.kind === 'percentile') throw new Error('Percentile ranges need the values, not only their min and max.');
    const list = this.batches.get(key);
    if (list) list.push(range);
    else this.batches.set(key, [range]);
  }

  /** Number of batches seen for a site. */
  count(key: string): number {
    return this.batches.get(key)?.length ?? 0;
  }

  ranges(): Record<string, ActivationRange> {
    const out: Record<string, ActivationRange> = {};
    for (const [key, list] of this.batches) {
      if (this.method.kind === 'minmax') {
        out[key] = { min: Math.min(...list.map((r) => r.min)), max: Math.max(...list.map((r) => r.max)) };
      } else {
        out[key] = { min: mean(list.map((r) => r.min)), max: mean(list.map((r) => r.max)) };
      }
    }
    return out;
  }
}

function minMax(values: ArrayLike<number>): ActivationRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Lower (100−p) and upper p percentiles; large tensors are sampled with a fixed stride. */
function percentileRange(values: ArrayLike<number>, p: number): ActivationRange {
  const stride = Math.max(1, Math.ceil(values.length / PERCENTILE_SAMPLE));
  const sample = new Float64Array(Math.ceil(values.length / stride));
  for (let i = 0, j = 0; i < values.length; i += stride, j++) sample[j] = values[i];
  sample.sort();
  const at = (q: number) => {
    const position = (q / 100) * (sample.length - 1);
    const lo = Math.floor(position);
    const hi = Math.min(sample.length - 1, lo + 1);
    return sample[lo] + (sample[hi] - sample[lo]) * (position - lo);
  };
  return { min: at(100 - p), max: at(p) };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export interface CalibrateOptions {
  method?: RangeMethod;
  sessionOptions?: SessionOptions;
  /** Called after each batch (done, total). */
  onProgress?: (done: number, total: number) => void;
  signal?: { aborted: boolean };
}

/** Runs the calibration copy on each feed set and returns ranges by site key. */
export async function calibrate(
  ort: OrtModule,
  model: ModelProto,
  units: readonly QuantUnit[],
  batches: readonly OrtFeeds[] | AsyncIterable<OrtFeeds>,
  options: CalibrateOptions = {},
): Promise<ActivationRanges> {
  const { bytes, outputsBySite } = buildCalibrationModel(model, units);
  const session = await ort.InferenceSession.create(bytes, options.sessionOptions);
  const collector = new RangeCollector(options.method);
  const total = Array.isArray(batches) ? batches.length : 0;
  let done = 0;
  try {
    for await (const feeds of batches as AsyncIterable<OrtFeeds>) {
      if (options.signal?.aborted) throw new Error('Calibration cancelled.');
      const results = await session.run(feeds, [...new Set(outputsBySite.values())]);
      for (const [key, value] of outputsBySite) collector.add(key, results[value].data as Float32Array);
      done++;
      options.onProgress?.(done, total);
    }
  } finally {
    await session.release();
  }
  if (done === 0) throw new Error('Calibration needs at least one batch of inputs.');
  return collector.ranges();
}
