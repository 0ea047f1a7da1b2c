import { describe, expect, it } from 'vitest';
import { estimateEtaMs, durationInWords } from './progress';

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
