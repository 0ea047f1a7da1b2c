/**
 * Activation ranges chosen per width (an option beside METHOD.md's average of per-batch min/max): the
 * range of least squared error on calibration values among ranges between that average range and the
 * extremes seen. Wide grids want the whole range (clipping error dominates); narrow grids keep the
 * averaged range, which clips outliers: an unbounded MSE search clips deeper there, and measured worse
 * (bench/results/quality-attempts.md). One range per site cannot serve every width of a mixed allocation.
 */
import type { ActivationRange } from './config.ts';
import { activationParams } from './quantizers.ts';

/** Values kept per site and batch (a strided sample; the extremes are tracked exactly). */
export const SAMPLE_PER_BATCH = 1 << 13;

/** Steps of the search from the averaged range (0) to the extremes (1). */
const STEPS = Array.from({ length: 21 }, (_, i) => i / 20);

/** Keeps a strided sample of each site's values and their exact minimum and maximum over all batches. */
export class ActivationSampler {
  private readonly samples = new Map<string, Float32Array[]>();
  private readonly extremes = new Map<string, ActivationRange>();
  private readonly batchRanges = new Map<string, ActivationRange[]>();

  add(key: string, values: ArrayLike<number>): void {
    if (values.length === 0) return;
    const stride = Math.max(1, Math.ceil(values.length / SAMPLE_PER_BATCH));
    const sample = new Float32Array(Math.ceil(values.length / stride));
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
      if (i % stride === 0) sample[i / stride] = v;
    }
    const range = this.extremes.get(key);
    this.extremes.set(key, range ? { min: Math.min(range.min, min), max: Math.max(range.max, max) } : { min, max });
    this.batchRanges.set(key, [...(this.batchRanges.get(key) ?? []), { min, max }]);
    const list = this.samples.get(key);
    if (list) list.push(sample);
    else this.samples.set(key, [sample]);
  }

  /** Adds one batch as its exact extremes and a strided sample taken in the graph (quant/graphStats.ts). */
  addSummary(key: string, range: ActivationRange, sample: Float32Array): void {
    const known = this.extremes.get(key);
    this.extremes.set(key, known ? { min: Math.min(known.min, range.min), max: Math.max(known.max, range.max) } : { ...range });
    this.batchRanges.set(key, [...(this.batchRanges.get(key) ?? []), { ...range }]);
    const list = this.samples.get(key);
    if (list) list.push(sample.slice());
    else this.samples.set(key, [sample.slice()]);
  }

  keys(): string[] {
    return [...this.samples.keys()];
  }

  /** Smallest and largest value seen at a site. */
  extremesOf(key: string): ActivationRange {
    const range = this.extremes.get(key);
    if (!range) throw new Error(`No calibration values were collected for site "${key}".`);
    return range;
  }

  /** Average of the per-batch minima and maxima (METHOD.md "Quantizers", as RangeCollector's default). */
  meanRangeOf(key: string): ActivationRange {
    const list = this.batchRanges.get(key);
    if (!list) throw new Error(`No calibration values were collected for site "${key}".`);
    return { min: list.reduce((sum, r) => sum + r.min, 0) / list.length, max: list.reduce((sum, r) => sum + r.max, 0) / list.length };
  }

  /** The range of least squared error at `bits` (see mseActivationRange). */
  mseRange(key: string, bits: number): ActivationRange {
    const parts = this.samples.get(key)!;
    const sample = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      sample.set(part, offset);
      offset += part.length;
    }
    return mseActivationRange(sample, this.meanRangeOf(key), this.extremesOf(key), bits);
  }
}

/** Σ (x − x̂)² of `values` on the asymmetric b-bit grid of [lo, hi] (plain double arithmetic: it only ranks). */
export function squaredQuantError(values: Float32Array, lo: number, hi: number, bits: number): number {
  const p = activationParams(lo, hi, bits);
  const inv = 1 / p.scale;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    let q = Math.round(x * inv) + p.zeroPoint;
    q = q < p.qmin ? p.qmin : q > p.qmax ? p.qmax : q;
    const d = x - (q - p.zeroPoint) * p.scale;
    sum += d * d;
  }
  return sum;
}

/**
 * Among the ranges from `inner` (α = 0) to `outer` (α = 1) in steps of 0.05, the one whose b-bit grid
 * quantizes `values` with the least squared error; ties go to the narrower range. `values` may be a
 * sample; `outer` holds the exact extremes.
 */
export function mseActivationRange(values: Float32Array, inner: ActivationRange, outer: ActivationRange, bits: number): ActivationRange {
  if (!(outer.min <= inner.min && inner.min <= inner.max && inner.max <= outer.max)) {
    throw new Error(`The range [${inner.min}, ${inner.max}] must lie within the extremes [${outer.min}, ${outer.max}].`);
  }
  let best = inner;
  let bestError = Infinity;
  for (const alpha of STEPS) {
    const candidate = { min: inner.min + alpha * (outer.min - inner.min), max: inner.max + alpha * (outer.max - inner.max) };
    if (candidate.min === candidate.max) continue;
    const error = squaredQuantError(values, candidate.min, candidate.max, bits);
    if (error < bestError) {
      bestError = error;
      best = candidate;
    }
  }
  return best;
}
