import { describe, expect, it } from 'vitest';
import { aboutDurationInWords, durationInWords, estimateEtaMs, EtaEstimator } from './progress';

describe('estimateEtaMs', () => {
  it('extrapolates linearly from the finished fraction', () => {
    expect(estimateEtaMs(3000, 3, 12)).toBe(9000);
  });
  it('is unknown before any step finished', () => {
    expect(estimateEtaMs(500, 0, 12)).toBeNull();
  });
});

describe('durationInWords', () => {
  it('says a time left as a person reads it', () => {
    expect([400, 40_000, 380_000, 1_825_470, 3_900_000].map(durationInWords)).toEqual(['0 s', '40 s', '6 min 20 s', '30 min', '1 h 5 min']);
  });
});

describe('aboutDurationInWords', () => {
  it('rounds a time left to what a person plans by', () => {
    expect([3_000, 37_000, 370_000, 2_275_000, 3_900_000, 7_190_000].map(aboutDurationInWords)).toEqual([
      'a few seconds',
      'about 40 s',
      'about 6 min',
      'about 38 min',
      'about 1 h 5 min',
      'about 2 h',
    ]);
  });
});

describe('EtaEstimator', () => {
  it('follows the recent pace, not the slow first steps', () => {
    const eta = new EtaEstimator(0.15, 3);
    // A first step of 20 s (sessions warming up), then 100 steps of 1 s each, out of 400.
    expect(eta.update(0, 400, 0)).toBeNull();
    expect(eta.update(1, 400, 20_000)).toBeNull();
    let left: number | null = null;
    for (let done = 2; done <= 101; done++) left = eta.update(done, 400, 20_000 + (done - 1) * 1000);
    // The mean since the start says (119 s / 101) · 299 ≈ 352 s; the pace says ≈ 299 s.
    expect(left!).toBeGreaterThan(299_000);
    expect(left!).toBeLessThan(300_000);
  });

  it('knows nothing before a few steps, and nothing once done', () => {
    const eta = new EtaEstimator(0.15, 3);
    eta.update(0, 4, 0);
    expect(eta.update(1, 4, 1000)).toBeNull();
    expect(eta.update(2, 4, 2000)).toBeNull();
    expect(eta.update(3, 4, 3000)).toBeCloseTo(1000, 6);
    expect(eta.update(4, 4, 4000)).toBeNull();
  });
});
