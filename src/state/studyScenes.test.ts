/**
 * The studio's study scenes, turned into analysis images the way the analysis slice turns any studio
 * image (state/analysisImages.ts), are the quality study's calibration scenes: same pixels, same boxes,
 * hence the same calibration prompts and the same analysis run.
 */
import { describe, expect, it } from 'vitest';
import { calibrationPrompts } from '../core/analysis/calibrationPrompts';
import { calibrationScenes } from '../core/study/scenes';
import { analysisImageOf } from './analysisImages';
import { buildStudyScenes } from './sampleImages';

describe('study scenes in the studio', () => {
  it('become exactly the study calibration images and prompts', () => {
    const count = 4;
    const studio = buildStudyScenes(count).map((scene) => analysisImageOf({ name: scene.name, pixels: scene.pixels, truth: scene.truth }));
    const study = calibrationScenes(count);
    expect(studio.map((image) => image.name)).toEqual(['Calibration 500001', 'Calibration 500002', 'Calibration 500003', 'Calibration 500004']);
    expect(studio).toEqual(study);
    for (const [t, image] of studio.entries()) {
      // Every scene has objects: the prompts are their boxes, as many as the study takes.
      expect(image.boxes!.length).toBeGreaterThan(0);
      const prompt = (source: typeof image) => calibrationPrompts({ ...source, width: source.image.width, height: source.image.height }, 4, 4);
      expect(prompt(image)).toEqual(prompt(study[t]));
      expect(prompt(image).every((p) => p.kind === 'box')).toBe(true);
    }
  });

  it('calibrate a user image (no known objects) on the settings grid', () => {
    const [scene] = buildStudyScenes(1);
    const own = analysisImageOf({ name: 'photo.png', pixels: scene.pixels, truth: null });
    expect(own.boxes).toBeUndefined();
    expect(own.clicks).toBeUndefined();
    const prompts = calibrationPrompts({ ...own, width: own.image.width, height: own.image.height }, 4, 2);
    expect(prompts).toEqual([
      { kind: 'point', x: 64, y: 64, positive: true },
      { kind: 'point', x: 192, y: 64, positive: true },
      { kind: 'point', x: 64, y: 192, positive: true },
      { kind: 'point', x: 192, y: 192, positive: true },
    ]);
  });
});
