import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { generateScene, maskBox, MIN_VISIBLE_PIXELS } from './scene.ts';
import { createRandom } from './random.ts';
import { insidePolygon, rasterizeShape, type Shape } from './shapes.ts';

const digest = (bytes: ArrayBufferView) =>
  createHash('sha256').update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest('hex');

describe('createRandom', () => {
  it('repeats its stream for a seed and differs between seeds', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it('draws integers over the whole closed range and normals with unit variance', () => {
    const r = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(r.int(3, 8));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8]);
    let sum = 0;
    let sum2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      sum += v;
      sum2 += v * v;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sum2 / n - 1)).toBeLessThan(0.05);
  });

  it('rejects a non-integer seed', () => {
    expect(() => createRandom(0.5)).toThrow(/integer/);
  });
});

describe('insidePolygon', () => {
  // An L shape: the square 0..4 minus the quadrant x>2, y>2.
  const lShape = [0, 0, 4, 0, 4, 2, 2, 2, 2, 4, 0, 4];
  it('uses the even-odd rule on a concave polygon', () => {
    expect(insidePolygon(1, 1, lShape)).toBe(true);
    expect(insidePolygon(3, 1, lShape)).toBe(true);
    expect(insidePolygon(1, 3, lShape)).toBe(true);
    expect(insidePolygon(3, 3, lShape)).toBe(false);
    expect(insidePolygon(5, 1, lShape)).toBe(false);
  });

  it('rasterizes a shape at pixel indices around its rotated centre', () => {
    // A 5×3 axis-aligned rectangle rotated by 90°: it becomes 3 wide and 5 tall.
    const shape: Shape = {
      kind: 'polygon',
      centerX: 5,
      centerY: 5,
      rotation: Math.PI / 2,
      radius: 3,
      // Half-pixel margins keep the test clear of rounding in cos(π/2).
      inside: (u, v) => Math.abs(u) <= 2.5 && Math.abs(v) <= 1.5,
    };
    const mask = rasterizeShape(shape, 11, 11);
    expect(maskBox(mask, 11, 11)).toEqual([4, 3, 6, 7]);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(15);
  });
});

describe('generateScene', () => {
  it('gives the same bytes for the same seed and different bytes for another', () => {
    const a = generateScene(123);
    const b = generateScene(123);
    expect(digest(a.rgba)).toBe(digest(b.rgba));
    expect(a.objects.map((o) => digest(o.mask))).toEqual(b.objects.map((o) => digest(o.mask)));
    expect(digest(generateScene(124).rgba)).not.toBe(digest(a.rgba));
  });

  it('returns disjoint visible masks whose boxes and counts match their pixels', () => {
    for (let seed = 0; seed < 12; seed++) {
      const scene = generateScene(seed, { size: 128 });
      expect(scene.objects.length).toBeGreaterThanOrEqual(1);
      expect(scene.objects.length).toBeLessThanOrEqual(8);
      const owners = new Uint8Array(128 * 128);
      for (const object of scene.objects) {
        let count = 0;
        let x0 = Infinity;
        let y0 = Infinity;
        let x1 = -1;
        let y1 = -1;
        object.mask.forEach((v, p) => {
          if (!v) return;
          owners[p]++;
          count++;
          const x = p % 128;
          const y = Math.floor(p / 128);
          x0 = Math.min(x0, x);
          y0 = Math.min(y0, y);
          x1 = Math.max(x1, x);
          y1 = Math.max(y1, y);
        });
        expect(object.visiblePixels).toBe(count);
        expect(object.box).toEqual(count ? [x0, y0, x1, y1] : null);
      }
      expect(Math.max(...owners)).toBeLessThanOrEqual(1); // occlusion leaves one owner per pixel
      for (let p = 3; p < scene.rgba.length; p += 4) expect(scene.rgba[p]).toBe(255);
    }
  });

  it('paints the topmost object over the ones below it', () => {
    // Many objects on a small canvas force overlaps; the last object's mask is never cut.
    const scene = generateScene(5, { size: 64, objectCount: 12 });
    const last = scene.objects[scene.objects.length - 1];
    const earlierPixels = scene.objects.slice(0, -1).reduce((n, o) => n + o.visiblePixels, 0);
    expect(last.visiblePixels).toBeGreaterThan(0);
    expect(earlierPixels + last.visiblePixels).toBeLessThanOrEqual(64 * 64);
  });

  it('gives most scenes at least one object large enough to prompt', () => {
    let usable = 0;
    for (let seed = 0; seed < 20; seed++) {
      if (generateScene(seed).objects.some((o) => o.visiblePixels >= MIN_VISIBLE_PIXELS)) usable++;
    }
    expect(usable).toBeGreaterThanOrEqual(18);
  });

  it('explains bad options', () => {
    expect(() => generateScene(1, { size: 3 })).toThrow(/size/);
    expect(() => generateScene(1, { objectCount: -1 })).toThrow(/objectCount/);
  });
});
