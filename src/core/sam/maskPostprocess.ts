import { resizePlaneBilinear } from '../image/resample';
import type { BinaryMask } from '../image/rgbaImage';
import { resizedSize } from './preprocess';
import type { ImageSize } from './types';

/**
 * Which of the returned masks to show. When SAM returns 4 masks (single-mask token first, then its 3
 * multimask outputs) the multimask output with the highest predicted IoU wins; otherwise the best of all.
 */
export function selectMaskIndex(iouPredictions: ArrayLike<number>): number {
  const count = iouPredictions.length;
  if (count === 0) throw new Error('The decoder returned no IoU predictions.');
  const first = count === 4 ? 1 : 0;
  let best = first;
  for (let i = first + 1; i < count; i++) if (iouPredictions[i] > iouPredictions[best]) best = i;
  return best;
}

/** Mask logits → binary mask (logit > threshold; SAM's threshold is 0). */
export function thresholdLogits(logits: ArrayLike<number>, width: number, height: number, threshold = 0): BinaryMask {
  if (logits.length !== width * height) {
    throw new Error(`A ${width}×${height} mask needs ${width * height} logits, got ${logits.length}.`);
  }
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = logits[i] > threshold ? 1 : 0;
  return { width, height, data };
}

/**
 * Low-resolution mask logits (L×L, covering the padded side×side encoder input) → logits at image size,
 * as SAM's postprocess_masks: upsample to side×side, crop the resized image's region, resize to H×W.
 */
export function lowResLogitsToImage(lowRes: Float32Array, lowResSide: number, image: ImageSize, side: number): Float32Array {
  const padded = resizePlaneBilinear(lowRes, lowResSide, lowResSide, side, side);
  const resized = resizedSize(image, side);
  const cropped = new Float32Array(resized.width * resized.height);
  for (let y = 0; y < resized.height; y++) {
    cropped.set(padded.subarray(y * side, y * side + resized.width), y * resized.width);
  }
  return resizePlaneBilinear(cropped, resized.width, resized.height, image.width, image.height);
}
