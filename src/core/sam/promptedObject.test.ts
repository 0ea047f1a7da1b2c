import { describe, expect, it } from 'vitest';
import { boxIoU, matchPromptedObject, type TruthObject } from './promptedObject';

// 4×2 image: object A covers the left half, object B the right half.
const mask = (bits: number[]) => ({ width: 4, height: 2, data: Uint8Array.from(bits) });
const objects: TruthObject[] = [
  { label: 'A', mask: mask([1, 1, 0, 0, 1, 1, 0, 0]), box: { x0: 0, y0: 0, x1: 2, y1: 2 } },
  { label: 'B', mask: mask([0, 0, 1, 1, 0, 0, 1, 1]), box: { x0: 2, y0: 0, x1: 4, y1: 2 } },
];
const predicted = mask([0, 1, 1, 1, 0, 0, 1, 1]); // B plus one pixel of A

describe('matchPromptedObject', () => {
  it('uses the object under the first positive click: A shares 1 of 8 pixels', () => {
    const match = matchPromptedObject(predicted, { points: [{ x: 0.5, y: 1.5, positive: true }], box: null }, objects);
    expect(match).toEqual({ objectIndex: 0, iou: 1 / 8 });
  });

  it('uses the best-overlapping box: B shares 4 of 5 pixels', () => {
    const match = matchPromptedObject(predicted, { points: [], box: { x0: 4, y0: 2, x1: 2.5, y1: 0 } }, objects);
    expect(match).toEqual({ objectIndex: 1, iou: 4 / 5 });
  });

  it('falls back to the best mask match for a click on nothing', () => {
    const match = matchPromptedObject(predicted, { points: [{ x: 1, y: 0, positive: false }], box: null }, objects);
    expect(match?.objectIndex).toBe(1);
  });

  it('returns null without truth', () => {
    expect(matchPromptedObject(predicted, { points: [], box: null }, [])).toBeNull();
  });
});

describe('boxIoU', () => {
  it('is 2/6 for 2×2 boxes offset by one: overlap 1×2 of 4+4−2', () => {
    expect(boxIoU({ x0: 0, y0: 0, x1: 2, y1: 2 }, { x0: 1, y0: 0, x1: 3, y1: 2 })).toBeCloseTo(1 / 3, 12);
  });
});
