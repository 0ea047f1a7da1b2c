import { describe, expect, it } from 'vitest';
import { estimateEtaMs } from './progress';

describe('estimateEtaMs', () => {
  it('extrapolates linearly from the finished fraction', () => {
    expect(estimateEtaMs(3000, 3, 12)).toBe(9000);
  });
  it('is unknown before any step finished', () => {
    expect(estimateEtaMs(500, 0, 12)).toBeNull();
  });
});
