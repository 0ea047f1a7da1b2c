import { generateScene, MIN_VISIBLE_PIXELS } from '../core/synth/scene';
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

export function buildSampleImages(): SampleImage[] {
  return sampleSeeds.map((seed, index) => {
    const scene = generateScene(seed, { size: sampleSide });
    const truth = scene.objects
      .filter((object) => object.box !== null && object.visiblePixels >= MIN_VISIBLE_PIXELS)
      .map((object) => {
        const [x0, y0, x1, y1] = object.box!;
        // synth's boxes are inclusive pixel indices; prompts use pixel edges.
        return { label: object.kind, mask: { width: scene.width, height: scene.height, data: object.mask }, box: { x0, y0, x1: x1 + 1, y1: y1 + 1 } };
      });
    return { name: `Sample ${index + 1}`, pixels: { width: scene.width, height: scene.height, data: scene.rgba }, truth };
  });
}

export async function loadSampleImages(): Promise<SampleImage[]> {
  return buildSampleImages();
}
