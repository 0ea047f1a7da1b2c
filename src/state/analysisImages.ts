/**
 * How a studio image becomes an AnalysisImage (core/analysis/analysisEngine.ts): its pixels and the boxes of
 * its true objects (generated scenes). The user's preview clicks are not part of it: calibration prompts come
 * from the image and the settings only (boxes, else the grid), so a click changes the preview, never the
 * analysis' run key and its stored probes. Pure, so Node tests can check that the studio's study scenes are
 * exactly the quality study's calibration scenes.
 */
import type { AnalysisImage } from '../core/analysis/analysisEngine';
import type { RgbaImage } from '../core/image/rgbaImage';
import type { TruthObject } from '../core/sam/promptedObject';

export interface AnalysisImageSource {
  name: string;
  pixels: RgbaImage;
  truth: readonly TruthObject[] | null;
}

/** Known boxes are the calibration prompts where there are any, else the settings' grid (analysis/calibrationPrompts.ts). */
export function analysisImageOf(source: AnalysisImageSource): AnalysisImage {
  return {
    name: source.name,
    image: source.pixels,
    boxes: source.truth?.map((object) => object.box),
  };
}

/**
 * The order in which images are taken for analysis: the user's own files first (in the order added),
 * then the generated samples, so that an analysis of T images measures the user's images whenever
 * there are any.
 */
export function analysisOrder<T extends { origin: 'sample' | 'file' }>(images: readonly T[]): T[] {
  return [...images.filter((image) => image.origin === 'file'), ...images.filter((image) => image.origin !== 'file')];
}
