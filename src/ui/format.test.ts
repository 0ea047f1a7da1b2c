import { describe, expect, it } from 'vitest';
import { formatMegabytesOfBits } from '../core/displayUnits';
import { formatSizeBits } from './budget/budgetFormat';
import { countOf, formatBytes, formatMs } from './format';

describe('formatBytes', () => {
  it('writes decimal megabytes, as the report does, never MiB', () => {
    // 4,194,304 bytes is 4 MiB: labelled MB it must read 4.194, not 4.0.
    expect(formatBytes(4_194_304)).toBe('4.194 MB');
    expect(formatBytes(1_000_000)).toBe('1.000 MB');
    expect(formatBytes(35_214_000)).toBe('35.21 MB');
    expect(formatBytes(359_412_345)).toBe('359.4 MB');
  });

  it('keeps small files readable', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('0.00150 MB');
    expect(formatBytes(50_000)).toBe('0.0500 MB');
    expect(formatBytes(0)).toBe('0 B');
  });
});

describe('sizes in bits', () => {
  it('read the same in the budget panel and the report', () => {
    expect(formatSizeBits(6_720_000)).toBe('0.840 MB');
    expect(formatMegabytesOfBits(6_720_000)).toBe('0.840 MB');
    expect(formatSizeBits(8 * 12_345_678)).toBe(formatBytes(12_345_678));
    expect(formatBytes(12_345_678)).toBe('12.35 MB');
  });
});

describe('countOf', () => {
  it('uses the singular for one and the plural otherwise', () => {
    expect(countOf(1, 'image')).toBe('1 image');
    expect(countOf(0, 'image')).toBe('0 images');
    expect(countOf(2, 'prompt')).toBe('2 prompts');
    expect(countOf(1, 'analysed image')).toBe('1 analysed image');
    expect(countOf(3, 'box', 'boxes')).toBe('3 boxes');
    expect(countOf(2568, 'weight')).toBe('2,568 weights');
  });
});

describe('formatMs', () => {
  it('switches to seconds at one second', () => {
    expect(formatMs(null)).toBe('—');
    expect(formatMs(4.25)).toBe('4.3 ms');
    expect(formatMs(999)).toBe('999 ms');
    expect(formatMs(1234)).toBe('1.23 s');
  });
});
