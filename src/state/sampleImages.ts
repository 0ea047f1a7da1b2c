import type { SampleImage } from './imagesSlice';

/** Generated sample images with ground truth, shown at start. */
export async function loadSampleImages(): Promise<SampleImage[]> {
  return [];
}
