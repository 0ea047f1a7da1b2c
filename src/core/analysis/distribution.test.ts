import { describe, expect, it } from 'vitest';
import { klDivergence, maskLogitsShape, outputDistribution, selectMasks } from './distribution';

describe('outputDistribution', () => {
  it('takes the selected mask of each prompt, applies sigmoid, normalizes and clamps', () => {
    // 2 prompts × 2 masks × 1×2 pixels; prompt 0 uses mask 1, prompt 1 uses mask 0.
    const logits = [9, 9, 0, Math.log(3), -50, 2, 7, 7];
    const p = outputDistribution(logits, maskLogitsShape([2, 2, 1, 2]), [1, 0], 1e-6);
    // sigmoid: 0.5, 0.75 (prompt 0, mask 1); 1/(1+e^50), 1/(1+e^-2) (prompt 1, mask 0).
    const raw = [0.5, 0.75, 1 / (1 + Math.exp(50)), 1 / (1 + Math.exp(-2))];
    const total = raw.reduce((a, b) => a + b, 0);
    // e^-50 / total is far below ε and is clamped to it; then the four values are normalized again.
    const clamped = raw.map((v) => Math.max(v / total, 1e-6));
    const clampedTotal = clamped.reduce((a, b) => a + b, 0);
    clamped.forEach((v, k) => expect(p[k]).toBeCloseTo(v / clampedTotal, 15));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
    expect(p[2]).toBeGreaterThan(0.99e-6);
  });

  it('refuses a selection outside the masks and a wrong size', () => {
    expect(() => outputDistribution([0, 0], maskLogitsShape([1, 2, 1, 1]), [2], 1e-6)).toThrow(/outside 0..1/);
    expect(() => outputDistribution([0, 0, 0], maskLogitsShape([1, 2, 1, 1]), [0], 1e-6)).toThrow(/expected 2/);
    expect(() => maskLogitsShape([4, 64, 64])).toThrow(/prompts, masks, height, width/);
  });
});

describe('klDivergence', () => {
  it('matches a hand computation and is zero for equal distributions', () => {
    const p = Float64Array.from([0.5, 0.5]);
    const q = Float64Array.from([0.25, 0.75]);
    expect(klDivergence(p, q)).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 15);
    expect(klDivergence(p, p)).toBe(0);
  });
});

describe('selectMasks', () => {
  it('takes mask 0 for boxes and the best multimask output (1..3) for clicks', () => {
    const iou = [0.99, 0.2, 0.7, 0.7, /* prompt 1 */ 0.1, 0.3, 0.2, 0.9];
    expect(Array.from(selectMasks(iou, 4, [false, false]))).toEqual([2, 3]);
    expect(Array.from(selectMasks(iou, 4, [true, false]))).toEqual([0, 3]);
  });
});
