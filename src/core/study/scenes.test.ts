import { describe, expect, it } from 'vitest';
import { generateScene } from '../synth/scene';
import { calibrationScenes, CALIBRATION_FIRST_SEED, heldOutSet, HELD_OUT_FIRST_SEED } from './scenes';

describe('held-out set', () => {
  const set = heldOutSet({ minObjects: 30 });

  it('prompts every visible object once by a point inside it and once by its tight box', () => {
    expect(set.objects).toBeGreaterThanOrEqual(30);
    const points = set.byKind.point;
    const boxes = set.byKind.box;
    expect(points.length).toBe(set.seeds.length);
    let count = 0;
    points.forEach((item, t) => {
      expect(item.prompts.length).toBe(item.truth.length);
      expect(boxes[t].prompts.length).toBe(item.truth.length);
      item.prompts.forEach((prompt, k) => {
        const mask = item.truth[k]!;
        count++;
        if (prompt.kind !== 'point') throw new Error('expected a point prompt');
        expect(prompt.positive).toBe(true);
        expect(mask.data[prompt.y * mask.width + prompt.x]).toBe(1);
        // The box, recomputed here from the mask: first and last rows/columns holding a 1, edges exclusive.
        let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
        for (let p = 0; p < mask.data.length; p++) {
          if (!mask.data[p]) continue;
          const x = p % mask.width;
          const y = Math.floor(p / mask.width);
          [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
        }
        expect(boxes[t].prompts[k]).toEqual({ kind: 'box', x0, y0, x1, y1 });
        expect(boxes[t].truth[k]).toBe(mask);
      });
    });
    expect(count).toBe(set.objects);
  });

  it('masks are the scene’s own objects, and the set is the same every time', () => {
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);
    const scene = generateScene(set.seeds[0]);
    const first = set.byKind.point[0];
    expect(same(first.image.data, scene.rgba)).toBe(true);
    for (const mask of first.truth) expect(scene.objects.some((object) => same(object.mask, mask!.data))).toBe(true);
    const again = heldOutSet({ minObjects: 30 });
    expect(again.seeds).toEqual(set.seeds);
    expect(again.byKind.point.map((item) => item.prompts)).toEqual(set.byKind.point.map((item) => item.prompts));
  });

  it('draws from seeds used neither for calibration nor for the studio’s sample images', () => {
    const calibration = calibrationScenes(8).map((scene) => Number(scene.name.split(' ')[1]));
    expect(calibration[0]).toBe(CALIBRATION_FIRST_SEED);
    expect(set.seeds[0]).toBeGreaterThanOrEqual(HELD_OUT_FIRST_SEED);
    const held = new Set(set.seeds);
    // The studio's samples use seeds below 100, the analysis CLI's scenes 101·k for k ≤ 64.
    const studio = [...Array.from({ length: 100 }, (_, s) => s), ...Array.from({ length: 64 }, (_, k) => 101 * (k + 1))];
    for (const seed of [...calibration, ...studio]) expect(held.has(seed)).toBe(false);
    for (const seed of studio) expect(calibration.includes(seed)).toBe(false);
  });

  it('refuses a count that is not a positive whole number', () => {
    expect(() => heldOutSet({ minObjects: 0 })).toThrow('at least 1, got 0');
    expect(() => calibrationScenes(2.5)).toThrow('calibration images');
  });
});
