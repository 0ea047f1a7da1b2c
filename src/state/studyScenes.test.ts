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
    const studio = buildStudyScenes(count).map((scene) => analysisImageOf({ name: scene.name, pixels: scene.pixels, truth: scene.truth, clicks: [] }));
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

  it('keep the boxes as prompts when the user has clicked on a scene', () => {
    const [scene] = buildStudyScenes(1);
    const clicked = analysisImageOf({ name: scene.name, pixels: scene.pixels, truth: scene.truth, clicks: [{ x: 3, y: 4, positive: true }] });
    const [study] = calibrationScenes(1);
    const prompts = (source: typeof study) => calibrationPrompts({ ...source, width: source.image.width, height: source.image.height }, 8, 4);
    expect(prompts(clicked)).toEqual(prompts(study));
  });
});
