import { describe, expect, it } from 'vitest';
import type { BinaryMask } from '../image/rgbaImage';
import { differenceOverlayRgba, maskAgreement, meanIoU } from './maskAgreement';

/** A mask from rows of '#' (inside) and '.' (outside). */
function mask(...rows: string[]): BinaryMask {
  return { width: rows[0].length, height: rows.length, data: Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0)) };
}

describe('maskAgreement', () => {
  it('counts shared and one-sided pixels and their IoU', () => {
    const fp = mask('##..', '##..', '....');
    const mixed = mask('.##.', '.##.', '.#..');
    // both: (1,0),(1,1) = 2; only FP: (0,0),(0,1) = 2; only mixed: (2,0),(2,1),(1,2) = 3 → IoU 2/7.
    expect(maskAgreement(fp, mixed)).toEqual({ both: 2, onlyReference: 2, onlyCompared: 3, iou: 2 / 7 });
    expect(maskAgreement(mixed, fp).iou).toBeCloseTo(2 / 7, 15);
  });

  it('gives 1 for identical masks, 0 for disjoint ones and 1 for two empty masks', () => {
    const a = mask('#.', '.#');
    expect(maskAgreement(a, a).iou).toBe(1);
    expect(maskAgreement(a, mask('.#', '#.')).iou).toBe(0);
    expect(maskAgreement(mask('..'), mask('..'))).toEqual({ both: 0, onlyReference: 0, onlyCompared: 0, iou: 1 });
  });

  it('refuses masks of different sizes, naming them', () => {
    expect(() => maskAgreement(mask('##'), mask('#', '#'))).toThrow('Cannot compare a 2×1 mask with a 1×2 mask.');
  });
});

describe('differenceOverlayRgba', () => {
  it('paints pixels only in the reference, only in the compared mask, and leaves the rest clear', () => {
    const red = [255, 0, 0, 200] as const;
    const blue = [0, 0, 255, 200] as const;
    const pixels = differenceOverlayRgba(mask('##.', '...'), mask('.##', '...'), { onlyReference: red, onlyCompared: blue });
    expect(Array.from(pixels.subarray(0, 12))).toEqual([...red, 0, 0, 0, 0, ...blue]);
    expect(Array.from(pixels.subarray(12))).toEqual(new Array(12).fill(0));
  });

  it('paints shared pixels when asked', () => {
    const grey = [9, 9, 9, 9] as const;
    const pixels = differenceOverlayRgba(mask('#'), mask('#'), { onlyReference: [1, 1, 1, 1], onlyCompared: [2, 2, 2, 2], both: grey });
    expect(Array.from(pixels)).toEqual([...grey]);
  });
});

describe('meanIoU', () => {
  it('averages the known values and skips unknown ones', () => {
    expect(meanIoU([0.5, null, 1, 0])).toBe(0.5);
    expect(meanIoU([0.25])).toBe(0.25);
  });

  it('is null when nothing is known, and refuses values outside [0, 1]', () => {
    expect(meanIoU([])).toBeNull();
    expect(meanIoU([null, null])).toBeNull();
    expect(() => meanIoU([1.5])).toThrow('An IoU lies in [0, 1], got 1.5.');
    expect(() => meanIoU([Number.NaN])).toThrow(/got NaN/);
  });
});
