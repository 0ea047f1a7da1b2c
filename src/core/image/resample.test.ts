import { describe, expect, it } from 'vitest';
import { filterTaps, resizePlaneBilinear, resizeRgba } from './resample';

/** A one-row RGBA image whose grey levels are `levels`. */
function greyRow(levels: number[]) {
  const data = new Uint8ClampedArray(levels.length * 4);
  levels.forEach((level, i) => data.set([level, level, level, 255], i * 4));
  return { width: levels.length, height: 1, data };
}

describe('resizeRgba (PIL-style triangle filter)', () => {
  it('enlarges 2→4 with half-pixel centres: [0,100] → [0,25,75,100]', () => {
    const out = resizeRgba(greyRow([0, 100]), 4, 1);
    expect(Array.from(out.data.filter((_, i) => i % 4 === 0))).toEqual([0, 25, 75, 100]);
    expect(out.data[3]).toBe(255);
  });

  it('shrinks 4→2 with a triangle twice as wide (antialiasing): weights 3/7,3/7,1/7', () => {
    // out0 = 0·3/7 + 70·3/7 + 140·1/7 = 50; out1 = 70·1/7 + 140·3/7 + 210·3/7 = 160
    const out = resizeRgba(greyRow([0, 70, 140, 210]), 2, 1);
    expect(Array.from(out.data.filter((_, i) => i % 4 === 0))).toEqual([50, 160]);
  });

  it('computes the taps by hand for 4→2', () => {
    const taps = filterTaps(4, 2);
    expect(taps[0].start).toBe(0);
    expect(Array.from(taps[0].weights)).toEqual([3 / 7, 3 / 7, 1 / 7].map((w) => expect.closeTo(w, 12)));
    expect(taps[1].start).toBe(1);
    expect(Array.from(taps[1].weights)).toEqual([1 / 7, 3 / 7, 3 / 7].map((w) => expect.closeTo(w, 12)));
  });

  it('resizes rows and columns independently (2×2 → 1×1 is the mean)', () => {
    const data = new Uint8ClampedArray([10, 0, 0, 255, 20, 0, 0, 255, 30, 0, 0, 255, 40, 0, 0, 255]);
    const out = resizeRgba({ width: 2, height: 2, data }, 1, 1);
    expect(Array.from(out.data)).toEqual([25, 0, 0, 255]);
  });

  it('rejects a buffer that does not match its size', () => {
    expect(() => resizeRgba({ width: 2, height: 2, data: new Uint8ClampedArray(4) }, 1, 1)).toThrow(/holds 4 bytes instead of 16/);
  });
});

describe('resizePlaneBilinear (torch interpolate, align_corners=False)', () => {
  it('enlarges 2→4 with edge clamping: [0,10] → [0,2.5,7.5,10]', () => {
    expect(Array.from(resizePlaneBilinear(new Float32Array([0, 10]), 2, 1, 4, 1))).toEqual([0, 2.5, 7.5, 10]);
  });

  it('interpolates in both directions', () => {
    const out = resizePlaneBilinear(new Float32Array([0, 4, 8, 12]), 2, 2, 4, 4);
    // rows at y = 0, 0.25, 0.75, 1 between [0,1,3,4] and [8,9,11,12]
    expect(Array.from(out)).toEqual([0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
  });
});
