import { describe, expect, it } from 'vitest';
import { encoderInput, maskIoU, resizedSize, toInputFrame } from './sam-input.ts';

const spec = { inputSize: 4, mean: [10, 20, 30], std: [2, 4, 5] };

describe('encoderInput', () => {
  it('normalizes per channel and lays out NCHW when no resize is needed', () => {
    const rgba = new Uint8ClampedArray(4 * 4 * 4);
    rgba.set([30, 60, 80, 255], (1 * 4 + 2) * 4); // pixel (x=2, y=1)
    const out = encoderInput(rgba, 4, 4, spec);
    expect(out.length).toBe(3 * 16);
    expect(out[0 * 16 + 1 * 4 + 2]).toBeCloseTo((30 - 10) / 2);
    expect(out[1 * 16 + 1 * 4 + 2]).toBeCloseTo((60 - 20) / 4);
    expect(out[2 * 16 + 1 * 4 + 2]).toBeCloseTo((80 - 30) / 5);
    expect(out[0]).toBeCloseTo(-10 / 2); // a black pixel
  });

  it('resizes the longest side and zero-pads the bottom', () => {
    // 2×1 image (R = 0 and 100) → 4×2 input, rows 2..3 are padding (exact zeros).
    const rgba = new Uint8ClampedArray([0, 0, 0, 255, 100, 0, 0, 255]);
    const out = encoderInput(rgba, 2, 1, { inputSize: 4, mean: [0, 0, 0], std: [1, 1, 1] });
    // Half-pixel centres: x → (x + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 25, 75, 100]);
    expect(Array.from(out.subarray(4, 8))).toEqual([0, 25, 75, 100]);
    expect(Array.from(out.subarray(8, 16))).toEqual(new Array(8).fill(0));
  });

  it('explains a wrong buffer size', () => {
    expect(() => encoderInput(new Uint8ClampedArray(3), 1, 1, spec)).toThrow(/RGBA bytes/);
  });
});

describe('frames', () => {
  it('follows Meta: round(side·1024/longest) and per-axis point factors', () => {
    expect(resizedSize(1800, 1200, 1024)).toEqual({ width: 1024, height: 683 });
    const [x, y] = toInputFrame(900, 600, 1800, 1200, 1024);
    expect(x).toBeCloseTo(512);
    expect(y).toBeCloseTo(600 * (683 / 1200));
  });
});

describe('maskIoU', () => {
  it('is intersection over union', () => {
    expect(maskIoU([1, 1, 0, 0], [1, 0, 1, 0])).toBeCloseTo(1 / 3);
    expect(maskIoU([0, 0], [0, 0])).toBe(1);
    expect(() => maskIoU([1], [1, 0])).toThrow(/size/);
  });
});
