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
});
