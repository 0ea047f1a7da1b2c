import { describe, expect, it } from 'vitest';
import { capLongestSide, fitContain, viewportToImage } from './viewport';

describe('viewport fitting', () => {
  it('letterboxes a wide image: 400×200 in 300×300 → scale 0.75, 75 px bands', () => {
    expect(fitContain(400, 200, 300, 300)).toEqual({ left: 0, top: 75, width: 300, height: 150, scale: 0.75 });
  });

  it('maps a viewport click back to image pixels and clamps outside clicks', () => {
    const rect = fitContain(400, 200, 300, 300);
    expect(viewportToImage(150, 150, rect, 400, 200)).toEqual({ x: 200, y: 100 });
    expect(viewportToImage(-10, 10, rect, 400, 200)).toEqual({ x: 0, y: 0 });
  });

  it('caps the longest side without enlarging', () => {
    expect(capLongestSide(4000, 3000, 2048)).toEqual({ width: 2048, height: 1536 });
    expect(capLongestSide(640, 480, 2048)).toEqual({ width: 640, height: 480 });
  });
});
