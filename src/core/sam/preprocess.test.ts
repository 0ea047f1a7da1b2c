import { describe, expect, it } from 'vitest';
import { normalizeAndPadChw, resizedSize, resizeLongestSide, rgbHwcFloat } from './preprocess';

const pixels = (width: number, height: number, rgba: number[]) => ({ width, height, data: Uint8ClampedArray.from(rgba) });

describe('resizedSize (Meta get_preprocess_shape)', () => {
  it('maps 640×480 to 1024×768', () => {
    expect(resizedSize({ width: 640, height: 480 }, 1024)).toEqual({ width: 1024, height: 768 });
  });

  it('rounds half up: 3×2 at side 4 → 4×3 (2·4/3 = 2.67)', () => {
    expect(resizedSize({ width: 3, height: 2 }, 4)).toEqual({ width: 4, height: 3 });
  });

  it('handles portrait images: 300×500 at 256 → 154×256 (153.6 rounds up)', () => {
    expect(resizedSize({ width: 300, height: 500 }, 256)).toEqual({ width: 154, height: 256 });
  });
});

describe('normalizeAndPadChw', () => {
  it('normalizes each channel with SAM mean/std and zero-pads bottom/right', () => {
    // One pixel R=255, G=0, B=103.53≈104 → (255−123.675)/58.395, (0−116.28)/57.12, (104−103.53)/57.375
    const tensor = normalizeAndPadChw(pixels(1, 1, [255, 0, 104, 255]), 2);
    expect(tensor.dims).toEqual([1, 3, 2, 2]);
    const values = Array.from(tensor.data as Float32Array);
    expect(values[0]).toBeCloseTo(2.248908, 5);
    expect(values[4]).toBeCloseTo(-2.035714, 5);
    expect(values[8]).toBeCloseTo(0.008192, 5);
    // padding: every other position of every plane is zero
    expect([values[1], values[2], values[3], values[5], values[6], values[7], values[9], values[10], values[11]]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('places pixels row-major inside the padded plane', () => {
    // 2×1 image in a 3×3 plane: pixel (1,0) lands at index 1 of each plane
    const tensor = normalizeAndPadChw(pixels(2, 1, [123.675, 116.28, 103.53, 255, 182, 174, 161, 255].map(Math.round)), 3, {
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    const values = tensor.data as Float32Array;
    expect([values[0], values[1], values[9 + 1], values[18 + 1]]).toEqual([124, 182, 174, 161]);
  });

  it('refuses an image larger than the input', () => {
    expect(() => normalizeAndPadChw(pixels(3, 1, new Array(12).fill(0)), 2)).toThrow('A 3×1 image does not fit the encoder');
  });
});

describe('samexporter input', () => {
  it('is raw RGB in HWC order', () => {
    const tensor = rgbHwcFloat(pixels(2, 1, [1, 2, 3, 255, 4, 5, 6, 255]));
    expect(tensor.dims).toEqual([1, 2, 3]);
    expect(Array.from(tensor.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('resizeLongestSide', () => {
  it('keeps an image already at the target size untouched', () => {
    const image = pixels(4, 2, new Array(32).fill(7));
    expect(resizeLongestSide(image, 4)).toBe(image);
  });

  it('shrinks 4×2 to 2×1 averaging with the triangle filter', () => {
    const row = [0, 70, 140, 210];
    const data = [...row, ...row].flatMap((v) => [v, v, v, 255]);
    const out = resizeLongestSide(pixels(4, 2, data), 2);
    expect(out.width).toBe(2);
    expect(out.height).toBe(1);
    expect([out.data[0], out.data[4]]).toEqual([50, 160]);
  });
});
