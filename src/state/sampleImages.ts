import type { RgbaImage } from '../core/image/rgbaImage';
import type { TruthObject } from '../core/sam/promptedObject';

/** A generated sample image with its truth. */
export interface SampleImage {
  name: string;
  pixels: RgbaImage;
  truth: TruthObject[];
}

/** Generated sample images with ground truth, shown at start (procedural scenes arrive with core/synth). */
export async function loadSampleImages(): Promise<SampleImage[]> {
  return [];
}
