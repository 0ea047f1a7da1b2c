/**
 * Ω, σ and Ŝ from measured KL values (METHOD.md "Layer importance Ω", "Quantization sensitivity",
 * "Cross-layer synergy Ŝ"). Pure float64 math over a table of probes; works on partial tables, so the
 * studio can show estimates while an analysis is still running.
 */

/** Probe name of zero-ablation (importance). */
export const ablationProbe = 'ablate';

/** Probe name of quantizing one unit's weights and input activations at `bits` (sensitivity). */
export function quantProbe(bits: number): string {
  return `w${bits}a${bits}`;
}

/** KL(P_t ‖ Q_t) per probe, per image and per unit (row-major image × unit); NaN where not measured yet. */
export interface ProbeTable {
  unitIds: string[];
  imageCount: number;
  klByProbe: Map<string, Float64Array>;
}

export function createProbeTable(unitIds: string[], imageCount: number, probes: string[]): ProbeTable {
  const klByProbe = new Map<string, Float64Array>();
  for (const probe of probes) klByProbe.set(probe, new Float64Array(imageCount * unitIds.length).fill(NaN));
  return { unitIds, imageCount, klByProbe };
}

export function setProbe(table: ProbeTable, probe: string, image: number, unit: number, kl: number): void {
  const values = table.klByProbe.get(probe);
  if (!values) throw new Error(`probe ${probe} is not part of this analysis`);
  values[image * table.unitIds.length + unit] = kl;
}

/**
 * s_t(i) = I_t(i) / Σ_l I_t(l) for each image whose ablations are all measured; other images are
 * skipped (null), as are images where no ablation changed the output at all (nothing to normalize).
 */
export function normalizedImportancePerImage(table: ProbeTable): (Float64Array | null)[] {
  const units = table.unitIds.length;
  const ablation = table.klByProbe.get(ablationProbe);
  const perImage: (Float64Array | null)[] = [];
  for (let t = 0; t < table.imageCount; t++) {
    if (!ablation) {
      perImage.push(null);
      continue;
    }
    const row = ablation.subarray(t * units, (t + 1) * units);
    let total = 0;
    let complete = true;
    for (const kl of row) {
      if (Number.isNaN(kl)) complete = false;
      else total += kl;
    }
    perImage.push(complete && total > 0 ? row.map((kl) => kl / total) : null);
  }
  return perImage;
}

/** Ω_i = (1/T) Σ_t s_t(i) over the images with complete ablations; all NaN before the first one. */
export function importance(perImage: (Float64Array | null)[], unitCount: number): Float64Array {
  const sum = new Float64Array(unitCount);
  let images = 0;
  for (const s of perImage) {
    if (!s) continue;
    images++;
    for (let i = 0; i < unitCount; i++) sum[i] += s[i];
  }
  return sum.map((value) => (images > 0 ? value / images : NaN));
}

/**
 * Ŝ_{i,i+1} = log(1 + (1/T) Σ_t 1 / max(|s_t(i) − s_t(i+1)|, ε)) for each neighbour pair in the
 * table's unit order (the probed units, excluded units already left out).
 */
export function synergy(perImage: (Float64Array | null)[], unitCount: number, epsilon: number): Float64Array {
  const pairs = Math.max(unitCount - 1, 0);
  const sum = new Float64Array(pairs);
  let images = 0;
  for (const s of perImage) {
    if (!s) continue;
    images++;
    for (let i = 0; i < pairs; i++) sum[i] += 1 / Math.max(Math.abs(s[i] - s[i + 1]), epsilon);
  }
  return sum.map((value) => (images > 0 ? Math.log(1 + value / images) : NaN));
}

/** σ_i(b) = mean_t KL(P_t ‖ Q_t^{(i,b)}) over the images measured so far for that unit; NaN if none. */
export function measuredSensitivity(table: ProbeTable, bits: number): Float64Array {
  const units = table.unitIds.length;
  const values = table.klByProbe.get(quantProbe(bits));
  const sigma = new Float64Array(units).fill(NaN);
  if (!values) return sigma;
  for (let i = 0; i < units; i++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < table.imageCount; t++) {
      const kl = values[t * units + i];
      if (!Number.isNaN(kl)) {
        sum += kl;
        count++;
      }
    }
    if (count > 0) sigma[i] = sum / count;
  }
  return sigma;
}

