import { describe, expect, it } from 'vitest';
import {
  ablationProbe,
  createProbeTable,
  extrapolateSensitivity,
  extrapolationError,
  importance,
  measuredSensitivity,
  normalizedImportancePerImage,
  quantProbe,
  sensitivityTable,
  setProbe,
  synergy,
} from './metrics';

function table() {
  // 3 units, 2 images. Ablation KL: image 0 → [1, 2, 1]; image 1 → [3, 3, 0].
  const t = createProbeTable(['a', 'b', 'c'], 2, [ablationProbe, quantProbe(4), quantProbe(6)]);
  [
    [1, 2, 1],
    [3, 3, 0],
  ].forEach((row, image) => row.forEach((kl, unit) => setProbe(t, ablationProbe, image, unit, kl)));
  return t;
}

describe('importance Ω and synergy Ŝ', () => {
  it('normalizes per image and averages (METHOD.md "Layer importance Ω")', () => {
    const perImage = normalizedImportancePerImage(table());
    expect(Array.from(perImage[0]!)).toEqual([0.25, 0.5, 0.25]);
    expect(Array.from(perImage[1]!)).toEqual([0.5, 0.5, 0]);
    const omega = importance(perImage, 3);
    expect(Array.from(omega)).toEqual([0.375, 0.5, 0.125]);
    expect(omega.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
  });

  it('computes Ŝ = log(1 + mean 1/max(|Δs|, ε)) for neighbours', () => {
    const s = synergy(normalizedImportancePerImage(table()), 3, 1e-6);
    // pair (a,b): |Δ| = 0.25 then 0 → (4 + 1e6)/2; pair (b,c): 0.25 then 0.5 → (4 + 2)/2.
    expect(s[0]).toBeCloseTo(Math.log(1 + (4 + 1e6) / 2), 12);
    expect(s[1]).toBeCloseTo(Math.log(1 + 3), 12);
  });

  it('leaves out images whose ablations are not all measured', () => {
    const t = table();
    setProbe(t, ablationProbe, 1, 2, NaN);
    const perImage = normalizedImportancePerImage(t);
    expect(perImage[1]).toBeNull();
    expect(Array.from(importance(perImage, 3))).toEqual([0.25, 0.5, 0.25]);
  });
});

describe('sensitivity σ', () => {
  it('averages the measured KL over images', () => {
    const t = table();
    setProbe(t, quantProbe(4), 0, 0, 0.2);
    setProbe(t, quantProbe(4), 1, 0, 0.4);
    setProbe(t, quantProbe(4), 0, 1, 0.1);
    const sigma = measuredSensitivity(t, 4);
    expect(sigma[0]).toBeCloseTo(0.3, 15);
    expect(sigma[1]).toBeCloseTo(0.1, 15);
    expect(sigma[2]).toBeNaN();
  });

  it('extrapolates with σ(b) ∝ 4^(−b) and interpolates between two measured widths in log space', () => {
    expect(extrapolateSensitivity([{ bits: 4, sigma: 1 }], 6)).toBeCloseTo(1 / 16, 15);
    expect(extrapolateSensitivity([{ bits: 4, sigma: 1 }], 2)).toBeCloseTo(16, 15);
    const two = [
      { bits: 2, sigma: 8 },
      { bits: 6, sigma: 0.5 },
    ];
    expect(extrapolateSensitivity(two, 4)).toBeCloseTo(2, 14); // geometric midpoint of 8 and 0.5
    expect(extrapolateSensitivity(two, 7)).toBeCloseTo(0.125, 15);
    expect(extrapolateSensitivity(two, 6)).toBe(0.5);
  });

  it('fills a table of measured and extrapolated widths, and scores extrapolation against exact values', () => {
    const t = table();
    setProbe(t, quantProbe(4), 0, 0, 1);
    setProbe(t, quantProbe(6), 0, 0, 1 / 16);
    const rows = sensitivityTable(t, [3, 4, 5, 6], [4, 6]);
    expect(Array.from(rows[0])).toEqual([4, 1, 0.25, 1 / 16]);
    const exact = [Float64Array.from([4, 1, 0.5, 1 / 16]), Float64Array.from([8, 2, 0.2, 1 / 8])];
    const error = extrapolationError(exact, [3, 4, 5, 6], [4, 6]);
    // Estimates at 3 bits: 4, 8 (exact); at 5 bits: 0.25 (truth 0.5) and 0.5 (truth 0.2).
    expect(error.comparisons).toBe(4);
    expect(error.maxRelative).toBeCloseTo(1.5, 14);
    expect(error.meanRelative).toBeCloseTo(0.5, 14);
    expect(error.medianRelative).toBeCloseTo(0.5, 14);
    // Ranks agree at 3 bits (ρ = 1) and are reversed at 5 bits (ρ = −1).
    expect(error.rankCorrelation).toBeCloseTo(0, 15);
  });
});
