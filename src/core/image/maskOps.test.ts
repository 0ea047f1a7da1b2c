import { describe, expect, it } from 'vitest';
import { maskArea, maskIoU, maskToOverlayRgba } from './maskOps';

const mask = (bits: number[], width = bits.length) => ({ width, height: bits.length / width, data: Uint8Array.from(bits) });

describe('mask operations', () => {
  it('counts the area', () => {
    expect(maskArea(mask([0, 1, 1, 0, 1, 0], 3))).toBe(3);
  });

  it('computes IoU: 2 shared of 4 covered = 0.5', () => {
    expect(maskIoU(mask([1, 1, 1, 0, 0]), mask([0, 1, 1, 1, 0]))).toBe(0.5);
  });

  it('treats two empty masks as agreeing', () => {
    expect(maskIoU(mask([0, 0]), mask([0, 0]))).toBe(1);
  });

  it('refuses masks of different sizes with both sizes named', () => {
    expect(() => maskIoU(mask([1, 0]), mask([1, 0, 0]))).toThrow('Cannot compare a 2×1 mask with a 3×1 mask.');
  });

  it('paints only mask pixels', () => {
    expect(Array.from(maskToOverlayRgba(mask([1, 0]), [10, 20, 30, 40]))).toEqual([10, 20, 30, 40, 0, 0, 0, 0]);
  });

  it('paints the boundary in the edge colour: only the centre of a 3×3 block is interior', () => {
    // 5×5 mask with a 3×3 block in the middle: 8 edge pixels, 1 fill pixel.
    const bits = new Array(25).fill(0);
    for (const y of [1, 2, 3]) for (const x of [1, 2, 3]) bits[y * 5 + x] = 1;
    const out = maskToOverlayRgba(mask(bits, 5), [0, 0, 255, 100], [255, 255, 255, 255]);
    const kind = (i: number) => (out[i * 4 + 3] === 0 ? '.' : out[i * 4] === 255 ? 'e' : 'f');
    const rows = [0, 1, 2, 3, 4].map((y) => [0, 1, 2, 3, 4].map((x) => kind(y * 5 + x)).join(''));
    expect(rows).toEqual(['.....', '.eee.', '.efe.', '.eee.', '.....']);
  });
});