/**
 * σ at `bits` from one or two measured widths, by the noise model σ(b) ∝ 4^(−b) (METHOD.md
 * "Quantization sensitivity": each bit halves the quantization step, so the noise power drops 4×).
 * Between two measured widths the curve is interpolated in log space, which honours both measurements;
 * outside, the 4^(−b) slope continues from the nearest measured width.
 */
export function extrapolateSensitivity(measured: readonly { bits: number; sigma: number }[], bits: number): number {
  const points = [...measured].filter((m) => !Number.isNaN(m.sigma)).sort((a, b) => a.bits - b.bits);
  if (points.length === 0) return NaN;
  const exact = points.find((m) => m.bits === bits);
  if (exact) return exact.sigma;
  const low = points[0];
  const high = points[points.length - 1];
  if (points.length >= 2 && bits > low.bits && bits < high.bits && low.sigma > 0 && high.sigma > 0) {
    const fraction = (bits - low.bits) / (high.bits - low.bits);
    return Math.exp(Math.log(low.sigma) + fraction * (Math.log(high.sigma) - Math.log(low.sigma)));
  }
  const nearest = bits < low.bits ? low : high;
  return nearest.sigma * Math.pow(4, nearest.bits - bits);
}

/** σ_i(b) for every unit and candidate width: measured ones as measured, the others extrapolated. */
export function sensitivityTable(table: ProbeTable, candidateBits: number[], measuredBits: number[]): Float64Array[] {
  const measuredByBits = measuredBits.map((bits) => ({ bits, sigma: measuredSensitivity(table, bits) }));
  return table.unitIds.map((_, unit) => {
    const points = measuredByBits.map(({ bits, sigma }) => ({ bits, sigma: sigma[unit] }));
    return Float64Array.from(candidateBits, (bits) => extrapolateSensitivity(points, bits));
  });
}

/** Relative error of fast-mode σ against exact σ at widths fast mode did not measure. */
export interface ExtrapolationError {
  medianRelative: number;
  meanRelative: number;
  maxRelative: number;
  /** Spearman rank correlation between fast and exact σ across units, averaged over the unmeasured widths. */
  rankCorrelation: number;
  comparisons: number;
}

export function extrapolationError(exact: Float64Array[], candidateBits: number[], fastBits: number[]): ExtrapolationError {
  const errors: number[] = [];
  let correlationSum = 0;
  let widths = 0;
  for (const [column, bits] of candidateBits.entries()) {
    if (fastBits.includes(bits)) continue;
    const estimated = exact.map((row) =>
      extrapolateSensitivity(
        fastBits.map((b) => ({ bits: b, sigma: row[candidateBits.indexOf(b)] })),
        bits,
      ),
    );
    const truth = exact.map((row) => row[column]);
    for (let i = 0; i < truth.length; i++) {
      if (truth[i] > 0) errors.push(Math.abs(estimated[i] - truth[i]) / truth[i]);
    }
    const rank = (values: number[]) => {
      const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
      const ranks = new Array<number>(values.length);
      order.forEach((unit, position) => (ranks[unit] = position));
      return ranks;
    };
    const truthRank = rank(truth);
    const estimatedRank = rank(estimated);
    const n = truth.length;
    if (n > 1) {
      let squared = 0;
      for (let i = 0; i < n; i++) squared += (truthRank[i] - estimatedRank[i]) ** 2;
      correlationSum += 1 - (6 * squared) / (n * (n * n - 1));
      widths++;
    }
  }
  errors.sort((a, b) => a - b);
  return {
    medianRelative: errors.length > 0 ? errors[Math.floor(errors.length / 2)] : NaN,
    meanRelative: errors.length > 0 ? errors.reduce((a, b) => a + b, 0) / errors.length : NaN,
    maxRelative: errors.length > 0 ? errors[errors.length - 1] : NaN,
    rankCorrelation: widths > 0 ? correlationSum / widths : NaN,
    comparisons: errors.length,
  };
}
