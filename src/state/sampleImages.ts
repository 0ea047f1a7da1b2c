import { CALIBRATION_FIRST_SEED } from '../core/study/scenes';
import { generateScene, MIN_VISIBLE_PIXELS, type Scene } from '../core/synth/scene';
import type { RgbaImage } from '../core/image/rgbaImage';
import type { TruthObject } from '../core/sam/promptedObject';

/** A generated sample image with its truth. */
export interface SampleImage {
  name: string;
  pixels: RgbaImage;
  truth: TruthObject[];
}

/**
 * The sample images shown at start: seeded procedural scenes (core/synth) at the demo model's input
 * size, with each visible object's mask and box as ground truth. Same seeds, same pixels, every time.
 */
export const sampleSeeds: readonly number[] = [18, 4, 9, 11, 26, 2];
const sampleSide = 256;

/** Calibration scenes the "Study scenes" button loads: the quality study's default T (bench/quality.ts). */
export const STUDY_SCENE_COUNT = 4;

/** A scene as a studio image: every visible object (as the study counts them) is a truth object. */
function sampleOfScene(scene: Scene, name: string): SampleImage {
  const truth = scene.objects
    .filter((object) => object.box !== null && object.visiblePixels >= MIN_VISIBLE_PIXELS)
    .map((object) => {
      const [x0, y0, x1, y1] = object.box!;
      // synth's boxes are inclusive pixel indices; prompts use pixel edges.
      return { label: object.kind, mask: { width: scene.width, height: scene.height, data: object.mask }, box: { x0, y0, x1: x1 + 1, y1: y1 + 1 } };
    });
  return { name, pixels: { width: scene.width, height: scene.height, data: scene.rgba }, truth };
}

export function buildSampleImages(): SampleImage[] {
  return sampleSeeds.map((seed, index) => sampleOfScene(generateScene(seed, { size: sampleSide }), `Sample ${index + 1}`));
}

export async function loadSampleImages(): Promise<SampleImage[]> {
  return buildSampleImages();
}

/**
 * The quality study's calibration scenes (core/study/scenes.ts calibrationScenes: seeds 500001…, named
 * as there), so an analysis of the first T of them measures what `npm run bench:quality` measures.
 */
export function buildStudyScenes(count = STUDY_SCENE_COUNT): SampleImage[] {
  return Array.from({ length: count }, (_, k) => {
    const seed = CALIBRATION_FIRST_SEED + k;
    return sampleOfScene(generateScene(seed, { size: sampleSide }), `Calibration ${seed}`);
  });
}
