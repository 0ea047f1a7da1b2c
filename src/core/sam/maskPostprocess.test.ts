import { describe, expect, it } from 'vitest';
import { lowResLogitsToImage, selectMaskIndex, thresholdLogits } from './maskPostprocess';

describe('selectMaskIndex', () => {
  it('with 4 masks, picks the best multimask output (1..3) even if mask 0 scores higher', () => {
    expect(selectMaskIndex([0.99, 0.5, 0.8, 0.7])).toBe(2);
  });

  it('otherwise picks the highest predicted IoU', () => {
    expect(selectMaskIndex([0.2, 0.9, 0.1])).toBe(1);
    expect(selectMaskIndex([0.3])).toBe(0);
  });
});

describe('thresholdLogits', () => {
  it('keeps logits strictly above 0', () => {
    expect(Array.from(thresholdLogits([-1, 0, 0.5, 3], 2, 2).data)).toEqual([0, 0, 1, 1]);
  });

  it('names a size mismatch', () => {
    expect(() => thresholdLogits([1, 2, 3], 2, 2)).toThrow('A 2×2 mask needs 4 logits, got 3.');
  });
});

describe('lowResLogitsToImage', () => {
  it('upsamples to the padded input, crops the image region, then resizes to the image', () => {
    // 2×2 logits over a 4×4 padded input; a 4×2 image fills the top two rows of the padded input.
    // Upsampled rows at y = 0 and 0.25: [0,1,3,4] and [2,3,5,6]; the image is already 4×2.
    const out = lowResLogitsToImage(new Float32Array([0, 4, 8, 12]), 2, { width: 4, height: 2 }, 4);
    expect(Array.from(out)).toEqual([0, 1, 3, 4, 2, 3, 5, 6]);
  });

  it('resizes the cropped region to the original size (8×4 image from the 4×2 crop)', () => {
    const out = lowResLogitsToImage(new Float32Array([0, 4, 8, 12]), 2, { width: 8, height: 4 }, 4);
    expect(out.length).toBe(32);
    // First row: crop row [0,1,3,4] enlarged 4→8 at x = −0.25→0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25→3
    expect(Array.from(out.subarray(0, 8))).toEqual([0, 0.25, 0.75, 1.5, 2.5, 3.25, 3.75, 4]);
  });
});
