import { describe, expect, it } from 'vitest';
import { promptForMask, squaredDistanceToOutside } from './prompt.ts';
import { generateScene } from './scene.ts';
import { createRandom } from './random.ts';

/** Brute force: squared distance to the nearest 0-pixel, or to the ring just outside the image. */
function bruteForce(mask: Uint8Array, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      let best = Math.min(x + 1, y + 1, width - x, height - y) ** 2;
      for (let yy = 0; yy < height; yy++) {
        for (let xx = 0; xx < width; xx++) {
          if (!mask[yy * width + xx]) best = Math.min(best, (x - xx) ** 2 + (y - yy) ** 2);
        }
      }
      out[y * width + x] = best;
    }
  }
  return out;
}

describe('squaredDistanceToOutside', () => {
  it('matches brute force on random masks', () => {
    const random = createRandom(9);
    for (let trial = 0; trial < 5; trial++) {
      const width = 13;
      const height = 9;
      const mask = Uint8Array.from({ length: width * height }, () => (random.next() < 0.8 ? 1 : 0));
      expect(Array.from(squaredDistanceToOutside(mask, width, height))).toEqual(Array.from(bruteForce(mask, width, height)));
    }
  });
});

describe('promptForMask', () => {
  it('picks the first deepest pixel of a rectangle and its inclusive box', () => {
    // Rectangle x 2..8, y 3..7 in a 12×10 image: depth min(x−1, 9−x, y−2, 8−y) is 3 at (4..6, 5).
    const mask = new Uint8Array(12 * 10);
    for (let y = 3; y <= 7; y++) for (let x = 2; x <= 8; x++) mask[y * 12 + x] = 1;
    expect(promptForMask(mask, 12, 10)).toEqual({ point: [4, 5], depth: 3, box: [2, 3, 8, 7] });
  });

  it('treats the image border as outside', () => {
    const mask = new Uint8Array(6 * 6).fill(1);
    const prompt = promptForMask(mask, 6, 6);
    expect(prompt.depth).toBe(3);
    expect(prompt.point).toEqual([2, 2]);
  });

  it('lands inside the visible mask of scene objects', () => {
    const scene = generateScene(77);
    for (const object of scene.objects.filter((o) => o.visiblePixels > 0)) {
      const { point, box } = promptForMask(object.mask, scene.width, scene.height);
      expect(object.mask[point[1] * scene.width + point[0]]).toBe(1);
      expect(point[0]).toBeGreaterThanOrEqual(box[0]);
      expect(point[0]).toBeLessThanOrEqual(box[2]);
    }
  });

  it('refuses an empty mask', () => {
    expect(() => promptForMask(new Uint8Array(4), 2, 2)).toThrow(/empty/);
  });
});
